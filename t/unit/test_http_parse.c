/*
 * t/unit/test_http_parse.c: request heads accepted and rejected (with the
 * status), fields parsed from valid heads, limits, incremental input, and
 * the chunked decoder fed whole and one byte at a time.
 */
#include "config.h"

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena_priv.h"
#include "http_parse.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
/* A literal with its length, so cases may hold NUL bytes. */
#define S(s)		s, sizeof(s) - 1

static struct pt_arena *arena;

/* Default limits in most tables; "small" ones for the 414/431 cases. */
static const struct http_limits lim_def = { 8190, 8190, 100 };
static const struct http_limits lim_small = { 32, 24, 3 };

static int
setup_arena(void)
{
	return ((arena = pt_arena_new(4096, 0)) == NULL ? -1 : 0);
}

static int
free_arena(void)
{
	pt_arena_free(arena);
	return (0);
}

static int
parse(const char *buf, size_t len, const struct http_limits *lim,
    struct http_head *h)
{
	pt_arena_reset(arena);
	return (http_parse_head(arena, buf, len, lim, h));
}

static bool
str_is(struct pt_str s, const char *want)
{
	if (want == NULL)
		return (s.len == 0);
	return (s.len == strlen(want) && memcmp(s.p, want, s.len) == 0);
}

#define H11(f)	"GET / HTTP/1.1\r\nHost: a\r\n" f "\r\n"
#define P11(f)	"POST / HTTP/1.1\r\nHost: a\r\n" f "\r\n"
#define H10(f)	"GET / HTTP/1.0\r\n" f "\r\n"

static const struct status_case {
	const char	*head;
	size_t		 len;
	int		 status;
	bool		 small;		/* use lim_small */
} cases[] = {
	/* Request line. */
	{ S("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0, false },
	{ S("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /  HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /\tHTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("G@T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET / http/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/11.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.x\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400, false },
	{ S("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505, false },
	{ S("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505, false },
	{ S("GET / HTTP/3.1\r\nHost: a\r\n\r\n"), 505, false },
	{ S("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505, false },
	{ S("GET / HTTP/2.0 \r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 0, false },
	/* Empty lines before the request line (RFC 9112 2.2). */
	{ S("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0, false },
	{ S("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 0, false },
	{ S("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("\r\n\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	/* Target characters. */
	{ S("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /a<b> HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /a\\b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /a^b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /a`b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /?{a} HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /?a|b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /a\x80 HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /a\0 HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /% HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /%4g HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET /%41%aF?%20 HTTP/1.1\r\nHost: a\r\n\r\n"), 0, false },
	{ S("GET /a-._~!$&'()*+,;=:@/?/?[] HTTP/1.1\r\nHost: a\r\n\r\n"), 0,
	  false },
	/* Target forms and methods. */
	{ S("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), 0, false },
	{ S("OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n"), 0, false },
	{ S("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET a.com:80 HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET http:/a HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET http:// HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET http://a:b/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET http://[::1/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET http://[::1]x/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("GET http://[::1]:8/ HTTP/1.1\r\nHost: a\r\n\r\n"), 0, false },
	{ S("GET https://a HTTP/1.1\r\nHost: a\r\n\r\n"), 0, false },
	{ S("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("CONNECT a: HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("CONNECT :443 HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("CONNECT a:44x HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("CONNECT u@a:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("CONNECT http://a:443/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("CONNECT * HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("CONNECT [zz]:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 400, false },
	{ S("CONNECT [::1]:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 0, false },
	{ S("CONNECT 10.0.0.1:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 0, false },
	{ S("CONNECT [v1.x:y]:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 0, false },
	/* Field syntax. */
	{ S(H11("Host : b\r\n")), 400, false },
	{ S(H11("X-A : b\r\n")), 400, false },
	{ S(H11("X-A\t: b\r\n")), 400, false },
	{ S("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n"), 400, false },
	{ S(H11("X-A: b\r\n c\r\n")), 400, false },
	{ S(H11("X-A: b\r\n\tc\r\n")), 400, false },
	{ S(H11(": b\r\n")), 400, false },
	{ S(H11("X@A: b\r\n")), 400, false },
	{ S(H11("X\"A: b\r\n")), 400, false },
	{ S(H11("X-A b\r\n")), 400, false },
	{ S(H11("X-A\r\n")), 400, false },
	{ S(H11("X-A: a\0b\r\n")), 400, false },
	{ S(H11("X-A: a\rb\r\n")), 400, false },
	{ S(H11("X-A: a\r\r\n")), 400, false },
	{ S(H11("X-A: a\x01\r\n")), 400, false },
	{ S(H11("X-A: a\x1f\r\n")), 400, false },
	{ S(H11("X-A: a\x7f\r\n")), 400, false },
	{ S(H11("\r\r\n")), 400, false },
	{ S(H11("X-A: \x80\xff caf\xc3\xa9\r\n")), 0, false },
	{ S(H11("X-A:\t\"q\" (c) \t\r\n")), 0, false },
	{ S(H11("X-A:\r\n")), 0, false },
	{ S(H11("!#$%&'*+-.^_`|~09azAZ: v\r\n")), 0, false },
	/* Host (RFC 9112 3.2). */
	{ S("GET / HTTP/1.1\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nX-Host: a\r\n\r\n"), 400, false },
	{ S(H11("Host: b\r\n")), 400, false },
	{ S(H11("host: a\r\n")), 400, false },
	{ S(H10("Host: a\r\nHost: a\r\n")), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: :80\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost:\r\n\r\n"), 400, false },
	{ S("CONNECT a:1 HTTP/1.1\r\nHost:\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.0\r\nHost: a b\r\n\r\n"), 400, false },
	{ S("GET http://a/ HTTP/1.1\r\nHost:\r\n\r\n"), 0, false },
	{ S("GET http://a/ HTTP/1.1\r\n\r\n"), 400, false },
	{ S("GET http://a/ HTTP/1.1\r\nHost: a b\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: a:\r\n\r\n"), 0, false },
	{ S("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"), 0, false },
	{ S("GET / HTTP/1.1\r\nHost: [::ffff:1.2.3.4]\r\n\r\n"), 0, false },
	{ S("GET / HTTP/1.1\r\nHost: [v1f.a:b!]:1\r\n\r\n"), 0, false },
	{ S("GET / HTTP/1.1\r\nHost: [v.a]\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: [v1.]\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: [v1a]\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: [v1.a/]\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: []\r\n\r\n"), 400, false },
	{ S("GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n"), 0, false },
	{ S("GET / HTTP/1.1\r\nHost: xn--bcher-kva.example.\r\n\r\n"), 0,
	  false },
	{ S("GET / HTTP/1.1\r\nHost: a%41!$&'()*+,;=-._~\r\n\r\n"), 0, false },
	{ S("GET / HTTP/1.0\r\n\r\n"), 0, false },
	/* Content-Length (RFC 9110 8.6, RFC 9112 6.3). */
	{ S(P11("Content-Length: abc\r\n")), 400, false },
	{ S(P11("Content-Length:\r\n")), 400, false },
	{ S(P11("Content-Length: -1\r\n")), 400, false },
	{ S(P11("Content-Length: +1\r\n")), 400, false },
	{ S(P11("Content-Length: 1 2\r\n")), 400, false },
	{ S(P11("Content-Length: 1.0\r\n")), 400, false },
	{ S(P11("Content-Length: 0x10\r\n")), 400, false },
	{ S(P11("Content-Length: 1, 2\r\n")), 400, false },
	{ S(P11("Content-Length: 1,\r\n")), 400, false },
	{ S(P11("Content-Length: ,1\r\n")), 400, false },
	{ S(P11("Content-Length: 1\r\nContent-Length: 2\r\n")), 400, false },
	{ S(P11("Content-Length: 1\r\nContent-Length:\r\n")), 400, false },
	{ S(P11("Content-Length: 9223372036854775808\r\n")), 400, false },
	{ S(P11("Content-Length: 99999999999999999999999\r\n")), 400, false },
	{ S(P11("Content-Length: 9223372036854775807\r\n")), 0, false },
	{ S(P11("Content-Length: 00000000000000000000000000001\r\n")), 0,
	  false },
	{ S(P11("Content-Length: 5 , 5,5\r\n")), 0, false },
	{ S(P11("Content-Length: 5\r\ncontent-length: 5\r\n")), 0, false },
	/* Transfer-Encoding (RFC 9112 6.1, 6.3, 7). */
	{ S(P11("Transfer-Encoding: gzip\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chunked, gzip\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chunked, chunked\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chunked\r\nContent-Length: 1\r\n")), 400,
	  false },
	{ S(P11("Content-Length: 1\r\nTransfer-Encoding: chunked\r\n")), 400,
	  false },
	{ S("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400,
	  false },
	{ S(P11("Transfer-Encoding:\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: ,\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chun ked\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chunked@\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: \"chunked\"\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chunked;\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chunked;a\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chunked;a=\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chunked;=b\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chunked;a=\"b\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: chunked;a=b c\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: ;a=b, chunked\r\n")), 400, false },
	{ S(P11("Transfer-Encoding: gzip, chunked\r\n")), 501, false },
	{ S(P11("Transfer-Encoding: x-gzip, chunked\r\n")), 501, false },
	{ S(P11("Transfer-Encoding: deflate,chunked\r\n")), 501, false },
	{ S(P11("Transfer-Encoding: compress, chunked\r\n")), 501, false },
	{ S(P11("Transfer-Encoding: identity, chunked\r\n")), 501, false },
	{ S(P11("Transfer-Encoding: foo;q=1, chunked\r\n")), 501, false },
	{ S(P11("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")),
	  501, false },
	{ S(P11("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n")),
	  400, false },
	{ S(P11("Transfer-Encoding: CHUNKED\r\n")), 0, false },
	{ S(P11("Transfer-Encoding: , chunked ,\r\n")), 0, false },
	{ S(P11("Transfer-Encoding:\tchunked ; a = \"b,\\\"c\" ;d=e\t\r\n")),
	  0, false },
	/* Connection tokens. */
	{ S(H11("Connection: close;x\r\n")), 400, false },
	{ S(H11("Connection: \"close\"\r\n")), 400, false },
	{ S(H11("Connection: , close , ,TE\r\n")), 0, false },
	/* Limits: line 32 (414), field 24 and 3 fields (431). */
	{ S("GET /aaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n"), 0, true },
	{ S("GET /aaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n"), 414,
	  true },
	{ S("GET /aaaaaaaaaaaaaaaaaaa HTTP/1.1\nHost: a\n\n"), 414, true },
	{ S("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 414, true },
	{ S("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaa"), HTTP_PARSE_AGAIN, true },
	{ S("GET /aaaaaaaaaaaaaaaaaa HTTP/1.1\r"), HTTP_PARSE_AGAIN, true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: 345678901234567890123\r\n\r\n"), 0,
	  true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: 3456789012345678901234\r\n\r\n"),
	  431, true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: 3456789012345678901234"), 431,
	  true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: 345678901234567890123\r"),
	  HTTP_PARSE_AGAIN, true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n"), 0, true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\nZ: 3\r\n\r\n"), 431,
	  true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\nZ"), 431, true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r"),
	  HTTP_PARSE_AGAIN, true },
	/* Incomplete heads; garbage fails before the head is complete. */
	{ S(""), HTTP_PARSE_AGAIN, false },
	{ S("GET"), HTTP_PARSE_AGAIN, false },
	{ S("\r\nGE"), HTTP_PARSE_AGAIN, false },
	{ S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), 400, false },
	{ S("GET\r\n"), 400, false },
	{ S("\r\n\r"), 400, false },
	{ S("\rX"), 400, false },
	{ S(" "), 400, false },
	{ S("\r"), HTTP_PARSE_AGAIN, false },
	{ S("\r\n"), HTTP_PARSE_AGAIN, false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\n"), HTTP_PARSE_AGAIN, false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\n\r"), HTTP_PARSE_AGAIN, false },
};

static void
test_status(void)
{
	struct http_head	 h;
	size_t			 i;
	int			 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		rc = parse(cases[i].head, cases[i].len,
		    cases[i].small ? &lim_small : &lim_def, &h);
		if (rc != cases[i].status)
			fprintf(stderr, "\nstatus case %zu: got %d, want %d\n",
			    i, rc, cases[i].status);
		CU_ASSERT_EQUAL(rc, cases[i].status);
	}
}

/* Valid heads and what must be parsed out of them. */
static const struct valid_case {
	const char		*head;
	const char		*method;
	enum http_method	 method_id;
	enum http_target_form	 form;
	const char		*path;
	const char		*query;		/* NULL: no '?' */
	const char		*host;		/* NULL: none */
	int			 version;
	enum http_framing	 framing;
	uint64_t		 cl;
	bool			 keep_alive;
	size_t			 nfields;
} valid[] = {
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", HTTP_M_GET,
	  HTTP_T_ORIGIN, "/", NULL, "a", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "GET /p/q?x=1&y=%20 HTTP/1.1\r\nHost: ex.com:8080\r\n\r\n", "GET",
	  HTTP_M_GET, HTTP_T_ORIGIN, "/p/q", "x=1&y=%20", "ex.com:8080", 11,
	  HTTP_BODY_NONE, 0, true, 1 },
	{ "HEAD /p? HTTP/1.1\r\nHost: a\r\n\r\n", "HEAD", HTTP_M_HEAD,
	  HTTP_T_ORIGIN, "/p", "", "a", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "GET //a?b?c HTTP/1.1\r\nHost: a\r\n\r\n", "GET", HTTP_M_GET,
	  HTTP_T_ORIGIN, "//a", "b?c", "a", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "GET / HTTP/1.1\nHost:a\n\n", "GET", HTTP_M_GET, HTTP_T_ORIGIN, "/",
	  NULL, "a", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "\r\nGET / HTTP/1.1\r\nHost: \t a \t \r\n\r\n", "GET", HTTP_M_GET,
	  HTTP_T_ORIGIN, "/", NULL, "a", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "\nGET / HTTP/1.1\r\nHost: a\nX: 1\r\n\n", "GET", HTTP_M_GET,
	  HTTP_T_ORIGIN, "/", NULL, "a", 11, HTTP_BODY_NONE, 0, true, 2 },
	{ "GET / HTTP/1.0\r\n\r\n", "GET", HTTP_M_GET, HTTP_T_ORIGIN, "/",
	  NULL, NULL, 10, HTTP_BODY_NONE, 0, false, 0 },
	{ "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "GET",
	  HTTP_M_GET, HTTP_T_ORIGIN, "/", NULL, NULL, 10, HTTP_BODY_NONE, 0,
	  true, 1 },
	{ "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", "GET",
	  HTTP_M_GET, HTTP_T_ORIGIN, "/", NULL, NULL, 10, HTTP_BODY_NONE, 0,
	  false, 1 },
	{ "GET / HTTP/1.1\r\nConnection: x\r\nHost: a\r\nConnection: CLOSE"
	  "\r\n\r\n", "GET", HTTP_M_GET, HTTP_T_ORIGIN, "/", NULL, "a", 11,
	  HTTP_BODY_NONE, 0, false, 3 },
	{ "GET / HTTP/1.2\r\nHost: a\r\n\r\n", "GET", HTTP_M_GET,
	  HTTP_T_ORIGIN, "/", NULL, "a", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "GET http://Ex.com:81/x?y HTTP/1.1\r\nHost: other\r\n\r\n", "GET",
	  HTTP_M_GET, HTTP_T_ABSOLUTE, "/x", "y", "Ex.com:81", 11,
	  HTTP_BODY_NONE, 0, true, 1 },
	{ "GET HTTPS://a?q HTTP/1.1\r\nHost:\r\n\r\n", "GET", HTTP_M_GET,
	  HTTP_T_ABSOLUTE, "/", "q", "a", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "GET http://[::1]:8 HTTP/1.0\r\n\r\n", "GET", HTTP_M_GET,
	  HTTP_T_ABSOLUTE, "/", NULL, "[::1]:8", 10, HTTP_BODY_NONE, 0, false,
	  0 },
	{ "CONNECT ex.com:443 HTTP/1.1\r\nHost: ex.com:443\r\n\r\n",
	  "CONNECT", HTTP_M_CONNECT, HTTP_T_AUTHORITY, "/", NULL,
	  "ex.com:443", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", HTTP_M_OPTIONS,
	  HTTP_T_ASTERISK, "*", NULL, "a", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n", "POST",
	  HTTP_M_POST, HTTP_T_ORIGIN, "/f", NULL, "a", 11, HTTP_BODY_LENGTH, 7,
	  true, 2 },
	{ "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "PUT",
	  HTTP_M_PUT, HTTP_T_ORIGIN, "/", NULL, "a", 11, HTTP_BODY_LENGTH, 0,
	  true, 2 },
	{ "POST / HTTP/1.0\r\nContent-Length: 12, 12\r\n\r\n", "POST",
	  HTTP_M_POST, HTTP_T_ORIGIN, "/", NULL, NULL, 10, HTTP_BODY_LENGTH,
	  12, false, 1 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n",
	  "POST", HTTP_M_POST, HTTP_T_ORIGIN, "/", NULL, "a", 11,
	  HTTP_BODY_CHUNKED, 0, true, 2 },
	{ "PATCH / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", "PATCH", HTTP_M_PATCH,
	  HTTP_T_ORIGIN, "/", NULL, "a", 11, HTTP_BODY_CHUNKED, 0, true, 3 },
	{ "get / HTTP/1.1\r\nHost: a\r\n\r\n", "get", HTTP_M_OTHER,
	  HTTP_T_ORIGIN, "/", NULL, "a", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "PROPFIND /d HTTP/1.1\r\nHost: a\r\n\r\n", "PROPFIND", HTTP_M_OTHER,
	  HTTP_T_ORIGIN, "/d", NULL, "a", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", "DELETE", HTTP_M_DELETE,
	  HTTP_T_ORIGIN, "/", NULL, "a", 11, HTTP_BODY_NONE, 0, true, 1 },
	{ "TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", "TRACE", HTTP_M_TRACE,
	  HTTP_T_ORIGIN, "/", NULL, "a", 11, HTTP_BODY_NONE, 0, true, 1 },
};

static bool
valid_check(const struct valid_case *v, const struct http_head *h)
{
	return (str_is(h->method, v->method) && h->method_id == v->method_id &&
	    h->form == v->form && str_is(h->path, v->path) &&
	    h->has_query == (v->query != NULL) && str_is(h->query, v->query) &&
	    h->has_host == (v->host != NULL) && str_is(h->host, v->host) &&
	    h->version == v->version && h->framing == v->framing &&
	    h->content_length == v->cl && h->keep_alive == v->keep_alive &&
	    h->nfields == v->nfields && h->head_len == strlen(v->head));
}

static void
test_valid(void)
{
	struct http_head	 h;
	size_t			 i;
	int			 rc;

	for (i = 0; i < NITEMS(valid); i++) {
		rc = parse(valid[i].head, strlen(valid[i].head), NULL, &h);
		if (rc != 0 || !valid_check(&valid[i], &h))
			fprintf(stderr, "\nvalid case %zu: rc %d\n", i, rc);
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT(rc == 0 && valid_check(&valid[i], &h));
	}
}

static void
test_fields(void)
{
	static const char	 req[] = "POST /u HTTP/1.1\r\nHost: h.test\r\n"
	    "X-Empty:\r\nX-Ows: \t a b \t\r\nExpect: 100-Continue\r\n"
	    "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\nBODY";
	struct http_head	 h;
	const struct http_field	*f;

	CU_ASSERT_EQUAL_FATAL(parse(req, sizeof(req) - 1, NULL, &h), 0);
	CU_ASSERT_EQUAL(h.head_len, sizeof(req) - 1 - 4);
	CU_ASSERT_EQUAL(h.nfields, 6);
	CU_ASSERT(str_is(h.fields[0].name, "Host"));
	CU_ASSERT(str_is(h.fields[0].value, "h.test"));
	CU_ASSERT((f = http_head_field(&h, "x-empty")) != NULL &&
	    f->value.len == 0 && f->value.p != NULL);
	CU_ASSERT((f = http_head_field(&h, "X-OWS")) != NULL &&
	    str_is(f->value, "a b"));
	CU_ASSERT(http_head_field(&h, "X-Missing") == NULL);
	CU_ASSERT(http_head_field(&h, "X-Ow") == NULL);
	CU_ASSERT(h.expect_continue);
	CU_ASSERT(h.upgrade);
	CU_ASSERT(h.keep_alive);

	/* RFC 9110 7.8, 10.1.1: HTTP/1.0 ignores Upgrade and Expect. */
	CU_ASSERT_EQUAL_FATAL(parse(S("GET / HTTP/1.0\r\nExpect: 100-continue"
	    "\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n"), NULL, &h), 0);
	CU_ASSERT(!h.expect_continue && !h.upgrade);
	/* An Upgrade field without the Connection option is no upgrade. */
	CU_ASSERT_EQUAL_FATAL(parse(S(H11("Upgrade: h2c\r\n")), NULL, &h), 0);
	CU_ASSERT(!h.upgrade);
	/* Unknown expectations are left to the caller (417). */
	CU_ASSERT_EQUAL_FATAL(parse(S(H11("Expect: 200-ok\r\n")), NULL, &h), 0);
	CU_ASSERT(!h.expect_continue);
	CU_ASSERT(http_head_field(&h, "Expect") != NULL);

	CU_ASSERT_EQUAL(http_method_id("GET", 3), HTTP_M_GET);
	CU_ASSERT_EQUAL(http_method_id("GETX", 3), HTTP_M_GET);
	CU_ASSERT_EQUAL(http_method_id("GET", 2), HTTP_M_OTHER);
	CU_ASSERT_EQUAL(http_method_id("options", 7), HTTP_M_OTHER);
}

/*
 * Every byte in each position against the RFC definitions written out
 * with strchr, so the lookup tables cannot drift from the grammar.
 */
static const char tchars[] = "!#$%&'*+-.^_`|~0123456789"
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char uchars[] = "-._~!$&'()*+,;=:@/?[]"
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

static bool
in_set(const char *set, int c)
{
	return (c != 0 && strchr(set, c) != NULL);
}

static bool
is_vchar(int c)
{
	return (c == '\t' || (c >= 0x20 && c != 0x7f));
}

static int
parse_fmt(const char *fmt, int c, const struct http_limits *lim)
{
	static char		 buf[256];
	struct http_head	 h;
	size_t			 i, n = 0;

	for (i = 0; fmt[i] != '\0'; i++)
		buf[n++] = fmt[i] == '@' ? (char)c : fmt[i];
	return (parse(buf, n, lim, &h));
}

static void
test_bytes(void)
{
	int c, want, got;

	for (c = 0; c < 256; c++) {
		want = in_set(tchars, c) ? 0 : 400;
		if ((got = parse_fmt("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", c,
		    NULL)) != want)
			fprintf(stderr, "\nmethod byte 0x%02x: %d\n", c, got);
		CU_ASSERT_EQUAL(got, want);
		want = in_set(tchars, c) || c == ':' ? 0 : 400;
		if ((got = parse_fmt(H11("X@: v\r\n"), c, NULL)) != want)
			fprintf(stderr, "\nname byte 0x%02x: %d\n", c, got);
		CU_ASSERT_EQUAL(got, want);
		want = is_vchar(c) ? 0 : 400;
		if ((got = parse_fmt(H11("X: a@b\r\n"), c, NULL)) != want)
			fprintf(stderr, "\nvalue byte 0x%02x: %d\n", c, got);
		CU_ASSERT_EQUAL(got, want);
		want = in_set(uchars, c) ? 0 : 400;
		if ((got = parse_fmt("GET /@ HTTP/1.1\r\nHost: a\r\n\r\n", c,
		    NULL)) != want)
			fprintf(stderr, "\ntarget byte 0x%02x: %d\n", c, got);
		CU_ASSERT_EQUAL(got, want);
	}
}

/* Every proper prefix of a head is AGAIN; the whole head parses the same. */
static void
test_incremental(void)
{
	static const char *const heads[] = {
		"GET /a?b HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\nBODY",
		"\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n"
		"1234",
		"\nGET / HTTP/1.0\n\n\n",
		"GET / HTTP/1.1\r\nHost: a\n\r\n",
	};
	struct http_head	 h;
	size_t			 i, k, hl, len;
	int			 rc;

	for (i = 0; i < NITEMS(heads); i++) {
		len = strlen(heads[i]);
		CU_ASSERT_EQUAL_FATAL(parse(heads[i], len, NULL, &h), 0);
		hl = h.head_len;
		for (k = 0; k < len; k++) {
			rc = parse(heads[i], k, NULL, &h);
			if (rc != (k < hl ? HTTP_PARSE_AGAIN : 0) ||
			    (rc == 0 && h.head_len != hl))
				fprintf(stderr, "\nhead %zu prefix %zu: %d\n",
				    i, k, rc);
			CU_ASSERT_EQUAL(rc, k < hl ? HTTP_PARSE_AGAIN : 0);
		}
	}
}

/* Builds "GET / HTTP/1.0" with n fields; end adds the empty line. */
static size_t
many_fields(char *buf, size_t n, bool end)
{
	size_t i, len = 16;

	memcpy(buf, "GET / HTTP/1.0\r\n", len);
	for (i = 0; i < n; i++, len += 5)
		memcpy(buf + len, "X:1\r\n", 5);
	if (end) {
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	return (len);
}

/* Long lines and many fields, at given and at the default limits. */
static void
test_limits(void)
{
	struct http_limits	 lim = { 100, 100, 2 };
	struct http_head	 h;
	char			*buf;
	size_t			 n = 20000;

	CU_ASSERT_FATAL((buf = malloc(n)) != NULL);
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', n - 5);
	CU_ASSERT_EQUAL(parse(buf, 100, &lim, &h), HTTP_PARSE_AGAIN);
	CU_ASSERT_EQUAL(parse(buf, 101, &lim, &h), 414);
	CU_ASSERT_EQUAL(parse(buf, 8190, NULL, &h), HTTP_PARSE_AGAIN);
	CU_ASSERT_EQUAL(parse(buf, 8191, NULL, &h), 414);
	memcpy(buf, "GET / HTTP/1.1\r\nHost: a\r\nX: ", 28);
	CU_ASSERT_EQUAL(parse(buf, 25 + 100, &lim, &h), HTTP_PARSE_AGAIN);
	CU_ASSERT_EQUAL(parse(buf, 25 + 101, &lim, &h), 431);
	CU_ASSERT_EQUAL(parse(buf, 25 + 8190, NULL, &h), HTTP_PARSE_AGAIN);
	CU_ASSERT_EQUAL(parse(buf, 25 + 8191, NULL, &h), 431);

	n = many_fields(buf, 100, true);
	CU_ASSERT(parse(buf, n, NULL, &h) == 0 && h.nfields == 100);
	n = many_fields(buf, 101, true);
	CU_ASSERT_EQUAL(parse(buf, n, NULL, &h), 431);
	n = many_fields(buf, 101, false);
	CU_ASSERT_EQUAL(parse(buf, n - 4, NULL, &h), 431);
	CU_ASSERT_EQUAL(parse(buf, n - 5, NULL, &h), HTTP_PARSE_AGAIN);
	n = many_fields(buf, 2, true);
	CU_ASSERT_EQUAL(parse(buf, n, &lim, &h), 0);
	n = many_fields(buf, 3, true);
	CU_ASSERT_EQUAL(parse(buf, n, &lim, &h), 431);
	free(buf);
}

/*
 * Feeds in[] to the decoder step bytes at a time, as a caller does: the
 * unused rest of a step is offered again with the next bytes.
 */
static int
decode(struct http_chunked *c, const char *in, size_t len, size_t step,
    char *out, size_t *outlen, size_t *consumed)
{
	size_t	 off = 0, n, used, doff, dlen;
	int	 rc = 0;

	*outlen = 0;
	while (off < len) {
		n = len - off < step ? len - off : step;
		rc = http_chunked_step(c, in + off, n, &used, &doff, &dlen);
		if (used > n || doff + dlen > used ||
		    (used == 0 && rc == 0))
			return (-1);
		memcpy(out + *outlen, in + off + doff, dlen);
		*outlen += dlen;
		off += used;
		if (rc != 0)
			break;
	}
	*consumed = off;
	return (rc);
}

static const struct chunk_case {
	const char	*in;
	size_t		 len;
	int		 rc;
	const char	*data;		/* decoded (a prefix, for 400) */
	size_t		 dlen;
	size_t		 rest;		/* bytes after the body, unused */
} chunks[] = {
	{ S("5\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), 0 },
	{ S("005\r\nhello\r\n000\r\n\r\n"), 1, S("hello"), 0 },
	{ S("a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n"), 1,
	  S("01234567890123456789"), 0 },
	{ S("5\nhello\n0\n\n"), 1, S("hello"), 0 },
	{ S("5\r\nhello\n0\r\n\n"), 1, S("hello"), 0 },
	{ S("5;ext\r\nhello\r\n0;last\r\n\r\n"), 1, S("hello"), 0 },
	{ S("5;a=b;c=\"d;e\\\"\\\\\";f\r\nhello\r\n0\r\n\r\n"), 1, S("hello"),
	  0 },
	{ S("5 ;a = b\t; c\t=\t\"x\"\r\nhello\r\n0\r\n\r\n"), 1, S("hello"),
	  0 },
	{ S("5; a\r\nhello\r\n0\r\n\r\n"), 1, S("hello"), 0 },
	{ S("5\r\nhello\r\n0\r\nX-T: v\r\nY:\r\nZ: \"q\" \x80\r\n\r\n"), 1,
	  S("hello"), 0 },
	{ S("5\r\nhello\r\n3\r\n\r\n\0\r\n0\r\n\r\n"), 1, S("hello\r\n\0"), 0 },
	{ S("0\r\n\r\n"), 1, S(""), 0 },
	{ S("0\r\n\r\nGET / HTTP/1.1\r\n"), 1, S(""), 16 },
	{ S("5\r\nhel"), 0, S("hel"), 0 },
	{ S("5\r\nhello\r\n0\r\nX: 1\r\n"), 0, S("hello"), 0 },
	{ S("4000000000000000\r\nab"), 0, S("ab"), 0 },
	{ S("x\r\n"), 400, S(""), 0 },
	{ S("\r\n"), 400, S(""), 0 },
	{ S(" 5\r\nhello\r\n0\r\n\r\n"), 400, S(""), 0 },
	{ S("5 \r\nhello\r\n0\r\n\r\n"), 400, S(""), 0 },
	{ S("-5\r\n"), 400, S(""), 0 },
	{ S("0x5\r\n"), 400, S(""), 0 },
	{ S("5\rhello"), 400, S(""), 0 },
	{ S("5\r\nhelloX\r\n0\r\n\r\n"), 400, S("hello"), 0 },
	{ S("5\r\nhelloa0\r\n\r\n"), 400, S("hello"), 0 },
	{ S("5\r\nhello\r\n\r\n0\r\n\r\n"), 400, S("hello"), 0 },
	{ S("5\r\nhello\r0\r\n\r\n"), 400, S("hello"), 0 },
	{ S("5\r\nhello\r\r\n0\r\n\r\n"), 400, S("hello"), 0 },
	{ S("5;\r\nhello"), 400, S(""), 0 },
	{ S("5;=a\r\nhello"), 400, S(""), 0 },
	{ S("5;a=\r\nhello"), 400, S(""), 0 },
	{ S("5;a =\r\nhello"), 400, S(""), 0 },
	{ S("5;a \r\nhello"), 400, S(""), 0 },
	{ S("5;a=b \r\nhello"), 400, S(""), 0 },
	{ S("5;a=b c\r\nhello"), 400, S(""), 0 },
	{ S("5;a=\"b\r\nhello"), 400, S(""), 0 },
	{ S("5;a=\"b\"c\r\nhello"), 400, S(""), 0 },
	{ S("5;a@=b\r\nhello"), 400, S(""), 0 },
	{ S("5;a=\"\x01\"\r\nhello"), 400, S(""), 0 },
	{ S("5\r\r\nhello"), 400, S(""), 0 },
	{ S("10000000000000000\r\n"), 400, S(""), 0 },
	{ S("4000000000000001\r\n"), 400, S(""), 0 },
	{ S("0\r\n X: a\r\n\r\n"), 400, S(""), 0 },
	{ S("0\r\n: a\r\n\r\n"), 400, S(""), 0 },
	{ S("0\r\nX : a\r\n\r\n"), 400, S(""), 0 },
	{ S("0\r\nX\r\n\r\n"), 400, S(""), 0 },
	{ S("0\r\nX: a\0\r\n\r\n"), 400, S(""), 0 },
	{ S("0\r\nX: a\rb\r\n\r\n"), 400, S(""), 0 },
	{ S("0\r\n\r\r\n"), 400, S(""), 0 },
	{ S("0\r\n\rX"), 400, S(""), 0 },
};

static void
chunk_run(size_t i, const struct chunk_case *cc, size_t step)
{
	struct http_chunked	 c;
	char			 out[128];
	size_t			 outlen, used, want_used;
	int			 rc;

	memset(&c, 0, sizeof(c));
	rc = decode(&c, cc->in, cc->len, step, out, &outlen, &used);
	want_used = cc->rc == 400 ? used : cc->len - cc->rest;
	if (rc != cc->rc || used != want_used || outlen != cc->dlen ||
	    memcmp(out, cc->data, outlen) != 0)
		fprintf(stderr, "\nchunk case %zu step %zu: rc %d, %zu bytes\n",
		    i, step, rc, outlen);
	CU_ASSERT_EQUAL(rc, cc->rc);
	CU_ASSERT_EQUAL(used, want_used);
	CU_ASSERT(outlen == cc->dlen && memcmp(out, cc->data, outlen) == 0);
}

static void
test_chunked(void)
{
	size_t i;

	for (i = 0; i < NITEMS(chunks); i++) {
		chunk_run(i, &chunks[i], chunks[i].len);
		chunk_run(i, &chunks[i], 1);
		chunk_run(i, &chunks[i], 2);
	}
}

static void
test_chunked_limits(void)
{
	static const char	 body[] = "0\r\nX: 12345678\r\n\r\n";
	struct http_chunked	 c;
	char			 out[64];
	size_t			 outlen, used;

	memset(&c, 0, sizeof(c));
	c.line_max = 16;
	CU_ASSERT_EQUAL(decode(&c, S("0000000000000005\r\nhello"), 1, out,
	    &outlen, &used), 0);
	memset(&c, 0, sizeof(c));
	c.line_max = 16;
	CU_ASSERT_EQUAL(decode(&c, S("00000000000000005\r\nhello"), 1, out,
	    &outlen, &used), 400);
	memset(&c, 0, sizeof(c));
	c.line_max = 16;
	CU_ASSERT_EQUAL(decode(&c, S("5;abcdefghijklmnop\r\n"), 1, out,
	    &outlen, &used), 400);
	memset(&c, 0, sizeof(c));
	c.trailer_max = sizeof(body) - 4;
	CU_ASSERT_EQUAL(decode(&c, S(body), 1, out, &outlen, &used), 1);
	memset(&c, 0, sizeof(c));
	c.trailer_max = sizeof(body) - 5;
	CU_ASSERT_EQUAL(decode(&c, S(body), 1, out, &outlen, &used), 400);
	/* After the end or an error, the decoder stays where it is. */
	CU_ASSERT_EQUAL(http_chunked_step(&c, "0", 1, &used, &outlen, &outlen),
	    400);
	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(decode(&c, S("0\r\n\r\n"), 5, out, &outlen, &used), 1);
	CU_ASSERT_EQUAL(http_chunked_step(&c, "0", 1, &used, &outlen, &outlen),
	    1);
	CU_ASSERT_EQUAL(used, 0);
}

static const struct pt_unit_test tests[] = {
	{ "status table", test_status },
	{ "valid heads", test_valid },
	{ "fields", test_fields },
	{ "bytes against the grammar", test_bytes },
	{ "incremental", test_incremental },
	{ "limits", test_limits },
	{ "chunked", test_chunked },
	{ "chunked limits", test_chunked_limits },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("http_parse", setup_arena, free_arena, tests));
}
