/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The "mock" hardware model: the IOMMU the kernel's iommufd selftest
 * drives (proto/iommufd_test.h). Its domains have 2048-byte pages (or the
 * huge format: 1 MiB and the CPU page) and the aperture [16 MiB, 2 GiB);
 * GET_HW_INFO gives the SELFTEST blob; dirty tracking is there unless the
 * device says NO_DIRTY; PASID-capable devices have a 20-bit PASID space;
 * nested domains carry four IOTLB slots and devices four cache slots,
 * with the selftest's default values.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/util.h"
#include "hw/hw.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define MOCK_CPU_PAGE_SIZE	4096ULL
#define MOCK_IOMMUPT_VASZ	56	/* the 7.3 mock's address bits */

static int
mock_hw_info(const struct hw_dev_desc *dev __unused,
    uint32_t in_type, uint32_t *out_type, void *buf, size_t *len)
{
	struct iommu_test_hw_info	 info;

	if (in_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    in_type != IOMMU_HW_INFO_TYPE_SELFTEST)
		return (-EOPNOTSUPP);
	memset(&info, 0, sizeof(info));
	info.test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL;
	memcpy(buf, &info, sizeof(info));
	*len = sizeof(info);
	*out_type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return (0);
}

static uint64_t
mock_capabilities(const struct hw_dev_desc *dev)
{
	uint64_t	 caps = 0;

	if ((dev->flags & HW_DEV_NO_DIRTY) == 0)
		caps |= IOMMU_HW_CAP_DIRTY_TRACKING;
	return (caps);
}

static int
mock_domain_alloc_paging(const struct hw_dev_desc *dev, unsigned int flags,
    const struct hw_data *data, struct hw_domain *dom)
{
	struct iommu_hwpt_selftest	 sel;
	uint32_t			 pt = MOCK_IOMMUPT_DEFAULT;

	if (flags & ~(HW_DOMAIN_NEST_PARENT | HW_DOMAIN_DIRTY |
	    HW_DOMAIN_PASID))
		return (-EOPNOTSUPP);
	if ((flags & HW_DOMAIN_DIRTY) && (dev->flags & HW_DEV_NO_DIRTY))
		return (-EOPNOTSUPP);
	if (data != NULL && data->type != 0) {
		if (data->type != IOMMU_HWPT_DATA_SELFTEST)
			return (-EOPNOTSUPP);
		memset(&sel, 0, sizeof(sel));
		memcpy(&sel, data->buf, data->len < sizeof(sel) ?
		    data->len : sizeof(sel));
		pt = sel.pagetable_type;
		if (pt != MOCK_IOMMUPT_DEFAULT && pt != MOCK_IOMMUPT_HUGE)
			return (-EOPNOTSUPP);
	}
	memset(dom, 0, sizeof(*dom));
	dom->pgsize_bitmap = MOCK_PAGE_SIZE;
	/*
	 * 7.3's generic page table (asked for with SELFTEST data) is AMD
	 * v1 with a 2 KiB base: every power of two from there is a page
	 * size, so a 4 KiB mapping is one IOPTE and dirties as one. The
	 * older mock, asked for without data, has 2 KiB pages only.
	 */
	if (data != NULL && data->type != 0 && pt == MOCK_IOMMUPT_DEFAULT)
		dom->pgsize_bitmap = ~((uint64_t)MOCK_PAGE_SIZE - 1) &
		    ((1ULL << MOCK_IOMMUPT_VASZ) - 1);
	if (pt == MOCK_IOMMUPT_HUGE)
		dom->pgsize_bitmap = MOCK_HUGE_PAGE_SIZE | MOCK_CPU_PAGE_SIZE;
	else if (dev->flags & HW_DEV_HUGE_IOVA)
		dom->pgsize_bitmap = MOCK_HUGE_PAGE_SIZE | MOCK_PAGE_SIZE;
	dom->aperture_start = MOCK_APERTURE_START;
	dom->aperture_last = MOCK_APERTURE_LAST;
	dom->flags = flags;
	dom->pagetable_type = pt;
	return (0);
}

/*
 * The mock refuses a NO_DIRTY device on a dirty-tracking domain; a
 * non-PASID device fits any domain.
 */
static int
mock_attach_check(const struct hw_dev_desc *dev, const struct hw_domain *dom)
{
	if ((dom->flags & HW_DOMAIN_DIRTY) && (dev->flags & HW_DEV_NO_DIRTY))
		return (-EINVAL);
	return (0);
}

static int
mock_enforce_cache_coherency(struct hw_domain *dom)
{
	dom->enforce_cc = 1;
	return (0);
}

/* snoop-control, the mock's one override (yes when not given). */
static int
mock_instance_init(struct hw_instance *inst, const char *profile __unused,
    const struct hw_param *params, size_t nparams, char *err, size_t errlen)
{
	return (hw_param_snoop(params, nparams, &inst->param, err, errlen));
}

/*
 * Whether a mock instance blocks no-snoop DMA: yes unless its section
 * says "snoop-control = no" (the built-in one always does).
 */
static int
mock_snoop_control(const struct hw_instance *inst)
{
	return (!(inst->param & HW_PARAM_SC_SET) ||
	    (inst->param & HW_PARAM_SC_YES));
}

static int
mock_domain_alloc_nested(const struct hw_dev_desc *dev __unused,
    const struct hw_domain *parent __unused, unsigned int flags,
    const struct hw_data *data, struct hw_nested *nested)
{
	struct iommu_hwpt_selftest	 sel;
	unsigned int			 i;

	if (flags & ~HW_DOMAIN_PASID)
		return (-EOPNOTSUPP);
	if (data->type != IOMMU_HWPT_DATA_SELFTEST)
		return (-EOPNOTSUPP);
	if (data->len < sizeof(sel.iotlb))
		return (-EINVAL);
	memset(&sel, 0, sizeof(sel));
	memcpy(&sel, data->buf, data->len < sizeof(sel) ? data->len :
	    sizeof(sel));
	memset(nested, 0, sizeof(*nested));
	nested->niotlb = MOCK_NESTED_DOMAIN_IOTLB_NUM;
	for (i = 0; i < nested->niotlb; i++)
		nested->iotlb[i] = sel.iotlb;
	nested->flags = flags;
	return (0);
}

/*
 * What both selftest invalidation entries check first: the type, and an
 * entry of exactly size bytes (copied to inv) whose flags, its first u32,
 * are known. 1: an entry to apply; 0: len 0, only the type was checked;
 * or -errno.
 */
static int
mock_inv_entry(const struct hw_data *data, uint32_t type, void *inv,
    size_t size)
{
	uint32_t	 flags;

	if (data->type != type)
		return (-EINVAL);
	if (data->len == 0)
		return (0);
	if (data->len != size)
		return (-EINVAL);
	memcpy(inv, data->buf, size);
	memcpy(&flags, inv, sizeof(flags));
	if (flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL)
		return (-EOPNOTSUPP);
	return (1);
}

/*
 * One selftest invalidation entry: one IOTLB slot, or all of them. An
 * entry must have the struct's exact size; len 0 only checks the type.
 */
static int
mock_nested_invalidate(struct hw_nested *nested, const struct hw_data *data)
{
	struct iommu_hwpt_invalidate_selftest	 inv;
	unsigned int				 i;
	int					 rc;

	if ((rc = mock_inv_entry(data, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    &inv, sizeof(inv))) <= 0)
		return (rc);
	if (inv.iotlb_id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX)
		return (-EINVAL);
	if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) {
		for (i = 0; i < nested->niotlb; i++)
			nested->iotlb[i] = 0;
	} else
		nested->iotlb[inv.iotlb_id] = 0;
	return (0);
}

static void
mock_dev_cache_init(const struct hw_dev_desc *dev __unused,
    struct hw_dev_cache *c)
{
	unsigned int	 i;

	c->ncache = MOCK_DEV_CACHE_NUM;
	for (i = 0; i < c->ncache; i++)
		c->cache[i] = IOMMU_TEST_DEV_CACHE_DEFAULT;
}

/*
 * The selftest vIOMMU: its data, when given, echoes in_data; the mmap
 * region's offset and length are mock_viommu_mmap()'s.
 */
static int
mock_viommu_alloc(const struct hw_dev_desc *dev __unused, uint32_t type,
    void *buf, size_t len)
{
	struct iommu_viommu_selftest	 sel;
	size_t				 n;

	if (type != IOMMU_VIOMMU_TYPE_SELFTEST)
		return (-EOPNOTSUPP);
	if (len == 0)
		return (0);
	n = len < sizeof(sel) ? len : sizeof(sel);
	if (len < offsetof(struct iommu_viommu_selftest, out_data) +
	    sizeof(sel.out_data))
		return (-EINVAL);
	memset(&sel, 0, sizeof(sel));
	memcpy(&sel, buf, n);
	sel.out_data = sel.in_data;
	sel.out_mmap_offset = 0;
	sel.out_mmap_length = 0;
	memcpy(buf, &sel, n);
	return (0);
}

/*
 * With data, the selftest vIOMMU offers two CPU pages whose first u32
 * reads back in_data (the kernel's mock's loopback page).
 */
static int
mock_viommu_mmap(uint32_t type, void *buf, size_t len, uint64_t offset,
    uint64_t *mmap_len, void *page)
{
	struct iommu_viommu_selftest	 sel;
	size_t				 n = len < sizeof(sel) ? len : sizeof(sel);

	*mmap_len = 0;
	if (type != IOMMU_VIOMMU_TYPE_SELFTEST || len == 0)
		return (0);
	memset(&sel, 0, sizeof(sel));
	memcpy(&sel, buf, n);
	*mmap_len = 2 * MOCK_CPU_PAGE_SIZE;
	memcpy(page, &sel.in_data, sizeof(sel.in_data));
	sel.out_mmap_offset = offset;
	sel.out_mmap_length = *mmap_len;
	memcpy(buf, &sel, n);
	return (0);
}

/* One selftest vIOMMU invalidation entry: a cache slot, or all. */
/* As for the nested one, the exact size, and len 0 checks the type. */
static int
mock_viommu_invalidate(const struct hw_data *data,
    int (*lookup)(void *, uint64_t, struct hw_dev_cache **), void *arg)
{
	struct iommu_viommu_invalidate_selftest	 inv;
	struct hw_dev_cache			*c;
	unsigned int				 i;
	int					 rc;

	if ((rc = mock_inv_entry(data, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
	    &inv, sizeof(inv))) <= 0)
		return (rc);
	if (inv.cache_id > MOCK_DEV_CACHE_ID_MAX)
		return (-EINVAL);
	if ((rc = lookup(arg, inv.vdev_id, &c)) != 0)
		return (rc);
	if (inv.flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) {
		for (i = 0; i < c->ncache; i++)
			c->cache[i] = 0;
	} else
		c->cache[inv.cache_id] = 0;
	return (0);
}

/* The selftest's HW queues: two per vIOMMU, made and destroyed in order. */
static int
mock_hw_queue_type(uint32_t viommu_type, uint32_t type, unsigned int *nqueues,
    int *ordered)
{
	if (viommu_type != IOMMU_VIOMMU_TYPE_SELFTEST ||
	    type != IOMMU_HW_QUEUE_TYPE_SELFTEST)
		return (-EOPNOTSUPP);
	*nqueues = IOMMU_TEST_HW_QUEUE_MAX;
	*ordered = 1;
	return (0);
}

const struct hw_model_ops hw_mock_ops = {
	.version = HW_MODEL_VERSION,
	.name = "mock",
	.hw_info = mock_hw_info,
	.capabilities = mock_capabilities,
	.domain_alloc_paging = mock_domain_alloc_paging,
	.attach_check = mock_attach_check,
	.enforce_cache_coherency = mock_enforce_cache_coherency,
	.domain_alloc_nested = mock_domain_alloc_nested,
	.nested_invalidate = mock_nested_invalidate,
	.dev_cache_init = mock_dev_cache_init,
	.viommu_alloc = mock_viommu_alloc,
	.viommu_invalidate = mock_viommu_invalidate,
	.user_pasid_table = 1,
	.hw_queue_type = mock_hw_queue_type,
	.viommu_mmap = mock_viommu_mmap,
	.instance_init = mock_instance_init,
	.snoop_control = mock_snoop_control,
};

const struct hw_instance hw_mock_instance = {
	.name = "mock",
	.ops = &hw_mock_ops,
};
