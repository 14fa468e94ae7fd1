/*
 * One SSL_CTX per server with ssl.certificates, built in the master while
 * the configuration parses (ssl_check_certs), owned by the configuration's
 * arena: freed when a reload replaces the configuration, never touched by
 * a reload that fails. Workers inherit the contexts when they are forked.
 */
#define PT_LOG_TAG	"ssl"

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <portier/arena.h>
#include <portier/conf.h>
#include <portier/log.h>

#include "ssl.h"

const char *
ssl_errstr(char *buf, size_t len)
{
	unsigned long	e, first = 0;

	while ((e = ERR_get_error()) != 0)
		if (first == 0)
			first = e;
	if (first == 0)
		snprintf(buf, len, "no detail from OpenSSL");
	else
		ERR_error_string_n(first, buf, len);
	return (buf);
}

/* Index of our struct ssl_server in each SSL_CTX; made once, in the master. */
int
ssl_ex_index(void)
{
	static int idx = -1;

	if (idx < 0)
		idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return (idx);
}

static void
ssl_ctx_free(void *p)
{
	SSL_CTX_free(p);
}

/* Encrypted keys would prompt on the terminal: refuse them instead. */
static int
ssl_nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return (0);
}

/* "optional": any certificate passes the handshake; the routes decide. */
static int
ssl_verify_optional(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return (1);
}

/*
 * Reads a PEM file: the leaf first, then its chain. The leaf in *leaf and
 * the chain in *chain, both to free; -1 with the error reported at at.
 */
static int
ssl_read_chain(struct pt_conf_ctx *cx, const config_setting_t *at,
    const char *path, X509 **leaf, STACK_OF(X509) **chain)
{
	BIO	*b;
	X509	*x;
	char	 err[256];

	*leaf = NULL;
	*chain = NULL;
	ERR_clear_error();
	if ((b = BIO_new_file(path, "r")) == NULL) {
		pt_conf_error(cx, at, "cannot read %s: %s", path,
		    strerror(errno != 0 ? errno : EIO));
		ERR_clear_error();
		return (-1);
	}
	if ((*leaf = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL)) == NULL) {
		pt_conf_error(cx, at, "no PEM certificate in %s (%s)", path,
		    ssl_errstr(err, sizeof(err)));
		BIO_free(b);
		return (-1);
	}
	if ((*chain = sk_X509_new_null()) == NULL) {
		BIO_free(b);
		return (-1);
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(*chain, x) == 0) {
			X509_free(x);
			break;
		}
	/* The loop ends on "no start line": that is the end of the file. */
	ERR_clear_error();
	BIO_free(b);
	return (0);
}

static EVP_PKEY *
ssl_read_key(struct pt_conf_ctx *cx, const config_setting_t *at,
    const char *path)
{
	EVP_PKEY	*pk;
	BIO		*b;
	char		 err[256];

	ERR_clear_error();
	if ((b = BIO_new_file(path, "r")) == NULL) {
		pt_conf_error(cx, at, "cannot read %s: %s (key files are read "
		    "by the master, as root)", path,
		    strerror(errno != 0 ? errno : EIO));
		ERR_clear_error();
		return (NULL);
	}
	pk = PEM_read_bio_PrivateKey(b, NULL, ssl_nopass, NULL);
	BIO_free(b);
	if (pk == NULL)
		pt_conf_error(cx, at, "no usable private key in %s (%s; "
		    "encrypted keys are not supported)", path,
		    ssl_errstr(err, sizeof(err)));
	return (pk);
}

/* One certificate, its chain and its key into ctx; -1 when reported. */
static int
ssl_cert_load(struct pt_conf_ctx *cx, struct ssl_server *srv,
    const struct ssl_cert_spec *sp, unsigned int *types)
{
	STACK_OF(X509)	*chain;
	EVP_PKEY	*pk = NULL;
	X509		*leaf;
	char		 err[256];
	int		 i, type, rc = -1;
	unsigned int	 bit;

	if (ssl_read_chain(cx, sp->at_cert, sp->cert, &leaf, &chain) == -1)
		return (-1);
	type = EVP_PKEY_get_base_id(X509_get0_pubkey(leaf));
	bit = type == EVP_PKEY_EC ? 1 : type == EVP_PKEY_RSA ? 2 :
	    type == EVP_PKEY_ED25519 ? 4 : type == EVP_PKEY_ED448 ? 8 : 16;
	if ((*types & bit) != 0) {
		pt_conf_error(cx, sp->at_cert, "a second certificate with a "
		    "%s key: one per key type (ECDSA and RSA, say)",
		    OBJ_nid2sn(type));
		goto out;
	}
	*types |= bit;
	if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0)
		pt_conf_warn(cx, sp->at_cert, "%s has expired", sp->cert);
	ERR_clear_error();
	if (SSL_CTX_use_certificate(srv->ctx, leaf) != 1 ||
	    SSL_CTX_clear_chain_certs(srv->ctx) != 1) {
		pt_conf_error(cx, sp->at_cert, "%s: %s", sp->cert,
		    ssl_errstr(err, sizeof(err)));
		goto out;
	}
	for (i = 0; i < sk_X509_num(chain); i++)
		if (SSL_CTX_add1_chain_cert(srv->ctx, sk_X509_value(chain, i))
		    != 1) {
			pt_conf_error(cx, sp->at_cert, "%s: chain: %s", sp->cert,
			    ssl_errstr(err, sizeof(err)));
			goto out;
		}
	if ((pk = ssl_read_key(cx, sp->at_key, sp->key)) == NULL)
		goto out;
	ERR_clear_error();
	if (SSL_CTX_use_PrivateKey(srv->ctx, pk) != 1 ||
	    SSL_CTX_check_private_key(srv->ctx) != 1) {
		pt_conf_error(cx, sp->at_key, "the key in %s does not match the "
		    "certificate in %s (%s)", sp->key, sp->cert,
		    ssl_errstr(err, sizeof(err)));
		goto out;
	}
	rc = 0;
	if (sp->ocsp != NULL && ssl_ocsp_load(cx, srv, sp, leaf, chain) == -1)
		rc = -1;
 out:
	EVP_PKEY_free(pk);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return (rc);
}

/* Client certificates: who may issue them, how deep, what is revoked. */
static int
ssl_verify_setup(const struct ssl_conf *c, SSL_CTX *ctx)
{
	STACK_OF(X509_NAME)	*names;
	X509_STORE		*st;
	X509_LOOKUP		*lu;

	if (c->verify_client == SSL_VC_OFF)
		return (0);
	if (SSL_CTX_load_verify_file(ctx, c->ca_file) != 1 ||
	    (names = SSL_load_client_CA_file(c->ca_file)) == NULL)
		return (-1);
	SSL_CTX_set_client_CA_list(ctx, names);
	if (c->verify_client == SSL_VC_REQUIRED)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, ssl_verify_optional);
	SSL_CTX_set_verify_depth(ctx, (int)c->verify_depth);
	if (c->crl_file == NULL)
		return (0);
	st = SSL_CTX_get_cert_store(ctx);
	if ((lu = X509_STORE_add_lookup(st, X509_LOOKUP_file())) == NULL ||
	    X509_load_crl_file(lu, c->crl_file, X509_FILETYPE_PEM) <= 0)
		return (-1);
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK |
	    X509_V_FLAG_CRL_CHECK_ALL);
	return (0);
}

/*
 * The session id context: sessions resume only on a server with the same
 * certificates and client verification, in any worker and generation.
 */
static void
ssl_sid_ctx(const struct ssl_conf *c, const struct ssl_certs *certs,
    SSL_CTX *ctx)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	EVP_MD_CTX	*h;
	size_t		 i;

	if ((h = EVP_MD_CTX_new()) == NULL)
		return;
	EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	for (i = 0; i < certs->n; i++)
		EVP_DigestUpdate(h, certs->v[i].cert, strlen(certs->v[i].cert) + 1);
	EVP_DigestUpdate(h, &c->verify_client, sizeof(c->verify_client));
	if (c->ca_file != NULL)
		EVP_DigestUpdate(h, c->ca_file, strlen(c->ca_file));
	EVP_DigestFinal_ex(h, md, &mdlen);
	EVP_MD_CTX_free(h);
	if (mdlen > SSL_MAX_SID_CTX_LENGTH)
		mdlen = SSL_MAX_SID_CTX_LENGTH;
	SSL_CTX_set_session_id_context(ctx, md, mdlen);
}

/* Protocols, options, ciphers and groups; -1 for a setting checked elsewhere. */
static int
ssl_params(struct pt_conf_ctx *cx, const struct ssl_conf *c,
    struct ssl_server *srv)
{
	uint64_t	opts;
	int		min, max;

	if (ssl_u_proto_range(c->protocols.v, c->protocols.n, &min, &max) !=
	    NULL)
		return (-1);
	if (SSL_CTX_set_min_proto_version(srv->ctx, min) != 1 ||
	    SSL_CTX_set_max_proto_version(srv->ctx, max) != 1)
		return (-1);
	/* TLS 1.0 and 1.1 sign with SHA-1, below OpenSSL 3's default level. */
	if (min < TLS1_2_VERSION)
		SSL_CTX_set_security_level(srv->ctx, 0);
	opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF;
	if (c->prefer_server_ciphers)
		opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
	SSL_CTX_set_options(srv->ctx, opts);
	SSL_CTX_set_mode(srv->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/*
	 * Read whatever the socket has, not a record header and then its
	 * body: one read(2) per request instead of two.
	 */
	SSL_CTX_set_read_ahead(srv->ctx, 1);
	srv->ciphers = c->ciphers;
	srv->suites = c->ciphersuites;
	srv->groups = ssl_groups_join(pt_conf_arena(cx), &c->groups);
	if (srv->groups == NULL ||
	    SSL_CTX_set_cipher_list(srv->ctx, srv->ciphers) != 1 ||
	    SSL_CTX_set_ciphersuites(srv->ctx, srv->suites) != 1 ||
	    SSL_CTX_set1_groups_list(srv->ctx, srv->groups) != 1)
		return (-1);
	return (0);
}

struct ssl_server *
ssl_server_build(struct pt_conf_ctx *cx, const struct ssl_conf *c,
    struct ssl_certs *certs)
{
	struct pt_arena		*a = pt_conf_arena(cx);
	struct ssl_server	*srv;
	unsigned int		 types = 0;
	size_t			 i;
	bool			 failed = false;
	char			 err[256];

	if ((srv = pt_calloc(a, 1, sizeof(*srv))) == NULL)
		return (NULL);
	ERR_clear_error();
	if ((srv->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		pt_conf_error(cx, certs->v[0].at_cert, "cannot create a TLS "
		    "context (%s)", ssl_errstr(err, sizeof(err)));
		return (NULL);
	}
	if (pt_arena_defer(a, ssl_ctx_free, srv->ctx) != 0) {
		SSL_CTX_free(srv->ctx);
		return (NULL);
	}
	srv->conf = c;
	SSL_CTX_set_ex_data(srv->ctx, ssl_ex_index(), srv);
	/* Settings with their own checks: those report, not this. */
	if (ssl_params(cx, c, srv) == -1 || ssl_verify_setup(c, srv->ctx) == -1)
		failed = true;
	ERR_clear_error();
	for (i = 0; i < certs->n; i++)
		if (ssl_cert_load(cx, srv, &certs->v[i], &types) == -1)
			failed = true;
	if (failed)
		return (NULL);
	ssl_sid_ctx(c, certs, srv->ctx);
	SSL_CTX_set_client_hello_cb(srv->ctx, ssl_hello_cb, NULL);
	SSL_CTX_set_alpn_select_cb(srv->ctx, ssl_alpn_cb, NULL);
	if (srv->nocsp > 0) {
		SSL_CTX_set_tlsext_status_cb(srv->ctx, ssl_ocsp_cb);
		SSL_CTX_set_tlsext_status_arg(srv->ctx, srv);
	}
	ssl_session_setup(srv->ctx, c);
	return (srv);
}

/*
 * A SNI switch: SSL_set_SSL_CTX brings the certificates (and the session
 * id context); the rest was copied from the first context at SSL_new and
 * must be set again from the chosen server's.
 */
int
ssl_server_apply(SSL *ssl, const struct ssl_server *srv)
{
	SSL_CTX		*ctx = srv->ctx;
	uint64_t	 want = SSL_CTX_get_options(ctx);

	if (SSL_set_SSL_CTX(ssl, ctx) != ctx)
		return (-1);
	SSL_clear_options(ssl, SSL_get_options(ssl) & ~want);
	SSL_set_options(ssl, want);
	if (SSL_set_min_proto_version(ssl,
	    SSL_CTX_get_min_proto_version(ctx)) != 1 ||
	    SSL_set_max_proto_version(ssl,
	    SSL_CTX_get_max_proto_version(ctx)) != 1 ||
	    SSL_set_cipher_list(ssl, srv->ciphers) != 1 ||
	    SSL_set_ciphersuites(ssl, srv->suites) != 1 ||
	    SSL_set1_groups_list(ssl, srv->groups) != 1 ||
	    SSL_set_num_tickets(ssl, SSL_CTX_get_num_tickets(ctx)) != 1)
		return (-1);
	SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx),
	    SSL_CTX_get_verify_callback(ctx));
	SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(ctx));
	SSL_set_security_level(ssl, SSL_CTX_get_security_level(ctx));
	return (0);
}
