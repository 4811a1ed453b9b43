/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The io page table below the ioctls: the cached-gap tree against a
 * brute-force model under random maps and unmaps (lowest-fit allocation
 * included), reserved ranges with owners, pinner alignment, and the
 * caller address space (umem) and accounting it relies on.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/acct.h"
#include "core/umem.h"
#include "core/util.h"
#include "iommufd/iopt.h"
#include "iommufd/pages.h"
#include "suites.h"

#define PAGE	4096ULL

static struct acct_owner *owner;

static void
iopt_setup(void)
{
	owner = acct_owner_get(getuid(), getpid(), UINT64_MAX, 1);
	ck_assert_ptr_nonnull(owner);
}

static void
iopt_teardown(void)
{
	acct_owner_put(owner);
	ck_assert_uint_eq(pages_count(), 0);
	ck_assert_uint_eq(umem_count(), 0);
}

static struct pages *
vpages(uint64_t va, uint64_t len)
{
	struct pages	*p;

	ck_assert_int_eq(pages_new_user(NULL, va, len, 1, owner, ACCT_USER,
	    &p), 0);
	return (p);
}

static int
map1(struct iopt *iopt, uint64_t va, uint64_t len, uint64_t *iova,
    unsigned int flags)
{
	struct iopt_piece	 pc;
	int			 rc;

	pc.pages = vpages(va, len);
	pc.off = va - pc.pages->start;
	pc.length = len;
	rc = iopt_map(iopt, &pc, 1, len, iova, IOPT_READ | IOPT_WRITE, flags);
	pages_put(pc.pages);
	return (rc);
}

/*
 * Brute force over a model space of npages pages: the lowest page-aligned
 * slot of npg pages free of every area (page 0 and the last page never
 * count), or 0.
 */
static uint64_t
model_fit(const uint8_t *used, uint64_t npages, uint64_t npg, uint64_t align)
{
	uint64_t	 s, i;

	for (s = 1; s + npg <= npages - 1; s++) {
		if ((s * PAGE) % align)
			continue;
		for (i = 0; i < npg; i++)
			if (used[s + i])
				break;
		if (i == npg)
			return (s);
	}
	return (0);
}

/*
 * The model's unmap of pages [s, s + n): areas wholly inside go, lowest
 * first, until one only partly inside stops it with ENOENT (what went
 * stays gone). alen holds each area's length in pages at its first page.
 */
static int
model_unmap(uint8_t *used, uint8_t *alen, uint64_t npages, uint64_t s,
    uint64_t n, uint64_t *out)
{
	uint64_t	 p, q, e = MIN(s + n, npages), total = 0;
	int		 rc = 0;

	for (p = s; p < e; p++) {
		if (!used[p])
			continue;
		for (q = p; alen[q] == 0; q--)
			;
		if (q < s || q + alen[q] > e) {
			rc = -ENOENT;
			break;
		}
		total += alen[q];
		memset(used + q, 0, alen[q]);
		p = q + alen[q] - 1;
		alen[q] = 0;
	}
	*out = total * PAGE;
	return (rc == 0 && total == 0 ? -ENOENT : rc);
}

/*
 * Random automatic maps, fixed maps and unmaps against the model, with
 * the tree checked every verify_every steps. With fill set, the space is
 * first filled with one-page areas a page apart, so that the tree grows
 * three or more levels and later unmaps merge and rebalance its nodes.
 */
static void
random_tree(uint64_t npages, int nops, int verify_every, int fill)
{
	struct iopt	 iopt;
	uint8_t		*used, *alen;
	uint64_t	 iova, s, npg, out, mout, align;
	int		 i, rc;

	srandom(1);
	iopt_init(&iopt);
	used = calloc(npages, 1);
	alen = calloc(npages, 1);
	ck_assert_ptr_nonnull(used);
	ck_assert_ptr_nonnull(alen);
	/* Confine allocation to the model: reserve everything above it. */
	ck_assert_int_eq(iopt_reserve(&iopt, (npages - 1) * PAGE,
	    UINT64_MAX, owner), 0);
	for (s = 1; fill && s < npages - 1; s += 2) {
		iova = s * PAGE;
		ck_assert_int_eq(map1(&iopt, 1ULL << 30, PAGE, &iova,
		    IOPT_MAP_FIXED), 0);
		used[s] = 1;
		alen[s] = 1;
	}
	ck_assert_int_eq(iopt_verify(&iopt), 0);
	if (fill)
		ck_assert_uint_ge(iopt.height, 3);
	for (i = 0; i < nops; i++) {
		npg = 1 + random() % 8;
		if (random() % 3 == 0) {
			/* Automatic, from a 2 MiB aligned source. */
			align = 1;
			while (align < npg * PAGE)
				align <<= 1;
			s = model_fit(used, npages, npg, align);
			rc = map1(&iopt, 1ULL << 30, npg * PAGE, &iova, 0);
			if (s == 0) {
				ck_assert_int_eq(rc, -ENOSPC);
				continue;
			}
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(iova, s * PAGE);
			memset(used + s, 1, npg);
			alen[s] = npg;
		} else if (random() % 2 == 0) {
			s = 1 + random() % (npages - 10);
			iova = s * PAGE;
			rc = map1(&iopt, 1ULL << 30, npg * PAGE, &iova,
			    IOPT_MAP_FIXED);
			if (memchr(used + s, 1, npg) != NULL)
				ck_assert_int_eq(rc, -EEXIST);
			else {
				ck_assert_int_eq(rc, 0);
				memset(used + s, 1, npg);
				alen[s] = npg;
			}
		} else {
			/* Unmap a random window, as the model does. */
			s = random() % npages;
			rc = iopt_unmap(&iopt, s * PAGE, npg * 4 * PAGE, &out);
			ck_assert_int_eq(rc, model_unmap(used, alen, npages, s,
			    npg * 4, &mout));
			ck_assert_uint_eq(out, mout);
		}
		if (i % verify_every == 0)
			ck_assert_int_eq(iopt_verify(&iopt), 0);
	}
	ck_assert_int_eq(iopt_verify(&iopt), 0);
	/* Iteration sees exactly the model's mapped pages. */
	for (s = 0; s < npages; s++) {
		struct iopt_area *a = iopt_area_find(&iopt, s * PAGE);

		ck_assert_int_eq(a != NULL, used[s]);
	}
	free(used);
	free(alen);
	iopt_fini(&iopt);
}

START_TEST(test_random_tree)
{
	random_tree(512, 20000, 97, 0);
}
END_TEST

START_TEST(test_random_tree_deep)
{
	/* 4095 one-page areas: a tree of three levels, then churn. */
	random_tree(8192, 40000, 499, 1);
}
END_TEST

/*
 * A table large enough that its nodes come from the pools' huge-page
 * regions, emptied in a scattered order so that slabs and regions are
 * given back while others are still in use, then filled again.
 */
START_TEST(test_large_tree)
{
	const uint64_t	 n = 200000;
	struct iopt	 iopt;
	uint64_t	 i, k, iova, out;
	int		 round;

	iopt_init(&iopt);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < n; i++) {
			iova = (2 * i + 1) * PAGE;
			ck_assert_int_eq(map1(&iopt, 1ULL << 30, PAGE, &iova,
			    IOPT_MAP_FIXED), 0);
		}
		ck_assert_int_eq(iopt_verify(&iopt), 0);
		ck_assert_uint_eq(iopt.nareas, n);
		ck_assert_uint_ge(iopt.height, 4);
		/* 7919 is prime and does not divide n: every area once. */
		for (i = 0; i < n; i++) {
			k = (i * 7919) % n;
			ck_assert_int_eq(iopt_unmap(&iopt, (2 * k + 1) * PAGE,
			    PAGE, &out), 0);
			ck_assert_uint_eq(out, PAGE);
			if (i % 25000 == 0)
				ck_assert_int_eq(iopt_verify(&iopt), 0);
		}
		ck_assert_int_eq(iopt_verify(&iopt), 0);
		ck_assert_uint_eq(iopt.nareas, 0);
		ck_assert_ptr_null(iopt.root);
	}
	iopt_fini(&iopt);
}
END_TEST

START_TEST(test_cut)
{
	struct iopt		 iopt;
	struct iopt_pinner	 p = { .alignment = 1 };
	struct iopt_area	*a;
	struct pages		*pg;
	struct iopt_piece	 pc;
	uint64_t		 iova = 16 * PAGE, out;
	int			 fd;

	/* File pages, so that the pinner really pins them. */
	fd = memfd_create("check_iopt", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 16 * PAGE), 0);
	ck_assert_int_eq(pages_new_file(fd, 0, 16 * PAGE, 1, owner,
	    ACCT_USER, &pc.pages), 0);
	pc.off = 0;
	pc.length = 16 * PAGE;
	iopt_init(&iopt);
	ck_assert_int_eq(iopt_map(&iopt, &pc, 1, 16 * PAGE, &iova,
	    IOPT_READ | IOPT_WRITE, IOPT_MAP_FIXED), 0);
	pages_put(pc.pages);
	ck_assert_int_eq(iopt_add_pinner(&iopt, &p), 0);
	pg = iopt_area_pages(iopt_area_find(&iopt, iova));
	ck_assert_uint_eq(pg->npin, 1);

	/* Nothing there, or an area already ends there: nothing to do. */
	ck_assert_int_eq(iopt_cut(&iopt, 100 * PAGE), 0);
	ck_assert_int_eq(iopt_cut(&iopt, 32 * PAGE - 1), 0);
	ck_assert_uint_eq(iopt.nareas, 1);

	ck_assert_int_eq(iopt_cut(&iopt, 20 * PAGE - 1), 0);
	ck_assert_uint_eq(iopt.nareas, 2);
	ck_assert_int_eq(iopt_verify(&iopt), 0);
	a = iopt_area_find(&iopt, 16 * PAGE);
	ck_assert_uint_eq(a->last, 20 * PAGE - 1);
	ck_assert_uint_eq(a->pages_off, 0);
	a = iopt_area_next(&iopt, a);
	ck_assert_uint_eq(a->iova, 20 * PAGE);
	ck_assert_uint_eq(a->last, 32 * PAGE - 1);
	ck_assert_uint_eq(a->pages_off, 4 * PAGE);
	ck_assert_ptr_eq(iopt_area_pages(a), pg);
	ck_assert_uint_eq(pg->refs, 2);
	ck_assert_uint_eq(pg->npin, 2);
	ck_assert_uint_eq(pages_count(), 1);

	/* Sub-page cuts break the page alignment once huge pages are off. */
	ck_assert_int_eq(iopt_disable_huge_pages(&iopt), 0);
	ck_assert_int_eq(iopt_cut(&iopt, 24 * PAGE + 10), -EINVAL);
	ck_assert_uint_eq(iopt.nareas, 2);

	/* The pieces unmap on their own. */
	ck_assert_int_eq(iopt_unmap(&iopt, 16 * PAGE, 4 * PAGE, &out), 0);
	ck_assert_uint_eq(out, 4 * PAGE);
	ck_assert_uint_eq(pg->npin, 1);
	ck_assert_int_eq(iopt_unmap(&iopt, 20 * PAGE, 4 * PAGE, &out),
	    -ENOENT);
	iopt_remove_pinner(&iopt, &p);
	ck_assert_int_eq(iopt_verify(&iopt), 0);
	iopt_fini(&iopt);
}
END_TEST

/* Areas cut out of a long run of neighbours, across many leaves. */
START_TEST(test_cut_many)
{
	struct iopt	 iopt;
	uint64_t	 iova = PAGE, out;
	int		 i;

	iopt_init(&iopt);
	ck_assert_int_eq(map1(&iopt, 1ULL << 30, 2000 * PAGE, &iova,
	    IOPT_MAP_FIXED), 0);
	for (i = 1; i < 2000; i++)
		ck_assert_int_eq(iopt_cut(&iopt, (1 + i) * PAGE - 1), 0);
	ck_assert_uint_eq(iopt.nareas, 2000);
	ck_assert_int_eq(iopt_verify(&iopt), 0);
	/* A COPY-like walk still sees one touching run. */
	ck_assert_int_eq(iopt_unmap(&iopt, PAGE, 2000 * PAGE, &out), 0);
	ck_assert_uint_eq(out, 2000 * PAGE);
	ck_assert_uint_eq(iopt.nareas, 0);
	ck_assert_int_eq(iopt_verify(&iopt), 0);
	iopt_fini(&iopt);
}
END_TEST

START_TEST(test_reserved_owners)
{
	struct iopt	 iopt;
	int		 a, b;
	uint64_t	 iova = 0;

	iopt_init(&iopt);
	ck_assert_int_eq(iopt_reserve(&iopt, 10, 9, &a), -EINVAL);
	ck_assert_int_eq(iopt_reserve(&iopt, 0, 16 * PAGE - 1, &a), 0);
	/* Overlapping ranges of two owners. */
	ck_assert_int_eq(iopt_reserve(&iopt, 8 * PAGE, 32 * PAGE - 1, &b), 0);
	ck_assert_int_eq(map1(&iopt, 0, PAGE, &iova, 0), 0);
	ck_assert_uint_eq(iova, 32 * PAGE);
	iopt_unreserve_owner(&iopt, &b);
	ck_assert_int_eq(map1(&iopt, 0, PAGE, &iova, 0), 0);
	ck_assert_uint_eq(iova, 16 * PAGE);
	/* Covering an area is refused. */
	ck_assert_int_eq(iopt_reserve(&iopt, 0, 16 * PAGE, &b), -EADDRINUSE);
	iopt_unreserve_owner(&iopt, &a);
	iova = 0;
	ck_assert_int_eq(map1(&iopt, 0, 2 * PAGE, &iova, IOPT_MAP_FIXED), 0);
	iopt_fini(&iopt);
}
END_TEST

START_TEST(test_pinner_alignment)
{
	struct iopt		 iopt;
	struct iopt_pinner	 p = { .alignment = 2048 }, q = { .alignment = 3 };
	uint64_t		 iova = 1ULL << 20;

	iopt_init(&iopt);
	ck_assert_int_eq(iopt_add_pinner(&iopt, &q), -EINVAL);
	q.alignment = 2 * PAGE;
	ck_assert_int_eq(iopt_add_pinner(&iopt, &q), -EINVAL);
	/* A 1024-byte area does not fit a 2048 pinner. */
	ck_assert_int_eq(map1(&iopt, 1ULL << 30, 1024, &iova,
	    IOPT_MAP_FIXED), 0);
	ck_assert_int_eq(iopt_add_pinner(&iopt, &p), -EADDRINUSE);
	ck_assert_uint_eq(iopt.iova_alignment, 1);
	iopt_fini(&iopt);
}
END_TEST

START_TEST(test_umem)
{
	struct umem	*um, *um2;
	uint8_t		*p, b[8];
	int		 fd;

	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	memcpy(p, "abcdefgh", 8);
	ck_assert_int_eq(umem_open(getpid(), &um), 0);
	ck_assert_int_eq(umem_open(getpid(), &um2), 0);
	ck_assert_ptr_eq(um, um2);
	umem_put(um2);
	ck_assert_int_eq(umem_read(um, (uintptr_t)p, b, 8), 0);
	ck_assert_int_eq(memcmp(b, "abcdefgh", 8), 0);
	ck_assert_int_eq(umem_write(um, (uintptr_t)p + 1, "XY", 2), 0);
	ck_assert_int_eq(memcmp(p, "aXYdefgh", 8), 0);
	ck_assert_int_eq(umem_read(um, 8, b, 1), -EFAULT);
	ck_assert_int_eq(umem_read(um, UINT64_MAX - 1, b, 2), -EFAULT);

	ck_assert_int_eq(umem_check(um, (uintptr_t)p + 10, 3 * PAGE, 1), 0);
	ck_assert_int_eq(mprotect(p + PAGE, PAGE, PROT_READ), 0);
	ck_assert_int_eq(umem_check(um, (uintptr_t)p, 4 * PAGE, 0), 0);
	ck_assert_int_eq(umem_check(um, (uintptr_t)p, 4 * PAGE, 1), -EFAULT);
	ck_assert_int_eq(mprotect(p + PAGE, PAGE, PROT_NONE), 0);
	ck_assert_int_eq(umem_check(um, (uintptr_t)p, 4 * PAGE, 0), -EFAULT);
	ck_assert_int_eq(umem_check(um, (uintptr_t)p + 2 * PAGE, 2 * PAGE,
	    1), 0);
	munmap(p + 3 * PAGE, PAGE);
	ck_assert_int_eq(umem_check(um, (uintptr_t)p + 2 * PAGE, 2 * PAGE,
	    1), -EFAULT);
	munmap(p, 3 * PAGE);
	umem_put(um);

	/* A file mapping past its end is listed but cannot be pinned. */
	fd = memfd_create("check_iopt", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, PAGE), 0);
	p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(umem_open(getpid(), &um), 0);
	ck_assert_int_eq(umem_check(um, (uintptr_t)p, PAGE, 0), 0);
	ck_assert_int_eq(umem_check(um, (uintptr_t)p, 2 * PAGE, 0), -EFAULT);
	umem_put(um);
	munmap(p, 2 * PAGE);

	/*
	 * A terabyte of a sparse file is checked at once: the time does not
	 * grow with the length. Its last page past the end is still seen.
	 */
	ck_assert_int_eq(ftruncate(fd, 1ULL << 40), 0);
	p = mmap(NULL, 1ULL << 40, PROT_READ, MAP_SHARED | MAP_NORESERVE, fd,
	    0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(umem_open(getpid(), &um), 0);
	ck_assert_int_eq(umem_check(um, (uintptr_t)p, 1ULL << 40, 0), 0);
	ck_assert_int_eq(ftruncate(fd, (1ULL << 40) - PAGE), 0);
	ck_assert_int_eq(umem_check(um, (uintptr_t)p, 1ULL << 40, 0), -EFAULT);
	ck_assert_int_eq(umem_check(um, (uintptr_t)p, (1ULL << 40) - PAGE, 0),
	    0);
	umem_put(um);
	munmap(p, 1ULL << 40);

	/* An adopted /proc/self/mem descriptor. */
	ck_assert_int_eq(umem_from_fd(open("/proc/self/mem", O_RDWR), &um), 0);
	ck_assert_int_eq(umem_pid(um), getpid());
	ck_assert_int_eq(umem_read(um, (uintptr_t)b, b, 1), 0);
	umem_put(um);
	close(fd);
	ck_assert_int_eq(umem_open(0, &um), -ESRCH);
}
END_TEST

/*
 * A process that execs keeps its pid and start time but gets a new
 * address space: the descriptors opened before read as empty, so a new
 * umem_open() must not hand back the old umem.
 */
START_TEST(test_umem_exec)
{
	struct umem	*um, *um2;
	char		 path[64], line[256], perms[8], c;
	uint64_t	 vs, ve;
	uint8_t		 b;
	FILE		*f;
	pid_t		 pid;
	int		 go[2], done[2], st;

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe2(done, O_CLOEXEC), 0);
	if ((pid = fork()) == 0) {
		close(go[1]);
		close(done[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(1);
	}
	ck_assert_int_gt(pid, 0);
	close(go[0]);
	close(done[1]);
	ck_assert_int_eq(umem_open(pid, &um), 0);
	ck_assert_int_eq(write(go[1], "x", 1), 1);
	/* The close-on-exec pipe reads EOF once the exec is done. */
	ck_assert_int_eq(read(done[0], &c, 1), 0);

	ck_assert_int_eq(umem_open(pid, &um2), 0);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	vs = ve = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &vs, &ve,
		    perms) == 3 && perms[0] == 'r')
			break;
		vs = ve = 0;
	}
	fclose(f);
	ck_assert_uint_ne(ve, 0);
	ck_assert_int_eq(umem_read(um2, vs, &b, 1), 0);
	ck_assert_int_eq(umem_check(um2, vs, 1, 0), 0);

	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	close(go[1]);
	close(done[0]);
	umem_put(um2);
	umem_put(um);
}
END_TEST

START_TEST(test_acct)
{
	struct acct_owner	*o, *o2;

	o = acct_owner_get(12345, 777, 3 * PAGE, 0);
	o2 = acct_owner_get(12345, 777, 3 * PAGE, 0);
	ck_assert_ptr_eq(o, o2);
	acct_owner_put(o2);
	ck_assert_int_eq(acct_charge(o, ACCT_USER, 2), 0);
	ck_assert_int_eq(acct_charge(o, ACCT_USER, 2), -ENOMEM);
	ck_assert_int_eq(acct_charge(o, ACCT_MM, 3), 0);
	ck_assert_uint_eq(acct_user_pages(12345), 2);
	ck_assert_uint_eq(acct_mm_pages(777), 3);
	acct_uncharge(o, ACCT_USER, 2);
	acct_uncharge(o, ACCT_MM, 3);
	ck_assert_uint_eq(acct_user_pages(12345), 0);
	ck_assert_uint_eq(acct_mm_pages(777), 0);
	acct_owner_put(o);
}
END_TEST

static Suite *
iopt_suite(void)
{
	Suite	*s = suite_create("iopt");
	TCase	*tc = tcase_create("iopt");

	tcase_add_checked_fixture(tc, iopt_setup, iopt_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_tree);
	tcase_add_test(tc, test_random_tree_deep);
	tcase_add_test(tc, test_large_tree);
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_cut_many);
	tcase_add_test(tc, test_reserved_owners);
	tcase_add_test(tc, test_pinner_alignment);
	tcase_add_test(tc, test_umem);
	tcase_add_test(tc, test_umem_exec);
	tcase_add_test(tc, test_acct);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(iopt_suite)
