/*
 * Arena lifetimes, for the core only: modules allocate from arenas they are
 * given but never create, reset or free one.
 */
#ifndef PT_ARENA_PRIV_H
#define PT_ARENA_PRIV_H

#include <portier/arena.h>

/* first: size of the first block; cap: total bytes allowed (0 = none). */
struct pt_arena	*pt_arena_new(size_t first, size_t cap);
/* Runs deferred cleanups, keeps the first block, frees the rest. */
void		 pt_arena_reset(struct pt_arena *);
void		 pt_arena_free(struct pt_arena *);
/* Bytes handed out since the last reset. */
size_t		 pt_arena_used(const struct pt_arena *);

#endif /* PT_ARENA_PRIV_H */
