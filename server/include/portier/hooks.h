/*
 * Hook registration. Each hook runs the registered functions in order
 * (FIRST runs first; ties go to load order). Results: PT_OK, PT_DECLINED,
 * PT_DONE (the connection was taken over or fully answered: the core
 * writes nothing more and does not loop for keep-alive), PT_ANSWERED (from
 * pt_req_answer(): stop and send that answer), or an HTTP status 300-599
 * (stop and answer with it).
 *
 *   hook               runs                      PT_OK means
 *   post_config        all (master)              config accepted
 *   child_init         all (worker, after setuid) ready; failure: exit
 *   connection         all                       go on
 *   post_read_request  all                       go on
 *   translate          all, server then route    path and route settled
 *   fixups             all, route final          go on
 *   access             all; each must allow      allowed
 *   quick_handler      until the first OK        answered; skip handler
 *   handler            until the first OK        answered
 *   response filters   a chain, FIRST nearest    -
 *                      the origin
 *   log                all, result ignored       -
 *   connection_close   all, result ignored       -
 *   periodic           all (helper process)      next deadline (ms)
 */
#ifndef PORTIER_HOOKS_H
#define PORTIER_HOOKS_H

#include <portier/types.h>

#define PT_ORDER_FIRST	(-20)
#define PT_ORDER_EARLY	(-10)
#define PT_ORDER_MIDDLE	0
#define PT_ORDER_LATE	10
#define PT_ORDER_LAST	20

typedef int	(*pt_conf_hook_fn)(struct pt_conf *);
typedef int	(*pt_init_hook_fn)(const struct pt_conf *);
typedef int	(*pt_conn_hook_fn)(struct pt_conn *);
typedef int	(*pt_request_hook_fn)(struct pt_request *);
/* Returns the delay in ms until it wants to run again. */
typedef long long (*pt_periodic_fn)(const struct pt_conf *, long long now_ms);

/*
 * A response filter sees the response head before it is sent (it may
 * change status and fields through request.h) and then the body as a
 * stream of buffers, the last one with eos set. It passes data on with
 * pt_filter_next(); a filter that holds data back must pass it all by eos.
 * A head function returns PT_OK, or PT_DECLINED to leave this response's
 * body alone: its body function is then not called for it, and when no
 * filter wants the body it keeps its Content-Length (and sendfile).
 */
struct pt_filter;
typedef int	(*pt_filter_head_fn)(struct pt_filter *, struct pt_request *);
typedef int	(*pt_filter_body_fn)(struct pt_filter *, struct pt_request *,
		    const void *buf, size_t len, bool eos);

struct pt_filter_def {
	const char		*name;
	pt_filter_head_fn	 head;	/* may be NULL */
	pt_filter_body_fn	 body;	/* NULL: the body passes untouched */
};

PT_API void	pt_hook_post_config(struct pt_hooks *, pt_conf_hook_fn, int order);
PT_API void	pt_hook_child_init(struct pt_hooks *, pt_init_hook_fn, int order);
PT_API void	pt_hook_connection(struct pt_hooks *, pt_conn_hook_fn, int order);
PT_API void	pt_hook_connection_close(struct pt_hooks *, pt_conn_hook_fn,
		    int order);
PT_API void	pt_hook_post_read_request(struct pt_hooks *, pt_request_hook_fn,
		    int order);
PT_API void	pt_hook_translate(struct pt_hooks *, pt_request_hook_fn, int order);
PT_API void	pt_hook_fixups(struct pt_hooks *, pt_request_hook_fn, int order);
PT_API void	pt_hook_access(struct pt_hooks *, pt_request_hook_fn, int order);
PT_API void	pt_hook_quick_handler(struct pt_hooks *, pt_request_hook_fn,
		    int order);
PT_API void	pt_hook_handler(struct pt_hooks *, pt_request_hook_fn, int order);
PT_API void	pt_hook_log(struct pt_hooks *, pt_request_hook_fn, int order);
PT_API void	pt_hook_periodic(struct pt_hooks *, pt_periodic_fn, int order);
PT_API void	pt_hook_response_filter(struct pt_hooks *,
		    const struct pt_filter_def *, int order);

/* Passes (part of) the body to the next filter, or to the client. */
PT_API int	pt_filter_next(struct pt_filter *, struct pt_request *,
		    const void *buf, size_t len, bool eos);
/* Per-request state of a filter (NULL until set). */
PT_API void	*pt_filter_ctx(struct pt_filter *);
PT_API void	 pt_filter_set_ctx(struct pt_filter *, void *);
/*
 * From a head function that returns PT_OK: this filter passes the body on
 * byte for byte (it only watches it, as a cache store does), so when every
 * filter that wants the body says so, the response keeps its
 * Content-Length instead of going out chunked.
 */
PT_API void	 pt_filter_keep_length(struct pt_filter *);

#endif /* PORTIER_HOOKS_H */
