/*
 * Regular expressions for routing and server names: PCRE2 patterns
 * compiled once at configuration load (with JIT when it is available)
 * and matched with fixed match and depth limits. Captures are not kept.
 */
#ifndef PT_RX_H
#define PT_RX_H

#include <stdbool.h>
#include <stddef.h>

struct pt_arena;
struct rx;

#define RX_CASELESS	0x1	/* host names */

/*
 * Compiles pattern; the code is freed with the arena (pt_arena_defer).
 * NULL on failure, with a message ("missing ) at offset 4") in err.
 */
struct rx	*rx_compile(struct pt_arena *, const char *pattern,
		    unsigned int flags, char *err, size_t errlen);
/*
 * 1 when s[0..len) matches, 0 when it does not, -1 when the match gave up
 * (a limit was hit, or out of memory): callers treat that as no match.
 */
int		 rx_match(const struct rx *, const char *s, size_t len);
/* The pattern as written. */
const char	*rx_pattern(const struct rx *);

#endif /* PT_RX_H */
