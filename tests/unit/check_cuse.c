/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The CUSE transport against a fake kernel (cuse_fake.h): the real
 * transport/cuse.c and libfuse on a real event base, the kernel's side
 * played over a socketpair. Every ioctl goes through the retry rounds as
 * fs/fuse/ioctl.c runs them, and each test checks the answer, the caller
 * memory afterwards, and how many FUSE round trips it took.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <linux/fuse.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include <sys/eventfd.h>
#include <sys/stat.h>

#include "conf.h"
#include "core/ctx.h"
#include "core/umem.h"
#include "core/util.h"
#include "cuse_fake.h"
#include "dev/vfio_cdev.h"
#include "ioasidd.h"
#include "iommufd/ioas.h"
#include "iommufd/pages.h"
#include "suites.h"
#include "transport/cuse.h"

static struct fk	 fk;
static uint64_t		 fh;

static void
cuse_setup(void)
{
	ck_assert_int_eq(fk_start(&fk, "/dev/iommu"), 0);
	ck_assert_int_eq(fk_open(&fk, &fh), 0);
}

static void
cuse_teardown(void)
{
	if (fh != 0)
		ck_assert_int_eq(fk_release(&fk, fh), 0);
	fh = 0;
	fk_stop(&fk);
	ck_assert_ptr_null(TAILQ_FIRST(&ctx_list));
	ck_assert_uint_eq(umem_count(), 0);
}

static uint32_t
cuse_ioas(void)
{
	struct iommu_ioas_alloc	a = { .size = sizeof(a) };

	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, (uintptr_t)&a,
	    0), 0);
	ck_assert_uint_ne(a.out_ioas_id, 0);
	return (a.out_ioas_id);
}

START_TEST(init_and_node)
{
	ck_assert_str_eq(fk.devinfo, "DEVNAME=iommu");
	ck_assert_uint_eq(fk.init_major, FUSE_KERNEL_VERSION);
	ck_assert(fk.init_flags & CUSE_UNRESTRICTED_IOCTL);
	ck_assert_uint_eq(fk.max_read, 131072);
	ck_assert_int_eq(fk.ready, 1);
	ck_assert_int_eq(fk.ended, 0);
}
END_TEST

START_TEST(ioas_alloc)
{
	struct {
		struct iommu_ioas_alloc	a;
		uint32_t		tail;
	} big;
	struct iommu_ioas_alloc	a = { .size = sizeof(a) };
	struct ctx		*ctx = TAILQ_FIRST(&ctx_list);

	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, (uintptr_t)&a,
	    0), 0);
	ck_assert_uint_eq(a.out_ioas_id, 1);
	/* size == min_size: the first retry already carries it all. */
	ck_assert_int_eq(fk.rounds, 2);
	ck_assert_ptr_nonnull(obj_find(ctx, 1, OBJ_IOAS));
	ck_assert_str_eq(ctx->transport, "cuse");
	ck_assert_int_eq(ctx->opener, getpid());

	/* A longer struct with a zero tail: one round more. */
	memset(&big, 0, sizeof(big));
	big.a.size = sizeof(big);
	big.tail = 0;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC,
	    (uintptr_t)&big, 0), 0);
	ck_assert_uint_eq(big.a.out_ioas_id, 2);
	ck_assert_int_eq(fk.rounds, 3);
	ck_assert_uint_eq(ctx->nioctls, 2);
}
END_TEST

START_TEST(map_unmap_copy)
{
	struct iommu_ioas_map	 m;
	struct iommu_ioas_copy	 c;
	struct iommu_ioas_unmap	 u;
	uint32_t		 src, dst;
	size_t			 len = 64 * 1024;
	void			*buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(buf, MAP_FAILED);
	memset(buf, 0x5a, len);
	src = cuse_ioas();
	dst = cuse_ioas();

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
	    IOMMU_IOAS_MAP_FIXED_IOVA;
	m.ioas_id = src;
	m.user_va = (uintptr_t)buf;
	m.length = len;
	m.iova = 0x100000;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_MAP, (uintptr_t)&m,
	    0), 0);
	ck_assert_int_eq(fk.rounds, 2);
	ck_assert_uint_eq(m.iova, 0x100000);

	/* Without FIXED_IOVA the daemon picks the IOVA and writes it back. */
	m.flags &= ~IOMMU_IOAS_MAP_FIXED_IOVA;
	m.iova = 0xdead0000;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_MAP, (uintptr_t)&m,
	    0), 0);
	ck_assert_uint_ne(m.iova, 0xdead0000);
	ck_assert(m.iova + len <= 0x100000 || m.iova >= 0x100000 + len);

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA;
	c.dst_ioas_id = dst;
	c.src_ioas_id = src;
	c.length = len;
	c.dst_iova = 0x200000;
	c.src_iova = 0x100000;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_COPY, (uintptr_t)&c,
	    0), 0);
	ck_assert_int_eq(fk.rounds, 2);

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = dst;
	u.iova = 0x200000;
	u.length = len;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_UNMAP, (uintptr_t)&u,
	    0), 0);
	ck_assert_uint_eq(u.length, len);
	ck_assert_int_eq(fk.rounds, 2);
	/* Nothing left there: ENOENT, and length says 0 unmapped. */
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_UNMAP, (uintptr_t)&u,
	    0), -ENOENT);

	/* The whole of src: both maps. */
	u.ioas_id = src;
	u.iova = 0;
	u.length = UINT64_MAX;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_UNMAP, (uintptr_t)&u,
	    0), 0);
	ck_assert_uint_eq(u.length, 2 * len);
	munmap(buf, len);
}
END_TEST

START_TEST(iova_ranges)
{
	struct iommu_ioas_iova_ranges	 r;
	struct iommu_iova_range		*v;
	uint32_t			 ioas = cuse_ioas(), n, i;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = ioas;
	/* No room: EMSGSIZE, and the count comes back all the same. */
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_IOVA_RANGES,
	    (uintptr_t)&r, 0), -EMSGSIZE);
	ck_assert_uint_ge(r.num_iovas, 1);
	ck_assert_uint_ne(r.out_iova_alignment, 0);
	ck_assert_int_eq(fk.rounds, 2);
	n = r.num_iovas;

	/* One entry more than needed: the last keeps what it held. */
	v = calloc(n + 1, sizeof(*v));
	ck_assert_ptr_nonnull(v);
	for (i = 0; i <= n; i++)
		v[i].start = v[i].last = 0xabababab;
	r.num_iovas = n + 1;
	r.allowed_iovas = (uintptr_t)v;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_IOVA_RANGES,
	    (uintptr_t)&r, 0), 0);
	ck_assert_uint_eq(r.num_iovas, n);
	ck_assert_int_eq(fk.rounds, 3);
	ck_assert_uint_eq(v[0].start, 0);
	ck_assert_uint_gt(v[n - 1].last, v[0].start);
	ck_assert_uint_eq(v[n].start, 0xabababab);
	ck_assert_uint_eq(v[n].last, 0xabababab);
	free(v);
}
END_TEST

START_TEST(allow_iovas)
{
	struct iommu_ioas_allow_iovas	 a;
	struct iommu_ioas_map		 m;
	struct iommu_iova_range		 in[2] = {
		{ 0x10000, 0x1ffff }, { 0x100000, 0x1fffff },
	};
	uint32_t			 ioas = cuse_ioas(), i;
	void				*buf;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.ioas_id = ioas;
	a.num_iovas = 2;
	a.allowed_iovas = (uintptr_t)in;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOW_IOVAS,
	    (uintptr_t)&a, 0), 0);
	ck_assert_int_eq(fk.rounds, 3);

	/* Maps without a fixed IOVA now land inside the allowed ranges. */
	buf = mmap(NULL, 0x8000, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(buf, MAP_FAILED);
	for (i = 0; i < 4; i++) {
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		m.flags = IOMMU_IOAS_MAP_READABLE;
		m.ioas_id = ioas;
		m.user_va = (uintptr_t)buf;
		m.length = 0x8000;
		ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_MAP,
		    (uintptr_t)&m, 0), 0);
		ck_assert((m.iova >= in[0].start &&
		    m.iova + 0x7fff <= in[0].last) ||
		    (m.iova >= in[1].start && m.iova + 0x7fff <= in[1].last));
	}
	munmap(buf, 0x8000);

	/* A bad array address: the kernel's copy-in fails. */
	a.allowed_iovas = 0x10;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOW_IOVAS,
	    (uintptr_t)&a, 0), -EFAULT);
}
END_TEST

START_TEST(size_rules)
{
	struct {
		struct iommu_ioas_alloc	a;
		uint32_t		tail;
	} s;
	struct ctx	*ctx = TAILQ_FIRST(&ctx_list);

	memset(&s, 0, sizeof(s));
	s.a.size = 8;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, (uintptr_t)&s,
	    0), -EINVAL);
	ck_assert_int_eq(fk.rounds, 2);

	s.a.size = sizeof(s);
	s.tail = 1;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, (uintptr_t)&s,
	    0), -E2BIG);
	ck_assert_uint_eq(s.a.out_ioas_id, 0);
	ck_assert_int_eq(fk.rounds, 3);
	ck_assert_uint_eq(ctx->nobjs, 0);

	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, 0, 0), -EFAULT);
	ck_assert_uint_eq(ctx->nobjs, 0);
}
END_TEST

START_TEST(unknown_and_compat)
{
	struct iommu_ioas_alloc	a = { .size = sizeof(a) };

	ck_assert_int_eq(fk_ioctl(&fk, fh, _IO(IOMMUFD_TYPE, 0x9f),
	    (uintptr_t)&a, 0), -ENOTTY);
	ck_assert_int_eq(fk.rounds, 1);
	ck_assert_int_eq(fk_ioctl(&fk, fh, _IOWR(IOMMUFD_TYPE, 0x81,
	    struct iommu_ioas_alloc), (uintptr_t)&a, 0), -ENOTTY);
	ck_assert_int_eq(fk_ioctl(&fk, fh, _IO('x', 1), 0, 0), -ENOTTY);
	/* A 32-bit caller: the real device has no compat_ioctl. */
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, (uintptr_t)&a,
	    FUSE_IOCTL_COMPAT | FUSE_IOCTL_32BIT), -ENOTTY);
	ck_assert_int_eq(fk.rounds, 1);
	ck_assert_uint_eq(a.out_ioas_id, 0);
	/* VFIO device commands belong to device nodes, not here. */
	ck_assert_int_eq(fk_ioctl(&fk, fh, VFIO_DEVICE_BIND_IOMMUFD,
	    (uintptr_t)&a, 0), -ENOTTY);
	ck_assert_int_eq(fk.rounds, 1);
}
END_TEST

START_TEST(value_commands)
{
	ck_assert_int_eq(fk_ioctl(&fk, fh, VFIO_GET_API_VERSION, 0, 0),
	    VFIO_API_VERSION);
	ck_assert_int_eq(fk.rounds, 1);
	ck_assert_int_eq(fk_ioctl(&fk, fh, VFIO_CHECK_EXTENSION,
	    VFIO_TYPE1v2_IOMMU, 0), 1);
	ck_assert_int_eq(fk.rounds, 1);
}
END_TEST

/* Round 1 read size 12; make it 16 with a zero tail before round 2. */
struct grow {
	struct iommu_ioas_alloc	a;
	uint32_t		tail;
};

static void
hook_grow(struct fk *k __unused, int n, void *arg)
{
	struct grow	*g = arg;

	if (n == 1)
		g->a.size = sizeof(*g);
}

static void
hook_shrink(struct fk *k __unused, int n, void *arg)
{
	struct iommu_ioas_alloc	*a = arg;

	if (n == 1)
		a->size = 4;
}

static void
hook_more(struct fk *k __unused, int n, void *arg)
{
	struct iommu_ioas_iova_ranges	*r = arg;

	if (n == 1)
		r->num_iovas = 2;
}

static void
hook_less(struct fk *k __unused, int n, void *arg)
{
	struct iommu_ioas_iova_ranges	*r = arg;

	if (n == 2)
		r->num_iovas = 0;
}

START_TEST(memory_changes)
{
	struct grow			 g;
	struct iommu_ioas_alloc		 a = { .size = sizeof(a) };
	struct iommu_ioas_iova_ranges	 r;
	struct iommu_iova_range		 out[2];
	uint32_t			 ioas;

	memset(&g, 0, sizeof(g));
	g.a.size = sizeof(g.a);
	fk.hook = hook_grow;
	fk.hook_arg = &g;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, (uintptr_t)&g,
	    0), 0);
	ck_assert_uint_eq(g.a.out_ioas_id, 1);
	ck_assert_int_eq(fk.rounds, 3);

	fk.hook = hook_shrink;
	fk.hook_arg = &a;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, (uintptr_t)&a,
	    0), -EINVAL);
	ck_assert_uint_eq(a.out_ioas_id, 0);
	fk.hook = NULL;

	/* After round 1 the caller makes room for 2 entries: 3 rounds. */
	ioas = cuse_ioas();
	memset(&r, 0, sizeof(r));
	memset(out, 0xab, sizeof(out));
	r.size = sizeof(r);
	r.ioas_id = ioas;
	r.allowed_iovas = (uintptr_t)out;
	fk.hook = hook_more;
	fk.hook_arg = &r;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_IOVA_RANGES,
	    (uintptr_t)&r, 0), 0);
	ck_assert_int_eq(fk.rounds, 3);
	ck_assert_uint_eq(r.num_iovas, 1);
	ck_assert_uint_eq(out[0].start, 0);
	ck_assert_uint_ne(out[0].last, 0xabababababababab);
	ck_assert_uint_eq(out[1].start, 0xabababababababab);

	/* After round 2 (which asked for the array) it takes it back. */
	memset(out, 0xab, sizeof(out));
	r.num_iovas = 2;
	fk.hook = hook_less;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_IOVA_RANGES,
	    (uintptr_t)&r, 0), -EMSGSIZE);
	fk.hook = NULL;
	ck_assert_int_eq(fk.rounds, 4);
	ck_assert_uint_eq(r.num_iovas, 1);
	ck_assert_uint_eq(out[0].start, 0xabababababababab);
}
END_TEST

START_TEST(fd_commands)
{
	struct iommu_fault_alloc	f;
	struct iommu_ioas_map_file	mf;
	struct iommu_ioas_unmap		u;
	uint32_t			ioas = cuse_ioas();
	int				mfd;

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_FAULT_QUEUE_ALLOC,
	    (uintptr_t)&f, 0), -EOPNOTSUPP);
	ck_assert_uint_eq(TAILQ_FIRST(&ctx_list)->nobjs, 1);

	/* MAP_FILE takes the caller's memfd through a pidfd. */
	mfd = memfd_create("cuse-test", MFD_CLOEXEC);
	ck_assert_int_ge(mfd, 0);
	ck_assert_int_eq(ftruncate(mfd, 65536), 0);
	memset(&mf, 0, sizeof(mf));
	mf.size = sizeof(mf);
	mf.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	mf.ioas_id = ioas;
	mf.fd = mfd;
	mf.length = 65536;
	mf.iova = 0xdead0000;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_MAP_FILE,
	    (uintptr_t)&mf, 0), 0);
	ck_assert_uint_ne(mf.iova, 0xdead0000);
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = ioas;
	u.iova = mf.iova;
	u.length = 65536;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_UNMAP, (uintptr_t)&u,
	    0), 0);
	ck_assert_uint_eq(u.length, 65536);
	close(mfd);
	/*
	 * A number the caller has not open (not mfd: in this test the
	 * daemon is the caller, and its pidfd would take the number).
	 */
	ck_assert_int_eq(fcntl(999, F_GETFD), -1);
	mf.fd = 999;
	mf.iova = 0;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_MAP_FILE,
	    (uintptr_t)&mf, 0), -EBADF);
	/* An O_PATH descriptor is not one fget() takes: EBADF. */
	mf.fd = open("/dev/null", O_PATH | O_CLOEXEC);
	ck_assert_int_ge(mf.fd, 0);
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_MAP_FILE,
	    (uintptr_t)&mf, 0), -EBADF);
	close(mf.fd);
}
END_TEST

START_TEST(large_direct)
{
	struct iommu_ioas_allow_iovas	 a;
	struct iommu_ioas_iova_ranges	 r;
	struct iommu_ioas_map		 m;
	struct iommu_iova_range		*v;
	uint32_t			 ioas = cuse_ioas(), n = 10000, i;

	/* 160000 bytes of ranges: more than a retry may carry. */
	v = calloc(n, sizeof(*v));
	ck_assert_ptr_nonnull(v);
	for (i = 0; i < n; i++) {
		v[i].start = (uint64_t)i << 20;
		v[i].last = v[i].start + 0xffff;
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.ioas_id = ioas;
	a.num_iovas = n;
	a.allowed_iovas = (uintptr_t)v;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOW_IOVAS,
	    (uintptr_t)&a, 0), 0);
	ck_assert_int_eq(fk.rounds, 2);

	/* A map without a fixed IOVA lands in one of them. */
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_READABLE;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)v;
	m.length = 4096;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_MAP, (uintptr_t)&m,
	    0), 0);
	ck_assert_uint_le((m.iova & 0xfffff) + 4095, 0xffff);

	/* An out array of 160000 bytes: written directly. */
	memset(v, 0xab, n * sizeof(*v));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = ioas;
	r.num_iovas = n;
	r.allowed_iovas = (uintptr_t)v;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_IOVA_RANGES,
	    (uintptr_t)&r, 0), 0);
	ck_assert_int_eq(fk.rounds, 2);
	ck_assert_uint_eq(r.num_iovas, 1);
	ck_assert_uint_eq(v[0].start, 0);
	ck_assert_uint_eq(v[1].start, 0xabababababababab);

	/* A caller we cannot see: ENOMEM, as the kernel says, and no change. */
	fk.pid = 0;
	a.num_iovas = 1;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOW_IOVAS,
	    (uintptr_t)&a, 0), 0);
	a.num_iovas = n;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOW_IOVAS,
	    (uintptr_t)&a, 0), -ENOMEM);
	fk.pid = getpid();
	free(v);
}
END_TEST

/* The IOAS answers under its id: the open's context is alive. */
static int
cuse_alive(uint32_t ioas)
{
	struct iommu_ioas_iova_ranges	r;
	long				rc;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = ioas;
	rc = fk_ioctl(&fk, fh, IOMMU_IOAS_IOVA_RANGES, (uintptr_t)&r, 0);
	return ((rc == 0 || rc == -EMSGSIZE) && r.num_iovas >= 1);
}

/*
 * The calls that ended a context over the socket (issue 7, 2), through
 * CUSE: each gets the kernel's answer, from the kernel's own copy (a
 * wrapping span) or from the caller's memory read directly (an array past
 * the retry limit), and the context goes on.
 */
START_TEST(issue_calls)
{
	struct iommu_ioas_allow_iovas	 a;
	struct iommu_hwpt_alloc		 h;
	struct iommu_hwpt_invalidate	 v;
	uint32_t			 ioas = cuse_ioas();
	uint8_t				*zeros;
	size_t				 zlen = (1ull << 30) + 4096;

	zeros = mmap(NULL, zlen, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(zeros, MAP_FAILED);

	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, UINT64_MAX, 0),
	    -EFAULT);
	ck_assert(cuse_alive(ioas));

	/* An entry [0, 0] first: EINVAL, read where it lies. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.ioas_id = ioas;
	a.num_iovas = (1u << 26) + 1;
	a.allowed_iovas = (uintptr_t)zeros;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOW_IOVAS,
	    (uintptr_t)&a, 0), -EINVAL);
	ck_assert(cuse_alive(ioas));
	/* Ranges that would wrap the address space: EFAULT. */
	a.num_iovas = 2;
	a.allowed_iovas = UINT64_MAX - 15;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOW_IOVAS,
	    (uintptr_t)&a, 0), -EFAULT);
	ck_assert(cuse_alive(ioas));

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.data_type = 0xdead;
	h.data_len = 0x40000001;
	h.data_uptr = (uintptr_t)zeros;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_HWPT_ALLOC, (uintptr_t)&h,
	    0), -ENOENT);
	ck_assert(cuse_alive(ioas));

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.hwpt_id = ioas;
	v.data_uptr = (uintptr_t)zeros;
	v.entry_len = 4096;
	v.entry_num = 1u << 20;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_HWPT_INVALIDATE,
	    (uintptr_t)&v, 0), -EINVAL);
	ck_assert_uint_eq(v.entry_num, 0);
	ck_assert(cuse_alive(ioas));
	munmap(zeros, zlen);
}
END_TEST

/*
 * A struct the caller cannot write: the kernel's copy of the answer would
 * fail, so the new IOAS is aborted before the answer goes (EFAULT, the
 * struct untouched) and its id is the next one handed out.
 */
START_TEST(readonly_alloc)
{
	struct iommu_ioas_alloc	*a;
	long			 pg = sysconf(_SC_PAGESIZE);
	uint32_t		 first = cuse_ioas(), next;
	uint8_t			*p;

	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	a = (struct iommu_ioas_alloc *)(p + pg - sizeof(*a));
	a->size = sizeof(*a);
	ck_assert_int_eq(mprotect(p, pg, PROT_READ), 0);
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, (uintptr_t)a,
	    0), -EFAULT);
	ck_assert_uint_eq(a->out_ioas_id, 0);
	next = cuse_ioas();
	ck_assert_uint_eq(next, first + 1);
	ck_assert(cuse_alive(first));
	munmap(p, pg);
}
END_TEST

START_TEST(read_write_poll)
{
	char	buf[16];

	ck_assert_int_eq(fk_read(&fk, fh, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(fk_write(&fk, fh, "x", 1), -EINVAL);
	ck_assert_int_eq(fk_poll(&fk, fh, POLLIN | POLLOUT),
	    POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}
END_TEST

START_TEST(two_opens)
{
	struct iommu_ioas_alloc	 a = { .size = sizeof(a) };
	struct ctx		*c1, *c2;
	uint64_t		 fh2;

	ck_assert_int_eq(fk_open(&fk, &fh2), 0);
	ck_assert_uint_ne(fh2, fh);
	c1 = TAILQ_FIRST(&ctx_list);
	c2 = TAILQ_NEXT(c1, entry);
	ck_assert_ptr_nonnull(c2);
	ck_assert_ptr_null(TAILQ_NEXT(c2, entry));
	ck_assert_uint_ne(c1->id, c2->id);

	/* Each has its own ids. */
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, (uintptr_t)&a,
	    0), 0);
	ck_assert_uint_eq(a.out_ioas_id, 1);
	ck_assert_int_eq(fk_ioctl(&fk, fh2, IOMMU_IOAS_ALLOC, (uintptr_t)&a,
	    0), 0);
	ck_assert_uint_eq(a.out_ioas_id, 1);
	ck_assert_uint_eq(cuse_server_nopens(fk.srv), 2);

	/* Release frees that context and its objects, and only that one. */
	ck_assert_int_eq(fk_release(&fk, fh2), 0);
	ck_assert_ptr_eq(TAILQ_FIRST(&ctx_list), c1);
	ck_assert_ptr_null(TAILQ_NEXT(c1, entry));
	ck_assert_int_eq(fk_release(&fk, fh), 0);
	fh = 0;
	ck_assert_ptr_null(TAILQ_FIRST(&ctx_list));
	ck_assert_uint_eq(cuse_server_nopens(fk.srv), 0);
}
END_TEST

/* The start of pid's lowest mapping: its executable's ELF header. */
static uint64_t
cuse_first_mapping(pid_t pid)
{
	char			 path[64], line[512];
	unsigned long long	 start, off;
	FILE			*f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	fclose(f);
	ck_assert_int_eq(sscanf(line, "%llx-%*s %*s %llx", &start, &off), 2);
	ck_assert_uint_eq(off, 0);
	return (start);
}

/*
 * A process that keeps its descriptor across exec (live update) keeps its
 * pid and thread id, so the open's cached caller matches; its old address
 * space is gone all the same, and what it maps from the new image must be
 * read from the new image.
 */
START_TEST(caller_execs)
{
	struct iommu_ioas_map	 m;
	struct ioas		*ioas;
	struct iopt_area	*a;
	struct ctx		*ctx;
	char			 hdr[4], ready[8];
	uint32_t		 id;
	uint64_t		 start;
	pid_t			 child;
	int			 go[2], rd[2], status;

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(rd), 0);
	if ((child = fork()) == 0) {
		char	c;

		/* Exec when told; the new image says when it runs. */
		close(go[1]);
		close(rd[0]);
		if (read(go[0], &c, 1) == 1 && dup2(go[0], 0) == 0 &&
		    dup2(rd[1], 1) == 1)
			execl("/bin/sh", "sh", "-c", "echo ready; read x",
			    (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(child, 0);
	close(go[0]);
	close(rd[1]);

	/* The child speaks first as its old image: the caller is cached. */
	fk.pid = (uint32_t)child;
	id = cuse_ioas();
	ck_assert_int_eq(write(go[1], "x", 1), 1);
	ck_assert_int_eq(read(rd[0], ready, sizeof(ready)), 6);
	start = cuse_first_mapping(child);

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA;
	m.ioas_id = id;
	m.user_va = start;
	m.length = 4096;
	m.iova = 0x100000;
	ck_assert_int_eq(fk_ioctl(&fk, fh, IOMMU_IOAS_MAP, (uintptr_t)&m,
	    0), 0);

	ck_assert_ptr_nonnull(ctx = TAILQ_FIRST(&ctx_list));
	ck_assert_int_eq(ioas_get(ctx, id, &ioas), 0);
	ck_assert_ptr_nonnull(a = iopt_area_find(&ioas->iopt, 0x100000));
	ck_assert_int_eq(pages_rw(iopt_area_pages(a), 0, hdr, sizeof(hdr),
	    0), 0);
	ck_assert_mem_eq(hdr, "\177ELF", 4);

	kill(child, SIGKILL);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	close(go[1]);
	close(rd[0]);
	fk.pid = (uint32_t)getpid();
}
END_TEST

START_TEST(kernel_goes_away)
{
	uint64_t	fh2;

	ck_assert_int_eq(fk_open(&fk, &fh2), 0);
	(void)cuse_ioas();
	/* The connection is aborted: no release comes, nothing is left. */
	close(fk.fd);
	fk.fd = -1;
	fk_pump(&fk);
	ck_assert_int_eq(fk.ended, 1);
	ck_assert_int_lt(fk.end_error, 0);
	ck_assert_ptr_null(TAILQ_FIRST(&ctx_list));
	fh = 0;
}
END_TEST

START_TEST(close_ends_session)
{
	char	c;

	fk_release(&fk, fh);
	fh = 0;
	cuse_server_close(fk.srv);
	fk.srv = NULL;
	/* Our end reads EOF: the daemon's descriptor is closed. */
	ck_assert_int_eq(recv(fk.fd, &c, 1, MSG_DONTWAIT), 0);
}
END_TEST

/*
 * An emulated VFIO device node (an edu function) through CUSE: read and
 * write are EINVAL at any offset (the kernel's CUSE sends them all at 0),
 * the region access ioctls reach the regions, in retry rounds, to a
 * region's end; SET_IRQS's eventfd comes with pidfd_getfd().
 */
static struct ctx	*vctx;
static int		 vpipe[2] = { -1, -1 };

#define VREG(i)		((uint64_t)(i) << 40)

static void
vnode_setup(void)
{
	struct conf_device	dev;
	struct stat		st;

	memset(&dev, 0, sizeof(dev));
	dev.name = (char *)"edu0";
	dev.function = (char *)"edu";
	dev.rid = 0x0018;
	dev.iommu = (char *)"iommu0";
	dev.model = (char *)"mock";
	ck_assert_int_eq(vfio_cdev_configure(&dev, 1), 0);
	/* The iommufd the bind names: a pipe standing for its file. */
	ck_assert_int_eq(ctx_new("test", getpid(), &vctx), 0);
	ck_assert_int_eq(pipe(vpipe), 0);
	ck_assert_int_eq(fstat(vpipe[0], &st), 0);
	ck_assert_int_eq(ctx_set_file(vctx, st.st_dev, st.st_ino), 0);
	ck_assert_int_eq(fk_start_vfio(&fk, "/dev/vfio/devices/vfio0", 0), 0);
	ck_assert_int_eq(fk_open(&fk, &fh), 0);
}

static void
vnode_teardown(void)
{
	if (fh != 0)
		ck_assert_int_eq(fk_release(&fk, fh), 0);
	fh = 0;
	fk_stop(&fk);
	ctx_close(vctx);
	vctx = NULL;
	close(vpipe[0]);
	close(vpipe[1]);
	vfio_cdev_unconfigure();
	ck_assert_ptr_null(TAILQ_FIRST(&ctx_list));
}

static long
vnode_set_irqs(uint32_t flags, int32_t efd)
{
	union {
		struct vfio_irq_set	s;
		uint8_t			buf[sizeof(struct vfio_irq_set) +
					    sizeof(int32_t)];
	} a;

	memset(&a, 0, sizeof(a));
	a.s.argsz = sizeof(a);
	a.s.flags = flags;
	a.s.index = VFIO_PCI_INTX_IRQ_INDEX;
	a.s.count = 1;
	memcpy(a.s.data, &efd, sizeof(efd));
	if (!(flags & VFIO_IRQ_SET_DATA_EVENTFD))
		a.s.argsz = sizeof(a.s);
	return (fk_ioctl(&fk, fh, VFIO_DEVICE_SET_IRQS, (uintptr_t)&a, 0));
}

/* One region access by ioctl: the bytes done, or -errno. */
static long
vnode_rw(unsigned int cmd, void *buf, uint64_t len, uint64_t off)
{
	struct ioasidd_region_rw	rw;

	memset(&rw, 0, sizeof(rw));
	rw.argsz = sizeof(rw);
	rw.offset = off;
	rw.length = len;
	rw.data_uptr = (uintptr_t)buf;
	return (fk_ioctl(&fk, fh, cmd, (uintptr_t)&rw, 0));
}

START_TEST(vnode_region_rw)
{
	struct vfio_device_bind_iommufd	 b;
	uint8_t				*big;
	uint32_t			 v;
	uint64_t			 cnt;
	uint16_t			 cmd = 0x6;
	int				 efd;

	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_READ, &v, 4, VREG(7)),
	    -EINVAL);
	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = vpipe[0];
	if (fk_ioctl(&fk, fh, VFIO_DEVICE_BIND_IOMMUFD, (uintptr_t)&b, 0) ==
	    -EPERM)
		return;		/* no pidfd_getfd() on ourselves here */
	ck_assert_uint_ne(b.out_devid, 0);

	/* read and write: no offset reaches us, so none is served. */
	ck_assert_int_eq(fk_pread(&fk, fh, &v, 4, VREG(7)), -EINVAL);
	ck_assert_int_eq(fk_pread(&fk, fh, &v, 4, 0), -EINVAL);
	ck_assert_int_eq(fk_pwrite(&fk, fh, &v, 4, VREG(0) + 4), -EINVAL);

	v = 0;
	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_READ, &v, 4, VREG(7)), 4);
	ck_assert_uint_eq(v, 0x11e81234);
	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_WRITE, &cmd, 2,
	    VREG(7) + 4), 2);
	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_READ, &v, 4, VREG(0)), 4);
	ck_assert_uint_eq(v, 0x010000ed);
	v = 0x1234;
	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_WRITE, &v, 4, VREG(0) + 4),
	    4);
	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_READ, &v, 4, VREG(0) + 4),
	    4);
	ck_assert_uint_eq(v, ~0x1234u);
	/* To the region's end and no further. */
	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_READ, &v, 8,
	    VREG(0) + (1 << 20) - 4), 4);
	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_READ, &v, 4,
	    VREG(0) + (1 << 20)), -EINVAL);
	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_READ, &v, 4, VREG(5)),
	    -EINVAL);
	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_WRITE, &v, 4, VREG(6)),
	    -EINVAL);
	/* One call moves at most IOASIDD_REGION_RW_MAX bytes. */
	big = malloc(96 * 1024);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_READ, big, 96 * 1024,
	    VREG(0)), IOASIDD_REGION_RW_MAX);
	free(big);

	/* INTx into an eventfd the caller names by number. */
	ck_assert_int_ge(efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), 0);
	ck_assert_int_eq(vnode_set_irqs(VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, efd), 0);
	v = 1;
	ck_assert_int_eq(vnode_rw(IOASIDD_REGION_WRITE, &v, 4,
	    VREG(0) + 0x60), 4);
	ck_assert_int_eq(read(efd, &cnt, 8), 8);
	ck_assert_uint_eq(cnt, 1);
	ck_assert_int_eq(vnode_set_irqs(VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, -1), 0);
	close(efd);
}
END_TEST

/* /dev/iommu has no read or write: EINVAL at any offset. */
START_TEST(vnode_iommu_has_none)
{
	uint32_t	v;

	fk_release(&fk, fh);
	fh = 0;
	fk_stop(&fk);
	ck_assert_int_eq(fk_start(&fk, "/dev/iommu"), 0);
	ck_assert_int_eq(fk_open(&fk, &fh), 0);
	ck_assert_int_eq(fk_pread(&fk, fh, &v, 4, VREG(0)), -EINVAL);
	ck_assert_int_eq(fk_pwrite(&fk, fh, &v, 4, VREG(7)), -EINVAL);
}
END_TEST

static Suite *
cuse_suite(void)
{
	Suite	*s = suite_create("cuse");
	TCase	*tc = tcase_create("fake-kernel");

	tcase_add_checked_fixture(tc, cuse_setup, cuse_teardown);
	tcase_add_test(tc, init_and_node);
	tcase_add_test(tc, ioas_alloc);
	tcase_add_test(tc, map_unmap_copy);
	tcase_add_test(tc, iova_ranges);
	tcase_add_test(tc, allow_iovas);
	tcase_add_test(tc, size_rules);
	tcase_add_test(tc, unknown_and_compat);
	tcase_add_test(tc, value_commands);
	tcase_add_test(tc, memory_changes);
	tcase_add_test(tc, fd_commands);
	tcase_add_test(tc, large_direct);
	tcase_add_test(tc, issue_calls);
	tcase_add_test(tc, readonly_alloc);
	tcase_add_test(tc, read_write_poll);
	tcase_add_test(tc, two_opens);
	tcase_add_test(tc, caller_execs);
	tcase_add_test(tc, kernel_goes_away);
	tcase_add_test(tc, close_ends_session);
	suite_add_tcase(s, tc);
	tc = tcase_create("vfio-node");
	tcase_add_checked_fixture(tc, vnode_setup, vnode_teardown);
	tcase_add_test(tc, vnode_region_rw);
	tcase_add_test(tc, vnode_iommu_has_none);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(cuse_suite)
