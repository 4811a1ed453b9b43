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
 * code and answers EOPNOTSUPP meanwhile.
 */
#include <errno.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/describe.h"
#include "iommufd/objs.h"

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
}

static void
hwpt_nested_destroy(struct obj *obj)
{
	struct hwpt_nested	*hwpt = container_of(obj, struct hwpt_nested,
				    obj);

	if (hwpt->parent != NULL)
		obj_drop(hwpt->parent);
}

/* "ioas", "flags" (an array of names), "enforce_cc", "pgsize_bitmap". */
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
 * The paging HWPT id names, for the dirty-tracking commands: one made
 * without IOMMU_HWPT_ALLOC_DIRTY_TRACKING gives -EOPNOTSUPP.
 */
static int
hwpt_get_dirty(struct ucmd *ucmd, uint32_t id, struct hwpt_paging **hwptp)
{
	struct hwpt_paging	*hwpt;
	struct obj		*obj;
	int			 rc;

	if ((rc = obj_get(ucmd->ctx, id, OBJ_HWPT_PAGING, &obj)) != 0)
		return (rc);
	hwpt = container_of(obj, struct hwpt_paging, obj);
	if (!(hwpt->flags & HWPT_F_DIRTY))
		return (-EOPNOTSUPP);
	*hwptp = hwpt;
	return (0);
}

/* IOMMU_HWPT_SET_DIRTY_TRACKING (spec 4.4). */
int
hwpt_ioctl_set_dirty_tracking(struct ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking	*cmd = ucmd->cmd_buf;
	struct hwpt_paging			*hwpt;
	int					 rc;

	if ((cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) ||
	    cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	if ((rc = hwpt_get_dirty(ucmd, cmd->hwpt_id, &hwpt)) != 0)
		return (rc);
	/* Dirty state lives in the domain: hardware model work. */
	return (-EOPNOTSUPP);
}

/* IOMMU_HWPT_GET_DIRTY_BITMAP (spec 4.4). */
int
hwpt_ioctl_get_dirty_bitmap(struct ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap	*cmd = ucmd->cmd_buf;
	struct hwpt_paging			*hwpt;
	int					 rc;

	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
	    cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	if ((rc = hwpt_get_dirty(ucmd, cmd->hwpt_id, &hwpt)) != 0)
		return (rc);
	/* Reading the domain's dirty bits: hardware model work. */
	return (-EOPNOTSUPP);
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
