/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The vDEVICE object kind: a device as a vIOMMU sees it, with
 * its virtual id; its ops and IOMMU_VDEVICE_ALLOC.
 *
 * A vDEVICE holds its vIOMMU and sits on its list; it names its device
 * without holding it, and the device points back (one vDEVICE per
 * device). Unbinding the device leaves the vDEVICE a tombstone: gone for
 * the user, its id kept until close (spec 2.4).
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
vdevice_destroy(struct obj *obj)
{
	struct vdevice	*vdev = container_of(obj, struct vdevice, obj);

	if (vdev->dev != NULL) {
		vdev->dev->vdevice = NULL;
		vdev->dev = NULL;
	}
	if (vdev->entry.le_prev != NULL)
		LIST_REMOVE(vdev, entry);
	if (vdev->viommu != NULL)
		obj_drop(vdev->viommu);
}

/* "viommu". */
static json_t *
vdevice_describe(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct vdevice,
	    obj)->viommu, "viommu", 0));
}

const struct obj_ops vdevice_ops = {
	.name = "vdevice",
	.size = sizeof(struct vdevice),
	.destroy = vdevice_destroy,
	.describe = vdevice_describe,
};

/*
 * IOMMU_VDEVICE_ALLOC (spec 7.2). The kernel's virt_id > ULONG_MAX check
 * cannot fail for a 64-bit caller, and only 64-bit callers are served.
 */
int
vdevice_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_vdevice_alloc	*cmd = ucmd->cmd_buf;
	struct viommu			*viommu;
	struct vdevice			*vdev;
	struct device			*dev;
	struct obj			*vobj, *dobj, *obj;
	int				 rc;

	rc = obj_get(ucmd->ctx, cmd->viommu_id, OBJ_VIOMMU, &vobj);
	if (rc != 0)
		return (rc);
	if ((rc = obj_get(ucmd->ctx, cmd->dev_id, OBJ_DEVICE, &dobj)) != 0)
		return (rc);
	viommu = container_of(vobj, struct viommu, obj);
	dev = container_of(dobj, struct device, obj);
	if (dev->edev == NULL)
		return (-ENOENT);
	if (dev->edev->desc.hw != viommu->hw)
		return (-EINVAL);
	if (dev->vdevice != NULL)
		return (-EEXIST);
	if (vdevice_find(viommu, cmd->virt_id) != NULL)
		return (-EEXIST);
	if ((rc = obj_alloc(ucmd->ctx, OBJ_VDEVICE, &obj)) != 0)
		return (rc);
	vdev = container_of(obj, struct vdevice, obj);
	obj_hold(vobj);
	vdev->viommu = vobj;
	vdev->dev = dev;
	vdev->virt_id = cmd->virt_id;
	dev->vdevice = obj;
	LIST_INSERT_HEAD(&viommu->vdevices, vdev, entry);
	cmd->out_vdevice_id = obj->id;
	if ((rc = ucmd_respond(ucmd, sizeof(*cmd))) != 0) {
		obj_abort(obj);
		return (rc);
	}
	ucmd_finalize(ucmd, obj);
	return (0);
}

struct vdevice *
vdevice_find(struct viommu *viommu, uint64_t virt_id)
{
	struct vdevice	*vdev;

	LIST_FOREACH(vdev, &viommu->vdevices, entry) {
		if (vdev->virt_id == virt_id)
			return (vdev);
	}
	return (NULL);
}
