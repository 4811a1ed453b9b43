/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The emulated VFIO cdev nodes (see vfio_cdev.h): the configured devices,
 * each open of one, and the ioctls of the node.
 *
 * The answers are those of a PCI device bound to vfio-pci and opened
 * through its cdev (Linux 7.3, drivers/vfio/device_cdev.c and
 * vfio_main.c), in the kernel's order:
 *
 *  - every command but BIND_IOMMUFD is EINVAL until the open is bound;
 *  - BIND_IOMMUFD: argsz below 16 is EINVAL, bytes past the struct must
 *    be zero (E2BIG); a negative iommufd (no-iommu mode, which we do not
 *    have) or an unknown flag is EINVAL; an open already bound is EINVAL;
 *    the VF token is read (EFAULT) and refused with EINVAL, as the kernel
 *    refuses a token for a device that is neither a VF nor an SR-IOV PF;
 *    then the descriptor: EBADF when the caller has no such descriptor,
 *    EBADFD when it is not a /dev/iommu of ours; a device another open has
 *    bound is EINVAL;
 *  - ATTACH and DETACH read their first fields (EFAULT), then check argsz
 *    (EINVAL) and flags (EINVAL), and with the PASID flag argsz again and
 *    the pasid field;
 *  - GET_INFO reads 16 bytes (EFAULT), argsz below 16 is EINVAL, and
 *    writes min(argsz, struct) bytes: a PCI device that can reset, with
 *    the fixed PCI regions and interrupts and no capability chain;
 *  - any other command on a bound open is ENOTTY (the driver's default).
 *
 * Every read of caller memory comes before any change (core/ioctl.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/vfio.h>

#include "conf.h"
#include "core/ctx.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "dev/vfio_cdev.h"
#include "iommufd/objs.h"
#include "log.h"

/* The first size of each struct the kernel accepts. */
#define VFIO_CDEV_BIND_MIN	16	/* to out_devid */
#define VFIO_CDEV_ATTACH_MIN	12	/* to pt_id */
#define VFIO_CDEV_ATTACH_PASID	16	/* to pasid */
#define VFIO_CDEV_DETACH_MIN	8	/* to flags */
#define VFIO_CDEV_DETACH_PASID	12	/* to pasid */
#define VFIO_CDEV_INFO_MIN	16	/* to num_irqs */

/* One configured device. */
struct vfio_cdev_dev {
	char			 name[CONF_NAME_MAX + 1];
	uint16_t		 rid;
	unsigned int		 pasid_width;
	unsigned int		 caps;		/* CONF_DEVCAP_* */
	struct vfio_cdev_file	*bound;		/* the open bound, or NULL */
	unsigned int		 nopen;
};

/* One open of a device node. */
struct vfio_cdev_file {
	struct vfio_cdev_dev	*dev;
	/* Bound: the context (a reference) and our DEVICE in it (held). */
	struct ctx		*ctx;
	struct obj		*idev;
};

static struct vfio_cdev_dev	*vfio_cdev_devs;
static unsigned int		 vfio_cdev_ndevs;

int
vfio_cdev_configure(const struct conf_device *cd, size_t n)
{
	struct vfio_cdev_dev	*v = NULL;
	size_t			 i;

	vfio_cdev_unconfigure();
	if (n != 0 && (v = calloc(n, sizeof(*v))) == NULL)
		return (-ENOMEM);
	for (i = 0; i < n; i++) {
		snprintf(v[i].name, sizeof(v[i].name), "%s", cd[i].name);
		v[i].rid = cd[i].rid;
		v[i].pasid_width = cd[i].pasid_width;
		v[i].caps = cd[i].caps;
	}
	vfio_cdev_devs = v;
	vfio_cdev_ndevs = (unsigned int)n;
	return (0);
}

void
vfio_cdev_unconfigure(void)
{
	unsigned int	i;

	for (i = 0; i < vfio_cdev_ndevs; i++) {
		if (vfio_cdev_devs[i].nopen != 0)
			log_warnx("%s: device %s is still open", __func__,
			    vfio_cdev_devs[i].name);
	}
	free(vfio_cdev_devs);
	vfio_cdev_devs = NULL;
	vfio_cdev_ndevs = 0;
}

unsigned int
vfio_cdev_count(void)
{
	return (vfio_cdev_ndevs);
}

const char *
vfio_cdev_name(unsigned int i)
{
	return (i < vfio_cdev_ndevs ? vfio_cdev_devs[i].name : NULL);
}

int
vfio_cdev_open(unsigned int index, struct vfio_cdev_file **fp)
{
	struct vfio_cdev_file	*f;

	if (index >= vfio_cdev_ndevs)
		return (-ENODEV);
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return (-ENOMEM);
	f->dev = &vfio_cdev_devs[index];
	f->dev->nopen++;
	*fp = f;
	return (0);
}

/*
 * Undo a bind: the DEVICE goes from its context and the reference on the
 * context is dropped (the context goes too when its file is closed).
 */
static void
vfio_cdev_unbind(struct vfio_cdev_file *f)
{
	if (f->ctx == NULL)
		return;
	obj_destroy_held(f->idev);
	ctx_put(f->ctx);
	f->ctx = NULL;
	f->idev = NULL;
	f->dev->bound = NULL;
}

void
vfio_cdev_close(struct vfio_cdev_file *f)
{
	if (f == NULL)
		return;
	vfio_cdev_unbind(f);
	f->dev->nopen--;
	free(f);
}

uint32_t
vfio_cdev_devid(const struct vfio_cdev_file *f)
{
	return (f->idev != NULL ? f->idev->id : 0);
}

/*
 * Read a VFIO struct the kernel's way: its argsz and the struct up to
 * what the caller gave, zero-filled, with bytes past the struct that we
 * do not know required to be zero (copy_struct_from_user()).
 */
static int
vfio_cdev_read_struct(struct ucmd *ucmd, void *buf, size_t size,
    size_t min)
{
	uint8_t		tail[64];
	uint64_t	at;
	uint32_t	argsz;
	size_t		n, i;
	int		rc;

	if ((rc = ucmd_read(ucmd, ucmd->arg, &argsz, sizeof(argsz))) != 0)
		return (rc);
	if (argsz < min)
		return (-EINVAL);
	memset(buf, 0, size);
	if ((rc = ucmd_read(ucmd, ucmd->arg, buf, MIN(argsz, size))) != 0)
		return (rc);
	for (at = size; at < argsz; at += n) {
		n = MIN(sizeof(tail), argsz - at);
		if ((rc = ucmd_read(ucmd, ucmd->arg + at, tail, n)) != 0)
			return (rc);
		for (i = 0; i < n; i++) {
			if (tail[i] != 0)
				return (-E2BIG);
		}
	}
	return (0);
}

/* VFIO_DEVICE_BIND_IOMMUFD. */
static int
vfio_cdev_ioctl_bind(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct vfio_device_bind_iommufd	 bind;
	struct ctx			*ctx;
	struct obj			*idev;
	uint8_t				 token[16];
	int				 rc;

	rc = vfio_cdev_read_struct(ucmd, &bind, sizeof(bind),
	    VFIO_CDEV_BIND_MIN);
	if (rc != 0)
		return (rc);
	if (bind.iommufd < 0 || (bind.flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN))
		return (-EINVAL);
	if (f->ctx != NULL)
		return (-EINVAL);
	if (bind.flags & VFIO_DEVICE_BIND_FLAG_TOKEN) {
		rc = ucmd_read(ucmd, bind.token_uuid_ptr, token,
		    sizeof(token));
		return (rc != 0 ? rc : -EINVAL);
	}
	if ((rc = ucmd_getctx(ucmd, bind.iommufd, &ctx)) != 0)
		return (rc);
	/* The kernel's device open: one cdev open at a time. */
	if (f->dev->bound != NULL) {
		ctx_put(ctx);
		return (-EINVAL);
	}
	if ((rc = obj_alloc(ctx, OBJ_DEVICE, &idev)) != 0) {
		ctx_put(ctx);
		return (rc);
	}
	/* The binding's hold: DESTROY of the DEVICE is EBUSY while bound. */
	obj_hold(idev);
	obj_finalize(idev);
	f->ctx = ctx;
	f->idev = idev;
	f->dev->bound = f;
	bind.out_devid = idev->id;
	/*
	 * The kernel unbinds when out_devid cannot be written; we cannot
	 * know that before the reply lands, so a caller whose struct is
	 * not writable stays bound until it closes the node.
	 */
	return (ucmd_write(ucmd, ucmd->arg +
	    offsetof(struct vfio_device_bind_iommufd, out_devid),
	    &bind.out_devid, sizeof(bind.out_devid)));
}

/* VFIO_DEVICE_ATTACH_IOMMUFD_PT. */
static int
vfio_cdev_ioctl_attach(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct vfio_device_attach_iommufd_pt	 at;
	struct obj				*pt;
	int					 rc;

	memset(&at, 0, sizeof(at));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &at, VFIO_CDEV_ATTACH_MIN)) != 0)
		return (rc);
	if (at.argsz < VFIO_CDEV_ATTACH_MIN)
		return (-EINVAL);
	if (at.flags & ~VFIO_DEVICE_ATTACH_PASID)
		return (-EINVAL);
	if (at.flags & VFIO_DEVICE_ATTACH_PASID) {
		if (f->dev->pasid_width == 0)
			return (-EOPNOTSUPP);
		if (at.argsz < VFIO_CDEV_ATTACH_PASID)
			return (-EINVAL);
		if ((rc = ucmd_read(ucmd, ucmd->arg + VFIO_CDEV_ATTACH_MIN,
		    &at.pasid, sizeof(at.pasid))) != 0)
			return (rc);
	}
	/*
	 * The page table: an IOAS, a paging or a nested HWPT of the bound
	 * context. Attaching it is the device layer's (a device with a
	 * hardware model behind it); until that serves this device, the
	 * lookup's errnos are the kernel's and the attach is refused.
	 */
	if ((pt = obj_find(f->ctx, at.pt_id, OBJ_ANY)) == NULL)
		return (-ENOENT);
	if (pt->type != OBJ_IOAS && pt->type != OBJ_HWPT_PAGING &&
	    pt->type != OBJ_HWPT_NESTED)
		return (-EINVAL);
	return (-EOPNOTSUPP);
}

/* VFIO_DEVICE_DETACH_IOMMUFD_PT. */
static int
vfio_cdev_ioctl_detach(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct vfio_device_detach_iommufd_pt	dt;
	int					rc;

	memset(&dt, 0, sizeof(dt));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &dt, VFIO_CDEV_DETACH_MIN)) != 0)
		return (rc);
	if (dt.argsz < VFIO_CDEV_DETACH_MIN)
		return (-EINVAL);
	if (dt.flags & ~VFIO_DEVICE_DETACH_PASID)
		return (-EINVAL);
	if (dt.flags & VFIO_DEVICE_DETACH_PASID) {
		if (f->dev->pasid_width == 0)
			return (-EOPNOTSUPP);
		if (dt.argsz < VFIO_CDEV_DETACH_PASID)
			return (-EINVAL);
		if ((rc = ucmd_read(ucmd, ucmd->arg + VFIO_CDEV_DETACH_MIN,
		    &dt.pasid, sizeof(dt.pasid))) != 0)
			return (rc);
	}
	/* Nothing is attached until attach is served: detach is a no-op. */
	return (0);
}

/* VFIO_DEVICE_GET_INFO. */
static int
vfio_cdev_ioctl_get_info(struct vfio_cdev_file *f __unused,
    struct ucmd *ucmd)
{
	struct vfio_device_info	info;
	int			rc;

	memset(&info, 0, sizeof(info));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &info, VFIO_CDEV_INFO_MIN)) != 0)
		return (rc);
	if (info.argsz < VFIO_CDEV_INFO_MIN)
		return (-EINVAL);
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	info.cap_offset = 0;
	return (ucmd_write(ucmd, ucmd->arg, &info,
	    MIN(info.argsz, sizeof(info))));
}

/* The node's ioctl table: number to handler. */
static const struct {
	unsigned int	  cmd;
	int		(*fn)(struct vfio_cdev_file *, struct ucmd *);
} vfio_cdev_ops[] = {
	{ VFIO_DEVICE_BIND_IOMMUFD, vfio_cdev_ioctl_bind },
	{ VFIO_DEVICE_ATTACH_IOMMUFD_PT, vfio_cdev_ioctl_attach },
	{ VFIO_DEVICE_DETACH_IOMMUFD_PT, vfio_cdev_ioctl_detach },
	{ VFIO_DEVICE_GET_INFO, vfio_cdev_ioctl_get_info },
};

long
vfio_cdev_dispatch(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	size_t	i;

	if (ucmd->cmd != VFIO_DEVICE_BIND_IOMMUFD && f->ctx == NULL)
		return (-EINVAL);
	for (i = 0; i < nitems(vfio_cdev_ops); i++) {
		if (vfio_cdev_ops[i].cmd == ucmd->cmd)
			return (vfio_cdev_ops[i].fn(f, ucmd));
	}
	return (-ENOTTY);
}
