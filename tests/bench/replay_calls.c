/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * An ordinary iommufd program whose calls the replay benchmark records
 * and replays: open /dev/iommu, then ROUNDS rounds of IOMMU_IOAS_ALLOC,
 * IOMMU_IOAS_MAP of one page at a fixed IOVA, IOMMU_IOAS_IOVA_RANGES,
 * IOMMU_IOAS_UNMAP and IOMMU_DESTROY. Under the preload library it issues
 * them through libioasid, as the replay through the socket does. Prints
 * the number of calls and the calls per second of the whole run.
 *
 * usage: replay_calls [rounds]
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "bench.h"

#define RC_IOVA		0x100000ULL

/* One round of five calls on fd with page at buf: 0, or -1. */
static int
rc_round(int fd, void *buf, size_t pg)
{
	struct iommu_ioas_alloc		alloc;
	struct iommu_ioas_map		map;
	struct iommu_ioas_iova_ranges	ranges;
	struct iommu_iova_range		r[4];
	struct iommu_ioas_unmap		unmap;
	struct iommu_destroy		destroy;

	memset(&alloc, 0, sizeof(alloc));
	alloc.size = sizeof(alloc);
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) != 0)
		return (-1);
	memset(&map, 0, sizeof(map));
	map.size = sizeof(map);
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = alloc.out_ioas_id;
	map.user_va = (uintptr_t)buf;
	map.length = pg;
	map.iova = RC_IOVA;
	if (ioctl(fd, IOMMU_IOAS_MAP, &map) != 0)
		return (-1);
	memset(&ranges, 0, sizeof(ranges));
	ranges.size = sizeof(ranges);
	ranges.ioas_id = alloc.out_ioas_id;
	ranges.num_iovas = 4;
	ranges.allowed_iovas = (uintptr_t)r;
	if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &ranges) != 0)
		return (-1);
	memset(&unmap, 0, sizeof(unmap));
	unmap.size = sizeof(unmap);
	unmap.ioas_id = alloc.out_ioas_id;
	unmap.iova = RC_IOVA;
	unmap.length = pg;
	if (ioctl(fd, IOMMU_IOAS_UNMAP, &unmap) != 0)
		return (-1);
	memset(&destroy, 0, sizeof(destroy));
	destroy.size = sizeof(destroy);
	destroy.id = alloc.out_ioas_id;
	return (ioctl(fd, IOMMU_DESTROY, &destroy));
}

int
main(int argc, char **argv)
{
	long	 rounds = argc > 1 ? atol(argv[1]) : 2000, i;
	size_t	 pg = (size_t)sysconf(_SC_PAGESIZE);
	double	 t0, t1;
	void	*buf;
	int	 fd;

	if (rounds <= 0) {
		fprintf(stderr, "usage: replay_calls [rounds]\n");
		return (2);
	}
	if ((fd = open("/dev/iommu", O_RDWR)) < 0) {
		perror("/dev/iommu");
		return (1);
	}
	buf = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("mmap");
		return (1);
	}
	memset(buf, 0x5a, pg);
	t0 = bench_now_ns();
	for (i = 0; i < rounds; i++) {
		if (rc_round(fd, buf, pg) != 0) {
			perror("replay_calls");
			return (1);
		}
	}
	t1 = bench_now_ns();
	close(fd);
	printf("%ld %.0f\n", rounds * 5, rounds * 5 * 1e9 / (t1 - t0));
	return (0);
}
