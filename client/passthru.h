/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Pass-through tracing: ioctls on the real kernel's /dev/iommu go to the
 * kernel unchanged, and each one is written as the trace line the daemon
 * would write for it (proto/tracefmt.c), so that a session run on a real
 * kernel can be replayed on ioasidd and the answers compared.
 *
 * The trace goes to $IOASIDD_TRACE (appended; a header line first when
 * the file is empty). Without it nothing is traced and every call is the
 * real call alone. Used by the preload library (IOASIDD_PASSTHROUGH=1)
 * and, for static programs, by the --wrap=ioctl wrappers of
 * passthru_wrap.c.
 */
#ifndef IOASIDD_CLIENT_PASSTHRU_H
#define IOASIDD_CLIENT_PASSTHRU_H

/* The real ioctl, as libc declares it. */
typedef int	(*passthru_ioctl_fn)(int, unsigned long, ...);

/*
 * Issues ioctl req on fd with arg through real and, when fd is the
 * kernel's /dev/iommu and a trace file is set, writes its line. Returns
 * what real returned, with errno as real left it.
 */
int	passthru_ioctl(int fd, unsigned long req, void *arg,
	    passthru_ioctl_fn real);

/* fd is being closed: a traced context's "close" line is written. */
void	passthru_close(int fd);

#endif /* IOASIDD_CLIENT_PASSTHRU_H */
