/*
 * Connections and their transport. Every byte the core reads from or
 * writes to a client goes through the connection's transport; a module
 * (mod_ssl) replaces it in the connection hook. sendfile(2) is used only
 * when the transport says the socket carries plain bytes.
 */
#ifndef PORTIER_CONN_H
#define PORTIER_CONN_H

#include <sys/types.h>
#include <sys/uio.h>
#include <portier/types.h>

struct pt_transport {
	const char	*name;
	/* Like read(2)/writev(2): -1 with errno (EAGAIN on the receive tick). */
	ssize_t		(*read)(struct pt_conn *, void *buf, size_t len);
	ssize_t		(*writev)(struct pt_conn *, const struct iovec *, int n);
	/* Before close(2) of the socket; may be NULL. */
	void		(*shutdown)(struct pt_conn *);
	bool		 plain;		/* the socket carries the bytes as is */
};

PT_API int		 pt_conn_fd(const struct pt_conn *);
PT_API const char	*pt_conn_client_addr(const struct pt_conn *);
PT_API struct pt_arena	*pt_conn_arena(struct pt_conn *);
PT_API void		 pt_conn_set_transport(struct pt_conn *,
			    const struct pt_transport *, void *ctx);
PT_API void		*pt_conn_transport_ctx(const struct pt_conn *);
/* Bytes already read from the socket but not yet parsed (hand-offs). */
PT_API struct pt_str	 pt_conn_pending(const struct pt_conn *);

#endif /* PORTIER_CONN_H */
