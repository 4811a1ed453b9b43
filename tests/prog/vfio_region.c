/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Region access and interrupts on an emulated VFIO device, as QEMU makes
 * them: pread() and pwrite() at vfio-pci's offsets (the region index in
 * bits 40 up), through the plain, 64-bit and fortified entry points,
 * preadv() and preadv2(), read() at the file position, a short read at a
 * region's end, the errnos of a bad region or offset, and SET_IRQS with
 * eventfds: INTx fires into the eventfd when the device raises it.
 *
 * The daemon must have an edu device (QEMU's educational device: vendor
 * 0x1234, device 0x11e8, 1 MiB BAR0, INTx pin A). Its node is
 * /dev/vfio/devices/vfio<N> with N the first argument, or the descriptor
 * number given as "fd=M" (inherited, as ioasidctl run passes it). Every
 * errno is the one Linux 7.3's vfio-pci gives (pci/vfio_pci_rdwr.c,
 * vfio_pci_core.c, read_write.c).
 */
#include <sys/eventfd.h>
#include <sys/uio.h>

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>

#include <linux/vfio.h>

#include "check.h"

/* glibc's fortified pread; what QEMU 10 imports besides pread64. */
ssize_t	__pread64_chk(int, void *, size_t, off_t, size_t);
ssize_t	__pread_chk(int, void *, size_t, off_t, size_t);

#define REGION(i)	((off_t)(i) << 40)
#define CFG		REGION(VFIO_PCI_CONFIG_REGION_INDEX)
#define BAR0		REGION(VFIO_PCI_BAR0_REGION_INDEX)
#define BAR0_SIZE	(1 << 20)

static uint32_t
rd32(int fd, off_t off)
{
	uint32_t	v = 0xdeadbeef;

	if (pread(fd, &v, sizeof(v), off) != sizeof(v))
		return (0xdeadbeef);
	return (v);
}

static int
wr32(int fd, off_t off, uint32_t v)
{
	return (pwrite(fd, &v, sizeof(v), off) == sizeof(v) ? 0 : errno);
}

static void
test_config(int fd)
{
	uint8_t		cfg[256];
	uint16_t	w;

	memset(cfg, 0, sizeof(cfg));
	CHECK(pread(fd, cfg, sizeof(cfg), CFG) == sizeof(cfg),
	    "pread of the whole config space");
	memcpy(&w, cfg, 2);
	CHECK(w == 0x1234, "vendor id 0x%x", w);
	memcpy(&w, cfg + 2, 2);
	CHECK(w == 0x11e8, "device id 0x%x", w);
	/* The interrupt pin, as QEMU reads it: fortified, one byte. */
	cfg[0x3d] = 0;
	CHECK(__pread64_chk(fd, cfg + 0x3d, 1, CFG + 0x3d, 1) == 1 &&
	    cfg[0x3d] == 1, "__pread64_chk: interrupt pin A (%u)",
	    cfg[0x3d]);
	w = 0;
	CHECK(__pread_chk(fd, &w, 2, CFG + 2, sizeof(w)) == 2 &&
	    w == 0x11e8, "__pread_chk: device id");
	w = 0;
	CHECK(pread64(fd, &w, 2, CFG) == 2 && w == 0x1234, "pread64");
	/* Memory space and bus mastering on, as a VMM's guest does. */
	w = 0x6;
	CHECK(pwrite64(fd, &w, 2, CFG + 4) == 2, "pwrite64 of the command");
}

static void
test_bar(int fd)
{
	struct iovec	 iov[3];
	void *volatile	 badp = (void *)8;
	uint32_t	 a, b, c;
	uint8_t		*big;
	ssize_t		 n;

	CHECK(rd32(fd, BAR0) == 0x010000ed, "edu id");
	CHECK(wr32(fd, BAR0 + 4, 0x12345678) == 0, "liveness write");
	CHECK(rd32(fd, BAR0 + 4) == ~0x12345678u, "liveness reads ~ it");

	a = b = c = 0;
	iov[0].iov_base = &a;
	iov[0].iov_len = 4;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 0;
	iov[2].iov_base = &b;
	iov[2].iov_len = 4;
	CHECK(preadv(fd, iov, 3, BAR0) == 8 && a == 0x010000ed &&
	    b == ~0x12345678u, "preadv: id and liveness");
	a = b = 0;
	CHECK(preadv2(fd, iov, 3, BAR0, 0) == 8 && a == 0x010000ed,
	    "preadv2 with flags 0");
	CHECK(preadv2(fd, iov, 3, BAR0, RWF_NOWAIT) == -1 &&
	    errno == EOPNOTSUPP, "preadv2 with RWF_NOWAIT: EOPNOTSUPP");
	c = 0x55aa55aa;
	iov[0].iov_base = &c;
	CHECK(pwritev(fd, iov, 1, BAR0 + 4) == 4 &&
	    rd32(fd, BAR0 + 4) == ~0x55aa55aau, "pwritev of liveness");

	/* A read that runs past the region's end stops there. */
	a = b = 0;
	CHECK(pread(fd, iov[0].iov_base, 8, BAR0 + BAR0_SIZE - 4) == 4,
	    "short read at the end of BAR0");
	CHECK(pread(fd, &a, 4, BAR0 + BAR0_SIZE) == -1 && errno == EINVAL,
	    "read at the end of BAR0: EINVAL");
	/* More than one request carries: pieces, all of them. */
	if ((big = malloc(3 * 65536)) != NULL) {
		n = pread(fd, big, 3 * 65536, BAR0);
		CHECK(n == 3 * 65536, "192 KiB read of BAR0 (%zd)", n);
		n = pread(fd, big, 3 * 65536, BAR0 + BAR0_SIZE - 65536 - 8);
		CHECK(n == 65536 + 8, "a long read stops at the end (%zd)",
		    n);
		free(big);
	}
	CHECK(pread(fd, &a, 4, REGION(VFIO_PCI_BAR5_REGION_INDEX)) == -1 &&
	    errno == EINVAL, "a BAR the device lacks: EINVAL");
	CHECK(pread(fd, &a, 4, REGION(40)) == -1 && errno == EINVAL,
	    "region 40: EINVAL");
	CHECK(pread(fd, &a, 4, -4) == -1 && errno == EINVAL,
	    "a negative offset: EINVAL");
	CHECK(pread(fd, badp, 4, BAR0) == -1 && errno == EFAULT,
	    "a bad buffer: EFAULT");
	CHECK(pread(fd, &a, 0, BAR0) == 0, "zero bytes: 0");
}

/* read() and write() go at the file position, which they move. */
static void
test_position(int fd)
{
	uint32_t	v[2] = { 0, 0 };

	CHECK(read(fd, &v[0], 4) == 4 && v[0] == 0x010000ed,
	    "read at position 0: BAR0's id");
	v[1] = 0x0f0f0f0f;
	CHECK(write(fd, &v[1], 4) == 4, "write at position 4: liveness");
	CHECK(rd32(fd, BAR0 + 4) == ~0x0f0f0f0fu, "it landed at 4");
}

static int
set_irqs(int fd, uint32_t flags, uint32_t index, uint32_t count,
    const int32_t *fds)
{
	union {
		struct vfio_irq_set	s;
		uint8_t			buf[sizeof(struct vfio_irq_set) +
					    4 * sizeof(int32_t)];
	} a;

	memset(&a, 0, sizeof(a));
	a.s.argsz = sizeof(a.s) + count * sizeof(int32_t);
	a.s.flags = flags;
	a.s.index = index;
	a.s.count = count;
	if (count > 0 && fds != NULL)
		memcpy(a.s.data, fds, count * sizeof(int32_t));
	return (ioctl(fd, VFIO_DEVICE_SET_IRQS, &a) == 0 ? 0 : errno);
}

static void
test_irqs(int fd)
{
	int32_t		efd, bad;
	uint64_t	v = 0;

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(efd >= 0, "eventfd");
	CHECK(set_irqs(fd, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 1,
	    &efd) == 0, "SET_IRQS INTx trigger with an eventfd");
	CHECK(read(efd, &v, 8) == -1 && errno == EAGAIN, "nothing yet");
	CHECK(wr32(fd, BAR0 + 0x60, 1) == 0, "raise interrupt 1");
	CHECK(read(efd, &v, 8) == 8 && v == 1, "INTx signals the eventfd");
	CHECK(wr32(fd, BAR0 + 0x64, 1) == 0, "acknowledge it");
	CHECK(set_irqs(fd, VFIO_IRQ_SET_DATA_NONE |
	    VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 1,
	    NULL) == 0, "unmask INTx");
	/* A descriptor that is no eventfd, one that is not open. */
	bad = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(set_irqs(fd, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 1,
	    &bad) != 0, "a file that is no eventfd is refused");
	close(bad);
	bad = 1000;
	CHECK(set_irqs(fd, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 1,
	    &bad) == EBADF, "a number that is not open: EBADF");
	bad = -1;
	CHECK(set_irqs(fd, VFIO_IRQ_SET_DATA_EVENTFD |
	    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 1,
	    &bad) == 0, "-1 tears the trigger down");
	CHECK(wr32(fd, BAR0 + 0x60, 1) == 0 && wr32(fd, BAR0 + 0x64, 1) == 0,
	    "raise and acknowledge with no trigger");
	CHECK(read(efd, &v, 8) == -1 && errno == EAGAIN,
	    "the old eventfd is not signalled");
	close(efd);
}

/*
 * The hot-reset pair has the numbers of type1's GET_INFO and MAP_DMA on
 * /dev/iommu: on a device they are the device's, with its layouts (the
 * dependent devices written after the struct, up to argsz; no memory
 * mapped). The zero-length reset resets config space.
 */
static void
test_hot_reset(int fd)
{
	union {
		struct vfio_pci_hot_reset_info	h;
		uint8_t				buf[
		    sizeof(struct vfio_pci_hot_reset_info) +
		    2 * sizeof(struct vfio_pci_dependent_device)];
	} r;
	struct vfio_pci_hot_reset	hr;
	uint16_t			w = 0x6;

	memset(&r, 0, sizeof(r));
	r.h.argsz = sizeof(r.h);
	CHECK(ioctl(fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r) == -1 &&
	    errno == ENOSPC && r.h.count == 1,
	    "hot reset info, no room: ENOSPC and the count");
	r.h.argsz = sizeof(r);
	CHECK(ioctl(fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r) == 0 &&
	    r.h.count == 1 && (r.h.flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID) &&
	    r.h.devices[0].devfn == 0x18, "hot reset info: this device, by id "
	    "(devfn 0x%x)", r.h.devices[0].devfn);
	CHECK(pwrite(fd, &w, 2, CFG + 4) == 2, "command register set");
	memset(&hr, 0, sizeof(hr));
	hr.argsz = sizeof(hr);
	CHECK(ioctl(fd, VFIO_DEVICE_PCI_HOT_RESET, &hr) == 0,
	    "zero-length hot reset");
	w = 0xffff;
	CHECK(pread(fd, &w, 2, CFG + 4) == 2 && w == 0,
	    "the reset cleared the command register (0x%x)", w);
	w = 0x6;
	CHECK(pwrite(fd, &w, 2, CFG + 4) == 2, "command register set again");
}

/* Other descriptors are the real calls'. */
static void
test_others(void)
{
	char	path[] = "/tmp/vfio_region.XXXXXX", c = 0;
	int	fd;

	if ((fd = mkstemp(path)) == -1)
		return;
	unlink(path);
	CHECK(pwrite(fd, "xyz", 3, 10) == 3, "pwrite of a plain file");
	CHECK(pread(fd, &c, 1, 11) == 1 && c == 'y', "pread of it");
	close(fd);
}

int
main(int argc, char **argv)
{
	struct vfio_device_bind_iommufd	b;
	char				path[64];
	int				fd, iommufd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strncmp(argv[1], "fd=", 3) == 0)
		fd = atoi(argv[1] + 3);
	else {
		snprintf(path, sizeof(path), "/dev/vfio/devices/vfio%s",
		    argc > 1 ? argv[1] : "0");
		fd = open(path, O_RDWR | O_CLOEXEC);
	}
	CHECK(fd >= 0, "the device node");
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	CHECK(iommufd >= 0, "/dev/iommu");
	if (fd < 0 || iommufd < 0)
		return (check_report());
	CHECK(pread(fd, &b, 4, CFG) == -1 && errno == EINVAL,
	    "pread before bind: EINVAL");
	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = iommufd;
	CHECK(ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &b) == 0, "bind");
	test_config(fd);
	test_bar(fd);
	test_position(fd);
	test_irqs(fd);
	test_hot_reset(fd);
	test_others();
	close(fd);
	close(iommufd);
	return (check_report());
}
