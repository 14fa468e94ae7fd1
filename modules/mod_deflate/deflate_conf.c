/*
 * mod_deflate's directives: the group "deflate = { ... };" at the global
 * level, in a server and in a route, with defaults after nginx's gzip and
 * brotli modules (levels that keep streaming cheap).
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "deflate.h"

#define DFL_SCOPES	(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

static const char *
dfl_check_types(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const struct pt_strlist	*l = field;
	size_t			 i;

	(void)cx;
	(void)s;
	for (i = 0; i < l->n; i++)
		if (!dfl_type_valid(l->v[i]))
			return ("each entry is a media type \"type/subtype\" "
			    "or \"type/*\", without parameters");
	return (NULL);
}

static const char *
dfl_check_encodings(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	const struct pt_strlist	*l = field;
	bool			 seen[DFL_NCODINGS] = { false };
	size_t			 i;
	int			 c;

	(void)cx;
	(void)s;
	for (i = 0; i < l->n; i++) {
		c = dfl_coding_parse(l->v[i], strlen(l->v[i]));
		if (c <= DFL_IDENTITY || strcasecmp(l->v[i], "x-gzip") == 0)
			return ("each entry is \"br\", \"zstd\" or \"gzip\"");
		if (seen[c])
			return ("an encoding is listed twice");
		seen[c] = true;
	}
	return (NULL);
}

const struct pt_directive dfl_directives[] = {
	{ .name = "enable", .type = PT_T_BOOL, .scopes = DFL_SCOPES,
	  .offset = offsetof(struct dfl_conf, enable), .def = "false",
	  .hint = "true or false" },
	{ .name = "types", .type = PT_T_STRLIST, .scopes = DFL_SCOPES,
	  .offset = offsetof(struct dfl_conf, types),
	  .def = "[ \"text/html\", \"text/css\", \"text/plain\", \"text/xml\", "
	    "\"text/javascript\", \"application/javascript\", "
	    "\"application/json\", \"application/xml\", \"image/svg+xml\" ]",
	  .check = dfl_check_types, .hint = "[ \"text/*\", \"application/json\" ]" },
	{ .name = "min_size", .type = PT_T_SIZE, .scopes = DFL_SCOPES,
	  .offset = offsetof(struct dfl_conf, min_size), .def = "\"256\"",
	  .min = 0, .max = 1LL << 40,
	  .hint = "a size string: \"256\", \"1k\"; shorter known bodies pass" },
	{ .name = "encodings", .type = PT_T_STRLIST, .scopes = DFL_SCOPES,
	  .offset = offsetof(struct dfl_conf, encodings),
	  .def = "[ \"br\", \"zstd\", \"gzip\" ]",
	  .check = dfl_check_encodings,
	  .hint = "[ \"br\", \"zstd\", \"gzip\" ], best first" },
	{ .name = "gzip_level", .type = PT_T_INT, .scopes = DFL_SCOPES,
	  .offset = offsetof(struct dfl_conf, gzip_level), .def = "6",
	  .min = 1, .max = 9, .hint = "1 (fastest) to 9 (smallest)" },
	{ .name = "brotli_level", .type = PT_T_INT, .scopes = DFL_SCOPES,
	  .offset = offsetof(struct dfl_conf, brotli_level), .def = "4",
	  .min = 0, .max = 11, .hint = "0 (fastest) to 11 (smallest)" },
	{ .name = "zstd_level", .type = PT_T_INT, .scopes = DFL_SCOPES,
	  .offset = offsetof(struct dfl_conf, zstd_level), .def = "3",
	  .min = 1, .max = 19, .hint = "1 (fastest) to 19 (smallest)" },
	PT_DIRECTIVE_END
};

size_t
dfl_conf_prefs(const struct dfl_conf *dc, enum dfl_coding *out, size_t max)
{
	size_t	i, n = 0;
	int	c;

	for (i = 0; i < dc->encodings.n && n < max; i++)
		if ((c = dfl_coding_parse(dc->encodings.v[i],
		    strlen(dc->encodings.v[i]))) > DFL_IDENTITY)
			out[n++] = (enum dfl_coding)c;
	return (n);
}
