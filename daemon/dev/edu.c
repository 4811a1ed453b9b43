/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * QEMU's educational PCI device "edu" as a PCI function (dev/pci.h), with
 * the register interface QEMU's docs/specs/edu.rst documents.
 *
 * edu: vendor 0x1234, device 0x11e8, revision 0x10, class 0x00ff00, one
 * 1 MiB memory BAR, one MSI vector (64-bit) and INTx pin A; a
 * conventional PCI device, as QEMU's is. Registers in BAR0, 4-byte
 * accesses below 0x80, 4 or 8 bytes from 0x80 (other sizes read all-ones
 * and are dropped, as QEMU does):
 *
 *   0x00 id 0x010000ed          0x04 liveness: reads ~ what was written
 *   0x08 factorial              0x20 status (bit 0 computing, bit 7: raise
 *   0x24 interrupt status            0x1 when a factorial is done)
 *   0x60 raise (OR into it)     0x64 acknowledge (clear those bits)
 *   0x80 DMA source             0x88 DMA destination
 *   0x90 DMA count              0x98 DMA command: bit 0 start, bit 1
 *                                    direction (0 memory to buffer, 1
 *                                    buffer to memory), bit 2 raise 0x100
 *                                    when done
 *
 * The 4 KiB buffer is at device address 0x40000. Both engines run
 * synchronously, in the write that starts them: a factorial is done (bit
 * 0 of status clear again) and a DMA finished (command bit 0 clear) by
 * the time the write returns.
 *
 * ioasidd's addition: a DMA that fails (an address outside the buffer, a
 * miss in the IOMMU's translation, no attachment, bus mastering off)
 * moves nothing, raises no completion interrupt, and sets bit 31 of the
 * command register, which reads 1 until the next start. QEMU's device
 * stops the VMM on a bad buffer address instead. The daemon logs the
 * first failure of each run of failures and counts them all.
 *
 * The interrupt line is "interrupt status != 0" (pci_irq_set()); in MSI
 * mode each raise is one message, as QEMU's device sends.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "core/util.h"
#include "dev/pci.h"
#include "log.h"

#define EDU_ID			0x010000edU
#define EDU_BAR0_SIZE		(1U << 20)
#define EDU_DMA_BASE		0x40000U
#define EDU_DMA_SIZE		4096U

#define EDU_STATUS_COMPUTING	0x01
#define EDU_STATUS_IRQFACT	0x80

#define EDU_CMD_RUN		0x1
#define EDU_CMD_TO_RAM		0x2
#define EDU_CMD_IRQ		0x4
#define EDU_CMD_ERROR		0x80000000U

#define EDU_IRQ_FACT		0x1
#define EDU_IRQ_DMA		0x100

struct edu {
	uint32_t	liveness;
	uint32_t	fact;
	uint32_t	status;
	uint32_t	irq_status;
	uint64_t	dma_src, dma_dst, dma_cnt, dma_cmd;
	uint8_t		buf[EDU_DMA_SIZE];
	int		dma_failing;	/* the last transfer failed */
	uint64_t	dma_errors;
};

static int
edu_setup(struct pci_dev *pd, const struct conf_device *cd __unused,
    struct pci_func_desc *d)
{
	struct edu	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (-ENOMEM);
	d->vendor = 0x1234;
	d->device = 0x11e8;
	d->revision = 0x10;
	d->class_code = 0x00ff00;
	d->bars[0].size = EDU_BAR0_SIZE;
	d->intx_pin = 1;
	d->msi_vectors = 1;
	d->pcie = 0;
	pci_dev_set_priv(pd, e);
	return (0);
}

static void
edu_reset(struct pci_dev *pd)
{
	struct edu	*e = pci_dev_priv(pd);
	uint64_t	 errors = e->dma_errors;

	memset(e, 0, sizeof(*e));
	e->dma_errors = errors;
}

static void
edu_teardown(struct pci_dev *pd)
{
	free(pci_dev_priv(pd));
	pci_dev_set_priv(pd, NULL);
}

static void
edu_raise(struct pci_dev *pd, struct edu *e, uint32_t bits)
{
	e->irq_status |= bits;
	if (e->irq_status != 0)
		pci_irq_set(pd, 1);
}

static void
edu_ack(struct pci_dev *pd, struct edu *e, uint32_t bits)
{
	e->irq_status &= ~bits;
	if (e->irq_status == 0)
		pci_irq_set(pd, 0);
}

static void
edu_factorial(struct pci_dev *pd, struct edu *e, uint32_t n)
{
	uint32_t	f = 1;

	/* Overflow wraps, as 32-bit arithmetic does in QEMU's device. */
	while (n > 1)
		f *= n--;
	e->fact = f;
	e->status &= ~EDU_STATUS_COMPUTING;
	if (e->status & EDU_STATUS_IRQFACT)
		edu_raise(pd, e, EDU_IRQ_FACT);
}

/* Whether [addr, addr + len) is inside the device's buffer. */
static int
edu_in_buffer(uint64_t addr, uint64_t len)
{
	return (addr >= EDU_DMA_BASE && len <= EDU_DMA_SIZE &&
	    addr - EDU_DMA_BASE <= EDU_DMA_SIZE - len);
}

static void
edu_dma(struct pci_dev *pd, struct edu *e)
{
	int	to_ram = (e->dma_cmd & EDU_CMD_TO_RAM) != 0, rc;
	uint64_t dev = to_ram ? e->dma_src : e->dma_dst;
	uint64_t mem = to_ram ? e->dma_dst : e->dma_src;

	if (!edu_in_buffer(dev, e->dma_cnt))
		rc = -EINVAL;
	else if (e->dma_cnt == 0)
		rc = 0;
	else
		rc = pci_dma_rw(pd, mem, e->buf + (dev - EDU_DMA_BASE),
		    (size_t)e->dma_cnt, to_ram);
	e->dma_cmd &= ~(uint64_t)EDU_CMD_RUN;
	if (rc != 0) {
		if (!e->dma_failing)
			log_warnx("%s: edu DMA %s 0x%llx, %llu bytes: %s",
			    pci_dev_name(pd), to_ram ? "to" : "from",
			    (unsigned long long)mem,
			    (unsigned long long)e->dma_cnt, strerror(-rc));
		e->dma_failing = 1;
		e->dma_errors++;
		e->dma_cmd |= EDU_CMD_ERROR;
		return;
	}
	e->dma_failing = 0;
	if (e->dma_cmd & EDU_CMD_IRQ)
		edu_raise(pd, e, EDU_IRQ_DMA);
}

static uint64_t
edu_bar_read(struct pci_dev *pd, unsigned int bar __unused, uint64_t off,
    unsigned int size)
{
	struct edu	*e = pci_dev_priv(pd);
	uint64_t	 v = ~0ULL;

	if ((off < 0x80 && size != 4) ||
	    (off >= 0x80 && size != 4 && size != 8))
		return (v);
	switch (off) {
	case 0x00:
		v = EDU_ID;
		break;
	case 0x04:
		v = e->liveness;
		break;
	case 0x08:
		v = e->fact;
		break;
	case 0x20:
		v = e->status;
		break;
	case 0x24:
		v = e->irq_status;
		break;
	case 0x80:
		v = e->dma_src;
		break;
	case 0x88:
		v = e->dma_dst;
		break;
	case 0x90:
		v = e->dma_cnt;
		break;
	case 0x98:
		v = e->dma_cmd;
		break;
	default:
		if (off >= EDU_DMA_BASE && off + size <= EDU_DMA_BASE +
		    EDU_DMA_SIZE) {
			v = 0;
			memcpy(&v, e->buf + (off - EDU_DMA_BASE), size);
		}
		break;
	}
	return (size == 8 ? v : v & ((1ULL << (8 * size)) - 1));
}

static void
edu_bar_write(struct pci_dev *pd, unsigned int bar __unused, uint64_t off,
    unsigned int size, uint64_t val)
{
	struct edu	*e = pci_dev_priv(pd);

	if ((off < 0x80 && size != 4) ||
	    (off >= 0x80 && size != 4 && size != 8))
		return;
	if (size == 4)
		val &= 0xffffffffU;
	switch (off) {
	case 0x04:
		e->liveness = ~(uint32_t)val;
		break;
	case 0x08:
		if (e->status & EDU_STATUS_COMPUTING)
			break;
		e->status |= EDU_STATUS_COMPUTING;
		edu_factorial(pd, e, (uint32_t)val);
		break;
	case 0x20:
		e->status = (e->status & ~(uint32_t)EDU_STATUS_IRQFACT) |
		    ((uint32_t)val & EDU_STATUS_IRQFACT);
		break;
	case 0x60:
		edu_raise(pd, e, (uint32_t)val);
		break;
	case 0x64:
		edu_ack(pd, e, (uint32_t)val);
		break;
	case 0x80:
		e->dma_src = val;
		break;
	case 0x88:
		e->dma_dst = val;
		break;
	case 0x90:
		e->dma_cnt = val;
		break;
	case 0x98:
		if (!(val & EDU_CMD_RUN) || (e->dma_cmd & EDU_CMD_RUN))
			break;
		e->dma_cmd = val & (EDU_CMD_RUN | EDU_CMD_TO_RAM |
		    EDU_CMD_IRQ);
		edu_dma(pd, e);
		break;
	default:
		/* The buffer is also visible in the BAR, as in QEMU. */
		if (off >= EDU_DMA_BASE && off + size <= EDU_DMA_BASE +
		    EDU_DMA_SIZE)
			memcpy(e->buf + (off - EDU_DMA_BASE), &val, size);
		break;
	}
}

uint64_t
edu_dma_errors(struct pci_dev *pd)
{
	struct edu	*e = pci_dev_priv(pd);

	return (e->dma_errors);
}

const struct pci_func_ops edu_func_ops = {
	.name = "edu",
	.setup = edu_setup,
	.reset = edu_reset,
	.bar_read = edu_bar_read,
	.bar_write = edu_bar_write,
	.teardown = edu_teardown,
};
