/*
 * The store interface: checks arguments once, for every provider, and
 * passes each call to the active one. The shared-memory provider lives in
 * store_shm.c; nothing here knows how or where entries are kept.
 */
#include "config.h"

#include "store_priv.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>

/* Set by the master before fork; a worker only reads it. */
static const struct pt_store_provider	*store_prov;
static void				*store_ctx;

void
store_use_provider(const struct pt_store_provider *p, void *ctx)
{
	store_prov = p;
	store_ctx = p != NULL ? ctx : NULL;
}

const struct pt_store_provider *
store_provider(void)
{
	return (store_prov);
}

/* The checks every call shares: a store, and a key of the right size. */
static int
store_check_key(const char *key, size_t klen)
{
	if (store_prov == NULL) {
		errno = ENXIO;
		return (-1);
	}
	if (key == NULL || klen == 0 || klen > PT_STORE_KEY_MAX) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}

static int
store_check_value(const void *val, size_t vlen, long long ttl_ms)
{
	if ((val == NULL && vlen != 0) || ttl_ms < 0) {
		errno = EINVAL;
		return (-1);
	}
	if (vlen > PT_STORE_VALUE_MAX) {
		errno = EMSGSIZE;
		return (-1);
	}
	return (0);
}

PT_API int
pt_store_get(const char *key, size_t klen, void *val, size_t *vlen)
{
	if (store_check_key(key, klen) == -1)
		return (PT_ERROR);
	if (vlen == NULL || (val == NULL && *vlen != 0)) {
		errno = EINVAL;
		return (PT_ERROR);
	}
	return (store_prov->get(store_ctx, key, klen, val, vlen));
}

PT_API int
pt_store_set(const char *key, size_t klen, const void *val, size_t vlen,
    long long ttl_ms)
{
	if (store_check_key(key, klen) == -1 ||
	    store_check_value(val, vlen, ttl_ms) == -1)
		return (PT_ERROR);
	return (store_prov->set(store_ctx, key, klen, val, vlen, ttl_ms));
}

PT_API int
pt_store_delete(const char *key, size_t klen)
{
	if (store_check_key(key, klen) == -1)
		return (PT_ERROR);
	return (store_prov->del(store_ctx, key, klen));
}

PT_API int
pt_store_cas(const char *key, size_t klen, const void *expect, size_t elen,
    const void *val, size_t vlen, long long ttl_ms)
{
	if (store_check_key(key, klen) == -1 ||
	    store_check_value(val, vlen, ttl_ms) == -1)
		return (PT_ERROR);
	if (expect == NULL && elen != 0) {
		errno = EINVAL;
		return (PT_ERROR);
	}
	/* A value that cannot have been stored never matches. */
	if (elen > PT_STORE_VALUE_MAX)
		return (PT_DECLINED);
	return (store_prov->cas(store_ctx, key, klen, expect, elen, val, vlen,
	    ttl_ms));
}

PT_API int
pt_store_take(const char *key, size_t klen, double rate_per_s, double burst,
    double n, long long *retry_after_ms)
{
	long long dummy;

	if (store_check_key(key, klen) == -1)
		return (PT_ERROR);
	/* isfinite also refuses NaN, which every comparison would let by. */
	if (!isfinite(rate_per_s) || !isfinite(burst) || !isfinite(n) ||
	    rate_per_s <= 0 || burst <= 0 || n < 0) {
		errno = EINVAL;
		return (PT_ERROR);
	}
	if (retry_after_ms == NULL)
		retry_after_ms = &dummy;
	*retry_after_ms = 0;
	return (store_prov->take(store_ctx, key, klen, rate_per_s, burst, n,
	    retry_after_ms));
}
