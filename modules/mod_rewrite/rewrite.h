/*
 * mod_rewrite's configuration block and directive table, shared by the
 * glue (rewrite.c) and the parser (rewrite_conf.c).
 */
#ifndef RW_REWRITE_H
#define RW_REWRITE_H

#include <portier/conf.h>
#include "rewrite_engine.h"

/*
 * One block per scope. The table order matters: maps and the limits are
 * filled (set, inherited or defaulted) before rules is parsed, so the
 * rules parser reaches them through the block.
 */
struct rw_conf {
	struct rw_maps		 maps;		/* global only */
	long long		 max_passes;	/* route passes per request */
	long long		 match_limit;	/* PCRE2 steps per match */
	/*
	 * Server and route. A pointer, so that a route that does not set
	 * rules holds its server's very set: the translate hook tells the
	 * inherited set from the route's own by comparing them.
	 */
	const struct rw_ruleset	*rules;
};

/* rewrite_conf.c */
extern const struct pt_directive rw_directives[];

#endif /* RW_REWRITE_H */
