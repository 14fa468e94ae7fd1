/*
 * Configuration loader: reads the main file and what its include = [ ... ]
 * globs name, each on its own config_t, reports every error as
 * "file:line: key: message (hint)" in file order, and flags keys no table
 * consumed. Typed parsing lives in conf_util.c, the core tables in
 * conf_core.c, the -T dump in conf_dump.c.
 */
#include "config.h"

#include "conf.h"
#include "conf_upstream.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena_priv.h"

/*
 * Modules whose group name is known before any module is loaded, so that
 * "ssl = { ... }" without mod_ssl says what to do instead of "unknown".
 */
static const char *const conf_module_names[] = {
	"ssl", "rewrite", "waf", "cache", "headers", "deflate", "status",
	"limits", NULL
};

static size_t
conf_file_index(struct pt_conf_ctx *cx, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < cx->nfiles; i++)
		if (strcmp(cx->files[i]->name, name) == 0)
			return (i);
	return (cx->nfiles);
}

/* Appends ".name" (or "name" first), or "[idx]" when name is NULL. */
static void
conf_path_add(char *buf, size_t len, const char *name, int idx)
{
	size_t used = strlen(buf);

	if (used + 1 >= len)
		return;
	if (name != NULL)
		snprintf(buf + used, len - used, "%s%s", used > 0 ? "." : "",
		    name);
	else
		snprintf(buf + used, len - used, "[%d]", idx);
}

/*
 * The dotted key of s as the operator wrote it: servers[3].routes[0].root.
 * Indexes in a list concatenated across files count from the first file.
 */
static void
conf_key_path(struct pt_conf_ctx *cx, const config_setting_t *s,
    const char *key, char *buf, size_t len)
{
	const config_setting_t	*chain[32], *p;
	int			 n = 0, idx;

	buf[0] = '\0';
	if (s != NULL && config_setting_source_file(s) == NULL &&
	    cx->dflt_key != NULL) {
		snprintf(buf, len, "%s", cx->dflt_key);
		s = NULL;
	}
	for (p = s; p != NULL && !config_setting_is_root(p) && n < 32;
	    p = config_setting_parent(p))
		chain[n++] = p;
	while (n-- > 0) {
		p = chain[n];
		if (config_setting_name(p) != NULL) {
			conf_path_add(buf, len, config_setting_name(p), 0);
			continue;
		}
		idx = config_setting_index(p);
		if (config_setting_parent(p) == cx->adj_list)
			idx += cx->adj;
		conf_path_add(buf, len, NULL, idx);
	}
	if (key != NULL)
		conf_path_add(buf, len, key, 0);
}

static void
conf_msg_add(struct pt_conf_ctx *cx, size_t file, unsigned int line,
    const char *text)
{
	struct conf_msg	*m;
	size_t		 cap;

	if (text == NULL)
		return;		/* out of memory: still counted */
	if (cx->nmsgs == cx->msgs_cap) {
		cap = cx->msgs_cap == 0 ? 16 : cx->msgs_cap * 2;
		if ((m = realloc(cx->msgs, cap * sizeof(*m))) == NULL) {
			/* Unsorted, but not lost. */
			fprintf(cx->errs, "%s\n", text);
			return;
		}
		cx->msgs = m;
		cx->msgs_cap = cap;
	}
	m = &cx->msgs[cx->nmsgs];
	m->file = file;
	m->line = line;
	m->seq = cx->nmsgs++;
	m->text = text;
}

static void	conf_vreport(struct pt_conf_ctx *, const config_setting_t *,
		    const char *, bool, const char *, va_list)
		    __attribute__((__format__(printf, 5, 0)));

static void
conf_vreport(struct pt_conf_ctx *cx, const config_setting_t *s,
    const char *key, bool warn, const char *fmt, va_list ap)
{
	char		 path[512], *msg, *line;
	const char	*file;
	unsigned int	 lineno = 0;

	conf_key_path(cx, s, key, path, sizeof(path));
	if (s != NULL && (file = config_setting_source_file(s)) != NULL)
		lineno = config_setting_source_line(s);
	else if (cx->dflt_key != NULL)
		file = "built-in default";
	else
		file = cx->nfiles > 0 ? cx->files[0]->name : "portier";
	if (!warn)
		cx->nerrors++;
	if ((msg = pt_vprintf(cx->arena, fmt, ap)) == NULL)
		msg = "out of memory";
	if (lineno > 0)
		line = pt_printf(cx->arena, "%s:%u: %s%s%s%s", file, lineno,
		    path, path[0] != '\0' ? ": " : "", warn ? "warning: " : "",
		    msg);
	else
		line = pt_printf(cx->arena, "%s: %s%s%s%s", file, path,
		    path[0] != '\0' ? ": " : "", warn ? "warning: " : "", msg);
	if (line != NULL)
		conf_msg_add(cx, conf_file_index(cx, file), lineno, line);
}

void
pt_conf_error(struct pt_conf_ctx *cx, const config_setting_t *s,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vreport(cx, s, NULL, false, fmt, ap);
	va_end(ap);
}

void
pt_conf_warn(struct pt_conf_ctx *cx, const config_setting_t *s,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vreport(cx, s, NULL, true, fmt, ap);
	va_end(ap);
}

/* Like pt_conf_error for a key that is not written: positioned at its group. */
void
conf_error_key(struct pt_conf_ctx *cx, const config_setting_t *group,
    const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vreport(cx, group, key, false, fmt, ap);
	va_end(ap);
}

static int
conf_msg_cmp(const void *a, const void *b)
{
	const struct conf_msg *x = a, *y = b;

	if (x->file != y->file)
		return (x->file < y->file ? -1 : 1);
	if (x->line != y->line)
		return (x->line < y->line ? -1 : 1);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Errors come out in file and line order, not in table order. */
static void
conf_msgs_flush(struct pt_conf_ctx *cx)
{
	size_t i;

	if (cx->nmsgs > 1)
		qsort(cx->msgs, cx->nmsgs, sizeof(*cx->msgs), conf_msg_cmp);
	for (i = 0; i < cx->nmsgs; i++)
		fprintf(cx->errs, "%s\n", cx->msgs[i].text);
	fflush(cx->errs);
	free(cx->msgs);
	cx->msgs = NULL;
	cx->nmsgs = cx->msgs_cap = 0;
}

struct pt_arena *
pt_conf_arena(struct pt_conf_ctx *cx)
{
	return (cx->arena);
}

/* The absolute folder of the file that holds s (the main file for defaults). */
const char *
conf_file_dir(struct pt_conf_ctx *cx, const config_setting_t *s)
{
	const char	*src;
	char		*copy, *abs, *slash;
	size_t		 i;

	src = s != NULL ? config_setting_source_file(s) : NULL;
	if (src == NULL)
		return (cx->nfiles > 0 ? cx->files[0]->dir : NULL);
	if ((i = conf_file_index(cx, src)) < cx->nfiles)
		return (cx->files[i]->dir);
	/* A file libconfig's own @include pulled in. */
	if ((copy = conf_strdup(cx, src)) == NULL)
		return (NULL);
	if ((slash = strrchr(copy, '/')) == NULL)
		abs = realpath(".", NULL);
	else if (slash == copy)
		abs = realpath("/", NULL);
	else {
		*slash = '\0';
		abs = realpath(copy, NULL);
	}
	if (abs == NULL)
		return (NULL);
	copy = conf_strdup(cx, abs);
	free(abs);
	return (copy);
}

const char *
conf_file_text(struct pt_conf_ctx *cx, const config_setting_t *s)
{
	size_t i;

	i = conf_file_index(cx, config_setting_source_file(s));
	return (i < cx->nfiles ? cx->files[i]->text : NULL);
}

/*
 * Drops "." and empty components and folds "dir/.." in an absolute path,
 * in place, without touching the file system: "conf/d/../www" reads
 * better in -T and in errors, and realpath(3) would need the file to exist.
 * The file's folder is already a realpath, so only a symbolic link the
 * operator wrote before a ".." could be folded differently by the kernel.
 */
static void
conf_path_clean(char *path)
{
	char	*in = path, *out = path, *seg;
	size_t	 len;

	while (*in != '\0') {
		while (*in == '/')
			in++;
		seg = in;
		while (*in != '\0' && *in != '/')
			in++;
		len = (size_t)(in - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, len);
		out += len;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

const char *
pt_conf_path(struct pt_conf_ctx *cx, const config_setting_t *s,
    const char *path)
{
	const char	*dir;
	char		*abs;

	if (path[0] == '/')
		abs = conf_strdup(cx, path);
	else if ((dir = conf_file_dir(cx, s)) == NULL)
		return (conf_strdup(cx, path));
	else
		abs = pt_printf(cx->arena, "%s/%s", dir, path);
	if (abs != NULL)
		conf_path_clean(abs);
	return (abs);
}

static char *
conf_slurp(struct pt_conf_ctx *cx, FILE *fp)
{
	char	*text;
	long	 len;

	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0)
		return (NULL);
	if ((text = pt_alloc(cx->arena, (size_t)len + 1)) == NULL)
		return (NULL);
	text[fread(text, 1, (size_t)len, fp)] = '\0';
	return (text);
}

/* Adds a file record; NULL (reported) if it cannot be read. */
static struct conf_file *
conf_file_new(struct pt_conf_ctx *cx, const char *name,
    const config_setting_t *from)
{
	struct conf_file	 *f, **v;
	FILE			 *fp;
	char			 *abs, *slash;

	if ((fp = fopen(name, "r")) == NULL) {
		if (from != NULL) {
			pt_conf_error(cx, from, "cannot open %s: %s", name,
			    strerror(errno));
			return (NULL);
		}
		conf_msg_add(cx, cx->nfiles, 0, pt_printf(cx->arena,
		    "%s: cannot open: %s", name, strerror(errno)));
		cx->nerrors++;
		return (NULL);
	}
	f = conf_calloc(cx, 1, sizeof(*f));
	v = reallocarray(cx->files, cx->nfiles + 1, sizeof(*v));
	abs = realpath(name, NULL);
	if (f == NULL || v == NULL || abs == NULL) {
		if (v != NULL)
			cx->files = v;
		fclose(fp);
		free(abs);
		cx->nerrors++;
		return (NULL);
	}
	cx->files = v;
	f->name = conf_strdup(cx, name);
	f->abspath = conf_strdup(cx, abs);
	slash = strrchr(abs, '/');
	f->dir = slash == abs ? "/" : pt_strndup(cx->arena, abs,
	    (size_t)(slash - abs));
	f->text = conf_slurp(cx, fp);
	free(abs);
	fclose(fp);
	cx->files[cx->nfiles++] = f;
	return (f);
}

/*
 * Reads one file on its own config_t. A syntax error stops libconfig, so
 * it is reported with the file and line libconfig names (an @include'd
 * file's own name) and the semantic pass is skipped.
 */
static struct conf_file *
conf_file_read(struct pt_conf_ctx *cx, const char *name,
    const config_setting_t *from)
{
	struct conf_file	*f;
	const char		*efile;

	if ((f = conf_file_new(cx, name, from)) == NULL)
		return (NULL);
	config_init(&f->cfg);
	f->cfg_live = true;
	config_set_include_dir(&f->cfg, f->dir);
	if (config_read_file(&f->cfg, name) == CONFIG_TRUE)
		return (f);
	efile = config_error_file(&f->cfg) != NULL ?
	    config_error_file(&f->cfg) : name;
	if (config_error_type(&f->cfg) == CONFIG_ERR_FILE_IO ||
	    config_error_line(&f->cfg) <= 0)
		conf_msg_add(cx, conf_file_index(cx, efile), 0,
		    pt_printf(cx->arena, "%s: cannot read: %s", efile,
		    config_error_text(&f->cfg)));
	else
		conf_msg_add(cx, conf_file_index(cx, efile),
		    (unsigned int)config_error_line(&f->cfg),
		    pt_printf(cx->arena, "%s:%d: %s", efile,
		    config_error_line(&f->cfg), config_error_text(&f->cfg)));
	cx->nerrors++;
	return (NULL);
}

static bool
conf_file_known(struct pt_conf_ctx *cx, const char *path)
{
	char	*abs;
	size_t	 i;
	bool	 known = false;

	if ((abs = realpath(path, NULL)) == NULL)
		return (false);
	for (i = 0; i < cx->nfiles && !known; i++)
		known = strcmp(cx->files[i]->abspath, abs) == 0;
	free(abs);
	return (known);
}

/* One pattern of include = [ ... ]: globbed, sorted, each file read once. */
static void
conf_include_one(struct pt_conf_ctx *cx, const config_setting_t *at,
    const char *dispdir, const char *pat)
{
	struct conf_file	*f;
	config_setting_t	*inc;
	glob_t			 g;
	const char		*full;
	size_t			 i, len;
	int			 rc;

	full = pat[0] == '/' || dispdir[0] == '\0' ? pat :
	    pt_printf(cx->arena, "%s/%s", dispdir, pat);
	if (full == NULL)
		return;
	if ((rc = glob(full, GLOB_MARK, NULL, &g)) == GLOB_NOMATCH) {
		/* An empty conf.d is fine; a missing named file is not. */
		if (strpbrk(pat, "*?[") == NULL)
			pt_conf_error(cx, at, "no such file: %s", full);
		return;
	}
	if (rc != 0) {
		pt_conf_error(cx, at, "cannot expand %s", full);
		globfree(&g);
		return;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		len = strlen(g.gl_pathv[i]);
		if (len > 0 && g.gl_pathv[i][len - 1] == '/') {
			/* A folder: skipped when a wildcard matched it. */
			if (strpbrk(pat, "*?[") == NULL)
				pt_conf_error(cx, at, "%s is a folder (include "
				    "\"%s/*.conf\" to read the files in it)",
				    full, pat);
			continue;
		}
		if (conf_file_known(cx, g.gl_pathv[i]))
			continue;
		if ((f = conf_file_read(cx, g.gl_pathv[i], at)) == NULL)
			continue;
		inc = config_setting_get_member(config_root_setting(&f->cfg),
		    "include");
		if (inc != NULL) {
			pt_conf_error(cx, inc, "only allowed in the main file "
			    "(included files do not include others)");
			config_setting_remove(config_root_setting(&f->cfg),
			    "include");
		}
	}
	globfree(&g);
}

/* include = [ "conf.d/NAME.conf", ... ]: relative to the main file's folder. */
static void
conf_includes(struct pt_conf_ctx *cx, const char *mainpath)
{
	config_setting_t	*inc, *at;
	struct pt_strlist	 pats;
	const char		*frag, *dispdir, *slash;
	size_t			 i;

	inc = config_setting_get_member(
	    config_root_setting(&cx->files[0]->cfg), "include");
	if (inc == NULL)
		return;
	if ((frag = conf_strlist_parse(cx, inc, &pats)) != NULL) {
		pt_conf_error(cx, inc, "%s (e.g. include = "
		    "[ \"conf.d/*.conf\" ];)", frag);
		return;
	}
	slash = strrchr(mainpath, '/');
	dispdir = slash == NULL ? "" : slash == mainpath ? "/" :
	    pt_strndup(cx->arena, mainpath, (size_t)(slash - mainpath));
	for (i = 0; i < pats.n && dispdir != NULL; i++) {
		at = config_setting_is_aggregate(inc) ?
		    config_setting_get_elem(inc, (unsigned int)i) : inc;
		conf_include_one(cx, at, dispdir, pats.v[i]);
	}
}

void
conf_owners_init(struct pt_conf_ctx *cx)
{
	size_t i;

	for (i = 0; conf_module_names[i] != NULL; i++)
		;
	if ((cx->owners = conf_calloc(cx, i, sizeof(*cx->owners))) == NULL)
		return;
	cx->nowners = i;
	/*
	 * XXX: modules are not loaded yet. The module loader will read
	 * modules.load first, then set table and conf_size here (adding
	 * owners for modules outside this list); conf_core.c parses each
	 * owner's group at every scope block its table allows.
	 */
	for (i = 0; i < cx->nowners; i++)
		cx->owners[i].name = conf_module_names[i];
}

/* The owner named name, added when it is not known yet (module loader). */
struct conf_owner *
conf_owner_add(struct pt_conf_ctx *cx, const char *name)
{
	struct conf_owner	*o;
	size_t			 i;

	for (i = 0; i < cx->nowners; i++)
		if (strcmp(cx->owners[i].name, name) == 0)
			return (&cx->owners[i]);
	if ((o = conf_calloc(cx, cx->nowners + 1, sizeof(*o))) == NULL)
		return (NULL);
	memcpy(o, cx->owners, cx->nowners * sizeof(*o));
	cx->owners = o;
	o[cx->nowners].name = conf_strdup(cx, name);
	return (&o[cx->nowners++]);
}

/* The top-level group of every file, main file first. */
config_setting_t *const *
conf_roots(struct pt_conf_ctx *cx, size_t *n)
{
	config_setting_t	**roots;
	size_t			  i;

	*n = 0;
	if ((roots = conf_calloc(cx, cx->nfiles, sizeof(*roots))) == NULL)
		return (NULL);
	for (i = 0; i < cx->nfiles; i++)
		roots[i] = config_root_setting(&cx->files[i]->cfg);
	*n = cx->nfiles;
	return (roots);
}

static const struct conf_owner *
conf_owner_find(struct pt_conf_ctx *cx, const char *name)
{
	size_t i;

	for (i = 0; i < cx->nowners; i++)
		if (strcmp(cx->owners[i].name, name) == 0)
			return (&cx->owners[i]);
	return (NULL);
}

/* Whether modules.load (parsed before any server) names mod_<name>. */
static bool
conf_module_listed(struct pt_conf_ctx *cx, const char *name)
{
	const struct pt_strlist	*l = &cx->conf->modules_load;
	size_t			 i;

	for (i = 0; i < l->n; i++)
		if (strncmp(l->v[i], "mod_", 4) == 0 &&
		    strcmp(l->v[i] + 4, name) == 0)
			return (true);
	return (false);
}

/* Where a core key may appear, for "not valid in a route" messages. */
static const struct pt_directive *
conf_core_find(const char *name)
{
	static const struct pt_directive *const tables[] = {
		conf_core_directives, conf_server_directives,
		conf_route_directives, conf_scope_directives, NULL
	};
	const struct pt_directive	*d;
	size_t				 i;

	for (i = 0; tables[i] != NULL; i++)
		for (d = tables[i]; d->name != NULL; d++)
			if (strcmp(d->name, name) == 0)
				return (d);
	return (NULL);
}

static const char *
conf_scope_words(unsigned int scopes)
{
	static const char *const words[] = {
		"", "global", "server", "global and server", "route",
		"global and route", "server and route", "any"
	};

	return (words[scopes & 7]);
}

/* A module's group that no owner consumed in this block. */
static void
conf_owner_unused(struct pt_conf_ctx *cx, const config_setting_t *m,
    const struct conf_owner *o, unsigned int scope)
{
	if (o->table != NULL)
		pt_conf_error(cx, m, "mod_%s has no directives valid in the "
		    "%s scope", o->name, conf_scope_words(scope));
	else if (conf_module_listed(cx, o->name))
		pt_conf_error(cx, m, "belongs to module mod_%s, which is in "
		    "modules.load but was not loaded", o->name);
	else
		pt_conf_error(cx, m, "belongs to module mod_%s, which is not "
		    "loaded (add \"mod_%s\" to modules.load)", o->name,
		    o->name);
}

/* Candidate names for did-you-mean: the keys valid here, and owners. */
static const char **
conf_names_here(struct pt_conf_ctx *cx, unsigned int scope,
    const struct pt_directive *const *tables, bool owners)
{
	const struct pt_directive	*d;
	const char			**v;
	size_t				 n = cx->nowners, i, k = 0;

	for (i = 0; tables[i] != NULL; i++)
		for (d = tables[i]; d->name != NULL; d++)
			n++;
	if ((v = conf_calloc(cx, n + 1, sizeof(*v))) == NULL)
		return (NULL);
	for (i = 0; tables[i] != NULL; i++)
		for (d = tables[i]; d->name != NULL; d++)
			if (d->scopes & scope)
				v[k++] = d->name;
	for (i = 0; owners && i < cx->nowners; i++)
		v[k++] = cx->owners[i].name;
	return (v);
}

/*
 * Every member of group that no table consumed is an error: a module's
 * group when the module is not loaded, a core key in the wrong scope, or
 * an unknown key with the closest valid name. Called once per block,
 * after every owner has parsed it.
 */
void
conf_unknown_check(struct pt_conf_ctx *cx, config_setting_t *group,
    unsigned int scope, const struct pt_directive *const *tables, bool owners)
{
	const struct conf_owner		*o;
	const struct pt_directive	*d;
	config_setting_t		*m;
	const char			*name, **names;
	unsigned int			 i;

	for (i = 0; (m = config_setting_get_elem(group, i)) != NULL; i++) {
		if (conf_is_seen(m) || (name = config_setting_name(m)) == NULL)
			continue;
		if (owners && (o = conf_owner_find(cx, name)) != NULL) {
			conf_owner_unused(cx, m, o, scope);
			continue;
		}
		if (owners && (d = conf_core_find(name)) != NULL &&
		    (d->scopes & scope) == 0) {
			pt_conf_error(cx, m, "not valid in the %s scope (only "
			    "in the %s scope)", conf_scope_words(scope),
			    conf_scope_words(d->scopes));
			continue;
		}
		names = conf_names_here(cx, scope, tables, owners);
		pt_conf_error(cx, m, "unknown directive \"%s\"%s", name,
		    names != NULL ? conf_did_you_mean(cx, name, names) : "");
	}
}

/* The same for records parsed by hand (error_pages entries). */
void
conf_unknown_names(struct pt_conf_ctx *cx, config_setting_t *group,
    const char *const *names)
{
	config_setting_t	*m;
	const char		*name;
	unsigned int		 i;

	for (i = 0; (m = config_setting_get_elem(group, i)) != NULL; i++) {
		if (conf_is_seen(m) || (name = config_setting_name(m)) == NULL)
			continue;
		pt_conf_error(cx, m, "unknown directive \"%s\"%s", name,
		    conf_did_you_mean(cx, name, names));
	}
}

static void
conf_overrides_apply(struct pt_conf_ctx *cx, const struct conf_overrides *ov)
{
	struct pt_conf	*conf = cx->conf;
	char		*cwd;

	if (ov->user != NULL) {
		/* -u is the operator's explicit choice, even of root. */
		conf->user = conf_strdup(cx, ov->user);
		conf->allow_root = true;
	}
	if (ov->modules_dir != NULL) {
		if (ov->modules_dir[0] == '/' ||
		    (cwd = getcwd(NULL, 0)) == NULL) {
			conf->modules_dir = conf_strdup(cx, ov->modules_dir);
			return;
		}
		conf->modules_dir = pt_printf(cx->arena, "%s/%s", cwd,
		    ov->modules_dir);
		free(cwd);
	}
}

static void
conf_files_close(struct pt_conf_ctx *cx)
{
	size_t i;

	for (i = 0; i < cx->nfiles; i++)
		if (cx->files[i]->cfg_live)
			config_destroy(&cx->files[i]->cfg);
	free(cx->files);
	cx->files = NULL;
	cx->nfiles = 0;
}

struct pt_conf *
conf_load(const char *path, const struct conf_overrides *ov, FILE *errs,
    int *nerrors)
{
	struct pt_conf_ctx	 cx;
	struct pt_arena		*a;
	struct pt_conf		*conf;

	memset(&cx, 0, sizeof(cx));
	if ((a = pt_arena_new(16384, 0)) == NULL ||
	    (conf = pt_calloc(a, 1, sizeof(*conf))) == NULL) {
		fprintf(errs, "%s: out of memory\n", path);
		pt_arena_free(a);
		*nerrors = 1;
		return (NULL);
	}
	conf->arena = a;
	cx.conf = conf;
	cx.arena = a;
	cx.errs = errs;
	cx.ov = ov;
	conf_owners_init(&cx);
	if (conf_file_read(&cx, path, NULL) != NULL) {
		conf->file = cx.files[0]->abspath;
		conf_includes(&cx, path);
	}
	/* libconfig stops at a syntax error: checking on would mislead. */
	if (cx.nerrors == 0 && ov != NULL && ov->load_modules != NULL)
		ov->load_modules(&cx);
	if (cx.nerrors == 0)
		conf_core_parse(&cx);
	if (cx.nerrors == 0)
		conf_upstream_refs_check(&cx);
	if (cx.nerrors == 0 && ov != NULL)
		conf_overrides_apply(&cx, ov);
	conf_msgs_flush(&cx);
	conf_files_close(&cx);
	*nerrors = cx.nerrors;
	if (cx.nerrors > 0) {
		pt_arena_free(a);
		return (NULL);
	}
	return (conf);
}

void
conf_free(struct pt_conf *conf)
{
	if (conf != NULL)
		pt_arena_free(conf->arena);
}
