/*
 * The upstream_transport hook: a module (mod_ssl for https upstreams) may
 * carry the bytes of a new upstream connection itself. The hook runs once
 * per new connection, right after connect, until the first module that
 * does not decline; the transport then stays with the connection while it
 * is kept idle for reuse, and its close function runs before the socket
 * closes.
 */
#ifndef PORTIER_UPSTREAM_IO_H
#define PORTIER_UPSTREAM_IO_H

#include <sys/types.h>
#include <sys/uio.h>
#include <portier/types.h>

struct pt_upstream;	/* a new upstream connection, during the hook */

struct pt_upstream_io {
	const char	*name;
	/* Like read(2) and writev(2) on fd; -1 with errno (EAGAIN: the
	 * socket's receive or send tick passed, the core checks its deadline
	 * and calls again). */
	ssize_t		(*read)(void *ctx, int fd, void *buf, size_t len);
	ssize_t		(*writev)(void *ctx, int fd, const struct iovec *, int n);
	/* Before close(2) of the socket: free ctx. May be NULL. */
	void		(*close)(void *ctx);
};

/* PT_OK: the module set a transport; PT_DECLINED: not ours; PT_ERROR:
 * the connection failed (counted as the server's failure). */
typedef int	(*pt_upstream_transport_fn)(struct pt_upstream *);

PT_API void	 pt_hook_upstream_transport(struct pt_hooks *,
		    pt_upstream_transport_fn, int order);

PT_API int	 pt_upstream_fd(const struct pt_upstream *);
/* The pool's name and the server's host (for TLS SNI and verification). */
PT_API const char *pt_upstream_pool(const struct pt_upstream *);
PT_API const char *pt_upstream_host(const struct pt_upstream *);
PT_API int	 pt_upstream_port(const struct pt_upstream *);
/* The pool's connect_timeout, ms (a transport's handshake deadline). */
PT_API long long pt_upstream_connect_timeout(const struct pt_upstream *);
/* The request that opened it. */
PT_API struct pt_request *pt_upstream_request(const struct pt_upstream *);
/* ctx must outlive the request (the connection may be kept): allocate it
 * with malloc and free it in io->close. */
PT_API void	 pt_upstream_set_io(struct pt_upstream *,
		    const struct pt_upstream_io *, void *ctx);

#endif /* PORTIER_UPSTREAM_IO_H */
