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

/*
 * The upstream_check hook: the same, for the connections of active health
 * checks in the helper process. The socket is non-blocking and there is
 * no request (pt_upstream_request() is NULL; pt_upstream_conf() gives the
 * configuration). A transport must never wait there: one that needs a
 * handshake sets it with pt_upstream_set_handshake(), and the checker
 * calls it again whenever poll(2) says the socket is ready in the
 * direction it asked for, until it returns PT_OK or PT_ERROR, all within
 * the check's timeout. read and writev then return -1 with EAGAIN when
 * they would block.
 */
#define PT_UPSTREAM_WANT_READ	1
#define PT_UPSTREAM_WANT_WRITE	2
/* PT_OK: done; PT_UPSTREAM_WANT_READ or _WRITE: call again when the
 * socket is ready so; PT_ERROR: failed, with the reason (one short line,
 * for the error log) in why. */
typedef int	(*pt_upstream_handshake_fn)(void *ctx, char *why, size_t len);

PT_API void	 pt_hook_upstream_check(struct pt_hooks *,
		    pt_upstream_transport_fn, int order);
/* The configuration the connection belongs to (worker and helper). */
PT_API const struct pt_conf *pt_upstream_conf(const struct pt_upstream *);
/* Only from the upstream_check hook, after pt_upstream_set_io(). */
PT_API void	 pt_upstream_set_handshake(struct pt_upstream *,
		    pt_upstream_handshake_fn);

#endif /* PORTIER_UPSTREAM_IO_H */
