/*
 * The store, for the core only: choosing the provider behind the public
 * pt_store_* functions, and the shared-memory provider's set-up, counters
 * and test hooks.
 */
#ifndef PT_STORE_PRIV_H
#define PT_STORE_PRIV_H

#include <stdint.h>
#include <portier/store.h>

/* store.c */

/*
 * Makes p (with its state ctx) the provider every pt_store_* call goes to;
 * NULL leaves no store (calls fail with ENXIO). Master only, after the new
 * configuration was accepted and before workers are forked on it: workers
 * inherit the choice, and old workers keep the one they were forked with.
 */
void		 store_use_provider(const struct pt_store_provider *p,
		    void *ctx);
/* The active provider, NULL when none. */
const struct pt_store_provider *store_provider(void);

/* store_shm.c */

#define STORE_SHM_DEFAULT	((size_t)4 << 20)
#define STORE_SHM_MIN		((size_t)64 << 10)
#define STORE_SHM_MAX		((size_t)16 << 30)

struct store_shm;
extern const struct pt_store_provider	store_shm_provider;

/*
 * Maps (or, across a restart with the same size, re-uses with its entries)
 * the store segment of bytes bytes (0: STORE_SHM_DEFAULT; STORE_SHM_MIN to
 * STORE_SHM_MAX) and returns the context to hand to store_use_provider();
 * NULL with errno set on failure. Master only, inside shm_generation_begin
 * and shm_generation_end, like any pt_shm_segment() caller. It does not
 * activate anything: a refused configuration must not leave the store
 * pointing into a segment about to be unmapped.
 */
struct store_shm *store_shm_init(size_t bytes);

struct store_shm_stats {
	unsigned int	 stripes;
	uint64_t	 entries;	/* expired ones not yet dropped too */
	uint64_t	 chunks;	/* 128-byte chunks in all */
	uint64_t	 chunks_free;
	uint64_t	 evictions;	/* dropped for room, oldest use first */
	uint64_t	 expired;	/* dropped when found past their TTL */
	uint64_t	 repairs;	/* rebuilds after a holder died */
};
/* Sums every stripe's counters (takes each stripe's lock in turn). */
int		 store_shm_stats(struct store_shm *, struct store_shm_stats *);

/*
 * Walks every stripe and checks each invariant the repair rule relies on
 * (chains, LRU list, free list, counts). 0 consistent; -1 with the first
 * problem logged. For tests and debug builds: it holds each lock for a
 * full scan.
 */
int		 store_shm_check(struct store_shm *);

/*
 * Test hooks: fault injection for the repair rule. store_shm_test_lock
 * takes the lock of the stripe key hashes to and returns holding it (the
 * test then kills the process). store_shm_test_crash_at makes this process
 * SIGKILL itself when an operation reaches the numbered step of the write
 * protocol (STORE_CRASH_*; 0 turns it off).
 */
enum {
	STORE_CRASH_NONE = 0,
	STORE_CRASH_BUILT,	/* new entry written, not committed */
	STORE_CRASH_UNCOMMITTED,	/* old entry uncommitted, new not yet */
	STORE_CRASH_COMMITTED,	/* new entry committed, not yet linked */
	STORE_CRASH_UNLINKING,	/* removal: out of its bucket, still in LRU */
	STORE_CRASH_FREEING,	/* removal: chunks half back on the free list */
	STORE_CRASH_IN_PLACE	/* take(): bucket uncommitted, half written */
};
int		 store_shm_test_lock(struct store_shm *, const char *key,
		    size_t klen);
void		 store_shm_test_crash_at(int step);

#endif /* PT_STORE_PRIV_H */
