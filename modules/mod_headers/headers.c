/*
 * mod_headers: set, add and remove request and response header fields per
 * server and per route. Values may use %{variables}. The first module, and
 * the proof that the module API is enough for real work.
 */
#define PT_LOG_TAG	"headers"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <portier/arena.h>
#include <portier/conf.h>
#include <portier/hooks.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>

struct hdr_conf {
	struct pt_strlist	 req_set;	/* "Name: value" */
	struct pt_strlist	 req_add;
	struct pt_strlist	 req_remove;	/* field names */
	struct pt_strlist	 resp_set;
	struct pt_strlist	 resp_add;
	struct pt_strlist	 resp_remove;
};

PT_API extern const struct pt_module portier_module;

static bool
hdr_is_tchar(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A field name: 1*tchar (RFC 9110 5.1). */
static bool
hdr_name_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return (false);
	for (i = 0; i < len; i++)
		if (!hdr_is_tchar((unsigned char)p[i]))
			return (false);
	return (true);
}

/* Fields the core writes itself: framing and the date. */
static bool
hdr_core_owned(const char *p, size_t len)
{
	static const char *const owned[] = { "content-length",
	    "transfer-encoding", "connection", "date", NULL };
	size_t i;

	for (i = 0; owned[i] != NULL; i++)
		if (strlen(owned[i]) == len && strncasecmp(p, owned[i], len) == 0)
			return (true);
	return (false);
}

static const char *
hdr_check_pairs(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const struct pt_strlist	*l = field;
	const char		*colon;
	size_t			 i;

	(void)cx;
	(void)s;
	for (i = 0; i < l->n; i++) {
		colon = strchr(l->v[i], ':');
		if (colon == NULL || !hdr_name_ok(l->v[i],
		    (size_t)(colon - l->v[i])))
			return ("each entry is \"Name: value\" with a valid "
			    "field name");
		if (strpbrk(colon, "\r\n") != NULL)
			return ("a value cannot hold a line break");
		if (hdr_core_owned(l->v[i], (size_t)(colon - l->v[i])))
			return ("Content-Length, Transfer-Encoding, Connection "
			    "and Date are set by the core");
	}
	return (NULL);
}

static const char *
hdr_check_names(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const struct pt_strlist	*l = field;
	size_t			 i;

	(void)cx;
	(void)s;
	for (i = 0; i < l->n; i++)
		if (!hdr_name_ok(l->v[i], strlen(l->v[i])))
			return ("each entry is a field name (a token)");
	return (NULL);
}

#define HDR_SCOPES	(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

static const struct pt_directive hdr_directives[] = {
	{ .name = "request_set", .type = PT_T_STRLIST, .scopes = HDR_SCOPES,
	  .offset = offsetof(struct hdr_conf, req_set), .def = "[ ]",
	  .check = hdr_check_pairs, .hint = "[ \"X-Name: value\" ]" },
	{ .name = "request_add", .type = PT_T_STRLIST, .scopes = HDR_SCOPES,
	  .offset = offsetof(struct hdr_conf, req_add), .def = "[ ]",
	  .check = hdr_check_pairs, .hint = "[ \"X-Name: value\" ]" },
	{ .name = "request_remove", .type = PT_T_STRLIST, .scopes = HDR_SCOPES,
	  .offset = offsetof(struct hdr_conf, req_remove), .def = "[ ]",
	  .check = hdr_check_names, .hint = "[ \"X-Name\" ]" },
	{ .name = "response_set", .type = PT_T_STRLIST, .scopes = HDR_SCOPES,
	  .offset = offsetof(struct hdr_conf, resp_set), .def = "[ ]",
	  .check = hdr_check_pairs, .hint = "[ \"X-Name: value\" ]" },
	{ .name = "response_add", .type = PT_T_STRLIST, .scopes = HDR_SCOPES,
	  .offset = offsetof(struct hdr_conf, resp_add), .def = "[ ]",
	  .check = hdr_check_pairs, .hint = "[ \"X-Name: value\" ]" },
	{ .name = "response_remove", .type = PT_T_STRLIST, .scopes = HDR_SCOPES,
	  .offset = offsetof(struct hdr_conf, resp_remove), .def = "[ ]",
	  .check = hdr_check_names, .hint = "[ \"Server\" ]" },
	PT_DIRECTIVE_END
};

typedef int (*hdr_apply_fn)(struct pt_request *, const char *, const char *);

/* Splits "Name: value", expands %{variables} in the value, applies fn. */
static void
hdr_apply_pairs(struct pt_request *r, const struct pt_strlist *l,
    hdr_apply_fn fn)
{
	struct pt_arena	*a = pt_req_arena(r);
	const char	*colon, *v;
	char		*name, *value;
	size_t		 i;

	for (i = 0; i < l->n; i++) {
		colon = strchr(l->v[i], ':');
		name = pt_strndup(a, l->v[i], (size_t)(colon - l->v[i]));
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		value = strstr(v, "%{") != NULL ? pt_req_expand(r, v) :
		    (char *)(uintptr_t)v;
		if (name == NULL || value == NULL || fn(r, name, value) != PT_OK)
			PT_RLOG(r, PT_LOG_WARN, "cannot apply \"%s\"", l->v[i]);
	}
}

/* Late: rewrite and routing have settled the request before we edit it. */
static int
hdr_fixups(struct pt_request *r)
{
	const struct hdr_conf	*hc = pt_module_conf(r, &portier_module);
	size_t			 i;

	for (i = 0; i < hc->req_remove.n; i++)
		pt_req_header_remove(r, hc->req_remove.v[i]);
	hdr_apply_pairs(r, &hc->req_set, pt_req_header_set);
	hdr_apply_pairs(r, &hc->req_add, pt_req_header_add);
	return (PT_DECLINED);
}

static int
hdr_response_head(struct pt_filter *f, struct pt_request *r)
{
	const struct hdr_conf	*hc = pt_module_conf(r, &portier_module);
	size_t			 i;

	(void)f;
	for (i = 0; i < hc->resp_remove.n; i++)
		pt_resp_header_remove(r, hc->resp_remove.v[i]);
	hdr_apply_pairs(r, &hc->resp_set, pt_resp_header_set);
	hdr_apply_pairs(r, &hc->resp_add, pt_resp_header_add);
	return (PT_OK);
}

static const struct pt_filter_def hdr_filter = {
	.name = "headers",
	.head = hdr_response_head,
	.body = NULL,
};

static int
hdr_register(struct pt_hooks *h)
{
	/* Late: after rewrite and routing, before access checks read them. */
	pt_hook_fixups(h, hdr_fixups, PT_ORDER_LATE);
	/* Last: nearest the client, so it sees what every other filter set. */
	pt_hook_response_filter(h, &hdr_filter, PT_ORDER_LAST);
	return (0);
}

PT_API const struct pt_module portier_module = {
	PT_MODULE_HEADER,
	.name = "headers",
	.version = "1.0",
	.directives = hdr_directives,
	.conf_size = sizeof(struct hdr_conf),
	.register_hooks = hdr_register,
};
