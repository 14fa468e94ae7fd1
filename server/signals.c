/*
 * Signal dispositions. Handlers only set flags. They are installed without
 * SA_RESTART so a worker blocked in accept(2) or a keep-alive read(2) wakes
 * with EINTR and sees the flag (DESIGN.md: graceful restart).
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "core.h"

volatile sig_atomic_t	pt_stop;
volatile sig_atomic_t	pt_graceful;
volatile sig_atomic_t	pt_master_reload;	/* HUP: 1, USR1: 2 */
volatile sig_atomic_t	pt_master_child;

static void
on_stop(int sig)
{
	(void)sig;
	pt_stop = 1;
}

static void
on_graceful(int sig)
{
	(void)sig;
	pt_graceful = 1;
}

static void
on_master(int sig)
{
	switch (sig) {
	case SIGHUP:
		pt_master_reload = 1;
		break;
	case SIGUSR1:
		if (pt_master_reload == 0)
			pt_master_reload = 2;
		break;
	case SIGWINCH:
		pt_graceful = 1;
		break;
	case SIGCHLD:
		pt_master_child = 1;
		break;
	default:
		pt_stop = 1;
		break;
	}
}

static void
set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;		/* no SA_RESTART, on purpose */
	sigaction(sig, &sa, NULL);
}

void
signals_master(void)
{
	set_handler(SIGTERM, on_master);
	set_handler(SIGINT, on_master);
	set_handler(SIGHUP, on_master);
	set_handler(SIGUSR1, on_master);
	set_handler(SIGWINCH, on_master);
	set_handler(SIGCHLD, on_master);
	set_handler(SIGPIPE, SIG_IGN);
}

/*
 * Workers: TERM and INT stop at once; USR1 and WINCH finish the current
 * request and exit (the master sends them on a graceful restart or stop).
 * HUP is ignored: only the master reloads.
 */
void
signals_worker(void)
{
	set_handler(SIGTERM, on_stop);
	set_handler(SIGINT, on_stop);
	set_handler(SIGUSR1, on_graceful);
	set_handler(SIGWINCH, on_graceful);
	set_handler(SIGHUP, SIG_IGN);
	set_handler(SIGCHLD, SIG_DFL);
	set_handler(SIGPIPE, SIG_IGN);
}

void
signals_block_all(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, old);
}
