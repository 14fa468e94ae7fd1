/*
 * mod_deflate's pure decisions: Accept-Encoding parsing and the choice of
 * a content coding (RFC 9110 12.5.3), media type matching, and token
 * lookups in Vary and Cache-Control values. No server headers: the unit
 * test links deflate_negotiate.c alone.
 */
#ifndef DEFLATE_NEGOTIATE_H
#define DEFLATE_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>

enum dfl_coding {
	DFL_IDENTITY = 0,	/* no content coding */
	DFL_GZIP,
	DFL_BR,
	DFL_ZSTD
};
#define DFL_NCODINGS	4

/* q-values are kept in thousandths: 0 to 1000; DFL_Q_UNSET: not listed. */
#define DFL_Q_UNSET	(-1)

/* What an Accept-Encoding value says, coding by coding. */
struct dfl_accept {
	int	 q[DFL_NCODINGS];	/* by enum dfl_coding; identity too */
	int	 star;			/* "*": every coding not listed */
};

/*
 * A coding name as written in the configuration or in Accept-Encoding,
 * compared without regard to case; "x-gzip" is "gzip" (RFC 9110 8.4.1.3).
 * Returns the coding, or -1 for a coding this module does not produce.
 */
int		 dfl_coding_parse(const char *name, size_t len);
/* The name sent in Content-Encoding ("gzip", "br", "zstd", "identity"). */
const char	*dfl_coding_name(enum dfl_coding);

/*
 * Parses an Accept-Encoding value of len bytes (not NUL-terminated) into
 * a. Elements with a malformed name or q-value are skipped, the rest is
 * kept; a coding listed twice keeps its first q-value. Never fails.
 */
void		 dfl_accept_parse(const char *v, size_t len, struct dfl_accept *a);

/*
 * Chooses the coding for a response: the highest q-value above 0 among
 * prefs (the server's codings, best first), ties going to the earlier
 * one. A coding not listed takes the q-value of "*", or is not acceptable.
 * When the client rates "identity" (or "*", for identity) strictly above
 * that choice, the answer is identity. v NULL: the request had no
 * Accept-Encoding field, so no coding is used.
 */
enum dfl_coding	 dfl_negotiate(const char *v, size_t len,
		    const enum dfl_coding *prefs, size_t nprefs);

/*
 * Whether the media type of a Content-Type value (without parameters,
 * without regard to case) is in types: entries are "type/subtype", or
 * "type/" and a star for every subtype of the type.
 */
bool		 dfl_type_listed(const char *content_type,
		    const char *const *types, size_t ntypes);

/* Whether a configured types entry is "type/subtype" or "type/" + star. */
bool		 dfl_type_valid(const char *entry);

/*
 * Whether the comma-separated list value of len bytes (Vary,
 * Cache-Control) has the element token, compared without regard to case;
 * an element's "=value" or parameters are ignored. value may be NULL.
 */
bool		 dfl_list_has(const char *value, size_t len, const char *token);

#endif /* DEFLATE_NEGOTIATE_H */
