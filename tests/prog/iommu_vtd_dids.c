/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * VT-d domain ids as a VMM runs out of them: the device's unit reports
 * CAP in GET_HW_INFO, whose ND field gives 2^(4 + 2 * ND) domain ids,
 * of which Linux keeps 0 and 1, so N = 2^(4 + 2 * ND) - 2 domains can
 * be attached behind the unit at once.
 *
 * "fill": allocates N + 2 PASID-capable HWPTs (none takes an id yet),
 * attaches the RID and PASIDs 1 to N - 1 to N of them, so every id is
 * taken; one more domain is ENOSPC on a PASID and nothing changes, a
 * PASID on a domain that has its id is fine; prints "domain-ids N".
 * Then it creates PREFIX.1 and waits for GO.1 (up to 30 s) holding them,
 * detaches PASID 2 and checks the freed id serves another domain.
 * "one ERRNO": attaches its device's RID to an IOAS (an auto domain, a
 * new id) and expects ERRNO (0 or ENOSPC).
 *
 * usage: iommu_vtd_dids DEV fill PREFIX GO | DEV one 0|ENOSPC
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>

#include <linux/vfio.h>

#include "check.h"

#define DOMAINS_MAX	64

/* Attach (pt != 0) or detach PASID pasid of dfd: 0 or errno. */
static int
pasid_op(int dfd, uint32_t pasid, uint32_t pt)
{
	struct vfio_device_attach_iommufd_pt	a;
	struct vfio_device_detach_iommufd_pt	d;
	int					rc;

	if (pt != 0) {
		memset(&a, 0, sizeof(a));
		a.argsz = sizeof(a);
		a.flags = VFIO_DEVICE_ATTACH_PASID;
		a.pasid = pasid;
		a.pt_id = pt;
		rc = ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
	} else {
		memset(&d, 0, sizeof(d));
		d.argsz = sizeof(d);
		d.flags = VFIO_DEVICE_DETACH_PASID;
		d.pasid = pasid;
		rc = ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
	}
	return (rc == 0 ? 0 : errno);
}

/* RID of dfd to pt: 0 or errno. */
static int
rid_attach(int dfd, uint32_t pt)
{
	struct vfio_device_attach_iommufd_pt	a;

	memset(&a, 0, sizeof(a));
	a.argsz = sizeof(a);
	a.pt_id = pt;
	return (ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a) == 0 ? 0 :
	    errno);
}

int
main(int argc, char **argv)
{
	struct vfio_device_bind_iommufd	 b;
	struct iommu_hw_info		 hi;
	struct iommu_hw_info_vtd	 vtd;
	struct iommu_hwpt_alloc		 h;
	struct iommu_hw_info		 *hp = &hi;
	uint32_t			 hw[DOMAINS_MAX + 2], ioas, n, i;
	int				 fd, dfd, want;

	if (argc < 4) {
		fprintf(stderr, "usage: iommu_vtd_dids DEV fill PREFIX GO | "
		    "DEV one 0|ENOSPC\n");
		return (2);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
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

	if (strcmp(argv[2], "one") == 0) {
		want = strcmp(argv[3], "ENOSPC") == 0 ? ENOSPC : 0;
		CHECK(rid_attach(dfd, ioas) == want,
		    "the RID's auto domain: %s", argv[3]);
		close(dfd);
		close(fd);
		return (check_report());
	}

	memset(&vtd, 0, sizeof(vtd));
	memset(hp, 0, sizeof(*hp));
	hp->size = sizeof(*hp);
	hp->dev_id = b.out_devid;
	hp->data_len = sizeof(vtd);
	hp->data_uptr = (uintptr_t)&vtd;
	CHECK(ioctl(fd, IOMMU_GET_HW_INFO, hp) == 0 &&
	    hp->out_data_type == IOMMU_HW_INFO_TYPE_INTEL_VTD,
	    "GET_HW_INFO: an intel-vtd unit");
	n = (1U << (4 + 2 * (vtd.cap_reg & 7))) - 2;
	printf("domain-ids %u\n", n);
	CHECK(n <= DOMAINS_MAX, "a unit small enough to fill (ND <= 1)");
	if (n > DOMAINS_MAX || argc < 5)
		return (check_report());
	for (i = 0; i < n + 2; i++) {
		memset(&h, 0, sizeof(h));
		h.size = sizeof(h);
		h.flags = IOMMU_HWPT_ALLOC_PASID;
		h.dev_id = b.out_devid;
		h.pt_id = ioas;
		CHECK(ioctl(fd, IOMMU_HWPT_ALLOC, &h) == 0, "HWPT %u", i);
		hw[i] = h.out_hwpt_id;
	}
	CHECK(rid_attach(dfd, hw[0]) == 0, "the RID takes an id");
	for (i = 1; i < n; i++)
		CHECK(pasid_op(dfd, i, hw[i]) == 0, "PASID %u takes an id", i);
	CHECK(pasid_op(dfd, n, hw[n]) == ENOSPC,
	    "domain %u: no id left, ENOSPC", n + 1);
	CHECK(pasid_op(dfd, n, hw[1]) == 0,
	    "PASID %u stayed free and goes to a domain with its id", n);
	check_pause(argv[3], argv[4], 1);

	CHECK(pasid_op(dfd, 2, 0) == 0, "PASID 2's detach frees an id");
	CHECK(pasid_op(dfd, n + 1, hw[n]) == 0, "domain %u gets it", n + 1);
	CHECK(pasid_op(dfd, n + 2, hw[n + 1]) == ENOSPC,
	    "the next is ENOSPC again");
	close(dfd);
	close(fd);
	return (check_report());
}
