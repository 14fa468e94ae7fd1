/*
 * Balancing methods (pure): smooth weighted round robin, least
 * connections, rendezvous hashing for ip_hash and hash, random with two
 * choices, slow start, and the availability rule. upstream.c feeds them
 * the shared state; nothing here blocks, allocates or reads a clock.
 */
#include "config.h"

#include "balance.h"

#include <math.h>

#define ELIGIBLE(s, tier)	((s).avail && (s).backup == (tier))

int
bal_wrr(struct bal_server *v, size_t n, bool tier)
{
	long long	total = 0;
	size_t		i;
	int		best = -1;

	for (i = 0; i < n; i++) {
		if (!ELIGIBLE(v[i], tier))
			continue;
		v[i].current += v[i].eff;
		total += v[i].eff;
		if (best == -1 || v[i].current > v[best].current)
			best = (int)i;
	}
	if (best != -1)
		v[best].current -= total;
	return (best);
}

/* a's conns per weight against b's: <0 fewer, 0 the same, >0 more. */
static int
bal_load_cmp(const struct bal_server *a, const struct bal_server *b)
{
	long long x = (long long)a->conns * b->eff;
	long long y = (long long)b->conns * a->eff;

	return (x < y ? -1 : x > y);
}

/*
 * nginx's least_conn: the lowest conns / weight wins; among servers tied
 * on it, smooth round robin decides, so idle pools still spread by weight.
 */
int
bal_least_conn(struct bal_server *v, size_t n, bool tier)
{
	long long	total = 0;
	size_t		i;
	int		low = -1, best = -1;

	for (i = 0; i < n; i++)
		if (ELIGIBLE(v[i], tier) &&
		    (low == -1 || bal_load_cmp(&v[i], &v[low]) < 0))
			low = (int)i;
	if (low == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		if (!ELIGIBLE(v[i], tier) || bal_load_cmp(&v[i], &v[low]) != 0)
			continue;
		v[i].current += v[i].eff;
		total += v[i].eff;
		if (best == -1 || v[i].current > v[best].current)
			best = (int)i;
	}
	v[best].current -= total;
	return (best);
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t
bal_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

uint64_t
bal_hash(const void *p, size_t len, uint64_t seed)
{
	const unsigned char	*b = p;
	uint64_t		 h = 0xcbf29ce484222325ULL ^ seed;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return (bal_mix(h));
}

uint64_t
bal_rand(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return (bal_mix(*state));
}

/*
 * Weighted rendezvous hashing (Schindelhauer and Schomaker's logarithmic
 * method): each server scores w / -ln(u), u uniform in (0, 1) from the
 * hash of key and the server's id; the highest score wins. A server's
 * score depends on nothing but itself and the key, so taking a server
 * away (or marking it down) moves only the keys it had won.
 */
int
bal_hrw(const struct bal_server *v, size_t n, bool tier, uint64_t key)
{
	double		 score, best_score = 0, u;
	uint64_t	 h;
	size_t		 i;
	int		 best = -1;

	for (i = 0; i < n; i++) {
		if (!ELIGIBLE(v[i], tier))
			continue;
		h = bal_mix(key ^ bal_mix(v[i].id));
		u = ((double)(h >> 11) + 0.5) / 9007199254740992.0;	/* 2^53 */
		score = (double)(v[i].weight > 0 ? v[i].weight : 1) / -log(u);
		if (best == -1 || score > best_score) {
			best = (int)i;
			best_score = score;
		}
	}
	return (best);
}

/* One eligible server drawn with probability eff / total; not skip. */
static int
bal_draw(const struct bal_server *v, size_t n, bool tier, int skip,
    uint64_t *rng)
{
	long long	total = 0, at;
	size_t		i;

	for (i = 0; i < n; i++)
		if (ELIGIBLE(v[i], tier) && (int)i != skip)
			total += v[i].eff;
	if (total == 0)
		return (-1);
	at = (long long)(bal_rand(rng) % (uint64_t)total);
	for (i = 0; i < n; i++) {
		if (!ELIGIBLE(v[i], tier) || (int)i == skip)
			continue;
		if (at < v[i].eff)
			return ((int)i);
		at -= v[i].eff;
	}
	return (-1);
}

/*
 * Mitzenmacher's "power of two choices": two random candidates and the
 * less loaded of them. Nearly as even as least connections, without every
 * worker piling onto the same least-loaded server at once.
 */
int
bal_random2(const struct bal_server *v, size_t n, bool tier, uint64_t *rng)
{
	int a, b;

	if ((a = bal_draw(v, n, tier, -1, rng)) == -1)
		return (-1);
	if ((b = bal_draw(v, n, tier, a, rng)) == -1)
		return (a);
	return (bal_load_cmp(&v[b], &v[a]) < 0 ? b : a);
}

int
bal_pick(enum upstream_balance method, struct bal_server *v, size_t n,
    uint64_t key, uint64_t *rng)
{
	size_t	i;
	bool	tier = true;

	for (i = 0; i < n && tier; i++)
		if (ELIGIBLE(v[i], false))
			tier = false;
	switch (method) {
	case BAL_ROUND_ROBIN:
		return (bal_wrr(v, n, tier));
	case BAL_LEAST_CONN:
		return (bal_least_conn(v, n, tier));
	case BAL_IP_HASH:
	case BAL_HASH:
		return (bal_hrw(v, n, tier, key));
	case BAL_RANDOM:
		return (bal_random2(v, n, tier, rng));
	}
	return (-1);
}

int
bal_slow_start(int weight, long long now, long long since, long long window)
{
	long long full = (long long)weight * BAL_SCALE, w;

	if (window <= 0 || since <= 0 || now >= since + window)
		return ((int)full);
	if (now <= since)
		return (1);
	w = full * (now - since) / window;
	return (w < 1 ? 1 : (int)w);
}

/* admin_max: the highest admin state that still takes the request. */
static bool
ups_available(const struct upstream_server *s,
    const struct upstream_state *st, long long now, int admin_max)
{
	if (s->down || __atomic_load_n(&st->health_down, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&st->admin, __ATOMIC_RELAXED) > admin_max ||
	    __atomic_load_n(&st->naddrs, __ATOMIC_RELAXED) <= 0)
		return (false);
	if (now < __atomic_load_n(&st->down_until_ms, __ATOMIC_RELAXED))
		return (false);
	return (s->max_conns <= 0 ||
	    __atomic_load_n(&st->conns, __ATOMIC_RELAXED) < s->max_conns);
}

bool
upstream_is_available(const struct upstream_server *s,
    const struct upstream_state *st, long long now)
{
	return (ups_available(s, st, now, 0));
}

bool
upstream_is_available_sticky(const struct upstream_server *s,
    const struct upstream_state *st, long long now)
{
	return (ups_available(s, st, now, 1));
}
