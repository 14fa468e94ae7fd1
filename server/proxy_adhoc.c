/*
 * The reverse proxy to an ad-hoc upstream: a host and port a module set
 * with pt_req_set_upstream_addr() (mod_rewrite's proxy flag with a URL
 * whose host names no pool), not a configured pool. The request head is
 * the reverse proxy's (X-Forwarded-*, Via as the route says) with Host
 * set to the target's authority, as Apache's [P] does; the connection is
 * the forward proxy's kind (origin.c): resolved through the core
 * resolver, kept idle per worker. There is no balancing, health or
 * failover: one target, tried once (a stale kept connection is replaced
 * by a fresh one for free). An https target needs a module that carries
 * TLS for it on the upstream_transport hook; its connections are kept
 * with their transport.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <portier/request.h>
#include "origin.h"
#include "proxy.h"
#include "hooks_priv.h"

#define ADHOC_BUF		65536
#define ADHOC_CONNECT_MS	5000	/* as a pool's connect_timeout */
#define ADHOC_IDLE_MS		4000	/* as a pool's idle_timeout */
#define ADHOC_IDLE_MAX		16	/* per worker, with the forward proxy's */

/* The connection in use, on the request's arena. */
struct adhoc_conn {
	struct upstream_conn	 uc;
	struct upstream_server	 server;	/* for the transport hook */
	struct conf_upstream	 pool;
	char			 key[ORIGIN_KEY_MAX];
};

static void
adhoc_close(struct adhoc_conn *ac)
{
	struct origin_io c = { .fd = ac->uc.fd, .io = ac->uc.io,
	    .io_ctx = ac->uc.io_ctx };

	if (ac->uc.fd == -1)
		return;
	origin_close(&c);
	ac->uc.io = NULL;
	ac->uc.fd = -1;
}

static void
adhoc_release(struct proxy_ctx *x, bool reusable)
{
	struct adhoc_conn	*ac = (struct adhoc_conn *)(void *)x->uc;
	struct origin_io	 c = { .fd = ac->uc.fd, .io = ac->uc.io,
	    .io_ctx = ac->uc.io_ctx };

	if (ac->uc.fd == -1)
		return;
	if (reusable && !x->failed) {
		origin_idle_put(ac->key, &c, ADHOC_IDLE_MAX, ADHOC_IDLE_MS);
		ac->uc.io = NULL;
		ac->uc.fd = -1;
	} else
		adhoc_close(ac);
}

/* A new connection, with TLS on it for an https target; -1: *status. */
static int
adhoc_open(struct proxy_ctx *x, struct adhoc_conn *ac, int *status)
{
	const struct upstream_adhoc	*t = x->r->upstream_adhoc;
	struct pt_upstream		 u = { .uc = &ac->uc, .r = x->r };
	const char			*refused;

	ac->uc.fd = origin_connect(x->r, "proxy", t->host, t->port,
	    ADHOC_CONNECT_MS, NULL, &refused, status);
	if (ac->uc.fd == -1 || !t->tls)
		return (ac->uc.fd == -1 ? -1 : 0);
	if (hooks_run_upstream(x->r->conf->hooks, &u) != PT_OK ||
	    ac->uc.io == NULL) {
		PT_RLOG(x->r, PT_LOG_ERR, "proxy: https://%s: no TLS to it "
		    "(mod_ssl loaded?)", t->authority);
		adhoc_close(ac);
		*status = 502;
		return (-1);
	}
	return (0);
}

static struct adhoc_conn *
adhoc_conn_new(struct pt_request *r)
{
	const struct upstream_adhoc	*t = r->upstream_adhoc;
	struct adhoc_conn		*ac;

	if ((ac = pt_calloc(r->arena, 1, sizeof(*ac))) == NULL)
		return (NULL);
	ac->uc.fd = -1;
	ac->uc.server = &ac->server;
	ac->server.pool = &ac->pool;
	ac->server.host = t->host;
	ac->server.port = t->port;
	ac->server.address = t->authority;
	ac->pool.name = t->authority;
	ac->pool.connect_timeout_ms = ADHOC_CONNECT_MS;
	snprintf(ac->key, sizeof(ac->key), "a%s %s:%d", t->tls ? "s" : "",
	    t->host, t->port);
	return (ac);
}

/* The route's (or server's) proxy settings, with no prefix mapping. */
static struct conf_proxy *
adhoc_px(struct pt_request *r)
{
	struct conf_proxy *px = pt_alloc(r->arena, sizeof(*px));

	if (px == NULL)
		return (NULL);
	*px = r->route != NULL ? r->route->sc.proxy : r->srv->sc.proxy;
	px->strip_prefix = false;
	px->prefix = NULL;
	px->redirect_rewrite = false;
	px->websocket = false;
	return (px);
}

/* Sends the request on a kept connection, else on a new one. */
static int
adhoc_exchange(struct proxy_ctx *x, struct adhoc_conn *ac, const char *head,
    size_t hlen)
{
	struct origin_io	c;
	int			rc, status = 502, stale = 0;

	for (;;) {
		if ((ac->uc.reused = origin_idle_take(ac->key, &c))) {
			ac->uc.fd = c.fd;
			ac->uc.io = c.io;
			ac->uc.io_ctx = c.io_ctx;
		}
		if (!ac->uc.reused && adhoc_open(x, ac, &status) == -1)
			return (status);
		if ((rc = proxy_exchange(x, head, hlen)) == 0)
			return (0);
		adhoc_close(ac);
		if (rc == PROXY_RETRY && ac->uc.reused && stale++ < 2)
			continue;
		if (rc == PROXY_CLIENT)
			return (400);
		PT_RLOG(x->r, PT_LOG_WARN, "proxy: %s: %s", x->peer, rc == 504 ?
		    "timed out" : "no valid answer");
		return (rc == PROXY_RETRY ? 502 : rc);
	}
}

int
proxy_adhoc(struct pt_request *r)
{
	const struct upstream_adhoc	*t = r->upstream_adhoc;
	struct proxy_ctx		 x;
	struct adhoc_conn		*ac;
	char				*head;
	size_t				 hlen;
	int				 rc;

	memset(&x, 0, sizeof(x));
	x.r = r;
	if ((x.px = adhoc_px(r)) == NULL || (ac = adhoc_conn_new(r)) == NULL)
		return (500);
	x.uc = &ac->uc;
	x.release = adhoc_release;
	x.peer = pt_printf(r->arena, "%s://%s", t->tls ? "https" : "http",
	    t->authority);
	x.host = t->authority;
	x.buf_size = ADHOC_BUF;
	if (x.px->request_buffering && pt_req_has_body(r) &&
	    (rc = proxy_reqbuf_read(&x)) != 0)
		return (rc);
	if (x.peer == NULL || (x.buf = pt_alloc(r->arena, x.buf_size)) ==
	    NULL || (head = proxy_build_head(&x, &hlen)) == NULL)
		return (500);
	r->upstream_addr = x.peer;
	origin_idle_sweep(now_ms());
	if ((rc = adhoc_exchange(&x, ac, head, hlen)) != 0)
		return (rc);
	if (x.rs.status == 101) {
		adhoc_close(ac);
		return (502);
	}
	rc = proxy_respond(&x);
	adhoc_close(ac);	/* failed half way: never reused */
	return (rc == -1 ? PT_ERROR : rc);
}
