/*
 * Small helpers shared by the core: request ids, address formatting, case
 * folding. Nothing here allocates.
 */
#include "config.h"

#include <sys/random.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core.h"

static unsigned char	id_pool[256];
static size_t		id_avail;

/* A child must never reuse its parent's random bytes. */
static void
request_id_forget(void)
{
	id_avail = 0;
}

/*
 * 16 random hex digits from a per-process pool; the pool is refilled from
 * getrandom(2) rarely, so a request id costs no system call. A fork
 * handler empties the pool in the child (no getpid(2) per request).
 */
void
request_id_new(char *out, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	static bool		 registered;
	size_t			 i;

	if (!registered) {
		pthread_atfork(NULL, NULL, request_id_forget);
		registered = true;
	}
	if (id_avail < 8) {
		if (getrandom(id_pool, sizeof(id_pool), 0) !=
		    (ssize_t)sizeof(id_pool))
			memset(id_pool, 0x5a, sizeof(id_pool));
		id_avail = sizeof(id_pool);
	}
	for (i = 0; i < 8 && 2 * i + 1 < len; i++) {
		unsigned char b = id_pool[--id_avail];

		out[2 * i] = hex[b >> 4];
		out[2 * i + 1] = hex[b & 15];
	}
	out[2 * i < len ? 2 * i : len - 1] = '\0';
}

size_t
addr_format(const struct sockaddr_storage *ss, char *host, size_t hostlen,
    char *port, size_t portlen)
{
	const struct sockaddr_in	*sin = (const void *)ss;
	const struct sockaddr_in6	*sin6 = (const void *)ss;

	host[0] = '\0';
	if (port != NULL)
		port[0] = '\0';
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, host, hostlen);
		if (port != NULL)
			snprintf(port, portlen, "%u", ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, hostlen);
		if (port != NULL)
			snprintf(port, portlen, "%u", ntohs(sin6->sin6_port));
	} else if (ss->ss_family == AF_UNIX) {
		snprintf(host, hostlen, "unix");
	}
	return (strlen(host));
}

long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}


/* Decimal digits of v into out (at least 21 bytes); returns the count. */
size_t
u64_dec(char *out, uint64_t v)
{
	char	tmp[24];
	size_t	n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return (n);
}
