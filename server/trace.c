/*
 * portier --trace-request: one request head, made up from the command
 * line, run through post_read_request, translate (with the core's own
 * routing) and fixups in this process, without a socket or a worker.
 * Prints the server and route chosen and the outcome; modules describe
 * their steps through pt_req_tracing() and PT_RLOG, which pt_log_emit
 * sends to standard output for a traced request. Handlers do not run.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <portier/request.h>
#include "core.h"
#include "hooks_priv.h"
#include "forward.h"
#include "upstream.h"

#define TRACE_HEAD_MAX	(64 * 1024)

/*
 * "GET https://host:port/path?q" or "GET /path?q": the head to parse, in
 * origin-form with Host from the URL; in absolute-form, as a client of a
 * forward proxy sends it, when absolute. "CONNECT host:port" stays so.
 */
static char *
trace_head(struct pt_arena *a, const char *req, const char *const *fields,
    size_t nfields, bool absolute, const char **authority, size_t *alen,
    bool *https)
{
	const char	*sp = strchr(req, ' '), *t, *auth = NULL, *path;
	char		*head;
	size_t		 i, n, mlen;
	bool		 has_host = false, keep;
	int		 k;

	if (sp == NULL || sp == req)
		return (NULL);
	mlen = (size_t)(sp - req);
	for (t = sp; *t == ' '; t++)
		;
	path = t;
	if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8)
	    == 0) {
		auth = strstr(t, "://") + 3;
		*https = auth - t == 8;
		path = auth + strcspn(auth, "/?");
		*alen = (size_t)(path - auth);
	} else if (mlen == 7 && strncasecmp(req, "CONNECT", 7) == 0) {
		auth = t;
		*alen = strlen(t);
	}
	if ((head = pt_alloc(a, TRACE_HEAD_MAX)) == NULL)
		return (NULL);
	keep = (absolute && auth != NULL) || auth == t;
	k = snprintf(head, TRACE_HEAD_MAX, "%.*s %s%s HTTP/1.1\r\n", (int)mlen,
	    req, path[0] == '/' || keep ? "" : "/", keep ? t : path);
	n = k > 0 ? (size_t)k : TRACE_HEAD_MAX;
	if (auth != NULL && n < TRACE_HEAD_MAX) {
		k = snprintf(head + n, TRACE_HEAD_MAX - n, "Host: %.*s\r\n",
		    (int)*alen, auth);
		n += k > 0 ? (size_t)k : TRACE_HEAD_MAX;
		has_host = true;
	}
	for (i = 0; i < nfields && n < TRACE_HEAD_MAX; i++) {
		if (strncasecmp(fields[i], "host:", 5) == 0) {
			if (has_host)
				continue;	/* the URL's authority wins */
			has_host = true;
		}
		k = snprintf(head + n, TRACE_HEAD_MAX - n, "%s\r\n", fields[i]);
		n += k > 0 ? (size_t)k : TRACE_HEAD_MAX;
	}
	if (!has_host && n < TRACE_HEAD_MAX) {
		k = snprintf(head + n, TRACE_HEAD_MAX - n, "Host: localhost\r\n");
		n += k > 0 ? (size_t)k : TRACE_HEAD_MAX;
	}
	if (n + 3 > TRACE_HEAD_MAX)
		return (NULL);
	memcpy(head + n, "\r\n", 3);
	*authority = auth;
	return (head);
}

/*
 * The listener the request arrives on: the first of a server that names
 * the host (or a "*.domain" wildcard of it), else the first one with the
 * URL's port, else the first configured. The core then picks the server
 * on that listener as it would for a real connection.
 */
static const char *
trace_listener(const struct pt_conf *cf, const char *host, size_t hlen)
{
	const struct conf_server	*s;
	const char			*colon, *n;
	size_t				 i, j, nl, len = hlen;

	if ((colon = memchr(host, ':', hlen)) != NULL && host[0] != '[')
		len = (size_t)(colon - host);
	for (i = 0; i < cf->nservers; i++) {
		s = &cf->servers[i];
		for (j = 0; s->nlisten > 0 && j < s->names.n; j++) {
			n = s->names.v[j];
			nl = strlen(n);
			if ((nl == len && strncasecmp(n, host, len) == 0) ||
			    (n[0] == '*' && nl - 1 < len && strncasecmp(n + 1,
			    host + len - (nl - 1), nl - 1) == 0))
				return (s->listen[0].text);
		}
	}
	for (i = 0; colon != NULL && i < cf->nservers; i++)
		for (j = 0; j < cf->servers[i].nlisten; j++) {
			n = cf->servers[i].listen[j].text;
			nl = strlen(n);
			if (nl > hlen - len && strcmp(n + nl - (hlen - len),
			    colon) == 0)
				return (n);
		}
	for (i = 0; i < cf->nservers; i++)
		if (cf->servers[i].nlisten > 0)
			return (cf->servers[i].listen[0].text);
	return (NULL);
}

static void
trace_conn_init(struct pt_conn *c, struct listener *l, struct pt_arena *a,
    const char *client)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&c->peer;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&c->peer;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->lst = l;
	c->arena = a;
	c->tp = &conn_plain;
	snprintf(c->client, sizeof(c->client), "%s", client);
	snprintf(c->client_port, sizeof(c->client_port), "50000");
	if (inet_pton(AF_INET, client, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(50000);
	} else if (inet_pton(AF_INET6, client, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(50000);
	}
}

/* label and s, with control bytes as \xHH: a path may hold a CR or LF. */
static void
trace_str(const char *label, const char *s, size_t len)
{
	size_t i;

	fputs(label, stdout);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
		    s[i] == '\\')
			printf("\\x%02x", (unsigned char)s[i]);
		else
			putchar(s[i]);
	putchar('\n');
}

static void
trace_fields(const struct pt_request *r)
{
	const struct http_head	*h = &r->head;
	size_t			 i;

	for (i = 0; i < h->nfields; i++)
		printf("request field: %.*s: %.*s\n", (int)h->fields[i].name.len,
		    h->fields[i].name.p, (int)h->fields[i].value.len,
		    h->fields[i].value.p);
	for (i = 0; i < r->nfields; i++)
		printf("response field: %s: %s\n", r->fields[i].name,
		    r->fields[i].value);
}

/* What the request would become: the answer, or where it goes. */
static void
trace_outcome(const struct pt_request *r, int rc)
{
	const struct conf_route	*rt = r->route;
	const char		*loc;
	size_t			 i;

	if (rt != NULL)
		printf("route: %s at %s:%d\n", rt->path, rt->file != NULL ?
		    rt->file : "?", rt->line);
	else
		printf("route: none\n");
	trace_str("path: ", r->path != NULL ? r->path : "(none)",
	    r->path != NULL ? strlen(r->path) : 6);
	trace_str("query: ", r->head.query.p, r->head.query.len);
	trace_fields(r);
	if (rc >= 300 && rc <= 599) {
		loc = NULL;
		for (i = 0; i < r->nfields; i++)
			if (strcasecmp(r->fields[i].name, "Location") == 0)
				loc = r->fields[i].value;
		printf("outcome: answer %d %s%s%s\n", rc, resp_reason(rc),
		    loc != NULL ? ", Location: " : "", loc != NULL ? loc : "");
	} else if (rc == PT_ANSWERED && r->answer_status != 0)
		printf("outcome: answer %d %s (set by a module), %zu bytes of "
		    "body%s%s\n", r->answer_status, resp_reason(r->answer_status),
		    r->answer_len, r->answer_type != NULL ? " " : "",
		    r->answer_type != NULL ? r->answer_type : "");
	else if (rc != PT_OK && rc != PT_DECLINED)
		printf("outcome: a hook returned %d: the connection closes\n",
		    rc);
	else if (r->upstream_override != NULL)
		printf("outcome: proxy to upstream \"%s\" (set by a module) "
		    "with the path and query above\n",
		    r->upstream_override->name);
	else if (r->upstream_adhoc != NULL)
		printf("outcome: proxy to %s://%s (an ad-hoc upstream, set by "
		    "a module) with the path and query above\n",
		    r->upstream_adhoc->tls ? "https" : "http",
		    r->upstream_adhoc->authority);
	else if (rt != NULL && rt->ret.status != 0)
		printf("outcome: the route answers %d itself\n", rt->ret.status);
	else if (rt != NULL && rt->upstream != NULL)
		printf("outcome: proxy to upstream \"%s\"\n", rt->upstream->name);
	else if (rt != NULL && rt->sc.root != NULL)
		printf("outcome: static files under %s\n", rt->sc.root);
	else
		printf("outcome: no handler of the core: 404 unless a module "
		    "handles it\n");
}

/* The first listener of the first server with forward_proxy, or NULL. */
static const char *
trace_proxy_listener(const struct pt_conf *cf)
{
	size_t i;

	for (i = 0; i < cf->nservers; i++)
		if (cf->servers[i].forward != NULL &&
		    cf->servers[i].nlisten > 0)
			return (cf->servers[i].listen[0].text);
	return (NULL);
}

/* Parses head into a fresh r and prepares it; 0, or the answer's status. */
static int
trace_parse(struct pt_request *r, struct pt_conn *c, struct pt_arena *ra,
    struct pt_conf *cf, const char *head)
{
	struct http_limits	lim;
	int			rc;

	memset(r, 0, sizeof(*r));
	r->conn = c;
	r->arena = ra;
	r->conf = cf;
	r->tracing = true;
	clock_gettime(CLOCK_REALTIME, &r->start);
	request_id_new(r->id, sizeof(r->id));
	lim.line_max = (size_t)cf->limits.line;
	lim.field_max = (size_t)cf->limits.field;
	lim.fields_max = (size_t)cf->limits.fields;
	if ((rc = http_parse_head(ra, head, strlen(head), &lim, &r->head)) !=
	    0) {
		fprintf(stderr, "portier: --trace-request: the request is "
		    "refused with %d:\n%s", rc, head);
		return (-1);
	}
	return (request_prepare(r));
}

/* Routing, rewriting and the outcome; or the forward proxy's decisions. */
static void
trace_run(struct pt_conf *cf, struct pt_request *r)
{
	int rc;

	printf("server: servers[%zu] at %s:%d%s%s%s\n",
	    (size_t)(r->srv - cf->servers), r->srv->file != NULL ?
	    r->srv->file : "?", r->srv->line, r->srv->names.n > 0 ?
	    ", named " : "", r->srv->names.n > 0 ? r->srv->names.v[0] : "",
	    r->srv->forward != NULL ? ", a forward proxy" : "");
	if ((rc = hooks_run_all(cf->hooks, H_POST_READ_REQUEST, r)) == PT_OK &&
	    forward_is_request(r)) {
		printf("route: none (the forward proxy's request)\n");
		trace_forward(r);
		return;
	}
	if (rc == PT_OK && (rc = request_translate(r)) == PT_OK)
		rc = hooks_run_all(cf->hooks, H_FIXUPS, r);
	trace_outcome(r, rc);
}

int
trace_request(struct pt_conf *cf, const char *req, const char *const *fields,
    size_t nfields, const char *client, bool as_proxy)
{
	struct pt_arena		*ca = NULL, *ra = NULL;
	struct listener		 lst;
	struct pt_conn		 c;
	struct pt_request	 r;
	const char		*auth = NULL, *ltext;
	char			*head;
	size_t			 alen = 0;
	bool			 https = false;
	int			 rc, status = 2;

	if ((ca = pt_arena_new(16 * 1024, 0)) == NULL ||
	    (ra = pt_arena_new(64 * 1024, 0)) == NULL)
		goto done;
	if ((head = trace_head(ca, req, fields, nfields, as_proxy, &auth,
	    &alen, &https)) == NULL) {
		fprintf(stderr, "portier: --trace-request: \"%s\": expected "
		    "\"METHOD URL\", such as \"GET http://www.example.com/"
		    "page?x=1\"\n", req);
		goto done;
	}
	ltext = as_proxy ? trace_proxy_listener(cf) : trace_listener(cf,
	    auth != NULL ? auth : "", alen);
	if (as_proxy && ltext == NULL) {
		fprintf(stderr, "portier: --trace-proxy: no server has "
		    "forward_proxy\n");
		goto done;
	}
	memset(&lst, 0, sizeof(lst));
	lst.fd = -1;
	snprintf(lst.text, sizeof(lst.text), "%s", ltext != NULL ? ltext : "");
	snprintf(lst.bound, sizeof(lst.bound), "%.*s",
	    (int)sizeof(lst.bound) - 1, lst.text);
	trace_conn_init(&c, &lst, ca, client != NULL ? client : "127.0.0.1");
	c.secure = https;	/* %{scheme}: as if TLS ended here */
	if ((rc = trace_parse(&r, &c, ra, cf, head)) == -1)
		goto done;
	/* A forward proxy's clients send the URL as it is: so does this. */
	if (!as_proxy && auth != NULL && r.srv != NULL &&
	    r.srv->forward != NULL && r.head.form == HTTP_T_ORIGIN) {
		if ((head = trace_head(ca, req, fields, nfields, true, &auth,
		    &alen, &https)) == NULL ||
		    (rc = trace_parse(&r, &c, ra, cf, head)) == -1)
			goto done;
	}
	status = 0;
	/* Every line about this request, at any level, goes to stdout. */
	pt_log_max = PT_LOG_TRACE;
	printf("request: %.*s %.*s, Host: %.*s, from %s, on listener %s\n",
	    (int)r.head.method.len, r.head.method.p, (int)r.head.target.len,
	    r.head.target.p, (int)r.head.host.len, r.head.host.p, c.client,
	    lst.text);
	if (rc != 0)
		printf("outcome: answer %d %s (before any hook)\n", rc,
		    resp_reason(rc));
	else
		trace_run(cf, &r);
 done:
	fflush(stdout);
	if (ra != NULL)
		pt_arena_free(ra);
	if (ca != NULL)
		pt_arena_free(ca);
	return (status);
}
