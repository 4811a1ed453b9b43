/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The control socket: an AF_UNIX stream listener on the daemon's event
 * base that hands each request line to control_exec() and writes back its
 * reply line. Callers are checked with SO_PEERCRED once per connection.
 */
#ifndef IOASIDD_TRANSPORT_CTL_H
#define IOASIDD_TRANSPORT_CTL_H

#include <sys/types.h>

struct event_base;
struct ctl_server;

/*
 * Listen on path. Root, the daemon's own user and members of gid (unless
 * (gid_t)-1) may connect; the socket is made mode 0660 and group gid when
 * gid is given, 0600 otherwise. A stale socket left at path by a dead
 * daemon is replaced; a live one gives -EADDRINUSE. Returns 0 or -errno.
 */
int	ctl_server_open(struct event_base *, const char *path, gid_t gid,
	    struct ctl_server **);
/* Close every connection, stop listening and remove the socket file. */
void	ctl_server_close(struct ctl_server *);

#endif /* IOASIDD_TRANSPORT_CTL_H */
