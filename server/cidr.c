/*
 * Address ranges: parsed once at configuration time, matched against a
 * client's socket address with a byte compare and a final mask.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

int
cidr_parse(const char *s, struct cidr *out)
{
	char		 host[64];
	const char	*slash = strchr(s, '/');
	char		*end;
	size_t		 len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	long		 bits;
	int		 max, i;

	if (len == 0 || len >= sizeof(host))
		return (-1);
	memcpy(host, s, len);
	host[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else
		return (-1);
	bits = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return (-1);
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || bits < 0 || bits > max)
			return (-1);
	}
	out->bits = (int)bits;
	/* Clear the host bits so a match is a plain compare. */
	for (i = 0; i < max / 8; i++) {
		if (i * 8 >= bits)
			out->addr[i] = 0;
		else if (i * 8 + 8 > bits)
			out->addr[i] &= (unsigned char)(0xff << (8 - (bits - i * 8)));
	}
	return (0);
}

bool
cidr_match(const struct cidr *c, const struct sockaddr_storage *ss)
{
	const unsigned char	*a;
	int			 full = c->bits / 8, rest = c->bits % 8;

	if (ss->ss_family != c->family)
		return (false);
	a = c->family == AF_INET ?
	    (const unsigned char *)&((const struct sockaddr_in *)ss)->sin_addr :
	    (const unsigned char *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (memcmp(a, c->addr, (size_t)full) != 0)
		return (false);
	if (rest == 0)
		return (true);
	return ((a[full] & (0xff << (8 - rest)) & 0xff) == c->addr[full]);
}

bool
cidr_list_match(const struct cidr_list *l, const struct sockaddr_storage *ss)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (cidr_match(&l->v[i], ss))
			return (true);
	return (false);
}
