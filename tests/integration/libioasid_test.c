/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * libioasid used on purpose: connect to the socket in argv[1] and go
 * through every convenience call, the -errno convention, and a forked
 * child using the inherited descriptor. make builds it against the
 * built library. Ends with "N passed, M failed".
 */

#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "ioasid.h"

static int	npass, nfail;

#define CHECK(cond, name) do {						\
	if (cond)							\
		npass++;						\
	else {								\
		nfail++;						\
		printf("FAIL %s:%d: %s\n", __func__, __LINE__, (name));	\
	}								\
} while (0)

int
main(int argc, char **argv)
{
	struct iommu_iova_range	*r;
	long			 pg = sysconf(_SC_PAGESIZE);
	uint64_t		 iova, dst, align, n64;
	uint32_t		 a, b, num = 0;
	void			*buf;
	struct vfio_device_bind_iommufd	 bind;
	pid_t			 pid;
	int			 fd, dev, status, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2)
		return (2);
	CHECK(ioasid_open("/nonexistent/ioasidd.sock") == -ENOENT,
	    "no daemon: -ENOENT");
	fd = ioasid_open(argv[1]);
	CHECK(fd >= 0, "ioasid_open");
	if (fd < 0) {
		printf("%d passed, %d failed\n", npass, nfail);
		return (1);
	}
	buf = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ioasid_ioas_alloc(fd, &a) == 0 && a != 0, "ioas_alloc");
	CHECK(ioasid_ioas_alloc(fd, &b) == 0 && b != a, "second ioas_alloc");
	CHECK(ioasid_iova_ranges(fd, a, NULL, &num, &align) == -EMSGSIZE &&
	    num >= 1, "iova_ranges count");
	r = calloc(num, sizeof(*r));
	CHECK(ioasid_iova_ranges(fd, a, r, &num, &align) == 0 && align != 0,
	    "iova_ranges");
	CHECK(ioasid_ioas_map(fd, a, buf, 8 * pg, IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE, &iova) == 0, "ioas_map");
	CHECK(ioasid_ioas_map_fixed(fd, a, buf, 4 * pg, 0x40000000,
	    IOMMU_IOAS_MAP_READABLE) == 0, "ioas_map_fixed");
	CHECK(ioasid_ioas_map_fixed(fd, a, buf, 4 * pg, 0x40000000,
	    IOMMU_IOAS_MAP_READABLE) == -EEXIST, "map_fixed twice: -EEXIST");
	dst = 0x50000000;
	CHECK(ioasid_ioas_copy(fd, b, a, 0x40000000, 2 * pg,
	    IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA, &dst) == 0 &&
	    dst == 0x50000000, "ioas_copy fixed");
	CHECK(ioasid_ioas_copy(fd, b, a, iova, 2 * pg,
	    IOMMU_IOAS_MAP_READABLE, &dst) == 0 && dst != 0x50000000,
	    "ioas_copy");
	CHECK(ioasid_ioas_unmap(fd, a, 0x40000000, 4 * pg, &n64) == 0 &&
	    n64 == (uint64_t)(4 * pg), "ioas_unmap");
	rc = ioasid_destroy(fd, a);
	CHECK(rc == 0, "destroy of an IOAS with mappings");
	if (rc != 0)
		printf("  destroy: %s\n", strerror(-rc));
	CHECK(ioasid_destroy(fd, 999999) == -ENOENT, "destroy unknown");
	CHECK(ioasid_ioctl(fd, _IO(IOMMUFD_TYPE, 0x7f), NULL) == -ENOTTY,
	    "ioasid_ioctl unknown: -ENOTTY");

	pid = fork();
	if (pid == 0) {
		uint32_t	c;

		if (ioasid_ioas_alloc(fd, &c) != 0 || ioasid_destroy(fd, c))
			_exit(1);
		_exit(ioasid_destroy(fd, b) == 0 ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "a forked child uses the descriptor");
	CHECK(ioasid_destroy(fd, b) == -ENOENT, "the child's destroy is seen");
	/* The emulated device vfio0, bound to this context. */
	CHECK(ioasid_open_device(argv[1], 4096) == -ENODEV,
	    "no such device: -ENODEV");
	dev = ioasid_open_device(argv[1], 0);
	CHECK(dev >= 0, "ioasid_open_device");
	memset(&bind, 0, sizeof(bind));
	bind.argsz = sizeof(bind);
	bind.iommufd = fd;
	CHECK(dev >= 0 && ioasid_ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD,
	    &bind) == 0 && bind.out_devid != 0, "bind the device");
	CHECK(ioasid_destroy(fd, bind.out_devid) == -EBUSY,
	    "its DEVICE is in this context, held");
	CHECK(dev >= 0 && ioasid_close(dev) == 0, "close the device");
	CHECK(ioasid_close(fd) == 0, "ioasid_close");
	free(r);
	printf("%d passed, %d failed\n", npass, nfail);
	return (nfail != 0);
}
