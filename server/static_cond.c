/*
 * Validators and conditional requests for static files: the ETag, the
 * preconditions of RFC 9110 13, single byte ranges (RFC 9110 14) and
 * HTTP-date formatting and parsing (RFC 9110 5.6.7), all pure functions.
 */
#include "config.h"

#include "static_file.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const wday_short[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const wday_long[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char *const month_short[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

#define IS_OWS(c)	((c) == ' ' || (c) == '\t')
/* RFC 9110 8.8.3: etagc = %x21 / %x23-7E / obs-text */
#define IS_ETAGC(c)	((c) == 0x21 || ((c) >= 0x23 && (c) != 0x7f))

static const char *
skip_ows(const char *p)
{
	while (IS_OWS(*p))
		p++;
	return (p);
}

/* Lowercase hex of v without leading zeros; returns the digit count. */
static int
etag_hex(char *out, uint64_t v)
{
	static const char	hex[] = "0123456789abcdef";
	char			tmp[16];
	int			n = 0, i;

	do {
		tmp[n++] = hex[v & 15];
		v >>= 4;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return (n);
}

void
static_etag(const struct stat *st, char *out, size_t outlen)
{
	uint64_t	ns;
	int		n;

	/*
	 * Nanoseconds catch two writes within one second; the inode catches
	 * a file replaced by rename with the same size and time. Unsigned
	 * arithmetic: a pre-1970 mtime must not overflow.
	 */
	ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u +
	    (uint64_t)st->st_mtim.tv_nsec;
	/* By hand: this runs for every file served; printf costs more. */
	if (outlen < 3 * 17 + 3) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	n = 0;
	out[n++] = '"';
	n += etag_hex(out + n, (uint64_t)st->st_ino);
	out[n++] = '-';
	n += etag_hex(out + n, (uint64_t)st->st_size);
	out[n++] = '-';
	n += etag_hex(out + n, ns);
	out[n++] = '"';
	out[n] = '\0';
}

/*
 * Compares the entity-tags of list (RFC 9110 5.6.1 "#entity-tag"; empty
 * elements are allowed) with etag, weakly or strongly (8.8.3.2). Returns
 * true when one matches and the whole list is well-formed: a garbled field
 * never counts as a match.
 */
static bool
etag_list_match(const char *list, const char *etag, bool weak)
{
	const char	*p, *tag;
	bool		 tweak, eweak, found;
	size_t		 elen;

	eweak = strncmp(etag, "W/", 2) == 0;
	if (eweak)
		etag += 2;
	elen = strlen(etag);
	for (p = list, found = false;;) {
		while (IS_OWS(*p) || *p == ',')
			p++;
		if (*p == '\0')
			return (found);
		tweak = strncmp(p, "W/", 2) == 0;
		if (tweak)
			p += 2;
		if (*p != '"')
			return (false);
		for (tag = p++; IS_ETAGC((unsigned char)*p); p++)
			;
		if (*p++ != '"')
			return (false);
		if ((size_t)(p - tag) == elen && memcmp(tag, etag, elen) == 0 &&
		    (weak || (!tweak && !eweak)))
			found = true;
		p = skip_ows(p);
		if (*p != ',' && *p != '\0')
			return (false);
	}
}

/* "*" alone (RFC 9110 13.1.1, 13.1.2): any current representation. */
static bool
is_star(const char *v)
{
	v = skip_ows(v);
	if (*v++ != '*')
		return (false);
	return (*skip_ows(v) == '\0');
}

int
static_conditional(const char *if_match, const char *if_none_match,
    const char *if_modified_since, const char *if_unmodified_since,
    const char *etag, time_t mtime)
{
	time_t	t;

	/*
	 * RFC 9110 13.2.2 steps 1-2: If-Match, strong comparison (13.1.1);
	 * only without it, If-Unmodified-Since. A date that does not parse
	 * is ignored (13.1.4).
	 */
	if (if_match != NULL) {
		if (!is_star(if_match) &&
		    !etag_list_match(if_match, etag, false))
			return (412);
	} else if (if_unmodified_since != NULL) {
		t = http_date_parse(if_unmodified_since);
		if (t != -1 && mtime > t)
			return (412);
	}
	/*
	 * Steps 3-4: If-None-Match, weak comparison (13.1.2); only without
	 * it, If-Modified-Since, where an invalid date is ignored (13.1.3).
	 */
	if (if_none_match != NULL) {
		if (is_star(if_none_match) ||
		    etag_list_match(if_none_match, etag, true))
			return (304);
	} else if (if_modified_since != NULL) {
		t = http_date_parse(if_modified_since);
		if (t != -1 && mtime <= t)
			return (304);
	}
	return (0);
}

/*
 * RFC 9110 13.1.5: If-Range holds one entity-tag, compared strongly (a
 * weak tag never matches), or an HTTP-date, which must equal the
 * Last-Modified date exactly. A DQUOTE or "W/" tells a tag from a date.
 */
static bool
if_range_match(const char *v, const char *etag, time_t mtime)
{
	const char	*p;
	size_t		 elen;
	time_t		 t;

	v = skip_ows(v);
	if (strncmp(v, "W/", 2) == 0)
		return (false);
	if (*v == '"') {
		if (strncmp(etag, "W/", 2) == 0)
			return (false);
		elen = strlen(etag);
		if (strncmp(v, etag, elen) != 0)
			return (false);
		p = skip_ows(v + elen);
		return (*p == '\0');
	}
	t = http_date_parse(v);
	return (t != -1 && t == mtime);
}

/*
 * 1*DIGIT at *pp into *v, saturating at the largest off_t: a position
 * beyond any file is still a syntactically valid one. -1 when no digit.
 */
static int
parse_pos(const char **pp, off_t *v)
{
	const char	*p = *pp;
	uintmax_t	 n, max;

	max = ((uintmax_t)1 << (sizeof(off_t) * 8 - 1)) - 1;
	if (*p < '0' || *p > '9')
		return (-1);
	for (n = 0; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uintmax_t)(*p - '0');
		if (n > max)
			n = max;
	}
	*v = (off_t)n;
	*pp = p;
	return (0);
}

/*
 * One range-spec (RFC 9110 14.1.1): int-range "first-last", "first-", or
 * suffix-range "-n". A suffix is stored as first = -1, last = n. Returns
 * -1 when malformed, including last-pos < first-pos ("invalid").
 */
static int
parse_spec(const char **pp, off_t *first, off_t *last)
{
	const char	*p = *pp;

	*first = -1;
	if (*p != '-') {
		if (parse_pos(&p, first) == -1 || *p != '-')
			return (-1);
		p++;
		*last = -1;
		if (*p >= '0' && *p <= '9' && parse_pos(&p, last) == -1)
			return (-1);
		if (*last != -1 && *last < *first)
			return (-1);
	} else {
		p++;
		if (parse_pos(&p, last) == -1)
			return (-1);
	}
	*pp = p;
	return (0);
}

int
static_range(const char *range, const char *if_range, const char *etag,
    time_t mtime, off_t size, off_t *off, off_t *len)
{
	const char	*p;
	off_t		 first, last;

	if (range == NULL)
		return (0);
	/* RFC 9110 13.1.5: a failed If-Range means the whole, as 200. */
	if (if_range != NULL && !if_range_match(if_range, etag, mtime))
		return (0);
	/* 14.1: range units are case-insensitive; "=" has no OWS around. */
	p = skip_ows(range);
	if (strncasecmp(p, "bytes=", 6) != 0)
		return (0);
	/* 5.6.1.2: accept empty list elements and OWS around commas. */
	for (p += 6; IS_OWS(*p) || *p == ','; p++)
		;
	if (parse_spec(&p, &first, &last) == -1)
		return (0);
	for (p = skip_ows(p); IS_OWS(*p) || *p == ','; p++)
		;
	/*
	 * XXX Several ranges would need multipart/byteranges (14.6); the
	 * whole representation is a valid answer to them (14.2: a server
	 * MAY ignore Range), and it spares us overlapping-range abuse.
	 */
	if (*p != '\0')
		return (0);
	if (first == -1) {
		/* 14.1.3: "-0" is unsatisfiable; a longer suffix is all. */
		if (last == 0)
			return (416);
		/* An empty file has no byte to cut; send it whole. */
		if (size == 0)
			return (0);
		if (last > size)
			last = size;
		*off = size - last;
		*len = last;
		return (206);
	}
	/* 14.1.1: satisfiable when first-pos < length; last-pos clamps. */
	if (first >= size)
		return (416);
	if (last == -1 || last >= size)
		last = size - 1;
	*off = first;
	*len = last - first + 1;
	return (206);
}

static char *
put2(char *p, int v)
{
	*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return (p);
}

void
http_date_format(time_t t, char *out)
{
	struct tm	 tm;
	char		*p;
	int		 year;

	/*
	 * RFC 9110 5.6.7: IMF-fixdate, always GMT and in English. Written
	 * by hand: strftime's %a and %b follow LC_TIME. A time gmtime
	 * cannot convert, or past year 9999, falls back to the epoch.
	 */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	year = tm.tm_year + 1900;
	p = out;
	memcpy(p, wday_short[tm.tm_wday], 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	p = put2(p, tm.tm_mday);
	*p++ = ' ';
	memcpy(p, month_short[tm.tm_mon], 3);
	p += 3;
	*p++ = ' ';
	p = put2(put2(p, year / 100), year % 100);
	*p++ = ' ';
	p = put2(p, tm.tm_hour);
	*p++ = ':';
	p = put2(p, tm.tm_min);
	*p++ = ':';
	p = put2(p, tm.tm_sec);
	memcpy(p, " GMT", 5);
}

/* Exactly n digits. */
static bool
get_num(const char **pp, int n, int *v)
{
	const char	*p = *pp;

	for (*v = 0; n > 0; n--, p++) {
		if (*p < '0' || *p > '9')
			return (false);
		*v = *v * 10 + (*p - '0');
	}
	*pp = p;
	return (true);
}

static bool
get_lit(const char **pp, const char *lit)
{
	size_t	n = strlen(lit);

	if (strncmp(*pp, lit, n) != 0)
		return (false);
	*pp += n;
	return (true);
}

/* One of names; HTTP-date is case-sensitive (RFC 9110 5.6.7). */
static int
get_name(const char **pp, const char *const *names, int count)
{
	int	i;

	for (i = 0; i < count; i++)
		if (get_lit(pp, names[i]))
			return (i);
	return (-1);
}

/* time-of-day = hour ":" minute ":" second; 60 is a leap second. */
static bool
get_time(const char **pp, struct tm *tm)
{
	return (get_num(pp, 2, &tm->tm_hour) && get_lit(pp, ":") &&
	    get_num(pp, 2, &tm->tm_min) && get_lit(pp, ":") &&
	    get_num(pp, 2, &tm->tm_sec) && tm->tm_hour < 24 &&
	    tm->tm_min < 60 && tm->tm_sec <= 60);
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
static bool
parse_imf(const char *p, struct tm *tm)
{
	return (get_name(&p, wday_short, 7) != -1 && get_lit(&p, ", ") &&
	    get_num(&p, 2, &tm->tm_mday) && get_lit(&p, " ") &&
	    (tm->tm_mon = get_name(&p, month_short, 12)) != -1 &&
	    get_lit(&p, " ") && get_num(&p, 4, &tm->tm_year) &&
	    get_lit(&p, " ") && get_time(&p, tm) && get_lit(&p, " GMT") &&
	    *skip_ows(p) == '\0');
}

/*
 * RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". RFC 9110 5.6.7: a two-digit
 * year more than 50 years in the future is the latest past year with the
 * same last two digits.
 */
static bool
parse_rfc850(const char *p, struct tm *tm)
{
	struct tm	now;
	time_t		t;
	int		yy, cur;

	if (!(get_name(&p, wday_long, 7) != -1 && get_lit(&p, ", ") &&
	    get_num(&p, 2, &tm->tm_mday) && get_lit(&p, "-") &&
	    (tm->tm_mon = get_name(&p, month_short, 12)) != -1 &&
	    get_lit(&p, "-") && get_num(&p, 2, &yy) && get_lit(&p, " ") &&
	    get_time(&p, tm) && get_lit(&p, " GMT") && *skip_ows(p) == '\0'))
		return (false);
	t = time(NULL);
	if (gmtime_r(&t, &now) == NULL)
		return (false);
	cur = now.tm_year + 1900;
	tm->tm_year = cur - cur % 100 + yy;
	if (tm->tm_year > cur + 50)
		tm->tm_year -= 100;
	return (true);
}

/* asctime: "Sun Nov  6 08:49:37 1994" (the day padded with a space). */
static bool
parse_asctime(const char *p, struct tm *tm)
{
	if (!(get_name(&p, wday_short, 7) != -1 && get_lit(&p, " ") &&
	    (tm->tm_mon = get_name(&p, month_short, 12)) != -1 &&
	    get_lit(&p, " ")))
		return (false);
	if (*p == ' ') {
		p++;
		if (!get_num(&p, 1, &tm->tm_mday))
			return (false);
	} else if (!get_num(&p, 2, &tm->tm_mday))
		return (false);
	return (get_lit(&p, " ") && get_time(&p, tm) && get_lit(&p, " ") &&
	    get_num(&p, 4, &tm->tm_year) && *skip_ows(p) == '\0');
}

/* RFC 9110 5.6.7: recipients accept all three forms. */
static bool
parse_any(const char *s, struct tm *tm)
{
	memset(tm, 0, sizeof(*tm));
	if (parse_imf(s, tm))
		return (true);
	memset(tm, 0, sizeof(*tm));
	if (parse_rfc850(s, tm))
		return (true);
	memset(tm, 0, sizeof(*tm));
	return (parse_asctime(s, tm));
}

/*
 * The day name is checked for form only, not against the date, as other
 * servers do; the day of the month is checked against the month.
 */
time_t
http_date_parse(const char *s)
{
	static const int	 mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	struct tm		 tm;
	int			 y;

	if (s == NULL || !parse_any(skip_ows(s), &tm))
		return (-1);
	y = tm.tm_year;
	if (tm.tm_mday < 1 || tm.tm_mday > mdays[tm.tm_mon] ||
	    (tm.tm_mon == 1 && tm.tm_mday == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return (-1);
	tm.tm_year -= 1900;
	return (timegm(&tm));
}
