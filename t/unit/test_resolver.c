/*
 * t/unit/test_resolver.c: the resolver's pure parts (resolver_cache.c):
 * hosts-file parsing and lookup, names and numeric addresses, the TTL
 * policy, and the cache (expiry, negative answers, replacement, eviction).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "resolver.h"

static const char hosts_text[] =
    "# comment line\n"
    "127.0.0.1\tlocalhost\n"
    "::1 localhost ip6-localhost   # trailing comment\n"
    "10.0.0.1 App.Test alias.test\n"
    "10.0.0.2 app.test.\r\n"
    "10.0.0.1 app.test\n"			/* a duplicate: once */
    "fe80::1%eth0 zoned.test\n"			/* a zone: skipped */
    "not-an-address bad.test\n"
    "2001:db8::5 app.test v6only.test\n"
    "   \n"
    "10.9.9.9\n"				/* no name */
    "10.0.0.3 last.test";			/* no final newline */

static const struct {
	const char	*name;
	int		 family;
	const char	*want;		/* addresses in order, space-separated */
} lookups[] = {
	{ "app.test",		AF_UNSPEC,	"10.0.0.1 10.0.0.2 2001:db8::5" },
	{ "APP.test.",		AF_UNSPEC,	"10.0.0.1 10.0.0.2 2001:db8::5" },
	{ "app.test",		AF_INET,	"10.0.0.1 10.0.0.2" },
	{ "app.test",		AF_INET6,	"2001:db8::5" },
	{ "alias.test",		AF_UNSPEC,	"10.0.0.1" },
	{ "localhost",		AF_UNSPEC,	"127.0.0.1 ::1" },
	{ "ip6-localhost",	AF_INET,	"" },
	{ "v6only.test",	AF_INET,	"" },
	{ "zoned.test",		AF_UNSPEC,	"" },
	{ "bad.test",		AF_UNSPEC,	"" },
	{ "last.test",		AF_UNSPEC,	"10.0.0.3" },
	{ "nosuch.test",	AF_UNSPEC,	"" },
	{ "app",		AF_UNSPEC,	"" },
};

static void
addrs_text(const struct sockaddr_storage *v, int n, char *buf, size_t len)
{
	char	a[64];
	size_t	off = 0;
	int	i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (v[i].ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)
			    &v[i])->sin_addr, a, sizeof(a));
		else
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			    &v[i])->sin6_addr, a, sizeof(a));
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? " " : "", a);
	}
}

static void
test_hosts(void)
{
	struct sockaddr_storage	 out[RESOLVER_MAX_ADDRS];
	struct rs_hosts		*h;
	char			 got[256];
	size_t			 i;
	int			 n;

	h = rs_hosts_parse(hosts_text, sizeof(hosts_text) - 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	/* localhost x2, ip6-localhost, app x4, alias, v6only, last: 10
	   entries (a duplicate is kept in the table, dropped in answers). */
	CU_ASSERT_EQUAL(rs_hosts_count(h), 10);
	for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		n = rs_hosts_find(h, lookups[i].name, lookups[i].family, out,
		    RESOLVER_MAX_ADDRS);
		addrs_text(out, n, got, sizeof(got));
		if (strcmp(got, lookups[i].want) != 0)
			fprintf(stderr, "case %zu (%s): got \"%s\"\n", i,
			    lookups[i].name, got);
		CU_ASSERT_STRING_EQUAL(got, lookups[i].want);
	}
	/* max bounds the answer. */
	CU_ASSERT_EQUAL(rs_hosts_find(h, "app.test", AF_UNSPEC, out, 1), 1);
	rs_hosts_free(h);
	/* Empty and comment-only files. */
	h = rs_hosts_parse("", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(rs_hosts_count(h), 0);
	CU_ASSERT_EQUAL(rs_hosts_find(h, "a", AF_UNSPEC, out, 4), 0);
	rs_hosts_free(h);
	CU_ASSERT_EQUAL(rs_hosts_find(NULL, "a", AF_UNSPEC, out, 4), 0);
}

static const struct {
	const char	*name;
	int		 family;
	int		 ok;
	int		 is_localhost;
} names[] = {
	{ "127.0.0.1",		AF_UNSPEC,	1, 0 },
	{ "127.0.0.1",		AF_INET6,	0, 0 },
	{ "::1",		AF_UNSPEC,	1, 0 },
	{ "::1",		AF_INET6,	1, 0 },
	{ "1.2.3",		AF_UNSPEC,	0, 0 },
	{ "localhost",		AF_UNSPEC,	0, 1 },
	{ "LOCALHOST.",		AF_UNSPEC,	0, 1 },
	{ "a.localhost",	AF_UNSPEC,	0, 1 },
	{ "notlocalhost",	AF_UNSPEC,	0, 0 },
	{ "localhost.example",	AF_UNSPEC,	0, 0 },
};

static void
test_names(void)
{
	struct sockaddr_storage	ss[2];
	char			buf[RESOLVER_NAME_MAX + 1], longname[300];
	size_t			i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (rs_numeric(names[i].name, names[i].family, ss) !=
		    names[i].ok || rs_is_localhost(names[i].name) !=
		    (bool)names[i].is_localhost)
			fprintf(stderr, "name case %zu (%s)\n", i,
			    names[i].name);
		CU_ASSERT_EQUAL(rs_numeric(names[i].name, names[i].family, ss),
		    names[i].ok);
		CU_ASSERT_EQUAL(rs_is_localhost(names[i].name),
		    (bool)names[i].is_localhost);
	}
	CU_ASSERT_EQUAL(rs_localhost(AF_UNSPEC, ss, 2), 2);
	CU_ASSERT_EQUAL(ss[0].ss_family, AF_INET);
	CU_ASSERT_EQUAL(ss[1].ss_family, AF_INET6);
	CU_ASSERT_EQUAL(rs_localhost(AF_INET6, ss, 2), 1);
	CU_ASSERT_EQUAL(ss[0].ss_family, AF_INET6);
	CU_ASSERT_EQUAL(rs_name_normalize("Example.COM.", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "example.com");
	CU_ASSERT_EQUAL(rs_name_normalize(".", buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(rs_name_normalize("", buf, sizeof(buf)), -1);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CU_ASSERT_EQUAL(rs_name_normalize(longname, buf, sizeof(buf)), -1);
}

/* TTL policy: { positive, ttl_s, min, max, neg } -> ms */
static const struct {
	bool		 positive;
	unsigned int	 ttl_s;
	long long	 min, max, neg, want;
} ttls[] = {
	{ true,  300,	1000, 3600000, 10000,	300000 },
	{ true,  0,	1000, 3600000, 10000,	1000 },		/* min */
	{ true,  86400,	1000, 3600000, 10000,	3600000 },	/* max */
	{ true,  5,	0,    3600000, 10000,	5000 },
	{ false, 300,	1000, 3600000, 10000,	10000 },	/* negative */
	{ false, 0,	1000, 3600000, 0,	0 },		/* not kept */
	{ true,  4294967295u, 1000, 3600000, 0,	3600000 },	/* no overflow */
};

static void
test_ttl(void)
{
	size_t		i;
	long long	got;

	for (i = 0; i < sizeof(ttls) / sizeof(ttls[0]); i++) {
		got = rs_ttl_ms(ttls[i].positive, ttls[i].ttl_s, ttls[i].min,
		    ttls[i].max, ttls[i].neg);
		if (got != ttls[i].want)
			fprintf(stderr, "ttl case %zu: got %lld\n", i, got);
		CU_ASSERT_EQUAL(got, ttls[i].want);
	}
}

static void
addr4(struct sockaddr_storage *ss, const char *a)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = AF_INET;
	inet_pton(AF_INET, a, &((struct sockaddr_in *)ss)->sin_addr);
}

static void
test_cache(void)
{
	struct sockaddr_storage	 in[3], out[4];
	struct rs_cache		*c;
	unsigned int		 ttl;
	char			 got[128];
	int			 n;

	c = rs_cache_new(2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	addr4(&in[0], "10.0.0.1");
	addr4(&in[1], "10.0.0.2");
	addr4(&in[2], "10.0.0.1");			/* a duplicate */
	CU_ASSERT_EQUAL(rs_cache_get(c, "a.test", AF_UNSPEC, 0, out, 4, &n,
	    &ttl), -1);
	rs_cache_put(c, "A.test.", AF_UNSPEC, in, 3, 5000, 1000);
	CU_ASSERT_EQUAL(rs_cache_get(c, "a.test", AF_UNSPEC, 1000, out, 4,
	    &n, &ttl), 1);
	addrs_text(out, n, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "10.0.0.1 10.0.0.2");
	CU_ASSERT_EQUAL(ttl, 5);
	/* The seconds left round up; the family is part of the key. */
	CU_ASSERT_EQUAL(rs_cache_get(c, "a.test", AF_UNSPEC, 5500, out, 4,
	    &n, &ttl), 1);
	CU_ASSERT_EQUAL(ttl, 1);
	CU_ASSERT_EQUAL(rs_cache_get(c, "a.test", AF_INET, 1000, out, 4, &n,
	    &ttl), -1);
	/* Expired at exactly its TTL. */
	CU_ASSERT_EQUAL(rs_cache_get(c, "a.test", AF_UNSPEC, 6000, out, 4,
	    &n, &ttl), -1);
	/* A negative answer, then a positive one replacing it. */
	rs_cache_put(c, "neg.test", AF_UNSPEC, NULL, 0, 10000, 0);
	CU_ASSERT_EQUAL(rs_cache_get(c, "neg.test", AF_UNSPEC, 9999, out, 4,
	    &n, &ttl), 0);
	CU_ASSERT_EQUAL(n, 0);
	rs_cache_put(c, "neg.test", AF_UNSPEC, in, 1, 10000, 5000);
	CU_ASSERT_EQUAL(rs_cache_get(c, "neg.test", AF_UNSPEC, 9999, out, 4,
	    &n, &ttl), 1);
	/* A ttl of 0 keeps nothing. */
	rs_cache_put(c, "zero.test", AF_UNSPEC, in, 1, 0, 0);
	CU_ASSERT_EQUAL(rs_cache_get(c, "zero.test", AF_UNSPEC, 0, out, 4,
	    &n, &ttl), -1);
	rs_cache_clear(c);
	/* Full: the one expiring soonest goes. */
	rs_cache_put(c, "long.test", AF_UNSPEC, in, 1, 100000, 0);
	rs_cache_put(c, "short.test", AF_UNSPEC, in, 1, 1000, 0);
	rs_cache_put(c, "new.test", AF_UNSPEC, in, 1, 50000, 10);
	CU_ASSERT_EQUAL(rs_cache_get(c, "short.test", AF_UNSPEC, 20, out, 4,
	    &n, &ttl), -1);
	CU_ASSERT_EQUAL(rs_cache_get(c, "long.test", AF_UNSPEC, 20, out, 4,
	    &n, &ttl), 1);
	CU_ASSERT_EQUAL(rs_cache_get(c, "new.test", AF_UNSPEC, 20, out, 4,
	    &n, &ttl), 1);
	/* Full with an expired one: it goes first. */
	rs_cache_put(c, "later.test", AF_UNSPEC, in, 1, 1000, 60000);
	CU_ASSERT_EQUAL(rs_cache_get(c, "long.test", AF_UNSPEC, 60000, out, 4,
	    &n, &ttl), 1);
	CU_ASSERT_EQUAL(rs_cache_get(c, "later.test", AF_UNSPEC, 60000, out,
	    4, &n, &ttl), 1);
	/* max bounds the copy. */
	rs_cache_put(c, "two.test", AF_UNSPEC, in, 2, 1000, 0);
	CU_ASSERT_EQUAL(rs_cache_get(c, "two.test", AF_UNSPEC, 0, out, 1, &n,
	    &ttl), 1);
	CU_ASSERT_EQUAL(n, 1);
	rs_cache_free(c);
}

static const struct pt_unit_test tests[] = {
	{ "hosts file parsing and lookup", test_hosts },
	{ "names, numeric addresses, localhost", test_names },
	{ "TTL policy", test_ttl },
	{ "cache: expiry, negative answers, eviction", test_cache },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("resolver", NULL, NULL, tests));
}
