/*
 * floor_server: the cheapest blocking prefork HTTP server, the floor that
 * t/bench measures Portier against. Each worker blocks in accept, answers
 * every request on the connection with the same 1 KiB 200 response, and goes
 * back to accept when the client closes or sends "Connection: close". A
 * request is read up to its "\r\n\r\n" and not parsed; bodies are not read
 * (GET only).
 *
 * usage: floor_server port workers
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEAD_MAX	8192
#define BODY_SIZE	1024

static char	resp_ka[256 + BODY_SIZE], resp_close[256 + BODY_SIZE];
static size_t	resp_ka_len, resp_close_len;

static size_t
make_response(char *buf, size_t size, const char *connection)
{
	int	n;

	n = snprintf(buf, size, "HTTP/1.1 200 OK\r\nServer: floor\r\n"
	    "Content-Type: text/html\r\nContent-Length: %d\r\n"
	    "Connection: %s\r\n\r\n", BODY_SIZE, connection);
	if (n < 0 || (size_t)n + BODY_SIZE > size)
		errx(1, "response buffer too small");
	memset(buf + n, 'x', BODY_SIZE);
	return (n + BODY_SIZE);
}

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
 * Reads until buf holds a whole request head. Returns the head's length
 * (bytes after it, up to *len, belong to the next request), or 0 when the
 * client closed, failed, or sent a head larger than HEAD_MAX.
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

static int
wants_close(char *head, size_t hlen)
{
	char	c;
	int	found;

	c = head[hlen];
	head[hlen] = '\0';
	found = strcasestr(head, "\r\nconnection: close") != NULL;
	head[hlen] = c;
	return (found);
}

static void
serve(int lfd)
{
	char	buf[HEAD_MAX + 1];
	size_t	len, hlen;
	int	fd, closing;

	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			err(1, "accept");
		}
		len = 0;
		while ((hlen = read_head(fd, buf, &len)) > 0) {
			closing = wants_close(buf, hlen);
			if (closing) {
				write_all(fd, resp_close, resp_close_len);
				break;
			}
			if (write_all(fd, resp_ka, resp_ka_len) == -1)
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

	if (argc != 3)
		errx(2, "usage: floor_server port workers");
	port = atoi(argv[1]);
	workers = atoi(argv[2]);
	if (port <= 0 || port > 65535 || workers <= 0 || workers > 4096)
		errx(2, "bad port or worker count");
	signal(SIGPIPE, SIG_IGN);
	resp_ka_len = make_response(resp_ka, sizeof(resp_ka), "keep-alive");
	resp_close_len = make_response(resp_close, sizeof(resp_close), "close");
	return (prefork(listen_on(port), workers));
}
