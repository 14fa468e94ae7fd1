/*
 * log_modules: per-module error log levels, as Apache's "LogLevel
 * rewrite:trace3". A list of records, since libconfig keys cannot be
 * chosen freely: log_modules = ( { module = "rewrite"; level = "trace"; } );
 */
#include "config.h"

#include <string.h>

#include "conf.h"
#include "arena_priv.h"

static const char *
log_module_record(struct pt_conf_ctx *cx, const config_setting_t *e,
    struct log_module_level *out)
{
	const char	*m = NULL, *l = NULL;
	int		 i;

	if (!config_setting_is_group(e))
		return ("each entry is { module = \"rewrite\"; level = "
		    "\"debug\"; }");
	if (config_setting_lookup_string(e, "module", &m) != CONFIG_TRUE ||
	    m[0] == '\0')
		return ("module: a module name (its log tag) is required");
	if (config_setting_lookup_string(e, "level", &l) != CONFIG_TRUE)
		return ("level: required, one of emerg .. trace");
	for (i = 0; conf_log_levels[i] != NULL; i++)
		if (strcmp(conf_log_levels[i], l) == 0)
			break;
	if (conf_log_levels[i] == NULL)
		return (conf_frag(cx, "level: unknown value \"%s\" (one of: "
		    "emerg, alert, crit, error, warn, notice, info, debug, "
		    "trace)", l));
	if (strncmp(m, "mod_", 4) == 0)
		m += 4;		/* the tag is the module's name */
	out->tag = conf_strdup(cx, m);
	out->level = i;
	return (NULL);
}

const char *
conf_parse_log_modules(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct pt_conf	*conf = CONF_CONTAINER(field, struct pt_conf,
			    log_modules);
	const char	*frag;
	int		 i, n;

	if (!config_setting_is_list(s))
		return ("a list: ( { module = \"rewrite\"; level = \"debug\"; } )");
	n = config_setting_length(s);
	if ((conf->log_modules = conf_calloc(cx, (size_t)n + 1,
	    sizeof(*conf->log_modules))) == NULL)
		return ("out of memory");
	for (i = 0; i < n; i++) {
		frag = log_module_record(cx, config_setting_get_elem(s,
		    (unsigned int)i), &conf->log_modules[conf->nlog_modules]);
		if (frag != NULL)
			return (frag);
		conf->nlog_modules++;
	}
	return (NULL);
}
