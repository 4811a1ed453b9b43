/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * QEMU's educational device as ioasidd's PCI function (dev/edu.c): its
 * registers and their access sizes, the factorial and the interrupt
 * raise/acknowledge pair on INTx and MSI, the DMA engine's registers
 * and its failures (ioasidd's error bit, no completion interrupt), its
 * transfers through an IOAS the device is attached to, and reset. The
 * devices are pcitest.h's; edu is vfio0.
 */
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "core/ucmd.h"
#include "core/umem.h"
#include "dev/vfio_cdev.h"
#include "helpers.h"
#include "iommufd_test.h"
#include "pcitest.h"
#include "suites.h"

#define EDU	PCITEST_EDU
#define REG(i)	PCITEST_REG(i)

START_TEST(edu_test_regs)
{
	struct vfio_cdev_file	*f = pcitest_bind(EDU);

	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x00, 4), 0x010000ed);
	pcitest_bar_write(f, 0, 0x04, 4, 0x12345678);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x04, 4), 0xedcba987);
	/* Factorial: synchronous, 32-bit. */
	pcitest_bar_write(f, 0, 0x08, 4, 5);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x20, 4) & 1, 0);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x08, 4), 120);
	pcitest_bar_write(f, 0, 0x08, 4, 13);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x08, 4), 1932053504U);
	/* Raise and acknowledge. */
	pcitest_bar_write(f, 0, 0x60, 4, 0x5);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0x5);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x06, 2) & 0x08, 0x08);
	pcitest_bar_write(f, 0, 0x60, 4, 0x10);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0x15);
	pcitest_bar_write(f, 0, 0x64, 4, 0x11);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0x4);
	pcitest_bar_write(f, 0, 0x64, 4, 0x4);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x06, 2) & 0x08, 0);
	/* Factorial with its interrupt bit: 0x1 when done. */
	pcitest_bar_write(f, 0, 0x20, 4, 0x80);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x20, 4), 0x80);
	pcitest_bar_write(f, 0, 0x08, 4, 3);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0x1);
	/* The buffer is visible in the BAR. */
	pcitest_bar_write(f, 0, 0x40000, 4, 0xcafef00d);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x40000, 4), 0xcafef00d);
	/* Reset: power-on registers. */
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_RESET, NULL), 0);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x04, 4), 0);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x40000, 4), 0);
}
END_TEST

/* Not attached, or bus mastering off: a DMA error, bit 31, no irq. */
START_TEST(edu_test_dma_error)
{
	struct vfio_cdev_file	*f = pcitest_bind(EDU);
	int			 efd;
	int32_t			 fd;

	efd = eventfd(0, EFD_NONBLOCK);
	fd = efd;
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fd),
	    0);
	pcitest_bar_write(f, 0, 0x80, 8, 0x1000);
	pcitest_bar_write(f, 0, 0x88, 8, 0x40000);
	pcitest_bar_write(f, 0, 0x90, 8, 64);
	/* Bus mastering off. */
	pcitest_bar_write(f, 0, 0x98, 8, 0x5);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x98, 8), 0x80000004ULL);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x06, 2) & 0x2000, 0);
	/* On, but nothing attached. */
	pcitest_cfg_write(f, 0x04, 2, 0x0006);
	pcitest_bar_write(f, 0, 0x98, 8, 0x5);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x98, 8), 0x80000004ULL);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x06, 2) & 0x2000, 0x2000);
	/* Outside the buffer: an error before any memory is touched. */
	pcitest_bar_write(f, 0, 0x88, 8, 0x40000 + 4090);
	pcitest_bar_write(f, 0, 0x98, 8, 0x1);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x98, 8), 0x80000000ULL);
	/* A zero count is a transfer that succeeds: bit 31 goes. */
	pcitest_bar_write(f, 0, 0x90, 8, 0);
	pcitest_bar_write(f, 0, 0x98, 8, 0x5);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x98, 8), 0x4);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0x100);
	ck_assert_uint_eq(pcitest_efd_take(efd), 1);
	close(efd);
}
END_TEST

/* Below 0x80 only 4-byte accesses; from 0x80, 4 or 8. */
START_TEST(edu_test_sizes)
{
	struct vfio_cdev_file	*f = pcitest_bind(EDU);
	uint16_t		 h = 0x1234;

	/* A 2-byte write of liveness is dropped. */
	ck_assert_int_eq(vfio_cdev_region_rw(f, REG(0) + 4, &h, 2, 1), 2);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x04, 4), 0);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x04, 1), 0xff);
	/* A 4-byte write of a DMA register sets all of it. */
	pcitest_bar_write(f, 0, 0x80, 8, 0xffffffffffffffffULL);
	pcitest_bar_write(f, 0, 0x80, 4, 0x12345678);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x80, 8), 0x12345678);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x80, 4), 0x12345678);
	/* Its upper half is no register of its own. */
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x84, 4), 0xffffffff);
	pcitest_bar_write(f, 0, 0x90, 8, 0x100000000ULL);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x90, 8), 0x100000000ULL);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x98, 2), 0xffff);
	/* Unknown registers read all-ones, and take nothing. */
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x30, 4), 0xffffffff);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0xa0, 8), ~0ULL);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0xffffc, 4), 0xffffffff);
	/* Status: only the factorial interrupt bit is writable. */
	pcitest_bar_write(f, 0, 0x20, 4, 0xffffffff);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x20, 4), 0x80);
	pcitest_bar_write(f, 0, 0x20, 4, 0);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x20, 4), 0);
	/* The interrupt status register is read-only. */
	pcitest_bar_write(f, 0, 0x24, 4, 0xff);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0);
	/* The buffer's 8-byte words and bytes. */
	pcitest_bar_write(f, 0, 0x40ff8, 8, 0x0102030405060708ULL);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x40ff8, 8),
	    0x0102030405060708ULL);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x40ffc, 4), 0x01020304);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x41000, 4), 0xffffffff);
}
END_TEST

/* The factorial's and the raise's interrupts as MSI messages. */
START_TEST(edu_test_msi)
{
	struct vfio_cdev_file	*f = pcitest_bind(EDU);
	int			 efd;
	int32_t			 fd;

	efd = eventfd(0, EFD_NONBLOCK);
	fd = efd;
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &fd),
	    0);
	pcitest_bar_write(f, 0, 0x20, 4, 0x80);
	pcitest_bar_write(f, 0, 0x08, 4, 10);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x08, 4), 3628800);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0x1);
	ck_assert_uint_eq(pcitest_efd_take(efd), 1);
	/* Without the status bit: no interrupt. */
	pcitest_bar_write(f, 0, 0x64, 4, 0x1);
	pcitest_bar_write(f, 0, 0x20, 4, 0);
	pcitest_bar_write(f, 0, 0x08, 4, 4);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x08, 4), 24);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	/* 0! is 1; a raise of 0 changes nothing and sends nothing. */
	pcitest_bar_write(f, 0, 0x08, 4, 0);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x08, 4), 1);
	pcitest_bar_write(f, 0, 0x60, 4, 0);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	close(efd);
}
END_TEST

#define EDU_IOVA	((uint64_t)MOCK_APERTURE_START)
#define EDU_PAGE	4096ULL

/* One edu transfer: 0, or bit 31 of the command register after it. */
static uint64_t
edu_dma(struct vfio_cdev_file *f, uint64_t src, uint64_t dst, uint64_t cnt,
    uint64_t cmd)
{
	pcitest_bar_write(f, 0, 0x80, 8, src);
	pcitest_bar_write(f, 0, 0x88, 8, dst);
	pcitest_bar_write(f, 0, 0x90, 8, cnt);
	pcitest_bar_write(f, 0, 0x98, 8, cmd | 0x1);
	return (pcitest_bar_read(f, 0, 0x98, 8) & 0x80000000ULL);
}

static long
edu_map(uint32_t ioas, void *uva, uint64_t len, uint64_t iova,
    uint32_t flags)
{
	struct iommu_ioas_map	m;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)uva;
	m.length = len;
	m.iova = iova;
	return (test_ioctl(tctx, IOMMU_IOAS_MAP, &m));
}

/*
 * DMA through the device's attachment: the IOAS maps pages of ours at
 * EDU_IOVA, the device is attached to it through the node, and edu's
 * engine moves bytes both ways, raises 0x100 when asked, and fails
 * cleanly (bit 31, memory untouched, no interrupt) on an IOVA that is
 * not mapped, mapped read-only for a write, or unmapped meanwhile.
 */
START_TEST(edu_test_dma_iommu)
{
	struct vfio_cdev_file			*f = pcitest_bind(EDU);
	struct vfio_device_attach_iommufd_pt	 at;
	struct iommu_ioas_alloc			 a;
	struct iommu_ioas_unmap			 u;
	uint8_t					*mem;
	int					 efd;
	int32_t					 fd;
	unsigned int				 i;

	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
	mem = mmap(NULL, 4 * EDU_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	for (i = 0; i < 4 * EDU_PAGE; i++)
		mem[i] = (uint8_t)(i * 7 + 1);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOC, &a), 0);
	ck_assert_int_eq(edu_map(a.out_ioas_id, mem, 2 * EDU_PAGE, EDU_IOVA,
	    IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE), 0);
	ck_assert_int_eq(edu_map(a.out_ioas_id, mem + 2 * EDU_PAGE, EDU_PAGE,
	    EDU_IOVA + 2 * EDU_PAGE, IOMMU_IOAS_MAP_READABLE), 0);
	memset(&at, 0, sizeof(at));
	at.argsz = sizeof(at);
	at.pt_id = a.out_ioas_id;
	ck_assert_int_eq(pcitest_io(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
	    0);
	efd = eventfd(0, EFD_NONBLOCK);
	fd = efd;
	ck_assert_int_eq(pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &fd),
	    0);
	pcitest_cfg_write(f, 0x04, 2, 0x0006);

	/* Memory to the buffer, across a page boundary, with its irq. */
	ck_assert_uint_eq(edu_dma(f, EDU_IOVA + EDU_PAGE - 100, 0x40010,
	    200, 0x4), 0);
	for (i = 0; i < 200; i += 4)
		ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x40010 + i, 4),
		    (uint32_t)mem[EDU_PAGE - 100 + i] |
		    (uint32_t)mem[EDU_PAGE - 99 + i] << 8 |
		    (uint32_t)mem[EDU_PAGE - 98 + i] << 16 |
		    (uint32_t)mem[EDU_PAGE - 97 + i] << 24);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0x100);
	ck_assert_uint_eq(pcitest_efd_take(efd), 1);
	pcitest_bar_write(f, 0, 0x64, 4, 0x100);
	/* The buffer back to memory, elsewhere. */
	ck_assert_uint_eq(edu_dma(f, 0x40010, EDU_IOVA + 16, 200, 0x2), 0);
	ck_assert_int_eq(memcmp(mem + 16, mem + EDU_PAGE - 100, 200), 0);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	/* The whole buffer, both ways. */
	ck_assert_uint_eq(edu_dma(f, EDU_IOVA + EDU_PAGE, 0x40000, 4096, 0),
	    0);
	ck_assert_uint_eq(edu_dma(f, 0x40000, EDU_IOVA, 4096, 0x2), 0);
	ck_assert_int_eq(memcmp(mem, mem + EDU_PAGE, EDU_PAGE), 0);

	/* Reading the read-only page is fine; writing it is an error. */
	ck_assert_uint_eq(edu_dma(f, EDU_IOVA + 2 * EDU_PAGE, 0x40000, 64,
	    0), 0);
	memset(mem + 2 * EDU_PAGE, 0xee, 64);
	ck_assert_uint_ne(edu_dma(f, 0x40000, EDU_IOVA + 2 * EDU_PAGE, 64,
	    0x6), 0);
	ck_assert_uint_eq(mem[2 * EDU_PAGE], 0xee);
	ck_assert_uint_eq(pcitest_bar_read(f, 0, 0x24, 4), 0);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	/* Not mapped at all: an error, as is a range running into it. */
	ck_assert_uint_ne(edu_dma(f, EDU_IOVA + 3 * EDU_PAGE, 0x40000, 8, 0),
	    0);
	ck_assert_uint_ne(edu_dma(f, EDU_IOVA + 2 * EDU_PAGE + 4000, 0x40000,
	    200, 0), 0);
	/* The next good transfer clears bit 31. */
	ck_assert_uint_eq(edu_dma(f, EDU_IOVA, 0x40000, 8, 0), 0);

	/* Unmapped meanwhile: the next DMA there fails, memory stays. */
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = a.out_ioas_id;
	u.iova = EDU_IOVA;
	u.length = 2 * EDU_PAGE;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_UNMAP, &u), 0);
	memset(mem, 0x11, 64);
	ck_assert_uint_ne(edu_dma(f, 0x40000, EDU_IOVA, 64, 0x6), 0);
	ck_assert_uint_eq(mem[0], 0x11);
	ck_assert_uint_eq(pcitest_efd_take(efd), 0);
	ck_assert_uint_eq(pcitest_cfg_read(f, 0x06, 2) & 0x2000, 0x2000);

	close(efd);
	vfio_cdev_close(pcitest_file);
	pcitest_file = NULL;
	munmap(mem, 4 * EDU_PAGE);
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
}
END_TEST

static Suite *
edu_suite(void)
{
	Suite	*s = suite_create("edu");
	TCase	*tc = tcase_create("edu");

	tcase_add_checked_fixture(tc, pcitest_setup, pcitest_teardown);
	tcase_add_test(tc, edu_test_regs);
	tcase_add_test(tc, edu_test_sizes);
	tcase_add_test(tc, edu_test_msi);
	tcase_add_test(tc, edu_test_dma_error);
	tcase_add_test(tc, edu_test_dma_iommu);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(edu_suite)
