/*
 * mod_waf's directives: the group "waf = { ... };". Rule files are read
 * and compiled here, at global scope, while the configuration loads, so
 * a bad rule is a configuration error naming the rule file and line.
 */
#include "config.h"

#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portier/arena.h>

#include "waf.h"

#define WAF_SCOPES	(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

static const char *const waf_modes[] = { "block", "detect", NULL };
static const char *const waf_overs[] = { "partial", "reject", NULL };
static const char *const waf_berrs[] = { "block", "score", "pass", NULL };
static const char *const waf_audits[] = { "blocked", "scored", "off", NULL };

struct rule_err {
	struct pt_conf_ctx		*cx;
	const config_setting_t		*s;
};

static void
waf_rule_error(void *arg, const char *file, int line, const char *msg)
{
	struct rule_err *e = arg;

	pt_conf_error(e->cx, e->s, "%s:%d: %s", file, line, msg);
}

/* Expands each entry (a file or a glob) against the config's folder. */
static const char *
waf_rule_files(struct pt_conf_ctx *cx, const config_setting_t *s,
    char ***out, size_t *n)
{
	const config_setting_t	*e;
	glob_t			 g;
	size_t			 i, k;
	int			 cnt = config_setting_is_list(s) ||
				    config_setting_is_array(s) ?
				    config_setting_length(s) : 1;

	*out = NULL;
	*n = 0;
	for (i = 0; i < (size_t)cnt; i++) {
		const char *str;

		e = config_setting_is_scalar(s) ? s :
		    config_setting_get_elem(s, (unsigned)i);
		if ((str = config_setting_get_string(e)) == NULL)
			return ("a list of rule files or globs: [ \"waf/*.conf\" ]");
		str = pt_conf_path(cx, e, str);
		memset(&g, 0, sizeof(g));
		if (glob(str, 0, NULL, &g) != 0) {
			pt_conf_error(cx, e, "no rule file matches \"%s\"", str);
			globfree(&g);
			continue;
		}
		for (k = 0; k < g.gl_pathc; k++) {
			char **v = realloc(*out, (*n + 1) * sizeof(char *));

			if (v == NULL || (v[*n] = strdup(g.gl_pathv[k])) ==
			    NULL) {
				if (v != NULL)
					*out = v;
				globfree(&g);
				return ("out of memory");
			}
			*out = v;
			(*n)++;
		}
		globfree(&g);
	}
	return (NULL);
}

static void
waf_files_free(char **files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

/* Run when the configuration's arena is freed (exit, -t, reload). */
static void
waf_ruleset_destroy(void *arg)
{
	struct waf_ruleset *rs = arg;

	waf_rules_free(rs);
	free(rs);
}

static const char *
waf_parse_rules(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct waf_ruleset	*rs;
	struct rule_err		 e = { cx, s };
	char			**files;
	size_t			 n;
	const char		*msg;

	if ((msg = waf_rule_files(cx, s, &files, &n)) != NULL) {
		waf_files_free(files, n);
		return (msg);
	}
	/*
	 * malloc'ed, not in the arena (Hyperscan and PCRE2 allocate for
	 * themselves), and freed with the configuration's arena.
	 */
	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    pt_arena_defer(pt_conf_arena(cx), waf_ruleset_destroy, rs) != 0) {
		free(rs);
		waf_files_free(files, n);
		return ("out of memory");
	}
	if (waf_rules_load(rs, (const char *const *)files, n, waf_rule_error,
	    &e) == 0)
		(void)waf_rules_compile(rs, waf_rule_error, &e);
	waf_files_free(files, n);
	*(const struct waf_ruleset **)field = rs;
	return (NULL);
}

const struct pt_directive waf_directives[] = {
	{ .name = "enable", .type = PT_T_BOOL, .scopes = WAF_SCOPES,
	  .offset = offsetof(struct waf_conf, enable), .def = "false",
	  .hint = "true or false" },
	{ .name = "rules", .type = PT_T_CUSTOM, .scopes = PT_SCOPE_GLOBAL,
	  .offset = offsetof(struct waf_conf, rules),
	  .size = sizeof(const struct waf_ruleset *),
	  .parse = waf_parse_rules,
	  .hint = "rule files or globs: [ \"waf/*.conf\" ]" },
	{ .name = "paranoia", .type = PT_T_INT, .scopes = WAF_SCOPES,
	  .offset = offsetof(struct waf_conf, paranoia), .def = "1",
	  .min = 1, .max = 4, .hint = "1 (few false positives) to 4" },
	{ .name = "threshold", .type = PT_T_INT, .scopes = WAF_SCOPES,
	  .offset = offsetof(struct waf_conf, threshold), .def = "5",
	  .min = 1, .max = 1000,
	  .hint = "the anomaly score that blocks; a critical rule adds 5" },
	{ .name = "mode", .type = PT_T_ENUM, .scopes = WAF_SCOPES,
	  .offset = offsetof(struct waf_conf, mode), .def = "\"block\"",
	  .choices = waf_modes, .hint = "\"block\" or \"detect\" (log only)" },
	{ .name = "status", .type = PT_T_INT, .scopes = WAF_SCOPES,
	  .offset = offsetof(struct waf_conf, status), .def = "403",
	  .min = 400, .max = 599, .hint = "the answer to a blocked request" },
	{ .name = "body_limit", .type = PT_T_SIZE, .scopes = WAF_SCOPES,
	  .offset = offsetof(struct waf_conf, body_limit), .def = "\"128k\"",
	  .min = 0, .max = 64LL * 1024 * 1024,
	  .hint = "bytes of body inspected, e.g. \"128k\"; 0: no body" },
	{ .name = "body_over", .type = PT_T_ENUM, .scopes = WAF_SCOPES,
	  .offset = offsetof(struct waf_conf, body_over),
	  .def = "\"partial\"", .choices = waf_overs,
	  .hint = "\"partial\" (inspect the first body_limit bytes) or "
	  "\"reject\" (413)" },
	{ .name = "body_error", .type = PT_T_ENUM, .scopes = WAF_SCOPES,
	  .offset = offsetof(struct waf_conf, body_error),
	  .def = "\"block\"", .choices = waf_berrs,
	  .hint = "a body that does not parse: \"block\", \"score\" or "
	  "\"pass\" (scanned as text)" },
	{ .name = "exclude", .type = PT_T_CUSTOM, .scopes = WAF_SCOPES,
	  .offset = offsetof(struct waf_conf, exclude),
	  .size = sizeof(struct waf_excls), .parse = waf_parse_exclude,
	  .def = "[ ]", .hint = "[ \"942100\", \"941100:comment\" ]" },
	{ .name = "exclude_if", .type = PT_T_CUSTOM, .scopes = WAF_SCOPES,
	  .offset = offsetof(struct waf_conf, when),
	  .size = sizeof(struct waf_whens), .parse = waf_parse_when,
	  .hint = "( { path = \"/cms/\"; method = \"POST\"; "
	  "remove = [ \"941100:html\" ]; } )" },
	{ .name = "audit_log", .type = PT_T_PATH, .scopes = PT_SCOPE_GLOBAL,
	  .offset = offsetof(struct waf_conf, audit_log),
	  .hint = "a JSON lines file" },
	{ .name = "audit", .type = PT_T_ENUM, .scopes = WAF_SCOPES,
	  .offset = offsetof(struct waf_conf, audit), .def = "\"blocked\"",
	  .choices = waf_audits,
	  .hint = "\"blocked\", \"scored\" (every request with a score) or "
	  "\"off\"" },
	PT_DIRECTIVE_END
};
