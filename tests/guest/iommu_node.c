/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The file side of /dev/iommu, as the kernel's node behaves: a character
 * device whose file has no read or write methods (both give EINVAL), the
 * VFS's default poll mask (always readable and writable), and ioctls that
 * work on a descriptor opened with O_NONBLOCK as on any other.
 *
 *	iommu_node MODE		MODE is the permission bits the node must
 *				have, in octal (the daemon's node-mode)
 *
 * Ends with "N passed, M failed".
 */

#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "../prog/check.h"

int
main(int argc, char **argv)
{
	struct iommu_ioas_alloc	 a;
	struct pollfd		 pfd;
	struct stat		 st;
	unsigned long		 mode;
	char			 buf[16], *end;
	int			 fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2 || (mode = strtoul(argv[1], &end, 8), *end != '\0')) {
		fprintf(stderr, "usage: iommu_node MODE\n");
		return (1);
	}
	CHECK(stat("/dev/iommu", &st) == 0 && S_ISCHR(st.st_mode),
	    "/dev/iommu is a character device");
	CHECK((st.st_mode & 07777) == mode, "mode %04o, not %04lo",
	    (unsigned int)(st.st_mode & 07777), mode);

	if ((fd = open("/dev/iommu", O_RDWR | O_NONBLOCK)) == -1) {
		CHECK(0, "open");
		printf("%d passed, %d failed\n", npass, nfail);
		return (1);
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &a) == 0 && a.out_ioas_id == 1,
	    "IOAS_ALLOC on an O_NONBLOCK descriptor");
	CHECK(read(fd, buf, sizeof(buf)) == -1 && errno == EINVAL,
	    "read gives EINVAL");
	CHECK(write(fd, buf, sizeof(buf)) == -1 && errno == EINVAL,
	    "write gives EINVAL");
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT | POLLPRI;
	pfd.revents = 0;
	CHECK(poll(&pfd, 1, 1000) == 1 &&
	    pfd.revents == (POLLIN | POLLOUT),
	    "poll: readable and writable at once, revents %#x",
	    (unsigned int)pfd.revents);
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &a) == 0 && a.out_ioas_id == 2,
	    "ioctls go on after all that");
	close(fd);
	return (check_report());
}
