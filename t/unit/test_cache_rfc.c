/*
 * t/unit/test_cache_rfc.c: mod_cache's RFC 9111 logic alone
 * (cache_rfc.c): Cache-Control parsing with contradictions, HTTP-dates,
 * storability, freshness lifetime, Age, and the reuse decision, as tables.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "cache_rfc.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct cache_cc
cc_of(const char *s)
{
	struct cache_cc	cc;

	cache_cc_init(&cc);
	if (s != NULL)
		cache_cc_parse(&cc, s, strlen(s));
	return (cc);
}

static const struct {
	const char	*cc;
	int64_t		 max_age, s_maxage, max_stale, min_fresh;
	int		 no_store, no_cache, priv, pub, mr;
} cc_cases[] = {
	{ "max-age=60", 60, -1, -1, -1, 0, 0, 0, 0, 0 },
	{ "max-age=60, max-age=10", 10, -1, -1, -1, 0, 0, 0, 0, 0 },
	{ "max-age=10, max-age=60", 10, -1, -1, -1, 0, 0, 0, 0, 0 },
	{ "max-age=-5", 0, -1, -1, -1, 0, 0, 0, 0, 0 },
	{ "max-age=abc", 0, -1, -1, -1, 0, 0, 0, 0, 0 },
	{ "max-age=\"30\"", 30, -1, -1, -1, 0, 0, 0, 0, 0 },
	{ "max-age=99999999999999", 2147483648LL, -1, -1, -1, 0, 0, 0, 0, 0 },
	{ "MAX-AGE=5", 5, -1, -1, -1, 0, 0, 0, 0, 0 },
	{ "s-maxage=7,max-age=3", 3, 7, -1, -1, 0, 0, 0, 0, 0 },
	{ "no-store", -1, -1, -1, -1, 1, 0, 0, 0, 0 },
	{ "no-cache", -1, -1, -1, -1, 0, 1, 0, 0, 0 },
	{ "no-cache=\"set-cookie\"", -1, -1, -1, -1, 0, 0, 0, 0, 0 },
	{ "private", -1, -1, -1, -1, 0, 0, 1, 0, 0 },
	{ "private=\"x\"", -1, -1, -1, -1, 0, 0, 1, 0, 0 },
	{ "public, must-revalidate", -1, -1, -1, -1, 0, 0, 0, 1, 1 },
	{ "max-stale", -1, -1, CACHE_INF, -1, 0, 0, 0, 0, 0 },
	{ "max-stale=20", -1, -1, 20, -1, 0, 0, 0, 0, 0 },
	{ "min-fresh=9", -1, -1, -1, 9, 0, 0, 0, 0, 0 },
	{ " , ,max-age=1 ,, ", 1, -1, -1, -1, 0, 0, 0, 0, 0 },
	{ "foo=\"a,b\", max-age=4", 4, -1, -1, -1, 0, 0, 0, 0, 0 },
	{ "", -1, -1, -1, -1, 0, 0, 0, 0, 0 },
};

static void
test_cc_parse(void)
{
	size_t	i;

	for (i = 0; i < NELEM(cc_cases); i++) {
		struct cache_cc	cc = cc_of(cc_cases[i].cc);

		if (cc.max_age != cc_cases[i].max_age ||
		    cc.s_maxage != cc_cases[i].s_maxage ||
		    cc.max_stale != cc_cases[i].max_stale ||
		    cc.min_fresh != cc_cases[i].min_fresh ||
		    cc.no_store != cc_cases[i].no_store ||
		    cc.no_cache != cc_cases[i].no_cache ||
		    cc.priv != cc_cases[i].priv || cc.pub != cc_cases[i].pub ||
		    cc.must_revalidate != cc_cases[i].mr)
			printf("\n  case %zu: \"%s\"\n", i, cc_cases[i].cc);
		CU_ASSERT_EQUAL(cc.max_age, cc_cases[i].max_age);
		CU_ASSERT_EQUAL(cc.s_maxage, cc_cases[i].s_maxage);
		CU_ASSERT_EQUAL(cc.max_stale, cc_cases[i].max_stale);
		CU_ASSERT_EQUAL(cc.min_fresh, cc_cases[i].min_fresh);
		CU_ASSERT_EQUAL(cc.no_store, cc_cases[i].no_store);
		CU_ASSERT_EQUAL(cc.no_cache, cc_cases[i].no_cache);
		CU_ASSERT_EQUAL(cc.priv, cc_cases[i].priv);
		CU_ASSERT_EQUAL(cc.pub, cc_cases[i].pub);
		CU_ASSERT_EQUAL(cc.must_revalidate, cc_cases[i].mr);
	}
	CU_ASSERT(cc_of("no-cache=\"Set-Cookie, X-A\"").no_cache_fields);
	CU_ASSERT_STRING_EQUAL(cc_of("no-cache=\"Set-Cookie, X-A\"").nc_names,
	    "set-cookie,x-a,");
	CU_ASSERT_EQUAL(cc_of("stale-while-revalidate=30").swr, 30);
	CU_ASSERT_EQUAL(cc_of("stale-if-error=60").sie, 60);
	CU_ASSERT(cc_of("only-if-cached").only_if_cached);
	CU_ASSERT(cc_of("x").any);
	CU_ASSERT(!cc_of(NULL).any);
}

static const struct {
	const char	*s;
	int64_t		 t;
} date_cases[] = {
	{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },
	{ "Sunday, 06-Nov-94 08:49:37 GMT", 784111777 },
	{ "Sun Nov  6 08:49:37 1994", 784111777 },
	{ "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
	{ "Sat, 29 Feb 2020 12:00:00 GMT", 1582977600 },
	{ "Sun, 06 Nov 1994 08:49:37 UTC", -1 },
	{ "Sun, 06 Foo 1994 08:49:37 GMT", -1 },
	{ "0", -1 },
	{ "-1", -1 },
	{ "", -1 },
	{ "Sun, 06 Nov 1994 25:49:37 GMT", -1 },
	{ "Sun, 06 Nov 1994 08:49:37 GMT junk", -1 },
};

static void
test_dates(void)
{
	size_t	i;
	char	buf[32];

	for (i = 0; i < NELEM(date_cases); i++) {
		int64_t t = cache_http_date(date_cases[i].s,
		    strlen(date_cases[i].s));

		if (t != date_cases[i].t)
			printf("\n  date \"%s\": %lld\n", date_cases[i].s,
			    (long long)t);
		CU_ASSERT_EQUAL(t, date_cases[i].t);
	}
	cache_http_date_fmt(784111777, buf);
	CU_ASSERT_STRING_EQUAL(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
}

static struct cache_resp
resp_of(int status, const char *cc)
{
	struct cache_resp	rs;

	memset(&rs, 0, sizeof(rs));
	rs.status = status;
	rs.cc = cc_of(cc);
	rs.date = rs.last_modified = rs.age = rs.expires = -1;
	return (rs);
}

static const struct {
	int		 status;
	const char	*cc;
	int		 has_expires, auth, vary_star;
	int		 ok;
} store_cases[] = {
	{ 200, NULL, 0, 0, 0, 1 },		/* heuristically cacheable */
	{ 200, "max-age=60", 0, 0, 0, 1 },
	{ 200, "no-store", 0, 0, 0, 0 },
	{ 200, "private", 0, 0, 0, 0 },
	{ 200, "private=\"x\"", 0, 0, 0, 0 },
	{ 200, "max-age=60, no-store", 0, 0, 0, 0 },
	{ 200, "no-cache", 0, 0, 0, 1 },
	{ 201, NULL, 0, 0, 0, 0 },
	{ 201, "max-age=60", 0, 0, 0, 1 },
	{ 302, NULL, 0, 0, 0, 0 },
	{ 302, NULL, 1, 0, 0, 1 },
	{ 404, NULL, 0, 0, 0, 1 },
	{ 500, NULL, 0, 0, 0, 0 },
	{ 500, "public", 0, 0, 0, 1 },
	{ 206, "max-age=60", 0, 0, 0, 0 },
	{ 304, "max-age=60", 0, 0, 0, 0 },
	{ 100, NULL, 0, 0, 0, 0 },
	{ 200, "max-age=60", 0, 1, 0, 0 },	/* Authorization */
	{ 200, "s-maxage=60", 0, 1, 0, 1 },
	{ 200, "public", 0, 1, 0, 1 },
	{ 200, "must-revalidate, max-age=5", 0, 1, 0, 1 },
	{ 200, "max-age=60", 0, 0, 1, 0 },	/* Vary: * */
	{ 301, NULL, 0, 0, 0, 1 },
	{ 308, NULL, 0, 0, 0, 1 },
	{ 410, NULL, 0, 0, 0, 1 },
	{ 203, NULL, 0, 0, 0, 1 },
	{ 204, NULL, 0, 0, 0, 1 },
	{ 307, NULL, 0, 0, 0, 0 },
	{ 307, "max-age=5", 0, 0, 0, 1 },
	{ 400, NULL, 0, 0, 0, 0 },
	{ 501, NULL, 0, 0, 0, 1 },
};

static void
test_storable(void)
{
	size_t	i;

	for (i = 0; i < NELEM(store_cases); i++) {
		struct cache_resp rs = resp_of(store_cases[i].status,
		    store_cases[i].cc);
		const char *why;
		bool ok;

		rs.has_expires = store_cases[i].has_expires;
		rs.vary_star = store_cases[i].vary_star;
		ok = cache_rfc_storable(&rs, store_cases[i].auth, &why);
		if (ok != (bool)store_cases[i].ok)
			printf("\n  store case %zu: %d %s -> %d (%s)\n", i,
			    store_cases[i].status, store_cases[i].cc ?
			    store_cases[i].cc : "-", ok, why ? why : "");
		CU_ASSERT_EQUAL(ok, (bool)store_cases[i].ok);
	}
}

static const struct {
	int		 status;
	const char	*cc;
	int64_t		 date, expires, lm;
	int		 has_expires;
	int64_t		 lifetime;
} life_cases[] = {
	{ 200, "max-age=60", 1000, -1, -1, 0, 60 },
	{ 200, "max-age=60, s-maxage=5", 1000, -1, -1, 0, 5 },
	{ 200, "s-maxage=0, max-age=60", 1000, -1, -1, 0, 0 },
	{ 200, NULL, 1000, 1100, -1, 1, 100 },
	{ 200, "max-age=10", 1000, 1100, -1, 1, 10 },
	{ 200, NULL, 1000, 900, -1, 1, 0 },
	{ 200, NULL, 1000, -1, -1, 1, 0 },	/* invalid Expires: stale */
	{ 200, NULL, 1000, -1, 0, 0, 100 },	/* 10% of 1000 */
	{ 200, NULL, 1000000, -1, 0, 0, 3600 },	/* bounded */
	{ 200, NULL, 1000, -1, 2000, 0, 0 },	/* LM in the future */
	{ 500, NULL, 1000, -1, 0, 0, 0 },	/* not heuristic */
	{ 500, "public", 1000, -1, 0, 0, 100 },
	{ 200, NULL, 1000, -1, -1, 0, 0 },
	{ 200, "max-age=1, max-age=100", 1000, -1, -1, 0, 1 },
};

static void
test_lifetime(void)
{
	size_t	i;

	for (i = 0; i < NELEM(life_cases); i++) {
		struct cache_resp rs = resp_of(life_cases[i].status,
		    life_cases[i].cc);
		int64_t l;

		rs.date = life_cases[i].date;
		rs.expires = life_cases[i].expires;
		rs.has_expires = life_cases[i].has_expires;
		rs.last_modified = life_cases[i].lm;
		l = cache_rfc_lifetime(&rs, 1000, 3600);
		if (l != life_cases[i].lifetime)
			printf("\n  lifetime case %zu: %lld\n", i, (long long)l);
		CU_ASSERT_EQUAL(l, life_cases[i].lifetime);
	}
}

static void
test_age(void)
{
	/* age_value, date, req, resp, now */
	CU_ASSERT_EQUAL(cache_rfc_age(-1, 100, 100, 100, 100), 0);
	CU_ASSERT_EQUAL(cache_rfc_age(-1, 100, 100, 100, 130), 30);
	CU_ASSERT_EQUAL(cache_rfc_age(50, 100, 100, 100, 100), 50);
	CU_ASSERT_EQUAL(cache_rfc_age(50, 100, 100, 102, 110), 60);
	CU_ASSERT_EQUAL(cache_rfc_age(-1, 80, 100, 100, 100), 20);
	CU_ASSERT_EQUAL(cache_rfc_age(-1, 200, 100, 100, 105), 5);
	CU_ASSERT_EQUAL(cache_rfc_age(5, -1, 100, 101, 101), 6);
}

static const struct {
	const char	*req, *resp;
	int		 pragma;
	int64_t		 life, age;
	enum cache_use	 use;
} use_cases[] = {
	{ NULL, "max-age=60", 0, 60, 10, CACHE_USE_FRESH },
	{ NULL, "max-age=60", 0, 60, 60, CACHE_USE_VALIDATE },
	{ NULL, "max-age=60", 0, 60, 70, CACHE_USE_VALIDATE },
	{ "no-cache", "max-age=60", 0, 60, 1, CACHE_USE_VALIDATE },
	{ NULL, "max-age=60", 1, 60, 1, CACHE_USE_VALIDATE },
	{ "max-age=100", "max-age=60", 1, 60, 1, CACHE_USE_FRESH },
	{ NULL, "no-cache, max-age=60", 0, 60, 1, CACHE_USE_VALIDATE },
	{ "max-age=5", "max-age=60", 0, 60, 10, CACHE_USE_VALIDATE },
	{ "max-age=15", "max-age=60", 0, 60, 10, CACHE_USE_FRESH },
	{ "min-fresh=55", "max-age=60", 0, 60, 10, CACHE_USE_VALIDATE },
	{ "min-fresh=20", "max-age=60", 0, 60, 10, CACHE_USE_FRESH },
	{ "max-stale", "max-age=60", 0, 60, 1000, CACHE_USE_STALE },
	{ "max-stale=10", "max-age=60", 0, 60, 65, CACHE_USE_STALE },
	{ "max-stale=10", "max-age=60", 0, 60, 75, CACHE_USE_VALIDATE },
	{ "max-stale", "max-age=60, must-revalidate", 0, 60, 65,
	    CACHE_USE_VALIDATE },
	{ "max-stale", "max-age=60, proxy-revalidate", 0, 60, 65,
	    CACHE_USE_VALIDATE },
	{ "max-stale", "s-maxage=60", 0, 60, 65, CACHE_USE_VALIDATE },
	{ "max-age=0", "max-age=60", 0, 60, 0, CACHE_USE_FRESH },
	{ "max-age=0", "max-age=60", 0, 60, 1, CACHE_USE_VALIDATE },
};

static void
test_use(void)
{
	size_t	i;

	for (i = 0; i < NELEM(use_cases); i++) {
		struct cache_cc	req = cc_of(use_cases[i].req);
		struct cache_cc	resp = cc_of(use_cases[i].resp);
		enum cache_use	u = cache_rfc_use(&req, use_cases[i].pragma,
				    &resp, use_cases[i].life, use_cases[i].age);

		if (u != use_cases[i].use)
			printf("\n  use case %zu: %d\n", i, u);
		CU_ASSERT_EQUAL(u, use_cases[i].use);
	}
}

static void
test_misc(void)
{
	CU_ASSERT(cache_method_unsafe("POST", 4));
	CU_ASSERT(cache_method_unsafe("DELETE", 6));
	CU_ASSERT(cache_method_unsafe("FOO", 3));
	CU_ASSERT(!cache_method_unsafe("GET", 3));
	CU_ASSERT(!cache_method_unsafe("HEAD", 4));
	CU_ASSERT(cache_etag_match("\"a\"", 3, "\"a\""));
	CU_ASSERT(cache_etag_match("W/\"a\"", 5, "\"a\""));
	CU_ASSERT(cache_etag_match("\"b\", \"a\"", 9, "W/\"a\""));
	CU_ASSERT(cache_etag_match("*", 1, "\"z\""));
	CU_ASSERT(!cache_etag_match("\"b\"", 3, "\"a\""));
	CU_ASSERT(!cache_etag_match("\"a\"", 3, NULL));
	CU_ASSERT(!cache_etag_match("\"ab\"", 4, "\"a\""));
	CU_ASSERT_EQUAL(cache_delta("12", 2), 12);
	CU_ASSERT_EQUAL(cache_delta("1x", 2), -1);
	CU_ASSERT_EQUAL(cache_delta("", 0), -1);
	CU_ASSERT(cache_status_heuristic(200));
	CU_ASSERT(!cache_status_heuristic(302));
}

static const struct {
	const char	*v;
	uint64_t	 size;
	int		 rc;
	uint64_t	 first, last;
} range_cases[] = {
	{ "bytes=0-1", 10, 1, 0, 1 },
	{ "bytes=2-", 10, 1, 2, 9 },
	{ "bytes=-3", 10, 1, 7, 9 },
	{ "bytes=-30", 10, 1, 0, 9 },
	{ "bytes=5-100", 10, 1, 5, 9 },
	{ "bytes=10-", 10, -1, 0, 0 },
	{ "bytes=-0", 10, -1, 0, 0 },
	{ "bytes=0-1,3-4", 10, 0, 0, 0 },
	{ "bytes=3-1", 10, 0, 0, 0 },
	{ "items=0-1", 10, 0, 0, 0 },
	{ "bytes=a-b", 10, 0, 0, 0 },
	{ "bytes=-", 10, 0, 0, 0 },
	{ "BYTES=0-0", 10, 1, 0, 0 },
	{ "bytes=0-", 0, -1, 0, 0 },
};

static void
test_range(void)
{
	size_t		i;
	uint64_t	f, l;
	int		rc;

	for (i = 0; i < NELEM(range_cases); i++) {
		f = l = 0;
		rc = cache_range(range_cases[i].v, strlen(range_cases[i].v),
		    range_cases[i].size, &f, &l);
		if (rc != range_cases[i].rc || (rc == 1 &&
		    (f != range_cases[i].first || l != range_cases[i].last)))
			printf("\n  range \"%s\": %d %llu-%llu\n",
			    range_cases[i].v, rc, (unsigned long long)f,
			    (unsigned long long)l);
		CU_ASSERT_EQUAL(rc, range_cases[i].rc);
		if (rc == 1) {
			CU_ASSERT_EQUAL(f, range_cases[i].first);
			CU_ASSERT_EQUAL(l, range_cases[i].last);
		}
	}
}

static void
test_age_value(void)
{
	CU_ASSERT_EQUAL(cache_age_value("30", 2), 30);
	CU_ASSERT_EQUAL(cache_age_value(" 30 ", 4), 30);
	CU_ASSERT(cache_age_value("abc", 3) >= 2147483648LL);
	CU_ASSERT(cache_age_value("-7200", 5) >= 2147483648LL);
	CU_ASSERT(cache_age_value("7200.0", 6) >= 2147483648LL);
	CU_ASSERT(cache_age_value("0, 0", 4) >= 2147483648LL);
	CU_ASSERT(cache_age_value("7200;foo=bar", 12) >= 2147483648LL);
}

static void
test_must_understand(void)
{
	struct cache_resp rs = resp_of(599, "max-age=3600, must-understand");

	CU_ASSERT(!cache_rfc_storable(&rs, false, NULL));
	rs = resp_of(200, "no-store, must-understand, max-age=60");
	CU_ASSERT(cache_rfc_storable(&rs, false, NULL));
	rs = resp_of(299, "max-age=60");
	CU_ASSERT(cache_rfc_storable(&rs, false, NULL));
}

static void
test_purge_match(void)
{
	const char	*k = "http://a.example/img/x.png";

	CU_ASSERT(cache_purge_match('k', k, k, NULL));
	CU_ASSERT(!cache_purge_match('k', "http://a.example/img/", k, NULL));
	CU_ASSERT(cache_purge_match('p', "http://a.example/img/", k, NULL));
	CU_ASSERT(cache_purge_match('p', "", k, NULL));
	CU_ASSERT(!cache_purge_match('p', "http://b.example/", k, NULL));
	CU_ASSERT(cache_purge_match('t', "blue", k, "red blue"));
	CU_ASSERT(cache_purge_match('t', "blue", k, "blue,green"));
	CU_ASSERT(cache_purge_match('t', "green", k, "blue, green "));
	CU_ASSERT(!cache_purge_match('t', "blu", k, "blue green"));
	CU_ASSERT(!cache_purge_match('t', "blue", k, "blueish"));
	CU_ASSERT(!cache_purge_match('t', "blue", k, NULL));
	CU_ASSERT(!cache_purge_match('t', "", k, "a b"));
	CU_ASSERT(!cache_purge_match('x', k, k, NULL));
}

static const struct {
	const char	*in, *out;
} ae_cases[] = {
	{ NULL, "identity" },
	{ "", "identity" },
	{ "identity", "identity" },
	{ "gzip", "gzip" },
	{ "GZIP", "gzip" },
	{ "x-gzip", "gzip" },
	{ "gzip, deflate, br", "br,deflate,gzip" },
	{ "br, gzip, deflate", "br,deflate,gzip" },
	{ "gzip;q=1.0, br;q=0.5,deflate", "br,deflate,gzip" },
	{ "br;q=0, gzip", "gzip" },
	{ "br; q=0.000, gzip;q=0.001", "gzip" },
	{ "br;q=0.0001", "identity" },
	{ "*", "br,deflate,gzip,zstd" },
	{ "*;q=0.5, br;q=0", "deflate,gzip,zstd" },
	{ "zstd, compress, exi", "zstd" },
	{ " , ,br,,", "br" },
	{ "brotli, gzipx", "identity" },
	{ "gzip;q=bad", "identity" },
};

static void
test_ae_bucket(void)
{
	char	out[32];
	size_t	i;

	for (i = 0; i < NELEM(ae_cases); i++) {
		cache_ae_bucket(ae_cases[i].in, ae_cases[i].in != NULL ?
		    strlen(ae_cases[i].in) : 0, out);
		if (strcmp(out, ae_cases[i].out) != 0)
			fprintf(stderr, "ae \"%s\": %s, not %s\n",
			    ae_cases[i].in ? ae_cases[i].in : "(none)", out,
			    ae_cases[i].out);
		CU_ASSERT_STRING_EQUAL(out, ae_cases[i].out);
	}
}

int
main(void)
{
	static const struct pt_unit_test tests[] = {
		{ "Cache-Control parsing", test_cc_parse },
		{ "HTTP-dates", test_dates },
		{ "storability (9111 3)", test_storable },
		{ "freshness lifetime (4.2.1)", test_lifetime },
		{ "Age (4.2.3)", test_age },
		{ "reuse decision (4.2, 5.2.1)", test_use },
		{ "methods, entity tags, delta-seconds", test_misc },
		{ "Range (RFC 9110 14.2)", test_range },
		{ "Age field values", test_age_value },
		{ "must-understand", test_must_understand },
		{ "purge rules: key, prefix, tag", test_purge_match },
		{ "Accept-Encoding buckets", test_ae_bucket },
		{ NULL, NULL }
	};

	return (pt_unit_run("cache_rfc", NULL, NULL, tests));
}
