/*
 * Basic authentication: htpasswd files and password verification
 * (auth_htpasswd.c, pure), and the request side shared by routes and the
 * forward proxy (access.c).
 */
#ifndef PT_AUTH_H
#define PT_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct pt_arena;
struct pt_request;
struct conf_auth;

struct htpasswd_user {
	const char	*name;
	const char	*hash;		/* crypt(3) string */
	unsigned int	 line;
};

struct htpasswd {
	struct htpasswd_user	*v;	/* sorted by name */
	size_t			 n;
	/*
	 * The costliest hash of the file: checked against the password of
	 * an unknown user, so that a wrong name takes as long as a wrong
	 * password. NULL when the file has no users.
	 */
	const char		*dummy;
};

/* An error in an htpasswd file at line (0: the file as a whole). */
typedef void	(*htpasswd_err_fn)(void *arg, unsigned int line,
		    const char *msg);

/* auth_htpasswd.c */
/*
 * Parses "user:hash" lines ('#' comments, blank lines) into the arena.
 * Every bad line goes to err; returns NULL when there was any (*nerrors).
 */
struct htpasswd	*htpasswd_parse(struct pt_arena *, const char *text,
		    size_t len, htpasswd_err_fn err, void *arg, int *nerrors);
/* Reads and parses path; errors as for htpasswd_parse. */
struct htpasswd	*htpasswd_load(struct pt_arena *, const char *path,
		    htpasswd_err_fn err, void *arg, int *nerrors);
const struct htpasswd_user *htpasswd_find(const struct htpasswd *,
		    const char *user, size_t len);
/* NULL when crypt(3) can check hash here, else why not. */
const char	*htpasswd_hash_check(const char *hash);
/*
 * Whether password hashes to hash (bcrypt, SHA-512 or SHA-256 crypt),
 * compared in constant time. Costs what the hash's cost says (bcrypt at
 * cost 10: about 45 ms of CPU).
 */
bool		 htpasswd_verify(const char *hash, const char *password);
/* a[0..n) == b[0..n), in time that depends on n only. */
bool		 auth_ct_equal(const void *a, const void *b, size_t n);

/* access.c */
/*
 * Checks the value of an Authorization (or Proxy-Authorization) field
 * against auth: "Basic" credentials of a user in the file with the right
 * password. 0 (PT_OK) verified, *user_out then the user name in the
 * request's arena; PT_DECLINED missing, malformed or wrong (answer 401 or
 * 407 with auth_basic_challenge). Verified credentials are cached in the
 * store for auth->cache_ms; a miss runs crypt(3), also for an unknown
 * user. Blocks for the hash's cost, never on I/O.
 */
int		 auth_basic_check(struct pt_request *, const struct conf_auth *,
		    const char *authorization_value, const char **user_out);
/* Adds field ("WWW-Authenticate" or "Proxy-Authenticate") to the answer. */
int		 auth_basic_challenge(struct pt_request *,
		    const struct conf_auth *, const char *field);

#endif /* PT_AUTH_H */
