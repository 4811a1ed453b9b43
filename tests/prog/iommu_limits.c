/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Fill one of the daemon's limits from an ordinary /dev/iommu program,
 * for tests/integration/limits.sh, which sets the limits and watches the
 * daemon from outside:
 *
 *	iommu_limits KIND N ERRNO [hold]
 *
 * makes N of KIND (objects: IOASes; areas: one-page mappings; allowed: a
 * set of N ranges; reserved: selftest ADD_RESERVED ranges; bytes: as many
 * mappings as fit, at least N), checks that one more fails with ERRNO
 * (ENOMEM, ENOSPC, or "none" for no failure within N + 1), that the
 * failed call changed nothing and that the context still works; and
 *
 *	iommu_limits attack NUM REPEAT ERRNO [hold]
 *
 * replaces an IOAS's allowed set by NUM ranges REPEAT times (the heap
 * amplification of issue 7: 4M ranges twice), expecting ERRNO each time
 * and the set in place kept. With hold, it prints "ready PID" and waits
 * to be killed, so that the context stays open while the script looks.
 * It ends with "N passed, M failed"; the exit status is 1 on a failure.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "check.h"
#include "iommufd_test.h"

#define PAGE		4096ULL
#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static int	 fd;
static int	 hold;		/* keep what was made for the script */
static uint8_t	*buf;

static int
io(unsigned long cmd, void *arg)
{
	return (ioctl(fd, cmd, arg) == 0 ? 0 : errno);
}

/* One page of buf at iova (0: anywhere; the IOVA chosen in *out). */
static int
map_page(uint32_t id, uint64_t iova, uint64_t *out)
{
	struct iommu_ioas_map	 m;
	int			 rc;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.ioas_id = id;
	m.flags = RW | (iova != 0 ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
	m.user_va = (uintptr_t)buf;
	m.length = PAGE;
	m.iova = iova;
	rc = io(IOMMU_IOAS_MAP, &m);
	if (out != NULL)
		*out = m.iova;
	return (rc);
}

static int
unmap(uint32_t id, uint64_t iova, uint64_t length)
{
	struct iommu_ioas_unmap	 u;

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = id;
	u.iova = iova;
	u.length = length;
	return (io(IOMMU_IOAS_UNMAP, &u));
}

static int
allow(uint32_t id, const struct iommu_iova_range *r, uint32_t n)
{
	struct iommu_ioas_allow_iovas	 a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.ioas_id = id;
	a.num_iovas = n;
	a.allowed_iovas = (uintptr_t)r;
	return (io(IOMMU_IOAS_ALLOW_IOVAS, &a));
}

static int
reserve(uint32_t id, uint64_t start, uint64_t length)
{
	struct iommu_test_cmd	 t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_ADD_RESERVED;
	t.id = id;
	t.add_reserved.start = start;
	t.add_reserved.length = length;
	return (io(IOMMU_TEST_CMD, &t));
}

/* n ranges of one page each, 1 MiB apart from 1 GiB up. */
static struct iommu_iova_range *
ranges(uint64_t n)
{
	struct iommu_iova_range	*r;
	uint64_t		 i;

	r = mmap(NULL, n * sizeof(*r), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		exit(2);
	}
	for (i = 0; i < n; i++) {
		r[i].start = (1ULL << 30) + (i << 20);
		r[i].last = r[i].start + PAGE - 1;
	}
	return (r);
}

static int
errno_of(const char *name)
{
	if (strcmp(name, "ENOMEM") == 0)
		return (ENOMEM);
	if (strcmp(name, "ENOSPC") == 0)
		return (ENOSPC);
	if (strcmp(name, "none") == 0)
		return (0);
	printf("unknown errno %s\n", name);
	exit(2);
}

/*
 * The context still answers: a new IOAS, its ranges, gone again (the
 * fills have checked mapping at the limit already).
 */
static void
check_alive(void)
{
	struct iommu_ioas_iova_ranges	 r;
	uint32_t			 id;

	id = ioas_alloc(fd);
	CHECK(id != 0, "context alive: IOAS_ALLOC");
	if (id == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = id;
	CHECK(io(IOMMU_IOAS_IOVA_RANGES, &r) == EMSGSIZE && r.num_iovas == 1,
	    "context alive: IOVA_RANGES");
	CHECK(ioas_destroy(fd, id) == 0, "context alive: destroy");
}

static void
fill_objects(uint64_t n, int err)
{
	uint64_t	 i;
	uint32_t	 id = 0, last = 0;

	for (i = 0; i < n; i++) {
		if ((id = ioas_alloc(fd)) == 0)
			break;
		last = id;
	}
	CHECK(i == n, "%llu of %llu objects made",
	    (unsigned long long)i, (unsigned long long)n);
	id = ioas_alloc(fd);
	CHECK(err == 0 ? id != 0 : id == 0 && errno == err,
	    "object %llu: id %u", (unsigned long long)n + 1, id);
	if (err == 0)
		return;
	/* Room again for exactly one, with the lowest id. */
	CHECK(ioas_destroy(fd, last) == 0, "destroy one");
	CHECK(ioas_alloc(fd) == last, "the id comes back");
	CHECK(ioas_alloc(fd) == 0 && errno == err, "and then no more");
	CHECK(ioas_destroy(fd, last) == 0, "make room to check the context");
}

static void
fill_areas(uint32_t id, uint64_t n, int err, int bytes)
{
	uint64_t	 i, iova;
	int		 rc = 0;

	for (i = 0; i < n || bytes; i++) {
		if ((rc = map_page(id, (i + 1) * 2 * PAGE, NULL)) != 0)
			break;
	}
	CHECK(bytes ? i >= n : i == n, "%llu mappings made, %llu wanted",
	    (unsigned long long)i, (unsigned long long)n);
	if (!bytes)
		rc = map_page(id, (i + 1) * 2 * PAGE, NULL);
	CHECK(rc == err, "mapping %llu: %s", (unsigned long long)i + 1,
	    strerror(rc));
	if (err == 0)
		return;
	/* Nothing was mapped there, nor, with a count, anywhere else. */
	CHECK(unmap(id, (i + 1) * 2 * PAGE, PAGE) == ENOENT,
	    "the failed mapping is not there");
	if (!bytes)
		CHECK(map_page(id, 0, &iova) == err, "nor one anywhere");
	/* One unmapped makes room again. */
	CHECK(unmap(id, 2 * PAGE, PAGE) == 0, "unmap one");
	CHECK(map_page(id, 2 * PAGE, NULL) == 0, "map it again");
	if (!hold)
		CHECK(unmap(id, 0, UINT64_MAX) == 0, "unmap all");
}

static void
fill_allowed(uint32_t id, uint64_t n, int err)
{
	struct iommu_iova_range	*r = ranges(n + 1);
	uint64_t		 iova;

	CHECK(allow(id, r, (uint32_t)n) == 0, "a set of %llu ranges",
	    (unsigned long long)n);
	CHECK(allow(id, r + 1, (uint32_t)n) == 0, "replaced by another");
	CHECK(allow(id, r, (uint32_t)n + 1) == err, "a set of %llu",
	    (unsigned long long)n + 1);
	/* The set in place is r[1..n]: the first automatic IOVA is r[1]. */
	CHECK(map_page(id, 0, &iova) == 0 && iova == r[1].start,
	    "the set in place is kept (iova %#llx)",
	    (unsigned long long)iova);
	CHECK(unmap(id, 0, UINT64_MAX) == 0, "unmap all");
	CHECK(allow(id, NULL, 0) == 0, "clear the set");
	munmap(r, (n + 1) * sizeof(*r));
}

static void
fill_reserved(uint32_t id, uint64_t n, int err)
{
	uint64_t	 i;

	for (i = 0; i < n; i++) {
		if (reserve(id, (i + 1) * 2 * PAGE, PAGE) != 0)
			break;
	}
	CHECK(i == n, "%llu of %llu ranges reserved", (unsigned long long)i,
	    (unsigned long long)n);
	CHECK(reserve(id, (n + 1) * 2 * PAGE, PAGE) == err,
	    "reserved range %llu", (unsigned long long)n + 1);
	if (err == 0)
		return;
	CHECK(map_page(id, (n + 1) * 2 * PAGE, NULL) == 0,
	    "the failed range is not reserved");
	CHECK(unmap(id, 0, UINT64_MAX) == 0, "unmap all");
}

static void
attack(uint32_t id, uint64_t num, int repeat, int err)
{
	struct iommu_iova_range	*r = ranges(num);
	struct iommu_iova_range	 two[2] = {
		{ 1ULL << 40, (1ULL << 40) + (1ULL << 30) - 1 },
		{ 1ULL << 41, (1ULL << 41) + (1ULL << 30) - 1 },
	};
	uint64_t		 iova;
	int			 i, rc;

	CHECK(allow(id, two, 2) == 0, "a set of two ranges");
	for (i = 0; i < repeat; i++) {
		rc = allow(id, r, (uint32_t)num);
		CHECK(rc == err, "ALLOW_IOVAS of %llu ranges: %s",
		    (unsigned long long)num, strerror(rc));
	}
	if (err != 0) {
		CHECK(map_page(id, 0, &iova) == 0 && iova == two[0].start,
		    "the set of two is kept (iova %#llx)",
		    (unsigned long long)iova);
	}
	munmap(r, num * sizeof(*r));
}

int
main(int argc, char **argv)
{
	uint64_t	 n;
	uint32_t	 id;
	int		 err;

	if (argc < 4) {
		printf("usage: iommu_limits KIND N ERRNO [hold]\n");
		return (2);
	}
	n = strtoull(argv[2], NULL, 0);
	hold = argc > 4 && strcmp(argv[argc - 1], "hold") == 0;
	if ((fd = open("/dev/iommu", O_RDWR)) == -1) {
		printf("open: %s\n", strerror(errno));
		return (1);
	}
	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (strcmp(argv[1], "attack") == 0) {
		if (argc < 5) {
			printf("usage: iommu_limits attack NUM REPEAT ERRNO\n");
			return (2);
		}
		id = ioas_alloc(fd);
		CHECK(id != 0, "IOAS_ALLOC");
		attack(id, n, atoi(argv[3]), errno_of(argv[4]));
	} else {
		err = errno_of(argv[3]);
		id = strcmp(argv[1], "objects") == 0 ? 0 : ioas_alloc(fd);
		if (strcmp(argv[1], "objects") == 0)
			fill_objects(n, err);
		else if (strcmp(argv[1], "areas") == 0)
			fill_areas(id, n, err, 0);
		else if (strcmp(argv[1], "bytes") == 0)
			fill_areas(id, n, err, 1);
		else if (strcmp(argv[1], "allowed") == 0)
			fill_allowed(id, n, err);
		else if (strcmp(argv[1], "reserved") == 0)
			fill_reserved(id, n, err);
		else {
			printf("unknown kind %s\n", argv[1]);
			return (2);
		}
	}
	check_alive();
	if (hold) {
		printf("%d passed, %d failed; ready %d\n", npass, nfail,
		    (int)getpid());
		fflush(stdout);
		for (;;)
			pause();
	}
	return (check_report());
}
