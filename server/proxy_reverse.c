/*
 * The reverse proxy handler: a route with an upstream pool relays the
 * request to one of its servers. This file chooses the server, connects,
 * sends the request (head rebuilt: hop-by-hop fields dropped, the
 * X-Forwarded-* and Forwarded fields added, the framing redone), reads
 * the response head and retries where that is safe. proxy_response.c
 * relays the response.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <portier/request.h>
#include "proxy.h"
#include "proxy_protocol.h"
#include "hooks_priv.h"

#define PROXY_BUF_FIRST		16384
#define PROXY_HEAD_MAX		65536
#define PROXY_BODY_CHUNK	65536
#define PROXY_TICK_MS		1000

static bool
method_idempotent(enum http_method m)
{
	return (m == HTTP_M_GET || m == HTTP_M_HEAD || m == HTTP_M_OPTIONS ||
	    m == HTTP_M_TRACE || m == HTTP_M_PUT || m == HTTP_M_DELETE);
}

/* ASCII case-insensitive equality of two n-byte tokens. */
static bool
proxy_token_eq(const char *a, const char *b, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i]) !=
		    (b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i]))
			return (false);
	return (true);
}

/*
 * The Connection field's value when it names fields to drop, else NULL:
 * tokens other than "keep-alive" (a hop field anyway) and "close" (no
 * field has that reserved name). Saves proxy_is_hop_field a scan of the
 * usual "Connection: keep-alive" for every field.
 */
const struct pt_str *
proxy_hop_list(const struct http_field *conn)
{
	const char	*p, *end, *s;
	size_t		 n;

	if (conn == NULL)
		return (NULL);
	p = conn->value.p;
	end = p + conn->value.len;
	while (p < end) {
		while (p < end && (*p == ',' || *p == ' ' || *p == '\t'))
			p++;
		for (s = p; p < end && *p != ',' && *p != ' ' && *p != '\t'; p++)
			;
		n = (size_t)(p - s);
		if (n > 0 && !str_case_eq(s, n, "keep-alive") &&
		    !str_case_eq(s, n, "close"))
			return (&conn->value);
	}
	return (NULL);
}

/* RFC 9110 7.6.1: fields that belong to one connection, never forwarded. */
bool
proxy_is_hop_field(const struct pt_str *name, const struct pt_str *connection)
{
	const char	*p, *end, *s, *q = name->p;
	size_t		 n, len = name->len;

	/* Runs for every field both ways: most names are ruled out by length. */
	switch (len) {
	case 2:
		if (str_case_eq(q, len, "te"))
			return (true);
		break;
	case 7:
		if (str_case_eq(q, len, "trailer") ||
		    str_case_eq(q, len, "upgrade"))
			return (true);
		break;
	case 10:
		if (str_case_eq(q, len, "connection") ||
		    str_case_eq(q, len, "keep-alive"))
			return (true);
		break;
	case 16:
		if (str_case_eq(q, len, "proxy-connection"))
			return (true);
		break;
	case 17:
		if (str_case_eq(q, len, "transfer-encoding"))
			return (true);
		break;
	case 18:
	case 19:
		if (str_case_eq(q, len, "proxy-authenticate") ||
		    str_case_eq(q, len, "proxy-authorization"))
			return (true);
		break;
	}
	if (connection == NULL)
		return (false);
	p = connection->p;
	end = p + connection->len;
	while (p < end) {
		while (p < end && (*p == ',' || *p == ' ' || *p == '\t'))
			p++;
		for (s = p; p < end && *p != ',' && *p != ' ' && *p != '\t'; p++)
			;
		n = (size_t)(p - s);
		if (n > 0 && n == len && proxy_token_eq(s, q, n))
			return (true);
	}
	return (false);
}

/* Percent-encodes what may not stand in a path as is. */
static char *
proxy_encode_path(struct pt_arena *a, const char *path)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *o;

	if ((out = pt_alloc(a, strlen(path) * 3 + 1)) == NULL)
		return (NULL);
	for (o = out, p = (const unsigned char *)path; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~!$&'()*+,;=:@",
		    *p) != NULL)
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return (out);
}

/* The upstream's request target, in pieces: prefix, "/" or "", path. */
struct proxy_target {
	const char	*pfx, *slash, *path;
	size_t		 pfx_len, plen;
};

/*
 * The upstream's request target: the client's path as received (so the
 * application sees the same bytes), or the rewritten one; the route's
 * prefix stripped and/or replaced as configured. The query is added by
 * the caller.
 */
static int
proxy_target(struct proxy_ctx *x, struct proxy_target *t)
{
	struct pt_request	*r = x->r;
	const struct http_head	*h = &r->head;
	const char		*path, *pfx;
	size_t			 plen, pre = r->route != NULL ?
			    r->route->path_len : 0;
	char			*enc = NULL;

	if (r->path_rewritten || h->form != HTTP_T_ORIGIN) {
		if ((enc = proxy_encode_path(r->arena, r->path)) == NULL)
			return (-1);
		path = enc;
		plen = strlen(enc);
	} else {
		path = h->path.p;
		plen = h->path.len;
	}
	if (x->px->strip_prefix && pre > 1 && plen >= pre - 1 &&
	    strncmp(path, r->route->path, pre - 1) == 0) {
		/* Keep the slash that starts what is left. */
		pre -= r->route->path[pre - 1] == '/' ? 1 : 0;
		path += pre;
		plen -= pre;
	}
	pfx = x->px->prefix != NULL ? x->px->prefix : "";
	t->pfx_len = strlen(pfx);
	if (t->pfx_len > 0 && pfx[t->pfx_len - 1] == '/' && plen > 0 &&
	    path[0] == '/') {
		path++;
		plen--;
	}
	t->pfx = pfx;
	t->slash = pfx[0] == '\0' && (plen == 0 || path[0] != '/') ? "/" : "";
	t->path = path;
	t->plen = plen;
	return (0);
}

/* Copies n bytes to buf at *at; the caller sized buf. */
static void
proxy_put(char *buf, size_t *at, const char *p, size_t n)
{
	memcpy(buf + *at, p, n);
	*at += n;
}

/* "METHOD target HTTP/1.1\r\n", without printf: this runs per request. */
static void
proxy_request_line(const struct http_head *h, const struct proxy_target *t,
    char *buf, size_t *at)
{
	proxy_put(buf, at, h->method.p, h->method.len);
	proxy_put(buf, at, " ", 1);
	proxy_put(buf, at, t->pfx, t->pfx_len);
	proxy_put(buf, at, t->slash, strlen(t->slash));
	proxy_put(buf, at, t->path, t->plen);
	if (h->has_query) {
		proxy_put(buf, at, "?", 1);
		proxy_put(buf, at, h->query.p, h->query.len);
	}
	proxy_put(buf, at, " HTTP/1.1\r\n", 11);
}

/* Appends "Name: value\r\n" to the head being built. */
void
proxy_head_add(char *buf, size_t room, size_t *at, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	if (*at + nlen + vlen + 4 > room) {
		*at = room + 1;		/* marks the overflow */
		return;
	}
	memcpy(buf + *at, name, nlen);
	*at += nlen;
	memcpy(buf + *at, ": ", 2);
	*at += 2;
	memcpy(buf + *at, value, vlen);
	*at += vlen;
	memcpy(buf + *at, "\r\n", 2);
	*at += 2;
}

#define head_add	proxy_head_add
#define HEAD_ADD(b, room, at, n, v)	head_add((b), (room), (at), (n), \
	    strlen(n), (v), strlen(v))

/* Whether the client's own X-Forwarded-For / Forwarded can be believed. */
static bool
proxy_peer_trusted(const struct pt_request *r)
{
	return (r->conf->trusted_proxies.n > 0 &&
	    cidr_list_match(&r->conf->trusted_proxies, &r->conn->peer));
}

/* The client's fields that go on, minus hop-by-hop and what we redo. */
static void
proxy_copy_fields(struct proxy_ctx *x, char *buf, size_t room, size_t *at)
{
	const struct http_head	*h = &x->r->head;
	const struct pt_str	*cv = proxy_hop_list(http_head_field(h,
				    "connection"));
	bool			 trusted = proxy_peer_trusted(x->r);
	const struct pt_str	*n;
	size_t			 i;

	for (i = 0; i < h->nfields; i++) {
		n = &h->fields[i].name;
		if (proxy_is_hop_field(n, cv) || str_case_eq(n->p, n->len,
		    "host") || str_case_eq(n->p, n->len, "content-length") ||
		    str_case_eq(n->p, n->len, "expect"))
			continue;
		/* Replaced by ours unless they come from a trusted proxy. */
		if (!trusted && x->px->forwarded_for &&
		    (str_case_eq(n->p, n->len, "x-forwarded-for") ||
		    str_case_eq(n->p, n->len, "x-forwarded-proto") ||
		    str_case_eq(n->p, n->len, "x-forwarded-host")))
			continue;
		if (str_case_eq(n->p, n->len, "x-forwarded-for") &&
		    x->px->forwarded_for)
			continue;	/* appended to below */
		if (!trusted && x->px->forwarded &&
		    str_case_eq(n->p, n->len, "forwarded"))
			continue;
		head_add(buf, room, at, n->p, n->len, h->fields[i].value.p,
		    h->fields[i].value.len);
	}
}

/* X-Forwarded-*, RFC 7239 Forwarded and Via, as configured. */
static void
proxy_add_forwarded(struct proxy_ctx *x, char *buf, size_t room, size_t *at)
{
	struct pt_request	*r = x->r;
	const struct http_field	*f;
	const char		*client = r->conn->client;
	const char		*proto = r->conn->secure ? "https" : "http";
	char			*v;
	bool			 v6 = strchr(client, ':') != NULL;

	if (x->px->forwarded_for) {
		f = proxy_peer_trusted(r) ?
		    http_head_field(&r->head, "x-forwarded-for") : NULL;
		v = f != NULL ? pt_printf(r->arena, "%.*s, %s",
		    (int)f->value.len, f->value.p, client) : (char *)client;
		HEAD_ADD(buf, room, at, "X-Forwarded-For", v != NULL ? v : client);
		if (!proxy_peer_trusted(r) ||
		    http_head_field(&r->head, "x-forwarded-proto") == NULL)
			HEAD_ADD(buf, room, at, "X-Forwarded-Proto", proto);
		if ((!proxy_peer_trusted(r) ||
		    http_head_field(&r->head, "x-forwarded-host") == NULL) &&
		    r->head.host.len > 0)
			head_add(buf, room, at, "X-Forwarded-Host", 16,
			    r->head.host.p, r->head.host.len);
	}
	if (x->px->forwarded) {
		f = proxy_peer_trusted(r) ?
		    http_head_field(&r->head, "forwarded") : NULL;
		v = pt_printf(r->arena, "%.*s%sfor=%s%s%s%s;proto=%s;host=\"%.*s\"",
		    f != NULL ? (int)f->value.len : 0, f != NULL ? f->value.p : "",
		    f != NULL ? ", " : "", v6 ? "\"[" : "", client, v6 ? "]" : "",
		    v6 ? "\"" : "", proto, (int)r->head.host.len, r->head.host.p);
		if (v != NULL)
			HEAD_ADD(buf, room, at, "Forwarded", v);
	}
	if (x->px->via) {
		f = http_head_field(&r->head, "via");
		v = f != NULL ? pt_printf(r->arena, "%.*s, 1.1 portier",
		    (int)f->value.len, f->value.p) : (char *)"1.1 portier";
		if (v != NULL)
			HEAD_ADD(buf, room, at, "Via", v);
	}
}

/*
 * The request head for the upstream, in the request's arena. The body's
 * framing is redone: Content-Length as received, or chunked.
 */
char *
proxy_build_head(struct proxy_ctx *x, size_t *len)
{
	struct pt_request	*r = x->r;
	const struct http_head	*h = &r->head;
	struct proxy_target	 t;
	char			*buf, num[24];
	size_t			 room = 1024, at = 0, i;

	if (proxy_target(x, &t) == -1)
		return (NULL);
	for (i = 0; i < h->nfields; i++)
		room += h->fields[i].name.len + h->fields[i].value.len + 4;
	room += 2 * r->head.host.len + 256 + 2 * sizeof(r->conn->client);
	room += h->method.len + t.pfx_len + t.plen + h->query.len + 16;
	if ((buf = pt_alloc(r->arena, room)) == NULL)
		return (NULL);
	proxy_request_line(h, &t, buf, &at);
	if (x->host != NULL)
		HEAD_ADD(buf, room, &at, "Host", x->host);
	else if (h->host.len > 0)
		head_add(buf, room, &at, "Host", 4, h->host.p, h->host.len);
	proxy_copy_fields(x, buf, room, &at);
	proxy_add_forwarded(x, buf, room, &at);
	if (x->req_buffered) {	/* read ahead: the length is known now */
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)x->req_total);
		HEAD_ADD(buf, room, &at, "Content-Length", num);
	} else if (h->framing == HTTP_BODY_CHUNKED)
		HEAD_ADD(buf, room, &at, "Transfer-Encoding", "chunked");
	else if (h->framing == HTTP_BODY_LENGTH) {
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)h->content_length);
		HEAD_ADD(buf, room, &at, "Content-Length", num);
	}
	if (h->upgrade && x->px->websocket) {
		const struct http_field *u = http_head_field(h, "upgrade");

		head_add(buf, room, &at, "Upgrade", 7, u->value.p, u->value.len);
		HEAD_ADD(buf, room, &at, "Connection", "upgrade");
	}
	if (at + 3 > room)
		return (NULL);
	memcpy(buf + at, "\r\n", 2);
	*len = at + 2;
	return (buf);
}

/* Writes all of iov to the upstream within deadline (the socket ticks). */
int
proxy_write(struct proxy_ctx *x, struct iovec *iov, int n, long long deadline)
{
	ssize_t k;

	while (n > 0) {
		k = x->uc->io != NULL ? x->uc->io->writev(x->uc->io_ctx,
		    x->uc->fd, iov, n) : writev(x->uc->fd, iov, n);
		if (k == -1) {
			if ((errno == EINTR || errno == EAGAIN) && !pt_stop &&
			    now_ms() < deadline)
				continue;
			return (-1);
		}
		while (n > 0 && (size_t)k >= iov->iov_len) {
			k -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return (0);
}

ssize_t
proxy_read_more(struct proxy_ctx *x)
{
	ssize_t n;

	if (x->buf_off > 0 && x->buf_off == x->buf_len)
		x->buf_off = x->buf_len = 0;
	if (x->buf_len == x->buf_size)
		return (-1);
	for (;;) {
		n = x->uc->io != NULL ? x->uc->io->read(x->uc->io_ctx,
		    x->uc->fd, x->buf + x->buf_len, x->buf_size - x->buf_len) :
		    read(x->uc->fd, x->buf + x->buf_len, x->buf_size - x->buf_len);
		if (n >= 0) {
			x->buf_len += (size_t)n;
			return (n);
		}
		if ((errno != EINTR && errno != EAGAIN) || pt_stop)
			return (-1);
		if (now_ms() >= x->read_deadline_ms) {
			errno = ETIMEDOUT;
			return (-1);
		}
	}
}

/*
 * The request body, streamed from the client to the upstream: as received
 * for Content-Length, re-chunked for chunked. PROXY_CLIENT when the client
 * fails (bad framing, timeout, over the limit).
 */
static int
proxy_send_body(struct proxy_ctx *x, long long deadline)
{
	struct pt_request	*r = x->r;
	struct iovec		 iov[3];
	char			*buf, size[24];
	bool			 chunked = r->head.framing == HTTP_BODY_CHUNKED;
	ssize_t			 n;

	if (!pt_req_has_body(r))
		return (0);
	if (x->req_buffered)
		return (proxy_reqbuf_send(x, deadline));
	if ((buf = pt_alloc(r->arena, PROXY_BODY_CHUNK)) == NULL)
		return (500);
	for (;;) {
		n = pt_req_body_read(r, buf, PROXY_BODY_CHUNK);
		if (n < 0)
			return (PROXY_CLIENT);
		if (n == 0)
			break;
		iov[0].iov_base = size;
		iov[0].iov_len = (size_t)snprintf(size, sizeof(size), "%zx\r\n",
		    (size_t)n);
		iov[1].iov_base = buf;
		iov[1].iov_len = (size_t)n;
		iov[2].iov_base = "\r\n";
		iov[2].iov_len = 2;
		if (proxy_write(x, chunked ? iov : iov + 1, chunked ? 3 : 1,
		    deadline) == -1)
			return (502);
	}
	if (chunked) {
		iov[0].iov_base = "0\r\n\r\n";
		iov[0].iov_len = 5;
		if (proxy_write(x, iov, 1, deadline) == -1)
			return (502);
	}
	return (0);
}

/* Reads the response head, skipping interim 1xx answers but 101. */
static int
proxy_read_head(struct proxy_ctx *x, bool *got_bytes)
{
	struct pt_request	*r = x->r;
	struct http_limits	 lim = { (size_t)r->conf->limits.line,
				    (size_t)r->conf->limits.field,
				    (size_t)r->conf->limits.fields };
	ssize_t			 n;
	int			 rc;

	x->read_deadline_ms = now_ms() + x->px->read_timeout_ms;
	for (;;) {
		if (x->buf_len > x->buf_off) {
			rc = http_parse_response(r->arena, x->buf + x->buf_off,
			    x->buf_len - x->buf_off, &lim, r->head.method_id,
			    &x->rs);
			if (rc == 0 && x->rs.status >= 100 && x->rs.status < 200 &&
			    x->rs.status != 101) {
				x->buf_off += x->rs.head_len;
				continue;
			}
			if (rc != HTTP_PARSE_AGAIN)
				return (rc);
		}
		if (x->buf_off > 0) {
			memmove(x->buf, x->buf + x->buf_off, x->buf_len - x->buf_off);
			x->buf_len -= x->buf_off;
			x->buf_off = 0;
		}
		if ((n = proxy_read_more(x)) > 0) {
			*got_bytes = true;
			continue;
		}
		if (n == 0 || errno != ETIMEDOUT)
			return (*got_bytes ? 502 : PROXY_RETRY);
		return (504);
	}
}

/*
 * One attempt on the connection in x->uc: the head, the body, the response
 * head. PROXY_RETRY when the upstream closed or failed before answering
 * anything and nothing of the client's body was consumed.
 */
int
proxy_exchange(struct proxy_ctx *x, const char *head, size_t hlen)
{
	struct pt_request	*r = x->r;
	struct iovec		 iov;
	long long		 deadline = now_ms() + x->px->send_timeout_ms;
	bool			 got = false;
	int			 rc;

	iov.iov_base = (void *)(uintptr_t)head;
	iov.iov_len = hlen;
	x->buf_len = x->buf_off = 0;
	if (proxy_write(x, &iov, 1, deadline) == -1)
		return (r->body_total == 0 ? PROXY_RETRY : 502);
	if ((rc = proxy_send_body(x, deadline)) != 0)
		return (rc);
	x->body_sent = true;
	rc = proxy_read_head(x, &got);
	if (rc == PROXY_RETRY && r->body_total > 0 && !x->req_buffered)
		return (502);	/* the body is gone: it cannot be sent again */
	return (rc);
}

static void
proxy_log_failure(struct proxy_ctx *x, int rc, int err)
{
	PT_RLOG(x->r, PT_LOG_WARN, "upstream %s: server %s: %s", x->pool->name,
	    x->server->address, rc == 504 ? "timed out" : rc == PROXY_RETRY ?
	    "closed before answering" : err != 0 ? strerror(err) :
	    "invalid response");
}

/* The PROXY protocol header, first on a fresh upstream connection. */
static int
proxy_send_pp(struct proxy_ctx *x)
{
	struct sockaddr_storage	 local;
	socklen_t		 sl = sizeof(local);
	unsigned char		 buf[PP_V2_MAX];
	struct iovec		 iov;
	size_t			 n;

	if (getsockname(x->r->conn->fd, (struct sockaddr *)&local, &sl) == -1)
		return (-1);
	n = x->pool->send_proxy_protocol == 2 ?
	    pp_build_v2(&x->r->conn->peer, &local, buf, sizeof(buf)) :
	    pp_build_v1(&x->r->conn->peer, &local, (char *)buf, sizeof(buf));
	if (n == 0)
		return (-1);
	iov.iov_base = buf;
	iov.iov_len = n;
	return (proxy_write(x, &iov, 1, now_ms() + x->px->send_timeout_ms));
}

/*
 * A new connection: the PROXY header first (in the clear, it precedes any
 * TLS), then the upstream_transport hook may put a transport on it.
 */
static int
proxy_new_conn(struct proxy_ctx *x)
{
	struct pt_upstream	u = { .uc = x->uc, .r = x->r };

	if (x->pool->send_proxy_protocol != 0 && proxy_send_pp(x) == -1)
		return (-1);
	if (hooks_run_upstream(x->r->conf->hooks, &u) == PT_ERROR) {
		PT_RLOG(x->r, PT_LOG_WARN, "upstream %s: server %s: transport "
		    "set-up failed", x->pool->name, x->server->address);
		return (-1);
	}
	return (0);
}

/*
 * Chooses servers and tries them: a failed connect moves to the next
 * server; a failure before any response byte is tried again only for
 * idempotent requests whose body (if any) was not consumed. A stale kept
 * connection is replaced by a fresh one to the same server for free.
 */
static int
proxy_attempts(struct proxy_ctx *x, const char *head, size_t hlen)
{
	struct pt_request	*r = x->r;
	struct conf_upstream	*pool = x->pool;
	struct upstream_server	*tried[16];
	size_t			 ntried = 0;
	long long		 until = now_ms() + pool->try_timeout_ms;
	/* A body read ahead can be sent again; one streamed cannot. */
	bool			 idem = method_idempotent(r->head.method_id) &&
				    (!pt_req_has_body(r) || x->req_buffered);
	/* A PROXY header names one client: such connections are never shared. */
	bool			 fresh = !idem || pool->send_proxy_protocol != 0;
	int			 rc = 503, stale = 0;

	while (ntried < (size_t)pool->tries && ntried < 16 && now_ms() < until) {
		if ((x->server = upstream_pick(pool, r, tried, ntried)) == NULL)
			break;
		tried[ntried++] = x->server;
 again:
		if ((x->uc = upstream_conn_get(x->server, fresh)) == NULL) {
			rc = errno == ETIMEDOUT ? 504 : 502;
			proxy_log_failure(x, rc, errno);
			continue;
		}
		r->upstream_addr = x->server->address;
		if (!x->uc->reused && proxy_new_conn(x) == -1) {
			upstream_conn_put(x->uc, false, true);
			x->uc = NULL;
			rc = 502;
			continue;
		}
		if ((rc = proxy_exchange(x, head, hlen)) == 0)
			return (0);
		if (rc == PROXY_RETRY && x->uc->reused && stale++ < 2) {
			upstream_conn_put(x->uc, false, false);
			goto again;
		}
		if (rc == PROXY_CLIENT || rc == 500) {
			upstream_conn_put(x->uc, false, false);
			x->uc = NULL;
			return (rc);
		}
		proxy_log_failure(x, rc, 0);
		upstream_conn_put(x->uc, false, true);
		x->uc = NULL;
		if (rc == PROXY_RETRY)
			rc = 502;
		if (!idem)
			return (rc);
	}
	if (rc == 503)
		PT_RLOG(r, PT_LOG_ERR, "upstream %s: no server available",
		    pool->name);
	return (rc);
}

int
proxy_handler(struct pt_request *r)
{
	struct proxy_ctx	 x;
	char			*head;
	size_t			 hlen;
	int			 rc;

	if (r->upstream_adhoc != NULL)
		return (proxy_adhoc(r));
	memset(&x, 0, sizeof(x));
	x.r = r;
	if (r->upstream_override != NULL) {
		/* A rewrite chose the pool and the path: no prefix mapping. */
		struct conf_proxy *px = pt_alloc(r->arena, sizeof(*px));

		if (px == NULL)
			return (500);
		*px = r->route != NULL ? r->route->sc.proxy : r->srv->sc.proxy;
		px->strip_prefix = false;
		px->prefix = NULL;
		x.pool = r->upstream_override;
		x.px = px;
	} else {
		x.pool = r->route->upstream;
		x.px = &r->route->sc.proxy;
	}
	x.buf_size = PROXY_HEAD_MAX;
	if (x.px->request_buffering && pt_req_has_body(r) &&
	    (rc = proxy_reqbuf_read(&x)) != 0)
		return (rc);
	if ((x.buf = pt_alloc(r->arena, x.buf_size)) == NULL ||
	    (head = proxy_build_head(&x, &hlen)) == NULL)
		return (500);
	if ((rc = proxy_attempts(&x, head, hlen)) != 0)
		return (rc == PROXY_CLIENT ? 400 : rc);
	if (x.rs.status == 101)
		rc = proxy_upgrade(&x);
	else
		rc = proxy_respond(&x);
	if (x.uc != NULL) {
		upstream_conn_put(x.uc, rc == 0 && x.resp_done && x.body_sent &&
		    x.rs.keep_alive && x.pool->send_proxy_protocol == 0,
		    x.failed);
		if (rc == 0 && !x.failed)
			upstream_note_success(x.server);
	}
	return (rc);
}
