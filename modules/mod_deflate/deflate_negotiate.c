/*
 * mod_deflate's pure decisions: which content coding a client gets
 * (RFC 9110 12.5.3), whether a media type is listed, and token lookups in
 * list-valued fields. Nothing here allocates or knows about requests.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "deflate_negotiate.h"

#define IS_OWS(c)	((c) == ' ' || (c) == '\t')

static const char *const coding_names[DFL_NCODINGS] = {
	[DFL_IDENTITY] = "identity",
	[DFL_GZIP] = "gzip",
	[DFL_BR] = "br",
	[DFL_ZSTD] = "zstd",
};

/* RFC 9110 5.6.2: tchar. */
static bool
is_tchar(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL));
}

static bool
name_is(const char *p, size_t len, const char *name)
{
	return (strlen(name) == len && strncasecmp(p, name, len) == 0);
}

int
dfl_coding_parse(const char *name, size_t len)
{
	int c;

	for (c = 0; c < DFL_NCODINGS; c++)
		if (name_is(name, len, coding_names[c]))
			return (c);
	if (name_is(name, len, "x-gzip"))
		return (DFL_GZIP);
	return (-1);
}

const char *
dfl_coding_name(enum dfl_coding c)
{
	return ((unsigned int)c < DFL_NCODINGS ? coding_names[c] : "identity");
}

/*
 * Returns the index just past a quoted-string that starts at v[i] (a
 * DQUOTE), honouring quoted-pairs; len when it is not closed.
 */
static size_t
skip_quoted(const char *v, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (v[i] == '\\' && i + 1 < len)
			i++;
		else if (v[i] == '"')
			return (i + 1);
	}
	return (len);
}

/* Returns the index of the next comma outside quotes at or after i, or len. */
static size_t
next_comma(const char *v, size_t len, size_t i)
{
	while (i < len && v[i] != ',') {
		if (v[i] == '"')
			i = skip_quoted(v, len, i);
		else
			i++;
	}
	return (i);
}

/*
 * RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) /
 * ( "1" [ "." 0*3("0") ] ). Stores thousandths; false when malformed.
 */
static bool
parse_qvalue(const char *p, size_t len, int *q)
{
	int	v, scale;
	size_t	i;

	if (len == 0 || (p[0] != '0' && p[0] != '1'))
		return (false);
	v = (p[0] - '0') * 1000;
	if (len == 1) {
		*q = v;
		return (true);
	}
	if (p[1] != '.' || len > 5)
		return (false);
	for (i = 2, scale = 100; i < len; i++, scale /= 10) {
		if (p[i] < '0' || p[i] > '9' || (p[0] == '1' && p[i] != '0'))
			return (false);
		v += (p[i] - '0') * scale;
	}
	*q = v;
	return (true);
}

/*
 * Parses the parameters of one element from v[*ip] on (just past the
 * coding name): *( OWS ";" OWS name [ "=" value ] ). Only "q" means
 * anything (RFC 9110 12.5.3 weight); others are skipped. Leaves *ip at
 * the element's end (a comma or len); false when the element is garbled.
 */
static bool
parse_params(const char *v, size_t len, size_t *ip, int *q)
{
	size_t		 i = *ip, ns, nl, vs, vl;

	for (;;) {
		while (i < len && IS_OWS(v[i]))
			i++;
		if (i >= len || v[i] == ',')
			break;
		if (v[i++] != ';')
			return (false);
		while (i < len && IS_OWS(v[i]))
			i++;
		for (ns = i; i < len && is_tchar((unsigned char)v[i]); i++)
			;
		if ((nl = i - ns) == 0)
			return (false);
		vs = vl = 0;
		if (i < len && v[i] == '=') {
			i++;
			if (i < len && v[i] == '"') {
				vs = i + 1;
				i = skip_quoted(v, len, i);
				vl = i > vs ? i - vs - 1 : 0;
			} else {
				for (vs = i; i < len &&
				    is_tchar((unsigned char)v[i]); i++)
					;
				vl = i - vs;
			}
		} else if (name_is(v + ns, nl, "q"))
			return (false);
		if (name_is(v + ns, nl, "q") && !parse_qvalue(v + vs, vl, q))
			return (false);
	}
	*ip = i;
	return (true);
}

void
dfl_accept_parse(const char *v, size_t len, struct dfl_accept *a)
{
	size_t	i = 0, ns, nl;
	int	c, q;

	for (c = 0; c < DFL_NCODINGS; c++)
		a->q[c] = DFL_Q_UNSET;
	a->star = DFL_Q_UNSET;
	while (i < len) {
		/* RFC 9110 5.6.1: empty list elements are allowed. */
		while (i < len && (IS_OWS(v[i]) || v[i] == ','))
			i++;
		if (i >= len)
			break;
		for (ns = i; i < len && is_tchar((unsigned char)v[i]); i++)
			;
		nl = i - ns;
		q = 1000;
		if (nl == 0 || !parse_params(v, len, &i, &q)) {
			i = next_comma(v, len, i);
			continue;
		}
		if (nl == 1 && v[ns] == '*') {
			if (a->star == DFL_Q_UNSET)
				a->star = q;
		} else if ((c = dfl_coding_parse(v + ns, nl)) >= 0 &&
		    a->q[c] == DFL_Q_UNSET)
			a->q[c] = q;
	}
}

enum dfl_coding
dfl_negotiate(const char *v, size_t len, const enum dfl_coding *prefs,
    size_t nprefs)
{
	struct dfl_accept	a;
	enum dfl_coding		best = DFL_IDENTITY;
	int			bestq = 0, q, idq;
	size_t			i;

	/* No field: the client said nothing, so it gets no coding (nginx). */
	if (v == NULL)
		return (DFL_IDENTITY);
	dfl_accept_parse(v, len, &a);
	for (i = 0; i < nprefs; i++) {
		if (prefs[i] == DFL_IDENTITY || (unsigned int)prefs[i] >=
		    DFL_NCODINGS)
			continue;
		q = a.q[prefs[i]] != DFL_Q_UNSET ? a.q[prefs[i]] :
		    (a.star != DFL_Q_UNSET ? a.star : 0);
		if (q > bestq) {
			best = prefs[i];
			bestq = q;
		}
	}
	if (best == DFL_IDENTITY)
		return (DFL_IDENTITY);
	/* "*" also covers identity when identity is not listed (12.5.3). */
	idq = a.q[DFL_IDENTITY] != DFL_Q_UNSET ? a.q[DFL_IDENTITY] : a.star;
	return (idq > bestq ? DFL_IDENTITY : best);
}

/* The media type of a Content-Type value: its start and length. */
static size_t
media_type(const char *ct, const char **start)
{
	size_t n;

	while (IS_OWS(*ct))
		ct++;
	for (n = 0; ct[n] != '\0' && ct[n] != ';' && !IS_OWS(ct[n]); n++)
		;
	*start = ct;
	return (n);
}

bool
dfl_type_listed(const char *content_type, const char *const *types,
    size_t ntypes)
{
	const char	*mt, *slash;
	size_t		 mlen, elen, i;

	if (content_type == NULL)
		return (false);
	mlen = media_type(content_type, &mt);
	if ((slash = memchr(mt, '/', mlen)) == NULL || slash == mt ||
	    (size_t)(slash - mt) + 1 == mlen)
		return (false);
	for (i = 0; i < ntypes; i++) {
		elen = strlen(types[i]);
		if (elen >= 2 && strcmp(types[i] + elen - 2, "/*") == 0) {
			/* A wildcard entry: the type and its slash, any subtype. */
			if ((size_t)(slash - mt) + 1 == elen - 1 &&
			    strncasecmp(mt, types[i], elen - 1) == 0)
				return (true);
		} else if (elen == mlen && strncasecmp(mt, types[i], mlen) == 0)
			return (true);
	}
	return (false);
}

/* A token without "*": a type or subtype name. */
static size_t
type_name(const char *p)
{
	size_t n;

	for (n = 0; p[n] != '*' && is_tchar((unsigned char)p[n]); n++)
		;
	return (n);
}

bool
dfl_type_valid(const char *entry)
{
	size_t n = type_name(entry);

	if (n == 0 || entry[n] != '/')
		return (false);
	entry += n + 1;
	if (strcmp(entry, "*") == 0)
		return (true);
	n = type_name(entry);
	return (n > 0 && entry[n] == '\0');
}

bool
dfl_list_has(const char *value, size_t len, const char *token)
{
	size_t	i = 0, ns, tl = strlen(token);

	if (value == NULL)
		return (false);
	while (i < len) {
		while (i < len && (IS_OWS(value[i]) || value[i] == ','))
			i++;
		for (ns = i; i < len && value[i] != ',' && value[i] != ';' &&
		    value[i] != '=' && !IS_OWS(value[i]); i++)
			;
		if (i - ns == tl && strncasecmp(value + ns, token, tl) == 0)
			return (true);
		i = next_comma(value, len, i);
	}
	return (false);
}
