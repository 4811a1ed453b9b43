/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The unix-socket transport: the listener the preload library and
 * libioasid connect to (the message format is proto/wire.h). Each accepted
 * connection is one open context; the private channels its other processes
 * make hang off it. Everything runs on the daemon's event base and nothing
 * here ever waits for a client.
 */
#ifndef IOASIDD_TRANSPORT_SOCK_H
#define IOASIDD_TRANSPORT_SOCK_H

#include <sys/types.h>

struct event_base;
struct sock_server;

/*
 * Listen on path (SOCK_SEQPACKET), creating its parent directory if
 * missing. The socket file gets mode, and group gid unless (gid_t)-1. A
 * stale socket left at path by a dead daemon is replaced; a live one gives
 * -EADDRINUSE, and anything that is not a socket -EEXIST. 0 or -errno.
 */
int	sock_server_open(struct event_base *, const char *path, mode_t mode,
	    gid_t gid, struct sock_server **);
/*
 * Stop listening, close every connection and channel, free every context
 * they held, and remove the socket file.
 */
void	sock_server_close(struct sock_server *);

/* Connections (open contexts) being served, for status reports. */
unsigned int	sock_server_nconns(const struct sock_server *);

/*
 * Connections one uid may have open at once (socket-connections-per-uid);
 * those it has beyond a new, lower number stay. SOCK_DEFAULT_PER_UID
 * until set.
 */
#define SOCK_DEFAULT_PER_UID	256
void	sock_server_set_per_uid(struct sock_server *, unsigned int);

#endif /* IOASIDD_TRANSPORT_SOCK_H */
