/*
 * Loading a configuration whole: parse and check it, load its modules and
 * run their post_config, load the MIME table, set up the shared memory it
 * asks for (store, upstream state, modules' segments). Used at start, by
 * -t and by every reload; a failure at any step leaves the running
 * configuration and its shared memory untouched.
 */
#include "config.h"

#include <stdio.h>

#include "core.h"
#include "hooks_priv.h"
#include "shm_priv.h"
#include "store_priv.h"
#include "resolver.h"
#include "upstream.h"

struct pt_conf *
setup_load(const char *path, const struct conf_overrides *ov, FILE *errs,
    int *nerrors)
{
	struct pt_conf		*cf;
	struct store_shm	*store;

	shm_generation_begin();
	if ((cf = conf_load(path, ov, errs, nerrors)) == NULL)
		goto fail;
	if (module_activate(cf, errs) == -1 || static_init(cf) == -1) {
		(*nerrors)++;
		goto fail;
	}
	/* Before upstream_init: host names resolve with these settings. */
	if (resolver_configure(&cf->resolver) == -1) {
		fprintf(errs, "%s: resolver: cannot set up name resolution "
		    "(see the error log)\n", cf->file);
		(*nerrors)++;
		goto fail;
	}
	if (upstream_init(cf) == -1) {
		(*nerrors)++;
		goto fail;
	}
	if ((store = store_shm_init((size_t)cf->store_size)) == NULL) {
		fprintf(errs, "%s: store_size: cannot set up the store (%lld "
		    "bytes)\n", cf->file, cf->store_size);
		(*nerrors)++;
		goto fail;
	}
	store_use_provider(&store_shm_provider, store);
	shm_generation_end(true);
	return (cf);
 fail:
	conf_free(cf);
	shm_generation_end(false);
	return (NULL);
}
