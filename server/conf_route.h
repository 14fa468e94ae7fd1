/*
 * The configuration of routing and access control: route matches and
 * conditions, fixed answers, server names and defaults (conf_route.c);
 * access rules and Basic authentication (conf_access.c). Private to
 * conf*.c and the tests; the runtime side is route.h.
 */
#ifndef PT_CONF_ROUTE_H
#define PT_CONF_ROUTE_H

#include <stdio.h>

#include "conf.h"

/* conf_route.c: the parsers and checks of route and server keys. */
const char	*conf_check_route_regex(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
const char	*conf_check_methods(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
const char	*conf_parse_route_headers(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
const char	*conf_parse_route_cookies(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
const char	*conf_parse_return(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
const char	*conf_check_server_names(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
/*
 * After a route's keys are parsed: exactly one of path, exact and regex;
 * at most one of upstream, root and return; the label in rt->path; a
 * warning when an earlier route of srv always matches first.
 */
void		 conf_route_finish(struct pt_conf_ctx *, config_setting_t *g,
		    const struct conf_server *, struct conf_route *);
/* After a server's keys: at most one default = true per listen address. */
void		 conf_server_finish(struct pt_conf_ctx *, config_setting_t *g,
		    const struct conf_server *);

/* conf_access.c */
const char	*conf_parse_access(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
const char	*conf_parse_auth(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);

/* portier -T printers for the CUSTOM keys above (field as in the table). */
void		 conf_dump_client(FILE *, int depth, const void *field);
void		 conf_dump_headers(FILE *, int depth, const void *field);
void		 conf_dump_cookies(FILE *, int depth, const void *field);
void		 conf_dump_return(FILE *, int depth, const void *field);
void		 conf_dump_access(FILE *, int depth, const void *field);
void		 conf_dump_auth(FILE *, int depth, const void *field);
/* conf_dump.c */
void		 conf_dump_quoted(FILE *, const char *);
void		 conf_dump_indent(FILE *, int depth);

#endif /* PT_CONF_ROUTE_H */
