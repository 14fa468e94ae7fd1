/*
 * Unit tests for route_match.c on hand-built configurations: routes by
 * prefix, exact path and regex with their conditions (methods, client,
 * headers, cookies), first match in config order; server selection by
 * host (exact > longest wildcard > first regex > default > first).
 */
#include "config.h"

#include "route.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena_priv.h"
#include "core.h"
#include "rx.h"
#include "unit.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct pt_arena	*arena;

static int
setup(void)
{
	return ((arena = pt_arena_new(4096, 0)) == NULL ? -1 : 0);
}

static int
teardown(void)
{
	pt_arena_free(arena);
	return (0);
}

static struct rx *
compile(const char *re, unsigned int flags)
{
	char		 err[160];
	struct rx	*rx = rx_compile(arena, re, flags, err, sizeof(err));

	if (rx == NULL)
		fprintf(stderr, "regex %s: %s\n", re, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	return (rx);
}

/* One route of the table: a match and its conditions, in config text. */
struct route_spec {
	enum route_kind	 kind;
	const char	*match;
	const char	*methods;	/* "GET HEAD", or NULL */
	const char	*client;	/* "10.0.0.0/8 ::1", or NULL */
	const char	*header;	/* "X-Env=beta", "X-Env=~^be", "X-Env?",
					   "X-Env!" (absent), or NULL */
	const char	*cookie;	/* same shape */
};

static const struct route_spec route_specs[] = {
	/* 0 */ { ROUTE_PREFIX, "/api/", "POST PUT", NULL, NULL, NULL },
	/* 1 */ { ROUTE_PREFIX, "/api/", NULL, NULL, "X-Env=beta", NULL },
	/* 2 */ { ROUTE_PREFIX, "/api/", NULL, NULL, NULL, "ab=b" },
	/* 3 */ { ROUTE_EXACT, "/login", NULL, NULL, NULL, NULL },
	/* 4 */ { ROUTE_REGEX, "^/img/.*\\.(png|jpg)$", NULL, NULL, NULL, NULL },
	/* 5 */ { ROUTE_PREFIX, "/admin/", NULL, "10.0.0.0/8 ::1", NULL, NULL },
	/* 6 */ { ROUTE_PREFIX, "/flag/", NULL, NULL, "X-Flag?", NULL },
	/* 7 */ { ROUTE_PREFIX, "/flag/", NULL, NULL, "X-Flag!", "sid?" },
	/* 8 */ { ROUTE_PREFIX, "/rx/", NULL, NULL, "X-Env=~^be", NULL },
	/* 9 */ { ROUTE_PREFIX, "/api/", NULL, NULL, NULL, NULL },
	/* 10 */ { ROUTE_PREFIX, "/static", NULL, NULL, NULL, NULL },
	/* 11 */ { ROUTE_EXACT, "/", "GET", NULL, NULL, NULL },
};

static void
cond_from_spec(struct conf_field_cond *c, const char *spec, const char *pfx)
{
	const char	*op = spec + strcspn(spec, "=?!");

	c->name = pt_strndup(arena, spec, (size_t)(op - spec));
	c->var = pt_printf(arena, "%s.%s", pfx, c->name);
	c->varlen = strlen(c->var);
	c->present = *op != '!';
	if (*op == '=') {
		c->value = op + 1;
		if (op[1] == '~')
			c->rx = compile(op + 2, 0);
	}
}

static size_t
split(const char *s, const char ***out)
{
	char	*copy = pt_strdup(arena, s), *tok, *save = NULL;
	size_t	 n = 0;

	*out = pt_calloc(arena, 8, sizeof(**out));
	for (tok = strtok_r(copy, " ", &save); tok != NULL && n < 8;
	    tok = strtok_r(NULL, " ", &save))
		(*out)[n++] = tok;
	return (n);
}

static void
route_from_spec(struct conf_route *rt, const struct route_spec *sp)
{
	const char	**v;
	size_t		  i, n;

	memset(rt, 0, sizeof(*rt));
	rt->kind = sp->kind;
	rt->path = sp->match;
	rt->path_len = sp->kind == ROUTE_REGEX ? 0 : strlen(sp->match);
	if (sp->kind == ROUTE_REGEX)
		rt->rx = compile(sp->match, 0);
	if (sp->methods != NULL)
		rt->methods.n = split(sp->methods, &rt->methods.v);
	if (sp->client != NULL) {
		n = split(sp->client, &v);
		rt->client.v = pt_calloc(arena, n, sizeof(*rt->client.v));
		for (i = 0; i < n; i++)
			CU_ASSERT_EQUAL(cidr_parse(v[i], &rt->client.v[i]), 0);
		rt->client.n = n;
	}
	if (sp->header != NULL) {
		rt->headers = pt_calloc(arena, 1, sizeof(*rt->headers));
		cond_from_spec(rt->headers, sp->header, "header");
		rt->nheaders = 1;
	}
	if (sp->cookie != NULL) {
		rt->cookies = pt_calloc(arena, 1, sizeof(*rt->cookies));
		cond_from_spec(rt->cookies, sp->cookie, "cookie");
		rt->ncookies = 1;
	}
	rt->has_conds = rt->methods.n > 0 || rt->client.n > 0 ||
	    rt->nheaders > 0 || rt->ncookies > 0;
}

/* A request as route_find sees it: method, normalised path, peer, fields. */
struct req_spec {
	const char	*method;
	const char	*path;
	const char	*client;
	const char	*fields[3];	/* "Name: value" */
	int		 want;		/* route index, -1: none */
};

static const struct req_spec route_cases[] = {
	{ "POST", "/api/x", "127.0.0.1", { NULL }, 0 },
	{ "GET", "/api/x", "127.0.0.1", { NULL }, 9 },
	{ "GET", "/api/x", "127.0.0.1", { "X-Env: beta" }, 1 },
	{ "GET", "/api/x", "127.0.0.1", { "x-env: beta" }, 1 },
	{ "GET", "/api/x", "127.0.0.1", { "X-Env: Beta" }, 9 },
	{ "PUT", "/api/x", "127.0.0.1", { "X-Env: beta" }, 0 },
	{ "GET", "/api/x", "127.0.0.1", { "Cookie: a=1; ab=b" }, 2 },
	{ "GET", "/api/x", "127.0.0.1", { "Cookie: ab=bb" }, 9 },
	{ "GET", "/api/x", "127.0.0.1", { "Cookie: x=1", "Cookie: ab=b" }, 2 },
	{ "GET", "/login", "127.0.0.1", { NULL }, 3 },
	{ "GET", "/login/", "127.0.0.1", { NULL }, -1 },
	{ "GET", "/img/a/b.png", "127.0.0.1", { NULL }, 4 },
	{ "GET", "/img/a.gif", "127.0.0.1", { NULL }, -1 },
	{ "GET", "/img/a.png.txt", "127.0.0.1", { NULL }, -1 },
	{ "GET", "/admin/", "10.1.2.3", { NULL }, 5 },
	{ "GET", "/admin/", "::1", { NULL }, 5 },
	{ "GET", "/admin/", "192.168.0.1", { NULL }, -1 },
	{ "GET", "/flag/", "127.0.0.1", { "X-Flag: " }, 6 },
	{ "GET", "/flag/", "127.0.0.1", { "Cookie: sid=1" }, 7 },
	{ "GET", "/flag/", "127.0.0.1", { NULL }, -1 },
	{ "GET", "/rx/", "127.0.0.1", { "X-Env: beta2" }, 8 },
	{ "GET", "/rx/", "127.0.0.1", { "X-Env: alpha" }, -1 },
	{ "GET", "/static", "127.0.0.1", { NULL }, 10 },
	{ "GET", "/staticfoo", "127.0.0.1", { NULL }, 10 },
	{ "GET", "/", "127.0.0.1", { NULL }, 11 },
	{ "HEAD", "/", "127.0.0.1", { NULL }, -1 },
};

static void
request_from_spec(struct pt_request *r, struct pt_conn *c,
    const struct req_spec *q)
{
	struct http_field	*f;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&c->peer;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&c->peer;
	const char		*colon;
	size_t			 i;

	memset(r, 0, sizeof(*r));
	memset(c, 0, sizeof(*c));
	r->conn = c;
	r->arena = arena;
	r->path = pt_strdup(arena, q->path);
	r->head.method.p = q->method;
	r->head.method.len = strlen(q->method);
	if (inet_pton(AF_INET, q->client, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		CU_ASSERT_EQUAL(inet_pton(AF_INET6, q->client,
		    &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
	}
	f = pt_calloc(arena, NELEM(q->fields), sizeof(*f));
	for (i = 0; i < NELEM(q->fields) && q->fields[i] != NULL; i++) {
		colon = strchr(q->fields[i], ':');
		f[i].name.p = q->fields[i];
		f[i].name.len = (size_t)(colon - q->fields[i]);
		f[i].value.p = colon + 2;
		f[i].value.len = strlen(colon + 2);
	}
	r->head.fields = f;
	r->head.nfields = i;
}

static void
test_routes(void)
{
	struct conf_server		 srv;
	struct conf_route		 routes[NELEM(route_specs)];
	const struct conf_route		*got;
	struct pt_request		 r;
	struct pt_conn			 c;
	size_t				 i;
	int				 idx;

	memset(&srv, 0, sizeof(srv));
	for (i = 0; i < NELEM(route_specs); i++)
		route_from_spec(&routes[i], &route_specs[i]);
	srv.routes = routes;
	srv.nroutes = NELEM(routes);
	for (i = 0; i < NELEM(route_cases); i++) {
		request_from_spec(&r, &c, &route_cases[i]);
		got = route_find(&srv, &r);
		idx = got == NULL ? -1 : (int)(got - routes);
		if (idx != route_cases[i].want)
			fprintf(stderr, "case %zu (%s %s): route %d, want %d\n",
			    i, route_cases[i].method, route_cases[i].path, idx,
			    route_cases[i].want);
		CU_ASSERT_EQUAL(idx, route_cases[i].want);
	}
}

/* Servers: listener, names and default, as route_find_server sees them. */
struct server_spec {
	const char	*listen;
	const char	*names[2];	/* exact, "*.wild" or "~regex" */
	bool		 is_default;
};

static const struct server_spec server_specs[] = {
	/* 0 */ { "L1", { "www.example.com" }, false },
	/* 1 */ { "L1", { "*.example.com" }, false },
	/* 2 */ { "L1", { "*.api.example.com", "www.api.example.com" }, false },
	/* 3 */ { "L1", { "~^api\\d+\\.internal$" }, false },
	/* 4 */ { "L1", { "~^api" }, false },
	/* 5 */ { "L1", { "other.test" }, true },
	/* 6 */ { "L2", { "www.example.com" }, false },
	/* 7 */ { "L2", { "~^x" }, false },
};

static const struct {
	const char	*listen;
	const char	*host;
	int		 want;
} server_cases[] = {
	{ "L1", "www.example.com", 0 },
	{ "L1", "WWW.Example.COM", 0 },
	{ "L1", "www.example.com.", 0 },
	{ "L1", "www.example.com:8080", 0 },
	{ "L1", "www.example.com.:8080", 0 },
	{ "L1", "a.example.com", 1 },
	{ "L1", "a.b.example.com", 1 },
	{ "L1", "example.com", 5 },		/* not the bare domain */
	{ "L1", "b.api.example.com", 2 },	/* the longest wildcard */
	{ "L1", "www.api.example.com", 2 },	/* exact, same server */
	{ "L1", "api12.internal", 3 },		/* the first regex */
	{ "L1", "API7.internal:80", 3 },
	{ "L1", "apix.internal", 4 },
	{ "L1", "api.internal", 4 },
	{ "L1", "other.test", 5 },
	{ "L1", "nobody.test", 5 },		/* the default */
	{ "L1", "", 5 },
	{ "L1", "[::1]:8080", 5 },
	{ "L2", "www.example.com", 6 },
	{ "L2", "xyz", 7 },
	{ "L2", "zzz", 6 },			/* no default: the first */
};

static void
host_from_spec(struct conf_host *h, const char *name)
{
	if (name[0] == '~') {
		h->kind = HOST_REGEX;
		h->name = name;
		h->rx = compile(name + 1, RX_CASELESS);
	} else if (name[0] == '*') {
		h->kind = HOST_WILDCARD;
		h->name = name + 1;
	} else {
		h->kind = HOST_EXACT;
		h->name = name;
	}
	h->len = strlen(h->name);
}

static void
test_servers(void)
{
	struct pt_conf			 cf;
	struct conf_server		 srv[NELEM(server_specs)];
	const struct conf_server	*got;
	const char			*host;
	size_t				 i, j;
	int				 idx;

	memset(&cf, 0, sizeof(cf));
	memset(srv, 0, sizeof(srv));
	for (i = 0; i < NELEM(server_specs); i++) {
		srv[i].listen = pt_calloc(arena, 1, sizeof(*srv[i].listen));
		srv[i].listen->text = server_specs[i].listen;
		srv[i].nlisten = 1;
		srv[i].is_default = server_specs[i].is_default;
		srv[i].hosts = pt_calloc(arena, 2, sizeof(*srv[i].hosts));
		for (j = 0; j < 2 && server_specs[i].names[j] != NULL; j++)
			host_from_spec(&srv[i].hosts[j],
			    server_specs[i].names[j]);
		srv[i].nhosts = j;
	}
	cf.servers = srv;
	cf.nservers = NELEM(srv);
	for (i = 0; i < NELEM(server_cases); i++) {
		host = server_cases[i].host;
		got = route_find_server(&cf, server_cases[i].listen, host,
		    strlen(host));
		idx = (int)(got - srv);
		if (idx != server_cases[i].want)
			fprintf(stderr, "case %zu (%s %s): server %d, want "
			    "%d\n", i, server_cases[i].listen, host, idx,
			    server_cases[i].want);
		CU_ASSERT_EQUAL(idx, server_cases[i].want);
	}
}

static void
test_host_normalize(void)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "Example.COM", "example.com" },
		{ "example.com.", "example.com" },
		{ "example.com:80", "example.com" },
		{ "example.com.:80", "example.com" },
		{ "[::1]:8080", "[::1]" },
		{ "[::1]", "[::1]" },
		{ "10.0.0.1:80", "10.0.0.1" },
		{ "10.0.0.1", "10.0.0.1" },
		{ "", "" },
		{ ":80", "" },
	};
	char	buf[16];
	size_t	i, n;

	for (i = 0; i < NELEM(cases); i++) {
		n = route_host_normalize(cases[i].in, strlen(cases[i].in), buf,
		    sizeof(buf));
		if (n == 0)
			buf[0] = '\0';
		if (strcmp(buf, cases[i].out) != 0)
			fprintf(stderr, "case %zu: \"%s\" -> \"%s\"\n", i,
			    cases[i].in, buf);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].out);
		CU_ASSERT_EQUAL(n, strlen(cases[i].out));
	}
	/* Longer than the buffer: no name matches it. */
	CU_ASSERT_EQUAL(route_host_normalize("a-very-long-host.example", 24,
	    buf, sizeof(buf)), 0);
}

/* A pattern that backtracks without end gives up: no match, no hang. */
static void
test_regex_limits(void)
{
	struct rx	*rx = compile("^(a+)+$", 0);
	char		 s[64];

	memset(s, 'a', sizeof(s) - 2);
	s[sizeof(s) - 2] = 'b';
	s[sizeof(s) - 1] = '\0';
	CU_ASSERT_EQUAL(rx_match(rx, "aaaa", 4), 1);
	CU_ASSERT_NOT_EQUAL(rx_match(rx, s, strlen(s)), 1);
	CU_ASSERT_PTR_NULL(rx_compile(arena, "(unclosed", 0, s, sizeof(s)));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "offset"));
}

static const struct pt_unit_test tests[] = {
	{ "routes: prefix, exact, regex, conditions, first match", test_routes },
	{ "servers: exact > wildcard > regex > default > first", test_servers },
	{ "host normalisation", test_host_normalize },
	{ "regex match limits", test_regex_limits },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("route", setup, teardown, tests));
}
