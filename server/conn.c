/*
 * Connection accessors and the plain transport: read(2) and writev(2) on
 * the socket. mod_ssl installs its own transport in the connection hook.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <strings.h>
#include <unistd.h>

#include <portier/arena.h>

#include "core.h"

static ssize_t
plain_read(struct pt_conn *c, void *buf, size_t len)
{
	return (read(c->fd, buf, len));
}

static ssize_t
plain_writev(struct pt_conn *c, const struct iovec *iov, int n)
{
	return (writev(c->fd, iov, n));
}

const struct pt_transport conn_plain = {
	.name = "plain",
	.read = plain_read,
	.writev = plain_writev,
	.shutdown = NULL,
	.plain = true,
};

ssize_t
conn_io_read(struct pt_conn *c, void *buf, size_t len)
{
	return (c->tp->read(c, buf, len));
}

PT_API int
pt_conn_fd(const struct pt_conn *c)
{
	return (c->fd);
}

PT_API const char *
pt_conn_client_addr(const struct pt_conn *c)
{
	return (c->client);
}

PT_API struct pt_arena *
pt_conn_arena(struct pt_conn *c)
{
	return (c->arena);
}

PT_API void
pt_conn_set_transport(struct pt_conn *c, const struct pt_transport *tp,
    void *ctx)
{
	c->tp = tp != NULL ? tp : &conn_plain;
	c->tp_ctx = ctx;
}

PT_API void *
pt_conn_transport_ctx(const struct pt_conn *c)
{
	return (c->tp_ctx);
}

PT_API const struct pt_transport *
pt_conn_transport(const struct pt_conn *c)
{
	return (c->tp);
}

PT_API const char *
pt_conn_listener(const struct pt_conn *c)
{
	return (c->lst != NULL ? c->lst->text : "");
}

PT_API void
pt_conn_set_secure(struct pt_conn *c, bool on)
{
	c->secure = on;
}

PT_API bool
pt_conn_secure(const struct pt_conn *c)
{
	return (c->secure);
}

PT_API int
pt_conn_set_var(struct pt_conn *c, const char *name, const char *value)
{
	struct conn_var	*v;
	char		*val;

	if ((val = pt_strdup(c->arena, value != NULL ? value : "")) == NULL)
		return (PT_ERROR);
	for (v = c->vars; v != NULL; v = v->next)
		if (strcasecmp(v->name, name) == 0) {
			v->value = val;
			return (PT_OK);
		}
	if ((v = pt_alloc(c->arena, sizeof(*v))) == NULL ||
	    (v->name = pt_strdup(c->arena, name)) == NULL)
		return (PT_ERROR);
	v->value = val;
	v->next = c->vars;
	c->vars = v;
	return (PT_OK);
}

PT_API struct pt_str
pt_conn_pending(const struct pt_conn *c)
{
	struct pt_str s;

	s.p = c->buf + c->buf_off;
	s.len = c->buf_len - c->buf_off;
	return (s);
}
