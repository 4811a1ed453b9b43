/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The HW queue object kind: a guest-owned hardware queue in the nesting
 * parent's memory; its ops and IOMMU_HW_QUEUE_ALLOC (spec 7.3).
 *
 * Memory. The queue's range is an IOVA range of the IOAS under its
 * vIOMMU's nesting parent. The kernel pins it through an internal access;
 * here the queue is that access: a lazy pinner of the IOAS's io page
 * table (page alignment, as an access raises it), holding a reference and
 * a pin on the pages object of every area under the range, page aligned
 * outwards. Its pinner's busy op locks those areas, so an UNMAP touching
 * one answers EBUSY until the queue goes. (A user-space daemon cannot see
 * physical addresses: the kernel's EFAULT for memory that is not
 * physically contiguous is never answered.)
 *
 * Order. The hardware model says how many queues of a type a vIOMMU may
 * have and whether they are ordered: then queue n needs queue n - 1
 * (EIO without it) and holds it, so queues go in descending order (DESTROY
 * of a lower one is EBUSY). Queues are on their vIOMMU's list for the
 * index lookups; the list holds nothing, each queue holds its vIOMMU.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "core/ctx.h"
#include "core/inject.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "hw/hw.h"
#include "iommufd/describe.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"

#include <linux/iommufd.h>

/* An area overlapping the queue's pinned range is locked. */
static int
hw_queue_busy(struct iopt_pinner *p, uint64_t iova, uint64_t last)
{
	struct hw_queue	*hwq = container_of(p, struct hw_queue, pinner);

	return (hwq->npages != 0 && iova <= hwq->base + (hwq->length - 1) &&
	    last >= hwq->base);
}

static const struct iopt_pinner_ops hw_queue_pinner_ops = {
	.busy = hw_queue_busy,
};

/* Drop the pins and the pinner: the range can be unmapped again. */
static void
hw_queue_unpin(struct hw_queue *hwq)
{
	size_t	 i;

	for (i = 0; i < hwq->npages; i++) {
		pages_unpin(hwq->pages[i]);
		pages_put(hwq->pages[i]);
	}
	free(hwq->pages);
	hwq->pages = NULL;
	hwq->npages = 0;
	if (hwq->iopt != NULL)
		iopt_remove_pinner(hwq->iopt, &hwq->pinner);
	hwq->iopt = NULL;
}

/* Also the abort of a half-made queue: each step undoes only its own. */
static void
hw_queue_destroy(struct obj *obj)
{
	struct hw_queue	*hwq = container_of(obj, struct hw_queue, obj);

	if (hwq->on_viommu)
		LIST_REMOVE(hwq, viommu_entry);
	hwq->on_viommu = 0;
	if (hwq->prev != NULL)
		obj_drop(hwq->prev);
	hw_queue_unpin(hwq);
	if (hwq->viommu != NULL)
		obj_drop(hwq->viommu);
}

/* "viommu", "index", "iova" and "length" (the pinned pages). */
static json_t *
hw_queue_describe(struct obj *obj)
{
	struct hw_queue	*hwq = container_of(obj, struct hw_queue, obj);
	json_t		*o;

	if ((o = describe_holder(hwq->viommu, "viommu", 0)) == NULL)
		return (NULL);
	if (describe_set(o, "index", json_integer(hwq->index)) != 0 ||
	    describe_set(o, "iova", describe_hex(hwq->base)) != 0 ||
	    describe_set(o, "length", json_integer((json_int_t)
	    hwq->length)) != 0) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

const struct obj_ops hw_queue_ops = {
	.name = "hw_queue",
	.size = sizeof(struct hw_queue),
	.destroy = hw_queue_destroy,
	.describe = hw_queue_describe,
};

/*
 * Pin [base, base + length) of iopt (page aligned) for the queue, as the
 * kernel's internal access does: join the pinners (its alignment errors),
 * then every byte must be mapped (ENOENT), and each area's pages object
 * is held and pinned. The walk is bounded by the areas, whatever the
 * length. On failure the queue holds nothing of it.
 */
static int
hw_queue_pin(struct hw_queue *hwq, struct iopt *iopt, uint64_t base,
    uint64_t length)
{
	struct iopt_area	*a;
	uint64_t		 last = base + (length - 1), cur = base;
	size_t			 n = 0;
	int			 rc;

	hwq->pinner.alignment = PAGES_PAGE_SIZE;
	hwq->pinner.flags = IOPT_PINNER_LAZY;
	hwq->pinner.ops = &hw_queue_pinner_ops;
	if ((rc = iopt_add_pinner(iopt, &hwq->pinner)) != 0)
		return (rc);
	hwq->iopt = iopt;
	for (a = iopt_area_first(iopt, base, last); a != NULL;
	    a = iopt_area_next(iopt, a)) {
		if (a->iova > cur)
			break;
		n++;
		if (a->last >= last)
			break;
		cur = a->last + 1;
	}
	if (a == NULL || a->iova > cur) {
		hw_queue_unpin(hwq);
		return (-ENOENT);
	}
	if ((hwq->pages = inject_calloc(n, sizeof(hwq->pages[0]))) == NULL) {
		hw_queue_unpin(hwq);
		return (-ENOMEM);
	}
	a = iopt_area_first(iopt, base, last);
	for (; hwq->npages < n; a = iopt_area_next(iopt, a)) {
		if ((rc = pages_pin(iopt_area_pages(a))) != 0) {
			hw_queue_unpin(hwq);
			return (rc);
		}
		hwq->pages[hwq->npages] = iopt_area_pages(a);
		pages_hold(hwq->pages[hwq->npages]);
		hwq->npages++;
	}
	hwq->base = base;
	hwq->length = length;
	return (0);
}

static struct hw_queue *
hw_queue_find(struct viommu *viommu, uint32_t index)
{
	struct hw_queue	*hwq;

	LIST_FOREACH(hwq, &viommu->hw_queues, viommu_entry) {
		if (hwq->index == index)
			return (hwq);
	}
	return (NULL);
}

/*
 * IOMMU_HW_QUEUE_ALLOC (spec 7.3), in the kernel's order: the arguments
 * (EOPNOTSUPP, EINVAL, EOVERFLOW), the vIOMMU (ENOENT) and whether its
 * hardware has the type (EOPNOTSUPP), the memory (ERANGE for a range
 * whose pages wrap, ENOENT where it is not mapped), then the model's
 * index rules (EINVAL past its count, EEXIST, EIO without the queue
 * before it). The caller's struct is read whole before anything is made.
 */
int
hw_queue_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_hw_queue_alloc	*cmd = ucmd->cmd_buf;
	const struct hw_model_ops	*ops;
	struct hwpt_paging		*parent;
	struct hw_queue			*hwq, *prev = NULL;
	struct viommu			*viommu;
	struct obj			*vobj, *obj;
	uint64_t			 iova = cmd->nesting_parent_iova;
	uint64_t			 base, len;
	unsigned int			 nqueues;
	int				 ordered, rc;

	if (cmd->flags != 0 || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
		return (-EOPNOTSUPP);
	if (cmd->length == 0)
		return (-EINVAL);
	if (u64_range_overflows(iova, cmd->length))
		return (-EOVERFLOW);
	if ((rc = obj_get(ucmd->ctx, cmd->viommu_id, OBJ_VIOMMU, &vobj)) != 0)
		return (rc);
	viommu = container_of(vobj, struct viommu, obj);
	ops = viommu->hw->ops;
	if (ops->hw_queue_type == NULL ||
	    ops->hw_queue_type(viommu->type, cmd->type, &nqueues,
	    &ordered) != 0)
		return (-EOPNOTSUPP);
	/* The whole pages under the range; the last one must not wrap. */
	base = ALIGN_DOWN(iova, PAGES_PAGE_SIZE);
	len = (iova - base) + cmd->length;
	if (len < cmd->length || len + (PAGES_PAGE_SIZE - 1) < len)
		return (-ERANGE);
	len = ALIGN_DOWN(len + (PAGES_PAGE_SIZE - 1), PAGES_PAGE_SIZE);
	if (viommu->parent == NULL)
		return (-ENOENT);
	parent = container_of(viommu->parent, struct hwpt_paging, obj);

	if ((rc = obj_alloc(ucmd->ctx, OBJ_HW_QUEUE, &obj)) != 0)
		return (rc);
	hwq = container_of(obj, struct hw_queue, obj);
	if ((rc = hw_queue_pin(hwq, ioas_iopt(parent->ioas), base, len)) != 0)
		goto fail;
	if (cmd->index >= nqueues) {
		rc = -EINVAL;
		goto fail;
	}
	if (hw_queue_find(viommu, cmd->index) != NULL) {
		rc = -EEXIST;
		goto fail;
	}
	if (ordered && cmd->index > 0 &&
	    (prev = hw_queue_find(viommu, cmd->index - 1)) == NULL) {
		rc = -EIO;
		goto fail;
	}
	obj_hold(vobj);
	hwq->viommu = vobj;
	hwq->index = cmd->index;
	if (prev != NULL) {
		obj_hold(&prev->obj);
		hwq->prev = &prev->obj;
	}
	LIST_INSERT_HEAD(&viommu->hw_queues, hwq, viommu_entry);
	hwq->on_viommu = 1;
	cmd->out_hw_queue_id = obj->id;
	if ((rc = ucmd_respond(ucmd, sizeof(*cmd))) != 0)
		goto fail;
	ucmd_finalize(ucmd, obj);
	return (0);
fail:
	obj_abort(obj);
	return (rc);
}
