/*
 * mod_cache purges: by key, by key prefix and by tag (the origin's
 * Surrogate-Key and Cache-Tag fields). Every purge is a rule recorded in
 * the core store as a journal, so hosts sharing a store share purges:
 * "cache:pgen:ZONE" counts the rules and "cache:plog:ZONE:N" holds rule N
 * as "MS KIND PATTERN". A rule removes the objects stored (requested)
 * before its time. The zone's index says which rules this host has seen
 * and which the helper process has applied to the files; workers check
 * hits and new objects against the rules read but not yet applied, so a
 * purge holds from the moment it is answered.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <portier/arena.h>
#include <portier/module.h>
#include <portier/request.h>
#include <portier/store.h>
#define PT_LOG_TAG "cache"
#include <portier/log.h>
#include "cache.h"
#include "cache_rfc.h"

#define CP_RECORD_TTL	(7LL * 86400 * 1000)	/* ms a rule stays readable */
#define CP_STUCK_MS	5000	/* a rule never written (purger died) */
#define CP_PAT_MAX	4096

int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static size_t
cp_gen_key(char *buf, size_t n, const struct cache_zone *z)
{
	return ((size_t)snprintf(buf, n, "cache:pgen:%s", z->name));
}

static size_t
cp_rec_key(char *buf, size_t n, const struct cache_zone *z, uint64_t gen)
{
	return ((size_t)snprintf(buf, n, "cache:plog:%s:%" PRIu64, z->name,
	    gen));
}

/* The store's rule count: PT_OK, PT_DECLINED (absent: 0) or PT_ERROR. */
static int
cp_store_gen(const struct cache_zone *z, uint64_t *gen, char *raw,
    size_t *rlen)
{
	char	k[96];
	size_t	kl = cp_gen_key(k, sizeof(k), z);
	int	rc;

	*rlen = 31;
	rc = pt_store_get(k, kl, raw, rlen);
	if (rc == PT_DECLINED) {
		*gen = 0;
		*rlen = 0;
		return (PT_DECLINED);
	}
	if (rc != PT_OK)
		return (PT_ERROR);
	raw[*rlen] = '\0';
	*gen = strtoull(raw, NULL, 10);
	return (PT_OK);
}

/* Records a rule: the next number, then its text; 0 or -1. */
static int
cp_record(struct cache_zone *z, char kind, const char *pat, uint64_t *gen)
{
	char		 k[96], raw[32], nw[32], rec[CP_PAT_MAX + 64];
	size_t		 kl = cp_gen_key(k, sizeof(k), z), rl, nl;
	uint64_t	 g, seen, swept;
	int		 rc, tries;

	for (tries = 0; tries < 64; tries++) {
		if ((rc = cp_store_gen(z, &g, raw, &rl)) == PT_ERROR)
			return (-1);
		ci_purge_gens(z->ix, &seen, &swept);
		if (g < seen)	/* the store lost its count: go on from ours */
			g = seen;
		nl = (size_t)snprintf(nw, sizeof(nw), "%" PRIu64, g + 1);
		rc = pt_store_cas(k, kl, rc == PT_OK ? raw : NULL, rl, nw, nl,
		    0);
		if (rc == PT_OK)
			break;
		if (rc != PT_DECLINED)
			return (-1);
	}
	if (tries == 64)
		return (-1);
	*gen = g + 1;
	kl = cp_rec_key(k, sizeof(k), z, *gen);
	rl = (size_t)snprintf(rec, sizeof(rec), "%lld %c %s",
	    (long long)now_ms(), kind, pat);
	if (pt_store_set(k, kl, rec, rl, CP_RECORD_TTL) != PT_OK)
		return (-1);
	ci_purge_raise(z->ix, *gen, 0);
	return (0);
}

/* Reads rule gen: PT_OK, PT_DECLINED when absent, or PT_ERROR. */
static int
cp_load(const struct cache_zone *z, uint64_t gen, struct cp_rule *out)
{
	char		 k[96], rec[CP_PAT_MAX + 64], *e;
	size_t		 kl = cp_rec_key(k, sizeof(k), z, gen), rl = sizeof(rec) - 1;
	int		 rc;

	if ((rc = pt_store_get(k, kl, rec, &rl)) != PT_OK)
		return (rc == PT_DECLINED ? PT_DECLINED : PT_ERROR);
	rec[rl] = '\0';
	out->gen = gen;
	out->ms = strtoll(rec, &e, 10);
	if (e[0] != ' ' || strchr("kpt", e[1]) == NULL || e[1] == '\0' ||
	    e[2] != ' ' || (out->pat = strdup(e + 3)) == NULL)
		return (PT_ERROR);
	out->kind = e[1];
	return (PT_OK);
}

/* Drops rules already applied to the files and older than this request. */
static void
cp_prune(struct cp_rules *l, uint64_t swept, int64_t req_ms)
{
	size_t	i, k = 0;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].gen <= swept && l->v[i].ms < req_ms) {
			free(l->v[i].pat);
			continue;
		}
		l->v[k++] = l->v[i];
	}
	l->n = k;
}

static void
cp_add(struct cp_rules *l, const struct cp_rule *r)
{
	struct cp_rule	*v;
	size_t		 cap = l->cap ? l->cap * 2 : 8;

	if (l->n == l->cap) {
		if ((v = realloc(l->v, cap * sizeof(*v))) == NULL) {
			free(r->pat);
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *r;
}

/* Brings this worker's rules up to what the host has seen. */
static void
cp_refresh(struct cache_zone *z, int64_t req_ms)
{
	struct cp_rules	*l = &z->rules;
	struct cp_rule	 r;
	uint64_t	 seen, swept;
	int		 rc;

	ci_purge_gens(z->ix, &seen, &swept);
	if (!l->init || l->gen > seen) {
		l->init = true;
		l->gen = swept;
	}
	if (l->n > 0)
		cp_prune(l, swept, req_ms);
	while (l->gen < seen) {
		if ((rc = cp_load(z, l->gen + 1, &r)) == PT_OK)
			cp_add(l, &r);
		else if (rc == PT_DECLINED && l->gen + 1 > swept)
			break;	/* being written: the next request reads it */
		l->gen++;
	}
}

bool
cache_purged(struct cache_zone *z, int64_t req_ms, const char *key,
    const char *tags, int64_t obj_ms)
{
	struct cp_rules	*l = &z->rules;
	size_t		 i;

	cp_refresh(z, req_ms);
	for (i = 0; i < l->n; i++)
		if (l->v[i].ms > obj_ms && cache_purge_match(l->v[i].kind,
		    l->v[i].pat, key, tags))
			return (true);
	return (false);
}

const char *
cache_tags(struct pt_arena *a, const char *(*get)(const void *, const char *),
    const void *src)
{
	return (cache_tags_of(a, get(src, "Surrogate-Key"),
	    get(src, "Cache-Tag")));
}

/* Both fields' tags, from their values (either may be NULL). */
const char *
cache_tags_of(struct pt_arena *a, const char *s, const char *c)
{
	if (s == NULL || c == NULL)
		return (s != NULL ? s : c);
	return (pt_printf(a, "%s %s", s, c));
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

/* The exact key here and now: the object and the variant the request names. */
static bool
cache_purge_local(struct pt_request *r, struct cache_ctx *x)
{
	struct ci_info	ci;
	bool		found = false;

	if (ci_get(x->z->ix, x->primary, &ci, false, NULL) == 0 && ci.root &&
	    ci.state == CI_VALID)
		found = ci_remove(x->z->ix, x->z->dir,
		    cache_vary_hash(r, x->key, ci.vary));
	return (ci_remove(x->z->ix, x->z->dir, x->primary) || found);
}

static int
cache_purge_answer(struct pt_request *r, struct cache_ctx *x, int status,
    const char *text)
{
	x->mode = CM_SERVED;
	return (pt_resp_send(r, status, "text/plain", text, strlen(text)) ==
	    PT_OK ? PT_OK : PT_DONE);
}

/*
 * PURGE: the object of the URI (200, or 404 when none was here); with a
 * target ending in "*", every key with that prefix; with Surrogate-Key or
 * Cache-Tag in the request, every object carrying one of those tags.
 */
int
cache_purge(struct pt_request *r, struct cache_ctx *x)
{
	struct pt_str	 tv;
	const char	*who = pt_req_client_addr(r), *what = x->key, *p;
	char		 kind = 'k', tag[CP_PAT_MAX];
	size_t		 n = strlen(x->key);
	uint64_t	 gen = 0;
	bool		 found = false;
	int		 rc = 0;

	if (!cache_purge_allowed(r, x->cf))
		return (403);
	if (pt_req_header(r, "Surrogate-Key", &tv) ||
	    pt_req_header(r, "Cache-Tag", &tv)) {
		kind = 't';
		what = pt_strndup(pt_req_arena(r), tv.p, tv.len);
	} else if (n > 0 && x->key[n - 1] == '*') {
		kind = 'p';
		what = pt_strndup(pt_req_arena(r), x->key, n - 1);
	}
	if (what == NULL || strlen(what) >= CP_PAT_MAX)
		return (what == NULL ? 500 : 414);
	if (kind == 'k') {
		found = cache_purge_local(r, x);
		rc = cp_record(x->z, kind, what, &gen);
	}
	for (p = what; kind == 't' && rc == 0 && *p != '\0'; ) {
		n = strcspn(p, " ,\t");
		if (n > 0) {
			snprintf(tag, sizeof(tag), "%.*s", (int)n, p);
			rc = cp_record(x->z, kind, tag, &gen);
		}
		p += n + (p[n] != '\0');
	}
	if (kind == 'p')
		rc = cp_record(x->z, kind, what, &gen);
	if (rc != 0) {
		PT_RLOG(r, PT_LOG_ERR, "purge %s %s by %s: not recorded in the "
		    "store", kind == 't' ? "tag" : kind == 'p' ? "prefix" :
		    "key", what, who);
		return (cache_purge_answer(r, x, 503, "purge not recorded\n"));
	}
	PT_RLOG(r, PT_LOG_NOTICE, "purge %s %s in zone %s by %s (rule %" PRIu64
	    ")%s", kind == 't' ? "tag" : kind == 'p' ? "prefix" : "key", what,
	    x->z->name, who, gen, kind != 'k' ? "" : found ? ": removed" :
	    ": not cached");
	if (kind != 'k')
		return (cache_purge_answer(r, x, 200, "purge recorded\n"));
	return (cache_purge_answer(r, x, found ? 200 : 404, found ? "purged\n" :
	    "not in cache\n"));
}

/* Helper: rules seen but not swept, against the files. */
struct cp_sweep {
	struct cache_zone	*z;
	struct cp_rule		*v;
	size_t			 n;
};

static bool
cp_sweep_one(void *arg, struct cache_hash h, const char *key, const char *tags,
    int64_t req_ms)
{
	struct cp_sweep	*s = arg;
	size_t		 i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].ms > req_ms && cache_purge_match(s->v[i].kind,
		    s->v[i].pat, key, tags)) {
			ci_remove(s->z->ix, s->z->dir, h);
			return (true);
		}
	return (false);
}

static bool
cp_sweep_mem(void *arg, struct cache_hash h, const void *rec, size_t len)
{
	(void)h;
	return (cs_scan_record(rec, len, cp_sweep_one, arg));
}

/* Publishes the rules of the store (other hosts' too) to this host. */
static uint64_t
cp_publish(struct cache_zone *z, uint64_t seen)
{
	struct cp_rule	r;
	char		raw[32];
	size_t		rl;
	uint64_t	g;
	int		rc;

	if (cp_store_gen(z, &g, raw, &rl) == PT_ERROR)
		return (seen);
	while (seen < g) {
		if ((rc = cp_load(z, seen + 1, &r)) == PT_OK)
			free(r.pat);
		else if (rc == PT_DECLINED) {
			if (z->stuck_gen != seen + 1) {
				z->stuck_gen = seen + 1;
				z->stuck_since = now_ms();
			}
			if (now_ms() - z->stuck_since < CP_STUCK_MS)
				break;
			PT_LOG(PT_LOG_WARN, "cache %s: purge rule %" PRIu64
			    " was never written: skipped", z->name, seen + 1);
		}
		seen++;
	}
	ci_purge_raise(z->ix, seen, 0);
	return (seen);
}

void
cache_purge_sweep(struct cache_zone *z)
{
	struct cp_sweep	 s = { .z = z };
	struct cp_rule	 r;
	uint64_t	 seen, swept, g;
	size_t		 i;
	int		 removed;

	ci_purge_gens(z->ix, &seen, &swept);
	seen = cp_publish(z, seen);
	if (swept >= seen)
		return;
	if ((s.v = calloc((size_t)(seen - swept), sizeof(*s.v))) == NULL)
		return;
	for (g = swept + 1; g <= seen; g++)
		if (cp_load(z, g, &r) == PT_OK)
			s.v[s.n++] = r;
	removed = s.n > 0 ? cs_scan(z->dir, cp_sweep_one, &s) +
	    ci_mem_each(z->ix, cp_sweep_mem, &s) : 0;
	for (i = 0; i < s.n; i++)
		free(s.v[i].pat);
	free(s.v);
	PT_LOG(PT_LOG_NOTICE, "cache %s: purge rules %" PRIu64 "-%" PRIu64
	    " applied to the files and memory: %d objects removed", z->name, swept + 1,
	    seen, removed);
	ci_purge_raise(z->ix, 0, seen);
}
