/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * What the PCI function's tests share (check_pci.c, check_edu.c): three
 * configured devices, an open of one bound to the test's context, and
 * configuration space, BAR and SET_IRQS access through the node.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
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

static int		 pcitest_pipe[2] = { -1, -1 };
struct vfio_cdev_file	*pcitest_file;

void
pcitest_conf(struct conf_device *devs)
{
	memset(devs, 0, 3 * sizeof(*devs));
	devs[PCITEST_EDU].name = (char *)"edu0";
	devs[PCITEST_EDU].function = (char *)"edu";
	devs[PCITEST_EDU].rid = 0x0008;
	devs[PCITEST_GEN].name = (char *)"gen0";
	devs[PCITEST_GEN].function = (char *)"generic";
	devs[PCITEST_GEN].rid = 0x0110;
	devs[PCITEST_GEN].pci_set = CONF_PCI_VENDOR | CONF_PCI_BAR(0) |
	    CONF_PCI_BAR(2) | CONF_PCI_BAR(4) | CONF_PCI_ROM | CONF_PCI_INTX |
	    CONF_PCI_MSI | CONF_PCI_MSIX | CONF_PCI_CLASS;
	devs[PCITEST_GEN].vendor_id = 0x1af4;
	devs[PCITEST_GEN].class_code = 0x020000;
	devs[PCITEST_GEN].bar_size[0] = 4096;
	devs[PCITEST_GEN].bar_size[2] = 1 << 20;
	devs[PCITEST_GEN].bar_flags[2] = PCI_BARF_64 | PCI_BARF_PREFETCH;
	devs[PCITEST_GEN].bar_size[4] = 32;
	devs[PCITEST_GEN].bar_flags[4] = PCI_BARF_IO;
	devs[PCITEST_GEN].rom_size = 8192;
	devs[PCITEST_GEN].intx_pin = 2;
	devs[PCITEST_GEN].msi_vectors = 4;
	devs[PCITEST_GEN].msix_vectors = 8;
	devs[PCITEST_PLAIN].name = (char *)"plain0";
	devs[PCITEST_PLAIN].rid = 0x0018;
}

void
pcitest_setup(void)
{
	struct conf_device	devs[3];
	struct stat		st;
	int			i;

	test_setup();
	pcitest_conf(devs);
	for (i = 0; i < 3; i++) {
		devs[i].iommu = (char *)"iommu0";
		devs[i].model = (char *)"mock";
	}
	ck_assert_int_eq(vfio_cdev_configure(devs, 3), 0);
	ck_assert_int_eq(pipe(pcitest_pipe), 0);
	ck_assert_int_eq(fstat(pcitest_pipe[0], &st), 0);
	ck_assert_int_eq(ctx_set_file(tctx, st.st_dev, st.st_ino), 0);
	pcitest_file = NULL;
}

void
pcitest_teardown(void)
{
	vfio_cdev_close(pcitest_file);
	pcitest_file = NULL;
	vfio_cdev_unconfigure();
	close(pcitest_pipe[0]);
	close(pcitest_pipe[1]);
	test_teardown();
}

long
pcitest_io(struct vfio_cdev_file *f, unsigned int cmd, void *arg)
{
	struct ucmd	ucmd = {
		.cmd = cmd,
		.arg = (uint64_t)(uintptr_t)arg,
		.caller = &tcaller,
		.uops = &uself_ops,
	};

	return (vfio_cdev_dispatch(f, &ucmd));
}

/* Open device i and bind it: the open is pcitest_file, freed by the fixture. */
struct vfio_cdev_file *
pcitest_bind(unsigned int i)
{
	struct vfio_device_bind_iommufd	b = {
		.argsz = sizeof(b),
		.iommufd = pcitest_pipe[0],
	};

	ck_assert_int_eq(vfio_cdev_open(i, &pcitest_file), 0);
	ck_assert_int_eq(pcitest_io(pcitest_file, VFIO_DEVICE_BIND_IOMMUFD, &b),
	    0);
	return (pcitest_file);
}

uint32_t
pcitest_cfg_read(struct vfio_cdev_file *f, unsigned int at, unsigned int size)
{
	uint32_t	v = 0;

	ck_assert_int_eq(vfio_cdev_region_rw(f,
	    PCITEST_REG(VFIO_PCI_CONFIG_REGION_INDEX) + at, &v, size, 0), size);
	return (v);
}

void
pcitest_cfg_write(struct vfio_cdev_file *f, unsigned int at, unsigned int size,
    uint32_t v)
{
	ck_assert_int_eq(vfio_cdev_region_rw(f,
	    PCITEST_REG(VFIO_PCI_CONFIG_REGION_INDEX) + at, &v, size, 1), size);
}

uint64_t
pcitest_bar_read(struct vfio_cdev_file *f, unsigned int bar, uint64_t at,
    unsigned int size)
{
	uint64_t	v = 0;

	ck_assert_int_eq(vfio_cdev_region_rw(f, PCITEST_REG(bar) + at, &v, size,
	    0), size);
	return (v);
}

void
pcitest_bar_write(struct vfio_cdev_file *f, unsigned int bar, uint64_t at,
    unsigned int size, uint64_t v)
{
	ck_assert_int_eq(vfio_cdev_region_rw(f, PCITEST_REG(bar) + at, &v, size,
	    1), size);
}

/* An eventfd's count (0 when not signalled); it is non-blocking. */
uint64_t
pcitest_efd_take(int fd)
{
	uint64_t	v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return (0);
	return (v);
}

/* SET_IRQS with count eventfds (or -1s). */
long
pcitest_set_irqs(struct vfio_cdev_file *f, uint32_t flags, unsigned int index,
    unsigned int start, unsigned int count, const int32_t *fds)
{
	union {
		struct vfio_irq_set	hdr;
		uint8_t			buf[sizeof(struct vfio_irq_set) +
					    16 * sizeof(int32_t)];
	} s;

	memset(&s, 0, sizeof(s));
	s.hdr.argsz = (uint32_t)(sizeof(s.hdr) + count * sizeof(int32_t));
	s.hdr.flags = flags;
	s.hdr.index = index;
	s.hdr.start = start;
	s.hdr.count = count;
	if (count != 0 && fds != NULL)
		memcpy(s.hdr.data, fds, count * sizeof(int32_t));
	return (pcitest_io(f, VFIO_DEVICE_SET_IRQS, &s));
}

long
pcitest_set_irqs_none(struct vfio_cdev_file *f, uint32_t action,
    unsigned int index, unsigned int start, unsigned int count)
{
	return (pcitest_set_irqs(f, VFIO_IRQ_SET_DATA_NONE | action, index,
	    start, count, NULL));
}

unsigned int
pcitest_open_fds(void)
{
	DIR		*d;
	unsigned int	 n = 0;

	ck_assert_ptr_nonnull(d = opendir("/proc/self/fd"));
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return (n);
}
