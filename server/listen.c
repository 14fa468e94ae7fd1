/*
 * Listening sockets: opened by the master before fork (so ports below 1024
 * need root only there), inherited by every worker. Options set here are
 * inherited by accepted sockets on Linux, so a worker never pays a
 * setsockopt per connection: TCP_NODELAY, the send timeout and the receive
 * tick the worker uses to check its deadlines.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

#define LISTEN_BACKLOG	511

/* The receive tick: the shortest timeout, at most one second. */
static long long
listen_tick_ms(const struct pt_conf *cf)
{
	long long t = 1000;

	if (cf->timeouts.head < t)
		t = cf->timeouts.head;
	if (cf->timeouts.body < t)
		t = cf->timeouts.body;
	if (cf->timeouts.keepalive < t)
		t = cf->timeouts.keepalive;
	return (t < 10 ? 10 : t);
}

static void
set_timeo(int fd, int opt, long long ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

static int
listen_open_one(const struct pt_conf *cf, const struct conf_listen *cl)
{
	int fd, on = 1, defer = 1;

	fd = socket(cl->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (cl->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	/* Wake a worker only when the request's first bytes are there. */
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer));
	set_timeo(fd, SO_RCVTIMEO, listen_tick_ms(cf));
	set_timeo(fd, SO_SNDTIMEO, cf->timeouts.send);
	if (bind(fd, (const struct sockaddr *)&cl->addr, cl->addrlen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

static void
listen_format(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN], port[8];

	addr_format(ss, host, sizeof(host), port, sizeof(port));
	snprintf(out, len, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
	    host, port);
}

static bool
listen_same(const struct conf_listen *a, const struct conf_listen *b)
{
	return (a->addrlen == b->addrlen &&
	    memcmp(&a->addr, &b->addr, a->addrlen) == 0 &&
	    strcmp(a->text, b->text) == 0);
}

/*
 * A graceful restart keeps the sockets (and their queues) of listeners that
 * stay: matched by their configured text, so ":0" keeps its port.
 */
static int
listen_take_old(struct listener *old, size_t nold, const struct conf_listen *cl)
{
	size_t	i;
	int	fd;

	for (i = 0; i < nold; i++) {
		if (old[i].fd != -1 && strcmp(old[i].text, cl->text) == 0) {
			fd = old[i].fd;
			old[i].fd = -1;
			return (fd);
		}
	}
	return (-1);
}

/*
 * Opens each distinct listen address once; servers that name the same
 * address share the socket (virtual hosts).
 */
int
listen_open_all(const struct pt_conf *cf, struct listener *old, size_t nold,
    struct listener **out, size_t *nout)
{
	struct listener			*l = NULL, *tmp;
	const struct conf_listen	*cl;
	struct sockaddr_storage		 ss;
	socklen_t			 sl;
	size_t				 n = 0, i, j, k;

	for (i = 0; i < cf->nservers; i++) {
		for (j = 0; j < cf->servers[i].nlisten; j++) {
			cl = &cf->servers[i].listen[j];
			for (k = 0; k < n; k++)
				if (listen_same(l[k].cl, cl))
					break;
			if (k < n)
				continue;
			if ((tmp = realloc(l, (n + 1) * sizeof(*l))) == NULL)
				goto fail;
			l = tmp;
			memset(&l[n], 0, sizeof(l[n]));
			l[n].cl = cl;
			snprintf(l[n].text, sizeof(l[n].text), "%s", cl->text);
			l[n].fd = listen_take_old(old, nold, cl);
			if (l[n].fd == -1 &&
			    (l[n].fd = listen_open_one(cf, cl)) == -1) {
				PT_LOG_ERRNO(PT_LOG_ERR, "%s:%d: listen %s",
				    cl->file, cl->line, cl->text);
				goto fail;
			}
			sl = sizeof(ss);
			getsockname(l[n].fd, (struct sockaddr *)&ss, &sl);
			listen_format(&ss, l[n].bound, sizeof(l[n].bound));
			n++;
		}
	}
	*out = l;
	*nout = n;
	return (0);
 fail:
	listen_close_all(l, n);
	return (-1);
}

void
listen_close_all(struct listener *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i].fd != -1)
			close(l[i].fd);
	free(l);
}

/* Writes "configured bound" lines: how tests learn the ports of ":0". */
int
listen_report(const struct pt_conf *cf, struct listener *l, size_t n)
{
	FILE	*fp;
	char	 tmp[4096];
	size_t	 i;

	if (cf->listen_report == NULL)
		return (0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", cf->listen_report);
	if ((fp = fopen(tmp, "w")) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s %s\n", l[i].text, l[i].bound);
	if (fclose(fp) != 0)
		return (-1);
	return (rename(tmp, cf->listen_report));
}
