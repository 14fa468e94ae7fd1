/*
 * The tunnel process, seen from outside: the master starts, stops, reaps
 * and restarts it; a worker hands it a stream and waits for its verdict;
 * modules ask for that through pt_req_tunnel(). The relaying itself lives
 * in tunnel_relay.c.
 *
 * The hand-off socket is one SOCK_SEQPACKET socketpair made once by the
 * master and kept for its whole life: workers send on [0], the tunnel
 * process reads [1]. The master holds both ends, so a tunnel process that
 * dies loses only its own streams: hand-offs sent meanwhile wait in the
 * socket for the next one, and workers never need a new descriptor.
 */
#define PT_LOG_TAG	"tunnel"

#include "config.h"
#include "tunnel.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

#define TUNNEL_SEND_MS		1000	/* SO_SNDTIMEO of the hand-off socket */
#define TUNNEL_STOP_MS		3000	/* TERM, then KILL */
#define TUNNEL_QUICK_MS		1000	/* a death this soon after start... */
#define TUNNEL_QUICK_MAX	5	/* ...this many times in a row: give up */
#define TUNNEL_FD_RESERVE	64	/* descriptors kept for the rest */

static int		 tn_ctl[2] = { -1, -1 };
static pid_t		 tn_pid_;
static bool		 tn_stopping;
static long long	 tn_started;
static unsigned int	 tn_quick;
/* What a restart after a crash needs from the configuration of the last
 * start: the master may have freed that configuration since. */
static struct pt_conf	 tn_conf;
static bool		 tn_explicit_user;
static int		 tn_refusal;	/* the last hand-off's, in a worker */

static int
tunnel_ctl_open(void)
{
	struct timeval	 tv = { TUNNEL_SEND_MS / 1000, 0 };
	int		 sz = 1 << 20;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    tn_ctl) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "socketpair");
		return (-1);
	}
	/*
	 * Every worker shares [0], and queued hand-offs are charged to its
	 * send buffer: make room for several carrying their full pending
	 * bytes (FORCE needs root; otherwise wmem_max caps it). A full
	 * buffer (no tunnel process for a while) blocks a sender for at most
	 * SO_SNDTIMEO.
	 */
	if (setsockopt(tn_ctl[0], SOL_SOCKET, SO_SNDBUFFORCE, &sz,
	    sizeof(sz)) == -1)
		(void)setsockopt(tn_ctl[0], SOL_SOCKET, SO_SNDBUF, &sz,
		    sizeof(sz));
	if (setsockopt(tn_ctl[0], SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) == -1)
		PT_LOG_ERRNO(PT_LOG_WARN, "SO_SNDTIMEO");
	return (0);
}

static void
tunnel_conf_keep(const struct pt_conf *cf, bool explicit_user)
{
	free((char *)(uintptr_t)tn_conf.user);
	free((char *)(uintptr_t)tn_conf.group);
	memset(&tn_conf, 0, sizeof(tn_conf));
	tn_conf.user = cf->user != NULL ? strdup(cf->user) : NULL;
	tn_conf.group = cf->group != NULL ? strdup(cf->group) : NULL;
	tn_conf.allow_root = cf->allow_root;
	tn_conf.rlimit_nofile = cf->rlimit_nofile;
	tn_conf.timeouts.tunnel_idle = cf->timeouts.tunnel_idle;
	tn_conf.limits.tunnels_max = cf->limits.tunnels_max;
	tn_conf.limits.tunnels_per_client = cf->limits.tunnels_per_client;
	tn_explicit_user = explicit_user;
}

/*
 * The tunnel outlives graceful restarts, so it must not hold listening
 * sockets inherited from the master: a listener removed from the
 * configuration would stay bound, its queue served by nobody.
 */
static void
tunnel_close_listeners(int keep)
{
	struct dirent	*de;
	DIR		*d;
	socklen_t	 sl;
	int		 fd, on, fds[256];
	size_t		 n = 0, i;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL && n < sizeof(fds) / sizeof(fds[0])) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = (int)strtol(de->d_name, NULL, 10);
		on = 0;
		sl = sizeof(on);
		if (fd > STDERR_FILENO && fd != keep && fd != dirfd(d) &&
		    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &sl) == 0 &&
		    on != 0)
			fds[n++] = fd;
	}
	closedir(d);
	for (i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * RLIMIT_NOFILE, raised to fit (as root the hard limit too, before
 * privileges go): rlimit_nofile when set, else what the caps need within
 * the hard limit. When it stays short, the stream cap shrinks to fit: each
 * stream holds two sockets and, while bytes flow, part of a pipe pair.
 */
static void
tunnel_limits_init(struct tunnel_limits *tl)
{
	struct rlimit	 rl, nr;
	rlim_t		 want, need, cap;

	tl->streams_max = (unsigned int)tn_conf.limits.tunnels_max;
	tl->per_addr_max = (unsigned int)tn_conf.limits.tunnels_per_client;
	tl->idle_ms = tn_conf.timeouts.tunnel_idle;
	need = (rlim_t)tl->streams_max * 3 + TUNNEL_FD_RESERVE;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		rl.rlim_cur = rl.rlim_max = 1024;
	want = tn_conf.rlimit_nofile > 0 ? (rlim_t)tn_conf.rlimit_nofile :
	    (need < rl.rlim_max ? need : rl.rlim_max);
	if (want > rl.rlim_cur) {
		nr.rlim_cur = want;
		nr.rlim_max = want > rl.rlim_max ? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &nr) == -1) {
			PT_LOG_ERRNO(PT_LOG_WARN, "RLIMIT_NOFILE %llu",
			    (unsigned long long)want);
			nr.rlim_cur = nr.rlim_max = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &nr);
		}
		if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			rl.rlim_cur = 1024;
	}
	cap = rl.rlim_cur > TUNNEL_FD_RESERVE * 2 ?
	    (rl.rlim_cur - TUNNEL_FD_RESERVE) / 3 : TUNNEL_FD_RESERVE / 3;
	if (cap < tl->streams_max) {
		tl->streams_max = (unsigned int)cap;
		PT_LOG(PT_LOG_NOTICE, "RLIMIT_NOFILE %llu allows %u "
		    "streams, not request_limits.tunnels_max (set "
		    "rlimit_nofile for more)",
		    (unsigned long long)rl.rlim_cur, tl->streams_max);
	}
	tl->pipes_max = tl->streams_max / 2 + 1;
	if (tl->per_addr_max > tl->streams_max)
		tl->per_addr_max = tl->streams_max;
}

/*
 * XXX The process keeps the error log open when it started: a USR1 log
 * rotation reaches it only at its next start (the master would have to
 * pass it the new descriptor over the hand-off socket).
 */
static void __attribute__((noreturn))
tunnel_child(pid_t master)
{
	struct tunnel_limits	 tl;

	proc_title_set("portier: tunnel");
	close(tn_ctl[0]);
	tunnel_close_listeners(tn_ctl[1]);
	tunnel_limits_init(&tl);
	if (worker_drop_privileges(&tn_conf, tn_explicit_user) == -1)
		exit(2);
	/* Its streams end with the master: nothing else could stop them. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != master)
		exit(0);
	tunnel_main(tn_ctl[1], &tl);
}

static int
tunnel_spawn(void)
{
	pid_t	 pid, master = getpid();

	switch ((pid = fork())) {
	case -1:
		PT_LOG_ERRNO(PT_LOG_ERR, "fork");
		return (-1);
	case 0:
		tunnel_child(master);
	default:
		tn_pid_ = pid;
		tn_started = now_ms();
		if (pt_scoreboard != NULL)
			pt_scoreboard->tunnel_pid = pid;
		return (0);
	}
}

int
tunnel_start(const struct pt_conf *cf, bool explicit_user)
{
	if (tn_ctl[0] == -1 && tunnel_ctl_open() == -1)
		return (-1);
	tunnel_conf_keep(cf, explicit_user);
	tn_stopping = false;
	tn_quick = 0;
	return (tunnel_spawn());
}

pid_t
tunnel_pid(void)
{
	return (tn_pid_);
}

static void
tunnel_forget(void)
{
	tn_pid_ = 0;
	if (pt_scoreboard != NULL) {
		pt_scoreboard->tunnel_pid = 0;
		pt_scoreboard->tunnel_streams = 0;
	}
}

void
tunnel_stop(void)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	long long	 deadline;
	pid_t		 r;
	int		 status;

	tn_stopping = true;
	if (tn_pid_ <= 0)
		return;
	kill(tn_pid_, SIGTERM);
	deadline = now_ms() + TUNNEL_STOP_MS;
	while ((r = waitpid(tn_pid_, &status, WNOHANG)) == 0 &&
	    now_ms() < deadline)
		nanosleep(&ts, NULL);
	if (r == 0) {
		PT_LOG(PT_LOG_WARN, "tunnel process %d still running after "
		    "%dms: killing it", (int)tn_pid_, TUNNEL_STOP_MS);
		kill(tn_pid_, SIGKILL);
		(void)waitpid(tn_pid_, &status, 0);
	}
	tunnel_forget();
}

void
tunnel_reaped(pid_t pid, int status)
{
	unsigned int	 lost;
	bool		 quick;

	if (pid <= 0 || pid != tn_pid_)
		return;
	lost = pt_scoreboard != NULL ? pt_scoreboard->tunnel_streams : 0;
	quick = now_ms() - tn_started < TUNNEL_QUICK_MS;
	tunnel_forget();
	if (tn_stopping || pt_stop || pt_graceful)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		PT_LOG(PT_LOG_ERR, "tunnel process could not start: streams "
		    "are refused until the next restart (HUP)");
		return;
	}
	if (WIFSIGNALED(status))
		PT_LOG(PT_LOG_ERR, "tunnel process %d died on signal %d: %u "
		    "streams lost; restarting it", (int)pid, WTERMSIG(status),
		    lost);
	else
		PT_LOG(PT_LOG_ERR, "tunnel process %d exited with status %d: "
		    "%u streams lost; restarting it", (int)pid,
		    WEXITSTATUS(status), lost);
	tn_quick = quick ? tn_quick + 1 : 0;
	if (tn_quick >= TUNNEL_QUICK_MAX) {
		PT_LOG(PT_LOG_ERR, "tunnel process died %u times within %dms "
		    "of starting: not restarting it until the next restart "
		    "(HUP)", tn_quick, TUNNEL_QUICK_MS);
		return;
	}
	tunnel_spawn();
}

/*
 * Waits for the verdict byte, then cuts the reply socket off: once this
 * end is shut for reading, the tunnel's write of a verdict fails (EPIPE)
 * and it drops the stream, so a late verdict can never leave both the
 * worker (answering 503) and the tunnel (relaying) owning the client. A
 * verdict written before the cut is still read. Returns it, or -1.
 */
static int
tunnel_verdict_wait(int fd)
{
	struct pollfd	 pfd;
	long long	 deadline = now_ms() + TUNNEL_VERDICT_MS, left;
	unsigned char	 v;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while ((left = deadline - now_ms()) > 0)
		if (poll(&pfd, 1, (int)left) > 0)
			break;
	shutdown(fd, SHUT_RD);
	if (recv(fd, &v, 1, MSG_DONTWAIT) != 1)
		return (-1);
	return (v);
}

/* The header of a hand-off: counts, the client, the log line's facts. */
static void
tunnel_msg_init(struct tunnel_msg *h, size_t n1, size_t n2,
    const char *client_addr, const struct tunnel_log *lg)
{
	memset(h, 0, sizeof(*h));
	h->magic = TUNNEL_MAGIC;
	h->n_up = (uint32_t)n1;
	h->n_client = (uint32_t)n2;
	snprintf(h->client, sizeof(h->client), "%s",
	    client_addr != NULL && client_addr[0] != '\0' ? client_addr : "-");
	if (lg == NULL)
		return;
	h->n_log = (uint32_t)lg->len;
	h->skip_up = lg->skip_up;
	h->skip_down = lg->skip_down;
	h->bytes_in = lg->bytes_in;
	h->start_us = lg->start_us;
}

static ssize_t
tunnel_send(int fds[4], int nfds, const void *to_upstream, size_t n1,
    const void *to_client, size_t n2, const char *client_addr,
    const struct tunnel_log *lg)
{
	struct tunnel_msg	 h;
	struct iovec		 iov[4];
	struct msghdr		 msg;
	struct cmsghdr		*cmsg;
	union {
		struct cmsghdr	 c;
		char		 buf[CMSG_SPACE(4 * sizeof(int))];
	}			 cm;
	ssize_t			 n;

	tunnel_msg_init(&h, n1, n2, client_addr, lg);
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)to_upstream;
	iov[1].iov_len = n1;
	iov[2].iov_base = (void *)(uintptr_t)to_client;
	iov[2].iov_len = n2;
	iov[3].iov_base = (void *)(uintptr_t)(lg != NULL ? lg->line : NULL);
	iov[3].iov_len = h.n_log;
	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	msg.msg_iov = iov;
	msg.msg_iovlen = 4;
	msg.msg_control = cm.buf;
	msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(cmsg), fds, (size_t)nfds * sizeof(int));
	while ((n = sendmsg(tn_ctl[0], &msg, MSG_NOSIGNAL)) == -1 &&
	    errno == EINTR && !pt_stop)
		;
	return (n);
}

int
tunnel_handoff(int client_fd, int upstream_fd, const void *to_upstream,
    size_t n1, const void *to_client, size_t n2, const char *client_addr,
    const struct tunnel_log *lg)
{
	int	 rp[2], v, fds[4], nfds = 3;

	tn_refusal = 0;
	if (tn_ctl[0] == -1) {
		PT_LOG(PT_LOG_ERR, "no tunnel process (-X runs without one)");
		return (-1);
	}
	if (n1 > TUNNEL_PENDING_MAX || n2 > TUNNEL_PENDING_MAX) {
		PT_LOG(PT_LOG_WARN, "client %s: %zu and %zu bytes pending, at "
		    "most %d each way: not handed over", client_addr, n1, n2,
		    TUNNEL_PENDING_MAX);
		return (-1);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rp) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "socketpair");
		return (-1);
	}
	fds[0] = client_fd;
	fds[1] = upstream_fd;
	fds[2] = rp[1];
	if (lg != NULL && lg->len > 0 && lg->len <= TUNNEL_LOG_MAX &&
	    lg->fd != -1)
		fds[nfds++] = lg->fd;
	else
		lg = NULL;
	if (tunnel_send(fds, nfds, to_upstream, n1, to_client, n2,
	    client_addr, lg) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "client %s: hand-off to the tunnel "
		    "process", client_addr);
		close(rp[0]);
		close(rp[1]);
		return (-1);
	}
	close(rp[1]);
	v = tunnel_verdict_wait(rp[0]);
	close(rp[0]);
	switch (v) {
	case TUNNEL_ACCEPTED:
		return (0);
	case TUNNEL_FULL:
		tn_refusal = v;
		PT_LOG(PT_LOG_WARN, "client %s: tunnel process full (%u "
		    "streams, request_limits.tunnels_max): refused", client_addr, pt_scoreboard != NULL ?
		    pt_scoreboard->tunnel_streams : 0);
		break;
	case TUNNEL_ADDR_FULL:
		tn_refusal = v;
		PT_LOG(PT_LOG_WARN, "client %s: as many streams from this "
		    "address as the tunnel process allows "
		    "(request_limits.tunnels_per_client): refused",
		    client_addr);
		break;
	case -1:
		PT_LOG(PT_LOG_ERR, "client %s: no verdict from the tunnel "
		    "process within %dms", client_addr, TUNNEL_VERDICT_MS);
		break;
	default:
		PT_LOG(PT_LOG_ERR, "client %s: the tunnel process refused the "
		    "stream ('%c')", client_addr, v);
		break;
	}
	return (-1);
}

int
tunnel_last_refusal(void)
{
	return (tn_refusal);
}

/* The status in "HTTP/1.1 101 ...", or 0. */
static int
tunnel_status_of(const char *p, size_t n)
{
	if (p == NULL || n < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' ||
	    p[10] > '9' || p[11] < '0' || p[11] > '9')
		return (0);
	return ((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
}

/*
 * Adds the bytes read past what was parsed after to_upstream, in a; lg
 * (may be NULL) learns that the module's to_upstream is not the client's.
 */
static int
tunnel_conn_handoff(struct pt_conn *c, struct pt_arena *a, int upstream_fd,
    const void *to_upstream, size_t n1, const void *to_client, size_t n2,
    struct tunnel_log *lg)
{
	size_t	 pend = c->buf != NULL ? c->buf_len - c->buf_off : 0;
	char	*b;

	if (lg != NULL)
		lg->skip_up = (uint32_t)n1;	/* before the client's join */
	if (!c->tp->plain) {
		PT_LOG(PT_LOG_ERR, "client %s: a %s connection cannot be "
		    "handed to the tunnel process", c->client, c->tp->name);
		return (PT_ERROR);
	}
	if (pend > 0) {
		if (n1 > TUNNEL_PENDING_MAX || pend > TUNNEL_PENDING_MAX - n1) {
			PT_LOG(PT_LOG_WARN, "client %s: %zu bytes pending: not "
			    "handed over", c->client, n1 + pend);
			return (PT_ERROR);
		}
		if ((b = pt_alloc(a, n1 + pend)) == NULL)
			return (PT_ERROR);
		if (n1 > 0)
			memcpy(b, to_upstream, n1);
		memcpy(b + n1, c->buf + c->buf_off, pend);
		to_upstream = b;
		n1 += pend;
	}
	if (tunnel_handoff(c->fd, upstream_fd, to_upstream, n1, to_client, n2,
	    c->client, lg) == -1)
		return (PT_ERROR);
	close(upstream_fd);
	c->buf_off = c->buf_len;
	c->taken_over = true;
	return (PT_DONE);
}

PT_API int
pt_conn_tunnel(struct pt_conn *c, int upstream_fd, const void *to_upstream,
    size_t n1, const void *to_client, size_t n2)
{
	return (tunnel_conn_handoff(c, c->arena, upstream_fd, to_upstream, n1,
	    to_client, n2, NULL));
}

/*
 * The request's access log line, left for the tunnel process to finish
 * when the stream ends: what the worker knows now (client, user, rule,
 * target, status), the rest (bytes, duration) the tunnel's.
 */
static void
tunnel_log_prepare(struct pt_request *r, const void *to_client, size_t n2,
    struct tunnel_log *lg)
{
	const char	*end;
	char		*line;

	memset(lg, 0, sizeof(*lg));
	lg->fd = -1;
	if ((line = pt_alloc(r->arena, TUNNEL_LOG_MAX)) == NULL)
		return;
	lg->len = access_log_defer(r, line, TUNNEL_LOG_MAX, &lg->fd);
	lg->line = line;
	lg->bytes_in = r->bytes_in;
	lg->start_us = (int64_t)r->start.tv_sec * 1000000 +
	    r->start.tv_nsec / 1000;
	/* bytes_sent counts what follows the response head. */
	if (to_client != NULL && (end = memmem(to_client, n2, "\r\n\r\n",
	    4)) != NULL)
		lg->skip_down = (uint32_t)(end + 4 - (const char *)to_client);
}

PT_API int
pt_req_tunnel(struct pt_request *r, int upstream_fd, const void *to_upstream,
    size_t n1, const void *to_client, size_t n2)
{
	struct tunnel_log	 lg;
	int			 rc, status = r->status;

	if (r->head_sent) {
		PT_RLOG(r, PT_LOG_ERR, "a response was already sent: not handed over");
		return (PT_ERROR);
	}
	r->status = tunnel_status_of(to_client, n2);
	tunnel_log_prepare(r, to_client, n2, &lg);
	rc = tunnel_conn_handoff(r->conn, r->arena, upstream_fd, to_upstream,
	    n1, to_client, n2, &lg);
	if (rc != PT_DONE) {
		r->status = status;
		return (rc);
	}
	r->keep_alive = false;
	r->log_deferred = lg.fd != -1 && lg.len > 0;
	return (PT_DONE);
}

PT_API int
pt_tunnel_stats(struct pt_tunnel_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (pt_scoreboard == NULL)
		return (PT_ERROR);
	st->pid = (int)__atomic_load_n(&pt_scoreboard->tunnel_pid,
	    __ATOMIC_RELAXED);
	st->streams = __atomic_load_n(&pt_scoreboard->tunnel_streams,
	    __ATOMIC_RELAXED);
	st->total = __atomic_load_n(&pt_scoreboard->tunnel_total,
	    __ATOMIC_RELAXED);
	st->refused = __atomic_load_n(&pt_scoreboard->tunnel_refused,
	    __ATOMIC_RELAXED);
	return (PT_OK);
}
