/*
 * The accessors of include/portier/request.h: what modules may read and
 * change of a request and its response. Header changes copy the field
 * array into the request's arena; the received bytes are never written.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include <portier/request.h>
#include "core.h"
#include "static_file.h"
#include "upstream.h"
#include "vars.h"

PT_API struct pt_str
pt_req_method(const struct pt_request *r)
{
	return (r->head.method);
}

PT_API struct pt_str
pt_req_target(const struct pt_request *r)
{
	return (r->head.target);
}

PT_API struct pt_str
pt_req_query(const struct pt_request *r)
{
	return (r->head.query);
}

PT_API const char *
pt_req_path(const struct pt_request *r)
{
	return (r->path);
}

PT_API int
pt_req_set_path(struct pt_request *r, const char *path)
{
	char *p;

	if (path == NULL || path[0] != '/' ||
	    (p = pt_strdup(r->arena, path)) == NULL)
		return (PT_ERROR);
	r->path = p;
	r->path_slash = p[strlen(p) - 1] == '/';
	r->path_rewritten = true;
	return (PT_OK);
}

PT_API struct pt_str
pt_req_host(const struct pt_request *r)
{
	return (r->head.host);
}

PT_API const char *
pt_req_id(const struct pt_request *r)
{
	return (r->id);
}

PT_API const char *
pt_req_client_addr(const struct pt_request *r)
{
	return (r->conn->client);
}

PT_API struct pt_arena *
pt_req_arena(struct pt_request *r)
{
	return (r->arena);
}

PT_API struct pt_conn *
pt_req_conn(const struct pt_request *r)
{
	return (r->conn);
}

PT_API bool
pt_req_header(const struct pt_request *r, const char *name,
    struct pt_str *value)
{
	const struct http_field *f = http_head_field(&r->head, name);

	if (f == NULL)
		return (false);
	if (value != NULL)
		*value = f->value;
	return (true);
}

PT_API bool
pt_req_header_at(const struct pt_request *r, size_t i, struct pt_str *name,
    struct pt_str *value)
{
	if (i >= r->head.nfields)
		return (false);
	if (name != NULL)
		*name = r->head.fields[i].name;
	if (value != NULL)
		*value = r->head.fields[i].value;
	return (true);
}

/* Header values from modules must not smuggle a line break (or a NUL). */
static bool
field_value_ok(const char *v)
{
	return (strpbrk(v, "\r\n") == NULL);
}

/* The core owns the framing and these: a module may not add them twice. */
static bool
field_core_owned(const char *name)
{
	switch (strlen(name)) {	/* most names are ruled out by length */
	case 4:
		return (strcasecmp(name, "date") == 0);
	case 10:
		return (strcasecmp(name, "connection") == 0);
	case 14:
		return (strcasecmp(name, "content-length") == 0);
	case 17:
		return (strcasecmp(name, "transfer-encoding") == 0);
	default:
		return (false);
	}
}

PT_API int
pt_req_header_remove(struct pt_request *r, const char *name)
{
	struct http_head	*h = &r->head;
	struct http_field	*nf;
	size_t			 i, k = 0;

	if ((nf = pt_calloc(r->arena, h->nfields + 1, sizeof(*nf))) == NULL)
		return (PT_ERROR);
	for (i = 0; i < h->nfields; i++)
		if (!str_case_eq(h->fields[i].name.p, h->fields[i].name.len,
		    name))
			nf[k++] = h->fields[i];
	h->fields = nf;
	h->nfields = k;
	return (PT_OK);
}

PT_API int
pt_req_header_add(struct pt_request *r, const char *name, const char *value)
{
	struct http_head	*h = &r->head;
	struct http_field	*nf;

	if (!field_value_ok(value) || strpbrk(name, ": \t\r\n") != NULL ||
	    (nf = pt_calloc(r->arena, h->nfields + 1, sizeof(*nf))) == NULL)
		return (PT_ERROR);
	if (h->nfields > 0)
		memcpy(nf, h->fields, h->nfields * sizeof(*nf));
	nf[h->nfields].name.p = pt_strdup(r->arena, name);
	nf[h->nfields].name.len = strlen(name);
	nf[h->nfields].value.p = pt_strdup(r->arena, value);
	nf[h->nfields].value.len = strlen(value);
	if (nf[h->nfields].name.p == NULL || nf[h->nfields].value.p == NULL)
		return (PT_ERROR);
	h->fields = nf;
	h->nfields++;
	return (PT_OK);
}

PT_API int
pt_req_header_set(struct pt_request *r, const char *name, const char *value)
{
	if (pt_req_header_remove(r, name) != PT_OK)
		return (PT_ERROR);
	return (pt_req_header_add(r, name, value));
}

PT_API int
pt_resp_status(const struct pt_request *r)
{
	return (r->status);
}

PT_API int64_t
pt_resp_content_length(const struct pt_request *r)
{
	return (r->resp_length);
}

PT_API const char *
pt_resp_header(const struct pt_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nfields; i++)
		if (strcasecmp(r->fields[i].name, name) == 0)
			return (r->fields[i].value);
	return (NULL);
}

PT_API bool
pt_resp_header_at(const struct pt_request *r, size_t i, const char **name,
    const char **value)
{
	if (i >= r->nfields)
		return (false);
	*name = r->fields[i].name;
	*value = r->fields[i].value;
	return (true);
}

PT_API int
pt_resp_replace_body(struct pt_request *r, const void *body, size_t len)
{
	if (r->head_sent)
		return (PT_ERROR);
	r->repl_body = body != NULL ? body : "";
	r->repl_len = body != NULL ? len : 0;
	return (PT_OK);
}

PT_API int
pt_resp_header_remove(struct pt_request *r, const char *name)
{
	size_t i, k = 0;

	for (i = 0; i < r->nfields; i++)
		if (strcasecmp(r->fields[i].name, name) != 0)
			r->fields[k++] = r->fields[i];
	r->nfields = k;
	return (PT_OK);
}

PT_API int
pt_resp_header_add(struct pt_request *r, const char *name, const char *value)
{
	char *n, *v;

	if (!field_value_ok(value) || strpbrk(name, ": \t\r\n") != NULL ||
	    field_core_owned(name) ||
	    (n = pt_strdup(r->arena, name)) == NULL ||
	    (v = pt_strdup(r->arena, value)) == NULL)
		return (PT_ERROR);
	return (resp_field_add(r, n, v) == 0 ? PT_OK : PT_ERROR);
}

/* Drops every later field named name after position keep. */
static void
resp_header_remove_after(struct pt_request *r, const char *name, size_t keep)
{
	size_t i, k = keep + 1;

	for (i = keep + 1; i < r->nfields; i++)
		if (strcasecmp(r->fields[i].name, name) != 0)
			r->fields[k++] = r->fields[i];
	r->nfields = k;
}

PT_API int
pt_resp_header_set(struct pt_request *r, const char *name, const char *value)
{
	size_t	i, nlen;
	char	*v;

	/* Date may be set once (a cache sends the stored one); never added. */
	if (strcasecmp(name, "date") == 0 && field_value_ok(value)) {
		pt_resp_header_remove(r, name);
		if ((v = pt_strdup(r->arena, value)) == NULL)
			return (PT_ERROR);
		return (resp_field_add(r, "Date", v) == 0 ? PT_OK : PT_ERROR);
	}
	if (!field_value_ok(value) || field_core_owned(name))
		return (PT_ERROR);
	nlen = strlen(name);
	for (i = 0; i < r->nfields; i++) {
		if (strlen(r->fields[i].name) == nlen &&
		    strcasecmp(r->fields[i].name, name) == 0) {
			if ((r->fields[i].value = pt_strdup(r->arena, value)) == NULL)
				return (PT_ERROR);
			resp_header_remove_after(r, name, i);
			return (PT_OK);
		}
	}
	return (pt_resp_header_add(r, name, value));
}

PT_API int
pt_resp_send(struct pt_request *r, int status, const char *content_type,
    const void *body, size_t len)
{
	return (resp_send(r, status, content_type, body, len) == 0 ? PT_OK :
	    PT_ERROR);
}

PT_API int
pt_resp_send_file(struct pt_request *r, int status, const char *content_type,
    int fd, off_t off, off_t len)
{
	if (fd < 0 || off < 0 || len < 0)
		return (PT_ERROR);
	return (resp_send_file(r, status, content_type, fd, off, len) == 0 ?
	    PT_OK : PT_ERROR);
}

PT_API char *
pt_req_expand(struct pt_request *r, const char *tmpl)
{
	struct pt_str	 v;
	char		 tmp[64], *out;
	const char	*p, *end;
	size_t		 at = 0, room = 256;

	if ((out = pt_alloc(r->arena, room)) == NULL)
		return (NULL);
	for (p = tmpl; *p != '\0'; ) {
		v.p = p;
		v.len = 1;
		if (p[0] == '%' && p[1] == '{' && (end = strchr(p, '}')) != NULL) {
			if (var_lookup(r, p + 2, (size_t)(end - p - 2), &v, tmp,
			    sizeof(tmp)) == -1)
				v.len = 0;
			p = end + 1;
		} else
			p++;
		if (at + v.len + 1 > room) {
			char *n;

			room = (at + v.len + 1) * 2;
			if ((n = pt_alloc(r->arena, room)) == NULL)
				return (NULL);
			memcpy(n, out, at);
			out = n;
		}
		memcpy(out + at, v.p, v.len);
		at += v.len;
	}
	out[at] = '\0';
	return (out);
}

PT_API const char *
pt_req_route(const struct pt_request *r)
{
	return (r->route != NULL ? r->route->path : NULL);
}

static int
module_slot(const struct pt_request *r, const struct pt_module *m)
{
	size_t i;

	for (i = 0; i < r->conf->nmodules; i++)
		if (r->conf->modules[i] == m)
			return ((int)i);
	return (-1);
}

PT_API void *
pt_req_module_ctx(const struct pt_request *r, const struct pt_module *m)
{
	int k = module_slot(r, m);

	return (k < 0 || r->mod_ctx == NULL ? NULL : r->mod_ctx[k]);
}

PT_API int
pt_req_set_module_ctx(struct pt_request *r, const struct pt_module *m,
    void *ctx)
{
	int k = module_slot(r, m);

	if (k < 0)
		return (PT_ERROR);
	if (r->mod_ctx == NULL && (r->mod_ctx = pt_calloc(r->arena,
	    r->conf->nmodules, sizeof(*r->mod_ctx))) == NULL)
		return (PT_ERROR);
	r->mod_ctx[k] = ctx;
	return (PT_OK);
}

#define REQ_NOTES_MAX	16

PT_API int
pt_req_set_note(struct pt_request *r, const char *name, const char *value)
{
	size_t	i;

	if (name == NULL)
		return (PT_ERROR);
	for (i = 0; i < r->nnotes; i++)
		if (strcmp(r->notes[i].name, name) == 0)
			break;
	if (value == NULL) {
		if (i < r->nnotes)
			r->notes[i] = r->notes[--r->nnotes];
		return (PT_OK);
	}
	if (i == r->nnotes) {
		if (r->nnotes == REQ_NOTES_MAX || (r->notes == NULL &&
		    (r->notes = pt_calloc(r->arena, REQ_NOTES_MAX,
		    sizeof(*r->notes))) == NULL) ||
		    (r->notes[i].name = pt_strdup(r->arena, name)) == NULL)
			return (PT_ERROR);
		r->nnotes++;
	}
	if ((r->notes[i].value = pt_strdup(r->arena, value)) == NULL) {
		r->notes[i] = r->notes[--r->nnotes];
		return (PT_ERROR);
	}
	return (PT_OK);
}

PT_API const char *
pt_req_note(const struct pt_request *r, const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < r->nnotes; i++)
		if (strcmp(r->notes[i].name, name) == 0)
			return (r->notes[i].value);
	return (NULL);
}

PT_API int
pt_resp_set_status(struct pt_request *r, int status)
{
	if (status < 100 || status > 599 || r->head_sent)
		return (PT_ERROR);
	r->status = status;
	return (PT_OK);
}

PT_API int
pt_req_set_query(struct pt_request *r, const char *q)
{
	const char	*p;
	char		*c;

	if (q == NULL) {
		r->head.query.p = "";
		r->head.query.len = 0;
		r->head.has_query = false;
		return (PT_OK);
	}
	/* What may not stand in a request line never gets there. */
	for (p = q; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '#')
			return (PT_ERROR);
	if ((c = pt_strdup(r->arena, q)) == NULL)
		return (PT_ERROR);
	r->head.query.p = c;
	r->head.query.len = strlen(c);
	r->head.has_query = true;
	return (PT_OK);
}

PT_API int
pt_req_set_upstream(struct pt_request *r, const char *pool)
{
	struct conf_upstream *up = upstream_find(r->conf, pool);

	if (up == NULL)
		return (PT_ERROR);
	r->upstream_override = up;
	r->upstream_adhoc = NULL;
	return (PT_OK);
}

/* A DNS name (letters, digits, '-', '.', '_') or an IPv6 address. */
static bool
req_host_ok(const char *h, size_t len, bool *v6)
{
	size_t i;

	*v6 = memchr(h, ':', len) != NULL;
	if (len == 0 || len > 255 || h[0] == '.' || h[0] == '-')
		return (false);
	for (i = 0; i < len; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' &&
		    h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') ||
		    h[i] == '-' || h[i] == '.' || h[i] == '_' ||
		    (*v6 && (h[i] == ':' || h[i] == '%'))))
			return (false);
	return (true);
}

PT_API int
pt_req_set_upstream_addr(struct pt_request *r, const char *host, int port,
    bool tls)
{
	struct upstream_adhoc	*t;
	size_t			 len = host != NULL ? strlen(host) : 0;
	bool			 v6;

	if (host == NULL || !req_host_ok(host, len, &v6) || port < 1 ||
	    port > 65535)
		return (PT_ERROR);
	if ((t = pt_calloc(r->arena, 1, sizeof(*t))) == NULL ||
	    (t->host = pt_strdup(r->arena, host)) == NULL)
		return (PT_ERROR);
	t->port = port;
	t->tls = tls;
	t->authority = port == (tls ? 443 : 80) ? pt_printf(r->arena,
	    "%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "") : pt_printf(r->arena,
	    "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
	if (t->authority == NULL)
		return (PT_ERROR);
	r->upstream_adhoc = t;
	r->upstream_override = NULL;
	return (PT_OK);
}

PT_API const char *
pt_req_root(const struct pt_request *r)
{
	if (r->route != NULL)
		return (r->route->sc.root);
	return (r->srv != NULL ? r->srv->sc.root : NULL);
}

/* Whether the textual address a is one of the trusted proxies. */
static bool
fwd_is_trusted(const struct pt_conf *cf, const char *a, size_t len)
{
	struct sockaddr_storage	 ss;
	char			 buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(buf))
		return (false);
	memcpy(buf, a, len);
	buf[len] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, buf, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, buf,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return (false);
	return (cidr_list_match(&cf->trusted_proxies, &ss));
}

/*
 * The client as the proxies in front report it: when the peer is one of
 * trusted_proxies, the rightmost X-Forwarded-For entry that is not itself
 * a trusted proxy; otherwise (or when the field is absent or malformed)
 * the peer's address.
 */
PT_API const char *
pt_req_forwarded_addr(const struct pt_request *r)
{
	const struct pt_conf	*cf = r->conf;
	struct pt_str		 v;
	const char		*end, *s, *e;
	char			*out;

	if (cf->trusted_proxies.n == 0 ||
	    !cidr_list_match(&cf->trusted_proxies, &r->conn->peer) ||
	    !pt_req_header(r, "X-Forwarded-For", &v) || v.len == 0)
		return (r->conn->client);
	end = v.p + v.len;
	for (;;) {
		while (end > v.p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		for (s = end; s > v.p && s[-1] != ','; s--)
			;
		for (e = s; e < end && (*e == ' ' || *e == '\t'); e++)
			;
		if (e == end || (size_t)(end - e) >= INET6_ADDRSTRLEN ||
		    strspn(e, "0123456789abcdefABCDEF.:") < (size_t)(end - e))
			return (r->conn->client);
		if (s == v.p || !fwd_is_trusted(cf, e, (size_t)(end - e)))
			break;
		end = s - 1;
	}
	if ((out = pt_alloc(r->arena, (size_t)(end - e) + 1)) == NULL)
		return (r->conn->client);
	memcpy(out, e, (size_t)(end - e));
	out[end - e] = '\0';
	return (out);
}
