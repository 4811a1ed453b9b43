/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * HW queues (iommufd/hw_queue.c) on the mock's vIOMMU: IOMMU_HW_QUEUE_ALLOC's
 * errnos in the kernel's order, the model's index rules and the order of
 * destruction, and the queue's memory: pinned, and locked against UNMAP
 * (also an unmap of everything, and the cut a type1 v1 unmap makes) for
 * as long as the queue lives.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/ctx.h"
#include "core/umem.h"
#include "helpers.h"
#include "iommufd/objs.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define PAGE		4096ULL
#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static uint8_t	*buf;
static uint32_t	 ioas, viommu;

static long
destroy(uint32_t id)
{
	struct iommu_destroy	d = { .size = sizeof(d), .id = id };

	return (test_ioctl(tctx, IOMMU_DESTROY, &d));
}

/* A mock device on a fresh IOAS, a nesting parent and a vIOMMU on it. */
static void
hwq_setup(void)
{
	struct iommu_ioas_alloc		a = { .size = sizeof(a) };
	struct iommu_viommu_alloc	va;
	struct iommu_hwpt_alloc		h;
	struct iommu_test_cmd		c;

	test_setup();
	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
	ck_assert_int_eq(posix_memalign((void **)&buf, PAGE, 4 * PAGE), 0);
	memset(buf, 0, 4 * PAGE);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOC, &a), 0);
	ioas = a.out_ioas_id;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	c.id = ioas;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_TEST_CMD, &c), 0);
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	h.dev_id = c.mock_domain.out_idev_id;
	h.pt_id = ioas;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_ALLOC, &h), 0);
	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.dev_id = c.mock_domain.out_idev_id;
	va.hwpt_id = h.out_hwpt_id;
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va), 0);
	viommu = va.out_viommu_id;
}

static void
hwq_teardown(void)
{
	test_teardown();
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
	free(buf);
}

static long
hwq_alloc(uint32_t type, uint32_t index, uint64_t iova, uint64_t length,
    uint32_t *id)
{
	struct iommu_hw_queue_alloc	q;
	long				rc;

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.viommu_id = viommu;
	q.type = type;
	q.index = index;
	q.nesting_parent_iova = iova;
	q.length = length;
	rc = test_ioctl(tctx, IOMMU_HW_QUEUE_ALLOC, &q);
	if (id != NULL)
		*id = q.out_hw_queue_id;
	return (rc);
}

static long
map(void *va, uint64_t length, uint64_t iova)
{
	struct iommu_ioas_map	m;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | RW;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)va;
	m.length = length;
	m.iova = iova;
	return (test_ioctl(tctx, IOMMU_IOAS_MAP, &m));
}

static long
unmap(uint64_t iova, uint64_t length)
{
	struct iommu_ioas_unmap	u;

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = ioas;
	u.iova = iova;
	u.length = length;
	return (test_ioctl(tctx, IOMMU_IOAS_UNMAP, &u));
}

#define SEL	IOMMU_HW_QUEUE_TYPE_SELFTEST
#define IOVA	MOCK_APERTURE_START

/* The argument checks come first, then the vIOMMU, then the memory. */
START_TEST(hw_queue_errnos)
{
	uint32_t	 id;
	long		 rc;

	ck_assert_int_eq(hwq_alloc(IOMMU_HW_QUEUE_TYPE_DEFAULT, 0, IOVA, PAGE,
	    NULL), -EOPNOTSUPP);
	ck_assert_int_eq(hwq_alloc(SEL, 0, IOVA, 0, NULL), -EINVAL);
	ck_assert_int_eq(hwq_alloc(SEL, 0, UINT64_MAX, PAGE, NULL),
	    -EOVERFLOW);
	ck_assert_int_eq(hwq_alloc(0x1234, 0, IOVA, PAGE, NULL), -EOPNOTSUPP);
	/* A range whose whole pages would wrap past 2^64. */
	ck_assert_int_eq(hwq_alloc(SEL, 0, 0x800, UINT64_MAX - 0x7ff, NULL),
	    -ERANGE);
	ck_assert_int_eq(hwq_alloc(SEL, 0, 0, UINT64_MAX, NULL), -ERANGE);
	/* Near the top, unmapped: no step per page. */
	ck_assert_int_eq(hwq_alloc(SEL, 0, UINT64_MAX - 10, 8, NULL),
	    -ENOENT);
	/* Nothing mapped; half mapped. */
	ck_assert_int_eq(hwq_alloc(SEL, 0, IOVA, PAGE, NULL), -ENOENT);
	ck_assert_int_eq(map(buf, PAGE, IOVA), 0);
	ck_assert_int_eq(hwq_alloc(SEL, 0, IOVA, 2 * PAGE, NULL), -ENOENT);
	/* The model's rules: in order, two of them, once each. */
	ck_assert_int_eq(hwq_alloc(SEL, 1, IOVA, PAGE, NULL), -EIO);
	ck_assert_int_eq(hwq_alloc(SEL, IOMMU_TEST_HW_QUEUE_MAX, IOVA, PAGE,
	    NULL), -EINVAL);
	ck_assert_uint_eq(tctx->nkind[OBJ_HW_QUEUE], 0);
	/* A failed queue leaves the range free to unmap. */
	ck_assert_int_eq(unmap(IOVA, PAGE), 0);
	ck_assert_int_eq(map(buf, PAGE, IOVA), 0);
	rc = hwq_alloc(SEL, 0, IOVA, PAGE, &id);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(hwq_alloc(SEL, 0, IOVA, PAGE, NULL), -EEXIST);
	/* The vIOMMU is held. */
	ck_assert_int_eq(destroy(viommu), -EBUSY);
	ck_assert_int_eq(destroy(id), 0);
	ck_assert_int_eq(destroy(viommu), 0);
}
END_TEST

/*
 * The pinned range is locked: an unmap of its area, of everything, or a
 * cut inside it is EBUSY, while other areas go; queue 0 cannot go before
 * queue 1; once both are gone the range unmaps.
 */
START_TEST(hw_queue_lock)
{
	struct iopt	*iopt;
	struct obj	*obj;
	uint64_t	 unmapped;
	uint32_t	 q0, q1;

	ck_assert_int_eq(obj_get(tctx, ioas, OBJ_IOAS, &obj), 0);
	iopt = ioas_iopt(obj);
	ck_assert_int_eq(map(buf, PAGE, IOVA), 0);
	ck_assert_int_eq(map(buf + PAGE, PAGE, IOVA + PAGE), 0);
	ck_assert_int_eq(hwq_alloc(SEL, 0, IOVA, PAGE, &q0), 0);
	ck_assert_uint_eq(iopt->iova_alignment, PAGE);
	ck_assert_int_eq(unmap(IOVA, PAGE), -EBUSY);
	ck_assert_int_eq(unmap(IOVA + PAGE, PAGE), 0);
	/* A queue inside a page of another pins that page's area too. */
	ck_assert_int_eq(hwq_alloc(SEL, 1, IOVA + PAGE / 2, PAGE / 2, &q1),
	    0);
	ck_assert_int_eq(destroy(q0), -EBUSY);
	/* The whole table: EBUSY at the locked area, nothing else there. */
	ck_assert_int_eq(iopt_unmap_all(iopt, &unmapped), -EBUSY);
	ck_assert_uint_eq(iopt->nareas, 1);
	ck_assert_int_eq(iopt_cut(iopt, IOVA + 2047), -EBUSY);
	ck_assert_int_eq(destroy(q1), 0);
	ck_assert_int_eq(unmap(IOVA, PAGE), -EBUSY);
	ck_assert_int_eq(destroy(q0), 0);
	ck_assert_uint_eq(iopt->nbusy, 0);
	ck_assert_int_eq(unmap(IOVA, PAGE), 0);
	ck_assert_int_eq(iopt_unmap_all(iopt, &unmapped), 0);
}
END_TEST

/* A context closed with queues alive releases them, the last first. */
START_TEST(hw_queue_teardown)
{
	ck_assert_int_eq(map(buf, 2 * PAGE, IOVA), 0);
	ck_assert_int_eq(hwq_alloc(SEL, 0, IOVA, PAGE, NULL), 0);
	ck_assert_int_eq(hwq_alloc(SEL, 1, IOVA + PAGE, PAGE, NULL), 0);
	ck_assert_uint_eq(tctx->nkind[OBJ_HW_QUEUE], 2);
	/* test_teardown() checks that nothing is left held. */
}
END_TEST

static Suite *
hw_queue_suite(void)
{
	Suite	*s = suite_create("hw_queue");
	TCase	*tc = tcase_create("mock");

	tcase_add_checked_fixture(tc, hwq_setup, hwq_teardown);
	tcase_add_test(tc, hw_queue_errnos);
	tcase_add_test(tc, hw_queue_lock);
	tcase_add_test(tc, hw_queue_teardown);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(hw_queue_suite)
