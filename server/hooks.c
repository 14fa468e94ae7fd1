/*
 * Hook registration and the run loops. Registrations are kept per
 * configuration and sorted once by (order, registration sequence), so
 * ties go to load order and a reload may reorder freely.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "hooks_priv.h"
#include "upstream.h"

static const char *const hook_names[H__COUNT] = {
	"post_config", "child_init", "connection", "connection_close",
	"post_read_request", "translate", "fixups", "access", "quick_handler",
	"handler", "log", "periodic", "response_filter", "upstream_transport",
	"upstream_check"
};

struct pt_hooks *
hooks_new(struct pt_arena *a)
{
	struct pt_hooks *h;

	if ((h = pt_calloc(a, 1, sizeof(*h))) != NULL)
		h->arena = a;
	return (h);
}

void
hooks_set_module(struct pt_hooks *h, const char *name)
{
	h->module = name;
}

/*
 * There is no core module: the core registers here, first, so at equal
 * order its hooks run before the modules'. Addresses are refreshed
 * before health checks use them.
 */
void
hooks_core_register(struct pt_hooks *h)
{
	hooks_set_module(h, "core");
	pt_hook_periodic(h, upstream_dns_periodic, PT_ORDER_MIDDLE);
	pt_hook_periodic(h, health_periodic, PT_ORDER_MIDDLE);
	hooks_set_module(h, NULL);
}

static struct hook_entry *
hook_add(struct pt_hooks *h, enum hook_id id, int order)
{
	struct hook_list	*l = &h->l[id];
	struct hook_entry	*v;
	size_t			 cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 4;
		if ((v = pt_calloc(h->arena, cap, sizeof(*v))) == NULL)
			return (NULL);
		if (l->n > 0)
			memcpy(v, l->v, l->n * sizeof(*v));
		l->v = v;
		l->cap = cap;
	}
	v = &l->v[l->n++];
	v->order = order;
	v->seq = h->seq++;
	v->module = h->module != NULL ? h->module : "core";
	return (v);
}

PT_API void
pt_hook_post_config(struct pt_hooks *h, pt_conf_hook_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_POST_CONFIG, order);

	if (e != NULL)
		e->u.conf = fn;
}

PT_API void
pt_hook_child_init(struct pt_hooks *h, pt_init_hook_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_CHILD_INIT, order);

	if (e != NULL)
		e->u.init = fn;
}

PT_API void
pt_hook_connection(struct pt_hooks *h, pt_conn_hook_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_CONNECTION, order);

	if (e != NULL)
		e->u.conn = fn;
}

PT_API void
pt_hook_connection_close(struct pt_hooks *h, pt_conn_hook_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_CONNECTION_CLOSE, order);

	if (e != NULL)
		e->u.conn = fn;
}

PT_API void
pt_hook_post_read_request(struct pt_hooks *h, pt_request_hook_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_POST_READ_REQUEST, order);

	if (e != NULL)
		e->u.req = fn;
}

PT_API void
pt_hook_translate(struct pt_hooks *h, pt_request_hook_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_TRANSLATE, order);

	if (e != NULL)
		e->u.req = fn;
}

PT_API void
pt_hook_fixups(struct pt_hooks *h, pt_request_hook_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_FIXUPS, order);

	if (e != NULL)
		e->u.req = fn;
}

PT_API void
pt_hook_access(struct pt_hooks *h, pt_request_hook_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_ACCESS, order);

	if (e != NULL)
		e->u.req = fn;
}

PT_API void
pt_hook_quick_handler(struct pt_hooks *h, pt_request_hook_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_QUICK_HANDLER, order);

	if (e != NULL)
		e->u.req = fn;
}

PT_API void
pt_hook_handler(struct pt_hooks *h, pt_request_hook_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_HANDLER, order);

	if (e != NULL)
		e->u.req = fn;
}

PT_API void
pt_hook_log(struct pt_hooks *h, pt_request_hook_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_LOG, order);

	if (e != NULL)
		e->u.req = fn;
}

PT_API void
pt_hook_periodic(struct pt_hooks *h, pt_periodic_fn fn, int order)
{
	struct hook_entry *e = hook_add(h, H_PERIODIC, order);

	if (e != NULL)
		e->u.periodic = fn;
}

PT_API void
pt_hook_response_filter(struct pt_hooks *h, const struct pt_filter_def *fn, int order)
{
	struct hook_entry *e = hook_add(h, H_RESPONSE_FILTER, order);

	if (e != NULL)
		e->u.filter = fn;
}

static int
hook_cmp(const void *a, const void *b)
{
	const struct hook_entry *x = a, *y = b;

	if (x->order != y->order)
		return (x->order < y->order ? -1 : 1);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

void
hooks_sort(struct pt_hooks *h)
{
	size_t i;

	for (i = 0; i < H__COUNT; i++)
		if (h->l[i].n > 1)
			qsort(h->l[i].v, h->l[i].n, sizeof(struct hook_entry),
			    hook_cmp);
}

const char *
hooks_failed_module(const struct pt_hooks *h)
{
	return (h->failed != NULL ? h->failed : "?");
}

bool
hooks_has(const struct pt_hooks *h, enum hook_id id)
{
	return (h != NULL && h->l[id].n > 0);
}

int
hooks_run_post_config(struct pt_hooks *h, struct pt_conf *conf)
{
	size_t i;

	for (i = 0; i < h->l[H_POST_CONFIG].n; i++) {
		if (h->l[H_POST_CONFIG].v[i].u.conf(conf) != PT_OK) {
			h->failed = h->l[H_POST_CONFIG].v[i].module;
			return (PT_ERROR);
		}
	}
	return (PT_OK);
}

int
hooks_run_child_init(struct pt_hooks *h, const struct pt_conf *conf)
{
	size_t i;

	for (i = 0; h != NULL && i < h->l[H_CHILD_INIT].n; i++) {
		if (h->l[H_CHILD_INIT].v[i].u.init(conf) != PT_OK) {
			PT_LOG(PT_LOG_ERR, "child_init of mod_%s failed",
			    h->l[H_CHILD_INIT].v[i].module);
			return (PT_ERROR);
		}
	}
	return (PT_OK);
}

int
hooks_run_all(const struct pt_hooks *h, enum hook_id id, struct pt_request *r)
{
	size_t	i;
	int	rc;

	for (i = 0; h != NULL && i < h->l[id].n; i++) {
		rc = h->l[id].v[i].u.req(r);
		if (rc != PT_OK && rc != PT_DECLINED)
			return (rc);
	}
	return (PT_OK);
}

int
hooks_run_first(const struct pt_hooks *h, enum hook_id id,
    struct pt_request *r)
{
	size_t	i;
	int	rc;

	for (i = 0; h != NULL && i < h->l[id].n; i++)
		if ((rc = h->l[id].v[i].u.req(r)) != PT_DECLINED)
			return (rc);
	return (PT_DECLINED);
}

void
hooks_run_conn(const struct pt_hooks *h, enum hook_id id, struct pt_conn *c)
{
	size_t i;

	for (i = 0; h != NULL && i < h->l[id].n; i++)
		(void)h->l[id].v[i].u.conn(c);
}

PT_API void
pt_hook_upstream_transport(struct pt_hooks *h, pt_upstream_transport_fn fn,
    int order)
{
	struct hook_entry *e = hook_add(h, H_UPSTREAM_TRANSPORT, order);

	if (e != NULL)
		e->u.upstream = fn;
}

PT_API void
pt_hook_upstream_check(struct pt_hooks *h, pt_upstream_transport_fn fn,
    int order)
{
	struct hook_entry *e = hook_add(h, H_UPSTREAM_CHECK, order);

	if (e != NULL)
		e->u.upstream = fn;
}

static int
hooks_run_upstream_id(const struct pt_hooks *h, enum hook_id id,
    struct pt_upstream *u)
{
	size_t	i;
	int	rc;

	for (i = 0; h != NULL && i < h->l[id].n; i++)
		if ((rc = h->l[id].v[i].u.upstream(u)) != PT_DECLINED)
			return (rc);
	return (PT_DECLINED);
}

int
hooks_run_upstream(const struct pt_hooks *h, struct pt_upstream *u)
{
	return (hooks_run_upstream_id(h, H_UPSTREAM_TRANSPORT, u));
}

int
hooks_run_upstream_check(const struct pt_hooks *h, struct pt_upstream *u)
{
	return (hooks_run_upstream_id(h, H_UPSTREAM_CHECK, u));
}

/* Every log hook runs, whatever the others return. */
void
hooks_run_log(const struct pt_hooks *h, struct pt_request *r)
{
	size_t i;

	for (i = 0; h != NULL && i < h->l[H_LOG].n; i++)
		(void)h->l[H_LOG].v[i].u.req(r);
}

int
hooks_run_conn_all(const struct pt_hooks *h, struct pt_conn *c)
{
	size_t	i;
	int	rc;

	for (i = 0; h != NULL && i < h->l[H_CONNECTION].n; i++)
		if ((rc = h->l[H_CONNECTION].v[i].u.conn(c)) == PT_DONE ||
		    rc == PT_ERROR)
			return (rc);
	return (PT_OK);
}

void
hooks_print(const struct pt_hooks *h, FILE *fp)
{
	const struct hook_entry	*e;
	size_t			 i, j;

	fprintf(fp, "hook order (first runs first; filters: first is "
	    "nearest the origin):\n");
	for (i = 0; i < H__COUNT; i++) {
		fprintf(fp, "  %s:", hook_names[i]);
		if (h == NULL || h->l[i].n == 0)
			fprintf(fp, " (none)");
		for (j = 0; h != NULL && j < h->l[i].n; j++) {
			e = &h->l[i].v[j];
			if (strcmp(e->module, "core") == 0)
				fprintf(fp, " core(%d)", e->order);
			else
				fprintf(fp, " mod_%s(%d)", e->module, e->order);
		}
		fprintf(fp, "\n");
	}
}
