/*
 * mod_status's directives: status = { enable; allow; control; } in a
 * route (enable) or at any level (allow, control). The control socket's
 * path is the core's control_socket directive: the master opens it.
 */
#include "config.h"

#include <stddef.h>

#include <portier/conf.h>

#include "status.h"

static const char *
st_check_allow(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const struct pt_strlist	*l = field;
	size_t			 i;

	(void)s;
	for (i = 0; i < l->n; i++)
		if (!st_range_valid(l->v[i])) {
			pt_conf_error(cx, s, "status.allow: \"%s\" is not an "
			    "address or range", l->v[i]);
			return (NULL);
		}
	return (NULL);
}

#define ST_ALL	(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

const struct pt_directive st_directives[] = {
	/* Route only, so it is never inherited into every route. */
	{ .name = "enable", .type = PT_T_BOOL, .scopes = PT_SCOPE_ROUTE,
	  .offset = offsetof(struct st_conf, enable),
	  .hint = "true makes this route the status page" },
	{ .name = "allow", .type = PT_T_STRLIST, .scopes = ST_ALL,
	  .offset = offsetof(struct st_conf, allow),
	  .def = "[ \"127.0.0.0/8\", \"::1\" ]", .check = st_check_allow,
	  .hint = "addresses or ranges: [ \"10.0.0.0/8\", \"::1\" ]" },
	{ .name = "control", .type = PT_T_BOOL, .scopes = ST_ALL,
	  .offset = offsetof(struct st_conf, control), .def = "true",
	  .hint = "false: the page is read-only (POST answers 403)" },
	PT_DIRECTIVE_END
};
