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

#include "core/ctx.h"
#include "core/ucmd.h"
#include "core/umem.h"
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

static Suite *
dirty_suite(void)
{
	Suite	*s = suite_create("dirty");
	TCase	*tc;

	tc = test_tcase(s, "store");
	tcase_add_test(tc, store_set_clear);
	tcase_add_test(tc, store_sparse);
	tcase_add_test(tc, read_page_sizes);
	tcase_add_test(tc, read_or_unaligned);
	tcase_add_test(tc, read_window);
	tcase_add_test(tc, read_huge_empty);
	return (s);
}

SUITE(dirty_suite)
