/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * QEMU's accelerated SMMUv3 call order (hw/arm/smmuv3-accel.c over the
 * iommufd backend) against a device behind an arm-smmuv3 instance of the
 * default profile: bind the device node given as argument, GET_HW_INFO
 * (the SMMU's registers), an S2 NEST_PARENT HWPT on an IOAS, VIOMMU_ALLOC
 * of type ARM_SMMUV3 on it, two nested HWPTs (abort and bypass vSTEs) on
 * the vIOMMU, attach to bypass, VDEVICE_ALLOC with the guest's stream id,
 * guest commands one at a time through the vIOMMU, a vEVENTQ. Every errno
 * is Linux 7.3's arm-smmu-v3 one. The device is an edu function: its DMA
 * behind the bypass vSTE goes through the S2 (the IOAS), behind abort or
 * translate it reaches nothing.
 *
 * usage: vfio_smmuv3 /dev/vfio/devices/vfioN
 */
#include <endian.h>
#include <sys/mman.h>

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>

#include <linux/vfio.h>

#include "check.h"

#define VSID		0x18	/* the guest's stream id for the device */
#define STE_V		1ULL
#define STE_CFG(c)	((uint64_t)(c) << 1)

#define REG(i)		((uint64_t)(i) << 40)	/* region i of the node */
#define IOVA		0x100000ULL
#define EDU_BUF		0x40000U
#define CD		0x800	/* the guest's context descriptor */

static int	fd, dfd;
static uint32_t	dev_id;

/* HWPT_ALLOC on pt with flags and the vSTE (none if ste NULL). */
static int
hwpt_alloc(uint32_t pt, uint32_t flags, const uint64_t *ste, uint32_t len,
    uint32_t *id)
{
	struct iommu_hwpt_arm_smmuv3	 v;
	struct iommu_hwpt_alloc		 a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.dev_id = dev_id;
	a.pt_id = pt;
	if (ste != NULL) {
		v.ste[0] = htole64(ste[0]);
		v.ste[1] = htole64(ste[1]);
		a.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3;
		a.data_len = len;
		a.data_uptr = (uintptr_t)&v;
	}
	if (ioctl(fd, IOMMU_HWPT_ALLOC, &a) != 0)
		return (errno);
	*id = a.out_hwpt_id;
	return (0);
}

/* One guest command through the vIOMMU: 0 or errno; *done: entry_num. */
static int
cmd(uint32_t viommu, uint64_t c0, uint64_t c1, uint32_t *done)
{
	struct iommu_viommu_arm_smmuv3_invalidate	 c;
	struct iommu_hwpt_invalidate			 i;
	int						 rc;

	c.cmd[0] = htole64(c0);
	c.cmd[1] = htole64(c1);
	memset(&i, 0, sizeof(i));
	i.size = sizeof(i);
	i.hwpt_id = viommu;
	i.data_uptr = (uintptr_t)&c;
	i.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
	i.entry_len = sizeof(c);
	i.entry_num = 1;
	rc = ioctl(fd, IOMMU_HWPT_INVALIDATE, &i) == 0 ? 0 : errno;
	*done = i.entry_num;
	return (rc);
}

/*
 * The edu function copies 64 bytes from IOVA into its buffer: 0 when
 * they arrived as pattern, 1 when the DMA failed (bit 31 of the command),
 * -1 for anything else.
 */
static int
edu_dma(const uint8_t *pattern)
{
	uint8_t		got[64];
	uint64_t	v64;
	uint32_t	v;
	uint16_t	cmdreg = 0x6;

	memset(got, 0, sizeof(got));
	if (pwrite(dfd, got, sizeof(got), REG(0) + EDU_BUF) != sizeof(got) ||
	    pwrite(dfd, &cmdreg, 2, REG(7) + 4) != 2)
		return (-1);
	v64 = IOVA;
	(void)pwrite(dfd, &v64, 8, REG(0) + 0x80);
	v64 = EDU_BUF;
	(void)pwrite(dfd, &v64, 8, REG(0) + 0x88);
	v64 = sizeof(got);
	(void)pwrite(dfd, &v64, 8, REG(0) + 0x90);
	v = 1;
	(void)pwrite(dfd, &v, 4, REG(0) + 0x98);
	if (pread(dfd, &v, 4, REG(0) + 0x98) != 4)
		return (-1);
	if (v == 0x80000000)
		return (1);
	if (v != 0 || pread(dfd, got, sizeof(got), REG(0) + EDU_BUF) !=
	    sizeof(got))
		return (-1);
	return (memcmp(got, pattern, sizeof(got)) == 0 ? 0 : -1);
}

/* The next vEVENT's record within 1 s: 0, ETIMEDOUT, or EIO. */
static int
read_event(int qfd, uint64_t *evt)
{
	struct pollfd	p = { .fd = qfd, .events = POLLIN };
	uint8_t		buf[sizeof(struct iommufd_vevent_header) + 32];

	if (poll(&p, 1, 1000) != 1)
		return (ETIMEDOUT);
	if (read(qfd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return (EIO);
	memcpy(evt, buf + sizeof(struct iommufd_vevent_header), 32);
	return (0);
}

int
main(int argc, char **argv)
{
	struct vfio_device_bind_iommufd		 b;
	struct vfio_device_attach_iommufd_pt	 at;
	struct iommu_hw_info_arm_smmuv3		 info;
	struct iommu_hw_info			 hi;
	struct iommu_viommu_alloc		 va;
	struct iommu_vdevice_alloc		 vd;
	struct iommu_veventq_alloc		 qa;
	uint64_t				 ste[2];
	uint32_t				 ioas, s2, s1, viommu, abort_id;
	struct iommu_ioas_map			 m;
	uint32_t				 bypass, done, id;
	uint64_t				 ev[4];
	uint8_t					*mem;
	int					 i;

	if (argc != 2) {
		fprintf(stderr, "usage: vfio_smmuv3 device-node\n");
		return (2);
	}
	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0, "open /dev/iommu");
	dfd = open(argv[1], O_RDWR);
	CHECK(dfd >= 0, "open %s", argv[1]);
	if (fd < 0 || dfd < 0)
		return (check_report());
	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = fd;
	CHECK(ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) == 0, "bind");
	dev_id = b.out_devid;

	/* The registers, raw: both stages, AArch64, coherent, SMMUv3.1. */
	memset(&hi, 0, sizeof(hi));
	memset(&info, 0xff, sizeof(info));
	hi.size = sizeof(hi);
	hi.dev_id = dev_id;
	hi.data_len = sizeof(info);
	hi.data_uptr = (uintptr_t)&info;
	CHECK(ioctl(fd, IOMMU_GET_HW_INFO, &hi) == 0, "GET_HW_INFO");
	CHECK(hi.out_data_type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3 &&
	    hi.data_len == sizeof(info), "hw_info type %u len %u",
	    hi.out_data_type, hi.data_len);
	CHECK((info.idr[0] & 0x1f) == 0x1b && info.flags == 0 &&
	    info.aidr == 1, "idr0 %#x flags %#x aidr %#x", info.idr[0],
	    info.flags, info.aidr);
	CHECK((info.idr[5] & 0x70) == 0x70 && (info.idr[5] & 7) == 5,
	    "idr5 %#x: 4K, 16K, 64K, OAS 48", info.idr[5]);
	CHECK(!(hi.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING),
	    "no HTTU: no dirty tracking");

	/* The S2: a nest parent; a plain (S1) HWPT cannot be one. */
	ioas = ioas_alloc(fd);
	CHECK(ioas != 0, "IOAS_ALLOC");
	CHECK(hwpt_alloc(ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, NULL, 0,
	    &s2) == 0, "HWPT_ALLOC nest parent");
	CHECK(hwpt_alloc(ioas, 0, NULL, 0, &s1) == 0, "HWPT_ALLOC S1");
	CHECK(hwpt_alloc(ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL, 0,
	    &id) == EOPNOTSUPP, "dirty tracking without HTTU");

	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	va.dev_id = dev_id;
	va.hwpt_id = s1;
	CHECK(ioctl(fd, IOMMU_VIOMMU_ALLOC, &va) == -1 && errno == EINVAL,
	    "VIOMMU_ALLOC on a HWPT that is no nest parent");
	va.type = IOMMU_VIOMMU_TYPE_DEFAULT + 2;
	va.hwpt_id = s2;
	CHECK(ioctl(fd, IOMMU_VIOMMU_ALLOC, &va) == -1 &&
	    errno == EOPNOTSUPP, "VIOMMU_ALLOC of another type");
	va.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	CHECK(ioctl(fd, IOMMU_VIOMMU_ALLOC, &va) == 0, "VIOMMU_ALLOC");
	viommu = va.out_viommu_id;

	/* vSTEs: abort and bypass, as QEMU makes them at realize. */
	ste[0] = STE_V | STE_CFG(0);
	ste[1] = 0;
	CHECK(hwpt_alloc(viommu, 0, ste, 16, &abort_id) == 0, "abort vSTE");
	ste[0] = STE_V | STE_CFG(4);
	CHECK(hwpt_alloc(viommu, 0, ste, 16, &bypass) == 0, "bypass vSTE");
	CHECK(hwpt_alloc(viommu, 0, ste, 8, &id) == EINVAL, "short vSTE");
	CHECK(hwpt_alloc(s2, 0, ste, 16, &id) == EOPNOTSUPP,
	    "nested HWPT on the bare parent");
	/* S1 with a one-descriptor table in guest memory, at IOVA + CD. */
	ste[0] = STE_V | STE_CFG(5) | (IOVA + CD);
	CHECK(hwpt_alloc(viommu, 0, ste, 16, &s1) == 0, "translate vSTE");
	ste[0] = STE_V | STE_CFG(6);
	CHECK(hwpt_alloc(viommu, 0, ste, 16, &id) == EIO, "S2 vSTE");
	ste[0] = STE_V | STE_CFG(5);
	ste[1] = 1ULL << 19;
	CHECK(hwpt_alloc(viommu, 0, ste, 16, &id) == EIO, "MEV in a vSTE");

	memset(&at, 0, sizeof(at));
	at.argsz = sizeof(at);
	at.pt_id = bypass;
	CHECK(ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) == 0,
	    "attach to bypass");

	/* Guest memory at IOVA in the S2: DMA behind bypass reaches it. */
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED, "mmap");
	if (mem == MAP_FAILED)
		return (check_report());
	for (i = 0; i < 4096; i++)
		mem[i] = (uint8_t)(i * 7 + 3);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)mem;
	m.length = 4096;
	m.iova = IOVA;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &m) == 0, "IOAS_MAP");
	CHECK(edu_dma(mem) == 0, "DMA behind the bypass vSTE: through S2");

	at.pt_id = s1;
	CHECK(ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) == -1 &&
	    errno == ENOENT, "translate vSTE without a vDEVICE");

	memset(&vd, 0, sizeof(vd));
	vd.size = sizeof(vd);
	vd.viommu_id = viommu;
	vd.dev_id = dev_id;
	vd.virt_id = VSID;
	CHECK(ioctl(fd, IOMMU_VDEVICE_ALLOC, &vd) == 0, "VDEVICE_ALLOC");
	memset(&qa, 0, sizeof(qa));
	qa.size = sizeof(qa);
	qa.viommu_id = viommu;
	qa.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
	qa.veventq_depth = 64;
	CHECK(ioctl(fd, IOMMU_VEVENTQ_ALLOC, &qa) == 0 &&
	    qa.out_veventq_fd > 2, "VEVENTQ_ALLOC");

	at.pt_id = s1;
	CHECK(ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) == 0,
	    "attach to the translate vSTE");
	/* The guest's descriptor has no V: C_BAD_CD with the vSID. */
	memset(mem + CD, 0, 64);
	CHECK(edu_dma(mem) == 1,
	    "DMA behind the translate vSTE: no stage-1 walk, aborted");
	CHECK(read_event(qa.out_veventq_fd, ev) == 0 &&
	    le64toh(ev[0]) == (0x0a | ((uint64_t)VSID << 32)) &&
	    ev[1] == 0 && ev[2] == 0 && ev[3] == 0,
	    "vEVENT C_BAD_CD for vSID %#x: %#llx", VSID,
	    (unsigned long long)le64toh(ev[0]));
	/* A valid one would be walked: aborted here, but no event. */
	mem[CD + 3] = 0x80;
	CHECK(edu_dma(mem) == 1, "DMA behind a valid descriptor: aborted");
	CHECK(read_event(qa.out_veventq_fd, ev) == ETIMEDOUT,
	    "no vEVENT for a valid descriptor");

	/* Guest commands, one at a time, as QEMU forwards them. */
	CHECK(cmd(viommu, 0x06 | ((uint64_t)VSID << 32), 0, &done) == 0 &&
	    done == 1, "CFGI_CD_ALL of the vSID");
	CHECK(cmd(viommu, 0x05 | ((uint64_t)VSID << 32), 1, &done) == 0 &&
	    done == 1, "CFGI_CD, leaf");
	CHECK(cmd(viommu, 0x11 | (7ULL << 48), 0, &done) == 0 && done == 1,
	    "TLBI_NH_ASID");
	CHECK(cmd(viommu, 0x12 | (7ULL << 48), 0x40001000, &done) == 0 &&
	    done == 1, "TLBI_NH_VA");
	CHECK(cmd(viommu, 0x30, 0, &done) == 0 && done == 1,
	    "TLBI_NSNH_ALL");
	CHECK(cmd(viommu, 0x40 | ((uint64_t)VSID << 32), 52, &done) == 0 &&
	    done == 1, "ATC_INV, all");
	CHECK(cmd(viommu, 0x03 | ((uint64_t)VSID << 32), 0, &done) == EIO &&
	    done == 0, "CFGI_STE is the host's");
	CHECK(cmd(viommu, 0x06 | ((uint64_t)(VSID + 1) << 32), 0,
	    &done) == EIO && done == 0, "a vSID without a vDEVICE");
	CHECK(cmd(viommu, 0x10 | (1ULL << 8), 0, &done) == EIO && done == 0,
	    "a RES0 bit");

	/* Tear down as QEMU does: device to abort, then objects. */
	at.pt_id = abort_id;
	CHECK(ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at) == 0,
	    "attach to abort");
	CHECK(edu_dma(mem) == 1, "DMA behind the abort vSTE: aborted");
	close(qa.out_veventq_fd);
	CHECK(ioas_destroy(fd, qa.out_veventq_id) == 0, "destroy vEVENTQ");
	CHECK(ioas_destroy(fd, vd.out_vdevice_id) == 0, "destroy vDEVICE");
	CHECK(ioas_destroy(fd, bypass) == 0, "destroy bypass");
	CHECK(ioas_destroy(fd, s1) == 0, "destroy translate");
	CHECK(ioas_destroy(fd, viommu) == EBUSY, "vIOMMU busy");
	/* Closing the node unbinds the device, as the daemon sees the close. */
	close(dfd);
	for (i = 0; i < 200 && ioas_destroy(fd, abort_id) == EBUSY; i++)
		usleep(10000);
	CHECK(i < 200, "destroy abort once the device is closed");
	CHECK(ioas_destroy(fd, viommu) == 0, "destroy vIOMMU");
	CHECK(ioas_destroy(fd, s2) == 0, "destroy S2");
	close(fd);
	return (check_report());
}
