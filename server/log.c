/*
 * Error log: one line per message, written with a single write(2) to a file
 * opened O_APPEND (or stderr), so lines from many workers never interleave.
 * The access log lives in log_access.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <portier/request.h>
#include "core.h"

PT_API int		 pt_log_max = PT_LOG_NOTICE;
static int		 log_fd = STDERR_FILENO;
static char		 log_path[4096];

static const char *const level_names[] = {
	"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
	"trace"
};

static int	 log_global = PT_LOG_NOTICE;

void
log_set_level(int level)
{
	pt_log_max = log_global = level;
}

static const struct log_module_level	*log_mods;	/* log_modules */
static size_t				 log_nmods;
static int				 log_mods_max;	/* their highest */

/*
 * The level a line is held to: its module's (log_modules), else the global
 * one; a request's route (or server) may let more through.
 */
static int
log_level_for(const struct pt_request *r, const char *tag)
{
	int	lvl = log_global, rl;
	size_t	i;

	for (i = 0; i < log_nmods; i++)
		if (strcmp(log_mods[i].tag, tag) == 0) {
			lvl = log_mods[i].level;
			break;
		}
	if (r == NULL)
		return (lvl);
	rl = r->route != NULL ? r->route->sc.log_level :
	    r->srv != NULL ? r->srv->sc.log_level : lvl;
	return (rl > lvl ? rl : lvl);
}

/* The most verbose level anywhere, so the macros let those lines through. */
static void
log_set_levels(const struct pt_conf *cf)
{
	size_t	i, j;
	int	max = cf->log_level;

	for (i = 0; i < cf->nservers; i++) {
		if (cf->servers[i].sc.log_level > max)
			max = cf->servers[i].sc.log_level;
		for (j = 0; j < cf->servers[i].nroutes; j++)
			if (cf->servers[i].routes[j].sc.log_level > max)
				max = cf->servers[i].routes[j].sc.log_level;
	}
	log_mods_max = -1;
	for (i = 0; i < cf->nlog_modules; i++) {
		if (cf->log_modules[i].level > max)
			max = cf->log_modules[i].level;
		if (cf->log_modules[i].level > log_mods_max)
			log_mods_max = cf->log_modules[i].level;
	}
	log_mods = cf->log_modules;
	log_nmods = cf->nlog_modules;
	log_global = cf->log_level;
	pt_log_max = max;
}

static int
log_open_path(const char *path)
{
	int fd;

	if (path == NULL || strcmp(path, "stderr") == 0)
		return (STDERR_FILENO);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	return (fd);
}

/*
 * Opens the configured error log. On failure the old one stays in use, so a
 * bad path in a reload never leaves the server without a log.
 */
int
log_open(const struct pt_conf *cf)
{
	int fd;

	if ((fd = log_open_path(cf->error_log)) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "error_log %s", cf->error_log);
		return (-1);
	}
	if (log_fd != STDERR_FILENO && log_fd != fd)
		close(log_fd);
	log_fd = fd;
	snprintf(log_path, sizeof(log_path), "%s",
	    cf->error_log != NULL ? cf->error_log : "stderr");
	log_set_levels(cf);
	return (0);
}

/* Whether the error log is the process's stderr ("stderr", or none yet). */
bool
log_is_stderr(void)
{
	return (log_fd == STDERR_FILENO);
}

/* USR1: the file may have been rotated away; open the name again. */
void
log_reopen(void)
{
	int fd;

	if (log_path[0] == '\0' || strcmp(log_path, "stderr") == 0)
		return;
	if ((fd = log_open_path(log_path)) == -1)
		return;
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
}

/*
 * Whether some tag may write trace lines about r: its route or server
 * logs at trace, or a module in log_modules does. Which tag may is left
 * to pt_log_emit; a module that asks only saves work when none may.
 */
PT_API bool
pt_req_tracing(const struct pt_request *r)
{
	return (r != NULL && (r->tracing || log_mods_max >= PT_LOG_TRACE ||
	    log_level_for(r, "") >= PT_LOG_TRACE));
}

/*
 * portier --trace-request: every line about the traced request, at any
 * level, goes to standard output as "[tag] message" (with the level
 * unless it is trace), in order with what the tracer prints itself.
 */
static void
log_trace_out(int level, const char *tag, const char *fmt, va_list ap)
{
	char	line[2048];
	int	n;

	n = snprintf(line, sizeof(line), "[%s] %s%s", tag, level < PT_LOG_TRACE ?
	    level_names[level] : "", level < PT_LOG_TRACE ? ": " : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	fflush(stdout);
	printf("%s\n", line);
	fflush(stdout);
}

PT_API void
pt_log_emit(int level, int with_errno, const struct pt_request *r,
    const char *tag, const char *fmt, ...)
{
	char		 line[2048];
	struct tm	 tm;
	time_t		 now;
	va_list		 ap;
	size_t		 n;
	int		 saved = errno, k;

	if (level < 0 || level > PT_LOG_TRACE)
		return;
	if (r != NULL && r->tracing) {
		va_start(ap, fmt);
		log_trace_out(level, tag, fmt, ap);
		va_end(ap);
		return;
	}
	if (level > pt_log_max || level > log_level_for(r, tag))
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ", &tm);
	k = snprintf(line + n, sizeof(line) - n, " [%s] [%s] pid=%d",
	    level_names[level], tag, (int)getpid());
	n += k > 0 ? (size_t)k : 0;
	if (r != NULL && n < sizeof(line)) {
		k = snprintf(line + n, sizeof(line) - n, " req=%s client=%s%s%s",
		    r->id, r->conn != NULL ? r->conn->client : "-",
		    r->route != NULL ? " route=" : "",
		    r->route != NULL ? r->route->path : "");
		n += k > 0 ? (size_t)k : 0;
	}
	if (n < sizeof(line) - 2) {
		line[n++] = ':';
		line[n++] = ' ';
		va_start(ap, fmt);
		k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
		n += k > 0 ? (size_t)k : 0;
	}
	if (with_errno && n < sizeof(line)) {
		k = snprintf(line + n, sizeof(line) - n, ": %s", strerror(saved));
		n += k > 0 ? (size_t)k : 0;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: O_APPEND keeps concurrent lines whole. */
	if (write(log_fd, line, n) == -1) {
		/* Nowhere left to report it. */
	}
	errno = saved;
}
