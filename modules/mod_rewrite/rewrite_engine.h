/*
 * mod_rewrite's pure engine: compiled rules, substitution templates,
 * conditions and maps (rewrite_build.c and rewrite_map.c build them from
 * text), matching and expansion (rewrite_engine.c), and the function that
 * runs one rule set over a request (rewrite_run.c).
 * Nothing here sees a request or a hook: the caller passes what a rule set
 * needs through struct rw_io, so t/unit/test_rewrite_engine.c links these
 * files with the arena alone.
 */
#ifndef RW_ENGINE_H
#define RW_ENGINE_H

#define PCRE2_CODE_UNIT_WIDTH	8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pt_arena;

#define RW_CAPS		10	/* $0..$9 and %0..%9 */
#define RW_URL_MAX	8192	/* the longest result of a substitution */
#define RW_NEST_MAX	4	/* ${map:${map:...}} depth */
#define RW_TRAIL	8	/* rules remembered for the loop message */

/* A compiled pattern (JIT when the CPU allows it). */
struct rw_rx {
	pcre2_code	*code;
	const char	*pattern;	/* as written */
	bool		 jit;
	bool		 nocase;
	uint32_t	 ngroups;	/* capture groups in the pattern */
	/*
	 * A literal every match starts with ("^/old/" gives "/old/"): a
	 * subject without it is refused with one memcmp, before PCRE2.
	 */
	const char	*prefix;
	size_t		 prefix_len;
};

/* Captures of the last match: offsets into s, PCRE2_UNSET when unset. */
struct rw_caps {
	const char	*s;
	size_t		 ov[2 * RW_CAPS];
	int		 n;		/* pairs filled: $0..$(n-1) */
};

enum rw_tok_kind {
	RW_TK_LIT,	/* text as written */
	RW_TK_RULE,	/* $N */
	RW_TK_COND,	/* %N */
	RW_TK_VAR,	/* %{name} */
	RW_TK_MAP	/* ${map:key|default} */
};

struct rw_map;
struct rw_subst;

struct rw_tok {
	enum rw_tok_kind	 kind;
	const char		*s;	/* LIT: text; VAR: name */
	size_t			 len;
	int			 n;	/* RULE, COND: the group */
	const struct rw_map	*map;	/* MAP */
	struct rw_subst		*key;	/* MAP: the key template */
	struct rw_subst		*dflt;	/* MAP: after '|', or NULL */
};

/* A parsed template: "/new/$1?from=%{host}&u=${users:$2|nobody}". */
struct rw_subst {
	const char	*text;		/* as written */
	struct rw_tok	*toks;
	size_t		 ntoks;
	int		 max_rule;	/* highest $N used, -1 for none */
	int		 max_cond;	/* highest %N used, -1 for none */
	bool		 dash;		/* "-": leave the URL alone */
};

enum rw_map_type {
	RW_MAP_TXT,		/* "key value" lines */
	RW_MAP_RND,		/* "key v1|v2|v3": one value at random */
	RW_MAP_TOLOWER,		/* internal functions */
	RW_MAP_TOUPPER,
	RW_MAP_ESCAPE,
	RW_MAP_UNESCAPE
};

struct rw_map_entry {
	const char	*key;
	const char	*val;		/* RND: values joined by '|' */
	size_t		 line;		/* in the file: the first one wins */
};

struct rw_map {
	const char		*name;
	enum rw_map_type	 type;
	const char		*file;	/* TXT, RND: absolute path */
	struct rw_map_entry	*v;	/* sorted by key */
	size_t			 n;
};

struct rw_maps {
	struct rw_map	*v;
	size_t		 n;
};

enum rw_op {
	RW_OP_REGEX, RW_OP_EQ, RW_OP_LT, RW_OP_GT, RW_OP_CIDR, RW_OP_FILE,
	RW_OP_DIR
};

struct rw_cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned int	 bits;
	uint8_t		 addr[16];
};

struct rw_cond {
	struct rw_subst	 var;		/* the string tested, expanded */
	enum rw_op	 op;
	struct rw_rx	*rx;		/* REGEX */
	const char	*str;		/* EQ, LT, GT: compared as bytes */
	struct rw_cidr	*cidr;		/* CIDR: any of these */
	size_t		 ncidr;
	bool		 nocase;
	bool		 negate;	/* not = true */
	bool		 ornext;	/* or = true: this or the next */
	int		 line;
};

enum rw_against { RW_ON_PATH, RW_ON_URI, RW_ON_URL };

#define RW_F_LAST	0x0001u
#define RW_F_BREAK	0x0002u
#define RW_F_REDIRECT	0x0004u
#define RW_F_PROXY	0x0008u
#define RW_F_NOCASE	0x0010u
#define RW_F_QSAPPEND	0x0020u
#define RW_F_QSDISCARD	0x0040u
#define RW_F_NOESCAPE	0x0080u
#define RW_F_CHAIN	0x0100u
#define RW_F_STATUS	0x0200u		/* forbidden, gone, status=N */

enum rw_act_kind { RW_ACT_ENV, RW_ACT_COOKIE, RW_ACT_HEADER };

/* env=, cookie= and header= of a rule: done when the rule applies. */
struct rw_action {
	enum rw_act_kind kind;
	const char	*name;
	struct rw_subst	 value;
};

struct rw_rule {
	struct rw_rx	*rx;
	struct rw_subst	 to;
	enum rw_against	 against;
	unsigned int	 flags;		/* RW_F_* */
	int		 status;	/* redirect: 301..308; STATUS: the answer */
	const char	*upstream;	/* proxy=NAME, or NULL */
	int		 skip;		/* skip=N */
	struct rw_cond	*conds;
	size_t		 nconds;
	struct rw_action *acts;
	size_t		 nacts;
	const char	*file;		/* where it was configured */
	int		 line;
	int		 index;		/* 1-based, in its list */
	const char	*flags_text;	/* for traces: "redirect=301 qsappend" */
};

/*
 * Per rule, packed side by side: a pass over rules that cannot match the
 * path reads these few cache lines and not the rules themselves, which
 * the proxy's work between two requests has pushed out of the caches.
 */
struct rw_pre {
	char		 lit[28];	/* the rule's literal path prefix, cut */
	uint8_t		 len;		/* 0: no check, match the rule */
	bool		 nocase;
	bool		 chain;		/* the rule has the chain flag */
	uint8_t		 pad;
};

struct rw_ruleset {
	struct rw_rule	*v;
	size_t		 n;
	struct rw_pre	*pre;		/* n entries (rw_ruleset_finish), or NULL */
};

/*
 * What a rule set sees of the request. Only path is required: a NULL
 * field is asked for through io->var ("query", "uri", "scheme", "host")
 * the first time a rule needs it, so rule sets that match nothing cost
 * no copies.
 */
struct rw_req {
	const char	*path;		/* decoded, normalised */
	const char	*query;		/* as received, without '?' */
	const char	*uri;		/* the request target as received */
	const char	*scheme;	/* "http" */
	const char	*host;		/* Host, with any port */
};

/* The caller's side. Only var is required. */
struct rw_io {
	void		*arg;
	/* %{name}, env.NAME included: the value, or NULL when absent. */
	const char	*(*var)(void *arg, const char *name, size_t len,
			    size_t *vlen);
	/* A rule that applies sets a variable, a cookie or a field. */
	void		 (*act)(void *arg, const struct rw_rule *,
			    enum rw_act_kind, const char *name,
			    const char *value);
	/* One line per step; NULL when nobody traces (costs nothing). */
	void		 (*trace)(void *arg, const char *fmt, ...)
			    __attribute__((__format__(printf, 2, 3)));
	/* Logged anyway: a match limit hit, an invalid result. */
	void		 (*warn)(void *arg, const char *fmt, ...)
			    __attribute__((__format__(printf, 2, 3)));
	const char	*root;		/* file_exists: the static root, or NULL */
	uint32_t	 match_limit;	/* 0: the default */
};

enum rw_outcome {
	RW_NONE,	/* nothing changed */
	RW_INTERNAL,	/* the path and/or the query changed */
	RW_REDIRECT,	/* answer status with location */
	RW_STATUS,	/* answer status */
	RW_PROXY,	/* relay to upstream with path and query */
	RW_ERROR	/* answer 500: the rule made an invalid URI */
};

struct rw_result {
	enum rw_outcome	 outcome;
	int		 status;
	const char	*path;		/* the new path (INTERNAL, PROXY) */
	bool		 path_set;
	const char	*query;		/* the new query, NULL: none */
	bool		 query_set;
	const char	*location;	/* REDIRECT */
	const char	*upstream;	/* PROXY: a pool, or a URL's authority */
	bool		 upstream_url;	/* from a URL: the authority, which may
					   name a pool or an ad-hoc origin */
	bool		 upstream_tls;	/* the URL is https */
	bool		 stop;		/* break, proxy: no later pass */
	const struct rw_rule *fired[RW_TRAIL];	/* rules that changed the URL */
	size_t		 nfired;
};

#define RW_MATCH_LIMIT	100000	/* default backtracking steps per match */

/* rewrite_engine.c */
/*
 * Runs rs over rq. Returns 0 with *res filled, or -1 when out of memory
 * (answer 500). Strings in *res live in a.
 */
int		 rw_run(const struct rw_ruleset *rs, const struct rw_req *rq,
		    const struct rw_io *io, struct pt_arena *a,
		    struct rw_result *res);
/*
 * 1 match (caps filled when not NULL), 0 no match, -1 the match gave up
 * (match limit, JIT stack, out of memory): callers count it as no match.
 */
int		 rw_rx_match(const struct rw_rx *, const char *s, size_t len,
		    uint32_t limit, struct rw_caps *caps);
/*
 * Expands t into buf[0..size). escape: %-encode what expansions bring
 * that may not stand in a URL (before the template's first literal '?':
 * path rules; after it: query rules). *qpos is where that '?' landed, or
 * (size_t)-1. Returns the length, or -1 when the result does not fit.
 */
long		 rw_expand(const struct rw_subst *t, const struct rw_caps *rule,
		    const struct rw_caps *cond, const struct rw_io *io,
		    bool escape, char *buf, size_t size, size_t *qpos);
/*
 * Evaluates a rule's conditions (Apache's RewriteCond semantics: AND, or
 * this-OR-next). 1 when they hold; *cond gets the captures of the last
 * regex condition that matched, which point into store (RW_COND_STORE
 * bytes, owned by the caller).
 */
#define RW_COND_STORE	(2 * RW_URL_MAX)
int		 rw_conds_eval(const struct rw_rule *r, const struct rw_caps *rule,
		    const struct rw_io *io, struct rw_caps *cond, char *store);
/* A map lookup; the value (NULL: not found) in buf for functions. */
const char	*rw_map_lookup(const struct rw_map *, const char *key,
		    size_t klen, char *buf, size_t size, size_t *vlen);
/* Whether s is an address inside one of the blocks. */
bool		 rw_cidr_match(const struct rw_cidr *, size_t n, const char *s,
		    size_t len);
/* s as a C-quoted string for traces and logs, cut to fit. */
const char	*rw_quote(char *buf, size_t size, const char *s, size_t len);
/* The pattern set's per-process match state; 0 or -1 (ENOMEM). */
int		 rw_engine_init(void);

/* rewrite_build.c: from text to the structures above; NULL/-1 + err. */
struct rw_rx	*rw_rx_compile(struct pt_arena *, const char *pattern,
		    bool nocase, char *err, size_t errlen, size_t *erroff);
int		 rw_subst_parse(struct pt_arena *, const char *text,
		    const struct rw_maps *, struct rw_subst *out,
		    char *err, size_t errlen);
/* One flag ("redirect=301") into r; maps for the values' templates. */
int		 rw_flag_parse(struct pt_arena *, const char *text,
		    const struct rw_maps *, struct rw_rule *r,
		    char *err, size_t errlen);
/* Cross checks once a rule is whole ($3 with two groups, ...). */
int		 rw_rule_check(const struct rw_rule *, char *err, size_t errlen);
/* Builds rs->pre once the rules are in place; 0, or -1 out of memory. */
int		 rw_ruleset_finish(struct pt_arena *, struct rw_ruleset *rs);
int		 rw_cidr_parse(const char *, struct rw_cidr *);

/* rewrite_map.c */
/* Reads a txt or rnd map's file; the error names the file and line. */
int		 rw_map_load(struct pt_arena *, struct rw_map *,
		    char *err, size_t errlen);
/* The internal function maps (tolower, ...) by name, or NULL. */
const struct rw_map *rw_map_internal(const char *name, size_t len);
const struct rw_map *rw_map_find(const struct rw_maps *, const char *name,
		    size_t len);

#endif /* RW_ENGINE_H */
