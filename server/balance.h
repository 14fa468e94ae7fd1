/*
 * Balancing, pure: which server of a pool takes the next request, given
 * each server's weight, connection count and availability. No I/O, no
 * clock, no shared memory: upstream.c fills the array from the shared
 * state and keeps it per worker; t/unit/test_balance.c drives it alone.
 */
#ifndef PT_BALANCE_H
#define PT_BALANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "upstream.h"

/*
 * Effective weights are in 1/BAL_SCALE units of a configured weight, so
 * slow start can give a weight-1 server a tenth of its share. Scaling
 * every weight alike changes no sequence.
 */
#define BAL_SCALE	100

struct bal_server {
	int		 weight;	/* configured, 1..1000 (hashing) */
	int		 eff;		/* now, >= 1: weight * BAL_SCALE, less
					   during slow start (see below) */
	long long	 current;	/* smooth WRR state: the caller keeps it
					   from one pick to the next */
	int		 conns;		/* active connections, all workers */
	uint64_t	 id;		/* stable per server: hash of address */
	bool		 backup;
	bool		 avail;		/* may take this request */
};

/*
 * The index of the server for the next request, or -1 when none is
 * available. Primaries only while any primary is available, else the
 * backups. key: for BAL_HASH and BAL_IP_HASH (see bal_hash); rng: the
 * caller's random state for BAL_RANDOM (see bal_rand).
 */
int		 bal_pick(enum upstream_balance, struct bal_server *, size_t n,
		    uint64_t key, uint64_t *rng);

/* The methods; each considers only servers with avail && backup == tier. */
/* nginx's smooth weighted round robin on eff: "a a b a c a a" for 5,1,1. */
int		 bal_wrr(struct bal_server *, size_t n, bool tier);
/* Fewest conns / eff; ties go round robin (bal_wrr among the tied). */
int		 bal_least_conn(struct bal_server *, size_t n, bool tier);
/*
 * Weighted rendezvous (highest random weight) hashing on key, with the
 * configured weights: a server that leaves moves only its own keys, each
 * to the next in its order; nothing else moves.
 */
int		 bal_hrw(const struct bal_server *, size_t n, bool tier,
		    uint64_t key);
/* Two servers drawn at random by eff; the one with fewer conns / eff. */
int		 bal_random2(const struct bal_server *, size_t n, bool tier,
		    uint64_t *rng);

/*
 * Slow start: weight * BAL_SCALE scaled by (now - since) / window while
 * now is within window of since, at least 1; the full weight when window
 * or since is 0 or the window has passed. Times in ms, one clock.
 */
int		 bal_slow_start(int weight, long long now, long long since,
		    long long window);

/* 64-bit hash of bytes (FNV-1a with a final mix), seeded. */
uint64_t	 bal_hash(const void *, size_t, uint64_t seed);
/* The next value of a splitmix64 sequence; any state, 0 included. */
uint64_t	 bal_rand(uint64_t *state);

/*
 * Whether s may take a request now: not down by configuration, active
 * health, passive failures or admin, under max_conns, and with an address
 * (a host name that has not resolved has none). Reads st atomically.
 */
bool		 upstream_is_available(const struct upstream_server *,
		    const struct upstream_state *, long long now_ms);
/*
 * The same for a request whose sticky cookie names s: a drained server
 * (admin 1) still takes it, so the sessions it has finish there; a
 * disabled one (admin 2) does not (HAProxy's drain and maint).
 */
bool		 upstream_is_available_sticky(const struct upstream_server *,
		    const struct upstream_state *, long long now_ms);

#endif /* PT_BALANCE_H */
