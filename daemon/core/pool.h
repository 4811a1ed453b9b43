/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Fixed-size object pools for the small records that exist once per
 * mapping (io page table nodes, pages objects), where malloc's per-chunk
 * header and rounding would cost a third of the record.
 *
 * A pool carves 64 KiB slabs (mapped directly, not from malloc), each
 * aligned to its size so that an object finds its slab by masking its
 * address. Once a pool holds POOL_REGION_AFTER slabs, further slabs come
 * from 2 MiB regions that the kernel is asked to back with huge pages:
 * a table of a million mappings then spans a few dozen TLB entries
 * instead of ten thousand. A slab that becomes empty is
 * returned to the system unless it is the pool's only slab with room; a
 * slab of a region goes back to its region, and the region is returned
 * when all its slabs are back and another region has room.
 * Objects come back zeroed. An object whose size is a power of two up to
 * 4 KiB is aligned to its size, so that a pointer into it finds its start
 * by masking. In a sanitizer build every object is a plain (aligned)
 * malloc() so that ASan still sees use-after-free and leaks.
 */
#ifndef IOASIDD_POOL_H
#define IOASIDD_POOL_H

#include <stddef.h>

#include <bsd/sys/queue.h>

struct pool_slab;
struct pool_region;
LIST_HEAD(pool_slab_list, pool_slab);
LIST_HEAD(pool_region_list, pool_region);

struct pool {
	const char		*name;
	size_t			 size;		/* object size, rounded up */
	struct pool_slab_list	 partial;	/* slabs with a free object */
	struct pool_region_list	 regions;	/* regions with a free slab */
	size_t			 nlive;		/* objects handed out */
	size_t			 nslabs;	/* slabs in use */
	size_t			 nbytes;	/* mapped: slabs and regions */
};

#define POOL_INITIALIZER(n, sz)						\
	{ (n), (((sz) + 7) & ~(size_t)7), LIST_HEAD_INITIALIZER(x),	\
	    LIST_HEAD_INITIALIZER(x), 0, 0, 0 }

/* A zeroed object, or NULL when memory is short. */
void	*pool_get(struct pool *);
void	 pool_put(struct pool *, void *);
/* Bytes the pool holds from the system (slabs), for status and benches. */
size_t	 pool_footprint(const struct pool *);

#endif /* IOASIDD_POOL_H */
