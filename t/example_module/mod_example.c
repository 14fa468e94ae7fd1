/* mod_example: refuses some paths and tags every response. */
#define PT_LOG_TAG	"example"

#include <stddef.h>
#include <string.h>

#include <portier/conf.h>
#include <portier/hooks.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>

#define EX_SCOPES	(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

struct ex_conf {
	struct pt_strlist	 deny;	/* path prefixes answered with 403 */
	const char		*tag;	/* X-Example value; "" sends none */
};

PT_API extern const struct pt_module portier_module;

static const char *
ex_check_deny(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const struct pt_strlist	*l = field;
	size_t			 i;

	(void)cx;
	(void)s;
	for (i = 0; i < l->n; i++)
		if (l->v[i][0] != '/')
			return ("each entry is a path that starts with /");
	return (NULL);
}

static const struct pt_directive ex_directives[] = {
	{ .name = "deny", .type = PT_T_STRLIST, .scopes = EX_SCOPES,
	  .offset = offsetof(struct ex_conf, deny), .def = "[ ]",
	  .check = ex_check_deny, .hint = "[ \"/private/\" ]" },
	{ .name = "tag", .type = PT_T_STRING, .scopes = EX_SCOPES,
	  .offset = offsetof(struct ex_conf, tag), .def = "\"%{request_id}\"",
	  .hint = "a field value; may use %{variables}" },
	PT_DIRECTIVE_END
};

static int
ex_access(struct pt_request *r)
{
	const struct ex_conf	*ec = pt_module_conf(r, &portier_module);
	const char		*path = pt_req_path(r);
	size_t			 i;

	for (i = 0; path != NULL && i < ec->deny.n; i++)
		if (strncmp(path, ec->deny.v[i], strlen(ec->deny.v[i])) == 0) {
			PT_RLOG(r, PT_LOG_INFO, "%s: denied", path);
			return (403);
		}
	return (PT_DECLINED);
}

static int
ex_head(struct pt_filter *f, struct pt_request *r)
{
	const struct ex_conf	*ec = pt_module_conf(r, &portier_module);
	char			*v;

	(void)f;
	if (ec->tag[0] != '\0' && (v = pt_req_expand(r, ec->tag)) != NULL)
		pt_resp_header_set(r, "X-Example", v);
	return (PT_OK);
}

static const struct pt_filter_def ex_filter = {
	.name = "example",
	.head = ex_head,
	.body = NULL,
};

static int
ex_register(struct pt_hooks *h)
{
	/* Middle: no other access check depends on this one. */
	pt_hook_access(h, ex_access, PT_ORDER_MIDDLE);
	/* Late: nearer the client than body filters, before mod_headers. */
	pt_hook_response_filter(h, &ex_filter, PT_ORDER_LATE);
	return (0);
}

PT_API const struct pt_module portier_module = {
	PT_MODULE_HEADER,
	.name = "example",
	.version = "1.0",
	.directives = ex_directives,
	.conf_size = sizeof(struct ex_conf),
	.register_hooks = ex_register,
};
