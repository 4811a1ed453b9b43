/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The io page table: the IOVA space of one IOAS, and the model that
 * devices, domains, emulated DMA and dirty tracking are built on.
 *
 * It holds four things:
 *
 *  - areas: mapped ranges [iova, last], never overlapping, kept packed in
 *    the leaves of a B+tree (32 bytes each, up to 31 to a 1 KiB node).
 *    Each area maps part of a pages object (pages.h) starting at byte
 *    pages_off of it. An unmap must cover every area it touches; only
 *    iopt_cut() splits an area. Every inner node keeps, for each child,
 *    the child's first and last address and the largest hole between its
 *    areas, so that finding the lowest free IOVA of a given size is
 *    O(log n) like map, unmap and lookup, and one descent finds both the
 *    place of a new area and whatever it would overlap.
 *  - reserved ranges: IOVA where nothing may be mapped, each tagged with
 *    an owner cookie (a domain's aperture, a device's MSI window, the
 *    selftest's ADD_RESERVED) so that the owner can take its own back.
 *    Ranges of different owners may overlap. There are few of them, so
 *    checks against them are linear.
 *  - allowed ranges (ALLOW_IOVAS): if any, automatic IOVA allocation uses
 *    only them.
 *  - pinners: the domains and accesses attached. With none, a mapping only
 *    records its range and never touches memory; with at least one, every
 *    area's pages are pinned and charged (pages_pin()). Pinners also
 *    raise the IOVA alignment.
 *
 * Everything returns 0 or -errno and changes nothing on failure.
 */
#ifndef IOASIDD_IOPT_H
#define IOASIDD_IOPT_H

#include <stddef.h>
#include <stdint.h>

#include <bsd/sys/queue.h>
#include <bsd/sys/tree.h>

#include "iommufd/pages.h"

#define IOPT_PAGE_SIZE		4096ULL
/* The largest alignment automatic allocation aims for (a PMD page). */
#define IOPT_HUGE_PAGE_SIZE	(2ULL << 20)
/* The kernel's ULONG_MAX on a 64-bit host. */
#define IOPT_IOVA_MAX		UINT64_MAX

/* Area protection, the IOMMU_IOAS_MAP_{READABLE,WRITEABLE} meaning. */
#define IOPT_READ		0x1
#define IOPT_WRITE		0x2

/* iopt_map() flags. */
#define IOPT_MAP_FIXED		0x1	/* *iova is the address to use */

/*
 * One mapped range. Areas live inside the tree's leaves and move when the
 * tree changes, so a pointer to one (iopt_area_find() and friends) is
 * good only until the next map, unmap or cut of the table.
 */
struct iopt_area {
	uint64_t		 iova;
	uint64_t		 last;		/* inclusive */
	/* struct pages * with IOPT_READ/IOPT_WRITE in the low bits. */
	uintptr_t		 pages_prot;
	uint64_t		 pages_off;	/* byte of pages at iova */
};

static inline struct pages *
iopt_area_pages(const struct iopt_area *a)
{
	return ((struct pages *)(a->pages_prot & ~(uintptr_t)3));
}

static inline unsigned int
iopt_area_prot(const struct iopt_area *a)
{
	return (a->pages_prot & 3);
}

static inline uint64_t
iopt_area_length(const struct iopt_area *a)
{
	return (a->last - a->iova + 1);
}

struct iopt_reserved {
	RB_ENTRY(iopt_reserved)	 entry;
	uint64_t		 start;
	uint64_t		 last;
	const void		*owner;
};

struct iopt_allowed {
	RB_ENTRY(iopt_allowed)	 entry;
	uint64_t		 start;
	uint64_t		 last;
};

struct iopt_node;

RB_HEAD(iopt_reserved_tree, iopt_reserved);
RB_HEAD(iopt_allowed_tree, iopt_allowed);

/*
 * A domain or access attached to the table. The attaching object embeds
 * it and fills alignment (a power of two, at most IOPT_PAGE_SIZE), flags
 * and ops before iopt_add_pinner(); the table only links it.
 */
struct iopt_pinner;

struct iopt_pinner_ops {
	/*
	 * An area [iova, iova + length) is about to be unmapped: drop
	 * anything that refers to it. Optional.
	 */
	void	(*unmap)(struct iopt_pinner *, uint64_t iova, uint64_t length);
	/*
	 * Does the pinner hold part of the area [iova, last] locked, so
	 * that it cannot go while the pinner lives (a HW queue's memory)?
	 * An unmap or cut of such an area fails with EBUSY. Optional.
	 */
	int	(*busy)(struct iopt_pinner *, uint64_t iova, uint64_t last);
};

#define IOPT_PINNER_DOMAIN	0x1	/* a domain (not an access) */
/*
 * An access: it pins only what it asks for, on its own, so it joins the
 * list (alignment, unmap callbacks) without making every area pinned;
 * npinners does not count it.
 */
#define IOPT_PINNER_LAZY	0x2

struct iopt_pinner {
	LIST_ENTRY(iopt_pinner)		 entry;
	uint64_t			 alignment;
	unsigned int			 flags;		/* IOPT_PINNER_* */
	const struct iopt_pinner_ops	*ops;		/* or NULL */
};

struct limit_acct;

struct iopt {
	struct iopt_node		*root;		/* NULL when empty */
	unsigned int			 height;	/* levels, leaves too */
	struct iopt_reserved_tree	 reserved;
	struct iopt_allowed_tree	 allowed;
	LIST_HEAD(, iopt_pinner)	 pinners;
	uint64_t			 nareas;
	unsigned int			 npinners;	/* not the lazy ones */
	unsigned int			 nlazy;
	unsigned int			 nbusy;		/* with a busy op */
	unsigned int			 ndomains;
	uint64_t			 iova_alignment;
	int				 disable_huge;	/* HUGE_PAGES = 0 */
	/*
	 * Where nodes, areas and ranges are charged (limit.h), or NULL;
	 * set by the owner right after iopt_init().
	 */
	struct limit_acct		*acct;
	uint64_t			 nallowed;
};

/* One piece of a mapping: bytes [off, off + length) of a pages object. */
struct iopt_piece {
	struct pages	*pages;
	uint64_t	 off;
	uint64_t	 length;
};

void	iopt_init(struct iopt *);
/* Unmap everything, unpin, forget reserved and allowed ranges. */
void	iopt_fini(struct iopt *);

/*
 * Map pieces, back to back, at *iova (IOPT_MAP_FIXED) or at an address
 * chosen here and stored in *iova. length is the sum of the pieces'.
 * Errors in the kernel's order: -EINVAL (length 0 or not a multiple of
 * the alignment), then for a fixed IOVA -EINVAL (misaligned or reserved),
 * -EOVERFLOW, -EEXIST (overlaps an area), or when allocating -EOVERFLOW,
 * -EINVAL, -ENOSPC; then per piece -EPERM (write to read-only pages),
 * -EINVAL (sub-page offset misaligned); then with pinners -EFAULT,
 * -EINVAL or -ENOMEM from pinning. Each piece becomes one area, holding
 * a reference on its pages.
 */
int	iopt_map(struct iopt *, const struct iopt_piece *, size_t npieces,
	    uint64_t length, uint64_t *iova, unsigned int prot,
	    unsigned int flags);

/*
 * The pieces that back [iova, iova + length), which must be wholly
 * covered by touching areas (-ENOENT otherwise; -EINVAL for length 0;
 * -EOVERFLOW if it wraps). *piecesp is allocated and every piece holds a
 * pages reference: release with iopt_pieces_free().
 */
int	iopt_get_pieces(struct iopt *, uint64_t iova, uint64_t length,
	    struct iopt_piece **piecesp, size_t *npiecesp);
void	iopt_pieces_free(struct iopt_piece *, size_t);

/*
 * Remove every area inside [iova, iova + length) and add their lengths
 * to *unmapped. -EINVAL for length 0, -EOVERFLOW if it wraps, -ENOENT
 * if an area is only partly inside or nothing is mapped there (in which
 * case nothing is removed).
 */
int	iopt_unmap(struct iopt *, uint64_t iova, uint64_t length,
	    uint64_t *unmapped);
/* Remove everything; 0 even when empty. */
int	iopt_unmap_all(struct iopt *, uint64_t *unmapped);

/*
 * Make iova the last byte of an area: the area holding iova and going on
 * past it becomes two (type1 v1 unmaps inside a mapping this way). 0 when
 * nothing is mapped at iova or an area already ends there; -EOPNOTSUPP
 * inside a dma-buf's area; -EINVAL if the cut would leave a piece
 * misaligned for the table's alignment, -ENOMEM.
 */
int	iopt_cut(struct iopt *, uint64_t iova);

/*
 * The area containing iova, or NULL. O(log n); the answer is good until
 * the table changes.
 */
struct iopt_area *iopt_area_find(struct iopt *, uint64_t iova);
/* The lowest area intersecting [start, last], or NULL. */
struct iopt_area *iopt_area_first(struct iopt *, uint64_t start,
	    uint64_t last);
struct iopt_area *iopt_area_next(struct iopt *, struct iopt_area *);

/*
 * Reserve [start, last] for owner: -EINVAL if start > last,
 * -EADDRINUSE if it covers part of an area or intersects an allowed
 * range, -ENOMEM.
 */
int	iopt_reserve(struct iopt *, uint64_t start, uint64_t last,
	    const void *owner);
void	iopt_unreserve_owner(struct iopt *, const void *owner);

/*
 * Call fn on every hole of the reserved ranges over [0, IOPT_IOVA_MAX],
 * in order (IOVA_RANGES). Stops at the first non-zero return, which it
 * returns.
 */
int	iopt_for_each_hole(struct iopt *, int (*fn)(void *, uint64_t start,
	    uint64_t last), void *);

/*
 * A set of allowed ranges being built from the caller's list, checked
 * entry by entry like the kernel: iopt_allowed_add() gives -EINVAL for
 * start >= last or an overlap with an earlier entry. iopt_set_allowed()
 * replaces the table's set (-EADDRINUSE if a range intersects a reserved
 * one) and leaves the set empty either way.
 */
void	iopt_allowed_init(struct iopt_allowed_tree *);
/*
 * A set being built to replace the table's has just taken its nth range:
 * charge it, as far as the set outgrows the table's (0 or -ENOMEM), so
 * that the limit holds for the set the call would leave.
 * iopt_set_allowed() settles the charge; when the set of n ranges is
 * dropped instead, iopt_allowed_uncharge() gives its charge back.
 */
int	iopt_allowed_charge(struct iopt *, uint64_t n);
void	iopt_allowed_uncharge(struct iopt *, uint64_t n);
int	iopt_allowed_add(struct iopt_allowed_tree *, uint64_t start,
	    uint64_t last);
void	iopt_allowed_clear(struct iopt_allowed_tree *);
int	iopt_set_allowed(struct iopt *, struct iopt_allowed_tree *);

/*
 * Attach a pinner: -EINVAL for a bad alignment, -EADDRINUSE if an area
 * does not fit the new alignment, then, for the first pinner, pin every
 * area (-EFAULT, -EINVAL, -ENOMEM, and nothing stays pinned).
 */
int	iopt_add_pinner(struct iopt *, struct iopt_pinner *);
/* Detach; the last one unpins everything. */
void	iopt_remove_pinner(struct iopt *, struct iopt_pinner *);

/*
 * IOMMU_OPTION_HUGE_PAGES: disabling forces PAGE_SIZE alignment (-EINVAL
 * if a domain is attached and areas exist, -EADDRINUSE if an area does
 * not fit), enabling recomputes it.
 */
int	iopt_disable_huge_pages(struct iopt *);
void	iopt_enable_huge_pages(struct iopt *);

/* Check the tree, its fill and its cached summaries (tests): 0, or -EIO. */
int	iopt_verify(struct iopt *);

#endif /* IOASIDD_IOPT_H */
