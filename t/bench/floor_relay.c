/*
 * floor_relay: the cheapest blocking prefork HTTP relay, the floor that
 * t/bench measures Portier's proxy against. Each worker keeps one kept-alive
 * connection to the origin, blocks in accept, and for each client request
 * sends the raw request head to the origin and copies the response back.
 * The only thing parsed is the response's Content-Length, to find where the
 * response ends (without one, the response ends when the origin closes).
 * Requests are read up to their "\r\n\r\n": GET only, no request bodies, no
 * HEAD (its response has a Content-Length but no body), no chunked responses.
 *
 * usage: floor_relay port workers origin-host:origin-port
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEAD_MAX	8192
#define BUF_SIZE	16384

static struct sockaddr_storage	origin;
static socklen_t		origin_len;
/* This worker's kept-alive connection to the origin, or -1. */
static int			upstream = -1;

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1)
			return (-1);
		p += w;
		n -= w;
	}
	return (0);
}

/*
 * Reads until buf holds a whole head (request or response). Returns the
 * head's length, with *len the number of bytes in buf, or 0 when the peer
 * closed, failed, or sent a head larger than HEAD_MAX.
 */
static size_t
read_head(int fd, char *buf, size_t *len)
{
	char	*end;
	ssize_t	 n;

	for (;;) {
		if ((end = memmem(buf, *len, "\r\n\r\n", 4)) != NULL)
			return (end + 4 - buf);
		if (*len == HEAD_MAX)
			return (0);
		if ((n = read(fd, buf + *len, HEAD_MAX - *len)) <= 0)
			return (0);
		*len += n;
	}
}

/* Looks for "\r\n<name>" in a head; returns what follows it, or NULL. */
static const char *
find_field(char *head, size_t hlen, const char *name)
{
	const char	*p;
	char		 c;

	c = head[hlen];
	head[hlen] = '\0';
	p = strcasestr(head, name);
	head[hlen] = c;
	return (p == NULL ? NULL : p + strlen(name));
}

static int
upstream_connect(void)
{
	int	fd, on = 1;

	if ((fd = socket(origin.ss_family, SOCK_STREAM, 0)) == -1)
		return (-1);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(fd, (struct sockaddr *)&origin, origin_len) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Sends the request head to the origin and reads the response head into
 * buf. A kept-alive upstream connection may have been closed by the origin
 * meanwhile: then connect again and resend, once. Returns the response
 * head's length, or 0.
 */
static size_t
upstream_send(const char *req, size_t reqlen, char *buf, size_t *len)
{
	size_t	hlen;
	int	try;

	for (try = 0; try < 2; try++) {
		if (upstream == -1 && (upstream = upstream_connect()) == -1)
			return (0);
		*len = 0;
		if (write_all(upstream, req, reqlen) == 0 &&
		    (hlen = read_head(upstream, buf, len)) > 0)
			return (hlen);
		close(upstream);
		upstream = -1;
		if (*len > 0)
			return (0);	/* a partial answer: do not resend */
	}
	return (0);
}

/*
 * Relays one request. Returns 0 when the client connection may be kept,
 * -1 when it must be closed. The upstream connection is kept only after a
 * whole response with a Content-Length and without "Connection: close".
 */
static int
relay(int cfd, char *req, size_t reqlen)
{
	char		 buf[BUF_SIZE + 1];
	const char	*v;
	long long	 left;	/* body bytes to copy; -1: until EOF */
	size_t		 len, hlen, n;
	ssize_t		 r;
	int		 ok, keep;

	if ((hlen = upstream_send(req, reqlen, buf, &len)) == 0)
		return (-1);
	v = find_field(buf, hlen, "\r\ncontent-length:");
	left = v == NULL ? -1 : strtoll(v, NULL, 10);
	keep = v != NULL &&
	    find_field(buf, hlen, "\r\nconnection: close") == NULL;
	n = len - hlen;
	if (left >= 0 && (long long)n > left)
		n = left;
	ok = write_all(cfd, buf, hlen + n) == 0;
	if (left >= 0)
		left -= n;
	while (ok && left != 0) {
		n = left < 0 || left > BUF_SIZE ? BUF_SIZE : (size_t)left;
		if ((r = read(upstream, buf, n)) <= 0 ||
		    write_all(cfd, buf, r) == -1)
			ok = 0;
		else if (left > 0)
			left -= r;
	}
	if (!ok || !keep) {
		close(upstream);
		upstream = -1;
	}
	return (ok ? 0 : -1);
}

static void
serve(int lfd)
{
	char	buf[HEAD_MAX + 1];
	size_t	len, hlen;
	int	fd;

	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			err(1, "accept");
		}
		len = 0;
		while ((hlen = read_head(fd, buf, &len)) > 0) {
			if (relay(fd, buf, hlen) == -1 ||
			    find_field(buf, hlen, "\r\nconnection: close"))
				break;
			memmove(buf, buf + hlen, len - hlen);
			len -= hlen;
		}
		close(fd);
	}
}

static int
listen_on(int port)
{
	struct sockaddr_in	sin;
	int			fd, on = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	/* Accepted sockets inherit TCP_NODELAY from the listener. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		err(1, "setsockopt");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind 127.0.0.1:%d", port);
	if (listen(fd, 4096) == -1)
		err(1, "listen");
	return (fd);
}

static void
resolve_origin(char *hostport)
{
	struct addrinfo	 hints, *res;
	char		*port;
	int		 e;

	if ((port = strrchr(hostport, ':')) == NULL)
		errx(2, "origin must be host:port");
	*port++ = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(hostport, port, &hints, &res)) != 0)
		errx(1, "%s: %s", hostport, gai_strerror(e));
	memcpy(&origin, res->ai_addr, res->ai_addrlen);
	origin_len = res->ai_addrlen;
	freeaddrinfo(res);
}

/*
 * Forks the workers and waits for TERM or INT (stop them all, exit 0) or
 * for a worker to die (a bug: stop them all, exit 1).
 */
static int
prefork(int lfd, int workers)
{
	sigset_t	 set;
	pid_t		*pids;
	int		 i, sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((pids = calloc(workers, sizeof(*pids))) == NULL)
		err(1, NULL);
	for (i = 0; i < workers; i++) {
		if ((pids[i] = fork()) == -1)
			err(1, "fork");
		if (pids[i] == 0) {
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			serve(lfd);
			_exit(1);
		}
	}
	sigwait(&set, &sig);
	for (i = 0; i < workers; i++)
		kill(pids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		continue;
	if (sig == SIGCHLD)
		warnx("a worker died");
	return (sig == SIGCHLD);
}

int
main(int argc, char *argv[])
{
	int	port, workers;

	if (argc != 4)
		errx(2, "usage: floor_relay port workers origin-host:port");
	port = atoi(argv[1]);
	workers = atoi(argv[2]);
	if (port <= 0 || port > 65535 || workers <= 0 || workers > 4096)
		errx(2, "bad port or worker count");
	resolve_origin(argv[3]);
	signal(SIGPIPE, SIG_IGN);
	return (prefork(listen_on(port), workers));
}
