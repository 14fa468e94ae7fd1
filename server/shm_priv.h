/*
 * Shared memory segments, for the core only: the master brackets every
 * configuration load (the first one included) with these two calls, so
 * segments follow the configuration that asked for them.
 */
#ifndef PT_SHM_PRIV_H
#define PT_SHM_PRIV_H

#include <portier/shm.h>

/* shm.c */

/*
 * Master, before conf_load: opens a load. Every current segment is marked
 * unclaimed; pt_shm_segment() is allowed until shm_generation_end().
 */
void		 shm_generation_begin(void);

/*
 * Master, after the new configuration was accepted (true: segments it did
 * not claim are unmapped) or refused (false: segments created for it are
 * unmapped and the previous ones are kept whole). Closes the load.
 */
void		 shm_generation_end(bool accepted);

/* Master at exit (and tests): unmaps every segment, frees the registry. */
void		 shm_free_all(void);

/* Number of segments currently mapped (tests, status). */
size_t		 shm_count(void);

#endif /* PT_SHM_PRIV_H */
