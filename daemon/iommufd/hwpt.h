/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * What device.c asks of the HWPT kinds: making a paging HWPT (auto
 * domains and HWPT_ALLOC share it), whether a device may attach to a
 * HWPT, and the hold an attachment takes. A HWPT here is a struct obj of
 * type OBJ_HWPT_PAGING or OBJ_HWPT_NESTED.
 */
#ifndef IOASIDD_HWPT_H
#define IOASIDD_HWPT_H

#include <stdint.h>

#include "hw/hw.h"

struct ctx;
struct hwpt_paging;
struct ioas;
struct obj;

/*
 * A new live paging HWPT of ioas for a device of dev's instance: the
 * model allocates the domain (flags HW_DOMAIN_*, data or NULL), which is
 * then added to the IOAS (domain_add()). auto_domain puts it on the
 * IOAS's auto list. Returns 0 or -errno, with nothing left on failure.
 */
int	hwpt_paging_new(struct ctx *, const struct hw_dev_desc *,
	    struct ioas *, unsigned int flags, const struct hw_data *,
	    int auto_domain, struct hwpt_paging **);

/* Whether a device may attach to the HWPT: 0 or -EINVAL. */
int	hwpt_attach_check(struct obj *, const struct hw_dev_desc *);
/* Whether the HWPT was allocated for PASID use. */
int	hwpt_pasid_compat(struct obj *);
/*
 * The IOAS whose memory the HWPT translates to: a paging HWPT's, or its
 * stage 2's for a nested one (through the vIOMMU); NULL if none.
 */
struct ioas *hwpt_ioas(struct obj *);
/*
 * Whether DMA through the HWPT is kept cache coherent: a paging HWPT's
 * enforce_cc, a nested one's stage 2's (a nested domain snoops as its
 * parent does).
 */
int	hwpt_enforce_cc(struct obj *);
/* The vIOMMU a nested HWPT was made on, or NULL. */
struct obj *hwpt_viommu(struct obj *);
/* The fault queue a HWPT was made with (FAULT_ID_VALID), or NULL. */
struct fault;
struct fault *hwpt_fault(struct obj *);
/* Whether the HWPT is an auto domain of this IOAS. */
int	hwpt_is_auto_of(struct obj *, struct ioas *);
/*
 * An attachment's hold, and its release: an auto domain losing its last
 * attachment is destroyed.
 */
void	hwpt_attach_hold(struct obj *);
void	hwpt_attach_drop(struct obj *);

#endif /* IOASIDD_HWPT_H */
