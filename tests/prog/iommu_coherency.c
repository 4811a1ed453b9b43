/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The 2013 KVM-VFIO thread's scenario as a VMM meets it: device A behind
 * an IOMMU with snoop control and device B, which can issue no-snoop DMA,
 * behind one without, in one /dev/iommu, then B removed. Checks the HWPTs
 * (B refused by A's enforcing one, then given its own through the IOAS),
 * the KVM view (IOASIDD_COHERENCY) and VFIO's VFIO_DMA_CC_IOMMU before
 * and after. At each of its two pauses it creates PREFIX.N and waits (up
 * to 30 s) for GO.N, so that a script can look with ioasidctl meanwhile.
 *
 * usage: iommu_coherency /dev/vfio/devices/vfioA /dev/vfio/devices/vfioB
 *            PREFIX GO
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>

#include <linux/vfio.h>

#include "check.h"
#include "ioasidd_coherency.h"

static const char	*prefix, *go;

/* Bind the device node dfd to fd: its dev_id, or 0. */
static uint32_t
bind(int dfd, int fd)
{
	struct vfio_device_bind_iommufd	b;

	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = fd;
	if (ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) != 0)
		return (0);
	return (b.out_devid);
}

/* Attach dfd's RID to *pt (an IOAS or HWPT): 0 or errno. */
static int
attach(int dfd, uint32_t *pt)
{
	struct vfio_device_attach_iommufd_pt	a;

	memset(&a, 0, sizeof(a));
	a.argsz = sizeof(a);
	a.pt_id = *pt;
	if (ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a) != 0)
		return (errno);
	*pt = a.pt_id;
	return (0);
}

/* IOASIDD_COHERENCY into *c, printed: 0 or errno. */
static int
coherency(int fd, struct ioasidd_coherency *c)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	if (ioctl(fd, IOASIDD_COHERENCY, c) != 0)
		return (errno);
	printf("KVM view: flags 0x%x attached %u noncoherent %u nosnoop %u "
	    "changes %llu\n", c->out_flags, c->out_attached,
	    c->out_noncoherent, c->out_nosnoop,
	    (unsigned long long)c->out_changes);
	return (0);
}

int
main(int argc, char **argv)
{
	struct ioasidd_coherency	 c;
	struct iommu_vfio_ioas		 v;
	struct iommu_destroy		 d;
	struct vfio_device_detach_iommufd_pt dt;
	uint32_t			 ioas, ha, hb, pt;
	int				 fd, da, db;

	if (argc != 5) {
		fprintf(stderr, "usage: iommu_coherency DEVA DEVB PREFIX GO\n");
		return (2);
	}
	prefix = argv[3];
	go = argv[4];
	fd = open("/dev/iommu", O_RDWR);
	da = open(argv[1], O_RDWR);
	db = open(argv[2], O_RDWR);
	CHECK(fd >= 0 && da >= 0 && db >= 0, "open /dev/iommu and devices");
	if (fd < 0 || da < 0 || db < 0)
		return (check_report());
	CHECK(bind(da, fd) != 0 && bind(db, fd) != 0, "bind A and B");
	ioas = ioas_alloc(fd);
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.op = IOMMU_VFIO_IOAS_SET;
	v.ioas_id = ioas;
	CHECK(ioctl(fd, IOMMU_VFIO_IOAS, &v) == 0, "the IOAS is VFIO's");

	CHECK(coherency(fd, &c) == 0 && c.out_flags == 0 &&
	    c.out_attached == 0, "nothing attached: no WBINVD");
	ha = ioas;
	CHECK(attach(da, &ha) == 0 && ha != ioas, "A attaches to the IOAS");
	CHECK(coherency(fd, &c) == 0 && c.out_flags == 0 &&
	    c.out_attached == 1 && c.out_changes == 0,
	    "A (snoop control): no WBINVD");
	CHECK(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU) == 1,
	    "A's HWPT enforces: VFIO_DMA_CC_IOMMU is 1");

	pt = ha;
	CHECK(attach(db, &pt) == EINVAL,
	    "B (no-snoop, no snoop control) on A's HWPT: EINVAL");
	hb = ioas;
	CHECK(attach(db, &hb) == 0 && hb != ha && hb != ioas,
	    "B through the IOAS gets a HWPT of its own");
	CHECK(coherency(fd, &c) == 0 && c.out_flags ==
	    (IOASIDD_COHERENCY_WBINVD | IOASIDD_COHERENCY_NOSNOOP) &&
	    c.out_attached == 2 && c.out_noncoherent == 1 &&
	    c.out_nosnoop == 1 && c.out_changes == 1,
	    "A and B: WBINVD, B's no-snoop DMA goes through");
	CHECK(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU) == 0,
	    "B's HWPT does not enforce: VFIO_DMA_CC_IOMMU is 0");
	printf("HWPTs: A %u, B %u\n", ha, hb);
	fflush(stdout);
	check_pause(prefix, go, 1);

	memset(&dt, 0, sizeof(dt));
	dt.argsz = sizeof(dt);
	CHECK(ioctl(db, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt) == 0,
	    "B detaches");
	close(db);
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.id = hb;
	CHECK(ioctl(fd, IOMMU_DESTROY, &d) != 0 && errno == ENOENT,
	    "B's HWPT went with B");
	CHECK(coherency(fd, &c) == 0 && c.out_flags == 0 &&
	    c.out_attached == 1 && c.out_noncoherent == 0 &&
	    c.out_changes == 2, "B removed: no WBINVD, two changes on record");
	CHECK(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU) == 1,
	    "A's HWPT still enforces: VFIO_DMA_CC_IOMMU is 1 again");
	fflush(stdout);
	check_pause(prefix, go, 2);

	close(da);
	close(fd);
	return (check_report());
}
