/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The listening socket shared by the data socket (sock.c) and the control
 * socket (ctl.c). Both must come up the same way: nobody may connect
 * before the file has the group and mode the configuration asks for, a
 * socket left by a daemon that died is taken over while a live daemon's is
 * refused, and shutting down removes our own file but never one another
 * daemon has bound at the same path since.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transport/unixsock.h"

/* mkdir -p of path's parent directory. */
static int
unixsock_mkparent(const char *path)
{
	char	*dir, *p;
	int	 error = 0;

	if ((dir = strdup(path)) == NULL)
		return (-ENOMEM);
	if ((p = strrchr(dir, '/')) == NULL || p == dir) {
		free(dir);
		return (0);
	}
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (*p == '/')
			*p = '\0';
		else
			p = NULL;
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			error = -errno;
			break;
		}
		if (p == NULL)
			break;
		*p = '/';
	}
	free(dir);
	return (error);
}

/*
 * Clear path for our socket. Only a refused connection proves the daemon
 * behind a socket file is gone; any other failure (a live daemon's socket
 * we may not connect to, say) is reported and the file stays.
 */
static int
unixsock_clear_stale(const char *path, int type, const struct sockaddr_un *sun)
{
	struct stat	st;
	int		fd, rc;

	if (lstat(path, &st) == -1)
		return (errno == ENOENT ? 0 : -errno);
	if (!S_ISSOCK(st.st_mode))
		return (-EEXIST);
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
		return (-errno);
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0)
		return (-EADDRINUSE);
	if (errno != ECONNREFUSED)
		return (-errno);
	if (unlink(path) == -1 && errno != ENOENT)
		return (-errno);
	return (0);
}

int
unixsock_listen(const char *path, int type, mode_t mode, gid_t gid,
    int backlog, int flags, struct unixsock *us)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 fd, one = 1, error;

	us->fd = -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return (-ENAMETOOLONG);
	memcpy(sun.sun_path, path, strlen(path) + 1);

	if ((flags & UNIXSOCK_MKPARENT) &&
	    (error = unixsock_mkparent(path)) != 0)
		return (error);
	if ((error = unixsock_clear_stale(path, type, &sun)) != 0)
		return (error);
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return (-errno);
	/* Accepted sockets inherit it, and embryos get credentials too. */
	if ((flags & UNIXSOCK_PASSCRED) &&
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1) {
		error = -errno;
		close(fd);
		return (error);
	}
	/* Nobody may connect before the group and mode are what was asked. */
	old = umask(0177);
	error = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (error == -1) {
		error = -errno;
		close(fd);
		return (error);
	}
	if (lstat(path, &st) == -1 ||
	    (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == -1) ||
	    chmod(path, mode) == -1 || listen(fd, backlog) == -1) {
		error = -errno;
		unlink(path);
		close(fd);
		return (error);
	}
	us->fd = fd;
	us->dev = st.st_dev;
	us->ino = st.st_ino;
	return (0);
}

void
unixsock_unlink(const char *path, const struct unixsock *us)
{
	struct stat	st;

	if (lstat(path, &st) == 0 && st.st_dev == us->dev &&
	    st.st_ino == us->ino)
		unlink(path);
}
