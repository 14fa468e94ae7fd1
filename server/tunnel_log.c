/*
 * The tunnel process's access log lines: a worker hands each stream over
 * with its line (access_log_defer: all but the bytes and the duration)
 * and the log's descriptor; the line is finished and written when the
 * stream ends. Descriptors are shared by file, so a thousand streams hold
 * one, and a rotated log's old file closes with its last stream.
 */
#define PT_LOG_TAG	"tunnel"

#include "config.h"
#include "tunnel.h"

#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

/* The log behind fd, shared by file (fd is then closed); NULL on error. */
static struct tunnel_logf *
logf_get(struct tunnel_logs *tl, int fd)
{
	struct tunnel_logf	*lf;
	struct stat		 sb;

	if (fstat(fd, &sb) == -1) {
		close(fd);
		return (NULL);
	}
	for (lf = tl->head; lf != NULL; lf = lf->next)
		if (lf->dev == sb.st_dev && lf->ino == sb.st_ino) {
			close(fd);
			lf->refs++;
			return (lf);
		}
	if ((lf = calloc(1, sizeof(*lf))) == NULL) {
		close(fd);
		return (NULL);
	}
	lf->dev = sb.st_dev;
	lf->ino = sb.st_ino;
	lf->fd = fd;
	lf->refs = 1;
	lf->next = tl->head;
	tl->head = lf;
	return (lf);
}

static void
logf_put(struct tunnel_logs *tl, struct tunnel_logf *lf)
{
	struct tunnel_logf	**pp;

	if (lf == NULL || --lf->refs > 0)
		return;
	for (pp = &tl->head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == lf) {
			*pp = lf->next;
			break;
		}
	close(lf->fd);
	free(lf);
}

int
tunnel_line_set(struct tunnel_logs *tl, struct tunnel_line *ln,
    const struct tunnel_msg *h, const char *tpl, int fd)
{
	memset(ln, 0, sizeof(*ln));
	if (h->n_log == 0 || (ln->tpl = malloc(h->n_log)) == NULL) {
		close(fd);
		return (-1);
	}
	memcpy(ln->tpl, tpl, h->n_log);
	if ((ln->lf = logf_get(tl, fd)) == NULL) {
		free(ln->tpl);
		ln->tpl = NULL;
		return (-1);
	}
	ln->len = h->n_log;
	ln->skip_up = h->skip_up;
	ln->skip_down = h->skip_down;
	ln->bytes_in = h->bytes_in;
	ln->start_us = h->start_us;
	return (0);
}

/*
 * bytes_sent: what went to the client after the response head;
 * bytes_received: the request as the worker read it, and what the client
 * sent through the tunnel; request_time: from the request to now.
 */
void
tunnel_line_write(struct tunnel_logs *tl, const struct tunnel_line *ln,
    uint64_t up, uint64_t down, long long now)
{
	struct alog_late	 v;
	struct timespec		 ts;
	char			 out[TUNNEL_LOG_MAX + 512];
	size_t			 n;

	if (ln->tpl == NULL || ln->lf == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	v.us = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 -
	    ln->start_us;
	if (v.us < 0)
		v.us = 0;
	v.bytes_sent = down > ln->skip_down ? down - ln->skip_down : 0;
	v.bytes_received = ln->bytes_in + (up > ln->skip_up ?
	    up - ln->skip_up : 0);
	n = access_log_late_fill(ln->tpl, ln->len, &v, out, sizeof(out));
	/* One write of a whole line: O_APPEND keeps it from the workers'. */
	if (n > 0 && write(ln->lf->fd, out, n) == -1 &&
	    now - tl->err_logged >= 1000) {
		PT_LOG_ERRNO(PT_LOG_WARN, "access log");
		tl->err_logged = now;
	}
}

void
tunnel_line_free(struct tunnel_logs *tl, struct tunnel_line *ln)
{
	logf_put(tl, ln->lf);
	free(ln->tpl);
	memset(ln, 0, sizeof(*ln));
}
