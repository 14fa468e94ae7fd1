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
 * The idle timeout is timeouts.tunnel_idle, the caps on streams
 * request_limits.tunnels_max and tunnels_per_client.
 */
#define TUNNEL_PENDING_MAX	PT_TUNNEL_PENDING_MAX	/* bytes each way */
#define TUNNEL_VERDICT_MS	2000	/* a worker waits this long for it */
#define TUNNEL_LOG_MAX		4096	/* an access log line */

/*
 * The hand-off message, one SOCK_SEQPACKET datagram from a worker: this
 * header, then n_up bytes for the upstream, then n_client bytes for the
 * client, then n_log bytes of access log line (access_log_defer). It
 * carries three descriptors (SCM_RIGHTS): the client socket, the upstream
 * socket and the worker's reply socket, on which the tunnel process writes
 * one verdict byte once the stream is set up; and a fourth with a line,
 * the access log it goes to.
 */
#define TUNNEL_MAGIC	0x50544e32u	/* "PTN2" */

struct tunnel_msg {
	uint32_t	 magic;
	uint32_t	 n_up;
	uint32_t	 n_client;
	uint32_t	 n_log;
	/* For the line: bytes of n_up and n_client that are not the
	 * client's or the upstream's (a module's, the response head). */
	uint32_t	 skip_up;
	uint32_t	 skip_down;
	uint64_t	 bytes_in;	/* the request, as the worker read it */
	int64_t		 start_us;	/* when the request came, realtime */
	char		 client[64];	/* client address, NUL-terminated */
};

/* A request's access log line, for the tunnel process to finish. */
struct tunnel_log {
	const char	*line;		/* access_log_defer's */
	size_t		 len;
	int		 fd;		/* the log; -1: none */
	uint32_t	 skip_up, skip_down;
	uint64_t	 bytes_in;
	int64_t		 start_us;
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
 * waits (at most TUNNEL_VERDICT_MS) for its verdict. The log line, when
 * not NULL, is written when the stream ends. 0: the tunnel owns the
 * stream, close the local copies and touch them no more. -1: unavailable
 * or refused (logged); the sockets are untouched and still the caller's.
 */
int		 tunnel_handoff(int client_fd, int upstream_fd,
		    const void *to_upstream, size_t n1, const void *to_client,
		    size_t n2, const char *client_addr,
		    const struct tunnel_log *);

/*
 * Why this worker's last hand-off was refused: TUNNEL_FULL or
 * TUNNEL_ADDR_FULL (a cap), or 0 (accepted, or refused otherwise).
 */
int		 tunnel_last_refusal(void);

/* tunnel_log.c: the tunnel process's access log lines */
/* An access log the streams' lines go to: one descriptor per file. */
struct tunnel_logf {
	struct tunnel_logf	*next;
	dev_t			 dev;
	ino_t			 ino;
	int			 fd;
	unsigned int		 refs;
};

struct tunnel_logs {
	struct tunnel_logf	*head;
	long long		 err_logged;	/* ms; warnings once a second */
};

/* A stream's access log line, finished and written when it ends. */
struct tunnel_line {
	struct tunnel_logf	*lf;
	char			*tpl;		/* access_log_defer's; NULL: none */
	size_t			 len;
	uint32_t		 skip_up, skip_down;
	uint64_t		 bytes_in;
	int64_t			 start_us;
};

/* Takes the line tpl of hand-off h and its log fd (closed on error). */
int		 tunnel_line_set(struct tunnel_logs *, struct tunnel_line *,
		    const struct tunnel_msg *h, const char *tpl, int fd);
/* Writes the line with the bytes moved each way (up: client to upstream). */
void		 tunnel_line_write(struct tunnel_logs *,
		    const struct tunnel_line *, uint64_t up, uint64_t down,
		    long long now_ms);
void		 tunnel_line_free(struct tunnel_logs *, struct tunnel_line *);

/* tunnel_relay.c: the tunnel process */
void		 tunnel_main(int ctl, const struct tunnel_limits *)
		    __attribute__((noreturn));

#endif /* PT_TUNNEL_H */
