/*
 * Named shared memory segments and robust mutexes. The master keeps a
 * registry of the segments it mapped, keyed by owner + name + size, so that
 * a configuration load re-uses what the previous one had and unmaps what it
 * no longer wants. The store's own layout lives in store_shm.c.
 */
#include "config.h"

#include "shm_priv.h"

#include <sys/mman.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <portier/log.h>

struct shm_seg {
	struct shm_seg	*next;
	char		*owner;
	char		*name;
	size_t		 size;		/* as asked for: part of the key */
	size_t		 maplen;	/* rounded up to pages */
	void		*addr;
	bool		 claimed;	/* asked for by the load in progress */
	bool		 created;	/* mapped by the load in progress */
};

/*
 * Master-only state. Workers inherit a copy with loading == false, which is
 * what makes pt_shm_segment() refuse to run in them.
 */
static struct shm_seg	*shm_segs;
static bool		 shm_loading;

static void
shm_seg_free(struct shm_seg *s)
{
	if (s->addr != NULL && munmap(s->addr, s->maplen) == -1)
		PT_LOG_ERRNO(PT_LOG_ERR, "shm %s/%s: munmap", s->owner,
		    s->name);
	free(s->owner);
	free(s->name);
	free(s);
}

static struct shm_seg *
shm_seg_find(const char *owner, const char *name, size_t size)
{
	struct shm_seg *s;

	for (s = shm_segs; s != NULL; s = s->next)
		if (s->size == size && strcmp(s->owner, owner) == 0 &&
		    strcmp(s->name, name) == 0)
			return (s);
	return (NULL);
}

static struct shm_seg *
shm_seg_new(const char *owner, const char *name, size_t size)
{
	struct shm_seg	*s;
	long		 page = sysconf(_SC_PAGESIZE);

	if (page <= 0)
		page = 4096;
	if (size > SIZE_MAX - (size_t)page) {
		errno = ENOMEM;
		return (NULL);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (NULL);
	s->size = size;
	s->maplen = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
	s->owner = strdup(owner);
	s->name = strdup(name);
	if (s->owner == NULL || s->name == NULL)
		goto fail;
	/* Anonymous memory comes zeroed; MAP_SHARED stays shared over fork. */
	s->addr = mmap(NULL, s->maplen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s->addr == MAP_FAILED) {
		s->addr = NULL;
		goto fail;
	}
	return (s);
 fail:
	free(s->owner);
	free(s->name);
	free(s);
	return (NULL);
}

PT_API void *
pt_shm_segment(const char *owner, const char *name, size_t size, bool *fresh)
{
	struct shm_seg *s;

	if (owner == NULL || name == NULL || *owner == '\0' || *name == '\0' ||
	    size == 0) {
		errno = EINVAL;
		return (NULL);
	}
	if (!shm_loading) {
		errno = EPERM;
		PT_LOG(PT_LOG_ERR, "shm %s/%s: segments are created only while "
		    "the master loads a configuration", owner, name);
		return (NULL);
	}
	if ((s = shm_seg_find(owner, name, size)) != NULL) {
		s->claimed = true;
		if (fresh != NULL)
			*fresh = false;
		return (s->addr);
	}
	if ((s = shm_seg_new(owner, name, size)) == NULL) {
		PT_LOG_ERRNO(PT_LOG_ERR, "shm %s/%s: %zu bytes", owner, name,
		    size);
		return (NULL);
	}
	s->claimed = true;
	s->created = true;
	s->next = shm_segs;
	shm_segs = s;
	if (fresh != NULL)
		*fresh = true;
	PT_LOG(PT_LOG_DEBUG, "shm %s/%s: mapped %zu bytes", owner, name,
	    s->maplen);
	return (s->addr);
}

void
shm_generation_begin(void)
{
	struct shm_seg *s;

	/* A load left open by mistake is treated as refused. */
	if (shm_loading)
		shm_generation_end(false);
	for (s = shm_segs; s != NULL; s = s->next)
		s->claimed = s->created = false;
	shm_loading = true;
}

void
shm_generation_end(bool accepted)
{
	struct shm_seg	*s, **sp;
	bool		 drop;

	for (sp = &shm_segs; (s = *sp) != NULL;) {
		drop = accepted ? !s->claimed : s->created;
		if (drop) {
			PT_LOG(PT_LOG_DEBUG, "shm %s/%s: unmapped (%s)",
			    s->owner, s->name, accepted ? "no longer used" :
			    "configuration refused");
			*sp = s->next;
			shm_seg_free(s);
			continue;
		}
		s->claimed = s->created = false;
		sp = &s->next;
	}
	shm_loading = false;
}

void
shm_free_all(void)
{
	struct shm_seg *s;

	while ((s = shm_segs) != NULL) {
		shm_segs = s->next;
		shm_seg_free(s);
	}
	shm_loading = false;
}

size_t
shm_count(void)
{
	struct shm_seg	*s;
	size_t		 n = 0;

	for (s = shm_segs; s != NULL; s = s->next)
		n++;
	return (n);
}

PT_API int
pt_mutex_init(struct pt_mutex *mx)
{
	pthread_mutexattr_t	 attr;
	int			 rc;

	if ((rc = pthread_mutexattr_init(&attr)) != 0)
		goto fail;
	/*
	 * Robust: when a worker dies holding it (a crash, SIGKILL from the
	 * master's stop timeout), the kernel hands it to the next waiter with
	 * EOWNERDEAD instead of leaving every other process blocked forever.
	 */
	if ((rc = pthread_mutexattr_setpshared(&attr,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (rc = pthread_mutexattr_setrobust(&attr,
	    PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (rc = pthread_mutex_init(&mx->m, &attr)) != 0) {
		pthread_mutexattr_destroy(&attr);
		goto fail;
	}
	pthread_mutexattr_destroy(&attr);
	return (0);
 fail:
	errno = rc;
	return (-1);
}

PT_API int
pt_mutex_lock(struct pt_mutex *mx, bool *owner_died)
{
	int rc;

	if (owner_died != NULL)
		*owner_died = false;
	rc = pthread_mutex_lock(&mx->m);
	if (rc == 0)
		return (0);
	if (rc == EOWNERDEAD) {
		/*
		 * Marked consistent before the caller repairs: should this
		 * process die during the repair too, the next holder sees
		 * EOWNERDEAD again and repeats it, so repairs must be
		 * idempotent (every rule in the tree is a rebuild from a scan).
		 */
		if ((rc = pthread_mutex_consistent(&mx->m)) != 0) {
			pthread_mutex_unlock(&mx->m);
			errno = rc;
			return (-1);
		}
		if (owner_died != NULL)
			*owner_died = true;
		return (0);
	}
	errno = rc;
	return (-1);
}

PT_API void
pt_mutex_unlock(struct pt_mutex *mx)
{
	int rc;

	if ((rc = pthread_mutex_unlock(&mx->m)) != 0) {
		errno = rc;
		PT_LOG_ERRNO(PT_LOG_ERR, "shm: mutex unlock");
	}
}
