/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The selftest's access ops (spec 8.1, ops 5-8 and 11), for the op switch
 * in selftest.c: each takes the command as IOMMU_TEST_CMD gave it and
 * returns 0 or -errno as the kernel's mock does.
 */
#ifndef IOASIDD_ACCESS_H
#define IOASIDD_ACCESS_H

#include <stdint.h>

struct ctx;
struct pages;
struct ucmd;
struct iommu_test_cmd;

int	access_test_create(struct ucmd *, struct iommu_test_cmd *);
int	access_test_pages(struct ucmd *, struct iommu_test_cmd *);
int	access_test_destroy_pages(struct ucmd *, struct iommu_test_cmd *);
int	access_test_rw(struct ucmd *, struct iommu_test_cmd *);
int	access_test_replace_ioas(struct ucmd *, struct iommu_test_cmd *);

/*
 * Call fn for every pages object an access of ctx pins (once per pin):
 * bounded by the pins, whatever their length.
 */
void	access_ctx_foreach_pages(struct ctx *,
	    void (*fn)(void *, struct pages *), void *);

#endif /* IOASIDD_ACCESS_H */
