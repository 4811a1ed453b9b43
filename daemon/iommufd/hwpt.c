/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * HW page tables: the paging HWPT (a domain over an IOAS) and the nested
 * HWPT (a guest stage 1 over a paging parent or a vIOMMU), their ops and
 * their four ioctls. The two kinds share this file because they share
 * every ioctl: HWPT_ALLOC makes either, and the others take either.
 *
 * A paging HWPT owns a domain (domain.h) over its IOAS from its creation
 * to its destruction; the hardware model of the device named at
 * allocation decides the domain's page sizes, aperture and flags, and
 * later whether other devices may attach (hwpt.h). A nested HWPT keeps
 * the model's state for its stage 1 (hw_nested). Devices hold the HWPT
 * they are attached to (device.c); an auto domain goes with its last
 * device. A domain allocated with DIRTY_TRACKING has a dirty store
 * (dirty.h), which the dirty-tracking commands read and set, and from
 * which the domain's unmaps clear their range.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/ctx.h"
#include "core/dispatch.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "hw/hw.h"
#include "iommufd/describe.h"
#include "iommufd/dirty.h"
#include "iommufd/domain.h"
#include "iommufd/hwpt.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"
#include "uapi.h"

#include <linux/iommufd.h>

#define HWPT_ALLOC_FLAGS						\
	(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |	\
	IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)

static void
hwpt_paging_destroy(struct obj *obj)
{
	struct hwpt_paging	*hwpt = container_of(obj, struct hwpt_paging,
				    obj);
	struct ioas		*ioas;

	if (hwpt->fault != NULL)
		obj_drop(hwpt->fault);
	if (hwpt->flags & HWPT_F_AUTO) {
		ioas = container_of(hwpt->ioas, struct ioas, obj);
		TAILQ_REMOVE(&ioas->auto_hwpts, hwpt, auto_entry);
	}
	domain_remove(&hwpt->domain);
	if (hwpt->ioas != NULL)
		obj_drop(hwpt->ioas);
	dirty_free(hwpt->dirty);
}

static void
hwpt_nested_destroy(struct obj *obj)
{
	struct hwpt_nested	*hwpt = container_of(obj, struct hwpt_nested,
				    obj);

	if (hwpt->fault != NULL)
		obj_drop(hwpt->fault);
	if (hwpt->parent != NULL)
		obj_drop(hwpt->parent);
}

/*
 * "ioas", "flags" (an array of names), "enforce_cc", "pgsize_bitmap", and
 * with a dirty store "dirty_tracking" (on or off) and "dirty_granules"
 * (how many are dirty).
 */
static json_t *
hwpt_paging_describe(struct obj *obj)
{
	struct hwpt_paging	*hwpt = container_of(obj, struct hwpt_paging,
				    obj);
	static const struct {
		unsigned int	 flag;
		const char	*name;
	} flags[] = {
		{ HWPT_F_NEST_PARENT, "nest_parent" },
		{ HWPT_F_DIRTY, "dirty_tracking" },
		{ HWPT_F_AUTO, "auto" },
	};
	json_t			*o, *f;
	size_t			 i;

	if ((o = describe_holder(hwpt->ioas, "ioas", 0)) == NULL)
		return (NULL);
	if ((f = json_array()) == NULL || describe_set(o, "flags", f) != 0)
		goto fail;
	for (i = 0; i < nitems(flags); i++) {
		if ((hwpt->flags & flags[i].flag) != 0 &&
		    json_array_append_new(f, json_string(flags[i].name)) != 0)
			goto fail;
	}
	if (describe_set(o, "enforce_cc", json_boolean(hwpt->enforce_cc)) ||
	    describe_set(o, "pgsize_bitmap",
	    describe_hex(hwpt->pgsize_bitmap)) != 0)
		goto fail;
	if (hwpt->dirty != NULL && (describe_set(o, "dirty_tracking",
	    json_boolean(hwpt->dirty->tracking)) != 0 ||
	    describe_set(o, "dirty_granules", json_integer((json_int_t)
	    dirty_total(hwpt->dirty))) != 0))
		goto fail;
	return (o);
fail:
	json_decref(o);
	return (NULL);
}

/* "parent" and "parent_kind". */
static json_t *
hwpt_nested_describe(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct hwpt_nested,
	    obj)->parent, "parent", 1));
}

const struct obj_ops hwpt_paging_ops = {
	.name = "hwpt_paging",
	.size = sizeof(struct hwpt_paging),
	.destroy = hwpt_paging_destroy,
	.describe = hwpt_paging_describe,
};

const struct obj_ops hwpt_nested_ops = {
	.name = "hwpt_nested",
	.size = sizeof(struct hwpt_nested),
	.destroy = hwpt_nested_destroy,
	.describe = hwpt_nested_describe,
};

static unsigned int
hwpt_hw_flags(uint32_t flags)
{
	unsigned int	 hw = 0;

	if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT)
		hw |= HW_DOMAIN_NEST_PARENT;
	if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		hw |= HW_DOMAIN_DIRTY;
	if (flags & IOMMU_HWPT_ALLOC_PASID)
		hw |= HW_DOMAIN_PASID;
	return (hw);
}

int
hwpt_paging_new(struct ctx *ctx, const struct hw_dev_desc *dev,
    struct ioas *ioas, unsigned int flags, const struct hw_data *data,
    int auto_domain, struct hwpt_paging **hwptp)
{
	struct hwpt_paging	*hwpt;
	struct hw_domain	 dom;
	struct obj		*obj;
	int			 rc;

	if (dev->hw->ops->domain_alloc_paging == NULL)
		return (-EOPNOTSUPP);
	if ((rc = dev->hw->ops->domain_alloc_paging(dev, flags, data,
	    &dom)) != 0)
		return (rc);
	/*
	 * An instance that can keep every DMA cache coherent (snoop
	 * control) does so for each domain it makes, before any mapping
	 * (what VFIO_DMA_CC_IOMMU reports); the kernel does this for a
	 * device whose IOMMU has IOMMU_CAP_ENFORCE_CACHE_COHERENCY.
	 */
	if (hw_snoop_control(dev->hw) &&
	    dev->hw->ops->enforce_cache_coherency != NULL &&
	    (rc = dev->hw->ops->enforce_cache_coherency(&dom)) != 0)
		return (rc);
	if ((rc = obj_alloc(ctx, OBJ_HWPT_PAGING, &obj)) != 0)
		return (rc);
	hwpt = container_of(obj, struct hwpt_paging, obj);
	hwpt->domain.hw = dev->hw;
	hwpt->domain.hw_dom = dom;
	if ((rc = domain_add(&hwpt->domain, ioas)) != 0) {
		obj_abort(obj);
		return (rc);
	}
	obj_hold(&ioas->obj);
	hwpt->ioas = &ioas->obj;
	hwpt->pgsize_bitmap = dom.pgsize_bitmap;
	hwpt->enforce_cc = dom.enforce_cc;
	if (flags & HW_DOMAIN_NEST_PARENT)
		hwpt->flags |= HWPT_F_NEST_PARENT;
	if ((flags & HW_DOMAIN_DIRTY) &&
	    (rc = hwpt_paging_dirty_init(hwpt)) != 0) {
		obj_abort(obj);
		return (rc);
	}
	if (auto_domain) {
		hwpt->flags |= HWPT_F_AUTO;
		TAILQ_INSERT_TAIL(&ioas->auto_hwpts, hwpt, auto_entry);
	}
	*hwptp = hwpt;
	return (0);
}

/*
 * Whether a paging domain made on instance hw can serve the device at
 * all: made on the device's own instance, or on another of a model that
 * shares domains among its units (attach_check then decides).
 */
static int
hwpt_same_iommu(const struct hw_instance *hw, const struct hw_dev_desc *dev)
{
	return (hw == dev->hw || (hw->ops == dev->hw->ops &&
	    hw->ops->share_domains));
}

int
hwpt_attach_check(struct obj *obj, const struct hw_dev_desc *dev)
{
	struct hwpt_paging	*p;
	struct hwpt_nested	*n;

	switch (obj->type) {
	case OBJ_HWPT_PAGING:
		p = container_of(obj, struct hwpt_paging, obj);
		/*
		 * An enforcing domain promises that no DMA through it
		 * bypasses the CPU caches: a device that can issue
		 * no-snoop DMA behind an IOMMU that cannot block it does
		 * not fit (EINVAL, as the VT-d driver answers for a unit
		 * without snoop control).
		 */
		if (p->enforce_cc && (dev->flags & HW_DEV_NO_SNOOP) &&
		    !hw_snoop_control(dev->hw))
			return (-EINVAL);
		if (!hwpt_same_iommu(p->domain.hw, dev))
			return (-EINVAL);
		/* Page requests need a device that can raise them. */
		if (p->fault != NULL && !(dev->flags & HW_DEV_IOPF))
			return (-EINVAL);
		if (dev->hw->ops->attach_check != NULL)
			return (dev->hw->ops->attach_check(dev,
			    &p->domain.hw_dom));
		return (0);
	case OBJ_HWPT_NESTED:
		n = container_of(obj, struct hwpt_nested, obj);
		if (n->hw != dev->hw)
			return (-EINVAL);
		if (n->fault != NULL && !(dev->flags & HW_DEV_IOPF))
			return (-EINVAL);
		return (0);
	default:
		return (-EINVAL);
	}
}

int
hwpt_pasid_compat(struct obj *obj)
{
	switch (obj->type) {
	case OBJ_HWPT_PAGING:
		return ((container_of(obj, struct hwpt_paging,
		    obj)->domain.hw_dom.flags & HW_DOMAIN_PASID) != 0);
	case OBJ_HWPT_NESTED:
		return ((container_of(obj, struct hwpt_nested,
		    obj)->flags & HW_DOMAIN_PASID) != 0);
	default:
		return (0);
	}
}

struct ioas *
hwpt_ioas(struct obj *obj)
{
	struct hwpt_nested	*n;
	struct hwpt_paging	*p;
	struct obj		*parent;

	if (obj->type == OBJ_HWPT_NESTED) {
		n = container_of(obj, struct hwpt_nested, obj);
		if ((parent = n->parent) == NULL)
			return (NULL);
		if (parent->type == OBJ_VIOMMU)
			parent = container_of(parent, struct viommu,
			    obj)->parent;
		if (parent == NULL || parent->type != OBJ_HWPT_PAGING)
			return (NULL);
		obj = parent;
	}
	if (obj->type != OBJ_HWPT_PAGING)
		return (NULL);
	p = container_of(obj, struct hwpt_paging, obj);
	return (p->ioas != NULL ? container_of(p->ioas, struct ioas, obj) :
	    NULL);
}

int
hwpt_enforce_cc(struct obj *obj)
{
	struct hwpt_nested	*n;
	struct obj		*parent;

	if (obj->type == OBJ_HWPT_NESTED) {
		n = container_of(obj, struct hwpt_nested, obj);
		if ((parent = n->parent) != NULL && parent->type == OBJ_VIOMMU)
			parent = container_of(parent, struct viommu,
			    obj)->parent;
		if (parent == NULL || parent->type != OBJ_HWPT_PAGING)
			return (0);
		obj = parent;
	}
	if (obj->type != OBJ_HWPT_PAGING)
		return (0);
	return (container_of(obj, struct hwpt_paging, obj)->enforce_cc != 0);
}

struct obj *
hwpt_viommu(struct obj *obj)
{
	struct hwpt_nested	*n;

	if (obj->type != OBJ_HWPT_NESTED)
		return (NULL);
	n = container_of(obj, struct hwpt_nested, obj);
	if (n->parent == NULL || n->parent->type != OBJ_VIOMMU)
		return (NULL);
	return (n->parent);
}

struct fault *
hwpt_fault(struct obj *obj)
{
	struct obj	*f = NULL;

	if (obj->type == OBJ_HWPT_PAGING)
		f = container_of(obj, struct hwpt_paging, obj)->fault;
	else if (obj->type == OBJ_HWPT_NESTED)
		f = container_of(obj, struct hwpt_nested, obj)->fault;
	return (f != NULL ? container_of(f, struct fault, obj) : NULL);
}

int
hwpt_is_auto_of(struct obj *obj, struct ioas *ioas)
{
	struct hwpt_paging	*p;

	if (obj->type != OBJ_HWPT_PAGING)
		return (0);
	p = container_of(obj, struct hwpt_paging, obj);
	return ((p->flags & HWPT_F_AUTO) != 0 && p->ioas == &ioas->obj);
}

static unsigned int *
hwpt_ndevs(struct obj *obj)
{
	if (obj->type == OBJ_HWPT_PAGING)
		return (&container_of(obj, struct hwpt_paging, obj)->ndevs);
	return (&container_of(obj, struct hwpt_nested, obj)->ndevs);
}

void
hwpt_attach_hold(struct obj *obj)
{
	obj_hold(obj);
	(*hwpt_ndevs(obj))++;
}

/*
 * An auto domain is held by its attachments alone; the last one leaving
 * destroys it (users 2: the table's and this attachment's). Anything else
 * holding it keeps it alive.
 */
void
hwpt_attach_drop(struct obj *obj)
{
	(*hwpt_ndevs(obj))--;
	if (obj->type == OBJ_HWPT_PAGING && obj->state == OBJ_LIVE &&
	    (container_of(obj, struct hwpt_paging, obj)->flags &
	    HWPT_F_AUTO) != 0 && *hwpt_ndevs(obj) == 0 && obj->users == 2)
		obj_destroy_held(obj);
	else
		obj_drop(obj);
}

/* The largest driver data any model reads. */
#define HWPT_DATA_MAX	64

/* IOMMU_HWPT_ALLOC (spec 4.1). */
int
hwpt_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_hwpt_alloc	*cmd = ucmd->cmd_buf;
	struct obj		*dev, *pt, *fault = NULL;
	struct device		*d;
	struct hwpt_paging	*hwpt;
	struct hwpt_nested	*nested;
	struct obj		*obj;
	struct hw_data		 data;
	uint8_t			 buf[HWPT_DATA_MAX];
	const struct hw_dev_desc *desc;
	int			 rc;

	if (cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE) != (cmd->data_len == 0))
		return (-EINVAL);
	if ((rc = obj_get(ucmd->ctx, cmd->dev_id, OBJ_DEVICE, &dev)) != 0)
		return (rc);
	/* pt_id is looked up with any type: a wrong one is EINVAL. */
	pt = obj_find(ucmd->ctx, cmd->pt_id, OBJ_ANY);
	if (pt == NULL)
		return (-EINVAL);
	switch (pt->type) {
	case OBJ_IOAS:
	case OBJ_HWPT_PAGING:
	case OBJ_VIOMMU:
		break;
	default:
		return (-EINVAL);
	}
	if (cmd->flags & ~HWPT_ALLOC_FLAGS)
		return (-EOPNOTSUPP);
	/* PASID-capable domains came after 6.12. */
	if ((cmd->flags & IOMMU_HWPT_ALLOC_PASID) &&
	    dispatch_uapi_level() < UAPI_LEVEL_7_3)
		return (-EOPNOTSUPP);
	d = container_of(dev, struct device, obj);
	if (d->edev == NULL)
		return (-ENOENT);
	desc = &d->edev->desc;

	/* The driver data is read before anything changes. */
	memset(buf, 0, sizeof(buf));
	data.type = cmd->data_type;
	data.buf = buf;
	data.len = cmd->data_len;
	if (data.len > sizeof(buf))
		return (-EINVAL);
	if (data.len != 0 &&
	    (rc = ucmd_read(ucmd, cmd->data_uptr, buf, data.len)) != 0)
		return (rc);

	if (pt->type == OBJ_IOAS) {
		if ((cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) &&
		    (cmd->flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
			return (-EOPNOTSUPP);
		if ((rc = hwpt_paging_new(ucmd->ctx, desc, container_of(pt,
		    struct ioas, obj), hwpt_hw_flags(cmd->flags), &data, 0,
		    &hwpt)) != 0)
			return (rc);
		obj = &hwpt->obj;
	} else {
		/* Nested: on a NEST_PARENT paging HWPT, or on a vIOMMU. */
		const struct hw_domain *pdom = NULL;
		struct hwpt_paging *parent;
		struct hw_nested hn;

		if (cmd->flags & ~(IOMMU_HWPT_FAULT_ID_VALID |
		    IOMMU_HWPT_ALLOC_PASID))
			return (-EOPNOTSUPP);
		if (cmd->data_type == IOMMU_HWPT_DATA_NONE)
			return (-EINVAL);
		if (pt->type == OBJ_HWPT_PAGING) {
			parent = container_of(pt, struct hwpt_paging, obj);
			if ((parent->flags & HWPT_F_AUTO) ||
			    !(parent->flags & HWPT_F_NEST_PARENT) ||
			    !hwpt_same_iommu(parent->domain.hw, desc))
				return (-EINVAL);
			pdom = &parent->domain.hw_dom;
			/* Another unit's stage 2 must fit this one. */
			if (parent->domain.hw != desc->hw &&
			    (rc = desc->hw->ops->attach_check(desc, pdom)) != 0)
				return (rc);
		} else if (container_of(pt, struct viommu, obj)->hw !=
		    desc->hw)
			return (-EINVAL);
		if (desc->hw->ops->domain_alloc_nested == NULL)
			return (-EOPNOTSUPP);
		if ((rc = desc->hw->ops->domain_alloc_nested(desc, pdom,
		    hwpt_hw_flags(cmd->flags) & HW_DOMAIN_PASID, &data,
		    &hn)) != 0)
			return (rc);
		if ((rc = obj_alloc(ucmd->ctx, OBJ_HWPT_NESTED, &obj)) != 0)
			return (rc);
		nested = container_of(obj, struct hwpt_nested, obj);
		obj_hold(pt);
		nested->parent = pt;
		nested->hw = desc->hw;
		nested->nested = hn;
		nested->flags = hn.flags;
	}
	/* As the kernel, the fault queue is looked up once the HWPT exists. */
	if ((cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) &&
	    (rc = obj_get(ucmd->ctx, cmd->fault_id, OBJ_FAULT, &fault)) != 0) {
		obj_abort(obj);
		return (rc);
	}
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		obj_hold(fault);
		if (obj->type == OBJ_HWPT_PAGING)
			container_of(obj, struct hwpt_paging, obj)->fault =
			    fault;
		else
			container_of(obj, struct hwpt_nested, obj)->fault =
			    fault;
	}
	cmd->out_hwpt_id = obj->id;
	if ((rc = ucmd_respond(ucmd, sizeof(*cmd))) != 0) {
		obj_abort(obj);
		return (rc);
	}
	ucmd_finalize(ucmd, obj);
	return (0);
}

/*
 * The dirty store of a paging HWPT made with IOMMU_HWPT_ALLOC_DIRTY_TRACKING
 * (the kernel's "dirty ops"), or NULL.
 */
static struct dirty *
hwpt_dirty(struct hwpt_paging *hwpt)
{
	return ((hwpt->flags & HWPT_F_DIRTY) ? hwpt->dirty : NULL);
}

/*
 * The IOPTE under iova of a domain that maps its IOAS's areas, as the
 * dirty store asks (dirty.h): each area is one run, its memory as
 * contiguous as the IOAS allows (one CPU page with huge pages off).
 */
static int
hwpt_dirty_iopte(void *arg, uint64_t iova, uint64_t *start, uint64_t *len)
{
	struct hwpt_paging	*hwpt = arg;
	struct iopt		*iopt = ioas_iopt(hwpt->ioas);
	struct iopt_area	*a;
	uint64_t		 va;

	if ((a = iopt_area_find(iopt, iova)) == NULL)
		return (-ENOENT);
	va = iopt_area_pages(a)->start + a->pages_off;
	dirty_iopte_fit(hwpt->pgsize_bitmap, iopt->disable_huge ?
	    IOPT_PAGE_SIZE : UINT64_MAX, a->iova, a->last, va - a->iova, iova,
	    start, len);
	return (0);
}

/* An unmapped IOPTE loses its dirty bit with it. */
static void
hwpt_dirty_unmap(struct domain *dom __unused, void *arg, uint64_t iova,
    uint64_t length)
{
	struct hwpt_paging	*hwpt = arg;

	dirty_clear(hwpt->dirty, iova, length);
}

static const struct domain_hooks hwpt_dirty_hooks = {
	.unmap = hwpt_dirty_unmap,
};

int
hwpt_paging_dirty_init(struct hwpt_paging *hwpt)
{
	int	 rc;

	if (hwpt->pgsize_bitmap == 0)
		return (-EINVAL);
	if ((rc = dirty_new(hwpt->pgsize_bitmap & -hwpt->pgsize_bitmap,
	    &hwpt->dirty)) != 0)
		return (rc);
	hwpt->dirty->iopte = hwpt_dirty_iopte;
	hwpt->dirty->iopte_arg = hwpt;
	hwpt->domain.hooks = &hwpt_dirty_hooks;
	hwpt->domain.hooks_arg = hwpt;
	hwpt->flags |= HWPT_F_DIRTY;
	return (0);
}

/*
 * IOMMU_HWPT_SET_DIRTY_TRACKING (spec 4.4). Enabling first clears the
 * bits left from before, so that the first read after it sees only new
 * writes; it does so each time, as the kernel does, even when tracking
 * was already on. Disabling keeps the bits.
 */
int
hwpt_ioctl_set_dirty_tracking(struct ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking	*cmd = ucmd->cmd_buf;
	struct obj				*obj;
	struct dirty				*d;
	int					 rc;

	if ((cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) ||
	    cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	if ((rc = obj_get(ucmd->ctx, cmd->hwpt_id, OBJ_HWPT_PAGING, &obj)) != 0)
		return (rc);
	if ((d = hwpt_dirty(container_of(obj, struct hwpt_paging, obj))) ==
	    NULL)
		return (-EOPNOTSUPP);
	if (cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE) {
		dirty_fini(d);
		d->tracking = 1;
	} else
		d->tracking = 0;
	return (0);
}

/*
 * Whether the areas of iopt cover [iova, last] without a hole: O(areas in
 * the range), and those are bounded by what is mapped, whatever the span.
 */
static int
hwpt_range_mapped(struct iopt *iopt, uint64_t iova, uint64_t last)
{
	struct iopt_area	*a;
	uint64_t		 next = iova;

	for (a = iopt_area_first(iopt, iova, last); a != NULL;
	    a = iopt_area_next(iopt, a)) {
		if (a->iova > next)
			return (0);
		if (a->last >= last)
			return (1);
		next = a->last + 1;
	}
	return (0);
}

/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP (spec 4.4), the checks in the kernel's
 * order: flags, the HWPT, the range against the IOAS alignment and
 * page_size, the dirty ops, then the areas. A page_size that is not a
 * power of two passes the kernel's mask checks and then counts as its
 * lowest set bit, which is what the kernel's bitmap walk makes of it.
 * The bits are cleared only once the caller's bitmap has been read and
 * written, so a failed read leaves them (see core/ioctl.h).
 */
int
hwpt_ioctl_get_dirty_bitmap(struct ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap	*cmd = ucmd->cmd_buf;
	struct hwpt_paging			*hwpt;
	struct obj				*obj;
	struct dirty				*d;
	struct iopt				*iopt;
	uint64_t				 align, last, ps;
	int					 rc;

	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
	    cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	if ((rc = obj_get(ucmd->ctx, cmd->hwpt_id, OBJ_HWPT_PAGING, &obj)) != 0)
		return (rc);
	hwpt = container_of(obj, struct hwpt_paging, obj);
	iopt = ioas_iopt(hwpt->ioas);
	align = iopt->iova_alignment;
	ps = cmd->page_size;
	if (cmd->length == 0)
		return (-EINVAL);
	if (u64_range_overflows(cmd->iova, cmd->length))
		return (-EOVERFLOW);
	last = cmd->iova + (cmd->length - 1);
	if ((cmd->iova & (align - 1)) || ((last + 1) & (align - 1)))
		return (-EINVAL);
	if (ps == 0 || (cmd->iova & (ps - 1)) || ((last + 1) & (ps - 1)))
		return (-EINVAL);
	if ((d = hwpt_dirty(hwpt)) == NULL)
		return (-EOPNOTSUPP);
	if (!hwpt_range_mapped(iopt, cmd->iova, last))
		return (-EINVAL);
	if (!d->tracking)
		return (-EINVAL);
	if ((rc = dirty_read(d, ucmd, cmd->iova, cmd->length, ps & -ps,
	    cmd->data)) != 0)
		return (rc);
	if (!(cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR))
		dirty_clear(d, cmd->iova, cmd->length);
	return (0);
}

/* The 7.3 bounds on an invalidation array. */
#define HWPT_INVALIDATE_LEN_MAX		4096
#define HWPT_INVALIDATE_NUM_MAX		(1U << 19)

/*
 * Device caches being invalidated through a vIOMMU, changed in copies so
 * that a call changes nothing before its last read of caller memory;
 * the copies are written back at the end.
 */
struct hwpt_inv_shadow {
	struct viommu		*viommu;
	struct edev		**edevs;
	struct hw_dev_cache	*caches;
	unsigned int		 n;
};

static int
hwpt_inv_lookup(void *arg, uint64_t virt_id, struct hw_dev_cache **cp)
{
	struct hwpt_inv_shadow	*sh = arg;
	struct vdevice		*vdev;
	unsigned int		 i;

	if ((vdev = vdevice_find(sh->viommu, virt_id)) == NULL ||
	    vdev->dev == NULL || vdev->dev->edev == NULL)
		return (-EINVAL);
	for (i = 0; i < sh->n; i++) {
		if (sh->edevs[i] == vdev->dev->edev) {
			*cp = &sh->caches[i];
			return (0);
		}
	}
	return (-EINVAL);
}

/* The device a vDEVICE of the vIOMMU names, for viommu_invalidate_dev. */
static int
hwpt_inv_lookup_dev(void *arg, uint64_t virt_id,
    const struct hw_dev_desc **descp)
{
	struct hwpt_inv_shadow	*sh = arg;
	struct vdevice		*vdev;

	if ((vdev = vdevice_find(sh->viommu, virt_id)) == NULL ||
	    vdev->dev == NULL || vdev->dev->edev == NULL)
		return (-ENOENT);
	*descp = &vdev->dev->edev->desc;
	return (0);
}

static int
hwpt_inv_shadow_init(struct hwpt_inv_shadow *sh, struct viommu *viommu)
{
	struct vdevice	*vdev;
	unsigned int	 n = 0;

	memset(sh, 0, sizeof(*sh));
	sh->viommu = viommu;
	LIST_FOREACH(vdev, &viommu->vdevices, entry)
		n++;
	if (n == 0)
		return (0);
	if ((sh->edevs = calloc(n, sizeof(*sh->edevs))) == NULL ||
	    (sh->caches = calloc(n, sizeof(*sh->caches))) == NULL) {
		free(sh->edevs);
		return (-ENOMEM);
	}
	LIST_FOREACH(vdev, &viommu->vdevices, entry) {
		if (vdev->dev == NULL || vdev->dev->edev == NULL)
			continue;
		sh->edevs[sh->n] = vdev->dev->edev;
		sh->caches[sh->n] = vdev->dev->edev->cache;
		sh->n++;
	}
	return (0);
}

static void
hwpt_inv_shadow_fini(struct hwpt_inv_shadow *sh, int commit)
{
	unsigned int	 i;

	for (i = 0; commit && i < sh->n; i++)
		sh->edevs[i]->cache = sh->caches[i];
	free(sh->edevs);
	free(sh->caches);
}

/* One entry, on a nested HWPT's IOTLB copy or on a vIOMMU's caches. */
static int
hwpt_inv_one(const struct hw_model_ops *ops, struct hw_nested *nested,
    const struct hw_data *data, struct hwpt_inv_shadow *sh)
{
	if (nested != NULL)
		return (ops->nested_invalidate(nested, data));
	if (ops->viommu_invalidate_dev != NULL)
		return (ops->viommu_invalidate_dev(sh->viommu->hw, data,
		    hwpt_inv_lookup_dev, sh));
	return (ops->viommu_invalidate(data, hwpt_inv_lookup, sh));
}

/*
 * IOMMU_HWPT_INVALIDATE (spec 4.3, with 7.3's bounds): entries one at a
 * time, stopping at the first failure; entry_num goes back as the number
 * done, also on failure. The entries act on copies of the state they
 * change, written back once every entry has been read.
 */
int
hwpt_ioctl_invalidate(struct ucmd *ucmd)
{
	struct iommu_hwpt_invalidate	*cmd = ucmd->cmd_buf;
	const struct hw_model_ops	*ops = NULL;
	struct hwpt_inv_shadow		 sh;
	struct hwpt_nested		*n = NULL;
	struct hw_nested		 nested;
	struct hw_data			 data;
	struct obj			*obj;
	uint8_t				 buf[HW_INVALIDATE_READ];
	uint32_t			 done = 0, i;
	int				 rc, shadow = 0;

	if (cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	memset(&nested, 0, sizeof(nested));
	memset(&sh, 0, sizeof(sh));
	if (cmd->entry_num != 0 && (cmd->data_uptr == 0 ||
	    cmd->entry_len == 0 || cmd->entry_len > HWPT_INVALIDATE_LEN_MAX ||
	    cmd->entry_num > HWPT_INVALIDATE_NUM_MAX))
		rc = -EINVAL;
	else if ((rc = obj_get(ucmd->ctx, cmd->hwpt_id, OBJ_ANY, &obj)) != 0)
		;
	else if (obj->type == OBJ_HWPT_NESTED) {
		n = container_of(obj, struct hwpt_nested, obj);
		ops = n->hw->ops;
		rc = ops->nested_invalidate == NULL ? -EOPNOTSUPP : 0;
		nested = n->nested;
	} else if (obj->type == OBJ_VIOMMU) {
		ops = container_of(obj, struct viommu, obj)->hw->ops;
		if (ops->viommu_invalidate == NULL &&
		    ops->viommu_invalidate_dev == NULL)
			rc = -EOPNOTSUPP;
		else if ((rc = hwpt_inv_shadow_init(&sh,
		    container_of(obj, struct viommu, obj))) == 0)
			shadow = 1;
	} else if (dispatch_uapi_level() < UAPI_LEVEL_7_3)
		/* 6.12 looked the id up as a nested HWPT only. */
		rc = -ENOENT;
	else
		rc = -EINVAL;
	if (rc == 0) {
		data.type = cmd->data_type;
		data.buf = buf;
		data.len = 0;
		/* entry_num 0 asks only whether the type is known. */
		if (cmd->entry_num == 0)
			rc = hwpt_inv_one(ops, n != NULL ? &nested : NULL,
			    &data, &sh);
		data.len = cmd->entry_len;
		for (i = 0; rc == 0 && i < cmd->entry_num; i++) {
			memset(buf, 0, sizeof(buf));
			if ((rc = ucmd_read(ucmd, cmd->data_uptr +
			    (uint64_t)i * cmd->entry_len, buf,
			    cmd->entry_len < sizeof(buf) ? cmd->entry_len :
			    sizeof(buf))) != 0)
				break;
			rc = hwpt_inv_one(ops, n != NULL ? &nested : NULL,
			    &data, &sh);
			if (rc == 0)
				done++;
		}
	}
	/* Entries done take effect, as the kernel's. */
	if (n != NULL && done != 0)
		n->nested = nested;
	if (shadow)
		hwpt_inv_shadow_fini(&sh, done != 0);
	cmd->entry_num = done;
	if (ucmd_respond(ucmd, sizeof(*cmd)) != 0)
		return (-EFAULT);
	return (rc);
}
