/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The baseline for the ioctl benchmarks: a bare request/response exchange
 * between two processes over the same kind of socket the daemon uses
 * (AF_UNIX, SOCK_SEQPACKET), with messages as large as an IOAS_ALLOC request
 * and its reply. Prints the median microseconds per round trip.
 *
 * With -s the exchange has the shape of the preload library's instead,
 * with nothing else of it: the request gathered from four pieces by
 * sendmsg(), credentials attached (SO_PASSCRED on the serving end), both
 * ends receiving with recvmsg() and room for control messages, the reply
 * sent from two pieces with MSG_DONTWAIT and received into two. The
 * difference from the plain exchange is what that shape costs in the
 * kernel, which no user-space work can remove.
 *
 * usage: pingpong [-s] [iterations [rounds]]
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define REQ_BYTES	80
#define REP_BYTES	64

/* Send len bytes of buf as pieces of the given sizes (the rest last). */
static ssize_t
shaped_send(int fd, char *buf, size_t len, const size_t *cut, int ncut,
    int flags)
{
	struct iovec	iov[8];
	struct msghdr	msg;
	size_t		off = 0;
	int		i;

	for (i = 0; i < ncut; i++) {
		iov[i].iov_base = buf + off;
		iov[i].iov_len = cut[i];
		off += cut[i];
	}
	iov[i].iov_base = buf + off;
	iov[i].iov_len = len - off;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = ncut + 1;
	return (sendmsg(fd, &msg, flags | MSG_NOSIGNAL));
}

/* Receive into two pieces of buf, with room for control messages. */
static ssize_t
shaped_recv(int fd, char *buf, size_t len, size_t first)
{
	union {
		struct cmsghdr	align;
		char		buf[256];
	}		cbuf;
	struct iovec	iov[2];
	struct msghdr	msg;

	iov[0].iov_base = buf;
	iov[0].iov_len = first;
	iov[1].iov_base = buf + first;
	iov[1].iov_len = len - first;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	return (recvmsg(fd, &msg, MSG_CMSG_CLOEXEC));
}

/* One round trip, as the client: 0 or -1. */
static int
exchange(int fd, char *buf, size_t size, int shaped)
{
	static const size_t	cut[] = { 16, 24, 24 };

	if (!shaped)
		return (write(fd, buf, REQ_BYTES) == REQ_BYTES &&
		    read(fd, buf, size) == REP_BYTES ? 0 : -1);
	return (shaped_send(fd, buf, REQ_BYTES, cut, 3, 0) == REQ_BYTES &&
	    shaped_recv(fd, buf, size, 40) == REP_BYTES ? 0 : -1);
}

/* The serving end, until the client goes. */
static void
serve(int fd, char *buf, size_t size, int shaped)
{
	static const size_t	cut[] = { 40 };
	ssize_t			len;

	for (;;) {
		len = shaped ? shaped_recv(fd, buf, size, 16) :
		    read(fd, buf, size);
		if (len <= 0)
			return;
		if ((shaped ? shaped_send(fd, buf, REP_BYTES, cut, 1,
		    MSG_DONTWAIT) : write(fd, buf, REP_BYTES)) != REP_BYTES)
			_exit(1);
	}
}

int
main(int argc, char **argv)
{
	char	 buf[256];
	double	*v, t0;
	int	 sv[2], i, r, n, rounds, shaped = 0, one = 1;
	pid_t	 pid;

	if (argc > 1 && strcmp(argv[1], "-s") == 0) {
		shaped = 1;
		argc--;
		argv++;
	}
	n = argc > 1 ? atoi(argv[1]) : 20000;
	rounds = argc > 2 ? atoi(argv[2]) : 7;
	if (n <= 0 || rounds <= 0 || (v = calloc(rounds, sizeof(*v))) == NULL)
		return (1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    (shaped && setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one,
	    sizeof(one)) == -1)) {
		perror("pingpong: socket");
		return (1);
	}
	memset(buf, 0x5a, sizeof(buf));
	if ((pid = fork()) == -1) {
		perror("fork");
		return (1);
	}
	if (pid == 0) {
		close(sv[0]);
		serve(sv[1], buf, sizeof(buf), shaped);
		_exit(0);
	}
	close(sv[1]);
	for (r = 0; r < rounds; r++) {
		t0 = bench_now_us();
		for (i = 0; i < n; i++) {
			if (exchange(sv[0], buf, sizeof(buf), shaped) != 0) {
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
