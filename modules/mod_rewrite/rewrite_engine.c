/*
 * mod_rewrite, pure: runs one rule set over a request. Matching (PCRE2
 * JIT, with a match limit and a bounded JIT stack), conditions,
 * substitution with $N, %N, %{VAR} and ${map:key|default}, maps, and what
 * each flag does to the URL. The request itself is the caller's: it is
 * read and changed through struct rw_io and struct rw_result only.
 *
 * The common case is a rule that does not match, so that path allocates
 * nothing and costs one memcmp (a literal prefix) or one JIT call; the
 * big buffers live in the frames of the functions that run only when a
 * rule matched.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <portier/arena.h>
#include <portier/types.h>
#include "rewrite_engine.h"

/*
 * Per process, made on first use (child_init, or the tracer): a worker
 * matches one request at a time, so nothing is shared, and no request
 * pays for an allocation. The JIT stack is bounded: a pattern that needs
 * more fails the match, which counts as no match.
 */
static pcre2_match_data		*rw_md;
static pcre2_match_context	*rw_mc;
static pcre2_jit_stack		*rw_js;
static uint64_t			 rw_rng;

#define RW_JIT_STACK_START	(32 * 1024)
#define RW_JIT_STACK_MAX	(512 * 1024)

int
rw_engine_init(void)
{
	if (rw_md == NULL &&
	    (rw_md = pcre2_match_data_create(RW_CAPS, NULL)) == NULL)
		return (-1);
	if (rw_mc == NULL) {
		if ((rw_mc = pcre2_match_context_create(NULL)) == NULL)
			return (-1);
		rw_js = pcre2_jit_stack_create(RW_JIT_STACK_START,
		    RW_JIT_STACK_MAX, NULL);
		if (rw_js != NULL)
			pcre2_jit_stack_assign(rw_mc, NULL, rw_js);
	}
	/* rnd maps: each process its own sequence. */
	rw_rng = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^
	    (uint64_t)(uintptr_t)&rw_rng;
	if (rw_rng == 0)
		rw_rng = 1;
	return (0);
}

static uint32_t
rw_random(uint32_t n)
{
	if (rw_rng == 0)
		(void)rw_engine_init();
	rw_rng ^= rw_rng << 13;
	rw_rng ^= rw_rng >> 7;
	rw_rng ^= rw_rng << 17;
	return ((uint32_t)(rw_rng % n));
}

int
rw_rx_match(const struct rw_rx *rx, const char *s, size_t len, uint32_t limit,
    struct rw_caps *caps)
{
	PCRE2_SIZE	*ov;
	int		 rc, i;

	if (rx->prefix != NULL && (len < rx->prefix_len || (rx->nocase ?
	    strncasecmp(s, rx->prefix, rx->prefix_len) :
	    memcmp(s, rx->prefix, rx->prefix_len)) != 0))
		return (0);
	if (rw_mc == NULL && rw_engine_init() != 0)
		return (-1);
	pcre2_set_match_limit(rw_mc, limit != 0 ? limit : RW_MATCH_LIMIT);
	if (rx->jit)
		rc = pcre2_jit_match(rx->code, (PCRE2_SPTR)s, len, 0, 0, rw_md,
		    rw_mc);
	else
		rc = pcre2_match(rx->code, (PCRE2_SPTR)s, len, 0, 0, rw_md,
		    rw_mc);
	if (rc == PCRE2_ERROR_NOMATCH)
		return (0);
	if (rc < 0)
		return (-1);
	if (caps != NULL) {
		/* 0: more groups than the match data holds; keep $0..$9. */
		caps->n = rc == 0 || rc > RW_CAPS ? RW_CAPS : rc;
		caps->s = s;
		ov = pcre2_get_ovector_pointer(rw_md);
		for (i = 0; i < 2 * caps->n; i++)
			caps->ov[i] = ov[i];
	}
	return (1);
}

/* --- output buffers and escaping ------------------------------------------ */

struct rw_out {
	char	*p;
	size_t	 len, size;
	bool	 over;
};

static void
rw_out_add(struct rw_out *o, const char *s, size_t n)
{
	if (o->over || n >= o->size - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/*
 * What an expansion may bring into a URL as it is. In the path (before
 * the template's first '?'): RFC 3986 pchar and '/', so '%' from a
 * decoded capture is encoded again. In the query: anything printable but
 * the delimiters a URL cannot hold; '%' stays, since query values are
 * usually encoded already (%{query}).
 */
static bool
rw_url_safe(unsigned char c, bool query)
{
	if (c <= 0x20 || c >= 0x7f)
		return (false);
	if (query)
		return (strchr("\"<>\\^`{|}#", c) == NULL);
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@/", c) != NULL);
}

static void
rw_out_add_esc(struct rw_out *o, const char *s, size_t n, bool query)
{
	static const char	hex[] = "0123456789ABCDEF";
	char			enc[3];
	size_t			i, run = 0;

	for (i = 0; i < n; i++) {
		if (rw_url_safe((unsigned char)s[i], query))
			continue;
		rw_out_add(o, s + run, i - run);
		enc[0] = '%';
		enc[1] = hex[(unsigned char)s[i] >> 4];
		enc[2] = hex[(unsigned char)s[i] & 15];
		rw_out_add(o, enc, 3);
		run = i + 1;
	}
	rw_out_add(o, s + run, n - run);
}

const char *
rw_quote(char *buf, size_t size, const char *s, size_t len)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i, o = 0;
	unsigned char		c;

	if (size < 8)
		return ("\"\"");
	buf[o++] = '"';
	for (i = 0; i < len && o + 6 < size; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else
			buf[o++] = (char)c;
	}
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return (buf);
}

/* --- maps ------------------------------------------------------------------- */

/* The functions: the key, transformed, into buf. */
static const char *
rw_map_func(enum rw_map_type type, const char *key, size_t klen, char *buf,
    size_t size, size_t *vlen)
{
	static const char hex[] = "0123456789ABCDEF";
	struct rw_out	o = { buf, 0, size, false };
	size_t		i;
	int		h, l;
	char		c, enc[3];

	buf[0] = '\0';
	for (i = 0; i < klen; i++) {
		c = key[i];
		if (type == RW_MAP_TOLOWER && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (type == RW_MAP_TOUPPER && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (type == RW_MAP_ESCAPE && !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~/", c) != NULL)) {
			enc[0] = '%';
			enc[1] = hex[(unsigned char)c >> 4];
			enc[2] = hex[(unsigned char)c & 15];
			rw_out_add(&o, enc, 3);
			continue;
		} else if (type == RW_MAP_UNESCAPE && c == '%' && i + 2 < klen &&
		    (h = pt_hexval(key[i + 1])) >= 0 &&
		    (l = pt_hexval(key[i + 2])) >= 0 && (h != 0 || l != 0)) {
			/* %00 stays as it is: no NUL in a string. */
			c = (char)(h * 16 + l);
			i += 2;
		}
		rw_out_add(&o, &c, 1);
	}
	if (o.over)
		return (NULL);
	*vlen = o.len;
	return (buf);
}

const char *
rw_map_lookup(const struct rw_map *m, const char *key, size_t klen, char *buf,
    size_t size, size_t *vlen)
{
	const char	*v, *bar;
	size_t		 lo = 0, hi = m->n, mid, n, pick;
	int		 c;

	if (m->type != RW_MAP_TXT && m->type != RW_MAP_RND)
		return (rw_map_func(m->type, key, klen, buf, size, vlen));
	while (lo < hi) {	/* the first entry not below the key */
		mid = lo + (hi - lo) / 2;
		c = strncmp(m->v[mid].key, key, klen);
		if (c == 0 && m->v[mid].key[klen] != '\0')
			c = 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->n || strncmp(m->v[lo].key, key, klen) != 0 ||
	    m->v[lo].key[klen] != '\0')
		return (NULL);
	v = m->v[lo].val;
	if (m->type == RW_MAP_TXT) {
		*vlen = strlen(v);
		return (v);
	}
	for (n = 1, bar = v; (bar = strchr(bar, '|')) != NULL; bar++)
		n++;
	for (pick = rw_random((uint32_t)n); pick > 0; pick--)
		v = strchr(v, '|') + 1;
	bar = strchr(v, '|');
	*vlen = bar != NULL ? (size_t)(bar - v) : strlen(v);
	return (v);
}

/* --- expansion -------------------------------------------------------------- */

static void	rw_expand_into(const struct rw_subst *, const struct rw_caps *,
		    const struct rw_caps *, const struct rw_io *, bool escape,
		    struct rw_out *, size_t *qpos);

static void
rw_cap(const struct rw_caps *c, int n, const char **v, size_t *len)
{
	*v = "";
	*len = 0;
	if (c == NULL || n >= c->n || c->ov[2 * n] == PCRE2_UNSET)
		return;
	*v = c->s + c->ov[2 * n];
	*len = c->ov[2 * n + 1] - c->ov[2 * n];
}

/* ${map:key|default}: looked up, or the default, appended to o. */
static void
rw_expand_map(const struct rw_tok *k, const struct rw_caps *rule,
    const struct rw_caps *cond, const struct rw_io *io, bool escape,
    bool query, struct rw_out *o)
{
	char		 kb[1024], vb[2048];
	struct rw_out	 ko = { kb, 0, sizeof(kb), false };
	struct rw_out	 vo = { vb, 0, sizeof(vb), false };
	const char	*v = NULL;
	size_t		 vlen = 0;

	kb[0] = vb[0] = '\0';
	rw_expand_into(k->key, rule, cond, io, false, &ko, NULL);
	if (!ko.over)
		v = rw_map_lookup(k->map, kb, ko.len, vb, sizeof(vb), &vlen);
	if (io->trace != NULL) {
		char qk[256], qv[256];

		io->trace(io->arg, "    map %s: key %s: %s", k->map->name,
		    rw_quote(qk, sizeof(qk), kb, ko.len), v != NULL ?
		    rw_quote(qv, sizeof(qv), v, vlen) : k->dflt != NULL ?
		    "not found, default" : "not found, empty");
	}
	if (v == NULL && k->dflt != NULL) {
		rw_expand_into(k->dflt, rule, cond, io, false, &vo, NULL);
		if (vo.over)
			o->over = true;
		v = vb;
		vlen = vo.len;
	}
	if (v == NULL)
		return;
	if (escape)
		rw_out_add_esc(o, v, vlen, query);
	else
		rw_out_add(o, v, vlen);
}

static void
rw_expand_into(const struct rw_subst *t, const struct rw_caps *rule,
    const struct rw_caps *cond, const struct rw_io *io, bool escape,
    struct rw_out *o, size_t *qpos)
{
	const struct rw_tok	*k;
	const char		*v, *q;
	size_t			 i, vlen;
	bool			 query = false;

	for (i = 0; i < t->ntoks; i++) {
		k = &t->toks[i];
		v = NULL;
		vlen = 0;
		switch (k->kind) {
		case RW_TK_LIT:
			if (qpos != NULL && !query &&
			    (q = memchr(k->s, '?', k->len)) != NULL) {
				*qpos = o->len + (size_t)(q - k->s);
				query = true;
			}
			rw_out_add(o, k->s, k->len);
			continue;
		case RW_TK_RULE:
			rw_cap(rule, k->n, &v, &vlen);
			break;
		case RW_TK_COND:
			rw_cap(cond, k->n, &v, &vlen);
			break;
		case RW_TK_VAR:
			v = io->var(io->arg, k->s, k->len, &vlen);
			break;
		case RW_TK_MAP:
			rw_expand_map(k, rule, cond, io, escape, query, o);
			continue;
		}
		if (v == NULL)
			continue;
		if (escape)
			rw_out_add_esc(o, v, vlen, query);
		else
			rw_out_add(o, v, vlen);
	}
}

long
rw_expand(const struct rw_subst *t, const struct rw_caps *rule,
    const struct rw_caps *cond, const struct rw_io *io, bool escape,
    char *buf, size_t size, size_t *qpos)
{
	struct rw_out o = { buf, 0, size, false };

	if (size == 0)
		return (-1);
	buf[0] = '\0';
	if (qpos != NULL)
		*qpos = (size_t)-1;
	rw_expand_into(t, rule, cond, io, escape, &o, qpos);
	return (o.over ? -1 : (long)o.len);
}

/* --- conditions ------------------------------------------------------------- */

bool
rw_cidr_match(const struct rw_cidr *c, size_t n, const char *s, size_t len)
{
	uint8_t		 a[16];
	char		 host[64];
	size_t		 i, full;
	unsigned int	 rest;
	int		 fam;

	if (len == 0 || len >= sizeof(host))
		return (false);
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, host, a) == 1)
		fam = AF_INET6;
	else
		return (false);
	for (i = 0; i < n; i++) {
		if (c[i].family != fam)
			continue;
		full = c[i].bits / 8;
		rest = c[i].bits % 8;
		if (memcmp(a, c[i].addr, full) != 0)
			continue;
		if (rest == 0 || ((a[full] ^ c[i].addr[full]) &
		    (uint8_t)(0xff << (8 - rest))) == 0)
			return (true);
	}
	return (false);
}

/* A path with no "." or ".." segment, so root + path stays under root. */
static bool
rw_path_tame(const char *p, size_t len)
{
	size_t i, seg = 0;

	if (len == 0 || p[0] != '/' || memchr(p, '\0', len) != NULL)
		return (false);
	for (i = 1; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		if ((i - seg - 1 == 1 && p[seg + 1] == '.') ||
		    (i - seg - 1 == 2 && p[seg + 1] == '.' && p[seg + 2] == '.'))
			return (false);
		seg = i;
	}
	return (true);
}

static bool
rw_file_test(const char *root, const char *v, size_t len, bool dir)
{
	char		path[4096];
	struct stat	st;
	size_t		rl;

	if (root == NULL || !rw_path_tame(v, len))
		return (false);
	rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl + len + 1 > sizeof(path))
		return (false);
	memcpy(path, root, rl);
	memcpy(path + rl, v, len);
	path[rl + len] = '\0';
	if (stat(path, &st) != 0)
		return (false);
	return (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

static int
rw_cmp(const char *v, size_t len, const char *s, bool nocase)
{
	size_t	sl = strlen(s), n = len < sl ? len : sl;
	int	c = nocase ? strncasecmp(v, s, n) : memcmp(v, s, n);

	if (c != 0)
		return (c);
	return (len < sl ? -1 : len > sl);
}

static const char *const rw_op_names[] = {
	"=~", "=", "<", ">", "in", "file_exists", "dir_exists"
};

/* One condition's test, before "not": 1 true, 0 false. */
static int
rw_cond_test(const struct rw_cond *c, const struct rw_rule *r, const char *v,
    size_t len, const struct rw_io *io, struct rw_caps *caps)
{
	int m;

	switch (c->op) {
	case RW_OP_REGEX:
		if ((m = rw_rx_match(c->rx, v, len, io->match_limit, caps)) < 0) {
			if (io->warn != NULL)
				io->warn(io->arg, "rule %d at %s:%d: condition "
				    "at line %d: pattern \"%s\" hit the match "
				    "limit: counted as no match", r->index,
				    r->file, r->line, c->line, c->rx->pattern);
			m = 0;
		}
		return (m);
	case RW_OP_EQ:
		return (rw_cmp(v, len, c->str, c->nocase) == 0);
	case RW_OP_LT:
		return (rw_cmp(v, len, c->str, c->nocase) < 0);
	case RW_OP_GT:
		return (rw_cmp(v, len, c->str, c->nocase) > 0);
	case RW_OP_CIDR:
		return (rw_cidr_match(c->cidr, c->ncidr, v, len));
	case RW_OP_FILE:
	case RW_OP_DIR:
		return (rw_file_test(io->root, v, len, c->op == RW_OP_DIR));
	}
	return (0);
}

static void
rw_cond_trace(const struct rw_io *io, size_t i, const struct rw_cond *c,
    const char *v, size_t len, bool res)
{
	char qv[512], qa[256], qt[256];

	io->trace(io->arg, "  condition %zu: %s from %s %s%s %s%s%s: %s", i + 1,
	    rw_quote(qv, sizeof(qv), v, len), rw_quote(qt, sizeof(qt),
	    c->var.text, strlen(c->var.text)), c->negate ? "not " :
	    "", rw_op_names[c->op], c->op == RW_OP_REGEX ? rw_quote(qa,
	    sizeof(qa), c->rx->pattern, strlen(c->rx->pattern)) : c->str !=
	    NULL ? rw_quote(qa, sizeof(qa), c->str, strlen(c->str)) : c->op ==
	    RW_OP_CIDR ? "[addresses]" : io->root != NULL ? io->root :
	    "(no root)", c->nocase ? " nocase" : "", c->ornext ? " or" : "",
	    res ? "true" : "false");
}

int
rw_conds_eval(const struct rw_rule *r, const struct rw_caps *rule,
    const struct rw_io *io, struct rw_caps *cond, char *store)
{
	const struct rw_cond	*c;
	struct rw_caps		 tmp;
	char			*buf;
	size_t			 i;
	long			 len;
	int			 which = 0, ok;

	cond->n = 0;
	for (i = 0; i < r->nconds; i++) {
		c = &r->conds[i];
		buf = store + which * RW_URL_MAX;
		len = rw_expand(&c->var, rule, cond, io, false, buf,
		    RW_URL_MAX, NULL);
		tmp.n = 0;
		ok = len >= 0 ? rw_cond_test(c, r, buf, (size_t)len, io,
		    &tmp) : 0;
		if (ok && c->op == RW_OP_REGEX && !c->negate) {
			*cond = tmp;	/* %N: points into buf, kept */
			which ^= 1;
		}
		if (c->negate)
			ok = !ok;
		if (io->trace != NULL)
			rw_cond_trace(io, i, c, buf, len >= 0 ? (size_t)len : 0,
			    ok);
		if (c->ornext && i + 1 < r->nconds) {
			if (!ok)
				continue;
			/* This one holds: the rest of the OR group need not. */
			while (i + 1 < r->nconds && r->conds[i].ornext) {
				i++;
				if (io->trace != NULL)
					io->trace(io->arg, "  condition %zu: "
					    "skipped (an \"or\" before it "
					    "holds)", i + 1);
			}
			continue;
		}
		if (!ok)
			return (0);
	}
	return (1);
}
