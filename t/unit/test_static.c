/*
 * Unit tests for the pure parts of static file serving: path normalisation,
 * opening beneath a root (openat2 and the user-space walk), ETags,
 * preconditions, byte ranges, HTTP dates and MIME types.
 */
#include "config.h"

#include "static_file.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena_priv.h"
#include "unit.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct pt_arena	*arena;

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

/* path_normalize */

static const struct {
	const char	*raw;
	int		 rc;
	const char	*out;
	bool		 slash;
} norm_cases[] = {
	{ "/",				0,		"/",		true },
	{ "/index.html",		0,		"/index.html",	false },
	{ "/a/b/",			0,		"/a/b/",	true },
	{ "/a//b///c",			0,		"/a/b/c",	false },
	{ "//",				0,		"/",		true },
	{ "/a/./b/.",			0,		"/a/b/",	true },
	{ "/a/b/..",			0,		"/a/",		true },
	{ "/a/b/../c",			0,		"/a/c",		false },
	{ "/a/../..",			PATH_ESCAPES,	"",		false },
	{ "/..",			PATH_ESCAPES,	"",		false },
	{ "/../etc/passwd",		PATH_ESCAPES,	"",		false },
	{ "/a/%2e%2e/%2E%2E/x",		PATH_ESCAPES,	"",		false },
	{ "/a/%2e%2e/b",		0,		"/b",		false },
	{ "/a/.%2e/b",			0,		"/b",		false },
	{ "/%2e/x",			0,		"/x",		false },
	{ "/...",			0,		"/...",		false },
	{ "/..a/.b",			0,		"/..a/.b",	false },
	{ "/a%2fb",			PATH_BAD,	"",		false },
	{ "/a%2F..%2F..%2Fetc",		PATH_BAD,	"",		false },
	{ "/a%5cb",			PATH_BAD,	"",		false },
	{ "/a\\b",			PATH_BAD,	"",		false },
	{ "/a%00b",			PATH_BAD,	"",		false },
	{ "/a%",			PATH_BAD,	"",		false },
	{ "/a%4",			PATH_BAD,	"",		false },
	{ "/a%zz",			PATH_BAD,	"",		false },
	{ "/a%4g",			PATH_BAD,	"",		false },
	{ "",				PATH_BAD,	"",		false },
	{ "a/b",			PATH_BAD,	"",		false },
	{ "*",				PATH_BAD,	"",		false },
	{ "%2fa",			PATH_BAD,	"",		false },
	{ "/caf%C3%A9/%e2%82%ac",	0,	"/caf\xc3\xa9/\xe2\x82\xac",
	  false },
	{ "/a%20b/%41",			0,		"/a b/A",	false },
	{ "/a/b/%2e",			0,		"/a/b/",	true },
	{ "/a/b/../../",		0,		"/",		true },
};

static void
test_normalize(void)
{
	char	out[256];
	bool	slash;
	size_t	i;
	int	rc;

	for (i = 0; i < NELEM(norm_cases); i++) {
		rc = path_normalize(norm_cases[i].raw,
		    strlen(norm_cases[i].raw), out, &slash);
		if (rc != norm_cases[i].rc || (rc == 0 &&
		    (strcmp(out, norm_cases[i].out) != 0 ||
		    slash != norm_cases[i].slash)))
			fprintf(stderr, "normalize case %zu: %d \"%s\"\n", i,
			    rc, out);
		CU_ASSERT_EQUAL(rc, norm_cases[i].rc);
		if (rc == 0) {
			CU_ASSERT_STRING_EQUAL(out, norm_cases[i].out);
			CU_ASSERT_EQUAL(slash, norm_cases[i].slash);
		}
	}
}

/* A NUL byte inside the raw bytes, and an exact-size output buffer. */
static void
test_normalize_bytes(void)
{
	char	*out;
	bool	 slash;

	out = malloc(5);
	CU_ASSERT_EQUAL(path_normalize("/a\0b", 4, out, &slash), PATH_BAD);
	CU_ASSERT_EQUAL(path_normalize("/a/.", 4, out, &slash), 0);
	CU_ASSERT_STRING_EQUAL(out, "/a/");
	CU_ASSERT_EQUAL(path_normalize("/ab/", 4, out, &slash), 0);
	CU_ASSERT_STRING_EQUAL(out, "/ab/");
	free(out);
}

/* path_open_beneath, on a tree made for the test */

static char	tmpbase[PATH_MAX];	/* holds root/ and outside.txt */
static int	rootfd = -1;

static void
mkfile(const char *rel, const char *body)
{
	char	path[PATH_MAX * 2];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", tmpbase, rel);
	CU_ASSERT_FATAL((f = fopen(path, "w")) != NULL);
	fputs(body, f);
	fclose(f);
}

static void
mklink(const char *target, const char *rel)
{
	char	path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", tmpbase, rel);
	CU_ASSERT_FATAL(symlink(target, path) == 0);
}

static void
mkdir_rel(const char *rel)
{
	char	path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", tmpbase, rel);
	CU_ASSERT_FATAL(mkdir(path, 0755) == 0);
}

static void
make_tree(void)
{
	char	path[PATH_MAX * 2], name[32], target[32];
	int	i;

	snprintf(tmpbase, sizeof(tmpbase), "%s/pt_static.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	CU_ASSERT_FATAL(mkdtemp(tmpbase) != NULL);
	mkfile("outside.txt", "outside\n");
	mkdir_rel("root");
	mkdir_rel("root/sub");
	mkdir_rel("root/sub/deeper");
	mkfile("root/index.html", "<p>index</p>\n");
	mkfile("root/sub/a.txt", "a\n");
	mkfile("root/sub/deeper/b.txt", "b\n");
	mklink("../index.html", "root/sub/up");
	mklink("..", "root/sub/dotdot");
	mklink("../../outside.txt", "root/sub/escape");
	mklink("sub/a.txt", "root/in");
	mklink("sub", "root/dirlink");
	mklink("sub/", "root/dirlink_slash");
	mklink("../outside.txt", "root/out");
	mklink("..", "root/outdir");
	mklink("loop2", "root/loop1");
	mklink("loop1", "root/loop2");
	snprintf(path, sizeof(path), "%s/outside.txt", tmpbase);
	mklink(path, "root/abs");
	/* chain0 -> chain1 -> ... -> chain40 -> index.html: 41 links. */
	for (i = 0; i <= 40; i++) {
		snprintf(name, sizeof(name), "root/chain%d", i);
		if (i == 40)
			snprintf(target, sizeof(target), "index.html");
		else
			snprintf(target, sizeof(target), "chain%d", i + 1);
		mklink(target, name);
	}
	snprintf(path, sizeof(path), "%s/root/fifo", tmpbase);
	CU_ASSERT_FATAL(mkfifo(path, 0644) == 0);
	snprintf(path, sizeof(path), "%s/root", tmpbase);
	rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CU_ASSERT_FATAL(rootfd != -1);
}

static int
remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

static void
remove_tree(void)
{
	if (rootfd != -1)
		close(rootfd);
	rootfd = -1;
	/* Depth first, symlinks removed and never followed. */
	CU_ASSERT_EQUAL(nftw(tmpbase, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* want: 0 to expect success with the file at tmpbase/expect, or an errno. */
static const struct {
	const char	*rel;
	bool		 allow;
	int		 want;
	const char	*expect;
} open_cases[] = {
	{ "/",				false,	0,	"root" },
	{ "/index.html",		false,	0,	"root/index.html" },
	{ "index.html",			false,	0,	"root/index.html" },
	{ "/sub",			false,	0,	"root/sub" },
	{ "/sub/",			false,	0,	"root/sub" },
	{ "/sub/a.txt",			false,	0,	"root/sub/a.txt" },
	{ "/sub/deeper/b.txt",		false,	0, "root/sub/deeper/b.txt" },
	{ "/sub/up",			false,	0,	"root/index.html" },
	{ "/sub/dotdot",		false,	0,	"root" },
	{ "/sub/dotdot/",		false,	0,	"root" },
	{ "/sub/dotdot/index.html",	false,	0,	"root/index.html" },
	{ "/sub/dotdot/sub/dotdot/in",	false,	0,	"root/sub/a.txt" },
	{ "/in",			false,	0,	"root/sub/a.txt" },
	{ "/dirlink",			false,	0,	"root/sub" },
	{ "/dirlink/a.txt",		false,	0,	"root/sub/a.txt" },
	{ "/dirlink_slash",		false,	0,	"root/sub" },
	{ "/dirlink_slash/deeper/b.txt", false,	0, "root/sub/deeper/b.txt" },
	{ "/chain31",			false,	0,	"root/index.html" },
	{ "/out",			false,	EXDEV,	NULL },
	{ "/outdir",			false,	EXDEV,	NULL },
	{ "/outdir/outside.txt",	false,	EXDEV,	NULL },
	{ "/abs",			false,	EXDEV,	NULL },
	{ "/sub/escape",		false,	EXDEV,	NULL },
	{ "/../outside.txt",		false,	EXDEV,	NULL },
	{ "/sub/../../outside.txt",	false,	EXDEV,	NULL },
	{ "/loop1",			false,	ELOOP,	NULL },
	{ "/chain0",			false,	ELOOP,	NULL },
	{ "/missing",			false,	ENOENT,	NULL },
	{ "/sub/missing/x",		false,	ENOENT,	NULL },
	{ "/index.html/x",		false,	ENOTDIR, NULL },
	{ "/index.html/",		false,	ENOTDIR, NULL },
	{ "/in/",			false,	ENOTDIR, NULL },
	{ "/fifo",			false,	EACCES,	NULL },
	{ "/out",			true,	0,	"outside.txt" },
	{ "/abs",			true,	0,	"outside.txt" },
	{ "/outdir/outside.txt",	true,	0,	"outside.txt" },
	{ "/in",			true,	0,	"root/sub/a.txt" },
	{ "/loop1",			true,	ELOOP,	NULL },
	{ "/fifo",			true,	EACCES,	NULL },
};

static void
run_open_cases(const char *mode)
{
	struct stat	st, want;
	char		path[PATH_MAX * 2];
	size_t		i;
	int		fd, err;

	for (i = 0; i < NELEM(open_cases); i++) {
		errno = 0;
		fd = path_open_beneath(rootfd, open_cases[i].rel,
		    open_cases[i].allow, &st);
		err = fd == -1 ? errno : 0;
		if (err != open_cases[i].want)
			fprintf(stderr, "open case %zu (%s, %s): %s\n", i,
			    mode, open_cases[i].rel, strerror(err));
		CU_ASSERT_EQUAL(err, open_cases[i].want);
		if (fd == -1)
			continue;
		CU_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		if (open_cases[i].expect != NULL) {
			snprintf(path, sizeof(path), "%s/%s", tmpbase,
			    open_cases[i].expect);
			CU_ASSERT_FATAL(stat(path, &want) == 0);
			if (st.st_ino != want.st_ino)
				fprintf(stderr, "open case %zu (%s): wrong "
				    "file\n", i, mode);
			CU_ASSERT(st.st_ino == want.st_ino &&
			    st.st_dev == want.st_dev);
		}
		close(fd);
	}
}

static void
test_open_openat2(void)
{
	long	rc;

#ifdef SYS_openat2
	rc = syscall(SYS_openat2, -1, "", NULL, (size_t)0);
#else
	rc = -1;
	errno = ENOSYS;
#endif
	if (rc == -1 && (errno == ENOSYS || errno == EPERM))
		fprintf(stderr, "note: no openat2 here, the walk is tested "
		    "twice\n");
	make_tree();
	path_force_fallback(false);
	run_open_cases("openat2");
	remove_tree();
}

static void
test_open_fallback(void)
{
	make_tree();
	path_force_fallback(true);
	run_open_cases("fallback");
	path_force_fallback(false);
	remove_tree();
}

/* static_etag */

static void
test_etag(void)
{
	struct stat	st;
	char		buf[STATIC_ETAG_MAX], small[8];

	memset(&st, 0, sizeof(st));
	st.st_ino = 0x1234;
	st.st_size = 0x10;
	st.st_mtim.tv_sec = 1;
	st.st_mtim.tv_nsec = 5;
	static_etag(&st, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "\"1234-10-3b9aca05\"");
	static_etag(&st, small, sizeof(small));
	CU_ASSERT_STRING_EQUAL(small, "");
	/* The largest values still fit. */
	st.st_ino = (ino_t)-1;
	st.st_size = (off_t)(((uintmax_t)1 << 63) - 1);
	st.st_mtim.tv_sec = -1;
	st.st_mtim.tv_nsec = 999999999;
	static_etag(&st, buf, sizeof(buf));
	CU_ASSERT(buf[0] == '"' && buf[strlen(buf) - 1] == '"');
}

/* static_conditional */

#define ETAG	"\"abc\""
#define MTIME	((time_t)784111777)
#define D_EQ	"Sun, 06 Nov 1994 08:49:37 GMT"
#define D_OLD	"Sun, 06 Nov 1994 08:49:36 GMT"
#define D_NEW	"Sun, 06 Nov 1994 08:49:38 GMT"

static const struct {
	const char	*im, *inm, *ims, *ius;
	int		 want;
} cond_cases[] = {
	{ NULL, NULL, NULL, NULL,			0 },
	{ ETAG, NULL, NULL, NULL,			0 },
	{ "\"xyz\"", NULL, NULL, NULL,			412 },
	{ "W/\"abc\"", NULL, NULL, NULL,		412 },
	{ "*", NULL, NULL, NULL,			0 },
	{ " * ", NULL, NULL, NULL,			0 },
	{ "\"x\", \"abc\"", NULL, NULL, NULL,		0 },
	{ ", ,\t\"abc\" ,", NULL, NULL, NULL,		0 },
	{ "abc", NULL, NULL, NULL,			412 },
	{ "\"abc", NULL, NULL, NULL,			412 },
	{ "\"x\" \"abc\"", NULL, NULL, NULL,		412 },
	{ NULL, NULL, NULL, D_EQ,			0 },
	{ NULL, NULL, NULL, D_OLD,			412 },
	{ NULL, NULL, NULL, D_NEW,			0 },
	{ NULL, NULL, NULL, "yesterday",		0 },
	{ ETAG, NULL, NULL, D_OLD,			0 },
	{ NULL, ETAG, NULL, NULL,			304 },
	{ NULL, "W/\"abc\"", NULL, NULL,		304 },
	{ NULL, "\"x\"", NULL, NULL,			0 },
	{ NULL, "*", NULL, NULL,			304 },
	{ NULL, "\"x\" , W/\"abc\"", NULL, NULL,	304 },
	{ NULL, "\"x\"junk, \"abc\"", NULL, NULL,	0 },
	{ NULL, "\"ab\"", NULL, NULL,			0 },
	{ NULL, "\"abc\"\"", NULL, NULL,		0 },
	{ NULL, "\"abc\", junk", NULL, NULL,		0 },
	{ "\"abc\", junk", NULL, NULL, NULL,		412 },
	{ NULL, NULL, D_EQ, NULL,			304 },
	{ NULL, NULL, D_NEW, NULL,			304 },
	{ NULL, NULL, D_OLD, NULL,			0 },
	{ NULL, NULL, "Sunday, 06-Nov-94 08:49:37 GMT", NULL, 304 },
	{ NULL, NULL, "Sun Nov  6 08:49:37 1994", NULL,	304 },
	{ NULL, NULL, "bogus", NULL,			0 },
	{ NULL, "\"x\"", D_EQ, NULL,			0 },
	{ NULL, ETAG, D_OLD, NULL,			304 },
	{ "\"x\"", ETAG, NULL, NULL,			412 },
	{ NULL, ETAG, NULL, D_OLD,			412 },
	{ ETAG, ETAG, NULL, NULL,			304 },
	{ "*", "*", D_OLD, D_NEW,			304 },
};

static void
test_conditional(void)
{
	size_t	i;
	int	rc;

	for (i = 0; i < NELEM(cond_cases); i++) {
		rc = static_conditional(cond_cases[i].im, cond_cases[i].inm,
		    cond_cases[i].ims, cond_cases[i].ius, ETAG, MTIME);
		if (rc != cond_cases[i].want)
			fprintf(stderr, "conditional case %zu: %d\n", i, rc);
		CU_ASSERT_EQUAL(rc, cond_cases[i].want);
	}
}

/* static_range */

static const struct {
	const char	*range, *if_range;
	off_t		 size;
	int		 want;
	off_t		 off, len;
} range_cases[] = {
	{ NULL, NULL,				1000,	0,	0, 0 },
	{ "bytes=0-499", NULL,			1000,	206,	0, 500 },
	{ "bytes=500-999", NULL,		1000,	206,	500, 500 },
	{ "bytes=500-", NULL,			1000,	206,	500, 500 },
	{ "bytes=-200", NULL,			1000,	206,	800, 200 },
	{ "bytes=-2000", NULL,			1000,	206,	0, 1000 },
	{ "bytes=0-0", NULL,			1000,	206,	0, 1 },
	{ "bytes=999-", NULL,			1000,	206,	999, 1 },
	{ "bytes=900-5000", NULL,		1000,	206,	900, 100 },
	{ "bytes=0-", NULL,			1000,	206,	0, 1000 },
	{ "bytes=1000-", NULL,			1000,	416,	0, 0 },
	{ "bytes=1000-2000", NULL,		1000,	416,	0, 0 },
	{ "bytes=-0", NULL,			1000,	416,	0, 0 },
	{ "bytes=0-", NULL,			0,	416,	0, 0 },
	{ "bytes=-5", NULL,			0,	0,	0, 0 },
	{ "bytes=99999999999999999999999-", NULL, 1000,	416,	0, 0 },
	{ "bytes=0-99999999999999999999999", NULL, 1000, 206,	0, 1000 },
	{ "bytes=-99999999999999999999999", NULL, 1000,	206,	0, 1000 },
	{ "bytes=5-4", NULL,			1000,	0,	0, 0 },
	{ "bytes=0-1,5-6", NULL,		1000,	0,	0, 0 },
	{ "bytes=0-1, 5-6", NULL,		1000,	0,	0, 0 },
	{ "bytes=0-1,2000-3000", NULL,		1000,	0,	0, 0 },
	{ "bytes=0-1 ,", NULL,			1000,	206,	0, 2 },
	{ "bytes=, 0-1", NULL,			1000,	206,	0, 2 },
	{ " bytes=1-2 ", NULL,			1000,	206,	1, 2 },
	{ "BYTES=1-2", NULL,			1000,	206,	1, 2 },
	{ "bytes = 1-2", NULL,			1000,	0,	0, 0 },
	{ "bytes=1 - 2", NULL,			1000,	0,	0, 0 },
	{ "items=0-1", NULL,			1000,	0,	0, 0 },
	{ "bytes=", NULL,			1000,	0,	0, 0 },
	{ "bytes=-", NULL,			1000,	0,	0, 0 },
	{ "bytes=a-b", NULL,			1000,	0,	0, 0 },
	{ "bytes=--1", NULL,			1000,	0,	0, 0 },
	{ "bytes=1-2x", NULL,			1000,	0,	0, 0 },
	{ "bytes=+1-2", NULL,			1000,	0,	0, 0 },
	{ "bytes=0-1", ETAG,			1000,	206,	0, 2 },
	{ "bytes=0-1", " " ETAG " ",		1000,	206,	0, 2 },
	{ "bytes=0-1", "\"x\"",			1000,	0,	0, 0 },
	{ "bytes=0-1", "W/\"abc\"",		1000,	0,	0, 0 },
	{ "bytes=0-1", "\"abc\"x",		1000,	0,	0, 0 },
	{ "bytes=0-1", D_EQ,			1000,	206,	0, 2 },
	{ "bytes=0-1", D_NEW,			1000,	0,	0, 0 },
	{ "bytes=0-1", D_OLD,			1000,	0,	0, 0 },
	{ "bytes=0-1", "bogus",			1000,	0,	0, 0 },
	{ "bytes=5000-", ETAG,			1000,	416,	0, 0 },
	{ "bytes=5000-", "\"x\"",		1000,	0,	0, 0 },
};

static void
test_range(void)
{
	off_t	off, len;
	size_t	i;
	int	rc;

	for (i = 0; i < NELEM(range_cases); i++) {
		off = len = -7;
		rc = static_range(range_cases[i].range, range_cases[i].if_range,
		    ETAG, MTIME, range_cases[i].size, &off, &len);
		if (rc != range_cases[i].want || (rc == 206 &&
		    (off != range_cases[i].off || len != range_cases[i].len)))
			fprintf(stderr, "range case %zu: got %d %jd+%jd\n", i,
			    rc, (intmax_t)off, (intmax_t)len);
		CU_ASSERT_EQUAL(rc, range_cases[i].want);
		if (rc == 206) {
			CU_ASSERT_EQUAL(off, range_cases[i].off);
			CU_ASSERT_EQUAL(len, range_cases[i].len);
		}
	}
}

/* http_date_format and http_date_parse */

/* back: the text parses back to t (not for the out-of-range one). */
static const struct {
	time_t		 t;
	const char	*s;
	bool		 back;
} fmt_cases[] = {
	{ 784111777,		"Sun, 06 Nov 1994 08:49:37 GMT",	true },
	{ 0,			"Thu, 01 Jan 1970 00:00:00 GMT",	true },
	{ 951782400,		"Tue, 29 Feb 2000 00:00:00 GMT",	true },
	{ 2147483647,		"Tue, 19 Jan 2038 03:14:07 GMT",	true },
	{ 4107542400,		"Mon, 01 Mar 2100 00:00:00 GMT",	true },
	{ 253402300799,		"Fri, 31 Dec 9999 23:59:59 GMT",	true },
	{ 253402300800,		"Thu, 01 Jan 1970 00:00:00 GMT",	false },
	{ -86400,		"Wed, 31 Dec 1969 00:00:00 GMT",	true },
};

static const struct {
	const char	*s;
	time_t		 t;
} parse_cases[] = {
	{ "Sun, 06 Nov 1994 08:49:37 GMT",	784111777 },
	{ "Sunday, 06-Nov-94 08:49:37 GMT",	784111777 },
	{ "Sun Nov  6 08:49:37 1994",		784111777 },
	{ "Sun Nov 16 08:49:37 1994",		784975777 },
	{ " Sun, 06 Nov 1994 08:49:37 GMT ",	784111777 },
	{ "Tue, 29 Feb 2000 00:00:00 GMT",	951782400 },
	{ "Fri, 31 Dec 9999 23:59:59 GMT",	253402300799 },
	{ "Sun, 06 Nov 1994 23:59:60 GMT",	784166400 },
	{ "",					-1 },
	{ "Sun, 06 Nov 1994 08:49:37 UTC",	-1 },
	{ "Sun, 6 Nov 1994 08:49:37 GMT",	-1 },
	{ "sun, 06 Nov 1994 08:49:37 GMT",	-1 },
	{ "Sun, 06 nov 1994 08:49:37 GMT",	-1 },
	{ "Sun, 06 Nov 1994 08:49:37 gmt",	-1 },
	{ "Xyz, 06 Nov 1994 08:49:37 GMT",	-1 },
	{ "Sun, 31 Nov 1994 08:49:37 GMT",	-1 },
	{ "Sun, 00 Nov 1994 08:49:37 GMT",	-1 },
	{ "Thu, 29 Feb 1900 00:00:00 GMT",	-1 },
	{ "Sat, 29 Feb 2003 00:00:00 GMT",	-1 },
	{ "Sun, 06 Nov 1994 24:00:00 GMT",	-1 },
	{ "Sun, 06 Nov 1994 08:60:00 GMT",	-1 },
	{ "Sun, 06 Nov 1994 08:49:61 GMT",	-1 },
	{ "Sun, 06 Nov 1994 8:49:37 GMT",	-1 },
	{ "Sun, 06 Nov 1994 08:49:37 GMT x",	-1 },
	{ "Sun, 06 Nov 1994 08:49:37",		-1 },
	{ "Sun, 06 Nov 94 08:49:37 GMT",	-1 },
	{ "Sunday, 06-Nov-1994 08:49:37 GMT",	-1 },
	{ "Sun, 06-Nov-94 08:49:37 GMT",	-1 },
	{ "Sun Nov 6 08:49:37 1994",		-1 },
	{ "Sun Nov 06 08:49:37 1994",		784111777 },
	{ "Sun Nov  6 08:49:37 1994 GMT",	-1 },
	{ "784111777",				-1 },
};

static void
test_dates(void)
{
	char	buf[30];
	time_t	t;
	size_t	i;

	for (i = 0; i < NELEM(fmt_cases); i++) {
		memset(buf, 'x', sizeof(buf));
		http_date_format(fmt_cases[i].t, buf);
		if (strcmp(buf, fmt_cases[i].s) != 0)
			fprintf(stderr, "format case %zu: \"%s\"\n", i, buf);
		CU_ASSERT_STRING_EQUAL(buf, fmt_cases[i].s);
		if (fmt_cases[i].back)
			CU_ASSERT_EQUAL(http_date_parse(buf), fmt_cases[i].t);
	}
	for (i = 0; i < NELEM(parse_cases); i++) {
		t = http_date_parse(parse_cases[i].s);
		if (t != parse_cases[i].t)
			fprintf(stderr, "parse case %zu: got %jd\n", i,
			    (intmax_t)t);
		CU_ASSERT_EQUAL(t, parse_cases[i].t);
	}
	CU_ASSERT_EQUAL(http_date_parse(NULL), -1);
}

/* RFC 850 two-digit years: never more than 50 years ahead of now. */
static void
test_dates_rfc850_year(void)
{
	time_t	now, t;

	now = time(NULL);
	t = http_date_parse("Thursday, 01-Jan-70 00:00:00 GMT");
	CU_ASSERT(t != -1);
	CU_ASSERT(t <= now + (time_t)51 * 366 * 86400);
	CU_ASSERT(t > now - (time_t)100 * 366 * 86400);
	t = http_date_parse("Friday, 31-Dec-99 23:59:59 GMT");
	CU_ASSERT(t != -1 && t <= now + (time_t)51 * 366 * 86400);
}

/* mime_load and mime_lookup */

static const struct {
	const char	*name, *type;
} mime_cases[] = {
	{ "index.html",		"text/html" },
	{ "INDEX.HTML",		"text/html" },
	{ "/a/b.c/page.Htm",	"text/html" },
	{ "style.css",		"text/css" },
	{ "app.js",		"text/javascript" },
	{ "data.json",		"application/json" },
	{ "x.tar.gz",		"application/gzip" },
	{ "logo.PNG",		"image/png" },
	{ "photo.jpeg",		"image/jpeg" },
	{ "f.woff2",		"font/woff2" },
	{ "m.wasm",		"application/wasm" },
	{ "v.mp4",		"video/mp4" },
	{ "r.docx",	"application/vnd.openxmlformats-officedocument."
			"wordprocessingml.document" },
	{ "/dir.v1/file",	"application/octet-stream" },
	{ ".htaccess",		"application/octet-stream" },
	{ "noext",		"application/octet-stream" },
	{ "trailing.",		"application/octet-stream" },
	{ "a.unknownext",	"application/octet-stream" },
	{ "a.averyveryveryveryveryveryverylongextension",
				"application/octet-stream" },
};

static void
test_mime_file(void)
{
	struct mime_table	*t;
	const char		*err = NULL, *type;
	size_t			 i;
	int			 line = -1;

	t = mime_load(arena, PT_SRCDIR "/conf/mime.types", &line, &err);
	if (t == NULL)
		fprintf(stderr, "mime.types:%d: %s\n", line, err);
	CU_ASSERT_FATAL(t != NULL);
	for (i = 0; i < NELEM(mime_cases); i++) {
		type = mime_lookup(t, mime_cases[i].name);
		if (strcmp(type, mime_cases[i].type) != 0)
			fprintf(stderr, "mime case %zu: %s\n", i, type);
		CU_ASSERT_STRING_EQUAL(type, mime_cases[i].type);
	}
}

static void
test_mime_builtin(void)
{
	size_t	i;

	/* The built-in table agrees with the sample file on these. */
	for (i = 0; i < NELEM(mime_cases); i++) {
		if (strstr(mime_cases[i].name, ".docx") != NULL)
			continue;
		if (strcmp(mime_lookup(NULL, mime_cases[i].name),
		    mime_cases[i].type) != 0)
			fprintf(stderr, "builtin mime case %zu\n", i);
		CU_ASSERT_STRING_EQUAL(mime_lookup(NULL, mime_cases[i].name),
		    mime_cases[i].type);
	}
	CU_ASSERT_STRING_EQUAL(mime_lookup(NULL, "a.svg"), "image/svg+xml");
	CU_ASSERT_STRING_EQUAL(mime_lookup(NULL, "a.txt"), "text/plain");
}

/* Text files to load; want_line 0 means the load succeeds. */
static const struct {
	const char	*text;
	int		 want_line;
	const char	*name, *type;	/* a lookup when it loads */
} mime_text_cases[] = {
	{ "# only a comment\n",			0, "a.txt", NULL },
	{ "text/plain txt\ntext/x-foo txt\n",	0, "a.txt", "text/x-foo" },
	{ "# c\r\ntext/plain TXT\t# c\r\n\r\n",	0, "a.txt", "text/plain" },
	{ "text/plain txt",			0, "a.txt", "text/plain" },
	{ "application/x-none\ntext/plain t\n",	0, "a.t", "text/plain" },
	{ "types {\n  text/html html htm;\n  image/png\n    png;\n}\n",
						0, "a.png", "image/png" },
	{ "types{text/css css;}",		0, "a.css", "text/css" },
	{ "text/html html\nbad html\n",			2, NULL, NULL },
	{ "text/ html\n",				1, NULL, NULL },
	{ "/html html\n",				1, NULL, NULL },
	{ "text/html/x html\n",				1, NULL, NULL },
	{ "text/html ht.ml\n",				1, NULL, NULL },
	{ "text/html html;\n",				1, NULL, NULL },
	{ "text/html html {\n",				1, NULL, NULL },
	{ "types {\n text/html html\n",			3, NULL, NULL },
	{ "types {\n text/html html;\n",		3, NULL, NULL },
	{ "types {\n text/html html;\n}\nx/y z\n",	4, NULL, NULL },
	{ "types {\n text/html html; }\n}\n",		3, NULL, NULL },
};

static void
write_text(const char *path, const char *text, size_t len)
{
	FILE	*f;

	CU_ASSERT_FATAL((f = fopen(path, "w")) != NULL);
	CU_ASSERT(fwrite(text, 1, len, f) == len);
	fclose(f);
}

static void
test_mime_texts(void)
{
	struct mime_table	*t;
	const char		*err;
	char			 path[] = "/tmp/pt_mime.XXXXXX";
	size_t			 i;
	int			 fd, line;

	CU_ASSERT_FATAL((fd = mkstemp(path)) != -1);
	close(fd);
	for (i = 0; i < NELEM(mime_text_cases); i++) {
		write_text(path, mime_text_cases[i].text,
		    strlen(mime_text_cases[i].text));
		err = NULL;
		line = -1;
		t = mime_load(arena, path, &line, &err);
		if ((t == NULL) != (mime_text_cases[i].want_line != 0) ||
		    (t == NULL && line != mime_text_cases[i].want_line))
			fprintf(stderr, "mime text case %zu: line %d: %s\n",
			    i, line, t == NULL ? err : "loaded");
		if (mime_text_cases[i].want_line != 0) {
			CU_ASSERT(t == NULL && err != NULL);
			CU_ASSERT_EQUAL(line, mime_text_cases[i].want_line);
		} else if (mime_text_cases[i].type != NULL) {
			CU_ASSERT_FATAL(t != NULL);
			CU_ASSERT_STRING_EQUAL(mime_lookup(t,
			    mime_text_cases[i].name), mime_text_cases[i].type);
		} else
			CU_ASSERT(t != NULL);
	}
	write_text(path, "text/plain txt\0x\n", 17);
	CU_ASSERT(mime_load(arena, path, &line, &err) == NULL);
	unlink(path);
	CU_ASSERT(mime_load(arena, path, &line, &err) == NULL);
	CU_ASSERT_STRING_EQUAL(err, "cannot open");
	CU_ASSERT_EQUAL(errno, ENOENT);
}

/* An arena at its cap: the load fails cleanly, not half-done. */
static void
test_mime_nomem(void)
{
	struct pt_arena	*small;
	const char	*err = NULL;
	int		 line;

	CU_ASSERT_FATAL((small = pt_arena_new(256, 1024)) != NULL);
	CU_ASSERT(mime_load(small, PT_SRCDIR "/conf/mime.types", &line,
	    &err) == NULL);
	CU_ASSERT(err != NULL && strcmp(err, "out of memory") == 0);
	pt_arena_free(small);
}

static const struct pt_unit_test tests[] = {
	{ "path_normalize table", test_normalize },
	{ "path_normalize bytes", test_normalize_bytes },
	{ "path_open_beneath, openat2", test_open_openat2 },
	{ "path_open_beneath, fallback walk", test_open_fallback },
	{ "static_etag", test_etag },
	{ "static_conditional table", test_conditional },
	{ "static_range table", test_range },
	{ "http_date format and parse", test_dates },
	{ "http_date RFC 850 years", test_dates_rfc850_year },
	{ "mime.types from conf/", test_mime_file },
	{ "mime built-in table", test_mime_builtin },
	{ "mime.types texts and errors", test_mime_texts },
	{ "mime.types out of memory", test_mime_nomem },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("static", setup, teardown, tests));
}
