/*
 * Name resolution for the core: upstream host names now, the forward
 * proxy's destinations later. A hosts file is consulted first (re-read when
 * it changes), then DNS through c-ares with timeouts; answers are cached
 * per process (positive ones by their TTL within min_ttl and max_ttl,
 * negative ones for negative_ttl). resolver.c owns c-ares and the
 * settings; resolver_cache.c the pure parts (hosts parsing, the cache).
 */
#ifndef PT_RESOLVER_H
#define PT_RESOLVER_H

#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>

struct conf_resolver;

/* The most addresses one name keeps (cache entries, hosts answers). */
#define RESOLVER_MAX_ADDRS	8
/* The longest name looked up (RFC 1035 2.3.4: 253 characters written). */
#define RESOLVER_NAME_MAX	253
/* ttl_s of a numeric address: it never changes. */
#define RESOLVER_TTL_FOREVER	0xffffffffu
/* ttl_s of a hosts-file answer: the file is checked about once a second. */
#define RESOLVER_TTL_HOSTS	1u

/*
 * Called when an asynchronous lookup ends: err 0 with n >= 1 addresses
 * (port 0), or ENOENT (no such name, or no address of that family),
 * ETIMEDOUT (no answer in time), EAGAIN (the server failed), ENOMEM.
 * ttl_s: how long the answer holds (a negative one too); 0 for errors
 * that are not answers.
 */
typedef void	(*resolver_cb)(void *arg, int err,
		    const struct sockaddr_storage *addrs, int n,
		    unsigned int ttl_s);

/* resolver.c */
/*
 * Applies the settings of a configuration (NULL: the defaults): drops the
 * cache, the hosts table and c-ares channels of the previous ones. The
 * master calls it for every configuration it loads, and again with the
 * running one when a reload fails; children inherit it through fork.
 * 0, or -1 (logged) when c-ares cannot start.
 */
int		 resolver_configure(const struct conf_resolver *);
/*
 * Blocking lookup, for workers and for configuration time: numeric
 * addresses answer at once, then the hosts file, "localhost", the cache
 * and DNS, waiting at most timeout x tries. family: AF_UNSPEC, AF_INET or
 * AF_INET6. Up to max addresses (port 0) into out, their count into *n,
 * and how long they hold into *ttl_s (may be NULL). 0, or -1 with errno
 * as for resolver_cb, or EINVAL for a name that cannot be one.
 */
int		 resolver_lookup(const char *name, int family,
		    struct sockaddr_storage *out, int max, int *n,
		    unsigned int *ttl_s);
/*
 * Non-blocking lookup, for the helper process. What needs no network
 * (numeric, hosts file, cache) calls cb before this returns; a DNS query
 * calls it from a later resolver_step(). 0, or -1 with errno (EINVAL,
 * ENOMEM) without calling cb.
 */
int		 resolver_start(const char *name, int family, resolver_cb cb,
		    void *arg);
/*
 * One bounded step over the lookups in flight: polls c-ares's sockets
 * with a zero timeout, reads what has arrived, expires what c-ares timed
 * out; callbacks run from here. Never blocks. Returns the delay in ms
 * before another step is useful (at most cap_ms), or -1 when nothing is
 * in flight.
 */
long long	 resolver_step(long long cap_ms);
/* Asynchronous lookups started and not yet answered. */
unsigned int	 resolver_pending(void);
/* A message for an errno value of the resolver ("no such name", ...). */
const char	*resolver_strerror(int err);

/* resolver_cache.c: pure, no I/O (t/unit/test_resolver.c). */
struct rs_hosts;
struct rs_cache;

/*
 * Parses hosts-file text (address, then names; '#' comments; several
 * lines may name one host). A malloc'ed table, NULL on ENOMEM. Lines
 * that do not parse are skipped, as the C library does.
 */
struct rs_hosts	*rs_hosts_parse(const char *text, size_t len);
void		 rs_hosts_free(struct rs_hosts *);
/* Entries (name, address) in the table. */
size_t		 rs_hosts_count(const struct rs_hosts *);
/*
 * The addresses of name (case-insensitive, a trailing dot ignored) of
 * family, in file order, without duplicates, up to max; their count.
 */
int		 rs_hosts_find(const struct rs_hosts *, const char *name,
		    int family, struct sockaddr_storage *out, int max);
/* RFC 6761 6.3: "localhost" and names under it are the loopback. */
bool		 rs_is_localhost(const char *name);
/* The loopback addresses of family (127.0.0.1, ::1); their count. */
int		 rs_localhost(int family, struct sockaddr_storage *out, int max);
/* A numeric IPv4 or IPv6 address of family; 1, or 0 when not one. */
int		 rs_numeric(const char *name, int family,
		    struct sockaddr_storage *out);
/* Lower case, without a trailing dot; -1 when empty or too long. */
int		 rs_name_normalize(const char *name, char *buf, size_t len);

/*
 * How long an answer is kept, in ms: a positive one its TTL clamped to
 * [min_ms, max_ms]; a negative one neg_ms.
 */
long long	 rs_ttl_ms(bool positive, unsigned int ttl_s, long long min_ms,
		    long long max_ms, long long neg_ms);
/* A cache of nentries answers (malloc'ed); NULL on ENOMEM. */
struct rs_cache	*rs_cache_new(size_t nentries);
void		 rs_cache_free(struct rs_cache *);
void		 rs_cache_clear(struct rs_cache *);
/*
 * Stores name's answer (n == 0: a negative one) for ttl_ms from now_ms,
 * replacing the one it had. When full, an expired entry goes first, else
 * the one that would expire soonest.
 */
void		 rs_cache_put(struct rs_cache *, const char *name, int family,
		    const struct sockaddr_storage *addrs, int n,
		    long long ttl_ms, long long now_ms);
/*
 * name's answer while it holds: 1 positive (addresses into out, up to
 * max, count into *n), 0 negative, -1 none. *ttl_s: the seconds left,
 * rounded up.
 */
int		 rs_cache_get(struct rs_cache *, const char *name, int family,
		    long long now_ms, struct sockaddr_storage *out, int max,
		    int *n, unsigned int *ttl_s);

#endif /* PT_RESOLVER_H */
