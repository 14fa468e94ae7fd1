/*
 * mod_waf: inspects each request in the access hook (method, path, query
 * and its arguments, every request field, cookies, client address and the body
 * up to body_limit, peeked so the backend still gets it whole), adds the
 * severities of the rules that match, and blocks when the score reaches
 * the threshold (or logs only, in detect mode); waf_resp.c does the same
 * for the response head. Rules, scanning and
 * parsers live in the waf_*.c files, which know nothing of the server.
 */
#define PT_LOG_TAG	"waf"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <portier/arena.h>
#include <portier/hooks.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>

#include "waf.h"

PT_API extern const struct pt_module portier_module;

static void
waf_kv(void *arg, unsigned target, const char *name, size_t nlen,
    const char *val, size_t vlen)
{
	struct waf_tx *tx = arg;

	if (target == WAF_T_ARG_NAMES) {
		waf_tx_scan(tx, WAF_T_ARG_NAMES, "arg_names", name, nlen, name,
		    nlen);
		return;
	}
	waf_tx_scan(tx, target, target == WAF_T_FILES ? "files" : "args",
	    name, nlen, val, vlen);
}

/* "a=1; b=2" */
static void
waf_cookies(struct waf_tx *tx, const char *s, size_t len)
{
	const char	*p = s, *end = s + len, *semi, *eq;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == ';'))
			p++;
		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		if ((eq = memchr(p, '=', (size_t)(semi - p))) == NULL)
			eq = semi;
		if (semi > p)
			waf_tx_scan(tx, WAF_T_COOKIES, "cookies", p,
			    (size_t)(eq - p), eq < semi ? eq + 1 : semi,
			    eq < semi ? (size_t)(semi - eq - 1) : 0);
		p = semi + 1;
	}
}

static bool
name_is(struct pt_str n, const char *s, size_t len)
{
	return (n.len == len && strncasecmp(n.p, s, len) == 0);
}

/* One request field: its name, then its value (cookies one by one). */
static void
waf_scan_field(struct waf_tx *tx, struct pt_str n, struct pt_str v)
{
	waf_tx_scan(tx, WAF_T_HEADER_NAMES, "header_names", n.p, n.len, n.p,
	    n.len);
	if (name_is(n, "Cookie", 6)) {
		waf_cookies(tx, v.p, v.len);
		return;
	}
	/* User-Agent: one scan for the rules on either target */
	waf_tx_scan(tx, name_is(n, "User-Agent", 10) ? WAF_T_HEADERS |
	    WAF_T_UA : WAF_T_HEADERS, "headers", n.p, n.len, v.p, v.len);
}

/* Every part of the request head, each request field included. */
static void
waf_scan_head(struct pt_request *r, struct waf_tx *tx)
{
	struct pt_str	 m = pt_req_method(r), t = pt_req_target(r), q, v, n;
	const char	*qm, *ca = pt_req_client_addr(r);
	size_t		 i, plen;

	waf_tx_scan(tx, WAF_T_METHOD, "method", NULL, 0, m.p, m.len);
	qm = memchr(t.p, '?', t.len);
	plen = qm != NULL ? (size_t)(qm - t.p) : t.len;
	waf_tx_scan(tx, WAF_T_PATH, "path", NULL, 0, t.p, plen);
	q = pt_req_query(r);
	if (q.len > 0) {
		waf_tx_scan(tx, WAF_T_QUERY, "query", NULL, 0, q.p, q.len);
		if (!waf_parse_urlencoded(q.p, q.len, waf_kv, tx))
			waf_tx_violation(tx, 900101, 2, "invalid percent "
			    "encoding in the query", q.p, q.len);
	}
	waf_tx_scan(tx, WAF_T_CLIENT, "client", NULL, 0, ca, strlen(ca));
	for (i = 0; pt_req_header_at(r, i, &n, &v); i++)
		waf_scan_field(tx, n, v);
}

static bool
ct_is(const struct pt_str *ct, const char *type)
{
	size_t n = strlen(type);

	return (ct->len >= n && strncasecmp(ct->p, type, n) == 0);
}

/* The boundary parameter of a multipart Content-Type. */
static bool
ct_boundary(const struct pt_str *ct, const char **b, size_t *blen)
{
	const char *p = memmem(ct->p, ct->len, "boundary=", 9), *e;

	if (p == NULL)
		return (false);
	p += 9;
	e = ct->p + ct->len;
	if (p < e && *p == '"') {
		const char *q;

		p++;
		q = memchr(p, '"', (size_t)(e - p));

		e = q != NULL ? q : e;
	} else {
		const char *q = memchr(p, ';', (size_t)(e - p));

		e = q != NULL ? q : e;
	}
	*b = p;
	*blen = (size_t)(e - p);
	return (*blen > 0);
}

/* The body: 0 to go on, or a status (413). */
static int
waf_scan_body(struct pt_request *r, const struct waf_conf *wc,
    struct waf_tx *tx)
{
	struct pt_str	 body, ct = { "", 0 };
	const char	*b;
	size_t		 blen;
	bool		 ok = true, partial;

	if (wc->body_limit == 0 || !pt_req_has_body(r))
		return (0);
	if (pt_req_body_peek(r, (size_t)wc->body_limit + 1, &body) != PT_OK) {
		waf_tx_violation(tx, 900104, 5, "the body could not be read",
		    "", 0);
		return (0);
	}
	partial = body.len > (size_t)wc->body_limit;
	if (partial) {
		if (wc->body_over == WAF_OVER_REJECT)
			return (413);
		body.len = (size_t)wc->body_limit;
	}
	(void)pt_req_header(r, "Content-Type", &ct);
	if (ct_is(&ct, "application/x-www-form-urlencoded"))
		ok = waf_parse_urlencoded(body.p, body.len, waf_kv, tx);
	else if (ct_is(&ct, "application/json") || (ct.len > 5 &&
	    memmem(ct.p, ct.len, "+json", 5) != NULL))
		ok = waf_parse_json(body.p, body.len, waf_kv, tx);
	else if (ct_is(&ct, "multipart/form-data"))
		ok = ct_boundary(&ct, &b, &blen) &&
		    waf_parse_multipart(body.p, body.len, b, blen, waf_kv, tx);
	else
		waf_tx_scan(tx, WAF_T_BODY, "body", NULL, 0, body.p, body.len);
	/* A cut body rarely parses: scan it as text instead. */
	if (!ok && (partial || wc->body_error == WAF_BERR_PASS))
		waf_tx_scan(tx, WAF_T_BODY, "body", NULL, 0, body.p, body.len);
	else if (!ok) {
		waf_tx_scan(tx, WAF_T_BODY, "body", NULL, 0, body.p, body.len);
		waf_tx_violation(tx, 900100, 5, "the body does not parse as "
		    "its Content-Type says", ct.p, ct.len);
		if (wc->body_error == WAF_BERR_BLOCK && wc->paranoia >= 1)
			tx->block_now = true;
	}
	return (0);
}

void
waf_log(struct pt_request *r, const struct waf_tx *tx, const char *phase,
    const char *action)
{
	char	ids[256];
	size_t	i, n = 0;

	ids[0] = '\0';
	for (i = 0; i < tx->nhits && n < sizeof(ids) - 16; i++)
		n += (size_t)snprintf(ids + n, sizeof(ids) - n, "%s%u",
		    i > 0 ? "," : "", tx->hits[i].rule->id);
	PT_RLOG(r, PT_LOG_WARN, "%s%s: score %d, rules %s", action,
	    strcmp(phase, "response") == 0 ? " (response)" : "", tx->score, ids);
}

static int
waf_access(struct pt_request *r)
{
	const struct waf_conf	*wc = pt_module_conf(r, &portier_module);
	struct waf_tx		 tx;
	const struct waf_excl	*excl;
	size_t			 nexcl;
	const char		*action;
	int			 rc;
	bool			 blocked;

	if (!wc->enable || wc->rules == NULL)
		return (PT_DECLINED);
	excl = waf_excl_for(r, wc, &nexcl);
	if (waf_tx_init(&tx, wc->rules, (int)wc->paranoia, excl, nexcl) == -1)
		return (500);
	waf_scan_head(r, &tx);
	if ((rc = waf_scan_body(r, wc, &tx)) != 0) {
		waf_tx_free(&tx);
		waf_mark_answered(r);
		PT_RLOG(r, PT_LOG_WARN, "body over body_limit: refused");
		return (rc);
	}
	blocked = tx.block_now || tx.score >= wc->threshold;
	action = !blocked ? "scored" : wc->mode == WAF_MODE_DETECT ?
	    "detected" : "blocked";
	if (tx.score > 0 && (blocked || wc->audit == WAF_AUDIT_SCORED)) {
		waf_log(r, &tx, "request", action);
		if (wc->audit != WAF_AUDIT_OFF)
			waf_audit_write(r, &tx, "request", action);
	}
	waf_tx_free(&tx);
	if (blocked && wc->mode == WAF_MODE_BLOCK) {
		waf_mark_answered(r);
		return ((int)wc->status);
	}
	return (PT_OK);
}

static int
waf_post_config(struct pt_conf *cf)
{
	const struct waf_conf *wc = pt_module_conf_global(cf, &portier_module);

	return (waf_audit_open(wc->audit_log) == 0 ? PT_OK : PT_ERROR);
}

static int
waf_register(struct pt_hooks *h)
{
	pt_hook_post_config(h, waf_post_config, PT_ORDER_MIDDLE);
	/* After mod_limits (FIRST): refused floods cost no scan. */
	pt_hook_access(h, waf_access, PT_ORDER_EARLY);
	/* Nearest the origin, before mod_cache: blocked responses go unstored. */
	pt_hook_response_filter(h, &waf_resp_filter, PT_ORDER_FIRST - 1);
	return (0);
}

PT_API const struct pt_module portier_module = {
	PT_MODULE_HEADER,
	.name = "waf",
	.version = "1.0",
	.directives = waf_directives,
	.conf_size = sizeof(struct waf_conf),
	.register_hooks = waf_register,
};
