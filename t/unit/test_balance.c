/*
 * t/unit/test_balance.c: the balancing methods alone (balance.c): nginx's
 * smooth WRR sequence, shares by weight, least connections, ip hash and
 * consistent hash stability with minimal remapping, random with two
 * choices, unavailable servers skipped, backups, slow start, and the
 * availability rule over the shared state.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "balance.h"

#define NMAX	8

/* n servers with the given weights, all available, no connections. */
static void
pool(struct bal_server *v, size_t n, const int *weights)
{
	size_t i;

	memset(v, 0, n * sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i].weight = weights[i];
		v[i].eff = weights[i] * BAL_SCALE;
		v[i].id = bal_hash(&i, sizeof(i), 42);
		v[i].avail = true;
	}
}

/* The sequence nginx documents for weights 5, 1, 1: a a b a c a a. */
static void
test_wrr_sequence(void)
{
	static const int	 w[] = { 5, 1, 1 };
	static const char	 want[] = "aabacaa" "aabacaa";
	struct bal_server	 v[3];
	char			 got[sizeof(want)];
	size_t			 i;
	int			 k;

	pool(v, 3, w);
	for (i = 0; i < sizeof(want) - 1; i++) {
		k = bal_pick(BAL_ROUND_ROBIN, v, 3, 0, NULL);
		got[i] = k >= 0 ? (char)('a' + k) : '-';
	}
	got[i] = '\0';
	CU_ASSERT_STRING_EQUAL(got, want);
}

/* Over many picks each server's share is its weight's, for every method. */
static void
test_shares(void)
{
	static const int		 w[] = { 3, 1, 2, 4 };
	static const enum upstream_balance m[] = {
		BAL_ROUND_ROBIN, BAL_LEAST_CONN, BAL_RANDOM, BAL_HASH
	};
	struct bal_server		 v[4];
	unsigned int			 count[4];
	uint64_t			 rng = 7;
	size_t				 i, j, k;
	int				 s;
	const unsigned int		 N = 100000;

	for (j = 0; j < sizeof(m) / sizeof(m[0]); j++) {
		pool(v, 4, w);
		memset(count, 0, sizeof(count));
		for (i = 0; i < N; i++) {
			s = bal_pick(m[j], v, 4, bal_hash(&i, sizeof(i), 1),
			    &rng);
			CU_ASSERT_FATAL(s >= 0 && s < 4);
			count[s]++;
		}
		for (k = 0; k < 4; k++) {
			double want = N * w[k] / 10.0, got = count[k];

			/* Exact for round robin, within 3% for the rest. */
			if (got < want * 0.97 || got > want * 1.03)
				fprintf(stderr, "method %zu server %zu: %u of "
				    "%u, want %.0f\n", j, k, count[k], N, want);
			CU_ASSERT(got >= want * 0.97 && got <= want * 1.03);
			if (m[j] == BAL_ROUND_ROBIN)
				CU_ASSERT_EQUAL(count[k], N / 10 * w[k]);
		}
	}
}

static void
test_least_conn(void)
{
	static const int	 w[] = { 1, 1, 1 }, w2[] = { 1, 3 };
	struct bal_server	 v[3];
	unsigned int		 count[3] = { 0, 0, 0 };
	int			 i;

	pool(v, 3, w);
	v[0].conns = 3;
	v[1].conns = 1;
	v[2].conns = 2;
	CU_ASSERT_EQUAL(bal_pick(BAL_LEAST_CONN, v, 3, 0, NULL), 1);
	/* Per weight: 2 conns on weight 1 is busier than 3 on weight 3. */
	pool(v, 2, w2);
	v[0].conns = 2;
	v[1].conns = 3;
	CU_ASSERT_EQUAL(bal_pick(BAL_LEAST_CONN, v, 2, 0, NULL), 1);
	v[1].conns = 9;
	CU_ASSERT_EQUAL(bal_pick(BAL_LEAST_CONN, v, 2, 0, NULL), 0);
	/* Ties go round robin, not always to the first. */
	pool(v, 3, w);
	v[0].conns = v[1].conns = 1;
	v[2].conns = 5;
	for (i = 0; i < 100; i++)
		count[bal_pick(BAL_LEAST_CONN, v, 3, 0, NULL)]++;
	CU_ASSERT_EQUAL(count[0], 50);
	CU_ASSERT_EQUAL(count[1], 50);
	CU_ASSERT_EQUAL(count[2], 0);
}

/* The same client address goes to the same server, pick after pick. */
static void
test_ip_hash(void)
{
	static const int	 w[] = { 1, 1, 1, 1, 1 };
	static const unsigned char a1[4] = { 10, 0, 0, 7 }, a2[4] = {
		192, 168, 1, 20 };
	struct bal_server	 v[5];
	uint64_t		 k1 = bal_hash(a1, 4, 0), k2 = bal_hash(a2, 4, 0);
	int			 s1, s2, i;

	pool(v, 5, w);
	s1 = bal_pick(BAL_IP_HASH, v, 5, k1, NULL);
	s2 = bal_pick(BAL_IP_HASH, v, 5, k2, NULL);
	CU_ASSERT(s1 >= 0 && s2 >= 0);
	for (i = 0; i < 50; i++) {
		v[i % 5].conns = i;	/* load does not move a hashed key */
		CU_ASSERT_EQUAL(bal_pick(BAL_IP_HASH, v, 5, k1, NULL), s1);
		CU_ASSERT_EQUAL(bal_pick(BAL_IP_HASH, v, 5, k2, NULL), s2);
	}
	/* Its server down: another one; back up: the same one again. */
	v[s1].avail = false;
	CU_ASSERT_NOT_EQUAL(bal_pick(BAL_IP_HASH, v, 5, k1, NULL), s1);
	v[s1].avail = true;
	CU_ASSERT_EQUAL(bal_pick(BAL_IP_HASH, v, 5, k1, NULL), s1);
}

/* One of five servers leaves: only its keys move, and they spread out. */
static void
test_hash_remap(void)
{
	static const int	 w[] = { 1, 2, 1, 1, 3 };
	struct bal_server	 v[5], fewer[4];
	int			 before[5000], moved_to[5] = { 0 }, s;
	size_t			 i, j, gone = 2, moved = 0;

	pool(v, 5, w);
	for (i = 0; i < 5000; i++)
		before[i] = bal_pick(BAL_HASH, v, 5, bal_hash(&i, sizeof(i),
		    9), NULL);
	/* Taken out of the configuration (ids follow addresses, not order). */
	for (i = 0, j = 0; i < 5; i++)
		if (i != gone)
			fewer[j++] = v[i];
	for (i = 0; i < 5000; i++) {
		s = bal_pick(BAL_HASH, fewer, 4, bal_hash(&i, sizeof(i), 9),
		    NULL);
		s = s >= (int)gone ? s + 1 : s;		/* index in v */
		if (before[i] != (int)gone) {
			if (s != before[i])
				fprintf(stderr, "key %zu moved %d -> %d\n", i,
				    before[i], s);
			CU_ASSERT_EQUAL(s, before[i]);
		} else {
			moved++;
			moved_to[s]++;
		}
	}
	/* Its share was 1/8 of the keys; they went to everyone else. */
	CU_ASSERT(moved > 5000 / 8 * 8 / 10 && moved < 5000 / 8 * 12 / 10);
	for (i = 0; i < 5; i++)
		if (i != gone)
			CU_ASSERT(moved_to[i] > 0);
	/* Marked down rather than removed: the very same result. */
	v[gone].avail = false;
	for (i = 0; i < 5000; i++)
		if (before[i] != (int)gone)
			CU_ASSERT_EQUAL(bal_pick(BAL_HASH, v, 5,
			    bal_hash(&i, sizeof(i), 9), NULL), before[i]);
}

/* Of any two drawn, the one with fewer connections serves. */
static void
test_random2(void)
{
	static const int	 w[] = { 1, 1, 1, 1 };
	struct bal_server	 v[4];
	unsigned int		 count[4] = { 0, 0, 0, 0 };
	uint64_t		 rng = 0;
	int			 i;

	pool(v, 4, w);
	v[0].conns = 100;
	v[1].conns = 5;
	v[2].conns = 5;
	v[3].conns = 0;
	for (i = 0; i < 10000; i++)
		count[bal_pick(BAL_RANDOM, v, 4, 0, &rng)]++;
	/* The busiest never wins a pair; the idlest wins every pair it is in. */
	CU_ASSERT_EQUAL(count[0], 0);
	CU_ASSERT(count[3] > 4500 && count[3] < 5500);
	CU_ASSERT(count[1] > 2000 && count[2] > 2000);
	/* Alone, it serves even when busy. */
	v[1].avail = v[2].avail = v[3].avail = false;
	CU_ASSERT_EQUAL(bal_pick(BAL_RANDOM, v, 4, 0, &rng), 0);
}

/* Unavailable servers are never chosen; none available gives -1. */
static void
test_skip_unavailable(void)
{
	static const enum upstream_balance m[] = {
		BAL_ROUND_ROBIN, BAL_LEAST_CONN, BAL_IP_HASH, BAL_HASH,
		BAL_RANDOM
	};
	static const int	 w[] = { 5, 1, 1, 1 };
	struct bal_server	 v[4];
	uint64_t		 rng = 3;
	size_t			 j, i;
	int			 s;

	for (j = 0; j < sizeof(m) / sizeof(m[0]); j++) {
		pool(v, 4, w);
		v[0].avail = v[2].avail = false;
		for (i = 0; i < 200; i++) {
			s = bal_pick(m[j], v, 4, bal_hash(&i, sizeof(i), 0),
			    &rng);
			CU_ASSERT(s == 1 || s == 3);
		}
		for (i = 0; i < 4; i++)
			v[i].avail = false;
		CU_ASSERT_EQUAL(bal_pick(m[j], v, 4, 5, &rng), -1);
	}
}

/* Backups serve only while no primary can. */
static void
test_backups(void)
{
	static const enum upstream_balance m[] = {
		BAL_ROUND_ROBIN, BAL_LEAST_CONN, BAL_IP_HASH, BAL_HASH,
		BAL_RANDOM
	};
	static const int	 w[] = { 1, 1, 10, 10 };
	struct bal_server	 v[4];
	uint64_t		 rng = 11;
	size_t			 j, i;
	int			 s;

	for (j = 0; j < sizeof(m) / sizeof(m[0]); j++) {
		pool(v, 4, w);
		v[2].backup = v[3].backup = true;
		v[2].conns = v[3].conns = 0;
		v[0].conns = v[1].conns = 50;
		for (i = 0; i < 100; i++) {
			s = bal_pick(m[j], v, 4, bal_hash(&i, sizeof(i), 0),
			    &rng);
			CU_ASSERT(s == 0 || s == 1);
		}
		v[0].avail = false;
		for (i = 0; i < 100; i++)
			CU_ASSERT_EQUAL(bal_pick(m[j], v, 4,
			    bal_hash(&i, sizeof(i), 0), &rng), 1);
		v[1].avail = false;
		for (i = 0; i < 100; i++) {
			s = bal_pick(m[j], v, 4, bal_hash(&i, sizeof(i), 0),
			    &rng);
			CU_ASSERT(s == 2 || s == 3);
		}
	}
}

static void
test_slow_start(void)
{
	static const int	 w[] = { 1, 1 };
	struct bal_server	 v[2];
	unsigned int		 count[2] = { 0, 0 };
	int			 i;

	/* Off, not started, or over: the full weight. */
	CU_ASSERT_EQUAL(bal_slow_start(2, 5000, 1000, 0), 2 * BAL_SCALE);
	CU_ASSERT_EQUAL(bal_slow_start(2, 5000, 0, 10000), 2 * BAL_SCALE);
	CU_ASSERT_EQUAL(bal_slow_start(2, 11000, 1000, 10000), 2 * BAL_SCALE);
	/* Linear in between, never 0. */
	CU_ASSERT_EQUAL(bal_slow_start(2, 1000, 1000, 10000), 1);
	CU_ASSERT_EQUAL(bal_slow_start(2, 3500, 1000, 10000),
	    2 * BAL_SCALE / 4);
	CU_ASSERT_EQUAL(bal_slow_start(1, 1001, 1000, 1000000), 1);
	CU_ASSERT_EQUAL(bal_slow_start(1, 500, 1000, 10000), 1);
	/* A server a tenth into its slow start gets about a tenth's share. */
	pool(v, 2, w);
	v[1].eff = bal_slow_start(1, 2000, 1000, 10000);
	CU_ASSERT_EQUAL(v[1].eff, BAL_SCALE / 10);
	for (i = 0; i < 1100; i++)
		count[bal_pick(BAL_ROUND_ROBIN, v, 2, 0, NULL)]++;
	CU_ASSERT_EQUAL(count[1], 100);
}

static void
test_available(void)
{
	struct conf_upstream	 up;
	struct upstream_server	 s;
	struct upstream_state	 st;

	memset(&up, 0, sizeof(up));
	memset(&s, 0, sizeof(s));
	memset(&st, 0, sizeof(st));
	s.pool = &up;
	st.naddrs = 1;
	CU_ASSERT_TRUE(upstream_is_available(&s, &st, 1000));
	s.down = true;
	CU_ASSERT_FALSE(upstream_is_available(&s, &st, 1000));
	s.down = false;
	st.health_down = 1;
	CU_ASSERT_FALSE(upstream_is_available(&s, &st, 1000));
	st.health_down = 0;
	st.down_until_ms = 2000;
	CU_ASSERT_FALSE(upstream_is_available(&s, &st, 1999));
	CU_ASSERT_TRUE(upstream_is_available(&s, &st, 2000));
	st.admin = 1;
	CU_ASSERT_FALSE(upstream_is_available(&s, &st, 3000));
	st.admin = 0;
	s.max_conns = 2;
	st.conns = 1;
	CU_ASSERT_TRUE(upstream_is_available(&s, &st, 3000));
	st.conns = 2;
	CU_ASSERT_FALSE(upstream_is_available(&s, &st, 3000));
	s.max_conns = 0;
	CU_ASSERT_TRUE(upstream_is_available(&s, &st, 3000));
	st.naddrs = 0;		/* a host name not resolved yet */
	CU_ASSERT_FALSE(upstream_is_available(&s, &st, 3000));
}

static const struct pt_unit_test tests[] = {
	{ "smooth WRR: nginx's sequence for 5,1,1", test_wrr_sequence },
	{ "shares follow weights (rr, least_conn, random, hash)", test_shares },
	{ "least connections, per weight, ties round robin", test_least_conn },
	{ "ip hash is stable", test_ip_hash },
	{ "consistent hash: a server leaves, only its keys move",
	  test_hash_remap },
	{ "random with two choices prefers fewer connections", test_random2 },
	{ "unavailable servers are skipped", test_skip_unavailable },
	{ "backups only when no primary is available", test_backups },
	{ "slow start scales the weight", test_slow_start },
	{ "availability rule", test_available },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("balance", NULL, NULL, tests));
}
