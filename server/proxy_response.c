/*
 * The reverse proxy's response side: the upstream's fields made fit for
 * the client (hop-by-hop dropped, Server hidden, redirects and cookies
 * mapped back to the public address), then the body, either read ahead
 * into memory and a temporary file so the upstream connection is free
 * while a slow client drains, or streamed.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <portier/request.h>
#include <portier/tunnel.h>
#include "proxy.h"
#include "vars.h"

/* The public form of a path the upstream sees under its prefix. */
static const char *
proxy_unmap_path(struct proxy_ctx *x, const char *rest)
{
	const struct conf_route	*rt = x->r->route;
	const char		*pfx = x->px->prefix != NULL ? x->px->prefix : "";
	size_t			 pl = strlen(pfx), rl;

	if ((!x->px->strip_prefix && pl == 0) || rt == NULL)
		return (rest);
	rl = rt->path_len;
	if (pl > 0) {
		if (strncmp(rest, pfx, pl) != 0)
			return (rest);
		rest += pl;
	}
	if (x->px->strip_prefix && rl > 1) {
		rl -= rt->path[rl - 1] == '/' ? 1 : 0;
		return (pt_printf(x->r->arena, "%.*s%s%s", (int)rl, rt->path,
		    rest[0] == '/' ? "" : "/", rest));
	}
	return (rest);
}

/*
 * Location, Content-Location, Refresh: a URL on the upstream's own address
 * becomes one on the address the client used (Apache's ProxyPassReverse,
 * nginx's proxy_redirect default).
 */
static const char *
proxy_rewrite_url(struct proxy_ctx *x, const char *v)
{
	const struct upstream_server	*s = x->server;
	const struct http_head		*h = &x->r->head;
	const char			*rest = NULL, *url, *cand[2];
	char				 hp[300];
	size_t				 i, n;

	if ((url = strcasestr(v, "url=")) != NULL)	/* Refresh: "5; url=" */
		url += 4;
	else
		url = v;
	cand[0] = s->address;
	snprintf(hp, sizeof(hp), "%s:%d", s->host, s->port);
	cand[1] = hp;
	for (i = 0; i < 2 && rest == NULL; i++) {
		n = strlen(cand[i]);
		if (strncasecmp(url, "http://", 7) == 0 &&
		    strncasecmp(url + 7, cand[i], n) == 0 &&
		    (url[7 + n] == '/' || url[7 + n] == '\0'))
			rest = url + 7 + n;
	}
	if (rest == NULL && url[0] == '/' && url[1] != '/')
		return (pt_printf(x->r->arena, "%.*s%s", (int)(url - v), v,
		    proxy_unmap_path(x, url)));
	if (rest == NULL)
		return (v);
	return (pt_printf(x->r->arena, "%.*s%s://%.*s%s", (int)(url - v), v,
	    x->r->conn->secure ? "https" : "http",
	    (int)h->host.len, h->host.p, proxy_unmap_path(x,
	    rest[0] != '\0' ? rest : "/")));
}

/*
 * Set-Cookie: a Domain that is the upstream's own host becomes the host the
 * client asked for, without its port (Apache's ProxyPassReverseCookieDomain,
 * nginx's proxy_cookie_domain); without a Host the attribute is dropped, so
 * the cookie is the host's only.
 */
static const char *
proxy_rewrite_cookie_domain(struct proxy_ctx *x, const char *v)
{
	const struct pt_str	*h = &x->r->head.host;
	const char		*a, *d, *start, *end, *host;
	size_t			 dl, hl, hn;

	if (x->server == NULL || x->peer != NULL || x->server->host == NULL)
		return (v);
	for (a = strchr(v, ';'); a != NULL; a = strchr(a + 1, ';')) {
		d = a + 1;
		while (*d == ' ' || *d == '\t')
			d++;
		if (strncasecmp(d, "domain=", 7) == 0)
			break;
	}
	if (a == NULL)
		return (v);
	d += 7;
	end = strchr(d, ';');
	if (end == NULL)
		end = d + strlen(d);
	start = d;
	dl = (size_t)(end - d);
	while (dl > 0 && (d[dl - 1] == ' ' || d[dl - 1] == '\t'))
		dl--;
	if (dl > 0 && d[0] == '.') {
		d++;
		dl--;
	}
	host = x->server->host;
	hl = strlen(host);
	if (dl != hl || strncasecmp(d, host, hl) != 0)
		return (v);
	/* The client's Host without its port ("[::1]:8080" keeps "[::1]"). */
	for (hn = h->len; hn > 0 && h->p[hn - 1] >= '0' && h->p[hn - 1] <= '9';
	    hn--)
		;
	hn = hn > 0 && hn < h->len && h->p[hn - 1] == ':' ? hn - 1 : h->len;
	if (hn == 0 || memchr(h->p, ';', hn) != NULL)
		return (pt_printf(x->r->arena, "%.*s%s", (int)(a - v), v, end));
	return (pt_printf(x->r->arena, "%.*s%.*s%s", (int)(start - v), v, (int)hn,
	    h->p, end));
}

/* Set-Cookie: Path under the upstream's prefix maps back to the route. */
static const char *
proxy_rewrite_cookie(struct proxy_ctx *x, const char *v)
{
	const char	*p;
	const char	*end, *mapped;
	char		*path;

	if ((v = proxy_rewrite_cookie_domain(x, v)) == NULL)
		return (NULL);
	p = strcasestr(v, "; path=");
	if (p == NULL || (!x->px->strip_prefix && (x->px->prefix == NULL ||
	    x->px->prefix[0] == '\0')))
		return (v);
	p += 7;
	end = strchr(p, ';');
	if (end == NULL)
		end = p + strlen(p);
	if ((path = pt_strndup(x->r->arena, p, (size_t)(end - p))) == NULL)
		return (v);
	mapped = proxy_unmap_path(x, path);
	return (pt_printf(x->r->arena, "%.*s%s%s", (int)(p - v), v, mapped, end));
}

static int
proxy_resp_fields(struct proxy_ctx *x)
{
	struct pt_request	*r = x->r;
	const struct http_field	*f, *conn = NULL;
	const struct pt_str	*hops;
	const char		*name, *value;
	size_t			 i;

	for (i = 0; i < x->rs.nfields; i++)
		if (str_case_eq(x->rs.fields[i].name.p, x->rs.fields[i].name.len,
		    "connection"))
			conn = &x->rs.fields[i];
	hops = proxy_hop_list(conn);
	for (i = 0; i < x->rs.nfields; i++) {
		f = &x->rs.fields[i];
		if (proxy_is_hop_field(&f->name, hops) || str_case_eq(f->name.p, f->name.len,
		    "content-length"))
			continue;
		if (str_case_eq(f->name.p, f->name.len, "server")) {
			if (!x->px->pass_server)
				continue;
			r->keep_server = true;
		}
		name = pt_strndup(r->arena, f->name.p, f->name.len);
		value = pt_strndup(r->arena, f->value.p, f->value.len);
		if (name == NULL || value == NULL)
			return (-1);
		if (x->px->redirect_rewrite &&
		    (str_case_eq(f->name.p, f->name.len, "location") ||
		    str_case_eq(f->name.p, f->name.len, "content-location") ||
		    str_case_eq(f->name.p, f->name.len, "refresh")))
			value = proxy_rewrite_url(x, value);
		else if (str_case_eq(f->name.p, f->name.len, "set-cookie"))
			value = proxy_rewrite_cookie(x, value);
		if (value == NULL || resp_field_add(r, name, value) == -1)
			return (-1);
	}
	return (0);
}

/*
 * The next piece of the response body, decoded from its framing. Returns
 * 0 with *p and *n set (valid until the next call), 1 at the end, -1 when the
 * upstream failed (closed early, timed out, bad chunked framing).
 */
static int
proxy_body_piece(struct proxy_ctx *x, const char **p, size_t *n)
{
	size_t	avail, used, off, dlen;
	ssize_t	k;
	int	rc;

	for (;;) {
		avail = x->buf_len - x->buf_off;
		if (x->rs.framing == HTTP_RESP_LENGTH && x->body_left == 0)
			return (1);
		if (avail > 0) {
			*p = x->buf + x->buf_off;
			if (x->rs.framing == HTTP_RESP_LENGTH) {
				*n = avail < x->body_left ? avail : x->body_left;
				x->body_left -= *n;
				x->buf_off += *n;
				return (0);
			}
			if (x->rs.framing == HTTP_RESP_CLOSE) {
				*n = avail;
				x->buf_off += avail;
				return (0);
			}
			rc = http_chunked_step(&x->chunk, x->buf + x->buf_off,
			    avail, &used, &off, &dlen);
			*p = x->buf + x->buf_off + off;
			*n = dlen;
			x->buf_off += used;
			if (rc == 400)
				return (-1);
			if (dlen > 0)
				return (0);
			if (rc == 1)
				return (1);
			continue;
		}
		x->buf_off = x->buf_len = 0;
		x->read_deadline_ms = now_ms() + x->px->read_timeout_ms;
		if ((k = proxy_read_more(x)) == 0)
			return (x->rs.framing == HTTP_RESP_CLOSE ? 1 : -1);
		if (k < 0)
			return (-1);
	}
}

/* The upstream is done with: keep it for the next request when it can be. */
static void
proxy_release(struct proxy_ctx *x)
{
	if (x->uc == NULL)
		return;
	if (x->release != NULL) {
		x->release(x, x->body_sent && x->rs.keep_alive &&
		    x->buf_off == x->buf_len);
		x->uc = NULL;
		return;
	}
	upstream_conn_put(x->uc, x->body_sent && x->rs.keep_alive &&
	    x->buf_off == x->buf_len && x->pool->send_proxy_protocol == 0, false);
	upstream_note_success(x->server);
	x->uc = NULL;
}

/* Streams the body as it comes, after the head unless it went already. */
static int
proxy_stream(struct proxy_ctx *x, bool head, int64_t length)
{
	const char	*p;
	size_t		 n;
	int		 rc;

	if (head && resp_send_head(x->r, x->rs.status, length) == -1)
		return (-1);
	while ((rc = proxy_body_piece(x, &p, &n)) == 0)
		if (n > 0 && resp_stream(x->r, p, n, false) == -1)
			return (-1);
	if (rc == -1) {
		x->failed = true;
		PT_RLOG(x->r, PT_LOG_WARN, "upstream %s: server %s: response "
		    "body cut short", x->peer != NULL ? "(forward)" :
		    x->pool->name, x->peer != NULL ? x->peer :
		    x->server->address);
		return (-1);	/* the client sees a truncated body */
	}
	x->resp_done = true;
	return (resp_stream(x->r, NULL, 0, true));
}

/* Where the read-ahead body goes: memory first, then a temporary file. */
struct proxy_spool {
	char	*mem;
	size_t	 mem_len, mem_cap;
	int	 fd;		/* -1 until memory is full */
	off_t	 file_len;
};

/* Keeps a piece; 1 when the spool would pass its limits (stream instead). */
static int
proxy_spool_add(struct proxy_ctx *x, struct proxy_spool *sp, const char *p,
    size_t n)
{
	if (sp->fd == -1 && sp->mem_len + n <= sp->mem_cap) {
		memcpy(sp->mem + sp->mem_len, p, n);
		sp->mem_len += n;
		return (0);
	}
	if ((long long)(sp->mem_len + (size_t)sp->file_len + n) >
	    x->px->buffer_max_temp)
		return (1);
	if (sp->fd == -1) {
		/* Memory is full: the file takes all of it, then the rest. */
		if ((sp->fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC,
		    0600)) == -1) {
			PT_LOG_ERRNO(PT_LOG_WARN, "proxy buffer: temporary file");
			return (1);
		}
		if (write(sp->fd, sp->mem, sp->mem_len) != (ssize_t)sp->mem_len)
			return (1);
		sp->file_len = (off_t)sp->mem_len;
		sp->mem_len = 0;
	}
	if (write(sp->fd, p, n) != (ssize_t)n)
		return (1);
	sp->file_len += (off_t)n;
	return (0);
}

/* Sends what was spooled; with done, the whole body of known length. */
static int
proxy_spool_send(struct proxy_ctx *x, struct proxy_spool *sp)
{
	struct pt_request	*r = x->r;
	char			 chunk[16384];
	off_t			 off = 0;
	ssize_t			 k;

	if (sp->mem_len > 0 && resp_stream(r, sp->mem, sp->mem_len, false) == -1)
		return (-1);
	while (sp->fd != -1 && off < sp->file_len) {
		if ((k = pread(sp->fd, chunk, sizeof(chunk), off)) <= 0 ||
		    resp_stream(r, chunk, (size_t)k, false) == -1)
			return (-1);
		off += k;
	}
	return (0);
}

/*
 * Response buffering (nginx's proxy_buffering): the body is read ahead so
 * the upstream connection goes back to the pool before a slow client has
 * drained it. A body past buffer_max_temp is streamed from there on.
 */
static int
proxy_buffered(struct proxy_ctx *x)
{
	struct pt_request	*r = x->r;
	struct proxy_spool	 sp = { NULL, 0, 0, -1, 0 };
	const char		*p;
	size_t			 n;
	int			 rc, over = 0;

	sp.mem_cap = (size_t)x->px->buffer_size;
	if ((sp.mem = pt_alloc(r->arena, sp.mem_cap)) == NULL)
		return (proxy_stream(x, true, x->rs.framing == HTTP_RESP_LENGTH ?
		    (int64_t)x->rs.content_length : -1));
	while ((rc = proxy_body_piece(x, &p, &n)) == 0)
		if ((over = proxy_spool_add(x, &sp, p, n)) != 0)
			break;
	if (rc == -1) {
		x->failed = true;
		if (sp.fd != -1)
			close(sp.fd);
		PT_RLOG(r, PT_LOG_WARN, "upstream %s: server %s: response body "
		    "cut short", x->peer != NULL ? "(forward)" : x->pool->name,
		    x->peer != NULL ? x->peer : x->server->address);
		return (502);
	}
	if (!over) {
		x->resp_done = true;
		proxy_release(x);
		rc = sp.fd == -1 ? resp_send(r, x->rs.status, NULL, sp.mem,
		    sp.mem_len) : resp_send_file(r, x->rs.status, NULL, sp.fd, 0,
		    sp.file_len);
		if (sp.fd != -1)
			close(sp.fd);
		return (rc);
	}
	/* Too large to hold: what is held goes first, then the rest streams. */
	rc = resp_send_head(r, x->rs.status, x->rs.framing == HTTP_RESP_LENGTH ?
	    (int64_t)(sp.mem_len + (size_t)sp.file_len + n + x->body_left) : -1);
	if (rc == 0)
		rc = proxy_spool_send(x, &sp);
	if (sp.fd != -1)
		close(sp.fd);
	if (rc == 0 && resp_stream(r, p, n, false) == -1)
		rc = -1;
	if (rc == -1)
		return (-1);
	return (proxy_stream(x, false, 0));
}

/* Sticky sessions: a client not yet bound to this server is told to be. */
static void
proxy_sticky(struct proxy_ctx *x)
{
	struct pt_request	*r = x->r;
	const char		*want, *cookie;
	struct pt_str		 have;
	char			 tmp[64];

	if (x->pool == NULL || x->pool->sticky_cookie == NULL ||
	    x->pool->sticky_var == NULL)
		return;
	want = upstream_sticky_value(x->server);
	if (var_lookup(r, x->pool->sticky_var, strlen(x->pool->sticky_var),
	    &have, tmp, sizeof(tmp)) == 0 && have.len == strlen(want) &&
	    memcmp(have.p, want, have.len) == 0)
		return;
	cookie = pt_printf(r->arena, "%s=%s; Path=/; HttpOnly",
	    x->pool->sticky_cookie, want);
	if (cookie != NULL)
		resp_field_add(r, "Set-Cookie", cookie);
}

int
proxy_respond(struct proxy_ctx *x)
{
	struct pt_request	*r = x->r;
	const struct http_field	*f;
	int64_t			 length = -1;

	if (proxy_resp_fields(x) == -1)
		return (500);
	proxy_sticky(x);
	x->buf_off += x->rs.head_len;
	if (x->rs.framing == HTTP_RESP_LENGTH) {
		x->body_left = x->rs.content_length;
		length = (int64_t)x->rs.content_length;
	}
	if (x->rs.framing == HTTP_RESP_NONE) {
		x->resp_done = true;
		/* HEAD: the length the upstream announced for a GET. */
		for (size_t i = 0; r->head_only && i < x->rs.nfields; i++) {
			f = &x->rs.fields[i];
			if (str_case_eq(f->name.p, f->name.len, "content-length"))
				length = (int64_t)strtoll(f->value.p, NULL, 10);
		}
		if (x->rs.status == 204 || x->rs.status == 304 ||
		    x->rs.status < 200)
			length = 0;
		proxy_release(x);
		return (resp_send_head(r, x->rs.status, length) == -1 ? -1 : 0);
	}
	if (x->px->buffering && !r->head_only)
		return (proxy_buffered(x));
	return (proxy_stream(x, true, length));
}

/* Every byte to the upstream socket, within the send timeout. */
static int
proxy_up_write(struct proxy_ctx *x, const char *p, size_t n)
{
	long long	 until = now_ms() + x->px->send_timeout_ms;
	ssize_t		 k;

	while (n > 0) {
		if ((k = write(x->uc->fd, p, n)) > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k == -1 && (errno == EINTR || errno == EAGAIN) &&
		    !pt_stop && now_ms() < until)
			continue;
		return (-1);
	}
	return (0);
}

static int
proxy_client_write(struct pt_request *r, const char *p, size_t n)
{
	struct iovec	 iov;

	if (n == 0)
		return (0);
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = n;
	if (write_full(r->conn, &iov, 1) == -1)
		return (-1);
	r->bytes_out += n;
	return (0);
}

/*
 * An upgraded stream over TLS that Portier terminates: its state lives in
 * this worker, so the worker relays it itself (poll on both sockets, the
 * client through its transport) until either side closes or nothing moves
 * for the route's read_timeout. websocket_worker_max such streams at most,
 * across workers, so they cannot take every worker: past it, 503 before
 * anything is sent to the client.
 */
static int
proxy_relay_in_worker(struct proxy_ctx *x, const char *to_client, size_t n)
{
	struct pt_request		*r = x->r;
	struct pt_conn			*c = r->conn;
	const struct pt_transport	*tp = c->tp;
	struct pollfd			 pfd[2];
	struct pt_str			 early;
	char				 buf[16384];
	long long			 idle = x->px->read_timeout_ms, last, t;
	int				 slot, k, wait;
	bool				 client_eof = false, held;
	ssize_t				 m;
	const char			*why = NULL;

	slot = pt_scoreboard != NULL ? sb_slot_of(getpid()) : -1;
	if (sb_ws_enter(slot, (unsigned int)r->conf->websocket_worker_max) ==
	    -1) {
		PT_RLOG(r, PT_LOG_WARN, "upstream %s: an upgrade over TLS: "
		    "websocket_worker_max (%lld) streams already relayed in "
		    "workers", x->pool->name, r->conf->websocket_worker_max);
		return (503);
	}
	r->status = 101;
	r->keep_alive = false;
	r->head_sent = true;
	r->body_done = true;
	early = pt_conn_pending(c);
	if (proxy_client_write(r, to_client, n) == -1)
		why = "client write failed";
	else if (early.len > 0 && proxy_up_write(x, early.p, early.len) == -1)
		why = "upstream write failed";
	c->buf_off = c->buf_len;
	last = now_ms();
	while (why == NULL) {
		if (pt_stop) {
			why = "stopping";
			break;
		}
		held = !client_eof && tp->pending != NULL && tp->pending(c) > 0;
		t = idle - (now_ms() - last);
		if (t <= 0) {
			why = "idle timeout";
			break;
		}
		wait = held ? 0 : (int)(t < 1000 ? t : 1000);
		pfd[0].fd = client_eof ? -1 : c->fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = x->uc->fd;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if ((k = poll(pfd, 2, wait)) == -1 && errno != EINTR) {
			why = "poll failed";
			break;
		}
		if (held)
			pfd[0].revents |= POLLIN;
		if (pfd[0].revents != 0) {
			m = tp->read(c, buf, sizeof(buf));
			if (m > 0) {
				last = now_ms();
				r->bytes_in += (uint64_t)m;
				if (proxy_up_write(x, buf, (size_t)m) == -1)
					why = "upstream write failed";
			} else if (m == 0) {
				client_eof = true;
				c->eof = true;
				shutdown(x->uc->fd, SHUT_WR);
			} else if (errno != EAGAIN && errno != EINTR &&
			    errno != EWOULDBLOCK)
				why = "client read failed";
		}
		if (why == NULL && pfd[1].revents != 0) {
			m = read(x->uc->fd, buf, sizeof(buf));
			if (m > 0) {
				last = now_ms();
				if (proxy_client_write(r, buf, (size_t)m) == -1)
					why = "client write failed";
			} else if (m == 0)
				why = "upstream closed";
			else if (errno != EAGAIN && errno != EINTR &&
			    errno != EWOULDBLOCK)
				why = "upstream read failed";
		}
	}
	sb_ws_leave(slot);
	PT_RLOG(r, PT_LOG_DEBUG, "upstream %s: upgraded stream relayed in the "
	    "worker ended: %s", x->pool->name, why);
	return (0);
}

/*
 * 101 Switching Protocols (WebSocket): the client gets the upstream's
 * answer, then both sockets go to the tunnel process, with what either
 * side already sent past the heads. A client over TLS terminated here
 * cannot move: the worker relays that stream itself.
 */
int
proxy_upgrade(struct proxy_ctx *x)
{
	struct pt_request	*r = x->r;
	const char		*head = x->buf + x->buf_off;
	size_t			 hl = x->rs.head_len;
	size_t			 extra = x->buf_len - x->buf_off - hl;
	char			*to_client;

	if (!x->px->websocket || !r->head.upgrade) {
		x->failed = true;
		return (502);	/* an upgrade nobody asked for */
	}
	/* A module's transport (TLS) lives in this worker: it cannot move. */
	if (x->uc->io != NULL) {
		PT_RLOG(r, PT_LOG_WARN, "upstream %s: an upgrade over a module "
		    "transport cannot go to the tunnel process", x->pool->name);
		return (502);
	}
	if (!pt_conn_transport(r->conn)->plain)
		return (proxy_relay_in_worker(x, head, hl + extra));
	if (hl + extra > PT_TUNNEL_PENDING_MAX ||
	    (to_client = pt_alloc(r->arena, hl + extra)) == NULL)
		return (502);
	memcpy(to_client, head, hl + extra);
	r->status = 101;
	if (pt_req_tunnel(r, x->uc->fd, NULL, 0, to_client, hl + extra) !=
	    PT_DONE)
		return (503);
	/* The tunnel owns the socket now (our copy is closed): release the
	 * count without closing the number again. */
	x->uc->fd = -1;
	upstream_conn_put(x->uc, false, false);
	x->uc = NULL;
	return (PT_DONE);
}
