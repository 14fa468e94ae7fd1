/*
 * t/unit/test_deflate.c: mod_deflate's pure decisions alone
 * (deflate_negotiate.c): Accept-Encoding parsing with q-values, the choice
 * of a coding against the server's preference order (RFC 9110 12.5.3),
 * media type matching, and tokens in Vary and Cache-Control.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "deflate_negotiate.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* "br,zstd,gzip" -> codings; returns the count. */
static size_t
prefs_of(const char *s, enum dfl_coding *out)
{
	const char	*p = s, *e;
	size_t		 n = 0;
	int		 c;

	while (*p != '\0' && n < DFL_NCODINGS) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		if ((c = dfl_coding_parse(p, (size_t)(e - p))) >= 0)
			out[n++] = (enum dfl_coding)c;
		p = *e == ',' ? e + 1 : e;
	}
	return (n);
}

/* Accept-Encoding (NULL: no field), server preference, the choice. */
static const struct {
	const char	*ae;
	const char	*prefs;
	enum dfl_coding	 want;
} choose_cases[] = {
	/* No field or an empty one: no coding. */
	{ NULL,					"br,zstd,gzip",	DFL_IDENTITY },
	{ "",					"br,zstd,gzip",	DFL_IDENTITY },
	{ " ",					"br,zstd,gzip",	DFL_IDENTITY },
	{ ",, ,",				"br,zstd,gzip",	DFL_IDENTITY },
	/* Plain lists: the server's order breaks the tie at q=1. */
	{ "gzip",				"br,zstd,gzip",	DFL_GZIP },
	{ "br",					"br,zstd,gzip",	DFL_BR },
	{ "zstd",				"br,zstd,gzip",	DFL_ZSTD },
	{ "gzip, deflate, br",			"br,zstd,gzip",	DFL_BR },
	{ "gzip, deflate, br, zstd",		"br,zstd,gzip",	DFL_BR },
	{ "gzip, deflate, br, zstd",		"zstd,br,gzip",	DFL_ZSTD },
	{ "gzip, deflate, br, zstd",		"gzip,br,zstd",	DFL_GZIP },
	{ "deflate, gzip, br, zstd",		"gzip",		DFL_GZIP },
	{ "gzip, zstd",				"br,zstd,gzip",	DFL_ZSTD },
	{ "gzip",				"br,zstd",	DFL_IDENTITY },
	{ "br, zstd",				"gzip",		DFL_IDENTITY },
	{ "gzip",				"",		DFL_IDENTITY },
	/* Only codings we do not make. */
	{ "deflate",				"br,zstd,gzip",	DFL_IDENTITY },
	{ "compress, x-compress",		"br,zstd,gzip",	DFL_IDENTITY },
	{ "identity",				"br,zstd,gzip",	DFL_IDENTITY },
	/* Case and the x-gzip alias (RFC 9110 8.4.1.3). */
	{ "GZIP",				"br,zstd,gzip",	DFL_GZIP },
	{ "Br",					"br,zstd,gzip",	DFL_BR },
	{ "x-gzip",				"br,zstd,gzip",	DFL_GZIP },
	{ "X-GZip;q=0.5",			"gzip",		DFL_GZIP },
	/* q-values: the highest wins, whatever the server's order. */
	{ "gzip;q=0.5, br;q=1.0",		"zstd,gzip,br",	DFL_BR },
	{ "gzip;q=1.0, br;q=0.5",		"br,zstd,gzip",	DFL_GZIP },
	{ "br;q=0.9, zstd;q=0.95, gzip;q=0.1",	"br,zstd,gzip",	DFL_ZSTD },
	{ "br;q=0.001, gzip;q=0.002",		"br,zstd,gzip",	DFL_GZIP },
	{ "br;q=0.5, gzip;q=0.5",		"gzip,br",	DFL_GZIP },
	{ "br;q=0.5, gzip;q=0.500",		"br,gzip",	DFL_BR },
	{ "gzip;q=1, br;q=1.000",		"br,gzip",	DFL_BR },
	{ "gzip;q=1., br;q=0.",			"br,gzip",	DFL_GZIP },
	{ "gzip;Q=0.2, br;q=0.1",		"br,gzip",	DFL_GZIP },
	/* Blanks around the parameter separator. */
	{ "gzip ; q=0.2 , br ;q=0.9",		"gzip,br",	DFL_BR },
	{ "gzip\t;\tq=0.7,br;q=0.6",		"br,gzip",	DFL_GZIP },
	/* q=0 excludes. */
	{ "gzip;q=0",				"br,zstd,gzip",	DFL_IDENTITY },
	{ "gzip;q=0.000",			"br,zstd,gzip",	DFL_IDENTITY },
	{ "br;q=0, gzip",			"br,zstd,gzip",	DFL_GZIP },
	{ "br;q=0, zstd;q=0, gzip;q=0",		"br,zstd,gzip",	DFL_IDENTITY },
	/* "*" covers codings not listed; a listed one keeps its own. */
	{ "*",					"br,zstd,gzip",	DFL_BR },
	{ "*",					"gzip,br",	DFL_GZIP },
	{ "gzip;q=0.5, br;q=1.0, *;q=0",	"br,zstd,gzip",	DFL_BR },
	{ "gzip;q=0.5, *;q=0",			"br,zstd,gzip",	DFL_GZIP },
	{ "*;q=0",				"br,zstd,gzip",	DFL_IDENTITY },
	{ "br;q=0, *",				"br,zstd,gzip",	DFL_ZSTD },
	{ "gzip;q=0.8, *;q=0.1",		"br,zstd,gzip",	DFL_GZIP },
	{ "gzip;q=0.1, *;q=0.8",		"br,zstd,gzip",	DFL_BR },
	{ "*;q=0.3, gzip",			"br,gzip",	DFL_GZIP },
	/* identity rated above every coding we could make wins. */
	{ "identity;q=1, gzip;q=0.5",		"br,zstd,gzip",	DFL_IDENTITY },
	{ "identity, gzip",			"br,zstd,gzip",	DFL_GZIP },
	{ "identity;q=0.5, gzip",		"br,zstd,gzip",	DFL_GZIP },
	{ "identity;q=0, gzip;q=0.1",		"br,zstd,gzip",	DFL_GZIP },
	{ "*;q=0.9, br;q=0.5",			"br",		DFL_IDENTITY },
	{ "identity;q=0.1, *;q=0.9, br;q=0.5",	"br",		DFL_BR },
	/* The first listing of a coding counts. */
	{ "gzip;q=0, gzip",			"gzip",		DFL_IDENTITY },
	{ "gzip, gzip;q=0",			"gzip",		DFL_GZIP },
	{ "*;q=0, *",				"gzip",		DFL_IDENTITY },
	/* Malformed q-values drop their element only. */
	{ "gzip;q=2",				"gzip",		DFL_IDENTITY },
	{ "gzip;q=1.5",				"gzip",		DFL_IDENTITY },
	{ "gzip;q=1.001",			"gzip",		DFL_IDENTITY },
	{ "gzip;q=0.1234",			"gzip",		DFL_IDENTITY },
	{ "gzip;q=.5",				"gzip",		DFL_IDENTITY },
	{ "gzip;q=-1",				"gzip",		DFL_IDENTITY },
	{ "gzip;q=",				"gzip",		DFL_IDENTITY },
	{ "gzip;q",				"gzip",		DFL_IDENTITY },
	{ "gzip;q=0.5x",			"gzip",		DFL_IDENTITY },
	{ "gzip;q=abc, br",			"gzip,br",	DFL_BR },
	{ "gzip;=1, br;q=0.2",			"gzip,br",	DFL_BR },
	{ "gzip;;q=1, br;q=0.2",		"gzip,br",	DFL_BR },
	{ "gzip q=1, br;q=0.2",			"gzip,br",	DFL_BR },
	{ "gzip/1, br;q=0.2",			"gzip,br",	DFL_BR },
	{ "\"gzip\", br",			"gzip,br",	DFL_BR },
	/* Other parameters are ignored; quoted values may hold commas. */
	{ "gzip;level=9",			"gzip",		DFL_GZIP },
	{ "gzip;x=\"a,b\";q=0.5, br;q=0.4",	"br,gzip",	DFL_GZIP },
	{ "gzip;x=\"a\\\"b,c\";q=0.1, br;q=0.4", "gzip,br",	DFL_BR },
	/* Names that only start like ours. */
	{ "gzipx, brotli, zstandard",		"br,zstd,gzip",	DFL_IDENTITY },
	{ "gz, b, zst",				"br,zstd,gzip",	DFL_IDENTITY },
	/* Empty elements anywhere (RFC 9110 5.6.1). */
	{ ", gzip,, ,br;q=0.1,",		"br,gzip",	DFL_GZIP },
};

static void
test_choose(void)
{
	enum dfl_coding	prefs[DFL_NCODINGS], got;
	size_t		i, n;

	for (i = 0; i < NELEM(choose_cases); i++) {
		n = prefs_of(choose_cases[i].prefs, prefs);
		got = dfl_negotiate(choose_cases[i].ae, choose_cases[i].ae ?
		    strlen(choose_cases[i].ae) : 0, prefs, n);
		if (got != choose_cases[i].want)
			fprintf(stderr, "choose case %zu (\"%s\" / %s): got %s, "
			    "want %s\n", i, choose_cases[i].ae ?
			    choose_cases[i].ae : "(none)",
			    choose_cases[i].prefs, dfl_coding_name(got),
			    dfl_coding_name(choose_cases[i].want));
		CU_ASSERT_EQUAL(got, choose_cases[i].want);
	}
}

/* The parsed q-values: identity, gzip, br, zstd, star (-1: not listed). */
static const struct {
	const char	*ae;
	int		 q[DFL_NCODINGS];
	int		 star;
} parse_cases[] = {
	{ "",				{ -1, -1, -1, -1 },	-1 },
	{ "gzip",			{ -1, 1000, -1, -1 },	-1 },
	{ "gzip;q=0.5, br;q=1.0, *;q=0", { -1, 500, 1000, -1 }, 0 },
	{ "identity;q=0.25",		{ 250, -1, -1, -1 },	-1 },
	{ "zstd;q=0.001",		{ -1, -1, -1, 1 },	-1 },
	{ "zstd;q=0.01",		{ -1, -1, -1, 10 },	-1 },
	{ "zstd;q=0.1",			{ -1, -1, -1, 100 },	-1 },
	{ "zstd;q=0.999",		{ -1, -1, -1, 999 },	-1 },
	{ "br;q=1.00",			{ -1, -1, 1000, -1 },	-1 },
	{ "br;q=1.0000",		{ -1, -1, -1, -1 },	-1 },
	{ "x-gzip;q=0.3, gzip",		{ -1, 300, -1, -1 },	-1 },
	{ "*;q=0.7",			{ -1, -1, -1, -1 },	700 },
	{ "deflate;q=0.4",		{ -1, -1, -1, -1 },	-1 },
};

static void
test_parse(void)
{
	struct dfl_accept	a;
	size_t			i;
	int			c;
	bool			ok;

	for (i = 0; i < NELEM(parse_cases); i++) {
		dfl_accept_parse(parse_cases[i].ae, strlen(parse_cases[i].ae),
		    &a);
		ok = a.star == parse_cases[i].star;
		for (c = 0; c < DFL_NCODINGS; c++)
			ok = ok && a.q[c] == parse_cases[i].q[c];
		if (!ok)
			fprintf(stderr, "parse case %zu (\"%s\"): got %d %d %d "
			    "%d *%d\n", i, parse_cases[i].ae, a.q[0], a.q[1],
			    a.q[2], a.q[3], a.star);
		CU_ASSERT(ok);
	}
}

/* The value is not NUL-terminated where it ends: only len bytes count. */
static void
test_parse_length(void)
{
	static const char	v[] = "gzip;q=0.5, br";
	enum dfl_coding		prefs[] = { DFL_BR, DFL_GZIP };

	CU_ASSERT_EQUAL(dfl_negotiate(v, 4, prefs, 2), DFL_GZIP);
	CU_ASSERT_EQUAL(dfl_negotiate(v, strlen(v), prefs, 2), DFL_BR);
	CU_ASSERT_EQUAL(dfl_negotiate(v, 0, prefs, 2), DFL_IDENTITY);
	/* "gzip;q=0.5" cut to "gzip;q=0." is still a valid q-value. */
	CU_ASSERT_EQUAL(dfl_negotiate(v, 9, prefs, 2), DFL_IDENTITY);
	CU_ASSERT_EQUAL(dfl_negotiate(v, 10, prefs, 2), DFL_GZIP);
}

static void
test_coding_names(void)
{
	CU_ASSERT_EQUAL(dfl_coding_parse("gzip", 4), DFL_GZIP);
	CU_ASSERT_EQUAL(dfl_coding_parse("x-gzip", 6), DFL_GZIP);
	CU_ASSERT_EQUAL(dfl_coding_parse("br", 2), DFL_BR);
	CU_ASSERT_EQUAL(dfl_coding_parse("ZSTD", 4), DFL_ZSTD);
	CU_ASSERT_EQUAL(dfl_coding_parse("identity", 8), DFL_IDENTITY);
	CU_ASSERT_EQUAL(dfl_coding_parse("deflate", 7), -1);
	CU_ASSERT_EQUAL(dfl_coding_parse("gzip", 3), -1);
	CU_ASSERT_EQUAL(dfl_coding_parse("", 0), -1);
	CU_ASSERT_STRING_EQUAL(dfl_coding_name(DFL_GZIP), "gzip");
	CU_ASSERT_STRING_EQUAL(dfl_coding_name(DFL_BR), "br");
	CU_ASSERT_STRING_EQUAL(dfl_coding_name(DFL_ZSTD), "zstd");
	CU_ASSERT_STRING_EQUAL(dfl_coding_name(DFL_IDENTITY), "identity");
}

static const char *const default_types[] = {
	"text/html", "text/css", "text/plain", "text/xml", "text/javascript",
	"application/javascript", "application/json", "application/xml",
	"image/svg+xml",
};
static const char *const wild_types[] = { "text/*", "application/json" };

static const struct {
	const char	*ct;
	bool		 wild;		/* against wild_types, else the defaults */
	bool		 want;
} type_cases[] = {
	{ "text/html",				false,	true },
	{ "text/html; charset=utf-8",		false,	true },
	{ "text/html;charset=utf-8",		false,	true },
	{ "  text/html ; charset=utf-8",	false,	true },
	{ "TEXT/HTML",				false,	true },
	{ "Application/JSON",			false,	true },
	{ "image/svg+xml",			false,	true },
	{ "image/png",				false,	false },
	{ "application/octet-stream",		false,	false },
	{ "text/htmlx",				false,	false },
	{ "text/htm",				false,	false },
	{ "text",				false,	false },
	{ "",					false,	false },
	{ "text/csv",				false,	false },
	{ "text/csv",				true,	true },
	{ "Text/Anything; q=1",			true,	true },
	{ "text/",				true,	false },
	{ "/html",				true,	false },
	{ "textx/html",				true,	false },
	{ "tex/html",				true,	false },
	{ "application/json",			true,	true },
	{ "application/xml",			true,	false },
};

static void
test_types(void)
{
	size_t	i;
	bool	got;

	for (i = 0; i < NELEM(type_cases); i++) {
		got = type_cases[i].wild ?
		    dfl_type_listed(type_cases[i].ct, wild_types,
		    NELEM(wild_types)) :
		    dfl_type_listed(type_cases[i].ct, default_types,
		    NELEM(default_types));
		if (got != type_cases[i].want)
			fprintf(stderr, "type case %zu (\"%s\"): got %d\n", i,
			    type_cases[i].ct, got);
		CU_ASSERT_EQUAL(got, type_cases[i].want);
	}
	CU_ASSERT_FALSE(dfl_type_listed(NULL, default_types,
	    NELEM(default_types)));
	CU_ASSERT_FALSE(dfl_type_listed("text/html", NULL, 0));
}

static void
test_type_valid(void)
{
	CU_ASSERT_TRUE(dfl_type_valid("text/html"));
	CU_ASSERT_TRUE(dfl_type_valid("text/*"));
	CU_ASSERT_TRUE(dfl_type_valid("image/svg+xml"));
	CU_ASSERT_TRUE(dfl_type_valid("application/vnd.api+json"));
	CU_ASSERT_FALSE(dfl_type_valid("*/*"));
	CU_ASSERT_FALSE(dfl_type_valid("text"));
	CU_ASSERT_FALSE(dfl_type_valid("text/"));
	CU_ASSERT_FALSE(dfl_type_valid("/html"));
	CU_ASSERT_FALSE(dfl_type_valid("text/html; charset=utf-8"));
	CU_ASSERT_FALSE(dfl_type_valid("text/html/x"));
	CU_ASSERT_FALSE(dfl_type_valid("text/*x"));
	CU_ASSERT_FALSE(dfl_type_valid(""));
}

static const struct {
	const char	*value;
	const char	*token;
	bool		 want;
} list_cases[] = {
	{ "Accept-Encoding",			"Accept-Encoding",	true },
	{ "accept-encoding",			"Accept-Encoding",	true },
	{ "Origin, Accept-Encoding",		"Accept-Encoding",	true },
	{ "Origin,accept-encoding ",		"Accept-Encoding",	true },
	{ "Origin",				"Accept-Encoding",	false },
	{ "Accept-Encodings",			"Accept-Encoding",	false },
	{ "X-Accept-Encoding",			"Accept-Encoding",	false },
	{ "",					"Accept-Encoding",	false },
	{ "*",					"*",			true },
	{ "Origin, *",				"*",			true },
	{ "no-transform",			"no-transform",		true },
	{ "max-age=60, no-transform",		"no-transform",		true },
	{ "max-age=60,No-Transform",		"no-transform",		true },
	{ "public, max-age=60",			"no-transform",		false },
	{ "private=\"no-transform, x\"",	"no-transform",		false },
	{ "private=\"a, b\", no-transform",	"no-transform",		true },
	{ "no-transformx",			"no-transform",		false },
	{ "x=no-transform",			"no-transform",		false },
};

static void
test_list_has(void)
{
	size_t	i;
	bool	got;

	for (i = 0; i < NELEM(list_cases); i++) {
		got = dfl_list_has(list_cases[i].value,
		    strlen(list_cases[i].value), list_cases[i].token);
		if (got != list_cases[i].want)
			fprintf(stderr, "list case %zu (\"%s\" has \"%s\"): "
			    "got %d\n", i, list_cases[i].value,
			    list_cases[i].token, got);
		CU_ASSERT_EQUAL(got, list_cases[i].want);
	}
	CU_ASSERT_FALSE(dfl_list_has(NULL, 0, "Accept-Encoding"));
	/* Only len bytes count. */
	CU_ASSERT_FALSE(dfl_list_has("Origin, no-transform", 6,
	    "no-transform"));
}

static const struct pt_unit_test tests[] = {
	{ "choice: q-values, *, identity, server order", test_choose },
	{ "Accept-Encoding parsed q-values", test_parse },
	{ "values are not NUL-terminated", test_parse_length },
	{ "coding names", test_coding_names },
	{ "media types listed", test_types },
	{ "configured types", test_type_valid },
	{ "tokens in Vary and Cache-Control", test_list_has },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("deflate", NULL, NULL, tests));
}
