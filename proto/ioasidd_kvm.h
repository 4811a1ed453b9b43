/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The daemon's command on an emulated VFIO device descriptor that says
 * which virtual machine holds the device: the kvm-vfio device's part.
 *
 * With KVM, a VMM adds each VFIO device descriptor to its VM's kvm-vfio
 * device (KVM_SET_DEVICE_ATTR, group KVM_DEV_VFIO_FILE, attr
 * KVM_DEV_VFIO_FILE_ADD or _DEL, addr pointing at the descriptor), so
 * that KVM knows the VM has a device doing DMA (cache coherency, the
 * 2013 kvm-vfio thread). A kernel refuses that for our descriptors,
 * which are not VFIO's files. The preload library answers the call
 * itself, with the kernel's errnos (virt/kvm/vfio.c), and sends this
 * command on the device descriptor so that the daemon knows the VM.
 *
 * A VM is named by the process holding it (pid) and a number the
 * library gives it (vm_id): two kvm-vfio descriptors of one file
 * (kcmp(2) KCMP_FILE says so) have the same number, descriptors of two
 * VMs different ones. kvm_fd is the descriptor the call came on, for
 * people to read. The daemon keeps at most IOASIDD_KVM_VMS_MAX VMs per
 * open of the device and forgets them when the open is closed.
 *
 * ADD of a VM already there is EEXIST, past the bound ENOMEM; DEL of a
 * VM not there is ENOENT; argsz below the struct is EINVAL, bytes past
 * it must be zero (E2BIG), an unknown op or flag is EINVAL. A kernel has
 * no such command and answers ENOTTY.
 */
#ifndef IOASIDD_PROTO_IOASIDD_KVM_H
#define IOASIDD_PROTO_IOASIDD_KVM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * The KVM range of the daemon's own numbers, 0xf0 to 0xf7: below the
 * region (0xfa, 0xfb) and mmap (0xfc) commands of ioasidd.h.
 */
#define IOASIDD_CMD_KVM_FILE	0xf0

#define IOASIDD_KVM_FILE_ADD	1
#define IOASIDD_KVM_FILE_DEL	2

#define IOASIDD_KVM_VMS_MAX	4

struct ioasidd_kvm_file {
	__u32	argsz;
	__u32	op;			/* IOASIDD_KVM_FILE_ADD or _DEL */
	__u32	flags;			/* none yet: must be 0 */
	__s32	pid;			/* the VM's process */
	__s32	kvm_fd;			/* its kvm-vfio descriptor */
	__u32	__reserved;
	__aligned_u64 vm_id;		/* the VM's number in pid */
};

#define IOASIDD_KVM_FILE	_IO(';', IOASIDD_CMD_KVM_FILE)

#endif /* IOASIDD_PROTO_IOASIDD_KVM_H */
