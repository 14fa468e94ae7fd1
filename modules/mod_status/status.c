/*
 * mod_status: a status page per route (HTML, JSON, and /metrics in the
 * Prometheus format) behind an allow list, counters kept in shared memory
 * by every worker from the log hook, and runtime control of upstream
 * servers (drain, disable, enable) by POST here or over the control
 * socket (status_control.c, in the helper process).
 */
#define PT_LOG_TAG	"status"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <portier/arena.h>
#include <portier/hooks.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>
#include <portier/shm.h>
#include <portier/status.h>

#include "status.h"

PT_API extern const struct pt_module portier_module;

/*
 * Per worker, set in child_init: the configuration it serves and where
 * it counts. A worker serves one configuration for its whole life.
 */
static const struct pt_conf	*st_cf;
static const void		*st_seg;
static struct st_writer		 st_w;
static bool			 st_counting;

/* The layout's hash: slots, servers and routes by label, in order. */
static uint64_t
st_layout_of(const struct pt_conf *cf, struct st_layout *l, size_t *nroutes)
{
	uint64_t	h = st_hash("mod_status counters 1", 21, 0);
	const char	*s;
	size_t		 i, j;

	l->nslots = pt_status_nslots(cf);
	l->nservers = pt_conf_nservers(cf);
	l->nroutes = nroutes;
	h = st_hash(&l->nslots, sizeof(l->nslots), h);
	for (i = 0; i < l->nservers; i++) {
		s = pt_conf_server_label(cf, i);
		h = st_hash(s, strlen(s) + 1, h);
		nroutes[i] = pt_conf_nroutes(cf, i);
		h = st_hash(&nroutes[i], sizeof(nroutes[i]), h);
		for (j = 0; j < nroutes[i]; j++) {
			s = pt_conf_route_label(cf, i, j);
			h = st_hash(s, strlen(s) + 1, h);
		}
	}
	return (l->hash = h);
}

/*
 * Master, at every load: the counters segment for this layout. The same
 * layout finds the same segment again (a reload keeps the counts); any
 * change of servers, routes or slots gets a fresh, zeroed one.
 */
static int
st_post_config(struct pt_conf *cf)
{
	struct st_conf		*g;
	struct st_layout	 l;
	size_t			*nroutes;
	char			 name[64];
	void			*seg;
	bool			 fresh;

	/* The core gives the block const; it is ours until the load ends. */
	g = (struct st_conf *)(uintptr_t)pt_module_conf_global(cf,
	    &portier_module);
	if ((nroutes = calloc(pt_conf_nservers(cf) + 1, sizeof(*nroutes))) ==
	    NULL)
		return (PT_ERROR);
	snprintf(name, sizeof(name), "counters@%016llx",
	    (unsigned long long)st_layout_of(cf, &l, nroutes));
	seg = pt_shm_segment("status", name, st_seg_size(&l), &fresh);
	if (seg == NULL)
		PT_LOG_ERRNO(PT_LOG_ERR, "counters: shared memory (%zu bytes)",
		    st_seg_size(&l));
	else if (fresh)
		st_seg_init(seg, &l);
	else if (!st_seg_matches(seg, &l)) {
		PT_LOG(PT_LOG_ERR, "counters: shared memory has another "
		    "layout");
		seg = NULL;
	}
	free(nroutes);
	if (seg == NULL)
		return (PT_ERROR);
	g->seg = seg;
	return (PT_OK);
}

static int
st_child_init(const struct pt_conf *cf)
{
	const struct st_conf *g = pt_module_conf_global(cf, &portier_module);

	st_cf = cf;
	st_seg = g->seg;
	if (st_seg != NULL) {
		st_writer_init(g->seg, pt_status_self_slot(), &st_w);
		st_counting = true;
	}
	return (PT_OK);
}

/* Every request, once: a few plain stores into this worker's own area. */
static int
st_log(struct pt_request *r)
{
	struct pt_req_stats s;

	if (!st_counting)
		return (PT_OK);
	pt_req_stats(r, &s);
	st_count(&st_w, s.server, s.route, s.status, s.bytes_in, s.bytes_out,
	    s.duration_us);
	return (PT_OK);
}

static long long
st_periodic(const struct pt_conf *cf, long long now)
{
	return (st_control_step(cf, now));
}

/* --- the handler -------------------------------------------------------- */

static bool
st_method_is(const struct pt_request *r, const char *m)
{
	struct pt_str s = pt_req_method(r);

	return (s.len == strlen(m) && memcmp(s.p, m, s.len) == 0);
}

/* What follows the route's prefix, without slashes around it: "" is the
 * page, "metrics" the metrics. */
static const char *
st_subpath(struct pt_request *r)
{
	const char	*path = pt_req_path(r), *route = pt_req_route(r);
	const char	*rest = path, *slash;
	size_t		 n;
	char		*out;

	if (path == NULL)
		return ("");
	if (route != NULL && route[0] == '/' &&
	    strncmp(path, route, strlen(route)) == 0)
		rest = path + strlen(route);
	else if ((slash = strrchr(path, '/')) != NULL)
		rest = slash;	/* exact or regex route: last segment */
	while (*rest == '/')
		rest++;
	n = strlen(rest);
	while (n > 0 && rest[n - 1] == '/')
		n--;
	out = pt_strndup(pt_req_arena(r), rest, n);
	return (out != NULL ? out : "");
}

/*
 * The link from the page to the metrics, relative to the page's own URL:
 * "metrics" under ".../status/", "status/metrics" under ".../status".
 */
static const char *
st_metrics_href(struct pt_request *r)
{
	const char	*path = pt_req_path(r), *last;
	char		*href;

	if (path == NULL || (last = strrchr(path, '/')) == NULL ||
	    last[1] == '\0')
		return ("metrics");
	href = pt_printf(pt_req_arena(r), "%s/metrics", last + 1);
	return (href != NULL ? href : "metrics");
}

static bool
st_wants_json(const struct pt_request *r)
{
	struct pt_str	q = pt_req_query(r), accept;
	char		v[8];

	if (st_query_get(q.p, q.len, "json", v, sizeof(v)) == 1 ||
	    (st_query_get(q.p, q.len, "format", v, sizeof(v)) == 1 &&
	    strcmp(v, "json") == 0))
		return (true);
	return (pt_req_header(r, "Accept", &accept) &&
	    memmem(accept.p, accept.len, "application/json", 16) != NULL);
}

static int
st_send(struct pt_request *r, int status, const char *type,
    const struct st_buf *b)
{
	if (b->oom)
		return (500);
	pt_resp_header_set(r, "Cache-Control", "no-store");
	return (pt_resp_send(r, status, type, b->p != NULL ? b->p : "",
	    b->len) == PT_OK ? PT_OK : PT_ERROR);
}

static int
st_text(struct pt_request *r, int status, const char *text)
{
	struct st_buf b;

	st_buf_init(&b, pt_req_arena(r));
	st_puts(&b, text);
	return (st_send(r, status, "text/plain; charset=utf-8", &b));
}

static int
st_page(struct pt_request *r, const char *sub)
{
	struct st_view	*v;
	struct st_buf	 b;

	if ((v = st_view_take(pt_req_arena(r), st_cf, st_seg)) == NULL)
		return (500);
	st_buf_init(&b, pt_req_arena(r));
	if (strcmp(sub, "metrics") == 0) {
		st_render_prom(&b, v);
		return (st_send(r, 200, "text/plain; version=0.0.4; "
		    "charset=utf-8", &b));
	}
	v->metrics_href = st_metrics_href(r);
	if (st_wants_json(r)) {
		st_render_json(&b, v);
		return (st_send(r, 200, "application/json", &b));
	}
	st_render_html(&b, v);
	return (st_send(r, 200, "text/html; charset=utf-8", &b));
}

/*
 * A browser sends Origin with a cross-site POST: one from another site
 * must not drain a server through an administrator's browser (CSRF).
 * Tools (curl) send none.
 */
static bool
st_same_origin(const struct pt_request *r)
{
	struct pt_str	o, host;
	const char	*p;
	size_t		 n;

	if (!pt_req_header(r, "Origin", &o))
		return (true);
	host = pt_req_host(r);
	p = memchr(o.p, ':', o.len);
	if (p == NULL || (size_t)(o.p + o.len - p) < 3 || p[1] != '/' ||
	    p[2] != '/')
		return (false);
	p += 3;
	n = (size_t)(o.p + o.len - p);
	return (n == host.len && n > 0 && strncasecmp(p, host.p, n) == 0);
}

/* POST ?upstream=NAME&server=ADDRESS&action=drain|disable|enable */
static int
st_post(struct pt_request *r, const struct st_conf *sc)
{
	struct pt_str	 q = pt_req_query(r);
	char		 pool[128], server[256], act[16];
	struct st_buf	 b;
	int		 admin;

	if (!sc->control || !st_same_origin(r)) {
		PT_RLOG(r, PT_LOG_WARN, "status: control refused (%s)",
		    !sc->control ? "status.control is false" :
		    "Origin of another site");
		return (403);
	}
	if (st_query_get(q.p, q.len, "upstream", pool, sizeof(pool)) != 1 ||
	    st_query_get(q.p, q.len, "server", server, sizeof(server)) != 1 ||
	    st_query_get(q.p, q.len, "action", act, sizeof(act)) != 1 ||
	    (admin = st_action(act)) == -1)
		return (st_text(r, 400, "usage: POST ?upstream=NAME&server="
		    "ADDRESS&action=drain|disable|enable\n"));
	if (pt_upstream_set_admin(st_cf, pool, server, admin) != PT_OK)
		return (st_text(r, 404, "no such upstream server\n"));
	PT_RLOG(r, PT_LOG_NOTICE, "status: upstream %s server %s: %s", pool,
	    server, pt_upstream_admin_name(admin));
	st_buf_init(&b, pt_req_arena(r));
	if (st_wants_json(r)) {
		st_puts(&b, "{\"upstream\":");
		st_json(&b, pool);
		st_puts(&b, ",\"server\":");
		st_json(&b, server);
		st_printf(&b, ",\"admin\":\"%s\"}\n",
		    pt_upstream_admin_name(admin));
		return (st_send(r, 200, "application/json", &b));
	}
	st_printf(&b, "%s %s %s\n", pool, server,
	    pt_upstream_admin_name(admin));
	return (st_send(r, 200, "text/plain; charset=utf-8", &b));
}

static int
st_handler(struct pt_request *r)
{
	const struct st_conf	*sc = pt_module_conf(r, &portier_module);
	const char		*sub;

	if (sc == NULL || !sc->enable)
		return (PT_DECLINED);
	if (!st_addr_allowed(pt_req_client_addr(r), sc->allow.v, sc->allow.n)) {
		PT_RLOG(r, PT_LOG_INFO, "status: client not in status.allow");
		return (403);
	}
	sub = st_subpath(r);
	if (strcmp(sub, "") != 0 && strcmp(sub, "metrics") != 0)
		return (404);
	if (st_method_is(r, "POST") && sub[0] == '\0')
		return (st_post(r, sc));
	if (!st_method_is(r, "GET") && !st_method_is(r, "HEAD")) {
		pt_resp_header_set(r, "Allow", sub[0] == '\0' ?
		    "GET, HEAD, POST" : "GET, HEAD");
		return (405);
	}
	return (st_page(r, sub));
}

static int
st_register(struct pt_hooks *h)
{
	/* Middle: the counters must exist before any worker forks; no other
	 * module's post_config depends on them. */
	pt_hook_post_config(h, st_post_config, PT_ORDER_MIDDLE);
	pt_hook_child_init(h, st_child_init, PT_ORDER_MIDDLE);
	/* Early: a status route answers itself; no other handler applies,
	 * and the proxy or static files must not see it. */
	pt_hook_handler(h, st_handler, PT_ORDER_EARLY);
	/* First: a log hook that returns a status skips the ones after it,
	 * and counting must never be skipped. */
	pt_hook_log(h, st_log, PT_ORDER_FIRST);
	/* Middle: the control socket needs no order against other work. */
	pt_hook_periodic(h, st_periodic, PT_ORDER_MIDDLE);
	return (0);
}

PT_API const struct pt_module portier_module = {
	PT_MODULE_HEADER,
	.name = "status",
	.version = "1.0",
	.directives = st_directives,
	.conf_size = sizeof(struct st_conf),
	.register_hooks = st_register,
};
