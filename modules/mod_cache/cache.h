/*
 * mod_cache, private: configuration blocks, zones at run time, and the
 * index (cache_index.c) and store (cache_store.c) interfaces the glue in
 * cache.c uses. RFC logic is apart, in cache_rfc.h.
 */
#ifndef CACHE_H
#define CACHE_H

#include <stdint.h>
#include <sys/types.h>
#include <portier/conf.h>
#include <portier/types.h>

struct cache_zone_conf {
	const char	*name;
	long long	 size;		/* bytes of bodies on disk */
	long long	 max_object;
	long long	 inactive;	/* ms */
	const char	*dir;
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
};

enum ci_claim { CI_CLAIMED, CI_READY, CI_GO_PASS, CI_TIMEOUT };

struct ci_zone	*ci_zone_setup(const char *name, long long size, bool *fresh);
int		 ci_get(struct ci_zone *, struct cache_hash, struct ci_info *,
		    bool touch);
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

/* Files (cache_store.c). */
struct cs_meta {
	int		 status;
	int64_t		 req_time, resp_time;	/* s */
	struct cache_hash primary;		/* for a variant; 0 otherwise */
	char		 vary[96];
	size_t		 nfields;
	const char	**names, **values;
	uint64_t	 body_len;
	off_t		 body_off;
	int		 fd;
};
struct cs_writer;

void	cache_hash_of(const char *s, size_t len, struct cache_hash *);
void	cs_path(const char *dir, struct cache_hash, char *out, size_t len);
/* Opens and checks a stored object; -1 missing or corrupt (dropped). */
int	cs_open(struct pt_arena *, const char *dir, struct cache_hash,
	    struct cs_meta *);
struct cs_writer *cs_begin(struct pt_arena *, const char *dir,
	    struct cache_hash, const struct cs_meta *);
int	cs_write(struct cs_writer *, const void *, size_t);
/* Renames into place; -1 on failure (the temporary file is removed). */
int	cs_commit(struct cs_writer *, uint64_t *size);
void	cs_abort(struct cs_writer *);
/* Rescans dir after a restart: valid files go back into the index. */
void	cs_rescan(struct ci_zone *, const char *dir);

#endif /* CACHE_H */
