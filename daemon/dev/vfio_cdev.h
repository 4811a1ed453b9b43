/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The emulated VFIO cdev nodes (/dev/vfio/devices/vfioN): the second node
 * kind the transports serve, beside /dev/iommu.
 *
 * A node kind is its own per-open state and its own ioctl table. For
 * /dev/iommu that is a context (core/ctx.h) and dispatch(); for a VFIO
 * device node it is a struct vfio_cdev_file and vfio_cdev_dispatch(). The
 * devices are the [device NAME] sections of the configuration, numbered
 * in file order: device i is node vfio<i>.
 *
 * Binding. VFIO_DEVICE_BIND_IOMMUFD names a /dev/iommu descriptor of the
 * caller; the transport resolves it to a context (ucmd_getctx()). The
 * bound open holds a reference on that context and a DEVICE object in
 * it, so the context outlives its own file while the device is bound, as
 * the kernel's device file holds the iommufd file. One open at a time
 * may have the device bound; closing that open unbinds it, whatever the
 * caller did or did not do first (a killed client included).
 */
#ifndef IOASIDD_DEV_VFIO_CDEV_H
#define IOASIDD_DEV_VFIO_CDEV_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct conf_device;
struct device;
struct ucmd;
struct vfio_cdev_file;

/*
 * Serve these devices (copied), each with the PCI function its section
 * names (dev/pci.h). Only while no node is open: at startup. 0, -ENOMEM,
 * or -EINVAL for a function that cannot be built (the configuration's
 * check refuses that first); then no device is served.
 */
int		 vfio_cdev_configure(const struct conf_device *, size_t n);
/* Forget the devices (every open must be closed). */
void		 vfio_cdev_unconfigure(void);
/* How many devices there are, and device i's label. */
unsigned int	 vfio_cdev_count(void);
const char	*vfio_cdev_name(unsigned int);

struct trace_site;
/*
 * Sets the trace site of a call on open f: its node's name ("vfio0",
 * written to node, len bytes), the device table, the iommufd context it
 * is bound to (0 for none). The device's configured name, or NULL.
 */
const char	*vfio_cdev_trace_site(const struct vfio_cdev_file *f,
		    struct trace_site *site, char *node, size_t len);

/*
 * Device i's opens, and the context id and DEVICE id of its binding (0
 * and 0 when unbound), for the status report: 0, or -ENODEV.
 */
int		 vfio_cdev_state(unsigned int i, unsigned int *nopen,
		    uint32_t *ctx_id, uint32_t *devid);

/*
 * A VM that holds an open of a device (proto/ioasidd_kvm.h): the
 * process, the library's number for the VM in it, and the kvm-vfio
 * descriptor the VMM named it with.
 */
struct vfio_cdev_vm {
	pid_t		pid;
	int		kvm_fd;
	uint64_t	vm_id;
};

/*
 * Call fn for every VM of every open of every device, with the device's
 * index, in device order; stop at the first non-zero return and give
 * it, else 0. fn must not open or close a device. The KVM coherency view
 * reads which VM has which device through this.
 */
int		 vfio_cdev_vm_foreach(int (*fn)(unsigned int,
		    const struct vfio_cdev_vm *, void *), void *);

/*
 * The VMs of the open that bound dev, in the order they added it, into
 * vms (room for IOASIDD_KVM_VMS_MAX): how many, 0 when dev is not bound
 * through a device node or no VM holds its open.
 */
unsigned int	 vfio_cdev_device_vms(const struct device *,
		    struct vfio_cdev_vm *vms);

/* Open device index: 0, or -ENODEV when there is no such device. */
int		 vfio_cdev_open(unsigned int index, struct vfio_cdev_file **);
/* The last close of an open: unbind it if bound, and free it. */
void		 vfio_cdev_close(struct vfio_cdev_file *);
/* Whether it is bound, and the DEVICE id it has then (else 0). */
uint32_t	 vfio_cdev_devid(const struct vfio_cdev_file *);

/*
 * One ioctl on the open, with ucmd->ctx NULL (the context comes from the
 * bind): the command's result, >= 0 or -errno, the kernel's for a VFIO
 * PCI device bound through its cdev.
 */
long		 vfio_cdev_dispatch(struct vfio_cdev_file *, struct ucmd *);
/* The i-th command the node answers (its table's rows), 0 past them. */
unsigned int	 vfio_cdev_cmd(size_t i);

/*
 * pread() (write 0) or pwrite() (write 1) of the node at offset: the
 * region index in the offset's high bits (bit 40 up) as vfio-pci encodes
 * it. What vfio-pci returns: the bytes done, short at a BAR's or the
 * ROM's end; -EINVAL at or past that end, for a region that does not
 * exist or is empty, a write of the ROM, an open not bound, or a device
 * with no PCI function; -EFAULT for configuration space not wholly
 * inside it. A write reads nothing more of the caller: buf holds its
 * bytes.
 */
#define VFIO_CDEV_RW_MAX	(64 * 1024)	/* most bytes one call moves */
long		 vfio_cdev_region_rw(struct vfio_cdev_file *, uint64_t offset,
		    void *buf, size_t len, int write);

#endif /* IOASIDD_DEV_VFIO_CDEV_H */
