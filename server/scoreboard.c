/*
 * The scoreboard: one slot per worker in shared memory, mapped by the
 * master before fork. A worker writes only its own slot; the master reads
 * all of them to count idle workers and frees a slot when it reaps its
 * owner, so counts of a dead worker never linger.
 */
#include "config.h"

#include <sys/mman.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

struct scoreboard	*pt_scoreboard;

int
sb_create(unsigned int nslots)
{
	size_t	 size = sizeof(struct scoreboard) + nslots * sizeof(struct sb_slot);
	void	*p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	pt_scoreboard = p;
	pt_scoreboard->nslots = nslots;
	pt_scoreboard->started = time(NULL);
	return (0);
}

void
sb_set(int slot, enum sb_state st)
{
	if (pt_scoreboard != NULL && slot >= 0)
		pt_scoreboard->slots[slot].state = st;
}

/* Master only. */
int
sb_slot_alloc(pid_t pid, unsigned int generation)
{
	struct sb_slot	*s;
	unsigned int	 i;

	for (i = 0; i < pt_scoreboard->nslots; i++) {
		s = &pt_scoreboard->slots[i];
		if (s->state != SB_FREE)
			continue;
		memset(s, 0, sizeof(*s));
		s->pid = pid;
		s->generation = generation;
		s->started = time(NULL);
		s->state = SB_STARTING;
		return ((int)i);
	}
	return (-1);
}

/* Master only, after reaping: a worker that died while idle leaves the count. */
void
sb_slot_free(int slot)
{
	if (slot < 0 || (unsigned int)slot >= pt_scoreboard->nslots)
		return;
	if (pt_scoreboard->slots[slot].state == SB_IDLE)
		__atomic_fetch_sub(&pt_scoreboard->idle, 1, __ATOMIC_RELAXED);
	if (pt_scoreboard->slots[slot].ws_streams > 0)
		__atomic_fetch_sub(&pt_scoreboard->ws_streams,
		    pt_scoreboard->slots[slot].ws_streams, __ATOMIC_RELAXED);
	memset(&pt_scoreboard->slots[slot], 0, sizeof(struct sb_slot));
}

/*
 * The count of workers waiting in accept, kept as one atomic counter so a
 * worker can ask "is anyone else free?" before holding an idle keep-alive
 * connection without scanning every slot.
 */
void
sb_idle_enter(int slot)
{
	if (pt_scoreboard == NULL || slot < 0)
		return;
	pt_scoreboard->slots[slot].state = SB_IDLE;
	__atomic_fetch_add(&pt_scoreboard->idle, 1, __ATOMIC_RELAXED);
}

void
sb_idle_leave(int slot)
{
	if (pt_scoreboard == NULL || slot < 0)
		return;
	__atomic_fetch_sub(&pt_scoreboard->idle, 1, __ATOMIC_RELAXED);
	if (pt_scoreboard->slots[slot].state == SB_IDLE)
		pt_scoreboard->slots[slot].state = SB_READ;
}

/* Idle workers; a large number when there is no scoreboard (-X). */
int
sb_idle(void)
{
	if (pt_scoreboard == NULL)
		return (1 << 20);
	return (__atomic_load_n(&pt_scoreboard->idle, __ATOMIC_RELAXED));
}

int
sb_slot_of(pid_t pid)
{
	unsigned int i;

	for (i = 0; i < pt_scoreboard->nslots; i++)
		if (pt_scoreboard->slots[i].state != SB_FREE &&
		    pt_scoreboard->slots[i].pid == pid)
			return ((int)i);
	return (-1);
}

unsigned int
sb_count(enum sb_state st, unsigned int generation)
{
	unsigned int i, n = 0;

	for (i = 0; i < pt_scoreboard->nslots; i++)
		if (pt_scoreboard->slots[i].state == (int)st &&
		    pt_scoreboard->slots[i].generation == generation)
			n++;
	return (n);
}

static long long
sb_ms(const struct timespec *ts)
{
	return ((long long)ts->tv_sec * 1000 + ts->tv_nsec / 1000000);
}

/*
 * Records the request line with its query masked, as soon as the head is
 * read: the status page shows what a busy worker is doing, and a crash
 * report names the request that was being served.
 */
void
sb_request_begin(int slot, const struct pt_request *r)
{
	struct sb_slot	*s;

	if (pt_scoreboard == NULL || slot < 0)
		return;
	s = &pt_scoreboard->slots[slot];
	s->req_start_ms = sb_ms(&r->start);
	snprintf(s->last_request, sizeof(s->last_request), "%.*s %.*s%s",
	    (int)(r->head.method.len > 16 ? 16 : r->head.method.len),
	    r->head.method.p, (int)(r->head.path.len > 100 ? 100 : r->head.path.len),
	    r->head.path.p, r->head.has_query ? "?..." : "");
	memcpy(s->client, r->conn->client, sizeof(s->client));
}

/* Counts a finished request (a head that could not be read included). */
void
sb_note_request(int slot, const struct pt_request *r)
{
	struct sb_slot	*s;
	struct timespec	 now;

	if (pt_scoreboard == NULL || slot < 0)
		return;
	s = &pt_scoreboard->slots[slot];
	s->requests++;
	s->last_used = r->start.tv_sec;
	if (r->head.method.len == 0) {	/* refused before sb_request_begin */
		s->req_start_ms = sb_ms(&r->start);
		snprintf(s->last_request, sizeof(s->last_request), "-");
	}
	clock_gettime(CLOCK_REALTIME, &now);
	s->last_ms = sb_ms(&now) - s->req_start_ms;
}

/* The connection's client, recorded as soon as it is accepted. */
void
sb_conn_begin(int slot, const char *client)
{
	if (pt_scoreboard == NULL || slot < 0)
		return;
	snprintf(pt_scoreboard->slots[slot].client,
	    sizeof(pt_scoreboard->slots[slot].client), "%s", client);
}

/* Connections from this client address being served by any worker. */
unsigned int
sb_client_count(const char *client)
{
	const struct sb_slot	*s;
	unsigned int		 i, n = 0;

	if (pt_scoreboard == NULL)
		return (0);
	for (i = 0; i < pt_scoreboard->nslots; i++) {
		s = &pt_scoreboard->slots[i];
		if (s->state >= SB_READ && s->state <= SB_CLOSING &&
		    strcmp(s->client, client) == 0)
			n++;
	}
	return (n);
}

/*
 * websocket_worker_max: upgraded streams a worker relays itself (TLS it
 * terminated cannot move to the tunnel process), counted across workers
 * so they cannot take every worker. Without a scoreboard (-X), this
 * process's own count.
 */
static unsigned int	 sb_ws_local;

int
sb_ws_enter(int slot, unsigned int max)
{
	unsigned int	*n = pt_scoreboard != NULL ?
			    &pt_scoreboard->ws_streams : &sb_ws_local;

	if (__atomic_add_fetch(n, 1, __ATOMIC_RELAXED) > max) {
		__atomic_fetch_sub(n, 1, __ATOMIC_RELAXED);
		return (-1);
	}
	if (pt_scoreboard != NULL && slot >= 0)
		pt_scoreboard->slots[slot].ws_streams++;
	return (0);
}

void
sb_ws_leave(int slot)
{
	if (pt_scoreboard != NULL && slot >= 0 &&
	    pt_scoreboard->slots[slot].ws_streams > 0)
		pt_scoreboard->slots[slot].ws_streams--;
	__atomic_fetch_sub(pt_scoreboard != NULL ? &pt_scoreboard->ws_streams :
	    &sb_ws_local, 1, __ATOMIC_RELAXED);
}
