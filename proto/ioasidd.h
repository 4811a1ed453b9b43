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
 *
 * IOASIDD_MMAP_UNMAP is no request but a notice: the caller's munmap()
 * of [offset, offset + length) of what an earlier IOASIDD_MMAP mapped
 * (the kernel sees a mapping go through its close; the daemon would not
 * see it at all). Nothing is handed out and out_fd is left as it is; the
 * answer is 0 for whole pages at a page-aligned offset, whether or not
 * the region is still there (a mapping may outlive its vIOMMU), else
 * EINVAL. DESTROY still asks the caller's maps whether the region is
 * mapped; the notice is what puts the mapping's end into a trace, so
 * that a replay ends its own mapping at the same point.
 */
#define IOASIDD_MMAP_SHARED	0x1
#define IOASIDD_MMAP_EXEC	0x2
#define IOASIDD_MMAP_UNMAP	0x4

struct ioasidd_mmap {
	__u32	size;
	__u32	flags;
	__aligned_u64 offset;		/* the mmap() offset */
	__aligned_u64 length;		/* whole pages */
	__s32	out_fd;			/* a descriptor to map at offset 0 */
	__u32	__reserved;
};

#define IOASIDD_MMAP		_IO(';', IOASIDD_CMD_MMAP)

/*
 * The daemon's commands on an emulated VFIO device descriptor: pread()
 * and pwrite() of the device's regions, which a program's calls on a
 * socket cannot reach. The preload library turns each such call on a
 * device descriptor into one of these; CUSE serves read and write with
 * their offsets itself. offset is the pread() offset: the region index
 * in the high bits as vfio-pci encodes it (VFIO_PCI_INDEX_TO_OFFSET),
 * the byte in the region below. The result is what pread()/pwrite()
 * return: the bytes done (fewer at a region's end, 0 past it), or
 * -errno. READ writes length bytes at data_uptr, WRITE reads them.
 * A kernel has no such commands and answers ENOTTY.
 */
#define IOASIDD_CMD_REGION_READ		0xfa
#define IOASIDD_CMD_REGION_WRITE	0xfb

struct ioasidd_region_rw {
	__u32	argsz;
	__u32	flags;			/* none yet: must be 0 */
	__aligned_u64 offset;
	__aligned_u64 length;
	__aligned_u64 data_uptr;
};

/*
 * The most bytes one REGION_READ or REGION_WRITE moves (the daemon's
 * VFIO_CDEV_RW_MAX is this): a longer pread() is sent in pieces.
 */
#define IOASIDD_REGION_RW_MAX	(64 * 1024)

#define IOASIDD_REGION_READ	_IO(';', IOASIDD_CMD_REGION_READ)
#define IOASIDD_REGION_WRITE	_IO(';', IOASIDD_CMD_REGION_WRITE)

/* The VM that holds a device (KVM's kvm-vfio device): ioasidd_kvm.h. */
#include "ioasidd_kvm.h"

#endif /* IOASIDD_PROTO_IOASIDD_H */
