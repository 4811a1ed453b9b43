/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * An ordinary /dev/iommu program: open() and ioctl() only, written against
 * <linux/iommufd.h> and knowing nothing of ioasidd. It walks the IOAS
 * commands (alloc, map, unmap, copy, ranges, allow) and the main errno
 * cases, one check per line, and ends with "N passed, M failed"; the exit
 * status is 1 if anything failed. Run it against the real kernel and it
 * should pass the same way.
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

/* ioctl, returning 0 or the errno. */
static int
io(int fd, unsigned long cmd, void *arg)
{
	if (ioctl(fd, cmd, arg) == 0)
		return (0);
	return (errno);
}

/*
 * A struct that can be read but not written: the answer cannot be stored,
 * so EFAULT, with the struct untouched, and the new IOAS is aborted: the
 * next call is answered as if nothing had happened, with the same id.
 */
static void
test_alloc_readonly(int fd)
{
	struct iommu_ioas_alloc	*a;
	struct iommu_destroy	 d = { .size = sizeof(d) };
	long			 pg = sysconf(_SC_PAGESIZE);
	void			*p;
	uint32_t		 first = 0;
	int			 i;

	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		CHECK(0, "mmap");
		return;
	}
	a = (struct iommu_ioas_alloc *)((uint8_t *)p + pg - sizeof(*a));
	for (i = 0; i < 3; i++) {
		memset(a, 0, sizeof(*a));
		a->size = sizeof(*a);
		mprotect(p, pg, PROT_READ);
		CHECK(io(fd, IOMMU_IOAS_ALLOC, a) == EFAULT &&
		    a->out_ioas_id == 0 && a->size == sizeof(*a),
		    "IOAS_ALLOC into a read-only struct gives EFAULT");
		mprotect(p, pg, PROT_READ | PROT_WRITE);
		CHECK(io(fd, IOMMU_IOAS_ALLOC, a) == 0 && a->out_ioas_id != 0,
		    "... and the next IOAS_ALLOC is answered");
		if (i == 0)
			first = a->out_ioas_id;
		CHECK(a->out_ioas_id == first, "... with the id the failed "
		    "one took and gave back (%u, first %u)", a->out_ioas_id,
		    first);
		d.id = a->out_ioas_id;
		CHECK(io(fd, IOMMU_DESTROY, &d) == 0,
		    "... with an id that DESTROY takes");
	}
	munmap(p, pg);
}

static void
test_alloc_and_sizes(int fd)
{
	struct iommu_ioas_alloc	a;
	struct {
		struct iommu_ioas_alloc	a;
		uint8_t			extra;
	} big;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	CHECK(io(fd, IOMMU_IOAS_ALLOC, &a) == 0 && a.out_ioas_id != 0,
	    "IOAS_ALLOC");
	a.flags = 1;
	CHECK(io(fd, IOMMU_IOAS_ALLOC, &a) == EOPNOTSUPP,
	    "IOAS_ALLOC flags 1 gives EOPNOTSUPP");
	a.flags = 0;
	a.size = sizeof(a) - 1;
	CHECK(io(fd, IOMMU_IOAS_ALLOC, &a) == EINVAL,
	    "IOAS_ALLOC short size gives EINVAL");

	memset(&big, 0, sizeof(big));
	big.a.size = sizeof(big.a) + 1;
	big.extra = 0xff;
	CHECK(io(fd, IOMMU_IOAS_ALLOC, &big) == E2BIG,
	    "non-zero byte past the struct gives E2BIG");
	big.extra = 0;
	CHECK(io(fd, IOMMU_IOAS_ALLOC, &big) == 0 && big.a.out_ioas_id != 0,
	    "zero byte past the struct is accepted");
	CHECK(big.extra == 0, "byte past the struct left alone");

	CHECK(io(fd, IOMMU_IOAS_ALLOC, NULL) == EFAULT,
	    "NULL argument gives EFAULT");
	test_alloc_readonly(fd);
	CHECK(io(fd, _IO(IOMMUFD_TYPE, 0x7f), &a) == ENOTTY,
	    "_IO(';', 0x7f) gives ENOTTY");
	CHECK(io(fd, _IO(IOMMUFD_TYPE, 0x9f), &a) == ENOTTY,
	    "a hole in the table gives ENOTTY");
	CHECK(io(fd, _IOWR(IOMMUFD_TYPE, 0x80, struct iommu_destroy), &a) ==
	    ENOTTY, "_IOWR form of DESTROY gives ENOTTY");
}

static void
test_destroy(int fd)
{
	struct iommu_destroy	d = { .size = sizeof(d) };
	uint32_t		id;

	d.id = 0;
	CHECK(io(fd, IOMMU_DESTROY, &d) == ENOENT, "DESTROY id 0: ENOENT");
	id = ioas_alloc(fd);
	CHECK(id != 0, "IOAS_ALLOC for DESTROY");
	d.id = id;
	CHECK(io(fd, IOMMU_DESTROY, &d) == 0, "DESTROY ioas");
	CHECK(io(fd, IOMMU_DESTROY, &d) == ENOENT, "DESTROY twice: ENOENT");
}

static void
test_ranges(int fd)
{
	struct iommu_ioas_iova_ranges	 r;
	struct iommu_iova_range		*v;
	uint32_t			 id = ioas_alloc(fd), n;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = id;
	CHECK(io(fd, IOMMU_IOAS_IOVA_RANGES, &r) == EMSGSIZE &&
	    r.num_iovas >= 1, "IOVA_RANGES with no room: EMSGSIZE and count");
	n = r.num_iovas;
	v = calloc(n, sizeof(*v));
	r.allowed_iovas = (uintptr_t)v;
	CHECK(io(fd, IOMMU_IOAS_IOVA_RANGES, &r) == 0 && r.num_iovas == n,
	    "IOVA_RANGES with room");
	CHECK(n >= 1 && v[0].last > v[0].start, "first range is sane");
	CHECK(r.out_iova_alignment != 0 &&
	    (r.out_iova_alignment & (r.out_iova_alignment - 1)) == 0,
	    "alignment is a power of two");
	r.ioas_id = 0;
	CHECK(io(fd, IOMMU_IOAS_IOVA_RANGES, &r) == ENOENT,
	    "IOVA_RANGES bad id: ENOENT");
	r.ioas_id = id;
	r.__reserved = 1;
	CHECK(io(fd, IOMMU_IOAS_IOVA_RANGES, &r) == EOPNOTSUPP,
	    "IOVA_RANGES reserved: EOPNOTSUPP");
	r.__reserved = 0;
	r.allowed_iovas = 8;	/* unmapped */
	CHECK(io(fd, IOMMU_IOAS_IOVA_RANGES, &r) == EFAULT,
	    "IOVA_RANGES to a bad pointer: EFAULT");
	free(v);
}

static void
test_allow(int fd)
{
	struct iommu_ioas_allow_iovas	a;
	struct iommu_iova_range		v[2];
	uint32_t			id = ioas_alloc(fd);

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.ioas_id = id;
	v[0].start = 0x100000;
	v[0].last = 0x1fffff;
	v[1].start = 0x400000;
	v[1].last = 0x7fffff;
	a.num_iovas = 2;
	a.allowed_iovas = (uintptr_t)v;
	CHECK(io(fd, IOMMU_IOAS_ALLOW_IOVAS, &a) == 0, "ALLOW_IOVAS");
	v[1].start = 0x180000;
	CHECK(io(fd, IOMMU_IOAS_ALLOW_IOVAS, &a) == EINVAL,
	    "ALLOW_IOVAS overlapping: EINVAL");
	v[1].start = 0x900000;
	v[1].last = 0x900000;
	CHECK(io(fd, IOMMU_IOAS_ALLOW_IOVAS, &a) == EINVAL,
	    "ALLOW_IOVAS start >= last: EINVAL");
	a.allowed_iovas = 16;
	CHECK(io(fd, IOMMU_IOAS_ALLOW_IOVAS, &a) == EFAULT,
	    "ALLOW_IOVAS from a bad pointer: EFAULT");
	a.num_iovas = 0;
	CHECK(io(fd, IOMMU_IOAS_ALLOW_IOVAS, &a) == 0,
	    "ALLOW_IOVAS of nothing clears");
}

static void
test_map(int fd)
{
	struct iommu_ioas_map	m;
	struct iommu_ioas_unmap	u;
	struct iommu_ioas_copy	c;
	long			pg = sysconf(_SC_PAGESIZE);
	size_t			len = 16 * pg;
	uint8_t			*buf;
	uint32_t		id = ioas_alloc(fd), id2 = ioas_alloc(fd);

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	memset(buf, 0x5a, len);

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.ioas_id = id;
	m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	m.user_va = (uintptr_t)buf;
	m.length = len;
	CHECK(io(fd, IOMMU_IOAS_MAP, &m) == 0 && m.iova % pg == 0,
	    "IOAS_MAP at a chosen IOVA");

	m.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
	m.iova = 0x10000000;
	CHECK(io(fd, IOMMU_IOAS_MAP, &m) == 0 && m.iova == 0x10000000,
	    "IOAS_MAP fixed");
	CHECK(io(fd, IOMMU_IOAS_MAP, &m) == EEXIST,
	    "IOAS_MAP fixed over a mapping: EEXIST");
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	m.iova = 0x20000000;
	CHECK(io(fd, IOMMU_IOAS_MAP, &m) == EINVAL,
	    "IOAS_MAP neither readable nor writeable: EINVAL");
	m.flags = IOMMU_IOAS_MAP_READABLE | 0x100;
	CHECK(io(fd, IOMMU_IOAS_MAP, &m) == EOPNOTSUPP,
	    "IOAS_MAP unknown flag: EOPNOTSUPP");
	m.flags = IOMMU_IOAS_MAP_READABLE;
	m.ioas_id = 0;
	CHECK(io(fd, IOMMU_IOAS_MAP, &m) == ENOENT,
	    "IOAS_MAP bad ioas: ENOENT");

	/* COPY the fixed mapping into the second IOAS. */
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = IOMMU_IOAS_MAP_READABLE;
	c.dst_ioas_id = id2;
	c.src_ioas_id = id;
	c.length = 4 * pg;
	c.src_iova = 0x10000000 + 2 * pg;
	CHECK(io(fd, IOMMU_IOAS_COPY, &c) == 0 && c.dst_iova % pg == 0,
	    "IOAS_COPY");
	c.src_iova = 0x30000000;
	CHECK(io(fd, IOMMU_IOAS_COPY, &c) == ENOENT,
	    "IOAS_COPY of unmapped IOVA: ENOENT");

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = id;
	u.iova = 0x10000000;
	u.length = len;
	CHECK(io(fd, IOMMU_IOAS_UNMAP, &u) == 0 && u.length == len,
	    "IOAS_UNMAP of the fixed mapping");
	u.iova = 0x10000000;
	u.length = len;
	CHECK(io(fd, IOMMU_IOAS_UNMAP, &u) == ENOENT,
	    "IOAS_UNMAP again: ENOENT");
	u.iova = 0;
	u.length = UINT64_MAX;
	CHECK(io(fd, IOMMU_IOAS_UNMAP, &u) == 0 && u.length == len,
	    "IOAS_UNMAP of everything");
	u.ioas_id = id2;
	u.iova = 0;
	u.length = UINT64_MAX;
	CHECK(io(fd, IOMMU_IOAS_UNMAP, &u) == 0 && u.length == 4 * (size_t)pg,
	    "IOAS_UNMAP of the copy");
	munmap(buf, len);
}

/*
 * Leave the stack full of non-zero bytes, as a program deep in its own
 * work would, so that the next call finds no zeros it did not write.
 */
static void __attribute__((__noinline__))
stack_busy(void)
{
	volatile uint8_t	junk[16384];
	size_t			i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = 0xa5;
}

/* MAP_FILE of a memfd, called with a busy stack each time. */
static void
test_map_file(int fd)
{
	struct iommu_ioas_map_file	m;
	struct iommu_ioas_unmap		u;
	long				pg = sysconf(_SC_PAGESIZE);
	uint32_t			id = ioas_alloc(fd);
	char				path[64];
	int				mfd, i, ok = 1;

	mfd = memfd_create("iommu_basic", MFD_CLOEXEC);
	CHECK(mfd >= 0 && ftruncate(mfd, 4 * pg) == 0, "memfd");
	for (i = 0; i < 8 && ok; i++) {
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
		m.ioas_id = id;
		m.fd = mfd;
		m.length = 4 * pg;
		stack_busy();
		memset(&u, 0, sizeof(u));
		u.size = sizeof(u);
		u.ioas_id = id;
		u.length = UINT64_MAX;
		ok = io(fd, IOMMU_IOAS_MAP_FILE, &m) == 0 &&
		    io(fd, IOMMU_IOAS_UNMAP, &u) == 0 && u.length == 4 * (uint64_t)pg;
	}
	CHECK(ok, "IOAS_MAP_FILE of a memfd, and unmap, eight times");
	m.fd = -1;
	CHECK(io(fd, IOMMU_IOAS_MAP_FILE, &m) == EBADF,
	    "IOAS_MAP_FILE of fd -1: EBADF");
	/* fget() does not see O_PATH descriptors. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	m.fd = open(path, O_PATH | O_CLOEXEC);
	CHECK(m.fd >= 0 && io(fd, IOMMU_IOAS_MAP_FILE, &m) == EBADF,
	    "IOAS_MAP_FILE of an O_PATH descriptor: EBADF");
	if (m.fd >= 0)
		close(m.fd);
	if (mfd >= 0)
		close(mfd);
	ioas_destroy(fd, id);
}

static void
test_fds(int fd)
{
	struct iommu_destroy	d = { .size = sizeof(d) };
	uint32_t		id = ioas_alloc(fd);
	int			fd2, fd3;

	fd2 = dup(fd);
	d.id = id;
	CHECK(fd2 >= 0 && io(fd2, IOMMU_DESTROY, &d) == 0,
	    "a dup'ed descriptor is the same context");
	close(fd2);
	CHECK(ioas_alloc(fd) != 0, "the original still works after close");

	fd3 = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	CHECK(fd3 >= 0, "second open");
	id = ioas_alloc(fd);
	d.id = id;
	CHECK(io(fd3, IOMMU_DESTROY, &d) == ENOENT,
	    "another open is another context");
	CHECK((fcntl(fd3, F_GETFD) & FD_CLOEXEC) != 0, "O_CLOEXEC honoured");
	close(fd3);
	fd3 = openat(AT_FDCWD, "//dev//iommu", O_RDWR);
	CHECK(fd3 >= 0 && ioas_alloc(fd3) != 0, "openat with //");
	if (fd3 >= 0)
		close(fd3);
}

int
main(void)
{
	int	fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open("/dev/iommu", O_RDWR);
	if (fd == -1) {
		printf("FAIL open /dev/iommu: %s\n0 passed, 1 failed\n",
		    strerror(errno));
		return (1);
	}
	test_alloc_and_sizes(fd);
	test_destroy(fd);
	test_ranges(fd);
	test_allow(fd);
	test_map(fd);
	test_map_file(fd);
	test_fds(fd);
	close(fd);
	return (check_report());
}
