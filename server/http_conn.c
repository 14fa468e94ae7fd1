/*
 * One client connection, served to its end: the keep-alive loop, reading
 * and parsing each request head, choosing the server and route, running
 * the handler, draining what is left of the body, logging. Timeouts come
 * from deadlines checked at each receive tick (SO_RCVTIMEO, set once on
 * the listener and inherited), so no system call is spent arming timers.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "static_file.h"
#include "forward.h"
#include "hooks_priv.h"
#include "proxy.h"
#include "proxy_protocol.h"
#include "route.h"

#define CONN_BUF_FIRST	(16 * 1024)

/* The largest head the limits allow, plus room for the blank line. */
static size_t
conn_buf_cap(const struct pt_conf *cf)
{
	return ((size_t)(cf->limits.line + 2 +
	    cf->limits.fields * (cf->limits.field + 2) + 2));
}

/* Moves unread bytes to the front, or grows the buffer, to make room. */
static int
conn_buf_room(struct pt_conn *c, const struct pt_conf *cf)
{
	size_t	 cap = conn_buf_cap(cf), nsize;
	char	*nb;

	if (c->buf_off > 0) {
		memmove(c->buf, c->buf + c->buf_off, c->buf_len - c->buf_off);
		c->buf_len -= c->buf_off;
		c->buf_off = 0;
	}
	if (c->buf_len < c->buf_size)
		return (0);
	if (c->buf_size >= cap)
		return (-1);
	nsize = c->buf_size * 2 < cap ? c->buf_size * 2 : cap;
	if ((nb = pt_alloc(c->arena, nsize)) == NULL)
		return (-1);
	memcpy(nb, c->buf, c->buf_len);
	c->buf = nb;
	c->buf_size = nsize;
	return (0);
}

/*
 * How long the kernel's answer about a listener's queue is reused. A
 * request asks twice in a row (its keep-alive decision, then the wait for
 * the next request): one getsockopt(2) serves both.
 */
#define SHED_FRESH_MS	5

/* The last answer, per worker process (one connection at a time). */
static struct {
	const struct listener	*lst;
	long long		 at;	/* CLOCK_MONOTONIC, ms */
	bool			 queued;
} shed_memo;

static long long
shed_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* vDSO: no system call */
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Whether connections wait in l's accept queue (TCP_INFO tcpi_unacked). */
static bool
conn_listener_queued(const struct listener *l)
{
	struct tcp_info	ti;
	socklen_t	len = sizeof(ti);
	long long	now = shed_clock_ms();

	if (shed_memo.lst == l && now - shed_memo.at >= 0 &&
	    now - shed_memo.at < SHED_FRESH_MS)
		return (shed_memo.queued);
	shed_memo.lst = l;
	shed_memo.at = now;
	shed_memo.queued = getsockopt(l->fd, IPPROTO_TCP, TCP_INFO, &ti,
	    &len) == -1 || ti.tcpi_unacked > 0;
	return (shed_memo.queued);
}

/*
 * Load-adaptive keep-alive (DESIGN.md): no worker waits in accept and
 * connections wait in this listener's queue. The queue length is the
 * listener's TCP_INFO tcpi_unacked, asked for only when no worker is idle
 * and then at most once per SHED_FRESH_MS.
 */
bool
conn_should_shed(const struct pt_conn *c)
{
	if (sb_idle() > 0)
		return (false);
	if (c->lst == NULL)
		return (true);
	return (conn_listener_queued(c->lst));
}

/*
 * How long a kept-alive connection must be quiet before it is shed. A busy
 * client's next request is usually a round trip away; closing under it
 * makes the client see a closed connection instead of an answer.
 */
#define SHED_GRACE_MS	10

/* Whether c stays quiet for ms: nothing to read (or an error). */
static bool
conn_quiet_for(const struct pt_conn *c, int ms)
{
	struct pollfd	pfd = { .fd = c->fd, .events = POLLIN };

	return (poll(&pfd, 1, ms) == 0);
}

/*
 * Reads once into the free end of the buffer. Returns bytes read, 0 on
 * EOF, -1 on error or when the deadline passes (errno ETIMEDOUT) or the
 * worker must stop. keepalive: also give up at once when no other worker
 * is free (DESIGN.md: busy servers degrade to short connections).
 */
static ssize_t
conn_read(struct pt_conn *c, long long deadline, bool keepalive)
{
	ssize_t n;

	for (;;) {
		if (keepalive && conn_should_shed(c) &&
		    conn_quiet_for(c, SHED_GRACE_MS)) {
			errno = ETIMEDOUT;
			return (-1);
		}
		n = c->tp->read(c, c->buf + c->buf_len, c->buf_size - c->buf_len);
		if (n >= 0) {
			c->buf_len += (size_t)n;
			if (n == 0)
				c->eof = true;
			return (n);
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return (-1);
		if (pt_stop || now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return (-1);
		}
	}
}

ssize_t
conn_read_more(struct pt_conn *c, long long deadline)
{
	return (conn_read(c, deadline, false));
}

static void
conn_init(struct pt_conn *c, struct worker *w, int fd,
    struct sockaddr_storage *ss, struct listener *l)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->lst = l;
	c->peer = *ss;
	c->arena = w->conn_arena;
	addr_format(ss, c->client, sizeof(c->client), c->client_port,
	    sizeof(c->client_port));
	c->tp = &conn_plain;
	c->buf_size = CONN_BUF_FIRST;
	c->buf = pt_alloc(c->arena, c->buf_size);
}

/* The server for host on this listener (route_match.c has the rules). */
static const struct conf_server *
conn_find_server(const struct pt_conf *cf, const struct listener *l,
    const struct pt_str *host)
{
	return (route_find_server(cf, l->text, host->p, host->len));
}

/*
 * Waits for and parses the next request head. Returns 0 with r->head
 * filled, an HTTP status to answer (and then close), or -1 to close
 * without answering (client gone, idle timeout, nothing received).
 */
static int
conn_read_head(struct pt_conn *c, struct pt_request *r)
{
	const struct pt_conf	*cf = r->conf;
	struct http_limits	 lim;
	long long		 deadline;
	bool			 idle;
	ssize_t			 n;
	int			 rc;

	lim.line_max = (size_t)cf->limits.line;
	lim.field_max = (size_t)cf->limits.field;
	lim.fields_max = (size_t)cf->limits.fields;
	idle = c->buf_len == c->buf_off;
	deadline = now_ms() + (c->requests > 0 && idle ?
	    cf->timeouts.keepalive : cf->timeouts.head);
	for (;;) {
		if (c->buf_len > c->buf_off) {
			pt_arena_reset(r->arena);
			rc = http_parse_head(r->arena, c->buf + c->buf_off,
			    c->buf_len - c->buf_off, &lim, &r->head);
			if (rc != HTTP_PARSE_AGAIN)
				return (rc);
			if (idle) {	/* first bytes: the head timeout starts */
				idle = false;
				deadline = now_ms() + cf->timeouts.head;
			}
		}
		if (c->eof || conn_buf_room(c, cf) == -1)
			return (c->eof ? -1 : 431);
		n = conn_read(c, deadline, idle && c->requests > 0);
		if (n == 0)
			return (-1);
		if (n < 0)
			return (!idle && errno == ETIMEDOUT && !pt_stop ? 408 : -1);
		/*
		 * The request starts with its first bytes, as nginx's
		 * $request_time does: the keep-alive wait before them is not
		 * the request's time (request_time, mod_status latencies).
		 */
		if (idle)
			clock_gettime(CLOCK_REALTIME, &r->start);
	}
}

static void
request_init(struct pt_request *r, struct pt_conn *c, struct worker *w)
{
	memset(r, 0, sizeof(*r));
	r->conn = c;
	r->arena = w->req_arena;
	r->conf = w->conf;
	clock_gettime(CLOCK_REALTIME, &r->start);
	request_id_new(r->id, sizeof(r->id));
}

/*
 * A request id from a trusted proxy in front is kept, so one id follows the
 * request through every tier; anything else gets a fresh one.
 */
static void
request_id_take(struct pt_request *r)
{
	const struct pt_conf	*cf = r->conf;
	const struct http_field	*f;
	size_t			 i;

	if (cf->trusted_proxies.n == 0 ||
	    !cidr_list_match(&cf->trusted_proxies, &r->conn->peer) ||
	    (f = http_head_field(&r->head, cf->request_id_header)) == NULL ||
	    f->value.len == 0 || f->value.len >= sizeof(r->id))
		return;
	for (i = 0; i < f->value.len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-._:", f->value.p[i]) == NULL)
			return;
	memcpy(r->id, f->value.p, f->value.len);
	r->id[f->value.len] = '\0';
}

/* Framing is known before routing: refuse a declared body over the limit. */
int
request_prepare(struct pt_request *r)
{
	const struct http_head	*h = &r->head;
	char			*out;
	int			 rc;

	r->head_only = h->method_id == HTTP_M_HEAD;
	request_id_take(r);
	/* RFC 9110 10.1.1: an expectation we cannot meet gets 417. */
	if (h->version == 11 && !h->expect_continue &&
	    http_head_field(h, "Expect") != NULL)
		return (417);
	if (h->framing == HTTP_BODY_LENGTH) {
		r->body_left = h->content_length;
		if (h->content_length > (uint64_t)r->conf->limits.body)
			return (413);
	} else if (h->framing == HTTP_BODY_CHUNKED) {
		r->chunked.line_max = (size_t)r->conf->limits.field;
	}
	r->body_done = h->framing == HTTP_BODY_NONE ||
	    (h->framing == HTTP_BODY_LENGTH && h->content_length == 0);
	r->srv = conn_find_server(r->conf, r->conn->lst, &h->host);
	/* CONNECT and OPTIONS *: no path to route; modules may still answer. */
	if (h->form == HTTP_T_AUTHORITY || h->form == HTTP_T_ASTERISK)
		return (0);
	if ((out = pt_alloc(r->arena, h->path.len + 2)) == NULL)
		return (500);
	rc = path_normalize(h->path.p, h->path.len, out, &r->path_slash);
	if (rc != 0)
		return (rc == PATH_ESCAPES ? 400 : rc);
	r->path = out;
	return (0);
}

#define TRANSLATE_MAX_PASSES	10

/*
 * translate: server-level rules run with no route chosen, then the core
 * picks the route, then route-level rules run; a rule that changes the
 * path sends the request through routing again, a bounded number of times.
 */
int
request_translate(struct pt_request *r)
{
	const struct pt_hooks	*h = r->conf->hooks;
	const char		*before;
	int			 rc, pass;

	r->route = NULL;
	/* Authority and asterisk forms, and the forward proxy's: no route. */
	if (r->path == NULL || forward_is_request(r))
		return (PT_OK);
	if ((rc = hooks_run_all(h, H_TRANSLATE, r)) != PT_OK)
		return (rc);
	for (pass = 0; pass < TRANSLATE_MAX_PASSES; pass++) {
		r->route = route_find(r->srv, r);
		if (r->route == NULL || !hooks_has(h, H_TRANSLATE))
			return (PT_OK);
		before = r->path;
		if ((rc = hooks_run_all(h, H_TRANSLATE, r)) != PT_OK)
			return (rc);
		if (r->path == before || strcmp(r->path, before) == 0)
			return (PT_OK);
	}
	PT_RLOG(r, PT_LOG_ERR, "request re-routed %d times: giving up (a "
	    "rewrite loop?)", TRANSLATE_MAX_PASSES);
	return (500);
}

/*
 * A server is never an open proxy: an absolute-form request goes on only
 * for a forward proxy or for a host the server names (RFC 9112 3.2.2:
 * the target's authority is the host); a forward-only server (no route
 * that serves anything) answers origin-form requests with 400.
 */
static int
request_not_a_proxy(const struct pt_request *r)
{
	const struct http_head	*h = &r->head;
	char			 host[256];
	size_t			 i, n;

	if (r->srv == NULL)
		return (PT_OK);
	/* Forward only: no route of its own serves anything (the implicit
	 * one has no upstream, root or return). */
	if (r->srv->forward != NULL)
		return (h->form == HTTP_T_ORIGIN && (r->route == NULL ||
		    (r->route->upstream == NULL && r->route->sc.root == NULL &&
		    r->route->ret.status == 0)) ? 400 : PT_OK);
	/* A server without names serves every host (its own upstream). */
	if (h->form != HTTP_T_ABSOLUTE || r->srv->nhosts == 0)
		return (PT_OK);
	n = route_host_normalize(h->authority.p, h->authority.len, host,
	    sizeof(host));
	for (i = 0; n > 0 && i < r->srv->nhosts; i++)
		if (route_host_match(&r->srv->hosts[i], host, n))
			return (PT_OK);
	PT_RLOG(r, PT_LOG_INFO, "absolute-form request for a host this "
	    "server does not serve: refused (not a proxy)");
	return (403);
}

/* The hooks in request order; returns a status to answer, 0 or PT_DONE. */
static int
request_run_hooks(struct pt_request *r)
{
	const struct pt_hooks	*h = r->conf->hooks;
	int			 rc;

	if ((rc = hooks_run_all(h, H_POST_READ_REQUEST, r)) != PT_OK ||
	    (rc = request_translate(r)) != PT_OK ||
	    (rc = hooks_run_all(h, H_FIXUPS, r)) != PT_OK)
		return (rc);
	if ((rc = request_not_a_proxy(r)) != PT_OK)
		return (rc);
	/*
	 * A route's fixed answer comes before access checks, as nginx's
	 * return does: an HTTP to HTTPS redirect must not ask for a password
	 * over plain HTTP first.
	 */
	if (r->route != NULL && r->route->ret.status != 0)
		return (route_return(r));
	/*
	 * The core's access rules and auth first, then the modules', then a
	 * forward proxy's own rules: nothing answers past them, a cached
	 * answer included.
	 */
	if ((rc = access_check(r)) != PT_OK ||
	    (rc = hooks_run_all(h, H_ACCESS, r)) != PT_OK ||
	    (forward_is_request(r) && (rc = forward_access(r)) != PT_OK))
		return (rc == FWD_ANSWERED ? 0 : rc);
	/* A tunnel has no response a module could answer from. */
	if ((r->fwd_target == NULL || !r->fwd_target->connect) &&
	    (rc = hooks_run_first(h, H_QUICK_HANDLER, r)) != PT_DECLINED)
		return (rc == PT_OK ? 0 : rc);
	if ((rc = hooks_run_first(h, H_HANDLER, r)) != PT_DECLINED)
		return (rc == PT_OK ? 0 : rc);
	if (forward_is_request(r))
		return (forward_handler(r));
	if (r->head.form == HTTP_T_ASTERISK) {
		resp_field_add(r, "Allow", "GET, HEAD, OPTIONS");
		return (resp_send(r, 200, NULL, NULL, 0) == 0 ? 0 : PT_ERROR);
	}
	/* A rewrite's proxy flag (pt_req_set_upstream) overrides the route. */
	if (r->upstream_override != NULL || r->upstream_adhoc != NULL ||
	    (r->route != NULL && r->route->upstream != NULL)) {
		rc = proxy_handler(r);
		return (rc == -1 ? PT_ERROR : rc);
	}
	if (r->route != NULL && r->route->sc.root != NULL)
		return (static_handler(r) == 0 ? 0 : PT_ERROR);
	if (r->head.form == HTTP_T_AUTHORITY)
		return (405);	/* CONNECT that no module took */
	return (404);
}

static int
request_handle(struct pt_request *r)
{
	int rc = request_run_hooks(r);

	if (rc == PT_DONE) {
		r->conn->taken_over = true;
		return (0);
	}
	if (rc == PT_ANSWERED && !r->head_sent)
		return (request_answer(r) == 0 ? 0 : -1);
	if (rc >= 300 && rc <= 599 && !r->head_sent)
		return (resp_error(r, rc));
	return (rc == 0 ? 0 : -1);
}

/*
 * What is left of the body after the answer: drained when small enough to
 * keep the connection, else the connection closes. A client that sent
 * Expect: 100-continue and got a final answer instead may never send the
 * body, so that connection closes too (RFC 9110 10.1.1).
 */
static void
request_finish_body(struct pt_request *r)
{
	if (r->body_done)
		return;
	if ((r->head.expect_continue && !r->continue_sent) ||
	    body_discard(r) == -1)
		r->conn->closing = true;
}

static void
request_log(struct worker *w, struct pt_request *r)
{
	w->served++;
	sb_note_request(w->slot, r);
	access_log_request(r);
	hooks_run_log(r->conf->hooks, r);
}

/* An answer to a request whose head could not be used: always closes. */
static void
conn_reject(struct worker *w, struct pt_request *r, int status)
{
	r->conn->closing = true;
	if (r->srv == NULL)
		r->srv = conn_find_server(r->conf, r->conn->lst, &r->head.host);
	resp_error(r, status);
	request_log(w, r);
}

/*
 * Closing with unread input makes the kernel send a reset, which can destroy
 * the answer before the client reads it. So when the client may still be
 * sending, close our side first and drain for a short bounded while.
 */
static void
conn_close(struct pt_conn *c)
{
	char		 sink[4096];
	long long	 until;
	size_t		 total = 0;
	ssize_t		 n;

	if (!c->taken_over && c->tp->shutdown != NULL)
		c->tp->shutdown(c);
	if (c->taken_over || c->eof ||
	    (!c->closing && c->buf_len == c->buf_off)) {
		close(c->fd);
		return;
	}
	shutdown(c->fd, SHUT_WR);
	until = now_ms() + 1000;
	while (total < 256 * 1024 && now_ms() < until && !pt_stop) {
		n = c->tp->read(c, sink, sizeof(sink));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (n > 0)
			total += (size_t)n;
	}
	close(c->fd);
}

/*
 * request_limits.conns_per_client: one address may not hold more than that
 * many workers (this one included), so a single client cannot take them
 * all. The answer is 503 and the connection closes.
 */
static bool
conn_over_client_limit(struct worker *w, struct pt_conn *c)
{
	struct pt_request	r;
	char			sink[4096];
	long long		max = w->conf->limits.conns_per_client;

	if (max <= 0 || sb_client_count(c->client) <= (unsigned int)max)
		return (false);
	request_init(&r, c, w);
	PT_LOG(PT_LOG_WARN, "client %s: over conns_per_client (%lld): "
	    "refused", c->client, max);
	resp_field_add(&r, "Retry-After", "1");
	conn_reject(w, &r, 503);
	/*
	 * No lingering close for an address over its limit: a flood of slow
	 * connections would hold a worker for a second each. What it sent
	 * so far is read, so the close does not reset the answer; later
	 * bytes may.
	 */
	while (recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	c->eof = true;
	return (true);
}

/*
 * PROXY protocol: a load balancer listed in the server's
 * proxy_protocol_from sends a v1 or v2 header before anything else; the
 * address it names becomes the client's for every later check and log.
 * Other peers are ordinary clients. A malformed header closes.
 */
static int
conn_proxy_protocol(struct pt_conn *c, const struct pt_conf *cf)
{
	const struct conf_server	*s;
	struct sockaddr_storage		 src, dst;
	struct pt_str			 none = { "", 0 };
	long long			 deadline = now_ms() + cf->timeouts.head;
	int				 n;

	s = conn_find_server(cf, c->lst, &none);
	if (s->proxy_protocol_from.n == 0 ||
	    !cidr_list_match(&s->proxy_protocol_from, &c->peer))
		return (0);
	for (;;) {
		n = pp_parse((const unsigned char *)c->buf, c->buf_len, &src,
		    &dst);
		if (n > 0)
			break;
		if (n == -1 || conn_read(c, deadline, false) <= 0) {
			PT_LOG(PT_LOG_WARN, "client %s: no valid PROXY protocol "
			    "header", c->client);
			return (-1);
		}
	}
	c->buf_off = (size_t)n;
	if (src.ss_family == AF_INET || src.ss_family == AF_INET6) {
		c->peer = src;
		addr_format(&src, c->client, sizeof(c->client), c->client_port,
		    sizeof(c->client_port));
	}
	return (0);
}

void
conn_serve(struct worker *w, int fd, struct sockaddr_storage *ss,
    struct listener *l)
{
	struct pt_conn		c;
	struct pt_request	r;
	int			rc;

	conn_init(&c, w, fd, ss, l);
	sb_set(w->slot, SB_READ);
	if (conn_proxy_protocol(&c, w->conf) == -1) {
		c.closing = true;
		goto done;
	}
	sb_conn_begin(w->slot, c.client);
	if (conn_over_client_limit(w, &c))
		goto done;
	switch (hooks_run_conn_all(w->conf->hooks, &c)) {
	case PT_DONE:
		c.taken_over = true;	/* e.g. SNI passthrough */
		break;
	case PT_ERROR:
		c.closing = true;	/* e.g. a failed TLS handshake */
		c.buf = NULL;
		break;
	}
	while (c.buf != NULL && !pt_stop && !c.taken_over) {
		sb_set(w->slot, c.requests > 0 ? SB_KEEPALIVE : SB_READ);
		request_init(&r, &c, w);
		if ((rc = conn_read_head(&c, &r)) != 0) {
			if (rc > 0) {
				memset(&r.head, 0, sizeof(r.head));
				conn_reject(w, &r, rc);
			}
			break;
		}
		c.buf_off += r.head.head_len;
		r.body_base = c.buf_off;
		r.bytes_in = r.head.head_len;
		sb_set(w->slot, SB_BUSY);
		sb_request_begin(w->slot, &r);
		if ((rc = request_prepare(&r)) != 0) {
			conn_reject(w, &r, rc);
			break;
		}
		/* The last request this worker serves says so. */
		if (w->conf->workers.max_requests > 0 && w->served + 1 >=
		    (unsigned long)w->conf->workers.max_requests)
			c.closing = true;
		if (request_handle(&r) == -1)
			c.closing = true;
		if (!c.taken_over)
			request_finish_body(&r);
		request_log(w, &r);
		c.requests++;
		if (!r.keep_alive || c.closing || c.taken_over)
			break;
		pt_arena_reset(r.arena);
	}
	hooks_run_conn(w->conf->hooks, H_CONNECTION_CLOSE, &c);
 done:
	sb_set(w->slot, SB_CLOSING);
	conn_close(&c);
	pt_arena_reset(w->req_arena);
	pt_arena_reset(w->conn_arena);
}
