/*
 * portier -T for the upstreams list: every pool with every value, defaults
 * filled in, in the syntax conf_parse_upstreams() reads back. The generic
 * printer (conf_dump.c) calls it for the one CUSTOM entry it cannot walk.
 */
#include "config.h"

#include "conf_upstream.h"

#include <stdio.h>

#include "upstream.h"

static const char *const dump_balance[] = {
	"round_robin", "least_conn", "ip_hash", "hash", "random"
};

static void
up_indent(FILE *fp, int depth)
{
	while (depth-- > 0)
		fputc('\t', fp);
}

/* A libconfig string literal. */
static void
up_str(FILE *fp, const char *s)
{
	const unsigned char *p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

static void
up_kv_str(FILE *fp, int depth, const char *key, const char *v)
{
	up_indent(fp, depth);
	fprintf(fp, "%s = ", key);
	up_str(fp, v);
	fputs(";\n", fp);
}

static void
up_kv_ms(FILE *fp, int depth, const char *key, long long ms)
{
	char buf[64];

	up_kv_str(fp, depth, key, conf_duration_fmt(ms, buf, sizeof(buf)));
}

static void
up_dump_servers(FILE *fp, int depth, const struct conf_upstream *up)
{
	const struct upstream_server	*s;
	size_t				 i;

	up_indent(fp, depth);
	fputs("servers = (\n", fp);
	for (i = 0; i < up->nservers; i++) {
		s = &up->servers[i];
		up_indent(fp, depth + 1);
		fputs("{ address = ", fp);
		up_str(fp, s->address);
		fprintf(fp, "; weight = %d; max_conns = %d; backup = %s; "
		    "down = %s; }%s\n", s->weight, s->max_conns,
		    s->backup ? "true" : "false", s->down ? "true" : "false",
		    i + 1 < up->nservers ? "," : "");
	}
	up_indent(fp, depth);
	fputs(");\n", fp);
}

static void
up_dump_health(FILE *fp, int depth, const struct conf_upstream *up)
{
	size_t i;

	up_indent(fp, depth);
	if (up->health_path == NULL) {
		fputs("# health: not set (no active checks)\n", fp);
		return;
	}
	fputs("health = {\n", fp);
	up_kv_str(fp, depth + 1, "path", up->health_path);
	up_kv_ms(fp, depth + 1, "interval", up->health_interval_ms);
	up_kv_ms(fp, depth + 1, "timeout", up->health_timeout_ms);
	up_indent(fp, depth + 1);
	fprintf(fp, "fall = %d;\n", up->health_fall);
	up_indent(fp, depth + 1);
	fprintf(fp, "rise = %d;\n", up->health_rise);
	up_indent(fp, depth + 1);
	if (up->nhealth_statuses == 0)
		fputs("# statuses: 200 to 399\n", fp);
	else {
		fputs("statuses = [", fp);
		for (i = 0; i < up->nhealth_statuses; i++)
			fprintf(fp, "%s%d", i ? ", " : " ",
			    up->health_statuses[i]);
		fputs(" ];\n", fp);
	}
	up_indent(fp, depth);
	fputs("};\n", fp);
}

static void
up_dump_one(FILE *fp, int depth, const struct conf_upstream *up)
{
	up_kv_str(fp, depth, "name", up->name);
	up_kv_str(fp, depth, "balance", dump_balance[up->balance]);
	if (up->hash_key != NULL)
		up_kv_str(fp, depth, "hash_key", up->hash_key);
	up_dump_servers(fp, depth, up);
	up_kv_ms(fp, depth, "connect_timeout", up->connect_timeout_ms);
	up_kv_ms(fp, depth, "idle_timeout", up->idle_timeout_ms);
	up_indent(fp, depth);
	fprintf(fp, "idle_max = %d;\n", up->idle_max);
	up_indent(fp, depth);
	fprintf(fp, "tries = %d;\n", up->tries);
	up_kv_ms(fp, depth, "try_timeout", up->try_timeout_ms);
	up_kv_ms(fp, depth, "resolve_interval", up->resolve_interval_ms);
	up_indent(fp, depth);
	fprintf(fp, "passive = {\n");
	up_indent(fp, depth + 1);
	fprintf(fp, "failures = %d;\n", up->fail_max);
	up_kv_ms(fp, depth + 1, "window", up->fail_window_ms);
	up_kv_ms(fp, depth + 1, "cooldown", up->fail_cooldown_ms);
	up_indent(fp, depth);
	fputs("};\n", fp);
	up_kv_ms(fp, depth, "slow_start", up->slow_start_ms);
	up_kv_str(fp, depth, "send_proxy_protocol",
	    up->send_proxy_protocol == 2 ? "v2" :
	    up->send_proxy_protocol == 1 ? "v1" : "off");
	up_dump_health(fp, depth, up);
	up_indent(fp, depth);
	if (up->sticky_cookie == NULL)
		fputs("# sticky: not set\n", fp);
	else {
		fputs("sticky = { cookie = ", fp);
		up_str(fp, up->sticky_cookie);
		fputs("; };\n", fp);
	}
}

void
conf_upstreams_dump(FILE *fp, int depth, const void *field)
{
	const struct pt_conf	*conf;
	size_t			 i;

	conf = CONF_CONTAINER(field, const struct pt_conf, upstreams);
	if (conf->nupstreams == 0) {
		up_indent(fp, depth);
		fputs("# upstreams: none\n", fp);
		return;
	}
	up_indent(fp, depth);
	fputs("upstreams = (\n", fp);
	for (i = 0; i < conf->nupstreams; i++) {
		up_indent(fp, depth + 1);
		fputs("{\n", fp);
		up_dump_one(fp, depth + 2, &conf->upstreams[i]);
		up_indent(fp, depth + 1);
		fprintf(fp, "}%s\n", i + 1 < conf->nupstreams ? "," : "");
	}
	up_indent(fp, depth);
	fputs(");\n", fp);
}
