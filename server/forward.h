/*
 * The forward proxy: its configuration (conf_forward.c), the destination
 * domain sets (domain_list.c, pure), the ordered access rules
 * (forward_acl.c, pure), the per-request decisions (proxy_forward_decide.c)
 * and the handler for absolute-form requests and CONNECT
 * (proxy_forward.c). The relay itself is the reverse proxy's
 * (proxy.h); this side adds targets, rules, origins and parents.
 */
#ifndef PT_FORWARD_H
#define PT_FORWARD_H

#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libconfig.h>
#include <portier/types.h>
#include "cidr.h"
#include "resolver.h"

struct pt_arena;
struct pt_request;
struct rx;
struct conf_auth;

/* domain_list.c: a hash set of domain names with suffix matching. */
struct domain_list;

/* An empty set sized for about hint names; NULL on ENOMEM. */
struct domain_list *domain_list_new(size_t hint);
void		 domain_list_free(struct domain_list *);
/*
 * Adds name (case-insensitive, a leading "." or "*." and a trailing dot
 * ignored). 1 added, 0 already there or empty, -1 ENOMEM.
 */
int		 domain_list_add(struct domain_list *, const char *name,
		    size_t len);
/*
 * Reads a list file: one name per line, '#' comments and blank lines
 * skipped, surrounding blanks trimmed; a hosts-file style "0.0.0.0 name"
 * line keeps the last word. 0, or -1 with errno (the file could not be
 * read, ENOMEM).
 */
int		 domain_list_load(struct domain_list *, const char *path);
size_t		 domain_list_count(const struct domain_list *);
/*
 * Whether host (lowercase, no port, no trailing dot) or any domain it is
 * under is in the set: "a.b.example.com" matches "example.com".
 */
bool		 domain_list_match(const struct domain_list *, const char *host,
		    size_t len);

/* forward_acl.c: pure matching of the ordered rules. */
enum fwd_action { FWD_ALLOW, FWD_DENY, FWD_AUTH };

/* A destination matcher: exact names, ".suffix" domains, regexes, a list. */
struct fwd_dest {
	const char		**exact;	/* lowercase */
	size_t			 nexact;
	const char		**suffix;	/* lowercase, without the dot */
	size_t			 nsuffix;
	struct rx		**rx;
	size_t			 nrx;
	struct domain_list	*list;		/* dest_list file, or NULL */
	const char		*list_file;
	bool			 set;		/* any of the above configured */
};

struct fwd_rule {
	const char		*name;		/* name = "..."; else "acl N" */
	enum fwd_action		 action;
	struct cidr_list	 client;
	struct fwd_dest		 dest;
	int			*ports;		/* pairs: from, to (inclusive) */
	size_t			 nports;	/* pairs */
	struct pt_strlist	 methods;
	int			 time_from, time_to;	/* minutes of the day */
	bool			 has_time;
	struct pt_strlist	 users;		/* "*": any authenticated user */
	const char		*file;
	int			 line;
};

/* What a request shows the rules. */
struct fwd_acl_input {
	const struct sockaddr_storage *client;
	const char		*host;		/* lowercase, no port */
	size_t			 hostlen;
	int			 port;
	const char		*method;
	size_t			 methodlen;
	int			 minute;	/* of the local day, 0..1439 */
	const char		*user;		/* NULL: not authenticated */
};

/* Whether host matches d (set or not: an unset one matches nothing). */
bool		 fwd_dest_match(const struct fwd_dest *, const char *host,
		    size_t len);
/* Whether every condition of rule holds for in. */
bool		 fwd_rule_matches(const struct fwd_rule *,
		    const struct fwd_acl_input *);
/*
 * The deciding rule, first match wins, from index *from on (an "auth"
 * rule passed by an authenticated user lets the walk go on after it).
 * NULL when none matches; *from is then n.
 */
const struct fwd_rule *fwd_acl_first(const struct fwd_rule *, size_t n,
		    const struct fwd_acl_input *, size_t *from);
/* "HH:MM-HH:MM" into minutes; 0, or -1 when malformed. */
int		 fwd_time_parse(const char *, int *from, int *to);
/* Whether minute lies in [from, to) (to < from wraps past midnight). */
bool		 fwd_time_in(int from, int to, int minute);
/*
 * Whether a resolved address is loopback, link-local (with the cloud
 * metadata address 169.254.169.254), private (RFC 1918, RFC 4193, shared
 * 100.64/10), unspecified or an IPv4-mapped form of those.
 */
bool		 fwd_addr_is_private(const struct sockaddr_storage *);

/* conf_forward.c */
enum fwd_referer { FWD_REFERER_KEEP, FWD_REFERER_ORIGIN, FWD_REFERER_REMOVE };

struct fwd_parent {
	const char		*address;	/* "host:port" as configured */
	const char		*host;
	int			 port;
};

struct conf_forward {
	struct fwd_rule		*acl;
	size_t			 nacl;
	const struct conf_auth	*auth;		/* NULL: no authentication */
	const char		*block_page;	/* file, or NULL: built-in page */
	char			*block_body;	/* its text */
	bool			 deny_private;
	struct cidr_list	 local_clients;	/* may reach private addresses */
	bool			 via;
	struct pt_strlist	 strip_headers;
	enum fwd_referer	 referer;
	int			*connect_ports;	/* pairs, as fwd_rule.ports */
	size_t			 nconnect_ports;
	struct fwd_parent	*parents;
	size_t			 nparents;
	struct fwd_dest		 parent_dest;	/* unset: every destination */
	bool			 never_direct;
	long long		 connect_timeout_ms;
	long long		 idle_timeout_ms;
	int			 idle_max;	/* idle origin connections per worker */
};

struct pt_conf_ctx;
const char	*conf_parse_forward(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
void		 conf_dump_forward(FILE *, int depth, const void *field);

/* proxy_forward_decide.c */
/* The request's destination. */
struct fwd_target {
	char		 host[RESOLVER_NAME_MAX + 1];	/* lowercase, no [] */
	size_t		 hostlen;
	int		 port;
	bool		 connect;
};

/* Whether r is for the forward proxy (absolute-form or CONNECT on a
 * server with forward_proxy). */
bool		 forward_is_request(const struct pt_request *);
int		 fwd_target_parse(const struct pt_request *, struct fwd_target *);
/* proxy_forward_decide.c: what the rules look at for r to t, now. */
void		 fwd_acl_input_of(const struct pt_request *,
		    const struct fwd_target *, struct fwd_acl_input *);
int		 fwd_block(struct pt_request *, const struct fwd_target *,
		    const char *rule);
int		 fwd_decide(struct pt_request *, const struct fwd_target *);
const char	*fwd_refused(const struct pt_request *,
		    const struct sockaddr_storage *);
/* Whether CONNECT may go to port (connect_ports). */
bool		 fwd_ports_allowed(const struct conf_forward *, int port);
/* Whether this destination goes through the parents. */
bool		 fwd_via_parents(const struct conf_forward *,
		    const struct fwd_target *);

/* trace_forward.c: --trace-request prints the decisions for r. */
void		 trace_forward(struct pt_request *);

/* proxy_forward.c */
/*
 * The access phase: the target, credentials and rules, kept in
 * r->fwd_target. PT_OK to go on, FWD_ANSWERED when the block page went
 * out, or a status (407 with Proxy-Authenticate).
 */
#define FWD_ANSWERED	(-100)
int		 forward_access(struct pt_request *);
/* The handler, once let through: 0, PT_DONE (a tunnel), PT_ERROR or a
 * status. */
int		 forward_handler(struct pt_request *);

#endif /* PT_FORWARD_H */
