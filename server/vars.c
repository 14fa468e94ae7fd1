/*
 * The variables facility: %{name} lookups shared by log formats now, and by
 * routing, cache keys, rewrite conditions and WAF targets later, so there is
 * one syntax. A value is written into the caller's buffer or points into the
 * request; nothing here allocates.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core.h"
#include "vars.h"

static int
var_header(const struct pt_request *r, const char *name, size_t len,
    struct pt_str *out)
{
	const struct http_head	*h = &r->head;
	size_t			 i;

	for (i = 0; i < h->nfields; i++) {
		if (h->fields[i].name.len == len &&
		    strncasecmp(h->fields[i].name.p, name, len) == 0) {
			*out = h->fields[i].value;
			return (0);
		}
	}
	return (-1);
}

/* Cookie "name=value" pairs in every Cookie field (RFC 6265 5.4). */
static int
var_cookie(const struct pt_request *r, const char *name, size_t len,
    struct pt_str *out)
{
	const struct http_head	*h = &r->head;
	const char		*p, *end, *eq, *semi;
	size_t			 i;

	for (i = 0; i < h->nfields; i++) {
		if (!str_case_eq(h->fields[i].name.p, h->fields[i].name.len,
		    "cookie"))
			continue;
		p = h->fields[i].value.p;
		end = p + h->fields[i].value.len;
		while (p < end) {
			while (p < end && (*p == ' ' || *p == ';'))
				p++;
			semi = memchr(p, ';', (size_t)(end - p));
			if (semi == NULL)
				semi = end;
			eq = memchr(p, '=', (size_t)(semi - p));
			if (eq != NULL && (size_t)(eq - p) == len &&
			    memcmp(p, name, len) == 0) {
				out->p = eq + 1;
				out->len = (size_t)(semi - eq - 1);
				return (0);
			}
			p = semi;
		}
	}
	return (-1);
}

static void
var_set(struct pt_str *out, const char *s)
{
	out->p = s;
	out->len = strlen(s);
}

static int
var_num(struct pt_str *out, char *buf, size_t len, unsigned long long v)
{
	int n = snprintf(buf, len, "%llu", v);

	out->p = buf;
	out->len = n > 0 ? (size_t)n : 0;
	return (0);
}

/*
 * Path and query as received. In origin form that is the target; an
 * absolute-form target ("http://host/p?q") loses its scheme and authority.
 */
static int
var_uri(const struct pt_request *r, struct pt_str *out)
{
	const struct http_head	*h = &r->head;
	const char		*end = h->target.p + h->target.len;
	char			*p;

	if (h->form != HTTP_T_ABSOLUTE) {
		*out = h->target;
		return (0);
	}
	if (h->path.p >= h->target.p && h->path.p < end) {
		out->p = h->path.p;
		out->len = (size_t)(end - h->path.p);
		return (0);
	}
	/* An empty path ("http://host?q"), which the parser made "/". */
	if ((p = pt_printf(r->arena, "/%s%.*s", h->has_query ? "?" : "",
	    (int)h->query.len, h->query.p)) == NULL)
		return (-1);
	var_set(out, p);
	return (0);
}

/* Variables about the request line and the connection. */
static int
var_request(const struct pt_request *r, const char *n, size_t len,
    struct pt_str *out, char *buf, size_t buflen)
{
	const struct http_head *h = &r->head;

	if (str_case_eq(n, len, "method"))
		*out = h->method;
	else if (str_case_eq(n, len, "path"))
		var_set(out, r->path != NULL ? r->path : "");
	else if (str_case_eq(n, len, "raw_path"))
		*out = h->path;
	else if (str_case_eq(n, len, "query"))
		*out = h->query;
	else if (str_case_eq(n, len, "uri"))
		return (var_uri(r, out));
	else if (str_case_eq(n, len, "user"))
		var_set(out, r->user != NULL ? r->user : "");
	else if (str_case_eq(n, len, "host"))
		*out = h->host;
	else if (str_case_eq(n, len, "protocol"))
		var_set(out, h->version == 10 ? "HTTP/1.0" : "HTTP/1.1");
	else if (str_case_eq(n, len, "client_addr"))
		var_set(out, r->conn->client);
	else if (str_case_eq(n, len, "client_port"))
		var_set(out, r->conn->client_port);
	else if (str_case_eq(n, len, "server_addr"))
		var_set(out, r->conn->lst->bound);
	else if (str_case_eq(n, len, "request_id"))
		var_set(out, r->id);
	else if (str_case_eq(n, len, "route"))
		var_set(out, r->route != NULL ? r->route->path : "");
	else if (str_case_eq(n, len, "server_name"))
		var_set(out, r->srv != NULL && r->srv->names.n > 0 ?
		    r->srv->names.v[0] : "");
	else if (str_case_eq(n, len, "scheme"))
		var_set(out, r->conn->secure ? "https" : "http");
	else if (str_case_eq(n, len, "upstream_addr"))
		var_set(out, r->upstream_addr != NULL ? r->upstream_addr : "");
	else if (str_case_eq(n, len, "acl_rule"))
		var_set(out, r->acl_rule != NULL ? r->acl_rule : "");
	else
		return (-1);
	(void)buf;
	(void)buflen;
	return (0);
}

/* Variables about the response; known once it was sent. */
static int
var_response(const struct pt_request *r, const char *n, size_t len,
    struct pt_str *out, char *buf, size_t buflen)
{
	struct timespec	now;
	long long	us;

	if (str_case_eq(n, len, "status"))
		return (var_num(out, buf, buflen, (unsigned long long)r->status));
	if (str_case_eq(n, len, "bytes_sent"))
		return (var_num(out, buf, buflen, r->bytes_out));
	if (str_case_eq(n, len, "bytes_received"))
		return (var_num(out, buf, buflen, r->bytes_in));
	if (str_case_eq(n, len, "request_time_us") ||
	    str_case_eq(n, len, "request_time")) {
		clock_gettime(CLOCK_REALTIME, &now);
		us = (now.tv_sec - r->start.tv_sec) * 1000000LL +
		    (now.tv_nsec - r->start.tv_nsec) / 1000;
		if (len == strlen("request_time")) {
			int k = snprintf(buf, buflen, "%lld.%03lld",
			    us / 1000000, (us / 1000) % 1000);

			out->p = buf;
			out->len = k > 0 ? (size_t)k : 0;
			return (0);
		}
		return (var_num(out, buf, buflen, (unsigned long long)us));
	}
	return (-1);
}

/* Variables a module set on the connection (pt_conn_set_var). */
static int
var_conn(const struct pt_request *r, const char *n, size_t len,
    struct pt_str *out)
{
	const struct conn_var *v;

	for (v = r->conn->vars; v != NULL; v = v->next)
		if (str_case_eq(n, len, v->name)) {
			var_set(out, v->value);
			return (0);
		}
	return (-1);
}

int
var_lookup(const struct pt_request *r, const char *name, size_t len,
    struct pt_str *out, char *buf, size_t buflen)
{
	out->p = "";
	out->len = 0;
	if (len > 7 && strncasecmp(name, "header.", 7) == 0)
		return (var_header(r, name + 7, len - 7, out));
	if (len > 7 && strncasecmp(name, "cookie.", 7) == 0)
		return (var_cookie(r, name + 7, len - 7, out));
	if (var_request(r, name, len, out, buf, buflen) == 0)
		return (0);
	if (var_response(r, name, len, out, buf, buflen) == 0)
		return (0);
	return (var_conn(r, name, len, out));
}

bool
var_is_known(const char *name, size_t len)
{
	static const char *const names[] = {
		"method", "path", "raw_path", "upstream_addr", "query", "uri", "host", "protocol",
		"client_addr", "client_port", "server_addr", "request_id",
		"route", "server_name", "scheme", "user", "status", "bytes_sent",
		"bytes_received", "request_time", "request_time_us", "acl_rule",
		NULL
	};
	size_t i;

	/* ssl_*: connection variables of mod_ssl (pt_conn_set_var). */
	if ((len > 7 && strncasecmp(name, "header.", 7) == 0) ||
	    (len > 7 && strncasecmp(name, "cookie.", 7) == 0) ||
	    (len > 4 && strncasecmp(name, "ssl_", 4) == 0))
		return (true);
	for (i = 0; names[i] != NULL; i++)
		if (str_case_eq(name, len, names[i]))
			return (true);
	return (false);
}
