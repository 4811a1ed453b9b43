/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The daemon's own command on a /dev/iommu descriptor, beside the
 * kernel's: what the preload library sends when a program mmap()s its
 * descriptor, since an mmap of a socket cannot reach the daemon.
 *
 * The kernel lets a caller map a page a driver offers on the iommufd
 * (a vIOMMU's, at the offset and length VIOMMU_ALLOC reported). Here the
 * daemon keeps such a page in a memory file of its own; IOASIDD_MMAP
 * checks the request as the kernel's mmap does and hands the caller a
 * descriptor of that file, which the library maps in the caller's place
 * and closes. A kernel has no such command and answers ENOTTY.
 */
#ifndef IOASIDD_PROTO_IOASIDD_H
#define IOASIDD_PROTO_IOASIDD_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * High in the iommufd's number space, far from the kernel's commands
 * (0x80 up) and its selftest's (0xa0), beside the CUSE node's private
 * WHOAMI (0xfd).
 */
#define IOASIDD_CMD_MMAP	0xfc

/*
 * flags: the mmap() flags and prot the caller used, as far as the kernel
 * judges them (MAP_SHARED needed, PROT_EXEC refused).
 */
#define IOASIDD_MMAP_SHARED	0x1
#define IOASIDD_MMAP_EXEC	0x2

struct ioasidd_mmap {
	__u32	size;
	__u32	flags;
	__aligned_u64 offset;		/* the mmap() offset */
	__aligned_u64 length;		/* whole pages */
	__s32	out_fd;			/* a descriptor to map at offset 0 */
	__u32	__reserved;
};

#define IOASIDD_MMAP		_IO(';', IOASIDD_CMD_MMAP)

#endif /* IOASIDD_PROTO_IOASIDD_H */
