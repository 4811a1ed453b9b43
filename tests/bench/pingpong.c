/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The baseline for the ioctl benchmarks: a bare request/response exchange
 * between two processes over the same kind of socket the daemon uses
 * (AF_UNIX, SOCK_SEQPACKET), with messages as large as an IOAS_ALLOC request
 * and its reply. Prints the median microseconds per round trip.
 *
 * usage: pingpong [iterations [rounds]]
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define REQ_BYTES	80
#define REP_BYTES	64

int
main(int argc, char **argv)
{
	char	 buf[256];
	double	*v, t0;
	int	 sv[2], i, r, n, rounds;
	pid_t	 pid;
	ssize_t	 len;

	n = argc > 1 ? atoi(argv[1]) : 20000;
	rounds = argc > 2 ? atoi(argv[2]) : 7;
	if (n <= 0 || rounds <= 0 || (v = calloc(rounds, sizeof(*v))) == NULL)
		return (1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		perror("socketpair");
		return (1);
	}
	memset(buf, 0x5a, sizeof(buf));
	if ((pid = fork()) == -1) {
		perror("fork");
		return (1);
	}
	if (pid == 0) {
		close(sv[0]);
		while ((len = read(sv[1], buf, sizeof(buf))) > 0)
			if (write(sv[1], buf, REP_BYTES) != REP_BYTES)
				_exit(1);
		_exit(0);
	}
	close(sv[1]);
	for (r = 0; r < rounds; r++) {
		t0 = bench_now_us();
		for (i = 0; i < n; i++) {
			if (write(sv[0], buf, REQ_BYTES) != REQ_BYTES ||
			    read(sv[0], buf, sizeof(buf)) != REP_BYTES) {
				perror("pingpong");
				return (1);
			}
		}
		v[r] = (bench_now_us() - t0) / n;
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	printf("%.2f\n", bench_median(v, rounds));
	free(v);
	return (0);
}
