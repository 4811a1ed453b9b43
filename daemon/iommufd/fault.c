/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Fault queues (IOMMU_FAULT_QUEUE_ALLOC): an object and a descriptor
 * through which a VMM reads I/O page requests and writes responses.
 *
 * The queue itself, its descriptor and the page request groups are later
 * work; for now the command checks its flags and then answers EOPNOTSUPP.
 */
#include <errno.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/objs.h"

#include <linux/iommufd.h>

static void
fault_destroy(struct obj *obj __unused)
{
}

const struct obj_ops fault_ops = {
	.name = "fault",
	.size = sizeof(struct fault),
	.destroy = fault_destroy,
};

/* IOMMU_FAULT_QUEUE_ALLOC (spec 6.1). */
int
fault_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_fault_alloc	*cmd = ucmd->cmd_buf;

	if (cmd->flags != 0)
		return (-EOPNOTSUPP);
	/* The fault object and its descriptor come with the fault queue. */
	return (-EOPNOTSUPP);
}
