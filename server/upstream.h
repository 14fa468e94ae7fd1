/*
 * Upstream pools: named groups of backend servers, how one is chosen for a
 * request, and the connections to them. Configuration (conf_upstream.c),
 * shared state (counts, health) in a shared memory segment, balancing
 * (balance.c, pure), per-worker idle connection pools (upstream_conn.c).
 * The reverse proxy handler (proxy_reverse.c) uses only this header.
 */
#ifndef PT_UPSTREAM_H
#define PT_UPSTREAM_H

#include <sys/socket.h>
#include <stdbool.h>
#include <stdint.h>

#include <portier/upstream_io.h>

struct pt_conf;
struct pt_request;
struct conf_upstream;
struct bal_server;

/* How a server's address is reached. */
enum upstream_addr_kind {
	UPS_INET,		/* numeric IPv4 or IPv6 address and port */
	UPS_NAME,		/* host name, resolved (and re-resolved) to addrs */
	UPS_UNIX		/* unix:/path, a Unix domain socket */
};

/* One configured server of a pool. */
struct upstream_server {
	const char		*address;	/* as configured: "127.0.0.1:9001",
						   "[::1]:9001", "app.internal:80",
						   "unix:/run/app.sock" */
	const char		*host;		/* host part, for Host and TLS SNI
						   (IPv6 without brackets;
						   "localhost" for unix:) */
	int			 port;		/* 0 for unix: */
	int			 weight;	/* 1..1000, default 1 */
	int			 max_conns;	/* 0 = unlimited (across workers) */
	bool			 backup;	/* used only when no primary is up */
	bool			 down;		/* configured down */
	unsigned int		 index;		/* in its pool, 0-based */
	struct conf_upstream	*pool;
	const char		*file;
	int			 line;
	/* Added by conf_upstream.c and upstream.c. */
	enum upstream_addr_kind	 kind;
	const char		*unix_path;	/* UPS_UNIX: the socket's path */
	char			 sticky_id[16];	/* sticky cookie value: 12 hex
						   digits, a hash of pool name
						   and address (opaque) */
};

/* Balancing methods. */
enum upstream_balance {
	BAL_ROUND_ROBIN,	/* smooth weighted round robin */
	BAL_LEAST_CONN,		/* fewest active connections across workers, weighted */
	BAL_IP_HASH,		/* client address */
	BAL_HASH,		/* consistent hash on hash_key (variables) */
	BAL_RANDOM		/* random with two choices, least connections of the two */
};

struct conf_upstream {
	const char		*name;
	enum upstream_balance	 balance;
	const char		*hash_key;	/* BAL_HASH: "%{header.X-User}" */
	struct upstream_server	*servers;
	size_t			 nservers;
	/* Connections. */
	long long		 connect_timeout_ms;	/* default 5s */
	long long		 idle_timeout_ms;	/* idle kept connection, default 4s:
						   below the backend's own */
	int			 idle_max;	/* idle connections per server, all workers */
	/* Failover. */
	int			 tries;		/* servers tried per request, default 3 */
	long long		 try_timeout_ms; /* total time for tries, default 10s */
	/* Host names: re-resolved by the helper on their TTL, at most this
	   long apart (upstream_dns.c), default 30s. */
	long long		 resolve_interval_ms;
	/* Passive health. */
	int			 fail_max;	/* failures within fail_window mark down */
	long long		 fail_window_ms;
	long long		 fail_cooldown_ms;
	long long		 slow_start_ms;	/* 0 = off */
	/* Active health (health.c, helper process). */
	const char		*health_path;	/* NULL = no active checks */
	long long		 health_interval_ms;
	long long		 health_timeout_ms;
	int			 health_fall, health_rise;
	int			*health_statuses;	/* expected; default 200-399 */
	size_t			 nhealth_statuses;
	int			 send_proxy_protocol;	/* 0 off, 1 v1, 2 v2 */
	/* Sticky sessions: cookie name, NULL = off. */
	const char		*sticky_cookie;
	/* Shared state: one struct per server in a shm segment. */
	struct upstream_state	*state;
	const char		*file;
	int			 line;
	/* Added. */
	const char		*sticky_var;	/* "cookie.NAME", for var_lookup */
	struct upstream_ledger	*ledger;	/* [slot * nservers + server] */
	unsigned int		 ledger_slots;	/* scoreboard slots it covers */
	/*
	 * Per process: allocated in the master, changed only by the worker
	 * that uses them (copy-on-write after fork), so never shared.
	 */
	struct bal_server	*bal;		/* balancing state, nservers */
	uint64_t		 rng;		/* random state, 0 = not seeded */
	bool			 w_touched;	/* this process counted conns */
	struct conf_upstream	*w_next;	/* pools this process touched */
	/*
	 * SO_RCVTIMEO and SO_SNDTIMEO of its connections: the core's receive
	 * tick, so a blocking read or write returns EAGAIN often enough for
	 * the caller to check its deadlines (the shortest proxy read or send
	 * timeout of the routes using the pool, 10ms to 1s). Set by
	 * upstream_init(); 0 leaves the sockets without timeouts.
	 */
	long long		 tick_ms;
};

/* Shared, per server, across all workers (shm). Updated atomically. */
struct upstream_state {
	int			 conns;		/* active (in use) connections */
	int			 idle;		/* idle kept connections */
	int			 health_down;	/* 1: the active check says down */
	int			 health_streak;	/* consecutive results so far */
	int			 fails;		/* passive failures in the window */
	long long		 fail_window_start_ms;
	long long		 down_until_ms;	/* passive: down until then */
	long long		 up_since_ms;	/* slow start from here */
	int			 admin;		/* 0 on, 1 drain, 2 disabled */
	uint64_t		 requests;	/* served, for status */
	uint64_t		 failures;
	/* Resolved addresses for hostnames (re-resolved by the helper). */
	unsigned int		 addr_gen;	/* bumped when addrs change */
	int			 naddrs;
	struct sockaddr_storage	 addrs[4];
};

/*
 * Per scoreboard slot and server, in the pool's segment: what the worker in
 * that slot added to conns and idle. A worker that dies without giving its
 * connections back has its share taken off by upstream_slot_release() (the
 * master, when it reaps it) or by the next worker given the same slot.
 */
struct upstream_ledger {
	int			 conns;
	int			 idle;
};

/* A connection to an upstream server, owned by one worker. */
struct upstream_conn {
	int			 fd;
	struct upstream_server	*server;
	long long		 idle_since_ms;	/* when it was put back */
	unsigned int		 requests;	/* requests sent on it */
	bool			 reused;	/* came from the idle pool */
	unsigned int		 addr_gen;	/* the server's addr_gen when it
						   connected (host names) */
	/* Added: this worker's idle list, oldest first. */
	struct upstream_conn	*next, *prev;
	/* A module's transport (upstream_transport hook), or NULL: plain. */
	const struct pt_upstream_io *io;
	void			*io_ctx;
};

/* What the upstream_transport hook sees (portier/upstream_io.h). */
struct pt_upstream {
	struct upstream_conn	*uc;
	struct pt_request	*r;		/* NULL for a health check */
	const struct pt_conf	*cf;		/* set when r is NULL */
	pt_upstream_handshake_fn hs;		/* health checks only */
};

/* conf_upstream.c */
/* The pool named name, or NULL. */
struct conf_upstream	*upstream_find(const struct pt_conf *, const char *name);

/* upstream.c */
/*
 * Master, after a configuration loaded: maps the shared state segment
 * (kept across graceful restarts for pools and servers that stay).
 */
int		 upstream_init(struct pt_conf *);
/*
 * Chooses a server for r that is not in tried[0..ntried): not down (by
 * config, active or passive health, or admin), under max_conns; backups
 * only when no primary is available; slow start scales weights. Returns
 * NULL when none is available (the caller answers 502/503).
 */
struct upstream_server *upstream_pick(struct conf_upstream *, struct pt_request *,
		    struct upstream_server *const *tried, size_t ntried);
/*
 * The value of the pool's sticky cookie that leads back to s (set it on
 * the response when the pool has sticky_cookie and the request did not
 * name s already). Opaque: never the address.
 */
const char	*upstream_sticky_value(const struct upstream_server *);

/* upstream_conn.c */
/*
 * A connection to s: an idle one from this worker's pool when there is one
 * still open (a closed one is detected and dropped), else a new one within
 * the pool's connect timeout (non-blocking connect, then blocking socket
 * that ticks: reads and writes fail with EAGAIN every pool->tick_ms).
 * Counts it active in the shared state. NULL with errno on failure
 * (ETIMEDOUT, ECONNREFUSED, EMFILE...). fresh: never take an idle one (for
 * requests that cannot be retried).
 * A failed connect counts as a passive failure here (there is no
 * connection to put back); local errors (EMFILE, ENOMEM...) do not.
 * EBUSY: s is at max_conns (another worker took the last one).
 */
struct upstream_conn *upstream_conn_get(struct upstream_server *s, bool fresh);
/*
 * Returns a connection after a request: kept idle when reusable and under
 * the pool's idle caps, else closed. failed: count a passive failure.
 */
void		 upstream_conn_put(struct upstream_conn *, bool reusable, bool failed);
/* Records a success for passive health (clears the failure count). */
void		 upstream_note_success(struct upstream_server *);
/* Closes idle connections past their timeout (called from the worker). */
void		 upstream_idle_sweep(long long now_ms);
/*
 * The address to connect to (the first of the resolved ones for a host
 * name). 0, or -1 when the name has no address yet. Safe against a
 * concurrent upstream_server_addrs_set().
 */
int		 upstream_server_addr(struct upstream_server *,
		    struct sockaddr_storage *, socklen_t *);
/* All current addresses (up to max); their count, 0 when none. */
int		 upstream_server_addrs(struct upstream_server *,
		    struct sockaddr_storage *, int max);
/*
 * Replaces s's addresses (at most 4) in the shared state, for the
 * resolver (the master at load, the helper while running): writers take
 * turns, readers in workers retry while one writes (a sequence lock on
 * addr_gen, which only moves when the addresses are replaced).
 */
void		 upstream_server_addrs_set(struct upstream_server *,
		    const struct sockaddr_storage *, int n);
/*
 * Master, after reaping the worker in slot: takes that worker's
 * connections off the shared counts of every pool in cf (a worker that
 * exits normally has given them back already; this covers crashes).
 */
void		 upstream_slot_release(const struct pt_conf *, int slot);

/* upstream_dns.c */
/*
 * Periodic hook (helper process): re-resolves each host-name server when
 * its answer's TTL runs out, at most resolve_interval apart, and replaces
 * its addresses in the shared state when they changed. Non-blocking:
 * lookups go through resolver_start() and resolver_step().
 */
long long	 upstream_dns_periodic(const struct pt_conf *, long long now_ms);

/* health.c */
/*
 * Periodic hook (helper process): active health checks of every pool
 * with health = { path = ...; }, all servers concurrently, each step a
 * zero-timeout poll over the checks in flight. Marks servers down after
 * fall failures and up after rise passes (slow start from then on).
 */
long long	 health_periodic(const struct pt_conf *, long long now_ms);

#endif /* PT_UPSTREAM_H */
