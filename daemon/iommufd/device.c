/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Devices bound to a context (device.h): binding, attach, replace and
 * detach of the RID and of PASIDs; and IOMMU_GET_HW_INFO, which reports
 * what the IOMMU behind a device can do, from its hardware model.
 *
 * A bound device object holds every HWPT it is attached to (one
 * hwpt_attach_hold() per attachment) and points at its emulated device,
 * whose bound pointer points back; destroying the object, however it
 * happens, detaches everything and clears both pointers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>
#include <bsd/sys/tree.h>

#include <jansson.h>

#include "conf.h"
#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/limit.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "hw/hw.h"
#include "iommufd/describe.h"
#include "iommufd/device.h"
#include "iommufd/dirty.h"
#include "iommufd/domain.h"
#include "iommufd/fault.h"
#include "iommufd/hwpt.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/noiommu.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"
#include "iommufd/pasid.h"
#include "iommufd/veventq.h"

#include <linux/iommufd.h>
#include "ioasidd_coherency.h"
#include "ioasidd_pasid.h"

/* One attached PASID (never DEVICE_NO_PASID: that is device.hwpt). */
struct device_pasid {
	RB_ENTRY(device_pasid)	 entry;
	uint32_t		 pasid;		/* the caller's: the vPASID */
	uint32_t		 ppasid;	/* on the wire (pasid.h) */
	int			 global;	/* ppasid held in pasid.h */
	struct obj		*hwpt;		/* held */
};

static int
device_pasid_cmp(struct device_pasid *a, struct device_pasid *b)
{
	return (a->pasid < b->pasid ? -1 : a->pasid > b->pasid);
}

RB_GENERATE_STATIC(device_pasid_tree, device_pasid, entry, device_pasid_cmp)

/*
 * A device may attach up to 2^width PASIDs; each entry is charged to the
 * context (limit.h) so that no caller grows the daemon without bound.
 */
#define DEVICE_PASID_BYTES	LIMIT_MALLOC(sizeof(struct device_pasid))

/* Free an entry, its pPASID with it. */
static void
device_pasid_free(struct device *dev, struct device_pasid *p)
{
	if (p->global)
		pasid_put(dev->obj.ctx, p->pasid);
	limit_uncharge(&dev->obj.ctx->lim, LIMIT_BYTES, 0, DEVICE_PASID_BYTES);
	free(p);
}

static struct device_pasid *
device_pasid_find(struct device *dev, uint32_t pasid)
{
	struct device_pasid	 key;

	key.pasid = pasid;
	return (RB_FIND(device_pasid_tree, &dev->pasids, &key));
}

/*
 * The reserved regions of a device's hardware (MSI windows...) are
 * reserved in the IOAS its RID is attached through, owned by the device
 * object, for as long as it is attached there.
 */
static int
device_reserve_one(void *arg, uint64_t start, uint64_t last)
{
	struct device	*dev = arg;

	return (iopt_reserve(&dev->resv_ioas->iopt, start, last, dev));
}

static int
device_reserve(struct device *dev, struct ioas *ioas)
{
	const struct hw_dev_desc	*desc = &dev->edev->desc;
	int				 rc;

	if (ioas == NULL || desc->hw->ops->reserved_regions == NULL)
		return (0);
	dev->resv_ioas = ioas;
	if ((rc = desc->hw->ops->reserved_regions(desc, device_reserve_one,
	    dev)) != 0)
		iopt_unreserve_owner(&ioas->iopt, dev);
	dev->resv_ioas = NULL;
	return (rc);
}

static void
device_unreserve(struct device *dev, struct ioas *ioas)
{
	if (ioas != NULL)
		iopt_unreserve_owner(&ioas->iopt, dev);
}

/*
 * An attachment of the device (its RID or a PASID) to a HWPT ends: the
 * page request groups that came through it and still wait in the HWPT's
 * fault queue are answered INVALID, as the kernel does on detach and
 * replace (spec 6.1).
 */
static void
device_fault_cancel(struct device *dev, struct obj *hwpt, uint32_t pasid)
{
	struct fault	*f;

	if ((f = hwpt_fault(hwpt)) != NULL)
		fault_cancel_attach(f, dev->obj.id, pasid);
}

/* What a device adds to its context's KVM view (struct ctx_coherency). */
#define DEVICE_CC_ATTACHED	0x1	/* the RID or a PASID is attached */
#define DEVICE_CC_NONCOHERENT	0x2	/* behind no snoop control */
#define DEVICE_CC_NOSNOOP	0x4	/* no-snoop DMA goes through */

/* The DEVICE_CC_* bits that describe the device now. */
static unsigned int
device_cc_state(struct device *dev)
{
	const struct hw_dev_desc	*desc;
	unsigned int			 st;

	if (dev->edev == NULL || (dev->hwpt == NULL && dev->npasids == 0))
		return (0);
	desc = &dev->edev->desc;
	st = DEVICE_CC_ATTACHED;
	/*
	 * kvm-vfio asks the device's IOMMU (IOMMU_CAP_ENFORCE_CACHE_
	 * COHERENCY), not the domain it is attached to.
	 */
	if (!hw_snoop_control(desc->hw))
		st |= DEVICE_CC_NONCOHERENT;
	if ((desc->flags & HW_DEV_NO_SNOOP) &&
	    (dev->hwpt == NULL || !hwpt_enforce_cc(dev->hwpt)))
		st |= DEVICE_CC_NOSNOOP;
	return (st);
}

/*
 * Bring the context's KVM view up to date with the device's attachments:
 * take out what the device counted for and put in what it counts for
 * now, and count a change of the context's answer.
 */
static void
device_cc_update(struct device *dev)
{
	struct ctx_coherency	*cc = &dev->obj.ctx->cc;
	unsigned int		 was = dev->cc_state, now = device_cc_state(dev);
	int			 before = cc->nnoncoherent != 0;

	if (was == now)
		return;
	if (was & DEVICE_CC_ATTACHED)
		cc->nattached--;
	if (was & DEVICE_CC_NONCOHERENT)
		cc->nnoncoherent--;
	if (was & DEVICE_CC_NOSNOOP)
		cc->nnosnoop--;
	if (now & DEVICE_CC_ATTACHED)
		cc->nattached++;
	if (now & DEVICE_CC_NONCOHERENT)
		cc->nnoncoherent++;
	if (now & DEVICE_CC_NOSNOOP)
		cc->nnosnoop++;
	if ((cc->nnoncoherent != 0) != before)
		cc->nchanges++;
	dev->cc_state = now;
}

/*
 * The unit's domain id for hwpt, taken by one more attachment of the
 * device (hw.h domain_id_get): 0, or -ENOSPC when the unit has none.
 */
static int
device_did_get(struct device *dev, struct obj *hwpt)
{
	const struct hw_instance	*hw = dev->edev->desc.hw;

	if (hw->ops->domain_id_get == NULL || hw->ops->domain_id_put == NULL)
		return (0);
	return (hw->ops->domain_id_get(hw, hwpt));
}

/* Drop what device_did_get() took for one attachment to hwpt. */
static void
device_did_put(struct device *dev, struct obj *hwpt)
{
	const struct hw_instance	*hw = dev->edev->desc.hw;

	if (hw->ops->domain_id_get != NULL && hw->ops->domain_id_put != NULL)
		hw->ops->domain_id_put(hw, hwpt);
}

/*
 * Runs on unbind, on DESTROY of nothing else (the binder's hold makes
 * DESTROY EBUSY) and at the context's teardown.
 */
static void
device_destroy(struct obj *obj)
{
	struct device		*dev = container_of(obj, struct device, obj);
	struct device_pasid	*p;

	/* A live vDEVICE of the device becomes a tombstone. */
	if (dev->vdevice != NULL) {
		if (dev->vdevice->state == OBJ_LIVE &&
		    dev->vdevice->users == 1)
			obj_tombstone(dev->vdevice);
		else
			container_of(dev->vdevice, struct vdevice,
			    obj)->dev = NULL;
		dev->vdevice = NULL;
	}
	while ((p = RB_MIN(device_pasid_tree, &dev->pasids)) != NULL) {
		RB_REMOVE(device_pasid_tree, &dev->pasids, p);
		device_fault_cancel(dev, p->hwpt, p->pasid);
		device_did_put(dev, p->hwpt);
		hwpt_attach_drop(p->hwpt);
		device_pasid_free(dev, p);
	}
	dev->npasids = 0;
	if (dev->hwpt != NULL) {
		device_fault_cancel(dev, dev->hwpt, DEVICE_NO_PASID);
		device_unreserve(dev, hwpt_ioas(dev->hwpt));
		device_did_put(dev, dev->hwpt);
		hwpt_attach_drop(dev->hwpt);
		dev->hwpt = NULL;
	}
	device_cc_update(dev);
	if (dev->edev != NULL) {
		dev->edev->bound = NULL;
		dev->edev = NULL;
	}
}

/*
 * "hwpt" (the RID's), "name", "rid", "model" (the instance),
 * "pasids" (how many are attached) and "pasid_policy"; the emulated DMA it made:
 * "dma_ops" and "dma_bytes" that succeeded, "dma_errors" that failed.
 */
static json_t *
device_describe(struct obj *obj)
{
	struct device	*dev = container_of(obj, struct device, obj);
	json_t		*o;

	if ((o = describe_holder(dev->hwpt, "hwpt", 0)) == NULL)
		return (NULL);
	if (dev->edev != NULL &&
	    (describe_set(o, "name", json_string(dev->edev->name)) != 0 ||
	    describe_set(o, "rid", json_integer(dev->edev->desc.rid)) != 0 ||
	    describe_set(o, "model",
	    json_string(dev->edev->desc.hw->name)) != 0))
		goto fail;
	if (describe_set(o, "pasids", json_integer(dev->npasids)) != 0)
		goto fail;
	if (dev->edev != NULL && describe_set(o, "pasid_policy",
	    json_string(dev->edev->pasid_policy == CONF_PASID_GLOBAL ?
	    "global" : "per-rid")) != 0)
		goto fail;
	if (describe_set(o, "dma_ops", json_integer(dev->dma_ops)) != 0 ||
	    describe_set(o, "dma_bytes", json_integer(dev->dma_bytes)) != 0 ||
	    describe_set(o, "dma_errors", json_integer(dev->dma_errors)) != 0)
		goto fail;
	return (o);
fail:
	json_decref(o);
	return (NULL);
}

const struct obj_ops device_ops = {
	.name = "device",
	.size = sizeof(struct device),
	.destroy = device_destroy,
	.describe = device_describe,
};

void
device_edev_init(struct edev *edev, const char *name,
    const struct hw_instance *hw, uint32_t rid, unsigned int pasid_width,
    unsigned int flags)
{
	memset(edev, 0, sizeof(*edev));
	strlcpy(edev->name, name, sizeof(edev->name));
	edev->desc.hw = hw;
	edev->desc.rid = rid;
	edev->desc.pasid_width = pasid_width;
	edev->desc.flags = flags;
	if (hw->ops->dev_cache_init != NULL)
		hw->ops->dev_cache_init(&edev->desc, &edev->cache);
}

int
device_bind(struct ctx *ctx, struct edev *edev, struct device **devp,
    uint32_t *out_dev_id)
{
	struct device	*dev;
	struct obj	*obj;
	int		 rc;

	if (edev->bound != NULL)
		return (-EBUSY);
	if ((rc = obj_alloc(ctx, OBJ_DEVICE, &obj)) != 0)
		return (rc);
	dev = container_of(obj, struct device, obj);
	RB_INIT(&dev->pasids);
	dev->edev = edev;
	edev->bound = dev;
	if (edev->desc.hw->ops->dev_cache_init != NULL)
		edev->desc.hw->ops->dev_cache_init(&edev->desc, &edev->cache);
	obj_finalize(obj);
	obj_hold(obj);
	*devp = dev;
	if (out_dev_id != NULL)
		*out_dev_id = obj->id;
	return (0);
}

void
device_unbind(struct device *dev)
{
	obj_destroy_held(&dev->obj);
}

/*
 * A nested HWPT on a vIOMMU takes only devices that have a vDEVICE on
 * that vIOMMU (ENOENT otherwise, as the mock driver answers), unless
 * the model decides with nested_attach_check.
 */
static int
device_viommu_check(struct device *dev, struct obj *hwpt)
{
	const struct hw_model_ops	*ops = dev->edev->desc.hw->ops;
	struct obj			*viommu = hwpt_viommu(hwpt);
	int				 has;

	if (viommu == NULL)
		return (0);
	has = dev->vdevice != NULL && container_of(dev->vdevice,
	    struct vdevice, obj)->viommu == viommu;
	if (ops->nested_attach_check != NULL)
		return (ops->nested_attach_check(&dev->edev->desc,
		    &container_of(hwpt, struct hwpt_nested, obj)->nested,
		    has));
	return (has ? 0 : -ENOENT);
}

/*
 * The HWPT a RID attach to obj would use: obj itself, or for an IOAS an
 * auto domain that takes the device (EINVAL from the check means
 * "incompatible, try the next"), or a new one. *made says the HWPT was
 * made here and is still reserved.
 */
static int
device_resolve(struct device *dev, struct obj *obj, struct obj **hwptp,
    int *made)
{
	const struct hw_dev_desc	*desc = &dev->edev->desc;
	struct ioas			*ioas;
	struct hwpt_paging		*h;
	int				 rc;

	*made = 0;
	switch (obj->type) {
	case OBJ_IOAS:
		ioas = container_of(obj, struct ioas, obj);
		/* The current auto domain of this IOAS, if any, first. */
		if (dev->hwpt != NULL && hwpt_is_auto_of(dev->hwpt, ioas)) {
			*hwptp = dev->hwpt;
			return (0);
		}
		/* Then the others, oldest first, as the kernel tries them. */
		TAILQ_FOREACH(h, &ioas->auto_hwpts, auto_entry) {
			if (h->obj.state != OBJ_LIVE)
				continue;
			rc = hwpt_attach_check(&h->obj, desc);
			if (rc == 0) {
				*hwptp = &h->obj;
				return (0);
			}
			if (rc != -EINVAL)
				return (rc);
		}
		if ((rc = hwpt_paging_new(obj->ctx, desc, ioas, 0, NULL, 1,
		    &h)) != 0)
			return (rc);
		if ((rc = hwpt_attach_check(&h->obj, desc)) != 0) {
			obj_abort(&h->obj);
			return (rc);
		}
		*hwptp = &h->obj;
		*made = 1;
		return (0);
	case OBJ_HWPT_PAGING:
	case OBJ_HWPT_NESTED:
		if ((rc = device_viommu_check(dev, obj)) != 0 ||
		    (rc = hwpt_attach_check(obj, desc)) != 0)
			return (rc);
		*hwptp = obj;
		return (0);
	default:
		return (-EINVAL);
	}
}

/* The PASID rules that do not depend on the target (spec 4.2). */
static int
device_pasid_ok(struct device *dev, uint32_t pasid)
{
	unsigned int	 width = dev->edev->desc.pasid_width;

	if (width == 0 || (width < 32 && pasid >= (1U << width)))
		return (-EINVAL);
	return (0);
}

/* The RID's attachment with the PASIDs it carries, or a PASID's target. */
static int
device_pasid_target(struct device *dev, struct obj *obj)
{
	int	 rc;

	if (obj->type != OBJ_HWPT_PAGING && obj->type != OBJ_HWPT_NESTED)
		return (-EINVAL);
	if ((rc = device_viommu_check(dev, obj)) != 0 ||
	    (rc = hwpt_attach_check(obj, &dev->edev->desc)) != 0)
		return (rc);
	if (!hwpt_pasid_compat(obj))
		return (-EINVAL);
	if (dev->hwpt != NULL && !hwpt_pasid_compat(dev->hwpt))
		return (-EINVAL);
	return (0);
}

static int
device_change(struct device *dev, uint32_t pasid, uint32_t *pt_id,
    int replace)
{
	struct device_pasid	*p = NULL;
	struct obj		*obj, *hwpt, **slot;
	int			 made, rc;

	if (dev->edev == NULL)
		return (-ENODEV);
	if (pasid != DEVICE_NO_PASID && (rc = device_pasid_ok(dev, pasid)) != 0)
		return (rc);
	if ((obj = obj_find(dev->obj.ctx, *pt_id, OBJ_ANY)) == NULL)
		return (-ENOENT);
	if (pasid == DEVICE_NO_PASID) {
		slot = &dev->hwpt;
		if (replace != (dev->hwpt != NULL))
			return (-EINVAL);
		if ((rc = device_resolve(dev, obj, &hwpt, &made)) != 0)
			return (rc);
		/* With PASIDs attached, the RID must stay PASID capable. */
		if (dev->npasids != 0 && !hwpt_pasid_compat(hwpt)) {
			if (made)
				obj_abort(hwpt);
			return (-EINVAL);
		}
		/* The unit's domain id, or ENOSPC as the driver's attach. */
		if (dev->hwpt != hwpt &&
		    (rc = device_did_get(dev, hwpt)) != 0) {
			if (made)
				obj_abort(hwpt);
			return (rc);
		}
		/* The device's own reserved regions go into the new IOAS. */
		if (hwpt_ioas(hwpt) != (dev->hwpt != NULL ?
		    hwpt_ioas(dev->hwpt) : NULL) &&
		    (rc = device_reserve(dev, hwpt_ioas(hwpt))) != 0) {
			if (dev->hwpt != hwpt)
				device_did_put(dev, hwpt);
			if (made)
				obj_abort(hwpt);
			return (rc);
		}
		if (made)
			obj_finalize(hwpt);
		if (dev->hwpt != NULL && dev->hwpt != hwpt &&
		    hwpt_ioas(dev->hwpt) != hwpt_ioas(hwpt))
			device_unreserve(dev, hwpt_ioas(dev->hwpt));
	} else {
		p = device_pasid_find(dev, pasid);
		if (!replace && p != NULL)
			return (-EBUSY);
		if (replace && p == NULL)
			return (-EINVAL);
		if ((rc = device_pasid_target(dev, obj)) != 0)
			return (rc);
		hwpt = obj;
		if ((p == NULL || p->hwpt != hwpt) &&
		    (rc = device_did_get(dev, hwpt)) != 0)
			return (rc);
		if (p == NULL) {
			if ((rc = limit_charge(&dev->obj.ctx->lim, LIMIT_BYTES,
			    0, DEVICE_PASID_BYTES)) != 0) {
				device_did_put(dev, hwpt);
				return (rc);
			}
			if ((p = calloc(1, sizeof(*p))) == NULL) {
				limit_uncharge(&dev->obj.ctx->lim, LIMIT_BYTES,
				    0, DEVICE_PASID_BYTES);
				device_did_put(dev, hwpt);
				return (-ENOMEM);
			}
			p->pasid = pasid;
			p->ppasid = pasid;
			/* A global device's pPASID, or ENOSPC. */
			if (dev->edev->pasid_policy == CONF_PASID_GLOBAL) {
				if ((rc = pasid_get(dev->obj.ctx, pasid,
				    dev->edev->desc.pasid_width,
				    &p->ppasid)) != 0) {
					free(p);
					limit_uncharge(&dev->obj.ctx->lim,
					    LIMIT_BYTES, 0,
					    DEVICE_PASID_BYTES);
					device_did_put(dev, hwpt);
					return (rc);
				}
				p->global = 1;
			}
			RB_INSERT(device_pasid_tree, &dev->pasids, p);
			dev->npasids++;
		}
		slot = &p->hwpt;
	}
	if (*slot != hwpt) {
		hwpt_attach_hold(hwpt);
		if (*slot != NULL) {
			device_fault_cancel(dev, *slot, pasid);
			device_did_put(dev, *slot);
			hwpt_attach_drop(*slot);
		}
		*slot = hwpt;
	}
	device_cc_update(dev);
	*pt_id = hwpt->id;
	return (0);
}

int
device_attach(struct device *dev, uint32_t pasid, uint32_t *pt_id)
{
	return (device_change(dev, pasid, pt_id, 0));
}

int
device_replace(struct device *dev, uint32_t pasid, uint32_t *pt_id)
{
	return (device_change(dev, pasid, pt_id, 1));
}

int
device_detach(struct device *dev, uint32_t pasid)
{
	struct device_pasid	*p;
	struct obj		*hwpt;

	if (pasid == DEVICE_NO_PASID) {
		if ((hwpt = dev->hwpt) == NULL)
			return (-EINVAL);
		dev->hwpt = NULL;
		device_fault_cancel(dev, hwpt, DEVICE_NO_PASID);
		device_unreserve(dev, hwpt_ioas(hwpt));
		device_did_put(dev, hwpt);
		hwpt_attach_drop(hwpt);
		device_cc_update(dev);
		return (0);
	}
	if ((p = device_pasid_find(dev, pasid)) == NULL)
		return (0);
	RB_REMOVE(device_pasid_tree, &dev->pasids, p);
	dev->npasids--;
	device_fault_cancel(dev, p->hwpt, pasid);
	device_did_put(dev, p->hwpt);
	hwpt_attach_drop(p->hwpt);
	device_pasid_free(dev, p);
	device_cc_update(dev);
	return (0);
}

/*
 * The HWPT a page request reaches, as the kernel routes it: a PASID's
 * own attachment; else, where the guest owns the PASID table, the RID's
 * nested domain; a request without PASID goes to the RID's.
 */
int
device_report_fault(struct device *dev,
    const struct iommu_hwpt_pgfault *recs, unsigned int n,
    fault_respond_fn *respond, void *arg)
{
	struct iommu_hwpt_pgfault	 copy[FAULT_MAX_RECORDS];
	struct device_pasid		*p;
	struct obj			*hwpt = NULL;
	struct fault			*f;
	uint32_t			 attach = DEVICE_NO_PASID;
	unsigned int			 i;

	if (dev->edev == NULL)
		return (-ENODEV);
	if (n == 0 || n > FAULT_MAX_RECORDS)
		return (-EINVAL);
	if (recs[0].flags & IOMMU_PGFAULT_FLAGS_PASID_VALID) {
		if ((p = device_pasid_find(dev, recs[0].pasid)) != NULL) {
			hwpt = p->hwpt;
			attach = p->pasid;
		} else if (dev->edev->desc.hw->ops->user_pasid_table &&
		    dev->hwpt != NULL && dev->hwpt->type == OBJ_HWPT_NESTED)
			hwpt = dev->hwpt;
	} else
		hwpt = dev->hwpt;
	if (hwpt == NULL || (f = hwpt_fault(hwpt)) == NULL)
		return (-ENODEV);
	memcpy(copy, recs, n * sizeof(recs[0]));
	for (i = 0; i < n; i++)
		copy[i].dev_id = dev->obj.id;
	return (fault_report_attach(f, attach, copy, n, respond, arg));
}

uint32_t
device_attached_id(struct device *dev, uint32_t pasid)
{
	struct device_pasid	*p;

	if (pasid == DEVICE_NO_PASID)
		return (dev->hwpt != NULL ? dev->hwpt->id : 0);
	p = device_pasid_find(dev, pasid);
	return (p != NULL ? p->hwpt->id : 0);
}

struct edev *
device_edev(struct device *dev)
{
	return (dev->edev);
}

struct obj *
device_obj(struct device *dev)
{
	return (&dev->obj);
}

/* IOMMU_GET_HW_INFO (spec 5.1). */
int
device_ioctl_get_hw_info(struct ucmd *ucmd)
{
	struct iommu_hw_info		*cmd = ucmd->cmd_buf;
	const struct hw_dev_desc	*desc;
	struct device			*dev;
	struct obj			*obj;
	uint8_t				 buf[HW_INFO_MAX];
	uint32_t			 in_type = IOMMU_HW_INFO_TYPE_DEFAULT;
	uint32_t			 out_type = IOMMU_HW_INFO_TYPE_NONE;
	size_t				 len = 0, n;
	int				 rc;

	if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return (-EOPNOTSUPP);
	if (cmd->__reserved[0] != 0 || cmd->__reserved[1] != 0 ||
	    cmd->__reserved[2] != 0)
		return (-EOPNOTSUPP);
	if ((rc = obj_get(ucmd->ctx, cmd->dev_id, OBJ_DEVICE, &obj)) != 0)
		return (rc);
	dev = container_of(obj, struct device, obj);
	if (dev->edev == NULL)
		return (-ENOENT);
	desc = &dev->edev->desc;
	/* 7.3: a noiommu device has no IOMMU to report on. */
	if (hw_is_noiommu(desc->hw))
		return (-EOPNOTSUPP);
	if (cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		in_type = cmd->in_data_type;
	memset(buf, 0, sizeof(buf));
	if (desc->hw->ops->hw_info != NULL) {
		if ((rc = desc->hw->ops->hw_info(desc, in_type, &out_type, buf,
		    &len)) != 0)
			return (rc);
	} else if (in_type != IOMMU_HW_INFO_TYPE_DEFAULT)
		return (-EOPNOTSUPP);
	/*
	 * min(data_len, len) bytes of the report, then zeros up to the
	 * caller's data_len; a zero length or pointer asks for none.
	 */
	if (cmd->data_len != 0 && cmd->data_uptr != 0) {
		n = cmd->data_len < len ? cmd->data_len : len;
		if (n != 0 && (rc = ucmd_write(ucmd, cmd->data_uptr, buf,
		    n)) != 0)
			return (rc);
		while (n < cmd->data_len) {
			size_t	 chunk = cmd->data_len - n;
			static const uint8_t zeros[65536];

			if (chunk > sizeof(zeros))
				chunk = sizeof(zeros);
			if ((rc = ucmd_write(ucmd, cmd->data_uptr + n, zeros,
			    chunk)) != 0)
				return (rc);
			n += chunk;
		}
	}
	cmd->data_len = len;
	cmd->out_data_type = out_type;
	cmd->out_capabilities = desc->hw->ops->capabilities != NULL ?
	    desc->hw->ops->capabilities(desc) : 0;
	cmd->out_max_pasid_log2 = desc->pasid_width;
	return (ucmd_respond(ucmd, sizeof(*cmd)));
}

/*
 * Emulated DMA. One walk checks the range and makes room for the dirty
 * bits a write will set; a second walk moves the bytes. Both cost one
 * step per area of the IOAS they meet, never one per page: the device
 * chooses the length, and a bus address range is refused at once if it
 * wraps. Nothing changes between the walks (the daemon has one thread),
 * so the second finds exactly the runs the first checked.
 */
struct device_dma {
	uint64_t		 next;		/* where the next run must start */
	struct dirty		*dirty;		/* marks a write, or NULL */
	uint8_t			*buf;
	uint64_t		 iova;
	unsigned int		 prot;		/* needed: IOPT_READ, _WRITE */
	int			 to_memory;
};

/*
 * The span of IOPTEs a run of a domain meets: from the first byte's
 * IOPTE to the last's, all mapped since the run is.
 */
static int
device_dma_iopte_span(struct dirty *d, const struct domain_run *run,
    uint64_t *start, uint64_t *len)
{
	uint64_t	 s, l, last = run->iova + (run->length - 1);
	int		 rc;

	if (d->iopte == NULL) {
		*start = run->iova;
		*len = run->length;
		return (0);
	}
	if ((rc = d->iopte(d->iopte_arg, run->iova, start, &l)) != 0)
		return (rc);
	if ((rc = d->iopte(d->iopte_arg, last, &s, &l)) != 0)
		return (rc);
	/* The last IOPTE may end at 2^64: the span's length stops short. */
	*len = s + (l - 1) - *start + 1;
	if (*len == 0)
		*len = UINT64_MAX - *start;
	return (0);
}

static int
device_dma_check(void *arg, const struct domain_run *run)
{
	struct device_dma	*dma = arg;
	uint64_t		 start, len;
	int			 rc;

	if (run->iova != dma->next || (run->prot & dma->prot) != dma->prot)
		return (-EFAULT);
	if (dma->dirty != NULL) {
		if (device_dma_iopte_span(dma->dirty, run, &start, &len) != 0)
			return (-EFAULT);
		if ((rc = dirty_prepare(dma->dirty, start, len)) != 0)
			return (rc);
	}
	dma->next = run->iova + run->length;
	return (0);
}

static int
device_dma_copy(void *arg, const struct domain_run *run)
{
	struct device_dma	*dma = arg;
	uint64_t		 start, len;
	int			 rc;

	if ((rc = pages_rw(run->pages, run->off, dma->buf + (run->iova -
	    dma->iova), run->length, dma->to_memory)) != 0)
		return (rc);
	if (dma->dirty != NULL &&
	    device_dma_iopte_span(dma->dirty, run, &start, &len) == 0)
		(void)dirty_set(dma->dirty, start, len);
	return (0);
}

/* The HWPT on the RID or a PASID, or NULL. */
static struct obj *
device_dma_hwpt(struct device *dev, uint32_t pasid)
{
	struct device_pasid	*p;

	if (pasid == DEVICE_NO_PASID)
		return (dev->hwpt);
	p = device_pasid_find(dev, pasid);
	return (p != NULL ? p->hwpt : NULL);
}

/*
 * The paging HWPT whose stage 2 alone translates a device's DMA through
 * the nested HWPT obj, when the model says its stage 1 is bypassed (an
 * SMMUv3 bypass vSTE): the parent, or the vIOMMU's. NULL otherwise.
 */
static struct obj *
device_dma_s2(struct obj *obj)
{
	struct hwpt_nested	*n = container_of(obj, struct hwpt_nested, obj);
	struct obj		*p = n->parent;

	if (n->hw->ops->nested_s1_bypass == NULL ||
	    !n->hw->ops->nested_s1_bypass(&n->nested))
		return (NULL);
	if (p != NULL && p->type == OBJ_VIOMMU)
		p = container_of(p, struct viommu, obj)->parent;
	return (p != NULL && p->type == OBJ_HWPT_PAGING ? p : NULL);
}

/* DMA through a paging HWPT's IOAS mappings: 0 or -EFAULT. */
static int
device_dma_paging(struct hwpt_paging *hwpt, uint64_t iova, void *buf,
    size_t len, int to_memory)
{
	struct device_dma	 dma;
	int			 rc;

	/*
	 * Nothing translates for a noiommu device: its bus addresses are
	 * the emulated physical addresses GET_PA gave (noiommu.h).
	 */
	if (hw_is_noiommu(hwpt->domain.hw))
		return (noiommu_dma_rw(&hwpt->domain, iova, buf, len,
		    to_memory));
	memset(&dma, 0, sizeof(dma));
	dma.next = dma.iova = iova;
	dma.buf = buf;
	dma.to_memory = to_memory;
	dma.prot = to_memory ? IOPT_WRITE : IOPT_READ;
	/* A read leaves the dirty bits alone, as the hardware does. */
	if (to_memory && hwpt->dirty != NULL && hwpt->dirty->tracking)
		dma.dirty = hwpt->dirty;
	if ((rc = domain_for_each(&hwpt->domain, iova, len, device_dma_check,
	    &dma)) != 0)
		return (rc);
	if (dma.next - iova != len)
		return (-EFAULT);
	return (domain_for_each(&hwpt->domain, iova, len, device_dma_copy,
	    &dma));
}

/* The stage-2 reader a model's nested_dma_event gets. */
static int
device_dma_read_s2(void *arg, uint64_t addr, void *buf, size_t len)
{
	if (len == 0 || addr + (len - 1) < addr)
		return (-EFAULT);
	return (device_dma_paging(arg, addr, buf, len, 0));
}

/*
 * DMA through the nested HWPT obj (on a vIOMMU) that reached nothing:
 * the event the model says the hardware reports, to the vIOMMU's
 * vEVENTQ of its type when there is one (a full queue loses it).
 */
static void
device_dma_event(struct device *dev, struct obj *obj, uint64_t iova)
{
	struct hwpt_nested	*n = container_of(obj, struct hwpt_nested, obj);
	struct obj		*viommu = hwpt_viommu(obj), *s2;
	struct vdevice		*vdev;
	struct veventq		*q;
	uint8_t			 ev[HW_VEVENT_MAX];
	uint32_t		 type;
	size_t			 len = 0;

	if (n->hw->ops->nested_dma_event == NULL || viommu == NULL ||
	    dev->vdevice == NULL)
		return;
	vdev = container_of(dev->vdevice, struct vdevice, obj);
	s2 = container_of(viommu, struct viommu, obj)->parent;
	if (vdev->viommu != viommu || s2 == NULL ||
	    s2->type != OBJ_HWPT_PAGING)
		return;
	memset(ev, 0, sizeof(ev));
	if (n->hw->ops->nested_dma_event(&n->nested, vdev->virt_id, iova,
	    device_dma_read_s2, container_of(s2, struct hwpt_paging, obj),
	    &type, ev, &len) != 1 || len == 0 || len > sizeof(ev))
		return;
	if ((q = veventq_find(viommu, type)) != NULL)
		(void)veventq_report(q, ev, len);
}

int
device_dma_rw(struct device *dev, uint32_t pasid, uint64_t iova, void *buf,
    size_t len, int to_memory)
{
	struct obj		*obj;
	int			 rc;

	if ((obj = device_dma_hwpt(dev, pasid)) == NULL) {
		rc = -ENODEV;
		goto out;
	}
	if (len == 0) {
		rc = 0;
		goto out;
	}
	if (iova + (len - 1) < iova) {
		rc = -EFAULT;
		goto out;
	}
	/*
	 * A nested HWPT translates through its stage 1, a table in the
	 * guest's memory in the vendor's format; the mock's stage 1 has
	 * none to walk, so a device behind it reaches nothing until a
	 * model defines its walk. A bypassed stage 1 leaves the stage 2.
	 */
	if (obj->type == OBJ_HWPT_NESTED && device_dma_s2(obj) != NULL)
		obj = device_dma_s2(obj);
	if (obj->type != OBJ_HWPT_PAGING) {
		if (obj->type == OBJ_HWPT_NESTED && pasid == DEVICE_NO_PASID)
			device_dma_event(dev, obj, iova);
		rc = -EFAULT;
		goto out;
	}
	rc = device_dma_paging(container_of(obj, struct hwpt_paging, obj),
	    iova, buf, len, to_memory);
out:
	if (rc == 0) {
		dev->dma_ops++;
		dev->dma_bytes += len;
	} else
		dev->dma_errors++;
	return (rc);
}

/*
 * IOASIDD_COHERENCY (proto/ioasidd_coherency.h): the context's KVM view
 * of coherency, as device_cc_update() keeps it.
 */
int
device_ioctl_coherency(struct ucmd *ucmd)
{
	struct ioasidd_coherency	*cmd = ucmd->cmd_buf;
	const struct ctx_coherency	*cc = &ucmd->ctx->cc;

	if (cmd->flags != 0)
		return (-EOPNOTSUPP);
	cmd->out_flags = 0;
	if (cc->nnoncoherent != 0)
		cmd->out_flags |= IOASIDD_COHERENCY_WBINVD;
	if (cc->nnosnoop != 0)
		cmd->out_flags |= IOASIDD_COHERENCY_NOSNOOP;
	cmd->out_attached = cc->nattached;
	cmd->out_noncoherent = cc->nnoncoherent;
	cmd->out_nosnoop = cc->nnosnoop;
	cmd->out_changes = cc->nchanges;
	return (ucmd_respond(ucmd, sizeof(*cmd)));
}

uint32_t
device_ppasid(struct device *dev, uint32_t pasid)
{
	struct device_pasid	*p;

	if (pasid == DEVICE_NO_PASID)
		return (DEVICE_NO_PASID);
	p = device_pasid_find(dev, pasid);
	return (p != NULL ? p->ppasid : DEVICE_NO_PASID);
}

/* One row of the table out to the caller (struct ucmd_rows). */
static int
device_pasids_one(void *arg, const struct pasid_map *m)
{
	struct ioasidd_pasid_entry	 e;

	memset(&e, 0, sizeof(e));
	e.vpasid = m->vpasid;
	e.ppasid = m->ppasid;
	e.users = m->users;
	return (ucmd_row(arg, &e, sizeof(e)));
}

/*
 * IOASIDD_PASIDS (proto/ioasidd_pasid.h): the context's ENQCMD PASID
 * translation table, as IOMMU_IOAS_IOVA_RANGES answers: the rows that
 * fit, the total in num_entries, EMSGSIZE when they did not all fit.
 */
int
device_ioctl_pasids(struct ucmd *ucmd)
{
	struct ioasidd_pasids	*cmd = ucmd->cmd_buf;
	struct ucmd_rows	 r;
	int			 rc;

	if (cmd->flags != 0 || cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	ucmd_rows_init(&r, ucmd, cmd->entries, cmd->num_entries);
	if ((rc = pasid_walk(ucmd->ctx, device_pasids_one, &r)) != 0)
		return (rc);
	cmd->num_entries = r.count;
	if ((rc = ucmd_respond(ucmd, sizeof(*cmd))) != 0)
		return (rc);
	return (r.count > r.max ? -EMSGSIZE : 0);
}

int
device_global_pasids(struct device *dev,
    int (*fn)(void *, uint32_t vpasid, uint32_t ppasid), void *arg)
{
	struct device_pasid	*p;
	int			 rc;

	RB_FOREACH(p, device_pasid_tree, &dev->pasids) {
		if (!p->global)
			continue;
		if ((rc = fn(arg, p->pasid, p->ppasid)) != 0)
			return (rc);
	}
	return (0);
}
