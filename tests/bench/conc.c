/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The preload path under concurrency: CLIENTS processes, each with its own
 * open of /dev/iommu, time pairs of IOMMU_IOAS_ALLOC + IOMMU_DESTROY at
 * the same time. Every process opens the node and warms up first; then
 * all are released together. Run it under the preload library, like
 * ioctl_rtt.
 *
 * Prints one line: the median per-ioctl latency a client saw (over every
 * client's rounds), the aggregate throughput in ioctls per second (all
 * ioctls over the wall time from release to the last client's end), and
 * its inverse, the machine's cost per ioctl in microseconds.
 *
 * usage: conc clients [pairs-per-client-round [rounds]]
 */
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "bench.h"

#define CONC_MAX_CLIENTS	1024
#define CONC_MAX_ROUNDS		32
#define CONC_WARMUP		200

/* n pairs of ALLOC + DESTROY on fd: 0, or -1 with a message. */
static int
conc_pairs(int fd, int n)
{
	struct iommu_ioas_alloc	alloc;
	struct iommu_destroy	destroy;
	int			i;

	for (i = 0; i < n; i++) {
		memset(&alloc, 0, sizeof(alloc));
		alloc.size = sizeof(alloc);
		if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) != 0) {
			perror("conc: IOMMU_IOAS_ALLOC");
			return (-1);
		}
		memset(&destroy, 0, sizeof(destroy));
		destroy.size = sizeof(destroy);
		destroy.id = alloc.out_ioas_id;
		if (ioctl(fd, IOMMU_DESTROY, &destroy) != 0) {
			perror("conc: IOMMU_DESTROY");
			return (-1);
		}
	}
	return (0);
}

/* One client: open, warm up, say ready, wait for the start, run, report. */
static void
conc_client(int ready, int go, int results, int pairs, int rounds)
{
	double	v[CONC_MAX_ROUNDS], t0;
	char	c = 0;
	int	fd, r;

	if ((fd = open("/dev/iommu", O_RDWR | O_CLOEXEC)) == -1) {
		perror("conc: /dev/iommu");
		_exit(1);
	}
	if (conc_pairs(fd, CONC_WARMUP) != 0)
		_exit(1);
	/* Closed at once, so the parent sees end of file if one dies. */
	if (write(ready, &c, 1) != 1)
		_exit(1);
	close(ready);
	/* The parent closes its end of go to start everyone at once. */
	while (read(go, &c, 1) == -1 && errno == EINTR)
		;
	for (r = 0; r < rounds; r++) {
		t0 = bench_now_us();
		if (conc_pairs(fd, pairs) != 0)
			_exit(1);
		v[r] = (bench_now_us() - t0) / (2.0 * pairs);
	}
	close(fd);
	/* At most CONC_MAX_ROUNDS doubles: within PIPE_BUF, so atomic. */
	if (write(results, v, sizeof(v[0]) * rounds) !=
	    (ssize_t)(sizeof(v[0]) * rounds))
		_exit(1);
	_exit(0);
}

int
main(int argc, char **argv)
{
	double	*all, t0, wall;
	pid_t	*pids;
	char	 c;
	int	 ready[2], go[2], res[2], clients, pairs, rounds, i, status;
	int	 failed = 0;
	size_t	 want, got = 0;
	ssize_t	 n;

	clients = argc > 1 ? atoi(argv[1]) : 1;
	pairs = argc > 2 ? atoi(argv[2]) : 2000;
	rounds = argc > 3 ? atoi(argv[3]) : 5;
	if (clients <= 0 || clients > CONC_MAX_CLIENTS || pairs <= 0 ||
	    rounds <= 0 || rounds > CONC_MAX_ROUNDS) {
		fprintf(stderr, "usage: conc clients [pairs [rounds]]\n");
		return (2);
	}
	want = sizeof(double) * (size_t)clients * rounds;
	if ((all = malloc(want)) == NULL ||
	    (pids = calloc(clients, sizeof(*pids))) == NULL)
		return (1);
	if (pipe(ready) == -1 || pipe(go) == -1 || pipe(res) == -1) {
		perror("conc: pipe");
		return (1);
	}
	for (i = 0; i < clients; i++) {
		if ((pids[i] = fork()) == -1) {
			perror("conc: fork");
			failed = 1;
			break;
		}
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			close(res[0]);
			conc_client(ready[1], go[0], res[1], pairs, rounds);
		}
	}
	close(ready[1]);
	close(go[0]);
	close(res[1]);
	/* Everyone opened and warmed up (or died: read sees end of file). */
	for (i = 0; !failed && i < clients; i++) {
		if (read(ready[0], &c, 1) != 1)
			failed = 1;
	}
	t0 = bench_now_us();
	close(go[1]);
	while (got < want && (n = read(res[0], (char *)all + got,
	    want - got)) > 0)
		got += n;
	wall = bench_now_us() - t0;
	for (i = 0; i < clients; i++) {
		if (pids[i] <= 0)
			continue;
		if (failed)
			kill(pids[i], SIGKILL);
		if (waitpid(pids[i], &status, 0) == -1 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	if (failed || got != want) {
		fprintf(stderr, "conc: a client failed\n");
		return (1);
	}
	printf("%.2f %.0f %.3f\n",
	    bench_median(all, (size_t)clients * rounds),
	    2.0 * pairs * rounds * clients / (wall / 1e6),
	    wall / (2.0 * pairs * rounds * clients));
	free(all);
	free(pids);
	return (0);
}
