/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The ENQCMD PASID translation table: one of the daemon's extensions
 * after the 2021 /dev/ioasid proposal, which upstream never merged, in
 * the range of proto/ioasidd_coherency.h (IOASIDD_EXT_FIRST to
 * IOASIDD_EXT_LAST on the iommufd's ';' type). A kernel answers ENOTTY.
 *
 * A device configured with pasid-policy = global (ioasidd.conf(5)) never
 * puts the caller's PASID (the vPASID) on the wire: the daemon hands out
 * a host-unique pPASID from one allocator for all its callers, no wider
 * than the device and its IOMMU take, and keeps the translation. Within
 * a context a vPASID has one pPASID whichever of its global devices
 * attach it, so the context has one table vPASID -> pPASID: the one KVM
 * would program for the VM so that a guest's ENQCMD carries the right
 * PASID. The caller keeps using vPASIDs in every other command. The row
 * goes when the last attachment of the vPASID goes (detach, unbind,
 * close). A device with pasid-policy = per-rid (the default, as
 * upstream) has vPASID = pPASID and no rows here.
 *
 * IOASIDD_PASIDS reads the table as IOMMU_IOAS_IOVA_RANGES reads
 * ranges: flags and __reserved must be 0 (EOPNOTSUPP otherwise); up to
 * num_entries rows in vPASID order are written to entries; num_entries
 * comes back as the number of rows, and the answer is EMSGSIZE when
 * they did not all fit.
 */
#ifndef IOASIDD_PROTO_IOASIDD_PASID_H
#define IOASIDD_PROTO_IOASIDD_PASID_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include "ioasidd_coherency.h"

#define IOASIDD_CMD_PASIDS		0xe9

struct ioasidd_pasid_entry {
	__u32	vpasid;			/* the caller's PASID */
	__u32	ppasid;			/* the one on the wire */
	__u32	users;			/* device attachments holding it */
	__u32	__reserved;
};

struct ioasidd_pasids {
	__u32	size;
	__u32	flags;			/* none yet: must be 0 */
	__u32	num_entries;		/* in: room; out: rows */
	__u32	__reserved;		/* must be 0 */
	__aligned_u64 entries;		/* struct ioasidd_pasid_entry[] */
};

#define IOASIDD_PASIDS	_IO(';', IOASIDD_CMD_PASIDS)

#endif /* IOASIDD_PROTO_IOASIDD_PASID_H */
