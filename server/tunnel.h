/*
 * The tunnel process ("portier: tunnel"): relays long-lived plaintext byte
 * streams (CONNECT, ws://, SNI passthrough) that workers hand over, so no
 * worker is pinned by one. tunnel.c holds the master's side (start, stop,
 * reap, restart) and the worker's hand-off; tunnel_relay.c holds the
 * process itself (epoll, splice, caps, idle timeouts).
 */
#ifndef PT_TUNNEL_H
#define PT_TUNNEL_H

#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <portier/tunnel.h>

struct pt_conf;

/*
 * XXX Fixed for now: a directive (timeouts.tunnel_idle and tunnel caps)
 * comes with the forward proxy; the constants are the defaults it will have.
 */
#ifndef TUNNEL_IDLE_DEFAULT_MS
#define TUNNEL_IDLE_DEFAULT_MS	300000	/* no byte either way: close */
#endif
#define TUNNEL_STREAMS_MAX	10000	/* streams in the process */
#define TUNNEL_PER_ADDR_MAX	256	/* streams per client address */
#define TUNNEL_PENDING_MAX	PT_TUNNEL_PENDING_MAX	/* bytes each way */
#define TUNNEL_VERDICT_MS	2000	/* a worker waits this long for it */

/*
 * The hand-off message, one SOCK_SEQPACKET datagram from a worker: this
 * header, then n_up bytes for the upstream, then n_client bytes for the
 * client. It carries three descriptors (SCM_RIGHTS): the client socket,
 * the upstream socket and the worker's reply socket, on which the tunnel
 * process writes one verdict byte once the stream is set up.
 */
#define TUNNEL_MAGIC	0x50544e31u	/* "PTN1" */

struct tunnel_msg {
	uint32_t	 magic;
	uint32_t	 n_up;
	uint32_t	 n_client;
	uint32_t	 reserved;
	char		 client[64];	/* client address, NUL-terminated */
};

enum tunnel_verdict {
	TUNNEL_ACCEPTED = 'A',
	TUNNEL_FULL = 'T',		/* the total cap is reached */
	TUNNEL_ADDR_FULL = 'P',		/* the per-address cap is reached */
	TUNNEL_BAD = 'E'		/* malformed, or out of memory */
};

/* What one tunnel process may hold, fixed when it starts. */
struct tunnel_limits {
	unsigned int	 streams_max;
	unsigned int	 per_addr_max;
	unsigned int	 pipes_max;	/* pipe pairs in use at once */
	long long	 idle_ms;
};

/* tunnel.c: the master */
/*
 * Forks the tunnel process (first call: also creates the socket workers
 * hand streams over on, so call it before forking workers). 0 or -1.
 */
int		 tunnel_start(const struct pt_conf *, bool explicit_user);
pid_t		 tunnel_pid(void);
/* TERM to the tunnel process and wait for it (bounded); its streams end. */
void		 tunnel_stop(void);
/* From the reap loop: if pid was the tunnel, log the loss and restart it. */
void		 tunnel_reaped(pid_t, int status);

/* tunnel.c: a worker */
/*
 * Hands both sockets and the bytes already read to the tunnel process and
 * waits (at most TUNNEL_VERDICT_MS) for its verdict. 0: the tunnel owns the
 * stream, close the local copies and touch them no more. -1: unavailable
 * or refused (logged); the sockets are untouched and still the caller's.
 */
int		 tunnel_handoff(int client_fd, int upstream_fd,
		    const void *to_upstream, size_t n1, const void *to_client,
		    size_t n2, const char *client_addr);

/* tunnel_relay.c: the tunnel process */
void		 tunnel_main(int ctl, const struct tunnel_limits *)
		    __attribute__((noreturn));

#endif /* PT_TUNNEL_H */
