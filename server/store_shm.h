/*
 * The shared-memory store's layout, private to store_shm.c (operations)
 * and store_shm_repair.c (set-up, repair rule, checks). Everything inside
 * the segment refers to everything else by chunk index or by offset from
 * the segment's start, never by pointer.
 *
 *   segment:  store_shm header | stripe[nstripes] | per stripe:
 *             buckets (uint32_t[nbuckets]) | chunks (128 bytes each)
 *
 * An entry is a chain of chunks: the head chunk carries the entry header
 * and the first bytes of key-then-value, body chunks carry the rest.
 */
#ifndef PT_STORE_SHM_H
#define PT_STORE_SHM_H

#include <signal.h>
#include <stdint.h>

#include <portier/shm.h>
#include "store_priv.h"

#define STORE_MAGIC	0x31524f5453545050ULL	/* "PPTSTOR1" */
#define STORE_VERSION	1
#define STORE_STRIPES	16		/* at most; fewer in small segments */
#define STRIPE_BYTES	((size_t)256 << 10)	/* a stripe per 256 KiB */

#define CHUNK		128
#define CH_HDR		8		/* next, state, mark, type */
#define HEAD_HDR	40		/* the whole struct chunk */
#define HEAD_PAY	(CHUNK - HEAD_HDR)
#define BODY_PAY	(CHUNK - CH_HDR)
#define NIL		0		/* chunk indices start at 1 */

/*
 * Chunk states. Only a CH_LIVE head is an entry: it is set last when an
 * entry is written and cleared first when one is changed in place or
 * removed, so the repair rule can trust exactly the CH_LIVE heads.
 */
enum { CH_UNUSED = 0, CH_FREE, CH_BODY, CH_PENDING, CH_LIVE };
enum { ENT_VALUE = 1, ENT_BUCKET };

struct chunk {
	uint32_t	 next;		/* next chunk: entry or free list */
	uint8_t		 state;		/* CH_*, set by chunk_state() */
	uint8_t		 mark;		/* scratch for repair and check */
	uint8_t		 type;		/* head: ENT_* */
	uint8_t		 pad;
	/* Head chunks only. */
	uint32_t	 hnext;		/* next entry in the hash bucket */
	uint32_t	 lprev, lnext;	/* LRU list, most recent at the head */
	uint32_t	 hash;		/* top 32 bits of the key's hash */
	uint32_t	 vlen;
	uint16_t	 klen;
	uint16_t	 pad2;
	int64_t		 expires;	/* monotonic ms; 0 never */
};

struct stripe {
	struct pt_mutex	 lock;		/* guards everything below and the
					   stripe's buckets and chunks */
	uint64_t	 buckets_off;	/* from the segment's start */
	uint64_t	 chunks_off;
	uint32_t	 nbuckets;	/* a power of two */
	uint32_t	 nchunks;
	uint32_t	 free_head;
	uint32_t	 nfree;
	uint32_t	 lru_head, lru_tail;
	uint32_t	 entries;
	uint32_t	 pad;
	uint64_t	 evictions, expired, repairs;
} __attribute__((__aligned__(64)));

struct store_shm {
	uint64_t	 magic;		/* written last at set-up */
	uint32_t	 version;
	uint32_t	 nstripes;
	uint64_t	 size;
	uint64_t	 seed[2];	/* SipHash key, random per segment */
	struct stripe	 stripes[];
};

/* One locked stripe, resolved to addresses in this process. */
struct sctx {
	struct store_shm *h;
	struct stripe	*st;
	uint32_t	*buckets;
	unsigned char	*chunks;
	unsigned int	 idx;
};

static inline struct chunk *
CH(const struct sctx *sc, uint32_t i)
{
	return ((struct chunk *)(void *)(sc->chunks + (size_t)(i - 1) * CHUNK));
}

static inline void
sctx_init(struct store_shm *h, unsigned int idx, struct sctx *sc)
{
	sc->h = h;
	sc->idx = idx;
	sc->st = &h->stripes[idx];
	sc->buckets = (uint32_t *)(void *)((char *)h + sc->st->buckets_off);
	sc->chunks = (unsigned char *)h + sc->st->chunks_off;
}

/*
 * A state change is the commit point of the write protocol. The process
 * may die at any instruction, so the compiler must not move other stores
 * across it: the fences pin program order (all that a dead process's
 * memory shows; the next holder reads it after taking the mutex).
 */
static inline void
chunk_state(struct chunk *c, uint8_t state)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&c->state, state, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline uint32_t
ent_nchunks(size_t total)
{
	if (total <= HEAD_PAY)
		return (1);
	return ((uint32_t)(1 + (total - HEAD_PAY + BODY_PAY - 1) / BODY_PAY));
}

/* Fault injection for the tests of the repair rule (store_priv.h). */
extern int	store_crash_at;
#define CRASH_POINT(n) do {						\
	if (__builtin_expect(store_crash_at == (n), 0))			\
		raise(SIGKILL);						\
} while (0)

/* store_shm.c */
uint64_t	 shm_hash(const uint64_t k[2], const void *, size_t);
int		 ent_io(const struct sctx *, uint32_t head, size_t off,
		    void *buf, size_t len, int op);
uint32_t	 ent_find(const struct sctx *, uint64_t hv, const char *key,
		    size_t klen);
void		 lru_unlink(const struct sctx *, uint32_t);
void		 lru_push(const struct sctx *, uint32_t);

/* store_shm_repair.c */
/* Locks stripe idx, applying the repair rule if its holder died. */
int		 stripe_lock_at(struct store_shm *, unsigned int idx,
		    struct sctx *);
void		 stripe_repair(struct sctx *);

#endif /* PT_STORE_SHM_H */
