/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The dirty bits of one domain (a paging HWPT allocated with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING): which of its IOPTEs a device wrote
 * through since the bits were last cleared, and the reading of them into
 * a caller's bitmap (IOMMU_HWPT_GET_DIRTY_BITMAP, spec 4.4).
 *
 * The domain marks what its device writes (dirty_set(), only over mapped
 * IOPTEs) and clears the range of every IOPTE it unmaps (dirty_clear()):
 * an unmapped IOPTE has no dirty bit, as in a hardware page table.
 *
 * Bits are kept per granule, the domain's smallest page size; an IOPTE
 * larger than a granule is marked as all of its granules, so that a read
 * at any page_size reports the whole IOPTE dirty, as hardware that keeps
 * one dirty bit per IOPTE does. The store is sparse: a tree of chunks of
 * DIRTY_CHUNK_GRANULES granules each, a chunk existing only while some
 * granule in it is dirty (or, briefly, prepared to be). Memory is thus
 * proportional to the dirty IOVA, itself bounded by what the domain maps
 * (the owner marks only mapped IOPTEs), about 560 bytes per chunk: 0.003%
 * of the dirty bytes at 4 KiB granules. Reading and clearing a range cost
 * the chunks inside it plus the bitmap bytes written, never a step per
 * page of an empty span.
 */
#ifndef IOASIDD_DIRTY_H
#define IOASIDD_DIRTY_H

#include <stddef.h>
#include <stdint.h>

#include <bsd/sys/tree.h>

struct ucmd;

#define DIRTY_CHUNK_GRANULES	4096
#define DIRTY_CHUNK_WORDS	(DIRTY_CHUNK_GRANULES / 64)

struct dirty_chunk {
	RB_ENTRY(dirty_chunk)	 entry;
	uint64_t		 index;		/* granule >> 12 */
	unsigned int		 nset;		/* granules dirty; 0: may go */
	uint64_t		 bits[DIRTY_CHUNK_WORDS];
};

RB_HEAD(dirty_tree, dirty_chunk);

/*
 * The IOPTE of the domain that holds iova: its first byte and length, or
 * -ENOENT when nothing is mapped there. Supplied by the domain; without
 * one, every granule is its own IOPTE and mapped.
 */
typedef int	(*dirty_iopte_fn)(void *arg, uint64_t iova, uint64_t *start,
		    uint64_t *len);

struct dirty {
	struct dirty_tree	 chunks;
	uint64_t		 nchunks;
	unsigned int		 shift;		/* log2 of the granule */
	int			 tracking;	/* SET_DIRTY_TRACKING state */
	dirty_iopte_fn		 iopte;		/* or NULL */
	void			*iopte_arg;
};

/* granule: the domain's smallest page size, a power of two >= 2. */
void	dirty_init(struct dirty *, uint64_t granule);
/* Free every chunk; the store is empty and can be used again. */
void	dirty_fini(struct dirty *);
/* An allocated store (0 or -ENOMEM), and its release (NULL is fine). */
int	dirty_new(uint64_t granule, struct dirty **);
void	dirty_free(struct dirty *);

/*
 * Make sure the chunks that [iova, iova + len) needs exist, so that
 * dirty_set() on that range cannot fail: 0 or -ENOMEM. Chunks made here
 * and never set are empty and change nothing a reader sees; the next
 * clear over them frees them.
 */
int	dirty_prepare(struct dirty *, uint64_t iova, uint64_t len);
/*
 * Mark every granule that [iova, iova + len) touches dirty: 0, or -ENOMEM
 * (with the store as a reader sees it unchanged) unless the range was
 * prepared. len 0 marks nothing. The cost and the chunks made follow
 * len: callers pass an IOPTE, or a range the domain maps, never a length
 * taken from a caller.
 */
int	dirty_set(struct dirty *, uint64_t iova, uint64_t len);
/* Clear the granules inside [iova, iova + len) and free emptied chunks. */
void	dirty_clear(struct dirty *, uint64_t iova, uint64_t len);
/* Dirty granules inside [iova, iova + len), and in all (tests, describe). */
uint64_t dirty_count(struct dirty *, uint64_t iova, uint64_t len);
uint64_t dirty_total(struct dirty *);

/*
 * The IOPTE holding iova when a domain maps the run [first, last] of IOVA
 * onto memory at IOVA + delta, contiguous as far as limit allows, the way
 * the kernel splits a run into pages: the largest page size of pgsizes,
 * at most limit, whose aligned block around iova lies in the run with its
 * memory as aligned. Without one, the block of the smallest size.
 */
void	dirty_iopte_fit(uint64_t pgsizes, uint64_t limit, uint64_t first,
	    uint64_t last, uint64_t delta, uint64_t iova, uint64_t *start,
	    uint64_t *len);

/*
 * OR into the caller's bitmap at data one bit per page_size of
 * [iova, iova + length) whose bytes hold a dirty granule: bit i is byte
 * i / 8, bit i % 8 of data, any alignment. Bits are never cleared in the
 * caller's bitmap. Its bytes are read and written back (ORed) only
 * between the first and the last dirty bit of a window, never outside
 * the bitmap, so a clean range touches no caller memory. The store is
 * not changed (the caller clears after success). The range and
 * page_size are the caller's to check: length != 0, page_size a power of
 * two, iova and length multiples of it, no wrap. 0, -EFAULT, -ENOMEM;
 * on failure some bytes may have been written, as the kernel may.
 */
int	dirty_read(struct dirty *, struct ucmd *, uint64_t iova,
	    uint64_t length, uint64_t page_size, uint64_t data);

#endif /* IOASIDD_DIRTY_H */
