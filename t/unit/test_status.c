/*
 * t/unit/test_status.c: mod_status's pure parts alone: the counters
 * segment (layout, cells, buckets, per-slot areas summed), escaping for
 * HTML, JSON and Prometheus labels, query parameters, and allow lists.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "arena_priv.h"
#include "status.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct pt_arena *arena;

static int
setup(void)
{
	return ((arena = pt_arena_new(4096, 0)) == NULL);
}

static int
teardown(void)
{
	pt_arena_free(arena);
	return (0);
}

/* Two servers: 2 routes and 0 routes; 4 slots. */
static const size_t	 nroutes[] = { 2, 0 };
static const struct st_layout layout = { 4, 2, nroutes, 0x1234 };

static void *
seg_new(void)
{
	void *seg = calloc(1, st_seg_size(&layout));

	CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
	st_seg_init(seg, &layout);
	return (seg);
}

static void
test_layout(void)
{
	static const struct { int server, route; uint32_t cell; } cases[] = {
		{ 0, 0, 0 }, { 0, 1, 1 }, { 0, -1, 2 }, { 0, 2, 2 },
		{ 0, 99, 2 }, { 1, -1, 3 }, { 1, 0, 3 }, { -1, -1, 4 },
		{ 2, 0, 4 }, { 7, 3, 4 },
	};
	struct st_layout	 other = layout;
	void			*seg = seg_new();
	size_t			 i;
	uint32_t		 c;

	CU_ASSERT_EQUAL(st_seg_ncells(seg), 5);
	CU_ASSERT_TRUE(st_seg_matches(seg, &layout));
	other.hash = 0x4321;
	CU_ASSERT_FALSE(st_seg_matches(seg, &other));
	other = layout;
	other.nslots = 5;
	CU_ASSERT_FALSE(st_seg_matches(seg, &other));
	for (i = 0; i < NELEM(cases); i++) {
		c = st_cell_index(seg, cases[i].server, cases[i].route);
		if (c != cases[i].cell)
			fprintf(stderr, "case %zu: cell %u\n", i, c);
		CU_ASSERT_EQUAL(c, cases[i].cell);
	}
	free(seg);
}

static void
test_count_and_sum(void)
{
	struct st_writer	 w0, w3, spare;
	struct st_cell		 cells[5], total;
	uint64_t		 codes[ST_NCODES];
	void			*seg = seg_new();
	int			 i;

	st_writer_init(seg, 0, &w0);
	st_writer_init(seg, 3, &w3);
	st_writer_init(seg, -1, &spare);	/* -X: no slot */
	st_count(&w0, 0, 1, 200, 100, 1000, 400);	/* 0.5 ms bucket */
	st_count(&w0, 0, 1, 404, 50, 10, 1500);	/* 2.5 ms bucket */
	st_count(&w3, 0, 1, 200, 1, 2, 20000000);	/* +Inf */
	st_count(&w3, 1, -1, 503, 0, 0, 0);
	st_count(&spare, -1, -1, 0, 0, 0, 500);		/* <= 0.5 ms */
	st_seg_sum(seg, cells, codes);
	CU_ASSERT_EQUAL(codes[200], 2);
	CU_ASSERT_EQUAL(codes[404], 1);
	CU_ASSERT_EQUAL(codes[503], 1);
	CU_ASSERT_EQUAL(codes[0], 1);
	CU_ASSERT_EQUAL(cells[1].cls[ST_CLS_2XX], 2);
	CU_ASSERT_EQUAL(cells[1].cls[ST_CLS_4XX], 1);
	CU_ASSERT_EQUAL(cells[1].bytes_in, 151);
	CU_ASSERT_EQUAL(cells[1].bytes_out, 1012);
	CU_ASSERT_EQUAL(cells[1].dur_us, 20001900);
	CU_ASSERT_EQUAL(cells[1].bucket[0], 1);
	CU_ASSERT_EQUAL(cells[1].bucket[2], 1);
	CU_ASSERT_EQUAL(cells[1].bucket[ST_NBOUNDS], 1);
	CU_ASSERT_EQUAL(cells[3].cls[ST_CLS_5XX], 1);
	CU_ASSERT_EQUAL(cells[4].cls[ST_CLS_NONE], 1);
	CU_ASSERT_EQUAL(cells[4].bucket[0], 1);
	memset(&total, 0, sizeof(total));
	for (i = 0; i < 5; i++)
		st_cell_add(&total, &cells[i]);
	CU_ASSERT_EQUAL(st_cell_requests(&total), 5);
	CU_ASSERT_EQUAL(cells[0].cls[ST_CLS_2XX] + cells[2].cls[ST_CLS_2XX], 0);
	/* A later worker in the same slot adds to what is there. */
	st_writer_init(seg, 0, &w0);
	st_count(&w0, 0, 1, 200, 0, 0, 1);
	st_seg_sum(seg, cells, codes);
	CU_ASSERT_EQUAL(codes[200], 3);
	free(seg);
}

static void
test_escape(void)
{
	static const struct {
		const char *in, *html, *json, *label;
	} cases[] = {
		{ "plain", "plain", "\"plain\"", "plain" },
		{ "<a href='x'>&</a>",
		  "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;",
		  "\"<a href='x'>&</a>\"", "<a href='x'>&</a>" },
		{ "q\"b\\n", "q&quot;b\\n", "\"q\\\"b\\\\n\"", "q\\\"b\\\\n" },
		{ "l1\nl2\t", "l1\nl2\t", "\"l1\\u000al2\\u0009\"",
		  "l1\\nl2\t" },
		{ "", "", "\"\"", "" },
	};
	struct st_buf	b;
	size_t		i;

	for (i = 0; i < NELEM(cases); i++) {
		st_buf_init(&b, arena);
		st_html(&b, cases[i].in);
		if (b.p == NULL || strcmp(b.p, cases[i].html) != 0)
			fprintf(stderr, "case %zu: html %s\n", i, b.p);
		CU_ASSERT_TRUE(b.len == strlen(cases[i].html));
		st_buf_init(&b, arena);
		st_json(&b, cases[i].in);
		if (strcmp(b.p, cases[i].json) != 0)
			fprintf(stderr, "case %zu: json %s\n", i, b.p);
		CU_ASSERT_STRING_EQUAL(b.p, cases[i].json);
		st_buf_init(&b, arena);
		st_label(&b, cases[i].in);
		if (strcmp(b.p != NULL ? b.p : "", cases[i].label) != 0)
			fprintf(stderr, "case %zu: label %s\n", i, b.p);
		CU_ASSERT_STRING_EQUAL(b.p != NULL ? b.p : "", cases[i].label);
	}
}

static void
test_buffers(void)
{
	struct st_buf	b;
	char		mem[8];
	int		i;

	st_buf_init(&b, arena);
	for (i = 0; i < 5000; i++)
		st_printf(&b, "%04d,", i);
	CU_ASSERT_FALSE(b.oom);
	CU_ASSERT_EQUAL(b.len, 25000);
	CU_ASSERT_EQUAL(memcmp(b.p + 24995, "4999,", 5), 0);
	st_buf_fixed(&b, mem, sizeof(mem));
	st_puts(&b, "1234567");
	CU_ASSERT_FALSE(b.oom);
	st_puts(&b, "8");
	CU_ASSERT_TRUE(b.oom);
	CU_ASSERT_STRING_EQUAL(mem, "1234567");
}

static void
test_query(void)
{
	static const struct { const char *q, *name; int rc; const char *v; }
	    cases[] = {
		{ "upstream=app&server=127.0.0.1:9001&action=drain", "server",
		  1, "127.0.0.1:9001" },
		{ "upstream=app&server=127.0.0.1%3A9001", "server", 1,
		  "127.0.0.1:9001" },
		{ "json", "json", 1, "" },
		{ "json&x=1", "json", 1, "" },
		{ "jsonx=1", "json", 0, NULL },
		{ "a=1&b=2", "json", 0, NULL },
		{ "", "json", 0, NULL },
		{ "a=x+y", "a", 1, "x y" },
		{ "a=%zz", "a", -1, NULL },
		{ "a=%4", "a", -1, NULL },
		{ "a=%00", "a", -1, NULL },
		{ "a=0123456789abcdef", "a", -1, NULL },	/* too long */
		{ "&&a=1", "a", 1, "1" },
	};
	char	out[16];
	size_t	i;
	int	rc;

	for (i = 0; i < NELEM(cases); i++) {
		rc = st_query_get(cases[i].q, strlen(cases[i].q), cases[i].name,
		    out, sizeof(out));
		if (rc != cases[i].rc)
			fprintf(stderr, "case %zu: rc %d\n", i, rc);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc == 1 && cases[i].v != NULL)
			CU_ASSERT_STRING_EQUAL(out, cases[i].v);
	}
}

static void
test_allow(void)
{
	static const char *const list[] = { "127.0.0.0/8", "::1",
	    "10.1.2.3", "2001:db8::/32", "192.168.0.0/17" };
	static const struct { const char *addr; bool ok; } cases[] = {
		{ "127.0.0.1", true }, { "127.255.1.2", true },
		{ "128.0.0.1", false }, { "::1", true }, { "::2", false },
		{ "10.1.2.3", true }, { "10.1.2.4", false },
		{ "2001:db8:1::5", true }, { "2001:db9::1", false },
		{ "::ffff:127.0.0.1", true }, { "::ffff:10.1.2.4", false },
		{ "192.168.127.1", true }, { "192.168.128.1", false },
		{ "unix", false }, { "", false },
	};
	static const struct { const char *range; bool ok; } ranges[] = {
		{ "10.0.0.0/8", true }, { "::1", true }, { "::/0", true },
		{ "10.0.0.0/33", false }, { "10.0.0.0/", false },
		{ "10.0.0.0/x", false }, { "example.com", false },
		{ "", false }, { "/8", false }, { "1.2.3.4/-1", false },
	};
	size_t	i;
	bool	ok;

	for (i = 0; i < NELEM(cases); i++) {
		ok = st_addr_allowed(cases[i].addr, list, NELEM(list));
		if (ok != cases[i].ok)
			fprintf(stderr, "case %zu: %s\n", i, cases[i].addr);
		CU_ASSERT_EQUAL(ok, cases[i].ok);
	}
	CU_ASSERT_FALSE(st_addr_allowed("127.0.0.1", list, 0));
	for (i = 0; i < NELEM(ranges); i++) {
		ok = st_range_valid(ranges[i].range);
		if (ok != ranges[i].ok)
			fprintf(stderr, "range %zu: %s\n", i, ranges[i].range);
		CU_ASSERT_EQUAL(ok, ranges[i].ok);
	}
}

static const struct pt_unit_test tests[] = {
	{ "segment layout and cells", test_layout },
	{ "counting per slot, summed", test_count_and_sum },
	{ "HTML, JSON and label escaping", test_escape },
	{ "growing and fixed buffers", test_buffers },
	{ "query parameters", test_query },
	{ "allow lists", test_allow },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("status", setup, teardown, tests));
}
