/*
 * mod_tunnel_test: a module for t/15-tunnel.t only. On a route under
 * "/tunnel/", a request with "Upgrade: test-echo" is connected to the
 * configured upstream and handed to the tunnel process with a 101 for the
 * client and a "start <path>" line for the upstream; "/tunnelstat" answers
 * with the tunnel process's counts from the scoreboard.
 */
#define PT_LOG_TAG	"tunnel_test"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <portier/arena.h>
#include <portier/conf.h>
#include <portier/hooks.h>
#include <portier/log.h>
#include <portier/module.h>
#include <portier/request.h>
#include <portier/tunnel.h>

struct tt_conf {
	const char	*upstream;	/* "127.0.0.1:PORT" */
};

PT_API extern const struct pt_module portier_module;

static const char tt_101[] = "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: test-echo\r\nConnection: Upgrade\r\n\r\n";

/* "a.b.c.d:port" into sin; 0 or -1. */
static int
tt_addr_parse(const char *s, struct sockaddr_in *sin)
{
	const char	*colon;
	char		 host[INET_ADDRSTRLEN], *end;
	long		 port;

	if (s == NULL || (colon = strrchr(s, ':')) == NULL ||
	    (size_t)(colon - s) >= sizeof(host))
		return (-1);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port < 1 ||
	    port > 65535)
		return (-1);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return (inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1);
}

static const char *
tt_check_upstream(struct pt_conf_ctx *cx, const config_setting_t *s,
    void *field)
{
	struct sockaddr_in	 sin;

	(void)cx;
	(void)s;
	if (*(const char **)field != NULL &&
	    tt_addr_parse(*(const char **)field, &sin) == -1)
		return ("an IPv4 address and port, \"127.0.0.1:8080\"");
	return (NULL);
}

#define TT_SCOPES	(PT_SCOPE_GLOBAL | PT_SCOPE_SERVER | PT_SCOPE_ROUTE)

static const struct pt_directive tt_directives[] = {
	{ .name = "upstream", .type = PT_T_STRING, .scopes = TT_SCOPES,
	  .offset = offsetof(struct tt_conf, upstream),
	  .check = tt_check_upstream, .hint = "\"127.0.0.1:8080\"" },
	PT_DIRECTIVE_END
};

static int
tt_connect(const char *upstream)
{
	struct sockaddr_in	 sin;
	int			 fd;

	if (tt_addr_parse(upstream, &sin) == -1 ||
	    (fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

static int
tt_stats(struct pt_request *r)
{
	struct pt_tunnel_stats	 st;
	char			*body;

	if (pt_tunnel_stats(&st) != PT_OK)
		return (503);
	body = pt_printf(pt_req_arena(r), "pid=%d streams=%u total=%lu "
	    "refused=%lu\n", st.pid, st.streams, st.total, st.refused);
	if (body == NULL)
		return (500);
	return (pt_resp_send(r, 200, "text/plain", body, strlen(body)));
}

static int
tt_handler(struct pt_request *r)
{
	const struct tt_conf	*tc = pt_module_conf(r, &portier_module);
	const char		*path = pt_req_path(r);
	struct pt_str		 up;
	char			*hello;
	int			 fd;

	if (path == NULL)
		return (PT_DECLINED);
	if (strcmp(path, "/tunnelstat") == 0)
		return (tt_stats(r));
	if (strncmp(path, "/tunnel/", 8) != 0 || tc->upstream == NULL)
		return (PT_DECLINED);
	if (!pt_req_header(r, "Upgrade", &up) || up.len != 9 ||
	    strncasecmp(up.p, "test-echo", 9) != 0)
		return (400);
	if ((fd = tt_connect(tc->upstream)) == -1) {
		PT_RLOG(r, PT_LOG_ERR, "connect to the test upstream failed");
		return (502);
	}
	/* The module's bytes reach the upstream before the client's. */
	if ((hello = pt_printf(pt_req_arena(r), "start %s\n", path)) == NULL ||
	    pt_req_tunnel(r, fd, hello, strlen(hello), tt_101,
	    sizeof(tt_101) - 1) != PT_DONE) {
		close(fd);
		return (503);
	}
	return (PT_DONE);
}

static int
tt_register(struct pt_hooks *h)
{
	/* Middle: the only handler in the tests that load it. */
	pt_hook_handler(h, tt_handler, PT_ORDER_MIDDLE);
	return (0);
}

PT_API const struct pt_module portier_module = {
	PT_MODULE_HEADER,
	.name = "tunnel_test",
	.version = "1.0",
	.directives = tt_directives,
	.conf_size = sizeof(struct tt_conf),
	.register_hooks = tt_register,
};
