/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The device side of a fault queue: how a device (the selftest's
 * TRIGGER_IOPF, a hardware model) reports a page request group, and learns
 * the answer the caller wrote for it.
 */
#ifndef IOASIDD_FAULT_H
#define IOASIDD_FAULT_H

#include <stdint.h>

struct fault;
struct iommu_hwpt_pgfault;

/*
 * Called once per group with the caller's code (IOMMUFD_PAGE_RESP_*), or
 * INVALID when the group is answered for the caller: its descriptor
 * closed, the object went, or the device asked with fault_cancel_dev().
 */
typedef void	fault_respond_fn(void *arg, uint32_t dev_id, uint32_t grpid,
		    uint32_t code);

/* At most this many groups wait in one queue, sent or not. */
#define FAULT_MAX_GROUPS	4096

/*
 * Queue a group of n records (1 to FAULT_MAX_RECORDS, the last with
 * IOMMU_PGFAULT_FLAGS_LAST_PAGE; cookies are the queue's to set) and send
 * what the caller's descriptor takes: 0, -EINVAL, -ENOSPC when the queue
 * is full, -EPIPE when the caller's descriptor is closed, -ENOMEM.
 */
#define FAULT_MAX_RECORDS	64
int	fault_report(struct fault *, const struct iommu_hwpt_pgfault *,
	    unsigned int n, fault_respond_fn *, void *arg);
/*
 * The same, for a group that came through one attachment of its device:
 * the RID's (FAULT_ATTACH_RID) or a PASID's, which may differ from the
 * records' PASID (a PASID fault taken by the RID's nested domain).
 * fault_report() files a group under the records' own PASID.
 */
#define FAULT_ATTACH_RID	0
int	fault_report_attach(struct fault *, uint32_t attach,
	    const struct iommu_hwpt_pgfault *, unsigned int n,
	    fault_respond_fn *, void *arg);
/* Answer INVALID for every group of dev_id (detach, replace, destroy). */
void	fault_cancel_dev(struct fault *, uint32_t dev_id);
/* Only those of dev_id that came through one attachment. */
void	fault_cancel_attach(struct fault *, uint32_t dev_id, uint32_t attach);

#endif /* IOASIDD_FAULT_H */
