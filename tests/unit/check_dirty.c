/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Dirty tracking: the store (iommufd/dirty.h) on its own, its reading into
 * a caller's bitmap at every page size and alignment, and the commands
 * that use it (SET_DIRTY_TRACKING, GET_DIRTY_BITMAP, the selftest's DIRTY
 * op) with every errno of spec 4.4 and 8.1 in the kernel's order. The
 * domain is a paging HWPT built by hand over an IOAS that maps a buffer
 * of this process, with a test pinner giving the IOAS the mock's 2048
 * byte alignment. Ranges near 2^64 check that nothing walks an empty span
 * page by page: such a walk would not end within the test's timeout.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "core/ctx.h"
#include "core/inject.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "core/util.h"
#include "helpers.h"
#include "iommufd/dirty.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define IOCTL(cmd, arg)		test_ioctl(tctx, (cmd), (arg))

#define GRAN		2048ULL			/* the mock's smallest page */
#define BASE		(1ULL << 24)		/* the mock's aperture start */
#define BUFLEN		(1ULL << 20)		/* mapped at BASE */
#define NBITS		(BUFLEN / GRAN)

static int
test_bit(const uint8_t *bm, uint64_t i)
{
	return ((bm[i / 8] >> (i % 8)) & 1);
}

/* A ucmd on this process's memory, for dirty_read() without a command. */
static void
self_ucmd(struct ucmd *u)
{
	memset(u, 0, sizeof(*u));
	u->ctx = tctx;
	u->caller = &tcaller;
	u->uops = &uself_ops;
}

START_TEST(store_set_clear)
{
	struct dirty	 d;

	dirty_init(&d, GRAN);
	ck_assert_int_eq(dirty_set(&d, BASE, 4096), 0);
	ck_assert_uint_eq(dirty_count(&d, 0, UINT64_MAX), 2);
	ck_assert_uint_eq(d.nchunks, 1);
	/* A partial granule marks the whole granule. */
	ck_assert_int_eq(dirty_set(&d, BASE + 8192 + 100, 1), 0);
	ck_assert_uint_eq(dirty_count(&d, BASE + 8192, GRAN), 1);
	ck_assert_uint_eq(dirty_count(&d, 0, UINT64_MAX), 3);
	/* Setting again changes nothing; len 0 marks nothing. */
	ck_assert_int_eq(dirty_set(&d, BASE, GRAN), 0);
	ck_assert_int_eq(dirty_set(&d, BASE + 65536, 0), 0);
	ck_assert_uint_eq(dirty_count(&d, 0, UINT64_MAX), 3);
	/* Clearing takes only granules wholly inside the range. */
	dirty_clear(&d, BASE + 1, 4094);
	ck_assert_uint_eq(dirty_count(&d, 0, UINT64_MAX), 3);
	dirty_clear(&d, BASE, GRAN);
	ck_assert_uint_eq(dirty_count(&d, 0, UINT64_MAX), 2);
	dirty_clear(&d, 0, UINT64_MAX);
	ck_assert_uint_eq(dirty_count(&d, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(d.nchunks, 0);
	dirty_fini(&d);
}
END_TEST

START_TEST(store_sparse)
{
	struct dirty	 d;
	uint64_t	 top = UINT64_MAX - GRAN + 1;

	dirty_init(&d, GRAN);
	/* The lowest and the highest granule: two chunks, nothing between. */
	ck_assert_int_eq(dirty_set(&d, 0, 1), 0);
	ck_assert_int_eq(dirty_set(&d, top, GRAN), 0);
	ck_assert_uint_eq(d.nchunks, 2);
	ck_assert_uint_eq(dirty_count(&d, 0, UINT64_MAX), 1);
	ck_assert_uint_eq(dirty_count(&d, top, GRAN), 1);
	ck_assert_uint_eq(dirty_total(&d), 2);
	ck_assert_uint_eq(dirty_count(&d, GRAN, top - GRAN), 0);
	/* A range wrapping past 2^64 is taken up to the top. */
	ck_assert_int_eq(dirty_set(&d, top - GRAN, 4 * GRAN), 0);
	ck_assert_uint_eq(dirty_count(&d, top - GRAN, 2 * GRAN), 2);
	/* Prepared chunks hold nothing and go with the next clear. */
	ck_assert_int_eq(dirty_prepare(&d, 1ULL << 40, 1ULL << 30), 0);
	ck_assert_uint_eq(d.nchunks, 2 + (1ULL << 30) / GRAN /
	    DIRTY_CHUNK_GRANULES);
	ck_assert_uint_eq(dirty_count(&d, 1ULL << 40, 1ULL << 30), 0);
	dirty_clear(&d, GRAN, top - GRAN);
	ck_assert_uint_eq(d.nchunks, 2);
	dirty_fini(&d);
	ck_assert_uint_eq(d.nchunks, 0);
	ck_assert_uint_eq(dirty_count(&d, 0, UINT64_MAX), 0);
}
END_TEST

/* Which IOPTE a run's page holds, as the kernel splits a run. */
START_TEST(iopte_fit)
{
	uint64_t	 ps = GRAN | 4096 | (1ULL << 20), s, l, m = 1ULL << 20;

	/* Aligned memory: the 1 MiB page. */
	dirty_iopte_fit(ps, UINT64_MAX, BASE, BASE + 2 * m - 1, 0,
	    BASE + 5000, &s, &l);
	ck_assert_uint_eq(s, BASE);
	ck_assert_uint_eq(l, m);
	/* Memory only 4 KiB aligned to the IOVA, or a 4 KiB limit. */
	dirty_iopte_fit(ps, UINT64_MAX, BASE, BASE + 2 * m - 1, 4096,
	    BASE + 5000, &s, &l);
	ck_assert_uint_eq(s, BASE + 4096);
	ck_assert_uint_eq(l, 4096);
	dirty_iopte_fit(ps, 4096, BASE, BASE + 2 * m - 1, 0, BASE + 5000, &s,
	    &l);
	ck_assert_uint_eq(l, 4096);
	/* A run starting mid-page: its head is in small pages. */
	dirty_iopte_fit(ps, UINT64_MAX, BASE + GRAN, BASE + m - 1, 0,
	    BASE + GRAN + 10, &s, &l);
	ck_assert_uint_eq(s, BASE + GRAN);
	ck_assert_uint_eq(l, GRAN);
	/* Its tail too. */
	dirty_iopte_fit(ps, UINT64_MAX, BASE, BASE + m + 4096 - 1, 0,
	    BASE + m + 100, &s, &l);
	ck_assert_uint_eq(s, BASE + m);
	ck_assert_uint_eq(l, 4096);
	/* At the top of the IOVA space. */
	dirty_iopte_fit(ps, UINT64_MAX, UINT64_MAX - m + 1, UINT64_MAX, 0,
	    UINT64_MAX - 5, &s, &l);
	ck_assert_uint_eq(s, UINT64_MAX - m + 1);
	ck_assert_uint_eq(l, m);
	/* Nothing fits: the smallest page's block. */
	dirty_iopte_fit(4096, UINT64_MAX, BASE + GRAN, BASE + 3 * GRAN - 1, 0,
	    BASE + GRAN, &s, &l);
	ck_assert_uint_eq(s, BASE);
	ck_assert_uint_eq(l, 4096);
}
END_TEST

/* A store with 4096-byte IOPTEs dirty every other one over NBITS granules. */
static void
store_pairs(struct dirty *d)
{
	uint64_t	 i;

	dirty_init(d, GRAN);
	for (i = 0; i < NBITS; i += 4)
		ck_assert_int_eq(dirty_set(d, BASE + i * GRAN, 2 * GRAN), 0);
}

START_TEST(read_page_sizes)
{
	struct dirty	 d;
	struct ucmd	 u;
	uint8_t		*bm;
	uint64_t	 i;

	self_ucmd(&u);
	store_pairs(&d);
	bm = calloc(1, NBITS / 4);
	/* At the granule: bits 0 and 1 of every 4. */
	ck_assert_int_eq(dirty_read(&d, &u, BASE, BUFLEN, GRAN,
	    (uintptr_t)bm), 0);
	for (i = 0; i < NBITS; i++)
		ck_assert_int_eq(test_bit(bm, i), (i % 4) < 2);
	/* At the IOPTE size: every other bit. */
	memset(bm, 0, NBITS / 4);
	ck_assert_int_eq(dirty_read(&d, &u, BASE, BUFLEN, 2 * GRAN,
	    (uintptr_t)bm), 0);
	for (i = 0; i < NBITS / 2; i++)
		ck_assert_int_eq(test_bit(bm, i), (i % 2) == 0);
	/* Larger pages than IOPTEs: any dirty IOPTE under one sets it. */
	memset(bm, 0, NBITS / 4);
	ck_assert_int_eq(dirty_read(&d, &u, BASE, BUFLEN, 16 * GRAN,
	    (uintptr_t)bm), 0);
	for (i = 0; i < NBITS / 16; i++)
		ck_assert_int_eq(test_bit(bm, i), 1);
	ck_assert_int_eq(test_bit(bm, NBITS / 16), 0);
	/* Smaller pages than granules: each granule is two bits. */
	memset(bm, 0, NBITS / 4);
	ck_assert_int_eq(dirty_read(&d, &u, BASE, BUFLEN / 2, GRAN / 2,
	    (uintptr_t)bm), 0);
	for (i = 0; i < NBITS; i++)
		ck_assert_int_eq(test_bit(bm, i), (i % 8) < 4);
	/* Reading changes nothing in the store. */
	ck_assert_uint_eq(dirty_count(&d, 0, UINT64_MAX), NBITS / 2);
	free(bm);
	dirty_fini(&d);
}
END_TEST

START_TEST(read_or_unaligned)
{
	struct dirty	 d;
	struct ucmd	 u;
	uint8_t		*buf, *bm, canary[64];
	uint64_t	 i, n = NBITS / 8;

	self_ucmd(&u);
	store_pairs(&d);
	buf = malloc(n + 0x2000);
	memset(buf, 0x5a, n + 0x2000);
	bm = buf + 0xff1;
	memset(bm, 0, n);
	/* Bits the caller had set stay set: the read only ORs. */
	bm[0] = 0x80;
	bm[n - 1] = 0x40;
	memcpy(canary, bm + n, sizeof(canary));
	ck_assert_int_eq(dirty_read(&d, &u, BASE, BUFLEN, GRAN,
	    (uintptr_t)bm), 0);
	for (i = 0; i < NBITS; i++)
		ck_assert_int_eq(test_bit(bm, i), (i % 4) < 2 || i == 7 ||
		    i == NBITS - 2);
	/* Nothing before or after the bitmap was touched. */
	ck_assert_uint_eq(bm[-1], 0x5a);
	ck_assert_mem_eq(bm + n, canary, sizeof(canary));
	/* A subrange lands at bit 0 of the bitmap. */
	memset(bm, 0, n);
	ck_assert_int_eq(dirty_read(&d, &u, BASE + 2 * GRAN, 8 * GRAN, GRAN,
	    (uintptr_t)bm), 0);
	ck_assert_uint_eq(bm[0], 0xcc);
	ck_assert_uint_eq(bm[1], 0);
	free(buf);
	dirty_fini(&d);
}
END_TEST

/*
 * Against a plain reference: a random quarter of 20000 granules dirty,
 * read at offsets that start mid-word and mid-byte and at page sizes
 * below, at and above the granule.
 */
START_TEST(read_reference)
{
	static const uint64_t	 offs[] = { 0, 1, 3, 8, 63, 64, 65, 4095,
				    4096, 4097, 8190 };
	static const uint64_t	 sizes[] = { GRAN / 2, GRAN, 2 * GRAN,
				    8 * GRAN };
	struct dirty		 d;
	struct ucmd		 u;
	uint8_t			*ref, *bm;
	uint64_t		 ng = 20000, i, o, z, len, ps, nb, g;
	unsigned int		 seed = 7, want;

	self_ucmd(&u);
	dirty_init(&d, GRAN);
	ref = calloc(1, ng);
	for (i = 0; i < ng; i++) {
		if ((rand_r(&seed) & 3) == 0) {
			ref[i] = 1;
			ck_assert_int_eq(dirty_set(&d, BASE + i * GRAN, GRAN),
			    0);
		}
	}
	bm = malloc(ng * 2 / 8 + 16);
	for (o = 0; o < nitems(offs); o++) {
		for (z = 0; z < nitems(sizes); z++) {
			ps = sizes[z];
			if ((offs[o] * GRAN) % ps != 0)
				continue;
			len = (ng - offs[o]) * GRAN / ps * ps - 3 * ps;
			nb = len / ps;
			memset(bm, 0, ng * 2 / 8 + 16);
			ck_assert_int_eq(dirty_read(&d, &u,
			    BASE + offs[o] * GRAN, len, ps, (uintptr_t)bm),
			    0);
			for (i = 0; i < nb + 16; i++) {
				want = 0;
				for (g = (offs[o] * GRAN + i * ps) / GRAN;
				    i < nb && g * GRAN < offs[o] * GRAN +
				    (i + 1) * ps; g++)
					want |= ref[g];
				ck_assert_msg(test_bit(bm, i) == (int)want,
				    "off %llu ps %llu bit %llu",
				    (unsigned long long)offs[o],
				    (unsigned long long)ps,
				    (unsigned long long)i);
			}
		}
	}
	free(bm);
	free(ref);
	dirty_fini(&d);
}
END_TEST

/* A range whose bitmap is larger than the reader's window, all dirty. */
START_TEST(read_window)
{
	struct dirty	 d;
	struct ucmd	 u;
	uint64_t	 len = 3ULL << 30, n = len / GRAN / 8;
	uint8_t		*bm, *ones;

	self_ucmd(&u);
	dirty_init(&d, GRAN);
	ck_assert_int_eq(dirty_set(&d, BASE, len), 0);
	bm = calloc(1, n + 1);
	ones = malloc(n);
	memset(ones, 0xff, n);
	ck_assert_int_eq(dirty_read(&d, &u, BASE, len, GRAN,
	    (uintptr_t)bm + 1), 0);
	ck_assert_uint_eq(bm[0], 0);
	ck_assert_mem_eq(bm + 1, ones, n);
	/* The same by runs, at half the granule: twice the bytes. */
	free(bm);
	free(ones);
	bm = calloc(1, 2 * n + 1);
	ones = malloc(2 * n);
	memset(ones, 0xff, 2 * n);
	ck_assert_int_eq(dirty_read(&d, &u, BASE, len, GRAN / 2,
	    (uintptr_t)bm + 1), 0);
	ck_assert_uint_eq(bm[0], 0);
	ck_assert_mem_eq(bm + 1, ones, 2 * n);
	free(bm);
	free(ones);
	dirty_fini(&d);
}
END_TEST

/*
 * Nothing dirty in a range of 2^63 bytes: no bitmap byte is touched (the
 * pointer is not even valid) and the reading does not walk the span.
 */
START_TEST(read_huge_empty)
{
	struct dirty	 d;
	struct ucmd	 u;
	uint8_t		*bm;

	self_ucmd(&u);
	dirty_init(&d, 4096);
	ck_assert_int_eq(dirty_read(&d, &u, 0, 1ULL << 63, 4096, 8), 0);
	/* Two dirty pages 2^36 apart: two bytes 2 MiB apart are written. */
	ck_assert_int_eq(dirty_set(&d, 4096, 4096), 0);
	ck_assert_int_eq(dirty_set(&d, 1ULL << 36, 4096), 0);
	bm = calloc(1, (2 << 20) + 1);
	ck_assert_int_eq(dirty_read(&d, &u, 0, 1ULL << 63, 4096,
	    (uintptr_t)bm), 0);
	ck_assert_uint_eq(bm[0], 2);
	ck_assert_uint_eq(bm[2 << 20], 1);
	/* A bitmap the caller cannot read: EFAULT, the store unchanged. */
	ck_assert_int_eq(dirty_read(&d, &u, 0, 1ULL << 63, 4096, 8),
	    -EFAULT);
	ck_assert_uint_eq(dirty_count(&d, 0, UINT64_MAX), 2);
	free(bm);
	dirty_fini(&d);
}
END_TEST

/* The commands: an IOAS mapping buf at BASE and a dirty-tracking HWPT. */
static struct iopt_pinner	 pinner = { .alignment = GRAN };
static uint8_t			*buf;
static struct hwpt_paging	*hwpt;
static struct obj		*ioas;

static void
cmd_setup(void)
{
	struct iommu_ioas_map	 m;

	test_setup();
	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
	ioas = test_obj_new(OBJ_IOAS);
	ck_assert_int_eq(iopt_add_pinner(ioas_iopt(ioas), &pinner), 0);
	buf = mmap(NULL, BUFLEN, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(buf, MAP_FAILED);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	m.ioas_id = ioas->id;
	m.user_va = (uintptr_t)buf;
	m.length = BUFLEN;
	m.iova = BASE;
	ck_assert_int_eq(IOCTL(IOMMU_IOAS_MAP, &m), 0);
	hwpt = container_of(test_obj_new(OBJ_HWPT_PAGING), struct hwpt_paging,
	    obj);
	hwpt->ioas = ioas;
	obj_hold(ioas);
	hwpt->flags = HWPT_F_DIRTY;
	ck_assert_int_eq(dirty_new(GRAN, &hwpt->dirty), 0);
}

static void
cmd_teardown(void)
{
	struct iommu_destroy	 c = { .size = sizeof(c) };

	c.id = hwpt->obj.id;
	ck_assert_int_eq(IOCTL(IOMMU_DESTROY, &c), 0);
	iopt_remove_pinner(ioas_iopt(ioas), &pinner);
	test_teardown();
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
	munmap(buf, BUFLEN);
}

static long
set_tracking(uint32_t id, int on)
{
	struct iommu_hwpt_set_dirty_tracking	 s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.hwpt_id = id;
	s.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0;
	return (IOCTL(IOMMU_HWPT_SET_DIRTY_TRACKING, &s));
}

static void
get_init(struct iommu_hwpt_get_dirty_bitmap *g, void *bm)
{
	memset(g, 0, sizeof(*g));
	g->size = sizeof(*g);
	g->hwpt_id = hwpt->obj.id;
	g->iova = BASE;
	g->length = BUFLEN;
	g->page_size = GRAN;
	g->data = (uintptr_t)bm;
}

START_TEST(set_tracking_errnos)
{
	struct iommu_hwpt_set_dirty_tracking	 s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.hwpt_id = hwpt->obj.id;
	s.flags = 2;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_SET_DIRTY_TRACKING, &s),
	    -EOPNOTSUPP);
	s.flags = 0;
	s.__reserved = 1;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_SET_DIRTY_TRACKING, &s),
	    -EOPNOTSUPP);
	ck_assert_int_eq(set_tracking(ioas->id, 1), -ENOENT);
	ck_assert_int_eq(set_tracking(hwpt->obj.id + 100, 1), -ENOENT);
	/* Repeating a state is fine. */
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	ck_assert_int_eq(hwpt->dirty->tracking, 1);
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 0), 0);
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 0), 0);
	ck_assert_int_eq(hwpt->dirty->tracking, 0);
	/* A HWPT made without DIRTY_TRACKING has no dirty ops. */
	hwpt->flags = 0;
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), -EOPNOTSUPP);
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 0), -EOPNOTSUPP);
	hwpt->flags = HWPT_F_DIRTY;
}
END_TEST

START_TEST(enable_clears)
{
	uint8_t					 bm[NBITS / 8];
	struct iommu_hwpt_get_dirty_bitmap	 g;

	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	ck_assert_int_eq(dirty_set(hwpt->dirty, BASE, 4 * GRAN), 0);
	/* Disabling keeps the bits... */
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 0), 0);
	ck_assert_uint_eq(dirty_count(hwpt->dirty, 0, UINT64_MAX), 4);
	/* ...enabling, even again, starts from clean. */
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	ck_assert_uint_eq(dirty_count(hwpt->dirty, 0, UINT64_MAX), 0);
	ck_assert_int_eq(dirty_set(hwpt->dirty, BASE, 4 * GRAN), 0);
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	ck_assert_uint_eq(dirty_count(hwpt->dirty, 0, UINT64_MAX), 0);
	memset(bm, 0, sizeof(bm));
	get_init(&g, bm);
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	ck_assert_uint_eq(bm[0], 0);
}
END_TEST

START_TEST(get_errnos)
{
	uint8_t					 bm[NBITS / 8];
	struct iommu_hwpt_get_dirty_bitmap	 g;

	memset(bm, 0, sizeof(bm));
	get_init(&g, bm);
	g.flags = 2;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
	g.flags = 0;
	g.__reserved = 1;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
	g.__reserved = 0;
	g.hwpt_id = ioas->id;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -ENOENT);
	g.hwpt_id = hwpt->obj.id;

	g.length = 0;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	g.length = UINT64_MAX - BASE + 2;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOVERFLOW);
	/* The IOAS alignment (2048) before page_size. */
	g.length = BUFLEN;
	g.iova = BASE + 1024;
	g.page_size = 1024;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	g.iova = BASE;
	g.length = BUFLEN - 1024;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	g.length = BUFLEN;
	g.page_size = 0;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	/* iova and the end must be multiples of page_size. */
	g.page_size = 1ULL << 20;
	g.iova = BASE + GRAN;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	g.iova = BASE;
	g.length = BUFLEN / 2;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	g.length = BUFLEN;
	g.page_size = GRAN;

	/* No dirty ops: EOPNOTSUPP, but only after the range checks. */
	hwpt->flags = 0;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EOPNOTSUPP);
	g.page_size = 0;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	g.page_size = GRAN;
	hwpt->flags = HWPT_F_DIRTY;

	/* Tracking off: EINVAL (the mock's answer). */
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);

	/* Holes: past the mapping, before it, and a huge span. */
	g.length = BUFLEN + GRAN;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	g.iova = BASE - GRAN;
	g.length = 2 * GRAN;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
	g.iova = 0;
	g.length = 1ULL << 63;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
}
END_TEST

START_TEST(get_clear_and_no_clear)
{
	uint8_t					 bm[NBITS / 8];
	struct iommu_hwpt_get_dirty_bitmap	 g;

	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	ck_assert_int_eq(dirty_set(hwpt->dirty, BASE + 2 * GRAN, 2 * GRAN), 0);
	memset(bm, 0, sizeof(bm));
	get_init(&g, bm);
	g.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	ck_assert_uint_eq(bm[0], 0x0c);
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	ck_assert_uint_eq(bm[0], 0x0c);
	/* Without NO_CLEAR: read once, then clean. */
	g.flags = 0;
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	ck_assert_uint_eq(bm[0], 0x0c);
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	ck_assert_uint_eq(bm[0], 0);
	ck_assert_uint_eq(hwpt->dirty->nchunks, 0);

	/* A subrange clears only itself. */
	ck_assert_int_eq(dirty_set(hwpt->dirty, BASE, 8 * GRAN), 0);
	g.iova = BASE + 4 * GRAN;
	g.length = 2 * GRAN;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	ck_assert_uint_eq(bm[0], 0x03);
	ck_assert_uint_eq(dirty_count(hwpt->dirty, 0, UINT64_MAX), 6);

	/* A 4 KiB page_size not a power of two counts as its lowest bit. */
	memset(bm, 0, sizeof(bm));
	g.iova = BASE;
	g.length = 3 * 4096 * 4;
	g.page_size = 3 * 4096;
	g.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	ck_assert_uint_eq(bm[0], 0x0b);
	ck_assert_uint_eq(bm[1], 0);
}
END_TEST

/* A bitmap that cannot be read: EFAULT and the bits stay. */
START_TEST(get_efault_keeps)
{
	struct iommu_hwpt_get_dirty_bitmap	 g;
	void					*ro;

	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	ck_assert_int_eq(dirty_set(hwpt->dirty, BASE, 4 * GRAN), 0);
	get_init(&g, (void *)8);
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EFAULT);
	ck_assert_uint_eq(dirty_count(hwpt->dirty, 0, UINT64_MAX), 4);
	/* Readable but not writable: EFAULT too, still nothing cleared. */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(ro, MAP_FAILED);
	g.data = (uintptr_t)ro;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EFAULT);
	ck_assert_uint_eq(dirty_count(hwpt->dirty, 0, UINT64_MAX), 4);
	munmap(ro, 4096);
}
END_TEST

/*
 * The CUSE invariant (core/ioctl.h): a run that ends at a failed read
 * leaves the store as it was. Reads fail from the nth on.
 */
static int	 probe_reads;

static int
probe_read(void *priv, uint64_t uaddr, void *b, size_t len)
{
	if (probe_reads-- <= 0)
		return (-EFAULT);
	return (uself_ops.read(priv, uaddr, b, len));
}

static int
probe_write(void *priv, uint64_t uaddr, const void *b, size_t len)
{
	return (uself_ops.write(priv, uaddr, b, len));
}

static const struct uaccess_ops probe_ops = {
	.read = probe_read,
	.write = probe_write,
};

static long
probe_ioctl(unsigned int cmd, void *arg, int nreads)
{
	struct ucmd	 u;

	memset(&u, 0, sizeof(u));
	u.ctx = tctx;
	u.cmd = cmd;
	u.arg = (uintptr_t)arg;
	u.caller = &tcaller;
	u.uops = &probe_ops;
	probe_reads = nreads;
	return (dispatch(&u));
}

START_TEST(get_probe_rounds)
{
	uint8_t					 bm[NBITS / 8];
	struct iommu_hwpt_get_dirty_bitmap	 g;
	int					 n;
	long					 rc;

	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	ck_assert_int_eq(dirty_set(hwpt->dirty, BASE, BUFLEN), 0);
	memset(bm, 0, sizeof(bm));
	get_init(&g, bm);
	for (n = 0; ; n++) {
		rc = probe_ioctl(IOMMU_HWPT_GET_DIRTY_BITMAP, &g, n);
		if (rc == 0)
			break;
		ck_assert_int_eq(rc, -EFAULT);
		ck_assert_uint_eq(dirty_total(hwpt->dirty), NBITS);
		ck_assert_int_lt(n, 16);
	}
	ck_assert_int_ge(n, 2);		/* the struct, then the bitmap */
	ck_assert_uint_eq(dirty_total(hwpt->dirty), 0);
	ck_assert_uint_eq(bm[0], 0xff);
	ck_assert_uint_eq(bm[NBITS / 8 - 1], 0xff);
}
END_TEST

START_TEST(selftest_dirty_probe_rounds)
{
	struct iommu_test_cmd	 c;
	uint64_t		 bm[NBITS / 64];
	int			 n;
	long			 rc;

	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	memset(bm, 0xff, sizeof(bm));
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_DIRTY;
	c.id = hwpt->obj.id;
	c.dirty.iova = BASE;
	c.dirty.length = BUFLEN;
	c.dirty.page_size = GRAN;
	c.dirty.uptr = (uintptr_t)bm;
	for (n = 0; ; n++) {
		rc = probe_ioctl(IOMMU_TEST_CMD, &c, n);
		if (rc == 0)
			break;
		ck_assert_int_eq(rc, -EFAULT);
		ck_assert_uint_eq(dirty_total(hwpt->dirty), 0);
		ck_assert_int_lt(n, 16);
	}
	ck_assert_int_ge(n, 2);
	ck_assert_uint_eq(c.dirty.out_nr_dirty, NBITS);
	ck_assert_uint_eq(dirty_total(hwpt->dirty), NBITS);
}
END_TEST

START_TEST(describe_dirty)
{
	json_t	*o;

	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	ck_assert_int_eq(dirty_set(hwpt->dirty, BASE, 3 * GRAN), 0);
	ck_assert_int_eq(obj_describe(&hwpt->obj, &o), 0);
	ck_assert(json_is_true(json_object_get(o, "dirty_tracking")));
	ck_assert_int_eq(json_integer_value(json_object_get(o,
	    "dirty_granules")), 3);
	json_decref(o);
}
END_TEST

/*
 * Allocation failures (core/inject.h): each allocation point of a read
 * and of the DIRTY op fails in turn, answering ENOMEM with the store
 * unchanged, until a run reaches no more points.
 */
START_TEST(inject_sweep)
{
	uint8_t					 bm[NBITS / 8];
	struct iommu_hwpt_get_dirty_bitmap	 g;
	struct iommu_test_cmd			 c;
	unsigned int				 n;
	long					 rc;

	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	ck_assert_int_eq(dirty_set(hwpt->dirty, BASE, 4 * GRAN), 0);
	memset(bm, 0, sizeof(bm));
	get_init(&g, bm);
	for (n = 1; ; n++) {
		inject_arm(n);
		rc = IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
		if (inject_left != 0) {
			inject_arm(0);
			break;
		}
		ck_assert_int_eq(rc, -ENOMEM);
		ck_assert_uint_eq(dirty_total(hwpt->dirty), 4);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_ge(n, 2);
	ck_assert_uint_eq(dirty_total(hwpt->dirty), 0);
	ck_assert_uint_eq(bm[0], 0x0f);

	/* DIRTY over granules in chunks that do not exist yet. */
	memset(bm, 0xff, sizeof(bm));
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_DIRTY;
	c.id = hwpt->obj.id;
	c.dirty.iova = BASE;
	c.dirty.length = BUFLEN;
	c.dirty.page_size = GRAN;
	c.dirty.uptr = (uintptr_t)bm;
	for (n = 1; ; n++) {
		inject_arm(n);
		rc = IOCTL(IOMMU_TEST_CMD, &c);
		if (inject_left != 0) {
			inject_arm(0);
			break;
		}
		ck_assert_int_eq(rc, -ENOMEM);
		ck_assert_uint_eq(dirty_total(hwpt->dirty), 0);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_ge(n, 2);
	ck_assert_uint_eq(dirty_total(hwpt->dirty), NBITS);
}
END_TEST

static long
test_dirty(uint32_t id, uint64_t iova, uint64_t len, uint64_t ps,
    const void *bm, uint64_t *out)
{
	struct iommu_test_cmd	 c;
	long			 rc;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_DIRTY;
	c.id = id;
	c.dirty.iova = iova;
	c.dirty.length = len;
	c.dirty.page_size = ps;
	c.dirty.uptr = (uintptr_t)bm;
	c.dirty.out_nr_dirty = 12345;
	rc = IOCTL(IOMMU_TEST_CMD, &c);
	if (out != NULL)
		*out = c.dirty.out_nr_dirty;
	return (rc);
}

START_TEST(selftest_dirty_errnos)
{
	uint64_t	 bm[NBITS / 64], n;

	memset(bm, 0, sizeof(bm));
	bm[0] = 1;
	ck_assert_int_eq(test_dirty(hwpt->obj.id, BASE, BUFLEN, 0, bm, NULL),
	    -EINVAL);
	ck_assert_int_eq(test_dirty(hwpt->obj.id, BASE, 0, GRAN, bm, NULL),
	    -EINVAL);
	ck_assert_int_eq(test_dirty(hwpt->obj.id, BASE + 1, BUFLEN, GRAN, bm,
	    NULL), -EINVAL);
	ck_assert_int_eq(test_dirty(hwpt->obj.id, BASE, BUFLEN + 1, GRAN, bm,
	    NULL), -EINVAL);
	ck_assert_int_eq(test_dirty(hwpt->obj.id, BASE, BUFLEN, GRAN, NULL,
	    NULL), -EINVAL);
	/* More than 16 MiB of bitmap, before the lookup. */
	ck_assert_int_eq(test_dirty(999, 0, (16ULL << 23) * GRAN + GRAN, GRAN,
	    bm, NULL), -EOVERFLOW);
	ck_assert_int_eq(test_dirty(999, BASE, BUFLEN, GRAN, bm, NULL),
	    -ENOENT);
	ck_assert_int_eq(test_dirty(ioas->id, BASE, BUFLEN, GRAN, bm, NULL),
	    -ENOENT);
	/* Tracking off, or no dirty ops: EINVAL. */
	ck_assert_int_eq(test_dirty(hwpt->obj.id, BASE, BUFLEN, GRAN, bm,
	    NULL), -EINVAL);
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	hwpt->flags = 0;
	ck_assert_int_eq(test_dirty(hwpt->obj.id, BASE, BUFLEN, GRAN, bm,
	    NULL), -EINVAL);
	hwpt->flags = HWPT_F_DIRTY;
	ck_assert_int_eq(test_dirty(hwpt->obj.id, BASE, BUFLEN, GRAN,
	    (void *)8, NULL), -EFAULT);
	ck_assert_uint_eq(dirty_count(hwpt->dirty, 0, UINT64_MAX), 0);
	ck_assert_int_eq(test_dirty(hwpt->obj.id, BASE, BUFLEN, GRAN, bm, &n),
	    0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(dirty_count(hwpt->dirty, 0, UINT64_MAX), 1);
}
END_TEST

/* The selftest's own check: every other IOPTE, at two IOPTE sizes. */
static int
iopte_4k(void *arg __unused, uint64_t iova, uint64_t *start, uint64_t *len)
{
	if (iova < BASE || iova >= BASE + BUFLEN)
		return (-ENOENT);
	*start = iova & ~4095ULL;
	*len = 4096;
	return (0);
}

static int
iopte_1m(void *arg __unused, uint64_t iova, uint64_t *start, uint64_t *len)
{
	if (iova < BASE || iova >= BASE + BUFLEN)
		return (-ENOENT);
	*start = BASE;
	*len = BUFLEN;
	return (0);
}

START_TEST(selftest_dirty_roundtrip)
{
	uint64_t				 bm[NBITS / 64], i, n;
	struct iommu_hwpt_get_dirty_bitmap	 g;
	uint8_t					*b = (uint8_t *)bm;

	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	hwpt->dirty->iopte = iopte_4k;
	/* One bit in every 4 (every other 4 KiB IOPTE). */
	memset(bm, 0, sizeof(bm));
	for (i = 0; i < NBITS; i += 4)
		b[i / 8] |= 1u << (i % 8);
	ck_assert_int_eq(test_dirty(hwpt->obj.id, BASE, BUFLEN, GRAN, bm, &n),
	    0);
	ck_assert_uint_eq(n, NBITS / 4);
	memset(bm, 0, sizeof(bm));
	get_init(&g, b);
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	for (i = 0; i < NBITS; i++)
		ck_assert_int_eq(test_bit(b, i), (i % 4) < 2);
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	for (i = 0; i < NBITS / 64; i++)
		ck_assert_uint_eq(bm[i], 0);
	/* Bits over unmapped IOVA count but mark nothing. */
	bm[0] = UINT64_MAX;
	ck_assert_int_eq(test_dirty(hwpt->obj.id, BASE - 32 * GRAN, 64 * GRAN,
	    GRAN, bm, &n), 0);
	ck_assert_uint_eq(n, 64);
	ck_assert_uint_eq(dirty_count(hwpt->dirty, 0, UINT64_MAX), 32);
	hwpt->dirty->iopte = NULL;
}
END_TEST

/*
 * 16 MiB of bitmap, every bit set, over 256 GiB of which 1 MiB is
 * mapped: every bit counts, only the mapped IOPTEs are marked, and the
 * walk jumps the holes instead of stepping through 2^27 bits.
 */
START_TEST(selftest_dirty_sparse_walk)
{
	uint64_t	*bm, nbits = 16ULL << 23, n;
	size_t		 sz = nbits / 8;

	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	bm = malloc(sz);
	memset(bm, 0xff, sz);
	ck_assert_int_eq(test_dirty(hwpt->obj.id, 0, nbits * GRAN, GRAN, bm,
	    &n), 0);
	ck_assert_uint_eq(n, nbits);
	ck_assert_uint_eq(dirty_total(hwpt->dirty), NBITS);
	/* One bit too many: EOVERFLOW. */
	ck_assert_int_eq(test_dirty(hwpt->obj.id, 0, (nbits + 1) * GRAN, GRAN,
	    bm, &n), -EOVERFLOW);
	/* With 1 MiB IOPTEs, one bit marks all of one. */
	ck_assert_int_eq(set_tracking(hwpt->obj.id, 1), 0);
	hwpt->dirty->iopte = iopte_1m;
	memset(bm, 0, sz);
	bm[(BASE + BUFLEN / 2) / GRAN / 64] = 1;
	ck_assert_int_eq(test_dirty(hwpt->obj.id, 0, nbits * GRAN, GRAN, bm,
	    &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(dirty_total(hwpt->dirty), NBITS);
	hwpt->dirty->iopte = NULL;
	free(bm);
}
END_TEST

/*
 * A HWPT given its store by hwpt_paging_dirty_init(): IOPTEs come from
 * the IOAS's areas and page sizes, here 4 KiB ones (huge pages off).
 */
START_TEST(hwpt_dirty_init)
{
	struct hwpt_paging	*h;
	uint64_t		 bm[NBITS / 64], n;

	h = container_of(test_obj_new(OBJ_HWPT_PAGING), struct hwpt_paging,
	    obj);
	h->ioas = ioas;
	obj_hold(ioas);
	ck_assert_int_eq(hwpt_paging_dirty_init(h), -EINVAL);
	ck_assert_ptr_null(h->dirty);
	h->pgsize_bitmap = GRAN | 4096 | (1ULL << 20);
	ck_assert_int_eq(hwpt_paging_dirty_init(h), 0);
	ck_assert(h->flags & HWPT_F_DIRTY);
	ck_assert_int_eq(set_tracking(h->obj.id, 1), 0);
	ioas_iopt(ioas)->disable_huge = 1;
	memset(bm, 0, sizeof(bm));
	bm[0] = 1ULL << 5;
	ck_assert_int_eq(test_dirty(h->obj.id, BASE, BUFLEN, GRAN, bm, &n), 0);
	ioas_iopt(ioas)->disable_huge = 0;
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(dirty_total(h->dirty), 2);
	ck_assert_uint_eq(dirty_count(h->dirty, BASE + 4 * GRAN, 2 * GRAN), 2);
}
END_TEST

/*
 * The whole path on a mock device: HWPT_ALLOC with DIRTY_TRACKING (7.3's
 * SELFTEST data, default page table, huge pages off) gives 4 KiB IOPTEs,
 * DIRTY marks them, GET_DIRTY_BITMAP reads them, and an IOAS unmap takes
 * the bits of what it unmaps.
 */
START_TEST(mock_device_path)
{
	struct iommu_test_cmd			 t;
	struct iommu_hwpt_alloc			 h;
	struct iommu_hwpt_selftest		 sel;
	struct iommu_hwpt_get_dirty_bitmap	 g;
	struct iommu_ioas_unmap			 un;
	struct iommu_option			 o;
	struct hwpt_paging			*p;
	uint64_t				 bm[NBITS / 64], n;
	uint8_t					*b = (uint8_t *)bm;

	/* Huge pages off, before a domain is there. */
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.option_id = IOMMU_OPTION_HUGE_PAGES;
	o.op = IOMMU_OPTION_OP_SET;
	o.object_id = ioas->id;
	o.val64 = 0;
	ck_assert_int_eq(IOCTL(IOMMU_OPTION, &o), 0);
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	t.id = ioas->id;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &t), 0);
	memset(&sel, 0, sizeof(sel));
	sel.pagetable_type = MOCK_IOMMUPT_DEFAULT;
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	h.dev_id = t.mock_domain.out_idev_id;
	h.pt_id = ioas->id;
	h.data_type = IOMMU_HWPT_DATA_SELFTEST;
	h.data_len = sizeof(sel);
	h.data_uptr = (uintptr_t)&sel;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_ALLOC, &h), 0);
	p = container_of(obj_find(tctx, h.out_hwpt_id, OBJ_HWPT_PAGING),
	    struct hwpt_paging, obj);
	ck_assert_ptr_nonnull(p->dirty);
	/* The auto domain of MOCK_DOMAIN was made without DIRTY_TRACKING. */
	ck_assert_int_eq(set_tracking(t.mock_domain.out_hwpt_id, 1),
	    -EOPNOTSUPP);
	ck_assert_int_eq(set_tracking(h.out_hwpt_id, 1), 0);

	/* Bit 0 of every 4 KiB IOPTE pair: both halves come back. */
	memset(bm, 0, sizeof(bm));
	for (n = 0; n < NBITS; n += 4)
		b[n / 8] |= 1u << (n % 8);
	ck_assert_int_eq(test_dirty(h.out_hwpt_id, BASE, BUFLEN, GRAN, bm, &n),
	    0);
	ck_assert_uint_eq(n, NBITS / 4);
	memset(bm, 0, sizeof(bm));
	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.hwpt_id = h.out_hwpt_id;
	g.iova = BASE;
	g.length = BUFLEN;
	g.page_size = GRAN;
	g.data = (uintptr_t)bm;
	g.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), 0);
	for (n = 0; n < NBITS; n++)
		ck_assert_int_eq(test_bit(b, n), (n % 4) < 2);

	/* Unmapping the area takes its bits; the range is then a hole. */
	memset(&un, 0, sizeof(un));
	un.size = sizeof(un);
	un.ioas_id = ioas->id;
	un.iova = BASE;
	un.length = BUFLEN;
	ck_assert_int_eq(IOCTL(IOMMU_IOAS_UNMAP, &un), 0);
	ck_assert_uint_eq(dirty_total(p->dirty), 0);
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, &g), -EINVAL);
}
END_TEST

static Suite *
dirty_suite(void)
{
	Suite	*s = suite_create("dirty");
	TCase	*tc;

	tc = test_tcase(s, "store");
	/* read_reference compares every bit: seconds on a loaded machine. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, store_set_clear);
	tcase_add_test(tc, iopte_fit);
	tcase_add_test(tc, store_sparse);
	tcase_add_test(tc, read_page_sizes);
	tcase_add_test(tc, read_or_unaligned);
	tcase_add_test(tc, read_reference);
	tcase_add_test(tc, read_window);
	tcase_add_test(tc, read_huge_empty);

	tc = tcase_create("commands");
	tcase_add_checked_fixture(tc, cmd_setup, cmd_teardown);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, set_tracking_errnos);
	tcase_add_test(tc, enable_clears);
	tcase_add_test(tc, get_errnos);
	tcase_add_test(tc, get_clear_and_no_clear);
	tcase_add_test(tc, get_efault_keeps);
	tcase_add_test(tc, get_probe_rounds);
	tcase_add_test(tc, describe_dirty);
	tcase_add_test(tc, selftest_dirty_errnos);
	tcase_add_test(tc, selftest_dirty_roundtrip);
	tcase_add_test(tc, selftest_dirty_probe_rounds);
	tcase_add_test(tc, selftest_dirty_sparse_walk);
	tcase_add_test(tc, inject_sweep);
	tcase_add_test(tc, hwpt_dirty_init);
	tcase_add_test(tc, mock_device_path);
	return (s);
}

SUITE(dirty_suite)
