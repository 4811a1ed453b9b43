/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The "plain" hardware model: the least an IOMMU can be for a VMM that
 * maps a guest's RAM from address 0, as QEMU's vfio-pci does. Its paging
 * domains have 4 KiB, 2 MiB and 1 GiB pages and a 48-bit aperture
 * starting at 0; GET_HW_INFO reports type NONE with no data (no hw_info
 * op); no dirty tracking, no nesting, no PASID, no vIOMMU. Every device
 * fits every one of its domains. A device picks it with "iommu = plain".
 * It has no snoop control (so its domains do not enforce cache
 * coherency) unless an [iommu NAME] section of it says
 * "snoop-control = yes".
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/util.h"
#include "hw/hw.h"

#define PLAIN_PGSIZES	((1ULL << 12) | (1ULL << 21) | (1ULL << 30))
#define PLAIN_VA_BITS	48

static int
plain_domain_alloc_paging(const struct hw_dev_desc *dev __unused,
    unsigned int flags, const struct hw_data *data, struct hw_domain *dom)
{
	if (flags != 0)
		return (-EOPNOTSUPP);
	if (data != NULL && data->type != 0)
		return (-EOPNOTSUPP);
	memset(dom, 0, sizeof(*dom));
	dom->pgsize_bitmap = PLAIN_PGSIZES;
	dom->aperture_start = 0;
	dom->aperture_last = (1ULL << PLAIN_VA_BITS) - 1;
	return (0);
}

static int
plain_attach_check(const struct hw_dev_desc *dev __unused,
    const struct hw_domain *dom __unused)
{
	return (0);
}

/* snoop-control, the plain model's one override (no when not given). */
static int
plain_instance_init(struct hw_instance *inst, const char *profile __unused,
    const struct hw_param *params, size_t nparams, char *err, size_t errlen)
{
	return (hw_param_snoop(params, nparams, &inst->param, err, errlen));
}

/* Whether a plain instance blocks no-snoop DMA: only if told so. */
static int
plain_snoop_control(const struct hw_instance *inst)
{
	return ((inst->param & HW_PARAM_SC_YES) != 0);
}

/* The domain of an instance with snoop control forces snooping. */
static int
plain_enforce_cache_coherency(struct hw_domain *dom)
{
	dom->enforce_cc = 1;
	return (0);
}

const struct hw_model_ops hw_plain_ops = {
	.version = HW_MODEL_VERSION,
	.name = "plain",
	.domain_alloc_paging = plain_domain_alloc_paging,
	.attach_check = plain_attach_check,
	.enforce_cache_coherency = plain_enforce_cache_coherency,
	.instance_init = plain_instance_init,
	.snoop_control = plain_snoop_control,
};

const struct hw_instance hw_plain_instance = {
	.name = "plain",
	.ops = &hw_plain_ops,
};
