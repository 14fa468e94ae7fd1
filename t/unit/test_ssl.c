/*
 * t/unit/test_ssl.c: mod_ssl's pure logic (modules/mod_ssl/ssl_util.c):
 * protocol lists to a version range, the server_name extension, server
 * name patterns, reading the SNI from a raw ClientHello (passthrough),
 * the first byte of a connection, HSTS values.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "ssl_util.h"

static void
test_proto_range(void)
{
	static const struct {
		const char	*names[4];
		size_t		 n;
		int		 min, max;	/* 0: an error */
	} cases[] = {
		{ { "TLSv1.2", "TLSv1.3" }, 2, SSL_U_TLS12, SSL_U_TLS13 },
		{ { "TLSv1.3" }, 1, SSL_U_TLS13, SSL_U_TLS13 },
		{ { "tlsv1.2" }, 1, SSL_U_TLS12, SSL_U_TLS12 },
		{ { "TLSv1.3", "TLSv1.1", "TLSv1.2" }, 3, SSL_U_TLS11, SSL_U_TLS13 },
		{ { "TLSv1", "TLSv1.1", "TLSv1.2" }, 3, SSL_U_TLS10, SSL_U_TLS12 },
		{ { "TLSv1.1", "TLSv1.3" }, 2, 0, 0 },	/* a gap */
		{ { "SSLv3" }, 1, 0, 0 },
		{ { "TLSv1.4" }, 1, 0, 0 },
		{ { NULL }, 0, 0, 0 },
	};
	const char	*frag;
	size_t		 i;
	int		 min, max;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		min = max = 0;
		frag = ssl_u_proto_range(cases[i].names, cases[i].n, &min, &max);
		if ((frag == NULL) != (cases[i].min != 0) ||
		    (frag == NULL && (min != cases[i].min || max != cases[i].max)))
			fprintf(stderr, "case %zu: %s %x-%x\n", i,
			    frag != NULL ? frag : "ok", min, max);
		CU_ASSERT_EQUAL(frag == NULL, cases[i].min != 0);
		if (frag == NULL) {
			CU_ASSERT_EQUAL(min, cases[i].min);
			CU_ASSERT_EQUAL(max, cases[i].max);
		}
	}
}

/* A server_name extension body holding one host_name. */
static size_t
sni_ext(unsigned char *out, const char *name, size_t len)
{
	out[0] = (unsigned char)((len + 3) >> 8);
	out[1] = (unsigned char)(len + 3);
	out[2] = 0;
	out[3] = (unsigned char)(len >> 8);
	out[4] = (unsigned char)len;
	memcpy(out + 5, name, len);
	return (len + 5);
}

static void
test_sni_parse(void)
{
	static const struct {
		const char	*name;
		const char	*want;		/* NULL: refused */
	} cases[] = {
		{ "www.example.com",	"www.example.com" },
		{ "WWW.Example.COM",	"www.example.com" },
		{ "a.test.",		"a.test" },
		{ "under_score.test",	"under_score.test" },
		{ "bad name.test",	NULL },
		{ "a..test",		NULL },
		{ ".a.test",		NULL },
		{ "",			NULL },
		{ "a\0b.test",		NULL },
	};
	unsigned char	ext[600];
	char		out[256];
	size_t		i, len;
	int		rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = sni_ext(ext, cases[i].name, i == 8 ? 8 :
		    strlen(cases[i].name));
		rc = ssl_u_sni_parse(ext, len, out, sizeof(out));
		if ((rc == 0) != (cases[i].want != NULL) ||
		    (rc == 0 && strcmp(out, cases[i].want) != 0))
			fprintf(stderr, "case %zu: rc %d out %s\n", i, rc, out);
		CU_ASSERT_EQUAL(rc == 0, cases[i].want != NULL);
		if (rc == 0 && cases[i].want != NULL)
			CU_ASSERT_STRING_EQUAL(out, cases[i].want);
	}
	/* A list length that disagrees with the body, and a truncated name. */
	len = sni_ext(ext, "a.test", 6);
	ext[1]++;
	CU_ASSERT_EQUAL(ssl_u_sni_parse(ext, len, out, sizeof(out)), -1);
	len = sni_ext(ext, "a.test", 6);
	CU_ASSERT_EQUAL(ssl_u_sni_parse(ext, len - 1, out, sizeof(out)), -1);
	/* Too long for the buffer. */
	CU_ASSERT_EQUAL(ssl_u_sni_parse(ext, len, out, 4), -1);
}

static void
test_name_match(void)
{
	static const struct {
		const char	*pattern, *host;
		bool		 match;
	} cases[] = {
		{ "www.example.com",	"www.example.com",	true },
		{ "WWW.example.com",	"www.example.com",	true },
		{ "www.example.com",	"example.com",		false },
		{ "*.example.com",	"www.example.com",	true },
		{ "*.example.com",	"a.b.example.com",	false },
		{ "*.example.com",	"example.com",		false },
		{ "*.example.com",	"wwwexample.com",	false },
		{ ".example.com",	"example.com",		true },
		{ ".example.com",	"a.b.example.com",	true },
		{ ".example.com",	"badexample.com",	false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (ssl_u_name_match(cases[i].pattern, cases[i].host) !=
		    cases[i].match)
			fprintf(stderr, "case %zu\n", i);
		CU_ASSERT_EQUAL(ssl_u_name_match(cases[i].pattern,
		    cases[i].host), cases[i].match);
	}
}

/* A TLS 1.2-style ClientHello record with the given extensions block. */
static size_t
hello(unsigned char *out, const unsigned char *ext, size_t elen, bool with_ext)
{
	unsigned char	body[2048];
	size_t		n = 0, hl;

	body[n++] = 3;			/* client_version */
	body[n++] = 3;
	memset(body + n, 0xaa, 32);	/* random */
	n += 32;
	body[n++] = 0;			/* session id */
	body[n++] = 0;			/* cipher suites: 2 bytes */
	body[n++] = 2;
	body[n++] = 0x13;
	body[n++] = 0x01;
	body[n++] = 1;			/* compression: null */
	body[n++] = 0;
	if (with_ext) {
		body[n++] = (unsigned char)(elen >> 8);
		body[n++] = (unsigned char)elen;
		memcpy(body + n, ext, elen);
		n += elen;
	}
	hl = n;
	out[0] = 0x16;
	out[1] = 3;
	out[2] = 1;
	out[3] = (unsigned char)((hl + 4) >> 8);
	out[4] = (unsigned char)(hl + 4);
	out[5] = 1;			/* client_hello */
	out[6] = 0;
	out[7] = (unsigned char)(hl >> 8);
	out[8] = (unsigned char)hl;
	memcpy(out + 9, body, hl);
	return (hl + 9);
}

static void
test_hello_sni(void)
{
	unsigned char	ext[600], rec[4096];
	char		out[256];
	size_t		el, n, i;

	/* An unrelated extension (supported_versions), then server_name. */
	ext[0] = 0;
	ext[1] = 43;
	ext[2] = 0;
	ext[3] = 3;
	ext[4] = 2;
	ext[5] = 3;
	ext[6] = 4;
	ext[7] = 0;
	ext[8] = 0;
	el = sni_ext(ext + 11, "Pass.Example", 12);
	ext[9] = (unsigned char)(el >> 8);
	ext[10] = (unsigned char)el;
	n = hello(rec, ext, 11 + el, true);
	CU_ASSERT_EQUAL(ssl_u_hello_sni(rec, n, out, sizeof(out)),
	    SSL_U_HELLO_SNI);
	CU_ASSERT_STRING_EQUAL(out, "pass.example");
	/* Every shorter prefix asks for more, never reads past the end. */
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(ssl_u_hello_sni(rec, i, out, sizeof(out)),
		    SSL_U_HELLO_MORE);
	/* No server_name; no extensions at all. */
	n = hello(rec, ext, 7, true);
	CU_ASSERT_EQUAL(ssl_u_hello_sni(rec, n, out, sizeof(out)),
	    SSL_U_HELLO_NONAME);
	n = hello(rec, ext, 0, false);
	CU_ASSERT_EQUAL(ssl_u_hello_sni(rec, n, out, sizeof(out)),
	    SSL_U_HELLO_NONAME);
	/* Not TLS; not a ClientHello; an extension running past its end. */
	CU_ASSERT_EQUAL(ssl_u_hello_sni((const unsigned char *)"GET / HTTP/1.1",
	    14, out, sizeof(out)), SSL_U_HELLO_BAD);
	n = hello(rec, ext, 11 + el, true);
	rec[5] = 2;
	CU_ASSERT_EQUAL(ssl_u_hello_sni(rec, n, out, sizeof(out)),
	    SSL_U_HELLO_BAD);
	ext[3] = 200;
	n = hello(rec, ext, 11 + el, true);
	CU_ASSERT_EQUAL(ssl_u_hello_sni(rec, n, out, sizeof(out)),
	    SSL_U_HELLO_BAD);
}

static void
test_first_byte(void)
{
	CU_ASSERT_EQUAL(ssl_u_first_byte(0x16), SSL_U_FIRST_TLS);
	CU_ASSERT_EQUAL(ssl_u_first_byte(0x80), SSL_U_FIRST_TLS);
	CU_ASSERT_EQUAL(ssl_u_first_byte('G'), SSL_U_FIRST_HTTP);
	CU_ASSERT_EQUAL(ssl_u_first_byte('P'), SSL_U_FIRST_HTTP);
	CU_ASSERT_EQUAL(ssl_u_first_byte('\r'), SSL_U_FIRST_OTHER);
	CU_ASSERT_EQUAL(ssl_u_first_byte(0x15), SSL_U_FIRST_OTHER);
}

static void
test_hsts_and_hex(void)
{
	static const struct {
		const char	*v;
		bool		 ok;
	} cases[] = {
		{ "max-age=31536000", true },
		{ "max-age=0", true },
		{ "max-age=63072000; includeSubDomains; preload", true },
		{ "max-age=1;includeSubDomains", true },
		{ "max-age=", false },
		{ "max-age=1; bogus", false },
		{ "includeSubDomains", false },
	};
	const unsigned char	b[] = { 0x00, 0xab, 0xff };
	char			out[7];
	size_t			i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (ssl_u_hsts_ok(cases[i].v) != cases[i].ok)
			fprintf(stderr, "case %zu\n", i);
		CU_ASSERT_EQUAL(ssl_u_hsts_ok(cases[i].v), cases[i].ok);
	}
	ssl_u_hex(b, sizeof(b), out);
	CU_ASSERT_STRING_EQUAL(out, "00abff");
}

static const struct pt_unit_test tests[] = {
	{ "protocol lists", test_proto_range },
	{ "server_name extension", test_sni_parse },
	{ "name patterns", test_name_match },
	{ "SNI from a ClientHello", test_hello_sni },
	{ "first byte", test_first_byte },
	{ "HSTS values and hex", test_hsts_and_hex },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("ssl", NULL, NULL, tests));
}
