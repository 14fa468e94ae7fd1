/*
 * Plaintext through an SSL, the same for both sides of the proxy: the
 * client connection's transport (ssl_io.c) and a backend's (ssl_upstream.c).
 * OpenSSL results become read(2)/writev(2) results with errno; WANT_READ
 * or WANT_WRITE after a socket timeout tick is EAGAIN, so the core checks
 * its deadlines and calls again.
 */
#include "config.h"

#include <sys/uio.h>
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <portier/log.h>

#include "ssl.h"

int
ssl_rec_errno(SSL *ssl, int err, const struct ssl_rec_who *who)
{
	char buf[256];

	(void)ssl;
	switch (err) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return (EAGAIN);
	case SSL_ERROR_ZERO_RETURN:
		return (0);
	case SSL_ERROR_SYSCALL:
		return (errno != 0 ? errno : 0);
	default:
		if (who->level <= pt_log_max)
			pt_log_emit(who->level, 0, NULL, "ssl", "%s %s: TLS: %s",
			    who->kind, who->name, ssl_errstr(buf, sizeof(buf)));
		return (EPROTO);
	}
}

ssize_t
ssl_rec_read(SSL *ssl, void *buf, size_t len, const struct ssl_rec_who *who)
{
	size_t	n;
	int	e;

	ERR_clear_error();
	errno = 0;
	if (SSL_read_ex(ssl, buf, len, &n) == 1)
		return ((ssize_t)n);
	if ((e = ssl_rec_errno(ssl, SSL_get_error(ssl, 0), who)) == 0)
		return (0);
	errno = e;
	return (-1);
}

/* All of p, or -1 with errno (an error without one: EPIPE). */
int
ssl_rec_write(SSL *ssl, const void *p, size_t len,
    const struct ssl_rec_who *who)
{
	size_t	n;
	int	e;

	ERR_clear_error();
	errno = 0;
	if (SSL_write_ex(ssl, p, len, &n) == 1)
		return (0);
	e = ssl_rec_errno(ssl, SSL_get_error(ssl, 0), who);
	errno = e != 0 ? e : EPIPE;
	return (-1);
}

/*
 * Small pieces (a head and a short body) are gathered in wbuf into one
 * record and one send; a piece of a whole record or more goes straight.
 * Returns the bytes sent, fewer than asked only after an error.
 */
ssize_t
ssl_rec_writev(SSL *ssl, char *wbuf, size_t wcap, const struct iovec *iov,
    int n, const struct ssl_rec_who *who)
{
	const char	*p;
	size_t		 total = 0, used = 0, len, k;
	int		 i;

	for (i = 0; i < n; i++) {
		p = iov[i].iov_base;
		len = iov[i].iov_len;
		if (used == 0 && len >= wcap) {
			if (ssl_rec_write(ssl, p, len, who) == -1)
				return (total > 0 ? (ssize_t)total : -1);
			total += len;
			continue;
		}
		while (len > 0) {
			k = len < wcap - used ? len : wcap - used;
			memcpy(wbuf + used, p, k);
			used += k;
			p += k;
			len -= k;
			if (used < wcap)
				continue;
			if (ssl_rec_write(ssl, wbuf, used, who) == -1)
				return (total > 0 ? (ssize_t)total : -1);
			total += used;
			used = 0;
		}
	}
	if (used > 0) {
		if (ssl_rec_write(ssl, wbuf, used, who) == -1)
			return (total > 0 ? (ssize_t)total : -1);
		total += used;
	}
	return ((ssize_t)total);
}
