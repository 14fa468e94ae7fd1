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
PT_API struct pt_arena	*pt_req_arena(struct pt_request *);
/* The chosen route's path prefix; NULL before routing (translate's first
 * pass) or when no route matched. */
PT_API const char	*pt_req_route(const struct pt_request *);
/* Per-request state of a module (NULL until set), freed with the request. */
PT_API void		*pt_req_module_ctx(const struct pt_request *,
			    const struct pt_module *);
PT_API int		 pt_req_set_module_ctx(struct pt_request *,
			    const struct pt_module *, void *);

/* Request header fields; names compare case-insensitively. */
PT_API bool		 pt_req_header(const struct pt_request *, const char *name,
			    struct pt_str *value);
PT_API int		 pt_req_header_set(struct pt_request *, const char *name,
			    const char *value);
PT_API int		 pt_req_header_add(struct pt_request *, const char *name,
			    const char *value);
PT_API int		 pt_req_header_remove(struct pt_request *, const char *name);

/* Response status and header fields (response filters, handlers). */
PT_API int		 pt_resp_status(const struct pt_request *);
/* Response filters' head functions may change the status (100-599). */
PT_API int		 pt_resp_set_status(struct pt_request *, int);
PT_API const char	*pt_resp_header(const struct pt_request *, const char *name);
PT_API int		 pt_resp_header_set(struct pt_request *, const char *name,
			    const char *value);
PT_API int		 pt_resp_header_add(struct pt_request *, const char *name,
			    const char *value);
PT_API int		 pt_resp_header_remove(struct pt_request *, const char *name);
/* Sends a whole response (handlers); PT_OK or PT_ERROR. */
PT_API int		 pt_resp_send(struct pt_request *, int status,
			    const char *content_type, const void *body, size_t len);

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

#endif /* PORTIER_REQUEST_H */
