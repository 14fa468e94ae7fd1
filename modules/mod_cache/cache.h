/*
 * mod_cache, private: configuration blocks, zones at run time, and the
 * index (cache_index.c) and store (cache_store.c) interfaces the glue in
 * cache.c uses. RFC logic is apart, in cache_rfc.h.
 */
#ifndef CACHE_H
#define CACHE_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <portier/conf.h>
#include <portier/types.h>
#include "cache_rfc.h"

struct cache_zone_conf {
	const char	*name;
	long long	 size;		/* bytes of bodies on disk */
	long long	 max_object;
	long long	 inactive;	/* ms */
	const char	*dir;
	long long	 memory;	/* bytes for small objects; 0: off */
	long long	 memory_max_object;
};

struct cache_conf {
	struct cache_zone_conf	*zones;		/* global only */
	size_t			 nzones;
	const char		*zone;		/* route: "" = off */
	const char		*key;		/* variables template */
	bool			 status_header;	/* Cache-Status */
	bool			 x_cache;
	long long		 lock_timeout;	/* ms, request collapsing */
	long long		 heuristic_max;	/* ms */
	long long		 stale_unreachable;	/* ms, 0: never */
	struct pt_strlist	 purge_allow;
	const char		*target_field;	/* e.g. Portier-Cache-Control */
};

extern const struct pt_directive	cache_directives[];

/* The index in shared memory (cache_index.c). */
struct ci_zone;

struct cache_hash {
	uint64_t	 a, b;
};

enum ci_state { CI_FREE, CI_FILLING, CI_VALID, CI_PASS };

struct ci_info {
	int		 state;
	bool		 root;		/* a Vary root: see vary */
	char		 vary[96];	/* lowercase names, comma separated */
	uint64_t	 size;
	bool		 in_mem;	/* the body is in memory */
	void		*mem;		/* the record, for a hit */
	uint32_t	 mem_ref;	/* pinned: ci_unpin() it */
};

enum ci_claim { CI_CLAIMED, CI_READY, CI_GO_PASS, CI_TIMEOUT };

struct ci_zone	*ci_zone_setup(const char *name, long long size,
		    long long mem, bool *fresh);
/*
 * Looks h up. With a (hits), an object in memory comes back in out->mem,
 * pinned until ci_unpin(out->mem_ref) (or copied into a).
 */
int		 ci_get(struct ci_zone *, struct cache_hash, struct ci_info *,
		    bool touch, struct pt_arena *a);
void		 ci_unpin(struct ci_zone *, uint32_t ref);
/* In each worker: its process id, for claims and pins. */
void		 ci_child_init(void);
/* This process's id without a system call (kept by ci_child_init). */
int32_t		 ci_pid(void);
enum ci_claim	 ci_claim(struct ci_zone *, struct cache_hash, long long wait_ms,
		    long long fill_ms);
/* Ends a claim or stores: state CI_VALID, CI_PASS (for ms) or CI_FREE. */
void		 ci_set(struct ci_zone *, const char *dir, struct cache_hash,
		    int state, uint64_t size, const char *vary, long long ms);
/* Removes an entry; true if one was there. Its file is unlinked. */
bool		 ci_remove(struct ci_zone *, const char *dir, struct cache_hash);
/* Housekeeping: inactive entries and size; bounded work. */
void		 ci_expire(struct ci_zone *, const char *dir, long long inactive_ms);
void		 ci_stats(struct ci_zone *, uint64_t *count, uint64_t *bytes);
/* Small objects in memory (cache_mem.c), see ci_get. */
struct iovec;
int		 ci_store_mem(struct ci_zone *, const char *dir,
		    struct cache_hash, const struct iovec *, int n, size_t len);
/* Helper: pins of processes that exited; how many were cleared. */
int		 ci_repair_pins(struct ci_zone *);
void		 ci_mem_stats(struct ci_zone *, uint64_t *used, uint64_t *count);
/* Calls fn with a copy of each record in memory; fn true: removed. */
typedef bool	(*ci_mem_fn)(void *arg, struct cache_hash, const void *rec,
		    size_t len);
int		 ci_mem_each(struct ci_zone *, ci_mem_fn, void *arg);
/*
 * Purge generations (cache_purge.c): seen, the last purge rule this host
 * knows; swept, the last one applied to the zone's files. Setting raises
 * (0 leaves a value alone).
 */
void		 ci_purge_gens(struct ci_zone *, uint64_t *seen, uint64_t *swept);
void		 ci_purge_raise(struct ci_zone *, uint64_t seen, uint64_t swept);

/*
 * Background revalidations (stale-while-revalidate) queued by workers for
 * the helper process (cache_swr.c): a request head to send to the local
 * listener at addr; lock is the key's revalidation claim.
 */
#define CI_JOBS		32
#define CI_JOB_MAX	4096
struct ci_job {
	struct cache_hash	 lock;
	struct sockaddr_storage	 addr;
	uint32_t		 used, len;
	char			 req[CI_JOB_MAX];
};
/* 0 queued, -1 when the queue is full. */
int		 ci_job_push(struct ci_zone *, const struct ci_job *);
bool		 ci_job_take(struct ci_zone *, struct ci_job *);

/* Files (cache_store.c). */
struct cs_meta {
	int		 status;
	int64_t		 req_time, resp_time;	/* s */
	int64_t		 req_ms;		/* purges: stored before a rule */
	const char	*key;			/* the primary key */
	struct cache_hash primary;		/* for a variant; 0 otherwise */
	char		 vary[96];
	size_t		 nfields;
	const char	**names, **values;
	uint64_t	 body_len;
	off_t		 body_off;
	const char	*body_mem;		/* small: the body, read */
	int		 fd;
};
struct cs_writer;

void	cache_hash_of(const char *s, size_t len, struct cache_hash *);
void	cs_path(const char *dir, struct cache_hash, char *out, size_t len);
/*
 * Removes an object's file and the compressed forms mod_deflate kept
 * beside it (FILE.gzip, .br, .zstd); true when the file was there.
 */
bool	cs_unlink(const char *dir, struct cache_hash);
/*
 * Opens and checks a stored object; -1 missing or corrupt (dropped). With
 * the file's size from the index, a small one is read whole in one go.
 */
int	cs_open(struct pt_arena *, const char *dir, struct cache_hash,
	    uint64_t size_hint, struct cs_meta *);
/* A record in memory (ci_get's out->mem), read like a file: fd -1. */
int	cs_open_mem(struct pt_arena *, const void *rec, size_t len,
	    struct cache_hash, struct cs_meta *);
/*
 * A writer for h. With ix, a body of up to mem_max bytes goes to the
 * zone's memory at commit, no file made; larger ones (or when memory is
 * full) to a file created when needed.
 */
struct cs_writer *cs_begin(struct pt_arena *, const char *dir,
	    struct cache_hash, const struct cs_meta *, struct ci_zone *ix,
	    uint64_t mem_max);
int	cs_write(struct cs_writer *, const void *, size_t);
/*
 * Stores the object: in memory (*in_mem, the entry made valid) or renamed
 * into place as a file; -1 on failure (the temporary file is removed).
 */
int	cs_commit(struct cs_writer *, uint64_t *size, bool *in_mem);
/*
 * Helper: removes temporary files of writers that exited (the pid in
 * their name) or older than max_age_s; how many.
 */
int	cs_tmp_sweep(const char *dir, long long max_age_s);
void	cs_abort(struct cs_writer *);
/* Rescans dir after a restart: valid files go back into the index. */
void	cs_rescan(struct ci_zone *, const char *dir);
/*
 * Calls fn with each stored object's hash, primary key, tags (the values
 * of Surrogate-Key and Cache-Tag, space separated) and request time in ms;
 * fn returns true when it removed the object. Returns how many it did.
 */
typedef bool	(*cs_scan_fn)(void *arg, struct cache_hash h, const char *key,
		    const char *tags, int64_t req_ms);
int	cs_scan(const char *dir, cs_scan_fn fn, void *arg);
/* The same for one record in memory (a ci_mem_fn's arguments). */
bool	cs_scan_record(const void *rec, size_t len, cs_scan_fn fn, void *arg);

/* cache.c and cache_filter.c: the request's state between the two. */
#define CACHE_PASS_MS	3000	/* an uncacheable answer: later misses pass */

struct pt_arena;
struct pt_filter;
struct pt_request;

/* A purge rule, as a worker keeps it (cache_purge.c). */
struct cp_rule {
	uint64_t	 gen;
	int64_t		 ms;		/* objects stored before it go */
	char		 kind;		/* 'k' key, 'p' prefix, 't' tag */
	char		*pat;
};

struct cp_rules {
	bool		 init;
	uint64_t	 gen;		/* last rule read */
	struct cp_rule	*v;
	size_t		 n, cap;
};

struct cache_zone {
	const struct cache_zone_conf	*zc;
	char				 name[64];
	char				 dir[400];
	struct ci_zone			*ix;
	bool				 write_failed;	/* logged once */
	struct cp_rules			 rules;		/* worker */
	uint64_t			 stuck_gen;	/* helper */
	int64_t				 stuck_since;
	long long			 tmp_swept;	/* helper, ms */
};

enum cache_mode { CM_NONE, CM_MISS, CM_VALIDATE, CM_SERVED, CM_UNSAFE };

struct cache_ctx {
	const struct cache_conf	*cf;
	struct cache_zone	*z;
	enum cache_mode		 mode;
	const char		*key;
	struct cache_hash	 primary, h;	/* h: variant or primary */
	struct cache_hash	 claim_h, store_h;
	char			 vary[96];	/* of the response being stored */
	bool			 claimed;	/* we hold the fill claim */
	bool			 revalidate;	/* the helper's request (swr) */
	bool			 swr_locked;	/* we hold the revalidation claim */
	struct cache_hash	 swr_lock;
	bool			 no_store;	/* request said no-store */
	bool			 head;
	struct cache_cc		 req_cc;
	bool			 pragma;
	int64_t			 req_time;
	int64_t			 req_ms;
	const char		*tags;		/* of the response being stored */
	struct cs_meta		 stale;		/* CM_VALIDATE: the entry */
	bool			 has_stale;
	struct pt_str		 c_inm, c_ims;	/* the client's conditionals */
	struct pt_str		 range;		/* the client's Range */
	struct cs_writer	*w;
	uint64_t		 written;
	const char		*status;	/* Cache-Status parameters */
};

extern struct pt_arena	*cache_arena;	/* the request being handled */

/* cache.c, for the store filter. */
int64_t		 now_s(void);
void		 cache_resp_cc(const struct cache_conf *cf,
		    const char *(*get)(const void *, const char *),
		    const void *src, struct cache_cc *cc);
const char	*get_meta(const void *mv, const char *name);
const char	*meta_field(const struct cs_meta *m, const char *name);
int64_t		 date_of(const char *v);
void		 cache_meta_resp(const struct cache_conf *cf,
		    const struct cs_meta *m, struct cache_resp *rs);
struct cache_hash cache_vary_hash(struct pt_request *r, const char *key,
		    const char *vary);
void		 cache_set_status(struct pt_request *r, struct cache_ctx *x,
		    const char *st);
const void	*cache_body(struct pt_request *r, struct cs_meta *m);
bool		 cache_client_304(struct pt_request *r, struct cache_ctx *x,
		    const struct cs_meta *m);
bool		 cache_field_private(const struct cache_conf *cf, const char *n);
void		 cache_fields_out(struct pt_request *r,
		    const struct cache_conf *cf, const struct cs_meta *m,
		    int64_t age);
int64_t		 cache_age(const struct cs_meta *m, const struct cache_resp *rs);

/* cache_serve.c: a stored response goes out (quick_handler). */
int		 cache_serve(struct pt_request *r, struct cache_ctx *x,
		    struct cs_meta *m, int64_t age, const char *st);

/* cache_purge.c */
int64_t		 now_ms(void);
int		 cache_purge(struct pt_request *r, struct cache_ctx *x);
/* The tags of stored fields or of a response: NULL when none. */
const char	*cache_tags(struct pt_arena *a, const char *(*get)(const void *,
		    const char *), const void *src);
const char	*cache_tags_of(struct pt_arena *a, const char *skey,
		    const char *ctag);
/* True when a purge rule newer than req_ms removes this object. */
bool		 cache_purged(struct cache_zone *z, int64_t req_ms,
		    const char *key, const char *tags, int64_t obj_ms);
/* Helper process: publishes new rules and applies them to the files. */
void		 cache_purge_sweep(struct cache_zone *z);

/* cache_swr.c */
void		 cache_swr_init(void);
bool		 cache_swr_is_job(struct pt_request *r);
int		 cache_swr_queue(struct pt_request *r, struct cache_ctx *x,
		    const char *vary, struct cache_hash lock);
void		 cache_swr_dispatch(struct cache_zone *z, long long now);
bool		 cache_swr_poll(long long now);

/* cache_filter.c */
void		 cache_release(struct cache_ctx *x, int state, long long ms);
int		 cache_body_fn(struct pt_filter *f, struct pt_request *r,
		    const void *buf, size_t len, bool eos);
int		 cache_head(struct pt_filter *f, struct pt_request *r);

#endif /* CACHE_H */
