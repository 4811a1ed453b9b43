/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The checks the test programs (tests/prog, tests/guest) count and report
 * with, and the few iommufd calls most of them make the same way. The programs stay
 * ordinary iommufd programs: this header needs libc and
 * <linux/iommufd.h> only. Each program is one source file, so the
 * counters and helpers are static and defined here.
 *
 * A program that forks defines CHECK_PID before including this, so that
 * every failure names the process it happened in.
 */
#ifndef IOASIDD_TESTS_CHECK_H
#define IOASIDD_TESTS_CHECK_H

#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>

static int	npass, nfail;

#ifdef CHECK_PID
#define CHECK_WHERE()	printf("FAIL [%d] %s:%d: ", (int)getpid(),	\
			    __func__, __LINE__)
#else
#define CHECK_WHERE()	printf("FAIL %s:%d: ", __func__, __LINE__)
#endif

/*
 * CHECK(cond, format, ...): count a pass, or print the failure: where,
 * the message, and errno as it was when cond was found false.
 */
#define CHECK(cond, ...) do {						\
	int	check_errno_;						\
									\
	if (cond)							\
		npass++;						\
	else {								\
		check_errno_ = errno;					\
		nfail++;						\
		CHECK_WHERE();						\
		printf(__VA_ARGS__);					\
		printf(" (errno %d %s)\n", check_errno_,		\
		    strerror(check_errno_));				\
	}								\
} while (0)

/* The closing "N passed, M failed" line; returns the exit status. */
static inline int
check_report(void)
{
	printf("%d passed, %d failed\n", npass, nfail);
	return (nfail != 0);
}

/*
 * How a script steps a program through its stages: say "at pause n" by
 * making the file AT.n (output flushed first), then wait up to 30
 * seconds for the file GO.n.
 */
static inline void
check_pause(const char *at, const char *go, int n)
{
	struct timespec	 ts = { 0, 50 * 1000 * 1000 };
	char		 path[4096];
	int		 fd, i;

	fflush(stdout);
	snprintf(path, sizeof(path), "%s.%d", at, n);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s.%d", go, n);
	for (i = 0; i < 600 && access(path, F_OK) != 0; i++)
		nanosleep(&ts, NULL);
}

/* A new IOAS on fd: its id, or 0 when IOAS_ALLOC fails. */
static inline uint32_t
ioas_alloc(int fd)
{
	struct iommu_ioas_alloc	a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a) != 0)
		return (0);
	return (a.out_ioas_id);
}

/* DESTROY id: 0, or the errno. */
static inline int
ioas_destroy(int fd, uint32_t id)
{
	struct iommu_destroy	d;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.id = id;
	return (ioctl(fd, IOMMU_DESTROY, &d) == 0 ? 0 : errno);
}

/*
 * Map len bytes at va to exactly iova in IOAS id, with flags besides
 * FIXED_IOVA, then unmap [iova, iova + len) (all of it when unmap_all).
 * Returns how many of the two answers were wrong.
 */
static inline int
ioas_map_unmap(int fd, uint32_t id, void *va, uint64_t len, uint64_t iova,
    uint32_t flags, int unmap_all)
{
	struct iommu_ioas_map	m;
	struct iommu_ioas_unmap	u;
	int			bad = 0;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.ioas_id = id;
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | flags;
	m.user_va = (uintptr_t)va;
	m.length = len;
	m.iova = iova;
	if (ioctl(fd, IOMMU_IOAS_MAP, &m) != 0 || m.iova != iova)
		bad++;
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = id;
	u.iova = unmap_all ? 0 : iova;
	u.length = unmap_all ? UINT64_MAX : len;
	if (ioctl(fd, IOMMU_IOAS_UNMAP, &u) != 0 || u.length != len)
		bad++;
	return (bad);
}

#endif /* IOASIDD_TESTS_CHECK_H */
