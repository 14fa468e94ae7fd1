/*
 * The store's default provider: one shared memory segment on this host,
 * split into stripes, each a small heap of 128-byte chunks with its own
 * hash table, LRU list, free list and robust mutex. Entries are linked by
 * chunk index, never by pointer. The repair rule (rebuild a stripe from
 * its chunks' states) and the consistency check live in store_shm_repair.c.
 */
#include "config.h"

#include "store_shm.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define PT_LOG_TAG	"store"
#include <portier/log.h>
#include <portier/shm.h>

/* A rate-limit bucket, stored as the entry's value. */
struct take_state {
	double		 tokens;
	int64_t		 last_ms;	/* when tokens was computed */
};

int	store_crash_at;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	/* Monotonic: the same clock in every process on the host, and it
	 * never jumps, so TTLs and buckets survive wall-clock changes. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* SipHash-2-4 with the segment's random key: clients choose many keys
 * (addresses, session ids, header values) and must not pick collisions. */
#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

uint64_t
shm_hash(const uint64_t k[2], const void *src, size_t len)
{
	const unsigned char	*p = src;
	uint64_t		 v0 = 0x736f6d6570736575ULL ^ k[0];
	uint64_t		 v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t		 v2 = 0x6c7967656e657261ULL ^ k[0];
	uint64_t		 v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t		 m, b = (uint64_t)len << 56;
	size_t			 i, tail = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		/* Host byte order: the hash never leaves this host. */
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (m = 0; tail > 0; tail--)
		m |= (uint64_t)p[i + tail - 1] << (8 * (tail - 1));
	b |= m;
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return (v0 ^ v1 ^ v2 ^ v3);
}

/*
 * Reads (op 'r'), writes ('w') or compares ('c': 0 when equal) len bytes
 * at offset off of an entry's key-then-value bytes, across its chunks.
 */
int
ent_io(const struct sctx *sc, uint32_t head, size_t off, void *buf,
    size_t len, int op)
{
	struct chunk	*c = CH(sc, head);
	unsigned char	*p = (unsigned char *)c + HEAD_HDR, *b = buf;
	size_t		 avail = HEAD_PAY, n;

	for (;;) {
		if (off < avail) {
			n = len < avail - off ? len : avail - off;
			if (op == 'r')
				memcpy(b, p + off, n);
			else if (op == 'w')
				memcpy(p + off, b, n);
			else if (memcmp(p + off, b, n) != 0)
				return (1);
			b += n;
			len -= n;
			off = 0;
		} else
			off -= avail;
		if (len == 0)
			return (0);
		c = CH(sc, c->next);
		p = (unsigned char *)c + CH_HDR;
		avail = BODY_PAY;
	}
}

void
lru_unlink(const struct sctx *sc, uint32_t i)
{
	struct chunk *c = CH(sc, i);

	if (c->lprev != NIL)
		CH(sc, c->lprev)->lnext = c->lnext;
	else
		sc->st->lru_head = c->lnext;
	if (c->lnext != NIL)
		CH(sc, c->lnext)->lprev = c->lprev;
	else
		sc->st->lru_tail = c->lprev;
	c->lprev = c->lnext = NIL;
}

void
lru_push(const struct sctx *sc, uint32_t i)
{
	struct chunk *c = CH(sc, i);

	c->lprev = NIL;
	c->lnext = sc->st->lru_head;
	if (c->lnext != NIL)
		CH(sc, c->lnext)->lprev = i;
	else
		sc->st->lru_tail = i;
	sc->st->lru_head = i;
}

/* The live head holding key, or NIL. */
uint32_t
ent_find(const struct sctx *sc, uint64_t hv, const char *key, size_t klen)
{
	uint32_t	 i, h32 = (uint32_t)(hv >> 32);
	struct chunk	*c;

	for (i = sc->buckets[h32 & (sc->st->nbuckets - 1)]; i != NIL;
	    i = c->hnext) {
		c = CH(sc, i);
		if (c->hash == h32 && c->klen == klen &&
		    ent_io(sc, i, 0, (void *)(uintptr_t)key, klen, 'c') == 0)
			return (i);
	}
	return (NIL);
}

/*
 * Removal, in the order the repair rule needs: uncommit first, so a death
 * at any later step leaves a head the rebuild drops, whatever state the
 * links and the free list were left in.
 */
static void
ent_remove(const struct sctx *sc, uint32_t i)
{
	struct chunk	*c = CH(sc, i);
	uint32_t	*lp, n;

	chunk_state(c, CH_PENDING);
	for (lp = &sc->buckets[c->hash & (sc->st->nbuckets - 1)];
	    *lp != NIL && *lp != i; lp = &CH(sc, *lp)->hnext)
		continue;
	if (*lp == i)
		*lp = c->hnext;
	CRASH_POINT(STORE_CRASH_UNLINKING);
	lru_unlink(sc, i);
	sc->st->entries--;
	for (; i != NIL; i = n) {
		c = CH(sc, i);
		n = c->next;
		chunk_state(c, CH_FREE);
		c->next = sc->st->free_head;
		sc->st->free_head = i;
		sc->st->nfree++;
		CRASH_POINT(STORE_CRASH_FREEING);
	}
}

/* Pops need chunks, evicting least recently used entries for room. */
static uint32_t
ent_alloc(const struct sctx *sc, uint32_t need)
{
	uint32_t	 head = NIL, prev = NIL, i, k;
	struct chunk	*c;

	if (need > sc->st->nchunks) {
		errno = EMSGSIZE;
		return (NIL);
	}
	while (sc->st->nfree < need && sc->st->lru_tail != NIL) {
		ent_remove(sc, sc->st->lru_tail);
		sc->st->evictions++;
	}
	if (sc->st->nfree < need) {
		errno = ENOSPC;		/* free list lost: counts lie */
		return (NIL);
	}
	for (k = 0; k < need; k++) {
		i = sc->st->free_head;
		c = CH(sc, i);
		sc->st->free_head = c->next;
		sc->st->nfree--;
		chunk_state(c, k == 0 ? CH_PENDING : CH_BODY);
		c->next = NIL;
		if (k == 0)
			head = i;
		else
			CH(sc, prev)->next = i;
		prev = i;
	}
	return (head);
}

/*
 * Creates key with a new value, replacing any old one. Write protocol:
 * build the new entry uncommitted, uncommit the old one, commit the new
 * one, link it. A death before the commit loses at most this key.
 */
static int
ent_replace(const struct sctx *sc, uint64_t hv, const char *key, size_t klen,
    uint8_t type, const void *val, size_t vlen, int64_t expires)
{
	struct chunk	*c;
	uint32_t	 i, old;

	if ((i = ent_alloc(sc, ent_nchunks(klen + vlen))) == NIL)
		return (-1);
	c = CH(sc, i);
	c->type = type;
	c->klen = (uint16_t)klen;
	c->vlen = (uint32_t)vlen;
	c->hash = (uint32_t)(hv >> 32);
	c->expires = expires;
	c->hnext = c->lprev = c->lnext = NIL;
	ent_io(sc, i, 0, (void *)(uintptr_t)key, klen, 'w');
	if (vlen > 0)
		ent_io(sc, i, klen, (void *)(uintptr_t)val, vlen, 'w');
	CRASH_POINT(STORE_CRASH_BUILT);
	/* Looked up only now: making room may have evicted it. */
	if ((old = ent_find(sc, hv, key, klen)) != NIL) {
		chunk_state(CH(sc, old), CH_PENDING);
		CRASH_POINT(STORE_CRASH_UNCOMMITTED);
		ent_remove(sc, old);
	}
	chunk_state(c, CH_LIVE);
	CRASH_POINT(STORE_CRASH_COMMITTED);
	c->hnext = sc->buckets[c->hash & (sc->st->nbuckets - 1)];
	sc->buckets[c->hash & (sc->st->nbuckets - 1)] = i;
	lru_push(sc, i);
	sc->st->entries++;
	return (0);
}

static int
stripe_lock(struct store_shm *h, uint64_t hv, struct sctx *sc)
{
	return (stripe_lock_at(h, (unsigned int)(hv % h->nstripes), sc));
}

/* The live, unexpired entry for key, or NIL (an expired one is dropped). */
static uint32_t
ent_lookup(const struct sctx *sc, uint64_t hv, const char *key, size_t klen,
    int64_t now)
{
	uint32_t	 i;
	struct chunk	*c;

	if ((i = ent_find(sc, hv, key, klen)) == NIL)
		return (NIL);
	c = CH(sc, i);
	if (c->expires != 0 && c->expires <= now) {
		ent_remove(sc, i);
		sc->st->expired++;
		return (NIL);
	}
	return (i);
}

static int64_t
expiry(int64_t now, long long ttl_ms)
{
	/* Past a century nothing expires; this also keeps now + ttl finite. */
	if (ttl_ms <= 0 || ttl_ms > 3153600000000LL)
		return (0);
	return (now + ttl_ms);
}

static int
shm_get(void *ctx, const char *key, size_t klen, void *val, size_t *vlen)
{
	struct store_shm	*h = ctx;
	struct sctx		 sc;
	uint64_t		 hv = shm_hash(h->seed, key, klen);
	uint32_t		 i;
	struct chunk		*c;
	int			 rc = 0;

	if (stripe_lock(h, hv, &sc) == -1)
		return (PT_ERROR);
	if ((i = ent_lookup(&sc, hv, key, klen, mono_ms())) == NIL) {
		rc = PT_DECLINED;
		goto done;
	}
	c = CH(&sc, i);
	if (c->type != ENT_VALUE) {
		errno = EINVAL;
		rc = PT_ERROR;
	} else if (*vlen < c->vlen) {
		*vlen = c->vlen;
		errno = ENOBUFS;
		rc = PT_ERROR;
	} else {
		*vlen = c->vlen;
		if (c->vlen > 0)
			ent_io(&sc, i, klen, val, c->vlen, 'r');
		lru_unlink(&sc, i);
		lru_push(&sc, i);
	}
 done:
	pt_mutex_unlock(&sc.st->lock);
	return (rc);
}

static int
shm_set(void *ctx, const char *key, size_t klen, const void *val,
    size_t vlen, long long ttl_ms)
{
	struct store_shm	*h = ctx;
	struct sctx		 sc;
	uint64_t		 hv = shm_hash(h->seed, key, klen);
	int			 rc;

	if (stripe_lock(h, hv, &sc) == -1)
		return (PT_ERROR);
	rc = ent_replace(&sc, hv, key, klen, ENT_VALUE, val, vlen,
	    expiry(mono_ms(), ttl_ms));
	pt_mutex_unlock(&sc.st->lock);
	return (rc == 0 ? 0 : PT_ERROR);
}

static int
shm_del(void *ctx, const char *key, size_t klen)
{
	struct store_shm	*h = ctx;
	struct sctx		 sc;
	uint64_t		 hv = shm_hash(h->seed, key, klen);
	uint32_t		 i;

	if (stripe_lock(h, hv, &sc) == -1)
		return (PT_ERROR);
	if ((i = ent_lookup(&sc, hv, key, klen, mono_ms())) != NIL)
		ent_remove(&sc, i);
	pt_mutex_unlock(&sc.st->lock);
	return (i != NIL ? 0 : PT_DECLINED);
}

static int
shm_cas(void *ctx, const char *key, size_t klen, const void *expect,
    size_t elen, const void *val, size_t vlen, long long ttl_ms)
{
	struct store_shm	*h = ctx;
	struct sctx		 sc;
	uint64_t		 hv = shm_hash(h->seed, key, klen);
	int64_t			 now = mono_ms();
	uint32_t		 i;
	struct chunk		*c;
	int			 rc = PT_DECLINED;

	if (stripe_lock(h, hv, &sc) == -1)
		return (PT_ERROR);
	i = ent_lookup(&sc, hv, key, klen, now);
	if (expect == NULL && i != NIL)
		goto done;
	if (expect != NULL) {
		if (i == NIL)
			goto done;
		c = CH(&sc, i);
		if (c->type != ENT_VALUE) {
			errno = EINVAL;
			rc = PT_ERROR;
			goto done;
		}
		if (c->vlen != elen || (elen > 0 && ent_io(&sc, i, klen,
		    (void *)(uintptr_t)expect, elen, 'c') != 0))
			goto done;
	}
	rc = ent_replace(&sc, hv, key, klen, ENT_VALUE, val, vlen,
	    expiry(now, ttl_ms)) == 0 ? 0 : PT_ERROR;
 done:
	pt_mutex_unlock(&sc.st->lock);
	return (rc);
}

/* Smallest whole number of milliseconds not below x (x >= 0, bounded). */
static long long
ms_ceil(double x)
{
	long long v;

	if (x > 1e15)
		return (1000000000000000LL);
	v = (long long)x;
	return ((double)v < x ? v + 1 : v);
}

/*
 * The refill and the decision, on a state read under the lock. Returns
 * whether n tokens were taken.
 */
static bool
take_decide(struct take_state *ts, int64_t now, double rate, double burst,
    double n, long long *retry)
{
	if (now > ts->last_ms)
		ts->tokens += (double)(now - ts->last_ms) * rate / 1000.0;
	if (ts->tokens > burst)
		ts->tokens = burst;
	ts->last_ms = now;
	if (n > burst) {
		*retry = -1;
		return (false);
	}
	if (ts->tokens >= n) {
		ts->tokens -= n;
		return (true);
	}
	*retry = ms_ceil((n - ts->tokens) * 1000.0 / rate);
	if (*retry < 1)
		*retry = 1;
	return (false);
}

/*
 * The bucket stays until it is full again; then it is forgotten, which is
 * the same as keeping it since a new bucket starts full.
 */
static int64_t
take_expiry(const struct take_state *ts, int64_t now, double rate,
    double burst)
{
	return (now + ms_ceil((burst - ts->tokens) * 1000.0 / rate) + 1);
}

static int
shm_take(void *ctx, const char *key, size_t klen, double rate, double burst,
    double n, long long *retry)
{
	struct store_shm	*h = ctx;
	struct sctx		 sc;
	struct take_state	 ts = { burst, 0 };
	uint64_t		 hv = shm_hash(h->seed, key, klen);
	int64_t			 now = mono_ms();
	uint32_t		 i;
	struct chunk		*c = NULL;
	bool			 ok;
	int			 rc;

	if (stripe_lock(h, hv, &sc) == -1)
		return (PT_ERROR);
	ts.last_ms = now;
	if ((i = ent_lookup(&sc, hv, key, klen, now)) != NIL) {
		c = CH(&sc, i);
		if (c->type != ENT_BUCKET || c->vlen != sizeof(ts)) {
			errno = EINVAL;
			rc = PT_ERROR;
			goto done;
		}
		ent_io(&sc, i, klen, &ts, sizeof(ts), 'r');
	}
	ok = take_decide(&ts, now, rate, burst, n, retry);
	rc = ok ? 0 : PT_DECLINED;
	if (i == NIL) {
		/* A full bucket need not be kept; refusals never make one. */
		if (ok && ts.tokens < burst && ent_replace(&sc, hv, key, klen,
		    ENT_BUCKET, &ts, sizeof(ts),
		    take_expiry(&ts, now, rate, burst)) == -1)
			rc = PT_ERROR;
		goto done;
	}
	/* In place, uncommitted while written: a torn bucket is dropped. */
	chunk_state(c, CH_PENDING);
	ent_io(&sc, i, klen, &ts, sizeof(ts) / 2, 'w');
	CRASH_POINT(STORE_CRASH_IN_PLACE);
	ent_io(&sc, i, klen + sizeof(ts) / 2, (char *)&ts + sizeof(ts) / 2,
	    sizeof(ts) / 2, 'w');
	c->expires = take_expiry(&ts, now, rate, burst);
	chunk_state(c, CH_LIVE);
	lru_unlink(&sc, i);
	lru_push(&sc, i);
 done:
	pt_mutex_unlock(&sc.st->lock);
	return (rc);
}

const struct pt_store_provider store_shm_provider = {
	.name = "shm",
	.get = shm_get,
	.set = shm_set,
	.del = shm_del,
	.cas = shm_cas,
	.take = shm_take,
};

int
store_shm_test_lock(struct store_shm *h, const char *key, size_t klen)
{
	struct sctx sc;

	return (stripe_lock(h, shm_hash(h->seed, key, klen), &sc));
}

void
store_shm_test_crash_at(int step)
{
	store_crash_at = step;
}
