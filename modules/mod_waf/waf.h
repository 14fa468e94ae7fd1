/* mod_waf, private: the configuration block, its directives, the audit log. */
#ifndef WAF_H
#define WAF_H

#include <portier/conf.h>
#include <portier/types.h>

#include "waf_engine.h"

enum waf_mode { WAF_MODE_BLOCK, WAF_MODE_DETECT };
enum waf_body_over { WAF_OVER_PARTIAL, WAF_OVER_REJECT };
enum waf_body_error { WAF_BERR_BLOCK, WAF_BERR_SCORE, WAF_BERR_PASS };
enum waf_audit { WAF_AUDIT_BLOCKED, WAF_AUDIT_SCORED, WAF_AUDIT_OFF };

struct waf_excls {
	struct waf_excl	*v;
	size_t		 n;
};

struct waf_conf {
	bool			 enable;
	const struct waf_ruleset *rules;
	long long		 paranoia;
	long long		 threshold;
	int			 mode;
	long long		 status;
	long long		 body_limit;
	int			 body_over;
	int			 body_error;
	struct waf_excls	 exclude;
	const char		*audit_log;
	int			 audit;
};

extern const struct pt_directive	waf_directives[];

struct pt_request;
/* Opens (or reopens) the audit log; 0 or -1. */
int	waf_audit_open(const char *path);
/* One JSON line for a scored request; phase "request" or "response". */
void	waf_audit_write(struct pt_request *, const struct waf_tx *,
	    const char *phase, const char *action);
/* The warn line for a blocked or detected request (waf.c). */
void	waf_log(struct pt_request *, const struct waf_tx *, const char *phase,
	    const char *action);

/* The response phase (waf_resp.c). */
struct pt_filter_def;
extern const struct pt_filter_def	waf_resp_filter;
/* The request phase answered r: the response phase leaves it alone. */
void	waf_mark_answered(struct pt_request *);

#endif /* WAF_H */
