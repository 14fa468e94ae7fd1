/*
 * The WAF's audit log: one JSON object a line for each blocked (or, with
 * audit = "scored", each scored) request, written with one write(2) on an
 * O_APPEND descriptor the master opened, so lines from workers never mix.
 * Matched data is truncated, control bytes escaped, and the values of
 * credentials (Authorization, Cookie, password-like arguments) masked.
 */
#define PT_LOG_TAG	"waf"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <portier/log.h>
#include <portier/request.h>

#include "waf.h"

#define AUDIT_LINE_MAX	16384

static int waf_audit_fd = -1;

int
waf_audit_open(const char *path)
{
	int fd;

	if (path == NULL)
		return (0);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "cannot open the audit log %s", path);
		return (-1);
	}
	if (waf_audit_fd != -1)
		close(waf_audit_fd);
	waf_audit_fd = fd;
	return (0);
}

struct jbuf {
	char	buf[AUDIT_LINE_MAX];
	size_t	n;
};

static void
jraw(struct jbuf *b, const char *s)
{
	size_t l = strlen(s);

	if (b->n + l < sizeof(b->buf) - 4) {
		memcpy(b->buf + b->n, s, l);
		b->n += l;
	}
}

static void
jstr(struct jbuf *b, const char *s, size_t len)
{
	char	esc[8];
	size_t	i;

	jraw(b, "\"");
	for (i = 0; i < len && b->n < sizeof(b->buf) - 16; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			b->buf[b->n++] = '\\';
			b->buf[b->n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			jraw(b, esc);
		} else
			b->buf[b->n++] = (char)c;
	}
	jraw(b, "\"");
}

static bool
is_secret(const char *name)
{
	static const char *const secrets[] = {
		"authorization", "proxy-authorization", "cookie", "set-cookie",
		"password",
		"passwd", "pass", "pwd", "secret", "token", "api_key", "apikey",
		NULL
	};
	int i;

	for (i = 0; secrets[i] != NULL; i++)
		if (strcasecmp(name, secrets[i]) == 0)
			return (true);
	return (false);
}

void
waf_audit_write(struct pt_request *r, const struct waf_tx *tx,
    const char *phase, const char *action)
{
	struct jbuf	 b = { .n = 0 };
	struct pt_str	 m = pt_req_method(r), t = pt_req_target(r);
	char		 num[64], ts[32];
	struct tm	 tm;
	time_t		 now = time(NULL);
	size_t		 i;

	if (waf_audit_fd == -1)
		return;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jraw(&b, "{\"time\":\"");
	jraw(&b, ts);
	jraw(&b, "\",\"client\":");
	jstr(&b, pt_req_client_addr(r), strlen(pt_req_client_addr(r)));
	jraw(&b, ",\"request_id\":");
	jstr(&b, pt_req_id(r), strlen(pt_req_id(r)));
	jraw(&b, ",\"method\":");
	jstr(&b, m.p, m.len);
	jraw(&b, ",\"uri\":");
	jstr(&b, t.p, t.len > 1024 ? 1024 : t.len);
	jraw(&b, ",\"phase\":");
	jstr(&b, phase, strlen(phase));
	if (strcmp(phase, "response") == 0) {
		snprintf(num, sizeof(num), ",\"status\":%d", pt_resp_status(r));
		jraw(&b, num);
	}
	snprintf(num, sizeof(num), ",\"score\":%d,\"action\":", tx->score);
	jraw(&b, num);
	jstr(&b, action, strlen(action));
	jraw(&b, ",\"rules\":[");
	for (i = 0; i < tx->nhits; i++) {
		const struct waf_hit *h = &tx->hits[i];

		snprintf(num, sizeof(num), "%s{\"id\":%u,\"severity\":%d,",
		    i > 0 ? "," : "", h->rule->id, h->rule->sev);
		jraw(&b, num);
		jraw(&b, "\"msg\":");
		jstr(&b, h->rule->msg, strlen(h->rule->msg));
		jraw(&b, ",\"tag\":");
		jstr(&b, h->rule->tag, strlen(h->rule->tag));
		jraw(&b, ",\"target\":");
		jstr(&b, h->target, strlen(h->target));
		jraw(&b, ",\"name\":");
		jstr(&b, h->name, strlen(h->name));
		jraw(&b, ",\"data\":");
		if (is_secret(h->name))
			jraw(&b, "\"***\"");
		else
			jstr(&b, h->data, strlen(h->data));
		jraw(&b, "}");
	}
	jraw(&b, "]}\n");
	if (write(waf_audit_fd, b.buf, b.n) != (ssize_t)b.n)
		PT_RLOG(r, PT_LOG_ERR, "audit log: short write");
}
