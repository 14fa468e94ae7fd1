/*
 * t/unit/test_rewrite_engine.c: mod_rewrite's engine alone, no server
 * around it: templates ($N, %N, %{VAR}, ${map:key|default}) and their
 * escaping, parse errors, flags, rule checks, conditions (regex, compare,
 * CIDR, file tests, not, or), maps (txt, rnd, internal functions), the
 * match limit, and whole passes of rule sets (internal rewrites, query
 * handling, redirects, proxy, status, chain, skip, last, invalid URIs).
 */
#include "config.h"

#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "unit.h"
#include "arena_priv.h"
#include "rewrite_engine.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The case tables leave trailing fields out: they are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static struct pt_arena	*arena;
static struct rw_maps	 maps;
static char		 tmpdir[] = "/tmp/rw-unit-XXXXXX";

/* --- the caller's side, faked ---------------------------------------------- */

static const char *const fake_vars[][2] = {
	{ "host", "www.example.com" },
	{ "scheme", "http" },
	{ "uri", "/old/a%20b?x=1" },
	{ "query", "x=1" },
	{ "method", "GET" },
	{ "header.User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1)" },
	{ "header.X-Evil", "a\r\nSet-Cookie: x=1" },
	{ "cookie.lang", "fr" },
	{ "client_addr", "192.0.2.77" },
	{ "env.tier", "gold" },
	{ "empty", "" },
};

/* Every callback must get the caller's arg back, never the engine's. */
static int	sentinel, badarg;

static const char *
fake_var(void *arg, const char *name, size_t len, size_t *vlen)
{
	size_t i;

	if (arg != &sentinel)
		badarg++;
	for (i = 0; i < NELEM(fake_vars); i++)
		if (strlen(fake_vars[i][0]) == len &&
		    strncasecmp(fake_vars[i][0], name, len) == 0) {
			*vlen = strlen(fake_vars[i][1]);
			return (fake_vars[i][1]);
		}
	return (NULL);
}

static char	acts[1024];	/* "env:a=b|header:X=y|" */
static int	nwarn;

static void
fake_act(void *arg, const struct rw_rule *r, enum rw_act_kind k,
    const char *name, const char *value)
{
	size_t n = strlen(acts);

	if (arg != &sentinel)
		badarg++;
	(void)r;
	snprintf(acts + n, sizeof(acts) - n, "%s:%s=%s|", k == RW_ACT_ENV ?
	    "env" : k == RW_ACT_COOKIE ? "cookie" : "header", name, value);
}

static void
fake_warn(void *arg, const char *fmt, ...)
{
	if (arg != &sentinel)
		badarg++;
	(void)fmt;
	nwarn++;
}

static struct rw_io
fake_io(void)
{
	struct rw_io io;

	memset(&io, 0, sizeof(io));
	io.arg = &sentinel;
	io.var = fake_var;
	io.act = fake_act;
	io.warn = fake_warn;
	io.root = tmpdir;
	return (io);
}

static void
write_file(const char *name, const char *text)
{
	char	 path[256];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void)
{
	char	 err[256];
	size_t	 i;

	if ((arena = pt_arena_new(64 * 1024, 0)) == NULL ||
	    mkdtemp(tmpdir) == NULL)
		return (1);
	write_file("users.map", "# users\nalice  /home/alice\nbob /home/bob\n"
	    "\nalice /second/wins/not\ncarol\t/home/carol # trailing\n");
	write_file("servers.map", "static s1|s2|s3\nsolo only\n");
	write_file("bad.map", "good value\nlonely\n");
	write_file("page.html", "x");
	mkdir(strcat(strcpy(err, tmpdir), "/dir"), 0755);
	maps.v = pt_calloc(arena, 3, sizeof(*maps.v));
	maps.v[0].name = "users";
	maps.v[0].type = RW_MAP_TXT;
	maps.v[1].name = "servers";
	maps.v[1].type = RW_MAP_RND;
	maps.v[2].name = "bad";
	maps.v[2].type = RW_MAP_TXT;
	for (i = 0; i < 3; i++)
		maps.v[i].file = pt_printf(arena, "%s/%s.map", tmpdir,
		    maps.v[i].name);
	maps.n = 2;
	if (rw_map_load(arena, &maps.v[0], err, sizeof(err)) != 0 ||
	    rw_map_load(arena, &maps.v[1], err, sizeof(err)) != 0)
		return (1);
	return (rw_engine_init());
}

static int
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return (1);
	pt_arena_free(arena);
	return (0);
}

/* --- templates -------------------------------------------------------------- */

static const struct {
	const char	*pattern;	/* matched against subject for $N */
	const char	*subject;
	const char	*tmpl;
	bool		 escape;
	const char	*want;		/* NULL: too long */
	long		 qpos;		/* where the literal '?' lands, -1 */
} subst_cases[] = {
	{ "^/old/(.*)$", "/old/page", "/new/$1", true, "/new/page", -1 },
	{ "^/(a)(b)(c)(d)(e)(f)(g)(h)(i)$", "/abcdefghi", "$9$8$7$6$5$4$3$2$1",
	    false, "ihgfedcba", -1 },
	{ "^/(.*)$", "/x", "$0|$1|$2", false, "/x|x|", -1 },
	{ "^/(x)?(y)$", "/y", "[$1][$2]", false, "[][y]", -1 },
	{ "^/(.*)$", "/p", "/q?host=%{host}&m=%{method}", true,
	    "/q?host=www.example.com&m=GET", 2 },
	{ "^/(.*)$", "/p", "%{nosuch}/%{empty}/", false, "//", -1 },
	{ "^/(.*)$", "/p", "/u/${users:alice}", false, "/u//home/alice", -1 },
	{ "^/(.*)$", "/carol", "${users:$1}", false, "/home/carol", -1 },
	{ "^/(.*)$", "/dave", "${users:$1|/nobody}", false, "/nobody", -1 },
	{ "^/(.*)$", "/dave", "[${users:$1}]", false, "[]", -1 },
	{ "^/(.*)$", "/dave", "${users:$1|/def/$1}", false, "/def/dave", -1 },
	{ "^/(.*)$", "/ABC", "${tolower:$1}", false, "abc", -1 },
	{ "^/(.*)$", "/abc", "${toupper:$1}", false, "ABC", -1 },
	{ "^/(.*)$", "/a b&c", "${escape:$1}", false, "a%20b%26c", -1 },
	{ "^/(.*)$", "/a%20b%2", "${unescape:$1}", false, "a b%2", -1 },
	{ "^/(.*)$", "/x%00y", "${unescape:$1}", false, "x%00y", -1 },
	{ "^/(.*)$", "/bob", "${tolower:${users:$1}}", false, "/home/bob", -1 },
	{ "^/(.*)$", "/solo", "${servers:$1}", false, "only", -1 },
	/* Escaping: captures are decoded, so path characters are encoded. */
	{ "^/(.*)$", "/a b%c?d#e", "/n/$1", true, "/n/a%20b%25c%3Fd%23e", -1 },
	{ "^/(.*)$", "/a b%c?d#e", "/n/$1", false, "/n/a b%c?d#e", -1 },
	{ "^/(.*)$", "/a b", "/n?q=$1&r=%{query}", true, "/n?q=a%20b&r=x=1",
	    2 },
	{ "^/(.*)$", "/ü", "/$1", true, "/%C3%BC", -1 },
	{ "^/(.*)$", "/p", "/h/%{header.X-Evil}", true,
	    "/h/a%0D%0ASet-Cookie:%20x=1", -1 },
	{ "^/(.*)$", "/p", "/h?%{header.X-Evil}", true,
	    "/h?a%0D%0ASet-Cookie:%20x=1", 2 },
	/* Backslash escapes; a '?' from a capture does not start the query. */
	{ "^/(.*)$", "/p", "\\$1\\%{x}\\\\", false, "$1%{x}\\", -1 },
	{ "^/(.*)$", "/a?b", "/$1?c", false, "/a?b?c", 4 },
	{ "^/(.*)$", "/p", "/100%", false, "/100%", -1 },
	{ "^/(.*)$", "/p", "$", false, "$", -1 },
	{ "^/(.*)$", "/p", "%{env.tier}-%{ENV.tier}", false, "gold-gold", -1 },
};

static void
test_subst(void)
{
	struct rw_io	 io = fake_io();
	struct rw_subst	 t;
	struct rw_rx	*rx;
	struct rw_caps	 c;
	char		 err[256], out[256];
	size_t		 i, qpos, off;
	long		 n;

	for (i = 0; i < NELEM(subst_cases); i++) {
		rx = rw_rx_compile(arena, subst_cases[i].pattern, false, err,
		    sizeof(err), &off);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
		CU_ASSERT_EQUAL_FATAL(rw_rx_match(rx, subst_cases[i].subject,
		    strlen(subst_cases[i].subject), 0, &c), 1);
		if (rw_subst_parse(arena, subst_cases[i].tmpl, &maps, &t, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "case %zu: parse: %s\n", i, err);
			CU_FAIL("parse");
			continue;
		}
		n = rw_expand(&t, &c, NULL, &io, subst_cases[i].escape, out,
		    sizeof(out), &qpos);
		if (n < 0 || strcmp(out, subst_cases[i].want) != 0 ||
		    (long)qpos != subst_cases[i].qpos)
			fprintf(stderr, "case %zu: got \"%s\" (%ld) qpos %ld\n",
			    i, out, n, (long)qpos);
		CU_ASSERT_STRING_EQUAL(out, subst_cases[i].want);
		CU_ASSERT_EQUAL(n, (long)strlen(subst_cases[i].want));
		CU_ASSERT_EQUAL((long)qpos, subst_cases[i].qpos);
	}
}

/* A result that does not fit is -1, not a cut URL. */
static void
test_subst_overflow(void)
{
	struct rw_io	io = fake_io();
	struct rw_subst	t;
	char		err[128], out[16];

	CU_ASSERT_EQUAL(rw_subst_parse(arena, "/%{host}/%{host}", &maps, &t,
	    err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rw_expand(&t, NULL, NULL, &io, true, out, sizeof(out),
	    NULL), -1);
	CU_ASSERT_EQUAL(rw_subst_parse(arena, "-", &maps, &t, err,
	    sizeof(err)), 0);
	CU_ASSERT(t.dash);
}

static const struct {
	const char	*tmpl;
	const char	*err;	/* a part of the message; NULL: parses */
	int		 max_rule, max_cond;
} parse_cases[] = {
	{ "/a/$1/%2", NULL, 1, 2 },
	{ "${users:$3|%4}", NULL, 3, 4 },
	{ "/x/%{host", "without a closing", 0, 0 },
	{ "/x/%{}", "needs a name", 0, 0 },
	{ "/x/%{a b}", "not a variable name", 0, 0 },
	{ "${nosuch:$1}", "unknown map \"nosuch\"", 0, 0 },
	{ "${users:$1", "without a closing", 0, 0 },
	{ "${users:$1|x", "without a closing", 0, 0 },
	{ "${users}", "must be followed by map:key", 0, 0 },
	{ "${:x}", "must be followed by map:key", 0, 0 },
	{ "${tolower:${tolower:${tolower:${tolower:${tolower:x}}}}}",
	    "nested more than", 0, 0 },
};

static void
test_parse_errors(void)
{
	struct rw_subst	t;
	char		err[256];
	size_t		i;
	int		rc;

	for (i = 0; i < NELEM(parse_cases); i++) {
		err[0] = '\0';
		rc = rw_subst_parse(arena, parse_cases[i].tmpl, &maps, &t, err,
		    sizeof(err));
		if (parse_cases[i].err == NULL) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_EQUAL(t.max_rule, parse_cases[i].max_rule);
			CU_ASSERT_EQUAL(t.max_cond, parse_cases[i].max_cond);
			continue;
		}
		if (rc == 0 || strstr(err, parse_cases[i].err) == NULL)
			fprintf(stderr, "case %zu: rc %d, \"%s\"\n", i, rc, err);
		CU_ASSERT_NOT_EQUAL(rc, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, parse_cases[i].err));
	}
}

/* --- flags and rule checks ---------------------------------------------------- */

static const struct {
	const char	*flags;		/* separated by spaces */
	const char	*pattern, *to;
	const char	*err;		/* NULL: valid */
	unsigned int	 want;
	int		 status;
} flag_cases[] = {
	{ "last", "^/(.*)", "/$1", NULL, RW_F_LAST, 0 },
	{ "redirect", "^/(.*)", "/$1", NULL, RW_F_REDIRECT, 302 },
	{ "redirect=301 qsappend", "^/(.*)", "/$1", NULL,
	    RW_F_REDIRECT | RW_F_QSAPPEND, 301 },
	{ "redirect=308", "^/", "/x", NULL, RW_F_REDIRECT, 308 },
	{ "redirect=200", "^/", "/x", "a redirect is 301", 0, 0 },
	{ "redirect=304", "^/", "/x", "a redirect is 301", 0, 0 },
	{ "redirect=abc", "^/", "/x", "a redirect is 301", 0, 0 },
	{ "forbidden", "^/", "-", NULL, RW_F_STATUS, 403 },
	{ "gone", "^/", "-", NULL, RW_F_STATUS, 410 },
	{ "status=418", "^/", "-", NULL, RW_F_STATUS, 418 },
	{ "status=302", "^/", "-", NULL, RW_F_STATUS, 302 },
	{ "status=204", "^/", "-", NULL, RW_F_STATUS, 204 },
	{ "status=301", "^/", "/x", "answers without a Location", 0, 0 },
	{ "status=199", "^/", "-", "from 200 to 599", 0, 0 },
	{ "status=600", "^/", "-", "from 200 to 599", 0, 0 },
	{ "proxy=app", "^/(.*)", "/$1", NULL, RW_F_PROXY, 0 },
	{ "proxy", "^/(.*)", "http://app/$1", NULL, RW_F_PROXY, 0 },
	{ "proxy", "^/(.*)", "/$1", "proxy needs an upstream", 0, 0 },
	{ "proxy=", "^/", "/", "an upstream name", 0, 0 },
	{ "nocase noescape chain break", "^/", "/", NULL,
	    RW_F_NOCASE | RW_F_NOESCAPE | RW_F_CHAIN | RW_F_BREAK, 0 },
	{ "skip=2", "^/", "-", NULL, 0, 0 },
	{ "skip=0", "^/", "-", "skip=N", 0, 0 },
	{ "redirekt=301", "^/", "/", "did you mean \"redirect\"", 0, 0 },
	{ "bogus", "^/", "/", "unknown flag \"bogus\"", 0, 0 },
	{ "last=1", "^/", "/", "takes no value", 0, 0 },
	{ "env=a:b", "^/", "-", NULL, 0, 0 },
	{ "env=a+b:c", "^/", "-", "not a valid name", 0, 0 },
	{ "env=novalue", "^/", "-", "NAME:VALUE", 0, 0 },
	{ "cookie", "^/", "-", "NAME:VALUE", 0, 0 },
	{ "header=X-A:${nosuch:1}", "^/", "-", "unknown map", 0, 0 },
	{ "header=Bad/Name:1", "^/", "-", "not a valid name", 0, 0 },
	{ "redirect proxy=app", "^/", "/", "choose one of", 0, 0 },
	{ "forbidden redirect", "^/", "/", "choose one of", 0, 0 },
	{ "qsappend qsdiscard", "^/", "/", "contradict", 0, 0 },
	{ "redirect", "^/", "-", "needs a target", 0, 0 },
	/* References that the pattern cannot fill. */
	{ "", "^/(a)(b)$", "/$3", "uses $3 but the pattern has 2 groups", 0,
	    0 },
	{ "", "^/(a)(b)$", "/$2", NULL, 0, 0 },
	{ "", "^/$", "/%1", "no condition is a regex", 0, 0 },
	{ "env=x:$2", "^/(a)$", "-", "flag env=x uses $2", 0, 0 },
	{ "", "^/", "relative", "\"to\" is a path", 0, 0 },
	{ "", "^/", "https://example.com/", NULL, 0, 0 },
};

/* Builds a rule from text; NULL with err filled on failure. */
static struct rw_rule *
rule_make(const char *pattern, const char *to, const char *flags, char *err,
    size_t errlen)
{
	struct rw_rule	*r = pt_calloc(arena, 1, sizeof(*r));
	char		 buf[256], *f, *save = NULL;
	size_t		 off;

	err[0] = '\0';
	r->file = "test.conf";
	r->line = 1;
	r->index = 1;
	r->flags_text = flags;
	snprintf(buf, sizeof(buf), "%s", flags);
	for (f = strtok_r(buf, " ", &save); f != NULL;
	    f = strtok_r(NULL, " ", &save))
		if (rw_flag_parse(arena, f, &maps, r, err, errlen) != 0)
			return (NULL);
	if ((r->rx = rw_rx_compile(arena, pattern, (r->flags & RW_F_NOCASE) !=
	    0, err, errlen, &off)) == NULL)
		return (NULL);
	if (rw_subst_parse(arena, to, &maps, &r->to, err, errlen) != 0)
		return (NULL);
	return (r);
}

static void
test_flags(void)
{
	struct rw_rule	*r;
	char		 err[512];
	size_t		 i;
	int		 rc;

	for (i = 0; i < NELEM(flag_cases); i++) {
		r = rule_make(flag_cases[i].pattern, flag_cases[i].to,
		    flag_cases[i].flags, err, sizeof(err));
		rc = r != NULL ? rw_rule_check(r, err, sizeof(err)) : -1;
		if (flag_cases[i].err == NULL) {
			if (rc != 0)
				fprintf(stderr, "case %zu: %s\n", i, err);
			CU_ASSERT_EQUAL(rc, 0);
			if (r == NULL)
				continue;
			CU_ASSERT_EQUAL(r->flags, flag_cases[i].want);
			CU_ASSERT_EQUAL(r->status, flag_cases[i].status);
			continue;
		}
		if (rc == 0 || strstr(err, flag_cases[i].err) == NULL)
			fprintf(stderr, "case %zu: rc %d \"%s\"\n", i, rc, err);
		CU_ASSERT_NOT_EQUAL(rc, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, flag_cases[i].err));
	}
}

/* The compile error carries PCRE2's message and the offset. */
static void
test_bad_regex(void)
{
	char	err[256];
	size_t	off;

	CU_ASSERT_PTR_NULL(rw_rx_compile(arena, "^/old/(.*$", false, err,
	    sizeof(err), &off));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "missing closing parenthesis"));
	CU_ASSERT_EQUAL(off, 10);
	CU_ASSERT_PTR_NULL(rw_rx_compile(arena, "a[b", false, err, sizeof(err),
	    &off));
	CU_ASSERT_EQUAL(off, 3);
}

/* --- conditions ------------------------------------------------------------- */

struct cond_spec {
	const char	*var;
	enum rw_op	 op;
	const char	*arg;
	bool		 nocase, negate, ornext;
};

static const struct {
	struct cond_spec conds[4];
	int		 want;
	const char	*pct1;	/* %1 after, or NULL */
} cond_cases[] = {
	{ { { "%{header.User-Agent}", RW_OP_REGEX, "bot", false, false,
	    false } }, 1, NULL },
	{ { { "%{header.User-Agent}", RW_OP_REGEX, "BOT", false, false,
	    false } }, 0, NULL },
	{ { { "%{header.User-Agent}", RW_OP_REGEX, "BOT", true, false,
	    false } }, 1, NULL },
	{ { { "%{header.User-Agent}", RW_OP_REGEX, "bot", false, true,
	    false } }, 0, NULL },
	{ { { "%{header.User-Agent}", RW_OP_REGEX, "([a-z]+)bot/([0-9.]+)",
	    true, false, false } }, 1, "Google" },
	/* AND: both must hold. */
	{ { { "%{method}", RW_OP_EQ, "GET", false, false, false },
	    { "%{cookie.lang}", RW_OP_EQ, "de", false, false, false } }, 0,
	    NULL },
	{ { { "%{method}", RW_OP_EQ, "GET", false, false, false },
	    { "%{cookie.lang}", RW_OP_EQ, "fr", false, false, false } }, 1,
	    NULL },
	/* OR: this or the next. */
	{ { { "%{cookie.lang}", RW_OP_EQ, "de", false, false, true },
	    { "%{cookie.lang}", RW_OP_EQ, "fr", false, false, false } }, 1,
	    NULL },
	{ { { "%{cookie.lang}", RW_OP_EQ, "de", false, false, true },
	    { "%{cookie.lang}", RW_OP_EQ, "it", false, false, false } }, 0,
	    NULL },
	{ { { "%{cookie.lang}", RW_OP_EQ, "fr", false, false, true },
	    { "%{cookie.lang}", RW_OP_EQ, "it", false, false, false },
	    { "%{method}", RW_OP_EQ, "POST", false, false, false } }, 0, NULL },
	{ { { "%{cookie.lang}", RW_OP_EQ, "fr", false, false, true },
	    { "%{cookie.lang}", RW_OP_EQ, "it", false, false, false },
	    { "%{method}", RW_OP_EQ, "GET", false, false, false } }, 1, NULL },
	/* A trailing "or" does not make a failing condition hold. */
	{ { { "%{cookie.lang}", RW_OP_EQ, "it", false, false, true } }, 0,
	    NULL },
	{ { { "%{method}", RW_OP_EQ, "get", true, false, false } }, 1, NULL },
	{ { { "%{method}", RW_OP_EQ, "get", false, false, false } }, 0, NULL },
	{ { { "%{method}", RW_OP_EQ, "GE", false, false, false } }, 0, NULL },
	{ { { "b", RW_OP_LT, "c", false, false, false } }, 1, NULL },
	{ { { "b", RW_OP_LT, "b", false, false, false } }, 0, NULL },
	{ { { "b", RW_OP_GT, "a", false, false, false } }, 1, NULL },
	{ { { "ab", RW_OP_GT, "a", false, false, false } }, 1, NULL },
	{ { { "", RW_OP_EQ, "", false, false, false } }, 1, NULL },
	{ { { "%{empty}", RW_OP_EQ, "", false, true, false } }, 0, NULL },
	{ { { "%{client_addr}", RW_OP_CIDR, "192.0.2.0/24", false, false,
	    false } }, 1, NULL },
	{ { { "%{client_addr}", RW_OP_CIDR, "192.0.2.0/26", false, false,
	    false } }, 0, NULL },
	{ { { "%{client_addr}", RW_OP_CIDR, "192.0.2.77", false, false,
	    false } }, 1, NULL },
	{ { { "%{client_addr}", RW_OP_CIDR, "::/0", false, false, false } }, 0,
	    NULL },
	{ { { "2001:db8::5", RW_OP_CIDR, "2001:db8::/33", false, false,
	    false } }, 1, NULL },
	{ { { "not-an-address", RW_OP_CIDR, "0.0.0.0/0", false, false,
	    false } }, 0, NULL },
	{ { { "/page.html", RW_OP_FILE, NULL, false, false, false } }, 1, NULL },
	{ { { "/nope.html", RW_OP_FILE, NULL, false, false, false } }, 0, NULL },
	{ { { "/nope.html", RW_OP_FILE, NULL, false, true, false } }, 1, NULL },
	{ { { "/dir", RW_OP_FILE, NULL, false, false, false } }, 0, NULL },
	{ { { "/dir", RW_OP_DIR, NULL, false, false, false } }, 1, NULL },
	{ { { "/../etc/passwd", RW_OP_FILE, NULL, false, false, false } }, 0,
	    NULL },
	/* %N: the last regex condition that matched, $N: the rule's. */
	{ { { "%{host}", RW_OP_REGEX, "^(www)\\.(.*)$", false, false, false },
	    { "%2/$1", RW_OP_EQ, "example.com/p", false, false, false } }, 1,
	    "www" },
	{ { { "%{host}", RW_OP_REGEX, "^(www)\\.(.*)$", false, false, false },
	    { "%{method}", RW_OP_REGEX, "^(P)", false, false, true },
	    { "%1", RW_OP_EQ, "www", false, false, false } }, 1, "www" },
};

static void
test_conds(void)
{
	struct rw_io	 io = fake_io();
	struct rw_rule	*r;
	struct rw_caps	 rc, cc;
	const char	*v;
	char		 err[256], store[RW_COND_STORE];
	size_t		 i, k, n, off, vlen;
	int		 got;

	for (i = 0; i < NELEM(cond_cases); i++) {
		r = rule_make("^/(p)$", "-", "", err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		for (n = 0; n < 4 && cond_cases[i].conds[n].var != NULL; n++)
			;
		r->conds = pt_calloc(arena, n, sizeof(*r->conds));
		r->nconds = n;
		for (k = 0; k < n; k++) {
			const struct cond_spec *s = &cond_cases[i].conds[k];
			struct rw_cond *c = &r->conds[k];

			CU_ASSERT_EQUAL_FATAL(rw_subst_parse(arena, s->var,
			    &maps, &c->var, err, sizeof(err)), 0);
			c->op = s->op;
			c->nocase = s->nocase;
			c->negate = s->negate;
			c->ornext = s->ornext;
			if (s->op == RW_OP_REGEX)
				c->rx = rw_rx_compile(arena, s->arg, s->nocase,
				    err, sizeof(err), &off);
			else if (s->op == RW_OP_CIDR) {
				c->cidr = pt_calloc(arena, 1, sizeof(*c->cidr));
				c->ncidr = 1;
				CU_ASSERT_EQUAL(rw_cidr_parse(s->arg, c->cidr),
				    0);
			} else
				c->str = s->arg;
		}
		CU_ASSERT_EQUAL_FATAL(rw_rx_match(r->rx, "/p", 2, 0, &rc), 1);
		got = rw_conds_eval(r, &rc, &io, &cc, store);
		if (got != cond_cases[i].want)
			fprintf(stderr, "case %zu: got %d\n", i, got);
		CU_ASSERT_EQUAL(got, cond_cases[i].want);
		if (cond_cases[i].pct1 == NULL)
			continue;
		CU_ASSERT_TRUE(cc.n > 1);
		v = cc.s + cc.ov[2];
		vlen = cc.ov[3] - cc.ov[2];
		CU_ASSERT_EQUAL(vlen, strlen(cond_cases[i].pct1));
		CU_ASSERT_EQUAL(strncmp(v, cond_cases[i].pct1, vlen), 0);
	}
}

static void
test_cidr_parse(void)
{
	struct rw_cidr c;

	CU_ASSERT_EQUAL(rw_cidr_parse("10.0.0.0/8", &c), 0);
	CU_ASSERT_EQUAL(c.bits, 8);
	CU_ASSERT_EQUAL(rw_cidr_parse("::1", &c), 0);
	CU_ASSERT_EQUAL(c.bits, 128);
	CU_ASSERT_NOT_EQUAL(rw_cidr_parse("10.0.0.0/33", &c), 0);
	CU_ASSERT_NOT_EQUAL(rw_cidr_parse("10.0.0/8", &c), 0);
	CU_ASSERT_NOT_EQUAL(rw_cidr_parse("/8", &c), 0);
	CU_ASSERT_NOT_EQUAL(rw_cidr_parse("10.0.0.0/x", &c), 0);
}

/* --- maps ------------------------------------------------------------------- */

static void
test_maps(void)
{
	const char	*v;
	char		 buf[64], err[256];
	size_t		 vlen, i;
	int		 seen[3] = { 0, 0, 0 };

	/* The first line of a key wins; comments and blanks are skipped. */
	v = rw_map_lookup(&maps.v[0], "alice", 5, buf, sizeof(buf), &vlen);
	CU_ASSERT(v != NULL && vlen == 11 && strncmp(v, "/home/alice", 11) ==
	    0);
	CU_ASSERT_PTR_NULL(rw_map_lookup(&maps.v[0], "ali", 3, buf,
	    sizeof(buf), &vlen));
	CU_ASSERT_PTR_NULL(rw_map_lookup(&maps.v[0], "alicex", 6, buf,
	    sizeof(buf), &vlen));
	CU_ASSERT_PTR_NULL(rw_map_lookup(&maps.v[0], "#", 1, buf, sizeof(buf),
	    &vlen));
	CU_ASSERT_EQUAL(maps.v[0].n, 4);
	/* rnd: every value comes up, and only those. */
	for (i = 0; i < 200; i++) {
		v = rw_map_lookup(&maps.v[1], "static", 6, buf, sizeof(buf),
		    &vlen);
		CU_ASSERT_FATAL(v != NULL && vlen == 2 && v[0] == 's');
		CU_ASSERT(v[1] >= '1' && v[1] <= '3');
		seen[v[1] - '1']++;
	}
	CU_ASSERT(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
	/* A key without a value names the file and line. */
	CU_ASSERT_NOT_EQUAL(rw_map_load(arena, &maps.v[2], err, sizeof(err)),
	    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.map:2: \"lonely\" has no "
	    "value"));
	maps.v[2].file = "/nonexistent/x.map";
	CU_ASSERT_NOT_EQUAL(rw_map_load(arena, &maps.v[2], err, sizeof(err)),
	    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
}

/* --- the match limit -------------------------------------------------------- */

static void
test_match_limit(void)
{
	const char	*s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
	struct rw_rx	*rx;
	char		 err[128];
	size_t		 off;

	rx = rw_rx_compile(arena, "^(a|aa)+$", false, err, sizeof(err), &off);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	CU_ASSERT_EQUAL(rw_rx_match(rx, s, strlen(s), 1000, NULL), -1);
	CU_ASSERT_EQUAL(rw_rx_match(rx, "aaaa", 4, 1000, NULL), 1);
	/* The literal prefix turns a subject away before PCRE2. */
	rx = rw_rx_compile(arena, "^/old/(.*)$", false, err, sizeof(err), &off);
	CU_ASSERT(rx->prefix != NULL && strcmp(rx->prefix, "/old/") == 0);
	rx = rw_rx_compile(arena, "^/old/?x", false, err, sizeof(err), &off);
	CU_ASSERT(rx->prefix != NULL && strcmp(rx->prefix, "/old") == 0);
	CU_ASSERT_EQUAL(rw_rx_match(rx, "/oldx", 5, 0, NULL), 1);
	rx = rw_rx_compile(arena, "^/a|^/b", false, err, sizeof(err), &off);
	CU_ASSERT_PTR_NULL(rx->prefix);
	CU_ASSERT_EQUAL(rw_rx_match(rx, "/b", 2, 0, NULL), 1);
	rx = rw_rx_compile(arena, "^/ab[|]c|/d", false, err, sizeof(err),
	    &off);
	CU_ASSERT_PTR_NULL(rx->prefix);
	CU_ASSERT_EQUAL(rw_rx_match(rx, "/d", 2, 0, NULL), 1);
	rx = rw_rx_compile(arena, "^/ab\\|cd|/e", false, err, sizeof(err),
	    &off);
	CU_ASSERT_PTR_NULL(rx->prefix);
	/* Alternatives inside a group or a class keep the anchor. */
	rx = rw_rx_compile(arena, "^/img/(.*)\\.(png|gif)$", false, err,
	    sizeof(err), &off);
	CU_ASSERT(rx->prefix != NULL && strcmp(rx->prefix, "/img/") == 0);
	CU_ASSERT_EQUAL(rw_rx_match(rx, "/img/a.gif", 10, 0, NULL), 1);
	CU_ASSERT_EQUAL(rw_rx_match(rx, "/im/a.gif", 9, 0, NULL), 0);
	rx = rw_rx_compile(arena, "^/x[]|]y", false, err, sizeof(err), &off);
	CU_ASSERT(rx->prefix != NULL && strcmp(rx->prefix, "/x") == 0);
	CU_ASSERT_EQUAL(rw_rx_match(rx, "/x|y", 4, 0, NULL), 1);
	rx = rw_rx_compile(arena, "^/Old\\.html", true, err, sizeof(err), &off);
	CU_ASSERT_EQUAL(rw_rx_match(rx, "/OLD.HTML", 9, 0, NULL), 1);
	CU_ASSERT_EQUAL(rw_rx_match(rx, "/oldxhtml", 9, 0, NULL), 0);
}

/* --- whole passes ------------------------------------------------------------- */

struct rule_spec {
	const char	*match, *to, *flags;
	const char	*cvar, *cregex;		/* one optional condition */
	enum rw_against	 against;
};

static const struct {
	struct rule_spec rules[5];
	const char	*path, *query;
	enum rw_outcome	 outcome;
	const char	*want_path;	/* INTERNAL, PROXY; NULL: unchanged */
	const char	*want_query;	/* "" none; NULL: unchanged */
	int		 status;
	const char	*location;	/* or upstream for PROXY */
	const char	*acts;
	bool		 stop;
} run_cases[] = {
	{ { { "^/old/(.*)$", "/new/$1", "" } }, "/old/page", "x=1",
	    RW_INTERNAL, "/new/page", NULL, 0, NULL, "", false },
	{ { { "^/nomatch", "/x", "" } }, "/old/page", "x=1", RW_NONE, NULL,
	    NULL, 0, NULL, "", false },
	/* Later rules see what earlier ones made; last stops the pass. */
	{ { { "^/a$", "/b", "" }, { "^/b$", "/c", "last" },
	    { "^/c$", "/d", "" } }, "/a", NULL, RW_INTERNAL, "/c", NULL, 0,
	    NULL, "", false },
	{ { { "^/a$", "/b", "break" }, { "^/b$", "/c", "" } }, "/a", NULL,
	    RW_INTERNAL, "/b", NULL, 0, NULL, "", true },
	/* Query: kept, replaced, appended, discarded, dropped by "?". */
	{ { { "^/a$", "/b?y=2", "" } }, "/a", "x=1", RW_INTERNAL, "/b", "y=2",
	    0, NULL, "", false },
	{ { { "^/a$", "/b?y=2", "qsappend" } }, "/a", "x=1", RW_INTERNAL, "/b",
	    "y=2&x=1", 0, NULL, "", false },
	{ { { "^/a$", "/b", "qsdiscard" } }, "/a", "x=1", RW_INTERNAL, "/b", "",
	    0, NULL, "", false },
	{ { { "^/a$", "/b?", "" } }, "/a", "x=1", RW_INTERNAL, "/b", "", 0,
	    NULL, "", false },
	{ { { "^/a$", "/a?z=%{query}", "" } }, "/a", "x=1", RW_INTERNAL, NULL,
	    "z=x=1", 0, NULL, "", false },
	/* Internal paths are decoded; what could climb out is refused. */
	{ { { "^/a$", "/b\\%20c", "" } }, "/a", NULL, RW_INTERNAL, "/b c", NULL,
	    0, NULL, "", false },
	{ { { "^/(.*)$", "/x/$1", "" } }, "/a b", NULL, RW_INTERNAL, "/x/a b",
	    NULL, 0, NULL, "", false },
	{ { { "^/a$", "/x/%{header.X-Evil}", "noescape" } }, "/a", NULL,
	    RW_ERROR, NULL, NULL, 500, NULL, "", false },
	{ { { "^/a$", "/x/../../etc", "" } }, "/a", NULL, RW_ERROR, NULL, NULL,
	    500, NULL, "", false },
	{ { { "^/a$", "/x/\\%zz", "" } }, "/a", NULL, RW_ERROR, NULL, NULL, 500,
	    NULL, "", false },
	{ { { "^/a$", "/x/\\%00", "" } }, "/a", NULL, RW_ERROR, NULL, NULL, 500,
	    NULL, "", false },
	{ { { "^/a$", "/b?x y", "" } }, "/a", NULL, RW_ERROR, NULL, NULL, 500,
	    NULL, "", false },
	{ { { "^/a$", "$1", "" } }, "/a", NULL, RW_ERROR, NULL, NULL, 500,
	    NULL, "", false },
	/* Redirects: absolute Location from the request; query kept. */
	{ { { "^/old/(.*)$", "/new/$1", "redirect=301" } }, "/old/p", "x=1",
	    RW_REDIRECT, NULL, NULL, 301,
	    "http://www.example.com/new/p?x=1", "", false },
	{ { { "^/old/(.*)$", "/new/$1", "redirect qsdiscard" } }, "/old/p",
	    "x=1", RW_REDIRECT, NULL, NULL, 302, "http://www.example.com/new/p",
	    "", false },
	{ { { "^/old/(.*)$", "/new/$1?y=1", "redirect=308 qsappend" } },
	    "/old/p", "x=1", RW_REDIRECT, NULL, NULL, 308,
	    "http://www.example.com/new/p?y=1&x=1", "", false },
	{ { { "^/old/(.*)$", "/new/$1", "redirect=303" } }, "/old/p", NULL,
	    RW_REDIRECT, NULL, NULL, 303, "http://www.example.com/new/p", "",
	    false },
	{ { { "^/(.*)$", "https://%{host}/$1", "redirect=301" } }, "/a b",
	    NULL, RW_REDIRECT, NULL, NULL, 301,
	    "https://www.example.com/a%20b", "", false },
	/* An absolute URL without redirect or proxy: a 302. */
	{ { { "^/x$", "http://other.example/y", "" } }, "/x", NULL,
	    RW_REDIRECT, NULL, NULL, 302, "http://other.example/y", "", false },
	/* CR/LF from input never reaches a Location. */
	{ { { "^/x$", "/h/%{header.X-Evil}", "redirect" } }, "/x", NULL,
	    RW_REDIRECT, NULL, NULL, 302,
	    "http://www.example.com/h/a%0D%0ASet-Cookie:%20x=1", "", false },
	{ { { "^/x$", "/h/%{header.X-Evil}", "redirect noescape" } }, "/x",
	    NULL, RW_ERROR, NULL, NULL, 500, NULL, "", false },
	/* Status flags. */
	{ { { "^/secret", "-", "forbidden" } }, "/secret/x", NULL, RW_STATUS,
	    NULL, NULL, 403, NULL, "", false },
	{ { { "^/old", "-", "gone" } }, "/old", NULL, RW_STATUS, NULL, NULL,
	    410, NULL, "", false },
	{ { { "^/tea", "-", "status=418" } }, "/tea", NULL, RW_STATUS, NULL,
	    NULL, 418, NULL, "", false },
	/* Proxy: named, or by URL; path and query follow. */
	{ { { "^/api/(.*)$", "/v2/$1", "proxy=app" } }, "/api/u", "x=1",
	    RW_PROXY, "/v2/u", NULL, 0, "app", "", true },
	{ { { "^/api/(.*)$", "http://backend/v3/$1?k=1", "proxy qsappend" } },
	    "/api/u", "x=1", RW_PROXY, "/v3/u", "k=1&x=1", 0, "backend", "",
	    true },
	{ { { "^/api$", "http://backend", "proxy" } }, "/api", NULL, RW_PROXY,
	    "/", NULL, 0, "backend", "", true },
	{ { { "^/api/", "-", "proxy=app" } }, "/api/u", NULL, RW_PROXY, NULL,
	    NULL, 0, "app", "", true },
	/* Chain: a failing link skips the rest of the chain. */
	{ { { "^/c/(.*)$", "/d/$1", "chain" }, { "^/d/x$", "/e", "" },
	    { "^/", "-", "env=after:yes" } }, "/c/x", NULL, RW_INTERNAL, "/e",
	    NULL, 0, NULL, "env:after=yes|", false },
	{ { { "^/nope", "/d", "chain" }, { "^/c", "/e", "" },
	    { "^/", "-", "env=after:yes" } }, "/c/x", NULL, RW_NONE, NULL, NULL,
	    0, NULL, "env:after=yes|", false },
	{ { { "^/c", "/d", "chain" }, { "^/nope", "/e", "chain" },
	    { "^/", "/f", "" }, { "^/", "-", "env=after:yes" } }, "/c", NULL,
	    RW_INTERNAL, "/d", NULL, 0, NULL, "env:after=yes|", false },
	/* Skip. */
	{ { { "^/s", "-", "skip=2" }, { "^/", "/one", "" }, { "^/", "/two", "" },
	    { "^/s", "/three", "" } }, "/s", NULL, RW_INTERNAL, "/three", NULL,
	    0, NULL, "", false },
	/* Conditions gate rules; %N from them. */
	{ { { "^/(.*)$", "/bots/$1/%1", "", "%{header.User-Agent}",
	    "(Googlebot)" } }, "/p", NULL, RW_INTERNAL, "/bots/p/Googlebot",
	    NULL, 0, NULL, "", false },
	{ { { "^/(.*)$", "/bots/$1", "", "%{header.User-Agent}", "curl" } },
	    "/p", NULL, RW_NONE, NULL, NULL, 0, NULL, "", false },
	/* Actions run when the rule applies, with captures. */
	{ { { "^/(.*)$", "-", "env=page:$1 cookie=seen:1 header=X-Page:$1" } },
	    "/p", NULL, RW_NONE, NULL, NULL, 0, NULL,
	    "env:page=p|cookie:seen=1|header:X-Page=p|", false },
	/* What a pattern is matched against. */
	{ { { "^/old/a%20b\\?x=1$", "/raw", "", NULL, NULL, RW_ON_URI } },
	    "/old/a b", "x=1", RW_INTERNAL, "/raw", NULL, 0, NULL, "", false },
	{ { { "^http://www\\.example\\.com/old/", "/url", "", NULL, NULL,
	    RW_ON_URL } }, "/old/a b", "x=1", RW_INTERNAL, "/url", NULL, 0, NULL,
	    "", false },
	{ { { "^/a$", "/b c", "" }, { "^/b%20c$", "/d", "", NULL, NULL,
	    RW_ON_URI } }, "/a", NULL, RW_INTERNAL, "/d", NULL, 0, NULL, "",
	    false },
	{ { { "^/OLD", "/new", "nocase" } }, "/old", NULL, RW_INTERNAL, "/new",
	    NULL, 0, NULL, "", false },
	{ { { "^/OLD", "/new", "" } }, "/old", NULL, RW_NONE, NULL, NULL, 0,
	    NULL, "", false },
};

static void
run_case(size_t i, bool packed)
{
	struct rw_io		 io = fake_io();
	struct rw_ruleset	 rs;
	struct rw_req		 rq;
	struct rw_result	 res;
	struct rw_rule		*r;
	const struct rule_spec	*s;
	char			 err[256];
	size_t			 n, off;

	for (n = 0; n < 5 && run_cases[i].rules[n].match != NULL; n++)
		;
	rs.v = pt_calloc(arena, n, sizeof(*rs.v));
	rs.n = n;
	for (n = 0; n < rs.n; n++) {
		s = &run_cases[i].rules[n];
		r = rule_make(s->match, s->to, s->flags, err, sizeof(err));
		if (r == NULL)
			fprintf(stderr, "case %zu: rule %zu: %s\n", i, n, err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		r->against = s->against;
		r->index = (int)n + 1;
		if (s->cvar != NULL) {
			r->conds = pt_calloc(arena, 1, sizeof(*r->conds));
			r->nconds = 1;
			rw_subst_parse(arena, s->cvar, &maps, &r->conds[0].var,
			    err, sizeof(err));
			r->conds[0].op = RW_OP_REGEX;
			r->conds[0].rx = rw_rx_compile(arena, s->cregex, false,
			    err, sizeof(err), &off);
		}
		rs.v[n] = *r;
	}
	/* With the packed prefix table (as loaded), and without it. */
	rs.pre = NULL;
	if (packed)
		CU_ASSERT_EQUAL(rw_ruleset_finish(arena, &rs), 0);
	memset(&rq, 0, sizeof(rq));
	rq.path = run_cases[i].path;
	rq.query = run_cases[i].query != NULL ? run_cases[i].query : "";
	rq.uri = run_cases[i].query != NULL ? pt_printf(arena, "%s?%s",
	    "/old/a%20b", run_cases[i].query) : NULL;
	acts[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(rw_run(&rs, &rq, &io, arena, &res), 0);
	if (res.outcome != run_cases[i].outcome)
		fprintf(stderr, "case %zu: outcome %d\n", i, res.outcome);
	CU_ASSERT_EQUAL(res.outcome, run_cases[i].outcome);
	CU_ASSERT_EQUAL(res.stop, run_cases[i].stop);
	CU_ASSERT_STRING_EQUAL(acts, run_cases[i].acts);
	if (run_cases[i].status != 0)
		CU_ASSERT_EQUAL(res.status, run_cases[i].status);
	if (run_cases[i].want_path != NULL) {
		CU_ASSERT_TRUE(res.path_set);
		CU_ASSERT_STRING_EQUAL(res.path != NULL ? res.path : "(null)",
		    run_cases[i].want_path);
		if (res.path != NULL && strcmp(res.path,
		    run_cases[i].want_path) != 0)
			fprintf(stderr, "case %zu: path %s\n", i, res.path);
	} else {
		if (res.path_set)
			fprintf(stderr, "case %zu: path set to %s\n", i,
			    res.path);
		CU_ASSERT_FALSE(res.path_set);
	}
	if (run_cases[i].want_query != NULL) {
		CU_ASSERT_TRUE(res.query_set);
		CU_ASSERT_STRING_EQUAL(res.query != NULL ? res.query : "",
		    run_cases[i].want_query);
	}
	if (run_cases[i].outcome == RW_REDIRECT) {
		if (res.location == NULL || strcmp(res.location,
		    run_cases[i].location) != 0)
			fprintf(stderr, "case %zu: location %s\n", i,
			    res.location);
		CU_ASSERT_STRING_EQUAL(res.location != NULL ? res.location :
		    "", run_cases[i].location);
	}
	if (run_cases[i].outcome == RW_PROXY)
		CU_ASSERT_STRING_EQUAL(res.upstream != NULL ? res.upstream : "",
		    run_cases[i].location);
}

static void
test_runs(void)
{
	size_t i;

	for (i = 0; i < NELEM(run_cases); i++) {
		run_case(i, true);
		run_case(i, false);
	}
	CU_ASSERT_EQUAL(badarg, 0);
}

/* Tracing: every step is described, and nothing forgeable is written. */
static char	traced[8192];

static void
trace_into(void *arg, const char *fmt, ...)
{
	va_list	ap;
	size_t	n = strlen(traced);

	if (arg != &sentinel)
		badarg++;
	va_start(ap, fmt);
	vsnprintf(traced + n, sizeof(traced) - n, fmt, ap);
	va_end(ap);
	n = strlen(traced);
	snprintf(traced + n, sizeof(traced) - n, "\n");
}

static void
test_trace(void)
{
	struct rw_io		 io = fake_io();
	struct rw_ruleset	 rs;
	struct rw_req		 rq = { .path = "/old/p\r\nx" };
	struct rw_result	 res;
	struct rw_cond		 c;
	size_t			 off;
	char			 err[128];

	io.trace = trace_into;
	rs.v = pt_calloc(arena, 2, sizeof(*rs.v));
	rs.n = 2;
	rs.v[0] = *rule_make("^/nope", "/x", "", err, sizeof(err));
	/* A condition and a map, traced: their lines go through io too. */
	memset(&c, 0, sizeof(c));
	rw_subst_parse(arena, "${users:alice}", &maps, &c.var, err,
	    sizeof(err));
	c.op = RW_OP_REGEX;
	c.rx = rw_rx_compile(arena, "home", false, err, sizeof(err), &off);
	rs.v[1] = *rule_make("^/old/(.*)$", "/new/$1", "redirect=301", err,
	    sizeof(err));
	rs.v[1].index = 2;
	rs.v[1].conds = &c;
	rs.v[1].nconds = 1;
	rs.pre = NULL;
	CU_ASSERT_EQUAL(rw_ruleset_finish(arena, &rs), 0);
	traced[0] = '\0';
	badarg = 0;
	CU_ASSERT_EQUAL(rw_run(&rs, &rq, &io, arena, &res), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(traced, "rule 1 (test.conf:1) "
	    "\"^/nope\" against path \"/old/p\\x0d\\x0ax\": no match"));
	CU_ASSERT_PTR_NOT_NULL(strstr(traced, "rule 2 (test.conf:1) "
	    "\"^/old/(.*)$\" against path \"/old/p\\x0d\\x0ax\": match, "
	    "$1=\"p\\x0d\\x0ax\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(traced, "-> redirect 301, Location "
	    "\"http://www.example.com/new/p%0D%0Ax?x=1\""));
	CU_ASSERT_PTR_NULL(strchr(traced, '\r'));
	CU_ASSERT_PTR_NOT_NULL(strstr(traced, "map users: key \"alice\": "
	    "\"/home/alice\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(traced, "condition 1: \"/home/alice\" "
	    "from \"${users:alice}\" =~ \"home\": true"));
	CU_ASSERT_EQUAL(badarg, 0);
	if (strstr(traced, "-> redirect 301") == NULL)
		fprintf(stderr, "%s", traced);
}

static const struct pt_unit_test tests[] = {
	{ "templates", test_subst },
	{ "templates: overflow and dash", test_subst_overflow },
	{ "template parse errors", test_parse_errors },
	{ "flags and rule checks", test_flags },
	{ "invalid regex", test_bad_regex },
	{ "conditions", test_conds },
	{ "address blocks", test_cidr_parse },
	{ "maps", test_maps },
	{ "match limit and prefix", test_match_limit },
	{ "rule set passes", test_runs },
	{ "trace", test_trace },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("rewrite_engine", setup, teardown, tests));
}
