/*
 * The forward proxy's pure parts: domain lists (suffix matching, list
 * files, a million names) and the ordered rules (every condition kind,
 * first match wins, auth gates), time windows, private addresses.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "forward.h"
#include "arena_priv.h"
#include "rx.h"

static struct sockaddr_storage
addr(const char *s)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(s, ':') != NULL) {
		ss.ss_family = AF_INET6;
		inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)&ss)->sin6_addr);
	} else {
		ss.ss_family = AF_INET;
		inet_pton(AF_INET, s, &((struct sockaddr_in *)&ss)->sin_addr);
	}
	return (ss);
}

static void
test_domain_list(void)
{
	struct domain_list *d = domain_list_new(4);

	CU_ASSERT_EQUAL(domain_list_add(d, "Example.COM", 11), 1);
	CU_ASSERT_EQUAL(domain_list_add(d, ".example.com", 12), 0);
	CU_ASSERT_EQUAL(domain_list_add(d, "*.ads.test.", 11), 1);
	CU_ASSERT_EQUAL(domain_list_count(d), 2);
	CU_ASSERT(domain_list_match(d, "example.com", 11));
	CU_ASSERT(domain_list_match(d, "a.b.example.com", 15));
	CU_ASSERT(!domain_list_match(d, "notexample.com", 14));
	CU_ASSERT(!domain_list_match(d, "com", 3));
	CU_ASSERT(domain_list_match(d, "x.ads.test", 10));
	CU_ASSERT(!domain_list_match(d, "test", 4));
	domain_list_free(d);
}

static void
test_domain_list_million(void)
{
	char		 path[] = "/tmp/pt_dl_XXXXXX";
	int		 fd = mkstemp(path), i;
	FILE		*fp = fdopen(fd, "w");
	struct domain_list *d = domain_list_new(16);
	struct timespec	 a, b;
	double		 secs;
	char		 name[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs("# a block list\n\n0.0.0.0 hosts-style.test\n", fp);
	for (i = 0; i < 1000000; i++)
		fprintf(fp, "site%d.block%d.test\n", i, i % 97);
	fclose(fp);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CU_ASSERT_EQUAL(domain_list_load(d, path), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	fprintf(stderr, "1,000,001 names loaded in %.3f s\n", secs);
	/* The target is 1 s; sanitizers and a busy CI machine get slack. */
#ifdef PT_SANITIZE
	CU_ASSERT(secs < 10.0);
#else
	CU_ASSERT(secs < 3.0);
#endif
	CU_ASSERT_EQUAL(domain_list_count(d), 1000001);
	CU_ASSERT(domain_list_match(d, "hosts-style.test", 16));
	snprintf(name, sizeof(name), "www.site999999.block%d.test", 999999 % 97);
	CU_ASSERT(domain_list_match(d, name, strlen(name)));
	CU_ASSERT(!domain_list_match(d, "site1000000.block0.test", 23));
	CU_ASSERT(!domain_list_match(d, "block1.test", 11));
	domain_list_free(d);
	unlink(path);
}

static void
test_time(void)
{
	int f, t;

	CU_ASSERT_EQUAL(fwd_time_parse("09:00-17:30", &f, &t), 0);
	CU_ASSERT_EQUAL(f, 540);
	CU_ASSERT_EQUAL(t, 1050);
	CU_ASSERT(fwd_time_in(f, t, 540));
	CU_ASSERT(!fwd_time_in(f, t, 1050));
	CU_ASSERT(fwd_time_in(22 * 60, 6 * 60, 23 * 60));
	CU_ASSERT(fwd_time_in(22 * 60, 6 * 60, 60));
	CU_ASSERT(!fwd_time_in(22 * 60, 6 * 60, 12 * 60));
	CU_ASSERT_EQUAL(fwd_time_parse("9-17", &f, &t), -1);
	CU_ASSERT_EQUAL(fwd_time_parse("09:00-25:00", &f, &t), -1);
}

static void
test_private(void)
{
	const char *priv[] = { "127.0.0.1", "10.1.2.3", "172.16.0.1",
		"172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
		"0.0.0.0", "::1", "::", "fe80::1", "fd00::1", "::ffff:10.0.0.1",
		NULL };
	const char *pub[] = { "93.184.216.34", "172.32.0.1", "8.8.8.8",
		"2001:db8::1", "::ffff:8.8.8.8", NULL };
	struct sockaddr_storage ss;
	int i;

	for (i = 0; priv[i] != NULL; i++) {
		ss = addr(priv[i]);
		CU_ASSERT(fwd_addr_is_private(&ss));
	}
	for (i = 0; pub[i] != NULL; i++) {
		ss = addr(pub[i]);
		CU_ASSERT(!fwd_addr_is_private(&ss));
	}
}

static void
test_rules(void)
{
	struct pt_arena		*a = pt_arena_new(4096, 0);
	struct fwd_rule		 rules[6];
	struct fwd_acl_input	 in;
	struct sockaddr_storage	 c1 = addr("10.0.0.5"), c2 = addr("::1");
	const char		*ex[] = { "exact.test" }, *suf[] = { "suffix.test" };
	const char		*meth[] = { "CONNECT" }, *users[] = { "alice" };
	int			 ports[] = { 443, 443 };
	char			 err[64];
	struct rx		*rxs[1];
	size_t			 from;
	const struct fwd_rule	*r;

	memset(rules, 0, sizeof(rules));
	rxs[0] = rx_compile(a, "^ads[0-9]+\\.", RX_CASELESS, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rxs[0]);
	/* 0: deny exact/suffix/regex destinations */
	rules[0].name = "blocked"; rules[0].action = FWD_DENY;
	rules[0].dest.exact = ex; rules[0].dest.nexact = 1;
	rules[0].dest.suffix = suf; rules[0].dest.nsuffix = 1;
	rules[0].dest.rx = rxs; rules[0].dest.nrx = 1; rules[0].dest.set = true;
	/* 1: CONNECT allowed to 443 from 10/8 */
	rules[1].name = "tls"; rules[1].action = FWD_ALLOW;
	rules[1].client.v = calloc(1, sizeof(struct cidr));
	cidr_parse("10.0.0.0/8", &rules[1].client.v[0]); rules[1].client.n = 1;
	rules[1].ports = ports; rules[1].nports = 1;
	rules[1].methods.v = meth; rules[1].methods.n = 1;
	/* 2: auth gate */
	rules[2].name = "login"; rules[2].action = FWD_AUTH;
	/* 3: alice allowed */
	rules[3].name = "alice"; rules[3].action = FWD_ALLOW;
	rules[3].users.v = users; rules[3].users.n = 1;
	/* 4: everyone else denied */
	rules[4].name = "rest"; rules[4].action = FWD_DENY;

	memset(&in, 0, sizeof(in));
	in.client = &c1;
	in.method = "GET"; in.methodlen = 3; in.port = 80;
#define CHECK(h, want) do {						\
	in.host = (h); in.hostlen = strlen(h); from = 0;		\
	r = fwd_acl_first(rules, 5, &in, &from);			\
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);				\
	CU_ASSERT_STRING_EQUAL(r->name, (want));			\
} while (0)
	CHECK("exact.test", "blocked");
	CHECK("www.exact.test", "login");	/* exact is not a suffix */
	CHECK("suffix.test", "blocked");
	CHECK("a.suffix.test", "blocked");
	CHECK("ADS12.example", "blocked");	/* regexes are caseless */
	CHECK("ads12.example", "blocked");
	in.method = "CONNECT"; in.methodlen = 7; in.port = 443;
	CHECK("ok.test", "tls");
	in.port = 8443;
	CHECK("ok.test", "login");
	in.client = &c2; in.port = 443;
	CHECK("ok.test", "login");
	in.user = "alice";
	CHECK("ok.test", "alice");
	in.user = "bob";
	CHECK("ok.test", "rest");
	/* time windows */
	rules[4].has_time = true; rules[4].time_from = 540; rules[4].time_to = 1020;
	in.minute = 600;
	CHECK("ok.test", "rest");
	in.minute = 1100;
	from = 0; in.host = "ok.test"; in.hostlen = 7;
	CU_ASSERT_PTR_NULL(fwd_acl_first(rules, 5, &in, &from));
	CU_ASSERT_EQUAL(from, 5);
	free(rules[1].client.v);
	pt_arena_free(a);
}

static const struct pt_unit_test tests[] = {
	{ "domain list: suffixes, case, duplicates", test_domain_list },
	{ "domain list: a million names under a second", test_domain_list_million },
	{ "time windows", test_time },
	{ "private and loopback addresses", test_private },
	{ "rules: every kind, first match, auth gate", test_rules },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("forward_acl", NULL, NULL, tests));
}
