/* Address ranges ("10.0.0.0/8", "::1", "fd00::/8"): parsing and matching. */
#ifndef PT_CIDR_H
#define PT_CIDR_H

#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>

struct cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* network order, host bits cleared */
	int		 bits;
};

struct cidr_list {
	struct cidr	*v;
	size_t		 n;
};

/* 0, or -1 when s is not an address with an optional /prefix. */
int	cidr_parse(const char *s, struct cidr *out);
bool	cidr_match(const struct cidr *, const struct sockaddr_storage *);
bool	cidr_list_match(const struct cidr_list *, const struct sockaddr_storage *);

#endif /* PT_CIDR_H */
