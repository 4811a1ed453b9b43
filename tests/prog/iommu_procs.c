/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Many programs at once: NPROCS processes each open /dev/iommu for
 * themselves and run NTHREADS threads on their one descriptor. Every
 * thread allocates, maps, unmaps and destroys in a loop and checks each
 * answer; every process checks that it cannot see another's objects (each
 * open is its own context). Ends with "N passed, M failed".
 */

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "check.h"

#define NPROCS		6
#define NTHREADS	3
#define LOOPS		200

struct worker {
	pthread_t	 t;
	int		 fd;
	unsigned int	 who;
	void		*buf;
	size_t		 len;
	int		 bad;
};

static void *
work(void *arg)
{
	struct worker		*w = arg;
	uint64_t		 iova;
	uint32_t		 id;
	int			 i;

	for (i = 0; i < LOOPS; i++) {
		iova = ((uint64_t)(w->who + 1) << 32) | ((uint64_t)i << 20);
		if ((id = ioas_alloc(w->fd)) == 0) {
			w->bad++;
			continue;
		}
		w->bad += ioas_map_unmap(w->fd, id, w->buf, w->len, iova,
		    IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE, 0);
		if (ioas_destroy(w->fd, id) != 0)
			w->bad++;
	}
	return (NULL);
}

/* One process: returns the number of failures. */
static int
proc_main(unsigned int n, int report)
{
	struct worker	 w[NTHREADS];
	struct iommu_destroy d;
	long		 pg = sysconf(_SC_PAGESIZE);
	uint32_t	 mine, theirs;
	int		 fd, i, bad = 0;

	if ((fd = open("/dev/iommu", O_RDWR | O_CLOEXEC)) == -1) {
		printf("FAIL [%u] open: %s\n", n, strerror(errno));
		return (1);
	}
	mine = ioas_alloc(fd);
	if (write(report, &mine, sizeof(mine)) != sizeof(mine))
		bad++;
	for (i = 0; i < NTHREADS; i++) {
		w[i].fd = fd;
		w[i].who = n * NTHREADS + i;
		w[i].len = 2 * pg;
		w[i].bad = 0;
		w[i].buf = mmap(NULL, w[i].len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pthread_create(&w[i].t, NULL, work, &w[i]);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(w[i].t, NULL);
		if (w[i].bad != 0)
			printf("FAIL [%u] thread %d: %d wrong answers\n", n,
			    i, w[i].bad);
		bad += w[i].bad != 0;
	}
	/* Our first object must still be ours, and only ours. */
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.id = mine;
	if (ioctl(fd, IOMMU_DESTROY, &d) != 0) {
		printf("FAIL [%u] own object lost: %s\n", n, strerror(errno));
		bad++;
	}
	theirs = mine + 1000000;
	d.id = theirs;
	if (ioctl(fd, IOMMU_DESTROY, &d) == 0 || errno != ENOENT) {
		printf("FAIL [%u] unknown id not ENOENT\n", n);
		bad++;
	}
	close(fd);
	return (bad);
}

int
main(void)
{
	pid_t		pids[NPROCS];
	uint32_t	ids[NPROCS];
	int		p[2], i, status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe(p) == -1)
		return (1);
	for (i = 0; i < NPROCS; i++) {
		if ((pids[i] = fork()) == 0) {
			close(p[0]);
			_exit(proc_main(i, p[1]) != 0);
		}
	}
	close(p[1]);
	for (i = 0; i < NPROCS; i++) {
		if (read(p[0], &ids[i], sizeof(ids[i])) != sizeof(ids[i]) ||
		    ids[i] == 0)
			nfail++;
		else
			npass++;
	}
	for (i = 0; i < NPROCS; i++) {
		if (waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			npass++;
		else {
			printf("FAIL process %d\n", i);
			nfail++;
		}
	}
	return (check_report());
}
