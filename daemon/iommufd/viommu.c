/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The vIOMMU object kind (spec 7, 6.2): a virtual IOMMU over a nesting
 * parent HWPT, which vDEVICEs, vEVENTQs and HW queues (their own files)
 * hang off; its ops and IOMMU_VIOMMU_ALLOC.
 *
 * A vIOMMU is made for a device, whose hardware model decides the types
 * it offers and reads their data, over a nesting parent HWPT of the same
 * IOMMU instance, which it holds. Its vDEVICEs are listed on it so that
 * invalidations naming a virt_id find their device.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>


#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "hw/hw.h"
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

/* The largest vIOMMU data any model reads. */
#define VIOMMU_DATA_MAX	64

/* IOMMU_VIOMMU_ALLOC (spec 7.1). */
int
viommu_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_viommu_alloc	*cmd = ucmd->cmd_buf;
	const struct hw_dev_desc	*desc;
	struct hwpt_paging		*parent;
	struct viommu			*viommu;
	struct device			*dev;
	struct obj			*obj;
	uint8_t				 buf[VIOMMU_DATA_MAX];
	size_t				 len = cmd->data_len;
	int				 rc;

	if (cmd->flags != 0 || cmd->__reserved != 0 ||
	    cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return (-EOPNOTSUPP);
	if ((rc = obj_get(ucmd->ctx, cmd->dev_id, OBJ_DEVICE, &obj)) != 0)
		return (rc);
	dev = container_of(obj, struct device, obj);
	if (dev->edev == NULL)
		return (-ENOENT);
	desc = &dev->edev->desc;
	/* The model says whether it has the type before the HWPT is seen. */
	if (desc->hw->ops->viommu_alloc == NULL ||
	    desc->hw->ops->viommu_alloc(desc, cmd->type, NULL, 0) != 0)
		return (-EOPNOTSUPP);
	rc = obj_get(ucmd->ctx, cmd->hwpt_id, OBJ_HWPT_PAGING, &obj);
	if (rc != 0)
		return (rc);
	parent = container_of(obj, struct hwpt_paging, obj);
	if (!(parent->flags & HWPT_F_NEST_PARENT))
		return (-EINVAL);
	if (parent->domain.hw != desc->hw)
		return (-EINVAL);
	/* The data is read, checked and answered before anything is made. */
	if (len > sizeof(buf))
		return (-EINVAL);
	memset(buf, 0, sizeof(buf));
	if (len != 0 && (rc = ucmd_read(ucmd, cmd->data_uptr, buf, len)) != 0)
		return (rc);
	if ((rc = desc->hw->ops->viommu_alloc(desc, cmd->type, buf, len)) != 0)
		return (rc);
	if ((rc = obj_alloc(ucmd->ctx, OBJ_VIOMMU, &obj)) != 0)
		return (rc);
	viommu = container_of(obj, struct viommu, obj);
	LIST_INIT(&viommu->vdevices);
	LIST_INIT(&viommu->hw_queues);
	obj_hold(&parent->obj);
	viommu->parent = &parent->obj;
	viommu->hw = desc->hw;
	viommu->type = cmd->type;
	cmd->out_viommu_id = obj->id;
	if ((len != 0 && (rc = ucmd_write(ucmd, cmd->data_uptr, buf,
	    len)) != 0) || (rc = ucmd_respond(ucmd, sizeof(*cmd))) != 0) {
		obj_abort(obj);
		return (rc);
	}
	ucmd_finalize(ucmd, obj);
	return (0);
}
