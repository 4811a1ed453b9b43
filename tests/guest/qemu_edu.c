/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * qemu_edu: runs inside the guest of the QEMU end-to-end test
 * (tests/qemu/run.sh), where QEMU 10 passes ioasidd's emulated edu device
 * through with vfio-pci over iommufd. It finds the device in the guest's
 * sysfs and drives its registers the way a guest driver would. Each check
 * prints one line, "ok TEXT" or "FAIL TEXT"; the exit status is 1 when
 * any failed.
 *
 *   qemu_edu bar    ids, BAR0 size, interrupt pin; the id and liveness
 *                   registers through an mmap of resource0
 *   qemu_edu dma    no guest IOMMU: DMA to and from a locked buffer at its
 *                   guest-physical address (/proc/self/pagemap), and the
 *                   completion interrupt (status, and /dev/uio0's count
 *                   when uio_pci_generic is bound)
 *   qemu_edu vfio   the guest's own VFIO type1 on QEMU's intel-iommu: DMA
 *                   to a mapped IOVA, then to the same IOVA unmapped,
 *                   which must fail in the device and change no byte
 *
 * The register layout is edu's (daemon/dev/edu.c): bit 31 of the DMA
 * command register is ioasidd's DMA error bit.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#define EDU_ID		0x010000edU
#define R_ID		0x00
#define R_LIVE		0x04
#define R_IRQ_STATUS	0x24
#define R_IRQ_ACK	0x64
#define R_DMA_SRC	0x80
#define R_DMA_DST	0x88
#define R_DMA_CNT	0x90
#define R_DMA_CMD	0x98
#define DMA_BUF		0x40000U
#define CMD_RUN		0x1U
#define CMD_TO_RAM	0x2U
#define CMD_IRQ		0x4U
#define CMD_ERROR	0x80000000U
#define IRQ_DMA		0x100U
#define PAGE		4096U
#define TEST_IOVA	0x12340000ULL

static int	 nfail;
static char	 devdir[300];
static char	 devname[300];

static void
qemu_edu_report(int good, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
qemu_edu_report(int good, const char *fmt, ...)
{
	va_list	ap;

	printf("%s ", good ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!good)
		nfail++;
}

static unsigned long
qemu_edu_sysfs_num(const char *dir, const char *file)
{
	char	 path[400], buf[64];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "r")) == NULL)
		return ~0UL;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	return strtoul(buf, NULL, 0);
}

/* Find the edu function (1234:11e8) in sysfs; 0 or -ENOENT. */
static int
qemu_edu_find(void)
{
	DIR		*d;
	struct dirent	*e;
	char		 dir[300];

	if ((d = opendir("/sys/bus/pci/devices")) == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s",
		    e->d_name);
		if (qemu_edu_sysfs_num(dir, "vendor") == 0x1234 &&
		    qemu_edu_sysfs_num(dir, "device") == 0x11e8) {
			snprintf(devdir, sizeof(devdir), "%s", dir);
			snprintf(devname, sizeof(devname), "%s", e->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return -ENOENT;
}

static int
qemu_edu_config(off_t off, void *buf, size_t len, int write)
{
	char	path[400];
	int	fd;
	ssize_t	n;

	snprintf(path, sizeof(path), "%s/config", devdir);
	if ((fd = open(path, write ? O_RDWR : O_RDONLY)) == -1)
		return -errno;
	n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Memory decoding and bus mastering on, as a driver's enable would. */
static int
qemu_edu_enable(void)
{
	uint16_t	cmd;
	int		rc;

	if ((rc = qemu_edu_config(4, &cmd, 2, 0)) != 0)
		return rc;
	cmd |= 0x6;
	return qemu_edu_config(4, &cmd, 2, 1);
}

static volatile uint32_t *
qemu_edu_map_bar(void)
{
	char	 path[400];
	void	*p;
	int	 fd;

	snprintf(path, sizeof(path), "%s/resource0", devdir);
	if ((fd = open(path, O_RDWR | O_SYNC)) == -1)
		return NULL;
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static uint32_t
rd32(volatile uint32_t *b, unsigned off)
{
	return b[off / 4];
}

static void
wr32(volatile uint32_t *b, unsigned off, uint32_t v)
{
	b[off / 4] = v;
}

static void
wr64(volatile uint32_t *b, unsigned off, uint64_t v)
{
	*(volatile uint64_t *)(void *)((volatile char *)b + off) = v;
}

static uint64_t
rd64(volatile uint32_t *b, unsigned off)
{
	return *(volatile uint64_t *)(void *)((volatile char *)b + off);
}

/*
 * One DMA of len bytes between addr and edu's buffer; returns the command
 * register after the engine stopped (it runs synchronously in the daemon,
 * but a bounded wait keeps a slow one from hanging the guest).
 */
static uint64_t
qemu_edu_dma(volatile uint32_t *bar, uint64_t addr, uint32_t len,
    int to_ram)
{
	uint64_t	cmd = 0;
	int		i;

	wr64(bar, R_DMA_SRC, to_ram ? DMA_BUF : addr);
	wr64(bar, R_DMA_DST, to_ram ? addr : DMA_BUF);
	wr64(bar, R_DMA_CNT, len);
	wr64(bar, R_DMA_CMD, CMD_RUN | CMD_IRQ | (to_ram ? CMD_TO_RAM : 0));
	for (i = 0; i < 10000; i++) {
		cmd = rd64(bar, R_DMA_CMD);
		if ((cmd & CMD_RUN) == 0)
			return cmd;
		usleep(100);
	}
	return cmd;
}

static int
qemu_edu_bar(void)
{
	volatile uint32_t	*bar;
	unsigned long long	 start = 0, end = 0, flags = 0;
	uint8_t			 pin;
	FILE			*f;
	char			 path[400];
	int			 n;

	if (qemu_edu_find() != 0) {
		qemu_edu_report(0, "no 1234:11e8 in /sys/bus/pci/devices");
		return 1;
	}
	qemu_edu_report(1, "device 1234:11e8 at %s", devname);
	snprintf(path, sizeof(path), "%s/resource", devdir);
	n = 0;
	if ((f = fopen(path, "r")) != NULL) {
		n = fscanf(f, "%llx %llx %llx", &start, &end, &flags);
		fclose(f);
	}
	qemu_edu_report(n == 3 && start != 0 && end - start + 1 == 1 << 20,
	    "BAR0 is 1 MiB (%#llx-%#llx)", n == 3 ? start : 0,
	    n == 3 ? end : 0);
	pin = 0;
	n = qemu_edu_config(0x3d, &pin, 1, 0);
	qemu_edu_report(n == 0 && pin == 1, "interrupt pin A (%u)", pin);
	if (qemu_edu_enable() != 0 || (bar = qemu_edu_map_bar()) == NULL) {
		qemu_edu_report(0, "mmap of resource0: %s", strerror(errno));
		return 1;
	}
	qemu_edu_report(rd32(bar, R_ID) == EDU_ID, "id register %#x",
	    rd32(bar, R_ID));
	wr32(bar, R_LIVE, 0x12345678);
	qemu_edu_report(rd32(bar, R_LIVE) == ~0x12345678U,
	    "liveness register %#x", rd32(bar, R_LIVE));
	return nfail != 0;
}

/* The guest-physical address of the page at p, from pagemap (root). */
static uint64_t
qemu_edu_phys(void *p)
{
	uint64_t	ent;
	int		fd;
	off_t		off = (uintptr_t)p / PAGE * sizeof(ent);

	if ((fd = open("/proc/self/pagemap", O_RDONLY)) == -1)
		return 0;
	if (pread(fd, &ent, sizeof(ent), off) != sizeof(ent))
		ent = 0;
	close(fd);
	if ((ent & (1ULL << 63)) == 0)
		return 0;
	return (ent & ((1ULL << 55) - 1)) * PAGE;
}

static void
qemu_edu_fill(unsigned char *p, size_t len, unsigned seed)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 + seed);
}

static int
qemu_edu_check(const unsigned char *p, size_t len, unsigned seed)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(i * 7 + seed))
			return 0;
	return 1;
}

static int
qemu_edu_dma_phys(void)
{
	volatile uint32_t	*bar;
	unsigned char		*buf;
	uint64_t		 pa, cmd;
	uint32_t		 irq, count = 0;
	int			 uio;

	if (qemu_edu_find() != 0 || qemu_edu_enable() != 0 ||
	    (bar = qemu_edu_map_bar()) == NULL) {
		qemu_edu_report(0, "no edu device to DMA with");
		return 1;
	}
	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || mlock(buf, PAGE) != 0) {
		qemu_edu_report(0, "a locked page: %s", strerror(errno));
		return 1;
	}
	memset(buf, 0, PAGE);
	if ((pa = qemu_edu_phys(buf)) == 0) {
		qemu_edu_report(0, "no physical address in pagemap");
		return 1;
	}
	qemu_edu_report(1, "buffer at guest-physical %#" PRIx64, pa);

	/* Optional: uio_pci_generic counts the INTx the guest took. */
	uio = open("/dev/uio0", O_RDWR);
	if (uio != -1) {
		uint32_t one = 1;
		/* Unmask, as a uio user does before waiting. */
		(void)write(uio, &one, sizeof(one));
	}

	qemu_edu_fill(buf, PAGE, 3);
	cmd = qemu_edu_dma(bar, pa, PAGE, 0);
	qemu_edu_report((cmd & (CMD_RUN | CMD_ERROR)) == 0,
	    "DMA RAM to device (command %#" PRIx64 ")", cmd);
	irq = rd32(bar, R_IRQ_STATUS);
	qemu_edu_report((irq & IRQ_DMA) != 0,
	    "completion in interrupt status (%#x)", irq);
	if (uio != -1) {
		struct pollfd pf = { .fd = uio, .events = POLLIN };

		if (poll(&pf, 1, 5000) == 1 &&
		    read(uio, &count, sizeof(count)) == sizeof(count))
			qemu_edu_report(count >= 1,
			    "INTx taken by the guest (uio count %u)", count);
		else
			qemu_edu_report(0, "no INTx reached /dev/uio0 in 5 s");
	} else
		qemu_edu_report(0, "no /dev/uio0 (uio_pci_generic)");
	wr32(bar, R_IRQ_ACK, IRQ_DMA);

	memset(buf, 0, PAGE);
	cmd = qemu_edu_dma(bar, pa, PAGE, 1);
	qemu_edu_report((cmd & (CMD_RUN | CMD_ERROR)) == 0 &&
	    qemu_edu_check(buf, PAGE, 3),
	    "DMA device to RAM brings the bytes back (command %#" PRIx64 ")",
	    cmd);
	wr32(bar, R_IRQ_ACK, IRQ_DMA);
	if (uio != -1)
		close(uio);
	return nfail != 0;
}

static int
qemu_edu_vfio_fail(const char *what)
{
	qemu_edu_report(0, "%s: %s", what, strerror(errno));
	return 1;
}

static int
qemu_edu_vfio(void)
{
	struct vfio_group_status	 gs = { .argsz = sizeof(gs) };
	struct vfio_region_info		 ri = { .argsz = sizeof(ri) };
	struct vfio_iommu_type1_dma_map	 map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	volatile uint32_t		*bar;
	unsigned char			*buf;
	char				 path[400], link[400], *g;
	uint64_t			 cmd;
	ssize_t				 n;
	int				 container, group, dev;

	if (qemu_edu_find() != 0) {
		qemu_edu_report(0, "no edu device");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/iommu_group", devdir);
	if ((n = readlink(path, link, sizeof(link) - 1)) == -1)
		return qemu_edu_vfio_fail("no iommu_group (intel_iommu=on?)");
	link[n] = '\0';
	g = strrchr(link, '/') + 1;
	snprintf(path, sizeof(path), "/dev/vfio/%s", g);
	if ((container = open("/dev/vfio/vfio", O_RDWR)) == -1)
		return qemu_edu_vfio_fail("open /dev/vfio/vfio");
	if ((group = open(path, O_RDWR)) == -1)
		return qemu_edu_vfio_fail(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &gs) != 0 ||
	    (gs.flags & VFIO_GROUP_FLAGS_VIABLE) == 0)
		return qemu_edu_vfio_fail("group not viable");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) != 0)
		return qemu_edu_vfio_fail("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) != 0)
		return qemu_edu_vfio_fail("VFIO_SET_IOMMU");
	if ((dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, devname)) < 0)
		return qemu_edu_vfio_fail("VFIO_GROUP_GET_DEVICE_FD");
	qemu_edu_report(1, "guest VFIO: group %s, device %s", g, devname);

	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri) != 0)
		return qemu_edu_vfio_fail("GET_REGION_INFO BAR0");
	bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
	    ri.offset);
	if (bar == MAP_FAILED)
		return qemu_edu_vfio_fail("mmap of BAR0 through VFIO");
	qemu_edu_report(rd32(bar, R_ID) == EDU_ID,
	    "id register through the guest's VFIO %#x", rd32(bar, R_ID));
	/* Bus mastering, through VFIO's config region. */
	{
		struct vfio_region_info	 ci = { .argsz = sizeof(ci) };
		uint16_t		 c = 0;

		ci.index = VFIO_PCI_CONFIG_REGION_INDEX;
		if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ci) != 0 ||
		    pread(dev, &c, 2, ci.offset + 4) != 2)
			return qemu_edu_vfio_fail("config command read");
		c |= 0x6;
		if (pwrite(dev, &c, 2, ci.offset + 4) != 2)
			return qemu_edu_vfio_fail("config command write");
	}

	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return qemu_edu_vfio_fail("buffer");
	qemu_edu_fill(buf, PAGE, 5);
	map.vaddr = (uintptr_t)buf;
	map.iova = TEST_IOVA;
	map.size = PAGE;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map) != 0)
		return qemu_edu_vfio_fail("VFIO_IOMMU_MAP_DMA");
	cmd = qemu_edu_dma(bar, TEST_IOVA, PAGE, 0);
	qemu_edu_report((cmd & (CMD_RUN | CMD_ERROR)) == 0,
	    "DMA from IOVA %#llx to the device (command %#" PRIx64 ")",
	    TEST_IOVA, cmd);
	memset(buf, 0, PAGE);
	cmd = qemu_edu_dma(bar, TEST_IOVA, PAGE, 1);
	qemu_edu_report((cmd & (CMD_RUN | CMD_ERROR)) == 0 &&
	    qemu_edu_check(buf, PAGE, 5),
	    "DMA back to IOVA %#llx brings the bytes (command %#" PRIx64 ")",
	    TEST_IOVA, cmd);

	unmap.iova = TEST_IOVA;
	unmap.size = PAGE;
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) != 0)
		return qemu_edu_vfio_fail("VFIO_IOMMU_UNMAP_DMA");
	memset(buf, 0xa5, PAGE);
	cmd = qemu_edu_dma(bar, TEST_IOVA, PAGE, 1);
	qemu_edu_report((cmd & CMD_ERROR) != 0,
	    "DMA to the unmapped IOVA fails in the device (command %#"
	    PRIx64 ")", cmd);
	{
		size_t i;
		int same = 1;

		for (i = 0; i < PAGE; i++)
			if (buf[i] != 0xa5)
				same = 0;
		qemu_edu_report(same, "the buffer is unchanged after it");
	}
	close(dev);
	close(group);
	close(container);
	return nfail != 0;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "bar") == 0)
		return qemu_edu_bar();
	if (argc == 2 && strcmp(argv[1], "dma") == 0)
		return qemu_edu_dma_phys();
	if (argc == 2 && strcmp(argv[1], "vfio") == 0)
		return qemu_edu_vfio();
	if (argc == 2 && strcmp(argv[1], "find") == 0) {
		if (qemu_edu_find() != 0)
			return 1;
		printf("%s\n", devname);
		return 0;
	}
	fprintf(stderr, "usage: qemu_edu bar|dma|vfio|find\n");
	return 2;
}
