/* t/unit/test_proxy_protocol.c: PROXY protocol v1/v2 parsing and building. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "proxy_protocol.h"

static const struct { const char *in; int rc; const char *src; int port; } v1[] = {
	{ "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET /", 47, "192.168.0.1", 56324 },
	{ "PROXY TCP6 2001:db8::1 2001:db8::2 1 80\r\n", 41, "2001:db8::1", 1 },
	{ "PROXY UNKNOWN\r\n", 15, NULL, 0 },
	{ "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", 35, NULL, 0 },
	{ "PROXY TCP4 192.168.0.1 192.168.0.11 56324", PP_AGAIN, NULL, 0 },
	{ "PRO", PP_AGAIN, NULL, 0 },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", -1, NULL, 0 },		/* no CR */
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", -1, NULL, 0 },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", -1, NULL, 0 },	/* leading zero */
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", -1, NULL, 0 },
	{ "PROXY TCP4 ::1 5.6.7.8 1 2\r\n", -1, NULL, 0 },
	{ "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", -1, NULL, 0 },
	{ "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", -1, NULL, 0 },
	{ "GET / HTTP/1.1\r\n", -1, NULL, 0 },
	{ "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\x01\r\n", -1, NULL, 0 },
};

static void
test_v1(void)
{
	struct sockaddr_storage	 s, d;
	char			 a[64];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(v1) / sizeof(v1[0]); i++) {
		rc = pp_parse((const unsigned char *)v1[i].in, strlen(v1[i].in),
		    &s, &d);
		if (rc != v1[i].rc)
			fprintf(stderr, "v1 case %zu: got %d\n", i, rc);
		CU_ASSERT_EQUAL(rc, v1[i].rc);
		if (rc <= 0 || v1[i].src == NULL)
			continue;
		if (s.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&s)->sin_addr,
			    a, sizeof(a));
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&s)->sin6_addr,
			    a, sizeof(a));
		CU_ASSERT_STRING_EQUAL(a, v1[i].src);
		CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in *)&s)->sin_port),
		    v1[i].port);
	}
}

static void
addr(struct sockaddr_storage *ss, int fam, const char *a, int port)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)fam;
	if (fam == AF_INET) {
		inet_pton(AF_INET, a, &((struct sockaddr_in *)ss)->sin_addr);
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	} else {
		inet_pton(AF_INET6, a, &((struct sockaddr_in6 *)ss)->sin6_addr);
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	}
}

/* What is built parses back to the same addresses, fed whole or short. */
static void
test_round_trip(void)
{
	static const struct { int fam; const char *s, *d; } c[] = {
		{ AF_INET, "10.0.0.1", "10.0.0.2" },
		{ AF_INET6, "fd00::1", "fd00::2" },
	};
	struct sockaddr_storage	 s, d, ps, pd;
	unsigned char		 b2[PP_V2_MAX];
	char			 b1[PP_V1_MAX + 1];
	size_t			 i, n, k;

	for (i = 0; i < 2; i++) {
		addr(&s, c[i].fam, c[i].s, 1234);
		addr(&d, c[i].fam, c[i].d, 80);
		n = pp_build_v1(&s, &d, b1, sizeof(b1));
		CU_ASSERT_EQUAL(pp_parse((unsigned char *)b1, n, &ps, &pd), (int)n);
		CU_ASSERT(memcmp(&ps, &s, sizeof(s)) == 0);
		n = pp_build_v2(&s, &d, b2, sizeof(b2));
		CU_ASSERT_EQUAL(pp_parse(b2, n, &ps, &pd), (int)n);
		CU_ASSERT(memcmp(&ps, &s, sizeof(s)) == 0);
		CU_ASSERT(memcmp(&pd, &d, sizeof(d)) == 0);
		for (k = 0; k < n; k++)
			CU_ASSERT_EQUAL(pp_parse(b2, k, &ps, &pd), PP_AGAIN);
	}
}

static void
test_v2_bad(void)
{
	struct sockaddr_storage	 s, d;
	unsigned char		 b[64];

	addr(&s, AF_INET, "1.2.3.4", 1);
	addr(&d, AF_INET, "5.6.7.8", 2);
	pp_build_v2(&s, &d, b, sizeof(b));
	b[12] = 0x11;		/* version 1 in a v2 header */
	CU_ASSERT_EQUAL(pp_parse(b, 28, &s, &d), -1);
	b[12] = 0x20;		/* LOCAL: accepted, no address */
	CU_ASSERT_EQUAL(pp_parse(b, 28, &s, &d), 28);
	CU_ASSERT_EQUAL(s.ss_family, AF_UNSPEC);
	b[12] = 0x21;
	b[13] = 0x12;		/* UDP */
	CU_ASSERT_EQUAL(pp_parse(b, 28, &s, &d), -1);
	b[13] = 0x11;
	b[15] = 4;		/* too short for IPv4 addresses */
	CU_ASSERT_EQUAL(pp_parse(b, 28, &s, &d), -1);
}

static const struct pt_unit_test tests[] = {
	{ "v1 table", test_v1 },
	{ "build and parse back", test_round_trip },
	{ "v2 refusals", test_v2_bad },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("proxy_protocol", NULL, NULL, tests));
}
