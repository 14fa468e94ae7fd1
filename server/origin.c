/*
 * Connections to origins outside any pool (origin.h): resolve, connect
 * with a deadline, and this worker's idle connections by key.
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
#include <unistd.h>

#include <portier/request.h>
#include <portier/upstream_io.h>
#include "core.h"
#include "origin.h"
#include "resolver.h"

#define ORIGIN_IDLE_SLOTS	64

/* An idle origin (or parent) connection of this worker. */
struct origin_idle {
	struct origin_io c;
	long long	 until;		/* closed after this */
	char		 key[ORIGIN_KEY_MAX];
};

static struct origin_idle	origin_pool[ORIGIN_IDLE_SLOTS];
static size_t			origin_npool;

static void
addr_set_port(struct sockaddr_storage *a, int port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)a)->sin_port = htons((uint16_t)port);
	else if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)a)->sin6_port =
		    htons((uint16_t)port);
}

void
origin_close(const struct origin_io *c)
{
	if (c->io != NULL && c->io->close != NULL)
		c->io->close(c->io_ctx);
	close(c->fd);
}

void
origin_idle_sweep(long long now)
{
	size_t i = 0;

	while (i < origin_npool) {
		if (now >= origin_pool[i].until) {
			origin_close(&origin_pool[i].c);
			origin_pool[i] = origin_pool[--origin_npool];
		} else
			i++;
	}
}

bool
origin_idle_take(const char *key, struct origin_io *c)
{
	char	b;
	ssize_t	n;
	size_t	i = 0;

	while (i < origin_npool) {
		if (strcmp(origin_pool[i].key, key) != 0) {
			i++;
			continue;
		}
		*c = origin_pool[i].c;
		origin_pool[i] = origin_pool[--origin_npool];
		n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (true);
		origin_close(c);	/* closed by the origin, or bytes nobody
					   asked for */
	}
	return (false);
}

void
origin_idle_put(const char *key, const struct origin_io *c, int idle_max,
    long long idle_ms)
{
	if (idle_max <= 0) {
		origin_close(c);
		return;
	}
	origin_idle_sweep(now_ms());
	if (origin_npool >= (size_t)idle_max ||
	    origin_npool >= ORIGIN_IDLE_SLOTS) {
		origin_close(&origin_pool[0].c);	/* the oldest-ish goes */
		origin_pool[0] = origin_pool[--origin_npool];
	}
	origin_pool[origin_npool].c = *c;
	origin_pool[origin_npool].until = now_ms() + idle_ms;
	snprintf(origin_pool[origin_npool].key, sizeof(origin_pool[0].key),
	    "%s", key);
	origin_npool++;
}

/* A connected socket to a within timeout_ms, ticking for the relay; or -1. */
static int
origin_connect_addr(const struct sockaddr_storage *a, long long timeout_ms)
{
	struct timeval	tv = { 0, ORIGIN_TICK_MS * 1000 };
	struct pollfd	pfd;
	socklen_t	sl = a->ss_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int		fd, err = 0, one = 1;
	long long	until = now_ms() + timeout_ms;

	if ((fd = socket(a->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (const struct sockaddr *)a, sl) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		for (;;) {
			int left = (int)(until - now_ms());

			if (left <= 0 || pt_stop) {
				errno = ETIMEDOUT;
				goto fail;
			}
			if (poll(&pfd, 1, left) > 0)
				break;
			if (errno != EINTR && errno != 0)
				goto fail;
		}
		sl = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
		    err != 0) {
			errno = err != 0 ? err : errno;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return (fd);
 fail:
	err = errno;
	close(fd);
	errno = err;
	return (-1);
}

int
origin_connect(struct pt_request *r, const char *tag, const char *host,
    int port, long long timeout_ms, origin_refuse_fn refuse,
    const char **refused, int *status)
{
	struct sockaddr_storage	 addrs[RESOLVER_MAX_ADDRS];
	const char		*why;
	int			 n = 0, i, fd, err = 0;

	*refused = NULL;
	if (resolver_lookup(host, AF_UNSPEC, addrs, RESOLVER_MAX_ADDRS, &n,
	    NULL) == -1 || n == 0) {
		PT_RLOG(r, PT_LOG_WARN, "%s: %s: %s", tag, host,
		    resolver_strerror(errno));
		*status = errno == ETIMEDOUT ? 504 : 502;
		return (-1);
	}
	for (i = 0; i < n; i++) {
		addr_set_port(&addrs[i], port);
		if (refuse != NULL && (why = refuse(r, &addrs[i])) != NULL) {
			*refused = why;
			continue;
		}
		if ((fd = origin_connect_addr(&addrs[i], timeout_ms)) != -1)
			return (fd);
		err = errno;
		PT_RLOG(r, PT_LOG_WARN, "%s: %s port %d: %s", tag, host, port,
		    strerror(err));
	}
	if (err != 0)
		*refused = NULL;	/* an address was tried: that failure */
	*status = err == ETIMEDOUT ? 504 : 502;
	return (-1);
}
