/*
 * Connections to origins outside any upstream pool: the forward proxy's
 * destinations and parents (proxy_forward.c) and the ad-hoc targets a
 * module sets with pt_req_set_upstream_addr() (proxy_adhoc.c). A name is
 * resolved through the core resolver for each new connection; idle
 * connections are kept per worker, by a key the caller makes (one
 * destination, one key), and checked still open before reuse.
 */
#ifndef PT_ORIGIN_H
#define PT_ORIGIN_H

#include <sys/socket.h>
#include <stdbool.h>

struct pt_request;
struct pt_upstream_io;

#define ORIGIN_KEY_MAX	(255 + 24)	/* a host name, a port, a tag */
#define ORIGIN_TICK_MS	200		/* sockets' receive and send tick */

/* Why an address may not be reached (a reason for the log), or NULL. */
typedef const char *(*origin_refuse_fn)(const struct pt_request *,
		    const struct sockaddr_storage *);

/*
 * Resolves host and connects to its first address that answers within
 * timeout_ms each: a blocking socket that ticks (reads and writes fail
 * with EAGAIN every ORIGIN_TICK_MS), TCP_NODELAY. refuse (may be NULL)
 * skips addresses; when every address was skipped, *refused names why.
 * The socket, or -1 with *status 502, or 504 for a timeout.
 */
int	 origin_connect(struct pt_request *, const char *tag, const char *host,
	    int port, long long timeout_ms, origin_refuse_fn refuse,
	    const char **refused, int *status);

/* A connection: its socket and the module transport on it, if any. */
struct origin_io {
	int				 fd;
	const struct pt_upstream_io	*io;	/* NULL: plain */
	void				*io_ctx;
	struct sockaddr_storage		 peer;	/* family 0: not asked yet */
};

/* Closes this worker's idle connections past their idle time. */
void	 origin_idle_sweep(long long now);
/* An idle connection for key, still open, into *c; false when none. */
bool	 origin_idle_take(const char *key, struct origin_io *c);
/*
 * Keeps c idle for key, for idle_ms at most (one goes when idle_max are
 * kept, of every key), or closes it when idle_max is 0.
 */
void	 origin_idle_put(const char *key, const struct origin_io *c,
	    int idle_max, long long idle_ms);
/* Closes c: its transport first, then the socket. */
void	 origin_close(const struct origin_io *c);

#endif /* PT_ORIGIN_H */
