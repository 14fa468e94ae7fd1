/* t/unit/test_arena.c: alignment, growth, caps, deferred cleanups, reset. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "unit.h"
#include "arena_priv.h"

static int	 cleanups[4];
static int	 order;

static void
note_cleanup(void *arg)
{
	cleanups[(intptr_t)arg] = ++order;
}

static void
test_alignment_and_growth(void)
{
	struct pt_arena	*a = pt_arena_new(256, 0);
	char		*p;
	size_t		 i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	for (i = 1; i < 3000; i += 37) {
		p = pt_alloc(a, i);
		CU_ASSERT_PTR_NOT_NULL(p);
		CU_ASSERT_EQUAL((uintptr_t)p % 16, 0);
		memset(p, 0xab, i);	/* ASan checks the bounds */
	}
	p = pt_alloc(a, 1 << 20);	/* larger than any block so far */
	CU_ASSERT_PTR_NOT_NULL(p);
	pt_arena_free(a);
}

static void
test_cap(void)
{
	struct pt_arena *a = pt_arena_new(256, 1024);

	CU_ASSERT_PTR_NOT_NULL(pt_alloc(a, 512));
	CU_ASSERT_PTR_NOT_NULL(pt_alloc(a, 512));
	CU_ASSERT_PTR_NULL(pt_alloc(a, 1));
	pt_arena_reset(a);
	CU_ASSERT_EQUAL(pt_arena_used(a), 0);
	CU_ASSERT_PTR_NOT_NULL(pt_alloc(a, 1000));
	CU_ASSERT_PTR_NULL(pt_calloc(a, SIZE_MAX / 2, 4));	/* overflow */
	pt_arena_free(a);
}

static void
test_strings(void)
{
	struct pt_arena	*a = pt_arena_new(256, 0);
	char		*s;

	s = pt_strndup(a, "hello world", 5);
	CU_ASSERT_STRING_EQUAL(s, "hello");
	s = pt_printf(a, "%s-%d", "x", 42);
	CU_ASSERT_STRING_EQUAL(s, "x-42");
	s = pt_strdup(a, "");
	CU_ASSERT_STRING_EQUAL(s, "");
	s = pt_calloc(a, 10, 10);
	CU_ASSERT_EQUAL(s[99], 0);
	pt_arena_free(a);
}

static void
test_cleanups_lifo(void)
{
	struct pt_arena *a = pt_arena_new(256, 0);

	memset(cleanups, 0, sizeof(cleanups));
	order = 0;
	pt_arena_defer(a, note_cleanup, (void *)(intptr_t)0);
	pt_arena_defer(a, note_cleanup, (void *)(intptr_t)1);
	pt_arena_reset(a);
	CU_ASSERT_EQUAL(cleanups[1], 1);	/* last registered runs first */
	CU_ASSERT_EQUAL(cleanups[0], 2);
	pt_arena_defer(a, note_cleanup, (void *)(intptr_t)2);
	pt_arena_free(a);
	CU_ASSERT_EQUAL(cleanups[2], 3);
}

static const struct pt_unit_test tests[] = {
	{ "alignment and growth", test_alignment_and_growth },
	{ "cap and reset", test_cap },
	{ "strings", test_strings },
	{ "cleanups run LIFO", test_cleanups_lifo },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("arena", NULL, NULL, tests));
}
