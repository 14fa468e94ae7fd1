/*
 * mod_cache's store filter, nearest the origin: writes storable responses
 * to the zone, invalidates on unsafe methods, and turns a 304 (or an
 * error, with stale-if-error) into the stored response.
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

PT_API extern const struct pt_module portier_module;

void
cache_release(struct cache_ctx *x, int state, long long ms)
{
	if (!x->claimed)
		return;
	x->claimed = false;
	ci_set(x->z->ix, x->z->dir, x->claim_h, state, 0, NULL, ms);
}

/* The zone's index when it keeps small objects in memory. */
static struct ci_zone *
cache_zone_mem(const struct cache_zone *z)
{
	return (z->zc->memory > 0 ? z->ix : NULL);
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

/* Named n (of length len), case aside. */
static bool
name_is(const char *n, size_t len, const char *name)
{
	return (strlen(name) == len && strcasecmp(n, name) == 0);
}

/* Fields never stored: hop-by-hop, framing, and this cache's own. */
static bool
cache_skip_field(const char *n)
{
	size_t	len = strlen(n);

	switch (len) {
	case 2:
		return (name_is(n, len, "TE"));
	case 6:
		return (name_is(n, len, "Server"));
	case 7:
		return (name_is(n, len, "X-Cache") ||
		    name_is(n, len, "Upgrade"));
	case 10:
		return (name_is(n, len, "Connection") ||
		    name_is(n, len, "Keep-Alive"));
	case 12:
		return (name_is(n, len, "Cache-Status"));
	case 14:
		return (name_is(n, len, "Content-Length"));
	case 16:
		return (name_is(n, len, "Proxy-Connection"));
	case 17:
		return (name_is(n, len, "Transfer-Encoding"));
	case 18:
		return (name_is(n, len, "Proxy-Authenticate"));
	case 19:
		return (name_is(n, len, "Proxy-Authorization"));
	case 25:
		return (name_is(n, len, "Proxy-Authentication-Info"));
	default:
		return (false);
	}
}

/*
 * The response fields the store reads, found in one pass over the fields
 * (repeated lines joined with ", ", RFC 9110 5.3; Expires: the first).
 */
struct cache_rscan {
	struct pt_arena	*a;
	const char	*target, *cdn_cc, *cc, *vary, *skey, *ctag, *expires;
	size_t		 nfields;
};

static void
rscan_join(struct cache_rscan *s, const char **slot, const char *v)
{
	*slot = *slot == NULL ? v : pt_printf(s->a, "%s, %s", *slot, v);
}

static void
cache_rscan(struct pt_request *r, const struct cache_conf *cf,
    struct cache_rscan *s)
{
	const char	*n, *v;
	size_t		 len, i;

	memset(s, 0, sizeof(*s));
	s->a = pt_req_arena(r);
	for (i = 0; pt_resp_header_at(r, i, &n, &v); i++) {
		len = strlen(n);
		if (cf->target_field[0] != '\0' &&
		    name_is(n, len, cf->target_field))
			rscan_join(s, &s->target, v);
		else if (name_is(n, len, "Cache-Control"))
			rscan_join(s, &s->cc, v);
		else if (name_is(n, len, "CDN-Cache-Control"))
			rscan_join(s, &s->cdn_cc, v);
		else if (name_is(n, len, "Vary"))
			rscan_join(s, &s->vary, v);
		else if (name_is(n, len, "Surrogate-Key"))
			rscan_join(s, &s->skey, v);
		else if (name_is(n, len, "Cache-Tag"))
			rscan_join(s, &s->ctag, v);
		else if (s->expires == NULL && name_is(n, len, "Expires"))
			s->expires = v;
	}
	s->nfields = i;
}

/* Cache-Control for this cache from the scan, as cache_resp_cc reads it. */
static void
rscan_cc(const struct cache_rscan *s, struct cache_cc *cc)
{
	const char	*v = s->target != NULL ? s->target :
			    s->cdn_cc != NULL ? s->cdn_cc : s->cc;

	cache_cc_init(cc);
	if (v != NULL)
		cache_cc_parse(cc, v, strlen(v));
}

/* The response's fields, for a file. */
static int
cache_snapshot(struct pt_request *r, struct cache_ctx *x, size_t nfields,
    struct cs_meta *m)
{
	const char	*n, *v;
	size_t		 i, k = 0;

	m->names = pt_alloc(pt_req_arena(r), (nfields + 1) * sizeof(char *));
	m->values = pt_alloc(pt_req_arena(r), (nfields + 1) * sizeof(char *));
	if (m->names == NULL || m->values == NULL)
		return (-1);
	for (i = 0; i < nfields && pt_resp_header_at(r, i, &n, &v); i++)
		if (!cache_skip_field(n)) {
			m->names[k] = n;
			m->values[k++] = v;
		}
	m->names[k] = NULL;
	m->values[k] = NULL;
	m->nfields = k;
	m->status = pt_resp_status(r);
	m->key = x->key;
	m->req_ms = x->req_ms;
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

/*
 * Fields for this cache alone: read (and stored), then removed; with a
 * scan s, only those it found.
 */
static void
cache_forward_clean(struct pt_request *r, struct cache_ctx *x,
    const struct cache_rscan *s)
{
	if (x->cf->target_field[0] != '\0' && (s == NULL || s->target != NULL))
		pt_resp_header_remove(r, x->cf->target_field);
	if (s == NULL || s->cdn_cc != NULL)
		pt_resp_header_remove(r, "CDN-Cache-Control");
	if (s == NULL || s->skey != NULL)
		pt_resp_header_remove(r, "Surrogate-Key");
	if (s == NULL || s->ctag != NULL)
		pt_resp_header_remove(r, "Cache-Tag");
}

static int
cache_store_head(struct pt_filter *f, struct pt_request *r,
    struct cache_ctx *x)
{
	struct cache_resp	 rs;
	struct cache_rscan	 sc;
	struct cs_meta		 m;
	const char		*why = NULL;
	int64_t			 cl = pt_resp_content_length(r);

	memset(&rs, 0, sizeof(rs));
	rs.status = pt_resp_status(r);
	cache_rscan(r, x->cf, &sc);
	rscan_cc(&sc, &rs.cc);
	if (sc.expires != NULL) {
		rs.has_expires = true;
		rs.expires = date_of(sc.expires);
	}
	rs.vary_star = !cache_vary_names(sc.vary, x->vary, sizeof(x->vary));
	if (x->head || x->no_store)
		why = x->head ? "head" : "no-store";
	else if (!cache_rfc_storable(&rs, pt_req_header(r, "Authorization",
	    NULL), &why))
		;
	else if (cl > x->z->zc->max_object)
		why = "too-large";
	memset(&m, 0, sizeof(m));
	if (why == NULL && cache_snapshot(r, x, sc.nfields, &m) == -1)
		why = "memory";
	x->tags = cache_tags_of(pt_req_arena(r), sc.skey, sc.ctag);
	cache_forward_clean(r, x, &sc);
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
	if ((x->w = cs_begin(pt_req_arena(r), x->z->dir, x->store_h, &m,
	    cache_zone_mem(x->z), (uint64_t)x->z->zc->memory_max_object))
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
	bool		in_mem;

	/* A purge while this was fetched: the object is already gone. */
	if (cache_purged(x->z, x->req_ms, x->key, x->tags, x->req_ms)) {
		cs_abort(x->w);
		x->w = NULL;
		cache_release(x, CI_FREE, 0);
		return;
	}
	if (cs_commit(x->w, &size, &in_mem) == -1) {
		if (errno == ENOSPC && !x->z->write_failed)
			PT_LOG(PT_LOG_ERR, "cache %s: disk full: passing "
			    "through", x->z->name);
		x->z->write_failed = errno == ENOSPC;
		x->w = NULL;
		cache_release(x, CI_FREE, 0);
		return;
	}
	x->w = NULL;
	x->z->write_failed = false;
	if (!in_mem)
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

int
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
		    cache_skip_field(x->stale.names[i]) ||
		    cache_no_update(x->stale.names[i])) {
			m->names[k] = x->stale.names[i];
			m->values[k++] = x->stale.values[i];
		}
	for (i = 0; pt_resp_header_at(r, i, &n, &v); i++)
		if (!cache_skip_field(n) && !cache_no_update(n)) {
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
	bool			 in_mem;

	if ((w = cs_begin(pt_req_arena(r), x->z->dir, x->h, m,
	    cache_zone_mem(x->z), (uint64_t)x->z->zc->memory_max_object))
	    == NULL)
		return;
	if (cs_write(w, body, m->body_len) == -1 ||
	    cs_commit(w, &size, &in_mem) == -1) {
		cs_abort(w);
		return;
	}
	if (!in_mem)
		ci_set(x->z->ix, x->z->dir, x->h, CI_VALID, size, NULL, 0);
}

/* The stored response goes out in place of the origin's answer. */
static void
cache_replace(struct pt_request *r, struct cache_ctx *x, struct cs_meta *m,
    const void *body, int64_t age, const char *st)
{
	cache_fields_out(r, x->cf, m, age);
	cache_set_status(r, x, st);
	if (cache_client_304(r, x, m)) {
		pt_resp_set_status(r, 304);
		pt_resp_replace_body(r, NULL, 0);
		return;
	}
	pt_resp_set_status(r, m->status);
	pt_resp_replace_body(r, body, m->body_len);
}

/* stale-if-error (RFC 5861) from the response or the request. */
static bool
cache_sie_ok(const struct cache_ctx *x, const struct cache_resp *rs,
    int64_t life, int64_t age)
{
	if ((rs->cc.sie == CACHE_NONE || age - life > rs->cc.sie) &&
	    (x->req_cc.sie == CACHE_NONE || age - life > x->req_cc.sie))
		return (false);
	return (cache_rfc_may_serve_stale(&rs->cc) || rs->cc.no_cache);
}

/*
 * The origin could not be reached (502, 504: the proxy's own answers when
 * it cannot connect or the origin closes or times out, or a gateway's):
 * a disconnected cache may serve stale (RFC 9111 4.2.4) within
 * stale_if_unreachable, unless a directive forbids it (5.2.2).
 */
static bool
cache_unreachable_ok(const struct cache_ctx *x, const struct cache_resp *rs,
    int st, int64_t life, int64_t age)
{
	return ((st == 502 || st == 504) && x->cf->stale_unreachable > 0 &&
	    age - life <= x->cf->stale_unreachable / 1000 &&
	    cache_rfc_may_serve_stale(&rs->cc) && !rs->cc.no_cache &&
	    !x->req_cc.no_cache && !(x->pragma && !x->req_cc.any));
}

/* A stale entry was sent for validation; true when the answer is done. */
static bool
cache_validated(struct pt_request *r, struct cache_ctx *x)
{
	struct cs_meta		 m = x->stale;
	struct cache_resp	 rs;
	const void		*body;
	const char		*why;
	int			 st = pt_resp_status(r);
	int64_t			 life, age;

	if ((body = cache_body(r, &x->stale)) == NULL)
		return (false);
	if (st == 304) {
		cache_merge_304(r, x, &m);
		m.req_time = x->req_time;
		m.req_ms = x->req_ms;
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
	cache_meta_resp(x->cf, &x->stale, &rs);
	life = cache_rfc_lifetime(&rs, x->stale.resp_time,
	    x->cf->heuristic_max / 1000);
	age = cache_age(&x->stale, &rs);
	if (cache_sie_ok(x, &rs, life, age))
		why = "stale-if-error";
	else if (cache_unreachable_ok(x, &rs, st, life, age))
		why = "origin-unreachable";
	else
		return (false);
	cache_replace(r, x, &x->stale, body, age, pt_printf(pt_req_arena(r),
	    "hit; fwd=stale; fwd-status=%d; detail=%s", st, why));
	return (true);
}

int
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
		cache_forward_clean(r, x, NULL);
		cache_set_status(r, x, "fwd=bypass");
		return (PT_DECLINED);
	case CM_UNSAFE:
		cache_forward_clean(r, x, NULL);
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
