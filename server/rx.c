/*
 * PCRE2 behind rx.h: compiled at configuration load into the conf arena,
 * matched with limits so that a pathological pattern costs a bounded
 * amount of work per request instead of a worker.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH	8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>

#include <portier/arena.h>
#include "rx.h"

/*
 * Backtracking steps and nesting depth one match may use. Routing and
 * host patterns are short and anchored; these are far above what they
 * need and far below what hurts a worker.
 */
#define RX_MATCH_LIMIT	100000
#define RX_DEPTH_LIMIT	1000

struct rx {
	pcre2_code	*code;
	const char	*pattern;
};

static void
rx_free(void *p)
{
	pcre2_code_free(p);
}

struct rx *
rx_compile(struct pt_arena *a, const char *pattern, unsigned int flags,
    char *err, size_t errlen)
{
	struct rx	*rx;
	PCRE2_UCHAR	 msg[128];
	PCRE2_SIZE	 off;
	uint32_t	 opts = PCRE2_DOLLAR_ENDONLY;
	int		 code;

	if ((flags & RX_CASELESS) != 0)
		opts |= PCRE2_CASELESS;
	if ((rx = pt_calloc(a, 1, sizeof(*rx))) == NULL ||
	    (rx->pattern = pt_strdup(a, pattern)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	rx->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    opts, &code, &off, NULL);
	if (rx->code == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "%s at offset %zu", (char *)msg,
		    (size_t)off);
		return (NULL);
	}
	if (pt_arena_defer(a, rx_free, rx->code) != 0) {
		pcre2_code_free(rx->code);
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	/* Without JIT (an unsupported CPU) the interpreter does the work. */
	(void)pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE);
	return (rx);
}

/*
 * One match data block and one match context per process, made on first
 * use: a worker matches one request at a time, so nothing is shared, and
 * no request pays for an allocation. A forked child gets its own copy.
 */
static pcre2_match_data		*rx_md;
static pcre2_match_context	*rx_mc;

int
rx_match(const struct rx *rx, const char *s, size_t len)
{
	int rc;

	if (rx_md == NULL && (rx_md = pcre2_match_data_create(1, NULL)) == NULL)
		return (-1);
	if (rx_mc == NULL) {
		if ((rx_mc = pcre2_match_context_create(NULL)) == NULL)
			return (-1);
		pcre2_set_match_limit(rx_mc, RX_MATCH_LIMIT);
		pcre2_set_depth_limit(rx_mc, RX_DEPTH_LIMIT);
	}
	rc = pcre2_match(rx->code, (PCRE2_SPTR)s, len, 0, 0, rx_md, rx_mc);
	if (rc >= 0)
		return (1);
	return (rc == PCRE2_ERROR_NOMATCH ? 0 : -1);
}

const char *
rx_pattern(const struct rx *rx)
{
	return (rx->pattern);
}
