/*
 * Destination domain sets for the forward proxy's rules: an open
 * addressing hash set over one text blob, built to load a block list of a
 * million names in well under a second and to answer "is this host or a
 * domain above it listed" with one probe per label. Pure: no server state.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forward.h"

struct dl_slot {
	uint32_t	 hash;		/* low bits of the full hash; 0 = empty */
	uint32_t	 len;
	uint64_t	 off;		/* in blob */
};

struct domain_list {
	struct dl_slot	*slots;
	size_t		 mask;		/* slots - 1, a power of two minus 1 */
	size_t		 count;
	char		*blob;		/* names, lowercase, back to back */
	size_t		 blob_len, blob_cap;
};

static uint32_t
dl_hash(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a 64 */
	size_t	 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 32;
	return ((uint32_t)h | 1u);	/* never 0: 0 marks an empty slot */
}

static int
dl_resize(struct domain_list *d, size_t nslots)
{
	struct dl_slot	*ns, *os = d->slots;
	size_t		 i, j, omask = d->mask;

	if ((ns = calloc(nslots, sizeof(*ns))) == NULL)
		return (-1);
	for (i = 0; os != NULL && i <= omask; i++) {
		if (os[i].hash == 0)
			continue;
		for (j = os[i].hash & (nslots - 1); ns[j].hash != 0;
		    j = (j + 1) & (nslots - 1))
			;
		ns[j] = os[i];
	}
	free(os);
	d->slots = ns;
	d->mask = nslots - 1;
	return (0);
}

struct domain_list *
domain_list_new(size_t hint)
{
	struct domain_list	*d;
	size_t			 n = 64;

	while (n < hint * 2 && n < ((size_t)1 << 40))
		n <<= 1;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (NULL);
	if (dl_resize(d, n) == -1) {
		free(d);
		return (NULL);
	}
	return (d);
}

void
domain_list_free(struct domain_list *d)
{
	if (d == NULL)
		return;
	free(d->slots);
	free(d->blob);
	free(d);
}

size_t
domain_list_count(const struct domain_list *d)
{
	return (d->count);
}

/* The slot of name, or of the empty slot where it would go. */
static size_t
dl_find(const struct domain_list *d, const char *p, size_t len, uint32_t h)
{
	size_t i;

	for (i = h & d->mask; d->slots[i].hash != 0; i = (i + 1) & d->mask)
		if (d->slots[i].hash == h && d->slots[i].len == len &&
		    memcmp(d->blob + d->slots[i].off, p, len) == 0)
			break;
	return (i);
}

/* Trims blanks, "*." / "." in front and a dot at the end. */
static void
dl_trim(const char **p, size_t *len)
{
	while (*len > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t' ||
	    (*p)[*len - 1] == '\r' || (*p)[*len - 1] == '.'))
		(*len)--;
	if (*len >= 2 && (*p)[0] == '*' && (*p)[1] == '.') {
		*p += 2;
		*len -= 2;
	} else if (*len > 0 && **p == '.') {
		(*p)++;
		(*len)--;
	}
}

int
domain_list_add(struct domain_list *d, const char *name, size_t len)
{
	char		*nb, *at;
	size_t		 i, ncap;
	uint32_t	 h;

	dl_trim(&name, &len);
	if (len == 0 || len > 253)
		return (0);
	if (d->blob_len + len > d->blob_cap) {
		ncap = d->blob_cap == 0 ? 4096 : d->blob_cap * 2;
		while (ncap < d->blob_len + len)
			ncap *= 2;
		if ((nb = realloc(d->blob, ncap)) == NULL)
			return (-1);
		d->blob = nb;
		d->blob_cap = ncap;
	}
	at = d->blob + d->blob_len;
	for (i = 0; i < len; i++)
		at[i] = (name[i] >= 'A' && name[i] <= 'Z') ?
		    (char)(name[i] + 32) : name[i];
	h = dl_hash(at, len);
	i = dl_find(d, at, len, h);
	if (d->slots[i].hash != 0)
		return (0);
	d->slots[i].hash = h;
	d->slots[i].len = (uint32_t)len;
	d->slots[i].off = d->blob_len;
	d->blob_len += len;
	d->count++;
	if (d->count * 2 > d->mask + 1 && dl_resize(d, (d->mask + 1) * 2) == -1)
		return (-1);
	return (1);
}

/* One line of a list file: its name (the last word), or nothing. */
static int
dl_add_line(struct domain_list *d, const char *p, size_t len)
{
	const char	*hash = memchr(p, '#', len), *sp;
	size_t		 k;

	if (hash != NULL)
		len = (size_t)(hash - p);
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' ||
	    p[len - 1] == '\r'))
		len--;
	for (k = len; k > 0; k--)
		if (p[k - 1] == ' ' || p[k - 1] == '\t')
			break;
	sp = p + k;
	return (domain_list_add(d, sp, len - k) == -1 ? -1 : 0);
}

int
domain_list_load(struct domain_list *d, const char *path)
{
	struct stat	 st;
	char		*text, *p, *end, *nl;
	ssize_t		 k;
	size_t		 got = 0;
	int		 fd, rc = 0, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1 || (text = malloc((size_t)st.st_size + 1)) ==
	    NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	while (got < (size_t)st.st_size && (k = read(fd, text + got,
	    (size_t)st.st_size - got)) > 0)
		got += (size_t)k;
	close(fd);
	/* About 20 bytes a line: size the table once, not by doubling. */
	if (d->count == 0 && got / 10 > d->mask && dl_resize(d,
	    (size_t)1 << (64 - __builtin_clzll((unsigned long long)got / 10))) ==
	    -1) {
		free(text);
		return (-1);
	}
	for (p = text, end = text + got; p < end && rc == 0; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		rc = dl_add_line(d, p, (size_t)(nl - p));
	}
	free(text);
	return (rc);
}

bool
domain_list_match(const struct domain_list *d, const char *host, size_t len)
{
	const char	*dot;
	size_t		 i;

	if (d == NULL || d->count == 0)
		return (false);
	while (len > 0) {
		i = dl_find(d, host, len, dl_hash(host, len));
		if (d->slots[i].hash != 0)
			return (true);
		if ((dot = memchr(host, '.', len)) == NULL)
			break;
		len -= (size_t)(dot + 1 - host);
		host = dot + 1;
	}
	return (false);
}
