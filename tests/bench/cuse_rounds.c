/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * FUSE round trips per ioctl through the CUSE node, by command shape,
 * counted by the fake kernel of the unit tests (tests/unit/cuse_fake.c)
 * against the real transport: each retry the transport asks for is one
 * more request the kernel sends and one more wakeup of the daemon, so this
 * is the number that multiplies the per-round-trip cost measured by the
 * ping-pong benchmark. Also prints the in-process cost per ioctl (one
 * thread, no scheduler in the way), for comparison with the core alone.
 *
 *	cuse_rounds [iterations]
 *
 * Exits 1 if a plain struct takes more than 3 round trips, or a struct
 * with caller arrays more than 4.
 */
#include <sys/mman.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "log.h"
#include "../unit/cuse_fake.c"
#include "bench.h"

#define PLAIN_MAX	3
#define ARRAY_MAX	4

static struct fk	 fk;
static uint64_t		 fh;
static int		 bad;

/* Run one ioctl n times; print its round trips and cost. */
static void
row(const char *name, const char *shape, int max, unsigned int cmd,
    void *arg, long want, int n)
{
	double	t0, t1;
	long	r = 0;
	int	i;

	t0 = bench_now_us();
	for (i = 0; i < n; i++)
		r = fk_ioctl(&fk, fh, cmd, (uintptr_t)arg, 0);
	t1 = bench_now_us();
	printf("%-32s %-22s %6d %10.1f%s\n", name, shape, fk.rounds,
	    (t1 - t0) / n, r == want ? "" : "  (unexpected result)");
	if (r != want || (max != 0 && fk.rounds > max))
		bad = 1;
}

int
main(int argc, char **argv)
{
	struct iommu_ioas_alloc		 a = { .size = sizeof(a) };
	struct {
		struct iommu_ioas_alloc	 a;
		uint32_t		 tail;
	}				 a16;
	struct iommu_ioas_map		 m;
	struct iommu_ioas_unmap		 u;
	struct iommu_ioas_copy		 c;
	struct iommu_option		 o;
	struct iommu_ioas_iova_ranges	 r;
	struct iommu_ioas_allow_iovas	 al;
	struct iommu_iova_range		 ranges[4] = {
		{ 0x10000, 0x1ffff }, { 0x100000, 0x1fffff },
	};
	uint32_t			 src, dst;
	size_t				 len = 64 * 1024;
	void				*buf;
	int				 n = 2000;

	if (argc > 1 && (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: cuse_rounds [iterations]\n");
		return (2);
	}
	log_setlevel(LOG_LEVEL_WARN);
	if (fk_start(&fk, "/dev/iommu") != 0 || fk_open(&fk, &fh) != 0) {
		fprintf(stderr, "cuse_rounds: the fake kernel did not start\n");
		return (1);
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return (1);
	memset(buf, 1, len);
	if (fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, (uintptr_t)&a, 0) != 0)
		return (1);
	src = a.out_ioas_id;
	if (fk_ioctl(&fk, fh, IOMMU_IOAS_ALLOC, (uintptr_t)&a, 0) != 0)
		return (1);
	dst = a.out_ioas_id;

	printf("%-32s %-22s %6s %10s\n", "command", "shape", "rounds",
	    "us/ioctl");

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.option_id = IOMMU_OPTION_HUGE_PAGES;
	o.op = IOMMU_OPTION_OP_GET;
	o.object_id = src;
	row("IOMMU_OPTION (get)", "struct", PLAIN_MAX, IOMMU_OPTION, &o, 0,
	    n);

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
	    IOMMU_IOAS_MAP_FIXED_IOVA;
	m.ioas_id = src;
	m.user_va = (uintptr_t)buf;
	m.length = len;
	m.iova = 0x100000;
	row("IOMMU_IOAS_MAP (fixed)", "struct", PLAIN_MAX, IOMMU_IOAS_MAP,
	    &m, 0, 1);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA;
	c.dst_ioas_id = dst;
	c.src_ioas_id = src;
	c.length = len;
	c.dst_iova = 0x200000;
	c.src_iova = 0x100000;
	row("IOMMU_IOAS_COPY", "struct", PLAIN_MAX, IOMMU_IOAS_COPY, &c, 0,
	    1);
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = src;
	u.length = UINT64_MAX;
	row("IOMMU_IOAS_UNMAP (all)", "struct", PLAIN_MAX, IOMMU_IOAS_UNMAP,
	    &u, 0, 1);

	row("IOMMU_IOAS_ALLOC", "struct", PLAIN_MAX, IOMMU_IOAS_ALLOC, &a, 0,
	    1);
	memset(&a16, 0, sizeof(a16));
	a16.a.size = sizeof(a16);
	row("IOMMU_IOAS_ALLOC (size 16)", "struct, longer", PLAIN_MAX,
	    IOMMU_IOAS_ALLOC, &a16, 0, 1);

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = dst;
	/* It writes the count back, so only once. */
	row("IOMMU_IOAS_IOVA_RANGES (count)", "struct", PLAIN_MAX,
	    IOMMU_IOAS_IOVA_RANGES, &r, -EMSGSIZE, 1);
	r.num_iovas = 4;
	r.allowed_iovas = (uintptr_t)ranges;
	row("IOMMU_IOAS_IOVA_RANGES (array)", "struct + out array",
	    ARRAY_MAX, IOMMU_IOAS_IOVA_RANGES, &r, 0, n);

	memset(&al, 0, sizeof(al));
	al.size = sizeof(al);
	al.ioas_id = dst;
	al.num_iovas = 2;
	al.allowed_iovas = (uintptr_t)ranges;
	ranges[0].start = 0x10000;
	ranges[0].last = 0x1ffff;
	ranges[1].start = 0x300000;
	ranges[1].last = 0x3fffff;
	row("IOMMU_IOAS_ALLOW_IOVAS", "struct + in array", ARRAY_MAX,
	    IOMMU_IOAS_ALLOW_IOVAS, &al, 0, n);

	row("VFIO_CHECK_EXTENSION", "value", 1, VFIO_CHECK_EXTENSION,
	    (void *)(uintptr_t)VFIO_TYPE1v2_IOMMU, 1, n);
	memset(&a, 0, sizeof(a));
	a.size = 8;
	row("IOMMU_IOAS_ALLOC (size 8)", "struct, too short", PLAIN_MAX,
	    IOMMU_IOAS_ALLOC, &a, -EINVAL, n);

	printf("target: struct <= %d round trips, struct with arrays <= %d\n",
	    PLAIN_MAX, ARRAY_MAX);
	fk_release(&fk, fh);
	fk_stop(&fk);
	munmap(buf, len);
	return (bad);
}
