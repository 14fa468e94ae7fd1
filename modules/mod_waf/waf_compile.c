/*
 * The rules' Hyperscan databases: per group (its chain of
 * transformations), one over all its regexes and phrases, so a value is
 * scanned once per group; and per target, one over every group's, for
 * values no chain changes. Candidates are confirmed with PCRE2 when
 * scanning (waf_scan.c); what Hyperscan cannot take runs in PCRE2 alone.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>

#include "waf_engine.h"

/* Escapes a literal phrase for Hyperscan. */
static char *
hs_literal(const char *s, size_t n)
{
	char	*o = malloc(n * 4 + 1), *p = o;
	size_t	 i;

	if (o == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c >= 0x80)
			*p++ = (char)c;
		else
			p += sprintf(p, "\\x%02x", c);
	}
	*p = '\0';
	return (o);
}

/* Whether Hyperscan takes the pattern as is (else PCRE2 alone runs it). */
static bool
hs_accepts(const char *pat)
{
	hs_database_t		*db = NULL;
	hs_compile_error_t	*ce = NULL;

	if (hs_compile(pat, HS_FLAG_CASELESS | HS_FLAG_DOTALL |
	    HS_FLAG_SINGLEMATCH, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS) {
		hs_free_compile_error(ce);
		if (hs_compile(pat, HS_FLAG_CASELESS | HS_FLAG_DOTALL |
		    HS_FLAG_SINGLEMATCH | HS_FLAG_PREFILTER, HS_MODE_BLOCK, NULL,
		    &db, &ce) != HS_SUCCESS) {
			hs_free_compile_error(ce);
			return (false);
		}
	}
	hs_free_database(db);
	return (true);
}

struct hs_list {
	char		**expr;
	unsigned	*flags, *ids;
	size_t		 n, cap;
};

static void
hs_list_free(struct hs_list *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->expr[i]);
	free(h->expr);
	free(h->flags);
	free(h->ids);
	memset(h, 0, sizeof(*h));
}

static int
hs_list_add(struct hs_list *h, char *e, unsigned flags, unsigned id)
{
	if (e == NULL)
		return (-1);
	if (h->n == h->cap) {
		size_t		 cap = h->cap ? h->cap * 2 : 32;
		char		**ev;
		unsigned	*fv, *iv;

		if ((ev = realloc(h->expr, cap * sizeof(*h->expr))) != NULL)
			h->expr = ev;
		if ((fv = realloc(h->flags, cap * sizeof(unsigned))) != NULL)
			h->flags = fv;
		if ((iv = realloc(h->ids, cap * sizeof(unsigned))) != NULL)
			h->ids = iv;
		if (ev == NULL || fv == NULL || iv == NULL) {
			free(e);
			return (-1);
		}
		h->cap = cap;
	}
	h->expr[h->n] = e;
	h->flags[h->n] = flags;
	h->ids[h->n++] = id;
	return (0);
}

/* Adds rule i's expressions to h, or to its group's "other" list. */
static int
group_add_rule(struct waf_ruleset *rs, size_t i, struct hs_list *h)
{
	struct waf_rule		*r = &rs->v[i];
	struct waf_group	*g = &rs->g[r->group];
	const unsigned		 fl = HS_FLAG_CASELESS | HS_FLAG_DOTALL |
				    HS_FLAG_SINGLEMATCH;
	const char		*p, *e;
	size_t			*o;

	g->targets |= r->targets;
	if (r->op == WAF_OP_RX && hs_accepts(r->pattern)) {
		r->hs = true;
		g->hs_targets |= r->targets;
		return (hs_list_add(h, waf_xstrdup(r->pattern), fl |
		    HS_FLAG_PREFILTER, (unsigned)i));
	}
	if (r->op == WAF_OP_PM) {
		r->hs = true;
		g->hs_targets |= r->targets;
		for (p = r->pattern; *p != '\0'; p = *e ? e + 1 : e) {
			if ((e = strchr(p, '|')) == NULL)
				e = p + strlen(p);
			if (e > p && hs_list_add(h, hs_literal(p, (size_t)(e - p)),
			    fl, (unsigned)i) == -1)
				return (-1);
		}
		return (0);
	}
	if ((o = realloc(g->other, (g->nother + 1) * sizeof(size_t))) == NULL)
		return (-1);
	g->other = o;
	g->other[g->nother++] = i;
	return (0);
}

/* Appends h's expressions to all (copies). */
static int
hs_list_append(struct hs_list *all, const struct hs_list *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (hs_list_add(all, waf_xstrdup(h->expr[i]), h->flags[i],
		    h->ids[i]) == -1)
			return (-1);
	return (0);
}

/*
 * One database per target, over every group's expressions for it: a
 * value that no chain changes (most benign values) is scanned once, by
 * a database holding only the rules that can apply to it.
 */
static int
compile_targets(struct waf_ruleset *rs, const struct hs_list *all,
    waf_err_fn err, void *arg)
{
	struct hs_list		 t;
	hs_compile_error_t	*ce = NULL;
	size_t			 i;
	int			 b;

	for (b = 0; b < WAF_T_BITS; b++) {
		memset(&t, 0, sizeof(t));
		for (i = 0; i < all->n; i++)
			if ((rs->v[all->ids[i]].targets & (1u << b)) != 0 &&
			    hs_list_add(&t, waf_xstrdup(all->expr[i]),
			    all->flags[i], all->ids[i]) == -1) {
				hs_list_free(&t);
				err(arg, "rules", 0, "out of memory");
				return (1);
			}
		if (t.n > 0 && hs_compile_multi((const char *const *)t.expr,
		    t.flags, t.ids, (unsigned)t.n, HS_MODE_BLOCK, NULL,
		    (hs_database_t **)&rs->tdb[b], &ce) != HS_SUCCESS) {
			err(arg, "rules", 0, ce->message);
			hs_free_compile_error(ce);
			hs_list_free(&t);
			return (1);
		}
		hs_list_free(&t);
		/* one scratch, grown to fit every database */
		if (rs->tdb[b] != NULL && hs_alloc_scratch(rs->tdb[b],
		    (hs_scratch_t **)&rs->tscratch) != HS_SUCCESS) {
			err(arg, "rules", 0, "cannot allocate Hyperscan scratch");
			return (1);
		}
	}
	return (0);
}

int
waf_rules_compile(struct waf_ruleset *rs, waf_err_fn err, void *arg)
{
	struct hs_list		 h, all;
	hs_compile_error_t	*ce = NULL;
	size_t			 gi, i;
	int			 errors = 0;

	memset(&all, 0, sizeof(all));

	for (gi = 0; gi < rs->ng; gi++) {
		struct waf_group *g = &rs->g[gi];

		memset(&h, 0, sizeof(h));
		for (i = 0; i < rs->n; i++)
			if (rs->v[i].group == (int)gi &&
			    group_add_rule(rs, i, &h) == -1) {
				err(arg, "rules", 0, "out of memory");
				hs_list_free(&h);
				hs_list_free(&all);
				return (errors + 1);
			}
		if (hs_list_append(&all, &h) == -1) {
			err(arg, "rules", 0, "out of memory");
			hs_list_free(&h);
			hs_list_free(&all);
			return (errors + 1);
		}
		if (h.n > 0 && hs_compile_multi((const char *const *)h.expr,
		    h.flags, h.ids, (unsigned)h.n, HS_MODE_BLOCK, NULL,
		    (hs_database_t **)&g->db, &ce) != HS_SUCCESS) {
			const struct waf_rule *r = ce->expression >= 0 ?
			    &rs->v[h.ids[ce->expression]] : NULL;

			err(arg, r ? r->file : "rules", r ? r->line : 0,
			    ce->message);
			hs_free_compile_error(ce);
			errors++;
		} else if (g->db != NULL && hs_alloc_scratch(g->db,
		    (hs_scratch_t **)&g->scratch) != HS_SUCCESS) {
			err(arg, "rules", 0, "cannot allocate Hyperscan scratch");
			errors++;
		}
		hs_list_free(&h);
	}
	if (errors == 0)
		errors += compile_targets(rs, &all, err, arg);
	hs_list_free(&all);
	return (errors);
}

