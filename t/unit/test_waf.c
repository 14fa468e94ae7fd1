/*
 * t/unit/test_waf.c: mod_waf's pure parts alone: each transformation,
 * the SQL and XSS tokenizers on attacks and on prose, the body parsers,
 * and the rule loader and scanner (operators, transformation chains,
 * paranoia, exclusions, errors with file and line).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "waf_engine.h"

static char *
tf(int t, const char *in, unsigned *flags)
{
	static char	out[1024];
	struct waf_buf	b;
	unsigned	f = 0;

	CU_ASSERT_FATAL(waf_tf_apply(t, in, strlen(in), &b, &f) == 0);
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.p);
	free(b.p);
	if (flags != NULL)
		*flags = f;
	return (out);
}

static void
test_tf_names(void)
{
	CU_ASSERT_EQUAL(waf_tf_parse("urldecode"), WAF_TF_URLDECODE);
	CU_ASSERT_EQUAL(waf_tf_parse("LowerCase"), WAF_TF_LOWERCASE);
	CU_ASSERT_EQUAL(waf_tf_parse("rot13"), -1);
	CU_ASSERT_STRING_EQUAL(waf_tf_name(WAF_TF_NORMPATH), "normpath");
}

static void
test_tf_urldecode(void)
{
	unsigned f;

	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_URLDECODE, "a%20b+c", &f), "a b c");
	CU_ASSERT_EQUAL(f, 0);
	/* double encoding is undone, in bounded passes */
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_URLDECODE, "%2527", NULL), "'");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_URLDECODE, "%25252527", NULL), "%27");
	/* %uXXXX, fullwidth forms to ASCII */
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_URLDECODE, "%u003cx", NULL), "<x");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_URLDECODE, "%uff1c", NULL), "<");
	/* invalid escapes are kept and flagged */
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_URLDECODE, "100%zz", &f), "100%zz");
	CU_ASSERT(f & WAF_TF_BAD_ENCODING);
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_URLDECODE, "50%", &f), "50%");
	CU_ASSERT(f & WAF_TF_BAD_ENCODING);
}

static void
test_tf_html(void)
{
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_HTMLDECODE, "&lt;b&gt;&amp;", NULL),
	    "<b>&");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_HTMLDECODE, "&#106;&#x61;v", NULL),
	    "jav");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_HTMLDECODE, "&#x3c&#60", NULL), "<<");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_HTMLDECODE, "a&colon;b&bogus;", NULL),
	    "a:b&bogus;");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_HTMLDECODE, "&#x10FFFF;", NULL),
	    "\xf4\x8f\xbf\xbf");
}

static void
test_tf_simple(void)
{
	struct waf_buf	b;
	unsigned	f = 0;

	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_LOWERCASE, "SeLeCt", NULL), "select");
	CU_ASSERT(waf_tf_apply(WAF_TF_REMOVENULLS, "a\0b\0c", 5, &b, &f) == 0);
	CU_ASSERT_EQUAL(b.len, 3);
	CU_ASSERT(memcmp(b.p, "abc", 3) == 0);
	free(b.p);
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_COMPRESSWS, "a \t\n b", NULL), "a b");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_REMOVEWS, "java\tscript :", NULL),
	    "javascript:");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_REPLACECOMMENTS, "UNION/**/SELECT",
	    NULL), "UNION SELECT");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_REPLACECOMMENTS, "a/* open", NULL),
	    "a ");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_HEX, "3c7363", NULL), "<sc");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_HEX, "3cZZ", &f), "<");
	CU_ASSERT(f & WAF_TF_BAD_ENCODING);
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_BASE64, "PHNjcmlwdD4=", NULL),
	    "<script>");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_BASE64, "YWxlcnQoMSk", NULL),
	    "alert(1)");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_UTF8, "..\xc0\xaf..\xc0\xaf", NULL),
	    "../../");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_UTF8, "caf\xc3\xa9", NULL),
	    "caf\xc3\xa9");
}

static void
test_tf_normpath(void)
{
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_NORMPATH, "/a/./b//c", NULL), "/a/b/c");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_NORMPATH, "/a/b/../c", NULL), "/a/c");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_NORMPATH, "..\\..\\etc", NULL),
	    "../../etc");
	CU_ASSERT_STRING_EQUAL(tf(WAF_TF_NORMPATH, "/x/../../etc/passwd", NULL),
	    "/../etc/passwd");
}

static bool
sqli(const char *s)
{
	return (waf_is_sqli(s, strlen(s), NULL));
}

static void
test_sqli_fingerprint(void)
{
	char fp[16];

	waf_sqli_fingerprint("1' OR '1'='1", 12, '\'', fp, sizeof(fp));
	CU_ASSERT_STRING_EQUAL(fp, "s&sos");
	waf_sqli_fingerprint("1 UNION SELECT a FROM t", 23, 0, fp, sizeof(fp));
	CU_ASSERT_STRING_EQUAL(fp, "nUEvkv");
	waf_sqli_fingerprint("x AND SLEEP(5)", 14, 0, fp, sizeof(fp));
	CU_ASSERT_STRING_EQUAL(fp, "v&f(n)X");
	waf_sqli_fingerprint("a -- b", 6, 0, fp, sizeof(fp));
	CU_ASSERT_STRING_EQUAL(fp, "vc");
}

static void
test_sqli_attacks(void)
{
	static const char *const atk[] = {
		"1' OR '1'='1", "admin'--", "1 UNION SELECT 1,2,3",
		"' UNION ALL SELECT NULL--", "1; DROP TABLE users", "1 AND SLEEP(5)",
		"') or ('a'='a", "1 or 1=1", "\" or \"\"=\"", "x' AnD 1=1#",
		"1' waitfor delay '0:0:5'--", "1 and benchmark(1000000,md5(1))",
		"'||(select version())||'", "1/*!50000UNION*/ SELECT 1",
		"' drop table users--", "' or sleep(5)='", "sleep(5)",
		"(select(0)from(select(sleep(5)))v)", "' or '1",
		"'XOR(if(now()=sysdate(),sleep(5),0))XOR'", "abc or x=x", NULL
	};
	int i;

	for (i = 0; atk[i] != NULL; i++) {
		if (!sqli(atk[i]))
			printf("\n  missed: %s", atk[i]);
		CU_ASSERT(sqli(atk[i]));
	}
}

static void
test_sqli_benign(void)
{
	static const char *const ok[] = {
		"O'Reilly", "I'd like to select a seat and update my order",
		"rock 'n' roll", "Tom & Jerry; Laurel & Hardy", "50% off -- today",
		"It's a dog's life, isn't it?", "1 or 2 tickets",
		"Is 3 > 2? Yes, and 2 < 3 as well.", "where are you from?",
		"SELECT name FROM users WHERE id = ?", "user@example.com",
		"https://example.com/search?q=select+best", "2024-01-15", "ab",
		"She wrote \"update your profile\" and left; nobody replied.",
		"Use \"or\" and \"and\" carefully; they change the meaning.",
		"The \"union\" of the two sets is {1, 2, 3}; that is all.",
		"my sleep(5 hrs) schedule is broken", "Sleep (2023) is a film",
		"I can't sleep (2am again) - any tips?",
		"rock and roll/blues", "I like cats/dogs", "not bad-ish really",
		NULL
	};
	int i;

	for (i = 0; ok[i] != NULL; i++) {
		if (sqli(ok[i]))
			printf("\n  flagged: %s", ok[i]);
		CU_ASSERT(!sqli(ok[i]));
	}
}

static bool
xss(const char *s)
{
	return (waf_is_xss(s, strlen(s)));
}

static void
test_xss(void)
{
	static const char *const atk[] = {
		"<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
		"\"><svg onload=alert(1)>", "javascript:alert(1)",
		" JaVa\tScRiPt:alert(1)", "<iframe src=x>", "\" onmouseover=\"x()",
		"<a href=\"vbscript:msgbox(1)\">", "<div style=\"x:expression(1)\">",
		"<details open ontoggle=alert(1)>", "<x srcdoc=\"a\">",
		"<body onload = go()>", NULL
	};
	static const char *const ok[] = {
		"<b>bold</b> and <i>it</i>", "a < b and c > d",
		"<a href=\"https://example.com\">x</a>", "<div class=\"card\">",
		"Use <p> for paragraphs", "only one = 1", "email me: x@y.z",
		"the onload handler is documented", "<3 love", NULL
	};
	int i;

	for (i = 0; atk[i] != NULL; i++)
		CU_ASSERT(xss(atk[i]));
	for (i = 0; ok[i] != NULL; i++)
		CU_ASSERT(!xss(ok[i]));
}

struct kv_seen {
	char	buf[1024];
};

static void
kv_cat(void *arg, unsigned target, const char *n, size_t nl, const char *v,
    size_t vl)
{
	struct kv_seen	*s = arg;
	size_t		 l = strlen(s->buf);

	snprintf(s->buf + l, sizeof(s->buf) - l, "%s%.*s=%.*s;",
	    target == WAF_T_FILES ? "F:" : target == WAF_T_ARG_NAMES ? "K:" : "",
	    (int)nl, n, (int)vl, v);
}

static void
test_body_parsers(void)
{
	struct kv_seen	s = { "" };
	const char	*js;
	const char	*mp = "--B\r\nContent-Disposition: form-data; name=\"a\""
			    "\r\n\r\none\r\n--B\r\nContent-Disposition: form-data; "
			    "name=\"f\"; filename=\"x.php\"\r\n\r\n<?php\r\n--B--\r\n";

	CU_ASSERT(waf_parse_urlencoded("a=1&b=%27x&c", 12, kv_cat, &s));
	CU_ASSERT_STRING_EQUAL(s.buf, "K:a=a;a=1;K:b=b;b='x;K:c=c;c=;");
	s.buf[0] = '\0';
	CU_ASSERT(!waf_parse_urlencoded("a=%zz", 5, kv_cat, &s));
	s.buf[0] = '\0';
	js = "{\"a\": {\"b\": [\"x\\u0027\", 2]}}";
	CU_ASSERT(waf_parse_json(js, strlen(js), kv_cat, &s));
	CU_ASSERT_STRING_EQUAL(s.buf, "K:a=a;K:b=b;a.b=x';a.b=2;");
	CU_ASSERT(!waf_parse_json("{\"a\": ", 6, kv_cat, &s));
	CU_ASSERT(!waf_parse_json("{\"a\": 1} x", 10, kv_cat, &s));
	s.buf[0] = '\0';
	CU_ASSERT(waf_parse_multipart(mp, strlen(mp), "B", 1, kv_cat, &s));
	CU_ASSERT_STRING_EQUAL(s.buf, "K:a=a;a=one;F:f=x.php;K:f=f;f=<?php;");
	CU_ASSERT(!waf_parse_multipart(mp, strlen(mp), "Q", 1, kv_cat, &s));
}

struct errs {
	char	buf[2048];
};

static void
err_cat(void *arg, const char *file, int line, const char *msg)
{
	struct errs	*e = arg;
	size_t		 l = strlen(e->buf);

	snprintf(e->buf + l, sizeof(e->buf) - l, "%s:%d: %s\n",
	    strrchr(file, '/') ? strrchr(file, '/') + 1 : file, line, msg);
}

static const char *
rules_file(const char *text)
{
	static char	path[64];
	FILE		*fp;

	snprintf(path, sizeof(path), "/tmp/test_waf.%d.rules", (int)getpid());
	fp = fopen(path, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fputs(text, fp);
	fclose(fp);
	return (path);
}

static void
test_rules_scan(void)
{
	struct waf_ruleset	 rs = { 0 };
	struct waf_tx		 tx;
	struct errs		 e = { "" };
	struct waf_excl		 ex[] = { { 3, 3, "skip" } };
	const char		*f = rules_file(
	    "1 1 5 sqli args urldecode,lowercase rx \"union\" union\\s+select\n"
	    "2 1 3 t args none pm \"phrases\" evil|wicked\n"
	    "3 1 5 xss args urldecode xss \"xss\"\n"
	    "4 2 5 t args none len_gt \"long\" 10\n"
	    "5 1 2! t headers none bytes \"ctl\" 32-126\n"
	    "6 1 5 t client none cidr \"net\" 10.0.0.0/8\n"
	    "7 1 5 t args none rx \"backref\" (a)\\1{3}\n");

	CU_ASSERT_EQUAL(waf_rules_load(&rs, &f, 1, err_cat, &e), 0);
	CU_ASSERT_EQUAL(waf_rules_compile(&rs, err_cat, &e), 0);
	CU_ASSERT_STRING_EQUAL(e.buf, "");
	CU_ASSERT_EQUAL(rs.n, 7);
	CU_ASSERT(rs.ng == 3);
	CU_ASSERT_FATAL(waf_tx_init(&tx, &rs, 1, ex, 1) == 0);
	waf_tx_scan(&tx, WAF_T_ARGS, "args", "q", 1, "1 UNION%20Select 2", 18);
	CU_ASSERT_EQUAL(tx.score, 5);
	CU_ASSERT_EQUAL(tx.nhits, 1);
	CU_ASSERT_STRING_EQUAL(tx.hits[0].data, "union select");
	waf_tx_scan(&tx, WAF_T_ARGS, "args", "q", 1, "so WICKED", 9);
	CU_ASSERT_EQUAL(tx.score, 8);
	/* each rule counts once; len_gt is paranoia 2 */
	waf_tx_scan(&tx, WAF_T_ARGS, "args", "q", 1, "evil evil evil", 14);
	CU_ASSERT_EQUAL(tx.score, 8);
	/* excluded for "skip", not for "other" */
	waf_tx_scan(&tx, WAF_T_ARGS, "args", "skip", 4, "<script>", 8);
	CU_ASSERT_EQUAL(tx.score, 8);
	waf_tx_scan(&tx, WAF_T_ARGS, "args", "other", 5, "<script>", 8);
	CU_ASSERT_EQUAL(tx.score, 13);
	CU_ASSERT(!tx.block_now);
	waf_tx_scan(&tx, WAF_T_HEADERS, "headers", "x", 1, "a\x01", 2);
	CU_ASSERT(tx.block_now);
	waf_tx_scan(&tx, WAF_T_CLIENT, "client", NULL, 0, "10.1.2.3", 8);
	CU_ASSERT_EQUAL(tx.score, 20);
	waf_tx_scan(&tx, WAF_T_ARGS, "args", "q", 1, "aaaa", 4);
	CU_ASSERT_EQUAL(tx.score, 25);
	waf_tx_free(&tx);
	CU_ASSERT_FATAL(waf_tx_init(&tx, &rs, 2, NULL, 0) == 0);
	waf_tx_scan(&tx, WAF_T_ARGS, "args", "q", 1, "0123456789ab", 12);
	CU_ASSERT_EQUAL(tx.score, 5);
	waf_tx_free(&tx);
	waf_rules_free(&rs);
	CU_ASSERT_EQUAL(rs.n, 0);
	unlink(f);
}

/* "headers:Name": a rule that looks at one field only. */
static void
test_rules_only(void)
{
	struct waf_ruleset	 rs = { 0 };
	struct waf_tx		 tx;
	struct errs		 e = { "" };
	struct waf_excl		 range[] = { { 1, 2, NULL } };
	const char		*f = rules_file(
	    "1 1 5 t headers:Transfer-Encoding none rx \"te\" chunked.\n"
	    "2 1 5 t header_names none eq \"httpoxy\" proxy\n"
	    "3 1 5 t headers:a,args:b none rx \"two names\" x\n");

	CU_ASSERT_EQUAL(waf_rules_load(&rs, &f, 1, err_cat, &e), 1);
	CU_ASSERT(strstr(e.buf, ":3: \"args:\": one name per rule") != NULL);
	CU_ASSERT_EQUAL(waf_rules_compile(&rs, err_cat, &e), 0);
	CU_ASSERT_FATAL(waf_tx_init(&tx, &rs, 1, NULL, 0) == 0);
	waf_tx_scan(&tx, WAF_T_HEADERS, "headers", "X-Note", 6, "chunked, x", 10);
	CU_ASSERT_EQUAL(tx.score, 0);
	waf_tx_scan(&tx, WAF_T_HEADERS, "headers", "transfer-encoding", 17,
	    "chunked, x", 10);
	CU_ASSERT_EQUAL(tx.score, 5);
	waf_tx_scan(&tx, WAF_T_HEADER_NAMES, "header_names", "Proxy", 5,
	    "Proxy", 5);
	CU_ASSERT_EQUAL(tx.score, 10);
	waf_tx_free(&tx);
	/* a range of ids: both rules off */
	CU_ASSERT_FATAL(waf_tx_init(&tx, &rs, 1, range, 1) == 0);
	waf_tx_scan(&tx, WAF_T_HEADERS, "headers", "transfer-encoding", 17,
	    "chunked, x", 10);
	waf_tx_scan(&tx, WAF_T_HEADER_NAMES, "header_names", "Proxy", 5,
	    "Proxy", 5);
	CU_ASSERT_EQUAL(tx.score, 0);
	waf_tx_free(&tx);
	waf_rules_free(&rs);
	unlink(f);
}

/* Random strings made of SQL-ish and plain pieces. */
static size_t
fuzz_string(unsigned *seed, const char *const *pieces, size_t np, char *buf,
    size_t size)
{
	size_t	n = 0, k, cnt = 1 + (size_t)rand_r(seed) % 8;

	for (k = 0; k < cnt; k++) {
		const char *p = pieces[(size_t)rand_r(seed) % np];
		size_t l = strlen(p);

		if (n + l + 1 >= size)
			break;
		memcpy(buf + n, p, l);
		n += l;
	}
	buf[n] = '\0';
	return (n);
}

/* The prefilter lets through whatever the tokenizer would flag. */
static void
test_sqli_prefilter_superset(void)
{
	static const char *const pieces[] = {
		"'", "\"", "`", " ", "1", "0x1f", "or", "and", "union", "select",
		"sleep", "(", ")", ";", "--", "-", "#", "/*", "*/", "=", "/", "%",
		":", ",", "a", "waitfor", "delay", "from", "XOR", "Union", "1union",
		".", "@", "$", "+", "drop", "table", "like", "not", "benchmark",
		"||", "&&", "<", ">", "!", "1e5", "deselect", "char", "word", "&",
		"|", "*", "^", "~", "/", "?", "[", "\\", "/*!5", "*/", ".5",
		" ", "\t", "q", "in", "set", "1select", "all", "x"
	};
	unsigned	seed = 42;
	char		buf[128];
	int		i, flagged = 0, bad = 0;

	for (i = 0; i < 400000; i++) {
		size_t n = fuzz_string(&seed, pieces, sizeof(pieces) /
		    sizeof(pieces[0]), buf, sizeof(buf));

		if (!waf_sqli_lexical(buf, n, NULL))
			continue;
		flagged++;
		if (!waf_sqli_may_match(buf, n)) {
			if (bad++ < 5)
				printf("\n  prefilter missed: %s", buf);
		}
	}
	CU_ASSERT(flagged > 1000);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(!waf_sqli_may_match("gift wrap please", 16));
	CU_ASSERT(!waf_sqli_may_match("SKU-0001, 2024-01-15", 20));
	CU_ASSERT(waf_sqli_may_match("1union select", 13));
}

/* The one-pass no-op mask agrees with each transformation's own test. */
static void
test_tf_noop_mask(void)
{
	static const char *const pieces[] = {
		"a", "B", "%", "+", "&", "\xc0", "\xe0", "\xc3\xa9", "/", "*", ".",
		"\\", " ", "9", "/*", "//", "/.", "x"
	};
	static const int tfs[] = {
		WAF_TF_URLDECODE, WAF_TF_HTMLDECODE, WAF_TF_REMOVENULLS,
		WAF_TF_UTF8, WAF_TF_LOWERCASE, WAF_TF_REPLACECOMMENTS,
		WAF_TF_NORMPATH
	};
	unsigned	seed = 7, m;
	char		buf[128];
	int		i, k, bad = 0;

	for (i = 0; i < 50000; i++) {
		size_t n = fuzz_string(&seed, pieces, sizeof(pieces) /
		    sizeof(pieces[0]), buf, sizeof(buf));

		if (i % 7 == 0 && n > 1)
			buf[n / 2] = '\0';	/* a NUL inside */
		m = waf_tf_noop_mask(buf, n);
		for (k = 0; k < (int)(sizeof(tfs) / sizeof(tfs[0])); k++)
			if (((m >> tfs[k]) & 1) !=
			    (unsigned)waf_tf_is_noop(tfs[k], buf, n))
				bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void
test_rules_errors(void)
{
	struct waf_ruleset	 rs = { 0 };
	struct errs		 e = { "" };
	const char		*f = rules_file(
	    "# comment\n"
	    "10 1 5 t args none rx \"m\" (open\n"
	    "11 1 5 t nowhere none rx \"m\" x\n"
	    "12 1 5 t args rot13 rx \"m\" x\n"
	    "13 1 5 t args none nope \"m\" x\n"
	    "14 5 5 t args none rx \"m\" x\n"
	    "15 1 5 t args none rx \"m\" x\n"
	    "15 1 5 t args none rx \"m\" y\n"
	    "16 1 5 t args\n");

	CU_ASSERT_EQUAL(waf_rules_load(&rs, &f, 1, err_cat, &e), 7);
	CU_ASSERT(strstr(e.buf, ":2: bad regex") != NULL);
	CU_ASSERT(strstr(e.buf, ":3: unknown target \"nowhere\"") != NULL);
	CU_ASSERT(strstr(e.buf, ":4: unknown transformation \"rot13\"") != NULL);
	CU_ASSERT(strstr(e.buf, ":5: unknown operator \"nope\"") != NULL);
	CU_ASSERT(strstr(e.buf, ":6: paranoia level") != NULL);
	CU_ASSERT(strstr(e.buf, ":8: duplicate rule id 15") != NULL);
	CU_ASSERT(strstr(e.buf, ":9: a rule has 8 fields") != NULL);
	waf_rules_free(&rs);
	unlink(f);
}

int
main(void)
{
	static const struct pt_unit_test tests[] = {
		{ "transformation names", test_tf_names },
		{ "urldecode: passes, %u, bad escapes", test_tf_urldecode },
		{ "htmldecode: named and numeric", test_tf_html },
		{ "lowercase, nulls, spaces, comments, hex, base64, utf8",
		  test_tf_simple },
		{ "normpath", test_tf_normpath },
		{ "SQL fingerprints", test_sqli_fingerprint },
		{ "SQL injections are found", test_sqli_attacks },
		{ "prose and code are not SQL injections", test_sqli_benign },
		{ "XSS tokenizer: attacks and benign HTML", test_xss },
		{ "body parsers: urlencoded, JSON, multipart", test_body_parsers },
		{ "rules: operators, chains, paranoia, exclusions",
		  test_rules_scan },
		{ "rules: errors with file and line", test_rules_errors },
		{ "rules: one field by name", test_rules_only },
		{ "SQL prefilter: a superset of the tokenizer",
		  test_sqli_prefilter_superset },
		{ "transformations: the no-op mask", test_tf_noop_mask },
		{ NULL, NULL }
	};

	return (pt_unit_run("waf", NULL, NULL, tests));
}
