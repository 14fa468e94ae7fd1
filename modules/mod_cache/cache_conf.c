/*
 * mod_cache's directives: "cache = { zones = ( ... ); }" at the global
 * level declares zones; "cache = { zone = "main"; }" in a server or a route
 * sends its GET and HEAD requests through one.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include <portier/arena.h>
#include "cache.h"
#include "cache_mem.h"

#define C_ALL	(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

static const char *
cz_str(struct pt_conf_ctx *cx, const config_setting_t *g, const char *k,
    const char *def, bool path)
{
	const char	*v;

	if (!config_setting_lookup_string(g, k, &v))
		v = def;
	if (v == NULL)
		return (NULL);
	return (path ? pt_conf_path(cx, g, v) : pt_strdup(pt_conf_arena(cx), v));
}

static int
cz_one(struct pt_conf_ctx *cx, const config_setting_t *g,
    struct cache_zone_conf *z)
{
	const char	*s, *e;

	if ((z->name = cz_str(cx, g, "name", NULL, false)) == NULL ||
	    (z->dir = cz_str(cx, g, "dir", NULL, true)) == NULL) {
		pt_conf_error(cx, g, "a zone needs name and dir");
		return (-1);
	}
	s = cz_str(cx, g, "size", "64m", false);
	if ((e = pt_parse_size(s, &z->size)) != NULL || z->size < 65536) {
		pt_conf_error(cx, g, "size: %s", e ? e : "at least 64k");
		return (-1);
	}
	s = cz_str(cx, g, "max_object", "1m", false);
	if ((e = pt_parse_size(s, &z->max_object)) != NULL) {
		pt_conf_error(cx, g, "max_object: %s", e);
		return (-1);
	}
	s = cz_str(cx, g, "memory", "32m", false);
	if ((e = pt_parse_size(s, &z->memory)) != NULL ||
	    (z->memory != 0 && z->memory < 4 * CM_PAGE) ||
	    z->memory > (1LL << 31)) {
		pt_conf_error(cx, g, "memory: %s", e ? e : "0 (off), or from "
		    "1m to 2g");
		return (-1);
	}
	s = cz_str(cx, g, "memory_max_object", "32k", false);
	if ((e = pt_parse_size(s, &z->memory_max_object)) != NULL ||
	    z->memory_max_object > CM_MAX_BODY) {
		pt_conf_error(cx, g, "memory_max_object: %s", e ? e :
		    "at most 128k");
		return (-1);
	}
	s = cz_str(cx, g, "inactive", "10m", false);
	if ((e = pt_parse_duration(s, &z->inactive)) != NULL) {
		pt_conf_error(cx, g, "inactive: %s", e);
		return (-1);
	}
	return (0);
}

/*
 * zones = ( { name; size; max_object; dir; inactive; memory;
 * memory_max_object; }, ... )
 */
static const char *
cache_parse_zones(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct cache_conf	*cc = (struct cache_conf *)(void *)
	    ((char *)field - offsetof(struct cache_conf, zones));
	size_t			 n, i, j;

	if (!config_setting_is_list(s))
		return ("a list of zones: ( { name = \"main\"; size = \"64m\"; "
		    "dir = \"cache\"; } )");
	n = (size_t)config_setting_length(s);
	if ((cc->zones = pt_calloc(pt_conf_arena(cx), n + 1,
	    sizeof(*cc->zones))) == NULL)
		return ("out of memory");
	cc->nzones = 0;
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(s,
		    (unsigned int)i);

		if (!config_setting_is_group(g)) {
			pt_conf_error(cx, g, "each zone is a group");
			continue;
		}
		if (cz_one(cx, g, &cc->zones[cc->nzones]) != 0)
			continue;
		for (j = 0; j < cc->nzones; j++)
			if (strcmp(cc->zones[j].name,
			    cc->zones[cc->nzones].name) == 0)
				pt_conf_error(cx, g, "zone %s declared twice",
				    cc->zones[j].name);
		cc->nzones++;
	}
	return (NULL);
}

/* zone = "name": one of the global zones (inherited down to here). */
static const char *
cache_check_zone(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const struct cache_conf	*cc = (const struct cache_conf *)(void *)
	    ((char *)field - offsetof(struct cache_conf, zone));
	const char		*name = *(const char **)field, *list = "";
	size_t			 i;

	(void)s;
	if (name == NULL || name[0] == '\0')
		return (NULL);
	for (i = 0; i < cc->nzones; i++)
		if (strcmp(cc->zones[i].name, name) == 0)
			return (NULL);
	if (cc->nzones == 0)
		return (pt_printf(pt_conf_arena(cx), "no cache zone named "
		    "\"%s\" (none is declared: cache = { zones = ( { name = "
		    "\"%s\"; dir = \"cache\"; } ); }; at the top level)", name,
		    name));
	for (i = 0; i < cc->nzones && list != NULL; i++)
		list = pt_printf(pt_conf_arena(cx), "%s%s\"%s\"", list,
		    i > 0 ? ", " : "", cc->zones[i].name);
	return (pt_printf(pt_conf_arena(cx), "no cache zone named \"%s\" "
	    "(declared: %s)", name, list != NULL ? list : ""));
}

const struct pt_directive cache_directives[] = {
	{ .name = "zones", .type = PT_T_CUSTOM, .scopes = PT_SCOPE_GLOBAL,
	  .offset = offsetof(struct cache_conf, zones),
	  .size = sizeof(struct cache_zone_conf *) + sizeof(size_t),
	  .parse = cache_parse_zones,
	  .hint = "( { name = \"main\"; size = \"64m\"; max_object = \"1m\"; "
	  "dir = \"cache\"; inactive = \"10m\"; memory = \"32m\"; "
	  "memory_max_object = \"32k\"; } )" },
	{ .name = "zone", .type = PT_T_STRING, .scopes = C_ALL,
	  .offset = offsetof(struct cache_conf, zone), .def = "\"\"",
	  .check = cache_check_zone,
	  .hint = "the name of a zone in the global cache.zones" },
	{ .name = "key", .type = PT_T_STRING, .scopes = C_ALL,
	  .offset = offsetof(struct cache_conf, key),
	  .def = "\"%{scheme}://%{host}%{uri}\"",
	  .hint = "a template with variables, e.g. \"%{host}%{path}\"" },
	{ .name = "status_header", .type = PT_T_BOOL, .scopes = C_ALL,
	  .offset = offsetof(struct cache_conf, status_header), .def = "true",
	  .hint = "true or false: send Cache-Status" },
	{ .name = "x_cache", .type = PT_T_BOOL, .scopes = C_ALL,
	  .offset = offsetof(struct cache_conf, x_cache), .def = "false",
	  .hint = "true or false: send X-Cache: HIT or MISS" },
	{ .name = "lock_timeout", .type = PT_T_DURATION, .scopes = C_ALL,
	  .offset = offsetof(struct cache_conf, lock_timeout), .def = "\"5s\"",
	  .min = 0, .max = 600000,
	  .hint = "how long concurrent misses wait for the first, \"5s\"" },
	{ .name = "heuristic_max", .type = PT_T_DURATION, .scopes = C_ALL,
	  .offset = offsetof(struct cache_conf, heuristic_max), .def = "\"1d\"",
	  .min = 0, .max = 31536000000LL,
	  .hint = "upper bound of heuristic freshness, \"1d\"" },
	{ .name = "stale_if_unreachable", .type = PT_T_DURATION,
	  .scopes = C_ALL, .offset = offsetof(struct cache_conf,
	  stale_unreachable), .def = "\"0s\"", .min = 0, .max = 31536000000LL,
	  .hint = "how long past its freshness a stale object may be served "
	  "when the origin cannot be reached, \"1h\" (0s: never)" },
	{ .name = "purge_allow", .type = PT_T_STRLIST, .scopes = C_ALL,
	  .offset = offsetof(struct cache_conf, purge_allow),
	  .def = "[ \"127.0.0.1\", \"::1\" ]",
	  .hint = "client addresses allowed to send PURGE" },
	{ .name = "target_field", .type = PT_T_STRING, .scopes = C_ALL,
	  .offset = offsetof(struct cache_conf, target_field),
	  .def = "\"Portier-Cache-Control\"",
	  .hint = "a targeted Cache-Control field (RFC 9213) for this cache" },
	PT_DIRECTIVE_END
};
