/*
 * proxy.request_buffering: the request body read whole before a server is
 * chosen (nginx's proxy_request_buffering), into memory up to the route's
 * buffer_size and then a temporary file, so a slow client never holds an
 * upstream connection, and an idempotent request can be sent again.
 */
#include "config.h"

#include <sys/uio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <portier/request.h>
#include "proxy.h"

#define REQBUF_CHUNK	65536

static void
reqbuf_close(void *arg)
{
	close((int)(intptr_t)arg);
}

/* Moves what memory holds into a new temporary file. */
static int
reqbuf_spill(struct proxy_ctx *x, size_t held)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "request buffer: temporary file");
		return (-1);
	}
	pt_arena_defer(x->r->arena, reqbuf_close, (void *)(intptr_t)fd);
	x->req_fd = fd;
	if (write(fd, x->req_mem, held) != (ssize_t)held)
		return (-1);
	return (0);
}

int
proxy_reqbuf_read(struct proxy_ctx *x)
{
	struct pt_request	*r = x->r;
	size_t			 cap = (size_t)x->px->buffer_size, held = 0;
	char			*chunk;
	ssize_t			 n;

	x->req_fd = -1;
	if ((x->req_mem = pt_alloc(r->arena, cap)) == NULL ||
	    (chunk = pt_alloc(r->arena, REQBUF_CHUNK)) == NULL)
		return (500);
	for (;;) {
		if ((n = pt_req_body_read(r, chunk, REQBUF_CHUNK)) < 0)
			return (r->body_total > (uint64_t)r->conf->limits.body ?
			    413 : 400);
		if (n == 0)
			break;
		if (x->req_fd == -1 && held + (size_t)n <= cap) {
			memcpy(x->req_mem + held, chunk, (size_t)n);
			held += (size_t)n;
		} else if ((x->req_fd == -1 && reqbuf_spill(x, held) == -1) ||
		    write(x->req_fd, chunk, (size_t)n) != n)
			return (500);
		x->req_total += (uint64_t)n;
	}
	x->req_buffered = true;
	return (0);
}

int
proxy_reqbuf_send(struct proxy_ctx *x, long long deadline)
{
	struct iovec	 iov;
	char		*chunk;
	off_t		 off = 0;
	ssize_t		 n;

	if (x->req_fd == -1) {
		iov.iov_base = x->req_mem;
		iov.iov_len = (size_t)x->req_total;
		return (x->req_total == 0 || proxy_write(x, &iov, 1, deadline) == 0 ?
		    0 : 502);
	}
	if ((chunk = pt_alloc(x->r->arena, REQBUF_CHUNK)) == NULL)
		return (500);
	while ((uint64_t)off < x->req_total) {
		if ((n = pread(x->req_fd, chunk, REQBUF_CHUNK, off)) <= 0)
			return (500);
		iov.iov_base = chunk;
		iov.iov_len = (size_t)n;
		if (proxy_write(x, &iov, 1, deadline) == -1)
			return (502);
		off += n;
	}
	return (0);
}
