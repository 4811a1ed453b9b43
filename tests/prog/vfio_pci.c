/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The emulated PCI function behind a VFIO device node, as a VMM probes
 * it: bind /dev/vfio/devices/vfio1 (an edu device) to an iommufd, ask
 * for its regions and interrupts, read configuration space and the
 * edu registers, reset it, ask for its hot-reset set and its features,
 * and arm its interrupts on eventfds. Region access goes through
 * IOASIDD_REGION_READ/WRITE, the daemon's own commands, and through
 * pread() and pwrite(), which the preload library carries as those
 * commands. Every answer is what Linux 7.3's vfio-pci gives for such a
 * device.
 */
#include <sys/eventfd.h>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>

#include <linux/vfio.h>

#include "ioasidd.h"
#include "check.h"

#define DEV1		"/dev/vfio/devices/vfio1"
#define REG(i)		((uint64_t)(i) << 40)

static long
region_rw(int dfd, uint64_t offset, void *buf, uint64_t len, int write)
{
	struct ioasidd_region_rw	rw;

	memset(&rw, 0, sizeof(rw));
	rw.argsz = sizeof(rw);
	rw.offset = offset;
	rw.length = len;
	rw.data_uptr = (uintptr_t)buf;
	return (ioctl(dfd, write ? IOASIDD_REGION_WRITE :
	    IOASIDD_REGION_READ, &rw));
}

static uint32_t
read32(int dfd, uint64_t offset)
{
	uint32_t	v = 0;

	if (region_rw(dfd, offset, &v, 4, 0) != 4)
		return (0xdeadbeef);
	return (v);
}

static void
test_info(int dfd)
{
	struct vfio_device_info	info;
	struct vfio_region_info	ri;
	struct vfio_irq_info	ii;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	CHECK(ioctl(dfd, VFIO_DEVICE_GET_INFO, &info) == 0 &&
	    info.num_regions == 9 && info.num_irqs == 5 &&
	    (info.flags & VFIO_DEVICE_FLAGS_PCI),
	    "GET_INFO: a PCI device, 9 regions, 5 irqs");
	memset(&ri, 0, sizeof(ri));
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	CHECK(ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri) == 0 &&
	    ri.size == 1 << 20 && ri.offset == 0 && ri.flags ==
	    (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE),
	    "BAR0: 1 MiB, read and write, no mmap");
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	CHECK(ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri) == 0 &&
	    ri.size == 256 && ri.offset == REG(7),
	    "config space: 256 bytes at index 7");
	ri.index = VFIO_PCI_VGA_REGION_INDEX;
	CHECK(ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri) == -1 &&
	    errno == EINVAL, "no VGA: EINVAL");
	ri.argsz = 16;
	ri.index = 0;
	CHECK(ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri) == -1 &&
	    errno == EINVAL, "GET_REGION_INFO argsz 16: EINVAL");
	memset(&ii, 0, sizeof(ii));
	ii.argsz = sizeof(ii);
	ii.index = VFIO_PCI_INTX_IRQ_INDEX;
	CHECK(ioctl(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii) == 0 &&
	    ii.count == 1 && (ii.flags & VFIO_IRQ_INFO_AUTOMASKED),
	    "INTx: one, automasked");
	ii.index = VFIO_PCI_MSI_IRQ_INDEX;
	CHECK(ioctl(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii) == 0 &&
	    ii.count == 1 && ii.flags == (VFIO_IRQ_INFO_EVENTFD |
	    VFIO_IRQ_INFO_NORESIZE), "MSI: one vector");
	ii.index = 5;
	CHECK(ioctl(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii) == -1 &&
	    errno == EINVAL, "irq index 5: EINVAL");
}

static void
test_regions(int dfd)
{
	uint32_t	v;
	uint8_t		buf[16];

	CHECK(read32(dfd, REG(7)) == 0x11e81234, "config: edu's ids");
	CHECK((read32(dfd, REG(7) + 8) >> 8) == 0x00ff00,
	    "config: class 0x00ff00");
	v = 0xffffffff;
	CHECK(region_rw(dfd, REG(7) + 0x10, &v, 4, 1) == 4 &&
	    read32(dfd, REG(7) + 0x10) == 0xfff00000, "BAR0 sizing");
	CHECK(read32(dfd, REG(0)) == 0x010000ed, "BAR0: edu's id register");
	v = 0x0badf00d;
	CHECK(region_rw(dfd, REG(0) + 4, &v, 4, 1) == 4 &&
	    read32(dfd, REG(0) + 4) == ~0x0badf00dU, "liveness: inverted");
	v = 6;
	CHECK(region_rw(dfd, REG(0) + 8, &v, 4, 1) == 4 &&
	    read32(dfd, REG(0) + 8) == 720, "factorial of 6");
	CHECK(region_rw(dfd, REG(0) + (1 << 20) - 8, buf, 16, 0) == 8,
	    "a read across BAR0's end is short");
	CHECK(region_rw(dfd, REG(0) + (1 << 20), buf, 4, 0) == -1 &&
	    errno == EINVAL, "past BAR0's end: EINVAL");
	CHECK(region_rw(dfd, REG(7) + 254, buf, 4, 0) == -1 &&
	    errno == EFAULT, "past config space's end: EFAULT");
	/* An unattached DMA: the error bit, never a crash. */
	v = 0x0006;
	CHECK(region_rw(dfd, REG(7) + 4, &v, 2, 1) == 2, "bus master on");
	v = 0x40000;
	(void)region_rw(dfd, REG(0) + 0x88, &v, 4, 1);
	v = 64;
	(void)region_rw(dfd, REG(0) + 0x90, &v, 4, 1);
	v = 1;
	(void)region_rw(dfd, REG(0) + 0x98, &v, 4, 1);
	CHECK(read32(dfd, REG(0) + 0x98) == 0x80000000,
	    "DMA with nothing attached: bit 31 of the command");
	CHECK(ioctl(dfd, VFIO_DEVICE_RESET) == 0, "RESET");
	CHECK(read32(dfd, REG(0) + 4) == 0 &&
	    (read32(dfd, REG(7) + 4) & 0xffff) == 0,
	    "after RESET: power-on registers");
}

/* SET_IRQS with count eventfds (or -1s), which travel as descriptors. */
static int
set_irqs(int dfd, uint32_t flags, uint32_t index, uint32_t count,
    const int32_t *fds)
{
	union {
		struct vfio_irq_set	hdr;
		uint8_t			buf[sizeof(struct vfio_irq_set) +
					    4 * sizeof(int32_t)];
	} s;

	memset(&s, 0, sizeof(s));
	s.hdr.argsz = sizeof(s.hdr) + count * sizeof(int32_t);
	s.hdr.flags = flags;
	s.hdr.index = index;
	s.hdr.count = count;
	if (fds != NULL)
		memcpy(s.hdr.data, fds, count * sizeof(int32_t));
	return (ioctl(dfd, VFIO_DEVICE_SET_IRQS, &s) == 0 ? 0 : errno);
}

/* An eventfd's count within 2 s, 0 if none came. */
static uint64_t
efd_wait(int efd)
{
	struct pollfd	p = { .fd = efd, .events = POLLIN };
	uint64_t	v = 0;

	if (poll(&p, 1, 2000) != 1 || read(efd, &v, sizeof(v)) != sizeof(v))
		return (0);
	return (v);
}

/*
 * pread() and pwrite() of the node, as QEMU makes them, and interrupts
 * through eventfds the daemon received: INTx fires once and stays
 * masked until UNMASK; MSI signals each raise.
 */
static void
test_irqs(int dfd)
{
	uint32_t	v;
	uint8_t		pin = 0;
	int		efd;
	int32_t		fd;

	CHECK(pread(dfd, &pin, 1, REG(7) + 0x3d) == 1 && pin == 1,
	    "pread of the interrupt pin: INTA");
	CHECK(pread(dfd, &v, 4, REG(0)) == 4 && v == 0x010000ed,
	    "pread of edu's id");
	efd = eventfd(0, EFD_NONBLOCK);
	fd = efd;
	CHECK(set_irqs(dfd, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 1, &fd) == 0,
	    "SET_IRQS: INTx on an eventfd");
	v = 1;
	CHECK(pwrite(dfd, &v, 4, REG(0) + 0x60) == 4, "raise an interrupt");
	CHECK(efd_wait(efd) == 1, "INTx signalled");
	v = 2;
	(void)pwrite(dfd, &v, 4, REG(0) + 0x60);
	CHECK(efd_wait(efd) == 0, "masked: the second raise is not");
	CHECK(set_irqs(dfd, VFIO_IRQ_SET_DATA_NONE |
	    VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 1, NULL) == 0,
	    "UNMASK");
	CHECK(efd_wait(efd) == 1, "still high: signalled again at unmask");
	v = 3;
	(void)pwrite(dfd, &v, 4, REG(0) + 0x64);
	CHECK(set_irqs(dfd, VFIO_IRQ_SET_DATA_NONE |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, NULL) ==
	    0, "INTx off");
	fd = 4000;
	CHECK(set_irqs(dfd, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 1, &fd) ==
	    EBADF, "MSI on a descriptor we do not have: EBADF");
	fd = efd;
	CHECK(set_irqs(dfd, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 1, &fd) == 0,
	    "MSI on the eventfd");
	v = 1;
	(void)pwrite(dfd, &v, 4, REG(0) + 0x60);
	(void)pwrite(dfd, &v, 4, REG(0) + 0x60);
	CHECK(efd_wait(efd) == 2, "two raises, two messages");
	(void)pwrite(dfd, &v, 4, REG(0) + 0x64);
	/* Left armed: closing the device must drop it (socket.sh). */
	close(efd);
}

static void
test_reset_feature(int dfd, uint32_t devid)
{
	union {
		struct vfio_pci_hot_reset_info	h;
		uint8_t				buf[
		    sizeof(struct vfio_pci_hot_reset_info) +
		    sizeof(struct vfio_pci_dependent_device)];
	} r;
	struct vfio_pci_hot_reset	hr;
	struct vfio_device_feature	ft;

	memset(&r, 0, sizeof(r));
	r.h.argsz = sizeof(r.h);
	CHECK(ioctl(dfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r) == -1 &&
	    errno == ENOSPC && r.h.count == 1,
	    "hot reset info, no room: ENOSPC and the count");
	r.h.argsz = sizeof(r);
	CHECK(ioctl(dfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r) == 0 &&
	    r.h.count == 1 && (r.h.flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID) &&
	    r.h.devices[0].group_id == devid && r.h.devices[0].devfn == 0x18,
	    "hot reset info: this device, by its devid");
	memset(&hr, 0, sizeof(hr));
	hr.argsz = sizeof(hr);
	CHECK(ioctl(dfd, VFIO_DEVICE_PCI_HOT_RESET, &hr) == 0,
	    "hot reset, the zero-length form");
	memset(&ft, 0, sizeof(ft));
	ft.argsz = sizeof(ft);
	ft.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
	    VFIO_DEVICE_FEATURE_MIGRATION;
	CHECK(ioctl(dfd, VFIO_DEVICE_FEATURE, &ft) == -1 && errno == ENOTTY,
	    "no migration: ENOTTY");
}

int
main(void)
{
	struct vfio_device_bind_iommufd	b;
	int				ifd, dfd;

	setvbuf(stdout, NULL, _IONBF, 0);
	ifd = open("/dev/iommu", O_RDWR);
	dfd = open(DEV1, O_RDWR);
	CHECK(ifd >= 0 && dfd >= 0, "open the nodes");
	if (ifd < 0 || dfd < 0)
		return (check_report());
	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = ifd;
	CHECK(ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) == 0, "bind");
	test_info(dfd);
	test_regions(dfd);
	test_reset_feature(dfd, b.out_devid);
	test_irqs(dfd);
	close(dfd);
	close(ifd);
	return (check_report());
}
