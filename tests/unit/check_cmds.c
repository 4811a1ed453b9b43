/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The answers of the non-IOAS commands in a context without devices:
 * HWPT, GET_HW_INFO, fault queue, vIOMMU family, IOMMU_TEST_CMD,
 * IOMMU_VFIO_IOAS and the VFIO type1 compatibility commands. With no
 * device bound these are exactly the kernel's (spec 1.4, 4, 5, 6, 7, 11).
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>
#include "iommufd_test.h"

#include "core/ctx.h"
#include "core/umem.h"
#include "core/util.h"
#include "helpers.h"
#include "iommufd/ioas.h"
#include "iommufd/objs.h"
#include "iommufd/veventq.h"
#include "suites.h"

#define IOCTL(cmd, arg)		test_ioctl(tctx, (cmd), (arg))

START_TEST(hwpt_alloc)
{
	struct iommu_hwpt_alloc	 c;
	struct obj		*ioas;

	ioas = test_obj_new(OBJ_IOAS);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.pt_id = ioas->id;
	c.__reserved = 1;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_ALLOC, &c), -EOPNOTSUPP);
	c.__reserved = 0;
	c.data_len = 8;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_ALLOC, &c), -EINVAL);
	c.data_len = 0;
	c.data_type = IOMMU_HWPT_DATA_VTD_S1;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_ALLOC, &c), -EINVAL);
	c.data_type = IOMMU_HWPT_DATA_NONE;
	/* dev_id = an IOAS: ENOENT (the device is looked up first). */
	c.dev_id = ioas->id;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_ALLOC, &c), -ENOENT);
	c.dev_id = 0;
	c.flags = 0x80;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_ALLOC, &c), -ENOENT);
	/* The old 24-byte struct is still accepted. */
	c.size = 24;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_ALLOC, &c), -ENOENT);
	ck_assert_uint_eq(c.out_hwpt_id, 0);
}
END_TEST

START_TEST(hwpt_dirty)
{
	struct iommu_hwpt_set_dirty_tracking	 s;
	struct iommu_hwpt_get_dirty_bitmap	 g;
	struct obj				*ioas;

	ioas = test_obj_new(OBJ_IOAS);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.hwpt_id = ioas->id;
	s.flags = 2;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_SET_DIRTY_TRACKING, &s),
	    -EOPNOTSUPP);
	s.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	s.__reserved = 1;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_SET_DIRTY_TRACKING, &s),
	    -EOPNOTSUPP);
	s.__reserved = 0;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_SET_DIRTY_TRACKING, &s), -ENOENT);

	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.hwpt_id = ioas->id;
	g.flags = 2;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
	g.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
	g.__reserved = 1;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
	g.__reserved = 0;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -ENOENT);
}
END_TEST

START_TEST(hwpt_invalidate)
{
	struct iommu_hwpt_invalidate	 c;
	struct hwpt_paging		*paging;
	struct obj			*ioas;
	uint8_t				 entry[24];
	void				*ro;

	ioas = test_obj_new(OBJ_IOAS);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.entry_num = 5;
	c.__reserved = 1;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_INVALIDATE, &c), -EOPNOTSUPP);
	ck_assert_uint_eq(c.entry_num, 5);	/* not written back */
	c.__reserved = 0;
	c.entry_len = sizeof(entry);
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_INVALIDATE, &c), -EINVAL);
	ck_assert_uint_eq(c.entry_num, 0);
	c.entry_num = 1;
	c.data_uptr = (uintptr_t)entry;
	c.entry_len = 0;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_INVALIDATE, &c), -EINVAL);
	c.entry_len = sizeof(entry);
	c.entry_num = 1;
	c.hwpt_id = 99;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_INVALIDATE, &c), -ENOENT);
	ck_assert_uint_eq(c.entry_num, 0);
	/* Not nested: EINVAL with entry_num 0, a paging parent too. */
	c.hwpt_id = ioas->id;
	c.entry_num = 1;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_INVALIDATE, &c), -EINVAL);
	ck_assert_uint_eq(c.entry_num, 0);
	paging = container_of(test_obj_new(OBJ_HWPT_PAGING), struct hwpt_paging,
	    obj);
	c.hwpt_id = paging->obj.id;
	c.entry_num = 1;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_INVALIDATE, &c), -EINVAL);
	ck_assert_uint_eq(c.entry_num, 0);
	/* A struct the caller cannot have written back: EFAULT wins. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(ro, MAP_FAILED);
	memcpy(ro, &c, sizeof(c));
	ck_assert_int_eq(mprotect(ro, 4096, PROT_READ), 0);
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_INVALIDATE, ro), -EFAULT);
	munmap(ro, 4096);
}
END_TEST

START_TEST(get_hw_info)
{
	struct iommu_hw_info	 c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = 2;
	ck_assert_int_eq(IOCTL(IOMMU_GET_HW_INFO, &c), -EOPNOTSUPP);
	c.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	c.__reserved[2] = 1;
	ck_assert_int_eq(IOCTL(IOMMU_GET_HW_INFO, &c), -EOPNOTSUPP);
	c.__reserved[2] = 0;
	ck_assert_int_eq(IOCTL(IOMMU_GET_HW_INFO, &c), -ENOENT);
	c.dev_id = test_obj_new(OBJ_IOAS)->id;
	ck_assert_int_eq(IOCTL(IOMMU_GET_HW_INFO, &c), -ENOENT);
	/* The 32-byte struct of 6.6 is accepted. */
	c.size = 32;
	ck_assert_int_eq(IOCTL(IOMMU_GET_HW_INFO, &c), -ENOENT);
}
END_TEST

START_TEST(fault_alloc)
{
	struct iommu_fault_alloc	 c = { .size = sizeof(c), .flags = 1 };

	ck_assert_int_eq(IOCTL(IOMMU_FAULT_QUEUE_ALLOC, &c), -EOPNOTSUPP);
}
END_TEST

START_TEST(viommu_alloc)
{
	struct iommu_viommu_alloc	 c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.type = 0xdeadbeef;
	c.flags = 1;
	ck_assert_int_eq(IOCTL(IOMMU_VIOMMU_ALLOC, &c), -EOPNOTSUPP);
	c.flags = 0;
	c.__reserved = 1;
	ck_assert_int_eq(IOCTL(IOMMU_VIOMMU_ALLOC, &c), -EOPNOTSUPP);
	c.__reserved = 0;
	c.type = IOMMU_VIOMMU_TYPE_DEFAULT;
	ck_assert_int_eq(IOCTL(IOMMU_VIOMMU_ALLOC, &c), -EOPNOTSUPP);
	c.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	ck_assert_int_eq(IOCTL(IOMMU_VIOMMU_ALLOC, &c), -ENOENT);
	c.size = 24;
	ck_assert_int_eq(IOCTL(IOMMU_VIOMMU_ALLOC, &c), -ENOENT);
}
END_TEST

START_TEST(vdevice_alloc)
{
	struct iommu_vdevice_alloc	 c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.virt_id = UINT64_MAX;
	ck_assert_int_eq(IOCTL(IOMMU_VDEVICE_ALLOC, &c), -ENOENT);
	c.viommu_id = test_obj_new(OBJ_IOAS)->id;
	ck_assert_int_eq(IOCTL(IOMMU_VDEVICE_ALLOC, &c), -ENOENT);
	c.viommu_id = test_obj_new(OBJ_VIOMMU)->id;
	ck_assert_int_eq(IOCTL(IOMMU_VDEVICE_ALLOC, &c), -ENOENT);
}
END_TEST

START_TEST(veventq_alloc)
{
	struct iommu_veventq_alloc	 c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
	c.veventq_depth = 2;
	c.flags = 1;
	ck_assert_int_eq(IOCTL(IOMMU_VEVENTQ_ALLOC, &c), -EOPNOTSUPP);
	c.flags = 0;
	c.__reserved = 1;
	ck_assert_int_eq(IOCTL(IOMMU_VEVENTQ_ALLOC, &c), -EOPNOTSUPP);
	c.__reserved = 0;
	c.type = IOMMU_VEVENTQ_TYPE_DEFAULT;
	ck_assert_int_eq(IOCTL(IOMMU_VEVENTQ_ALLOC, &c), -EOPNOTSUPP);
	c.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
	c.veventq_depth = 0;
	ck_assert_int_eq(IOCTL(IOMMU_VEVENTQ_ALLOC, &c), -EINVAL);
	/* 7.3 caps the depth at 2^19, before the lookup. */
	c.veventq_depth = VEVENTQ_MAX_DEPTH + 1;
	ck_assert_int_eq(IOCTL(IOMMU_VEVENTQ_ALLOC, &c), -EINVAL);
	c.veventq_depth = VEVENTQ_MAX_DEPTH;
	ck_assert_int_eq(IOCTL(IOMMU_VEVENTQ_ALLOC, &c), -ENOENT);
	c.veventq_depth = 2;
	ck_assert_int_eq(IOCTL(IOMMU_VEVENTQ_ALLOC, &c), -ENOENT);
	/* The 28-byte form (no __reserved) is accepted. */
	c.size = 28;
	ck_assert_int_eq(IOCTL(IOMMU_VEVENTQ_ALLOC, &c), -ENOENT);
}
END_TEST

START_TEST(hw_queue_alloc)
{
	struct iommu_hw_queue_alloc	 c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV;
	c.length = 4096;
	c.flags = 1;
	ck_assert_int_eq(IOCTL(IOMMU_HW_QUEUE_ALLOC, &c), -EOPNOTSUPP);
	c.flags = 0;
	c.type = IOMMU_HW_QUEUE_TYPE_DEFAULT;
	ck_assert_int_eq(IOCTL(IOMMU_HW_QUEUE_ALLOC, &c), -EOPNOTSUPP);
	c.type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV;
	c.length = 0;
	ck_assert_int_eq(IOCTL(IOMMU_HW_QUEUE_ALLOC, &c), -EINVAL);
	c.length = 2;
	c.nesting_parent_iova = UINT64_MAX;
	ck_assert_int_eq(IOCTL(IOMMU_HW_QUEUE_ALLOC, &c), -EOVERFLOW);
	c.nesting_parent_iova = UINT64_MAX - 1;
	ck_assert_int_eq(IOCTL(IOMMU_HW_QUEUE_ALLOC, &c), -ENOENT);
}
END_TEST

START_TEST(selftest_cmd)
{
	struct iommu_test_cmd	 c;
	struct obj		*fault;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = 0;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EOPNOTSUPP);
	c.op = 1000;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EOPNOTSUPP);
	c.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	c.id = 7;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -ENOENT);
	fault = test_obj_new(OBJ_FAULT);
	c.id = fault->id;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EINVAL);
	c.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
	c.mock_domain_flags.dev_flags = 1u << 7;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EINVAL);
	c.mock_domain_flags.dev_flags = MOCK_FLAGS_DEVICE_PASID;
	c.id = 7;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -ENOENT);
	c.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -ENOENT);
	c.op = IOMMU_TEST_OP_DEV_CHECK_CACHE;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -ENOENT);
	c.op = IOMMU_TEST_OP_TRIGGER_IOPF;
	c.trigger_iopf.dev_id = fault->id;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -ENOENT);
	/* The 68-byte form (no tail padding) is accepted. */
	c.size = 68;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -ENOENT);
}
END_TEST

/* SET_TEMP_MEMORY_LIMIT: any value is taken; 0 is the default. */
START_TEST(selftest_memory_limit)
{
	struct iommu_test_cmd	 c;

	ck_assert_uint_eq(tctx->pin_batch, CTX_PIN_BATCH_DEFAULT);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT;
	c.memory_limit.limit = 16;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);
	ck_assert_uint_eq(tctx->pin_batch, 16);
	c.memory_limit.limit = 0;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);
	ck_assert_uint_eq(tctx->pin_batch, CTX_PIN_BATCH_DEFAULT);
}
END_TEST

/*
 * MD_CHECK_REFS: the errnos, and the count following the pins that the
 * context's pages objects hold on the caller's memory.
 */
START_TEST(selftest_check_refs)
{
	static char		 buf[4 * 4096] __attribute__((aligned(4096)));
	struct iommu_test_cmd	 c;
	struct iommu_ioas_alloc	 a;
	struct iommu_ioas_map	 m;
	struct iopt_pinner	 pinner;
	struct ioas		*ioas;
	struct umem		*um;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_MD_CHECK_REFS;
	c.check_refs.uptr = (uintptr_t)buf + 1;
	c.check_refs.length = 4096;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EINVAL);
	c.check_refs.uptr = (uintptr_t)buf;
	c.check_refs.length = 100;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EINVAL);
	c.check_refs.uptr = UINT64_MAX - 4095;
	c.check_refs.length = 8192;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EOVERFLOW);
	/* Without the caller's memory nothing can be checked. */
	c.check_refs.uptr = (uintptr_t)buf;
	c.check_refs.length = sizeof(buf);
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EFAULT);

	ck_assert_int_eq(umem_open(getpid(), &um), 0);
	tcaller.mem = um;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);
	c.check_refs.refs = 1;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EINVAL);

	/* Mapped but not pinned: still no pins. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	ck_assert_int_eq(IOCTL(IOMMU_IOAS_ALLOC, &a), 0);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	m.ioas_id = a.out_ioas_id;
	m.user_va = (uintptr_t)buf + 4096;
	m.length = 2 * 4096;
	ck_assert_int_eq(IOCTL(IOMMU_IOAS_MAP, &m), 0);
	c.check_refs.refs = 0;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);

	/* A pinner pins the mapped pages once, the others stay at 0. */
	ck_assert_int_eq(ioas_get(tctx, a.out_ioas_id, &ioas), 0);
	memset(&pinner, 0, sizeof(pinner));
	pinner.alignment = 1;
	pinner.flags = IOPT_PINNER_DOMAIN;
	ck_assert_int_eq(iopt_add_pinner(&ioas->iopt, &pinner), 0);
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EINVAL);
	c.check_refs.refs = 1;
	c.check_refs.uptr = (uintptr_t)buf + 4096;
	c.check_refs.length = 2 * 4096;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);
	/* A second MAP of the same memory is a second pin. */
	ck_assert_int_eq(IOCTL(IOMMU_IOAS_MAP, &m), 0);
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EINVAL);
	c.check_refs.refs = 2;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);
	c.check_refs.uptr = (uintptr_t)buf;
	c.check_refs.length = 4096;
	c.check_refs.refs = 0;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);

	/* A range of the whole address space costs no more than its pins. */
	c.check_refs.uptr = 0;
	c.check_refs.length = 1ULL << 47;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EINVAL);

	iopt_remove_pinner(&ioas->iopt, &pinner);
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);
	c.check_refs.uptr = (uintptr_t)buf;
	c.check_refs.length = sizeof(buf);
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);
	tcaller.mem = NULL;
	umem_put(um);
}
END_TEST

START_TEST(vfio_ioas)
{
	struct iommu_vfio_ioas	 c;
	struct obj		*ioas, *other;
	struct iommu_destroy	 d = { .size = sizeof(d) };

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_VFIO_IOAS_GET;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), -ENODEV);
	c.__reserved = 1;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), -EOPNOTSUPP);
	c.__reserved = 0;
	c.op = 3;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), -EOPNOTSUPP);
	c.op = IOMMU_VFIO_IOAS_SET;
	c.ioas_id = 1;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), -ENOENT);
	other = test_obj_new(OBJ_FAULT);
	c.ioas_id = other->id;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), -ENOENT);

	ioas = test_obj_new(OBJ_IOAS);
	c.ioas_id = ioas->id;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), 0);
	c.op = IOMMU_VFIO_IOAS_GET;
	c.ioas_id = 0;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), 0);
	ck_assert_uint_eq(c.ioas_id, ioas->id);
	c.op = IOMMU_VFIO_IOAS_CLEAR;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), 0);
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), 0);
	c.op = IOMMU_VFIO_IOAS_GET;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), -ENODEV);

	/* No hold: the IOAS can be destroyed, which clears the setting. */
	c.op = IOMMU_VFIO_IOAS_SET;
	c.ioas_id = ioas->id;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), 0);
	d.id = ioas->id;
	ck_assert_int_eq(IOCTL(IOMMU_DESTROY, &d), 0);
	ck_assert_uint_eq(tctx->vfio_ioas_id, 0);
	ioas = test_obj_new(OBJ_IOAS);
	ck_assert_uint_eq(ioas->id, d.id);
	c.op = IOMMU_VFIO_IOAS_GET;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &c), -ENODEV);
}
END_TEST

static void
set_compat_ioas(void)
{
	tctx->vfio_ioas_id = test_obj_new(OBJ_IOAS)->id;
}

START_TEST(vfio_type1)
{
	struct vfio_iommu_type1_info		 info;
	struct vfio_iommu_type1_dma_map		 map;
	struct vfio_iommu_type1_dma_unmap	 unmap;
	struct hwpt_paging			*hwpt;

	ck_assert_int_eq(test_ioctl(tctx, VFIO_GET_API_VERSION, NULL),
	    VFIO_API_VERSION);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_CHECK_EXTENSION,
	    VFIO_TYPE1_IOMMU), 1);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_CHECK_EXTENSION,
	    VFIO_TYPE1v2_IOMMU), 1);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_CHECK_EXTENSION,
	    VFIO_UNMAP_ALL), 1);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_CHECK_EXTENSION,
	    VFIO_DMA_CC_IOMMU), -ENODEV);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_CHECK_EXTENSION,
	    VFIO_TYPE1_NESTING_IOMMU), 0);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_CHECK_EXTENSION,
	    VFIO_UPDATE_VADDR), 0);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_CHECK_EXTENSION, 1234), 0);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_SET_IOMMU, 2), -EINVAL);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_SET_IOMMU,
	    VFIO_TYPE1v2_IOMMU), -ENODEV);
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_DIRTY_PAGES, NULL),
	    -ENOTTY);

	memset(&info, 0, sizeof(info));
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_GET_INFO, NULL), -EFAULT);
	info.argsz = 15;
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_GET_INFO, &info),
	    -EINVAL);
	info.argsz = 16;
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_GET_INFO, &info),
	    -ENODEV);

	memset(&map, 0, sizeof(map));
	map.argsz = sizeof(map) - 1;
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_MAP_DMA, &map), -EINVAL);
	map.argsz = sizeof(map);
	map.flags = 4;
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_MAP_DMA, &map), -EINVAL);
	map.flags = VFIO_DMA_MAP_FLAG_READ;
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_MAP_DMA, &map), -ENODEV);

	memset(&unmap, 0, sizeof(unmap));
	unmap.argsz = sizeof(unmap);
	unmap.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_UNMAP_DMA, &unmap),
	    -EINVAL);
	unmap.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	unmap.size = 1;
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_UNMAP_DMA, &unmap),
	    -ENODEV);

	/* With a compat IOAS. */
	set_compat_ioas();
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_UNMAP_DMA, &unmap),
	    -EINVAL);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_SET_IOMMU,
	    VFIO_TYPE1v2_IOMMU), 0);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_CHECK_EXTENSION,
	    VFIO_DMA_CC_IOMMU), 1);
	hwpt = container_of(test_obj_new(OBJ_HWPT_PAGING), struct hwpt_paging,
	    obj);
	hwpt->ioas = obj_find(tctx, tctx->vfio_ioas_id, OBJ_IOAS);
	obj_hold(hwpt->ioas);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_CHECK_EXTENSION,
	    VFIO_DMA_CC_IOMMU), 0);
	hwpt->enforce_cc = 1;
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_CHECK_EXTENSION,
	    VFIO_DMA_CC_IOMMU), 1);
}
END_TEST

static uint32_t
ioas_alloc(void)
{
	struct iommu_ioas_alloc	 c = { .size = sizeof(c) };

	ck_assert_int_eq(IOCTL(IOMMU_IOAS_ALLOC, &c), 0);
	return (c.out_ioas_id);
}

START_TEST(selftest_add_reserved)
{
	struct iommu_test_cmd		 c;
	struct iommu_ioas_iova_ranges	 r;
	struct iommu_iova_range		 ranges[4];

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_ADD_RESERVED;
	c.id = 5;
	c.add_reserved.start = 0x10000;
	c.add_reserved.length = 0x1000;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -ENOENT);
	c.id = ioas_alloc();
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = c.id;
	r.num_iovas = nitems(ranges);
	r.allowed_iovas = (uintptr_t)ranges;
	ck_assert_int_eq(IOCTL(IOMMU_IOAS_IOVA_RANGES, &r), 0);
	ck_assert_uint_eq(r.num_iovas, 2);
	ck_assert_uint_eq(ranges[0].start, 0);
	ck_assert_uint_eq(ranges[0].last, 0xffff);
	ck_assert_uint_eq(ranges[1].start, 0x11000);
	ck_assert_uint_eq(ranges[1].last, UINT64_MAX);
}
END_TEST

START_TEST(vfio_type1_ioas)
{
	/* info (24), DMA_AVAIL (12 + 4 pad), IOVA_RANGE (16 + 2 x 16). */
	uint64_t				 raw[12];
	uint8_t					*bytes = (uint8_t *)raw;
	struct vfio_iommu_type1_info		*info = (void *)bytes;
	struct vfio_iommu_type1_info_dma_avail	*avail = (void *)(bytes + 24);
	struct vfio_iommu_type1_info_cap_iova_range *iova = (void *)(bytes +
						    40);
	const size_t				 full = 88;
	struct vfio_iommu_type1_dma_unmap	 unmap;
	struct iommu_vfio_ioas			 v;
	struct iommu_test_cmd			 t;
	uint32_t				 id = ioas_alloc();

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.op = IOMMU_VFIO_IOAS_SET;
	v.ioas_id = id;
	ck_assert_int_eq(IOCTL(IOMMU_VFIO_IOAS, &v), 0);
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_ADD_RESERVED;
	t.id = id;
	t.add_reserved.start = 0x10000;
	t.add_reserved.length = 0x1000;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &t), 0);

	memset(raw, 0xaa, sizeof(raw));
	info->argsz = full;
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_GET_INFO, raw), 0);
	ck_assert_uint_eq(info->argsz, full);
	ck_assert_uint_eq(info->flags,
	    VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	ck_assert_uint_eq(info->iova_pgsizes, ~(uint64_t)4095);
	ck_assert_uint_eq(info->cap_offset, sizeof(*info));
	ck_assert_uint_eq(avail->header.id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ck_assert_uint_eq(avail->header.next, 40);
	ck_assert_uint_eq(avail->avail, UINT32_MAX);
	ck_assert_uint_eq(iova->header.id,
	    VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	ck_assert_uint_eq(iova->header.next, 0);
	ck_assert_uint_eq(iova->nr_iovas, 2);
	ck_assert_uint_eq(iova->iova_ranges[0].end, 0xffff);
	ck_assert_uint_eq(iova->iova_ranges[1].start, 0x11000);
	ck_assert_uint_eq(bytes[full], 0xaa);

	/* Too small for the chain: only what fits, argsz says how much. */
	memset(raw, 0xaa, sizeof(raw));
	info->argsz = sizeof(*info) + 8;
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_GET_INFO, raw), 0);
	ck_assert_uint_eq(info->argsz, full);
	ck_assert_uint_eq(info->cap_offset, 0);
	ck_assert_uint_eq(avail->header.id, 0xaaaa);

	/* Nothing mapped: unmapping a range unmaps 0 bytes. */
	memset(&unmap, 0, sizeof(unmap));
	unmap.argsz = sizeof(unmap);
	unmap.iova = 0x100000;
	unmap.size = 0x1000;
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_UNMAP_DMA, &unmap), 0);
	ck_assert_uint_eq(unmap.size, 0);
	unmap.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	unmap.iova = 0;
	ck_assert_int_eq(test_ioctl(tctx, VFIO_IOMMU_UNMAP_DMA, &unmap), 0);
	ck_assert_uint_eq(unmap.size, 0);
	ck_assert_int_eq(test_ioctl_val(tctx, VFIO_SET_IOMMU,
	    VFIO_TYPE1_IOMMU), 0);
}
END_TEST

static Suite *
cmds_suite(void)
{
	Suite	*s = suite_create("cmds");
	TCase	*tc;

	tc = test_tcase(s, "hwpt");
	tcase_add_test(tc, hwpt_alloc);
	tcase_add_test(tc, hwpt_dirty);
	tcase_add_test(tc, hwpt_invalidate);
	tcase_add_test(tc, get_hw_info);

	tc = test_tcase(s, "viommu");
	tcase_add_test(tc, fault_alloc);
	tcase_add_test(tc, viommu_alloc);
	tcase_add_test(tc, vdevice_alloc);
	tcase_add_test(tc, veventq_alloc);
	tcase_add_test(tc, hw_queue_alloc);

	tc = test_tcase(s, "selftest");
	tcase_add_test(tc, selftest_cmd);
	tcase_add_test(tc, selftest_memory_limit);
	tcase_add_test(tc, selftest_check_refs);
	tcase_add_test(tc, selftest_add_reserved);

	tc = test_tcase(s, "vfio");
	tcase_add_test(tc, vfio_ioas);
	tcase_add_test(tc, vfio_type1);
	tcase_add_test(tc, vfio_type1_ioas);
	return (s);
}
SUITE(cmds_suite)
