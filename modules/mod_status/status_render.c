/*
 * The status page for people (HTML) and for tools (JSON), from one
 * snapshot (status_view.c). Every string that came from a client or the
 * configuration is escaped; a query string was never recorded (the
 * scoreboard keeps "?..." in its place).
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <portier/status.h>

#include "status.h"

/* A worker that is serving a request: its age is that request's. */
static bool
st_busy(int state)
{
	return (state == PT_WORKER_READ || state == PT_WORKER_BUSY ||
	    state == PT_WORKER_WRITE || state == PT_WORKER_CLOSING);
}

/* Milliseconds since the slot's current (or latest) request started. */
static long long
st_age_ms(const struct st_view *v, const struct pt_status_slot *s)
{
	if (s->req_start_ms <= 0 || s->req_start_ms > v->now_ms)
		return (0);
	return (v->now_ms - s->req_start_ms);
}

const char *
st_upstream_word(const struct pt_status_upstream *u)
{
	if (u->configured_down)
		return ("down-config");
	if (!u->resolved)
		return ("unresolved");
	if (u->health_down)
		return ("down-health");
	if (u->down_for_ms > 0)
		return ("down-failures");
	return ("up");
}

static void
st_duration(struct st_buf *b, long long s)
{
	if (s >= 86400)
		st_printf(b, "%lldd ", s / 86400);
	if (s >= 3600)
		st_printf(b, "%lldh ", s / 3600 % 24);
	if (s >= 60)
		st_printf(b, "%lldm ", s / 60 % 60);
	st_printf(b, "%llds", s % 60);
}

static void
st_bytes(struct st_buf *b, uint64_t n)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double	d = (double)n;
	int	i = 0;

	while (d >= 1024 && i < 4) {
		d /= 1024;
		i++;
	}
	if (i == 0)
		st_printf(b, "%" PRIu64 " B", n);
	else
		st_printf(b, "%.1f %s", d, u[i]);
}

static const char st_css[] =
    "body{font-family:sans-serif;margin:1em 2em}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#eee}";

static void
st_html_server(struct st_buf *b, const struct st_view *v)
{
	st_puts(b, "<h2>Server</h2>\n<table>\n");
	if (v->have_srv) {
		char when[64];
		struct tm tm;

		gmtime_r(&v->srv.started, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		st_printf(b, "<tr><th>started</th><td>%s</td></tr>\n", when);
		st_puts(b, "<tr><th>uptime</th><td>");
		st_duration(b, (long long)(v->now - v->srv.started));
		st_printf(b, "</td></tr>\n<tr><th>generation</th><td>%u</td>"
		    "</tr>\n<tr><th>restarts</th><td>%lu graceful, %lu hard"
		    "</td></tr>\n<tr><th>master</th><td>pid %d</td></tr>\n"
		    "<tr><th>helper</th><td>%s", v->srv.generation,
		    v->srv.restarts_graceful, v->srv.restarts_hard,
		    v->srv.master_pid, v->srv.helper_pid > 0 ? "running, pid " :
		    "not running");
		if (v->srv.helper_pid > 0)
			st_printf(b, "%d", v->srv.helper_pid);
		st_puts(b, "</td></tr>\n");
	} else
		st_puts(b, "<tr><th>mode</th><td>single process (-X)</td>"
		    "</tr>\n");
	if (v->have_tun && v->tun.pid > 0)
		st_printf(b, "<tr><th>tunnel</th><td>running, pid %d: %u "
		    "streams open, %lu since it started, %lu refused</td>"
		    "</tr>\n",
		    v->tun.pid, v->tun.streams, v->tun.total, v->tun.refused);
	else
		st_puts(b, "<tr><th>tunnel</th><td>not running</td></tr>\n");
	st_puts(b, "</table>\n");
}

static void
st_html_totals(struct st_buf *b, const struct st_view *v)
{
	int i;

	st_printf(b, "<h2>Totals</h2>\n<table>\n<tr><th>requests</th>"
	    "<td class=n>%" PRIu64 "</td></tr>\n<tr><th>received</th><td>",
	    st_cell_requests(&v->total));
	st_bytes(b, v->total.bytes_in);
	st_puts(b, "</td></tr>\n<tr><th>sent (bodies)</th><td>");
	st_bytes(b, v->total.bytes_out);
	st_puts(b, "</td></tr>\n");
	for (i = 0; i < ST_NCLS; i++)
		st_printf(b, "<tr><th>%s</th><td class=n>%" PRIu64
		    "</td></tr>\n", st_cls_names[i], v->total.cls[i]);
	st_puts(b, "</table>\n<h3>Responses by status</h3>\n<table>\n"
	    "<tr><th>status</th><th>responses</th></tr>\n");
	for (i = 100; i < ST_NCODES; i++)
		if (v->codes[i] != 0)
			st_printf(b, "<tr><td>%d</td><td class=n>%" PRIu64
			    "</td></tr>\n", i, v->codes[i]);
	if (v->codes[0] != 0)
		st_printf(b, "<tr><td>none</td><td class=n>%" PRIu64
		    "</td></tr>\n", v->codes[0]);
	st_puts(b, "</table>\n");
}

static void
st_html_workers(struct st_buf *b, const struct st_view *v)
{
	const struct pt_status_slot	*s;
	size_t				 i;
	int				 k;

	st_puts(b, "<h2>Workers</h2>\n<p>");
	for (k = 1; k < PT_WORKER_NSTATES; k++)
		st_printf(b, "%s%s: %u", k > 1 ? ", " : "",
		    pt_worker_state_name(k), v->states[k]);
	st_printf(b, "; %u of an older generation</p>\n<table>\n<tr><th>slot"
	    "</th><th>pid</th><th>gen</th><th>state</th><th>requests</th>"
	    "<th>age (s)</th><th>last (ms)</th><th>client</th><th>request"
	    "</th></tr>\n", v->old_workers);
	for (i = 0; i < v->nslots; i++) {
		s = &v->slots[i];
		st_printf(b, "<tr><td class=n>%u</td><td class=n>%d</td>"
		    "<td class=n>%u%s</td><td>%s</td><td class=n>%lu</td>"
		    "<td class=n>%.1f</td><td class=n>%lld</td><td>",
		    v->slot_ix[i], s->pid, s->generation, s->old ? " (old)" :
		    "", pt_worker_state_name(s->state), s->requests,
		    (double)st_age_ms(v, s) / 1000, s->last_ms);
		st_html(b, s->client);
		st_puts(b, "</td><td>");
		st_html(b, s->request);
		st_puts(b, "</td></tr>\n");
	}
	st_puts(b, "</table>\n");
}

static void
st_html_cell(struct st_buf *b, const char *srv, const char *route,
    const struct st_cell *c)
{
	uint64_t n = st_cell_requests(c);

	st_puts(b, "<tr><td>");
	st_html(b, srv);
	st_puts(b, "</td><td>");
	st_html(b, route);
	st_printf(b, "</td><td class=n>%" PRIu64 "</td><td class=n>%" PRIu64
	    "</td><td class=n>%" PRIu64 "</td><td class=n>%" PRIu64 "</td>"
	    "<td class=n>%" PRIu64 "</td><td class=n>", n, c->cls[ST_CLS_2XX],
	    c->cls[ST_CLS_3XX], c->cls[ST_CLS_4XX], c->cls[ST_CLS_5XX]);
	st_bytes(b, c->bytes_in);
	st_puts(b, "</td><td class=n>");
	st_bytes(b, c->bytes_out);
	st_printf(b, "</td><td class=n>%.3f</td></tr>\n",
	    n ? (double)c->dur_us / (double)n / 1000 : 0.0);
}

/* The walk's cells with the page's labels for no route and no server. */
static void
st_html_route_cell(struct st_buf *b, const char *srv, const char *route,
    const struct st_cell *c)
{
	if (srv[0] == '\0')
		st_html_cell(b, "(none)", "", c);
	else
		st_html_cell(b, srv, route[0] != '\0' ? route : "(no route)",
		    c);
}

static void
st_html_routes(struct st_buf *b, const struct st_view *v)
{
	st_puts(b, "<h2>Servers and routes</h2>\n<table>\n<tr><th>server</th>"
	    "<th>route</th><th>requests</th><th>2xx</th><th>3xx</th>"
	    "<th>4xx</th><th>5xx</th><th>received</th><th>sent</th>"
	    "<th>mean (ms)</th></tr>\n");
	st_each_cell(b, v, st_html_route_cell);
	st_puts(b, "</table>\n");
}

static void
st_html_upstreams(struct st_buf *b, const struct st_view *v)
{
	struct pt_status_upstream	 u;
	const char			*name;
	size_t				 p, i, ns;
	size_t				 np = pt_status_npools(v->cf);

	if (np == 0)
		return;
	st_puts(b, "<h2>Upstreams</h2>\n<table>\n<tr><th>upstream</th>"
	    "<th>server</th><th>state</th><th>admin</th><th>weight</th>"
	    "<th>active</th><th>idle</th><th>requests</th><th>failures</th>"
	    "</tr>\n");
	for (p = 0; p < np; p++) {
		name = pt_status_pool(v->cf, p, &ns);
		for (i = 0; i < ns; i++) {
			if (pt_status_upstream(v->cf, p, i, &u) != PT_OK)
				continue;
			st_puts(b, "<tr><td>");
			st_html(b, name);
			st_puts(b, "</td><td>");
			st_html(b, u.address);
			st_printf(b, "%s</td><td>%s</td><td>%s</td><td "
			    "class=n>%d</td><td class=n>%d</td><td class=n>%d"
			    "</td><td class=n>%" PRIu64 "</td><td class=n>%"
			    PRIu64 "</td></tr>\n", u.backup ? " (backup)" : "",
			    st_upstream_word(&u),
			    pt_upstream_admin_name(u.admin), u.weight, u.conns,
			    u.idle, u.requests, u.failures);
		}
	}
	st_puts(b, "</table>\n");
}

void
st_render_html(struct st_buf *b, const struct st_view *v)
{
	st_printf(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>portier status</title><style>%s</style></head>\n<body>\n"
	    "<h1>portier status</h1>\n", st_css);
	st_html_server(b, v);
	st_html_totals(b, v);
	st_html_workers(b, v);
	st_html_routes(b, v);
	st_html_upstreams(b, v);
	st_puts(b, "<p>Also as <a href=\"?json\">JSON</a>, and in the "
	    "Prometheus text format at <a href=\"");
	st_html(b, v->metrics_href != NULL ? v->metrics_href : "metrics");
	st_puts(b, "\">metrics</a>.</p>\n</body></html>\n");
}

/* --- JSON --------------------------------------------------------------- */

static void
st_json_classes(struct st_buf *b, const struct st_cell *c)
{
	int i;

	st_puts(b, "{");
	for (i = 0; i < ST_NCLS; i++)
		st_printf(b, "%s\"%s\":%" PRIu64, i ? "," : "", st_cls_names[i],
		    c->cls[i]);
	st_puts(b, "}");
}

static void
st_json_server(struct st_buf *b, const struct st_view *v)
{
	st_printf(b, "\"time\":%lld,", (long long)v->now);
	if (v->have_srv)
		st_printf(b, "\"server\":{\"started\":%lld,\"uptime\":%lld,"
		    "\"generation\":%u,\"restarts\":{\"graceful\":%lu,\"hard\":"
		    "%lu},\"master_pid\":%d},\"helper\":{\"running\":%s,"
		    "\"pid\":%d},", (long long)v->srv.started,
		    (long long)(v->now - v->srv.started), v->srv.generation,
		    v->srv.restarts_graceful, v->srv.restarts_hard,
		    v->srv.master_pid, v->srv.helper_pid > 0 ? "true" : "false",
		    v->srv.helper_pid);
	else
		st_puts(b, "\"server\":null,\"helper\":null,");
	st_printf(b, "\"tunnel\":{\"running\":%s,\"pid\":%d,\"streams\":%u,"
	    "\"total\":%lu,\"refused\":%lu},", v->tun.pid > 0 ? "true" :
	    "false", v->tun.pid, v->tun.streams, v->tun.total, v->tun.refused);
}

static void
st_json_totals(struct st_buf *b, const struct st_view *v)
{
	int	i;
	bool	first = true;

	st_printf(b, "\"totals\":{\"requests\":%" PRIu64 ",\"bytes_in\":%"
	    PRIu64 ",\"bytes_out\":%" PRIu64 ",\"duration_us\":%" PRIu64
	    ",\"classes\":", st_cell_requests(&v->total), v->total.bytes_in,
	    v->total.bytes_out, v->total.dur_us);
	st_json_classes(b, &v->total);
	st_puts(b, ",\"statuses\":{");
	for (i = 0; i < ST_NCODES; i++) {
		if (v->codes[i] == 0 || (i > 0 && i < 100))
			continue;
		if (i == 0)
			st_printf(b, "%s\"none\":%" PRIu64, first ? "" : ",",
			    v->codes[i]);
		else
			st_printf(b, "%s\"%d\":%" PRIu64, first ? "" : ",", i,
			    v->codes[i]);
		first = false;
	}
	st_puts(b, "}},");
}

static void
st_json_workers(struct st_buf *b, const struct st_view *v)
{
	const struct pt_status_slot	*s;
	size_t				 i;
	int				 k;

	st_puts(b, "\"workers_by_state\":{");
	for (k = 1; k < PT_WORKER_NSTATES; k++)
		st_printf(b, "%s\"%s\":%u", k > 1 ? "," : "",
		    pt_worker_state_name(k), v->states[k]);
	st_printf(b, ",\"old_generation\":%u},\"workers\":[", v->old_workers);
	for (i = 0; i < v->nslots; i++) {
		s = &v->slots[i];
		st_printf(b, "%s{\"slot\":%u,\"pid\":%d,\"generation\":%u,"
		    "\"old\":%s,\"state\":\"%s\",\"requests\":%lu,\"started\":"
		    "%lld,\"busy\":%s,\"age_ms\":%lld,\"last_ms\":%lld,"
		    "\"client\":", i ? "," : "", v->slot_ix[i], s->pid,
		    s->generation, s->old ? "true" : "false",
		    pt_worker_state_name(s->state), s->requests,
		    (long long)s->started, st_busy(s->state) ? "true" : "false",
		    st_age_ms(v, s), s->last_ms);
		st_json(b, s->client);
		st_puts(b, ",\"request\":");
		st_json(b, s->request);
		st_puts(b, "}");
	}
	st_puts(b, "],");
}

static void
st_json_cell(struct st_buf *b, const char *route, const struct st_cell *c,
    bool first)
{
	st_printf(b, "%s{\"route\":", first ? "" : ",");
	if (route != NULL)
		st_json(b, route);
	else
		st_puts(b, "null");
	st_printf(b, ",\"requests\":%" PRIu64 ",\"bytes_in\":%" PRIu64
	    ",\"bytes_out\":%" PRIu64 ",\"duration_us\":%" PRIu64
	    ",\"classes\":", st_cell_requests(c), c->bytes_in, c->bytes_out,
	    c->dur_us);
	st_json_classes(b, c);
	st_puts(b, "}");
}

static void
st_json_routes(struct st_buf *b, const struct st_view *v)
{
	const struct st_cell	*c;
	size_t			 i, j, n = pt_conf_nservers(v->cf), nr;

	st_puts(b, "\"servers\":[");
	for (i = 0; i < n; i++) {
		nr = pt_conf_nroutes(v->cf, i);
		st_printf(b, "%s{\"name\":", i ? "," : "");
		st_json(b, v->srv_label[i]);
		st_puts(b, ",\"routes\":[");
		for (j = 0; j < nr; j++)
			st_json_cell(b, pt_conf_route_label(v->cf, i, j),
			    st_view_cell(v, i, j), j == 0);
		c = st_view_cell(v, i, nr);
		if (st_cell_requests(c) != 0)
			st_json_cell(b, NULL, c, nr == 0);
		st_puts(b, "]}");
	}
	st_puts(b, "],");
}

static void
st_json_upstreams(struct st_buf *b, const struct st_view *v)
{
	struct pt_status_upstream	 u;
	const char			*name;
	size_t				 p, i, ns;
	size_t				 np = pt_status_npools(v->cf);

	st_puts(b, "\"upstreams\":[");
	for (p = 0; p < np; p++) {
		name = pt_status_pool(v->cf, p, &ns);
		st_printf(b, "%s{\"name\":", p ? "," : "");
		st_json(b, name);
		st_puts(b, ",\"servers\":[");
		for (i = 0; i < ns; i++) {
			if (pt_status_upstream(v->cf, p, i, &u) != PT_OK)
				continue;
			st_printf(b, "%s{\"address\":", i ? "," : "");
			st_json(b, u.address);
			st_printf(b, ",\"up\":%s,\"state\":\"%s\",\"admin\":"
			    "\"%s\",\"weight\":%d,\"backup\":%s,\"conns\":%d,"
			    "\"idle\":%d,\"max_conns\":%d,\"requests\":%" PRIu64
			    ",\"failures\":%" PRIu64 ",\"down_for_ms\":%lld}",
			    u.up ? "true" : "false", st_upstream_word(&u),
			    pt_upstream_admin_name(u.admin), u.weight,
			    u.backup ? "true" : "false", u.conns, u.idle,
			    u.max_conns, u.requests, u.failures, u.down_for_ms);
		}
		st_puts(b, "]}");
	}
	st_puts(b, "]");
}

void
st_render_json(struct st_buf *b, const struct st_view *v)
{
	st_puts(b, "{");
	st_json_server(b, v);
	st_json_totals(b, v);
	st_json_workers(b, v);
	st_json_routes(b, v);
	st_json_upstreams(b, v);
	st_puts(b, "}\n");
}
