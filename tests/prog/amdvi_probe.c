/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * What a VMM learns from a device behind an amd-vi instance: bind the
 * VFIO device node named on the command line, print GET_HW_INFO's report
 * (type, EFR, EFR2, capabilities, PASID width), then the errno of each
 * step a nesting VMM takes: a NEST_PARENT + DIRTY_TRACKING domain, its
 * attach, a vIOMMU on it, and a nested domain of AMD guest DTE data on
 * the vIOMMU. The caller's script judges the lines.
 *
 * usage: amdvi_probe /dev/vfio/devices/vfioN
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "check.h"

/* A guest DTE that 7.3's check passes: V, GV, a GCR3 root, 4-level. */
static void
gdte(struct iommu_hwpt_amd_guest *g)
{
	memset(g, 0, sizeof(*g));
	g->dte[0] = 1ULL | (1ULL << 55) | (1ULL << 56) | (1ULL << 58);
	g->dte[1] = 0x42 | (0x1234ULL << 16);
}

int
main(int argc, char **argv)
{
	struct vfio_device_bind_iommufd		 b;
	struct vfio_device_attach_iommufd_pt	 at;
	struct iommu_hw_info			 info;
	struct iommu_hw_info_amd		 amd;
	struct iommu_hwpt_alloc			 h;
	struct iommu_viommu_alloc		 v;
	struct iommu_hwpt_amd_guest		 g;
	uint32_t				 ioas, parent = 0;
	int					 fd, dfd, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: amdvi_probe DEVICE\n");
		return (2);
	}
	fd = open("/dev/iommu", O_RDWR);
	dfd = open(argv[1], O_RDWR);
	CHECK(fd >= 0 && dfd >= 0, "open /dev/iommu and %s", argv[1]);
	if (fd < 0 || dfd < 0)
		return (check_report());
	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = fd;
	rc = ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b);
	CHECK(rc == 0, "bind %s", argv[1]);
	if (rc != 0)
		return (check_report());

	memset(&info, 0, sizeof(info));
	memset(&amd, 0, sizeof(amd));
	info.size = sizeof(info);
	info.dev_id = b.out_devid;
	info.data_len = sizeof(amd);
	info.data_uptr = (uintptr_t)&amd;
	rc = ioctl(fd, IOMMU_GET_HW_INFO, &info);
	CHECK(rc == 0, "GET_HW_INFO");
	printf("hw_info type %u len %u efr 0x%llx efr2 0x%llx caps 0x%llx "
	    "pasid %u\n", info.out_data_type, info.data_len,
	    (unsigned long long)amd.efr, (unsigned long long)amd.efr2,
	    (unsigned long long)info.out_capabilities,
	    info.out_max_pasid_log2);

	ioas = ioas_alloc(fd);
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
	    IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	h.dev_id = b.out_devid;
	h.pt_id = ioas;
	rc = ioctl(fd, IOMMU_HWPT_ALLOC, &h) == 0 ? 0 : errno;
	printf("parent %d\n", rc);
	if (rc == 0) {
		parent = h.out_hwpt_id;
		memset(&at, 0, sizeof(at));
		at.argsz = sizeof(at);
		at.pt_id = parent;
		rc = ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) == 0 ? 0 :
		    errno;
		printf("attach %d\n", rc);
		memset(&v, 0, sizeof(v));
		v.size = sizeof(v);
		v.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
		v.dev_id = b.out_devid;
		v.hwpt_id = parent;
		rc = ioctl(fd, IOMMU_VIOMMU_ALLOC, &v) == 0 ? 0 : errno;
		printf("viommu %d\n", rc);
		if (rc == 0) {
			gdte(&g);
			memset(&h, 0, sizeof(h));
			h.size = sizeof(h);
			h.dev_id = b.out_devid;
			h.pt_id = v.out_viommu_id;
			h.data_type = IOMMU_HWPT_DATA_AMD_GUEST;
			h.data_len = sizeof(g);
			h.data_uptr = (uintptr_t)&g;
			rc = ioctl(fd, IOMMU_HWPT_ALLOC, &h) == 0 ? 0 : errno;
			printf("nested %d\n", rc);
		}
	}
	close(dfd);
	close(fd);
	return (check_report());
}
