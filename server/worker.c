/*
 * A worker: drops privileges, then loops: wait in accept, serve one
 * connection to its end (http_conn.c), back to accept. One listener: a
 * blocking accept4, the kernel wakes one worker. Several: a per-worker
 * epoll set with EPOLLEXCLUSIVE, then a non-blocking accept4.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "upstream.h"

int
worker_drop_privileges(const struct pt_conf *cf, bool explicit_user)
{
	struct passwd	*pw;
	struct group	*gr;
	gid_t		 gid;

	if (cf->user == NULL) {
		if (geteuid() == 0 && !cf->allow_root) {
			PT_LOG(PT_LOG_ERR, "workers would run as root: set "
			    "\"user\" (or allow_root = true, or -u root)");
			return (-1);
		}
		return (0);
	}
	if ((pw = getpwnam(cf->user)) == NULL) {
		PT_LOG(PT_LOG_ERR, "user %s: no such user", cf->user);
		return (-1);
	}
	if (pw->pw_uid == 0 && !cf->allow_root && !explicit_user) {
		PT_LOG(PT_LOG_ERR, "user %s is root: set allow_root = true "
		    "to run workers as root", cf->user);
		return (-1);
	}
	gid = pw->pw_gid;
	if (cf->group != NULL) {
		if ((gr = getgrnam(cf->group)) == NULL) {
			PT_LOG(PT_LOG_ERR, "group %s: no such group", cf->group);
			return (-1);
		}
		gid = gr->gr_gid;
	}
	if (geteuid() != 0)
		return (pw->pw_uid == geteuid() ? 0 : -1);
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "dropping privileges to %s", cf->user);
		return (-1);
	}
	return (0);
}

static int
worker_epoll_setup(struct worker *w)
{
	struct epoll_event	 ev;
	size_t			 i;
	int			 fl;

	if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return (-1);
	for (i = 0; i < w->nlst; i++) {
		fl = fcntl(w->lst[i].fd, F_GETFL);
		fcntl(w->lst[i].fd, F_SETFL, fl | O_NONBLOCK);
		memset(&ev, 0, sizeof(ev));
		/* Wake one worker per connection, not all of them. */
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->lst[i].fd, &ev) == -1)
			return (-1);
	}
	return (0);
}

/* Returns a connected socket, or -1 (EINTR/EAGAIN: look at the flags). */
static int
worker_accept(struct worker *w, struct sockaddr_storage *ss,
    struct listener **lp)
{
	struct epoll_event	 ev;
	socklen_t		 sl = sizeof(*ss);
	int			 n;

	if (w->nlst == 1) {
		*lp = &w->lst[0];
		return (accept4(w->lst[0].fd, (struct sockaddr *)ss, &sl,
		    SOCK_CLOEXEC));
	}
	n = epoll_wait(w->epfd, &ev, 1, 1000);
	if (n <= 0) {
		if (n == 0)
			errno = EAGAIN;
		return (-1);
	}
	*lp = &w->lst[ev.data.u32];
	return (accept4((*lp)->fd, (struct sockaddr *)ss, &sl, SOCK_CLOEXEC));
}

static bool
worker_should_exit(const struct worker *w)
{
	if (pt_stop || pt_graceful)
		return (true);
	return (w->conf->workers.max_requests > 0 &&
	    w->served >= (unsigned long)w->conf->workers.max_requests);
}

/*
 * A graceful exit serves what is already queued first: a listener the new
 * configuration dropped closes when its last old worker exits, and the
 * connections in its queue would otherwise be reset. poll(2) first, so a
 * worker never blocks on a queue another worker emptied.
 */
static void
worker_drain(struct worker *w)
{
	struct sockaddr_storage	 ss;
	struct pollfd		 pfd;
	socklen_t		 sl;
	size_t			 i;
	int			 fd, n = 0;

	for (i = 0; i < w->nlst && !pt_stop; i++) {
		pfd.fd = w->lst[i].fd;
		pfd.events = POLLIN;
		while (n++ < 1000 && !pt_stop && poll(&pfd, 1, 0) == 1) {
			sl = sizeof(ss);
			fd = accept4(pfd.fd, (struct sockaddr *)&ss, &sl,
			    SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd == -1)
				break;
			/* Served blocking, like any other connection. */
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			conn_serve(w, fd, &ss, &w->lst[i]);
		}
	}
}

void
worker_main(struct worker *w)
{
	struct sockaddr_storage	 ss;
	struct listener		*l;
	int			 fd;

	proc_title_set("portier: worker");
	w->conn_arena = pt_arena_new(16384, 0);
	w->req_arena = pt_arena_new(16384, 0);
	if (w->conn_arena == NULL || w->req_arena == NULL ||
	    (w->nlst > 1 && worker_epoll_setup(w) == -1)) {
		PT_LOG_ERRNO(PT_LOG_ERR, "worker set-up");
		exit(1);
	}
	while (!worker_should_exit(w)) {
		sb_idle_enter(w->slot);
		fd = worker_accept(w, &ss, &l);
		sb_idle_leave(w->slot);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				PT_LOG_ERRNO(PT_LOG_ERR, "accept");
				poll(NULL, 0, 100);
			}
			access_log_flush();
			upstream_idle_sweep(now_ms());
			continue;
		}
		conn_serve(w, fd, &ss, l);
		upstream_idle_sweep(now_ms());
	}
	if (pt_graceful && !pt_stop)
		worker_drain(w);
	sb_set(w->slot, SB_EXITING);
	access_log_close();
	pt_arena_free(w->conn_arena);
	pt_arena_free(w->req_arena);
	if (w->epfd > 0)
		close(w->epfd);
	exit(0);
}
