/*
 * portier --trace-request for the forward proxy: the decisions the
 * handler would make for an absolute-form or CONNECT request, printed
 * and never acted on. The target, CONNECT ports, credentials (checked
 * without the store's cache), the rule that decides, then parents or
 * direct, with the destination's addresses and the private-address and
 * loop checks on each. Nothing is sent and nothing is connected.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <portier/request.h>
#include "auth.h"
#include "core.h"
#include "forward.h"

static const char *const trace_actions[] = { "allow", "deny", "auth" };

static void
trace_fwd_answer(int status, const char *why)
{
	printf("outcome: answer %d %s (forward proxy: %s)\n", status,
	    resp_reason(status), why);
}

/* Proxy-Authorization against the file; true when there is a user. */
static bool
trace_fwd_user(struct pt_request *r, const struct conf_forward *fw,
    bool *refused)
{
	struct conf_auth	 au;
	struct pt_str		 v;
	const char		*value, *user = NULL;

	*refused = false;
	if (fw->auth == NULL || !pt_req_header(r, "Proxy-Authorization", &v)) {
		printf("forward: credentials: none%s\n", fw->auth == NULL ?
		    " asked for (no auth configured)" : "");
		return (false);
	}
	au = *fw->auth;
	au.cache_ms = 0;	/* the tracer has no store */
	if ((value = pt_strndup(r->arena, v.p, v.len)) == NULL ||
	    auth_basic_check(r, &au, value, &user) != PT_OK) {
		printf("forward: credentials: refused by %s\n", au.file);
		*refused = true;
		return (false);
	}
	r->user = user;
	printf("forward: credentials: user \"%s\" accepted\n", user);
	return (true);
}

/* The rules, as fwd_decide walks them; 0 allowed, else the answer. */
static int
trace_fwd_rules(struct pt_request *r, const struct fwd_target *t)
{
	const struct conf_forward	*fw = r->srv->forward;
	const struct fwd_rule		*rule;
	struct fwd_acl_input		 in;
	size_t				 from = 0;
	bool				 refused;

	trace_fwd_user(r, fw, &refused);
	if (refused)
		return (407);
	fwd_acl_input_of(r, t, &in);
	if ((rule = fwd_acl_first(fw->acl, fw->nacl, &in, &from)) == NULL) {
		printf("forward: rule: none matched: denied by \"default\"\n");
		return (403);
	}
	printf("forward: rule: \"%s\" at %s:%d: %s\n", rule->name,
	    rule->file != NULL ? rule->file : "?", rule->line,
	    trace_actions[rule->action]);
	if (rule->action == FWD_DENY)
		return (403);
	return (rule->action == FWD_AUTH ? 407 : 0);
}

static void
trace_fwd_addr(const struct sockaddr_storage *a, char *buf, size_t len)
{
	const void *p = a->ss_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)(const void *)a)->
	    sin6_addr : (const void *)&((const struct sockaddr_in *)
	    (const void *)a)->sin_addr;

	if (inet_ntop(a->ss_family, p, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

/*
 * Direct: the destination's addresses and what the checks say of each.
 * after_parents: only when every parent failed.
 */
static void
trace_fwd_direct(struct pt_request *r, const struct fwd_target *t,
    bool after_parents)
{
	struct sockaddr_storage	 addrs[RESOLVER_MAX_ADDRS];
	char			 text[64];
	const char		*why;
	int			 n = 0, i, ok = 0;

	printf("forward: direct to %s port %d\n", t->host, t->port);
	if (resolver_lookup(t->host, AF_UNSPEC, addrs, RESOLVER_MAX_ADDRS, &n,
	    NULL) == -1 || n == 0) {
		printf("forward: %s: %s\n", t->host, resolver_strerror(errno));
		if (after_parents)
			printf("outcome: forward through the parents, in order; "
			    "direct would fail (no address)\n");
		else
			trace_fwd_answer(errno == ETIMEDOUT ? 504 : 502,
			    "no address");
		return;
	}
	for (i = 0; i < n; i++) {
		if (addrs[i].ss_family == AF_INET)
			((struct sockaddr_in *)(void *)&addrs[i])->sin_port =
			    htons((uint16_t)t->port);
		else
			((struct sockaddr_in6 *)(void *)&addrs[i])->sin6_port =
			    htons((uint16_t)t->port);
		trace_fwd_addr(&addrs[i], text, sizeof(text));
		why = fwd_refused(r, &addrs[i]);
		printf("forward: address %s: %s%s\n", text, why != NULL ?
		    "refused by " : "may be tried", why != NULL ? why : "");
		ok += why == NULL;
	}
	if (after_parents)
		printf("outcome: forward through the parents, in order; then "
		    "%s\n", ok == 0 ? "403, every address refused" :
		    "directly");
	else if (ok == 0)
		trace_fwd_answer(403, "every address refused (block page)");
	else
		printf("outcome: forward %s %s:%d directly\n", t->connect ?
		    "a CONNECT tunnel to" : "to", t->host, t->port);
}

void
trace_forward(struct pt_request *r)
{
	const struct conf_forward	*fw = r->srv->forward;
	struct fwd_target		 t;
	size_t				 i;
	int				 rc;

	if ((rc = fwd_target_parse(r, &t)) != 0) {
		trace_fwd_answer(rc, "not a target it relays");
		return;
	}
	printf("forward: target %s port %d%s\n", t.host, t.port, t.connect ?
	    " (CONNECT)" : "");
	if (t.connect && !fwd_ports_allowed(fw, t.port)) {
		printf("forward: port %d is not in connect_ports\n", t.port);
		trace_fwd_answer(403, "denied by \"connect_ports\" (block page)");
		return;
	}
	if ((rc = trace_fwd_rules(r, &t)) != 0) {
		trace_fwd_answer(rc, rc == 407 ? "credentials needed "
		    "(Proxy-Authenticate)" : "denied (block page)");
		return;
	}
	if (fwd_via_parents(fw, &t)) {
		for (i = 0; i < fw->nparents; i++)
			printf("forward: parent %zu: %s\n", i + 1,
			    fw->parents[i].address);
		if (fw->never_direct) {
			printf("outcome: forward through the parents, in "
			    "order (never_direct: no direct fallback)\n");
			return;
		}
		printf("forward: then direct when every parent fails\n");
	}
	trace_fwd_direct(r, &t, fwd_via_parents(fw, &t));
}
