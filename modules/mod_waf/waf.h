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

/* exclude_if: exclusions that apply when a condition on the request holds. */
#define WAF_WHEN_MAX	64
struct waf_when {
	const char	 *path;		/* a path prefix, or NULL */
	void		 *path_re;	/* pcre2_code *, or NULL */
	const char	**methods;
	size_t		  nmethods;
	const char	 *var;		/* a %{variable} template, with var_re */
	void		 *var_re;
	struct waf_excls  remove;
};

struct waf_whens {
	struct waf_when	*v;
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
	struct waf_whens	 when;
	const char		*audit_log;
	int			 audit;
};

extern const struct pt_directive	waf_directives[];

/* Exclusions (waf_excl.c): the directives' parsers, and the list in force
 * for a request (the level's own and those whose condition holds). */
const char	*waf_parse_exclude(struct pt_conf_ctx *, const config_setting_t *,
		    void *field);
const char	*waf_parse_when(struct pt_conf_ctx *, const config_setting_t *,
		    void *field);
struct pt_request;
const struct waf_excl *waf_excl_for(struct pt_request *,
		    const struct waf_conf *, size_t *n);

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
