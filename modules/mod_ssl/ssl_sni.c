/*
 * Which server's context a handshake uses. Each worker builds, in
 * child_init, a table per listener of the servers on it that have
 * ssl.certificates, by name; the ClientHello callback reads the SNI name
 * before OpenSSL picks the protocol version or a certificate, and moves
 * the connection to that server's context, so each server's protocols,
 * ciphers and client verification apply. No name, or an unknown one, gets
 * the listener's first TLS server, as nginx does.
 */
#define PT_LOG_TAG	"ssl"

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <portier/log.h>
#include <portier/module.h>

#include "ssl.h"

/* Per worker: the listeners of the configuration it serves. */
static struct ssl_listener *ssl_lst;

static struct ssl_listener *
ssl_listener_add(const char *text, long long timeout)
{
	struct ssl_listener *l;

	for (l = ssl_lst; l != NULL; l = l->next)
		if (strcmp(l->text, text) == 0)
			return (l);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return (NULL);
	l->text = text;
	l->timeout = timeout;
	l->next = ssl_lst;
	ssl_lst = l;
	return (l);
}

static int
ssl_listener_name(struct ssl_listener *l, const char *name,
    const struct ssl_server *srv)
{
	struct ssl_sni_entry	*v;
	char			*lc;
	size_t			 i;

	if (name[0] == '~' || name[0] == '\0')
		return (0);	/* regex names cannot be matched to SNI here */
	if ((v = realloc(l->names, (l->nnames + 1) * sizeof(*v))) == NULL ||
	    (lc = strdup(name)) == NULL)
		return (-1);
	l->names = v;
	for (i = 0; lc[i] != '\0'; i++)
		if (lc[i] >= 'A' && lc[i] <= 'Z')
			lc[i] = (char)(lc[i] - 'A' + 'a');
	v[l->nnames].name = lc;
	v[l->nnames].srv = srv;
	l->nnames++;
	return (0);
}

/*
 * Memory here lives as long as the worker: child_init runs once per
 * process, and a worker serves one configuration for its whole life.
 */
int
ssl_listeners_build(const struct pt_conf *cf)
{
	const struct ssl_conf		*sc;
	const struct ssl_server		*srv;
	const struct pt_strlist		*names;
	struct ssl_listener		*l;
	const char			*text;
	size_t				 i, j, k, n = pt_conf_server_count(cf);

	for (i = 0; i < n; i++) {
		sc = pt_module_conf_server(cf, i, &portier_module);
		srv = sc != NULL && sc->certs != NULL ? sc->certs->srv : NULL;
		if (srv == NULL && (sc == NULL || sc->passthrough == NULL))
			continue;
		names = pt_conf_server_names(cf, i);
		for (j = 0; (text = pt_conf_server_listen(cf, i, j)) != NULL;
		    j++) {
			if ((l = ssl_listener_add(text,
			    sc->handshake_timeout)) == NULL)
				return (-1);
			if (sc->passthrough != NULL && l->pass == NULL)
				l->pass = sc->passthrough;
			if (srv == NULL)
				continue;
			if (l->dflt == NULL) {
				l->dflt = srv;
				l->timeout = sc->handshake_timeout;
			}
			for (k = 0; names != NULL && k < names->n; k++)
				if (ssl_listener_name(l, names->v[k], srv) == -1)
					return (-1);
		}
	}
	return (0);
}

const struct ssl_listener *
ssl_listener_find(const char *text)
{
	const struct ssl_listener *l;

	for (l = ssl_lst; l != NULL; l = l->next)
		if (strcmp(l->text, text) == 0)
			return (l);
	return (NULL);
}

/* Exact names first, then patterns, in the order configured. */
const struct ssl_server *
ssl_listener_server(const struct ssl_listener *l, const char *host)
{
	size_t i;

	if (host == NULL || host[0] == '\0')
		return (l->dflt);
	for (i = 0; i < l->nnames; i++)
		if (strcmp(l->names[i].name, host) == 0)
			return (l->names[i].srv);
	for (i = 0; i < l->nnames; i++)
		if ((l->names[i].name[0] == '*' || l->names[i].name[0] == '.') &&
		    ssl_u_name_match(l->names[i].name, host))
			return (l->names[i].srv);
	return (l->dflt);
}

int
ssl_hello_cb(SSL *ssl, int *al, void *arg)
{
	struct ssl_conn		*sc = SSL_get_app_data(ssl);
	const struct ssl_server	*srv;
	const unsigned char	*p;
	size_t			 len;

	(void)arg;
	if (sc == NULL)
		return (SSL_CLIENT_HELLO_SUCCESS);
	sc->sni[0] = '\0';
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p,
	    &len) == 1 && ssl_u_sni_parse(p, len, sc->sni,
	    sizeof(sc->sni)) == -1) {
		sc->sni[0] = '\0';
		*al = SSL_AD_DECODE_ERROR;
		return (SSL_CLIENT_HELLO_ERROR);
	}
	srv = ssl_listener_server(sc->lst, sc->sni);
	if (srv != sc->srv) {
		if (ssl_server_apply(ssl, srv) == -1) {
			*al = SSL_AD_INTERNAL_ERROR;
			return (SSL_CLIENT_HELLO_ERROR);
		}
		sc->srv = srv;
	}
	return (SSL_CLIENT_HELLO_SUCCESS);
}

/* RFC 7301: http/1.1 (or 1.0); a client that offers neither is refused. */
int
ssl_alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char	 ours[] = "\x08http/1.1\x08http/1.0";
	unsigned char			*sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, ours, sizeof(ours) - 1, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return (SSL_TLSEXT_ERR_ALERT_FATAL);
	*out = sel;
	return (SSL_TLSEXT_ERR_OK);
}
