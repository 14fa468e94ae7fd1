/*
 * tunnel_bench: CONNECT tunnels through a forward proxy on loopback, for
 * t/bench/run.sh. Each mode forks its own origin on 127.0.0.1:origin-port
 * (listening before the first CONNECT) and talks to the proxy at
 * 127.0.0.1:proxy-port.
 *
 * pump: one tunnel; sends BYTES up (the origin answers one byte once it
 *   has read them all), then the origin sends BYTES down. Prints
 *   "up_bytes up_seconds down_bytes down_seconds". The payload is written
 *   and read in 1 MiB calls from one buffer: the client's and origin's
 *   cost is one copy each way.
 * hold: opens N tunnels to an echo origin, from source addresses
 *   127.0.0.BASE .. 127.0.0.(BASE+ADDRS-1) in turn (a proxy caps tunnels
 *   per client address), in batches of 100 CONNECTs sent before any
 *   answer is read. Prints "held N of WANTED in SECONDS s", then holds
 *   them idle until stdin closes or SIGTERM comes, then echoes a line
 *   through every 50th, prints "sample K of M echoed", and exits.
 *
 * usage: tunnel_bench pump proxy-port origin-port bytes
 *        tunnel_bench hold proxy-port origin-port n base addrs
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK		(1 << 20)
#define BATCH		100
#define ANSWER_MS	10000

static volatile sig_atomic_t	stop;

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static struct sockaddr_in
loopback(const char *addr, int port)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		errx(1, "bad address %s", addr);
	return (sin);
}

static int
listen_on(int port)
{
	struct sockaddr_in	sin = loopback("127.0.0.1", port);
	int			fd, on = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind 127.0.0.1:%d", port);
	if (listen(fd, 4096) == -1)
		err(1, "listen");
	return (fd);
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

/* Reads exactly n bytes into buf (reused, of CHUNK bytes); 0 or -1. */
static int
read_count(int fd, char *buf, unsigned long long n)
{
	ssize_t	r;

	while (n > 0) {
		r = read(fd, buf, n < CHUNK ? n : CHUNK);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return (-1);
		n -= (unsigned long long)r;
	}
	return (0);
}

static int
send_bytes(int fd, const char *buf, unsigned long long n)
{
	size_t	k;

	while (n > 0) {
		k = n < CHUNK ? n : CHUNK;
		if (write_all(fd, buf, k) == -1)
			return (-1);
		n -= k;
	}
	return (0);
}

/* Connects from source address src (NULL: any) and sends the CONNECT. */
static int
connect_req(int proxy_port, int origin_port, const char *src)
{
	struct sockaddr_in	sin = loopback("127.0.0.1", proxy_port), s;
	char			req[128];
	int			fd, n;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	if (src != NULL) {
		s = loopback(src, 0);
		if (bind(fd, (struct sockaddr *)&s, sizeof(s)) == -1)
			goto fail;
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto fail;
	n = snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%d HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n\r\n", origin_port, origin_port);
	if (write_all(fd, req, (size_t)n) == -1)
		goto fail;
	return (fd);
 fail:
	close(fd);
	return (-1);
}

/* Reads the proxy's answer head; 0 when it is a 200, else -1. */
static int
connect_answer(int fd)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	char		head[1024];
	size_t		got = 0;
	ssize_t		r;
	double		until = now_s() + ANSWER_MS / 1000.0;

	/* Byte by byte: nothing past the head may be taken. */
	while (got < sizeof(head) - 1) {
		if (now_s() >= until || poll(&pfd, 1, ANSWER_MS) != 1)
			return (-1);
		if ((r = read(fd, head + got, 1)) != 1)
			return (-1);
		got++;
		if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0) {
			head[got] = '\0';
			return (strncmp(head, "HTTP/1.1 200", 12) == 0 ||
			    strncmp(head, "HTTP/1.0 200", 12) == 0 ? 0 : -1);
		}
	}
	return (-1);
}

/* The pump's origin: reads n bytes, answers one byte, sends n bytes. */
static void
pump_origin(int ls, unsigned long long n)
{
	char	*buf;
	int	 fd;

	if ((buf = malloc(CHUNK)) == NULL)
		err(1, "malloc");
	memset(buf, 'd', CHUNK);
	if ((fd = accept(ls, NULL, NULL)) == -1)
		err(1, "accept");
	if (read_count(fd, buf, n) == -1)
		errx(1, "origin: short upload");
	if (write_all(fd, "k", 1) == -1 || send_bytes(fd, buf, n) == -1)
		errx(1, "origin: download failed");
	close(fd);
	_exit(0);
}

static int
pump(int proxy_port, int origin_port, unsigned long long n)
{
	double	t0, t1, t2;
	char	*buf;
	pid_t	 pid;
	int	 ls, fd, st;

	ls = listen_on(origin_port);
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0)
		pump_origin(ls, n);
	close(ls);
	if ((buf = malloc(CHUNK)) == NULL)
		err(1, "malloc");
	memset(buf, 'u', CHUNK);
	if ((fd = connect_req(proxy_port, origin_port, NULL)) == -1 ||
	    connect_answer(fd) == -1)
		errx(1, "CONNECT through 127.0.0.1:%d failed", proxy_port);
	t0 = now_s();
	if (send_bytes(fd, buf, n) == -1 || read_count(fd, buf, 1) == -1)
		errx(1, "upload failed");
	t1 = now_s();
	if (read_count(fd, buf, n) == -1)
		errx(1, "download failed");
	t2 = now_s();
	close(fd);
	waitpid(pid, &st, 0);
	printf("%llu %.6f %llu %.6f\n", n, t1 - t0, n, t2 - t1);
	return (0);
}

/* The hold's origin: echoes every connection, all in one epoll loop. */
static void __attribute__((noreturn))
echo_origin(int ls)
{
	struct epoll_event	ev, evs[256];
	char			buf[4096];
	ssize_t			r;
	int			ep, n, i, fd;

	if ((ep = epoll_create1(0)) == -1)
		err(1, "epoll_create1");
	ev.events = EPOLLIN;
	ev.data.fd = ls;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (;;) {
		if ((n = epoll_wait(ep, evs, 256, -1)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == ls) {
				if ((fd = accept(ls, NULL, NULL)) == -1)
					continue;
				ev.data.fd = fd;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				continue;
			}
			if ((r = read(fd, buf, sizeof(buf))) <= 0 ||
			    write_all(fd, buf, (size_t)r) == -1)
				close(fd);
		}
	}
}

static int
echo_once(int fd, int i)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	char		want[32], got[32];
	int		n = snprintf(want, sizeof(want), "ping %d\n", i);
	size_t		have = 0;
	ssize_t		r;

	if (write_all(fd, want, (size_t)n) == -1)
		return (-1);
	while (have < (size_t)n) {
		if (poll(&pfd, 1, 5000) != 1 ||
		    (r = read(fd, got + have, (size_t)n - have)) <= 0)
			return (-1);
		have += (size_t)r;
	}
	return (memcmp(want, got, (size_t)n) == 0 ? 0 : -1);
}

static int
hold(int proxy_port, int origin_port, int n, int base, int addrs)
{
	struct sigaction	sa;
	char			src[32], c;
	double			t0 = now_s();
	pid_t			pid;
	int			*fds, ls, i, j, end, held = 0, ok = 0, tried = 0;

	if ((fds = calloc((size_t)n, sizeof(*fds))) == NULL)
		err(1, "calloc");
	ls = listen_on(origin_port);
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0)
		echo_origin(ls);
	close(ls);
	for (i = 0; i < n; i = end) {
		end = i + BATCH < n ? i + BATCH : n;
		for (j = i; j < end; j++) {
			snprintf(src, sizeof(src), "127.0.0.%d",
			    base + j % addrs);
			fds[j] = connect_req(proxy_port, origin_port, src);
		}
		for (j = i; j < end; j++)
			if (fds[j] != -1 && connect_answer(fds[j]) == -1) {
				close(fds[j]);
				fds[j] = -1;
			} else if (fds[j] != -1)
				held++;
	}
	printf("held %d of %d in %.1f s\n", held, n, now_s() - t0);
	fflush(stdout);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop && read(STDIN_FILENO, &c, 1) > 0)
		;
	for (i = 0; i < n; i += 50)
		if (fds[i] != -1) {
			tried++;
			ok += echo_once(fds[i], i) == 0;
		}
	printf("sample %d of %d echoed\n", ok, tried);
	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return (held == n && ok == tried ? 0 : 1);
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && strcmp(argv[1], "pump") == 0)
		return (pump(atoi(argv[2]), atoi(argv[3]),
		    strtoull(argv[4], NULL, 10)));
	if (argc == 7 && strcmp(argv[1], "hold") == 0)
		return (hold(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
		    atoi(argv[5]), atoi(argv[6])));
	fprintf(stderr, "usage: tunnel_bench pump proxy-port origin-port "
	    "bytes\n       tunnel_bench hold proxy-port origin-port n base "
	    "addrs\n");
	return (2);
}
