/*
 * Configuration of upstream pools (upstreams = ( { ... } );) into struct
 * conf_upstream, the inheritable proxy = { ... } group, and the route
 * check that involves them (upstream names; the other route checks are
 * conf_route.c's). Parsed with
 * the generic tables of conf_util.c; addresses in conf_addr.c. Shared
 * state and connections are upstream.c's and upstream_conn.c's.
 */
#include "config.h"

#include "conf_upstream.h"

#include <stddef.h>
#include <string.h>

#include "arena_priv.h"
#include "upstream.h"
#include "vars.h"

#define G	PT_SCOPE_GLOBAL
#define GSR	(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

#define SPAN(type, first, last)						\
	(offsetof(type, last) + sizeof(((type *)0)->last) -		\
	    offsetof(type, first))

#define ADDR_HINT	"e.g. \"127.0.0.1:8080\", \"[::1]:8080\", "	\
	"\"app.internal:8080\" or \"unix:/run/app.sock\""
#define SERVERS_EXAMPLE	"servers = ( { address = \"127.0.0.1:8080\"; } );"

/*
 * The generic parsers write long long for integers; the contract's
 * struct conf_upstream has ints. A pool is parsed into this first, then
 * copied (upstream_record_fill).
 */
struct up_statuses {
	int			*v;
	size_t			 n;
};

struct up_raw_passive {
	long long		 failures, window, cooldown;
};

struct up_raw_health {
	const char		*path;
	long long		 interval, timeout, fall, rise;
	struct up_statuses	 statuses;
};

struct up_raw_sticky {
	const char		*cookie;
};

struct up_raw {
	const char		*name;
	int			 balance;
	const char		*hash_key;
	struct upstream_server	*servers;
	size_t			 nservers;
	long long		 connect_timeout, idle_timeout, idle_max;
	long long		 tries, try_timeout, slow_start, resolve_interval;
	int			 send_proxy_protocol;
	struct up_raw_passive	 passive;
	struct up_raw_health	 health;
	struct up_raw_sticky	 sticky;
};

struct up_raw_server {
	struct upstream_server	 srv;		/* address parts */
	long long		 weight, max_conns;
	bool			 backup, down;
};

_Static_assert(sizeof(enum upstream_balance) == sizeof(int),
    "PT_T_ENUM writes an int");

/* In the order of enum upstream_balance. */
static const char *const balance_names[] = {
	"round_robin", "least_conn", "ip_hash", "hash", "random", NULL
};

static const char *parse_servers(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *parse_address(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *parse_statuses(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *check_name(struct pt_conf_ctx *, const config_setting_t *,
    void *);
static const char *check_balance(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *check_hash_key(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *check_health_path(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *check_cookie(struct pt_conf_ctx *,
    const config_setting_t *, void *);
static const char *check_prefix(struct pt_conf_ctx *,
    const config_setting_t *, void *);

static const struct pt_directive passive_directives[] = {
	{ .name = "failures", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct up_raw_passive, failures), .def = "3",
	  .min = 0, .max = 1000,
	  .hint = "failures within window that mark a server down; 0 = never" },
	{ .name = "window", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct up_raw_passive, window), .def = "\"10s\"",
	  .min = 1, .max = 3600000LL },
	{ .name = "cooldown", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct up_raw_passive, cooldown),
	  .def = "\"30s\"", .min = 1, .max = 86400000LL,
	  .hint = "how long a server stays down" },
	PT_DIRECTIVE_END
};

static const struct pt_directive health_directives[] = {
	{ .name = "path", .type = PT_T_STRING, .scopes = G,
	  .offset = offsetof(struct up_raw_health, path),
	  .check = check_health_path,
	  .hint = "the path to request, e.g. \"/healthz\"" },
	{ .name = "interval", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct up_raw_health, interval), .def = "\"2s\"",
	  .min = 100, .max = 3600000LL },
	{ .name = "timeout", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct up_raw_health, timeout), .def = "\"1s\"",
	  .min = 1, .max = 600000LL },
	{ .name = "fall", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct up_raw_health, fall), .def = "3",
	  .min = 1, .max = 100, .hint = "failed checks in a row: down" },
	{ .name = "rise", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct up_raw_health, rise), .def = "2",
	  .min = 1, .max = 100, .hint = "passed checks in a row: up again" },
	{ .name = "statuses", .type = PT_T_CUSTOM, .scopes = G,
	  .offset = offsetof(struct up_raw_health, statuses),
	  .size = sizeof(struct up_statuses), .parse = parse_statuses,
	  .hint = "e.g. [ 200, 204 ]; without it 200 to 399 pass" },
	PT_DIRECTIVE_END
};

static const char *const pp_versions[] = { "off", "v1", "v2", NULL };

static const struct pt_directive sticky_directives[] = {
	{ .name = "cookie", .type = PT_T_STRING, .scopes = G,
	  .offset = offsetof(struct up_raw_sticky, cookie),
	  .check = check_cookie,
	  .hint = "a token: letters, digits and !#$%&'*+-.^_`|~, e.g. "
	    "\"PTSRV\"" },
	PT_DIRECTIVE_END
};

const struct pt_directive conf_upstream_server_directives[] = {
	{ .name = "address", .type = PT_T_CUSTOM, .scopes = G,
	  .offset = offsetof(struct up_raw_server, srv),
	  .size = sizeof(struct upstream_server), .parse = parse_address,
	  .hint = ADDR_HINT },
	{ .name = "weight", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct up_raw_server, weight), .def = "1",
	  .min = 1, .max = 1000 },
	{ .name = "max_conns", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct up_raw_server, max_conns), .def = "0",
	  .min = 0, .max = 1000000,
	  .hint = "active connections, all workers together; 0 = no limit" },
	{ .name = "backup", .type = PT_T_BOOL, .scopes = G,
	  .offset = offsetof(struct up_raw_server, backup), .def = "false" },
	{ .name = "down", .type = PT_T_BOOL, .scopes = G,
	  .offset = offsetof(struct up_raw_server, down), .def = "false" },
	PT_DIRECTIVE_END
};

const struct pt_directive conf_upstream_directives[] = {
	{ .name = "name", .type = PT_T_STRING, .scopes = G,
	  .offset = offsetof(struct up_raw, name), .check = check_name,
	  .hint = "1 to 64 letters, digits, \"-\", \"_\" or \".\", e.g. "
	    "\"app\"" },
	{ .name = "balance", .type = PT_T_ENUM, .scopes = G,
	  .offset = offsetof(struct up_raw, balance),
	  .def = "\"round_robin\"", .choices = balance_names,
	  .check = check_balance },
	{ .name = "hash_key", .type = PT_T_STRING, .scopes = G,
	  .offset = offsetof(struct up_raw, hash_key),
	  .check = check_hash_key,
	  .hint = "text and variables, e.g. \"%{cookie.session}\"" },
	{ .name = "servers", .type = PT_T_CUSTOM, .scopes = G,
	  .offset = offsetof(struct up_raw, servers),
	  .size = SPAN(struct up_raw, servers, nservers),
	  .parse = parse_servers, .hint = SERVERS_EXAMPLE },
	{ .name = "connect_timeout", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct up_raw, connect_timeout),
	  .def = "\"5s\"", .min = 1, .max = 600000LL },
	{ .name = "idle_timeout", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct up_raw, idle_timeout), .def = "\"4s\"",
	  .min = 1, .max = 3600000LL,
	  .hint = "keep it below the backend's keep-alive timeout" },
	{ .name = "idle_max", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct up_raw, idle_max), .def = "32",
	  .min = 0, .max = 100000,
	  .hint = "idle connections kept per server, all workers; 0 = none" },
	{ .name = "tries", .type = PT_T_INT, .scopes = G,
	  .offset = offsetof(struct up_raw, tries), .def = "3",
	  .min = 1, .max = 16, .hint = "servers tried for one request" },
	{ .name = "try_timeout", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct up_raw, try_timeout), .def = "\"10s\"",
	  .min = 1, .max = 86400000LL },
	{ .name = "resolve_interval", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct up_raw, resolve_interval),
	  .def = "\"30s\"", .min = 100, .max = 86400000LL,
	  .hint = "host names are looked up again on their TTL, at most "
	    "this long apart" },
	{ .name = "passive", .type = PT_T_GROUP, .scopes = G,
	  .offset = offsetof(struct up_raw, passive),
	  .sub = passive_directives },
	{ .name = "send_proxy_protocol", .type = PT_T_ENUM, .scopes = G,
	  .offset = offsetof(struct up_raw, send_proxy_protocol),
	  .def = "\"off\"", .choices = pp_versions,
	  .hint = "off, v1 or v2: name the client in a PROXY header first" },
	{ .name = "slow_start", .type = PT_T_DURATION, .scopes = G,
	  .offset = offsetof(struct up_raw, slow_start), .def = "\"0s\"",
	  .min = 0, .max = 3600000LL, .hint = "\"0s\" turns it off" },
	{ .name = "health", .type = PT_T_GROUP, .scopes = G,
	  .offset = offsetof(struct up_raw, health),
	  .sub = health_directives },
	{ .name = "sticky", .type = PT_T_GROUP, .scopes = G,
	  .offset = offsetof(struct up_raw, sticky),
	  .sub = sticky_directives },
	PT_DIRECTIVE_END
};

const struct pt_directive conf_proxy_directives[] = {
	{ .name = "strip_prefix", .type = PT_T_BOOL, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, strip_prefix),
	  .def = "false" },
	{ .name = "prefix", .type = PT_T_STRING, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, prefix), .def = "\"\"",
	  .check = check_prefix,
	  .hint = "a path put in front, e.g. \"/app\"; \"\" for none" },
	{ .name = "send_timeout", .type = PT_T_DURATION, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, send_timeout_ms),
	  .def = "\"60s\"", .min = 1, .max = 86400000LL },
	{ .name = "read_timeout", .type = PT_T_DURATION, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, read_timeout_ms),
	  .def = "\"60s\"", .min = 1, .max = 86400000LL },
	{ .name = "request_buffering", .type = PT_T_BOOL, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, request_buffering),
	  .def = "false",
	  .hint = "read the whole request body before choosing a server" },
	{ .name = "buffering", .type = PT_T_BOOL, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, buffering), .def = "true" },
	{ .name = "buffer_size", .type = PT_T_SIZE, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, buffer_size), .def = "\"64k\"",
	  .min = 4096, .max = 64LL << 20 },
	{ .name = "buffer_max_temp", .type = PT_T_SIZE, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, buffer_max_temp),
	  .def = "\"1g\"", .min = 0, .max = 1LL << 40,
	  .hint = "\"0\" keeps responses in memory only" },
	{ .name = "forwarded_for", .type = PT_T_BOOL, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, forwarded_for), .def = "true" },
	{ .name = "forwarded", .type = PT_T_BOOL, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, forwarded), .def = "false" },
	{ .name = "via", .type = PT_T_BOOL, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, via), .def = "false" },
	{ .name = "pass_server", .type = PT_T_BOOL, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, pass_server), .def = "false" },
	{ .name = "redirect_rewrite", .type = PT_T_BOOL, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, redirect_rewrite),
	  .def = "true" },
	{ .name = "websocket", .type = PT_T_BOOL, .scopes = GSR,
	  .offset = offsetof(struct conf_proxy, websocket), .def = "true" },
	PT_DIRECTIVE_END
};

/* Grows an arena array of n elements by more (zeroed); NULL on OOM. */
static void *
up_grow(struct pt_conf_ctx *cx, void *old, size_t n, size_t more, size_t size)
{
	void *p;

	if ((p = conf_calloc(cx, n + more, size)) != NULL && n > 0)
		memcpy(p, old, n * size);
	return (p);
}

static const char *
parse_address(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct upstream_server	*srv = field;
	const char		*text, *frag;

	if ((text = config_setting_get_string(s)) == NULL)
		return (conf_frag(cx, "expected an address string, not %s",
		    conf_type_name(s)));
	if ((frag = conf_upstream_addr(cx, text, srv)) != NULL)
		return (conf_frag(cx, "bad address \"%s\": %s", text, frag));
	srv->address = conf_strdup(cx, text);
	return (NULL);
}

/* One { address = ...; weight = ...; } record, appended to raw's servers. */
static void
server_record(struct pt_conf_ctx *cx, config_setting_t *g, struct up_raw *raw)
{
	static const struct pt_directive *const tables[] = {
		conf_upstream_server_directives, NULL
	};
	struct conf_block	 b = { &g, 1, G, "" };
	struct up_raw_server	 rs;
	struct upstream_server	*s;
	size_t			 i;

	memset(&rs, 0, sizeof(rs));
	conf_table_parse(cx, conf_upstream_server_directives, &b, &rs, NULL);
	conf_unknown_check(cx, g, G, tables, false);
	if (config_setting_get_member(g, "address") == NULL) {
		pt_conf_error(cx, g, "missing required directive \"address\" "
		    "(e.g. address = \"127.0.0.1:8080\";)");
		return;
	}
	if (rs.srv.address == NULL)
		return;		/* reported */
	for (i = 0; i < raw->nservers; i++)
		if (strcmp(raw->servers[i].address, rs.srv.address) == 0) {
			pt_conf_error(cx, config_setting_get_member(g,
			    "address"), "duplicate server \"%s\" (first at "
			    "%s:%d)", rs.srv.address, raw->servers[i].file,
			    raw->servers[i].line);
			return;
		}
	s = &raw->servers[raw->nservers];
	*s = rs.srv;
	s->weight = (int)rs.weight;
	s->max_conns = (int)rs.max_conns;
	s->backup = rs.backup;
	s->down = rs.down;
	s->index = (unsigned int)raw->nservers++;
	s->file = conf_strdup(cx, config_setting_source_file(g));
	s->line = (int)config_setting_source_line(g);
}

static const char *
parse_servers(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct up_raw		*raw;
	config_setting_t	*g;
	unsigned int		 i, n;

	raw = CONF_CONTAINER(field, struct up_raw, servers);
	if (!config_setting_is_list(s))
		return (conf_frag(cx, "expected a list of server groups, not "
		    "%s", conf_type_name(s)));
	n = (unsigned int)config_setting_length(s);
	raw->servers = up_grow(cx, raw->servers, raw->nservers, n,
	    sizeof(*raw->servers));
	if (raw->servers == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "expected a server group { address "
			    "= ...; }, not %s", conf_type_name(g));
			continue;
		}
		server_record(cx, g, raw);
	}
	return (NULL);
}

/* A status or a list of them, each 100 to 599. */
static const char *
parse_statuses(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct up_statuses	*st = field;
	const config_setting_t	*e;
	unsigned int		 i, n = 1;
	long long		 v;

	if (config_setting_is_aggregate(s))
		n = (unsigned int)config_setting_length(s);
	if ((st->v = conf_calloc(cx, n, sizeof(*st->v))) == NULL)
		return (NULL);
	st->n = 0;
	for (i = 0; i < n; i++) {
		e = config_setting_is_aggregate(s) ?
		    config_setting_get_elem(s, i) : s;
		if (config_setting_type(e) != CONFIG_TYPE_INT &&
		    config_setting_type(e) != CONFIG_TYPE_INT64) {
			pt_conf_error(cx, e, "expected a status code, not %s",
			    conf_type_name(e));
			continue;
		}
		if ((v = config_setting_get_int64(e)) < 100 || v > 599) {
			pt_conf_error(cx, e, "%lld is out of range: must be "
			    "between 100 and 599", v);
			continue;
		}
		st->v[st->n++] = (int)v;
	}
	return (NULL);
}

static const char *
check_name(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const char	*name = *(const char **)field;
	size_t		 len;

	(void)s;
	if (name == NULL)
		return (NULL);
	len = strlen(name);
	if (len == 0 || len > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != len)
		return (conf_frag(cx, "bad upstream name \"%s\"", name));
	return (NULL);
}

static const char *
check_balance(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct up_raw *raw = CONF_CONTAINER(field, struct up_raw, balance);

	(void)cx;
	(void)s;
	if (raw->balance == BAL_HASH && raw->hash_key == NULL)
		return ("balance \"hash\" needs hash_key, the variables to "
		    "hash (e.g. hash_key = \"%{cookie.session}\";)");
	return (NULL);
}

/* Text with %{name} variables, as pt_req_expand() reads it. */
static const char *
check_hash_key(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct up_raw	*raw = CONF_CONTAINER(field, struct up_raw, hash_key);
	const char	*key = raw->hash_key, *p, *end;
	int		 nvars = 0;

	if (key == NULL)
		return (NULL);
	for (p = key; (p = strstr(p, "%{")) != NULL; p = end + 1) {
		if ((end = strchr(p + 2, '}')) == NULL)
			return (conf_frag(cx, "\"%s\": \"%%{\" without a "
			    "closing \"}\"", key));
		if (!var_is_known(p + 2, (size_t)(end - p - 2)))
			return (conf_frag(cx, "unknown variable \"%.*s\"",
			    (int)(end - p + 1), p));
		nvars++;
	}
	if (nvars == 0)
		return (conf_frag(cx, "\"%s\" has no variable: every request "
		    "would go to the same server", key));
	if (raw->balance != BAL_HASH && s != NULL)
		pt_conf_warn(cx, s, "used only with balance = \"hash\"");
	return (NULL);
}

static bool
up_has_ctl(const char *p, const char *also)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f ||
		    strchr(also, *p) != NULL)
			return (true);
	return (false);
}

static const char *
check_health_path(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const char *path = *(const char **)field;

	(void)s;
	if (path != NULL && (path[0] != '/' || up_has_ctl(path, "#")))
		return (conf_frag(cx, "\"%s\" must start with \"/\" and hold "
		    "no spaces or control characters", path));
	return (NULL);
}

/* RFC 6265 4.1.1: a cookie-name is an RFC 2616 token. */
static const char *
check_cookie(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const char *name = *(const char **)field;

	(void)s;
	if (name != NULL && (name[0] == '\0' ||
	    up_has_ctl(name, "()<>@,;:\\\"/[]?={}")))
		return (conf_frag(cx, "bad cookie name \"%s\"", name));
	return (NULL);
}

static const char *
check_prefix(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const char *p = *(const char **)field;

	(void)s;
	if (p != NULL && p[0] != '\0' && (p[0] != '/' || up_has_ctl(p, "?#")))
		return (conf_frag(cx, "\"%s\" must be \"\" or a path starting "
		    "with \"/\", without spaces, \"?\" or \"#\"", p));
	return (NULL);
}

/* What a group needs when it is written at all. */
static void
up_group_required(struct pt_conf_ctx *cx, config_setting_t *g,
    const char *group, const char *key, const void *value,
    const char *example)
{
	config_setting_t *sub;

	if ((sub = config_setting_get_member(g, group)) != NULL &&
	    config_setting_is_group(sub) && value == NULL)
		pt_conf_error(cx, sub, "missing required directive \"%s\" "
		    "(e.g. %s)", key, example);
}

/* Copies a parsed pool into the contract's struct. */
static void
upstream_record_fill(struct pt_conf_ctx *cx, const struct up_raw *raw,
    struct conf_upstream *up)
{
	up->name = raw->name;
	up->balance = (enum upstream_balance)raw->balance;
	up->hash_key = raw->hash_key;
	up->servers = raw->servers;
	up->nservers = raw->nservers;
	up->connect_timeout_ms = raw->connect_timeout;
	up->idle_timeout_ms = raw->idle_timeout;
	up->idle_max = (int)raw->idle_max;
	up->tries = (int)raw->tries;
	up->try_timeout_ms = raw->try_timeout;
	up->resolve_interval_ms = raw->resolve_interval;
	up->fail_max = (int)raw->passive.failures;
	up->fail_window_ms = raw->passive.window;
	up->fail_cooldown_ms = raw->passive.cooldown;
	up->slow_start_ms = raw->slow_start;
	up->send_proxy_protocol = raw->send_proxy_protocol;
	up->health_path = raw->health.path;
	up->health_interval_ms = raw->health.interval;
	up->health_timeout_ms = raw->health.timeout;
	up->health_fall = (int)raw->health.fall;
	up->health_rise = (int)raw->health.rise;
	up->health_statuses = raw->health.statuses.v;
	up->nhealth_statuses = raw->health.statuses.n;
	up->sticky_cookie = raw->sticky.cookie;
	if (up->sticky_cookie != NULL)
		up->sticky_var = pt_printf(cx->arena, "cookie.%s",
		    up->sticky_cookie);
}

/* One pool { name = ...; servers = ( ... ); ... } into up. */
static void
upstream_record(struct pt_conf_ctx *cx, config_setting_t *g,
    struct conf_upstream *up, const struct conf_upstream *earlier,
    size_t nearlier)
{
	static const struct pt_directive *const tables[] = {
		conf_upstream_directives, NULL
	};
	struct conf_block	 b = { &g, 1, G, "" };
	config_setting_t	*sv, *nm;
	struct up_raw		 raw;
	size_t			 i;

	memset(&raw, 0, sizeof(raw));
	conf_table_parse(cx, conf_upstream_directives, &b, &raw, NULL);
	conf_unknown_check(cx, g, G, tables, false);
	up_group_required(cx, g, "health", "path", raw.health.path,
	    "path = \"/healthz\";");
	up_group_required(cx, g, "sticky", "cookie", raw.sticky.cookie,
	    "cookie = \"PTSRV\";");
	upstream_record_fill(cx, &raw, up);
	up->file = conf_strdup(cx, config_setting_source_file(g));
	up->line = (int)config_setting_source_line(g);
	if ((nm = config_setting_get_member(g, "name")) == NULL) {
		pt_conf_error(cx, g, "missing required directive \"name\" "
		    "(e.g. name = \"app\";)");
		return;
	}
	sv = config_setting_get_member(g, "servers");
	if (raw.nservers == 0 && (sv == NULL || config_setting_length(sv) == 0))
		pt_conf_error(cx, sv != NULL ? sv : g, "upstream %s has no "
		    "servers (e.g. %s)", raw.name != NULL ? raw.name : "?",
		    SERVERS_EXAMPLE);
	for (i = 0; raw.name != NULL && i < nearlier; i++)
		if (earlier[i].name != NULL &&
		    strcmp(earlier[i].name, raw.name) == 0) {
			pt_conf_error(cx, nm, "duplicate upstream \"%s\" (first "
			    "at %s:%d)", raw.name, earlier[i].file,
			    earlier[i].line);
			up->name = NULL;	/* routes find the first */
			break;
		}
}

/* Called once per file that sets upstreams: the lists are concatenated. */
const char *
conf_parse_upstreams(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct pt_conf		*conf;
	struct conf_upstream	*up;
	config_setting_t	*g;
	unsigned int		 i, n;
	size_t			 k, j;

	conf = CONF_CONTAINER(field, struct pt_conf, upstreams);
	if (!config_setting_is_list(s))
		return (conf_frag(cx, "expected a list of upstream groups, not "
		    "%s", conf_type_name(s)));
	n = (unsigned int)config_setting_length(s);
	conf->upstreams = up_grow(cx, conf->upstreams, conf->nupstreams, n,
	    sizeof(*conf->upstreams));
	if (conf->upstreams == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "expected an upstream group { name "
			    "= ...; servers = ...; }, not %s",
			    conf_type_name(g));
			continue;
		}
		up = &conf->upstreams[conf->nupstreams];
		upstream_record(cx, g, up, conf->upstreams, conf->nupstreams);
		conf->nupstreams++;
	}
	/* The array may have moved: servers point back at their pool. */
	for (k = 0; k < conf->nupstreams; k++)
		for (j = 0; j < conf->upstreams[k].nservers; j++)
			conf->upstreams[k].servers[j].pool =
			    &conf->upstreams[k];
	return (NULL);
}

struct conf_upstream *
upstream_find(const struct pt_conf *cf, const char *name)
{
	size_t i;

	for (i = 0; cf != NULL && name != NULL && i < cf->nupstreams; i++)
		if (cf->upstreams[i].name != NULL &&
		    strcmp(cf->upstreams[i].name, name) == 0)
			return ((struct conf_upstream *)&cf->upstreams[i]);
	return (NULL);
}

/* "app, api" (the first few), for an unknown name without a close match. */
static const char *
up_names(struct pt_conf_ctx *cx, const char **v, size_t n)
{
	const char	*list = "";
	size_t		 i;

	for (i = 0; i < n && i < 8 && list != NULL; i++)
		list = pt_printf(cx->arena, "%s%s\"%s\"", list, i ? ", " : "",
		    v[i]);
	if (list != NULL && n > 8)
		list = pt_printf(cx->arena, "%s, ...", list);
	return (list != NULL ? list : "");
}

const char *
conf_check_route_upstream(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct conf_route	*rt;
	const struct pt_conf	*cf = cx->conf;
	const char		*name = *(const char **)field;

	(void)s;
	rt = CONF_CONTAINER(field, struct conf_route, upstream_name);
	if (name == NULL || cf == NULL)
		return (NULL);
	if ((rt->upstream = upstream_find(cf, name)) != NULL)
		return (NULL);
	return (conf_upstream_unknown(cx, name));
}

const char *
conf_upstream_unknown(struct pt_conf_ctx *cx, const char *name)
{
	const struct pt_conf	*cf = cx->conf;
	const char		*dym, **names;
	size_t			 i, k = 0;

	if (cf->nupstreams == 0)
		return (conf_frag(cx, "no upstream named \"%s\" (none is "
		    "defined: upstreams = ( { name = \"%s\"; %s } );)", name,
		    name, SERVERS_EXAMPLE));
	if ((names = conf_calloc(cx, cf->nupstreams + 1, sizeof(*names))) ==
	    NULL)
		return (NULL);
	for (i = 0; i < cf->nupstreams; i++)
		if (cf->upstreams[i].name != NULL)
			names[k++] = cf->upstreams[i].name;
	if ((dym = conf_did_you_mean(cx, name, names))[0] != '\0')
		return (conf_frag(cx, "no upstream named \"%s\"%s", name, dym));
	return (conf_frag(cx, "no upstream named \"%s\" (defined: %s)", name,
	    up_names(cx, names, k)));
}
