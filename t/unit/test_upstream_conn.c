/*
 * t/unit/test_upstream_conn.c: upstream connections on loopback sockets
 * (upstream_conn.c alone): reuse of idle connections and detection of
 * ones the backend closed, fresh, max_conns and idle_max across the
 * shared counts, idle timeout and sweep, refused and timed-out connects,
 * passive health, unix sockets, addresses, and the per-slot ledger that
 * gives back a dead worker's share (children killed with _exit).
 *
 * The core's clock, stop flag and scoreboard lookup are stubbed here: the
 * clock can be moved forward, and the slot is whatever the test says.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "core.h"
#include "upstream.h"

#define NSLOTS	4

/* Stubs of the core. */
volatile sig_atomic_t	 pt_stop;
struct scoreboard	*pt_scoreboard;
static long long	 clock_skew;
static int		 test_slot;

long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    clock_skew);
}

int
sb_slot_of(pid_t pid)
{
	(void)pid;
	return (test_slot);
}

static struct pt_conf		 cf;
static struct conf_upstream	 up;
static struct upstream_server	 srv[2];
static void			*shared;	/* states, then the ledger */
static size_t			 shared_size;
static int			 lfd = -1;	/* TCP backend */
static struct sockaddr_storage	 laddr;
static int			 ufd = -1;	/* unix backend */
static char			 upath[64];

static struct upstream_state *
st0(void)
{
	return (&up.state[0]);
}

static struct upstream_ledger *
led(int slot, int server)
{
	return (&up.ledger[slot * (int)up.nservers + server]);
}

/* Accepts and closes whatever the backend has queued. */
static void
drain(void)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) != -1)
		close(fd);
}

static int
setup(void)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&laddr;
	struct sockaddr_un	 sun;
	socklen_t		 len = sizeof(laddr);

	pt_scoreboard = calloc(1, sizeof(*pt_scoreboard));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (pt_scoreboard == NULL || lfd == -1 ||
	    bind(lfd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    listen(lfd, 128) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&laddr, &len) == -1)
		return (-1);
	snprintf(upath, sizeof(upath), "/tmp/portier-uc-%d.sock",
	    (int)getpid());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", upath);
	unlink(upath);
	if ((ufd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(ufd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(ufd, 16) == -1)
		return (-1);
	up.nservers = 2;
	shared_size = 2 * sizeof(struct upstream_state) +
	    NSLOTS * 2 * sizeof(struct upstream_ledger);
	shared = mmap(NULL, shared_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return (-1);
	up.state = shared;
	up.ledger = (struct upstream_ledger *)(void *)(up.state + 2);
	up.ledger_slots = NSLOTS;
	cf.upstreams = &up;
	cf.nupstreams = 1;
	return (0);
}

static int
teardown(void)
{
	upstream_idle_sweep(LLONG_MAX / 2);
	close(lfd);
	close(ufd);
	unlink(upath);
	/*
	 * The shared region stays mapped: at exit, upstream_conn.c gives
	 * back this process's share of the pools it used, as a worker does.
	 */
	return (0);
}

/* Server 0 is the TCP backend, server 1 the unix one; counts all zero. */
static void
reset(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&ss;
	size_t			 i;

	upstream_idle_sweep(LLONG_MAX / 2);
	drain();
	clock_skew = 0;
	test_slot = 0;
	memset(shared, 0, shared_size);
	up.name = "app";
	up.servers = srv;
	up.connect_timeout_ms = 1000;
	up.idle_timeout_ms = 1000;
	up.idle_max = 4;
	up.fail_max = 3;
	up.fail_window_ms = 10000;
	up.fail_cooldown_ms = 30000;
	up.tick_ms = 250;
	for (i = 0; i < 2; i++) {
		memset(&srv[i], 0, sizeof(srv[i]));
		srv[i].pool = &up;
		srv[i].index = (unsigned int)i;
		srv[i].weight = 1;
	}
	srv[0].address = "127.0.0.1:test";
	srv[0].kind = UPS_INET;
	upstream_server_addrs_set(&srv[0], &laddr, 1);
	srv[1].address = "unix:test";
	srv[1].kind = UPS_UNIX;
	memset(&ss, 0, sizeof(ss));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", upath);
	upstream_server_addrs_set(&srv[1], &ss, 1);
}

static void
test_reuse(void)
{
	struct upstream_conn	*c, *c2;
	struct timeval		 tv;
	socklen_t		 tvlen;
	int			 fd;

	reset();
	c = upstream_conn_get(&srv[0], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_FALSE(c->reused);
	CU_ASSERT_EQUAL(st0()->conns, 1);
	CU_ASSERT_EQUAL(led(0, 0)->conns, 1);
	/* Blocking again, as the proxy expects, with the pool's tick. */
	CU_ASSERT_EQUAL(fcntl(c->fd, F_GETFL) & O_NONBLOCK, 0);
	tvlen = sizeof(tv);
	CU_ASSERT_EQUAL(getsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    &tvlen), 0);
	CU_ASSERT(tv.tv_sec == 0 && tv.tv_usec >= 240000 &&
	    tv.tv_usec <= 260000);	/* rounded to jiffies */
	CU_ASSERT_EQUAL(getsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    &tvlen), 0);
	CU_ASSERT(tv.tv_sec == 0 && tv.tv_usec >= 240000 &&
	    tv.tv_usec <= 260000);	/* rounded to jiffies */
	fd = c->fd;
	upstream_conn_put(c, true, false);
	CU_ASSERT_EQUAL(st0()->conns, 0);
	CU_ASSERT_EQUAL(st0()->idle, 1);
	CU_ASSERT_EQUAL(led(0, 0)->idle, 1);
	CU_ASSERT_EQUAL(st0()->requests, 1);
	c2 = upstream_conn_get(&srv[0], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	CU_ASSERT_TRUE(c2->reused);
	CU_ASSERT_EQUAL(c2->fd, fd);
	CU_ASSERT_EQUAL(c2->requests, 1);
	CU_ASSERT_EQUAL(st0()->idle, 0);
	CU_ASSERT_EQUAL(st0()->conns, 1);
	upstream_conn_put(c2, false, false);
	CU_ASSERT_EQUAL(st0()->conns, 0);
	CU_ASSERT_EQUAL(st0()->idle, 0);
	CU_ASSERT_EQUAL(led(0, 0)->conns, 0);
	CU_ASSERT_EQUAL(led(0, 0)->idle, 0);
}

/* Closed by the backend, or with bytes nobody asked for: not reused. */
static void
test_closed_detected(void)
{
	struct upstream_conn	*c;
	int			 a, round;

	for (round = 0; round < 2; round++) {
		reset();
		c = upstream_conn_get(&srv[0], false);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		usleep(20000);
		a = accept(lfd, NULL, NULL);
		CU_ASSERT_FATAL(a != -1);
		upstream_conn_put(c, true, false);
		CU_ASSERT_EQUAL(st0()->idle, 1);
		if (round == 0)
			close(a);
		else
			CU_ASSERT_EQUAL(write(a, "HTTP/1.1 408 x\r\n\r\n", 18),
			    18);
		usleep(20000);
		c = upstream_conn_get(&srv[0], false);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_FALSE(c->reused);
		CU_ASSERT_EQUAL(st0()->idle, 0);
		CU_ASSERT_EQUAL(st0()->conns, 1);
		upstream_conn_put(c, false, false);
		if (round == 1)
			close(a);
	}
}

static void
test_fresh(void)
{
	struct upstream_conn *c;

	reset();
	c = upstream_conn_get(&srv[0], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	upstream_conn_put(c, true, false);
	c = upstream_conn_get(&srv[0], true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_FALSE(c->reused);
	CU_ASSERT_EQUAL(st0()->idle, 1);
	CU_ASSERT_EQUAL(st0()->conns, 1);
	upstream_conn_put(c, false, false);
}

static void
test_caps(void)
{
	struct upstream_conn *c1, *c2;

	reset();
	srv[0].max_conns = 2;
	c1 = upstream_conn_get(&srv[0], true);
	c2 = upstream_conn_get(&srv[0], true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	errno = 0;
	CU_ASSERT_PTR_NULL(upstream_conn_get(&srv[0], true));
	CU_ASSERT_EQUAL(errno, EBUSY);
	CU_ASSERT_EQUAL(st0()->conns, 2);
	CU_ASSERT_EQUAL(st0()->fails, 0);	/* not the backend's fault */
	/* idle_max 1, all workers together: the second is closed. */
	up.idle_max = 1;
	upstream_conn_put(c1, true, false);
	upstream_conn_put(c2, true, false);
	CU_ASSERT_EQUAL(st0()->conns, 0);
	CU_ASSERT_EQUAL(st0()->idle, 1);
	CU_ASSERT_EQUAL(led(0, 0)->idle, 1);
	/* idle_max 0 keeps none. */
	up.idle_max = 0;
	c1 = upstream_conn_get(&srv[0], true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	upstream_conn_put(c1, true, false);
	CU_ASSERT_EQUAL(st0()->idle, 1);
}

static void
test_idle_timeout(void)
{
	struct upstream_conn *c;

	reset();
	c = upstream_conn_get(&srv[0], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	upstream_conn_put(c, true, false);
	upstream_idle_sweep(now_ms());
	CU_ASSERT_EQUAL(st0()->idle, 1);
	/* Past the timeout a get does not take it... */
	clock_skew = 1500;
	c = upstream_conn_get(&srv[0], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_FALSE(c->reused);
	CU_ASSERT_EQUAL(st0()->idle, 0);
	upstream_conn_put(c, true, false);
	CU_ASSERT_EQUAL(st0()->idle, 1);
	/* ...and the sweep closes it. */
	upstream_idle_sweep(now_ms() + 999);
	CU_ASSERT_EQUAL(st0()->idle, 1);
	upstream_idle_sweep(now_ms() + 1000);
	CU_ASSERT_EQUAL(st0()->idle, 0);
	CU_ASSERT_EQUAL(led(0, 0)->idle, 0);
}

/* A port nobody listens on. */
static void
dead_port(struct sockaddr_storage *ss)
{
	socklen_t	len = sizeof(*ss);
	int		fd;

	*ss = laddr;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	((struct sockaddr_in *)ss)->sin_port = 0;
	bind(fd, (struct sockaddr *)ss, sizeof(struct sockaddr_in));
	getsockname(fd, (struct sockaddr *)ss, &len);
	close(fd);
}

static void
test_refused_passive(void)
{
	struct sockaddr_storage	 ss;
	struct upstream_conn	*c;
	long long		 now;
	int			 i;

	reset();
	dead_port(&ss);
	upstream_server_addrs_set(&srv[0], &ss, 1);
	for (i = 1; i <= 2; i++) {
		errno = 0;
		CU_ASSERT_PTR_NULL(upstream_conn_get(&srv[0], false));
		CU_ASSERT_EQUAL(errno, ECONNREFUSED);
		CU_ASSERT_EQUAL(st0()->fails, i);
		CU_ASSERT_EQUAL(st0()->conns, 0);
	}
	/* A success in between starts the count again. */
	upstream_note_success(&srv[0]);
	CU_ASSERT_EQUAL(st0()->fails, 0);
	now = now_ms();
	for (i = 0; i < 3; i++)
		CU_ASSERT_PTR_NULL(upstream_conn_get(&srv[0], false));
	/* The third marks it down for the cool-down, slow start after. */
	CU_ASSERT(st0()->down_until_ms >= now + 30000);
	CU_ASSERT(st0()->down_until_ms <= now_ms() + 30000);
	CU_ASSERT_EQUAL(st0()->up_since_ms, st0()->down_until_ms);
	CU_ASSERT_EQUAL(st0()->fails, 0);
	/* Failures while down (requests in flight) do not count. */
	CU_ASSERT_PTR_NULL(upstream_conn_get(&srv[0], false));
	CU_ASSERT_EQUAL(st0()->fails, 0);
	/* A failed exchange counts the same way. */
	reset();
	up.fail_max = 2;
	c = upstream_conn_get(&srv[0], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	upstream_conn_put(c, true, true);
	CU_ASSERT_EQUAL(st0()->fails, 1);
	CU_ASSERT_EQUAL(st0()->failures, 1);
	CU_ASSERT_EQUAL(st0()->idle, 0);	/* failed: never kept */
	CU_ASSERT_EQUAL(st0()->down_until_ms, 0);
	/* Outside the window: the count starts over, nothing goes down. */
	clock_skew = 20000;
	c = upstream_conn_get(&srv[0], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	upstream_conn_put(c, false, true);
	CU_ASSERT_EQUAL(st0()->fails, 1);
	CU_ASSERT_EQUAL(st0()->down_until_ms, 0);
	c = upstream_conn_get(&srv[0], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	upstream_conn_put(c, false, true);
	CU_ASSERT(st0()->down_until_ms > now_ms());
	/* fail_max 0: passive checks off. */
	reset();
	up.fail_max = 0;
	upstream_server_addrs_set(&srv[0], &ss, 1);
	CU_ASSERT_PTR_NULL(upstream_conn_get(&srv[0], false));
	CU_ASSERT_EQUAL(st0()->fails, 0);
}

/* A backend whose accept queue is full drops our SYN: connect times out. */
static void
test_connect_timeout(void)
{
	struct sockaddr_storage	 ss = laddr;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	socklen_t		 len = sizeof(ss);
	long long		 t0, took;
	int			 full, fill[4], i, n = 0;

	reset();
	full = socket(AF_INET, SOCK_STREAM, 0);
	sin->sin_port = 0;
	CU_ASSERT_FATAL(bind(full, (struct sockaddr *)sin, sizeof(*sin)) == 0);
	CU_ASSERT_FATAL(listen(full, 0) == 0);
	getsockname(full, (struct sockaddr *)&ss, &len);
	for (i = 0; i < 4; i++) {
		fill[n] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)connect(fill[n], (struct sockaddr *)&ss, sizeof(*sin));
		n++;
	}
	usleep(50000);
	up.connect_timeout_ms = 300;
	upstream_server_addrs_set(&srv[0], &ss, 1);
	t0 = now_ms();
	errno = 0;
	CU_ASSERT_PTR_NULL(upstream_conn_get(&srv[0], false));
	took = now_ms() - t0;
	CU_ASSERT_EQUAL(errno, ETIMEDOUT);
	CU_ASSERT(took >= 250 && took < 2000);
	CU_ASSERT_EQUAL(st0()->fails, 1);
	CU_ASSERT_EQUAL(st0()->conns, 0);
	for (i = 0; i < n; i++)
		close(fill[i]);
	close(full);
}

static void
test_unix(void)
{
	struct upstream_conn	*c;
	int			 a;

	reset();
	c = upstream_conn_get(&srv[1], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(up.state[1].conns, 1);
	a = accept(ufd, NULL, NULL);
	CU_ASSERT(a != -1);
	upstream_conn_put(c, true, false);
	c = upstream_conn_get(&srv[1], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE(c->reused);
	upstream_conn_put(c, false, false);
	close(a);
	CU_ASSERT_EQUAL(up.state[1].conns, 0);
}

static void
test_addrs(void)
{
	struct sockaddr_storage	 in[3], out[4], one;
	socklen_t		 len = 0;
	int			 i;

	reset();
	for (i = 0; i < 3; i++) {
		in[i] = laddr;
		((struct sockaddr_in *)&in[i])->sin_port = htons(1000 + i);
	}
	upstream_server_addrs_set(&srv[0], in, 3);
	CU_ASSERT_EQUAL(st0()->naddrs, 3);
	CU_ASSERT_EQUAL(st0()->addr_gen % 2, 0);
	CU_ASSERT_EQUAL(upstream_server_addrs(&srv[0], out, 4), 3);
	CU_ASSERT_EQUAL(memcmp(out, in, 3 * sizeof(in[0])), 0);
	CU_ASSERT_EQUAL(upstream_server_addrs(&srv[0], out, 2), 2);
	CU_ASSERT_EQUAL(upstream_server_addr(&srv[0], &one, &len), 0);
	CU_ASSERT_EQUAL(len, sizeof(struct sockaddr_in));
	CU_ASSERT_EQUAL(memcmp(&one, &in[0], sizeof(struct sockaddr_in)), 0);
	CU_ASSERT_EQUAL(upstream_server_addr(&srv[1], &one, &len), 0);
	CU_ASSERT_EQUAL(len, offsetof(struct sockaddr_un, sun_path) +
	    strlen(upath) + 1);
	/* No address (a name not resolved yet): -1, and no connect. */
	upstream_server_addrs_set(&srv[0], NULL, 0);
	CU_ASSERT_EQUAL(upstream_server_addr(&srv[0], &one, &len), -1);
	errno = 0;
	CU_ASSERT_PTR_NULL(upstream_conn_get(&srv[0], false));
	CU_ASSERT_EQUAL(errno, EADDRNOTAVAIL);
	CU_ASSERT_EQUAL(st0()->fails, 0);
	CU_ASSERT_EQUAL(st0()->conns, 0);
}

/*
 * A child in slot: one connection active, one idle, then the child dies
 * without a word (_exit skips atexit, like a crash) or exits normally.
 */
static void
child(int slot, bool crash)
{
	struct upstream_conn	*a, *b;
	pid_t			 pid;
	int			 status;

	if ((pid = fork()) == 0) {
		test_slot = slot;
		a = upstream_conn_get(&srv[0], true);
		b = upstream_conn_get(&srv[0], true);
		if (a == NULL || b == NULL)
			_exit(1);
		upstream_conn_put(b, true, false);
		if (crash)
			_exit(0);
		exit(0);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
}

static void
test_ledger(void)
{
	struct upstream_conn *c;

	reset();
	/* The parent holds one idle connection, slot 0, all along. */
	c = upstream_conn_get(&srv[0], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	upstream_conn_put(c, true, false);
	/* Normal exit: the child gives everything back itself. */
	child(1, false);
	CU_ASSERT_EQUAL(st0()->conns, 0);
	CU_ASSERT_EQUAL(st0()->idle, 1);
	CU_ASSERT_EQUAL(led(1, 0)->conns, 0);
	CU_ASSERT_EQUAL(led(1, 0)->idle, 0);
	/* A crash leaves its share counted, and in its slot's ledger... */
	child(2, true);
	CU_ASSERT_EQUAL(st0()->conns, 1);
	CU_ASSERT_EQUAL(st0()->idle, 2);
	CU_ASSERT_EQUAL(led(2, 0)->conns, 1);
	CU_ASSERT_EQUAL(led(2, 0)->idle, 1);
	/* ...which the master takes off when it reaps the child. */
	upstream_slot_release(&cf, 2);
	CU_ASSERT_EQUAL(st0()->conns, 0);
	CU_ASSERT_EQUAL(st0()->idle, 1);
	CU_ASSERT_EQUAL(led(2, 0)->conns, 0);
	upstream_slot_release(&cf, 2);		/* twice is harmless */
	CU_ASSERT_EQUAL(st0()->idle, 1);
	/* Or the next worker given the slot does, at its first use. */
	child(3, true);
	CU_ASSERT_EQUAL(st0()->conns, 1);
	child(3, false);
	CU_ASSERT_EQUAL(st0()->conns, 0);
	CU_ASSERT_EQUAL(st0()->idle, 1);
	CU_ASSERT_EQUAL(led(3, 0)->conns, 0);
	CU_ASSERT_EQUAL(led(3, 0)->idle, 0);
	/* The parent's own connection was never touched by the children. */
	c = upstream_conn_get(&srv[0], false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE(c->reused);
	upstream_conn_put(c, false, false);
	CU_ASSERT_EQUAL(st0()->idle, 0);
	CU_ASSERT_EQUAL(led(0, 0)->idle, 0);
}

static const struct pt_unit_test tests[] = {
	{ "an idle connection is reused, counts follow", test_reuse },
	{ "a connection the backend closed is not reused",
	  test_closed_detected },
	{ "fresh skips the idle pool", test_fresh },
	{ "max_conns and idle_max across workers", test_caps },
	{ "idle timeout and sweep", test_idle_timeout },
	{ "refused connects and passive health", test_refused_passive },
	{ "connect timeout", test_connect_timeout },
	{ "unix sockets", test_unix },
	{ "addresses under the sequence lock", test_addrs },
	{ "a dead worker's share is given back", test_ledger },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("upstream_conn", setup, teardown, tests));
}
