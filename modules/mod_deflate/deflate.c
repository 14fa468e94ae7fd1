/*
 * mod_deflate: compresses response bodies with gzip, brotli or zstd, as
 * the client's Accept-Encoding and the server's preference choose. It is
 * a response filter between a cache store and mod_headers (DESIGN.md:
 * origin -> mod_cache store -> mod_deflate -> mod_headers -> client), so
 * a cache keeps identity bodies and each client gets its own coding.
 *
 * The head function decides; the body function streams through the
 * encoder with one fixed output buffer, so memory does not grow with the
 * body. Encoder state is malloc'ed by the libraries: it is freed at the
 * end of the body, and through a cleanup on the request's arena when the
 * response stops early (client gone, upstream error).
 */
#define PT_LOG_TAG	"deflate"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <brotli/encode.h>
#include <zlib.h>
/*
 * For ZSTD_c_srcSizeHint, an "experimental" parameter that has kept its
 * value since zstd 1.4.4; it is only passed to the stable setter.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <portier/arena.h>
#include <portier/hooks.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>

#include "deflate.h"

#define DFL_OUT_SIZE	(16 * 1024)	/* one output buffer per response */
#define DFL_BROTLI_LGWIN 19		/* 512 KiB window, as nginx's brotli */
#define DFL_ZSTD_WLOG	21		/* 2 MiB: zstd's own for level 3 */
#define DFL_ZSTD_HINT	(1 << 20)	/* size hint for unknown lengths */
#define DFL_IN_MAX	((size_t)1 << 30)	/* input per encoder call */

PT_API extern const struct pt_module portier_module;

/* Per-response state, in the request's arena. */
struct dfl_ctx {
	enum dfl_coding		 coding;
	bool			 live;		/* the encoder holds memory */
	z_stream		 z;
	BrotliEncoderState	*br;
	ZSTD_CCtx		*zs;
	unsigned char		*out;		/* DFL_OUT_SIZE bytes */
	struct dfl_keep		*keep;		/* a cache hit's kept form */
};

/* Frees the encoder; safe to call again (end of body, then arena reset). */
static void
dfl_end(void *arg)
{
	struct dfl_ctx *x = arg;

	if (!x->live)
		return;
	x->live = false;
	switch (x->coding) {
	case DFL_GZIP:
		deflateEnd(&x->z);
		break;
	case DFL_BR:
		BrotliEncoderDestroyInstance(x->br);
		x->br = NULL;
		break;
	case DFL_ZSTD:
		ZSTD_freeCCtx(x->zs);
		x->zs = NULL;
		break;
	case DFL_IDENTITY:
		break;
	}
}

/* Sets up the encoder for coding; length is the body's, or -1. */
static bool
dfl_start(struct dfl_ctx *x, const struct dfl_conf *dc, long long length)
{
	switch (x->coding) {
	case DFL_GZIP:
		/* windowBits 15 + 16: a gzip wrapper (RFC 1952), not zlib's. */
		if (deflateInit2(&x->z, (int)dc->gzip_level, Z_DEFLATED, 15 + 16,
		    8, Z_DEFAULT_STRATEGY) != Z_OK)
			return (false);
		break;
	case DFL_BR:
		if ((x->br = BrotliEncoderCreateInstance(NULL, NULL, NULL)) ==
		    NULL)
			return (false);
		BrotliEncoderSetParameter(x->br, BROTLI_PARAM_QUALITY,
		    (uint32_t)dc->brotli_level);
		BrotliEncoderSetParameter(x->br, BROTLI_PARAM_LGWIN,
		    DFL_BROTLI_LGWIN);
		if (length >= 0)
			BrotliEncoderSetParameter(x->br, BROTLI_PARAM_SIZE_HINT,
			    length > UINT32_MAX ? UINT32_MAX : (uint32_t)length);
		break;
	case DFL_ZSTD:
		if ((x->zs = ZSTD_createCCtx()) == NULL)
			return (false);
		/*
		 * A known length lets zstd size its tables to the body (and
		 * records it in the frame). An unknown one is hinted at 1 MiB:
		 * without a size, level 19 takes 85 MiB of tables, with the
		 * hint 19 MiB (level 3: 2.5 MiB). The window is capped at 2 MiB
		 * for large known bodies too.
		 */
		if (ZSTD_isError(ZSTD_CCtx_setParameter(x->zs,
		    ZSTD_c_compressionLevel, (int)dc->zstd_level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(x->zs, ZSTD_c_windowLog,
		    DFL_ZSTD_WLOG)) || ZSTD_isError(length >= 0 ?
		    ZSTD_CCtx_setPledgedSrcSize(x->zs, (unsigned long long)length) :
		    ZSTD_CCtx_setParameter(x->zs, ZSTD_c_srcSizeHint,
		    DFL_ZSTD_HINT))) {
			ZSTD_freeCCtx(x->zs);
			x->zs = NULL;
			return (false);
		}
		break;
	case DFL_IDENTITY:
		return (false);
	}
	x->live = true;
	return (true);
}

static int
dfl_emit(struct pt_filter *f, struct pt_request *r, struct dfl_ctx *x,
    size_t n)
{
	if (n > 0 && x->keep != NULL && dfl_keep_write(x->keep, x->out, n) == -1)
		x->keep = NULL;
	return (n == 0 ? PT_OK : pt_filter_next(f, r, x->out, n, false));
}

static int
dfl_gzip(struct pt_filter *f, struct pt_request *r, struct dfl_ctx *x,
    const void *buf, size_t len, bool eos)
{
	int	flush = eos ? Z_FINISH : Z_NO_FLUSH, zrc;
	size_t	n;

	x->z.next_in = (Bytef *)(uintptr_t)buf;
	x->z.avail_in = (uInt)len;
	for (;;) {
		x->z.next_out = x->out;
		x->z.avail_out = DFL_OUT_SIZE;
		zrc = deflate(&x->z, flush);
		if (zrc == Z_STREAM_ERROR)
			return (PT_ERROR);
		n = DFL_OUT_SIZE - x->z.avail_out;
		if (dfl_emit(f, r, x, n) != PT_OK)
			return (PT_ERROR);
		if (!eos) {
			/* Room left: all input taken (Z_BUF_ERROR: none was). */
			if (x->z.avail_out != 0)
				break;
		} else if (zrc == Z_STREAM_END)
			break;
		else if (n == 0)	/* a fresh buffer and no progress */
			return (PT_ERROR);
	}
	return (PT_OK);
}

static int
dfl_brotli(struct pt_filter *f, struct pt_request *r, struct dfl_ctx *x,
    const void *buf, size_t len, bool eos)
{
	static const uint8_t	 none[1];
	const uint8_t		*in = len > 0 ? buf : none;
	uint8_t			*out;
	size_t			 avail_in = len, avail_out;

	for (;;) {
		out = x->out;
		avail_out = DFL_OUT_SIZE;
		if (!BrotliEncoderCompressStream(x->br, eos ?
		    BROTLI_OPERATION_FINISH : BROTLI_OPERATION_PROCESS,
		    &avail_in, &in, &avail_out, &out, NULL))
			return (PT_ERROR);
		if (dfl_emit(f, r, x, DFL_OUT_SIZE - avail_out) != PT_OK)
			return (PT_ERROR);
		if (eos ? BrotliEncoderIsFinished(x->br) : avail_in == 0 &&
		    !BrotliEncoderHasMoreOutput(x->br))
			break;
	}
	return (PT_OK);
}

static int
dfl_zstd(struct pt_filter *f, struct pt_request *r, struct dfl_ctx *x,
    const void *buf, size_t len, bool eos)
{
	ZSTD_inBuffer	in = { .src = buf, .size = len, .pos = 0 };
	ZSTD_outBuffer	out;
	size_t		left;

	for (;;) {
		out.dst = x->out;
		out.size = DFL_OUT_SIZE;
		out.pos = 0;
		left = ZSTD_compressStream2(x->zs, &out, &in,
		    eos ? ZSTD_e_end : ZSTD_e_continue);
		if (ZSTD_isError(left))
			return (PT_ERROR);
		if (dfl_emit(f, r, x, out.pos) != PT_OK)
			return (PT_ERROR);
		/* e_continue: all input taken; e_end: the frame is complete. */
		if (eos ? left == 0 : in.pos == in.size)
			break;
	}
	return (PT_OK);
}

static int
dfl_body(struct pt_filter *f, struct pt_request *r, const void *buf,
    size_t len, bool eos)
{
	struct dfl_ctx	*x = pt_filter_ctx(f);
	int		 rc = PT_ERROR;

	if (x == NULL)		/* not compressing this response */
		return (pt_filter_next(f, r, buf, len, eos));
	if (!x->live)		/* finished, or failed before */
		return (PT_ERROR);
	/* zlib counts input in uInt: feed a huge buffer in pieces. */
	while (len > DFL_IN_MAX) {
		if ((rc = dfl_body(f, r, buf, DFL_IN_MAX, false)) != PT_OK)
			return (rc);
		buf = (const char *)buf + DFL_IN_MAX;
		len -= DFL_IN_MAX;
	}
	switch (x->coding) {
	case DFL_GZIP:
		rc = dfl_gzip(f, r, x, buf, len, eos);
		break;
	case DFL_BR:
		rc = dfl_brotli(f, r, x, buf, len, eos);
		break;
	case DFL_ZSTD:
		rc = dfl_zstd(f, r, x, buf, len, eos);
		break;
	case DFL_IDENTITY:
		break;
	}
	if (rc != PT_OK)
		PT_RLOG(r, PT_LOG_WARN, "%s encoder failed: response cut",
		    dfl_coding_name(x->coding));
	if (rc != PT_OK || eos)
		dfl_end(x);
	if (rc == PT_OK && eos)
		dfl_keep_commit(x->keep, pt_req_note(r, "cache.object"));
	if (rc == PT_OK && eos)
		rc = pt_filter_next(f, r, NULL, 0, true);
	return (rc);
}

static bool
dfl_method_is_head(const struct pt_request *r)
{
	struct pt_str m = pt_req_method(r);

	return (m.len == 4 && memcmp(m.p, "HEAD", 4) == 0);
}

/* RFC 9111 5.2.1.6, 5.2.2.6: no-transform from either side forbids it. */
static bool
dfl_no_transform(const struct pt_request *r)
{
	const char	*cc = pt_resp_header(r, "Cache-Control");
	struct pt_str	 v;

	if (cc != NULL && dfl_list_has(cc, strlen(cc), "no-transform"))
		return (true);
	return (pt_req_header(r, "Cache-Control", &v) &&
	    dfl_list_has(v.p, v.len, "no-transform"));
}

/*
 * Whether this response could be compressed for some client: then its
 * representation varies with Accept-Encoding whatever this client gets.
 */
static bool
dfl_compressible(const struct pt_request *r, const struct dfl_conf *dc)
{
	long long len;

	if (!dc->enable || pt_resp_status(r) != 200 ||
	    pt_resp_header(r, "Content-Encoding") != NULL)
		return (false);
	if (!dfl_type_listed(pt_resp_header(r, "Content-Type"), dc->types.v,
	    dc->types.n) || dfl_no_transform(r))
		return (false);
	len = (long long)pt_resp_content_length(r);
	return (len < 0 || len >= dc->min_size);
}

/*
 * Adds Accept-Encoding to Vary unless a Vary field already names it or
 * is "*". A new field line is the same as appending to the list (RFC
 * 9110 5.3), and keeps any other Vary lines as they are.
 */
static void
dfl_vary(struct pt_request *r)
{
	const char *v = pt_resp_header(r, "Vary");

	if (v != NULL && (dfl_list_has(v, strlen(v), "Accept-Encoding") ||
	    dfl_list_has(v, strlen(v), "*")))
		return;
	if (pt_resp_header_add(r, "Vary", "Accept-Encoding") != PT_OK)
		PT_RLOG(r, PT_LOG_WARN, "cannot add Vary");
}

/* The fields of a compressed response (length: the core streams it). */
static void
dfl_fields(struct pt_request *r, enum dfl_coding c)
{
	const char	*etag = pt_resp_header(r, "ETag");
	char		*weak;

	pt_resp_header_set(r, "Content-Encoding", dfl_coding_name(c));
	/*
	 * The compressed bytes are not the origin's: a strong validator
	 * would promise byte equality (RFC 9110 8.8.1), so it becomes weak,
	 * as nginx does. Ranges would count compressed bytes: none offered.
	 */
	if (etag != NULL && etag[0] == '"') {
		if ((weak = pt_printf(pt_req_arena(r), "W/%s", etag)) == NULL ||
		    pt_resp_header_set(r, "ETag", weak) != PT_OK)
			pt_resp_header_remove(r, "ETag");
	}
	pt_resp_header_remove(r, "Accept-Ranges");
}

/*
 * Decides for this response. PT_DECLINED leaves the body alone (the core
 * then keeps Content-Length and sendfile when no other filter wants it).
 */
static int
dfl_head(struct pt_filter *f, struct pt_request *r)
{
	const struct dfl_conf	*dc = pt_module_conf(r, &portier_module);
	enum dfl_coding		 prefs[DFL_NCODINGS], c;
	struct pt_str		 ae;
	struct dfl_ctx		*x;
	size_t			 n;

	if (!dfl_compressible(r, dc))
		return (PT_DECLINED);
	dfl_vary(r);
	/* HEAD answers as identity; ranges are of the identity bytes. */
	if (dfl_method_is_head(r) || pt_req_header(r, "Range", NULL))
		return (PT_DECLINED);
	/*
	 * XXX: only the first Accept-Encoding field is read; clients send
	 * one.
	 */
	n = dfl_conf_prefs(dc, prefs, DFL_NCODINGS);
	c = pt_req_header(r, "Accept-Encoding", &ae) ?
	    dfl_negotiate(ae.p, ae.len, prefs, n) :
	    dfl_negotiate(NULL, 0, prefs, n);
	if (c == DFL_IDENTITY)
		return (PT_DECLINED);
	/* A cache hit compressed before: its kept form, as it is. */
	if (dfl_keep_serve(r, c) == 0) {
		dfl_fields(r, c);
		return (PT_DECLINED);
	}
	if ((x = pt_calloc(pt_req_arena(r), 1, sizeof(*x))) == NULL ||
	    (x->out = pt_alloc(pt_req_arena(r), DFL_OUT_SIZE)) == NULL)
		return (PT_DECLINED);
	x->coding = c;
	if (!dfl_start(x, dc, (long long)pt_resp_content_length(r))) {
		PT_RLOG(r, PT_LOG_WARN, "cannot start the %s encoder: sent "
		    "uncompressed", dfl_coding_name(c));
		return (PT_DECLINED);
	}
	if (pt_arena_defer(pt_req_arena(r), dfl_end, x) == -1) {
		dfl_end(x);
		return (PT_DECLINED);
	}
	dfl_fields(r, c);
	if (pt_req_note(r, "cache.object") != NULL)
		x->keep = dfl_keep_begin(r, c);
	pt_filter_set_ctx(f, x);
	return (PT_OK);
}

static const struct pt_filter_def dfl_filter = {
	.name = "deflate",
	.head = dfl_head,
	.body = dfl_body,
};

static int
dfl_register(struct pt_hooks *h)
{
	/*
	 * Late (10): nearer the client than a cache store (mod_cache will
	 * register EARLY), so the cache keeps identity bodies and every
	 * client, hit or miss, gets its own coding; before mod_headers
	 * (LAST), so operators' field edits see Content-Encoding and Vary.
	 */
	pt_hook_response_filter(h, &dfl_filter, PT_ORDER_LATE);
	return (0);
}

PT_API const struct pt_module portier_module = {
	PT_MODULE_HEADER,
	.name = "deflate",
	.version = "1.0",
	.directives = dfl_directives,
	.conf_size = sizeof(struct dfl_conf),
	.register_hooks = dfl_register,
};
