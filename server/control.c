/*
 * The control socket (control_socket directive): a Unix stream socket the
 * master opens, as root, before it forks, so that every child inherits
 * it. The core speaks no protocol on it: mod_status accepts and answers
 * from the helper process (pt_control_fd()). It outlives reloads that keep
 * its path; the master removes it when it stops.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <portier/status.h>
#include "core.h"

/* Master state, inherited read-only by the children. */
static int	ctl_fd = -1;
static char	ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static ino_t	ctl_ino;	/* ours: never unlink another's file */

static int
control_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return (0);
}

/*
 * A socket file at path that some process still listens on belongs to a
 * running server (another portier, or a mistake): never take it over.
 * One that refuses connections is stale and is removed.
 */
static int
control_clear(const char *path, const struct sockaddr_un *sa)
{
	struct stat	sb;
	int		fd, rc;

	if (lstat(path, &sb) == -1)
		return (errno == ENOENT ? 0 : -1);
	if (!S_ISSOCK(sb.st_mode)) {
		errno = EEXIST;
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0) {
		errno = EADDRINUSE;
		return (-1);
	}
	return (unlink(path));
}

/* Binds a new listening socket at path, mode 0600: root (or the user
 * running the master) only, as it can take servers out of rotation. */
static int
control_bind(const char *path, ino_t *ino)
{
	struct sockaddr_un	 sa;
	struct stat		 sb;
	mode_t			 old;
	int			 fd, rc;

	if (control_addr(path, &sa) == -1 || control_clear(path, &sa) == -1)
		return (-1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc == -1 || listen(fd, 16) == -1 || stat(path, &sb) == -1) {
		rc = errno;
		close(fd);
		errno = rc;
		return (-1);
	}
	*ino = sb.st_ino;
	return (fd);
}

void
control_close(void)
{
	struct stat sb;

	if (ctl_fd == -1)
		return;
	close(ctl_fd);
	ctl_fd = -1;
	if (stat(ctl_path, &sb) == 0 && sb.st_ino == ctl_ino)
		unlink(ctl_path);
	ctl_path[0] = '\0';
}

/*
 * Master, at start and after each accepted reload: opens the configured
 * socket, keeps the open one when the path did not change, or closes it
 * when the directive went away. -1 (logged) when a new socket cannot be
 * opened; at a reload the old socket, if any, stays.
 */
int
control_open(const struct pt_conf *cf)
{
	ino_t	ino;
	int	fd;

	if (cf->control_socket == NULL) {
		control_close();
		return (0);
	}
	if (ctl_fd != -1 && strcmp(ctl_path, cf->control_socket) == 0)
		return (0);
	if ((fd = control_bind(cf->control_socket, &ino)) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "control_socket %s",
		    cf->control_socket);
		return (-1);
	}
	control_close();
	ctl_fd = fd;
	ctl_ino = ino;
	snprintf(ctl_path, sizeof(ctl_path), "%s", cf->control_socket);
	return (0);
}

PT_API int
pt_control_fd(void)
{
	return (ctl_fd);
}
