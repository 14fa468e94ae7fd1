/*
 * The access log: Apache "combined" and "common", JSON lines, or a custom
 * format of literal text and %{variables}. Files are opened by the master
 * (so workers need no rights on the log folder) and inherited; each worker
 * buffers whole lines and writes them when the buffer fills, once a second
 * and at exit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "vars.h"

#define ALOG_MAX	32		/* distinct access log files */
#define ALOG_BUF	(32 * 1024)

struct alog {
	const char	*path;		/* in the conf arena */
	int		 fd;
	size_t		 len;
	char		 buf[ALOG_BUF];
};

static struct alog	 alogs[ALOG_MAX];
static size_t		 nalogs;
static long long	 last_flush;
/* Formatting a tunnel's line: late values become markers (ALOG_MARK). */
static bool		 alog_deferring;

/*
 * A marker is ALOG_MARK and a letter. Values are escaped (alog_put) and
 * never hold a control byte, and one in the format's text is replaced.
 */
#define ALOG_MARK	'\x01'

static const char FMT_COMMON[] = "%{client_addr} - %{user} [%{time_local}] "
    "\"%{request_line}\" %{status} %{bytes_sent}";
static const char FMT_COMBINED[] = "%{client_addr} - %{user} [%{time_local}] "
    "\"%{request_line}\" %{status} %{bytes_sent} \"%{header.Referer}\" "
    "\"%{header.User-Agent}\"";

static int
alog_open_one(const char *path)
{
	size_t	i;
	int	fd;

	if (path == NULL || strcmp(path, "off") == 0)
		return (0);
	for (i = 0; i < nalogs; i++)
		if (strcmp(alogs[i].path, path) == 0)
			return (0);
	if (nalogs == ALOG_MAX)
		return (-1);
	if (strcmp(path, "stderr") == 0)
		fd = dup(STDERR_FILENO);
	else if (strcmp(path, "stdout") == 0)
		fd = dup(STDOUT_FILENO);
	else
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "access_log %s", path);
		return (-1);
	}
	alogs[nalogs].path = path;
	alogs[nalogs].fd = fd;
	alogs[nalogs].len = 0;
	nalogs++;
	return (0);
}

/* Master: opens every file the configuration names (again on reload). */
int
access_log_open(const struct pt_conf *cf)
{
	size_t	i, j;
	int	rc = 0;

	access_log_close();
	rc |= alog_open_one(cf->sc.access_log);
	for (i = 0; i < cf->nservers; i++) {
		rc |= alog_open_one(cf->servers[i].sc.access_log);
		for (j = 0; j < cf->servers[i].nroutes; j++)
			rc |= alog_open_one(cf->servers[i].routes[j].sc.access_log);
	}
	return (rc);
}

static void
alog_write(struct alog *l)
{
	if (l->len > 0 && write(l->fd, l->buf, l->len) == -1)
		PT_LOG_ERRNO(PT_LOG_WARN, "access_log %s", l->path);
	l->len = 0;
}

void
access_log_flush(void)
{
	size_t i;

	for (i = 0; i < nalogs; i++)
		alog_write(&alogs[i]);
	last_flush = now_ms();
}

void
access_log_close(void)
{
	size_t i;

	access_log_flush();
	for (i = 0; i < nalogs; i++)
		close(alogs[i].fd);
	nalogs = 0;
}

/* Appends s, escaping quotes, backslashes and controls as Apache does. */
static size_t
alog_put(char *out, size_t at, size_t room, const char *s, size_t len,
    bool json)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i;

	for (i = 0; i < len && at + 6 < room; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			out[at++] = '\\';
			out[at++] = (char)c;
		} else if (c < 0x20 || c == 0x7f || (!json && c >= 0x80)) {
			memcpy(out + at, json ? "\\u00" : "\\x", json ? 4 : 2);
			at += json ? 4 : 2;
			out[at++] = hex[c >> 4];
			out[at++] = hex[c & 15];
		} else
			out[at++] = (char)c;
	}
	return (at);
}

static const char *
alog_time_local(void)
{
	static char	buf[32];
	static time_t	at;
	struct tm	tm;
	time_t		now = time(NULL);

	if (now != at) {
		at = now;
		gmtime_r(&now, &tm);
		strftime(buf, sizeof(buf), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	}
	return (buf);
}

/* Variables only the log knows: the request line and the local time. */
static int
alog_var(struct pt_request *r, const char *n, size_t len, struct pt_str *v,
    char *buf, size_t buflen)
{
	if (str_case_eq(n, len, "time_local")) {
		v->p = alog_time_local();
		v->len = strlen(v->p);
		return (0);
	}
	if (str_case_eq(n, len, "request_line")) {
		if (r->head.method.len == 0) {
			v->p = "-";
			v->len = 1;
			return (0);
		}
		v->p = r->head.method.p;	/* method SP target SP version */
		v->len = (size_t)(r->head.target.p + r->head.target.len -
		    r->head.method.p) + 9;
		return (0);
	}
	return (var_lookup(r, n, len, v, buf, buflen));
}

/* The marker letter of a value only a tunnel's end knows, or 0. */
static char
alog_late_code(const char *n, size_t len)
{
	if (!alog_deferring)
		return (0);
	if (str_case_eq(n, len, "bytes_sent"))
		return ('s');
	if (str_case_eq(n, len, "bytes_received"))
		return ('r');
	if (str_case_eq(n, len, "request_time"))
		return ('t');
	if (str_case_eq(n, len, "request_time_us"))
		return ('u');
	if (str_case_eq(n, len, "time_local"))
		return ('l');
	return (0);
}

/* Expands a format: literal text and %{name}; absent values print "-". */
static size_t
alog_format(struct pt_request *r, const char *fmt, char *out, size_t room)
{
	struct pt_str	 v;
	char		 tmp[64];
	const char	*p = fmt, *end;
	size_t		 at = 0;
	char		 code;

	while (*p != '\0' && at + 8 < room) {
		if (p[0] != '%' || p[1] != '{' ||
		    (end = strchr(p + 2, '}')) == NULL) {
			out[at++] = *p == ALOG_MARK ? '?' : *p;
			p++;
			continue;
		}
		if ((code = alog_late_code(p + 2, (size_t)(end - p - 2))) != 0) {
			out[at++] = ALOG_MARK;
			out[at++] = code;
			p = end + 1;
			continue;
		}
		if (alog_var(r, p + 2, (size_t)(end - p - 2), &v, tmp,
		    sizeof(tmp)) == -1 || v.len == 0) {
			v.p = "-";
			v.len = 1;
		}
		at = alog_put(out, at, room, v.p, v.len, false);
		p = end + 1;
	}
	return (at);
}

/* JSON lines: one object per request, strings escaped for JSON. */
static size_t
alog_json(struct pt_request *r, char *out, size_t room)
{
	static const char *const keys[][2] = {
		{ "time", "time_local" }, { "request_id", "request_id" },
		{ "client", "client_addr" }, { "host", "host" },
		{ "method", "method" }, { "uri", "uri" },
		{ "protocol", "protocol" }, { "status", "status" },
		{ "bytes_sent", "bytes_sent" },
		{ "bytes_received", "bytes_received" },
		{ "request_time", "request_time" },
		{ "referer", "header.Referer" },
		{ "user_agent", "header.User-Agent" }, { "user", "user" },
		{ NULL, NULL }
	};
	struct pt_str	 v;
	char		 tmp[64], code;
	size_t		 at = 0, i, len;
	int		 n;

	out[at++] = '{';
	for (i = 0; keys[i][0] != NULL && at + 64 < room; i++) {
		len = strlen(keys[i][1]);
		if (alog_var(r, keys[i][1], len, &v, tmp, sizeof(tmp)) == -1)
			v.len = 0;
		n = snprintf(out + at, room - at, "%s\"%s\":\"", i ? "," : "",
		    keys[i][0]);
		at += (size_t)n;
		if ((code = alog_late_code(keys[i][1], len)) != 0) {
			out[at++] = ALOG_MARK;
			out[at++] = code;
		} else
			at = alog_put(out, at, room - 3, v.p, v.len, true);
		out[at++] = '"';
	}
	out[at++] = '}';
	return (at);
}

static struct alog *
alog_find(const char *path)
{
	size_t i;

	for (i = 0; i < nalogs; i++)
		if (alogs[i].path == path || strcmp(alogs[i].path, path) == 0)
			return (&alogs[i]);
	return (NULL);
}

/* One line in the named format ("combined", "common", "json" or custom),
 * without the newline; for the access log and its unit test. */
size_t
access_log_format_line(struct pt_request *r, const char *fmt, char *out,
    size_t room)
{
	if (fmt == NULL || strcmp(fmt, "combined") == 0)
		fmt = FMT_COMBINED;
	else if (strcmp(fmt, "common") == 0)
		fmt = FMT_COMMON;
	if (strcmp(fmt, "json") == 0)
		return (alog_json(r, out, room));
	return (alog_format(r, fmt, out, room));
}

/* The log of r's scope, or NULL (off); *fmt its format. */
static struct alog *
alog_of(const struct pt_request *r, const char **fmt)
{
	const struct core_scope	*sc = r->route != NULL ? &r->route->sc :
	    r->srv != NULL ? &r->srv->sc : &r->conf->sc;

	*fmt = sc->access_log_format;
	if (sc->access_log == NULL || strcmp(sc->access_log, "off") == 0)
		return (NULL);
	return (alog_find(sc->access_log));
}

size_t
access_log_defer(struct pt_request *r, char *out, size_t room, int *fd)
{
	const char	*fmt;
	struct alog	*l;
	size_t		 n;

	*fd = -1;
	if ((l = alog_of(r, &fmt)) == NULL || room < 2)
		return (0);
	alog_deferring = true;
	n = access_log_format_line(r, fmt, out, room - 1);
	alog_deferring = false;
	out[n++] = '\n';
	*fd = l->fd;
	return (n);
}

static size_t
alog_late_value(char code, const struct alog_late *v, char *out, size_t room)
{
	const char	*t;
	int		 k;

	switch (code) {
	case 's':
		k = snprintf(out, room, "%llu",
		    (unsigned long long)v->bytes_sent);
		break;
	case 'r':
		k = snprintf(out, room, "%llu",
		    (unsigned long long)v->bytes_received);
		break;
	case 't':
		k = snprintf(out, room, "%lld.%03lld", v->us / 1000000,
		    (v->us / 1000) % 1000);
		break;
	case 'u':
		k = snprintf(out, room, "%lld", v->us);
		break;
	case 'l':
		t = alog_time_local();
		k = snprintf(out, room, "%s", t);
		break;
	default:
		k = snprintf(out, room, "-");
		break;
	}
	return (k < 0 ? 0 : (size_t)k >= room ? room - 1 : (size_t)k);
}

size_t
access_log_late_fill(const char *tpl, size_t n, const struct alog_late *v,
    char *out, size_t room)
{
	size_t	i, at = 0;

	if (room == 0)
		return (0);
	for (i = 0; i < n && at + 1 < room; i++) {
		if (tpl[i] == ALOG_MARK && i + 1 < n) {
			at += alog_late_value(tpl[++i], v, out + at, room - at);
			continue;
		}
		out[at++] = tpl[i];
	}
	/* A line cut short still ends as one. */
	if (n > 0 && tpl[n - 1] == '\n' && out[at - 1] != '\n')
		out[at - 1] = '\n';
	return (at);
}

void
access_log_request(struct pt_request *r)
{
	const char		*fmt;
	struct alog		*l;
	char			 line[4096];
	size_t			 n;

	if (r->log_deferred || (l = alog_of(r, &fmt)) == NULL)
		return;
	n = access_log_format_line(r, fmt, line, sizeof(line) - 1);
	line[n++] = '\n';
	if (l->len + n > sizeof(l->buf))
		alog_write(l);
	memcpy(l->buf + l->len, line, n);
	l->len += n;
	/* Whole lines, at most a second late. */
	if (now_ms() - last_flush >= 1000)
		access_log_flush();
}
