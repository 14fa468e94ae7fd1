/*
 * The helper process ("portier: helper"): runs the modules' periodic hooks
 * (health checks, DNS refresh, key rotation, cache housekeeping). Each
 * hook does a bounded step and returns the delay until its next run; the
 * helper sleeps until the earliest deadline. The master restarts it when
 * it dies, and replaces it on every reload so it runs the new hooks.
 */
#include "config.h"

#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "hooks_priv.h"

static pid_t	helper_pid_;

#define HELPER_IDLE_MS	1000	/* wake at least this often to see signals */

static void
helper_loop(const struct pt_conf *cf)
{
	const struct hook_list	*l = &cf->hooks->l[H_PERIODIC];
	long long		*next, now, soonest, d;
	size_t			 i;

	if ((next = calloc(l->n > 0 ? l->n : 1, sizeof(*next))) == NULL)
		exit(1);
	while (!pt_stop && !pt_graceful) {
		now = now_ms();
		soonest = now + HELPER_IDLE_MS;
		for (i = 0; i < l->n; i++) {
			if (next[i] <= now) {
				d = l->v[i].u.periodic(cf, now);
				next[i] = now + (d > 0 ? d : HELPER_IDLE_MS);
			}
			if (next[i] < soonest)
				soonest = next[i];
		}
		d = soonest - now_ms();
		if (d > 0)
			poll(NULL, 0, (int)d);
	}
	free(next);
	exit(0);
}

/* Master: forks the helper; it runs as the workers' user. */
pid_t
helper_start(const struct pt_conf *cf, bool explicit_user,
    const sigset_t *unblocked)
{
	pid_t pid;

	switch ((pid = fork())) {
	case -1:
		PT_LOG_ERRNO(PT_LOG_ERR, "fork helper");
		return (-1);
	case 0:
		signals_worker();
		sigprocmask(SIG_SETMASK, unblocked, NULL);
		proc_title_set("portier: helper");
		if (worker_drop_privileges(cf, explicit_user) == -1)
			exit(2);
		helper_loop(cf);
		exit(0);
	default:
		helper_pid_ = pid;
		if (pt_scoreboard != NULL)	/* mod_status shows it */
			pt_scoreboard->helper_pid = pid;
		return (pid);
	}
}

pid_t
helper_pid(void)
{
	return (helper_pid_);
}

void
helper_forget(void)
{
	helper_pid_ = 0;
	if (pt_scoreboard != NULL)
		pt_scoreboard->helper_pid = 0;
}

/* Master: asks the helper to finish its step and exit. */
void
helper_stop(void)
{
	if (helper_pid_ > 0)
		kill(helper_pid_, SIGTERM);
}
