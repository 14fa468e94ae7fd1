/*
 * t/bench/status_micro.c: what mod_status adds to each request, alone:
 * the clock read of pt_req_stats() and st_count() into one slot's area,
 * in nanoseconds per request. The end-to-end scenario (run.sh
 * status_ka32) cannot resolve a cost this small on a shared machine;
 * this bounds it. Never part of make check. From the build tree:
 *
 *   cc -O2 -std=gnu11 -I. -Iserver/include -Imodules/mod_status \
 *       -o /tmp/status_micro t/bench/status_micro.c \
 *       modules/mod_status/status_counters.c && /tmp/status_micro
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "status.h"

#define N	20000000

static double
ns_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (((double)(b.tv_sec - a->tv_sec) * 1e9 +
	    (double)(b.tv_nsec - a->tv_nsec)) / N);
}

int
main(void)
{
	/* Two servers with 3 and 2 routes; workers.max 64 gives 136 slots. */
	static const size_t	 nroutes[] = { 3, 2 };
	struct st_layout	 l = { 136, 2, nroutes, 1 };
	struct st_writer	 w;
	struct timespec		 a, t;
	void			*seg;
	int			 i;

	if ((seg = calloc(1, st_seg_size(&l))) == NULL)
		return (1);
	st_seg_init(seg, &l);
	st_writer_init(seg, 5, &w);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < N; i++) {
		clock_gettime(CLOCK_REALTIME, &t);
		st_count(&w, 0, i & 1, 200, 90, 1024, t.tv_nsec & 0xffff);
	}
	printf("clock read and count: %.1f ns per request\n", ns_since(&a));
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < N; i++)
		st_count(&w, 0, i & 1, 200, 90, 1024, i & 0xffff);
	printf("count alone:          %.1f ns per request\n", ns_since(&a));
	printf("segment: %zu bytes for 136 slots (pages of unused slots are "
	    "never touched)\n", st_seg_size(&l));
	free(seg);
	return (0);
}
