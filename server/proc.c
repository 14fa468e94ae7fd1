/*
 * Process plumbing: titles as ps(1) shows them ("portier: worker"),
 * daemonizing and the pid file.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

extern char **environ;

static char	*title_base;	/* argv[0]'s storage, extended over argv and environ */
static size_t	 title_room;

/*
 * Linux has no setproctitle(3): the title lives in the memory of argv and
 * environ, which are contiguous. Move the environment away and claim it.
 */
void
proc_title_init(int argc, char **argv)
{
	char	*end;
	char	**newenv;
	int	 i, n;

	if (argc == 0 || argv[0] == NULL)
		return;
	end = argv[0] + strlen(argv[0]);
	for (i = 1; i < argc; i++)
		if (argv[i] == end + 1)
			end = argv[i] + strlen(argv[i]);
	for (n = 0; environ[n] != NULL; n++)
		;
	if ((newenv = calloc((size_t)n + 1, sizeof(char *))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (environ[i] == end + 1)
			end = environ[i] + strlen(environ[i]);
		if ((newenv[i] = strdup(environ[i])) == NULL)
			return;
	}
	environ = newenv;
	title_base = argv[0];
	title_room = (size_t)(end - argv[0]);
	for (i = 1; i < argc; i++)
		argv[i] = NULL;
}

void
proc_title_set(const char *fmt, ...)
{
	char	 buf[256];
	va_list	 ap;
	size_t	 n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	prctl(PR_SET_NAME, buf + (strncmp(buf, "portier: ", 9) == 0 ? 9 : 0));
	if (title_base == NULL || title_room < 2)
		return;
	n = strlen(buf);
	if (n > title_room - 1)
		n = title_room - 1;
	memcpy(title_base, buf, n);
	memset(title_base + n, '\0', title_room - n);
}

int
proc_daemonize(void)
{
	int fd;

	switch (fork()) {
	case -1:
		return (-1);
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		return (-1);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		/*
		 * Keep no terminal or pipe from whoever started us, as nginx
		 * does: an init script run over ssh, or with its output
		 * piped, would otherwise wait for the daemon to exit. Errors
		 * go to the error log; stderr stays only when it is the log.
		 */
		if (!log_is_stderr())
			dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return (0);
}

int
proc_write_pid(const char *path)
{
	char	 buf[32];
	int	 fd, n;

	if (path == NULL)
		return (0);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		return (-1);
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return (-1);
	}
	return (close(fd));
}
