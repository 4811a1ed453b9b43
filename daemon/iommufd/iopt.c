/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The io page table (see iopt.h).
 *
 * The areas sit in a B+tree whose nodes are aligned to their size and
 * hold entries of 32 bytes: up to IOPT_LEAF_MAX areas in a 512-byte leaf,
 * up to IOPT_NODE_MAX child summaries in a 1 KiB inner node. Compared
 * with a binary tree of separately allocated areas, a lookup among a
 * million areas reads five nodes instead of twenty scattered ones, the
 * upper levels stay in cache, and an area costs 32 bytes instead of a
 * node of 56. Leaves are small because with many areas the leaf is the
 * one node that comes from memory rather than cache, and a map or unmap
 * reads all of it (the move of the entries after it, its hole summary):
 * eight lines arrive sooner than sixteen. Leaves and inner nodes come
 * from separate pools, so the inner nodes share fewer pages.
 *
 * Invariants, checked by iopt_verify():
 *  - every leaf is at depth height - 1; the areas of a leaf are sorted
 *    and disjoint, and the leaves chained by next are in order;
 *  - a node other than the root holds at least IOPT_LEAF_MIN areas or
 *    IOPT_NODE_MIN children, an inner root at least two children;
 *  - the summary an inner node keeps for child c is c's first iova, its
 *    last address, and the largest hole (free addresses) between two
 *    consecutive areas of c. A hole between two children is counted by
 *    the node holding both; the hole before the first area of all, from
 *    0, by the allocator itself.
 *
 * Every change is one descent from the root that records its path; the
 * node changed is then fixed and the summaries above it recomputed, going
 * up only while a summary changes. Splits take their nodes from a set
 * allocated before anything is touched, and merges free only, so a map
 * either fails with nothing changed or cannot fail.
 *
 * Each area holds one reference on its pages object, and, while the table
 * has pinners, one pin on it.
 *
 * Charges (limit.h): every node is charged its size while it exists,
 * every area one area, every reserved and allowed range one range and
 * what malloc takes for it. An insert charges its area and the nodes it
 * may need before it allocates them, so it fails with nothing changed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/inject.h"
#include "core/limit.h"
#include "core/pool.h"
#include "core/util.h"
#include "iommufd/iopt.h"

#define IOPT_NODE_SIZE		1024
#define IOPT_ENT_SIZE		32
#define IOPT_NODE_MAX		31
#define IOPT_NODE_MIN		8
#ifndef IOPT_LEAF_SIZE
#define IOPT_LEAF_SIZE		512
#endif
#define IOPT_LEAF_MAX		(IOPT_LEAF_SIZE / IOPT_ENT_SIZE - 1)
#define IOPT_LEAF_MIN		((IOPT_LEAF_MAX + 1) / 4)
/*
 * Two siblings merge only when the result leaves room for a few more
 * entries; otherwise they share. A map and unmap repeated at a full node
 * would else split and merge it every time.
 */
#define IOPT_NODE_MERGE		(IOPT_NODE_MAX * 3 / 4)
#define IOPT_LEAF_MERGE		(IOPT_LEAF_MAX * 3 / 4)
/* Far more than 2^64 areas would need at the minimum fill per node. */
#define IOPT_MAX_HEIGHT		24

/* What an inner node knows of one child. */
struct iopt_child {
	uint64_t		 first;		/* iova of its first area */
	uint64_t		 last;		/* last of its last area */
	uint64_t		 gap;		/* largest hole inside it */
	struct iopt_node	*node;
};

/*
 * A leaf or an inner node. The arrays are sized for an inner node; a
 * leaf is allocated IOPT_LEAF_SIZE bytes and has only IOPT_LEAF_MAX areas.
 */
struct iopt_node {
	uint16_t		 n;		/* entries used */
	uint16_t		 leaf;
	uint32_t		 pad0;
	struct iopt_node	*next;		/* the next leaf, or NULL */
	uint64_t		 pad1[2];
	union {
		struct iopt_area	 area[IOPT_NODE_MAX];
		struct iopt_child	 child[IOPT_NODE_MAX];
	} u;
};

_Static_assert(sizeof(struct iopt_area) == IOPT_ENT_SIZE, "area size");
_Static_assert(sizeof(struct iopt_child) == IOPT_ENT_SIZE, "child size");
_Static_assert(sizeof(struct iopt_node) == IOPT_NODE_SIZE, "node size");
_Static_assert(offsetof(struct iopt_node, u) + IOPT_LEAF_MAX * IOPT_ENT_SIZE ==
    IOPT_LEAF_SIZE && IOPT_LEAF_MIN >= 2, "leaf size");

/* A descent: the node and entry index taken at every depth. */
struct iopt_path {
	struct iopt_node	*node[IOPT_MAX_HEIGHT];
	unsigned int		 idx[IOPT_MAX_HEIGHT];
};

/* Nodes are a power of two in size, so the pools align them. */
static struct pool iopt_node_pool =
    POOL_INITIALIZER("iopt_node", IOPT_NODE_SIZE);
static struct pool iopt_leaf_pool =
    POOL_INITIALIZER("iopt_leaf", IOPT_LEAF_SIZE);

static int
iopt_reserved_cmp(struct iopt_reserved *a, struct iopt_reserved *b)
{
	if (a->start != b->start)
		return (a->start < b->start ? -1 : 1);
	if (a->last != b->last)
		return (a->last < b->last ? -1 : 1);
	return (a < b ? -1 : a > b);
}

static int
iopt_allowed_cmp(struct iopt_allowed *a, struct iopt_allowed *b)
{
	return (a->start < b->start ? -1 : a->start > b->start);
}

RB_GENERATE_STATIC(iopt_reserved_tree, iopt_reserved, entry,
    iopt_reserved_cmp)
RB_GENERATE_STATIC(iopt_allowed_tree, iopt_allowed, entry, iopt_allowed_cmp)

void
iopt_init(struct iopt *iopt)
{
	memset(iopt, 0, sizeof(*iopt));
	RB_INIT(&iopt->reserved);
	RB_INIT(&iopt->allowed);
	LIST_INIT(&iopt->pinners);
	iopt->iova_alignment = 1;
}

/* --- Area tree ---------------------------------------------------------- */

static inline unsigned int
iopt_node_max(const struct iopt_node *nd)
{
	return (nd->leaf ? IOPT_LEAF_MAX : IOPT_NODE_MAX);
}

static inline unsigned int
iopt_node_min(const struct iopt_node *nd)
{
	return (nd->leaf ? IOPT_LEAF_MIN : IOPT_NODE_MIN);
}

static void
iopt_node_free(struct iopt *iopt, struct iopt_node *nd)
{
	limit_uncharge(iopt->acct, LIMIT_BYTES,
	    nd->leaf ? IOPT_LEAF_SIZE : IOPT_NODE_SIZE, 0);
	pool_put(nd->leaf ? &iopt_leaf_pool : &iopt_node_pool, nd);
}

static inline void *
iopt_ent(struct iopt_node *nd, unsigned int i)
{
	return ((char *)&nd->u + (size_t)i * IOPT_ENT_SIZE);
}

/* Put one entry at i, moving the ones from i up. */
static void
iopt_ent_insert(struct iopt_node *nd, unsigned int i, const void *e)
{
	memmove(iopt_ent(nd, i + 1), iopt_ent(nd, i),
	    (size_t)(nd->n - i) * IOPT_ENT_SIZE);
	memcpy(iopt_ent(nd, i), e, IOPT_ENT_SIZE);
	nd->n++;
}

static void
iopt_ent_delete(struct iopt_node *nd, unsigned int i)
{
	memmove(iopt_ent(nd, i), iopt_ent(nd, i + 1),
	    (size_t)(nd->n - i - 1) * IOPT_ENT_SIZE);
	nd->n--;
}

/* Move entries [i, i + k) of from to position j of to. */
static void
iopt_ent_move(struct iopt_node *to, unsigned int j, struct iopt_node *from,
    unsigned int i, unsigned int k)
{
	memmove(iopt_ent(to, j + k), iopt_ent(to, j),
	    (size_t)(to->n - j) * IOPT_ENT_SIZE);
	memcpy(iopt_ent(to, j), iopt_ent(from, i), (size_t)k * IOPT_ENT_SIZE);
	to->n += k;
	memmove(iopt_ent(from, i), iopt_ent(from, i + k),
	    (size_t)(from->n - i - k) * IOPT_ENT_SIZE);
	from->n -= k;
}

/* Recompute what a parent knows of nd. */
static void
iopt_node_sum(const struct iopt_node *nd, struct iopt_child *c)
{
	uint64_t	 gap = 0;
	unsigned int	 i;

	if (nd->leaf) {
		c->first = nd->u.area[0].iova;
		c->last = nd->u.area[nd->n - 1].last;
		for (i = 1; i < nd->n; i++)
			gap = MAX(gap, nd->u.area[i].iova -
			    nd->u.area[i - 1].last - 1);
	} else {
		c->first = nd->u.child[0].first;
		c->last = nd->u.child[nd->n - 1].last;
		for (i = 0; i < nd->n; i++) {
			gap = MAX(gap, nd->u.child[i].gap);
			if (i > 0)
				gap = MAX(gap, nd->u.child[i].first -
				    nd->u.child[i - 1].last - 1);
		}
	}
	c->gap = gap;
	c->node = (struct iopt_node *)nd;
}

/* Start fetching a whole node: the search in it reads several lines. */
static inline void
iopt_node_prefetch(const struct iopt_node *nd, size_t size)
{
	const char	*p = (const char *)nd;
	size_t		 off;

	for (off = 0; off < size; off += 64)
		__builtin_prefetch(p + off);
}

/*
 * Descend to the first area whose last is at least x, recording the path.
 * The area, or NULL with the path ending past the last area (where an
 * area beyond all others goes). Since areas are disjoint, last grows with
 * iova, so a plain lower bound on last works at every level.
 */
static struct iopt_area *
iopt_descend(struct iopt *iopt, uint64_t x, struct iopt_path *p)
{
	struct iopt_node	*nd = iopt->root;
	unsigned int		 d, lo, hi, mid;

	for (d = 0; nd != NULL; d++) {
		p->node[d] = nd;
		lo = 0;
		hi = nd->n;
		if (nd->leaf) {
			while (lo < hi) {
				mid = (lo + hi) / 2;
				if (nd->u.area[mid].last < x)
					lo = mid + 1;
				else
					hi = mid;
			}
			p->idx[d] = lo;
			return (lo < nd->n ? &nd->u.area[lo] : NULL);
		}
		while (lo < hi) {
			mid = (lo + hi) / 2;
			if (nd->u.child[mid].last < x)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* Past every child: go to the last one's end. */
		if (lo == nd->n)
			lo--;
		p->idx[d] = lo;
		nd = nd->u.child[lo].node;
		iopt_node_prefetch(nd, d + 2 == iopt->height ? IOPT_LEAF_SIZE :
		    IOPT_NODE_SIZE);
	}
	return (NULL);
}

/* The largest hole child entry e would bring at slot i of inner node nd. */
static uint64_t
iopt_local_gap(const struct iopt_node *nd, unsigned int i,
    const struct iopt_child *e)
{
	uint64_t	 gap = e->gap;

	if (i > 0)
		gap = MAX(gap, e->first - nd->u.child[i - 1].last - 1);
	if (i + 1 < nd->n)
		gap = MAX(gap, nd->u.child[i + 1].first - e->last - 1);
	return (gap);
}

/*
 * Node d of the path changed: bring the summaries above it up to date,
 * stopping where one comes out the same. Only the first is computed from
 * the whole node; above it, one child entry changed, and the node's
 * largest hole follows from the old and new holes around that entry
 * unless the old ones held the maximum and the new ones are smaller.
 */
static void
iopt_fixup(struct iopt_path *p, unsigned int d)
{
	struct iopt_child	 c, old, *pc;
	struct iopt_node	*nd;
	uint64_t		 nl;
	int			 whole = 1;

	for (; d > 0; d--) {
		nd = p->node[d];
		pc = &p->node[d - 1]->u.child[p->idx[d - 1]];
		if (whole)
			iopt_node_sum(nd, &c);
		else {
			c.first = nd->u.child[0].first;
			c.last = nd->u.child[nd->n - 1].last;
			c.node = nd;
			nl = iopt_local_gap(nd, p->idx[d],
			    &nd->u.child[p->idx[d]]);
			if (nl >= pc->gap)
				c.gap = nl;
			else if (iopt_local_gap(nd, p->idx[d], &old) < pc->gap)
				c.gap = pc->gap;
			else
				iopt_node_sum(nd, &c);
		}
		if (pc->first == c.first && pc->last == c.last &&
		    pc->gap == c.gap)
			return;
		old = *pc;
		*pc = c;
		whole = 0;
	}
}

/*
 * Nodes an insert at the end of path p may need: one per full node from
 * the leaf up, and one more if the root itself splits.
 */
static unsigned int
iopt_insert_need(struct iopt *iopt, struct iopt_path *p)
{
	unsigned int	 d, need = 0;

	if (iopt->root == NULL)
		return (1);
	for (d = iopt->height; d > 0; d--) {
		if (p->node[d - 1]->n < iopt_node_max(p->node[d - 1]))
			return (need);
		need++;
	}
	return (need + 1);
}

/*
 * Insert area a where the path p (from iopt_descend(a->iova)) ends. The
 * caller has checked that a overlaps nothing. 0 or -ENOMEM, with nothing
 * changed.
 */
static int
iopt_insert(struct iopt *iopt, struct iopt_path *p, const struct iopt_area *a)
{
	struct iopt_node	*spare[IOPT_MAX_HEIGHT + 1], *nd, *nw, *r;
	union {
		struct iopt_area	 a;
		struct iopt_child	 c;
	}			 e;
	unsigned int		 need, k, d, i, keep, max;
	uint64_t		 bytes;
	int			 rc;

	need = iopt_insert_need(iopt, p);
	if (need > IOPT_MAX_HEIGHT - iopt->height)
		return (-ENOMEM);
	bytes = need == 0 ? 0 : IOPT_LEAF_SIZE + (need - 1) * IOPT_NODE_SIZE;
	if ((rc = limit_charge(iopt->acct, LIMIT_AREAS, 1, bytes)) != 0)
		return (rc);
	/*
	 * Splits go from the leaf up, so the first spare, if any, replaces
	 * a leaf (or is the first leaf) and the others are inner nodes.
	 */
	for (k = 0; k < need; k++) {
		if ((spare[k] = pool_get(k == 0 ? &iopt_leaf_pool :
		    &iopt_node_pool)) == NULL) {
			while (k > 0) {
				k--;
				pool_put(k == 0 ? &iopt_leaf_pool :
				    &iopt_node_pool, spare[k]);
			}
			limit_uncharge(iopt->acct, LIMIT_AREAS, 1, bytes);
			return (-ENOMEM);
		}
	}
	iopt->nareas++;
	if (iopt->root == NULL) {
		nd = spare[0];
		nd->leaf = 1;
		nd->n = 1;
		nd->u.area[0] = *a;
		iopt->root = nd;
		iopt->height = 1;
		return (0);
	}

	k = 0;
	e.a = *a;
	d = iopt->height - 1;
	i = p->idx[d];
	for (;;) {
		nd = p->node[d];
		max = iopt_node_max(nd);
		if (nd->n < max) {
			iopt_ent_insert(nd, i, &e);
			break;
		}
		/*
		 * Split. Appending at a node's end (ascending maps, the
		 * usual pattern) leaves the old node nearly full rather
		 * than half full.
		 */
		nw = spare[k++];
		nw->leaf = nd->leaf;
		keep = (i == nd->n) ? max - iopt_node_min(nd) + 1 :
		    (max + 1) / 2;
		iopt_ent_move(nw, 0, nd, keep, nd->n - keep);
		if (nd->leaf) {
			nw->next = nd->next;
			nd->next = nw;
		}
		if (i <= keep)
			iopt_ent_insert(nd, i, &e);
		else
			iopt_ent_insert(nw, i - keep, &e);
		if (d == 0) {
			r = spare[k++];
			r->n = 2;
			iopt_node_sum(nd, &r->u.child[0]);
			iopt_node_sum(nw, &r->u.child[1]);
			iopt->root = r;
			iopt->height++;
			return (0);
		}
		iopt_node_sum(nd, &p->node[d - 1]->u.child[p->idx[d - 1]]);
		iopt_node_sum(nw, &e.c);
		i = p->idx[d - 1] + 1;
		d--;
	}
	iopt_fixup(p, d);
	return (0);
}

/*
 * Remove the area at the end of path p. Never fails: an underfull node
 * merges with or borrows from a sibling, which only frees nodes.
 */
static void
iopt_delete(struct iopt *iopt, struct iopt_path *p)
{
	struct iopt_node	*nd, *par, *l, *r;
	unsigned int		 d, s, ls, want;

	d = iopt->height - 1;
	iopt_ent_delete(p->node[d], p->idx[d]);
	iopt->nareas--;
	limit_uncharge(iopt->acct, LIMIT_AREAS, 1, 0);
	for (; d > 0; d--) {
		nd = p->node[d];
		if (nd->n >= iopt_node_min(nd))
			break;
		par = p->node[d - 1];
		s = p->idx[d - 1];
		/* An inner node has two children at least. */
		ls = s + 1 < par->n ? s : s - 1;
		l = par->u.child[ls].node;
		r = par->u.child[ls + 1].node;
		if (l->n + r->n <= (l->leaf ? IOPT_LEAF_MERGE :
		    IOPT_NODE_MERGE)) {
			/* Merge right into left; the left keeps its place. */
			iopt_ent_move(l, l->n, r, 0, r->n);
			if (l->leaf)
				l->next = r->next;
			iopt_node_free(iopt, r);
			iopt_node_sum(l, &par->u.child[ls]);
			iopt_ent_delete(par, ls + 1);
			continue;
		}
		/* Share evenly: both end with more than the minimum. */
		want = (l->n + r->n) / 2;
		if (l->n < want)
			iopt_ent_move(l, l->n, r, 0, want - l->n);
		else
			iopt_ent_move(r, 0, l, want, l->n - want);
		iopt_node_sum(l, &par->u.child[ls]);
		iopt_node_sum(r, &par->u.child[ls + 1]);
		d--;
		break;
	}
	iopt_fixup(p, d);

	/* The root shrinks: an inner root with one child, an empty leaf. */
	nd = iopt->root;
	if (!nd->leaf && nd->n == 1) {
		iopt->root = nd->u.child[0].node;
		iopt->height--;
		iopt_node_free(iopt, nd);
	} else if (nd->leaf && nd->n == 0) {
		iopt->root = NULL;
		iopt->height = 0;
		iopt_node_free(iopt, nd);
	}
}

static void
iopt_free_nodes(struct iopt *iopt, struct iopt_node *nd)
{
	unsigned int	 i;

	if (!nd->leaf) {
		for (i = 0; i < nd->n; i++)
			iopt_free_nodes(iopt, nd->u.child[i].node);
	}
	iopt_node_free(iopt, nd);
}

static struct iopt_node *
iopt_first_leaf(struct iopt *iopt)
{
	struct iopt_node	*nd = iopt->root;

	while (nd != NULL && !nd->leaf)
		nd = nd->u.child[0].node;
	return (nd);
}

struct iopt_area *
iopt_area_first(struct iopt *iopt, uint64_t start, uint64_t last)
{
	struct iopt_path	 p;
	struct iopt_area	*a;

	if ((a = iopt_descend(iopt, start, &p)) != NULL && a->iova <= last)
		return (a);
	return (NULL);
}

struct iopt_area *
iopt_area_find(struct iopt *iopt, uint64_t iova)
{
	return (iopt_area_first(iopt, iova, iova));
}

struct iopt_area *
iopt_area_next(__unused struct iopt *iopt, struct iopt_area *a)
{
	struct iopt_node	*leaf;
	size_t			 i;

	/* Nodes are aligned to their size: mask to find a's leaf. */
	leaf = (struct iopt_node *)((uintptr_t)a &
	    ~(uintptr_t)(IOPT_LEAF_SIZE - 1));
	i = a - leaf->u.area;
	if (i + 1 < leaf->n)
		return (a + 1);
	return (leaf->next != NULL ? &leaf->next->u.area[0] : NULL);
}

/*
 * The lowest hole between two areas of nd's subtree with at least need
 * free addresses and ending at or above lo: its bounds, and 1; or 0.
 * A child is entered only if its largest hole is big enough and it ends
 * above lo; one that ends above lo but still fails holds lo itself, and
 * there is at most one such child per level, so this is O(log n).
 */
static int
iopt_fit_node(const struct iopt_node *nd, uint64_t lo, uint64_t need,
    uint64_t *hs, uint64_t *he)
{
	const struct iopt_child	*c;
	unsigned int		 i;

	if (nd->leaf) {
		for (i = 1; i < nd->n; i++) {
			if (nd->u.area[i].iova > lo && nd->u.area[i].iova -
			    nd->u.area[i - 1].last - 1 >= need) {
				*hs = nd->u.area[i - 1].last + 1;
				*he = nd->u.area[i].iova - 1;
				return (1);
			}
		}
		return (0);
	}
	for (i = 0; i < nd->n; i++) {
		c = &nd->u.child[i];
		/* The hole before child i comes before those inside it. */
		if (i > 0 && c->first > lo &&
		    c->first - c[-1].last - 1 >= need) {
			*hs = c[-1].last + 1;
			*he = c->first - 1;
			return (1);
		}
		if (c->gap >= need && c->last > lo &&
		    iopt_fit_node(c->node, lo, need, hs, he))
			return (1);
	}
	return (0);
}

/* The lowest hole before an area, of need addresses, ending at or past lo. */
static int
iopt_fit(struct iopt *iopt, uint64_t lo, uint64_t need, uint64_t *hs,
    uint64_t *he)
{
	struct iopt_child	 c;

	if (iopt->root == NULL)
		return (0);
	iopt_node_sum(iopt->root, &c);
	if (c.first > lo && c.first >= need) {
		*hs = 0;
		*he = c.first - 1;
		return (1);
	}
	if (c.gap < need)
		return (0);
	return (iopt_fit_node(iopt->root, lo, need, hs, he));
}

/* --- Reserved and allowed ranges ---------------------------------------- */

static struct iopt_reserved *
iopt_reserved_hit(struct iopt *iopt, uint64_t start, uint64_t last)
{
	struct iopt_reserved	*r;

	RB_FOREACH(r, iopt_reserved_tree, &iopt->reserved) {
		if (r->start > last)
			break;
		if (r->last >= start)
			return (r);
	}
	return (NULL);
}

static struct iopt_allowed *
iopt_allowed_hit(struct iopt_allowed_tree *t, uint64_t start, uint64_t last)
{
	struct iopt_allowed	 key, *n, *p;

	key.start = start;
	n = RB_NFIND(iopt_allowed_tree, t, &key);
	if (n != NULL && n->start <= last)
		return (n);
	p = n != NULL ? RB_PREV(iopt_allowed_tree, t, n) :
	    RB_MAX(iopt_allowed_tree, t);
	if (p != NULL && p->last >= start)
		return (p);
	return (NULL);
}

int
iopt_reserve(struct iopt *iopt, uint64_t start, uint64_t last,
    const void *owner)
{
	struct iopt_reserved	*r;
	int			 rc;

	if (start > last)
		return (-EINVAL);
	if (iopt_area_first(iopt, start, last) != NULL)
		return (-EADDRINUSE);
	if (iopt_allowed_hit(&iopt->allowed, start, last) != NULL)
		return (-EADDRINUSE);
	if ((rc = limit_charge(iopt->acct, LIMIT_RESERVED, 1,
	    LIMIT_MALLOC(sizeof(*r)))) != 0)
		return (rc);
	if ((r = inject_calloc(1, sizeof(*r))) == NULL) {
		limit_uncharge(iopt->acct, LIMIT_RESERVED, 1,
		    LIMIT_MALLOC(sizeof(*r)));
		return (-ENOMEM);
	}
	r->start = start;
	r->last = last;
	r->owner = owner;
	RB_INSERT(iopt_reserved_tree, &iopt->reserved, r);
	return (0);
}

static void
iopt_reserved_free(struct iopt *iopt, struct iopt_reserved *r)
{
	limit_uncharge(iopt->acct, LIMIT_RESERVED, 1,
	    LIMIT_MALLOC(sizeof(*r)));
	free(r);
}

void
iopt_unreserve_owner(struct iopt *iopt, const void *owner)
{
	struct iopt_reserved	*r, *tmp;

	RB_FOREACH_SAFE(r, iopt_reserved_tree, &iopt->reserved, tmp) {
		if (r->owner == owner) {
			RB_REMOVE(iopt_reserved_tree, &iopt->reserved, r);
			iopt_reserved_free(iopt, r);
		}
	}
}

/*
 * Call fn on the holes of the reserved ranges within [start, last].
 * Reserved ranges may overlap, so track how far they have covered.
 */
static int
iopt_reserved_holes(struct iopt *iopt, uint64_t start, uint64_t last,
    int (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	struct iopt_reserved	*r;
	uint64_t		 cur = start;
	int			 rc;

	RB_FOREACH(r, iopt_reserved_tree, &iopt->reserved) {
		if (r->start > last)
			break;
		if (r->last < cur)
			continue;
		if (r->start > cur && (rc = fn(arg, cur, r->start - 1)) != 0)
			return (rc);
		if (r->last >= last)
			return (0);
		cur = r->last + 1;
	}
	return (fn(arg, cur, last));
}

int
iopt_for_each_hole(struct iopt *iopt, int (*fn)(void *, uint64_t, uint64_t),
    void *arg)
{
	return (iopt_reserved_holes(iopt, 0, IOPT_IOVA_MAX, fn, arg));
}

void
iopt_allowed_init(struct iopt_allowed_tree *t)
{
	RB_INIT(t);
}

/* What one allowed range costs. */
#define IOPT_ALLOWED_COST	LIMIT_MALLOC(sizeof(struct iopt_allowed))

/*
 * A set being built is charged only for the ranges it has beyond the
 * table's own set, which it is to replace: so the limit is checked for
 * the set the call would leave.
 */
int
iopt_allowed_charge(struct iopt *iopt, uint64_t n)
{
	if (n <= iopt->nallowed)
		return (0);
	return (limit_charge(iopt->acct, LIMIT_ALLOWED, 1,
	    IOPT_ALLOWED_COST));
}

void
iopt_allowed_uncharge(struct iopt *iopt, uint64_t n)
{
	if (n <= iopt->nallowed)
		return;
	limit_uncharge(iopt->acct, LIMIT_ALLOWED, n - iopt->nallowed,
	    (n - iopt->nallowed) * IOPT_ALLOWED_COST);
}

int
iopt_allowed_add(struct iopt_allowed_tree *t, uint64_t start, uint64_t last)
{
	struct iopt_allowed	*a;

	if (start >= last)
		return (-EINVAL);
	if (iopt_allowed_hit(t, start, last) != NULL)
		return (-EINVAL);
	if ((a = inject_calloc(1, sizeof(*a))) == NULL)
		return (-ENOMEM);
	a->start = start;
	a->last = last;
	RB_INSERT(iopt_allowed_tree, t, a);
	return (0);
}

void
iopt_allowed_clear(struct iopt_allowed_tree *t)
{
	struct iopt_allowed	*a, *tmp;

	RB_FOREACH_SAFE(a, iopt_allowed_tree, t, tmp) {
		RB_REMOVE(iopt_allowed_tree, t, a);
		free(a);
	}
}

int
iopt_set_allowed(struct iopt *iopt, struct iopt_allowed_tree *set)
{
	struct iopt_allowed	*a;
	struct iopt_allowed_tree old;
	uint64_t		 n = 0;

	RB_FOREACH(a, iopt_allowed_tree, set) {
		if (iopt_reserved_hit(iopt, a->start, a->last) != NULL) {
			iopt_allowed_clear(set);
			return (-EADDRINUSE);
		}
		n++;
	}
	/* The set was charged beyond the old one; the old one's rest goes. */
	if (n < iopt->nallowed)
		limit_uncharge(iopt->acct, LIMIT_ALLOWED, iopt->nallowed - n,
		    (iopt->nallowed - n) * IOPT_ALLOWED_COST);
	iopt->nallowed = n;
	old = iopt->allowed;
	iopt->allowed = *set;
	RB_INIT(set);
	iopt_allowed_clear(&old);
	return (0);
}

/* --- IOVA allocation ---------------------------------------------------- */

struct iopt_alloc {
	struct iopt	*iopt;
	uint64_t	 length;
	uint64_t	 align;
	uint64_t	 page_offset;
	uint64_t	 iova;		/* the answer */
};

/*
 * Does the allocation fit in the hole [s, l]? The start is aligned up and
 * keeps the source's sub-page offset. As in the kernel, a fit needs the
 * start strictly below l, so a one-byte hole never fits.
 */
static int
iopt_alloc_fit(struct iopt_alloc *al, uint64_t s, uint64_t l)
{
	uint64_t	 a;

	if (s > UINT64_MAX - (al->align - 1))
		return (0);
	a = ALIGN_DOWN(s + (al->align - 1), al->align) | al->page_offset;
	if (a >= l || l - a < al->length - 1)
		return (0);
	al->iova = a;
	return (1);
}

/* The lowest fit among the holes between areas within [ws, wl]: 1 if found. */
static int
iopt_alloc_window(void *arg, uint64_t ws, uint64_t wl)
{
	struct iopt_alloc	*al = arg;
	struct iopt		*iopt = al->iopt;
	struct iopt_child	 c;
	uint64_t		 need, lo = ws, hs, he;

	need = MAX(al->length, 2);
	while (iopt_fit(iopt, lo, need, &hs, &he)) {
		if (hs > wl)
			return (0);
		if (iopt_alloc_fit(al, MAX(hs, ws), MIN(he, wl)))
			return (1);
		/* The next hole must end past this one's area. */
		lo = he + 1;
	}
	/* The space after the last area. */
	if (iopt->root != NULL) {
		iopt_node_sum(iopt->root, &c);
		if (c.last == IOPT_IOVA_MAX || c.last + 1 > wl)
			return (0);
		ws = MAX(ws, c.last + 1);
	}
	return (iopt_alloc_fit(al, ws, wl));
}

static int
iopt_alloc_span(struct iopt_alloc *al, uint64_t start, uint64_t last)
{
	start = MAX(start, IOPT_PAGE_SIZE);
	last = MIN(last, IOPT_IOVA_MAX - IOPT_PAGE_SIZE);
	if (start > last)
		return (0);
	return (iopt_reserved_holes(al->iopt, start, last, iopt_alloc_window,
	    al));
}

static int
iopt_alloc_iova(struct iopt *iopt, uint64_t *iova, uint64_t addr,
    uint64_t length)
{
	struct iopt_alloc	 al;
	struct iopt_allowed	*a;
	uint64_t		 align;

	if (length == 0 || length >= UINT64_MAX / 2)
		return (-EOVERFLOW);
	/* Aim for the alignment the length and the source allow. */
	align = 1;
	while (align < length)
		align <<= 1;
	if (addr != 0)
		align = MIN(align, addr & -addr);
	align = MIN(align, IOPT_HUGE_PAGE_SIZE);
	if (align < iopt->iova_alignment)
		return (-EINVAL);

	memset(&al, 0, sizeof(al));
	al.iopt = iopt;
	al.length = length;
	al.align = align;
	al.page_offset = addr % IOPT_PAGE_SIZE;
	/* IOVA 0 and the last page are never handed out. */
	if (RB_EMPTY(&iopt->allowed)) {
		if (iopt_alloc_span(&al, IOPT_PAGE_SIZE, IOPT_IOVA_MAX) == 1)
			goto found;
	} else {
		RB_FOREACH(a, iopt_allowed_tree, &iopt->allowed) {
			if (iopt_alloc_span(&al, a->start, a->last) == 1)
				goto found;
		}
	}
	return (-ENOSPC);
found:
	*iova = al.iova;
	return (0);
}

/*
 * A fixed IOVA: aligned, not reserved, overlapping no area. The descent
 * that looks for an overlap leaves p where the new area goes.
 */
static int
iopt_check_iova(struct iopt *iopt, uint64_t iova, uint64_t length,
    struct iopt_path *p)
{
	struct iopt_area	*a;
	uint64_t		 last;

	if (iova & (iopt->iova_alignment - 1))
		return (-EINVAL);
	if (u64_range_overflows(iova, length))
		return (-EOVERFLOW);
	last = iova + (length - 1);
	if (iopt_reserved_hit(iopt, iova, last) != NULL)
		return (-EINVAL);
	if ((a = iopt_descend(iopt, iova, p)) != NULL && a->iova <= last)
		return (-EEXIST);
	return (0);
}

/* --- Map and unmap ------------------------------------------------------ */

static uint64_t
iopt_piece_page_offset(const struct iopt_piece *p)
{
	return (pages_addr(p->pages, p->off) % IOPT_PAGE_SIZE);
}

/* Take an area out of the tree again, with no one told (map rollback). */
static void
iopt_area_unlink(struct iopt *iopt, uint64_t iova)
{
	struct iopt_path	 p;

	if (iopt_descend(iopt, iova, &p) != NULL)
		iopt_delete(iopt, &p);
}

int
iopt_map(struct iopt *iopt, const struct iopt_piece *pieces, size_t npieces,
    uint64_t length, uint64_t *iova, unsigned int prot, unsigned int flags)
{
	struct iopt_path	 p;
	struct iopt_area	 a;
	uint64_t		 cur;
	size_t			 i, npinned = 0;
	int			 rc;

	if (npieces == 0 || length == 0 ||
	    (length & (iopt->iova_alignment - 1)) != 0)
		return (-EINVAL);
	if (flags & IOPT_MAP_FIXED)
		rc = iopt_check_iova(iopt, *iova, length, &p);
	else if ((rc = iopt_alloc_iova(iopt, iova, pages_addr(pieces[0].pages,
	    pieces[0].off), length)) == 0)
		iopt_descend(iopt, *iova, &p);
	if (rc != 0)
		return (rc);
	for (i = 0; i < npieces; i++) {
		if ((prot & IOPT_WRITE) && !pieces[i].pages->writable)
			return (-EPERM);
		if (iopt_piece_page_offset(&pieces[i]) &
		    (iopt->iova_alignment - 1))
			return (-EINVAL);
	}
	if (iopt->npinners != 0) {
		for (; npinned < npieces; npinned++) {
			if ((rc = pages_pin(pieces[npinned].pages)) != 0)
				goto fail;
		}
	}

	/*
	 * Pieces go in one after another, each right after the last, so
	 * only the first uses the path found above. Only node allocation
	 * can fail here; the pieces already in are then taken out.
	 */
	cur = *iova;
	for (i = 0; i < npieces; i++) {
		a.iova = cur;
		a.last = cur + (pieces[i].length - 1);
		a.pages_prot = (uintptr_t)pieces[i].pages | (prot & 3);
		a.pages_off = pieces[i].off;
		if (i > 0)
			iopt_descend(iopt, cur, &p);
		if ((rc = iopt_insert(iopt, &p, &a)) != 0) {
			while (i > 0) {
				cur -= pieces[--i].length;
				iopt_area_unlink(iopt, cur);
			}
			goto fail;
		}
		cur += pieces[i].length;
	}
	for (i = 0; i < npieces; i++)
		pages_hold(pieces[i].pages);
	return (0);

fail:
	while (npinned > 0)
		pages_unpin(pieces[--npinned].pages);
	return (rc);
}

int
iopt_get_pieces(struct iopt *iopt, uint64_t iova, uint64_t length,
    struct iopt_piece **piecesp, size_t *npiecesp)
{
	struct iopt_piece	*pieces;
	struct iopt_area	*first, *a, *next;
	uint64_t		 last, cur;
	size_t			 n = 0, i;

	if (length == 0)
		return (-EINVAL);
	if (u64_range_overflows(iova, length))
		return (-EOVERFLOW);
	last = iova + (length - 1);

	/* Touching areas must cover every byte. */
	if ((first = iopt_area_find(iopt, iova)) == NULL)
		return (-ENOENT);
	for (a = first;; a = next) {
		n++;
		if (a->last >= last)
			break;
		next = iopt_area_next(iopt, a);
		if (next == NULL || next->iova != a->last + 1)
			return (-ENOENT);
	}
	if ((pieces = inject_calloc(n, sizeof(*pieces))) == NULL)
		return (-ENOMEM);
	cur = iova;
	for (a = first, i = 0; i < n; i++, a = iopt_area_next(iopt, a)) {
		pieces[i].pages = iopt_area_pages(a);
		pieces[i].off = a->pages_off + (cur - a->iova);
		pieces[i].length = MIN(a->last, last) - cur + 1;
		pages_hold(pieces[i].pages);
		cur += pieces[i].length;
	}
	*piecesp = pieces;
	*npiecesp = n;
	return (0);
}

void
iopt_pieces_free(struct iopt_piece *pieces, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		pages_put(pieces[i].pages);
	free(pieces);
}

/* Tell the pinners an area goes, and drop its pin and reference. */
static void
iopt_area_release(struct iopt *iopt, uint64_t iova, uint64_t length,
    struct pages *pages)
{
	struct iopt_pinner	*p;

	LIST_FOREACH(p, &iopt->pinners, entry) {
		if (p->ops != NULL && p->ops->unmap != NULL)
			p->ops->unmap(p, iova, length);
	}
	if (iopt->npinners != 0)
		pages_unpin(pages);
	pages_put(pages);
}

/* Is the area locked by a pinner (its busy op)? */
static int
iopt_area_busy(struct iopt *iopt, const struct iopt_area *a)
{
	struct iopt_pinner	*p;

	if (iopt->nbusy == 0)
		return (0);
	LIST_FOREACH(p, &iopt->pinners, entry) {
		if (p->ops != NULL && p->ops->busy != NULL &&
		    p->ops->busy(p, a->iova, a->last))
			return (1);
	}
	return (0);
}

/*
 * Each area is taken out along a fresh descent. A failed unmap may have
 * removed areas already: see below.
 */
static int
iopt_unmap_range(struct iopt *iopt, uint64_t start, uint64_t last,
    uint64_t *unmapped)
{
	struct iopt_path	 p;
	struct iopt_area	*a, area;
	uint64_t		 total = 0;
	int			 rc = 0;

	/*
	 * As the kernel does: remove the areas inside the range from the
	 * lowest up, and stop with ENOENT at the first area the range only
	 * partly covers. What was removed before it stays removed, so the
	 * caller sees the same table afterwards as on a real /dev/iommu.
	 */
	while ((a = iopt_descend(iopt, start, &p)) != NULL && a->iova <= last) {
		/* A locked area stops the unmap before the range is judged. */
		if (iopt_area_busy(iopt, a)) {
			rc = -EBUSY;
			break;
		}
		if (a->iova < start || a->last > last) {
			rc = -ENOENT;
			break;
		}
		area = *a;
		total += iopt_area_length(&area);
		iopt_delete(iopt, &p);
		iopt_area_release(iopt, area.iova, iopt_area_length(&area),
		    iopt_area_pages(&area));
	}
	*unmapped = total;
	if (rc == 0 && total == 0)
		rc = -ENOENT;
	return (rc);
}

int
iopt_unmap(struct iopt *iopt, uint64_t iova, uint64_t length,
    uint64_t *unmapped)
{
	*unmapped = 0;
	if (length == 0)
		return (-EINVAL);
	if (u64_range_overflows(iova, length))
		return (-EOVERFLOW);
	return (iopt_unmap_range(iopt, iova, iova + (length - 1), unmapped));
}

/* Everything goes: walk the leaves once, then free the nodes whole. */
int
iopt_unmap_all(struct iopt *iopt, uint64_t *unmapped)
{
	struct iopt_node	*leaf, *root = iopt->root;
	struct iopt_area	*a;
	uint64_t		 total = 0;
	unsigned int		 i;
	int			 rc;

	/* Locked areas: area by area, stopping at the first locked one. */
	if (iopt->nbusy != 0) {
		rc = iopt_unmap_range(iopt, 0, IOPT_IOVA_MAX, unmapped);
		return (rc == -ENOENT && *unmapped == 0 ? 0 : rc);
	}
	leaf = iopt_first_leaf(iopt);
	iopt->root = NULL;
	iopt->height = 0;
	limit_uncharge(iopt->acct, LIMIT_AREAS, iopt->nareas, 0);
	iopt->nareas = 0;
	for (; leaf != NULL; leaf = leaf->next) {
		for (i = 0; i < leaf->n; i++) {
			a = &leaf->u.area[i];
			total += iopt_area_length(a);
			iopt_area_release(iopt, a->iova, iopt_area_length(a),
			    iopt_area_pages(a));
		}
	}
	if (root != NULL)
		iopt_free_nodes(iopt, root);
	*unmapped = total;
	return (0);
}

int
iopt_cut(struct iopt *iopt, uint64_t iova)
{
	struct iopt_path	 p;
	struct iopt_area	*a, right;
	uint64_t		 mask = iopt->iova_alignment - 1;
	int			 rc;

	if ((a = iopt_descend(iopt, iova, &p)) == NULL || a->iova > iova ||
	    a->last == iova)
		return (0);
	/* As the kernel, which does not split a dma-buf's areas. */
	if (iopt_area_pages(a)->type == PAGES_DMABUF)
		return (-EOPNOTSUPP);
	if (iopt_area_busy(iopt, a))
		return (-EBUSY);
	/* Both pieces must still fit the alignment the table keeps. */
	if (((iova + 1) & mask) || ((pages_addr(iopt_area_pages(a),
	    a->pages_off + (iova + 1 - a->iova)) % IOPT_PAGE_SIZE) & mask))
		return (-EINVAL);
	right = *a;
	right.iova = iova + 1;
	right.pages_off += iova + 1 - a->iova;
	/* Shrink the left piece in place, then add the right one after. */
	a->last = iova;
	p.idx[iopt->height - 1]++;
	if ((rc = iopt_insert(iopt, &p, &right)) != 0) {
		a->last = right.last;
		return (rc);
	}
	/* The new area holds its own reference and, with pinners, pin. */
	pages_hold(iopt_area_pages(&right));
	if (iopt->npinners != 0)
		(void)pages_pin(iopt_area_pages(&right));
	return (0);
}

void
iopt_fini(struct iopt *iopt)
{
	struct iopt_reserved	*r, *tmp;
	struct iopt_pinner	*p;
	uint64_t		 unmapped;

	/* Pinners hold the IOAS, so normally none is left here. */
	while ((p = LIST_FIRST(&iopt->pinners)) != NULL)
		iopt_remove_pinner(iopt, p);
	iopt_unmap_all(iopt, &unmapped);
	RB_FOREACH_SAFE(r, iopt_reserved_tree, &iopt->reserved, tmp) {
		RB_REMOVE(iopt_reserved_tree, &iopt->reserved, r);
		iopt_reserved_free(iopt, r);
	}
	iopt_allowed_clear(&iopt->allowed);
	limit_uncharge(iopt->acct, LIMIT_ALLOWED, iopt->nallowed,
	    iopt->nallowed * IOPT_ALLOWED_COST);
	iopt->nallowed = 0;
}

/* --- Alignment and pinners ---------------------------------------------- */

#define IOPT_FOREACH_AREA(iopt, a)					\
	for ((a) = iopt_area_first((iopt), 0, IOPT_IOVA_MAX); (a) != NULL; \
	    (a) = iopt_area_next((iopt), (a)))

/* Does every area fit alignment? 0 or -EADDRINUSE. */
static int
iopt_check_alignment(struct iopt *iopt, uint64_t align)
{
	struct iopt_area	*a;
	uint64_t		 mask = align - 1;

	IOPT_FOREACH_AREA(iopt, a) {
		if ((a->iova & mask) || (iopt_area_length(a) & mask) ||
		    ((pages_addr(iopt_area_pages(a), a->pages_off) %
		    IOPT_PAGE_SIZE) & mask))
			return (-EADDRINUSE);
	}
	return (0);
}

static uint64_t
iopt_calc_alignment(struct iopt *iopt)
{
	struct iopt_pinner	*p;
	uint64_t		 align = 1;

	if (iopt->disable_huge)
		align = IOPT_PAGE_SIZE;
	LIST_FOREACH(p, &iopt->pinners, entry)
		align = MAX(align, p->alignment);
	return (align);
}

static void
iopt_unpin_all(struct iopt *iopt, struct iopt_area *upto)
{
	struct iopt_area	*a;

	IOPT_FOREACH_AREA(iopt, a) {
		if (a == upto)
			break;
		pages_unpin(iopt_area_pages(a));
	}
}

int
iopt_add_pinner(struct iopt *iopt, struct iopt_pinner *p)
{
	struct iopt_area	*a;
	uint64_t		 align;
	int			 rc;

	if (!IS_POW2(p->alignment) || p->alignment > IOPT_PAGE_SIZE)
		return (-EINVAL);
	align = MAX(iopt->iova_alignment, p->alignment);
	if (align != iopt->iova_alignment &&
	    (rc = iopt_check_alignment(iopt, align)) != 0)
		return (rc);
	if (iopt->npinners == 0 && !(p->flags & IOPT_PINNER_LAZY)) {
		IOPT_FOREACH_AREA(iopt, a) {
			if ((rc = pages_pin(iopt_area_pages(a))) != 0) {
				iopt_unpin_all(iopt, a);
				return (rc);
			}
		}
	}
	LIST_INSERT_HEAD(&iopt->pinners, p, entry);
	if (p->ops != NULL && p->ops->busy != NULL)
		iopt->nbusy++;
	if (p->flags & IOPT_PINNER_LAZY)
		iopt->nlazy++;
	else
		iopt->npinners++;
	if (p->flags & IOPT_PINNER_DOMAIN)
		iopt->ndomains++;
	iopt->iova_alignment = align;
	return (0);
}

void
iopt_remove_pinner(struct iopt *iopt, struct iopt_pinner *p)
{
	LIST_REMOVE(p, entry);
	if (p->ops != NULL && p->ops->busy != NULL)
		iopt->nbusy--;
	if (p->flags & IOPT_PINNER_LAZY)
		iopt->nlazy--;
	else if (--iopt->npinners == 0)
		iopt_unpin_all(iopt, NULL);
	if (p->flags & IOPT_PINNER_DOMAIN)
		iopt->ndomains--;
	iopt->iova_alignment = iopt_calc_alignment(iopt);
}

int
iopt_disable_huge_pages(struct iopt *iopt)
{
	uint64_t	 align;
	int		 rc;

	if (iopt->disable_huge)
		return (0);
	/* Domains would already hold large IOPTEs for the areas. */
	if (iopt->ndomains != 0 && iopt->nareas != 0)
		return (-EINVAL);
	align = MAX(iopt->iova_alignment, IOPT_PAGE_SIZE);
	if ((rc = iopt_check_alignment(iopt, align)) != 0)
		return (rc);
	iopt->disable_huge = 1;
	iopt->iova_alignment = align;
	return (0);
}

void
iopt_enable_huge_pages(struct iopt *iopt)
{
	iopt->disable_huge = 0;
	iopt->iova_alignment = iopt_calc_alignment(iopt);
}

/* --- Self-check --------------------------------------------------------- */

struct iopt_verify {
	struct iopt		*iopt;
	struct iopt_node	*prev_leaf;
	const struct iopt_area	*prev;
	uint64_t		 n;
};

static int
iopt_verify_node(struct iopt_verify *v, struct iopt_node *nd,
    unsigned int depth)
{
	struct iopt_child	 c;
	unsigned int		 i;

	if (((uintptr_t)nd & ((nd->leaf ? IOPT_LEAF_SIZE : IOPT_NODE_SIZE) -
	    1)) != 0 || nd->n > iopt_node_max(nd) || nd->n == 0)
		return (-EIO);
	if (depth > 0 && nd->n < iopt_node_min(nd))
		return (-EIO);
	if (nd->leaf != (depth == v->iopt->height - 1))
		return (-EIO);
	if (nd->leaf) {
		if ((v->prev_leaf == NULL ? iopt_first_leaf(v->iopt) :
		    v->prev_leaf->next) != nd)
			return (-EIO);
		v->prev_leaf = nd;
		for (i = 0; i < nd->n; i++) {
			if (nd->u.area[i].last < nd->u.area[i].iova)
				return (-EIO);
			if (v->prev != NULL &&
			    v->prev->last >= nd->u.area[i].iova)
				return (-EIO);
			v->prev = &nd->u.area[i];
			v->n++;
		}
		return (0);
	}
	if (depth == 0 && nd->n < 2)
		return (-EIO);
	for (i = 0; i < nd->n; i++) {
		if (iopt_verify_node(v, nd->u.child[i].node, depth + 1) != 0)
			return (-EIO);
		iopt_node_sum(nd->u.child[i].node, &c);
		if (memcmp(&c, &nd->u.child[i], sizeof(c)) != 0)
			return (-EIO);
	}
	return (0);
}

int
iopt_verify(struct iopt *iopt)
{
	struct iopt_verify	 v;

	memset(&v, 0, sizeof(v));
	v.iopt = iopt;
	if (iopt->root == NULL)
		return (iopt->height == 0 && iopt->nareas == 0 ? 0 : -EIO);
	if (iopt->height > IOPT_MAX_HEIGHT ||
	    iopt_verify_node(&v, iopt->root, 0) != 0)
		return (-EIO);
	if (v.prev_leaf->next != NULL || v.n != iopt->nareas)
		return (-EIO);
	return (0);
}
