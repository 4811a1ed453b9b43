/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * <linux/vfio.h> as ioasidd's users need it: the system's copy, completed
 * with the VFIO device-cdev commands that bind a device to an iommufd and
 * attach it to an I/O page table. Older system headers (Linux 6.1, as in
 * Debian 12) lack them, yet VMMs and the kernel's iommufd selftest use
 * them, and ioasidd serves them on its emulated /dev/vfio/devices/vfioN
 * nodes.
 *
 * Everything added here is guarded, so with a newer system header this
 * file adds nothing. A struct cannot be tested for, so each struct is
 * guarded by its command's macro and defined together with it; a flag that
 * arrived later than its struct has a guard of its own.
 *
 * These commands are _IO numbers in VFIO's range of the ';' type: the
 * argument is a struct that starts with "argsz" (the caller's size) and
 * "flags".
 */
#ifndef IOASIDD_PROTO_LINUX_VFIO_H
#define IOASIDD_PROTO_LINUX_VFIO_H

#include_next <linux/vfio.h>

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * VFIO_DEVICE_BIND_IOMMUFD (0x3b76): bind the device to the iommufd
 * "iommufd"; out_devid is the DEVICE object id in that context. With
 * VFIO_DEVICE_BIND_FLAG_TOKEN, token_uuid_ptr points to the 16-byte VF
 * token. The smallest accepted argsz is 16.
 */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)
#endif
#ifndef VFIO_DEVICE_BIND_FLAG_TOKEN
#define VFIO_DEVICE_BIND_FLAG_TOKEN (1 << 0)
#endif

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT (0x3b77): attach the device (or, with
 * VFIO_DEVICE_ATTACH_PASID, its PASID "pasid") to pt_id, an IOAS or a HWPT;
 * attaching an attached device replaces. pt_id comes back as the HWPT
 * actually used. The smallest accepted argsz is 12.
 */
#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
	__u32 pasid;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)
#endif
#ifndef VFIO_DEVICE_ATTACH_PASID
#define VFIO_DEVICE_ATTACH_PASID (1 << 0)
#endif

/*
 * VFIO_DEVICE_DETACH_IOMMUFD_PT (0x3b78): detach the device, or with
 * VFIO_DEVICE_DETACH_PASID its PASID "pasid". The smallest accepted argsz
 * is 8.
 */
#ifndef VFIO_DEVICE_DETACH_IOMMUFD_PT
struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pasid;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)
#endif
#ifndef VFIO_DEVICE_DETACH_PASID
#define VFIO_DEVICE_DETACH_PASID (1 << 0)
#endif

/*
 * Linux 7.3: a VFIO_DEVICE_FEATURE_GET of this feature exports nr_ranges
 * slices of a device region as one dma-buf and returns its fd, opened
 * with open_flags; flags is 0. IOMMU_IOAS_MAP_FILE maps such a dma-buf.
 */
#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

struct vfio_region_dma_range {
	__u64	offset;
	__u64	length;
};

struct vfio_device_feature_dma_buf {
	__u32	region_index;
	__u32	open_flags;
	__u32	flags;
	__u32	nr_ranges;
	struct vfio_region_dma_range dma_ranges[];
};
#endif

/*
 * Linux 6.5: VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on a cdev open answers
 * with device ids (the dependent device's group_id field holds a devid).
 */
#ifndef VFIO_PCI_HOT_RESET_FLAG_DEV_ID
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID		(1 << 0)
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED	(1 << 1)
#define VFIO_PCI_DEVID_OWNED			0
#define VFIO_PCI_DEVID_NOT_OWNED		-1
#endif

#endif /* IOASIDD_PROTO_LINUX_VFIO_H */
