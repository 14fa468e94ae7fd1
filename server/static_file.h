/*
 * Pure pieces of static file serving: path normalisation, opening beneath a
 * root, validators and conditionals, byte ranges, MIME types. The handler
 * that ties them to a request lives in static.c.
 */
#ifndef PT_STATIC_FILE_H
#define PT_STATIC_FILE_H

#include <sys/types.h>
#include <sys/stat.h>
#include <time.h>
#include <portier/types.h>

/* path_normalize() results besides 0. */
#define PATH_BAD	400	/* malformed: bad %-escape, %00, NUL, not starting with '/' */
#define PATH_ESCAPES	403	/* ".." would climb above "/" */

/*
 * Decodes %XX escapes in a raw origin-form path (no query) and resolves
 * "." and ".." segments and repeated slashes, as RFC 3986 5.2.4 does,
 * never climbing above "/". Writes a NUL-terminated result of at most
 * len + 1 bytes into out (out must hold len + 1). Returns 0, PATH_BAD or
 * PATH_ESCAPES. A decoded '/' (%2F) would be a plain byte of its segment,
 * never a separator; since no file name can hold one, such a path is
 * refused with PATH_BAD, as is a '\\' (raw or %5C). A result containing
 * "/../" cannot be produced. *trailing_slash tells whether the result ends
 * with '/'.
 */
int	path_normalize(const char *raw, size_t len, char *out,
	    bool *trailing_slash);

/*
 * Opens rel (a normalised path, starting with '/') beneath the directory
 * fd rootfd, read-only. Unless allow_symlinks, symlinks (the last
 * component included) are followed only while they stay beneath the root:
 * RESOLVE_BENEATH (openat2) where the kernel has it, else a checked
 * component-by-component walk. With allow_symlinks any symlink is
 * followed. rel must be normalised (no "..") in that case. Returns an fd
 * (O_CLOEXEC | O_NONBLOCK, a regular file or a directory) and fills *st,
 * or -1 with errno (ENOENT, EACCES also for a device, FIFO or socket,
 * EXDEV for an escape, ELOOP, ENOTDIR, ENAMETOOLONG).
 */
int	path_open_beneath(int rootfd, const char *rel, bool allow_symlinks,
	    struct stat *st);
/* Tests: make path_open_beneath() take the user-space walk. */
void	path_force_fallback(bool);

/*
 * Strong ETag from st, in hex: "\"<inode>-<size>-<mtime in ns>\"". out
 * should hold STATIC_ETAG_MAX bytes; when it is too small it gets "".
 */
#define STATIC_ETAG_MAX	64
void	static_etag(const struct stat *st, char *out, size_t outlen);

/*
 * RFC 9110 13.2.2 order: If-None-Match (weak comparison; '*'), then, only
 * when If-None-Match is absent, If-Modified-Since (GET/HEAD). Returns 304
 * when the cached copy is current, 0 to send the body. If-Match and
 * If-Unmodified-Since give 412 when they fail. Any argument may be NULL
 * (field absent). Values are NUL-terminated. For GET and HEAD only: a
 * failed If-None-Match means 412, not 304, for other methods.
 */
int	static_conditional(const char *if_match, const char *if_none_match,
	    const char *if_modified_since, const char *if_unmodified_since,
	    const char *etag, time_t mtime);

/*
 * Parses a Range value against a representation of size bytes. Only a
 * single "bytes=" range is honoured (several ranges, or another unit:
 * return 0, send the whole). Returns 206 with *off and *len set, 416 when no
 * range is satisfiable, or 0 to ignore the field (malformed, multiple).
 * If-Range (may be NULL): when it does not match etag (strong compare) or
 * the date does not equal mtime, return 0.
 */
int	static_range(const char *range, const char *if_range, const char *etag,
	    time_t mtime, off_t size, off_t *off, off_t *len);

/* RFC 9110 5.6.7 IMF-fixdate; out holds at least 30 bytes. */
void	http_date_format(time_t, char *out);
/* Parses IMF-fixdate, RFC 850 and asctime forms; -1 when invalid. */
time_t	http_date_parse(const char *);

/* MIME table: extension (lowercase, no dot) to type. */
struct mime_table;
/* Loads an Apache/nginx-style mime.types file ("type ext ext ..."; '#'
 * comments). Returns NULL with *err set to a short message and *line to the
 * line number on failure. Allocated from the arena. */
struct mime_table *mime_load(struct pt_arena *, const char *path, int *line,
	    const char **err);
/* Type for a file name (by its last extension, case-insensitive), or
 * "application/octet-stream". Works with a NULL table. */
const char *mime_lookup(const struct mime_table *, const char *filename);

#endif /* PT_STATIC_FILE_H */
