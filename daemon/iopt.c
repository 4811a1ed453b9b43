/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The io page table (see iopt.h).
 *
 * Invariants of the area tree, checked by iopt_verify():
 *  - areas are sorted by iova and disjoint;
 *  - a->gap is the number of free addresses between the previous area's
 *    last (or -1 for the first area) and a->iova;
 *  - a->subtree_gap is the largest gap in a's subtree.
 * The red-black code recomputes subtree_gap on the nodes it rotates (the
 * RB_AUGMENT hook); every other node whose subtree changed is an ancestor
 * of a node that was linked, unlinked or had its gap changed, and is
 * recomputed by walking up from there (iopt_area_fixup()).
 *
 * Each area holds one reference on its pages object, and, while the table
 * has pinners, one pin on it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iopt.h"
#include "pool.h"
#include "util.h"

static struct pool iopt_area_pool =
    POOL_INITIALIZER("iopt_area", sizeof(struct iopt_area));

static inline uint64_t
iopt_subtree_gap(const struct iopt_area *a)
{
	return (a == NULL ? 0 : a->subtree_gap);
}

static void
iopt_area_augment(struct iopt_area *a)
{
	uint64_t	 g = a->gap;

	g = MAX(g, iopt_subtree_gap(RB_LEFT(a, entry)));
	g = MAX(g, iopt_subtree_gap(RB_RIGHT(a, entry)));
	a->subtree_gap = g;
}

static int
iopt_area_cmp(struct iopt_area *a, struct iopt_area *b)
{
	return (a->iova < b->iova ? -1 : a->iova > b->iova);
}

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

/* Only the area tree is augmented. */
#undef RB_AUGMENT
#define RB_AUGMENT(x)	iopt_area_augment(x)
RB_GENERATE_STATIC(iopt_area_tree, iopt_area, entry, iopt_area_cmp)
#undef RB_AUGMENT
#define RB_AUGMENT(x)	do { } while (0)
RB_GENERATE_STATIC(iopt_reserved_tree, iopt_reserved, entry,
    iopt_reserved_cmp)
RB_GENERATE_STATIC(iopt_allowed_tree, iopt_allowed, entry, iopt_allowed_cmp)

void
iopt_init(struct iopt *iopt)
{
	memset(iopt, 0, sizeof(*iopt));
	RB_INIT(&iopt->areas);
	RB_INIT(&iopt->reserved);
	RB_INIT(&iopt->allowed);
	LIST_INIT(&iopt->pinners);
	iopt->iova_alignment = 1;
}

/* --- Area tree ---------------------------------------------------------- */

static void
iopt_area_fixup(struct iopt_area *a)
{
	for (; a != NULL; a = RB_PARENT(a, entry))
		iopt_area_augment(a);
}

static void
iopt_area_link(struct iopt *iopt, struct iopt_area *a)
{
	struct iopt_area	*next, *prev;

	next = RB_NFIND(iopt_area_tree, &iopt->areas, a);
	if (next != NULL)
		prev = RB_PREV(iopt_area_tree, &iopt->areas, next);
	else
		prev = RB_MAX(iopt_area_tree, &iopt->areas);
	a->gap = a->iova - (prev != NULL ? prev->last + 1 : 0);
	a->subtree_gap = a->gap;
	if (next != NULL)
		next->gap = next->iova - (a->last + 1);
	RB_INSERT(iopt_area_tree, &iopt->areas, a);
	iopt_area_fixup(a);
	if (next != NULL)
		iopt_area_fixup(next);
	iopt->nareas++;
}

static void
iopt_area_unlink(struct iopt *iopt, struct iopt_area *a)
{
	struct iopt_area	*next, *prev, *parent, *moved_from = NULL;

	next = RB_NEXT(iopt_area_tree, &iopt->areas, a);
	prev = RB_PREV(iopt_area_tree, &iopt->areas, a);
	parent = RB_PARENT(a, entry);
	/* With two children, the successor takes a's place. */
	if (RB_LEFT(a, entry) != NULL && RB_RIGHT(a, entry) != NULL) {
		moved_from = RB_PARENT(next, entry);
		if (moved_from == a)
			moved_from = next;
	}
	if (next != NULL)
		next->gap = next->iova - (prev != NULL ? prev->last + 1 : 0);
	RB_REMOVE(iopt_area_tree, &iopt->areas, a);
	iopt_area_fixup(moved_from);
	iopt_area_fixup(next);
	iopt_area_fixup(parent);
	iopt->nareas--;
}

struct iopt_area *
iopt_area_first(struct iopt *iopt, uint64_t start, uint64_t last)
{
	struct iopt_area	*n, *cand = NULL;

	/* Areas are disjoint, so last grows with iova. */
	n = RB_ROOT(&iopt->areas);
	while (n != NULL) {
		if (n->last >= start) {
			cand = n;
			n = RB_LEFT(n, entry);
		} else
			n = RB_RIGHT(n, entry);
	}
	if (cand != NULL && cand->iova <= last)
		return (cand);
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
	return (RB_NEXT(iopt_area_tree, &iopt->areas, a));
}

/*
 * The lowest area in n's subtree whose iova is above lo and whose gap is
 * at least need. Subtrees without such a gap are skipped whole; past the
 * first node above lo every node qualifies by position, so this is
 * O(log n).
 */
static struct iopt_area *
iopt_area_first_fit(struct iopt_area *n, uint64_t lo, uint64_t need)
{
	struct iopt_area	*r;

	while (n != NULL && n->subtree_gap >= need) {
		if (n->iova <= lo) {
			n = RB_RIGHT(n, entry);
			continue;
		}
		r = iopt_area_first_fit(RB_LEFT(n, entry), lo, need);
		if (r != NULL)
			return (r);
		if (n->gap >= need)
			return (n);
		n = RB_RIGHT(n, entry);
	}
	return (NULL);
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

	if (start > last)
		return (-EINVAL);
	if (iopt_area_first(iopt, start, last) != NULL)
		return (-EADDRINUSE);
	if (iopt_allowed_hit(&iopt->allowed, start, last) != NULL)
		return (-EADDRINUSE);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (-ENOMEM);
	r->start = start;
	r->last = last;
	r->owner = owner;
	RB_INSERT(iopt_reserved_tree, &iopt->reserved, r);
	return (0);
}

void
iopt_unreserve_owner(struct iopt *iopt, const void *owner)
{
	struct iopt_reserved	*r, *tmp;

	RB_FOREACH_SAFE(r, iopt_reserved_tree, &iopt->reserved, tmp) {
		if (r->owner == owner) {
			RB_REMOVE(iopt_reserved_tree, &iopt->reserved, r);
			free(r);
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

int
iopt_allowed_add(struct iopt_allowed_tree *t, uint64_t start, uint64_t last)
{
	struct iopt_allowed	*a;

	if (start >= last)
		return (-EINVAL);
	if (iopt_allowed_hit(t, start, last) != NULL)
		return (-EINVAL);
	if ((a = calloc(1, sizeof(*a))) == NULL)
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

	RB_FOREACH(a, iopt_allowed_tree, set) {
		if (iopt_reserved_hit(iopt, a->start, a->last) != NULL) {
			iopt_allowed_clear(set);
			return (-EADDRINUSE);
		}
	}
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

/* The lowest fit among the area gaps within [ws, wl]: 1 if found. */
static int
iopt_alloc_window(void *arg, uint64_t ws, uint64_t wl)
{
	struct iopt_alloc	*al = arg;
	struct iopt		*iopt = al->iopt;
	struct iopt_area	*n, *max;
	uint64_t		 need, lo = ws, hs;

	need = MAX(al->length, 2);
	while ((n = iopt_area_first_fit(RB_ROOT(&iopt->areas), lo,
	    need)) != NULL) {
		hs = n->iova - n->gap;
		if (hs > wl)
			return (0);
		if (iopt_alloc_fit(al, MAX(hs, ws), MIN(n->iova - 1, wl)))
			return (1);
		lo = n->iova;
	}
	/* The space after the last area. */
	if ((max = RB_MAX(iopt_area_tree, &iopt->areas)) != NULL) {
		if (max->last == IOPT_IOVA_MAX || max->last + 1 > wl)
			return (0);
		ws = MAX(ws, max->last + 1);
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

static int
iopt_check_iova(struct iopt *iopt, uint64_t iova, uint64_t length)
{
	uint64_t	 last;

	if (iova & (iopt->iova_alignment - 1))
		return (-EINVAL);
	if (u64_range_overflows(iova, length))
		return (-EOVERFLOW);
	last = iova + (length - 1);
	if (iopt_reserved_hit(iopt, iova, last) != NULL)
		return (-EINVAL);
	if (iopt_area_first(iopt, iova, last) != NULL)
		return (-EEXIST);
	return (0);
}

/* --- Map and unmap ------------------------------------------------------ */

static uint64_t
iopt_piece_page_offset(const struct iopt_piece *p)
{
	return (pages_addr(p->pages, p->off) % IOPT_PAGE_SIZE);
}

int
iopt_map(struct iopt *iopt, const struct iopt_piece *pieces, size_t npieces,
    uint64_t length, uint64_t *iova, unsigned int prot, unsigned int flags)
{
	struct iopt_area	**areas;
	uint64_t		  cur;
	size_t			  i, npinned = 0;
	int			  rc;

	if (npieces == 0 || length == 0 ||
	    (length & (iopt->iova_alignment - 1)) != 0)
		return (-EINVAL);
	if (flags & IOPT_MAP_FIXED)
		rc = iopt_check_iova(iopt, *iova, length);
	else
		rc = iopt_alloc_iova(iopt, iova, pages_addr(pieces[0].pages,
		    pieces[0].off), length);
	if (rc != 0)
		return (rc);
	for (i = 0; i < npieces; i++) {
		if ((prot & IOPT_WRITE) && !pieces[i].pages->writable)
			return (-EPERM);
		if (iopt_piece_page_offset(&pieces[i]) &
		    (iopt->iova_alignment - 1))
			return (-EINVAL);
	}

	/* Everything that can fail happens before the tree changes. */
	if ((areas = calloc(npieces, sizeof(*areas))) == NULL)
		return (-ENOMEM);
	for (i = 0; i < npieces; i++) {
		if ((areas[i] = pool_get(&iopt_area_pool)) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	if (iopt->npinners != 0) {
		for (; npinned < npieces; npinned++) {
			if ((rc = pages_pin(pieces[npinned].pages)) != 0)
				goto fail;
		}
	}

	cur = *iova;
	for (i = 0; i < npieces; i++) {
		struct iopt_area *a = areas[i];

		a->iova = cur;
		a->last = cur + (pieces[i].length - 1);
		a->pages_prot = (uintptr_t)pieces[i].pages | (prot & 3);
		a->pages_off = pieces[i].off;
		pages_hold(pieces[i].pages);
		iopt_area_link(iopt, a);
		cur += pieces[i].length;
	}
	free(areas);
	return (0);

fail:
	while (npinned > 0)
		pages_unpin(pieces[--npinned].pages);
	for (i = 0; i < npieces; i++)
		pool_put(&iopt_area_pool, areas[i]);
	free(areas);
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
	if ((pieces = calloc(n, sizeof(*pieces))) == NULL)
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

static void
iopt_area_remove(struct iopt *iopt, struct iopt_area *a)
{
	struct iopt_pinner	*p;
	struct pages		*pages = iopt_area_pages(a);

	LIST_FOREACH(p, &iopt->pinners, entry) {
		if (p->ops != NULL && p->ops->unmap != NULL)
			p->ops->unmap(p, a->iova, iopt_area_length(a));
	}
	iopt_area_unlink(iopt, a);
	if (iopt->npinners != 0)
		pages_unpin(pages);
	pages_put(pages);
	pool_put(&iopt_area_pool, a);
}

/*
 * Unlike the kernel, which removes areas one by one until it meets one
 * that is only partly covered, every area is checked first, so a failed
 * unmap leaves the table as it was.
 */
static int
iopt_unmap_range(struct iopt *iopt, uint64_t start, uint64_t last,
    uint64_t *unmapped)
{
	struct iopt_area	*first, *a, *next;
	uint64_t		 total = 0;

	if ((first = iopt_area_first(iopt, start, last)) == NULL)
		return (-ENOENT);
	for (a = first; a != NULL && a->iova <= last;
	    a = iopt_area_next(iopt, a)) {
		if (a->iova < start || a->last > last)
			return (-ENOENT);
	}
	for (a = first; a != NULL && a->iova <= last; a = next) {
		next = iopt_area_next(iopt, a);
		total += iopt_area_length(a);
		iopt_area_remove(iopt, a);
	}
	*unmapped = total;
	return (0);
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

int
iopt_unmap_all(struct iopt *iopt, uint64_t *unmapped)
{
	int	 rc;

	*unmapped = 0;
	rc = iopt_unmap_range(iopt, 0, IOPT_IOVA_MAX, unmapped);
	return (rc == -ENOENT ? 0 : rc);
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
		free(r);
	}
	iopt_allowed_clear(&iopt->allowed);
}

/* --- Alignment and pinners ---------------------------------------------- */

/* Does every area fit alignment? 0 or -EADDRINUSE. */
static int
iopt_check_alignment(struct iopt *iopt, uint64_t align)
{
	struct iopt_area	*a;
	uint64_t		 mask = align - 1;

	RB_FOREACH(a, iopt_area_tree, &iopt->areas) {
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

	RB_FOREACH(a, iopt_area_tree, &iopt->areas) {
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
	if (iopt->npinners == 0) {
		RB_FOREACH(a, iopt_area_tree, &iopt->areas) {
			if ((rc = pages_pin(iopt_area_pages(a))) != 0) {
				iopt_unpin_all(iopt, a);
				return (rc);
			}
		}
	}
	LIST_INSERT_HEAD(&iopt->pinners, p, entry);
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
	iopt->npinners--;
	if (p->flags & IOPT_PINNER_DOMAIN)
		iopt->ndomains--;
	if (iopt->npinners == 0)
		iopt_unpin_all(iopt, NULL);
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

static int
iopt_verify_node(struct iopt_area *a, uint64_t *max)
{
	uint64_t	 l = 0, r = 0;

	if (a == NULL) {
		*max = 0;
		return (0);
	}
	if (iopt_verify_node(RB_LEFT(a, entry), &l) != 0 ||
	    iopt_verify_node(RB_RIGHT(a, entry), &r) != 0)
		return (-EIO);
	*max = MAX(a->gap, MAX(l, r));
	return (*max == a->subtree_gap ? 0 : -EIO);
}

int
iopt_verify(struct iopt *iopt)
{
	struct iopt_area	*a, *prev = NULL;
	uint64_t		 n = 0, max;

	RB_FOREACH(a, iopt_area_tree, &iopt->areas) {
		if (a->last < a->iova)
			return (-EIO);
		if (prev != NULL && prev->last >= a->iova)
			return (-EIO);
		if (a->gap != a->iova - (prev != NULL ? prev->last + 1 : 0))
			return (-EIO);
		prev = a;
		n++;
	}
	if (n != iopt->nareas)
		return (-EIO);
	return (iopt_verify_node(RB_ROOT(&iopt->areas), &max));
}
