/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The ENQCMD PASID translation table per VM (enqcmd.h). Nothing is
 * kept: each read walks the contexts' devices, takes those of the group
 * and their global PASID attachments, sorts the pairs and counts equal
 * ones, so the answer is always that of the attachments as they are.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "dev/vfio_cdev.h"
#include "iommufd/device.h"
#include "iommufd/enqcmd.h"
#include "iommufd/objs.h"

#include <linux/iommufd.h>
#include "ioasidd_enqcmd.h"
#include "ioasidd_kvm.h"

/* The pairs gathered for one group. */
struct enqcmd_pairs {
	struct enqcmd_row	*rows;
	size_t			 n;
	size_t			 cap;
};

void
enqcmd_group_of(struct device *dev, struct enqcmd_group *g)
{
	struct vfio_cdev_vm	 vms[IOASIDD_KVM_VMS_MAX];

	memset(g, 0, sizeof(*g));
	if (vfio_cdev_device_vms(dev, vms) != 0) {
		g->pid = vms[0].pid;
		g->vm_id = vms[0].vm_id;
	} else
		g->ctx = dev->obj.ctx;
}

/* Whether the bound device is in the group. */
static int
enqcmd_member(struct device *dev, const struct enqcmd_group *g)
{
	struct vfio_cdev_vm	 vms[IOASIDD_KVM_VMS_MAX];
	unsigned int		 i, n;

	n = vfio_cdev_device_vms(dev, vms);
	if (g->pid == 0)
		return (n == 0 && dev->obj.ctx == g->ctx);
	for (i = 0; i < n; i++) {
		if (vms[i].pid == g->pid && vms[i].vm_id == g->vm_id)
			return (1);
	}
	return (0);
}

/* The device behind a live DEVICE object that is still bound, or NULL. */
static struct device *
enqcmd_device(struct obj *o)
{
	struct device	*dev;

	if (o->type != OBJ_DEVICE || o->state != OBJ_LIVE)
		return (NULL);
	dev = container_of(o, struct device, obj);
	return (dev->edev != NULL ? dev : NULL);
}

/* Append one pair: 0 or -ENOMEM. */
static int
enqcmd_add(void *arg, uint32_t vpasid, uint32_t ppasid)
{
	struct enqcmd_pairs	*p = arg;
	struct enqcmd_row	*r;
	size_t			 cap;

	if (p->n == p->cap) {
		cap = p->cap != 0 ? p->cap * 2 : 16;
		if ((r = reallocarray(p->rows, cap, sizeof(*r))) == NULL)
			return (-ENOMEM);
		p->rows = r;
		p->cap = cap;
	}
	r = &p->rows[p->n++];
	r->vpasid = vpasid;
	r->ppasid = ppasid;
	r->users = 1;
	r->conflict = 0;
	return (0);
}

/* vPASID, then pPASID order. */
static int
enqcmd_cmp(const void *a, const void *b)
{
	const struct enqcmd_row	*x = a, *y = b;

	if (x->vpasid != y->vpasid)
		return (x->vpasid < y->vpasid ? -1 : 1);
	return (x->ppasid < y->ppasid ? -1 : x->ppasid > y->ppasid);
}

int
enqcmd_walk(const struct enqcmd_group *g, unsigned int *ndevices,
    int (*fn)(void *, const struct enqcmd_row *), void *arg)
{
	struct enqcmd_pairs	 p;
	struct ctx		*ctx;
	struct obj		*o;
	struct device		*dev;
	unsigned int		 ndev = 0;
	size_t			 i, j;
	int			 rc = 0;

	memset(&p, 0, sizeof(p));
	TAILQ_FOREACH(ctx, &ctx_list, entry) {
		if (g->pid == 0 && ctx != g->ctx)
			continue;
		CTX_FOREACH_OBJ(o, ctx) {
			if ((dev = enqcmd_device(o)) == NULL ||
			    !enqcmd_member(dev, g))
				continue;
			ndev++;
			if ((rc = device_global_pasids(dev, enqcmd_add,
			    &p)) != 0)
				goto out;
		}
	}
	if (ndevices != NULL)
		*ndevices = ndev;
	if (p.n != 0)
		qsort(p.rows, p.n, sizeof(*p.rows), enqcmd_cmp);
	/* Count equal pairs into the first of them. */
	for (i = j = 0; i < p.n; i++) {
		if (j != 0 && enqcmd_cmp(&p.rows[j - 1], &p.rows[i]) == 0)
			p.rows[j - 1].users++;
		else
			p.rows[j++] = p.rows[i];
	}
	p.n = j;
	/* A vPASID with two pPASIDs cannot be one table's row. */
	for (i = 1; i < p.n; i++) {
		if (p.rows[i].vpasid == p.rows[i - 1].vpasid)
			p.rows[i].conflict = p.rows[i - 1].conflict = 1;
	}
	for (i = 0; i < p.n; i++) {
		if ((rc = fn(arg, &p.rows[i])) != 0)
			break;
	}
out:
	free(p.rows);
	return (rc);
}

/* Whether g is among the n groups of a. */
static int
enqcmd_seen(const struct enqcmd_group *a, size_t n,
    const struct enqcmd_group *g)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (a[i].pid == g->pid && a[i].vm_id == g->vm_id &&
		    a[i].ctx == g->ctx)
			return (1);
	}
	return (0);
}

int
enqcmd_groups(int (*fn)(void *, const struct enqcmd_group *), void *arg)
{
	struct vfio_cdev_vm	 vms[IOASIDD_KVM_VMS_MAX];
	struct enqcmd_group	*a = NULL, *t, g;
	struct ctx		*ctx;
	struct obj		*o;
	struct device		*dev;
	size_t			 n = 0, cap = 0, i;
	unsigned int		 k, nvms;
	int			 rc = 0;

	TAILQ_FOREACH(ctx, &ctx_list, entry) {
		CTX_FOREACH_OBJ(o, ctx) {
			if ((dev = enqcmd_device(o)) == NULL)
				continue;
			nvms = vfio_cdev_device_vms(dev, vms);
			for (k = 0; k < (nvms != 0 ? nvms : 1); k++) {
				memset(&g, 0, sizeof(g));
				if (nvms != 0) {
					g.pid = vms[k].pid;
					g.vm_id = vms[k].vm_id;
				} else
					g.ctx = ctx;
				if (enqcmd_seen(a, n, &g))
					continue;
				if (n == cap) {
					cap = cap != 0 ? cap * 2 : 8;
					t = reallocarray(a, cap, sizeof(*a));
					if (t == NULL) {
						rc = -ENOMEM;
						goto out;
					}
					a = t;
				}
				a[n++] = g;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if ((rc = fn(arg, &a[i])) != 0)
			break;
	}
out:
	free(a);
	return (rc);
}

/* One row out to the caller (struct ucmd_rows). */
static int
enqcmd_one(void *arg, const struct enqcmd_row *row)
{
	struct ioasidd_enqcmd_entry	 e;

	memset(&e, 0, sizeof(e));
	e.vpasid = row->vpasid;
	e.ppasid = row->ppasid;
	e.users = row->users;
	e.flags = row->conflict ? IOASIDD_ENQCMD_CONFLICT : 0;
	return (ucmd_row(arg, &e, sizeof(e)));
}

/*
 * IOASIDD_ENQCMD (proto/ioasidd_enqcmd.h): the table of dev_id's group,
 * as IOMMU_IOAS_IOVA_RANGES answers: the rows that fit, the total in
 * num_entries, EMSGSIZE when they did not all fit.
 */
int
enqcmd_ioctl(struct ucmd *ucmd)
{
	struct ioasidd_enqcmd	*cmd = ucmd->cmd_buf;
	struct enqcmd_group	 g;
	struct ucmd_rows	 r;
	struct obj		*obj;
	struct device		*dev;
	unsigned int		 ndev;
	int			 rc;

	if (cmd->flags != 0)
		return (-EOPNOTSUPP);
	if ((rc = obj_get(ucmd->ctx, cmd->dev_id, OBJ_DEVICE, &obj)) != 0)
		return (rc);
	dev = container_of(obj, struct device, obj);
	if (dev->edev == NULL)
		return (-ENOENT);
	enqcmd_group_of(dev, &g);
	ucmd_rows_init(&r, ucmd, cmd->entries, cmd->num_entries);
	if ((rc = enqcmd_walk(&g, &ndev, enqcmd_one, &r)) != 0)
		return (rc);
	cmd->out_pid = (int32_t)g.pid;
	cmd->out_vm_id = g.vm_id;
	cmd->out_devices = ndev;
	cmd->num_entries = r.count;
	if ((rc = ucmd_respond(ucmd, sizeof(*cmd))) != 0)
		return (rc);
	return (r.count > r.max ? -EMSGSIZE : 0);
}
