/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * An emulated PCI function behind a VFIO cdev node: what vfio-pci shows
 * user space of a real device, built in the daemon.
 *
 * Two halves meet here. pci.c is the part every PCI device shares: the
 * configuration space with its capability chain (PM, MSI, MSI-X, PCI
 * Express) and the read-only, writable and write-1-to-clear bits PCI
 * defines, BAR sizing, the VFIO regions and their offsets, and the
 * interrupts as VFIO_DEVICE_SET_IRQS arms them (INTx with its automatic
 * mask, MSI, MSI-X, ERR, REQ). A function (struct pci_func_ops) is what
 * makes one device differ: its identity, its BARs and its registers.
 * The first function is QEMU's educational device "edu" (dev/edu.c).
 *
 * A function never sees VFIO, eventfds or the IOMMU. It raises its
 * interrupt with pci_irq_set() or pci_irq_notify() and does DMA with
 * pci_dma_rw(), which goes through whatever the device is attached to
 * (iommufd/device.h's device_dma_rw()) or fails cleanly when nothing is.
 *
 * Everything runs on the daemon's one event-loop thread.
 */
#ifndef IOASIDD_DEV_PCI_H
#define IOASIDD_DEV_PCI_H

#include <stddef.h>
#include <stdint.h>

struct conf_device;
struct device;
struct edev;
struct pci_dev;

#define PCI_NUM_BARS		6
#define PCI_MSIX_MAX		2048	/* the most MSI-X vectors PCI allows */

/* One BAR as a function declares it (size 0: not implemented). */
struct pci_bar_desc {
	uint64_t	size;		/* a power of two, >= 16 (memory) */
	unsigned int	flags;		/* PCI_BARF_* */
};

#define PCI_BARF_64		0x1	/* 64-bit memory BAR (takes two) */
#define PCI_BARF_PREFETCH	0x2	/* prefetchable */
#define PCI_BARF_IO		0x4	/* I/O space */

/* What a function declares about itself at setup. */
struct pci_func_desc {
	uint16_t		vendor, device;
	uint16_t		subsys_vendor, subsys_device;
	uint8_t			revision;
	uint32_t		class_code;	/* base, sub, prog-if: 24 bits */
	struct pci_bar_desc	bars[PCI_NUM_BARS];
	uint32_t		rom_size;	/* 0: no expansion ROM */
	uint8_t			intx_pin;	/* 0: none, 1-4: INTA-INTD */
	unsigned int		msi_vectors;	/* 0: no MSI capability */
	unsigned int		msix_vectors;	/* 0: no MSI-X capability */
	int			pcie;		/* a PCI Express capability */
};

/*
 * A device's behaviour. Every access a function sees is within one
 * implemented BAR and naturally sized (1, 2, 4 or 8 bytes); pci.c splits
 * and bounds what callers ask for.
 */
struct pci_func_ops {
	const char	*name;		/* "edu": the [device] function key */
	/*
	 * Fill the description from the configuration (ids it allows to
	 * override) and make the function's state (pci_dev_set_priv()).
	 * 0 or -errno (the configuration is refused with it).
	 */
	int		(*setup)(struct pci_dev *, const struct conf_device *,
			    struct pci_func_desc *);
	/* Back to the power-on state (VFIO_DEVICE_RESET, bind, unbind). */
	void		(*reset)(struct pci_dev *);
	uint64_t	(*bar_read)(struct pci_dev *, unsigned int bar,
			    uint64_t off, unsigned int size);
	void		(*bar_write)(struct pci_dev *, unsigned int bar,
			    uint64_t off, unsigned int size, uint64_t val);
	/* The expansion ROM's bytes (NULL: reads as zero). */
	uint64_t	(*rom_read)(struct pci_dev *, uint64_t off,
			    unsigned int size);
	/* Free the function's state. */
	void		(*teardown)(struct pci_dev *);
};

/* The function called name, or NULL. */
const struct pci_func_ops *pci_func_find(const char *name);

extern const struct pci_func_ops edu_func_ops;
/* edu's failed DMA transfers since the daemon started (dev/edu.c). */
uint64_t edu_dma_errors(struct pci_dev *);
/*
 * "generic": the identity and BARs the configuration gives, registers
 * that read zero and drop writes; for a VMM's probing code.
 */
extern const struct pci_func_ops pci_generic_func_ops;

/*
 * The PCI function for a [device] section, with edev behind it for DMA:
 * 0 with *pp NULL when the section names no function (the device has
 * no regions then), 0 with a device at power-on, -EINVAL when the
 * function is unknown or its description cannot be built (a BAR size
 * not a power of two, a 64-bit BAR in the last slot, no BAR left for
 * MSI-X, more vectors than PCI allows), -ENOMEM.
 */
int	 pci_dev_create(struct edev *, const struct conf_device *,
	    struct pci_dev **);
/* Drop its eventfds and free it (NULL is nothing). */
void	 pci_dev_destroy(struct pci_dev *);
/* What the function declared, after the configuration's overrides. */
const struct pci_func_desc *pci_dev_desc(const struct pci_dev *);
/*
 * Back to power-on: configuration space and the function. The eventfds
 * stay armed, as vfio-pci keeps them over VFIO_DEVICE_RESET.
 */
void	 pci_dev_reset(struct pci_dev *);
/* Disable every interrupt index and close every eventfd. */
void	 pci_irq_teardown(struct pci_dev *);
/* Eventfd signals sent so far (tests, status). */
uint64_t pci_dev_nsignals(const struct pci_dev *);

/*
 * A VFIO region's size and VFIO_REGION_INFO_FLAG_* (index 0-5 BARs, 6
 * ROM, 7 configuration space): 0, or -EINVAL for VGA and beyond.
 * A BAR the function does not implement is size 0, flags 0.
 */
int	 pci_region_info(struct pci_dev *, unsigned int index,
	    uint64_t *size, uint32_t *flags);
/*
 * Read or write len bytes of region index at pos, as vfio-pci answers:
 * configuration space wholly inside it or -EFAULT; a BAR or the ROM
 * from pos up to its end (a short count), -EINVAL at or past the end,
 * for one not implemented, and for a write of the ROM. The function sees
 * naturally aligned pieces of 8, 4, 2 or 1 bytes.
 */
long	 pci_region_rw(struct pci_dev *, unsigned int index, uint64_t pos,
	    void *buf, size_t len, int write);

/* Vectors of an interrupt index (VFIO_PCI_*_IRQ_INDEX; 0: none). */
unsigned int pci_irq_count(const struct pci_dev *, unsigned int index);
/*
 * Whether daemon descriptor fd is an eventfd: 0, or -EBADF, -EINVAL as
 * eventfd_ctx_fdget() answers. One taken by pci_set_irqs() is made
 * O_NONBLOCK, so that signalling it never blocks the daemon.
 */
int	 pci_eventfd_check(int fd);
/*
 * VFIO_DEVICE_SET_IRQS once its header is checked against
 * pci_irq_count() (start + count within it): data holds count bools for
 * DATA_BOOL, and fds count checked eventfds (or -1) for DATA_EVENTFD.
 * The eventfds taken are set to -1 in fds; the caller closes what is
 * left. 0 or -errno (vfio-pci's: -EINVAL for a rule broken, -ENOTTY
 * for an action the index does not have), nothing changed on failure.
 */
int	 pci_set_irqs(struct pci_dev *, uint32_t flags, unsigned int index,
	    unsigned int start, unsigned int count, const void *data,
	    int *fds);

/* For a function: its own state. */
void	*pci_dev_priv(struct pci_dev *);
void	 pci_dev_set_priv(struct pci_dev *, void *);
/* The device label, for log lines. */
const char *pci_dev_name(const struct pci_dev *);

/*
 * The function's interrupt line (INTx level, 1 asserted) as its
 * registers say; pci.c turns a rise into a signal of whatever the user
 * armed: MSI vector 0 when MSI is on, MSI-X vector 0 when MSI-X is, else
 * the INTx eventfd (then masked until unmasked, as vfio-pci does).
 */
void	 pci_irq_set(struct pci_dev *, int level);
/* An edge on vector n (MSI or MSI-X, whichever is on): signal it. */
void	 pci_irq_notify(struct pci_dev *, unsigned int vector);

/*
 * Device DMA: len bytes between buf and bus address iova, through the
 * IOMMU the device is attached to (to_memory: buf is written to memory).
 * 0, or -errno when any byte cannot be translated or is not permitted
 * (-EFAULT), the device is not attached (-ENODEV), or bus mastering is
 * off in the command register (-EPERM): then no byte was written to
 * memory, and the function reports a DMA error its own way. A failed
 * transfer (not -EPERM) sets Received Master Abort in the status
 * register, as a PCI master's failed request does.
 */
int	 pci_dma_rw(struct pci_dev *, uint64_t iova, void *buf, size_t len,
	    int to_memory);

#endif /* IOASIDD_DEV_PCI_H */
