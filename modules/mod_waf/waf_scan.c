/*
 * Scanning one value: for each group of rules whose targets include the
 * value's, the value goes through the group's transformations (computed
 * lazily and cached per value, so groups that share a chain prefix share
 * the work), then one Hyperscan pass over the group's regexes and
 * phrases; candidates are confirmed with PCRE2 under match limits. The
 * operators Hyperscan cannot run (sqli, xss, numbers, bytes, CIDR) run
 * after it. A value that every chain leaves as it is (most benign ones)
 * takes a shorter way: one pass over its target's database. Scores and
 * hits accumulate in the waf_tx.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "waf_engine.h"

#define CACHE_MAX	16
#define RX_MATCH_LIMIT	100000
#define RX_DEPTH_LIMIT	10000

struct tf_cache {
	uint8_t		chain[WAF_CHAIN_MAX];
	int		n;
	struct waf_buf	b;
};

struct scan {
	struct waf_tx		*tx;
	const char		*v;
	size_t			 len;
	const char		*raw;		/* the value as given */
	size_t			 rawlen;
	unsigned		 raw_noop;	/* bit tf: no-op on the raw value */
	unsigned		 raw_known;	/* raw_noop is computed */
	int			 raw_sqli;	/* -1 unknown, 0, 1 */
	int			 raw_xss;
	struct tf_cache		 c[CACHE_MAX];
	int			 nc;
	unsigned		 flags;
};

/* Kept from the last request (waf_tx_free), so most get no malloc. */
static uint32_t			*spare_seen;
static size_t			 spare_nseen;
static struct waf_seen_vals	*spare_vals;

static pcre2_match_context	*rx_mctx;
static pcre2_jit_stack		*rx_jstack;
static pcre2_match_data		*rx_md;

int
waf_tx_init(struct waf_tx *tx, const struct waf_ruleset *rs, int paranoia,
    const struct waf_excl *excl, size_t nexcl)
{
	size_t nseen = rs->n / 32 + 1;

	/* hits[] is filled as it goes: no need to clear its 4 KiB */
	tx->rs = rs;
	tx->paranoia = paranoia;
	tx->excl = excl;
	tx->nexcl = nexcl;
	tx->score = 0;
	tx->block_now = tx->limit_hit = false;
	tx->nhits = 0;
	tx->cur_target = 0;
	tx->cur_tname = tx->cur_name = tx->cur_val = NULL;
	tx->cur_nlen = tx->cur_len = 0;
	tx->seen = NULL;
	tx->vals = NULL;
	if (rx_mctx == NULL) {
		if ((rx_mctx = pcre2_match_context_create(NULL)) == NULL ||
		    (rx_jstack = pcre2_jit_stack_create(32 * 1024, 512 * 1024,
		    NULL)) == NULL ||
		    (rx_md = pcre2_match_data_create(4, NULL)) == NULL)
			return (-1);
		pcre2_set_match_limit(rx_mctx, RX_MATCH_LIMIT);
		pcre2_set_depth_limit(rx_mctx, RX_DEPTH_LIMIT);
		pcre2_jit_stack_assign(rx_mctx, NULL, rx_jstack);
	}
	/* a worker runs one request at a time: last one's bitmap, reused */
	if (spare_seen != NULL && spare_nseen >= nseen) {
		tx->seen = spare_seen;
		spare_seen = NULL;
		memset(tx->seen, 0, nseen * sizeof(uint32_t));
	} else if ((tx->seen = calloc(nseen, sizeof(uint32_t))) == NULL)
		return (-1);
	tx->nseen = nseen;
	return (0);
}

void
waf_tx_free(struct waf_tx *tx)
{
	if (spare_seen == NULL) {
		spare_seen = tx->seen;
		spare_nseen = tx->nseen;
	} else
		free(tx->seen);
	if (spare_vals == NULL)
		spare_vals = tx->vals;
	else
		free(tx->vals);
	tx->seen = NULL;
	tx->vals = NULL;
}

static bool
is_excluded(const struct waf_tx *tx, const struct waf_rule *r)
{
	size_t i;

	for (i = 0; i < tx->nexcl; i++) {
		const struct waf_excl *e = &tx->excl[i];

		if (e->id != 0 && (r->id < e->id || r->id > e->hi))
			continue;
		if (e->name == NULL)
			return (true);
		if (tx->cur_name != NULL && strlen(e->name) == tx->cur_nlen &&
		    strncasecmp(e->name, tx->cur_name, tx->cur_nlen) == 0)
			return (true);
	}
	return (false);
}

static bool
rule_applies(const struct waf_tx *tx, size_t i)
{
	const struct waf_rule *r = &tx->rs->v[i];

	if ((r->targets & tx->cur_target) == 0 || r->pl > tx->paranoia ||
	    (tx->seen[i / 32] & (1u << (i % 32))) != 0)
		return (false);
	if (r->only != NULL && (tx->cur_name == NULL || strlen(r->only) !=
	    tx->cur_nlen || strncasecmp(r->only, tx->cur_name,
	    tx->cur_nlen) != 0))
		return (false);
	return (!is_excluded(tx, r));
}

static void
copy_clip(char *dst, size_t size, const char *s, size_t n)
{
	size_t i;

	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
	dst[n] = '\0';
}

static void
record(struct waf_tx *tx, const struct waf_rule *r, size_t i, const char *d,
    size_t dlen)
{
	struct waf_hit *h;

	if (r != NULL && i != (size_t)-1)
		tx->seen[i / 32] |= 1u << (i % 32);
	tx->score += r->sev;
	if (r->block)
		tx->block_now = true;
	if (tx->nhits == WAF_HITS_MAX)
		return;
	h = &tx->hits[tx->nhits++];
	h->rule = r;
	h->target = tx->cur_tname != NULL ? tx->cur_tname : "";
	copy_clip(h->name, sizeof(h->name), tx->cur_name != NULL ?
	    tx->cur_name : "", tx->cur_name != NULL ? tx->cur_nlen : 0);
	copy_clip(h->data, sizeof(h->data), d, dlen);
}

/* Built-in violations (limits, encodings, bodies) as pseudo rules. */
static struct waf_rule waf_builtin[8];

void
waf_tx_violation(struct waf_tx *tx, unsigned id, int sev, const char *msg,
    const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < tx->nhits; i++)
		if (tx->hits[i].rule->id == id)
			return;	/* once per request */
	for (i = 0; i < 8 && waf_builtin[i].id != 0 && waf_builtin[i].id != id;
	    i++)
		;
	if (i == 8)
		i = 7;
	waf_builtin[i].id = id;
	waf_builtin[i].sev = sev;
	waf_builtin[i].msg = msg;
	waf_builtin[i].tag = "protocol";
	waf_builtin[i].pl = 1;
	record(tx, &waf_builtin[i], (size_t)-1, data, len);
}

/* PCRE2 confirmation; a match limit counts as a violation. */
static bool
rx_confirm(struct waf_tx *tx, const struct waf_rule *r, const char *v,
    size_t len, const char **m, size_t *mlen)
{
	PCRE2_SIZE	*ov;
	int		 rc;

	rc = pcre2_match(r->re, (PCRE2_SPTR)v, len, 0, 0, rx_md, rx_mctx);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_JIT_STACKLIMIT) {
		tx->limit_hit = true;
		waf_tx_violation(tx, 900102, 5, "regex match limit reached "
		    "(input crafted to exhaust it?)", v, len);
		return (false);
	}
	if (rc < 0)
		return (false);
	ov = pcre2_get_ovector_pointer(rx_md);
	*m = v + ov[0];
	*mlen = ov[1] - ov[0];
	return (true);
}

static int
hs_on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	struct scan		*sc = arg;
	struct waf_tx		*tx = sc->tx;
	const struct waf_rule	*r = &tx->rs->v[id];
	const char		*m;
	size_t			 mlen;

	(void)from;
	(void)flags;
	if (!rule_applies(tx, id))
		return (0);
	if (r->op == WAF_OP_RX) {
		if (!rx_confirm(tx, r, sc->v, sc->len, &m, &mlen))
			return (0);
	} else {
		mlen = to > WAF_MATCH_LEN ? WAF_MATCH_LEN : (size_t)to;
		m = sc->v + to - mlen;
	}
	record(tx, r, id, m, mlen);
	return (0);
}

static bool
cidr_match(const struct waf_rule *r, const char *v, size_t len)
{
	unsigned char	a[16];
	char		buf[64];
	int		bits = r->bits, i;

	if (len >= sizeof(buf))
		return (false);
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (inet_pton(r->family, buf, a) != 1)
		return (false);
	for (i = 0; bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff :
		    (unsigned char)(0xff << (8 - bits));

		if ((a[i] & mask) != (r->net[i] & mask))
			return (false);
	}
	return (true);
}

static void
run_other(struct scan *sc, size_t i)
{
	const struct waf_rule	*r = &sc->tx->rs->v[i];
	const char		*v = sc->v;
	size_t			 k, len = sc->len;
	bool			 hit = false;

	if (!rule_applies(sc->tx, i))
		return;
	switch (r->op) {
	case WAF_OP_SQLI:	/* rules in several groups: once per value */
		if (v != sc->raw)
			hit = waf_is_sqli(v, len, NULL);
		else {
			if (sc->raw_sqli == -1)
				sc->raw_sqli = waf_is_sqli(v, len, NULL);
			hit = sc->raw_sqli == 1;
		}
		break;
	case WAF_OP_XSS:
		if (v != sc->raw)
			hit = waf_is_xss(v, len);
		else {
			if (sc->raw_xss == -1)
				sc->raw_xss = waf_is_xss(v, len);
			hit = sc->raw_xss == 1;
		}
		break;
	case WAF_OP_LEN_GT:
		hit = (long long)len > r->num;
		break;
	case WAF_OP_BYTES:
		for (k = 0; k < len && !hit; k++)
			hit = (unsigned char)v[k] < r->lo ||
			    (unsigned char)v[k] > r->hi;
		break;
	case WAF_OP_CIDR:
		hit = cidr_match(r, v, len);
		break;
	case WAF_OP_EQ:
		hit = strlen(r->pattern) == len &&
		    strncasecmp(r->pattern, v, len) == 0;
		break;
	case WAF_OP_RX: {	/* what Hyperscan could not take */
		const char *m;
		size_t mlen;

		if (rx_confirm(sc->tx, r, v, len, &m, &mlen))
			record(sc->tx, r, i, m, mlen);
		return;
	}
	default:
		break;
	}
	if (hit)
		record(sc->tx, r, i, v, len);
}

/* Whether tf leaves the raw value as it is (known once per value). */
static bool
raw_noop(struct scan *sc, int tf)
{
	if (sc->raw_known == 0) {
		sc->raw_known = 1;
		sc->raw_noop = waf_tf_noop_mask(sc->raw, sc->rawlen);
	}
	return ((sc->raw_noop & (1u << tf)) != 0);
}

/* The value through chain[0..n), from the longest cached prefix. */
static bool
transform(struct scan *sc, const uint8_t *chain, int n, const char **out,
    size_t *olen)
{
	const char	*v = sc->raw;
	size_t		 len = sc->rawlen;
	int		 best = -1, bn = 0, i, k;

	for (i = 0; i < sc->nc; i++)
		if (sc->c[i].n <= n && sc->c[i].n > bn &&
		    memcmp(sc->c[i].chain, chain, (size_t)sc->c[i].n) == 0) {
			best = i;
			bn = sc->c[i].n;
		}
	if (best >= 0) {
		v = sc->c[best].b.p;
		len = sc->c[best].b.len;
	}
	for (k = bn; k < n; k++) {
		struct waf_buf b;

		if (v == sc->raw) {	/* still the raw value: remember */
			if (raw_noop(sc, chain[k]))
				continue;
		} else if (waf_tf_is_noop(chain[k], v, len))
			continue;
		if (waf_tf_apply(chain[k], v, len, &b, &sc->flags) == -1)
			return (false);
		if (sc->nc == CACHE_MAX) {
			free(sc->c[CACHE_MAX - 1].b.p);
			sc->nc--;
		}
		memcpy(sc->c[sc->nc].chain, chain, (size_t)k + 1);
		sc->c[sc->nc].n = k + 1;
		sc->c[sc->nc++].b = b;
		v = b.p;
		len = b.len;
	}
	*out = v;
	*olen = len;
	return (true);
}

/*
 * Whether every chain that looks at target leaves the raw value as it is:
 * then one scan of the raw value over every group's expressions finds
 * what one scan per group would (rule_applies() filters by target).
 */
static bool
raw_everywhere(struct scan *sc, unsigned target)
{
	const struct waf_ruleset	*rs = sc->tx->rs;
	size_t				 gi;
	int				 k;

	if (rs->tscratch == NULL)
		return (false);
	for (gi = 0; gi < rs->ng; gi++) {
		const struct waf_group *g = &rs->g[gi];

		if ((g->targets & target) == 0)
			continue;
		for (k = 0; k < g->n; k++)
			if (!raw_noop(sc, g->chain[k]))
				return (false);
	}
	return (true);
}

/* One scan of the raw value, then each group's other operators on it. */
static void
scan_raw_once(struct scan *sc, unsigned target)
{
	const struct waf_ruleset	*rs = sc->tx->rs;
	size_t				 gi, i;
	int				 b;

	sc->v = sc->raw;
	sc->len = sc->rawlen;
	for (b = 0; b < WAF_T_BITS; b++)
		if ((target & (1u << b)) && rs->tdb[b] != NULL)
			hs_scan(rs->tdb[b], sc->v, (unsigned)sc->len, 0,
			    rs->tscratch, hs_on_match, sc);
	for (gi = 0; gi < rs->ng; gi++) {
		const struct waf_group *g = &rs->g[gi];

		if ((g->targets & target) == 0)
			continue;
		for (i = 0; i < g->nother; i++)
			run_other(sc, g->other[i]);
	}
}

/*
 * Short values already scanned in this request, with their target and
 * name: scanning one again finds only rules already counted (the result
 * depends on nothing else), so it is skipped. JSON arrays repeat keys
 * and values ("sku", "gift wrap") in every element.
 */
#define VALS_MAX	64
#define VALS_SLOTS	128	/* open addressing, at most half full */
#define VAL_SHORT	48

struct waf_seen_vals {
	uint8_t		slot[VALS_SLOTS];	/* entry + 1, 0: free */
	uint32_t	hash[VALS_MAX];
	uint16_t	nlen[VALS_MAX], vlen[VALS_MAX];
	unsigned	target[VALS_MAX];
	char		data[VALS_MAX][2 * VAL_SHORT];
	size_t		n;
};

static uint32_t
fnv1a(uint32_t h, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return (h);
}

/* Whether this value was scanned already; else remembers it (if short). */
static bool
seen_value(struct waf_tx *tx, unsigned target, const char *name,
    size_t nlen, const char *val, size_t len)
{
	struct waf_seen_vals	*sv;
	uint32_t		 h;
	size_t			 i, k;

	if (nlen > VAL_SHORT || len > VAL_SHORT)
		return (false);
	if (tx->vals == NULL) {
		if (spare_vals != NULL) {
			tx->vals = spare_vals;
			spare_vals = NULL;
		} else if ((tx->vals = malloc(sizeof(*sv))) == NULL)
			return (false);
		tx->vals->n = 0;
		memset(tx->vals->slot, 0, sizeof(tx->vals->slot));
	}
	sv = tx->vals;
	h = fnv1a(fnv1a(2166136261u ^ target, name, nlen), val, len);
	for (k = h % VALS_SLOTS; sv->slot[k] != 0; k = (k + 1) % VALS_SLOTS) {
		i = sv->slot[k] - 1u;
		if (sv->hash[i] == h && sv->target[i] == target &&
		    sv->nlen[i] == nlen && sv->vlen[i] == len &&
		    memcmp(sv->data[i], name, nlen) == 0 &&
		    memcmp(sv->data[i] + nlen, val, len) == 0)
			return (true);
	}
	if (sv->n == VALS_MAX)
		return (false);
	sv->slot[k] = (uint8_t)(sv->n + 1);
	sv->hash[sv->n] = h;
	sv->target[sv->n] = target;
	sv->nlen[sv->n] = (uint16_t)nlen;
	sv->vlen[sv->n] = (uint16_t)len;
	if (nlen > 0)
		memcpy(sv->data[sv->n], name, nlen);
	if (len > 0)
		memcpy(sv->data[sv->n] + nlen, val, len);
	sv->n++;
	return (false);
}

void
waf_tx_scan(struct waf_tx *tx, unsigned target, const char *tname,
    const char *name, size_t nlen, const char *val, size_t len)
{
	struct scan	 sc;
	const char	*v;
	size_t		 gi, i, vlen;

	if (seen_value(tx, target, name, nlen, val, len))
		return;
	/* field by field: the transformation cache is not cleared */
	sc.tx = tx;
	sc.v = NULL;
	sc.len = 0;
	sc.raw = val;
	sc.rawlen = len;
	sc.raw_noop = sc.raw_known = 0;
	sc.raw_sqli = sc.raw_xss = -1;
	sc.nc = 0;
	sc.flags = 0;
	tx->cur_target = target;
	tx->cur_tname = tname;
	tx->cur_name = name;
	tx->cur_nlen = nlen;
	if (raw_everywhere(&sc, target)) {
		scan_raw_once(&sc, target);
		return;
	}
	for (gi = 0; gi < tx->rs->ng; gi++) {
		const struct waf_group *g = &tx->rs->g[gi];

		if ((g->targets & target) == 0)
			continue;
		if (!transform(&sc, g->chain, g->n, &v, &vlen))
			break;
		sc.v = v;
		sc.len = vlen;
		if (g->db != NULL && (g->hs_targets & target))
			hs_scan(g->db, v, (unsigned)vlen, 0, g->scratch,
			    hs_on_match, &sc);
		for (i = 0; i < g->nother; i++)
			run_other(&sc, g->other[i]);
	}
	for (i = 0; i < (size_t)sc.nc; i++)
		free(sc.c[i].b.p);
	if (sc.flags & WAF_TF_BAD_ENCODING)
		waf_tx_violation(tx, 900101, 2, "invalid percent or base64 "
		    "encoding", val, len);
}
