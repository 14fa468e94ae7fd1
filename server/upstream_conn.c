/*
 * Connections to upstream servers, as one worker sees them: connecting
 * within a timeout, the worker's idle connections (reused only while the
 * backend has not closed them), the shared counts and caps (conns, idle,
 * max_conns, idle_max) with the per-slot ledger that lets a dead worker's
 * share be taken back, passive health, and the servers' addresses.
 * Choosing a server is upstream.c's.
 */
#include "config.h"

#include <portier/upstream_io.h>
#include "upstream.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

/*
 * This process's part, set up at first use: workers are forked with none
 * (the master never connects), and a process forked from one that has
 * some starts again from nothing (its parent's counts are not its own):
 * a fork handler marks the copy stale, so no getpid() per request.
 */
static struct {
	bool			 ready;
	bool			 stale;		/* inherited through fork */
	bool			 hooks_set;	/* atexit, pthread_atfork */
	int			 slot;		/* scoreboard slot; -1: no ledger */
	struct upstream_conn	*head, *tail;	/* idle, oldest first */
	struct conf_upstream	*pools;		/* touched, through w_next */
} uw;

static void	uw_exit(void);

static void
uw_atfork_child(void)
{
	uw.stale = true;
}

static struct upstream_state *
ups_state(const struct upstream_server *s)
{
	return (&s->pool->state[s->index]);
}

/* This worker's ledger entry for s, or NULL without a slot. */
static struct upstream_ledger *
ups_ledger(const struct upstream_server *s)
{
	const struct conf_upstream *up = s->pool;

	if (uw.slot < 0 || up->ledger == NULL ||
	    (unsigned int)uw.slot >= up->ledger_slots)
		return (NULL);
	return (&up->ledger[(size_t)uw.slot * up->nservers + s->index]);
}

/*
 * Takes what the slot's ledger holds off the pool's shared counts and
 * clears it. Only for a slot whose worker is gone or is the caller.
 */
static void
ups_ledger_settle(struct conf_upstream *up, int slot)
{
	struct upstream_ledger	*l;
	int			 n;
	size_t			 i;

	if (slot < 0 || up->ledger == NULL || up->state == NULL ||
	    (unsigned int)slot >= up->ledger_slots)
		return;
	for (i = 0; i < up->nservers; i++) {
		l = &up->ledger[(size_t)slot * up->nservers + i];
		if ((n = __atomic_exchange_n(&l->conns, 0, __ATOMIC_RELAXED)))
			__atomic_sub_fetch(&up->state[i].conns, n,
			    __ATOMIC_RELAXED);
		if ((n = __atomic_exchange_n(&l->idle, 0, __ATOMIC_RELAXED)))
			__atomic_sub_fetch(&up->state[i].idle, n,
			    __ATOMIC_RELAXED);
	}
}

void
upstream_slot_release(const struct pt_conf *cf, int slot)
{
	size_t i;

	for (i = 0; cf != NULL && i < cf->nupstreams; i++)
		ups_ledger_settle(&cf->upstreams[i], slot);
}

/* Drops what a parent process left in our copy of its state. */
static void
uw_forget_inherited(void)
{
	struct upstream_conn	*c, *next;
	struct conf_upstream	*up, *unext;

	/* The parent's transports are its own: drop the sockets only. */
	for (c = uw.head; c != NULL; c = next) {
		next = c->next;
		close(c->fd);
		free(c);
	}
	for (up = uw.pools; up != NULL; up = unext) {
		unext = up->w_next;
		up->w_touched = false;
		up->w_next = NULL;
	}
	uw.head = uw.tail = NULL;
	uw.pools = NULL;
}

static void
uw_init(void)
{
	if (uw.ready && !uw.stale)
		return;
	if (uw.ready)
		uw_forget_inherited();
	uw.ready = true;
	uw.stale = false;
	uw.slot = pt_scoreboard != NULL ? sb_slot_of(getpid()) : -1;
	if (!uw.hooks_set && atexit(uw_exit) == 0 &&
	    pthread_atfork(NULL, NULL, uw_atfork_child) == 0)
		uw.hooks_set = true;
}

/*
 * The first time this process uses a pool: whatever a dead worker that
 * had our slot before us left in the ledger is taken off the counts.
 */
static void
uw_touch(struct conf_upstream *up)
{
	if (up->w_touched)
		return;
	up->w_touched = true;
	up->w_next = uw.pools;
	uw.pools = up;
	ups_ledger_settle(up, uw.slot);
}

/*
 * Counts go up in the shared state before the ledger and down in the
 * ledger first: a worker killed between the two leaves the shared count
 * one too high, never too low, so caps still hold.
 */
static bool
ups_conns_take(struct upstream_server *s)
{
	struct upstream_ledger	*l;
	int			 n;

	n = __atomic_add_fetch(&ups_state(s)->conns, 1, __ATOMIC_RELAXED);
	if (s->max_conns > 0 && n > s->max_conns) {
		__atomic_sub_fetch(&ups_state(s)->conns, 1, __ATOMIC_RELAXED);
		return (false);
	}
	if ((l = ups_ledger(s)) != NULL)
		__atomic_add_fetch(&l->conns, 1, __ATOMIC_RELAXED);
	return (true);
}

static void
ups_conns_give(struct upstream_server *s)
{
	struct upstream_ledger *l;

	if ((l = ups_ledger(s)) != NULL)
		__atomic_sub_fetch(&l->conns, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&ups_state(s)->conns, 1, __ATOMIC_RELAXED);
}

static bool
ups_idle_take(struct upstream_server *s)
{
	struct upstream_ledger	*l;
	int			 n;

	n = __atomic_add_fetch(&ups_state(s)->idle, 1, __ATOMIC_RELAXED);
	if (n > s->pool->idle_max) {
		__atomic_sub_fetch(&ups_state(s)->idle, 1, __ATOMIC_RELAXED);
		return (false);
	}
	if ((l = ups_ledger(s)) != NULL)
		__atomic_add_fetch(&l->idle, 1, __ATOMIC_RELAXED);
	return (true);
}

static void
ups_idle_give(struct upstream_server *s)
{
	struct upstream_ledger *l;

	if ((l = ups_ledger(s)) != NULL)
		__atomic_sub_fetch(&l->idle, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&ups_state(s)->idle, 1, __ATOMIC_RELAXED);
}

static void
uc_unlink(struct upstream_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		uw.head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		uw.tail = c->prev;
	c->next = c->prev = NULL;
}

static void
uc_close(struct upstream_conn *c)
{
	if (c->io != NULL && c->io->close != NULL)
		c->io->close(c->io_ctx);
	if (c->fd != -1)
		close(c->fd);
	free(c);
}

/*
 * An idle connection is usable when a peek finds nothing to read yet:
 * 0 bytes means the backend closed it, data means it answered nothing we
 * asked (a 408, say), an error that it is gone. All three are dropped.
 */
static bool
uc_alive(int fd)
{
	char b;

	return (recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == -1 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK));
}

static bool
uc_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in	*a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6	*a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return (false);
	if (a->ss_family == AF_INET)
		return (a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	if (a->ss_family == AF_INET6)
		return (a6->sin6_port == b6->sin6_port &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0);
	return (false);
}

/*
 * A host name's connection is kept only while its address is one the
 * name still resolves to: once the helper replaced the addresses
 * (addr_gen moved), a connection to one that went away is dropped rather
 * than reused. One load when nothing changed.
 */
static bool
uc_addr_current(struct upstream_conn *c)
{
	struct upstream_server	*s = c->server;
	struct sockaddr_storage	 peer, addrs[4];
	socklen_t		 len = sizeof(peer);
	unsigned int		 g;
	int			 n, i;

	if (s->kind != UPS_NAME)
		return (true);
	g = __atomic_load_n(&ups_state(s)->addr_gen, __ATOMIC_ACQUIRE);
	if (g == c->addr_gen)
		return (true);
	memset(&peer, 0, sizeof(peer));
	if (getpeername(c->fd, (struct sockaddr *)&peer, &len) == -1)
		return (false);
	n = upstream_server_addrs(s, addrs, 4);
	for (i = 0; i < n; i++)
		if (uc_same_addr(&addrs[i], &peer)) {
			c->addr_gen = g;
			return (true);
		}
	return (false);
}

/* The most recently kept idle connection to s that is still usable. */
static struct upstream_conn *
uc_idle_take(struct upstream_server *s, long long now)
{
	struct upstream_conn *c, *prev;

	for (c = uw.tail; c != NULL; c = prev) {
		prev = c->prev;
		if (c->server != s)
			continue;
		uc_unlink(c);
		ups_idle_give(s);
		if (now - c->idle_since_ms < s->pool->idle_timeout_ms &&
		    uc_alive(c->fd) && uc_addr_current(c))
			return (c);
		uc_close(c);
	}
	return (NULL);
}

static socklen_t
uc_addrlen(const struct sockaddr_storage *ss)
{
	const struct sockaddr_un *sa = (const struct sockaddr_un *)ss;

	switch (ss->ss_family) {
	case AF_INET:
		return (sizeof(struct sockaddr_in));
	case AF_INET6:
		return (sizeof(struct sockaddr_in6));
	case AF_UNIX:
		return ((socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    strnlen(sa->sun_path, sizeof(sa->sun_path)) + 1));
	}
	return (sizeof(*ss));
}

/* Waits for a non-blocking connect until deadline; 0 or -1 with errno. */
static int
uc_connect_wait(int fd, long long deadline)
{
	struct pollfd	pfd;
	long long	left;
	socklen_t	len;
	int		n, err;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			break;
		if (n == 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		/* A graceful restart's signal must not fail the request. */
		if (errno != EINTR || pt_stop)
			return (-1);
	}
	len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return (-1);
	if (err != 0) {
		errno = err;
		return (-1);
	}
	return (0);
}

static void
uc_set_tick(int fd, int opt, long long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/*
 * One address: a non-blocking connect bounded by deadline, then back to
 * a blocking socket with the pool's tick (the proxy checks its own
 * deadlines each time a read or write returns EAGAIN, as the core does
 * on client sockets; set once per connection, never per request) and
 * TCP_NODELAY on TCP, since requests go out in one write.
 */
static int
uc_connect_one(const struct sockaddr_storage *ss, long long deadline,
    long long tick)
{
	int fd, flags, one = 1, saved;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd == -1)
		return (-1);
	if (connect(fd, (const struct sockaddr *)ss, uc_addrlen(ss)) == -1) {
		/* A unix socket with a full backlog says EAGAIN at once. */
		if (errno == EAGAIN)
			errno = ECONNREFUSED;
		if (errno != EINPROGRESS || uc_connect_wait(fd, deadline) == -1)
			goto fail;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto fail;
	if (ss->ss_family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if (tick > 0) {
		uc_set_tick(fd, SO_RCVTIMEO, tick);
		uc_set_tick(fd, SO_SNDTIMEO, tick);
	}
	return (fd);
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

/* Each address of s in turn, all within one connect timeout. */
static int
uc_connect(struct upstream_server *s, long long deadline)
{
	struct sockaddr_storage	addrs[4];
	int			n, i, fd = -1;

	if ((n = upstream_server_addrs(s, addrs, 4)) == 0) {
		errno = EADDRNOTAVAIL;	/* not resolved: not its fault */
		return (-1);
	}
	for (i = 0; i < n && fd == -1; i++)
		if ((fd = uc_connect_one(&addrs[i], deadline,
		    s->pool->tick_ms)) == -1 &&
		    errno == ETIMEDOUT)
			break;
	return (fd);
}

/* Failures of this host rather than of the backend. */
static bool
uc_local_error(int e)
{
	return (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM ||
	    e == EBUSY || e == EINTR || e == EADDRNOTAVAIL ||
	    e == EAFNOSUPPORT);
}

static const char *
uc_ms_text(long long ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", ms / 1000);
	else
		snprintf(buf, len, "%lldms", ms);
	return (buf);
}

/*
 * Passive health: fail_max failures within fail_window mark s down for
 * fail_cooldown. Workers count together in the shared state; the one
 * whose failure completes the count marks it and logs it, once. Failures
 * while it is down already (requests that were in flight) do not count.
 * The window restarts at the first failure after it ran out; two workers
 * racing there may lose a count, which only delays the verdict.
 */
static void
uc_failure(struct upstream_server *s, long long now)
{
	struct conf_upstream	*up = s->pool;
	struct upstream_state	*st = ups_state(s);
	long long		 start, until;
	char			 buf[32];

	if (up->fail_max <= 0 ||
	    now < __atomic_load_n(&st->down_until_ms, __ATOMIC_RELAXED))
		return;
	start = __atomic_load_n(&st->fail_window_start_ms, __ATOMIC_RELAXED);
	if (now - start >= up->fail_window_ms &&
	    __atomic_compare_exchange_n(&st->fail_window_start_ms, &start,
	    now, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		__atomic_store_n(&st->fails, 0, __ATOMIC_RELAXED);
	if (__atomic_add_fetch(&st->fails, 1, __ATOMIC_RELAXED) != up->fail_max)
		return;
	until = now + up->fail_cooldown_ms;
	__atomic_store_n(&st->up_since_ms, until, __ATOMIC_RELAXED);
	__atomic_store_n(&st->down_until_ms, until, __ATOMIC_RELAXED);
	__atomic_store_n(&st->fails, 0, __ATOMIC_RELAXED);
	/* The address goes to the error log only, never to a client. */
	PT_LOG(PT_LOG_WARN, "upstream %s: server %s marked down for %s after "
	    "%d failures", up->name, s->address, uc_ms_text(
	    up->fail_cooldown_ms, buf, sizeof(buf)), up->fail_max);
}

struct upstream_conn *
upstream_conn_get(struct upstream_server *s, bool fresh)
{
	struct upstream_conn	*c;
	long long		 now;
	unsigned int		 gen;
	int			 fd, err;

	uw_init();
	uw_touch(s->pool);
	if (!ups_conns_take(s)) {
		errno = EBUSY;
		return (NULL);
	}
	now = now_ms();
	if (!fresh && (c = uc_idle_take(s, now)) != NULL) {
		c->reused = true;
		return (c);
	}
	/* Read before: a change while connecting is caught at reuse. */
	gen = __atomic_load_n(&ups_state(s)->addr_gen, __ATOMIC_ACQUIRE);
	if ((fd = uc_connect(s, now + s->pool->connect_timeout_ms)) == -1) {
		err = errno;
		ups_conns_give(s);
		if (!uc_local_error(err))
			uc_failure(s, now_ms());
		errno = err;
		return (NULL);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		ups_conns_give(s);
		errno = ENOMEM;
		return (NULL);
	}
	c->fd = fd;
	c->server = s;
	c->addr_gen = gen;
	return (c);
}

void
upstream_conn_put(struct upstream_conn *c, bool reusable, bool failed)
{
	struct upstream_server	*s;
	struct upstream_state	*st;
	long long		 now;

	if (c == NULL)
		return;
	s = c->server;
	st = ups_state(s);
	uw_init();
	c->requests++;
	ups_conns_give(s);
	now = now_ms();
	if (failed) {
		__atomic_add_fetch(&st->failures, 1, __ATOMIC_RELAXED);
		uc_failure(s, now);
	} else
		__atomic_add_fetch(&st->requests, 1, __ATOMIC_RELAXED);
	if (!failed && reusable && s->pool->idle_max > 0 && ups_idle_take(s)) {
		c->idle_since_ms = now;
		c->next = NULL;
		c->prev = uw.tail;
		if (uw.tail != NULL)
			uw.tail->next = c;
		else
			uw.head = c;
		uw.tail = c;
		return;
	}
	uc_close(c);
}

void
upstream_note_success(struct upstream_server *s)
{
	struct upstream_state *st = ups_state(s);

	/* Read first: most requests succeed, and a store dirties the line. */
	if (__atomic_load_n(&st->fails, __ATOMIC_RELAXED) != 0)
		__atomic_store_n(&st->fails, 0, __ATOMIC_RELAXED);
}

/*
 * Past their idle timeout, or closed by the backend meanwhile (one peek
 * each): either way the slot they hold under idle_max goes back.
 */
void
upstream_idle_sweep(long long now)
{
	struct upstream_conn *c, *next;

	if (!uw.ready || uw.stale)
		return;
	for (c = uw.head; c != NULL; c = next) {
		next = c->next;
		if (now - c->idle_since_ms < c->server->pool->idle_timeout_ms &&
		    uc_alive(c->fd) && uc_addr_current(c))
			continue;
		uc_unlink(c);
		ups_idle_give(c->server);
		uc_close(c);
	}
}

/* A worker leaving normally gives back its idle and any active share. */
static void
uw_exit(void)
{
	struct upstream_conn	*c, *next;
	struct conf_upstream	*up;

	if (!uw.ready || uw.stale)
		return;
	for (c = uw.head; c != NULL; c = next) {
		next = c->next;
		ups_idle_give(c->server);
		uc_close(c);
	}
	uw.head = uw.tail = NULL;
	for (up = uw.pools; up != NULL; up = up->w_next)
		ups_ledger_settle(up, uw.slot);
}

/*
 * A sequence lock on addr_gen: odd while the writer is at work. Readers
 * copy, then check the count did not move; they yield rather than spin
 * (workers share the cores with the writer), and give up waiting on a
 * writer that died half-way after a while.
 */
int
upstream_server_addrs(struct upstream_server *s, struct sockaddr_storage *out,
    int max)
{
	struct upstream_state	*st = ups_state(s);
	unsigned int		 g1, g2;
	int			 n, tries = 0;

	do {
		if (tries++ > 0)
			sched_yield();
		g1 = __atomic_load_n(&st->addr_gen, __ATOMIC_ACQUIRE);
		n = __atomic_load_n(&st->naddrs, __ATOMIC_RELAXED);
		n = n < 0 ? 0 : n > 4 ? 4 : n;
		n = n > max ? max : n;
		memcpy(out, st->addrs, (size_t)n * sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		g2 = __atomic_load_n(&st->addr_gen, __ATOMIC_RELAXED);
	} while ((g1 != g2 || (g1 & 1) != 0) && tries < 100);
	return (n);
}

int
upstream_server_addr(struct upstream_server *s, struct sockaddr_storage *ss,
    socklen_t *len)
{
	if (upstream_server_addrs(s, ss, 1) == 0)
		return (-1);
	*len = uc_addrlen(ss);
	return (0);
}

void
upstream_server_addrs_set(struct upstream_server *s,
    const struct sockaddr_storage *addrs, int n)
{
	struct upstream_state	*st = ups_state(s);
	unsigned int		 g, mine;
	int			 tries = 0;

	n = n < 0 ? 0 : n > 4 ? 4 : n;
	/*
	 * Take the lock: from even to odd, by compare-and-swap, since the
	 * master (reloading) and the helper (re-resolving) may write at the
	 * same moment. An odd count that stays odd belongs to a writer that
	 * died half-way: step over it, to the next odd one.
	 */
	for (;;) {
		g = __atomic_load_n(&st->addr_gen, __ATOMIC_RELAXED);
		if ((g & 1) != 0 && tries++ < 100) {
			sched_yield();
			continue;
		}
		mine = (g & 1) != 0 ? g + 2 : g + 1;
		if (__atomic_compare_exchange_n(&st->addr_gen, &g, mine, false,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (n > 0)
		memcpy(st->addrs, addrs, (size_t)n * sizeof(*addrs));
	__atomic_store_n(&st->naddrs, n, __ATOMIC_RELAXED);
	__atomic_store_n(&st->addr_gen, mine + 1, __ATOMIC_RELEASE);
}

/* The accessors of portier/upstream_io.h, for the upstream_transport hook. */
PT_API int
pt_upstream_fd(const struct pt_upstream *u)
{
	return (u->uc->fd);
}

PT_API const char *
pt_upstream_pool(const struct pt_upstream *u)
{
	return (u->uc->server->pool->name);
}

PT_API const char *
pt_upstream_host(const struct pt_upstream *u)
{
	return (u->uc->server->host);
}

PT_API int
pt_upstream_port(const struct pt_upstream *u)
{
	return (u->uc->server->port);
}

PT_API long long
pt_upstream_connect_timeout(const struct pt_upstream *u)
{
	return (u->uc->server->pool->connect_timeout_ms);
}

PT_API struct pt_request *
pt_upstream_request(const struct pt_upstream *u)
{
	return (u->r);
}

PT_API void
pt_upstream_set_io(struct pt_upstream *u, const struct pt_upstream_io *io,
    void *ctx)
{
	u->uc->io = io;
	u->uc->io_ctx = ctx;
}

PT_API const struct pt_conf *
pt_upstream_conf(const struct pt_upstream *u)
{
	return (u->r != NULL ? u->r->conf : u->cf);
}

PT_API void
pt_upstream_set_handshake(struct pt_upstream *u, pt_upstream_handshake_fn fn)
{
	/* A worker's connection is blocking: its hook does the handshake. */
	if (u->r == NULL)
		u->hs = fn;
}
