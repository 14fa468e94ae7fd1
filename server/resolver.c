/*
 * Name resolution through c-ares: the settings of resolver = { ... }, the
 * hosts file (read first, re-read when it changes), the per-process cache,
 * a blocking lookup with a deadline for workers and configuration time,
 * and a non-blocking one stepped by the helper process. Parsing and the
 * cache itself are resolver_cache.c's.
 */
#include "config.h"

#include "resolver.h"

#include <sys/stat.h>
#include <netinet/in.h>
#include <ares.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#define RS_CACHE_ENTRIES	256
#define RS_HOSTS_MAX_SIZE	(64LL << 20)	/* a larger file is refused */
#define RS_HOSTS_CHECK_MS	1000		/* stat the file at most this often */

/*
 * One process's resolver. The master configures it; children inherit it
 * through fork, but not its c-ares channels: their sockets would be
 * shared with the parent, so a fork handler marks them stale and the
 * child opens its own at first use. The cache and the hosts table are
 * plain memory and carry over.
 */
static struct {
	bool			 configured;
	bool			 lib_ready;	/* ares_library_init, atfork */
	bool			 stale;		/* channels inherited by fork */
	char			*hosts_path;	/* NULL: no hosts file */
	char			*servers;	/* c-ares CSV; NULL: resolv.conf */
	long long		 timeout_ms;
	int			 tries;
	long long		 min_ttl_ms, max_ttl_ms, neg_ttl_ms;
	struct rs_hosts		*hosts;
	long long		 hosts_checked_ms;	/* 0: never */
	struct stat		 hosts_sb;	/* of the table we hold */
	struct rs_cache		*cache;
	ares_channel		 sync_ch;	/* resolver_lookup */
	ares_channel		 async_ch;	/* resolver_start */
	bool			 sync_open, async_open;
	unsigned int		 pending;
} rs;

/* A lookup waited for by resolver_lookup. */
struct rs_wait {
	char			 name[RESOLVER_NAME_MAX + 1];
	int			 family;
	bool			 done;
	int			 err;
	int			 n;
	unsigned int		 ttl_s;
	struct sockaddr_storage	 addrs[RESOLVER_MAX_ADDRS];
};

/* A lookup answered later through resolver_step. */
struct rs_query {
	resolver_cb		 cb;
	void			*arg;
	int			 family;
	char			 name[RESOLVER_NAME_MAX + 1];
};

static void
rs_atfork_child(void)
{
	rs.stale = true;
}

static void
rs_channels_close(void)
{
	if (rs.sync_open)
		ares_destroy(rs.sync_ch);
	if (rs.async_open)
		ares_destroy(rs.async_ch);
	rs.sync_open = rs.async_open = false;
	rs.pending = 0;
}

/* After a fork: the parent's channels are left alone, ours opened anew. */
static void
rs_fork_check(void)
{
	if (!rs.stale)
		return;
	rs.stale = false;
	/* Destroying closes only this process's copies of the sockets. */
	rs_channels_close();
}

static int
rs_channel_open(ares_channel *ch)
{
	struct ares_options	o;
	int			rc;

	memset(&o, 0, sizeof(o));
	o.timeout = (int)rs.timeout_ms;
	o.tries = rs.tries;
	/* DNS only: the hosts file is ours, with our path and our reload. */
	o.lookups = (char *)"b";
	if ((rc = ares_init_options(ch, &o, ARES_OPT_TIMEOUTMS |
	    ARES_OPT_TRIES | ARES_OPT_LOOKUPS)) != ARES_SUCCESS) {
		PT_LOG(PT_LOG_ERR, "resolver: cannot start c-ares: %s",
		    ares_strerror(rc));
		return (-1);
	}
	if (rs.servers != NULL &&
	    (rc = ares_set_servers_ports_csv(*ch, rs.servers)) != ARES_SUCCESS) {
		PT_LOG(PT_LOG_ERR, "resolver: servers \"%s\": %s", rs.servers,
		    ares_strerror(rc));
		ares_destroy(*ch);
		return (-1);
	}
	return (0);
}

static ares_channel *
rs_channel(bool async)
{
	ares_channel	*ch = async ? &rs.async_ch : &rs.sync_ch;
	bool		*open = async ? &rs.async_open : &rs.sync_open;

	rs_fork_check();
	if (!*open) {
		if (rs_channel_open(ch) == -1)
			return (NULL);
		*open = true;
	}
	return (ch);
}

static void
rs_settings_free(void)
{
	rs_channels_close();
	rs_hosts_free(rs.hosts);
	rs.hosts = NULL;
	rs.hosts_checked_ms = 0;
	free(rs.hosts_path);
	free(rs.servers);
	rs.hosts_path = rs.servers = NULL;
	rs_cache_clear(rs.cache);
}

/* "a,b,c" from the configured list; NULL (and no error) when empty. */
static int
rs_servers_csv(const struct pt_strlist *l)
{
	size_t	i, len = 1;
	char	*p;

	rs.servers = NULL;
	if (l == NULL || l->n == 0)
		return (0);
	for (i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + 1;
	if ((p = calloc(1, len)) == NULL)
		return (-1);
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			strcat(p, ",");
		strcat(p, l->v[i]);
	}
	rs.servers = p;
	return (0);
}

int
resolver_configure(const struct conf_resolver *c)
{
	int rc;

	if (!rs.lib_ready) {
		if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
			PT_LOG(PT_LOG_ERR, "resolver: c-ares: %s",
			    ares_strerror(rc));
			return (-1);
		}
		if (pthread_atfork(NULL, NULL, rs_atfork_child) != 0)
			return (-1);
		rs.lib_ready = true;
	}
	rs_settings_free();
	if (rs.cache == NULL && (rs.cache = rs_cache_new(RS_CACHE_ENTRIES)) ==
	    NULL)
		return (-1);
	/* The defaults of conf_core.c's resolver table. */
	rs.timeout_ms = c != NULL ? c->timeout_ms : 2000;
	rs.tries = c != NULL ? (int)c->tries : 2;
	rs.min_ttl_ms = c != NULL ? c->min_ttl_ms : 1000;
	rs.max_ttl_ms = c != NULL ? c->max_ttl_ms : 3600000;
	rs.neg_ttl_ms = c != NULL ? c->negative_ttl_ms : 10000;
	if (rs.max_ttl_ms < rs.min_ttl_ms)
		rs.max_ttl_ms = rs.min_ttl_ms;
	rs.hosts_path = strdup(c != NULL && c->hosts != NULL ? c->hosts :
	    "/etc/hosts");
	if (rs.hosts_path == NULL ||
	    rs_servers_csv(c != NULL ? &c->servers : NULL) == -1)
		return (-1);
	rs.configured = true;
	/* Not an error: the file may appear later, and is read when it does. */
	if (access(rs.hosts_path, R_OK) == -1)
		PT_LOG_ERRNO(PT_LOG_WARN, "resolver: hosts file %s",
		    rs.hosts_path);
	/* Open one channel now, so that bad settings fail the load. */
	return (rs_channel(false) != NULL ? 0 : -1);
}

static void
rs_ready(void)
{
	if (!rs.configured)
		(void)resolver_configure(NULL);
	rs_fork_check();
}

/* Reads the hosts file whole into a new table; NULL when it cannot. */
static struct rs_hosts *
rs_hosts_read(int fd, const struct stat *sb)
{
	struct rs_hosts	*h;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 k;

	if (sb->st_size > RS_HOSTS_MAX_SIZE ||
	    (buf = malloc((size_t)sb->st_size + 1)) == NULL)
		return (NULL);
	while (len < (size_t)sb->st_size &&
	    ((k = read(fd, buf + len, (size_t)sb->st_size - len)) > 0 ||
	    (k == -1 && errno == EINTR)))
		if (k > 0)
			len += (size_t)k;
	h = rs_hosts_parse(buf, len);
	free(buf);
	return (h);
}

static bool
rs_same_file(const struct stat *a, const struct stat *b)
{
	return (a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec);
}

/*
 * At most once a second: stat the hosts file, and read it again when it
 * was replaced or changed. A file that is gone counts as empty; one that
 * cannot be read keeps the table we had.
 */
static void
rs_hosts_refresh(long long now)
{
	struct rs_hosts	*h;
	struct stat	 sb;
	int		 fd;

	if (rs.hosts_path == NULL || (rs.hosts_checked_ms != 0 &&
	    now >= rs.hosts_checked_ms &&
	    now - rs.hosts_checked_ms < RS_HOSTS_CHECK_MS))
		return;
	rs.hosts_checked_ms = now;
	if ((fd = open(rs.hosts_path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT && rs.hosts != NULL) {
			rs_hosts_free(rs.hosts);
			rs.hosts = NULL;
		}
		return;
	}
	if (fstat(fd, &sb) == -1 ||
	    (rs.hosts != NULL && rs_same_file(&sb, &rs.hosts_sb))) {
		close(fd);
		return;
	}
	if ((h = rs_hosts_read(fd, &sb)) != NULL) {
		rs_hosts_free(rs.hosts);
		rs.hosts = h;
		rs.hosts_sb = sb;
		PT_LOG(PT_LOG_DEBUG, "resolver: %s: %zu entries",
		    rs.hosts_path, rs_hosts_count(h));
	}
	close(fd);
}

/*
 * What needs no network: a numeric address, the hosts file, localhost.
 * Their count (0: ask further); -1 with ENOENT for a numeric address of
 * the other family.
 */
static int
rs_local(const char *name, int family, struct sockaddr_storage *out, int max,
    unsigned int *ttl_s)
{
	struct sockaddr_storage	ss;
	int			n;

	if (rs_numeric(name, AF_UNSPEC, &ss) == 1) {
		if (family != AF_UNSPEC && ss.ss_family != family) {
			errno = ENOENT;
			return (-1);
		}
		out[0] = ss;
		*ttl_s = RESOLVER_TTL_FOREVER;
		return (1);
	}
	rs_hosts_refresh(now_ms());
	*ttl_s = RESOLVER_TTL_HOSTS;
	if ((n = rs_hosts_find(rs.hosts, name, family, out, max)) > 0)
		return (n);
	return (rs_is_localhost(name) ? rs_localhost(family, out, max) : 0);
}

static int
rs_errno(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return (0);
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_ENONAME:
		return (ENOENT);
	case ARES_ETIMEOUT:
		return (ETIMEDOUT);
	case ARES_ENOMEM:
		return (ENOMEM);
	case ARES_EBADNAME:
	case ARES_EBADFAMILY:
		return (EINVAL);
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return (ECANCELED);
	default:
		return (EAGAIN);
	}
}

/*
 * c-ares's answer into addrs (port 0, no duplicates) and the smallest
 * TTL of its records; an answer without addresses is a negative one. Both
 * kinds go into the cache. Returns 0 or an errno value.
 */
static int
rs_answer(const char *name, int family, int status,
    const struct ares_addrinfo *res, struct sockaddr_storage *addrs, int *n,
    unsigned int *ttl_s)
{
	const struct ares_addrinfo_node	*ai;
	const struct ares_addrinfo_cname *cn;
	long long			 ttl = -1;
	int				 i, err = rs_errno(status);

	*n = 0;
	*ttl_s = 0;
	for (ai = res != NULL ? res->nodes : NULL; err == 0 && ai != NULL &&
	    *n < RESOLVER_MAX_ADDRS; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(addrs[0]))
			continue;
		memset(&addrs[*n], 0, sizeof(addrs[0]));
		memcpy(&addrs[*n], ai->ai_addr, ai->ai_addrlen);
		((struct sockaddr_in *)&addrs[*n])->sin_port = 0;
		for (i = 0; i < *n; i++)
			if (memcmp(&addrs[i], &addrs[*n], sizeof(addrs[0])) == 0)
				break;
		if (i < *n)
			continue;
		(*n)++;
		if (ttl < 0 || ai->ai_ttl < ttl)
			ttl = ai->ai_ttl < 0 ? 0 : ai->ai_ttl;
	}
	/* A name reached through aliases holds only as long as they do. */
	for (cn = res != NULL ? res->cnames : NULL; err == 0 && cn != NULL;
	    cn = cn->next)
		if (ttl < 0 || (cn->ttl >= 0 && cn->ttl < ttl))
			ttl = cn->ttl < 0 ? 0 : cn->ttl;
	if (err == 0 && *n == 0)
		err = ENOENT;
	if (err != 0 && err != ENOENT)
		return (err);
	ttl = rs_ttl_ms(err == 0, ttl < 0 ? 0 : (unsigned int)ttl,
	    rs.min_ttl_ms, rs.max_ttl_ms, rs.neg_ttl_ms);
	rs_cache_put(rs.cache, name, family, addrs, *n, ttl, now_ms());
	*ttl_s = (unsigned int)((ttl + 999) / 1000);
	return (err);
}

static void
rs_wait_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct rs_wait *w = arg;

	(void)timeouts;
	w->done = true;
	w->err = rs_answer(w->name, w->family, status, res, w->addrs, &w->n,
	    &w->ttl_s);
	if (res != NULL)
		ares_freeaddrinfo(res);
}

/* One round: c-ares's sockets into pfd; their count. */
static int
rs_pollfds(ares_channel ch, struct pollfd *pfd)
{
	ares_socket_t	socks[ARES_GETSOCK_MAXNUM];
	unsigned int	bits;
	bool		rd, wr;
	int		i, k = 0;

	/*
	 * Not ARES_GETSOCK_WRITABLE(): it shifts a signed 1 into the sign
	 * bit for the last socket, which UBSan rightly stops on.
	 */
	bits = (unsigned int)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
	for (i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		rd = ((bits >> i) & 1u) != 0;
		wr = ((bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u) != 0;
		if (!rd && !wr)
			continue;
		pfd[k].fd = socks[i];
		pfd[k].events = (short)((rd ? POLLIN : 0) | (wr ? POLLOUT : 0));
		pfd[k].revents = 0;
		k++;
	}
	return (k);
}

/* After a poll: what is ready, then c-ares's own timeouts. */
static void
rs_process(ares_channel ch, const struct pollfd *pfd, int k)
{
	int i;

	for (i = 0; i < k; i++)
		if (pfd[i].revents != 0)
			ares_process_fd(ch, (pfd[i].revents &
			    (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd :
			    ARES_SOCKET_BAD, (pfd[i].revents & POLLOUT) ?
			    pfd[i].fd : ARES_SOCKET_BAD);
	ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/* Milliseconds until c-ares wants to act on a timeout, capped at cap. */
static long long
rs_next_timeout(ares_channel ch, long long cap)
{
	struct timeval	max, tv, *t;
	long long	ms;

	max.tv_sec = cap / 1000;
	max.tv_usec = (cap % 1000) * 1000;
	t = ares_timeout(ch, &max, &tv);
	ms = (long long)t->tv_sec * 1000 + (t->tv_usec + 999) / 1000;
	return (ms < cap ? ms : cap);
}

/*
 * Waits for the query of w until deadline; a graceful restart's signal
 * does not end the wait, a stop does. c-ares retries with longer waits,
 * so the deadline (timeout x tries) bounds the whole lookup.
 */
static void
rs_wait(ares_channel ch, struct rs_wait *w, long long deadline)
{
	struct pollfd	pfd[ARES_GETSOCK_MAXNUM];
	long long	left;
	int		k, rc;

	while (!w->done) {
		if ((left = deadline - now_ms()) <= 0 || pt_stop) {
			ares_cancel(ch);	/* calls rs_wait_done */
			w->err = pt_stop ? EINTR : ETIMEDOUT;
			return;
		}
		k = rs_pollfds(ch, pfd);
		left = rs_next_timeout(ch, left);
		rc = poll(pfd, (nfds_t)k, left > INT_MAX ? INT_MAX : (int)left);
		if (rc == -1 && errno != EINTR) {
			/* w lives on the caller's stack: never leave it queued. */
			k = errno;
			ares_cancel(ch);
			w->err = k;
			return;
		}
		rs_process(ch, pfd, rc > 0 ? k : 0);
	}
}

static int
rs_dns_lookup(const char *name, int family, struct sockaddr_storage *out,
    int max, int *n, unsigned int *ttl_s)
{
	struct ares_addrinfo_hints	 hints;
	struct rs_wait			 w;
	ares_channel			*ch;

	if ((ch = rs_channel(false)) == NULL) {
		errno = EAGAIN;
		return (-1);
	}
	memset(&w, 0, sizeof(w));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	(void)rs_name_normalize(name, w.name, sizeof(w.name));
	w.family = family;
	ares_getaddrinfo(*ch, w.name, NULL, &hints, rs_wait_done, &w);
	rs_wait(*ch, &w, now_ms() + rs.timeout_ms * rs.tries);
	if (w.err != 0) {
		errno = w.err;
		return (-1);
	}
	*n = w.n < max ? w.n : max;
	memcpy(out, w.addrs, (size_t)*n * sizeof(*out));
	if (ttl_s != NULL)
		*ttl_s = w.ttl_s;
	return (0);
}

static bool
rs_args_ok(const char *name, int family)
{
	char key[RESOLVER_NAME_MAX + 1];

	return (name != NULL && (family == AF_UNSPEC || family == AF_INET ||
	    family == AF_INET6) &&
	    rs_name_normalize(name, key, sizeof(key)) == 0);
}

/*
 * What the hosts file, localhost or the cache say: 1 with addresses, 0
 * with errno set (ENOENT: a numeric address of the other family, or a
 * cached negative answer), -1 when DNS must be asked.
 */
static int
rs_known(const char *name, int family, struct sockaddr_storage *addrs,
    int *n, unsigned int *ttl_s)
{
	int rc;

	if ((*n = rs_local(name, family, addrs, RESOLVER_MAX_ADDRS,
	    ttl_s)) == -1)
		return (0);
	if (*n > 0)
		return (1);
	rc = rs_cache_get(rs.cache, name, family, now_ms(), addrs,
	    RESOLVER_MAX_ADDRS, n, ttl_s);
	if (rc == 0)
		errno = ENOENT;
	return (rc);
}

int
resolver_lookup(const char *name, int family, struct sockaddr_storage *out,
    int max, int *n, unsigned int *ttl_s)
{
	struct sockaddr_storage	addrs[RESOLVER_MAX_ADDRS];
	unsigned int		ttl = 0;
	int			k = 0, rc;

	*n = 0;
	if (!rs_args_ok(name, family) || max <= 0) {
		errno = EINVAL;
		return (-1);
	}
	rs_ready();
	if ((rc = rs_known(name, family, addrs, &k, &ttl)) == 0)
		return (-1);
	if (rc < 0)
		return (rs_dns_lookup(name, family, out, max, n, ttl_s));
	*n = k < max ? k : max;
	memcpy(out, addrs, (size_t)*n * sizeof(*out));
	if (ttl_s != NULL)
		*ttl_s = ttl;
	return (0);
}

static void
rs_query_done(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct rs_query		*q = arg;
	struct sockaddr_storage	 addrs[RESOLVER_MAX_ADDRS];
	unsigned int		 ttl;
	int			 n, err;

	(void)timeouts;
	if (rs.pending > 0)
		rs.pending--;
	err = rs_answer(q->name, q->family, status, res, addrs, &n, &ttl);
	if (res != NULL)
		ares_freeaddrinfo(res);
	q->cb(q->arg, err, addrs, err == 0 ? n : 0, ttl);
	free(q);
}

int
resolver_start(const char *name, int family, resolver_cb cb, void *arg)
{
	struct sockaddr_storage		 addrs[RESOLVER_MAX_ADDRS];
	struct ares_addrinfo_hints	 hints;
	struct rs_query			*q;
	ares_channel			*ch;
	unsigned int			 ttl = 0;
	int				 n = 0, rc;

	if (!rs_args_ok(name, family) || cb == NULL) {
		errno = EINVAL;
		return (-1);
	}
	rs_ready();
	if ((rc = rs_known(name, family, addrs, &n, &ttl)) >= 0) {
		cb(arg, rc == 1 ? 0 : errno, addrs, rc == 1 ? n : 0,
		    rc == 1 ? ttl : (unsigned int)((rs.neg_ttl_ms + 999) / 1000));
		return (0);
	}
	if ((ch = rs_channel(true)) == NULL) {
		cb(arg, EAGAIN, addrs, 0, 0);
		return (0);
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return (-1);
	q->cb = cb;
	q->arg = arg;
	q->family = family;
	(void)rs_name_normalize(name, q->name, sizeof(q->name));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	rs.pending++;
	/* May call rs_query_done at once (a bad name, no memory). */
	ares_getaddrinfo(*ch, q->name, NULL, &hints, rs_query_done, q);
	return (0);
}

long long
resolver_step(long long cap_ms)
{
	struct pollfd	 pfd[ARES_GETSOCK_MAXNUM];
	ares_channel	*ch;
	int		 k, rc;

	rs_fork_check();
	if (rs.pending == 0 || !rs.async_open)
		return (-1);
	ch = &rs.async_ch;
	k = rs_pollfds(*ch, pfd);
	/* Zero: whatever one DNS server does, the caller goes on at once. */
	if ((rc = poll(pfd, (nfds_t)k, 0)) == -1)
		rc = 0;
	rs_process(*ch, pfd, rc > 0 ? k : 0);
	if (rs.pending == 0)
		return (-1);
	return (rs_next_timeout(*ch, cap_ms < 1 ? 1 : cap_ms));
}

unsigned int
resolver_pending(void)
{
	return (rs.pending);
}

const char *
resolver_strerror(int err)
{
	switch (err) {
	case 0:
		return ("no error");
	case ENOENT:
		return ("no such name (or no address of that family)");
	case ETIMEDOUT:
		return ("no answer from the DNS servers in time");
	case EAGAIN:
		return ("the DNS servers failed");
	case EINVAL:
		return ("not a valid name");
	case ECANCELED:
	case EINTR:
		return ("lookup cancelled");
	default:
		return (strerror(err));
	}
}
