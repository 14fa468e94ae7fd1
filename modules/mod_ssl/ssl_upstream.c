/*
 * TLS to backends. The global directive upstreams = ( { pool = "app"; ... } )
 * names the pools whose servers speak TLS; one client SSL_CTX per entry is
 * built while the configuration parses (the master, before fork, so a bad
 * CA, certificate or key is a `portier -t` error with file and line).
 *
 * The upstream_transport hook runs for each new connection of those pools:
 * a blocking handshake on the socket's receive and send ticks (SO_RCVTIMEO
 * and SO_SNDTIMEO: OpenSSL reports WANT_READ or WANT_WRITE on each tick)
 * until the pool's connect_timeout, then a transport over SSL_read and
 * SSL_write. The SSL object lives in malloc'ed memory of its own: the
 * connection may be kept idle for reuse after the request is gone.
 *
 * Health checks in the helper process (the upstream_check hook) get the
 * same transport on a non-blocking socket: the handshake is then a step
 * function the checker calls whenever the socket is ready, and a failure
 * is the check's reason ("TLS certificate verification failed: ...").
 *
 * Session reuse: a per-process table keeps the last session per server
 * (pool, host, port); a new connection offers it. The table is filled by
 * the new-session callback, which also sees TLS 1.3 tickets that arrive
 * after the handshake.
 */
#define PT_LOG_TAG	"ssl"

#include "config.h"

#include <sys/uio.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <portier/arena.h>
#include <portier/conf.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>
#include <portier/upstream_io.h>

#include "ssl.h"

#define SSL_UP_WBUF	16384	/* one TLS record of plaintext */
#define SSL_UP_SESSIONS	64	/* servers remembered per process */

/* A connection's state: malloc'ed, freed by the transport's close. */
struct ssl_up_conn {
	SSL			*ssl;
	char			 label[320];	/* "pool: server host:port" */
	const struct ssl_upstream *up;		/* its session table key */
	char			 host[256];
	int			 port;
	int			 log_level;	/* of TLS errors on reads, writes */
	char			 wbuf[SSL_UP_WBUF];
};

/* The last session per server, per process. */
struct ssl_up_sess {
	const struct ssl_upstream *up;
	char			 host[256];
	int			 port;
	SSL_SESSION		*sess;
	unsigned long		 used;		/* for replacement: oldest goes */
};

static struct ssl_up_sess	ssl_up_sessions[SSL_UP_SESSIONS];
static unsigned long		ssl_up_clock;

/* Index of the connection (struct ssl_up_conn *) in each SSL. */
static int
ssl_up_ex_index(void)
{
	static int idx = -1;

	if (idx < 0)
		idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return (idx);
}

static void
ssl_up_ctx_free(void *p)
{
	SSL_CTX_free(p);
}

/* Encrypted keys would prompt on the terminal: refuse them instead. */
static int
ssl_up_no_pass(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return (0);
}

static bool
ssl_up_is_ip(const char *host)
{
	unsigned char	 b[16];
	char		 h[64];
	size_t		 n = strlen(host);

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' &&
	    n - 2 < sizeof(h)) {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		host = h;
	}
	return (inet_pton(AF_INET, host, b) == 1 ||
	    inet_pton(AF_INET6, host, b) == 1);
}

/* The table's slot for a server: found, or the oldest one, emptied. */
static struct ssl_up_sess *
ssl_up_slot(const struct ssl_upstream *up, const char *host, int port)
{
	struct ssl_up_sess	*e, *old = &ssl_up_sessions[0];
	size_t			 i;

	for (i = 0; i < SSL_UP_SESSIONS; i++) {
		e = &ssl_up_sessions[i];
		if (e->up == up && e->port == port &&
		    strcmp(e->host, host) == 0)
			return (e);
		if (e->used < old->used)
			old = e;
	}
	if (old->sess != NULL)
		SSL_SESSION_free(old->sess);
	memset(old, 0, sizeof(*old));
	old->up = up;
	old->port = port;
	snprintf(old->host, sizeof(old->host), "%s", host);
	return (old);
}

/* New-session callback: the latest resumable session replaces the last. */
static int
ssl_up_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct ssl_up_conn *uc = SSL_get_ex_data(ssl, ssl_up_ex_index());
	struct ssl_up_sess *e;

	if (uc == NULL || !SSL_SESSION_is_resumable(sess))
		return (0);
	/* Looked up again: the slot may have gone to another server since. */
	e = ssl_up_slot(uc->up, uc->host, uc->port);
	if (e->sess != NULL)
		SSL_SESSION_free(e->sess);
	e->sess = sess;		/* ours now: returning 1 keeps the reference */
	return (1);
}

/* Builds up's client context; errors go to cx at the entry. */
static int
ssl_up_build(struct pt_conf_ctx *cx, const config_setting_t *at,
    struct ssl_upstream *up)
{
	SSL_CTX	*ctx;
	char	 err[256];

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		pt_conf_error(cx, at, "cannot create a TLS context (%s)",
		    ssl_errstr(err, sizeof(err)));
		return (-1);
	}
	if (pt_arena_defer(pt_conf_arena(cx), ssl_up_ctx_free, ctx) != 0) {
		SSL_CTX_free(ctx);
		pt_conf_error(cx, at, "out of memory");
		return (-1);
	}
	up->ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	SSL_CTX_set_default_passwd_cb(ctx, ssl_up_no_pass);
	if (up->verify) {
		if (up->ca_file != NULL ?
		    SSL_CTX_load_verify_locations(ctx, up->ca_file, NULL) != 1 :
		    SSL_CTX_set_default_verify_paths(ctx) != 1) {
			pt_conf_error(cx, up->at_ca != NULL ? up->at_ca : at,
			    "no CA certificate read from %s (%s)",
			    up->ca_file != NULL ? up->ca_file :
			    "the system's default paths",
			    ssl_errstr(err, sizeof(err)));
			return (-1);
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (up->cert != NULL) {
		if (SSL_CTX_use_certificate_chain_file(ctx, up->cert) != 1) {
			pt_conf_error(cx, up->at_cert, "cannot read the "
			    "certificate chain %s (%s)", up->cert,
			    ssl_errstr(err, sizeof(err)));
			return (-1);
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, up->key,
		    SSL_FILETYPE_PEM) != 1) {
			pt_conf_error(cx, up->at_key, "cannot read the key %s "
			    "(%s; encrypted keys are not supported)", up->key,
			    ssl_errstr(err, sizeof(err)));
			return (-1);
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
			pt_conf_error(cx, up->at_key, "the key %s does not match "
			    "the certificate %s (%s)", up->key, up->cert,
			    ssl_errstr(err, sizeof(err)));
			return (-1);
		}
	}
	if (up->session_reuse) {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, ssl_up_new_session);
	} else {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	}
	return (0);
}

/* An optional string member; "" allowed when empty_ok. */
static const char *
ssl_up_str(struct pt_conf_ctx *cx, const config_setting_t *rec,
    const char *name, bool empty_ok, bool *bad)
{
	const config_setting_t *m;

	if ((m = config_setting_get_member(rec, name)) == NULL)
		return (NULL);
	if (config_setting_type(m) != CONFIG_TYPE_STRING ||
	    (!empty_ok && config_setting_get_string(m)[0] == '\0')) {
		pt_conf_error(cx, m, "%s: expected a string", name);
		*bad = true;
		return (NULL);
	}
	return (pt_strdup(pt_conf_arena(cx), config_setting_get_string(m)));
}

/*
 * What an entry is for: a pool (checked against the core's upstreams once
 * they are parsed) or the authority of ad-hoc origins, such as a rewrite
 * rule's proxy URL ("host:port", or "host" for 443). Keys are compared
 * with the pool name the core gives the transport hook.
 */
static const char *
ssl_up_target(struct pt_conf_ctx *cx, const config_setting_t *e, bool *bad)
{
	const char	*pool, *auth;

	pool = ssl_up_str(cx, e, "pool", false, bad);
	auth = ssl_up_str(cx, e, "authority", false, bad);
	if (pool != NULL && auth != NULL) {
		pt_conf_error(cx, e, "give pool or authority, not both");
		*bad = true;
		return (NULL);
	}
	if (pool == NULL && auth == NULL) {
		if (!*bad)
			pt_conf_error(cx, e, "each entry needs pool = \"name\" "
			    "(an upstream pool whose servers speak TLS) or "
			    "authority = \"host:port\" (ad-hoc origins)");
		*bad = true;
		return (NULL);
	}
	if (pool != NULL)
		pt_conf_need_upstream(cx, config_setting_get_member(e,
		    "pool"), pool);
	return (pool != NULL ? pool : auth);
}

static bool
ssl_up_bool(struct pt_conf_ctx *cx, const config_setting_t *rec,
    const char *name, bool def, bool *bad)
{
	const config_setting_t *m;

	if ((m = config_setting_get_member(rec, name)) == NULL)
		return (def);
	if (config_setting_type(m) != CONFIG_TYPE_BOOL) {
		pt_conf_error(cx, m, "%s: expected true or false", name);
		*bad = true;
		return (def);
	}
	return (config_setting_get_bool(m) != 0);
}

static const char *
ssl_up_file(struct pt_conf_ctx *cx, const config_setting_t *rec,
    const char *name, const config_setting_t **at, bool *bad)
{
	const config_setting_t *m;

	if ((*at = m = config_setting_get_member(rec, name)) == NULL)
		return (NULL);
	if (config_setting_type(m) != CONFIG_TYPE_STRING ||
	    config_setting_get_string(m)[0] == '\0') {
		pt_conf_error(cx, m, "%s: expected a file name", name);
		*bad = true;
		return (NULL);
	}
	return (pt_conf_path(cx, m, config_setting_get_string(m)));
}

/*
 * upstreams = ( { pool = "app"; verify = true; ca_file = "ca.pem";
 * sni = "app.internal"; verify_name = "app.internal"; cert = "c.pem";
 * key = "c.key"; session_reuse = true; } ): one client context per entry.
 */
const char *
ssl_parse_upstreams(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	static const char *const keys[] = { "pool", "authority", "verify",
	    "ca_file", "sni", "verify_name", "cert", "key", "session_reuse",
	    NULL };
	struct pt_arena		 *a = pt_conf_arena(cx);
	const struct ssl_upstreams **fp = field;
	struct ssl_upstreams	 *l;
	struct ssl_upstream	 *up;
	const config_setting_t	 *e;
	unsigned int		  i, n;
	size_t			  j;
	bool			  bad;

	if (!config_setting_is_list(s))
		return ("expected a list ( { pool = \"app\"; ca_file = "
		    "\"ca.pem\"; } )");
	n = (unsigned int)config_setting_length(s);
	if ((l = pt_calloc(a, 1, sizeof(*l))) == NULL ||
	    (l->v = pt_calloc(a, n + 1, sizeof(*l->v))) == NULL)
		return ("out of memory");
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (!config_setting_is_group(e)) {
			pt_conf_error(cx, e, "expected a group { pool = \"app\"; "
			    "... }");
			continue;
		}
		bad = false;
		for (j = 0; ; j++) {
			const config_setting_t *m = config_setting_get_elem(e,
			    (unsigned int)j);
			size_t k;

			if (m == NULL)
				break;
			for (k = 0; keys[k] != NULL; k++)
				if (strcmp(keys[k], config_setting_name(m)) == 0)
					break;
			if (keys[k] == NULL) {
				pt_conf_error(cx, m, "unknown key \"%s\" (pool, "
				    "authority, verify, ca_file, sni, verify_name, cert, "
				    "key, session_reuse)",
				    config_setting_name(m));
				bad = true;
			}
		}
		up = &l->v[l->n];
		memset(up, 0, sizeof(*up));
		up->pool = ssl_up_target(cx, e, &bad);
		up->verify = ssl_up_bool(cx, e, "verify", true, &bad);
		up->session_reuse = ssl_up_bool(cx, e, "session_reuse", true,
		    &bad);
		up->sni = ssl_up_str(cx, e, "sni", true, &bad);
		up->verify_name = ssl_up_str(cx, e, "verify_name", false, &bad);
		up->ca_file = ssl_up_file(cx, e, "ca_file", &up->at_ca, &bad);
		up->cert = ssl_up_file(cx, e, "cert", &up->at_cert, &bad);
		up->key = ssl_up_file(cx, e, "key", &up->at_key, &bad);
		if ((up->at_cert == NULL) != (up->at_key == NULL) && !bad) {
			pt_conf_error(cx, e, "a client certificate needs both "
			    "cert and key");
			bad = true;
		}
		for (j = 0; !bad && j < l->n; j++)
			if (strcmp(l->v[j].pool, up->pool) == 0) {
				pt_conf_error(cx, e, "pool \"%s\" is already "
				    "listed", up->pool);
				bad = true;
			}
		if (!bad && ssl_up_build(cx, e, up) == 0)
			l->n++;
		/* The settings go with the parse; never keep them. */
		up->at_ca = up->at_cert = up->at_key = NULL;
	}
	*fp = l;
	return (NULL);
}

/* Who a backend's TLS error is about: logged at warn, with the pool. */
static struct ssl_rec_who
ssl_up_who(const struct ssl_up_conn *uc)
{
	struct ssl_rec_who w = { PT_LOG_WARN, "upstream", "" };

	w.level = uc->log_level;
	w.name = uc->label;
	return (w);
}

static ssize_t
ssl_up_read(void *ctx, int fd, void *buf, size_t len)
{
	struct ssl_up_conn	*uc = ctx;
	struct ssl_rec_who	 w = ssl_up_who(uc);

	(void)fd;
	return (ssl_rec_read(uc->ssl, buf, len, &w));
}

static ssize_t
ssl_up_writev(void *ctx, int fd, const struct iovec *iov, int n)
{
	struct ssl_up_conn	*uc = ctx;
	struct ssl_rec_who	 w = ssl_up_who(uc);

	(void)fd;
	return (ssl_rec_writev(uc->ssl, uc->wbuf, SSL_UP_WBUF, iov, n, &w));
}

/* close_notify, best effort (never waits for the server's), and free. */
static void
ssl_up_close(void *ctx)
{
	struct ssl_up_conn *uc = ctx;

	if (uc == NULL)
		return;
	if (uc->ssl != NULL) {
		ERR_clear_error();
		/* Quiet when the connection already failed. */
		if ((SSL_get_shutdown(uc->ssl) & SSL_SENT_SHUTDOWN) == 0 &&
		    SSL_is_init_finished(uc->ssl))
			(void)SSL_shutdown(uc->ssl);
		ERR_clear_error();
		SSL_free(uc->ssl);
	}
	free(uc);
}

static const struct pt_upstream_io ssl_up_io = {
	.name = "tls",
	.read = ssl_up_read,
	.writev = ssl_up_writev,
	.close = ssl_up_close,
};

static const struct ssl_upstream *
ssl_up_find(const struct ssl_upstreams *l, const char *pool)
{
	size_t i;

	if (l == NULL || pool == NULL)
		return (NULL);
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].pool, pool) == 0)
			return (&l->v[i]);
	return (NULL);
}

/* Why a handshake failed (err from SSL_get_error), in why. */
static void
ssl_up_why(SSL *ssl, int err, char *why, size_t len)
{
	char	buf[256];
	long	vr;

	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
		snprintf(why, len, "TLS handshake timed out");
	else if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK)
		snprintf(why, len, "TLS certificate verification failed: %s",
		    X509_verify_cert_error_string(vr));
	else if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		snprintf(why, len, "TLS handshake failed: %s", errno != 0 ?
		    strerror(errno) : "connection closed by the server");
	else
		snprintf(why, len, "TLS handshake failed: %s",
		    ssl_errstr(buf, sizeof(buf)));
}

/* A session that failed may be why: never offer it again. */
static void
ssl_up_forget(struct ssl_up_conn *uc)
{
	struct ssl_up_sess *e;

	if (uc->up == NULL)
		return;
	e = ssl_up_slot(uc->up, uc->host, uc->port);
	if (e->sess != NULL) {
		SSL_SESSION_free(e->sess);
		e->sess = NULL;
	}
}

/* The handshake, until deadline; 0, or -1 with the reason in why. */
static int
ssl_up_handshake(SSL *ssl, long long deadline, char *why, size_t len)
{
	int	rc, err;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		if ((rc = SSL_connect(ssl)) == 1)
			return (0);
		err = SSL_get_error(ssl, rc);
		if ((err == SSL_ERROR_WANT_READ ||
		    err == SSL_ERROR_WANT_WRITE) && ssl_now_ms() < deadline)
			continue;
		break;
	}
	ssl_up_why(ssl, err, why, len);
	return (-1);
}

/* The health checker's handshake step (non-blocking socket). */
static int
ssl_up_step(void *ctx, char *why, size_t len)
{
	struct ssl_up_conn	*uc = ctx;
	int			 rc, err;

	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_connect(uc->ssl)) == 1)
		return (PT_OK);
	err = SSL_get_error(uc->ssl, rc);
	if (err == SSL_ERROR_WANT_READ)
		return (PT_UPSTREAM_WANT_READ);
	if (err == SSL_ERROR_WANT_WRITE)
		return (PT_UPSTREAM_WANT_WRITE);
	ssl_up_why(uc->ssl, err, why, len);
	ssl_up_forget(uc);
	return (PT_ERROR);
}

/*
 * A connection's TLS state for up's server host:port on fd, before the
 * handshake: SNI, the name to verify, the session to offer. NULL when it
 * cannot be set up (logged).
 */
static struct ssl_up_conn *
ssl_up_open(const struct ssl_upstream *up, int fd, const char *host, int port,
    struct pt_request *r)
{
	struct ssl_up_conn	*uc;
	struct ssl_up_sess	*e;
	const char		*sni, *vname;
	char			 err[256], bare[64];
	bool			 ip;
	SSL			*ssl;
	X509_VERIFY_PARAM	*vp;
	size_t			 hl;

	if (host == NULL)
		host = "";
	/* "[::1]" as configured: the bare address for verification. */
	hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']' &&
	    hl - 2 < sizeof(bare)) {
		memcpy(bare, host + 1, hl - 2);
		bare[hl - 2] = '\0';
		host = bare;
	}
	ip = ssl_up_is_ip(host);
	if ((uc = calloc(1, sizeof(*uc))) == NULL) {
		PT_RLOG(r, PT_LOG_ERR, "upstream %s: out of memory", up->pool);
		return (NULL);
	}
	uc->log_level = PT_LOG_WARN;
	snprintf(uc->label, sizeof(uc->label), "%s: server %s:%d", up->pool,
	    host, port);
	ERR_clear_error();
	if ((uc->ssl = ssl = SSL_new(up->ctx)) == NULL ||
	    SSL_set_fd(ssl, fd) != 1) {
		PT_RLOG(r, PT_LOG_ERR, "upstream %s: server %s:%d: cannot set "
		    "up TLS (%s)", up->pool, host, port,
		    ssl_errstr(err, sizeof(err)));
		ssl_up_close(uc);
		return (NULL);
	}
	sni = up->sni != NULL ? up->sni : (ip ? "" : host);
	if (sni[0] != '\0' && SSL_set_tlsext_host_name(ssl, sni) != 1)
		PT_RLOG(r, PT_LOG_WARN, "upstream %s: cannot send SNI %s",
		    up->pool, sni);
	if (up->verify) {
		vname = up->verify_name != NULL ? up->verify_name : host;
		vp = SSL_get0_param(ssl);
		X509_VERIFY_PARAM_set_hostflags(vp,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if ((up->verify_name == NULL && ip ?
		    X509_VERIFY_PARAM_set1_ip_asc(vp, vname) :
		    X509_VERIFY_PARAM_set1_host(vp, vname, 0)) != 1) {
			PT_RLOG(r, PT_LOG_ERR, "upstream %s: bad verify name %s",
			    up->pool, vname);
			ssl_up_close(uc);
			return (NULL);
		}
	}
	if (up->session_reuse) {
		e = ssl_up_slot(up, host, port);
		e->used = ++ssl_up_clock;
		uc->up = up;
		uc->port = port;
		snprintf(uc->host, sizeof(uc->host), "%s", host);
		SSL_set_ex_data(ssl, ssl_up_ex_index(), uc);
		if (e->sess != NULL)
			SSL_set_session(ssl, e->sess);
	}
	return (uc);
}

/* upstream_transport: TLS for the pools listed in upstreams. */
int
ssl_upstream_transport(struct pt_upstream *u)
{
	struct pt_request	*r = pt_upstream_request(u);
	const struct ssl_conf	*sc = pt_module_conf(r, &portier_module);
	const struct ssl_upstream *up;
	struct ssl_up_conn	*uc;
	char			 why[320];

	if ((up = ssl_up_find(sc->upstreams, pt_upstream_pool(u))) == NULL)
		return (PT_DECLINED);
	if ((uc = ssl_up_open(up, pt_upstream_fd(u), pt_upstream_host(u),
	    pt_upstream_port(u), r)) == NULL)
		return (PT_ERROR);
	if (ssl_up_handshake(uc->ssl, ssl_now_ms() +
	    pt_upstream_connect_timeout(u), why, sizeof(why)) == -1) {
		PT_RLOG(r, PT_LOG_ERR, "upstream %s: %s", uc->label, why);
		ssl_up_forget(uc);
		ssl_up_close(uc);
		return (PT_ERROR);
	}
	PT_RLOG(r, PT_LOG_DEBUG, "upstream %s: %s %s%s", uc->label,
	    SSL_get_version(uc->ssl), SSL_get_cipher_name(uc->ssl),
	    SSL_session_reused(uc->ssl) ? " (resumed)" : "");
	pt_upstream_set_io(u, &ssl_up_io, uc);
	return (PT_OK);
}

/*
 * upstream_check: the same for a health check in the helper, whose
 * checker runs the handshake step by step. Its TLS errors after the
 * handshake go to the log at debug: the check's result names them.
 */
int
ssl_upstream_check(struct pt_upstream *u)
{
	const struct ssl_conf	*sc;
	const struct ssl_upstream *up;
	struct ssl_up_conn	*uc;

	sc = pt_module_conf_global(pt_upstream_conf(u), &portier_module);
	if ((up = ssl_up_find(sc->upstreams, pt_upstream_pool(u))) == NULL)
		return (PT_DECLINED);
	if ((uc = ssl_up_open(up, pt_upstream_fd(u), pt_upstream_host(u),
	    pt_upstream_port(u), NULL)) == NULL)
		return (PT_ERROR);
	uc->log_level = PT_LOG_DEBUG;
	pt_upstream_set_io(u, &ssl_up_io, uc);
	pt_upstream_set_handshake(u, ssl_up_step);
	return (PT_OK);
}
