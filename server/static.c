/*
 * The static file handler: a route with a root serves GET and HEAD from
 * it. The pure parts (normalising, opening beneath the root, validators,
 * ranges, MIME types) live in static_path.c, static_cond.c and mime.c.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "static_file.h"

static const struct mime_table	*mime;

/* Root folders opened once per worker: no open(2) of the root per request. */
struct root_fd {
	const char	*root;
	int		 fd;
};
static struct root_fd	roots[64];
static size_t		nroots;

/*
 * Loads the MIME table into the configuration's arena. Called by the master
 * at start and on each reload, so workers inherit it and -t checks it.
 */
int
static_init(const struct pt_conf *cf)
{
	const char	*err = NULL;
	int		 line = 0;

	nroots = 0;
	if (cf->mime_types == NULL) {
		mime = NULL;
		return (0);
	}
	mime = mime_load(cf->arena, cf->mime_types, &line, &err);
	if (mime == NULL) {
		PT_LOG(PT_LOG_ERR, "%s:%d: mime_types: %s", cf->mime_types,
		    line, err != NULL ? err : "cannot load");
		return (-1);
	}
	return (0);
}

static int
static_root_fd(const char *root)
{
	size_t	i;
	int	fd;

	for (i = 0; i < nroots; i++)
		if (roots[i].root == root)
			return (roots[i].fd);
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd != -1 && nroots < sizeof(roots) / sizeof(roots[0])) {
		roots[nroots].root = root;
		roots[nroots].fd = fd;
		nroots++;
	}
	return (fd);
}

static int
static_errno_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		return (404);
	default:
		return (403);
	}
}

/* A folder asked for without its slash: redirect, as Apache and nginx do. */
static int
static_redirect_slash(struct pt_request *r)
{
	const struct http_head	*h = &r->head;
	char			*loc;

	loc = pt_printf(r->arena, "%.*s/%s%.*s", (int)h->path.len, h->path.p,
	    h->has_query ? "?" : "", (int)h->query.len, h->query.p);
	if (loc == NULL)
		return (resp_error(r, 500));
	resp_field_add(r, "Location", loc);
	return (resp_error(r, 301));
}

/* Opens the first index file of the folder rel (which ends with '/'). */
static int
static_open_index(struct pt_request *r, int rootfd, const char *rel,
    struct stat *st)
{
	const struct core_scope	*sc = &r->route->sc;
	char			*p;
	size_t			 i;
	int			 fd, err = ENOENT;

	for (i = 0; i < sc->index.n; i++) {
		if ((p = pt_printf(r->arena, "%s%s", rel, sc->index.v[i])) == NULL)
			return (-1);
		if ((fd = path_open_beneath(rootfd, p, sc->symlinks, st)) != -1) {
			if (S_ISREG(st->st_mode)) {
				r->path = p;
				return (fd);
			}
			close(fd);
		} else if (errno != ENOENT)
			err = errno;
	}
	errno = err == ENOENT ? EACCES : err;	/* no listing: forbidden */
	return (-1);
}

static int
static_open(struct pt_request *r, struct stat *st)
{
	int rootfd, fd;

	if ((rootfd = static_root_fd(r->route->sc.root)) == -1)
		return (-1);
	fd = path_open_beneath(rootfd, r->path, r->route->sc.symlinks, st);
	if (fd == -1 || !S_ISDIR(st->st_mode))
		return (fd);
	close(fd);
	if (!r->path_slash) {
		errno = EISDIR;
		return (-1);
	}
	return (static_open_index(r, rootfd, r->path, st));
}

/* The request fields the conditionals and ranges read, found in one pass. */
struct static_fields {
	const char	*if_match, *if_none_match, *if_modified_since;
	const char	*if_unmodified_since, *range, *if_range;
};

static void
static_fields(struct pt_request *r, struct static_fields *sf)
{
	const struct http_field	*f;
	const char		**slot;
	size_t			 i;

	memset(sf, 0, sizeof(*sf));
	for (i = 0; i < r->head.nfields; i++) {
		f = &r->head.fields[i];
		slot = NULL;
		if (f->name.len == 5 && str_case_eq(f->name.p, 5, "range"))
			slot = &sf->range;
		else if (f->name.len < 8 || (f->name.p[0] | 0x20) != 'i')
			continue;	/* the rest all start with "If-" */
		else if (str_case_eq(f->name.p, f->name.len, "if-match"))
			slot = &sf->if_match;
		else if (str_case_eq(f->name.p, f->name.len, "if-none-match"))
			slot = &sf->if_none_match;
		else if (str_case_eq(f->name.p, f->name.len, "if-modified-since"))
			slot = &sf->if_modified_since;
		else if (str_case_eq(f->name.p, f->name.len,
		    "if-unmodified-since"))
			slot = &sf->if_unmodified_since;
		else if (str_case_eq(f->name.p, f->name.len, "if-range"))
			slot = &sf->if_range;
		if (slot != NULL && *slot == NULL)
			*slot = pt_strndup(r->arena, f->value.p, f->value.len);
	}
}

/* Last-Modified text, kept for the last mtime seen: files rarely change. */
static const char *
static_last_modified(time_t mtime)
{
	static char	text[32];
	static time_t	at = -1;

	if (mtime != at) {
		http_date_format(mtime, text);
		at = mtime;
	}
	return (text);
}

static int
static_send(struct pt_request *r, int fd, const struct stat *st)
{
	struct static_fields	 sf;
	char			 etag[64], *cr;
	off_t			 off = 0, len = st->st_size;
	int			 rc;

	static_etag(st, etag, sizeof(etag));
	static_fields(r, &sf);
	resp_field_add(r, "Last-Modified",
	    pt_strdup(r->arena, static_last_modified(st->st_mtime)));
	resp_field_add(r, "ETag", pt_strdup(r->arena, etag));
	resp_field_add(r, "Accept-Ranges", "bytes");
	rc = static_conditional(sf.if_match, sf.if_none_match,
	    sf.if_modified_since, sf.if_unmodified_since, etag, st->st_mtime);
	if (rc == 304)
		return (resp_send(r, 304, NULL, NULL, 0));
	if (rc != 0)
		return (resp_error(r, rc));
	rc = static_range(sf.range, sf.if_range, etag, st->st_mtime,
	    st->st_size, &off, &len);
	if (rc == 416) {
		cr = pt_printf(r->arena, "bytes */%lld", (long long)st->st_size);
		resp_field_add(r, "Content-Range", cr);
		return (resp_error(r, 416));
	}
	if (rc == 206) {
		cr = pt_printf(r->arena, "bytes %lld-%lld/%lld", (long long)off,
		    (long long)(off + len - 1), (long long)st->st_size);
		resp_field_add(r, "Content-Range", cr);
	}
	return (resp_send_file(r, rc == 206 ? 206 : 200,
	    mime_lookup(mime, r->path), fd, off, len));
}

int
static_handler(struct pt_request *r)
{
	struct stat	st;
	int		fd, rc;

	if (r->head.method_id != HTTP_M_GET && r->head.method_id != HTTP_M_HEAD) {
		resp_field_add(r, "Allow", "GET, HEAD");
		return (resp_error(r, 405));
	}
	if ((fd = static_open(r, &st)) == -1) {
		if (errno == EISDIR)
			return (static_redirect_slash(r));
		PT_RLOG(r, PT_LOG_DEBUG, "static %s: %s", r->path, strerror(errno));
		return (resp_error(r, static_errno_status(errno)));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return (resp_error(r, 403));
	}
	rc = static_send(r, fd, &st);
	close(fd);
	return (rc);
}
