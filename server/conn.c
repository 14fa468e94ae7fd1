/*
 * Connection accessors and the plain transport: read(2) and writev(2) on
 * the socket. mod_ssl installs its own transport in the connection hook.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

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

PT_API struct pt_str
pt_conn_pending(const struct pt_conn *c)
{
	struct pt_str s;

	s.p = c->buf + c->buf_off;
	s.len = c->buf_len - c->buf_off;
	return (s);
}
