/*
 * From a request path to an open file: percent-decoding and dot-segment
 * removal (RFC 3986 2.1, 5.2.4), then opening the result beneath the
 * document root without letting a symlink lead out of it: openat2(2)
 * with RESOLVE_BENEATH where the kernel has it (Linux 5.6+), else a
 * checked walk, one component at a time, that does the same in user space.
 */
#include "config.h"

#include "static_file.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#else
/* The ABI of openat2(2), for systems whose headers predate it. */
struct open_how {
	uint64_t	flags;
	uint64_t	mode;
	uint64_t	resolve;
};
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS	0x02
#endif
#ifndef RESOLVE_BENEATH
#define RESOLVE_BENEATH		0x08
#endif
#if !defined(SYS_openat2) && defined(__NR_openat2)
#define SYS_openat2		__NR_openat2
#endif

/*
 * O_NONBLOCK: a FIFO planted in the document root must not hang the
 * worker in open(2) (nginx opens with it for the same reason); it changes
 * nothing for regular files. O_NOCTTY: a tty never becomes ours.
 */
#define OPEN_FLAGS	(O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
#define WALK_MAX_LINKS	40	/* the kernel's MAXSYMLINKS */
#define WALK_AGAIN	(-2)	/* walk_final: a symlink was expanded */

static bool	force_fallback;	/* tests: take the user-space walk */
static bool	no_openat2;	/* ENOSYS seen: the kernel predates 5.6 */

void
path_force_fallback(bool on)
{
	force_fallback = on;
}

/*
 * Decodes %XX escapes of raw into out; returns the decoded length, or -1.
 * RFC 3986 2.2: an encoded reserved character is data, so %2F is a byte of
 * its segment, not a separator. A file name cannot hold '/', and letting
 * it act as one would let "a%2F..%2F.." dodge the dot-segment pass below,
 * so such a path is refused (as Apache does by default, AllowEncodedSlashes
 * Off). A backslash, raw or encoded, is refused too: RFC 3986 does not
 * allow it in a path, and it is a separator to other systems that may see
 * the same name (a share, a backend). NUL would cut the path short.
 */
static ssize_t
pct_decode(const char *raw, size_t len, char *out)
{
	size_t	i, o;
	int	c, hi, lo;

	for (i = 0, o = 0; i < len; i++) {
		c = (unsigned char)raw[i];
		if (c == '%') {
			if (len - i < 3 || (hi = pt_hexval(raw[i + 1])) < 0 ||
			    (lo = pt_hexval(raw[i + 2])) < 0)
				return (-1);
			c = hi << 4 | lo;
			i += 2;
			if (c == '/')
				return (-1);
		}
		if (c == '\0' || c == '\\')
			return (-1);
		out[o++] = (char)c;
	}
	return ((ssize_t)o);
}

/*
 * RFC 3986 5.2.4, done in place over buf[0..n) (which starts with '/'):
 * empty and "." segments vanish, ".." removes the segment before it. Where
 * the RFC would silently stop ".." at the root, we refuse: no legitimate
 * client sends it, and a scanner probing for "/../etc/passwd" should see
 * 403, not the index page. The write index w never passes the read index
 * r, so one buffer serves both.
 */
static int
remove_dots(char *buf, size_t n, bool *trailing_slash)
{
	size_t	r, w, seg, slen;
	bool	dir;

	r = w = 0;
	dir = true;
	for (;;) {
		while (r < n && buf[r] == '/')
			r++;
		if (r == n)
			break;
		seg = r;
		while (r < n && buf[r] != '/')
			r++;
		slen = r - seg;
		/* A final "." or ".." names a directory: "/a/." is "/a/". */
		dir = (slen == 1 && buf[seg] == '.') ||
		    (slen == 2 && buf[seg] == '.' && buf[seg + 1] == '.');
		if (slen == 2 && dir) {
			if (w == 0)
				return (PATH_ESCAPES);
			while (buf[w - 1] != '/')
				w--;
			w--;
		} else if (!dir) {
			buf[w++] = '/';
			memmove(buf + w, buf + seg, slen);
			w += slen;
		}
		if (r == n)
			break;
		dir = true;	/* a '/' follows: trailing unless more comes */
	}
	if (dir || w == 0)
		buf[w++] = '/';
	buf[w] = '\0';
	*trailing_slash = buf[w - 1] == '/';
	return (0);
}

int
path_normalize(const char *raw, size_t len, char *out, bool *trailing_slash)
{
	ssize_t	n;

	*trailing_slash = false;
	out[0] = '\0';
	/* RFC 9112 3.2.1: origin-form starts with an absolute path. */
	if (len == 0 || raw[0] != '/')
		return (PATH_BAD);
	if ((n = pct_decode(raw, len, out)) == -1) {
		out[0] = '\0';
		return (PATH_BAD);
	}
	return (remove_dots(out, (size_t)n, trailing_slash));
}

/*
 * The user-space walk, for kernels without openat2. State: the directory
 * reached so far (cur, an O_PATH fd, or rootfd itself), the names that led
 * there from the root (done, "a/b/"), and what is left to resolve (todo,
 * from pos on; never empty and never ending in '/': a trailing slash is
 * stored as a final ".", so "dir/" must open as a directory).
 */
struct walk {
	int	 rootfd;
	int	 cur;
	int	 links;
	size_t	 pos;
	size_t	 dlen;
	char	 todo[PATH_MAX];
	char	 done[PATH_MAX];
};

static void
walk_set(struct walk *w, int fd)
{
	int	 saved = errno;

	if (w->cur != w->rootfd)
		close(w->cur);
	w->cur = fd;
	errno = saved;
}

/* todo becomes head, then '/' and what was left of todo, if anything. */
static int
walk_prepend(struct walk *w, const char *head, size_t hlen)
{
	size_t	rlen, len;

	rlen = strlen(w->todo + w->pos);
	if (hlen + 1 + rlen + 2 > sizeof(w->todo)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (rlen == 0)
		w->todo[hlen] = '\0';
	else {
		memmove(w->todo + hlen + 1, w->todo + w->pos, rlen + 1);
		w->todo[hlen] = '/';
	}
	memcpy(w->todo, head, hlen);
	w->pos = 0;
	len = strlen(w->todo);
	if (len == 0 || w->todo[len - 1] == '/')
		memcpy(w->todo + len, ".", 2);
	return (0);
}

/* Takes the next name out of todo; *last when nothing follows it. */
static int
walk_next(struct walk *w, char *name, bool *last)
{
	const char	*p, *e;

	p = w->todo + w->pos;
	while (*p == '/')
		p++;
	for (e = p; *e != '\0' && *e != '/'; e++)
		;
	if ((size_t)(e - p) > NAME_MAX) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(name, p, (size_t)(e - p));
	name[e - p] = '\0';
	while (*e == '/')
		e++;
	*last = *e == '\0';
	w->pos = (size_t)(e - w->todo);
	return (0);
}

/*
 * lfd is an O_PATH handle on a symlink: reading it through the handle
 * gives the target of the very link that was looked at, even if the name
 * is swapped meanwhile. Like RESOLVE_BENEATH, an absolute target is an
 * escape (EXDEV) whatever it names; a relative one is resolved from cur.
 */
static int
walk_link(struct walk *w, int lfd)
{
	char	target[PATH_MAX];
	ssize_t	n;

	if (++w->links > WALK_MAX_LINKS) {
		errno = ELOOP;
		return (-1);
	}
	if ((n = readlinkat(lfd, "", target, sizeof(target))) == -1)
		return (-1);
	if ((size_t)n == sizeof(target)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (n == 0) {
		errno = ENOENT;
		return (-1);
	}
	if (target[0] == '/') {
		errno = EXDEV;
		return (-1);
	}
	return (walk_prepend(w, target, (size_t)n));
}

/*
 * "..": never through the kernel's "..", which would lead above the root
 * from a directory moved out of it meanwhile. We restart from the root
 * with the names in done minus the last one, each checked again as it is
 * walked; ".." with nothing in done is an escape.
 */
static int
walk_up(struct walk *w)
{
	size_t	plen;

	if (w->dlen == 0) {
		errno = EXDEV;
		return (-1);
	}
	plen = w->dlen - 1;
	while (plen > 0 && w->done[plen - 1] != '/')
		plen--;
	w->dlen = 0;	/* done's bytes stay; walk_prepend only writes todo */
	walk_set(w, w->rootfd);
	return (walk_prepend(w, w->done, plen));
}

/* An intermediate name: it must be a directory or a symlink. */
static int
walk_dir(struct walk *w, const char *name)
{
	struct stat	sb;
	size_t		nlen;
	int		fd, rc;

	if ((fd = openat(w->cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (S_ISLNK(sb.st_mode)) {
		if (walk_link(w, fd) == -1)
			goto fail;
		close(fd);
		return (0);
	}
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		goto fail;
	}
	nlen = strlen(name);
	if (w->dlen + nlen + 2 > sizeof(w->done)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	memcpy(w->done + w->dlen, name, nlen);
	w->dlen += nlen;
	w->done[w->dlen++] = '/';
	walk_set(w, fd);
	return (0);
 fail:
	rc = errno;
	close(fd);
	errno = rc;
	return (-1);
}

/*
 * The last name: opened for reading with O_NOFOLLOW, so what we get is
 * never a symlink. ELOOP means it is one; it is then expanded into todo
 * and WALK_AGAIN returned.
 */
static int
walk_final(struct walk *w, const char *name)
{
	struct stat	sb;
	int		fd, lfd, rc, saved;

	fd = openat(w->cur, name, OPEN_FLAGS | O_NOFOLLOW);
	if (fd != -1 || errno != ELOOP)
		return (fd);
	if ((lfd = openat(w->cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (-1);
	rc = -1;
	if (fstat(lfd, &sb) == 0) {
		if (S_ISLNK(sb.st_mode))
			rc = walk_link(w, lfd);
		else
			errno = ELOOP;	/* swapped back meanwhile */
	}
	saved = errno;
	close(lfd);
	errno = saved;
	return (rc == 0 ? WALK_AGAIN : -1);
}

static int
walk_run(struct walk *w)
{
	char	name[NAME_MAX + 1];
	bool	last;
	int	fd;

	for (;;) {
		if (walk_next(w, name, &last) == -1)
			return (-1);
		if (strcmp(name, ".") == 0) {
			if (last)
				return (walk_final(w, "."));
			continue;
		}
		if (strcmp(name, "..") == 0) {
			if (walk_up(w) == -1)
				return (-1);
			continue;
		}
		if (!last) {
			if (walk_dir(w, name) == -1)
				return (-1);
			continue;
		}
		if ((fd = walk_final(w, name)) != WALK_AGAIN)
			return (fd);
	}
}

static int
open_walk(int rootfd, const char *rel)
{
	struct walk	w;
	int		fd;

	w.rootfd = w.cur = rootfd;
	w.links = 0;
	w.pos = w.dlen = 0;
	w.todo[0] = '\0';
	if (walk_prepend(&w, rel, strlen(rel)) == -1)
		return (-1);
	fd = walk_run(&w);
	walk_set(&w, rootfd);
	return (fd);
}

/*
 * RESOLVE_BENEATH refuses, with EXDEV, any step above rootfd: "..",
 * absolute symlinks and relative ones that climb out; symlinks that stay
 * beneath are followed. RESOLVE_NO_MAGICLINKS keeps /proc-style links out
 * even if the root holds a procfs mount. EAGAIN means a concurrent rename
 * or mount made the kernel unsure; it asks us to retry.
 */
static int
open_beneath(int rootfd, const char *rel)
{
#ifdef SYS_openat2
	struct open_how	how;
	int		fd, i;

	if (!force_fallback && !no_openat2) {
		memset(&how, 0, sizeof(how));
		how.flags = OPEN_FLAGS;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
		for (i = 0; i < 4; i++) {
			fd = (int)syscall(SYS_openat2, rootfd, rel, &how,
			    sizeof(how));
			if (fd != -1 || (errno != EAGAIN && errno != ENOSYS &&
			    errno != EPERM))
				return (fd);
			if (errno != EAGAIN)
				break;
		}
		/*
		 * ENOSYS: an old kernel, for good. EPERM: some seccomp
		 * filters (older container runtimes) answer it for syscalls
		 * they do not know; the walk then gives the real answer.
		 */
		if (errno == ENOSYS)
			no_openat2 = true;
	}
#endif
	return (open_walk(rootfd, rel));
}

int
path_open_beneath(int rootfd, const char *rel, bool allow_symlinks,
    struct stat *st)
{
	int	fd, saved;

	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	if (allow_symlinks)
		fd = openat(rootfd, rel, OPEN_FLAGS);
	else
		fd = open_beneath(rootfd, rel);
	if (fd == -1)
		return (-1);
	if (fstat(fd, st) == -1)
		goto fail;
	/* Devices, FIFOs and sockets are never content to serve. */
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
		errno = EACCES;
		goto fail;
	}
	return (fd);
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}
