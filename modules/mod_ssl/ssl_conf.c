/*
 * mod_ssl's directive callbacks. They run in the master (and under -t)
 * while the configuration parses: each names its own setting's file and
 * line on error, and the certificates check builds the server's context,
 * so everything a handshake will need is known good before the
 * configuration is accepted.
 */
#define PT_LOG_TAG	"ssl"

#include "config.h"

#include <sys/socket.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <portier/arena.h>
#include <portier/conf.h>

#include "ssl.h"

/* The block that holds field, which is member m of struct ssl_conf. */
#define SSL_CONF_OF(field, m) \
	((const struct ssl_conf *)(const void *)((const char *)(field) - \
	    offsetof(struct ssl_conf, m)))

/* A string member of a record, made absolute; NULL when absent. */
static const char *
ssl_member_path(struct pt_conf_ctx *cx, const config_setting_t *rec,
    const char *name, const config_setting_t **at)
{
	const config_setting_t *m;

	*at = NULL;
	if ((m = config_setting_get_member(rec, name)) == NULL)
		return (NULL);
	*at = m;
	if (config_setting_type(m) != CONFIG_TYPE_STRING ||
	    config_setting_get_string(m)[0] == '\0') {
		pt_conf_error(cx, m, "expected a file name");
		return (NULL);
	}
	return (pt_conf_path(cx, m, config_setting_get_string(m)));
}

/* Members of a record other than the names given are errors. */
static void
ssl_record_unknown(struct pt_conf_ctx *cx, const config_setting_t *rec,
    const char *const *names, const char *hint)
{
	const config_setting_t	*m;
	const char		*name;
	unsigned int		 i;
	size_t			 j;

	for (i = 0; (m = config_setting_get_elem(rec, i)) != NULL; i++) {
		if ((name = config_setting_name(m)) == NULL)
			continue;
		for (j = 0; names[j] != NULL; j++)
			if (strcmp(names[j], name) == 0)
				break;
		if (names[j] == NULL)
			pt_conf_error(cx, m, "unknown key \"%s\" (%s)", name, hint);
	}
}

/*
 * certificates = ( { cert = "a.pem"; key = "a.key"; ocsp = "a.der"; }, ...):
 * the list is read here, the files in the check once the block is whole.
 */
const char *
ssl_parse_certs(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	static const char *const keys[] = { "cert", "key", "ocsp", NULL };
	struct pt_arena		*a = pt_conf_arena(cx);
	const struct ssl_certs	**fp = field;
	struct ssl_certs	*certs = (struct ssl_certs *)(uintptr_t)*fp;
	struct ssl_cert_spec	*v, *sp;
	const config_setting_t	*e;
	unsigned int		 i, n;

	if (!config_setting_is_list(s))
		return ("expected a list ( { cert = \"...\"; key = \"...\"; } )");
	if ((n = (unsigned int)config_setting_length(s)) == 0)
		return ("at least one { cert = \"...\"; key = \"...\"; } is "
		    "needed");
	if (certs == NULL && (certs = pt_calloc(a, 1, sizeof(*certs))) == NULL)
		return ("out of memory");
	if ((v = pt_calloc(a, certs->n + n, sizeof(*v))) == NULL)
		return ("out of memory");
	if (certs->n > 0)
		memcpy(v, certs->v, certs->n * sizeof(*v));
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (!config_setting_is_group(e)) {
			pt_conf_error(cx, e, "expected a group { cert = \"...\"; "
			    "key = \"...\"; }");
			continue;
		}
		ssl_record_unknown(cx, e, keys, "one of cert, key, ocsp");
		sp = &v[certs->n];
		sp->cert = ssl_member_path(cx, e, "cert", &sp->at_cert);
		sp->key = ssl_member_path(cx, e, "key", &sp->at_key);
		sp->ocsp = ssl_member_path(cx, e, "ocsp", &sp->at_ocsp);
		if (sp->at_cert == NULL || sp->at_key == NULL) {
			pt_conf_error(cx, e, "each certificate needs cert and "
			    "key (the key file may hold only the key)");
			continue;
		}
		if (sp->cert != NULL && sp->key != NULL)
			certs->n++;
	}
	certs->v = v;
	*fp = certs;
	if (certs->n > PT_SSL_CERTS_MAX)
		return ("too many certificates (one per key type: ECDSA, RSA, "
		    "Ed25519, ...)");
	return (NULL);
}

/* Builds the server's context once every key of the block is known. */
const char *
ssl_check_certs(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const struct ssl_conf	*c = SSL_CONF_OF(field, certs);
	struct ssl_certs	*certs;
	size_t			 i;

	(void)s;
	certs = (struct ssl_certs *)(uintptr_t)c->certs;
	if (certs == NULL || certs->n == 0)
		return (NULL);		/* the parse said why */
	if (c->verify_client != SSL_VC_OFF && c->ca_file == NULL)
		return ("verify_client needs ca_file (the CAs that issue the "
		    "client certificates)");
	certs->srv = ssl_server_build(cx, c, certs);
	/* The settings go with the parse; never keep them past the load. */
	for (i = 0; i < certs->n; i++)
		certs->v[i].at_cert = certs->v[i].at_key =
		    certs->v[i].at_ocsp = NULL;
	return (NULL);
}

const char *
ssl_check_protocols(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const struct pt_strlist	*l = field;
	int			 min, max;

	(void)cx;
	(void)s;
	return (ssl_u_proto_range(l->v, l->n, &min, &max));
}

/* Tries a setting on a scratch context: OpenSSL is the judge. */
static const char *
ssl_try(struct pt_conf_ctx *cx, int (*set)(SSL_CTX *, const char *),
    const char *value, const char *what)
{
	SSL_CTX		*ctx;
	char		 err[256];
	const char	*frag = NULL;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return ("cannot create a TLS context");
	ERR_clear_error();
	if (set(ctx, value) != 1)
		frag = pt_printf(pt_conf_arena(cx), "%s (%s)", what,
		    ssl_errstr(err, sizeof(err)));
	SSL_CTX_free(ctx);
	return (frag);
}

static int
ssl_set_ciphers(SSL_CTX *ctx, const char *v)
{
	return (SSL_CTX_set_cipher_list(ctx, v));
}

static int
ssl_set_suites(SSL_CTX *ctx, const char *v)
{
	return (SSL_CTX_set_ciphersuites(ctx, v));
}

static int
ssl_set_groups(SSL_CTX *ctx, const char *v)
{
	return (SSL_CTX_set1_groups_list(ctx, v));
}

const char *
ssl_check_ciphers(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	(void)s;
	return (ssl_try(cx, ssl_set_ciphers, *(const char **)field,
	    "no usable cipher in this list"));
}

const char *
ssl_check_suites(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	(void)s;
	return (ssl_try(cx, ssl_set_suites, *(const char **)field,
	    "not a valid TLS 1.3 ciphersuite list"));
}

/* "X25519:P-256" from the list, in the configuration's arena. */
const char *
ssl_groups_join(struct pt_arena *a, const struct pt_strlist *l)
{
	char	*out;
	size_t	 i, len = 1;

	for (i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + 1;
	if ((out = pt_alloc(a, len)) == NULL)
		return (NULL);
	out[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			strcat(out, ":");
		strcat(out, l->v[i]);
	}
	return (out);
}

const char *
ssl_check_groups(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const char *v;

	(void)s;
	if (((const struct pt_strlist *)field)->n == 0)
		return ("at least one group is needed");
	if ((v = ssl_groups_join(pt_conf_arena(cx), field)) == NULL)
		return ("out of memory");
	return (ssl_try(cx, ssl_set_groups, v, "unknown group in the list "
	    "(X25519, P-256, P-384, P-521, X448, ffdhe2048, ...)"));
}

const char *
ssl_check_ca(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const char		*path = *(const char **)field;
	STACK_OF(X509_NAME)	*names;
	char			 err[256];

	(void)s;
	if (path == NULL)
		return (NULL);
	ERR_clear_error();
	if ((names = SSL_load_client_CA_file(path)) == NULL)
		return (pt_printf(pt_conf_arena(cx), "no CA certificate read "
		    "from %s (%s)", path, ssl_errstr(err, sizeof(err))));
	sk_X509_NAME_pop_free(names, X509_NAME_free);
	return (NULL);
}

const char *
ssl_check_crl(struct pt_conf_ctx *cx, const config_setting_t *s, void *field)
{
	const char	*path = *(const char **)field;
	X509_STORE	*st;
	X509_LOOKUP	*lu;
	char		 err[256];
	int		 n;

	(void)s;
	if (path == NULL)
		return (NULL);
	if ((st = X509_STORE_new()) == NULL ||
	    (lu = X509_STORE_add_lookup(st, X509_LOOKUP_file())) == NULL) {
		X509_STORE_free(st);
		return ("out of memory");
	}
	ERR_clear_error();
	n = X509_load_crl_file(lu, path, X509_FILETYPE_PEM);
	X509_STORE_free(st);
	if (n <= 0)
		return (pt_printf(pt_conf_arena(cx), "no CRL read from %s (%s)",
		    path, ssl_errstr(err, sizeof(err))));
	return (NULL);
}

const char *
ssl_check_require(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const struct ssl_conf *c = SSL_CONF_OF(field, require_client_cert);

	(void)cx;
	(void)s;
	if (c->require_client_cert && c->verify_client == SSL_VC_OFF)
		return ("needs verify_client = \"optional\" (or \"required\") "
		    "on the server, so that the handshake asks for one");
	return (NULL);
}

const char *
ssl_check_hsts(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const char *v = *(const char **)field;

	(void)cx;
	(void)s;
	if (v[0] != '\0' && !ssl_u_hsts_ok(v))
		return ("expected \"max-age=SECONDS\", optionally followed by "
		    "\"; includeSubDomains\" and \"; preload\"");
	return (NULL);
}

/* "host:port" or "[v6]:port", resolved once, now (the master). */
static int
ssl_pass_resolve(struct pt_conf_ctx *cx, struct ssl_pass_rule *r)
{
	struct addrinfo	 hints, *res;
	char		 host[256];
	const char	*colon, *h = r->address;
	size_t		 hl;
	int		 rc;

	if ((colon = strrchr(h, ':')) == NULL || colon[1] == '\0') {
		pt_conf_error(cx, r->at, "address \"%s\": expected host:port",
		    h);
		return (-1);
	}
	hl = (size_t)(colon - h);
	if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host)) {
		pt_conf_error(cx, r->at, "address \"%s\": bad host", r->address);
		return (-1);
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		pt_conf_error(cx, r->at, "address \"%s\": %s", r->address,
		    gai_strerror(rc));
		return (-1);
	}
	memcpy(&r->addr, res->ai_addr, res->ai_addrlen);
	r->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return (0);
}

/* passthrough = ( { names = [ "a.example" ]; address = "10.0.0.5:443"; } ) */
const char *
ssl_parse_pass(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	static const char *const keys[] = { "names", "address", NULL };
	struct pt_arena		*a = pt_conf_arena(cx);
	const struct ssl_pass	**fp = field;
	struct ssl_pass		*p;
	struct ssl_pass_rule	*r;
	const config_setting_t	*e, *m, *nm;
	unsigned int		 i, j, n, k;

	if (!config_setting_is_list(s) ||
	    (n = (unsigned int)config_setting_length(s)) == 0)
		return ("expected a list ( { names = [ ... ]; address = "
		    "\"host:port\"; } )");
	if ((p = pt_calloc(a, 1, sizeof(*p))) == NULL ||
	    (p->v = pt_calloc(a, n, sizeof(*p->v))) == NULL)
		return ("out of memory");
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		r = &p->v[p->n];
		if (!config_setting_is_group(e)) {
			pt_conf_error(cx, e, "expected a group { names = [ ... ]; "
			    "address = \"host:port\"; }");
			continue;
		}
		ssl_record_unknown(cx, e, keys, "names or address");
		r->at = e;
		m = config_setting_get_member(e, "address");
		nm = config_setting_get_member(e, "names");
		if (m == NULL || config_setting_type(m) != CONFIG_TYPE_STRING ||
		    nm == NULL) {
			pt_conf_error(cx, e, "each rule needs names (a list; "
			    "[ \"*\" ] for any) and address = \"host:port\"");
			continue;
		}
		r->address = pt_strdup(a, config_setting_get_string(m));
		k = config_setting_is_aggregate(nm) ?
		    (unsigned int)config_setting_length(nm) : 1;
		r->names.v = pt_calloc(a, k + 1, sizeof(char *));
		if (r->address == NULL || r->names.v == NULL)
			return ("out of memory");
		for (j = 0; j < k; j++) {
			const config_setting_t *x = config_setting_is_aggregate(nm)
			    ? config_setting_get_elem(nm, j) : nm;

			if (config_setting_type(x) != CONFIG_TYPE_STRING) {
				pt_conf_error(cx, x, "expected a server name");
				continue;
			}
			r->names.v[r->names.n++] = pt_strdup(a,
			    config_setting_get_string(x));
		}
		if (ssl_pass_resolve(cx, r) == 0)
			p->n++;
		r->at = NULL;
	}
	*fp = p;
	return (NULL);
}
