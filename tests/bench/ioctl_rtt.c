/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * An ordinary iommufd program: open /dev/iommu and time pairs of
 * IOMMU_IOAS_ALLOC + IOMMU_DESTROY, or with -m pairs of IOMMU_IOAS_MAP +
 * IOMMU_IOAS_UNMAP of one page at a fixed IOVA (a request that carries
 * the caller's memory file, through the preload library). Run it under
 * the preload library to measure the daemon. Prints the median
 * microseconds per ioctl.
 *
 * usage: ioctl_rtt [-m] [pairs [rounds]]
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "bench.h"

/* One IOAS_ALLOC + DESTROY: 0, or -1 with errno. */
static int
rtt_alloc(int fd, uint32_t ioas)
{
	struct iommu_ioas_alloc	alloc;
	struct iommu_destroy	destroy;

	(void)ioas;
	memset(&alloc, 0, sizeof(alloc));
	alloc.size = sizeof(alloc);
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) != 0)
		return (-1);
	destroy.size = sizeof(destroy);
	destroy.id = alloc.out_ioas_id;
	return (ioctl(fd, IOMMU_DESTROY, &destroy));
}

static void	*rtt_page;

/* One IOAS_MAP + UNMAP of rtt_page at IOVA 1 MiB: 0, or -1 with errno. */
static int
rtt_map(int fd, uint32_t ioas)
{
	struct iommu_ioas_map	map;
	struct iommu_ioas_unmap	unmap;

	memset(&map, 0, sizeof(map));
	map.size = sizeof(map);
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = ioas;
	map.user_va = (uintptr_t)rtt_page;
	map.length = 4096;
	map.iova = 1 << 20;
	if (ioctl(fd, IOMMU_IOAS_MAP, &map) != 0)
		return (-1);
	memset(&unmap, 0, sizeof(unmap));
	unmap.size = sizeof(unmap);
	unmap.ioas_id = ioas;
	unmap.iova = map.iova;
	unmap.length = map.length;
	return (ioctl(fd, IOMMU_IOAS_UNMAP, &unmap));
}

int
main(int argc, char **argv)
{
	struct iommu_ioas_alloc	 alloc;
	int			(*pair)(int, uint32_t) = rtt_alloc;
	const char		*what = "IOMMU_IOAS_ALLOC+DESTROY";
	double			*v, t0;
	int			 fd, i, r, n, rounds;

	if (argc > 1 && strcmp(argv[1], "-m") == 0) {
		pair = rtt_map;
		what = "IOMMU_IOAS_MAP+UNMAP";
		argc--;
		argv++;
	}
	n = argc > 1 ? atoi(argv[1]) : 10000;
	rounds = argc > 2 ? atoi(argv[2]) : 7;
	if (n <= 0 || rounds <= 0 || (v = calloc(rounds, sizeof(*v))) == NULL)
		return (1);
	if ((fd = open("/dev/iommu", O_RDWR | O_CLOEXEC)) == -1) {
		perror("ioctl_rtt: /dev/iommu");
		return (1);
	}
	rtt_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	memset(&alloc, 0, sizeof(alloc));
	alloc.size = sizeof(alloc);
	if (rtt_page == MAP_FAILED ||
	    ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) != 0) {
		perror("ioctl_rtt: setup");
		return (1);
	}
	for (r = 0; r < rounds; r++) {
		t0 = bench_now_us();
		for (i = 0; i < n; i++) {
			if (pair(fd, alloc.out_ioas_id) != 0) {
				fprintf(stderr, "ioctl_rtt: %s: %s\n", what,
				    strerror(errno));
				return (1);
			}
		}
		v[r] = (bench_now_us() - t0) / (2.0 * n);
	}
	close(fd);
	printf("%.2f\n", bench_median(v, rounds));
	free(v);
	return (0);
}
