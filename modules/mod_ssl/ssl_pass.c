/*
 * SNI passthrough: relay a TLS connection to a backend chosen by the name
 * in its ClientHello, without terminating it (Portier never holds that
 * key). The ClientHello is only peeked at, so the backend receives the
 * client's bytes untouched; the client socket and the new backend socket
 * go to the tunnel process, and the worker returns to accept. A name no
 * rule lists is terminated here when a server on the listener has
 * certificates, else refused.
 */
#define PT_LOG_TAG	"ssl"

#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <portier/conn.h>
#include <portier/log.h>
#include <portier/tunnel.h>

#include "ssl.h"

/* The largest first record we wait for (RFC 8446 5.1: 2^14 + header). */
#define SSL_PASS_PEEK	(16384 + 5)

/*
 * Peeks until the first record is whole; the SNI outcome (SSL_U_HELLO_*).
 * MSG_WAITALL makes a peek wait for the bytes asked for, or the receive
 * tick, so this does not spin while the record trickles in.
 */
static int
ssl_pass_peek(int fd, long long deadline, unsigned char *buf, char *name,
    size_t namelen)
{
	size_t	want = 5;
	ssize_t	n;
	int	rc;

	for (;;) {
		n = recv(fd, buf, want, MSG_PEEK | MSG_WAITALL);
		if (n == 0)
			return (SSL_U_HELLO_BAD);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			return (SSL_U_HELLO_BAD);
		if (n > 0) {
			rc = ssl_u_hello_sni(buf, (size_t)n, name, namelen);
			if (rc != SSL_U_HELLO_MORE)
				return (rc);
			if ((size_t)n >= 5)
				want = 5 + ((size_t)buf[3] << 8 | buf[4]);
			if (want > SSL_PASS_PEEK)
				return (SSL_U_HELLO_BAD);
		}
		if (ssl_now_ms() >= deadline)
			return (SSL_U_HELLO_MORE);
	}
}

static const struct ssl_pass_rule *
ssl_pass_rule(const struct ssl_pass *p, const char *name)
{
	size_t i, j;

	for (i = 0; i < p->n; i++)
		for (j = 0; j < p->v[i].names.n; j++)
			if (strcmp(p->v[i].names.v[j], "*") == 0 ||
			    (name[0] != '\0' &&
			    ssl_u_name_match(p->v[i].names.v[j], name)))
				return (&p->v[i]);
	return (NULL);
}

/* A connected socket to the rule's address, within the deadline; or -1. */
static int
ssl_pass_connect(const struct ssl_pass_rule *r, long long deadline)
{
	struct pollfd	pfd;
	socklen_t	sl = sizeof(int);
	long long	left;
	int		fd, err = 0;

	if ((fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (const struct sockaddr *)&r->addr, r->addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		left = deadline - ssl_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
		    err != 0) {
			errno = err != 0 ? err : errno;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1)
		goto fail;
	return (fd);
 fail:
	err = errno;
	close(fd);
	errno = err;
	return (-1);
}

int
ssl_passthrough(struct pt_conn *c, const struct ssl_listener *l,
    long long deadline)
{
	static unsigned char		 buf[SSL_PASS_PEEK];
	const struct ssl_pass_rule	*r;
	char				 name[256];
	int				 rc, fd;

	name[0] = '\0';
	rc = ssl_pass_peek(pt_conn_fd(c), deadline, buf, name, sizeof(name));
	if (rc == SSL_U_HELLO_BAD || rc == SSL_U_HELLO_MORE) {
		PT_LOG(PT_LOG_INFO, "client %s: %s", pt_conn_client_addr(c),
		    rc == SSL_U_HELLO_BAD ? "passthrough: not a ClientHello "
		    "Portier can read" : "passthrough: ClientHello timed out");
		return (PT_ERROR);
	}
	if ((r = ssl_pass_rule(l->pass, name)) == NULL) {
		if (l->dflt != NULL)
			return (PT_DECLINED);	/* terminated here */
		PT_LOG(PT_LOG_INFO, "client %s: passthrough: no rule for "
		    "\"%s\": refused", pt_conn_client_addr(c), name);
		return (PT_ERROR);
	}
	if ((fd = ssl_pass_connect(r, deadline)) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "passthrough \"%s\" to %s", name,
		    r->address);
		return (PT_ERROR);
	}
	/* Nothing was read: the ClientHello is still in the socket. */
	if (pt_conn_tunnel(c, fd, NULL, 0, NULL, 0) != PT_DONE) {
		close(fd);
		return (PT_ERROR);
	}
	PT_LOG(PT_LOG_DEBUG, "client %s: \"%s\" passed through to %s",
	    pt_conn_client_addr(c), name, r->address);
	return (PT_DONE);
}
