/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The KVM view of coherency: one of the daemon's extensions after the
 * 2021 /dev/ioasid proposal, which upstream never merged. Such
 * extensions have numbers IOASIDD_EXT_FIRST to IOASIDD_EXT_LAST on the
 * iommufd's ';' type, above the kernel's commands (0x80 up) and its
 * selftest's (0xa0), below the kvm-vfio range (0xf0 to 0xf7,
 * proto/ioasidd_kvm.h) and the daemon's transport commands (0xfa up,
 * proto/ioasidd.h). A kernel has none of them and answers ENOTTY.
 *
 * What a kvm-vfio device would compute for a VM holding the context's
 * devices: a device counts as non-coherent when the IOMMU it sits behind
 * cannot block no-snoop DMA (no snoop control, the kernel's
 * IOMMU_CAP_ENFORCE_CACHE_COHERENCY), whatever the domain it is attached
 * to; with one or more such devices the VM must emulate WBINVD
 * (kvm_arch_register_noncoherent_dma), and when the last one goes it
 * need not any more. The daemon keeps the answer on every attach,
 * replace and detach of a device's RID or PASID in the context.
 *
 * IOASIDD_COHERENCY reads it; flags must be 0 (EOPNOTSUPP otherwise).
 * out_flags: IOASIDD_COHERENCY_WBINVD when
 * the VM must emulate WBINVD (out_noncoherent is not 0),
 * IOASIDD_COHERENCY_NOSNOOP when a device can really issue DMA that
 * bypasses the CPU caches (out_nosnoop is not 0: a device with the
 * no-snoop capability on a domain that does not enforce coherency).
 * out_changes counts the times the WBINVD answer changed in the
 * context's life, so a caller sees that it was on even if it is off now.
 */
#ifndef IOASIDD_PROTO_IOASIDD_COHERENCY_H
#define IOASIDD_PROTO_IOASIDD_COHERENCY_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The numbers of the proposal's extensions. */
#define IOASIDD_EXT_FIRST		0xe0
#define IOASIDD_EXT_LAST		0xef

#define IOASIDD_CMD_COHERENCY		0xe8

#define IOASIDD_COHERENCY_WBINVD	0x1
#define IOASIDD_COHERENCY_NOSNOOP	0x2

struct ioasidd_coherency {
	__u32	size;
	__u32	flags;			/* none yet: must be 0 */
	__u32	out_flags;		/* IOASIDD_COHERENCY_* */
	__u32	out_attached;		/* devices attached */
	__u32	out_noncoherent;	/* of them behind no snoop control */
	__u32	out_nosnoop;		/* of them with no-snoop DMA going */
	__aligned_u64 out_changes;	/* times the WBINVD answer changed */
};

#define IOASIDD_COHERENCY	_IO(';', IOASIDD_CMD_COHERENCY)

#endif /* IOASIDD_PROTO_IOASIDD_COHERENCY_H */
