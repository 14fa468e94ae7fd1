/*
 * Text for mod_status: a growing buffer in the request's arena, escaping
 * for HTML, JSON and Prometheus label values, query parameters, and the
 * allow list's address ranges. Pure: t/unit/test_status.c links it alone.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portier/arena.h>

#include "status.h"

#define ST_BUF_MAX	((size_t)64 << 20)

void
st_buf_init(struct st_buf *b, struct pt_arena *a)
{
	memset(b, 0, sizeof(*b));
	b->arena = a;
}

void
st_buf_fixed(struct st_buf *b, char *mem, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->p = mem;
	b->cap = cap;
	mem[0] = '\0';
}

/* Room for n more bytes and a NUL; arenas do not realloc, so copy. */
static bool
st_room(struct st_buf *b, size_t n)
{
	size_t	 cap;
	char	*p;

	if (b->oom)
		return (false);
	if (b->len + n + 1 <= b->cap)
		return (true);
	if (b->arena == NULL) {		/* fixed */
		b->oom = true;
		return (false);
	}
	for (cap = b->cap ? b->cap * 2 : 16384; cap < b->len + n + 1; cap *= 2)
		;
	if (cap > ST_BUF_MAX || (p = pt_alloc(b->arena, cap)) == NULL) {
		b->oom = true;
		return (false);
	}
	if (b->len > 0)
		memcpy(p, b->p, b->len);
	p[b->len] = '\0';
	b->p = p;
	b->cap = cap;
	return (true);
}

void
st_putn(struct st_buf *b, const char *s, size_t n)
{
	if (!st_room(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
st_puts(struct st_buf *b, const char *s)
{
	st_putn(b, s, strlen(s));
}

void
st_printf(struct st_buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !st_room(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
st_html(struct st_buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *e = NULL;

		switch (*s) {
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '&': e = "&amp;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		}
		if (e == NULL)
			continue;
		st_putn(b, run, (size_t)(s - run));
		st_puts(b, e);
		run = s + 1;
	}
	st_putn(b, run, (size_t)(s - run));
}

/* JSON string: quotes, backslashes and controls escaped; bytes >= 0x80
 * pass as they are (the sources are UTF-8 or ASCII). */
void
st_json(struct st_buf *b, const char *s)
{
	unsigned char c;

	st_putn(b, "\"", 1);
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (c == '"' || c == '\\') {
			st_putn(b, "\\", 1);
			st_putn(b, s, 1);
		} else if (c < 0x20 || c == 0x7f)
			st_printf(b, "\\u%04x", c);
		else
			st_putn(b, s, 1);
	}
	st_putn(b, "\"", 1);
}

/* Prometheus text format: label values escape \, " and newline. */
void
st_label(struct st_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			st_putn(b, "\\", 1);
		if (*s == '\n')
			st_putn(b, "\\n", 2);
		else
			st_putn(b, s, 1);
	}
}

/* Decodes %XX and '+' from v[0..n) into out; -1 when bad or too long. */
static int
st_unescape(const char *v, size_t n, char *out, size_t outlen)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= outlen)
			return (-1);
		if (v[i] == '+')
			out[o++] = ' ';
		else if (v[i] == '%') {
			if (i + 2 >= n)
				return (-1);
			if ((hi = pt_hexval(v[i + 1])) < 0 ||
			    (lo = pt_hexval(v[i + 2])) < 0 ||
			    (hi == 0 && lo == 0))
				return (-1);
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = v[i];
	}
	out[o] = '\0';
	return (0);
}

int
st_query_get(const char *q, size_t qlen, const char *name, char *out,
    size_t outlen)
{
	const char	*p = q, *end = q + qlen, *amp, *eq;
	size_t		 nl = strlen(name);

	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if ((size_t)((eq != NULL ? eq : amp) - p) == nl &&
		    memcmp(p, name, nl) == 0) {
			if (eq == NULL) {
				if (outlen == 0)
					return (-1);
				out[0] = '\0';
				return (1);
			}
			return (st_unescape(eq + 1, (size_t)(amp - eq - 1), out,
			    outlen) == 0 ? 1 : -1);
		}
		p = amp + 1;
	}
	return (0);
}

struct st_range {
	int		 family;
	unsigned char	 a[16];
	int		 bits;
};

static bool
st_range_parse(const char *s, struct st_range *r)
{
	char		 host[64];
	const char	*slash = strchr(s, '/');
	size_t		 hl;
	char		*end;
	long		 bits;
	int		 max;

	hl = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (hl == 0 || hl >= sizeof(host))
		return (false);
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, r->a) == 1) {
		r->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, r->a) == 1) {
		r->family = AF_INET6;
		max = 128;
	} else
		return (false);
	r->bits = max;
	if (slash == NULL)
		return (true);
	bits = strtol(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end != '\0' || bits < 0 || bits > max)
		return (false);
	r->bits = (int)bits;
	return (true);
}

bool
st_range_valid(const char *entry)
{
	struct st_range r;

	return (st_range_parse(entry, &r));
}

static bool
st_prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int		whole = bits / 8, rest = bits % 8;
	unsigned char	mask;

	if (memcmp(a, b, (size_t)whole) != 0)
		return (false);
	if (rest == 0)
		return (true);
	mask = (unsigned char)(0xff << (8 - rest));
	return ((a[whole] & mask) == (b[whole] & mask));
}

bool
st_addr_allowed(const char *addr, const char *const *list, size_t n)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	unsigned char	 a4[4], a6[16];
	bool		 is4, is6, v4mapped;
	struct st_range	 r;
	size_t		 i;

	is4 = inet_pton(AF_INET, addr, a4) == 1;
	is6 = !is4 && inet_pton(AF_INET6, addr, a6) == 1;
	/* An IPv4 client on an IPv6 socket is matched as IPv4. */
	v4mapped = is6 && memcmp(a6, mapped, sizeof(mapped)) == 0;
	if (v4mapped) {
		memcpy(a4, a6 + 12, 4);
		is4 = true;
	}
	for (i = 0; i < n; i++) {
		if (!st_range_parse(list[i], &r))
			continue;
		if (r.family == AF_INET && is4 && st_prefix_eq(a4, r.a, r.bits))
			return (true);
		if (r.family == AF_INET6 && is6 &&
		    st_prefix_eq(a6, r.a, r.bits))
			return (true);
	}
	return (false);
}
