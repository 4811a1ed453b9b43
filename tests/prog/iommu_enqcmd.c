/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A VMM with one VM and global-policy devices, as the ENQCMD table
 * meets it: opens the device nodes, adds each to its VM's kvm-vfio
 * device (an eventfd stands in for it through $IOASIDD_KVM_VFIO_FD,
 * unless "novm"), binds them to one /dev/iommu, attaches vPASID 5 on
 * every device and vPASID 6 on the first, and reads its VM's table
 * with IOASIDD_ENQCMD: the VM is this process, every device counts,
 * vPASID 5 has one pPASID held twice (with two devices), vPASID 6 its
 * own; it prints "ppasid VPASID PPASID" for each row. At pause 1 it
 * holds them; then it detaches vPASID 6 and checks that row went; at
 * pause 2 it holds the rest; then the VM lets go of the devices and the
 * table is that of the context alone (no VM). At each pause it creates
 * PREFIX.N and waits (up to 30 s) for GO.N.
 *
 * usage: iommu_enqcmd PREFIX GO vm|novm DEV...
 */
#include <sys/eventfd.h>

#include <fcntl.h>
#include <stdlib.h>
#include <time.h>

#include <linux/kvm.h>
#include <linux/vfio.h>

#include "check.h"
#include "ioasidd_enqcmd.h"

#ifndef KVM_DEV_VFIO_FILE
#define KVM_DEV_VFIO_FILE	1
#define KVM_DEV_VFIO_FILE_ADD	1
#define KVM_DEV_VFIO_FILE_DEL	2
#endif

#define NDEV_MAX	4

static const char	*prefix, *go;

/* KVM_DEV_VFIO_FILE op of device descriptor dfd on kfd: 0 or errno. */
static int
kvm_file(int kfd, uint64_t op, int dfd)
{
	struct kvm_device_attr	a;
	int32_t			fd = dfd;

	memset(&a, 0, sizeof(a));
	a.group = KVM_DEV_VFIO_FILE;
	a.attr = op;
	a.addr = (uintptr_t)&fd;
	return (ioctl(kfd, KVM_SET_DEVICE_ATTR, &a) == 0 ? 0 : errno);
}

/* The table of dev_id's VM into c and e (room for max): 0 or errno. */
static int
table(int fd, uint32_t dev_id, struct ioasidd_enqcmd *c,
    struct ioasidd_enqcmd_entry *e, uint32_t max)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->dev_id = dev_id;
	c->num_entries = max;
	c->entries = (uintptr_t)e;
	return (ioctl(fd, IOASIDD_ENQCMD, c) == 0 ? 0 : errno);
}

/* Attach (pt != 0) or detach vPASID pasid of the device dfd. */
static int
pasid_op(int dfd, uint32_t pasid, uint32_t pt)
{
	struct vfio_device_attach_iommufd_pt	a;
	struct vfio_device_detach_iommufd_pt	d;

	if (pt != 0) {
		memset(&a, 0, sizeof(a));
		a.argsz = sizeof(a);
		a.flags = VFIO_DEVICE_ATTACH_PASID;
		a.pasid = pasid;
		a.pt_id = pt;
		return (ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
	}
	memset(&d, 0, sizeof(d));
	d.argsz = sizeof(d);
	d.flags = VFIO_DEVICE_DETACH_PASID;
	d.pasid = pasid;
	return (ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d));
}

int
main(int argc, char **argv)
{
	struct vfio_device_bind_iommufd	 b;
	struct iommu_hwpt_alloc		 h;
	struct ioasidd_enqcmd		 c;
	struct ioasidd_enqcmd_entry	 e[8];
	uint32_t			 devid[NDEV_MAX], ioas;
	int				 fd, kfd, dfd[NDEV_MAX], ndev, vm, i;
	int				 n5 = 0, n6 = 0;
	char				 env[32];

	if (argc < 5 || argc - 4 > NDEV_MAX) {
		fprintf(stderr, "usage: iommu_enqcmd PREFIX GO vm|novm "
		    "DEV...\n");
		return (2);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	prefix = argv[1];
	go = argv[2];
	vm = strcmp(argv[3], "vm") == 0;
	ndev = argc - 4;
	kfd = eventfd(0, 0);
	CHECK(kfd >= 0, "eventfd");
	snprintf(env, sizeof(env), "%d", kfd);
	setenv("IOASIDD_KVM_VFIO_FD", env, 1);
	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0, "open /dev/iommu");
	if (fd < 0)
		return (check_report());
	for (i = 0; i < ndev; i++) {
		dfd[i] = open(argv[4 + i], O_RDWR);
		CHECK(dfd[i] >= 0, "open %s", argv[4 + i]);
		if (dfd[i] < 0)
			return (check_report());
		/* QEMU adds the device to KVM before binding it. */
		if (vm)
			CHECK(kvm_file(kfd, KVM_DEV_VFIO_FILE_ADD,
			    dfd[i]) == 0, "the VM adds %s", argv[4 + i]);
		memset(&b, 0, sizeof(b));
		b.argsz = sizeof(b);
		b.iommufd = fd;
		CHECK(ioctl(dfd[i], VFIO_DEVICE_BIND_IOMMUFD, &b) == 0,
		    "bind %s", argv[4 + i]);
		devid[i] = b.out_devid;
	}
	ioas = ioas_alloc(fd);
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_ALLOC_PASID;
	h.dev_id = devid[0];
	h.pt_id = ioas;
	CHECK(ioctl(fd, IOMMU_HWPT_ALLOC, &h) == 0, "a PASID-capable HWPT");
	CHECK(table(fd, devid[0], &c, e, 8) == 0 && c.num_entries == 0 &&
	    c.out_devices == (uint32_t)ndev, "nothing attached: no rows, "
	    "%d devices", ndev);
	CHECK(c.out_pid == (vm ? getpid() : 0), "the VM is %s",
	    vm ? "this process" : "none");

	for (i = 0; i < ndev; i++)
		CHECK(pasid_op(dfd[i], 5, h.out_hwpt_id) == 0,
		    "device %d attaches vPASID 5", i);
	CHECK(pasid_op(dfd[0], 6, h.out_hwpt_id) == 0,
	    "device 0 attaches vPASID 6");
	CHECK(table(fd, devid[ndev - 1], &c, e, 8) == 0 &&
	    c.num_entries == 2, "two rows, asked through the last device");
	for (i = 0; i < (int)c.num_entries && i < 8; i++) {
		printf("ppasid %u %u\n", e[i].vpasid, e[i].ppasid);
		CHECK(e[i].ppasid != 0 && e[i].flags == 0,
		    "row %d: a pPASID, no conflict", i);
		if (e[i].vpasid == 5)
			n5 = (int)e[i].users;
		if (e[i].vpasid == 6)
			n6 = (int)e[i].users;
	}
	CHECK(n5 == ndev && n6 == 1, "vPASID 5 held %d times, 6 once", ndev);
	CHECK(table(fd, devid[0], &c, e, 1) == EMSGSIZE && c.num_entries == 2,
	    "room for one of two rows: EMSGSIZE and the count");
	check_pause(prefix, go, 1);

	CHECK(pasid_op(dfd[0], 6, 0) == 0, "device 0 detaches vPASID 6");
	CHECK(table(fd, devid[0], &c, e, 8) == 0 && c.num_entries == 1 &&
	    e[0].vpasid == 5, "vPASID 6's row went");
	check_pause(prefix, go, 2);

	if (vm) {
		for (i = 0; i < ndev; i++)
			CHECK(kvm_file(kfd, KVM_DEV_VFIO_FILE_DEL, dfd[i]) == 0,
			    "the VM lets go of device %d", i);
		CHECK(table(fd, devid[0], &c, e, 8) == 0 && c.out_pid == 0 &&
		    c.out_vm_id == 0 && c.num_entries == 1 &&
		    c.out_devices == (uint32_t)ndev,
		    "out of the VM: the context's group, the same row");
	}
	for (i = 0; i < ndev; i++)
		close(dfd[i]);
	close(fd);
	return (check_report());
}
