/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The IOAS ioctls through dispatch(), as a program calls them: every
 * errno of spec 1.4 in the kernel's order, and the behaviours the kernel
 * selftest checks (area, unmap_fully_contained_areas, area_auto_iova,
 * reserved_overflow, area_allowed, copy_area, copy_sweep, iova_ranges,
 * ioas_iova_alloc, ioas_align_change, option_huge_pages, change_process).
 * Pinning goes through a test pinner registered on the io page table,
 * standing in for a domain.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <check.h>

#include "core/acct.h"
#include "core/ctx.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "helpers.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"
#include "suites.h"

#include <linux/iommufd.h>

#define PAGE		4096ULL
#define BUFSZ		(16 * PAGE)
#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static uint8_t	*buf;

static void
ioas_setup(void)
{
	test_setup();
	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
	ck_assert_int_eq(posix_memalign((void **)&buf, 2 << 20, BUFSZ), 0);
	memset(buf, 0x5a, BUFSZ);
}

static void
ioas_teardown(void)
{
	test_teardown();
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
	free(buf);
	/* Closing the context returns every charge and pages object. */
	ck_assert_uint_eq(acct_user_pages(getuid()), 0);
	ck_assert_uint_eq(acct_mm_pages(getpid()), 0);
	ck_assert_uint_eq(pages_count(), 0);
	ck_assert_uint_eq(umem_count(), 0);
}

static struct iopt *
iopt_of(uint32_t id)
{
	struct obj	*o = obj_find(tctx, id, OBJ_IOAS);

	ck_assert_ptr_nonnull(o);
	return (ioas_iopt(o));
}

static long
map(uint32_t ioas, uint32_t flags, const void *va, uint64_t len,
    uint64_t *iova)
{
	struct iommu_ioas_map	 m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas,
		.user_va = (uintptr_t)va, .length = len,
		.iova = iova != NULL ? *iova : 0,
	};
	long			 rc;

	rc = test_ioctl(tctx, IOMMU_IOAS_MAP, &m);
	if (rc == 0 && iova != NULL)
		*iova = m.iova;
	return (rc);
}

static long
map_fixed(uint32_t ioas, const void *va, uint64_t len, uint64_t iova)
{
	return (map(ioas, RW | IOMMU_IOAS_MAP_FIXED_IOVA, va, len, &iova));
}

static long
unmap(uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out)
{
	struct iommu_ioas_unmap	 u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova,
		.length = len,
	};
	long			 rc;

	rc = test_ioctl(tctx, IOMMU_IOAS_UNMAP, &u);
	if (out != NULL)
		*out = u.length;
	return (rc);
}

static long
copy(uint32_t dst, uint32_t src, uint32_t flags, uint64_t len,
    uint64_t *dst_iova, uint64_t src_iova)
{
	struct iommu_ioas_copy	 c = {
		.size = sizeof(c), .flags = flags, .dst_ioas_id = dst,
		.src_ioas_id = src, .length = len, .dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	long			 rc;

	rc = test_ioctl(tctx, IOMMU_IOAS_COPY, &c);
	*dst_iova = c.dst_iova;
	return (rc);
}

static long
option(uint32_t option_id, uint16_t op, uint32_t obj, uint64_t *val)
{
	struct iommu_option	 o = {
		.size = sizeof(o), .option_id = option_id, .op = op,
		.object_id = obj, .val64 = *val,
	};
	long			 rc;

	rc = test_ioctl(tctx, IOMMU_OPTION, &o);
	*val = o.val64;
	return (rc);
}

/* A pinner standing in for a domain or an access. */
static struct iopt_pinner pinner = { .alignment = 1 };
static struct iopt_pinner pinner2 = { .alignment = 1 };

START_TEST(test_alloc)
{
	struct iommu_ioas_alloc	 a = { .size = sizeof(a), .flags = 1 };

	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOC, &a), -EOPNOTSUPP);
	ck_assert_uint_eq(test_ioas_new(), 1);
	ck_assert_uint_eq(test_ioas_new(), 2);
}
END_TEST

START_TEST(test_map_errors)
{
	struct iommu_ioas_map	 m;
	uint32_t		 id = test_ioas_new();

#define M(f, r, va, l, iv) do {						\
	memset(&m, 0, sizeof(m));					\
	m.size = sizeof(m); m.flags = (f); m.ioas_id = id;		\
	m.__reserved = (r); m.user_va = (va); m.length = (l);		\
	m.iova = (iv);							\
} while (0)
	M(1 << 3, 0, (uintptr_t)buf, PAGE, 0);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EOPNOTSUPP);
	M(RW, 1, (uintptr_t)buf, PAGE, 0);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EOPNOTSUPP);
	M(RW, 0, (uintptr_t)buf, PAGE, UINT64_MAX);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EOVERFLOW);
	M(0, 0, (uintptr_t)buf, UINT64_MAX, 0);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EOVERFLOW);
	M(IOMMU_IOAS_MAP_FIXED_IOVA, 0, (uintptr_t)buf, PAGE, 0);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EINVAL);
	M(RW, 0, (uintptr_t)buf, PAGE, 0);
	m.ioas_id = 99;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -ENOENT);
	M(RW, 0, (uintptr_t)buf, 0, 0);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EINVAL);
	M(RW, 0, UINT64_MAX - PAGE, 2 * PAGE, 0);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EOVERFLOW);
	/* A fixed IOVA that wraps. */
	M(RW | IOMMU_IOAS_MAP_FIXED_IOVA, 0, (uintptr_t)buf, 2 * PAGE,
	    UINT64_MAX - PAGE);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EOVERFLOW);
	/* Without a pinner an unmapped VA is fine, and the iova comes back. */
	M(RW, 0, 1ULL << 31, PAGE, 0);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), 0);
	ck_assert_uint_ne(m.iova, 0);
#undef M
}
END_TEST

/*
 * A failed unmap keeps what it removed before the area it only partly
 * covers, as the kernel's does (checked against 6.12 by tests/oracle).
 */
START_TEST(test_unmap_partial_failure)
{
	uint32_t	 id = test_ioas_new();
	uint64_t	 base = 1ULL << 24, out;

	ck_assert_int_eq(map_fixed(id, buf, PAGE, base), 0);
	ck_assert_int_eq(map_fixed(id, buf, 2 * PAGE, base + 2 * PAGE), 0);
	/* The first area is inside the range, the second only half. */
	ck_assert_int_eq(unmap(id, base, 3 * PAGE, NULL), -ENOENT);
	ck_assert_int_eq(unmap(id, base, PAGE, NULL), -ENOENT);
	/* A range that starts in a partly covered area removes nothing. */
	ck_assert_int_eq(unmap(id, base + 3 * PAGE, 4 * PAGE, NULL), -ENOENT);
	ck_assert_int_eq(unmap(id, base + 2 * PAGE, 2 * PAGE, &out), 0);
	ck_assert_uint_eq(out, 2 * PAGE);
}
END_TEST

START_TEST(test_area)
{
	uint32_t	 id = test_ioas_new();
	uint64_t	 base = 1ULL << 24, out, i;

	ck_assert_int_eq(unmap(id, base, PAGE, NULL), -ENOENT);
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(map_fixed(id, buf, PAGE, base + i * 2 * PAGE),
		    0);
	/* Every kind of overlap. */
	ck_assert_int_eq(map_fixed(id, buf, PAGE, base), -EEXIST);
	ck_assert_int_eq(map_fixed(id, buf, 2 * PAGE, base - PAGE), -EEXIST);
	ck_assert_int_eq(map_fixed(id, buf, 3 * PAGE, base + PAGE), -EEXIST);
	ck_assert_int_eq(map_fixed(id, buf, 1, base + PAGE - 1), -EEXIST);
	ck_assert_int_eq(map_fixed(id, buf, 8 * PAGE, base - 4 * PAGE),
	    -EEXIST);
	/* Nothing in a gap; no splitting. */
	ck_assert_int_eq(unmap(id, base + PAGE, PAGE, NULL), -ENOENT);
	ck_assert_int_eq(unmap(id, base, PAGE / 2, NULL), -ENOENT);
	ck_assert_int_eq(unmap(id, base - PAGE, 2 * PAGE - 1, NULL), -ENOENT);
	ck_assert_int_eq(unmap(id, base + PAGE / 2, 3 * PAGE, NULL), -ENOENT);
	/* A failed unmap removed nothing. */
	ck_assert_int_eq(unmap(id, base, 2 * PAGE, &out), 0);
	ck_assert_uint_eq(out, PAGE);
	/* Unmap everything, twice. */
	ck_assert_int_eq(unmap(id, 0, UINT64_MAX, &out), 0);
	ck_assert_uint_eq(out, 15 * PAGE);
	ck_assert_int_eq(unmap(id, 0, UINT64_MAX, &out), 0);
	ck_assert_uint_eq(out, 0);
	/* The unmap errors in order. */
	ck_assert_int_eq(unmap(99, 0, UINT64_MAX, NULL), -ENOENT);
	ck_assert_int_eq(unmap(id, UINT64_MAX, 1, NULL), -EOVERFLOW);
	ck_assert_int_eq(unmap(id, 0, UINT64_MAX - 1, &out), -ENOENT);
	ck_assert_int_eq(unmap(id, PAGE, 0, NULL), -EINVAL);
	ck_assert_int_eq(unmap(id, UINT64_MAX - 1, 3, NULL), -EOVERFLOW);
	ck_assert_int_eq(iopt_verify(iopt_of(id)), 0);
}
END_TEST

START_TEST(test_unmap_fully_contained)
{
	uint32_t	 id = test_ioas_new();
	uint64_t	 base = 16 * PAGE, out;
	int		 i;

	/* Four areas of 8 pages with 8-page gaps. */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(map_fixed(id, buf, 8 * PAGE,
		    base + i * 16 * PAGE), 0);
	ck_assert_int_eq(unmap(id, base + PAGE, 58 * PAGE, NULL), -ENOENT);
	ck_assert_int_eq(unmap(id, base - 4 * PAGE, 64 * PAGE, &out), 0);
	ck_assert_uint_eq(out, 32 * PAGE);
}
END_TEST

START_TEST(test_area_auto_iova)
{
	struct iommu_ioas_allow_iovas	 al = { .size = sizeof(al) };
	struct iommu_iova_range		 ranges[2];
	uint32_t			 id = test_ioas_new();
	uint64_t			 iovas[10], len, out;
	int				 i;

	for (i = 0; i < 10; i++) {
		len = PAGE * (i + 1);
		ck_assert_int_eq(map(id, RW, (void *)(1UL << 31), len,
		    &iovas[i]), 0);
		ck_assert_uint_eq(iovas[i] % (1ULL << (ffs(len) - 1)), 0);
		ck_assert_uint_ge(iovas[i], PAGE);
	}
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(unmap(id, iovas[i], PAGE * (i + 1), &out), 0);

	/* Reserved ranges at the start are avoided. */
	ck_assert_int_eq(iopt_reserve(iopt_of(id), PAGE, 100 * PAGE - 1,
	    &pinner), 0);
	for (i = 0; i < 10; i++) {
		len = PAGE * (i + 1);
		ck_assert_int_eq(map(id, RW, buf, len, &iovas[i]), 0);
		ck_assert_uint_ge(iovas[i], 100 * PAGE);
		ck_assert_uint_eq(iovas[i] % (1ULL << (ffs(len) - 1)), 0);
	}
	ck_assert_int_eq(unmap(id, 0, UINT64_MAX, NULL), 0);
	iopt_unreserve_owner(iopt_of(id), &pinner);

	/* The allowed list confines allocation. */
	ranges[0].start = 16 * PAGE;
	ranges[0].last = 32 * PAGE - 1;
	ranges[1].start = 64 * PAGE;
	ranges[1].last = 128 * PAGE - 1;
	al.ioas_id = id;
	al.num_iovas = 2;
	al.allowed_iovas = (uintptr_t)ranges;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al), 0);
	for (i = 0; i < 10; i++) {
		len = PAGE * (i + 1);
		ck_assert_int_eq(map(id, RW, buf, len, &iovas[i]), 0);
		ck_assert((iovas[i] >= ranges[0].start &&
		    iovas[i] + len - 1 <= ranges[0].last) ||
		    (iovas[i] >= ranges[1].start &&
		    iovas[i] + len - 1 <= ranges[1].last));
		ck_assert_uint_eq(iovas[i] % (1ULL << (ffs(len) - 1)), 0);
	}
	/* Fixed maps are not confined. */
	ck_assert_int_eq(map_fixed(id, buf, PAGE, 1ULL << 40), 0);
	ck_assert_int_eq(iopt_verify(iopt_of(id)), 0);
}
END_TEST

START_TEST(test_reserved_overflow)
{
	uint32_t	 id = test_ioas_new();
	uint64_t	 iova = 0;

	ck_assert_int_eq(iopt_reserve(iopt_of(id), PAGE, UINT64_MAX - 1,
	    &pinner), 0);
	ck_assert_int_eq(map(id, RW, buf, PAGE, &iova), -ENOSPC);
	/* Fixed at 0 is outside the reservation. */
	ck_assert_int_eq(map_fixed(id, buf, PAGE, 0), 0);
	ck_assert_int_eq(map_fixed(id, buf, PAGE, PAGE), -EINVAL);
	/* And a reservation over an area is refused. */
	ck_assert_int_eq(iopt_reserve(iopt_of(id), 0, 0, &pinner),
	    -EADDRINUSE);
}
END_TEST

START_TEST(test_area_allowed)
{
	struct iommu_ioas_allow_iovas	 al = { .size = sizeof(al) };
	struct iommu_iova_range		 r[3], *tail;
	uint32_t			 id = test_ioas_new();
	uint8_t				*p;

	al.ioas_id = id;
	al.num_iovas = 1;
	al.allowed_iovas = (uintptr_t)r;
	r[0].start = 16 * PAGE;
	r[0].last = 32 * PAGE - 1;
	al.__reserved = 1;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al),
	    -EOPNOTSUPP);
	al.__reserved = 0;
	al.ioas_id = 99;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al),
	    -ENOENT);
	al.ioas_id = id;
	al.allowed_iovas = 8;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al),
	    -EFAULT);
	al.allowed_iovas = (uintptr_t)r;

	/* Allowed first, then a reservation into it. */
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al), 0);
	ck_assert_int_eq(iopt_reserve(iopt_of(id), 31 * PAGE, 40 * PAGE,
	    &pinner), -EADDRINUSE);
	ck_assert_int_eq(iopt_reserve(iopt_of(id), 32 * PAGE, 40 * PAGE,
	    &pinner), 0);
	/* Reserved first, then an allowed range into it. */
	r[0].last = 33 * PAGE;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al),
	    -EADDRINUSE);

	/* Entry checks: start >= last, overlap with an earlier entry. */
	r[0].start = PAGE;
	r[0].last = PAGE;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al),
	    -EINVAL);
	r[0].last = 4 * PAGE;
	r[1].start = 4 * PAGE;
	r[1].last = 8 * PAGE;
	al.num_iovas = 2;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al),
	    -EINVAL);
	r[1].start = 5 * PAGE;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al), 0);

	/* A bad entry is reported before a fault on a later one. */
	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	munmap(p + PAGE, PAGE);
	tail = (struct iommu_iova_range *)(p + PAGE) - 1;
	tail->start = 9;
	tail->last = 9;
	al.allowed_iovas = (uintptr_t)tail;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al),
	    -EINVAL);
	tail->last = 10;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al),
	    -EFAULT);
	munmap(p, PAGE);

	/* num_iovas 0 clears the list. */
	al.num_iovas = 0;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al), 0);
	ck_assert_int_eq(iopt_reserve(iopt_of(id), PAGE, 4 * PAGE, &pinner),
	    0);
}
END_TEST

START_TEST(test_copy_area)
{
	uint32_t	 a = test_ioas_new(), b = test_ioas_new();
	uint64_t	 src = 1ULL << 24, dst;

	ck_assert_int_eq(map_fixed(a, buf, BUFSZ, src), 0);
	/* Within one IOAS, automatic. */
	dst = 0;
	ck_assert_int_eq(copy(a, a, RW, BUFSZ, &dst, src), 0);
	ck_assert_uint_ne(dst, src);
	/* Across, fixed, then the same again overlaps. */
	dst = src;
	ck_assert_int_eq(copy(b, a, RW | IOMMU_IOAS_MAP_FIXED_IOVA, BUFSZ,
	    &dst, src), 0);
	ck_assert_int_eq(copy(b, a, RW | IOMMU_IOAS_MAP_FIXED_IOVA, BUFSZ,
	    &dst, src), -EEXIST);
	/* No new pages object: every area shares the one of the map. */
	ck_assert_uint_eq(pages_count(), 1);

	/* Errors in order. */
	ck_assert_int_eq(copy(b, a, 1 << 3, PAGE, &dst, src), -EOPNOTSUPP);
	ck_assert_int_eq(copy(b, a, RW, UINT64_MAX, &dst, src), -EOVERFLOW);
	ck_assert_int_eq(copy(b, a, RW, PAGE, &dst, UINT64_MAX), -EOVERFLOW);
	dst = UINT64_MAX;
	ck_assert_int_eq(copy(b, a, RW, PAGE, &dst, src), -EOVERFLOW);
	dst = 0;
	ck_assert_int_eq(copy(b, a, IOMMU_IOAS_MAP_FIXED_IOVA, PAGE, &dst,
	    src), -EINVAL);
	ck_assert_int_eq(copy(b, 99, RW, PAGE, &dst, src), -ENOENT);
	ck_assert_int_eq(copy(b, a, RW, PAGE, &dst, src - 1), -ENOENT);
	ck_assert_int_eq(copy(b, a, RW, BUFSZ + 1, &dst, src), -ENOENT);
	ck_assert_int_eq(copy(99, a, RW, PAGE, &dst, src), -ENOENT);
	ck_assert_int_eq(copy(b, a, RW, 0, &dst, src), -EINVAL);
}
END_TEST

START_TEST(test_copy_sweep)
{
	uint32_t	 a = test_ioas_new(), b = test_ioas_new();
	uint64_t	 src = 1ULL << 24, start, end, dst;

	/* Two touching areas: copies may span both. */
	ck_assert_int_eq(map_fixed(a, buf, BUFSZ / 2, src), 0);
	ck_assert_int_eq(map_fixed(a, buf + BUFSZ / 2, BUFSZ / 2,
	    src + BUFSZ / 2), 0);
	for (start = src; start < src + BUFSZ; start += 511) {
		for (end = start + 1; end <= src + BUFSZ; end += 1021) {
			dst = 0;
			ck_assert_int_eq(copy(b, a, RW, end - start, &dst,
			    start), 0);
			ck_assert_uint_eq(dst % PAGE, start % PAGE);
			ck_assert_int_eq(unmap(b, dst, end - start, NULL), 0);
		}
	}
	dst = 0;
	ck_assert_int_eq(copy(b, a, RW, PAGE, &dst, src + BUFSZ - 1),
	    -ENOENT);
	ck_assert_int_eq(copy(b, a, RW, PAGE, &dst, src - PAGE), -ENOENT);
	ck_assert_int_eq(iopt_verify(iopt_of(b)), 0);
}
END_TEST

START_TEST(test_iova_ranges)
{
	struct iommu_ioas_iova_ranges	 r = { .size = sizeof(r) };
	struct iommu_iova_range		 out[3];
	uint32_t			 id = test_ioas_new();

	r.ioas_id = id;
	r.__reserved = 1;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_IOVA_RANGES, &r),
	    -EOPNOTSUPP);
	r.__reserved = 0;
	r.ioas_id = 99;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_IOVA_RANGES, &r),
	    -ENOENT);
	r.ioas_id = id;

	/* Capacity 0: EMSGSIZE, the count comes back. */
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_IOVA_RANGES, &r),
	    -EMSGSIZE);
	ck_assert_uint_eq(r.num_iovas, 1);
	ck_assert_uint_eq(r.out_iova_alignment, 1);

	memset(out, 0xcc, sizeof(out));
	r.allowed_iovas = (uintptr_t)out;
	r.num_iovas = 3;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_IOVA_RANGES, &r), 0);
	ck_assert_uint_eq(r.num_iovas, 1);
	ck_assert_uint_eq(out[0].start, 0);
	ck_assert_uint_eq(out[0].last, UINT64_MAX);
	ck_assert_uint_eq(out[1].start, 0xccccccccccccccccULL);

	ck_assert_int_eq(iopt_reserve(iopt_of(id), PAGE, 2 * PAGE - 1,
	    &pinner), 0);
	memset(out, 0xcc, sizeof(out));
	r.num_iovas = 1;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_IOVA_RANGES, &r),
	    -EMSGSIZE);
	ck_assert_uint_eq(r.num_iovas, 2);
	ck_assert_uint_eq(out[0].start, 0);
	ck_assert_uint_eq(out[0].last, PAGE - 1);
	ck_assert_uint_eq(out[1].start, 0xccccccccccccccccULL);
	r.num_iovas = 2;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_IOVA_RANGES, &r), 0);
	ck_assert_uint_eq(out[1].start, 2 * PAGE);
	ck_assert_uint_eq(out[1].last, UINT64_MAX);

	/* A bad array pointer with room for entries faults. */
	r.allowed_iovas = 8;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_IOVA_RANGES, &r),
	    -EFAULT);
}
END_TEST

START_TEST(test_iova_alloc_bytes)
{
	uint32_t	 id = test_ioas_new();
	uint64_t	 len, iova = 0, out;

	/* No pinner: any byte length maps. */
	for (len = 1; len < 2 * PAGE; len++) {
		ck_assert_int_eq(map(id, RW, buf, len, &iova), 0);
		ck_assert_int_eq(unmap(id, iova, len, &out), 0);
		ck_assert_uint_eq(out, len);
	}
	/* With a 2048-aligned pinner only multiples of 2048 do. */
	pinner.alignment = 2048;
	ck_assert_int_eq(iopt_add_pinner(iopt_of(id), &pinner), 0);
	ck_assert_int_eq(map(id, RW, buf, 2048, &iova), 0);
	ck_assert_int_eq(map(id, RW, buf, 1024, &iova), -EINVAL);
	ck_assert_int_eq(map(id, RW, buf, 3000, &iova), -EINVAL);
	iopt_remove_pinner(iopt_of(id), &pinner);
	pinner.alignment = 1;
}
END_TEST

START_TEST(test_huge_pages_option)
{
	uint32_t	 id = test_ioas_new();
	uint64_t	 v = 0, iova = 0;

	ck_assert_int_eq(option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
	    id, &v), 0);
	ck_assert_uint_eq(v, 1);
	v = 0;
	ck_assert_int_eq(option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
	    0, &v), -ENOENT);
	ck_assert_int_eq(option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
	    0, &v), -ENOENT);
	ck_assert_int_eq(option(IOMMU_OPTION_HUGE_PAGES, 2, id, &v),
	    -EOPNOTSUPP);
	v = 2;
	ck_assert_int_eq(option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
	    id, &v), -EINVAL);

	/* An area that does not fit PAGE_SIZE alignment: EADDRINUSE. */
	ck_assert_int_eq(map_fixed(id, buf + 2048, PAGE, 1ULL << 24), 0);
	v = 0;
	ck_assert_int_eq(option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
	    id, &v), -EADDRINUSE);
	ck_assert_int_eq(unmap(id, 0, UINT64_MAX, NULL), 0);
	ck_assert_int_eq(option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
	    id, &v), 0);
	ck_assert_int_eq(option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
	    id, &v), 0);
	ck_assert_int_eq(option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
	    id, &v), 0);
	ck_assert_uint_eq(v, 0);
	/* ioas_align_change: a sub-page source offset no longer fits. */
	ck_assert_int_eq(map(id, RW, buf + 2048, PAGE, &iova), -EINVAL);
	ck_assert_int_eq(map(id, RW, buf, PAGE / 2, &iova), -EINVAL);
	ck_assert_int_eq(map(id, RW, buf, PAGE, &iova), 0);
	v = 1;
	ck_assert_int_eq(option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
	    id, &v), 0);
	ck_assert_int_eq(map(id, RW, buf + 2048, PAGE, &iova), 0);

	/* With a domain and areas, disabling is refused. */
	pinner.flags = IOPT_PINNER_DOMAIN;
	ck_assert_int_eq(iopt_add_pinner(iopt_of(id), &pinner), 0);
	v = 0;
	ck_assert_int_eq(option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET,
	    id, &v), -EINVAL);
	iopt_remove_pinner(iopt_of(id), &pinner);
	pinner.flags = 0;
}
END_TEST

START_TEST(test_rlimit_option)
{
	struct iommu_option	 o = { .size = sizeof(o) };
	struct ctx		*c;
	struct umem		*um;
	uint64_t		 v = 7;

	ck_assert_int_eq(option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET,
	    0, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET,
	    1, &v), -EOPNOTSUPP);
	ck_assert_int_eq(option(7, IOMMU_OPTION_OP_GET, 0, &v), -EOPNOTSUPP);
	ck_assert_int_eq(option(IOMMU_OPTION_RLIMIT_MODE, 2, 0, &v),
	    -EOPNOTSUPP);
	o.option_id = IOMMU_OPTION_RLIMIT_MODE;
	o.__reserved = 1;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_OPTION, &o), -EOPNOTSUPP);

	v = 1;
	ck_assert_int_eq(option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET,
	    0, &v), -EPERM);
	tcaller.caps |= CALLER_CAP_SYS_RESOURCE;
	test_ioas_new();
	ck_assert_int_eq(option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET,
	    0, &v), -EBUSY);

	/* A fresh context takes it; only val64 is written back. */
	um = tcaller.mem;
	c = tctx;
	tctx = test_ctx_new();
	tcaller.mem = um;
	tcaller.caps |= CALLER_CAP_SYS_RESOURCE;
	ck_assert_int_eq(option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET,
	    0, &v), 0);
	ck_assert_int_eq(option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET,
	    0, &v), 0);
	ck_assert_uint_eq(v, 1);
	v = 2;
	ck_assert_int_eq(option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET,
	    0, &v), -EINVAL);
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.option_id = IOMMU_OPTION_RLIMIT_MODE;
	o.op = IOMMU_OPTION_OP_GET;
	o.object_id = 0;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_OPTION, &o), 0);
	ck_assert_uint_eq(o.val64, 1);
	ck_assert_uint_eq(o.size, sizeof(o));
	ctx_free(tctx);
	tctx = c;
	tcaller.caps = 0;
}
END_TEST

static long
map_file(uint32_t ioas, uint32_t flags, int fd, uint64_t start, uint64_t len,
    uint64_t *iova)
{
	struct iommu_ioas_map_file	 m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas, .fd = fd,
		.start = start, .length = len,
		.iova = iova != NULL ? *iova : 0,
	};
	long				 rc;

	rc = test_ioctl(tctx, IOMMU_IOAS_MAP_FILE, &m);
	if (rc == 0 && iova != NULL)
		*iova = m.iova;
	return (rc);
}

static int
memfd(uint64_t size)
{
	int	 fd = memfd_create("check_ioas", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, size), 0);
	return (fd);
}

static long
change_process(void)
{
	struct iommu_ioas_change_process c = { .size = sizeof(c) };

	return (test_ioctl(tctx, IOMMU_IOAS_CHANGE_PROCESS, &c));
}

START_TEST(test_map_file)
{
	uint32_t	 id = test_ioas_new();
	uint64_t	 iova = 0;
	char		 path[64];
	int		 fd = memfd(4 * PAGE), closed, opath;

	ck_assert_int_eq(map_file(id, 1 << 3, fd, 0, PAGE, &iova),
	    -EOPNOTSUPP);
	ck_assert_int_eq(map_file(id, RW, fd, 0, UINT64_MAX, &iova),
	    -EOVERFLOW);
	ck_assert_int_eq(map_file(id, 0, fd, 0, PAGE, &iova), -EINVAL);
	ck_assert_int_eq(map_file(99, RW, fd, 0, PAGE, &iova), -ENOENT);
	ck_assert_int_eq(map_file(id, RW, -1, 0, PAGE, &iova), -EBADF);
	closed = dup(fd);
	close(closed);
	ck_assert_int_eq(map_file(id, RW, closed, 0, PAGE, &iova), -EBADF);
	/* fget() does not take an O_PATH descriptor; not even length 0. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	opath = open(path, O_PATH | O_CLOEXEC);
	ck_assert_int_ge(opath, 0);
	ck_assert_int_eq(map_file(id, RW, opath, 0, 0, &iova), -EBADF);
	ck_assert_int_eq(map_file(id, RW, opath, 0, PAGE, &iova), -EBADF);
	close(opath);
	ck_assert_int_eq(map_file(id, RW, fd, 0, 0, &iova), -EINVAL);
	ck_assert_int_eq(map_file(id, RW, fd, PAGE, 4 * PAGE, &iova),
	    -EINVAL);
	ck_assert_int_eq(map_file(id, RW, fd, UINT64_MAX - 1, 4, &iova),
	    -EINVAL);
	ck_assert_int_eq(map_file(id, RW, fd, 0, 4 * PAGE, &iova), 0);
	ck_assert_int_eq(map_file(id, RW, fd, PAGE + 2048, PAGE, &iova), 0);
	ck_assert_uint_eq(iova % PAGE, 2048);
	/* A truncated memfd holds nothing. */
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(map_file(id, RW, fd, 0, PAGE, &iova), -EINVAL);
	/* And pinning what was mapped before now fails too. */
	ck_assert_int_eq(iopt_add_pinner(iopt_of(id), &pinner), -EINVAL);
	close(fd);
	/* The daemon's own descriptors keep the areas alive. */
	ck_assert_int_eq(unmap(id, 0, UINT64_MAX, NULL), 0);
}
END_TEST

START_TEST(test_change_process)
{
	struct iommu_ioas_change_process c = { .size = sizeof(c),
	    .__reserved = 1 };
	struct ucaller	 saved;
	uint32_t	 id;
	uint64_t	 iova = 0, dst;
	int		 fd = memfd(4 * PAGE);

	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_CHANGE_PROCESS, &c),
	    -EOPNOTSUPP);
	/* Nothing to move: QEMU's capability probe. */
	ck_assert_int_eq(change_process(), 0);
	id = test_ioas_new();
	ck_assert_int_eq(change_process(), 0);
	ck_assert_int_eq(map(id, RW, buf, PAGE, &iova), 0);
	ck_assert_int_eq(change_process(), -EINVAL);
	ck_assert_int_eq(unmap(id, 0, UINT64_MAX, NULL), 0);

	/* File memory moves with its charge, here per process. */
	tctx->acct_mode = ACCT_MM;
	ck_assert_int_eq(map_file(id, RW, fd, 0, 4 * PAGE, &iova), 0);
	dst = 0;
	ck_assert_int_eq(copy(test_ioas_new(), id, RW, 4 * PAGE, &dst, iova), 0);
	ck_assert_int_eq(iopt_add_pinner(iopt_of(id), &pinner), 0);
	ck_assert_uint_eq(acct_mm_pages(getpid()), 4);
	saved = tcaller;
	tcaller.pid = getpid() + 100000;
	tcaller.mem = NULL;
	/* The new process cannot afford it: nothing moves. */
	tcaller.memlock_max = 2 * PAGE;
	ck_assert_int_eq(change_process(), -ENOMEM);
	ck_assert_uint_eq(acct_mm_pages(getpid()), 4);
	ck_assert_uint_eq(acct_mm_pages(tcaller.pid), 0);
	tcaller.memlock_max = 64 * PAGE;
	ck_assert_int_eq(change_process(), 0);
	ck_assert_uint_eq(acct_mm_pages(getpid()), 0);
	ck_assert_uint_eq(acct_mm_pages(tcaller.pid), 4);
	ck_assert_int_eq(change_process(), 0);
	ck_assert_uint_eq(acct_mm_pages(tcaller.pid), 4);
	iopt_remove_pinner(iopt_of(id), &pinner);
	ck_assert_uint_eq(acct_mm_pages(tcaller.pid), 0);
	tcaller = saved;
	close(fd);
}
END_TEST

START_TEST(test_pin)
{
	uint32_t	 id = test_ioas_new(), id2 = test_ioas_new();
	uint64_t	 iova = 0, iova2 = 0, out;
	uint8_t		*ro, *hole;

	ro = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	    0);
	ck_assert_ptr_ne(ro, MAP_FAILED);
	hole = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	ck_assert_ptr_ne(hole, MAP_FAILED);

	/* Lazy: nothing is checked or charged without a pinner. */
	ck_assert_int_eq(map(id, RW, hole, PAGE, &iova), 0);
	ck_assert_uint_eq(acct_user_pages(getuid()), 0);
	ck_assert_int_eq(iopt_add_pinner(iopt_of(id), &pinner), -EFAULT);
	ck_assert_int_eq(unmap(id, iova, PAGE, NULL), 0);

	/* The first pinner pins what is there. */
	ck_assert_int_eq(map(id, RW, buf, BUFSZ, &iova), 0);
	ck_assert_int_eq(iopt_add_pinner(iopt_of(id), &pinner), 0);
	ck_assert_uint_eq(acct_user_pages(getuid()), 16);
	/* With a pinner, MAP pins at once. */
	ck_assert_int_eq(map(id, RW, hole, PAGE, &iova2), -EFAULT);
	ck_assert_int_eq(map(id, RW, ro, PAGE, &iova2), -EFAULT);
	ck_assert_int_eq(map(id, IOMMU_IOAS_MAP_READABLE, ro, PAGE, &iova2),
	    0);
	ck_assert_int_eq(map(id, RW, (void *)8, PAGE, &iova2), -EFAULT);
	ck_assert_uint_eq(acct_user_pages(getuid()), 17);
	/* A half-unmapped range. */
	munmap(hole + PAGE, PAGE);
	ck_assert_int_eq(map(id, RW, ro + PAGE, 2 * PAGE, &iova2), -EFAULT);

	/* A writable copy of read-only pages is refused. */
	out = 0;
	ck_assert_int_eq(copy(id2, id, RW, PAGE, &out, iova2), -EPERM);
	ck_assert_int_eq(copy(id2, id, IOMMU_IOAS_MAP_READABLE, PAGE, &out,
	    iova2), 0);
	ck_assert_int_eq(unmap(id2, out, PAGE, NULL), 0);

	/* COPY shares: no new charge, even into a pinned IOAS. */
	ck_assert_int_eq(iopt_add_pinner(iopt_of(id2), &pinner2), 0);
	iova2 = 0;
	ck_assert_int_eq(copy(id2, id, RW, BUFSZ, &iova2, iova), 0);
	ck_assert_uint_eq(acct_user_pages(getuid()), 17);
	ck_assert_int_eq(unmap(id, 0, UINT64_MAX, &out), 0);
	ck_assert_uint_eq(out, BUFSZ + PAGE);
	/* The copy in id2 still holds the buffer's pin. */
	ck_assert_uint_eq(acct_user_pages(getuid()), 16);
	ck_assert_int_eq(unmap(id2, 0, UINT64_MAX, &out), 0);
	ck_assert_uint_eq(acct_user_pages(getuid()), 0);

	/* Over the limit: ENOMEM, nothing charged. */
	tcaller.memlock_max = 8 * PAGE;
	ck_assert_int_eq(map(id, RW, buf, 4 * PAGE, &iova), 0);
	ck_assert_int_eq(map(id, RW, buf, 5 * PAGE, &iova2), -ENOMEM);
	ck_assert_uint_eq(acct_user_pages(getuid()), 4);
	/* CAP_IPC_LOCK: counted, never refused. */
	tcaller.caps = CALLER_CAP_IPC_LOCK;
	ck_assert_int_eq(map(id, RW, buf, 5 * PAGE, &iova2), 0);
	ck_assert_uint_eq(acct_user_pages(getuid()), 9);
	tcaller.caps = 0;
	ck_assert_int_eq(unmap(id, iova, 4 * PAGE, NULL), 0);
	ck_assert_uint_eq(acct_user_pages(getuid()), 5);
	iopt_remove_pinner(iopt_of(id), &pinner);
	ck_assert_uint_eq(acct_user_pages(getuid()), 0);
	/*
	 * Re-adding with too little room: ENOMEM, and nothing stays. The
	 * limit is the one the caller had when it mapped.
	 */
	ck_assert_int_eq(map(id, RW, buf, 8 * PAGE, &iova), 0);
	ck_assert_int_eq(iopt_add_pinner(iopt_of(id), &pinner), -ENOMEM);
	ck_assert_uint_eq(acct_user_pages(getuid()), 0);
	/* The context's close returns the rest (checked in teardown). */
	ck_assert_int_eq(unmap(id, 0, UINT64_MAX, NULL), 0);
	tcaller.memlock_max = UINT64_MAX;
	ck_assert_int_eq(map(id, RW, buf, 8 * PAGE, &iova), 0);
	ck_assert_int_eq(iopt_add_pinner(iopt_of(id), &pinner), 0);
	ck_assert_uint_gt(acct_user_pages(getuid()), 0);
	munmap(ro, 2 * PAGE);
	munmap(hole, PAGE);
}
END_TEST

START_TEST(test_fork_gone)
{
	struct ucaller	 saved = tcaller;
	uint32_t	 id = test_ioas_new();
	uint64_t	 iova = 0;
	int		 p[2], st;
	pid_t		 pid;
	char		 c;

	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[1]);
		(void)read(p[0], &c, 1);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	close(p[0]);
	/* The child maps its copy of the buffer. */
	tcaller.pid = pid;
	ck_assert_int_eq(umem_open(pid, &tcaller.mem), 0);
	ck_assert_int_eq(map(id, RW, buf, BUFSZ, &iova), 0);
	umem_put(tcaller.mem);
	tcaller = saved;
	/* Then exits; a pinner arriving now finds its memory gone. */
	close(p[1]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(iopt_add_pinner(iopt_of(id), &pinner), -EFAULT);
	ck_assert_uint_eq(acct_user_pages(getuid()), 0);
	/* fork_present: the parent's own mapping pins. */
	ck_assert_int_eq(unmap(id, iova, BUFSZ, NULL), 0);
	ck_assert_int_eq(map(id, RW, buf, BUFSZ, &iova), 0);
	ck_assert_int_eq(iopt_add_pinner(iopt_of(id), &pinner), 0);
}
END_TEST

static Suite *
ioas_suite(void)
{
	Suite	*s = suite_create("ioas");
	TCase	*tc = tcase_create("ioas");

	tcase_add_checked_fixture(tc, ioas_setup, ioas_teardown);
	tcase_add_test(tc, test_alloc);
	tcase_add_test(tc, test_map_errors);
	tcase_add_test(tc, test_area);
	tcase_add_test(tc, test_unmap_partial_failure);
	tcase_add_test(tc, test_unmap_fully_contained);
	tcase_add_test(tc, test_area_auto_iova);
	tcase_add_test(tc, test_reserved_overflow);
	tcase_add_test(tc, test_area_allowed);
	tcase_add_test(tc, test_copy_area);
	tcase_add_test(tc, test_copy_sweep);
	tcase_add_test(tc, test_iova_ranges);
	tcase_add_test(tc, test_iova_alloc_bytes);
	tcase_add_test(tc, test_huge_pages_option);
	tcase_add_test(tc, test_rlimit_option);
	tcase_add_test(tc, test_map_file);
	tcase_add_test(tc, test_change_process);
	tcase_add_test(tc, test_pin);
	tcase_add_test(tc, test_fork_gone);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(ioas_suite)
