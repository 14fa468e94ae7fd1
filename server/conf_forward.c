/*
 * The configuration of a server's forward proxy: forward_proxy = { acl,
 * auth, block_page, deny_private, local_clients, via, strip_headers,
 * referer, connect_ports, parents, parent_dest, never_direct, timeouts }.
 * Destination lists are loaded here, with the configuration; the rules are
 * matched by forward_acl.c and used by proxy_forward.c.
 */
#include "config.h"

#include "conf_route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arena_priv.h"
#include "core.h"
#include "forward.h"
#include "rx.h"

#define FWD_EXAMPLE							\
	"e.g. forward_proxy = { acl = ( { client = [ \"10.0.0.0/8\" ]; "	\
	"action = \"allow\"; } ); };"

static void
fwd_list_free(void *p)
{
	domain_list_free(p);
}

/* "example.com", ".example.org" (and subdomains), "~regex" into d. */
static void
fwd_dest_parse(struct pt_conf_ctx *cx, const config_setting_t *s,
    struct fwd_dest *d)
{
	struct pt_strlist	 sl;
	const char		*frag, *v;
	char			 err[128], *low;
	size_t			 i, j;

	if ((frag = conf_strlist_parse(cx, s, &sl)) != NULL) {
		pt_conf_error(cx, s, "%s", frag);
		return;
	}
	d->exact = conf_calloc(cx, sl.n + 1, sizeof(char *));
	d->suffix = conf_calloc(cx, sl.n + 1, sizeof(char *));
	d->rx = conf_calloc(cx, sl.n + 1, sizeof(struct rx *));
	if (d->exact == NULL || d->suffix == NULL || d->rx == NULL)
		return;
	d->set = true;
	for (i = 0; i < sl.n; i++) {
		v = sl.v[i];
		if (v[0] == '~') {
			if ((d->rx[d->nrx] = rx_compile(cx->arena, v + 1,
			    RX_CASELESS, err, sizeof(err))) == NULL)
				pt_conf_error(cx, s, "bad regex \"%s\": %s",
				    v + 1, err);
			else
				d->nrx++;
			continue;
		}
		if ((low = conf_strdup(cx, v[0] == '.' ? v + 1 : v)) == NULL)
			return;
		for (j = 0; low[j] != '\0'; j++)
			if (low[j] >= 'A' && low[j] <= 'Z')
				low[j] = (char)(low[j] + 32);
		if (j > 0 && low[j - 1] == '.')
			low[j - 1] = '\0';
		if (low[0] == '\0') {
			pt_conf_error(cx, s, "empty destination \"%s\"", v);
			continue;
		}
		if (v[0] == '.')
			d->suffix[d->nsuffix++] = low;
		else
			d->exact[d->nexact++] = low;
	}
}

/* dest_list = "file": one domain a line, each with its subdomains. */
static void
fwd_dest_list(struct pt_conf_ctx *cx, const config_setting_t *s,
    struct fwd_dest *d)
{
	const char	*str = config_setting_get_string(s), *path;
	long long	 t0 = now_ms();

	if (str == NULL || str[0] == '\0') {
		pt_conf_error(cx, s, "expected a file name");
		return;
	}
	if ((path = pt_conf_path(cx, s, str)) == NULL)
		return;
	if ((d->list = domain_list_new(1024)) == NULL ||
	    pt_arena_defer(cx->arena, fwd_list_free, d->list) != 0) {
		domain_list_free(d->list);
		d->list = NULL;
		pt_conf_error(cx, s, "out of memory");
		return;
	}
	if (domain_list_load(d->list, path) == -1) {
		pt_conf_error(cx, s, "%s: %s", path, strerror(errno));
		return;
	}
	d->list_file = path;
	d->set = true;
	if (now_ms() - t0 > 1000)
		pt_conf_warn(cx, s, "%s: %zu names took %lld ms to load", path,
		    domain_list_count(d->list), now_ms() - t0);
}

/* [ 443, "8000-8100" ] into (from, to) pairs. */
static void
fwd_ports_parse(struct pt_conf_ctx *cx, const config_setting_t *s,
    int **out, size_t *n)
{
	const config_setting_t	*e;
	unsigned int		 i, k;
	int			 a, b, end;
	const char		*str;

	k = config_setting_is_aggregate(s) ?
	    (unsigned int)config_setting_length(s) : 1;
	if ((*out = conf_calloc(cx, 2 * k + 2, sizeof(int))) == NULL)
		return;
	*n = 0;
	for (i = 0; i < k; i++) {
		e = config_setting_is_aggregate(s) ?
		    config_setting_get_elem(s, i) : s;
		if (config_setting_type(e) == CONFIG_TYPE_INT) {
			a = b = config_setting_get_int(e);
		} else if ((str = config_setting_get_string(e)) == NULL ||
		    sscanf(str, "%d-%d%n", &a, &b, &end) != 2 ||
		    str[end] != '\0') {
			pt_conf_error(cx, e, "expected a port or a range "
			    "\"from-to\" (e.g. [ 443, \"8000-8100\" ])");
			continue;
		}
		if (a < 1 || b > 65535 || a > b) {
			pt_conf_error(cx, e, "ports are 1 to 65535");
			continue;
		}
		(*out)[2 * *n] = a;
		(*out)[2 * *n + 1] = b;
		(*n)++;
	}
}

static void
fwd_cidrs_parse(struct pt_conf_ctx *cx, const config_setting_t *s,
    struct cidr_list *l)
{
	struct pt_strlist	 sl;
	const char		*frag;
	size_t			 i;

	if ((frag = conf_strlist_parse(cx, s, &sl)) != NULL) {
		pt_conf_error(cx, s, "%s", frag);
		return;
	}
	if ((l->v = conf_calloc(cx, sl.n + 1, sizeof(*l->v))) == NULL)
		return;
	l->n = 0;
	for (i = 0; i < sl.n; i++)
		if (cidr_parse(sl.v[i], &l->v[l->n]) == 0)
			l->n++;
		else
			pt_conf_error(cx, s, "not an address or a range: "
			    "\"%s\"", sl.v[i]);
}

static void
fwd_rule_parse(struct pt_conf_ctx *cx, config_setting_t *g,
    struct fwd_rule *rule, size_t index)
{
	static const char *const names[] = { "name", "action", "client",
		"dest", "dest_list", "port", "method", "time", "user", NULL };
	static const char *const actions[] = { "allow", "deny", "auth", NULL };
	config_setting_t	*s;
	const char		*str, *frag;
	int			 i;

	rule->file = conf_strdup(cx, config_setting_source_file(g));
	rule->line = (int)config_setting_source_line(g);
	if ((s = conf_member(g, "name")) != NULL &&
	    (str = config_setting_get_string(s)) != NULL)
		rule->name = conf_strdup(cx, str);
	else
		rule->name = conf_frag(cx, "acl %zu", index + 1);
	if ((s = conf_member(g, "action")) == NULL ||
	    (str = config_setting_get_string(s)) == NULL) {
		pt_conf_error(cx, s != NULL ? s : g, "each rule needs action = "
		    "\"allow\", \"deny\" or \"auth\"");
	} else {
		for (i = 0; actions[i] != NULL && strcmp(actions[i], str) != 0;
		    i++)
			;
		if (actions[i] == NULL)
			pt_conf_error(cx, s, "unknown action \"%s\": \"allow\", "
			    "\"deny\" or \"auth\"", str);
		rule->action = (enum fwd_action)i;
	}
	if ((s = conf_member(g, "client")) != NULL)
		fwd_cidrs_parse(cx, s, &rule->client);
	if ((s = conf_member(g, "dest")) != NULL)
		fwd_dest_parse(cx, s, &rule->dest);
	if ((s = conf_member(g, "dest_list")) != NULL)
		fwd_dest_list(cx, s, &rule->dest);
	if ((s = conf_member(g, "port")) != NULL)
		fwd_ports_parse(cx, s, &rule->ports, &rule->nports);
	if ((s = conf_member(g, "method")) != NULL &&
	    (frag = conf_strlist_parse(cx, s, &rule->methods)) != NULL)
		pt_conf_error(cx, s, "%s", frag);
	if ((s = conf_member(g, "user")) != NULL &&
	    (frag = conf_strlist_parse(cx, s, &rule->users)) != NULL)
		pt_conf_error(cx, s, "%s", frag);
	if ((s = conf_member(g, "time")) != NULL) {
		if ((str = config_setting_get_string(s)) == NULL ||
		    fwd_time_parse(str, &rule->time_from, &rule->time_to) == -1)
			pt_conf_error(cx, s, "expected \"HH:MM-HH:MM\" (local "
			    "time; e.g. \"09:00-17:00\", \"22:00-06:00\")");
		else
			rule->has_time = true;
	}
	conf_unknown_names(cx, g, names);
}

static void
fwd_acl_parse(struct pt_conf_ctx *cx, const config_setting_t *s,
    struct conf_forward *fw)
{
	config_setting_t	*g;
	unsigned int		 i, n;

	if (!config_setting_is_list(s)) {
		pt_conf_error(cx, s, "expected a list of rules ( { ... }, ... ), "
		    "not %s", conf_type_name(s));
		return;
	}
	n = (unsigned int)config_setting_length(s);
	if ((fw->acl = conf_calloc(cx, n + 1, sizeof(*fw->acl))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "expected a rule { ... action = "
			    "\"allow\"; }, not %s", conf_type_name(g));
			continue;
		}
		fwd_rule_parse(cx, g, &fw->acl[fw->nacl], fw->nacl);
		fw->nacl++;
	}
}

static void
fwd_parents_parse(struct pt_conf_ctx *cx, const config_setting_t *s,
    struct conf_forward *fw)
{
	static const char *const names[] = { "address", NULL };
	config_setting_t	*g, *a;
	struct fwd_parent	*p;
	const char		*str, *colon;
	unsigned int		 i, n;

	if (!config_setting_is_list(s)) {
		pt_conf_error(cx, s, "expected ( { address = \"host:port\"; }, "
		    "... )");
		return;
	}
	n = (unsigned int)config_setting_length(s);
	if ((fw->parents = conf_calloc(cx, n + 1, sizeof(*p))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, i);
		if (!config_setting_is_group(g) || (a = conf_member(g,
		    "address")) == NULL || (str = config_setting_get_string(a)) ==
		    NULL) {
			pt_conf_error(cx, g, "expected { address = "
			    "\"host:port\"; }");
			continue;
		}
		conf_unknown_names(cx, g, names);
		p = &fw->parents[fw->nparents];
		colon = strrchr(str, ':');
		if (colon == NULL || (p->port = atoi(colon + 1)) < 1 ||
		    p->port > 65535 || colon == str) {
			pt_conf_error(cx, a, "expected \"host:port\", not \"%s\"",
			    str);
			continue;
		}
		p->address = conf_strdup(cx, str);
		p->host = conf_frag(cx, "%.*s", (int)(colon - str) -
		    (str[0] == '[' ? 2 : 0), str + (str[0] == '[' ? 1 : 0));
		fw->nparents++;
	}
}

static void
fwd_duration(struct pt_conf_ctx *cx, const config_setting_t *s,
    long long *ms)
{
	const char *str, *frag;

	if ((str = config_setting_get_string(s)) == NULL)
		pt_conf_error(cx, s, "expected a duration string (e.g. \"5s\")");
	else if ((frag = pt_parse_duration(str, ms)) != NULL)
		pt_conf_error(cx, s, "bad duration \"%s\": %s", str, frag);
}

static void
fwd_defaults(struct pt_conf_ctx *cx, struct conf_forward *fw)
{
	static const char *from[] = { "From", NULL };

	fw->deny_private = true;
	fw->via = true;
	fw->referer = FWD_REFERER_ORIGIN;
	fw->strip_headers.v = from;
	fw->strip_headers.n = 1;
	fw->connect_timeout_ms = 5000;
	fw->idle_timeout_ms = 4000;
	fw->idle_max = 16;
	if ((fw->connect_ports = conf_calloc(cx, 2, sizeof(int))) != NULL) {
		fw->connect_ports[0] = fw->connect_ports[1] = 443;
		fw->nconnect_ports = 1;
	}
	if ((fw->local_clients.v = conf_calloc(cx, 2,
	    sizeof(struct cidr))) != NULL) {
		cidr_parse("127.0.0.0/8", &fw->local_clients.v[0]);
		cidr_parse("::1", &fw->local_clients.v[1]);
		fw->local_clients.n = 2;
	}
}

static void
fwd_bool(struct pt_conf_ctx *cx, config_setting_t *g, const char *name,
    bool *out)
{
	config_setting_t *s = conf_member(g, name);

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		pt_conf_error(cx, s, "expected true or false");
	else
		*out = config_setting_get_bool(s) != 0;
}

static void
fwd_block_page(struct pt_conf_ctx *cx, const config_setting_t *s,
    struct conf_forward *fw)
{
	const char	*str = config_setting_get_string(s);
	FILE		*fp;
	char		*buf;
	size_t		 n;

	if (str == NULL || (fw->block_page = pt_conf_path(cx, s, str)) == NULL) {
		pt_conf_error(cx, s, "expected a file name");
		return;
	}
	if ((fp = fopen(fw->block_page, "r")) == NULL) {
		pt_conf_error(cx, s, "%s: %s", fw->block_page, strerror(errno));
		return;
	}
	if ((buf = pt_alloc(cx->arena, 65537)) != NULL) {
		n = fread(buf, 1, 65536, fp);
		buf[n] = '\0';
		fw->block_body = buf;
	}
	fclose(fp);
}

/* The scalar keys and lists besides acl and parents. */
static void
fwd_settings(struct pt_conf_ctx *cx, config_setting_t *g,
    struct conf_forward *fw)
{
	config_setting_t	*s;
	const char		*str, *frag;

	fwd_bool(cx, g, "deny_private", &fw->deny_private);
	fwd_bool(cx, g, "via", &fw->via);
	fwd_bool(cx, g, "never_direct", &fw->never_direct);
	if ((s = conf_member(g, "local_clients")) != NULL)
		fwd_cidrs_parse(cx, s, &fw->local_clients);
	if ((s = conf_member(g, "strip_headers")) != NULL &&
	    (frag = conf_strlist_parse(cx, s, &fw->strip_headers)) != NULL)
		pt_conf_error(cx, s, "%s", frag);
	if ((s = conf_member(g, "referer")) != NULL) {
		str = config_setting_get_string(s);
		if (str != NULL && strcmp(str, "keep") == 0)
			fw->referer = FWD_REFERER_KEEP;
		else if (str != NULL && strcmp(str, "origin") == 0)
			fw->referer = FWD_REFERER_ORIGIN;
		else if (str != NULL && strcmp(str, "remove") == 0)
			fw->referer = FWD_REFERER_REMOVE;
		else
			pt_conf_error(cx, s, "expected \"keep\", \"origin\" or "
			    "\"remove\"");
	}
	if ((s = conf_member(g, "connect_ports")) != NULL)
		fwd_ports_parse(cx, s, &fw->connect_ports, &fw->nconnect_ports);
	if ((s = conf_member(g, "block_page")) != NULL)
		fwd_block_page(cx, s, fw);
	if ((s = conf_member(g, "parent_dest")) != NULL)
		fwd_dest_parse(cx, s, &fw->parent_dest);
	if ((s = conf_member(g, "connect_timeout")) != NULL)
		fwd_duration(cx, s, &fw->connect_timeout_ms);
	if ((s = conf_member(g, "idle_timeout")) != NULL)
		fwd_duration(cx, s, &fw->idle_timeout_ms);
	if ((s = conf_member(g, "idle_max")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_INT ||
		    config_setting_get_int(s) < 0 ||
		    config_setting_get_int(s) > 64)
			pt_conf_error(cx, s, "expected 0 to 64");
		else
			fw->idle_max = config_setting_get_int(s);
	}
}

const char *
conf_parse_forward(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	static const char *const names[] = { "acl", "auth", "block_page",
		"deny_private", "local_clients", "via", "strip_headers",
		"referer", "connect_ports", "parents", "parent_dest",
		"never_direct", "connect_timeout", "idle_timeout", "idle_max",
		NULL };
	const struct conf_forward **out = field;
	struct conf_forward	*fw;
	config_setting_t	*g = (config_setting_t *)s, *m;
	const char		*str, *frag;

	*out = NULL;
	if ((str = config_setting_get_string(s)) != NULL)
		return (strcmp(str, "off") == 0 ? NULL :
		    conf_frag(cx, "expected a group or \"off\" (%s)",
		    FWD_EXAMPLE));
	if (!config_setting_is_group(g))
		return (conf_frag(cx, "expected a group, not %s (%s)",
		    conf_type_name(s), FWD_EXAMPLE));
	if ((fw = conf_calloc(cx, 1, sizeof(*fw))) == NULL)
		return (NULL);
	fwd_defaults(cx, fw);
	if ((m = conf_member(g, "acl")) != NULL)
		fwd_acl_parse(cx, m, fw);
	if ((m = conf_member(g, "auth")) != NULL &&
	    (frag = conf_parse_auth(cx, m, &fw->auth)) != NULL)
		pt_conf_error(cx, m, "%s", frag);
	if ((m = conf_member(g, "parents")) != NULL)
		fwd_parents_parse(cx, m, fw);
	fwd_settings(cx, g, fw);
	conf_unknown_names(cx, g, names);
	for (size_t i = 0; i < fw->nacl; i++)
		if (fw->acl[i].action == FWD_AUTH && fw->auth == NULL)
			pt_conf_error(cx, g, "rule \"%s\" asks for authentication "
			    "but forward_proxy has no auth = { ... }",
			    fw->acl[i].name);
	if (fw->never_direct && fw->nparents == 0)
		pt_conf_error(cx, g, "never_direct = true needs parents");
	*out = fw;
	return (NULL);
}

/* portier -T: the group as it loads again. */
static void
dump_strs(FILE *fp, const char *name, const struct pt_strlist *l)
{
	size_t i;

	fprintf(fp, " %s = [", name);
	for (i = 0; i < l->n; i++) {
		fputs(i == 0 ? " " : ", ", fp);
		conf_dump_quoted(fp, l->v[i]);
	}
	fputs(" ];", fp);
}

static void
dump_cidrs(FILE *fp, const char *name, const struct cidr_list *l)
{
	char	a[64];
	size_t	i;

	fprintf(fp, " %s = [", name);
	for (i = 0; i < l->n; i++) {
		inet_ntop(l->v[i].family, l->v[i].addr, a, sizeof(a));
		fprintf(fp, "%s\"%s/%d\"", i == 0 ? " " : ", ", a, l->v[i].bits);
	}
	fputs(" ];", fp);
}

static void
dump_ports(FILE *fp, const char *name, const int *p, size_t n)
{
	size_t i;

	fprintf(fp, " %s = [", name);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s\"%d-%d\"", i == 0 ? " " : ", ", p[2 * i],
		    p[2 * i + 1]);
	fputs(" ];", fp);
}

static void
dump_dest(FILE *fp, const char *name, const struct fwd_dest *d)
{
	size_t i, k = 0;

	if (d->nexact + d->nsuffix + d->nrx > 0) {
		fprintf(fp, " %s = [", name);
		for (i = 0; i < d->nexact; i++, k++) {
			fputs(k == 0 ? " " : ", ", fp);
			conf_dump_quoted(fp, d->exact[i]);
		}
		for (i = 0; i < d->nsuffix; i++, k++)
			fprintf(fp, "%s\".%s\"", k == 0 ? " " : ", ",
			    d->suffix[i]);
		for (i = 0; i < d->nrx; i++, k++) {
			fprintf(fp, "%s\"~", k == 0 ? " " : ", ");
			fputs(rx_pattern(d->rx[i]), fp);
			fputs("\"", fp);
		}
		fputs(" ];", fp);
	}
	if (d->list_file != NULL) {
		fputs(" dest_list = ", fp);
		conf_dump_quoted(fp, d->list_file);
		fputs(";", fp);
	}
}

static void
dump_rule(FILE *fp, const struct fwd_rule *r)
{
	static const char *const actions[] = { "allow", "deny", "auth" };

	fputs("{ name = ", fp);
	conf_dump_quoted(fp, r->name);
	fprintf(fp, "; action = \"%s\";", actions[r->action]);
	if (r->client.n > 0)
		dump_cidrs(fp, "client", &r->client);
	dump_dest(fp, "dest", &r->dest);
	if (r->nports > 0)
		dump_ports(fp, "port", r->ports, r->nports);
	if (r->methods.n > 0)
		dump_strs(fp, "method", &r->methods);
	if (r->has_time)
		fprintf(fp, " time = \"%02d:%02d-%02d:%02d\";",
		    r->time_from / 60, r->time_from % 60, r->time_to / 60,
		    r->time_to % 60);
	if (r->users.n > 0)
		dump_strs(fp, "user", &r->users);
	fputs(" }", fp);
}

void
conf_dump_forward(FILE *fp, int depth, const void *field)
{
	static const char *const referer[] = { "keep", "origin", "remove" };
	const struct conf_forward *fw = *(const struct conf_forward *const *)field;
	char	buf[64];
	size_t	i;

	conf_dump_indent(fp, depth);
	if (fw == NULL) {
		fputs("forward_proxy = \"off\";\n", fp);
		return;
	}
	fputs("forward_proxy = {\n", fp);
	conf_dump_indent(fp, depth + 1);
	fputs("acl = (", fp);
	for (i = 0; i < fw->nacl; i++) {
		fputs(i == 0 ? " " : ", ", fp);
		dump_rule(fp, &fw->acl[i]);
	}
	fputs(" );\n", fp);
	if (fw->auth != NULL)
		conf_dump_auth(fp, depth + 1, &fw->auth);
	conf_dump_indent(fp, depth + 1);
	if (fw->block_page != NULL) {
		fputs("block_page = ", fp);
		conf_dump_quoted(fp, fw->block_page);
		fputs(";", fp);
	}
	fprintf(fp, " deny_private = %s; via = %s; never_direct = %s; "
	    "referer = \"%s\";", fw->deny_private ? "true" : "false",
	    fw->via ? "true" : "false", fw->never_direct ? "true" : "false",
	    referer[fw->referer]);
	dump_cidrs(fp, "local_clients", &fw->local_clients);
	dump_strs(fp, "strip_headers", &fw->strip_headers);
	dump_ports(fp, "connect_ports", fw->connect_ports, fw->nconnect_ports);
	fputs("\n", fp);
	conf_dump_indent(fp, depth + 1);
	fputs("connect_timeout = ", fp);
	conf_dump_quoted(fp, conf_duration_fmt(fw->connect_timeout_ms, buf,
	    sizeof(buf)));
	fputs("; idle_timeout = ", fp);
	conf_dump_quoted(fp, conf_duration_fmt(fw->idle_timeout_ms, buf,
	    sizeof(buf)));
	fprintf(fp, "; idle_max = %d;\n", fw->idle_max);
	if (fw->nparents > 0) {
		conf_dump_indent(fp, depth + 1);
		fputs("parents = (", fp);
		for (i = 0; i < fw->nparents; i++) {
			fputs(i == 0 ? " { address = " : ", { address = ", fp);
			conf_dump_quoted(fp, fw->parents[i].address);
			fputs("; }", fp);
		}
		fputs(" );", fp);
		if (fw->parent_dest.set)
			dump_dest(fp, "parent_dest", &fw->parent_dest);
		fputs("\n", fp);
	}
	conf_dump_indent(fp, depth);
	fputs("};\n", fp);
}
