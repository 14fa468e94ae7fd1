/*
 * mod_rewrite, pure: maps by name (the declared ones and the internal
 * functions) and the reading of txt and rnd map files, which happens when
 * the configuration loads (so a graceful restart reads them again).
 * Lookups are in rewrite_engine.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portier/arena.h>
#include "rewrite_engine.h"

static const struct rw_map rw_internal_maps[] = {
	{ .name = "tolower", .type = RW_MAP_TOLOWER },
	{ .name = "toupper", .type = RW_MAP_TOUPPER },
	{ .name = "escape", .type = RW_MAP_ESCAPE },
	{ .name = "unescape", .type = RW_MAP_UNESCAPE },
};

const struct rw_map *
rw_map_internal(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(rw_internal_maps) / sizeof(rw_internal_maps[0]);
	    i++)
		if (strlen(rw_internal_maps[i].name) == len &&
		    strncmp(rw_internal_maps[i].name, name, len) == 0)
			return (&rw_internal_maps[i]);
	return (NULL);
}

const struct rw_map *
rw_map_find(const struct rw_maps *maps, const char *name, size_t len)
{
	size_t i;

	for (i = 0; maps != NULL && i < maps->n; i++)
		if (strlen(maps->v[i].name) == len &&
		    strncmp(maps->v[i].name, name, len) == 0)
			return (&maps->v[i]);
	return (rw_map_internal(name, len));
}

/* --- map files -------------------------------------------------------------- */

static int
rw_entry_cmp(const void *x, const void *y)
{
	const struct rw_map_entry *a = x, *b = y;
	int c = strcmp(a->key, b->key);

	if (c != 0)
		return (c);
	return (a->line < b->line ? -1 : a->line > b->line);
}

/* One "key value" line; 0 added, 1 blank or comment, -1 error. */
static int
rw_map_line(struct pt_arena *a, struct rw_map *m, char *line, size_t lineno,
    size_t *cap, char *err, size_t errlen)
{
	char			*k, *v, *e;
	struct rw_map_entry	*nv;

	for (k = line; *k == ' ' || *k == '\t'; k++)
		;
	if (*k == '\0' || *k == '#' || *k == '\n' || *k == '\r')
		return (1);
	for (v = k; *v != '\0' && *v != ' ' && *v != '\t' && *v != '\n' &&
	    *v != '\r'; v++)
		;
	e = v;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v == '\0' || *v == '\n' || *v == '\r' || *v == '#') {
		snprintf(err, errlen, "%s:%zu: \"%.*s\" has no value", m->file,
		    lineno, (int)(e - k), k);
		return (-1);
	}
	*e = '\0';
	for (e = v; *e != '\0' && *e != ' ' && *e != '\t' && *e != '\n' &&
	    *e != '\r'; e++)
		;
	*e = '\0';
	if (m->n == *cap) {
		*cap = *cap == 0 ? 64 : *cap * 2;
		if ((nv = pt_calloc(a, *cap, sizeof(*nv))) == NULL)
			return (-1);
		if (m->n > 0)
			memcpy(nv, m->v, m->n * sizeof(*nv));
		m->v = nv;
	}
	m->v[m->n].key = pt_strdup(a, k);
	m->v[m->n].val = pt_strdup(a, v);
	m->v[m->n].line = lineno;
	if (m->v[m->n].key == NULL || m->v[m->n].val == NULL)
		return (-1);
	m->n++;
	return (0);
}

int
rw_map_load(struct pt_arena *a, struct rw_map *m, char *err, size_t errlen)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 linecap = 0, lineno = 0, cap = 0;
	int	 rc = 0;

	m->n = 0;
	m->v = NULL;
	if ((fp = fopen(m->file, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", m->file, strerror(errno));
		return (-1);
	}
	while (rc != -1 && getline(&line, &linecap, fp) != -1) {
		lineno++;
		rc = rw_map_line(a, m, line, lineno, &cap, err, errlen);
		if (rc == -1 && err[0] == '\0')
			snprintf(err, errlen, "out of memory");
	}
	if (rc != -1 && ferror(fp)) {
		snprintf(err, errlen, "%s: %s", m->file, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(fp);
	if (rc == -1)
		return (-1);
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(*m->v), rw_entry_cmp);
	return (0);
}
