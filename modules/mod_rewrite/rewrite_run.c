/*
 * mod_rewrite, pure: one pass of a rule set over a request (rw_run). The
 * rule loop, chains and skips, and what a rule that applies does: an
 * internal rewrite, a redirect with its Location, a proxy target, or a
 * status. Every URL it hands back has been checked: a result that is not
 * a valid URI becomes RW_ERROR (a 500), never a malformed request line or
 * header. Matching and expansion live in rewrite_engine.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <portier/arena.h>
#include <portier/types.h>
#include "rewrite_engine.h"

/* A rule's verdict, for the loop. */
enum rw_step {
	RW_S_NOMATCH,	/* the pattern or the conditions failed */
	RW_S_NEXT,	/* applied; go on with the next rule */
	RW_S_LAST,	/* applied with last: this pass ends */
	RW_S_BREAK,	/* applied with break: no pass after this one */
	RW_S_ANSWER	/* redirect, status, proxy or error: res is final */
};

/* A pass in progress: the URL as the rules have left it so far. */
struct rw_state {
	const struct rw_io	*io;	/* the caller's */
	struct rw_io		 sio;	/* the caller's, with the current path */
	const struct rw_req	*rq;
	struct pt_arena		*a;
	const char		*path;	/* current, decoded */
	size_t			 path_len;
	const char		*query;	/* current, NULL: none (see rw_query) */
	bool			 query_known;	/* query was fetched */
	bool			 query_changed;
	bool			 changed;
	const char		*uri;	/* subjects built for this URL, or NULL */
	const char		*url;
	struct rw_result	*res;
};

static const char *const rw_against_names[] = { "path", "uri", "url" };

/* A request string the caller did not give: asked for through io->var. */
static const char *
rw_req_str(struct rw_state *st, const char *given, const char *name)
{
	const char	*v;
	size_t		 n;

	if (given != NULL)
		return (given);
	v = st->io->var(st->io->arg, name, strlen(name), &n);
	return (v != NULL ? v : "");
}

/*
 * The current query. The request's is fetched on first use, so a rule set
 * that matches nothing never asks for it (and never copies it).
 */
static const char *
rw_query(struct rw_state *st)
{
	const char	*v;
	size_t		 n = 0;

	if (st->query_known)
		return (st->query);
	st->query_known = true;
	if ((v = st->rq->query) == NULL)
		v = st->io->var(st->io->arg, "query", 5, &n);
	else
		n = strlen(v);
	st->query = v != NULL && n > 0 ? v : NULL;
	return (st->query);
}

/*
 * %{path} and %{query} are the URL as the earlier rules of this pass left
 * it; everything else is the caller's.
 */
static const char *
rw_state_var(void *arg, const char *name, size_t len, size_t *vlen)
{
	struct rw_state *st = arg;

	if (len == 4 && strncasecmp(name, "path", 4) == 0) {
		*vlen = strlen(st->path);
		return (st->path);
	}
	if (len == 5 && strncasecmp(name, "query", 5) == 0) {
		*vlen = rw_query(st) != NULL ? strlen(st->query) : 0;
		return (st->query);
	}
	return (st->io->var(st->io->arg, name, len, vlen));
}

/*
 * The engine's own calls get st->sio, whose arg is the state: these pass
 * them on to the caller's functions with the caller's arg.
 */
static void
rw_state_act(void *arg, const struct rw_rule *r, enum rw_act_kind k,
    const char *name, const char *value)
{
	struct rw_state *st = arg;

	if (st->io->act != NULL)
		st->io->act(st->io->arg, r, k, name, value);
}

static void	rw_state_trace(void *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));
static void	rw_state_warn(void *, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));

/* One line, formatted here, to the caller's trace or warn. */
static void
rw_state_pass(const struct rw_state *st, bool warn, const char *fmt,
    va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	(warn ? st->io->warn : st->io->trace)(st->io->arg, "%s", line);
}

static void
rw_state_trace(void *arg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rw_state_pass(arg, false, fmt, ap);
	va_end(ap);
}

static void
rw_state_warn(void *arg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rw_state_pass(arg, true, fmt, ap);
	va_end(ap);
}

/* The path %-encoded as the proxy would send it, and the query. */
static const char *
rw_uri_build(struct rw_state *st)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	char			*out, *o;
	const char		*q = rw_query(st);
	size_t			 ql = q != NULL ? strlen(q) : 0;

	if ((out = pt_alloc(st->a, strlen(st->path) * 3 + ql + 2)) == NULL)
		return (NULL);
	for (o = out, p = (const unsigned char *)st->path; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~!$&'()*+,;=:@",
		    *p) != NULL)
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	if (q != NULL) {
		*o++ = '?';
		memcpy(o, q, ql);
		o += ql;
	}
	*o = '\0';
	return (out);
}

/* What a rule's pattern is matched against; NULL when out of memory. */
static const char *
rw_subject(struct rw_state *st, enum rw_against on, size_t *len)
{
	const char *uri, *scheme, *host;

	if (on == RW_ON_PATH) {
		*len = st->path_len;
		return (st->path);
	}
	*len = (size_t)-1;
	if (st->uri == NULL)
		st->uri = st->changed ? rw_uri_build(st) :
		    rw_req_str(st, st->rq->uri, "uri");
	if (on == RW_ON_URI || (uri = st->uri) == NULL)
		return (st->uri);
	if (st->url == NULL) {
		scheme = rw_req_str(st, st->rq->scheme, "scheme");
		host = rw_req_str(st, st->rq->host, "host");
		st->url = pt_printf(st->a, "%s://%s%s", scheme != NULL &&
		    scheme[0] != '\0' ? scheme : "http", host != NULL ? host :
		    "", uri);
	}
	return (st->url);
}

static void
rw_fired(struct rw_result *res, const struct rw_rule *r)
{
	if (res->nfired == RW_TRAIL) {
		memmove(res->fired, res->fired + 1,
		    (RW_TRAIL - 1) * sizeof(res->fired[0]));
		res->nfired--;
	}
	res->fired[res->nfired++] = r;
}

/* A 500: the rule produced something that cannot be a URI. */
static enum rw_step
rw_invalid(struct rw_state *st, const struct rw_rule *r, const char *what,
    const char *s, size_t len)
{
	char q[512];

	rw_quote(q, sizeof(q), s, len);
	if (st->io->warn != NULL)
		st->io->warn(st->io->arg, "rule %d at %s:%d: %s %s: answering "
		    "500", r->index, r->file, r->line, what, q);
	if (st->io->trace != NULL)
		st->io->trace(st->io->arg, "  -> error: %s %s: 500", what, q);
	st->res->outcome = RW_ERROR;
	st->res->status = 500;
	return (RW_S_ANSWER);
}

static bool
rw_is_absolute(const char *s)
{
	return (strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0);
}

/*
 * The %-decoded path part of a result, in the arena; NULL with *why set
 * when it is not a path the core may route: no leading '/', a bad
 * escape, a control character or NUL, or a "." or ".." segment (which
 * could climb out of a static root).
 */
static char *
rw_path_decode(struct pt_arena *a, const char *s, size_t len, const char **why)
{
	unsigned char	 c;
	char		*out, *o;
	size_t		 i, seg, sl;
	int		 h, l;

	*why = "result is not a path";
	if (len == 0 || s[0] != '/')
		return (NULL);
	if ((out = pt_alloc(a, len + 1)) == NULL) {
		*why = "out of memory for";
		return (NULL);
	}
	for (i = 0, o = out; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len || (h = pt_hexval(s[i + 1])) < 0 ||
			    (l = pt_hexval(s[i + 2])) < 0) {
				*why = "result has a bad %-escape";
				return (NULL);
			}
			c = (unsigned char)(h * 16 + l);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "result has a control character or NUL";
			return (NULL);
		}
		*o++ = (char)c;
	}
	*o = '\0';
	for (seg = 0, i = 1;; i++) {
		if (out[i] != '/' && out[i] != '\0')
			continue;
		sl = i - seg - 1;
		if ((sl == 1 && out[seg + 1] == '.') || (sl == 2 &&
		    out[seg + 1] == '.' && out[seg + 2] == '.')) {
			*why = "result has a \".\" or \"..\" segment";
			return (NULL);
		}
		if (out[i] == '\0')
			break;
		seg = i;
	}
	return (out);
}

/* Whether every byte may stand in a query (or a Location) as it is. */
static bool
rw_uri_chars_ok(const char *s, size_t len)
{
	size_t i;

	/*
	 * What would break a request line or a header field, or is not
	 * ASCII. Characters RFC 3986 merely calls unwise ('{', '|', ...) are
	 * left alone: clients send them in queries, and they are harmless.
	 */
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return (false);
	return (true);
}

/*
 * The query after a rule: the one the result has (after a literal '?'),
 * with the request's appended for qsappend; or the request's, unless
 * qsdiscard. A result ending in '?' drops the query. *q NULL: none.
 */
static int
rw_query_new(struct rw_state *st, const struct rw_rule *r, const char *out,
    size_t n, size_t qpos, const char **q)
{
	const char	*nq, *cur = rw_query(st);
	size_t		 nl;

	if (qpos == (size_t)-1) {
		*q = (r->flags & RW_F_QSDISCARD) != 0 ? NULL : cur;
		return (0);
	}
	nq = out + qpos + 1;
	nl = n - qpos - 1;
	if (!rw_uri_chars_ok(nq, nl) || memchr(nq, '#', nl) != NULL)
		return (-1);
	if ((r->flags & RW_F_QSAPPEND) != 0 && cur != NULL)
		*q = pt_printf(st->a, "%.*s%s%s", (int)nl, nq, nl > 0 ? "&" : "",
		    cur);
	else
		*q = nl > 0 ? pt_strndup(st->a, nq, nl) : NULL;
	return (0);
}

static enum rw_step
rw_do_redirect(struct rw_state *st, const struct rw_rule *r, const char *out,
    size_t n, size_t qpos)
{
	const char		*q, *loc, *scheme, *host;
	size_t			 base = qpos == (size_t)-1 ? n : qpos;
	bool			 abs = rw_is_absolute(out);

	if (!abs && out[0] != '/')
		return (rw_invalid(st, r, "redirect target is not a path",
		    out, n));
	if (rw_query_new(st, r, out, n, qpos, &q) != 0)
		return (rw_invalid(st, r, "result has an invalid query", out,
		    n));
	/* RFC 9110 10.2.2: a relative Location is allowed, but not usual. */
	host = abs ? NULL : rw_req_str(st, st->rq->host, "host");
	scheme = abs ? NULL : rw_req_str(st, st->rq->scheme, "scheme");
	if (host == NULL || host[0] == '\0')
		loc = pt_printf(st->a, "%.*s%s%s", (int)base, out, q != NULL ?
		    "?" : "", q != NULL ? q : "");
	else
		loc = pt_printf(st->a, "%s://%s%.*s%s%s", scheme != NULL &&
		    scheme[0] != '\0' ? scheme : "http", host, (int)base, out,
		    q != NULL ? "?" : "", q != NULL ? q : "");
	if (loc == NULL)
		return (RW_S_ANSWER);	/* rw_run turns it into -1 */
	if (!rw_uri_chars_ok(loc, strlen(loc)))
		return (rw_invalid(st, r, "redirect target is not a valid URI",
		    loc, strlen(loc)));
	st->res->outcome = RW_REDIRECT;
	st->res->status = (r->flags & RW_F_REDIRECT) != 0 ? r->status : 302;
	st->res->location = loc;
	rw_fired(st->res, r);
	if (st->io->trace != NULL) {
		char ql[1024];

		st->io->trace(st->io->arg, "  -> redirect %d, Location %s",
		    st->res->status, rw_quote(ql, sizeof(ql), loc,
		    strlen(loc)));
	}
	return (RW_S_ANSWER);
}

/* The new path and query of an internal rewrite (and of a proxy). */
static enum rw_step
rw_set_url(struct rw_state *st, const struct rw_rule *r, const char *out,
    size_t n, size_t qpos)
{
	const char	*why, *q;
	char		*path;
	size_t		 plen = qpos == (size_t)-1 ? n : qpos;

	if ((path = rw_path_decode(st->a, out, plen, &why)) == NULL)
		return (rw_invalid(st, r, why, out, n));
	if (rw_query_new(st, r, out, n, qpos, &q) != 0)
		return (rw_invalid(st, r, "result has an invalid query", out,
		    n));
	st->path = path;
	st->path_len = strlen(path);
	if (q != st->query)
		st->query_changed = true;
	st->query = q;
	st->changed = true;
	st->uri = st->url = NULL;
	rw_fired(st->res, r);
	return (RW_S_NEXT);
}

static enum rw_step
rw_do_proxy(struct rw_state *st, const struct rw_rule *r, const char *out,
    size_t n, size_t qpos)
{
	const char	*pool = r->upstream, *auth, *rest;
	size_t		 alen, skip;
	char		 qp[512], qq[512];

	if (out != NULL && rw_is_absolute(out)) {
		auth = strstr(out, "://") + 3;
		alen = strcspn(auth, "/?");
		if (alen == 0)
			return (rw_invalid(st, r, "proxy URL names no upstream",
			    out, n));
		if (pool == NULL) {
			if ((pool = pt_strndup(st->a, auth, alen)) == NULL)
				return (RW_S_ANSWER);
			st->res->upstream_url = true;
			st->res->upstream_tls = auth - out == 8;
		}
		rest = auth + alen;
		skip = (size_t)(rest - out);
		if (rest[0] == '/') {
			n -= skip;
			qpos = qpos != (size_t)-1 && qpos >= skip ? qpos - skip :
			    (size_t)-1;
			out = rest;
		} else {	/* "http://app" or "http://app?x=1": path "/" */
			if ((out = pt_printf(st->a, "/%s", rest)) == NULL)
				return (RW_S_ANSWER);
			n = strlen(out);
			qpos = rest[0] == '?' ? 1 : (size_t)-1;
		}
	}
	if (out != NULL && rw_set_url(st, r, out, n, qpos) != RW_S_NEXT)
		return (RW_S_ANSWER);
	st->res->outcome = RW_PROXY;
	st->res->upstream = pool;
	st->res->stop = true;
	if (out == NULL)
		rw_fired(st->res, r);
	if (st->io->trace != NULL)
		st->io->trace(st->io->arg, "  -> proxy to %s%s%s%s, path %s, "
		    "query %s", st->res->upstream_url ? (st->res->upstream_tls ?
		    "https://" : "http://") : "upstream \"", pool,
		    st->res->upstream_url ? "" : "\"", st->res->upstream_url ?
		    " (a pool of that name, else an ad-hoc upstream)" : "",
		    rw_quote(qp, sizeof(qp), st->path,
		    strlen(st->path)), rw_query(st) != NULL ? rw_quote(qq,
		    sizeof(qq), st->query, strlen(st->query)) : "none");
	return (RW_S_ANSWER);
}

/* env=, cookie=, header=: expanded without URL escaping. */
static void
rw_do_actions(struct rw_state *st, const struct rw_rule *r,
    const struct rw_caps *rc, const struct rw_caps *cc)
{
	char	v[2048], q[512];
	size_t	i;
	long	n;

	for (i = 0; i < r->nacts; i++) {
		n = rw_expand(&r->acts[i].value, rc, cc, &st->sio, false, v,
		    sizeof(v), NULL);
		if (n < 0) {
			if (st->io->warn != NULL)
				st->io->warn(st->io->arg, "rule %d at %s:%d: "
				    "value of %s too long: not set", r->index,
				    r->file, r->line, r->acts[i].name);
			continue;
		}
		if (st->io->trace != NULL)
			st->io->trace(st->io->arg, "  %s %s = %s",
			    r->acts[i].kind == RW_ACT_ENV ? "env" :
			    r->acts[i].kind == RW_ACT_COOKIE ? "cookie" :
			    "header", r->acts[i].name, rw_quote(q, sizeof(q),
			    v, (size_t)n));
		if (st->io->act != NULL)
			st->io->act(st->io->arg, r, r->acts[i].kind,
			    r->acts[i].name, v);
	}
}

static enum rw_step
rw_flags_step(struct rw_state *st, const struct rw_rule *r)
{
	if ((r->flags & RW_F_BREAK) != 0) {
		if (st->io->trace != NULL)
			st->io->trace(st->io->arg, "  break: no more rules for "
			    "this request");
		return (RW_S_BREAK);
	}
	if ((r->flags & RW_F_LAST) != 0) {
		if (st->io->trace != NULL)
			st->io->trace(st->io->arg, "  last: this pass ends");
		return (RW_S_LAST);
	}
	return (RW_S_NEXT);
}

/*
 * A rule whose pattern matched: its conditions, then what it does. Not
 * inlined: its buffers stay off the stack of rules that do not match.
 */
static enum rw_step	rw_apply(struct rw_state *, const struct rw_rule *,
			    const struct rw_caps *) __attribute__((__noinline__));

static enum rw_step
rw_apply(struct rw_state *st, const struct rw_rule *r, const struct rw_caps *rc)
{
	struct rw_caps	 cc = { .n = 0 };
	char		 store[RW_COND_STORE], out[RW_URL_MAX], q[1024];
	size_t		 qpos = (size_t)-1;
	long		 n = 0;
	enum rw_step	 s;

	if (r->nconds > 0 && rw_conds_eval(r, rc, &st->sio, &cc, store) == 0) {
		if (st->io->trace != NULL)
			st->io->trace(st->io->arg, "  conditions fail: rule "
			    "skipped");
		return (RW_S_NOMATCH);
	}
	rw_do_actions(st, r, rc, &cc);
	if ((r->flags & RW_F_STATUS) != 0) {
		st->res->outcome = RW_STATUS;
		st->res->status = r->status;
		rw_fired(st->res, r);
		if (st->io->trace != NULL)
			st->io->trace(st->io->arg, "  -> status %d", r->status);
		return (RW_S_ANSWER);
	}
	if (!r->to.dash) {
		n = rw_expand(&r->to, rc, &cc, &st->sio, (r->flags &
		    RW_F_NOESCAPE) == 0, out, sizeof(out), &qpos);
		if (n < 0)
			return (rw_invalid(st, r, "result longer than",
			    "8192 bytes", 10));
		if (st->io->trace != NULL) {
			char qt[256];

			st->io->trace(st->io->arg, "  to %s -> %s%s%s",
			    rw_quote(qt, sizeof(qt), r->to.text,
			    strlen(r->to.text)), rw_quote(q, sizeof(q), out,
			    (size_t)n), r->flags_text[0] != '\0' ?
			    ", flags: " : "", r->flags_text);
		}
	}
	if ((r->flags & RW_F_PROXY) != 0)
		return (rw_do_proxy(st, r, r->to.dash ? NULL : out, (size_t)n,
		    qpos));
	if (r->to.dash) {
		if (st->io->trace != NULL)
			st->io->trace(st->io->arg, "  to -: URL unchanged");
		return (rw_flags_step(st, r));
	}
	if ((r->flags & RW_F_REDIRECT) != 0 || rw_is_absolute(out))
		return (rw_do_redirect(st, r, out, (size_t)n, qpos));
	if ((s = rw_set_url(st, r, out, (size_t)n, qpos)) != RW_S_NEXT)
		return (s);
	if (st->io->trace != NULL) {
		char qq[512];

		st->io->trace(st->io->arg, "  -> path %s, query %s",
		    rw_quote(q, sizeof(q), st->path, strlen(st->path)),
		    st->query != NULL ? rw_quote(qq, sizeof(qq), st->query,
		    strlen(st->query)) : "none");
	}
	return (rw_flags_step(st, r));
}

static void
rw_trace_match(const struct rw_state *st, const struct rw_rule *r,
    const char *subj, int m, const struct rw_caps *c)
{
	char	 line[2048], q[512];
	size_t	 o;
	int	 i, k;

	o = (size_t)snprintf(line, sizeof(line), "rule %d (%s:%d) %s against "
	    "%s %s: %s", r->index, r->file, r->line, rw_quote(q, sizeof(q),
	    r->rx->pattern, strlen(r->rx->pattern)), rw_against_names[r->against],
	    rw_quote(q + 256, sizeof(q) - 256, subj, strlen(subj)), m > 0 ?
	    "match" : m == 0 ? "no match" : "match limit hit, no match");
	for (i = 1; m > 0 && i < c->n && o < sizeof(line); i++) {
		k = snprintf(line + o, sizeof(line) - o, "%s $%d=%s", i == 1 ?
		    "," : "", i, c->ov[2 * i] == PCRE2_UNSET ? "(unset)" :
		    rw_quote(q, sizeof(q), c->s + c->ov[2 * i],
		    c->ov[2 * i + 1] - c->ov[2 * i]));
		o += k > 0 ? (size_t)k : 0;
	}
	st->io->trace(st->io->arg, "%s", line);
}

/* One rule: its match and, when it matched, rw_apply. */
static enum rw_step
rw_rule_step(struct rw_state *st, const struct rw_rule *r)
{
	struct rw_caps	 rc;
	const char	*subj;
	size_t		 len;
	int		 m;

	if ((subj = rw_subject(st, r->against, &len)) == NULL)
		return (RW_S_ANSWER);
	if (len == (size_t)-1)
		len = strlen(subj);
	m = rw_rx_match(r->rx, subj, len, st->io->match_limit, &rc);
	if (st->io->trace != NULL)
		rw_trace_match(st, r, subj, m, &rc);
	if (m < 0 && st->io->warn != NULL)
		st->io->warn(st->io->arg, "rule %d at %s:%d: pattern \"%s\" hit "
		    "the match limit: counted as no match", r->index, r->file,
		    r->line, r->rx->pattern);
	if (m <= 0)
		return (RW_S_NOMATCH);
	return (rw_apply(st, r, &rc));
}

/*
 * The common case, from the packed table alone: a path rule whose literal
 * prefix the path does not start with. Compared inline, byte by byte:
 * paths and prefixes usually differ by their second byte. A traced pass
 * still describes the rule.
 */
static inline bool
rw_pre_fails(const struct rw_pre *p, const struct rw_rule *r,
    const struct rw_state *st)
{
	const char	*s = st->path;
	size_t		 k;
	char		 a, b;

	if (st->path_len < p->len)
		goto fail;
	for (k = 0; k < p->len; k++) {
		if ((a = s[k]) == (b = p->lit[k]))
			continue;
		if (!p->nocase)
			goto fail;
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			goto fail;
	}
	return (false);
 fail:
	if (st->io->trace != NULL)
		rw_trace_match(st, r, st->path, 0, NULL);
	return (true);
}

/* A chain that fails at rule i skips the rest of it: its last rule. */
static size_t
rw_chain_end(const struct rw_ruleset *rs, size_t i)
{
	while (i + 1 < rs->n && (rs->v[i].flags & RW_F_CHAIN) != 0)
		i++;
	return (i);
}

int
rw_run(const struct rw_ruleset *rs, const struct rw_req *rq,
    const struct rw_io *io, struct pt_arena *a, struct rw_result *res)
{
	struct rw_state	st;
	enum rw_step	s = RW_S_NEXT;
	size_t		i;

	memset(res, 0, sizeof(*res));
	memset(&st, 0, sizeof(st));
	st.io = io;
	st.sio = *io;
	st.sio.arg = &st;
	st.sio.var = rw_state_var;
	st.sio.act = rw_state_act;
	st.sio.trace = io->trace != NULL ? rw_state_trace : NULL;
	st.sio.warn = io->warn != NULL ? rw_state_warn : NULL;
	st.rq = rq;
	st.a = a;
	st.path = rq->path;
	st.path_len = strlen(rq->path);
	st.res = res;
	for (i = 0; rs != NULL && i < rs->n; i++) {
		if (rs->pre != NULL && rs->pre[i].len != 0 &&
		    rw_pre_fails(&rs->pre[i], &rs->v[i], &st)) {
			if (__builtin_expect(rs->pre[i].chain, 0))
				i = rw_chain_end(rs, i);
			continue;
		}
		s = rw_rule_step(&st, &rs->v[i]);
		if (s == RW_S_ANSWER || s == RW_S_LAST || s == RW_S_BREAK)
			break;
		if (s == RW_S_NOMATCH) {
			i = rw_chain_end(rs, i);
			continue;
		}
		if (rs->v[i].skip > 0) {
			if (io->trace != NULL)
				io->trace(io->arg, "  skip: the next %d rule%s",
				    rs->v[i].skip, rs->v[i].skip == 1 ? "" :
				    "s");
			i += (size_t)rs->v[i].skip;
		}
	}
	if (s == RW_S_ANSWER) {
		if (res->outcome == RW_NONE || (res->outcome == RW_REDIRECT &&
		    res->location == NULL) || (res->outcome == RW_PROXY &&
		    res->upstream == NULL))
			return (-1);	/* out of memory on the way */
	} else if (st.changed)
		res->outcome = RW_INTERNAL;
	res->stop = res->stop || s == RW_S_BREAK;
	if (st.changed) {
		res->path = st.path;
		res->path_set = strcmp(st.path, rq->path) != 0;
		res->query = st.query;
		res->query_set = st.query_changed;
	}
	return (0);
}
