/*
 * The forward proxy's access rules, matched: ordered rules, first match
 * wins, each a conjunction of conditions on the client address, the
 * destination (host and port), the method, the time of day and the user.
 * Pure: the request's facts come in a struct fwd_acl_input, so
 * t/unit/test_forward_acl.c runs it with no server around it.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "forward.h"
#include "rx.h"

bool
fwd_dest_match(const struct fwd_dest *d, const char *host, size_t len)
{
	size_t i, n;

	for (i = 0; i < d->nexact; i++)
		if (strlen(d->exact[i]) == len &&
		    memcmp(d->exact[i], host, len) == 0)
			return (true);
	for (i = 0; i < d->nsuffix; i++) {
		n = strlen(d->suffix[i]);
		if (len == n && memcmp(host, d->suffix[i], n) == 0)
			return (true);
		if (len > n && host[len - n - 1] == '.' &&
		    memcmp(host + len - n, d->suffix[i], n) == 0)
			return (true);
	}
	for (i = 0; i < d->nrx; i++)
		if (rx_match(d->rx[i], host, len) == 1)
			return (true);
	return (d->list != NULL && domain_list_match(d->list, host, len));
}

static bool
fwd_port_in(const int *pairs, size_t n, int port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (port >= pairs[2 * i] && port <= pairs[2 * i + 1])
			return (true);
	return (false);
}

static bool
fwd_list_has(const struct pt_strlist *l, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == len && memcmp(l->v[i], s, len) == 0)
			return (true);
	return (false);
}

bool
fwd_time_in(int from, int to, int minute)
{
	if (from <= to)
		return (minute >= from && minute < to);
	return (minute >= from || minute < to);
}

bool
fwd_rule_matches(const struct fwd_rule *rule, const struct fwd_acl_input *in)
{
	if (rule->client.n > 0 && !cidr_list_match(&rule->client, in->client))
		return (false);
	if (rule->dest.set && !fwd_dest_match(&rule->dest, in->host,
	    in->hostlen))
		return (false);
	if (rule->nports > 0 && !fwd_port_in(rule->ports, rule->nports,
	    in->port))
		return (false);
	if (rule->methods.n > 0 && !fwd_list_has(&rule->methods, in->method,
	    in->methodlen))
		return (false);
	if (rule->has_time && !fwd_time_in(rule->time_from, rule->time_to,
	    in->minute))
		return (false);
	if (rule->users.n > 0 && (in->user == NULL ||
	    (!fwd_list_has(&rule->users, in->user, strlen(in->user)) &&
	    !fwd_list_has(&rule->users, "*", 1))))
		return (false);
	return (true);
}

const struct fwd_rule *
fwd_acl_first(const struct fwd_rule *rules, size_t n,
    const struct fwd_acl_input *in, size_t *from)
{
	size_t i;

	for (i = *from; i < n; i++) {
		if (!fwd_rule_matches(&rules[i], in))
			continue;
		/* An authenticated user passes an auth rule: go on. */
		if (rules[i].action == FWD_AUTH && in->user != NULL)
			continue;
		*from = i;
		return (&rules[i]);
	}
	*from = n;
	return (NULL);
}

int
fwd_time_parse(const char *s, int *from, int *to)
{
	int	h1, m1, h2, m2, n = 0;

	if (sscanf(s, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) != 4 ||
	    s[n] != '\0' || h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 ||
	    m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 || h1 * 60 + m1 > 1440 ||
	    h2 * 60 + m2 > 1440)
		return (-1);
	*from = h1 * 60 + m1;
	*to = h2 * 60 + m2;
	return (0);
}

static bool
v4_private(const unsigned char *a)
{
	return (a[0] == 0 || a[0] == 10 || a[0] == 127 ||
	    (a[0] == 169 && a[1] == 254) ||
	    (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	    (a[0] == 192 && a[1] == 168) ||
	    (a[0] == 100 && (a[1] & 0xc0) == 64) ||
	    a[0] >= 224);	/* multicast and reserved: never an origin */
}

bool
fwd_addr_is_private(const struct sockaddr_storage *ss)
{
	const unsigned char		*a;
	static const unsigned char	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0xff, 0xff };
	static const unsigned char	 zero[16];

	if (ss->ss_family == AF_INET) {
		a = (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)ss)->sin_addr;
		return (v4_private(a));
	}
	if (ss->ss_family != AF_INET6)
		return (true);
	a = ((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr.s6_addr;
	if (memcmp(a, mapped, 12) == 0)
		return (v4_private(a + 12));
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
		return (true);			/* :: and ::1 */
	return ((a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||	/* fe80::/10 */
	    (a[0] & 0xfe) == 0xfc ||				/* fc00::/7 */
	    a[0] == 0xff);					/* multicast */
}
