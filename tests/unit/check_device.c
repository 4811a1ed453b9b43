/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Devices on the mock hardware model, through the ioctls a program uses:
 * mock devices bound and attached (auto domains, replace, teardown),
 * HWPT_ALLOC's paging and nested rules, PASID attach rules, GET_HW_INFO,
 * MD_CHECK_MAP, vIOMMU and vDEVICE, and HWPT_INVALIDATE's partial
 * failures (spec 4, 5, 7, 8).
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "core/dispatch.h"
#include "core/limit.h"
#include "core/umem.h"
#include "hw/hw.h"
#include "iommufd/device.h"
#include "iommufd/hwpt.h"
#include "iommufd/ioas.h"
#include "helpers.h"
#include "suites.h"
#include "uapi.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define PAGE		4096ULL
#define BUFSZ		(16 * PAGE)
#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static uint8_t	*buf;

static void
dev_setup(void)
{
	test_setup();
	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
	ck_assert_int_eq(posix_memalign((void **)&buf, 2 << 20, BUFSZ), 0);
	memset(buf, 0x5a, BUFSZ);
}

static void
dev_teardown(void)
{
	test_teardown();
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
	free(buf);
}

/* A mock device with flags attached to pt_id: stdev, hwpt and device. */
static long
mock_dev(uint32_t pt_id, uint32_t flags, uint32_t *stdev, uint32_t *hwpt,
    uint32_t *idev)
{
	struct iommu_test_cmd	c;
	long			rc;

	memset(&c, 0, sizeof(c));
	c.mock_domain_flags.dev_flags = flags;
	rc = test_mock_cmd(&c, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, pt_id);
	if (stdev != NULL)
		*stdev = c.mock_domain_flags.out_stdev_id;
	if (hwpt != NULL)
		*hwpt = c.mock_domain_flags.out_hwpt_id;
	if (idev != NULL)
		*idev = c.mock_domain_flags.out_idev_id;
	return (rc);
}

static long
replace(uint32_t stdev, uint32_t *pt_id)
{
	struct iommu_test_cmd	c;
	long			rc;

	memset(&c, 0, sizeof(c));
	c.mock_domain_replace.pt_id = *pt_id;
	rc = test_mock_cmd(&c, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev);
	*pt_id = c.mock_domain_replace.pt_id;
	return (rc);
}

static long
destroy(uint32_t id)
{
	struct iommu_destroy	d = { .size = sizeof(d), .id = id };

	return (test_ioctl(tctx, IOMMU_DESTROY, &d));
}

static long
hwpt_alloc(uint32_t dev, uint32_t pt, uint32_t flags, uint32_t data_type,
    void *data, uint32_t len, uint32_t *out)
{
	struct iommu_hwpt_alloc	h;
	long			rc;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = flags;
	h.dev_id = dev;
	h.pt_id = pt;
	h.data_type = data_type;
	h.data_len = len;
	h.data_uptr = (uintptr_t)data;
	rc = test_ioctl(tctx, IOMMU_HWPT_ALLOC, &h);
	if (out != NULL)
		*out = h.out_hwpt_id;
	return (rc);
}

/* A mock domain narrows the IOAS to the aperture and 2048-byte pages. */
START_TEST(mock_domain_auto)
{
	struct iommu_ioas_iova_ranges	r;
	struct iommu_iova_range		range;
	uint32_t			ioas = test_ioas_new(), stdev, hwpt, idev;
	uint32_t			stdev2, hwpt2;
	json_t				*d;

	ck_assert_int_eq(mock_dev(ioas, 0, &stdev, &hwpt, &idev), 0);
	ck_assert_uint_ne(hwpt, 0);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = ioas;
	r.num_iovas = 1;
	r.allowed_iovas = (uintptr_t)&range;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_IOVA_RANGES, &r), 0);
	ck_assert_uint_eq(r.num_iovas, 1);
	ck_assert_uint_eq(range.start, MOCK_APERTURE_START);
	ck_assert_uint_eq(range.last, MOCK_APERTURE_LAST);
	ck_assert_uint_eq(r.out_iova_alignment, MOCK_PAGE_SIZE);

	/* The control command's view of the device. */
	ck_assert_int_eq(obj_describe(obj_find(tctx, idev, OBJ_DEVICE), &d),
	    0);
	ck_assert_int_eq(json_integer_value(json_object_get(d, "hwpt")), hwpt);
	ck_assert_str_eq(json_string_value(json_object_get(d, "model")),
	    "mock");
	ck_assert_int_eq(json_integer_value(json_object_get(d, "pasids")), 0);
	json_decref(d);

	ck_assert(container_of(obj_find(tctx, hwpt, OBJ_HWPT_PAGING),
	    struct hwpt_paging, obj)->enforce_cc);

	/* A second device shares the auto domain. */
	ck_assert_int_eq(mock_dev(ioas, 0, &stdev2, &hwpt2, NULL), 0);
	ck_assert_uint_eq(hwpt2, hwpt);
	/* The device and its domain are held; the IOAS too. */
	ck_assert_int_eq(destroy(idev), -EBUSY);
	ck_assert_int_eq(destroy(hwpt), -EBUSY);
	ck_assert_int_eq(destroy(ioas), -EBUSY);
	ck_assert_int_eq(destroy(stdev), 0);
	ck_assert_int_eq(destroy(idev), -ENOENT);
	ck_assert_int_eq(destroy(hwpt), -EBUSY);
	/* The last device takes the auto domain with it. */
	ck_assert_int_eq(destroy(stdev2), 0);
	ck_assert_int_eq(destroy(hwpt), -ENOENT);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_IOVA_RANGES, &r), 0);
	ck_assert_uint_eq(range.start, 0);
	ck_assert_uint_eq(r.out_iova_alignment, 1);
	ck_assert_int_eq(destroy(ioas), 0);
	/* A missing or wrong pt_id leaves nothing behind. */
	ck_assert_int_eq(mock_dev(ioas, 0, NULL, NULL, NULL), -ENOENT);
	ck_assert_uint_eq(tctx->nobjs, 0);
}
END_TEST

START_TEST(mock_domain_replace)
{
	uint32_t	ioas1 = test_ioas_new(), ioas2 = test_ioas_new();
	uint32_t	stdev, hwpt1, pt;

	ck_assert_int_eq(mock_dev(ioas1, 0, &stdev, &hwpt1, NULL), 0);
	/* To the same IOAS: its auto domain, nothing changes. */
	pt = ioas1;
	ck_assert_int_eq(replace(stdev, &pt), 0);
	ck_assert_uint_eq(pt, hwpt1);
	/* To another IOAS: a new auto domain; the old one goes. */
	pt = ioas2;
	ck_assert_int_eq(replace(stdev, &pt), 0);
	ck_assert_uint_ne(pt, hwpt1);
	ck_assert_int_eq(destroy(hwpt1), -ENOENT);
	ck_assert_int_eq(destroy(ioas1), 0);
	/* Failures keep the attachment. */
	pt = 999;
	ck_assert_int_eq(replace(stdev, &pt), -ENOENT);
	pt = stdev;
	ck_assert_int_eq(replace(stdev, &pt), -EINVAL);
	ck_assert_int_eq(destroy(ioas2), -EBUSY);
	pt = 1;
	ck_assert_int_eq(replace(999, &pt), -ENOENT);
}
END_TEST

START_TEST(hwpt_alloc_rules)
{
	struct iommu_hwpt_selftest	sel = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT
	};
	struct iommu_test_cmd		c;
	uint32_t			ioas = test_ioas_new(), idev, nd_idev;
	uint32_t			nd_stdev;
	uint32_t			parent, plain, nested, autod, pt;

	ck_assert_int_eq(mock_dev(ioas, 0, NULL, &autod, &idev), 0);
	ck_assert_int_eq(mock_dev(ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, &nd_stdev,
	    NULL, &nd_idev), 0);
	/* Flags first: unknown ones, then FAULT_ID_VALID with NEST_PARENT. */
	ck_assert_int_eq(hwpt_alloc(idev, ioas, ~IOMMU_HWPT_ALLOC_NEST_PARENT,
	    0, NULL, 0, NULL), -EOPNOTSUPP);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT |
	    IOMMU_HWPT_FAULT_ID_VALID, 0, NULL, 0, NULL), -EOPNOTSUPP);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_FAULT_ID_VALID, 0,
	    NULL, 0, NULL), -ENOENT);
	ck_assert_int_eq(hwpt_alloc(ioas, ioas, 0, 0, NULL, 0, NULL), -ENOENT);
	ck_assert_int_eq(hwpt_alloc(idev, idev, 0, 0, NULL, 0, NULL), -EINVAL);
	/* Dirty tracking needs a device that has it. */
	ck_assert_int_eq(hwpt_alloc(nd_idev, ioas,
	    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0, NULL), -EOPNOTSUPP);
	ck_assert_int_eq(hwpt_alloc(idev, ioas,
	    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0, &pt), 0);
	ck_assert_int_eq(replace(nd_stdev, &pt), -EINVAL);
	ck_assert_int_eq(destroy(pt), 0);
	/* An unknown data type is EOPNOTSUPP. */
	ck_assert_int_eq(hwpt_alloc(idev, ioas, 0, IOMMU_HWPT_DATA_SELFTEST + 1,
	    &sel, sizeof(sel), NULL), -EOPNOTSUPP);

	ck_assert_int_eq(hwpt_alloc(idev, ioas, 0, 0, NULL, 0, &plain), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
	    0, NULL, 0, &parent), 0);
	/* Nested: a NEST_PARENT that is not auto, with data. */
	ck_assert_int_eq(hwpt_alloc(idev, plain, 0, IOMMU_HWPT_DATA_SELFTEST,
	    &sel, sizeof(sel), NULL), -EINVAL);
	ck_assert_int_eq(hwpt_alloc(idev, autod, 0, IOMMU_HWPT_DATA_SELFTEST,
	    &sel, sizeof(sel), NULL), -EINVAL);
	ck_assert_int_eq(hwpt_alloc(idev, parent, 0, 0, NULL, 0, NULL),
	    -EINVAL);
	ck_assert_int_eq(hwpt_alloc(idev, parent,
	    IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_DATA_SELFTEST, &sel,
	    sizeof(sel), NULL), -EOPNOTSUPP);
	ck_assert_int_eq(hwpt_alloc(idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST,
	    &sel, 2, NULL), -EINVAL);
	ck_assert_int_eq(hwpt_alloc(idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST,
	    &sel, sizeof(sel), &nested), 0);
	memset(&c, 0, sizeof(c));
	c.check_iotlb.id = 3;
	c.check_iotlb.iotlb = IOMMU_TEST_IOTLB_DEFAULT;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_IOTLB, nested), 0);
	c.check_iotlb.id = 4;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_IOTLB, nested),
	    -EINVAL);
	/* The nested HWPT holds its parent. */
	ck_assert_int_eq(destroy(parent), -EBUSY);
	ck_assert_int_eq(destroy(nested), 0);
	ck_assert_int_eq(destroy(parent), 0);
	ck_assert_int_eq(destroy(plain), 0);
}
END_TEST

static long
invalidate(uint32_t id, uint32_t type, void *data, uint32_t len,
    uint32_t *num)
{
	struct iommu_hwpt_invalidate	v;
	long				rc;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.hwpt_id = id;
	v.data_uptr = (uintptr_t)data;
	v.data_type = type;
	v.entry_len = len;
	v.entry_num = *num;
	rc = test_ioctl(tctx, IOMMU_HWPT_INVALIDATE, &v);
	*num = v.entry_num;
	return (rc);
}

static int
iotlb_is(uint32_t nested, uint32_t slot, uint32_t val)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.check_iotlb.id = slot;
	c.check_iotlb.iotlb = val;
	return (test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_IOTLB, nested) == 0);
}

START_TEST(hwpt_invalidate_nested)
{
	struct iommu_hwpt_selftest		sel = { .iotlb = 7 };
	struct iommu_hwpt_invalidate_selftest	inv[2];
	uint32_t				ioas = test_ioas_new(), idev, parent;
	uint32_t				nested, n;

	ck_assert_int_eq(mock_dev(ioas, 0, NULL, NULL, &idev), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
	    0, NULL, 0, &parent), 0);
	ck_assert_int_eq(hwpt_alloc(idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST,
	    &sel, sizeof(sel), &nested), 0);
	memset(inv, 0, sizeof(inv));
	/* A paging HWPT cannot be invalidated; entry_num goes back 0. */
	n = 1;
	ck_assert_int_eq(invalidate(parent, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    inv, sizeof(inv[0]), &n), -EINVAL);
	ck_assert_uint_eq(n, 0);
	/* entry_num 0 checks the type only. */
	n = 0;
	ck_assert_int_eq(invalidate(nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    inv, sizeof(inv[0]), &n), 0);
	n = 1;
	ck_assert_int_eq(invalidate(nested,
	    IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, inv, sizeof(inv[0]),
	    &n), -EINVAL);
	ck_assert_uint_eq(n, 0);
	/* Exact entry size, and 7.3's bounds. */
	n = 1;
	ck_assert_int_eq(invalidate(nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    inv, sizeof(inv[0]) + 1, &n), -EINVAL);
	n = 1;
	ck_assert_int_eq(invalidate(nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    inv, 4097, &n), -EINVAL);
	n = (1u << 19) + 1;
	ck_assert_int_eq(invalidate(nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    inv, sizeof(inv[0]), &n), -EINVAL);
	ck_assert_uint_eq(n, 0);
	ck_assert(iotlb_is(nested, 0, 7));
	/* The first entry takes effect, the second fails. */
	inv[0].iotlb_id = 0;
	inv[1].flags = 0xffffffff;
	inv[1].iotlb_id = 1;
	n = 2;
	ck_assert_int_eq(invalidate(nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    inv, sizeof(inv[0]), &n), -EOPNOTSUPP);
	ck_assert_uint_eq(n, 1);
	ck_assert(iotlb_is(nested, 0, 0));
	ck_assert(iotlb_is(nested, 1, 7));
	inv[1].flags = 0;
	inv[1].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	n = 2;
	ck_assert_int_eq(invalidate(nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    inv, sizeof(inv[0]), &n), -EINVAL);
	ck_assert_uint_eq(n, 1);
	inv[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	n = 1;
	ck_assert_int_eq(invalidate(nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    inv, sizeof(inv[0]), &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert(iotlb_is(nested, 3, 0));
}
END_TEST

/*
 * At uapi-level 6.12 the daemon answers as 6.12 where 7.3 differs: later
 * commands are ENOTTY, HWPT_INVALIDATE finds only nested HWPTs, and there
 * are no PASID domains.
 */
START_TEST(uapi_level_612)
{
	struct iommu_hwpt_selftest		sel = { .iotlb = 7 };
	struct iommu_hwpt_invalidate_selftest	inv;
	struct iommu_viommu_alloc		va;
	uint32_t				ioas = test_ioas_new(), idev, parent;
	uint32_t				nested, pasid_hwpt, n;

	ck_assert_int_eq(dispatch_set_uapi_level(611), -EINVAL);
	ck_assert_uint_eq(dispatch_uapi_level(), UAPI_LEVEL_LATEST);
	ck_assert_int_eq(mock_dev(ioas, MOCK_FLAGS_DEVICE_PASID, NULL, NULL,
	    &idev), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
	    0, NULL, 0, &parent), 0);
	ck_assert_int_eq(hwpt_alloc(idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST,
	    &sel, sizeof(sel), &nested), 0);
	ck_assert_int_eq(dispatch_set_uapi_level(UAPI_LEVEL_6_12), 0);

	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.dev_id = idev;
	va.hwpt_id = parent;
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va), -ENOTTY);

	memset(&inv, 0, sizeof(inv));
	n = 1;
	ck_assert_int_eq(invalidate(parent, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    &inv, sizeof(inv), &n), -ENOENT);
	ck_assert_uint_eq(n, 0);
	n = 1;
	ck_assert_int_eq(invalidate(nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    &inv, sizeof(inv), &n), 0);
	ck_assert_uint_eq(n, 1);

	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_PASID, 0,
	    NULL, 0, &pasid_hwpt), -EOPNOTSUPP);

	/* Back at 7.3, every one answers as 7.3 again. */
	ck_assert_int_eq(dispatch_set_uapi_level(UAPI_LEVEL_7_3), 0);
	n = 1;
	ck_assert_int_eq(invalidate(parent, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    &inv, sizeof(inv), &n), -EINVAL);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va), 0);
}
END_TEST

static long
pasid_op(uint32_t op, uint32_t stdev, uint32_t pasid, uint32_t pt)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.pasid_attach.pasid = pasid;
	c.pasid_attach.pt_id = pt;
	return (test_mock_cmd(&c, op, stdev));
}

START_TEST(pasid_rules)
{
	uint32_t	ioas = test_ioas_new(), stdev, idev, np_stdev, pt;
	uint32_t	pasid_hwpt, plain;

	ck_assert_int_eq(mock_dev(ioas, MOCK_FLAGS_DEVICE_PASID, &stdev, NULL,
	    &idev), 0);
	ck_assert_int_eq(mock_dev(ioas, 0, &np_stdev, NULL, NULL), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_PASID, 0, NULL,
	    0, &pasid_hwpt), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, 0, 0, NULL, 0, &plain), 0);
	/* The RID is on a domain that is not PASID capable yet. */
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_ATTACH, stdev, 5,
	    pasid_hwpt), -EINVAL);
	pt = pasid_hwpt;
	ck_assert_int_eq(replace(stdev, &pt), 0);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_ATTACH, stdev, 5, ioas),
	    -EINVAL);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_ATTACH, stdev, 5, plain),
	    -EINVAL);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_ATTACH, stdev, 5, 999),
	    -ENOENT);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_ATTACH, stdev,
	    1u << MOCK_PASID_WIDTH, pasid_hwpt), -EINVAL);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_ATTACH, np_stdev, 5,
	    pasid_hwpt), -EINVAL);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, 5, 0),
	    0);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_ATTACH, stdev, 5,
	    pasid_hwpt), 0);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_ATTACH, stdev, 5,
	    pasid_hwpt), -EBUSY);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, 5,
	    pasid_hwpt), 0);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, 5, 0),
	    -EINVAL);
	/* With a PASID attached, the RID stays on PASID capable domains. */
	pt = plain;
	ck_assert_int_eq(replace(stdev, &pt), -EINVAL);
	ck_assert_int_eq(destroy(pasid_hwpt), -EBUSY);
	/* Replace needs an attachment; the reserved PASID fails on purpose. */
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_REPLACE, stdev, 6,
	    pasid_hwpt), -EINVAL);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_ATTACH, stdev,
	    IOMMU_TEST_PASID_RESERVED, pasid_hwpt), 0);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_REPLACE, stdev,
	    IOMMU_TEST_PASID_RESERVED, pasid_hwpt), -ENOMEM);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev,
	    IOMMU_TEST_PASID_RESERVED, pasid_hwpt), 0);
	/* Detach is silent, attached or not. */
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_DETACH, stdev, 6, 0), 0);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_DETACH, stdev, 5, 0), 0);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, 5, 0),
	    0);
	/* Destroying the mock device detaches its PASIDs. */
	ck_assert_int_eq(destroy(stdev), 0);
	ck_assert_int_eq(destroy(pasid_hwpt), 0);
}
END_TEST

START_TEST(hw_info)
{
	struct iommu_hw_info		h;
	struct iommu_test_hw_info	info[2];
	uint32_t			ioas = test_ioas_new(), idev, nd_idev;

	ck_assert_int_eq(mock_dev(ioas, MOCK_FLAGS_DEVICE_PASID, NULL, NULL,
	    &idev), 0);
	ck_assert_int_eq(mock_dev(ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, NULL, NULL,
	    &nd_idev), 0);
	memset(info, 0xff, sizeof(info));
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = idev;
	h.data_len = sizeof(info);
	h.data_uptr = (uintptr_t)info;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_GET_HW_INFO, &h), 0);
	ck_assert_uint_eq(h.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	ck_assert_uint_eq(h.data_len, sizeof(info[0]));
	ck_assert_uint_eq(info[0].test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
	ck_assert_uint_eq(info[0].flags, 0);
	/* The caller's longer buffer is zero-filled past the report. */
	ck_assert_uint_eq(info[1].flags, 0);
	ck_assert_uint_eq(info[1].test_reg, 0);
	ck_assert_uint_eq(h.out_capabilities, IOMMU_HW_CAP_DIRTY_TRACKING);
	ck_assert_uint_eq(h.out_max_pasid_log2, MOCK_PASID_WIDTH);
	/* Asking for its own type is fine; another is EOPNOTSUPP. */
	h.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	h.in_data_type = IOMMU_HW_INFO_TYPE_SELFTEST;
	h.data_len = 0;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_GET_HW_INFO, &h), 0);
	h.in_data_type = IOMMU_HW_INFO_TYPE_SELFTEST + 1;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_GET_HW_INFO, &h), -EOPNOTSUPP);
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = nd_idev;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_GET_HW_INFO, &h), 0);
	ck_assert_uint_eq(h.out_capabilities, 0);
	ck_assert_uint_eq(h.out_max_pasid_log2, 0);
	h.dev_id = ioas;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_GET_HW_INFO, &h), -ENOENT);
}
END_TEST

/* MAP pins at once with a domain; MD_CHECK_MAP follows the mapping. */
START_TEST(check_map)
{
	struct iommu_ioas_map	m;
	struct iommu_test_cmd	c;
	uint32_t		ioas = test_ioas_new(), hwpt;

	ck_assert_int_eq(mock_dev(ioas, 0, NULL, &hwpt, NULL), 0);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)buf;
	m.length = 4 * PAGE;
	m.iova = MOCK_APERTURE_START;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), 0);
	/* Outside the aperture is reserved. */
	m.iova = MOCK_APERTURE_START - 4 * PAGE;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EINVAL);
	memset(&c, 0, sizeof(c));
	c.check_map.iova = MOCK_APERTURE_START;
	c.check_map.length = 4 * PAGE;
	c.check_map.uptr = (uintptr_t)buf;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_MAP, hwpt), 0);
	c.check_map.uptr = (uintptr_t)buf + MOCK_PAGE_SIZE;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_MAP, hwpt),
	    -EINVAL);
	/* Past what is mapped, and a huge length, fail at once. */
	c.check_map.uptr = (uintptr_t)buf;
	c.check_map.length = 8 * PAGE;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_MAP, hwpt),
	    -EINVAL);
	c.check_map.length = 1ULL << 62;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_MAP, hwpt),
	    -EINVAL);
	c.check_map.length = 4 * PAGE;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_MAP, ioas),
	    -ENOENT);
	/* The domain's pin counts once. */
	memset(&c, 0, sizeof(c));
	c.check_refs.uptr = (uintptr_t)buf;
	c.check_refs.length = 4 * PAGE;
	c.check_refs.refs = 1;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_REFS, 0), 0);
}
END_TEST

/*
 * A memfd mapped into the domain with MAP_FILE: MD_CHECK_MAP and
 * MD_CHECK_REFS follow it to where the caller maps the same file.
 */
START_TEST(check_file)
{
	struct iommu_ioas_map_file	 m;
	struct iommu_test_cmd		 c;
	uint32_t			 ioas = test_ioas_new(), hwpt;
	uint8_t				*fbuf;
	int				 fd = memfd_create("check_device",
					    MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 8 * PAGE), 0);
	fbuf = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	ck_assert_ptr_ne(fbuf, MAP_FAILED);
	ck_assert_int_eq(mock_dev(ioas, 0, NULL, &hwpt, NULL), 0);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA;
	m.ioas_id = ioas;
	m.fd = fd;
	m.start = 2 * PAGE;
	m.length = 4 * PAGE;
	m.iova = MOCK_APERTURE_START;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP_FILE, &m), 0);
	memset(&c, 0, sizeof(c));
	c.check_map.iova = MOCK_APERTURE_START;
	c.check_map.length = 4 * PAGE;
	c.check_map.uptr = (uintptr_t)fbuf + 2 * PAGE;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_MAP, hwpt), 0);
	c.check_map.uptr = (uintptr_t)fbuf;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_MAP, hwpt),
	    -EINVAL);
	/* Anonymous memory is not the file. */
	c.check_map.uptr = (uintptr_t)buf;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_MAP, hwpt),
	    -EINVAL);
	memset(&c, 0, sizeof(c));
	c.check_refs.uptr = (uintptr_t)fbuf + 2 * PAGE;
	c.check_refs.length = 4 * PAGE;
	c.check_refs.refs = 1;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_REFS, 0), 0);
	/* The pages around the mapped range are not pinned. */
	c.check_refs.uptr = (uintptr_t)fbuf;
	c.check_refs.length = 8 * PAGE;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_REFS, 0),
	    -EINVAL);
	c.check_refs.length = 2 * PAGE;
	c.check_refs.refs = 0;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MD_CHECK_REFS, 0), 0);
	munmap(fbuf, 8 * PAGE);
	close(fd);
}
END_TEST

START_TEST(viommu_vdevice)
{
	struct iommu_hwpt_selftest		sel = { .iotlb = 1 };
	struct iommu_viommu_invalidate_selftest	inv;
	struct iommu_viommu_alloc		va;
	struct iommu_vdevice_alloc		vd;
	struct iommu_test_cmd			c;
	uint32_t				ioas = test_ioas_new(), stdev, idev;
	uint32_t				stdev2, idev2, parent, plain;
	uint32_t				nested, pt, n;

	ck_assert_int_eq(mock_dev(ioas, 0, &stdev, NULL, &idev), 0);
	ck_assert_int_eq(mock_dev(ioas, 0, &stdev2, NULL, &idev2), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
	    0, NULL, 0, &parent), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, 0, 0, NULL, 0, &plain), 0);
	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.dev_id = idev;
	va.type = 0xdead;
	va.hwpt_id = parent;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va),
	    -EOPNOTSUPP);
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	va.hwpt_id = 0;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va), -ENOENT);
	va.hwpt_id = plain;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va), -EINVAL);
	va.hwpt_id = parent;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va), 0);
	ck_assert_int_eq(destroy(parent), -EBUSY);

	memset(&vd, 0, sizeof(vd));
	vd.size = sizeof(vd);
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = idev;
	vd.virt_id = 0x99;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VDEVICE_ALLOC, &vd), 0);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VDEVICE_ALLOC, &vd), -EEXIST);
	vd.dev_id = idev2;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VDEVICE_ALLOC, &vd), -EEXIST);
	vd.dev_id = idev;

	/* A nested HWPT on the vIOMMU takes devices with a vDEVICE there. */
	ck_assert_int_eq(hwpt_alloc(idev, va.out_viommu_id, 0,
	    IOMMU_HWPT_DATA_SELFTEST, &sel, sizeof(sel), &nested), 0);
	pt = nested;
	ck_assert_int_eq(replace(stdev2, &pt), -ENOENT);
	pt = nested;
	ck_assert_int_eq(replace(stdev, &pt), 0);
	ck_assert_int_eq(destroy(nested), -EBUSY);

	/* A cache slot of the device is invalidated by virt_id. */
	memset(&c, 0, sizeof(c));
	c.check_dev_cache.id = 1;
	c.check_dev_cache.cache = IOMMU_TEST_DEV_CACHE_DEFAULT;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_DEV_CHECK_CACHE, idev), 0);
	memset(&inv, 0, sizeof(inv));
	inv.vdev_id = 0x98;
	inv.cache_id = 1;
	n = 1;
	ck_assert_int_eq(invalidate(va.out_viommu_id,
	    IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, &inv, sizeof(inv), &n),
	    -EINVAL);
	ck_assert_uint_eq(n, 0);
	inv.vdev_id = 0x99;
	n = 1;
	ck_assert_int_eq(invalidate(va.out_viommu_id,
	    IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, &inv, sizeof(inv), &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_DEV_CHECK_CACHE, idev),
	    -EINVAL);
	c.check_dev_cache.cache = 0;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_DEV_CHECK_CACHE, idev), 0);

	/* Unbinding the device leaves its vDEVICE a tombstone. */
	ck_assert_int_eq(destroy(stdev), 0);
	ck_assert_int_eq(destroy(vd.out_vdevice_id), -ENOENT);
	ck_assert_int_eq(destroy(nested), 0);
	ck_assert_int_eq(destroy(va.out_viommu_id), 0);
	ck_assert_int_eq(destroy(parent), 0);
}
END_TEST

/* The mock, with an MSI-like window that devices reserve. */
#define RESV_START	(MOCK_APERTURE_START + 0x100000)
#define RESV_LAST	(RESV_START + 0xfffff)

static int
resv_regions(const struct hw_dev_desc *d __attribute__((unused)),
    int (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	return (fn(arg, RESV_START, RESV_LAST));
}

static struct hw_model_ops	resv_ops;
static struct hw_instance	resv_hw = { .name = "resv", .ops = &resv_ops };

static uint32_t
nranges(uint32_t ioas)
{
	struct iommu_ioas_iova_ranges	r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = ioas;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_IOVA_RANGES, &r),
	    -EMSGSIZE);
	return (r.num_iovas);
}

START_TEST(reserved_regions)
{
	struct iommu_ioas_map	m;
	struct edev		e;
	struct device		*dev;
	uint32_t		ioas = test_ioas_new(), ioas2 = test_ioas_new(), id, pt;

	resv_ops = hw_mock_ops;
	resv_ops.reserved_regions = resv_regions;
	device_edev_init(&e, "resv", &resv_hw, 0x10, 0, 0);
	ck_assert_int_eq(device_bind(tctx, &e, &dev, &id), 0);
	ck_assert_int_eq(device_bind(tctx, &e, &dev, &id), -EBUSY);
	pt = ioas;
	ck_assert_int_eq(device_attach(dev, DEVICE_NO_PASID, &pt), 0);
	/* The aperture, with the window cut out of it. */
	ck_assert_uint_eq(nranges(ioas), 2);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)buf;
	m.length = 4 * PAGE;
	m.iova = RESV_START;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EINVAL);
	/* Moving to another IOAS moves the window with it. */
	pt = ioas2;
	ck_assert_int_eq(device_replace(dev, DEVICE_NO_PASID, &pt), 0);
	ck_assert_uint_eq(nranges(ioas), 1);
	ck_assert_uint_eq(nranges(ioas2), 2);
	ck_assert_int_eq(device_detach(dev, DEVICE_NO_PASID), 0);
	ck_assert_int_eq(device_detach(dev, DEVICE_NO_PASID), -EINVAL);
	ck_assert_uint_eq(nranges(ioas2), 1);
	/* A mapping in the window refuses the attach, which leaves nothing. */
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), 0);
	pt = ioas;
	ck_assert_int_eq(device_attach(dev, DEVICE_NO_PASID, &pt), -EADDRINUSE);
	ck_assert_uint_eq(tctx->nkind[OBJ_HWPT_PAGING], 0);
	ck_assert_uint_eq(device_attached_id(dev, DEVICE_NO_PASID), 0);
	device_unbind(dev);
	ck_assert_ptr_null(e.bound);
}
END_TEST

/* A HWPT with a fault queue holds it and takes only IOPF devices. */
START_TEST(fault_hwpt)
{
	struct obj	*fault = test_obj_new(OBJ_FAULT);
	struct edev	 e;
	struct device	*dev;
	uint32_t	 ioas = test_ioas_new(), stdev, idev, hwpt, pt, id;

	ck_assert_int_eq(mock_dev(ioas, 0, &stdev, NULL, &idev), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_FAULT_ID_VALID, 0,
	    NULL, 0, NULL), -ENOENT);
	{
		struct iommu_hwpt_alloc	h;

		memset(&h, 0, sizeof(h));
		h.size = sizeof(h);
		h.flags = IOMMU_HWPT_FAULT_ID_VALID;
		h.dev_id = idev;
		h.pt_id = ioas;
		h.fault_id = fault->id;
		ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_ALLOC, &h), 0);
		hwpt = h.out_hwpt_id;
	}
	ck_assert_int_eq(destroy(fault->id), -EBUSY);
	/* A device that raises no page requests cannot attach. */
	device_edev_init(&e, "noiopf", &hw_mock_instance, 0x20, 0, 0);
	ck_assert_int_eq(device_bind(tctx, &e, &dev, &id), 0);
	pt = hwpt;
	ck_assert_int_eq(device_attach(dev, DEVICE_NO_PASID, &pt), -EINVAL);
	pt = hwpt;
	ck_assert_int_eq(replace(stdev, &pt), 0);
	pt = ioas;
	ck_assert_int_eq(replace(stdev, &pt), 0);
	ck_assert_int_eq(destroy(hwpt), 0);
	ck_assert_int_eq(destroy(fault->id), 0);
	device_unbind(dev);
}
END_TEST

/*
 * Closing a context with everything attached (a mock device on a nested
 * HWPT of a vIOMMU, with a vDEVICE, a PASID and mapped memory) releases
 * it all, leaves first, with nothing left held.
 */
START_TEST(teardown_attached)
{
	struct iommu_hwpt_selftest	sel = { .iotlb = 1 };
	struct iommu_viommu_alloc	va;
	struct iommu_vdevice_alloc	vd;
	struct iommu_ioas_map		m;
	struct edev			e;
	struct device			*dev;
	uint32_t			ioas = test_ioas_new(), stdev, idev, parent;
	uint32_t			pasid_hwpt, nested, pt, id;

	ck_assert_int_eq(mock_dev(ioas, MOCK_FLAGS_DEVICE_PASID, &stdev, NULL,
	    &idev), 0);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = RW;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)buf;
	m.length = BUFSZ;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT |
	    IOMMU_HWPT_ALLOC_PASID, 0, NULL, 0, &parent), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_PASID, 0, NULL,
	    0, &pasid_hwpt), 0);
	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.dev_id = idev;
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	va.hwpt_id = parent;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va), 0);
	memset(&vd, 0, sizeof(vd));
	vd.size = sizeof(vd);
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = idev;
	vd.virt_id = 3;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VDEVICE_ALLOC, &vd), 0);
	ck_assert_int_eq(hwpt_alloc(idev, va.out_viommu_id,
	    IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_DATA_SELFTEST, &sel,
	    sizeof(sel), &nested), 0);
	pt = nested;
	ck_assert_int_eq(replace(stdev, &pt), 0);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_ATTACH, stdev, 9,
	    pasid_hwpt), 0);
	device_edev_init(&e, "outside", hw_instance_find("mock"), 0x30, 0, 0);
	ck_assert_int_eq(device_bind(tctx, &e, &dev, &id), 0);
	pt = ioas;
	ck_assert_int_eq(device_attach(dev, DEVICE_NO_PASID, &pt), 0);

	/*
	 * A binder from outside (a device node) holds the context while it
	 * is bound, so it unbinds before the context can go.
	 */
	device_unbind(dev);
	ck_assert_ptr_null(e.bound);
	ck_assert_int_eq(destroy(id), -ENOENT);

	ctx_free(tctx);
	ck_assert_uint_eq(limit_leaks, 0);
	tctx = test_ctx_new();
}
END_TEST

/*
 * With several auto domains on an IOAS that would all take a device, an
 * attach to the IOAS joins the oldest, as the kernel walks its list.
 */
START_TEST(auto_oldest_first)
{
	struct hwpt_paging	*h[3];
	uint32_t		 hid[3];
	struct edev		 e;
	struct device		*dev;
	struct ioas		*ioas;
	uint32_t		 ioas_id = test_ioas_new(), pt, id;
	int			 i;

	ioas = container_of(obj_find(tctx, ioas_id, OBJ_IOAS), struct ioas,
	    obj);
	device_edev_init(&e, "third", hw_instance_find("mock"), 0x30, 0, 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(hwpt_paging_new(tctx, &e.desc, ioas, 0, NULL,
		    1, &h[i]), 0);
		obj_finalize(&h[i]->obj);
		hid[i] = h[i]->obj.id;
	}
	ck_assert_int_eq(device_bind(tctx, &e, &dev, &id), 0);
	pt = ioas_id;
	ck_assert_int_eq(device_attach(dev, DEVICE_NO_PASID, &pt), 0);
	ck_assert_uint_eq(pt, hid[0]);
	/* Its last device took the oldest; the next oldest is the choice. */
	ck_assert_int_eq(device_detach(dev, DEVICE_NO_PASID), 0);
	ck_assert_ptr_null(obj_find(tctx, hid[0], OBJ_ANY));
	pt = ioas_id;
	ck_assert_int_eq(device_attach(dev, DEVICE_NO_PASID, &pt), 0);
	ck_assert_uint_eq(pt, hid[1]);
	device_unbind(dev);
}
END_TEST

/* A new instance of model with profile; fails the test if it cannot. */
static struct hw_instance *
inst_new(const char *name, const char *model, const char *profile)
{
	struct hw_instance	*inst;
	char			 err[128];

	ck_assert_int_eq(hw_instance_new(name, model, profile, NULL, 0, &inst,
	    err, sizeof(err)), 0);
	return (inst);
}

/*
 * VT-d units share paging domains where the unit can do what the domain
 * was made with; SMMUv3 instances keep theirs.
 */
START_TEST(shared_units)
{
	struct hw_instance	*in[6];
	struct edev		 e[6];
	struct device		*dev[6];
	uint32_t		 ioas = test_ioas_new(), pt[6], id;
	int			 i;

	in[0] = inst_new("v0", "intel-vtd", "qemu");
	in[1] = inst_new("v1", "intel-vtd", "qemu");
	in[2] = inst_new("v2", "intel-vtd", "qemu-aw39");
	in[3] = inst_new("v3", "intel-vtd", "qemu-sc");
	in[4] = inst_new("s0", "arm-smmuv3", NULL);
	in[5] = inst_new("s1", "arm-smmuv3", NULL);
	for (i = 0; i < 6; i++) {
		device_edev_init(&e[i], in[i]->name, in[i], 0x08 * (i + 1), 0,
		    0);
		ck_assert_int_eq(device_bind(tctx, &e[i], &dev[i], &id), 0);
		pt[i] = ioas;
		ck_assert_int_eq(device_attach(dev[i], DEVICE_NO_PASID, &pt[i]),
		    0);
	}
	/* Another unit like the first joins its domain. */
	ck_assert_uint_eq(pt[1], pt[0]);
	/* 39 address bits cannot take a 48-bit table: a domain of its own. */
	ck_assert_uint_ne(pt[2], pt[0]);
	/* Snoop control can use a domain that does not enforce it. */
	ck_assert_uint_eq(pt[3], pt[0]);
	/* SMMUv3 domains stay with their instance. */
	ck_assert_uint_ne(pt[4], pt[0]);
	ck_assert_uint_ne(pt[5], pt[4]);
	/* An explicit attach across SMMUv3 instances is incompatible. */
	ck_assert_int_eq(device_detach(dev[5], DEVICE_NO_PASID), 0);
	pt[5] = pt[4];
	ck_assert_int_eq(device_attach(dev[5], DEVICE_NO_PASID, &pt[5]),
	    -EINVAL);
	for (i = 0; i < 6; i++) {
		device_unbind(dev[i]);
		hw_instance_free(in[i]);
	}
}
END_TEST

/* Models and instances are found by name, at the interface's version. */
START_TEST(hw_lookup)
{
	const struct hw_instance	*hw = hw_instance_find("mock");

	ck_assert_ptr_nonnull(hw);
	ck_assert_ptr_eq(hw->ops, hw_model_find("mock"));
	ck_assert_uint_eq(hw->ops->version, HW_MODEL_VERSION);
	ck_assert_ptr_null(hw_instance_find("vtd9"));
	ck_assert_ptr_null(hw_model_find(""));
}
END_TEST

/*
 * The plain model: 4 KiB pages from address 0 over 48 bits, and nothing
 * it cannot do (dirty tracking, nesting, PASID, driver data) accepted.
 */
START_TEST(hw_plain)
{
	const struct hw_instance	*hw = hw_instance_find("plain");
	struct hw_dev_desc		 dev = { .hw = hw };
	struct hw_domain		 dom;
	struct hw_data			 data = { .type = 1 };

	ck_assert_ptr_nonnull(hw);
	ck_assert_ptr_eq(hw->ops, hw_model_find("plain"));
	ck_assert_int_eq(hw->ops->domain_alloc_paging(&dev, 0, NULL, &dom), 0);
	ck_assert_uint_eq(hw_domain_min_page(&dom), 4096);
	ck_assert_uint_eq(dom.aperture_start, 0);
	ck_assert_uint_eq(dom.aperture_last, (1ULL << 48) - 1);
	ck_assert_int_eq(hw->ops->attach_check(&dev, &dom), 0);
	ck_assert_int_eq(hw->ops->domain_alloc_paging(&dev, HW_DOMAIN_DIRTY,
	    NULL, &dom), -EOPNOTSUPP);
	ck_assert_int_eq(hw->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_NEST_PARENT, NULL, &dom), -EOPNOTSUPP);
	ck_assert_int_eq(hw->ops->domain_alloc_paging(&dev, 0, &data, &dom),
	    -EOPNOTSUPP);
	ck_assert_ptr_null(hw->ops->hw_info);
	ck_assert_ptr_null(hw->ops->viommu_alloc);
}
END_TEST

static Suite *
device_suite(void)
{
	Suite	*s = suite_create("device");
	TCase	*tc = tcase_create("mock");

	tcase_add_checked_fixture(tc, dev_setup, dev_teardown);
	tcase_add_test(tc, mock_domain_auto);
	tcase_add_test(tc, mock_domain_replace);
	tcase_add_test(tc, hwpt_alloc_rules);
	tcase_add_test(tc, hwpt_invalidate_nested);
	tcase_add_test(tc, pasid_rules);
	tcase_add_test(tc, hw_info);
	tcase_add_test(tc, uapi_level_612);
	tcase_add_test(tc, hw_plain);
	tcase_add_test(tc, check_map);
	tcase_add_test(tc, check_file);
	tcase_add_test(tc, viommu_vdevice);
	tcase_add_test(tc, reserved_regions);
	tcase_add_test(tc, fault_hwpt);
	tcase_add_test(tc, hw_lookup);
	tcase_add_test(tc, teardown_attached);
	tcase_add_test(tc, auto_oldest_first);
	tcase_add_test(tc, shared_units);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(device_suite)
