/*
 * Address syntax in the configuration: listen addresses (numeric, with
 * wildcards) and upstream server addresses (numeric, host names resolved
 * later by upstream.c, and unix: sockets). Text only: nothing here looks a
 * name up or opens a socket.
 */
#include "config.h"

#include "conf_upstream.h"

#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <string.h>

#include "arena_priv.h"
#include "upstream.h"

static const char *
listen_port(const char *p, in_port_t *port)
{
	long	v = 0;
	size_t	i;

	for (i = 0; p[i] >= '0' && p[i] <= '9' && i < 6; i++)
		v = v * 10 + (p[i] - '0');
	if (i == 0 || p[i] != '\0' || v > 65535)
		return ("the port must be a number from 0 to 65535");
	*port = htons((in_port_t)v);
	return (NULL);
}

/* "127.0.0.1:80", "*:80", ":80", "[::1]:80", "[::]:80"; numeric only. */
const char *
conf_listen_addr(const char *text, struct conf_listen *l)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&l->addr;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&l->addr;
	const char		*end, *colon;
	char			 host[INET6_ADDRSTRLEN];
	size_t			 len;

	memset(&l->addr, 0, sizeof(l->addr));
	if (text[0] == '[') {
		if ((end = strchr(text, ']')) == NULL || end[1] != ':')
			return ("expected [address]:port");
		if ((len = (size_t)(end - text - 1)) >= sizeof(host))
			return ("not a numeric IPv6 address");
		memcpy(host, text + 1, len);
		host[len] = '\0';
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return ("not a numeric IPv6 address");
		sin6->sin6_family = AF_INET6;
		l->addrlen = sizeof(*sin6);
		return (listen_port(end + 2, &sin6->sin6_port));
	}
	if ((colon = strrchr(text, ':')) == NULL)
		return ("missing \":port\"");
	if ((len = (size_t)(colon - text)) >= sizeof(host))
		return ("not a numeric IPv4 address");
	memcpy(host, text, len);
	host[len] = '\0';
	if (strchr(host, ':') != NULL)
		return ("an IPv6 address needs brackets, e.g. \"[::1]:8080\"");
	sin->sin_family = AF_INET;
	l->addrlen = sizeof(*sin);
	if (host[0] == '\0' || strcmp(host, "*") == 0)
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return ("not a numeric IPv4 address (host names are not "
		    "resolved)");
	return (listen_port(colon + 1, &sin->sin_port));
}

/* An upstream's port: 1 to 65535 (no wildcard, no "let the kernel pick"). */
static const char *
upstream_port(const char *p, int *port)
{
	long	v = 0;
	size_t	i;

	for (i = 0; p[i] >= '0' && p[i] <= '9' && i < 6; i++)
		v = v * 10 + (p[i] - '0');
	if (i == 0 || p[i] != '\0' || v < 1 || v > 65535)
		return ("the port must be a number from 1 to 65535");
	*port = (int)v;
	return (NULL);
}

/* RFC 1123 host name: dot-separated labels of letters, digits, hyphens. */
static bool
upstream_hostname_ok(const char *h, size_t len)
{
	size_t	i, label = 0;
	bool	alpha = false;

	if (len == 0 || len > 253)
		return (false);
	for (i = 0; i < len; i++) {
		if (h[i] == '.') {
			if (label == 0 || h[i - 1] == '-')
				return (false);
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)h[i]) && h[i] != '-')
			return (false);
		if ((label == 0 && h[i] == '-') || ++label > 63)
			return (false);
		alpha = alpha || !isdigit((unsigned char)h[i]);
	}
	/* All digits and dots would be a mistyped IPv4 address. */
	return (alpha && h[len - 1] != '-');
}

static const char *
upstream_unix(struct pt_conf_ctx *cx, const char *path,
    struct upstream_server *s)
{
	struct sockaddr_un sa;

	if (path[0] != '/')
		return ("a unix socket path must be absolute");
	if (strlen(path) >= sizeof(sa.sun_path))
		return (conf_frag(cx, "the socket path is too long (at most "
		    "%zu bytes)", sizeof(sa.sun_path) - 1));
	s->kind = UPS_UNIX;
	s->unix_path = conf_strdup(cx, path);
	s->host = "localhost";
	s->port = 0;
	return (NULL);
}

const char *
conf_upstream_addr(struct pt_conf_ctx *cx, const char *text,
    struct upstream_server *s)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	const char	*end, *colon, *frag;
	char		 host[256];
	size_t		 len;

	if (strncmp(text, "unix:", 5) == 0)
		return (upstream_unix(cx, text + 5, s));
	if (text[0] == '[') {
		if ((end = strchr(text, ']')) == NULL || end[1] != ':')
			return ("expected [address]:port");
		if ((len = (size_t)(end - text - 1)) >= sizeof(host))
			return ("not a numeric IPv6 address");
		memcpy(host, text + 1, len);
		host[len] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return ("not a numeric IPv6 address");
		if ((frag = upstream_port(end + 2, &s->port)) != NULL)
			return (frag);
		s->kind = UPS_INET;
		s->host = conf_strdup(cx, host);
		return (NULL);
	}
	if ((colon = strrchr(text, ':')) == NULL)
		return ("missing \":port\"");
	if ((len = (size_t)(colon - text)) >= sizeof(host))
		return ("the host name is too long");
	memcpy(host, text, len);
	host[len] = '\0';
	if (strchr(host, ':') != NULL)
		return ("an IPv6 address needs brackets");
	if (len == 0)
		return ("missing the host before \":port\"");
	if (inet_pton(AF_INET, host, &a4) == 1)
		s->kind = UPS_INET;
	else if (upstream_hostname_ok(host, len))
		s->kind = UPS_NAME;
	else if (strspn(host, "0123456789.") == len)
		return ("not a valid IPv4 address");
	else
		return ("not a valid host name");
	if ((frag = upstream_port(colon + 1, &s->port)) != NULL)
		return (frag);
	s->host = conf_strdup(cx, host);
	return (NULL);
}
