/*
 * MIME types by file extension: a mime.types file (Apache's "type ext
 * ext" lines, or nginx's "types { type ext ext; }" block) loaded into an
 * open-addressing hash table in the conf arena, and a small built-in
 * table for when no file is configured.
 */
#include "config.h"

#include "static_file.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <portier/arena.h>

#define MIME_DEFAULT	"application/octet-stream"
#define MIME_EXT_MAX	32		/* longer extensions are refused */
#define MIME_FILE_MAX	(1024 * 1024)	/* the usual file is ~60 KB */

struct mime_entry {
	const char	*ext;	/* lowercase, no dot; NULL: a free slot */
	const char	*type;
};

struct mime_table {
	struct mime_entry	*slots;
	size_t			 mask;	/* slot count - 1, a power of two */
};

/* Used when no mime.types is configured: the types a site commonly has. */
static const struct mime_entry builtin[] = {
	{ "html", "text/html" },		{ "htm", "text/html" },
	{ "css", "text/css" },			{ "js", "text/javascript" },
	{ "mjs", "text/javascript" },		{ "json", "application/json" },
	{ "txt", "text/plain" },		{ "csv", "text/csv" },
	{ "md", "text/markdown" },		{ "xml", "application/xml" },
	{ "png", "image/png" },			{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },		{ "gif", "image/gif" },
	{ "svg", "image/svg+xml" },		{ "ico", "image/x-icon" },
	{ "webp", "image/webp" },		{ "avif", "image/avif" },
	{ "woff", "font/woff" },		{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },			{ "otf", "font/otf" },
	{ "pdf", "application/pdf" },		{ "wasm", "application/wasm" },
	{ "zip", "application/zip" },		{ "gz", "application/gzip" },
	{ "mp4", "video/mp4" },			{ "webm", "video/webm" },
	{ "mp3", "audio/mpeg" },		{ "ogg", "audio/ogg" },
};

enum mime_tok { TK_WORD, TK_END, TK_EOF, TK_OPEN, TK_CLOSE };

/*
 * The lexer. Apache's format ends a record at a newline; nginx's ends it
 * at ';' and treats newlines as blanks. '#' starts a comment in both.
 */
struct mime_lex {
	const char	*p;
	const char	*tok;
	size_t		 len;
	int		 line;
	bool		 nginx;
};

static enum mime_tok
mime_next(struct mime_lex *lx)
{
	for (;;) {
		switch (*lx->p) {
		case '\0':
			return (TK_EOF);
		case '#':
			while (*lx->p != '\n' && *lx->p != '\0')
				lx->p++;
			continue;
		case '\n':
			lx->p++;
			lx->line++;
			if (!lx->nginx)
				return (TK_END);
			continue;
		case ' ': case '\t': case '\r':
			lx->p++;
			continue;
		case '{':
			lx->p++;
			return (TK_OPEN);
		case '}':
			lx->p++;
			return (TK_CLOSE);
		case ';':
			if (!lx->nginx)
				break;
			lx->p++;
			return (TK_END);
		}
		lx->tok = lx->p;
		while (strchr(lx->nginx ? " \t\r\n#{};" : " \t\r\n#{}",
		    *lx->p) == NULL)
			lx->p++;
		lx->len = (size_t)(lx->p - lx->tok);
		return (TK_WORD);
	}
}

/* RFC 9110 5.6.2 tchar. */
static bool
is_tchar(int c)
{
	return ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' &&
	    (c | 0x20) <= 'z') || strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 9110 8.3.1: media-type = type "/" subtype, both tokens. */
static bool
valid_type(const char *s, size_t len)
{
	size_t	i, slash;

	for (i = 0, slash = 0; i < len; i++) {
		if (s[i] == '/') {
			if (slash != 0 || i == 0)
				return (false);
			slash = i;
		} else if (s[i] == '\0' || !is_tchar((unsigned char)s[i]))
			return (false);
	}
	return (slash != 0 && slash + 1 < len);
}

static bool
valid_ext(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > MIME_EXT_MAX)
		return (false);
	for (i = 0; i < len; i++)
		if (s[i] == '\0' || s[i] == '.' || s[i] == '/' ||
		    !is_tchar((unsigned char)s[i]))
			return (false);
	return (true);
}

/* FNV-1a over the lowercased bytes. */
static size_t
mime_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)(*s | (*s >= 'A' && *s <= 'Z' ? 0x20 : 0));
		h *= 1099511628211ULL;
	}
	return ((size_t)h);
}

/* A later line wins for an extension listed twice, as in nginx. */
static void
mime_insert(struct mime_table *t, const char *ext, const char *type)
{
	size_t	i;

	for (i = mime_hash(ext) & t->mask; t->slots[i].ext != NULL;
	    i = (i + 1) & t->mask)
		if (strcmp(t->slots[i].ext, ext) == 0)
			break;
	t->slots[i].ext = ext;
	t->slots[i].type = type;
}

struct mime_load {
	struct pt_arena		*arena;
	struct mime_table	*table;	/* NULL in the counting pass */
	size_t			 count;	/* extensions seen */
	const char		*err;
};

/* One extension of a record; type is copied into the arena once. */
static int
mime_add(struct mime_load *ml, struct mime_lex *lx, const char *type,
    size_t tlen, const char **tcopy)
{
	char	*ext;
	size_t	 i;

	if (!valid_ext(lx->tok, lx->len)) {
		ml->err = "invalid extension";
		return (-1);
	}
	ml->count++;
	if (ml->table == NULL)
		return (0);
	if (*tcopy == NULL &&
	    (*tcopy = pt_strndup(ml->arena, type, tlen)) == NULL)
		goto nomem;
	if ((ext = pt_strndup(ml->arena, lx->tok, lx->len)) == NULL)
		goto nomem;
	for (i = 0; i < lx->len; i++)
		if (ext[i] >= 'A' && ext[i] <= 'Z')
			ext[i] |= 0x20;
	mime_insert(ml->table, ext, *tcopy);
	return (0);
 nomem:
	ml->err = "out of memory";
	return (-1);
}

/* One record: a media type and its extensions (maybe none). */
static int
mime_record(struct mime_load *ml, struct mime_lex *lx)
{
	const char	*type, *tcopy;
	size_t		 tlen;
	enum mime_tok	 k;

	if (!valid_type(lx->tok, lx->len)) {
		ml->err = "invalid media type";
		return (-1);
	}
	type = lx->tok;
	tlen = lx->len;
	tcopy = NULL;
	while ((k = mime_next(lx)) == TK_WORD)
		if (mime_add(ml, lx, type, tlen, &tcopy) == -1)
			return (-1);
	if (k == TK_END || (k == TK_EOF && !lx->nginx))
		return (0);
	ml->err = k == TK_EOF ? "missing ';'" : "unexpected brace";
	return (-1);
}

/*
 * One pass over the text, counting (ml->table NULL) or filling. The
 * nginx form is told by its first two tokens, "types" and "{".
 */
static int
mime_parse(struct mime_load *ml, const char *text, int *line)
{
	struct mime_lex	lx = { .p = text, .line = 1, .nginx = true };
	enum mime_tok	k;
	bool		closed = false;

	if (!(mime_next(&lx) == TK_WORD && lx.len == 5 &&
	    memcmp(lx.tok, "types", 5) == 0 && mime_next(&lx) == TK_OPEN))
		lx = (struct mime_lex){ .p = text, .line = 1, .nginx = false };
	for (;;) {
		k = mime_next(&lx);
		if (k == TK_EOF)
			break;
		if (k == TK_END)
			continue;
		if (k == TK_CLOSE && lx.nginx && !closed) {
			closed = true;
			continue;
		}
		if (k != TK_WORD || closed) {
			ml->err = closed ? "text after '}'" :
			    "unexpected brace";
			goto fail;
		}
		if (mime_record(ml, &lx) == -1)
			goto fail;
	}
	if (lx.nginx && !closed) {
		ml->err = "missing '}'";
		goto fail;
	}
	return (0);
 fail:
	*line = lx.line;
	return (-1);
}

/*
 * The whole file, NUL-terminated, in a malloc'd buffer the caller frees;
 * *len is its length. On failure errno tells why.
 */
static char *
mime_read(const char *path, size_t *len, const char **err)
{
	struct stat	 st;
	char		*buf;
	size_t		 got;
	ssize_t		 n;
	int		 fd, saved;

	buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*err = "cannot open";
		return (NULL);
	}
	*err = "cannot read";
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_size > MIME_FILE_MAX) {
		*err = S_ISREG(st.st_mode) ? "file too large" : "not a file";
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	for (got = 0; got < (size_t)st.st_size; got += (size_t)n)
		if ((n = read(fd, buf + got, (size_t)st.st_size - got)) <= 0)
			goto fail;
	buf[got] = '\0';
	*len = got;
	close(fd);
	return (buf);
 fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return (NULL);
}

struct mime_table *
mime_load(struct pt_arena *arena, const char *path, int *line,
    const char **err)
{
	struct mime_load	 ml = { .arena = arena };
	struct mime_table	*t;
	size_t			 cap, len;
	char			*text;

	*line = 0;
	if ((text = mime_read(path, &len, err)) == NULL)
		return (NULL);
	/* A NUL inside would end the text early, and silently. */
	if (strlen(text) != len) {
		ml.err = "NUL byte in file";
		goto fail;
	}
	if (mime_parse(&ml, text, line) == -1)
		goto fail;
	/* At most half full: probes stay short. */
	for (cap = 16; cap < ml.count * 2; cap *= 2)
		;
	ml.err = "out of memory";
	if ((t = pt_alloc(arena, sizeof(*t))) == NULL ||
	    (t->slots = pt_calloc(arena, cap, sizeof(*t->slots))) == NULL)
		goto fail;
	t->mask = cap - 1;
	ml.table = t;
	if (mime_parse(&ml, text, line) == -1)
		goto fail;
	free(text);
	return (t);
 fail:
	*err = ml.err;
	free(text);
	return (NULL);
}

const char *
mime_lookup(const struct mime_table *t, const char *filename)
{
	const char	*base, *dot;
	size_t		 i;

	base = strrchr(filename, '/');
	base = base != NULL ? base + 1 : filename;
	dot = strrchr(base, '.');
	/* ".profile" is a hidden file without an extension. */
	if (dot == NULL || dot == base || dot[1] == '\0' ||
	    strlen(dot + 1) > MIME_EXT_MAX)
		return (MIME_DEFAULT);
	dot++;
	if (t == NULL) {
		for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
			if (strcasecmp(builtin[i].ext, dot) == 0)
				return (builtin[i].type);
		return (MIME_DEFAULT);
	}
	for (i = mime_hash(dot) & t->mask; t->slots[i].ext != NULL;
	    i = (i + 1) & t->mask)
		if (strcasecmp(t->slots[i].ext, dot) == 0)
			return (t->slots[i].type);
	return (MIME_DEFAULT);
}
