/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * An emulated VFIO device node next to /dev/iommu, as a VMM uses them:
 * open /dev/vfio/devices/vfio0 and /dev/iommu, bind the device to the
 * iommufd (named by descriptor number), look at it, attach it to an
 * IOAS, map, detach, close. The daemon must have one [device] whose PASID
 * width is 0 (vfio0) and no vfio7. Every errno below is the one Linux 7.3 gives for a
 * vfio-pci device opened through its cdev (drivers/vfio/device_cdev.c,
 * vfio_main.c, pci/vfio_pci_core.c).
 *
 * Binding names the iommufd by descriptor: with two /dev/iommu open, the
 * DEVICE must appear in the one named (its id follows that context's
 * objects, and DESTROY finds it there and only there), also when the
 * descriptors were inherited across fork(). A bound device keeps its
 * context after the /dev/iommu descriptor is closed; closing the device,
 * or killing the process that holds it, unbinds it.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include <linux/vfio.h>

#include "check.h"

#define DEV0	"/dev/vfio/devices/vfio0"

static int
bind_dev(int dfd, int iommufd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd	b;

	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = iommufd;
	if (ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) != 0)
		return (errno);
	if (devid != NULL)
		*devid = b.out_devid;
	return (0);
}

/* Attach (PASID 1 with the PASID flag): 0 and *pt_id, or the errno. */
static int
attach_pt(int dfd, uint32_t flags, uint32_t *pt_id, uint32_t argsz)
{
	struct vfio_device_attach_iommufd_pt	a;

	memset(&a, 0, sizeof(a));
	a.argsz = argsz;
	a.flags = flags;
	a.pt_id = *pt_id;
	a.pasid = flags & VFIO_DEVICE_ATTACH_PASID ? 1 : 0;
	if (ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a) != 0)
		return (errno);
	*pt_id = a.pt_id;
	return (0);
}

static int
detach_pt(int dfd, uint32_t flags, uint32_t argsz)
{
	struct vfio_device_detach_iommufd_pt	d;

	memset(&d, 0, sizeof(d));
	d.argsz = argsz;
	d.flags = flags;
	d.pasid = flags & VFIO_DEVICE_DETACH_PASID ? 1 : 0;
	return (ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d) == 0 ? 0 :
	    errno);
}

static int
get_info(int dfd, uint32_t argsz, struct vfio_device_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	info->argsz = argsz;
	return (ioctl(dfd, VFIO_DEVICE_GET_INFO, info) == 0 ? 0 : errno);
}

/* Bind errors in the kernel's order, on an open not yet bound. */
static void
test_bind_errors(int dfd, int iommufd)
{
	struct {
		struct vfio_device_bind_iommufd	b;
		uint64_t			tail;
	} big;
	struct vfio_device_bind_iommufd	b;
	int				nullfd;

	memset(&b, 0, sizeof(b));
	b.argsz = 15;
	b.iommufd = iommufd;
	CHECK(ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) == -1 &&
	    errno == EINVAL, "argsz 15: EINVAL");
	b.argsz = sizeof(b);
	b.iommufd = -1;
	CHECK(ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) == -1 &&
	    errno == EINVAL, "negative iommufd (no-iommu): EINVAL");
	b.iommufd = iommufd;
	b.flags = 2;
	CHECK(ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) == -1 &&
	    errno == EINVAL, "unknown flag: EINVAL");
	memset(&big, 0, sizeof(big));
	big.b.argsz = sizeof(big);
	big.b.iommufd = iommufd;
	big.tail = 1;
	CHECK(ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &big) == -1 &&
	    errno == E2BIG, "non-zero bytes past the struct: E2BIG");
	b.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	b.token_uuid_ptr = 8;
	CHECK(ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) == -1 &&
	    errno == EFAULT, "token at a bad address: EFAULT");
	b.token_uuid_ptr = (uintptr_t)&big;
	CHECK(ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b) == -1 &&
	    errno == EINVAL, "a token for a device that is no VF: EINVAL");
	CHECK(bind_dev(dfd, 999, NULL) == EBADF, "no such descriptor: EBADF");
	nullfd = open("/dev/null", O_RDWR);
	CHECK(bind_dev(dfd, nullfd, NULL) == EBADFD,
	    "a descriptor that is no iommufd: EBADFD");
	close(nullfd);
	CHECK(bind_dev(dfd, dfd, NULL) == EBADFD,
	    "the device node itself: EBADFD");
}

static void
test_unbound(int dfd)
{
	struct vfio_device_info	info;
	uint32_t		pt = 1;

	CHECK(get_info(dfd, sizeof(info), &info) == EINVAL,
	    "GET_INFO before bind: EINVAL");
	CHECK(attach_pt(dfd, 0, &pt, 16) == EINVAL,
	    "ATTACH before bind: EINVAL");
	CHECK(detach_pt(dfd, 0, 12) == EINVAL, "DETACH before bind: EINVAL");
}

static void
test_bound(int dfd, int iommufd, uint32_t devid, uint32_t ioas)
{
	struct vfio_device_info	info;
	uint64_t		len = 1 << 20;
	uint32_t		pt, hwpt;
	void			*buf;

	CHECK(get_info(dfd, 8, &info) == EINVAL, "GET_INFO argsz 8: EINVAL");
	CHECK(get_info(dfd, 16, &info) == 0, "GET_INFO argsz 16");
	CHECK(info.argsz == 16 && info.flags == (VFIO_DEVICE_FLAGS_PCI |
	    VFIO_DEVICE_FLAGS_RESET) && info.num_regions ==
	    VFIO_PCI_NUM_REGIONS && info.num_irqs == VFIO_PCI_NUM_IRQS,
	    "GET_INFO: a resettable PCI device with 9 regions, 5 irqs");
	CHECK(info.cap_offset == 0xa5a5a5a5,
	    "GET_INFO argsz 16 writes 16 bytes");
	CHECK(get_info(dfd, sizeof(info), &info) == 0 &&
	    info.cap_offset == 0, "GET_INFO: no capability chain");

	pt = ioas;
	CHECK(attach_pt(dfd, 0, &pt, 11) == EINVAL, "ATTACH argsz 11: EINVAL");
	CHECK(attach_pt(dfd, 2, &pt, 16) == EINVAL,
	    "ATTACH unknown flag: EINVAL");
	CHECK(attach_pt(dfd, VFIO_DEVICE_ATTACH_PASID, &pt, 12) == EINVAL,
	    "ATTACH a PASID with argsz 12: EINVAL");
	CHECK(attach_pt(dfd, VFIO_DEVICE_ATTACH_PASID, &pt, 16) == EINVAL,
	    "ATTACH a PASID of a device without: EINVAL");
	pt = 999;
	CHECK(attach_pt(dfd, 0, &pt, 16) == ENOENT, "ATTACH no such id: ENOENT");
	pt = devid;
	CHECK(attach_pt(dfd, 0, &pt, 16) == EINVAL,
	    "ATTACH to a DEVICE: EINVAL");
	CHECK(detach_pt(dfd, 0, 7) == EINVAL, "DETACH argsz 7: EINVAL");
	CHECK(detach_pt(dfd, 2, 12) == EINVAL, "DETACH unknown flag: EINVAL");
	CHECK(detach_pt(dfd, VFIO_DEVICE_DETACH_PASID, 12) == 0,
	    "DETACH a PASID not attached: 0");
	CHECK(ioctl(dfd, VFIO_DEVICE_RESET) == -1 && errno == ENOTTY,
	    "a command the node does not serve: ENOTTY");

	/* Attach to the IOAS: an auto domain, then map through it. */
	pt = ioas;
	CHECK(attach_pt(dfd, 0, &pt, 16) == 0 && pt != ioas && pt != 0,
	    "ATTACH to the IOAS gives its auto domain (%u)", pt);
	hwpt = pt;
	CHECK(attach_pt(dfd, 0, &pt, 12) == 0 && pt == hwpt,
	    "ATTACH again replaces, here by the same domain");
	CHECK(ioas_destroy(iommufd, ioas) == EBUSY,
	    "the IOAS is held by the attachment");
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	if (buf != MAP_FAILED) {
		/* Inside the mock domain's aperture, which starts at 16M. */
		CHECK(ioas_map_unmap(iommufd, ioas, buf, len, 1ull << 24,
		    IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE, 0) == 0,
		    "map and unmap with the device attached");
		CHECK(ioas_map_unmap(iommufd, ioas, buf, len, 1ull << 32,
		    IOMMU_IOAS_MAP_READABLE, 0) == 2,
		    "outside the aperture: reserved while attached");
		munmap(buf, len);
	}
	CHECK(detach_pt(dfd, 0, 8) == 0, "DETACH");
	CHECK(ioas_destroy(iommufd, hwpt) == ENOENT,
	    "the auto domain went with its last device");
	CHECK(detach_pt(dfd, 0, 8) == 0, "DETACH again: 0");
	/* Attached when it closes: the close detaches. */
	pt = ioas;
	CHECK(attach_pt(dfd, 0, &pt, 16) == 0, "ATTACH before the close");
	CHECK(bind_dev(dfd, iommufd, NULL) == EINVAL, "bind again: EINVAL");
}

/* Bind until it works: the daemon sees a killed process's close soon. */
static int
bind_retry(int dfd, int iommufd, uint32_t *devid)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };
	int		i, rc = EINVAL;

	for (i = 0; i < 300 && rc == EINVAL; i++) {
		if ((rc = bind_dev(dfd, iommufd, devid)) == EINVAL)
			nanosleep(&ts, NULL);
	}
	return (rc);
}

/* DESTROY id in fd until ENOENT: the daemon sees a close soon. */
static int
wait_gone(int fd, uint32_t id)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };
	int		i, rc = EBUSY;

	for (i = 0; i < 300 && rc == EBUSY; i++) {
		if ((rc = ioas_destroy(fd, id)) == EBUSY)
			nanosleep(&ts, NULL);
	}
	return (rc);
}

int
main(void)
{
	uint32_t	devid = 0, devid2 = 0, ioas = 0, id;
	int		a, b, dfd, dfd2, p[2], st;
	pid_t		pid;
	char		c;

	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK(open("/dev/vfio/devices/vfio7", O_RDWR) == -1 &&
	    errno == ENOENT, "a device the daemon does not have: ENOENT");
	CHECK(open("/dev/vfio/devices/vfio00", O_RDWR) == -1,
	    "vfio00 is not vfio0");

	a = open("/dev/iommu", O_RDWR);
	b = open("/dev/iommu", O_RDWR);
	dfd = open(DEV0, O_RDWR);
	dfd2 = open("/dev/vfio/devices/../devices/./vfio0", O_RDWR);
	CHECK(a >= 0 && b >= 0 && dfd >= 0 && dfd2 >= 0, "open the nodes");
	if (a < 0 || b < 0 || dfd < 0 || dfd2 < 0)
		return (check_report());

	test_unbound(dfd);
	test_bind_errors(dfd, b);

	/* Two IOAS in b: b's next id is 3, a's is 1. */
	CHECK(ioas_alloc(b) == 1 && (ioas = ioas_alloc(b)) == 2, "IOAS in b");
	CHECK(bind_dev(dfd, b, &devid) == 0, "bind to the second iommufd");
	CHECK(devid == 3, "the DEVICE is b's next id (%u)", devid);
	CHECK(ioas_destroy(b, devid) == EBUSY, "DESTROY of it in b: EBUSY");
	CHECK(ioas_destroy(a, devid) == ENOENT, "DESTROY of it in a: ENOENT");
	CHECK(bind_dev(dfd2, a, NULL) == EINVAL,
	    "another open binding the bound device: EINVAL");
	test_bound(dfd, b, devid, ioas);

	/* Closing the device unbinds it; then the other open may bind. */
	close(dfd);
	CHECK(wait_gone(b, devid) == ENOENT, "closed: the DEVICE is gone");
	CHECK(ioas_destroy(b, devid + 1) == ENOENT,
	    "and the auto domain it was attached to");
	CHECK(bind_retry(dfd2, a, &devid2) == 0 && devid2 == 1,
	    "the other open binds to a (%u)", devid2);
	/* A bound device keeps its context: a's descriptor goes. */
	close(a);
	CHECK(ioctl(dfd2, VFIO_DEVICE_DETACH_IOMMUFD_PT,
	    &(struct vfio_device_detach_iommufd_pt){ .argsz = 8 }) == 0,
	    "bound after its iommufd is closed");
	close(dfd2);

	/* Descriptors inherited over fork name the same contexts. */
	dfd = open(DEV0, O_RDWR);
	pid = fork();
	if (pid == 0) {
		id = 0;
		_exit(bind_dev(dfd, b, &id) != 0 || id != 3);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "a child binds with inherited descriptors");
	CHECK(ioas_destroy(b, 3) == EBUSY, "the child's bind is in b");
	close(dfd);
	CHECK(wait_gone(b, 3) == ENOENT, "closed by both: unbound");

	/* A killed process leaves the device unbound. */
	CHECK(pipe(p) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		int	mine = open("/dev/iommu", O_RDWR);
		int	dev = open(DEV0, O_RDWR);

		c = bind_retry(dev, mine, NULL) == 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	c = 0;
	CHECK(read(p[0], &c, 1) == 1 && c == 'y', "the child bound vfio0");
	dfd = open(DEV0, O_RDWR);
	CHECK(bind_dev(dfd, b, NULL) == EINVAL, "bound by the child: EINVAL");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	CHECK(bind_retry(dfd, b, &devid) == 0, "killed: bound again here");
	close(dfd);
	close(b);
	return (check_report());
}
