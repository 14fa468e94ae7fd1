/*
 * mod_cache's memory for small objects: pages of CM_PAGE bytes, each
 * carved into chunks of one size class (sizes growing by a quarter), a
 * free list and an LRU per class. When a class is full, its least recently
 * used unpinned chunk goes; when it has none, a page of another class
 * without pins is taken whole (a clock over the pages), so no class starves
 * for good. A pin is a slot (pid, chunk): a chunk with pins is never
 * evicted, and one freed by its owner while pinned is an orphan freed by
 * the last unpin. Slots of dead processes are cleared by cm_repair_pins.
 */
#include "config.h"

#include <string.h>

#include "cache_mem.h"

#define CM_MAGIC	0x50544d31u	/* "PTM1" */
#define CM_NCLS		48
#define CM_MIN		128

enum { CM_FREE, CM_USED, CM_ORPHAN };

struct cm_chunk {
	uint32_t	 owner, pins, len;
	uint32_t	 prev, next;	/* LRU (head: most recent) or free list */
	uint8_t		 state, cls;
	uint16_t	 pad;
};

struct cm_class {
	uint32_t	 size, free, head, tail;
};

struct cm_pin {
	int32_t		 pid;
	uint32_t	 ref;
};

struct cm_area {
	uint32_t	 magic, npages, pages_used, steal;
	uint32_t	 ncls, pad;
	uint64_t	 used, chunks;
	struct cm_class	 cls[CM_NCLS];
	struct cm_pin	 pins[CM_PINS];
	uint8_t		 page_cls[];	/* then the pages, 64-aligned */
};

static size_t
cm_pages_off(size_t npages)
{
	return ((sizeof(struct cm_area) + npages + 63) & ~(size_t)63);
}

size_t
cm_bytes(size_t mem)
{
	size_t	npages = mem / CM_PAGE;

	return (npages == 0 ? 0 : cm_pages_off(npages) + npages * CM_PAGE);
}

static char *
cm_pages(const struct cm_area *a)
{
	return ((char *)(uintptr_t)a + cm_pages_off(a->npages));
}

static struct cm_chunk *
cm_chunk(const struct cm_area *a, uint32_t ref)
{
	return ((struct cm_chunk *)(void *)(cm_pages(a) + ref - 1));
}

void
cm_init(struct cm_area *a, size_t mem)
{
	uint32_t	s = CM_MIN;

	memset(a, 0, cm_pages_off(mem / CM_PAGE));
	a->npages = (uint32_t)(mem / CM_PAGE);
	while (a->ncls < CM_NCLS - 1 && s < CM_PAGE) {
		a->cls[a->ncls++].size = s;
		s = (s + s / 4 + 7) & ~7u;
	}
	a->cls[a->ncls++].size = CM_PAGE;
	a->magic = CM_MAGIC;
}

bool
cm_layout_ok(const struct cm_area *a, size_t mem)
{
	return (a->magic == CM_MAGIC && a->npages == mem / CM_PAGE);
}

static int
cm_class_of(const struct cm_area *a, size_t len)
{
	size_t		need = len + sizeof(struct cm_chunk);
	uint32_t	c;

	for (c = 0; c < a->ncls; c++)
		if (a->cls[c].size >= need)
			return ((int)c);
	return (-1);
}

static void
cm_lru_unlink(struct cm_area *a, uint32_t ref)
{
	struct cm_chunk	*ch = cm_chunk(a, ref);
	struct cm_class	*k = &a->cls[ch->cls];

	if (ch->prev)
		cm_chunk(a, ch->prev)->next = ch->next;
	else
		k->head = ch->next;
	if (ch->next)
		cm_chunk(a, ch->next)->prev = ch->prev;
	else
		k->tail = ch->prev;
	ch->prev = ch->next = 0;
}

static void
cm_lru_front(struct cm_area *a, uint32_t ref)
{
	struct cm_chunk	*ch = cm_chunk(a, ref);
	struct cm_class	*k = &a->cls[ch->cls];

	ch->prev = 0;
	ch->next = k->head;
	if (k->head)
		cm_chunk(a, k->head)->prev = ref;
	k->head = ref;
	if (!k->tail)
		k->tail = ref;
}

static void
cm_free_push(struct cm_area *a, uint32_t ref)
{
	struct cm_chunk	*ch = cm_chunk(a, ref);

	ch->state = CM_FREE;
	ch->owner = ch->pins = ch->len = 0;
	ch->prev = 0;
	ch->next = a->cls[ch->cls].free;
	a->cls[ch->cls].free = ref;
}

static void
cm_carve(struct cm_area *a, uint32_t page, uint32_t c)
{
	uint32_t	size = a->cls[c].size, n = CM_PAGE / size, i;
	struct cm_chunk	*ch;

	a->page_cls[page] = (uint8_t)c;
	for (i = n; i-- > 0; ) {
		ch = cm_chunk(a, page * CM_PAGE + i * size + 1);
		ch->cls = (uint8_t)c;
		cm_free_push(a, page * CM_PAGE + i * size + 1);
	}
}

/* A used chunk leaves its owner and becomes free. */
static void
cm_evict(struct cm_area *a, uint32_t ref, cm_evict_fn fn, void *arg)
{
	struct cm_chunk	*ch = cm_chunk(a, ref);
	uint32_t	 owner = ch->owner;

	cm_lru_unlink(a, ref);
	a->used -= ch->len;
	a->chunks--;
	cm_free_push(a, ref);
	fn(arg, owner);
}

/* The least recently used unpinned chunk of class c, bounded. */
static bool
cm_evict_lru(struct cm_area *a, uint32_t c, cm_evict_fn fn, void *arg)
{
	uint32_t	ref = a->cls[c].tail;
	int		n;

	for (n = 0; ref && n < 64; n++, ref = cm_chunk(a, ref)->prev)
		if (cm_chunk(a, ref)->pins == 0) {
			cm_evict(a, ref, fn, arg);
			return (true);
		}
	return (false);
}

static bool
cm_page_pinned(const struct cm_area *a, uint32_t page)
{
	uint32_t	size = a->cls[a->page_cls[page]].size, i;

	for (i = 0; i + size <= CM_PAGE; i += size)
		if (cm_chunk(a, page * CM_PAGE + i + 1)->pins > 0)
			return (true);
	return (false);
}

/* Takes an unpinned page of another class for class c. */
static bool
cm_steal(struct cm_area *a, uint32_t c, cm_evict_fn fn, void *arg)
{
	uint32_t	 tries, p, old, size, i, ref, *l;

	for (tries = 0; tries < a->pages_used; tries++) {
		p = a->steal++ % a->pages_used;
		if (a->page_cls[p] == c || cm_page_pinned(a, p))
			continue;
		old = a->page_cls[p];
		size = a->cls[old].size;
		for (i = 0; i + size <= CM_PAGE; i += size) {
			ref = p * CM_PAGE + i + 1;
			if (cm_chunk(a, ref)->state == CM_USED)
				cm_evict(a, ref, fn, arg);
		}
		for (l = &a->cls[old].free; *l; )	/* off the old list */
			if ((*l - 1) / CM_PAGE == p)
				*l = cm_chunk(a, *l)->next;
			else
				l = &cm_chunk(a, *l)->next;
		cm_carve(a, p, c);
		return (true);
	}
	return (false);
}

uint32_t
cm_alloc(struct cm_area *a, size_t len, uint32_t owner, cm_evict_fn fn,
    void *arg)
{
	struct cm_chunk	*ch;
	uint32_t	 ref;
	int		 c;

	if (a == NULL || a->npages == 0 || owner == 0 || len > CM_MAX_RECORD ||
	    (c = cm_class_of(a, len)) < 0)
		return (0);
	if (!a->cls[c].free && a->pages_used < a->npages)
		cm_carve(a, a->pages_used++, (uint32_t)c);
	if (!a->cls[c].free)
		cm_evict_lru(a, (uint32_t)c, fn, arg);
	if (!a->cls[c].free)
		cm_steal(a, (uint32_t)c, fn, arg);
	if ((ref = a->cls[c].free) == 0)
		return (0);
	ch = cm_chunk(a, ref);
	a->cls[c].free = ch->next;
	ch->state = CM_USED;
	ch->owner = owner;
	ch->pins = 0;
	ch->len = (uint32_t)len;
	cm_lru_front(a, ref);
	a->used += len;
	a->chunks++;
	return (ref);
}

void
cm_free(struct cm_area *a, uint32_t ref)
{
	struct cm_chunk	*ch = cm_chunk(a, ref);

	if (ch->state != CM_USED)
		return;
	cm_lru_unlink(a, ref);
	a->used -= ch->len;
	a->chunks--;
	if (ch->pins > 0) {
		ch->state = CM_ORPHAN;
		ch->owner = 0;
	} else
		cm_free_push(a, ref);
}

void *
cm_data(struct cm_area *a, uint32_t ref, size_t *len)
{
	struct cm_chunk	*ch = cm_chunk(a, ref);

	if (len != NULL)
		*len = ch->len;
	return (ch + 1);
}

uint32_t
cm_owner(const struct cm_area *a, uint32_t ref)
{
	const struct cm_chunk	*ch = cm_chunk(a, ref);

	return (ch->state == CM_USED ? ch->owner : 0);
}

void
cm_touch(struct cm_area *a, uint32_t ref)
{
	if (cm_chunk(a, ref)->state != CM_USED || a->cls[cm_chunk(a,
	    ref)->cls].head == ref)
		return;
	cm_lru_unlink(a, ref);
	cm_lru_front(a, ref);
}

int
cm_pin(struct cm_area *a, uint32_t ref, int32_t pid)
{
	int	i;

	for (i = 0; i < CM_PINS; i++)
		if (a->pins[i].pid == 0) {
			a->pins[i].ref = ref;
			a->pins[i].pid = pid;
			cm_chunk(a, ref)->pins++;
			return (0);
		}
	return (-1);
}

static void
cm_slot_clear(struct cm_area *a, struct cm_pin *s)
{
	struct cm_chunk	*ch = cm_chunk(a, s->ref);

	if (ch->pins > 0)
		ch->pins--;
	if (ch->pins == 0 && ch->state == CM_ORPHAN)
		cm_free_push(a, s->ref);
	s->pid = 0;
	s->ref = 0;
}

void
cm_unpin(struct cm_area *a, uint32_t ref, int32_t pid)
{
	int	i;

	for (i = 0; i < CM_PINS; i++)
		if (a->pins[i].pid == pid && a->pins[i].ref == ref) {
			cm_slot_clear(a, &a->pins[i]);
			return;
		}
}

bool
cm_pinned(const struct cm_area *a, uint32_t ref)
{
	return (cm_chunk(a, ref)->pins > 0);
}

int
cm_repair_pins(struct cm_area *a, bool (*alive)(int32_t))
{
	int	i, n = 0;

	for (i = 0; a != NULL && i < CM_PINS; i++)
		if (a->pins[i].pid != 0 && a->pins[i].ref != 0 &&
		    !alive(a->pins[i].pid)) {
			cm_slot_clear(a, &a->pins[i]);
			n++;
		}
	return (n);
}

static uint32_t
cm_pins_of(const struct cm_area *a, uint32_t ref)
{
	uint32_t	n = 0;
	int		i;

	for (i = 0; i < CM_PINS; i++)
		if (a->pins[i].pid != 0 && a->pins[i].ref == ref)
			n++;
	return (n);
}

void
cm_rebuild(struct cm_area *a, bool (*owner_ok)(void *, uint32_t, uint32_t),
    void *arg)
{
	struct cm_chunk	*ch;
	uint32_t	 c, p, i, size, ref;

	for (i = 0; i < CM_PINS; i++)	/* a slot half written */
		if (a->pins[i].pid == 0 || a->pins[i].ref == 0)
			a->pins[i].pid = 0, a->pins[i].ref = 0;
	for (c = 0; c < a->ncls; c++)
		a->cls[c].free = a->cls[c].head = a->cls[c].tail = 0;
	a->used = a->chunks = 0;
	for (p = 0; p < a->pages_used; p++) {
		size = a->cls[a->page_cls[p]].size;
		for (i = 0; i + size <= CM_PAGE; i += size) {
			ref = p * CM_PAGE + i + 1;
			ch = cm_chunk(a, ref);
			ch->cls = a->page_cls[p];
			ch->pins = cm_pins_of(a, ref);
			if (ch->state == CM_USED && ch->owner != 0 &&
			    owner_ok(arg, ch->owner, ref)) {
				cm_lru_front(a, ref);
				a->used += ch->len;
				a->chunks++;
			} else if (ch->pins > 0) {
				ch->state = CM_ORPHAN;
				ch->owner = 0;
			} else
				cm_free_push(a, ref);
		}
	}
}

void
cm_stats(const struct cm_area *a, uint64_t *used, uint64_t *chunks)
{
	*used = a != NULL ? a->used : 0;
	*chunks = a != NULL ? a->chunks : 0;
}
