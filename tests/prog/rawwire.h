/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The two system calls the programs that speak the socket protocol by
 * hand (wire_fuzz, flood) share: connecting to the daemon, and sending
 * bytes with descriptors exactly as given. Everything above that (which
 * messages, how malformed) is each program's own, so that nothing here
 * can hide what a test sends.
 */
#ifndef IOASIDD_TESTS_RAWWIRE_H
#define IOASIDD_TESTS_RAWWIRE_H

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RAWWIRE_MAX_FDS	253	/* the kernel's SCM_MAX_FD */

/* A new connection to the daemon's socket at path, or -1. */
static inline int
rawwire_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * One sendmsg of niov pieces with nfds (at most RAWWIRE_MAX_FDS)
 * descriptors: what sendmsg returns.
 */
static inline ssize_t
rawwire_sendv(int fd, const struct iovec *iov, int niov, const int *fds,
    int nfds, int flags)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(int) * RAWWIRE_MAX_FDS)];
	} cbuf;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = (struct iovec *)(uintptr_t)iov;
	msg.msg_iovlen = niov;
	if (nfds > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	return (sendmsg(fd, &msg, MSG_NOSIGNAL | flags));
}

#endif /* IOASIDD_TESTS_RAWWIRE_H */
