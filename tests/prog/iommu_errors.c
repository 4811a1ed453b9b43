/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A session of wrong calls on /dev/iommu, each with the errno the kernel's
 * iommufd gives it: ids that are not there or name the wrong kind of
 * object, flags and options that do not exist, structs too short or with
 * a non-zero tail, maps that overlap or have no length, copies onto a
 * map, unmaps of nothing or of half a map, arrays too small or ranges
 * that overlap, a command number nobody serves.
 * Between them, right calls show that a wrong one changed nothing. It is
 * the error-path golden trace of tests/traces (errors.jsonl).
 *
 * usage: iommu_errors
 */
#include <sys/mman.h>

#include <fcntl.h>
#include <stdlib.h>

#include "check.h"
#include "iommufd_test.h"

#define ERR_BIG		8192		/* a struct longer than a page */

/* ioctl(fd, cmd, arg): 0, or the errno. */
static int
call(int fd, unsigned long cmd, void *arg)
{
	if (ioctl(fd, cmd, arg) == 0)
		return (0);
	return (errno);
}

/* Ids: not there, 0, of the wrong kind, destroyed twice. */
static void
test_ids(int fd, uint32_t ioas)
{
	struct iommu_hw_info		h;
	struct iommu_hwpt_alloc		ha;
	struct iommu_ioas_iova_ranges	r;

	CHECK(ioas_destroy(fd, 4242) == ENOENT, "DESTROY of no id");
	CHECK(ioas_destroy(fd, 0) == ENOENT, "DESTROY of id 0");
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = 4242;
	CHECK(call(fd, IOMMU_IOAS_IOVA_RANGES, &r) == ENOENT,
	    "IOVA_RANGES of no IOAS");
	/* An IOAS is not a device. */
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = ioas;
	CHECK(call(fd, IOMMU_GET_HW_INFO, &h) == ENOENT,
	    "GET_HW_INFO of an IOAS");
	memset(&ha, 0, sizeof(ha));
	ha.size = sizeof(ha);
	ha.dev_id = ioas;
	ha.pt_id = ioas;
	CHECK(call(fd, IOMMU_HWPT_ALLOC, &ha) == ENOENT,
	    "HWPT_ALLOC for an IOAS as the device");
}

/* Flags and options that do not exist. */
static void
test_flags(int fd, uint32_t ioas, void *va, size_t len)
{
	struct iommu_ioas_alloc	a;
	struct iommu_ioas_map	m;
	struct iommu_option	o;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = 1;
	CHECK(call(fd, IOMMU_IOAS_ALLOC, &a) == EOPNOTSUPP,
	    "IOAS_ALLOC with flags");
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.ioas_id = ioas;
	m.flags = IOMMU_IOAS_MAP_READABLE | (1U << 20);
	m.user_va = (uintptr_t)va;
	m.length = len;
	CHECK(call(fd, IOMMU_IOAS_MAP, &m) == EOPNOTSUPP,
	    "IOAS_MAP with an unknown flag");
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.option_id = 77;
	o.op = IOMMU_OPTION_OP_GET;
	CHECK(call(fd, IOMMU_OPTION, &o) == EOPNOTSUPP,
	    "OPTION of an unknown option");
	o.option_id = IOMMU_OPTION_RLIMIT_MODE;
	o.op = 9;
	CHECK(call(fd, IOMMU_OPTION, &o) == EOPNOTSUPP,
	    "OPTION with an unknown op");
	o.op = IOMMU_OPTION_OP_GET;
	o.object_id = ioas;
	CHECK(call(fd, IOMMU_OPTION, &o) == EOPNOTSUPP,
	    "RLIMIT_MODE naming an object");
}

/* Sizes: too short, longer with a non-zero tail, longer with zeros. */
static void
test_sizes(int fd)
{
	struct iommu_ioas_alloc	*a;
	uint8_t			*big;
	uint32_t		 id;

	if ((big = calloc(1, ERR_BIG)) == NULL) {
		CHECK(0, "calloc");
		return;
	}
	a = (struct iommu_ioas_alloc *)big;
	a->size = 8;
	CHECK(call(fd, IOMMU_IOAS_ALLOC, a) == EINVAL,
	    "IOAS_ALLOC with a size below its first fields");
	a->size = 0;
	CHECK(call(fd, IOMMU_IOAS_ALLOC, a) == EINVAL,
	    "IOAS_ALLOC with size 0");
	a->size = 64;
	big[40] = 1;
	CHECK(call(fd, IOMMU_IOAS_ALLOC, a) == E2BIG,
	    "IOAS_ALLOC with a non-zero tail");
	big[40] = 0;
	CHECK(call(fd, IOMMU_IOAS_ALLOC, a) == 0,
	    "IOAS_ALLOC with a zero tail");
	id = a->out_ioas_id;
	CHECK(ioas_destroy(fd, id) == 0, "its DESTROY");
	CHECK(call(fd, _IO(IOMMUFD_TYPE, 0xf0), big) == ENOTTY,
	    "a command number nobody serves");
	free(big);
}

/* Maps and unmaps: overlap, alignment, no length, nothing there. */
static void
test_maps(int fd, uint32_t ioas, uint8_t *va, size_t len)
{
	struct iommu_ioas_map	m;
	struct iommu_ioas_unmap	u;
	struct iommu_ioas_copy	c;
	uint64_t		iova = 1ULL << 24;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.ioas_id = ioas;
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	m.user_va = (uintptr_t)va;
	m.length = len;
	m.iova = iova;
	CHECK(call(fd, IOMMU_IOAS_MAP, &m) == 0, "a map at %#llx",
	    (unsigned long long)iova);
	m.iova = iova + len / 2;
	CHECK(call(fd, IOMMU_IOAS_MAP, &m) == EEXIST, "an overlapping map");
	m.iova = iova + 2 * len;
	m.length = 0;
	CHECK(call(fd, IOMMU_IOAS_MAP, &m) == EINVAL, "a map of length 0");
	m.length = len;
	m.ioas_id = 4242;
	CHECK(call(fd, IOMMU_IOAS_MAP, &m) == ENOENT, "a map into no IOAS");

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = ioas;
	u.iova = iova + 4 * len;
	u.length = len;
	CHECK(call(fd, IOMMU_IOAS_UNMAP, &u) == ENOENT,
	    "an unmap where nothing is mapped");
	u.iova = iova;
	u.length = len / 2;
	CHECK(call(fd, IOMMU_IOAS_UNMAP, &u) == ENOENT,
	    "an unmap cutting a map in two");

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
	c.dst_ioas_id = ioas;
	c.src_ioas_id = 4242;
	c.length = len;
	c.dst_iova = iova + 8 * len;
	c.src_iova = iova;
	CHECK(call(fd, IOMMU_IOAS_COPY, &c) == ENOENT,
	    "a copy from no IOAS");
	c.src_ioas_id = ioas;
	c.dst_iova = iova;
	CHECK(call(fd, IOMMU_IOAS_COPY, &c) == EEXIST,
	    "a copy onto itself");

	/* What the wrong calls left: the one map, whole. */
	u.iova = iova;
	u.length = len;
	CHECK(call(fd, IOMMU_IOAS_UNMAP, &u) == 0 && u.length == len,
	    "the first map unmapped whole");
}

/* Arrays: too small for the answer, allowed ranges that overlap. */
static void
test_arrays(int fd, uint32_t ioas)
{
	struct iommu_ioas_iova_ranges	 r;
	struct iommu_ioas_allow_iovas	 al;
	struct iommu_iova_range		 rg[2];

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = ioas;
	r.num_iovas = 0;
	CHECK(call(fd, IOMMU_IOAS_IOVA_RANGES, &r) == EMSGSIZE &&
	    r.num_iovas >= 1, "IOVA_RANGES into no room");
	memset(&al, 0, sizeof(al));
	al.size = sizeof(al);
	al.ioas_id = ioas;
	rg[0].start = 0x100000;
	rg[0].last = 0x2fffff;
	rg[1].start = 0x200000;
	rg[1].last = 0x3fffff;
	al.num_iovas = 2;
	al.allowed_iovas = (uintptr_t)rg;
	CHECK(call(fd, IOMMU_IOAS_ALLOW_IOVAS, &al) == EINVAL,
	    "ALLOW_IOVAS with ranges that overlap");
	rg[0].start = 0x2000;
	rg[0].last = 0x1000;
	al.num_iovas = 1;
	CHECK(call(fd, IOMMU_IOAS_ALLOW_IOVAS, &al) == EINVAL,
	    "ALLOW_IOVAS with a range ending before it starts");
}

int
main(void)
{
	size_t		 len = 1 << 20;
	uint32_t	 ioas;
	uint8_t		*va;
	int		 fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((fd = open("/dev/iommu", O_RDWR)) < 0) {
		CHECK(0, "open /dev/iommu");
		return (check_report());
	}
	va = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	CHECK(va != MAP_FAILED, "mmap");
	CHECK((ioas = ioas_alloc(fd)) != 0, "IOAS_ALLOC");
	if (va == MAP_FAILED || ioas == 0)
		return (check_report());
	memset(va, 0x5a, len);
	test_ids(fd, ioas);
	test_flags(fd, ioas, va, len);
	test_sizes(fd);
	test_maps(fd, ioas, va, len);
	test_arrays(fd, ioas);
	CHECK(ioas_destroy(fd, ioas) == 0, "DESTROY of the IOAS");
	CHECK(ioas_destroy(fd, ioas) == ENOENT, "DESTROY of it again");
	close(fd);
	return (check_report());
}
