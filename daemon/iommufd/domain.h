/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A domain: the I/O page table of a paging HWPT, as the emulated IOMMU
 * walks it. It is a pinner of its IOAS's io page table for as long as the
 * HWPT exists, so every area of the IOAS is pinned and the domain's
 * mapping is exactly the IOAS's areas, translated at the granularity of
 * the domain's smallest page. While the domain is there, the IOVA outside
 * its aperture is reserved in the IOAS and the IOAS's alignment is at
 * least that smallest page.
 *
 * The areas of a revoked dma-buf (pages_revoked()) are the exception:
 * they stay in the IOAS, pinned, but the domain maps nothing there, so
 * emulated DMA through them fails.
 *
 * Nothing is copied per page: walking [iova, iova + length) costs one
 * step per area it meets, so no input makes a walk longer than what is
 * mapped. Dirty tracking and emulated DMA hook in here (struct
 * domain_hooks, domain_for_each()).
 */
#ifndef IOASIDD_DOMAIN_H
#define IOASIDD_DOMAIN_H

#include <sys/types.h>

#include <stdint.h>

#include "hw/hw.h"
#include "iommufd/iopt.h"

struct domain;
struct ioas;
struct pages;

/* What code layered on a domain (dirty tracking) is told. Optional. */
struct domain_hooks {
	/* [iova, iova + length) is about to leave the domain's mapping. */
	void	(*unmap)(struct domain *, void *arg, uint64_t iova,
		    uint64_t length);
};

struct domain {
	struct iopt_pinner		 pinner;	/* see domain.c */
	struct ioas			*ioas;		/* NULL until added */
	const struct hw_instance	*hw;
	struct hw_domain		 hw_dom;
	const struct domain_hooks	*hooks;
	void				*hooks_arg;
};

/* One mapped run of a domain: IOVA to bytes of a pages object. */
struct domain_run {
	uint64_t	 iova;
	uint64_t	 length;
	struct pages	*pages;
	uint64_t	 off;		/* byte of pages at iova */
	unsigned int	 prot;		/* IOPT_READ, IOPT_WRITE */
};

/*
 * Make the domain a pinner of the IOAS: reserve what lies outside the
 * aperture (-EADDRINUSE if an area or allowed range is there), raise the
 * alignment (-EINVAL if the smallest page exceeds the CPU page,
 * -EADDRINUSE if an area does not fit), pin every area (-EFAULT,
 * -ENOMEM). Nothing changes on failure. The IOAS is not held here: the
 * HWPT holds it.
 */
int	domain_add(struct domain *, struct ioas *);
/* Leave the IOAS: unpin (if last), unreserve. */
void	domain_remove(struct domain *);

/*
 * Call fn for every mapped run of the domain meeting [iova, iova +
 * length), clipped to it, in IOVA order. Stops at the first non-zero
 * return, which it returns.
 */
int	domain_for_each(struct domain *, uint64_t iova, uint64_t length,
	    int (*fn)(void *, const struct domain_run *), void *);

/*
 * The selftest's MD_CHECK_MAP: every domain page of [iova, iova + length)
 * is mapped and translates to the matching byte of [uptr, uptr + length)
 * of process pid: 0, or -EINVAL.
 */
int	domain_check_map(struct domain *, uint64_t iova, uint64_t length,
	    pid_t pid, uint64_t uptr);

#endif /* IOASIDD_DOMAIN_H */
