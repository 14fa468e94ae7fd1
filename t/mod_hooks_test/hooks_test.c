/*
 * mod_hooks_test: exercises the module API for t/04-hooks.t. Built by make
 * check only, never installed. child_init and a periodic hook (run in the
 * helper process) append to files; post_read_request adds a request field;
 * an access hook peeks at the request body and refuses one containing
 * "FORBIDDEN"; a handler echoes the body it reads after the peek.
 */
#define _GNU_SOURCE	1	/* memmem */
#define PT_LOG_TAG	"hooks_test"

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <portier/arena.h>
#include <portier/conf.h>
#include <portier/hooks.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>
#include <portier/upstream_io.h>
#include <stdlib.h>
#include <sys/uio.h>

struct ht_conf {
	const char	*dir;		/* where the hooks leave their marks */
	long long	 peek;		/* bytes the access hook looks at */
};

PT_API extern const struct pt_module portier_module;

static const struct pt_directive ht_directives[] = {
	{ .name = "dir", .type = PT_T_PATH, .scopes = PT_SCOPE_GLOBAL,
	  .offset = offsetof(struct ht_conf, dir), .hint = "a folder" },
	{ .name = "peek", .type = PT_T_SIZE, .scopes = PT_SCOPE_GLOBAL,
	  .offset = offsetof(struct ht_conf, peek), .def = "\"16k\"",
	  .min = 1, .max = 1 << 20 },
	PT_DIRECTIVE_END
};

static void
ht_mark(const struct pt_conf *cf, const char *file, const char *what)
{
	const struct ht_conf	*hc = pt_module_conf_global(cf, &portier_module);
	char			 path[4096], line[64];
	int			 fd, n;

	if (hc == NULL || hc->dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", hc->dir, file);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644)) == -1)
		return;
	n = snprintf(line, sizeof(line), "%s %d\n", what, (int)getpid());
	if (write(fd, line, (size_t)n) != n)
		PT_LOG(PT_LOG_WARN, "cannot write %s", path);
	close(fd);
}

static int
ht_child_init(const struct pt_conf *cf)
{
	ht_mark(cf, "child_init", "child");
	return (PT_OK);
}

static long long
ht_periodic(const struct pt_conf *cf, long long now)
{
	(void)now;
	ht_mark(cf, "periodic", "tick");
	return (200);
}

static int
ht_post_read(struct pt_request *r)
{
	pt_req_header_set(r, "X-Hooks-Test", "post_read");
	return (PT_DECLINED);
}

/* Looks at the start of the body; the handler must still see all of it. */
static int
ht_access(struct pt_request *r)
{
	const struct ht_conf	*hc = pt_module_conf(r, &portier_module);
	struct pt_str		 b;

	if (!pt_req_has_body(r))
		return (PT_OK);
	if (pt_req_body_peek(r, (size_t)hc->peek, &b) != PT_OK)
		return (400);
	if (memmem(b.p, b.len, "FORBIDDEN", 9) != NULL)
		return (403);
	return (PT_OK);
}

static int
ht_handler(struct pt_request *r)
{
	const char	*path = pt_req_path(r);
	struct pt_str	 v;
	char		*buf, *acc;
	size_t		 len = 0, cap = 1 << 18;
	ssize_t		 n;

	if (path == NULL || strncmp(path, "/hooks/", 7) != 0)
		return (PT_DECLINED);
	if ((acc = pt_alloc(pt_req_arena(r), cap)) == NULL ||
	    (buf = pt_alloc(pt_req_arena(r), 4096)) == NULL)
		return (500);
	while ((n = pt_req_body_read(r, buf, 4096)) > 0) {
		if (len + (size_t)n > cap)
			return (413);
		memcpy(acc + len, buf, (size_t)n);
		len += (size_t)n;
	}
	if (n < 0)
		return (400);
	if (pt_req_header(r, "X-Hooks-Test", &v))
		pt_resp_header_set(r, "X-Saw", pt_strndup(pt_req_arena(r), v.p,
		    v.len));
	return (pt_resp_send(r, 200, "application/octet-stream", acc, len));
}

/*
 * upstream_transport: for the pool named "counted", a transport that passes
 * bytes through and, at close, writes how many went each way.
 */
struct ht_io {
	char		path[4096];
	unsigned long	in, out;
};

static ssize_t
ht_io_read(void *ctx, int fd, void *buf, size_t len)
{
	struct ht_io	*io = ctx;
	ssize_t		 n = read(fd, buf, len);

	if (n > 0)
		io->in += (unsigned long)n;
	return (n);
}

static ssize_t
ht_io_writev(void *ctx, int fd, const struct iovec *iov, int n)
{
	struct ht_io	*io = ctx;
	ssize_t		 k = writev(fd, iov, n);

	if (k > 0)
		io->out += (unsigned long)k;
	return (k);
}

static void
ht_io_close(void *ctx)
{
	struct ht_io	*io = ctx;
	char		 line[64];
	int		 fd, n;

	if ((fd = open(io->path, O_WRONLY | O_APPEND | O_CREAT, 0644)) != -1) {
		n = snprintf(line, sizeof(line), "io in=%lu out=%lu\n", io->in,
		    io->out);
		if (write(fd, line, (size_t)n) != n)
			PT_LOG(PT_LOG_WARN, "cannot write %s", io->path);
		close(fd);
	}
	free(io);
}

static const struct pt_upstream_io ht_io_ops = {
	.name = "counting",
	.read = ht_io_read,
	.writev = ht_io_writev,
	.close = ht_io_close,
};

static int
ht_upstream(struct pt_upstream *u)
{
	const struct ht_conf	*hc = pt_module_conf(pt_upstream_request(u),
				    &portier_module);
	struct ht_io		*io;

	if (strcmp(pt_upstream_pool(u), "counted") != 0 || hc->dir == NULL)
		return (PT_DECLINED);
	if ((io = calloc(1, sizeof(*io))) == NULL)
		return (PT_ERROR);
	snprintf(io->path, sizeof(io->path), "%s/upstream_io", hc->dir);
	pt_upstream_set_io(u, &ht_io_ops, io);
	return (PT_OK);
}

static int
ht_register(struct pt_hooks *h)
{
	/* Test module: orders are arbitrary but explicit. */
	pt_hook_child_init(h, ht_child_init, PT_ORDER_MIDDLE);
	pt_hook_periodic(h, ht_periodic, PT_ORDER_MIDDLE);
	pt_hook_post_read_request(h, ht_post_read, PT_ORDER_MIDDLE);
	pt_hook_access(h, ht_access, PT_ORDER_MIDDLE);
	pt_hook_handler(h, ht_handler, PT_ORDER_MIDDLE);
	pt_hook_upstream_transport(h, ht_upstream, PT_ORDER_MIDDLE);
	return (0);
}

PT_API const struct pt_module portier_module = {
	PT_MODULE_HEADER,
	.name = "hooks_test",
	.version = "1.0",
	.directives = ht_directives,
	.conf_size = sizeof(struct ht_conf),
	.register_hooks = ht_register,
};
