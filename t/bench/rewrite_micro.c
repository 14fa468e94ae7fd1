/*
 * t/bench/rewrite_micro.c: the CPU one pass of a mod_rewrite rule set
 * costs, alone, without a server: rules read from stdin (pattern, to,
 * flags, tab-separated, as run.sh's rewrite_rules keeps them), one path
 * run through them many times. Prints nanoseconds per pass, with the
 * literal-prefix check on and off (RW_NOPREFIX=1 in the environment turns
 * it off for the whole run). run.sh builds and runs it for rewrite_ka32.
 *
 * usage: rewrite_micro [path [iterations]] < rules.tsv
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena_priv.h"
#include "rewrite_engine.h"

static const char *
no_var(void *arg, const char *name, size_t len, size_t *vlen)
{
	(void)arg;
	(void)name;
	(void)len;
	*vlen = 0;
	return (NULL);
}

static double
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (ts.tv_sec * 1e9 + ts.tv_nsec);
}

static int
load_rules(struct pt_arena *a, struct rw_ruleset *rs)
{
	char		 line[1024], err[256], *pat, *to, *flags, *f, *save;
	struct rw_rule	*r;
	size_t		 off;

	rs->v = pt_calloc(a, 256, sizeof(*rs->v));
	while (rs->n < 256 && fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((pat = strtok_r(line, "\t", &save)) == NULL ||
		    (to = strtok_r(NULL, "\t", &save)) == NULL)
			continue;
		flags = strtok_r(NULL, "\t", &save);
		r = &rs->v[rs->n];
		r->file = "stdin";
		r->line = r->index = (int)rs->n + 1;
		r->flags_text = "";
		for (f = flags != NULL ? strtok_r(flags, ",", &save) : NULL;
		    f != NULL; f = strtok_r(NULL, ",", &save))
			if (rw_flag_parse(a, f, NULL, r, err, sizeof(err)) != 0)
				goto bad;
		if ((r->rx = rw_rx_compile(a, pat, (r->flags & RW_F_NOCASE) !=
		    0, err, sizeof(err), &off)) == NULL ||
		    rw_subst_parse(a, to, NULL, &r->to, err, sizeof(err)) != 0 ||
		    rw_rule_check(r, err, sizeof(err)) != 0)
			goto bad;
		rs->n++;
	}
	return (0);
 bad:
	fprintf(stderr, "rewrite_micro: rule %zu: %s\n", rs->n + 1, err);
	return (-1);
}

/* ns per pass of rs over path. */
static double
measure(const struct rw_ruleset *rs, const char *path, long n,
    struct pt_arena *a)
{
	struct rw_io		io;
	struct rw_req		rq;
	struct rw_result	res;
	double			t0;
	long			i;

	memset(&io, 0, sizeof(io));
	memset(&rq, 0, sizeof(rq));
	io.var = no_var;
	rq.path = path;
	for (i = 0; i < n / 10; i++)	/* warm up */
		rw_run(rs, &rq, &io, a, &res);
	t0 = cpu_ns();
	for (i = 0; i < n; i++)
		rw_run(rs, &rq, &io, a, &res);
	if (res.outcome != RW_NONE)
		fprintf(stderr, "rewrite_micro: a rule matched %s\n", path);
	return ((cpu_ns() - t0) / (double)n);
}

int
main(int argc, char **argv)
{
	struct pt_arena		*a = pt_arena_new(1 << 20, 0);
	struct rw_ruleset	 rs = { NULL, 0 };
	const char		*path = argc > 1 ? argv[1] : "/1k.html";
	long			 n = argc > 2 ? atol(argv[2]) : 2000000;
	double			 with, without;
	size_t			 i, jit = 0, pfx = 0;

	if (a == NULL || load_rules(a, &rs) != 0 || rs.n == 0 ||
	    rw_engine_init() != 0 || rw_ruleset_finish(a, &rs) != 0)
		return (1);
	for (i = 0; i < rs.n; i++) {
		jit += rs.v[i].rx->jit;
		pfx += rs.v[i].rx->prefix != NULL;
		if (getenv("RW_NOPREFIX") != NULL)
			rs.v[i].rx->prefix = NULL;
	}
	if (getenv("RW_NOPREFIX") != NULL)
		rs.pre = NULL;
	with = measure(&rs, path, n, a);
	for (i = 0; i < rs.n; i++)
		rs.v[i].rx->prefix = NULL;
	rs.pre = NULL;
	without = measure(&rs, path, n, a);
	printf("%zu rules (%zu JIT, %zu with a literal prefix) on %s: "
	    "%.0f ns per pass (%.1f ns per rule); without the prefix check "
	    "%.0f ns\n", rs.n, jit, pfx, path, with, with / (double)rs.n,
	    without);
	pt_arena_free(a);
	return (0);
}
