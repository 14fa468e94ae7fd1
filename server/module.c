/*
 * The module loader: dlopen(3) each module named in modules.load, check
 * its ABI and name, and make its directive table known to the
 * configuration before any scope is parsed. Handles stay open for the
 * process's life, so a graceful restart with the same modules reloads
 * nothing; each configuration keeps its own list, order and hooks.
 */
#include "config.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portier/module.h>
#include "core.h"
#include "hooks_priv.h"

/* The modules.dir and modules.load settings, read ahead of the table parse. */
static void
module_settings(struct pt_conf_ctx *cx, const char **dir,
    const config_setting_t **load)
{
	config_setting_t *const	*roots;
	config_setting_t	*g, *s;
	size_t			 n, i;

	*dir = NULL;
	*load = NULL;
	if ((roots = conf_roots(cx, &n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if ((g = config_setting_get_member(roots[i], "modules")) == NULL ||
		    !config_setting_is_group(g))
			continue;
		if ((s = config_setting_get_member(g, "dir")) != NULL &&
		    config_setting_type(s) == CONFIG_TYPE_STRING)
			*dir = pt_conf_path(cx, s, config_setting_get_string(s));
		if ((s = config_setting_get_member(g, "load")) != NULL)
			*load = s;
	}
}

static const struct pt_module *
module_open(struct pt_conf_ctx *cx, const config_setting_t *at,
    const char *dir, const char *name)
{
	const struct pt_module	*m;
	char			 path[PATH_MAX];
	void			*h;

	snprintf(path, sizeof(path), "%s/%s.so", dir, name);
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		pt_conf_error(cx, at, "cannot load %s: %s (is it built and in "
		    "modules.dir?)", name, dlerror());
		return (NULL);
	}
	if ((m = dlsym(h, "portier_module")) == NULL) {
		pt_conf_error(cx, at, "%s: no portier_module symbol (not a "
		    "Portier module)", path);
		return (NULL);
	}
	if (m->abi != PT_MODULE_ABI) {
		pt_conf_error(cx, at, "%s: built for module ABI %u, this "
		    "portier has %u (rebuild it against these headers)", path,
		    m->abi, PT_MODULE_ABI);
		return (NULL);
	}
	if (m->name == NULL || strncmp(name, "mod_", 4) != 0 ||
	    strcmp(name + 4, m->name) != 0) {
		pt_conf_error(cx, at, "%s: calls itself \"%s\" (a module file "
		    "is named mod_<name>.so)", path, m->name ? m->name : "");
		return (NULL);
	}
	return (m);
}

/* Appends m to the configuration's module list and makes its group known. */
static void
module_add(struct pt_conf_ctx *cx, const config_setting_t *at,
    const struct pt_module *m)
{
	struct pt_conf		 *conf = cx->conf;
	struct conf_owner	 *o;
	const struct pt_module	**v;
	size_t			  i;

	for (i = 0; i < conf->nmodules; i++) {
		if (conf->modules[i] == m) {
			pt_conf_error(cx, at, "mod_%s is loaded twice", m->name);
			return;
		}
	}
	if ((v = pt_calloc(conf->arena, conf->nmodules + 1, sizeof(*v))) == NULL)
		return;
	if (conf->nmodules > 0)
		memcpy(v, conf->modules, conf->nmodules * sizeof(*v));
	v[conf->nmodules++] = m;
	conf->modules = v;
	if ((o = conf_owner_add(cx, m->name)) != NULL) {
		static const struct pt_directive none[] = { PT_DIRECTIVE_END };

		o->table = m->directives != NULL ? m->directives : none;
		o->conf_size = m->conf_size;
	}
}

/* conf_overrides.load_modules: called by conf_load before the parse. */
void
module_load_all(struct pt_conf_ctx *cx)
{
	const struct conf_overrides	*ov = cx->ov;
	const config_setting_t		*load, *e;
	const struct pt_module		*m;
	const char			*dir, *name;
	int				 i, n;

	module_settings(cx, &dir, &load);
	if (ov != NULL && ov->modules_dir != NULL)
		dir = ov->modules_dir;
	if (dir == NULL)
		dir = PT_MODULES_DIR;
	if (load == NULL)
		return;
	n = config_setting_is_aggregate(load) ? config_setting_length(load) : 1;
	for (i = 0; i < n; i++) {
		e = config_setting_is_aggregate(load) ?
		    config_setting_get_elem(load, (unsigned int)i) : load;
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			continue;	/* the table parse reports the type */
		name = config_setting_get_string(e);
		if ((m = module_open(cx, e, dir, name)) != NULL)
			module_add(cx, e, m);
	}
}

/* Index of m in the configuration's list, or -1. */
static int
module_index(const struct pt_conf *conf, const struct pt_module *m)
{
	size_t i;

	for (i = 0; i < conf->nmodules; i++)
		if (conf->modules[i] == m ||
		    strcmp(conf->modules[i]->name, m->name) == 0)
			return ((int)i);
	return (-1);
}

PT_API const void *
pt_module_conf(const struct pt_request *r, const struct pt_module *m)
{
	int k = module_index(r->conf, m);

	if (k < 0)
		return (NULL);
	if (r->route != NULL && r->route->mod_conf != NULL)
		return (r->route->mod_conf[k]);
	if (r->srv != NULL && r->srv->mod_conf != NULL)
		return (r->srv->mod_conf[k]);
	return (r->conf->mod_conf != NULL ? r->conf->mod_conf[k] : NULL);
}

PT_API const void *
pt_module_conf_global(const struct pt_conf *conf, const struct pt_module *m)
{
	int k = module_index(conf, m);

	return (k < 0 || conf->mod_conf == NULL ? NULL : conf->mod_conf[k]);
}

PT_API size_t
pt_conf_server_count(const struct pt_conf *conf)
{
	return (conf->nservers);
}

PT_API const void *
pt_module_conf_server(const struct pt_conf *conf, size_t i,
    const struct pt_module *m)
{
	int k = module_index(conf, m);

	if (k < 0 || i >= conf->nservers || conf->servers[i].mod_conf == NULL)
		return (NULL);
	return (conf->servers[i].mod_conf[k]);
}

PT_API const struct pt_strlist *
pt_conf_server_names(const struct pt_conf *conf, size_t i)
{
	return (i < conf->nservers ? &conf->servers[i].names : NULL);
}

PT_API const char *
pt_conf_server_listen(const struct pt_conf *conf, size_t i, size_t j)
{
	if (i >= conf->nservers || j >= conf->servers[i].nlisten)
		return (NULL);
	return (conf->servers[i].listen[j].text);
}

/*
 * After a successful load: each module registers its hooks into the
 * configuration's registry, then post_config runs (in the master). A
 * failure refuses the whole configuration.
 */
int
module_activate(struct pt_conf *conf, FILE *errs)
{
	size_t	i;
	int	rc;

	if ((conf->hooks = hooks_new(conf->arena)) == NULL)
		return (-1);
	hooks_core_register(conf->hooks);
	for (i = 0; i < conf->nmodules; i++) {
		hooks_set_module(conf->hooks, conf->modules[i]->name);
		if (conf->modules[i]->register_hooks != NULL &&
		    conf->modules[i]->register_hooks(conf->hooks) != 0) {
			fprintf(errs, "%s: mod_%s refused to register its hooks\n",
			    conf->file, conf->modules[i]->name);
			return (-1);
		}
	}
	hooks_sort(conf->hooks);
	if ((rc = hooks_run_post_config(conf->hooks, conf)) != PT_OK) {
		fprintf(errs, "%s: post_config of mod_%s failed\n", conf->file,
		    hooks_failed_module(conf->hooks));
		return (-1);
	}
	return (0);
}
