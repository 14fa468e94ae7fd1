/*
 * Runtime control: the commands of the control socket (one line in, an
 * answer ending with an empty line out) and the helper process's
 * non-blocking step that accepts and serves its clients. The HTTP
 * endpoint's POST (status.c) changes the same state through the same
 * pt_upstream_set_admin().
 */
#define PT_LOG_TAG	"status"

#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <portier/log.h>
#include <portier/status.h>

#include "status.h"

#define ST_CLIENTS	8		/* connected at once */
#define ST_LINE_MAX	512
#define ST_IDLE_MS	60000		/* a silent client is dropped */
#define ST_TICK_MS	100		/* commands wait at most this */

int
st_action(const char *a)
{
	if (strcmp(a, "drain") == 0)
		return (PT_ADMIN_DRAIN);
	if (strcmp(a, "disable") == 0)
		return (PT_ADMIN_DISABLED);
	if (strcmp(a, "enable") == 0)
		return (PT_ADMIN_ON);
	return (-1);
}

static void
st_show_upstreams(const struct pt_conf *cf, struct st_buf *out)
{
	struct pt_status_upstream	 u;
	const char			*name;
	size_t				 p, i, ns;
	size_t				 np = pt_status_npools(cf);

	for (p = 0; p < np; p++) {
		name = pt_status_pool(cf, p, &ns);
		for (i = 0; i < ns; i++) {
			if (pt_status_upstream(cf, p, i, &u) != PT_OK)
				continue;
			st_printf(out, "%s %s %s admin=%s health=%s conns=%d "
			    "idle=%d requests=%" PRIu64 " failures=%" PRIu64
			    "\n", name, u.address, u.up ? "up" : "down",
			    pt_upstream_admin_name(u.admin),
			    st_upstream_word(&u), u.conns, u.idle, u.requests,
			    u.failures);
		}
	}
	if (np == 0)
		st_puts(out, "no upstreams\n");
}

static void
st_show_info(struct st_buf *out)
{
	struct pt_status_server	 s;
	struct pt_tunnel_stats	 t;

	if (pt_status_server(&s) == PT_OK)
		st_printf(out, "started=%lld generation=%u "
		    "restarts_graceful=%lu restarts_hard=%lu master_pid=%d "
		    "helper_pid=%d\n",
		    (long long)s.started, s.generation, s.restarts_graceful,
		    s.restarts_hard, s.master_pid, s.helper_pid);
	if (pt_tunnel_stats(&t) == PT_OK)
		st_printf(out, "tunnel_pid=%d tunnel_streams=%u "
		    "tunnel_total=%lu tunnel_refused=%lu\n", t.pid, t.streams,
		    t.total, t.refused);
}

/* "drain POOL SERVER" and the like: the new state, or an error line. */
static void
st_admin_cmd(const struct pt_conf *cf, int admin, const char *args,
    struct st_buf *out)
{
	char	pool[128], server[256], extra[2];
	int	n;

	n = sscanf(args, "%127s %255s %1s", pool, server, extra);
	if (n != 2) {
		st_puts(out, "error: usage: drain|disable|enable UPSTREAM "
		    "SERVER\n");
		return;
	}
	if (pt_upstream_set_admin(cf, pool, server, admin) != PT_OK) {
		st_printf(out, "error: no server %s in upstream %s\n", server,
		    pool);
		return;
	}
	st_printf(out, "%s %s %s\n", pool, server,
	    pt_upstream_admin_name(admin));
}

bool
st_control_line(const struct pt_conf *cf, const char *line, struct st_buf *out)
{
	char	verb[16];
	int	admin, skip = 0;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0') {
		st_puts(out, "\n");
		return (true);
	}
	if (sscanf(line, "%15s%n", verb, &skip) != 1)
		verb[0] = '\0';
	if (strcmp(verb, "quit") == 0)
		return (false);
	if ((admin = st_action(verb)) != -1)
		st_admin_cmd(cf, admin, line + skip, out);
	else if (strcmp(line, "show upstreams") == 0)
		st_show_upstreams(cf, out);
	else if (strcmp(line, "show info") == 0)
		st_show_info(out);
	else if (strcmp(verb, "help") == 0)
		st_puts(out, "commands: show upstreams | show info | "
		    "drain UPSTREAM SERVER | disable UPSTREAM SERVER | "
		    "enable UPSTREAM SERVER | quit\n");
	else
		st_puts(out, "error: unknown command (try help)\n");
	st_puts(out, "\n");
	return (true);
}

/* --- the helper's step over the socket --------------------------------- */

struct st_client {
	int		 fd;
	size_t		 len;
	long long	 last_ms;
	char		 buf[ST_LINE_MAX];
};

/* Helper process state: one helper per configuration, never shared. */
static struct st_client	st_clients[ST_CLIENTS];
static bool		st_clients_ready;
static char		st_out[64 * 1024];	/* one answer */

static void
st_client_close(struct st_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* Answers are small: one send; a client that reads nothing is dropped. */
static bool
st_client_send(struct st_client *c, const struct st_buf *out)
{
	ssize_t n;

	if (out->len == 0)
		return (true);
	n = send(c->fd, out->p, out->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return (n == (ssize_t)out->len);
}

/* Runs every complete line in the client's buffer; false: close it. */
static bool
st_client_lines(const struct pt_conf *cf, struct st_client *c)
{
	struct st_buf	 out;
	char		*nl;
	bool		 more = true;

	while (more && (nl = memchr(c->buf, '\n', c->len)) != NULL) {
		*nl = '\0';
		if (nl > c->buf && nl[-1] == '\r')
			nl[-1] = '\0';
		st_buf_fixed(&out, st_out, sizeof(st_out));
		more = st_control_line(cf, c->buf, &out);
		if (out.oom || !st_client_send(c, &out))
			return (false);
		c->len -= (size_t)(nl + 1 - c->buf);
		memmove(c->buf, nl + 1, c->len);
	}
	if (more && c->len == sizeof(c->buf)) {
		st_buf_fixed(&out, st_out, sizeof(st_out));
		st_puts(&out, "error: line too long\n\n");
		(void)st_client_send(c, &out);
		return (false);
	}
	return (more);
}

static void
st_client_read(const struct pt_conf *cf, struct st_client *c, long long now)
{
	ssize_t n;

	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		if (now - c->last_ms > ST_IDLE_MS)
			st_client_close(c);
		return;
	}
	if (n <= 0) {
		/* A last line without a newline still counts (echo -n). */
		if (n == 0 && c->len > 0 && c->len < sizeof(c->buf)) {
			c->buf[c->len++] = '\n';
			(void)st_client_lines(cf, c);
		}
		st_client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->last_ms = now;
	if (!st_client_lines(cf, c))
		st_client_close(c);
}

static void
st_accept(int lfd, long long now)
{
	int	fd;
	size_t	i;

	for (;;) {
		for (i = 0; i < ST_CLIENTS && st_clients[i].fd != -1; i++)
			;
		if (i == ST_CLIENTS)
			return;		/* the rest wait in the queue */
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR)
				PT_LOG_ERRNO(PT_LOG_WARN, "control socket: "
				    "accept");
			return;
		}
		st_clients[i].fd = fd;
		st_clients[i].len = 0;
		st_clients[i].last_ms = now;
	}
}

/*
 * Periodic, in the helper: accept what is waiting, read what has arrived,
 * answer complete lines; never blocks. Runs every ST_TICK_MS while a
 * socket is configured, so a command is answered within about 0.1 s.
 */
long long
st_control_step(const struct pt_conf *cf, long long now)
{
	int	lfd = pt_control_fd();
	size_t	i;

	if (lfd == -1)
		return (60000);
	if (!st_clients_ready) {
		for (i = 0; i < ST_CLIENTS; i++)
			st_clients[i].fd = -1;
		st_clients_ready = true;
	}
	st_accept(lfd, now);
	for (i = 0; i < ST_CLIENTS; i++)
		if (st_clients[i].fd != -1)
			st_client_read(cf, &st_clients[i], now);
	return (ST_TICK_MS);
}
