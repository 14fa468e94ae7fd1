/*
 * libFuzzer target for server/http_parse.c. The first byte selects: bit 0
 * clear parses a request head, set decodes a chunked body; bit 1 picks
 * small limits so 414/431 and the chunked line limits are reached.
 * Invariants are checked with CHECK, which aborts even under NDEBUG.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena_priv.h"
#include "http_parse.h"

#define CHECK(x)	do {						\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct pt_arena *arena;

/* A string from the head lies in buf[0..len), or is empty anywhere. */
static int
in_buf(struct pt_str s, const char *buf, size_t len)
{
	if (s.len == 0)
		return (1);
	return (s.p >= buf && s.len <= len && s.p - buf <= (ptrdiff_t)(len -
	    s.len));
}

static int
is_tchar(unsigned char c)
{
	return (c > 0x20 && c < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", c) ==
	    NULL);
}

static void
check_head(const struct http_head *h, const char *buf, size_t len,
    const struct http_limits *lim)
{
	size_t i, j;

	CHECK(h->head_len > 0 && h->head_len <= len);
	CHECK(buf[h->head_len - 1] == '\n');
	CHECK(h->method.len > 0 && in_buf(h->method, buf, h->head_len));
	for (i = 0; i < h->method.len; i++)
		CHECK(is_tchar((unsigned char)h->method.p[i]));
	CHECK(h->target.len > 0 && in_buf(h->target, buf, h->head_len));
	CHECK(in_buf(h->query, buf, h->head_len));
	CHECK(in_buf(h->scheme, buf, h->head_len));
	CHECK(in_buf(h->authority, buf, h->head_len));
	CHECK(in_buf(h->host, buf, h->head_len));
	CHECK(h->path.len > 0 && (in_buf(h->path, buf, h->head_len) ||
	    (h->path.len == 1 && h->path.p[0] == '/')));
	CHECK(h->version == 10 || h->version == 11);
	CHECK(h->version == 10 || h->has_host);
	CHECK(h->framing != HTTP_BODY_CHUNKED || h->version == 11);
	CHECK(h->framing == HTTP_BODY_LENGTH || h->content_length == 0);
	CHECK(h->content_length <= INT64_MAX);
	CHECK(h->nfields <= (lim != NULL ? lim->fields_max : 100));
	for (i = 0; i < h->nfields; i++) {
		CHECK(h->fields[i].name.len > 0);
		CHECK(in_buf(h->fields[i].name, buf, h->head_len));
		CHECK(in_buf(h->fields[i].value, buf, h->head_len));
		for (j = 0; j < h->fields[i].name.len; j++)
			CHECK(is_tchar((unsigned char)h->fields[i].name.p[j]));
		for (j = 0; j < h->fields[i].value.len; j++)
			CHECK(h->fields[i].value.p[j] != '\r' &&
			    h->fields[i].value.p[j] != '\n' &&
			    h->fields[i].value.p[j] != '\0');
	}
}

static void
fuzz_head(uint8_t sel, const char *buf, size_t len, uint32_t seed)
{
	static const struct http_limits small = { 64, 48, 6 };
	const struct http_limits	*lim = (sel & 2) ? &small : NULL;
	struct http_head		 h, h2;
	size_t				 k;
	int				 rc, rc2;

	rc = http_parse_head(arena, buf, len, lim, &h);
	CHECK(rc == 0 || rc == HTTP_PARSE_AGAIN || rc == 400 || rc == 414 ||
	    rc == 431 || rc == 501 || rc == 505);
	if (rc == 0) {
		check_head(&h, buf, len, lim);
		/* The head alone parses the same; the body is not looked at. */
		rc2 = http_parse_head(arena, buf, h.head_len, lim, &h2);
		CHECK(rc2 == 0 && h2.head_len == h.head_len &&
		    h2.nfields == h.nfields && h2.framing == h.framing);
	}
	/* A prefix either waits for more or fails as the whole does. */
	if (len > 0) {
		k = seed % len;
		rc2 = http_parse_head(arena, buf, k, lim, &h2);
		CHECK(rc2 == HTTP_PARSE_AGAIN || rc2 == rc);
		if (rc == 0)
			CHECK((k < h.head_len) == (rc2 == HTTP_PARSE_AGAIN));
	}
}

/*
 * Decodes in[0..len) in slices (step 0: all at once; else sizes from a
 * small PRNG) into out. Returns the last result; *consumed is the bytes
 * taken. Checks that every data span lies in the bytes just consumed.
 */
static int
chunk_decode(const struct http_chunked *init, const char *in, size_t len,
    uint32_t seed, char *out, size_t *outlen, size_t *consumed)
{
	struct http_chunked	 c = *init;
	size_t			 off = 0, n, used, doff, dlen;
	int			 rc = 0;

	*outlen = 0;
	while (off < len) {
		n = len - off;
		if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			if (n > (seed >> 16) % 17 + 1)
				n = (seed >> 16) % 17 + 1;
		}
		rc = http_chunked_step(&c, in + off, n, &used, &doff, &dlen);
		CHECK(rc == 0 || rc == 1 || rc == 400);
		CHECK(used <= n && doff <= used && dlen <= used - doff);
		CHECK(rc != 0 || used > 0);
		memcpy(out + *outlen, in + off + doff, dlen);
		*outlen += dlen;
		off += used;
		if (rc != 0)
			break;
	}
	*consumed = off;
	return (rc);
}

static void
fuzz_chunked(uint8_t sel, const char *in, size_t len, uint32_t seed)
{
	struct http_chunked	 c;
	char			*o1, *o2;
	size_t			 n1, n2, u1, u2;
	int			 rc1, rc2;

	memset(&c, 0, sizeof(c));
	if (sel & 2) {
		c.line_max = 32;
		c.trailer_max = 64;
	}
	if ((o1 = malloc(len + 1)) == NULL || (o2 = malloc(len + 1)) == NULL)
		abort();
	rc1 = chunk_decode(&c, in, len, 0, o1, &n1, &u1);
	rc2 = chunk_decode(&c, in, len, seed | 1, o2, &n2, &u2);
	/* Splitting the input changes nothing the caller can see. */
	CHECK(rc1 == rc2 && u1 == u2 && n1 == n2);
	CHECK(memcmp(o1, o2, n1) == 0);
	CHECK(n1 <= u1 && u1 <= len);
	free(o1);
	free(o2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t	 seed = 2166136261u;
	size_t		 i;
	uint8_t		 sel;

	if (size < 1)
		return (0);
	if (arena == NULL && (arena = pt_arena_new(4096, 0)) == NULL)
		abort();
	pt_arena_reset(arena);
	for (i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;
	sel = data[0];
	if (sel & 1)
		fuzz_chunked(sel, (const char *)data + 1, size - 1, seed);
	else
		fuzz_head(sel, (const char *)data + 1, size - 1, seed);
	return (0);
}
