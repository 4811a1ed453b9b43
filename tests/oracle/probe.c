/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A fixed sequence of /dev/iommu calls whose answers are printed, one line
 * per call, so that two runs can be compared line by line: the same
 * program against the kernel's /dev/iommu (built -static, run in a guest)
 * and against ioasidd (built dynamically, run under the preload library).
 *
 * Every line is
 *
 *	P name rc errno [key=value ...]
 *
 * where rc is what ioctl() returned and errno is its name ("-" on
 * success). The outputs printed are those the kernel defines: ids,
 * chosen IOVAs, counts, the bytes written back. Nothing that depends on
 * the run (descriptor numbers, addresses of the program's own memory) is
 * printed; user addresses come from a mapping at a fixed address.
 *
 * Line names carry the kernel version a command arrived in, as
 * "[6.13]", when it is newer than 6.2, so that a comparison against an
 * older kernel can tell "not there yet" (ENOTTY) from a difference.
 * Lines that need the selftest's mock domain start with "domain.".
 *
 * The program knows nothing of ioasidd. It exits 0 unless it could not
 * open /dev/iommu or set up its memory.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "iommufd_test.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define PSZ		4096ULL
/*
 * The probe's memory, at the same address in every run, clear of where
 * ASan keeps its shadow (below 0x10007fff8000) and its heap (0x6000...).
 */
#define BUF_ADDR	0x520000000000ULL
#define BUF_SIZE	(16ULL << 20)
/* A page with nothing mapped after it, for faults past a struct. */
#define EDGE_ADDR	(BUF_ADDR + BUF_SIZE + (2ULL << 20))
/* An address where nothing is mapped. */
#define HOLE_ADDR	(BUF_ADDR - (1ULL << 30))

static unsigned char	*buf;		/* BUF_SIZE bytes at BUF_ADDR */
static unsigned char	*edge;		/* one page at EDGE_ADDR */

static const struct {
	int		 e;
	const char	*name;
} probe_errnos[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EBADF, "EBADF" },
	{ ENOMEM, "ENOMEM" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
	{ ENOSPC, "ENOSPC" }, { ENOTTY, "ENOTTY" }, { E2BIG, "E2BIG" },
	{ ERANGE, "ERANGE" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ EOVERFLOW, "EOVERFLOW" }, { EADDRINUSE, "EADDRINUSE" },
	{ EMSGSIZE, "EMSGSIZE" }, { ENXIO, "ENXIO" }, { EIO, "EIO" },
	{ ENOSYS, "ENOSYS" }, { EACCES, "EACCES" },
};

static const char *
probe_errname(int e)
{
	static char	 other[16];
	size_t		 i;

	if (e == 0)
		return ("-");
	for (i = 0; i < sizeof(probe_errnos) / sizeof(probe_errnos[0]); i++) {
		if (probe_errnos[i].e == e)
			return (probe_errnos[i].name);
	}
	snprintf(other, sizeof(other), "E%d", e);
	return (other);
}

static long	last_rc;
static int	last_errno;

/* Run one ioctl and remember its outcome for probe_line(). */
static long
probe_ioctl(int fd, unsigned long cmd, void *arg)
{
	errno = 0;
	last_rc = ioctl(fd, cmd, arg);
	last_errno = last_rc < 0 ? errno : 0;
	return (last_rc);
}

static long
probe_ioctl_val(int fd, unsigned long cmd, unsigned long arg)
{
	errno = 0;
	last_rc = ioctl(fd, cmd, arg);
	last_errno = last_rc < 0 ? errno : 0;
	return (last_rc);
}

/* Print the line of the last call, with optional key=value outputs. */
static void __attribute__((format(printf, 2, 3)))
probe_line(const char *name, const char *fmt, ...)
{
	va_list	 ap;

	printf("P %s %ld %s", name, last_rc, probe_errname(last_errno));
	if (fmt != NULL && *fmt != '\0') {
		putchar(' ');
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	putchar('\n');
	fflush(stdout);
}

static int
probe_open(void)
{
	int	 fd;

	if ((fd = open("/dev/iommu", O_RDWR)) < 0) {
		printf("P open -1 %s\n", probe_errname(errno));
		exit(1);
	}
	return (fd);
}

static uint32_t
probe_ioas(int fd)
{
	struct iommu_ioas_alloc	 a = { .size = sizeof(a) };

	if (probe_ioctl(fd, IOMMU_IOAS_ALLOC, &a) != 0)
		return (0);
	return (a.out_ioas_id);
}

static void
probe_destroy(int fd, const char *name, uint32_t id)
{
	struct iommu_destroy	 d = { .size = sizeof(d), .id = id };

	probe_ioctl(fd, IOMMU_DESTROY, &d);
	probe_line(name, NULL);
}

/* MAP and print the IOVA written back. */
static void
probe_map(int fd, const char *name, uint32_t ioas, uint32_t flags,
    uint64_t va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map	 m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas,
		.user_va = va, .length = len, .iova = iova,
	};

	probe_ioctl(fd, IOMMU_IOAS_MAP, &m);
	probe_line(name, "iova=0x%llx", (unsigned long long)m.iova);
}

static void
probe_unmap(int fd, const char *name, uint32_t ioas, uint64_t iova,
    uint64_t len)
{
	struct iommu_ioas_unmap	 u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova,
		.length = len,
	};

	probe_ioctl(fd, IOMMU_IOAS_UNMAP, &u);
	probe_line(name, "length=0x%llx", (unsigned long long)u.length);
}

static void
probe_copy(int fd, const char *name, uint32_t flags, uint32_t dst,
    uint32_t src, uint64_t len, uint64_t dst_iova, uint64_t src_iova)
{
	struct iommu_ioas_copy	 c = {
		.size = sizeof(c), .flags = flags, .dst_ioas_id = dst,
		.src_ioas_id = src, .length = len, .dst_iova = dst_iova,
		.src_iova = src_iova,
	};

	probe_ioctl(fd, IOMMU_IOAS_COPY, &c);
	probe_line(name, "dst_iova=0x%llx", (unsigned long long)c.dst_iova);
}

/* IOVA_RANGES with room for cap entries; prints what came back. */
static void
probe_ranges(int fd, const char *name, uint32_t ioas, uint32_t cap)
{
	struct iommu_iova_range		 r[8];
	struct iommu_ioas_iova_ranges	 q = {
		.size = sizeof(q), .ioas_id = ioas, .num_iovas = cap,
		.allowed_iovas = (uintptr_t)r,
	};
	char				 out[512];
	size_t				 o = 0;
	uint32_t			 i;

	memset(r, 0xa5, sizeof(r));
	q.out_iova_alignment = 0x5a5a;
	probe_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q);
	o += snprintf(out + o, sizeof(out) - o, "num=%u align=0x%llx",
	    q.num_iovas, (unsigned long long)q.out_iova_alignment);
	for (i = 0; i < cap && i < 8 && o < sizeof(out); i++) {
		if (r[i].start == 0xa5a5a5a5a5a5a5a5ULL) {
			o += snprintf(out + o, sizeof(out) - o, " untouched");
			continue;
		}
		o += snprintf(out + o, sizeof(out) - o, " [0x%llx,0x%llx]",
		    (unsigned long long)r[i].start,
		    (unsigned long long)r[i].last);
	}
	probe_line(name, "%s", out);
}

static void
probe_allow(int fd, const char *name, uint32_t ioas,
    const struct iommu_iova_range *r, uint32_t n)
{
	struct iommu_ioas_allow_iovas	 a = {
		.size = sizeof(a), .ioas_id = ioas, .num_iovas = n,
		.allowed_iovas = (uintptr_t)r,
	};

	probe_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a);
	probe_line(name, NULL);
}

/* IOMMU_OPTION; prints val64 and whether anything else was written. */
static void
probe_option(int fd, const char *name, uint32_t id, uint16_t op,
    uint32_t obj, uint64_t val)
{
	struct iommu_option	 o = {
		.size = sizeof(o), .option_id = id, .op = op,
		.object_id = obj, .val64 = val,
	};
	struct iommu_option	 before = o;

	probe_ioctl(fd, IOMMU_OPTION, &o);
	probe_line(name, "val64=0x%llx head=%s",
	    (unsigned long long)o.val64,
	    memcmp(&o, &before, offsetof(struct iommu_option, val64)) == 0 ?
	    "same" : "changed");
}

static uint64_t
probe_test(int fd, const char *name, struct iommu_test_cmd *t)
{
	t->size = sizeof(*t);
	probe_ioctl(fd, IOMMU_TEST_CMD, t);
	probe_line(name, NULL);
	return (last_rc);
}

static void
probe_reserve(int fd, const char *name, uint32_t ioas, uint64_t start,
    uint64_t len)
{
	struct iommu_test_cmd	 t = {
		.op = IOMMU_TEST_OP_ADD_RESERVED, .id = ioas,
		.add_reserved = { .start = start, .length = len },
	};

	probe_test(fd, name, &t);
}

/*
 * The dispatcher: unknown numbers, NULL, and the size contract of every
 * command (the selftest's cmd_length, plus sizes 0 and past the end of
 * readable memory). Each command gets a fresh descriptor, so that what
 * one creates does not change another's answer.
 */
static const struct {
	const char	*name;
	unsigned long	 cmd;
	uint32_t	 size;
	uint32_t	 min;
} probe_cmds[] = {
	{ "destroy", IOMMU_DESTROY, 8, 8 },
	{ "ioas_alloc", IOMMU_IOAS_ALLOC, 12, 12 },
	{ "allow_iovas", IOMMU_IOAS_ALLOW_IOVAS, 24, 24 },
	{ "copy", IOMMU_IOAS_COPY, 40, 40 },
	{ "iova_ranges", IOMMU_IOAS_IOVA_RANGES, 32, 32 },
	{ "map", IOMMU_IOAS_MAP, 40, 40 },
	{ "unmap", IOMMU_IOAS_UNMAP, 24, 24 },
	{ "option", IOMMU_OPTION, 24, 24 },
	{ "vfio_ioas", IOMMU_VFIO_IOAS, 12, 12 },
	{ "hwpt_alloc", IOMMU_HWPT_ALLOC, 48, 24 },
	{ "get_hw_info", IOMMU_GET_HW_INFO, 40, 32 },
	{ "set_dirty_tracking", IOMMU_HWPT_SET_DIRTY_TRACKING, 16, 16 },
	{ "get_dirty_bitmap", IOMMU_HWPT_GET_DIRTY_BITMAP, 48, 48 },
	{ "hwpt_invalidate", IOMMU_HWPT_INVALIDATE, 32, 32 },
	{ "fault_queue_alloc", IOMMU_FAULT_QUEUE_ALLOC, 16, 16 },
	{ "map_file[6.13]", IOMMU_IOAS_MAP_FILE, 40, 40 },
	{ "viommu_alloc[6.13]", IOMMU_VIOMMU_ALLOC, 40, 24 },
	{ "vdevice_alloc[6.13]", IOMMU_VDEVICE_ALLOC, 24, 24 },
	{ "change_process[6.14]", IOMMU_IOAS_CHANGE_PROCESS, 8, 8 },
	{ "veventq_alloc[6.15]", IOMMU_VEVENTQ_ALLOC, 32, 28 },
	{ "hw_queue_alloc[6.17]", IOMMU_HW_QUEUE_ALLOC, 40, 40 },
	{ "test_cmd", IOMMU_TEST_CMD, 72, 68 },
};

/* A struct of the given size at the end of the edge page. */
static void *
probe_at_edge(uint32_t len)
{
	memset(edge, 0, PSZ);
	return (edge + PSZ - len);
}

static void
probe_dispatch(void)
{
	char		 name[96];
	uint32_t	*arg;
	size_t		 i;
	int		 fd;

	fd = probe_open();
	probe_destroy(fd, "dispatch.destroy_id0", 0);
	probe_ioctl(fd, IOMMU_DESTROY, NULL);
	probe_line("dispatch.null_arg", NULL);
	arg = probe_at_edge(8);
	arg[0] = 8;
	probe_ioctl_val(fd, _IO(IOMMUFD_TYPE, 0x7f), (uintptr_t)arg);
	probe_line("dispatch.nr_0x7f", NULL);
	probe_ioctl_val(fd, _IOWR(IOMMUFD_TYPE, 0x80, struct iommu_destroy),
	    (uintptr_t)arg);
	probe_line("dispatch.iowr_destroy", NULL);
	probe_ioctl_val(fd, _IO(IOMMUFD_TYPE, 0x95), (uintptr_t)arg);
	probe_line("dispatch.nr_0x95", NULL);
	probe_ioctl_val(fd, _IO(IOMMUFD_TYPE, 0x9f), (uintptr_t)arg);
	probe_line("dispatch.nr_0x9f", NULL);
	probe_ioctl_val(fd, _IO(IOMMUFD_TYPE, 0xa1), (uintptr_t)arg);
	probe_line("dispatch.nr_0xa1", NULL);
	probe_ioctl_val(fd, _IO(IOMMUFD_TYPE + 1, 0x80), (uintptr_t)arg);
	probe_line("dispatch.type_0x3c", NULL);
	/* A size field that cannot be read in full. */
	probe_ioctl_val(fd, IOMMU_DESTROY, (uintptr_t)(edge + PSZ - 2));
	probe_line("dispatch.size_straddles", NULL);
	/* cmd_ex_fail: DESTROY with an 8-byte future tail. */
	arg = probe_at_edge(16);
	arg[0] = 16;
	probe_ioctl(fd, IOMMU_DESTROY, arg);
	probe_line("dispatch.ex_tail_zero", NULL);
	arg[2] = 1;
	probe_ioctl(fd, IOMMU_DESTROY, arg);
	probe_line("dispatch.ex_tail_one", NULL);
	arg[0] = 8;
	probe_ioctl(fd, IOMMU_DESTROY, arg);
	probe_line("dispatch.ex_size8", NULL);
	arg[0] = 7;
	probe_ioctl(fd, IOMMU_DESTROY, arg);
	probe_line("dispatch.ex_size7", NULL);
	close(fd);

	for (i = 0; i < sizeof(probe_cmds) / sizeof(probe_cmds[0]); i++) {
		uint32_t	 sz = probe_cmds[i].size;
		uint32_t	 sizes[] = { 0, 1, 3, probe_cmds[i].min - 1 };
		size_t		 j;

		fd = probe_open();
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			arg = probe_at_edge(sz + 1);
			arg[0] = sizes[j];
			probe_ioctl(fd, probe_cmds[i].cmd, arg);
			snprintf(name, sizeof(name), "length.%s.size%u",
			    probe_cmds[i].name, sizes[j]);
			probe_line(name, NULL);
		}
		arg = probe_at_edge(sz + 1);
		arg[0] = sz + 1;
		((unsigned char *)arg)[sz] = 0xff;
		probe_ioctl(fd, probe_cmds[i].cmd, arg);
		snprintf(name, sizeof(name), "length.%s.tail_ff",
		    probe_cmds[i].name);
		probe_line(name, NULL);
		arg = probe_at_edge(sz + 1);
		arg[0] = sz;
		probe_ioctl(fd, probe_cmds[i].cmd, arg);
		snprintf(name, sizeof(name), "length.%s.zero", probe_cmds[i].name);
		probe_line(name, "out=%08x,%08x,%08x", arg[1],
		    sz > 8 ? arg[2] : 0, sz > 12 ? arg[3] : 0);
		arg = probe_at_edge(sz + 1);
		arg[0] = sz + 1;
		probe_ioctl(fd, probe_cmds[i].cmd, arg);
		snprintf(name, sizeof(name), "length.%s.tail_zero",
		    probe_cmds[i].name);
		probe_line(name, "out=%08x,%08x,%08x", arg[1],
		    sz > 8 ? arg[2] : 0, sz > 12 ? arg[3] : 0);
		/* A zero tail that runs into unmapped memory. */
		arg = probe_at_edge(sz);
		arg[0] = sz + 64;
		probe_ioctl(fd, probe_cmds[i].cmd, arg);
		snprintf(name, sizeof(name), "length.%s.tail_unmapped",
		    probe_cmds[i].name);
		probe_line(name, NULL);
		/* A page-long zero tail. */
		arg = probe_at_edge(PSZ);
		arg[0] = PSZ;
		probe_ioctl(fd, probe_cmds[i].cmd, arg);
		snprintf(name, sizeof(name), "length.%s.size4096",
		    probe_cmds[i].name);
		probe_line(name, NULL);
		close(fd);
	}
}

static void
probe_ioas_basic(void)
{
	struct iommu_ioas_alloc		 a = { .size = sizeof(a), .flags = 1 };
	struct iommu_ioas_iova_ranges	 q;
	uint32_t			 ioas, ioas2;
	int				 fd;

	fd = probe_open();
	probe_ioctl(fd, IOMMU_IOAS_ALLOC, &a);
	probe_line("ioas.alloc_flags1", "out=%u", a.out_ioas_id);
	ioas = probe_ioas(fd);
	probe_line("ioas.alloc", "id=%u", ioas);
	ioas2 = probe_ioas(fd);
	probe_line("ioas.alloc2", "id=%u", ioas2);
	probe_ranges(fd, "ioas.ranges_cap0", ioas, 0);
	probe_ranges(fd, "ioas.ranges_cap1", ioas, 1);
	probe_ranges(fd, "ioas.ranges_cap4", ioas, 4);
	probe_ranges(fd, "ioas.ranges_badid", 99, 4);
	probe_ranges(fd, "ioas.ranges_id0", 0, 4);
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.ioas_id = ioas;
	q.__reserved = 1;
	probe_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q);
	probe_line("ioas.ranges_reserved", "num=%u", q.num_iovas);
	q.__reserved = 0;
	q.num_iovas = 1;
	q.allowed_iovas = HOLE_ADDR;
	probe_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q);
	probe_line("ioas.ranges_fault", "num=%u", q.num_iovas);
	q.allowed_iovas = 0;
	probe_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q);
	probe_line("ioas.ranges_null", "num=%u", q.num_iovas);
	/* Reserved holes from the selftest. */
	probe_reserve(fd, "ioas.reserve_page1", ioas, PSZ, PSZ);
	probe_ranges(fd, "ioas.ranges_reserved1", ioas, 4);
	probe_reserve(fd, "ioas.reserve_top", ioas, UINT64_MAX - PSZ + 1,
	    PSZ);
	probe_ranges(fd, "ioas.ranges_reserved2", ioas, 4);
	probe_reserve(fd, "ioas.reserve_zero_len", ioas, 0x100000, 0);
	probe_ranges(fd, "ioas.ranges_reserved3", ioas, 4);
	probe_reserve(fd, "ioas.reserve_wrap", ioas, 0x200000, UINT64_MAX);
	probe_ranges(fd, "ioas.ranges_reserved4", ioas, 4);
	probe_reserve(fd, "ioas.reserve_badid", 99, 0x300000, PSZ);
	probe_reserve(fd, "ioas.reserve_overlap", ioas, PSZ + 16, 16);
	probe_ranges(fd, "ioas.ranges_reserved5", ioas, 8);
	probe_ranges(fd, "ioas.ranges_other", ioas2, 4);
	close(fd);
}

/* MAP's checks, and their order when several are wrong at once. */
static void
probe_map_errors(void)
{
	struct iommu_ioas_map	 m;
	uint32_t		 ioas;
	int			 fd;
	const uint32_t		 RW = IOMMU_IOAS_MAP_READABLE |
				    IOMMU_IOAS_MAP_WRITEABLE;
	const uint32_t		 FX = IOMMU_IOAS_MAP_FIXED_IOVA;
	const uint64_t		 va = BUF_ADDR;

	fd = probe_open();
	ioas = probe_ioas(fd);
	probe_map(fd, "map.flags8", ioas, RW | 8, va, PSZ, 0);
	probe_map(fd, "map.flags8_badioas", 99, RW | 8, va, PSZ, 0);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = RW;
	m.ioas_id = ioas;
	m.__reserved = 1;
	m.user_va = va;
	m.length = PSZ;
	probe_ioctl(fd, IOMMU_IOAS_MAP, &m);
	probe_line("map.reserved", NULL);
	probe_map(fd, "map.iova_max", ioas, RW | FX, va, PSZ, UINT64_MAX);
	probe_map(fd, "map.len_max", ioas, RW, va, UINT64_MAX, 0);
	probe_map(fd, "map.len_max_norw", ioas, 0, va, UINT64_MAX, 0);
	probe_map(fd, "map.len_max_badioas", 99, RW, va, UINT64_MAX, 0);
	probe_map(fd, "map.norw", ioas, 0, va, PSZ, 0);
	probe_map(fd, "map.norw_badioas", 99, 0, va, PSZ, 0);
	probe_map(fd, "map.badioas", 99, RW, va, PSZ, 0);
	probe_map(fd, "map.ioas0", 0, RW, va, PSZ, 0);
	probe_map(fd, "map.len0_auto", ioas, RW, va, 0, 0);
	probe_map(fd, "map.len0_fixed", ioas, RW | FX, va, 0, PSZ);
	probe_map(fd, "map.len0_badioas", 99, RW, va, 0, 0);
	probe_map(fd, "map.len_half", ioas, RW, va, UINT64_MAX / 2, 0);
	probe_map(fd, "map.len_half_minus1", ioas, RW, va,
	    UINT64_MAX / 2 - 1, 0);
	probe_unmap(fd, "map.unmap_half", ioas, 0, UINT64_MAX);
	probe_map(fd, "map.fixed_wrap", ioas, RW | FX, va, 2 * PSZ,
	    UINT64_MAX - PSZ);
	probe_map(fd, "map.fixed_wrap_len0", ioas, RW | FX, va, 0,
	    UINT64_MAX - PSZ);
	probe_map(fd, "map.fixed_top", ioas, RW | FX, va, PSZ,
	    UINT64_MAX - PSZ);
	probe_unmap(fd, "map.unmap_top", ioas, UINT64_MAX - PSZ, PSZ);
	probe_map(fd, "map.fixed_last_byte", ioas, RW | FX, va, 1,
	    UINT64_MAX - 1);
	probe_map(fd, "map.fixed_ok", ioas, RW | FX, va, 4 * PSZ, 0x100000);
	probe_map(fd, "map.fixed_same", ioas, RW | FX, va, 4 * PSZ,
	    0x100000);
	probe_map(fd, "map.fixed_overlap_lo", ioas, RW | FX, va, 4 * PSZ,
	    0x100000 - PSZ);
	probe_map(fd, "map.fixed_overlap_hi", ioas, RW | FX, va, 4 * PSZ,
	    0x100000 + 3 * PSZ);
	probe_map(fd, "map.fixed_inside", ioas, RW | FX, va, PSZ,
	    0x100000 + PSZ);
	probe_map(fd, "map.fixed_cover", ioas, RW | FX, va, 8 * PSZ,
	    0x100000 - 2 * PSZ);
	probe_map(fd, "map.fixed_touch", ioas, RW | FX, va, PSZ,
	    0x100000 + 4 * PSZ);
	probe_map(fd, "map.fixed_unaligned_iova", ioas, RW | FX, va + 1,
	    PSZ, 0x300001);
	probe_map(fd, "map.fixed_odd_len", ioas, RW | FX, va, 100, 0x400000);
	probe_map(fd, "map.readonly", ioas, IOMMU_IOAS_MAP_READABLE, va,
	    PSZ, 0);
	probe_map(fd, "map.writeonly", ioas, IOMMU_IOAS_MAP_WRITEABLE, va,
	    PSZ, 0);
	probe_map(fd, "map.unmapped_va", ioas, RW, HOLE_ADDR, PSZ, 0);
	probe_map(fd, "map.va0", ioas, RW, 0, PSZ, 0);
	probe_map(fd, "map.va_top", ioas, RW, UINT64_MAX - PSZ + 1, PSZ, 0);
	probe_map(fd, "map.va_wrap", ioas, RW, UINT64_MAX - PSZ + 1,
	    2 * PSZ, 0);
	/* Reserved ranges block fixed maps (EINVAL) and are skipped. */
	probe_reserve(fd, "map.reserve", ioas, 0x800000, 0x100000);
	probe_map(fd, "map.fixed_in_reserved", ioas, RW | FX, va, PSZ,
	    0x800000);
	probe_map(fd, "map.fixed_across_reserved", ioas, RW | FX, va,
	    2 * PSZ, 0x800000 - PSZ);
	probe_ranges(fd, "map.ranges", ioas, 8);
	probe_unmap(fd, "map.unmap_all", ioas, 0, UINT64_MAX);
	/* Nearly everything reserved: the auto map has no room. */
	probe_reserve(fd, "map.reserve_most", ioas, PSZ, UINT64_MAX - 3 * PSZ);
	probe_ranges(fd, "map.ranges_most", ioas, 8);
	probe_map(fd, "map.nospace", ioas, RW, va, PSZ, 0);
	probe_map(fd, "map.fixed_in_hole", ioas, RW | FX, va, PSZ, 0);
	probe_map(fd, "map.auto_after_fixed", ioas, RW, va, PSZ, 0);
	close(fd);
}

/* Where automatic allocation puts mappings of various lengths and VAs. */
static void
probe_auto_iova(void)
{
	static const uint64_t	 lens[] = {
		1, 100, 2048, PSZ, PSZ + 1, 3 * PSZ, 8 * PSZ, 64 * 1024,
		(2ULL << 20) - PSZ, 2ULL << 20, (2ULL << 20) + PSZ, 4ULL << 20,
	};
	static const uint64_t	 offs[] = {
		0, 0x123, 0x800, PSZ, 3 * PSZ, 0x10000, 0x200000,
	};
	struct iommu_iova_range	 allow[2];
	char			 name[96];
	uint32_t		 ioas;
	size_t			 i, j;
	int			 fd;
	const uint32_t		 RW = IOMMU_IOAS_MAP_READABLE |
				    IOMMU_IOAS_MAP_WRITEABLE;

	fd = probe_open();
	ioas = probe_ioas(fd);
	for (j = 0; j < sizeof(offs) / sizeof(offs[0]); j++) {
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			snprintf(name, sizeof(name), "auto.va+0x%llx.len0x%llx",
			    (unsigned long long)offs[j],
			    (unsigned long long)lens[i]);
			probe_map(fd, name, ioas, RW, BUF_ADDR + offs[j],
			    lens[i], 0);
		}
		snprintf(name, sizeof(name), "auto.va+0x%llx.unmap_all",
		    (unsigned long long)offs[j]);
		probe_unmap(fd, name, ioas, 0, UINT64_MAX);
	}
	/* Addresses with few low zero bits, and 0. */
	probe_map(fd, "auto.va_odd_page", ioas, RW, 0x7f0000401000ULL,
	    8 * PSZ, 0);
	probe_map(fd, "auto.va_zero", ioas, RW, 0, 8 * PSZ, 0);
	probe_map(fd, "auto.va_zero_odd", ioas, RW, 0, 3 * PSZ, 0);
	probe_map(fd, "auto.va_2m_len_2m", ioas, RW, 0x40000000ULL,
	    2ULL << 20, 0);
	probe_map(fd, "auto.va_1g_len_1g", ioas, RW, 0x40000000ULL,
	    1ULL << 30, 0);
	probe_unmap(fd, "auto.unmap_all2", ioas, 0, UINT64_MAX);
	/* With an allowed list: only inside it. */
	allow[0].start = 0x10000000;
	allow[0].last = 0x10000000 + 3 * PSZ - 1;
	allow[1].start = 0x20000800;
	allow[1].last = 0x2fffffff;
	probe_allow(fd, "auto.allow", ioas, allow, 2);
	probe_map(fd, "auto.allowed_1", ioas, RW, BUF_ADDR, 2 * PSZ, 0);
	probe_map(fd, "auto.allowed_2", ioas, RW, BUF_ADDR, 2 * PSZ, 0);
	probe_map(fd, "auto.allowed_3", ioas, RW, BUF_ADDR, PSZ, 0);
	probe_map(fd, "auto.allowed_odd", ioas, RW, BUF_ADDR + 0x800, 0x800,
	    0);
	probe_map(fd, "auto.allowed_fixed_outside", ioas,
	    RW | IOMMU_IOAS_MAP_FIXED_IOVA, BUF_ADDR, PSZ, 0x50000000);
	probe_map(fd, "auto.allowed_too_big", ioas, RW, BUF_ADDR,
	    1ULL << 30, 0);
	probe_ranges(fd, "auto.ranges_with_allowed", ioas, 4);
	close(fd);
}

static void
probe_unmap_cases(void)
{
	uint32_t	 ioas;
	int		 fd, i;
	const uint32_t	 RWF = IOMMU_IOAS_MAP_READABLE |
			    IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_FIXED_IOVA;

	fd = probe_open();
	ioas = probe_ioas(fd);
	probe_unmap(fd, "unmap.badioas_len0", 99, 0x1000, 0);
	probe_unmap(fd, "unmap.badioas_all", 99, 0, UINT64_MAX);
	probe_unmap(fd, "unmap.badioas_overflow", 99, UINT64_MAX, 1);
	probe_unmap(fd, "unmap.len0", ioas, 0x1000, 0);
	probe_unmap(fd, "unmap.len0_iova0", ioas, 0, 0);
	probe_unmap(fd, "unmap.iova_max", ioas, UINT64_MAX, 1);
	probe_unmap(fd, "unmap.iova_max_len0", ioas, UINT64_MAX, 0);
	probe_unmap(fd, "unmap.len_max_iova1", ioas, 1, UINT64_MAX);
	probe_unmap(fd, "unmap.wrap", ioas, UINT64_MAX - PSZ, 2 * PSZ);
	probe_unmap(fd, "unmap.to_end", ioas, UINT64_MAX - PSZ, PSZ + 1);
	probe_unmap(fd, "unmap.empty", ioas, 0x1000, PSZ);
	probe_unmap(fd, "unmap.all_empty", ioas, 0, UINT64_MAX);
	probe_unmap(fd, "unmap.all_but_one", ioas, 0, UINT64_MAX - 1);
	for (i = 0; i < 4; i++)
		probe_map(fd, "unmap.setup", ioas, RWF, BUF_ADDR, 4 * PSZ,
		    0x100000 + (uint64_t)i * 8 * PSZ);
	probe_unmap(fd, "unmap.partial_head", ioas, 0x100000, PSZ);
	probe_unmap(fd, "unmap.partial_tail", ioas, 0x100000 + 3 * PSZ, PSZ);
	probe_unmap(fd, "unmap.one_plus_partial", ioas, 0x100000,
	    9 * PSZ);
	probe_unmap(fd, "unmap.gap_only", ioas, 0x100000 + 4 * PSZ, 4 * PSZ);
	probe_unmap(fd, "unmap.first", ioas, 0x100000, 4 * PSZ);
	probe_unmap(fd, "unmap.first_again", ioas, 0x100000, 4 * PSZ);
	probe_unmap(fd, "unmap.two_with_gap", ioas, 0x100000,
	    20 * PSZ);
	probe_unmap(fd, "unmap.all_one_left", ioas, 0, UINT64_MAX);
	probe_unmap(fd, "unmap.all_again", ioas, 0, UINT64_MAX);
	probe_map(fd, "unmap.setup_top", ioas, RWF, BUF_ADDR, PSZ,
	    UINT64_MAX - 2 * PSZ + 1);
	probe_unmap(fd, "unmap.top_to_end", ioas, UINT64_MAX - 2 * PSZ + 1,
	    2 * PSZ - 1);
	probe_unmap(fd, "unmap.top", ioas, UINT64_MAX - 2 * PSZ + 1, PSZ);
	close(fd);
}

static void
probe_copy_cases(void)
{
	uint32_t	 a, b;
	int		 fd;
	const uint32_t	 RW = IOMMU_IOAS_MAP_READABLE |
			    IOMMU_IOAS_MAP_WRITEABLE;
	const uint32_t	 FX = IOMMU_IOAS_MAP_FIXED_IOVA;

	fd = probe_open();
	a = probe_ioas(fd);
	b = probe_ioas(fd);
	probe_map(fd, "copy.setup1", a, RW | FX, BUF_ADDR, 4 * PSZ, 0x100000);
	probe_map(fd, "copy.setup2", a, RW | FX, BUF_ADDR + 4 * PSZ, 4 * PSZ,
	    0x104000);
	probe_copy(fd, "copy.flags8", RW | 8, b, a, PSZ, 0, 0x100000);
	probe_copy(fd, "copy.len_max", RW, b, a, UINT64_MAX, 0, 0x100000);
	probe_copy(fd, "copy.src_max", RW, b, a, PSZ, 0, UINT64_MAX);
	probe_copy(fd, "copy.dst_max", RW | FX, b, a, PSZ, UINT64_MAX,
	    0x100000);
	probe_copy(fd, "copy.len_max_badsrc", RW, b, 99, UINT64_MAX, 0,
	    0x100000);
	probe_copy(fd, "copy.norw", 0, b, a, PSZ, 0, 0x100000);
	probe_copy(fd, "copy.norw_badsrc", 0, b, 99, PSZ, 0, 0x100000);
	probe_copy(fd, "copy.badsrc", RW, b, 99, PSZ, 0, 0x100000);
	probe_copy(fd, "copy.badsrc_baddst", RW, 98, 99, PSZ, 0, 0x100000);
	probe_copy(fd, "copy.baddst", RW, 99, a, PSZ, 0, 0x100000);
	probe_copy(fd, "copy.baddst_uncovered", RW, 99, a, PSZ, 0, 0x200000);
	probe_copy(fd, "copy.len0", RW, b, a, 0, 0, 0x100000);
	probe_copy(fd, "copy.len0_badsrc", RW, b, 99, 0, 0, 0x100000);
	probe_copy(fd, "copy.len0_baddst", RW, 99, a, 0, 0, 0x100000);
	probe_copy(fd, "copy.src_wrap", RW, b, a, 2 * PSZ, 0,
	    UINT64_MAX - PSZ);
	probe_copy(fd, "copy.uncovered", RW, b, a, PSZ, 0, 0x200000);
	probe_copy(fd, "copy.half_covered", RW, b, a, 2 * PSZ, 0,
	    0x100000 - PSZ);
	probe_copy(fd, "copy.sub", RW, b, a, PSZ, 0, 0x101000);
	probe_copy(fd, "copy.across", RW, b, a, 4 * PSZ, 0, 0x102000);
	probe_copy(fd, "copy.odd_offset", RW, b, a, 0x1ff, 0, 0x100123);
	probe_copy(fd, "copy.all", RW, b, a, 8 * PSZ, 0, 0x100000);
	probe_copy(fd, "copy.fixed", RW | FX, b, a, 2 * PSZ, 0x800000,
	    0x100000);
	probe_copy(fd, "copy.fixed_exists", RW | FX, b, a, 2 * PSZ, 0x800000,
	    0x100000);
	probe_copy(fd, "copy.fixed_exists_uncovered", RW | FX, b, a, 2 * PSZ,
	    0x800000, 0x300000);
	probe_copy(fd, "copy.same_ioas", RW, a, a, 4 * PSZ, 0, 0x100000);
	probe_copy(fd, "copy.same_fixed_overlap", RW | FX, a, a, 4 * PSZ,
	    0x100000, 0x100000);
	probe_ranges(fd, "copy.ranges_b", b, 4);
	probe_unmap(fd, "copy.unmap_all_b", b, 0, UINT64_MAX);
	probe_unmap(fd, "copy.unmap_all_a", a, 0, UINT64_MAX);
	close(fd);
}

static void
probe_allow_cases(void)
{
	struct iommu_iova_range	 r[4];
	uint32_t		 ioas;
	int			 fd;
	const uint32_t		 RWF = IOMMU_IOAS_MAP_READABLE |
				    IOMMU_IOAS_MAP_WRITEABLE |
				    IOMMU_IOAS_MAP_FIXED_IOVA;
	struct iommu_ioas_allow_iovas	 a;

	fd = probe_open();
	ioas = probe_ioas(fd);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.ioas_id = ioas;
	a.__reserved = 1;
	probe_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a);
	probe_line("allow.reserved", NULL);
	a.ioas_id = 99;
	probe_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a);
	probe_line("allow.reserved_badioas", NULL);
	probe_allow(fd, "allow.badioas", 99, r, 1);
	probe_allow(fd, "allow.null", ioas, NULL, 1);
	probe_allow(fd, "allow.null_zero", ioas, NULL, 0);
	probe_allow(fd, "allow.unmapped", ioas, (void *)(uintptr_t)HOLE_ADDR,
	    2);
	r[0].start = 0x1000;
	r[0].last = 0x1000;
	probe_allow(fd, "allow.one_byte", ioas, r, 1);
	r[0].last = 0xfff;
	probe_allow(fd, "allow.backwards", ioas, r, 1);
	r[0].start = 0x100000;
	r[0].last = 0x1fffff;
	r[1].start = 0x180000;
	r[1].last = 0x2fffff;
	probe_allow(fd, "allow.overlap", ioas, r, 2);
	r[1].start = 0x200000;
	probe_allow(fd, "allow.touching", ioas, r, 2);
	/* A bad entry before an unreadable one: which error? */
	{
		struct iommu_iova_range	*e = probe_at_edge(sizeof(*e));

		e->start = 5;
		e->last = 4;
		probe_allow(fd, "allow.bad_then_fault", ioas, e, 2);
		e->last = 6;
		probe_allow(fd, "allow.good_then_fault", ioas, e, 2);
	}
	r[0].start = 0x100000;
	r[0].last = 0x1fffff;
	probe_allow(fd, "allow.set", ioas, r, 1);
	probe_ranges(fd, "allow.ranges", ioas, 4);
	probe_reserve(fd, "allow.reserve_inside", ioas, 0x180000, PSZ);
	probe_reserve(fd, "allow.reserve_outside", ioas, 0x300000, PSZ);
	r[0].start = 0x2ff000;
	r[0].last = 0x301fff;
	probe_allow(fd, "allow.over_reserved", ioas, r, 1);
	probe_map(fd, "allow.auto", ioas, IOMMU_IOAS_MAP_READABLE, BUF_ADDR,
	    PSZ, 0);
	probe_map(fd, "allow.fixed_outside", ioas, RWF, BUF_ADDR, PSZ,
	    0x500000);
	probe_allow(fd, "allow.clear", ioas, NULL, 0);
	probe_reserve(fd, "allow.reserve_after_clear", ioas, 0x180000, PSZ);
	probe_reserve(fd, "allow.reserve_over_area", ioas, 0x500800, 16);
	probe_ranges(fd, "allow.ranges_end", ioas, 8);
	close(fd);
}

/* Is CAP_SYS_RESOURCE in our effective set? -1 if unknown. */
static int
probe_has_cap(void)
{
	struct __user_cap_header_struct	 h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct	 d[2];

	if (syscall(SYS_capget, &h, d) != 0)
		return (-1);
	return ((d[0].effective >> CAP_SYS_RESOURCE) & 1);
}

static void
probe_drop_cap(void)
{
	struct __user_cap_header_struct	 h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct	 d[2];

	if (syscall(SYS_capget, &h, d) != 0)
		return;
	d[0].effective &= ~(1U << CAP_SYS_RESOURCE);
	(void)syscall(SYS_capset, &h, d);
}

static void
probe_options(void)
{
	struct iommu_option	 o;
	uint32_t		 ioas;
	pid_t			 pid;
	int			 fd, fd2;
	const uint32_t		 RWF = IOMMU_IOAS_MAP_READABLE |
				    IOMMU_IOAS_MAP_WRITEABLE |
				    IOMMU_IOAS_MAP_FIXED_IOVA;
	const uint16_t		 SET = IOMMU_OPTION_OP_SET;
	const uint16_t		 GET = IOMMU_OPTION_OP_GET;

	printf("P option.caps - - sys_resource=%d\n", probe_has_cap());
	fd = probe_open();
	probe_option(fd, "option.rlimit_get", IOMMU_OPTION_RLIMIT_MODE, GET,
	    0, 0x77);
	probe_option(fd, "option.rlimit_get_obj", IOMMU_OPTION_RLIMIT_MODE,
	    GET, 1, 0x77);
	probe_option(fd, "option.cap.rlimit_set2", IOMMU_OPTION_RLIMIT_MODE, SET,
	    0, 2);
	probe_option(fd, "option.cap.rlimit_set1", IOMMU_OPTION_RLIMIT_MODE, SET,
	    0, 1);
	probe_option(fd, "option.cap.rlimit_get1", IOMMU_OPTION_RLIMIT_MODE, GET,
	    0, 0);
	probe_option(fd, "option.rlimit_op2", IOMMU_OPTION_RLIMIT_MODE, 2,
	    0, 0);
	probe_option(fd, "option.unknown_id", 2, GET, 0, 0);
	probe_option(fd, "option.unknown_id_op", 2, 7, 0, 0);
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.option_id = IOMMU_OPTION_RLIMIT_MODE;
	o.op = GET;
	o.__reserved = 1;
	probe_ioctl(fd, IOMMU_OPTION, &o);
	probe_line("option.reserved", NULL);
	ioas = probe_ioas(fd);
	probe_option(fd, "option.cap.rlimit_set_busy", IOMMU_OPTION_RLIMIT_MODE,
	    SET, 0, 0);
	probe_option(fd, "option.cap.rlimit_set_busy2", IOMMU_OPTION_RLIMIT_MODE,
	    SET, 0, 2);
	probe_option(fd, "option.huge_get_obj0", IOMMU_OPTION_HUGE_PAGES,
	    GET, 0, 0x77);
	probe_option(fd, "option.huge_set_obj0", IOMMU_OPTION_HUGE_PAGES,
	    SET, 0, 1);
	probe_option(fd, "option.huge_get_bad", IOMMU_OPTION_HUGE_PAGES,
	    GET, 99, 0);
	probe_option(fd, "option.huge_get", IOMMU_OPTION_HUGE_PAGES, GET,
	    ioas, 0x77);
	probe_option(fd, "option.huge_op2", IOMMU_OPTION_HUGE_PAGES, 2,
	    ioas, 0);
	probe_option(fd, "option.huge_op2_bad", IOMMU_OPTION_HUGE_PAGES, 2,
	    99, 0);
	probe_option(fd, "option.huge_set2", IOMMU_OPTION_HUGE_PAGES, SET,
	    ioas, 2);
	probe_option(fd, "option.huge_set1", IOMMU_OPTION_HUGE_PAGES, SET,
	    ioas, 1);
	probe_map(fd, "option.map_odd", ioas, RWF, BUF_ADDR + 0x800, 0x800,
	    0x100800);
	probe_option(fd, "option.huge_set0_unaligned", IOMMU_OPTION_HUGE_PAGES,
	    SET, ioas, 0);
	probe_option(fd, "option.huge_get_after", IOMMU_OPTION_HUGE_PAGES,
	    GET, ioas, 0);
	probe_unmap(fd, "option.unmap_all", ioas, 0, UINT64_MAX);
	probe_map(fd, "option.map_aligned", ioas, RWF, BUF_ADDR, PSZ,
	    0x100000);
	probe_option(fd, "option.huge_set0", IOMMU_OPTION_HUGE_PAGES, SET,
	    ioas, 0);
	probe_option(fd, "option.huge_set0_again", IOMMU_OPTION_HUGE_PAGES,
	    SET, ioas, 0);
	probe_option(fd, "option.huge_get0", IOMMU_OPTION_HUGE_PAGES, GET,
	    ioas, 0x77);
	probe_ranges(fd, "option.ranges_nohuge", ioas, 2);
	probe_map(fd, "option.nohuge_odd_len", ioas, IOMMU_IOAS_MAP_READABLE,
	    BUF_ADDR, 100, 0);
	probe_map(fd, "option.nohuge_odd_va", ioas, IOMMU_IOAS_MAP_READABLE,
	    BUF_ADDR + 0x800, PSZ, 0);
	probe_map(fd, "option.nohuge_odd_iova", ioas, RWF, BUF_ADDR, PSZ,
	    0x200800);
	probe_map(fd, "option.nohuge_auto", ioas, IOMMU_IOAS_MAP_READABLE,
	    BUF_ADDR + 0x3000, 2 * PSZ, 0);
	probe_option(fd, "option.huge_set1_back", IOMMU_OPTION_HUGE_PAGES,
	    SET, ioas, 1);
	probe_ranges(fd, "option.ranges_huge", ioas, 2);
	probe_destroy(fd, "option.destroy_ioas", ioas);
	probe_option(fd, "option.cap.rlimit_set0_empty", IOMMU_OPTION_RLIMIT_MODE,
	    SET, 0, 0);
	probe_option(fd, "option.cap.rlimit_get0", IOMMU_OPTION_RLIMIT_MODE, GET,
	    0, 0x77);
	/* Short struct: the option is still written back. */
	memset(&o, 0, sizeof(o));
	o.size = 24;
	o.option_id = IOMMU_OPTION_RLIMIT_MODE;
	o.op = GET;
	o.val64 = 5;
	probe_ioctl(fd, IOMMU_OPTION, &o);
	probe_line("option.get_size24", "val64=%llu",
	    (unsigned long long)o.val64);
	close(fd);

	/* A second descriptor has its own mode. */
	fd = probe_open();
	fd2 = probe_open();
	probe_option(fd, "option.cap.rlimit_set1_fd1", IOMMU_OPTION_RLIMIT_MODE,
	    SET, 0, 1);
	probe_option(fd2, "option.rlimit_get_fd2", IOMMU_OPTION_RLIMIT_MODE,
	    GET, 0, 0x77);
	close(fd2);
	close(fd);

	/*
	 * Without CAP_SYS_RESOURCE, in a child (a new process, so that
	 * whoever answers sees the new credentials).
	 */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		probe_drop_cap();
		fd = probe_open();
		probe_option(fd, "option.nocap.set1", IOMMU_OPTION_RLIMIT_MODE,
		    SET, 0, 1);
		probe_option(fd, "option.nocap.set2", IOMMU_OPTION_RLIMIT_MODE,
		    SET, 0, 2);
		ioas = probe_ioas(fd);
		probe_option(fd, "option.nocap.set0_busy",
		    IOMMU_OPTION_RLIMIT_MODE, SET, 0, 0);
		probe_option(fd, "option.nocap.get", IOMMU_OPTION_RLIMIT_MODE,
		    GET, 0, 0x77);
		probe_option(fd, "option.nocap.huge_set0",
		    IOMMU_OPTION_HUGE_PAGES, SET, ioas, 0);
		close(fd);
		fflush(stdout);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void
probe_vfio_ioas(int fd, const char *name, uint16_t op, uint32_t id,
    uint16_t rsv)
{
	struct iommu_vfio_ioas	 v = {
		.size = sizeof(v), .ioas_id = id, .op = op, .__reserved = rsv,
	};

	probe_ioctl(fd, IOMMU_VFIO_IOAS, &v);
	probe_line(name, "ioas_id=%u", v.ioas_id);
}

static void
probe_hex(const char *name, const unsigned char *p, size_t n)
{
	char	 out[1200];
	size_t	 i, o = 0;

	for (i = 0; i < n && o + 3 < sizeof(out); i++)
		o += snprintf(out + o, sizeof(out) - o, "%02x", p[i]);
	probe_line(name, "bytes=%s", out);
}

static void
probe_get_info(int fd, const char *name, uint32_t argsz)
{
	unsigned char			 b[256];
	struct vfio_iommu_type1_info	*info = (void *)b;

	memset(b, 0xcc, sizeof(b));
	info->argsz = argsz;
	info->flags = 0;
	probe_ioctl(fd, VFIO_IOMMU_GET_INFO, info);
	probe_hex(name, b, argsz + 8 < sizeof(b) ? argsz + 8 : sizeof(b));
}

static void
probe_dma_unmap(int fd, const char *name, uint32_t argsz, uint32_t flags,
    uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap	 u = {
		.argsz = argsz, .flags = flags, .iova = iova, .size = size,
	};

	probe_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &u);
	probe_line(name, "size=0x%llx", (unsigned long long)u.size);
}

static void
probe_dma_map(int fd, const char *name, uint32_t argsz, uint32_t flags,
    uint64_t va, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map	 m = {
		.argsz = argsz, .flags = flags, .vaddr = va, .iova = iova,
		.size = size,
	};

	probe_ioctl(fd, VFIO_IOMMU_MAP_DMA, &m);
	probe_line(name, "iova=0x%llx", (unsigned long long)m.iova);
}

static void
probe_vfio(void)
{
	static const unsigned long exts[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
	    10, 11, 100 };
	char		 name[64];
	uint32_t	 ioas, ioas2;
	size_t		 i;
	int		 fd;
	const uint32_t	 RWF = IOMMU_IOAS_MAP_READABLE |
			    IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_FIXED_IOVA;
	const uint32_t	 DRW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;

	fd = probe_open();
	probe_vfio_ioas(fd, "vfio_ioas.get_none", IOMMU_VFIO_IOAS_GET, 0, 0);
	probe_vfio_ioas(fd, "vfio_ioas.set_bad", IOMMU_VFIO_IOAS_SET, 99, 0);
	probe_vfio_ioas(fd, "vfio_ioas.set_0", IOMMU_VFIO_IOAS_SET, 0, 0);
	probe_vfio_ioas(fd, "vfio_ioas.op3", 3, 0, 0);
	probe_vfio_ioas(fd, "vfio_ioas.reserved", IOMMU_VFIO_IOAS_GET, 0, 1);
	probe_vfio_ioas(fd, "vfio_ioas.clear_none", IOMMU_VFIO_IOAS_CLEAR, 0,
	    0);

	/* The type1 container commands with no compat IOAS. */
	probe_ioctl_val(fd, VFIO_GET_API_VERSION, 0);
	probe_line("vfio.api_version", NULL);
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		snprintf(name, sizeof(name), "vfio.ext%lu_noioas", exts[i]);
		probe_ioctl_val(fd, VFIO_CHECK_EXTENSION, exts[i]);
		probe_line(name, NULL);
	}
	probe_ioctl_val(fd, VFIO_SET_IOMMU, 0);
	probe_line("vfio.set_iommu0_noioas", NULL);
	probe_ioctl_val(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	probe_line("vfio.set_iommu3_noioas", NULL);
	probe_ioctl_val(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU);
	probe_line("vfio.set_iommu1_noioas", NULL);
	probe_get_info(fd, "vfio.info_argsz1", 1);
	probe_get_info(fd, "vfio.info_noioas", 16);
	probe_dma_unmap(fd, "vfio.unmap_argsz1", 1, 0, 0, 0);
	probe_dma_unmap(fd, "vfio.unmap_flags", 24, 1U << 31, 0, 0);
	probe_dma_unmap(fd, "vfio.unmap_noioas", 24, 0, 0, PSZ);
	probe_dma_map(fd, "vfio.map_argsz1", 1, DRW, BUF_ADDR, 0, PSZ);
	probe_dma_map(fd, "vfio.map_flags", 32, 1U << 31, BUF_ADDR, 0, PSZ);
	probe_dma_map(fd, "vfio.map_noioas", 32, DRW, BUF_ADDR, 0, PSZ);
	probe_ioctl_val(fd, VFIO_IOMMU_DIRTY_PAGES, 0);
	probe_line("vfio.dirty_pages", NULL);
	probe_ioctl_val(fd, VFIO_IOMMU_ENABLE, 0);
	probe_line("vfio.spapr_enable", NULL);

	ioas = probe_ioas(fd);
	ioas2 = probe_ioas(fd);
	probe_vfio_ioas(fd, "vfio_ioas.set", IOMMU_VFIO_IOAS_SET, ioas, 0);
	probe_vfio_ioas(fd, "vfio_ioas.get", IOMMU_VFIO_IOAS_GET, 77, 0);
	probe_vfio_ioas(fd, "vfio_ioas.set_bad_keeps", IOMMU_VFIO_IOAS_SET,
	    99, 0);
	probe_vfio_ioas(fd, "vfio_ioas.get_after_bad", IOMMU_VFIO_IOAS_GET, 0,
	    0);
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		snprintf(name, sizeof(name), "vfio.ext%lu", exts[i]);
		probe_ioctl_val(fd, VFIO_CHECK_EXTENSION, exts[i]);
		probe_line(name, NULL);
	}
	probe_get_info(fd, "vfio.info_argsz15", 15);
	probe_get_info(fd, "vfio.info_argsz16", 16);
	probe_get_info(fd, "vfio.info_argsz24", 24);
	probe_get_info(fd, "vfio.info_argsz40", 40);
	probe_get_info(fd, "vfio.info_argsz48", 48);
	probe_get_info(fd, "vfio.info_argsz64", 64);
	probe_get_info(fd, "vfio.info_argsz80", 80);
	probe_get_info(fd, "vfio.info_argsz200", 200);
	probe_reserve(fd, "vfio.reserve", ioas, 0x10000000, 0x1000000);
	probe_get_info(fd, "vfio.info_reserved", 200);
	probe_ioctl_val(fd, VFIO_SET_IOMMU, 2);
	probe_line("vfio.set_iommu2", NULL);
	probe_ioctl_val(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	probe_line("vfio.set_iommu3", NULL);
	probe_option(fd, "vfio.huge_after_v2", IOMMU_OPTION_HUGE_PAGES,
	    IOMMU_OPTION_OP_GET, ioas, 0);
	probe_dma_map(fd, "vfio.map", 32, DRW, BUF_ADDR, 0x100000, 4 * PSZ);
	probe_dma_map(fd, "vfio.map_exists", 32, DRW, BUF_ADDR, 0x100000, PSZ);
	probe_dma_map(fd, "vfio.map_len0", 32, DRW, BUF_ADDR, 0x200000, 0);
	probe_dma_map(fd, "vfio.map_readonly", 32, VFIO_DMA_MAP_FLAG_READ,
	    BUF_ADDR, 0x300000, PSZ);
	probe_dma_map(fd, "vfio.map_noflags", 32, 0, BUF_ADDR, 0x400000, PSZ);
	probe_dma_map(fd, "vfio.map_odd", 32, DRW, BUF_ADDR + 0x800, 0x500800,
	    0x800);
	probe_dma_unmap(fd, "vfio.unmap_partial", 24, 0, 0x100000, PSZ);
	probe_dma_unmap(fd, "vfio.unmap_empty", 24, 0, 0x900000, PSZ);
	probe_dma_unmap(fd, "vfio.unmap_len0", 24, 0, 0x900000, 0);
	probe_dma_unmap(fd, "vfio.unmap_wrap", 24, 0, UINT64_MAX - PSZ,
	    2 * PSZ);
	probe_dma_unmap(fd, "vfio.unmap_all_iova", 24,
	    VFIO_DMA_UNMAP_FLAG_ALL, PSZ, 0);
	probe_dma_unmap(fd, "vfio.unmap_all_size", 24,
	    VFIO_DMA_UNMAP_FLAG_ALL, 0, PSZ);
	probe_dma_unmap(fd, "vfio.unmap_whole", 24, 0, 0x100000, 4 * PSZ);
	probe_dma_unmap(fd, "vfio.unmap_all", 24, VFIO_DMA_UNMAP_FLAG_ALL, 0,
	    0);
	probe_dma_unmap(fd, "vfio.unmap_vaddr_flag", 24,
	    VFIO_DMA_UNMAP_FLAG_VADDR, 0, PSZ);
	probe_dma_unmap(fd, "vfio.unmap_bitmap_flag", 24,
	    VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 0, PSZ);
	/* v1: huge pages off, partial unmaps cut areas. */
	probe_ioctl_val(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU);
	probe_line("vfio.set_iommu1", NULL);
	probe_option(fd, "vfio.huge_after_v1", IOMMU_OPTION_HUGE_PAGES,
	    IOMMU_OPTION_OP_GET, ioas, 0);
	probe_get_info(fd, "vfio.info_v1", 80);
	probe_dma_map(fd, "vfio.v1_map", 32, DRW, BUF_ADDR, 0x100000, 4 * PSZ);
	probe_dma_map(fd, "vfio.v1_map_odd", 32, DRW, BUF_ADDR, 0x200000,
	    0x800);
	probe_dma_unmap(fd, "vfio.v1_unmap_partial", 24, 0, 0x101000, PSZ);
	probe_ranges(fd, "vfio.v1_ranges", ioas, 4);
	probe_dma_unmap(fd, "vfio.v1_unmap_rest", 24, 0, 0x100000, 4 * PSZ);
	probe_ioctl_val(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	probe_line("vfio.set_iommu3_after_v1", NULL);
	probe_vfio_ioas(fd, "vfio_ioas.set2", IOMMU_VFIO_IOAS_SET, ioas2, 0);
	probe_option(fd, "vfio.huge_other_ioas", IOMMU_OPTION_HUGE_PAGES,
	    IOMMU_OPTION_OP_GET, ioas2, 0);
	probe_destroy(fd, "vfio.destroy_compat_ioas", ioas2);
	probe_vfio_ioas(fd, "vfio_ioas.get_after_destroy",
	    IOMMU_VFIO_IOAS_GET, 0, 0);
	probe_vfio_ioas(fd, "vfio_ioas.clear", IOMMU_VFIO_IOAS_CLEAR, 0, 0);
	probe_vfio_ioas(fd, "vfio_ioas.get_cleared", IOMMU_VFIO_IOAS_GET, 0,
	    0);
	probe_map(fd, "vfio.cleanup_map", ioas, RWF, BUF_ADDR, PSZ, 0x100000);
	close(fd);
}

static void
probe_destroys(void)
{
	struct iommu_ioas_alloc	 a = { .size = sizeof(a) };
	uint32_t		 ioas;
	int			 fd;

	fd = probe_open();
	ioas = probe_ioas(fd);
	probe_destroy(fd, "destroy.id0", 0);
	probe_destroy(fd, "destroy.unknown", 5);
	probe_destroy(fd, "destroy.int_max", 0x7fffffff);
	probe_destroy(fd, "destroy.high_bit", 0x80000000);
	probe_destroy(fd, "destroy.all_ones", 0xffffffff);
	probe_destroy(fd, "destroy.ioas", ioas);
	probe_destroy(fd, "destroy.ioas_again", ioas);
	/* Ids are reused lowest first. */
	probe_ioctl(fd, IOMMU_IOAS_ALLOC, &a);
	probe_line("destroy.realloc", "id=%u", a.out_ioas_id);
	probe_ioctl(fd, IOMMU_IOAS_ALLOC, &a);
	probe_line("destroy.realloc2", "id=%u", a.out_ioas_id);
	probe_ioctl(fd, IOMMU_IOAS_ALLOC, &a);
	probe_line("destroy.realloc3", "id=%u", a.out_ioas_id);
	probe_destroy(fd, "destroy.middle", 2);
	probe_ioctl(fd, IOMMU_IOAS_ALLOC, &a);
	probe_line("destroy.realloc_middle", "id=%u", a.out_ioas_id);
	probe_map(fd, "destroy.map", 1, IOMMU_IOAS_MAP_READABLE, BUF_ADDR,
	    PSZ, 0);
	probe_destroy(fd, "destroy.ioas_with_area", 1);
	probe_ranges(fd, "destroy.ranges_gone", 1, 1);
	close(fd);
}

/* IOMMU_TEST_CMD's checks that come before any device exists. */
static void
probe_selftest(void)
{
	struct iommu_test_cmd	 t;
	uint32_t		 ioas;
	int			 fd;

	fd = probe_open();
	ioas = probe_ioas(fd);
	memset(&t, 0, sizeof(t));
	probe_test(fd, "test.op0", &t);
	t.op = 99;
	probe_test(fd, "test.op99", &t);
	t.op = IOMMU_TEST_OP_ADD_RESERVED;
	t.id = ioas;
	t.__reserved = 1;
	t.add_reserved.start = 0x100000;
	t.add_reserved.length = PSZ;
	probe_test(fd, "test.reserved_field", &t);
	memset(&t, 0, sizeof(t));
	t.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	t.id = 99;
	probe_test(fd, "test.mock_domain_bad", &t);
	t.id = 0;
	probe_test(fd, "test.mock_domain_0", &t);
	memset(&t, 0, sizeof(t));
	t.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
	t.id = 99;
	t.mock_domain_flags.dev_flags = 1U << 8;
	probe_test(fd, "test.mock_flags_unknown_badpt", &t);
	t.mock_domain_flags.dev_flags = 0;
	probe_test(fd, "test.mock_flags_badpt", &t);
	t.id = ioas;
	t.mock_domain_flags.dev_flags = 1U << 8;
	probe_test(fd, "test.mock_flags_unknown", &t);
	memset(&t, 0, sizeof(t));
	t.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
	t.id = 99;
	t.mock_domain_replace.pt_id = ioas;
	probe_test(fd, "test.replace_bad_stdev", &t);
	t.id = ioas;
	probe_test(fd, "test.replace_ioas_as_stdev", &t);
	memset(&t, 0, sizeof(t));
	t.op = IOMMU_TEST_OP_MD_CHECK_IOTLB;
	t.id = ioas;
	probe_test(fd, "test.check_iotlb_ioas", &t);
	memset(&t, 0, sizeof(t));
	t.op = IOMMU_TEST_OP_DEV_CHECK_CACHE;
	t.id = 99;
	probe_test(fd, "test.check_cache_bad", &t);
	memset(&t, 0, sizeof(t));
	t.op = IOMMU_TEST_OP_TRIGGER_IOPF;
	t.trigger_iopf.dev_id = 99;
	probe_test(fd, "test.trigger_iopf_bad", &t);
	memset(&t, 0, sizeof(t));
	t.op = IOMMU_TEST_OP_ADD_RESERVED;
	t.id = 99;
	probe_test(fd, "test.add_reserved_bad", &t);
	close(fd);
}

/*
 * With the selftest's mock domain: recorded from the kernel, compared
 * once ioasidd has the mock device.
 */
static void
probe_domain(void)
{
	static const uint64_t	 lens[] = {
		2048, PSZ, 3 * PSZ, 8 * PSZ, 64 * 1024, 2ULL << 20,
	};
	static const uint64_t	 offs[] = { 0, 0x800, PSZ, 0x10000, 0x200000 };
	struct iommu_test_cmd	 t;
	char			 name[96];
	uint32_t		 ioas, stdev;
	size_t			 i, j;
	int			 fd;
	const uint32_t		 RW = IOMMU_IOAS_MAP_READABLE |
				    IOMMU_IOAS_MAP_WRITEABLE;
	const uint32_t		 FX = IOMMU_IOAS_MAP_FIXED_IOVA;

	fd = probe_open();
	ioas = probe_ioas(fd);
	memset(&t, 0, sizeof(t));
	t.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	t.id = ioas;
	probe_test(fd, "domain.mock", &t);
	printf("P domain.mock_ids - - stdev=%u hwpt=%u idev=%u\n",
	    t.mock_domain.out_stdev_id, t.mock_domain.out_hwpt_id,
	    t.mock_domain.out_idev_id);
	stdev = t.mock_domain.out_stdev_id;
	probe_ranges(fd, "domain.ranges", ioas, 4);
	probe_destroy(fd, "domain.destroy_ioas_busy", ioas);
	probe_destroy(fd, "domain.destroy_hwpt_busy",
	    t.mock_domain.out_hwpt_id);
	probe_destroy(fd, "domain.destroy_idev_busy",
	    t.mock_domain.out_idev_id);
	probe_map(fd, "domain.map_len100", ioas, RW, BUF_ADDR, 100, 0);
	probe_map(fd, "domain.map_outside", ioas, RW | FX, BUF_ADDR, PSZ,
	    0x1000);
	probe_map(fd, "domain.map_unmapped_va", ioas, RW, HOLE_ADDR, PSZ, 0);
	for (j = 0; j < sizeof(offs) / sizeof(offs[0]); j++) {
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			snprintf(name, sizeof(name),
			    "domain.auto.va+0x%llx.len0x%llx",
			    (unsigned long long)offs[j],
			    (unsigned long long)lens[i]);
			probe_map(fd, name, ioas, RW, BUF_ADDR + offs[j],
			    lens[i], 0);
		}
		snprintf(name, sizeof(name), "domain.auto.va+0x%llx.unmap_all",
		    (unsigned long long)offs[j]);
		probe_unmap(fd, name, ioas, 0, UINT64_MAX);
	}
	probe_option(fd, "domain.huge_set0_empty", IOMMU_OPTION_HUGE_PAGES,
	    IOMMU_OPTION_OP_SET, ioas, 0);
	probe_ranges(fd, "domain.ranges_nohuge", ioas, 2);
	probe_map(fd, "domain.map_nohuge", ioas, RW, BUF_ADDR, PSZ, 0);
	probe_option(fd, "domain.huge_set1_with_area", IOMMU_OPTION_HUGE_PAGES,
	    IOMMU_OPTION_OP_SET, ioas, 1);
	probe_option(fd, "domain.huge_set0_with_area", IOMMU_OPTION_HUGE_PAGES,
	    IOMMU_OPTION_OP_SET, ioas, 0);
	probe_reserve(fd, "domain.reserve_in_aperture", ioas, 0x2000000, PSZ);
	probe_ranges(fd, "domain.ranges_reserved", ioas, 4);
	probe_destroy(fd, "domain.destroy_stdev", stdev);
	probe_ranges(fd, "domain.ranges_after", ioas, 4);
	probe_vfio_ioas(fd, "domain.vfio_set", IOMMU_VFIO_IOAS_SET, ioas, 0);
	probe_get_info(fd, "domain.vfio_info", 80);
	close(fd);
}

int
main(void)
{
	void	*p;

	setvbuf(stdout, NULL, _IOLBF, 0);
	p = mmap((void *)(uintptr_t)BUF_ADDR, BUF_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)(uintptr_t)BUF_ADDR) {
		printf("P setup -1 %s\n", probe_errname(errno));
		return (1);
	}
	buf = p;
	memset(buf, 0x5a, BUF_SIZE);
	p = mmap((void *)(uintptr_t)EDGE_ADDR, PSZ, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)(uintptr_t)EDGE_ADDR) {
		printf("P setup -1 %s\n", probe_errname(errno));
		return (1);
	}
	edge = p;

	probe_dispatch();
	probe_ioas_basic();
	probe_map_errors();
	probe_auto_iova();
	probe_unmap_cases();
	probe_copy_cases();
	probe_allow_cases();
	probe_options();
	probe_vfio();
	probe_destroys();
	probe_selftest();
	probe_domain();
	printf("P end 0 -\n");
	return (0);
}
