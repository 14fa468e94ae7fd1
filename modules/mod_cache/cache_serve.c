/*
 * mod_cache's hits: a stored response sent whole, as a range, as a 304 to
 * a conditional client or as a HEAD; the stored fields become the
 * response's, with Age computed; small bodies from memory, large ones
 * from their file (sendfile on plain connections).
 */
#include "config.h"

#include <sys/mman.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <portier/arena.h>
#include <portier/request.h>
#include "cache.h"
#include "cache_rfc.h"

struct cache_map {
	void	*p;
	size_t	 len;
};

static void
cache_munmap(void *arg)
{
	struct cache_map	*mp = arg;

	munmap(mp->p, mp->len);
}

/*
 * The stored body: small ones read into the request's arena, larger ones
 * mapped (the open file, or the mapping, is the entry's pin: eviction
 * unlinks the file but what is being sent stays readable).
 */
const void *
cache_body(struct pt_request *r, struct cs_meta *m)
{
	struct cache_map	*mp;
	char			*p;

	if (m->body_len == 0)
		return ("");
	if (m->body_mem != NULL)
		return (m->body_mem);
	if (m->body_len > 65536 &&
	    (mp = pt_alloc(pt_req_arena(r), sizeof(*mp))) != NULL) {
		mp->len = (size_t)m->body_off + m->body_len;
		if ((mp->p = mmap(NULL, mp->len, PROT_READ, MAP_SHARED, m->fd,
		    0)) == MAP_FAILED)
			return (NULL);
		if (pt_arena_defer(pt_req_arena(r), cache_munmap, mp) == -1) {
			munmap(mp->p, mp->len);
			return (NULL);
		}
		return ((char *)mp->p + m->body_off);
	}
	if ((p = pt_alloc(pt_req_arena(r), m->body_len)) == NULL ||
	    pread(m->fd, p, m->body_len, m->body_off) != (ssize_t)m->body_len)
		return (NULL);
	return (p);
}

bool
cache_client_304(struct pt_request *r, struct cache_ctx *x,
    const struct cs_meta *m)
{
	const char	*etag = meta_field(m, "ETag");
	int64_t		 ims, lm;

	if (x->c_inm.p != NULL)
		return (cache_etag_match(x->c_inm.p, x->c_inm.len, etag));
	if (x->c_ims.p != NULL && (ims = cache_http_date(x->c_ims.p,
	    x->c_ims.len)) >= 0) {
		lm = date_of(meta_field(m, "Last-Modified"));
		if (lm < 0)
			lm = date_of(meta_field(m, "Date"));
		return (lm >= 0 && lm <= ims);
	}
	(void)r;
	return (false);
}

/* Stored, read by this cache, never sent on (Age is computed). */
bool
cache_field_private(const struct cache_conf *cf, const char *n)
{
	return (strcasecmp(n, "Age") == 0 ||
	    strcasecmp(n, "Surrogate-Key") == 0 ||
	    strcasecmp(n, "Cache-Tag") == 0 ||
	    strcasecmp(n, "CDN-Cache-Control") == 0 ||
	    (cf->target_field[0] != '\0' && strcasecmp(n, cf->target_field) == 0));
}

/* The stored fields become the response's; Age from the entry. */
void
cache_fields_out(struct pt_request *r, const struct cache_conf *cf,
    const struct cs_meta *m, int64_t age)
{
	const char	*n, *v;
	char		 buf[32];
	size_t		 i;

	while (pt_resp_header_at(r, 0, &n, &v))
		pt_resp_header_remove(r, n);
	for (i = 0; i < m->nfields; i++)
		if (strcasecmp(m->names[i], "Date") == 0)
			pt_resp_header_set(r, "Date", m->values[i]);
		else if (!cache_field_private(cf, m->names[i]))
			pt_resp_header_add(r, m->names[i], m->values[i]);
	snprintf(buf, sizeof(buf), "%lld", (long long)age);
	pt_resp_header_set(r, "Age", buf);
}

int64_t
cache_age(const struct cs_meta *m, const struct cache_resp *rs)
{
	return (cache_rfc_age(rs->age, rs->date, m->req_time, m->resp_time,
	    now_s()));
}

/*
 * The stored body, or len bytes of it from off: small bodies were read
 * with the head and go out in one writev; larger ones from the file by
 * sendfile(2) on plain connections.
 */
static int
cache_send(struct pt_request *r, const struct cs_meta *m, int status,
    uint64_t off, uint64_t len)
{
	int	rc;

	if (m->body_mem != NULL)
		rc = pt_resp_send(r, status, NULL, m->body_mem + off, len);
	else
		rc = pt_resp_send_file(r, status, NULL, m->fd, m->body_off +
		    (off_t)off, (off_t)len);
	return (rc == PT_OK ? PT_OK : PT_DONE);
}

/* If-Range (RFC 9110 13.1.5): a strong ETag or the exact Last-Modified. */
static bool
cache_if_range_ok(struct pt_request *r, const struct cs_meta *m)
{
	struct pt_str	 v;
	const char	*etag = meta_field(m, "ETag"), *lm;

	if (!pt_req_header(r, "If-Range", &v))
		return (true);
	if (v.len > 0 && v.p[0] == '"')
		return (etag != NULL && strlen(etag) == v.len &&
		    memcmp(etag, v.p, v.len) == 0);
	lm = meta_field(m, "Last-Modified");
	return (lm != NULL && strlen(lm) == v.len && memcmp(lm, v.p, v.len) == 0);
}

/* A range of a complete stored 200: 206, 416, or the whole. */
static int
cache_serve_range(struct pt_request *r, struct cache_ctx *x,
    struct cs_meta *m)
{
	uint64_t	 first = 0, last = 0;
	int		 rc = 0;

	if (cache_if_range_ok(r, m))
		rc = cache_range(x->range.p, x->range.len, m->body_len, &first,
		    &last);
	if (rc == -1) {
		pt_resp_header_set(r, "Content-Range", pt_printf(pt_req_arena(r),
		    "bytes */%llu", (unsigned long long)m->body_len));
		return (pt_resp_send(r, 416, NULL, NULL, 0) == PT_OK ? PT_OK :
		    PT_DONE);
	}
	if (rc == 0)
		return (cache_send(r, m, 200, 0, m->body_len));
	pt_resp_header_set(r, "Content-Range", pt_printf(pt_req_arena(r),
	    "bytes %llu-%llu/%llu", (unsigned long long)first,
	    (unsigned long long)last, (unsigned long long)m->body_len));
	return (cache_send(r, m, 206, first, last - first + 1));
}

/*
 * For mod_deflate (a response filter nearer the client): which stored
 * object and version this hit is, so it can keep the compressed form
 * beside it (FILE.CODING; removed with the object).
 */
static void
cache_note_object(struct pt_request *r, struct cache_ctx *x,
    const struct cs_meta *m)
{
	char	path[512], ver[48];

	if (m->fd == -1)	/* in memory: nothing to keep beside */
		return;
	cs_path(x->z->dir, x->h, path, sizeof(path));
	snprintf(ver, sizeof(ver), "%lld-%llu", (long long)m->req_ms,
	    (unsigned long long)m->body_len);
	pt_req_set_note(r, "cache.object", path);
	pt_req_set_note(r, "cache.version", ver);
}

/* Sends a stored response from the quick_handler: head and body at once. */
int
cache_serve(struct pt_request *r, struct cache_ctx *x, struct cs_meta *m,
    int64_t age, const char *st)
{
	x->mode = CM_SERVED;
	cache_fields_out(r, x->cf, m, age);
	cache_set_status(r, x, st);
	if (cache_client_304(r, x, m)) {
		pt_resp_header_remove(r, "Content-Type");
		return (pt_resp_send(r, 304, NULL, NULL, 0) == PT_OK ? PT_OK :
		    PT_DONE);
	}
	if (x->range.p != NULL && m->status == 200)
		return (cache_serve_range(r, x, m));
	cache_note_object(r, x, m);
	if (x->head) {
		/* HEAD from a stored GET: the length it would have. */
		return (pt_resp_send(r, m->status, NULL, NULL, m->body_len)
		    == PT_OK ? PT_OK : PT_DONE);
	}
	return (cache_send(r, m, m->status, 0, m->body_len));
}
