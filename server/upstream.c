/*
 * Upstream pools at run time: the shared state segment of each pool
 * (mapped by the master at every load, kept across graceful restarts),
 * the addresses of its servers, and choosing a server for a request
 * (sticky cookie, backups, then balance.c). Connections and passive
 * health are upstream_conn.c's; health checks the helper's.
 */
#include "config.h"

#include "upstream.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <portier/request.h>
#include <portier/shm.h>
#include "balance.h"
#include "core.h"
#include "resolver.h"
#include "vars.h"

#define UPS_MAGIC	0x50545550u	/* "PTUP" */

/* At the start of each pool's segment: what the layout was built for. */
struct ups_head {
	uint32_t		 magic;
	uint32_t		 nservers;
	uint32_t		 nslots;
	uint32_t		 pad;
};

/* Rounded up to keep what follows aligned for struct sockaddr_storage. */
#define UPS_HEAD_SIZE	((sizeof(struct ups_head) + 15) & ~(size_t)15)

/*
 * The segment's name: the pool's name and a hash of its servers'
 * addresses in order. State (counts, health, resolved addresses) then
 * carries over a restart only to the very same servers: a pool whose
 * list changed, even at the same length, starts afresh rather than
 * giving one server's failures or connection counts to another.
 */
static void
ups_segment_name(const struct conf_upstream *up, char *buf, size_t len)
{
	uint64_t	h = 0;
	size_t		i;

	for (i = 0; i < up->nservers; i++)
		h = bal_hash(up->servers[i].address,
		    strlen(up->servers[i].address) + 1, h);
	snprintf(buf, len, "%s@%016llx", up->name, (unsigned long long)h);
}

/* The master's formula (master_run): slots for workers.max twice, plus 8. */
static unsigned int
ups_nslots(const struct pt_conf *cf)
{
	if (pt_scoreboard != NULL)
		return (pt_scoreboard->nslots);
	return ((unsigned int)cf->workers.max * 2 + 8);
}

static int
ups_resolve_unix(const struct upstream_server *s, struct sockaddr_storage *ss)
{
	struct sockaddr_un *sa = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", s->unix_path);
	return (1);
}

/*
 * Up to 4 distinct addresses for s; 0 (logged) when none. Blocking: host
 * names go through the resolver (hosts file, then DNS within its
 * timeout), numeric addresses and sockets need no lookup.
 */
static int
ups_resolve(const struct upstream_server *s, struct sockaddr_storage *out,
    int level)
{
	unsigned int	ttl;
	int		n = 0, i;

	if (s->kind == UPS_UNIX)
		return (ups_resolve_unix(s, out));
	if (resolver_lookup(s->host, AF_UNSPEC, out, 4, &n, &ttl) == -1) {
		PT_LOG(level, "%s:%d: upstream %s: server %s: cannot "
		    "resolve: %s", s->file, s->line, s->pool->name, s->address,
		    resolver_strerror(errno));
		return (0);
	}
	for (i = 0; i < n; i++) {
		if (out[i].ss_family == AF_INET)
			((struct sockaddr_in *)&out[i])->sin_port =
			    htons((uint16_t)s->port);
		else
			((struct sockaddr_in6 *)&out[i])->sin6_port =
			    htons((uint16_t)s->port);
	}
	return (n);
}

/*
 * Addresses at load: numeric ones and sockets once, into a fresh segment;
 * host names at every load. A name that does not resolve refuses a first
 * load (unless the server is configured down); on a reload it keeps the
 * addresses it had.
 */
static int
ups_server_addrs(struct upstream_server *s, bool fresh)
{
	struct sockaddr_storage	 addrs[4];
	struct upstream_state	*st = &s->pool->state[s->index];
	int			 n;

	if (!fresh && s->kind != UPS_NAME)
		return (0);
	n = ups_resolve(s, addrs, fresh && !s->down ? PT_LOG_ERR : PT_LOG_WARN);
	if (n > 0) {
		upstream_server_addrs_set(s, addrs, n);
		return (0);
	}
	if (!fresh && __atomic_load_n(&st->naddrs, __ATOMIC_ACQUIRE) > 0) {
		PT_LOG(PT_LOG_WARN, "upstream %s: server %s: keeping the "
		    "addresses it had", s->pool->name, s->address);
		return (0);
	}
	/* Configured down: it takes no requests, so it need not resolve. */
	return (s->down ? 0 : -1);
}

/*
 * Stable across restarts and workers, without naming the address.
 * XXX: unsalted, so 48 bits that could be searched for a guessable
 * private address; a per-install secret would close that.
 */
static void
ups_sticky_id(struct upstream_server *s)
{
	uint64_t h;

	h = bal_hash(s->pool->name, strlen(s->pool->name) + 1, 0);
	h = bal_hash(s->address, strlen(s->address), h);
	snprintf(s->sticky_id, sizeof(s->sticky_id), "%012llx",
	    (unsigned long long)(h & 0xffffffffffffULL));
}

/* Maps (or finds again) the pool's segment and lays it out. */
static int
ups_pool_init(struct pt_conf *cf, struct conf_upstream *up)
{
	struct ups_head	*head;
	char		 name[128];
	size_t		 size, i;
	unsigned int	 nslots = ups_nslots(cf);
	bool		 fresh;

	ups_segment_name(up, name, sizeof(name));
	size = UPS_HEAD_SIZE + up->nservers * sizeof(struct upstream_state) +
	    (size_t)nslots * up->nservers * sizeof(struct upstream_ledger);
	if ((head = pt_shm_segment("upstream", name, size, &fresh)) == NULL) {
		PT_LOG_ERRNO(PT_LOG_ERR, "%s:%d: upstream %s: shared memory "
		    "(%zu bytes)", up->file, up->line, up->name, size);
		return (-1);
	}
	if (fresh) {
		head->magic = UPS_MAGIC;
		head->nservers = (uint32_t)up->nservers;
		head->nslots = nslots;
	} else if (head->magic != UPS_MAGIC ||
	    head->nservers != up->nservers || head->nslots != nslots) {
		PT_LOG(PT_LOG_ERR, "upstream %s: shared state has another "
		    "layout", up->name);
		return (-1);
	}
	up->state = (struct upstream_state *)(void *)((char *)head +
	    UPS_HEAD_SIZE);
	up->ledger = (struct upstream_ledger *)(void *)(up->state +
	    up->nservers);
	up->ledger_slots = nslots;
	if ((up->bal = pt_calloc(cf->arena, up->nservers,
	    sizeof(*up->bal))) == NULL)
		return (-1);
	for (i = 0; i < up->nservers; i++) {
		ups_sticky_id(&up->servers[i]);
		up->bal[i].weight = up->servers[i].weight;
		up->bal[i].backup = up->servers[i].backup;
		up->bal[i].id = bal_hash(up->servers[i].address,
		    strlen(up->servers[i].address), 0);
		if (ups_server_addrs(&up->servers[i], fresh) == -1)
			return (-1);
		/* Checks removed: nothing will ever bring the server back. */
		if (!fresh && up->health_path == NULL) {
			__atomic_store_n(&up->state[i].health_down, 0,
			    __ATOMIC_RELAXED);
			__atomic_store_n(&up->state[i].health_streak, 0,
			    __ATOMIC_RELAXED);
		}
	}
	return (0);
}

/*
 * The pool's socket tick: short enough for the shortest proxy timeout of
 * the routes that use it, at most a second, like the client sockets'.
 */
static long long
ups_tick(const struct pt_conf *cf, const struct conf_upstream *up)
{
	const struct conf_route	*rt;
	long long		 t = 1000;
	size_t			 i, j;

	for (i = 0; i < cf->nservers; i++)
		for (j = 0; j < cf->servers[i].nroutes; j++) {
			rt = &cf->servers[i].routes[j];
			if (rt->upstream != up)
				continue;
			if (rt->sc.proxy.read_timeout_ms < t)
				t = rt->sc.proxy.read_timeout_ms;
			if (rt->sc.proxy.send_timeout_ms < t)
				t = rt->sc.proxy.send_timeout_ms;
		}
	return (t < 10 ? 10 : t);
}

int
upstream_init(struct pt_conf *cf)
{
	size_t i;

	for (i = 0; i < cf->nupstreams; i++) {
		cf->upstreams[i].tick_ms = ups_tick(cf, &cf->upstreams[i]);
		if (ups_pool_init(cf, &cf->upstreams[i]) == -1)
			return (-1);
	}
	return (0);
}

const char *
upstream_sticky_value(const struct upstream_server *s)
{
	return (s->sticky_id);
}

static bool
ups_tried(const struct upstream_server *s, struct upstream_server *const *t,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i] == s)
			return (true);
	return (false);
}

/* The server the request's sticky cookie names, when it can take it. */
static struct upstream_server *
ups_sticky(struct conf_upstream *up, struct pt_request *r, long long now,
    struct upstream_server *const *tried, size_t ntried)
{
	struct upstream_server	*s;
	struct pt_str		 v;
	char			 tmp[64];
	size_t			 i;

	if (var_lookup(r, up->sticky_var, strlen(up->sticky_var), &v, tmp,
	    sizeof(tmp)) == -1 || v.len != 12)
		return (NULL);
	for (i = 0; i < up->nservers; i++) {
		s = &up->servers[i];
		if (memcmp(s->sticky_id, v.p, 12) == 0)
			return (!ups_tried(s, tried, ntried) &&
			    upstream_is_available_sticky(s, &up->state[i],
			    now) ? s : NULL);
	}
	return (NULL);
}

/* The key for ip_hash (the client address's bytes) and hash. */
static uint64_t
ups_key(struct conf_upstream *up, struct pt_request *r)
{
	unsigned char	 a[16];
	const char	*k;

	if (r == NULL)
		return (0);
	if (up->balance == BAL_IP_HASH) {
		k = pt_req_client_addr(r);
		if (inet_pton(AF_INET, k, a) == 1)
			return (bal_hash(a, 4, 0));
		if (inet_pton(AF_INET6, k, a) == 1)
			return (bal_hash(a, 16, 0));
		return (bal_hash(k, strlen(k), 0));
	}
	if (up->balance == BAL_HASH && up->hash_key != NULL &&
	    (k = pt_req_expand(r, up->hash_key)) != NULL)
		return (bal_hash(k, strlen(k), 0));
	return (0);
}

/* Slow start counts from when the server came back: health or passive. */
static long long
ups_up_since(const struct upstream_state *st)
{
	long long a, b;

	a = __atomic_load_n(&st->up_since_ms, __ATOMIC_RELAXED);
	b = __atomic_load_n(&st->down_until_ms, __ATOMIC_RELAXED);
	return (a > b ? a : b);
}

struct upstream_server *
upstream_pick(struct conf_upstream *up, struct pt_request *r,
    struct upstream_server *const *tried, size_t ntried)
{
	struct upstream_server	*s;
	struct bal_server	*b;
	struct upstream_state	*st;
	long long		 now = now_ms();
	size_t			 i;
	int			 k;

	if (up->bal == NULL || up->state == NULL)
		return (NULL);
	if (up->sticky_var != NULL && r != NULL &&
	    (s = ups_sticky(up, r, now, tried, ntried)) != NULL)
		return (s);
	for (i = 0; i < up->nservers; i++) {
		s = &up->servers[i];
		st = &up->state[i];
		b = &up->bal[i];
		b->avail = !ups_tried(s, tried, ntried) &&
		    upstream_is_available(s, st, now);
		b->conns = __atomic_load_n(&st->conns, __ATOMIC_RELAXED);
		b->eff = bal_slow_start(s->weight, now, ups_up_since(st),
		    up->slow_start_ms);
	}
	/* The master never picks: each worker seeds its own sequence. */
	if (up->rng == 0)
		up->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)now ^
		    (uint64_t)(uintptr_t)up;
	if ((k = bal_pick(up->balance, up->bal, up->nservers, ups_key(up, r),
	    &up->rng)) == -1)
		return (NULL);
	return (&up->servers[k]);
}
