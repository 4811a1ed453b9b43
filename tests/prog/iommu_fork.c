/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * fork() with an open /dev/iommu, as the kernel defines it: parent and
 * child hold the same open file, so they see the same objects. Both then
 * hammer the one descriptor at the same time, each checking that every
 * answer is its own (its ids, its IOVAs), and hand objects to each other
 * through a pipe to show they are shared. A grandchild that inherits the
 * descriptor through exec() of /proc/self/exe does the same once more.
 * Ends with "N passed, M failed".
 */

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>

#define CHECK_PID
#include "check.h"

#define LOOPS	300

/*
 * One worker's loop: allocate, map at an IOVA only this worker uses, check
 * the IOVA and the unmapped length come back right, destroy.
 */
static void
hammer(int fd, unsigned int who, void *buf, size_t len)
{
	uint64_t		iova;
	uint32_t		id;
	int			i, bad = 0;

	for (i = 0; i < LOOPS; i++) {
		iova = ((uint64_t)who << 32) | ((uint64_t)i << 20);
		if ((id = ioas_alloc(fd)) == 0) {
			bad++;
			continue;
		}
		bad += ioas_map_unmap(fd, id, buf, len, iova,
		    IOMMU_IOAS_MAP_READABLE, 0);
		if (ioas_destroy(fd, id) != 0)
			bad++;
	}
	CHECK(bad == 0, "worker %u: %d wrong answers in %d loops", who, bad,
	    LOOPS);
}

/* The exec'd grandchild: fd number in argv[2]. */
static int
exec_child(int fd)
{
	uint32_t	id;

	id = ioas_alloc(fd);
	CHECK(id != 0, "exec'd child can use the inherited descriptor");
	CHECK(ioas_destroy(fd, id) == 0, "exec'd child destroys its own object");
	return (check_report());
}

int
main(int argc, char **argv)
{
	long		 pg = sysconf(_SC_PAGESIZE);
	void		*buf;
	uint32_t	 before, from_child;
	pid_t		 pid;
	char		 num[16];
	int		 fd, p[2], go[2], status, cfail = 0;
	char		 c = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "exec") == 0)
		return (exec_child(atoi(argv[2])));

	fd = open("/dev/iommu", O_RDWR);
	if (fd == -1) {
		printf("FAIL open: %s\n0 passed, 1 failed\n", strerror(errno));
		return (1);
	}
	buf = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	before = ioas_alloc(fd);
	CHECK(before != 0, "IOAS_ALLOC before fork");
	if (pipe(p) == -1 || pipe(go) == -1)
		return (1);

	pid = fork();
	if (pid == 0) {
		close(p[0]);
		close(go[1]);
		npass = nfail = 0;
		/*
		 * The parent's object is ours too. Ids are reused lowest
		 * first, so nothing is allocated between our destroy and the
		 * parent's check that the id is gone.
		 */
		from_child = ioas_alloc(fd);
		CHECK(from_child != 0, "child allocates");
		CHECK(ioas_destroy(fd, before) == 0,
		    "child destroys the parent's object");
		if (write(p[1], &from_child, sizeof(from_child)) !=
		    sizeof(from_child))
			nfail++;
		if (read(go[0], &c, 1) != 1)
			nfail++;
		hammer(fd, 2, buf, 4 * pg);

		/* A grandchild through exec(). */
		pid = fork();
		if (pid == 0) {
			snprintf(num, sizeof(num), "%d", fd);
			execl("/proc/self/exe", argv[0], "exec", num,
			    (char *)NULL);
			_exit(127);
		}
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0, "exec'd grandchild passed");
		printf("child: %d passed, %d failed\n", npass, nfail);
		_exit(nfail != 0);
	}
	close(p[1]);
	close(go[0]);
	CHECK(read(p[0], &from_child, sizeof(from_child)) ==
	    sizeof(from_child), "child reports its object");
	CHECK(ioas_destroy(fd, before) == ENOENT,
	    "the object the child destroyed is gone for the parent");
	CHECK(ioas_destroy(fd, from_child) == 0,
	    "parent destroys the child's object");
	if (write(go[1], &c, 1) != 1)
		nfail++;
	hammer(fd, 1, buf, 4 * pg);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		cfail = 1;
	CHECK(cfail == 0, "child passed");
	/* The parent goes on working after the child is gone. */
	CHECK(ioas_alloc(fd) != 0, "parent works after the child exits");
	close(fd);
	return (check_report());
}
