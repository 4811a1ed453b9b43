/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The HW queue object kind: a guest-owned hardware queue in the nesting
 * parent's memory; its ops and IOMMU_HW_QUEUE_ALLOC.
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
hw_queue_destroy(struct obj *obj)
{
	struct hw_queue	*hwq = container_of(obj, struct hw_queue, obj);

	if (hwq->viommu != NULL)
		obj_drop(hwq->viommu);
}

/* "viommu". */
static json_t *
hw_queue_describe(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct hw_queue,
	    obj)->viommu, "viommu", 0));
}

const struct obj_ops hw_queue_ops = {
	.name = "hw_queue",
	.size = sizeof(struct hw_queue),
	.destroy = hw_queue_destroy,
	.describe = hw_queue_describe,
};

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
