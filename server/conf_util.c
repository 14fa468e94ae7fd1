/*
 * Generic directive parsing: one function per type (enums, string lists,
 * sizes and durations via conf_units.c), defaults written as config text
 * and parsed like user input, inheritance from the enclosing scope.
 * conf.c decides which groups a table reads; the tables themselves live
 * in conf_core.c (and later in modules).
 */
#include "config.h"

#include "conf.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena_priv.h"

/* How far a table walk got with one entry; checks run on SET and DEFAULT. */
enum conf_state { E_UNSET, E_INHERITED, E_DEFAULT, E_SET };

/*
 * The hook libconfig keeps in every setting marks it consumed; conf.c
 * walks each block afterwards and reports any member left unmarked.
 */
static const char conf_seen_mark = 1;

config_setting_t *
conf_member(const config_setting_t *group, const char *name)
{
	config_setting_t *s;

	if (group == NULL || !config_setting_is_group(group))
		return (NULL);
	if ((s = config_setting_get_member(group, name)) != NULL)
		config_setting_set_hook(s, (void *)(uintptr_t)&conf_seen_mark);
	return (s);
}

bool
conf_is_seen(const config_setting_t *s)
{
	return (config_setting_get_hook(s) == &conf_seen_mark);
}

void *
conf_calloc(struct pt_conf_ctx *cx, size_t n, size_t size)
{
	void *p;

	if ((p = pt_calloc(cx->arena, n == 0 ? 1 : n, size)) == NULL)
		pt_conf_error(cx, NULL, "out of memory");
	return (p);
}

char *
conf_strdup(struct pt_conf_ctx *cx, const char *s)
{
	char *p;

	if ((p = pt_strdup(cx->arena, s)) == NULL)
		pt_conf_error(cx, NULL, "out of memory");
	return (p);
}

/* An error fragment with values in it, allocated in the conf arena. */
const char *
conf_frag(struct pt_conf_ctx *cx, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = pt_vprintf(cx->arena, fmt, ap);
	va_end(ap);
	return (p != NULL ? p : "out of memory");
}

const char *
conf_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return ("a group { }");
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return ("an integer");
	case CONFIG_TYPE_FLOAT:
		return ("a number with a fraction");
	case CONFIG_TYPE_STRING:
		return ("a string");
	case CONFIG_TYPE_BOOL:
		return ("a boolean");
	case CONFIG_TYPE_ARRAY:
		return ("an array [ ]");
	case CONFIG_TYPE_LIST:
		return ("a list ( )");
	default:
		return ("nothing");
	}
}

/*
 * libconfig 1.5 reads "3000000000" as an int and wraps it without a word.
 * Look at the source line: a literal for this key outside the int range
 * whose wrapped value is what libconfig kept means the operator's number
 * was lost.
 */
static bool
conf_int_wrapped(struct pt_conf_ctx *cx, const config_setting_t *s)
{
	const char	*text, *name, *p, *eol;
	unsigned int	 line;
	size_t		 nlen;
	long long	 lit;
	char		*end;

	name = config_setting_name(s);
	if (name == NULL || (text = conf_file_text(cx, s)) == NULL)
		return (false);
	for (line = config_setting_source_line(s); line > 1 && text; line--)
		if ((text = strchr(text, '\n')) != NULL)
			text++;
	if (text == NULL)
		return (false);
	eol = strchr(text, '\n');
	nlen = strlen(name);
	for (p = text; (p = strstr(p, name)) != NULL && (!eol || p < eol);
	    p += nlen) {
		if (p > text && (isalnum((unsigned char)p[-1]) ||
		    p[-1] == '_'))
			continue;
		end = (char *)p + nlen;
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end != '=' && *end != ':')
			continue;
		lit = strtoll(end + 1, &end, 10);
		if ((lit > INT_MAX || lit < INT_MIN) &&
		    (long long)(int)(unsigned int)lit ==
		    config_setting_get_int64(s))
			return (true);
	}
	return (false);
}

static const char *
conf_parse_int(struct pt_conf_ctx *cx, const struct pt_directive *d,
    const config_setting_t *s, long long *out)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return (conf_frag(cx, "expected an integer, not %s",
		    conf_type_name(s)));
	v = config_setting_get_int64(s);
	if (config_setting_type(s) == CONFIG_TYPE_INT &&
	    conf_int_wrapped(cx, s))
		return ("too large: libconfig 1.5 wraps integers above "
		    "2147483647 silently");
	if ((d->min != 0 || d->max != 0) && (v < d->min || v > d->max))
		return (conf_frag(cx, "%lld is out of range: must be between "
		    "%lld and %lld", v, d->min, d->max));
	*out = v;
	return (NULL);
}

/* SIZE and DURATION: strings with units; a bare number gets a hint. */
static const char *
conf_parse_unit(struct pt_conf_ctx *cx, const struct pt_directive *d,
    const config_setting_t *s, long long *out, const char **hint)
{
	bool		 dur = d->type == PT_T_DURATION;
	const char	*str, *e, *what = dur ? "duration" : "size";
	char		 lo[32], hi[32];
	long long	 v;

	if (config_setting_is_number(s)) {
		*hint = dur ? "write it as a string with a unit, e.g. \"5s\"" :
		    "write it as a string with a unit, e.g. \"10m\"";
		if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
			return (conf_frag(cx, "bare number %g is not a %s",
			    config_setting_get_float(s), what));
		return (conf_frag(cx, "bare number %lld is not a %s",
		    config_setting_get_int64(s), what));
	}
	if ((str = config_setting_get_string(s)) == NULL)
		return (conf_frag(cx, "expected a %s string, not %s", what,
		    conf_type_name(s)));
	e = dur ? pt_parse_duration(str, &v) : pt_parse_size(str, &v);
	if (e != NULL) {
		*hint = dur ?
		    "units ms, s, m, h, d, e.g. \"500ms\" or \"1m30s\"" :
		    "bytes, or a number with k, m, g or t, e.g. \"64k\"";
		return (conf_frag(cx, "bad %s \"%s\": %s", what, str, e));
	}
	if (v < d->min || v > d->max) {
		if (dur) {
			conf_duration_fmt(d->min, lo, sizeof(lo));
			conf_duration_fmt(d->max, hi, sizeof(hi));
		} else {
			conf_size_fmt(d->min, lo, sizeof(lo));
			conf_size_fmt(d->max, hi, sizeof(hi));
		}
		return (conf_frag(cx, "\"%s\" is out of range: must be between "
		    "%s and %s", str, lo, hi));
	}
	*out = v;
	return (NULL);
}

/* "one of: a, b, c", the hint for an enum without one of its own. */
static const char *
conf_enum_hint(struct pt_conf_ctx *cx, const struct pt_directive *d)
{
	char	*list;
	size_t	 i;

	if (d->hint != NULL)
		return (NULL);
	list = pt_strdup(cx->arena, "one of:");
	for (i = 0; d->choices[i] != NULL && list != NULL; i++)
		list = pt_printf(cx->arena, "%s%s %s", list, i ? "," : "",
		    d->choices[i]);
	return (list);
}

static const char *
conf_parse_enum(struct pt_conf_ctx *cx, const struct pt_directive *d,
    const config_setting_t *s, int *out, const char **hint)
{
	const char	*str, *dym;
	size_t		 i;

	if ((str = config_setting_get_string(s)) == NULL) {
		*hint = conf_enum_hint(cx, d);
		return (conf_frag(cx, "expected a string, not %s",
		    conf_type_name(s)));
	}
	for (i = 0; d->choices[i] != NULL; i++)
		if (strcasecmp(str, d->choices[i]) == 0) {
			*out = (int)i;
			return (NULL);
		}
	/* A close match says more than the whole list. */
	dym = conf_did_you_mean(cx, str, d->choices);
	*hint = dym[0] != '\0' ? "" : conf_enum_hint(cx, d);
	return (conf_frag(cx, "unknown value \"%s\"%s", str, dym));
}

static const char *
conf_parse_string(struct pt_conf_ctx *cx, const struct pt_directive *d,
    const config_setting_t *s, const char **out)
{
	const char	*str;
	size_t		 i;

	if ((str = config_setting_get_string(s)) == NULL)
		return (conf_frag(cx, "expected a string, not %s",
		    conf_type_name(s)));
	if (d->type == PT_T_STRING) {
		*out = conf_strdup(cx, str);
		return (NULL);
	}
	if (str[0] == '\0')
		return ("empty path");
	/* Literals such as "stderr" or "off" are not file names. */
	for (i = 0; d->choices != NULL && d->choices[i] != NULL; i++)
		if (strcmp(str, d->choices[i]) == 0) {
			*out = conf_strdup(cx, str);
			return (NULL);
		}
	*out = pt_conf_path(cx, s, str);
	return (NULL);
}

/* A string or a list of strings; elements that are not strings reported. */
const char *
conf_strlist_parse(struct pt_conf_ctx *cx, const config_setting_t *s,
    struct pt_strlist *l)
{
	const config_setting_t	*e;
	const char		**v;
	unsigned int		 n, i;
	size_t			 k = 0;

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		n = 1;
	else if (config_setting_is_array(s) || config_setting_is_list(s))
		n = (unsigned int)config_setting_length(s);
	else
		return (conf_frag(cx, "expected a string or a list of strings, "
		    "not %s", conf_type_name(s)));
	if ((v = conf_calloc(cx, n + 1, sizeof(*v))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		e = config_setting_type(s) == CONFIG_TYPE_STRING ? s :
		    config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			pt_conf_error(cx, e, "expected a string, not %s",
			    conf_type_name(e));
			continue;
		}
		v[k++] = conf_strdup(cx, config_setting_get_string(e));
	}
	l->n = k;
	l->v = v;
	return (NULL);
}

/* Parses s into field by d's type; NULL or a fragment (and maybe a hint). */
static const char *
conf_value_parse(struct pt_conf_ctx *cx, const struct pt_directive *d,
    const config_setting_t *s, void *field, const char **hint)
{
	switch (d->type) {
	case PT_T_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return (conf_frag(cx, "expected true or false, not %s",
			    conf_type_name(s)));
		*(bool *)field = config_setting_get_bool(s) != 0;
		return (NULL);
	case PT_T_INT:
		return (conf_parse_int(cx, d, s, field));
	case PT_T_SIZE:
	case PT_T_DURATION:
		return (conf_parse_unit(cx, d, s, field, hint));
	case PT_T_STRING:
	case PT_T_PATH:
		return (conf_parse_string(cx, d, s, field));
	case PT_T_ENUM:
		return (conf_parse_enum(cx, d, s, field, hint));
	case PT_T_STRLIST:
		return (conf_strlist_parse(cx, s, field));
	case PT_T_CUSTOM:
		return (d->parse(cx, s, field));
	case PT_T_GROUP:
		break;
	}
	return ("internal error: unknown type");
}

static size_t
conf_field_size(const struct pt_directive *d)
{
	switch (d->type) {
	case PT_T_BOOL:
		return (sizeof(bool));
	case PT_T_INT:
	case PT_T_SIZE:
	case PT_T_DURATION:
		return (sizeof(long long));
	case PT_T_STRING:
	case PT_T_PATH:
		return (sizeof(const char *));
	case PT_T_ENUM:
		return (sizeof(int));
	case PT_T_STRLIST:
		return (sizeof(struct pt_strlist));
	case PT_T_CUSTOM:
		return (d->size);
	case PT_T_GROUP:
		break;
	}
	return (0);
}

static const char *
conf_key_join(struct pt_conf_ctx *cx, const char *prefix, const char *name)
{
	if (prefix == NULL || prefix[0] == '\0')
		return (name);
	return (conf_frag(cx, "%s.%s", prefix, name));
}

static void
conf_report(struct pt_conf_ctx *cx, const struct pt_directive *d,
    const config_setting_t *s, const char *frag, const char *hint)
{
	if (hint == NULL)
		hint = d->hint;
	if (hint != NULL && hint[0] != '\0')
		pt_conf_error(cx, s, "%s (%s)", frag, hint);
	else
		pt_conf_error(cx, s, "%s", frag);
}

/* Defaults are config text, parsed by the same code as the operator's. */
static void
conf_default_parse(struct pt_conf_ctx *cx, const struct pt_directive *d,
    const struct conf_block *b, void *field)
{
	config_t		 tmp;
	config_setting_t	*s;
	const char		*saved = cx->dflt_key, *frag, *hint = NULL;
	char			*text;

	cx->dflt_key = conf_key_join(cx, b->prefix, d->name);
	config_init(&tmp);
	if ((text = pt_printf(cx->arena, "v = %s;", d->def)) == NULL)
		pt_conf_error(cx, NULL, "out of memory");
	else if (config_read_string(&tmp, text) != CONFIG_TRUE ||
	    (s = config_lookup(&tmp, "v")) == NULL)
		pt_conf_error(cx, NULL, "bad default %s: %s", d->def,
		    config_error_text(&tmp) != NULL ? config_error_text(&tmp) :
		    "not a value");
	else if ((frag = conf_value_parse(cx, d, s, field, &hint)) != NULL)
		conf_report(cx, d, s, frag, hint);
	config_destroy(&tmp);
	cx->dflt_key = saved;
}

/*
 * The settings named d->name in the block's groups. Only lists of a
 * CUSTOM directive may appear in several files: its parser is called once
 * for each and appends (servers, error_pages). Anything else set twice is
 * reported at the second place, naming the first.
 */
static size_t
conf_find(struct pt_conf_ctx *cx, const struct pt_directive *d,
    const struct conf_block *b, config_setting_t **occ, size_t max)
{
	size_t	i, n = 0;
	bool	lists = d->type == PT_T_CUSTOM;

	for (i = 0; i < b->ngroups && n < max; i++)
		if ((occ[n] = conf_member(b->groups[i], d->name)) != NULL) {
			lists = lists && config_setting_is_list(occ[n]);
			n++;
		}
	if (n <= 1 || lists)
		return (n);
	for (i = 1; i < n; i++)
		pt_conf_error(cx, occ[i], "already set at %s:%u (set it in "
		    "one file only)", config_setting_source_file(occ[0]),
		    config_setting_source_line(occ[0]));
	return (1);
}

static enum conf_state
conf_entry(struct pt_conf_ctx *cx, const struct pt_directive *d,
    const struct conf_block *b, void *field, const void *pfield,
    const config_setting_t **at)
{
	config_setting_t	*occ[64];
	const config_setting_t	*saved_list = cx->adj_list;
	const char		*frag, *hint;
	size_t			 n, i;
	int			 saved_adj = cx->adj, adj = 0;

	if ((n = conf_find(cx, d, b, occ, 64)) == 0) {
		if (pfield != NULL) {
			memcpy(field, pfield, conf_field_size(d));
			return (E_INHERITED);
		}
		if (d->def == NULL)
			return (E_UNSET);
		conf_default_parse(cx, d, b, field);
		return (E_DEFAULT);
	}
	*at = occ[0];
	for (i = 0; i < n; i++) {
		/* Indexes of a concatenated list count across files. */
		if (n > 1) {
			cx->adj_list = occ[i];
			cx->adj = adj;
			adj += config_setting_length(occ[i]);
		}
		hint = NULL;
		frag = conf_value_parse(cx, d, occ[i], field, &hint);
		if (frag != NULL)
			conf_report(cx, d, occ[i], frag, hint);
	}
	cx->adj_list = saved_list;
	cx->adj = saved_adj;
	return (E_SET);
}

/* A nested group ("workers = { ... }"): its own table, inherited per key. */
static enum conf_state
conf_group_entry(struct pt_conf_ctx *cx, const struct pt_directive *d,
    const struct conf_block *b, void *field, const void *pfield,
    const config_setting_t **at)
{
	config_setting_t		*occ[64], *g = NULL;
	const struct pt_directive	*tables[2] = { d->sub, NULL };
	struct conf_block		 sub;

	if (conf_find(cx, d, b, occ, 64) > 0)
		g = occ[0];
	if (g != NULL && !config_setting_is_group(g)) {
		conf_report(cx, d, g, conf_frag(cx, "expected a group "
		    "%s = { ... }, not %s", d->name, conf_type_name(g)), NULL);
		g = NULL;
	}
	sub.groups = &g;
	sub.ngroups = g != NULL ? 1 : 0;
	sub.scope = b->scope;
	sub.prefix = conf_key_join(cx, b->prefix, d->name);
	conf_table_parse(cx, d->sub, &sub, field, pfield);
	if (g == NULL)
		return (pfield != NULL ? E_INHERITED : E_DEFAULT);
	conf_unknown_check(cx, g, b->scope, tables, false);
	*at = g;
	return (E_SET);
}

static size_t
conf_table_len(const struct pt_directive *t)
{
	size_t n;

	for (n = 0; t[n].name != NULL; n++)
		;
	return (n);
}

/*
 * Parses the entries of t valid in b->scope into base. An entry not set in
 * the block is copied from parent (same layout: the enclosing scope's
 * block) when there is one, else parsed from its default. Checks run
 * last, on what was set or defaulted here: inherited values were checked
 * where they were set.
 */
int
conf_table_parse(struct pt_conf_ctx *cx, const struct pt_directive *t,
    const struct conf_block *b, void *base, const void *parent)
{
	const struct pt_directive	 *d;
	const config_setting_t		**at;
	enum conf_state			 *state;
	const char			 *frag;
	void				 *field;
	const void			 *pfield;
	size_t				  i, n = conf_table_len(t);

	state = conf_calloc(cx, n, sizeof(*state));
	at = conf_calloc(cx, n, sizeof(*at));
	if (state == NULL || at == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		d = &t[i];
		field = (char *)base + d->offset;
		pfield = parent != NULL ? (const char *)parent + d->offset :
		    NULL;
		if ((d->scopes & b->scope) == 0) {
			/* Not valid here, but narrower scopes inherit from here. */
			if (d->type == PT_T_GROUP)
				continue;
			if (pfield != NULL)
				memcpy(field, pfield, conf_field_size(d));
			else if (d->def != NULL)
				conf_default_parse(cx, d, b, field);
			continue;
		}
		state[i] = d->type == PT_T_GROUP ?
		    conf_group_entry(cx, d, b, field, pfield, &at[i]) :
		    conf_entry(cx, d, b, field, pfield, &at[i]);
	}
	for (i = 0; i < n; i++) {
		d = &t[i];
		if (d->check == NULL || (state[i] != E_SET &&
		    state[i] != E_DEFAULT))
			continue;
		frag = d->check(cx, at[i], (char *)base + d->offset);
		if (frag == NULL)
			continue;
		if (at[i] != NULL)
			conf_report(cx, d, at[i], frag, NULL);
		else if (b->ngroups > 0)
			conf_error_key(cx, b->groups[0], d->name, "%s", frag);
		else
			conf_error_key(cx, NULL, conf_key_join(cx, b->prefix,
			    d->name), "%s", frag);
	}
	return (0);
}

/* Bytes a table's fields span from its base, for a scratch block. */
static size_t
conf_table_extent(const struct pt_directive *t)
{
	size_t end, max = 0;

	for (; t->name != NULL; t++) {
		end = t->offset + (t->type == PT_T_GROUP ?
		    conf_table_extent(t->sub) : conf_field_size(t));
		if (end > max)
			max = end;
	}
	return (max);
}

static void
conf_table_sane(struct pt_conf_ctx *cx, const struct pt_directive *t)
{
	for (; t->name != NULL; t++) {
		if ((t->type == PT_T_CUSTOM && t->parse == NULL) ||
		    (t->type == PT_T_GROUP && t->sub == NULL) ||
		    (t->type == PT_T_ENUM && t->choices == NULL) ||
		    t->min > t->max || t->scopes == 0)
			conf_error_key(cx, NULL, t->name,
			    "malformed table entry");
		if (t->type == PT_T_GROUP && t->sub != NULL)
			conf_table_sane(cx, t->sub);
	}
}

/*
 * For make check: every default of t parses (a bad one fails the unit
 * test, not a production start) and every entry is well formed.
 */
int
conf_defaults_check(const struct pt_directive *t, FILE *errs)
{
	struct pt_conf_ctx	 cx;
	struct conf_block	 b;
	void			*scratch;
	size_t			 i;

	memset(&cx, 0, sizeof(cx));
	memset(&b, 0, sizeof(b));
	cx.errs = errs;
	if ((cx.arena = pt_arena_new(4096, 0)) == NULL ||
	    (scratch = pt_calloc(cx.arena, 1, conf_table_extent(t) + 1)) ==
	    NULL) {
		pt_arena_free(cx.arena);
		return (1);
	}
	b.scope = PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE;
	b.prefix = "";
	conf_table_sane(&cx, t);
	conf_table_parse(&cx, t, &b, scratch, NULL);
	for (i = 0; i < cx.nmsgs; i++)
		fprintf(errs, "%s\n", cx.msgs[i].text);
	free(cx.msgs);
	pt_arena_free(cx.arena);
	return (cx.nerrors);
}
