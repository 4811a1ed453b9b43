/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A 32-bit caller of /dev/iommu. The kernel's iommufd has no compat_ioctl,
 * so every ioctl from a 32-bit process gets ENOTTY while open and close
 * work; through CUSE such an ioctl arrives flagged FUSE_IOCTL_COMPAT and
 * ioasidd must answer the same. Only a real kernel can send that flag, so
 * this runs in the guest test.
 *
 * It is built with -m32 -nostdlib -static (see the Makefile), so that no
 * 32-bit C library is needed: the few system calls go through int $0x80
 * with the i386 numbers. Ends with "N passed, M failed".
 */

#include <linux/iommufd.h>

#define SYS32_EXIT	1
#define SYS32_WRITE	4
#define SYS32_OPEN	5
#define SYS32_CLOSE	6
#define SYS32_IOCTL	54
#define O32_RDWR	2
#define E_NOTTY		25

void	_start(void);

static int	npass, nfail;

static long
sys3(long nr, long a, long b, long c)
{
	long	r;

	__asm__ volatile ("int $0x80" : "=a" (r)
	    : "a" (nr), "b" (a), "c" (b), "d" (c) : "memory");
	return (r);
}

/* Lengths are passed in, so that no loop becomes a call to strlen(). */
static void
out(const char *s, long len)
{
	sys3(SYS32_WRITE, 1, (long)s, len);
}

#define OUT(s)	out((s), sizeof(s) - 1)

static void
out_num(long v)
{
	char	buf[24];
	int	i = sizeof(buf);

	if (v < 0) {
		OUT("-");
		v = -v;
	}
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && i > 0);
	out(buf + i, (long)sizeof(buf) - i);
}

/* Report a check; got is the raw system call result. */
static void
check(int cond, const char *what, long whatlen, long got)
{
	if (cond) {
		npass++;
		return;
	}
	nfail++;
	OUT("FAIL ");
	out(what, whatlen);
	OUT(": got ");
	out_num(got);
	OUT("\n");
}

#define CHECK(cond, what, got)	check((cond), (what), sizeof(what) - 1, (got))

__attribute__((force_align_arg_pointer, noreturn)) void
_start(void)
{
	struct iommu_ioas_alloc	a = { .size = sizeof(a) };
	struct iommu_destroy	d = { .size = sizeof(d), .id = 1 };
	long			fd, r;

	fd = sys3(SYS32_OPEN, (long)"/dev/iommu", O32_RDWR, 0);
	CHECK(fd >= 0, "open /dev/iommu", fd);
	if (fd >= 0) {
		r = sys3(SYS32_IOCTL, fd, IOMMU_IOAS_ALLOC, (long)&a);
		CHECK(r == -E_NOTTY, "IOAS_ALLOC gives ENOTTY", r);
		CHECK(a.out_ioas_id == 0, "IOAS_ALLOC wrote nothing",
		    a.out_ioas_id);
		r = sys3(SYS32_IOCTL, fd, IOMMU_DESTROY, (long)&d);
		CHECK(r == -E_NOTTY, "DESTROY gives ENOTTY", r);
		r = sys3(SYS32_IOCTL, fd, _IO(IOMMUFD_TYPE, 0x7f), 0);
		CHECK(r == -E_NOTTY, "an unknown command gives ENOTTY", r);
		r = sys3(SYS32_CLOSE, fd, 0, 0);
		CHECK(r == 0, "close", r);
	}
	out_num(npass);
	OUT(" passed, ");
	out_num(nfail);
	OUT(" failed\n");
	sys3(SYS32_EXIT, nfail != 0, 0, 0);
	for (;;)
		;
}
