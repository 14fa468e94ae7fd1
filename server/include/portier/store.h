/*
 * The store: small shared state that may have to follow a fleet (TLS
 * sessions and ticket keys, rate-limit buckets, cache purges). Callers see
 * only these functions; behind them one provider is active, by default
 * shared memory on this host, later possibly Redis or memcached, so
 * modules never change when the deployment grows past one machine.
 *
 * Common rules for every function below:
 * - Keys are byte strings of 1 to PT_STORE_KEY_MAX bytes; values are 0 to
 *   PT_STORE_VALUE_MAX bytes. Prefix keys with the owner ("ssl:sess:...")
 *   since all callers share one key space.
 * - Callable from any process once the master has set up the store, i.e.
 *   from workers, the helper, and the master after post_config. They block
 *   only on the provider's lock (shared memory) or network (other
 *   providers); never call them with a store lock of your own held.
 * - Results: 0 (PT_OK) done; PT_DECLINED "no such key", "not swapped" or
 *   "refused"; or PT_ERROR with errno set (EINVAL:
 *   a bad argument, or the key holds a rate-limit bucket where a value is
 *   expected or the reverse; EMSGSIZE: too large for the provider; ENXIO:
 *   no store set up; ENOBUFS: the caller's buffer is too small).
 *   PT_DECLINED is -1, so an error cannot be -1 here: it is PT_ERROR (-3).
 *   Compare against the names.
 * - The store is a cache: an entry may disappear before its TTL when the
 *   provider runs out of room (least recently used first) or repairs
 *   itself after a crash. Never keep the only copy of anything in it.
 * - ttl_ms is relative, in milliseconds; 0 means no expiry. An entry is
 *   gone once its TTL has passed, whether or not the memory was reclaimed.
 */
#ifndef PORTIER_STORE_H
#define PORTIER_STORE_H

#include <portier/types.h>

#define PT_STORE_KEY_MAX	250
#define PT_STORE_VALUE_MAX	8192

/*
 * Copies the value of key into val. *vlen is the size of val on entry and
 * the size of the value on return. 0 found; PT_DECLINED absent or expired;
 * PT_ERROR on error, and with errno ENOBUFS when val is too small, *vlen
 * then holding the size needed (nothing is copied).
 */
PT_API int	pt_store_get(const char *key, size_t klen, void *val,
		    size_t *vlen);

/* Creates or replaces key. 0 or PT_ERROR. */
PT_API int	pt_store_set(const char *key, size_t klen, const void *val,
		    size_t vlen, long long ttl_ms);

/* Removes key. 0 removed, PT_DECLINED absent, PT_ERROR. */
PT_API int	pt_store_delete(const char *key, size_t klen);

/*
 * Compare-and-set: replaces the value of key with val (and its TTL with
 * ttl_ms) only if its current value is exactly the elen bytes at expect;
 * with expect == NULL, only if key is absent (or expired). 0 swapped,
 * PT_DECLINED not swapped (the value differed), PT_ERROR. The usual
 * increment is get, compute, cas, and start over on PT_DECLINED.
 */
PT_API int	pt_store_cas(const char *key, size_t klen, const void *expect,
		    size_t elen, const void *val, size_t vlen,
		    long long ttl_ms);

/*
 * Token bucket, atomically: the bucket named key holds up to burst tokens
 * and gains rate_per_s tokens a second; a new bucket starts full. Takes n
 * tokens if that many are there: 0 allowed; PT_DECLINED refused, with
 * *retry_after_ms set to the wait until n tokens will be there (-1 when
 * n > burst: never). Nothing is taken when refused. rate_per_s and burst
 * must be > 0 and n >= 0 (n == 0 peeks). Use one rate and burst per key;
 * a call with another pair re-reads the same bucket under the new pair.
 * retry_after_ms may be NULL. A bucket that has refilled completely is
 * forgotten, which changes nothing since a new one starts full.
 */
PT_API int	pt_store_take(const char *key, size_t klen, double rate_per_s,
		    double burst, double n, long long *retry_after_ms);

/*
 * A provider: the store's operations against one engine, with the same
 * contracts as the functions above, plus ctx, the provider's own state as
 * given when it was made active. Every operation must be safe to call from
 * several processes at once and must be atomic for take and cas: that is
 * the provider's job, not the caller's. The core picks the provider; there
 * is no public registration yet.
 */
struct pt_store_provider {
	const char	*name;		/* "shm", "redis": logs, status */
	int		(*get)(void *ctx, const char *key, size_t klen,
			    void *val, size_t *vlen);
	int		(*set)(void *ctx, const char *key, size_t klen,
			    const void *val, size_t vlen, long long ttl_ms);
	int		(*del)(void *ctx, const char *key, size_t klen);
	int		(*cas)(void *ctx, const char *key, size_t klen,
			    const void *expect, size_t elen, const void *val,
			    size_t vlen, long long ttl_ms);
	int		(*take)(void *ctx, const char *key, size_t klen,
			    double rate_per_s, double burst, double n,
			    long long *retry_after_ms);
};

#endif /* PORTIER_STORE_H */
