/*
 * The forward proxy's decisions: whether a request is for it, its target
 * (host and port), authentication, the ordered rules and CONNECT ports
 * (with the block page), and the SSRF and loop checks on resolved
 * addresses. Connecting and relaying are proxy_forward.c's.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <portier/request.h>
#include "auth.h"
#include "forward.h"
#include "proxy.h"
#include "resolver.h"

static int
addr_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohs(((const struct sockaddr_in *)(const void *)a)->sin_port));
	if (a->ss_family == AF_INET6)
		return (ntohs(((const struct sockaddr_in6 *)(const void *)a)->sin6_port));
	return (0);
}

static const unsigned char *
addr_bytes(const struct sockaddr_storage *a, size_t *n)
{
	if (a->ss_family == AF_INET) {
		*n = 4;
		return ((const unsigned char *)&((const struct sockaddr_in *)
		    (const void *)a)->sin_addr);
	}
	*n = 16;
	return (((const struct sockaddr_in6 *)(const void *)a)->sin6_addr.s6_addr);
}

static bool
addr_is_any(const struct sockaddr_storage *a)
{
	static const unsigned char	 zero[16];
	size_t				 n;
	const unsigned char		*b = addr_bytes(a, &n);

	return (memcmp(b, zero, n) == 0);
}

/* Same family and address; with port, the same port too. */
static bool
addr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
    bool port)
{
	const unsigned char	*x, *y;
	size_t			 n, m;

	if (a->ss_family != b->ss_family || (a->ss_family != AF_INET &&
	    a->ss_family != AF_INET6))
		return (false);
	if (port && addr_port(a) != addr_port(b))
		return (false);
	x = addr_bytes(a, &n);
	y = addr_bytes(b, &m);
	return (n == m && memcmp(x, y, n) == 0);
}

bool
forward_is_request(const struct pt_request *r)
{
	return (r->srv != NULL && r->srv->forward != NULL &&
	    (r->head.form == HTTP_T_ABSOLUTE ||
	    r->head.form == HTTP_T_AUTHORITY));
}

/* host[:port] of the target into t; 0 or 400. */
int
fwd_target_parse(const struct pt_request *r, struct fwd_target *t)
{
	const struct http_head	*h = &r->head;
	const char		*p = h->authority.p, *end = p + h->authority.len;
	const char		*hs, *he, *colon = NULL;
	size_t			 i;
	int			 port = 0;

	memset(t, 0, sizeof(*t));
	t->connect = h->form == HTTP_T_AUTHORITY;
	if (!t->connect && !str_case_eq(h->scheme.p, h->scheme.len, "http"))
		return (400);	/* no TLS to origins: https goes via CONNECT */
	if (p < end && *p == '[') {
		hs = p + 1;
		if ((he = memchr(p, ']', (size_t)(end - p))) == NULL)
			return (400);
		if (he + 1 < end && he[1] == ':')
			colon = he + 1;
		else if (he + 1 != end)
			return (400);
	} else {
		hs = p;
		colon = memchr(p, ':', (size_t)(end - p));
		he = colon != NULL ? colon : end;
	}
	if (colon != NULL) {
		for (p = colon + 1; p < end && *p >= '0' && *p <= '9' &&
		    port <= 65535; p++)
			port = port * 10 + (*p - '0');
		if (p != end || port < 1 || port > 65535)
			return (400);
	} else if (t->connect)
		return (400);	/* CONNECT names a port */
	else
		port = 80;
	t->port = port;
	t->hostlen = (size_t)(he - hs);
	while (t->hostlen > 0 && hs[t->hostlen - 1] == '.')
		t->hostlen--;
	if (t->hostlen == 0 || t->hostlen > RESOLVER_NAME_MAX)
		return (400);
	for (i = 0; i < t->hostlen; i++)
		t->host[i] = (hs[i] >= 'A' && hs[i] <= 'Z') ?
		    (char)(hs[i] + 32) : hs[i];
	t->host[t->hostlen] = '\0';
	return (0);
}

static void
fwd_html_escape(char *out, size_t room, const char *s)
{
	size_t at = 0;

	for (; *s != '\0' && at + 7 < room; s++) {
		if (*s == '<' || *s == '>' || *s == '&' || *s == '"')
			at += (size_t)snprintf(out + at, room - at, "&#%d;", *s);
		else
			out[at++] = *s;
	}
	out[at] = '\0';
}

/*
 * 403 with the block page: the configured file with %{acl_rule} and
 * %{host} filled in, or a short built-in page. Names the rule, nothing
 * else (no addresses, no versions).
 */
int
fwd_block(struct pt_request *r, const struct fwd_target *t, const char *rule)
{
	const struct conf_forward	*fw = r->srv->forward;
	const char			*tpl, *p, *q;
	char				 er[160], eh[RESOLVER_NAME_MAX * 6 + 8];
	char				*body;
	size_t				 at = 0, room;

	r->acl_rule = rule;
	PT_RLOG(r, PT_LOG_INFO, "forward: %s %s: denied by %s",
	    t->connect ? "CONNECT" : "request to", t->host, rule);
	fwd_html_escape(er, sizeof(er), rule);
	fwd_html_escape(eh, sizeof(eh), t->host);
	tpl = fw->block_body != NULL ? fw->block_body :
	    "<!DOCTYPE html>\n<html><head><title>Access denied</title></head>"
	    "<body><h1>Access denied</h1><p>Access to %{host} is blocked by "
	    "this proxy's rule \"%{acl_rule}\".</p></body></html>\n";
	room = strlen(tpl) * 2 + strlen(er) * 8 + strlen(eh) * 8 + 1;
	if ((body = pt_alloc(r->arena, room)) == NULL)
		return (500);
	for (p = tpl; *p != '\0' && at + 1 < room;) {
		q = strncmp(p, "%{acl_rule}", 11) == 0 ? er :
		    strncmp(p, "%{host}", 7) == 0 ? eh : NULL;
		if (q != NULL) {
			at += (size_t)snprintf(body + at, room - at, "%s", q);
			p += q == er ? 11 : 7;
		} else
			body[at++] = *p++;
	}
	body[at] = '\0';
	if (resp_send(r, 403, "text/html; charset=utf-8", body, at) == -1)
		return (PT_ERROR);
	return (0);
}

static bool
fwd_ports_has(const int *pairs, size_t n, int port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (port >= pairs[2 * i] && port <= pairs[2 * i + 1])
			return (true);
	return (false);
}

bool
fwd_ports_allowed(const struct conf_forward *fw, int port)
{
	return (fwd_ports_has(fw->connect_ports, fw->nconnect_ports, port));
}

bool
fwd_via_parents(const struct conf_forward *fw, const struct fwd_target *t)
{
	return (fw->nparents > 0 && (!fw->parent_dest.set ||
	    fwd_dest_match(&fw->parent_dest, t->host, t->hostlen)));
}

/* What the rules look at for request r to target t, now. */
void
fwd_acl_input_of(const struct pt_request *r, const struct fwd_target *t,
    struct fwd_acl_input *in)
{
	struct tm	tm;
	time_t		now = time(NULL);

	localtime_r(&now, &tm);
	memset(in, 0, sizeof(*in));
	in->client = &r->conn->peer;
	in->host = t->host;
	in->hostlen = t->hostlen;
	in->port = t->port;
	in->method = r->head.method.p;
	in->methodlen = r->head.method.len;
	in->minute = tm.tm_hour * 60 + tm.tm_min;
	in->user = r->user;
}

/*
 * Authentication (when credentials came) and the rules. PT_OK to go on,
 * 0 when answered (the block page), or a status (407 with the challenge).
 */
int
fwd_decide(struct pt_request *r, const struct fwd_target *t)
{
	const struct conf_forward	*fw = r->srv->forward;
	const struct fwd_rule		*rule;
	struct fwd_acl_input		 in;
	struct pt_str			 v;
	const char			*value, *user = NULL;
	size_t				 from = 0;

	if (t->connect && !fwd_ports_allowed(fw, t->port))
		return (fwd_block(r, t, "connect_ports") == 0 ? -100 : PT_ERROR);
	if (fw->auth != NULL && pt_req_header(r, "Proxy-Authorization", &v)) {
		if ((value = pt_strndup(r->arena, v.p, v.len)) == NULL)
			return (500);
		if (auth_basic_check(r, fw->auth, value, &user) != PT_OK) {
			r->acl_rule = "auth";
			return (auth_basic_challenge(r, fw->auth,
			    "Proxy-Authenticate") == PT_OK ? 407 : 500);
		}
		r->user = user;
	}
	fwd_acl_input_of(r, t, &in);
	rule = fwd_acl_first(fw->acl, fw->nacl, &in, &from);
	if (rule == NULL)
		return (fwd_block(r, t, "default") == 0 ? -100 : PT_ERROR);
	r->acl_rule = rule->name;
	if (rule->action == FWD_ALLOW)
		return (PT_OK);
	if (rule->action == FWD_DENY)
		return (fwd_block(r, t, rule->name) == 0 ? -100 : PT_ERROR);
	/* auth, and no (valid) credentials */
	return (auth_basic_challenge(r, fw->auth, "Proxy-Authenticate") ==
	    PT_OK ? 407 : 500);
}

/*
 * Whether a may be the address the client reached us on: an accepted
 * socket has its listener's port, so any other port cannot be (and saves
 * a getsockname per request).
 */
static bool
fwd_may_be_local(const struct pt_request *r,
    const struct sockaddr_storage *a)
{
	const char	*colon;

	if (r->conn->lst == NULL ||
	    (colon = strrchr(r->conn->lst->bound, ':')) == NULL)
		return (true);
	return (atoi(colon + 1) == addr_port(a));
}

/* Whether a is one of this server's own listening addresses (a loop). */
static bool
fwd_is_own(const struct pt_request *r, const struct sockaddr_storage *a)
{
	const struct pt_conf		*cf = r->conf;
	const struct conf_listen	*cl;
	struct sockaddr_storage		 local;
	socklen_t			 sl = sizeof(local);
	size_t				 i, j;

	if (fwd_may_be_local(r, a) && getsockname(r->conn->fd,
	    (struct sockaddr *)&local, &sl) == 0 && addr_same(&local, a, true))
		return (true);
	for (i = 0; i < cf->nservers; i++)
		for (j = 0; j < cf->servers[i].nlisten; j++) {
			cl = &cf->servers[i].listen[j];
			if (cl->addr.ss_family == a->ss_family &&
			    addr_port(&cl->addr) != 0 &&
			    addr_port(&cl->addr) == addr_port(a) &&
			    (addr_is_any(&cl->addr) ||
			    addr_same(&cl->addr, a, false)))
				return (true);
		}
	return (false);
}

/*
 * Why this client may not reach a (resolved, with its port): "loop" for
 * our own listeners, "deny_private" for private and loopback addresses
 * from a client outside local_clients; NULL when it may.
 */
const char *
fwd_refused(const struct pt_request *r, const struct sockaddr_storage *a)
{
	const struct conf_forward *fw = r->srv->forward;

	if (fwd_is_own(r, a))
		return ("loop");
	if (fw->deny_private && fwd_addr_is_private(a) &&
	    !cidr_list_match(&fw->local_clients, &r->conn->peer))
		return ("deny_private");
	return (NULL);
}
