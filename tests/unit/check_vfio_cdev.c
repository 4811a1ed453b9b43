/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The VFIO cdev node kind (dev/vfio_cdev.c): its table and every errno
 * rule, in the kernel's order (Linux 7.3 drivers/vfio/device_cdev.c,
 * vfio_main.c and pci/vfio_pci_core.c), binding by descriptor through
 * ucmd_getctx(), one bound open per device, and unbinding at close,
 * also after the context's own file has closed.
 *
 * The context's "file" is a pipe end of the test: its inode is what
 * ctx_set_file() records, as the socket transport records the client's
 * end of the connection, and the self uaccess duplicates it for BIND.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "conf.h"
#include "core/ctx.h"
#include "core/ucmd.h"
#include "dev/vfio_cdev.h"
#include "helpers.h"
#include "ioasidd_kvm.h"
#include "suites.h"

static int	vpipe[2] = { -1, -1 };

static void
vfio_setup(void)
{
	struct conf_device	devs[2];
	struct stat		st;

	test_setup();
	memset(devs, 0, sizeof(devs));
	devs[0].name = (char *)"nic0";
	devs[0].iommu = devs[1].iommu = (char *)"iommu0";
	devs[0].model = devs[1].model = (char *)"mock";
	devs[0].caps = CONF_DEVCAP_DIRTY;
	devs[0].rid = 0x0008;
	devs[1].name = (char *)"acc0";
	devs[1].rid = 0x0010;
	devs[1].pasid_width = 20;
	ck_assert_int_eq(vfio_cdev_configure(devs, 2), 0);
	ck_assert_int_eq(pipe(vpipe), 0);
	ck_assert_int_eq(fstat(vpipe[0], &st), 0);
	ck_assert_int_eq(ctx_set_file(tctx, st.st_dev, st.st_ino), 0);
}

static void
vfio_teardown(void)
{
	vfio_cdev_unconfigure();
	close(vpipe[0]);
	close(vpipe[1]);
	test_teardown();
}

/* The end of a readable page followed by an unmapped one (leaked). */
static uint8_t *
guard_page(long pg)
{
	uint8_t	*p;

	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(munmap(p + pg, pg), 0);
	return (p + pg);
}

static long
vio(struct vfio_cdev_file *f, unsigned int cmd, void *arg)
{
	struct ucmd	ucmd = {
		.cmd = cmd,
		.arg = (uint64_t)(uintptr_t)arg,
		.caller = &tcaller,
		.uops = &uself_ops,
	};

	return (vfio_cdev_dispatch(f, &ucmd));
}

static long
vbind(struct vfio_cdev_file *f, int fd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd	b = {
		.argsz = sizeof(b),
		.iommufd = fd,
	};
	long				rc;

	rc = vio(f, VFIO_DEVICE_BIND_IOMMUFD, &b);
	if (rc == 0 && devid != NULL)
		*devid = b.out_devid;
	return (rc);
}

START_TEST(vfio_test_open)
{
	struct vfio_cdev_file	*f;

	ck_assert_uint_eq(vfio_cdev_count(), 2);
	ck_assert_str_eq(vfio_cdev_name(1), "acc0");
	ck_assert_ptr_null(vfio_cdev_name(2));
	ck_assert_int_eq(vfio_cdev_open(2, &f), -ENODEV);
	ck_assert_int_eq(vfio_cdev_open(0, &f), 0);
	ck_assert_uint_eq(vfio_cdev_devid(f), 0);
	vfio_cdev_close(f);
}
END_TEST

/* vfio_cdev_vm_foreach() callback: count the VMs and keep the last. */
struct vm_seen {
	unsigned int		n;
	unsigned int		dev;
	struct vfio_cdev_vm	last;
};

static int
vm_count(unsigned int dev, const struct vfio_cdev_vm *vm, void *arg)
{
	struct vm_seen	*s = arg;

	s->n++;
	s->dev = dev;
	s->last = *vm;
	return (0);
}

static long
vkvm(struct vfio_cdev_file *f, uint32_t op, uint64_t vm_id)
{
	struct ioasidd_kvm_file	k = {
		.argsz = sizeof(k),
		.op = op,
		.pid = 4242,
		.kvm_fd = 7,
		.vm_id = vm_id,
	};

	return (vio(f, IOASIDD_KVM_FILE, &k));
}

/*
 * IOASIDD_KVM_FILE: allowed unbound, EEXIST, ENOENT, ENOMEM past the
 * bound, EINVAL for bad fields; the VMs are seen through the iterator
 * and go with the open.
 */
START_TEST(vfio_test_kvm)
{
	struct vfio_cdev_file	*f, *g;
	struct ioasidd_kvm_file	 k;
	struct vm_seen		 s;
	uint8_t			 big[48];
	pid_t			 pid;
	uint64_t		 i;

	pid = tcaller.pid != 0 ? tcaller.pid : 4242;
	ck_assert_int_eq(vfio_cdev_open(1, &f), 0);
	ck_assert_int_eq(vfio_cdev_open(1, &g), 0);
	ck_assert_int_eq(vkvm(f, IOASIDD_KVM_FILE_ADD, 1), 0);
	ck_assert_int_eq(vkvm(f, IOASIDD_KVM_FILE_ADD, 1), -EEXIST);
	ck_assert_int_eq(vkvm(g, IOASIDD_KVM_FILE_ADD, 1), 0);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(vfio_cdev_vm_foreach(vm_count, &s), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_uint_eq(s.dev, 1);
	ck_assert_int_eq(s.last.pid, pid);
	ck_assert_int_eq(s.last.kvm_fd, 7);
	ck_assert_uint_eq(s.last.vm_id, 1);
	ck_assert_int_eq(vkvm(f, IOASIDD_KVM_FILE_DEL, 2), -ENOENT);
	ck_assert_int_eq(vkvm(f, IOASIDD_KVM_FILE_DEL, 1), 0);
	ck_assert_int_eq(vkvm(f, IOASIDD_KVM_FILE_DEL, 1), -ENOENT);
	for (i = 1; i <= IOASIDD_KVM_VMS_MAX; i++)
		ck_assert_int_eq(vkvm(f, IOASIDD_KVM_FILE_ADD, i), 0);
	ck_assert_int_eq(vkvm(f, IOASIDD_KVM_FILE_ADD, i), -ENOMEM);
	/* Bad fields: EINVAL or E2BIG, nothing changed. */
	ck_assert_int_eq(vkvm(f, 0, 9), -EINVAL);
	ck_assert_int_eq(vkvm(f, 3, 9), -EINVAL);
	memset(&k, 0, sizeof(k));
	k.argsz = sizeof(k) - 1;
	k.op = IOASIDD_KVM_FILE_DEL;
	k.vm_id = 1;
	ck_assert_int_eq(vio(f, IOASIDD_KVM_FILE, &k), -EINVAL);
	k.argsz = sizeof(k);
	k.flags = 1;
	ck_assert_int_eq(vio(f, IOASIDD_KVM_FILE, &k), -EINVAL);
	k.flags = 0;
	k.__reserved = 1;
	ck_assert_int_eq(vio(f, IOASIDD_KVM_FILE, &k), -EINVAL);
	memset(big, 0, sizeof(big));
	k.__reserved = 0;
	k.argsz = sizeof(big);
	memcpy(big, &k, sizeof(k));
	big[40] = 1;
	ck_assert_int_eq(vio(f, IOASIDD_KVM_FILE, big), -E2BIG);
	ck_assert_int_eq(vio(f, IOASIDD_KVM_FILE, NULL), -EFAULT);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(vfio_cdev_vm_foreach(vm_count, &s), 0);
	ck_assert_uint_eq(s.n, IOASIDD_KVM_VMS_MAX + 1);
	/* The last close forgets them. */
	vfio_cdev_close(f);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(vfio_cdev_vm_foreach(vm_count, &s), 0);
	ck_assert_uint_eq(s.n, 1);
	vfio_cdev_close(g);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(vfio_cdev_vm_foreach(vm_count, &s), 0);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

/* Before BIND, every other command is EINVAL, known or not. */
START_TEST(vfio_test_unbound)
{
	struct vfio_cdev_file			*f;
	struct vfio_device_info			 info = { .argsz = 16 };
	struct vfio_device_attach_iommufd_pt	 at = { .argsz = 16 };

	ck_assert_int_eq(vfio_cdev_open(0, &f), 0);
	ck_assert_int_eq(vio(f, VFIO_DEVICE_GET_INFO, &info), -EINVAL);
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
	ck_assert_int_eq(vio(f, VFIO_DEVICE_RESET, NULL), -EINVAL);
	vfio_cdev_close(f);
}
END_TEST

START_TEST(vfio_test_bind_errors)
{
	struct vfio_cdev_file		*f;
	struct {
		struct vfio_device_bind_iommufd	b;
		uint32_t			tail;
	} big;
	struct vfio_device_bind_iommufd	 b;
	uint8_t				 token[16] = { 0 };
	int				 nullfd;

	ck_assert_int_eq(vfio_cdev_open(0, &f), 0);
	memset(&b, 0, sizeof(b));
	b.iommufd = vpipe[0];
	ck_assert_int_eq(vio(f, VFIO_DEVICE_BIND_IOMMUFD, NULL), -EFAULT);
	b.argsz = 15;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.argsz = 16;
	b.iommufd = -1;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.iommufd = vpipe[0];
	b.flags = 0x2;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	memset(&big, 0, sizeof(big));
	big.b.argsz = sizeof(big);
	big.b.iommufd = vpipe[0];
	big.tail = 1;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_BIND_IOMMUFD, &big), -E2BIG);
	/* The token is read, then refused: no VF, no SR-IOV PF. */
	b.argsz = sizeof(b);
	b.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	b.token_uuid_ptr = 16;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_BIND_IOMMUFD, &b), -EFAULT);
	b.token_uuid_ptr = (uintptr_t)token;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	/* iommufd_ctx_from_fd(): no descriptor, or not an iommufd. */
	ck_assert_int_eq(vbind(f, 4095, NULL), -EBADF);
	nullfd = open("/dev/null", O_RDONLY);
	ck_assert_int_eq(vbind(f, nullfd, NULL), -EBADFD);
	close(nullfd);
	/* Nothing was made on the way. */
	ck_assert_uint_eq(tctx->nobjs, 0);
	ck_assert_uint_eq(tctx->refs, 1);
	vfio_cdev_close(f);
}
END_TEST

START_TEST(vfio_test_bind)
{
	struct vfio_cdev_file	*f, *g;
	struct obj		*dev;
	uint32_t		 devid = 0;

	(void)test_obj_new(OBJ_IOAS);
	ck_assert_int_eq(vfio_cdev_open(0, &f), 0);
	ck_assert_int_eq(vfio_cdev_open(0, &g), 0);
	ck_assert_int_eq(vbind(f, vpipe[0], &devid), 0);
	ck_assert_uint_eq(devid, 2);
	ck_assert_uint_eq(vfio_cdev_devid(f), 2);
	ck_assert_int_eq(obj_get(tctx, devid, OBJ_DEVICE, &dev), 0);
	ck_assert_uint_eq(tctx->refs, 2);
	/* Held by its binding: DESTROY is EBUSY. */
	ck_assert_int_eq(obj_destroy_id(tctx, devid), -EBUSY);
	/* Bound twice, or by a second open: EINVAL, nothing changes. */
	ck_assert_int_eq(vbind(f, vpipe[0], NULL), -EINVAL);
	ck_assert_int_eq(vbind(g, vpipe[0], NULL), -EINVAL);
	ck_assert_uint_eq(tctx->refs, 2);
	/* The other device binds on its own. */
	vfio_cdev_close(g);
	ck_assert_int_eq(vfio_cdev_open(1, &g), 0);
	ck_assert_int_eq(vbind(g, vpipe[0], &devid), 0);
	ck_assert_uint_eq(devid, 3);
	vfio_cdev_close(g);
	ck_assert_ptr_null(obj_find(tctx, 3, OBJ_ANY));
	/* Close unbinds: the DEVICE goes, and the reference. */
	vfio_cdev_close(f);
	ck_assert_ptr_null(obj_find(tctx, 2, OBJ_ANY));
	ck_assert_uint_eq(tctx->refs, 1);
	/* And then another open may bind it. */
	ck_assert_int_eq(vfio_cdev_open(0, &f), 0);
	ck_assert_int_eq(vbind(f, vpipe[0], &devid), 0);
	ck_assert_uint_eq(devid, 2);
	vfio_cdev_close(f);
}
END_TEST

/* A closed context cannot be named, and a bound one outlives its file. */
START_TEST(vfio_test_lifetime)
{
	struct vfio_cdev_file	*f;
	struct ctx		*c;
	struct stat		 st;
	int			 p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fstat(p[0], &st), 0);
	c = test_ctx_new();
	ck_assert_int_eq(ctx_set_file(c, st.st_dev, st.st_ino), 0);
	/* The inode is one context's only. */
	ck_assert_int_eq(ctx_set_file(tctx, st.st_dev, st.st_ino), -EEXIST);
	ck_assert_int_eq(vfio_cdev_open(0, &f), 0);
	ck_assert_int_eq(vbind(f, p[0], NULL), 0);
	ctx_close(c);
	/* Still there, with its DEVICE, until the device closes. */
	ck_assert_ptr_eq(TAILQ_LAST(&ctx_list, ctx_list), c);
	ck_assert_uint_eq(c->nobjs, 1);
	ck_assert_ptr_null(ctx_find_file(st.st_dev, st.st_ino));
	vfio_cdev_close(f);
	ck_assert_ptr_ne(TAILQ_LAST(&ctx_list, ctx_list), c);
	/* Closed: its descriptor names nothing. */
	ck_assert_int_eq(vfio_cdev_open(0, &f), 0);
	ck_assert_int_eq(vbind(f, p[0], NULL), -EBADFD);
	vfio_cdev_close(f);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(vfio_test_bound)
{
	struct vfio_cdev_file			*f;
	struct vfio_device_info			 info;
	struct vfio_device_attach_iommufd_pt	 at;
	struct vfio_device_detach_iommufd_pt	 dt;
	struct iommu_ioas_alloc			 ia = { .size = sizeof(ia) };
	uint32_t				 devid = 0, ioas, hwpt;

	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOC, &ia), 0);
	ioas = ia.out_ioas_id;
	ck_assert_int_eq(vfio_cdev_open(0, &f), 0);
	ck_assert_int_eq(vbind(f, vpipe[0], &devid), 0);

	/* GET_INFO: 16 bytes read, min(argsz, struct) written. */
	ck_assert_int_eq(vio(f, VFIO_DEVICE_GET_INFO, NULL), -EFAULT);
	memset(&info, 0xa5, sizeof(info));
	info.argsz = 15;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_GET_INFO, &info), -EINVAL);
	info.argsz = 16;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_GET_INFO, &info), 0);
	ck_assert_uint_eq(info.flags, VFIO_DEVICE_FLAGS_PCI |
	    VFIO_DEVICE_FLAGS_RESET);
	ck_assert_uint_eq(info.num_regions, VFIO_PCI_NUM_REGIONS);
	ck_assert_uint_eq(info.num_irqs, VFIO_PCI_NUM_IRQS);
	ck_assert_uint_eq(info.cap_offset, 0xa5a5a5a5);
	info.argsz = 4096;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_GET_INFO, &info), 0);
	ck_assert_uint_eq(info.argsz, 4096);
	ck_assert_uint_eq(info.cap_offset, 0);

	/* ATTACH: 12 bytes read first, then argsz, flags, PASID. */
	memset(&at, 0, sizeof(at));
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, NULL), -EFAULT);
	at.argsz = 11;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
	at.argsz = 12;
	at.flags = 2;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
	at.flags = VFIO_DEVICE_ATTACH_PASID;
	at.pt_id = ioas;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
	/* A PASID of a device without: the device layer's EINVAL. */
	at.argsz = 16;
	at.pasid = 1;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
	at.flags = 0;
	at.pt_id = 99;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -ENOENT);
	at.pt_id = devid;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
	/* The IOAS: an auto domain, whose id comes back. */
	at.pt_id = ioas;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
	hwpt = at.pt_id;
	ck_assert_uint_ne(hwpt, ioas);
	ck_assert_ptr_nonnull(obj_find(tctx, hwpt, OBJ_HWPT_PAGING));
	/* Attached: attaching again replaces, here with the same domain. */
	at.pt_id = hwpt;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
	ck_assert_uint_eq(at.pt_id, hwpt);
	ck_assert_int_eq(obj_destroy_id(tctx, ioas), -EBUSY);

	/* DETACH: 8 bytes read first; what is not attached is 0. */
	memset(&dt, 0, sizeof(dt));
	ck_assert_int_eq(vio(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, NULL), -EFAULT);
	dt.argsz = 7;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), -EINVAL);
	dt.argsz = 8;
	dt.flags = 2;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), -EINVAL);
	dt.flags = VFIO_DEVICE_DETACH_PASID;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), -EINVAL);
	dt.argsz = 12;
	dt.pasid = 1;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	dt.argsz = 8;
	dt.flags = 0;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	/* The auto domain went with its last device. */
	ck_assert_ptr_null(obj_find(tctx, hwpt, OBJ_ANY));
	ck_assert_int_eq(vio(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);

	/* The driver's default for what the node does not serve. */
	ck_assert_int_eq(vio(f, VFIO_DEVICE_RESET, NULL), -ENOTTY);
	vfio_cdev_close(f);
}
END_TEST

/* A device with PASIDs: the pasid field is read, after argsz is checked. */
START_TEST(vfio_test_pasid)
{
	struct vfio_cdev_file			*f;
	struct vfio_device_attach_iommufd_pt	 at;
	struct vfio_device_detach_iommufd_pt	 dt;
	uint8_t					*top;
	long					 pg;

	ck_assert_int_eq(vfio_cdev_open(1, &f), 0);
	ck_assert_int_eq(vbind(f, vpipe[0], NULL), 0);
	memset(&at, 0, sizeof(at));
	at.argsz = 12;
	at.flags = VFIO_DEVICE_ATTACH_PASID;
	at.pt_id = 99;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
	at.argsz = 16;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -ENOENT);
	memset(&dt, 0, sizeof(dt));
	dt.argsz = 8;
	dt.flags = VFIO_DEVICE_DETACH_PASID;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), -EINVAL);
	dt.argsz = 12;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	/* The pasid field past the end of readable memory: EFAULT. */
	pg = sysconf(_SC_PAGESIZE);
	top = guard_page(pg);
	memcpy(top - 8, &dt, 8);
	ck_assert_int_eq(vio(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, top - 8),
	    -EFAULT);
	vfio_cdev_close(f);
}
END_TEST

/*
 * The CUSE invariant (core/ioctl.h) for the node's commands: a run whose
 * k-th read fails, and every one after it, changes nothing. Reads go to
 * our own memory through uself_ops until then.
 */
struct vprobe {
	unsigned int	n, fail_at;
};

static int
vprobe_read(void *priv, uint64_t uaddr, void *buf, size_t len)
{
	struct vprobe	*p = priv;

	if (p->n++ >= p->fail_at)
		return (-EFAULT);
	return (uself_ops.read(NULL, uaddr, buf, len));
}

static int
vprobe_write(void *priv __unused, uint64_t uaddr, const void *buf,
    size_t len)
{
	return (uself_ops.write(NULL, uaddr, buf, len));
}

static int
vprobe_getfd(void *priv __unused, int cfd)
{
	return (uself_ops.getfd(NULL, cfd));
}

static const struct uaccess_ops vprobe_ops = {
	.read = vprobe_read,
	.write = vprobe_write,
	.getfd = vprobe_getfd,
};

/* Run cmd with reads failing from each k on; the last run's result. */
static long
vprobe_all(struct vfio_cdev_file *f, unsigned int cmd, void *arg)
{
	struct vprobe	p;
	struct ucmd	ucmd;
	unsigned int	nobjs = tctx->nobjs, refs = tctx->refs;
	uint32_t	devid = vfio_cdev_devid(f);
	long		rc;

	for (p.fail_at = 0;; p.fail_at++) {
		p.n = 0;
		memset(&ucmd, 0, sizeof(ucmd));
		ucmd.cmd = cmd;
		ucmd.arg = (uint64_t)(uintptr_t)arg;
		ucmd.caller = &tcaller;
		ucmd.uops = &vprobe_ops;
		ucmd.upriv = &p;
		rc = vfio_cdev_dispatch(f, &ucmd);
		if (p.n <= p.fail_at)
			return (rc);
		ck_assert_int_eq(rc, -EFAULT);
		ck_assert_uint_eq(tctx->nobjs, nobjs);
		ck_assert_uint_eq(tctx->refs, refs);
		ck_assert_uint_eq(vfio_cdev_devid(f), devid);
	}
}

START_TEST(vfio_test_probe)
{
	struct vfio_cdev_file			*f;
	struct vfio_device_bind_iommufd		 b;
	struct vfio_device_attach_iommufd_pt	 at;
	struct vfio_device_detach_iommufd_pt	 dt;
	struct vfio_device_info			 info;
	uint8_t					 token[16] = { 0 };

	ck_assert_int_eq(vfio_cdev_open(1, &f), 0);
	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b) + 8;
	b.iommufd = vpipe[0];
	b.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	b.token_uuid_ptr = (uintptr_t)token;
	ck_assert_int_eq(vprobe_all(f, VFIO_DEVICE_BIND_IOMMUFD, &b), -E2BIG);
	b.argsz = sizeof(b);
	ck_assert_int_eq(vprobe_all(f, VFIO_DEVICE_BIND_IOMMUFD, &b), -EINVAL);
	b.flags = 0;
	ck_assert_int_eq(vprobe_all(f, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	ck_assert_uint_eq(vfio_cdev_devid(f), b.out_devid);
	memset(&at, 0, sizeof(at));
	at.argsz = sizeof(at);
	at.flags = VFIO_DEVICE_ATTACH_PASID;
	at.pt_id = b.out_devid;
	ck_assert_int_eq(vprobe_all(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at),
	    -EINVAL);
	memset(&dt, 0, sizeof(dt));
	dt.argsz = sizeof(dt);
	dt.flags = VFIO_DEVICE_DETACH_PASID;
	ck_assert_int_eq(vprobe_all(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	ck_assert_int_eq(vprobe_all(f, VFIO_DEVICE_GET_INFO, &info), 0);
	ck_assert_uint_eq(info.num_irqs, VFIO_PCI_NUM_IRQS);
	vfio_cdev_close(f);
}
END_TEST

static Suite *
vfio_cdev_suite(void)
{
	Suite	*s = suite_create("vfio_cdev");
	TCase	*tc = tcase_create("node");

	tcase_add_checked_fixture(tc, vfio_setup, vfio_teardown);
	tcase_add_test(tc, vfio_test_open);
	tcase_add_test(tc, vfio_test_unbound);
	tcase_add_test(tc, vfio_test_bind_errors);
	tcase_add_test(tc, vfio_test_bind);
	tcase_add_test(tc, vfio_test_lifetime);
	tcase_add_test(tc, vfio_test_bound);
	tcase_add_test(tc, vfio_test_pasid);
	tcase_add_test(tc, vfio_test_probe);
	tcase_add_test(tc, vfio_test_kvm);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(vfio_cdev_suite)
