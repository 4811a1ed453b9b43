/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * VFIO type1 on the /dev/iommu descriptor (spec 11), and IOMMU_VFIO_IOAS,
 * which picks the IOAS those commands act on (spec 1.4).
 *
 * The "compat IOAS" is ctx->vfio_ioas_id. It is a plain id, not a hold:
 * destroying that IOAS clears it (vfio_compat_ioas_destroyed()), so the
 * IOAS stays destroyable while it is the compat one, as in the kernel.
 *
 * Every ioctl number below the iommufd range, and every number past the
 * dispatcher's table, comes here. Unknown ones are ENOTTY, like the
 * kernel's ENOIOCTLCMD.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <stdint.h>

#include "ctx.h"
#include "ioctl.h"
#include "objs.h"
#include "ucmd.h"
#include "util.h"

#include <linux/iommufd.h>
#include <linux/vfio.h>

void
vfio_compat_ioas_destroyed(struct ctx *ctx, uint32_t id)
{
	if (ctx->vfio_ioas_id == id)
		ctx->vfio_ioas_id = 0;
}

/* The compat IOAS, or -ENODEV when none is set. */
static int
vfio_compat_get_ioas(struct ctx *ctx, struct obj **objp)
{
	if (ctx->vfio_ioas_id == 0 ||
	    (*objp = obj_find(ctx, ctx->vfio_ioas_id, OBJ_IOAS)) == NULL)
		return (-ENODEV);
	return (0);
}

/* IOMMU_VFIO_IOAS. */
int
vfio_ioctl_ioas(struct ucmd *ucmd)
{
	struct iommu_vfio_ioas	*cmd = ucmd->cmd_buf;
	struct obj		*ioas;
	int			 rc;

	if (cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		if ((rc = vfio_compat_get_ioas(ucmd->ctx, &ioas)) != 0)
			return (rc);
		cmd->ioas_id = ioas->id;
		return (ucmd_respond(ucmd, sizeof(*cmd)));
	case IOMMU_VFIO_IOAS_SET:
		rc = obj_get(ucmd->ctx, cmd->ioas_id, OBJ_IOAS, &ioas);
		if (rc != 0)
			return (rc);
		ucmd->ctx->vfio_ioas_id = ioas->id;
		return (0);
	case IOMMU_VFIO_IOAS_CLEAR:
		ucmd->ctx->vfio_ioas_id = 0;
		return (0);
	default:
		return (-EOPNOTSUPP);
	}
}

/*
 * VFIO_DMA_CC_IOMMU: 1 when every paging HWPT of the compat IOAS keeps DMA
 * cache coherent (so also with none), else 0.
 */
static int
vfio_compat_cc(struct ctx *ctx)
{
	struct hwpt_paging	*hwpt;
	struct obj		*ioas, *obj;
	int			 rc;

	if ((rc = vfio_compat_get_ioas(ctx, &ioas)) != 0)
		return (rc);
	CTX_FOREACH_OBJ(obj, ctx) {
		if (obj->state != OBJ_LIVE || obj->type != OBJ_HWPT_PAGING)
			continue;
		hwpt = container_of(obj, struct hwpt_paging, obj);
		if (hwpt->ioas == ioas && !hwpt->enforce_cc)
			return (0);
	}
	return (1);
}

static int
vfio_compat_check_extension(struct ctx *ctx, uint64_t type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return (1);
	case VFIO_DMA_CC_IOMMU:
		return (vfio_compat_cc(ctx));
	default:
		/* NESTING, UPDATE_VADDR, NOIOMMU and unknown ones. */
		return (0);
	}
}

static int
vfio_compat_set_iommu(struct ctx *ctx, uint64_t type)
{
	struct obj	*ioas;
	int		 rc;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return (-EINVAL);
	if ((rc = vfio_compat_get_ioas(ctx, &ioas)) != 0)
		return (rc);
	if (type == VFIO_TYPE1v2_IOMMU)
		return (0);
	/*
	 * Type1 v1 may unmap inside a mapping, which large IOPTEs cannot
	 * split; it needs the IOAS's large pages off (io page table work).
	 */
	return (-EOPNOTSUPP);
}

static int
vfio_compat_get_info(struct ucmd *ucmd)
{
	struct vfio_iommu_type1_info	 info;
	const size_t			 minsz = offsetofend(
					    struct vfio_iommu_type1_info,
					    iova_pgsizes);
	struct obj			*ioas;
	int				 rc;

	if (ucmd_read(ucmd, ucmd->arg, &info, minsz) != 0)
		return (-EFAULT);
	if (info.argsz < minsz)
		return (-EINVAL);
	if ((rc = vfio_compat_get_ioas(ucmd->ctx, &ioas)) != 0)
		return (rc);
	/* Page sizes and the capability chain come from the io page table. */
	return (-EOPNOTSUPP);
}

static int
vfio_compat_map_dma(struct ucmd *ucmd)
{
	struct vfio_iommu_type1_dma_map	 map;
	const size_t			 minsz = offsetofend(
					    struct vfio_iommu_type1_dma_map,
					    size);
	struct obj			*ioas;
	int				 rc;

	if (ucmd_read(ucmd, ucmd->arg, &map, minsz) != 0)
		return (-EFAULT);
	if (map.argsz < minsz ||
	    (map.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return (-EINVAL);
	if ((rc = vfio_compat_get_ioas(ucmd->ctx, &ioas)) != 0)
		return (rc);
	/* A fixed-IOVA map charged the VFIO way: io page table work. */
	return (-EOPNOTSUPP);
}

static int
vfio_compat_unmap_dma(struct ucmd *ucmd)
{
	struct vfio_iommu_type1_dma_unmap	 unmap;
	const size_t				 minsz = offsetofend(
						    struct
						    vfio_iommu_type1_dma_unmap,
						    size);
	struct obj				*ioas;
	int					 rc;

	if (ucmd_read(ucmd, ucmd->arg, &unmap, minsz) != 0)
		return (-EFAULT);
	if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return (-EINVAL);
	if ((rc = vfio_compat_get_ioas(ucmd->ctx, &ioas)) != 0)
		return (rc);
	if ((unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) &&
	    (unmap.iova != 0 || unmap.size != 0))
		return (-EINVAL);
	/* Removing the areas: io page table work. */
	return (-EOPNOTSUPP);
}

/* The VFIO type1 container commands (spec 11). */
int
vfio_compat_ioctl(struct ucmd *ucmd)
{
	switch (ucmd->cmd) {
	case VFIO_GET_API_VERSION:
		return (VFIO_API_VERSION);
	case VFIO_CHECK_EXTENSION:
		return (vfio_compat_check_extension(ucmd->ctx, ucmd->arg));
	case VFIO_SET_IOMMU:
		return (vfio_compat_set_iommu(ucmd->ctx, ucmd->arg));
	case VFIO_IOMMU_GET_INFO:
		return (vfio_compat_get_info(ucmd));
	case VFIO_IOMMU_MAP_DMA:
		return (vfio_compat_map_dma(ucmd));
	case VFIO_IOMMU_UNMAP_DMA:
		return (vfio_compat_unmap_dma(ucmd));
	default:
		/* VFIO_IOMMU_DIRTY_PAGES included. */
		return (-ENOTTY);
	}
}
