/*
 * The parsed configuration as the core uses it. conf.c loads it from
 * libconfig files through the directive tables in conf_core.c; a new one
 * is built whole on every (re)load and swapped in, never patched.
 */
#ifndef PT_CONF_H
#define PT_CONF_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <portier/conf.h>
#include "cidr.h"

struct conf_listen {
	const char		*text;		/* as configured: "127.0.0.1:8080" */
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	const char		*file;		/* where it was configured */
	int			 line;
};

struct conf_error_page {
	int			 status;
	const char		*file;		/* absolute path */
};

/* Reverse proxy settings of a route (inherited global -> server -> route). */
struct conf_proxy {
	bool			 strip_prefix;	/* drop the route's path prefix */
	const char		*prefix;	/* then prepend this ("" = none) */
	long long		 send_timeout_ms;
	long long		 read_timeout_ms;
	bool			 buffering;	/* read the response ahead */
	bool			 request_buffering; /* read the body ahead */
	long long		 buffer_size;	/* in memory */
	long long		 buffer_max_temp; /* then a temp file, up to this */
	bool			 forwarded_for;	/* X-Forwarded-For/-Proto/-Host */
	bool			 forwarded;	/* RFC 7239 Forwarded */
	bool			 via;		/* Via: 1.1 portier */
	bool			 pass_server;	/* keep the upstream's Server field */
	bool			 redirect_rewrite; /* Location etc. to the public URL */
	bool			 websocket;	/* Upgrade requests allowed */
};

/*
 * Access control (conf_access.c): ordered allow/deny rules, first match
 * wins; and Basic authentication against an htpasswd file (auth.h).
 */
struct conf_access_rule {
	bool			 allow;		/* else deny */
	bool			 all;		/* "all": any address */
	struct cidr_list	 addrs;
	const char		*file;		/* where it was configured */
	int			 line;
};

struct htpasswd;

struct conf_auth {
	const char		*realm;		/* quoted in WWW-Authenticate */
	const char		*file;		/* absolute path of the htpasswd */
	long long		 cache_ms;	/* verified credentials; 0 = off */
	struct htpasswd		*users;		/* loaded with the configuration */
};

/* Directives valid at global, server and route scope, inherited downward. */
struct core_scope {
	const char		*root;		/* static files folder; NULL = none */
	struct pt_strlist	 index;		/* index file names */
	bool			 symlinks;	/* follow symlinks leaving root */
	const char		*access_log;	/* path, or NULL/"off" */
	const char		*access_log_format; /* "combined", "json" or a format */
	const char		*server_header;	/* Server value; "" hides it */
	struct conf_error_page	*error_pages;	/* CUSTOM list */
	size_t			 nerror_pages;
	int			 log_level;	/* enum pt_log_level */
	struct conf_proxy	 proxy;		/* "proxy = { ... }" */
	struct conf_access_rule	*access;	/* CUSTOM list; none = allow */
	size_t			 naccess;
	const struct conf_auth	*auth;		/* NULL: no authentication */
};

struct conf_upstream;
struct rx;

/* How a route matches the normalised path (route_match.c). */
enum route_kind { ROUTE_PREFIX, ROUTE_EXACT, ROUTE_REGEX };

/* A header or cookie a route requires (conf_route.c). */
struct conf_field_cond {
	const char		*name;
	const char		*var;		/* "header.X-Env", "cookie.ab" */
	size_t			 varlen;
	const char		*value;		/* as configured, or NULL */
	struct rx		*rx;		/* value was "~regex": this */
	bool			 present;	/* no value: there (true) or not */
};

/* return = { status; location; body; type; }: the route answers itself. */
struct conf_return {
	int			 status;	/* 0: the route does not */
	const char		*location;	/* with %{variables}, or NULL */
	const char		*body;		/* with %{variables}, or NULL */
	const char		*type;		/* of body */
};

struct conf_route {
	/*
	 * What the route matches, for logs, %{route} and messages: the
	 * prefix, the exact path, or "~" and the regex. Never NULL.
	 */
	const char		*path;
	size_t			 path_len;	/* bytes strip_prefix drops; 0 for a regex */
	enum route_kind		 kind;
	const char		*prefix;	/* path = "/api/", as configured */
	const char		*exact;		/* exact = "/login" */
	const char		*regex;		/* regex = "^/img/" */
	struct rx		*rx;
	/* Conditions, all of which must hold; none = always. */
	struct pt_strlist	 methods;
	struct cidr_list	 client;
	struct conf_field_cond	*headers;
	size_t			 nheaders;
	struct conf_field_cond	*cookies;
	size_t			 ncookies;
	bool			 has_conds;
	struct conf_return	 ret;
	const char		*upstream_name;	/* proxy to this pool, or NULL */
	struct conf_upstream	*upstream;	/* resolved after the parse */
	struct core_scope	 sc;
	void			**mod_conf;	/* per loaded module */
	const char		*file;
	int			 line;
};

/* One of a server's names, classified at load (conf_route.c). */
enum host_kind { HOST_EXACT, HOST_WILDCARD, HOST_REGEX };

struct conf_host {
	enum host_kind		 kind;
	const char		*name;		/* lowercase, no trailing dot; a
						   wildcard keeps ".example.com" */
	size_t			 len;
	struct rx		*rx;
};

struct conf_server {
	struct conf_listen	*listen;
	size_t			 nlisten;
	struct cidr_list	 proxy_protocol_from; /* must send PROXY first */
	struct pt_strlist	 names;		/* Host names; empty = any */
	struct conf_host	*hosts;		/* names, classified */
	size_t			 nhosts;
	bool			 is_default;	/* default = true; */
	struct conf_route	*routes;
	size_t			 nroutes;
	struct core_scope	 sc;
	void			**mod_conf;
	const char		*file;
	int			 line;
	/* forward_proxy = { ... } (conf_forward.c, forward.h); NULL: none. */
	const struct conf_forward *forward;
};

struct conf_workers {
	long long		 start, min_spare, max_spare, max;
	long long		 max_requests;	/* 0 = unlimited */
};

struct conf_limits {
	long long		 line, field, fields, body;
	long long		 conns_per_client;	/* 0 = unlimited */
	long long		 tunnels_max;		/* the tunnel process's streams */
	long long		 tunnels_per_client;	/* ...from one address */
};

struct conf_timeouts {		/* all in ms */
	long long		 head, body, keepalive, send;
	long long		 tunnel_idle;	/* no byte either way: close */
};

/* resolver = { ... }: name resolution (resolver.c). */
struct conf_resolver {
	struct pt_strlist	 servers;	/* "ip[:port]"; none: resolv.conf */
	const char		*hosts;		/* hosts file, read first */
	long long		 timeout_ms;	/* per try */
	long long		 tries;
	long long		 min_ttl_ms, max_ttl_ms;	/* positive answers */
	long long		 negative_ttl_ms;
};

struct pt_conf {
	struct pt_arena		*arena;
	const char		*file;		/* absolute path of the main file */
	const char		*user, *group;
	bool			 allow_root;	/* workers may run as root */
	const char		*pid_file;
	const char		*error_log;	/* path or "stderr" */
	int			 log_level;
	struct log_module_level	*log_modules;	/* conf_log.c */
	size_t			 nlog_modules;
	const char		*listen_report;	/* file to write bound addresses */
	const char		*control_socket; /* Unix socket path (control.c) */
	struct cidr_list	 trusted_proxies; /* their X-Request-ID is kept */
	const char		*request_id_header; /* "X-Request-ID" */
	long long		 rlimit_nofile;
	/* WebSocket streams over TLS terminated here relayed by their worker
	 * (proxy_response.c), at most, across all workers. */
	long long		 websocket_worker_max;
	long long		 store_size;	/* shared-memory store, bytes */
	const char		*mime_types;
	const char		*modules_dir;
	struct pt_strlist	 modules_load;
	struct conf_workers	 workers;
	struct conf_limits	 limits;
	struct conf_timeouts	 timeouts;
	struct conf_resolver	 resolver;
	struct core_scope	 sc;		/* defaults for servers and routes */
	struct conf_server	*servers;
	size_t			 nservers;
	struct conf_upstream	*upstreams;	/* conf_upstream.c */
	size_t			 nupstreams;

	/* Loaded modules, in modules.load order; mod_conf blocks index it. */
	const struct pt_module	**modules;
	size_t			 nmodules;
	void			**mod_conf;	/* global-scope blocks */
	struct pt_hooks		*hooks;		/* registered by the modules */
};

/* Command-line overrides (-u, -M); NULL fields leave the file's value. */
/* log_modules: one module's error log level. */
struct log_module_level {
	const char		*tag;		/* the module's name */
	int			 level;
};

struct conf_overrides {
	const char		*user;
	const char		*modules_dir;
	/*
	 * Loads the modules the configuration names (module.c), before any
	 * scope is parsed, so their groups are known; NULL: none (unit tests).
	 */
	void			(*load_modules)(struct pt_conf_ctx *);
};

/* conf.c */
/*
 * Loads and checks path and everything it includes. Every error goes to
 * errs as "file:line: key: message (hint)". Returns NULL when there was
 * any error (the count in *nerrors), else a conf owning its arena.
 */
struct pt_conf	*conf_load(const char *path, const struct conf_overrides *,
		    FILE *errs, int *nerrors);
void		 conf_free(struct pt_conf *);
/* Prints the effective configuration (defaults filled in) in libconfig
 * syntax, loadable again. */
void		 conf_dump(const struct pt_conf *, FILE *);

/* conf_core.c */
extern const struct pt_directive conf_core_directives[];  /* global keys */
extern const struct pt_directive conf_server_directives[]; /* server keys */
extern const struct pt_directive conf_route_directives[];  /* route keys */
extern const struct pt_directive conf_scope_directives[];  /* inheritable */
extern const char *const conf_log_levels[];

/*
 * Internal to conf*.c: the state of one load and the generic table walk.
 * Nothing else in the server needs these; they live here only because
 * conf.c, conf_util.c, conf_core.c and conf_dump.c share them.
 */

/* One file of the configuration, parsed on its own config_t. */
struct conf_file {
	config_t		 cfg;
	const char		*name;		/* as shown in messages */
	const char		*abspath;	/* realpath(3) of name */
	const char		*dir;		/* absolute folder, for relative paths */
	char			*text;		/* raw bytes, to catch wrapped ints */
	bool			 cfg_live;	/* cfg needs config_destroy() */
};

/*
 * An owner of a group of keys named after it ("ssl = { ... };"), valid at
 * the scopes its table says. The core's own keys are not in a group and
 * are not listed here. A module is known by name before it is loaded, so
 * its group gets a precise error; loading it fills in table and conf_size.
 */
struct conf_owner {
	const char		*name;		/* group name: "ssl" */
	const struct pt_directive *table;	/* NULL: not loaded */
	size_t			 conf_size;	/* one block per scope */
};

/* A message kept until the end of the load, then printed in file order. */
struct conf_msg {
	size_t			 file;		/* index in files; nfiles = none */
	unsigned int		 line;
	size_t			 seq;		/* keeps the order within a line */
	const char		*text;
};

struct pt_conf_ctx {
	struct pt_conf		*conf;
	struct pt_arena		*arena;
	FILE			*errs;
	int			 nerrors;
	const struct conf_overrides *ov;
	struct conf_msg		*msgs;		/* malloc'ed, flushed by conf_load */
	size_t			 nmsgs, msgs_cap;
	struct conf_file	**files;	/* [0] is the main file */
	size_t			 nfiles;
	struct conf_owner	*owners;
	size_t			 nowners;
	struct conf_server	*server;	/* whose routes are being parsed */
	/* Lists concatenated across files: indexes in adj_list shift by adj. */
	const config_setting_t	*adj_list;
	int			 adj;
	const char		*dflt_key;	/* key whose default is parsed */
	/* Pool names modules gave pt_conf_need_upstream(), newest first. */
	struct conf_upstream_ref *uprefs;
};

/*
 * Where a table's keys are looked up. At the top there is one group per
 * file (the roots); inside servers and routes there is exactly one.
 */
struct conf_block {
	config_setting_t *const	*groups;
	size_t			 ngroups;
	unsigned int		 scope;		/* one PT_SCOPE_* */
	const char		*prefix;	/* "workers" inside a group, or "" */
};

/* The struct that holds member m, whose address is p. */
#define CONF_CONTAINER(p, type, m) \
	((type *)(void *)((char *)(p) - offsetof(type, m)))

/* conf.c */
void		 conf_error_key(struct pt_conf_ctx *, const config_setting_t *,
		    const char *key, const char *fmt, ...)
		    __attribute__((__format__(printf, 4, 5)));
const char	*conf_file_dir(struct pt_conf_ctx *, const config_setting_t *);
const char	*conf_file_text(struct pt_conf_ctx *, const config_setting_t *);
void		 conf_owners_init(struct pt_conf_ctx *);

void		 conf_unknown_check(struct pt_conf_ctx *, config_setting_t *group,
		    unsigned int scope, const struct pt_directive *const *tables,
		    bool owners);
void		 conf_unknown_names(struct pt_conf_ctx *, config_setting_t *group,
		    const char *const *names);

/* conf_util.c */
int		 conf_table_parse(struct pt_conf_ctx *, const struct pt_directive *,
		    const struct conf_block *, void *base, const void *parent);
/* Looks name up in group and marks it consumed (see conf_unknown_check). */
config_setting_t *conf_member(const config_setting_t *group, const char *name);
bool		 conf_is_seen(const config_setting_t *);
void		*conf_calloc(struct pt_conf_ctx *, size_t, size_t);
char		*conf_strdup(struct pt_conf_ctx *, const char *);
const char	*conf_frag(struct pt_conf_ctx *, const char *fmt, ...)
		    __attribute__((__format__(printf, 2, 3)));
const char	*conf_strlist_parse(struct pt_conf_ctx *, const config_setting_t *,
		    struct pt_strlist *);
const char	*conf_type_name(const config_setting_t *);
/* Parses every default in t (and its groups); returns the error count. */
int		 conf_defaults_check(const struct pt_directive *t, FILE *errs);

/* conf_units.c */
const char	*conf_did_you_mean(struct pt_conf_ctx *, const char *word,
		    const char *const *names);
char		*conf_size_fmt(long long bytes, char *buf, size_t len);
char		*conf_duration_fmt(long long ms, char *buf, size_t len);

/* conf_core.c */
void		 conf_core_parse(struct pt_conf_ctx *);
const char	*conf_parse_cidr_list(struct pt_conf_ctx *,
		    const config_setting_t *, void *);

/* conf_servers.c */
#define LISTEN_HINT \
	"e.g. \"127.0.0.1:8080\", \"[::1]:8080\" or \"*:8080\""
void		 conf_scope_block(struct pt_conf_ctx *, const struct conf_block *,
		    struct core_scope *, const struct core_scope *parent,
		    void ***mod_conf, void *const *parent_mod,
		    const struct pt_directive *own, void *own_base,
		    const struct pt_directive *const *tables);
const char	*conf_parse_servers(struct pt_conf_ctx *, const config_setting_t *,
		    void *);
const char	*parse_listen(struct pt_conf_ctx *, const config_setting_t *,
		    void *);
const char	*parse_routes(struct pt_conf_ctx *, const config_setting_t *,
		    void *);
const char	*parse_error_pages(struct pt_conf_ctx *,
		    const config_setting_t *, void *);

/* conf_log.c */
const char	*conf_parse_log_modules(struct pt_conf_ctx *,
		    const config_setting_t *, void *);

/* conf.c: for the module loader */
struct conf_owner *conf_owner_add(struct pt_conf_ctx *, const char *name);
config_setting_t *const *conf_roots(struct pt_conf_ctx *, size_t *n);

#endif /* PT_CONF_H */
