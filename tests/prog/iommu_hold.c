/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Open /dev/iommu, make some objects and mappings, print "ready PID
 * [CHILD...]" on stdout and sleep until killed. The integration test kills
 * it with SIGKILL and checks that the daemon kept nothing of it. With an
 * argument N it also forks N children that hold the same descriptor (so
 * the context must survive until the last of them is gone). It also holds
 * an access descriptor and a fault queue descriptor, which the killed
 * processes must not leave behind either.
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
#include "iommufd_test.h"

int
main(int argc, char **argv)
{
	struct iommu_ioas_alloc	a;
	struct iommu_ioas_map	m;
	struct iommu_test_cmd	t;
	struct iommu_fault_alloc f;
	long			pg = sysconf(_SC_PAGESIZE);
	void			*buf;
	pid_t			pid;
	int			fd, i, nchild = argc > 1 ? atoi(argv[1]) : 0;

	if ((fd = open("/dev/iommu", O_RDWR)) == -1) {
		printf("open: %s\n", strerror(errno));
		return (1);
	}
	buf = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (i = 0; i < 3; i++) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		if (ioctl(fd, IOMMU_IOAS_ALLOC, &a) != 0) {
			printf("IOAS_ALLOC: %s\n", strerror(errno));
			return (1);
		}
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		m.ioas_id = a.out_ioas_id;
		m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
		m.user_va = (uintptr_t)buf;
		m.length = 8 * pg;
		if (ioctl(fd, IOMMU_IOAS_MAP, &m) != 0) {
			printf("IOAS_MAP: %s\n", strerror(errno));
			return (1);
		}
	}
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_CREATE_ACCESS;
	t.id = a.out_ioas_id;
	t.create_access.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	if (ioctl(fd, IOMMU_TEST_CMD, &t) != 0) {
		printf("CREATE_ACCESS: %s\n", strerror(errno));
		return (1);
	}
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	if (ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &f) != 0) {
		printf("FAULT_QUEUE_ALLOC: %s\n", strerror(errno));
		return (1);
	}
	printf("ready %d", (int)getpid());
	for (i = 0; i < nchild; i++) {
		if ((pid = fork()) == 0) {
			for (;;)
				pause();
		}
		printf(" %d", (int)pid);
	}
	printf("\n");
	fflush(stdout);
	for (;;)
		pause();
}
