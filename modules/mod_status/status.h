/*
 * mod_status's private header: the counters segment (status_counters.c),
 * text helpers (status_text.c), the snapshot and its three renderings
 * (status_view.c, status_render.c, status_prom.c) and runtime control
 * (status_control.c). status_counters.c and status_text.c are pure: they
 * include no hook header, so t/unit/test_status.c links them alone.
 */
#ifndef MOD_STATUS_H
#define MOD_STATUS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <portier/types.h>
#include <portier/conf.h>
#include <portier/status.h>
#include <portier/tunnel.h>

struct pt_arena;

/* --- status_conf.c: the status group ------------------------------------ */

struct st_conf {
	bool			 enable;	/* route: this route is the page */
	struct pt_strlist	 allow;		/* client addresses and ranges */
	bool			 control;	/* POST may change upstreams */
	/* Not a directive: the counters segment, in the global block only
	 * (set by post_config, read by child_init and the helper). */
	void			*seg;
};

extern const struct pt_directive st_directives[];

/* --- status_counters.c: the segment ------------------------------------ */

/*
 * Latency histogram bounds in microseconds (Prometheus "le"), fixed so
 * that series can be summed across servers, routes and restarts.
 */
#define ST_NBOUNDS	14
#define ST_NBUCKETS	(ST_NBOUNDS + 1)	/* the last is +Inf */
extern const long long	st_bounds_us[ST_NBOUNDS];

/* Status classes: 1xx to 5xx, and none (closed or taken over unanswered). */
enum { ST_CLS_1XX, ST_CLS_2XX, ST_CLS_3XX, ST_CLS_4XX, ST_CLS_5XX,
	ST_CLS_NONE, ST_NCLS };
extern const char *const st_cls_names[ST_NCLS];

/* Exact statuses 100-599; index 0 counts everything else (none). */
#define ST_NCODES	600

/*
 * One server-and-route cell of one slot's area. 24 words, three cache
 * lines; a request touches at most three of them and one code word.
 */
struct st_cell {
	uint64_t	 cls[ST_NCLS];		/* requests by status class */
	uint64_t	 bytes_in, bytes_out;
	uint64_t	 dur_us;		/* sum of durations */
	uint64_t	 bucket[ST_NBUCKETS];	/* not cumulative */
};

/*
 * What the segment is laid out for. Cells: each server's routes, then
 * one for its requests that matched no route; after all servers, one for
 * requests with no server.
 */
struct st_layout {
	unsigned int	 nslots;	/* scoreboard slots; one more area is
					   kept for processes without a slot */
	size_t		 nservers;
	const size_t	*nroutes;	/* per server */
	uint64_t	 hash;		/* of the labels: st_layout_hash() */
};

/* Where a process counts: its slot's area, and the cell map. */
struct st_writer {
	uint64_t	*codes;		/* ST_NCODES */
	struct st_cell	*cells;
	const uint32_t	*cell_base;	/* nservers + 1 */
	uint32_t	 nservers;
};

size_t		 st_seg_size(const struct st_layout *);
/* Lays out a fresh (zeroed) segment. */
void		 st_seg_init(void *seg, const struct st_layout *);
/* Whether a segment kept from an earlier load has this layout. */
bool		 st_seg_matches(const void *seg, const struct st_layout *);
uint32_t	 st_seg_ncells(const void *seg);
/* The area of slot (-1 or out of range: the shared spare area). */
void		 st_writer_init(void *seg, int slot, struct st_writer *);
/*
 * Counts one request. Each area has one writer (the worker in the slot),
 * so a relaxed load and store suffice: no lock prefix, no shared line.
 */
void		 st_count(const struct st_writer *, int server, int route,
		    int status, uint64_t in, uint64_t out, long long dur_us);
/* Sums every area that was ever written into cells (ncells) and codes. */
void		 st_seg_sum(const void *seg, struct st_cell *cells,
		    uint64_t *codes);
/* The cell a (server, route) pair counts in (for readers). */
uint32_t	 st_cell_index(const void *seg, int server, int route);
/* FNV-1a, seeded: the layout hash is built from labels and counts. */
uint64_t	 st_hash(const void *, size_t, uint64_t seed);
void		 st_cell_add(struct st_cell *to, const struct st_cell *from);
uint64_t	 st_cell_requests(const struct st_cell *);

/* --- status_text.c: buffers, escaping, queries, addresses --------------- */

/* A growing text in an arena; oom is set (the text is incomplete) past
 * 64 MiB or when the arena runs out. */
struct st_buf {
	struct pt_arena	*arena;
	char		*p;
	size_t		 len, cap;
	bool		 oom;
};

void		 st_buf_init(struct st_buf *, struct pt_arena *);
/* A buffer over mem that never grows (oom when full). */
void		 st_buf_fixed(struct st_buf *, char *mem, size_t cap);
void		 st_puts(struct st_buf *, const char *);
void		 st_putn(struct st_buf *, const char *, size_t);
void		 st_printf(struct st_buf *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
void		 st_html(struct st_buf *, const char *);	/* escaped */
void		 st_json(struct st_buf *, const char *);	/* "quoted" */
void		 st_label(struct st_buf *, const char *);	/* Prometheus */

/*
 * The value of name in an application/x-www-form-urlencoded query,
 * decoded into out: 1 found, 0 absent, -1 malformed or too long. A key
 * without '=' has the value "".
 */
int		 st_query_get(const char *q, size_t qlen, const char *name,
		    char *out, size_t outlen);
/* Whether addr (text) is in one of the entries ("10.0.0.0/8", "::1"). */
bool		 st_addr_allowed(const char *addr, const char *const *list,
		    size_t n);
/* Whether entry is a valid address or range. */
bool		 st_range_valid(const char *entry);

/* --- status_view.c: a snapshot of everything a page shows -------------- */

struct st_view {
	const struct pt_conf	*cf;
	time_t			 now;
	long long		 now_ms;	/* epoch ms */
	struct pt_status_server	 srv;
	bool			 have_srv;	/* false with -X */
	struct pt_tunnel_stats	 tun;
	bool			 have_tun;
	struct pt_status_slot	*slots;		/* the slots in use */
	unsigned int		*slot_ix;	/* their indexes */
	size_t			 nslots;
	unsigned int		 states[PT_WORKER_NSTATES]; /* workers by state */
	unsigned int		 old_workers;	/* older generations */
	struct st_cell		*cells;		/* summed over slots */
	uint32_t		 ncells;
	uint64_t		*codes;		/* ST_NCODES */
	struct st_cell		 total;
	const char		**srv_label;	/* unique per server */
	const void		*seg;
	const char		*metrics_href;	/* the page's link to metrics */
};

/* NULL when out of memory or when the module has no segment. */
struct st_view	*st_view_take(struct pt_arena *, const struct pt_conf *,
		    const void *seg);
/* The cell of server i, route j (j = nroutes: no route; i = nservers: none). */
const struct st_cell *st_view_cell(const struct st_view *, size_t i, size_t j);
/* fn for each route's cell, then no route and no server when they counted
 * (labels ""). */
void		 st_each_cell(struct st_buf *, const struct st_view *,
		    void (*fn)(struct st_buf *, const char *srv,
		    const char *route, const struct st_cell *));

/* --- status_render.c, status_prom.c ------------------------------------ */

void		 st_render_html(struct st_buf *, const struct st_view *);
void		 st_render_json(struct st_buf *, const struct st_view *);
void		 st_render_prom(struct st_buf *, const struct st_view *);

/* --- status_control.c --------------------------------------------------- */

/* "drain", "disable", "enable" to PT_ADMIN_*; -1 otherwise. */
int		 st_action(const char *);
/*
 * Runs one command line of the control socket against cf, appending the
 * answer (lines, each ending "\n", then an empty line) to out. Returns
 * false for "quit".
 */
bool		 st_control_line(const struct pt_conf *, const char *line,
		    struct st_buf *out);
/* The helper's periodic step over the control socket. */
long long	 st_control_step(const struct pt_conf *, long long now_ms);
/* One upstream server's state as a word: "up", "down", "drain", ... */
const char	*st_upstream_word(const struct pt_status_upstream *);

#endif /* MOD_STATUS_H */
