/*
 * Lexical SQL injection detection: the value is cut into SQL tokens, in
 * three contexts (as is, and as if it followed an opening single or double
 * quote, where an injection starts by closing the string), and the token
 * classes form a fingerprint. Injected SQL has shapes prose does not:
 * a string closed then a boolean operator, UNION then SELECT, a statement
 * after ';', a delay function, a comment cutting off the rest of a query.
 *
 * Token classes: s string, n number, v identifier, k keyword, U union,
 * E statement verb, & boolean operator, o operator, f function call,
 * c comment, ( ) ; , punctuation.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "waf_engine.h"

#define FP_MAX	15

static const char *const sql_verbs[] = {
	"select", "insert", "update", "delete", "drop", "exec", "execute",
	"declare", "create", "alter", "truncate", "shutdown", "replace",
	"grant", "revoke", "merge", "call", "load_file", "handler", NULL
};
static const char *const sql_bool[] = {
	"and", "or", "xor", "not", "like", "rlike", "regexp", NULL
};
static const char *const sql_keywords[] = {
	"from", "where", "having", "order", "group", "by", "into", "values",
	"limit", "offset", "case", "when", "then", "else", "end", "null",
	"all", "distinct", "table", "set", "procedure", "outfile", "dumpfile",
	"waitfor", "delay", "true", "false", "as", "asc", "desc", "top",
	"information_schema", "sysobjects", "syscolumns", "collate", "join",
	"if", "begin", "sleep", "benchmark", "is", "in", "between", "div",
	"sounds", NULL
};
/* Functions worth flagging by themselves once called. */
static const char *const sql_danger_fn[] = {
	"sleep", "benchmark", "pg_sleep", "load_file", "extractvalue",
	"updatexml", "dbms_pipe.receive_message", "utl_inaddr.get_host_name",
	"xp_cmdshell", "sys_eval", "randomblob", "dbms_lock.sleep", NULL
};
static const char *const sql_functions[] = {
	"char", "chr", "concat", "concat_ws", "substring", "substr", "mid",
	"ascii", "ord", "version", "user", "database", "schema", "count",
	"cast", "convert", "hex", "unhex", "md5", "sha1", "if", "ifnull",
	"length", "group_concat", "lower", "upper", "current_user", "now",
	"exp", "floor", "rand", "row", "name_const", "json_keys", "len",
	"isnull", "coalesce", "nullif", "system_user", "session_user",
	"db_name", "make_set", "elt", "instr", "locate", "position",
	"char_length", "bin", "conv", "sleep", "benchmark", "pg_sleep",
	"load_file", "extractvalue", "updatexml", "xp_cmdshell", "sys_eval",
	"randomblob", "waitfor", "table_name", NULL
};

static bool
in_list(const char *const *l, const char *w, size_t n)
{
	int c = tolower((unsigned char)w[0]);

	for (; *l != NULL; l++)
		if ((*l)[0] == c && strlen(*l) == n &&
		    strncasecmp(*l, w, n) == 0)
			return (true);
	return (false);
}

/*
 * Bit n of word_lens[c - 'a']: some listed word starts with c and has n
 * bytes. Most words of prose are ruled out with one look.
 */
static uint32_t	word_lens[26];

static void
word_lens_add(const char *const *l)
{
	for (; *l != NULL; l++)
		if ((*l)[0] >= 'a' && (*l)[0] <= 'z' && strlen(*l) < 32)
			word_lens[(*l)[0] - 'a'] |= 1u << strlen(*l);
}

static bool
maybe_listed(const char *w, size_t n)
{
	int c = tolower((unsigned char)w[0]);

	if (word_lens[0] == 0) {
		word_lens_add(sql_verbs);
		word_lens_add(sql_bool);
		word_lens_add(sql_keywords);
		word_lens_add(sql_functions);
		word_lens[('u' - 'a')] |= 1u << 5;	/* union */
	}
	return (c >= 'a' && c <= 'z' && n < 32 &&
	    (word_lens[c - 'a'] & (1u << n)) != 0);
}

struct sql_lex {
	const char	*s;
	size_t		 len, i;
	char		*fp;
	char		*ops;		/* NULL, or each 'o' token's first byte */
	char		 opc;
	size_t		 nfp, size;
	bool		 danger;	/* a delay or file function is called */
	bool		 bare_comment;	/* a comment follows a closed string */
};

static void
fp_add(struct sql_lex *x, char c)
{
	if (x->nfp + 1 >= x->size)
		return;
	if (x->ops != NULL)
		x->ops[x->nfp] = c == 'o' ? x->opc : c;
	x->fp[x->nfp++] = c;
}

/* A quoted string from the opening quote q at i; sets i past it. */
static void
lex_string(struct sql_lex *x, char q)
{
	for (x->i++; x->i < x->len; x->i++) {
		if (x->s[x->i] == '\\') {
			x->i++;
			continue;
		}
		if (x->s[x->i] == q) {
			if (x->i + 1 < x->len && x->s[x->i + 1] == q) {
				x->i++;
				continue;
			}
			x->i++;
			break;
		}
	}
	fp_add(x, 's');
}

/* Words that go on a query after a call: "sleep(5) and 1=1". */
static const char *const sql_after_call[] = {
	"and", "or", "xor", "from", "then", "else", "end", "limit", "union",
	"as", "div", "like", "rlike", "regexp", "into", "order", "group",
	"where", "having", NULL
};

/*
 * Whether a call to a delay or file function at i (its '(') is one SQL
 * would run: its argument is a number closed by ')' or ',', a nested
 * call or subquery, or a string; and it is not a word in a sentence,
 * "my sleep (2am again)" or "Sleep (2023) is a film": a plain word just
 * before it or just after its ')' makes it prose.
 */
static bool
danger_call(const struct sql_lex *x, size_t i)
{
	const char	*s = x->s;
	size_t		 len = x->len, j, w;
	char		 prev = x->nfp > 0 ? x->fp[x->nfp - 1] : '\0';

	if (prev == 'v' || prev == 'n')
		return (false);
	for (i++; i < len && isspace((unsigned char)s[i]); i++)
		;
	if (i < len && (s[i] == '(' || s[i] == '\'' || s[i] == '"' ||
	    isalpha((unsigned char)s[i])))
		return (true);	/* nested: sleep((select ..)), if(..) */
	while (i < len && (isdigit((unsigned char)s[i]) || s[i] == '.'))
		i++;
	for (; i < len && isspace((unsigned char)s[i]); i++)
		;
	if (i >= len || s[i] == ',')
		return (i < len || prev != '\0');
	if (s[i] != ')')
		return (false);
	for (i++; i < len && isspace((unsigned char)s[i]); i++)
		;
	for (w = i; w < len && isalpha((unsigned char)s[w]); w++)
		;
	j = w - i;
	return (j == 0 || in_list(sql_after_call, s + i, j));
}

static void
lex_word(struct sql_lex *x)
{
	size_t		 st = x->i, n, j;
	const char	*w;

	while (x->i < x->len && (isalnum((unsigned char)x->s[x->i]) ||
	    x->s[x->i] == '_' || x->s[x->i] == '.' || x->s[x->i] == '$' ||
	    x->s[x->i] == '@'))
		x->i++;
	w = x->s + st;
	n = x->i - st;
	/* No SQL word is longer (dbms_pipe.receive_message is the longest). */
	if (n > 27 || n < 2 || !maybe_listed(w, n)) {
		fp_add(x, 'v');
		return;
	}
	for (j = x->i; j < x->len && (x->s[j] == ' ' || x->s[j] == '\t' ||
	    x->s[j] == '\n' || x->s[j] == '\r'); j++)
		;
	if (j < x->len && x->s[j] == '(' && in_list(sql_functions, w, n)) {
		if (in_list(sql_danger_fn, w, n) && danger_call(x, j))
			x->danger = true;
		fp_add(x, 'f');
	} else if (n == 5 && strncasecmp(w, "union", 5) == 0)
		fp_add(x, 'U');
	else if (in_list(sql_verbs, w, n))
		fp_add(x, 'E');
	else if (in_list(sql_bool, w, n))
		fp_add(x, '&');
	else if (in_list(sql_keywords, w, n)) {
		if (n == 7 && strncasecmp(w, "waitfor", 7) == 0)
			x->danger = true;
		fp_add(x, 'k');
	} else
		fp_add(x, 'v');
}

static void
lex_number(struct sql_lex *x)
{
	if (x->s[x->i] == '0' && x->i + 1 < x->len &&
	    (x->s[x->i + 1] == 'x' || x->s[x->i + 1] == 'X'))
		x->i += 2;
	while (x->i < x->len && (isxdigit((unsigned char)x->s[x->i]) ||
	    x->s[x->i] == '.'))
		x->i++;
	/* "1e5" or "123abc": a word glued to a number is a word. */
	if (x->i < x->len && (isalpha((unsigned char)x->s[x->i]) ||
	    x->s[x->i] == '_')) {
		lex_word(x);
		return;
	}
	fp_add(x, 'n');
}

static size_t	sql_fingerprint(const char *, size_t, char, char *, char *,
		    size_t);

/* Returns false at the end of input. */
static bool
lex_one(struct sql_lex *x)
{
	char c;

	while (x->i < x->len && (isspace((unsigned char)x->s[x->i]) ||
	    (unsigned char)x->s[x->i] == 0xa0 || x->s[x->i] == '+'))
		x->i++;
	if (x->i >= x->len)
		return (false);
	c = x->s[x->i];
	if (c == '\'' || c == '"' || c == '`')
		lex_string(x, c);
	else if (isdigit((unsigned char)c) || (c == '.' && x->i + 1 <
	    x->len && isdigit((unsigned char)x->s[x->i + 1])))
		lex_number(x);
	else if (isalpha((unsigned char)c) || c == '_' || c == '@' || c == '$')
		lex_word(x);
	else if ((c == '-' && x->i + 1 < x->len && x->s[x->i + 1] == '-') ||
	    c == '#') {
		x->i = x->len;
		fp_add(x, 'c');
	} else if (c == '/' && x->i + 1 < x->len && x->s[x->i + 1] == '*') {
		const char *e = NULL;
		size_t k;

		for (k = x->i + 2; k + 1 < x->len; k++)
			if (x->s[k] == '*' && x->s[k + 1] == '/') {
				e = x->s + k;
				break;
			}
		/* MySQL's versioned comment (slash-star-bang) runs its content. */
		if (x->i + 2 < x->len && x->s[x->i + 2] == '!') {
			x->i += 3;
			while (x->i < x->len && isdigit((unsigned char)x->s[x->i]))
				x->i++;
			return (true);
		}
		x->i = e != NULL ? (size_t)(e - x->s) + 2 : x->len;
		fp_add(x, 'c');
	} else if (c == '*' && x->i + 1 < x->len && x->s[x->i + 1] == '/') {
		x->i += 2;	/* the end of a versioned comment */
	} else if (c == '|' && x->i + 1 < x->len && x->s[x->i + 1] == '|') {
		x->i += 2;
		fp_add(x, '&');
	} else if (c == '&' && x->i + 1 < x->len && x->s[x->i + 1] == '&') {
		x->i += 2;
		fp_add(x, '&');
	} else if (c == '(' || c == ')' || c == ';' || c == ',') {
		x->i++;
		fp_add(x, c);
	} else if (c != '\0' && strchr("=<>!|&^~%*/-:", c) != NULL) {
		if (strchr("=<>!|&^~:", c) == NULL)
			x->i++;
		else
			while (x->i < x->len && x->s[x->i] != '\0' &&
			    strchr("=<>!|&^~:", x->s[x->i]) != NULL)
				x->i++;
		x->opc = c;
		fp_add(x, 'o');
	} else {
		x->i++;	/* other punctuation: ignored */
	}
	return (true);
}

size_t
waf_sqli_fingerprint(const char *s, size_t len, char q, char *fp, size_t size)
{
	return (sql_fingerprint(s, len, q, fp, NULL, size));
}

/* ops, when not NULL, gets the first byte of each operator token. */
static size_t
sql_fingerprint(const char *s, size_t len, char q, char *fp, char *ops,
    size_t size)
{
	struct sql_lex x = { .s = s, .len = len, .fp = fp, .ops = ops,
			     .size = size };

	if (q != 0) {
		/* The application opened the string: it ends at our q. */
		while (x.i < len && s[x.i] != q)
			x.i++;
		if (x.i >= len) {
			fp[0] = '\0';
			return (0);
		}
		x.i++;
		fp_add(&x, 's');
	}
	while (x.nfp + 1 < size && lex_one(&x))
		;
	fp[x.nfp] = '\0';
	if (x.danger && x.nfp + 1 < size) {
		/* marked with a trailing 'X' so callers can tell */
		fp[x.nfp++] = 'X';
		fp[x.nfp] = '\0';
	}
	return (x.nfp);
}

/* The token classes in s, one bit each (they are all in '&'..'~'). */
static uint64_t
char_mask(const char *s)
{
	uint64_t m = 0;

	for (; *s != '\0'; s++)
		m |= 1ull << (((unsigned char)*s - '&') & 63);
	return (m);
}

/* The shapes of injected SQL, as fingerprint substrings or prefixes. */
/*
 * "&vov" is "or a=b" only when the operator compares: "rock and
 * roll/blues" and "not bad-ish" are prose.
 */
static bool
vov_compares(const char *fp, const char *ops)
{
	const char *p;

	for (p = strstr(fp, "&vov"); p != NULL; p = strstr(p + 1, "&vov"))
		if (strchr("=<>!", ops[p - fp + 2]) != NULL)
			return (true);
	return (false);
}

static bool
fp_is_attack(const char *fp, const char *ops, bool quoted)
{
	static const char *const anywhere[] = {
		"UE", "U(E", "UkE", "Uk(E",	/* UNION [ALL] SELECT */
		";E", ";kn",		/* stacked queries, ;waitfor delay */
		"X",			/* a delay or file function called */
		"&f(", "ofn", "&(f", "s&f", "n&f", "o(E", "((E", "(E", "Ek(",
		"&vos", "&nos", "&son", "&sos", "&vov",
		"n&sos", "s&nos", "s&sos", "s&non", NULL
	};
	enum { VOV = 20 };	/* "&vov" */
	static const char *const quoted_starts[] = {
		/* after the string the application opened was closed */
		"s&", "so", "s;", "sc", "s)", "sk", "sE", "sf", NULL
	};
	static uint64_t	pmask[32];
	uint64_t	fmask = char_mask(fp);
	size_t		i;

	for (i = 0; anywhere[i] != NULL; i++) {
		if (pmask[i] == 0)
			pmask[i] = char_mask(anywhere[i]);
		/* a shape with a class fp lacks cannot be in it */
		if ((pmask[i] & ~fmask) == 0 && strstr(fp, anywhere[i]) != NULL &&
		    (i != VOV || vov_compares(fp, ops)))
			return (true);
	}
	if (!quoted)
		return (fp[0] == 'n' && (strncmp(fp, "n&no", 4) == 0 ||
		    strncmp(fp, "n&nc", 4) == 0 || strcmp(fp, "n&n") == 0 ||
		    strncmp(fp, "n&so", 4) == 0 || strncmp(fp, "n&vo", 4) == 0 ||
		    strncmp(fp, "n&f", 3) == 0 || strncmp(fp, "nc", 2) == 0 ||
		    strncmp(fp, "n)", 2) == 0 || strncmp(fp, "n;", 2) == 0 ||
		    strncmp(fp, "nU", 2) == 0 || strncmp(fp, "n&(", 3) == 0));
	for (i = 0; quoted_starts[i] != NULL; i++)
		if (strncmp(fp, quoted_starts[i], strlen(quoted_starts[i])) == 0) {
			/* "it's ok, and fine": s then v: not an attack. */
			if (strcmp(quoted_starts[i], "s&") == 0 &&
			    (fp[2] == '\0' || (fp[2] == 'v' && fp[3] != 'o')))
				continue;
			if (strcmp(quoted_starts[i], "so") == 0 && fp[2] == '\0')
				continue;
			/* "' where is it?": a keyword after the quote needs
			 * an operator or a comment later to be SQL. */
			if (strcmp(quoted_starts[i], "sk") == 0 &&
			    strpbrk(fp + 2, "oc;n") == NULL)
				continue;
			/*
			 * A statement after the closed string (MSSQL runs
			 * "' drop table t--") must still deal with the
			 * application's closing quote: a comment, ';', or an
			 * operator. A quoted verb in prose has none of them:
			 * 'she wrote "update your profile" and left'.
			 */
			if (strcmp(quoted_starts[i], "sE") == 0 &&
			    strpbrk(fp + 2, "oc;") == NULL)
				continue;
			/* "' or '1": the last string is the application's;
			 * '"yes" or "no" and "maybe"' chains phrases. */
			if (strcmp(quoted_starts[i], "s&") == 0 &&
			    fp[2] == 's' && fp[3] != '\0' &&
			    strchr("oc;)", fp[3]) == NULL)
				continue;
			return (true);
		}
	return (false);
}

static bool
prefilter_word(const char *w, size_t n)
{
	return ((n == 5 && strncasecmp(w, "union", 5) == 0) ||
	    (n == 7 && strncasecmp(w, "waitfor", 7) == 0) ||
	    in_list(sql_bool, w, n));
}

/*
 * Whether a run of word bytes holds a word the prefilter looks for, as
 * the lexer would cut it: the whole run, or what follows a number glued
 * to it ("1e5union", "0x1fwaitfor": lex_number() leaves the rest to
 * lex_word()).
 */
static bool
run_has_word(const char *r, size_t n)
{
	size_t l, k;

	if (prefilter_word(r, n))
		return (true);
	if (!isdigit((unsigned char)r[0]) && r[0] != '.')
		return (false);
	for (l = 2; l <= 7 && l < n; l++) {
		for (k = 0; k < n - l; k++)
			if (!isxdigit((unsigned char)r[k]) && r[k] != '.' &&
			    r[k] != 'x' && r[k] != 'X')
				break;
		if (k == n - l && prefilter_word(r + k, l))
			return (true);
	}
	return (false);
}

/* Bytes that start a token (or a comment) for lex_one(); others are skipped. */
static bool
is_token_byte(unsigned char c)
{
	return (isalnum(c) || (c != '\0' && c < 0x80 &&
	    strchr("_@$'\"`#(),;=<>!|&^~%*/-:", c) != NULL));
}

/* From i, past what the lexer skips: blanks, other bytes, "star-slash",
 * a versioned comment's opening and its digits. */
static size_t
skip_untokened(const char *s, size_t len, size_t i)
{
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' && i + 1 < len && isdigit((unsigned char)s[i + 1]))
			break;
		if (!is_token_byte(c))
			i++;
		else if (c == '*' && i + 1 < len && s[i + 1] == '/')
			i += 2;
		else if (c == '/' && i + 2 < len && s[i + 1] == '*' &&
		    s[i + 2] == '!') {
			for (i += 3; i < len && isdigit((unsigned char)s[i]); i++)
				;
		} else
			break;
	}
	return (i);
}

static bool
any_listed(const char *w, size_t n)
{
	return (maybe_listed(w, n) && (in_list(sql_verbs, w, n) ||
	    in_list(sql_keywords, w, n) || in_list(sql_bool, w, n) ||
	    (n == 5 && strncasecmp(w, "union", 5) == 0)));
}

/* Whether the token after i (a ';') can be a verb or keyword. */
static bool
word_follows(const char *s, size_t len, size_t i)
{
	size_t st, l, k;

	i = skip_untokened(s, len, i);
	for (st = i; i < len && (isalnum((unsigned char)s[i]) || s[i] == '_' ||
	    s[i] == '.' || s[i] == '$' || s[i] == '@'); i++)
		;
	if (i == st)
		return (false);
	if (any_listed(s + st, i - st))
		return (true);
	/* "1select": the number leaves the rest to lex_word() */
	for (l = 2; l <= 27 && l < i - st; l++) {
		for (k = st; k < i - l; k++)
			if (!isxdigit((unsigned char)s[k]) && s[k] != '.' &&
			    s[k] != 'x' && s[k] != 'X')
				break;
		if (k == i - l && any_listed(s + k, l))
			return (true);
	}
	return (false);
}

/*
 * A superset of what the tokenizer can flag, in one pass. Every shape in
 * fp_is_attack() needs one of: s (a quote; the quoted contexts need one
 * too), U (UNION), & (a bool word, "&&", "||"), X (a call, or WAITFOR),
 * '(' (f needs one too), ';' then a verb or keyword (";E", ";kn"), or a
 * first token that is a number ("nc", "n)", "n;": a comment, ')' or ';'
 * count only then). Without them the tokens are words, numbers,
 * keywords, verbs, operators, commas, and comments or ')' or ';' that no
 * shape uses, and none of the shapes is made of these alone.
 */
bool
waf_sqli_may_match(const char *s, size_t len)
{
	size_t	i, st = skip_untokened(s, len, 0);
	bool	num_first = st < len && (isdigit((unsigned char)s[st]) ||
		    s[st] == '.');

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\'' || c == '"' || c == '`' || c == '(')
			return (true);
		if (c == ';' && (num_first || word_follows(s, len, i + 1)))
			return (true);
		if (num_first && (c == ')' || c == '#' || (i + 1 < len &&
		    ((c == '-' && s[i + 1] == '-') || (c == '/' &&
		    s[i + 1] == '*')))))
			return (true);
		if (i + 1 < len && ((c == '&' && s[i + 1] == '&') ||
		    (c == '|' && s[i + 1] == '|')))
			return (true);
		if (!isalnum(c) && c != '_' && c != '.' && c != '$' && c != '@')
			continue;
		for (st = i; i < len && (isalnum((unsigned char)s[i]) ||
		    s[i] == '_' || s[i] == '.' || s[i] == '$' || s[i] == '@');
		    i++)
			;
		if (run_has_word(s + st, i - st))
			return (true);
		i--;
	}
	return (false);
}

bool
waf_is_sqli(const char *s, size_t len, char out[16])
{
	return (waf_sqli_may_match(s, len) && waf_sqli_lexical(s, len, out));
}

bool
waf_sqli_lexical(const char *s, size_t len, char out[16])
{
	static const char	qs[] = { 0, '\'', '"' };
	char			fp[FP_MAX + 1], ops[FP_MAX + 1];
	size_t			i;

	/* Values without any SQL punctuation or keyword shape are fast. */
	if (len < 3)
		return (false);
	/* One identifier or number alone is no injection. */
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '@')
			break;
	if (i == len)
		return (false);
	for (i = 0; i < sizeof(qs); i++) {
		if (sql_fingerprint(s, len, qs[i], fp, ops, sizeof(fp)) == 0)
			continue;
		if (fp_is_attack(fp, ops, qs[i] != 0)) {
			if (out != NULL)
				memcpy(out, fp, sizeof(fp));
			return (true);
		}
	}
	return (false);
}
