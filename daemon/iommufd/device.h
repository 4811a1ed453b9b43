/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Devices, from the side of whoever owns them: the VFIO cdev nodes and
 * the selftest's mock devices bind emulated devices to a context and
 * attach them to page tables through this API; the DEVICE object kind
 * (struct device in objs.h) is what such a binding makes in the context.
 *
 * An emulated device (struct edev) is configuration: a name, its PCI
 * RID, the IOMMU instance behind it and what it can do. It outlives
 * contexts and is bound to at most one at a time. A bound device object
 * belongs to its context; the binder holds it (users 2, so DESTROY is
 * EBUSY) until it unbinds. A binder outside the context (a device node)
 * holds the context too (ctx_hold()) and unbinds before dropping it, so
 * the context's teardown finds the device a leaf; a binder inside it
 * (the selftest's stdev) unbinds from its own destroy op. If a context is
 * freed regardless (the daemon's exit), the device is still unbound: its
 * edev's bound pointer is cleared.
 *
 * Attach, replace and detach follow the kernel's rules and errnos (spec
 * 4.2) and change nothing when they fail. pasid DEVICE_NO_PASID names the
 * device's RID attachment.
 */
#ifndef IOASIDD_DEVICE_H
#define IOASIDD_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "hw/hw.h"
#include "iommufd/fault.h"

struct ctx;
struct device;
struct obj;

/* The kernel's IOMMU_NO_PASID: the RID, not a PASID. */
#define DEVICE_NO_PASID		0

struct edev {
	char			 name[64];
	struct hw_dev_desc	 desc;		/* instance, RID, PASID... */
	struct hw_dev_cache	 cache;		/* model's device cache */
	unsigned int		 pasid_policy;	/* CONF_PASID_* (conf.h) */
	struct device		*bound;		/* or NULL */
};

/* Fill an emulated device; pasid_width 0 means no PASID support. */
void	device_edev_init(struct edev *, const char *name,
	    const struct hw_instance *, uint32_t rid, unsigned int pasid_width,
	    unsigned int flags);

/*
 * Bind edev to ctx: a new live DEVICE object held by the caller, its id
 * in *out_dev_id. -EBUSY if edev is bound (to any context), -ENOMEM,
 * -ENOSPC (no ids left).
 */
int	device_bind(struct ctx *, struct edev *, struct device **,
	    uint32_t *out_dev_id);
/* Detach everything, then drop the device object. */
void	device_unbind(struct device *);

/*
 * Attach the RID or a PASID to *pt_id: an IOAS (RID only: an auto domain
 * of that IOAS, reused or new, whose id is written back), a paging HWPT
 * or a nested HWPT. -ENOENT for no such object, -EINVAL for a wrong kind,
 * an incompatible domain, a RID already attached, a PASID not allowed;
 * -EBUSY for a PASID already attached; -EFAULT, -ENOMEM from pinning.
 */
int	device_attach(struct device *, uint32_t pasid, uint32_t *pt_id);
/*
 * Move an attachment to *pt_id atomically: -EINVAL if not attached; the
 * old attachment stays on failure. The same HWPT is a no-op.
 */
int	device_replace(struct device *, uint32_t pasid, uint32_t *pt_id);
/*
 * Detach the RID (-EINVAL if not attached) or a PASID (0 even if not
 * attached). An auto domain losing its last device is destroyed.
 */
int	device_detach(struct device *, uint32_t pasid);

/*
 * The device raises a page request group of n records (fault.h): it goes
 * to the fault queue of the HWPT that takes the device's page requests
 * on the records' PASID (PASID_VALID) or RID, with dev_id set to the
 * device object's. 0 once queued; -ENODEV when no attached HWPT takes
 * it, or fault_report()'s errors. On failure respond is not called: the
 * device side answers the group itself.
 */
struct iommu_hwpt_pgfault;
int	device_report_fault(struct device *, const struct iommu_hwpt_pgfault *,
	    unsigned int n, fault_respond_fn *, void *arg);

/*
 * Emulated DMA by the device, on its RID (DEVICE_NO_PASID) or a PASID:
 * len bytes between buf and I/O address iova through what that is
 * attached to (to_memory: buf is written to memory). The whole range is
 * translated and checked before a byte moves: 0, or -ENODEV when
 * nothing is attached, -EFAULT when a byte is not mapped or not mapped
 * for that direction (or the range wraps, or the attachment is a nested
 * HWPT, whose stage 1 no model walks yet); then memory is as it was.
 * len 0 moves nothing and succeeds when something is attached. A write
 * to memory through a domain tracking dirty pages marks the IOPTEs it
 * wrote, as the selftest's DIRTY does; a read marks nothing. Counted in
 * the device's dma_* counters.
 */
int	device_dma_rw(struct device *, uint32_t pasid, uint64_t iova,
	    void *buf, size_t len, int to_memory);

/*
 * The PASID on the wire for the caller's pasid: itself under per-rid,
 * the host-unique one under global (iommufd/pasid.h); DEVICE_NO_PASID
 * for the RID or a PASID not attached.
 */
uint32_t device_ppasid(struct device *, uint32_t pasid);
/*
 * Call fn with the vPASID and pPASID of each PASID attachment of a
 * pasid-policy = global device, in vPASID order; a non-zero return
 * stops the walk and is returned.
 */
int	device_global_pasids(struct device *,
	    int (*fn)(void *, uint32_t vpasid, uint32_t ppasid), void *arg);
/* The id of the HWPT on the RID or a PASID, or 0. */
uint32_t device_attached_id(struct device *, uint32_t pasid);
/* The emulated device behind a bound device. */
struct edev *device_edev(struct device *);
/* The DEVICE object of a bound device, for its id and holds. */
struct obj *device_obj(struct device *);

#endif /* IOASIDD_DEVICE_H */
