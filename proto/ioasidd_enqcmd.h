/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The ENQCMD PASID translation table of a VM: one of the daemon's
 * extensions after the 2021 /dev/ioasid proposal, which upstream never
 * merged, in the range of proto/ioasidd_coherency.h (IOASIDD_EXT_FIRST
 * to IOASIDD_EXT_LAST on the iommufd's ';' type). A kernel answers
 * ENOTTY.
 *
 * A guest's ENQCMD puts a PASID on the wire that the CPU takes from a
 * table KVM programs for the whole VM: vPASID -> pPASID. The rows are
 * those of the devices with pasid-policy = global (ioasidd.conf(5),
 * proto/ioasidd_pasid.h) that the VM holds: a device belongs to the VMs
 * that added its VFIO open to their kvm-vfio device (IOASIDD_KVM_FILE,
 * proto/ioasidd_kvm.h), whatever context it is bound to; the devices of
 * a context that no VM holds form a group of their own. The table is
 * read from the live attachments, so it follows every PASID attach,
 * replace, detach, unbind and close at once.
 *
 * IOASIDD_ENQCMD asks for the group of dev_id, a DEVICE of the caller's
 * context (ENOENT otherwise): the first VM that added its open, or, with
 * none, the context's devices that no VM holds. flags must be 0
 * (EOPNOTSUPP otherwise). out_pid and out_vm_id name the
 * VM (the process and the library's number for it; both 0 for a group
 * without a VM), out_devices counts the devices of the group. Up to
 * num_entries rows, ordered by vPASID and then pPASID, are written to
 * entries; num_entries comes back as the number of rows, and the answer
 * is EMSGSIZE when they did not all fit (as IOMMU_IOAS_IOVA_RANGES).
 * users counts the device attachments in the group holding the row.
 * Devices of two contexts in one VM can give one vPASID two pPASIDs,
 * which no single table can hold: both rows are there, each with
 * IOASIDD_ENQCMD_CONFLICT.
 */
#ifndef IOASIDD_PROTO_IOASIDD_ENQCMD_H
#define IOASIDD_PROTO_IOASIDD_ENQCMD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include "ioasidd_coherency.h"

#define IOASIDD_CMD_ENQCMD		0xea

/* struct ioasidd_enqcmd_entry.flags */
#define IOASIDD_ENQCMD_CONFLICT		0x1	/* vPASID has two pPASIDs */

struct ioasidd_enqcmd_entry {
	__u32	vpasid;			/* the guest's PASID */
	__u32	ppasid;			/* the one on the wire */
	__u32	users;			/* device attachments holding it */
	__u32	flags;			/* IOASIDD_ENQCMD_* */
};

struct ioasidd_enqcmd {
	__u32	size;
	__u32	flags;			/* none yet: must be 0 */
	__u32	dev_id;			/* a DEVICE: its group */
	__u32	num_entries;		/* in: room; out: rows */
	__s32	out_pid;		/* the VM's process; 0: no VM */
	__u32	out_devices;		/* devices in the group */
	__aligned_u64 out_vm_id;	/* the VM's number in out_pid */
	__aligned_u64 entries;		/* struct ioasidd_enqcmd_entry[] */
};

#define IOASIDD_ENQCMD	_IO(';', IOASIDD_CMD_ENQCMD)

#endif /* IOASIDD_PROTO_IOASIDD_ENQCMD_H */
