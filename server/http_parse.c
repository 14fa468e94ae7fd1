/*
 * Request-head parser and chunked-body decoder (RFC 9110, RFC 9112): bytes
 * in, a struct http_head or an HTTP status out, every pt_str pointing into
 * the caller's buffer. Reading sockets and answering errors are the
 * caller's (http_conn.c).
 */
#include "config.h"

#include "http_parse.h"
#include "http_lex.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <portier/arena.h>

#define LIMIT(l, f, def) ((l) != NULL && (l)->f != 0 ? (l)->f : (def))
#define HP_LINE_MAX	8190		/* defaults for zero limits */
#define HP_FIELD_MAX	8190
#define HP_FIELDS_MAX	100
#define CH_LINE_MAX	8190
#define CH_TRAILER_MAX	65536
#define CH_SIZE_MAX	(UINT64_C(1) << 62)

/* Bytes 0x80-0xff are obs-text: none of the bits, so allowed in values. */
const uint8_t http_ctab[256] = {
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* 00 */
	0x02, 0x40, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* 08 HT LF CR */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* 10 */
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,	/* 18 */
	0x40, 0x0d, 0x00, 0x01, 0x0d, 0x01, 0x0d, 0x0d,	/* 20 SP !"#$%&' */
	0x0c, 0x0c, 0x0d, 0x0d, 0x0c, 0x0d, 0x0d, 0x04,	/* 28 ()*+,-./ */
	0x3d, 0x3d, 0x3d, 0x3d, 0x3d, 0x3d, 0x3d, 0x3d,	/* 30 01234567 */
	0x3d, 0x3d, 0x04, 0x0c, 0x00, 0x0c, 0x00, 0x04,	/* 38 89:;<=>? */
	0x04, 0x1d, 0x1d, 0x1d, 0x1d, 0x1d, 0x1d, 0x0d,	/* 40 @ABCDEFG */
	0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d,	/* 48 HIJKLMNO */
	0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d,	/* 50 PQRSTUVW */
	0x0d, 0x0d, 0x0d, 0x04, 0x00, 0x04, 0x01, 0x0d,	/* 58 XYZ[\]^_ */
	0x01, 0x1d, 0x1d, 0x1d, 0x1d, 0x1d, 0x1d, 0x0d,	/* 60 `abcdefg */
	0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d,	/* 68 hijklmno */
	0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d, 0x0d,	/* 70 pqrstuvw */
	0x0d, 0x0d, 0x0d, 0x00, 0x01, 0x00, 0x0d, 0x02,	/* 78 xyz{|}~ DEL */
};

/* What the head parser learns from fields before it can decide framing. */
struct hp_ctx {
	size_t			 line_max, field_max, fields_max;
	uint64_t		 cl;
	bool			 has_cl, has_te;
	bool			 te_chunked;	/* seen; it must be last */
	bool			 te_other;	/* a coding we do not decode */
	bool			 conn_close, conn_keep, conn_upgrade;
	bool			 has_upgrade, expect_100;
	const struct http_field	*host;	/* the Host field, if any */
};

/* ASCII case-insensitive equality of n bytes; IEQ: with a lowercase literal. */
static bool
str_ieq_n(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (LC(a[i]) != LC(b[i]))
			return (false);
	return (true);
}

#define IEQ(p, n, lit)	((n) == sizeof(lit) - 1 && str_ieq_n((p), (lit), (n)))

/* Skips bytes of a ctab class, B_WS or B_TCHAR. */
static const char *
skip(const char *p, const char *end, int bit)
{
	while (p < end && (CT(*p) & bit) != 0)
		p++;
	return (p);
}

/* Next line's start if p is at CRLF or LF (RFC 9112 2.2), else NULL. */
static const char *
line_end(const char *p)
{
	return (p[0] == '\n' ? p + 1 : p[0] == '\r' && p[1] == '\n' ? p + 2 :
	    NULL);
}

enum http_method
http_method_id(const char *p, size_t len)
{
	static const char *const m[] = { [HTTP_M_GET] = "GET",
	    [HTTP_M_HEAD] = "HEAD", [HTTP_M_POST] = "POST",
	    [HTTP_M_PUT] = "PUT", [HTTP_M_DELETE] = "DELETE",
	    [HTTP_M_CONNECT] = "CONNECT", [HTTP_M_OPTIONS] = "OPTIONS",
	    [HTTP_M_TRACE] = "TRACE", [HTTP_M_PATCH] = "PATCH" };
	size_t i;

	for (i = 1; i < sizeof(m) / sizeof(m[0]); i++)
		if (strlen(m[i]) == len && memcmp(m[i], p, len) == 0)
			return ((enum http_method)i);
	return (HTTP_M_OTHER);
}

const struct http_field *
http_head_field(const struct http_head *h, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < h->nfields; i++)
		if (h->fields[i].name.len == n &&
		    str_ieq_n(h->fields[i].name.p, name, n))
			return (&h->fields[i]);
	return (NULL);
}

/*
 * RFC 9112 2.2: ignore at least one empty line before the request-line; we
 * ignore exactly one. The method is checked at once, so garbage such as a
 * TLS handshake gets its 400 before the head is complete; only within
 * line_max, so a prefix never fails otherwise than the whole head.
 */
static int
head_start(const char *buf, size_t len, size_t max, size_t *off)
{
	const char	*p, *end;
	size_t		 o = 0;

	if (len > 0 && buf[0] == '\n')
		o = 1;
	else if (len > 1 && buf[0] == '\r' && buf[1] == '\n')
		o = 2;
	if (o == len || (len == 1 && buf[0] == '\r'))
		return (HTTP_PARSE_AGAIN);
	end = buf + o + (len - o > max ? max + 1 : len - o);
	if ((p = skip(buf + o, end, B_TCHAR)) < end &&
	    (p == buf + o || *p != ' '))
		return (400);
	*off = o;
	return (0);
}

/*
 * Finds the empty line ending the head, one memchr per line, checking the
 * limits on the way, also on an incomplete last line: no waiting for bytes
 * we would refuse anyway. 0 (head length and number of field lines set),
 * HTTP_PARSE_AGAIN, 414 or 431.
 */
static int
head_scan(const struct hp_ctx *x, const char *buf, size_t off, size_t len,
    size_t *head_len, size_t *nfields)
{
	const char	*p = buf + off, *end = buf + len, *nl;
	size_t		 ll, n = 0;
	bool		 first = true;

	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		ll = (size_t)((nl != NULL ? nl : end) - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (first) {
			if (ll > x->line_max)
				return (414);
		} else if (ll == 0 && nl != NULL) {
			*head_len = (size_t)(nl + 1 - buf);
			*nfields = n;
			return (0);
		} else if (ll > x->field_max || (ll > 0 && ++n > x->fields_max))
			return (431);
		if (nl == NULL)
			return (HTTP_PARSE_AGAIN);
		first = false;
		p = nl + 1;
	}
}

/* Scans RFC 3986 characters of the given class and %HH; NULL on a bad '%'. */
static const char *
uri_scan(const char *p, const char *end, int bit)
{
	for (;;) {
		while (p < end && (CT(*p) & bit) != 0)
			p++;
		if (p == end || *p != '%')
			return (p);
		if (end - p < 3 || (CT(p[1]) & B_HEX) == 0 ||
		    (CT(p[2]) & B_HEX) == 0)
			return (NULL);
		p += 3;
	}
}

/* IP-literal without brackets: IPv6address / IPvFuture (RFC 3986 3.2.2). */
static bool
ip_literal_valid(const char *p, size_t n)
{
	char		 a[INET6_ADDRSTRLEN];
	struct in6_addr	 in6;
	const char	*q, *end = p + n;

	if (n > 0 && LC(p[0]) == 'v') {
		/* "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
		if ((q = skip(p + 1, end, B_HEX)) == p + 1 || end - q < 2 ||
		    *q != '.')
			return (false);
		while (++q < end && ((CT(*q) & B_REG) != 0 || *q == ':'))
			;
		return (q == end);
	}
	if (n == 0 || n >= sizeof(a))
		return (false);
	memcpy(a, p, n);
	a[n] = '\0';
	return (inet_pton(AF_INET6, a, &in6) == 1);
}

/*
 * uri-host [":" port] as in Host (RFC 9110 7.2) and authority-form (RFC
 * 9112 3.2.3, which needs the port). The host may not be empty (RFC 9110
 * 4.2.1) and userinfo is refused by the reg-name class (RFC 9110 4.2.4).
 */
static bool
authority_valid(const char *p, size_t n, bool need_port)
{
	const char *end = p + n, *q;

	if (n == 0)
		return (false);
	if (*p == '[') {
		if ((q = memchr(p, ']', n)) == NULL ||
		    !ip_literal_valid(p + 1, (size_t)(q - p - 1)))
			return (false);
		q++;
	} else if ((q = uri_scan(p, end, B_REG)) == NULL || q == p)
		return (false);
	if (q == end)
		return (!need_port);
	if (*q++ != ':' || (need_port && q == end))
		return (false);
	for (; q < end; q++)
		if ((CT(*q) & B_DIGIT) == 0)
			return (false);
	return (true);
}

/* Splits [p, end) into path and query; an empty path becomes "/". */
static void
target_path_query(struct http_head *h, const char *p, const char *end)
{
	const char *q;

	if ((q = memchr(p, '?', (size_t)(end - p))) == NULL)
		q = end;
	if (q == p)
		h->path = (struct pt_str){ "/", 1 };
	else
		h->path = (struct pt_str){ p, (size_t)(q - p) };
	h->has_query = q < end;
	h->query.p = q < end ? q + 1 : end;
	h->query.len = q < end ? (size_t)(end - q - 1) : 0;
}

/* RFC 9112 3.2.2: absolute-form, for the http and https schemes only. */
static int
target_absolute(struct http_head *h)
{
	const char	*p = h->target.p, *end = p + h->target.len, *s;
	size_t		 n;

	if (h->target.len > 7 && IEQ(p, 7, "http://"))
		n = 4;
	else if (h->target.len > 8 && IEQ(p, 8, "https://"))
		n = 5;
	else
		return (400);
	h->scheme = (struct pt_str){ p, n };
	for (s = p += n + 3; p < end && *p != '/' && *p != '?'; p++)
		;
	if (!authority_valid(s, (size_t)(p - s), false))
		return (400);
	h->form = HTTP_T_ABSOLUTE;
	h->authority = (struct pt_str){ s, (size_t)(p - s) };
	/* RFC 9112 3.2.2: the target's authority replaces the Host field. */
	h->host = h->authority;
	h->has_host = true;
	target_path_query(h, p, end);
	return (0);
}

/* RFC 9112 3.2: which target form, and whether the method allows it. */
static int
target_form(struct http_head *h)
{
	const char *p = h->target.p;

	if (h->method_id == HTTP_M_CONNECT) {
		/* RFC 9112 3.2.3: CONNECT takes authority-form, and only it. */
		if (!authority_valid(p, h->target.len, true))
			return (400);
		h->form = HTTP_T_AUTHORITY;
		h->authority = h->host = h->target;
		h->has_host = true;
		target_path_query(h, p + h->target.len, p + h->target.len);
		return (0);
	}
	if (p[0] == '/') {
		h->form = HTTP_T_ORIGIN;
		target_path_query(h, p, p + h->target.len);
		return (0);
	}
	if (h->target.len == 1 && p[0] == '*') {
		/* RFC 9112 3.2.4: asterisk-form is for server-wide OPTIONS. */
		if (h->method_id != HTTP_M_OPTIONS)
			return (400);
		h->form = HTTP_T_ASTERISK;
		h->path = h->target;
		h->query = (struct pt_str){ p + 1, 0 };
		return (0);
	}
	return (target_absolute(h));
}

/*
 * RFC 9112 2.3: "HTTP/" DIGIT "." DIGIT, case-sensitive. RFC 9110 6.2: a
 * later 1.x is taken as 1.1; another major is 505. Byte by byte, so a
 * short line stops at its LF, never past the buffer.
 */
static int
head_version(struct http_head *h, const char **pp)
{
	const char *p = *pp;

	if (p[0] != 'H' || p[1] != 'T' || p[2] != 'T' || p[3] != 'P' ||
	    p[4] != '/' || (CT(p[5]) & B_DIGIT) == 0 || p[6] != '.' ||
	    (CT(p[7]) & B_DIGIT) == 0 || (*pp = line_end(p + 8)) == NULL)
		return (400);
	if (p[5] != '1')
		return (505);
	h->version = p[7] == '0' ? 10 : 11;
	return (0);
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 3). */
static int
head_reqline(struct http_head *h, const char **pp, const char *end)
{
	const char	*p = *pp, *s;
	int		 rc;

	for (s = p; (CT(*p) & B_TCHAR) != 0; p++)
		;
	if (p == s || *p != ' ')
		return (400);
	h->method = (struct pt_str){ s, (size_t)(p - s) };
	h->method_id = http_method_id(s, h->method.len);
	s = ++p;
	if ((p = uri_scan(p, end, B_TARGET)) == NULL || p == s || *p != ' ')
		return (400);
	h->target = (struct pt_str){ s, (size_t)(p - s) };
	p++;
	if ((rc = head_version(h, &p)) != 0)
		return (rc);
	*pp = p;
	return (target_form(h));
}

/*
 * field-line = field-name ":" OWS field-value OWS (RFC 9112 5). Obs-fold
 * (5.2), whitespace before the colon (5.1), no name: all fail the scan.
 */
static int
head_field(const char **pp, struct http_field *f)
{
	const char *p = *pp, *s, *e;

	for (s = p; (CT(*p) & B_TCHAR) != 0; p++)
		;
	if (p == s || *p != ':')
		return (400);
	f->name = (struct pt_str){ s, (size_t)(p - s) };
	for (p++; IS_WS(*p); p++)
		;
	/* RFC 9110 5.5: NUL, CR, LF and other CTLs are never field-vchar. */
	for (s = p; (CT(*p) & B_CTL) == 0; p++)
		;
	for (e = p; e > s && IS_WS(e[-1]); e--)
		;
	f->value = (struct pt_str){ s, (size_t)(e - s) };
	if ((*pp = line_end(p)) == NULL)
		return (400);
	return (0);
}

/*
 * Next element of a comma list (RFC 9110 5.6.1), OWS trimmed, maybe empty;
 * *pp becomes NULL after the last one.
 */
static bool
list_next(const char **pp, const char *end, struct pt_str *e)
{
	const char *p = *pp, *q;

	if (p == NULL)
		return (false);
	p = skip(p, end, B_WS);
	q = p < end ? memchr(p, ',', (size_t)(end - p)) : NULL;
	*pp = q != NULL ? q + 1 : NULL;
	for (q = q != NULL ? q : end; q > p && IS_WS(q[-1]); q--)
		;
	*e = (struct pt_str){ p, (size_t)(q - p) };
	return (true);
}

static int
head_connection(struct hp_ctx *x, const struct pt_str *v)
{
	const char	*p = v->p;
	struct pt_str	 e;

	while (list_next(&p, v->p + v->len, &e)) {
		/* RFC 9110 7.6.1: connection-option = token; empty is fine. */
		if (skip(e.p, e.p + e.len, B_TCHAR) != e.p + e.len)
			return (400);
		x->conn_close |= IEQ(e.p, e.len, "close");
		x->conn_keep |= IEQ(e.p, e.len, "keep-alive");
		x->conn_upgrade |= IEQ(e.p, e.len, "upgrade");
	}
	return (0);
}

/*
 * RFC 9110 8.6: Content-Length = 1*DIGIT. RFC 9112 6.3 item 5 lets us take
 * a list or repeated fields of one identical value; anything else is 400.
 */
static int
head_content_length(struct hp_ctx *x, const struct pt_str *v)
{
	const char	*p = v->p;
	struct pt_str	 e;
	uint64_t	 n, max = INT64_MAX;
	size_t		 i;

	while (list_next(&p, v->p + v->len, &e)) {
		for (n = 0, i = 0; i < e.len; i++) {
			if ((CT(e.p[i]) & B_DIGIT) == 0 ||
			    n > (max - (uint64_t)(e.p[i] - '0')) / 10)
				return (400);
			n = n * 10 + (uint64_t)(e.p[i] - '0');
		}
		if (e.len == 0 || (x->has_cl && n != x->cl))
			return (400);
		x->cl = n;
		x->has_cl = true;
	}
	return (0);
}

/*
 * Skips a quoted-string (RFC 9110 5.6.4) in a field value, which holds no
 * CTLs, so qdtext is any byte but '"' and '\\'. NULL if it is not closed.
 */
static const char *
skip_qstring(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return (p + 1);
		if (*p == '\\' && ++p == end)
			return (NULL);
	}
	return (NULL);
}

/*
 * One transfer-coding = token *( OWS ";" OWS token BWS "=" BWS ( token /
 * quoted-string ) ) (RFC 9112 7, RFC 9110 10.1.4). Sets *name (len 0 for an
 * empty list element) and moves *pp past the comma, or to NULL at the end.
 */
static int
te_coding(const char **pp, const char *end, struct pt_str *name)
{
	const char *s = skip(*pp, end, B_WS), *p = skip(s, end, B_TCHAR);

	*name = (struct pt_str){ s, (size_t)(p - s) };
	for (;;) {
		p = skip(p, end, B_WS);
		if (p == end || *p == ',')
			break;
		if (*p != ';' || name->len == 0)
			return (400);
		s = skip(p + 1, end, B_WS);
		if ((p = skip(s, end, B_TCHAR)) == s)
			return (400);
		if ((p = skip(p, end, B_WS)) == end || *p != '=')
			return (400);
		s = skip(p + 1, end, B_WS);
		if (s < end && *s == '"')
			p = skip_qstring(s, end);
		else if ((p = skip(s, end, B_TCHAR)) == s)
			p = NULL;
		if (p == NULL)
			return (400);
	}
	*pp = p == end ? NULL : p + 1;
	return (0);
}

static int
head_transfer_encoding(struct hp_ctx *x, const struct pt_str *v)
{
	const char	*p = v->p;
	struct pt_str	 name;

	x->has_te = true;
	while (p != NULL) {
		if (te_coding(&p, v->p + v->len, &name) != 0)
			return (400);
		if (name.len == 0)
			continue;
		/* RFC 9112 6.1, 6.3: chunked comes once, and last. */
		if (x->te_chunked)
			return (400);
		x->te_chunked = IEQ(name.p, name.len, "chunked");
		x->te_other |= !x->te_chunked;
	}
	return (0);
}

/* Fields that decide framing, routing or the connection's fate. */
static int
head_field_apply(struct hp_ctx *x, const struct http_field *f)
{
	const char	*n = f->name.p;
	size_t		 len = f->name.len;

	if (IEQ(n, len, "host")) {
		/* RFC 9112 3.2: more than one Host field line is a 400. */
		if (x->host != NULL)
			return (400);
		x->host = f;
	} else if (IEQ(n, len, "expect"))
		x->expect_100 |= IEQ(f->value.p, f->value.len, "100-continue");
	else if (IEQ(n, len, "upgrade"))
		x->has_upgrade |= f->value.len > 0;
	else if (IEQ(n, len, "connection"))
		return (head_connection(x, &f->value));
	else if (IEQ(n, len, "content-length"))
		return (head_content_length(x, &f->value));
	else if (IEQ(n, len, "transfer-encoding"))
		return (head_transfer_encoding(x, &f->value));
	return (0);
}

/*
 * RFC 9112 3.2: 400 without Host in HTTP/1.1 or with an invalid one. Only
 * absolute-form, whose authority replaces Host, may have an empty value.
 */
static int
head_host(struct http_head *h, const struct hp_ctx *x)
{
	const struct pt_str *v;

	if (x->host == NULL)
		return (h->version == 11 ? 400 : 0);
	v = &x->host->value;
	if (v->len == 0 ? h->form != HTTP_T_ABSOLUTE :
	    !authority_valid(v->p, v->len, false))
		return (400);
	if (h->form == HTTP_T_ORIGIN || h->form == HTTP_T_ASTERISK) {
		h->host = *v;
		h->has_host = true;
	}
	return (0);
}

/*
 * Framing per RFC 9112 6.3. Content-Length: 0 gives HTTP_BODY_LENGTH with
 * content_length 0, so an explicit zero stays visible to a proxy.
 */
static int
head_finish(struct http_head *h, const struct hp_ctx *x)
{
	int rc;

	if ((rc = head_host(h, x)) != 0)
		return (rc);
	if (x->has_te) {
		/* RFC 9112 6.1, 6.3: in 1.0, with CL or not chunked last. */
		if (h->version == 10 || x->has_cl || !x->te_chunked)
			return (400);
		/* RFC 9112 6.1: a coding we do not decode is 501. */
		if (x->te_other)
			return (501);
		h->framing = HTTP_BODY_CHUNKED;
	} else if (x->has_cl) {
		h->framing = HTTP_BODY_LENGTH;
		h->content_length = x->cl;
	}
	/* RFC 9112 9.3; RFC 9110 7.8, 10.1.1: 1.0 ignores Upgrade, Expect. */
	h->keep_alive = !x->conn_close && (h->version == 11 || x->conn_keep);
	h->upgrade = h->version == 11 && x->conn_upgrade && x->has_upgrade;
	h->expect_continue = h->version == 11 && x->expect_100;
	return (0);
}

/* Zero limits take the defaults; 500 when the arena is out of room. */
int
http_parse_head(struct pt_arena *a, const char *buf, size_t len,
    const struct http_limits *lim, struct http_head *h)
{
	struct hp_ctx	 x;
	const char	*p;
	size_t		 off, nf, i;
	int		 rc;

	memset(h, 0, sizeof(*h));
	memset(&x, 0, sizeof(x));
	x.line_max = LIMIT(lim, line_max, HP_LINE_MAX);
	x.field_max = LIMIT(lim, field_max, HP_FIELD_MAX);
	x.fields_max = LIMIT(lim, fields_max, HP_FIELDS_MAX);
	if ((rc = head_start(buf, len, x.line_max, &off)) != 0 ||
	    (rc = head_scan(&x, buf, off, len, &h->head_len, &nf)) != 0)
		return (rc);
	p = buf + off;
	if ((rc = head_reqline(h, &p, buf + h->head_len)) != 0)
		return (rc);
	if (nf > 0 && (h->fields = pt_alloc(a, nf * sizeof(*h->fields))) ==
	    NULL)
		return (500);
	for (i = 0; i < nf; i++) {
		if ((rc = head_field(&p, &h->fields[i])) != 0)
			return (rc);
		h->nfields = i + 1;
		if ((rc = head_field_apply(&x, &h->fields[i])) != 0)
			return (rc);
	}
	return (head_finish(h, &x));
}

/*
 * Chunked decoder (RFC 9112 7.1): size, extension and trailer lines run
 * through one DFA, a table lookup per byte, so input may arrive in any
 * split; chunk data passes in whole runs.
 */
enum { K_VCHAR, K_HEX, K_TCHAR, K_WS, K_SEMI, K_EQ, K_DQ, K_BSL, K_COLON,
	K_CTL, K_CR, K_LF, K_N };

/* Bytes 0x80-0xff are obs-text, which behaves as VCHAR (class 0). */
static const uint8_t ch_class[256] = {
	9, 9, 9, 9, 9, 9, 9, 9, 9, 3, 11, 9, 9, 10, 9, 9,	/* 00 */
	9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,	/* 10 */
	3, 2, 6, 2, 2, 2, 2, 2, 0, 0, 2, 2, 0, 2, 2, 0,	/* 20 SP !"#$... */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 4, 0, 5, 0, 0,	/* 30 0-9 : ; < = > ? */
	0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2,	/* 40 @ A-O */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 7, 0, 2, 2,	/* 50 P-Z [ \ ] ^ _ */
	2, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2,	/* 60 ` a-o */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 2, 0, 2, 9,	/* 70 p-z { | } ~ DEL */
};

/*
 * States; 0 is CH_SIZE0, so a zeroed struct is ready. Size line: SIZE0,
 * SIZE digits, BWS before ';', NPRE after ';', NAME, NWS after a name,
 * VPRE after '=', VTOK, QSTR, QPAIR, QEND after the quote, SZCR, SZEND.
 * DCR/DLF: CRLF after data. Trailers: TSTART, TNAME, TVAL, TCR, ENDCR.
 */
enum {
	CH_SIZE0, CH_SIZE, CH_BWS, CH_NPRE, CH_NAME, CH_NWS, CH_VPRE, CH_VTOK,
	CH_QSTR, CH_QPAIR, CH_QEND, CH_SZCR, CH_SZEND, CH_DCR, CH_DLF,
	CH_TSTART, CH_TNAME, CH_TVAL, CH_TCR, CH_ENDCR, CH_DONE, CH_DATA,
	CH_FAILED
};

/* The DFA stores state + 1 so that the entries left out (0) are errors. */
#define T(s)		((s) + 1)
#define T_TOK(s)	[K_HEX] = T(s), [K_TCHAR] = T(s)
#define T_EOL		[K_CR] = T(CH_SZCR), [K_LF] = T(CH_SZEND)
#define T_TEXT(s)	[K_VCHAR] = T(s), T_TOK(s), [K_WS] = T(s), \
			[K_SEMI] = T(s), [K_EQ] = T(s), [K_COLON] = T(s)

/*
 * chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
 * (RFC 9112 7.1.1); trailers are field lines (7.1.2): no obs-fold.
 */
static const uint8_t ch_next[CH_DONE][K_N] = {
	[CH_SIZE0] = { [K_HEX] = T(CH_SIZE) },
	[CH_SIZE] = { [K_HEX] = T(CH_SIZE), [K_WS] = T(CH_BWS),
	    [K_SEMI] = T(CH_NPRE), T_EOL },
	[CH_BWS] = { [K_WS] = T(CH_BWS), [K_SEMI] = T(CH_NPRE) },
	[CH_NPRE] = { [K_WS] = T(CH_NPRE), T_TOK(CH_NAME) },
	[CH_NAME] = { T_TOK(CH_NAME), [K_WS] = T(CH_NWS), [K_EQ] = T(CH_VPRE),
	    [K_SEMI] = T(CH_NPRE), T_EOL },
	[CH_NWS] = { [K_WS] = T(CH_NWS), [K_EQ] = T(CH_VPRE),
	    [K_SEMI] = T(CH_NPRE) },
	[CH_VPRE] = { [K_WS] = T(CH_VPRE), T_TOK(CH_VTOK),
	    [K_DQ] = T(CH_QSTR) },
	[CH_VTOK] = { T_TOK(CH_VTOK), [K_WS] = T(CH_BWS), [K_SEMI] = T(CH_NPRE),
	    T_EOL },
	[CH_QSTR] = { T_TEXT(CH_QSTR), [K_DQ] = T(CH_QEND),
	    [K_BSL] = T(CH_QPAIR) },
	[CH_QPAIR] = { T_TEXT(CH_QSTR), [K_DQ] = T(CH_QSTR),
	    [K_BSL] = T(CH_QSTR) },
	[CH_QEND] = { [K_WS] = T(CH_BWS), [K_SEMI] = T(CH_NPRE), T_EOL },
	[CH_SZCR] = { [K_LF] = T(CH_SZEND) },
	[CH_DCR] = { [K_CR] = T(CH_DLF), [K_LF] = T(CH_SIZE0) },
	[CH_DLF] = { [K_LF] = T(CH_SIZE0) },
	[CH_TSTART] = { T_TOK(CH_TNAME), [K_CR] = T(CH_ENDCR),
	    [K_LF] = T(CH_DONE) },
	[CH_TNAME] = { T_TOK(CH_TNAME), [K_COLON] = T(CH_TVAL) },
	[CH_TVAL] = { T_TEXT(CH_TVAL), [K_DQ] = T(CH_TVAL),
	    [K_BSL] = T(CH_TVAL), [K_CR] = T(CH_TCR), [K_LF] = T(CH_TSTART) },
	[CH_TCR] = { [K_LF] = T(CH_TSTART) },
	[CH_ENDCR] = { [K_LF] = T(CH_DONE) },
};

/*
 * Runs the DFA from *ip until a size line ends (data may follow), the body
 * or the input does; 0 or 400. The size accumulates in c->remaining, which
 * is 0 whenever a size line starts.
 */
static int
chunk_lines(struct http_chunked *c, const char *in, size_t len, size_t *ip)
{
	size_t		 i = *ip, lmax, tmax;
	unsigned int	 s = (unsigned int)c->state, k, n, d;
	unsigned char	 b;

	lmax = LIMIT(c, line_max, CH_LINE_MAX);
	tmax = LIMIT(c, trailer_max, CH_TRAILER_MAX);
	while (i < len && s != CH_SZEND && s != CH_DONE) {
		b = (unsigned char)in[i++];
		k = ch_class[b];
		if (k == K_HEX && s <= CH_SIZE) {
			d = b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
			if (c->remaining > (CH_SIZE_MAX - d) >> 4)
				goto fail;
			c->remaining = c->remaining << 4 | d;
		}
		if ((s >= CH_TSTART && ++c->trailer_bytes > tmax) ||
		    (n = ch_next[s][k]) == 0)
			goto fail;
		s = n - 1;
		if (k == K_LF)
			c->line_len = 0;
		else if (k != K_CR && ++c->line_len > lmax)
			goto fail;
	}
	if (s == CH_SZEND)
		s = c->remaining > 0 ? CH_DATA : CH_TSTART;
	c->state = (int)s;
	*ip = i;
	return (0);
 fail:
	*ip = i;	/* so a split input fails at the same offset */
	return (400);
}

int
http_chunked_step(struct http_chunked *c, const char *in, size_t len,
    size_t *used, size_t *data_off, size_t *data_len)
{
	size_t i = 0, n;

	*data_off = *data_len = 0;
	while (c->state != CH_DONE && c->state != CH_FAILED) {
		if (c->state == CH_DATA) {
			/* A whole run of data at once: no per-byte work. */
			n = len - i < c->remaining ? len - i : c->remaining;
			*data_off = i;
			*data_len = n;
			c->remaining -= n;
			i += n;
			if (c->remaining == 0)
				c->state = CH_DCR;
			break;
		}
		if (i == len)
			break;
		if (chunk_lines(c, in, len, &i) != 0)
			c->state = CH_FAILED;
	}
	*used = i;
	return (c->state == CH_FAILED ? 400 : c->state == CH_DONE);
}
