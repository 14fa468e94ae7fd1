/*
 * The core's private structures and entry points: connections, requests,
 * the worker loop, responses, the scoreboard and process control. Modules
 * never include this file; they see accessors in include/portier/.
 */
#ifndef PT_CORE_H
#define PT_CORE_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <strings.h>

#include <portier/types.h>
#include <portier/log.h>
#include <portier/conn.h>
#include "arena_priv.h"
#include "conf.h"
#include "http_parse.h"

#define PT_VERSION_STR	"portier/" PACKAGE_VERSION

/* One listening socket, shared by every worker. */
struct listener {
	int			 fd;
	const struct conf_listen *cl;		/* first config entry that named it */
	char			 text[128];	/* its configured text */
	char			 bound[64];	/* actual address, "127.0.0.1:41234" */
};

/* A response header added by a handler (name and value NUL-terminated). */
struct resp_field {
	const char		*name;
	const char		*value;
};

struct pt_conn {
	int			 fd;
	struct listener		*lst;
	struct sockaddr_storage	 peer;
	char			 client[64];	/* textual address, no port */
	char			 client_port[8];
	struct pt_arena		*arena;		/* lives as long as the connection */
	char			*buf;		/* read buffer */
	char			*spare;		/* the second one (http_body.c) */
	size_t			 spare_size;
	size_t			 buf_size, buf_len, buf_off;
	unsigned int		 requests;	/* served on this connection */
	bool			 closing;	/* no more requests after this one */
	bool			 eof;		/* the client half-closed */
	bool			 taken_over;	/* a module owns the socket now */
	const struct pt_transport *tp;		/* never NULL */
	void			*tp_ctx;
	bool			 secure;	/* HTTPS: TLS terminated here */
	struct conn_var		*vars;		/* %{name} set by modules */
};

/* A connection variable (pt_conn_set_var), in the connection's arena. */
struct conn_var {
	const char		*name;
	const char		*value;
	struct conn_var		*next;
};

struct req_note {
	const char		*name, *value;
};

struct pt_request {
	struct pt_conn		*conn;
	struct pt_arena		*arena;		/* reset after each request */
	const struct pt_conf	*conf;
	struct http_head	 head;
	const struct conf_server *srv;
	const struct conf_route	*route;
	char			 id[72];	/* request id */
	char			*path;		/* decoded, dot segments resolved */
	bool			 path_slash;	/* path ends with '/' */
	bool			 path_rewritten;	/* a module set the path */
	const char		*upstream_addr;	/* the server proxied to (logs) */
	/* pt_req_set_upstream(): proxy here, whatever the route says. */
	struct conf_upstream	*upstream_override;
	/* pt_req_set_upstream_addr(): an origin outside the pools. */
	const struct upstream_adhoc *upstream_adhoc;
	/* pt_req_answer(): the answer a hook chose (status 0: none). */
	int			 answer_status;
	const char		*answer_type;
	const void		*answer_body;
	size_t			 answer_len;
	bool			 tracing;	/* --trace-request: log to stdout */
	const char		*user;		/* authenticated (Basic), or NULL */
	const char		*acl_rule;	/* forward proxy: the deciding rule */
	bool			 keep_server;	/* the upstream's Server goes on */
	void			**mod_ctx;	/* per module, by load order */
	struct timespec		 start;

	/* Request body: what is left to read from the client. */
	uint64_t		 body_left;	/* Content-Length bytes not yet read */
	struct http_chunked	 chunked;
	bool			 body_done;
	bool			 continue_sent;	/* 100 Continue went out */
	char			*peeked;	/* body bytes read ahead (peek) */
	size_t			 peeked_len, peeked_off;
	uint64_t		 body_total;	/* decoded body bytes read */
	size_t			 body_base;	/* where body reads may start in
						   conn->buf: after the head */

	/* Response. */
	int			 status;
	struct resp_field	*fields;
	size_t			 nfields, fields_cap;
	bool			 head_only;	/* HEAD: headers, no body */
	bool			 keep_alive;	/* decided when the head is sent */
	bool			 head_sent;
	struct iovec		 head_held;	/* built, waits for the first body
						   write (filtered bodies) */
	struct pt_filter	*filters;	/* response filter chain, or NULL */
	bool			 body_filtered;	/* a filter sees the body */
	int64_t			 resp_length;	/* body length for the head, -1: unknown */
	bool			 chunked_out;	/* body sent in chunked coding */
	bool			 body_resized;	/* a body filter may change its length */
	const void		*repl_body;	/* pt_resp_replace_body(), or NULL */
	size_t			 repl_len;
	bool			 repl_sent;	/* it went: the handler's body is dropped */
	uint64_t		 bytes_out;	/* body bytes sent */
	uint64_t		 bytes_in;	/* head + body bytes read */
	bool			 log_deferred;	/* the tunnel process logs it */
	struct req_note		*notes;		/* pt_req_set_note(), arena */
	size_t			 nnotes;
	const struct fwd_target	*fwd_target;	/* forward_access() let it in */
};

/* An ad-hoc upstream (pt_req_set_upstream_addr), in the request's arena. */
struct upstream_adhoc {
	const char		*host;		/* a name or an address, no [] */
	int			 port;
	bool			 tls;
	const char		*authority;	/* for Host: [v6]:port, no default
						   port */
};

/* Worker-wide state, one per process. */
struct worker {
	const struct pt_conf	*conf;
	struct listener		*lst;
	size_t			 nlst;
	int			 slot;		/* scoreboard slot */
	int			 epfd;		/* several listeners: epoll set */
	unsigned long		 served;	/* requests served by this process */
	struct pt_arena		*conn_arena;
	struct pt_arena		*req_arena;
};

/* Scoreboard states. */
enum sb_state {
	SB_FREE = 0, SB_STARTING, SB_IDLE, SB_READ, SB_BUSY, SB_WRITE,
	SB_KEEPALIVE, SB_CLOSING, SB_EXITING
};

struct sb_slot {
	pid_t			 pid;
	unsigned int		 generation;
	volatile int		 state;
	unsigned long		 requests;
	time_t			 started;
	time_t			 last_used;
	long long		 req_start_ms;	/* current (or latest) request, epoch ms */
	long long		 last_ms;	/* duration of the latest finished one */
	char			 client[64];
	char			 last_request[128];	/* method and path, query masked */
	unsigned int		 ws_streams;	/* in-worker upgraded streams */
};

struct scoreboard {
	unsigned int		 nslots;
	unsigned int		 generation;	/* current generation */
	int			 idle;		/* workers waiting in accept (atomic) */
	/* The tunnel process (tunnel.c): the master sets the pid, the
	 * tunnel process alone writes the counts. */
	pid_t			 tunnel_pid;
	unsigned int		 tunnel_streams;	/* open now */
	unsigned long		 tunnel_total;		/* accepted since it started */
	unsigned long		 tunnel_refused;	/* refused at a cap */
	/* The master writes these; mod_status reads them (status_api.c). */
	time_t			 started;	/* when the master started */
	unsigned long		 restarts_graceful, restarts_hard; /* accepted */
	pid_t			 master_pid;
	pid_t			 helper_pid;	/* 0: not running */
	/* Upgraded streams relayed inside workers (a TLS client: they cannot
	 * go to the tunnel process), across workers (atomic); each slot's
	 * share is in its ws_streams so a dead worker's leave the count. */
	unsigned int		 ws_streams;
	struct sb_slot		 slots[];
};

/* Globals: the only ones (CONVENTIONS 4). */
extern struct scoreboard	*pt_scoreboard;
extern volatile sig_atomic_t	 pt_stop;		/* TERM: stop now */
extern volatile sig_atomic_t	 pt_graceful;		/* finish and exit */
extern volatile sig_atomic_t	 pt_master_reload;	/* 1 HUP, 2 USR1 */
extern volatile sig_atomic_t	 pt_master_child;	/* SIGCHLD seen */

/* listen.c */
int		 listen_open_all(const struct pt_conf *, struct listener *old,
		    size_t nold, struct listener **, size_t *);
void		 listen_close_all(struct listener *, size_t);
int		 listen_report(const struct pt_conf *, struct listener *, size_t);

/* scoreboard.c */
int		 sb_create(unsigned int nslots);
void		 sb_set(int slot, enum sb_state);
int		 sb_slot_alloc(pid_t, unsigned int generation);
void		 sb_slot_free(int slot);
int		 sb_slot_of(pid_t);
unsigned int	 sb_count(enum sb_state, unsigned int generation);
void		 sb_request_begin(int slot, const struct pt_request *);
void		 sb_note_request(int slot, const struct pt_request *);
void		 sb_idle_enter(int slot);
void		 sb_idle_leave(int slot);
int		 sb_idle(void);
void		 sb_conn_begin(int slot, const char *client);
unsigned int	 sb_client_count(const char *client);
/* An in-worker upgraded stream begins (0), or not past max (-1); ends. */
int		 sb_ws_enter(int slot, unsigned int max);
void		 sb_ws_leave(int slot);

/* control.c (the control_socket directive; served by mod_status) */
int		 control_open(const struct pt_conf *);
void		 control_close(void);

/* master.c */
int		 master_run(const char *conf_path, struct pt_conf *,
		    const struct conf_overrides *, bool foreground);
/* setup.c */
struct pt_conf	*setup_load(const char *path, const struct conf_overrides *,
		    FILE *errs, int *nerrors);

/* helper.c */
pid_t		 helper_start(const struct pt_conf *, bool explicit_user,
		    const sigset_t *unblocked);
pid_t		 helper_pid(void);
void		 helper_forget(void);
void		 helper_stop(void);

/* worker.c */
void		 worker_main(struct worker *) __attribute__((noreturn));
int		 worker_drop_privileges(const struct pt_conf *, bool explicit_user);

/* signals.c */
void		 signals_master(void);
void		 signals_worker(void);
void		 signals_block_all(sigset_t *old);

/* proc.c */
void		 proc_title_init(int argc, char **argv);
void		 proc_title_set(const char *fmt, ...)
		    __attribute__((__format__(printf, 1, 2)));
int		 proc_daemonize(void);
int		 proc_write_pid(const char *path);

/* http_conn.c */
/* Before the hooks: framing, server, normalised path; 0 or a status. */
int		 request_prepare(struct pt_request *);
/* translate's passes and routing (trace.c runs them too). */
int		 request_translate(struct pt_request *);
void		 conn_serve(struct worker *, int fd, struct sockaddr_storage *,
		    struct listener *);
/* Reads more bytes into c->buf; 1 read, 0 EOF, -1 error/timeout (errno). */
ssize_t		 conn_read_more(struct pt_conn *, long long deadline_ms);
long long	 now_ms(void);
bool		 conn_should_shed(const struct pt_conn *);

/* conn.c */
extern const struct pt_transport conn_plain;
ssize_t		 conn_io_read(struct pt_conn *, void *, size_t);

/* http_body.c */
/* Reads and drops the rest of the request body within limits;
 * 0 when all was read, -1 when the connection must close. */
int		 body_discard(struct pt_request *);

/* http_response.c */
int		 resp_field_add(struct pt_request *, const char *name, const char *value);
int		 resp_send(struct pt_request *, int status, const char *type,
		    const void *body, size_t len);
int		 resp_send_file(struct pt_request *, int status, const char *type,
		    int fd, off_t off, off_t len);
int		 resp_error(struct pt_request *, int status);
const char	*resp_reason(int status);
void		 resp_date_refresh(void);
int		 write_full(struct pt_conn *, const struct iovec *, int iovcnt);
int		 resp_body_write(struct pt_request *, const void *, size_t, bool eos);
int		 resp_send_head(struct pt_request *, int status, int64_t length);
int		 resp_stream(struct pt_request *, const void *, size_t, bool eos);

/* static.c */
int		 static_handler(struct pt_request *);
int		 static_init(const struct pt_conf *);

/*
 * trace.c: portier --trace-request; returns the exit status. as_proxy:
 * to the first forward proxy server, in absolute-form (--trace-proxy).
 */
int		 trace_request(struct pt_conf *, const char *request,
		    const char *const *fields, size_t nfields,
		    const char *client, bool as_proxy);

/* log.c (error log) */
int		 log_open(const struct pt_conf *);
void		 log_set_level(int level);
void		 log_reopen(void);
bool		 log_is_stderr(void);

/* log_access.c */
int		 access_log_open(const struct pt_conf *);
void		 access_log_request(struct pt_request *);
void		 access_log_flush(void);
size_t		 access_log_format_line(struct pt_request *, const char *fmt,
		    char *out, size_t room);
void		 access_log_close(void);
/*
 * A tunnel's line, logged by the tunnel process when it closes: r's line
 * with the values only the end knows (bytes, times) left as markers, for
 * access_log_late_fill. The length (0: r's scope logs nothing); *fd the
 * log's descriptor, to pass along.
 */
size_t		 access_log_defer(struct pt_request *, char *out, size_t room,
		    int *fd);
struct alog_late {
	uint64_t	 bytes_sent, bytes_received;
	long long	 us;		/* request_time */
};
/* The deferred line tpl[0..n) with its markers replaced; its length. */
size_t		 access_log_late_fill(const char *tpl, size_t n,
		    const struct alog_late *, char *out, size_t room);

/* util.c */
void		 request_id_new(char *out, size_t len);
size_t		 addr_format(const struct sockaddr_storage *, char *host,
		    size_t hostlen, char *port, size_t portlen);
/*
 * Case-insensitive equality of p[0..len) with the string s. Inline, so the
 * length of a literal s is known at compile time and most calls stop at
 * the length compare (the proxy runs this for every field).
 */
static inline bool
str_case_eq(const char *p, size_t len, const char *s)
{
	size_t	i;

	if (__builtin_strlen(s) != len)
		return (false);
	/* ASCII only (field names are tokens): no locale, no libc call. */
	for (i = 0; i < len; i++)
		if ((p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]) !=
		    (s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]))
			return (false);
	return (true);
}
size_t		 u64_dec(char *out, uint64_t);

#endif /* PT_CORE_H */
