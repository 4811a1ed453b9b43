/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * An edu device as a VMM drives it, run under the preload library: open
 * /dev/iommu and the device's node, bind and attach it to an IOAS that
 * maps one 4 KiB buffer of ours, turn on bus mastering, then time in
 * turn, round after round:
 *  - a read of edu's identification register (BAR0 offset 0) by pread()
 *    on the device descriptor, the region index in offset bits 40 up as
 *    vfio-pci has it;
 *  - VFIO_DEVICE_GET_INFO, the bare ioctl round trip on the same node;
 *  - one edu DMA transfer of 4 KiB (edu's whole buffer) from our memory
 *    and one back to it: source, destination, count and command written
 *    through BAR0, then the command register read until the engine says
 *    it is done (it is at once: the daemon runs a transfer within the
 *    write that starts it), checking that it did not fail;
 *  - memcpy() of the same 4 KiB, the baseline of the transfers.
 * Prints the medians, microseconds:
 *	pread getinfo dma-from-memory dma-to-memory memcpy
 *
 * usage: edu_rtt NODE [reads [rounds]]
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
#include <linux/vfio.h>

#include "bench.h"

#define REGION(i)	((off_t)(i) << 40)
#define CFG		REGION(VFIO_PCI_CONFIG_REGION_INDEX)
#define BAR0		REGION(VFIO_PCI_BAR0_REGION_INDEX)
#define EDU_BUF		0x40000ULL
#define EDU_SIZE	4096
#define EDU_IOVA	(1ULL << 24)
#define EDU_CMD_RUN	0x1ULL
#define EDU_CMD_TO_RAM	0x2ULL
#define EDU_CMD_ERROR	0x80000000ULL

/* End the program, saying what failed and errno. */
static void
die(const char *what)
{
	fprintf(stderr, "edu_rtt: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* An 8-byte write of BAR0 at off; a failure ends the program. */
static void
wr64(int fd, off_t off, uint64_t v)
{
	if (pwrite(fd, &v, sizeof(v), BAR0 + off) != sizeof(v))
		die("pwrite of BAR0");
}

/* An 8-byte read of BAR0 at off; a failure ends the program. */
static uint64_t
rd64(int fd, off_t off)
{
	uint64_t	v;

	if (pread(fd, &v, sizeof(v), BAR0 + off) != sizeof(v))
		die("pread of BAR0");
	return (v);
}

/*
 * One edu transfer of cnt bytes between its buffer and EDU_IOVA, to our
 * memory when to_ram is set; waits for the engine to finish and ends the
 * program if it failed.
 */
static void
edu_dma(int fd, uint64_t cnt, int to_ram)
{
	uint64_t	cmd;

	wr64(fd, 0x80, to_ram ? EDU_BUF : EDU_IOVA);
	wr64(fd, 0x88, to_ram ? EDU_IOVA : EDU_BUF);
	wr64(fd, 0x90, cnt);
	wr64(fd, 0x98, EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0));
	while ((cmd = rd64(fd, 0x98)) & EDU_CMD_RUN)
		;
	if (cmd & EDU_CMD_ERROR) {
		errno = EIO;
		die("edu DMA");
	}
}

/* Set up the device: bound, attached to an IOAS mapping buf, mastering. */
static void
setup(int ifd, int dfd, void *buf)
{
	struct vfio_device_bind_iommufd		b;
	struct vfio_device_attach_iommufd_pt	at;
	struct iommu_ioas_alloc			a;
	struct iommu_ioas_map			m;
	uint16_t				cmd = 0x6;

	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = ifd;
	if (ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) != 0)
		die("VFIO_DEVICE_BIND_IOMMUFD");
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	if (ioctl(ifd, IOMMU_IOAS_ALLOC, &a) != 0)
		die("IOMMU_IOAS_ALLOC");
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	m.ioas_id = a.out_ioas_id;
	m.user_va = (uintptr_t)buf;
	m.length = EDU_SIZE;
	m.iova = EDU_IOVA;
	if (ioctl(ifd, IOMMU_IOAS_MAP, &m) != 0)
		die("IOMMU_IOAS_MAP");
	memset(&at, 0, sizeof(at));
	at.argsz = sizeof(at);
	at.pt_id = a.out_ioas_id;
	if (ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) != 0)
		die("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	if (pwrite(dfd, &cmd, sizeof(cmd), CFG + 4) != sizeof(cmd))
		die("pwrite of the command register");
}

int
main(int argc, char **argv)
{
	struct vfio_device_info	 info;
	double			*v[5], t0;
	uint8_t			*buf, *copy = NULL;
	uint32_t		 id;
	int			 ifd, dfd, i, r, n, dn, rounds;

	if (argc < 2) {
		fprintf(stderr, "usage: edu_rtt NODE [reads [rounds]]\n");
		return (1);
	}
	n = argc > 2 ? atoi(argv[2]) : 10000;
	rounds = argc > 3 ? atoi(argv[3]) : 7;
	/* A transfer is five accesses: as many per round in time. */
	dn = n / 5 > 0 ? n / 5 : 1;
	if (n <= 0 || rounds <= 0)
		return (1);
	for (i = 0; i < 5; i++)
		if ((v[i] = calloc(rounds, sizeof(double))) == NULL)
			die("calloc");
	if ((ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC)) == -1)
		die("/dev/iommu");
	if ((dfd = open(argv[1], O_RDWR | O_CLOEXEC)) == -1)
		die(argv[1]);
	buf = mmap(NULL, EDU_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || (copy = malloc(EDU_SIZE)) == NULL)
		die("memory");
	memset(buf, 0x5a, EDU_SIZE);
	setup(ifd, dfd, buf);
	if (pread(dfd, &id, sizeof(id), BAR0) != sizeof(id) ||
	    id != 0x010000ed) {
		fprintf(stderr, "edu_rtt: %s is not an edu device\n", argv[1]);
		return (1);
	}
	/* A round trip through the device: what went out comes back. */
	edu_dma(dfd, EDU_SIZE, 0);
	memset(buf, 0, EDU_SIZE);
	edu_dma(dfd, EDU_SIZE, 1);
	if (buf[0] != 0x5a || buf[EDU_SIZE - 1] != 0x5a) {
		fprintf(stderr, "edu_rtt: the DMA did not reach memory\n");
		return (1);
	}
	for (r = 0; r < rounds; r++) {
		t0 = bench_now_us();
		for (i = 0; i < n; i++)
			if (pread(dfd, &id, sizeof(id), BAR0) != sizeof(id))
				die("pread of BAR0");
		v[0][r] = (bench_now_us() - t0) / n;
		t0 = bench_now_us();
		for (i = 0; i < n; i++) {
			memset(&info, 0, sizeof(info));
			info.argsz = sizeof(info);
			if (ioctl(dfd, VFIO_DEVICE_GET_INFO, &info) != 0)
				die("VFIO_DEVICE_GET_INFO");
		}
		v[1][r] = (bench_now_us() - t0) / n;
		t0 = bench_now_us();
		for (i = 0; i < dn; i++)
			edu_dma(dfd, EDU_SIZE, 0);
		v[2][r] = (bench_now_us() - t0) / dn;
		t0 = bench_now_us();
		for (i = 0; i < dn; i++)
			edu_dma(dfd, EDU_SIZE, 1);
		v[3][r] = (bench_now_us() - t0) / dn;
		/* Enough copies to time, each one kept by the barrier. */
		t0 = bench_now_us();
		for (i = 0; i < 100 * n; i++) {
			memcpy(copy, buf, EDU_SIZE);
			__asm__ __volatile__("" : : "r"(copy) : "memory");
		}
		v[4][r] = (bench_now_us() - t0) / (100.0 * n);
	}
	printf("%.3f %.3f %.3f %.3f %.4f\n", bench_median(v[0], rounds),
	    bench_median(v[1], rounds), bench_median(v[2], rounds),
	    bench_median(v[3], rounds), bench_median(v[4], rounds));
	close(dfd);
	close(ifd);
	for (i = 0; i < 5; i++)
		free(v[i]);
	free(copy);
	return (0);
}
