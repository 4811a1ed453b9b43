/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A pages object: the memory behind one MAP or MAP_FILE, shared by every
 * io page table area that maps part of it (COPY adds areas, never pages).
 *
 * The source is a range of a caller's address space (a struct umem and a
 * virtual address), a range of a file (a daemon-owned descriptor and an
 * offset) or a range of a dma-buf (its memory, held, and an offset).
 * start is page aligned; size counts the bytes from start to the end of
 * the data, so the data's own sub-page offset is the offset of the first
 * area.
 *
 * Pinning is counted here: npin is the number of areas referring to the
 * object that sit in an io page table with pinners (domains, accesses).
 * The first pin checks that the source can really be pinned and charges
 * the whole object to its owner; the last unpin returns the charge. So a
 * page shared by many areas is pinned and charged once, as in the kernel.
 * (The kernel pins page by page; here a pin covers the whole object, so a
 * COPY of a small piece of a large mapping pins all of it.)
 *
 * A dma-buf range is neither pinned nor charged, as the kernel does not
 * account dma-buf memory as pinned pages. It is revoked once its buffer
 * is revoked or restored after the object was made (the exporter
 * invalidates every import either way, and the kernel never maps an
 * invalidated import again): its areas then map nothing in any domain.
 *
 * A pages object is small and allocated from a pool, because one exists
 * for every mapping.
 */
#ifndef IOASIDD_PAGES_H
#define IOASIDD_PAGES_H

#include <stddef.h>
#include <stdint.h>

#include "core/acct.h"
#include "core/umem.h"

#define PAGES_PAGE_SIZE		4096ULL

enum pages_type {
	PAGES_USER = 1,		/* caller virtual memory */
	PAGES_FILE,		/* file range */
	PAGES_DMABUF,		/* dma-buf range */
};

struct dmabuf_mem;
struct limit_acct;
struct umem;

struct pages {
	uint64_t		 start;		/* VA or file offset, aligned */
	uint64_t		 size;		/* bytes from start to data end */
	union {
		struct umem	*umem;		/* PAGES_USER, held; or NULL */
		int		 fd;		/* PAGES_FILE, owned */
		struct {
			struct dmabuf_mem *mem;	/* held */
			uint64_t	 gen;	/* the buffer's, when made */
		}		 dmabuf;	/* PAGES_DMABUF */
	} src;
	struct acct_owner	*owner;		/* held */
	struct limit_acct	*lim;		/* charged for the object */
	uint64_t		 pa_base;	/* noiommu.h; 0: none yet */
	uint32_t		 refs;
	uint32_t		 npin;
	uint8_t			 type;		/* enum pages_type */
	uint8_t			 writable;
	uint8_t			 acct_mode;	/* enum acct_mode at map time */
	uint8_t			 charged;	/* owner pays pages_npages() */
	uint8_t			 mark;		/* scratch for whole-ctx walks */
	uint8_t			 pa_shift;	/* log2 of its noiommu granule */
};

/*
 * A user range [uva, uva + length): -EINVAL for length 0 or beyond the
 * address space, -EOVERFLOW if it wraps, -ENOMEM. umem may be NULL (the
 * caller's memory is unreachable: pinning fails with -EFAULT).
 */
int	pages_new_user(struct umem *, uint64_t uva, uint64_t length,
	    int writable, struct acct_owner *, enum acct_mode,
	    struct pages **);
/*
 * A file range [offset, offset + length) of fd, which the object takes
 * over on success: -EINVAL for length 0, a range past the end of the file
 * or a file that is not a regular one.
 */
int	pages_new_file(int fd, uint64_t offset, uint64_t length,
	    int writable, struct acct_owner *, enum acct_mode,
	    struct pages **);
/*
 * A range [offset, offset + length) of a dma-buf's memory, held by the
 * object from then on: -EINVAL for length 0 or a range past the end of
 * the buffer, -EOVERFLOW if it wraps, -ENODEV while the buffer is
 * revoked, -ENOMEM.
 */
int	pages_new_dmabuf(struct dmabuf_mem *, uint64_t offset, uint64_t length,
	    int writable, struct acct_owner *, enum acct_mode,
	    struct pages **);
/* A dma-buf range whose import the exporter has invalidated since. */
int	pages_revoked(const struct pages *);
/*
 * Charge the object's own memory to a context (limit.h): 0 or -ENOMEM.
 * It is given back when the object goes.
 */
int	pages_charge_limit(struct pages *, struct limit_acct *);
void	pages_hold(struct pages *);
void	pages_put(struct pages *);

/* Pages the object spans, as charged. */
uint64_t pages_npages(const struct pages *);
/* The source address (VA or file offset) of byte off of the object. */
static inline uint64_t
pages_addr(const struct pages *p, uint64_t off)
{
	return (p->start + off);
}

/*
 * One more pinned area. The first one checks the source (-EFAULT for
 * memory that is not mapped with the needed rights or a process that is
 * gone, -EINVAL for a file that no longer holds the range) and charges
 * the owner (-ENOMEM over its limit). Nothing changes on failure.
 */
int	pages_pin(struct pages *);
void	pages_unpin(struct pages *);

/*
 * Copy len bytes at byte off of the object to or from buf: emulated DMA
 * and access reads and writes. 0, or -EFAULT.
 */
int	pages_rw(struct pages *, uint64_t off, void *buf, size_t len,
	    int write);

/*
 * Whether p is pinned and holds pages of process pid's memory (from
 * p->start, p->size bytes). The process is compared, not the umem: one
 * process's memory may be held through several (a read-only and a
 * read-write mem file).
 */
static inline int
pages_pins_user(const struct pages *p, pid_t pid)
{
	return (p->npin > 0 && p->type == PAGES_USER &&
	    umem_pid(p->src.umem) == pid);
}

/* Objects alive, for leak checks in the tests. */
size_t	pages_count(void);

#endif /* IOASIDD_PAGES_H */
