/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The object kinds of a context, as ctx.c's obj_ops[] table needs them:
 * the embedding struct of every kind this part of the core defines, and
 * the destroy function of every kind.
 *
 * Each struct embeds struct obj first, so a struct obj pointer of the right
 * type converts with container_of(). Only the fields the front halves of
 * the ioctls need today are here; the kinds grow with the later work that
 * gives them devices, page tables and event queues. The IOAS is defined by
 * the io page table code (ioas.h).
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
};

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
 * Destroy functions, one per kind (see struct obj_ops). The IOAS one is
 * the io page table code's; the rest drop the holds listed above.
 */
void	ioas_destroy(struct obj *);
void	device_destroy(struct obj *);
void	hwpt_paging_destroy(struct obj *);
void	hwpt_nested_destroy(struct obj *);
void	fault_destroy(struct obj *);
void	viommu_destroy(struct obj *);
void	vdevice_destroy(struct obj *);
void	veventq_destroy(struct obj *);
void	hw_queue_destroy(struct obj *);
void	access_destroy(struct obj *);
void	selftest_destroy(struct obj *);

/*
 * What the IOAS code (ioas.c, whose struct ioas is private) provides to
 * the rest of the core: its size, for obj_ops[], and its io page table,
 * for the selftest's ADD_RESERVED and the VFIO compat commands.
 */
struct iopt;
extern const size_t ioas_obj_size;
struct iopt	*ioas_iopt(struct obj *);

/*
 * IOMMU_VFIO_IOAS: forget the compat IOAS if it is this one. The IOAS
 * destroy path calls it, since the compat setting holds no reference.
 */
void	vfio_compat_ioas_destroyed(struct ctx *, uint32_t id);

#endif /* IOASIDD_OBJS_H */
