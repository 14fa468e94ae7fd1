/*
 * Directive tables: how the core and every module declare their
 * configuration keys. The generic code in conf.c parses and checks each
 * type, applies defaults written as config text, reports every error as
 * "file:line: key: message (hint)", and copies unset inheritable values
 * from the enclosing scope (global -> server -> route).
 */
#ifndef PORTIER_CONF_H
#define PORTIER_CONF_H

#include <libconfig.h>
#include <portier/types.h>

enum pt_dtype {
	PT_T_BOOL,	/* bool */
	PT_T_INT,	/* long long, within [min, max] */
	PT_T_SIZE,	/* long long bytes: a string "8190", "64k", "10m", "1g" */
	PT_T_DURATION,	/* long long ms: a string "500ms", "5s", "2m", "1h", "1d" */
	PT_T_STRING,	/* const char * */
	PT_T_PATH,	/* const char *, relative to the config file's folder */
	PT_T_ENUM,	/* int: index into choices */
	PT_T_STRLIST,	/* struct pt_strlist: a string or a list of strings */
	PT_T_GROUP,	/* a nested group parsed with .sub into the field */
	PT_T_CUSTOM	/* .parse fills the field */
};

#define PT_SCOPE_GLOBAL	0x1
#define PT_SCOPE_SERVER	0x2
#define PT_SCOPE_ROUTE	0x4

struct pt_conf_ctx;

struct pt_directive {
	const char	*name;		/* key inside the owner's group */
	enum pt_dtype	 type;
	unsigned int	 scopes;	/* where it may appear */
	size_t		 offset;	/* field in the owner's conf struct */
	size_t		 size;		/* field size, for PT_T_CUSTOM inheritance */
	const char	*def;		/* default as config text; NULL = none */
	long long	 min, max;	/* INT, SIZE (bytes), DURATION (ms) */
	const char *const *choices;	/* ENUM, NULL-terminated */
	const struct pt_directive *sub;	/* GROUP: the nested table */
	/* CUSTOM: parse s into field; return NULL or an error fragment. */
	const char	*(*parse)(struct pt_conf_ctx *, const config_setting_t *s,
			    void *field);
	/* Any type, after parsing: cross-field rules; NULL or a fragment. */
	const char	*(*check)(struct pt_conf_ctx *, const config_setting_t *s,
			    void *field);
	const char	*hint;		/* one line, shown after any error */
};
#define PT_DIRECTIVE_END	{ .name = NULL }

/* Reports an error at s (file and line taken from it) and counts it. */
PT_API void	pt_conf_error(struct pt_conf_ctx *, const config_setting_t *s,
		    const char *fmt, ...)
		    __attribute__((__format__(printf, 3, 4)));
/* A warning: printed like an error but not counted. */
PT_API void	pt_conf_warn(struct pt_conf_ctx *, const config_setting_t *s,
		    const char *fmt, ...)
		    __attribute__((__format__(printf, 3, 4)));
/* The arena the configuration lives in (freed when it is replaced). */
PT_API struct pt_arena *pt_conf_arena(struct pt_conf_ctx *);
/* Resolves a path against the folder of the file that holds s. */
PT_API const char *pt_conf_path(struct pt_conf_ctx *, const config_setting_t *s,
		    const char *path);

/*
 * s names an upstream pool (a module's directive that applies to one):
 * once the core's upstreams are parsed (after every module's directives),
 * a name no pool has is an error at s, with the pools defined as a hint.
 */
PT_API void	pt_conf_need_upstream(struct pt_conf_ctx *,
		    const config_setting_t *s, const char *name);

/* Parses "10m"-style sizes and "5s"-style durations; NULL or a fragment. */
PT_API const char *pt_parse_size(const char *, long long *bytes);
PT_API const char *pt_parse_duration(const char *, long long *ms);

#endif /* PORTIER_CONF_H */
