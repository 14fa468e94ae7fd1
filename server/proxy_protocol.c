/*
 * PROXY protocol v1 ("PROXY TCP4 1.2.3.4 5.6.7.8 1111 80\r\n") and v2 (a
 * binary header after a 12-byte signature), as specified in HAProxy's
 * proxy-protocol.txt. Strict: anything malformed is refused, since the
 * header decides which client address every later check believes.
 */
#include "config.h"

#include "proxy_protocol.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char v2sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

static int
pp_port(const char *s, in_port_t *out)
{
	char	*end;
	long	 v;

	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
		return (-1);
	v = strtol(s, &end, 10);
	if (*end != '\0' || v > 65535)
		return (-1);
	*out = htons((in_port_t)v);
	return (0);
}

static int
pp_addr(int fam, const char *a, const char *p, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)fam;
	if (fam == AF_INET)
		return (inet_pton(AF_INET, a, &sin->sin_addr) == 1 ?
		    pp_port(p, &sin->sin_port) : -1);
	return (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1 ?
	    pp_port(p, &sin6->sin6_port) : -1);
}

/* "PROXY TCP4|TCP6|UNKNOWN src dst sport dport\r\n" */
static int
pp_parse_v1(const unsigned char *buf, size_t len,
    struct sockaddr_storage *src, struct sockaddr_storage *dst)
{
	char		 line[PP_V1_MAX + 1], *f[6], *save = NULL;
	const char	*crlf;
	size_t		 n, i;
	int		 fam;

	crlf = memchr(buf, '\n', len < PP_V1_MAX ? len : PP_V1_MAX);
	if (crlf == NULL)
		return (len >= PP_V1_MAX ? -1 : PP_AGAIN);
	n = (size_t)(crlf - (const char *)buf) + 1;
	if (n < 8 || buf[n - 2] != '\r')
		return (-1);
	memcpy(line, buf, n - 2);
	line[n - 2] = '\0';
	for (i = 0; i < n - 2; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			return (-1);
	if (strstr(line, "  ") != NULL || line[n - 3] == ' ')
		return (-1);	/* exactly one space between fields */
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < 6; i++)
		if ((f[i] = strtok_r(i == 0 ? line : NULL, " ", &save)) == NULL)
			break;
	if (i >= 2 && strcmp(f[0], "PROXY") == 0 && strcmp(f[1], "UNKNOWN") == 0)
		return ((int)n);
	if (i != 6 || strtok_r(NULL, " ", &save) != NULL ||
	    strcmp(f[0], "PROXY") != 0)
		return (-1);
	if (strcmp(f[1], "TCP4") == 0)
		fam = AF_INET;
	else if (strcmp(f[1], "TCP6") == 0)
		fam = AF_INET6;
	else
		return (-1);
	if (pp_addr(fam, f[2], f[4], src) == -1 ||
	    pp_addr(fam, f[3], f[5], dst) == -1)
		return (-1);
	return ((int)n);
}

static int
pp_parse_v2(const unsigned char *buf, size_t len,
    struct sockaddr_storage *src, struct sockaddr_storage *dst)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)src;
	struct sockaddr_in	*d4 = (struct sockaddr_in *)dst;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)src;
	struct sockaddr_in6	*d6 = (struct sockaddr_in6 *)dst;
	size_t			 alen, total;
	unsigned char		 cmd, fam;

	if (len < 16)
		return (PP_AGAIN);
	cmd = buf[12];
	fam = buf[13];
	alen = ((size_t)buf[14] << 8) | buf[15];
	total = 16 + alen;
	if ((cmd & 0xf0) != 0x20 || (cmd & 0x0f) > 1)
		return (-1);	/* version 2; LOCAL or PROXY */
	if (len < total)
		return (total > 16 + 2048 ? -1 : PP_AGAIN);
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if ((cmd & 0x0f) == 0)
		return ((int)total);	/* LOCAL: a health check of its own */
	if (fam == 0x11 && alen >= 12) {	/* TCP over IPv4 */
		src->ss_family = dst->ss_family = AF_INET;
		memcpy(&s4->sin_addr, buf + 16, 4);
		memcpy(&d4->sin_addr, buf + 20, 4);
		memcpy(&s4->sin_port, buf + 24, 2);
		memcpy(&d4->sin_port, buf + 26, 2);
	} else if (fam == 0x21 && alen >= 36) {	/* TCP over IPv6 */
		src->ss_family = dst->ss_family = AF_INET6;
		memcpy(&s6->sin6_addr, buf + 16, 16);
		memcpy(&d6->sin6_addr, buf + 32, 16);
		memcpy(&s6->sin6_port, buf + 48, 2);
		memcpy(&d6->sin6_port, buf + 50, 2);
	} else if (fam != 0x00)
		return (-1);	/* UDP or unix: not for an HTTP listener */
	return ((int)total);
}

int
pp_parse(const unsigned char *buf, size_t len, struct sockaddr_storage *src,
    struct sockaddr_storage *dst)
{
	size_t n = len < 12 ? len : 12;

	if (memcmp(buf, v2sig, n) == 0)
		return (len < 12 ? PP_AGAIN : pp_parse_v2(buf, len, src, dst));
	n = len < 6 ? len : 6;
	if (memcmp(buf, "PROXY ", n) != 0)
		return (-1);
	return (len < 6 ? PP_AGAIN : pp_parse_v1(buf, len, src, dst));
}

size_t
pp_build_v1(const struct sockaddr_storage *src,
    const struct sockaddr_storage *dst, char *out, size_t room)
{
	char	 a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int	 fam = src->ss_family, n;

	if (fam != dst->ss_family || (fam != AF_INET && fam != AF_INET6))
		return ((size_t)snprintf(out, room, "PROXY UNKNOWN\r\n"));
	if (fam == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)src)->sin_addr,
		    a, sizeof(a));
		inet_ntop(AF_INET, &((const struct sockaddr_in *)dst)->sin_addr,
		    b, sizeof(b));
	} else {
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)src)->sin6_addr, a, sizeof(a));
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)dst)->sin6_addr, b, sizeof(b));
	}
	n = snprintf(out, room, "PROXY %s %s %s %u %u\r\n",
	    fam == AF_INET ? "TCP4" : "TCP6", a, b,
	    ntohs(((const struct sockaddr_in *)src)->sin_port),
	    ntohs(((const struct sockaddr_in *)dst)->sin_port));
	return (n > 0 && (size_t)n < room ? (size_t)n : 0);
}

size_t
pp_build_v2(const struct sockaddr_storage *src,
    const struct sockaddr_storage *dst, unsigned char *out, size_t room)
{
	const struct sockaddr_in	*s4 = (const void *)src, *d4 = (const void *)dst;
	const struct sockaddr_in6	*s6 = (const void *)src, *d6 = (const void *)dst;
	size_t				 alen;

	if (room < 16 + 36 || src->ss_family != dst->ss_family)
		return (0);
	memcpy(out, v2sig, 12);
	out[12] = 0x21;		/* version 2, PROXY */
	if (src->ss_family == AF_INET) {
		out[13] = 0x11;
		alen = 12;
		memcpy(out + 16, &s4->sin_addr, 4);
		memcpy(out + 20, &d4->sin_addr, 4);
		memcpy(out + 24, &s4->sin_port, 2);
		memcpy(out + 26, &d4->sin_port, 2);
	} else if (src->ss_family == AF_INET6) {
		out[13] = 0x21;
		alen = 36;
		memcpy(out + 16, &s6->sin6_addr, 16);
		memcpy(out + 32, &d6->sin6_addr, 16);
		memcpy(out + 48, &s6->sin6_port, 2);
		memcpy(out + 50, &d6->sin6_port, 2);
	} else
		return (0);
	out[14] = 0;
	out[15] = (unsigned char)alen;
	return (16 + alen);
}
