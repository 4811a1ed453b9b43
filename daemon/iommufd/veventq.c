/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The vEVENTQ object kind: a vIOMMU's event queue, read by the guest's
 * driver through a descriptor; its ops and IOMMU_VEVENTQ_ALLOC.
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
veventq_destroy(struct obj *obj)
{
	struct veventq	*veventq = container_of(obj, struct veventq, obj);

	if (veventq->viommu != NULL)
		obj_drop(veventq->viommu);
}

/* "viommu". */
static json_t *
veventq_describe(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct veventq,
	    obj)->viommu, "viommu", 0));
}

const struct obj_ops veventq_ops = {
	.name = "veventq",
	.size = sizeof(struct veventq),
	.destroy = veventq_destroy,
	.describe = veventq_describe,
};

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
