/*
 * Error log. Levels from emerg to trace, set globally and per module tag.
 * The macros do not evaluate their arguments when no tag logs at that level.
 */
#ifndef PORTIER_LOG_H
#define PORTIER_LOG_H

#include <portier/types.h>

enum pt_log_level {
	PT_LOG_EMERG, PT_LOG_ALERT, PT_LOG_CRIT, PT_LOG_ERR, PT_LOG_WARN,
	PT_LOG_NOTICE, PT_LOG_INFO, PT_LOG_DEBUG, PT_LOG_TRACE
};

#ifndef PT_LOG_TAG
#define PT_LOG_TAG	"core"		/* a module defines it before its includes */
#endif

/* The most verbose level any tag has enabled. */
extern PT_API int	pt_log_max;

PT_API void	pt_log_emit(int level, int with_errno, const struct pt_request *,
		    const char *tag, const char *fmt, ...)
		    __attribute__((__format__(printf, 5, 6)));

#define PT_LOG(lvl, ...) do {						\
	if ((lvl) <= pt_log_max)					\
		pt_log_emit((lvl), 0, NULL, PT_LOG_TAG, __VA_ARGS__);	\
} while (0)
#define PT_LOG_ERRNO(lvl, ...) do {					\
	if ((lvl) <= pt_log_max)					\
		pt_log_emit((lvl), 1, NULL, PT_LOG_TAG, __VA_ARGS__);	\
} while (0)
#define PT_RLOG(r, lvl, ...) do {					\
	if ((lvl) <= pt_log_max)					\
		pt_log_emit((lvl), 0, (r), PT_LOG_TAG, __VA_ARGS__);	\
} while (0)

#endif /* PORTIER_LOG_H */
