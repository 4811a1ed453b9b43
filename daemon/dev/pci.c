/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The part of an emulated PCI function every device shares (see pci.h):
 * its configuration space, its VFIO regions and its interrupts.
 *
 * Configuration space is three byte arrays: the values, the bits a write
 * may change (wmask) and the bits a write of 1 clears (w1c). Every other
 * bit is read-only. A BAR's wmask leaves out the bits below its size, so
 * writing all-ones reads back the size mask with the type bits, which is
 * BAR sizing; the ROM BAR likewise with its enable bit. The capability
 * chain is fixed at setup: PM, MSI (64-bit), MSI-X, PCI Express, each
 * present when the function declares it, linked in that order from 0x34.
 * The MSI and MSI-X capabilities are only registers here: as in vfio-pci,
 * what signals is what VFIO_DEVICE_SET_IRQS armed, never the enable bits.
 *
 * The MSI-X table and PBA live in a BAR of their own, the first one the
 * function leaves free, served by this file: as vfio-pci does for a real
 * device, the table reads as all-ones and drops writes (the VMM emulates
 * it), the PBA reads as zero.
 *
 * Interrupts. irq_type is the index SET_IRQS enabled (INTx, MSI or MSI-X,
 * one at a time, or none); each vector has at most one eventfd, a
 * daemon-owned descriptor set O_NONBLOCK, so that signalling one never
 * blocks the daemon whatever the caller did to its counter. INTx is
 * level: a rise of the function's line signals the trigger and masks the
 * line until UNMASK, which signals again if the line is still high.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "conf.h"
#include "core/util.h"
#include "dev/pci.h"
#include "iommufd/device.h"
#include "log.h"

#define PCI_CFG_LEGACY		256
#define PCI_CFG_EXPRESS		4096

/* Where the capabilities go, when present. */
#define PCI_CAP_PM_AT		0x40
#define PCI_CAP_MSI_AT		0x50
#define PCI_CAP_MSIX_AT		0x70
#define PCI_CAP_EXP_AT		0x80

#define PCI_STATUS_W1C		0xf900	/* error bits 8, 11-15 */
#define PCI_COMMAND_WMASK	0x0547	/* IO, MEM, MASTER, PARITY, SERR,
					   INTX_DISABLE */

static const struct pci_func_ops *const pci_funcs[] = {
	&edu_func_ops,
	&pci_generic_func_ops,
};

struct pci_dev {
	const struct pci_func_ops *ops;
	void			*priv;
	struct edev		*edev;		/* its DMA goes through */
	struct pci_func_desc	 desc;
	unsigned int		 cfg_size;
	uint8_t			 cfg[PCI_CFG_EXPRESS];
	uint8_t			 wmask[PCI_CFG_EXPRESS];
	uint8_t			 w1c[PCI_CFG_EXPRESS];
	int			 msix_bar;	/* -1: no MSI-X */
	uint64_t		 msix_bar_size;
	uint32_t		 msix_pba_off;

	/* Interrupts as VFIO armed them. */
	int			 irq_type;	/* an IRQ index, or -1 */
	int			 intx_fd;	/* -1: none */
	int			 intx_level;
	int			 intx_masked;
	int			*vec_fds;	/* msi or msix vectors */
	unsigned int		 nvec;
	int			 err_fd, req_fd;
	uint64_t		 nsignals;
};

static void	pci_cfg_build(struct pci_dev *);
static void	pci_intx_fire(struct pci_dev *);
static void	pci_signal(struct pci_dev *, int);

const struct pci_func_ops *
pci_func_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(pci_funcs); i++) {
		if (strcmp(pci_funcs[i]->name, name) == 0)
			return (pci_funcs[i]);
	}
	return (NULL);
}

void *
pci_dev_priv(struct pci_dev *pd)
{
	return (pd->priv);
}

void
pci_dev_set_priv(struct pci_dev *pd, void *priv)
{
	pd->priv = priv;
}

const char *
pci_dev_name(const struct pci_dev *pd)
{
	return (pd->edev != NULL ? pd->edev->name : "pci");
}

const struct pci_func_desc *
pci_dev_desc(const struct pci_dev *pd)
{
	return (&pd->desc);
}

static uint64_t
pci_roundup_pow2(uint64_t v)
{
	uint64_t	p = 1;

	while (p < v)
		p <<= 1;
	return (p);
}

/* The overrides a [device] section may give any function. */
static void
pci_desc_override(struct pci_func_desc *d, const struct conf_device *cd)
{
	unsigned int	i;

	if (cd->pci_set & CONF_PCI_VENDOR)
		d->vendor = cd->vendor_id;
	if (cd->pci_set & CONF_PCI_DEVICE)
		d->device = cd->device_id;
	if (cd->pci_set & CONF_PCI_SUBVENDOR)
		d->subsys_vendor = cd->subsys_vendor;
	if (cd->pci_set & CONF_PCI_SUBDEVICE)
		d->subsys_device = cd->subsys_device;
	if (cd->pci_set & CONF_PCI_CLASS)
		d->class_code = cd->class_code;
	if (cd->pci_set & CONF_PCI_INTX)
		d->intx_pin = (uint8_t)cd->intx_pin;
	if (cd->pci_set & CONF_PCI_MSI)
		d->msi_vectors = cd->msi_vectors;
	if (cd->pci_set & CONF_PCI_MSIX)
		d->msix_vectors = cd->msix_vectors;
	if (cd->pci_set & CONF_PCI_ROM)
		d->rom_size = cd->rom_size;
	for (i = 0; i < PCI_NUM_BARS; i++) {
		if (cd->pci_set & CONF_PCI_BAR(i)) {
			d->bars[i].size = cd->bar_size[i];
			d->bars[i].flags = cd->bar_flags[i];
		}
	}
}

/*
 * Whether a description can be built, and where the MSI-X BAR goes:
 * 0 or -EINVAL.
 */
static int
pci_desc_check(const struct pci_func_desc *d, int *msix_bar)
{
	const struct pci_bar_desc	*b;
	unsigned int			 i, used = 0;

	*msix_bar = -1;
	for (i = 0; i < PCI_NUM_BARS; i++) {
		b = &d->bars[i];
		if (b->size == 0)
			continue;
		if (!IS_POW2(b->size))
			return (-EINVAL);
		if (b->flags & PCI_BARF_IO) {
			if (b->flags & (PCI_BARF_64 | PCI_BARF_PREFETCH) ||
			    b->size < 4 || b->size > 256)
				return (-EINVAL);
		} else if (b->size < 16 || (!(b->flags & PCI_BARF_64) &&
		    b->size > (1ULL << 31)))
			return (-EINVAL);
		if (b->flags & PCI_BARF_64) {
			if (i == PCI_NUM_BARS - 1 || d->bars[i + 1].size != 0)
				return (-EINVAL);
			used |= 1U << (i + 1);
		}
		used |= 1U << i;
	}
	if (d->rom_size != 0 && (!IS_POW2(d->rom_size) ||
	    d->rom_size < 2048))
		return (-EINVAL);
	if (d->intx_pin > 4)
		return (-EINVAL);
	if (d->msi_vectors != 0 && (!IS_POW2(d->msi_vectors) ||
	    d->msi_vectors > 32))
		return (-EINVAL);
	if (d->msix_vectors > PCI_MSIX_MAX)
		return (-EINVAL);
	if (d->msix_vectors != 0) {
		for (i = 0; i < PCI_NUM_BARS; i++) {
			if (!(used & (1U << i)))
				break;
		}
		if (i == PCI_NUM_BARS)
			return (-EINVAL);
		*msix_bar = (int)i;
	}
	return (0);
}

int
pci_dev_create(struct edev *edev, const struct conf_device *cd,
    struct pci_dev **pp)
{
	const struct pci_func_ops	*ops;
	struct pci_dev			*pd;
	int				 rc;

	*pp = NULL;
	if (cd->function == NULL)
		return (0);
	if ((ops = pci_func_find(cd->function)) == NULL)
		return (-EINVAL);
	if ((pd = calloc(1, sizeof(*pd))) == NULL)
		return (-ENOMEM);
	pd->ops = ops;
	pd->edev = edev;
	pd->irq_type = -1;
	pd->intx_fd = pd->err_fd = pd->req_fd = -1;
	pd->desc.pcie = 1;
	if ((rc = ops->setup(pd, cd, &pd->desc)) != 0) {
		free(pd);
		return (rc);
	}
	pci_desc_override(&pd->desc, cd);
	if ((rc = pci_desc_check(&pd->desc, &pd->msix_bar)) != 0) {
		ops->teardown(pd);
		free(pd);
		return (rc);
	}
	if (pd->msix_bar >= 0) {
		pd->msix_pba_off = pd->desc.msix_vectors * 16;
		pd->msix_bar_size = MAX(4096, pci_roundup_pow2(
		    pd->msix_pba_off +
		    ALIGN_UP(pd->desc.msix_vectors, 64) / 8));
	}
	pd->cfg_size = pd->desc.pcie ? PCI_CFG_EXPRESS : PCI_CFG_LEGACY;
	pci_cfg_build(pd);
	ops->reset(pd);
	*pp = pd;
	return (0);
}

void
pci_dev_destroy(struct pci_dev *pd)
{
	if (pd == NULL)
		return;
	pci_irq_teardown(pd);
	pd->ops->teardown(pd);
	free(pd);
}

/* A little-endian value into one of the configuration arrays. */
static void
pci_put(uint8_t *a, unsigned int at, unsigned int size, uint32_t v)
{
	unsigned int	i;

	for (i = 0; i < size; i++)
		a[at + i] = (uint8_t)(v >> (8 * i));
}

/* One register: its value, writable bits and write-1-to-clear bits. */
static void
pci_reg(struct pci_dev *pd, unsigned int at, unsigned int size, uint32_t v,
    uint32_t wmask, uint32_t w1c)
{
	pci_put(pd->cfg, at, size, v);
	pci_put(pd->wmask, at, size, wmask);
	pci_put(pd->w1c, at, size, w1c);
}

static unsigned int
pci_log2(uint64_t v)
{
	unsigned int	n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return (n);
}

/* The power-on configuration space. */
static void
pci_cfg_build(struct pci_dev *pd)
{
	const struct pci_func_desc	*d = &pd->desc;
	const struct pci_bar_desc	*b;
	uint64_t			 mask;
	unsigned int			 i, at, caps[4], ncaps = 0;
	uint32_t			 lo;

	memset(pd->cfg, 0, sizeof(pd->cfg));
	memset(pd->wmask, 0, sizeof(pd->wmask));
	memset(pd->w1c, 0, sizeof(pd->w1c));

	pci_reg(pd, 0x00, 2, d->vendor, 0, 0);
	pci_reg(pd, 0x02, 2, d->device, 0, 0);
	pci_reg(pd, 0x04, 2, 0, PCI_COMMAND_WMASK, 0);
	pci_reg(pd, 0x06, 2, 0, 0, PCI_STATUS_W1C);
	pci_reg(pd, 0x08, 1, d->revision, 0, 0);
	pci_reg(pd, 0x09, 3, d->class_code & 0xffffff, 0, 0);
	pci_reg(pd, 0x0c, 1, 0, 0xff, 0);	/* cache line size */
	pci_reg(pd, 0x0d, 1, 0, 0xff, 0);	/* latency timer */
	pci_reg(pd, 0x2c, 2, d->subsys_vendor, 0, 0);
	pci_reg(pd, 0x2e, 2, d->subsys_device, 0, 0);
	pci_reg(pd, 0x3c, 1, 0, 0xff, 0);	/* interrupt line */
	pci_reg(pd, 0x3d, 1, d->intx_pin, 0, 0);

	for (i = 0; i < PCI_NUM_BARS; i++) {
		b = &d->bars[i];
		if ((int)i == pd->msix_bar) {
			mask = ~(pd->msix_bar_size - 1);
			pci_reg(pd, 0x10 + 4 * i, 4, 0, (uint32_t)mask & ~0xfU,
			    0);
			continue;
		}
		if (b->size == 0)
			continue;
		mask = ~(b->size - 1);
		if (b->flags & PCI_BARF_IO) {
			pci_reg(pd, 0x10 + 4 * i, 4, 0x1,
			    (uint32_t)mask & ~0x3U, 0);
			continue;
		}
		lo = (b->flags & PCI_BARF_64 ? 0x4 : 0) |
		    (b->flags & PCI_BARF_PREFETCH ? 0x8 : 0);
		pci_reg(pd, 0x10 + 4 * i, 4, lo, (uint32_t)mask & ~0xfU, 0);
		if (b->flags & PCI_BARF_64) {
			i++;
			pci_reg(pd, 0x10 + 4 * i, 4, 0,
			    (uint32_t)(mask >> 32), 0);
		}
	}
	if (d->rom_size != 0)
		pci_reg(pd, 0x30, 4, 0, (~(d->rom_size - 1) & 0xfffff800U) |
		    0x1, 0);

	if (d->pcie || d->msi_vectors || d->msix_vectors)
		caps[ncaps++] = PCI_CAP_PM_AT;
	if (d->msi_vectors)
		caps[ncaps++] = PCI_CAP_MSI_AT;
	if (d->msix_vectors)
		caps[ncaps++] = PCI_CAP_MSIX_AT;
	if (d->pcie)
		caps[ncaps++] = PCI_CAP_EXP_AT;
	if (ncaps == 0)
		return;
	pd->cfg[0x06] |= 0x10;			/* capability list */
	/* Each capability's next pointer names the following one. */
	at = 0x34;
	for (i = 0; i < ncaps; i++) {
		pd->cfg[at] = (uint8_t)caps[i];
		at = caps[i] + 1;
		switch (caps[i]) {
		case PCI_CAP_PM_AT:
			pd->cfg[caps[i]] = 0x01;
			/* Version 3, D0 and D3hot; no soft reset on D3->D0. */
			pci_reg(pd, caps[i] + 2, 2, 0x0003, 0, 0);
			pci_reg(pd, caps[i] + 4, 2, 0x0008, 0x0103, 0x8000);
			break;
		case PCI_CAP_MSI_AT:
			pd->cfg[caps[i]] = 0x05;
			/* 64-bit, multiple message capable, enable, MME. */
			pci_reg(pd, caps[i] + 2, 2, 0x0080 |
			    (pci_log2(d->msi_vectors) << 1), 0x0071, 0);
			pci_reg(pd, caps[i] + 4, 4, 0, 0xfffffffcU, 0);
			pci_reg(pd, caps[i] + 8, 4, 0, 0xffffffffU, 0);
			pci_reg(pd, caps[i] + 12, 2, 0, 0xffff, 0);
			break;
		case PCI_CAP_MSIX_AT:
			pd->cfg[caps[i]] = 0x11;
			pci_reg(pd, caps[i] + 2, 2, d->msix_vectors - 1,
			    0xc000, 0);
			pci_reg(pd, caps[i] + 4, 4, (uint32_t)pd->msix_bar, 0,
			    0);
			pci_reg(pd, caps[i] + 8, 4, pd->msix_pba_off |
			    (uint32_t)pd->msix_bar, 0, 0);
			break;
		case PCI_CAP_EXP_AT:
			pd->cfg[caps[i]] = 0x10;
			/* Version 2, endpoint. */
			pci_reg(pd, caps[i] + 0x02, 2, 0x0002, 0, 0);
			/* Device: 128-byte payload, role-based errors. */
			pci_reg(pd, caps[i] + 0x04, 4, 0x00008000, 0, 0);
			pci_reg(pd, caps[i] + 0x08, 2, 0x2810, 0x7fff, 0);
			pci_reg(pd, caps[i] + 0x0a, 2, 0, 0, 0x000f);
			/* Link: 2.5 GT/s, x1, up. */
			pci_reg(pd, caps[i] + 0x0c, 4, 0x00000011, 0, 0);
			pci_reg(pd, caps[i] + 0x10, 2, 0, 0x01c3, 0);
			pci_reg(pd, caps[i] + 0x12, 2, 0x0011, 0, 0);
			pci_reg(pd, caps[i] + 0x28, 2, 0, 0x0000ffff, 0);
			break;
		}
	}
}

void
pci_dev_reset(struct pci_dev *pd)
{
	pci_cfg_build(pd);
	pd->intx_level = 0;
	pd->intx_masked = 0;
	pd->ops->reset(pd);
}

/*
 * Configuration space: the whole access inside it (-EFAULT otherwise, as
 * vfio-pci answers), taken byte by byte, which is the same as its
 * aligned pieces here: the only effect beyond the bytes, INTx disable
 * let go, is looked at once the whole write is in.
 */
static long
pci_cfg_rw(struct pci_dev *pd, uint64_t pos, uint8_t *buf, size_t len,
    int write)
{
	size_t	i;
	uint8_t	v, old, cmd_hi = pd->cfg[0x05];

	if (pos >= pd->cfg_size || len > pd->cfg_size - pos)
		return (-EFAULT);
	for (i = 0; i < len; i++) {
		if (!write) {
			buf[i] = pd->cfg[pos + i];
			continue;
		}
		old = pd->cfg[pos + i];
		v = buf[i];
		old = (uint8_t)((old & ~pd->wmask[pos + i]) |
		    (v & pd->wmask[pos + i]));
		old &= (uint8_t)~(v & pd->w1c[pos + i]);
		pd->cfg[pos + i] = old;
	}
	/* INTx disable cleared while the line is high: it asserts now. */
	if ((cmd_hi & 0x04) && !(pd->cfg[0x05] & 0x04) && pd->intx_level)
		pci_intx_fire(pd);
	return ((long)len);
}

/* The MSI-X BAR: the table reads all-ones and drops writes. */
static uint64_t
pci_msix_bar_read(struct pci_dev *pd, uint64_t off, unsigned int size)
{
	if (off < (uint64_t)pd->desc.msix_vectors * 16)
		return (size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1);
	return (0);
}

/* The size of the access piece at pos with len left (1, 2, 4 or 8). */
static unsigned int
pci_piece(uint64_t pos, size_t len)
{
	if (len >= 8 && (pos & 7) == 0)
		return (8);
	if (len >= 4 && (pos & 3) == 0)
		return (4);
	if (len >= 2 && (pos & 1) == 0)
		return (2);
	return (1);
}

long
pci_region_rw(struct pci_dev *pd, unsigned int index, uint64_t pos,
    void *vbuf, size_t len, int write)
{
	uint8_t		*buf = vbuf;
	uint64_t	 size, v;
	uint32_t	 flags;
	unsigned int	 n;
	size_t		 done;

	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		return (pci_cfg_rw(pd, pos, buf, len, write));
	if (pci_region_info(pd, index, &size, &flags) != 0 || size == 0)
		return (-EINVAL);
	if (write && !(flags & VFIO_REGION_INFO_FLAG_WRITE))
		return (-EINVAL);
	if (pos >= size)
		return (-EINVAL);
	len = (size_t)MIN(len, size - pos);
	for (done = 0; done < len; done += n, pos += n) {
		n = pci_piece(pos, len - done);
		if (write) {
			/* The bytes are little-endian, whatever the host. */
			v = 0;
			memcpy(&v, buf + done, n);
			v = le64toh(v);
			if ((int)index != pd->msix_bar)
				pd->ops->bar_write(pd, index, pos, n, v);
			continue;
		}
		if (index == VFIO_PCI_ROM_REGION_INDEX)
			v = pd->ops->rom_read != NULL ?
			    pd->ops->rom_read(pd, pos, n) : 0;
		else if ((int)index == pd->msix_bar)
			v = pci_msix_bar_read(pd, pos, n);
		else
			v = pd->ops->bar_read(pd, index, pos, n);
		v = htole64(v);
		memcpy(buf + done, &v, n);
	}
	return ((long)len);
}

int
pci_region_info(struct pci_dev *pd, unsigned int index, uint64_t *size,
    uint32_t *flags)
{
	const struct pci_bar_desc	*b;

	*size = 0;
	*flags = 0;
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		*size = pd->cfg_size;
		*flags = VFIO_REGION_INFO_FLAG_READ |
		    VFIO_REGION_INFO_FLAG_WRITE;
		return (0);
	case VFIO_PCI_ROM_REGION_INDEX:
		if ((*size = pd->desc.rom_size) != 0)
			*flags = VFIO_REGION_INFO_FLAG_READ;
		return (0);
	case VFIO_PCI_VGA_REGION_INDEX:
		return (-EINVAL);
	default:
		if (index >= PCI_NUM_BARS)
			return (-EINVAL);
		b = &pd->desc.bars[index];
		*size = (int)index == pd->msix_bar ? pd->msix_bar_size :
		    b->size;
		if (*size != 0)
			*flags = VFIO_REGION_INFO_FLAG_READ |
			    VFIO_REGION_INFO_FLAG_WRITE;
		return (0);
	}
}

unsigned int
pci_irq_count(const struct pci_dev *pd, unsigned int index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return (pd->desc.intx_pin != 0 ? 1 : 0);
	case VFIO_PCI_MSI_IRQ_INDEX:
		return (pd->desc.msi_vectors);
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return (pd->desc.msix_vectors);
	case VFIO_PCI_ERR_IRQ_INDEX:
		return (pd->desc.pcie ? 1 : 0);
	case VFIO_PCI_REQ_IRQ_INDEX:
		return (1);
	default:
		return (0);
	}
}

static void
pci_fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * The INTx line asserts: when INTx is what SET_IRQS armed, it is not
 * masked and the command register does not disable it, signal the
 * trigger and mask, until the user unmasks.
 */
static void
pci_intx_fire(struct pci_dev *pd)
{
	if (pd->irq_type != VFIO_PCI_INTX_IRQ_INDEX || pd->intx_masked ||
	    (pd->cfg[0x05] & 0x04))
		return;
	pd->intx_masked = 1;
	pci_signal(pd, pd->intx_fd);
}

/* Signal an eventfd; it never blocks (O_NONBLOCK: a full counter). */
static void
pci_signal(struct pci_dev *pd, int fd)
{
	uint64_t	one = 1;

	if (fd < 0)
		return;
	if (write(fd, &one, sizeof(one)) == sizeof(one))
		pd->nsignals++;
}

int
pci_eventfd_check(int fd)
{
	char	path[64], link[64];
	ssize_t	n;

	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
		return (-EBADF);
	link[n] = '\0';
	if (strcmp(link, "anon_inode:[eventfd]") != 0)
		return (-EINVAL);
	return (0);
}

/* Disable MSI or MSI-X: every vector's eventfd goes. */
static void
pci_vec_disable(struct pci_dev *pd)
{
	unsigned int	i;

	for (i = 0; i < pd->nvec; i++)
		pci_fd_close(&pd->vec_fds[i]);
	free(pd->vec_fds);
	pd->vec_fds = NULL;
	pd->nvec = 0;
	pd->irq_type = -1;
}

static void
pci_intx_disable(struct pci_dev *pd)
{
	pci_fd_close(&pd->intx_fd);
	pd->intx_masked = 0;
	pd->irq_type = -1;
}

void
pci_irq_teardown(struct pci_dev *pd)
{
	if (pd->irq_type == VFIO_PCI_INTX_IRQ_INDEX)
		pci_intx_disable(pd);
	else if (pd->irq_type >= 0)
		pci_vec_disable(pd);
	pci_fd_close(&pd->err_fd);
	pci_fd_close(&pd->req_fd);
}

/*
 * Take fd for slot: the old one closes. It becomes O_NONBLOCK, so that
 * signalling never blocks (a flag of the caller's open file too: a VMM
 * polls its eventfds anyway).
 */
static void
pci_fd_replace(int *slot, int fd)
{
	int	fl;

	pci_fd_close(slot);
	if (fd >= 0 && (fl = fcntl(fd, F_GETFL)) >= 0 && !(fl & O_NONBLOCK))
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	*slot = fd;
}

static void
pci_intx_unmask(struct pci_dev *pd)
{
	if (!pd->intx_masked)
		return;
	pd->intx_masked = 0;
	/* Still asserted: it fires again, and masks again. */
	if (pd->intx_level)
		pci_intx_fire(pd);
}

static int
pci_set_intx(struct pci_dev *pd, uint32_t action, uint32_t dtype,
    unsigned int start, unsigned int count, const uint8_t *bools,
    int *fds)
{
	int	intx = pd->irq_type == VFIO_PCI_INTX_IRQ_INDEX;

	if (action == VFIO_IRQ_SET_ACTION_MASK ||
	    action == VFIO_IRQ_SET_ACTION_UNMASK) {
		if (!intx || start != 0 || count != 1)
			return (-EINVAL);
		/*
		 * An eventfd that masks: vfio-pci has none (ENOTTY). One
		 * that unmasks (vfio-pci's virqfd) would need the daemon
		 * to watch it: not implemented, but removing none is 0.
		 */
		if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
			if (action == VFIO_IRQ_SET_ACTION_MASK)
				return (-ENOTTY);
			return (fds[0] < 0 ? 0 : -EOPNOTSUPP);
		}
		if (dtype == VFIO_IRQ_SET_DATA_BOOL && bools[0] == 0)
			return (0);
		if (action == VFIO_IRQ_SET_ACTION_MASK)
			pd->intx_masked = 1;
		else
			pci_intx_unmask(pd);
		return (0);
	}
	if (intx && count == 0 && dtype == VFIO_IRQ_SET_DATA_NONE) {
		pci_intx_disable(pd);
		return (0);
	}
	if (!(intx || pd->irq_type < 0) || start != 0 || count != 1)
		return (-EINVAL);
	if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		/* Enabling without a trigger is allowed, as in vfio-pci. */
		if (pd->irq_type < 0 && pd->desc.intx_pin == 0)
			return (-ENODEV);
		pci_fd_replace(&pd->intx_fd, fds[0]);
		fds[0] = -1;
		if (!intx) {
			pd->irq_type = VFIO_PCI_INTX_IRQ_INDEX;
			pd->intx_masked = 0;
		}
		return (0);
	}
	if (!intx)
		return (-EINVAL);
	if (dtype == VFIO_IRQ_SET_DATA_NONE ||
	    (dtype == VFIO_IRQ_SET_DATA_BOOL && bools[0] != 0))
		pci_signal(pd, pd->intx_fd);
	return (0);
}

static int
pci_set_msi(struct pci_dev *pd, unsigned int index, uint32_t dtype,
    unsigned int start, unsigned int count, const uint8_t *bools,
    int *fds)
{
	unsigned int	i, max;
	int		on = pd->irq_type == (int)index;

	if (on && count == 0 && dtype == VFIO_IRQ_SET_DATA_NONE) {
		pci_vec_disable(pd);
		return (0);
	}
	if (!(on || pd->irq_type < 0))
		return (-EINVAL);
	if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		if (!on) {
			/* Room for every vector the device has. */
			max = pci_irq_count(pd, index);
			pd->vec_fds = reallocarray(NULL, max, sizeof(int));
			if (pd->vec_fds == NULL)
				return (-ENOMEM);
			for (i = 0; i < max; i++)
				pd->vec_fds[i] = -1;
			pd->nvec = max;
			pd->irq_type = (int)index;
		}
		for (i = 0; i < count; i++) {
			pci_fd_replace(&pd->vec_fds[start + i], fds[i]);
			fds[i] = -1;
		}
		return (0);
	}
	if (!on)
		return (-EINVAL);
	for (i = 0; i < count; i++) {
		if (dtype == VFIO_IRQ_SET_DATA_NONE || bools[i] != 0)
			pci_signal(pd, pd->vec_fds[start + i]);
	}
	return (0);
}

/* ERR and REQ: one eventfd each; count 0 with DATA_NONE removes it. */
static int
pci_set_single(struct pci_dev *pd, int *slot, uint32_t dtype,
    unsigned int start, unsigned int count, const uint8_t *bools,
    int *fds)
{
	if (start != 0 || count > 1)
		return (-EINVAL);
	switch (dtype) {
	case VFIO_IRQ_SET_DATA_NONE:
		if (*slot < 0)
			return (-EINVAL);
		if (count != 0)
			pci_signal(pd, *slot);
		else
			pci_fd_close(slot);
		return (0);
	case VFIO_IRQ_SET_DATA_BOOL:
		if (count == 0)
			return (-EINVAL);
		if (bools[0] != 0)
			pci_signal(pd, *slot);
		return (0);
	default:
		if (count == 0)
			return (-EINVAL);
		pci_fd_replace(slot, fds[0]);
		fds[0] = -1;
		return (0);
	}
}

int
pci_set_irqs(struct pci_dev *pd, uint32_t flags, unsigned int index,
    unsigned int start, unsigned int count, const void *data, int *fds)
{
	uint32_t	action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	uint32_t	dtype = flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		return (pci_set_intx(pd, action, dtype, start, count, data,
		    fds));
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
			return (-ENOTTY);
		return (pci_set_msi(pd, index, dtype, start, count, data,
		    fds));
	case VFIO_PCI_ERR_IRQ_INDEX:
		if (action != VFIO_IRQ_SET_ACTION_TRIGGER || !pd->desc.pcie)
			return (-ENOTTY);
		return (pci_set_single(pd, &pd->err_fd, dtype, start, count,
		    data, fds));
	case VFIO_PCI_REQ_IRQ_INDEX:
		if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
			return (-ENOTTY);
		return (pci_set_single(pd, &pd->req_fd, dtype, start, count,
		    data, fds));
	default:
		return (-ENOTTY);
	}
}

void
pci_irq_set(struct pci_dev *pd, int level)
{
	int	rise = level && !pd->intx_level;

	pd->intx_level = level != 0;
	/* The status register's interrupt bit follows the line. */
	if (level)
		pd->cfg[0x06] |= 0x08;
	else
		pd->cfg[0x06] &= (uint8_t)~0x08;
	if (!level)
		return;
	if (pd->irq_type == VFIO_PCI_MSI_IRQ_INDEX ||
	    pd->irq_type == VFIO_PCI_MSIX_IRQ_INDEX) {
		pci_irq_notify(pd, 0);
		return;
	}
	if (rise)
		pci_intx_fire(pd);
}

void
pci_irq_notify(struct pci_dev *pd, unsigned int vector)
{
	if ((pd->irq_type != VFIO_PCI_MSI_IRQ_INDEX &&
	    pd->irq_type != VFIO_PCI_MSIX_IRQ_INDEX) || vector >= pd->nvec)
		return;
	pci_signal(pd, pd->vec_fds[vector]);
}

int
pci_dma_rw(struct pci_dev *pd, uint64_t iova, void *buf, size_t len,
    int to_memory)
{
	int	rc;

	/* Bus mastering off: the function cannot reach memory. */
	if (!(pd->cfg[0x04] & 0x04))
		return (-EPERM);
	if (pd->edev == NULL || pd->edev->bound == NULL)
		rc = -ENODEV;
	else
		rc = device_dma_rw(pd->edev->bound, DEVICE_NO_PASID, iova, buf,
		    len, to_memory);
	/*
	 * A transaction nothing answered: the master records a received
	 * master abort in its status register (write 1 to clear).
	 */
	if (rc != 0)
		pd->cfg[0x07] |= 0x20;
	return (rc);
}

uint64_t
pci_dev_nsignals(const struct pci_dev *pd)
{
	return (pd->nsignals);
}

/*
 * The generic function: an identity of its own (vendor 0x1234, device
 * 0x0001, class 0xff0000, PCI Express, nothing else) that the
 * configuration overrides, and BARs that read zero and drop writes.
 */
static int
pci_generic_setup(struct pci_dev *pd __unused, const struct conf_device *cd
    __unused, struct pci_func_desc *d)
{
	d->vendor = 0x1234;
	d->device = 0x0001;
	d->class_code = 0xff0000;
	d->pcie = 1;
	return (0);
}

static void
pci_generic_nop(struct pci_dev *pd __unused)
{
}

static uint64_t
pci_generic_bar_read(struct pci_dev *pd __unused, unsigned int bar __unused,
    uint64_t off __unused, unsigned int size __unused)
{
	return (0);
}

static void
pci_generic_bar_write(struct pci_dev *pd __unused, unsigned int bar __unused,
    uint64_t off __unused, unsigned int size __unused,
    uint64_t val __unused)
{
}

const struct pci_func_ops pci_generic_func_ops = {
	.name = "generic",
	.setup = pci_generic_setup,
	.reset = pci_generic_nop,
	.bar_read = pci_generic_bar_read,
	.bar_write = pci_generic_bar_write,
	.teardown = pci_generic_nop,
};
