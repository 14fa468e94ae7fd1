/*
 * Pool names in modules' directives (mod_ssl's ssl.upstreams): a module's
 * group is parsed before the core's upstreams, so the names wait here and
 * are checked once the whole configuration is parsed, while the settings
 * (file and line) are still there.
 */
#include "config.h"

#include "conf_upstream.h"

#include <string.h>

#include "core.h"
#include "upstream.h"

struct conf_upstream_ref {
	const config_setting_t	 *at;
	const char		 *name;
	struct conf_upstream_ref *next;
};

PT_API void
pt_conf_need_upstream(struct pt_conf_ctx *cx, const config_setting_t *s,
    const char *name)
{
	struct conf_upstream_ref *ref;

	if (name == NULL)
		return;
	if ((ref = pt_calloc(cx->arena, 1, sizeof(*ref))) == NULL ||
	    (ref->name = pt_strdup(cx->arena, name)) == NULL) {
		pt_conf_error(cx, s, "out of memory");
		return;
	}
	ref->at = s;
	ref->next = cx->uprefs;
	cx->uprefs = ref;
}

void
conf_upstream_refs_check(struct pt_conf_ctx *cx)
{
	struct conf_upstream_ref	*ref, *next, *prev = NULL;
	const char			*frag;

	/* Newest first: turned around, to report in file order. */
	for (ref = cx->uprefs; ref != NULL; ref = next) {
		next = ref->next;
		ref->next = prev;
		prev = ref;
	}
	cx->uprefs = NULL;
	/* The parse is over: no list is being concatenated any more. */
	cx->adj_list = NULL;
	for (ref = prev; ref != NULL; ref = ref->next) {
		if (upstream_find(cx->conf, ref->name) != NULL)
			continue;
		frag = conf_upstream_unknown(cx, ref->name);
		pt_conf_error(cx, ref->at, "%s", frag != NULL ? frag :
		    "out of memory");
	}
}
