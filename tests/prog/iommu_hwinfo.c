/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Which IOMMU instance a device sits behind, as a VMM sees it: bind the
 * emulated VFIO device node named on the command line to a /dev/iommu and
 * ask GET_HW_INFO about it. Passes when the report's type is the one
 * given (a decimal or 0x number) and, with a third argument, when a paging
 * domain allocated for the device reports that errno (0 for success).
 *
 * usage: iommu_hwinfo /dev/vfio/devices/vfioN TYPE [HWPT_ALLOC_ERRNO]
 */
#include <fcntl.h>
#include <stdlib.h>

#include <linux/vfio.h>

#include "check.h"

int
main(int argc, char **argv)
{
	struct vfio_device_bind_iommufd	b;
	struct iommu_hw_info		info;
	struct iommu_hwpt_alloc		h;
	unsigned char			data[256];
	unsigned long			want;
	uint32_t			ioas;
	int				fd, dfd, rc;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: iommu_hwinfo DEVICE TYPE [ERRNO]\n");
		return (2);
	}
	want = strtoul(argv[2], NULL, 0);
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

	memset(&info, 0, sizeof(info));
	memset(data, 0, sizeof(data));
	info.size = sizeof(info);
	info.dev_id = b.out_devid;
	info.data_len = sizeof(data);
	info.data_uptr = (uintptr_t)data;
	rc = ioctl(fd, IOMMU_GET_HW_INFO, &info);
	if (rc != 0)
		printf("GET_HW_INFO: errno %d\n", errno);
	else
		printf("GET_HW_INFO: type %u, %u bytes, capabilities 0x%llx, "
		    "max_pasid_log2 %u\n", info.out_data_type, info.data_len,
		    (unsigned long long)info.out_capabilities,
		    info.out_max_pasid_log2);
	CHECK(rc == 0 && info.out_data_type == want,
	    "%s reports type %lu", argv[1], want);

	if (argc == 4) {
		ioas = ioas_alloc(fd);
		memset(&h, 0, sizeof(h));
		h.size = sizeof(h);
		h.dev_id = b.out_devid;
		h.pt_id = ioas;
		h.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
		rc = ioctl(fd, IOMMU_HWPT_ALLOC, &h) == 0 ? 0 : errno;
		printf("HWPT_ALLOC NEST_PARENT: %d\n", rc);
		CHECK(rc == atoi(argv[3]), "a NEST_PARENT domain gives %s",
		    argv[3]);
	}
	close(dfd);
	close(fd);
	return (check_report());
}
