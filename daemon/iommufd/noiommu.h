/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Noiommu mode (Linux 7.3): devices with no IOMMU in front of them, whose
 * drivers program the device with physical addresses they ask the IOAS
 * for (IOMMU_IOAS_NOIOMMU_GET_PA). A daemon has no physical address to
 * give that would mean anything to an emulated device (nor the right to
 * read one), so it keeps an emulated physical address space:
 *
 *  - A pages object (pages.h) gets a base address the first time its
 *    physical address is asked for through an area a noiommu domain
 *    holds. It keeps it for its life: the same pages object mapped twice
 *    has one set of addresses. Bases come from a counter that only grows,
 *    from 4 GiB on, so no address is 0 and no two objects overlap.
 *  - The object's bytes are cut into blocks of the granule (4 KiB unless
 *    the configuration says more), counted from the object's first page.
 *    Block k is at base + 2 * k * granule: a block is contiguous in
 *    itself and never adjacent to its neighbour, like fragmented memory,
 *    so a driver that takes a range of IOVA for contiguous memory is
 *    caught. Addresses are computed, never tabled: a terabyte mapping
 *    costs two numbers.
 *  - A noiommu device's DMA (device_dma_rw()) takes bus addresses as such
 *    physical addresses and resolves them back through the areas of the
 *    IOAS its noiommu domain holds, one step per area; a transfer must
 *    lie in one block (it is what is physically contiguous).
 */
#ifndef IOASIDD_NOIOMMU_H
#define IOASIDD_NOIOMMU_H

#include <stddef.h>
#include <stdint.h>

struct domain;
struct pages;

/* The smallest granule, and the largest one the configuration may set. */
#define NOIOMMU_GRANULE_MIN	4096ULL
#define NOIOMMU_GRANULE_MAX	(1ULL << 30)

/*
 * The granule of physical contiguity for pages objects given addresses
 * from now on: a power of two from NOIOMMU_GRANULE_MIN to
 * NOIOMMU_GRANULE_MAX (0 or -EINVAL). Objects keep the one they got.
 */
int	noiommu_set_granule(uint64_t);
uint64_t noiommu_granule(void);

/*
 * The emulated physical address of byte off of p, giving p its base
 * first if it has none: 0, or -ENOMEM when the address space is spent.
 * *contig: the bytes contiguous from there (to the end of the block).
 */
int	noiommu_pa(struct pages *, uint64_t off, uint64_t *pa,
	    uint64_t *contig);

/*
 * DMA of a noiommu device through its domain: len bytes at emulated
 * physical address pa, to or from buf. The bytes must lie in one block of
 * one pages object that an area of the domain's IOAS maps with the
 * permission the direction needs: else -EFAULT, with nothing moved.
 */
int	noiommu_dma_rw(struct domain *, uint64_t pa, void *buf, size_t len,
	    int to_memory);

#endif /* IOASIDD_NOIOMMU_H */
