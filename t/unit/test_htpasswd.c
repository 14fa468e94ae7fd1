/*
 * Unit tests for auth_htpasswd.c: parsing htpasswd files (errors with
 * their line), verifying bcrypt, SHA-512 and SHA-256 crypt hashes made
 * here with crypt_rn and fixed salts, the lookup, the dummy hash for
 * unknown users, and the constant-time compare.
 */
#include "config.h"

#include "auth.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena_priv.h"
#include "unit.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct pt_arena	*arena;

/* Fixed settings: cost 4 keeps bcrypt fast enough for a unit test. */
#define BCRYPT4	"$2b$04$abcdefghijklmnopqrstuu"
#define BCRYPT5	"$2y$05$ABCDEFGHIJKLMNOPQRSTUu"
#define SHA512	"$6$saltsalt"
#define SHA256	"$5$rounds=1000$pepper"

static int
setup(void)
{
	return ((arena = pt_arena_new(4096, 0)) == NULL ? -1 : 0);
}

static int
teardown(void)
{
	pt_arena_free(arena);
	return (0);
}

static char *
hash(const char *password, const char *setting)
{
	struct crypt_data	 cd;
	char			*out;

	memset(&cd, 0, sizeof(cd));
	out = crypt_rn(password, setting, &cd, (int)sizeof(cd));
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_NOT_EQUAL_FATAL(out[0], '*');
	return (pt_strdup(arena, out));
}

/* Collects "line: message" lines. */
static char	errbuf[4096];

static void
collect(void *arg, unsigned int line, const char *msg)
{
	size_t used = strlen(errbuf);

	(void)arg;
	snprintf(errbuf + used, sizeof(errbuf) - used, "%u: %s\n", line, msg);
}

static struct htpasswd *
parse(const char *text, int *nerr)
{
	errbuf[0] = '\0';
	return (htpasswd_parse(arena, text, strlen(text), collect, NULL,
	    nerr));
}

static void
test_verify(void)
{
	static const char *const settings[] = { BCRYPT4, SHA512, SHA256 };
	const char	*h;
	size_t		 i;

	for (i = 0; i < NELEM(settings); i++) {
		h = hash("s3cret pass", settings[i]);
		CU_ASSERT_PTR_NULL(htpasswd_hash_check(h));
		CU_ASSERT_TRUE(htpasswd_verify(h, "s3cret pass"));
		CU_ASSERT_FALSE(htpasswd_verify(h, "s3cret pasS"));
		CU_ASSERT_FALSE(htpasswd_verify(h, "s3cret pass "));
		CU_ASSERT_FALSE(htpasswd_verify(h, ""));
	}
	/* $2y$ and $2a$ name the same bcrypt for ASCII passwords. */
	h = hash("pw", BCRYPT5);
	CU_ASSERT_TRUE(htpasswd_verify(h, "pw"));
	CU_ASSERT_FALSE(htpasswd_verify("*0", "pw"));
	CU_ASSERT_FALSE(htpasswd_verify("", "pw"));
}

static void
test_parse(void)
{
	struct htpasswd			*pw;
	const struct htpasswd_user	*u;
	char				*text;
	int				 nerr;

	text = pt_printf(arena, "# staff\n\nalice:%s\r\n  bob:%s  \n"
	    "carol:%s\n#dave:x\n", hash("a", BCRYPT4), hash("b", SHA512),
	    hash("c", SHA256));
	pw = parse(text, &nerr);
	CU_ASSERT_EQUAL(nerr, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	if (errbuf[0] != '\0')
		fprintf(stderr, "%s", errbuf);
	CU_ASSERT_EQUAL(pw->n, 3);
	u = htpasswd_find(pw, "bob", 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_EQUAL(u->line, 4);
	CU_ASSERT_TRUE(htpasswd_verify(u->hash, "b"));
	CU_ASSERT_PTR_NOT_NULL(htpasswd_find(pw, "alice", 5));
	CU_ASSERT_PTR_NOT_NULL(htpasswd_find(pw, "carol", 5));
	CU_ASSERT_PTR_NULL(htpasswd_find(pw, "dave", 4));
	CU_ASSERT_PTR_NULL(htpasswd_find(pw, "bo", 2));
	CU_ASSERT_PTR_NULL(htpasswd_find(pw, "bobby", 5));
	CU_ASSERT_PTR_NULL(htpasswd_find(pw, "Bob", 3));
	/* The length given, not the NUL, ends the name. */
	CU_ASSERT_PTR_NOT_NULL(htpasswd_find(pw, "bobby", 3));
	/* The dummy for unknown users is the costliest: bcrypt here. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw->dummy);
	CU_ASSERT_EQUAL(strncmp(pw->dummy, "$2b$", 4), 0);

	pw = parse("", &nerr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	CU_ASSERT_EQUAL(pw->n, 0);
	CU_ASSERT_PTR_NULL(pw->dummy);
}

/* The highest bcrypt cost wins over a lower one and over SHA crypt. */
static void
test_dummy(void)
{
	struct htpasswd	*pw;
	char		*text, *b5;
	int		 nerr;

	b5 = hash("x", BCRYPT5);
	text = pt_printf(arena, "a:%s\nb:%s\nc:%s\n", hash("x", SHA512), b5,
	    hash("x", BCRYPT4));
	pw = parse(text, &nerr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	CU_ASSERT_STRING_EQUAL(pw->dummy, b5);
	text = pt_printf(arena, "a:%s\nb:%s\n", hash("x", SHA256),
	    hash("x", "$6$rounds=2000$s"));
	pw = parse(text, &nerr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	CU_ASSERT_EQUAL(strncmp(pw->dummy, "$6$rounds=2000$", 15), 0);
}

static const struct {
	const char	*text;
	int		 nerrors;
	const char	*want[2];	/* substrings of the collected errors */
} bad[] = {
	{ "alice\n", 1, { "1: expected user:hash" } },
	{ "# c\n:$6$x$y\n", 1, { "2: expected user:hash" } },
	{ "alice:\n", 1, { "1: expected user:hash" } },
	{ "a:b:c\n", 1, { "1: more than two fields" } },
	{ "alice:$apr1$abc$def\n", 1,
	  { "1: user \"alice\": unsupported hash type: Apache MD5 ($apr1$)" } },
	{ "\n\nbob:$1$abc$def\n", 1, { "3: user \"bob\": unsupported hash "
	  "type: MD5 crypt ($1$)" } },
	{ "bob:{SHA}abcdef=\n", 1, { "SHA-1 ({SHA})" } },
	{ "bob:plaintext\n", 1, { "plain text or DES crypt" } },
	{ "bob:$y$j9T$abc$def\n", 1, { "yescrypt" } },
	{ "bob:$2y$10$short\n", 1, { "1: user \"bob\": malformed bcrypt hash" } },
	{ "bob:$2y$03$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234\n",
	  1, { "bcrypt cost must be between 04 and 31" } },
	{ "bob:$6$salt$tooshort\n", 1, { "malformed SHA crypt hash" } },
	{ "bob:$6$rounds=10$salt$x\n", 1, { "bad rounds=" } },
	{ "ok:$2y$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234\n"
	  "x\nok:$2y$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234\n",
	  2, { "2: expected user:hash", "3: duplicate user \"ok\" (also at "
	  "line 1)" } },
};

static void
test_parse_errors(void)
{
	struct htpasswd	*pw;
	size_t		 i, j;
	int		 nerr;

	for (i = 0; i < NELEM(bad); i++) {
		pw = parse(bad[i].text, &nerr);
		if (nerr != bad[i].nerrors)
			fprintf(stderr, "case %zu: %d errors:\n%s", i, nerr,
			    errbuf);
		CU_ASSERT_PTR_NULL(pw);
		CU_ASSERT_EQUAL(nerr, bad[i].nerrors);
		for (j = 0; j < NELEM(bad[i].want) && bad[i].want[j]; j++) {
			if (strstr(errbuf, bad[i].want[j]) == NULL)
				fprintf(stderr, "case %zu: missing \"%s\" in:\n"
				    "%s", i, bad[i].want[j], errbuf);
			CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, bad[i].want[j]));
		}
	}
}

static void
test_load(void)
{
	struct htpasswd	*pw;
	char		 path[] = "/tmp/test_htpasswd.XXXXXX";
	FILE		*fp;
	int		 fd, nerr;

	pw = htpasswd_load(arena, "/nonexistent/htpasswd", collect, NULL,
	    &nerr);
	CU_ASSERT_PTR_NULL(pw);
	CU_ASSERT_EQUAL(nerr, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(errbuf, "0: cannot open"));
	CU_ASSERT_NOT_EQUAL_FATAL(fd = mkstemp(path), -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp = fdopen(fd, "w"));
	fprintf(fp, "u:%s\n", hash("p", SHA512));
	fclose(fp);
	errbuf[0] = '\0';
	pw = htpasswd_load(arena, path, collect, NULL, &nerr);
	unlink(path);
	CU_ASSERT_EQUAL(nerr, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
	CU_ASSERT_EQUAL(pw->n, 1);
	CU_ASSERT_TRUE(htpasswd_verify(pw->v[0].hash, "p"));
}

static void
test_ct_equal(void)
{
	static const struct {
		const char	*a, *b;
		size_t		 n;
		bool		 eq;
	} cases[] = {
		{ "", "", 0, true },
		{ "abc", "abc", 3, true },
		{ "abc", "abd", 3, false },
		{ "xbc", "abc", 3, false },
		{ "abc", "abd", 2, true },
		{ "a\0c", "a\0d", 3, false },
		{ "a\0c", "a\0c", 3, true },
	};
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		if (auth_ct_equal(cases[i].a, cases[i].b, cases[i].n) !=
		    cases[i].eq)
			fprintf(stderr, "case %zu\n", i);
		CU_ASSERT_EQUAL(auth_ct_equal(cases[i].a, cases[i].b,
		    cases[i].n), cases[i].eq);
	}
}

static const struct pt_unit_test tests[] = {
	{ "verify bcrypt, SHA-512 and SHA-256 crypt", test_verify },
	{ "parse, comments, lookup", test_parse },
	{ "dummy hash for unknown users", test_dummy },
	{ "parse errors with their line", test_parse_errors },
	{ "load from a file", test_load },
	{ "constant-time compare", test_ct_equal },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("htpasswd", setup, teardown, tests));
}
