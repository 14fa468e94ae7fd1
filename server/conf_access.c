/*
 * The configuration of access control, inherited global -> server ->
 * route: ordered allow/deny rules by client address (access), and Basic
 * authentication against an htpasswd file loaded with the configuration
 * (auth). The checks at request time are access.c.
 */
#include "config.h"

#include "conf_route.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "arena_priv.h"
#include "auth.h"

#define ACCESS_EXAMPLE							\
	"e.g. access = ( { allow = [ \"10.0.0.0/8\" ]; }, "		\
	"{ deny = \"all\"; } );"
#define AUTH_EXAMPLE \
	"e.g. auth = { realm = \"Staff\"; file = \"htpasswd\"; };"

/* { allow = [ ... ]; } or { deny = [ ... ]; }: addresses, ranges or "all". */
static void
access_record(struct pt_conf_ctx *cx, config_setting_t *g,
    struct conf_access_rule *rule)
{
	static const char *const names[] = { "allow", "deny", NULL };
	config_setting_t	*al, *de, *s;
	struct pt_strlist	 sl;
	const char		*frag;
	size_t			 i;

	al = conf_member(g, "allow");
	de = conf_member(g, "deny");
	conf_unknown_names(cx, g, names);
	if ((al == NULL) == (de == NULL)) {
		pt_conf_error(cx, g, "set exactly one of \"allow\" and "
		    "\"deny\" in each rule (%s)", ACCESS_EXAMPLE);
		return;
	}
	s = al != NULL ? al : de;
	rule->allow = al != NULL;
	rule->file = conf_strdup(cx, config_setting_source_file(s));
	rule->line = (int)config_setting_source_line(s);
	if ((frag = conf_strlist_parse(cx, s, &sl)) != NULL) {
		pt_conf_error(cx, s, "%s", frag);
		return;
	}
	if ((rule->addrs.v = conf_calloc(cx, sl.n + 1,
	    sizeof(*rule->addrs.v))) == NULL)
		return;
	for (i = 0; i < sl.n; i++) {
		if (strcmp(sl.v[i], "all") == 0)
			rule->all = true;
		else if (cidr_parse(sl.v[i], &rule->addrs.v[rule->addrs.n]) ==
		    0)
			rule->addrs.n++;
		else
			pt_conf_error(cx, s, "not an address, a range or "
			    "\"all\": \"%s\"", sl.v[i]);
	}
	if (sl.n == 0)
		pt_conf_warn(cx, s, "an empty rule matches no address");
}

/* Appends: lists in several files are concatenated, like error_pages. */
const char *
conf_parse_access(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct core_scope	*sc;
	struct conf_access_rule	*v;
	config_setting_t	*g;
	unsigned int		 i, n;
	size_t			 k;

	sc = CONF_CONTAINER(field, struct core_scope, access);
	if (!config_setting_is_list(s))
		return (conf_frag(cx, "expected a list of rules, not %s (%s)",
		    conf_type_name(s), ACCESS_EXAMPLE));
	n = (unsigned int)config_setting_length(s);
	if ((v = conf_calloc(cx, sc->naccess + n, sizeof(*v))) == NULL)
		return (NULL);
	if (sc->naccess > 0)
		memcpy(v, sc->access, sc->naccess * sizeof(*v));
	sc->access = v;
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "expected a rule { allow = "
			    "[ ... ]; } or { deny = [ ... ]; }, not %s",
			    conf_type_name(g));
			continue;
		}
		for (k = 0; k < sc->naccess; k++)
			if (sc->access[k].all) {
				pt_conf_warn(cx, g, "never used: the rule at "
				    "%s:%d matches every address first",
				    sc->access[k].file, sc->access[k].line);
				break;
			}
		access_record(cx, g, &sc->access[sc->naccess++]);
	}
	return (NULL);
}

/* RFC 9110 11.2: the realm is a quoted-string; keep it plain. */
static const char *
realm_check(const char *realm)
{
	const unsigned char *p;

	if (realm[0] == '\0')
		return ("empty realm");
	for (p = (const unsigned char *)realm; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			return ("the realm may not contain quotes, "
			    "backslashes or control characters");
	return (NULL);
}

struct auth_load_ctx {
	struct pt_conf_ctx	*cx;
	const config_setting_t	*at;
	const char		*path;
};

static void
auth_file_error(void *arg, unsigned int line, const char *msg)
{
	struct auth_load_ctx *lc = arg;

	if (line > 0)
		pt_conf_error(lc->cx, lc->at, "%s:%u: %s", lc->path, line, msg);
	else
		pt_conf_error(lc->cx, lc->at, "%s: %s", lc->path, msg);
}

static const char *
auth_cache(struct pt_conf_ctx *cx, const config_setting_t *s, long long *ms)
{
	const char *str, *frag;

	*ms = 5 * 60 * 1000;
	if (s == NULL)
		return (NULL);
	if ((str = config_setting_get_string(s)) == NULL)
		return (conf_frag(cx, "expected a duration string, not %s "
		    "(e.g. \"5m\"; \"0s\" turns the cache off)",
		    conf_type_name(s)));
	if ((frag = pt_parse_duration(str, ms)) != NULL)
		return (conf_frag(cx, "bad duration \"%s\": %s (e.g. \"5m\")",
		    str, frag));
	if (*ms > 86400000LL)
		return (conf_frag(cx, "\"%s\" is out of range: at most 1d",
		    str));
	return (NULL);
}

/* auth = { realm = "Staff"; file = "htpasswd"; cache = "5m"; } or "off". */
const char *
conf_parse_auth(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	static const char *const names[] = { "realm", "file", "cache", NULL };
	const struct conf_auth	**out = field;
	struct conf_auth	*au;
	struct auth_load_ctx	 lc;
	config_setting_t	*g = (config_setting_t *)s, *re, *fi, *ca;
	const char		*str, *frag;
	int			 nerr;

	*out = NULL;
	if ((str = config_setting_get_string(s)) != NULL)
		return (strcmp(str, "off") == 0 ? NULL :
		    conf_frag(cx, "expected a group or \"off\" (%s)",
		    AUTH_EXAMPLE));
	if (!config_setting_is_group(g))
		return (conf_frag(cx, "expected a group or \"off\", not %s "
		    "(%s)", conf_type_name(s), AUTH_EXAMPLE));
	re = conf_member(g, "realm");
	fi = conf_member(g, "file");
	ca = conf_member(g, "cache");
	conf_unknown_names(cx, g, names);
	if ((au = conf_calloc(cx, 1, sizeof(*au))) == NULL)
		return (NULL);
	if ((frag = auth_cache(cx, ca, &au->cache_ms)) != NULL)
		pt_conf_error(cx, ca, "%s", frag);
	if (re == NULL || fi == NULL)
		return (conf_frag(cx, "missing \"%s\" (%s)", re == NULL ?
		    "realm" : "file", AUTH_EXAMPLE));
	if ((str = config_setting_get_string(re)) == NULL ||
	    (frag = realm_check(str)) != NULL) {
		pt_conf_error(cx, re, "%s", str == NULL ? "expected a string" :
		    frag);
		return (NULL);
	}
	au->realm = conf_strdup(cx, str);
	if ((str = config_setting_get_string(fi)) == NULL || str[0] == '\0') {
		pt_conf_error(cx, fi, "expected a file name");
		return (NULL);
	}
	if ((au->file = pt_conf_path(cx, fi, str)) == NULL)
		return (NULL);
	lc.cx = cx;
	lc.at = fi;
	lc.path = au->file;
	if ((au->users = htpasswd_load(cx->arena, au->file, auth_file_error,
	    &lc, &nerr)) == NULL)
		return (NULL);
	if (au->users->n == 0)
		pt_conf_warn(cx, fi, "%s has no users: nobody can log in",
		    au->file);
	*out = au;
	return (NULL);
}

void
conf_dump_access(FILE *fp, int depth, const void *field)
{
	const struct core_scope	*sc = CONF_CONTAINER(field,
	    const struct core_scope, access);
	const struct conf_access_rule *r;
	char			 a[64];
	size_t			 i, j;

	conf_dump_indent(fp, depth);
	fputs("access = (", fp);
	for (i = 0; i < sc->naccess; i++) {
		r = &sc->access[i];
		fprintf(fp, "%s{ %s = [", i == 0 ? " " : ", ",
		    r->allow ? "allow" : "deny");
		for (j = 0; j < r->addrs.n; j++) {
			inet_ntop(r->addrs.v[j].family, r->addrs.v[j].addr, a,
			    sizeof(a));
			fprintf(fp, "%s\"%s/%d\"", j == 0 ? " " : ", ", a,
			    r->addrs.v[j].bits);
		}
		fprintf(fp, "%s ]; }", r->all ? (r->addrs.n > 0 ?
		    ", \"all\"" : " \"all\"") : "");
	}
	fputs(" );\n", fp);
}

void
conf_dump_auth(FILE *fp, int depth, const void *field)
{
	const struct conf_auth	*au = *(const struct conf_auth *const *)field;
	char			 buf[64];

	conf_dump_indent(fp, depth);
	if (au == NULL) {
		fputs("auth = \"off\";\n", fp);
		return;
	}
	fputs("auth = { realm = ", fp);
	conf_dump_quoted(fp, au->realm);
	fputs("; file = ", fp);
	conf_dump_quoted(fp, au->file);
	fputs("; cache = ", fp);
	conf_dump_quoted(fp, conf_duration_fmt(au->cache_ms, buf,
	    sizeof(buf)));
	fputs("; };\n", fp);
}
