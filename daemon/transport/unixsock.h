/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Listening unix sockets for the transports (sock.c, ctl.c): the socket
 * file is made with no access for anyone but us until its group and mode
 * are what was asked, a stale file left by a dead daemon is replaced, and
 * only the file we made is ever removed.
 */
#ifndef IOASIDD_TRANSPORT_UNIXSOCK_H
#define IOASIDD_TRANSPORT_UNIXSOCK_H

#include <sys/types.h>

#include <stddef.h>

/* Flags for unixsock_listen(). */
#define UNIXSOCK_MKPARENT	0x1	/* mkdir -p the parent directory */
#define UNIXSOCK_PASSCRED	0x2	/* SO_PASSCRED before anyone connects */

/* A listening socket and the identity of the file it was bound to. */
struct unixsock {
	int	fd;
	dev_t	dev;
	ino_t	ino;
};

/*
 * Bind a non-blocking, close-on-exec socket of type (SOCK_STREAM,
 * SOCK_SEQPACKET) to path and listen with backlog. The file gets mode, and
 * group gid unless (gid_t)-1. A stale socket at path is replaced; a live one
 * gives -EADDRINUSE, anything that is not a socket -EEXIST, a path too long
 * for sun_path -ENAMETOOLONG, a directory others could put a file in
 * -EPERM (unixsock_path_safe()). 0 or -errno; on failure nothing is left
 * behind.
 */
int	unixsock_listen(const char *path, int type, mode_t mode, gid_t gid,
	    int backlog, int flags, struct unixsock *);
/*
 * Could only we and root put a file at path? (See unixsock.c.) 0; -EPERM
 * with the directory at fault in bad (the path itself on other errors),
 * which unixsock_listen() answers too; or another -errno.
 */
int	unixsock_path_safe(const char *path, char *bad, size_t badlen);
/* Remove path if it is still the file us was bound to. Closes no fd. */
void	unixsock_unlink(const char *path, const struct unixsock *us);

#endif /* IOASIDD_TRANSPORT_UNIXSOCK_H */
