/*
 * mod_waf's pure parts, usable without a server (t/unit/test_waf): the
 * transformations, the SQL and HTML/JavaScript tokenizers, the rule
 * loader and the scanner. None of these files includes portier/hooks.h.
 */
#ifndef WAF_ENGINE_H
#define WAF_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- transformations (waf_transform.c) ------------------------------------ */

enum waf_tf {
	WAF_TF_NONE, WAF_TF_URLDECODE, WAF_TF_HTMLDECODE, WAF_TF_LOWERCASE,
	WAF_TF_REMOVENULLS, WAF_TF_COMPRESSWS, WAF_TF_NORMPATH,
	WAF_TF_BASE64, WAF_TF_HEX, WAF_TF_REPLACECOMMENTS, WAF_TF_UTF8,
	WAF_TF_REMOVEWS, WAF_TF_COUNT
};
#define WAF_CHAIN_MAX	8

/* A byte string the transformations own (malloc'ed; free with free()). */
struct waf_buf {
	char	*p;
	size_t	 len;
};

/* The transformation called name, or -1. */
int	waf_tf_parse(const char *name);
const char *waf_tf_name(int tf);
/*
 * Applies one transformation to in; out gets a fresh malloc'ed copy, NUL
 * terminated. *flags gets WAF_TF_BAD_ENCODING when the input had invalid
 * percent-encoding or base64. 0, or -1 when out of memory.
 */
#define WAF_TF_BAD_ENCODING	0x1
/* Whether tf would leave s as it is (so the scanner skips the copy). */
bool	waf_tf_is_noop(int tf, const char *s, size_t len);
/* The same for every transformation at once: bit tf set when a no-op. */
unsigned waf_tf_noop_mask(const char *s, size_t len);
int	waf_tf_apply(int tf, const char *in, size_t len, struct waf_buf *out,
	    unsigned *flags);

/* --- lexical detectors (waf_sqli.c, waf_xss.c) ---------------------------- */

/*
 * Whether s has the shape of injected SQL in any of the three contexts
 * (as is, after a single quote, after a double quote). fp gets the token
 * fingerprint that matched (up to 15 bytes and a NUL) when not NULL.
 */
bool	waf_is_sqli(const char *s, size_t len, char fp[16]);
/*
 * waf_is_sqli() is waf_sqli_may_match(), a one-pass superset, then
 * waf_sqli_lexical(), the tokenizer; apart for tests.
 */
bool	waf_sqli_may_match(const char *s, size_t len);
bool	waf_sqli_lexical(const char *s, size_t len, char fp[16]);
/* The SQL fingerprint of s in context q (0, '\'' or '"'), for tests. */
size_t	waf_sqli_fingerprint(const char *s, size_t len, char q, char *fp,
	    size_t size);
/* Whether s injects HTML or JavaScript: a tag, a handler, a URI scheme. */
bool	waf_is_xss(const char *s, size_t len);

/* --- rules (waf_rules.c) and scanning (waf_scan.c) ------------------------ */

enum waf_target {
	WAF_T_METHOD = 1 << 0, WAF_T_PATH = 1 << 1, WAF_T_QUERY = 1 << 2,
	WAF_T_ARG_NAMES = 1 << 3, WAF_T_ARGS = 1 << 4,
	WAF_T_HEADER_NAMES = 1 << 5, WAF_T_HEADERS = 1 << 6,
	WAF_T_COOKIES = 1 << 7, WAF_T_BODY = 1 << 8, WAF_T_UA = 1 << 9,
	WAF_T_FILES = 1 << 10, WAF_T_CLIENT = 1 << 11,
	WAF_T_RESP_STATUS = 1 << 12, WAF_T_RESP_HEADERS = 1 << 13
};
#define WAF_T_BITS	14

enum waf_op {
	WAF_OP_RX, WAF_OP_PM, WAF_OP_SQLI, WAF_OP_XSS, WAF_OP_LEN_GT,
	WAF_OP_BYTES, WAF_OP_CIDR, WAF_OP_EQ
};

struct waf_rule {
	unsigned	 id;
	int		 pl;		/* paranoia level 1-4 */
	int		 sev;		/* score added, 1-10 */
	bool		 block;		/* blocks at once, whatever the score */
	unsigned	 targets;	/* enum waf_target mask */
	int		 op;		/* enum waf_op */
	int		 group;		/* index of its transformation chain */
	const char	*tag;
	const char	*msg;
	const char	*pattern;
	const char	*only;		/* NULL, or the one name it looks at */
	void		*re;		/* pcre2_code *, RX */
	bool		 hs;		/* in its group's Hyperscan database */
	long long	 num;		/* LEN_GT, EQ */
	unsigned char	 lo, hi;	/* BYTES: allowed range */
	unsigned char	 net[16];	/* CIDR */
	int		 bits, family;
	const char	*file;
	int		 line;
};

struct waf_group {
	uint8_t		 chain[WAF_CHAIN_MAX];
	int		 n;
	void		*db;		/* hs_database_t *, or NULL */
	void		*scratch;	/* hs_scratch_t * */
	unsigned	 targets;	/* union of its rules' targets */
	unsigned	 hs_targets;	/* the same for its rules in db */
	size_t		*other;		/* rules not in the database */
	size_t		 nother;
};

struct waf_ruleset {
	struct waf_rule	 *v;
	size_t		  n;
	struct waf_group *g;
	size_t		  ng;
	char		**files;	/* the rule files' names (rule->file) */
	size_t		  nfiles;
	/*
	 * Per target bit, every group's expressions for it: a value each
	 * chain leaves as it is (most benign values) is scanned once.
	 */
	void		 *tdb[WAF_T_BITS];	/* hs_database_t *, or NULL */
	void		 *tscratch;
};

/* Reports a loader error; file and line name the rule. */
typedef void	(*waf_err_fn)(void *arg, const char *file, int line,
		    const char *msg);

/*
 * Loads rule files into rs (which starts zeroed) and compiles it. Returns
 * the number of errors, each reported through err.
 */
int	waf_rules_load(struct waf_ruleset *rs, const char *const *files,
	    size_t n, waf_err_fn err, void *arg);
int	waf_rules_compile(struct waf_ruleset *rs, waf_err_fn err, void *arg);
/*
 * Frees everything waf_rules_load and waf_rules_compile allocated in rs
 * (strings, PCRE2 code, Hyperscan databases and scratch) and zeroes it;
 * not rs itself.
 */
void	waf_rules_free(struct waf_ruleset *rs);
const struct waf_rule *waf_rules_find(const struct waf_ruleset *, unsigned id);
/* strdup() that the loader and the compiler share. */
char	*waf_xstrdup(const char *);

/* An exclusion: rules id..hi (0: every rule) for one value name or all. */
struct waf_excl {
	unsigned	 id, hi;
	const char	*name;		/* NULL: every value */
};

#define WAF_HITS_MAX	32
#define WAF_MATCH_LEN	64

struct waf_hit {
	const struct waf_rule	*rule;
	const char		*target;	/* "args", "headers", ... */
	char			 name[48];
	char			 data[WAF_MATCH_LEN + 1];
};

struct waf_seen_vals;

/* One request's evaluation. */
struct waf_tx {
	const struct waf_ruleset *rs;
	int			 paranoia;
	const struct waf_excl	*excl;
	size_t			 nexcl;
	int			 score;
	bool			 block_now;
	struct waf_hit		 hits[WAF_HITS_MAX];
	size_t			 nhits;
	uint32_t		*seen;	/* rules already counted: a bitmap */
	size_t			 nseen;	/* its words */
	/* while scanning one value */
	unsigned		 cur_target;
	const char		*cur_tname;
	const char		*cur_name;
	size_t			 cur_nlen;
	const char		*cur_val;
	size_t			 cur_len;
	bool			 limit_hit;
	struct waf_seen_vals	*vals;	/* short values scanned already */
};

int	waf_tx_init(struct waf_tx *, const struct waf_ruleset *, int paranoia,
	    const struct waf_excl *, size_t nexcl);
void	waf_tx_free(struct waf_tx *);
/* Scans one value of a target; name is the argument or header name. */
void	waf_tx_scan(struct waf_tx *, unsigned target, const char *tname,
	    const char *name, size_t nlen, const char *val, size_t len);
/* Records a violation found outside the rules (body parse errors). */
void	waf_tx_violation(struct waf_tx *, unsigned id, int sev, const char *msg,
	    const char *data, size_t len);

/* --- bodies (waf_body.c) -------------------------------------------------- */

/*
 * Called for each name (target WAF_T_ARG_NAMES, val the name again) and
 * each value (WAF_T_ARGS, or WAF_T_FILES for a file name) found.
 */
typedef void	(*waf_kv_fn)(void *arg, unsigned target, const char *name,
		    size_t nlen, const char *val, size_t vlen);
/*
 * Splits an application/x-www-form-urlencoded string (a query or a body)
 * into names and values, percent-decoded. Returns false when some
 * percent-encoding was invalid (the raw bytes are passed on then).
 */
bool	waf_parse_urlencoded(const char *s, size_t len, waf_kv_fn, void *arg);
/* JSON: each key and string/number value, names as dotted paths. */
bool	waf_parse_json(const char *s, size_t len, waf_kv_fn, void *arg);
/* multipart/form-data with boundary: fields, file names. */
bool	waf_parse_multipart(const char *s, size_t len, const char *boundary,
	    size_t blen, waf_kv_fn, void *arg);

#endif /* WAF_ENGINE_H */
