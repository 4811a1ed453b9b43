/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The CUSE transport: /dev/iommu (or whatever the "node" key names) as a
 * real character device, created through libfuse's CUSE low-level API on
 * /dev/cuse and served from the daemon's event base. Each open of the node
 * is one context; the kernel's unrestricted-ioctl retry rounds carry the
 * caller's structs and arrays (see cuse.c for the protocol).
 */
#ifndef IOASIDD_TRANSPORT_CUSE_H
#define IOASIDD_TRANSPORT_CUSE_H

#include <sys/types.h>

struct event_base;
struct cuse_server;

/*
 * Told once with 0 when the node exists (the kernel has taken our answer
 * to CUSE_INIT and the node has its mode and group), and once with
 * -errno when the connection to the kernel ends, before or after that;
 * the server's contexts are gone by then. The callback must not close the
 * server.
 */
typedef void	(*cuse_event_cb)(void *arg, int error);

struct cuse_config {
	const char	*node;		/* "/dev/iommu" */
	/*
	 * What an open of the node is: /dev/iommu (a context) when vfio is
	 * 0, else the VFIO device node of device vfio_index (vfio_cdev.h).
	 */
	int		 vfio;
	unsigned int	 vfio_index;
	mode_t		 mode;		/* given to the node */
	gid_t		 gid;		/* (gid_t)-1: leave as created */
	cuse_event_cb	 cb;
	void		*arg;
};

/*
 * Open /dev/cuse and announce the device; the node appears when the event
 * loop has answered the kernel's CUSE_INIT. -ENOENT or -ENODEV when the
 * kernel has no CUSE (no /dev/cuse), -EEXIST when something already sits
 * at the node's path, -EACCES/-EPERM when /dev/cuse may not be opened.
 */
int	cuse_server_open(struct event_base *, const struct cuse_config *,
	    struct cuse_server **);
/*
 * The same on fd, a descriptor that plays /dev/cuse (ownership passes,
 * also on failure). The node's path is never looked at or changed: this
 * is for the fake-kernel tests.
 */
int	cuse_server_adopt(struct event_base *, int fd,
	    const struct cuse_config *, struct cuse_server **);
/*
 * Close every open's context, end the session (the kernel removes the
 * node when the /dev/cuse descriptor closes) and free the server.
 */
void	cuse_server_close(struct cuse_server *);

/* Opens (contexts) being served, for status reports and tests. */
unsigned int	cuse_server_nopens(const struct cuse_server *);

/* Largest caller memory one ioctl may carry in retry rounds, each way. */
#define CUSE_IOCTL_MAX	(128 * 1024)

#endif /* IOASIDD_TRANSPORT_CUSE_H */
