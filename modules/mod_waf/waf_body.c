/*
 * Request bodies and query strings cut into names and values for the
 * scanner: application/x-www-form-urlencoded, JSON (keys and scalar
 * values, names as dotted paths) and multipart/form-data (fields and file
 * names). XML is scanned as text by the caller. Each parser returns false
 * on malformed input; the caller applies the body_error policy.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <portier/types.h>

#include "waf_engine.h"

#define JSON_DEPTH_MAX	64
#define NAME_MAX_LEN	128

/* Percent-decodes s into out (as long as s); false on a bad escape. */
static bool
pct_decode(const char *s, size_t n, char *out, size_t *olen)
{
	size_t	i, o = 0;
	int	a, b;
	bool	ok = true;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%' && i + 2 < n &&
		    (a = pt_hexval(s[i + 1])) >= 0 &&
		    (b = pt_hexval(s[i + 2])) >= 0) {
			out[o++] = (char)(a << 4 | b);
			i += 2;
		} else {
			if (s[i] == '%' && !(i + 2 < n && s[i + 1] == 'u'))
				ok = false;
			out[o++] = s[i];
		}
	}
	*olen = o;
	return (ok);
}

bool
waf_parse_urlencoded(const char *s, size_t len, waf_kv_fn fn, void *arg)
{
	const char	*p = s, *end = s + len, *amp, *eq;
	char		 sbuf[512], *buf = sbuf;	/* most queries fit */
	size_t		 nl, vl;
	bool		 ok = true;

	if (len + 1 > sizeof(sbuf) && (buf = malloc(len + 1)) == NULL)
		return (false);
	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if (amp > p) {
			ok &= pct_decode(p, (size_t)(eq - p), buf, &nl);
			ok &= pct_decode(eq < amp ? eq + 1 : amp,
			    eq < amp ? (size_t)(amp - eq - 1) : 0, buf + nl, &vl);
			fn(arg, WAF_T_ARG_NAMES, buf, nl, buf, nl);
			fn(arg, WAF_T_ARGS, buf, nl, buf + nl, vl);
		}
		p = amp + 1;
	}
	if (buf != sbuf)
		free(buf);
	return (ok);
}

/* --- JSON ----------------------------------------------------------------- */

struct json {
	const char	*s, *end;
	waf_kv_fn	 fn;
	void		*arg;
	char		 name[NAME_MAX_LEN];
	size_t		 nlen;
	int		 depth;
	char		*tmp;		/* decoded strings */
};

static void
js_ws(struct json *j)
{
	while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' ||
	    *j->s == '\n' || *j->s == '\r'))
		j->s++;
}

/* A string into j->tmp (\uXXXX as UTF-8); its length, or -1. */
static long
js_string(struct json *j)
{
	size_t	o = 0;
	int	a, b, c, d;

	if (j->s >= j->end || *j->s != '"')
		return (-1);
	for (j->s++; j->s < j->end && *j->s != '"'; j->s++) {
		if (*j->s != '\\') {
			j->tmp[o++] = *j->s;
			continue;
		}
		if (++j->s >= j->end)
			return (-1);
		switch (*j->s) {
		case 'n': j->tmp[o++] = '\n'; break;
		case 't': j->tmp[o++] = '\t'; break;
		case 'r': j->tmp[o++] = '\r'; break;
		case 'b': case 'f': j->tmp[o++] = ' '; break;
		case 'u':
			if (j->end - j->s < 5 || (a = pt_hexval(j->s[1])) < 0 ||
			    (b = pt_hexval(j->s[2])) < 0 ||
			    (c = pt_hexval(j->s[3])) < 0 ||
			    (d = pt_hexval(j->s[4])) < 0)
				return (-1);
			{
				unsigned cp = (unsigned)(a << 12 | b << 8 |
				    c << 4 | d);

				if (cp < 0x80)
					j->tmp[o++] = (char)cp;
				else if (cp < 0x800) {
					j->tmp[o++] = (char)(0xc0 | cp >> 6);
					j->tmp[o++] = (char)(0x80 | (cp & 0x3f));
				} else {
					j->tmp[o++] = (char)(0xe0 | cp >> 12);
					j->tmp[o++] = (char)(0x80 |
					    ((cp >> 6) & 0x3f));
					j->tmp[o++] = (char)(0x80 | (cp & 0x3f));
				}
			}
			j->s += 4;
			break;
		default:
			j->tmp[o++] = *j->s;
		}
	}
	if (j->s >= j->end)
		return (-1);
	j->s++;
	return ((long)o);
}

static bool js_value(struct json *);

static bool
js_object(struct json *j)
{
	size_t	save = j->nlen;
	long	n;

	j->s++;
	js_ws(j);
	if (j->s < j->end && *j->s == '}') {
		j->s++;
		return (true);
	}
	for (;;) {
		js_ws(j);
		if ((n = js_string(j)) < 0)
			return (false);
		j->fn(j->arg, WAF_T_ARG_NAMES, j->tmp, (size_t)n, j->tmp,
		    (size_t)n);
		j->nlen = save;
		if (j->nlen > 0 && j->nlen < sizeof(j->name) - 1)
			j->name[j->nlen++] = '.';
		if ((size_t)n > sizeof(j->name) - 1 - j->nlen)
			n = (long)(sizeof(j->name) - 1 - j->nlen);
		memcpy(j->name + j->nlen, j->tmp, (size_t)n);
		j->nlen += (size_t)n;
		js_ws(j);
		if (j->s >= j->end || *j->s++ != ':' || !js_value(j))
			return (false);
		j->nlen = save;
		js_ws(j);
		if (j->s < j->end && *j->s == ',') {
			j->s++;
			continue;
		}
		if (j->s < j->end && *j->s == '}') {
			j->s++;
			return (true);
		}
		return (false);
	}
}

static bool
js_array(struct json *j)
{
	j->s++;
	js_ws(j);
	if (j->s < j->end && *j->s == ']') {
		j->s++;
		return (true);
	}
	for (;;) {
		if (!js_value(j))
			return (false);
		js_ws(j);
		if (j->s < j->end && *j->s == ',') {
			j->s++;
			continue;
		}
		if (j->s < j->end && *j->s == ']') {
			j->s++;
			return (true);
		}
		return (false);
	}
}

static bool
js_value(struct json *j)
{
	const char	*st;
	long		 n;
	bool		 ok;

	js_ws(j);
	if (j->s >= j->end || ++j->depth > JSON_DEPTH_MAX)
		return (false);
	if (*j->s == '{')
		ok = js_object(j);
	else if (*j->s == '[')
		ok = js_array(j);
	else if (*j->s == '"') {
		if ((ok = (n = js_string(j)) >= 0))
			j->fn(j->arg, WAF_T_ARGS, j->name, j->nlen, j->tmp,
			    (size_t)n);
	} else {
		st = j->s;
		while (j->s < j->end && (isalnum((unsigned char)*j->s) ||
		    *j->s == '-' || *j->s == '+' || *j->s == '.'))
			j->s++;
		ok = j->s > st;
		if (ok)
			j->fn(j->arg, WAF_T_ARGS, j->name, j->nlen, st,
			    (size_t)(j->s - st));
	}
	j->depth--;
	return (ok);
}

bool
waf_parse_json(const char *s, size_t len, waf_kv_fn fn, void *arg)
{
	struct json	j = { .s = s, .end = s + len, .fn = fn, .arg = arg };
	bool		ok;

	if ((j.tmp = malloc(len * 3 + 1)) == NULL)
		return (false);
	ok = js_value(&j);
	js_ws(&j);
	ok = ok && j.s == j.end;
	free(j.tmp);
	return (ok);
}

/* --- multipart ------------------------------------------------------------ */

/* The value of param (name="...", filename="...") in a header line. */
static bool
mp_param(const char *h, size_t hl, const char *param, const char **v,
    size_t *vl)
{
	size_t	pl = strlen(param), i;

	for (i = 0; i + pl + 1 < hl; i++) {
		if (strncasecmp(h + i, param, pl) != 0 || h[i + pl] != '=' ||
		    (i > 0 && h[i - 1] != ' ' && h[i - 1] != ';'))
			continue;
		i += pl + 1;
		if (i < hl && h[i] == '"') {
			const char *e = memchr(h + i + 1, '"', hl - i - 1);

			if (e == NULL)
				return (false);
			*v = h + i + 1;
			*vl = (size_t)(e - *v);
		} else {
			*v = h + i;
			for (*vl = 0; i + *vl < hl && h[i + *vl] != ';'; (*vl)++)
				;
		}
		return (true);
	}
	return (false);
}

bool
waf_parse_multipart(const char *s, size_t len, const char *b, size_t blen,
    waf_kv_fn fn, void *arg)
{
	const char	*end = s + len, *p, *part, *next, *hend, *line, *le;
	const char	*name = "", *fname;
	size_t		 nl = 0, fl;

	if (blen == 0 || blen > 70)
		return (false);
	p = memmem(s, len, b, blen);
	if (p == NULL || p < s + 2 || p[-1] != '-' || p[-2] != '-')
		return (false);
	for (;;) {
		part = p + blen;
		if (end - part >= 2 && part[0] == '-' && part[1] == '-')
			return (true);	/* the closing delimiter */
		if (end - part < 2 || part[0] != '\r' || part[1] != '\n')
			return (false);
		part += 2;
		if ((hend = memmem(part, (size_t)(end - part), "\r\n\r\n", 4)) ==
		    NULL)
			return (false);
		for (line = part; line < hend; line = le + 2) {
			if ((le = memmem(line, (size_t)(hend + 2 - line), "\r\n",
			    2)) == NULL)
				le = hend;
			if ((size_t)(le - line) > 20 && strncasecmp(line,
			    "content-disposition:", 20) == 0) {
				if (!mp_param(line, (size_t)(le - line), "name",
				    &name, &nl))
					name = "", nl = 0;
				if (mp_param(line, (size_t)(le - line),
				    "filename", &fname, &fl))
					fn(arg, WAF_T_FILES, name, nl, fname, fl);
			}
		}
		hend += 4;
		next = memmem(hend, (size_t)(end - hend), b, blen);
		if (next == NULL || next - hend < 4)
			return (false);
		fn(arg, WAF_T_ARG_NAMES, name, nl, name, nl);
		fn(arg, WAF_T_ARGS, name, nl, hend, (size_t)(next - 4 - hend));
		p = next;
	}
}
