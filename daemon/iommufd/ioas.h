/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The IOAS object: an I/O address space of a context, which is its io page
 * table (iopt.h) plus the object header. Domains and accesses that attach
 * to it hold it (obj_hold) and register as pinners of its iopt.
 */
#ifndef IOASIDD_IOAS_H
#define IOASIDD_IOAS_H

#include <sys/types.h>

#include <stdint.h>

#include "core/ctx.h"
#include "iommufd/iopt.h"

struct hwpt_paging;

struct ioas {
	struct obj			 obj;
	struct iopt			 iopt;
	/* Its auto domains, in creation order (hwpt.c). */
	TAILQ_HEAD(, hwpt_paging)	 auto_hwpts;
};

struct ucmd;

/* The live IOAS with this id: 0 or -ENOENT. */
int	ioas_get(struct ctx *, uint32_t id, struct ioas **);
/* A file the caller maps: [uva, uva + len) shows it from offset foff. */
struct ioas_file_view {
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 uva;
	uint64_t	 len;
	uint64_t	 foff;
};

/*
 * Whether every byte of [uva, uva + len) of process pid's memory is
 * pinned exactly refs times by the context (once for every distinct
 * pinned pages object over it: those its areas map with pinners on the
 * io page table, and those accesses pin), also counting pinned ranges of
 * the file fv (or NULL) where the caller maps them. 0 or -EINVAL.
 */
int	ioas_ctx_check_pins(struct ctx *, pid_t pid,
	    const struct ioas_file_view *fv, uint64_t uva, uint64_t len,
	    unsigned int refs);

/*
 * A dma-buf's imports are about to be revoked: every domain of the
 * context's IOASes is told that their areas leave its mapping (so a
 * dirty-tracking domain drops their dirty bits). The areas stay. One
 * step per area of the context.
 */
struct dmabuf_mem;
void	ioas_ctx_revoke_dmabuf(struct ctx *, const struct dmabuf_mem *);

/*
 * Map [uva, uva + length) of the caller's memory at *iova, charged to the
 * caller in the context's accounting mode. flags are IOMMU_IOAS_MAP_*;
 * neither READABLE nor WRITEABLE is allowed here (VFIO type1 maps so).
 * The iopt_map() errors, and -EINVAL or -EOVERFLOW for a bad user range.
 */
int	ioas_map_user(struct ucmd *, struct ioas *, uint64_t uva,
	    uint64_t length, uint64_t *iova, uint32_t flags);

#endif /* IOASIDD_IOAS_H */
