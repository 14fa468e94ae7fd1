/*
 * The response-head parser for upstream answers (RFC 9112 4 and 6.3).
 * Strict in what it forwards: a malformed or ambiguous head is a 502, so
 * nothing an upstream sends can split or smuggle a response to a client.
 */
#include "config.h"

#include "http_parse.h"
#include "http_lex.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <portier/arena.h>

struct rp_ctx {
	const struct http_limits *lim;
	uint64_t		 cl;
	bool			 has_cl, te_chunked_last, has_te;
	bool			 conn_close, conn_keep, has_upgrade;
};

static bool
rp_ieq(const char *p, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return (false);
	for (i = 0; i < n; i++)
		if (LC(p[i]) != lit[i])
			return (false);
	return (true);
}

/* Whether a comma list (Connection, Transfer-Encoding) holds tok. */
static bool
rp_list_has(const char *p, size_t n, const char *tok)
{
	const char	*end = p + n, *s;

	while (p < end) {
		while (p < end && (*p == ',' || IS_WS(*p)))
			p++;
		s = p;
		while (p < end && *p != ',')
			p++;
		n = (size_t)(p - s);
		while (n > 0 && IS_WS(s[n - 1]))
			n--;
		if (n > 0 && rp_ieq(s, n, tok))
			return (true);
	}
	return (false);
}

/* The last element of a comma list is "chunked" (any case). */
static bool
rp_list_last_chunked(const char *p, size_t n)
{
	while (n > 0 && (IS_WS(p[n - 1]) || p[n - 1] == ','))
		n--;
	return (n >= 7 && rp_ieq(p + n - 7, 7, "chunked") &&
	    (n == 7 || p[n - 8] == ',' || IS_WS(p[n - 8])));
}

/* Content-Length: digits, repeated identical values allowed (RFC 9112 6.3). */
static int
rp_content_length(struct rp_ctx *x, const struct pt_str *v)
{
	const char	*p = v->p, *end = v->p + v->len;
	uint64_t	 n;

	while (p < end) {
		n = 0;
		if (p >= end || (CT(*p) & B_DIGIT) == 0)
			return (-1);
		for (; p < end && (CT(*p) & B_DIGIT) != 0; p++) {
			if (n > (UINT64_C(1) << 62) / 10)
				return (-1);
			n = n * 10 + (uint64_t)(*p - '0');
		}
		while (p < end && IS_WS(*p))
			p++;
		if (p < end && *p++ != ',')
			return (-1);
		while (p < end && IS_WS(*p))
			p++;
		if (x->has_cl && x->cl != n)
			return (-1);
		x->has_cl = true;
		x->cl = n;
	}
	return (x->has_cl ? 0 : -1);
}

static int
rp_field_meaning(struct rp_ctx *x, const struct http_field *f)
{
	const struct pt_str *n = &f->name, *v = &f->value;

	if (rp_ieq(n->p, n->len, "content-length"))
		return (rp_content_length(x, v));
	if (rp_ieq(n->p, n->len, "transfer-encoding")) {
		x->has_te = true;
		x->te_chunked_last = rp_list_last_chunked(v->p, v->len);
	} else if (rp_ieq(n->p, n->len, "connection")) {
		x->conn_close |= rp_list_has(v->p, v->len, "close");
		x->conn_keep |= rp_list_has(v->p, v->len, "keep-alive");
	} else if (rp_ieq(n->p, n->len, "upgrade"))
		x->has_upgrade = true;
	return (0);
}

/*
 * No control but HTAB in p..end. Eight bytes at a time first: a word with
 * no byte below 0x20 and none equal to 0x7f is clean (exact tests, no false
 * negatives); from the first word that may hold one, byte by byte.
 */
static bool
rp_value_clean(const char *p, const char *end)
{
	const uint64_t	ones = UINT64_C(0x0101010101010101);
	const uint64_t	high = UINT64_C(0x8080808080808080);
	uint64_t	w, d;

	for (; end - p >= 8; p += 8) {
		memcpy(&w, p, sizeof(w));
		d = w ^ (ones * 0x7f);
		if ((((w - ones * 0x20) & ~w) | ((d - ones) & ~d)) & high)
			break;
	}
	for (; p < end; p++)
		if ((CT(*p) & B_CTL) != 0)
			return (false);
	return (true);
}

/* One field line p..eol (without the line end). */
static int
rp_field(const char *p, const char *eol, struct http_field *f)
{
	const char *colon = p, *v, *ve;

	while (colon < eol && (CT(*colon) & B_TCHAR) != 0)
		colon++;
	if (colon == p || colon >= eol || *colon != ':')
		return (-1);	/* no name, whitespace before ':', obs-fold */
	for (v = colon + 1; v < eol && IS_WS(*v); v++)
		;
	for (ve = eol; ve > v && IS_WS(ve[-1]); ve--)
		;
	if (!rp_value_clean(v, ve))
		return (-1);	/* NUL, CR, LF and other controls */
	f->name.p = p;
	f->name.len = (size_t)(colon - p);
	f->value.p = v;
	f->value.len = (size_t)(ve - v);
	return (0);
}

/* "HTTP/1.x SP 3DIGIT SP reason" */
static int
rp_status_line(const char *p, const char *eol, struct http_resp *rs)
{
	const char *q;

	if (eol - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return (-1);
	rs->version = p[7] == '1' ? 11 : 10;
	for (q = p + 9; q < p + 12; q++)
		if ((CT(*q) & B_DIGIT) == 0)
			return (-1);
	rs->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (rs->status < 100 || rs->status > 599)
		return (-1);
	if (eol > p + 12 && p[12] != ' ')
		return (-1);
	rs->reason.p = eol > p + 12 ? p + 13 : eol;
	rs->reason.len = (size_t)(eol - rs->reason.p);
	for (q = rs->reason.p; q < eol; q++)
		if ((CT(*q) & B_CTL) != 0 && *q != '\t')
			return (-1);
	return (0);
}

/* RFC 9112 6.3, in its order. */
static int
rp_framing(struct rp_ctx *x, enum http_method m, struct http_resp *rs)
{
	if (m == HTTP_M_HEAD || rs->status < 200 || rs->status == 204 ||
	    rs->status == 304) {
		rs->framing = HTTP_RESP_NONE;
		return (0);
	}
	if (x->has_te && x->has_cl)
		return (-1);	/* smuggling shape: refuse it */
	if (x->has_te) {
		rs->framing = x->te_chunked_last && rs->version == 11 ?
		    HTTP_RESP_CHUNKED : HTTP_RESP_CLOSE;
		return (0);
	}
	if (x->has_cl) {
		rs->framing = HTTP_RESP_LENGTH;
		rs->content_length = x->cl;
		return (0);
	}
	rs->framing = HTTP_RESP_CLOSE;
	return (0);
}

/* Counts the lines of a complete head; -1 when a limit is passed. */
static int
rp_scan(const char *buf, size_t len, const struct http_limits *lim,
    size_t *nlines, size_t *head_len)
{
	const char	*p = buf, *end = buf + len, *nl;
	size_t		 n = 0, max;

	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		max = n == 0 ? lim->line_max : lim->field_max;
		if (nl == NULL)
			return ((size_t)(end - p) > max + 1 ? -1 : HTTP_PARSE_AGAIN);
		if ((size_t)(nl - p) > max + 1)
			return (-1);
		if (nl == p || (nl == p + 1 && *p == '\r')) {
			*nlines = n;
			*head_len = (size_t)(nl + 1 - buf);
			return (n == 0 ? -1 : 0);
		}
		if (++n > lim->fields_max + 1)
			return (-1);
		p = nl + 1;
	}
}

int
http_parse_response(struct pt_arena *a, const char *buf, size_t len,
    const struct http_limits *lim, enum http_method m, struct http_resp *rs)
{
	struct rp_ctx	 x;
	const char	*p = buf, *nl, *eol;
	size_t		 nlines, i;
	int		 rc;

	memset(rs, 0, sizeof(*rs));
	memset(&x, 0, sizeof(x));
	if ((rc = rp_scan(buf, len, lim, &nlines, &rs->head_len)) != 0)
		return (rc == HTTP_PARSE_AGAIN ? rc : 502);
	if ((rs->fields = pt_calloc(a, nlines, sizeof(*rs->fields))) == NULL)
		return (502);
	for (i = 0; i < nlines; i++) {
		nl = memchr(p, '\n', rs->head_len - (size_t)(p - buf));
		eol = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		/*
		 * A bare CR needs no scan of its own: names are tokens, values
		 * and the reason phrase refuse controls, and what lies between
		 * is only SP and HTAB.
		 */
		if (i == 0 ? rp_status_line(p, eol, rs) == -1 :
		    rp_field(p, eol, &rs->fields[rs->nfields]) == -1 ||
		    rp_field_meaning(&x, &rs->fields[rs->nfields++]) == -1)
			return (502);
		p = nl + 1;
	}
	if (rp_framing(&x, m, rs) == -1)
		return (502);
	rs->keep_alive = rs->version == 11 ? !x.conn_close : x.conn_keep;
	if (rs->framing == HTTP_RESP_CLOSE)
		rs->keep_alive = false;
	rs->upgrade = rs->status == 101 && x.has_upgrade;
	return (0);
}
