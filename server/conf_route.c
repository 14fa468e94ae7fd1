/*
 * The configuration of routing: how a route matches (path prefix, exact
 * path, regex), its conditions (methods, client, header, cookie), its
 * fixed answer (return), the checks across routes (one match key, one
 * kind of answer, routes an earlier one always takes), and server names
 * and defaults. Matching at run time is route_match.c.
 */
#include "config.h"

#include "conf_route.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena_priv.h"
#include "conf_upstream.h"
#include "rx.h"
#include "vars.h"

#define FIELD_EXAMPLE \
	"e.g. header = ( { name = \"X-Env\"; value = \"beta\"; } );"
#define RETURN_EXAMPLE \
	"e.g. return = { status = 301; location = \"https://%{host}%{uri}\"; };"

/* RFC 9110 5.6.2 tchar: methods, field names and cookie names. */
static bool
is_token(const char *s)
{
	if (*s == '\0')
		return (false);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) &&
		    strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return (false);
	return (true);
}

static bool
has_controls(const char *s, bool newlines_ok)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p < 0x20 && !(newlines_ok && (*p == '\n' ||
		    *p == '\t'))) || *p == 0x7f)
			return (true);
	return (false);
}

/* Every %{name} in s is a variable the core knows; NULL or a fragment. */
static const char *
check_vars(struct pt_conf_ctx *cx, const char *s)
{
	const char *p, *end;

	for (p = s; (p = strstr(p, "%{")) != NULL; p = end + 1) {
		if ((end = strchr(p, '}')) == NULL)
			return ("unterminated %{ (write %{name})");
		if (!var_is_known(p + 2, (size_t)(end - p - 2)))
			return (conf_frag(cx, "unknown variable %%{%.*s}",
			    (int)(end - p - 2), p + 2));
	}
	return (NULL);
}

const char *
conf_check_route_regex(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct conf_route	*rt;
	const char		*re = *(const char **)field;
	char			 err[160];

	(void)s;
	rt = CONF_CONTAINER(field, struct conf_route, regex);
	if (re == NULL)
		return (NULL);
	if (re[0] == '\0')
		return ("empty regex");
	if ((rt->rx = rx_compile(cx->arena, re, 0, err, sizeof(err))) == NULL)
		return (conf_frag(cx, "bad regex \"%s\": %s", re, err));
	return (NULL);
}

/* RFC 9110 9.1: method names are case-sensitive tokens. */
const char *
conf_check_methods(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const struct pt_strlist	*l = field;
	const char		*m;
	size_t			 i, j;

	(void)s;
	for (i = 0; i < l->n; i++) {
		m = l->v[i];
		if (!is_token(m))
			return (conf_frag(cx, "\"%s\" is not a method name",
			    m));
		for (j = 0; m[j] != '\0'; j++)
			if (islower((unsigned char)m[j]))
				return (conf_frag(cx, "\"%s\": methods are "
				    "case-sensitive, write them in capitals "
				    "(\"GET\")", m));
	}
	return (NULL);
}

/* { name = "X-Env"; value = "beta" | "~regex"; } or { name; present; } */
static void
field_cond_record(struct pt_conf_ctx *cx, config_setting_t *g,
    struct conf_field_cond *c, const char *prefix)
{
	static const char *const names[] = { "name", "value", "present",
	    NULL };
	config_setting_t	*n, *v, *pr;
	const char		*name, *val;
	char			 err[160];

	n = conf_member(g, "name");
	v = conf_member(g, "value");
	pr = conf_member(g, "present");
	conf_unknown_names(cx, g, names);
	if (n == NULL || (name = config_setting_get_string(n)) == NULL ||
	    !is_token(name)) {
		pt_conf_error(cx, n != NULL ? n : g, "%s (%s)", n == NULL ?
		    "missing \"name\"" : "expected a field or cookie name",
		    FIELD_EXAMPLE);
		return;
	}
	c->name = conf_strdup(cx, name);
	c->var = conf_frag(cx, "%s.%s", prefix, name);
	c->varlen = strlen(c->var);
	if ((v == NULL) == (pr == NULL)) {
		pt_conf_error(cx, g, "set exactly one of \"value\" and "
		    "\"present\" (%s)", FIELD_EXAMPLE);
		return;
	}
	if (pr != NULL) {
		if (config_setting_type(pr) != CONFIG_TYPE_BOOL)
			pt_conf_error(cx, pr, "expected true or false, not %s",
			    conf_type_name(pr));
		c->present = config_setting_get_bool(pr) != 0;
		return;
	}
	if ((val = config_setting_get_string(v)) == NULL) {
		pt_conf_error(cx, v, "expected a string, not %s",
		    conf_type_name(v));
		return;
	}
	c->present = true;
	c->value = conf_strdup(cx, val);
	if (val[0] != '~')
		return;
	if ((c->rx = rx_compile(cx->arena, val + 1, 0, err, sizeof(err))) ==
	    NULL)
		pt_conf_error(cx, v, "bad regex \"%s\": %s", val + 1, err);
}

static const char *
parse_field_conds(struct pt_conf_ctx *cx, const config_setting_t *s,
    struct conf_field_cond **out, size_t *nout, const char *prefix)
{
	config_setting_t	*g;
	unsigned int		 i, n;

	if (!config_setting_is_list(s))
		return (conf_frag(cx, "expected a list of records, not %s (%s)",
		    conf_type_name(s), FIELD_EXAMPLE));
	n = (unsigned int)config_setting_length(s);
	if ((*out = conf_calloc(cx, n, sizeof(**out))) == NULL)
		return (NULL);
	*nout = 0;
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "expected a record { name = ...; "
			    "value = ...; }, not %s", conf_type_name(g));
			continue;
		}
		field_cond_record(cx, g, &(*out)[(*nout)++], prefix);
	}
	return (NULL);
}

const char *
conf_parse_route_headers(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct conf_route *rt = CONF_CONTAINER(field, struct conf_route,
	    headers);

	return (parse_field_conds(cx, s, &rt->headers, &rt->nheaders,
	    "header"));
}

const char *
conf_parse_route_cookies(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct conf_route *rt = CONF_CONTAINER(field, struct conf_route,
	    cookies);

	return (parse_field_conds(cx, s, &rt->cookies, &rt->ncookies,
	    "cookie"));
}

static bool
is_redirect(long long st)
{
	return (st == 301 || st == 302 || st == 303 || st == 307 ||
	    st == 308);
}

/* A string member of return = { }, checked for controls and variables. */
static const char *
return_string(struct pt_conf_ctx *cx, config_setting_t *s, bool newlines_ok)
{
	const char *v, *frag;

	if (s == NULL)
		return (NULL);
	if ((v = config_setting_get_string(s)) == NULL) {
		pt_conf_error(cx, s, "expected a string, not %s",
		    conf_type_name(s));
		return (NULL);
	}
	if (has_controls(v, newlines_ok)) {
		pt_conf_error(cx, s, "must not contain control characters");
		return (NULL);
	}
	if ((frag = check_vars(cx, v)) != NULL) {
		pt_conf_error(cx, s, "%s", frag);
		return (NULL);
	}
	return (conf_strdup(cx, v));
}

const char *
conf_parse_return(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	static const char *const names[] = { "status", "location", "body",
	    "type", NULL };
	struct conf_return	*ret = field;
	config_setting_t	*g = (config_setting_t *)s, *st;
	long long		 v;

	if (!config_setting_is_group(g))
		return (conf_frag(cx, "expected a group, not %s (%s)",
		    conf_type_name(g), RETURN_EXAMPLE));
	st = conf_member(g, "status");
	ret->location = return_string(cx, conf_member(g, "location"), false);
	ret->body = return_string(cx, conf_member(g, "body"), true);
	ret->type = return_string(cx, conf_member(g, "type"), false);
	conf_unknown_names(cx, g, names);
	if (st == NULL)
		return (conf_frag(cx, "missing \"status\" (%s)",
		    RETURN_EXAMPLE));
	if (config_setting_type(st) != CONFIG_TYPE_INT) {
		pt_conf_error(cx, st, "expected a status code, not %s",
		    conf_type_name(st));
		return (NULL);
	}
	if ((v = config_setting_get_int64(st)) < 200 || v > 599) {
		pt_conf_error(cx, st, "%lld is out of range: must be between "
		    "200 and 599", v);
		return (NULL);
	}
	if (is_redirect(v) && conf_member(g, "location") == NULL)
		return (conf_frag(cx, "status %lld needs a location (%s)", v,
		    RETURN_EXAMPLE));
	if ((v == 204 || v == 304) && ret->body != NULL)
		return (conf_frag(cx, "status %lld has no body", v));
	if (ret->type != NULL && ret->body == NULL)
		return ("type is only used with body");
	if (ret->type == NULL)
		ret->type = "text/plain; charset=utf-8";
	ret->status = (int)v;
	return (NULL);
}

/*
 * names = [ "example.com", "*.example.com", "~^api\\d+\\.example\\.com$" ]:
 * exact names and wildcards are kept lowercase without a trailing dot, the
 * way hosts are compared; regexes are compiled caseless.
 */
static const char *
host_classify(struct pt_conf_ctx *cx, const char *name, struct conf_host *h)
{
	char	 err[160], *p;
	size_t	 len = strlen(name);

	if (name[0] == '~') {
		h->kind = HOST_REGEX;
		h->name = conf_strdup(cx, name);
		if ((h->rx = rx_compile(cx->arena, name + 1, RX_CASELESS, err,
		    sizeof(err))) == NULL)
			return (conf_frag(cx, "bad regex \"%s\": %s", name + 1,
			    err));
		return (NULL);
	}
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0)
		return ("empty name");
	h->kind = HOST_EXACT;
	if (name[0] == '*') {
		if (len < 3 || name[1] != '.')
			return (conf_frag(cx, "bad wildcard \"%s\" (write "
			    "\"*.example.com\")", name));
		h->kind = HOST_WILDCARD;
		name++;		/* keep the dot: "a.example.com" only */
		len--;
	}
	if ((p = pt_strndup(cx->arena, name, len)) == NULL)
		return ("out of memory");
	for (h->name = p; *p != '\0'; p++) {
		if (*p == '*')
			return (conf_frag(cx, "\"*\" may only start a name "
			    "(\"*.example.com\"); use \"~regex\" for more"));
		if ((unsigned char)*p <= ' ' || *p == '/' || *p == 0x7f)
			return (conf_frag(cx, "bad host name \"%s\"", name));
		*p = (char)tolower((unsigned char)*p);
	}
	h->len = len;
	return (NULL);
}

const char *
conf_check_server_names(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct conf_server	*srv;
	const char		*frag;
	size_t			 i;

	(void)s;
	srv = CONF_CONTAINER(field, struct conf_server, names);
	srv->nhosts = 0;
	if (srv->names.n == 0)
		return (NULL);
	if ((srv->hosts = conf_calloc(cx, srv->names.n,
	    sizeof(*srv->hosts))) == NULL)
		return (NULL);
	for (i = 0; i < srv->names.n; i++) {
		if ((frag = host_classify(cx, srv->names.v[i],
		    &srv->hosts[srv->nhosts])) != NULL)
			return (frag);
		srv->nhosts++;
	}
	return (NULL);
}

static bool
server_shares_listen(const struct conf_server *a, const struct conf_server *b)
{
	size_t i, j;

	for (i = 0; i < a->nlisten; i++)
		for (j = 0; j < b->nlisten; j++)
			if (strcmp(a->listen[i].text, b->listen[j].text) == 0)
				return (true);
	return (false);
}

static const struct conf_host *
server_has_host(const struct conf_server *srv, const struct conf_host *h)
{
	size_t i;

	for (i = 0; i < srv->nhosts; i++)
		if (srv->hosts[i].kind == h->kind &&
		    strcmp(srv->hosts[i].name, h->name) == 0)
			return (&srv->hosts[i]);
	return (NULL);
}

/*
 * Against the servers before srv (in conf->servers): one default per
 * listen address is an error; a name an earlier server on the same
 * address already has is a warning, since that server always wins.
 */
void
conf_server_finish(struct pt_conf_ctx *cx, config_setting_t *g,
    const struct conf_server *srv)
{
	const struct conf_server	*e;
	const config_setting_t		*s;
	size_t				 i;

	for (e = cx->conf->servers; e != NULL && e < srv; e++) {
		if (!server_shares_listen(e, srv))
			continue;
		if (srv->is_default && e->is_default) {
			s = config_setting_get_member(g, "default");
			pt_conf_error(cx, s != NULL ? s : g, "the server at "
			    "%s:%d is already the default on an address this "
			    "one listens on (one default per address)",
			    e->file, e->line);
		}
		for (i = 0; i < srv->nhosts; i++)
			if (server_has_host(e, &srv->hosts[i]) != NULL)
				pt_conf_warn(cx, config_setting_get_member(g,
				    "names"), "\"%s\" is also a name of the "
				    "server at %s:%d on the same address, "
				    "which is chosen first", srv->names.v[i],
				    e->file, e->line);
	}
}

/* Why a route e (no conditions) takes every request rt would, or NULL. */
static const char *
route_shadow_hint(const struct conf_route *e, const struct conf_route *rt)
{
	if (e->has_conds)
		return (NULL);
	if (e->kind == ROUTE_PREFIX) {
		if (rt->kind == ROUTE_PREFIX &&
		    strncmp(rt->prefix, e->prefix, e->path_len) == 0)
			return ("list the longer prefix first");
		if (rt->kind == ROUTE_EXACT &&
		    strncmp(rt->exact, e->prefix, e->path_len) == 0)
			return ("list the exact path first");
		if (rt->kind == ROUTE_REGEX && strcmp(e->prefix, "/") == 0)
			return ("list the regex first");
		return (NULL);
	}
	if (e->kind == rt->kind && strcmp(e->path, rt->path) == 0)
		return ("list the route with conditions first");
	return (NULL);
}

/*
 * The same match twice without conditions is an error; a route an earlier
 * one always takes first is legal but useless, hence a warning.
 */
static void
route_check_shadow(struct pt_conf_ctx *cx, const config_setting_t *at,
    const struct conf_server *srv, const struct conf_route *rt)
{
	const struct conf_route	*e;
	const char		*hint;

	for (e = srv->routes; e < rt; e++) {
		if (e->path == NULL)
			continue;
		if (!e->has_conds && !rt->has_conds && e->kind == rt->kind &&
		    strcmp(e->path, rt->path) == 0) {
			pt_conf_error(cx, at, "duplicate route \"%s\" (first "
			    "at %s:%d)", rt->path, e->file, e->line);
			return;
		}
		if ((hint = route_shadow_hint(e, rt)) != NULL) {
			pt_conf_warn(cx, at, "route \"%s\" is never used: the "
			    "earlier route \"%s\" (%s:%d) matches every path "
			    "it would (%s)", rt->path, e->path, e->file,
			    e->line, hint);
			return;
		}
	}
}

/*
 * At most one way to answer: proxy, files or a fixed answer. Access
 * rules or auth set on a route that answers itself would never run.
 */
static void
route_check_answer(struct pt_conf_ctx *cx, config_setting_t *g)
{
	const config_setting_t *up, *root, *ret, *ac, *au;

	up = config_setting_get_member(g, "upstream");
	root = config_setting_get_member(g, "root");
	ret = config_setting_get_member(g, "return");
	if (up != NULL && root != NULL)
		pt_conf_error(cx, up, "a route either serves files (root) or "
		    "proxies (upstream), not both: remove one");
	if (ret != NULL && (up != NULL || root != NULL))
		pt_conf_error(cx, ret, "a route with return answers itself: "
		    "remove its %s", up != NULL ? "upstream" : "root");
	ac = config_setting_get_member(g, "access");
	au = config_setting_get_member(g, "auth");
	if (ret != NULL && ((ac != NULL && config_setting_length(ac) > 0) ||
	    (au != NULL && config_setting_is_group(au))))
		pt_conf_warn(cx, ret, "access and auth do not apply to a route "
		    "with return (it answers before access checks)");
}

void
conf_route_finish(struct pt_conf_ctx *cx, config_setting_t *g,
    const struct conf_server *srv, struct conf_route *rt)
{
	const config_setting_t	*at = NULL, *s;
	int			 n = 0;

	if ((s = config_setting_get_member(g, "path")) != NULL && ++n)
		at = s;
	if ((s = config_setting_get_member(g, "exact")) != NULL && ++n)
		at = at != NULL ? at : s;
	if ((s = config_setting_get_member(g, "regex")) != NULL && ++n)
		at = at != NULL ? at : s;
	route_check_answer(cx, g);
	if (n == 0) {
		pt_conf_error(cx, g, "missing required directive \"path\" (or "
		    "\"exact\" or \"regex\"; e.g. path = \"/\";)");
		return;
	}
	if (n > 1) {
		pt_conf_error(cx, g, "set only one of \"path\", \"exact\" and "
		    "\"regex\"");
		return;
	}
	if (rt->prefix != NULL) {
		rt->kind = ROUTE_PREFIX;
		rt->path = rt->prefix;
	} else if (rt->exact != NULL) {
		rt->kind = ROUTE_EXACT;
		rt->path = rt->exact;
	} else if (rt->rx != NULL) {
		rt->kind = ROUTE_REGEX;
		rt->path = conf_frag(cx, "~%s", rt->regex);
	} else
		return;		/* its error was reported */
	rt->path_len = rt->kind == ROUTE_REGEX ? 0 : strlen(rt->path);
	rt->has_conds = rt->methods.n > 0 || rt->client.n > 0 ||
	    rt->nheaders > 0 || rt->ncookies > 0;
	route_check_shadow(cx, at, srv, rt);
}

static const char *
check_route_path(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const char *path = *(const char **)field;

	(void)s;
	if (path != NULL && path[0] != '/')
		return (conf_frag(cx, "\"%s\" must start with \"/\"", path));
	return (NULL);
}

/* Bytes from first to the end of last, for CUSTOM fields that are pairs. */
#define SPAN(type, first, last)						\
	(offsetof(type, last) + sizeof(((type *)0)->last) -		\
	    offsetof(type, first))

/* Routes match by one of path, exact and regex, then the conditions. */
const struct pt_directive conf_route_directives[] = {
	{ .name = "path", .type = PT_T_STRING, .scopes = PT_SCOPE_ROUTE,
	  .offset = offsetof(struct conf_route, prefix),
	  .check = check_route_path,
	  .hint = "a URL path prefix, e.g. \"/static/\"" },
	{ .name = "exact", .type = PT_T_STRING, .scopes = PT_SCOPE_ROUTE,
	  .offset = offsetof(struct conf_route, exact),
	  .check = check_route_path, .hint = "a whole path, e.g. \"/login\"" },
	{ .name = "regex", .type = PT_T_STRING, .scopes = PT_SCOPE_ROUTE,
	  .offset = offsetof(struct conf_route, regex),
	  .check = conf_check_route_regex,
	  .hint = "a PCRE2 pattern on the path, e.g. \"^/img/.*\\\\.png$\"" },
	{ .name = "methods", .type = PT_T_STRLIST, .scopes = PT_SCOPE_ROUTE,
	  .offset = offsetof(struct conf_route, methods), .def = "[ ]",
	  .check = conf_check_methods,
	  .hint = "e.g. [ \"GET\", \"HEAD\" ]; none: any method" },
	{ .name = "client", .type = PT_T_CUSTOM, .scopes = PT_SCOPE_ROUTE,
	  .offset = offsetof(struct conf_route, client),
	  .size = sizeof(struct cidr_list), .def = "[ ]",
	  .parse = conf_parse_cidr_list,
	  .hint = "addresses or ranges: [ \"10.0.0.0/8\", \"::1\" ]" },
	/* Singular: "headers" is mod_headers' group. */
	{ .name = "header", .type = PT_T_CUSTOM, .scopes = PT_SCOPE_ROUTE,
	  .offset = offsetof(struct conf_route, headers),
	  .size = SPAN(struct conf_route, headers, nheaders),
	  .parse = conf_parse_route_headers },
	{ .name = "cookie", .type = PT_T_CUSTOM, .scopes = PT_SCOPE_ROUTE,
	  .offset = offsetof(struct conf_route, cookies),
	  .size = SPAN(struct conf_route, cookies, ncookies),
	  .parse = conf_parse_route_cookies },
	{ .name = "upstream", .type = PT_T_STRING, .scopes = PT_SCOPE_ROUTE,
	  .offset = offsetof(struct conf_route, upstream_name),
	  .check = conf_check_route_upstream },
	{ .name = "return", .type = PT_T_CUSTOM, .scopes = PT_SCOPE_ROUTE,
	  .offset = offsetof(struct conf_route, ret),
	  .size = sizeof(struct conf_return), .parse = conf_parse_return },
	PT_DIRECTIVE_END
};

/* portier -T printers. */

void
conf_dump_client(FILE *fp, int depth, const void *field)
{
	const struct cidr_list	*l = field;
	char			 a[64];
	size_t			 i;

	conf_dump_indent(fp, depth);
	fputs("client = [", fp);
	for (i = 0; i < l->n; i++) {
		inet_ntop(l->v[i].family, l->v[i].addr, a, sizeof(a));
		fprintf(fp, "%s\"%s/%d\"", i == 0 ? " " : ", ", a,
		    l->v[i].bits);
	}
	fputs(" ];\n", fp);
}

static void
dump_field_conds(FILE *fp, int depth, const char *key,
    const struct conf_field_cond *v, size_t n)
{
	size_t i;

	conf_dump_indent(fp, depth);
	fprintf(fp, "%s = (", key);
	for (i = 0; i < n; i++) {
		fputs(i == 0 ? " { name = " : ", { name = ", fp);
		conf_dump_quoted(fp, v[i].name);
		if (v[i].value != NULL) {
			fputs("; value = ", fp);
			conf_dump_quoted(fp, v[i].value);
		} else
			fprintf(fp, "; present = %s", v[i].present ? "true" :
			    "false");
		fputs("; }", fp);
	}
	fputs(" );\n", fp);
}

void
conf_dump_headers(FILE *fp, int depth, const void *field)
{
	const struct conf_route *rt = CONF_CONTAINER(field,
	    const struct conf_route, headers);

	dump_field_conds(fp, depth, "header", rt->headers, rt->nheaders);
}

void
conf_dump_cookies(FILE *fp, int depth, const void *field)
{
	const struct conf_route *rt = CONF_CONTAINER(field,
	    const struct conf_route, cookies);

	dump_field_conds(fp, depth, "cookie", rt->cookies, rt->ncookies);
}

void
conf_dump_return(FILE *fp, int depth, const void *field)
{
	const struct conf_return *ret = field;

	conf_dump_indent(fp, depth);
	if (ret->status == 0) {
		fputs("# return: not set\n", fp);
		return;
	}
	fprintf(fp, "return = { status = %d;", ret->status);
	if (ret->location != NULL) {
		fputs(" location = ", fp);
		conf_dump_quoted(fp, ret->location);
		fputc(';', fp);
	}
	if (ret->body != NULL) {
		fputs(" body = ", fp);
		conf_dump_quoted(fp, ret->body);
		fputs("; type = ", fp);
		conf_dump_quoted(fp, ret->type);
		fputc(';', fp);
	}
	fputs(" };\n", fp);
}
