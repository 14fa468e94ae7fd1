/*
 * The configuration layer: units, a good file with includes and
 * inheritance, one fixture per kind of error (asserting the exact text),
 * the defaults of every core table, the -T round trip, and the man page
 * naming every directive. Fixtures live in t/unit/conf/.
 */
#include "config.h"

#include "conf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <portier/log.h>

#include "unit.h"

#define FIXTURE(f)	PT_SRCDIR "/t/unit/conf/" f
#define CONFDIR		PT_SRCDIR "/t/unit/conf"

/* Loads a fixture; *errs gets everything written to the error stream. */
static struct pt_conf *
load(const char *path, const struct conf_overrides *ov, char **errs,
    int *nerrors)
{
	struct pt_conf	*conf;
	FILE		*fp;
	size_t		 len;

	*errs = NULL;
	if ((fp = open_memstream(errs, &len)) == NULL)
		return (NULL);
	conf = conf_load(path, ov, fp, nerrors);
	fclose(fp);
	return (conf);
}

static const struct {
	const char	*text;
	const char	*err;		/* NULL: parses to value */
	long long	 value;
} sizes[] = {
	{ "8190", NULL, 8190 },		{ "64k", NULL, 65536 },
	{ "10m", NULL, 10485760 },	{ "1G", NULL, 1073741824 },
	{ "1t", NULL, 1099511627776LL },	{ "0", NULL, 0 },
	{ "", "not a number", 0 },	{ "10mb", "unknown unit", 0 },
	{ "-1", "not a number", 0 },	{ "1x", "unknown unit", 0 },
	{ "99999999999999999999", "too large", 0 },
	{ "9999999999t", "too large", 0 },
};

static const struct {
	const char	*text;
	const char	*err;
	long long	 value;
} durations[] = {
	{ "500ms", NULL, 500 },		{ "5s", NULL, 5000 },
	{ "2m", NULL, 120000 },		{ "1h", NULL, 3600000 },
	{ "1d", NULL, 86400000 },	{ "1m30s", NULL, 90000 },
	{ "1h1m1s1ms", NULL, 3661001 },	{ "5S", NULL, 5000 },
	{ "60", "missing unit", 0 },	{ "5min", "unknown unit", 0 },
	{ "", "empty", 0 },		{ "s", "not a number", 0 },
	{ "5 s", "unknown unit", 0 },
	{ "999999999999999999d", "too large", 0 },
};

static void
test_units(void)
{
	const char	*e;
	char		 buf[64];
	long long	 v;
	size_t		 i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		v = -1;
		e = pt_parse_size(sizes[i].text, &v);
		if ((e == NULL) != (sizes[i].err == NULL) || (e != NULL &&
		    strcmp(e, sizes[i].err) != 0) || (e == NULL &&
		    v != sizes[i].value))
			fprintf(stderr, "size case %zu: %s -> %s %lld\n", i,
			    sizes[i].text, e ? e : "ok", v);
		CU_ASSERT_EQUAL(e == NULL, sizes[i].err == NULL);
		if (e == NULL) {
			CU_ASSERT_EQUAL(v, sizes[i].value);
			/* What -T prints parses back to the same value. */
			CU_ASSERT_PTR_NULL(pt_parse_size(conf_size_fmt(v, buf,
			    sizeof(buf)), &v));
			CU_ASSERT_EQUAL(v, sizes[i].value);
		} else
			CU_ASSERT_STRING_EQUAL(e, sizes[i].err);
	}
	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		v = -1;
		e = pt_parse_duration(durations[i].text, &v);
		if ((e == NULL) != (durations[i].err == NULL))
			fprintf(stderr, "duration case %zu: %s -> %s\n", i,
			    durations[i].text, e ? e : "ok");
		CU_ASSERT_EQUAL(e == NULL, durations[i].err == NULL);
		if (e == NULL) {
			CU_ASSERT_EQUAL(v, durations[i].value);
			conf_duration_fmt(v, buf, sizeof(buf));
			CU_ASSERT_PTR_NULL(pt_parse_duration(buf, &v));
			CU_ASSERT_EQUAL(v, durations[i].value);
		} else if (durations[i].err != NULL)
			CU_ASSERT_STRING_EQUAL(e, durations[i].err);
	}
	CU_ASSERT_STRING_EQUAL(conf_size_fmt(1 << 20, buf, sizeof(buf)), "1m");
	CU_ASSERT_STRING_EQUAL(conf_size_fmt(1000, buf, sizeof(buf)), "1000");
	CU_ASSERT_STRING_EQUAL(conf_duration_fmt(90500, buf, sizeof(buf)),
	    "1m30s500ms");
}

static void
check_global(const struct pt_conf *c)
{
	CU_ASSERT_STRING_EQUAL(c->file, FIXTURE("good.conf"));
	CU_ASSERT_STRING_EQUAL(c->user, "root");
	CU_ASSERT_STRING_EQUAL(c->group, "root");
	CU_ASSERT_TRUE(c->allow_root);
	CU_ASSERT_STRING_EQUAL(c->pid_file, CONFDIR "/run/portier.pid");
	CU_ASSERT_STRING_EQUAL(c->error_log, "stderr");
	CU_ASSERT_EQUAL(c->log_level, PT_LOG_INFO);
	CU_ASSERT_EQUAL(c->sc.log_level, PT_LOG_INFO);
	CU_ASSERT_PTR_NULL(c->listen_report);
	CU_ASSERT_PTR_NULL(c->mime_types);
	/* Set in good.d/20-b.conf, not in the main file. */
	CU_ASSERT_EQUAL(c->rlimit_nofile, 4096);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->modules_dir);
	CU_ASSERT_EQUAL(c->modules_dir[0], '/');
	CU_ASSERT_EQUAL(c->modules_load.n, 0);
	CU_ASSERT_EQUAL(c->workers.start, 2);
	CU_ASSERT_EQUAL(c->workers.min_spare, 2);
	CU_ASSERT_EQUAL(c->workers.max_spare, 8);
	CU_ASSERT_EQUAL(c->workers.max, 16);
	CU_ASSERT_EQUAL(c->workers.max_requests, 0);
	CU_ASSERT_EQUAL(c->limits.line, 8190);
	CU_ASSERT_EQUAL(c->limits.field, 8190);
	CU_ASSERT_EQUAL(c->limits.fields, 50);
	CU_ASSERT_EQUAL(c->limits.body, 10 << 20);
	CU_ASSERT_EQUAL(c->limits.conns_per_client, 0);
	CU_ASSERT_EQUAL(c->limits.tunnels_max, 10000);
	CU_ASSERT_EQUAL(c->limits.tunnels_per_client, 256);
	CU_ASSERT_EQUAL(c->timeouts.head, 90000);
	CU_ASSERT_EQUAL(c->timeouts.body, 60000);
	CU_ASSERT_EQUAL(c->timeouts.keepalive, 500);
	CU_ASSERT_EQUAL(c->timeouts.send, 60000);
	CU_ASSERT_STRING_EQUAL(c->sc.root, CONFDIR "/www");
	CU_ASSERT_EQUAL_FATAL(c->sc.index.n, 2);
	CU_ASSERT_STRING_EQUAL(c->sc.index.v[1], "index.htm");
	CU_ASSERT_PTR_NULL(c->sc.index.v[2]);
	CU_ASSERT_FALSE(c->sc.symlinks);
	CU_ASSERT_STRING_EQUAL(c->sc.access_log, CONFDIR "/logs/access.log");
	CU_ASSERT_STRING_EQUAL(c->sc.access_log_format, "combined");
	CU_ASSERT_STRING_EQUAL(c->sc.server_header, "portier");
	CU_ASSERT_EQUAL_FATAL(c->sc.nerror_pages, 2);
	CU_ASSERT_EQUAL(c->sc.error_pages[1].status, 503);
	CU_ASSERT_STRING_EQUAL(c->sc.error_pages[1].file,
	    CONFDIR "/errors/50x.html");
}

static void
check_server0(const struct conf_server *s)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	const struct conf_route		*r;

	CU_ASSERT_EQUAL_FATAL(s->nlisten, 2);
	sin = (const struct sockaddr_in *)&s->listen[0].addr;
	CU_ASSERT_EQUAL(sin->sin_family, AF_INET);
	CU_ASSERT_EQUAL(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	CU_ASSERT_EQUAL(sin->sin_port, 0);
	CU_ASSERT_STRING_EQUAL(s->listen[0].text, "127.0.0.1:0");
	CU_ASSERT_EQUAL(s->listen[0].line, 20);
	sin6 = (const struct sockaddr_in6 *)&s->listen[1].addr;
	CU_ASSERT_EQUAL(sin6->sin6_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(sin6->sin6_port), 8080);
	CU_ASSERT_EQUAL(s->listen[1].addrlen, sizeof(*sin6));
	CU_ASSERT_EQUAL_FATAL(s->names.n, 1);
	CU_ASSERT_STRING_EQUAL(s->names.v[0], "example.test");
	/* Set here, inherited from global, and on down to the routes. */
	CU_ASSERT_STRING_EQUAL(s->sc.server_header, "");
	CU_ASSERT_STRING_EQUAL(s->sc.root, CONFDIR "/www");
	CU_ASSERT_EQUAL(s->sc.nerror_pages, 2);
	CU_ASSERT_EQUAL_FATAL(s->nroutes, 2);
	r = &s->routes[0];
	CU_ASSERT_STRING_EQUAL(r->path, "/static/");
	CU_ASSERT_EQUAL(r->path_len, 8);
	CU_ASSERT_STRING_EQUAL(r->sc.root, CONFDIR "/static");
	CU_ASSERT_TRUE(r->sc.symlinks);
	CU_ASSERT_EQUAL(r->sc.log_level, PT_LOG_DEBUG);
	CU_ASSERT_STRING_EQUAL(r->sc.server_header, "");
	CU_ASSERT_EQUAL(r->sc.index.n, 2);
	CU_ASSERT_EQUAL(r->sc.nerror_pages, 2);
	CU_ASSERT_PTR_NULL(r->mod_conf);
	r = &s->routes[1];
	CU_ASSERT_STRING_EQUAL(r->path, "/");
	CU_ASSERT_STRING_EQUAL(r->sc.root, CONFDIR "/www");
	CU_ASSERT_FALSE(r->sc.symlinks);
	CU_ASSERT_EQUAL(r->sc.log_level, PT_LOG_INFO);
	CU_ASSERT_STRING_EQUAL(r->sc.access_log, CONFDIR "/logs/access.log");
}

static void
test_good(void)
{
	struct pt_conf			*c;
	const struct conf_server	*s;
	const struct sockaddr_in	*sin;
	char				*errs;
	int				 n = -1;

	c = load(FIXTURE("good.conf"), NULL, &errs, &n);
	if (n != 0)
		fprintf(stderr, "%s", errs);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_STRING_EQUAL(errs, "");
	free(errs);
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c == NULL)
		return;
	check_global(c);
	/* The main file's server, then good.d/10-a.conf's, then 20-b's. */
	CU_ASSERT_EQUAL_FATAL(c->nservers, 3);
	check_server0(&c->servers[0]);
	s = &c->servers[1];
	CU_ASSERT_PTR_NOT_NULL(strstr(s->file, "good.d/10-a.conf"));
	CU_ASSERT_STRING_EQUAL(s->listen[0].text, "*:8081");
	sin = (const struct sockaddr_in *)&s->listen[0].addr;
	CU_ASSERT_EQUAL(sin->sin_addr.s_addr, htonl(INADDR_ANY));
	CU_ASSERT_EQUAL(ntohs(sin->sin_port), 8081);
	CU_ASSERT_EQUAL(s->names.n, 0);
	CU_ASSERT_STRING_EQUAL(s->sc.access_log, "off");
	/* No routes: one implicit "/" that inherits everything. */
	CU_ASSERT_EQUAL_FATAL(s->nroutes, 1);
	CU_ASSERT_STRING_EQUAL(s->routes[0].path, "/");
	CU_ASSERT_STRING_EQUAL(s->routes[0].sc.access_log, "off");
	CU_ASSERT_STRING_EQUAL(s->routes[0].sc.server_header, "portier");
	s = &c->servers[2];
	CU_ASSERT_PTR_NOT_NULL(strstr(s->file, "good.d/20-b.conf"));
	/* Relative to good.d/, where the setting is written. */
	CU_ASSERT_STRING_EQUAL(s->sc.root, CONFDIR "/www");
	CU_ASSERT_EQUAL_FATAL(s->sc.nerror_pages, 1);
	CU_ASSERT_EQUAL(s->sc.error_pages[0].status, 404);
	CU_ASSERT_STRING_EQUAL(s->routes[0].sc.error_pages[0].file,
	    CONFDIR "/errors/404.html");
	conf_free(c);
}

#define MAXMSG	8

/* Each fixture with its error count and the exact lines it must print. */
static const struct {
	const char	*file;
	int		 nerrors;
	const char	*msgs[MAXMSG];
} bad[] = {
	{ "bare.conf", 2, {
	  "bare.conf:2: timeouts.head: bare number 30 is not a duration "
	  "(write it as a string with a unit, e.g. \"5s\")\n",
	  "bare.conf:3: request_limits.body: bare number 1000 is not a size "
	  "(write it as a string with a unit, e.g. \"10m\")\n" } },
	{ "range.conf", 3, {
	  "range.conf:2: workers.start: 5000 is out of range: must be between "
	  "1 and 4096",
	  "range.conf:3: request_limits.line: \"2m\" is out of range: must be "
	  "between 256 and 1m",
	  "range.conf:4: timeouts.send: \"2d\" is out of range: must be "
	  "between 1ms and 1d" } },
	{ "enum.conf", 1, {
	  "enum.conf:2: log_level: unknown value \"debugg\" (did you mean "
	  "\"debug\"?)\n" } },
	{ "unknown.conf", 2, {
	  "unknown.conf:4: servers[0].routes[0].rooot: unknown directive "
	  "\"rooot\" (did you mean \"root\"?)\n",
	  "unknown.conf:7: workres: unknown directive \"workres\" (did you "
	  "mean \"workers\"?)\n" } },
	{ "module.conf", 1, {
	  "module.conf:4: servers[0].ssl: belongs to module mod_ssl, which is "
	  "not loaded (add \"mod_ssl\" to modules.load)\n" } },
	{ "type.conf", 2, {
	  "type.conf:1: servers[0].symlinks: expected true or false, not a "
	  "string\n",
	  "type.conf:2: user: expected a string, not an integer" } },
	{ "required.conf", 2, {
	  "required.conf:2: servers[0]: missing required directive "
	  "\"listen\"",
	  "required.conf:3: servers[1].routes[0]: missing required directive "
	  "\"path\"" } },
	{ "listen.conf", 3, {
	  ": servers[0].listen[0]: bad listen address \"127.0.0.1:99999\": "
	  "the port must be a number from 0 to 65535",
	  ": servers[0].listen[1]: bad listen address \"localhost:80\": not a "
	  "numeric IPv4 address",
	  ": servers[0].listen[2]: bad listen address \"::1:80\": an IPv6 "
	  "address needs brackets" } },
	{ "path.conf", 1, {
	  "path.conf:4: servers[0].routes[1].path: \"static\" must start with "
	  "\"/\" (a URL path prefix, e.g. \"/static/\")\n" } },
	{ "root.conf", 1, {
	  "root.conf:1: servers[0].root: not a directory: " CONFDIR
	  "/no-such-folder (root must be an existing folder)\n" } },
	{ "workers.conf", 2, {
	  "workers.conf:2: workers.max: 5 must be >= workers.start (10)",
	  "workers.conf:2: workers.max_spare: 3 must be >= workers.min_spare "
	  "(4)" } },
	{ "tunnels.conf", 1, {
	  "tunnels.conf:3: request_limits.tunnels_per_client: 200 must be <= "
	  "request_limits.tunnels_max (100) (streams of one client "
	  "address in the tunnel process; more get 503)\n" } },
	/* max keeps its default 64, below start: reported at the group. */
	{ "workers_dflt.conf", 1, {
	  "workers_dflt.conf:2: workers.max: 64 must be >= workers.start "
	  "(100)\n" } },
	{ "dup.conf", 2, {
	  "dup.d/b.conf:2: user: already set at " CONFDIR "/dup.d/a.conf:1 "
	  "(set it in one file only)\n",
	  "dup.d/c.conf:1: workers: already set at " CONFDIR
	  "/dup.d/b.conf:3" } },
	{ "syn.conf", 1, { "/t/unit/conf/syn.d/bad.conf:3: syntax error\n" } },
	{ "incmiss.conf", 1, {
	  "incmiss.conf:1: include[0]: no such file: " CONFDIR
	  "/no-such.conf\n" } },
	{ "noserver.conf", 1, {
	  "noserver.conf: servers: at least one server is required" } },
	{ "wrap.conf", 1, {
	  "wrap.conf:2: workers.max_requests: too large: libconfig 1.5 wraps "
	  "integers above 2147483647 silently" } },
	{ "many.conf", 8, {
	  "many.conf:2: log_level: unknown value \"loud\" (one of: emerg, "
	  "alert, crit, error, warn, notice, info, debug, trace)\n",
	  "many.conf:3: workers.start: 0 is out of range",
	  "many.conf:4: timeouts.head: bad duration \"5 s\": unknown unit",
	  "many.conf:8: servers[0].user: not valid in the server scope (only "
	  "in the global scope)\n",
	  "many.conf:9: servers[0].error_pages[0].status[0]: 302 is out of "
	  "range: must be between 400 and 599\n",
	  "many.conf:10: servers[0].error_pages[1].code: unknown directive "
	  "\"code\"\n",
	  "many.conf:10: servers[0].error_pages[1].file: cannot read " CONFDIR
	  "/errors/missing.html",
	  "many.conf:11: servers[0].routes[0].index[1]: expected a string, "
	  "not an integer\n" } },
};

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return (n);
}

static void
test_errors(void)
{
	struct pt_conf	*c;
	const char	*prev, *at;
	char		*errs, path[512];
	size_t		 i, j;
	int		 n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", CONFDIR, bad[i].file);
		n = -1;
		c = load(path, NULL, &errs, &n);
		CU_ASSERT_PTR_NULL(c);
		conf_free(c);
		CU_ASSERT_PTR_NOT_NULL_FATAL(errs);
		if (n != bad[i].nerrors ||
		    count_lines(errs) != (size_t)bad[i].nerrors)
			fprintf(stderr, "case %zu (%s): %d errors:\n%s", i,
			    bad[i].file, n, errs);
		CU_ASSERT_EQUAL(n, bad[i].nerrors);
		CU_ASSERT_EQUAL(count_lines(errs), (size_t)bad[i].nerrors);
		/* Every line present, and in file order. */
		for (j = 0, prev = errs; j < MAXMSG && bad[i].msgs[j]; j++) {
			at = strstr(errs, bad[i].msgs[j]);
			if (at == NULL)
				fprintf(stderr, "case %zu (%s): missing\n  %s\n"
				    "in:\n%s", i, bad[i].file, bad[i].msgs[j],
				    errs);
			CU_ASSERT_PTR_NOT_NULL(at);
			if (strcmp(bad[i].file, "many.conf") == 0 &&
			    at != NULL) {
				CU_ASSERT_TRUE(at >= prev);
				prev = at;
			}
		}
		free(errs);
	}
}

static void
test_missing_file(void)
{
	struct pt_conf	*c;
	char		*errs;
	int		 n;

	c = load(FIXTURE("no-such.conf"), NULL, &errs, &n);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(errs, "no-such.conf: cannot open: No "
	    "such file or directory\n"));
	free(errs);
}

static void
test_overrides(void)
{
	struct conf_overrides	 ov = { .user = "nobody",
				    .modules_dir = "/opt/mods" };
	struct pt_conf		*c;
	char			*errs;
	int			 n;

	c = load(FIXTURE("good.conf"), &ov, &errs, &n);
	free(errs);
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c == NULL)
		return;
	CU_ASSERT_STRING_EQUAL(c->user, "nobody");
	CU_ASSERT_TRUE(c->allow_root);
	CU_ASSERT_STRING_EQUAL(c->modules_dir, "/opt/mods");
	conf_free(c);
}

/* A table whose default is a bare number: the check must catch it. */
static const struct pt_directive bad_table[] = {
	{ .name = "timeout", .type = PT_T_DURATION, .scopes = PT_SCOPE_GLOBAL,
	  .offset = 0, .def = "5", .min = 1, .max = 10000 },
	PT_DIRECTIVE_END
};

static void
test_defaults(void)
{
	const struct pt_directive *const tables[] = {
		conf_core_directives, conf_server_directives,
		conf_route_directives, conf_scope_directives, NULL
	};
	FILE	*fp;
	char	*out = NULL;
	size_t	 i, len;

	for (i = 0; tables[i] != NULL; i++)
		CU_ASSERT_EQUAL(conf_defaults_check(tables[i], stderr), 0);
	fp = open_memstream(&out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(conf_defaults_check(bad_table, fp), 1);
	fclose(fp);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "built-in default: timeout: bare "
	    "number 5 is not a duration"));
	free(out);
}

/* Drops "#" comments: the dump names its source file in them. */
static void
strip_comments(char *s)
{
	char *out = s;

	for (; *s != '\0'; s++) {
		if (*s == '#')
			while (s[1] != '\0' && s[1] != '\n')
				s++;
		else
			*out++ = *s;
	}
	*out = '\0';
}

static char *
dump_to_string(const struct pt_conf *c)
{
	FILE	*fp;
	char	*out = NULL;
	size_t	 len;

	if ((fp = open_memstream(&out, &len)) == NULL)
		return (NULL);
	conf_dump(c, fp);
	fclose(fp);
	strip_comments(out);
	return (out);
}

/* -T prints a file conf_load accepts, and that file dumps the same. */
static void
test_roundtrip(void)
{
	struct pt_conf	*c, *c2;
	char		*d1 = NULL, *d2, *errs;
	char		 tmp[] = "/tmp/portier-conf-XXXXXX";
	FILE		*fp = NULL;
	int		 fd = -1, n;

	c = load(FIXTURE("good.conf"), NULL, &errs, &n);
	free(errs);
	CU_ASSERT_PTR_NOT_NULL(c);
	if (c == NULL || (d1 = dump_to_string(c)) == NULL ||
	    (fd = mkstemp(tmp)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		CU_FAIL("cannot dump good.conf to a temporary file");
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		free(d1);
		conf_free(c);
		return;
	}
	conf_dump(c, fp);
	fclose(fp);
	c2 = load(tmp, NULL, &errs, &n);
	if (n != 0)
		fprintf(stderr, "reload of the dump:\n%s", errs);
	CU_ASSERT_EQUAL(n, 0);
	free(errs);
	unlink(tmp);
	CU_ASSERT_PTR_NOT_NULL(c2);
	if (c2 != NULL) {
		d2 = dump_to_string(c2);
		CU_ASSERT_PTR_NOT_NULL(d2);
		if (d2 != NULL)
			CU_ASSERT_STRING_EQUAL(d1, d2);
		CU_ASSERT_EQUAL(c2->nservers, 3);
		free(d2);
	}
	free(d1);
	conf_free(c2);
	conf_free(c);
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
	char	want[128];
	size_t	len;
	char	*at;
	bool	found;

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

/* CONVENTIONS 3.13: the page names every directive, so docs cannot drift. */
static void
test_man(void)
{
	char *man;

	man = slurp(PT_SRCDIR "/man/portier.conf.5");
	CU_ASSERT_PTR_NOT_NULL_FATAL(man);
	man_check_table(man, conf_core_directives);
	man_check_table(man, conf_server_directives);
	man_check_table(man, conf_route_directives);
	man_check_table(man, conf_scope_directives);
	free(man);
}

static const struct pt_unit_test tests[] = {
	{ "sizes and durations", test_units },
	{ "good file: values, includes, inheritance", test_good },
	{ "every kind of error, with file and line", test_errors },
	{ "missing main file", test_missing_file },
	{ "command-line overrides", test_overrides },
	{ "defaults of every core table parse", test_defaults },
	{ "-T output loads again and dumps the same", test_roundtrip },
	{ "every directive in portier.conf(5)", test_man },
	{ NULL, NULL }
};

int
main(void)
{
	return (pt_unit_run("conf", NULL, NULL, tests));
}
