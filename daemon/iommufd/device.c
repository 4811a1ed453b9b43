/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Devices bound to a context, and IOMMU_GET_HW_INFO, which reports what the
 * IOMMU behind a device can do.
 *
 * Binding (VFIO cdev, selftest mock domain) and the hardware models that
 * answer GET_HW_INFO are later work. The handler already makes every check
 * the kernel makes before it reaches the device, in the same order, so
 * with no device bound the answers are the kernel's.
 */
#include <errno.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/objs.h"

#include <linux/iommufd.h>

/*
 * A DEVICE is held by its binding for as long as it is bound (users >= 2),
 * so DESTROY of one is EBUSY; what it holds is released by unbinding.
 */
static void
device_destroy(struct obj *obj __unused)
{
}

const struct obj_ops device_ops = {
	.name = "device",
	.size = sizeof(struct device),
	.destroy = device_destroy,
};

/* IOMMU_GET_HW_INFO (spec 5.1). */
int
device_ioctl_get_hw_info(struct ucmd *ucmd)
{
	struct iommu_hw_info	*cmd = ucmd->cmd_buf;
	struct obj		*dev;
	int			 rc;

	if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return (-EOPNOTSUPP);
	if (cmd->__reserved[0] != 0 || cmd->__reserved[1] != 0 ||
	    cmd->__reserved[2] != 0)
		return (-EOPNOTSUPP);
	if ((rc = obj_get(ucmd->ctx, cmd->dev_id, OBJ_DEVICE, &dev)) != 0)
		return (rc);
	/* The report comes from the device's hardware model. */
	return (-EOPNOTSUPP);
}
