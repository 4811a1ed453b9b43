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

#include <bsd/sys/queue.h>
#include <bsd/sys/tree.h>

#include "core/ctx.h"
#include "core/util.h"
#include "hw/hw.h"
#include "iommufd/device.h"
#include "iommufd/domain.h"
#include "iommufd/iopt.h"

/* A PASID of a device attached to a HWPT (device.c). */
struct device_pasid;
struct ioas;
RB_HEAD(device_pasid_tree, device_pasid);

/*
 * A device bound to the context (VFIO cdev bind, selftest mock domain):
 * its emulated device, and the HWPTs its RID and PASIDs are attached to,
 * each held (users reference) while attached.
 */
struct device {
	struct obj			 obj;
	struct edev			*edev;		/* NULL once unbound */
	struct obj			*hwpt;		/* RID's, or NULL */
	struct device_pasid_tree	 pasids;
	unsigned int			 npasids;
	struct obj			*vdevice;	/* or NULL; no hold */
	struct ioas			*resv_ioas;	/* device.c scratch */
	uint64_t			 dma_ops;	/* device_dma_rw() */
	uint64_t			 dma_bytes;
	uint64_t			 dma_errors;
	unsigned int			 cc_state;	/* DEVICE_CC_* */
};

/* IOMMU_HWPT_ALLOC flags recorded on a paging HWPT. */
#define HWPT_F_NEST_PARENT	0x1
#define HWPT_F_DIRTY		0x2
#define HWPT_F_AUTO		0x4	/* made by an attach to an IOAS */

/*
 * A paging HWPT: holds its IOAS (users reference) and is a pinner of its
 * io page table through its domain. Auto domains are on their IOAS's
 * list (struct ioas.auto_hwpts), oldest first, for attach to find.
 */
struct hwpt_paging {
	struct obj			 obj;
	struct obj			*ioas;
	unsigned int			 flags;		/* HWPT_F_* */
	int				 enforce_cc;	/* DMA is coherent */
	uint64_t			 pgsize_bitmap;	/* domain's pages */
	struct domain			 domain;
	TAILQ_ENTRY(hwpt_paging)	 auto_entry;	/* HWPT_F_AUTO */
	unsigned int			 ndevs;		/* attachments */
	struct obj			*fault;		/* held, or NULL */
	struct dirty			*dirty;		/* HWPT_F_DIRTY: owned */
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
	struct obj			 obj;
	struct obj			*parent;
	const struct hw_instance	*hw;
	unsigned int			 flags;		/* HW_DOMAIN_PASID */
	struct hw_nested		 nested;
	unsigned int			 ndevs;
	struct obj			*fault;		/* held, or NULL */
};

/*
 * A fault queue: page request groups on their way to the caller's
 * descriptor (hfd), which holds the object while it is open. The groups
 * and their rules are fault.c's.
 */
struct fault_group;
#define FAULT_COOKIE_WORDS	65	/* a bit per cookie 0..4159 */
struct fault {
	struct obj			 obj;
	struct hfd			*hfd;
	int				 queues;	/* the heads are set */
	TAILQ_HEAD(, fault_group)	 pending;	/* not yet sent */
	TAILQ_HEAD(, fault_group)	 sent;		/* awaiting answers */
	unsigned int			 npending;
	unsigned int			 nsent;
	uint64_t			 cookies[FAULT_COOKIE_WORDS]; /* held */
};

struct vdevice;

/*
 * A vIOMMU: holds its nesting parent HWPT_PAGING; lists its vDEVICEs
 * (which hold it) for virt_id lookups, and its event queues (each holds
 * the vIOMMU).
 */
struct viommu {
	struct obj			 obj;
	struct obj			*parent;
	const struct hw_instance	*hw;
	uint32_t			 type;
	LIST_HEAD(, vdevice)		 vdevices;
	LIST_HEAD(, veventq)		 veventqs;
	LIST_HEAD(, hw_queue)		 hw_queues;	/* no holds */
	/*
	 * The region the model offers for mmap() on the context's
	 * descriptor (viommu.c): a memory file of the daemon's, and the
	 * processes it was handed to, whose mappings keep DESTROY EBUSY.
	 */
	int				 has_mmap;
	int				 mmap_fd;
	uint64_t			 mmap_offset;
	uint64_t			 mmap_length;
	uint64_t			 mmap_dev, mmap_ino;
#define VIOMMU_MAPPERS	8
	int32_t				 mappers[VIOMMU_MAPPERS];
	unsigned int			 nmappers;
};

/*
 * A vDEVICE: holds its vIOMMU; names a bound device (no hold: the
 * device's unbind turns the vDEVICE into a tombstone first).
 */
struct vdevice {
	struct obj			 obj;
	struct obj			*viommu;
	struct device			*dev;
	uint64_t			 virt_id;
	LIST_ENTRY(vdevice)		 entry;
};

/*
 * A vIOMMU event queue: holds its vIOMMU, is on its vIOMMU's list, and
 * has a descriptor (hfd) that holds it while open. The events and their
 * rules (depth, sequence numbers, the lost-events marker) are veventq.c's.
 */
struct vevent;
struct veventq {
	struct obj			 obj;
	struct obj			*viommu;
	struct hfd			*hfd;
	LIST_ENTRY(veventq)		 viommu_entry;	/* if on_viommu */
	int				 on_viommu;
	uint32_t			 type;
	int				 queues;	/* the heads are set */
	TAILQ_HEAD(, vevent)		 events;	/* not yet sent */
	TAILQ_HEAD(vevent_list, vevent)	 sent;		/* maybe unread */
	uint32_t			 depth;
	uint32_t			 nevents;	/* events in events */
	uint32_t			 nsent;		/* events in sent */
	uint64_t			 sent_bytes;	/* their skbs */
	uint32_t			 sequence;	/* the next one */
	int				 lost;		/* marker at the tail */
	uint32_t			 lost_seq;
};

/*
 * A guest-owned hardware queue: holds its vIOMMU, and the queue before it
 * when the model orders them; is on its vIOMMU's list; pins the memory
 * under its range of the parent IOAS and locks it against unmap through
 * its pinner (hw_queue.c).
 */
struct pages;
struct hw_queue {
	struct obj			 obj;
	struct obj			*viommu;
	struct obj			*prev;		/* held, or NULL */
	struct iopt			*iopt;		/* pinner's, or NULL */
	struct iopt_pinner		 pinner;
	LIST_ENTRY(hw_queue)		 viommu_entry;	/* if on_viommu */
	int				 on_viommu;
	uint32_t			 index;
	uint64_t			 base;		/* page aligned */
	uint64_t			 length;	/* whole pages */
	size_t				 npages;
	struct pages			**pages;	/* held and pinned */
};

/*
 * An in-process DMA user of an IOAS (selftest CREATE_ACCESS): holds its
 * IOAS and is on its pinner list; its descriptor (hfd) holds it, and
 * closing the descriptor destroys it. items are its ACCESS_PAGES pins
 * (access.c).
 */
struct access_item;
struct hfd;
struct access {
	struct obj			 obj;
	struct obj			*ioas;
	struct iopt_pinner		 pinner;
	struct hfd			*hfd;
	unsigned int			 flags;	/* create_access.flags */
	uint32_t			 next_item;
	LIST_HEAD(, access_item)	 items;
};

/*
 * The selftest's mock device ("stdev"): an emulated device of its own,
 * bound to the context for as long as the object exists.
 */
struct selftest {
	struct obj	 obj;
	struct edev	 edev;
};

/*
 * A dma-buf of the selftest's exporter (dmabuf.c): its memory, which
 * every mapping of it holds too, and its descriptor (hfd), which holds
 * the object while the caller has it open.
 */
struct dmabuf_mem;
struct dmabuf {
	struct obj		 obj;
	struct dmabuf_mem	*mem;		/* held */
	struct hfd		*hfd;
};

/*
 * The ops of every kind, one in each kind's file (ioas.c, hwpt.c for both
 * HWPT kinds, device.c, fault.c, viommu.c, vdevice.c, veventq.c,
 * hw_queue.c, access.c, selftest.c, dmabuf.c), for the kind table in
 * core/ctx.c.
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
extern const struct obj_ops	dmabuf_ops;

/*
 * The vDEVICE of a vIOMMU with this virt_id, or NULL (vdevice.c). A
 * vIOMMU has few; the list is walked.
 */
struct vdevice	*vdevice_find(struct viommu *, uint64_t virt_id);

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
