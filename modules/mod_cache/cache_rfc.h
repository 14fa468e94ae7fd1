/*
 * mod_cache, pure RFC 9111 logic: Cache-Control parsing, storability,
 * freshness lifetime, Age, request directives and the reuse decision.
 * No server headers here: t/unit/test_cache_rfc.c links it alone.
 */
#ifndef CACHE_RFC_H
#define CACHE_RFC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CACHE_NONE	(-1LL)		/* a delta-seconds directive absent */
#define CACHE_INF	(INT64_MAX / 4)	/* max-stale without a value */

/* Cache-Control (request or response), every field accumulated. */
struct cache_cc {
	bool	 no_store, no_cache, priv, pub, must_revalidate;
	bool	 proxy_revalidate, only_if_cached, no_transform, immutable;
	bool	 must_understand;
	bool	 no_cache_fields;	/* no-cache="a, b": listed fields */
	bool	 priv_fields;		/* private="a": treated as private */
	bool	 any;			/* at least one directive seen */
	int64_t	 max_age, s_maxage, max_stale, min_fresh;
	int64_t	 swr, sie;		/* stale-while-revalidate, -if-error */
	char	 nc_names[128];		/* no-cache field names, lowercase */
};

void	cache_cc_init(struct cache_cc *);
/* Adds one field value's directives; contradictions read restrictively. */
void	cache_cc_parse(struct cache_cc *, const char *v, size_t len);

/* An HTTP-date (IMF-fixdate, RFC 850, asctime) in seconds; -1 invalid. */
int64_t	cache_http_date(const char *s, size_t len);
/* Formats an IMF-fixdate into out (32 bytes). */
void	cache_http_date_fmt(int64_t t, char *out);
/* An Age field value: anything but one delta-seconds reads as very old. */
int64_t	cache_age_value(const char *s, size_t len);
/* delta-seconds: -1 invalid; huge values clamp to 2^31. */
int64_t	cache_delta(const char *s, size_t len);

/* Statuses cacheable by default (RFC 9110 15.1: heuristic freshness). */
bool	cache_status_heuristic(int status);

/* What the cache knows about a response when it is received. */
struct cache_resp {
	int		 status;
	struct cache_cc	 cc;
	bool		 has_expires;
	int64_t		 expires;	/* -1 when invalid */
	int64_t		 date;		/* -1 absent or invalid */
	int64_t		 last_modified;	/* -1 */
	int64_t		 age;		/* Age field, -1 */
	bool		 vary_star;
};

/* RFC 9111 3 for a shared cache; why == NULL or a short reason. */
bool	cache_rfc_storable(const struct cache_resp *, bool authorization,
	    const char **why);

/*
 * Freshness lifetime in seconds (4.2.1), heuristic 10% of the time since
 * Last-Modified, at most heuristic_max; 0 when none applies.
 */
int64_t	cache_rfc_lifetime(const struct cache_resp *, int64_t resp_time,
	    int64_t heuristic_max);

/* current_age (4.2.3); times in seconds. */
int64_t	cache_rfc_age(int64_t age_value, int64_t date, int64_t req_time,
	    int64_t resp_time, int64_t now);

enum cache_use {
	CACHE_USE_FRESH,	/* serve as is */
	CACHE_USE_STALE,	/* stale, but the client accepts it */
	CACHE_USE_VALIDATE	/* must be validated with the origin */
};

/*
 * Whether a stored response can be reused for this request (4.2, 5.2.1).
 * pragma_no_cache only counts when the request had no Cache-Control.
 */
enum cache_use cache_rfc_use(const struct cache_cc *req, bool pragma_no_cache,
	    const struct cache_cc *resp, int64_t lifetime, int64_t age);

/* Whether a stale response may still be served (no must-revalidate...). */
bool	cache_rfc_may_serve_stale(const struct cache_cc *resp);

/* Request methods that invalidate (4.4): not GET, HEAD, OPTIONS, TRACE. */
bool	cache_method_unsafe(const char *m, size_t len);

/*
 * A Range field against a stored body of size bytes (RFC 9110 14.2): 1 and
 * the first and last byte for one satisfiable range; 0 to send the whole
 * (not bytes, several ranges, malformed); -1 unsatisfiable (416).
 */
int	cache_range(const char *v, size_t len, uint64_t size, uint64_t *first,
	    uint64_t *last);

/* If-None-Match against an entity tag (weak comparison); true: matches. */
bool	cache_etag_match(const char *inm, size_t len, const char *etag);

/*
 * A purge rule against a stored object's primary key and tags: kind 'k'
 * the exact key, 'p' a key prefix, 't' one tag among tags (separated by
 * spaces or commas, as Surrogate-Key and Cache-Tag write them).
 */
bool	cache_purge_match(char kind, const char *pat, const char *key,
	    const char *tags);

/*
 * Accept-Encoding normalised for a Vary secondary key: the codings among
 * br, deflate, gzip and zstd the field accepts (q > 0, "*" counted, x-gzip
 * as gzip), in that order and comma separated, or "identity" for none.
 * Requests in one bucket accept the same of those codings, so any answer
 * the origin gave one of them suits them all. out holds 32 bytes.
 */
void	cache_ae_bucket(const char *v, size_t len, char *out);

#endif /* CACHE_RFC_H */
