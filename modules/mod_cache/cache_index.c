/*
 * mod_cache's index: one shared-memory segment per zone holding a hash
 * table of fixed entries with an LRU list, under one robust mutex and a
 * process-shared condition variable (request collapsing). Repair rule: a
 * holder that died may have half-linked lists, so the chains, the LRU and
 * the free list are rebuilt from the entries, and claims of dead workers
 * dropped. Small bodies live in memory after the entries (cache_mem.c):
 * a hit pins its chunk while it is sent, eviction skips pinned chunks and
 * the helper clears pins of processes that died (ci_repair_pins). Larger
 * bodies are files (cache_store.c): an open descriptor keeps a served
 * object alive after eviction, which is such an entry's pin.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <portier/arena.h>
#include <portier/shm.h>
#define PT_LOG_TAG "cache"
#include <portier/log.h>
#include "cache.h"
#include "cache_mem.h"

#define CI_MAGIC	0x50544932u	/* "PTI2" */

struct ci_ent {
	struct cache_hash h;
	uint32_t	 next;		/* chain; index + 1, 0 = end */
	uint32_t	 lprev, lnext;	/* LRU, head = most recent */
	uint8_t		 state, root;
	int32_t		 pid;		/* filler */
	int64_t		 until_ms;	/* FILLING deadline, PASS end */
	int64_t		 last_ms;
	uint64_t	 size;
	uint32_t	 mem;		/* cache_mem.c chunk; 0: a file */
	char		 vary[96];
};

struct ci_zone {
	uint32_t	 magic, nbuckets, nents, pad;
	struct pt_mutex	 lock;
	pthread_cond_t	 cond;
	uint32_t	 lru_head, lru_tail, free_head, count;
	uint64_t	 bytes, max_bytes;
	uint64_t	 purge_seen, purge_swept;	/* atomics */
	uint32_t	 njobs;				/* atomic */
	uint64_t	 mem_size;	/* bytes of small-object memory */
	/* buckets, then entries, then CI_JOBS jobs, then cache_mem's area */
};

static uint32_t *
ci_buckets(struct ci_zone *z)
{
	return ((uint32_t *)(void *)(z + 1));
}

static struct ci_ent *
ci_ents(struct ci_zone *z)
{
	return ((struct ci_ent *)(void *)((char *)(z + 1) +
	    ((z->nbuckets * sizeof(uint32_t) + 63) & ~(size_t)63)));
}

static size_t
ci_ents_off(uint32_t nbuckets)
{
	return (sizeof(struct ci_zone) + ((nbuckets * sizeof(uint32_t) + 63) &
	    ~(size_t)63));
}

static struct ci_job *
ci_jobs(struct ci_zone *z)
{
	return ((struct ci_job *)(void *)((char *)z + ci_ents_off(z->nbuckets) +
	    (size_t)z->nents * sizeof(struct ci_ent)));
}

static size_t
ci_mem_off(uint32_t nbuckets, uint32_t nents)
{
	return ((ci_ents_off(nbuckets) + (size_t)nents * sizeof(struct ci_ent) +
	    CI_JOBS * sizeof(struct ci_job) + 63) & ~(size_t)63);
}

static struct cm_area *
ci_mem(struct ci_zone *z)
{
	return (z->mem_size == 0 ? NULL : (struct cm_area *)(void *)((char *)z +
	    ci_mem_off(z->nbuckets, z->nents)));
}

/* This process's id, kept by child_init: glibc asks the kernel each time. */
static int32_t	ci_self;

void
ci_child_init(void)
{
	ci_self = (int32_t)getpid();
}

int32_t
ci_pid(void)
{
	return (ci_self != 0 ? ci_self : (int32_t)getpid());
}

static int64_t
ci_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
ci_lru_unlink(struct ci_zone *z, struct ci_ent *e)
{
	struct ci_ent	*v = ci_ents(z);

	if (e->lprev)
		v[e->lprev - 1].lnext = e->lnext;
	else
		z->lru_head = e->lnext;
	if (e->lnext)
		v[e->lnext - 1].lprev = e->lprev;
	else
		z->lru_tail = e->lprev;
	e->lprev = e->lnext = 0;
}

static void
ci_lru_front(struct ci_zone *z, struct ci_ent *e)
{
	struct ci_ent	*v = ci_ents(z);
	uint32_t	 i = (uint32_t)(e - v) + 1;

	e->lprev = 0;
	e->lnext = z->lru_head;
	if (z->lru_head)
		v[z->lru_head - 1].lprev = i;
	z->lru_head = i;
	if (!z->lru_tail)
		z->lru_tail = i;
}

/* A memory chunk's owner, as the entries say, after a repair. */
static bool
ci_mem_owner_ok(void *arg, uint32_t owner, uint32_t ref)
{
	struct ci_zone	*z = arg;
	struct ci_ent	*e = &ci_ents(z)[owner - 1];

	return (owner <= z->nents && e->state == CI_VALID && e->mem == ref);
}

/*
 * The repair rule: everything rebuilt from the entries themselves; the
 * memory's lists from its chunks, and entries whose chunk is not theirs
 * dropped.
 */
static void
ci_rebuild(struct ci_zone *z)
{
	struct ci_ent	*v = ci_ents(z), *e;
	uint32_t	*b = ci_buckets(z), i, k;

	if (ci_mem(z) != NULL)
		cm_rebuild(ci_mem(z), ci_mem_owner_ok, z);
	memset(b, 0, z->nbuckets * sizeof(*b));
	z->lru_head = z->lru_tail = z->free_head = 0;
	z->count = 0;
	z->bytes = 0;
	for (i = z->nents; i-- > 0; ) {
		e = &v[i];
		if (e->state == CI_FILLING || e->state > CI_PASS ||
		    (e->mem != 0 && (ci_mem(z) == NULL ||
		    cm_owner(ci_mem(z), e->mem) != i + 1)))
			e->state = CI_FREE;
		if (e->state == CI_FREE) {
			e->next = z->free_head;
			z->free_head = i + 1;
			continue;
		}
		k = (uint32_t)(e->h.a % z->nbuckets);
		e->next = b[k];
		b[k] = i + 1;
		e->lprev = e->lnext = 0;
		ci_lru_front(z, e);
		z->count++;
		z->bytes += e->mem ? 0 : e->size;
	}
	PT_LOG(PT_LOG_WARN, "cache index repaired after a process died "
	    "holding its lock (%u entries kept)", z->count);
}

static int
ci_lock(struct ci_zone *z)
{
	bool	died = false;

	if (pt_mutex_lock(&z->lock, &died) != 0)
		return (-1);
	if (died)
		ci_rebuild(z);
	return (0);
}

/*
 * Entries for a zone: one per 8 KiB of disk size and one per KiB of
 * memory (small objects are many), within [1024, 1M]. A changed count
 * changes the segment's size and nents, so the zone starts empty.
 */
static uint32_t
ci_entries(long long size, long long mem)
{
	long long	n = size / 8192 + mem / 1024;

	return ((uint32_t)(n < 1024 ? 1024 : n > (1LL << 20) ? (1LL << 20) :
	    n));
}

struct ci_zone *
ci_zone_setup(const char *name, long long size, long long mem, bool *fresh)
{
	struct ci_zone		*z;
	pthread_condattr_t	 ca;
	uint32_t		 nents, nb, i;
	size_t			 bytes;

	nents = ci_entries(size, mem);
	nb = nents;
	bytes = ci_mem_off(nb, nents) + cm_bytes((size_t)mem);
	if ((z = pt_shm_segment("cache", name, bytes, fresh)) == NULL)
		return (NULL);
	if (!*fresh && z->magic == CI_MAGIC && z->nents == nents &&
	    z->mem_size == cm_bytes((size_t)mem) && (z->mem_size == 0 ||
	    cm_layout_ok(ci_mem(z), (size_t)mem))) {
		z->max_bytes = (uint64_t)size;
		return (z);
	}
	memset(z, 0, bytes);
	z->nbuckets = nb;
	z->nents = nents;
	z->max_bytes = (uint64_t)size;
	z->mem_size = cm_bytes((size_t)mem);
	if (z->mem_size > 0)
		cm_init(ci_mem(z), (size_t)mem);
	if (pt_mutex_init(&z->lock) != 0 || pthread_condattr_init(&ca) != 0)
		return (NULL);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&z->cond, &ca);
	pthread_condattr_destroy(&ca);
	for (i = nents; i-- > 0; ) {
		ci_ents(z)[i].next = z->free_head;
		z->free_head = i + 1;
	}
	z->magic = CI_MAGIC;
	*fresh = true;
	return (z);
}

static struct ci_ent *
ci_find(struct ci_zone *z, struct cache_hash h, uint32_t **link)
{
	struct ci_ent	*v = ci_ents(z);
	uint32_t	*l = &ci_buckets(z)[h.a % z->nbuckets];

	while (*l) {
		if (v[*l - 1].h.a == h.a && v[*l - 1].h.b == h.b) {
			if (link != NULL)
				*link = l;
			return (&v[*l - 1]);
		}
		l = &v[*l - 1].next;
	}
	return (NULL);
}

static void
ci_drop(struct ci_zone *z, const char *dir, struct ci_ent *e, uint32_t *link)
{
	if (e->mem != 0) {
		cm_free(ci_mem(z), e->mem);	/* an orphan while pinned */
		e->mem = 0;
		e->size = 0;
	} else if (dir != NULL && e->state == CI_VALID && !e->root)
		cs_unlink(dir, e->h);
	*link = e->next;
	ci_lru_unlink(z, e);
	z->bytes -= e->size < z->bytes ? e->size : z->bytes;
	z->count--;
	memset(e, 0, sizeof(*e));
	e->next = z->free_head;
	z->free_head = (uint32_t)(e - ci_ents(z)) + 1;
}

/* cache_mem.c evicts a chunk: its entry goes. */
static void
ci_mem_evict(void *arg, uint32_t owner)
{
	struct ci_zone	*z = arg;
	struct ci_ent	*e = &ci_ents(z)[owner - 1];
	uint32_t	*link;

	e->mem = 0;
	e->size = 0;
	if (ci_find(z, e->h, &link) == e)
		ci_drop(z, NULL, e, link);
}

/*
 * Evicts from the LRU tail until room (never a claim in progress, never
 * an object in memory being sent; objects in memory only when entries
 * are short, since they hold no disk space).
 */
static void
ci_make_room(struct ci_zone *z, const char *dir, uint64_t need)
{
	struct ci_ent	*v = ci_ents(z), *e;
	uint32_t	 i = z->lru_tail, *link;
	int		 n = 0;

	while (i && n++ < 10000 && (z->free_head == 0 ||
	    z->bytes + need > z->max_bytes)) {
		e = &v[i - 1];
		i = e->lprev;
		if (e->state == CI_FILLING || (e->mem != 0 &&
		    (z->free_head != 0 || cm_pinned(ci_mem(z), e->mem))))
			continue;
		if (ci_find(z, e->h, &link) == e)
			ci_drop(z, dir, e, link);
	}
}

static struct ci_ent *
ci_new(struct ci_zone *z, const char *dir, struct cache_hash h)
{
	struct ci_ent	*e;
	uint32_t	*b;

	if (z->free_head == 0)
		ci_make_room(z, dir, 0);
	if (z->free_head == 0)
		return (NULL);
	e = &ci_ents(z)[z->free_head - 1];
	z->free_head = e->next;
	memset(e, 0, sizeof(*e));
	e->h = h;
	b = &ci_buckets(z)[h.a % z->nbuckets];
	e->next = *b;
	*b = (uint32_t)(e - ci_ents(z)) + 1;
	ci_lru_front(z, e);
	z->count++;
	return (e);
}

/*
 * An object in memory, for a hit: pinned for this process (out->mem_ref
 * says to unpin), or copied into a when every pin slot is taken.
 */
static void
ci_get_mem(struct ci_zone *z, struct ci_ent *e, struct ci_info *out,
    struct pt_arena *a)
{
	size_t	 len;
	void	*p = cm_data(ci_mem(z), e->mem, &len);

	cm_touch(ci_mem(z), e->mem);
	out->size = len;
	if (cm_pin(ci_mem(z), e->mem, ci_pid()) == 0) {
		out->mem = p;
		out->mem_ref = e->mem;
	} else if ((out->mem = pt_alloc(a, len)) != NULL)
		memcpy(out->mem, p, len);
}

int
ci_get(struct ci_zone *z, struct cache_hash h, struct ci_info *out,
    bool touch, struct pt_arena *a)
{
	struct ci_ent	*e;

	memset(out, 0, sizeof(*out));
	if (ci_lock(z) != 0)
		return (-1);
	if ((e = ci_find(z, h, NULL)) != NULL) {
		out->state = e->state;
		out->root = e->root;
		out->size = e->size;
		memcpy(out->vary, e->vary, sizeof(out->vary));
		if (e->state == CI_PASS && e->until_ms < ci_now_ms())
			out->state = CI_FREE;
		if (touch && e->state == CI_VALID) {
			e->last_ms = ci_now_ms();
			ci_lru_unlink(z, e);
			ci_lru_front(z, e);
		}
		out->in_mem = e->mem != 0 && e->state == CI_VALID;
		if (out->in_mem && a != NULL)
			ci_get_mem(z, e, out, a);
	}
	pt_mutex_unlock(&z->lock);
	return (e != NULL ? 0 : -1);
}

static bool
ci_claim_stale(const struct ci_ent *e, int64_t now)
{
	return (e->until_ms < now || (kill(e->pid, 0) == -1 && errno == ESRCH));
}

/* Waits for a change; false when the deadline passed. */
static bool
ci_wait(struct ci_zone *z, const struct timespec *until)
{
	int	rc = pthread_cond_timedwait(&z->cond, &z->lock.m, until);

	if (rc == EOWNERDEAD) {
		pthread_mutex_consistent(&z->lock.m);
		ci_rebuild(z);
	}
	return (rc != ETIMEDOUT);
}

enum ci_claim
ci_claim(struct ci_zone *z, struct cache_hash h, long long wait_ms,
    long long fill_ms)
{
	struct timespec	 until;
	struct ci_ent	*e;
	enum ci_claim	 rc;
	int64_t		 now;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (wait_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	if (ci_lock(z) != 0)
		return (CI_TIMEOUT);
	for (;;) {
		now = ci_now_ms();
		e = ci_find(z, h, NULL);
		if (e != NULL && e->state == CI_VALID) {
			rc = CI_READY;
			break;
		}
		if (e != NULL && e->state == CI_PASS && e->until_ms >= now) {
			rc = CI_GO_PASS;
			break;
		}
		if (e == NULL || e->state != CI_FILLING ||
		    ci_claim_stale(e, now)) {
			if (e == NULL && (e = ci_new(z, NULL, h)) == NULL) {
				rc = CI_TIMEOUT;
				break;
			}
			e->state = CI_FILLING;
			e->root = 0;
			e->pid = ci_pid();
			e->until_ms = now + fill_ms;
			e->last_ms = now;
			rc = CI_CLAIMED;
			break;
		}
		if (!ci_wait(z, &until)) {
			rc = CI_TIMEOUT;
			break;
		}
	}
	pt_mutex_unlock(&z->lock);
	return (rc);
}

void
ci_set(struct ci_zone *z, const char *dir, struct cache_hash h, int state,
    uint64_t size, const char *vary, long long ms)
{
	struct ci_ent	*e;
	uint32_t	*link;

	if (ci_lock(z) != 0)
		return;
	e = ci_find(z, h, &link);
	if (state == CI_FREE) {
		if (e != NULL)
			ci_drop(z, NULL, e, link);
	} else {
		if (state == CI_VALID && size > 0)
			ci_make_room(z, dir, size);
		if (e == NULL)
			e = ci_new(z, dir, h);
		if (e != NULL && e->mem != 0) {	/* now in a file */
			cm_free(ci_mem(z), e->mem);
			e->mem = 0;
			e->size = 0;
		}
		if (e != NULL) {
			z->bytes -= e->size < z->bytes ? e->size : z->bytes;
			e->state = (uint8_t)state;
			e->root = vary != NULL && vary[0] != '\0' && size == 0;
			snprintf(e->vary, sizeof(e->vary), "%s",
			    vary != NULL ? vary : "");
			e->size = state == CI_VALID ? size : 0;
			z->bytes += e->size;
			e->last_ms = ci_now_ms();
			e->until_ms = e->last_ms + ms;
		}
	}
	pthread_cond_broadcast(&z->cond);
	pt_mutex_unlock(&z->lock);
}

bool
ci_remove(struct ci_zone *z, const char *dir, struct cache_hash h)
{
	struct ci_ent	*e;
	uint32_t	*link;
	bool		 had;

	if (ci_lock(z) != 0)
		return (false);
	if ((had = (e = ci_find(z, h, &link)) != NULL &&
	    e->state != CI_FILLING))
		ci_drop(z, NULL, e, link);
	pt_mutex_unlock(&z->lock);
	return (cs_unlink(dir, h) || had);
}

void
ci_expire(struct ci_zone *z, const char *dir, long long inactive_ms)
{
	struct ci_ent	*v, *e;
	uint32_t	 i, *link;
	int64_t		 now = ci_now_ms();
	int		 n = 0;

	if (ci_lock(z) != 0)
		return;
	v = ci_ents(z);
	for (i = z->lru_tail; i && n++ < 1000; ) {
		e = &v[i - 1];
		i = e->lprev;
		if (e->state == CI_FILLING || e->last_ms + inactive_ms > now)
			continue;
		if (ci_find(z, e->h, &link) == e)
			ci_drop(z, dir, e, link);
	}
	ci_make_room(z, dir, 0);
	pt_mutex_unlock(&z->lock);
}

void
ci_stats(struct ci_zone *z, uint64_t *count, uint64_t *bytes)
{
	if (ci_lock(z) != 0)
		return;
	*count = z->count;
	*bytes = z->bytes;
	pt_mutex_unlock(&z->lock);
}

void
ci_purge_gens(struct ci_zone *z, uint64_t *seen, uint64_t *swept)
{
	*seen = __atomic_load_n(&z->purge_seen, __ATOMIC_ACQUIRE);
	*swept = __atomic_load_n(&z->purge_swept, __ATOMIC_ACQUIRE);
}

static void
ci_raise(uint64_t *p, uint64_t v)
{
	uint64_t	old = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (old < v && !__atomic_compare_exchange_n(p, &old, v, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		;
}

void
ci_purge_raise(struct ci_zone *z, uint64_t seen, uint64_t swept)
{
	ci_raise(&z->purge_seen, seen);
	ci_raise(&z->purge_swept, swept);
}

int
ci_job_push(struct ci_zone *z, const struct ci_job *j)
{
	struct ci_job	*v;
	int		 i, rc = -1;

	if (ci_lock(z) != 0)
		return (-1);
	v = ci_jobs(z);
	for (i = 0; i < CI_JOBS; i++)
		if (!v[i].used) {
			memcpy(&v[i], j, offsetof(struct ci_job, req) + j->len);
			v[i].used = 1;
			__atomic_add_fetch(&z->njobs, 1, __ATOMIC_RELEASE);
			rc = 0;
			break;
		}
	pt_mutex_unlock(&z->lock);
	return (rc);
}

bool
ci_job_take(struct ci_zone *z, struct ci_job *out)
{
	struct ci_job	*v;
	int		 i;
	bool		 got = false;

	if (__atomic_load_n(&z->njobs, __ATOMIC_ACQUIRE) == 0 ||
	    ci_lock(z) != 0)
		return (false);
	v = ci_jobs(z);
	for (i = 0; i < CI_JOBS && !got; i++)
		if (v[i].used) {
			memcpy(out, &v[i], offsetof(struct ci_job, req) +
			    v[i].len);
			v[i].used = 0;
			__atomic_sub_fetch(&z->njobs, 1, __ATOMIC_RELEASE);
			got = true;
		}
	pt_mutex_unlock(&z->lock);
	return (got);
}

/*
 * Stores a small object's record (the file format, in iov) in memory as
 * h's entry; -1 when memory is off or nothing could be freed for it (the
 * caller writes a file instead). A file h had is removed.
 */
int
ci_store_mem(struct ci_zone *z, const char *dir, struct cache_hash h,
    const struct iovec *iov, int n, size_t len)
{
	struct ci_ent	*e;
	uint32_t	 ref, idx;
	bool		 had_file = false;
	char		*p;
	int		 i;

	if (ci_mem(z) == NULL || len > CM_MAX_RECORD || ci_lock(z) != 0)
		return (-1);
	if ((e = ci_find(z, h, NULL)) == NULL)
		e = ci_new(z, dir, h);
	if (e == NULL) {
		pt_mutex_unlock(&z->lock);
		return (-1);
	}
	if (e->mem != 0)
		cm_free(ci_mem(z), e->mem);
	else if (e->state == CI_VALID && !e->root) {
		had_file = true;
		z->bytes -= e->size < z->bytes ? e->size : z->bytes;
	}
	e->mem = 0;
	e->size = 0;
	idx = (uint32_t)(e - ci_ents(z)) + 1;
	if ((ref = cm_alloc(ci_mem(z), len, idx, ci_mem_evict, z)) == 0) {
		if (e->state == CI_VALID)	/* its old body is gone */
			e->state = CI_FREE;
	} else {
		for (p = cm_data(ci_mem(z), ref, NULL), i = 0; i < n; i++) {
			memcpy(p, iov[i].iov_base, iov[i].iov_len);
			p += iov[i].iov_len;
		}
		e->mem = ref;
		e->size = len;
		e->state = CI_VALID;
		e->root = 0;
		e->vary[0] = '\0';
		e->last_ms = ci_now_ms();
		e->until_ms = e->last_ms;
	}
	if (e->state == CI_FREE) {
		uint32_t	*link;

		if (ci_find(z, h, &link) == e)
			ci_drop(z, NULL, e, link);
	}
	pthread_cond_broadcast(&z->cond);
	pt_mutex_unlock(&z->lock);
	if (had_file && dir != NULL)
		cs_unlink(dir, h);
	return (ref != 0 ? 0 : -1);
}

void
ci_unpin(struct ci_zone *z, uint32_t ref)
{
	if (ref == 0 || ci_lock(z) != 0)
		return;
	cm_unpin(ci_mem(z), ref, ci_pid());
	pt_mutex_unlock(&z->lock);
}

static bool
ci_pid_alive(int32_t pid)
{
	return (kill(pid, 0) == 0 || errno != ESRCH);
}

int
ci_repair_pins(struct ci_zone *z)
{
	int	n;

	if (ci_mem(z) == NULL || ci_lock(z) != 0)
		return (0);
	n = cm_repair_pins(ci_mem(z), ci_pid_alive);
	pt_mutex_unlock(&z->lock);
	if (n > 0)
		PT_LOG(PT_LOG_NOTICE, "cache: %d pins of exited processes "
		    "cleared", n);
	return (n);
}

void
ci_mem_stats(struct ci_zone *z, uint64_t *used, uint64_t *count)
{
	*used = *count = 0;
	if (ci_mem(z) == NULL || ci_lock(z) != 0)
		return;
	cm_stats(ci_mem(z), used, count);
	pt_mutex_unlock(&z->lock);
}

int
ci_mem_each(struct ci_zone *z, ci_mem_fn fn, void *arg)
{
	struct ci_ent		*e;
	struct cache_hash	 h;
	uint32_t		 i;
	size_t			 len;
	char			*copy;
	int			 n = 0;

	for (i = 0; ci_mem(z) != NULL && i < z->nents; i++) {
		if (ci_lock(z) != 0)
			break;
		e = &ci_ents(z)[i];
		copy = NULL;
		if (e->state == CI_VALID && e->mem != 0) {
			const void *p = cm_data(ci_mem(z), e->mem, &len);

			if ((copy = malloc(len)) != NULL)
				memcpy(copy, p, len);
			h = e->h;
		}
		pt_mutex_unlock(&z->lock);
		if (copy != NULL && fn(arg, h, copy, len))
			n++;
		free(copy);
	}
	return (n);
}
