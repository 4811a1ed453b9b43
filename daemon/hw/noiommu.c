/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The "noiommu" hardware model: no IOMMU at all, as Linux 7.3's noiommu
 * mode for VFIO cdev devices sees it. A device behind it ([device] with
 * iommu = none) still binds to a context and attaches to an IOAS, but
 * the domain it gets is software only: its mappings hold and pin pages
 * so that IOMMU_IOAS_NOIOMMU_GET_PA can give their (emulated) physical
 * addresses, and translate nothing for the device, which uses those
 * physical addresses directly (iommufd/noiommu.c).
 *
 * What the hardware cannot do is refused as 7.3 refuses it: a domain
 * asked for with any flag (nesting parent, dirty tracking, PASID) or
 * any driver data is EOPNOTSUPP, there is no nesting, no vIOMMU, no
 * reserved region and no GET_HW_INFO report (the caller checks
 * hw_is_noiommu() for that). The domain's page sizes are every power
 * of two from 4 KiB and its aperture the whole 64-bit space, like the
 * AMD v1 software table 7.3 uses.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "hw/hw.h"

#define NOIOMMU_MIN_PAGE	4096ULL

static int
noiommu_domain_alloc_paging(const struct hw_dev_desc *dev,
    unsigned int flags, const struct hw_data *data, struct hw_domain *dom)
{
	(void)dev;
	if (flags != 0 || (data != NULL && data->type != 0))
		return (-EOPNOTSUPP);
	memset(dom, 0, sizeof(*dom));
	dom->pgsize_bitmap = ~(NOIOMMU_MIN_PAGE - 1);
	dom->aperture_start = 0;
	dom->aperture_last = UINT64_MAX;
	dom->enforce_cc = 1;
	return (0);
}

const struct hw_model_ops hw_noiommu_ops = {
	.version = HW_MODEL_VERSION,
	.name = "noiommu",
	.domain_alloc_paging = noiommu_domain_alloc_paging,
};

const struct hw_instance hw_noiommu_instance = {
	.name = "none",
	.ops = &hw_noiommu_ops,
};
