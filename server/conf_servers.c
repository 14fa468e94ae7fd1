/*
 * The nested blocks: parsing servers, their listen addresses and routes,
 * and error_pages, each block with the inheritable keys, the modules'
 * groups and its own table (conf_scope_block). The tables that name these
 * parsers live in conf_core.c.
 */
#include "config.h"

#include <portier/module.h>
#include "conf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena_priv.h"
#include "conf_route.h"
#include "conf_upstream.h"

#define S	PT_SCOPE_SERVER
#define R	PT_SCOPE_ROUTE
#define GSR	(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

static const struct pt_directive *const server_tables[] = {
	conf_scope_directives, conf_server_directives, NULL
};
static const struct pt_directive *const route_tables[] = {
	conf_scope_directives, conf_route_directives, NULL
};

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

void
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

const char *
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
const char *
conf_parse_servers(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
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

const char *
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

const char *
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
