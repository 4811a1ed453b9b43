/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The vDEVICE object kind: a device as a vIOMMU sees it, with
 * its virtual id; its ops and IOMMU_VDEVICE_ALLOC.
 *
 * It needs a vIOMMU, and a vIOMMU needs a device. Until devices exist the
 * handler makes every check the kernel makes up to and including the
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
vdevice_destroy(struct obj *obj)
{
	struct vdevice	*vdev = container_of(obj, struct vdevice, obj);

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
