/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A /dev/iommu program that never stops talking: it opens the node,
 * allocates an IOAS and then maps, unmaps, allocates and destroys in a
 * loop, checking every answer, until it is killed. The guest test kills it
 * with SIGKILL in the middle of that stream, so the kernel abandons
 * requests in flight, and then checks that the daemon dropped the context
 * and still serves everyone else.
 *
 *	iommu_storm [NCHILD]
 *
 * With NCHILD, that many children are forked after the open and run the
 * same loop on the same descriptor; the context must then live until the
 * last of them is gone. Once every process has had answers, the parent
 * prints "ready PID [CHILD...]". Any wrong answer prints "FAIL ..." and
 * exits 1, which the test sees as the process ending before it was killed.
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

#define NCHILD_MAX	8

static pid_t	pids[NCHILD_MAX];
static int	nchild;
static int	ready[2];	/* children to parent: one byte each */

static void
storm_fail(const char *what)
{
	printf("FAIL [%d] %s: %s\n", (int)getpid(), what, strerror(errno));
	fflush(stdout);
	_exit(1);
}

static uint32_t
storm_alloc(int fd)
{
	struct iommu_ioas_alloc	a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a) != 0)
		storm_fail("IOAS_ALLOC");
	return (a.out_ioas_id);
}

/*
 * After the first round: a child sends one byte up the pipe; the parent
 * (who == 0) waits for every child's byte and prints the ready line.
 */
static void
storm_ready(unsigned int who)
{
	int	i;
	char	c = 'r';

	if (who != 0) {
		if (write(ready[1], &c, 1) != 1)
			storm_fail("write");
		close(ready[1]);
		return;
	}
	for (i = 0; i < nchild; i++)
		if (read(ready[0], &c, 1) != 1)
			storm_fail("a child ended before its first round");
	close(ready[0]);
	printf("ready %d", (int)getpid());
	for (i = 0; i < nchild; i++)
		printf(" %d", (int)pids[i]);
	printf("\n");
	fflush(stdout);
}

/*
 * One round: a fresh IOAS, a mapping at an IOVA of our own, an unmap that
 * must give back exactly that length, a DESTROY.
 */
static void
storm_loop(int fd, unsigned int who)
{
	struct iommu_ioas_map	 m;
	struct iommu_ioas_unmap	 u;
	struct iommu_destroy	 d;
	long			 pg = sysconf(_SC_PAGESIZE);
	size_t			 len = 4 * pg;
	uint64_t		 iova;
	unsigned int		 i;
	void			*buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		storm_fail("mmap");
	memset(buf, 0xa5, len);
	for (i = 0;; i++) {
		iova = ((uint64_t)(who + 1) << 32) | ((uint64_t)(i % 64) << 20);
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		m.ioas_id = storm_alloc(fd);
		m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
		m.user_va = (uintptr_t)buf;
		m.length = len;
		m.iova = iova;
		if (ioctl(fd, IOMMU_IOAS_MAP, &m) != 0 || m.iova != iova)
			storm_fail("IOAS_MAP");
		memset(&u, 0, sizeof(u));
		u.size = sizeof(u);
		u.ioas_id = m.ioas_id;
		u.iova = iova;
		u.length = len;
		if (ioctl(fd, IOMMU_IOAS_UNMAP, &u) != 0 || u.length != len)
			storm_fail("IOAS_UNMAP");
		memset(&d, 0, sizeof(d));
		d.size = sizeof(d);
		d.id = m.ioas_id;
		if (ioctl(fd, IOMMU_DESTROY, &d) != 0)
			storm_fail("DESTROY");
		if (i == 0)
			storm_ready(who);
	}
}

int
main(int argc, char **argv)
{
	unsigned int	i;
	int		fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	nchild = argc > 1 ? atoi(argv[1]) : 0;
	if (nchild < 0 || nchild > NCHILD_MAX) {
		fprintf(stderr, "usage: iommu_storm [0..%d]\n", NCHILD_MAX);
		return (1);
	}
	if ((fd = open("/dev/iommu", O_RDWR)) == -1)
		storm_fail("open /dev/iommu");
	if (pipe(ready) == -1)
		storm_fail("pipe");
	for (i = 0; i < (unsigned int)nchild; i++) {
		if ((pids[i] = fork()) == -1)
			storm_fail("fork");
		if (pids[i] == 0) {
			close(ready[0]);
			storm_loop(fd, i + 1);
		}
	}
	close(ready[1]);
	storm_loop(fd, 0);
	return (0);
}
