/*
 * mod_deflate beside a cache: on a hit, mod_cache notes the stored
 * object's file ("cache.object") and its version ("cache.version"). The
 * compressed form of that object is kept next to it, as FILE.CODING
 * ("...e3.br"), starting with a line naming the version it was made from;
 * the next hit for the same coding and version sends it as it is instead
 * of compressing again. A new version of the object makes the kept form
 * stale (it is made again); mod_cache removes kept forms with the object.
 * Written under a temporary name and renamed when complete.
 */
#define PT_LOG_TAG	"deflate"

#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <portier/arena.h>
#include <portier/log.h>
#include <portier/request.h>

#include "deflate.h"

#define DFL_KEEP_MAGIC	"PTDFL1 "
#define DFL_KEEP_MAX	(16LL << 20)	/* larger kept forms are not read */

struct dfl_keep {
	int	 fd;
	char	*tmp, *path;
};

static const char *
dfl_keep_path(struct pt_request *r, enum dfl_coding c)
{
	const char	*obj = pt_req_note(r, "cache.object");

	if (obj == NULL || pt_req_note(r, "cache.version") == NULL)
		return (NULL);
	return (pt_printf(pt_req_arena(r), "%s.%s", obj, dfl_coding_name(c)));
}

/* The kept form's first line for this version. */
static const char *
dfl_keep_line(struct pt_request *r)
{
	return (pt_printf(pt_req_arena(r), DFL_KEEP_MAGIC "%s\n",
	    pt_req_note(r, "cache.version")));
}

int
dfl_keep_serve(struct pt_request *r, enum dfl_coding c)
{
	const char	*path = dfl_keep_path(r, c), *line;
	struct stat	 st;
	char		*buf;
	size_t		 ll;
	int		 fd, rc = -1;

	if (path == NULL || (line = dfl_keep_line(r)) == NULL ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	ll = strlen(line);
	if (fstat(fd, &st) == 0 && st.st_size >= (off_t)ll &&
	    st.st_size <= DFL_KEEP_MAX &&
	    (buf = pt_alloc(pt_req_arena(r), (size_t)st.st_size + 1)) != NULL &&
	    pread(fd, buf, (size_t)st.st_size, 0) == (ssize_t)st.st_size &&
	    memcmp(buf, line, ll) == 0 &&
	    pt_resp_replace_body(r, buf + ll, (size_t)st.st_size - ll) == PT_OK)
		rc = 0;
	close(fd);
	return (rc);
}

static void
dfl_keep_drop(void *arg)
{
	struct dfl_keep	*k = arg;

	if (k->fd == -1)
		return;
	close(k->fd);
	unlink(k->tmp);
	k->fd = -1;
}

struct dfl_keep *
dfl_keep_begin(struct pt_request *r, enum dfl_coding c)
{
	static unsigned int	 seq;
	struct dfl_keep		*k;
	const char		*line;

	if ((line = dfl_keep_line(r)) == NULL ||
	    (k = pt_calloc(pt_req_arena(r), 1, sizeof(*k))) == NULL ||
	    (k->path = (char *)dfl_keep_path(r, c)) == NULL ||
	    (k->tmp = pt_printf(pt_req_arena(r), "%s.tmp.%d.%u", k->path,
	    (int)getpid(), seq++)) == NULL)
		return (NULL);
	if ((k->fd = open(k->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		return (NULL);
	if (pt_arena_defer(pt_req_arena(r), dfl_keep_drop, k) == -1) {
		close(k->fd);
		unlink(k->tmp);
		return (NULL);
	}
	if (dfl_keep_write(k, line, strlen(line)) == -1)
		return (NULL);
	return (k);
}

int
dfl_keep_write(struct dfl_keep *k, const void *p, size_t n)
{
	ssize_t	w;

	while (k != NULL && k->fd != -1 && n > 0) {
		if ((w = write(k->fd, p, n)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			dfl_keep_drop(k);	/* a full disk: not kept */
			return (-1);
		}
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return (k != NULL && k->fd != -1 ? 0 : -1);
}

void
dfl_keep_commit(struct dfl_keep *k, const char *object)
{
	if (k == NULL || k->fd == -1)
		return;
	close(k->fd);
	k->fd = -1;
	if (rename(k->tmp, k->path) == -1) {
		unlink(k->tmp);
		return;
	}
	/* The object went meanwhile: nothing would remove this one. */
	if (object != NULL && access(object, F_OK) == -1)
		unlink(k->path);
}
