/*
 * Accessors for requests and connections. Modules never see the structs:
 * a new field in the core breaks no module. Strings returned here live in
 * the request's arena (or the connection's) unless said otherwise.
 */
#ifndef PORTIER_REQUEST_H
#define PORTIER_REQUEST_H

#include <sys/types.h>
#include <portier/types.h>

struct pt_arena;
struct pt_module;

/* The request line, as received (not NUL-terminated: use the length). */
PT_API struct pt_str	 pt_req_method(const struct pt_request *);
PT_API struct pt_str	 pt_req_target(const struct pt_request *);
PT_API struct pt_str	 pt_req_query(const struct pt_request *);
/*
 * The decoded, normalised path (NUL-terminated), set before
 * post_read_request; NULL for CONNECT and "OPTIONS *".
 */
PT_API const char	*pt_req_path(const struct pt_request *);
/* Replaces the normalised path (translate hooks); the core re-routes. */
PT_API int		 pt_req_set_path(struct pt_request *, const char *);
PT_API struct pt_str	 pt_req_host(const struct pt_request *);
PT_API const char	*pt_req_id(const struct pt_request *);
PT_API const char	*pt_req_client_addr(const struct pt_request *);
/*
 * The client as trusted_proxies report it: the rightmost X-Forwarded-For
 * address that is not a trusted proxy, when the peer is one of them;
 * otherwise pt_req_client_addr().
 */
PT_API const char	*pt_req_forwarded_addr(const struct pt_request *);
PT_API struct pt_arena	*pt_req_arena(struct pt_request *);
/* The connection the request came on (see portier/conn.h). */
PT_API struct pt_conn	*pt_req_conn(const struct pt_request *);
/* The chosen route's path prefix; NULL before routing (translate's first
 * pass) or when no route matched. */
PT_API const char	*pt_req_route(const struct pt_request *);
/* Per-request state of a module (NULL until set), freed with the request. */
PT_API void		*pt_req_module_ctx(const struct pt_request *,
			    const struct pt_module *);
PT_API int		 pt_req_set_module_ctx(struct pt_request *,
			    const struct pt_module *, void *);

/*
 * Notes: short strings one module leaves on a request for another (on a
 * hit, mod_cache names the stored object for mod_deflate). Names carry
 * the owner's prefix ("cache.object"); both strings are copied into the
 * request's arena; setting a name again replaces its value, NULL removes
 * it. At most 16 per request. pt_req_set_note(): PT_OK or PT_ERROR (out
 * of memory, or full); pt_req_note(): the value, or NULL.
 */
PT_API int		 pt_req_set_note(struct pt_request *, const char *name,
			    const char *value);
PT_API const char	*pt_req_note(const struct pt_request *, const char *name);

/* Request header fields; names compare case-insensitively. */
PT_API bool		 pt_req_header(const struct pt_request *, const char *name,
			    struct pt_str *value);
PT_API int		 pt_req_header_set(struct pt_request *, const char *name,
			    const char *value);
PT_API int		 pt_req_header_add(struct pt_request *, const char *name,
			    const char *value);
PT_API int		 pt_req_header_remove(struct pt_request *, const char *name);
/*
 * The i-th request field (0 first), as received or changed by modules,
 * for modules that inspect all of them (mod_waf); false past the last
 * one. Name and value are not NUL-terminated: use the lengths.
 */
PT_API bool		 pt_req_header_at(const struct pt_request *, size_t i,
			    struct pt_str *name, struct pt_str *value);

/* Response status and header fields (response filters, handlers). */
PT_API int		 pt_resp_status(const struct pt_request *);
/* Response filters' head functions may change the status (100-599). */
PT_API int		 pt_resp_set_status(struct pt_request *, int);
/*
 * The body length the head will announce (response filters' head
 * functions): -1 when unknown, so streamed; 0 for a status without body.
 */
PT_API int64_t		 pt_resp_content_length(const struct pt_request *);
PT_API const char	*pt_resp_header(const struct pt_request *, const char *name);
/*
 * Content-Length, Transfer-Encoding, Connection and Date belong to the
 * core: adding them fails. Date alone may be set (a cache sends the
 * stored response's); the core then sends no Date of its own.
 */
PT_API int		 pt_resp_header_set(struct pt_request *, const char *name,
			    const char *value);
PT_API int		 pt_resp_header_add(struct pt_request *, const char *name,
			    const char *value);
PT_API int		 pt_resp_header_remove(struct pt_request *, const char *name);
/*
 * The i-th response field (0 first), for filters that copy all of them
 * (mod_cache); false past the last one.
 */
PT_API bool		 pt_resp_header_at(const struct pt_request *, size_t i,
			    const char **name, const char **value);
/*
 * From a response filter's head function: the client gets body (len
 * bytes, which must live until the response is sent, e.g. in the
 * request's arena) instead of the handler's, whose body is then dropped.
 * With pt_resp_set_status() it turns an upstream 304 or 502 into a
 * stored 200 (mod_cache). PT_OK, or PT_ERROR once the head went.
 */
PT_API int		 pt_resp_replace_body(struct pt_request *,
			    const void *body, size_t len);
/*
 * From a request hook before the handler (post_read_request, translate,
 * fixups, access, quick_handler): answers the request with status
 * (200-599) and len bytes of body of content_type, with the response
 * fields set so far (Location, Set-Cookie...). A NULL body is none for
 * 2xx, and the core's page for 3xx-5xx (error_pages apply); 204 and 304
 * never have one. The body must live until the request ends (its arena,
 * or the configuration). The hook returns what this returns: PT_ANSWERED
 * (the core sends the answer, logs it and keeps the connection as for
 * any response; no later hook of the request runs), or PT_ERROR for a
 * status out of range.
 */
PT_API int		 pt_req_answer(struct pt_request *, int status,
			    const char *content_type, const void *body,
			    size_t len);
/* Sends a whole response (handlers); PT_OK or PT_ERROR. */
PT_API int		 pt_resp_send(struct pt_request *, int status,
			    const char *content_type, const void *body, size_t len);
/*
 * Sends a whole response whose body is the len bytes of the open file fd
 * at off (mod_cache's hits), as static files go: a small body is read and
 * goes out with the head in one writev, a larger one by sendfile(2) on a
 * plain connection, through the transport (TLS) or the filters that want
 * the body otherwise. fd stays the caller's. PT_OK or PT_ERROR.
 */
PT_API int		 pt_resp_send_file(struct pt_request *, int status,
			    const char *content_type, int fd, off_t off,
			    off_t len);

/*
 * The request body, decoded from its framing (Content-Length or chunked).
 * pt_req_body_read() reads the next bytes: > 0 bytes, 0 at the end, -1 on
 * a framing error, a timeout or a body over request_limits.body. When the
 * client sent "Expect: 100-continue", the first read answers 100 Continue.
 * pt_req_body_peek() (access hooks: WAF) reads up to max bytes ahead and
 * keeps them, so later reads, and the handler, still see the whole body.
 */
PT_API ssize_t		 pt_req_body_read(struct pt_request *, void *buf,
			    size_t len);
PT_API int		 pt_req_body_peek(struct pt_request *, size_t max,
			    struct pt_str *out);
PT_API bool		 pt_req_has_body(const struct pt_request *);

/*
 * Expands a string with %{variable} references (host, path, query, method,
 * client_addr, header.NAME, cookie.NAME, request_id, status, ...) into the
 * request's arena. Absent values expand to "".
 */
PT_API char		*pt_req_expand(struct pt_request *, const char *tmpl);

/*
 * For rewriting, from translate hooks. pt_req_set_query() replaces the
 * query (without the '?'; NULL removes it; PT_ERROR for a control
 * character, space or '#'). pt_req_set_upstream() makes the reverse proxy
 * relay this request to the upstream pool named pool, whatever the route
 * says, without its strip_prefix and prefix (PT_ERROR: no such pool).
 * pt_req_root() is the static root of the route, or of the server before
 * routing; NULL when none.
 */
PT_API int		 pt_req_set_query(struct pt_request *, const char *query);
PT_API int		 pt_req_set_upstream(struct pt_request *, const char *pool);
PT_API const char	*pt_req_root(const struct pt_request *);
/*
 * Like pt_req_set_upstream(), to an origin that is no pool (an ad-hoc
 * upstream): host is a name, resolved through the core resolver, or a
 * numeric address (IPv6 without brackets); port 1-65535; tls for https,
 * which a module must carry on the upstream_transport hook (mod_ssl).
 * The upstream gets Host: host[:port], the path and query as set;
 * connections are kept per worker, with their transport. PT_ERROR: not
 * a host name or address, or a bad port. Whoever picks host decides
 * where the server connects: never take it from the request unchecked.
 */
PT_API int		 pt_req_set_upstream_addr(struct pt_request *,
			    const char *host, int port, bool tls);
/*
 * Whether to describe this request's steps: it runs under "portier
 * --trace-request" (its log lines then go to standard output), or its
 * route (or server), or a module in log_modules, logs at "trace". Log
 * them with PT_RLOG at PT_LOG_TRACE: the levels decide which lines go out.
 */
PT_API bool		 pt_req_tracing(const struct pt_request *);

#endif /* PORTIER_REQUEST_H */
