/*
 * Host-name upstream servers kept current by the helper process: each is
 * looked up again when its answer runs out (its TTL, at most the pool's
 * resolve_interval apart) without blocking, and its addresses in the
 * shared state are replaced when the set changed; workers then drop idle
 * connections to addresses that went away (upstream_conn.c). The first
 * lookup is the master's, at load (upstream.c).
 */
#include "config.h"

#include "upstream.h"

#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "resolver.h"

#define DNS_TICK_MS	20	/* between steps while lookups are in flight */
#define DNS_RETRY_MS	5000	/* after a failure that is not an answer */
#define DNS_MIN_MS	1000	/* the shortest TTL honoured */
#define DNS_IDLE_MS	60000	/* no host names at all */

struct dns_entry {
	struct upstream_server	*s;
	long long		 next_ms;	/* look up again from then */
	bool			 inflight;
	bool			 failing;	/* logged once, until it resolves */
};

/* The helper's own: it runs one configuration for its whole life. */
static struct {
	const struct pt_conf	*cf;
	struct dns_entry	*v;
	size_t			 n;
} dns;

static void
dns_init(const struct pt_conf *cf)
{
	struct conf_upstream	*up;
	size_t			 i, j, n = 0;

	free(dns.v);
	dns.v = NULL;
	dns.n = 0;
	dns.cf = cf;
	for (i = 0; i < cf->nupstreams; i++)
		for (j = 0; j < cf->upstreams[i].nservers; j++)
			n += cf->upstreams[i].servers[j].kind == UPS_NAME;
	if (n == 0 || (dns.v = calloc(n, sizeof(*dns.v))) == NULL)
		return;
	for (i = 0; i < cf->nupstreams; i++) {
		up = &cf->upstreams[i];
		if (up->state == NULL)
			continue;
		for (j = 0; j < up->nservers; j++)
			if (up->servers[j].kind == UPS_NAME)
				dns.v[dns.n++].s = &up->servers[j];
	}
}

static void
dns_set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

/* Whether a and b hold the same addresses, in any order (DNS rotates). */
static bool
dns_same_set(const struct sockaddr_storage *a, int na,
    const struct sockaddr_storage *b, int nb)
{
	int i, j;

	if (na != nb)
		return (false);
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (memcmp(&a[i], &b[j], sizeof(a[i])) == 0)
				break;
		if (j == nb)
			return (false);
	}
	return (true);
}

/* "127.0.0.1:80, [::1]:80" for the log (the error log only). */
static const char *
dns_text(const struct sockaddr_storage *v, int n, char *buf, size_t len)
{
	char	host[64], port[8];
	size_t	off = 0;
	int	i;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		addr_format(&v[i], host, sizeof(host), port, sizeof(port));
		off += (size_t)snprintf(buf + off, len - off, "%s%s%s%s:%s",
		    i ? ", " : "", v[i].ss_family == AF_INET6 ? "[" : "", host,
		    v[i].ss_family == AF_INET6 ? "]" : "", port);
	}
	return (n > 0 ? buf : "nothing");
}

static void
dns_apply(struct upstream_server *s, const struct sockaddr_storage *in, int n)
{
	struct sockaddr_storage	addrs[4], old[4];
	char			was[256], now[256];
	int			i, nold;

	n = n > 4 ? 4 : n;
	for (i = 0; i < n; i++) {
		addrs[i] = in[i];
		dns_set_port(&addrs[i], s->port);
	}
	nold = upstream_server_addrs(s, old, 4);
	if (dns_same_set(addrs, n, old, nold))
		return;
	upstream_server_addrs_set(s, addrs, n);
	PT_LOG(PT_LOG_NOTICE, "upstream %s: server %s now resolves to %s "
	    "(was %s)", s->pool->name, s->address,
	    dns_text(addrs, n, now, sizeof(now)),
	    dns_text(old, nold, was, sizeof(was)));
}

/*
 * The end of one lookup. A failure keeps the addresses the server had: a
 * DNS outage must not empty a pool that still works.
 */
static void
dns_done(void *arg, int err, const struct sockaddr_storage *addrs, int n,
    unsigned int ttl_s)
{
	struct dns_entry	*e = arg;
	struct upstream_server	*s = e->s;
	long long		 wait;

	e->inflight = false;
	wait = ttl_s == RESOLVER_TTL_FOREVER ? s->pool->resolve_interval_ms :
	    (long long)ttl_s * 1000;
	if (err == 0) {
		dns_apply(s, addrs, n);
		if (e->failing)
			PT_LOG(PT_LOG_NOTICE, "upstream %s: server %s resolves "
			    "again", s->pool->name, s->address);
		e->failing = false;
	} else {
		if (err != ENOENT)
			wait = DNS_RETRY_MS;
		if (!e->failing)
			PT_LOG(PT_LOG_WARN, "upstream %s: server %s: cannot "
			    "resolve %s: %s; keeping the addresses it had",
			    s->pool->name, s->address, s->host,
			    resolver_strerror(err));
		e->failing = true;
	}
	if (wait < DNS_MIN_MS)
		wait = DNS_MIN_MS;
	if (wait > s->pool->resolve_interval_ms)
		wait = s->pool->resolve_interval_ms;
	e->next_ms = now_ms() + wait;
}

/*
 * One step: start the lookups that are due, then one zero-timeout step
 * over those in flight. Returns when to come back: a short tick while
 * any is in flight, else the earliest next lookup.
 */
long long
upstream_dns_periodic(const struct pt_conf *cf, long long now)
{
	struct dns_entry	*e;
	long long		 soonest = DNS_IDLE_MS, step;
	size_t			 i;

	if (dns.cf != cf)
		dns_init(cf);
	for (i = 0; i < dns.n; i++) {
		e = &dns.v[i];
		if (e->inflight || e->next_ms > now)
			continue;
		e->inflight = true;
		if (resolver_start(e->s->host, AF_UNSPEC, dns_done, e) == -1) {
			e->inflight = false;
			e->next_ms = now + DNS_RETRY_MS;
		}
	}
	step = resolver_step(DNS_TICK_MS);
	now = now_ms();
	for (i = 0; i < dns.n; i++) {
		e = &dns.v[i];
		if (e->inflight && (step < 0 ? DNS_TICK_MS : step) < soonest)
			soonest = step < 0 ? DNS_TICK_MS : step;
		else if (e->next_ms - now < soonest)
			soonest = e->next_ms - now;
	}
	return (soonest < 1 ? 1 : soonest);
}
