/*
 * Shared memory for local state: named segments that the master maps before
 * it forks, and robust process-shared mutexes to place inside them. State
 * that should follow a fleet (sessions, rate limits) goes through the store
 * (portier/store.h) instead.
 */
#ifndef PORTIER_SHM_H
#define PORTIER_SHM_H

#include <pthread.h>
#include <portier/types.h>

/*
 * Returns a zero-filled (when new) MAP_SHARED anonymous region of at least
 * size bytes, page aligned, keyed by owner + name + size; NULL with errno
 * set on failure (EINVAL: empty owner or name, or size 0; EPERM: called
 * outside a configuration load; ENOMEM).
 *
 * Who and when: the master only, while a configuration is being loaded,
 * that is from a module's post_config hook. Workers inherit the mapping
 * at the same address when they are forked; a call from a worker fails
 * with EPERM, since a region mapped after fork would not be shared.
 *
 * Lifetime: the same key asked for by the next configuration (a graceful
 * or plain restart) gets the SAME memory with its contents, and *fresh is
 * set to false; the caller must then leave its locks alone (old workers
 * may hold them) and only check that the layout is the one it expects.
 * A new key, or the same owner and name with another size, gets new zeroed
 * memory and *fresh = true. Segments the new configuration did not ask
 * for are unmapped by the master once it is accepted; old workers still
 * serving keep their own mapping until they exit. If the new configuration
 * is refused, the segments created for it are unmapped and the old ones
 * stay as they were. Asking twice for one key in one load returns the
 * same memory, the second time with *fresh = false.
 *
 * owner is the module name ("cache"), name says which structure ("index").
 */
PT_API void	*pt_shm_segment(const char *owner, const char *name,
		    size_t size, bool *fresh);

/*
 * A robust, process-shared mutex that lives inside a segment. Never a
 * spinlock: workers, the helper and the master share two cores, and a
 * spinning waiter would burn the time slice its holder needs.
 */
struct pt_mutex {
	pthread_mutex_t	 m;
};

/*
 * Initialises a mutex placed in shared memory. Call it once, on a fresh
 * segment, in the master before fork; never on a re-used segment (a worker
 * of the previous generation may hold it). 0, or -1 with errno set.
 */
PT_API int	 pt_mutex_init(struct pt_mutex *);

/*
 * Blocks until the mutex is held. 0 on success, -1 with errno set on
 * failure (ENOTRECOVERABLE when an earlier repair was abandoned; the data
 * must then be considered lost).
 *
 * When the previous holder died while holding it (EOWNERDEAD), the mutex
 * is made consistent again, the caller holds it, and *owner_died is set to
 * true: the caller must then apply its structure's repair rule (drop or
 * rebuild whatever the dead holder may have half-written) BEFORE it reads
 * the data. Otherwise *owner_died is set to false. owner_died may be NULL
 * only for data that needs no repair (for instance plain counters).
 * Any process may call it; it must not be called again by the holder.
 */
PT_API int	 pt_mutex_lock(struct pt_mutex *, bool *owner_died);

/* Releases a mutex the calling process holds. */
PT_API void	 pt_mutex_unlock(struct pt_mutex *);

#endif /* PORTIER_SHM_H */
