/*
 * The PROXY protocol (HAProxy's, versions 1 and 2): the header a load
 * balancer in front sends first, naming the real client; and the header
 * Portier sends to upstreams that ask for it. Pure: bytes in, addresses
 * out, and the reverse.
 */
#ifndef PT_PROXY_PROTOCOL_H
#define PT_PROXY_PROTOCOL_H

#include <sys/socket.h>
#include <stddef.h>

#define PP_AGAIN	(-2)	/* need more bytes */
#define PP_V1_MAX	107	/* the longest v1 line, CRLF included */
#define PP_V2_MAX	(16 + 216)	/* header + the largest address block we build */

/*
 * Parses a v1 or v2 header at the start of buf. Returns the header's length
 * (> 0) with *src and *dst filled (family AF_UNSPEC for "UNKNOWN" / LOCAL:
 * keep the socket's own addresses), PP_AGAIN, or -1 when the bytes are not
 * a valid header (the connection must then be closed).
 */
int	pp_parse(const unsigned char *buf, size_t len,
	    struct sockaddr_storage *src, struct sockaddr_storage *dst);

/* Builds a header for src -> dst; returns its length (0 on a bad family). */
size_t	pp_build_v1(const struct sockaddr_storage *src,
	    const struct sockaddr_storage *dst, char *out, size_t room);
size_t	pp_build_v2(const struct sockaddr_storage *src,
	    const struct sockaddr_storage *dst, unsigned char *out, size_t room);

#endif /* PT_PROXY_PROTOCOL_H */
