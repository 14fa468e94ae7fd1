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
	/*
	 * Bytes read from the socket and decoded, not yet returned by read
	 * (TLS: SSL_pending), so poll(2) on the socket would not see them;
	 * may be NULL (nothing is ever held). Appended: optional.
	 */
	size_t		(*pending)(struct pt_conn *);
};

PT_API int		 pt_conn_fd(const struct pt_conn *);
PT_API const char	*pt_conn_client_addr(const struct pt_conn *);
PT_API struct pt_arena	*pt_conn_arena(struct pt_conn *);
PT_API void		 pt_conn_set_transport(struct pt_conn *,
			    const struct pt_transport *, void *ctx);
PT_API void		*pt_conn_transport_ctx(const struct pt_conn *);
/* Bytes already read from the socket but not yet parsed (hand-offs). */
PT_API struct pt_str	 pt_conn_pending(const struct pt_conn *);
/* The transport in use (the plain one unless a module set another). */
PT_API const struct pt_transport *pt_conn_transport(const struct pt_conn *);
/*
 * The address of the listener that accepted the connection, as written
 * in the servers' listen lists ("127.0.0.1:8443"), so a module can tell
 * which servers share it.
 */
PT_API const char	*pt_conn_listener(const struct pt_conn *);
/*
 * Whether the connection carries HTTPS (mod_ssl sets it after the
 * handshake): %{scheme} is then "https", and the reverse proxy sends
 * X-Forwarded-Proto: https and maps redirects to https URLs.
 */
PT_API void		 pt_conn_set_secure(struct pt_conn *, bool);
PT_API bool		 pt_conn_secure(const struct pt_conn *);
/*
 * Sets the connection variable name, which %{name} then expands to in
 * every request on the connection (mod_ssl: %{ssl_protocol}). Names are
 * a module's prefix and snake_case ("ssl_cipher"); only names starting
 * with "ssl_" are known to the configuration checks. Copies both strings
 * into the connection's arena; a name set again is replaced. PT_OK or
 * PT_ERROR (out of memory).
 */
PT_API int		 pt_conn_set_var(struct pt_conn *, const char *name,
			    const char *value);

#endif /* PORTIER_CONN_H */
