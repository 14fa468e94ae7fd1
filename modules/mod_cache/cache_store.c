/*
 * mod_cache's files: one per stored response, named after the key's hash,
 * written under a temporary name and renamed into place when complete, so
 * a worker that dies mid-write leaves no entry. A header with a magic, the
 * lengths and a checksum lets a restart find the files again and drop
 * partial or corrupt ones. The index is cache_index.c. A zone with memory
 * keeps small objects there instead, in the same format (the checksum
 * left 0: written under the zone's lock) and with no file
 * (cs_commit, cs_open_mem); a file is then created only once an object
 * outgrows memory_max_object.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <portier/arena.h>
#define PT_LOG_TAG "cache"
#include <portier/log.h>
#include "cache.h"

#define CS_MAGIC	"PTCACHE2"
#define CS_SMALL	(32 * 1024)	/* read whole, sent from memory */
#define CS_HEAD_READ	2048		/* a large file's first read */

struct cs_hdr {
	char		 magic[8];
	uint32_t	 status, nfields, fields_len, key_len;
	struct cache_hash h, primary;
	int64_t		 req_time, resp_time;
	int64_t		 req_ms;		/* for purges: stored before */
	char		 vary[96];
	uint64_t	 body_len;
	uint64_t	 sum;		/* of everything above */
};

/*
 * A file being written. Up to CS_SMALL bytes of fields, key and body are
 * kept in buf and go out with the header in one writev at commit; past
 * that, the buffer is flushed after a provisional header and the rest
 * streams, the header being rewritten at commit.
 */
struct cs_writer {
	int		 fd;		/* -1 until a file is needed */
	char		 tmp[512];	/* its name, once created */
	const char	*dir;		/* the zone's: outlives the writer */
	struct cs_hdr	 hdr;
	char		*buf;
	size_t		 blen, cap;
	bool		 streaming, failed;
	struct ci_zone	*ix;		/* memory for small bodies, or NULL */
	uint64_t	 mem_max;
};

static uint64_t
fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char	*s = p;

	while (n-- > 0)
		h = (h ^ *s++) * 1099511628211ULL;
	return (h);
}

void
cache_hash_of(const char *s, size_t len, struct cache_hash *h)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint64_t		 a = 14695981039346656037ULL;
	uint64_t		 b = 0x84222325cbf29ce4ULL ^ len;
	size_t			 i;

	/* Two FNV-1a hashes of the key in one pass (the files' names). */
	for (i = 0; i < len; i++) {
		a = (a ^ p[i]) * 1099511628211ULL;
		b = (b ^ p[i]) * 1099511628211ULL;
	}
	h->a = a;
	h->b = b;
	if (h->a == 0 && h->b == 0)
		h->a = 1;
}

void
cs_path(const char *dir, struct cache_hash h, char *out, size_t len)
{
	snprintf(out, len, "%s/%016llx%016llx", dir, (unsigned long long)h.a,
	    (unsigned long long)h.b);
}

/* The header's lengths, against the record's size. */
static bool
cs_hdr_sane(const struct cs_hdr *hd, uint64_t size)
{
	return (memcmp(hd->magic, CS_MAGIC, 8) == 0 &&
	    hd->fields_len <= (1u << 20) && hd->key_len <= 65536 &&
	    size == sizeof(*hd) + hd->fields_len + hd->key_len + hd->body_len);
}

/* A file's header: its checksum too. */
static bool
cs_hdr_ok(const struct cs_hdr *hd, uint64_t size)
{
	return (cs_hdr_sane(hd, size) && hd->sum == fnv(hd,
	    offsetof(struct cs_hdr, sum), 14695981039346656037ULL));
}

static int
cs_read_hdr(int fd, struct cs_hdr *hd, off_t *size)
{
	struct stat	st;

	if (fstat(fd, &st) == -1 || pread(fd, hd, sizeof(*hd), 0) !=
	    (ssize_t)sizeof(*hd) || !cs_hdr_ok(hd, (uint64_t)st.st_size))
		return (-1);
	*size = st.st_size;
	return (0);
}

/* The fields (NUL-terminated names and values) and the key at buf. */
static int
cs_parse(struct pt_arena *a, char *buf, const struct cs_hdr *hd,
    struct cs_meta *m)
{
	char	*p = buf, *end = buf + hd->fields_len;
	size_t	 i;

	if ((m->names = pt_calloc(a, hd->nfields + 1, sizeof(char *))) == NULL ||
	    (m->values = pt_calloc(a, hd->nfields + 1, sizeof(char *))) == NULL)
		return (-1);
	for (i = 0; i < hd->nfields; i++) {
		m->names[i] = p;
		if (p >= end || (p = memchr(p, '\0', (size_t)(end - p))) == NULL)
			return (-1);
		m->values[i] = ++p;
		if (p >= end || (p = memchr(p, '\0', (size_t)(end - p))) == NULL)
			return (-1);
		p++;
	}
	m->nfields = hd->nfields;
	if ((m->key = pt_strndup(a, end, hd->key_len)) == NULL)
		return (-1);
	return (0);
}

/*
 * Reads the head of the file: the whole file in one pread when the index
 * says it is small (the body then comes from memory), else its first
 * CS_HEAD_READ bytes, which hold the header, fields and key unless these
 * are long; *buf points at the fields. -1 when unreadable.
 */
static int
cs_read(struct pt_arena *a, int fd, uint64_t size_hint, struct cs_hdr *hd,
    char **buf, const char **mem)
{
	struct stat	st;
	ssize_t		got;
	size_t		n;

	*mem = NULL;
	if (size_hint >= sizeof(*hd) && size_hint <= CS_SMALL &&
	    (*buf = pt_alloc(a, size_hint + 1)) != NULL &&
	    pread(fd, *buf, size_hint + 1, 0) == (ssize_t)size_hint) {
		memcpy(hd, *buf, sizeof(*hd));
		if (!cs_hdr_ok(hd, size_hint))
			return (-1);
		*mem = *buf;
		*buf += sizeof(*hd);
		return (0);
	}
	/* A large file: header, fields and key in one pread as a rule. */
	if (fstat(fd, &st) == -1 ||
	    (*buf = pt_alloc(a, CS_HEAD_READ + 1)) == NULL ||
	    (got = pread(fd, *buf, CS_HEAD_READ, 0)) < (ssize_t)sizeof(*hd))
		return (-1);
	memcpy(hd, *buf, sizeof(*hd));
	if (!cs_hdr_ok(hd, (uint64_t)st.st_size))
		return (-1);
	n = (size_t)hd->fields_len + hd->key_len;
	if (sizeof(*hd) + n <= (size_t)got) {
		*buf += sizeof(*hd);
		return (0);
	}
	if ((*buf = pt_alloc(a, n + 1)) == NULL ||
	    pread(fd, *buf, n, sizeof(*hd)) != (ssize_t)n)
		return (-1);
	return (0);
}

/* What a record's header says, into m (the fields are parsed apart). */
static void
cs_meta_from_hdr(struct cs_meta *m, const struct cs_hdr *hd)
{
	m->status = (int)hd->status;
	m->req_time = hd->req_time;
	m->resp_time = hd->resp_time;
	m->req_ms = hd->req_ms;
	m->primary = hd->primary;
	memcpy(m->vary, hd->vary, sizeof(m->vary));
	m->vary[sizeof(m->vary) - 1] = '\0';
	m->body_len = hd->body_len;
}

int
cs_open(struct pt_arena *a, const char *dir, struct cache_hash h,
    uint64_t size_hint, struct cs_meta *m)
{
	struct cs_hdr	 hd;
	char		 path[512], *buf;
	const char	*mem;
	int		 fd;

	cs_path(dir, h, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (cs_read(a, fd, size_hint, &hd, &buf, &mem) == -1 ||
	    hd.h.a != h.a || hd.h.b != h.b || cs_parse(a, buf, &hd, m) == -1) {
		PT_LOG(PT_LOG_WARN, "%s: corrupt cache file dropped", path);
		unlink(path);
		close(fd);
		return (-1);
	}
	cs_meta_from_hdr(m, &hd);
	m->body_off = (off_t)(sizeof(hd) + hd.fields_len + hd.key_len);
	m->body_mem = mem != NULL ? mem + m->body_off : NULL;
	m->fd = fd;
	return (0);
}

int
cs_open_mem(struct pt_arena *a, const void *rec, size_t len,
    struct cache_hash h, struct cs_meta *m)
{
	struct cs_hdr	 hd;
	size_t		 n;
	char		*buf;

	if (len < sizeof(hd))
		return (-1);
	memcpy(&hd, rec, sizeof(hd));
	/*
	 * Written whole under the zone's lock before the entry pointed at
	 * it: the lengths are checked, the checksum (for files) is not.
	 */
	if (memcmp(hd.magic, CS_MAGIC, 8) != 0 || hd.h.a != h.a ||
	    hd.h.b != h.b || len != sizeof(hd) + (uint64_t)hd.fields_len +
	    hd.key_len + hd.body_len)
		return (-1);
	/* The fields are copied: they outlive the pin. */
	n = (size_t)hd.fields_len + hd.key_len;
	if ((buf = pt_alloc(a, n + 1)) == NULL)
		return (-1);
	memcpy(buf, (const char *)rec + sizeof(hd), n);
	if (cs_parse(a, buf, &hd, m) == -1)
		return (-1);
	cs_meta_from_hdr(m, &hd);
	m->body_off = (off_t)(sizeof(hd) + n);
	m->body_mem = (const char *)rec + m->body_off;
	m->fd = -1;
	return (0);
}

bool
cs_unlink(const char *dir, struct cache_hash h)
{
	static const char *const kept[] = { "gzip", "br", "zstd" };
	char	path[512], sib[540];
	bool	had;
	size_t	i;

	cs_path(dir, h, path, sizeof(path));
	had = unlink(path) == 0;
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		snprintf(sib, sizeof(sib), "%s.%s", path, kept[i]);
		unlink(sib);
	}
	return (had);
}

static int	cs_stream(struct cs_writer *);

static int
cs_write_all(int fd, const void *p, size_t n)
{
	ssize_t	k;

	while (n > 0) {
		if ((k = write(fd, p, n)) <= 0) {
			if (k == -1 && errno == EINTR)
				continue;
			return (-1);
		}
		p = (const char *)p + k;
		n -= (size_t)k;
	}
	return (0);
}

/* The temporary file, when the object will not stay in memory. */
static int
cs_create(struct cs_writer *w)
{
	static unsigned int	seq;

	if (w->fd != -1)
		return (0);
	snprintf(w->tmp, sizeof(w->tmp), "%s/.tmp.%d.%u", w->dir, (int)ci_pid(),
	    seq++);
	if ((w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		w->failed = true;
		return (-1);
	}
	return (0);
}

struct cs_writer *
cs_begin(struct pt_arena *a, const char *dir, struct cache_hash h,
    const struct cs_meta *m, struct ci_zone *ix, uint64_t mem_max)
{
	struct cs_writer	*w;
	size_t			 i, flen = 0, l, klen;
	char			*fb;

	if ((w = pt_calloc(a, 1, sizeof(*w))) == NULL)
		return (NULL);
	w->fd = -1;
	w->ix = ix;
	w->mem_max = ix != NULL ? mem_max : 0;
	klen = m->key != NULL ? strlen(m->key) : 0;
	for (i = 0; i < m->nfields; i++)
		flen += strlen(m->names[i]) + strlen(m->values[i]) + 2;
	w->cap = flen + klen + w->mem_max > CS_SMALL ? flen + klen +
	    w->mem_max : CS_SMALL;
	if ((fb = pt_alloc(a, w->cap + 1)) == NULL)
		return (NULL);
	for (i = 0, flen = 0; i < m->nfields; i++) {
		l = strlen(m->names[i]) + 1;
		memcpy(fb + flen, m->names[i], l);
		flen += l;
		l = strlen(m->values[i]) + 1;
		memcpy(fb + flen, m->values[i], l);
		flen += l;
	}
	if (klen > 0)
		memcpy(fb + flen, m->key, klen);
	memcpy(w->hdr.magic, CS_MAGIC, 8);
	w->hdr.status = (uint32_t)m->status;
	w->hdr.nfields = (uint32_t)m->nfields;
	w->hdr.fields_len = (uint32_t)flen;
	w->hdr.key_len = (uint32_t)klen;
	w->hdr.req_ms = m->req_ms;
	w->hdr.h = h;
	w->hdr.primary = m->primary;
	w->hdr.req_time = m->req_time;
	w->hdr.resp_time = m->resp_time;
	memcpy(w->hdr.vary, m->vary, sizeof(w->hdr.vary));
	w->dir = dir;
	/* Without memory, an unwritable directory shows at once. */
	if (ix == NULL && cs_create(w) == -1)
		return (NULL);
	w->buf = fb;
	w->blen = flen + klen;
	if (w->blen > w->cap && cs_stream(w) == -1) {
		cs_abort(w);
		return (NULL);
	}
	return (w);
}

int
cs_write(struct cs_writer *w, const void *p, size_t n)
{
	if (w->failed)
		return (-1);
	if (!w->streaming && w->blen + n <= w->cap) {
		memcpy(w->buf + w->blen, p, n);
		w->blen += n;
	} else if ((!w->streaming && cs_stream(w) == -1) ||
	    cs_write_all(w->fd, p, n) == -1)
		return (-1);
	w->hdr.body_len += n;
	return (0);
}

void
cs_abort(struct cs_writer *w)
{
	if (w == NULL)
		return;
	w->failed = true;
	if (w->fd == -1)
		return;
	close(w->fd);
	unlink(w->tmp);
	w->fd = -1;
}

/* The header (its checksum not yet right) and what was kept, written. */
static int
cs_stream(struct cs_writer *w)
{
	w->streaming = true;
	if (cs_create(w) == -1 ||
	    cs_write_all(w->fd, &w->hdr, sizeof(w->hdr)) == -1 ||
	    cs_write_all(w->fd, w->buf, w->blen) == -1)
		return (-1);
	w->blen = 0;
	return (0);
}

/* A small object: header and buffer in one writev (short: a full disk). */
static int
cs_write_small(struct cs_writer *w)
{
	struct iovec	iov[2];
	ssize_t		n;

	iov[0].iov_base = &w->hdr;
	iov[0].iov_len = sizeof(w->hdr);
	iov[1].iov_base = w->buf;
	iov[1].iov_len = w->blen;
	while ((n = writev(w->fd, iov, 2)) == -1 && errno == EINTR)
		;
	if (n >= 0 && n != (ssize_t)(sizeof(w->hdr) + w->blen))
		errno = ENOSPC;
	return (n == (ssize_t)(sizeof(w->hdr) + w->blen) ? 0 : -1);
}

/* A small body goes to memory; false when it does not fit there. */
static bool
cs_commit_mem(struct cs_writer *w, uint64_t *size)
{
	struct iovec	iov[2];

	if (w->streaming || w->ix == NULL || w->hdr.body_len > w->mem_max)
		return (false);
	iov[0].iov_base = &w->hdr;
	iov[0].iov_len = sizeof(w->hdr);
	iov[1].iov_base = w->buf;
	iov[1].iov_len = w->blen;
	if (ci_store_mem(w->ix, w->dir, w->hdr.h, iov, 2, sizeof(w->hdr) +
	    w->blen) == -1)
		return (false);
	*size = sizeof(w->hdr) + w->blen;
	w->failed = true;	/* done: nothing more is written */
	return (true);
}

int
cs_commit(struct cs_writer *w, uint64_t *size, bool *in_mem)
{
	char	path[512];
	int	rc;

	/*
	 * A memory record is copied whole under the zone's lock before its
	 * entry points at it: only files carry (and need) the checksum.
	 */
	w->hdr.sum = 0;
	if ((*in_mem = cs_commit_mem(w, size)))
		return (0);
	w->hdr.sum = fnv(&w->hdr, offsetof(struct cs_hdr, sum),
	    14695981039346656037ULL);
	if (w->failed || cs_create(w) == -1)
		return (-1);
	rc = w->streaming ? (pwrite(w->fd, &w->hdr, sizeof(w->hdr), 0) ==
	    (ssize_t)sizeof(w->hdr) ? 0 : -1) : cs_write_small(w);
	cs_path(w->dir, w->hdr.h, path, sizeof(path));
	if (rc == -1 || rename(w->tmp, path) == -1) {
		cs_abort(w);
		return (-1);
	}
	close(w->fd);
	w->fd = -1;
	*size = sizeof(w->hdr) + w->hdr.fields_len + w->hdr.key_len +
	    w->hdr.body_len;
	return (0);
}

static bool
cs_is_name(const char *n)
{
	size_t	i;

	for (i = 0; n[i] != '\0'; i++)
		if (!strchr("0123456789abcdef", n[i]))
			return (false);
	return (i == 32);
}

/* One object's key and tags (Surrogate-Key, Cache-Tag), for cs_scan. */
static bool
cs_scan_one(int fd, const void *rec, const struct cs_hdr *hd, cs_scan_fn fn,
    void *arg)
{
	size_t	 n = (size_t)hd->fields_len + hd->key_len, i, at = 0, l;
	char	*buf, *tags, *p, *v, *end;
	bool	 rm = false;

	if ((buf = malloc(n + 1)) == NULL || (tags = malloc(n + 1)) == NULL) {
		free(buf);
		return (false);
	}
	if (rec != NULL)
		memcpy(buf, (const char *)rec + sizeof(*hd), n);
	if (rec != NULL || pread(fd, buf, n, sizeof(*hd)) == (ssize_t)n) {
		buf[n] = '\0';		/* ends the key, after the fields */
		end = buf + hd->fields_len;
		for (p = buf, i = 0; i < hd->nfields && p < end; i++) {
			v = p + strnlen(p, (size_t)(end - p)) + 1;
			if (v >= end)
				break;
			l = strnlen(v, (size_t)(end - v));
			if (strcasecmp(p, "Surrogate-Key") == 0 ||
			    strcasecmp(p, "Cache-Tag") == 0) {
				memcpy(tags + at, v, l);
				at += l;
				tags[at++] = ' ';
			}
			p = v + l + 1;
		}
		tags[at] = '\0';
		rm = fn(arg, hd->h, end, tags, hd->req_ms);
	}
	free(tags);
	free(buf);
	return (rm);
}

int
cs_scan(const char *dir, cs_scan_fn fn, void *arg)
{
	DIR		*d;
	struct dirent	*de;
	struct cs_hdr	 hd;
	char		 path[512];
	off_t		 size;
	int		 fd, n = 0;

	if ((d = opendir(dir)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		if (!cs_is_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		if (cs_read_hdr(fd, &hd, &size) == 0 &&
		    cs_scan_one(fd, NULL, &hd, fn, arg))
			n++;
		close(fd);
	}
	closedir(d);
	return (n);
}

bool
cs_scan_record(const void *rec, size_t len, cs_scan_fn fn, void *arg)
{
	struct cs_hdr	hd;

	if (len < sizeof(hd))
		return (false);
	memcpy(&hd, rec, sizeof(hd));
	return (cs_hdr_sane(&hd, len) && cs_scan_one(-1, rec, &hd, fn, arg));
}

/* ".tmp.PID.SEQ" (ours) or "NAME.CODING.tmp.PID..." (mod_deflate's). */
static bool
cs_tmp_stale(const char *dir, const char *name, long long max_age_s)
{
	const char	*t = strstr(name, ".tmp.");
	char		 path[512];
	struct stat	 st;
	long		 pid;

	if (t == NULL)
		return (false);
	pid = strtol(t + 5, NULL, 10);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (pid > 0 && kill((pid_t)pid, 0) == -1 && errno == ESRCH)
		return (true);
	return (stat(path, &st) == 0 && time(NULL) - st.st_mtime > max_age_s);
}

int
cs_tmp_sweep(const char *dir, long long max_age_s)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[512];
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL)
		if (cs_tmp_stale(dir, de->d_name, max_age_s)) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (unlink(path) == 0)
				n++;
		}
	closedir(d);
	if (n > 0)
		PT_LOG(PT_LOG_NOTICE, "cache %s: %d temporary files of "
		    "interrupted writers removed", dir, n);
	return (n);
}

void
cs_rescan(struct ci_zone *z, const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct cs_hdr	 hd;
	char		 path[512];
	off_t		 size;
	int		 fd, kept = 0, dropped = 0;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && strncmp(de->d_name, ".tmp.", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!cs_is_name(de->d_name)) {
			/* ours, or a compressed form being written */
			if (strstr(de->d_name, ".tmp.") != NULL &&
			    unlink(path) == 0)
				dropped++;
			continue;
		}
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		if (cs_read_hdr(fd, &hd, &size) == -1) {
			unlink(path);
			dropped++;
		} else {
			ci_set(z, dir, hd.h, CI_VALID, (uint64_t)size, NULL, 0);
			if (hd.vary[0] != '\0')
				ci_set(z, dir, hd.primary, CI_VALID, 0, hd.vary,
				    0);
			kept++;
		}
		close(fd);
	}
	closedir(d);
	if (kept > 0 || dropped > 0)
		PT_LOG(PT_LOG_NOTICE, "cache %s: %d objects found again, %d "
		    "partial or corrupt files dropped", dir, kept, dropped);
}
