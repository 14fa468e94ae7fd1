/*
 * The master process: owns the configuration, the listeners, the logs and
 * the scoreboard; forks and supervises workers; handles TERM (stop now),
 * HUP (reload, replace workers now), USR1 (graceful restart: reload, reopen
 * logs, old workers finish what they serve) and WINCH (graceful stop). It
 * never serves a request.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "hooks_priv.h"
#include "resolver.h"
#include "upstream.h"
#include "shm_priv.h"
#include "tunnel.h"

struct master {
	const char			*conf_path;
	const struct conf_overrides	*ov;
	struct pt_conf			*conf;
	struct listener			*lst;
	size_t				 nlst;
	unsigned int			 generation;
	unsigned int			 spawn_rate;	/* doubles while short, like prefork */
	sigset_t			 unblocked;	/* the mask outside the master */
	bool				 foreground;
};

static pid_t
master_spawn(struct master *m)
{
	struct worker	 w;
	pid_t		 pid;
	int		 slot;

	if ((slot = sb_slot_alloc(0, m->generation)) == -1)
		return (-1);
	switch ((pid = fork())) {
	case -1:
		PT_LOG_ERRNO(PT_LOG_ERR, "fork");
		sb_slot_free(slot);
		return (-1);
	case 0:
		signals_worker();
		sigprocmask(SIG_SETMASK, &m->unblocked, NULL);
		memset(&w, 0, sizeof(w));
		w.conf = m->conf;
		w.lst = m->lst;
		w.nlst = m->nlst;
		w.slot = slot;
		pt_scoreboard->slots[slot].pid = getpid();
		if (worker_drop_privileges(m->conf, m->ov->user != NULL) == -1 ||
		    hooks_run_child_init(m->conf->hooks, m->conf) != PT_OK)
			exit(2);
		worker_main(&w);
	default:
		pt_scoreboard->slots[slot].pid = pid;
		return (pid);
	}
}

/* Workers of this generation that are alive (any state). */
static unsigned int
master_live(const struct master *m)
{
	unsigned int i, n = 0;

	for (i = 0; i < pt_scoreboard->nslots; i++)
		if (pt_scoreboard->slots[i].state != SB_FREE &&
		    pt_scoreboard->slots[i].state != SB_EXITING &&
		    pt_scoreboard->slots[i].generation == m->generation)
			n++;
	return (n);
}

static void
master_signal_generation(unsigned int gen, bool older, int sig)
{
	struct sb_slot	*s;
	unsigned int	 i;

	for (i = 0; i < pt_scoreboard->nslots; i++) {
		s = &pt_scoreboard->slots[i];
		if (s->state == SB_FREE || s->pid <= 0)
			continue;
		if (older ? s->generation < gen : s->generation <= gen)
			kill(s->pid, sig);
	}
}

/* The helper died or exited: log a crash, start it again unless stopping. */
static void
master_helper_reaped(struct master *m, int status)
{
	helper_forget();
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
		PT_LOG(PT_LOG_ERR, "helper process died on signal %d: "
		    "restarting it", WTERMSIG(status));
	if (!pt_stop && !pt_graceful)
		helper_start(m->conf, m->ov->user != NULL, &m->unblocked);
}

static void
master_reap(struct master *m)
{
	struct sb_slot	*s;
	pid_t		 pid;
	int		 status, slot;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == helper_pid()) {
			master_helper_reaped(m, status);
			continue;
		}
		if ((slot = sb_slot_of(pid)) == -1) {
			tunnel_reaped(pid, status);
			continue;
		}
		s = &pt_scoreboard->slots[slot];
		/* A signal we did not send to stop it is a crash. */
		if (WIFSIGNALED(status) && !(WTERMSIG(status) == SIGTERM &&
		    (pt_stop || s->generation < m->generation ||
		    s->state == SB_EXITING)))
			PT_LOG(PT_LOG_ERR, "worker %d died on signal %d "
			    "(last request: %s from %s)", (int)pid,
			    WTERMSIG(status), s->last_request[0] ?
			    s->last_request : "none", s->client[0] ? s->client : "-");
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
		    !pt_stop)
			PT_LOG(PT_LOG_ERR, "worker %d exited with status %d",
			    (int)pid, WEXITSTATUS(status));
		upstream_slot_release(m->conf, slot);
		sb_slot_free(slot);
	}
}

static void
master_retire_one(struct master *m)
{
	struct sb_slot	*s;
	unsigned int	 i;

	for (i = 0; i < pt_scoreboard->nslots; i++) {
		s = &pt_scoreboard->slots[i];
		if (s->state == SB_IDLE && s->generation == m->generation &&
		    s->pid > 0) {
			s->state = SB_EXITING;
			kill(s->pid, SIGUSR1);
			return;
		}
	}
}

/*
 * Keeps between min_spare and max_spare idle workers, never more than max
 * in this generation (old ones finishing a graceful restart do not count).
 * When short, the number spawned per tick doubles up to 32, as prefork does.
 */
static void
master_maintain(struct master *m)
{
	const struct conf_workers	*w = &m->conf->workers;
	unsigned int			 live, idle, want, i;

	live = master_live(m);
	idle = sb_count(SB_IDLE, m->generation) +
	    sb_count(SB_STARTING, m->generation);
	want = 0;
	if (live < (unsigned int)w->start)
		want = (unsigned int)w->start - live;	/* the floor */
	else if (idle < (unsigned int)w->min_spare)
		want = m->spawn_rate;
	if (want > 0) {
		if (live + want > (unsigned int)w->max)
			want = live >= (unsigned int)w->max ? 0 :
			    (unsigned int)w->max - live;
		for (i = 0; i < want; i++)
			if (master_spawn(m) == -1)
				break;
		m->spawn_rate = m->spawn_rate == 0 ? 1 :
		    (m->spawn_rate < 32 ? m->spawn_rate * 2 : 32);
		return;
	}
	m->spawn_rate = 1;
	if (idle > (unsigned int)w->max_spare && live > (unsigned int)w->start)
		master_retire_one(m);
}

/* Waits up to ms for children to exit; returns how many are left. */
static unsigned int
master_wait_children(struct master *m, long long ms)
{
	long long	 deadline = now_ms() + ms;
	unsigned int	 left;

	struct timespec	 ts = { 0, 20 * 1000 * 1000 };

	for (;;) {
		master_reap(m);
		/* Free slots are zeroed, so their generation is 0. */
		left = pt_scoreboard->nslots - sb_count(SB_FREE, 0);
		if (left == 0 || now_ms() >= deadline)
			return (left);
		ppoll(NULL, 0, &ts, &m->unblocked);
	}
}

static void
master_stop(struct master *m, bool graceful)
{
	helper_stop();
	tunnel_stop();
	master_signal_generation(m->generation, false,
	    graceful ? SIGUSR1 : SIGTERM);
	if (graceful) {
		/* WINCH: no new connections; let workers finish theirs. */
		listen_close_all(m->lst, m->nlst);
		m->lst = NULL;
		m->nlst = 0;
		while (master_wait_children(m, 1000) > 0 && !pt_stop)
			;
		if (pt_stop)
			master_signal_generation(m->generation, false, SIGTERM);
	}
	if (master_wait_children(m, 5000) > 0) {
		PT_LOG(PT_LOG_WARN, "workers still running after 5s: killing");
		master_signal_generation(m->generation, false, SIGKILL);
		master_wait_children(m, 2000);
	}
}

/*
 * HUP and USR1. The new configuration is built whole; when it fails to
 * load, the errors are logged and the old one keeps running. USR1 reopens
 * the logs in any case, so log rotation never depends on the config.
 */
static void
master_reload(struct master *m, bool graceful)
{
	struct pt_conf	*nc;
	struct listener	*nl;
	size_t		 nn;
	char		*errbuf = NULL;
	size_t		 errlen = 0;
	FILE		*errs;
	int		 nerr = 0;

	if (graceful)
		log_reopen();
	errs = open_memstream(&errbuf, &errlen);
	nc = setup_load(m->conf_path, m->ov, errs != NULL ? errs : stderr, &nerr);
	if (errs != NULL)
		fclose(errs);
	if (nc == NULL) {
		static_init(m->conf);	/* the MIME table of the running one */
		(void)resolver_configure(&m->conf->resolver);	/* and its resolver */
		PT_LOG(PT_LOG_ERR, "reload: %d error(s) in %s, keeping the "
		    "running configuration:\n%s", nerr, m->conf_path,
		    errbuf != NULL ? errbuf : "");
		free(errbuf);
		return;
	}
	free(errbuf);
	if (listen_open_all(nc, m->lst, m->nlst, &nl, &nn) == -1) {
		PT_LOG(PT_LOG_ERR, "reload: cannot open the new listeners, "
		    "keeping the running configuration");
		conf_free(nc);
		(void)resolver_configure(&m->conf->resolver);
		return;
	}
	listen_close_all(m->lst, m->nlst);	/* only the ones not taken */
	m->lst = nl;
	m->nlst = nn;
	conf_free(m->conf);
	m->conf = nc;
	log_open(nc);
	access_log_open(nc);
	listen_report(nc, nl, nn);
	m->generation++;
	pt_scoreboard->generation = m->generation;
	if (graceful)
		pt_scoreboard->restarts_graceful++;
	else
		pt_scoreboard->restarts_hard++;
	/* A control socket that cannot move keeps the one it had (logged). */
	control_open(nc);
	master_signal_generation(m->generation, true,
	    graceful ? SIGUSR1 : SIGTERM);
	/* The helper runs the new configuration's hooks: replace it. */
	helper_stop();
	/* HUP ends the tunnels too; a graceful restart keeps them. */
	if (!graceful) {
		tunnel_stop();
		tunnel_start(m->conf, m->ov->user != NULL);
	}
	PT_LOG(PT_LOG_NOTICE, "%s: generation %u",
	    graceful ? "graceful restart" : "restart", m->generation);
}

static void
master_tick(struct master *m)
{
	struct timespec ts = { 1, 0 };

	/* Signals are blocked except inside ppoll: no wake-up is lost. */
	if (!pt_stop && !pt_graceful && !pt_master_reload && !pt_master_child)
		ppoll(NULL, 0, &ts, &m->unblocked);
}

static void
master_loop(struct master *m)
{
	int reload;

	for (;;) {
		master_tick(m);
		pt_master_child = 0;
		master_reap(m);
		if (pt_stop || pt_graceful) {
			master_stop(m, !pt_stop);
			return;
		}
		if ((reload = pt_master_reload) != 0) {
			pt_master_reload = 0;
			master_reload(m, reload == 2);
		}
		master_maintain(m);
	}
}

/* rlimit_nofile: raised here, as root, so every child inherits it. */
static int
master_rlimit(const struct pt_conf *cf)
{
	struct rlimit rl;

	if (cf->rlimit_nofile <= 0)
		return (0);
	rl.rlim_cur = rl.rlim_max = (rlim_t)cf->rlimit_nofile;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "rlimit_nofile %lld", cf->rlimit_nofile);
		return (-1);
	}
	return (0);
}

int
master_run(const char *conf_path, struct pt_conf *cf,
    const struct conf_overrides *ov, bool foreground)
{
	struct master	 m;

	memset(&m, 0, sizeof(m));
	m.conf_path = conf_path;
	m.ov = ov;
	m.conf = cf;
	m.foreground = foreground;
	m.generation = 1;
	if (master_rlimit(cf) == -1 ||
	    listen_open_all(cf, NULL, 0, &m.lst, &m.nlst) == -1)
		return (1);
	if (sb_create((unsigned int)cf->workers.max * 2 + 8) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "scoreboard");
		return (1);
	}
	pt_scoreboard->generation = m.generation;
	if (!foreground && proc_daemonize() == -1)
		return (1);
	if (proc_write_pid(cf->pid_file) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "pid_file %s", cf->pid_file);
		return (1);
	}
	listen_report(cf, m.lst, m.nlst);
	pt_scoreboard->master_pid = getpid();	/* after daemonizing */
	if (control_open(cf) == -1)
		return (1);
	signals_block_all(&m.unblocked);
	signals_master();
	proc_title_set("portier: master -f %s", conf_path);
	PT_LOG(PT_LOG_NOTICE, "%s started, pid %d", PT_VERSION_STR,
	    (int)getpid());
	helper_start(m.conf, ov->user != NULL, &m.unblocked);
	/* Before any worker: workers inherit its hand-off socket. */
	tunnel_start(m.conf, ov->user != NULL);
	master_maintain(&m);
	master_loop(&m);
	if (m.conf->pid_file != NULL)
		unlink(m.conf->pid_file);
	listen_close_all(m.lst, m.nlst);
	control_close();
	PT_LOG(PT_LOG_NOTICE, "stopped");
	conf_free(m.conf);
	shm_free_all();
	return (0);
}
