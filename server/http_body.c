/*
 * Request bodies: Content-Length and chunked framing read from the client
 * with bounded buffers. What the handler does not consume is drained here
 * (within limits) so the connection can carry the next request.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "core.h"

#define BODY_DRAIN_MAX	(1024 * 1024)	/* more than this: close instead */

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
		c->buf_off = c->buf_len = 0;
		if ((n = conn_read_more(c, deadline)) <= 0)
			return (-1);
		r->bytes_in += (uint64_t)n;
	}
}
