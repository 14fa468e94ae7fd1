/*
 * The counters segment: one area per scoreboard slot, each written only by
 * the worker in that slot, summed when a page is read. Pure: no hooks and
 * no server state, so t/unit/test_status.c links it alone.
 *
 *   head | cell_base[nservers + 1] | used[nslots + 1] | pad to 64 |
 *   area 0 | area 1 | ... | area nslots (processes without a slot)
 *   area:  codes[600] | cells[ncells]       (each a multiple of 64 bytes)
 *
 * Why per slot: a request's counts land in cache lines only its worker
 * writes, so no line moves between cores and no lock or atomic
 * read-modify-write is needed; the reader pays instead, once per scrape.
 * A worker that exits leaves its counts in the area, and the next worker
 * given the slot adds to them, so totals never go down.
 */
#include "config.h"

#include <string.h>

#include "status.h"

#define ST_MAGIC	0x54535450u	/* "PTST" */
#define ST_VERSION	1u
#define ST_ALIGN(n)	(((n) + 63) & ~(size_t)63)

const long long st_bounds_us[ST_NBOUNDS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000
};

const char *const st_cls_names[ST_NCLS] = {
	"1xx", "2xx", "3xx", "4xx", "5xx", "none"
};

struct st_head {
	uint32_t	 magic, version;
	uint32_t	 nslots, nservers;
	uint32_t	 ncells, stride;
	uint64_t	 hash;
	uint64_t	 base_off, used_off, areas_off;
};

_Static_assert(sizeof(struct st_cell) % 64 == 0, "cells fill cache lines");
_Static_assert(ST_NCODES * sizeof(uint64_t) % 64 == 0, "codes fill lines");

uint64_t
st_hash(const void *p, size_t n, uint64_t h)
{
	const unsigned char	*c = p;
	size_t			 i;

	if (h == 0)
		h = 0xcbf29ce484222325ULL;
	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ULL;
	}
	return (h);
}

static uint32_t
st_ncells_of(const struct st_layout *l)
{
	size_t i, n = 1;

	for (i = 0; i < l->nservers; i++)
		n += l->nroutes[i] + 1;
	return ((uint32_t)n);
}

/* Offsets of the parts, from the layout alone. */
static void
st_geometry(const struct st_layout *l, struct st_head *h)
{
	memset(h, 0, sizeof(*h));
	h->magic = ST_MAGIC;
	h->version = ST_VERSION;
	h->nslots = l->nslots;
	h->nservers = (uint32_t)l->nservers;
	h->ncells = st_ncells_of(l);
	h->stride = (uint32_t)ST_ALIGN(ST_NCODES * sizeof(uint64_t) +
	    h->ncells * sizeof(struct st_cell));
	h->hash = l->hash;
	h->base_off = ST_ALIGN(sizeof(*h));
	h->used_off = h->base_off + (l->nservers + 1) * sizeof(uint32_t);
	h->areas_off = ST_ALIGN(h->used_off + l->nslots + 1);
}

size_t
st_seg_size(const struct st_layout *l)
{
	struct st_head h;

	st_geometry(l, &h);
	return (h.areas_off + (size_t)(h.nslots + 1) * h.stride);
}

void
st_seg_init(void *seg, const struct st_layout *l)
{
	struct st_head	*h = seg;
	uint32_t	*base;
	size_t		 i;
	uint32_t	 c = 0;

	st_geometry(l, h);
	base = (uint32_t *)(void *)((char *)seg + h->base_off);
	for (i = 0; i < l->nservers; i++) {
		base[i] = c;
		c += (uint32_t)l->nroutes[i] + 1;
	}
	base[l->nservers] = c;	/* requests with no server */
}

bool
st_seg_matches(const void *seg, const struct st_layout *l)
{
	const struct st_head	*h = seg;
	struct st_head		 want;

	st_geometry(l, &want);
	return (memcmp(h, &want, sizeof(want)) == 0);
}

uint32_t
st_seg_ncells(const void *seg)
{
	return (((const struct st_head *)seg)->ncells);
}

static char *
st_area(const void *seg, uint32_t i)
{
	const struct st_head *h = seg;

	return ((char *)(uintptr_t)seg + h->areas_off + (size_t)i * h->stride);
}

void
st_writer_init(void *seg, int slot, struct st_writer *w)
{
	struct st_head	*h = seg;
	unsigned char	*used = (unsigned char *)seg + h->used_off;
	uint32_t	 i;

	i = slot >= 0 && (uint32_t)slot < h->nslots ? (uint32_t)slot :
	    h->nslots;
	__atomic_store_n(&used[i], 1, __ATOMIC_RELAXED);
	w->codes = (uint64_t *)(void *)st_area(seg, i);
	w->cells = (struct st_cell *)(void *)(st_area(seg, i) +
	    ST_NCODES * sizeof(uint64_t));
	w->cell_base = (const uint32_t *)(const void *)((char *)seg +
	    h->base_off);
	w->nservers = h->nservers;
}

/* One writer per area: a plain add made of tear-free loads and stores. */
static inline void
st_bump(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + v,
	    __ATOMIC_RELAXED);
}

static uint32_t
st_cell_of(const uint32_t *base, uint32_t nservers, int server, int route)
{
	uint32_t b, nr;

	if (server < 0 || (uint32_t)server >= nservers)
		return (base[nservers]);
	b = base[server];
	nr = base[server + 1] - b - 1;
	return (route >= 0 && (uint32_t)route < nr ? b + (uint32_t)route :
	    b + nr);
}

uint32_t
st_cell_index(const void *seg, int server, int route)
{
	const struct st_head *h = seg;

	return (st_cell_of((const uint32_t *)(const void *)((const char *)seg +
	    h->base_off), h->nservers, server, route));
}

void
st_count(const struct st_writer *w, int server, int route, int status,
    uint64_t in, uint64_t out, long long dur_us)
{
	struct st_cell	*c;
	int		 b;

	c = &w->cells[st_cell_of(w->cell_base, w->nservers, server, route)];
	if (status >= 100 && status <= 599) {
		st_bump(&w->codes[status], 1);
		st_bump(&c->cls[status / 100 - 1], 1);
	} else {
		st_bump(&w->codes[0], 1);
		st_bump(&c->cls[ST_CLS_NONE], 1);
	}
	st_bump(&c->bytes_in, in);
	st_bump(&c->bytes_out, out);
	st_bump(&c->dur_us, (uint64_t)dur_us);
	for (b = 0; b < ST_NBOUNDS && dur_us > st_bounds_us[b]; b++)
		;
	st_bump(&c->bucket[b], 1);
}

static void
st_load_add(uint64_t *to, const uint64_t *from, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		to[i] += __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}

void
st_seg_sum(const void *seg, struct st_cell *cells, uint64_t *codes)
{
	const struct st_head	*h = seg;
	const unsigned char	*used;
	const char		*a;
	uint32_t		 i;

	used = (const unsigned char *)seg + h->used_off;
	memset(cells, 0, h->ncells * sizeof(*cells));
	memset(codes, 0, ST_NCODES * sizeof(*codes));
	/* Areas never written are never read: their pages stay unmapped. */
	for (i = 0; i <= h->nslots; i++) {
		if (__atomic_load_n(&used[i], __ATOMIC_RELAXED) == 0)
			continue;
		a = st_area(seg, i);
		st_load_add(codes, (const uint64_t *)(const void *)a,
		    ST_NCODES);
		st_load_add((uint64_t *)(void *)cells, (const uint64_t *)(const
		    void *)(a + ST_NCODES * sizeof(uint64_t)), h->ncells *
		    sizeof(struct st_cell) / sizeof(uint64_t));
	}
}

void
st_cell_add(struct st_cell *to, const struct st_cell *from)
{
	st_load_add((uint64_t *)(void *)to,
	    (const uint64_t *)(const void *)from,
	    sizeof(*to) / sizeof(uint64_t));
}

uint64_t
st_cell_requests(const struct st_cell *c)
{
	uint64_t	n = 0;
	int		i;

	for (i = 0; i < ST_NCLS; i++)
		n += c->cls[i];
	return (n);
}
