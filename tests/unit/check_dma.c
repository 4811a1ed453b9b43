/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Emulated DMA by a bound device (device_dma_rw()): a mock device
 * attached to a domain of an IOAS moves bytes to and from the memory
 * mapped there, checked whole before a byte moves; the errors it gives
 * (nothing attached, unmapped or wrongly mapped IOVA, a wrapping range, a
 * nested HWPT); the dirty bits a write sets; the device's counters.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "core/ctx.h"
#include "core/umem.h"
#include "core/util.h"
#include "iommufd/device.h"
#include "iommufd/dirty.h"
#include "iommufd/objs.h"
#include "helpers.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define PAGE		4096ULL
#define BUFSZ		(16 * PAGE)
#define BASE		((uint64_t)MOCK_APERTURE_START)
#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static uint8_t	*mem;

static void
dma_setup(void)
{
	test_setup();
	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
	ck_assert_int_eq(posix_memalign((void **)&mem, 2 << 20, BUFSZ), 0);
	memset(mem, 0x5a, BUFSZ);
}

static void
dma_teardown(void)
{
	test_teardown();
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
	free(mem);
}

/* Map [uva, uva + len) of this process at iova, with flags. */
static long
map(uint32_t ioas, void *uva, uint64_t len, uint64_t iova, uint32_t flags)
{
	struct iommu_ioas_map	m;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)uva;
	m.length = len;
	m.iova = iova;
	return (test_ioctl(tctx, IOMMU_IOAS_MAP, &m));
}

/* A mock device attached to pt_id; its device object in *dev. */
static uint32_t
mock_dev(uint32_t pt_id, uint32_t flags, uint32_t *idev, uint32_t *hwpt,
    struct device **dev)
{
	struct iommu_test_cmd	 c;
	struct selftest		*st;
	struct obj		*o;

	memset(&c, 0, sizeof(c));
	c.mock_domain_flags.dev_flags = flags;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, pt_id),
	    0);
	if (idev != NULL)
		*idev = c.mock_domain_flags.out_idev_id;
	if (hwpt != NULL)
		*hwpt = c.mock_domain_flags.out_hwpt_id;
	ck_assert_int_eq(obj_get(tctx, c.mock_domain_flags.out_stdev_id,
	    OBJ_SELFTEST, &o), 0);
	st = container_of(o, struct selftest, obj);
	ck_assert_ptr_nonnull(st->edev.bound);
	*dev = st->edev.bound;
	return (c.mock_domain_flags.out_stdev_id);
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

static long
replace(uint32_t stdev, uint32_t pt_id)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.mock_domain_replace.pt_id = pt_id;
	return (test_mock_cmd(&c, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev));
}

static int
all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return (0);
	return (1);
}

/* Bytes move both ways, at any offset, and are counted. */
START_TEST(dma_both_ways)
{
	struct device	*dev;
	uint8_t		 out[300], in[300];
	uint32_t	 ioas = test_ioas_new();
	size_t		 i;

	mock_dev(ioas, 0, NULL, NULL, &dev);
	ck_assert_int_eq(map(ioas, mem, 4 * PAGE, BASE, RW), 0);
	for (i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)i;
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + 4000,
	    out, sizeof(out), 1), 0);
	ck_assert_mem_eq(mem + 4000, out, sizeof(out));
	ck_assert(all_bytes(mem, 4000, 0x5a));
	ck_assert(all_bytes(mem + 4300, 4 * PAGE - 4300, 0x5a));
	memset(in, 0, sizeof(in));
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + 4000,
	    in, sizeof(in), 0), 0);
	ck_assert_mem_eq(in, out, sizeof(in));
	/* Length 0 moves nothing and succeeds. */
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE, in, 0, 1),
	    0);
	ck_assert_uint_eq(dev->dma_ops, 3);
	ck_assert_uint_eq(dev->dma_bytes, 2 * sizeof(out));
	ck_assert_uint_eq(dev->dma_errors, 0);
}
END_TEST

/* Anything not mapped, or mapped the other way, fails whole. */
START_TEST(dma_faults)
{
	struct device	*dev;
	uint8_t		 b[2 * PAGE];
	uint32_t	 ioas = test_ioas_new();

	mock_dev(ioas, 0, NULL, NULL, &dev);
	ck_assert_int_eq(map(ioas, mem, 2 * PAGE, BASE, RW), 0);
	ck_assert_int_eq(map(ioas, mem + 4 * PAGE, PAGE, BASE + 4 * PAGE,
	    IOMMU_IOAS_MAP_READABLE), 0);
	ck_assert_int_eq(map(ioas, mem + 6 * PAGE, PAGE, BASE + 6 * PAGE,
	    IOMMU_IOAS_MAP_WRITEABLE), 0);
	memset(b, 0xee, sizeof(b));
	/* Unmapped, or running past the end of what is mapped. */
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + 2 * PAGE,
	    b, 16, 1), -EFAULT);
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + PAGE,
	    b, PAGE + 1, 1), -EFAULT);
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE - PAGE,
	    b, 2 * PAGE, 1), -EFAULT);
	ck_assert(all_bytes(mem, 2 * PAGE, 0x5a));
	/* Read-only: reads work, writes do not; write-only the reverse. */
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + 4 * PAGE,
	    b, 16, 1), -EFAULT);
	ck_assert(all_bytes(mem + 4 * PAGE, PAGE, 0x5a));
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + 4 * PAGE,
	    b, 16, 0), 0);
	ck_assert(all_bytes(b, 16, 0x5a));
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + 6 * PAGE,
	    b, 16, 0), -EFAULT);
	memset(b, 0xee, sizeof(b));
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + 6 * PAGE,
	    b, 16, 1), 0);
	ck_assert(all_bytes(mem + 6 * PAGE, 16, 0xee));
	/* A range that wraps, or nearly 2^64 long, is refused at once. */
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, UINT64_MAX - 8,
	    b, 16, 0), -EFAULT);
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE, b,
	    SIZE_MAX - 2, 1), -EFAULT);
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE, b,
	    (size_t)1 << 62, 1), -EFAULT);
	ck_assert(all_bytes(mem, 2 * PAGE, 0x5a));
	ck_assert_uint_eq(dev->dma_errors, 8);
	ck_assert_uint_eq(dev->dma_ops, 2);
}
END_TEST

/* One transfer across two areas of different memory. */
START_TEST(dma_straddle)
{
	struct device	*dev;
	uint8_t		 b[256], in[256];
	uint32_t	 ioas = test_ioas_new();

	mock_dev(ioas, 0, NULL, NULL, &dev);
	/* IOVA-adjacent, but the second area maps memory 8 pages on. */
	ck_assert_int_eq(map(ioas, mem, PAGE, BASE, RW), 0);
	ck_assert_int_eq(map(ioas, mem + 8 * PAGE, PAGE, BASE + PAGE, RW), 0);
	memset(b, 0x11, sizeof(b));
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + PAGE - 128,
	    b, sizeof(b), 1), 0);
	ck_assert(all_bytes(mem + PAGE - 128, 128, 0x11));
	ck_assert(all_bytes(mem + PAGE, 128, 0x5a));
	ck_assert(all_bytes(mem + 8 * PAGE, 128, 0x11));
	ck_assert(all_bytes(mem + 8 * PAGE + 128, 128, 0x5a));
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + PAGE - 128,
	    in, sizeof(in), 0), 0);
	ck_assert_mem_eq(in, b, sizeof(b));
	/* If the second area is read-only, a write moves nothing at all. */
	ck_assert_int_eq(map(ioas, mem + 10 * PAGE, PAGE, BASE + 2 * PAGE,
	    IOMMU_IOAS_MAP_READABLE), 0);
	memset(b, 0x22, sizeof(b));
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID,
	    BASE + 2 * PAGE - 128, b, sizeof(b), 1), -EFAULT);
	ck_assert(all_bytes(mem + 9 * PAGE - 128, 128, 0x5a));
}
END_TEST

/* Nothing attached: ENODEV; a PASID reaches its own HWPT only. */
START_TEST(dma_detached_pasid)
{
	struct iommu_test_cmd	 c;
	struct device		*dev;
	uint8_t			 b[64];
	uint32_t		 ioas = test_ioas_new(), ioas2 = test_ioas_new(), stdev;
	uint32_t		 idev, ph;

	stdev = mock_dev(ioas, MOCK_FLAGS_DEVICE_PASID, &idev, NULL, &dev);
	ck_assert_int_eq(map(ioas, mem, PAGE, BASE, RW), 0);
	ck_assert_int_eq(map(ioas2, mem + 2 * PAGE, PAGE, BASE, RW), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_PASID, 0,
	    NULL, 0, &ph), 0);
	ck_assert_int_eq(replace(stdev, ph), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas2, IOMMU_HWPT_ALLOC_PASID, 0,
	    NULL, 0, &ph), 0);
	ck_assert_int_eq(device_dma_rw(dev, 7, BASE, b, sizeof(b), 0),
	    -ENODEV);
	memset(&c, 0, sizeof(c));
	c.pasid_attach.pasid = 7;
	c.pasid_attach.pt_id = ph;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_PASID_ATTACH, stdev), 0);
	memset(b, 0x33, sizeof(b));
	ck_assert_int_eq(device_dma_rw(dev, 7, BASE, b, sizeof(b), 1), 0);
	ck_assert(all_bytes(mem + 2 * PAGE, sizeof(b), 0x33));
	ck_assert(all_bytes(mem, PAGE, 0x5a));
	ck_assert_int_eq(device_dma_rw(dev, 8, BASE, b, sizeof(b), 1),
	    -ENODEV);
	/* The RID detached: nothing reaches memory through it. */
	memset(&c, 0, sizeof(c));
	c.pasid_detach.pasid = 7;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_PASID_DETACH, stdev), 0);
	ck_assert_int_eq(device_dma_rw(dev, 7, BASE, b, sizeof(b), 1),
	    -ENODEV);
	ck_assert_int_eq(device_detach(dev, DEVICE_NO_PASID), 0);
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE, b,
	    sizeof(b), 1), -ENODEV);
	ck_assert(all_bytes(mem, PAGE, 0x5a));
}
END_TEST

/* A nested HWPT: no stage 1 walk in the mock, so every DMA faults. */
START_TEST(dma_nested)
{
	struct iommu_hwpt_selftest	 sel = { .iotlb = 0 };
	struct device			*dev;
	uint8_t				 b[64];
	uint32_t			 ioas = test_ioas_new(), stdev, idev;
	uint32_t			 parent, nested;

	stdev = mock_dev(ioas, 0, &idev, NULL, &dev);
	ck_assert_int_eq(map(ioas, mem, PAGE, BASE, RW), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
	    0, NULL, 0, &parent), 0);
	ck_assert_int_eq(hwpt_alloc(idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST,
	    &sel, sizeof(sel), &nested), 0);
	ck_assert_int_eq(replace(stdev, nested), 0);
	memset(b, 0x44, sizeof(b));
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE, b,
	    sizeof(b), 1), -EFAULT);
	ck_assert(all_bytes(mem, PAGE, 0x5a));
	/* Through the parent itself the same IOVA is memory. */
	ck_assert_int_eq(replace(stdev, parent), 0);
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE, b,
	    sizeof(b), 1), 0);
	ck_assert(all_bytes(mem, sizeof(b), 0x44));
}
END_TEST

/* A write marks its IOPTEs dirty while tracking is on; a read never. */
START_TEST(dma_dirty)
{
	struct iommu_hwpt_set_dirty_tracking	 s;
	struct hwpt_paging			*hp;
	struct device				*dev;
	struct obj				*o;
	uint8_t					 b[64];
	uint32_t				 ioas = test_ioas_new(), stdev, idev;
	uint32_t				 hwpt;

	stdev = mock_dev(ioas, 0, &idev, NULL, &dev);
	ck_assert_int_eq(map(ioas, mem, 4 * PAGE, BASE, RW), 0);
	ck_assert_int_eq(hwpt_alloc(idev, ioas,
	    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0, &hwpt), 0);
	ck_assert_int_eq(replace(stdev, hwpt), 0);
	ck_assert_int_eq(obj_get(tctx, hwpt, OBJ_HWPT_PAGING, &o), 0);
	hp = container_of(o, struct hwpt_paging, obj);
	ck_assert_ptr_nonnull(hp->dirty);
	/* Tracking off: a write marks nothing. */
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + 100, b,
	    sizeof(b), 1), 0);
	ck_assert_uint_eq(dirty_total(hp->dirty), 0);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	s.hwpt_id = hwpt;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_SET_DIRTY_TRACKING, &s),
	    0);
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + PAGE + 8,
	    b, sizeof(b), 0), 0);
	ck_assert_uint_eq(dirty_total(hp->dirty), 0);
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + PAGE + 8,
	    b, sizeof(b), 1), 0);
	/* The IOPTE holding those bytes, and nothing else. */
	ck_assert_uint_ne(dirty_count(hp->dirty, BASE + PAGE, PAGE), 0);
	ck_assert_uint_eq(dirty_count(hp->dirty, BASE, PAGE), 0);
	ck_assert_uint_eq(dirty_count(hp->dirty, BASE + 2 * PAGE, 2 * PAGE),
	    0);
	/* A failed write marks nothing either. */
	ck_assert_uint_eq(dirty_count(hp->dirty, BASE + 3 * PAGE, PAGE), 0);
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID,
	    BASE + 4 * PAGE - 8, b, 16, 1), -EFAULT);
	ck_assert_uint_eq(dirty_count(hp->dirty, BASE + 3 * PAGE, PAGE), 0);
}
END_TEST

/* The counters show in the device's description. */
START_TEST(dma_describe)
{
	const struct obj_ops	*ops;
	struct device		*dev;
	uint8_t			 b[16];
	json_t			*j;
	uint32_t		 ioas = test_ioas_new();

	mock_dev(ioas, 0, NULL, NULL, &dev);
	ck_assert_int_eq(map(ioas, mem, PAGE, BASE, RW), 0);
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE, b,
	    sizeof(b), 0), 0);
	ck_assert_int_eq(device_dma_rw(dev, DEVICE_NO_PASID, BASE + PAGE, b,
	    sizeof(b), 0), -EFAULT);
	ops = &device_ops;
	ck_assert_ptr_nonnull((j = ops->describe(device_obj(dev))));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "dma_ops")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "dma_bytes")),
	    16);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "dma_errors")), 1);
	json_decref(j);
}
END_TEST

static Suite *
dma_suite(void)
{
	Suite	*s = suite_create("dma");
	TCase	*tc = tcase_create("dma");

	tcase_add_checked_fixture(tc, dma_setup, dma_teardown);
	tcase_add_test(tc, dma_both_ways);
	tcase_add_test(tc, dma_faults);
	tcase_add_test(tc, dma_straddle);
	tcase_add_test(tc, dma_detached_pasid);
	tcase_add_test(tc, dma_nested);
	tcase_add_test(tc, dma_dirty);
	tcase_add_test(tc, dma_describe);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(dma_suite)
