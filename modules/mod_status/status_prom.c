/*
 * The metrics page in the Prometheus text exposition format (version
 * 0.0.4): counters and a latency histogram per server and route, workers
 * by state, the tunnel process, and each upstream server's state. Names
 * follow the Prometheus conventions: base units (seconds, bytes), _total
 * for counters.
 */
#include "config.h"

#include <inttypes.h>

#include <portier/status.h>

#include "status.h"

static void
st_family(struct st_buf *b, const char *name, const char *type,
    const char *help)
{
	st_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* {server="...",route="..." */
static void
st_labels(struct st_buf *b, const char *srv, const char *route)
{
	st_puts(b, "{server=\"");
	st_label(b, srv);
	st_puts(b, "\",route=\"");
	st_label(b, route);
	st_puts(b, "\"");
}

static void
st_prom_requests(struct st_buf *b, const char *srv, const char *route,
    const struct st_cell *c)
{
	int i;

	for (i = 0; i < ST_NCLS; i++) {
		st_puts(b, "portier_requests_total");
		st_labels(b, srv, route);
		st_printf(b, ",code=\"%s\"} %" PRIu64 "\n", st_cls_names[i],
		    c->cls[i]);
	}
}

static void
st_prom_bytes_in(struct st_buf *b, const char *srv, const char *route,
    const struct st_cell *c)
{
	st_puts(b, "portier_received_bytes_total");
	st_labels(b, srv, route);
	st_printf(b, "} %" PRIu64 "\n", c->bytes_in);
}

static void
st_prom_bytes_out(struct st_buf *b, const char *srv, const char *route,
    const struct st_cell *c)
{
	st_puts(b, "portier_sent_bytes_total");
	st_labels(b, srv, route);
	st_printf(b, "} %" PRIu64 "\n", c->bytes_out);
}

static void
st_prom_histogram(struct st_buf *b, const char *srv, const char *route,
    const struct st_cell *c)
{
	uint64_t	sum = 0;
	int		i;

	for (i = 0; i < ST_NBUCKETS; i++) {
		sum += c->bucket[i];
		st_puts(b, "portier_request_duration_seconds_bucket");
		st_labels(b, srv, route);
		if (i < ST_NBOUNDS)
			st_printf(b, ",le=\"%g\"} %" PRIu64 "\n",
			    (double)st_bounds_us[i] / 1e6, sum);
		else
			st_printf(b, ",le=\"+Inf\"} %" PRIu64 "\n", sum);
	}
	st_puts(b, "portier_request_duration_seconds_sum");
	st_labels(b, srv, route);
	st_printf(b, "} %.6f\n", (double)c->dur_us / 1e6);
	st_puts(b, "portier_request_duration_seconds_count");
	st_labels(b, srv, route);
	st_printf(b, "} %" PRIu64 "\n", sum);
}

static void
st_prom_process(struct st_buf *b, const struct st_view *v)
{
	int i;

	if (v->have_srv) {
		st_family(b, "portier_start_time_seconds", "gauge",
		    "When the master process started, in seconds since the "
		    "epoch.");
		st_printf(b, "portier_start_time_seconds %lld\n",
		    (long long)v->srv.started);
		st_family(b, "portier_uptime_seconds", "gauge",
		    "Seconds since the master process started.");
		st_printf(b, "portier_uptime_seconds %lld\n",
		    (long long)(v->now - v->srv.started));
		st_family(b, "portier_generation", "gauge",
		    "Configuration generation, bumped by every accepted "
		    "reload.");
		st_printf(b, "portier_generation %u\n", v->srv.generation);
		st_family(b, "portier_restarts_total", "counter",
		    "Accepted reloads: graceful (USR1) and hard (HUP).");
		st_printf(b, "portier_restarts_total{kind=\"graceful\"} %lu\n"
		    "portier_restarts_total{kind=\"hard\"} %lu\n",
		    v->srv.restarts_graceful, v->srv.restarts_hard);
		st_family(b, "portier_helper_up", "gauge",
		    "1 when the helper process runs.");
		st_printf(b, "portier_helper_up %d\n", v->srv.helper_pid > 0);
	}
	st_family(b, "portier_workers", "gauge", "Worker processes by state.");
	for (i = 1; i < PT_WORKER_NSTATES; i++)
		st_printf(b, "portier_workers{state=\"%s\"} %u\n",
		    pt_worker_state_name(i), v->states[i]);
	st_family(b, "portier_workers_old_generation", "gauge",
	    "Workers of an older generation finishing a graceful restart.");
	st_printf(b, "portier_workers_old_generation %u\n", v->old_workers);
	st_family(b, "portier_tunnel_up", "gauge",
	    "1 when the tunnel process runs.");
	st_printf(b, "portier_tunnel_up %d\n", v->tun.pid > 0);
	st_family(b, "portier_tunnel_streams", "gauge",
	    "Byte streams the tunnel process relays now.");
	st_printf(b, "portier_tunnel_streams %u\n", v->tun.streams);
	st_family(b, "portier_tunnel_streams_total", "counter",
	    "Streams the tunnel process accepted since it started.");
	st_printf(b, "portier_tunnel_streams_total %lu\n", v->tun.total);
	st_family(b, "portier_tunnel_refused_total", "counter",
	    "Streams the tunnel process refused at a cap since it started.");
	st_printf(b, "portier_tunnel_refused_total %lu\n", v->tun.refused);
}

static void
st_prom_codes(struct st_buf *b, const struct st_view *v)
{
	int i;

	st_family(b, "portier_responses_total", "counter",
	    "Responses by exact status; code=\"none\": no response was sent.");
	for (i = 100; i < ST_NCODES; i++)
		if (v->codes[i] != 0)
			st_printf(b, "portier_responses_total{code=\"%d\"} %"
			    PRIu64 "\n", i, v->codes[i]);
	st_printf(b, "portier_responses_total{code=\"none\"} %" PRIu64 "\n",
	    v->codes[0]);
}

/* One upstream gauge or counter family over every pool's servers. */
static void
st_prom_ups_family(struct st_buf *b, const struct st_view *v,
    const char *name, const char *type, const char *help, int what)
{
	struct pt_status_upstream	 u;
	const char			*pool;
	size_t				 p, i, ns;
	size_t				 np = pt_status_npools(v->cf);
	long long			 val;

	st_family(b, name, type, help);
	for (p = 0; p < np; p++) {
		pool = pt_status_pool(v->cf, p, &ns);
		for (i = 0; i < ns; i++) {
			if (pt_status_upstream(v->cf, p, i, &u) != PT_OK)
				continue;
			switch (what) {
			case 0: val = u.up; break;
			case 1: val = u.admin; break;
			case 2: val = u.conns; break;
			case 3: val = u.idle; break;
			case 4: val = (long long)u.requests; break;
			default: val = (long long)u.failures; break;
			}
			st_printf(b, "%s{upstream=\"", name);
			st_label(b, pool);
			st_puts(b, "\",server=\"");
			st_label(b, u.address);
			st_printf(b, "\"} %lld\n", val);
		}
	}
}

static void
st_prom_upstreams(struct st_buf *b, const struct st_view *v)
{
	if (pt_status_npools(v->cf) == 0)
		return;
	st_prom_ups_family(b, v, "portier_upstream_server_up", "gauge",
	    "1 when the server takes new requests (health, failures, admin).",
	    0);
	st_prom_ups_family(b, v, "portier_upstream_server_admin", "gauge",
	    "Administrative state: 0 on, 1 drain, 2 disabled.", 1);
	st_prom_ups_family(b, v, "portier_upstream_active_connections",
	    "gauge", "Connections in use, all workers.", 2);
	st_prom_ups_family(b, v, "portier_upstream_idle_connections", "gauge",
	    "Idle kept connections, all workers.", 3);
	st_prom_ups_family(b, v, "portier_upstream_requests_total", "counter",
	    "Requests answered through the server.", 4);
	st_prom_ups_family(b, v, "portier_upstream_failures_total", "counter",
	    "Requests that failed on the server (connect, read, timeout).", 5);
}

void
st_render_prom(struct st_buf *b, const struct st_view *v)
{
	st_prom_process(b, v);
	st_family(b, "portier_requests_total", "counter",
	    "Requests by server, route and status class.");
	st_each_cell(b, v, st_prom_requests);
	st_prom_codes(b, v);
	st_family(b, "portier_received_bytes_total", "counter",
	    "Request bytes read (head and body).");
	st_each_cell(b, v, st_prom_bytes_in);
	st_family(b, "portier_sent_bytes_total", "counter",
	    "Response body bytes sent.");
	st_each_cell(b, v, st_prom_bytes_out);
	st_family(b, "portier_request_duration_seconds", "histogram",
	    "Time from reading the request head to the end of the response.");
	st_each_cell(b, v, st_prom_histogram);
	st_prom_upstreams(b, v);
}
