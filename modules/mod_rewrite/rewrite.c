/*
 * mod_rewrite: URL rewriting with PCRE2 rules, conditions, flags and maps,
 * per server and per route, in the translate hook. This file is the glue:
 * it tells translate's passes apart, hands the request to the engine
 * (rewrite_run.c) through struct rw_io, and applies what comes back
 * (a new path and query, a redirect, a status, a proxy target). The
 * directives are in rewrite_conf.c.
 */
#define PT_LOG_TAG	"rewrite"

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <portier/arena.h>
#include <portier/hooks.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>
#include "rewrite.h"

PT_API extern const struct pt_module portier_module;

/* env=NAME:VALUE: variables of this request, read as %{env.NAME}. */
struct rw_env {
	const char	*name;
	const char	*value;
	struct rw_env	*next;
};

/* Per request, made when first needed. */
struct rw_ctx {
	const struct rw_ruleset	*server_rules;	/* what the server pass ran */
	int			 passes;	/* route passes that re-routed */
	bool			 ended;		/* break or proxy: no more rules */
	struct rw_env		*env;
	const struct rw_rule	*trail[RW_TRAIL];	/* rules that fired */
	size_t			 ntrail;
};

/* What the engine's callbacks need: the io's arg. */
struct rw_call {
	struct pt_request	*r;
	struct rw_ctx		*x;	/* NULL until needed */
};

static struct rw_ctx *
rw_ctx_get(struct pt_request *r)
{
	struct rw_ctx *x = pt_req_module_ctx(r, &portier_module);

	if (x != NULL)
		return (x);
	if ((x = pt_calloc(pt_req_arena(r), 1, sizeof(*x))) == NULL ||
	    pt_req_set_module_ctx(r, &portier_module, x) != PT_OK)
		return (NULL);
	return (x);
}

/* %{env.NAME} from this module; anything else from the core. */
static const char *
rw_var(void *arg, const char *name, size_t len, size_t *vlen)
{
	struct rw_call		*c = arg;
	const struct rw_env	*e;
	char			 tmpl[256];
	const char		*v;

	if (len > 4 && strncasecmp(name, "env.", 4) == 0) {
		for (e = c->x != NULL ? c->x->env : NULL; e != NULL; e = e->next)
			if (strlen(e->name) == len - 4 &&
			    strncmp(e->name, name + 4, len - 4) == 0) {
				*vlen = strlen(e->value);
				return (e->value);
			}
		return (NULL);
	}
	if (len + 4 > sizeof(tmpl))
		return (NULL);
	snprintf(tmpl, sizeof(tmpl), "%%{%.*s}", (int)len, name);
	if ((v = pt_req_expand(c->r, tmpl)) == NULL)
		return (NULL);
	*vlen = strlen(v);
	return (v);
}

static void
rw_vlog(const struct rw_call *c, int level, const char *fmt, va_list ap)
{
	char line[1536];

	vsnprintf(line, sizeof(line), fmt, ap);
	PT_RLOG(c->r, level, "%s", line);
}

static void
rw_warn(void *arg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rw_vlog(arg, PT_LOG_WARN, fmt, ap);
	va_end(ap);
}

/* Steps of a traced request: the tracer's output or the error log. */
static void
rw_trace(void *arg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rw_vlog(arg, PT_LOG_TRACE, fmt, ap);
	va_end(ap);
}

/* A value for a header field: nothing that could end the line. */
static bool
rw_field_value_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return (false);
	return (true);
}

static void
rw_act_env(struct rw_call *c, const char *name, const char *value)
{
	struct pt_arena	*a = pt_req_arena(c->r);
	struct rw_env	*e;

	if (c->x == NULL && (c->x = rw_ctx_get(c->r)) == NULL)
		return;
	for (e = c->x->env; e != NULL; e = e->next)
		if (strcmp(e->name, name) == 0)
			break;
	if (e == NULL) {
		if ((e = pt_calloc(a, 1, sizeof(*e))) == NULL)
			return;
		e->name = name;		/* the rule's: lives in the conf */
		e->next = c->x->env;
		c->x->env = e;
	}
	e->value = pt_strdup(a, value);
	if (e->value == NULL)
		e->value = "";
}

/* env=, cookie=, header= of a rule that applied. */
static void
rw_act(void *arg, const struct rw_rule *rule, enum rw_act_kind kind,
    const char *name, const char *value)
{
	struct rw_call	*c = arg;
	const char	*v;
	int		 rc;

	if (kind == RW_ACT_ENV) {
		rw_act_env(c, name, value);
		return;
	}
	/* CR, LF or NUL from a capture never reaches a header. */
	if (!rw_field_value_ok(value)) {
		PT_RLOG(c->r, PT_LOG_WARN, "rule %d at %s:%d: %s %s: the value "
		    "has a control character: not set", rule->index,
		    rule->file, rule->line, kind == RW_ACT_COOKIE ? "cookie" :
		    "header", name);
		return;
	}
	if (kind == RW_ACT_COOKIE) {
		v = pt_printf(pt_req_arena(c->r), "%s=%s%s", name, value,
		    strcasestr(value, "path=") != NULL ? "" : "; Path=/");
		rc = v != NULL ? pt_resp_header_add(c->r, "Set-Cookie", v) :
		    PT_ERROR;
	} else
		rc = pt_req_header_set(c->r, name, value);
	if (rc != PT_OK)
		PT_RLOG(c->r, PT_LOG_WARN, "rule %d at %s:%d: %s %s: not set",
		    rule->index, rule->file, rule->line, kind == RW_ACT_COOKIE ?
		    "cookie" : "header", name);
}

static void
rw_trail_add(struct rw_ctx *x, const struct rw_result *res)
{
	size_t i;

	for (i = 0; i < res->nfired; i++) {
		if (x->ntrail == RW_TRAIL) {
			memmove(x->trail, x->trail + 1,
			    (RW_TRAIL - 1) * sizeof(x->trail[0]));
			x->ntrail--;
		}
		x->trail[x->ntrail++] = res->fired[i];
	}
}

/* The loop: 500, and a line naming the rules that kept re-routing. */
static int
rw_loop(struct pt_request *r, const struct rw_conf *rc, struct rw_ctx *x)
{
	char	names[1024];
	size_t	i, o = 0;
	int	k;

	names[0] = '\0';
	for (i = 0; i < x->ntrail && o < sizeof(names); i++) {
		k = snprintf(names + o, sizeof(names) - o, "%srule %d at %s:%d "
		    "\"%s\"", i > 0 ? ", " : "", x->trail[i]->index,
		    x->trail[i]->file, x->trail[i]->line,
		    x->trail[i]->rx->pattern);
		o += k > 0 ? (size_t)k : 0;
	}
	PT_RLOG(r, PT_LOG_ERR, "rewrite loop: the rules changed the path in "
	    "%d passes (rewrite.max_passes is %lld): answering 500; rules "
	    "applied: %s", x->passes + 1, rc->max_passes, names);
	return (500);
}

/* A pass whose rules changed the URL: the request follows them. */
static int
rw_apply_url(struct pt_request *r, const struct rw_result *res)
{
	if (res->path_set && pt_req_set_path(r, res->path) != PT_OK)
		return (500);
	if (res->query_set && pt_req_set_query(r, res->query) != PT_OK)
		return (500);
	return (PT_OK);
}

/*
 * An ad-hoc upstream from a URL's authority: host, [v6] or either with
 * ":port". No userinfo: "user@host" is refused.
 */
static int
rw_proxy_addr(struct pt_request *r, const char *auth, bool tls)
{
	char		 host[256];
	const char	*end, *colon;
	size_t		 hlen;
	long		 port = tls ? 443 : 80;
	char		*e;

	if (auth[0] == '[') {
		if ((end = strchr(auth, ']')) == NULL)
			return (PT_ERROR);
		auth++;
		colon = end[1] == ':' ? end + 1 : end[1] == '\0' ? NULL : auth;
	} else
		colon = end = strchr(auth, ':') != NULL ? strchr(auth, ':') :
		    auth + strlen(auth);
	if (colon == auth)
		return (PT_ERROR);	/* something after "]" */
	if (colon != NULL && *colon == ':') {
		port = strtol(colon + 1, &e, 10);
		if (e == colon + 1 || *e != '\0')
			return (PT_ERROR);
	}
	if ((hlen = (size_t)(end - auth)) == 0 || hlen >= sizeof(host))
		return (PT_ERROR);
	memcpy(host, auth, hlen);
	host[hlen] = '\0';
	return (pt_req_set_upstream_addr(r, host, port < 1 || port > 65535 ?
	    0 : (int)port, tls));
}

/*
 * proxy: to the pool named by proxy=NAME or by the URL's host; a URL
 * whose authority names no pool is an ad-hoc upstream.
 */
static int
rw_proxy_to(struct pt_request *r, const struct rw_result *res)
{
	if (pt_req_set_upstream(r, res->upstream) == PT_OK)
		return (PT_OK);
	if (!res->upstream_url) {
		PT_RLOG(r, PT_LOG_ERR, "proxy to \"%s\": no upstream of that "
		    "name: answering 500", res->upstream);
		return (PT_ERROR);
	}
	if (rw_proxy_addr(r, res->upstream, res->upstream_tls) != PT_OK) {
		PT_RLOG(r, PT_LOG_ERR, "proxy to %s://%s: not a host[:port]: "
		    "answering 500", res->upstream_tls ? "https" : "http",
		    res->upstream);
		return (PT_ERROR);
	}
	if (pt_req_tracing(r))
		PT_RLOG(r, PT_LOG_TRACE, "proxy: no pool named \"%s\": an "
		    "ad-hoc upstream", res->upstream);
	return (PT_OK);
}

static int
rw_apply(struct pt_request *r, const struct rw_conf *rc, struct rw_call *c,
    const struct rw_result *res, bool route_pass)
{
	if (res->nfired > 0 && (c->x != NULL || (c->x = rw_ctx_get(r)) != NULL))
		rw_trail_add(c->x, res);
	switch (res->outcome) {
	case RW_NONE:
		return (PT_DECLINED);
	case RW_ERROR:
		return (500);
	case RW_STATUS:
		/* 2xx and 3xx are no hook result: the core's answer API. */
		if (res->status >= 400)
			return (res->status);
		return (pt_req_answer(r, res->status, NULL, NULL, 0) ==
		    PT_ANSWERED ? PT_ANSWERED : 500);
	case RW_REDIRECT:
		if (pt_resp_header_set(r, "Location", res->location) != PT_OK)
			return (500);
		return (res->status);
	case RW_PROXY:
		if (rw_proxy_to(r, res) != PT_OK)
			return (500);
		if (c->x != NULL)
			c->x->ended = true;
		return (rw_apply_url(r, res));
	case RW_INTERNAL:
		break;
	}
	if (c->x == NULL && (c->x = rw_ctx_get(r)) == NULL)
		return (500);
	if (res->stop)
		c->x->ended = true;
	if (route_pass && res->path_set) {
		/* Another route pass would follow: is there room for it? */
		if (c->x->passes + 1 >= rc->max_passes)
			return (rw_loop(r, rc, c->x));
		c->x->passes++;
	}
	return (rw_apply_url(r, res));
}

static int
rw_pass(struct pt_request *r, const struct rw_conf *rc, struct rw_ctx *x,
    const char *route)
{
	struct rw_call		 call = { r, x };
	struct rw_io		 io;
	struct rw_req		 rq;
	struct rw_result	 res;

	memset(&io, 0, sizeof(io));
	memset(&rq, 0, sizeof(rq));
	io.arg = &call;
	io.var = rw_var;
	io.act = rw_act;
	io.warn = rw_warn;
	io.root = pt_req_root(r);
	io.match_limit = (uint32_t)rc->match_limit;
	rq.path = pt_req_path(r);
	if (pt_req_tracing(r)) {
		char q[512];

		io.trace = rw_trace;
		PT_RLOG(r, PT_LOG_TRACE, "%s rules (%zu) on path %s",
		    route == NULL ? "server" : "route", rc->rules->n,
		    rw_quote(q, sizeof(q), rq.path, strlen(rq.path)));
	}
	if (rw_run(rc->rules, &rq, &io, pt_req_arena(r), &res) != 0)
		return (500);
	return (rw_apply(r, rc, &call, &res, route != NULL));
}

/*
 * Translate runs once with no route (the server's rules), then once per
 * route the request is routed to. A route that does not set rules holds
 * its server's set (inheritance): that set ran in the first pass already.
 */
static int
rw_translate(struct pt_request *r)
{
	const struct rw_conf	*rc = pt_module_conf(r, &portier_module);
	struct rw_ctx		*x = pt_req_module_ctx(r, &portier_module);
	const char		*route = pt_req_route(r);

	if (rc == NULL || rc->rules == NULL || pt_req_path(r) == NULL)
		return (PT_DECLINED);
	if (x != NULL && x->ended)
		return (PT_DECLINED);
	if (route == NULL) {
		if ((x = rw_ctx_get(r)) == NULL)
			return (500);
		x->server_rules = rc->rules;
	} else if (x != NULL && x->server_rules == rc->rules)
		return (PT_DECLINED);
	if (rc->rules->n == 0)
		return (PT_DECLINED);
	return (rw_pass(r, rc, x, route));
}

static int
rw_child_init(const struct pt_conf *cf)
{
	(void)cf;
	return (rw_engine_init() == 0 ? PT_OK : PT_ERROR);
}

static int
rw_register(struct pt_hooks *h)
{
	/* Early: the path is settled before other translate functions. */
	pt_hook_translate(h, rw_translate, PT_ORDER_EARLY);
	/* Per-process match state, made before the first request. */
	pt_hook_child_init(h, rw_child_init, PT_ORDER_MIDDLE);
	return (0);
}

PT_API const struct pt_module portier_module = {
	PT_MODULE_HEADER,
	.name = "rewrite",
	.version = "1.0",
	.directives = rw_directives,
	.conf_size = sizeof(struct rw_conf),
	.register_hooks = rw_register,
};
