/*
 * Active health checks, run by the helper process. Every server of every
 * pool with health = { path = ...; } is checked each interval with a
 * plain HTTP/1.1 GET on a connection of its own; all checks are in flight
 * together and each periodic step is one zero-timeout poll over them, so
 * a server that hangs delays no other. Results move the shared state
 * (health_down, health_streak, up_since_ms) that workers read when they
 * pick a server (balance.c). A module may carry a check's bytes (TLS to
 * the server) through the upstream_check hook: its handshake then runs
 * step by step in the same polls, never blocking the helper.
 */
#include "config.h"

#include "upstream.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "hooks_priv.h"

#define HC_TICK_MS	10	/* between steps while checks are in flight */
#define HC_IDLE_MS	60000	/* no pool has checks */
#define HC_LINE_MAX	256	/* the status line must fit */
#define HC_WHY_MAX	256	/* a failure's reason, for the log */

enum hc_phase {
	HC_IDLE, HC_CONNECTING, HC_HANDSHAKE, HC_SENDING, HC_READING
};

struct hc_check {
	struct upstream_server	*s;
	enum hc_phase		 phase;
	int			 fd;
	long long		 next_ms;	/* the next check starts then */
	long long		 deadline_ms;	/* the one in flight fails then */
	char			*req;		/* the request, built once */
	size_t			 req_len, sent;
	char			 buf[HC_LINE_MAX];
	size_t			 len;
	/* A module's transport (upstream_check hook), or NULL: plain. */
	const struct pt_upstream_io *io;
	void			*io_ctx;
	pt_upstream_handshake_fn hs;		/* NULL once done, or none */
	short			 hs_events;	/* what the handshake waits for */
};

/* The helper's own: it runs one configuration for its whole life. */
static struct {
	const struct pt_conf	*cf;
	struct hc_check		*v;
	size_t			 n;
	struct pollfd		*pfd;		/* n, for the checks in flight */
	struct hc_check		**pcheck;	/* the check of each pfd */
} hc;

/* The check's connection, and its transport first. */
static void
hc_close(struct hc_check *c)
{
	if (c->io != NULL && c->io->close != NULL)
		c->io->close(c->io_ctx);
	c->io = NULL;
	c->io_ctx = NULL;
	c->hs = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

static void
hc_free(void)
{
	size_t i;

	for (i = 0; i < hc.n; i++) {
		hc_close(&hc.v[i]);
		free(hc.v[i].req);
	}
	free(hc.v);
	free(hc.pfd);
	free(hc.pcheck);
	memset(&hc, 0, sizeof(hc));
}

/* "GET /healthz HTTP/1.1" with the server's own name as Host. */
static char *
hc_request(const struct upstream_server *s)
{
	const char	*path = s->pool->health_path;
	bool		 v6 = strchr(s->host, ':') != NULL;
	char		 port[16] = "";
	char		*req;

	if (s->kind != UPS_UNIX && s->port != 80)
		snprintf(port, sizeof(port), ":%d", s->port);
	if (asprintf(&req, "GET %s HTTP/1.1\r\nHost: %s%s%s%s\r\n"
	    "Connection: close\r\nUser-Agent: portier-health\r\n\r\n", path,
	    v6 ? "[" : "", s->host, v6 ? "]" : "", port) == -1)
		return (NULL);
	return (req);
}

static void
hc_init(const struct pt_conf *cf)
{
	struct conf_upstream	*up;
	struct hc_check		*c;
	size_t			 i, j, n = 0;

	hc_free();
	hc.cf = cf;
	for (i = 0; i < cf->nupstreams; i++)
		if (cf->upstreams[i].health_path != NULL &&
		    cf->upstreams[i].state != NULL)
			n += cf->upstreams[i].nservers;
	if (n == 0 || (hc.v = calloc(n, sizeof(*hc.v))) == NULL ||
	    (hc.pfd = calloc(n, sizeof(*hc.pfd))) == NULL ||
	    (hc.pcheck = calloc(n, sizeof(*hc.pcheck))) == NULL) {
		free(hc.v);
		free(hc.pfd);
		hc.v = NULL;
		hc.pfd = NULL;
		return;
	}
	for (i = 0; i < cf->nupstreams; i++) {
		up = &cf->upstreams[i];
		if (up->health_path == NULL || up->state == NULL)
			continue;
		for (j = 0; j < up->nservers; j++) {
			/* Configured down: it takes no requests anyway. */
			if (up->servers[j].down)
				continue;
			c = &hc.v[hc.n];
			c->s = &up->servers[j];
			c->fd = -1;
			if ((c->req = hc_request(c->s)) == NULL)
				continue;
			c->req_len = strlen(c->req);
			hc.n++;
		}
	}
}

static bool
hc_status_ok(const struct conf_upstream *up, int status)
{
	size_t i;

	if (up->nhealth_statuses == 0)
		return (status >= 200 && status <= 399);
	for (i = 0; i < up->nhealth_statuses; i++)
		if (up->health_statuses[i] == status)
			return (true);
	return (false);
}

/*
 * rise passes in a row bring a down server back, fall failures in a row
 * take an up one down; a result that agrees with the state resets the
 * count. Only the helper writes these fields; workers only read them.
 */
static void
hc_result(struct hc_check *c, bool ok, const char *why)
{
	struct upstream_server	*s = c->s;
	struct conf_upstream	*up = s->pool;
	struct upstream_state	*st = &up->state[s->index];
	int			 down, streak;

	hc_close(c);
	c->phase = HC_IDLE;
	down = __atomic_load_n(&st->health_down, __ATOMIC_RELAXED);
	streak = __atomic_load_n(&st->health_streak, __ATOMIC_RELAXED);
	if (!ok)
		PT_LOG(PT_LOG_DEBUG, "upstream %s: server %s: health check "
		    "failed: %s", up->name, s->address, why);
	if (ok == !down)
		streak = 0;
	else if (++streak >= (down ? up->health_rise : up->health_fall)) {
		streak = 0;
		if (down) {
			/*
			 * Slow start counts from now, and a passive cool-down
			 * from before it came back no longer holds: the
			 * check has just seen it serve.
			 */
			__atomic_store_n(&st->up_since_ms, now_ms(),
			    __ATOMIC_RELAXED);
			__atomic_store_n(&st->down_until_ms, 0,
			    __ATOMIC_RELAXED);
			__atomic_store_n(&st->fails, 0, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&st->health_down, !down, __ATOMIC_RELEASE);
		/* The address goes to the error log only, never to a client. */
		PT_LOG(down ? PT_LOG_NOTICE : PT_LOG_WARN, "upstream %s: server "
		    "%s is %s (health: %s)", up->name, s->address,
		    down ? "up" : "down", why);
	}
	__atomic_store_n(&st->health_streak, streak, __ATOMIC_RELAXED);
}

static void
hc_fail_errno(struct hc_check *c, int err)
{
	char why[64];

	/* "connection refused", like the other reasons in the log. */
	snprintf(why, sizeof(why), "%s", strerror(err));
	why[0] = (char)tolower((unsigned char)why[0]);
	hc_result(c, false, why);
}

/* Failures of this host rather than of the server: not counted. */
static bool
hc_local_error(int e)
{
	return (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM);
}

/*
 * The connection is up: a module may put its transport on it (TLS), with
 * a handshake to run before the request. 0, or -1 when the check failed.
 */
static int
hc_transport(struct hc_check *c)
{
	struct upstream_conn	 tmp = { .fd = c->fd, .server = c->s };
	struct pt_upstream	 u = { .uc = &tmp, .cf = hc.cf };

	if (hooks_run_upstream_check(hc.cf->hooks, &u) == PT_ERROR) {
		hc_result(c, false, "transport set-up failed");
		return (-1);
	}
	c->io = tmp.io;
	c->io_ctx = tmp.io_ctx;
	c->hs = c->io != NULL ? u.hs : NULL;
	c->hs_events = POLLOUT;
	c->phase = c->hs != NULL ? HC_HANDSHAKE : HC_SENDING;
	return (0);
}

/* One step of the transport's handshake. */
static void
hc_handshake(struct hc_check *c)
{
	char	why[HC_WHY_MAX] = "";
	int	rc;

	rc = c->hs(c->io_ctx, why, sizeof(why));
	if (rc == PT_OK) {
		c->hs = NULL;
		c->phase = HC_SENDING;
	} else if (rc == PT_UPSTREAM_WANT_READ)
		c->hs_events = POLLIN;
	else if (rc == PT_UPSTREAM_WANT_WRITE)
		c->hs_events = POLLOUT;
	else
		hc_result(c, false, why[0] != '\0' ? why :
		    "transport handshake failed");
}

static void
hc_start(struct hc_check *c, long long now)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd;

	c->next_ms = now + c->s->pool->health_interval_ms;
	c->deadline_ms = now + c->s->pool->health_timeout_ms;
	c->sent = c->len = 0;
	if (upstream_server_addr(c->s, &ss, &len) == -1) {
		hc_result(c, false, "no address");
		return;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		if (!hc_local_error(errno))
			hc_fail_errno(c, errno);
		else
			PT_LOG_ERRNO(PT_LOG_WARN, "health check socket");
		return;
	}
	c->fd = fd;
	c->phase = HC_CONNECTING;
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		if (errno != EINPROGRESS)	/* a full unix backlog: EAGAIN */
			hc_fail_errno(c, errno == EAGAIN ? ECONNREFUSED : errno);
	} else if (hc_transport(c) == 0 && c->phase == HC_HANDSHAKE)
		hc_handshake(c);
}

/* The status line read so far: -1 when incomplete, 0 when not HTTP. */
static int
hc_status(const char *b, size_t len, bool eof)
{
	if ((memchr(b, '\n', len) == NULL && !eof) || len < 12)
		return (eof || len >= HC_LINE_MAX - 1 ? 0 : -1);
	if (memcmp(b, "HTTP/1.", 7) != 0 || b[8] != ' ' ||
	    b[9] < '1' || b[9] > '5' || b[10] < '0' || b[10] > '9' ||
	    b[11] < '0' || b[11] > '9')
		return (0);
	return ((b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0'));
}

static void
hc_read(struct hc_check *c)
{
	ssize_t	n;
	char	why[32];
	int	st;

	if (c->io != NULL)
		n = c->io->read(c->io_ctx, c->fd, c->buf + c->len,
		    sizeof(c->buf) - 1 - c->len);
	else
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len,
		    MSG_DONTWAIT);
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			hc_fail_errno(c, errno);
		return;
	}
	c->len += (size_t)n;
	if ((st = hc_status(c->buf, c->len, n == 0)) == -1)
		return;
	if (st == 0) {
		hc_result(c, false, c->len == 0 ? "closed without an answer" :
		    "not an HTTP answer");
		return;
	}
	snprintf(why, sizeof(why), "status %d", st);
	hc_result(c, hc_status_ok(c->s->pool, st), why);
}

static ssize_t
hc_send(struct hc_check *c)
{
	struct iovec iov;

	if (c->io == NULL)
		return (send(c->fd, c->req + c->sent, c->req_len - c->sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT));
	iov.iov_base = c->req + c->sent;
	iov.iov_len = c->req_len - c->sent;
	return (c->io->writev(c->io_ctx, c->fd, &iov, 1));
}

/* One check after poll said its socket is ready. */
static void
hc_advance(struct hc_check *c)
{
	socklen_t	len = sizeof(int);
	ssize_t		n;
	int		err = 0;

	if (c->phase == HC_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			hc_fail_errno(c, err);
			return;
		}
		if (hc_transport(c) == -1)
			return;
	}
	if (c->phase == HC_HANDSHAKE) {
		hc_handshake(c);
		return;
	}
	if (c->phase == HC_SENDING) {
		n = hc_send(c);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				hc_fail_errno(c, errno);
			return;
		}
		if ((c->sent += (size_t)n) == c->req_len)
			c->phase = HC_READING;
		return;
	}
	if (c->phase == HC_READING)
		hc_read(c);
}

/* Polls every check in flight once, without waiting, and moves them on. */
static void
hc_poll(void)
{
	struct hc_check	*c;
	size_t		 i, k = 0;

	for (i = 0; i < hc.n; i++) {
		c = &hc.v[i];
		if (c->phase == HC_IDLE)
			continue;
		hc.pfd[k].fd = c->fd;
		hc.pfd[k].events = c->phase == HC_READING ? POLLIN :
		    c->phase == HC_HANDSHAKE ? c->hs_events : POLLOUT;
		hc.pfd[k].revents = 0;
		hc.pcheck[k++] = c;
	}
	if (k == 0 || poll(hc.pfd, (nfds_t)k, 0) <= 0)
		return;
	for (i = 0; i < k; i++)
		if (hc.pfd[i].revents != 0)
			hc_advance(hc.pcheck[i]);
}

static void
hc_timeout(struct hc_check *c)
{
	char why[64];

	if (c->phase != HC_HANDSHAKE) {
		hc_result(c, false, "timeout");
		return;
	}
	/* "timeout in the tls handshake" */
	snprintf(why, sizeof(why), "timeout in the %s handshake", c->io->name);
	hc_result(c, false, why);
}

/*
 * One step: start the checks that are due, one zero-timeout poll over
 * all in flight, then fail those past their timeout. Returns when to come
 * back: a short tick while any is in flight, else the next check.
 */
long long
health_periodic(const struct pt_conf *cf, long long now)
{
	struct hc_check	*c;
	long long	 soonest = HC_IDLE_MS;
	size_t		 i;

	if (hc.cf != cf)
		hc_init(cf);
	for (i = 0; i < hc.n; i++)
		if (hc.v[i].phase == HC_IDLE && hc.v[i].next_ms <= now)
			hc_start(&hc.v[i], now);
	hc_poll();
	now = now_ms();
	for (i = 0; i < hc.n; i++) {
		c = &hc.v[i];
		if (c->phase != HC_IDLE && now >= c->deadline_ms)
			hc_timeout(c);
		if (c->phase != HC_IDLE) {
			if (HC_TICK_MS < soonest)
				soonest = HC_TICK_MS;
		} else if (c->next_ms - now < soonest)
			soonest = c->next_ms - now;
	}
	return (soonest < 1 ? 1 : soonest);
}
