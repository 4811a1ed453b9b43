/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Slab pools of fixed-size objects (see pool.h). Every slab starts with
 * its header; the objects follow. Free objects of a slab are chained
 * through their first word. A slab is on its pool's partial list exactly
 * when it has at least one free object. For objects aligned to their
 * size, the header takes a whole object's room.
 *
 * A region is a 2 MiB-aligned run of POOL_REGION_SLABS slab places,
 * advised for huge pages. It hands out never-used places in order and
 * keeps the slabs given back on its empty list; it is on its pool's
 * region list exactly when it has a place left. Its slabs stay resident
 * while any of them is in use: giving back 64 KiB of a huge page would
 * split it. The region record itself comes from malloc.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/inject.h"
#include "core/pool.h"

#define POOL_SLAB_SIZE		65536
#define POOL_REGION_SIZE	(2UL << 20)
#define POOL_REGION_SLABS	(POOL_REGION_SIZE / POOL_SLAB_SIZE)
/*
 * Slabs a pool maps one by one before it takes them from regions: a
 * small pool stays small, a large one is where TLB misses cost.
 */
#define POOL_REGION_AFTER	16

struct pool_slab {
	LIST_ENTRY(pool_slab)	 entry;
	void			*free;		/* chain of free objects */
	size_t			 nused;
	size_t			 nobjs;
	char			*next;		/* never-used space from here */
	char			*end;
	struct pool_region	*region;	/* or NULL: mapped alone */
};

struct pool_region {
	LIST_ENTRY(pool_region)	 entry;
	char			*base;
	char			*next;		/* never-used places from here */
	struct pool_slab_list	 empty;		/* slabs given back */
	size_t			 nused;		/* slabs handed out */
};

/* Objects that are aligned to their size (see pool.h). */
#define POOL_ALIGNED(sz)	(((sz) & ((sz) - 1)) == 0 && (sz) <= 4096)

#if defined(__SANITIZE_ADDRESS__)
#define POOL_PLAIN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_PLAIN_MALLOC 1
#endif
#endif

#ifdef POOL_PLAIN_MALLOC

void *
pool_get(struct pool *pool)
{
	void	*p;

	if (inject_fail())
		return (NULL);
	if (POOL_ALIGNED(pool->size))
		p = aligned_alloc(pool->size, pool->size);
	else
		p = malloc(pool->size);
	if (p == NULL)
		return (NULL);
	memset(p, 0, pool->size);
	pool->nlive++;
	return (p);
}

void
pool_put(struct pool *pool, void *p)
{
	if (p == NULL)
		return;
	pool->nlive--;
	free(p);
}

size_t
pool_footprint(const struct pool *pool)
{
	return (pool->nlive * pool->size);
}

#else

/*
 * Slabs and regions come straight from mmap, trimmed to their alignment:
 * malloc's aligned allocations leave unusable fragments between them.
 */
static void *
pool_map_aligned(size_t size)
{
	uintptr_t	 p, a;

	p = (uintptr_t)mmap(NULL, 2 * size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((void *)p == MAP_FAILED)
		return (NULL);
	a = (p + size - 1) & ~(uintptr_t)(size - 1);
	if (a != p)
		munmap((void *)p, a - p);
	munmap((void *)(a + size), p + size - a);
	return ((void *)a);
}

/* A slab place from a region with room, or from a new region. */
static struct pool_slab *
pool_region_slab(struct pool *pool)
{
	struct pool_region	*r;
	struct pool_slab	*slab;

	if ((r = LIST_FIRST(&pool->regions)) == NULL) {
		if ((r = malloc(sizeof(*r))) == NULL)
			return (NULL);
		if ((r->base = pool_map_aligned(POOL_REGION_SIZE)) == NULL) {
			free(r);
			return (NULL);
		}
		/* Advice only: without huge pages the region works alike. */
		(void)madvise(r->base, POOL_REGION_SIZE, MADV_HUGEPAGE);
		r->next = r->base;
		LIST_INIT(&r->empty);
		r->nused = 0;
		LIST_INSERT_HEAD(&pool->regions, r, entry);
		pool->nbytes += POOL_REGION_SIZE;
	}
	if ((slab = LIST_FIRST(&r->empty)) != NULL)
		LIST_REMOVE(slab, entry);
	else {
		slab = (struct pool_slab *)r->next;
		r->next += POOL_SLAB_SIZE;
	}
	if (++r->nused == POOL_REGION_SLABS)
		LIST_REMOVE(r, entry);
	slab->region = r;
	return (slab);
}

static struct pool_slab *
pool_slab_new(struct pool *pool)
{
	struct pool_slab	*slab;
	size_t			 hdr;

	if (pool->nslabs >= POOL_REGION_AFTER)
		slab = pool_region_slab(pool);
	else if ((slab = pool_map_aligned(POOL_SLAB_SIZE)) != NULL) {
		slab->region = NULL;
		pool->nbytes += POOL_SLAB_SIZE;
	}
	if (slab == NULL)
		return (NULL);
	hdr = (sizeof(*slab) + 15) & ~(size_t)15;
	if (POOL_ALIGNED(pool->size))
		hdr = (sizeof(*slab) + pool->size - 1) & ~(pool->size - 1);
	slab->free = NULL;
	slab->nused = 0;
	slab->nobjs = (POOL_SLAB_SIZE - hdr) / pool->size;
	slab->next = (char *)slab + hdr;
	slab->end = slab->next + slab->nobjs * pool->size;
	LIST_INSERT_HEAD(&pool->partial, slab, entry);
	pool->nslabs++;
	return (slab);
}

/*
 * An empty slab goes back to the system, or to its region; an empty
 * region goes back unless it is the only one with room, so that a pool
 * that shrinks and grows by a slab does not map and fault 2 MiB each
 * time.
 */
static void
pool_slab_free(struct pool *pool, struct pool_slab *slab)
{
	struct pool_region	*r = slab->region;

	pool->nslabs--;
	if (r == NULL) {
		munmap(slab, POOL_SLAB_SIZE);
		pool->nbytes -= POOL_SLAB_SIZE;
		return;
	}
	if (r->nused-- == POOL_REGION_SLABS)
		LIST_INSERT_HEAD(&pool->regions, r, entry);
	LIST_INSERT_HEAD(&r->empty, slab, entry);
	if (r->nused == 0 && (LIST_FIRST(&pool->regions) != r ||
	    LIST_NEXT(r, entry) != NULL)) {
		LIST_REMOVE(r, entry);
		munmap(r->base, POOL_REGION_SIZE);
		pool->nbytes -= POOL_REGION_SIZE;
		free(r);
	}
}

void *
pool_get(struct pool *pool)
{
	struct pool_slab	*slab;
	void			*p;

	if (inject_fail())
		return (NULL);
	if ((slab = LIST_FIRST(&pool->partial)) == NULL &&
	    (slab = pool_slab_new(pool)) == NULL)
		return (NULL);
	if (slab->free != NULL) {
		p = slab->free;
		memcpy(&slab->free, p, sizeof(void *));
	} else {
		p = slab->next;
		slab->next += pool->size;
	}
	if (++slab->nused == slab->nobjs)
		LIST_REMOVE(slab, entry);
	pool->nlive++;
	memset(p, 0, pool->size);
	return (p);
}

void
pool_put(struct pool *pool, void *p)
{
	struct pool_slab	*slab;

	if (p == NULL)
		return;
	slab = (struct pool_slab *)((uintptr_t)p & ~(uintptr_t)
	    (POOL_SLAB_SIZE - 1));
	if (slab->nused == slab->nobjs)
		LIST_INSERT_HEAD(&pool->partial, slab, entry);
	memcpy(p, &slab->free, sizeof(void *));
	slab->free = p;
	slab->nused--;
	pool->nlive--;
	/* Keep one slab with room; give the rest back when empty. */
	if (slab->nused == 0 && (LIST_FIRST(&pool->partial) != slab ||
	    LIST_NEXT(slab, entry) != NULL)) {
		LIST_REMOVE(slab, entry);
		pool_slab_free(pool, slab);
	}
}

size_t
pool_footprint(const struct pool *pool)
{
	return (pool->nbytes);
}

#endif
