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
 *    the pasid field; then the device layer (iommufd/device.h) attaches,
 *    replaces what is attached, or detaches, with its errnos; DETACH of
 *    what is not attached is 0;
 *  - GET_INFO reads 16 bytes (EFAULT), argsz below 16 is EINVAL, and
 *    writes min(argsz, struct) bytes: a PCI device that can reset, with
 *    the fixed PCI regions and interrupts and no capability chain;
 *  - a device with a PCI function (dev/pci.h) has vfio-pci's commands
 *    besides, each reading its fixed part first (EFAULT), then argsz
 *    below it is EINVAL: GET_REGION_INFO (an index past the ROM and
 *    config space, VGA included, is EINVAL; no region has capabilities,
 *    so only the fixed part is written), GET_IRQ_INFO (index >= 5 is
 *    EINVAL), SET_IRQS (vfio_set_irqs_validate_and_prepare()'s rules,
 *    then the data, then each eventfd: EBADF, EINVAL when not an
 *    eventfd; then the index's rules in pci_set_irqs()), RESET,
 *    GET_PCI_HOT_RESET_INFO (the device alone is its reset set, named
 *    by its devid; ENOSPC with the count when argsz has no room),
 *    PCI_HOT_RESET (flags and a non-zero count are EINVAL: a cdev open
 *    takes the zero-length form) and VFIO_DEVICE_FEATURE (argsz, flags
 *    and GET with SET are EINVAL; every feature is ENOTTY: none is
 *    implemented);
 *  - any other command on a bound open is ENOTTY (the driver's default);
 *  - a noiommu device ([device] iommu = none, hw/noiommu.c) refuses every
 *    command with EPERM to a caller without CAP_SYS_RAWIO, as 7.3
 *    refuses the open; otherwise it binds and attaches like any other,
 *    on a software-only domain, with no PASID and no capabilities.
 *
 * Binding and unbinding bring the function to its power-on state with
 * no interrupt armed; closing the bound open unbinds, so a client killed
 * with interrupts armed leaves no eventfd behind.
 *
 * Every read of caller memory comes before any change (core/ioctl.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "conf.h"
#include "core/ctx.h"
#include "core/trace.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "dev/pci.h"
#include "dev/vfio_cdev.h"
#include "hw/hw.h"
#include "ioasidd.h"
#include "iommufd/device.h"
#include "iommufd/objs.h"
#include "log.h"

/* The first size of each struct the kernel accepts. */
#define VFIO_CDEV_BIND_MIN	16	/* to out_devid */
#define VFIO_CDEV_ATTACH_MIN	12	/* to pt_id */
#define VFIO_CDEV_ATTACH_PASID	16	/* to pasid */
#define VFIO_CDEV_DETACH_MIN	8	/* to flags */
#define VFIO_CDEV_DETACH_PASID	12	/* to pasid */
#define VFIO_CDEV_INFO_MIN	16	/* to num_irqs */
#define VFIO_CDEV_REGION_MIN	32	/* to offset */
#define VFIO_CDEV_IRQ_MIN	16	/* to count */
#define VFIO_CDEV_SET_IRQS_MIN	20	/* to count */
#define VFIO_CDEV_RESET_MIN	12	/* to count */
#define VFIO_CDEV_FEATURE_MIN	8	/* to flags */

/* vfio-pci's region offsets: the index in the high bits. */
#define VFIO_CDEV_INDEX_SHIFT	40
#define VFIO_CDEV_POS_MASK	((1ULL << VFIO_CDEV_INDEX_SHIFT) - 1)

/*
 * One configured device: the emulated device, its PCI function (NULL
 * when the section names none), and who has it bound.
 */
struct vfio_cdev_dev {
	struct edev		 edev;
	struct pci_dev		*pci;
	struct vfio_cdev_file	*bound;		/* the open bound, or NULL */
	struct vfio_cdev_file	*opens;		/* every open, a list */
	unsigned int		 nopen;
};

/* One open of a device node. */
struct vfio_cdev_file {
	struct vfio_cdev_dev	*dev;
	/* Bound: the context (a reference) and our DEVICE in it (held). */
	struct ctx		*ctx;
	struct device		*idev;
	/* The VMs that added it to their kvm-vfio device. */
	struct vfio_cdev_vm	 vms[IOASIDD_KVM_VMS_MAX];
	unsigned int		 nvms;
	struct vfio_cdev_file	*next;		/* the device's next open */
};

static struct vfio_cdev_dev	*vfio_cdev_devs;
static unsigned int		 vfio_cdev_ndevs;

int
vfio_cdev_configure(const struct conf_device *cd, size_t n)
{
	struct vfio_cdev_dev		*v = NULL;
	const struct hw_instance	*hw;
	unsigned int			 flags, width;
	size_t				 i;
	int				 rc;

	vfio_cdev_unconfigure();
	if (n != 0 && (v = calloc(n, sizeof(*v))) == NULL)
		return (-ENOMEM);
	for (i = 0; i < n; i++) {
		/*
		 * iommu names a configured [iommu NAME] instance or a
		 * built-in one; any other name is a label for devices
		 * behind the built-in instance of their model.
		 */
		if ((hw = hw_instance_find(cd[i].iommu)) == NULL &&
		    (hw = hw_instance_find(cd[i].model)) == NULL)
			hw = &hw_mock_instance;
		/* Nothing behind a noiommu device: no PASID, no IOMMU caps. */
		if (hw_is_noiommu(hw)) {
			device_edev_init(&v[i].edev, cd[i].name, hw, cd[i].rid,
			    0, 0);
			continue;
		}
		/* The unit's PASID width bounds the device's (Linux). */
		width = cd[i].pasid_width;
		if (hw->ops->pasid_bits != NULL)
			width = MIN(width, hw->ops->pasid_bits(hw));
		flags = 0;
		if (!(cd[i].caps & CONF_DEVCAP_DIRTY))
			flags |= HW_DEV_NO_DIRTY;
		if (cd[i].caps & CONF_DEVCAP_HUGE_IOVA)
			flags |= HW_DEV_HUGE_IOVA;
		if (cd[i].caps & CONF_DEVCAP_PRI)
			flags |= HW_DEV_IOPF;
		if (cd[i].caps & CONF_DEVCAP_NO_SNOOP)
			flags |= HW_DEV_NO_SNOOP;
		if (width != 0)
			flags |= HW_DEV_PASID;
		device_edev_init(&v[i].edev, cd[i].name, hw, cd[i].rid,
		    width, flags);
		v[i].edev.pasid_policy = cd[i].pasid_policy;
		if ((rc = pci_dev_create(&v[i].edev, &cd[i],
		    &v[i].pci)) != 0) {
			log_warnx("%s: device %s: function %s: %s", __func__,
			    cd[i].name, cd[i].function, strerror(-rc));
			while (i-- > 0)
				pci_dev_destroy(v[i].pci);
			free(v);
			return (rc);
		}
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
			    vfio_cdev_devs[i].edev.name);
		pci_dev_destroy(vfio_cdev_devs[i].pci);
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
	return (i < vfio_cdev_ndevs ? vfio_cdev_devs[i].edev.name : NULL);
}

const char *
vfio_cdev_trace_site(const struct vfio_cdev_file *f, struct trace_site *site,
    char *node, size_t len)
{
	snprintf(node, len, "vfio%u", (unsigned int)(f->dev - vfio_cdev_devs));
	site->node = node;
	site->devnode = 1;
	site->bound = f->ctx != NULL ? f->ctx->id : 0;
	return (f->dev->edev.name);
}

int
vfio_cdev_state(unsigned int i, unsigned int *nopen, uint32_t *ctx_id,
    uint32_t *devid)
{
	const struct vfio_cdev_file	*b;

	if (i >= vfio_cdev_ndevs)
		return (-ENODEV);
	b = vfio_cdev_devs[i].bound;
	*nopen = vfio_cdev_devs[i].nopen;
	*ctx_id = b != NULL ? b->ctx->id : 0;
	*devid = b != NULL ? vfio_cdev_devid(b) : 0;
	return (0);
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
	f->next = f->dev->opens;
	f->dev->opens = f;
	*fp = f;
	return (0);
}

/* The function to power-on, with no interrupt armed. */
static void
vfio_cdev_power_on(struct vfio_cdev_dev *d)
{
	if (d->pci == NULL)
		return;
	pci_irq_teardown(d->pci);
	pci_dev_reset(d->pci);
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
	vfio_cdev_power_on(f->dev);
	device_unbind(f->idev);
	ctx_put(f->ctx);
	f->ctx = NULL;
	f->idev = NULL;
	f->dev->bound = NULL;
}

void
vfio_cdev_close(struct vfio_cdev_file *f)
{
	struct vfio_cdev_file	**pp;

	if (f == NULL)
		return;
	vfio_cdev_unbind(f);
	for (pp = &f->dev->opens; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	f->dev->nopen--;
	free(f);
}

uint32_t
vfio_cdev_devid(const struct vfio_cdev_file *f)
{
	return (f->idev != NULL ? device_obj(f->idev)->id : 0);
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
	struct device			*idev;
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
	/* The binding's hold: DESTROY of the DEVICE is EBUSY while bound. */
	if ((rc = device_bind(ctx, &f->dev->edev, &idev,
	    &bind.out_devid)) != 0) {
		ctx_put(ctx);
		return (rc == -EBUSY ? -EINVAL : rc);
	}
	f->ctx = ctx;
	f->idev = idev;
	f->dev->bound = f;
	vfio_cdev_power_on(f->dev);
	/*
	 * The kernel unbinds when out_devid cannot be written; we cannot
	 * know that before the reply lands, so a caller whose struct is
	 * not writable stays bound until it closes the node.
	 */
	return (ucmd_write(ucmd, ucmd->arg +
	    offsetof(struct vfio_device_bind_iommufd, out_devid),
	    &bind.out_devid, sizeof(bind.out_devid)));
}

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT: the RID, or with the PASID flag a PASID,
 * to an IOAS or a HWPT; an attached one is replaced, as vfio-pci does.
 * The HWPT actually used goes back in pt_id.
 */
static int
vfio_cdev_ioctl_attach(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct vfio_device_attach_iommufd_pt	at;
	uint32_t				pasid = DEVICE_NO_PASID;
	int					rc;

	memset(&at, 0, sizeof(at));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &at, VFIO_CDEV_ATTACH_MIN)) != 0)
		return (rc);
	if (at.argsz < VFIO_CDEV_ATTACH_MIN)
		return (-EINVAL);
	if (at.flags & ~VFIO_DEVICE_ATTACH_PASID)
		return (-EINVAL);
	if (at.flags & VFIO_DEVICE_ATTACH_PASID) {
		if (at.argsz < VFIO_CDEV_ATTACH_PASID)
			return (-EINVAL);
		if ((rc = ucmd_read(ucmd, ucmd->arg + VFIO_CDEV_ATTACH_MIN,
		    &at.pasid, sizeof(at.pasid))) != 0)
			return (rc);
		pasid = at.pasid;
	}
	if (device_attached_id(f->idev, pasid) != 0)
		rc = device_replace(f->idev, pasid, &at.pt_id);
	else
		rc = device_attach(f->idev, pasid, &at.pt_id);
	if (rc != 0)
		return (rc);
	/*
	 * The kernel detaches again when pt_id cannot be written; like
	 * BIND, we learn of that too late, and the attachment stays.
	 */
	return (ucmd_write(ucmd, ucmd->arg +
	    offsetof(struct vfio_device_attach_iommufd_pt, pt_id), &at.pt_id,
	    sizeof(at.pt_id)));
}

/*
 * VFIO_DEVICE_DETACH_IOMMUFD_PT: always 0 once its struct is read; what
 * is not attached stays so.
 */
static int
vfio_cdev_ioctl_detach(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct vfio_device_detach_iommufd_pt	dt;
	uint32_t				pasid = DEVICE_NO_PASID;
	int					rc;

	memset(&dt, 0, sizeof(dt));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &dt, VFIO_CDEV_DETACH_MIN)) != 0)
		return (rc);
	if (dt.argsz < VFIO_CDEV_DETACH_MIN)
		return (-EINVAL);
	if (dt.flags & ~VFIO_DEVICE_DETACH_PASID)
		return (-EINVAL);
	if (dt.flags & VFIO_DEVICE_DETACH_PASID) {
		if (dt.argsz < VFIO_CDEV_DETACH_PASID)
			return (-EINVAL);
		if ((rc = ucmd_read(ucmd, ucmd->arg + VFIO_CDEV_DETACH_MIN,
		    &dt.pasid, sizeof(dt.pasid))) != 0)
			return (rc);
		pasid = dt.pasid;
	}
	if (device_attached_id(f->idev, pasid) != 0)
		(void)device_detach(f->idev, pasid);
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

long
vfio_cdev_region_rw(struct vfio_cdev_file *f, uint64_t offset, void *buf,
    size_t len, int write)
{
	uint64_t	index = offset >> VFIO_CDEV_INDEX_SHIFT;

	if (f->ctx == NULL || f->dev->pci == NULL ||
	    index >= VFIO_PCI_NUM_REGIONS)
		return (-EINVAL);
	if (index == VFIO_PCI_ROM_REGION_INDEX && write)
		return (-EINVAL);
	return (pci_region_rw(f->dev->pci, (unsigned int)index,
	    offset & VFIO_CDEV_POS_MASK, buf, len, write));
}

/*
 * VFIO_DEVICE_GET_REGION_INFO: no region has a capability, so only the
 * fixed part is written and argsz is never raised.
 */
static int
vfio_cdev_ioctl_region_info(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct vfio_region_info	ri;
	uint64_t		size;
	uint32_t		flags;
	int			rc;

	memset(&ri, 0, sizeof(ri));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &ri,
	    VFIO_CDEV_REGION_MIN)) != 0)
		return (rc);
	if (ri.argsz < VFIO_CDEV_REGION_MIN)
		return (-EINVAL);
	if ((rc = pci_region_info(f->dev->pci, ri.index, &size, &flags)) != 0)
		return (rc);
	ri.flags = flags;
	ri.size = size;
	ri.offset = (uint64_t)ri.index << VFIO_CDEV_INDEX_SHIFT;
	ri.cap_offset = 0;
	return (ucmd_write(ucmd, ucmd->arg, &ri, VFIO_CDEV_REGION_MIN));
}

/* VFIO_DEVICE_GET_IRQ_INFO: vfio-pci's flags for each index. */
static int
vfio_cdev_ioctl_irq_info(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct vfio_irq_info	ii;
	int			rc;

	memset(&ii, 0, sizeof(ii));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &ii, VFIO_CDEV_IRQ_MIN)) != 0)
		return (rc);
	if (ii.argsz < VFIO_CDEV_IRQ_MIN || ii.index >= VFIO_PCI_NUM_IRQS)
		return (-EINVAL);
	ii.flags = VFIO_IRQ_INFO_EVENTFD;
	if (ii.index == VFIO_PCI_INTX_IRQ_INDEX)
		ii.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else
		ii.flags |= VFIO_IRQ_INFO_NORESIZE;
	ii.count = pci_irq_count(f->dev->pci, ii.index);
	return (ucmd_write(ucmd, ucmd->arg, &ii, VFIO_CDEV_IRQ_MIN));
}

/*
 * VFIO_DEVICE_SET_IRQS. The header and the data after it are read, and
 * every eventfd taken and checked, before anything changes; the data is
 * at most PCI_MSIX_MAX descriptors (the largest index), so its size is
 * bounded by the device, not by argsz.
 */
static int
vfio_cdev_ioctl_set_irqs(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct vfio_irq_set	 hdr;
	struct pci_dev		*pd = f->dev->pci;
	uint8_t			*data = NULL;
	int32_t			*cfds;
	int			*fds = NULL;
	size_t			 esize, i;
	unsigned int		 max;
	int			 rc, single;

	memset(&hdr, 0, sizeof(hdr));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &hdr,
	    VFIO_CDEV_SET_IRQS_MIN)) != 0)
		return (rc);
	if (hdr.argsz < VFIO_CDEV_SET_IRQS_MIN ||
	    hdr.index >= VFIO_PCI_NUM_IRQS ||
	    hdr.count >= UINT32_MAX - hdr.start ||
	    (hdr.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
	    VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return (-EINVAL);
	max = pci_irq_count(pd, hdr.index);
	if (hdr.start >= max || hdr.start + hdr.count > max)
		return (-EINVAL);
	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		esize = 0;
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		esize = 1;
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		esize = 4;
		break;
	default:
		return (-EINVAL);
	}
	if (esize != 0) {
		if (hdr.argsz - VFIO_CDEV_SET_IRQS_MIN <
		    (uint64_t)hdr.count * esize)
			return (-EINVAL);
	}
	if (esize != 0 && hdr.count != 0) {
		if ((data = calloc(hdr.count, esize)) == NULL ||
		    (fds = calloc(hdr.count, sizeof(int))) == NULL) {
			free(data);
			return (-ENOMEM);
		}
		/* Nothing taken yet: out closes only what is >= 0. */
		for (i = 0; i < hdr.count; i++)
			fds[i] = -1;
		rc = ucmd_read(ucmd, ucmd->arg + VFIO_CDEV_SET_IRQS_MIN,
		    data, hdr.count * esize);
		if (rc != 0)
			goto out;
	}
	/* One action at a time, as vfio-pci's table has one per case. */
	switch (hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) {
	case VFIO_IRQ_SET_ACTION_MASK:
	case VFIO_IRQ_SET_ACTION_UNMASK:
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		break;
	default:
		rc = -ENOTTY;
		goto out;
	}
	single = (hdr.index == VFIO_PCI_ERR_IRQ_INDEX ||
	    hdr.index == VFIO_PCI_REQ_IRQ_INDEX) &&
	    (hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) ==
	    VFIO_IRQ_SET_ACTION_TRIGGER;
	if (esize == 4) {
		cfds = (int32_t *)(void *)data;
		for (i = 0; i < hdr.count; i++) {
			if (cfds[i] < 0) {
				/* ERR and REQ take -1 only, to remove. */
				if (cfds[i] != -1 && single) {
					rc = -EINVAL;
					goto out;
				}
				continue;
			}
			if ((rc = ucmd_getfd(ucmd, cfds[i])) < 0)
				goto out;
			fds[i] = rc;
			if ((rc = pci_eventfd_check(fds[i])) != 0)
				goto out;
		}
	}
	rc = pci_set_irqs(pd, hdr.flags, hdr.index, hdr.start, hdr.count,
	    data, fds);
out:
	for (i = 0; i < hdr.count && fds != NULL; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	free(fds);
	free(data);
	return (rc);
}

/* VFIO_DEVICE_RESET: the function to power-on; the eventfds stay. */
static int
vfio_cdev_ioctl_reset(struct vfio_cdev_file *f, struct ucmd *ucmd __unused)
{
	pci_dev_reset(f->dev->pci);
	return (0);
}

/*
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: the device is alone on its bus, so
 * the set is itself, owned, named by its devid.
 */
static int
vfio_cdev_ioctl_hot_reset_info(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct vfio_pci_hot_reset_info		hdr;
	struct vfio_pci_dependent_device	dd;
	uint16_t				rid;
	int					rc;

	memset(&hdr, 0, sizeof(hdr));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &hdr, VFIO_CDEV_RESET_MIN)) != 0)
		return (rc);
	if (hdr.argsz < VFIO_CDEV_RESET_MIN)
		return (-EINVAL);
	hdr.flags = 0;
	if ((hdr.argsz - sizeof(hdr)) / sizeof(dd) < 1) {
		hdr.count = 1;
		rc = ucmd_write(ucmd, ucmd->arg, &hdr, VFIO_CDEV_RESET_MIN);
		return (rc != 0 ? rc : -ENOSPC);
	}
	memset(&dd, 0, sizeof(dd));
	rid = (uint16_t)f->dev->edev.desc.rid;
	dd.group_id = vfio_cdev_devid(f);
	dd.bus = (uint8_t)(rid >> 8);
	dd.devfn = (uint8_t)rid;
	if ((rc = ucmd_write(ucmd, ucmd->arg + sizeof(hdr), &dd,
	    sizeof(dd))) != 0)
		return (rc);
	hdr.count = 1;
	hdr.flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
	    VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
	return (ucmd_write(ucmd, ucmd->arg, &hdr, VFIO_CDEV_RESET_MIN));
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET: a cdev open gives no group descriptors
 * (count 0); the set is the device, which the caller's iommufd owns.
 */
static int
vfio_cdev_ioctl_hot_reset(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct vfio_pci_hot_reset	hr;
	int				rc;

	memset(&hr, 0, sizeof(hr));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &hr, VFIO_CDEV_RESET_MIN)) != 0)
		return (rc);
	if (hr.argsz < VFIO_CDEV_RESET_MIN || hr.flags != 0 || hr.count != 0)
		return (-EINVAL);
	pci_dev_reset(f->dev->pci);
	return (0);
}

/*
 * VFIO_DEVICE_FEATURE: the generic checks of vfio_main.c, then ENOTTY:
 * the device has no migration, no dirty logging, no low-power entry, no
 * VF token and no dma-buf export.
 */
static int
vfio_cdev_ioctl_feature(struct vfio_cdev_file *f __unused, struct ucmd *ucmd)
{
	struct vfio_device_feature	ft;
	int				rc;

	memset(&ft, 0, sizeof(ft));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &ft,
	    VFIO_CDEV_FEATURE_MIN)) != 0)
		return (rc);
	if (ft.argsz < VFIO_CDEV_FEATURE_MIN)
		return (-EINVAL);
	if (ft.flags & ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_SET |
	    VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE))
		return (-EINVAL);
	if (!(ft.flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    (ft.flags & VFIO_DEVICE_FEATURE_SET) &&
	    (ft.flags & VFIO_DEVICE_FEATURE_GET))
		return (-EINVAL);
	return (-ENOTTY);
}

/*
 * IOASIDD_REGION_READ and IOASIDD_REGION_WRITE (proto/ioasidd.h): the
 * caller's pread() and pwrite(), which the preload library cannot send
 * as what they are. At most VFIO_CDEV_RW_MAX bytes move per call, as a
 * short read or write. A write's bytes are read before anything is done.
 */
static int
vfio_cdev_ioctl_region_rw(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct ioasidd_region_rw	 rw;
	uint8_t				*buf;
	size_t				 len;
	long				 n;
	int				 write, rc;

	write = ucmd->cmd == IOASIDD_REGION_WRITE;
	rc = vfio_cdev_read_struct(ucmd, &rw, sizeof(rw),
	    sizeof(struct ioasidd_region_rw));
	if (rc != 0)
		return (rc);
	if (rw.flags != 0)
		return (-EINVAL);
	len = (size_t)MIN(rw.length, VFIO_CDEV_RW_MAX);
	if (len == 0)
		return (0);
	if ((buf = malloc(len)) == NULL)
		return (-ENOMEM);
	if (write && (rc = ucmd_read(ucmd, rw.data_uptr, buf, len)) != 0) {
		free(buf);
		return (rc);
	}
	n = vfio_cdev_region_rw(f, rw.offset, buf, len, write);
	if (n > 0 && !write &&
	    (rc = ucmd_write(ucmd, rw.data_uptr, buf, (size_t)n)) != 0)
		n = rc;
	free(buf);
	return ((int)n);
}

/*
 * IOASIDD_KVM_FILE (proto/ioasidd_kvm.h): a VM adds the open to its
 * kvm-vfio device, or removes it. The VM is the caller's process when
 * the transport knows it, else the pid the library sent, with the
 * library's number for the VM. Allowed on an open not yet bound: QEMU
 * adds the device to KVM before it binds it.
 */
static int
vfio_cdev_ioctl_kvm_file(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	struct ioasidd_kvm_file	 k;
	pid_t			 pid;
	unsigned int		 i;
	int			 rc;

	rc = vfio_cdev_read_struct(ucmd, &k, sizeof(k), sizeof(k));
	if (rc != 0)
		return (rc);
	if (k.flags != 0 || k.__reserved != 0 ||
	    (k.op != IOASIDD_KVM_FILE_ADD && k.op != IOASIDD_KVM_FILE_DEL))
		return (-EINVAL);
	pid = ucmd->caller != NULL && ucmd->caller->pid != 0 ?
	    ucmd->caller->pid : (pid_t)k.pid;
	for (i = 0; i < f->nvms; i++) {
		if (f->vms[i].pid == pid && f->vms[i].vm_id == k.vm_id)
			break;
	}
	if (k.op == IOASIDD_KVM_FILE_DEL) {
		if (i == f->nvms)
			return (-ENOENT);
		f->vms[i] = f->vms[--f->nvms];
		log_debug("vfio%u: VM %d/%llu removed it",
		    (unsigned int)(f->dev - vfio_cdev_devs), (int)pid,
		    (unsigned long long)k.vm_id);
		return (0);
	}
	if (i < f->nvms)
		return (-EEXIST);
	if (f->nvms == nitems(f->vms))
		return (-ENOMEM);
	f->vms[f->nvms].pid = pid;
	f->vms[f->nvms].kvm_fd = k.kvm_fd;
	f->vms[f->nvms].vm_id = k.vm_id;
	f->nvms++;
	log_debug("vfio%u: VM %d/%llu (kvm-vfio descriptor %d) added it",
	    (unsigned int)(f->dev - vfio_cdev_devs), (int)pid,
	    (unsigned long long)k.vm_id, (int)k.kvm_fd);
	return (0);
}

int
vfio_cdev_vm_foreach(int (*fn)(unsigned int, const struct vfio_cdev_vm *,
    void *), void *arg)
{
	const struct vfio_cdev_file	*f;
	unsigned int			 d, i;
	int				 rc;

	for (d = 0; d < vfio_cdev_ndevs; d++) {
		for (f = vfio_cdev_devs[d].opens; f != NULL; f = f->next) {
			for (i = 0; i < f->nvms; i++) {
				if ((rc = fn(d, &f->vms[i], arg)) != 0)
					return (rc);
			}
		}
	}
	return (0);
}

unsigned int
vfio_cdev_device_vms(const struct device *dev, struct vfio_cdev_vm *vms)
{
	const struct vfio_cdev_file	*b;
	unsigned int			 d, i;

	for (d = 0; d < vfio_cdev_ndevs; d++) {
		b = vfio_cdev_devs[d].bound;
		if (b == NULL || b->idev != dev)
			continue;
		for (i = 0; i < b->nvms; i++)
			vms[i] = b->vms[i];
		return (b->nvms);
	}
	return (0);
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
	{ IOASIDD_REGION_READ, vfio_cdev_ioctl_region_rw },
	{ IOASIDD_REGION_WRITE, vfio_cdev_ioctl_region_rw },
	{ IOASIDD_KVM_FILE, vfio_cdev_ioctl_kvm_file },
};

/* vfio-pci's commands: only for a device with a PCI function. */
static const struct {
	unsigned int	  cmd;
	int		(*fn)(struct vfio_cdev_file *, struct ucmd *);
} vfio_cdev_pci_ops[] = {
	{ VFIO_DEVICE_GET_REGION_INFO, vfio_cdev_ioctl_region_info },
	{ VFIO_DEVICE_GET_IRQ_INFO, vfio_cdev_ioctl_irq_info },
	{ VFIO_DEVICE_SET_IRQS, vfio_cdev_ioctl_set_irqs },
	{ VFIO_DEVICE_RESET, vfio_cdev_ioctl_reset },
	{ VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
	    vfio_cdev_ioctl_hot_reset_info },
	{ VFIO_DEVICE_PCI_HOT_RESET, vfio_cdev_ioctl_hot_reset },
	{ VFIO_DEVICE_FEATURE, vfio_cdev_ioctl_feature },
};

unsigned int
vfio_cdev_cmd(size_t i)
{
	if (i < nitems(vfio_cdev_ops))
		return (vfio_cdev_ops[i].cmd);
	i -= nitems(vfio_cdev_ops);
	if (i < nitems(vfio_cdev_pci_ops))
		return (vfio_cdev_pci_ops[i].cmd);
	return (0);
}

long
vfio_cdev_dispatch(struct vfio_cdev_file *f, struct ucmd *ucmd)
{
	size_t	i;

	/*
	 * 7.3 refuses the open of a noiommu device's node to a process
	 * without CAP_SYS_RAWIO. An open reaches us before we know the
	 * caller's capabilities, so every command on it is refused instead,
	 * which leaves such a caller the same nothing.
	 */
	if (hw_is_noiommu(f->dev->edev.desc.hw) &&
	    (ucmd->caller->caps & CALLER_CAP_SYS_RAWIO) == 0)
		return (-EPERM);
	if (ucmd->cmd != VFIO_DEVICE_BIND_IOMMUFD &&
	    ucmd->cmd != IOASIDD_KVM_FILE && f->ctx == NULL)
		return (-EINVAL);
	/*
	 * The bound context's objects whose answers are still on their way
	 * (an HWPT_ALLOC's id, say) are published first: the caller has its
	 * ioctl's return before it names the id here, on another descriptor,
	 * as a request on one of the context's own channels would see it.
	 */
	if (f->ctx != NULL && f->ctx->settle != NULL)
		f->ctx->settle(f->ctx);
	for (i = 0; i < nitems(vfio_cdev_ops); i++) {
		if (vfio_cdev_ops[i].cmd == ucmd->cmd)
			return (vfio_cdev_ops[i].fn(f, ucmd));
	}
	for (i = 0; f->dev->pci != NULL && i < nitems(vfio_cdev_pci_ops);
	    i++) {
		if (vfio_cdev_pci_ops[i].cmd == ucmd->cmd)
			return (vfio_cdev_pci_ops[i].fn(f, ucmd));
	}
	return (-ENOTTY);
}
