/*
 * stale-while-revalidate (RFC 5861) in the background: a worker that
 * finds an object inside its window takes the key's revalidation claim,
 * queues a request for the helper process in the zone's shared memory and
 * serves the stale object. The helper sends that request to the listener
 * the client came in on, marked with this run's token, and reads the
 * answer away; the worker that gets it validates with the origin and
 * stores the result like any other request, then releases the claim.
 * Every other request meanwhile gets the stale object; the origin sees
 * one revalidation. TLS listeners (the helper speaks plain HTTP), requests
 * with proxy credentials and full queues fall back to one request
 * revalidating in the foreground.
 */
#include "config.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <portier/arena.h>
#include <portier/conn.h>
#include <portier/request.h>
#define PT_LOG_TAG "cache"
#include <portier/log.h>
#include "cache.h"

#define SWR_FIELD	"Portier-Cache-Revalidate"
#define SWR_INFLIGHT	64
#define SWR_TIMEOUT_MS	60000

static char	swr_token[40];

/* Master, at each configuration: a new token for this run. */
void
cache_swr_init(void)
{
	unsigned char	b[16];
	size_t		i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		unsigned long long t = (unsigned long long)now_ms() ^
		    ((unsigned long long)getpid() << 32);

		memcpy(b, &t, sizeof(t));
		memcpy(b + 8, &t, sizeof(t));
	}
	for (i = 0; i < sizeof(b); i++)
		snprintf(swr_token + 2 * i, 3, "%02x", b[i]);
}

/* The request is the helper's (the field is removed either way). */
bool
cache_swr_is_job(struct pt_request *r)
{
	struct pt_str	v;
	bool		ok;

	if (!pt_req_header(r, SWR_FIELD, &v))
		return (false);
	ok = swr_token[0] != '\0' && v.len == strlen(swr_token) &&
	    memcmp(v.p, swr_token, v.len) == 0;
	pt_req_header_remove(r, SWR_FIELD);
	return (ok);
}

/* One field of the client's request, when present. */
static size_t
swr_field(struct pt_request *r, const char *name, char *buf, size_t at,
    size_t room)
{
	struct pt_str	v;
	int		n;

	if (at >= room || !pt_req_header(r, name, &v))
		return (at);
	n = snprintf(buf + at, room - at, "%s: %.*s\r\n", name, (int)v.len,
	    v.p);
	return (n < 0 ? room : at + (size_t)n);
}

/*
 * The fields the origin may answer on and the key may be made of: the
 * common negotiation fields, the entry's Vary, %{header.X} and cookies.
 */
static size_t
swr_fields(struct pt_request *r, const struct cache_ctx *x, const char *vary,
    char *buf, size_t at, size_t room)
{
	static const char *const common[] = { "Accept", "Accept-Encoding",
	    "Accept-Language", "User-Agent", "Authorization", "Cookie", NULL };
	const char	*p, *e;
	char		 name[64];
	size_t		 i, n;

	for (i = 0; common[i] != NULL; i++)
		at = swr_field(r, common[i], buf, at, room);
	for (p = vary; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ",");
		snprintf(name, sizeof(name), "%.*s", (int)(e - p), p);
		for (i = 0; common[i] != NULL; i++)
			if (strcasecmp(common[i], name) == 0)
				break;
		if (common[i] == NULL && strcasecmp(name, "host") != 0)
			at = swr_field(r, name, buf, at, room);
	}
	for (p = x->cf->key; (p = strstr(p, "%{header.")) != NULL; p = e) {
		p += 9;
		n = strcspn(p, "}");
		e = p + n;
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		at = swr_field(r, name, buf, at, room);
	}
	return (at);
}

/* Queues a revalidation of the entry x->h; 0 queued, -1 not. */
int
cache_swr_queue(struct pt_request *r, struct cache_ctx *x, const char *vary,
    struct cache_hash lock)
{
	static struct ci_job	 j;
	struct pt_conn		*c = pt_req_conn(r);
	struct pt_str		 t = pt_req_target(r), host;
	socklen_t		 alen = sizeof(j.addr);
	size_t			 at;
	int			 n;

	/*
	 * Proxy credentials are not replayed (they would sit in shared
	 * memory), and a forward proxy asks for them before the cache runs:
	 * such a request revalidates in the foreground.
	 */
	if (pt_req_header(r, "Proxy-Authorization", &host))
		return (-1);
	if (c == NULL || pt_conn_secure(c) || getsockname(pt_conn_fd(c),
	    (struct sockaddr *)&j.addr, &alen) == -1 ||
	    (j.addr.ss_family != AF_INET && j.addr.ss_family != AF_INET6))
		return (-1);
	if (!pt_req_header(r, "Host", &host))
		host = pt_req_host(r);
	n = snprintf(j.req, sizeof(j.req), "GET %.*s HTTP/1.1\r\nHost: %.*s\r\n",
	    (int)t.len, t.p, (int)host.len, host.p);
	if (n < 0 || (size_t)n >= sizeof(j.req))
		return (-1);
	at = swr_fields(r, x, vary, j.req, (size_t)n, sizeof(j.req));
	if (at < sizeof(j.req))
		n = snprintf(j.req + at, sizeof(j.req) - at, "%s: %s\r\n"
		    "Connection: close\r\n\r\n", SWR_FIELD, swr_token);
	if (at >= sizeof(j.req) || n < 0 || at + (size_t)n >= sizeof(j.req))
		return (-1);
	j.len = (uint32_t)(at + (size_t)n);
	j.lock = lock;
	return (ci_job_push(x->z->ix, &j));
}

/* Helper: the connections it has sent revalidations on. */
static struct swr_flight {
	int			 fd;
	long long		 until;
	struct cache_zone	*z;
	struct cache_hash	 lock;
} flights[SWR_INFLIGHT];
static size_t	nflights;

static void
swr_done(size_t i)
{
	/* The worker released the claim; this covers one that never came. */
	ci_set(flights[i].z->ix, NULL, flights[i].lock, CI_FREE, 0, NULL, 0);
	close(flights[i].fd);
	flights[i] = flights[--nflights];
}

static int
swr_connect(const struct ci_job *j)
{
	struct pollfd	pfd;
	socklen_t	len = j->addr.ss_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in);
	int		fd, err = 0;

	if ((fd = socket(j->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (const struct sockaddr *)&j->addr, len) == -1) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		len = sizeof(err);
		if (errno != EINPROGRESS || poll(&pfd, 1, 1000) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
		    err != 0) {
			close(fd);
			return (-1);
		}
	}
	if (send(fd, j->req, j->len, MSG_NOSIGNAL) != (ssize_t)j->len) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Helper: sends the queued revalidations of zone z. */
void
cache_swr_dispatch(struct cache_zone *z, long long now)
{
	static struct ci_job	j;
	int			fd;

	while (nflights < SWR_INFLIGHT && ci_job_take(z->ix, &j)) {
		if ((fd = swr_connect(&j)) == -1) {
			PT_LOG_ERRNO(PT_LOG_WARN, "cache %s: background "
			    "revalidation: cannot reach the listener", z->name);
			ci_set(z->ix, NULL, j.lock, CI_FREE, 0, NULL, 0);
			continue;
		}
		flights[nflights].fd = fd;
		flights[nflights].until = now + SWR_TIMEOUT_MS;
		flights[nflights].z = z;
		flights[nflights].lock = j.lock;
		nflights++;
	}
}

/* Helper: reads the answers away; true while some are outstanding. */
bool
cache_swr_poll(long long now)
{
	struct pollfd	pfd;
	char		buf[16384];
	ssize_t		n;
	size_t		i;

	for (i = 0; i < nflights; ) {
		pfd.fd = flights[i].fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = 1;
		if (poll(&pfd, 1, 0) == 1)
			while ((n = read(pfd.fd, buf, sizeof(buf))) > 0)
				;
		if (n == 0 || (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK) || now > flights[i].until)
			swr_done(i);
		else
			i++;
	}
	return (nflights > 0);
}
