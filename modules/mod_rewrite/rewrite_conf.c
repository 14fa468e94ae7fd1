/*
 * mod_rewrite's directives: the "rewrite" group's table, and the parsers
 * of its two lists, maps and rules, which walk the libconfig records and
 * hand each piece of text to rewrite_build.c. Every error is reported
 * where it was written (file, line, key), and all of them, not only the
 * first.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <portier/arena.h>
#include <portier/conf.h>
#include "rewrite.h"

#define RW_ALL		(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)
#define RW_ERRLEN	512

/* A record's keys that are not in names: reported one by one. */
static int
rw_keys_check(struct pt_conf_ctx *cx, const config_setting_t *g,
    const char *what, const char *const *names, const char *list)
{
	const config_setting_t	*m;
	const char		*n;
	unsigned int		 i;
	size_t			 k;
	int			 bad = 0;

	for (i = 0; (m = config_setting_get_elem(g, i)) != NULL; i++) {
		if ((n = config_setting_name(m)) == NULL)
			continue;
		for (k = 0; names[k] != NULL; k++)
			if (strcmp(n, names[k]) == 0)
				break;
		if (names[k] == NULL) {
			pt_conf_error(cx, m, "unknown key \"%s\" in %s (keys: "
			    "%s)", n, what, list);
			bad = -1;
		}
	}
	return (bad);
}

/* An optional string member; -1 (reported) when it is not a string. */
static int
rw_string(struct pt_conf_ctx *cx, const config_setting_t *g, const char *key,
    bool required, const char **out, const config_setting_t **at)
{
	const config_setting_t *m = config_setting_get_member(g, key);

	*out = NULL;
	if (at != NULL)
		*at = m;
	if (m == NULL) {
		if (!required)
			return (0);
		pt_conf_error(cx, g, "\"%s\" is required", key);
		return (-1);
	}
	if (config_setting_type(m) != CONFIG_TYPE_STRING) {
		pt_conf_error(cx, m, "expected a string");
		return (-1);
	}
	*out = config_setting_get_string(m);
	return (0);
}

static int
rw_bool(struct pt_conf_ctx *cx, const config_setting_t *g, const char *key,
    bool *out)
{
	const config_setting_t *m = config_setting_get_member(g, key);

	*out = false;
	if (m == NULL)
		return (0);
	if (config_setting_type(m) != CONFIG_TYPE_BOOL) {
		pt_conf_error(cx, m, "expected true or false");
		return (-1);
	}
	*out = config_setting_get_bool(m) != 0;
	return (0);
}

/* --- maps ------------------------------------------------------------------- */

static const char *const rw_map_keys[] = { "name", "type", "file", NULL };

static bool
rw_name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-'))
			return (false);
	return (i > 0);
}

static int
rw_map_parse(struct pt_conf_ctx *cx, const config_setting_t *g,
    const struct rw_maps *seen, struct rw_map *m)
{
	struct pt_arena		*a = pt_conf_arena(cx);
	const config_setting_t	*fs, *ns;
	const char		*name, *type, *file;
	char			 err[RW_ERRLEN];

	if (rw_keys_check(cx, g, "a map", rw_map_keys, "name, type, file") ||
	    rw_string(cx, g, "name", true, &name, &ns) ||
	    rw_string(cx, g, "type", true, &type, NULL) ||
	    rw_string(cx, g, "file", true, &file, &fs))
		return (-1);
	if (!rw_name_ok(name)) {
		pt_conf_error(cx, ns, "a map name is letters, digits, '_' and "
		    "'-'");
		return (-1);
	}
	if (rw_map_find(seen, name, strlen(name)) != NULL) {
		pt_conf_error(cx, ns, "map \"%s\" %s", name,
		    rw_map_internal(name, strlen(name)) != NULL ?
		    "is built in" : "is declared twice");
		return (-1);
	}
	if (strcmp(type, "txt") == 0)
		m->type = RW_MAP_TXT;
	else if (strcmp(type, "rnd") == 0)
		m->type = RW_MAP_RND;
	else {
		pt_conf_error(cx, config_setting_get_member(g, "type"),
		    "unknown map type \"%s\" (txt or rnd; tolower, toupper, "
		    "escape and unescape need no declaration)", type);
		return (-1);
	}
	if ((m->name = pt_strdup(a, name)) == NULL ||
	    (m->file = pt_conf_path(cx, fs, file)) == NULL)
		return (-1);
	err[0] = '\0';
	if (rw_map_load(a, m, err, sizeof(err)) != 0) {
		pt_conf_error(cx, fs, "%s", err);
		return (-1);
	}
	return (0);
}

/* maps = ( { name; type; file; }, ... ): the files are read now. */
static const char *
rw_parse_maps(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct rw_maps	*maps = field;
	struct rw_map	*nv;
	size_t		 n, i;

	if (!config_setting_is_list(s))
		return ("a list of maps: ( { name = \"users\"; type = \"txt\"; "
		    "file = \"users.map\"; } )");
	n = (size_t)config_setting_length(s);
	if ((nv = pt_calloc(pt_conf_arena(cx), maps->n + n + 1,
	    sizeof(*nv))) == NULL)
		return ("out of memory");
	if (maps->n > 0)
		memcpy(nv, maps->v, maps->n * sizeof(*nv));
	maps->v = nv;
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s,
		    (unsigned int)i);

		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "each map is a group { name = ...; "
			    "type = ...; file = ...; }");
			continue;
		}
		if (rw_map_parse(cx, g, maps, &maps->v[maps->n]) == 0)
			maps->n++;
	}
	return (NULL);
}

/* --- conditions ------------------------------------------------------------- */

static const char *const rw_cond_keys[] = {
	"var", "regex", "equals", "less", "greater", "cidr", "file_exists",
	"dir_exists", "nocase", "not", "or", NULL
};
static const char *const rw_cond_tests[] = {
	"regex", "equals", "less", "greater", "cidr", "file_exists",
	"dir_exists", NULL
};

/* cidr = "10.0.0.0/8" or [ "10.0.0.0/8", "::1" ] */
static int
rw_cond_cidr(struct pt_conf_ctx *cx, const config_setting_t *m,
    struct rw_cond *c)
{
	const config_setting_t	*e;
	const char		*v;
	unsigned int		 i, n;
	bool			 one = config_setting_type(m) == CONFIG_TYPE_STRING;

	n = one ? 1 : (unsigned int)config_setting_length(m);
	if ((!one && !config_setting_is_aggregate(m)) || n == 0) {
		pt_conf_error(cx, m, "an address block or a list of them, "
		    "such as [ \"10.0.0.0/8\", \"::1\" ]");
		return (-1);
	}
	if ((c->cidr = pt_calloc(pt_conf_arena(cx), n, sizeof(*c->cidr))) ==
	    NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		e = one ? m : config_setting_get_elem(m, i);
		v = config_setting_get_string(e);
		if (v == NULL || rw_cidr_parse(v, &c->cidr[i]) != 0) {
			pt_conf_error(cx, e, "\"%s\" is not an address or an "
			    "address block", v != NULL ? v : "");
			return (-1);
		}
	}
	c->ncidr = n;
	c->op = RW_OP_CIDR;
	return (0);
}

/* A regex's compile error, with a caret under the offending offset. */
static void
rw_rx_error(struct pt_conf_ctx *cx, const config_setting_t *at,
    const char *pattern, const char *err, size_t off)
{
	if (off == (size_t)-1 || off > strlen(pattern)) {
		pt_conf_error(cx, at, "invalid regex \"%s\": %s", pattern, err);
		return;
	}
	pt_conf_error(cx, at, "invalid regex: %s at offset %zu\n    %s\n    "
	    "%*s^", err, off, pattern, (int)off, "");
}

static int
rw_cond_test(struct pt_conf_ctx *cx, const config_setting_t *g,
    const config_setting_t *m, const char *key, struct rw_cond *c)
{
	struct pt_arena	*a = pt_conf_arena(cx);
	const char	*v = NULL;
	char		 err[RW_ERRLEN];
	size_t		 off;
	bool		 b;

	if (strcmp(key, "cidr") == 0)
		return (rw_cond_cidr(cx, m, c));
	if (strcmp(key, "file_exists") == 0 || strcmp(key, "dir_exists") == 0) {
		if (rw_bool(cx, g, key, &b) != 0)
			return (-1);
		if (!b) {
			pt_conf_error(cx, m, "only true (for the opposite, "
			    "add not = true)");
			return (-1);
		}
		c->op = key[0] == 'f' ? RW_OP_FILE : RW_OP_DIR;
		return (0);
	}
	if (rw_string(cx, g, key, true, &v, NULL) != 0)
		return (-1);
	if (strcmp(key, "regex") == 0) {
		c->op = RW_OP_REGEX;
		if ((c->rx = rw_rx_compile(a, v, c->nocase, err, sizeof(err),
		    &off)) == NULL) {
			rw_rx_error(cx, m, v, err, off);
			return (-1);
		}
		return (0);
	}
	c->op = key[0] == 'e' ? RW_OP_EQ : key[0] == 'l' ? RW_OP_LT : RW_OP_GT;
	return ((c->str = pt_strdup(a, v)) == NULL ? -1 : 0);
}

static int
rw_cond_parse(struct pt_conf_ctx *cx, const config_setting_t *g,
    const struct rw_maps *maps, struct rw_cond *c)
{
	const config_setting_t	*m, *vs, *test = NULL;
	const char		*var, *key = NULL;
	char			 err[RW_ERRLEN];
	size_t			 i;

	if (rw_keys_check(cx, g, "a condition", rw_cond_keys, "var, regex, "
	    "equals, less, greater, cidr, file_exists, dir_exists, nocase, "
	    "not, or") != 0 ||
	    rw_string(cx, g, "var", true, &var, &vs) != 0 ||
	    rw_bool(cx, g, "nocase", &c->nocase) != 0 ||
	    rw_bool(cx, g, "not", &c->negate) != 0 ||
	    rw_bool(cx, g, "or", &c->ornext) != 0)
		return (-1);
	for (i = 0; rw_cond_tests[i] != NULL; i++) {
		if ((m = config_setting_get_member(g, rw_cond_tests[i])) == NULL)
			continue;
		if (test != NULL) {
			pt_conf_error(cx, m, "a condition has one test: %s or "
			    "%s, not both", key, rw_cond_tests[i]);
			return (-1);
		}
		test = m;
		key = rw_cond_tests[i];
	}
	if (test == NULL) {
		pt_conf_error(cx, g, "a condition needs a test: regex, equals, "
		    "less, greater, cidr, file_exists or dir_exists");
		return (-1);
	}
	c->line = (int)config_setting_source_line(g);
	if (rw_subst_parse(pt_conf_arena(cx), var, maps, &c->var, err,
	    sizeof(err)) != 0) {
		pt_conf_error(cx, vs, "%s", err);
		return (-1);
	}
	return (rw_cond_test(cx, g, test, key, c));
}

/* --- rules ------------------------------------------------------------------ */

static const char *const rw_rule_keys[] = {
	"match", "to", "flags", "conditions", "against", NULL
};

/* flags = [ "redirect=301", "qsappend" ] (or one string) */
static int
rw_rule_flags(struct pt_conf_ctx *cx, const config_setting_t *g,
    const struct rw_maps *maps, struct rw_rule *r)
{
	struct pt_arena		*a = pt_conf_arena(cx);
	const config_setting_t	*m = config_setting_get_member(g, "flags"), *e;
	const char		*f, *text = "";
	char			 err[RW_ERRLEN];
	unsigned int		 i, n;
	bool			 one;
	int			 bad = 0;

	r->flags_text = "";
	if (m == NULL)
		return (0);
	one = config_setting_type(m) == CONFIG_TYPE_STRING;
	if (!one && !config_setting_is_aggregate(m)) {
		pt_conf_error(cx, m, "a list of flags, such as [ "
		    "\"redirect=301\", \"qsappend\" ]");
		return (-1);
	}
	n = one ? 1 : (unsigned int)config_setting_length(m);
	for (i = 0; i < n; i++) {
		e = one ? m : config_setting_get_elem(m, i);
		if ((f = config_setting_get_string(e)) == NULL) {
			pt_conf_error(cx, e, "a flag is a string");
			bad = -1;
			continue;
		}
		err[0] = '\0';
		if (rw_flag_parse(a, f, maps, r, err, sizeof(err)) != 0) {
			pt_conf_error(cx, e, "%s", err[0] != '\0' ? err :
			    "out of memory");
			bad = -1;
			continue;
		}
		text = pt_printf(a, "%s%s%s", text, text[0] != '\0' ? " " : "",
		    f);
		if (text == NULL)
			return (-1);
	}
	r->flags_text = text;
	return (bad);
}

static int
rw_rule_conds(struct pt_conf_ctx *cx, const config_setting_t *g,
    const struct rw_maps *maps, struct rw_rule *r)
{
	const config_setting_t	*m = config_setting_get_member(g, "conditions");
	const config_setting_t	*e;
	unsigned int		 i, n;
	int			 bad = 0;

	if (m == NULL)
		return (0);
	if (!config_setting_is_list(m)) {
		pt_conf_error(cx, m, "a list of conditions: ( { var = "
		    "\"%%{header.User-Agent}\"; regex = \"bot\"; } )");
		return (-1);
	}
	n = (unsigned int)config_setting_length(m);
	if ((r->conds = pt_calloc(pt_conf_arena(cx), n + 1,
	    sizeof(*r->conds))) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(m, i);
		if (!config_setting_is_group(e)) {
			pt_conf_error(cx, e, "each condition is a group { var "
			    "= ...; regex = ...; }");
			bad = -1;
			continue;
		}
		if (rw_cond_parse(cx, e, maps, &r->conds[r->nconds]) == 0)
			r->nconds++;
		else
			bad = -1;
	}
	return (bad);
}

static int
rw_rule_against(struct pt_conf_ctx *cx, const config_setting_t *g,
    struct rw_rule *r)
{
	const config_setting_t	*m;
	const char		*v;

	if (rw_string(cx, g, "against", false, &v, &m) != 0)
		return (-1);
	if (v == NULL || strcmp(v, "path") == 0)
		r->against = RW_ON_PATH;
	else if (strcmp(v, "uri") == 0)
		r->against = RW_ON_URI;
	else if (strcmp(v, "url") == 0)
		r->against = RW_ON_URL;
	else {
		pt_conf_error(cx, m, "\"%s\": one of path (decoded, the "
		    "default), uri (as received) and url (scheme://host/uri)",
		    v);
		return (-1);
	}
	return (0);
}

/*
 * Whether the host of a proxy URL ("http://HOST/...") has a reference
 * ($N, %N, %{VAR}) that the request controls: anywhere but in the key
 * of a txt or rnd map lookup (internal functions such as tolower pass
 * it through, and so does a lookup's default after '|').
 */
static bool
rw_proxy_host_varies(const char *to)
{
	static const char *const passthru[] = { "tolower:", "toupper:",
	    "escape:", "unescape:" };
	const char	*p = strstr(to, "://"), *end;
	bool		 in_key = false;
	size_t		 i;

	if (p == NULL)
		return (false);
	for (p += 3, end = p + strcspn(p, "/?"); p < end; p++) {
		if (p[0] == '$' && p[1] == '{') {
			in_key = true;
			for (i = 0; i < 4; i++)
				if (strncmp(p + 2, passthru[i],
				    strlen(passthru[i])) == 0)
					in_key = false;
			p++;
		} else if (p[0] == '|' || p[0] == '}')
			in_key = false;
		else if (!in_key && (p[0] == '$' || p[0] == '%') &&
		    ((p[1] >= '0' && p[1] <= '9') || p[1] == '{'))
			return (true);
	}
	return (false);
}

static int
rw_rule_parse(struct pt_conf_ctx *cx, const config_setting_t *g,
    const struct rw_maps *maps, struct rw_rule *r)
{
	struct pt_arena		*a = pt_conf_arena(cx);
	const config_setting_t	*ms, *ts;
	const char		*match, *to;
	char			 err[RW_ERRLEN];
	size_t			 off;
	int			 bad = 0;

	/* libconfig's strings go with its tree: keep a copy. */
	if ((r->file = pt_strdup(a, config_setting_source_file(g) != NULL ?
	    config_setting_source_file(g) : "?")) == NULL)
		return (-1);
	r->line = (int)config_setting_source_line(g);
	if (rw_keys_check(cx, g, "a rule", rw_rule_keys, "match, to, flags, "
	    "conditions, against") != 0)
		bad = -1;
	if (rw_string(cx, g, "match", true, &match, &ms) != 0 ||
	    rw_string(cx, g, "to", true, &to, &ts) != 0)
		return (-1);
	if (rw_rule_flags(cx, g, maps, r) != 0 ||
	    rw_rule_against(cx, g, r) != 0 || rw_rule_conds(cx, g, maps, r) != 0)
		bad = -1;
	if ((r->rx = rw_rx_compile(a, match, (r->flags & RW_F_NOCASE) != 0, err,
	    sizeof(err), &off)) == NULL) {
		rw_rx_error(cx, ms, match, err, off);
		return (-1);
	}
	if (rw_subst_parse(a, to, maps, &r->to, err, sizeof(err)) != 0) {
		pt_conf_error(cx, ts, "%s", err);
		return (-1);
	}
	if (bad != 0)
		return (-1);
	err[0] = '\0';
	if (rw_rule_check(r, err, sizeof(err)) != 0) {
		pt_conf_error(cx, g, "%s", err);
		return (-1);
	}
	if ((r->flags & RW_F_PROXY) != 0 && r->upstream == NULL &&
	    rw_proxy_host_varies(to))
		pt_conf_warn(cx, ts, "the proxy URL's host comes from a "
		    "reference: the server connects wherever it leads, an open "
		    "proxy when the request decides (write the host, or look it "
		    "up in a txt map with a fixed default)");
	return (0);
}

/*
 * rules = ( { match; to; flags; conditions; against; }, ... ). The maps
 * they name are those of the block, parsed before (the table's order).
 */
static const char *
rw_parse_rules(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const struct rw_ruleset	**slot = field;
	const struct rw_conf	 *rc = (const struct rw_conf *)(void *)
	    ((char *)field - offsetof(struct rw_conf, rules));
	struct rw_ruleset	 *rs;
	const config_setting_t	 *g;
	size_t			  n, i, old = *slot != NULL ? (*slot)->n : 0;

	if (!config_setting_is_list(s))
		return ("a list of rules: ( { match = \"^/old/(.*)$\"; to = "
		    "\"/new/$1\"; } )");
	n = (size_t)config_setting_length(s);
	if ((rs = pt_calloc(pt_conf_arena(cx), 1, sizeof(*rs))) == NULL ||
	    (rs->v = pt_calloc(pt_conf_arena(cx), old + n + 1,
	    sizeof(*rs->v))) == NULL)
		return ("out of memory");
	if (old > 0)
		memcpy(rs->v, (*slot)->v, old * sizeof(*rs->v));
	rs->n = old;
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, (unsigned int)i);
		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "each rule is a group { match = "
			    "...; to = ...; }");
			continue;
		}
		if (rw_rule_parse(cx, g, &rc->maps, &rs->v[rs->n]) == 0) {
			rs->v[rs->n].index = (int)(rs->n + 1);
			rs->n++;
		} else	/* the slot is the next rule's: nothing carries over */
			memset(&rs->v[rs->n], 0, sizeof(rs->v[rs->n]));
	}
	if (rw_ruleset_finish(pt_conf_arena(cx), rs) != 0)
		return ("out of memory");
	*slot = rs;
	return (NULL);
}

const struct pt_directive rw_directives[] = {
	{ .name = "maps", .type = PT_T_CUSTOM, .scopes = PT_SCOPE_GLOBAL,
	  .offset = offsetof(struct rw_conf, maps),
	  .size = sizeof(struct rw_maps), .parse = rw_parse_maps,
	  .hint = "( { name = \"users\"; type = \"txt\"; file = "
	  "\"users.map\"; } )" },
	{ .name = "max_passes", .type = PT_T_INT, .scopes = RW_ALL,
	  .offset = offsetof(struct rw_conf, max_passes), .def = "10",
	  .min = 1, .max = 10,
	  .hint = "route-level passes per request, 1 to 10" },
	{ .name = "match_limit", .type = PT_T_INT, .scopes = RW_ALL,
	  .offset = offsetof(struct rw_conf, match_limit), .def = "100000",
	  .min = 1000, .max = 10000000,
	  .hint = "PCRE2 backtracking steps per match" },
	{ .name = "rules", .type = PT_T_CUSTOM,
	  .scopes = PT_SCOPE_SERVER | PT_SCOPE_ROUTE,
	  .offset = offsetof(struct rw_conf, rules),
	  .size = sizeof(const struct rw_ruleset *), .parse = rw_parse_rules,
	  .hint = "( { match = \"^/old/(.*)$\"; to = \"/new/$1\"; "
	  "flags = [ \"redirect=301\" ]; } )" },
	PT_DIRECTIVE_END
};
