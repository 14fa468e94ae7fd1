/*
 * mod_limits' directives: the group "limits = { ... };" at global, server
 * and route scope. Every key is inherited on its own, so a route may set
 * its own rate and keep the server's key and action.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "limits.h"

#define LIM_SCOPES	(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

static const char *const lim_actions[] = { "reject", "close", NULL };

static const char *
lim_check_key(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const char *k = *(const char **)field;

	(void)cx;
	(void)s;
	if (k == NULL || *k == '\0')
		return ("the key may not be empty");
	if (strlen(k) > 200)
		return ("the key template is too long (200 bytes at most)");
	return (NULL);
}

static const char *
lim_check_status(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	long long st = *(long long *)field;

	(void)cx;
	(void)s;
	if (st < 400 || st > 599)
		return ("a 4xx or 5xx status");
	return (NULL);
}

const struct pt_directive lim_directives[] = {
	{ .name = "rate", .type = PT_T_INT, .scopes = LIM_SCOPES,
	  .offset = offsetof(struct lim_conf, rate), .def = "0",
	  .min = 0, .max = 1000000,
	  .hint = "requests a second per key, e.g. 10; 0 = no rate limit" },
	{ .name = "burst", .type = PT_T_INT, .scopes = LIM_SCOPES,
	  .offset = offsetof(struct lim_conf, burst), .def = "0",
	  .min = 0, .max = 10000000,
	  .hint = "requests allowed at once above the rate; 0 = twice the rate" },
	{ .name = "key", .type = PT_T_STRING, .scopes = LIM_SCOPES,
	  .offset = offsetof(struct lim_conf, key),
	  .def = "\"%{client_addr}\"", .check = lim_check_key,
	  .hint = "a template: \"%{client_addr}\", \"%{header.X-Api-Key}\"" },
	{ .name = "status", .type = PT_T_INT, .scopes = LIM_SCOPES,
	  .offset = offsetof(struct lim_conf, status), .def = "429",
	  .min = 400, .max = 599, .check = lim_check_status,
	  .hint = "429 or 503" },
	{ .name = "action", .type = PT_T_ENUM, .scopes = LIM_SCOPES,
	  .offset = offsetof(struct lim_conf, action), .def = "\"reject\"",
	  .choices = lim_actions,
	  .hint = "\"reject\" (answer with status) or \"close\"" },
	{ .name = "conns", .type = PT_T_INT, .scopes = LIM_SCOPES,
	  .offset = offsetof(struct lim_conf, conns), .def = "0",
	  .min = 0, .max = 100000,
	  .hint = "requests in flight per key at once; 0 = no limit" },
	{ .name = "forwarded", .type = PT_T_BOOL, .scopes = LIM_SCOPES,
	  .offset = offsetof(struct lim_conf, forwarded), .def = "false",
	  .hint = "true: %{client_addr} is taken from X-Forwarded-For when "
	  "the peer is in trusted_proxies" },
	{ .name = "zone", .type = PT_T_STRING, .scopes = LIM_SCOPES,
	  .offset = offsetof(struct lim_conf, zone),
	  .hint = "a name: blocks with one zone share their counters" },
	PT_DIRECTIVE_END
};
