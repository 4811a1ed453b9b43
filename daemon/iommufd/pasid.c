/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Global PASIDs (pasid.h): a bitmap of the pPASIDs in use, 2^20 bits,
 * and one tree of translations keyed by context and vPASID. The lowest
 * free pPASID is handed out, so that narrow devices find room as long
 * as there is any.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <bsd/sys/tree.h>

#include "core/util.h"
#include "iommufd/pasid.h"

#define PASID_COUNT		(1U << PASID_WIDTH_MAX)
#define PASID_WORDS		(PASID_COUNT / 64)

struct pasid_ent {
	RB_ENTRY(pasid_ent)	 entry;
	const struct ctx	*ctx;
	struct pasid_map	 map;
};

RB_HEAD(pasid_tree, pasid_ent);

static uint64_t		 pasid_used[PASID_WORDS];
static unsigned int	 pasid_nused;
static struct pasid_tree pasid_maps = RB_INITIALIZER(&pasid_maps);

/* Order by context, then vPASID. */
static int
pasid_cmp(struct pasid_ent *a, struct pasid_ent *b)
{
	if (a->ctx != b->ctx)
		return ((uintptr_t)a->ctx < (uintptr_t)b->ctx ? -1 : 1);
	return (a->map.vpasid < b->map.vpasid ? -1 :
	    a->map.vpasid > b->map.vpasid);
}

RB_GENERATE_STATIC(pasid_tree, pasid_ent, entry, pasid_cmp)

/* The context's row for vpasid, or NULL. */
static struct pasid_ent *
pasid_find(const struct ctx *ctx, uint32_t vpasid)
{
	struct pasid_ent	 key;

	key.ctx = ctx;
	key.map.vpasid = vpasid;
	return (RB_FIND(pasid_tree, &pasid_maps, &key));
}

/* The lowest free pPASID below 2^width (never 0), or 0 if none is. */
static uint32_t
pasid_alloc(unsigned int width)
{
	uint32_t	 limit = 1U << width, w, b, p;

	for (w = 0; w < (limit + 63) / 64; w++) {
		if (pasid_used[w] == UINT64_MAX)
			continue;
		for (b = 0; b < 64; b++) {
			p = w * 64 + b;
			if (p >= limit)
				return (0);
			if (p != 0 && !(pasid_used[w] & (1ULL << b))) {
				pasid_used[w] |= 1ULL << b;
				pasid_nused++;
				return (p);
			}
		}
	}
	return (0);
}

static void
pasid_release(uint32_t p)
{
	pasid_used[p / 64] &= ~(1ULL << (p % 64));
	pasid_nused--;
}

int
pasid_get(struct ctx *ctx, uint32_t vpasid, unsigned int width,
    uint32_t *ppasid)
{
	struct pasid_ent	*e;
	uint32_t		 p;

	if (width == 0)
		return (-ENOSPC);
	if (width > PASID_WIDTH_MAX)
		width = PASID_WIDTH_MAX;
	if ((e = pasid_find(ctx, vpasid)) != NULL) {
		if (e->map.ppasid >= (1U << width))
			return (-ENOSPC);
		e->map.users++;
		*ppasid = e->map.ppasid;
		return (0);
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (-ENOMEM);
	if ((p = pasid_alloc(width)) == 0) {
		free(e);
		return (-ENOSPC);
	}
	e->ctx = ctx;
	e->map.vpasid = vpasid;
	e->map.ppasid = p;
	e->map.users = 1;
	RB_INSERT(pasid_tree, &pasid_maps, e);
	*ppasid = p;
	return (0);
}

void
pasid_put(struct ctx *ctx, uint32_t vpasid)
{
	struct pasid_ent	*e;

	if ((e = pasid_find(ctx, vpasid)) == NULL || --e->map.users != 0)
		return;
	RB_REMOVE(pasid_tree, &pasid_maps, e);
	pasid_release(e->map.ppasid);
	free(e);
}

int
pasid_walk(const struct ctx *ctx,
    int (*fn)(void *, const struct pasid_map *), void *arg)
{
	struct pasid_ent	 key, *e;
	int			 rc;

	key.ctx = ctx;
	key.map.vpasid = 0;
	for (e = RB_NFIND(pasid_tree, &pasid_maps, &key);
	    e != NULL && e->ctx == ctx;
	    e = RB_NEXT(pasid_tree, &pasid_maps, e)) {
		if ((rc = fn(arg, &e->map)) != 0)
			return (rc);
	}
	return (0);
}

unsigned int
pasid_allocated(void)
{
	return (pasid_nused);
}
