/*
 * Read-only views of the server's run-time state for status and metrics
 * modules (mod_status): the scoreboard (one slot per worker), the server's
 * start time and restarts, the configuration's layout (servers and
 * routes), each finished request's numbers, and the upstream pools with
 * their servers' state; plus the one thing such a module may change, an
 * upstream server's administrative state (drain, disable, enable). The
 * tunnel process's counts are in portier/tunnel.h. Every value is copied
 * out: modules never see the core's structures.
 */
#ifndef PORTIER_STATUS_H
#define PORTIER_STATUS_H

#include <time.h>
#include <portier/types.h>

/* A worker's state, as the scoreboard records it. */
enum pt_worker_state {
	PT_WORKER_FREE = 0,	/* slot unused */
	PT_WORKER_STARTING,	/* forked, not yet accepting */
	PT_WORKER_IDLE,		/* waiting in accept */
	PT_WORKER_READ,		/* reading a request head */
	PT_WORKER_BUSY,		/* handling a request */
	PT_WORKER_WRITE,	/* writing a response */
	PT_WORKER_KEEPALIVE,	/* waiting for the next request */
	PT_WORKER_CLOSING,	/* closing the connection */
	PT_WORKER_EXITING,	/* leaving (max_requests, restart, stop) */
	PT_WORKER_NSTATES
};

/* "free", "starting", "idle", ...; "?" for a value out of range. */
PT_API const char	*pt_worker_state_name(int state);

/* One scoreboard slot, copied out. */
struct pt_status_slot {
	int		 pid;
	int		 state;		/* enum pt_worker_state */
	unsigned int	 generation;	/* configuration generation it runs */
	bool		 old;		/* an older generation: it finishes its
					   connections and exits (graceful) */
	unsigned long	 requests;	/* served by this process */
	time_t		 started;	/* when it was forked */
	time_t		 last_used;	/* start of its latest finished request */
	long long	 req_start_ms;	/* start of its current (or latest)
					   request, ms since the epoch; 0: none */
	long long	 last_ms;	/* duration of its latest finished request */
	char		 client[64];	/* address of its current (or latest)
					   client */
	char		 request[128];	/* method and path of its current (or
					   latest) request; a query is shown
					   as "?..." and never recorded */
};

/*
 * The number of scoreboard slots: the scoreboard's when there is one, else
 * (before the master created it: post_config at the first start; -t; -X)
 * the number the master creates for cf. Workers get slots below it.
 */
PT_API unsigned int	 pt_status_nslots(const struct pt_conf *cf);

/*
 * Copies slot i. PT_OK; PT_DECLINED for a free slot (*out zeroed);
 * PT_ERROR when i is out of range or there is no scoreboard (-X).
 * Lock-free: a slot being written may read half old, half new.
 */
PT_API int		 pt_status_slot(unsigned int i, struct pt_status_slot *out);

/*
 * The calling worker's scoreboard slot, or -1 in any other process and
 * with -X. Stable for the life of the worker: ask once, in child_init.
 */
PT_API int		 pt_status_self_slot(void);

/* The server as a whole. */
struct pt_status_server {
	time_t		 started;	/* when the master started; 0: no master */
	unsigned int	 generation;	/* bumped by every accepted reload */
	unsigned long	 restarts_graceful;	/* accepted USR1 reloads */
	unsigned long	 restarts_hard;		/* accepted HUP reloads */
	int		 master_pid;
	int		 helper_pid;	/* 0: not running (restarting, or -X) */
};

/* PT_OK, or PT_ERROR (*out zeroed) when there is no scoreboard (-X). */
PT_API int		 pt_status_server(struct pt_status_server *out);

/*
 * The configuration's layout, for counters kept per server and route.
 * A server's label is its first name, else its first listen address; a
 * route's is its path as configured ("/api/", or "~regex" for a regex).
 * Strings live as long as cf.
 */
PT_API size_t		 pt_conf_nservers(const struct pt_conf *cf);
PT_API const char	*pt_conf_server_label(const struct pt_conf *cf, size_t server);
PT_API size_t		 pt_conf_nroutes(const struct pt_conf *cf, size_t server);
PT_API const char	*pt_conf_route_label(const struct pt_conf *cf, size_t server,
			    size_t route);

/* A finished request's numbers (log hooks). */
struct pt_req_stats {
	int		 server;	/* index in the layout; -1: none */
	int		 route;		/* index in its server; -1: none */
	int		 status;	/* 0: none was sent (closed, taken over) */
	uint64_t	 bytes_in;	/* request head and body bytes read */
	uint64_t	 bytes_out;	/* response body bytes sent */
	long long	 duration_us;	/* from the request's start until now */
};

/* Fills *out for r; cheap (no system call, no allocation). */
PT_API void		 pt_req_stats(const struct pt_request *r,
			    struct pt_req_stats *out);

/* An upstream server's administrative state (upstreams.servers). */
enum pt_upstream_admin {
	PT_ADMIN_ON = 0,	/* takes requests */
	PT_ADMIN_DRAIN,		/* no new sessions: requests its sticky cookie
				   names still go to it; in-flight ones finish */
	PT_ADMIN_DISABLED	/* no requests at all; in-flight ones finish */
};

/* One upstream server's state, copied out of the shared segment. */
struct pt_status_upstream {
	const char	*address;	/* as configured; lives as long as cf */
	int		 weight;
	bool		 backup;
	bool		 configured_down;	/* down = true in the config */
	int		 admin;		/* enum pt_upstream_admin */
	bool		 health_down;	/* the active check says down */
	long long	 down_for_ms;	/* passive: failures keep it down this
					   much longer; 0: not down */
	bool		 resolved;	/* has an address (names resolve) */
	bool		 up;		/* would take a new request now */
	int		 conns;		/* active connections, all workers */
	int		 idle;		/* idle kept connections, all workers */
	int		 max_conns;	/* 0: unlimited */
	uint64_t	 requests;	/* answered through it */
	uint64_t	 failures;	/* failed (connect, read, timeout) */
};

/* The pools: their count, and pool p's name and number of servers. */
PT_API size_t		 pt_status_npools(const struct pt_conf *cf);
PT_API const char	*pt_status_pool(const struct pt_conf *cf, size_t p,
			    size_t *nservers);
/* Server s of pool p: PT_OK, or PT_ERROR when out of range. */
PT_API int		 pt_status_upstream(const struct pt_conf *cf, size_t p,
			    size_t s, struct pt_status_upstream *out);

/*
 * Sets the administrative state of the server whose configured address
 * is server in the pool named pool, for every worker at once and without
 * a reload. It lasts until changed again, across graceful and hard
 * restarts, as long as the pool keeps the same list of servers (a changed
 * list starts afresh, every server on). PT_OK; PT_DECLINED when there is
 * no such pool or server; PT_ERROR for an admin value out of range.
 * Any process may call it; the change is one atomic store, logged.
 */
PT_API int		 pt_upstream_set_admin(const struct pt_conf *cf,
			    const char *pool, const char *server, int admin);
/* "on", "drain", "disabled"; "?" out of range. */
PT_API const char	*pt_upstream_admin_name(int admin);

/*
 * The listening Unix socket of the control_socket directive, or -1 when
 * none is configured. The master opens it (non-blocking) before it forks,
 * so every child has it; the module that serves it accepts from a
 * periodic hook in the helper process, never blocking.
 */
PT_API int		 pt_control_fd(void);

#endif /* PORTIER_STATUS_H */
