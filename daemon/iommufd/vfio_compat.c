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
#include <string.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"

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
	/*
	 * Type1 v1 may unmap inside a mapping, which large IOPTEs cannot
	 * split, so it turns the IOAS's large pages off.
	 */
	if (type == VFIO_TYPE1_IOMMU)
		return (iopt_disable_huge_pages(ioas_iopt(ioas)));
	return (0);
}

/*
 * The page sizes every domain of the IOAS supports, never below a page
 * nor below the IOAS alignment.
 */
static uint64_t
vfio_compat_pgsizes(struct ctx *ctx, struct obj *ioas)
{
	struct hwpt_paging	*hwpt;
	struct obj		*obj;
	uint64_t		 pgsizes = UINT64_MAX;

	CTX_FOREACH_OBJ(obj, ctx) {
		if (obj->state != OBJ_LIVE || obj->type != OBJ_HWPT_PAGING)
			continue;
		hwpt = container_of(obj, struct hwpt_paging, obj);
		if (hwpt->ioas == ioas)
			pgsizes &= hwpt->pgsize_bitmap;
	}
	if (pgsizes & (IOPT_PAGE_SIZE - 1)) {
		pgsizes &= ~(IOPT_PAGE_SIZE - 1);
		pgsizes |= IOPT_PAGE_SIZE;
	}
	return (MAX(pgsizes, ioas_iopt(ioas)->iova_alignment));
}

/*
 * Writing a capability of the GET_INFO chain: uaddr is where it starts,
 * avail how many bytes the caller has from there (0: none, only count).
 */
struct vfio_compat_cap {
	struct ucmd	*ucmd;
	uint64_t	 uaddr;
	uint64_t	 avail;
	uint32_t	 n;
};

static int
vfio_compat_cap_dma_avail(struct vfio_compat_cap *c, struct obj *ioas __unused)
{
	struct vfio_iommu_type1_info_dma_avail	 cap = {
		.header = {
			.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
			.version = 1,
		},
		/* Limits come from the memlock accounting, not a count. */
		.avail = UINT32_MAX,
	};

	if (c->avail >= sizeof(cap) &&
	    ucmd_write(c->ucmd, c->uaddr, &cap, sizeof(cap)) != 0)
		return (-EFAULT);
	return (sizeof(cap));
}

static int
vfio_compat_hole(void *arg, uint64_t start, uint64_t last)
{
	struct vfio_compat_cap	*c = arg;
	struct vfio_iova_range	 range = { .start = start, .end = last };
	uint64_t		 off;

	off = sizeof(struct vfio_iommu_type1_info_cap_iova_range) +
	    (uint64_t)c->n * sizeof(range);
	if (c->avail >= off + sizeof(range) &&
	    ucmd_write(c->ucmd, c->uaddr + off, &range, sizeof(range)) != 0)
		return (-EFAULT);
	c->n++;
	return (0);
}

static int
vfio_compat_cap_iova(struct vfio_compat_cap *c, struct obj *ioas)
{
	struct vfio_iommu_type1_info_cap_iova_range	 cap = {
		.header = {
			.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			.version = 1,
		},
	};
	uint64_t					 len;
	int						 rc;

	c->n = 0;
	if ((rc = iopt_for_each_hole(ioas_iopt(ioas), vfio_compat_hole,
	    c)) != 0)
		return (rc);
	cap.nr_iovas = c->n;
	len = sizeof(cap) + (uint64_t)c->n * sizeof(struct vfio_iova_range);
	if (c->avail >= len &&
	    ucmd_write(c->ucmd, c->uaddr, &cap, sizeof(cap)) != 0)
		return (-EFAULT);
	return (len);
}

/*
 * VFIO_IOMMU_GET_INFO: the info struct and a chain of two capabilities,
 * DMA_AVAIL then IOVA_RANGE. Capabilities are written only where they
 * fit within argsz; argsz comes back as the size of the whole chain, and
 * cap_offset is set only when all of it fitted.
 */
static int
vfio_compat_get_info(struct ucmd *ucmd)
{
	static int	(*const fill[])(struct vfio_compat_cap *,
			    struct obj *) = {
		vfio_compat_cap_dma_avail,
		vfio_compat_cap_iova,
	};
	struct vfio_iommu_type1_info	 info;
	const size_t			 minsz = offsetofend(
					    struct vfio_iommu_type1_info,
					    iova_pgsizes);
	struct vfio_compat_cap		 c = { .ucmd = ucmd };
	struct obj			*ioas;
	uint64_t			 total, last_cap = 0;
	uint32_t			 next;
	size_t				 i, outsz;
	int				 rc, len;

	memset(&info, 0, sizeof(info));
	if (ucmd_read(ucmd, ucmd->arg, &info, minsz) != 0)
		return (-EFAULT);
	if (info.argsz < minsz)
		return (-EINVAL);
	outsz = MIN(info.argsz, sizeof(info));
	if ((rc = vfio_compat_get_ioas(ucmd->ctx, &ioas)) != 0)
		return (rc);

	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = vfio_compat_pgsizes(ucmd->ctx, ioas);
	info.cap_offset = 0;
	total = sizeof(info);
	for (i = 0; i < nitems(fill); i++) {
		c.uaddr = ucmd->arg + total;
		c.avail = info.argsz > total ? info.argsz - total : 0;
		if ((len = fill[i](&c, ioas)) < 0)
			return (len);
		if (last_cap != 0 && info.argsz >= total) {
			next = total;
			if (ucmd_write(ucmd, last_cap + offsetof(
			    struct vfio_info_cap_header, next), &next,
			    sizeof(next)) != 0)
				return (-EFAULT);
		}
		last_cap = ucmd->arg + total;
		total += ALIGN_UP((uint64_t)len, sizeof(uint64_t));
	}
	if (info.argsz >= total)
		info.cap_offset = sizeof(info);
	info.argsz = total;
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	if (ucmd_write(ucmd, ucmd->arg, &info, outsz) != 0)
		return (-EFAULT);
	return (0);
}

static int
vfio_compat_map_dma(struct ucmd *ucmd)
{
	struct vfio_iommu_type1_dma_map	 map;
	const size_t			 minsz = offsetofend(
					    struct vfio_iommu_type1_dma_map,
					    size);
	struct obj			*obj;
	uint64_t			 iova;
	uint32_t			 flags = IOMMU_IOAS_MAP_FIXED_IOVA;
	int				 rc;

	if (ucmd_read(ucmd, ucmd->arg, &map, minsz) != 0)
		return (-EFAULT);
	if (map.argsz < minsz ||
	    (map.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
		return (-EINVAL);
	if ((rc = vfio_compat_get_ioas(ucmd->ctx, &obj)) != 0)
		return (rc);
	/*
	 * Always at the given IOVA. Unlike IOMMU_IOAS_MAP, a map with
	 * neither READ nor WRITE is accepted, as the kernel does; nothing
	 * is written back.
	 */
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		flags |= IOMMU_IOAS_MAP_READABLE;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		flags |= IOMMU_IOAS_MAP_WRITEABLE;
	iova = map.iova;
	return (ioas_map_user(ucmd, container_of(obj, struct ioas, obj),
	    map.vaddr, map.size, &iova, flags));
}

/*
 * Unmap for type1: unlike IOMMU_IOAS_UNMAP, a range with nothing mapped in
 * it is not an error here, it unmaps 0 bytes.
 */
static int
vfio_compat_unmap(struct iopt *iopt, uint64_t iova, uint64_t size,
    uint64_t *unmapped)
{
	int	 rc;

	rc = iopt_unmap(iopt, iova, size, unmapped);
	if (rc == -ENOENT && iopt_area_first(iopt, iova, iova + size - 1) ==
	    NULL)
		rc = 0;
	return (rc);
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
	struct iopt				*iopt;
	uint64_t				 unmapped;
	int					 rc;

	if (ucmd_read(ucmd, ucmd->arg, &unmap, minsz) != 0)
		return (-EFAULT);
	if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return (-EINVAL);
	if ((rc = vfio_compat_get_ioas(ucmd->ctx, &ioas)) != 0)
		return (rc);
	iopt = ioas_iopt(ioas);
	unmapped = 0;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova != 0 || unmap.size != 0)
			return (-EINVAL);
		rc = iopt_unmap_all(iopt, &unmapped);
	} else {
		/*
		 * With large pages off (type1 v1, or HUGE_PAGES 0) the areas
		 * are first cut at the range's last byte and just before
		 * its start, so that a partial unmap works. As in the
		 * kernel, a cut that fails ends the call without a reply,
		 * and a first cut that succeeded stays.
		 */
		if (iopt->disable_huge) {
			rc = iopt_cut(iopt, unmap.iova + unmap.size - 1);
			if (rc == 0 && unmap.iova != 0)
				rc = iopt_cut(iopt, unmap.iova - 1);
			if (rc != 0)
				return (rc);
		}
		rc = vfio_compat_unmap(iopt, unmap.iova, unmap.size,
		    &unmapped);
	}
	unmap.size = unmapped;
	if (ucmd_write(ucmd, ucmd->arg, &unmap, minsz) != 0)
		return (-EFAULT);
	return (rc);
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
