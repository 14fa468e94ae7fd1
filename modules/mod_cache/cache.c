/*
 * mod_cache glue: the quick_handler serves fresh hits (and 304s to
 * conditional clients), sends stale ones on to the origin with validators
 * and collapses concurrent misses; the store filter, nearest the origin,
 * writes storable responses to the zone and turns a 304 (or an error,
 * with stale-if-error) into the stored response. RFC decisions live in
 * cache_rfc.c, the index in cache_index.c, files in cache_store.c.
 */
#include "config.h"

#include <sys/mman.h>
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
#define CACHE_PASS_MS	3000	/* an uncacheable answer: later misses pass */

PT_API extern const struct pt_module portier_module;

struct cache_zone {
	const struct cache_zone_conf	*zc;
	char				 name[64];
	char				 dir[400];
	struct ci_zone			*ix;
	bool				 write_failed;	/* logged once */
};

static struct cache_zone	zones[CACHE_MAX_ZONES];
static size_t			nzones;

enum cache_mode { CM_NONE, CM_MISS, CM_VALIDATE, CM_SERVED, CM_UNSAFE };

struct cache_ctx {
	const struct cache_conf	*cf;
	struct cache_zone	*z;
	enum cache_mode		 mode;
	const char		*key;
	struct cache_hash	 primary, h;	/* h: variant or primary */
	struct cache_hash	 claim_h, store_h;
	char			 vary[96];	/* of the response being stored */
	bool			 claimed;	/* we hold the fill claim */
	bool			 no_store;	/* request said no-store */
	bool			 head;
	struct cache_cc		 req_cc;
	bool			 pragma;
	int64_t			 req_time;
	struct cs_meta		 stale;		/* CM_VALIDATE: the entry */
	bool			 has_stale;
	struct pt_str		 c_inm, c_ims;	/* the client's conditionals */
	struct pt_str		 range;		/* the client's Range */
	struct cs_writer	*w;
	uint64_t		 written;
	const char		*status;	/* Cache-Status parameters */
};

static int64_t
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

static const char *
meta_field(const struct cs_meta *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nfields; i++)
		if (strcasecmp(m->names[i], name) == 0)
			return (m->values[i]);
	return (NULL);
}

/* Cache-Control for this cache: the targeted field first (RFC 9213). */
static void
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

static struct pt_arena	*cache_arena;	/* the request being handled */

static const char *
get_meta(const void *mv, const char *name)
{
	const struct cs_meta	*m = mv;

	return (join_field(cache_arena, m->names, m->values, m->nfields, name));
}

static const char *
get_resp(const void *rv, const char *name)
{
	const struct pt_request	*r = rv;
	const char		*n, *v, *out = NULL;
	size_t			 i;

	for (i = 0; pt_resp_header_at(r, i, &n, &v); i++)
		if (strcasecmp(n, name) == 0)
			out = out == NULL ? v : pt_printf(cache_arena,
			    "%s, %s", out, v);
	return (out);
}

static int64_t
date_of(const char *v)
{
	return (v != NULL ? cache_http_date(v, strlen(v)) : -1);
}

/* What RFC 9111 needs to know of a stored response. */
static void
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
static struct cache_hash
cache_vary_hash(struct pt_request *r, const char *key, const char *vary)
{
	struct cache_hash	 h;
	struct pt_str		 v;
	const char		*p = vary, *e;
	char			*s, name[64];
	size_t			 n;

	s = pt_strdup(pt_req_arena(r), key);
	while (s != NULL && *p != '\0') {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		if (!pt_req_header(r, name, &v))
			v.len = 0;
		s = pt_printf(pt_req_arena(r), "%s\n%s:%.*s", s, name,
		    (int)v.len, v.p);
		p = e != NULL ? e + 1 : p + n;
	}
	cache_hash_of(s != NULL ? s : key, strlen(s != NULL ? s : key), &h);
	return (h);
}

static void
cache_set_status(struct pt_request *r, struct cache_ctx *x, const char *st)
{
	x->status = st;
	if (x->cf->status_header)
		pt_resp_header_set(r, "Cache-Status", pt_printf(pt_req_arena(r),
		    "portier; %s", st));
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

struct cache_map {
	void	*p;
	size_t	 len;
};

static void
cache_munmap(void *arg)
{
	struct cache_map	*mp = arg;

	munmap(mp->p, mp->len);
}

/*
 * The stored body: small ones read into the request's arena, larger ones
 * mapped (the open file, or the mapping, is the entry's pin: eviction
 * unlinks the file but what is being sent stays readable).
 */
static const void *
cache_body(struct pt_request *r, struct cs_meta *m)
{
	struct cache_map	*mp;
	char			*p;

	if (m->body_len == 0)
		return ("");
	if (m->body_len > 65536 &&
	    (mp = pt_alloc(pt_req_arena(r), sizeof(*mp))) != NULL) {
		mp->len = (size_t)m->body_off + m->body_len;
		if ((mp->p = mmap(NULL, mp->len, PROT_READ, MAP_SHARED, m->fd,
		    0)) == MAP_FAILED)
			return (NULL);
		if (pt_arena_defer(pt_req_arena(r), cache_munmap, mp) == -1) {
			munmap(mp->p, mp->len);
			return (NULL);
		}
		return ((char *)mp->p + m->body_off);
	}
	if ((p = pt_alloc(pt_req_arena(r), m->body_len)) == NULL ||
	    pread(m->fd, p, m->body_len, m->body_off) != (ssize_t)m->body_len)
		return (NULL);
	return (p);
}

static bool
cache_client_304(struct pt_request *r, struct cache_ctx *x,
    const struct cs_meta *m)
{
	const char	*etag = meta_field(m, "ETag");
	int64_t		 ims, lm;

	if (x->c_inm.p != NULL)
		return (cache_etag_match(x->c_inm.p, x->c_inm.len, etag));
	if (x->c_ims.p != NULL && (ims = cache_http_date(x->c_ims.p,
	    x->c_ims.len)) >= 0) {
		lm = date_of(meta_field(m, "Last-Modified"));
		if (lm < 0)
			lm = date_of(meta_field(m, "Date"));
		return (lm >= 0 && lm <= ims);
	}
	(void)r;
	return (false);
}

/* The stored fields become the response's; Age from the entry. */
static void
cache_fields_out(struct pt_request *r, const struct cs_meta *m, int64_t age)
{
	const char	*n, *v;
	char		 buf[32];
	size_t		 i;

	while (pt_resp_header_at(r, 0, &n, &v))
		pt_resp_header_remove(r, n);
	for (i = 0; i < m->nfields; i++)
		if (strcasecmp(m->names[i], "Date") == 0)
			pt_resp_header_set(r, "Date", m->values[i]);
		else if (strcasecmp(m->names[i], "Age") != 0)
			pt_resp_header_add(r, m->names[i], m->values[i]);
	snprintf(buf, sizeof(buf), "%lld", (long long)age);
	pt_resp_header_set(r, "Age", buf);
}

static int64_t
cache_age(const struct cs_meta *m, const struct cache_resp *rs)
{
	return (cache_rfc_age(rs->age, rs->date, m->req_time, m->resp_time,
	    now_s()));
}

/* If-Range (RFC 9110 13.1.5): a strong ETag or the exact Last-Modified. */
static bool
cache_if_range_ok(struct pt_request *r, const struct cs_meta *m)
{
	struct pt_str	 v;
	const char	*etag = meta_field(m, "ETag"), *lm;

	if (!pt_req_header(r, "If-Range", &v))
		return (true);
	if (v.len > 0 && v.p[0] == '"')
		return (etag != NULL && strlen(etag) == v.len &&
		    memcmp(etag, v.p, v.len) == 0);
	lm = meta_field(m, "Last-Modified");
	return (lm != NULL && strlen(lm) == v.len && memcmp(lm, v.p, v.len) == 0);
}

/* A range of a complete stored 200: 206, 416, or the whole. */
static int
cache_serve_range(struct pt_request *r, struct cache_ctx *x,
    struct cs_meta *m)
{
	uint64_t	 first = 0, last = 0;
	const char	*body;
	int		 rc = 0;

	if (cache_if_range_ok(r, m))
		rc = cache_range(x->range.p, x->range.len, m->body_len, &first,
		    &last);
	if (rc == -1) {
		pt_resp_header_set(r, "Content-Range", pt_printf(pt_req_arena(r),
		    "bytes */%llu", (unsigned long long)m->body_len));
		return (pt_resp_send(r, 416, NULL, NULL, 0) == PT_OK ? PT_OK :
		    PT_DONE);
	}
	if ((body = cache_body(r, m)) == NULL)
		return (PT_DECLINED);
	if (rc == 0)
		return (pt_resp_send(r, 200, NULL, body, m->body_len) == PT_OK ?
		    PT_OK : PT_DONE);
	pt_resp_header_set(r, "Content-Range", pt_printf(pt_req_arena(r),
	    "bytes %llu-%llu/%llu", (unsigned long long)first,
	    (unsigned long long)last, (unsigned long long)m->body_len));
	return (pt_resp_send(r, 206, NULL, body + first, last - first + 1) ==
	    PT_OK ? PT_OK : PT_DONE);
}

/* Sends a stored response from the quick_handler: head and body at once. */
static int
cache_serve(struct pt_request *r, struct cache_ctx *x, struct cs_meta *m,
    int64_t age, const char *st)
{
	const void	*body;

	x->mode = CM_SERVED;
	cache_fields_out(r, m, age);
	cache_set_status(r, x, st);
	if (cache_client_304(r, x, m)) {
		pt_resp_header_remove(r, "Content-Type");
		return (pt_resp_send(r, 304, NULL, NULL, 0) == PT_OK ? PT_OK :
		    PT_DONE);
	}
	if (x->range.p != NULL && m->status == 200)
		return (cache_serve_range(r, x, m));
	if ((body = x->head ? "" : cache_body(r, m)) == NULL)
		return (PT_DECLINED);
	if (x->head) {
		/* HEAD from a stored GET: the length it would have. */
		return (pt_resp_send(r, m->status, NULL, NULL, m->body_len)
		    == PT_OK ? PT_OK : PT_DONE);
	}
	return (pt_resp_send(r, m->status, NULL, body, m->body_len) == PT_OK ?
	    PT_OK : PT_DONE);
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

/*
 * stale-while-revalidate (RFC 5861): within the window, one request
 * revalidates (it holds the key's revalidation claim) and the others are
 * served the stale object meanwhile. True: serve stale.
 */
static bool
cache_swr(struct cache_ctx *x, const struct cache_resp *rs, int64_t life,
    int64_t age)
{
	struct cache_hash	lock = x->h;

	if (rs->cc.swr == CACHE_NONE || age - life > rs->cc.swr ||
	    rs->cc.no_cache || x->req_cc.no_cache || x->req_cc.max_age !=
	    CACHE_NONE || x->req_cc.min_fresh != CACHE_NONE ||
	    (x->pragma && !x->req_cc.any))
		return (false);
	lock.b ^= 0x9e3779b97f4a7c15ULL;	/* the revalidation claim */
	if (ci_claim(x->z->ix, lock, 0, 30000) == CI_CLAIMED) {
		x->claimed = true;
		x->claim_h = lock;
		return (false);	/* this one revalidates */
	}
	return (true);
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
	if (use != CACHE_USE_VALIDATE) {
		snprintf(st, sizeof(st), "hit; ttl=%lld",
		    (long long)(life - age));
		return (cache_serve(r, x, m, age, st));
	}
	if (x->req_cc.only_if_cached) {
		x->mode = CM_SERVED;
		cache_set_status(r, x, "fwd=stale; detail=only-if-cached");
		return (504);
	}
	if (cache_swr(x, &rs, life, age)) {
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

/* Looks the key up; PT_DECLINED: not found (x->h set for a store). */
static int
cache_lookup(struct pt_request *r, struct cache_ctx *x)
{
	struct ci_info	 ci;
	struct cs_meta	 m, *keep;

	x->h = x->primary;
	if (ci_get(x->z->ix, x->primary, &ci, true) == 0 && ci.root &&
	    ci.state == CI_VALID) {
		x->h = cache_vary_hash(r, x->key, ci.vary);
		if (ci_get(x->z->ix, x->h, &ci, true) != 0)
			return (PT_DECLINED);
	}
	if (ci.state != CI_VALID || ci.root)
		return (PT_DECLINED);
	memset(&m, 0, sizeof(m));
	if (cs_open(pt_req_arena(r), x->z->dir, x->h, &m) == -1) {
		ci_set(x->z->ix, x->z->dir, x->h, CI_FREE, 0, NULL, 0);
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

static bool
cache_purge_allowed(struct pt_request *r, const struct cache_conf *cf)
{
	const char	*a = pt_req_client_addr(r);
	size_t		 i;

	for (i = 0; a != NULL && i < cf->purge_allow.n; i++)
		if (strcmp(cf->purge_allow.v[i], a) == 0)
			return (true);
	return (false);
}

static int
cache_purge(struct pt_request *r, struct cache_ctx *x)
{
	struct ci_info	ci;
	bool		found = false;
	static const char ok[] = "purged\n", none[] = "not in cache\n";

	if (!cache_purge_allowed(r, x->cf))
		return (403);
	if (ci_get(x->z->ix, x->primary, &ci, false) == 0 && ci.root &&
	    ci.state == CI_VALID)
		found = ci_remove(x->z->ix, x->z->dir,
		    cache_vary_hash(r, x->key, ci.vary));
	found = ci_remove(x->z->ix, x->z->dir, x->primary) || found;
	PT_RLOG(r, PT_LOG_NOTICE, "purge %s by %s: %s", x->key,
	    pt_req_client_addr(r), found ? "removed" : "not cached");
	x->mode = CM_SERVED;
	return (pt_resp_send(r, found ? 200 : 404, "text/plain", found ? ok :
	    none, found ? sizeof(ok) - 1 : sizeof(none) - 1) == PT_OK ? PT_OK :
	    PT_DONE);
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
	x->req_time = now_s();
	x->stale.fd = -1;
	pt_req_set_module_ctx(r, &portier_module, x);
	if ((x->key = pt_req_expand(r, cf->key)) == NULL)
		return (PT_DECLINED);
	cache_hash_of(x->key, strlen(x->key), &x->primary);
	x->h = x->primary;
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

static void
cache_release(struct cache_ctx *x, int state, long long ms)
{
	if (!x->claimed)
		return;
	x->claimed = false;
	ci_set(x->z->ix, x->z->dir, x->claim_h, state, 0, NULL, ms);
}

static bool
hash_eq(struct cache_hash a, struct cache_hash b)
{
	return (a.a == b.a && a.b == b.b);
}

/* Unsafe methods invalidate the URI, Location and Content-Location (4.4). */
static void
cache_invalidate_url(struct pt_request *r, struct cache_ctx *x,
    const char *url)
{
	struct pt_str		 host = pt_req_host(r);
	struct cache_hash	 h;
	const char		*scheme = strncmp(x->key, "https:", 6) == 0 ?
				    "https" : "http", *key, *p;

	if (url == NULL)
		return;
	if (strncasecmp(url, "http://", 7) == 0 ||
	    strncasecmp(url, "https://", 8) == 0) {
		p = strstr(url, "://") + 3;
		if (strncasecmp(p, host.p, host.len) != 0 ||
		    (p[host.len] != '/' && p[host.len] != '\0'))
			return;	/* another host: left alone */
		url = p + host.len;
	}
	if (url[0] != '/')
		return;
	key = pt_printf(pt_req_arena(r), "%s://%.*s%s", scheme, (int)host.len,
	    host.p, url);
	if (key == NULL)
		return;
	cache_hash_of(key, strlen(key), &h);
	ci_remove(x->z->ix, x->z->dir, h);
}

static int
cache_unsafe(struct pt_request *r, struct cache_ctx *x)
{
	int	st = pt_resp_status(r);

	if (st >= 200 && st < 400) {
		ci_remove(x->z->ix, x->z->dir, x->primary);
		cache_invalidate_url(r, x, pt_resp_header(r, "Location"));
		cache_invalidate_url(r, x, pt_resp_header(r, "Content-Location"));
	}
	cache_set_status(r, x, "fwd=method");
	return (PT_DECLINED);
}

static bool
cache_skip_field(const struct cache_conf *cf, const char *n)
{
	return (strcasecmp(n, "Cache-Status") == 0 ||
	    strcasecmp(n, "X-Cache") == 0 || strcasecmp(n, "Server") == 0 ||
	    strcasecmp(n, "Connection") == 0 ||
	    strcasecmp(n, "Keep-Alive") == 0 ||
	    strcasecmp(n, "Proxy-Connection") == 0 ||
	    strcasecmp(n, "Proxy-Authenticate") == 0 ||
	    strcasecmp(n, "Proxy-Authentication-Info") == 0 ||
	    strcasecmp(n, "Proxy-Authorization") == 0 ||
	    strcasecmp(n, "TE") == 0 || strcasecmp(n, "Upgrade") == 0 ||
	    strcasecmp(n, "Content-Length") == 0 ||
	    strcasecmp(n, "Transfer-Encoding") == 0 ||
	    (cf->target_field[0] != '\0' && strcasecmp(n, cf->target_field) == 0
	    && false));
}

/* The response's fields, for a file. */
static int
cache_snapshot(struct pt_request *r, struct cache_ctx *x, struct cs_meta *m)
{
	const char	*n, *v;
	size_t		 i, k = 0;

	for (i = 0; pt_resp_header_at(r, i, &n, &v); i++)
		;
	m->names = pt_calloc(pt_req_arena(r), i + 1, sizeof(char *));
	m->values = pt_calloc(pt_req_arena(r), i + 1, sizeof(char *));
	if (m->names == NULL || m->values == NULL)
		return (-1);
	for (i = 0; pt_resp_header_at(r, i, &n, &v); i++)
		if (!cache_skip_field(x->cf, n)) {
			m->names[k] = n;
			m->values[k++] = v;
		}
	m->nfields = k;
	m->status = pt_resp_status(r);
	m->req_time = x->req_time;
	m->resp_time = now_s();
	return (0);
}

/* "Accept-Encoding, Cookie" -> "accept-encoding,cookie"; false for "*". */
static bool
cache_vary_names(const char *v, char *out, size_t len)
{
	size_t	at = 0;

	out[0] = '\0';
	for (; v != NULL && *v != '\0'; v++) {
		if (*v == '*')
			return (false);
		if (*v == ' ' || *v == '\t' || (*v == ',' && (at == 0 ||
		    out[at - 1] == ',')))
			continue;
		if (at + 1 < len)
			out[at++] = (char)(*v >= 'A' && *v <= 'Z' ? *v + 32 : *v);
	}
	while (at > 0 && out[at - 1] == ',')
		at--;
	out[at] = '\0';
	return (true);
}

static void
cache_forward_clean(struct pt_request *r, struct cache_ctx *x)
{
	if (x->cf->target_field[0] != '\0')
		pt_resp_header_remove(r, x->cf->target_field);
	pt_resp_header_remove(r, "CDN-Cache-Control");
}

static int
cache_store_head(struct pt_filter *f, struct pt_request *r,
    struct cache_ctx *x)
{
	struct cache_resp	 rs;
	struct cs_meta		 m;
	const char		*why = NULL, *v;
	int64_t			 cl = pt_resp_content_length(r);

	memset(&rs, 0, sizeof(rs));
	rs.status = pt_resp_status(r);
	cache_resp_cc(x->cf, get_resp, r, &rs.cc);
	if ((v = pt_resp_header(r, "Expires")) != NULL) {
		rs.has_expires = true;
		rs.expires = date_of(v);
	}
	rs.vary_star = !cache_vary_names(get_resp(r, "Vary"), x->vary,
	    sizeof(x->vary));
	if (x->head || x->no_store)
		why = x->head ? "head" : "no-store";
	else if (!cache_rfc_storable(&rs, pt_req_header(r, "Authorization",
	    NULL), &why))
		;
	else if (cl > x->z->zc->max_object)
		why = "too-large";
	memset(&m, 0, sizeof(m));
	if (why == NULL && cache_snapshot(r, x, &m) == -1)
		why = "memory";
	cache_forward_clean(r, x);
	if (why != NULL) {
		cache_release(x, CI_PASS, CACHE_PASS_MS);
		cache_set_status(r, x, pt_printf(pt_req_arena(r),
		    "fwd=%s; detail=%s", x->has_stale ? "stale" : "uri-miss",
		    why));
		return (PT_DECLINED);
	}
	x->store_h = x->vary[0] != '\0' ? cache_vary_hash(r, x->key, x->vary) :
	    x->primary;
	if (x->vary[0] != '\0') {
		m.primary = x->primary;
		memcpy(m.vary, x->vary, sizeof(m.vary));
	}
	if ((x->w = cs_begin(pt_req_arena(r), x->z->dir, x->store_h, &m))
	    == NULL) {
		if (!x->z->write_failed)
			PT_LOG_ERRNO(PT_LOG_ERR, "cache %s: cannot write in %s: "
			    "passing through", x->z->name, x->z->dir);
		x->z->write_failed = true;
		cache_release(x, CI_FREE, 0);
		cache_set_status(r, x, "fwd=uri-miss; detail=write-failed");
		return (PT_DECLINED);
	}
	cache_set_status(r, x, x->has_stale ? "fwd=stale; stored" :
	    "fwd=uri-miss; stored");
	pt_filter_set_ctx(f, x);
	pt_filter_keep_length(f);	/* the store only watches the body */
	return (PT_OK);
}

static void
cache_commit(struct cache_ctx *x)
{
	uint64_t	size;

	if (cs_commit(x->w, &size) == -1) {
		x->w = NULL;
		cache_release(x, CI_FREE, 0);
		return;
	}
	x->w = NULL;
	x->z->write_failed = false;
	ci_set(x->z->ix, x->z->dir, x->store_h, CI_VALID, size, NULL, 0);
	if (x->vary[0] != '\0')
		ci_set(x->z->ix, x->z->dir, x->primary, CI_VALID, 0, x->vary, 0);
	else if (!hash_eq(x->store_h, x->primary))
		ci_set(x->z->ix, x->z->dir, x->primary, CI_FREE, 0, NULL, 0);
	if (x->claimed && (hash_eq(x->claim_h, x->store_h) ||
	    hash_eq(x->claim_h, x->primary)))
		x->claimed = false;
	cache_release(x, CI_FREE, 0);
}

static int
cache_body_fn(struct pt_filter *f, struct pt_request *r, const void *buf,
    size_t len, bool eos)
{
	struct cache_ctx	*x = pt_filter_ctx(f);

	if (x != NULL && x->w != NULL && len > 0) {
		if (x->written + len > (uint64_t)x->z->zc->max_object ||
		    cs_write(x->w, buf, len) == -1) {
			if (errno == ENOSPC && !x->z->write_failed)
				PT_LOG(PT_LOG_ERR, "cache %s: disk full: "
				    "passing through", x->z->name);
			x->z->write_failed = errno == ENOSPC;
			cs_abort(x->w);
			x->w = NULL;
			cache_release(x, CI_PASS, CACHE_PASS_MS);
		} else
			x->written += len;
	}
	if (x != NULL && x->w != NULL && eos)
		cache_commit(x);
	return (pt_filter_next(f, r, buf, len, eos));
}

/* Fields a 304 never replaces: they describe the stored body. */
static bool
cache_no_update(const char *n)
{
	return (strcasecmp(n, "Content-Encoding") == 0 ||
	    strcasecmp(n, "Content-Length") == 0 ||
	    strcasecmp(n, "Content-MD5") == 0 ||
	    strcasecmp(n, "Content-Range") == 0 ||
	    strcasecmp(n, "ETag") == 0);
}

/* 4.3.4: the stored fields updated with those of a 304. */
static void
cache_merge_304(struct pt_request *r, struct cache_ctx *x, struct cs_meta *m)
{
	const char	*n, *v;
	size_t		 i, k, cap;

	for (cap = x->stale.nfields, i = 0; pt_resp_header_at(r, i, &n, &v); i++)
		cap++;
	m->names = pt_calloc(pt_req_arena(r), cap + 1, sizeof(char *));
	m->values = pt_calloc(pt_req_arena(r), cap + 1, sizeof(char *));
	if (m->names == NULL || m->values == NULL)
		return;
	k = 0;
	for (i = 0; i < x->stale.nfields; i++)
		if (pt_resp_header(r, x->stale.names[i]) == NULL ||
		    cache_skip_field(x->cf, x->stale.names[i]) ||
		    cache_no_update(x->stale.names[i])) {
			m->names[k] = x->stale.names[i];
			m->values[k++] = x->stale.values[i];
		}
	for (i = 0; pt_resp_header_at(r, i, &n, &v); i++)
		if (!cache_skip_field(x->cf, n) && !cache_no_update(n)) {
			m->names[k] = n;
			m->values[k++] = v;
		}
	m->nfields = k;
}

/* Rewrites the entry with the new fields and the stored body. */
static void
cache_rewrite(struct pt_request *r, struct cache_ctx *x, struct cs_meta *m,
    const void *body)
{
	struct cs_writer	*w;
	uint64_t		 size;

	if ((w = cs_begin(pt_req_arena(r), x->z->dir, x->h, m)) == NULL)
		return;
	if (cs_write(w, body, m->body_len) == -1 || cs_commit(w, &size) == -1) {
		cs_abort(w);
		return;
	}
	ci_set(x->z->ix, x->z->dir, x->h, CI_VALID, size, NULL, 0);
}

/* The stored response goes out in place of the origin's answer. */
static void
cache_replace(struct pt_request *r, struct cache_ctx *x, struct cs_meta *m,
    const void *body, int64_t age, const char *st)
{
	cache_fields_out(r, m, age);
	cache_set_status(r, x, st);
	if (cache_client_304(r, x, m)) {
		pt_resp_set_status(r, 304);
		pt_resp_replace_body(r, NULL, 0);
		return;
	}
	pt_resp_set_status(r, m->status);
	pt_resp_replace_body(r, body, m->body_len);
}

/* A stale entry was sent for validation; true when the answer is done. */
static bool
cache_validated(struct pt_request *r, struct cache_ctx *x)
{
	struct cs_meta		 m = x->stale;
	struct cache_resp	 rs;
	const void		*body;
	int			 st = pt_resp_status(r);
	int64_t			 life, age;

	if ((body = cache_body(r, &x->stale)) == NULL)
		return (false);
	if (st == 304) {
		cache_merge_304(r, x, &m);
		m.req_time = x->req_time;
		m.resp_time = now_s();
		cache_meta_resp(x->cf, &m, &rs);
		if (rs.cc.no_store || x->no_store)
			ci_remove(x->z->ix, x->z->dir, x->h);
		else
			cache_rewrite(r, x, &m, body);
		cache_replace(r, x, &m, body, cache_age(&m, &rs),
		    "fwd=stale; fwd-status=304");
		return (true);
	}
	if (st < 500)
		return (false);
	/* stale-if-error (RFC 5861) */
	cache_meta_resp(x->cf, &x->stale, &rs);
	life = cache_rfc_lifetime(&rs, x->stale.resp_time,
	    x->cf->heuristic_max / 1000);
	age = cache_age(&x->stale, &rs);
	if ((rs.cc.sie == CACHE_NONE || age - life > rs.cc.sie) &&
	    (x->req_cc.sie == CACHE_NONE || age - life > x->req_cc.sie))
		return (false);
	if (!cache_rfc_may_serve_stale(&rs.cc) && !rs.cc.no_cache)
		return (false);
	cache_replace(r, x, &x->stale, body, age, pt_printf(pt_req_arena(r),
	    "hit; fwd=stale; fwd-status=%d; detail=stale-if-error", st));
	return (true);
}

static int
cache_head(struct pt_filter *f, struct pt_request *r)
{
	struct cache_ctx	*x = pt_req_module_ctx(r, &portier_module);

	if (x == NULL)
		return (PT_DECLINED);
	cache_arena = pt_req_arena(r);
	switch (x->mode) {
	case CM_SERVED:
		return (PT_DECLINED);
	case CM_NONE:
		cache_set_status(r, x, "fwd=bypass");
		return (PT_DECLINED);
	case CM_UNSAFE:
		return (cache_unsafe(r, x));
	case CM_VALIDATE:
		if (cache_validated(r, x)) {
			x->mode = CM_SERVED;
			return (PT_DECLINED);
		}
		/* FALLTHROUGH */
	case CM_MISS:
		return (cache_store_head(f, r, x));
	}
	return (PT_DECLINED);
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
	return (PT_OK);
}

/* Helper process: inactive objects and the size bound, every second. */
static long long
cache_periodic(const struct pt_conf *cf, long long now)
{
	size_t	i;

	(void)cf;
	(void)now;
	for (i = 0; i < nzones; i++)
		if (zones[i].ix != NULL)
			ci_expire(zones[i].ix, zones[i].dir,
			    zones[i].zc->inactive);
	return (1000);
}

static int
cache_post_config(struct pt_conf *cf)
{
	const struct cache_conf	*g = pt_module_conf_global(cf, &portier_module);
	struct cache_zone	*z;
	bool			 fresh;
	size_t			 i;

	nzones = 0;
	for (i = 0; i < g->nzones && i < CACHE_MAX_ZONES; i++) {
		z = &zones[nzones];
		memset(z, 0, sizeof(*z));
		z->zc = &g->zones[i];
		snprintf(z->name, sizeof(z->name), "%s", z->zc->name);
		snprintf(z->dir, sizeof(z->dir), "%s", z->zc->dir);
		if (mkdir(z->dir, 0700) == -1 && errno != EEXIST)
			PT_LOG_ERRNO(PT_LOG_ERR, "cache %s: mkdir %s: the zone "
			    "passes through", z->name, z->dir);
		if ((z->ix = ci_zone_setup(z->name, z->zc->size, &fresh))
		    == NULL) {
			PT_LOG_ERRNO(PT_LOG_ERR, "cache %s: shared memory",
			    z->name);
			return (-1);
		}
		if (fresh)
			cs_rescan(z->ix, z->dir);
		nzones++;
	}
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
