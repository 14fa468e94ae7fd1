/*
 * Responses: the status line and header block built in one buffer, sent
 * with the body in one writev (small bodies; a filtered body's first
 * piece) or followed by sendfile(2) (large files). Error answers reveal nothing internal: a configured page
 * or a short built-in one.
 */
#include "config.h"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "static_file.h"
#include "hooks_priv.h"
#include <portier/request.h>

#define RESP_SMALL_FILE	(32 * 1024)	/* up to this, read + one writev */

static char	date_line[64];		/* "Date: ...\r\n", refreshed each second */
static size_t	date_len;
static time_t	date_at;

void
resp_date_refresh(void)
{
	time_t	now = time(NULL);
	char	d[32];

	if (now == date_at)
		return;
	date_at = now;
	http_date_format(now, d);
	date_len = (size_t)snprintf(date_line, sizeof(date_line),
	    "Date: %s\r\n", d);
}

const char *
resp_reason(int status)
{
	switch (status) {
	case 100: return ("Continue");
	case 101: return ("Switching Protocols");
	case 200: return ("OK");
	case 201: return ("Created");
	case 202: return ("Accepted");
	case 203: return ("Non-Authoritative Information");
	case 204: return ("No Content");
	case 205: return ("Reset Content");
	case 206: return ("Partial Content");
	case 300: return ("Multiple Choices");
	case 301: return ("Moved Permanently");
	case 302: return ("Found");
	case 303: return ("See Other");
	case 304: return ("Not Modified");
	case 307: return ("Temporary Redirect");
	case 308: return ("Permanent Redirect");
	case 400: return ("Bad Request");
	case 401: return ("Unauthorized");
	case 403: return ("Forbidden");
	case 404: return ("Not Found");
	case 405: return ("Method Not Allowed");
	case 406: return ("Not Acceptable");
	case 407: return ("Proxy Authentication Required");
	case 408: return ("Request Timeout");
	case 409: return ("Conflict");
	case 410: return ("Gone");
	case 411: return ("Length Required");
	case 412: return ("Precondition Failed");
	case 413: return ("Content Too Large");
	case 414: return ("URI Too Long");
	case 415: return ("Unsupported Media Type");
	case 416: return ("Range Not Satisfiable");
	case 417: return ("Expectation Failed");
	case 421: return ("Misdirected Request");
	case 422: return ("Unprocessable Content");
	case 426: return ("Upgrade Required");
	case 428: return ("Precondition Required");
	case 429: return ("Too Many Requests");
	case 431: return ("Request Header Fields Too Large");
	case 451: return ("Unavailable For Legal Reasons");
	case 500: return ("Internal Server Error");
	case 501: return ("Not Implemented");
	case 502: return ("Bad Gateway");
	case 503: return ("Service Unavailable");
	case 504: return ("Gateway Timeout");
	case 505: return ("HTTP Version Not Supported");
	default: return (status < 400 ? "OK" : status < 500 ?
	    "Bad Request" : "Internal Server Error");
	}
}

/* Writes every byte or fails (-1: timeout via SO_SNDTIMEO, reset, stop). */
int
write_full(struct pt_conn *c, const struct iovec *iov_in, int iovcnt)
{
	struct iovec	 iov[8];
	ssize_t		 n;
	int		 i = 0;

	if (iovcnt > 8)
		return (-1);
	memcpy(iov, iov_in, sizeof(iov[0]) * (size_t)iovcnt);
	while (i < iovcnt) {
		if ((n = c->tp->writev(c, iov + i, iovcnt - i)) == -1) {
			if (errno == EINTR && !pt_stop)
				continue;
			return (-1);
		}
		while (i < iovcnt && (size_t)n >= iov[i].iov_len) {
			n -= (ssize_t)iov[i].iov_len;
			i++;
		}
		if (i < iovcnt) {
			iov[i].iov_base = (char *)iov[i].iov_base + n;
			iov[i].iov_len -= (size_t)n;
		}
	}
	return (0);
}

int
resp_field_add(struct pt_request *r, const char *name, const char *value)
{
	struct resp_field *nf;

	if (r->nfields == r->fields_cap) {
		size_t cap = r->fields_cap ? r->fields_cap * 2 : 8;

		if ((nf = pt_alloc(r->arena, cap * sizeof(*nf))) == NULL)
			return (-1);
		if (r->nfields > 0)
			memcpy(nf, r->fields, r->nfields * sizeof(*nf));
		r->fields = nf;
		r->fields_cap = cap;
	}
	r->fields[r->nfields].name = name;
	r->fields[r->nfields].value = value;
	r->nfields++;
	return (0);
}

/* Whether the connection stays open after this response. */
static bool
resp_keep_alive(struct pt_request *r)
{
	if (r->conn->closing || pt_stop || !r->head.keep_alive)
		return (false);
	if (pt_graceful)
		return (false);	/* an old worker: this answer says close */
	/*
	 * Every worker busy and clients queued: say close now, rather than
	 * hold the connection idle and close it under the client later.
	 */
	if (conn_should_shed(r->conn))
		return (false);
	return (true);
}

static size_t
resp_put(char *buf, size_t room, size_t at, const char *s, size_t len)
{
	if (at + len > room)
		return (room + 1);	/* overflow marker */
	memcpy(buf + at, s, len);
	return (at + len);
}

static const struct core_scope *
resp_scope(const struct pt_request *r)
{
	return (r->route != NULL ? &r->route->sc :
	    (r->srv != NULL ? &r->srv->sc : &r->conf->sc));
}

/*
 * Runs the response filters' head functions, first (nearest the origin)
 * to last. A filter that wants the body makes it streamed: its length may
 * change, so it goes out chunked (HTTP/1.1) or until close (HTTP/1.0).
 * A head that returns PT_DECLINED leaves this body alone: when every body
 * filter declines, the body keeps its Content-Length and sendfile(2).
 */
static void
resp_filters_head(struct pt_request *r)
{
	const struct pt_hooks	*h = r->conf->hooks;
	struct pt_filter	*f;
	size_t			 i, n;

	if (!hooks_has(h, H_RESPONSE_FILTER))
		return;
	n = h->l[H_RESPONSE_FILTER].n;
	if ((f = pt_calloc(r->arena, n, sizeof(*f))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		f[i].def = h->l[H_RESPONSE_FILTER].v[i].u.filter;
		f[i].next = i + 1 < n ? &f[i + 1] : NULL;
	}
	r->filters = f;
	for (i = 0; i < n; i++)
		if (f[i].def->head != NULL &&
		    f[i].def->head(&f[i], r) == PT_DECLINED)
			f[i].skip = true;
	for (i = 0; i < n; i++)
		if (f[i].def->body != NULL && !f[i].skip) {
			r->body_filtered = true;
			if (!f[i].same_length)
				r->body_resized = true;
		}
}

static size_t
resp_put_field(char *buf, size_t room, size_t at, const char *name,
    const char *value)
{
	at = resp_put(buf, room, at, name, strlen(name));
	at = resp_put(buf, room, at, ": ", 2);
	at = resp_put(buf, room, at, value, strlen(value));
	return (resp_put(buf, room, at, "\r\n", 2));
}

/*
 * The core's own fields (Server, Content-Type): the values outlive the
 * request (configuration, MIME table), so no copy; an earlier field of the
 * same name, from the handler, is replaced.
 */
static void
resp_field_set(struct pt_request *r, const char *name, size_t nlen,
    const char *value)
{
	size_t i;

	for (i = 0; i < r->nfields; i++) {
		if (strlen(r->fields[i].name) == nlen &&
		    strcasecmp(r->fields[i].name, name) == 0) {
			r->fields[i].value = value;
			return;
		}
	}
	resp_field_add(r, name, value);
}

/* "HTTP/1.1 200 OK\r\n" into line (128 bytes), without printf. */
static size_t
resp_status_line(int status, char *line)
{
	const char	*reason = resp_reason(status);
	size_t		 rl = strlen(reason);

	if (rl > 100)
		rl = 100;
	memcpy(line, "HTTP/1.1 ", 9);
	line[9] = (char)('0' + status / 100 % 10);
	line[10] = (char)('0' + status / 10 % 10);
	line[11] = (char)('0' + status % 10);
	line[12] = ' ';
	memcpy(line + 13, reason, rl);
	line[13 + rl] = '\r';
	line[14 + rl] = '\n';
	return (15 + rl);
}

/* A field name compare that rules most names out by length first. */
static bool
resp_name_is(const char *name, const char *want, size_t wlen)
{
	return (name[0] != '\0' && strlen(name) == wlen &&
	    strcasecmp(name, want) == 0);
}

/*
 * Builds the head into buf: Server and Content-Type join the handler's
 * fields first, so response filters (mod_headers) can change them too.
 * Content-Length is sent for every body of known length; 1xx, 204 and
 * 304 carry none.
 */
static size_t
resp_build_head(struct pt_request *r, int status, const char *type,
    int64_t length, char *buf, size_t room)
{
	const struct core_scope	*sc = resp_scope(r);
	char			 line[128];
	size_t			 at, i;
	int			 n;
	bool			 has_body = status >= 200 && status != 204 &&
				    status != 304;

	resp_date_refresh();
	r->status = status;
	if (sc->server_header != NULL && sc->server_header[0] != '\0' &&
	    !r->keep_server)
		resp_field_set(r, "Server", 6, sc->server_header);
	if (type != NULL)
		resp_field_set(r, "Content-Type", 12, type);
	r->resp_length = has_body ? length : 0;
	resp_filters_head(r);
	if (r->repl_body != NULL) {	/* a filter gave another body */
		has_body = r->status >= 200 && r->status != 204 &&
		    r->status != 304;
		length = has_body ? (int64_t)r->repl_len : 0;
		r->resp_length = length;
	}
	r->keep_alive = resp_keep_alive(r);
	/* A body of unknown length: chunked for HTTP/1.1, else until close. */
	if (has_body && !r->head_only && (r->body_resized || length < 0)) {
		if (r->head.version >= 11)
			r->chunked_out = true;
		else
			r->keep_alive = false;
	}
	at = resp_put(buf, room, 0, line, resp_status_line(r->status, line));
	/* An origin's Date (a proxied or cached response) is kept. */
	for (i = 0; i < r->nfields; i++)
		if (resp_name_is(r->fields[i].name, "Date", 4))
			break;
	if (i == r->nfields)
		at = resp_put(buf, room, at, date_line, date_len);
	for (i = 0; i < r->nfields && at <= room; i++)
		at = resp_put_field(buf, room, at, r->fields[i].name,
		    r->fields[i].value);
	if (r->chunked_out)
		at = resp_put(buf, room, at, "Transfer-Encoding: chunked\r\n", 28);
	else if (has_body && length >= 0 &&
	    !(r->body_resized && !r->head_only)) {
		memcpy(line, "Content-Length: ", 16);
		n = (int)(16 + u64_dec(line + 16, (uint64_t)length));
		line[n++] = '\r';
		line[n++] = '\n';
		at = resp_put(buf, room, at, line, (size_t)n);
	}
	if (!r->keep_alive)
		at = resp_put(buf, room, at, "Connection: close\r\n", 19);
	else if (r->head.version == 10)
		at = resp_put(buf, room, at, "Connection: keep-alive\r\n", 24);
	at = resp_put(buf, room, at, "\r\n", 2);
	r->head_sent = true;
	return (at);
}

/* The held head alone, if it has not gone with a body piece yet. */
static int
resp_head_flush(struct pt_request *r)
{
	struct iovec	head = r->head_held;

	if (head.iov_len == 0)
		return (0);
	r->head_held.iov_len = 0;
	return (write_full(r->conn, &head, 1));
}

/* The end of the filter chain: the body goes to the client. */
int
resp_body_write(struct pt_request *r, const void *buf, size_t len, bool eos)
{
	struct iovec	iov[4];
	char		size[24];
	int		n = 0;

	if (r->head_only)
		return (resp_head_flush(r));
	if (r->head_held.iov_len > 0) {	/* the head goes with this piece */
		iov[n++] = r->head_held;
		r->head_held.iov_len = 0;
	}
	if (r->chunked_out) {
		if (len > 0) {
			iov[n].iov_base = size;
			iov[n++].iov_len = (size_t)snprintf(size, sizeof(size),
			    "%zx\r\n", len);
			iov[n].iov_base = (void *)(uintptr_t)buf;
			iov[n++].iov_len = len;
			iov[n].iov_base = eos ? "\r\n0\r\n\r\n" : "\r\n";
			iov[n++].iov_len = eos ? 7 : 2;
		} else if (eos) {
			iov[n].iov_base = "0\r\n\r\n";
			iov[n++].iov_len = 5;
		}
	} else if (len > 0) {
		iov[n].iov_base = (void *)(uintptr_t)buf;
		iov[n++].iov_len = len;
	}
	r->bytes_out += len;
	return (n == 0 ? 0 : write_full(r->conn, iov, n));
}

static int resp_body_from(struct pt_request *, struct pt_filter *,
    const void *, size_t, bool);
static int resp_file_filtered(struct pt_request *, int, off_t, off_t);

/*
 * A filtered body that follows in this call: the head waits for the
 * chain's first write (one writev for both), or goes alone at the end.
 * fd == -1: the body is buf; else len bytes of fd from off.
 */
static int
resp_filtered(struct pt_request *r, const struct iovec *head,
    const void *buf, int fd, off_t off, off_t len)
{
	int	rc;

	r->head_held = *head;
	if (fd == -1 || len == 0)
		rc = resp_body_from(r, r->filters, buf, buf != NULL ?
		    (size_t)len : 0, true);
	else
		rc = resp_file_filtered(r, fd, off, len);
	if (rc == 0)
		return (resp_head_flush(r));
	r->head_held.iov_len = 0;	/* its buffer is the caller's */
	return (rc);
}

/* After the head: the body a filter put in place of the handler's. */
static int
resp_replaced(struct pt_request *r, const struct iovec *head)
{
	struct iovec	iov[2];

	r->repl_sent = true;
	if (r->body_filtered && !r->head_only)
		return (resp_filtered(r, head, r->repl_body, -1, 0,
		    (off_t)r->repl_len));
	iov[0] = *head;
	iov[1].iov_base = (void *)(uintptr_t)r->repl_body;
	iov[1].iov_len = r->head_only || r->resp_length <= 0 ? 0 : r->repl_len;
	if (write_full(r->conn, iov, iov[1].iov_len > 0 ? 2 : 1) == -1)
		return (-1);
	r->bytes_out += iov[1].iov_len;
	return (0);
}

/* The body through the filters from f on that want it, then the client. */
static int
resp_body_from(struct pt_request *r, struct pt_filter *f, const void *buf,
    size_t len, bool eos)
{
	while (f != NULL && (f->def->body == NULL || f->skip))
		f = f->next;
	if (f == NULL)
		return (resp_body_write(r, buf, len, eos));
	return (f->def->body(f, r, buf, len, eos) == PT_OK ? 0 : -1);
}

PT_API int
pt_filter_next(struct pt_filter *f, struct pt_request *r, const void *buf,
    size_t len, bool eos)
{
	return (resp_body_from(r, f->next, buf, len, eos) == 0 ? PT_OK :
	    PT_ERROR);
}

PT_API void *
pt_filter_ctx(struct pt_filter *f)
{
	return (f->ctx);
}

PT_API void
pt_filter_set_ctx(struct pt_filter *f, void *ctx)
{
	f->ctx = ctx;
}

PT_API void
pt_filter_keep_length(struct pt_filter *f)
{
	f->same_length = true;
}

/* A streamed file body through the filters, 64 KiB at a time. */
static int
resp_file_filtered(struct pt_request *r, int fd, off_t off, off_t len)
{
	char	*buf;
	size_t	 chunk = len < 65536 ? (size_t)len : 65536;
	ssize_t	 n;

	if ((buf = pt_alloc(r->arena, chunk > 0 ? chunk : 1)) == NULL)
		return (-1);
	while (len > 0) {
		n = pread(fd, buf, len < (off_t)chunk ? (size_t)len : chunk, off);
		if (n <= 0)
			return (-1);
		off += n;
		len -= n;
		if (resp_body_from(r, r->filters, buf, (size_t)n, len == 0) == -1)
			return (-1);
	}
	return (0);
}

int
resp_send(struct pt_request *r, int status, const char *type,
    const void *body, size_t len)
{
	char		buf[4096];
	struct iovec	iov[2];
	size_t		hl;
	int		rc;

	hl = resp_build_head(r, status, type, (int64_t)len, buf, sizeof(buf));
	if (hl > sizeof(buf))
		return (-1);
	iov[0].iov_base = buf;
	iov[0].iov_len = hl;
	if (r->repl_body != NULL)
		return (resp_replaced(r, iov));
	if (r->body_filtered && !r->head_only)
		return (resp_filtered(r, iov, body, -1, 0, (off_t)len));
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = r->head_only || body == NULL ? 0 : len;
	rc = write_full(r->conn, iov, iov[1].iov_len > 0 ? 2 : 1);
	if (rc == 0)
		r->bytes_out += iov[1].iov_len;
	return (rc);
}

static int
resp_sendfile_all(struct pt_request *r, int fd, off_t off, off_t len)
{
	ssize_t n;

	while (len > 0) {
		n = sendfile(r->conn->fd, fd, &off, (size_t)len);
		if (n == -1) {
			if (errno == EINTR && !pt_stop)
				continue;
			return (-1);
		}
		if (n == 0)
			return (-1);	/* the file shrank under us */
		len -= n;
		r->bytes_out += (uint64_t)n;
	}
	return (0);
}

/*
 * A file body: small ones are read and go out with the head in one writev;
 * large ones follow the head (sent with MSG_MORE so they share packets)
 * through sendfile(2).
 */
int
resp_send_file(struct pt_request *r, int status, const char *type, int fd,
    off_t off, off_t len)
{
	char		 head[4096];
	struct iovec	 iov[2];
	char		*body;
	size_t		 hl;
	ssize_t		 n;

	hl = resp_build_head(r, status, type, (int64_t)len, head, sizeof(head));
	if (hl > sizeof(head))
		return (-1);
	iov[0].iov_base = head;
	iov[0].iov_len = hl;
	if (r->repl_body != NULL)
		return (resp_replaced(r, iov));
	if (r->body_filtered && !r->head_only)
		return (resp_filtered(r, iov, NULL, fd, off, len));
	if (r->head_only || len == 0)
		return (write_full(r->conn, iov, 1));
	if (len <= RESP_SMALL_FILE &&
	    (body = pt_alloc(r->arena, (size_t)len)) != NULL) {
		n = pread(fd, body, (size_t)len, off);
		if (n != (ssize_t)len)
			return (-1);
		iov[1].iov_base = body;
		iov[1].iov_len = (size_t)len;
		if (write_full(r->conn, iov, 2) == -1)
			return (-1);
		r->bytes_out += (uint64_t)len;
		return (0);
	}
	if (!r->conn->tp->plain)
		return (resp_filtered(r, iov, NULL, fd, off, len));
	while (send(r->conn->fd, head, hl, MSG_MORE) != (ssize_t)hl)
		if (errno != EINTR || pt_stop)
			return (-1);
	return (resp_sendfile_all(r, fd, off, len));
}

static const struct conf_error_page *
resp_error_page(const struct pt_request *r, int status)
{
	const struct core_scope	*sc = r->route != NULL ? &r->route->sc :
	    (r->srv != NULL ? &r->srv->sc : &r->conf->sc);
	size_t			 i;

	for (i = 0; i < sc->nerror_pages; i++)
		if (sc->error_pages[i].status == status)
			return (&sc->error_pages[i]);
	return (NULL);
}

/*
 * An error answer. A 4xx from the engine closes the connection unless the
 * request was read whole; the caller decides that through conn->closing.
 */
int
resp_error(struct pt_request *r, int status)
{
	const struct conf_error_page	*ep;
	struct stat			 st;
	char				 body[512];
	int				 n, fd, rc;

	if ((ep = resp_error_page(r, status)) != NULL &&
	    (fd = open(ep->file, O_RDONLY | O_CLOEXEC)) != -1) {
		if (fstat(fd, &st) == 0) {
			rc = resp_send_file(r, status, "text/html", fd, 0,
			    st.st_size);
			close(fd);
			return (rc);
		}
		close(fd);
	}
	n = snprintf(body, sizeof(body), "<!DOCTYPE html>\n<html><head>"
	    "<title>%d %s</title></head>\n<body><h1>%d %s</h1></body></html>\n",
	    status, resp_reason(status), status, resp_reason(status));
	return (resp_send(r, status, "text/html", body, (size_t)n));
}

/*
 * A streamed response (the proxy): the head now, the body in pieces with
 * resp_stream(). length < 0: unknown, sent chunked (or until close for an
 * HTTP/1.0 client). The handler's fields must be in place before this.
 */
int
resp_send_head(struct pt_request *r, int status, int64_t length)
{
	char		buf[8192];
	struct iovec	iov;
	size_t		hl;

	hl = resp_build_head(r, status, NULL, length, buf, sizeof(buf));
	if (hl > sizeof(buf))
		return (-1);
	iov.iov_base = buf;
	iov.iov_len = hl;
	if (r->repl_body != NULL)
		return (resp_replaced(r, &iov));
	return (write_full(r->conn, &iov, 1));
}

int
resp_stream(struct pt_request *r, const void *buf, size_t len, bool eos)
{
	if (r->head_only || r->repl_sent)
		return (0);
	return (resp_body_from(r, r->filters, buf, len, eos));
}
