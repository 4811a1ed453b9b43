/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The DMA windows of a device as a VMM finds them: bind the emulated VFIO
 * device node to a /dev/iommu, attach it to a new IOAS and print what
 * IOMMU_IOAS_IOVA_RANGES says ("range START LAST" per range, then
 * "alignment N") and GET_HW_INFO's type. Then map 64 KiB at each address
 * given after the device and print "map ADDR ERRNO" (0 for success).
 * With $WINDOWS_HOLD set, runs it as a shell command while attached (to
 * look at the objects). Fails only when a step before the maps fails.
 *
 * usage: iommu_windows /dev/vfio/devices/vfioN [IOVA ...]
 */
#include <sys/mman.h>

#include <fcntl.h>
#include <stdlib.h>

#include <linux/vfio.h>

#include "check.h"

#define MAP_LEN		(64 * 1024)

int
main(int argc, char **argv)
{
	struct vfio_device_bind_iommufd		b;
	struct vfio_device_attach_iommufd_pt	at;
	struct iommu_ioas_iova_ranges		q;
	struct iommu_iova_range			r[8];
	struct iommu_hw_info			info;
	struct iommu_ioas_map			m;
	const char				*hold;
	uint32_t				ioas, i;
	void					*buf;
	int					fd, dfd, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: iommu_windows DEVICE [IOVA ...]\n");
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
	CHECK(ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) == 0, "bind %s",
	    argv[1]);
	ioas = ioas_alloc(fd);
	CHECK(ioas != 0, "IOAS_ALLOC");
	memset(&at, 0, sizeof(at));
	at.argsz = sizeof(at);
	at.pt_id = ioas;
	CHECK(ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) == 0,
	    "attach to the IOAS");

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.ioas_id = ioas;
	q.num_iovas = 8;
	q.allowed_iovas = (uintptr_t)r;
	rc = ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q);
	CHECK(rc == 0, "IOVA_RANGES");
	for (i = 0; rc == 0 && i < q.num_iovas && i < 8; i++)
		printf("range 0x%llx 0x%llx\n", (unsigned long long)r[i].start,
		    (unsigned long long)r[i].last);
	if (rc == 0)
		printf("alignment 0x%llx\n",
		    (unsigned long long)q.out_iova_alignment);

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.dev_id = b.out_devid;
	rc = ioctl(fd, IOMMU_GET_HW_INFO, &info);
	CHECK(rc == 0, "GET_HW_INFO");
	if (rc == 0)
		printf("hw_info type %u len %u\n", info.out_data_type,
		    info.data_len);

	buf = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	if (buf == MAP_FAILED)
		return (check_report());
	memset(buf, 0x5a, MAP_LEN);
	for (i = 2; i < (uint32_t)argc; i++) {
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		m.ioas_id = ioas;
		m.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
		    IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
		m.user_va = (uintptr_t)buf;
		m.length = MAP_LEN;
		m.iova = strtoull(argv[i], NULL, 0);
		rc = ioctl(fd, IOMMU_IOAS_MAP, &m) == 0 ? 0 : errno;
		printf("map %s %d\n", argv[i], rc);
	}
	fflush(stdout);
	if ((hold = getenv("WINDOWS_HOLD")) != NULL)
		CHECK(system(hold) == 0, "%s", hold);
	close(dfd);
	close(fd);
	return (check_report());
}
