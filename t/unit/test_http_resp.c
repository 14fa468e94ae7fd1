/*
 * The upstream response-head parser (http_resp.c): what it accepts, and
 * that a control byte anywhere in a field line or the reason phrase is a
 * 502 wherever it stands (the value check works a word at a time).
 */
#include "config.h"

#include "unit.h"

#include <string.h>

#include "arena_priv.h"
#include "http_parse.h"

#define S(s)	s, sizeof(s) - 1

static struct pt_arena			*arena;
static const struct http_limits		 lim = { 8190, 8190, 100 };

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
parse(const char *buf, size_t len, struct http_resp *rs)
{
	pt_arena_reset(arena);
	return (http_parse_response(arena, buf, len, &lim, HTTP_M_GET, rs));
}

/* "HTTP/1.1 200 OK\r\nX: <value>\r\nContent-Length: 0\r\n\r\n" */
static int
parse_value(const char *value, size_t vlen)
{
	char			 buf[256];
	struct http_resp	 rs;
	size_t			 n = 0;

	memcpy(buf, "HTTP/1.1 200 OK\r\nX: ", 20);
	n = 20;
	memcpy(buf + n, value, vlen);
	n += vlen;
	memcpy(buf + n, "\r\nContent-Length: 0\r\n\r\n", 23);
	n += 23;
	return (parse(buf, n, &rs));
}

static void
test_valid(void)
{
	static const char	 head[] = "HTTP/1.1 200 OK\r\nServer: nginx\r\n"
	    "Content-Type: text/html\r\nContent-Length: 1024\r\n"
	    "Connection: keep-alive\r\nETag: \"6564c2a0-400\"\r\n\r\nbody";
	struct http_resp	 rs;

	CU_ASSERT_EQUAL_FATAL(parse(S(head), &rs), 0);
	CU_ASSERT_EQUAL(rs.status, 200);
	CU_ASSERT_EQUAL(rs.version, 11);
	CU_ASSERT_EQUAL(rs.nfields, 5);
	CU_ASSERT_EQUAL(rs.framing, HTTP_RESP_LENGTH);
	CU_ASSERT_EQUAL(rs.content_length, 1024);
	CU_ASSERT_TRUE(rs.keep_alive);
	CU_ASSERT_EQUAL(rs.head_len, sizeof(head) - 5);
	CU_ASSERT_EQUAL(rs.fields[4].value.len, 14);
	CU_ASSERT_EQUAL(parse(S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"),
	    &rs), HTTP_PARSE_AGAIN);
}

/* Every control but HTAB, at every offset of a 20-byte value: a 502. */
static void
test_value_controls(void)
{
	char	v[21];
	int	c, at;

	memset(v, 'a', 20);
	CU_ASSERT_EQUAL(parse_value(v, 20), 0);
	v[3] = '\t';
	v[11] = (char)0xe9;	/* obs-text passes */
	CU_ASSERT_EQUAL(parse_value(v, 20), 0);
	for (c = 0; c < 0x80; c++) {
		if (c != 0 && c != '\r' && c != '\n' && c != 0x1f && c != 0x7f &&
		    c != 0x01)
			continue;
		for (at = 0; at < 20; at++) {
			memset(v, 'a', 20);
			v[at] = (char)c;
			if (c == '\n' && (at == 0 || at == 19))
				continue;	/* ends the line: another shape */
			CU_ASSERT_EQUAL(parse_value(v, 20), 502);
		}
	}
}

/* A bare CR in a name, the reason or the status line is refused too. */
static void
test_bare_cr(void)
{
	struct http_resp	rs;

	CU_ASSERT_EQUAL(parse(S("HTTP/1.1 200 O\rK\r\nContent-Length: 0\r\n\r\n"),
	    &rs), 502);
	CU_ASSERT_EQUAL(parse(S("HTTP/1.1 200 OK\r\nX\r-Y: 1\r\n"
	    "Content-Length: 0\r\n\r\n"), &rs), 502);
	CU_ASSERT_EQUAL(parse(S("HTTP/1.1 200 OK\r\nX-Y:\r 1\r\n"
	    "Content-Length: 0\r\n\r\n"), &rs), 502);
	CU_ASSERT_EQUAL(parse(S("HTTP/1.1 200 OK\r\nX-Y: 1 \r\r\n"
	    "Content-Length: 0\r\n\r\n"), &rs), 502);
	CU_ASSERT_EQUAL(parse(S("HTTP/1.1 200\r OK\r\nContent-Length: 0\r\n\r\n"),
	    &rs), 502);
}

static const struct pt_unit_test tests[] = {
	{ "valid head", test_valid },
	{ "controls in a value", test_value_controls },
	{ "bare CR", test_bare_cr },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("http_resp", setup_arena, free_arena, tests));
}
