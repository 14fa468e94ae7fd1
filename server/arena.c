/*
 * Bump allocator with deferred cleanups. In sanitizer builds every
 * allocation is its own malloc, so ASan sees overflows between neighbours;
 * otherwise blocks are carved in 16-byte steps and freed whole.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena_priv.h"

#define ARENA_ALIGN	16
#define ALIGN_UP(n)	(((n) + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1))
#define ARENA_KEEP_MAX	(128 * 1024)	/* largest block kept by a reset */

struct arena_block {
	struct arena_block	*next;
	size_t			 size;	/* usable bytes in data */
	size_t			 used;
	_Alignas(16) unsigned char data[];
};

struct arena_cleanup {
	struct arena_cleanup	*next;
	void			(*fn)(void *);
	void			*arg;
};

struct pt_arena {
	struct arena_block	*blocks;	/* newest first */
	struct arena_cleanup	*cleanups;
	size_t			 first;
	size_t			 cap;
	size_t			 total;		/* bytes handed out since reset */
};

static struct arena_block *
block_new(size_t size)
{
	struct arena_block *b;

	if ((b = malloc(sizeof(*b) + size)) == NULL)
		return (NULL);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return (b);
}

struct pt_arena *
pt_arena_new(size_t first, size_t cap)
{
	struct pt_arena *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (NULL);
	a->first = first < 256 ? 256 : ALIGN_UP(first);
	a->cap = cap;
#ifndef PT_SANITIZE
	if ((a->blocks = block_new(a->first)) == NULL) {
		free(a);
		return (NULL);
	}
#endif
	return (a);
}

void *
pt_alloc(struct pt_arena *a, size_t n)
{
	struct arena_block	*b;
	size_t			 need;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2)
		return (NULL);
	need = ALIGN_UP(n);
	if (a->cap != 0 && a->total + need > a->cap)
		return (NULL);
#ifdef PT_SANITIZE
	/* One malloc each: ASan sees the exact bounds of every allocation. */
	if ((b = block_new(n)) == NULL)
		return (NULL);
	b->used = n;
	b->next = a->blocks;
	a->blocks = b;
	a->total += need;
	return (b->data);
#else
	b = a->blocks;
	if (b->size - b->used < need) {
		size_t bsize = need > a->first ? need : a->first;
		if (b->size * 2 > bsize && b->size * 2 >= need)
			bsize = b->size * 2;
		if ((b = block_new(bsize)) == NULL)
			return (NULL);
		b->next = a->blocks;
		a->blocks = b;
	}
	b->used += need;
	a->total += need;
	return (b->data + b->used - need);
#endif
}

void *
pt_calloc(struct pt_arena *a, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return (NULL);
	if ((p = pt_alloc(a, n * size)) != NULL)
		memset(p, 0, n * size);
	return (p);
}

char *
pt_strndup(struct pt_arena *a, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX || (p = pt_alloc(a, len + 1)) == NULL)
		return (NULL);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

char *
pt_strdup(struct pt_arena *a, const char *s)
{
	return (pt_strndup(a, s, strlen(s)));
}

char *
pt_vprintf(struct pt_arena *a, const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	*p;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (p = pt_alloc(a, (size_t)n + 1)) == NULL)
		return (NULL);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return (p);
}

char *
pt_printf(struct pt_arena *a, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = pt_vprintf(a, fmt, ap);
	va_end(ap);
	return (p);
}

int
pt_arena_defer(struct pt_arena *a, void (*fn)(void *), void *arg)
{
	struct arena_cleanup *c;

	/* Cleanups are bookkeeping, not payload: they ignore the cap. */
	if ((c = malloc(sizeof(*c))) == NULL)
		return (-1);
	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
	return (0);
}

static void
arena_run_cleanups(struct pt_arena *a)
{
	struct arena_cleanup *c;

	while ((c = a->cleanups) != NULL) {
		a->cleanups = c->next;
		c->fn(c->arg);
		free(c);
	}
}

void
pt_arena_reset(struct pt_arena *a)
{
	struct arena_block *b;
#ifndef PT_SANITIZE
	struct arena_block *keep, *next;
#endif

	arena_run_cleanups(a);
#ifdef PT_SANITIZE
	while ((b = a->blocks) != NULL) {
		a->blocks = b->next;
		free(b);
	}
#else
	/*
	 * One block stays: the newest, which is the largest (sizes double),
	 * so that requests like the last one allocate nothing (DESIGN.md: no
	 * per-request malloc churn; freeing it each time also made glibc
	 * trim and regrow the heap, two brk(2) and page faults a request).
	 * One over ARENA_KEEP_MAX does not stay: the first block does.
	 */
	keep = a->blocks;
	if (keep->size > ARENA_KEEP_MAX)
		while (keep->next != NULL)
			keep = keep->next;
	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		if (b != keep)
			free(b);
	}
	keep->next = NULL;
	keep->used = 0;
	a->blocks = keep;
#endif
	a->total = 0;
}

void
pt_arena_free(struct pt_arena *a)
{
	struct arena_block *b;

	if (a == NULL)
		return;
	arena_run_cleanups(a);
	while ((b = a->blocks) != NULL) {
		a->blocks = b->next;
		free(b);
	}
	free(a);
}

size_t
pt_arena_used(const struct pt_arena *a)
{
	return (a->total);
}
