/*
 * The rule loader: reads rule files (one rule a line), checks every field,
 * compiles each regex with PCRE2 (JIT) and groups the rules by their
 * chain of transformations. The Hyperscan databases are built in
 * waf_compile.c; scanning lives in waf_scan.c.
 *
 * A line:  id pl sev tag targets transforms op "message" [pattern]
 *   942100 1 5 sqli args,cookies urldecode,lowercase rx "UNION SELECT" union\s+select
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "waf_engine.h"

#define LINE_MAX_LEN	8192

static const struct {
	const char	*name;
	unsigned	 mask;
} waf_targets[] = {
	{ "method", WAF_T_METHOD }, { "path", WAF_T_PATH },
	{ "query", WAF_T_QUERY }, { "arg_names", WAF_T_ARG_NAMES },
	{ "args", WAF_T_ARGS }, { "header_names", WAF_T_HEADER_NAMES },
	{ "headers", WAF_T_HEADERS }, { "cookies", WAF_T_COOKIES },
	{ "body", WAF_T_BODY }, { "user_agent", WAF_T_UA },
	{ "files", WAF_T_FILES }, { "client", WAF_T_CLIENT },
	{ "resp_status", WAF_T_RESP_STATUS },
	{ "resp_headers", WAF_T_RESP_HEADERS }
};
static const char *const waf_ops[] = {
	"rx", "pm", "sqli", "xss", "len_gt", "bytes", "cidr", "eq", NULL
};

struct loader {
	struct waf_ruleset	*rs;
	waf_err_fn		 err;
	void			*arg;
	const char		*file;
	int			 line;
	int			 errors;
	size_t			 cap;
};

static void lerr(struct loader *, const char *, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
lerr(struct loader *l, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->err(l->arg, l->file, l->line, msg);
	l->errors++;
}

/* Next whitespace-separated field, or a "quoted" one; NULL at the end. */
static char *
field_next(char **pp)
{
	char *p = *pp, *s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return (NULL);
	if (*p == '"') {
		s = ++p;
		while (*p != '\0' && *p != '"')
			p++;
		if (*p == '"')
			*p++ = '\0';
		*pp = p;
		return (s);
	}
	s = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*pp = p;
	return (s);
}

/* "headers:Transfer-Encoding": the rule looks at that name only. */
static bool
parse_only(struct loader *l, char *t, struct waf_rule *r)
{
	char *colon = strchr(t, ':');

	if (colon == NULL)
		return (true);
	*colon++ = '\0';
	if (*colon == '\0' || (r->only != NULL && strcasecmp(r->only,
	    colon) != 0)) {
		lerr(l, "\"%s:\": one name per rule, after a target: "
		    "headers:Transfer-Encoding", t);
		return (false);
	}
	if (r->only == NULL && (r->only = waf_xstrdup(colon)) == NULL) {
		lerr(l, "%s", "out of memory");
		return (false);
	}
	return (true);
}

static bool
parse_targets(struct loader *l, char *s, struct waf_rule *r)
{
	char		*t, *save = NULL;
	size_t		 i;
	unsigned	*mask = &r->targets;

	*mask = 0;
	for (t = strtok_r(s, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		if (!parse_only(l, t, r))
			return (false);
		for (i = 0; i < sizeof(waf_targets) / sizeof(waf_targets[0]); i++)
			if (strcmp(t, waf_targets[i].name) == 0)
				break;
		if (i == sizeof(waf_targets) / sizeof(waf_targets[0])) {
			lerr(l, "unknown target \"%s\" (method, path, query, "
			    "args, arg_names, headers, header_names, cookies, "
			    "body, user_agent, files, client, resp_status, "
			    "resp_headers)", t);
			return (false);
		}
		*mask |= waf_targets[i].mask;
	}
	return (*mask != 0);
}

static int
parse_chain(struct loader *l, char *s, uint8_t *chain)
{
	char	*t, *save = NULL;
	int	 n = 0, tf;

	if (strcmp(s, "none") == 0)
		return (0);
	for (t = strtok_r(s, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		if ((tf = waf_tf_parse(t)) <= 0) {
			lerr(l, "unknown transformation \"%s\" (urldecode, "
			    "htmldecode, lowercase, removenulls, "
			    "compresswhitespace, removewhitespace, normpath, "
			    "base64decode, hexdecode, replacecomments, utf8)", t);
			return (-1);
		}
		if (n == WAF_CHAIN_MAX) {
			lerr(l, "more than %s transformations", "8");
			return (-1);
		}
		chain[n++] = (uint8_t)tf;
	}
	return (n);
}

static int
group_for(struct waf_ruleset *rs, const uint8_t *chain, int n)
{
	size_t			 i;
	struct waf_group	*g;

	for (i = 0; i < rs->ng; i++)
		if (rs->g[i].n == n && memcmp(rs->g[i].chain, chain,
		    (size_t)n) == 0)
			return ((int)i);
	if ((g = realloc(rs->g, (rs->ng + 1) * sizeof(*g))) == NULL)
		return (-1);
	rs->g = g;
	g = &rs->g[rs->ng];
	memset(g, 0, sizeof(*g));
	memcpy(g->chain, chain, (size_t)n);
	g->n = n;
	return ((int)rs->ng++);
}

static bool
parse_operand(struct loader *l, struct waf_rule *r, char *pat)
{
	char		*e;
	int		 ec;
	PCRE2_SIZE	 eo;
	char		 buf[256];

	switch (r->op) {
	case WAF_OP_RX:
		r->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
		    PCRE2_CASELESS | PCRE2_DOTALL, &ec, &eo, NULL);
		if (r->re == NULL) {
			pcre2_get_error_message(ec, (PCRE2_UCHAR *)buf,
			    sizeof(buf));
			lerr(l, "bad regex: %s", buf);
			return (false);
		}
		(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
		return (true);
	case WAF_OP_PM:
	case WAF_OP_EQ:
		if (*pat == '\0') {
			lerr(l, "%s needs a pattern", waf_ops[r->op]);
			return (false);
		}
		return (true);
	case WAF_OP_LEN_GT:
		r->num = strtoll(pat, &e, 10);
		if (e == pat || *e != '\0' || r->num < 0) {
			lerr(l, "len_gt takes a number, not \"%s\"", pat);
			return (false);
		}
		return (true);
	case WAF_OP_BYTES: {
		unsigned lo, hi;

		if (sscanf(pat, "%u-%u", &lo, &hi) != 2 || lo > hi || hi > 255) {
			lerr(l, "bytes takes an allowed range \"1-255\", not "
			    "\"%s\"", pat);
			return (false);
		}
		r->lo = (unsigned char)lo;
		r->hi = (unsigned char)hi;
		return (true);
	}
	case WAF_OP_CIDR:
		snprintf(buf, sizeof(buf), "%s", pat);
		r->bits = -1;
		if ((e = strchr(buf, '/')) != NULL) {
			*e++ = '\0';
			r->bits = atoi(e);
		}
		r->family = strchr(buf, ':') != NULL ? AF_INET6 : AF_INET;
		if (inet_pton(r->family, buf, r->net) != 1 || r->bits >
		    (r->family == AF_INET ? 32 : 128)) {
			lerr(l, "cidr takes an address or range, not \"%s\"", pat);
			return (false);
		}
		if (r->bits < 0)
			r->bits = r->family == AF_INET ? 32 : 128;
		return (true);
	default:
		return (true);
	}
}

char *
waf_xstrdup(const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return (p);
}

/* What parse_line allocated for one rule. */
static void
rule_free(struct waf_rule *r)
{
	pcre2_code_free(r->re);
	r->re = NULL;
	free((char *)r->tag);
	free((char *)r->msg);
	free((char *)r->pattern);
	free((char *)r->only);
	r->tag = r->msg = r->pattern = r->only = NULL;
}

/* One rule line; fields are cut in place. */
static void
parse_line(struct loader *l, char *p)
{
	struct waf_rule	 r = { .file = l->file, .line = l->line };
	char		*f[8], *e;
	uint8_t		 chain[WAF_CHAIN_MAX];
	int		 i, n;

	for (i = 0; i < 8; i++)
		if ((f[i] = field_next(&p)) == NULL) {
			lerr(l, "a rule has 8 fields and a pattern: id pl sev "
			    "tag targets transforms op \"message\" (%s)",
			    "too few fields");
			return;
		}
	while (*p == ' ' || *p == '\t')
		p++;
	r.id = (unsigned)strtoul(f[0], &e, 10);
	if (*e != '\0' || r.id == 0)
		{
		lerr(l, "bad rule id \"%s\"", f[0]);
		return;
	}
	if (waf_rules_find(l->rs, r.id) != NULL)
		{
		lerr(l, "duplicate rule id %s", f[0]);
		return;
	}
	r.pl = atoi(f[1]);
	if (r.pl < 1 || r.pl > 4 || f[1][1] != '\0')
		{
		lerr(l, "paranoia level \"%s\": 1 to 4", f[1]);
		return;
	}
	r.sev = (int)strtol(f[2], &e, 10);
	r.block = *e == '!';
	if (r.sev < 1 || r.sev > 10 || (*e != '\0' && strcmp(e, "!") != 0))
		{
		lerr(l, "severity \"%s\": 1 to 10, \"!\" to block at "
		    "once", f[2]);
		return;
	}
	if (!parse_targets(l, f[4], &r) || (n = parse_chain(l, f[5],
	    chain)) < 0)
		goto bad;
	for (r.op = 0; waf_ops[r.op] != NULL; r.op++)
		if (strcmp(waf_ops[r.op], f[6]) == 0)
			break;
	if (waf_ops[r.op] == NULL) {
		lerr(l, "unknown operator \"%s\" (rx, pm, sqli, xss, "
		    "len_gt, bytes, cidr, eq)", f[6]);
		goto bad;
	}
	if (!parse_operand(l, &r, p))
		goto bad;
	if ((r.group = group_for(l->rs, chain, n)) < 0)
		goto oom;
	r.tag = waf_xstrdup(f[3]);
	r.msg = waf_xstrdup(f[7]);
	r.pattern = waf_xstrdup(p);
	if (r.tag == NULL || r.msg == NULL || r.pattern == NULL)
		goto oom;
	if (l->rs->n == l->cap) {
		size_t		 cap = l->cap ? l->cap * 2 : 64;
		struct waf_rule	*v = realloc(l->rs->v, cap * sizeof(*v));

		if (v == NULL)
			goto oom;
		l->rs->v = v;
		l->cap = cap;
	}
	l->rs->v[l->rs->n++] = r;
	return;
oom:
	lerr(l, "%s", "out of memory");
bad:
	rule_free(&r);
}

static int
load_file(struct loader *l, const char *path)
{
	FILE	*fp;
	char	 buf[LINE_MAX_LEN], *p;
	size_t	 n;
	char	**files;

	/* Rules keep the file name; the ruleset owns a copy of it. */
	l->file = path;
	l->line = 0;
	if ((files = realloc(l->rs->files, (l->rs->nfiles + 1) *
	    sizeof(*files))) == NULL) {
		lerr(l, "%s", "out of memory");
		return (-1);
	}
	l->rs->files = files;
	if ((files[l->rs->nfiles] = waf_xstrdup(path)) == NULL) {
		lerr(l, "%s", "out of memory");
		return (-1);
	}
	l->file = files[l->rs->nfiles++];
	if ((fp = fopen(path, "r")) == NULL) {
		lerr(l, "cannot open the rule file: %s", strerror(errno));
		return (-1);
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		l->line++;
		n = strlen(buf);
		if (n > 0 && buf[n - 1] != '\n' && !feof(fp)) {
			lerr(l, "line longer than %s bytes", "8191");
			while (fgets(buf, sizeof(buf), fp) != NULL &&
			    strchr(buf, '\n') == NULL)
				;
			continue;
		}
		while (n > 0 && isspace((unsigned char)buf[n - 1]))
			buf[--n] = '\0';
		for (p = buf; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		parse_line(l, p);
	}
	fclose(fp);
	return (0);
}

int
waf_rules_load(struct waf_ruleset *rs, const char *const *files, size_t n,
    waf_err_fn err, void *arg)
{
	struct loader	l = { .rs = rs, .err = err, .arg = arg, .cap = rs->n };
	size_t		i;

	for (i = 0; i < n; i++)
		load_file(&l, files[i]);
	return (l.errors);
}

const struct waf_rule *
waf_rules_find(const struct waf_ruleset *rs, unsigned id)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->v[i].id == id)
			return (&rs->v[i]);
	return (NULL);
}

void
waf_rules_free(struct waf_ruleset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		rule_free(&rs->v[i]);
	free(rs->v);
	for (i = 0; i < rs->ng; i++) {
		hs_free_scratch(rs->g[i].scratch);
		hs_free_database(rs->g[i].db);
		free(rs->g[i].other);
	}
	free(rs->g);
	for (i = 0; i < WAF_T_BITS; i++)
		hs_free_database(rs->tdb[i]);
	hs_free_scratch(rs->tscratch);
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	memset(rs, 0, sizeof(*rs));
}
