/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The emulated PCI function behind a VFIO cdev node (dev/pci.c and the
 * vfio-pci commands of dev/vfio_cdev.c): configuration space bits (read
 * only, writable, write-1-to-clear, BAR and ROM sizing, the capability
 * chain), the regions' bounds and access splitting, every command's
 * errno table in the kernel's order, and the interrupts with real
 * eventfds: INTx's automatic mask and the re-signal at unmask, MSI,
 * MSI-X, ERR and REQ, and what reset, unbind and close leave behind.
 *
 * Three devices: "edu0" (function edu), "gen0" (function generic with
 * every kind of BAR, a ROM, INTx pin B, 4 MSI and 8 MSI-X vectors), and
 * "plain0", which names no function and keeps the node's old answers.
 */
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <linux/vfio.h>

#include "conf.h"
#include "core/ctx.h"
#include "core/ucmd.h"
#include "dev/pci.h"
#include "dev/vfio_cdev.h"
#include "helpers.h"
#include "pcitest.h"
#include "uapi.h"
#include "suites.h"

#define EDU	PCITEST_EDU
#define GEN	PCITEST_GEN
#define PLAIN	PCITEST_PLAIN
#define REG(i)	PCITEST_REG(i)

START_TEST(pci_test_ids)
{
	struct vfio_cdev_file	*f = pcitest_bind(EDU);

	ck_assert_uint_eq(pcitest_cfg_read(f, 0x00, 2), 0x1234);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x02, 2), 0x11e8);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x00, 4), 0x11e81234);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x08, 1), 0x10);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x09, 1), 0x00);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x0a, 2), 0x00ff);
	/* Header type 0, INTA. */
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x0e, 1), 0);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x3d, 1), 1);
	/* Conventional PCI, as QEMU's edu: 256 bytes. */
	ck_assert_int_eq(vfio_cdev_region_rw(f,
	    REG(VFIO_PCI_CONFIG_REGION_INDEX) + 256, &f, 1, 0), -EFAULT);
}
END_TEST

START_TEST(pci_test_overrides)
{
	struct vfio_cdev_file	*f = pcitest_bind(GEN);

	ck_assert_uint_eq(pcitest_cfg_read(f, 0x00, 2), 0x1af4);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x02, 2), 0x0001);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x09, 3), 0x020000);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x3d, 1), 2);
	/* PCI Express: 4 KiB, no extended capability. */
	ck_assert_uint_eq(pcitest_cfg_read(f, 0xffc, 4), 0);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x100, 4), 0);
}
END_TEST

/* Read-only, writable and write-1-to-clear bits. */
START_TEST(pci_test_cfg_bits)
{
	struct vfio_cdev_file	*f = pcitest_bind(EDU);

	/* Identity is read-only. */
	pcitest_cfg_write(f, 0x00, 4, 0xffffffff);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x00, 4), 0x11e81234);
	pcitest_cfg_write(f, 0x08, 4, 0);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x08, 4), 0x00ff0010);
	/* Command: only its defined bits take. */
	pcitest_cfg_write(f, 0x04, 2, 0xffff);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x04, 2), 0x0547);
	pcitest_cfg_write(f, 0x04, 2, 0x0006);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x04, 2), 0x0006);
	/* Interrupt line is writable, pin is not. */
	pcitest_cfg_write(f, 0x3c, 2, 0x050b);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x3c, 2), 0x010b);
	/* Status: writing 1s to clear bits that are 0 sets nothing. */
	pcitest_cfg_write(f, 0x06, 2, 0xffff);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x06, 2), 0x0010);
	/*
	 * A failed DMA sets Received Master Abort; writing 0 keeps it,
	 * writing 1 clears it.
	 */
	pcitest_bar_write(f, 0, 0x80, 8, 0x1000);
	pcitest_bar_write(f, 0, 0x88, 8, 0x40000);
	pcitest_bar_write(f, 0, 0x90, 8, 16);
	pcitest_bar_write(f, 0, 0x98, 8, 1);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x06, 2), 0x2010);
	pcitest_cfg_write(f, 0x06, 2, 0x0000);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x06, 2), 0x2010);
	pcitest_cfg_write(f, 0x06, 2, 0x2000);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x06, 2), 0x0010);
	/* Unaligned and odd-sized accesses are whole too. */
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x01, 3), 0x11e812);
}
END_TEST

START_TEST(pci_test_bar_sizing)
{
	struct vfio_cdev_file	*f = pcitest_bind(GEN);
	uint32_t		 msix;

	/* BAR0: 4 KiB 32-bit memory. */
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x10, 4), 0);
	pcitest_cfg_write(f, 0x10, 4, 0xffffffff);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x10, 4), 0xfffff000);
	pcitest_cfg_write(f, 0x10, 4, 0xfebf1234);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x10, 4), 0xfebf1000);
	/* BAR1: the MSI-X table's, 4 KiB. */
	pcitest_cfg_write(f, 0x14, 4, 0xffffffff);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x14, 4), 0xfffff000);
	/* BAR2-3: 1 MiB, 64-bit, prefetchable. */
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x18, 4), 0xc);
	pcitest_cfg_write(f, 0x18, 4, 0xffffffff);
	pcitest_cfg_write(f, 0x1c, 4, 0xffffffff);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x18, 4), 0xfff0000c);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x1c, 4), 0xffffffff);
	/* BAR4: 32 bytes of I/O. */
	pcitest_cfg_write(f, 0x20, 4, 0xffffffff);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x20, 4), 0xffffffe1);
	/* BAR5: none. */
	pcitest_cfg_write(f, 0x24, 4, 0xffffffff);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x24, 4), 0);
	/* ROM: 8 KiB, with its enable bit. */
	pcitest_cfg_write(f, 0x30, 4, 0xffffffff);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x30, 4), 0xffffe001);
	pcitest_cfg_write(f, 0x30, 4, 0xfffffffe);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x30, 4), 0xffffe000);
	(void)msix;
}
END_TEST

/* Walk the capability chain from 0x34; ids in order. */
static unsigned int
cap_walk(struct vfio_cdev_file *f, uint8_t *ids, unsigned int *at)
{
	unsigned int	n = 0, p;

	if (!(pcitest_cfg_read(f, 0x06, 2) & 0x10))
		return (0);
	for (p = pcitest_cfg_read(f, 0x34, 1); p != 0 && n < 8;
	    p = pcitest_cfg_read(f, p + 1, 1)) {
		ck_assert_uint_ge(p, 0x40);
		ck_assert_uint_eq(p & 3, 0);
		at[n] = p;
		ids[n++] = (uint8_t)pcitest_cfg_read(f, p, 1);
	}
	return (n);
}

START_TEST(pci_test_caps)
{
	struct vfio_cdev_file	*f = pcitest_bind(GEN);
	uint8_t			 ids[8];
	unsigned int		 at[8], n;

	n = cap_walk(f, ids, at);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(ids[0], 0x01);	/* PM */
	ck_assert_uint_eq(ids[1], 0x05);	/* MSI */
	ck_assert_uint_eq(ids[2], 0x11);	/* MSI-X */
	ck_assert_uint_eq(ids[3], 0x10);	/* PCI Express */
	/* MSI: 64-bit, 4 vectors (MMC 2); enable and MME writable. */
	ck_assert_uint_eq(pcitest_cfg_read(f, at[1] + 2, 2), 0x0084);
	pcitest_cfg_write(f, at[1] + 2, 2, 0xffff);
	ck_assert_uint_eq(pcitest_cfg_read(f, at[1] + 2, 2), 0x00f5);
	pcitest_cfg_write(f, at[1] + 4, 4, 0xfee00003);
	ck_assert_uint_eq(pcitest_cfg_read(f, at[1] + 4, 4), 0xfee00000);
	/* MSI-X: 8 vectors, table at BAR1 0, PBA after it. */
	ck_assert_uint_eq(pcitest_cfg_read(f, at[2] + 2, 2), 7);
	ck_assert_uint_eq(pcitest_cfg_read(f, at[2] + 4, 4), 1);
	ck_assert_uint_eq(pcitest_cfg_read(f, at[2] + 8, 4), 8 * 16 + 1);
	pcitest_cfg_write(f, at[2] + 2, 2, 0xffff);
	ck_assert_uint_eq(pcitest_cfg_read(f, at[2] + 2, 2), 0xc007);
	/* PCI Express: version 2 endpoint. */
	ck_assert_uint_eq(pcitest_cfg_read(f, at[3] + 2, 2), 0x0002);
	/* The table reads all-ones and drops writes; the PBA reads 0. */
	ck_assert_uint_eq(pcitest_bar_read(f, 1, 0, 4), 0xffffffff);
	pcitest_bar_write(f, 1, 0, 4, 0);
	ck_assert_uint_eq(pcitest_bar_read(f, 1, 0, 8), ~0ULL);
	ck_assert_uint_eq(pcitest_bar_read(f, 1, 8 * 16, 8), 0);
	vfio_cdev_close(pcitest_file);
	/* edu: PM and MSI, no MSI-X, no PCI Express. */
	f = pcitest_bind(EDU);
	n = cap_walk(f, ids, at);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(ids[0], 0x01);
	ck_assert_uint_eq(ids[1], 0x05);
	ck_assert_uint_eq(pcitest_cfg_read(f, at[1] + 2, 2), 0x0080);
}
END_TEST

START_TEST(pci_test_region_info)
{
	struct vfio_cdev_file	*f = pcitest_bind(GEN);
	struct vfio_region_info	 ri;
	static const struct {
		uint64_t	size;
		uint32_t	flags;
	} want[] = {
		{ 4096, 3 }, { 4096, 3 }, { 1 << 20, 3 }, { 0, 0 },
		{ 32, 3 }, { 0, 0 }, { 8192, 1 }, { 4096, 3 },
	};
	unsigned int		 i;
	uint8_t			*guard;

	for (i = 0; i < 8; i++) {
		memset(&ri, 0xa5, sizeof(ri));
		ri.argsz = sizeof(ri);
		ri.index = i;
		ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_REGION_INFO,
		    &ri), 0);
		ck_assert_uint_eq(ri.size, want[i].size);
		ck_assert_uint_eq(ri.flags, want[i].flags);
		ck_assert_uint_eq(ri.offset, REG(i));
		ck_assert_uint_eq(ri.cap_offset, 0);
		ck_assert_uint_eq(ri.argsz, sizeof(ri));
	}
	/* VGA is absent; past the regions, EINVAL too. */
	ri.index = VFIO_PCI_VGA_REGION_INDEX;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_REGION_INFO, &ri),
	    -EINVAL);
	ri.index = 9;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_REGION_INFO, &ri),
	    -EINVAL);
	ri.index = 0;
	ri.argsz = 31;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_REGION_INFO, &ri),
	    -EINVAL);
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_REGION_INFO, NULL),
	    -EFAULT);
	/* The fixed part is all that is read: 32 bytes before a hole. */
	guard = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(guard, MAP_FAILED);
	ck_assert_int_eq(munmap(guard + 4096, 4096), 0);
	memset(&ri, 0, sizeof(ri));
	ri.argsz = 64;
	ri.index = 7;
	memcpy(guard + 4096 - 32, &ri, 32);
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_REGION_INFO,
	    guard + 4096 - 32), 0);
	memcpy(&ri, guard + 4096 - 32, 32);
	ck_assert_uint_eq(ri.size, 4096);
	munmap(guard, 4096);
}
END_TEST

START_TEST(pci_test_irq_info)
{
	struct vfio_cdev_file	*f = pcitest_bind(GEN);
	struct vfio_irq_info	 ii;
	static const struct {
		uint32_t	count, flags;
	} want[] = {
		{ 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
		    VFIO_IRQ_INFO_AUTOMASKED },
		{ 4, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE },
		{ 8, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE },
		{ 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE },
		{ 1, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE },
	};
	unsigned int		 i;

	for (i = 0; i < 5; i++) {
		memset(&ii, 0, sizeof(ii));
		ii.argsz = sizeof(ii);
		ii.index = i;
		ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_IRQ_INFO, &ii),
		    0);
		ck_assert_uint_eq(ii.count, want[i].count);
		ck_assert_uint_eq(ii.flags, want[i].flags);
	}
	ii.index = 5;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_IRQ_INFO, &ii), -EINVAL);
	ii.index = 0;
	ii.argsz = 15;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_IRQ_INFO, &ii), -EINVAL);
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_IRQ_INFO, NULL),
	    -EFAULT);
	vfio_cdev_close(pcitest_file);
	/* edu: no MSI-X, no ERR (not PCI Express). */
	f = pcitest_bind(EDU);
	ii.argsz = sizeof(ii);
	ii.index = VFIO_PCI_MSIX_IRQ_INDEX;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_IRQ_INFO, &ii), 0);
	ck_assert_uint_eq(ii.count, 0);
	ii.index = VFIO_PCI_ERR_IRQ_INDEX;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_IRQ_INFO, &ii), 0);
	ck_assert_uint_eq(ii.count, 0);
}
END_TEST

/* The plain device keeps the old answers: GET_INFO, nothing else. */
START_TEST(pci_test_plain)
{
	struct vfio_cdev_file	*f = pcitest_bind(PLAIN);
	struct vfio_device_info	 info = { .argsz = sizeof(info) };
	struct vfio_region_info	 ri = { .argsz = sizeof(ri) };
	uint32_t		 v;

	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_INFO, &info), 0);
	ck_assert_uint_eq(info.num_regions, 9);
	ck_assert_uint_eq(info.num_irqs, 5);
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_REGION_INFO, &ri),
	    -ENOTTY);
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_RESET, NULL), -ENOTTY);
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(7), &v, 4, 0), -EINVAL);
}
END_TEST

START_TEST(pci_test_region_bounds)
{
	struct vfio_cdev_file	*f;
	uint8_t			 buf[64];

	ck_assert_int_eq(vfio_cdev_open(GEN, &pcitest_file), 0);
	/* Not bound: EINVAL. */
	ck_assert_int_eq(vfio_cdev_region_rw(pcitest_file, REG(7), buf, 4, 0),
	    -EINVAL);
	vfio_cdev_close(pcitest_file);
	f = pcitest_bind(GEN);
	/* Config space: wholly inside it, or EFAULT. */
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(7) + 4094, buf, 2, 0), 2);
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(7) + 4094, buf, 4, 0),
	    -EFAULT);
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(7) + 4096, buf, 1, 1),
	    -EFAULT);
	/* A BAR: short at its end, EINVAL at or past it. */
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(0) + 4090, buf, 16, 0),
	    6);
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(0) + 4096, buf, 1, 0),
	    -EINVAL);
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(0) + (1ULL << 39), buf,
	    1, 0), -EINVAL);
	/* BAR3 is BAR2's upper half, BAR5 is absent: EINVAL. */
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(3), buf, 4, 0), -EINVAL);
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(5), buf, 4, 0), -EINVAL);
	/* The ROM reads, never writes. */
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(6) + 8184, buf, 16, 0),
	    8);
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(6), buf, 4, 1), -EINVAL);
	/* VGA and past the regions. */
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(8), buf, 4, 0), -EINVAL);
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(9), buf, 4, 0), -EINVAL);
	ck_assert_int_eq(vfio_cdev_region_rw(f, ~0ULL, buf, 4, 0), -EINVAL);
}
END_TEST

/*
 * Accesses reach the function in naturally aligned pieces of the largest
 * size that fits. edu answers only 4-byte accesses below 0x80, so a
 * 2-byte read of its id and an 8-byte read at 0 (one piece) are
 * all-ones.
 */
START_TEST(pci_test_split)
{
	struct vfio_cdev_file	*f = pcitest_bind(EDU);
	uint8_t			 buf[16];
	uint32_t		 w[3];

	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0, 4), 0x010000ed);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0, 2), 0xffff);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0, 8), ~0ULL);
	/* 12 bytes at 4: 4 (the piece at 4), then 8 at 8 (refused). */
	pcitest_bar_write(f, 0, 4, 4, 0x0f0f0f0f);
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(0) + 4, w, 12, 0), 12);
	ck_assert_uint_eq(w[0], 0xf0f0f0f0);
	ck_assert_uint_eq(w[1], 0xffffffff);
	/* 12 bytes at 0x80: 8 at 0x80, then 4 at 0x88. */
	pcitest_bar_write(f, 0, 0x80, 8, 0x1122334455667788ULL);
	pcitest_bar_write(f, 0, 0x88, 8, 0x99aabbccddeeff00ULL);
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(0) + 0x80, buf, 12, 0),
	    12);
	ck_assert_uint_eq(buf[0], 0x88);
	ck_assert_uint_eq(buf[7], 0x11);
	ck_assert_uint_eq(buf[8], 0x00);
	ck_assert_uint_eq(buf[11], 0xdd);
	/* An odd start: 1 byte, 2, then the 4 of liveness at 4. */
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(0) + 1, buf, 7, 0), 7);
	ck_assert_uint_eq(buf[0], 0xff);
	ck_assert_uint_eq(buf[2], 0xff);
	ck_assert_uint_eq(buf[3], 0xf0);
	ck_assert_uint_eq(buf[6], 0xf0);
}
END_TEST

/* INTx: automasked on a rise, re-signalled at unmask while high. */
START_TEST(pci_test_intx)
{
	struct vfio_cdev_file	*f = pcitest_bind(EDU);
	int			 efd, pfd[2];
	int32_t			 fd;

	efd = eventfd(0, 0);
	fd = efd;
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fd),
	    0);
	/* The daemon made it non-blocking: reading an empty one is 0. */
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	pcitest_bar_write(f, 0, 0x60, 4, 1);
	ck_assert_uint_eq(pcitest_efd_take(efd), 1);
	/* Masked: a second raise, a fall and a rise signal nothing. */
	pcitest_bar_write(f, 0, 0x60, 4, 2);
	pcitest_bar_write(f, 0, 0x64, 4, 3);
	pcitest_bar_write(f, 0, 0x60, 4, 1);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	/* Unmask while high: signalled again, and masked again. */
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_UNMASK,
	    VFIO_PCI_INTX_IRQ_INDEX, 0, 1), 0);
	ck_assert_uint_eq(pcitest_efd_take(efd), 1);
	pcitest_bar_write(f, 0, 0x64, 4, 1);
	pcitest_bar_write(f, 0, 0x60, 4, 1);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	/* Unmask while low: nothing; the next rise signals. */
	pcitest_bar_write(f, 0, 0x64, 4, 1);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_UNMASK,
	    VFIO_PCI_INTX_IRQ_INDEX, 0, 1), 0);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	pcitest_bar_write(f, 0, 0x60, 4, 1);
	ck_assert_uint_eq(pcitest_efd_take(efd), 1);
	pcitest_bar_write(f, 0, 0x64, 4, 1);
	/* A user MASK holds it too. */
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_UNMASK,
	    VFIO_PCI_INTX_IRQ_INDEX, 0, 1), 0);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_MASK,
	    VFIO_PCI_INTX_IRQ_INDEX, 0, 1), 0);
	pcitest_bar_write(f, 0, 0x60, 4, 1);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	pcitest_bar_write(f, 0, 0x64, 4, 1);
	/* Loopback: DATA_NONE and DATA_BOOL trigger signal it. */
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_INTX_IRQ_INDEX, 0, 1), 0);
	ck_assert_uint_eq(pcitest_efd_take(efd), 1);
	/*
	 * The command register's INTx disable holds the line; clearing
	 * it while the line is high fires it.
	 */
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_UNMASK,
	    VFIO_PCI_INTX_IRQ_INDEX, 0, 1), 0);
	pcitest_cfg_write(f, 0x04, 2, 0x0400);
	pcitest_bar_write(f, 0, 0x60, 4, 1);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x06, 2) & 0x08, 0x08);
	pcitest_cfg_write(f, 0x04, 2, 0x0000);
	ck_assert_uint_eq(pcitest_efd_take(efd), 1);
	pcitest_bar_write(f, 0, 0x64, 4, 1);
	/* Mask with an eventfd: not implemented (vfio-pci's ENOTTY). */
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_MASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fd),
	    -ENOTTY);
	/* An unmask eventfd: not implemented; -1 (none) is fine. */
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fd),
	    -EOPNOTSUPP);
	{
		int32_t	none = -1;

		ck_assert_int_eq(pcitest_set_irqs(f,
		    VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
		    VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &none), 0);
	}
	/* MSI while INTx is on: EINVAL, INTx stays. */
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &fd),
	    -EINVAL);
	/* A pipe is not an eventfd; a hole is no descriptor. */
	ck_assert_int_eq(pipe(pfd), 0);
	fd = pfd[0];
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fd),
	    -EINVAL);
	fd = 4000;
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fd),
	    -EBADF);
	/* The eventfd is still the one armed. */
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_UNMASK,
	    VFIO_PCI_INTX_IRQ_INDEX, 0, 1), 0);
	pcitest_bar_write(f, 0, 0x60, 4, 1);
	ck_assert_uint_eq(pcitest_efd_take(efd), 1);
	pcitest_bar_write(f, 0, 0x64, 4, 1);
	/* fd -1 tears the trigger down; count 0 disables the index. */
	fd = -1;
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fd),
	    0);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_UNMASK,
	    VFIO_PCI_INTX_IRQ_INDEX, 0, 1), 0);
	pcitest_bar_write(f, 0, 0x60, 4, 1);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_INTX_IRQ_INDEX, 0, 0), 0);
	/* Disabled: MASK and UNMASK are EINVAL now. */
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_UNMASK,
	    VFIO_PCI_INTX_IRQ_INDEX, 0, 1), -EINVAL);
	close(pfd[0]);
	close(pfd[1]);
	close(efd);
}
END_TEST

START_TEST(pci_test_msi)
{
	struct vfio_cdev_file	*f = pcitest_bind(EDU);
	int			 efd, ifd;
	int32_t			 fd;

	efd = eventfd(0, EFD_NONBLOCK);
	ifd = eventfd(0, EFD_NONBLOCK);
	fd = efd;
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &fd),
	    0);
	/* Each raise is one message, also while the status stays set. */
	pcitest_bar_write(f, 0, 0x60, 4, 1);
	pcitest_bar_write(f, 0, 0x60, 4, 2);
	ck_assert_uint_eq(pcitest_efd_take(efd), 2);
	pcitest_bar_write(f, 0, 0x64, 4, 3);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	/* INTx while MSI is on: EINVAL. */
	fd = ifd;
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fd),
	    -EINVAL);
	/* MSI has no MASK/UNMASK: ENOTTY. */
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_MASK,
	    VFIO_PCI_MSI_IRQ_INDEX, 0, 1), -ENOTTY);
	/* One vector only. */
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_MSI_IRQ_INDEX, 1, 1), -EINVAL);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_MSI_IRQ_INDEX, 0, 2), -EINVAL);
	/* Loopback. */
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_MSI_IRQ_INDEX, 0, 1), 0);
	ck_assert_uint_eq(pcitest_efd_take(efd), 1);
	/* Disabled: raises go nowhere, then INTx may be armed. */
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_MSI_IRQ_INDEX, 0, 0), 0);
	pcitest_bar_write(f, 0, 0x60, 4, 1);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	pcitest_bar_write(f, 0, 0x64, 4, 1);
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fd),
	    0);
	close(efd);
	close(ifd);
}
END_TEST

START_TEST(pci_test_msix_err_req)
{
	struct vfio_cdev_file	*f = pcitest_bind(GEN);
	int			 efd[3], i;
	int32_t			 fds[8];
	uint8_t			 bools[sizeof(struct vfio_irq_set) + 8];
	struct vfio_irq_set	*hdr = (struct vfio_irq_set *)(void *)bools;

	for (i = 0; i < 3; i++)
		efd[i] = eventfd(0, EFD_NONBLOCK);
	for (i = 0; i < 8; i++)
		fds[i] = -1;
	fds[2] = efd[0];
	fds[5] = efd[1];
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSIX_IRQ_INDEX, 0, 8, fds),
	    0);
	/* Past the declared vectors: EINVAL. */
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSIX_IRQ_INDEX, 7, 2, fds),
	    -EINVAL);
	/* DATA_BOOL loopback on vectors 2 and 5 only. */
	memset(bools, 0, sizeof(bools));
	hdr->argsz = sizeof(*hdr) + 8;
	hdr->flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
	hdr->index = VFIO_PCI_MSIX_IRQ_INDEX;
	hdr->count = 8;
	bools[sizeof(*hdr) + 2] = 1;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, bools), 0);
	ck_assert_uint_eq(pcitest_efd_take(efd[0]), 1);
	ck_assert_uint_eq(pcitest_efd_take(efd[1]), 0);
	/* Too little data for count: EINVAL. */
	hdr->argsz = sizeof(*hdr) + 7;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, bools), -EINVAL);
	/* Vector 5 torn down alone. */
	fds[0] = -1;
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSIX_IRQ_INDEX, 5, 1, fds),
	    0);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_MSIX_IRQ_INDEX, 0, 8), 0);
	ck_assert_uint_eq(pcitest_efd_take(efd[0]), 1);
	ck_assert_uint_eq(pcitest_efd_take(efd[1]), 0);
	/* ERR and REQ: one eventfd each; -1 removes, < -1 is EINVAL. */
	fds[0] = efd[2];
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, fds),
	    0);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_ERR_IRQ_INDEX, 0, 1), 0);
	ck_assert_uint_eq(pcitest_efd_take(efd[2]), 1);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_UNMASK,
	    VFIO_PCI_ERR_IRQ_INDEX, 0, 1), -ENOTTY);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_ERR_IRQ_INDEX, 0, 0), 0);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_ERR_IRQ_INDEX, 0, 1), -EINVAL);
	fds[0] = -2;
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, fds),
	    -EINVAL);
	fds[0] = efd[2];
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, fds),
	    0);
	for (i = 0; i < 3; i++)
		close(efd[i]);
}
END_TEST

/* The header's rules, before anything else is looked at. */
START_TEST(pci_test_set_irqs_errors)
{
	struct vfio_cdev_file	*f = pcitest_bind(EDU);
	struct vfio_irq_set	 s;
	unsigned int		 nfd;
	uint8_t			*p;

	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, NULL), -EFAULT);
	memset(&s, 0, sizeof(s));
	s.argsz = 19;
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.count = 1;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	s.argsz = sizeof(s);
	s.index = 5;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	s.index = 0;
	s.flags |= 0x100;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	/* Two data types, or two actions. */
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
	    VFIO_IRQ_SET_ACTION_TRIGGER;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER |
	    VFIO_IRQ_SET_ACTION_MASK;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, &s), -ENOTTY);
	/* start + count near 2^32. */
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.start = 1;
	s.count = 0xffffffff;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	/* INTx not enabled: loopback trigger is EINVAL. */
	s.start = 0;
	s.count = 1;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	/* MSI-X on edu has no vectors at all. */
	s.index = VFIO_PCI_MSIX_IRQ_INDEX;
	s.count = 0;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	/* Data that cannot be read: EFAULT, nothing armed. */
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(munmap(p + 4096, 4096), 0);
	s.argsz = sizeof(s) + 4;
	s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.index = VFIO_PCI_INTX_IRQ_INDEX;
	s.count = 1;
	memcpy(p + 4096 - sizeof(s), &s, sizeof(s));
	nfd = pcitest_open_fds();
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS,
	    p + 4096 - sizeof(s)), -EFAULT);
	/* And no descriptor of the daemon's was closed on the way. */
	ck_assert_uint_eq(pcitest_open_fds(), nfd);
	s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	munmap(p, 4096);
}
END_TEST

/* Unbind and close drop every eventfd; RESET keeps them. */
START_TEST(pci_test_irq_lifetime)
{
	struct vfio_cdev_file	*f = pcitest_bind(GEN);
	unsigned int		 before;
	int			 efd[4], i;
	int32_t			 fds[4];

	for (i = 0; i < 4; i++)
		fds[i] = efd[i] = eventfd(0, EFD_NONBLOCK);
	before = pcitest_open_fds();
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 0, 4, fds),
	    0);
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, fds),
	    0);
	ck_assert_uint_eq(pcitest_open_fds(), before + 5);
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_RESET, NULL), 0);
	ck_assert_uint_eq(pcitest_open_fds(), before + 5);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_MSI_IRQ_INDEX, 3, 1), 0);
	ck_assert_uint_eq(pcitest_efd_take(efd[3]), 1);
	/* The client goes away with them armed: nothing is left. */
	vfio_cdev_close(pcitest_file);
	pcitest_file = NULL;
	ck_assert_uint_eq(pcitest_open_fds(), before);
	/* A new bind finds the device at power-on, nothing armed. */
	f = pcitest_bind(GEN);
	ck_assert_int_eq(pcitest_set_irqs_none(f, VFIO_IRQ_SET_ACTION_TRIGGER,
	    VFIO_PCI_MSI_IRQ_INDEX, 0, 1), -EINVAL);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x04, 2), 0);
	for (i = 0; i < 4; i++)
		close(efd[i]);
}
END_TEST

START_TEST(pci_test_reset_cfg)
{
	struct vfio_cdev_file	*f = pcitest_bind(GEN);

	pcitest_cfg_write(f, 0x04, 2, 0x0006);
	pcitest_cfg_write(f, 0x10, 4, 0xfebf0000);
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_RESET, NULL), 0);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x04, 2), 0);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x10, 4), 0);
	pcitest_cfg_write(f, 0x04, 2, 0x0006);
	/* The zero-length hot reset is a reset too. */
	{
		struct vfio_pci_hot_reset hr = { .argsz = sizeof(hr) };

		ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_PCI_HOT_RESET, &hr),
		    0);
		ck_assert_uint_eq(pcitest_cfg_read(f, 0x04, 2), 0);
		hr.count = 1;
		ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_PCI_HOT_RESET, &hr),
		    -EINVAL);
		hr.count = 0;
		hr.flags = 1;
		ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_PCI_HOT_RESET, &hr),
		    -EINVAL);
		hr.flags = 0;
		hr.argsz = 11;
		ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_PCI_HOT_RESET, &hr),
		    -EINVAL);
		ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_PCI_HOT_RESET, NULL),
		    -EFAULT);
	}
}
END_TEST

START_TEST(pci_test_hot_reset_info)
{
	struct vfio_cdev_file	*f = pcitest_bind(GEN);
	union {
		struct vfio_pci_hot_reset_info	h;
		uint8_t				buf[
		    sizeof(struct vfio_pci_hot_reset_info) +
		    2 * sizeof(struct vfio_pci_dependent_device)];
	} r;

	memset(&r, 0, sizeof(r));
	r.h.argsz = sizeof(r.h);
	r.h.flags = 0x55;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r),
	    -ENOSPC);
	ck_assert_uint_eq(r.h.count, 1);
	ck_assert_uint_eq(r.h.flags, 0);
	ck_assert_uint_eq(r.h.devices[0].bus, 0);
	r.h.argsz = sizeof(r);
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r),
	    0);
	ck_assert_uint_eq(r.h.count, 1);
	ck_assert_uint_eq(r.h.flags, VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
	    VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
	ck_assert_uint_eq(r.h.devices[0].group_id, vfio_cdev_devid(f));
	ck_assert_uint_eq(r.h.devices[0].segment, 0);
	ck_assert_uint_eq(r.h.devices[0].bus, 0x01);
	ck_assert_uint_eq(r.h.devices[0].devfn, 0x10);
	r.h.argsz = 11;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r),
	    -EINVAL);
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
	    NULL), -EFAULT);
}
END_TEST

START_TEST(pci_test_feature)
{
	struct vfio_cdev_file		*f = pcitest_bind(EDU);
	struct vfio_device_feature	 ft;

	memset(&ft, 0, sizeof(ft));
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_FEATURE, NULL), -EFAULT);
	ft.argsz = 7;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_FEATURE, &ft), -EINVAL);
	ft.argsz = sizeof(ft);
	ft.flags = VFIO_DEVICE_FEATURE_PROBE | (1U << 19);
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_FEATURE, &ft), -EINVAL);
	ft.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET |
	    VFIO_DEVICE_FEATURE_MIGRATION;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_FEATURE, &ft), -EINVAL);
	/* With PROBE, GET and SET together are a question: ENOTTY. */
	ft.flags |= VFIO_DEVICE_FEATURE_PROBE;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_FEATURE, &ft), -ENOTTY);
	ft.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
	    VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_FEATURE, &ft), -ENOTTY);
	ft.flags = VFIO_DEVICE_FEATURE_GET | 0xffff;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_FEATURE, &ft), -ENOTTY);
}
END_TEST

/* What a configuration can ask that no function can build. */
START_TEST(pci_test_bad_desc)
{
	struct conf_device	devs[3];
	struct pci_dev		*pd;

	pcitest_conf(devs);
	ck_assert_int_eq(pci_dev_create(NULL, &devs[PLAIN], &pd), 0);
	ck_assert_ptr_null(pd);
	ck_assert_int_eq(pci_dev_create(NULL, &devs[GEN], &pd), 0);
	ck_assert_ptr_nonnull(pd);
	pci_dev_destroy(pd);
	/* A size not a power of two. */
	devs[GEN].bar_size[0] = 3000;
	ck_assert_int_eq(pci_dev_create(NULL, &devs[GEN], &pd), -EINVAL);
	devs[GEN].bar_size[0] = 4096;
	/* A 64-bit BAR in the last slot. */
	devs[GEN].pci_set |= CONF_PCI_BAR(5);
	devs[GEN].bar_size[5] = 4096;
	devs[GEN].bar_flags[5] = PCI_BARF_64;
	ck_assert_int_eq(pci_dev_create(NULL, &devs[GEN], &pd), -EINVAL);
	/* No BAR left for the MSI-X table. */
	devs[GEN].bar_flags[5] = 0;
	devs[GEN].pci_set |= CONF_PCI_BAR(1);
	devs[GEN].bar_size[1] = 4096;
	ck_assert_int_eq(pci_dev_create(NULL, &devs[GEN], &pd), -EINVAL);
	devs[GEN].msix_vectors = 0;
	ck_assert_int_eq(pci_dev_create(NULL, &devs[GEN], &pd), 0);
	pci_dev_destroy(pd);
	/* More MSI-X vectors than PCI has; MSI not a power of two. */
	devs[GEN].bar_size[1] = 0;
	devs[GEN].msix_vectors = 2049;
	ck_assert_int_eq(pci_dev_create(NULL, &devs[GEN], &pd), -EINVAL);
	devs[GEN].msix_vectors = 2048;
	devs[GEN].msi_vectors = 3;
	ck_assert_int_eq(pci_dev_create(NULL, &devs[GEN], &pd), -EINVAL);
	devs[GEN].msi_vectors = 1;
	ck_assert_int_eq(pci_dev_create(NULL, &devs[GEN], &pd), 0);
	/* 2048 vectors: a 64 KiB MSI-X BAR (32 KiB table, PBA after). */
	{
		uint64_t	size;
		uint32_t	flags;

		ck_assert_int_eq(pci_region_info(pd, 1, &size, &flags), 0);
		ck_assert_uint_eq(size, 65536);
	}
	pci_dev_destroy(pd);
	devs[GEN].function = (char *)"nosuch";
	ck_assert_int_eq(pci_dev_create(NULL, &devs[GEN], &pd), -EINVAL);
}
END_TEST

/*
 * The node's table and proto's field table agree: every command the
 * node answers has a row (the device node's, where a number is shared),
 * and every row of a device command has a handler.
 */
START_TEST(pci_test_tables)
{
	const struct uapi_cmd	*uc;
	unsigned int		 cmd;
	size_t			 i, j, n;

	for (i = 0; (cmd = vfio_cdev_cmd(i)) != 0; i++) {
		uc = uapi_cmd_find_dev(cmd);
		ck_assert_msg(uc != NULL, "%#x has no row", cmd);
		ck_assert_uint_eq(uc->num, cmd);
		ck_assert_uint_eq(uc->argkind, cmd == VFIO_DEVICE_RESET ?
		    UA_NONE : UA_ARGSZ);
	}
	n = i;
	ck_assert_uint_ge(n, 13);
	for (i = 0; i < uapi_ncmds; i++) {
		uc = &uapi_cmds[i];
		if (!uc->devnode &&
		    strncmp(uc->name, "VFIO_DEVICE_", 12) != 0 &&
		    strncmp(uc->name, "IOASIDD_REGION_", 15) != 0)
			continue;
		for (j = 0; j < n && vfio_cdev_cmd(j) != uc->num; j++)
			;
		ck_assert_msg(j < n, "%s has no handler", uc->name);
	}
}
END_TEST

static uint64_t	fz_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
fz_rand(void)
{
	fz_state ^= fz_state << 13;
	fz_state ^= fz_state >> 7;
	fz_state ^= fz_state << 17;
	return ((uint32_t)fz_state);
}

/* A field value: small, near a boundary, or anything. */
static uint32_t
fz_value(void)
{
	static const uint32_t	edge[] = { 0, 1, 2, 3, 4, 5, 7, 8, 12, 16,
	    19, 20, 24, 31, 32, 33, 0x7fffffff, 0x80000000, 0xfffffffe,
	    0xffffffff, 2047, 2048, 2049 };

	switch (fz_rand() % 3) {
	case 0:
		return (edge[fz_rand() % (sizeof(edge) / sizeof(edge[0]))]);
	case 1:
		return (fz_rand() % 64);
	default:
		return (fz_rand());
	}
}

/*
 * Random calls of every command of the node and of region access, on
 * both functions: every answer is 0, a count or an errno the kernel
 * gives for these commands, and the descriptors taken all go at close.
 */
START_TEST(pci_test_fuzz)
{
	static const unsigned int	 cmds[] = {
		VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_GET_IRQ_INFO,
		VFIO_DEVICE_SET_IRQS, VFIO_DEVICE_RESET,
		VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, VFIO_DEVICE_PCI_HOT_RESET,
		VFIO_DEVICE_FEATURE, VFIO_DEVICE_GET_INFO,
	};
	struct vfio_cdev_file	*f;
	uint32_t		 arg[64];
	uint8_t			 buf[64];
	unsigned int		 before, dev, i, n, k, nok = 0, nerr = 0;
	long			 rc;
	int			 efd[4];

	before = pcitest_open_fds();
	for (i = 0; i < 4; i++)
		efd[i] = eventfd(0, EFD_NONBLOCK);
	for (dev = 0; dev < 2; dev++) {
		f = pcitest_bind(dev == 0 ? EDU : GEN);
		for (n = 0; n < 20000; n++) {
			for (k = 0; k < 64; k++)
				arg[k] = k < 8 || fz_rand() % 4 == 0 ?
				    fz_value() : (uint32_t)efd[fz_rand() % 4];
			/* A likely argsz and a known flag set, often. */
			if (fz_rand() % 2)
				arg[0] = 20 + 4 * (fz_rand() % 9);
			if (fz_rand() % 2)
				arg[1] = (1U << (fz_rand() % 3)) |
				    (0x8U << (fz_rand() % 3));
			if (fz_rand() % 2)
				arg[2] %= 6;
			if (fz_rand() % 2)
				arg[3] %= 3;
			if (fz_rand() % 2)
				arg[4] %= 9;
			if (fz_rand() % 8 == 0) {
				rc = vfio_cdev_region_rw(f,
				    ((uint64_t)(fz_rand() % 10) << 40) +
				    (fz_rand() % 2 ? fz_value() :
				    fz_rand() % 0x41010), buf,
				    1 + fz_rand() % sizeof(buf),
				    (int)(fz_rand() % 2));
				ck_assert(rc > 0 || rc == -EINVAL ||
				    rc == -EFAULT);
				if (rc > 0)
					nok++;
				else
					nerr++;
				continue;
			}
			rc = pcitest_io(f, cmds[fz_rand() % 8], arg);
			ck_assert_msg(rc == 0 || rc == -EINVAL ||
			    rc == -EFAULT || rc == -ENOTTY || rc == -EBADF ||
			    rc == -ENOSPC || rc == -ENODEV ||
			    rc == -EOPNOTSUPP, "rc %ld", rc);
			if (rc == 0)
				nok++;
			else
				nerr++;
		}
		vfio_cdev_close(pcitest_file);
		pcitest_file = NULL;
	}
	for (i = 0; i < 4; i++)
		close(efd[i]);
	ck_assert_uint_eq(pcitest_open_fds(), before);
	/* The calls reached the handlers: many passed, many failed. */
	ck_assert_uint_gt(nok, 2000);
	ck_assert_uint_gt(nerr, 2000);
}
END_TEST

static Suite *
pci_suite(void)
{
	Suite	*s = suite_create("pci");
	TCase	*tc = tcase_create("pci");

	tcase_add_checked_fixture(tc, pcitest_setup, pcitest_teardown);
	tcase_add_test(tc, pci_test_ids);
	tcase_add_test(tc, pci_test_overrides);
	tcase_add_test(tc, pci_test_cfg_bits);
	tcase_add_test(tc, pci_test_bar_sizing);
	tcase_add_test(tc, pci_test_caps);
	tcase_add_test(tc, pci_test_region_info);
	tcase_add_test(tc, pci_test_irq_info);
	tcase_add_test(tc, pci_test_plain);
	tcase_add_test(tc, pci_test_region_bounds);
	tcase_add_test(tc, pci_test_split);
	tcase_add_test(tc, pci_test_intx);
	tcase_add_test(tc, pci_test_msi);
	tcase_add_test(tc, pci_test_msix_err_req);
	tcase_add_test(tc, pci_test_set_irqs_errors);
	tcase_add_test(tc, pci_test_irq_lifetime);
	tcase_add_test(tc, pci_test_reset_cfg);
	tcase_add_test(tc, pci_test_hot_reset_info);
	tcase_add_test(tc, pci_test_feature);
	tcase_add_test(tc, pci_test_bad_desc);
	tcase_add_test(tc, pci_test_fuzz);
	tcase_add_test(tc, pci_test_tables);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(pci_suite)
