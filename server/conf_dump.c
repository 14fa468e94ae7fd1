/*
 * portier -T: prints the effective configuration in libconfig syntax that
 * conf_load() accepts again. Defaults are filled in and inheritance is
 * applied, so every server and every route shows all the values that
 * apply to it. Walks the same tables the loader uses; only the core's
 * CUSTOM entries need a printer of their own.
 */
#include "config.h"

#include "conf.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

typedef void	(*dump_fn)(FILE *, int, const void *);

static void	dump_table(FILE *, int, const struct pt_directive *,
		    const void *, unsigned int, int);
static void	dump_listen(FILE *, int, const void *);
static void	dump_servers(FILE *, int, const void *);
static void	dump_routes(FILE *, int, const void *);
static void	dump_error_pages(FILE *, int, const void *);

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
	{ "servers",		dump_servers,		true },
	{ "routes",		dump_routes,		true },
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
	dump_table(fp, 0, conf_core_directives, conf, PT_SCOPE_GLOBAL,
	    PASS_BLOCKS);
}
