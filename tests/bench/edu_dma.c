/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * What an edu DMA transfer costs inside the daemon, against memcpy() of
 * the same bytes: in one process, with no transport, an edu device of
 * the node layer (dev/vfio_cdev.h) is bound to a context, attached to an
 * IOAS that maps 4 KiB of this program's memory, and programmed through
 * its BAR0 registers as a client's pwrite() would, so that each transfer
 * takes the daemon's whole device DMA path: the engine, the HWPT's
 * domain walk from the IOVA to the mapped user address, and the copy
 * through /proc/<pid>/mem into or out of the process's memory.
 *
 * It times, round after round, a 4 KiB transfer from memory to edu's
 * buffer, one back, and memcpy() of 4 KiB; and, as the part of a
 * transfer that is the daemon's own work, a 4-byte read of a BAR0
 * register (the node's region access alone). Each figure is the median
 * of ROUNDS rounds, each ratio the median of the per-round ratios to
 * memcpy() in the same round.
 *
 * usage: edu_dma [--quick]
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "bench.h"
#include "bench_core.h"
#include "conf.h"
#include "core/ctx.h"
#include "core/limit.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "dev/vfio_cdev.h"

#define ROUNDS		9
#define REGION(i)	((uint64_t)(i) << 40)
#define EDU_BUF		0x40000ULL
#define EDU_SIZE	4096
#define EDU_IOVA	(1ULL << 24)

static struct ucaller	caller;

/* The caller's descriptor cfd, ours too: a duplicate, or -EBADF. */
static int
node_getfd(void *priv __attribute__((unused)), int cfd)
{
	int	fd;

	return ((fd = dup(cfd)) == -1 ? -EBADF : fd);
}

static const struct uaccess_ops node_ops = {
	.read = bench_read,
	.write = bench_write,
	.getfd = node_getfd,
};

/* One command on the device's open: its result, >= 0 or -errno. */
static long
node_call(struct vfio_cdev_file *f, unsigned int cmd, void *arg)
{
	struct ucmd	u;

	memset(&u, 0, sizeof(u));
	u.cmd = cmd;
	u.arg = (uintptr_t)arg;
	u.caller = &caller;
	u.uops = &node_ops;
	return (vfio_cdev_dispatch(f, &u));
}

/* A size-byte write of region at off, which must succeed. */
static void
node_write(struct vfio_cdev_file *f, unsigned int region, uint64_t off,
    uint64_t v, size_t size)
{
	if (vfio_cdev_region_rw(f, REGION(region) + off, &v, size, 1) !=
	    (long)size)
		bench_must(-EIO, "region write");
}

/* One edu transfer of EDU_SIZE bytes (to_ram: into memory); it must work. */
static void
edu_dma(struct vfio_cdev_file *f, int to_ram)
{
	uint64_t	cmd = 0;

	node_write(f, 0, 0x80, to_ram ? EDU_BUF : EDU_IOVA, 8);
	node_write(f, 0, 0x88, to_ram ? EDU_IOVA : EDU_BUF, 8);
	node_write(f, 0, 0x90, EDU_SIZE, 8);
	node_write(f, 0, 0x98, 0x1 | (to_ram ? 0x2 : 0), 8);
	if (vfio_cdev_region_rw(f, REGION(0) + 0x98, &cmd, 8, 0) != 8 ||
	    (cmd & 0x80000001ULL) != 0)
		bench_must(-EIO, "edu DMA");
}

/* ns per transfer of ops transfers. */
static double
time_dma(struct vfio_cdev_file *f, int to_ram, unsigned long ops)
{
	double		t0 = bench_now_ns();
	unsigned long	i;

	for (i = 0; i < ops; i++)
		edu_dma(f, to_ram);
	return ((bench_now_ns() - t0) / ops);
}

/* ns per 4-byte read of BAR0's identification register. */
static double
time_reg(struct vfio_cdev_file *f, unsigned long ops)
{
	double		t0 = bench_now_ns();
	unsigned long	i;
	uint32_t	v;

	for (i = 0; i < ops; i++)
		if (vfio_cdev_region_rw(f, REGION(0), &v, 4, 0) != 4 ||
		    v != 0x010000ed)
			bench_must(-EIO, "BAR0 read");
	return ((bench_now_ns() - t0) / ops);
}

/* ns per memcpy() of EDU_SIZE bytes. */
static double
time_memcpy(void *dst, const void *src, unsigned long ops)
{
	double		t0 = bench_now_ns();
	unsigned long	i;

	for (i = 0; i < ops; i++) {
		memcpy(dst, src, EDU_SIZE);
		__asm__ __volatile__("" : : "r"(dst) : "memory");
	}
	return ((bench_now_ns() - t0) / ops);
}

int
main(int argc, char *argv[])
{
	struct conf_device			 cd;
	struct limit_set			 none;
	struct ctx				*ctx;
	struct vfio_cdev_file			*f;
	struct vfio_device_bind_iommufd		 b;
	struct vfio_device_attach_iommufd_pt	 at;
	struct iommu_ioas_alloc			 a;
	struct iommu_ioas_map			 m;
	struct stat				 st;
	double		 from[ROUNDS], to[ROUNDS], cp[ROUNDS], reg[ROUNDS];
	double		 rfrom[ROUNDS], rto[ROUNDS];
	unsigned long	 ops = 20000;
	uint8_t		*mem, *copy = NULL;
	int		 r, p[2];

	if (argc > 1 && strcmp(argv[1], "--quick") == 0)
		ops = 2000;
	memset(&none, 0, sizeof(none));
	limit_configure(&none, &none);
	caller.pid = getpid();
	caller.memlock_max = UINT64_MAX;
	bench_must(umem_open(getpid(), &caller.mem), "umem_open");
	memset(&cd, 0, sizeof(cd));
	cd.name = (char *)"edu0";
	cd.function = (char *)"edu";
	cd.rid = 0x0008;
	cd.iommu = (char *)"iommu0";
	cd.model = (char *)"mock";
	bench_must(vfio_cdev_configure(&cd, 1), "vfio_cdev_configure");
	/* The context's file, which the bind names by a descriptor of ours. */
	if (pipe(p) != 0 || fstat(p[0], &st) != 0)
		bench_must(-errno, "pipe");
	bench_must(ctx_new("bench", getpid(), &ctx), "ctx_new");
	bench_must(ctx_set_file(ctx, st.st_dev, st.st_ino), "ctx_set_file");
	mem = mmap(NULL, EDU_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED || (copy = malloc(EDU_SIZE)) == NULL)
		bench_must(-ENOMEM, "memory");
	memset(mem, 0x5a, EDU_SIZE);

	bench_must(vfio_cdev_open(0, &f), "vfio_cdev_open");
	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = p[0];
	bench_must(node_call(f, VFIO_DEVICE_BIND_IOMMUFD, &b), "bind");
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	bench_must(bench_call(ctx, &caller, IOMMU_IOAS_ALLOC, &a),
	    "IOAS_ALLOC");
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	m.ioas_id = a.out_ioas_id;
	m.user_va = (uintptr_t)mem;
	m.length = EDU_SIZE;
	m.iova = EDU_IOVA;
	bench_must(bench_call(ctx, &caller, IOMMU_IOAS_MAP, &m), "IOAS_MAP");
	memset(&at, 0, sizeof(at));
	at.argsz = sizeof(at);
	at.pt_id = a.out_ioas_id;
	bench_must(node_call(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
	    "attach");
	/* Memory space and bus mastering on. */
	node_write(f, VFIO_PCI_CONFIG_REGION_INDEX, 0x04, 0x6, 2);

	/* Out and back: the bytes must make the trip. */
	edu_dma(f, 0);
	memset(mem, 0, EDU_SIZE);
	edu_dma(f, 1);
	if (mem[0] != 0x5a || mem[EDU_SIZE - 1] != 0x5a)
		bench_must(-EIO, "the DMA did not reach memory");

	for (r = 0; r < ROUNDS; r++) {
		cp[r] = time_memcpy(copy, mem, 20 * ops);
		from[r] = time_dma(f, 0, ops);
		to[r] = time_dma(f, 1, ops);
		reg[r] = time_reg(f, 20 * ops);
		rfrom[r] = from[r] / cp[r];
		rto[r] = to[r] / cp[r];
	}
	printf("memcpy 4 KiB                 %8.0f ns %8.0f MB/s\n",
	    bench_median(cp, ROUNDS), EDU_SIZE * 1e3 / bench_median(cp, ROUNDS));
	printf("edu DMA 4 KiB, memory to edu %8.0f ns %8.0f MB/s (%.1fx)\n",
	    bench_median(from, ROUNDS),
	    EDU_SIZE * 1e3 / bench_median(from, ROUNDS),
	    bench_median(rfrom, ROUNDS));
	printf("edu DMA 4 KiB, edu to memory %8.0f ns %8.0f MB/s (%.1fx)\n",
	    bench_median(to, ROUNDS), EDU_SIZE * 1e3 / bench_median(to, ROUNDS),
	    bench_median(rto, ROUNDS));
	printf("BAR0 register read, 4 bytes  %8.1f ns\n",
	    bench_median(reg, ROUNDS));
	vfio_cdev_close(f);
	vfio_cdev_unconfigure();
	ctx_close(ctx);
	umem_put(caller.mem);
	close(p[0]);
	close(p[1]);
	free(copy);
	munmap(mem, EDU_SIZE);
	return (0);
}
