/*
 * The connection side: the connection hook looks at the first byte (a
 * TLS handshake, plain HTTP, or garbage), runs the handshake within the
 * listener's handshake_timeout, and installs a transport over SSL_read
 * and SSL_write. The socket stays blocking with the core's receive tick
 * (SO_RCVTIMEO), so OpenSSL reports WANT_READ on each tick and the loop
 * checks its deadline: a client that stalls mid-handshake frees the
 * worker at the deadline. The SSL object lives in the connection's arena
 * and is freed with it, whatever path the connection ends by.
 */
#define PT_LOG_TAG	"ssl"

#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <portier/arena.h>
#include <portier/conn.h>
#include <portier/log.h>

#include "ssl.h"

#define SSL_WBUF	16384	/* one TLS record of plaintext */

static ssize_t	ssl_io_read(struct pt_conn *, void *, size_t);
static ssize_t	ssl_io_writev(struct pt_conn *, const struct iovec *, int);
static void	ssl_io_shutdown(struct pt_conn *);
static size_t	ssl_io_pending(struct pt_conn *);

static const struct pt_transport ssl_transport = {
	.name = "tls",
	.read = ssl_io_read,
	.writev = ssl_io_writev,
	.shutdown = ssl_io_shutdown,
	.pending = ssl_io_pending,
	.plain = false,		/* never sendfile(2) */
};

long long
ssl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

struct ssl_conn *
ssl_conn_of(struct pt_conn *c)
{
	if (c == NULL || pt_conn_transport(c) != &ssl_transport)
		return (NULL);
	return (pt_conn_transport_ctx(c));
}

/* Plaintext already decrypted: poll(2) on the socket cannot see it. */
static size_t
ssl_io_pending(struct pt_conn *c)
{
	struct ssl_conn	*sc = pt_conn_transport_ctx(c);
	int		 n = SSL_pending(sc->ssl);

	return (n > 0 ? (size_t)n : 0);
}

/* Who a client's TLS error is about, for the debug log line. */
static struct ssl_rec_who
ssl_io_who(struct ssl_conn *sc)
{
	struct ssl_rec_who w = { PT_LOG_DEBUG, "client", "" };

	w.name = pt_conn_client_addr(sc->c);
	return (w);
}

static ssize_t
ssl_io_read(struct pt_conn *c, void *buf, size_t len)
{
	struct ssl_conn		*sc = pt_conn_transport_ctx(c);
	struct ssl_rec_who	 w = ssl_io_who(sc);

	return (ssl_rec_read(sc->ssl, buf, len, &w));
}

static ssize_t
ssl_io_writev(struct pt_conn *c, const struct iovec *iov, int n)
{
	struct ssl_conn		*sc = pt_conn_transport_ctx(c);
	struct ssl_rec_who	 w = ssl_io_who(sc);

	if (n == 1)
		return (ssl_rec_write(sc->ssl, iov[0].iov_base, iov[0].iov_len,
		    &w) == 0 ? (ssize_t)iov[0].iov_len : -1);
	if (sc->wbuf == NULL) {
		if ((sc->wbuf = pt_alloc(pt_conn_arena(c), SSL_WBUF)) == NULL) {
			errno = ENOMEM;
			return (-1);
		}
		sc->wcap = SSL_WBUF;
	}
	return (ssl_rec_writev(sc->ssl, sc->wbuf, sc->wcap, iov, n, &w));
}

/* close_notify, once; never waits for the client's. */
static void
ssl_io_shutdown(struct pt_conn *c)
{
	struct ssl_conn *sc = pt_conn_transport_ctx(c);

	ERR_clear_error();
	if (SSL_shutdown(sc->ssl) < 0)
		ERR_clear_error();
}

static void
ssl_free_cb(void *p)
{
	SSL_free(p);
}

/* An X509 name as RFC 2253 text, in the connection's arena. */
static const char *
ssl_name_text(struct pt_arena *a, const X509_NAME *name)
{
	BIO		*b;
	char		*p, *out = NULL;
	long		 len;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return (NULL);
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(b, &p)) >= 0)
		out = pt_strndup(a, p, (size_t)len);
	BIO_free(b);
	return (out);
}

/* The client certificate, if any: what variables and fields report. */
static void
ssl_client_cert(struct ssl_conn *sc, struct pt_arena *a)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1], *bn;
	X509		*x = SSL_get0_peer_certificate(sc->ssl);
	BIGNUM		*serial;
	long		 vr;

	if (x == NULL) {
		sc->verify = "NONE";
		return;
	}
	vr = SSL_get_verify_result(sc->ssl);
	sc->cert_verified = vr == X509_V_OK;
	sc->verify = sc->cert_verified ? "SUCCESS" : pt_printf(a, "FAILED:%s",
	    X509_verify_cert_error_string(vr));
	sc->s_dn = ssl_name_text(a, X509_get_subject_name(x));
	sc->i_dn = ssl_name_text(a, X509_get_issuer_name(x));
	if ((serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL))
	    != NULL) {
		if ((bn = BN_bn2hex(serial)) != NULL) {
			sc->serial = pt_strdup(a, bn);
			OPENSSL_free(bn);
		}
		BN_free(serial);
	}
	if (X509_digest(x, EVP_sha256(), md, &mdlen) == 1) {
		ssl_u_hex(md, mdlen, hex);
		sc->fingerprint = pt_strdup(a, hex);
	}
}

/* %{ssl_*}: set once per connection, after the handshake. */
static void
ssl_conn_vars(struct ssl_conn *sc)
{
	struct pt_conn		*c = sc->c;
	struct pt_arena		*a = pt_conn_arena(c);
	const unsigned char	*alpn;
	unsigned int		 alen = 0;

	ssl_client_cert(sc, a);
	SSL_get0_alpn_selected(sc->ssl, &alpn, &alen);
	pt_conn_set_var(c, "ssl_protocol", SSL_get_version(sc->ssl));
	pt_conn_set_var(c, "ssl_cipher", SSL_get_cipher_name(sc->ssl));
	pt_conn_set_var(c, "ssl_server_name", sc->sni);
	pt_conn_set_var(c, "ssl_session_reused",
	    SSL_session_reused(sc->ssl) ? "r" : ".");
	if (alen > 0)
		pt_conn_set_var(c, "ssl_alpn", pt_strndup(a, (const char *)alpn,
		    alen));
	pt_conn_set_var(c, "ssl_client_verify", sc->verify);
	if (sc->s_dn == NULL)
		return;
	pt_conn_set_var(c, "ssl_client_s_dn", sc->s_dn);
	pt_conn_set_var(c, "ssl_client_i_dn", sc->i_dn);
	pt_conn_set_var(c, "ssl_client_serial", sc->serial);
	pt_conn_set_var(c, "ssl_client_fingerprint", sc->fingerprint);
}

/*
 * The first byte, without taking it. 1 with it in *b; 0 when the client
 * closed, failed, or sent nothing before the deadline.
 */
static int
ssl_peek(int fd, long long deadline, unsigned char *b)
{
	ssize_t n;

	for (;;) {
		if ((n = recv(fd, b, 1, MSG_PEEK)) == 1)
			return (1);
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) || ssl_now_ms() >= deadline)
			return (0);
	}
}

/* nginx's answer to plain HTTP on a TLS port; the core then closes. */
static void
ssl_plain_400(int fd)
{
	static const char body[] =
	    "The plain HTTP request was sent to HTTPS port.\n";
	char	head[256];
	int	n;
	struct iovec iov[2];

	n = snprintf(head, sizeof(head), "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", sizeof(body) - 1);
	iov[0].iov_base = head;
	iov[0].iov_len = (size_t)n;
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = sizeof(body) - 1;
	if (writev(fd, iov, 2) < 0)
		PT_LOG_ERRNO(PT_LOG_DEBUG, "plain 400");
}

static int
ssl_handshake(struct pt_conn *c, const struct ssl_listener *l,
    long long deadline)
{
	struct pt_arena	*a = pt_conn_arena(c);
	struct ssl_conn	*sc;
	char		 buf[256];
	SSL		*ssl;
	int		 rc, err;

	if ((sc = pt_calloc(a, 1, sizeof(*sc))) == NULL ||
	    (ssl = SSL_new(l->dflt->ctx)) == NULL)
		return (PT_ERROR);
	if (pt_arena_defer(a, ssl_free_cb, ssl) != 0) {
		SSL_free(ssl);
		return (PT_ERROR);
	}
	sc->ssl = ssl;
	sc->c = c;
	sc->lst = l;
	sc->srv = l->dflt;
	SSL_set_app_data(ssl, sc);
	if (SSL_set_fd(ssl, pt_conn_fd(c)) != 1)
		return (PT_ERROR);
	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((rc = SSL_accept(ssl)) == 1)
			break;
		err = SSL_get_error(ssl, rc);
		if ((err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) &&
		    ssl_now_ms() < deadline)
			continue;
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			PT_LOG(PT_LOG_INFO, "client %s: TLS handshake timed out",
			    pt_conn_client_addr(c));
		else if (err == SSL_ERROR_SYSCALL)
			PT_LOG(PT_LOG_INFO, "client %s: TLS handshake: %s",
			    pt_conn_client_addr(c), errno != 0 ?
			    strerror(errno) : "connection closed");
		else
			PT_LOG(PT_LOG_INFO, "client %s: TLS handshake failed: %s",
			    pt_conn_client_addr(c), ssl_errstr(buf, sizeof(buf)));
		return (PT_ERROR);
	}
	pt_conn_set_transport(c, &ssl_transport, sc);
	pt_conn_set_secure(c, true);
	ssl_conn_vars(sc);
	PT_LOG(PT_LOG_DEBUG, "client %s: %s %s, name \"%s\"%s",
	    pt_conn_client_addr(c), SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), sc->sni,
	    SSL_session_reused(ssl) ? ", resumed" : "");
	return (PT_OK);
}

int
ssl_connection(struct pt_conn *c)
{
	const struct ssl_listener	*l;
	long long			 deadline;
	unsigned char			 b;
	int				 rc;

	if ((l = ssl_listener_find(pt_conn_listener(c))) == NULL)
		return (PT_DECLINED);
	deadline = ssl_now_ms() + l->timeout;
	if (!ssl_peek(pt_conn_fd(c), deadline, &b))
		return (PT_ERROR);
	switch (ssl_u_first_byte(b)) {
	case SSL_U_FIRST_HTTP:
		PT_LOG(PT_LOG_INFO, "client %s: plain HTTP on the TLS port %s",
		    pt_conn_client_addr(c), pt_conn_listener(c));
		ssl_plain_400(pt_conn_fd(c));
		return (PT_ERROR);
	case SSL_U_FIRST_OTHER:
		PT_LOG(PT_LOG_INFO, "client %s: not a TLS handshake on %s",
		    pt_conn_client_addr(c), pt_conn_listener(c));
		return (PT_ERROR);
	}
	if (l->pass != NULL &&
	    (rc = ssl_passthrough(c, l, deadline)) != PT_DECLINED)
		return (rc);
	if (l->dflt == NULL)
		return (PT_ERROR);
	return (ssl_handshake(c, l, deadline));
}
