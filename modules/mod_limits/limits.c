/*
 * mod_limits: per-key token buckets (requests a second with a burst) and
 * a count of requests in flight per key, in the core store, checked in
 * the access hook. The key is a template, by default the client address,
 * taken from X-Forwarded-For only when the peer is a trusted proxy.
 * Per-connection limits before any request is read are the core's
 * (request_limits.conns_per_client).
 */
#define PT_LOG_TAG	"limits"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <portier/arena.h>
#include <portier/hooks.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>
#include <portier/store.h>

#include "limits.h"

#define LIM_CONN_TTL_MS	(10LL * 60 * 1000)	/* a leaked count heals */
#define LIM_CAS_TRIES	32

PT_API extern const struct pt_module portier_module;

/*
 * The in-flight count this worker holds, released by the log hook or, if
 * the request never got there, when the connection closes. A worker
 * serves one request at a time, so one slot is enough.
 */
static struct {
	bool	held;
	size_t	klen;
	char	key[PT_STORE_KEY_MAX];
} lim_held;

/* FNV-1a, to fit long keys in the store's key size. */
static unsigned long long
lim_hash(const char *s, size_t n)
{
	unsigned long long h = 1469598103934665603ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (h);
}

/* The request's key; "%{client_addr}" alone takes the fast path. */
static const char *
lim_key_value(struct pt_request *r, const struct lim_conf *lc)
{
	if (strcmp(lc->key, "%{client_addr}") == 0)
		return (lc->forwarded ? pt_req_forwarded_addr(r) :
		    pt_req_client_addr(r));
	return (pt_req_expand(r, lc->key));
}

/* "limits:<kind>:<zone>:<value>" into buf; its length, 0 on failure. */
static size_t
lim_store_key(char *buf, size_t size, char kind, const struct lim_conf *lc,
    const char *val)
{
	char	zone[32];
	int	n;

	if (lc->zone == NULL)
		snprintf(zone, sizeof(zone), "%p", (const void *)lc);
	n = snprintf(buf, size, "limits:%c:%s:%s", kind,
	    lc->zone != NULL ? lc->zone : zone, val);
	if (n < 0)
		return (0);
	if ((size_t)n >= size)
		n = snprintf(buf, size, "limits:%c:%s:#%016llx", kind,
		    lc->zone != NULL ? lc->zone : zone,
		    lim_hash(val, strlen(val)));
	return (n < 0 || (size_t)n >= size ? 0 : (size_t)n);
}

/* Adds d to the counter at key; the new value, or -1 on a store error. */
static long long
lim_count_add(const char *key, size_t klen, long long d)
{
	long long	cur, next;
	size_t		vlen;
	int		rc, i;

	for (i = 0; i < LIM_CAS_TRIES; i++) {
		vlen = sizeof(cur);
		rc = pt_store_get(key, klen, &cur, &vlen);
		if (rc == PT_ERROR || (rc == PT_OK && vlen != sizeof(cur)))
			return (-1);
		if (rc == PT_DECLINED)
			cur = 0;
		next = cur + d < 0 ? 0 : cur + d;
		if (next == 0 && rc == PT_OK)
			rc = pt_store_cas(key, klen, &cur, sizeof(cur), &next,
			    sizeof(next), 1000);
		else
			rc = pt_store_cas(key, klen, rc == PT_OK ? &cur : NULL,
			    rc == PT_OK ? sizeof(cur) : 0, &next, sizeof(next),
			    LIM_CONN_TTL_MS);
		if (rc == PT_OK)
			return (next);
		if (rc == PT_ERROR)
			return (-1);
	}
	return (-1);
}

static void
lim_release(void)
{
	if (!lim_held.held)
		return;
	lim_held.held = false;
	(void)lim_count_add(lim_held.key, lim_held.klen, -1);
}

/* Over a limit: the configured answer, logged. */
static int
lim_refuse(struct pt_request *r, const struct lim_conf *lc, const char *what,
    const char *val, long long retry_ms)
{
	char	ra[24];

	PT_RLOG(r, PT_LOG_WARN, "%s over the %s limit: %s", val, what,
	    lc->action == LIM_CLOSE ? "connection closed" : "refused");
	if (lc->action == LIM_CLOSE)
		return (PT_ERROR);
	if (retry_ms >= 0) {
		snprintf(ra, sizeof(ra), "%lld", (retry_ms + 999) / 1000 > 0 ?
		    (retry_ms + 999) / 1000 : 1);
		pt_resp_header_set(r, "Retry-After", ra);
	}
	return ((int)lc->status);
}

static int
lim_check_rate(struct pt_request *r, const struct lim_conf *lc,
    const char *val)
{
	char		key[PT_STORE_KEY_MAX];
	size_t		klen;
	double		burst;
	long long	retry = -1;
	int		rc;

	if ((klen = lim_store_key(key, sizeof(key), 'r', lc, val)) == 0)
		return (PT_OK);
	burst = lc->burst > 0 ? (double)lc->burst : 2.0 * (double)lc->rate;
	rc = pt_store_take(key, klen, (double)lc->rate, burst, 1, &retry);
	if (rc == PT_DECLINED)
		return (lim_refuse(r, lc, "rate", val, retry));
	if (rc == PT_ERROR)
		PT_RLOG(r, PT_LOG_ERR, "store: cannot take a token for %s "
		    "(let through)", val);
	return (PT_OK);
}

static int
lim_check_conns(struct pt_request *r, const struct lim_conf *lc,
    const char *val)
{
	size_t		klen;
	long long	n;

	lim_release();	/* a previous request that skipped the log hook */
	klen = lim_store_key(lim_held.key, sizeof(lim_held.key), 'c', lc, val);
	if (klen == 0)
		return (PT_OK);
	if ((n = lim_count_add(lim_held.key, klen, 1)) < 0) {
		PT_RLOG(r, PT_LOG_ERR, "store: cannot count requests of %s "
		    "(let through)", val);
		return (PT_OK);
	}
	lim_held.klen = klen;
	lim_held.held = true;
	if (n > lc->conns) {
		lim_release();
		return (lim_refuse(r, lc, "conns", val, 1000));
	}
	return (PT_OK);
}

static int
lim_access(struct pt_request *r)
{
	const struct lim_conf	*lc = pt_module_conf(r, &portier_module);
	const char		*val;
	int			 rc;

	if (lc->rate == 0 && lc->conns == 0)
		return (PT_DECLINED);
	if ((val = lim_key_value(r, lc)) == NULL || *val == '\0')
		return (PT_DECLINED);
	if (lc->rate > 0 && (rc = lim_check_rate(r, lc, val)) != PT_OK)
		return (rc);
	if (lc->conns > 0)
		return (lim_check_conns(r, lc, val));
	return (PT_OK);
}

static int
lim_log(struct pt_request *r)
{
	(void)r;
	lim_release();
	return (PT_OK);
}

static int
lim_conn_close(struct pt_conn *c)
{
	(void)c;
	lim_release();
	return (PT_OK);
}

static int
lim_register(struct pt_hooks *h)
{
	/* Early: refuse before costlier access checks (the WAF) run. */
	pt_hook_access(h, lim_access, PT_ORDER_FIRST);
	pt_hook_log(h, lim_log, PT_ORDER_MIDDLE);
	pt_hook_connection_close(h, lim_conn_close, PT_ORDER_MIDDLE);
	return (0);
}

PT_API const struct pt_module portier_module = {
	PT_MODULE_HEADER,
	.name = "limits",
	.version = "1.0",
	.directives = lim_directives,
	.conf_size = sizeof(struct lim_conf),
	.register_hooks = lim_register,
};
