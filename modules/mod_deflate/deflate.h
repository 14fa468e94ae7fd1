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

/* deflate_keep.c: compressed forms kept beside cached objects. */
struct dfl_keep;
struct pt_request;
/* Sends the kept form for coding c in place of the body; 0, or -1. */
int		 dfl_keep_serve(struct pt_request *, enum dfl_coding c);
/* Starts keeping this response's compressed form; NULL: not kept. */
struct dfl_keep	*dfl_keep_begin(struct pt_request *, enum dfl_coding c);
int		 dfl_keep_write(struct dfl_keep *, const void *, size_t);
void		 dfl_keep_commit(struct dfl_keep *, const char *object);

#endif /* DEFLATE_H */
