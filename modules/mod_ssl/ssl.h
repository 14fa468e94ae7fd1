/*
 * mod_ssl's private declarations, shared by its files:
 *   ssl.c          the module: directive table, hooks, request side
 *   ssl_conf.c     directive callbacks (certificates, protocols, ...)
 *   ssl_ctx.c      one SSL_CTX per server, built while the config parses
 *   ssl_ocsp.c     stapled OCSP responses read from files
 *   ssl_sni.c      per-listener SNI tables, the ClientHello callback, ALPN
 *   ssl_session.c  session cache on the store, ticket keys in shm
 *   ssl_io.c       the connection hook: peek, handshake, the transport
 *   ssl_pass.c     SNI passthrough (relay without terminating)
 *   ssl_upstream.c TLS to backends (the upstream_transport hook)
 *   ssl_util.c     pure logic (no OpenSSL objects): unit-tested
 */
#ifndef PT_MOD_SSL_H
#define PT_MOD_SSL_H

#include <sys/socket.h>
#include <sys/uio.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include <portier/conf.h>
#include <portier/shm.h>
#include <portier/types.h>

#include "ssl_util.h"

struct pt_arena;
struct pt_conf;
struct pt_conf_ctx;
struct pt_module;
struct pt_conn;

PT_API extern const struct pt_module portier_module;

#define PT_SSL_CERTS_MAX	8	/* one per key type, at most */

enum ssl_verify_mode { SSL_VC_OFF, SSL_VC_OPTIONAL, SSL_VC_REQUIRED };

/* One entry of certificates = ( { cert; key; ocsp; } ). */
struct ssl_cert_spec {
	const char		*cert;		/* absolute: the chain, leaf first */
	const char		*key;
	const char		*ocsp;		/* DER OCSP response, or NULL */
	const config_setting_t	*at_cert, *at_key, *at_ocsp; /* for errors */
};

struct ssl_server;

/* The certificates field: the list, and the context built from it. */
struct ssl_certs {
	struct ssl_cert_spec	*v;
	size_t			 n;
	struct ssl_server	*srv;		/* NULL when it failed to build */
};

/* A passthrough rule: names relayed to address without terminating. */
struct ssl_pass_rule {
	struct pt_strlist	 names;		/* "*": any name, or none */
	const char		*address;	/* "host:port", as configured */
	struct sockaddr_storage	 addr;		/* resolved at load */
	socklen_t		 addrlen;
	const config_setting_t	*at;		/* during the parse only */
};

struct ssl_pass {
	struct ssl_pass_rule	*v;
	size_t			 n;
};

/* One entry of upstreams = ( { pool = "app"; ... } ): TLS to a pool. */
struct ssl_upstream {
	const char		*pool;
	bool			 verify;	/* default true */
	const char		*ca_file;	/* NULL: the system's CAs */
	const char		*sni;		/* NULL: the server's host; "": none */
	const char		*verify_name;	/* NULL: the server's host */
	const char		*cert, *key;	/* client certificate, or NULL */
	bool			 session_reuse;	/* default true */
	SSL_CTX			*ctx;		/* built while parsing */
	const config_setting_t	*at_ca, *at_cert, *at_key; /* parse only */
};

struct ssl_upstreams {
	struct ssl_upstream	*v;
	size_t			 n;
};

/* The module's block (global, server, route). */
struct ssl_conf {
	const struct ssl_certs	*certs;		/* NULL: no TLS for this server */
	struct pt_strlist	 protocols;
	const char		*ciphers;	/* TLS 1.2 and older */
	const char		*ciphersuites;	/* TLS 1.3 */
	struct pt_strlist	 groups;
	bool			 prefer_server_ciphers;
	long long		 handshake_timeout;	/* ms */
	bool			 session_cache;
	long long		 session_timeout;	/* ms */
	bool			 session_tickets;
	long long		 ticket_rotate;		/* ms; global */
	long long		 num_tickets;		/* TLS 1.3, per handshake */
	int			 verify_client;		/* enum ssl_verify_mode */
	const char		*ca_file;
	long long		 verify_depth;
	const char		*crl_file;
	bool			 require_client_cert;
	bool			 client_headers;
	const char		*hsts;			/* "" = none */
	const struct ssl_pass	*passthrough;		/* server: relay by SNI */
	const struct ssl_upstreams *upstreams;		/* global: TLS to pools */

	/* Not directives. Global block: set by post_config. */
	struct ssl_keyring	*keys;
};

/* OCSP response for one certificate of a server (ssl_ocsp.c). */
struct ssl_ocsp {
	X509			*cert;
	unsigned char		*der;		/* OPENSSL_malloc'ed */
	size_t			 len;
};

/* A server's TLS context and what a SNI switch must copy onto an SSL. */
struct ssl_server {
	SSL_CTX			*ctx;
	const struct ssl_conf	*conf;
	const char		*ciphers, *suites, *groups;
	struct ssl_ocsp		 ocsp[PT_SSL_CERTS_MAX];
	size_t			 nocsp;
};

/* A listener's TLS servers, by name (ssl_sni.c). Per worker process. */
struct ssl_sni_entry {
	const char		*name;		/* lowercase; "*.x" or ".x" wildcard */
	const struct ssl_server	*srv;
};

struct ssl_listener {
	const char		*text;		/* as configured */
	long long		 timeout;	/* handshake (and peek), ms */
	const struct ssl_server	*dflt;		/* first TLS server on it */
	struct ssl_sni_entry	*names;
	size_t			 nnames;
	const struct ssl_pass	*pass;		/* passthrough rules, or NULL */
	struct ssl_listener	*next;
};

/* A terminated connection (ssl_io.c), in the connection's arena. */
struct ssl_conn {
	SSL			*ssl;
	struct pt_conn		*c;
	const struct ssl_listener *lst;
	const struct ssl_server	*srv;		/* chosen by SNI */
	char			 sni[256];	/* "" when none was sent */
	char			*wbuf;		/* gathers small writes */
	size_t			 wcap;
	bool			 cert_verified;	/* a client certificate passed */
	/* The client certificate, for variables and forwarded fields. */
	const char		*verify;	/* NONE, SUCCESS, FAILED:reason */
	const char		*s_dn, *i_dn;	/* RFC 2253 */
	const char		*serial;	/* hex */
	const char		*fingerprint;	/* SHA-256, hex */
};

/* Ticket keys shared by all workers and generations (ssl_session.c). */
#define SSL_TK_MAGIC	0x70746b32u	/* "ptk2" */
#define SSL_TK_KEYS	3		/* [0] encrypts; all decrypt */

struct ssl_tkey {
	unsigned char		 name[16];
	unsigned char		 aes[32];
	unsigned char		 hmac[32];
};

struct ssl_keyring {
	uint32_t		 magic;
	uint32_t		 n;		/* valid keys */
	int64_t			 rotated_at;	/* wall clock, seconds */
	uint64_t		 rotations;
	struct pt_mutex		 mx;
	struct ssl_tkey		 keys[SSL_TK_KEYS];
};

/* ssl_conf.c */
const char	*ssl_parse_certs(struct pt_conf_ctx *, const config_setting_t *,
		    void *field);
const char	*ssl_check_certs(struct pt_conf_ctx *, const config_setting_t *,
		    void *field);
const char	*ssl_check_protocols(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
const char	*ssl_check_ciphers(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
const char	*ssl_check_suites(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
const char	*ssl_check_groups(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
const char	*ssl_check_require(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
const char	*ssl_check_hsts(struct pt_conf_ctx *, const config_setting_t *,
		    void *field);
const char	*ssl_check_ca(struct pt_conf_ctx *, const config_setting_t *,
		    void *field);
const char	*ssl_check_crl(struct pt_conf_ctx *, const config_setting_t *,
		    void *field);
const char	*ssl_parse_pass(struct pt_conf_ctx *, const config_setting_t *,
		    void *field);
/* "X25519:P-256" from a list, in a; NULL when out of memory. */
const char	*ssl_groups_join(struct pt_arena *, const struct pt_strlist *);

/* ssl_ctx.c */
/* Builds s's context from the block c; errors go to cx at the settings. */
struct ssl_server *ssl_server_build(struct pt_conf_ctx *, const struct ssl_conf *,
		    struct ssl_certs *);
/* The OpenSSL error queue as one line (emptied), in buf. */
const char	*ssl_errstr(char *buf, size_t len);

/* ssl_rec.c: plaintext through an SSL for both sides. who names the peer
 * in the log line of a TLS error ("client 10.0.0.7", "upstream app"). */
struct ssl_rec_who {
	int		 level;		/* log level of a TLS error */
	const char	*kind;		/* "client", "upstream" */
	const char	*name;
};
int		 ssl_rec_errno(SSL *, int err, const struct ssl_rec_who *);
ssize_t		 ssl_rec_read(SSL *, void *, size_t, const struct ssl_rec_who *);
int		 ssl_rec_write(SSL *, const void *, size_t,
		    const struct ssl_rec_who *);
ssize_t		 ssl_rec_writev(SSL *, char *wbuf, size_t wcap,
		    const struct iovec *, int n, const struct ssl_rec_who *);
int		 ssl_ex_index(void);
/* Makes ssl use srv's context and settings (a SNI switch). */
int		 ssl_server_apply(SSL *, const struct ssl_server *);

/* ssl_ocsp.c */
int		 ssl_ocsp_load(struct pt_conf_ctx *, struct ssl_server *,
		    const struct ssl_cert_spec *, X509 *leaf, STACK_OF(X509) *chain);
int		 ssl_ocsp_cb(SSL *, void *);

/* ssl_sni.c */
/* Per process: the listeners that serve TLS or passthrough in conf. */
int		 ssl_listeners_build(const struct pt_conf *);
const struct ssl_listener *ssl_listener_find(const char *text);
const struct ssl_server *ssl_listener_server(const struct ssl_listener *,
		    const char *host);
int		 ssl_hello_cb(SSL *, int *al, void *arg);
int		 ssl_alpn_cb(SSL *, const unsigned char **out, unsigned char *outlen,
		    const unsigned char *in, unsigned int inlen, void *arg);

/* ssl_session.c */
void		 ssl_session_setup(SSL_CTX *, const struct ssl_conf *);
/* post_config: the keyring segment, fresh keys when new. */
struct ssl_keyring *ssl_keyring_attach(void);
void		 ssl_keyring_use(struct ssl_keyring *);	/* per process */
long long	 ssl_keyring_periodic(struct ssl_keyring *, long long rotate_ms);

/* ssl_io.c */
int		 ssl_connection(struct pt_conn *);
/* The TLS state of c when mod_ssl terminates it, else NULL. */
struct ssl_conn	*ssl_conn_of(struct pt_conn *);
long long	 ssl_now_ms(void);

/* ssl_pass.c */
/* Relays c by its ClientHello's SNI; PT_DONE, PT_ERROR, PT_DECLINED. */
int		 ssl_passthrough(struct pt_conn *, const struct ssl_listener *,
		    long long deadline);

/* ssl_upstream.c */
struct pt_upstream;
const char	*ssl_parse_upstreams(struct pt_conf_ctx *,
		    const config_setting_t *, void *field);
int		 ssl_upstream_transport(struct pt_upstream *);
int		 ssl_upstream_check(struct pt_upstream *);

#endif /* PT_MOD_SSL_H */
