/*
 * Values with units and names: parsing and formatting sizes ("64k") and
 * durations ("1m30s"), and the did-you-mean suggestion (edit distance)
 * for misspelled names. conf_util.c calls these for typed directives.
 */
#include "config.h"

#include "conf.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char	*name;
	long long	 ms;
} dur_units[] = {
	{ "d", 86400000LL }, { "h", 3600000LL }, { "m", 60000LL },
	{ "s", 1000LL }, { "ms", 1LL }, { NULL, 0 }
};

const char *
pt_parse_size(const char *s, long long *bytes)
{
	long long	 v = 0, mult = 1;
	int		 shift = 0;

	if (!isdigit((unsigned char)*s))
		return ("not a number");
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (LLONG_MAX - (*s - '0')) / 10)
			return ("too large");
		v = v * 10 + (*s - '0');
	}
	switch (tolower((unsigned char)*s)) {
	case '\0':
		break;
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	default:
		return ("unknown unit");
	}
	if (shift != 0 && *++s != '\0')
		return ("unknown unit");
	mult <<= shift;
	if (v > LLONG_MAX / mult)
		return ("too large");
	*bytes = v * mult;
	return (NULL);
}

/* "500ms", "5s", "1m30s": number-unit pairs, summed. */
const char *
pt_parse_duration(const char *s, long long *ms)
{
	long long	 total = 0, v;
	size_t		 i, ulen = 0;

	if (*s == '\0')
		return ("empty");
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return ("not a number");
		for (v = 0; isdigit((unsigned char)*s); s++) {
			if (v > (LLONG_MAX - (*s - '0')) / 10)
				return ("too large");
			v = v * 10 + (*s - '0');
		}
		if (*s == '\0')
			return ("missing unit");
		for (i = 0; dur_units[i].name != NULL; i++) {
			ulen = strlen(dur_units[i].name);
			if (strncasecmp(s, dur_units[i].name, ulen) == 0 &&
			    !isalpha((unsigned char)s[ulen]))
				break;
		}
		if (dur_units[i].name == NULL)
			return ("unknown unit");
		if (v > (LLONG_MAX - total) / dur_units[i].ms)
			return ("too large");
		total += v * dur_units[i].ms;
		s += ulen;
	}
	*ms = total;
	return (NULL);
}

/* The largest exact unit, so the dump reads "1m" and parses back. */
char *
conf_size_fmt(long long bytes, char *buf, size_t len)
{
	static const char	 units[] = "tgmk";
	static const int	 shifts[] = { 40, 30, 20, 10 };
	size_t			 i;

	for (i = 0; bytes > 0 && i < 4; i++)
		if (bytes % (1LL << shifts[i]) == 0) {
			snprintf(buf, len, "%lld%c", bytes >> shifts[i],
			    units[i]);
			return (buf);
		}
	snprintf(buf, len, "%lld", bytes);
	return (buf);
}

char *
conf_duration_fmt(long long ms, char *buf, size_t len)
{
	size_t	i, used = 0;

	buf[0] = '\0';
	if (ms <= 0) {
		snprintf(buf, len, "%lldms", ms);
		return (buf);
	}
	for (i = 0; dur_units[i].name != NULL && used < len; i++) {
		if (ms < dur_units[i].ms)
			continue;
		snprintf(buf + used, len - used, "%lld%s",
		    ms / dur_units[i].ms, dur_units[i].name);
		used = strlen(buf);
		ms %= dur_units[i].ms;
	}
	return (buf);
}

/* Optimal string alignment distance, for did-you-mean; capped at 32. */
static int
conf_edit_distance(const char *a, const char *b)
{
	int	d[33][33], i, j, la, lb, cost, v;

	la = (int)strlen(a);
	lb = (int)strlen(b);
	if (la > 32 || lb > 32)
		return (INT_MAX);
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			cost = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return (d[la][lb]);
}

/* " (did you mean \"root\"?)" for the closest name, or "". */
const char *
conf_did_you_mean(struct pt_conf_ctx *cx, const char *word,
    const char *const *names)
{
	const char	*best = NULL;
	int		 bestd = INT_MAX, d, limit;

	/* Short words tolerate one typo; longer ones two. */
	limit = strlen(word) <= 4 ? 1 : 2;
	for (; *names != NULL; names++)
		if ((d = conf_edit_distance(word, *names)) < bestd) {
			bestd = d;
			best = *names;
		}
	if (best == NULL || bestd > limit)
		return ("");
	return (conf_frag(cx, " (did you mean \"%s\"?)", best));
}
