/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The client end of the ioasidd socket, shared by the preload library and
 * libioasid. It turns an ioctl on a /dev/iommu descriptor into one request
 * and one reply (proto/wire.h), reading and writing the caller's memory
 * fault-safely, and keeps the per-process private channels that let a
 * forked child use an inherited descriptor.
 *
 * Like the system calls they stand for, these functions return -1 and set
 * errno on failure. They depend on libc and proto/ only.
 */
#ifndef IOASIDD_CHAN_H
#define IOASIDD_CHAN_H

/*
 * The socket path used when none is given: $IOASIDD_SOCKET, or
 * WIRE_DEFAULT_SOCKET.
 */
const char	*chan_default_path(void);

/*
 * Connect to the daemon at path (NULL: chan_default_path()), introduce
 * this process and return the connected socket, which stands for one open
 * of /dev/iommu. O_CLOEXEC in oflags is honoured; other flags are ignored.
 * Fails with the errno of connect() (ENOENT when nothing listens there),
 * or EACCES, with one line on stderr and nothing sent, when the listener
 * is not root, our effective uid or a uid $IOASIDD_TRUST_UID names.
 */
int		 chan_open(const char *path, int oflags);

/*
 * The same for another node the daemon serves (enum wire_node): index
 * says which VFIO device (vfio<index>). ENODEV when the daemon has no
 * such node.
 */
int		 chan_open_node(const char *path, int oflags, unsigned int node,
		    unsigned int index);

/*
 * One ioctl on fd, a socket from chan_open() in this or any ancestor
 * process. Returns the command's result, or -1 with errno set as the
 * kernel would. EIO means the daemon went away; EACCES that the listener
 * of an inherited socket is not one chan_open() would have trusted.
 */
int		 chan_ioctl(int fd, unsigned long cmd, void *arg);

/*
 * chan_ioctl() if fd is a socket connected to an ioasidd we know of:
 * returns 1 and stores what chan_ioctl() would return in *rc (errno set
 * when that is -1). Returns 0, errno untouched, for any other descriptor,
 * so that the caller can pass the call on. One fstat() decides both.
 */
int		 chan_try_ioctl(int fd, unsigned long cmd, void *arg, int *rc);

/*
 * The same on a descriptor known to be a VFIO device node's (dev
 * non-zero): its commands' layouts are the device node's where a type1
 * command of /dev/iommu has the same number.
 */
int		 chan_try_ioctl_node(int fd, unsigned long cmd, void *arg,
		    int *rc, int dev);

/* 1 if fd is a socket connected to an ioasidd we know of, else 0. */
int		 chan_is_ours(int fd);

/*
 * The calling thread's fail-nth count, as the kernel keeps one per task
 * in /proc/<pid>/task/<tid>/fail-nth: armed with n > 0, the n-th
 * allocation point the daemon's commands reach from then on fails with
 * ENOMEM, and the count is 0 after it. Each ioctl carries the count and
 * takes back what is left of it; nothing but the daemon's points counts.
 */
unsigned int	 chan_fail_nth_get(void);
void		 chan_fail_nth_set(unsigned int n);

#endif /* IOASIDD_CHAN_H */
