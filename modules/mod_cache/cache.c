/*
 * mod_cache glue: the quick_handler finds fresh hits (sent by
 * cache_serve.c), sends stale ones on to the origin with validators or to
 * the helper (cache_swr.c), answers PURGE (cache_purge.c) and collapses
 * concurrent misses; zones, hooks and the module. The store filter is
 * cache_filter.c's. RFC decisions live in cache_rfc.c, the index in
 * cache_index.c, files in cache_store.c.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <portier/arena.h>
#include <portier/hooks.h>
#include <portier/module.h>
#include <portier/request.h>
#define PT_LOG_TAG "cache"
#include <portier/log.h>
#include "cache.h"
#include "cache_rfc.h"

#define CACHE_MAX_ZONES	16
#define CACHE_TMP_SWEEP_MS	5000	/* temporary files of dead writers */
#define CACHE_TMP_MAX_AGE	3600	/* s: or of live ones, stuck */

PT_API extern const struct pt_module portier_module;

static struct cache_zone	zones[CACHE_MAX_ZONES];
static size_t			nzones;

int64_t
now_s(void)
{
	return ((int64_t)time(NULL));
}

static struct cache_zone *
cache_zone_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nzones; i++)
		if (strcmp(zones[i].name, name) == 0)
			return (&zones[i]);
	return (NULL);
}

static bool
meth_is(const struct pt_request *r, const char *m)
{
	struct pt_str	s = pt_req_method(r);

	return (s.len == strlen(m) && memcmp(s.p, m, s.len) == 0);
}

const char *
meta_field(const struct cs_meta *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nfields; i++)
		if (strcasecmp(m->names[i], name) == 0)
			return (m->values[i]);
	return (NULL);
}

/* Cache-Control for this cache: the targeted field first (RFC 9213). */
void
cache_resp_cc(const struct cache_conf *cf, const char *(*get)(const void *,
    const char *), const void *src, struct cache_cc *cc)
{
	const char	*v;

	cache_cc_init(cc);
	if ((cf->target_field[0] != '\0' &&
	    (v = get(src, cf->target_field)) != NULL) ||
	    (v = get(src, "CDN-Cache-Control")) != NULL ||
	    (v = get(src, "Cache-Control")) != NULL)
		cache_cc_parse(cc, v, strlen(v));
}

/* Every line of a field, joined with ", " (RFC 9110 5.3); NULL: absent. */
static const char *
join_field(struct pt_arena *a, const char *const *names,
    const char *const *values, size_t n, const char *name)
{
	const char	*out = NULL;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (strcasecmp(names[i], name) == 0)
			out = out == NULL ? values[i] :
			    pt_printf(a, "%s, %s", out, values[i]);
	return (out);
}

struct pt_arena	*cache_arena;	/* the request being handled */

const char *
get_meta(const void *mv, const char *name)
{
	const struct cs_meta	*m = mv;

	return (join_field(cache_arena, m->names, m->values, m->nfields, name));
}

int64_t
date_of(const char *v)
{
	return (v != NULL ? cache_http_date(v, strlen(v)) : -1);
}

/* What RFC 9111 needs to know of a stored response. */
void
cache_meta_resp(const struct cache_conf *cf, const struct cs_meta *m,
    struct cache_resp *rs)
{
	const char	*v;

	memset(rs, 0, sizeof(*rs));
	rs->status = m->status;
	cache_resp_cc(cf, get_meta, m, &rs->cc);
	if ((v = meta_field(m, "Expires")) != NULL) {
		rs->has_expires = true;
		rs->expires = date_of(v);
	}
	rs->date = date_of(meta_field(m, "Date"));
	rs->last_modified = date_of(meta_field(m, "Last-Modified"));
	v = get_meta(m, "Age");
	rs->age = v != NULL ? cache_age_value(v, strlen(v)) : -1;
}

/* The secondary key: the primary key and the varied request fields. */
struct cache_hash
cache_vary_hash(struct pt_request *r, const char *key, const char *vary)
{
	struct cache_hash	 h;
	struct pt_str		 v;
	const char		*p = vary, *e;
	char			*s, name[64], ae[32];
	size_t			 n;

	s = pt_strdup(pt_req_arena(r), key);
	while (s != NULL && *p != '\0') {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		if (!pt_req_header(r, name, &v))
			v.len = 0;
		if (strcmp(name, "accept-encoding") == 0) {
			cache_ae_bucket(v.len > 0 ? v.p : NULL, v.len, ae);
			v.p = ae;
			v.len = strlen(ae);
		}
		s = pt_printf(pt_req_arena(r), "%s\n%s:%.*s", s, name,
		    (int)v.len, v.p);
		p = e != NULL ? e + 1 : p + n;
	}
	cache_hash_of(s != NULL ? s : key, strlen(s != NULL ? s : key), &h);
	return (h);
}

void
cache_set_status(struct pt_request *r, struct cache_ctx *x, const char *st)
{
	static const char	 pre[] = "portier; ";
	size_t			 n = strlen(st);
	char			*v;

	x->status = st;
	/* Once per response: put together without printf. */
	if (x->cf->status_header &&
	    (v = pt_alloc(pt_req_arena(r), sizeof(pre) + n)) != NULL) {
		memcpy(v, pre, sizeof(pre) - 1);
		memcpy(v + sizeof(pre) - 1, st, n + 1);
		pt_resp_header_set(r, "Cache-Status", v);
	}
	if (x->cf->x_cache)
		pt_resp_header_set(r, "X-Cache", strncmp(st, "hit", 3) == 0 ?
		    "HIT" : "MISS");
}

static void
cache_unmap(void *arg)
{
	struct cs_meta	*m = arg;

	if (m->fd != -1)
		close(m->fd);
	m->fd = -1;
}

/* The client's conditionals are kept aside while ours go to the origin. */
static void
cache_validators(struct pt_request *r, struct cache_ctx *x)
{
	const char	*etag = meta_field(&x->stale, "ETag");
	const char	*lm = meta_field(&x->stale, "Last-Modified");

	pt_req_header_remove(r, "If-None-Match");
	pt_req_header_remove(r, "If-Modified-Since");
	pt_req_header_remove(r, "If-Match");
	pt_req_header_remove(r, "If-Unmodified-Since");
	pt_req_header_remove(r, "If-Range");
	if (etag != NULL)
		pt_req_header_set(r, "If-None-Match", etag);
	if (lm != NULL)
		pt_req_header_set(r, "If-Modified-Since", lm);
}

static struct cache_hash
cache_swr_lock(struct cache_hash h)
{
	h.b ^= 0x9e3779b97f4a7c15ULL;	/* the key's revalidation claim */
	return (h);
}

/*
 * stale-while-revalidate (RFC 5861): within the window, the first request
 * takes the key's revalidation claim and queues the revalidation for the
 * helper process (cache_swr.c); it and all the others are served the stale
 * object meanwhile. When nothing can be queued, that first request
 * revalidates in the foreground instead. True: serve stale.
 */
static bool
cache_swr(struct pt_request *r, struct cache_ctx *x, const struct cs_meta *m,
    const struct cache_resp *rs, int64_t life, int64_t age)
{
	struct cache_hash	lock = cache_swr_lock(x->h);

	if (rs->cc.swr == CACHE_NONE || age - life > rs->cc.swr ||
	    rs->cc.no_cache || x->req_cc.no_cache || x->req_cc.max_age !=
	    CACHE_NONE || x->req_cc.min_fresh != CACHE_NONE ||
	    (x->pragma && !x->req_cc.any))
		return (false);
	if (ci_claim(x->z->ix, lock, 0, 30000) != CI_CLAIMED)
		return (true);	/* being revalidated */
	if (cache_swr_queue(r, x, m->vary, lock) == 0)
		return (true);
	x->swr_locked = true;	/* this one revalidates */
	x->swr_lock = lock;
	return (false);
}

/*
 * A stored entry for h: serve it, or keep it to validate. PT_DECLINED with
 * x->mode set says the request goes to the origin.
 */
static int
cache_try_entry(struct pt_request *r, struct cache_ctx *x, struct cs_meta *m)
{
	struct cache_resp	rs;
	int64_t			life, age;
	enum cache_use		use;
	char			st[96];

	cache_meta_resp(x->cf, m, &rs);
	life = cache_rfc_lifetime(&rs, m->resp_time, x->cf->heuristic_max /
	    1000);
	age = cache_age(m, &rs);
	use = cache_rfc_use(&x->req_cc, x->pragma, &rs.cc, life, age);
	if (x->revalidate) {	/* the helper's request */
		use = CACHE_USE_VALIDATE;
		x->swr_locked = true;
		x->swr_lock = cache_swr_lock(x->h);
	}
	if (use != CACHE_USE_VALIDATE) {
		snprintf(st, sizeof(st), "hit; ttl=%lld%s",
		    (long long)(life - age), m->fd == -1 ?
		    "; detail=memory" : "");
		return (cache_serve(r, x, m, age, st));
	}
	if (x->req_cc.only_if_cached && !x->revalidate) {
		x->mode = CM_SERVED;
		cache_set_status(r, x, "fwd=stale; detail=only-if-cached");
		return (504);
	}
	if (!x->revalidate && cache_swr(r, x, m, &rs, life, age)) {
		snprintf(st, sizeof(st), "hit; fwd=stale; "
		    "detail=stale-while-revalidate");
		return (cache_serve(r, x, m, age, st));
	}
	x->stale = *m;
	x->has_stale = true;
	x->mode = CM_VALIDATE;
	cache_validators(r, x);
	return (PT_DECLINED);
}

/*
 * A hit in memory: the record is pinned while this runs, so the body is
 * sent straight from it (one writev with the head); a stale entry kept
 * for validation gets its own copy.
 */
static int
cache_lookup_mem(struct pt_request *r, struct cache_ctx *x,
    const struct ci_info *ci)
{
	struct cs_meta	 m;
	char		*copy;
	int		 rc;

	memset(&m, 0, sizeof(m));
	if (ci->mem == NULL || cs_open_mem(pt_req_arena(r), ci->mem, ci->size,
	    x->h, &m) == -1) {
		ci_remove(x->z->ix, x->z->dir, x->h);
		return (PT_DECLINED);
	}
	if (cache_purged(x->z, x->req_ms, m.key, cache_tags(pt_req_arena(r),
	    get_meta, &m), m.req_ms)) {
		ci_remove(x->z->ix, x->z->dir, x->h);
		return (PT_DECLINED);
	}
	rc = cache_try_entry(r, x, &m);
	if (x->has_stale && x->stale.body_mem == m.body_mem &&
	    m.body_len > 0) {
		if ((copy = pt_alloc(pt_req_arena(r), m.body_len)) == NULL) {
			x->has_stale = false;
			return (rc);
		}
		memcpy(copy, m.body_mem, m.body_len);
		x->stale.body_mem = copy;
	}
	return (rc);
}

/* Looks the key up; PT_DECLINED: not found (x->h set for a store). */
static int
cache_lookup(struct pt_request *r, struct cache_ctx *x)
{
	struct ci_info	 ci;
	struct cs_meta	 m, *keep;
	struct pt_arena	*a = pt_req_arena(r);
	int		 rc;

	x->h = x->primary;
	if (ci_get(x->z->ix, x->primary, &ci, true, a) == 0 && ci.root &&
	    ci.state == CI_VALID) {
		ci_unpin(x->z->ix, ci.mem_ref);
		x->h = cache_vary_hash(r, x->key, ci.vary);
		if (ci_get(x->z->ix, x->h, &ci, true, a) != 0)
			return (PT_DECLINED);
	}
	if (ci.in_mem) {
		rc = cache_lookup_mem(r, x, &ci);
		ci_unpin(x->z->ix, ci.mem_ref);
		return (rc);
	}
	if (ci.state != CI_VALID || ci.root)
		return (PT_DECLINED);
	memset(&m, 0, sizeof(m));
	if (cs_open(pt_req_arena(r), x->z->dir, x->h, ci.size, &m) == -1) {
		ci_set(x->z->ix, x->z->dir, x->h, CI_FREE, 0, NULL, 0);
		return (PT_DECLINED);
	}
	if (cache_purged(x->z, x->req_ms, m.key, cache_tags(pt_req_arena(r),
	    get_meta, &m), m.req_ms)) {
		close(m.fd);
		ci_remove(x->z->ix, x->z->dir, x->h);
		return (PT_DECLINED);
	}
	if ((keep = pt_alloc(pt_req_arena(r), sizeof(m))) == NULL) {
		close(m.fd);
		return (PT_DECLINED);
	}
	*keep = m;
	pt_arena_defer(pt_req_arena(r), cache_unmap, keep);
	return (cache_try_entry(r, x, &m));
}

static void
cache_read_request(struct pt_request *r, struct cache_ctx *x)
{
	struct pt_str	v;

	cache_cc_init(&x->req_cc);
	if (pt_req_header(r, "Cache-Control", &v))
		cache_cc_parse(&x->req_cc, v.p, v.len);
	x->pragma = pt_req_header(r, "Pragma", &v) && v.len >= 8 &&
	    strncasecmp(v.p, "no-cache", 8) == 0;
	x->no_store = x->req_cc.no_store;
	if (pt_req_header(r, "If-None-Match", &v))
		x->c_inm = v;
	if (pt_req_header(r, "If-Modified-Since", &v))
		x->c_ims = v;
}

/* A miss: collapse with a concurrent one, or claim the key. */
static int
cache_miss(struct pt_request *r, struct cache_ctx *x)
{
	int	rc, tries;

	for (tries = 0; tries < 3; tries++) {
		switch (ci_claim(x->z->ix, x->h, x->cf->lock_timeout,
		    x->cf->lock_timeout + 60000)) {
		case CI_CLAIMED:
			x->claimed = true;
			x->claim_h = x->h;
			return (PT_DECLINED);
		case CI_READY:
			if ((rc = cache_lookup(r, x)) != PT_DECLINED ||
			    x->mode == CM_VALIDATE)
				return (rc);
			continue;
		case CI_GO_PASS:
			x->no_store = true;
			return (PT_DECLINED);
		case CI_TIMEOUT:
			return (PT_DECLINED);
		}
	}
	return (PT_DECLINED);
}

static int
cache_quick(struct pt_request *r)
{
	const struct cache_conf	*cf = pt_module_conf(r, &portier_module);
	struct cache_ctx	*x;
	struct cache_zone	*z;
	struct pt_str		 m = pt_req_method(r);
	int			 rc;

	if (cf->zone == NULL || cf->zone[0] == '\0' ||
	    (z = cache_zone_find(cf->zone)) == NULL || z->ix == NULL)
		return (PT_DECLINED);
	if ((x = pt_calloc(pt_req_arena(r), 1, sizeof(*x))) == NULL)
		return (PT_DECLINED);
	cache_arena = pt_req_arena(r);
	x->cf = cf;
	x->z = z;
	x->req_ms = now_ms();
	x->req_time = x->req_ms / 1000;
	x->stale.fd = -1;
	pt_req_set_module_ctx(r, &portier_module, x);
	if ((x->key = pt_req_expand(r, cf->key)) == NULL)
		return (PT_DECLINED);
	cache_hash_of(x->key, strlen(x->key), &x->primary);
	x->h = x->primary;
	x->revalidate = cache_swr_is_job(r);
	if (meth_is(r, "PURGE"))
		return (cache_purge(r, x));
	if (!meth_is(r, "GET") && !meth_is(r, "HEAD")) {
		x->mode = cache_method_unsafe(m.p, m.len) ? CM_UNSAFE : CM_NONE;
		return (PT_DECLINED);
	}
	x->head = meth_is(r, "HEAD");
	x->mode = CM_MISS;
	cache_read_request(r, x);
	/*
	 * Ranges are served from complete stored objects; on a miss the
	 * whole object is fetched (and stored), and the client gets it all,
	 * which RFC 9110 14.2 allows.
	 */
	if (!x->head && pt_req_header(r, "Range", &x->range) &&
	    x->range.len == 0)
		x->range.p = NULL;
	if ((rc = cache_lookup(r, x)) != PT_DECLINED || x->mode != CM_MISS)
		return (rc);
	if (x->range.p != NULL) {
		pt_req_header_remove(r, "Range");
		pt_req_header_remove(r, "If-Range");
	}
	if (x->req_cc.only_if_cached) {
		x->mode = CM_SERVED;
		cache_set_status(r, x, "fwd=miss; detail=only-if-cached");
		return (504);
	}
	if (x->head || x->no_store)
		return (PT_DECLINED);
	return (cache_miss(r, x));
}

/* After the response: a claim or a file still open means it failed. */
static int
cache_log(struct pt_request *r)
{
	struct cache_ctx	*x = pt_req_module_ctx(r, &portier_module);

	if (x == NULL)
		return (PT_OK);
	if (x->w != NULL) {
		cs_abort(x->w);
		x->w = NULL;
	}
	cache_release(x, CI_FREE, 0);
	if (x->swr_locked)
		ci_set(x->z->ix, NULL, x->swr_lock, CI_FREE, 0, NULL, 0);
	return (PT_OK);
}

/*
 * Helper process: background revalidations every tick; purges, inactive
 * objects and the size bound every second.
 */
static long long
cache_periodic(const struct pt_conf *cf, long long now)
{
	static long long	last;
	size_t			i;
	bool			house = now - last >= 1000;

	(void)cf;
	if (house)
		last = now;
	for (i = 0; i < nzones; i++) {
		if (zones[i].ix == NULL)
			continue;
		cache_swr_dispatch(&zones[i], now);
		if (!house)
			continue;
		cache_purge_sweep(&zones[i]);
		ci_expire(zones[i].ix, zones[i].dir, zones[i].zc->inactive);
		ci_repair_pins(zones[i].ix);
		if (now - zones[i].tmp_swept >= CACHE_TMP_SWEEP_MS) {
			zones[i].tmp_swept = now;
			cs_tmp_sweep(zones[i].dir, CACHE_TMP_MAX_AGE);
		}
	}
	return (cache_swr_poll(now) ? 20 : 100);
}

static int
cache_post_config(struct pt_conf *cf)
{
	const struct cache_conf	*g = pt_module_conf_global(cf, &portier_module);
	struct cache_zone	*z;
	bool			 fresh;
	size_t			 i;

	nzones = 0;
	cache_swr_init();
	for (i = 0; i < g->nzones && i < CACHE_MAX_ZONES; i++) {
		z = &zones[nzones];
		memset(z, 0, sizeof(*z));
		z->zc = &g->zones[i];
		snprintf(z->name, sizeof(z->name), "%s", z->zc->name);
		snprintf(z->dir, sizeof(z->dir), "%s", z->zc->dir);
		if (mkdir(z->dir, 0700) == -1 && errno != EEXIST)
			PT_LOG_ERRNO(PT_LOG_ERR, "cache %s: mkdir %s: the zone "
			    "passes through", z->name, z->dir);
		if ((z->ix = ci_zone_setup(z->name, z->zc->size,
		    z->zc->memory, &fresh))
		    == NULL) {
			PT_LOG_ERRNO(PT_LOG_ERR, "cache %s: shared memory",
			    z->name);
			return (-1);
		}
		if (fresh)
			cs_rescan(z->ix, z->dir);
		z->tmp_swept = 0;
		nzones++;
	}
	return (0);
}

static int
cache_child_init(const struct pt_conf *cf)
{
	(void)cf;
	ci_child_init();
	return (0);
}

static const struct pt_filter_def cache_filter = {
	.name = "cache",
	.head = cache_head,
	.body = cache_body_fn,
};

static int
cache_register(struct pt_hooks *h)
{
	pt_hook_post_config(h, cache_post_config, PT_ORDER_MIDDLE);
	pt_hook_child_init(h, cache_child_init, PT_ORDER_MIDDLE);
	/* First: a fresh hit skips every other handler. */
	pt_hook_quick_handler(h, cache_quick, PT_ORDER_FIRST);
	/*
	 * First (nearest the origin): the cache stores what the origin
	 * sent, before mod_deflate (LATE) and mod_headers (LAST) change it.
	 */
	pt_hook_response_filter(h, &cache_filter, PT_ORDER_FIRST);
	pt_hook_log(h, cache_log, PT_ORDER_MIDDLE);
	pt_hook_periodic(h, cache_periodic, PT_ORDER_MIDDLE);
	return (0);
}

PT_API const struct pt_module portier_module = {
	PT_MODULE_HEADER,
	.name = "cache",
	.version = "1.0",
	.directives = cache_directives,
	.conf_size = sizeof(struct cache_conf),
	.register_hooks = cache_register,
};
