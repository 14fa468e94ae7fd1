/*
 * Choosing the server and the route of a request. Pure: reads the request
 * head, its normalised path and client address, and the configuration;
 * no I/O, no allocation. Conditions read headers and cookies through the
 * core's variables (vars.c), so they mean what %{header.X} means in logs.
 */
#include "config.h"

#include "route.h"

#include <ctype.h>
#include <string.h>

#include "core.h"
#include "rx.h"
#include "vars.h"

size_t
route_host_normalize(const char *host, size_t len, char *out, size_t outlen)
{
	size_t i, k;

	/* Compare without the port; an IPv6 literal keeps its brackets. */
	for (k = len; k > 0; k--) {
		if (host[k - 1] == ':') {
			len = k - 1;
			break;
		}
		if (host[k - 1] < '0' || host[k - 1] > '9')
			break;
	}
	if (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len >= outlen)
		return (0);
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)host[i]);
	out[len] = '\0';
	return (len);
}

bool
route_host_match(const struct conf_host *h, const char *host, size_t len)
{
	switch (h->kind) {
	case HOST_EXACT:
		return (len == h->len && memcmp(host, h->name, len) == 0);
	case HOST_WILDCARD:
		/* ".example.com" after at least one character. */
		return (len > h->len &&
		    memcmp(host + len - h->len, h->name, h->len) == 0);
	case HOST_REGEX:
		return (rx_match(h->rx, host, len) == 1);
	}
	return (false);
}

static bool
server_on_listener(const struct conf_server *s, const char *text)
{
	size_t i;

	for (i = 0; i < s->nlisten; i++)
		if (strcmp(s->listen[i].text, text) == 0)
			return (true);
	return (false);
}

/* The first server on the listener with a regex name matching host. */
static const struct conf_server *
server_by_regex(const struct pt_conf *cf, const char *text, const char *host,
    size_t len)
{
	const struct conf_server	*s;
	size_t				 i, j;

	for (i = 0; i < cf->nservers; i++) {
		s = &cf->servers[i];
		if (!server_on_listener(s, text))
			continue;
		for (j = 0; j < s->nhosts; j++)
			if (s->hosts[j].kind == HOST_REGEX &&
			    route_host_match(&s->hosts[j], host, len))
				return (s);
	}
	return (NULL);
}

const struct conf_server *
route_find_server(const struct pt_conf *cf, const char *text,
    const char *rawhost, size_t rawlen)
{
	const struct conf_server	*s, *first = NULL, *def = NULL;
	const struct conf_server	*wild = NULL, *rs;
	const struct conf_host		*h;
	char				 host[256];
	size_t				 i, j, len, wlen = 0;
	bool				 regexes = false;

	len = route_host_normalize(rawhost, rawlen, host, sizeof(host));
	for (i = 0; i < cf->nservers; i++) {
		s = &cf->servers[i];
		if (!server_on_listener(s, text))
			continue;
		if (first == NULL)
			first = s;
		if (s->is_default && def == NULL)
			def = s;
		for (j = 0; j < s->nhosts && len > 0; j++) {
			h = &s->hosts[j];
			if (h->kind == HOST_REGEX)
				regexes = true;
			else if (h->kind == HOST_EXACT &&
			    route_host_match(h, host, len))
				return (s);
			else if (h->kind == HOST_WILDCARD && h->len > wlen &&
			    route_host_match(h, host, len)) {
				wild = s;
				wlen = h->len;
			}
		}
	}
	if (wild != NULL)
		return (wild);
	if (regexes && (rs = server_by_regex(cf, text, host, len)) != NULL)
		return (rs);
	if (def != NULL)
		return (def);
	return (first != NULL ? first : &cf->servers[0]);
}

/* A header or cookie condition, read through the core's variables. */
static bool
field_cond_holds(const struct conf_field_cond *c, const struct pt_request *r)
{
	struct pt_str	v;
	char		buf[64];
	bool		found;

	found = var_lookup(r, c->var, c->varlen, &v, buf, sizeof(buf)) == 0;
	if (c->rx != NULL)
		return (found && rx_match(c->rx, v.p, v.len) == 1);
	if (c->value != NULL)
		return (found && v.len == strlen(c->value) &&
		    memcmp(v.p, c->value, v.len) == 0);
	return (found == c->present);
}

static bool
route_conds_hold(const struct conf_route *rt, const struct pt_request *r)
{
	const struct pt_str	*m = &r->head.method;
	size_t			 i;

	if (rt->methods.n > 0) {
		for (i = 0; i < rt->methods.n; i++)
			if (strlen(rt->methods.v[i]) == m->len &&
			    memcmp(rt->methods.v[i], m->p, m->len) == 0)
				break;
		if (i == rt->methods.n)
			return (false);
	}
	if (rt->client.n > 0 && !cidr_list_match(&rt->client, &r->conn->peer))
		return (false);
	for (i = 0; i < rt->nheaders; i++)
		if (!field_cond_holds(&rt->headers[i], r))
			return (false);
	for (i = 0; i < rt->ncookies; i++)
		if (!field_cond_holds(&rt->cookies[i], r))
			return (false);
	return (true);
}

bool
route_matches(const struct conf_route *rt, const struct pt_request *r)
{
	const char *path = r->path;

	switch (rt->kind) {
	case ROUTE_PREFIX:
		if (strncmp(path, rt->path, rt->path_len) != 0)
			return (false);
		break;
	case ROUTE_EXACT:
		if (strcmp(path, rt->path) != 0)
			return (false);
		break;
	case ROUTE_REGEX:
		if (rx_match(rt->rx, path, strlen(path)) != 1)
			return (false);
		break;
	}
	return (!rt->has_conds || route_conds_hold(rt, r));
}

const struct conf_route *
route_find(const struct conf_server *s, const struct pt_request *r)
{
	size_t i;

	for (i = 0; i < s->nroutes; i++)
		if (route_matches(&s->routes[i], r))
			return (&s->routes[i]);
	return (NULL);
}
