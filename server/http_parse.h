/*
 * Pure HTTP/1.1 request-head parser and chunked-body decoder (RFC 9110,
 * RFC 9112). No I/O, no globals: bytes in, a parsed head or a status out.
 * Framing (Content-Length / chunked / none) is decided here, before any
 * routing, so no route can hide a framing error.
 */
#ifndef PT_HTTP_PARSE_H
#define PT_HTTP_PARSE_H

#include <sys/types.h>
#include <portier/types.h>

/* http_parse_head() results besides 0 (complete) and an HTTP status. */
#define HTTP_PARSE_AGAIN	(-2)	/* need more bytes */

enum http_method {
	HTTP_M_OTHER = 0, HTTP_M_GET, HTTP_M_HEAD, HTTP_M_POST, HTTP_M_PUT,
	HTTP_M_DELETE, HTTP_M_CONNECT, HTTP_M_OPTIONS, HTTP_M_TRACE,
	HTTP_M_PATCH
};

enum http_target_form {
	HTTP_T_ORIGIN,		/* /path?query */
	HTTP_T_ABSOLUTE,	/* http://host:port/path?query */
	HTTP_T_AUTHORITY,	/* host:port (CONNECT only) */
	HTTP_T_ASTERISK		/* * (OPTIONS only) */
};

enum http_framing {
	HTTP_BODY_NONE,		/* no body */
	HTTP_BODY_LENGTH,	/* Content-Length: content_length bytes */
	HTTP_BODY_CHUNKED	/* Transfer-Encoding: ..., chunked */
};

struct http_field {
	struct pt_str	 name;		/* as received (case kept) */
	struct pt_str	 value;		/* OWS trimmed on both sides */
};

struct http_limits {
	size_t		 line_max;	/* request line, bytes without CRLF (414) */
	size_t		 field_max;	/* one field line, bytes without CRLF (431) */
	size_t		 fields_max;	/* number of field lines (431) */
};

/*
 * A parsed head. Every pt_str points into the caller's buffer, which must
 * outlive the head; the fields array is allocated from the arena.
 */
struct http_head {
	size_t			 head_len;	/* bytes of head incl. final CRLF CRLF
						   (and any leading empty line) */
	struct pt_str		 method;
	enum http_method	 method_id;
	struct pt_str		 target;	/* raw request-target */
	enum http_target_form	 form;
	struct pt_str		 scheme;	/* absolute-form only ("http") */
	struct pt_str		 authority;	/* absolute/authority-form host[:port] */
	struct pt_str		 path;		/* raw path ("/" for authority/asterisk
						   forms, "*" for asterisk) */
	struct pt_str		 query;		/* after '?', without it; len 0 if none */
	bool			 has_query;	/* a '?' was present */
	int			 version;	/* 10 or 11 */

	struct http_field	*fields;
	size_t			 nfields;

	struct pt_str		 host;		/* Host value (lowercase not applied);
						   for absolute-form, the target's
						   authority */
	bool			 has_host;

	enum http_framing	 framing;
	uint64_t		 content_length;
	bool			 keep_alive;	/* after Connection and version rules */
	bool			 expect_continue; /* Expect: 100-continue */
	bool			 upgrade;	/* Connection: upgrade + Upgrade field */
};

/*
 * Parses a request head from buf[0..len). Returns 0 when a whole head was
 * parsed (h->head_len says how many bytes it took), HTTP_PARSE_AGAIN when
 * more bytes are needed and the bytes so far are valid, or the HTTP status
 * to answer with (400, 414, 431, 501, 505) when the head is invalid.
 * Limits: 414 when the request line passes line_max (also while AGAIN),
 * 431 when a field line passes field_max or the count passes fields_max.
 * Rejects (400): obs-fold, whitespace before a colon, invalid token
 * characters, NUL/CR/LF/bare CR in values, missing Host in HTTP/1.1,
 * several Host fields, CL together with TE, differing or malformed CL,
 * TE whose final coding is not chunked, invalid coding tokens. 501 for
 * an unknown transfer coding before chunked; 505 for a major version
 * other than 1. Accepts one empty line before the request line.
 */
int	http_parse_head(struct pt_arena *, const char *buf, size_t len,
	    const struct http_limits *, struct http_head *h);

/* Finds a field by case-insensitive name; NULL when absent. */
const struct http_field *http_head_field(const struct http_head *,
	    const char *name);

/* Method name to id (case-sensitive, as RFC 9110 9.1 says). */
enum http_method http_method_id(const char *p, size_t len);

/* Chunked body decoder state; zero it (memset) before the first call. */
struct http_chunked {
	int		 state;
	uint64_t	 remaining;	/* bytes left in the current chunk */
	size_t		 line_len;	/* bytes of the current size/ext/trailer line */
	size_t		 trailer_bytes;	/* total trailer bytes seen */
	size_t		 line_max;	/* 0 = 8190: chunk-size line and trailer
					   line limit */
	size_t		 trailer_max;	/* 0 = 65536: all trailers together */
};

/*
 * Decodes chunked framing from in[0..len). Consumes bytes up to either the
 * end of the input, the end of a run of chunk data, or the end of the
 * body. Sets *used to the bytes consumed; when chunk data was found, sets
 * *data_off and *data_len to where it lies in in[] (*data_len 0 if none).
 * Returns 0 to go on (call again with the rest or more input), 1 when the
 * last chunk and the trailers have been consumed, or 400 on malformed or
 * overflowing framing. Trailers are consumed and dropped.
 */
int	http_chunked_step(struct http_chunked *, const char *in, size_t len,
	    size_t *used, size_t *data_off, size_t *data_len);

/* A response head from an upstream (http_resp.c). */
enum http_resp_framing {
	HTTP_RESP_NONE,		/* no body: HEAD, 1xx, 204, 304 */
	HTTP_RESP_LENGTH,	/* Content-Length */
	HTTP_RESP_CHUNKED,	/* Transfer-Encoding ending in chunked */
	HTTP_RESP_CLOSE		/* until the connection closes */
};

struct http_resp {
	size_t			 head_len;
	int			 version;	/* 10 or 11 */
	int			 status;	/* 100-599 */
	struct pt_str		 reason;
	struct http_field	*fields;
	size_t			 nfields;
	enum http_resp_framing	 framing;
	uint64_t		 content_length;
	bool			 keep_alive;	/* the upstream allows reuse */
	bool			 upgrade;	/* 101 with Upgrade */
};

/*
 * Parses a response head (RFC 9112 4, 6.3) to a request with the given
 * method. Returns 0, HTTP_PARSE_AGAIN, or 502 when the head is malformed,
 * too large (field_max per line, fields_max fields, line_max for the
 * status line) or its framing is ambiguous: an upstream's garbage never
 * reaches a client.
 */
int	http_parse_response(struct pt_arena *, const char *buf, size_t len,
	    const struct http_limits *, enum http_method req_method,
	    struct http_resp *);

#endif /* PT_HTTP_PARSE_H */
