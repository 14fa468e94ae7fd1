/*
 * t/unit/test_upstream_conf.c: the upstreams list, the route upstream key
 * and the proxy group in the configuration: a good file (every key, the
 * defaults, lists joined across files, inheritance of proxy keys), every
 * kind of error with its file, line and exact text, the shadowed-route
 * warning, the -T printer read back, the defaults of the tables, and the
 * man page naming every key. Fixtures in t/unit/conf/upstream/.
 */
#include "config.h"

#include "conf_upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "upstream.h"

#define DIR		PT_SRCDIR "/t/unit/conf/upstream"
#define FIXTURE(f)	DIR "/" f

static struct pt_conf *
load(const char *path, char **errs, int *nerrors)
{
	struct pt_conf	*conf;
	FILE		*fp;
	size_t		 len;

	*errs = NULL;
	if ((fp = open_memstream(errs, &len)) == NULL)
		return (NULL);
	conf = conf_load(path, NULL, fp, nerrors);
	fclose(fp);
	return (conf);
}

static void
check_app(const struct conf_upstream *up)
{
	const struct upstream_server *s = up->servers;

	CU_ASSERT_STRING_EQUAL(up->name, "app");
	CU_ASSERT_EQUAL(up->balance, BAL_LEAST_CONN);
	CU_ASSERT_PTR_NULL(up->hash_key);
	CU_ASSERT_EQUAL_FATAL(up->nservers, 4);
	CU_ASSERT_STRING_EQUAL(s[0].address, "127.0.0.1:9001");
	CU_ASSERT_EQUAL(s[0].kind, UPS_INET);
	CU_ASSERT_STRING_EQUAL(s[0].host, "127.0.0.1");
	CU_ASSERT_EQUAL(s[0].port, 9001);
	CU_ASSERT_EQUAL(s[0].weight, 2);
	CU_ASSERT_EQUAL(s[0].max_conns, 100);
	CU_ASSERT_FALSE(s[0].backup);
	CU_ASSERT_FALSE(s[0].down);
	CU_ASSERT_EQUAL(s[1].kind, UPS_UNIX);
	CU_ASSERT_STRING_EQUAL(s[1].unix_path, "/run/app.sock");
	CU_ASSERT_STRING_EQUAL(s[1].host, "localhost");
	CU_ASSERT_EQUAL(s[1].port, 0);
	CU_ASSERT_EQUAL(s[1].weight, 1);
	CU_ASSERT_EQUAL(s[1].max_conns, 0);
	CU_ASSERT_EQUAL(s[2].kind, UPS_INET);
	CU_ASSERT_STRING_EQUAL(s[2].host, "::1");
	CU_ASSERT_EQUAL(s[2].port, 9002);
	CU_ASSERT_TRUE(s[2].backup);
	CU_ASSERT_EQUAL(s[3].kind, UPS_NAME);
	CU_ASSERT_STRING_EQUAL(s[3].host, "app.internal");
	CU_ASSERT_TRUE(s[3].down);
	CU_ASSERT_EQUAL(s[3].index, 3);
	CU_ASSERT_PTR_EQUAL(s[3].pool, up);
	CU_ASSERT_PTR_NOT_NULL(strstr(s[3].file, "upstream/good.conf"));
	CU_ASSERT_EQUAL(s[3].line, 9);
	CU_ASSERT_EQUAL(up->connect_timeout_ms, 2000);
	CU_ASSERT_EQUAL(up->idle_timeout_ms, 30000);
	CU_ASSERT_EQUAL(up->idle_max, 16);
	CU_ASSERT_EQUAL(up->tries, 2);
	CU_ASSERT_EQUAL(up->try_timeout_ms, 7000);
	CU_ASSERT_EQUAL(up->fail_max, 5);
	CU_ASSERT_EQUAL(up->fail_window_ms, 20000);
	CU_ASSERT_EQUAL(up->fail_cooldown_ms, 60000);
	CU_ASSERT_EQUAL(up->slow_start_ms, 30000);
	CU_ASSERT_STRING_EQUAL(up->health_path, "/healthz");
	CU_ASSERT_EQUAL(up->health_interval_ms, 3000);
	CU_ASSERT_EQUAL(up->health_timeout_ms, 500);
	CU_ASSERT_EQUAL(up->health_fall, 4);
	CU_ASSERT_EQUAL(up->health_rise, 3);
	CU_ASSERT_EQUAL_FATAL(up->nhealth_statuses, 2);
	CU_ASSERT_EQUAL(up->health_statuses[0], 200);
	CU_ASSERT_EQUAL(up->health_statuses[1], 204);
	CU_ASSERT_STRING_EQUAL(up->sticky_cookie, "PTSRV");
	CU_ASSERT_STRING_EQUAL(up->sticky_var, "cookie.PTSRV");
	CU_ASSERT_EQUAL(up->line, 5);
}

/* Everything "hashed" does not set takes its default. */
static void
check_defaults(const struct conf_upstream *up)
{
	CU_ASSERT_STRING_EQUAL(up->name, "hashed");
	CU_ASSERT_EQUAL(up->balance, BAL_HASH);
	CU_ASSERT_STRING_EQUAL(up->hash_key, "%{cookie.session}|%{client_addr}");
	CU_ASSERT_EQUAL_FATAL(up->nservers, 1);
	CU_ASSERT_EQUAL(up->servers[0].weight, 1);
	CU_ASSERT_EQUAL(up->connect_timeout_ms, 5000);
	CU_ASSERT_EQUAL(up->idle_timeout_ms, 4000);
	CU_ASSERT_EQUAL(up->idle_max, 32);
	CU_ASSERT_EQUAL(up->tries, 3);
	CU_ASSERT_EQUAL(up->try_timeout_ms, 10000);
	CU_ASSERT_EQUAL(up->fail_max, 3);
	CU_ASSERT_EQUAL(up->fail_window_ms, 10000);
	CU_ASSERT_EQUAL(up->fail_cooldown_ms, 30000);
	CU_ASSERT_EQUAL(up->slow_start_ms, 0);
	CU_ASSERT_PTR_NULL(up->health_path);
	CU_ASSERT_EQUAL(up->health_interval_ms, 2000);
	CU_ASSERT_EQUAL(up->health_timeout_ms, 1000);
	CU_ASSERT_EQUAL(up->health_fall, 3);
	CU_ASSERT_EQUAL(up->health_rise, 2);
	CU_ASSERT_EQUAL(up->nhealth_statuses, 0);
	CU_ASSERT_PTR_NULL(up->sticky_cookie);
	CU_ASSERT_PTR_NULL(up->sticky_var);
}

/* proxy: global sets two keys, the server one, the route two more. */
static void
check_proxy(const struct pt_conf *c)
{
	const struct conf_server	*srv = &c->servers[0];
	const struct conf_proxy		*g = &c->sc.proxy, *s = &srv->sc.proxy;
	const struct conf_proxy		*r0 = &srv->routes[0].sc.proxy;
	const struct conf_proxy		*r2 = &srv->routes[2].sc.proxy;

	CU_ASSERT_EQUAL(g->read_timeout_ms, 30000);
	CU_ASSERT_TRUE(g->via);
	CU_ASSERT_TRUE(g->buffering);
	CU_ASSERT_EQUAL(g->send_timeout_ms, 60000);
	CU_ASSERT_EQUAL(g->buffer_size, 64 * 1024);
	CU_ASSERT_EQUAL(g->buffer_max_temp, 1LL << 30);
	CU_ASSERT_TRUE(g->forwarded_for);
	CU_ASSERT_FALSE(g->forwarded);
	CU_ASSERT_FALSE(g->pass_server);
	CU_ASSERT_TRUE(g->redirect_rewrite);
	CU_ASSERT_TRUE(g->websocket);
	CU_ASSERT_FALSE(g->strip_prefix);
	CU_ASSERT_STRING_EQUAL(g->prefix, "");
	CU_ASSERT_FALSE(s->buffering);
	CU_ASSERT_EQUAL(s->read_timeout_ms, 30000);
	CU_ASSERT_TRUE(s->via);
	CU_ASSERT_TRUE(r0->strip_prefix);
	CU_ASSERT_STRING_EQUAL(r0->prefix, "/v2");
	CU_ASSERT_FALSE(r0->buffering);
	CU_ASSERT_EQUAL(r0->read_timeout_ms, 30000);
	CU_ASSERT_TRUE(r0->via);
	CU_ASSERT_FALSE(r2->strip_prefix);
	CU_ASSERT_STRING_EQUAL(r2->prefix, "");
	CU_ASSERT_FALSE(r2->buffering);
}

static void
test_good(void)
{
	struct pt_conf			*c;
	const struct conf_server	*srv;
	char				*errs;
	int				 n = -1;

	c = load(FIXTURE("good.conf"), &errs, &n);
	if (n != 0)
		fprintf(stderr, "%s", errs);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_STRING_EQUAL(errs, "");
	free(errs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* The main file's two, then good.d/more.conf's. */
	CU_ASSERT_EQUAL_FATAL(c->nupstreams, 3);
	check_app(&c->upstreams[0]);
	check_defaults(&c->upstreams[1]);
	CU_ASSERT_STRING_EQUAL(c->upstreams[2].name, "more");
	CU_ASSERT_EQUAL(c->upstreams[2].balance, BAL_RANDOM);
	/* After the array grew for the second file, pointers still agree. */
	CU_ASSERT_PTR_EQUAL(c->upstreams[0].servers[0].pool, &c->upstreams[0]);
	CU_ASSERT_PTR_EQUAL(c->upstreams[2].servers[0].pool, &c->upstreams[2]);
	CU_ASSERT_PTR_EQUAL(upstream_find(c, "more"), &c->upstreams[2]);
	CU_ASSERT_PTR_NULL(upstream_find(c, "nope"));
	srv = &c->servers[0];
	CU_ASSERT_EQUAL_FATAL(srv->nroutes, 3);
	CU_ASSERT_STRING_EQUAL(srv->routes[0].upstream_name, "app");
	CU_ASSERT_PTR_EQUAL(srv->routes[0].upstream, &c->upstreams[0]);
	CU_ASSERT_PTR_EQUAL(srv->routes[1].upstream, &c->upstreams[2]);
	CU_ASSERT_PTR_EQUAL(srv->routes[2].upstream, &c->upstreams[1]);
	check_proxy(c);
	conf_free(c);
}

#define MAXMSG	32

static const struct {
	const char	*file;
	int		 nerrors;
	int		 nwarnings;
	const char	*msgs[MAXMSG];
} bad[] = {
	{ "bad.conf", 28, 3, {
	  "bad.conf:2: upstreams[0].balance: unknown value \"least_con\" (did "
	  "you mean \"least_conn\"?)\n",
	  "bad.conf:3: upstreams[1].servers: upstream empty has no servers "
	  "(e.g. servers = ( { address = \"127.0.0.1:8080\"; } );)\n",
	  "bad.conf:4: upstreams[2]: upstream none has no servers",
	  "bad.conf:5: upstreams[3].name: duplicate upstream \"app\" (first at "
	  DIR "/bad.conf:2)\n",
	  "bad.conf:6: upstreams[4].balance: balance \"hash\" needs hash_key, "
	  "the variables to hash (e.g. hash_key = \"%{cookie.session}\";)\n",
	  "bad.conf:7: upstreams[5].hash_key: unknown variable \"%{nope}\"",
	  "bad.conf:8: upstreams[6].hash_key: \"constant\" has no variable: "
	  "every request would go to the same server",
	  "bad.conf:9: upstreams[7].servers[0].address: bad address "
	  "\"127.0.0.1\": missing \":port\" (e.g. \"127.0.0.1:8080\", "
	  "\"[::1]:8080\", \"app.internal:8080\" or \"unix:/run/app.sock\")\n",
	  "bad.conf:9: upstreams[7].servers[1].address: bad address \"::1:80\": "
	  "an IPv6 address needs brackets (",
	  "bad.conf:10: upstreams[7].servers[2].address: bad address "
	  "\"unix:run/a.sock\": a unix socket path must be absolute (",
	  "bad.conf:10: upstreams[7].servers[3].address: bad address "
	  "\"bad_host!:80\": not a valid host name (",
	  "bad.conf:10: upstreams[7].servers[4].address: bad address "
	  "\"10.0.0.256:80\": not a valid IPv4 address (",
	  "bad.conf:11: upstreams[7].servers[5].address: bad address \"h:0\": "
	  "the port must be a number from 1 to 65535 (",
	  "bad.conf:11: upstreams[7].servers[6]: missing required directive "
	  "\"address\" (e.g. address = \"127.0.0.1:8080\";)\n",
	  "bad.conf:11: upstreams[7].servers[7].weight: 0 is out of range: "
	  "must be between 1 and 1000\n",
	  "bad.conf:11: upstreams[7].servers[7].wieght: unknown directive "
	  "\"wieght\" (did you mean \"weight\"?)\n",
	  "bad.conf:12: upstreams[7].servers[9].address: duplicate server "
	  "\"127.0.0.1:81\" (first at " DIR "/bad.conf:12)\n",
	  "bad.conf:13: upstreams[8].passive.window: bare number 10 is not a "
	  "duration",
	  "bad.conf:13: upstreams[8].sticky.cookie: bad cookie name \"a b\" (a "
	  "token",
	  "bad.conf:13: upstreams[8].health: missing required directive "
	  "\"path\" (e.g. path = \"/healthz\";)\n",
	  "bad.conf:14: upstreams[9].name: bad upstream name \"bad name\" (1 to "
	  "64 letters",
	  "bad.conf:15: upstreams[10]: missing required directive \"name\" (e.g. "
	  "name = \"app\";)\n",
	  "bad.conf:18: servers[0].routes[0].upstream: no upstream named \"ap\" "
	  "(did you mean \"app\"?)\n",
	  "bad.conf:19: servers[0].routes[1].upstream: no upstream named \"zzz\" "
	  "(defined: \"app\", \"empty\", \"none\", \"h\", \"k\", \"lit\", "
	  "\"addr\", \"grp\", ...)\n",
	  "bad.conf:19: servers[0].routes[1].path: warning: route \"/x\" is "
	  "never used: the earlier route \"/\" (" DIR "/bad.conf:18) matches "
	  "every path it would (list the longer prefix first)\n",
	  "bad.conf:20: servers[0].routes[2].upstream: a route either serves "
	  "files (root) or proxies (upstream), not both: remove one\n",
	  "bad.conf:21: servers[0].routes[3].proxy.buffer_size: \"1k\" is out "
	  "of range: must be between 4k and 64m\n",
	  "bad.conf:21: servers[0].routes[3].proxy.prefix: \"v2\" must be \"\" "
	  "or a path starting with \"/\"",
	  "bad.conf:21: servers[0].routes[3].proxy.bogus: unknown directive "
	  "\"bogus\"\n" } },
	{ "noneup.conf", 1, 0, {
	  "noneup.conf:1: servers[0].routes[0].upstream: no upstream named "
	  "\"app\" (none is defined: upstreams = ( { name = \"app\"; servers = "
	  "( { address = \"127.0.0.1:8080\"; } ); } );)\n" } },
	{ "type.conf", 2, 0, {
	  "type.conf:1: upstreams: expected a list of upstream groups, not a "
	  "group { }",
	  "type.conf:2: servers[0].upstreams: not valid in the server scope "
	  "(only in the global scope)\n" } },
};

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)) != NULL; s++)
		n++;
	return (n);
}

static void
test_errors(void)
{
	struct pt_conf	*c;
	char		*errs, path[512];
	size_t		 i, j, lines;
	int		 n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", DIR, bad[i].file);
		n = -1;
		c = load(path, &errs, &n);
		CU_ASSERT_PTR_NULL(c);
		conf_free(c);
		CU_ASSERT_PTR_NOT_NULL_FATAL(errs);
		lines = count(errs, "\n");
		if (n != bad[i].nerrors || lines != (size_t)(bad[i].nerrors +
		    bad[i].nwarnings))
			fprintf(stderr, "case %zu (%s): %d errors:\n%s", i,
			    bad[i].file, n, errs);
		CU_ASSERT_EQUAL(n, bad[i].nerrors);
		CU_ASSERT_EQUAL(lines, (size_t)(bad[i].nerrors +
		    bad[i].nwarnings));
		CU_ASSERT_EQUAL(count(errs, ": warning: "),
		    (size_t)bad[i].nwarnings);
		for (j = 0; j < MAXMSG && bad[i].msgs[j] != NULL; j++) {
			if (strstr(errs, bad[i].msgs[j]) == NULL)
				fprintf(stderr, "case %zu (%s): missing\n  %s\n"
				    "in:\n%s", i, bad[i].file, bad[i].msgs[j],
				    errs);
			CU_ASSERT_PTR_NOT_NULL(strstr(errs, bad[i].msgs[j]));
		}
		free(errs);
	}
}

/* A route an earlier prefix always takes: a warning, and the file loads. */
static void
test_shadow_warning(void)
{
	struct pt_conf	*c;
	char		*errs;
	int		 n = -1;

	c = load(FIXTURE("warn.conf"), &errs, &n);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NOT_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(errs, "warn.conf:4: servers[0].routes[1]"
	    ".path: warning: route \"/api/v1\" is never used: the earlier route "
	    "\"/api\" (" DIR "/warn.conf:3) matches every path it would (list "
	    "the longer prefix first)\n"));
	/* "/" after "/api": not shadowed, only less specific. */
	CU_ASSERT_EQUAL(count(errs, "\n"), 1);
	free(errs);
	conf_free(c);
}

static char *
dump_upstreams(const struct pt_conf *c)
{
	FILE	*fp;
	char	*out = NULL;
	size_t	 len;

	if ((fp = open_memstream(&out, &len)) == NULL)
		return (NULL);
	conf_upstreams_dump(fp, 0, &c->upstreams);
	fclose(fp);
	return (out);
}

/* What -T prints for upstreams loads again into the same pools. */
static void
test_dump(void)
{
	struct pt_conf	*c, *c2 = NULL;
	char		*d1, *d2 = NULL, *errs;
	char		 tmp[] = "/tmp/portier-up-XXXXXX";
	FILE		*fp;
	int		 fd, n;

	c = load(FIXTURE("good.conf"), &errs, &n);
	free(errs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	d1 = dump_upstreams(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d1);
	CU_ASSERT_PTR_NOT_NULL(strstr(d1, "hash_key = \"%{cookie.session}|"
	    "%{client_addr}\";"));
	CU_ASSERT_PTR_NOT_NULL(strstr(d1, "statuses = [ 200, 204 ];"));
	if ((fd = mkstemp(tmp)) != -1 && (fp = fdopen(fd, "w")) != NULL) {
		fputs(d1, fp);
		fputs("servers = ( { listen = [ \"127.0.0.1:0\" ]; } );\n", fp);
		fclose(fp);
		c2 = load(tmp, &errs, &n);
		if (n != 0)
			fprintf(stderr, "reload of the dump:\n%s\n%s", errs, d1);
		CU_ASSERT_EQUAL(n, 0);
		free(errs);
		unlink(tmp);
	}
	CU_ASSERT_PTR_NOT_NULL(c2);
	if (c2 != NULL) {
		CU_ASSERT_EQUAL(c2->nupstreams, 3);
		d2 = dump_upstreams(c2);
		CU_ASSERT_PTR_NOT_NULL(d2);
		if (d2 != NULL)
			CU_ASSERT_STRING_EQUAL(d1, d2);
	}
	free(d1);
	free(d2);
	conf_free(c2);
	conf_free(c);
}

static void
test_defaults(void)
{
	CU_ASSERT_EQUAL(conf_defaults_check(conf_upstream_directives, stderr),
	    0);
	CU_ASSERT_EQUAL(conf_defaults_check(conf_upstream_server_directives,
	    stderr), 0);
	CU_ASSERT_EQUAL(conf_defaults_check(conf_proxy_directives, stderr), 0);
}

static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	if (len < 0 || (buf = calloc(1, (size_t)len + 1)) == NULL) {
		fclose(fp);
		return (NULL);
	}
	buf[fread(buf, 1, (size_t)len, fp)] = '\0';
	fclose(fp);
	return (buf);
}

static void
man_check_table(const char *man, const struct pt_directive *t)
{
	char	 want[128];
	size_t	 len;
	char	*at;
	bool	 found;

	for (; t->name != NULL; t++) {
		snprintf(want, sizeof(want), "\n.It Ic %s", t->name);
		len = strlen(want);
		found = false;
		for (at = strstr(man, want); at != NULL && !found;
		    at = strstr(at + 1, want))
			found = at[len] == '\n' || at[len] == ' ';
		if (!found)
			fprintf(stderr, "man/portier.conf.5: no "
			    "\".It Ic %s\"\n", t->name);
		CU_ASSERT_TRUE(found);
		if (t->type == PT_T_GROUP)
			man_check_table(man, t->sub);
	}
}

/* CONVENTIONS 3.13, for the tables t/unit/test_conf.c does not reach. */
static void
test_man(void)
{
	char *man;

	man = slurp(PT_SRCDIR "/man/portier.conf.5");
	CU_ASSERT_PTR_NOT_NULL_FATAL(man);
	man_check_table(man, conf_upstream_directives);
	man_check_table(man, conf_upstream_server_directives);
	man_check_table(man, conf_proxy_directives);
	free(man);
}

static const struct pt_unit_test tests[] = {
	{ "good file: pools, defaults, files joined, proxy inherited",
	  test_good },
	{ "every kind of error, with file and line", test_errors },
	{ "a shadowed route is a warning", test_shadow_warning },
	{ "-T output of upstreams loads again", test_dump },
	{ "defaults of the upstream and proxy tables parse", test_defaults },
	{ "every upstream and proxy key in portier.conf(5)", test_man },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("upstream_conf", NULL, NULL, tests));
}
