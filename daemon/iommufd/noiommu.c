/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Noiommu mode: the emulated physical address space (noiommu.h), the DMA
 * of noiommu devices through it, and IOMMU_IOAS_NOIOMMU_GET_PA.
 *
 * The counter of bases is the daemon's, shared by every context, so that
 * two programs never see the same physical address for different memory.
 * It only grows; at 2^63 it is spent and further objects get -ENOMEM
 * (more than a million terabyte mappings made over the daemon's life).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "hw/hw.h"
#include "iommufd/domain.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/noiommu.h"
#include "iommufd/pages.h"

#include <linux/iommufd.h>

#define NOIOMMU_PA_FIRST	(1ULL << 32)
#define NOIOMMU_PA_END		(1ULL << 63)

static uint64_t		noiommu_next = NOIOMMU_PA_FIRST;
static unsigned int	noiommu_shift = 12;

int
noiommu_set_granule(uint64_t g)
{
	if (g < NOIOMMU_GRANULE_MIN || g > NOIOMMU_GRANULE_MAX ||
	    (g & (g - 1)) != 0)
		return (-EINVAL);
	noiommu_shift = (unsigned int)__builtin_ctzll(g);
	return (0);
}

uint64_t
noiommu_granule(void)
{
	return (1ULL << noiommu_shift);
}

/*
 * Give p its base: blocks of the granule from p's first page, each
 * followed by a hole as large, then one more hole before the next
 * object's base.
 */
static int
noiommu_assign(struct pages *p)
{
	uint64_t	 g = 1ULL << noiommu_shift, nblocks, base;

	if (p->pa_base != 0)
		return (0);
	nblocks = p->size / g + (p->size % g != 0);
	/*
	 * Each base is aligned to the granule, like a huge page; END is
	 * too, and next never passes it, so base <= END.
	 */
	base = ALIGN_UP(noiommu_next, g);
	if (nblocks + 1 > (NOIOMMU_PA_END - base) / (2 * g))
		return (-ENOMEM);
	p->pa_base = base;
	p->pa_shift = (uint8_t)noiommu_shift;
	noiommu_next = base + (nblocks + 1) * 2 * g;
	return (0);
}

int
noiommu_pa(struct pages *p, uint64_t off, uint64_t *pa, uint64_t *contig)
{
	uint64_t	 g;
	int		 rc;

	if ((rc = noiommu_assign(p)) != 0)
		return (rc);
	g = 1ULL << p->pa_shift;
	*pa = p->pa_base + (off / g) * 2 * g + off % g;
	*contig = g - off % g;
	return (0);
}

/*
 * The byte of p at emulated physical address pa and the bytes
 * contiguous from there: 0, or -EFAULT when pa is not p's (before its
 * base, in a hole, past its end).
 */
static int
noiommu_pa_off(const struct pages *p, uint64_t pa, uint64_t *off,
    uint64_t *contig)
{
	uint64_t	 g, d;

	if (p->pa_base == 0 || pa < p->pa_base)
		return (-EFAULT);
	g = 1ULL << p->pa_shift;
	d = pa - p->pa_base;
	if (d % (2 * g) >= g)
		return (-EFAULT);
	*off = d / (2 * g) * g + d % (2 * g);
	if (*off >= p->size)
		return (-EFAULT);
	*contig = g - *off % g;
	return (0);
}

int
noiommu_dma_rw(struct domain *dom, uint64_t pa, void *buf, size_t len,
    int to_memory)
{
	struct iopt		*iopt;
	struct iopt_area	*a;
	struct pages		*p;
	uint64_t		 off, contig, end;
	unsigned int		 need = to_memory ? IOPT_WRITE : IOPT_READ;

	if (dom->ioas == NULL || len == 0)
		return (len == 0 ? 0 : -EFAULT);
	iopt = &dom->ioas->iopt;
	/*
	 * One step per area: the area that maps the bytes of the object
	 * the address belongs to, with the permission needed.
	 */
	for (a = iopt_area_first(iopt, 0, UINT64_MAX); a != NULL;
	    a = iopt_area_next(iopt, a)) {
		p = iopt_area_pages(a);
		if (pages_revoked(p) || noiommu_pa_off(p, pa, &off,
		    &contig) != 0)
			continue;
		if (len > contig)
			return (-EFAULT);
		end = a->pages_off + (a->last - a->iova);
		if (off < a->pages_off || off + (len - 1) > end ||
		    (iopt_area_prot(a) & need) != need)
			continue;
		return (pages_rw(p, off, buf, len, to_memory));
	}
	return (-EFAULT);
}

/*
 * The domain that holds an area's pages, as the kernel keeps one per
 * area: the oldest domain of the IOAS (pinners are listed newest first).
 */
static struct domain *
noiommu_storage_domain(struct iopt *iopt)
{
	struct iopt_pinner	*pn, *found = NULL;

	LIST_FOREACH(pn, &iopt->pinners, entry) {
		if (pn->flags & IOPT_PINNER_DOMAIN)
			found = pn;
	}
	return (found != NULL ? container_of(found, struct domain, pinner) :
	    NULL);
}

/*
 * IOMMU_IOAS_NOIOMMU_GET_PA (Linux 7.3), in its order of checks: the
 * caller's CAP_SYS_RAWIO (EPERM), flags and __reserved (EOPNOTSUPP),
 * length (EINVAL), iova below ULONG_MAX (EOVERFLOW), the IOAS (ENOENT);
 * then an area at iova (ENOENT), not a revoked dma-buf (EINVAL), held by
 * a noiommu domain (EOPNOTSUPP). length comes back as the bytes
 * contiguous from out_phys, within the area, at most what was asked.
 */
int
noiommu_ioctl_get_pa(struct ucmd *ucmd)
{
	struct iommu_ioas_noiommu_get_pa	*cmd = ucmd->cmd_buf;
	struct iopt_area			*a;
	struct domain				*dom;
	struct ioas				*ioas;
	uint64_t				 pa, contig, room;
	int					 rc;

	if ((ucmd->caller->caps & CALLER_CAP_SYS_RAWIO) == 0)
		return (-EPERM);
	if (cmd->flags != 0 || cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	if (cmd->length == 0)
		return (-EINVAL);
	if (cmd->iova >= UINT64_MAX)
		return (-EOVERFLOW);
	if ((rc = ioas_get(ucmd->ctx, cmd->ioas_id, &ioas)) != 0)
		return (rc);
	if ((a = iopt_area_find(&ioas->iopt, cmd->iova)) == NULL)
		return (-ENOENT);
	if (pages_revoked(iopt_area_pages(a)))
		return (-EINVAL);
	dom = noiommu_storage_domain(&ioas->iopt);
	if (dom == NULL || !hw_is_noiommu(dom->hw))
		return (-EOPNOTSUPP);
	if ((rc = noiommu_pa(iopt_area_pages(a), a->pages_off +
	    (cmd->iova - a->iova), &pa, &contig)) != 0)
		return (rc);
	room = a->last - cmd->iova + 1;
	if (room == 0)
		room = UINT64_MAX;
	if (contig > room)
		contig = room;
	if (contig > cmd->length)
		contig = cmd->length;
	cmd->out_phys = pa;
	cmd->length = contig;
	return (ucmd_respond(ucmd, sizeof(*cmd)));
}
