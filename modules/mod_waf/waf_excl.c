/*
 * Exclusions: "exclude" (rules off at a level, or for one name) and
 * "exclude_if", exclusions that apply when a condition on the request
 * holds (a path prefix or regex, methods, a variable matching a regex),
 * like CRS's exclusion rules. The list in force for a request is the
 * level's own plus those of every condition that holds.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <portier/arena.h>
#include <portier/request.h>

#include "waf.h"

/* "942100", "942100:q", "942000-942999", "0:comment" into *x. */
static const char *
excl_one(struct pt_conf_ctx *cx, const char *str, struct waf_excl *x)
{
	char		*end;
	const char	*colon;

	x->id = (unsigned)strtoul(str, &end, 10);
	x->hi = x->id;
	if (end != str && *end == '-') {
		const char *lo = end + 1;

		x->hi = (unsigned)strtoul(lo, &end, 10);
		if (end == lo || x->hi < x->id)
			return ("a range is low-high: \"942000-942999\"");
	}
	if (end == str || (*end != '\0' && *end != ':'))
		return ("a rule id (0: all rules) or a range of ids, then "
		    "optionally ':' and an argument, cookie or field name");
	colon = *end == ':' ? end + 1 : NULL;
	x->name = colon != NULL && *colon != '\0' ?
	    pt_strdup(pt_conf_arena(cx), colon) : NULL;
	return (NULL);
}

/* [ "942100", "942100:q", "942000-942999" ] */
const char *
waf_parse_exclude(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct waf_excls	*x = field;
	const char		*str, *msg;
	size_t			 i, n;

	if (!config_setting_is_list(s) && !config_setting_is_array(s))
		return ("a list: [ \"942100\", \"941100:comment\" ]");
	n = (size_t)config_setting_length(s);
	if ((x->v = pt_calloc(pt_conf_arena(cx), n + 1, sizeof(*x->v))) == NULL)
		return ("out of memory");
	x->n = 0;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s,
		    (unsigned)i);

		if ((str = config_setting_get_string(e)) == NULL) {
			pt_conf_error(cx, e, "each exclusion is a string "
			    "\"RULE\", \"LOW-HIGH\" or \"RULE:NAME\"");
			continue;
		}
		if ((msg = excl_one(cx, str, &x->v[x->n])) != NULL) {
			pt_conf_error(cx, e, "\"%s\": %s", str, msg);
			continue;
		}
		x->n++;
	}
	return (NULL);
}

static void
re_free(void *re)
{
	pcre2_code_free(re);
}

/* A regex that lives as long as the configuration; NULL on error. */
static void *
when_regex(struct pt_conf_ctx *cx, const config_setting_t *s)
{
	const char	*pat = config_setting_get_string(s);
	pcre2_code	*re;
	PCRE2_UCHAR	 msg[128];
	PCRE2_SIZE	 off;
	int		 ec;

	if (pat == NULL) {
		pt_conf_error(cx, s, "a regular expression in a string");
		return (NULL);
	}
	if ((re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &ec,
	    &off, NULL)) == NULL) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		pt_conf_error(cx, s, "bad regex \"%s\" at %zu: %s", pat,
		    (size_t)off, (char *)msg);
		return (NULL);
	}
	if (pt_arena_defer(pt_conf_arena(cx), re_free, re) != 0) {
		pcre2_code_free(re);
		return (NULL);
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return (re);
}

static const char *
when_methods(struct pt_conf_ctx *cx, const config_setting_t *s,
    struct waf_when *w)
{
	size_t	i, n = config_setting_is_scalar(s) ? 1 :
		    (size_t)config_setting_length(s);

	if ((w->methods = pt_calloc(pt_conf_arena(cx), n + 1,
	    sizeof(char *))) == NULL)
		return ("out of memory");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_is_scalar(s) ? s :
		    config_setting_get_elem(s, (unsigned)i);

		if ((w->methods[i] = config_setting_get_string(e)) == NULL)
			return ("a method or a list of them: [ \"PUT\", "
			    "\"POST\" ]");
		/* libconfig's strings go with the parsed file */
		if ((w->methods[i] = pt_strdup(pt_conf_arena(cx),
		    w->methods[i])) == NULL)
			return ("out of memory");
	}
	w->nmethods = n;
	return (NULL);
}

/* One member of a condition group. */
static const char *
when_member(struct pt_conf_ctx *cx, const config_setting_t *m,
    struct waf_when *w)
{
	const char *name = config_setting_name(m), *str;

	/* libconfig's strings go with the parsed file: copies */
	if (strcmp(name, "path") == 0) {
		if ((str = config_setting_get_string(m)) == NULL || *str != '/')
			return ("path is a prefix starting with '/'");
		if ((w->path = pt_strdup(pt_conf_arena(cx), str)) == NULL)
			return ("out of memory");
	} else if (strcmp(name, "path_regex") == 0) {
		if ((w->path_re = when_regex(cx, m)) == NULL)
			return ("");
	} else if (strcmp(name, "method") == 0)
		return (when_methods(cx, m, w));
	else if (strcmp(name, "var") == 0) {
		if ((str = config_setting_get_string(m)) == NULL ||
		    strstr(str, "%{") == NULL)
			return ("var is a string with a %{variable}: "
			    "\"%{header.Content-Type}\"");
		if ((w->var = pt_strdup(pt_conf_arena(cx), str)) == NULL)
			return ("out of memory");
	} else if (strcmp(name, "match") == 0) {
		if ((w->var_re = when_regex(cx, m)) == NULL)
			return ("");
	} else if (strcmp(name, "remove") == 0)
		return (waf_parse_exclude(cx, m, &w->remove));
	else
		return ("unknown key: path, path_regex, method, var, match "
		    "or remove");
	return (NULL);
}

static void
when_one(struct pt_conf_ctx *cx, const config_setting_t *g,
    struct waf_when *w)
{
	const char	*msg;
	int		 i, n = config_setting_length(g);

	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g,
		    (unsigned)i);

		if ((msg = when_member(cx, m, w)) != NULL && *msg != '\0')
			pt_conf_error(cx, m, "%s", msg);
	}
	if ((w->var != NULL) != (w->var_re != NULL))
		pt_conf_error(cx, g, "var and match go together: var = "
		    "\"%%{header.Content-Type}\"; match = \"^text/\";");
	if (w->remove.n == 0)
		pt_conf_error(cx, g, "an exclusion needs what to remove: "
		    "remove = [ \"942100\" ];");
}

/* ( { path = "/cms/"; method = "POST"; remove = [ "941100:html" ]; } ) */
const char *
waf_parse_when(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	struct waf_whens	*x = field;
	size_t			 i, n;

	if (!config_setting_is_list(s))
		return ("a list of groups: ( { path = \"/cms/\"; remove = "
		    "[ \"941100\" ]; } )");
	n = (size_t)config_setting_length(s);
	if (n > WAF_WHEN_MAX)
		return ("at most 64 conditional exclusions at one level");
	if ((x->v = pt_calloc(pt_conf_arena(cx), n + 1, sizeof(*x->v))) == NULL)
		return ("out of memory");
	x->n = n;
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s,
		    (unsigned)i);

		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "each exclusion is a group { "
			    "condition; remove = [ ... ]; }");
			continue;
		}
		when_one(cx, g, &x->v[i]);
	}
	return (NULL);
}

static pcre2_match_context	*when_mctx;
static pcre2_match_data		*when_md;

/* false as well when the regex hits its match limit: no exclusion. */
static bool
re_matches(void *re, const char *s, size_t len)
{
	if (when_md == NULL) {
		if ((when_mctx = pcre2_match_context_create(NULL)) == NULL ||
		    (when_md = pcre2_match_data_create(1, NULL)) == NULL)
			return (false);
		pcre2_set_match_limit(when_mctx, 100000);
	}
	return (pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, when_md,
	    when_mctx) >= 0);
}

static bool
when_holds(struct pt_request *r, const struct waf_when *w)
{
	const char	*path = pt_req_path(r), *v;
	struct pt_str	 m;
	size_t		 i;

	if (path == NULL)
		path = "";
	if (w->path != NULL && strncmp(path, w->path, strlen(w->path)) != 0)
		return (false);
	if (w->path_re != NULL && !re_matches(w->path_re, path, strlen(path)))
		return (false);
	if (w->nmethods > 0) {
		m = pt_req_method(r);
		for (i = 0; i < w->nmethods; i++)
			if (strlen(w->methods[i]) == m.len &&
			    memcmp(w->methods[i], m.p, m.len) == 0)
				break;
		if (i == w->nmethods)
			return (false);
	}
	if (w->var != NULL && ((v = pt_req_expand(r, w->var)) == NULL ||
	    !re_matches(w->var_re, v, strlen(v))))
		return (false);
	return (true);
}

const struct waf_excl *
waf_excl_for(struct pt_request *r, const struct waf_conf *wc, size_t *n)
{
	struct waf_excl	*v;
	size_t		 i, k = wc->exclude.n;
	bool		 hold[WAF_WHEN_MAX];

	*n = wc->exclude.n;
	if (wc->when.n == 0)
		return (wc->exclude.v);
	for (i = 0; i < wc->when.n; i++)
		if ((hold[i] = when_holds(r, &wc->when.v[i])))
			k += wc->when.v[i].remove.n;
	if (k == wc->exclude.n ||
	    (v = pt_alloc(pt_req_arena(r), k * sizeof(*v))) == NULL)
		return (wc->exclude.v);
	if (wc->exclude.n > 0)
		memcpy(v, wc->exclude.v, wc->exclude.n * sizeof(*v));
	for (i = 0; i < wc->when.n; i++)
		if (hold[i]) {
			memcpy(v + *n, wc->when.v[i].remove.v,
			    wc->when.v[i].remove.n * sizeof(*v));
			*n += wc->when.v[i].remove.n;
		}
	return (v);
}
