/*
 * mod_ssl's pure logic: no OpenSSL objects, no I/O, so the unit test
 * (t/unit/test_ssl.c) links this file alone.
 */
#ifndef PT_MOD_SSL_UTIL_H
#define PT_MOD_SSL_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Protocol versions as on the wire (TLS1_2_VERSION is 0x0303). */
#define SSL_U_TLS10	0x0301
#define SSL_U_TLS11	0x0302
#define SSL_U_TLS12	0x0303
#define SSL_U_TLS13	0x0304

/*
 * The range a list of names ("TLSv1.2", "TLSv1.3"; also "TLSv1" and
 * "TLSv1.1") covers. NULL with *min and *max set, or an error fragment:
 * an unknown name, an empty list, or a list with a gap (a context has one
 * minimum and one maximum).
 */
const char	*ssl_u_proto_range(const char *const *names, size_t n, int *min,
		    int *max);

/*
 * The host_name of a server_name extension's body (RFC 6066 3), made
 * lowercase, into out (NUL-terminated). 0 found, -1 malformed, absent or
 * not a plausible DNS name (too long, bad characters, a trailing dot is
 * dropped).
 */
int		 ssl_u_sni_parse(const unsigned char *ext, size_t len, char *out,
		    size_t outlen);

/*
 * Whether host (lowercase) matches a server name pattern: an exact name
 * (compared without regard to case), "*.example.com" (exactly one more
 * label) or ".example.com" (example.com and every name under it).
 */
bool		 ssl_u_name_match(const char *pattern, const char *host);

/*
 * Looks at the first bytes of a TLS connection (a ClientHello record).
 * Returns SSL_U_HELLO_SNI with the name in out, SSL_U_HELLO_NONAME (a
 * complete ClientHello without server_name), SSL_U_HELLO_MORE (too few
 * bytes so far), or SSL_U_HELLO_BAD (not a TLS handshake record, or
 * malformed). Only the first record is read: a ClientHello split across
 * records is reported as BAD when its first record lacks the extension.
 */
enum { SSL_U_HELLO_SNI, SSL_U_HELLO_NONAME, SSL_U_HELLO_MORE, SSL_U_HELLO_BAD };
int		 ssl_u_hello_sni(const unsigned char *buf, size_t len, char *out,
		    size_t outlen);

/* What the first byte of a connection says it is. */
enum { SSL_U_FIRST_TLS, SSL_U_FIRST_HTTP, SSL_U_FIRST_OTHER };
int		 ssl_u_first_byte(unsigned char b);

/* Lowercase hex of len bytes, with no separators; out holds 2 * len + 1. */
void		 ssl_u_hex(const unsigned char *p, size_t len, char *out);

/* An HSTS value: "max-age=N" with optional "; includeSubDomains"/"; preload". */
bool		 ssl_u_hsts_ok(const char *);

#endif /* PT_MOD_SSL_UTIL_H */
