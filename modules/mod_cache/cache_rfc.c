/*
 * mod_cache, pure RFC 9111 logic: directives, storability, freshness and
 * Age. Time is in whole seconds. Malformed or contradictory fields take
 * the most restrictive reading (9111 4.2.1, 5.2). No server calls here.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cache_rfc.h"

#define DELTA_MAX	2147483648LL	/* 9111 1.2.2: clamp to 2^31 */

void
cache_cc_init(struct cache_cc *cc)
{
	memset(cc, 0, sizeof(*cc));
	cc->max_age = cc->s_maxage = cc->max_stale = cc->min_fresh = CACHE_NONE;
	cc->swr = cc->sie = CACHE_NONE;
}

int64_t
cache_delta(const char *s, size_t len)
{
	int64_t	v = 0;
	size_t	i;

	if (len == 0)
		return (-1);
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return (-1);
		if (v < DELTA_MAX)
			v = v * 10 + (s[i] - '0');
	}
	return (v > DELTA_MAX ? DELTA_MAX : v);
}

/* The lowest wins for limits: two max-age values read restrictively. */
static void
cc_min(int64_t *field, int64_t v)
{
	if (v < 0)
		v = 0;	/* invalid: stale at once (4.2.1) */
	if (*field == CACHE_NONE || v < *field)
		*field = v;
}

static void
cc_names(struct cache_cc *cc, const char *v, size_t len)
{
	size_t	at = strlen(cc->nc_names), i;

	for (i = 0; i < len && at + 2 < sizeof(cc->nc_names); i++) {
		if (v[i] == '"' || v[i] == ' ' || v[i] == '\t')
			continue;
		cc->nc_names[at++] = (char)tolower((unsigned char)v[i]);
	}
	if (at > 0 && at + 1 < sizeof(cc->nc_names) && cc->nc_names[at - 1] != ',')
		cc->nc_names[at++] = ',';
	cc->nc_names[at] = '\0';
}

static bool
tok_is(const char *t, size_t n, const char *name)
{
	return (strlen(name) == n && strncasecmp(t, name, n) == 0);
}

/* One directive: name[=value], value possibly quoted. */
static void
cc_one(struct cache_cc *cc, const char *t, size_t n, const char *v, size_t vn,
    bool has_v)
{
	int64_t	d = has_v ? cache_delta(v, vn) : -1;

	cc->any = true;
	if (tok_is(t, n, "no-store"))
		cc->no_store = true;
	else if (tok_is(t, n, "no-cache")) {
		if (has_v && vn > 0) {
			cc->no_cache_fields = true;
			cc_names(cc, v, vn);
		} else
			cc->no_cache = true;
	} else if (tok_is(t, n, "private")) {
		cc->priv = true;
		if (has_v)
			cc->priv_fields = true;
	} else if (tok_is(t, n, "public"))
		cc->pub = true;
	else if (tok_is(t, n, "must-revalidate"))
		cc->must_revalidate = true;
	else if (tok_is(t, n, "proxy-revalidate"))
		cc->proxy_revalidate = true;
	else if (tok_is(t, n, "only-if-cached"))
		cc->only_if_cached = true;
	else if (tok_is(t, n, "no-transform"))
		cc->no_transform = true;
	else if (tok_is(t, n, "must-understand"))
		cc->must_understand = true;
	else if (tok_is(t, n, "immutable"))
		cc->immutable = true;
	else if (tok_is(t, n, "max-age"))
		cc_min(&cc->max_age, d);
	else if (tok_is(t, n, "s-maxage"))
		cc_min(&cc->s_maxage, d);
	else if (tok_is(t, n, "min-fresh"))
		cc_min(&cc->min_fresh, d);
	else if (tok_is(t, n, "stale-while-revalidate"))
		cc_min(&cc->swr, d);
	else if (tok_is(t, n, "stale-if-error"))
		cc_min(&cc->sie, d);
	else if (tok_is(t, n, "max-stale")) {
		if (!has_v)
			d = CACHE_INF;
		else if (d < 0)
			d = 0;
		if (cc->max_stale == CACHE_NONE || d < cc->max_stale)
			cc->max_stale = d;
	}
}

void
cache_cc_parse(struct cache_cc *cc, const char *v, size_t len)
{
	const char	*p = v, *end = v + len, *t, *val;
	size_t		 tn, vn;
	bool		 has_v;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		t = p;
		while (p < end && *p != '=' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		tn = (size_t)(p - t);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		has_v = false;
		val = NULL;
		vn = 0;
		if (p < end && *p == '=') {
			has_v = true;
			p++;
			if (p < end && *p == '"') {
				val = ++p;
				while (p < end && *p != '"')
					p++;
				vn = (size_t)(p - val);
				if (p < end)
					p++;
			} else {
				val = p;
				while (p < end && *p != ',' && *p != ' ' && *p != '\t')
					p++;
				vn = (size_t)(p - val);
			}
		}
		while (p < end && *p != ',')
			p++;
		if (tn > 0)
			cc_one(cc, t, tn, val, vn, has_v);
	}
}

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static int
month_of(const char *m)
{
	int	i;

	for (i = 0; i < 12; i++)
		if (strncmp(m, months[i], 3) == 0)
			return (i);
	return (-1);
}

/* Days from 1970-01-01 to y-m-d (civil calendar). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static int
two_digits(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return (-1);
	return ((p[0] - '0') * 10 + (p[1] - '0'));
}

/* IMF-fixdate exactly, without sscanf: the form every hit reads. */
static int64_t
imf_fixdate(const char *s)
{
	char	mon[4];
	int	d, y, hh, mm, ss, m;

	if (s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
	    memcmp(s + 25, " GMT", 4) != 0)
		return (-2);
	memcpy(mon, s + 8, 3);
	mon[3] = '\0';
	d = two_digits(s + 5);
	y = two_digits(s + 12) * 100 + two_digits(s + 14);
	hh = two_digits(s + 17);
	mm = two_digits(s + 20);
	ss = two_digits(s + 23);
	if (d < 1 || d > 31 || two_digits(s + 12) < 0 || two_digits(s + 14) < 0 ||
	    y < 1900 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 ||
	    ss > 60 || (m = month_of(mon)) < 0)
		return (-2);
	return (days_from_civil(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss);
}

int64_t
cache_http_date(const char *s, size_t len)
{
	char	buf[64], mon[4], wd[16], tz[4];
	int	d, y, hh, mm, ss, m, n = 0;
	int64_t	t;

	if (len == 29 && (t = imf_fixdate(s)) != -2)
		return (t);
	if (len == 0 || len >= sizeof(buf))
		return (-1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
	if (sscanf(buf, "%3s, %2d %3s %4d %2d:%2d:%2d %3s%n", wd, &d, mon, &y,
	    &hh, &mm, &ss, tz, &n) == 8 && n == (int)len && strcmp(tz, "GMT") == 0)
		;
	/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
	else if (n = 0, sscanf(buf, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d %3s%n",
	    wd, &d, mon, &y, &hh, &mm, &ss, tz, &n) == 8 && n == (int)len &&
	    strcmp(tz, "GMT") == 0)
		y += y < 70 ? 2000 : 1900;
	/* asctime: Sun Nov  6 08:49:37 1994 */
	else if (n = 0, sscanf(buf, "%3s %3s %d %2d:%2d:%2d %4d%n", wd, mon, &d,
	    &hh, &mm, &ss, &y, &n) == 7 && n == (int)len)
		;
	else
		return (-1);
	if ((m = month_of(mon)) < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 ||
	    ss > 60 || y < 1900 || hh < 0 || mm < 0 || ss < 0)
		return (-1);
	return (days_from_civil(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss);
}

void
cache_http_date_fmt(int64_t t, char *out)
{
	static const char *const wd[] = { "Thu", "Fri", "Sat", "Sun", "Mon",
	    "Tue", "Wed" };
	time_t		tt = (time_t)t;
	struct tm	tm;

	gmtime_r(&tt, &tm);
	snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wd[(t / 86400) % 7], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int64_t
cache_age_value(const char *s, size_t len)
{
	int64_t	v;

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	v = cache_delta(s, len);
	return (v < 0 ? DELTA_MAX : v);
}

/* Statuses whose caching rules this cache implements (must-understand). */
static bool
cache_status_understood(int status)
{
	return ((status >= 200 && status <= 206) || (status >= 300 &&
	    status <= 308 && status != 306) || (status >= 400 &&
	    status <= 417) || status == 421 || status == 422 || status == 426 ||
	    (status >= 500 && status <= 505));
}

bool
cache_status_heuristic(int status)
{
	switch (status) {
	case 200: case 203: case 204: case 206: case 300: case 301: case 308:
	case 404: case 405: case 410: case 414: case 501:
		return (true);
	default:
		return (false);
	}
}

bool
cache_rfc_storable(const struct cache_resp *rs, bool authorization,
    const char **why)
{
	const struct cache_cc	*cc = &rs->cc;
	const char		*w = NULL;

	if (rs->status < 200 || rs->status == 206 || rs->status == 304)
		w = "status";
	else if (cc->must_understand && !cache_status_understood(rs->status))
		w = "must-understand";
	else if (cc->no_store && !(cc->must_understand &&
	    cache_status_understood(rs->status)))
		w = "no-store";
	else if (cc->priv)
		w = "private";
	else if (rs->vary_star)
		w = "vary";
	else if (authorization && !cc->must_revalidate && !cc->pub &&
	    cc->s_maxage == CACHE_NONE)
		w = "authorization";
	else if (!cc->pub && !rs->has_expires && cc->max_age == CACHE_NONE &&
	    cc->s_maxage == CACHE_NONE && !cache_status_heuristic(rs->status))
		w = "no-explicit-freshness";
	if (why != NULL)
		*why = w;
	return (w == NULL);
}

int64_t
cache_rfc_lifetime(const struct cache_resp *rs, int64_t resp_time,
    int64_t heuristic_max)
{
	const struct cache_cc	*cc = &rs->cc;
	int64_t			 date = rs->date >= 0 ? rs->date : resp_time;
	int64_t			 h;

	if (cc->s_maxage != CACHE_NONE)
		return (cc->s_maxage);
	if (cc->max_age != CACHE_NONE)
		return (cc->max_age);
	if (rs->has_expires)
		return (rs->expires < 0 || rs->expires <= date ? 0 :
		    rs->expires - date);
	if (rs->last_modified >= 0 && rs->last_modified < date &&
	    (cache_status_heuristic(rs->status) || cc->pub)) {
		h = (date - rs->last_modified) / 10;
		return (h > heuristic_max ? heuristic_max : h);
	}
	return (0);
}

int64_t
cache_rfc_age(int64_t age_value, int64_t date, int64_t req_time,
    int64_t resp_time, int64_t now)
{
	int64_t	apparent, corrected, initial, resident;

	apparent = date >= 0 && resp_time > date ? resp_time - date : 0;
	corrected = (age_value > 0 ? age_value : 0) + (resp_time - req_time);
	initial = apparent > corrected ? apparent : corrected;
	resident = now > resp_time ? now - resp_time : 0;
	return (initial + resident);
}

bool
cache_rfc_may_serve_stale(const struct cache_cc *resp)
{
	return (!resp->must_revalidate && !resp->proxy_revalidate &&
	    resp->s_maxage == CACHE_NONE && !resp->no_cache);
}

enum cache_use
cache_rfc_use(const struct cache_cc *req, bool pragma_no_cache,
    const struct cache_cc *resp, int64_t lifetime, int64_t age)
{
	int64_t	stale;

	if (resp->no_cache || req->no_cache || (pragma_no_cache && !req->any))
		return (CACHE_USE_VALIDATE);
	if (req->max_age != CACHE_NONE && age > req->max_age)
		return (CACHE_USE_VALIDATE);
	if (req->min_fresh != CACHE_NONE && lifetime - age < req->min_fresh)
		return (CACHE_USE_VALIDATE);
	if (age < lifetime)
		return (CACHE_USE_FRESH);
	stale = age - lifetime;
	if (req->max_stale != CACHE_NONE && stale <= req->max_stale &&
	    cache_rfc_may_serve_stale(resp))
		return (CACHE_USE_STALE);
	return (CACHE_USE_VALIDATE);
}

bool
cache_method_unsafe(const char *m, size_t len)
{
	static const char *const safe[] = { "GET", "HEAD", "OPTIONS", "TRACE",
	    "PURGE", NULL };
	size_t	i;

	for (i = 0; safe[i] != NULL; i++)
		if (strlen(safe[i]) == len && memcmp(m, safe[i], len) == 0)
			return (false);
	return (true);
}

/* Weak comparison: W/ prefixes ignored; "*" matches any. */
bool
cache_etag_match(const char *inm, size_t len, const char *etag)
{
	const char	*p = inm, *end = inm + len, *t;
	size_t		 el;

	if (etag == NULL)
		return (false);
	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	el = strlen(etag);
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p < end && *p == '*')
			return (true);
		if (end - p >= 2 && strncmp(p, "W/", 2) == 0)
			p += 2;
		t = p;
		if (p < end && *p == '"') {
			p++;
			while (p < end && *p != '"')
				p++;
			if (p < end)
				p++;
		}
		if ((size_t)(p - t) == el && el > 0 && memcmp(t, etag, el) == 0)
			return (true);
		while (p < end && *p != ',')
			p++;
	}
	return (false);
}

static bool
range_num(const char **p, const char *end, uint64_t *v)
{
	const char	*s = *p;

	*v = 0;
	while (*p < end && **p >= '0' && **p <= '9') {
		if (*v > UINT64_MAX / 10 - 10)
			return (false);
		*v = *v * 10 + (uint64_t)(**p - '0');
		(*p)++;
	}
	return (*p > s);
}

int
cache_range(const char *v, size_t len, uint64_t size, uint64_t *first,
    uint64_t *last)
{
	const char	*p = v, *end = v + len;
	uint64_t	 a, b;
	bool		 has_a, has_b;

	if (len < 6 || strncasecmp(v, "bytes=", 6) != 0)
		return (0);
	p += 6;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	has_a = range_num(&p, end, &a);
	if (p >= end || *p != '-')
		return (0);
	p++;
	has_b = range_num(&p, end, &b);
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p != end || (!has_a && !has_b))
		return (0);	/* several ranges or junk: the whole */
	if (!has_a) {		/* suffix: the last b bytes */
		if (b == 0 || size == 0)
			return (-1);
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return (1);
	}
	if (has_b && b < a)
		return (0);
	if (a >= size)
		return (-1);
	*first = a;
	*last = !has_b || b >= size ? size - 1 : b;
	return (1);
}

static bool
tag_sep(char c)
{
	return (c == ' ' || c == ',' || c == '\t');
}

bool
cache_purge_match(char kind, const char *pat, const char *key,
    const char *tags)
{
	size_t		 n = strlen(pat);
	const char	*p;

	switch (kind) {
	case 'k':
		return (key != NULL && strcmp(key, pat) == 0);
	case 'p':
		return (key != NULL && strncmp(key, pat, n) == 0);
	case 't':
		for (p = tags; p != NULL && n > 0 && *p != '\0'; ) {
			while (tag_sep(*p))
				p++;
			if (strncmp(p, pat, n) == 0 && (p[n] == '\0' ||
			    tag_sep(p[n])))
				return (true);
			while (*p != '\0' && !tag_sep(*p))
				p++;
		}
		return (false);
	}
	return (false);
}

/* One coding's q (RFC 9110 12.4.2) in thousandths; "q=" absent: 1000. */
static int
ae_q(const char *p, const char *end)
{
	int	q = 1000, scale = 100;

	while (p < end && *p != ';')
		p++;
	for (; p < end; p++) {
		if (*p != ';')
			continue;
		while (++p < end && (*p == ' ' || *p == '\t'))
			;
		if (end - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
			continue;
		p += 2;
		if (p >= end || (*p != '0' && *p != '1'))
			return (0);
		q = (*p - '0') * 1000;
		if (++p < end && *p == '.')
			while (++p < end && *p >= '0' && *p <= '9' && scale > 0) {
				q += (*p - '0') * scale;
				scale /= 10;
			}
		return (q > 1000 ? 1000 : q);
	}
	return (q);
}

void
cache_ae_bucket(const char *v, size_t len, char *out)
{
	static const char *const names[] = { "br", "deflate", "gzip", "zstd" };
	int		 q[4] = { -1, -1, -1, -1 }, star = -1, i;
	const char	*p = v, *end = v + len, *e, *t;
	size_t		 n, at = 0;

	while (v != NULL && p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		for (e = p; e < end && *e != ','; e++)
			;
		for (t = p; t < e && *t != ';' && *t != ' ' && *t != '\t'; t++)
			;
		n = (size_t)(t - p);
		if (n == 1 && *p == '*')
			star = ae_q(t, e);
		else if (n == 6 && strncasecmp(p, "x-gzip", 6) == 0)
			q[2] = ae_q(t, e);
		for (i = 0; i < 4; i++)
			if (n == strlen(names[i]) && strncasecmp(p, names[i],
			    n) == 0)
				q[i] = ae_q(t, e);
		p = e;
	}
	out[0] = '\0';
	for (i = 0; i < 4; i++)
		if (q[i] > 0 || (q[i] == -1 && star > 0))
			at += (size_t)snprintf(out + at, 32 - at, "%s%s",
			    at > 0 ? "," : "", names[i]);
	if (at == 0)
		snprintf(out, 32, "identity");
}
