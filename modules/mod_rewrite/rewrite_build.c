/*
 * mod_rewrite, pure: from configuration text to the engine's structures.
 * Patterns are compiled (JIT) here once, templates parsed into tokens,
 * flags read, rules checked (map files: rewrite_map.c). Every failure is
 * a message for the operator; rewrite_conf.c adds the file and line.
 * Nothing here runs per request.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <portier/arena.h>
#include "rewrite_engine.h"

static void
rw_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((__format__(printf, 3, 4)));

static void
rw_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
rw_code_free(void *p)
{
	pcre2_code_free(p);
}

/*
 * Whether the pattern has a '|' outside any group, escape or class: then
 * a leading '^' anchors only the first branch.
 */
static bool
rw_rx_top_alt(const char *p)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\') {
			if (*++p == '\0')
				break;
			continue;
		}
		if (*p == '[') {	/* a class: "[]x]" and "[^]x]" hold a ']' */
			p += p[1] == '^' ? 2 : 1;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']')
				p += p[0] == '\\' && p[1] != '\0' ? 2 : 1;
			if (*p == '\0')
				break;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == '|' && depth == 0)
			return (true);
	}
	return (false);
}

/*
 * The literal every match must start with, for a pattern "^lit..." with
 * no alternation at its top level (a '|' there could make '^' belong to
 * one branch only). Stops at the first character with a meaning; a
 * quantified last character is not part of the prefix.
 */
static void
rw_rx_prefix(struct pt_arena *a, struct rw_rx *rx)
{
	const char	*p = rx->pattern;
	char		 lit[64];
	size_t		 n = 0, before = 0, start;

	if (p[0] != '^' || rw_rx_top_alt(p))
		return;
	for (p++; *p != '\0' && n < sizeof(lit); p++) {
		start = n;
		if (p[0] == '\\' && p[1] != '\0' &&
		    strchr(".-/+*?()[]{}^$|\\~=:@&!,;%#'\"<> ", p[1]) != NULL) {
			lit[n++] = p[1];
			p++;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-_~=:@&!,;%'\"<> ",
		    *p) != NULL)
			lit[n++] = *p;
		else
			break;
		before = start;
	}
	/* "^/ab?" : the b is optional. */
	if (*p == '?' || *p == '*' || *p == '+' || *p == '{')
		n = before;
	if (n >= 2 && (rx->prefix = pt_strndup(a, lit, n)) != NULL)
		rx->prefix_len = n;
}

struct rw_rx *
rw_rx_compile(struct pt_arena *a, const char *pattern, bool nocase,
    char *err, size_t errlen, size_t *erroff)
{
	struct rw_rx	*rx;
	PCRE2_UCHAR	 msg[160];
	PCRE2_SIZE	 off;
	/*
	 * DOTALL: a decoded path may hold a line feed (%0A), and a rule such
	 * as "^/admin/(.*)$" must not be side-stepped by one.
	 */
	uint32_t	 opts = PCRE2_DOLLAR_ENDONLY | PCRE2_DOTALL;
	int		 code;

	*erroff = (size_t)-1;
	if ((rx = pt_calloc(a, 1, sizeof(*rx))) == NULL ||
	    (rx->pattern = pt_strdup(a, pattern)) == NULL) {
		rw_err(err, errlen, "out of memory");
		return (NULL);
	}
	if (nocase)
		opts |= PCRE2_CASELESS;
	rx->nocase = nocase;
	rx->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    opts, &code, &off, NULL);
	if (rx->code == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		rw_err(err, errlen, "%s", (const char *)msg);
		*erroff = (size_t)off;
		return (NULL);
	}
	if (pt_arena_defer(a, rw_code_free, rx->code) != 0) {
		pcre2_code_free(rx->code);
		rw_err(err, errlen, "out of memory");
		return (NULL);
	}
	/* Without JIT (an unsupported CPU) the interpreter does the work. */
	rx->jit = pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE) == 0;
	(void)pcre2_pattern_info(rx->code, PCRE2_INFO_CAPTURECOUNT,
	    &rx->ngroups);
	rw_rx_prefix(a, rx);
	return (rx);
}

/* --- templates ------------------------------------------------------------ */

/* Parser state for one template and the ones nested in it. */
struct rw_tp {
	struct pt_arena		*a;
	const struct rw_maps	*maps;
	const char		*p;	/* next character */
	char			*err;
	size_t			 errlen;
};

static int	rw_tp_parse(struct rw_tp *, struct rw_subst *, const char *stop,
		    int depth);

static struct rw_tok *
rw_tok_new(struct rw_tp *tp, struct rw_subst *t, size_t cap)
{
	if (t->ntoks >= cap) {
		rw_err(tp->err, tp->errlen, "template too long");
		return (NULL);
	}
	return (&t->toks[t->ntoks++]);
}

/* Appends one literal byte, joining it to a literal just before. */
static int
rw_tp_lit(struct rw_tp *tp, struct rw_subst *t, size_t cap, char c)
{
	struct rw_tok	*k;
	char		*s;

	if (t->ntoks > 0 && t->toks[t->ntoks - 1].kind == RW_TK_LIT) {
		k = &t->toks[t->ntoks - 1];
		if ((s = pt_alloc(tp->a, k->len + 2)) == NULL)
			return (-1);
		memcpy(s, k->s, k->len);
		s[k->len++] = c;
		s[k->len] = '\0';
		k->s = s;
		return (0);
	}
	if ((k = rw_tok_new(tp, t, cap)) == NULL ||
	    (s = pt_strndup(tp->a, &c, 1)) == NULL)
		return (-1);
	k->kind = RW_TK_LIT;
	k->s = s;
	k->len = 1;
	return (0);
}

/* %{name}: the name up to '}'. */
static int
rw_tp_var(struct rw_tp *tp, struct rw_subst *t, size_t cap)
{
	const char	*s = tp->p + 2, *e = strchr(s, '}');
	struct rw_tok	*k;
	size_t		 i;

	if (e == NULL) {
		rw_err(tp->err, tp->errlen, "\"%%{\" without a closing \"}\"");
		return (-1);
	}
	if (e == s) {
		rw_err(tp->err, tp->errlen, "\"%%{}\": a variable needs a name");
		return (-1);
	}
	for (i = 0; s + i < e; i++)
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '{') {
			rw_err(tp->err, tp->errlen, "\"%%{%.*s}\": not a "
			    "variable name", (int)(e - s), s);
			return (-1);
		}
	if ((k = rw_tok_new(tp, t, cap)) == NULL ||
	    (k->s = pt_strndup(tp->a, s, (size_t)(e - s))) == NULL)
		return (-1);
	k->kind = RW_TK_VAR;
	k->len = (size_t)(e - s);
	tp->p = e + 1;
	return (0);
}

static struct rw_subst *
rw_tp_sub(struct rw_tp *tp, const char *stop, int depth)
{
	struct rw_subst *t;

	if ((t = pt_calloc(tp->a, 1, sizeof(*t))) == NULL)
		return (NULL);
	if (rw_tp_parse(tp, t, stop, depth + 1) != 0)
		return (NULL);
	return (t);
}

/* ${map:key} or ${map:key|default} */
static int
rw_tp_map(struct rw_tp *tp, struct rw_subst *t, size_t cap, int depth)
{
	const char	*s = tp->p + 2, *e = s;
	struct rw_tok	*k;

	while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') ||
	    (*e >= '0' && *e <= '9') || *e == '_' || *e == '-')
		e++;
	if (*e != ':' || e == s) {
		rw_err(tp->err, tp->errlen, "\"${\" must be followed by "
		    "map:key}, as in ${users:$1|nobody}");
		return (-1);
	}
	if (depth >= RW_NEST_MAX) {
		rw_err(tp->err, tp->errlen, "maps nested more than %d deep",
		    RW_NEST_MAX);
		return (-1);
	}
	if ((k = rw_tok_new(tp, t, cap)) == NULL)
		return (-1);
	k->kind = RW_TK_MAP;
	if ((k->map = rw_map_find(tp->maps, s, (size_t)(e - s))) == NULL) {
		rw_err(tp->err, tp->errlen, "unknown map \"%.*s\" (maps are "
		    "declared in rewrite.maps; built in: tolower, toupper, "
		    "escape, unescape)", (int)(e - s), s);
		return (-1);
	}
	tp->p = e + 1;
	if ((k->key = rw_tp_sub(tp, "|}", depth)) == NULL)
		return (-1);
	if (*tp->p == '|') {
		tp->p++;
		if ((k->dflt = rw_tp_sub(tp, "}", depth)) == NULL)
			return (-1);
	}
	if (*tp->p != '}') {
		rw_err(tp->err, tp->errlen, "\"${%.*s:\" without a closing "
		    "\"}\"", (int)(e - s), s);
		return (-1);
	}
	tp->p++;
	if (k->key->max_rule > t->max_rule)
		t->max_rule = k->key->max_rule;
	if (k->key->max_cond > t->max_cond)
		t->max_cond = k->key->max_cond;
	if (k->dflt != NULL && k->dflt->max_rule > t->max_rule)
		t->max_rule = k->dflt->max_rule;
	if (k->dflt != NULL && k->dflt->max_cond > t->max_cond)
		t->max_cond = k->dflt->max_cond;
	return (0);
}

static int
rw_tp_ref(struct rw_tp *tp, struct rw_subst *t, size_t cap, bool rule)
{
	struct rw_tok *k;

	if ((k = rw_tok_new(tp, t, cap)) == NULL)
		return (-1);
	k->kind = rule ? RW_TK_RULE : RW_TK_COND;
	k->n = tp->p[1] - '0';
	if (rule && k->n > t->max_rule)
		t->max_rule = k->n;
	if (!rule && k->n > t->max_cond)
		t->max_cond = k->n;
	tp->p += 2;
	return (0);
}

static int
rw_tp_parse(struct rw_tp *tp, struct rw_subst *t, const char *stop, int depth)
{
	const char	*p;
	size_t		 cap = strlen(tp->p) + 1;
	int		 rc;

	t->max_rule = t->max_cond = -1;
	if ((t->toks = pt_calloc(tp->a, cap, sizeof(*t->toks))) == NULL)
		return (-1);
	while ((p = tp->p)[0] != '\0') {
		if (stop != NULL && strchr(stop, p[0]) != NULL)
			return (0);
		if (p[0] == '\\' && p[1] != '\0') {
			rc = rw_tp_lit(tp, t, cap, p[1]);
			tp->p += 2;
		} else if (p[0] == '$' && p[1] >= '0' && p[1] <= '9')
			rc = rw_tp_ref(tp, t, cap, true);
		else if (p[0] == '%' && p[1] >= '0' && p[1] <= '9')
			rc = rw_tp_ref(tp, t, cap, false);
		else if (p[0] == '$' && p[1] == '{')
			rc = rw_tp_map(tp, t, cap, depth);
		else if (p[0] == '%' && p[1] == '{')
			rc = rw_tp_var(tp, t, cap);
		else {
			rc = rw_tp_lit(tp, t, cap, p[0]);
			tp->p++;
		}
		if (rc != 0)
			return (-1);
	}
	if (stop != NULL) {
		rw_err(tp->err, tp->errlen, "\"${\" without a closing \"}\"");
		return (-1);
	}
	return (0);
}

int
rw_subst_parse(struct pt_arena *a, const char *text, const struct rw_maps *maps,
    struct rw_subst *out, char *err, size_t errlen)
{
	struct rw_tp tp = { a, maps, text, err, errlen };

	if (errlen > 0)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	out->max_rule = out->max_cond = -1;
	if ((out->text = pt_strdup(a, text)) == NULL) {
		rw_err(err, errlen, "out of memory");
		return (-1);
	}
	if (strcmp(text, "-") == 0) {
		out->dash = true;
		return (0);
	}
	if (rw_tp_parse(&tp, out, NULL, 0) != 0) {
		if (err[0] == '\0')
			rw_err(err, errlen, "out of memory");
		return (-1);
	}
	return (0);
}

/* --- flags ---------------------------------------------------------------- */

static const char *const rw_flag_names[] = {
	"last", "break", "redirect", "proxy", "forbidden", "gone", "status",
	"nocase", "qsappend", "qsdiscard", "noescape", "chain", "skip", "env",
	"cookie", "header", NULL
};

/* Edit distance of two short words, for "did you mean". */
static size_t
rw_distance(const char *a, size_t al, const char *b)
{
	size_t	row[32], i, j, prev, cur, bl = strlen(b);

	if (al >= 31 || bl >= 31)
		return (99);
	for (j = 0; j <= bl; j++)
		row[j] = j;
	for (i = 1; i <= al; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= bl; j++) {
			cur = row[j];
			row[j] = prev + (a[i - 1] == b[j - 1] ? 0 : 1);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (cur + 1 < row[j])
				row[j] = cur + 1;
			prev = cur;
		}
	}
	return (row[bl]);
}

static int
rw_flag_unknown(const char *text, size_t len, char *err, size_t errlen)
{
	const char	*best = NULL;
	size_t		 i, d, bd = 3;

	for (i = 0; rw_flag_names[i] != NULL; i++)
		if ((d = rw_distance(text, len, rw_flag_names[i])) < bd) {
			bd = d;
			best = rw_flag_names[i];
		}
	if (best != NULL)
		rw_err(err, errlen, "unknown flag \"%s\" (did you mean \"%s\"?)",
		    text, best);
	else
		rw_err(err, errlen, "unknown flag \"%s\" (flags: last, break, "
		    "redirect[=3xx], proxy[=upstream], forbidden, gone, "
		    "status=N, nocase, qsappend, qsdiscard, noescape, chain, "
		    "skip=N, env=VAR:VALUE, cookie=NAME:VALUE, "
		    "header=NAME:VALUE)", text);
	return (-1);
}

/* A decimal number in [min, max], digits only. */
static int
rw_num(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

static bool
rw_is_tchar(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* env=VAR:VALUE, cookie=NAME:VALUE, header=NAME:VALUE */
static int
rw_flag_action(struct pt_arena *a, const char *flag, const char *arg,
    enum rw_act_kind kind, const struct rw_maps *maps, struct rw_rule *r,
    char *err, size_t errlen)
{
	const char	*colon = strchr(arg, ':');
	struct rw_action *na;
	size_t		 i, nlen;
	char		 sub[256];

	if (colon == NULL || colon == arg) {
		rw_err(err, errlen, "%s=NAME:VALUE, not \"%s=%s\"", flag, flag,
		    arg);
		return (-1);
	}
	nlen = (size_t)(colon - arg);
	for (i = 0; i < nlen; i++)
		if (kind == RW_ACT_ENV ? !((arg[i] >= 'a' && arg[i] <= 'z') ||
		    (arg[i] >= 'A' && arg[i] <= 'Z') || (arg[i] >= '0' &&
		    arg[i] <= '9') || arg[i] == '_') :
		    !rw_is_tchar((unsigned char)arg[i])) {
			rw_err(err, errlen, "%s=: \"%.*s\" is not a valid name",
			    flag, (int)nlen, arg);
			return (-1);
		}
	if ((na = pt_calloc(a, r->nacts + 1, sizeof(*na))) == NULL)
		return (-1);
	if (r->nacts > 0)
		memcpy(na, r->acts, r->nacts * sizeof(*na));
	r->acts = na;
	na = &r->acts[r->nacts];
	na->kind = kind;
	if ((na->name = pt_strndup(a, arg, nlen)) == NULL)
		return (-1);
	sub[0] = '\0';
	if (rw_subst_parse(a, colon + 1, maps, &na->value, sub,
	    sizeof(sub)) != 0) {
		rw_err(err, errlen, "%s=%.*s: %s", flag, (int)nlen, arg, sub);
		return (-1);
	}
	r->nacts++;
	return (0);
}

static int
rw_flag_status(const char *name, const char *arg, struct rw_rule *r,
    char *err, size_t errlen)
{
	long v;

	if (strcmp(name, "redirect") == 0) {
		r->flags |= RW_F_REDIRECT;
		r->status = 302;
		if (arg == NULL)
			return (0);
		if (rw_num(arg, 100, 999, &v) != 0 || (v != 301 && v != 302 &&
		    v != 303 && v != 307 && v != 308)) {
			rw_err(err, errlen, "redirect=%s: a redirect is 301, "
			    "302, 303, 307 or 308", arg);
			return (-1);
		}
		r->status = (int)v;
		return (0);
	}
	if (arg == NULL || rw_num(arg, 100, 999, &v) != 0 || v < 200 ||
	    v > 599) {
		rw_err(err, errlen, "status=%s: a status from 200 to 599",
		    arg != NULL ? arg : "");
		return (-1);
	}
	r->flags |= RW_F_STATUS;
	r->status = (int)v;
	return (0);
}

static const struct {
	const char	*name;
	unsigned int	 flag;
	int		 status;
} rw_plain_flags[] = {
	{ "last", RW_F_LAST, 0 }, { "break", RW_F_BREAK, 0 },
	{ "nocase", RW_F_NOCASE, 0 }, { "qsappend", RW_F_QSAPPEND, 0 },
	{ "qsdiscard", RW_F_QSDISCARD, 0 }, { "noescape", RW_F_NOESCAPE, 0 },
	{ "chain", RW_F_CHAIN, 0 }, { "forbidden", RW_F_STATUS, 403 },
	{ "gone", RW_F_STATUS, 410 },
};

int
rw_flag_parse(struct pt_arena *a, const char *text, const struct rw_maps *maps,
    struct rw_rule *r, char *err, size_t errlen)
{
	const char	*eq = strchr(text, '='), *arg = eq != NULL ? eq + 1 : NULL;
	char		 name[32];
	size_t		 i, len = eq != NULL ? (size_t)(eq - text) : strlen(text);
	long		 v;

	if (len == 0 || len >= sizeof(name))
		return (rw_flag_unknown(text, len, err, errlen));
	memcpy(name, text, len);
	name[len] = '\0';
	for (i = 0; i < sizeof(rw_plain_flags) / sizeof(rw_plain_flags[0]); i++)
		if (strcmp(name, rw_plain_flags[i].name) == 0) {
			if (arg != NULL) {
				rw_err(err, errlen, "flag \"%s\" takes no "
				    "value", name);
				return (-1);
			}
			r->flags |= rw_plain_flags[i].flag;
			if (rw_plain_flags[i].status != 0)
				r->status = rw_plain_flags[i].status;
			return (0);
		}
	if (strcmp(name, "redirect") == 0 || strcmp(name, "status") == 0)
		return (rw_flag_status(name, arg, r, err, errlen));
	if (strcmp(name, "proxy") == 0) {
		r->flags |= RW_F_PROXY;
		if (arg != NULL && arg[0] == '\0') {
			rw_err(err, errlen, "proxy=: an upstream name");
			return (-1);
		}
		if (arg != NULL && (r->upstream = pt_strdup(a, arg)) == NULL)
			return (-1);
		return (0);
	}
	if (strcmp(name, "skip") == 0) {
		if (arg == NULL || rw_num(arg, 1, 100, &v) != 0) {
			rw_err(err, errlen, "skip=N: N from 1 to 100");
			return (-1);
		}
		r->skip = (int)v;
		return (0);
	}
	if (arg != NULL && strcmp(name, "env") == 0)
		return (rw_flag_action(a, name, arg, RW_ACT_ENV, maps, r, err,
		    errlen));
	if (arg != NULL && strcmp(name, "cookie") == 0)
		return (rw_flag_action(a, name, arg, RW_ACT_COOKIE, maps, r,
		    err, errlen));
	if (arg != NULL && strcmp(name, "header") == 0)
		return (rw_flag_action(a, name, arg, RW_ACT_HEADER, maps, r,
		    err, errlen));
	if (strcmp(name, "env") == 0 || strcmp(name, "cookie") == 0 ||
	    strcmp(name, "header") == 0) {
		rw_err(err, errlen, "%s=NAME:VALUE", name);
		return (-1);
	}
	return (rw_flag_unknown(text, len, err, errlen));
}

/* --- a whole rule ----------------------------------------------------------- */

static int
rw_refs_check(const struct rw_subst *t, const char *what, uint32_t groups,
    int cond_groups, char *err, size_t errlen)
{
	if (t->max_rule > (int)groups) {
		rw_err(err, errlen, "%s uses $%d but the pattern has %u "
		    "group%s", what, t->max_rule, groups, groups == 1 ? "" :
		    "s");
		return (-1);
	}
	if (t->max_cond > cond_groups) {
		if (cond_groups < 0)
			rw_err(err, errlen, "%s uses %%%d but no condition is "
			    "a regex", what, t->max_cond);
		else
			rw_err(err, errlen, "%s uses %%%d but the regex "
			    "conditions have at most %d group%s", what,
			    t->max_cond, cond_groups, cond_groups == 1 ? "" :
			    "s");
		return (-1);
	}
	return (0);
}

static int
rw_flags_check(const struct rw_rule *r, char *err, size_t errlen)
{
	unsigned int	f = r->flags;
	const char	*to = r->to.text;

	if (((f & RW_F_REDIRECT) != 0) + ((f & RW_F_PROXY) != 0) +
	    ((f & RW_F_STATUS) != 0) > 1) {
		rw_err(err, errlen, "choose one of redirect, proxy and "
		    "forbidden/gone/status");
		return (-1);
	}
	if ((f & RW_F_QSAPPEND) != 0 && (f & RW_F_QSDISCARD) != 0) {
		rw_err(err, errlen, "qsappend and qsdiscard contradict each "
		    "other");
		return (-1);
	}
	if ((f & RW_F_STATUS) != 0 && r->status >= 300 && r->status < 400 &&
	    !r->to.dash) {
		rw_err(err, errlen, "status=%d answers without a Location: "
		    "\"to\" must be \"-\" (redirect=%d redirects to it)",
		    r->status, r->status);
		return (-1);
	}
	if ((f & RW_F_REDIRECT) != 0 && r->to.dash) {
		rw_err(err, errlen, "redirect needs a target: \"to\" is \"-\"");
		return (-1);
	}
	if ((f & RW_F_PROXY) != 0 && r->upstream == NULL &&
	    strncasecmp(to, "http://", 7) != 0 &&
	    strncasecmp(to, "https://", 8) != 0) {
		rw_err(err, errlen, "proxy needs an upstream: proxy=NAME, or a "
		    "\"to\" such as \"http://NAME/path\"");
		return (-1);
	}
	if (!r->to.dash && to[0] != '/' && to[0] != '$' && to[0] != '%' &&
	    strncasecmp(to, "http://", 7) != 0 &&
	    strncasecmp(to, "https://", 8) != 0) {
		rw_err(err, errlen, "\"to\" is a path starting with /, an "
		    "http:// or https:// URL, or \"-\" (no substitution)");
		return (-1);
	}
	return (0);
}

int
rw_rule_check(const struct rw_rule *r, char *err, size_t errlen)
{
	uint32_t	 g = r->rx->ngroups;
	int		 cg = -1;
	size_t		 i;
	char		 what[48];

	for (i = 0; i < r->nconds; i++)
		if (r->conds[i].op == RW_OP_REGEX &&
		    (int)r->conds[i].rx->ngroups > cg)
			cg = (int)r->conds[i].rx->ngroups;
	if (rw_refs_check(&r->to, "\"to\"", g, cg, err, errlen) != 0)
		return (-1);
	for (i = 0; i < r->nconds; i++) {
		snprintf(what, sizeof(what), "condition %zu's var", i + 1);
		if (rw_refs_check(&r->conds[i].var, what, g, cg, err,
		    errlen) != 0)
			return (-1);
	}
	for (i = 0; i < r->nacts; i++) {
		snprintf(what, sizeof(what), "flag %s=%s",
		    r->acts[i].kind == RW_ACT_ENV ? "env" : r->acts[i].kind ==
		    RW_ACT_COOKIE ? "cookie" : "header", r->acts[i].name);
		if (rw_refs_check(&r->acts[i].value, what, g, cg, err,
		    errlen) != 0)
			return (-1);
	}
	return (rw_flags_check(r, err, errlen));
}

int
rw_ruleset_finish(struct pt_arena *a, struct rw_ruleset *rs)
{
	struct rw_pre	*p;
	size_t		 i;

	if (rs->n == 0)
		return (0);
	if ((rs->pre = pt_calloc(a, rs->n, sizeof(*rs->pre))) == NULL)
		return (-1);
	for (i = 0; i < rs->n; i++) {
		p = &rs->pre[i];
		p->chain = (rs->v[i].flags & RW_F_CHAIN) != 0;
		if (rs->v[i].against != RW_ON_PATH || rs->v[i].rx->prefix == NULL)
			continue;
		p->len = (uint8_t)(rs->v[i].rx->prefix_len < sizeof(p->lit) ?
		    rs->v[i].rx->prefix_len : sizeof(p->lit));
		memcpy(p->lit, rs->v[i].rx->prefix, p->len);
		p->nocase = rs->v[i].rx->nocase;
	}
	return (0);
}

/* --- addresses -------------------------------------------------------------- */

int
rw_cidr_parse(const char *s, struct rw_cidr *c)
{
	const char	*slash = strchr(s, '/');
	char		 host[64];
	size_t		 len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	long		 bits;

	memset(c, 0, sizeof(*c));
	if (len == 0 || len >= sizeof(host))
		return (-1);
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, host, c->addr) == 1)
		c->family = AF_INET6;
	else
		return (-1);
	bits = c->family == AF_INET ? 32 : 128;
	if (slash != NULL && rw_num(slash + 1, 0, bits, &bits) != 0)
		return (-1);
	c->bits = (unsigned int)bits;
	return (0);
}
