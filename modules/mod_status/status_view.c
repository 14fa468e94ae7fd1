/*
 * A snapshot for one status page: the scoreboard, the server and tunnel
 * process, and the counters summed over every slot, taken once so the
 * three renderings (status_render.c, status_prom.c) read one consistent
 * copy. Upstream state is read as it is rendered.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <portier/arena.h>
#include <portier/status.h>
#include <portier/tunnel.h>

#include "status.h"

static void
st_view_slots(struct st_view *v, struct pt_arena *a)
{
	struct pt_status_slot	 s;
	unsigned int		 i, n = pt_status_nslots(v->cf);

	v->slots = pt_calloc(a, n ? n : 1, sizeof(*v->slots));
	v->slot_ix = pt_calloc(a, n ? n : 1, sizeof(*v->slot_ix));
	if (v->slots == NULL || v->slot_ix == NULL) {
		v->slots = NULL;
		return;
	}
	for (i = 0; i < n; i++) {
		if (pt_status_slot(i, &s) != PT_OK)
			continue;
		if (s.state >= 0 && s.state < PT_WORKER_NSTATES)
			v->states[s.state]++;
		if (s.old)
			v->old_workers++;
		v->slot_ix[v->nslots] = i;
		v->slots[v->nslots++] = s;
	}
}

/*
 * Servers are labelled by their first name or listen address; two with
 * the same label get "#index" so their series never merge.
 */
static bool
st_view_labels(struct st_view *v, struct pt_arena *a)
{
	size_t	i, j, n = pt_conf_nservers(v->cf);

	if ((v->srv_label = pt_calloc(a, n + 1, sizeof(*v->srv_label))) == NULL)
		return (false);
	for (i = 0; i < n; i++) {
		v->srv_label[i] = pt_conf_server_label(v->cf, i);
		for (j = 0; j < i; j++)
			if (strcmp(pt_conf_server_label(v->cf, j),
			    v->srv_label[i]) == 0)
				break;
		if (j < i && (v->srv_label[i] = pt_printf(a, "%s#%zu",
		    v->srv_label[i], i)) == NULL)
			return (false);
	}
	return (true);
}

struct st_view *
st_view_take(struct pt_arena *a, const struct pt_conf *cf, const void *seg)
{
	struct st_view	*v;
	struct timespec	 ts;
	uint32_t	 i;

	if (seg == NULL || (v = pt_calloc(a, 1, sizeof(*v))) == NULL)
		return (NULL);
	v->cf = cf;
	v->seg = seg;
	clock_gettime(CLOCK_REALTIME, &ts);
	v->now = ts.tv_sec;
	v->now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	v->have_srv = pt_status_server(&v->srv) == PT_OK;
	v->have_tun = pt_tunnel_stats(&v->tun) == PT_OK;
	st_view_slots(v, a);
	v->ncells = st_seg_ncells(seg);
	v->cells = pt_calloc(a, v->ncells, sizeof(*v->cells));
	v->codes = pt_calloc(a, ST_NCODES, sizeof(*v->codes));
	if (v->cells == NULL || v->codes == NULL || !st_view_labels(v, a))
		return (NULL);
	st_seg_sum(seg, v->cells, v->codes);
	for (i = 0; i < v->ncells; i++)
		st_cell_add(&v->total, &v->cells[i]);
	return (v);
}

const struct st_cell *
st_view_cell(const struct st_view *v, size_t i, size_t j)
{
	size_t n = pt_conf_nservers(v->cf);

	if (i >= n)
		return (&v->cells[st_cell_index(v->seg, -1, -1)]);
	return (&v->cells[st_cell_index(v->seg, (int)i,
	    j < pt_conf_nroutes(v->cf, i) ? (int)j : -1)]);
}

/*
 * Calls fn for every cell worth showing: all routes, and the no-route and
 * no-server cells once they have counted something. Their labels are "".
 */
void
st_each_cell(struct st_buf *b, const struct st_view *v,
    void (*fn)(struct st_buf *, const char *, const char *,
    const struct st_cell *))
{
	const struct st_cell	*c;
	size_t			 i, j, n = pt_conf_nservers(v->cf), nr;

	for (i = 0; i < n; i++) {
		nr = pt_conf_nroutes(v->cf, i);
		for (j = 0; j <= nr; j++) {
			c = st_view_cell(v, i, j);
			if (j == nr && st_cell_requests(c) == 0)
				continue;
			fn(b, v->srv_label[i], j < nr ?
			    pt_conf_route_label(v->cf, i, j) : "", c);
		}
	}
	c = st_view_cell(v, n, 0);
	if (st_cell_requests(c) != 0)
		fn(b, "", "", c);
}
