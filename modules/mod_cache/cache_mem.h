/*
 * mod_cache's memory for small objects (cache_mem.c): chunks in pages of
 * a shared-memory area, one size class per page, an LRU per class, pins
 * recorded by process id. Pure logic on a region the caller provides and
 * locks (the zone's index mutex), so it is tested alone.
 */
#ifndef CACHE_MEM_H
#define CACHE_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CM_PAGE		(256 * 1024)
#define CM_PINS		256		/* pins held at once, zone-wide */
#define CM_MAX_RECORD	(CM_PAGE - 32)	/* largest record a chunk holds */
#define CM_MAX_BODY	(128 * 1024)	/* memory_max_object's bound */

struct cm_area;

/* Bytes an area managing mem bytes of pages needs (0: none). */
size_t	 cm_bytes(size_t mem);
void	 cm_init(struct cm_area *, size_t mem);
/* True when a kept area has the layout cm_init(mem) gives. */
bool	 cm_layout_ok(const struct cm_area *, size_t mem);

/*
 * The owner of a chunk chosen for eviction is told to forget it (it must
 * not call cm_free: the area frees the chunk itself).
 */
typedef void	(*cm_evict_fn)(void *arg, uint32_t owner);

/*
 * A chunk for len bytes owned by owner (non-zero): a free one of its
 * class, a new page, the least recently used unpinned chunk of its class,
 * or a page taken from another class (its unpinned chunks evicted).
 * Returns a reference (non-zero), or 0 when nothing could be freed.
 */
uint32_t cm_alloc(struct cm_area *, size_t len, uint32_t owner,
	    cm_evict_fn, void *arg);
/* The owner lets go: freed now, or when the last pin goes. */
void	 cm_free(struct cm_area *, uint32_t ref);
void	*cm_data(struct cm_area *, uint32_t ref, size_t *len);
uint32_t cm_owner(const struct cm_area *, uint32_t ref);
/* A hit: most recently used of its class. */
void	 cm_touch(struct cm_area *, uint32_t ref);
/* Pins a chunk for pid (one slot); -1 when every slot is taken. */
int	 cm_pin(struct cm_area *, uint32_t ref, int32_t pid);
void	 cm_unpin(struct cm_area *, uint32_t ref, int32_t pid);
bool	 cm_pinned(const struct cm_area *, uint32_t ref);
/* Drops the pins of processes alive() says are gone; how many. */
int	 cm_repair_pins(struct cm_area *, bool (*alive)(int32_t pid));
/*
 * After a lock holder died: lists rebuilt from the chunks; a used chunk
 * is kept when owner_ok(arg, owner, ref), pins recounted from the slots.
 */
void	 cm_rebuild(struct cm_area *, bool (*owner_ok)(void *, uint32_t,
	    uint32_t), void *arg);
void	 cm_stats(const struct cm_area *, uint64_t *used, uint64_t *chunks);

#endif /* CACHE_MEM_H */
