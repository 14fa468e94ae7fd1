/*
 * Routing at request time: the server for a listener and Host, the route
 * for a request (route_match.c, pure: it reads the request and the
 * configuration and nothing else), the fixed answers of routes with
 * return and of hooks that called pt_req_answer() (route_return.c) and the core's access checks (access.c).
 */
#ifndef PT_ROUTE_H
#define PT_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

struct pt_conf;
struct pt_request;
struct conf_server;
struct conf_route;
struct conf_host;

/* route_match.c */
/*
 * Host as servers compare it: the port dropped (an IPv6 literal keeps its
 * brackets), a trailing dot dropped, lowercase, into out. Returns the
 * length; 0 when empty or longer than outlen - 1.
 */
size_t		 route_host_normalize(const char *host, size_t len, char *out,
		    size_t outlen);
/* Whether the normalised host matches one configured name. */
bool		 route_host_match(const struct conf_host *, const char *host,
		    size_t len);
/*
 * The server for a request on the listener configured as listen_text:
 * an exact name, else the longest wildcard, else the first regex in
 * config order, else the listener's default = true server, else its
 * first server. Never NULL while the configuration has a server.
 */
const struct conf_server *route_find_server(const struct pt_conf *,
		    const char *listen_text, const char *host, size_t len);
/* Whether rt's match and all its conditions hold for r (r->path set). */
bool		 route_matches(const struct conf_route *,
		    const struct pt_request *);
/* The first route of srv in config order that matches r, or NULL. */
const struct conf_route *route_find(const struct conf_server *,
		    const struct pt_request *);

/* route_return.c */
/* The route's return = { }: 0 answered, PT_ERROR, or a status to answer. */
int		 route_return(struct pt_request *);
/* A hook's pt_req_answer(): 0 answered, or PT_ERROR. */
int		 request_answer(struct pt_request *);

/* access.c */
/*
 * The core's access checks for the request's route (or server): the
 * access rules, then Basic authentication. PT_OK, or 403 / 401 (with
 * WWW-Authenticate added) to answer.
 */
int		 access_check(struct pt_request *);

#endif /* PT_ROUTE_H */
