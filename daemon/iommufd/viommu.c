/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The vIOMMU object kind (spec 7, 6.2): a virtual IOMMU over a nesting
 * parent HWPT, which vDEVICEs, vEVENTQs and HW queues (their own files)
 * hang off; its ops and IOMMU_VIOMMU_ALLOC.
 *
 * A vIOMMU needs a device and a nesting parent HWPT. Until devices exist
 * the handler makes every check the kernel makes up to and including the
 * object lookups, in its order, so a context without devices answers like
 * the kernel; what follows the lookups is later work and answers
 * EOPNOTSUPP meanwhile.
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

static void
viommu_destroy(struct obj *obj)
{
	struct viommu	*viommu = container_of(obj, struct viommu, obj);

	if (viommu->parent != NULL)
		obj_drop(viommu->parent);
}

/* "parent" (the nesting parent HWPT). */
static json_t *
viommu_describe(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct viommu,
	    obj)->parent, "parent", 0));
}

const struct obj_ops viommu_ops = {
	.name = "viommu",
	.size = sizeof(struct viommu),
	.destroy = viommu_destroy,
	.describe = viommu_describe,
};

/* IOMMU_VIOMMU_ALLOC (spec 7.1). */
int
viommu_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_viommu_alloc	*cmd = ucmd->cmd_buf;
	struct hwpt_paging		*parent;
	struct obj			*dev, *obj;
	int				 rc;

	if (cmd->flags != 0 || cmd->__reserved != 0 ||
	    cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return (-EOPNOTSUPP);
	if ((rc = obj_get(ucmd->ctx, cmd->dev_id, OBJ_DEVICE, &dev)) != 0)
		return (rc);
	/*
	 * Here the device's hardware model says whether it supports the
	 * type (EOPNOTSUPP otherwise): later work.
	 */
	rc = obj_get(ucmd->ctx, cmd->hwpt_id, OBJ_HWPT_PAGING, &obj);
	if (rc != 0)
		return (rc);
	parent = container_of(obj, struct hwpt_paging, obj);
	if (!(parent->flags & HWPT_F_NEST_PARENT))
		return (-EINVAL);
	return (-EOPNOTSUPP);
}
