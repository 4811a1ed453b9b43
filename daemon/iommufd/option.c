/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * IOMMU_OPTION: the context's RLIMIT_MODE (who pays for pinned pages) and
 * an IOAS's HUGE_PAGES. Only val64 is ever written back, for SET as well
 * as GET, as the kernel does.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"

#include <linux/iommufd.h>

static int
option_rlimit_mode(struct ucmd *ucmd, struct iommu_option *cmd)
{
	struct ctx	*ctx = ucmd->ctx;

	if (cmd->object_id != 0)
		return (-EOPNOTSUPP);
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = ctx->acct_mode == ACCT_MM;
		return (0);
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return (-EOPNOTSUPP);
	if (ucmd->caller == NULL ||
	    (ucmd->caller->caps & CALLER_CAP_SYS_RESOURCE) == 0)
		return (-EPERM);
	/* Pages already mapped were charged the old way. */
	if (ctx->nobjs != 0 || !RB_EMPTY(&ctx->objs))
		return (-EBUSY);
	if (cmd->val64 == 0)
		ctx->acct_mode = ACCT_USER;
	else if (cmd->val64 == 1)
		ctx->acct_mode = ACCT_MM;
	else
		return (-EINVAL);
	return (0);
}

static int
option_huge_pages(struct ucmd *ucmd, struct iommu_option *cmd)
{
	struct ioas	*ioas;
	int		 rc;

	if ((rc = ioas_get(ucmd->ctx, cmd->object_id, &ioas)) != 0)
		return (rc);
	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = !ioas->iopt.disable_huge;
		return (0);
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return (-EOPNOTSUPP);
	if (cmd->val64 == 0)
		return (iopt_disable_huge_pages(&ioas->iopt));
	if (cmd->val64 == 1) {
		iopt_enable_huge_pages(&ioas->iopt);
		return (0);
	}
	return (-EINVAL);
}

int
option_ioctl(struct ucmd *ucmd)
{
	struct iommu_option	*cmd = ucmd->cmd_buf;
	int			 rc;

	if (cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = option_rlimit_mode(ucmd, cmd);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = option_huge_pages(ucmd, cmd);
		break;
	default:
		rc = -EOPNOTSUPP;
		break;
	}
	if (rc != 0)
		return (rc);
	return (ucmd_write(ucmd, ucmd->arg + offsetof(struct iommu_option,
	    val64), &cmd->val64, sizeof(cmd->val64)));
}
