/*
 * The core's access checks at request time: the access rules of the
 * request's route (first matching rule wins; none allows), then Basic
 * authentication, with verified credentials cached in the store since a
 * bcrypt check costs tens of milliseconds. Parsing the rules and the
 * htpasswd file is conf_access.c and auth_htpasswd.c.
 */
#include "config.h"

#include "route.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <portier/request.h>
#include <portier/store.h>
#include "auth.h"
#include "core.h"

#define AUTH_TOKEN_MAX	4096	/* base64 credentials we look at */
#define AUTH_KEY_PREFIX	"auth:"

static const struct core_scope *
access_scope(const struct pt_request *r)
{
	if (r->route != NULL)
		return (&r->route->sc);
	return (r->srv != NULL ? &r->srv->sc : &r->conf->sc);
}

/* A user name safe to log: printable ASCII, at most 64 bytes. */
static void
log_name(char *out, size_t outlen, const char *s, size_t len)
{
	size_t i;

	if (len >= outlen)
		len = outlen - 1;
	for (i = 0; i < len; i++)
		out[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[len] = '\0';
}

/*
 * "auth:" and the hex SHA-256 of realm, user, password and the stored
 * hash (each NUL-terminated): the password never reaches the store, and
 * a changed password or realm misses.
 */
static int
auth_cache_key(const struct conf_auth *au, const char *user,
    const char *pass, const char *hash, char *key, size_t keylen)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;
	EVP_MD_CTX		*ctx;
	int			 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return (-1);
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, au->realm, strlen(au->realm) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, user, strlen(user) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, pass, strlen(pass) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, hash, strlen(hash) + 1) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok || keylen < sizeof(AUTH_KEY_PREFIX) + 2 * mdlen)
		return (-1);
	memcpy(key, AUTH_KEY_PREFIX, sizeof(AUTH_KEY_PREFIX) - 1);
	key += sizeof(AUTH_KEY_PREFIX) - 1;
	for (i = 0; i < mdlen; i++) {
		*key++ = hex[md[i] >> 4];
		*key++ = hex[md[i] & 15];
	}
	*key = '\0';
	explicit_bzero(md, sizeof(md));
	return (0);
}

/*
 * "Basic" 1*SP token68 (RFC 7617): decodes "user:password" into buf
 * (NUL-terminated at the colon and the end). 0, or -1 when malformed.
 */
static int
auth_basic_decode(const char *v, char *buf, size_t buflen, char **user,
    char **pass)
{
	size_t	 len, pad = 0;
	int	 n;
	char	*colon;

	if (strncasecmp(v, "Basic", 5) != 0 || (v[5] != ' ' && v[5] != '\t'))
		return (-1);
	for (v += 5; *v == ' ' || *v == '\t'; v++)
		;
	len = strcspn(v, " \t");
	if (len == 0 || len % 4 != 0 || len > AUTH_TOKEN_MAX ||
	    v[len] != '\0' || buflen < len / 4 * 3 + 1)
		return (-1);
	if (v[len - 1] == '=')
		pad = v[len - 2] == '=' ? 2 : 1;
	if ((n = EVP_DecodeBlock((unsigned char *)buf,
	    (const unsigned char *)v, (int)len)) < 0 || (size_t)n < pad)
		return (-1);
	n -= (int)pad;
	buf[n] = '\0';
	/* A NUL inside would cut the password short for crypt(3). */
	if (memchr(buf, '\0', (size_t)n) != NULL ||
	    (colon = strchr(buf, ':')) == NULL || colon == buf)
		return (-1);
	*colon = '\0';
	*user = buf;
	*pass = colon + 1;
	return (0);
}

/* Whether the credentials were verified recently (a cache hit). */
static bool
auth_cached(const char *key)
{
	char	v[8];
	size_t	vlen = sizeof(v);

	return (pt_store_get(key, strlen(key), v, &vlen) == PT_OK);
}

int
auth_basic_check(struct pt_request *r, const struct conf_auth *au,
    const char *value, const char **user_out)
{
	const struct htpasswd_user	*u;
	char				 buf[AUTH_TOKEN_MAX / 4 * 3 + 1];
	char				 key[128], name[65];
	char				*user, *pass;
	int				 rc = PT_DECLINED;
	bool				 cache = au->cache_ms > 0, hit = false;

	*user_out = NULL;
	if (value == NULL || au->users == NULL)
		return (PT_DECLINED);
	if (auth_basic_decode(value, buf, sizeof(buf), &user, &pass) == -1) {
		PT_RLOG(r, PT_LOG_INFO, "auth \"%s\": malformed credentials",
		    au->realm);
		return (PT_DECLINED);
	}
	u = htpasswd_find(au->users, user, strlen(user));
	key[0] = '\0';
	if (u != NULL && cache && auth_cache_key(au, user, pass, u->hash, key,
	    sizeof(key)) == -1)
		key[0] = '\0';
	if (key[0] != '\0' && auth_cached(key)) {
		rc = PT_OK;
		hit = true;
	} else if (u == NULL) {
		/* As long as a wrong password: names cannot be probed. */
		if (au->users->dummy != NULL)
			(void)htpasswd_verify(au->users->dummy, pass);
	} else if (htpasswd_verify(u->hash, pass)) {
		rc = PT_OK;
		if (key[0] != '\0' &&
		    pt_store_set(key, strlen(key), "1", 1, au->cache_ms) != 0)
			PT_RLOG(r, PT_LOG_DEBUG, "auth: cannot cache");
	}
	log_name(name, sizeof(name), user, strlen(user));
	if (rc == PT_OK) {
		*user_out = pt_strdup(r->arena, user);
		/* Which one it was: a hash costs milliseconds, a hit nothing. */
		PT_RLOG(r, PT_LOG_DEBUG, "auth \"%s\": user \"%s\": %s",
		    au->realm, name, hit ? "credentials cache hit" :
		    "password hash checked");
	} else {
		PT_RLOG(r, PT_LOG_NOTICE, "auth \"%s\": user \"%s\": %s",
		    au->realm, name, u == NULL ? "unknown user" :
		    "wrong password");
	}
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(key, sizeof(key));
	return (rc == PT_OK && *user_out == NULL ? PT_DECLINED : rc);
}

int
auth_basic_challenge(struct pt_request *r, const struct conf_auth *au,
    const char *field)
{
	char *v;

	v = pt_printf(r->arena, "Basic realm=\"%s\", charset=\"UTF-8\"",
	    au->realm);
	if (v == NULL || resp_field_add(r, field, v) != 0)
		return (PT_ERROR);
	return (PT_OK);
}

/* The first rule matching the client decides; no rules allows. */
static bool
access_allowed(const struct core_scope *sc, const struct pt_request *r,
    const struct conf_access_rule **which)
{
	const struct conf_access_rule	*rule;
	size_t				 i;

	for (i = 0; i < sc->naccess; i++) {
		rule = &sc->access[i];
		if (rule->all ||
		    cidr_list_match(&rule->addrs, &r->conn->peer)) {
			*which = rule;
			return (rule->allow);
		}
	}
	*which = NULL;
	return (true);
}

int
access_check(struct pt_request *r)
{
	const struct core_scope		*sc = access_scope(r);
	const struct conf_access_rule	*rule;
	struct pt_str			 v;
	const char			*value = NULL, *user;

	if (!access_allowed(sc, r, &rule)) {
		PT_RLOG(r, PT_LOG_INFO, "access denied by the rule at %s:%d",
		    rule->file, rule->line);
		return (403);
	}
	if (sc->auth == NULL)
		return (PT_OK);
	if (pt_req_header(r, "Authorization", &v) &&
	    (value = pt_strndup(r->arena, v.p, v.len)) == NULL)
		return (500);
	if (auth_basic_check(r, sc->auth, value, &user) != PT_OK) {
		if (auth_basic_challenge(r, sc->auth, "WWW-Authenticate") !=
		    PT_OK)
			return (500);
		return (401);
	}
	r->user = user;
	return (PT_OK);
}
