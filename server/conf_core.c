/*
 * The core's directive tables (global, server, route and the inheritable
 * scope keys), the hand-written parsers for listen, servers, routes and
 * error_pages, and the cross-field checks. The generic walk that applies
 * these tables is in conf_util.c; the man page documents every entry.
 */
#include "config.h"

#include <portier/module.h>
#include "conf.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "arena_priv.h"
#include "conf_route.h"
#include "conf_upstream.h"
#include "forward.h"

#ifndef PT_MODULES_DIR
#define PT_MODULES_DIR	"/usr/local/lib/portier/modules"
#endif

#define G	PT_SCOPE_GLOBAL
#define S	PT_SCOPE_SERVER
#define R	PT_SCOPE_ROUTE
#define GSR	(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

/* Bytes from first to the end of last, for CUSTOM fields that are pairs. */
#define SPAN(type, first, last)						\
	(offsetof(type, last) + sizeof(((type *)0)->last) -		\
	    offsetof(type, first))

#define LISTEN_HINT \
	"e.g. \"127.0.0.1:8080\", \"[::1]:8080\" or \"*:8080\""

const char *const conf_log_levels[] = {
	"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
	"trace", NULL
};
static const char *const error_log_literals[] = { "stderr", NULL };
static const char *const access_log_literals[] = {
	"off", "stderr", "stdout", NULL
};

static const char *parse_include(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *parse_cidr_list(struct pt_conf_ctx *,
		    const config_setting_t *, void *);
static const char *parse_servers(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *parse_listen(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *parse_routes(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *parse_error_pages(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *check_user(struct pt_conf_ctx *, const config_setting_t *,
    void *);
static const char *check_group(struct pt_conf_ctx *, const config_setting_t *,
    void *);
static const char *check_control_socket(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *check_root(struct pt_conf_ctx *, const config_setting_t *,
    void *);
static const char *check_header(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *check_workers_max(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *check_max_spare(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *check_resolver_servers(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *check_max_ttl(struct pt_conf_ctx *,
    const config_setting_t *, void *);

static const struct pt_directive modules_directives[] = {
	{ .name = "dir", .type = PT_T_PATH, .scopes = G,
	  .offset = offsetof(struct pt_conf, modules_dir),
	  .def = "\"" PT_MODULES_DIR "\"",
	  .hint = "the folder holding mod_*.so" },
	{ .name = "load", .type = PT_T_STRLIST, .scopes = G,
	  .offset = offsetof(struct pt_conf, modules_load), .def = "[ ]",
	  .hint = "module names, e.g. [ \"mod_ssl\", \"mod_rewrite\" ]" },
	PT_DIRECTIVE_END
};

static const struct pt_directive workers_directives[] = {
	{ .name = "start", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct conf_workers, start), .def = "4",
	  .min = 1, .max = 4096, .hint = "workers forked at start-up" },
	{ .name = "min_spare", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct conf_workers, min_spare), .def = "2",
	  .min = 0, .max = 4096, .hint = "idle workers kept ready" },
	{ .name = "max_spare", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct conf_workers, max_spare), .def = "8",
	  .min = 1, .max = 4096, .check = check_max_spare,
	  .hint = "idle workers above this are stopped" },
	{ .name = "max", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct conf_workers, max), .def = "64",
	  .min = 1, .max = 4096, .check = check_workers_max,
	  .hint = "most workers at once: the most connections served" },
	{ .name = "max_requests", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct conf_workers, max_requests), .def = "0",
	  .min = 0, .max = 1000000000,
	  .hint = "requests before a worker is replaced; 0 = never" },
	PT_DIRECTIVE_END
};

static const struct pt_directive limits_directives[] = {
	{ .name = "line", .type = PT_T_SIZE, .scopes = G,
	  .offset = offsetof(struct conf_limits, line), .def = "\"8190\"",
	  .min = 256, .max = 1LL << 20,
	  .hint = "longest request line; longer gets 414" },
	{ .name = "field", .type = PT_T_SIZE, .scopes = G,
	  .offset = offsetof(struct conf_limits, field), .def = "\"8190\"",
	  .min = 256, .max = 1LL << 20,
	  .hint = "longest header field line; longer gets 431" },
	{ .name = "fields", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct conf_limits, fields), .def = "100",
	  .min = 1, .max = 10000, .hint = "most header fields; more gets 431" },
	{ .name = "body", .type = PT_T_SIZE, .scopes = G,
	  .offset = offsetof(struct conf_limits, body), .def = "\"1g\"",
	  .min = 0, .max = 1LL << 40,
	  .hint = "largest request body; larger gets 413" },
	{ .name = "conns_per_client", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct conf_limits, conns_per_client),
	  .def = "0", .min = 0, .max = 100000,
	  .hint = "connections one client address may hold; 0 = no limit" },
	PT_DIRECTIVE_END
};

#define TIMEOUT(n, h) {							\
	.name = #n, .type = PT_T_DURATION, .scopes = G,			\
	.offset = offsetof(struct conf_timeouts, n), .def = "\"60s\"",	\
	.min = 1, .max = 86400000LL, .hint = h }

static const struct pt_directive timeouts_directives[] = {
	TIMEOUT(head, "to receive a request head"),
	TIMEOUT(body, "between two reads of a request body"),
	{ .name = "keepalive", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct conf_timeouts, keepalive), .def = "\"5s\"",
	  .min = 1, .max = 86400000LL,
	  .hint = "idle time between requests on one connection" },
	TIMEOUT(send, "between two writes to a slow client"),
	PT_DIRECTIVE_END
};

/* Defaults as in resolv.conf(5) and nginx's resolver. */
static const struct pt_directive resolver_directives[] = {
	{ .name = "servers", .type = PT_T_STRLIST, .scopes = G,
	  .offset = offsetof(struct conf_resolver, servers), .def = "[ ]",
	  .check = check_resolver_servers,
	  .hint = "numeric, e.g. [ \"127.0.0.1:53\", \"[::1]:53\" ]; none: "
	    "those of /etc/resolv.conf" },
	{ .name = "hosts", .type = PT_T_PATH, .scopes = G,
	  .offset = offsetof(struct conf_resolver, hosts),
	  .def = "\"/etc/hosts\"",
	  .hint = "a hosts file, consulted before DNS" },
	{ .name = "timeout", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct conf_resolver, timeout_ms),
	  .def = "\"2s\"", .min = 10, .max = 60000,
	  .hint = "for one try of one query" },
	{ .name = "tries", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct conf_resolver, tries), .def = "2",
	  .min = 1, .max = 10 },
	{ .name = "min_ttl", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct conf_resolver, min_ttl_ms),
	  .def = "\"1s\"", .min = 0, .max = 86400000LL,
	  .hint = "answers are kept at least this long" },
	{ .name = "max_ttl", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct conf_resolver, max_ttl_ms),
	  .def = "\"1h\"", .min = 1000, .max = 86400000LL,
	  .check = check_max_ttl,
	  .hint = "answers are kept at most this long" },
	{ .name = "negative_ttl", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct conf_resolver, negative_ttl_ms),
	  .def = "\"10s\"", .min = 0, .max = 86400000LL,
	  .hint = "how long \"no such name\" is kept; \"0s\": not at all" },
	PT_DIRECTIVE_END
};

/* Global-only keys, into struct pt_conf. servers stays last: see below. */
const struct pt_directive conf_core_directives[] = {
	{ .name = "include", .type = PT_T_CUSTOM, .scopes = G,
	  .parse = parse_include,
	  .hint = "e.g. include = [ \"conf.d/*.conf\" ];" },
	{ .name = "user", .type = PT_T_STRING, .scopes = G,
	  .offset = offsetof(struct pt_conf, user), .check = check_user,
	  .hint = "the account workers run as" },
	{ .name = "group", .type = PT_T_STRING, .scopes = G,
	  .offset = offsetof(struct pt_conf, group), .check = check_group,
	  .hint = "the group workers run as" },
	{ .name = "allow_root", .type = PT_T_BOOL, .scopes = G,
	  .offset = offsetof(struct pt_conf, allow_root), .def = "false" },
	{ .name = "pid_file", .type = PT_T_PATH, .scopes = G,
	  .offset = offsetof(struct pt_conf, pid_file) },
	{ .name = "error_log", .type = PT_T_PATH, .scopes = G,
	  .offset = offsetof(struct pt_conf, error_log), .def = "\"stderr\"",
	  .choices = error_log_literals, .hint = "a file, or \"stderr\"" },
	{ .name = "log_modules", .type = PT_T_CUSTOM, .scopes = G,
	  .offset = offsetof(struct pt_conf, log_modules),
	  .size = SPAN(struct pt_conf, log_modules, nlog_modules),
	  .parse = conf_parse_log_modules,
	  .hint = "log_modules = ( { module = \"rewrite\"; level = \"trace\"; } );" },
	{ .name = "listen_report", .type = PT_T_PATH, .scopes = G,
	  .offset = offsetof(struct pt_conf, listen_report) },
	{ .name = "control_socket", .type = PT_T_PATH, .scopes = G,
	  .offset = offsetof(struct pt_conf, control_socket),
	  .check = check_control_socket,
	  .hint = "a Unix socket path, e.g. \"/run/portier.sock\"; "
	  "served by mod_status" },
	{ .name = "trusted_proxies", .type = PT_T_CUSTOM, .scopes = G,
	  .offset = offsetof(struct pt_conf, trusted_proxies),
	  .size = sizeof(struct cidr_list), .def = "[ ]",
	  .parse = parse_cidr_list,
	  .hint = "addresses or ranges: [ \"10.0.0.0/8\", \"::1\" ]" },
	{ .name = "request_id_header", .type = PT_T_STRING, .scopes = G,
	  .offset = offsetof(struct pt_conf, request_id_header),
	  .def = "\"X-Request-ID\"", .check = check_header,
	  .hint = "a field name; taken from trusted_proxies only" },
	{ .name = "store_size", .type = PT_T_SIZE, .scopes = G,
	  .offset = offsetof(struct pt_conf, store_size), .def = "\"4m\"",
	  .min = 64 * 1024, .max = 16LL * 1024 * 1024 * 1024,
	  .hint = "the shared-memory store: sessions, rate limits; e.g. \"64m\"" },
	{ .name = "rlimit_nofile", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct pt_conf, rlimit_nofile), .def = "0",
	  .min = 0, .max = 1048576, .hint = "0 leaves the limit as it is" },
	{ .name = "websocket_worker_max", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct pt_conf, websocket_worker_max),
	  .def = "4", .min = 0, .max = 100000,
	  .hint = "WebSocket streams over TLS relayed in workers at once, "
	  "across workers; more get 503" },
	{ .name = "mime_types", .type = PT_T_PATH, .scopes = G,
	  .offset = offsetof(struct pt_conf, mime_types) },
	{ .name = "modules", .type = PT_T_GROUP, .scopes = G, .offset = 0,
	  .sub = modules_directives },
	{ .name = "workers", .type = PT_T_GROUP, .scopes = G,
	  .offset = offsetof(struct pt_conf, workers),
	  .sub = workers_directives },
	{ .name = "request_limits", .type = PT_T_GROUP, .scopes = G,
	  .offset = offsetof(struct pt_conf, limits),
	  .sub = limits_directives },
	{ .name = "timeouts", .type = PT_T_GROUP, .scopes = G,
	  .offset = offsetof(struct pt_conf, timeouts),
	  .sub = timeouts_directives },
	{ .name = "resolver", .type = PT_T_GROUP, .scopes = G,
	  .offset = offsetof(struct pt_conf, resolver),
	  .sub = resolver_directives },
	/* Before servers: their routes name the pools. */
	{ .name = "upstreams", .type = PT_T_CUSTOM, .scopes = G,
	  .offset = offsetof(struct pt_conf, upstreams),
	  .size = SPAN(struct pt_conf, upstreams, nupstreams),
	  .parse = conf_parse_upstreams,
	  .hint = "upstreams = ( { name = \"app\"; servers = ( ... ); } );" },
	/* Last: servers inherit the global values parsed above. */
	{ .name = "servers", .type = PT_T_CUSTOM, .scopes = G,
	  .offset = offsetof(struct pt_conf, servers),
	  .size = SPAN(struct pt_conf, servers, nservers),
	  .parse = parse_servers,
	  .hint = "servers = ( { listen = \"127.0.0.1:8080\"; ... } );" },
	PT_DIRECTIVE_END
};

/* Inheritable keys, into struct core_scope at every level. */
const struct pt_directive conf_scope_directives[] = {
	{ .name = "root", .type = PT_T_PATH, .scopes = GSR,
	  .offset = offsetof(struct core_scope, root), .check = check_root,
	  .hint = "root must be an existing folder" },
	{ .name = "index", .type = PT_T_STRLIST, .scopes = GSR,
	  .offset = offsetof(struct core_scope, index),
	  .def = "[ \"index.html\" ]" },
	{ .name = "symlinks", .type = PT_T_BOOL, .scopes = GSR,
	  .offset = offsetof(struct core_scope, symlinks), .def = "false" },
	{ .name = "access_log", .type = PT_T_PATH, .scopes = GSR,
	  .offset = offsetof(struct core_scope, access_log), .def = "\"off\"",
	  .choices = access_log_literals,
	  .hint = "a file, \"off\", \"stderr\" or \"stdout\"" },
	{ .name = "access_log_format", .type = PT_T_STRING, .scopes = GSR,
	  .offset = offsetof(struct core_scope, access_log_format),
	  .def = "\"combined\"",
	  .hint = "\"combined\", \"common\", \"json\" or a format with "
	    "%{var}" },
	{ .name = "server_header", .type = PT_T_STRING, .scopes = GSR,
	  .offset = offsetof(struct core_scope, server_header),
	  .def = "\"portier\"", .check = check_header,
	  .hint = "\"\" sends no Server field" },
	{ .name = "error_pages", .type = PT_T_CUSTOM, .scopes = GSR,
	  .offset = offsetof(struct core_scope, error_pages),
	  .size = SPAN(struct core_scope, error_pages, nerror_pages),
	  .parse = parse_error_pages,
	  .hint = "error_pages = ( { status = [ 502, 503 ]; "
	    "file = \"50x.html\"; } );" },
	{ .name = "log_level", .type = PT_T_ENUM, .scopes = GSR,
	  .offset = offsetof(struct core_scope, log_level),
	  .def = "\"notice\"", .choices = conf_log_levels },
	{ .name = "proxy", .type = PT_T_GROUP, .scopes = GSR,
	  .offset = offsetof(struct core_scope, proxy),
	  .sub = conf_proxy_directives },
	{ .name = "access", .type = PT_T_CUSTOM, .scopes = GSR,
	  .offset = offsetof(struct core_scope, access),
	  .size = SPAN(struct core_scope, access, naccess),
	  .parse = conf_parse_access,
	  .hint = "access = ( { allow = [ \"10.0.0.0/8\" ]; }, { deny = "
	    "\"all\"; } );" },
	{ .name = "auth", .type = PT_T_CUSTOM, .scopes = GSR,
	  .offset = offsetof(struct core_scope, auth),
	  .size = sizeof(const struct conf_auth *), .parse = conf_parse_auth,
	  .hint = "auth = { realm = \"Staff\"; file = \"htpasswd\"; }; or "
	    "\"off\"" },
	PT_DIRECTIVE_END
};

/* Server-only keys; routes stays last so the server's values are final. */
const struct pt_directive conf_server_directives[] = {
	{ .name = "listen", .type = PT_T_CUSTOM, .scopes = S,
	  .offset = offsetof(struct conf_server, listen),
	  .size = SPAN(struct conf_server, listen, nlisten),
	  .parse = parse_listen, .hint = LISTEN_HINT },
	{ .name = "names", .type = PT_T_STRLIST, .scopes = S,
	  .offset = offsetof(struct conf_server, names),
	  .check = conf_check_server_names,
	  .hint = "Host names: exact, \"*.example.com\" or \"~regex\"" },
	{ .name = "default", .type = PT_T_BOOL, .scopes = S,
	  .offset = offsetof(struct conf_server, is_default), .def = "false",
	  .hint = "the server for hosts no server names, per address" },
	{ .name = "proxy_protocol_from", .type = PT_T_CUSTOM, .scopes = S,
	  .offset = offsetof(struct conf_server, proxy_protocol_from),
	  .size = sizeof(struct cidr_list), .def = "[ ]",
	  .parse = parse_cidr_list,
	  .hint = "load balancers that send a PROXY protocol header first" },
	{ .name = "forward_proxy", .type = PT_T_CUSTOM, .scopes = S,
	  .offset = offsetof(struct conf_server, forward),
	  .size = sizeof(const struct conf_forward *),
	  .parse = conf_parse_forward,
	  .hint = "forward_proxy = { acl = ( { client = [ \"10.0.0.0/8\" ]; "
	    "action = \"allow\"; } ); };" },
	{ .name = "routes", .type = PT_T_CUSTOM, .scopes = S,
	  .offset = offsetof(struct conf_server, routes),
	  .size = SPAN(struct conf_server, routes, nroutes),
	  .parse = parse_routes,
	  .hint = "routes = ( { path = \"/\"; ... } );" },
	PT_DIRECTIVE_END
};

/* conf_route_directives[] (path, exact, regex, conditions) is conf_route.c's. */

static const struct pt_directive *const global_tables[] = {
	conf_scope_directives, conf_core_directives, NULL
};
static const struct pt_directive *const server_tables[] = {
	conf_scope_directives, conf_server_directives, NULL
};
static const struct pt_directive *const route_tables[] = {
	conf_scope_directives, conf_route_directives, NULL
};

/* The loader (conf.c) already expanded the patterns. */
static const char *
parse_include(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	(void)cx;
	(void)s;
	(void)field;
	return (NULL);
}

/*
 * One block (global, a server or a route): the inheritable keys first,
 * with the enclosing block's values as parent, so that the block's own
 * table (which holds the nested servers or routes, parsed last) sees them
 * final; then the keys nothing consumed.
 */
/*
 * Each loaded module's group ("headers = { ... };") in this block, parsed
 * with the module's table into a block of its conf_size, inheriting from
 * the enclosing block's one exactly as the core's own keys do.
 */
static void
conf_module_blocks(struct pt_conf_ctx *cx, const struct conf_block *b,
    void ***out, void *const *parent)
{
	const struct pt_conf	*conf = cx->conf;
	const struct pt_module	*m;
	struct pt_directive	 grp[2];
	void			**blocks;
	size_t			  k;

	*out = NULL;
	if (conf->nmodules == 0 ||
	    (blocks = conf_calloc(cx, conf->nmodules, sizeof(*blocks))) == NULL)
		return;
	for (k = 0; k < conf->nmodules; k++) {
		m = conf->modules[k];
		blocks[k] = conf_calloc(cx, 1, m->conf_size > 0 ?
		    m->conf_size : 1);
		if (blocks[k] == NULL || m->directives == NULL)
			continue;
		memset(grp, 0, sizeof(grp));
		grp[0].name = m->name;
		grp[0].type = PT_T_GROUP;
		grp[0].scopes = GSR;
		grp[0].sub = m->directives;
		conf_table_parse(cx, grp, b, blocks[k],
		    parent != NULL ? parent[k] : NULL);
	}
	*out = blocks;
}

static void
conf_scope_block(struct pt_conf_ctx *cx, const struct conf_block *b,
    struct core_scope *sc, const struct core_scope *parent,
    void ***mod_conf, void *const *parent_mod,
    const struct pt_directive *own, void *own_base,
    const struct pt_directive *const *tables)
{
	size_t i;

	conf_table_parse(cx, conf_scope_directives, b, sc, parent);
	conf_module_blocks(cx, b, mod_conf, parent_mod);
	conf_table_parse(cx, own, b, own_base, NULL);
	for (i = 0; i < b->ngroups; i++)
		conf_unknown_check(cx, b->groups[i], b->scope, tables, true);
}

/* Grows an arena array of n elements of size by more (zeroed); NULL on OOM. */
static void *
conf_grow(struct pt_conf_ctx *cx, void *old, size_t n, size_t more,
    size_t size)
{
	void *p;

	if ((p = conf_calloc(cx, n + more, size)) != NULL && n > 0)
		memcpy(p, old, n * size);
	return (p);
}

static void
route_parse(struct pt_conf_ctx *cx, config_setting_t *g,
    struct conf_server *srv, struct conf_route *rt)
{
	struct conf_block	 b = { &g, 1, R, "" };

	rt->file = conf_strdup(cx, config_setting_source_file(g));
	rt->line = (int)config_setting_source_line(g);
	conf_scope_block(cx, &b, &rt->sc, &srv->sc, &rt->mod_conf,
	    srv->mod_conf, conf_route_directives, rt, route_tables);
	conf_route_finish(cx, g, srv, rt);
}

static const char *
parse_routes(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct conf_server	*srv;
	config_setting_t	*g;
	unsigned int		 i, n;

	srv = CONF_CONTAINER(field, struct conf_server, routes);
	if (!config_setting_is_list(s))
		return (conf_frag(cx, "expected a list of route groups, not %s",
		    conf_type_name(s)));
	n = (unsigned int)config_setting_length(s);
	srv->routes = conf_grow(cx, srv->routes, srv->nroutes, n,
	    sizeof(*srv->routes));
	if (srv->routes == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "expected a route group { path = "
			    "\"/\"; ... }, not %s", conf_type_name(g));
			continue;
		}
		route_parse(cx, g, srv, &srv->routes[srv->nroutes++]);
	}
	return (NULL);
}

/* A server without routes serves everything from one route "/". */
static void
server_implicit_route(struct pt_conf_ctx *cx, struct conf_server *srv)
{
	struct conf_route *rt;

	if ((rt = conf_calloc(cx, 1, sizeof(*rt))) == NULL)
		return;
	rt->prefix = rt->path = "/";
	rt->path_len = 1;
	rt->kind = ROUTE_PREFIX;
	rt->sc = srv->sc;
	rt->file = srv->file;
	rt->line = srv->line;
	srv->routes = rt;
	srv->nroutes = 1;
}

static void
server_parse(struct pt_conf_ctx *cx, config_setting_t *g,
    struct conf_server *srv)
{
	struct conf_block b = { &g, 1, S, "" };

	srv->file = conf_strdup(cx, config_setting_source_file(g));
	srv->line = (int)config_setting_source_line(g);
	cx->server = srv;
	conf_scope_block(cx, &b, &srv->sc, &cx->conf->sc, &srv->mod_conf,
	    cx->conf->mod_conf, conf_server_directives, srv, server_tables);
	cx->server = NULL;
	if (config_setting_get_member(g, "listen") == NULL)
		pt_conf_error(cx, g, "missing required directive \"listen\" "
		    "(e.g. listen = \"127.0.0.1:8080\";)");
	if (srv->nroutes == 0 && config_setting_get_member(g, "routes") == NULL)
		server_implicit_route(cx, srv);
	conf_server_finish(cx, g, srv);
}

/* Called once per file that sets servers: the lists are concatenated. */
static const char *
parse_servers(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct pt_conf		*conf;
	config_setting_t	*g;
	unsigned int		 i, n;

	conf = CONF_CONTAINER(field, struct pt_conf, servers);
	if (!config_setting_is_list(s))
		return (conf_frag(cx, "expected a list of server groups, "
		    "not %s", conf_type_name(s)));
	n = (unsigned int)config_setting_length(s);
	conf->servers = conf_grow(cx, conf->servers, conf->nservers, n,
	    sizeof(*conf->servers));
	if (conf->servers == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "expected a server group "
			    "{ listen = ...; }, not %s", conf_type_name(g));
			continue;
		}
		server_parse(cx, g, &conf->servers[conf->nservers++]);
	}
	return (NULL);
}

static const char *
parse_listen(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct conf_server	*srv;
	struct conf_listen	*l;
	const config_setting_t	*e;
	const char		*text, *frag;
	unsigned int		 i, n = 1;

	srv = CONF_CONTAINER(field, struct conf_server, listen);
	if (config_setting_is_array(s) || config_setting_is_list(s))
		n = (unsigned int)config_setting_length(s);
	else if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return (conf_frag(cx, "expected an address string or a list of "
		    "them, not %s", conf_type_name(s)));
	srv->listen = conf_grow(cx, srv->listen, srv->nlisten, n,
	    sizeof(*srv->listen));
	if (srv->listen == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		e = config_setting_type(s) == CONFIG_TYPE_STRING ? s :
		    config_setting_get_elem(s, i);
		if ((text = config_setting_get_string(e)) == NULL) {
			pt_conf_error(cx, e, "expected an address string, "
			    "not %s (%s)", conf_type_name(e), LISTEN_HINT);
			continue;
		}
		l = &srv->listen[srv->nlisten];
		if ((frag = conf_listen_addr(text, l)) != NULL) {
			pt_conf_error(cx, e, "bad listen address \"%s\": "
			    "%s (%s)", text, frag, LISTEN_HINT);
			continue;
		}
		l->text = conf_strdup(cx, text);
		l->file = conf_strdup(cx, config_setting_source_file(e));
		l->line = (int)config_setting_source_line(e);
		srv->nlisten++;
	}
	return (NULL);
}

static void
error_page_add(struct pt_conf_ctx *cx, struct core_scope *sc,
    const config_setting_t *e, const char *file)
{
	struct conf_error_page	*p;
	long long		 st;
	size_t			 i;

	if (config_setting_type(e) != CONFIG_TYPE_INT &&
	    config_setting_type(e) != CONFIG_TYPE_INT64) {
		pt_conf_error(cx, e, "expected a status code, not %s",
		    conf_type_name(e));
		return;
	}
	if ((st = config_setting_get_int64(e)) < 400 || st > 599) {
		pt_conf_error(cx, e, "%lld is out of range: must be between "
		    "400 and 599", st);
		return;
	}
	for (i = 0; i < sc->nerror_pages; i++)
		if (sc->error_pages[i].status == st) {
			pt_conf_error(cx, e, "status %lld already has an error "
			    "page", st);
			return;
		}
	p = conf_grow(cx, sc->error_pages, sc->nerror_pages, 1, sizeof(*p));
	if (p == NULL)
		return;
	p[sc->nerror_pages].status = (int)st;
	p[sc->nerror_pages].file = file;
	sc->error_pages = p;
	sc->nerror_pages++;
}

/* { status = [ 502, 503 ]; file = "50x.html"; } */
static void
error_page_record(struct pt_conf_ctx *cx, config_setting_t *g,
    struct core_scope *sc)
{
	static const char *const names[] = { "status", "file", NULL };
	config_setting_t	*st, *f;
	const char		*path;
	struct stat		 sb;
	unsigned int		 i;

	st = conf_member(g, "status");
	f = conf_member(g, "file");
	conf_unknown_names(cx, g, names);
	if (st == NULL || f == NULL) {
		pt_conf_error(cx, g, "missing \"%s\" (e.g. { status = [ 502, "
		    "503 ]; file = \"50x.html\"; })", st == NULL ? "status" :
		    "file");
		return;
	}
	if (config_setting_get_string(f) == NULL) {
		pt_conf_error(cx, f, "expected a file name, not %s",
		    conf_type_name(f));
		return;
	}
	if ((path = pt_conf_path(cx, f, config_setting_get_string(f))) == NULL)
		return;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    access(path, R_OK) != 0) {
		pt_conf_error(cx, f, "cannot read %s (the error page must be a "
		    "readable file)", path);
		return;
	}
	if (!config_setting_is_aggregate(st))
		error_page_add(cx, sc, st, path);
	for (i = 0; config_setting_is_aggregate(st) &&
	    i < (unsigned int)config_setting_length(st); i++)
		error_page_add(cx, sc, config_setting_get_elem(st, i), path);
}

/* A list of address ranges, each checked here, with its element's line. */
static const char *
parse_cidr_list(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct cidr_list	*l = field;
	struct pt_strlist	 sl;
	const char		*frag;
	size_t			 i;

	if ((frag = conf_strlist_parse(cx, s, &sl)) != NULL)
		return (frag);
	l->n = 0;
	if ((l->v = conf_calloc(cx, sl.n + 1, sizeof(*l->v))) == NULL)
		return ("out of memory");
	for (i = 0; i < sl.n; i++) {
		if (cidr_parse(sl.v[i], &l->v[l->n]) == -1)
			return (conf_frag(cx, "not an address or range: \"%s\"",
			    sl.v[i]));
		l->n++;
	}
	return (NULL);
}

static const char *
parse_error_pages(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct core_scope	*sc;
	config_setting_t	*g;
	unsigned int		 i;

	sc = CONF_CONTAINER(field, struct core_scope, error_pages);
	if (!config_setting_is_list(s))
		return (conf_frag(cx, "expected a list of records, not %s",
		    conf_type_name(s)));
	for (i = 0; (g = config_setting_get_elem(s, i)) != NULL; i++) {
		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "expected a record { status = "
			    "...; file = ...; }, not %s", conf_type_name(g));
			continue;
		}
		error_page_record(cx, g, sc);
	}
	return (NULL);
}

static const char *
check_user(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const char *name = *(const char **)field;

	(void)s;
	/* -u replaces the file's user, so the file's need not exist here. */
	if (name == NULL || (cx->ov != NULL && cx->ov->user != NULL))
		return (NULL);
	if (getpwnam(name) == NULL)
		return (conf_frag(cx, "no such user \"%s\"", name));
	return (NULL);
}

static const char *
check_group(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const char *name = *(const char **)field;

	(void)s;
	if (name != NULL && getgrnam(name) == NULL)
		return (conf_frag(cx, "no such group \"%s\"", name));
	return (NULL);
}

/* A Unix socket's path must fit sun_path (107 bytes and the NUL). */
static const char *
check_control_socket(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const char	*path = *(const char **)field;
	size_t		 max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;

	(void)s;
	if (path != NULL && strlen(path) > max)
		return (conf_frag(cx, "path longer than %zu bytes", max));
	return (NULL);
}

static const char *
check_root(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const char	*path = *(const char **)field;
	struct stat	 sb;

	(void)s;
	if (path != NULL && (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		return (conf_frag(cx, "not a directory: %s", path));
	return (NULL);
}

/* A CR or LF in a header value would let the config inject fields. */
static const char *
check_header(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const unsigned char *p = *(const unsigned char **)field;

	(void)cx;
	(void)s;
	for (; p != NULL && *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return ("must not contain control characters");
	return (NULL);
}

static const char *
check_workers_max(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct conf_workers *w = CONF_CONTAINER(field, struct conf_workers,
	    max);

	(void)s;
	if (w->max < w->start)
		return (conf_frag(cx, "%lld must be >= workers.start (%lld)",
		    w->max, w->start));
	return (NULL);
}

static const char *
check_max_spare(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct conf_workers *w = CONF_CONTAINER(field, struct conf_workers,
	    max_spare);

	(void)s;
	if (w->max_spare < w->min_spare)
		return (conf_frag(cx, "%lld must be >= workers.min_spare "
		    "(%lld)", w->max_spare, w->min_spare));
	return (NULL);
}

static const char *
check_max_ttl(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct conf_resolver *r = CONF_CONTAINER(field, struct conf_resolver,
	    max_ttl_ms);

	(void)s;
	if (r->max_ttl_ms < r->min_ttl_ms)
		return (conf_frag(cx, "must be >= resolver.min_ttl"));
	return (NULL);
}

/*
 * DNS servers for c-ares: numeric, "address" (port 53) or "address:port",
 * IPv6 in brackets when a port follows. A name here would need a resolver
 * to find the resolver.
 */
static const char *
check_resolver_servers(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const struct pt_strlist	*l = field;
	struct conf_listen	 cl;
	unsigned char		 a[16];
	const char		*frag;
	size_t			 i;

	(void)s;
	for (i = 0; i < l->n; i++) {
		if (inet_pton(AF_INET, l->v[i], a) == 1 ||
		    inet_pton(AF_INET6, l->v[i], a) == 1)
			continue;
		if ((frag = conf_listen_addr(l->v[i], &cl)) != NULL)
			return (conf_frag(cx, "bad DNS server \"%s\": %s",
			    l->v[i], frag));
		if (strchr(l->v[i], '*') != NULL || l->v[i][0] == ':' ||
		    strcmp(strrchr(l->v[i], ':'), ":0") == 0)
			return (conf_frag(cx, "bad DNS server \"%s\": needs an "
			    "address and a port from 1 to 65535", l->v[i]));
	}
	return (NULL);
}

/* The whole configuration: the roots of all files form the global block. */
void
conf_core_parse(struct pt_conf_ctx *cx)
{
	struct pt_conf		 *conf = cx->conf;
	config_setting_t	**roots, *s = NULL;
	struct conf_block	  b;
	size_t			  i;

	if ((roots = conf_calloc(cx, cx->nfiles, sizeof(*roots))) == NULL)
		return;
	for (i = 0; i < cx->nfiles; i++)
		roots[i] = config_root_setting(&cx->files[i]->cfg);
	b.groups = roots;
	b.ngroups = cx->nfiles;
	b.scope = G;
	b.prefix = "";
	conf_scope_block(cx, &b, &conf->sc, NULL, &conf->mod_conf, NULL,
	    conf_core_directives, conf, global_tables);
	conf->log_level = conf->sc.log_level;
	for (i = 0; i < cx->nfiles && s == NULL; i++)
		s = config_setting_get_member(roots[i], "servers");
	if (conf->nservers == 0 && (s == NULL || config_setting_length(s) == 0))
		conf_error_key(cx, s, s == NULL ? "servers" : NULL,
		    "at least one server is required (e.g. servers = ( { "
		    "listen = \"127.0.0.1:8080\"; } );)");
}
