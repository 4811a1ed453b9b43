/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Two clients at once, each with its own open of /dev/iommu: a small
 * version of tests/prog/iommu_procs sized for a guest under software
 * emulation, where every ioctl costs a few hundred microseconds.
 *
 * Each process allocates its own IOAS objects (the first id of a fresh
 * context is 1 in both, as in the kernel), then runs two threads of
 * alloc/map/unmap/destroy rounds at IOVAs of its own while the other
 * process does the same, checking every answer. At the end each process
 * checks that an id only the other process allocated gives ENOENT in its
 * own context. Ends with "N passed, M failed".
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

#define CHECK_PID
#include "../prog/check.h"

#define NTHREADS	2
#define LOOPS		100

struct pair_worker {
	pthread_t	 t;
	int		 fd;
	unsigned int	 who;
	void		*buf;
	size_t		 len;
	int		 bad;
};

static void *
pair_work(void *arg)
{
	struct pair_worker	*w = arg;
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
		    IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE, 1);
		if (ioas_destroy(w->fd, id) != 0)
			w->bad++;
	}
	return (NULL);
}

/*
 * One client: NIDS objects of its own first (so the two contexts hold
 * different numbers of objects), then the threads, then the check of the
 * other's id. Both processes start the threads only when both have their
 * objects, through the two pipes. The results are in npass and nfail.
 */
static void
pair_client(unsigned int me, int go_out, int go_in)
{
	struct pair_worker	w[NTHREADS];
	long			pg = sysconf(_SC_PAGESIZE);
	uint32_t		ids[4], n = me == 0 ? 4 : 1, i;
	int			fd, bad = 0;
	char			c = 'g';

	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd != -1, "open /dev/iommu");
	for (i = 0; i < n && fd != -1; i++)
		ids[i] = ioas_alloc(fd);
	/* The handshake happens even after a failed open, so that the
	 * other side is never left waiting. */
	if (write(go_out, &c, 1) != 1 || read(go_in, &c, 1) != 1)
		CHECK(0, "handshake");
	if (fd == -1)
		return;
	CHECK(ids[0] == 1, "a fresh context starts at id 1, got %u", ids[0]);
	CHECK(ids[n - 1] == n, "ids count up in this context alone");

	for (i = 0; i < NTHREADS; i++) {
		w[i].fd = fd;
		w[i].who = me * NTHREADS + i;
		w[i].len = 4 * pg;
		w[i].bad = 0;
		w[i].buf = mmap(NULL, w[i].len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (w[i].buf == MAP_FAILED ||
		    pthread_create(&w[i].t, NULL, pair_work, &w[i]) != 0) {
			CHECK(0, "thread %u", i);
			exit(1);
		}
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(w[i].t, NULL);
		bad += w[i].bad;
		munmap(w[i].buf, w[i].len);
	}
	CHECK(bad == 0, "%d wrong answers in %d rounds", bad,
	    NTHREADS * LOOPS);

	/* Ids 2..4 exist only in client 0's context. */
	if (me == 1)
		CHECK(ioas_destroy(fd, 4) == ENOENT,
		    "the other client's id is not ours");
	else
		CHECK(ioas_destroy(fd, 4) == 0, "our own id 4 is still there");
	close(fd);
}

int
main(void)
{
	pid_t	pid;
	int	a[2], b[2], st, counts[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pipe(a) == -1 || pipe(b) == -1) {
		printf("FAIL pipe: %s\n0 passed, 1 failed\n", strerror(errno));
		return (1);
	}
	if ((pid = fork()) == -1) {
		printf("FAIL fork: %s\n0 passed, 1 failed\n", strerror(errno));
		return (1);
	}
	if (pid == 0) {
		/* The second client sends its counts up after the checks. */
		pair_client(1, b[1], a[0]);
		counts[0] = npass;
		counts[1] = nfail;
		if (write(b[1], counts, sizeof(counts)) != sizeof(counts))
			_exit(1);
		_exit(0);
	}
	pair_client(0, a[1], b[0]);
	if (read(b[0], counts, sizeof(counts)) != sizeof(counts)) {
		printf("FAIL the other client ended without its results\n");
		nfail++;
	} else {
		npass += counts[0];
		nfail += counts[1];
	}
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		printf("FAIL the other client exited badly\n");
		nfail++;
	}
	return (check_report());
}
