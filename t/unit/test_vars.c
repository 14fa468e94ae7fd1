/* t/unit/test_vars.c: the %{variables} and the access log formats. */
#include "config.h"

#include <string.h>

#include "unit.h"
#include "core.h"
#include "vars.h"

static struct pt_arena	*arena;
static struct pt_conn	 conn;
static struct listener	 lst;
static struct pt_request req;

static const char HEAD[] = "GET /a%20b/c?x=1&y=2 HTTP/1.1\r\n"
    "Host: Example.TEST:8080\r\nUser-Agent: ua \"quoted\"\r\n"
    "Referer: http://r.test/\r\nCookie: a=1; sid=abc; b=2\r\n"
    "Cookie: late=z\r\nX-Ctl: tab\there\r\n\r\n";

static int
setup(void)
{
	struct http_limits lim = { 8190, 8190, 100 };

	arena = pt_arena_new(4096, 0);
	memset(&conn, 0, sizeof(conn));
	memset(&req, 0, sizeof(req));
	strcpy(conn.client, "10.1.2.3");
	strcpy(conn.client_port, "5555");
	strcpy(lst.bound, "127.0.0.1:80");
	conn.lst = &lst;
	req.conn = &conn;
	req.arena = arena;
	strcpy(req.id, "00112233aabbccdd");
	req.path = "/a b/c";
	req.status = 404;
	req.bytes_out = 1234;
	return (http_parse_head(arena, HEAD, sizeof(HEAD) - 1, &lim,
	    &req.head) == 0 ? 0 : -1);
}

static int
teardown(void)
{
	pt_arena_free(arena);
	return (0);
}

static const struct { const char *name, *value; int rc; } cases[] = {
	{ "method", "GET", 0 },
	{ "path", "/a b/c", 0 },
	{ "raw_path", "/a%20b/c", 0 },
	{ "query", "x=1&y=2", 0 },
	{ "uri", "/a%20b/c?x=1&y=2", 0 },
	{ "host", "Example.TEST:8080", 0 },
	{ "protocol", "HTTP/1.1", 0 },
	{ "client_addr", "10.1.2.3", 0 },
	{ "client_port", "5555", 0 },
	{ "server_addr", "127.0.0.1:80", 0 },
	{ "request_id", "00112233aabbccdd", 0 },
	{ "status", "404", 0 },
	{ "bytes_sent", "1234", 0 },
	{ "header.user-agent", "ua \"quoted\"", 0 },
	{ "HEADER.Referer", "http://r.test/", 0 },
	{ "header.missing", "", -1 },
	{ "cookie.sid", "abc", 0 },
	{ "cookie.a", "1", 0 },
	{ "cookie.late", "z", 0 },
	{ "cookie.nope", "", -1 },
	{ "no_such_var", "", -1 },
};

static void
test_lookup(void)
{
	struct pt_str	v;
	char		buf[64];
	size_t		i;
	int		rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = var_lookup(&req, cases[i].name, strlen(cases[i].name), &v,
		    buf, sizeof(buf));
		if (rc != cases[i].rc || v.len != strlen(cases[i].value) ||
		    memcmp(v.p, cases[i].value, v.len) != 0)
			fprintf(stderr, "case %zu (%s): rc %d, \"%.*s\"\n", i,
			    cases[i].name, rc, (int)v.len, v.p);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		CU_ASSERT_EQUAL(v.len, strlen(cases[i].value));
		CU_ASSERT(memcmp(v.p, cases[i].value, v.len) == 0);
	}
	CU_ASSERT_TRUE(var_is_known("header.anything", 15));
	CU_ASSERT_TRUE(var_is_known("request_time", 12));
	CU_ASSERT_FALSE(var_is_known("bogus", 5));
}

static void
test_formats(void)
{
	char	out[2048];
	size_t	n;

	n = access_log_format_line(&req, "combined", out, sizeof(out));
	out[n] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "10.1.2.3 - - ["));
	CU_ASSERT_PTR_NOT_NULL(strstr(out,
	    "] \"GET /a%20b/c?x=1&y=2 HTTP/1.1\" 404 1234 \"http://r.test/\" "
	    "\"ua \\\"quoted\\\"\""));
	n = access_log_format_line(&req, "common", out, sizeof(out));
	out[n] = '\0';
	CU_ASSERT_PTR_NULL(strstr(out, "r.test"));
	n = access_log_format_line(&req, "json", out, sizeof(out));
	out[n] = '\0';
	CU_ASSERT(out[0] == '{' && out[n - 1] == '}');
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"status\":\"404\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"user_agent\":\"ua \\\"quoted\\\"\""));
	n = access_log_format_line(&req, "%{method}|%{header.x-ctl}|"
	    "%{header.none}|%{cookie.sid}|100%|%{unclosed", out, sizeof(out));
	out[n] = '\0';
	CU_ASSERT_STRING_EQUAL(out, "GET|tab\\x09here|-|abc|100%|%{unclosed");
}

/*
 * A tunnel's line: what only its end knows is left as markers, filled in
 * by the tunnel process (access_log_late_fill) when it closes.
 */
static void
test_deferred(void)
{
	struct pt_conf		 cf;
	struct alog_late	 late = { 9, 120, 1234567 };
	const struct pt_conf	*saved = req.conf;
	char			 tpl[512], out[512];
	size_t			 n;
	int			 fd;

	memset(&cf, 0, sizeof(cf));
	cf.sc.access_log = "stdout";
	cf.sc.access_log_format = "%{client_addr} \"%{request_line}\" "
	    "%{status} %{bytes_sent} %{bytes_received} %{request_time} "
	    "%{request_time_us} \x01x";
	req.conf = &cf;
	CU_ASSERT_EQUAL(access_log_open(&cf), 0);
	n = access_log_defer(&req, tpl, sizeof(tpl), &fd);
	CU_ASSERT(n > 0 && fd != -1 && tpl[n - 1] == '\n');
	CU_ASSERT_PTR_NULL(memmem(tpl, n, "1234", 4));	/* bytes_out: late */
	n = access_log_late_fill(tpl, n, &late, out, sizeof(out) - 1);
	out[n] = '\0';
	CU_ASSERT_STRING_EQUAL(out, "10.1.2.3 \"GET /a%20b/c?x=1&y=2 "
	    "HTTP/1.1\" 404 9 120 1.234 1234567 ?x\n");
	/* A line cut short still ends with its newline. */
	n = access_log_defer(&req, tpl, sizeof(tpl), &fd);
	n = access_log_late_fill(tpl, n, &late, out, 12);
	CU_ASSERT(n == 11 && out[10] == '\n');
	cf.sc.access_log_format = "json";
	n = access_log_defer(&req, tpl, sizeof(tpl), &fd);
	n = access_log_late_fill(tpl, n, &late, out, sizeof(out) - 1);
	out[n] = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"bytes_sent\":\"9\","
	    "\"bytes_received\":\"120\",\"request_time\":\"1.234\""));
	CU_ASSERT_PTR_NULL(strchr(out, '\x01'));
	/* Not deferred: the worker's own line is as before. */
	n = access_log_format_line(&req, "%{bytes_sent}", out, sizeof(out));
	CU_ASSERT(n == 4 && memcmp(out, "1234", 4) == 0);
	access_log_close();
	req.conf = saved;
}

static const struct pt_unit_test tests[] = {
	{ "variables", test_lookup },
	{ "log formats", test_formats },
	{ "deferred tunnel lines", test_deferred },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("vars", setup, teardown, tests));
}
