/*
 * t/unit/test_cache_mem.c: mod_cache's memory for small objects alone
 * (cache_mem.c): allocation by size class, LRU eviction that passes pinned
 * chunks by, orphans freed by the last unpin, pins of dead processes
 * cleared, pages taken from another class, and the repair after a lock
 * holder died.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "cache_mem.h"

#define BIG	(CM_PAGE - 200)		/* one chunk per page */

static uint32_t	evicted[64];
static int	nevicted;

static void
on_evict(void *arg, uint32_t owner)
{
	(void)arg;
	if (nevicted < 64)
		evicted[nevicted++] = owner;
}

static struct cm_area *
area(size_t pages)
{
	struct cm_area	*a = calloc(1, cm_bytes(pages * CM_PAGE));

	CU_ASSERT_FATAL(a != NULL);
	cm_init(a, pages * CM_PAGE);
	nevicted = 0;
	return (a);
}

static void
test_basics(void)
{
	struct cm_area	*a = area(4);
	uint32_t	 r1, r2;
	uint64_t	 used, n;
	size_t		 len;

	CU_ASSERT(cm_layout_ok(a, 4 * CM_PAGE));
	CU_ASSERT(!cm_layout_ok(a, 8 * CM_PAGE));
	CU_ASSERT_EQUAL(cm_bytes(CM_PAGE - 1), 0);
	r1 = cm_alloc(a, 1000, 7, on_evict, NULL);
	r2 = cm_alloc(a, 1000, 8, on_evict, NULL);
	CU_ASSERT(r1 != 0 && r2 != 0 && r1 != r2);
	memset(cm_data(a, r1, &len), 'x', 1000);
	CU_ASSERT_EQUAL(len, 1000);
	CU_ASSERT_EQUAL(cm_owner(a, r1), 7);
	cm_stats(a, &used, &n);
	CU_ASSERT_EQUAL(used, 2000);
	CU_ASSERT_EQUAL(n, 2);
	cm_free(a, r1);
	CU_ASSERT_EQUAL(cm_owner(a, r1), 0);
	CU_ASSERT_EQUAL(cm_alloc(a, 1000, 9, on_evict, NULL), r1);
	CU_ASSERT_EQUAL(cm_alloc(a, CM_MAX_RECORD + 1, 1, on_evict, NULL), 0);
	CU_ASSERT_EQUAL(cm_alloc(a, 10, 0, on_evict, NULL), 0);
	CU_ASSERT_EQUAL(nevicted, 0);
	free(a);
}

/* A full class: the least recently used unpinned chunk goes. */
static void
test_lru_skips_pinned(void)
{
	struct cm_area	*a = area(4);
	uint32_t	 r[5], i;
	char		*p;

	for (i = 0; i < 4; i++)
		CU_ASSERT((r[i] = cm_alloc(a, BIG, i + 1, on_evict, NULL)) != 0);
	CU_ASSERT_EQUAL(nevicted, 0);
	p = cm_data(a, r[0], NULL);
	memset(p, 'p', BIG);
	CU_ASSERT_EQUAL(cm_pin(a, r[0], 100), 0);	/* the LRU tail */
	cm_touch(a, r[1]);				/* 2 recently used */
	r[4] = cm_alloc(a, BIG, 5, on_evict, NULL);
	CU_ASSERT(r[4] != 0);
	CU_ASSERT_EQUAL(nevicted, 1);
	CU_ASSERT_EQUAL(evicted[0], 3);	/* not 1 (pinned), not 2 (touched) */
	CU_ASSERT(p[0] == 'p' && p[BIG - 1] == 'p');
	CU_ASSERT_EQUAL(cm_owner(a, r[0]), 1);
	cm_unpin(a, r[0], 100);
	CU_ASSERT(!cm_pinned(a, r[0]));
	CU_ASSERT(cm_alloc(a, BIG, 6, on_evict, NULL) != 0);
	CU_ASSERT_EQUAL(evicted[1], 1);
	free(a);
}

/* Freed while pinned: kept until the last unpin, then reused. */
static void
test_orphan(void)
{
	struct cm_area	*a = area(1);
	uint32_t	 r, r2;

	r = cm_alloc(a, BIG, 1, on_evict, NULL);
	CU_ASSERT_EQUAL(cm_pin(a, r, 100), 0);
	CU_ASSERT_EQUAL(cm_pin(a, r, 101), 0);
	cm_free(a, r);
	CU_ASSERT(cm_pinned(a, r));
	CU_ASSERT_EQUAL(cm_alloc(a, BIG, 2, on_evict, NULL), 0);
	cm_unpin(a, r, 100);
	CU_ASSERT_EQUAL(cm_alloc(a, BIG, 2, on_evict, NULL), 0);
	cm_unpin(a, r, 101);
	r2 = cm_alloc(a, BIG, 2, on_evict, NULL);
	CU_ASSERT_EQUAL(r2, r);
	CU_ASSERT_EQUAL(nevicted, 0);	/* an orphan has no owner to tell */
	free(a);
}

static bool
alive(int32_t pid)
{
	return (pid != 4242);
}

/* A worker killed while sending: its pins go, the chunk can be evicted. */
static void
test_dead_pins(void)
{
	struct cm_area	*a = area(1);
	uint32_t	 r;
	int		 i;

	r = cm_alloc(a, BIG, 1, on_evict, NULL);
	CU_ASSERT_EQUAL(cm_pin(a, r, 4242), 0);
	CU_ASSERT_EQUAL(cm_pin(a, r, 100), 0);
	CU_ASSERT_EQUAL(cm_alloc(a, BIG, 2, on_evict, NULL), 0);
	CU_ASSERT_EQUAL(cm_repair_pins(a, alive), 1);
	CU_ASSERT(cm_pinned(a, r));		/* 100 still sends it */
	cm_unpin(a, r, 100);
	CU_ASSERT_EQUAL(cm_repair_pins(a, alive), 0);
	CU_ASSERT(cm_alloc(a, BIG, 2, on_evict, NULL) != 0);
	CU_ASSERT_EQUAL(evicted[0], 1);
	/* Every slot taken: pinning fails, the caller copies instead. */
	for (i = 0; i < CM_PINS; i++)
		CU_ASSERT_EQUAL(cm_pin(a, r, 4242), 0);
	CU_ASSERT_EQUAL(cm_pin(a, r, 100), -1);
	CU_ASSERT_EQUAL(cm_repair_pins(a, alive), CM_PINS);
	CU_ASSERT(!cm_pinned(a, r));
	free(a);
}

/* A class with no page takes one of another class, never a pinned one. */
static void
test_steal(void)
{
	struct cm_area	*a = area(3);
	uint32_t	 r[3], s, i;

	for (i = 0; i < 3; i++)
		r[i] = cm_alloc(a, BIG, i + 1, on_evict, NULL);
	CU_ASSERT_EQUAL(cm_pin(a, r[0], 100), 0);
	CU_ASSERT_EQUAL(cm_pin(a, r[1], 100), 0);
	s = cm_alloc(a, 300, 10, on_evict, NULL);
	CU_ASSERT(s != 0);
	CU_ASSERT_EQUAL(nevicted, 1);
	CU_ASSERT_EQUAL(evicted[0], 3);
	CU_ASSERT((s - 1) / CM_PAGE == (r[2] - 1) / CM_PAGE);
	/* The small class now has the rest of that page. */
	CU_ASSERT(cm_alloc(a, 300, 11, on_evict, NULL) != 0);
	CU_ASSERT_EQUAL(nevicted, 1);
	/* The big class is full of pins: nothing can be freed. */
	CU_ASSERT_EQUAL(cm_pin(a, s, 100), 0);
	CU_ASSERT_EQUAL(cm_alloc(a, BIG, 12, on_evict, NULL), 0);
	free(a);
}

static bool
owner_ok(void *arg, uint32_t owner, uint32_t ref)
{
	(void)arg;
	(void)ref;
	return (owner != 2);
}

/* After a dead lock holder: lists and pins rebuilt from the chunks. */
static void
test_rebuild(void)
{
	struct cm_area	*a = area(4);
	uint32_t	 r1, r2, r3;
	uint64_t	 used, n;

	r1 = cm_alloc(a, 500, 1, on_evict, NULL);
	r2 = cm_alloc(a, 500, 2, on_evict, NULL);
	r3 = cm_alloc(a, 500, 3, on_evict, NULL);
	CU_ASSERT_EQUAL(cm_pin(a, r3, 100), 0);
	cm_free(a, r3);				/* an orphan */
	cm_rebuild(a, owner_ok, NULL);
	cm_stats(a, &used, &n);
	CU_ASSERT_EQUAL(n, 1);			/* r1 only */
	CU_ASSERT_EQUAL(cm_owner(a, r1), 1);
	CU_ASSERT_EQUAL(cm_owner(a, r2), 0);	/* its entry disowned it */
	CU_ASSERT(cm_pinned(a, r3));
	cm_unpin(a, r3, 100);
	CU_ASSERT(!cm_pinned(a, r3));
	CU_ASSERT(cm_alloc(a, 500, 4, on_evict, NULL) != 0);
	free(a);
}

int
main(void)
{
	static const struct pt_unit_test tests[] = {
		{ "allocation by size class", test_basics },
		{ "LRU eviction skips pinned chunks", test_lru_skips_pinned },
		{ "freed while pinned: an orphan", test_orphan },
		{ "pins of dead processes cleared", test_dead_pins },
		{ "pages taken from another class", test_steal },
		{ "repair after a dead lock holder", test_rebuild },
		{ NULL, NULL }
	};

	return (pt_unit_run("cache_mem", NULL, NULL, tests));
}
