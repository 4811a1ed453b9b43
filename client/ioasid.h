/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * libioasid: talk to ioasidd explicitly, without LD_PRELOAD.
 *
 * ioasid_open() connects to the daemon and returns a descriptor that
 * stands for one open of /dev/iommu: every iommufd command works on it
 * through ioasid_ioctl(), exactly as ioctl() works on the real node, and
 * it may be dup'ed, inherited across fork() and closed like any other
 * descriptor (the daemon frees the context when its last copy is closed).
 * The convenience wrappers cover the calls most programs need.
 *
 * Every function returns 0 (or a non-negative result) on success and
 * -errno on failure, with the errno the kernel would give. The library is
 * thread-safe and fork-safe.
 *
 * Build with `pkg-config --cflags --libs ioasid`; <linux/iommufd.h> is
 * ioasidd's own copy of the upstream header.
 */
#ifndef IOASID_H
#define IOASID_H

#include <stdint.h>

#include <linux/iommufd.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Connect to the daemon listening at socket_path, or, when it is NULL, at
 * $IOASIDD_SOCKET or /run/ioasidd/iommu.sock. The descriptor is
 * close-on-exec. Returns it, or -errno (-ENOENT: no daemon there;
 * -EACCES: the daemon there is run by a user other than root, our
 * effective user or one $IOASIDD_TRUST_UID names, and nothing was sent).
 */
int	ioasid_open(const char *socket_path);
/*
 * The same for the daemon's emulated VFIO device index (the node
 * /dev/vfio/devices/vfio<index>): a descriptor on which the VFIO cdev
 * commands (VFIO_DEVICE_BIND_IOMMUFD with an iommufd from ioasid_open(),
 * ATTACH, DETACH, GET_INFO) work through ioasid_ioctl(). -ENODEV when the
 * daemon has no such device.
 */
int	ioasid_open_device(const char *socket_path, unsigned int index);
/* Close a descriptor from ioasid_open(): 0 or -errno. */
int	ioasid_close(int fd);
/*
 * Any iommufd command on fd, arg as for ioctl(2). Returns the command's
 * result (>= 0) or -errno. Also works on a descriptor this process
 * inherited or received from another one.
 */
int	ioasid_ioctl(int fd, unsigned long cmd, void *arg);

/* IOMMU_IOAS_ALLOC: a new I/O address space, its id in *ioas_id. */
int	ioasid_ioas_alloc(int fd, uint32_t *ioas_id);
/*
 * IOMMU_IOAS_MAP at an IOVA the daemon chooses (returned in *iova) of
 * [va, va + length) with flags IOMMU_IOAS_MAP_READABLE and/or _WRITEABLE.
 */
int	ioasid_ioas_map(int fd, uint32_t ioas_id, void *va, uint64_t length,
	    uint32_t flags, uint64_t *iova);
/* IOMMU_IOAS_MAP at exactly iova (IOMMU_IOAS_MAP_FIXED_IOVA is added). */
int	ioasid_ioas_map_fixed(int fd, uint32_t ioas_id, void *va,
	    uint64_t length, uint64_t iova, uint32_t flags);
/*
 * IOMMU_IOAS_UNMAP of [iova, iova + length); iova 0 and length UINT64_MAX
 * unmap everything. The bytes unmapped go to *unmapped if not NULL.
 */
int	ioasid_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova,
	    uint64_t length, uint64_t *unmapped);
/*
 * IOMMU_IOAS_COPY of [src_iova, src_iova + length) of src_ioas_id into
 * dst_ioas_id. With IOMMU_IOAS_MAP_FIXED_IOVA in flags *dst_iova is the
 * destination; otherwise the daemon chooses it and stores it there.
 */
int	ioasid_ioas_copy(int fd, uint32_t dst_ioas_id, uint32_t src_ioas_id,
	    uint64_t src_iova, uint64_t length, uint32_t flags,
	    uint64_t *dst_iova);
/*
 * IOMMU_IOAS_IOVA_RANGES: up to *num ranges into ranges (may be NULL when
 * *num is 0). *num becomes the number there are; when that is more than
 * fitted, -EMSGSIZE. The IOVA alignment goes to *alignment if not NULL.
 */
int	ioasid_iova_ranges(int fd, uint32_t ioas_id,
	    struct iommu_iova_range *ranges, uint32_t *num,
	    uint64_t *alignment);
/* IOMMU_DESTROY of any object. */
int	ioasid_destroy(int fd, uint32_t id);

#ifdef __cplusplus
}
#endif

#endif /* IOASID_H */
