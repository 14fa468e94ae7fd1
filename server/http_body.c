/*
 * Request bodies: Content-Length and chunked framing read from the client
 * with bounded buffers. What the handler does not consume is drained here
 * (within limits) so the connection can carry the next request.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include <portier/request.h>

#include "core.h"

#define BODY_DRAIN_MAX	(1024 * 1024)	/* more than this: close instead */

/*
 * Everything buffered was consumed: make room for more body bytes without
 * overwriting the request head, which the handler, the proxy and the log
 * still read in place. After the head when there is room; else in the
 * connection's second buffer (the next request's head then lives there,
 * and its body may take the first one back).
 */
static void
body_buf_reset(struct pt_request *r)
{
	struct pt_conn	*c = r->conn;
	char		*tmp;

	if (c->buf_size - r->body_base >= 4096) {
		c->buf_off = c->buf_len = r->body_base;
		return;
	}
	if (c->spare == NULL) {
		if ((c->spare = pt_alloc(c->arena, c->buf_size)) == NULL) {
			c->buf_off = c->buf_len = r->body_base;
			return;
		}
		c->spare_size = c->buf_size;
	}
	tmp = c->buf;
	c->buf = c->spare;
	c->spare = tmp;
	r->body_base = c->buf_size;	/* sizes swap too */
	c->buf_size = c->spare_size;
	c->spare_size = r->body_base;
	r->body_base = 0;
	c->buf_off = c->buf_len = 0;
}

/* Consumes buffered body bytes; returns 1 when the body ended, 0, or -1. */
static int
body_eat_buffered(struct pt_request *r, uint64_t *total)
{
	struct pt_conn	*c = r->conn;
	size_t		 avail = c->buf_len - c->buf_off, used, off, dlen;
	int		 rc;

	if (r->head.framing == HTTP_BODY_LENGTH) {
		used = avail < r->body_left ? avail : (size_t)r->body_left;
		c->buf_off += used;
		r->body_left -= used;
		*total += used;
		return (r->body_left == 0 ? 1 : 0);
	}
	while (c->buf_off < c->buf_len) {
		rc = http_chunked_step(&r->chunked, c->buf + c->buf_off,
		    c->buf_len - c->buf_off, &used, &off, &dlen);
		c->buf_off += used;
		*total += dlen;
		if (rc != 0)
			return (rc == 1 ? 1 : -1);
		if (*total > (uint64_t)r->conf->limits.body)
			return (-1);
	}
	return (0);
}

int
body_discard(struct pt_request *r)
{
	struct pt_conn	*c = r->conn;
	long long	 deadline = now_ms() + r->conf->timeouts.body;
	uint64_t	 total = 0;
	ssize_t		 n;
	int		 rc;

	if (r->head.framing == HTTP_BODY_LENGTH && r->body_left > BODY_DRAIN_MAX)
		return (-1);
	for (;;) {
		if ((rc = body_eat_buffered(r, &total)) != 0) {
			r->body_done = rc == 1;
			return (rc == 1 ? 0 : -1);
		}
		if (total > BODY_DRAIN_MAX)
			return (-1);
		/* Everything buffered was consumed: start at the front. */
		body_buf_reset(r);
		if ((n = conn_read_more(c, deadline)) <= 0)
			return (-1);
		r->bytes_in += (uint64_t)n;
	}
}

/* RFC 9110 10.1.1: tell a waiting client to send the body, once. */
static int
body_continue(struct pt_request *r)
{
	static const char	msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct iovec		iov;

	if (!r->head.expect_continue || r->continue_sent)
		return (0);
	r->continue_sent = true;
	iov.iov_base = (void *)(uintptr_t)msg;
	iov.iov_len = sizeof(msg) - 1;
	return (write_full(r->conn, &iov, 1));
}

/* Decoded body bytes from what is buffered; 0 when none is. */
static ssize_t
body_take_buffered(struct pt_request *r, char *out, size_t len)
{
	struct pt_conn	*c = r->conn;
	size_t		 avail = c->buf_len - c->buf_off, n, used, off, dlen;
	int		 rc;

	if (r->head.framing == HTTP_BODY_LENGTH) {
		n = avail < r->body_left ? avail : (size_t)r->body_left;
		n = n < len ? n : len;
		memcpy(out, c->buf + c->buf_off, n);
		c->buf_off += n;
		r->body_left -= n;
		r->body_done = r->body_left == 0;
		return ((ssize_t)n);
	}
	while (c->buf_off < c->buf_len) {
		/* Never decode more data than out can take. */
		rc = http_chunked_step(&r->chunked, c->buf + c->buf_off,
		    (c->buf_len - c->buf_off) < len ? c->buf_len - c->buf_off :
		    len, &used, &off, &dlen);
		if (rc == 400)
			return (-1);
		memcpy(out, c->buf + c->buf_off + off, dlen);
		c->buf_off += used;
		if (rc == 1)
			r->body_done = true;
		if (dlen > 0 || rc == 1)
			return ((ssize_t)dlen);
	}
	return (0);
}

static ssize_t
body_read_raw(struct pt_request *r, char *out, size_t len)
{
	struct pt_conn	*c = r->conn;
	long long	 deadline = now_ms() + r->conf->timeouts.body;
	ssize_t		 n;

	if (body_continue(r) == -1)
		return (-1);
	while (!r->body_done) {
		if ((n = body_take_buffered(r, out, len)) != 0) {
			if (n > 0)
				r->body_total += (uint64_t)n;
			if (r->body_total > (uint64_t)r->conf->limits.body)
				return (-1);
			return (n);
		}
		if (r->body_done)
			break;
		body_buf_reset(r);
		if ((n = conn_read_more(c, deadline)) <= 0)
			return (-1);
		r->bytes_in += (uint64_t)n;
	}
	return (0);
}

PT_API ssize_t
pt_req_body_read(struct pt_request *r, void *buf, size_t len)
{
	size_t n;

	if (r->peeked_off < r->peeked_len) {
		n = r->peeked_len - r->peeked_off;
		n = n < len ? n : len;
		memcpy(buf, r->peeked + r->peeked_off, n);
		r->peeked_off += n;
		return ((ssize_t)n);
	}
	if (r->body_done || len == 0)
		return (0);
	return (body_read_raw(r, buf, len));
}

PT_API int
pt_req_body_peek(struct pt_request *r, size_t max, struct pt_str *out)
{
	char	*nb;
	ssize_t	 n;

	if (r->peeked_len < max && !r->body_done) {
		if ((nb = pt_alloc(r->arena, max)) == NULL)
			return (PT_ERROR);
		if (r->peeked_len > 0)
			memcpy(nb, r->peeked, r->peeked_len);
		r->peeked = nb;
		while (r->peeked_len < max && !r->body_done) {
			n = body_read_raw(r, nb + r->peeked_len,
			    max - r->peeked_len);
			if (n < 0)
				return (PT_ERROR);
			if (n == 0)
				break;
			r->peeked_len += (size_t)n;
		}
	}
	out->p = r->peeked;
	out->len = r->peeked_len < max ? r->peeked_len : max;
	return (PT_OK);
}

PT_API bool
pt_req_has_body(const struct pt_request *r)
{
	return (r->head.framing != HTTP_BODY_NONE &&
	    !(r->head.framing == HTTP_BODY_LENGTH && r->head.content_length == 0));
}
