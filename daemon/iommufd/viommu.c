/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The virtual IOMMU and what hangs off it: vIOMMUs, vDEVICEs, vIOMMU event
 * queues and guest-owned hardware queues (spec 7, 6.2).
 *
 * Each of these needs a device or a vIOMMU to exist, and a vIOMMU needs a
 * device and a nesting parent HWPT. Until devices exist the handlers make
 * every check the kernel makes up to and including the object lookups, in
 * its order, so a context without devices answers like the kernel; what
 * follows the lookups is later work and answers EOPNOTSUPP meanwhile.
 */
#include <errno.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/objs.h"

#include <linux/iommufd.h>

void
viommu_destroy(struct obj *obj)
{
	struct viommu	*viommu = container_of(obj, struct viommu, obj);

	if (viommu->parent != NULL)
		obj_drop(viommu->parent);
}

void
vdevice_destroy(struct obj *obj)
{
	struct vdevice	*vdev = container_of(obj, struct vdevice, obj);

	if (vdev->viommu != NULL)
		obj_drop(vdev->viommu);
}

void
veventq_destroy(struct obj *obj)
{
	struct veventq	*veventq = container_of(obj, struct veventq, obj);

	if (veventq->viommu != NULL)
		obj_drop(veventq->viommu);
}

void
hw_queue_destroy(struct obj *obj)
{
	struct hw_queue	*hwq = container_of(obj, struct hw_queue, obj);

	if (hwq->viommu != NULL)
		obj_drop(hwq->viommu);
}

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

/*
 * IOMMU_VDEVICE_ALLOC (spec 7.2). The kernel's virt_id > ULONG_MAX check
 * cannot fail for a 64-bit caller, and only 64-bit callers are served.
 */
int
vdevice_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_vdevice_alloc	*cmd = ucmd->cmd_buf;
	struct obj			*viommu, *dev;
	int				 rc;

	rc = obj_get(ucmd->ctx, cmd->viommu_id, OBJ_VIOMMU, &viommu);
	if (rc != 0)
		return (rc);
	if ((rc = obj_get(ucmd->ctx, cmd->dev_id, OBJ_DEVICE, &dev)) != 0)
		return (rc);
	/* Binding the device to the vIOMMU: later work. */
	return (-EOPNOTSUPP);
}

/* IOMMU_VEVENTQ_ALLOC (spec 6.2). */
int
veventq_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_veventq_alloc	*cmd = ucmd->cmd_buf;
	struct obj			*viommu;
	int				 rc;

	if (cmd->flags != 0 || cmd->__reserved != 0 ||
	    cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return (-EOPNOTSUPP);
	if (cmd->veventq_depth == 0)
		return (-EINVAL);
	rc = obj_get(ucmd->ctx, cmd->viommu_id, OBJ_VIOMMU, &viommu);
	if (rc != 0)
		return (rc);
	/* The queue and its descriptor: later work. */
	return (-EOPNOTSUPP);
}

/* IOMMU_HW_QUEUE_ALLOC (spec 7.3). */
int
hw_queue_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_hw_queue_alloc	*cmd = ucmd->cmd_buf;
	struct obj			*viommu;
	int				 rc;

	if (cmd->flags != 0 || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
		return (-EOPNOTSUPP);
	if (cmd->length == 0)
		return (-EINVAL);
	if (u64_range_overflows(cmd->nesting_parent_iova, cmd->length))
		return (-EOVERFLOW);
	rc = obj_get(ucmd->ctx, cmd->viommu_id, OBJ_VIOMMU, &viommu);
	if (rc != 0)
		return (rc);
	/* Pinning the queue memory in the parent IOAS: later work. */
	return (-EOPNOTSUPP);
}
