/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The golden sessions of the differential replay (tests/oracle/record.sh):
 * an ordinary /dev/iommu program that issues a fixed sequence of calls and
 * judges nothing itself. Its answers are what the trace records; run on
 * the real kernel with the pass-through recorder linked in, the trace is
 * the kernel's answers, which tests/integration/oracle_replay.sh replays
 * on ioasidd.
 *
 *	golden ioas	an IOAS session: alloc, ranges, map (fixed and
 *			picked), copy, allow, unmap, option, destroy
 *	golden errors	the error paths: unknown ids and commands, bad
 *			sizes, flags, alignment, overlaps, bad pointers
 *	golden mock	the selftest mock (IOMMU_TEST_CMD): a mock domain,
 *			its maps and refs, an access, pages, reads
 *
 * A second argument names the node to open instead of /dev/iommu (the
 * integration test points the pass-through mode at /dev/null with it).
 * Prints "golden NAME: N calls" and exits 0.
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

#include "iommufd_test.h"

#define PAGE		4096UL

static unsigned int	calls;

/* ioctl, counted; the answer is the trace's business. */
static int
io(int fd, unsigned long cmd, void *arg)
{
	calls++;
	return (ioctl(fd, cmd, arg));
}

/* A new IOAS of fd: its id, or 0. */
static uint32_t
ioas_new(int fd)
{
	struct iommu_ioas_alloc	a = { .size = sizeof(a) };

	if (io(fd, IOMMU_IOAS_ALLOC, &a) != 0)
		return (0);
	return (a.out_ioas_id);
}

/* Maps len bytes at va into ioas at iova (0: the kernel picks). */
static int
map(int fd, uint32_t ioas, void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map	m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
		    (iova != 0 ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return (io(fd, IOMMU_IOAS_MAP, &m));
}

/* Unmaps [iova, iova + len) of ioas (0, 0: everything). */
static int
unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap	u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova,
		.length = len,
	};

	return (io(fd, IOMMU_IOAS_UNMAP, &u));
}

/* Destroys object id. */
static int
destroy(int fd, uint32_t id)
{
	struct iommu_destroy	d = { .size = sizeof(d), .id = id };

	return (io(fd, IOMMU_DESTROY, &d));
}

/* Anonymous memory of n pages, filled with a pattern. */
static uint8_t *
pages(size_t n)
{
	uint8_t	*p;
	size_t	 i;

	p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	for (i = 0; i < n * PAGE; i++)
		p[i] = (uint8_t)(i * 7 + 1);
	return (p);
}

/* The IOAS session. */
static void
session_ioas(int fd)
{
	struct iommu_iova_range		ranges[4];
	struct iommu_ioas_iova_ranges	r;
	struct iommu_ioas_allow_iovas	al;
	struct iommu_ioas_copy		c;
	struct iommu_option		o;
	uint32_t			a, b;
	uint8_t				*p;

	/* Unwritten entries of an output array must not be stack garbage. */
	memset(ranges, 0, sizeof(ranges));
	p = pages(16);
	a = ioas_new(fd);
	b = ioas_new(fd);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = a;
	r.num_iovas = 4;
	r.allowed_iovas = (uintptr_t)ranges;
	io(fd, IOMMU_IOAS_IOVA_RANGES, &r);
	map(fd, a, p, 4 * PAGE, 0x100000);
	map(fd, a, p + 4 * PAGE, 8 * PAGE, 0x200000);
	map(fd, a, p + 12 * PAGE, PAGE, 0);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
	c.dst_ioas_id = b;
	c.src_ioas_id = a;
	c.length = 4 * PAGE;
	c.dst_iova = 0x400000;
	c.src_iova = 0x100000;
	io(fd, IOMMU_IOAS_COPY, &c);
	unmap(fd, a, 0x200000, 4 * PAGE);
	unmap(fd, a, 0x200000 + 4 * PAGE, 4 * PAGE);
	ranges[0].start = 0x1000000;
	ranges[0].last = 0x1ffffff;
	ranges[1].start = 0x4000000;
	ranges[1].last = 0x7ffffff;
	memset(&al, 0, sizeof(al));
	al.size = sizeof(al);
	al.ioas_id = b;
	al.num_iovas = 2;
	al.allowed_iovas = (uintptr_t)ranges;
	io(fd, IOMMU_IOAS_ALLOW_IOVAS, &al);
	unmap(fd, b, 0, 0);
	io(fd, IOMMU_IOAS_ALLOW_IOVAS, &al);
	memset(ranges, 0, sizeof(ranges));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = b;
	r.num_iovas = 4;
	r.allowed_iovas = (uintptr_t)ranges;
	io(fd, IOMMU_IOAS_IOVA_RANGES, &r);
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.option_id = IOMMU_OPTION_HUGE_PAGES;
	o.op = IOMMU_OPTION_OP_GET;
	o.object_id = a;
	io(fd, IOMMU_OPTION, &o);
	o.op = IOMMU_OPTION_OP_SET;
	o.val64 = 0;
	io(fd, IOMMU_OPTION, &o);
	map(fd, a, p, 2 * PAGE, 0x800000);
	unmap(fd, a, 0, 0);
	destroy(fd, b);
	destroy(fd, a);
	munmap(p, 16 * PAGE);
}

/* The error-path session. */
static void
session_errors(int fd)
{
	struct iommu_ioas_alloc		al;
	struct iommu_ioas_map		m;
	struct iommu_ioas_iova_ranges	r;
	struct iommu_option		o;
	uint8_t				big[64];
	uint32_t			a;
	uint8_t				*p;

	p = pages(4);
	a = ioas_new(fd);
	destroy(fd, 9999);
	destroy(fd, 0);
	unmap(fd, 9999, 0, 0);
	/* A struct too small, one too big with non-zero bytes past it. */
	memset(&al, 0, sizeof(al));
	al.size = 4;
	io(fd, IOMMU_IOAS_ALLOC, &al);
	memset(big, 0, sizeof(big));
	al.size = sizeof(big);
	memcpy(big, &al, sizeof(al));
	big[40] = 1;
	io(fd, IOMMU_IOAS_ALLOC, big);
	big[40] = 0;
	io(fd, IOMMU_IOAS_ALLOC, big);
	/* Maps: unaligned, zero length, unknown flag, overlap. */
	map(fd, a, p + 1, PAGE, 0x100000);
	map(fd, a, p, PAGE - 1, 0x100000);
	map(fd, a, p, 0, 0x100000);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = 1U << 20 | IOMMU_IOAS_MAP_READABLE;
	m.ioas_id = a;
	m.user_va = (uintptr_t)p;
	m.length = PAGE;
	io(fd, IOMMU_IOAS_MAP, &m);
	map(fd, a, p, 2 * PAGE, 0x100000);
	map(fd, a, p, PAGE, 0x101000);
	map(fd, a, p, PAGE, 0x100800);
	map(fd, 9999, p, PAGE, 0x100000);
	/* Unmaps: not there, partial, unaligned. */
	unmap(fd, a, 0x900000, PAGE);
	unmap(fd, a, 0x100000, PAGE);
	unmap(fd, a, 0x100800, PAGE);
	/* Memory that is not there. */
	map(fd, a, (void *)(uintptr_t)0x10000, PAGE, 0x300000);
	io(fd, IOMMU_IOAS_ALLOC, NULL);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = a;
	r.num_iovas = 1;
	r.allowed_iovas = 8;
	io(fd, IOMMU_IOAS_IOVA_RANGES, &r);
	/* Too small an array: EMSGSIZE with the count. */
	r.num_iovas = 0;
	r.allowed_iovas = 0;
	io(fd, IOMMU_IOAS_IOVA_RANGES, &r);
	/* Options and commands that are not there. */
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.option_id = 77;
	o.op = IOMMU_OPTION_OP_GET;
	io(fd, IOMMU_OPTION, &o);
	o.option_id = IOMMU_OPTION_HUGE_PAGES;
	o.op = 5;
	o.object_id = a;
	io(fd, IOMMU_OPTION, &o);
	io(fd, _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 99), big);
	/* A destroyed object is gone. */
	destroy(fd, a);
	destroy(fd, a);
	munmap(p, 4 * PAGE);
}

/* The selftest mock session. */
static void
session_mock(int fd)
{
	struct iommu_test_cmd	t;
	uint32_t		ioas, stdev, hwpt, idev, access = 0, pgs;
	uint8_t			*p, buf[64];

	p = pages(8);
	ioas = ioas_new(fd);
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	t.id = ioas;
	io(fd, IOMMU_TEST_CMD, &t);
	stdev = t.mock_domain.out_stdev_id;
	hwpt = t.mock_domain.out_hwpt_id;
	idev = t.mock_domain.out_idev_id;
	map(fd, ioas, p, 8 * PAGE, MOCK_APERTURE_START);
	/* Outside the mock aperture: refused while the domain is there. */
	map(fd, ioas, p, PAGE, 0x1000);
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_MD_CHECK_MAP;
	t.id = hwpt;
	t.check_map.iova = MOCK_APERTURE_START;
	t.check_map.length = 8 * PAGE;
	t.check_map.uptr = (uintptr_t)p;
	io(fd, IOMMU_TEST_CMD, &t);
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_MD_CHECK_REFS;
	t.check_refs.length = 8 * PAGE;
	t.check_refs.uptr = (uintptr_t)p;
	t.check_refs.refs = 1;
	io(fd, IOMMU_TEST_CMD, &t);
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_CREATE_ACCESS;
	t.id = ioas;
	t.create_access.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	if (io(fd, IOMMU_TEST_CMD, &t) == 0)
		access = t.create_access.out_access_fd;
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_ACCESS_RW;
	t.id = access;
	t.access_rw.iova = MOCK_APERTURE_START + 100;
	t.access_rw.length = sizeof(buf);
	t.access_rw.uptr = (uintptr_t)buf;
	memset(buf, 0, sizeof(buf));
	io(fd, IOMMU_TEST_CMD, &t);
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_ACCESS_PAGES;
	t.id = access;
	t.access_pages.iova = MOCK_APERTURE_START;
	t.access_pages.length = 2 * PAGE;
	t.access_pages.uptr = (uintptr_t)p;
	io(fd, IOMMU_TEST_CMD, &t);
	pgs = t.access_pages.out_access_pages_id;
	/* Unmapping pinned pages: the access is told, and unpins. */
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES;
	t.id = access;
	t.destroy_access_pages.access_pages_id = pgs;
	io(fd, IOMMU_TEST_CMD, &t);
	io(fd, IOMMU_TEST_CMD, &t);
	if (access != 0)
		close((int)access);
	unmap(fd, ioas, MOCK_APERTURE_START, 4 * PAGE);
	/* The HWPT and device are the mock's: destroying the IOAS fails. */
	destroy(fd, ioas);
	destroy(fd, idev);
	destroy(fd, stdev);
	destroy(fd, hwpt);
	destroy(fd, ioas);
	munmap(p, 8 * PAGE);
}

int
main(int argc, char **argv)
{
	const char	*node = argc > 2 ? argv[2] : "/dev/iommu";
	int		 fd;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: golden ioas|errors|mock [node]\n");
		return (2);
	}
	if ((fd = open(node, O_RDWR)) < 0) {
		perror(node);
		return (1);
	}
	if (strcmp(argv[1], "ioas") == 0)
		session_ioas(fd);
	else if (strcmp(argv[1], "errors") == 0)
		session_errors(fd);
	else if (strcmp(argv[1], "mock") == 0)
		session_mock(fd);
	else {
		fprintf(stderr, "golden: no session %s\n", argv[1]);
		return (2);
	}
	close(fd);
	printf("golden %s: %u calls\n", argv[1], calls);
	return (0);
}
