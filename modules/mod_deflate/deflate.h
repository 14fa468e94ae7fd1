/* mod_deflate, private: the configuration block and its directive table. */
#ifndef DEFLATE_H
#define DEFLATE_H

#include <portier/conf.h>
#include <portier/types.h>

#include "deflate_negotiate.h"

struct dfl_conf {
	bool			 enable;
	struct pt_strlist	 types;		/* "type/subtype", "type/" + star */
	long long		 min_size;	/* bytes; known shorter bodies pass */
	struct pt_strlist	 encodings;	/* "br", "zstd", "gzip", best first */
	long long		 gzip_level;	/* 1-9 */
	long long		 brotli_level;	/* 0-11 */
	long long		 zstd_level;	/* 1-19 */
};

extern const struct pt_directive	dfl_directives[];

/* The configured encodings as codings, best first; returns the count. */
size_t	dfl_conf_prefs(const struct dfl_conf *, enum dfl_coding *out,
	    size_t max);

#endif /* DEFLATE_H */
