/*
 * mod_ssl's pure logic: protocol lists, the server_name extension, name
 * patterns, a ClientHello peek for passthrough. Nothing here allocates or
 * touches OpenSSL objects.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "ssl_util.h"

static const struct {
	const char	*name;
	int		 version;
} ssl_u_protos[] = {
	{ "TLSv1",	SSL_U_TLS10 },
	{ "TLSv1.0",	SSL_U_TLS10 },
	{ "TLSv1.1",	SSL_U_TLS11 },
	{ "TLSv1.2",	SSL_U_TLS12 },
	{ "TLSv1.3",	SSL_U_TLS13 },
};

const char *
ssl_u_proto_range(const char *const *names, size_t n, int *min, int *max)
{
	bool	 seen[4] = { false, false, false, false };
	size_t	 i, j;
	int	 lo = 0, hi = 0, v;

	if (n == 0)
		return ("at least one protocol is needed");
	for (i = 0; i < n; i++) {
		for (j = 0; j < sizeof(ssl_u_protos) / sizeof(ssl_u_protos[0]);
		    j++)
			if (strcasecmp(names[i], ssl_u_protos[j].name) == 0)
				break;
		if (j == sizeof(ssl_u_protos) / sizeof(ssl_u_protos[0]))
			return ("unknown protocol (one of TLSv1, TLSv1.1, "
			    "TLSv1.2, TLSv1.3; SSLv3 is not supported)");
		v = ssl_u_protos[j].version;
		seen[v - SSL_U_TLS10] = true;
		if (lo == 0 || v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	for (v = lo; v <= hi; v++)
		if (!seen[v - SSL_U_TLS10])
			return ("the protocols must be consecutive versions "
			    "(a context has one minimum and one maximum)");
	*min = lo;
	*max = hi;
	return (NULL);
}

/* A DNS name: letters, digits, '-', '_' and dots; no empty label. */
static bool
ssl_u_dns_ok(const char *p, size_t len)
{
	size_t	i;
	bool	label = false;

	if (len == 0 || len > 253)
		return (false);
	for (i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (!label)
				return (false);
			label = false;
			continue;
		}
		if (!isalnum((unsigned char)p[i]) && p[i] != '-' &&
		    p[i] != '_')
			return (false);
		label = true;
	}
	return (label);
}

int
ssl_u_sni_parse(const unsigned char *ext, size_t len, char *out,
    size_t outlen)
{
	size_t	list, at = 2, nlen, i;

	if (len < 2)
		return (-1);
	list = (size_t)ext[0] << 8 | ext[1];
	if (list + 2 != len)
		return (-1);
	while (at + 3 <= len) {
		nlen = (size_t)ext[at + 1] << 8 | ext[at + 2];
		if (at + 3 + nlen > len)
			return (-1);
		if (ext[at] == 0) {	/* host_name */
			const char *name = (const char *)ext + at + 3;

			if (nlen > 0 && name[nlen - 1] == '.')
				nlen--;
			if (nlen + 1 > outlen || !ssl_u_dns_ok(name, nlen))
				return (-1);
			for (i = 0; i < nlen; i++)
				out[i] = (char)tolower((unsigned char)name[i]);
			out[nlen] = '\0';
			return (0);
		}
		at += 3 + nlen;
	}
	return (-1);
}

bool
ssl_u_name_match(const char *pattern, const char *host)
{
	size_t	 pl = strlen(pattern), hl = strlen(host);
	const char *dot;

	if (pattern[0] == '*' && pattern[1] == '.') {
		/* One label, then the rest exactly. */
		if ((dot = strchr(host, '.')) == NULL || dot == host)
			return (false);
		return (strcasecmp(dot, pattern + 1) == 0);
	}
	if (pattern[0] == '.') {
		if (strcasecmp(host, pattern + 1) == 0)
			return (true);
		return (hl > pl && strcasecmp(host + hl - pl, pattern) == 0);
	}
	return (strcasecmp(pattern, host) == 0);
}

/* Reads a big-endian number of n bytes at *at, if there are that many. */
static bool
ssl_u_num(const unsigned char *p, size_t len, size_t *at, size_t n,
    size_t *v)
{
	size_t i;

	if (*at + n > len)
		return (false);
	*v = 0;
	for (i = 0; i < n; i++)
		*v = *v << 8 | p[*at + i];
	*at += n;
	return (true);
}

int
ssl_u_hello_sni(const unsigned char *buf, size_t len, char *out,
    size_t outlen)
{
	const unsigned char	*h;
	size_t			 rlen, hlen, at, v, ext_end, type = 0, elen = 0;

	if (len >= 1 && buf[0] != 0x16)
		return (SSL_U_HELLO_BAD);
	if (len < 5)
		return (SSL_U_HELLO_MORE);
	if (buf[1] != 3)
		return (SSL_U_HELLO_BAD);
	rlen = (size_t)buf[3] << 8 | buf[4];
	if (rlen < 4 || rlen > 16384 + 2048)
		return (SSL_U_HELLO_BAD);
	if (len > 5 && buf[5] != 1)
		return (SSL_U_HELLO_BAD);	/* not a ClientHello */
	if (len < 5 + rlen)
		return (SSL_U_HELLO_MORE);
	h = buf + 5;
	hlen = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
	if (hlen + 4 > rlen)
		hlen = rlen - 4;	/* the rest is in later records */
	h += 4;
	at = 2 + 32;			/* client_version, random */
	if (at > hlen || !ssl_u_num(h, hlen, &at, 1, &v) || (at += v) > hlen ||
	    !ssl_u_num(h, hlen, &at, 2, &v) || (at += v) > hlen ||
	    !ssl_u_num(h, hlen, &at, 1, &v) || (at += v) > hlen)
		return (SSL_U_HELLO_BAD);
	if (at == hlen)
		return (SSL_U_HELLO_NONAME);	/* no extensions at all */
	if (!ssl_u_num(h, hlen, &at, 2, &v))
		return (SSL_U_HELLO_BAD);
	ext_end = at + v;
	if (ext_end > hlen)
		ext_end = hlen;
	while (at + 4 <= ext_end) {
		ssl_u_num(h, hlen, &at, 2, &type);
		ssl_u_num(h, hlen, &at, 2, &elen);
		if (at + elen > ext_end)
			return (SSL_U_HELLO_BAD);
		if (type == 0)
			return (ssl_u_sni_parse(h + at, elen, out, outlen) == 0 ?
			    SSL_U_HELLO_SNI : SSL_U_HELLO_BAD);
		at += elen;
	}
	return (SSL_U_HELLO_NONAME);
}

int
ssl_u_first_byte(unsigned char b)
{
	/* A handshake record, or an SSLv2-style hello (high bit set). */
	if (b == 0x16 || (b & 0x80) != 0)
		return (SSL_U_FIRST_TLS);
	if (b >= 'A' && b <= 'Z')
		return (SSL_U_FIRST_HTTP);
	return (SSL_U_FIRST_OTHER);
}

void
ssl_u_hex(const unsigned char *p, size_t len, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * len] = '\0';
}

bool
ssl_u_hsts_ok(const char *v)
{
	const char *p;

	if (strncasecmp(v, "max-age=", 8) != 0 || !isdigit((unsigned char)v[8]))
		return (false);
	for (p = v + 8; isdigit((unsigned char)*p); p++)
		;
	while (*p == ';') {
		for (p++; *p == ' '; p++)
			;
		if (strncasecmp(p, "includeSubDomains", 17) == 0)
			p += 17;
		else if (strncasecmp(p, "preload", 7) == 0)
			p += 7;
		else
			return (false);
		while (*p == ' ')
			p++;
	}
	return (*p == '\0');
}
