/*
 * Handing a plaintext byte stream to the tunnel process. Once a CONNECT is
 * answered, a WebSocket upgraded or a passthrough connection chosen, the
 * module gives the client socket and its upstream socket to the tunnel
 * process, which relays them (epoll and splice) for as long as they live;
 * the worker goes back to accept. TLS that Portier terminates cannot move
 * (its state lives in the worker), so only plain connections are handed.
 */
#ifndef PORTIER_TUNNEL_H
#define PORTIER_TUNNEL_H

#include <portier/types.h>

/* Bytes each way a hand-off may carry (to_upstream, to_client). */
#define PT_TUNNEL_PENDING_MAX	(64 * 1024)

/*
 * Hands the request's connection and upstream_fd (a connected socket) to
 * the tunnel process. to_upstream is sent to the upstream first, followed
 * by any client bytes already read past the request head (the core adds
 * them); to_client is sent to the client first (say, "HTTP/1.1 101 ...",
 * or "HTTP/1.1 200 Connection established"), and its status line, when it
 * has one, is what the access log records. Blocks for at most three
 * seconds (the tunnel process is restarting, or overloaded).
 *
 * PT_DONE: handed over; the worker's copy of upstream_fd is closed, and the
 * handler returns PT_DONE (the core writes nothing more to the client).
 * PT_ERROR: the tunnel process is unavailable, at its total or per-address
 * cap, the connection is TLS or a response was already sent (logged);
 * upstream_fd is still the caller's and the client has been sent nothing,
 * so the handler may answer 503.
 */
PT_API int	 pt_req_tunnel(struct pt_request *, int upstream_fd,
		    const void *to_upstream, size_t n1, const void *to_client,
		    size_t n2);

/*
 * The same from a connection hook, before any request was read (SNI
 * passthrough); the hook then returns PT_DONE. Bytes already read into the
 * core's buffer travel to the upstream after to_upstream.
 */
PT_API int	 pt_conn_tunnel(struct pt_conn *, int upstream_fd,
		    const void *to_upstream, size_t n1, const void *to_client,
		    size_t n2);

/*
 * The tunnel process's state from the scoreboard (mod_status). Fields are
 * only ever appended, with a PT_MODULE_ABI bump.
 */
struct pt_tunnel_stats {
	int		 pid;		/* 0: not running */
	unsigned int	 streams;	/* open now */
	unsigned long	 total;		/* accepted since it started */
	unsigned long	 refused;	/* refused at a cap since it started */
};

/* PT_OK, or PT_ERROR when there is no scoreboard (-X). */
PT_API int	 pt_tunnel_stats(struct pt_tunnel_stats *);

#endif /* PORTIER_TUNNEL_H */
