/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * HW page tables: the paging HWPT (a domain over an IOAS) and the nested
 * HWPT (a guest stage 1 over a paging parent or a vIOMMU), their ops and
 * their four ioctls. The two kinds share this file because they share
 * every ioctl: HWPT_ALLOC makes either, and the others take either.
 *
 * A HWPT needs a device (HWPT_ALLOC names one, and the dirty and
 * invalidation commands act on domains that only attaching devices
 * creates). Until devices exist every handler here performs the kernel's
 * checks in the kernel's order up to and including the object lookups, so
 * a context without devices already answers exactly like the kernel; the
 * domain work after the lookups is left to the device and hardware model
 * code and answers EOPNOTSUPP meanwhile. The dirty-tracking commands are
 * whole: they work on the domain's dirty store (dirty.h), which the code
 * that makes a dirty-tracking domain allocates and the domain's writes
 * and unmaps keep.
 */
#include <errno.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/describe.h"
#include "iommufd/dirty.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"

#include <linux/iommufd.h>

#define HWPT_ALLOC_FLAGS						\
	(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |	\
	IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)

static void
hwpt_paging_destroy(struct obj *obj)
{
	struct hwpt_paging	*hwpt = container_of(obj, struct hwpt_paging,
				    obj);

	if (hwpt->ioas != NULL)
		obj_drop(hwpt->ioas);
	dirty_free(hwpt->dirty);
}

static void
hwpt_nested_destroy(struct obj *obj)
{
	struct hwpt_nested	*hwpt = container_of(obj, struct hwpt_nested,
				    obj);

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

/* IOMMU_HWPT_ALLOC (spec 4.1). */
int
hwpt_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_hwpt_alloc	*cmd = ucmd->cmd_buf;
	struct obj		*dev, *pt;
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
	/* Domain allocation comes with the device and hardware models. */
	return (-EOPNOTSUPP);
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

/*
 * IOMMU_HWPT_INVALIDATE (spec 4.3). Past the __reserved check the struct
 * always goes back to the caller with entry_num set to the entries
 * handled, and a failure to write it back wins over the result.
 */
int
hwpt_ioctl_invalidate(struct ucmd *ucmd)
{
	struct iommu_hwpt_invalidate	*cmd = ucmd->cmd_buf;
	struct obj			*obj;
	uint32_t			 done = 0;
	int				 rc;

	if (cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	if (cmd->entry_num != 0 && (cmd->data_uptr == 0 || cmd->entry_len == 0))
		rc = -EINVAL;
	else if ((rc = obj_get(ucmd->ctx, cmd->hwpt_id, OBJ_ANY, &obj)) != 0)
		;
	else if (obj->type != OBJ_HWPT_NESTED && obj->type != OBJ_VIOMMU)
		rc = -EINVAL;
	else {
		/* The cache invalidation itself is hardware model work. */
		rc = -EOPNOTSUPP;
	}
	cmd->entry_num = done;
	if (ucmd_respond(ucmd, sizeof(*cmd)) != 0)
		return (-EFAULT);
	return (rc);
}
