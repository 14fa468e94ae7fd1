/*
 * Arenas: bump allocators with nested lifetimes (conf > worker > conn >
 * request). Nothing allocated from an arena is freed alone; the arena is
 * reset or freed whole, running deferred cleanups in LIFO order first.
 */
#ifndef PORTIER_ARENA_H
#define PORTIER_ARENA_H

#include <stdarg.h>
#include <portier/types.h>

/* 16-byte aligned; NULL when the arena's cap would be passed. */
PT_API void	*pt_alloc(struct pt_arena *, size_t);
/* Zeroed; NULL on n * size overflow or past the cap. */
PT_API void	*pt_calloc(struct pt_arena *, size_t, size_t);
/* Copies len bytes and adds a NUL. */
PT_API char	*pt_strndup(struct pt_arena *, const char *, size_t);
PT_API char	*pt_strdup(struct pt_arena *, const char *);
PT_API char	*pt_printf(struct pt_arena *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
PT_API char	*pt_vprintf(struct pt_arena *, const char *, va_list)
		    __attribute__((__format__(printf, 2, 0)));
/* Runs fn(arg) when the arena is reset or freed, last registered first. */
PT_API int	 pt_arena_defer(struct pt_arena *, void (*)(void *), void *);

#endif /* PORTIER_ARENA_H */
