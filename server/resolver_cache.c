/*
 * The resolver's pure parts: parsing a hosts file into a sorted table,
 * names and numeric addresses, the TTL policy, and the answer cache. No
 * I/O and no clock of its own (the caller passes now), so the unit test
 * drives it alone. c-ares, the settings and the files are resolver.c's.
 */
#include "config.h"

#include "resolver.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An address without the sockaddr around it: 20 bytes, not 128. */
struct rs_addr {
	int			 family;
	unsigned char		 a[16];
};

struct rs_host_ent {
	const char		*name;		/* normalized, in pool */
	unsigned int		 seq;		/* file order */
	struct rs_addr		 addr;
};

struct rs_hosts {
	struct rs_host_ent	*v;		/* sorted by name, then seq */
	size_t			 n, cap;
	char			*pool;		/* the text, cut in place */
};

struct rs_cache_ent {
	uint64_t		 hash;		/* 0: free */
	int			 family;	/* asked for: AF_UNSPEC too */
	int			 n;		/* 0: a negative answer */
	long long		 expires_ms;
	char			 name[RESOLVER_NAME_MAX + 1];
	struct rs_addr		 addrs[RESOLVER_MAX_ADDRS];
};

struct rs_cache {
	struct rs_cache_ent	*v;
	size_t			 n;
};

int
rs_name_normalize(const char *name, char *buf, size_t len)
{
	size_t i, n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > RESOLVER_NAME_MAX || n >= len)
		return (-1);
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[n] = '\0';
	return (0);
}

static void
rs_addr_to_ss(const struct rs_addr *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->a, 4);
	} else {
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->a, 16);
	}
}

static int
rs_addr_from_ss(const struct sockaddr_storage *ss, struct rs_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(a->a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(a->a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else
		return (-1);
	return (0);
}

static bool
rs_family_ok(int want, int have)
{
	return (want == AF_UNSPEC || want == have);
}

int
rs_numeric(const char *name, int family, struct sockaddr_storage *out)
{
	struct rs_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, name, a.a) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, name, a.a) == 1)
		a.family = AF_INET6;
	else
		return (0);
	if (!rs_family_ok(family, a.family))
		return (0);
	rs_addr_to_ss(&a, out);
	return (1);
}

bool
rs_is_localhost(const char *name)
{
	char	buf[RESOLVER_NAME_MAX + 1];
	size_t	n;

	if (rs_name_normalize(name, buf, sizeof(buf)) == -1)
		return (false);
	n = strlen(buf);
	return (strcmp(buf, "localhost") == 0 ||
	    (n > 10 && strcmp(buf + n - 10, ".localhost") == 0));
}

int
rs_localhost(int family, struct sockaddr_storage *out, int max)
{
	int n = 0;

	if (max > n && rs_family_ok(family, AF_INET))
		n += rs_numeric("127.0.0.1", AF_INET, &out[n]);
	if (max > n && rs_family_ok(family, AF_INET6))
		n += rs_numeric("::1", AF_INET6, &out[n]);
	return (n);
}

/* Hosts files. */

static int
rs_hosts_add(struct rs_hosts *h, const char *name, const struct rs_addr *a)
{
	struct rs_host_ent	*v;
	size_t			 cap;

	if (h->n == h->cap) {
		cap = h->cap ? h->cap * 2 : 32;
		if ((v = realloc(h->v, cap * sizeof(*v))) == NULL)
			return (-1);
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n].name = name;
	h->v[h->n].seq = (unsigned int)h->n;
	h->v[h->n].addr = *a;
	h->n++;
	return (0);
}

/* The next blank-separated field of line, cut in place; NULL at the end. */
static char *
rs_field(char **line)
{
	char *p = *line, *start;

	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p == '\0')
		return (NULL);
	start = p;
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*line = p;
	return (start);
}

/* One line: "address name [alias...]"; a zone ("fe80::1%eth0") is skipped. */
static int
rs_hosts_line(struct rs_hosts *h, char *line)
{
	struct rs_addr	 a;
	char		*f, *hash;

	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	if ((f = rs_field(&line)) == NULL)
		return (0);
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, f, a.a) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, f, a.a) == 1)
		a.family = AF_INET6;
	else
		return (0);
	while ((f = rs_field(&line)) != NULL) {
		/* In place: a normalized name is never longer. */
		if (rs_name_normalize(f, f, strlen(f) + 1) == -1)
			continue;
		if (rs_hosts_add(h, f, &a) == -1)
			return (-1);
	}
	return (0);
}

static int
rs_host_cmp(const void *x, const void *y)
{
	const struct rs_host_ent *a = x, *b = y;
	int c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return (c);
	return (a->seq < b->seq ? -1 : a->seq > b->seq);
}

struct rs_hosts *
rs_hosts_parse(const char *text, size_t len)
{
	struct rs_hosts	*h;
	char		*p, *nl;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (NULL);
	if ((h->pool = malloc(len + 1)) == NULL)
		goto fail;
	memcpy(h->pool, text, len);
	h->pool[len] = '\0';
	for (p = h->pool; p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if (rs_hosts_line(h, p) == -1)
			goto fail;
	}
	if (h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), rs_host_cmp);
	return (h);
 fail:
	rs_hosts_free(h);
	return (NULL);
}

void
rs_hosts_free(struct rs_hosts *h)
{
	if (h == NULL)
		return;
	free(h->v);
	free(h->pool);
	free(h);
}

size_t
rs_hosts_count(const struct rs_hosts *h)
{
	return (h != NULL ? h->n : 0);
}

/* The first entry for name (lower bound), or h->n. */
static size_t
rs_hosts_first(const struct rs_hosts *h, const char *name)
{
	size_t lo = 0, hi = h->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(h->v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

static bool
rs_addr_in(const struct rs_addr *a, const struct rs_addr *v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (memcmp(&v[i], a, sizeof(*a)) == 0)
			return (true);
	return (false);
}

int
rs_hosts_find(const struct rs_hosts *h, const char *name, int family,
    struct sockaddr_storage *out, int max)
{
	struct rs_addr	seen[RESOLVER_MAX_ADDRS];
	char		key[RESOLVER_NAME_MAX + 1];
	size_t		i;
	int		n = 0;

	if (h == NULL || rs_name_normalize(name, key, sizeof(key)) == -1)
		return (0);
	if (max > RESOLVER_MAX_ADDRS)
		max = RESOLVER_MAX_ADDRS;
	for (i = rs_hosts_first(h, key); i < h->n && n < max &&
	    strcmp(h->v[i].name, key) == 0; i++) {
		if (!rs_family_ok(family, h->v[i].addr.family) ||
		    rs_addr_in(&h->v[i].addr, seen, n))
			continue;
		seen[n] = h->v[i].addr;
		rs_addr_to_ss(&seen[n], &out[n]);
		n++;
	}
	return (n);
}

/* The cache. */

long long
rs_ttl_ms(bool positive, unsigned int ttl_s, long long min_ms,
    long long max_ms, long long neg_ms)
{
	long long ms = (long long)ttl_s * 1000;

	if (!positive)
		return (neg_ms);
	if (ms < min_ms)
		ms = min_ms;
	if (ms > max_ms)
		ms = max_ms;
	return (ms);
}

/* FNV-1a; never 0, which marks a free entry. */
static uint64_t
rs_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (h != 0 ? h : 1);
}

struct rs_cache *
rs_cache_new(size_t nentries)
{
	struct rs_cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	if ((c->v = calloc(nentries, sizeof(*c->v))) == NULL) {
		free(c);
		return (NULL);
	}
	c->n = nentries;
	return (c);
}

void
rs_cache_free(struct rs_cache *c)
{
	if (c == NULL)
		return;
	free(c->v);
	free(c);
}

void
rs_cache_clear(struct rs_cache *c)
{
	if (c != NULL)
		memset(c->v, 0, c->n * sizeof(*c->v));
}

static struct rs_cache_ent *
rs_cache_find(struct rs_cache *c, const char *key, uint64_t h, int family)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].hash == h && c->v[i].family == family &&
		    strcmp(c->v[i].name, key) == 0)
			return (&c->v[i]);
	return (NULL);
}

/* A free entry, else an expired one, else the one expiring soonest. */
static struct rs_cache_ent *
rs_cache_victim(struct rs_cache *c, long long now)
{
	struct rs_cache_ent	*best = NULL;
	size_t			 i;

	for (i = 0; i < c->n; i++) {
		if (c->v[i].hash == 0 || c->v[i].expires_ms <= now)
			return (&c->v[i]);
		if (best == NULL || c->v[i].expires_ms < best->expires_ms)
			best = &c->v[i];
	}
	return (best);
}

void
rs_cache_put(struct rs_cache *c, const char *name, int family,
    const struct sockaddr_storage *addrs, int n, long long ttl_ms,
    long long now)
{
	struct rs_cache_ent	*e;
	char			 key[RESOLVER_NAME_MAX + 1];
	uint64_t		 h;
	int			 i, k = 0;

	if (c == NULL || c->n == 0 || ttl_ms <= 0 ||
	    rs_name_normalize(name, key, sizeof(key)) == -1)
		return;
	h = rs_hash(key);
	if ((e = rs_cache_find(c, key, h, family)) == NULL &&
	    (e = rs_cache_victim(c, now)) == NULL)
		return;
	memset(e, 0, sizeof(*e));
	for (i = 0; i < n && k < RESOLVER_MAX_ADDRS; i++)
		if (rs_addr_from_ss(&addrs[i], &e->addrs[k]) == 0 &&
		    !rs_addr_in(&e->addrs[k], e->addrs, k))
			k++;
	e->hash = h;
	e->family = family;
	e->n = k;
	e->expires_ms = now + ttl_ms;
	memcpy(e->name, key, strlen(key) + 1);
}

int
rs_cache_get(struct rs_cache *c, const char *name, int family, long long now,
    struct sockaddr_storage *out, int max, int *n, unsigned int *ttl_s)
{
	struct rs_cache_ent	*e;
	char			 key[RESOLVER_NAME_MAX + 1];
	int			 i;

	*n = 0;
	if (c == NULL || rs_name_normalize(name, key, sizeof(key)) == -1 ||
	    (e = rs_cache_find(c, key, rs_hash(key), family)) == NULL)
		return (-1);
	if (e->expires_ms <= now) {
		e->hash = 0;
		return (-1);
	}
	if (ttl_s != NULL)
		*ttl_s = (unsigned int)((e->expires_ms - now + 999) / 1000);
	for (i = 0; i < e->n && i < max; i++)
		rs_addr_to_ss(&e->addrs[i], &out[i]);
	*n = i;
	return (e->n > 0 ? 1 : 0);
}
