/*
 * The forward proxy handler: absolute-form requests relayed to their
 * origin in origin-form (or to a parent proxy as they came), and CONNECT
 * tunnels handed to the tunnel process once the origin answers. This file
 * picks parent or origin, connects and keeps idle origin connections per
 * worker; the decisions (authentication, rules, CONNECT ports, SSRF and
 * loop checks) are proxy_forward_decide.c's. The relay is the reverse
 * proxy's (proxy_exchange, proxy_respond).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <portier/request.h>
#include <portier/tunnel.h>
#include "auth.h"
#include "forward.h"
#include "origin.h"
#include "proxy.h"
#include "resolver.h"
#include "tunnel.h"

#define FWD_BUF		65536

static const char fwd_established[] =
    "HTTP/1.1 200 Connection established\r\n\r\n";

/* An origin connection in use, on the request's arena. */
struct fwd_conn {
	struct upstream_conn	 uc;
	const struct conf_forward *fw;
	char			 key[ORIGIN_KEY_MAX];
	struct sockaddr_storage	 peer;	/* family 0: not asked yet */
};

static void
fwd_release(struct proxy_ctx *x, bool reusable)
{
	struct fwd_conn		*fc = (struct fwd_conn *)(void *)x->uc;
	struct origin_io	 c = { .fd = fc->uc.fd, .peer = fc->peer };

	if (fc->uc.fd == -1)
		return;
	if (reusable && !x->failed)
		origin_idle_put(fc->key, &c, fc->fw->idle_max,
		    fc->fw->idle_timeout_ms);
	else
		close(fc->uc.fd);
	fc->uc.fd = -1;
}

/*
 * Resolves host and connects to the first address that answers. check:
 * apply the loop and private-address rules to each resolved address.
 * The socket, or -1 with *status (403 after the block page: -100).
 */
static int
fwd_connect_host(struct pt_request *r, const struct fwd_target *t,
    const char *host, int port, bool check, int *status)
{
	const char	*refused;
	int		 fd;

	fd = origin_connect(r, "forward", host, port,
	    r->srv->forward->connect_timeout_ms, check ? fwd_refused : NULL,
	    &refused, status);
	if (fd == -1 && refused != NULL)
		*status = fwd_block(r, t, refused) == 0 ? -100 : PT_ERROR;
	return (fd);
}

/* The Referer trimmed to its origin ("http://a.example/"), or NULL. */
static const char *
fwd_referer_origin(struct pt_request *r, const struct pt_str *v)
{
	const char *p = memmem(v->p, v->len, "://", 3), *end = v->p + v->len;
	const char *slash;

	if (p == NULL)
		return (NULL);
	slash = memchr(p + 3, '/', (size_t)(end - p - 3));
	return (pt_printf(r->arena, "%.*s/", (int)((slash != NULL ? slash :
	    end) - v->p), v->p));
}

static bool
fwd_strip(const struct conf_forward *fw, const struct pt_str *n)
{
	size_t i;

	for (i = 0; i < fw->strip_headers.n; i++)
		if (str_case_eq(n->p, n->len, fw->strip_headers.v[i]))
			return (true);
	return (false);
}

/* The client's fields that go on: no hop-by-hop, Proxy-*, stripped ones. */
static void
fwd_copy_fields(struct pt_request *r, char *buf, size_t room, size_t *at)
{
	const struct conf_forward	*fw = r->srv->forward;
	const struct http_head		*h = &r->head;
	const struct http_field		*conn = http_head_field(h, "connection");
	const struct pt_str		*n;
	const char			*ref;
	size_t				 i;

	for (i = 0; i < h->nfields; i++) {
		n = &h->fields[i].name;
		if (proxy_is_hop_field(n, conn != NULL ? &conn->value : NULL) ||
		    (n->len > 6 && strncasecmp(n->p, "proxy-", 6) == 0) ||
		    str_case_eq(n->p, n->len, "host") ||
		    str_case_eq(n->p, n->len, "content-length") ||
		    str_case_eq(n->p, n->len, "expect") ||
		    str_case_eq(n->p, n->len, "via") || fwd_strip(fw, n))
			continue;
		if (str_case_eq(n->p, n->len, "referer") &&
		    fw->referer != FWD_REFERER_KEEP) {
			if (fw->referer == FWD_REFERER_ORIGIN && (ref =
			    fwd_referer_origin(r, &h->fields[i].value)) != NULL)
				proxy_head_add(buf, room, at, "Referer", 7, ref,
				    strlen(ref));
			continue;
		}
		proxy_head_add(buf, room, at, n->p, n->len,
		    h->fields[i].value.p, h->fields[i].value.len);
	}
}

/*
 * The head for the origin (origin-form) or a parent (absolute-form, as
 * received). Host is the target's authority (RFC 9112 3.2.2).
 */
static char *
fwd_build_head(struct pt_request *r, bool parent, size_t *len)
{
	const struct conf_forward	*fw = r->srv->forward;
	const struct http_head		*h = &r->head;
	const struct http_field		*via = http_head_field(h, "via");
	char				*buf, num[24];
	const char			*v;
	size_t				 room = 1024, at, i;

	for (i = 0; i < h->nfields; i++)
		room += h->fields[i].name.len + h->fields[i].value.len + 4;
	room += h->target.len + 2 * h->authority.len;
	if ((buf = pt_alloc(r->arena, room)) == NULL)
		return (NULL);
	if (parent)
		at = (size_t)snprintf(buf, room, "%.*s %.*s HTTP/1.1\r\n",
		    (int)h->method.len, h->method.p, (int)h->target.len,
		    h->target.p);
	else
		at = (size_t)snprintf(buf, room, "%.*s %s%.*s%s%.*s "
		    "HTTP/1.1\r\n", (int)h->method.len, h->method.p,
		    h->path.len > 0 && h->path.p[0] == '/' ? "" : "/",
		    (int)h->path.len, h->path.p, h->has_query ? "?" : "",
		    (int)h->query.len, h->query.p);
	proxy_head_add(buf, room, &at, "Host", 4, h->authority.p,
	    h->authority.len);
	fwd_copy_fields(r, buf, room, &at);
	if (fw->via || via != NULL) {
		v = via == NULL ? "1.1 portier" : fw->via ? pt_printf(r->arena,
		    "%.*s, 1.1 portier", (int)via->value.len, via->value.p) :
		    pt_strndup(r->arena, via->value.p, via->value.len);
		if (v != NULL)
			proxy_head_add(buf, room, &at, "Via", 3, v, strlen(v));
	}
	if (h->framing == HTTP_BODY_CHUNKED)
		proxy_head_add(buf, room, &at, "Transfer-Encoding", 17,
		    "chunked", 7);
	else if (h->framing == HTTP_BODY_LENGTH) {
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)h->content_length);
		proxy_head_add(buf, room, &at, "Content-Length", 14, num,
		    strlen(num));
	}
	if (at + 3 > room)
		return (NULL);
	memcpy(buf + at, "\r\n", 2);
	*len = at + 2;
	return (buf);
}

/*
 * A kept connection is checked like a new one: same client rules. Its
 * address is asked for once and kept with it in the pool.
 */
static bool
fwd_peer_refused(const struct pt_request *r, struct fwd_conn *fc)
{
	socklen_t	sl = sizeof(fc->peer);

	if (fc->peer.ss_family == AF_UNSPEC && getpeername(fc->uc.fd,
	    (struct sockaddr *)&fc->peer, &sl) == -1) {
		fc->peer.ss_family = AF_UNSPEC;
		return (true);
	}
	return (fwd_refused(r, &fc->peer) != NULL);
}

/* A connection to the origin or to parent p (NULL: direct); -1: *status. */
static int
fwd_open(struct pt_request *r, const struct fwd_target *t,
    const struct fwd_parent *p, int *status)
{
	return (p != NULL ? fwd_connect_host(r, t, p->host, p->port, false,
	    status) : fwd_connect_host(r, t, t->host, t->port, true, status));
}

/*
 * One request relayed on a connection for key (idle one first, else
 * fresh through fwd_open). 0 when answered, PROXY_RETRY when nothing
 * reached the other side (try the next parent), a status, -100 answered.
 */
static int
fwd_relay(struct pt_request *r, const struct fwd_target *t,
    const struct fwd_parent *p)
{
	const struct conf_forward	*fw = r->srv->forward;
	struct proxy_ctx		 x;
	struct conf_proxy		*px;
	struct fwd_conn			*fc;
	struct origin_io		 oc;
	const char			*head;
	size_t				 hlen;
	int				 rc, status = 502, stale = 0;

	if ((fc = pt_calloc(r->arena, 1, sizeof(*fc))) == NULL ||
	    (px = pt_alloc(r->arena, sizeof(*px))) == NULL ||
	    (head = fwd_build_head(r, p != NULL, &hlen)) == NULL)
		return (500);
	*px = r->srv->sc.proxy;
	px->redirect_rewrite = false;
	px->pass_server = true;
	px->websocket = false;
	fc->fw = fw;
	snprintf(fc->key, sizeof(fc->key), p != NULL ? "p %s" : "d %s:%d",
	    p != NULL ? p->address : t->host, t->port);
	memset(&x, 0, sizeof(x));
	x.r = r;
	x.px = px;
	x.uc = &fc->uc;
	x.release = fwd_release;
	x.peer = p != NULL ? p->address : pt_printf(r->arena, "%s:%d",
	    t->host, t->port);
	x.buf_size = FWD_BUF;
	if ((x.buf = pt_alloc(r->arena, x.buf_size)) == NULL)
		return (500);
	r->upstream_addr = x.peer;
	origin_idle_sweep(now_ms());
	for (;;) {
		fc->uc.reused = origin_idle_take(fc->key, &oc);
		fc->uc.fd = fc->uc.reused ? oc.fd : -1;
		if (fc->uc.reused)
			fc->peer = oc.peer;
		if (fc->uc.reused && p == NULL && fwd_peer_refused(r, fc)) {
			close(fc->uc.fd);	/* checked again on connect */
			fc->uc.reused = false;
		}
		if (!fc->uc.reused)
			memset(&fc->peer, 0, sizeof(fc->peer));
		if (!fc->uc.reused && (fc->uc.fd = fwd_open(r, t, p,
		    &status)) == -1)
			return (p != NULL && status != -100 ? PROXY_RETRY :
			    status);
		rc = proxy_exchange(&x, head, hlen);
		if (rc == 0)
			break;
		close(fc->uc.fd);
		fc->uc.fd = -1;
		if (rc == PROXY_RETRY && fc->uc.reused && stale++ < 2)
			continue;
		if (rc == PROXY_CLIENT)
			return (400);
		if (rc == PROXY_RETRY && p == NULL)
			rc = 502;
		PT_RLOG(r, PT_LOG_WARN, "forward: %s: %s", x.peer, rc == 504 ?
		    "timed out" : "no valid answer");
		return (rc);
	}
	if (x.rs.status == 101) {
		close(fc->uc.fd);
		return (502);
	}
	rc = proxy_respond(&x);
	if (x.uc != NULL && fc->uc.fd != -1)
		close(fc->uc.fd);	/* failed half way: never reused */
	return (rc == -1 ? PT_ERROR : rc);
}

/*
 * CONNECT through a parent: the parent's 200 is the tunnel's; what it
 * sent past its head goes to the client after our own 200.
 */
static int
fwd_parent_connect(struct pt_request *r, const struct fwd_parent *p,
    int *status, char **extra, size_t *nextra)
{
	const struct http_head	*h = &r->head;
	char			 buf[8192], *end;
	size_t			 got = 0;
	long long		 until;
	ssize_t			 k;
	int			 fd;

	if ((fd = fwd_connect_host(r, NULL, p->host, p->port, false,
	    status)) == -1)
		return (-1);
	k = snprintf(buf, sizeof(buf), "CONNECT %.*s HTTP/1.1\r\nHost: %.*s"
	    "\r\n\r\n", (int)h->authority.len, h->authority.p,
	    (int)h->authority.len, h->authority.p);
	if (write(fd, buf, (size_t)k) != k)
		goto fail;
	until = now_ms() + r->srv->sc.proxy.read_timeout_ms;
	while ((end = memmem(buf, got, "\r\n\r\n", 4)) == NULL) {
		if (got == sizeof(buf) || now_ms() >= until || pt_stop)
			goto fail;
		if ((k = read(fd, buf + got, sizeof(buf) - got)) == 0)
			goto fail;
		if (k > 0)
			got += (size_t)k;
		else if (errno != EAGAIN && errno != EINTR)
			goto fail;
	}
	if (got < 12 || strncmp(buf, "HTTP/1.", 7) != 0 ||
	    strncmp(buf + 9, "200", 3) != 0)
		goto fail;
	end += 4;
	*nextra = got - (size_t)(end - buf);
	if ((*extra = pt_alloc(r->arena, *nextra + 1)) == NULL)
		goto fail;
	memcpy(*extra, end, *nextra);
	return (fd);
 fail:
	PT_RLOG(r, PT_LOG_WARN, "forward: parent %s refused or failed the "
	    "CONNECT", p->address);
	close(fd);
	*status = 502;
	return (-1);
}

/*
 * A CONNECT the tunnel process refused: at a cap, 503 with a page that
 * says which and when to try again; otherwise the plain 503.
 */
static int
fwd_tunnel_refused(struct pt_request *r)
{
	const char	*why;
	char		 body[320];
	int		 n, v = tunnel_last_refusal();

	if (v == TUNNEL_ADDR_FULL)
		why = "This proxy already relays as many tunnels from your "
		    "address as it allows. Close one and try again.";
	else if (v == TUNNEL_FULL)
		why = "This proxy relays as many tunnels as it can. Try again "
		    "later.";
	else
		return (503);
	n = snprintf(body, sizeof(body), "<!DOCTYPE html>\n<html><head>"
	    "<title>Too many tunnels</title></head><body><h1>Too many "
	    "tunnels</h1><p>%s</p></body></html>\n", why);
	if (resp_field_add(r, "Retry-After", "10") == -1 ||
	    resp_send(r, 503, "text/html; charset=utf-8", body,
	    (size_t)n) == -1)
		return (PT_ERROR);
	return (0);
}

/* CONNECT: connect (directly or through a parent), 200, hand over. */
static int
fwd_connect(struct pt_request *r, const struct fwd_target *t)
{
	const struct conf_forward	*fw = r->srv->forward;
	char				*extra = NULL, *to_client;
	size_t				 nextra = 0, i, n;
	int				 fd = -1, status = 502;

	if (fwd_via_parents(fw, t)) {
		for (i = 0; i < fw->nparents && fd == -1; i++) {
			fd = fwd_parent_connect(r, &fw->parents[i], &status,
			    &extra, &nextra);
			if (fd != -1)
				r->upstream_addr = fw->parents[i].address;
		}
		if (fd == -1 && fw->never_direct)
			return (502);
	}
	if (fd == -1) {
		r->upstream_addr = pt_printf(r->arena, "%s:%d", t->host,
		    t->port);
		if ((fd = fwd_connect_host(r, t, t->host, t->port, true,
		    &status)) == -1)
			return (status == -100 ? 0 : status);
	}
	n = sizeof(fwd_established) - 1;
	if (nextra > PT_TUNNEL_PENDING_MAX - n ||
	    (to_client = pt_alloc(r->arena, n + nextra)) == NULL) {
		close(fd);
		return (502);
	}
	memcpy(to_client, fwd_established, n);
	if (nextra > 0)
		memcpy(to_client + n, extra, nextra);
	r->status = 200;
	if (pt_req_tunnel(r, fd, NULL, 0, to_client, n + nextra) != PT_DONE) {
		close(fd);
		r->status = 0;
		return (fwd_tunnel_refused(r));
	}
	return (PT_DONE);
}

int
forward_access(struct pt_request *r)
{
	struct fwd_target	*t;
	int			 rc;

	if ((t = pt_alloc(r->arena, sizeof(*t))) == NULL)
		return (500);
	if ((rc = fwd_target_parse(r, t)) != 0)
		return (rc);
	if ((rc = fwd_decide(r, t)) != PT_OK)
		return (rc == -100 ? FWD_ANSWERED : rc);
	r->fwd_target = t;
	return (PT_OK);
}

int
forward_handler(struct pt_request *r)
{
	const struct conf_forward	*fw = r->srv->forward;
	const struct fwd_target		*t = r->fwd_target;
	size_t				 i;
	int				 rc;

	if (t == NULL)
		return (500);	/* forward_access did not let it through */
	if (t->connect)
		return (fwd_connect(r, t));
	if (fwd_via_parents(fw, t)) {
		for (i = 0; i < fw->nparents; i++) {
			rc = fwd_relay(r, t, &fw->parents[i]);
			if (rc != PROXY_RETRY)
				return (rc == -100 ? 0 : rc);
		}
		if (fw->never_direct)
			return (502);
	}
	rc = fwd_relay(r, t, NULL);
	return (rc == -100 || rc == PROXY_RETRY ? (rc == -100 ? 0 : 502) : rc);
}
