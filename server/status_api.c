/*
 * portier/status.h: read-only copies of the scoreboard, the layout of the
 * configuration, each request's numbers and the upstream servers' shared
 * state, for mod_status; and the one write it may make, an upstream
 * server's admin state. The control socket itself is control.c's.
 */
#include "config.h"

#include <portier/status.h>

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "upstream.h"

_Static_assert(PT_WORKER_FREE == (int)SB_FREE &&
    PT_WORKER_STARTING == (int)SB_STARTING && PT_WORKER_IDLE == (int)SB_IDLE &&
    PT_WORKER_READ == (int)SB_READ && PT_WORKER_BUSY == (int)SB_BUSY &&
    PT_WORKER_WRITE == (int)SB_WRITE &&
    PT_WORKER_KEEPALIVE == (int)SB_KEEPALIVE &&
    PT_WORKER_CLOSING == (int)SB_CLOSING &&
    PT_WORKER_EXITING == (int)SB_EXITING,
    "enum pt_worker_state mirrors enum sb_state");

PT_API const char *
pt_worker_state_name(int state)
{
	static const char *const names[PT_WORKER_NSTATES] = { "free",
	    "starting", "idle", "read", "busy", "write", "keepalive",
	    "closing", "exiting" };

	return (state >= 0 && state < PT_WORKER_NSTATES ? names[state] : "?");
}

/* The master's formula (master_run), as upstream.c uses it too. */
PT_API unsigned int
pt_status_nslots(const struct pt_conf *cf)
{
	if (pt_scoreboard != NULL)
		return (pt_scoreboard->nslots);
	return (cf != NULL ? (unsigned int)cf->workers.max * 2 + 8 : 0);
}

PT_API int
pt_status_slot(unsigned int i, struct pt_status_slot *out)
{
	const struct sb_slot	*s;

	memset(out, 0, sizeof(*out));
	if (pt_scoreboard == NULL || i >= pt_scoreboard->nslots)
		return (PT_ERROR);
	s = &pt_scoreboard->slots[i];
	out->state = s->state;
	if (out->state == SB_FREE)
		return (PT_DECLINED);
	out->pid = (int)s->pid;
	out->generation = s->generation;
	out->old = s->generation < pt_scoreboard->generation;
	out->requests = s->requests;
	out->started = s->started;
	out->last_used = s->last_used;
	out->req_start_ms = s->req_start_ms;
	out->last_ms = s->last_ms;
	/* Copied while the owner may write: bounded and NUL-terminated. */
	memcpy(out->client, s->client, sizeof(out->client));
	out->client[sizeof(out->client) - 1] = '\0';
	memcpy(out->request, s->last_request, sizeof(out->request));
	out->request[sizeof(out->request) - 1] = '\0';
	return (PT_OK);
}

PT_API int
pt_status_self_slot(void)
{
	if (pt_scoreboard == NULL)
		return (-1);
	return (sb_slot_of(getpid()));
}

PT_API int
pt_status_server(struct pt_status_server *out)
{
	memset(out, 0, sizeof(*out));
	if (pt_scoreboard == NULL)
		return (PT_ERROR);
	out->started = pt_scoreboard->started;
	out->generation = pt_scoreboard->generation;
	out->restarts_graceful = pt_scoreboard->restarts_graceful;
	out->restarts_hard = pt_scoreboard->restarts_hard;
	out->master_pid = (int)pt_scoreboard->master_pid;
	out->helper_pid = (int)__atomic_load_n(&pt_scoreboard->helper_pid,
	    __ATOMIC_RELAXED);
	return (PT_OK);
}

PT_API size_t
pt_conf_nservers(const struct pt_conf *cf)
{
	return (cf->nservers);
}

PT_API const char *
pt_conf_server_label(const struct pt_conf *cf, size_t i)
{
	const struct conf_server *s;

	if (i >= cf->nservers)
		return ("");
	s = &cf->servers[i];
	if (s->names.n > 0)
		return (s->names.v[0]);
	return (s->nlisten > 0 ? s->listen[0].text : "");
}

PT_API size_t
pt_conf_nroutes(const struct pt_conf *cf, size_t i)
{
	return (i < cf->nservers ? cf->servers[i].nroutes : 0);
}

PT_API const char *
pt_conf_route_label(const struct pt_conf *cf, size_t i, size_t j)
{
	if (i >= cf->nservers || j >= cf->servers[i].nroutes)
		return ("");
	return (cf->servers[i].routes[j].path);
}

/*
 * Called for every request from log hooks: a few loads and one clock read
 * (the vDSO, no system call). Indexes come from pointer differences, so
 * they match the layout accessors above for the request's configuration.
 */
PT_API void
pt_req_stats(const struct pt_request *r, struct pt_req_stats *out)
{
	const struct pt_conf	*cf = r->conf;
	struct timespec		 now;
	long long		 us;

	out->server = out->route = -1;
	if (r->srv != NULL && r->srv >= cf->servers &&
	    r->srv < cf->servers + cf->nservers) {
		out->server = (int)(r->srv - cf->servers);
		if (r->route != NULL && r->route >= r->srv->routes &&
		    r->route < r->srv->routes + r->srv->nroutes)
			out->route = (int)(r->route - r->srv->routes);
	}
	out->status = r->status;
	out->bytes_in = r->bytes_in;
	out->bytes_out = r->bytes_out;
	clock_gettime(CLOCK_REALTIME, &now);
	us = (long long)(now.tv_sec - r->start.tv_sec) * 1000000 +
	    (now.tv_nsec - r->start.tv_nsec) / 1000;
	out->duration_us = us > 0 ? us : 0;	/* the clock may step back */
}

PT_API size_t
pt_status_npools(const struct pt_conf *cf)
{
	return (cf->nupstreams);
}

PT_API const char *
pt_status_pool(const struct pt_conf *cf, size_t p, size_t *nservers)
{
	if (p >= cf->nupstreams) {
		*nservers = 0;
		return (NULL);
	}
	*nservers = cf->upstreams[p].nservers;
	return (cf->upstreams[p].name);
}

PT_API int
pt_status_upstream(const struct pt_conf *cf, size_t p, size_t i,
    struct pt_status_upstream *out)
{
	const struct conf_upstream	*up;
	const struct upstream_server	*s;
	struct upstream_state		*st;
	long long			 until, now = now_ms();

	memset(out, 0, sizeof(*out));
	if (p >= cf->nupstreams || i >= cf->upstreams[p].nservers ||
	    cf->upstreams[p].state == NULL)
		return (PT_ERROR);
	up = &cf->upstreams[p];
	s = &up->servers[i];
	st = &up->state[i];
	out->address = s->address;
	out->weight = s->weight;
	out->backup = s->backup;
	out->configured_down = s->down;
	out->max_conns = s->max_conns;
	out->admin = __atomic_load_n(&st->admin, __ATOMIC_RELAXED);
	out->health_down = __atomic_load_n(&st->health_down,
	    __ATOMIC_RELAXED) != 0;
	until = __atomic_load_n(&st->down_until_ms, __ATOMIC_RELAXED);
	out->down_for_ms = until > now ? until - now : 0;
	out->resolved = __atomic_load_n(&st->naddrs, __ATOMIC_RELAXED) > 0;
	out->up = !out->configured_down && !out->health_down &&
	    out->down_for_ms == 0 && out->resolved && out->admin == PT_ADMIN_ON;
	out->conns = __atomic_load_n(&st->conns, __ATOMIC_RELAXED);
	out->idle = __atomic_load_n(&st->idle, __ATOMIC_RELAXED);
	out->requests = __atomic_load_n(&st->requests, __ATOMIC_RELAXED);
	out->failures = __atomic_load_n(&st->failures, __ATOMIC_RELAXED);
	return (PT_OK);
}

PT_API const char *
pt_upstream_admin_name(int admin)
{
	static const char *const names[] = { "on", "drain", "disabled" };

	return (admin >= PT_ADMIN_ON && admin <= PT_ADMIN_DISABLED ?
	    names[admin] : "?");
}

PT_API int
pt_upstream_set_admin(const struct pt_conf *cf, const char *pool,
    const char *server, int admin)
{
	struct conf_upstream	*up;
	size_t			 i;
	int			 was;

	if (admin < PT_ADMIN_ON || admin > PT_ADMIN_DISABLED)
		return (PT_ERROR);
	if ((up = upstream_find(cf, pool)) == NULL || up->state == NULL)
		return (PT_DECLINED);
	for (i = 0; i < up->nservers; i++) {
		if (strcmp(up->servers[i].address, server) != 0)
			continue;
		was = __atomic_exchange_n(&up->state[i].admin, admin,
		    __ATOMIC_RELAXED);
		if (was != admin)
			PT_LOG(PT_LOG_NOTICE, "upstream %s: server %s: %s "
			    "(was %s)", up->name, up->servers[i].address,
			    pt_upstream_admin_name(admin),
			    pt_upstream_admin_name(was));
		return (PT_OK);
	}
	return (PT_DECLINED);
}
