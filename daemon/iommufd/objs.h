/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The object kinds of a context: the embedding struct of every kind, and
 * the ops each kind's file defines for the kind table (core/ctx.c).
 *
 * Everything else of a kind (destroy, describe, its ioctls) is in its own
 * file. The structs are here, together, because kinds hold one another
 * (a HWPT holds its IOAS, a vIOMMU its parent HWPT) and look into what
 * they hold, and because the unit tests build objects of every kind.
 *
 * Each struct embeds struct obj first, so a struct obj pointer of the right
 * type converts with container_of(). Only the fields the front halves of
 * the ioctls need today are here; the kinds grow with the later work that
 * gives them devices, page tables and event queues. The IOAS is defined
 * with its io page table (ioas.h).
 */
#ifndef IOASIDD_OBJS_H
#define IOASIDD_OBJS_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/util.h"

/* A device bound to the context (VFIO cdev bind, selftest mock domain). */
struct device {
	struct obj	 obj;
};

/* IOMMU_HWPT_ALLOC flags recorded on a paging HWPT. */
#define HWPT_F_NEST_PARENT	0x1
#define HWPT_F_DIRTY		0x2
#define HWPT_F_AUTO		0x4	/* made by an attach to an IOAS */

/* A paging HWPT: holds its IOAS (users reference). */
struct hwpt_paging {
	struct obj	 obj;
	struct obj	*ioas;
	unsigned int	 flags;			/* HWPT_F_* */
	int		 enforce_cc;		/* DMA is cache coherent */
	uint64_t	 pgsize_bitmap;		/* the domain's page sizes */
	struct dirty	*dirty;			/* HWPT_F_DIRTY: owned */
};

/*
 * Give a paging HWPT whose ioas and pgsize_bitmap are set a dirty store
 * (and HWPT_F_DIRTY), its IOPTEs read from the IOAS's areas: 0, -EINVAL
 * without page sizes, -ENOMEM. The HWPT's destroy frees it; the domain
 * clears a range of it as the range is unmapped.
 */
int	hwpt_paging_dirty_init(struct hwpt_paging *);

/* A nested HWPT: holds its parent HWPT_PAGING or its vIOMMU. */
struct hwpt_nested {
	struct obj	 obj;
	struct obj	*parent;
};

/* A fault queue: an fd of page requests, held while the fd is open. */
struct fault {
	struct obj	 obj;
};

/* A vIOMMU: holds its nesting parent HWPT_PAGING. */
struct viommu {
	struct obj	 obj;
	struct obj	*parent;
};

/* A vDEVICE: holds its vIOMMU. */
struct vdevice {
	struct obj	 obj;
	struct obj	*viommu;
};

/* A vIOMMU event queue: holds its vIOMMU. */
struct veventq {
	struct obj	 obj;
	struct obj	*viommu;
};

/* A guest-owned hardware queue: holds its vIOMMU. */
struct hw_queue {
	struct obj	 obj;
	struct obj	*viommu;
};

/* An in-process DMA user of an IOAS (selftest CREATE_ACCESS). */
struct access {
	struct obj	 obj;
	struct obj	*ioas;
};

/* The selftest's mock device ("stdev"), owner of its DEVICE. */
struct selftest {
	struct obj	 obj;
};

/*
 * The ops of every kind, one in each kind's file (ioas.c, hwpt.c for both
 * HWPT kinds, device.c, fault.c, viommu.c, vdevice.c, veventq.c,
 * hw_queue.c, access.c, selftest.c), for the kind table in core/ctx.c.
 */
extern const struct obj_ops	ioas_ops;
extern const struct obj_ops	device_ops;
extern const struct obj_ops	hwpt_paging_ops;
extern const struct obj_ops	hwpt_nested_ops;
extern const struct obj_ops	fault_ops;
extern const struct obj_ops	viommu_ops;
extern const struct obj_ops	vdevice_ops;
extern const struct obj_ops	veventq_ops;
extern const struct obj_ops	hw_queue_ops;
extern const struct obj_ops	access_ops;
extern const struct obj_ops	selftest_ops;

/*
 * The io page table of an IOAS object, for the selftest's ADD_RESERVED,
 * the VFIO compat commands and the tests.
 */
struct iopt;
struct iopt	*ioas_iopt(struct obj *);

/*
 * IOMMU_VFIO_IOAS: forget the compat IOAS if it is this one. The IOAS
 * destroy path calls it, since the compat setting holds no reference.
 */
void	vfio_compat_ioas_destroyed(struct ctx *, uint32_t id);

#endif /* IOASIDD_OBJS_H */
