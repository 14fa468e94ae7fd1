/*
 * The core's directive tables (global, server, route and the inheritable
 * scope keys), the cross-field checks and the global block. The parsers
 * for listen, servers, routes and error_pages are in conf_servers.c; the
 * generic walk that applies these tables is in conf_util.c; the man page
 * documents every entry.
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
static const char *check_tunnels_per_client(struct pt_conf_ctx *,
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
	{ .name = "tunnels_max", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct conf_limits, tunnels_max),
	  .def = "10000", .min = 1, .max = 1000000,
	  .hint = "streams the tunnel process relays at once; more get 503" },
	{ .name = "tunnels_per_client", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct conf_limits, tunnels_per_client),
	  .def = "256", .min = 1, .max = 1000000,
	  .check = check_tunnels_per_client,
	  .hint = "streams of one client address in the tunnel process; "
	    "more get 503" },
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
	{ .name = "tunnel_idle", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct conf_timeouts, tunnel_idle),
	  .def = "\"5m\"", .min = 1000, .max = 7 * 86400000LL,
	  .hint = "a tunnel (CONNECT, WebSocket, passthrough) that moves no "
	    "byte either way for this long is closed" },
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
	  .parse = conf_parse_cidr_list,
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
	  .parse = conf_parse_servers,
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
	  .parse = conf_parse_cidr_list,
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
 * A list of address ranges (trusted_proxies, proxy_protocol_from, a route's
 * client condition), each checked here, with its element's line.
 */
const char *
conf_parse_cidr_list(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
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
check_tunnels_per_client(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct conf_limits *l = CONF_CONTAINER(field, struct conf_limits,
	    tunnels_per_client);

	if (l->tunnels_per_client <= l->tunnels_max)
		return (NULL);
	if (s == NULL) {	/* the default: follows a smaller total */
		l->tunnels_per_client = l->tunnels_max;
		return (NULL);
	}
	return (conf_frag(cx, "%lld must be <= request_limits.tunnels_max "
	    "(%lld)", l->tunnels_per_client, l->tunnels_max));
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
