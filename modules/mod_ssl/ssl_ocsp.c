/*
 * OCSP stapling from files: the operator (or a cron job) fetches each
 * certificate's OCSP response and Portier staples it, re-reading the file
 * on every reload, since the server may have no way out to the responder.
 * The response is checked at load against the certificate and its issuer
 * from the chain, and the one for the certificate actually chosen (ECDSA
 * or RSA) is sent.
 */
#define PT_LOG_TAG	"ssl"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>

#include <portier/arena.h>
#include <portier/conf.h>

#include "ssl.h"

#define SSL_OCSP_MAX	(64 * 1024)

static void
ssl_ocsp_free(void *p)
{
	OPENSSL_free(p);
}

/* The whole file into an OPENSSL_malloc'ed buffer; NULL when reported. */
static unsigned char *
ssl_ocsp_read(struct pt_conf_ctx *cx, const struct ssl_cert_spec *sp,
    size_t *len)
{
	unsigned char	*buf;
	FILE		*fp;

	if ((fp = fopen(sp->ocsp, "rb")) == NULL) {
		pt_conf_error(cx, sp->at_ocsp, "cannot read %s: %s", sp->ocsp,
		    strerror(errno));
		return (NULL);
	}
	if ((buf = OPENSSL_malloc(SSL_OCSP_MAX)) == NULL) {
		fclose(fp);
		return (NULL);
	}
	*len = fread(buf, 1, SSL_OCSP_MAX, fp);
	fclose(fp);
	if (*len == 0 || *len == SSL_OCSP_MAX) {
		pt_conf_error(cx, sp->at_ocsp, "%s: %s", sp->ocsp, *len == 0 ?
		    "empty" : "larger than 64 KiB: not an OCSP response");
		OPENSSL_free(buf);
		return (NULL);
	}
	return (buf);
}

/* Whether the response answers for leaf, and "good"; -1 when reported. */
static int
ssl_ocsp_match(struct pt_conf_ctx *cx, const struct ssl_cert_spec *sp,
    OCSP_BASICRESP *basic, X509 *leaf, STACK_OF(X509) *chain)
{
	ASN1_GENERALIZEDTIME	*rev, *thisupd, *nextupd;
	OCSP_CERTID		*id;
	X509			*issuer = NULL;
	int			 i, status, reason, found;

	for (i = 0; i < sk_X509_num(chain) && issuer == NULL; i++)
		if (X509_check_issued(sk_X509_value(chain, i), leaf) ==
		    X509_V_OK)
			issuer = sk_X509_value(chain, i);
	if (issuer == NULL) {
		pt_conf_warn(cx, sp->at_ocsp, "no issuer of %s in its chain: "
		    "cannot check that %s answers for it", sp->cert, sp->ocsp);
		return (0);
	}
	if ((id = OCSP_cert_to_id(NULL, leaf, issuer)) == NULL)
		return (-1);
	found = OCSP_resp_find_status(basic, id, &status, &reason, &rev,
	    &thisupd, &nextupd);
	OCSP_CERTID_free(id);
	if (found != 1) {
		pt_conf_error(cx, sp->at_ocsp, "%s does not answer for the "
		    "certificate in %s", sp->ocsp, sp->cert);
		return (-1);
	}
	if (status != V_OCSP_CERTSTATUS_GOOD) {
		pt_conf_error(cx, sp->at_ocsp, "%s says the certificate in %s is "
		    "%s", sp->ocsp, sp->cert, OCSP_cert_status_str(status));
		return (-1);
	}
	/* Five minutes of clock skew, as OpenSSL's own tools allow. */
	if (OCSP_check_validity(thisupd, nextupd, 300, -1) != 1) {
		ERR_clear_error();
		pt_conf_warn(cx, sp->at_ocsp, "%s is out of date: not stapled "
		    "(fetch a fresh one and reload)", sp->ocsp);
		return (1);
	}
	return (0);
}

int
ssl_ocsp_load(struct pt_conf_ctx *cx, struct ssl_server *srv,
    const struct ssl_cert_spec *sp, X509 *leaf, STACK_OF(X509) *chain)
{
	const unsigned char	*p;
	OCSP_RESPONSE		*resp;
	OCSP_BASICRESP		*basic = NULL;
	unsigned char		*der;
	size_t			 len;
	int			 st, rc = -1;

	if ((der = ssl_ocsp_read(cx, sp, &len)) == NULL)
		return (-1);
	p = der;
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		pt_conf_error(cx, sp->at_ocsp, "%s: not a DER OCSP response",
		    sp->ocsp);
		goto out;
	}
	if ((st = OCSP_response_status(resp)) !=
	    OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		pt_conf_error(cx, sp->at_ocsp, "%s: response status is \"%s\"",
		    sp->ocsp, OCSP_response_status_str(st));
		goto out;
	}
	if ((basic = OCSP_response_get1_basic(resp)) == NULL) {
		pt_conf_error(cx, sp->at_ocsp, "%s: no basic response", sp->ocsp);
		goto out;
	}
	switch (ssl_ocsp_match(cx, sp, basic, leaf, chain)) {
	case 0:
		break;
	case 1:		/* stale: load fine, staple nothing */
		rc = 0;
		goto out;
	default:
		goto out;
	}
	if (pt_arena_defer(pt_conf_arena(cx), ssl_ocsp_free, der) != 0)
		goto out;
	/* The context holds a reference to leaf for as long as it lives. */
	srv->ocsp[srv->nocsp].cert = leaf;
	srv->ocsp[srv->nocsp].der = der;
	srv->ocsp[srv->nocsp].len = len;
	srv->nocsp++;
	der = NULL;
	rc = 0;
 out:
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(der);
	return (rc);
}

/* Status request: the response for the certificate chosen, if any. */
int
ssl_ocsp_cb(SSL *ssl, void *arg)
{
	const struct ssl_server	*srv = arg;
	X509			*x = SSL_get_certificate(ssl);
	unsigned char		*copy;
	size_t			 i;

	for (i = 0; i < srv->nocsp; i++) {
		if (srv->ocsp[i].cert != x)
			continue;
		/* OpenSSL frees what it is given. */
		if ((copy = OPENSSL_memdup(srv->ocsp[i].der,
		    srv->ocsp[i].len)) == NULL)
			return (SSL_TLSEXT_ERR_NOACK);
		if (SSL_set_tlsext_status_ocsp_resp(ssl, copy,
		    (long)srv->ocsp[i].len) != 1) {
			OPENSSL_free(copy);
			return (SSL_TLSEXT_ERR_NOACK);
		}
		return (SSL_TLSEXT_ERR_OK);
	}
	return (SSL_TLSEXT_ERR_NOACK);
}
