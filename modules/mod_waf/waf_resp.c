/*
 * mod_waf's response phase: a response filter nearest the origin (before
 * mod_cache's, so a blocked response is never stored) scans the status
 * and every response field with the rules on resp_status and
 * resp_headers. Its score is the response's own, against the same
 * threshold; a blocked response is replaced, head and body, by the WAF's
 * error before anything reaches the client. The body is not inspected.
 */
#define PT_LOG_TAG	"waf"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <portier/hooks.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>

#include "waf.h"

PT_API extern const struct pt_module portier_module;

/* The request phase already answered this request (blocked or 413). */
static char waf_answered;

void
waf_mark_answered(struct pt_request *r)
{
	(void)pt_req_set_module_ctx(r, &portier_module, &waf_answered);
}

static bool
has_resp_rules(const struct waf_ruleset *rs)
{
	size_t i;

	for (i = 0; i < rs->ng; i++)
		if (rs->g[i].targets & (WAF_T_RESP_STATUS | WAF_T_RESP_HEADERS))
			return (true);
	return (false);
}

static void
waf_resp_scan(struct pt_request *r, struct waf_tx *tx)
{
	const char	*name, *value;
	char		 st[16];
	size_t		 i;
	int		 n;

	n = snprintf(st, sizeof(st), "%d", pt_resp_status(r));
	waf_tx_scan(tx, WAF_T_RESP_STATUS, "resp_status", NULL, 0, st,
	    (size_t)n);
	for (i = 0; pt_resp_header_at(r, i, &name, &value); i++)
		waf_tx_scan(tx, WAF_T_RESP_HEADERS, "resp_headers", name,
		    strlen(name), value, strlen(value));
}

/* The WAF's error in place of the response: no field of it remains. */
static void
waf_resp_replace(struct pt_request *r, int status)
{
	static const char	 body[] = "Blocked by the web application "
				    "firewall.\n";
	const char		*name, *value;

	/*
	 * The field's own name, not a copy: a copy cut short would match
	 * nothing and leave the field first for ever. Removing moves only
	 * the fields, so the name stays valid, and each pass removes one.
	 */
	while (pt_resp_header_at(r, 0, &name, &value))
		(void)pt_resp_header_remove(r, name);
	(void)pt_resp_set_status(r, status);
	(void)pt_resp_header_set(r, "Content-Type", "text/plain");
	(void)pt_resp_header_set(r, "Cache-Control", "no-store");
	(void)pt_resp_replace_body(r, body, sizeof(body) - 1);
}

static int
waf_resp_head(struct pt_filter *f, struct pt_request *r)
{
	const struct waf_conf	*wc = pt_module_conf(r, &portier_module);
	struct waf_tx		 tx;
	const struct waf_excl	*excl;
	size_t			 nexcl;
	const char		*action;
	bool			 blocked;

	(void)f;
	if (!wc->enable || wc->rules == NULL || !has_resp_rules(wc->rules) ||
	    pt_req_module_ctx(r, &portier_module) == &waf_answered)
		return (PT_DECLINED);
	excl = waf_excl_for(r, wc, &nexcl);
	if (waf_tx_init(&tx, wc->rules, (int)wc->paranoia, excl, nexcl) == -1)
		return (PT_DECLINED);
	waf_resp_scan(r, &tx);
	blocked = tx.block_now || tx.score >= wc->threshold;
	action = !blocked ? "scored" : wc->mode == WAF_MODE_DETECT ?
	    "detected" : "blocked";
	if (tx.score > 0 && (blocked || wc->audit == WAF_AUDIT_SCORED)) {
		waf_log(r, &tx, "response", action);
		if (wc->audit != WAF_AUDIT_OFF)
			waf_audit_write(r, &tx, "response", action);
	}
	waf_tx_free(&tx);
	if (blocked && wc->mode == WAF_MODE_BLOCK)
		waf_resp_replace(r, (int)wc->status);
	return (PT_DECLINED);
}

const struct pt_filter_def waf_resp_filter = {
	.name = "waf",
	.head = waf_resp_head,
};
