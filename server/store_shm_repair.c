/*
 * The shared-memory store's set-up and upkeep: the segment's layout, the
 * repair rule run when a process died holding a stripe's lock, the
 * consistency check the tests use, and the counters. The operations
 * themselves are in store_shm.c.
 *
 * The repair rule. A process may die at any instruction while it holds a
 * stripe's lock, leaving bucket chains, the LRU list, the free list and
 * the counts half-updated. None of them is trusted: the next holder
 * rebuilds them all from the chunks. A head chunk in state CH_LIVE is an
 * entry when its chain is whole (the right number of CH_BODY chunks, none
 * shared, in range), its key hashes to this stripe and to its stored hash,
 * and no other kept entry has the same key; everything else (uncommitted
 * heads, entries half written or half removed, orphan chunks) goes back to
 * the free list. The write protocol in store_shm.c commits a head only
 * after its bytes are written and uncommits it before touching them, so
 * the rule drops at most the entry the dead process was changing. The
 * rebuild only reads chunks and rewrites derived state, so if the
 * repairing process dies too, the next holder simply repeats it.
 */
#include "config.h"

#include "store_shm.h"

#include <sys/random.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PT_LOG_TAG	"store"
#include <portier/log.h>

_Static_assert(sizeof(struct chunk) == HEAD_HDR, "chunk header size");
_Static_assert(offsetof(struct chunk, hnext) == CH_HDR, "body offset");

#define ALIGN64(x)	(((x) + 63) & ~(size_t)63)

/*
 * Walks the chain of head i and marks its chunks 1. Returns whether it is
 * a whole entry; when it is not, the marks it set are taken back, so a
 * chunk is never counted in two entries (which also ends any cycle).
 */
static bool
chain_claim(const struct sctx *sc, uint32_t i)
{
	struct chunk	*c = CH(sc, i);
	uint32_t	 need, k, j = i, got = 0;
	bool		 ok = false;

	if ((c->type != ENT_VALUE && c->type != ENT_BUCKET) || c->klen == 0 ||
	    c->klen > PT_STORE_KEY_MAX || c->vlen > PT_STORE_VALUE_MAX)
		return (false);
	need = ent_nchunks((size_t)c->klen + c->vlen);
	for (k = 0; k < need; k++) {
		if (j == NIL || j > sc->st->nchunks)
			goto out;
		c = CH(sc, j);
		if (c->mark != 0 || (k > 0 && c->state != CH_BODY))
			goto out;
		c->mark = 1;
		got++;
		j = c->next;
	}
	ok = (j == NIL);
 out:
	for (j = i; !ok && got > 0; got--) {
		c = CH(sc, j);
		c->mark = 0;
		j = c->next;
	}
	return (ok);
}

/* Whether the key of head i belongs where it is (stripe, stored hash). */
static bool
key_belongs(const struct sctx *sc, uint32_t i, uint64_t *hv)
{
	struct chunk	*c = CH(sc, i);
	char		 key[PT_STORE_KEY_MAX];

	ent_io(sc, i, 0, key, c->klen, 'r');
	*hv = shm_hash(sc->h->seed, key, c->klen);
	return (*hv % sc->h->nstripes == sc->idx &&
	    (uint32_t)(*hv >> 32) == c->hash);
}

/* Unmarks chain i again (a duplicate key found after the claim). */
static void
chain_unclaim(const struct sctx *sc, uint32_t i)
{
	for (; i != NIL; i = CH(sc, i)->next)
		CH(sc, i)->mark = 0;
}

/* Keeps head i if it is a whole, committed, unique entry. */
static bool
repair_keep(const struct sctx *sc, uint32_t i)
{
	struct chunk	*c = CH(sc, i);
	char		 key[PT_STORE_KEY_MAX];
	uint64_t	 hv;
	uint32_t	*b;

	if (!chain_claim(sc, i))
		return (false);
	if (!key_belongs(sc, i, &hv)) {
		chain_unclaim(sc, i);
		return (false);
	}
	ent_io(sc, i, 0, key, c->klen, 'r');
	if (ent_find(sc, hv, key, c->klen) != NIL) {
		chain_unclaim(sc, i);
		return (false);
	}
	b = &sc->buckets[c->hash & (sc->st->nbuckets - 1)];
	c->hnext = *b;
	*b = i;
	lru_push(sc, i);	/* recency is lost; the order is arbitrary */
	sc->st->entries++;
	return (true);
}

void
stripe_repair(struct sctx *sc)
{
	struct stripe	*st = sc->st;
	struct chunk	*c;
	uint32_t	 i, kept = 0, dropped = 0;

	memset(sc->buckets, 0, (size_t)st->nbuckets * sizeof(uint32_t));
	st->lru_head = st->lru_tail = NIL;
	st->entries = 0;
	for (i = 1; i <= st->nchunks; i++)
		CH(sc, i)->mark = 0;
	for (i = 1; i <= st->nchunks; i++) {
		c = CH(sc, i);
		if (c->state != CH_LIVE)
			continue;
		if (repair_keep(sc, i))
			kept++;
		else {
			chunk_state(c, CH_PENDING);
			dropped++;
		}
	}
	/* Every chunk no kept entry claimed is free, wherever it was. */
	st->free_head = NIL;
	st->nfree = 0;
	for (i = st->nchunks; i >= 1; i--) {
		c = CH(sc, i);
		if (c->mark != 0) {
			c->mark = 0;
			continue;
		}
		chunk_state(c, CH_FREE);
		c->next = st->free_head;
		st->free_head = i;
		st->nfree++;
	}
	st->repairs++;
	PT_LOG(PT_LOG_WARN, "stripe %u: a process died holding its lock; "
	    "rebuilt from its chunks: %u entries kept, %u broken ones dropped, "
	    "%u of %u chunks free", sc->idx, kept, dropped, st->nfree,
	    st->nchunks);
}

int
stripe_lock_at(struct store_shm *h, unsigned int idx, struct sctx *sc)
{
	bool died;

	sctx_init(h, idx, sc);
	if (pt_mutex_lock(&sc->st->lock, &died) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "stripe %u: lock", idx);
		return (-1);
	}
	if (died)
		stripe_repair(sc);
	return (0);
}

/* Places the stripes, their buckets and chunks; fills the free lists. */
static int
store_layout(struct store_shm *h, size_t bytes)
{
	struct sctx	 sc;
	struct stripe	*st;
	size_t		 hdr, per, nb, n0, boff;
	unsigned int	 ns, s;
	uint32_t	 i;

	ns = (unsigned int)(bytes / STRIPE_BYTES);
	ns = ns < 1 ? 1 : ns > STORE_STRIPES ? STORE_STRIPES : ns;
	hdr = ALIGN64(sizeof(*h) + ns * sizeof(struct stripe));
	per = ((bytes - hdr) / ns) & ~(size_t)63;
	n0 = per / CHUNK;
	/* About one bucket per two chunks: entries take one or two. */
	for (nb = 16; nb * 4 <= n0; nb *= 2)
		continue;
	h->nstripes = ns;
	for (s = 0; s < ns; s++) {
		st = &h->stripes[s];
		memset(st, 0, sizeof(*st));
		if (pt_mutex_init(&st->lock) == -1)
			return (-1);
		st->nbuckets = (uint32_t)nb;
		st->buckets_off = hdr + s * per;
		boff = ALIGN64(nb * sizeof(uint32_t));
		st->chunks_off = st->buckets_off + boff;
		st->nchunks = (uint32_t)((per - boff) / CHUNK);
		sctx_init(h, s, &sc);
		memset(sc.buckets, 0, nb * sizeof(uint32_t));
		for (i = 1; i <= st->nchunks; i++) {
			memset(CH(&sc, i), 0, sizeof(struct chunk));
			CH(&sc, i)->state = CH_FREE;
			CH(&sc, i)->next = i < st->nchunks ? i + 1 : NIL;
		}
		st->free_head = 1;
		st->nfree = st->nchunks;
	}
	return (0);
}

struct store_shm *
store_shm_init(size_t bytes)
{
	struct store_shm	*h;
	bool			 fresh;

	if (bytes == 0)
		bytes = STORE_SHM_DEFAULT;
	if (bytes < STORE_SHM_MIN || bytes > STORE_SHM_MAX) {
		errno = EINVAL;
		return (NULL);
	}
	if ((h = pt_shm_segment("core", "store", bytes, &fresh)) == NULL)
		return (NULL);
	/*
	 * Re-used across a restart: old workers may be inside it right now,
	 * so its mutexes and entries are left exactly as they are.
	 */
	if (!fresh && __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) ==
	    STORE_MAGIC && h->version == STORE_VERSION && h->size == bytes)
		return (h);
	/* Fresh, or never finished setting up: nobody can be using it. */
	if (getrandom(h->seed, sizeof(h->seed), 0) !=
	    (ssize_t)sizeof(h->seed)) {
		PT_LOG_ERRNO(PT_LOG_WARN, "getrandom; store keys hashed with "
		    "a weak seed");
		h->seed[0] = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
		h->seed[1] = (uint64_t)getpid() ^ (uint64_t)(uintptr_t)h;
	}
	h->version = STORE_VERSION;
	h->size = bytes;
	if (store_layout(h, bytes) == -1) {
		PT_LOG_ERRNO(PT_LOG_ERR, "store: mutex");
		return (NULL);
	}
	__atomic_store_n(&h->magic, STORE_MAGIC, __ATOMIC_RELEASE);
	PT_LOG(PT_LOG_DEBUG, "store: %zu bytes, %u stripes of %u chunks",
	    bytes, h->nstripes, h->stripes[0].nchunks);
	return (h);
}

int
store_shm_stats(struct store_shm *h, struct store_shm_stats *out)
{
	struct sctx	 sc;
	unsigned int	 s;

	memset(out, 0, sizeof(*out));
	out->stripes = h->nstripes;
	for (s = 0; s < h->nstripes; s++) {
		if (stripe_lock_at(h, s, &sc) == -1)
			return (-1);
		out->entries += sc.st->entries;
		out->chunks += sc.st->nchunks;
		out->chunks_free += sc.st->nfree;
		out->evictions += sc.st->evictions;
		out->expired += sc.st->expired;
		out->repairs += sc.st->repairs;
		pt_mutex_unlock(&sc.st->lock);
	}
	return (0);
}

/* Bucket chains: every entry live, whole, placed by its hash. */
static const char *
check_buckets(const struct sctx *sc, uint32_t *count)
{
	struct chunk	*c;
	uint32_t	 b, i;
	uint64_t	 hv;

	for (b = 0; b < sc->st->nbuckets; b++)
		for (i = sc->buckets[b]; i != NIL; i = c->hnext) {
			if (i > sc->st->nchunks)
				return ("bucket link out of range");
			c = CH(sc, i);
			if (c->state != CH_LIVE)
				return ("a chained head is not live");
			if ((c->hash & (sc->st->nbuckets - 1)) != b)
				return ("an entry in the wrong bucket");
			if (!chain_claim(sc, i))
				return ("a broken or shared chunk chain");
			if (!key_belongs(sc, i, &hv))
				return ("a key in the wrong stripe or hash");
			if (++*count > sc->st->nchunks)
				return ("a cycle in a bucket");
		}
	return (NULL);
}

static const char *
check_lists(const struct sctx *sc, uint32_t entries)
{
	struct chunk	*c;
	uint32_t	 i, prev = NIL, n = 0;

	for (i = sc->st->lru_head; i != NIL; prev = i, i = c->lnext) {
		if (i > sc->st->nchunks || ++n > entries)
			return ("LRU list longer than the entries");
		c = CH(sc, i);
		if (c->mark != 1 || c->state != CH_LIVE || c->lprev != prev)
			return ("LRU list holds a non-entry or bad back link");
	}
	if (n != entries || sc->st->lru_tail != prev)
		return ("LRU list misses entries or its tail");
	for (n = 0, i = sc->st->free_head; i != NIL; i = c->next) {
		if (i > sc->st->nchunks)
			return ("free link out of range");
		c = CH(sc, i);
		if (c->mark != 0 || c->state != CH_FREE)
			return ("free list holds a used chunk, or a cycle");
		c->mark = 2;
		n++;
	}
	if (n != sc->st->nfree)
		return ("free count differs from the free list");
	return (NULL);
}

static const char *
check_stripe(const struct sctx *sc)
{
	const char	*why;
	uint32_t	 i, n = 0, lost = 0;

	for (i = 1; i <= sc->st->nchunks; i++)
		if (CH(sc, i)->mark != 0)
			return ("a mark left set");
	if ((why = check_buckets(sc, &n)) == NULL) {
		if (n != sc->st->entries)
			why = "entry count differs from the chains";
		else
			why = check_lists(sc, n);
	}
	for (i = 1; i <= sc->st->nchunks; i++) {
		lost += CH(sc, i)->mark == 0;
		CH(sc, i)->mark = 0;
	}
	if (why == NULL && lost != 0)
		why = "chunks neither in an entry nor free";
	return (why);
}

int
store_shm_check(struct store_shm *h)
{
	struct sctx	 sc;
	const char	*why;
	unsigned int	 s;

	for (s = 0; s < h->nstripes; s++) {
		if (stripe_lock_at(h, s, &sc) == -1)
			return (-1);
		why = check_stripe(&sc);
		pt_mutex_unlock(&sc.st->lock);
		if (why != NULL) {
			PT_LOG(PT_LOG_ERR, "stripe %u: %s", s, why);
			return (-1);
		}
	}
	return (0);
}
