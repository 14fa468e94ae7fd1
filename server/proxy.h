/*
 * The reverse proxy handler: proxy_reverse.c (choose, connect, send the
 * request, read the response head, retries) and proxy_response.c (the
 * response fields, rewriting, buffering and relaying the body).
 */
#ifndef PT_PROXY_H
#define PT_PROXY_H

#include "core.h"
#include "upstream.h"

/* One proxied exchange, on the request's arena. */
struct proxy_ctx {
	struct pt_request	*r;
	const struct conf_proxy	*px;
	struct conf_upstream	*pool;
	struct upstream_server	*server;
	struct upstream_conn	*uc;
	struct http_resp	 rs;
	char			*buf;		/* upstream read buffer */
	size_t			 buf_size, buf_len, buf_off;
	long long		 read_deadline_ms;
	bool			 body_sent;	/* request body fully sent */
	bool			 resp_done;	/* response body fully read */
	bool			 failed;	/* the upstream failed us */
	uint64_t		 body_left;	/* response Content-Length left */
	struct http_chunked	 chunk;		/* response chunked decoder */
	/*
	 * The forward proxy's connections are its own (proxy_forward.c):
	 * when set, called instead of upstream_conn_put() once the response
	 * is read (reusable: the connection may serve another request), and
	 * peer names the origin in messages instead of pool and server.
	 */
	void			(*release)(struct proxy_ctx *, bool reusable);
	const char		*peer;
	/* The Host field sent upstream; NULL: the client's (ad-hoc
	 * targets send their own authority, proxy_adhoc.c). */
	const char		*host;
	/* proxy.request_buffering: the body read ahead (proxy_reqbuf.c). */
	bool			 req_buffered;
	char			*req_mem;	/* in memory, or */
	int			 req_fd;	/* a temporary file (-1: none) */
	uint64_t		 req_total;
};

/* proxy_exchange() results besides 0 and a status. */
#define PROXY_RETRY		(-10)	/* nothing reached the upstream's app */
#define PROXY_CLIENT		(-11)	/* the client failed us: close */

/* proxy_reqbuf.c */
int	proxy_reqbuf_read(struct proxy_ctx *);
int	proxy_reqbuf_send(struct proxy_ctx *, long long deadline);

/* proxy_adhoc.c */
/* The handler for a target set with pt_req_set_upstream_addr(). */
int	proxy_adhoc(struct pt_request *);

/* proxy_reverse.c */
/* The request head for the upstream, in the request's arena. */
char	*proxy_build_head(struct proxy_ctx *, size_t *len);
int	proxy_write(struct proxy_ctx *, struct iovec *, int, long long deadline);
int	proxy_handler(struct pt_request *);
/* Reads more upstream bytes into ctx->buf; > 0, 0 at EOF, -1 error/timeout. */
ssize_t	proxy_read_more(struct proxy_ctx *);

/* Connection's value when it names more than keep-alive/close, else NULL. */
const struct pt_str *proxy_hop_list(const struct http_field *conn);
bool	proxy_is_hop_field(const struct pt_str *name,
	    const struct pt_str *connection);
/*
 * One attempt on the connection in x->uc (x->px gives the timeouts): the
 * head, the request body, the response head into x->rs. 0, a status,
 * PROXY_RETRY (nothing reached the application, the body is intact) or
 * PROXY_CLIENT (the client failed).
 */
int	proxy_exchange(struct proxy_ctx *, const char *head, size_t hlen);
/* Appends "Name: value\r\n" to a head in buf; *at passes room on overflow. */
void	proxy_head_add(char *buf, size_t room, size_t *at, const char *name,
	    size_t nlen, const char *value, size_t vlen);

/* proxy_response.c */
/* Relays a parsed response (head in ctx->rs) to the client; 0 or -1. */
int	proxy_respond(struct proxy_ctx *);
/* 101: hands the upgraded streams to the tunnel process. */
int	proxy_upgrade(struct proxy_ctx *);

#endif /* PT_PROXY_H */
