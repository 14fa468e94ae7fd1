/* mod_limits, private: the configuration block and its directive table. */
#ifndef LIMITS_H
#define LIMITS_H

#include <portier/conf.h>
#include <portier/types.h>

enum lim_action { LIM_REJECT, LIM_CLOSE };

struct lim_conf {
	long long	 rate;		/* requests a second per key; 0: off */
	long long	 burst;		/* bucket size; 0: twice the rate */
	const char	*key;		/* template; "%{client_addr}" */
	long long	 status;	/* the answer over a limit (429) */
	int		 action;	/* enum lim_action */
	long long	 conns;		/* in-flight requests per key; 0: off */
	bool		 forwarded;	/* client from X-Forwarded-For (trusted) */
	const char	*zone;		/* buckets shared by blocks with this name */
};

extern const struct pt_directive	lim_directives[];

#endif /* LIMITS_H */
