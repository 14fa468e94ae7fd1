/*
 * The hook registry behind include/portier/hooks.h: one per configuration,
 * filled by the modules' register_hooks, sorted once, then only read.
 */
#ifndef PT_HOOKS_PRIV_H
#define PT_HOOKS_PRIV_H

#include <stdio.h>
#include <portier/hooks.h>
#include <portier/upstream_io.h>

enum hook_id {
	H_POST_CONFIG, H_CHILD_INIT, H_CONNECTION, H_CONNECTION_CLOSE,
	H_POST_READ_REQUEST, H_TRANSLATE, H_FIXUPS, H_ACCESS, H_QUICK_HANDLER,
	H_HANDLER, H_LOG, H_PERIODIC, H_RESPONSE_FILTER, H_UPSTREAM_TRANSPORT,
	H_UPSTREAM_CHECK, H__COUNT
};

struct hook_entry {
	union {
		pt_conf_hook_fn			 conf;
		pt_init_hook_fn			 init;
		pt_conn_hook_fn			 conn;
		pt_request_hook_fn		 req;
		pt_periodic_fn			 periodic;
		pt_upstream_transport_fn	 upstream;
		const struct pt_filter_def	*filter;
	} u;
	int		 order;
	unsigned int	 seq;		/* registration order: ties */
	const char	*module;
};

struct hook_list {
	struct hook_entry	*v;
	size_t			 n, cap;
};

struct pt_hooks {
	struct pt_arena		*arena;
	struct hook_list	 l[H__COUNT];
	const char		*module;	/* the one registering now */
	const char		*failed;	/* the one whose hook failed */
	unsigned int		 seq;
};

/* A response filter's place in one request's chain. */
struct pt_filter {
	const struct pt_filter_def *def;
	struct pt_filter	*next;		/* NULL: the core's writer */
	void			*ctx;
	bool			 skip;		/* its head declined this body */
	bool			 same_length;	/* pt_filter_keep_length() */
};

struct pt_hooks	*hooks_new(struct pt_arena *);
void		 hooks_set_module(struct pt_hooks *, const char *);
/*
 * The core's own registrations, under the name "core", made before any
 * module's: the helper's periodic work (host-name re-resolution, then
 * active health checks).
 */
void		 hooks_core_register(struct pt_hooks *);
void		 hooks_sort(struct pt_hooks *);
const char	*hooks_failed_module(const struct pt_hooks *);
int		 hooks_run_post_config(struct pt_hooks *, struct pt_conf *);
int		 hooks_run_child_init(struct pt_hooks *, const struct pt_conf *);
/* All functions of a request hook; stops at a status or PT_DONE. */
int		 hooks_run_all(const struct pt_hooks *, enum hook_id,
		    struct pt_request *);
void		 hooks_run_log(const struct pt_hooks *, struct pt_request *);
/* upstream_transport: until the first that does not decline. */
int		 hooks_run_upstream(const struct pt_hooks *, struct pt_upstream *);
/* upstream_check (health checks in the helper): the same. */
int		 hooks_run_upstream_check(const struct pt_hooks *,
		    struct pt_upstream *);
/* Until the first that does not decline. */
int		 hooks_run_first(const struct pt_hooks *, enum hook_id,
		    struct pt_request *);
void		 hooks_run_conn(const struct pt_hooks *, enum hook_id,
		    struct pt_conn *);
/* The connection hook: PT_DONE when a module took the connection over. */
int		 hooks_run_conn_all(const struct pt_hooks *, struct pt_conn *);
bool		 hooks_has(const struct pt_hooks *, enum hook_id);
/* -t -v: the final order of every hook. */
void		 hooks_print(const struct pt_hooks *, FILE *);

/* module.c */
void		 module_load_all(struct pt_conf_ctx *);
int		 module_activate(struct pt_conf *, FILE *errs);

#endif /* PT_HOOKS_PRIV_H */
