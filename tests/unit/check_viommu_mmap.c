/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The vIOMMU's mmap region (iommufd/viommu.c, proto/ioasidd.h): the mock
 * offers two pages for a vIOMMU made with data; IOASIDD_MMAP judges an
 * mmap() of the descriptor as the kernel's mmap does (EINVAL, EPERM,
 * ENXIO for anything but the exact offset and length) and hands out the
 * region's memory, whose first u32 reads back in_data; DESTROY of the
 * vIOMMU is EBUSY while the caller maps it.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/ctx.h"
#include "helpers.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"
#include "ioasidd.h"

#define PAGE	4096ULL

static uint32_t	 idev, parent;

static void
mm_setup(void)
{
	struct iommu_ioas_alloc	a = { .size = sizeof(a) };
	struct iommu_hwpt_alloc	h;
	struct iommu_test_cmd	c;

	test_setup();
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOC, &a), 0);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	c.id = a.out_ioas_id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_TEST_CMD, &c), 0);
	idev = c.mock_domain.out_idev_id;
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	h.dev_id = idev;
	h.pt_id = a.out_ioas_id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_ALLOC, &h), 0);
	parent = h.out_hwpt_id;
}

static void
mm_teardown(void)
{
	test_teardown();
}

static long
viommu_new(struct iommu_viommu_selftest *data, uint32_t len, uint32_t *id)
{
	struct iommu_viommu_alloc	va;
	long				rc;

	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.dev_id = idev;
	va.hwpt_id = parent;
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	va.data_uptr = (uintptr_t)data;
	va.data_len = len;
	rc = test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va);
	*id = va.out_viommu_id;
	return (rc);
}

static long
mmap_cmd(uint64_t offset, uint64_t length, uint32_t flags, int *fd)
{
	struct ioasidd_mmap	m;
	long			rc;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = flags;
	m.offset = offset;
	m.length = length;
	m.out_fd = -1;
	rc = test_ioctl(tctx, IOASIDD_MMAP, &m);
	if (fd != NULL)
		*fd = m.out_fd;
	return (rc);
}

static long
destroy(uint32_t id)
{
	struct iommu_destroy	d = { .size = sizeof(d), .id = id };

	return (test_ioctl(tctx, IOMMU_DESTROY, &d));
}

#define SH	IOASIDD_MMAP_SHARED

START_TEST(viommu_mmap_rules)
{
	struct iommu_viommu_selftest	 data = { .in_data = 0xbeef };
	uint64_t			 off, len;
	uint32_t			 id, plain;
	uint32_t			*p;
	int				 fd;

	ck_assert_int_eq(viommu_new(&data, sizeof(data), &id), 0);
	ck_assert_uint_eq(data.out_data, 0xbeef);
	off = data.out_mmap_offset;
	len = data.out_mmap_length;
	ck_assert_uint_eq(len, 2 * PAGE);
	ck_assert_uint_ne(off, 0);
	ck_assert_uint_eq(off % PAGE, 0);

	/* What the kernel's mmap refuses before it looks the offset up. */
	ck_assert_int_eq(mmap_cmd(off, len, 0, NULL), -EINVAL);
	ck_assert_int_eq(mmap_cmd(off, len - 1, SH, NULL), -EINVAL);
	ck_assert_int_eq(mmap_cmd(off, 0, SH, NULL), -EINVAL);
	ck_assert_int_eq(mmap_cmd(off, len, SH | IOASIDD_MMAP_EXEC, NULL),
	    -EPERM);
	/* Only the exact region. */
	ck_assert_int_eq(mmap_cmd(off + PAGE, len, SH, NULL), -ENXIO);
	ck_assert_int_eq(mmap_cmd(off + 2 * PAGE, len, SH, NULL), -ENXIO);
	ck_assert_int_eq(mmap_cmd(off, len / 2, SH, NULL), -ENXIO);
	ck_assert_int_eq(mmap_cmd(off, len * 2, SH, NULL), -ENXIO);
	ck_assert_int_eq(mmap_cmd(0, len, SH, NULL), -ENXIO);
	ck_assert_int_eq(mmap_cmd(UINT64_MAX & ~(PAGE - 1), len, SH, NULL),
	    -ENXIO);

	/* A vIOMMU made without data offers nothing. */
	ck_assert_int_eq(viommu_new(NULL, 0, &plain), 0);
	ck_assert_int_eq(mmap_cmd((uint64_t)plain << 24, len, SH, NULL),
	    -ENXIO);

	/* The loopback page, and DESTROY held off while it is mapped. */
	ck_assert_int_eq(mmap_cmd(off, len, SH, &fd), 0);
	ck_assert_int_ge(fd, 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	ck_assert_uint_eq(*p, 0xbeef);
	ck_assert_int_eq(destroy(id), -EBUSY);
	ck_assert_int_eq(munmap(p, len), 0);
	ck_assert_int_eq(destroy(id), 0);
	/* Its offset names nothing any more. */
	ck_assert_int_eq(mmap_cmd(off, len, SH, NULL), -ENXIO);
	ck_assert_int_eq(destroy(plain), 0);
}
END_TEST

/* Short data (up to out_data) still gets a region; its fields are cut. */
START_TEST(viommu_mmap_short_data)
{
	struct iommu_viommu_selftest	 data;
	uint32_t			 id;
	int				 fd;

	memset(&data, 0, sizeof(data));
	data.in_data = 7;
	ck_assert_int_eq(viommu_new(&data, 8, &id), 0);
	ck_assert_uint_eq(data.out_data, 7);
	ck_assert_uint_eq(data.out_mmap_offset, 0);
	ck_assert_int_eq(mmap_cmd((uint64_t)id << 24, 2 * PAGE, SH, &fd), 0);
	close(fd);
	/* Handed out but never mapped: DESTROY goes ahead. */
	ck_assert_int_eq(destroy(id), 0);
}
END_TEST

/*
 * A munmap()'s notice: answered for whole pages at a page offset, even
 * once the region is gone; it hands nothing out and changes nothing, so
 * DESTROY still asks the maps.
 */
START_TEST(viommu_mmap_unmap_notice)
{
	struct iommu_viommu_selftest	 data = { .in_data = 1 };
	uint64_t			 off, len;
	uint32_t			 id;
	uint32_t			*p;
	int				 fd;

	ck_assert_int_eq(viommu_new(&data, sizeof(data), &id), 0);
	off = data.out_mmap_offset;
	len = data.out_mmap_length;
	ck_assert_int_eq(mmap_cmd(off, len, SH, &fd), 0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	fd = -1;
	ck_assert_int_eq(mmap_cmd(off, PAGE, SH | IOASIDD_MMAP_UNMAP, &fd),
	    0);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(mmap_cmd(off, 0, SH | IOASIDD_MMAP_UNMAP, NULL),
	    -EINVAL);
	ck_assert_int_eq(mmap_cmd(off, PAGE - 1, IOASIDD_MMAP_UNMAP, NULL),
	    -EINVAL);
	ck_assert_int_eq(mmap_cmd(off + 1, PAGE, IOASIDD_MMAP_UNMAP, NULL),
	    -EINVAL);
	/* The notice alone does not end the mapping: the maps say. */
	ck_assert_int_eq(destroy(id), -EBUSY);
	ck_assert_int_eq(munmap(p, len), 0);
	ck_assert_int_eq(destroy(id), 0);
	ck_assert_int_eq(mmap_cmd(off, len, IOASIDD_MMAP_UNMAP, NULL), 0);
}
END_TEST

static Suite *
viommu_mmap_suite(void)
{
	Suite	*s = suite_create("viommu_mmap");
	TCase	*tc = tcase_create("mock");

	tcase_add_checked_fixture(tc, mm_setup, mm_teardown);
	tcase_add_test(tc, viommu_mmap_rules);
	tcase_add_test(tc, viommu_mmap_short_data);
	tcase_add_test(tc, viommu_mmap_unmap_notice);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(viommu_mmap_suite)
