/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * An ordinary iommufd program: open /dev/iommu and time pairs of
 * IOMMU_IOAS_ALLOC + IOMMU_DESTROY. Run it under the preload library to
 * measure the daemon. Prints the median microseconds per ioctl.
 *
 * usage: ioctl_rtt [pairs [rounds]]
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "bench.h"

int
main(int argc, char **argv)
{
	struct iommu_ioas_alloc	 alloc;
	struct iommu_destroy	 destroy;
	double			*v, t0;
	int			 fd, i, r, n, rounds;

	n = argc > 1 ? atoi(argv[1]) : 10000;
	rounds = argc > 2 ? atoi(argv[2]) : 7;
	if (n <= 0 || rounds <= 0 || (v = calloc(rounds, sizeof(*v))) == NULL)
		return (1);
	if ((fd = open("/dev/iommu", O_RDWR | O_CLOEXEC)) == -1) {
		perror("ioctl_rtt: /dev/iommu");
		return (1);
	}
	for (r = 0; r < rounds; r++) {
		t0 = bench_now_us();
		for (i = 0; i < n; i++) {
			memset(&alloc, 0, sizeof(alloc));
			alloc.size = sizeof(alloc);
			if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) != 0) {
				perror("ioctl_rtt: IOMMU_IOAS_ALLOC");
				return (1);
			}
			destroy.size = sizeof(destroy);
			destroy.id = alloc.out_ioas_id;
			if (ioctl(fd, IOMMU_DESTROY, &destroy) != 0) {
				perror("ioctl_rtt: IOMMU_DESTROY");
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
