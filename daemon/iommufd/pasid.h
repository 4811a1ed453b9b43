/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Global PASIDs, the 2021 /dev/ioasid proposal's way: a device with
 * pasid-policy = global never puts the caller's PASID (the vPASID) on
 * the wire but a host-unique one (the pPASID) the daemon hands out, as
 * ENQCMD needs, since one PASID translation table per VM turns a
 * vPASID into the pPASID the CPU sends. One allocator serves the whole
 * daemon (every context, every IOMMU instance).
 *
 * Within a context a vPASID maps to one pPASID, whichever of its
 * global-policy devices attach it: that is the ENQCMD table KVM would
 * program for the VM. Each attachment holds its translation; the last
 * one to go frees the pPASID. A pPASID is never 0 (IOMMU_NO_PASID) and
 * fits the width of every device that holds it.
 */
#ifndef IOASIDD_PASID_H
#define IOASIDD_PASID_H

#include <stdint.h>

struct ctx;

/* The widest PASID there is (PCIe: 20 bits). */
#define PASID_WIDTH_MAX		20

/* One row of a context's translation table. */
struct pasid_map {
	uint32_t	 vpasid;
	uint32_t	 ppasid;
	uint32_t	 users;		/* attachments that hold it */
};

/*
 * Take the context's translation of vpasid for a device whose PASIDs
 * are width bits wide (1 to PASID_WIDTH_MAX), making one with the
 * lowest free pPASID if the context has none: 0 with the pPASID in
 * *ppasid. -ENOSPC when no pPASID that fits is free, or when the
 * context's existing one does not fit; -ENOMEM. Nothing changes on
 * failure.
 */
int		 pasid_get(struct ctx *, uint32_t vpasid, unsigned int width,
		    uint32_t *ppasid);
/* Drop one hold of the context's translation of vpasid. */
void		 pasid_put(struct ctx *, uint32_t vpasid);
/*
 * Call fn for each row of the context's table in vPASID order; a
 * non-zero return stops the walk and is returned.
 */
int		 pasid_walk(const struct ctx *,
		    int (*fn)(void *, const struct pasid_map *), void *arg);
/* The pPASIDs handed out now, over all contexts. */
unsigned int	 pasid_allocated(void);

#endif /* IOASIDD_PASID_H */
