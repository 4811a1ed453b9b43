/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Slab pools of fixed-size objects (see pool.h). Every slab starts with
 * its header; the objects follow. Free objects of a slab are chained
 * through their first word. A slab is on its pool's partial list exactly
 * when it has at least one free object. For objects aligned to their
 * size, the header takes a whole object's room.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#define POOL_SLAB_SIZE	65536

struct pool_slab {
	LIST_ENTRY(pool_slab)	 entry;
	void			*free;		/* chain of free objects */
	size_t			 nused;
	size_t			 nobjs;
	char			*next;		/* never-used space from here */
	char			*end;
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
 * Slabs come straight from mmap, trimmed to their alignment: malloc's
 * aligned allocations leave unusable fragments between slabs.
 */
static struct pool_slab *
pool_slab_new(struct pool *pool)
{
	struct pool_slab	*slab;
	uintptr_t		 p, a;
	size_t			 hdr;

	p = (uintptr_t)mmap(NULL, 2 * POOL_SLAB_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((void *)p == MAP_FAILED)
		return (NULL);
	a = (p + POOL_SLAB_SIZE - 1) & ~(uintptr_t)(POOL_SLAB_SIZE - 1);
	if (a != p)
		munmap((void *)p, a - p);
	munmap((void *)(a + POOL_SLAB_SIZE), p + POOL_SLAB_SIZE - a);
	slab = (struct pool_slab *)a;
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

void *
pool_get(struct pool *pool)
{
	struct pool_slab	*slab;
	void			*p;

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
		pool->nslabs--;
		munmap(slab, POOL_SLAB_SIZE);
	}
}

size_t
pool_footprint(const struct pool *pool)
{
	return (pool->nslabs * POOL_SLAB_SIZE);
}

#endif
