/*
 * htpasswd files and password checks, with no request around them: the
 * "user:hash" parser, the hash types crypt(3) checks here (bcrypt, SHA-512
 * and SHA-256 crypt), the lookup and the constant-time verification. The
 * request side (Authorization, the store cache) is access.c.
 */
#include "config.h"

#include "auth.h"

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portier/arena.h>

#define B64_CHARS \
	"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#define HTPASSWD_MAX	(64 * 1024 * 1024)	/* bytes of one file */

/* The hash types nobody should still use, named so the error says which. */
static const struct {
	const char	*prefix;
	const char	*name;
} weak_hashes[] = {
	{ "$apr1$", "Apache MD5 ($apr1$)" },
	{ "$1$", "MD5 crypt ($1$)" },
	{ "{SHA}", "SHA-1 ({SHA})" },
	{ "$y$", "yescrypt ($y$)" },
	{ "$7$", "scrypt ($7$)" },
	{ "$argon2", "Argon2" },
	{ NULL, NULL }
};

bool
auth_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char	*x = a, *y = b;
	unsigned char			 d = 0;
	size_t				 i;

	/* No early exit: every byte is looked at whatever differs. */
	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return (d == 0);
}

static bool
b64_span(const char *s, size_t n)
{
	return (strspn(s, B64_CHARS) >= n);
}

/* "$2y$10$" + 22 salt + 31 hash characters. */
static const char *
bcrypt_check(const char *h, long *cost)
{
	if (strlen(h) != 60 || !isdigit((unsigned char)h[4]) ||
	    !isdigit((unsigned char)h[5]) || h[6] != '$' ||
	    !b64_span(h + 7, 53))
		return ("malformed bcrypt hash");
	*cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (*cost < 4 || *cost > 31)
		return ("bcrypt cost must be between 04 and 31");
	return (NULL);
}

/* "$6$" ["rounds=N$"] salt "$" hash (86 characters; 43 for "$5$"). */
static const char *
shacrypt_check(const char *h, long *rounds)
{
	const char	*p = h + 3, *salt;
	size_t		 want = h[1] == '6' ? 86 : 43, slen;
	char		*end;

	*rounds = 5000;
	if (strncmp(p, "rounds=", 7) == 0) {
		errno = 0;
		*rounds = strtol(p + 7, &end, 10);
		if (errno != 0 || end == p + 7 || *end != '$' ||
		    *rounds < 1000 || *rounds > 999999999)
			return ("bad rounds= (1000 to 999999999)");
		p = end + 1;
	}
	salt = p;
	if ((p = strchr(salt, '$')) == NULL)
		return ("malformed SHA crypt hash");
	slen = (size_t)(p - salt);
	if (slen == 0 || slen > 16 || strlen(p + 1) != want ||
	    !b64_span(p + 1, want))
		return ("malformed SHA crypt hash");
	return (NULL);
}

/* The hash's cost class (bcrypt above SHA crypt) and cost within it. */
static const char *
hash_check_cost(const char *h, int *class, long *cost)
{
	size_t i;

	*class = 0;
	*cost = 0;
	if (strncmp(h, "$2y$", 4) == 0 || strncmp(h, "$2b$", 4) == 0 ||
	    strncmp(h, "$2a$", 4) == 0) {
		*class = 2;
		return (bcrypt_check(h, cost));
	}
	if (strncmp(h, "$6$", 3) == 0 || strncmp(h, "$5$", 3) == 0) {
		*class = 1;
		return (shacrypt_check(h, cost));
	}
	for (i = 0; weak_hashes[i].prefix != NULL; i++)
		if (strncmp(h, weak_hashes[i].prefix,
		    strlen(weak_hashes[i].prefix)) == 0)
			return (weak_hashes[i].name);
	return (h[0] == '$' ? "this hash type" : "plain text or DES crypt");
}

const char *
htpasswd_hash_check(const char *hash)
{
	int	class;
	long	cost;

	return (hash_check_cost(hash, &class, &cost));
}

static int
user_cmp(const void *a, const void *b)
{
	const struct htpasswd_user *x = a, *y = b;

	return (strcmp(x->name, y->name));
}

/* One "user:hash" line, trimmed; 0, or -1 after reporting. */
static int
htpasswd_line(struct pt_arena *a, const char *p, size_t len,
    unsigned int line, struct htpasswd_user *u, htpasswd_err_fn err,
    void *arg)
{
	const char	*colon, *why;
	char		 msg[160];
	int		 class;
	long		 cost;

	if ((colon = memchr(p, ':', len)) == NULL || colon == p ||
	    colon + 1 == p + len) {
		err(arg, line, "expected user:hash");
		return (-1);
	}
	if (memchr(colon + 1, ':', (size_t)(p + len - colon - 1)) != NULL) {
		err(arg, line, "more than two fields (expected user:hash)");
		return (-1);
	}
	u->name = pt_strndup(a, p, (size_t)(colon - p));
	u->hash = pt_strndup(a, colon + 1, (size_t)(p + len - colon - 1));
	u->line = line;
	if (u->name == NULL || u->hash == NULL) {
		err(arg, line, "out of memory");
		return (-1);
	}
	if ((why = hash_check_cost(u->hash, &class, &cost)) != NULL) {
		if (class != 0)
			snprintf(msg, sizeof(msg), "user \"%s\": %s", u->name,
			    why);
		else
			snprintf(msg, sizeof(msg), "user \"%s\": unsupported "
			    "hash type: %s (use bcrypt \"$2y$\" or SHA-512 "
			    "crypt \"$6$\", e.g. htpasswd -B)", u->name, why);
		err(arg, line, msg);
		return (-1);
	}
	return (0);
}

/* The costliest hash, for unknown users (see struct htpasswd). */
static void
htpasswd_pick_dummy(struct htpasswd *pw)
{
	int	class, best_class = -1;
	long	cost, best_cost = -1;
	size_t	i;

	for (i = 0; i < pw->n; i++) {
		(void)hash_check_cost(pw->v[i].hash, &class, &cost);
		if (class > best_class || (class == best_class &&
		    cost > best_cost)) {
			best_class = class;
			best_cost = cost;
			pw->dummy = pw->v[i].hash;
		}
	}
}

static void
htpasswd_dups(struct htpasswd *pw, htpasswd_err_fn err, void *arg,
    int *nerrors)
{
	char	msg[160];
	size_t	i;

	qsort(pw->v, pw->n, sizeof(*pw->v), user_cmp);
	for (i = 1; i < pw->n; i++)
		if (strcmp(pw->v[i - 1].name, pw->v[i].name) == 0) {
			snprintf(msg, sizeof(msg), "duplicate user \"%s\" "
			    "(also at line %u)", pw->v[i].name,
			    pw->v[i - 1].line < pw->v[i].line ?
			    pw->v[i - 1].line : pw->v[i].line);
			err(arg, pw->v[i - 1].line > pw->v[i].line ?
			    pw->v[i - 1].line : pw->v[i].line, msg);
			(*nerrors)++;
		}
}

struct htpasswd *
htpasswd_parse(struct pt_arena *a, const char *text, size_t len,
    htpasswd_err_fn err, void *arg, int *nerrors)
{
	struct htpasswd	*pw;
	const char	*p = text, *end = text + len, *eol, *s, *e;
	unsigned int	 line = 0;
	size_t		 cap = 1;

	*nerrors = 0;
	for (s = text; s < end; s++)
		cap += *s == '\n';
	if ((pw = pt_calloc(a, 1, sizeof(*pw))) == NULL ||
	    (pw->v = pt_calloc(a, cap, sizeof(*pw->v))) == NULL) {
		err(arg, 0, "out of memory");
		(*nerrors)++;
		return (NULL);
	}
	for (; p < end; p = eol + 1) {
		line++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		for (s = p; s < eol && isspace((unsigned char)*s); s++)
			;
		for (e = eol; e > s && isspace((unsigned char)e[-1]); e--)
			;
		if (s == e || *s == '#')
			continue;
		if (memchr(s, '\0', (size_t)(e - s)) != NULL) {
			err(arg, line, "NUL byte in line");
			(*nerrors)++;
			continue;
		}
		if (htpasswd_line(a, s, (size_t)(e - s), line, &pw->v[pw->n],
		    err, arg) == 0)
			pw->n++;
		else
			(*nerrors)++;
	}
	htpasswd_dups(pw, err, arg, nerrors);
	if (*nerrors > 0)
		return (NULL);
	htpasswd_pick_dummy(pw);
	return (pw);
}

struct htpasswd *
htpasswd_load(struct pt_arena *a, const char *path, htpasswd_err_fn err,
    void *arg, int *nerrors)
{
	struct htpasswd	*pw = NULL;
	FILE		*fp;
	char		*text, msg[160];
	long		 len;
	size_t		 got;

	*nerrors = 1;
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		err(arg, 0, msg);
		return (NULL);
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    len > HTPASSWD_MAX || fseek(fp, 0, SEEK_SET) != 0) {
		err(arg, 0, "cannot read (or larger than 64m)");
		fclose(fp);
		return (NULL);
	}
	if ((text = malloc((size_t)len + 1)) == NULL) {
		err(arg, 0, "out of memory");
		fclose(fp);
		return (NULL);
	}
	got = fread(text, 1, (size_t)len, fp);
	if (ferror(fp))
		err(arg, 0, "read error");
	else
		pw = htpasswd_parse(a, text, got, err, arg, nerrors);
	free(text);
	fclose(fp);
	return (pw);
}

const struct htpasswd_user *
htpasswd_find(const struct htpasswd *pw, const char *user, size_t len)
{
	size_t	lo = 0, hi = pw->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(user, pw->v[mid].name, len);
		if (c == 0 && pw->v[mid].name[len] != '\0')
			c = -1;		/* user is a prefix of the name */
		if (c == 0)
			return (&pw->v[mid]);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}

bool
htpasswd_verify(const char *hash, const char *password)
{
	struct crypt_data	 cd;
	const char		*out;
	size_t			 len = strlen(hash);
	bool			 ok = false;

	/* crypt_rn needs the whole object zeroed before its first use. */
	memset(&cd, 0, sizeof(cd));
	out = crypt_rn(password, hash, &cd, (int)sizeof(cd));
	/* The lengths are no secret: they follow from the hash type. */
	if (out != NULL && out[0] != '*' && strlen(out) == len)
		ok = auth_ct_equal(out, hash, len);
	explicit_bzero(&cd, sizeof(cd));
	return (ok);
}
