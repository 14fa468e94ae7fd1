/*
 * mod_ssl: TLS termination for Portier on OpenSSL 3.
 *
 * Every SSL_CTX is built once, in the master, while the configuration
 * parses (ssl_ctx.c), so key files only root can read are read before
 * privileges drop, a bad key is a `portier -t` error with file and line,
 * and a reload that fails keeps the running contexts (they belong to the
 * running configuration's arena). Workers build their per-listener SNI
 * tables in child_init, run the handshake in the connection hook and
 * install a transport over SSL_read/SSL_write (ssl_io.c). Sessions resume
 * on any worker through the store and through ticket keys kept in shared
 * memory, rotated by the helper process (ssl_session.c).
 *
 * This file: the directive table, the hook registrations, and the request
 * side (client certificate requirements, forwarded fields, HSTS).
 */
#define PT_LOG_TAG	"ssl"

#include "config.h"

#include <stddef.h>
#include <string.h>

#include <portier/arena.h>
#include <portier/conf.h>
#include <portier/conn.h>
#include <portier/hooks.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>
#include <portier/upstream_io.h>

#include "ssl.h"

#define SSL_GS		(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER)
#define SSL_GSR		(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

static const char *const ssl_verify_choices[] = { "off", "optional",
    "required", NULL };

/* Mozilla's "intermediate" list: forward secrecy and AEAD only. */
#define SSL_DEFAULT_CIPHERS	"\"ECDHE-ECDSA-AES128-GCM-SHA256:" \
	"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:" \
	"ECDHE-RSA-CHACHA20-POLY1305\""
#define SSL_DEFAULT_SUITES	"\"TLS_AES_128_GCM_SHA256:" \
	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\""

static const struct pt_directive ssl_directives[] = {
	{ .name = "certificates", .type = PT_T_CUSTOM, .scopes = PT_SCOPE_SERVER,
	  .offset = offsetof(struct ssl_conf, certs),
	  .size = sizeof(const struct ssl_certs *),
	  .parse = ssl_parse_certs, .check = ssl_check_certs,
	  .hint = "( { cert = \"www.pem\"; key = \"www.key\"; } )" },
	{ .name = "passthrough", .type = PT_T_CUSTOM, .scopes = PT_SCOPE_SERVER,
	  .offset = offsetof(struct ssl_conf, passthrough),
	  .size = sizeof(const struct ssl_pass *), .parse = ssl_parse_pass,
	  .hint = "( { names = [ \"app.example.com\" ]; address = "
	  "\"10.0.0.5:443\"; } )" },
	{ .name = "upstreams", .type = PT_T_CUSTOM, .scopes = PT_SCOPE_GLOBAL,
	  .offset = offsetof(struct ssl_conf, upstreams),
	  .size = sizeof(const struct ssl_upstreams *),
	  .parse = ssl_parse_upstreams,
	  .hint = "( { pool = \"app\"; ca_file = \"ca.pem\"; } )" },
	{ .name = "protocols", .type = PT_T_STRLIST, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, protocols),
	  .def = "[ \"TLSv1.2\", \"TLSv1.3\" ]", .check = ssl_check_protocols,
	  .hint = "[ \"TLSv1.2\", \"TLSv1.3\" ]" },
	{ .name = "ciphers", .type = PT_T_STRING, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, ciphers),
	  .def = SSL_DEFAULT_CIPHERS, .check = ssl_check_ciphers,
	  .hint = "an OpenSSL cipher list for TLS 1.2 and older" },
	{ .name = "ciphersuites", .type = PT_T_STRING, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, ciphersuites),
	  .def = SSL_DEFAULT_SUITES, .check = ssl_check_suites,
	  .hint = "TLS 1.3 suites: \"TLS_AES_128_GCM_SHA256:...\"" },
	{ .name = "groups", .type = PT_T_STRLIST, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, groups),
	  .def = "[ \"X25519\", \"P-256\" ]", .check = ssl_check_groups,
	  .hint = "[ \"X25519\", \"P-256\", \"P-384\" ]" },
	{ .name = "prefer_server_ciphers", .type = PT_T_BOOL, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, prefer_server_ciphers),
	  .def = "false" },
	{ .name = "handshake_timeout", .type = PT_T_DURATION, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, handshake_timeout),
	  .def = "\"10s\"", .min = 100, .max = 300000,
	  .hint = "between 100ms and 5m" },
	{ .name = "session_cache", .type = PT_T_BOOL, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, session_cache), .def = "true" },
	{ .name = "session_timeout", .type = PT_T_DURATION, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, session_timeout),
	  .def = "\"5m\"", .min = 1000, .max = 86400000,
	  .hint = "between 1s and 1d" },
	{ .name = "session_tickets", .type = PT_T_BOOL, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, session_tickets), .def = "true" },
	{ .name = "ticket_rotate", .type = PT_T_DURATION,
	  .scopes = PT_SCOPE_GLOBAL,
	  .offset = offsetof(struct ssl_conf, ticket_rotate),
	  .def = "\"12h\"", .min = 1000, .max = 7 * 86400000LL,
	  .hint = "between 1s and 7d" },
	{ .name = "num_tickets", .type = PT_T_INT, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, num_tickets), .def = "2",
	  .min = 0, .max = 10, .hint = "0 to 10" },
	{ .name = "verify_client", .type = PT_T_ENUM, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, verify_client),
	  .def = "\"off\"", .choices = ssl_verify_choices },
	{ .name = "ca_file", .type = PT_T_PATH, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, ca_file), .check = ssl_check_ca,
	  .hint = "PEM file of the CAs that issue client certificates" },
	{ .name = "verify_depth", .type = PT_T_INT, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, verify_depth), .def = "1",
	  .min = 1, .max = 10, .hint = "1 to 10" },
	{ .name = "crl_file", .type = PT_T_PATH, .scopes = SSL_GS,
	  .offset = offsetof(struct ssl_conf, crl_file), .check = ssl_check_crl,
	  .hint = "PEM file of certificate revocation lists" },
	{ .name = "require_client_cert", .type = PT_T_BOOL, .scopes = SSL_GSR,
	  .offset = offsetof(struct ssl_conf, require_client_cert),
	  .def = "false", .check = ssl_check_require },
	{ .name = "client_headers", .type = PT_T_BOOL, .scopes = SSL_GSR,
	  .offset = offsetof(struct ssl_conf, client_headers), .def = "false" },
	{ .name = "hsts", .type = PT_T_STRING, .scopes = SSL_GSR,
	  .offset = offsetof(struct ssl_conf, hsts), .def = "\"\"",
	  .check = ssl_check_hsts,
	  .hint = "\"max-age=31536000; includeSubDomains\"" },
	PT_DIRECTIVE_END
};

/* The fields client_headers sets; a client's own are always removed. */
static const char *const ssl_fields[] = { "X-SSL-Client-Verify",
    "X-SSL-Client-S-DN", "X-SSL-Client-I-DN", "X-SSL-Client-Serial",
    "X-SSL-Client-Fingerprint", "X-SSL-Protocol", "X-SSL-Cipher", NULL };

static int
ssl_post_config(struct pt_conf *cf)
{
	struct ssl_conf *g;

	/*
	 * The one write into a block: the global block belongs to the
	 * configuration being loaded, and post_config is part of the load.
	 */
	g = (struct ssl_conf *)(uintptr_t)pt_module_conf_global(cf,
	    &portier_module);
	if ((g->keys = ssl_keyring_attach()) == NULL) {
		PT_LOG_ERRNO(PT_LOG_ERR, "cannot set up the ticket key segment");
		return (PT_ERROR);
	}
	return (PT_OK);
}

static int
ssl_child_init(const struct pt_conf *cf)
{
	const struct ssl_conf *g = pt_module_conf_global(cf, &portier_module);

	ssl_keyring_use(g->keys);
	return (ssl_listeners_build(cf) == 0 ? PT_OK : PT_ERROR);
}

static long long
ssl_periodic(const struct pt_conf *cf, long long now)
{
	const struct ssl_conf *g = pt_module_conf_global(cf, &portier_module);

	(void)now;
	return (ssl_keyring_periodic(g->keys, g->ticket_rotate));
}

/*
 * A route that requires a verified client certificate. Checked in fixups,
 * not access: a route's fixed answer (return) comes before the access
 * hooks, and nothing under such a route may be served without one.
 */
static int
ssl_require(struct pt_request *r, const struct ssl_conn *s)
{
	if (s != NULL && s->cert_verified)
		return (PT_OK);
	PT_RLOG(r, PT_LOG_INFO, "%s: a verified client certificate is "
	    "required (%s)", pt_req_path(r) != NULL ? pt_req_path(r) : "",
	    s == NULL ? "not TLS" : s->verify);
	return (403);
}

/*
 * fixups: the certificate requirement; then a client's own X-SSL-* fields
 * never reach the upstream when client_headers is on (the upstream trusts
 * them): ours replace them.
 */
static int
ssl_fixups(struct pt_request *r)
{
	const struct ssl_conf	*sc = pt_module_conf(r, &portier_module);
	const struct ssl_conn	*s;
	const char		*v[7];
	size_t			 i;

	if (!sc->client_headers && !sc->require_client_cert)
		return (PT_DECLINED);
	s = ssl_conn_of(pt_req_conn(r));
	if (sc->require_client_cert && ssl_require(r, s) != PT_OK)
		return (403);
	if (!sc->client_headers)
		return (PT_OK);
	for (i = 0; ssl_fields[i] != NULL; i++)
		pt_req_header_remove(r, ssl_fields[i]);
	if (s == NULL)
		return (PT_OK);
	v[0] = s->verify;
	v[1] = s->cert_verified ? s->s_dn : NULL;
	v[2] = s->cert_verified ? s->i_dn : NULL;
	v[3] = s->cert_verified ? s->serial : NULL;
	v[4] = s->cert_verified ? s->fingerprint : NULL;
	v[5] = SSL_get_version(s->ssl);
	v[6] = SSL_get_cipher_name(s->ssl);
	for (i = 0; ssl_fields[i] != NULL; i++)
		if (v[i] != NULL && v[i][0] != '\0' &&
		    pt_req_header_set(r, ssl_fields[i], v[i]) != PT_OK)
			PT_RLOG(r, PT_LOG_WARN, "cannot set %s", ssl_fields[i]);
	return (PT_OK);
}

static int
ssl_head(struct pt_filter *f, struct pt_request *r)
{
	const struct ssl_conf *sc = pt_module_conf(r, &portier_module);

	(void)f;
	if (sc->hsts[0] != '\0' && pt_conn_secure(pt_req_conn(r)))
		pt_resp_header_set(r, "Strict-Transport-Security", sc->hsts);
	return (PT_DECLINED);
}

static const struct pt_filter_def ssl_filter = {
	.name = "ssl",
	.head = ssl_head,
	.body = NULL,
};

static int
ssl_register(struct pt_hooks *h)
{
	/* Middle: needs nothing from other modules' post_config. */
	pt_hook_post_config(h, ssl_post_config, PT_ORDER_MIDDLE);
	pt_hook_child_init(h, ssl_child_init, PT_ORDER_MIDDLE);
	/*
	 * Early: the handshake must come before any module that reads the
	 * connection's bytes through its transport; passthrough takes the
	 * connection over before anything is read.
	 */
	pt_hook_connection(h, ssl_connection, PT_ORDER_EARLY);
	/*
	 * Early: a missing certificate is the cheapest refusal, and
	 * mod_headers (late) may still change the fields we set.
	 */
	pt_hook_fixups(h, ssl_fixups, PT_ORDER_EARLY);
	/* Late: near the client, a header only; mod_headers may remove it. */
	pt_hook_response_filter(h, &ssl_filter, PT_ORDER_LATE);
	/* Middle: TLS to the pools listed in upstreams. */
	pt_hook_upstream_transport(h, ssl_upstream_transport, PT_ORDER_MIDDLE);
	/* Middle: the same for health checks, in the helper. */
	pt_hook_upstream_check(h, ssl_upstream_check, PT_ORDER_MIDDLE);
	/* Middle: the ticket key rotation, in the helper process. */
	pt_hook_periodic(h, ssl_periodic, PT_ORDER_MIDDLE);
	return (0);
}

PT_API const struct pt_module portier_module = {
	PT_MODULE_HEADER,
	.name = "ssl",
	.version = "1.0",
	.directives = ssl_directives,
	.conf_size = sizeof(struct ssl_conf),
	.register_hooks = ssl_register,
};
