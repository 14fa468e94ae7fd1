/*
 * portier -T: prints the effective configuration in libconfig syntax that
 * conf_load() accepts again. Defaults are filled in and inheritance is
 * applied, so every server and every route shows all the values that
 * apply to it. Walks the same tables the loader uses; only the core's
 * CUSTOM entries need a printer of their own. Each loaded module's group
 * is printed at the global level only, through the module's own table.
 */
#include "config.h"

#include "conf.h"
#include "conf_route.h"
#include "conf_upstream.h"
#include "forward.h"

#include <portier/module.h>

#include <limits.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

typedef void	(*dump_fn)(FILE *, int, const void *);

static void	dump_table(FILE *, int, const struct pt_directive *,
		    const void *, unsigned int, int);
static void	dump_listen(FILE *, int, const void *);
static void	dump_servers(FILE *, int, const void *);
static void	dump_routes(FILE *, int, const void *);
static void	dump_error_pages(FILE *, int, const void *);
static void	dump_cidr_list(FILE *, int, const void *);
static void	dump_log_modules(FILE *, int, const void *);
static void	dump_cidr_list_pp(FILE *, int, const void *);

/* Which entries a pass prints: the nested blocks come after the values. */
#define PASS_VALUES	1
#define PASS_BLOCKS	2

static const struct {
	const char	*name;
	dump_fn		 fn;		/* NULL: not printed */
	bool		 block;		/* nests servers or routes */
} dump_custom[] = {
	{ "include",		NULL,			false },
	{ "listen",		dump_listen,		false },
	{ "error_pages",	dump_error_pages,	false },
	{ "trusted_proxies",	dump_cidr_list,		false },
	{ "log_modules",	dump_log_modules,	false },
	{ "proxy_protocol_from", dump_cidr_list_pp,	false },
	{ "upstreams",		conf_upstreams_dump,	false },
	{ "servers",		dump_servers,		true },
	{ "routes",		dump_routes,		true },
	{ "client",		conf_dump_client,	false },
	{ "header",		conf_dump_headers,	false },
	{ "cookie",		conf_dump_cookies,	false },
	{ "return",		conf_dump_return,	false },
	{ "access",		conf_dump_access,	false },
	{ "auth",		conf_dump_auth,		false },
	{ "forward_proxy",	conf_dump_forward,	false },
	{ NULL,			NULL,			false }
};

static void
dump_indent(FILE *fp, int depth)
{
	while (depth-- > 0)
		fputc('\t', fp);
}

/* A libconfig string literal: quotes, backslashes and controls escaped. */
static void
dump_string(FILE *fp, const char *s)
{
	const unsigned char *p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p == '\t')
			fputs("\\t", fp);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/* For the printers of other files (conf_route.c, conf_access.c). */
void
conf_dump_quoted(FILE *fp, const char *s)
{
	dump_string(fp, s);
}

void
conf_dump_indent(FILE *fp, int depth)
{
	dump_indent(fp, depth);
}

static void
dump_cidr_named(FILE *fp, int depth, const char *name, const void *field)
{
	const struct cidr_list	*l = field;
	char			 a[64];
	size_t			 i;

	dump_indent(fp, depth);
	fprintf(fp, "%s = [", name);
	for (i = 0; i < l->n; i++) {
		inet_ntop(l->v[i].family, l->v[i].addr, a, sizeof(a));
		fprintf(fp, "%s\"%s/%d\"", i == 0 ? " " : ", ", a, l->v[i].bits);
	}
	fputs(" ];\n", fp);
}

static void
dump_log_modules(FILE *fp, int depth, const void *field)
{
	const struct pt_conf	*cf = CONF_CONTAINER(field, struct pt_conf,
				    log_modules);
	size_t			 i;

	dump_indent(fp, depth);
	fputs("log_modules = (", fp);
	for (i = 0; i < cf->nlog_modules; i++)
		fprintf(fp, "%s { module = \"%s\"; level = \"%s\"; }",
		    i == 0 ? "" : ",", cf->log_modules[i].tag,
		    conf_log_levels[cf->log_modules[i].level]);
	fputs(" );\n", fp);
}

static void
dump_cidr_list(FILE *fp, int depth, const void *field)
{
	dump_cidr_named(fp, depth, "trusted_proxies", field);
}

static void
dump_cidr_list_pp(FILE *fp, int depth, const void *field)
{
	dump_cidr_named(fp, depth, "proxy_protocol_from", field);
}

static void
dump_strlist(FILE *fp, const struct pt_strlist *l)
{
	size_t i;

	fputs("[", fp);
	for (i = 0; i < l->n; i++) {
		fputs(i == 0 ? " " : ", ", fp);
		dump_string(fp, l->v[i]);
	}
	fputs(" ]", fp);
}

static void
dump_custom_entry(FILE *fp, int depth, const struct pt_directive *d,
    const void *field, int pass)
{
	size_t i;

	for (i = 0; dump_custom[i].name != NULL; i++)
		if (strcmp(dump_custom[i].name, d->name) == 0)
			break;
	if ((pass == PASS_BLOCKS) != dump_custom[i].block)
		return;
	if (dump_custom[i].name == NULL) {
		dump_indent(fp, depth);
		fprintf(fp, "# %s: (no printer for this directive)\n", d->name);
		return;
	}
	if (dump_custom[i].fn != NULL)
		dump_custom[i].fn(fp, depth, field);
}

static void
dump_scalar(FILE *fp, const struct pt_directive *d, const void *field)
{
	char		buf[64];
	long long	v;
	int		e;

	switch (d->type) {
	case PT_T_BOOL:
		fputs(*(const bool *)field ? "true" : "false", fp);
		break;
	case PT_T_INT:
		v = *(const long long *)field;
		fprintf(fp, "%lld%s", v, v > INT_MAX || v < INT_MIN ? "L" : "");
		break;
	case PT_T_SIZE:
		dump_string(fp, conf_size_fmt(*(const long long *)field, buf,
		    sizeof(buf)));
		break;
	case PT_T_DURATION:
		dump_string(fp, conf_duration_fmt(*(const long long *)field,
		    buf, sizeof(buf)));
		break;
	case PT_T_STRING:
	case PT_T_PATH:
		dump_string(fp, *(const char *const *)field);
		break;
	case PT_T_ENUM:
		e = *(const int *)field;
		dump_string(fp, e >= 0 && d->choices[e] != NULL ?
		    d->choices[e] : "?");
		break;
	case PT_T_STRLIST:
		dump_strlist(fp, field);
		break;
	case PT_T_GROUP:
	case PT_T_CUSTOM:
		break;
	}
}

static void
dump_entry(FILE *fp, int depth, const struct pt_directive *d,
    const void *field, int pass)
{
	if (d->type == PT_T_CUSTOM) {
		dump_custom_entry(fp, depth, d, field, pass);
		return;
	}
	if (pass != PASS_VALUES)
		return;
	dump_indent(fp, depth);
	if (d->type == PT_T_GROUP) {
		fprintf(fp, "%s = {\n", d->name);
		dump_table(fp, depth + 1, d->sub, field, d->scopes,
		    PASS_VALUES);
		dump_indent(fp, depth);
		fputs("};\n", fp);
		return;
	}
	if ((d->type == PT_T_STRING || d->type == PT_T_PATH) &&
	    *(const char *const *)field == NULL) {
		fprintf(fp, "# %s: not set\n", d->name);
		return;
	}
	fprintf(fp, "%s = ", d->name);
	dump_scalar(fp, d, field);
	fputs(";\n", fp);
}

static void
dump_table(FILE *fp, int depth, const struct pt_directive *t,
    const void *base, unsigned int scope, int pass)
{
	for (; t->name != NULL; t++)
		if (t->scopes & scope)
			dump_entry(fp, depth, t, (const char *)base + t->offset,
			    pass);
}

static void
dump_listen(FILE *fp, int depth, const void *field)
{
	const struct conf_server	*srv;
	size_t				 i;

	srv = CONF_CONTAINER(field, const struct conf_server, listen);
	dump_indent(fp, depth);
	fputs("listen = [", fp);
	for (i = 0; i < srv->nlisten; i++) {
		fputs(i == 0 ? " " : ", ", fp);
		dump_string(fp, srv->listen[i].text);
	}
	fputs(" ];\n", fp);
}

/* One record per run of statuses sharing a file, as they were written. */
static void
dump_error_pages(FILE *fp, int depth, const void *field)
{
	const struct core_scope	*sc;
	size_t			 i, j;

	sc = CONF_CONTAINER(field, const struct core_scope, error_pages);
	dump_indent(fp, depth);
	if (sc->nerror_pages == 0) {
		fputs("error_pages = ( );\n", fp);
		return;
	}
	fputs("error_pages = (\n", fp);
	for (i = 0; i < sc->nerror_pages; i = j) {
		dump_indent(fp, depth + 1);
		fputs("{ status = [", fp);
		for (j = i; j < sc->nerror_pages && strcmp(
		    sc->error_pages[j].file, sc->error_pages[i].file) == 0; j++)
			fprintf(fp, "%s%d", j == i ? " " : ", ",
			    sc->error_pages[j].status);
		fputs(" ]; file = ", fp);
		dump_string(fp, sc->error_pages[i].file);
		fprintf(fp, "; }%s\n", j < sc->nerror_pages ? "," : "");
	}
	dump_indent(fp, depth);
	fputs(");\n", fp);
}

static void
dump_routes(FILE *fp, int depth, const void *field)
{
	const struct conf_server	*srv;
	const struct conf_route		*rt;
	size_t				 i;

	srv = CONF_CONTAINER(field, const struct conf_server, routes);
	dump_indent(fp, depth);
	fputs("routes = (\n", fp);
	for (i = 0; i < srv->nroutes; i++) {
		rt = &srv->routes[i];
		dump_indent(fp, depth + 1);
		fprintf(fp, "{\t# %s:%d\n", rt->file != NULL ? rt->file : "?",
		    rt->line);
		dump_table(fp, depth + 2, conf_route_directives, rt,
		    PT_SCOPE_ROUTE, PASS_VALUES);
		dump_table(fp, depth + 2, conf_scope_directives, &rt->sc,
		    PT_SCOPE_ROUTE, PASS_VALUES);
		dump_indent(fp, depth + 1);
		fprintf(fp, "}%s\n", i + 1 < srv->nroutes ? "," : "");
	}
	dump_indent(fp, depth);
	fputs(");\n", fp);
}

static void
dump_servers(FILE *fp, int depth, const void *field)
{
	const struct pt_conf		*conf;
	const struct conf_server	*srv;
	size_t				 i;

	conf = CONF_CONTAINER(field, const struct pt_conf, servers);
	dump_indent(fp, depth);
	fputs("servers = (\n", fp);
	for (i = 0; i < conf->nservers; i++) {
		srv = &conf->servers[i];
		dump_indent(fp, depth + 1);
		fprintf(fp, "{\t# %s:%d\n", srv->file != NULL ? srv->file : "?",
		    srv->line);
		dump_table(fp, depth + 2, conf_server_directives, srv,
		    PT_SCOPE_SERVER, PASS_VALUES);
		dump_table(fp, depth + 2, conf_scope_directives, &srv->sc,
		    PT_SCOPE_SERVER, PASS_VALUES);
		dump_table(fp, depth + 2, conf_server_directives, srv,
		    PT_SCOPE_SERVER, PASS_BLOCKS);
		dump_indent(fp, depth + 1);
		fprintf(fp, "}%s\n", i + 1 < conf->nservers ? "," : "");
	}
	dump_indent(fp, depth);
	fputs(");\n", fp);
}

/*
 * A module's table: its values as for the core, but its CUSTOM entries
 * have no printer here (the core's printers above would misread them),
 * and entries not valid at this scope are named in a comment, so the
 * dump lists every key the module has.
 */
static void
dump_module_table(FILE *fp, int depth, const struct pt_directive *t,
    const void *base)
{
	const void *field;

	for (; t->name != NULL; t++) {
		field = (const char *)base + t->offset;
		if ((t->scopes & PT_SCOPE_GLOBAL) != 0 &&
		    t->type != PT_T_CUSTOM && t->type != PT_T_GROUP) {
			dump_entry(fp, depth, t, field, PASS_VALUES);
			continue;
		}
		dump_indent(fp, depth);
		if ((t->scopes & PT_SCOPE_GLOBAL) == 0)
			fprintf(fp, "# %s: not valid at global scope\n", t->name);
		else if (t->type == PT_T_CUSTOM)
			fprintf(fp, "# %s: (no printer for this directive)\n",
			    t->name);
		else {
			fprintf(fp, "%s = {\n", t->name);
			dump_module_table(fp, depth + 1, t->sub, field);
			dump_indent(fp, depth);
			fputs("};\n", fp);
		}
	}
}

/* Each loaded module's global block, in modules.load order. */
static void
dump_modules(FILE *fp, const struct pt_conf *conf)
{
	const struct pt_module	*m;
	size_t			 k;

	for (k = 0; k < conf->nmodules && conf->mod_conf != NULL; k++) {
		m = conf->modules[k];
		if (m->directives == NULL || m->directives[0].name == NULL ||
		    conf->mod_conf[k] == NULL) {
			fprintf(fp, "# mod_%s %s: no directives\n", m->name,
			    m->version != NULL ? m->version : "");
			continue;
		}
		fprintf(fp, "%s = {\t# mod_%s %s\n", m->name, m->name,
		    m->version != NULL ? m->version : "");
		dump_module_table(fp, 1, m->directives, conf->mod_conf[k]);
		fputs("};\n", fp);
	}
}

void
conf_dump(const struct pt_conf *conf, FILE *fp)
{
	fprintf(fp, "# Effective configuration of %s\n# (portier -T: defaults "
	    "filled in, inherited values shown where they apply)\n\n",
	    conf->file != NULL ? conf->file : "?");
	dump_table(fp, 0, conf_core_directives, conf, PT_SCOPE_GLOBAL,
	    PASS_VALUES);
	dump_table(fp, 0, conf_scope_directives, &conf->sc, PT_SCOPE_GLOBAL,
	    PASS_VALUES);
	dump_modules(fp, conf);
	dump_table(fp, 0, conf_core_directives, conf, PT_SCOPE_GLOBAL,
	    PASS_BLOCKS);
}
