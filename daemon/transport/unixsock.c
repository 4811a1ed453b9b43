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
 *
 * Nor may anyone else be able to put their own socket at our path: a
 * client that connects there hands the listener its requests, so every
 * directory on the way must be root's or ours and writable by nobody
 * else (group root aside), or else sticky, where only an entry's owner
 * may rename or remove it, with the entry the path takes next root's or
 * ours (or, for the socket's own name, not there yet). The walk is made
 * over the path as given, whose symbolic links someone might replace,
 * and over the path they resolve to. POSIX ACLs are not looked at.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
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

static int
unixsock_owner_ok(uid_t uid)
{
	return (uid == 0 || uid == geteuid());
}

/* Can someone besides its owner and root add or remove entries? */
static int
unixsock_others_write(const struct stat *st)
{
	return ((st->st_mode & S_IWOTH) ||
	    ((st->st_mode & S_IWGRP) && st->st_gid != 0));
}

/*
 * Walk the absolute directory dir from / down, each directory with the
 * entry the walk takes next (name, in dir itself). A directory that does
 * not exist yet ends the walk: unixsock_mkparent() makes the rest, ours.
 * 0, or -EPERM with the directory at fault in bad.
 */
static int
unixsock_walk(const char *dir, const char *name, char *bad, size_t badlen)
{
	struct stat	 st, est;
	char		 cur[PATH_MAX], next[PATH_MAX];
	const char	*p = dir, *entry;
	size_t		 len;
	int		 n;

	snprintf(cur, sizeof(cur), "/");
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0') {
			entry = name;
			len = strlen(name);
		} else {
			entry = p;
			len = strcspn(p, "/");
			p += len;
		}
		n = snprintf(next, sizeof(next), "%s%s%.*s", cur,
		    strcmp(cur, "/") == 0 ? "" : "/", (int)len, entry);
		if (n < 0 || (size_t)n >= sizeof(next))
			return (-ENAMETOOLONG);
		if (stat(cur, &st) == -1)
			return (errno == ENOENT ? 0 : -errno);
		if (!S_ISDIR(st.st_mode))
			return (-ENOTDIR);
		if (!unixsock_owner_ok(st.st_uid) ||
		    (unixsock_others_write(&st) && !(st.st_mode & S_ISVTX)))
			goto unsafe;
		if (unixsock_others_write(&st)) {
			if (lstat(next, &est) == 0) {
				if (!unixsock_owner_ok(est.st_uid))
					goto unsafe;
			} else if (errno != ENOENT)
				return (-errno);
		}
		if (entry == name)
			return (0);
		memcpy(cur, next, (size_t)n + 1);
	}
unsafe:
	snprintf(bad, badlen, "%s", cur);
	return (-EPERM);
}

int
unixsock_path_safe(const char *path, char *bad, size_t badlen)
{
	char		 dir[PATH_MAX], real[PATH_MAX];
	const char	*name;
	int		 error;

	snprintf(bad, badlen, "%s", path);
	if (strlen(path) >= sizeof(dir))
		return (-ENAMETOOLONG);
	memcpy(dir, path, strlen(path) + 1);
	if ((name = strrchr(path, '/')) == NULL) {
		snprintf(dir, sizeof(dir), ".");
		name = path;
	} else {
		dir[name - path] = '\0';
		name++;
		if (dir[0] == '\0')
			snprintf(dir, sizeof(dir), "/");
	}
	if (*name == '\0')
		return (-EINVAL);
	if (dir[0] == '/' &&
	    (error = unixsock_walk(dir, name, bad, badlen)) != 0)
		return (error);
	if (realpath(dir, real) == NULL)
		return (errno == ENOENT ? 0 : -errno);
	return (unixsock_walk(real, name, bad, badlen));
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
	char			 bad[PATH_MAX];
	int			 fd, one = 1, error;

	us->fd = -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return (-ENAMETOOLONG);
	memcpy(sun.sun_path, path, strlen(path) + 1);

	if ((error = unixsock_path_safe(path, bad, sizeof(bad))) != 0)
		return (error);
	if ((flags & UNIXSOCK_MKPARENT) &&
	    ((error = unixsock_mkparent(path)) != 0 ||
	    (error = unixsock_path_safe(path, bad, sizeof(bad))) != 0))
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
