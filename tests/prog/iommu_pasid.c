/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Global PASIDs as a VMM meets them: binds one device node, attaches
 * vPASID VPASID of it to a PASID-capable HWPT and reads its context's
 * ENQCMD PASID table (IOASIDD_PASIDS): with pasid-policy = global one
 * row for VPASID with a pPASID the daemon chose, which it prints as
 * "ppasid N"; with per-rid, no row. Then it detaches and checks the row
 * went. At each of its two pauses it creates PREFIX.N and waits (up to
 * 30 s) for GO.N, so that a script can look with ioasidctl meanwhile.
 *
 * usage: iommu_pasid /dev/vfio/devices/vfioN VPASID global|per-rid
 *            PREFIX GO
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>

#include <linux/vfio.h>

#include "check.h"
#include "ioasidd_pasid.h"

static const char	*prefix, *go;

/* The context's table into e (room for max rows): rows, or -errno. */
static int
table(int fd, struct ioasidd_pasid_entry *e, uint32_t max)
{
	struct ioasidd_pasids	 c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.num_entries = max;
	c.entries = (uintptr_t)e;
	if (ioctl(fd, IOASIDD_PASIDS, &c) != 0)
		return (-errno);
	return ((int)c.num_entries);
}

int
main(int argc, char **argv)
{
	struct vfio_device_bind_iommufd		 b;
	struct vfio_device_attach_iommufd_pt	 a;
	struct vfio_device_detach_iommufd_pt	 dt;
	struct iommu_hwpt_alloc			 h;
	struct ioasidd_pasid_entry		 e[4];
	uint32_t				 vpasid, ioas;
	int					 fd, dfd, global, n;

	if (argc != 6) {
		fprintf(stderr, "usage: iommu_pasid DEV VPASID global|per-rid "
		    "PREFIX GO\n");
		return (2);
	}
	vpasid = (uint32_t)strtoul(argv[2], NULL, 0);
	global = strcmp(argv[3], "global") == 0;
	prefix = argv[4];
	go = argv[5];
	fd = open("/dev/iommu", O_RDWR);
	dfd = open(argv[1], O_RDWR);
	CHECK(fd >= 0 && dfd >= 0, "open /dev/iommu and the device");
	if (fd < 0 || dfd < 0)
		return (check_report());
	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = fd;
	CHECK(ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) == 0, "bind");
	ioas = ioas_alloc(fd);
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_ALLOC_PASID;
	h.dev_id = b.out_devid;
	h.pt_id = ioas;
	CHECK(ioctl(fd, IOMMU_HWPT_ALLOC, &h) == 0, "a PASID-capable HWPT");
	CHECK(table(fd, e, 4) == 0, "nothing attached: the table is empty");

	memset(&a, 0, sizeof(a));
	a.argsz = sizeof(a);
	a.flags = VFIO_DEVICE_ATTACH_PASID;
	a.pasid = vpasid;
	a.pt_id = h.out_hwpt_id;
	CHECK(ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a) == 0 &&
	    a.pt_id == h.out_hwpt_id, "vPASID %u attaches", vpasid);
	n = table(fd, e, 4);
	if (global) {
		CHECK(n == 1 && e[0].vpasid == vpasid && e[0].ppasid != 0 &&
		    e[0].users == 1, "global: one row for vPASID %u", vpasid);
		if (n == 1)
			printf("ppasid %u\n", e[0].ppasid);
	} else
		CHECK(n == 0, "per-rid: no row, vPASID = pPASID");
	CHECK(table(fd, e, 0) == (global ? -EMSGSIZE : 0),
	    "no room: EMSGSIZE when there is a row");
	/* The caller's PASID is the one it detaches and re-attaches. */
	CHECK(ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a) == 0,
	    "vPASID %u replaces to the same HWPT", vpasid);
	fflush(stdout);
	check_pause(prefix, go, 1);

	memset(&dt, 0, sizeof(dt));
	dt.argsz = sizeof(dt);
	dt.flags = VFIO_DEVICE_DETACH_PASID;
	dt.pasid = vpasid;
	CHECK(ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt) == 0,
	    "vPASID %u detaches", vpasid);
	CHECK(table(fd, e, 4) == 0, "detached: the row went");
	fflush(stdout);
	check_pause(prefix, go, 2);

	close(dfd);
	close(fd);
	return (check_report());
}
