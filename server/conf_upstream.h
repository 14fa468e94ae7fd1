/*
 * The configuration of upstream pools (the top-level upstreams list), the
 * inheritable proxy group, the route checks that involve them, and the
 * address syntax shared with listen. Private to conf*.c and the tests.
 */
#ifndef PT_CONF_UPSTREAM_H
#define PT_CONF_UPSTREAM_H

#include <stdio.h>

#include "conf.h"

struct upstream_server;

/* conf_upstream.c */
extern const struct pt_directive conf_upstream_directives[];	/* a pool */
extern const struct pt_directive conf_upstream_server_directives[];
extern const struct pt_directive conf_proxy_directives[];	/* proxy = { } */

/* upstreams = ( { name = "app"; servers = ( ... ); ... } ); appends. */
const char	*conf_parse_upstreams(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
/* A route's upstream = "app": the pool must exist; sets route->upstream. */
const char	*conf_check_route_upstream(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
/* "no upstream named ..." with the pools defined, or a close match. */
const char	*conf_upstream_unknown(struct pt_conf_ctx *, const char *name);
/* conf_upstream_ref.c: the names recorded by pt_conf_need_upstream(),
 * checked once the core's upstreams are parsed. */
void		 conf_upstream_refs_check(struct pt_conf_ctx *);
/* portier -T: the upstreams list (field is &conf->upstreams), loadable. */
void		 conf_upstreams_dump(FILE *, int depth, const void *field);

/* conf_addr.c */
/* "127.0.0.1:80", "*:80", ":80", "[::1]:80"; NULL or a fragment. */
const char	*conf_listen_addr(const char *text, struct conf_listen *);
/*
 * "127.0.0.1:9001", "[::1]:9001", "app.internal:80", "unix:/run/a.sock"
 * into s's kind, host, port and unix_path (strings in cx's arena); NULL or
 * a fragment.
 */
const char	*conf_upstream_addr(struct pt_conf_ctx *, const char *text,
		    struct upstream_server *s);

#endif /* PT_CONF_UPSTREAM_H */
