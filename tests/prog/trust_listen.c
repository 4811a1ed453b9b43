/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A listener that is not ioasidd: what another user could bind at the
 * daemon's path. It accepts connections on a SOCK_SEQPACKET socket at PATH
 * and records everything a client sends it, one line each, on stdout:
 * "accept", "msg LEN fds N" for every message, then "fd LINK ro|rw|wo"
 * for each descriptor it carried, "eof" when a client closes. It answers
 * nothing, and stops by itself after SECONDS. The trust test runs it as
 * an unprivileged user and checks that a client that refuses it sent
 * nothing at all.
 *
 * usage: trust_listen PATH SECONDS
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_MAX	16

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* One message from fd, recorded; 0 on end of file. */
static int
take(int fd)
{
	char		 buf[65536], cbuf[CMSG_SPACE(64 * sizeof(int))];
	struct iovec	 iov = { buf, sizeof(buf) };
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	char		 path[64], link[256];
	ssize_t		 n, len;
	int		 nfds = 0, i, *fds, fl, got[64];

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	if ((n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) <= 0)
		return (n == -1 && errno == EAGAIN ? 1 : 0);
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)CMSG_DATA(cm);
		for (i = 0; (size_t)i < (cm->cmsg_len - CMSG_LEN(0)) /
		    sizeof(int); i++)
			got[nfds++] = fds[i];
	}
	printf("msg %zd fds %d\n", n, nfds);
	/* What each descriptor would let us do. */
	for (i = 0; i < nfds; i++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", got[i]);
		if ((len = readlink(path, link, sizeof(link) - 1)) < 0)
			len = 0;
		link[len] = '\0';
		fl = fcntl(got[i], F_GETFL) & O_ACCMODE;
		printf("fd %s %s\n", link, fl == O_RDWR ? "rw" :
		    fl == O_WRONLY ? "wo" : "ro");
		close(got[i]);
	}
	fflush(stdout);
	return (1);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd[LISTEN_MAX + 1];
	long			 end;
	int			 lfd, n = 1, i, fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: trust_listen PATH SECONDS\n");
		return (2);
	}
	end = now_ms() + atol(argv[2]) * 1000;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, argv[1], strlen(argv[1]) + 1);
	if ((lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 16) == -1) {
		perror("trust_listen");
		return (1);
	}
	printf("listening\n");
	fflush(stdout);
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	while (now_ms() < end) {
		if (poll(pfd, n, 100) <= 0)
			continue;
		if ((pfd[0].revents & POLLIN) && n <= LISTEN_MAX &&
		    (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) != -1) {
			printf("accept\n");
			fflush(stdout);
			pfd[n].fd = fd;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		for (i = 1; i < n; i++) {
			if (pfd[i].revents == 0 || take(pfd[i].fd))
				continue;
			printf("eof\n");
			fflush(stdout);
			close(pfd[i].fd);
			pfd[i--] = pfd[--n];
		}
	}
	unlink(argv[1]);
	return (0);
}
