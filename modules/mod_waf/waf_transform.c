/*
 * The WAF's transformations: each turns one value into a fresh buffer.
 * Chaining and caching per value is the scanner's (waf_scan.c). Decoders
 * never fail on bad input: they keep the bytes they cannot decode and say
 * so through WAF_TF_BAD_ENCODING, which the scanner scores.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <portier/types.h>

#include "waf_engine.h"

#define URLDECODE_PASSES	3	/* %2527 -> %27 -> ' and no further */

static const char *const tf_names[WAF_TF_COUNT] = {
	"none", "urldecode", "htmldecode", "lowercase", "removenulls",
	"compresswhitespace", "normpath", "base64decode", "hexdecode",
	"replacecomments", "utf8", "removewhitespace"
};

int
waf_tf_parse(const char *name)
{
	int i;

	for (i = 0; i < WAF_TF_COUNT; i++)
		if (strcasecmp(name, tf_names[i]) == 0)
			return (i);
	return (-1);
}

const char *
waf_tf_name(int tf)
{
	return (tf >= 0 && tf < WAF_TF_COUNT ? tf_names[tf] : "?");
}

/* Writes code point cp as UTF-8; returns the byte count. */
static size_t
utf8_put(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return (1);
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return (3);
	}
	o[0] = (char)(0xf0 | ((cp >> 18) & 0x07));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return (4);
}

/* One pass of %XX, %uXXXX and '+' decoding; returns whether it changed. */
static bool
url_pass(char *p, size_t *len, unsigned *flags)
{
	size_t	i, o = 0, n = *len;
	int	a, b, c, d;
	bool	changed = false;

	for (i = 0; i < n; i++) {
		if (p[i] == '+') {
			p[o++] = ' ';
			changed = true;
		} else if (p[i] != '%') {
			p[o++] = p[i];
		} else if (i + 5 < n && (p[i + 1] == 'u' || p[i + 1] == 'U') &&
		    (a = pt_hexval(p[i + 2])) >= 0 &&
		    (b = pt_hexval(p[i + 3])) >= 0 &&
		    (c = pt_hexval(p[i + 4])) >= 0 &&
		    (d = pt_hexval(p[i + 5])) >= 0) {
			/* IIS's %uXXXX; fullwidth forms map to ASCII. */
			unsigned long cp = (unsigned long)(a << 12 | b << 8 |
			    c << 4 | d);
			if (cp >= 0xff01 && cp <= 0xff5e)
				cp -= 0xfee0;
			o += utf8_put(p + o, cp);
			i += 5;
			changed = true;
		} else if (i + 2 < n && (a = pt_hexval(p[i + 1])) >= 0 &&
		    (b = pt_hexval(p[i + 2])) >= 0) {
			p[o++] = (char)(a << 4 | b);
			i += 2;
			changed = true;
		} else {
			*flags |= WAF_TF_BAD_ENCODING;
			p[o++] = p[i];
		}
	}
	*len = o;
	return (changed);
}

static void
tf_urldecode(char *p, size_t *len, unsigned *flags)
{
	int i;

	for (i = 0; i < URLDECODE_PASSES; i++)
		if (!url_pass(p, len, flags) || memchr(p, '%', *len) == NULL)
			break;
}

static const struct {
	const char	*name;
	unsigned long	 cp;
} html_named[] = {
	{ "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", ' ' }, { "colon", ':' }, { "lpar", '(' },
	{ "rpar", ')' }, { "sol", '/' }, { "bsol", '\\' }, { "tab", '\t' },
	{ "newline", '\n' }, { "semi", ';' }, { "equals", '=' },
	{ "grave", '`' }, { "num", '#' }, { "excl", '!' }, { "period", '.' },
	{ "comma", ',' }, { "plus", '+' }
};

/* &name; &#NN; &#xHH; (the ';' may be missing, as browsers allow). */
static size_t
html_entity(const char *p, size_t n, char *out)
{
	size_t		i = 1, j;
	unsigned long	cp = 0;
	int		v, digits = 0;

	if (i < n && p[i] == '#') {
		bool hex = i + 1 < n && (p[i + 1] == 'x' || p[i + 1] == 'X');

		for (i += hex ? 2 : 1; i < n && digits < 8; i++, digits++) {
			v = hex ? pt_hexval(p[i]) :
			    (isdigit((unsigned char)p[i]) ?
			    p[i] - '0' : -1);
			if (v < 0)
				break;
			cp = cp * (hex ? 16 : 10) + (unsigned long)v;
		}
		if (digits == 0 || cp > 0x10ffff)
			return (0);
		if (i < n && p[i] == ';')
			i++;
		return ((size_t)(utf8_put(out, cp == 0 ? ' ' : cp)) << 16 | i);
	}
	for (j = 0; j < sizeof(html_named) / sizeof(html_named[0]); j++) {
		size_t l = strlen(html_named[j].name);

		if (n - 1 >= l && strncasecmp(p + 1, html_named[j].name, l) == 0) {
			i = 1 + l;
			if (i < n && p[i] == ';')
				i++;
			out[0] = (char)html_named[j].cp;
			return ((size_t)1 << 16 | i);
		}
	}
	return (0);
}

/* Whether tf_htmldecode() would replace the '&' at p ("a&b" stays). */
static bool
entity_at(const char *p, size_t n)
{
	char		tmp[4];
	unsigned long	r = html_entity(p, n, tmp);

	return (r != 0 && (r >> 16) <= (r & 0xffff));
}

static void
tf_htmldecode(char *p, size_t *len)
{
	size_t	i, o = 0, n = *len, r;
	char	tmp[4];

	for (i = 0; i < n;) {
		if (p[i] == '&' && (r = html_entity(p + i, n - i, tmp)) != 0 &&
		    (r >> 16) <= (r & 0xffff)) {
			memcpy(p + o, tmp, r >> 16);
			o += r >> 16;
			i += r & 0xffff;
		} else
			p[o++] = p[i++];
	}
	*len = o;
}

static void
tf_compressws(char *p, size_t *len, bool remove)
{
	size_t	i, o = 0;
	bool	sp = false;

	for (i = 0; i < *len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (isspace(c) || c == 0xa0 || c == '\v') {
			if (!sp && !remove)
				p[o++] = ' ';
			sp = true;
		} else {
			p[o++] = p[i];
			sp = false;
		}
	}
	*len = o;
}

/* Backslashes to slashes, "//" to "/", "/./" away, "/x/../" to "/". */
static void
tf_normpath(char *p, size_t *len)
{
	size_t	i, o = 0;

	for (i = 0; i < *len; i++)
		if (p[i] == '\\')
			p[i] = '/';
	for (i = 0; i < *len; i++) {
		if (p[i] == '/' && o > 0 && p[o - 1] == '/')
			continue;
		p[o++] = p[i];
		if (o >= 2 && p[o - 1] == '/' && p[o - 2] == '.' &&
		    (o == 2 || p[o - 3] == '/')) {
			o -= 2;
		} else if (o >= 3 && p[o - 1] == '/' && p[o - 2] == '.' &&
		    p[o - 3] == '.' && (o == 3 || p[o - 4] == '/')) {
			/* Keep leading "../": traversal beyond the start is
			 * the very thing rules look for. */
			size_t k = o - 3;

			if (k <= 1 || (k >= 3 && p[k - 2] == '.' &&
			    p[k - 3] == '.'))
				continue;
			k--;	/* the '/' before ".." */
			while (k > 0 && p[k - 1] != '/')
				k--;
			o = k;
		}
	}
	*len = o;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+' || c == '-')
		return (62);
	if (c == '/' || c == '_')
		return (63);
	return (-1);
}

/* Decodes base64 (either alphabet); stops at the first bad byte. */
static void
tf_base64(char *p, size_t *len, unsigned *flags)
{
	size_t		i, o = 0;
	unsigned long	acc = 0;
	int		bits = 0, v;

	for (i = 0; i < *len; i++) {
		if (p[i] == '=')
			break;
		if ((v = b64val((unsigned char)p[i])) < 0) {
			*flags |= WAF_TF_BAD_ENCODING;
			break;
		}
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			p[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	*len = o;
}

static void
tf_hex(char *p, size_t *len, unsigned *flags)
{
	size_t	i, o = 0;
	int	a, b;

	for (i = 0; i + 1 < *len; i += 2) {
		if ((a = pt_hexval(p[i])) < 0 ||
		    (b = pt_hexval(p[i + 1])) < 0) {
			*flags |= WAF_TF_BAD_ENCODING;
			break;
		}
		p[o++] = (char)(a << 4 | b);
	}
	*len = o;
}

/* C comments to one space; an unterminated one runs to the end. */
static void
tf_replacecomments(char *p, size_t *len)
{
	size_t	i, o = 0;

	for (i = 0; i < *len; i++) {
		if (p[i] == '/' && i + 1 < *len && p[i + 1] == '*') {
			for (i += 2; i + 1 < *len && !(p[i] == '*' &&
			    p[i + 1] == '/'); i++)
				;
			i++;
			p[o++] = ' ';
		} else
			p[o++] = p[i];
	}
	*len = o;
}

/* Overlong UTF-8 forms of ASCII (C0 AF for '/') to the ASCII byte. */
static void
tf_utf8(char *p, size_t *len)
{
	size_t		i, o = 0;
	unsigned char	*u = (unsigned char *)p;

	for (i = 0; i < *len; i++) {
		if ((u[i] == 0xc0 || u[i] == 0xc1) && i + 1 < *len &&
		    (u[i + 1] & 0xc0) == 0x80) {
			p[o++] = (char)(((u[i] & 0x1f) << 6) | (u[i + 1] & 0x3f));
			i++;
		} else if (u[i] == 0xe0 && i + 2 < *len && u[i + 1] < 0xa0 &&
		    (u[i + 1] & 0xc0) == 0x80 && (u[i + 2] & 0xc0) == 0x80) {
			p[o++] = (char)(((u[i + 1] & 0x3f) << 6) |
			    (u[i + 2] & 0x3f));
			i += 2;
		} else
			p[o++] = p[i];
	}
	*len = o;
}

unsigned
waf_tf_noop_mask(const char *s, size_t len)
{
	unsigned	m = 1u << WAF_TF_URLDECODE | 1u << WAF_TF_HTMLDECODE |
			    1u << WAF_TF_REMOVENULLS | 1u << WAF_TF_UTF8 |
			    1u << WAF_TF_LOWERCASE | 1u << WAF_TF_NONE;
	size_t		i;

	bool		comment = false, path = true;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80 && (c >= 'a' || (c >= '0' && c <= '9') ||
		    c == ' '))
			continue;	/* most bytes */
		if (i > 0 && s[i - 1] == '/') {
			comment |= c == '*';
			path &= c != '.' && c != '/';
		}
		if (c == '\\')
			path = false;
		else if (c == '%' || c == '+')
			m &= ~(1u << WAF_TF_URLDECODE);
		else if (c == '&' && entity_at(s + i, len - i))
			m &= ~(1u << WAF_TF_HTMLDECODE);
		else if (c == '\0')
			m &= ~(1u << WAF_TF_REMOVENULLS);
		else if (c >= 'A' && c <= 'Z')
			m &= ~(1u << WAF_TF_LOWERCASE);
		if (c == 0xc0 || c == 0xc1 || c == 0xe0)
			m &= ~(1u << WAF_TF_UTF8);
	}
	if (!comment)
		m |= 1u << WAF_TF_REPLACECOMMENTS;
	if (path)
		m |= 1u << WAF_TF_NORMPATH;
	return (m);
}

bool
waf_tf_is_noop(int tf, const char *s, size_t len)
{
	size_t i;

	switch (tf) {
	case WAF_TF_URLDECODE:
		return (memchr(s, '%', len) == NULL && memchr(s, '+', len) == NULL);
	case WAF_TF_HTMLDECODE:
		for (i = 0; i < len; i++)
			if (s[i] == '&' && entity_at(s + i, len - i))
				return (false);
		return (true);
	case WAF_TF_REMOVENULLS:
		return (memchr(s, '\0', len) == NULL);
	case WAF_TF_REPLACECOMMENTS:
		return (memmem(s, len, "/*", 2) == NULL);
	case WAF_TF_UTF8:
		for (i = 0; i < len; i++)
			if ((unsigned char)s[i] == 0xc0 ||
			    (unsigned char)s[i] == 0xc1 ||
			    (unsigned char)s[i] == 0xe0)
				return (false);
		return (true);
	case WAF_TF_LOWERCASE:
		for (i = 0; i < len; i++)
			if (isupper((unsigned char)s[i]))
				return (false);
		return (true);
	case WAF_TF_NORMPATH:
		return (memchr(s, '\\', len) == NULL &&
		    memmem(s, len, "/.", 2) == NULL &&
		    memmem(s, len, "//", 2) == NULL);
	default:
		return (tf == WAF_TF_NONE);
	}
}

int
waf_tf_apply(int tf, const char *in, size_t len, struct waf_buf *out,
    unsigned *flags)
{
	size_t	i, n = len;
	char	*p;

	/* %uXXXX can grow to 3 bytes from 6: never longer than the input. */
	if ((p = malloc(len + 1)) == NULL)
		return (-1);
	memcpy(p, in, len);
	switch (tf) {
	case WAF_TF_URLDECODE:
		tf_urldecode(p, &n, flags);
		break;
	case WAF_TF_HTMLDECODE:
		tf_htmldecode(p, &n);
		break;
	case WAF_TF_LOWERCASE:
		for (i = 0; i < n; i++)
			p[i] = (char)tolower((unsigned char)p[i]);
		break;
	case WAF_TF_REMOVENULLS:
		for (i = 0, n = 0; i < len; i++)
			if (p[i] != '\0')
				p[n++] = p[i];
		break;
	case WAF_TF_COMPRESSWS:
	case WAF_TF_REMOVEWS:
		tf_compressws(p, &n, tf == WAF_TF_REMOVEWS);
		break;
	case WAF_TF_NORMPATH:
		tf_normpath(p, &n);
		break;
	case WAF_TF_BASE64:
		tf_base64(p, &n, flags);
		break;
	case WAF_TF_HEX:
		tf_hex(p, &n, flags);
		break;
	case WAF_TF_REPLACECOMMENTS:
		tf_replacecomments(p, &n);
		break;
	case WAF_TF_UTF8:
		tf_utf8(p, &n);
		break;
	default:
		break;
	}
	p[n] = '\0';
	out->p = p;
	out->len = n;
	return (0);
}
