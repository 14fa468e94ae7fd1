/*
 * t/unit/test_store.c: named segments across configuration loads, and the
 * store with its shared-memory provider: get/set/delete/cas, TTLs in real
 * time, token buckets, eviction, processes racing on one key, and holders
 * killed while locked (plain, and at each step of the write protocol).
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "shm_priv.h"
#include "store_priv.h"

#define KEY(s)		(s), strlen(s)
#define NPROC		4

static struct store_shm	*ss;

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* An empty store of bytes bytes: one load that drops every segment, then
 * one that maps the store alone, as the master would. */
static void
new_store(size_t bytes)
{
	shm_generation_begin();
	shm_generation_end(true);
	shm_generation_begin();
	ss = store_shm_init(bytes);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ss);
	store_use_provider(&store_shm_provider, ss);
	shm_generation_end(true);
}

static int
teardown(void)
{
	store_use_provider(NULL, NULL);
	shm_free_all();
	return (0);
}

/* The value of key as a string ("" when absent, "!" on error). */
static const char *
value_of(const char *key)
{
	static char	 buf[PT_STORE_VALUE_MAX + 1];
	size_t		 len = sizeof(buf) - 1;
	int		 rc;

	rc = pt_store_get(KEY(key), buf, &len);
	if (rc == PT_DECLINED)
		return ("");
	if (rc != 0)
		return ("!");
	buf[len] = '\0';
	return (buf);
}

static uint64_t
stat_of(size_t field)
{
	struct store_shm_stats st;

	CU_ASSERT_EQUAL_FATAL(store_shm_stats(ss, &st), 0);
	return (*(uint64_t *)(void *)((char *)&st + field));
}
#define STAT(f)	stat_of(offsetof(struct store_shm_stats, f))

static void
test_get_set_delete(void)
{
	static char	 big[PT_STORE_VALUE_MAX + 1], key[PT_STORE_KEY_MAX + 1];
	const char	*longer = "a longer value, which takes more than one "
			    "chunk once the key is added to it: ..............."
			    "..............................................";
	char		 small[4];
	size_t		 len;

	new_store(0);
	CU_ASSERT_STRING_EQUAL(value_of("a"), "");
	CU_ASSERT_EQUAL(pt_store_set(KEY("a"), "one", 3, 0), 0);
	CU_ASSERT_STRING_EQUAL(value_of("a"), "one");
	CU_ASSERT_EQUAL(pt_store_set(KEY("a"), KEY(longer), 0), 0);
	CU_ASSERT_STRING_EQUAL(value_of("a"), longer);
	CU_ASSERT_EQUAL(pt_store_set(KEY("a"), "", 0, 0), 0);
	CU_ASSERT_STRING_EQUAL(value_of("a"), "");
	len = 0;
	CU_ASSERT_EQUAL(pt_store_get(KEY("a"), NULL, &len), 0);	/* empty */
	CU_ASSERT_EQUAL(pt_store_delete(KEY("a")), 0);
	CU_ASSERT_EQUAL(pt_store_delete(KEY("a")), PT_DECLINED);
	/* Too small a buffer: an error that says how much is needed. */
	pt_store_set(KEY("b"), "12345", 5, 0);
	len = sizeof(small);
	errno = 0;
	CU_ASSERT_EQUAL(pt_store_get(KEY("b"), small, &len), PT_ERROR);
	CU_ASSERT_EQUAL(errno, ENOBUFS);
	CU_ASSERT_EQUAL(len, 5);
	/* Binary keys: a NUL inside is part of the key. */
	CU_ASSERT_EQUAL(pt_store_set("x\0y", 3, "1", 1, 0), 0);
	CU_ASSERT_EQUAL(pt_store_set("x\0z", 3, "2", 1, 0), 0);
	len = 1;
	CU_ASSERT_EQUAL(pt_store_get("x\0y", 3, small, &len), 0);
	CU_ASSERT_EQUAL(small[0], '1');
	/* Limits. */
	memset(key, 'k', sizeof(key));
	memset(big, 'v', sizeof(big));
	CU_ASSERT_EQUAL(pt_store_set(key, PT_STORE_KEY_MAX, big,
	    PT_STORE_VALUE_MAX, 0), 0);
	len = sizeof(big);
	CU_ASSERT_EQUAL(pt_store_get(key, PT_STORE_KEY_MAX, big, &len), 0);
	CU_ASSERT_EQUAL(len, PT_STORE_VALUE_MAX);
	errno = 0;
	CU_ASSERT_EQUAL(pt_store_set(key, PT_STORE_KEY_MAX + 1, "v", 1, 0),
	    PT_ERROR);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(pt_store_set(KEY("big"), big, sizeof(big), 0),
	    PT_ERROR);
	CU_ASSERT_EQUAL(errno, EMSGSIZE);
	CU_ASSERT_EQUAL(pt_store_set("", 0, "v", 1, 0), PT_ERROR);
	CU_ASSERT_EQUAL(pt_store_set(KEY("n"), "v", 1, -1), PT_ERROR);
	CU_ASSERT_EQUAL(store_shm_check(ss), 0);
}

static void
test_cas(void)
{
	new_store(0);
	CU_ASSERT_EQUAL(pt_store_cas(KEY("c"), NULL, 0, "1", 1, 0), 0);
	CU_ASSERT_EQUAL(pt_store_cas(KEY("c"), NULL, 0, "2", 1, 0),
	    PT_DECLINED);
	CU_ASSERT_EQUAL(pt_store_cas(KEY("c"), "2", 1, "3", 1, 0),
	    PT_DECLINED);
	CU_ASSERT_EQUAL(pt_store_cas(KEY("c"), "11", 2, "3", 1, 0),
	    PT_DECLINED);
	CU_ASSERT_STRING_EQUAL(value_of("c"), "1");
	CU_ASSERT_EQUAL(pt_store_cas(KEY("c"), "1", 1, "three", 5, 0), 0);
	CU_ASSERT_STRING_EQUAL(value_of("c"), "three");
	CU_ASSERT_EQUAL(pt_store_cas(KEY("none"), "x", 1, "y", 1, 0),
	    PT_DECLINED);
	CU_ASSERT_STRING_EQUAL(value_of("none"), "");
	/* An empty value is a value, not absence. */
	CU_ASSERT_EQUAL(pt_store_set(KEY("e"), "", 0, 0), 0);
	CU_ASSERT_EQUAL(pt_store_cas(KEY("e"), NULL, 0, "x", 1, 0),
	    PT_DECLINED);
	CU_ASSERT_EQUAL(pt_store_cas(KEY("e"), "", 0, "x", 1, 0), 0);
	CU_ASSERT_STRING_EQUAL(value_of("e"), "x");
	CU_ASSERT_EQUAL(store_shm_check(ss), 0);
}

static void
test_ttl(void)
{
	new_store(0);
	CU_ASSERT_EQUAL(pt_store_set(KEY("t"), "v", 1, 150), 0);
	CU_ASSERT_EQUAL(pt_store_set(KEY("forever"), "v", 1, 0), 0);
	CU_ASSERT_EQUAL(pt_store_cas(KEY("tc"), NULL, 0, "v", 1, 150), 0);
	CU_ASSERT_EQUAL(pt_store_set(KEY("r"), "v", 1, 150), 0);
	CU_ASSERT_STRING_EQUAL(value_of("t"), "v");
	/* set renews the TTL. */
	CU_ASSERT_EQUAL(pt_store_set(KEY("r"), "v", 1, 10000), 0);
	sleep_ms(250);
	CU_ASSERT_STRING_EQUAL(value_of("t"), "");
	CU_ASSERT_STRING_EQUAL(value_of("forever"), "v");
	CU_ASSERT_STRING_EQUAL(value_of("r"), "v");
	CU_ASSERT_EQUAL(STAT(expired), 1);
	/* Expired counts as absent for cas and delete too. */
	CU_ASSERT_EQUAL(pt_store_delete(KEY("tc")), PT_DECLINED);
	CU_ASSERT_EQUAL(pt_store_cas(KEY("t"), NULL, 0, "w", 1, 0), 0);
	CU_ASSERT_STRING_EQUAL(value_of("t"), "w");
	CU_ASSERT_EQUAL(STAT(expired), 2);
	CU_ASSERT_EQUAL(STAT(entries), 3);	/* forever, t, r */
	CU_ASSERT_EQUAL(store_shm_check(ss), 0);
}

static void
test_take(void)
{
	long long	 retry = 0;
	int		 i, allowed = 0;
	size_t		 len = 8;
	char		 buf[8];

	new_store(0);
	/* 10/s with a burst of 5: five at once, then one every 100 ms. */
	for (i = 0; i < 8; i++)
		allowed += pt_store_take(KEY("tb"), 10, 5, 1, &retry) == 0;
	CU_ASSERT_EQUAL(allowed, 5);
	CU_ASSERT(retry > 0 && retry <= 100);
	sleep_ms(retry + 5);
	CU_ASSERT_EQUAL(pt_store_take(KEY("tb"), 10, 5, 1, &retry), 0);
	CU_ASSERT_EQUAL(pt_store_take(KEY("tb"), 10, 5, 1, &retry),
	    PT_DECLINED);
	/* Two tokens need about 200 ms; nothing is taken when refused. */
	CU_ASSERT_EQUAL(pt_store_take(KEY("tb"), 10, 5, 2, &retry),
	    PT_DECLINED);
	CU_ASSERT(retry > 100 && retry <= 200);
	/* More than the burst: never. A peek (n = 0) always passes. */
	CU_ASSERT_EQUAL(pt_store_take(KEY("tb"), 10, 5, 6, &retry),
	    PT_DECLINED);
	CU_ASSERT_EQUAL(retry, -1);
	CU_ASSERT_EQUAL(pt_store_take(KEY("tb"), 10, 5, 0, NULL), 0);
	/* Fractional costs. */
	CU_ASSERT_EQUAL(pt_store_take(KEY("frac"), 1, 1, 0.5, NULL), 0);
	CU_ASSERT_EQUAL(pt_store_take(KEY("frac"), 1, 1, 0.5, NULL), 0);
	CU_ASSERT_EQUAL(pt_store_take(KEY("frac"), 1, 1, 0.5, NULL),
	    PT_DECLINED);
	/* A bucket forgets itself once full again: 1000/s refills in ms. */
	CU_ASSERT_EQUAL(pt_store_take(KEY("fast"), 1000, 2, 2, NULL), 0);
	sleep_ms(20);
	CU_ASSERT_EQUAL(pt_store_delete(KEY("fast")), PT_DECLINED);
	/* Buckets and values do not mix. */
	pt_store_set(KEY("val"), "v", 1, 0);
	CU_ASSERT_EQUAL(pt_store_take(KEY("val"), 1, 1, 1, NULL), PT_ERROR);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(pt_store_get(KEY("tb"), buf, &len), PT_ERROR);
	CU_ASSERT_EQUAL(pt_store_take(KEY("x"), 0, 1, 1, NULL), PT_ERROR);
	CU_ASSERT_EQUAL(pt_store_take(KEY("x"), 1, 1, -1, NULL), PT_ERROR);
	CU_ASSERT_EQUAL(store_shm_check(ss), 0);
}

static void
test_eviction(void)
{
	char	 key[32], val[100];
	int	 i, present = 0;

	new_store(STORE_SHM_MIN);	/* one stripe of about 500 chunks */
	memset(val, 'v', sizeof(val));
	pt_store_set(KEY("hot"), "h", 1, 0);
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		CU_ASSERT_EQUAL(pt_store_set(KEY(key), val, sizeof(val), 0), 0);
		if (i % 50 == 0)	/* read often: stays recent */
			CU_ASSERT_STRING_EQUAL(value_of("hot"), "h");
	}
	CU_ASSERT(STAT(evictions) > 2000);
	CU_ASSERT_STRING_EQUAL(value_of("hot"), "h");
	/* The newest hundred are all there; the oldest are gone. */
	for (i = 2900; i < 3000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		present += value_of(key)[0] == 'v';
	}
	CU_ASSERT_EQUAL(present, 100);
	CU_ASSERT_STRING_EQUAL(value_of("key-0"), "");
	/* A value as large as allowed still finds room. */
	{
		static char	 big[PT_STORE_VALUE_MAX];

		CU_ASSERT_EQUAL(pt_store_set(KEY("big"), big, sizeof(big), 0),
		    0);
	}
	CU_ASSERT_EQUAL(store_shm_check(ss), 0);
}

/* Whether the page at p is mapped in this process. */
static bool
is_mapped(void *p)
{
	return (msync(p, 1, MS_ASYNC) == 0 || errno != ENOMEM);
}

static void
test_segments(void)
{
	unsigned char	*a, *b, *a2, *b2, *c;
	bool		 fresh = false;
	struct store_shm *h;

	new_store(0);
	CU_ASSERT_EQUAL(pt_store_set(KEY("kept"), "v", 1, 0), 0);
	h = ss;
	/* Outside a load, and bad arguments. */
	CU_ASSERT_PTR_NULL(pt_shm_segment("t", "a", 4096, &fresh));
	CU_ASSERT_EQUAL(errno, EPERM);
	shm_generation_begin();
	CU_ASSERT_PTR_NULL(pt_shm_segment("t", "", 4096, &fresh));
	CU_ASSERT_PTR_NULL(pt_shm_segment("t", "a", 0, &fresh));
	CU_ASSERT_EQUAL(store_shm_init(0), h);
	a = pt_shm_segment("t", "a", 4096, &fresh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT(fresh);
	b = pt_shm_segment("t", "b", 10000, &fresh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(fresh && b[9999] == 0);
	CU_ASSERT_EQUAL(pt_shm_segment("t", "a", 4096, &fresh), a);
	CU_ASSERT(!fresh);
	shm_generation_end(true);
	memset(a, 0xa5, 4096);
	memset(b, 0x5a, 10000);

	/* The next load: same key, same memory; new size, new memory. */
	shm_generation_begin();
	CU_ASSERT_EQUAL(store_shm_init(0), h);
	a2 = pt_shm_segment("t", "a", 4096, &fresh);
	CU_ASSERT(a2 == a && !fresh && a2[4095] == 0xa5);
	b2 = pt_shm_segment("t", "b", 20000, &fresh);
	CU_ASSERT(b2 != NULL && b2 != b && fresh && b2[0] == 0);
	CU_ASSERT(is_mapped(b));
	shm_generation_end(true);
	CU_ASSERT(!is_mapped(b));	/* released with the old config */
	CU_ASSERT(is_mapped(a) && is_mapped(b2));
	CU_ASSERT_EQUAL(shm_count(), 3);
	CU_ASSERT_STRING_EQUAL(value_of("kept"), "v");	/* store survived */

	/* A refused load: what it created goes, the rest stays whole. */
	shm_generation_begin();
	c = pt_shm_segment("t", "c", 4096, &fresh);
	CU_ASSERT(c != NULL && fresh);
	b = pt_shm_segment("t", "b", 30000, &fresh);
	shm_generation_end(false);
	CU_ASSERT(!is_mapped(c) && !is_mapped(b));
	CU_ASSERT(is_mapped(a) && is_mapped(b2) && a[0] == 0xa5);
	CU_ASSERT_EQUAL(shm_count(), 3);
	CU_ASSERT_STRING_EQUAL(value_of("kept"), "v");

	/* The store resized: a new, empty one. */
	shm_generation_begin();
	ss = store_shm_init(STORE_SHM_DEFAULT * 2);
	CU_ASSERT(ss != NULL && ss != h);
	store_use_provider(&store_shm_provider, ss);
	shm_generation_end(true);
	/* t/a, t/b and the old store went with the old configuration. */
	CU_ASSERT_EQUAL(shm_count(), 1);
	CU_ASSERT_STRING_EQUAL(value_of("kept"), "");
}

/* Shared with the children: what each of them counted. */
struct race_result {
	int	 allowed;
	int	 failures;
};

static int
cas_increment(const char *key)
{
	uint64_t	 old, new;
	size_t		 len;
	int		 rc;

	for (;;) {
		len = sizeof(old);
		rc = pt_store_get(KEY(key), &old, &len);
		if (rc == PT_DECLINED) {
			new = 1;
			rc = pt_store_cas(KEY(key), NULL, 0, &new, sizeof(new),
			    0);
		} else if (rc == 0 && len == sizeof(old)) {
			new = old + 1;
			rc = pt_store_cas(KEY(key), &old, sizeof(old), &new,
			    sizeof(new), 0);
		} else
			return (-1);
		if (rc == 0)
			return (0);
		if (rc != PT_DECLINED)
			return (-1);
	}
}

#define RACE_N		3000

static void
race_child(int id, struct race_result *res)
{
	char	 key[32];
	int	 i;

	for (i = 0; i < RACE_N; i++) {
		if (cas_increment("counter") == -1)
			res->failures++;
		snprintf(key, sizeof(key), "counter-%d", i % 8);
		if (cas_increment(key) == -1)
			res->failures++;
		if (pt_store_take(KEY("quota"), 1e-6, 2 * RACE_N, 1,
		    NULL) == 0)
			res->allowed++;
		snprintf(key, sizeof(key), "own-%d-%d", id, i % 100);
		if (pt_store_set(KEY(key), key, strlen(key), 0) != 0 ||
		    strcmp(value_of(key), key) != 0)
			res->failures++;
	}
}

static void
test_concurrent(void)
{
	struct race_result	*res;
	uint64_t		 v, sum = 0;
	size_t			 len;
	char			 key[32];
	pid_t			 pid[NPROC];
	int			 i, status, allowed = 0;

	new_store(STORE_SHM_DEFAULT);
	res = mmap(NULL, sizeof(*res) * NPROC, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(res != MAP_FAILED);
	memset(res, 0, sizeof(*res) * NPROC);
	for (i = 0; i < NPROC; i++) {
		if ((pid[i] = fork()) == 0) {
			race_child(i, &res[i]);
			_exit(0);
		}
		CU_ASSERT_FATAL(pid[i] > 0);
	}
	for (i = 0; i < NPROC; i++) {
		CU_ASSERT_EQUAL(waitpid(pid[i], &status, 0), pid[i]);
		CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		CU_ASSERT_EQUAL(res[i].failures, 0);
		allowed += res[i].allowed;
	}
	/* Exact totals: no lost update, no token taken twice. */
	len = sizeof(v);
	CU_ASSERT_EQUAL(pt_store_get(KEY("counter"), &v, &len), 0);
	CU_ASSERT_EQUAL(v, NPROC * RACE_N);
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "counter-%d", i);
		len = sizeof(v);
		if (pt_store_get(KEY(key), &v, &len) == 0)
			sum += v;
	}
	CU_ASSERT_EQUAL(sum, NPROC * RACE_N);
	CU_ASSERT_EQUAL(allowed, 2 * RACE_N);
	CU_ASSERT_EQUAL(STAT(repairs), 0);
	CU_ASSERT_EQUAL(store_shm_check(ss), 0);
	munmap(res, sizeof(*res) * NPROC);
}

/* Fills the store with keys that must survive any repair. */
static void
fill_bystanders(void)
{
	char	 key[32];
	int	 i;

	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "bystander-%d", i);
		CU_ASSERT_EQUAL(pt_store_set(KEY(key), KEY(key), 0), 0);
	}
}

static int
bystanders_intact(void)
{
	char	 key[32];
	int	 i, ok = 0;

	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "bystander-%d", i);
		ok += strcmp(value_of(key), key) == 0;
	}
	return (ok);
}

static void
test_holder_killed(void)
{
	pid_t	 holder, waiter;
	int	 fds[2], status;
	char	 c;

	new_store(STORE_SHM_DEFAULT);
	fill_bystanders();
	pt_store_set(KEY("victim"), "v1", 2, 0);
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	if ((holder = fork()) == 0) {
		if (store_shm_test_lock(ss, KEY("victim")) == 0)
			(void)!write(fds[1], "L", 1);
		pause();
		_exit(0);
	}
	CU_ASSERT_EQUAL_FATAL(read(fds[0], &c, 1), 1);
	/* A second process blocks on the lock (never spins, never fails). */
	if ((waiter = fork()) == 0)
		_exit(pt_store_set(KEY("victim"), "v2", 2, 0) == 0 ? 0 : 1);
	sleep_ms(150);
	CU_ASSERT_EQUAL(waitpid(waiter, &status, WNOHANG), 0);
	kill(holder, SIGKILL);
	CU_ASSERT_EQUAL(waitpid(holder, &status, 0), holder);
	CU_ASSERT_EQUAL(waitpid(waiter, &status, 0), waiter);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_EQUAL(STAT(repairs), 1);
	CU_ASSERT_STRING_EQUAL(value_of("victim"), "v2");
	CU_ASSERT_EQUAL(bystanders_intact(), 300);
	CU_ASSERT_EQUAL(store_shm_check(ss), 0);
	close(fds[0]);
	close(fds[1]);
}

/* Each step of the write protocol, and what the repair must leave. */
static const struct {
	int		 step;
	char		 op;		/* s set, d delete, t take */
	const char	*after;		/* value of "k" after the repair */
} crashes[] = {
	{ STORE_CRASH_BUILT,		's', "old" },
	{ STORE_CRASH_UNCOMMITTED,	's', "" },
	{ STORE_CRASH_COMMITTED,	's', "a new value, long enough to take "
	    "a body chunk or two: ......................................." },
	{ STORE_CRASH_UNLINKING,	'd', "" },
	{ STORE_CRASH_FREEING,		'd', "" },
	{ STORE_CRASH_IN_PLACE,		't', "old" },
};

static void
test_crash_points(void)
{
	long long	 retry;
	size_t		 i;
	pid_t		 pid;
	int		 status, rc;

	for (i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++) {
		new_store(STORE_SHM_DEFAULT);
		fill_bystanders();
		pt_store_set(KEY("k"), "old", 3, 0);
		pt_store_take(KEY("bucket"), 0.001, 3, 2, NULL);
		if ((pid = fork()) == 0) {
			store_shm_test_crash_at(crashes[i].step);
			if (crashes[i].op == 's')
				pt_store_set(KEY("k"), KEY(crashes[2].after),
				    0);
			else if (crashes[i].op == 'd')
				pt_store_delete(KEY("k"));
			else
				pt_store_take(KEY("bucket"), 0.001, 3, 1, NULL);
			_exit(0);	/* the step was never reached */
		}
		CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			fprintf(stderr, "case %zu: step not reached\n", i);
		CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		if (strcmp(value_of("k"), crashes[i].after) != 0)
			fprintf(stderr, "case %zu: k = \"%s\"\n", i,
			    value_of("k"));
		CU_ASSERT_STRING_EQUAL(value_of("k"), crashes[i].after);
		CU_ASSERT_EQUAL(STAT(repairs), 1);
		CU_ASSERT_EQUAL(bystanders_intact(), 300);
		/* A torn bucket was dropped: it starts full (3) again. */
		rc = pt_store_take(KEY("bucket"), 0.001, 3, 2, &retry);
		CU_ASSERT_EQUAL(rc, crashes[i].op == 't' ? 0 : PT_DECLINED);
		CU_ASSERT_EQUAL(store_shm_check(ss), 0);
	}
}

static const struct pt_unit_test tests[] = {
	{ "get, set, delete, limits", test_get_set_delete },
	{ "compare-and-set", test_cas },
	{ "TTL expiry in real time", test_ttl },
	{ "take: rate, burst, retry_after", test_take },
	{ "eviction when full, LRU", test_eviction },
	{ "segments across loads", test_segments },
	{ "concurrent processes, exact totals", test_concurrent },
	{ "holder killed while locked", test_holder_killed },
	{ "killed at each write step", test_crash_points },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("store", NULL, teardown, tests));
}
