/*
 * The tunnel process: relays the streams workers hand over. One epoll set,
 * edge-triggered, one entry per socket; bytes move with splice(2) through a
 * pipe pair that a direction holds only while it has bytes in flight. Caps
 * (total, per client address) are checked before a stream is accepted, and
 * a stream that moves no byte either way for the idle time is closed. The
 * hand-off protocol and the master's side live in tunnel.c.
 */
#define PT_LOG_TAG	"tunnel"

#include "config.h"
#include "tunnel.h"

#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#define TN_CHUNK	(64 * 1024)	/* one splice in: a default pipe's size */
#define TN_ROUNDS	16		/* splices in per stream per turn */
#define TN_EVENTS	256
#define TN_SPARE_PIPES	64		/* drained pipes kept for reuse */
#define TN_ADDR_BUCKETS	1024
#define TN_CTL_BATCH	64		/* hand-offs taken per turn */
#define TN_MAX_WAIT_MS	1000

struct tn_stream;

/* One socket of a stream. Edge-triggered: ready until EAGAIN says not. */
struct tn_end {
	int			 fd;
	bool			 readable;
	bool			 writable;
	struct tn_stream	*st;
};

/* One direction, from end[d] to the other end. */
struct tn_dir {
	int			 pipe[2];	/* -1: nothing in flight */
	size_t			 inpipe;	/* bytes in the pipe */
	char			*pend;		/* from the worker, sent first */
	size_t			 pend_len, pend_off;
	bool			 eof;		/* the source sent its FIN */
	bool			 shut;		/* and it was passed on */
	uint64_t		 bytes;
};

/* Streams per client address: the per-address cap. */
struct tn_addr {
	struct tn_addr		*next;
	unsigned int		 n;
	char			 text[64];
};

enum tn_queue { TN_Q_NONE, TN_Q_READY, TN_Q_WAIT };

struct tn_stream {
	struct tn_end		 end[2];	/* 0 the client, 1 the upstream */
	struct tn_dir		 dir[2];	/* 0 client to upstream, 1 back */
	struct tn_addr		*addr;
	struct tunnel_line	 line;		/* tpl NULL: none */
	long long		 last;		/* a byte last moved, ms */
	bool			 moved;		/* during this turn */
	enum tn_queue		 queue;
	TAILQ_ENTRY(tn_stream)	 all;		/* least recently active first */
	TAILQ_ENTRY(tn_stream)	 q;		/* ready, or waiting for a pipe */
};

TAILQ_HEAD(tn_list, tn_stream);

struct relay {
	const struct tunnel_limits *lim;
	int			 ep, ctl, sig;
	struct tn_list		 all;
	struct tn_list		 ready;
	struct tn_list		 waiting;
	unsigned int		 nstreams, nready;
	unsigned int		 npipes;	/* pairs open: in use or spare */
	int			 spare[TN_SPARE_PIPES][2];
	unsigned int		 nspare;
	long long		 now;
	long long		 pipe_err_logged;
	bool			 stop;
	struct tn_addr		*addrs[TN_ADDR_BUCKETS];
	struct tunnel_logs	 logs;
	char			 msg[sizeof(struct tunnel_msg) +
				    2 * TUNNEL_PENDING_MAX + TUNNEL_LOG_MAX + 1];
};

/* Results of moving one direction. */
enum { TN_FAIL = -1, TN_IDLE, TN_MORE, TN_WAIT };

static void
relay_sb_update(const struct relay *rl)
{
	if (pt_scoreboard != NULL)
		__atomic_store_n(&pt_scoreboard->tunnel_streams, rl->nstreams,
		    __ATOMIC_RELAXED);
}

/* Counts a verdict in the scoreboard. */
static void
relay_sb_count(int verdict)
{
	if (pt_scoreboard == NULL)
		return;
	if (verdict == TUNNEL_ACCEPTED)
		__atomic_fetch_add(&pt_scoreboard->tunnel_total, 1,
		    __ATOMIC_RELAXED);
	else if (verdict == TUNNEL_FULL || verdict == TUNNEL_ADDR_FULL)
		__atomic_fetch_add(&pt_scoreboard->tunnel_refused, 1,
		    __ATOMIC_RELAXED);
}

static void
queue_set(struct relay *rl, struct tn_stream *st, enum tn_queue q)
{
	if (st->queue == q)
		return;
	if (st->queue == TN_Q_READY) {
		TAILQ_REMOVE(&rl->ready, st, q);
		rl->nready--;
	} else if (st->queue == TN_Q_WAIT) {
		TAILQ_REMOVE(&rl->waiting, st, q);
	}
	st->queue = q;
	if (q == TN_Q_READY) {
		TAILQ_INSERT_TAIL(&rl->ready, st, q);
		rl->nready++;
	} else if (q == TN_Q_WAIT) {
		TAILQ_INSERT_TAIL(&rl->waiting, st, q);
	}
}

static unsigned int
addr_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return (h % TN_ADDR_BUCKETS);
}

static struct tn_addr *
addr_get(struct relay *rl, const char *text)
{
	struct tn_addr	**head = &rl->addrs[addr_hash(text)], *a;

	for (a = *head; a != NULL; a = a->next)
		if (strcmp(a->text, text) == 0)
			return (a);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (NULL);
	memcpy(a->text, text, strnlen(text, sizeof(a->text) - 1));
	a->next = *head;
	*head = a;
	return (a);
}

/* Drops one stream from a's count; forgets a at zero. */
static void
addr_put(struct relay *rl, struct tn_addr *a)
{
	struct tn_addr	**pp;

	if (a->n > 0)
		a->n--;
	if (a->n > 0)
		return;
	for (pp = &rl->addrs[addr_hash(a->text)]; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			free(a);
			return;
		}
	}
}

/*
 * A pipe pair for a direction that has bytes to move: a spare one, or a
 * new one while under the budget. -1: none now (the stream waits).
 */
static int
pipe_get(struct relay *rl, struct tn_dir *d)
{
	if (rl->nspare > 0) {
		rl->nspare--;
		d->pipe[0] = rl->spare[rl->nspare][0];
		d->pipe[1] = rl->spare[rl->nspare][1];
		return (0);
	}
	if (rl->npipes >= rl->lim->pipes_max)
		return (-1);
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		d->pipe[0] = d->pipe[1] = -1;
		if (rl->now - rl->pipe_err_logged >= 1000) {
			PT_LOG_ERRNO(PT_LOG_ERR, "pipe2 (%u pipes open)",
			    rl->npipes);
			rl->pipe_err_logged = rl->now;
		}
		return (-1);
	}
	rl->npipes++;
	return (0);
}

/* Gives the pipe back: kept for reuse when drained, else closed. */
static void
pipe_put(struct relay *rl, struct tn_dir *d)
{
	struct tn_stream	*w;

	if (d->pipe[0] == -1)
		return;
	if (d->inpipe == 0 && rl->nspare < TN_SPARE_PIPES) {
		rl->spare[rl->nspare][0] = d->pipe[0];
		rl->spare[rl->nspare][1] = d->pipe[1];
		rl->nspare++;
	} else {
		close(d->pipe[0]);
		close(d->pipe[1]);
		rl->npipes--;
	}
	d->pipe[0] = d->pipe[1] = -1;
	d->inpipe = 0;
	/* A stream waiting for a pipe may take this one, or its room. */
	if ((w = TAILQ_FIRST(&rl->waiting)) != NULL)
		queue_set(rl, w, TN_Q_READY);
}

static void
stream_close(struct relay *rl, struct tn_stream *st, const char *why)
{
	int	 i;

	if (why != NULL)
		PT_LOG(PT_LOG_DEBUG, "stream from %s closed (%s): %llu bytes "
		    "up, %llu down", st->addr->text, why,
		    (unsigned long long)st->dir[0].bytes,
		    (unsigned long long)st->dir[1].bytes);
	tunnel_line_write(&rl->logs, &st->line, st->dir[0].bytes,
	    st->dir[1].bytes, rl->now);
	tunnel_line_free(&rl->logs, &st->line);
	queue_set(rl, st, TN_Q_NONE);
	TAILQ_REMOVE(&rl->all, st, all);
	for (i = 0; i < 2; i++) {
		/*
		 * Removed by hand: a worker may still hold a copy of the
		 * socket for a moment, and epoll forgets a descriptor only
		 * when every copy of it is closed.
		 */
		(void)epoll_ctl(rl->ep, EPOLL_CTL_DEL, st->end[i].fd, NULL);
		close(st->end[i].fd);
		pipe_put(rl, &st->dir[i]);
		free(st->dir[i].pend);
	}
	addr_put(rl, st->addr);
	rl->nstreams--;
	relay_sb_update(rl);
	free(st);
}

/* Writes what the worker had already read, before any spliced byte. */
static int
dir_pending(struct tn_stream *st, struct tn_dir *dr, struct tn_end *dst)
{
	ssize_t	 n;

	while (dr->pend != NULL) {
		if (!dst->writable)
			return (TN_IDLE);
		n = write(dst->fd, dr->pend + dr->pend_off,
		    dr->pend_len - dr->pend_off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return (TN_FAIL);
			dst->writable = false;
			return (TN_IDLE);
		}
		st->moved = true;
		dr->bytes += (uint64_t)n;
		if ((dr->pend_off += (size_t)n) == dr->pend_len) {
			free(dr->pend);
			dr->pend = NULL;
		}
	}
	return (TN_MORE);
}

/*
 * Moves direction d as far as it will go: drain the pipe into the
 * destination, then splice more from the source once the pipe is empty;
 * on the source's FIN, pass it on with shutdown(SHUT_WR). A drained pipe
 * goes back at once, so idle streams hold no pipe. budget bounds the
 * splices in per turn, so one fast stream cannot starve the others.
 */
static int
dir_move(struct relay *rl, struct tn_stream *st, int d, int *budget)
{
	struct tn_dir	*dr = &st->dir[d];
	struct tn_end	*src = &st->end[d], *dst = &st->end[1 - d];
	ssize_t		 n;
	int		 r;

	if ((r = dir_pending(st, dr, dst)) != TN_MORE)
		return (r);
	while (!dr->shut) {
		if (dr->inpipe > 0) {
			if (!dst->writable)
				return (TN_IDLE);
			n = splice(dr->pipe[0], NULL, dst->fd, NULL, dr->inpipe,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				dr->inpipe -= (size_t)n;
				dr->bytes += (uint64_t)n;
				st->moved = true;
			} else if (n == -1 && errno == EAGAIN) {
				dst->writable = false;
			} else if (n == 0 || errno != EINTR) {
				return (TN_FAIL);
			}
			continue;
		}
		if (dr->eof) {
			pipe_put(rl, dr);
			(void)shutdown(dst->fd, SHUT_WR);
			dr->shut = true;
			break;
		}
		if (!src->readable) {
			pipe_put(rl, dr);
			return (TN_IDLE);
		}
		if (*budget <= 0)
			return (TN_MORE);
		if (dr->pipe[0] == -1 && pipe_get(rl, dr) == -1)
			return (TN_WAIT);
		n = splice(src->fd, NULL, dr->pipe[1], NULL, TN_CHUNK,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			dr->inpipe = (size_t)n;
			(*budget)--;
		} else if (n == 0) {
			dr->eof = true;
		} else if (errno == EAGAIN) {
			src->readable = false;
		} else if (errno != EINTR) {
			return (TN_FAIL);
		}
	}
	return (TN_IDLE);
}

static void
stream_run(struct relay *rl, struct tn_stream *st)
{
	int	 budget = TN_ROUNDS, r0, r1;

	st->moved = false;
	r0 = dir_move(rl, st, 0, &budget);
	r1 = r0 == TN_FAIL ? TN_FAIL : dir_move(rl, st, 1, &budget);
	if (r0 == TN_FAIL || r1 == TN_FAIL) {
		stream_close(rl, st, "reset");
		return;
	}
	if (st->dir[0].shut && st->dir[1].shut) {
		stream_close(rl, st, "both sides done");
		return;
	}
	if (st->moved) {
		/* Now, not the turn's start: the idle time is never cut short. */
		st->last = now_ms();
		TAILQ_REMOVE(&rl->all, st, all);
		TAILQ_INSERT_TAIL(&rl->all, st, all);
	}
	if (r0 == TN_MORE || r1 == TN_MORE)
		queue_set(rl, st, TN_Q_READY);
	else if (r0 == TN_WAIT || r1 == TN_WAIT)
		queue_set(rl, st, TN_Q_WAIT);
}

/* Runs the streams that were ready when the turn began. */
static void
relay_run_ready(struct relay *rl)
{
	struct tn_stream	*st;
	unsigned int		 n;

	for (n = rl->nready; n > 0 && (st = TAILQ_FIRST(&rl->ready)) != NULL;
	    n--) {
		queue_set(rl, st, TN_Q_NONE);
		stream_run(rl, st);
	}
}

/* Closes streams idle too long; returns ms until the next one expires. */
static long long
relay_expire(struct relay *rl)
{
	struct tn_stream	*st;
	long long		 left;

	rl->now = now_ms();
	while ((st = TAILQ_FIRST(&rl->all)) != NULL) {
		left = st->last + rl->lim->idle_ms - rl->now;
		if (left > 0)
			return (left < TN_MAX_WAIT_MS ? left : TN_MAX_WAIT_MS);
		stream_close(rl, st, "idle");
	}
	return (TN_MAX_WAIT_MS);
}

static char *
relay_copy(const char *p, size_t n)
{
	char	*b;

	if (n == 0 || (b = malloc(n)) == NULL)
		return (NULL);
	memcpy(b, p, n);
	return (b);
}

static int
stream_watch(struct relay *rl, struct tn_stream *st)
{
	struct epoll_event	 ev;
	int			 i, fl;

	for (i = 0; i < 2; i++) {
		fl = fcntl(st->end[i].fd, F_GETFL);
		if (fl == -1 || fcntl(st->end[i].fd, F_SETFL,
		    fl | O_NONBLOCK) == -1)
			return (-1);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
		ev.data.ptr = &st->end[i];
		if (epoll_ctl(rl->ep, EPOLL_CTL_ADD, st->end[i].fd, &ev) == -1) {
			if (i == 1)
				(void)epoll_ctl(rl->ep, EPOLL_CTL_DEL,
				    st->end[0].fd, NULL);
			return (-1);
		}
	}
	return (0);
}

/*
 * Takes a handed-over stream when the caps allow it. On TUNNEL_ACCEPTED
 * the stream owns fds[0], fds[1] and fds[3] (set to -1 here).
 */
static int
stream_new(struct relay *rl, const struct tunnel_msg *h, int fds[4],
    struct tn_stream **out)
{
	const char		*data = rl->msg + sizeof(*h);
	struct tn_stream	*st;
	struct tn_addr		*a;
	int			 i;

	if (rl->nstreams >= rl->lim->streams_max)
		return (TUNNEL_FULL);
	if ((a = addr_get(rl, h->client)) == NULL)
		return (TUNNEL_BAD);
	if (a->n >= rl->lim->per_addr_max)
		return (TUNNEL_ADDR_FULL);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		goto bad;
	st->dir[0].pend = relay_copy(data, h->n_up);
	st->dir[1].pend = relay_copy(data + h->n_up, h->n_client);
	if ((h->n_up > 0 && st->dir[0].pend == NULL) ||
	    (h->n_client > 0 && st->dir[1].pend == NULL))
		goto bad;
	if (fds[3] != -1 && tunnel_line_set(&rl->logs, &st->line, h,
	    data + h->n_up + h->n_client, fds[3]) == -1) {
		fds[3] = -1;
		goto bad;
	}
	fds[3] = -1;
	for (i = 0; i < 2; i++) {
		st->end[i].fd = fds[i];
		st->end[i].readable = st->end[i].writable = true;
		st->end[i].st = st;
		st->dir[i].pipe[0] = st->dir[i].pipe[1] = -1;
		st->dir[i].pend_len = i == 0 ? h->n_up : h->n_client;
	}
	if (stream_watch(rl, st) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "stream from %s: epoll", h->client);
		goto bad;
	}
	fds[0] = fds[1] = -1;
	a->n++;
	st->addr = a;
	st->last = rl->now;
	TAILQ_INSERT_TAIL(&rl->all, st, all);
	rl->nstreams++;
	relay_sb_update(rl);
	*out = st;
	return (TUNNEL_ACCEPTED);
 bad:
	if (st != NULL) {
		tunnel_line_free(&rl->logs, &st->line);
		free(st->dir[0].pend);
		free(st->dir[1].pend);
		free(st);
	}
	if (a->n == 0) {
		a->n = 1;	/* addr_put frees it */
		addr_put(rl, a);
	}
	return (TUNNEL_BAD);
}

/* The descriptors of a hand-off: three or four, any others closed. */
static int
ctl_fds(struct msghdr *msg, int fds[4])
{
	struct cmsghdr	*c;
	int		*p, n = 0, i, k;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		p = (int *)(void *)CMSG_DATA(c);
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < k; i++) {
			if (n < 4)
				fds[n] = p[i];
			else
				close(p[i]);
			n++;
		}
	}
	return (n);
}

/* One hand-off: check it, take it (or not), answer the worker. */
static void
ctl_handle(struct relay *rl, size_t len, int flags, int fds[4], int nfd)
{
	struct tunnel_msg	 h;
	struct tn_stream	*st = NULL;
	unsigned char		 v;
	int			 i;

	memset(&h, 0, sizeof(h));
	if (len >= sizeof(h))
		memcpy(&h, rl->msg, sizeof(h));
	h.client[sizeof(h.client) - 1] = '\0';
	if (nfd != (h.n_log > 0 ? 4 : 3) ||
	    (flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
	    len < sizeof(h) || h.magic != TUNNEL_MAGIC ||
	    h.n_up > TUNNEL_PENDING_MAX || h.n_client > TUNNEL_PENDING_MAX ||
	    h.n_log > TUNNEL_LOG_MAX ||
	    len != sizeof(h) + h.n_up + h.n_client + h.n_log) {
		PT_LOG(PT_LOG_ERR, "malformed hand-off (%zu bytes, %d "
		    "descriptors): dropped", len, nfd);
		v = TUNNEL_BAD;
	} else {
		v = (unsigned char)stream_new(rl, &h, fds, &st);
	}
	relay_sb_count(v);
	/* The worker gave up waiting (EPIPE): it answers the client. */
	if (nfd >= 3 && send(fds[2], &v, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1 &&
	    st != NULL) {
		/* The worker logs its 503. */
		tunnel_line_free(&rl->logs, &st->line);
		stream_close(rl, st, NULL);
		st = NULL;
	}
	for (i = 0; i < nfd && i < 4; i++)
		if (fds[i] != -1)
			close(fds[i]);
	if (st != NULL)
		queue_set(rl, st, TN_Q_READY);
}

/* Takes the hand-offs waiting on the socket, a bounded number per turn. */
static void
relay_ctl(struct relay *rl)
{
	union {
		struct cmsghdr	 c;
		char		 buf[CMSG_SPACE(8 * sizeof(int))];
	}			 cm;
	struct msghdr		 msg;
	struct iovec		 iov;
	int			 fds[4], i, nfd;
	ssize_t			 n;

	for (i = 0; i < TN_CTL_BATCH && !rl->stop; i++) {
		iov.iov_base = rl->msg;
		iov.iov_len = sizeof(rl->msg);
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		n = recvmsg(rl->ctl, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				PT_LOG_ERRNO(PT_LOG_ERR, "recvmsg");
			return;
		}
		if (n == 0 && msg.msg_controllen == 0) {
			/* Every sender is gone: only a dead master does that. */
			PT_LOG(PT_LOG_ERR, "hand-off socket closed: stopping");
			rl->stop = true;
			return;
		}
		fds[0] = fds[1] = fds[2] = fds[3] = -1;
		nfd = ctl_fds(&msg, fds);
		ctl_handle(rl, (size_t)n, msg.msg_flags, fds, nfd);
	}
}

static void
relay_event(struct relay *rl, const struct epoll_event *ev)
{
	struct signalfd_siginfo	 si;
	struct tn_end		*e;

	if (ev->data.ptr == &rl->ctl) {
		relay_ctl(rl);
		return;
	}
	if (ev->data.ptr == &rl->sig) {
		while (read(rl->sig, &si, sizeof(si)) == sizeof(si))
			rl->stop = true;
		return;
	}
	e = ev->data.ptr;
	if ((ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0)
		e->readable = true;
	if ((ev->events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0)
		e->writable = true;
	queue_set(rl, e->st, TN_Q_READY);
}

static int
relay_init(struct relay *rl, int ctl, const struct tunnel_limits *lim)
{
	struct epoll_event	 ev;
	struct sigaction	 sa;
	sigset_t		 ss;

	rl->lim = lim;
	rl->ctl = ctl;
	rl->sig = -1;
	TAILQ_INIT(&rl->all);
	TAILQ_INIT(&rl->ready);
	TAILQ_INIT(&rl->waiting);
	rl->now = now_ms();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* TERM and INT arrive as events: no handler, no EINTR anywhere. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	if ((rl->ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (rl->sig = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		return (-1);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &rl->ctl;
	if (epoll_ctl(rl->ep, EPOLL_CTL_ADD, rl->ctl, &ev) == -1)
		return (-1);
	ev.data.ptr = &rl->sig;
	return (epoll_ctl(rl->ep, EPOLL_CTL_ADD, rl->sig, &ev));
}

static void
relay_free(struct relay *rl)
{
	struct tn_stream	*st;
	unsigned int		 n = rl->nstreams;

	while ((st = TAILQ_FIRST(&rl->all)) != NULL)
		stream_close(rl, st, NULL);
	while (rl->nspare > 0) {
		rl->nspare--;
		close(rl->spare[rl->nspare][0]);
		close(rl->spare[rl->nspare][1]);
	}
	if (rl->sig != -1)
		close(rl->sig);
	if (rl->ep != -1)
		close(rl->ep);
	close(rl->ctl);
	PT_LOG(PT_LOG_NOTICE, "tunnel process stopping: %u streams closed", n);
	free(rl);
}

/*
 * The loop: wait for events (not past the next idle expiry, and not at all
 * while streams are still ready from the last turn), mark the ends ready,
 * then run each ready stream once. TERM or INT ends every stream.
 */
void
tunnel_main(int ctl, const struct tunnel_limits *lim)
{
	struct epoll_event	 evs[TN_EVENTS];
	struct relay		*rl;
	long long		 wait;
	int			 n, i;

	if ((rl = calloc(1, sizeof(*rl))) == NULL ||
	    relay_init(rl, ctl, lim) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "tunnel process set-up");
		exit(2);
	}
	if (pt_scoreboard != NULL) {
		pt_scoreboard->tunnel_total = 0;
		pt_scoreboard->tunnel_refused = 0;
	}
	relay_sb_update(rl);
	PT_LOG(PT_LOG_INFO, "tunnel process started: up to %u streams, %u "
	    "per client address, idle timeout %llds", lim->streams_max,
	    lim->per_addr_max, lim->idle_ms / 1000);
	while (!rl->stop) {
		wait = relay_expire(rl);
		n = epoll_wait(rl->ep, evs, TN_EVENTS,
		    rl->nready > 0 ? 0 : (int)wait);
		if (n == -1 && errno != EINTR) {
			PT_LOG_ERRNO(PT_LOG_ERR, "epoll_wait");
			break;
		}
		rl->now = now_ms();
		for (i = 0; i < n; i++)
			relay_event(rl, &evs[i]);
		relay_run_ready(rl);
	}
	relay_free(rl);
	exit(0);
}
