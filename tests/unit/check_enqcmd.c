/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A VM's ENQCMD PASID table (iommufd/enqcmd.h, IOASIDD_ENQCMD): devices
 * of pasid-policy = global bound through their node to two contexts and
 * added to two VMs as the preload library does (IOASIDD_KVM_FILE); the
 * table of each VM gathers its devices' rows whatever their context,
 * marks a vPASID with two pPASIDs, and follows attach, detach, a VM
 * letting go of a device (its context's group then), close and
 * unbind; the errnos of bad arguments.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "conf.h"
#include "core/ctx.h"
#include "core/ucmd.h"
#include "dev/vfio_cdev.h"
#include "hw/hw.h"
#include "iommufd/device.h"
#include "iommufd/enqcmd.h"
#include "iommufd/pasid.h"
#include "helpers.h"
#include "suites.h"

#include "ioasidd_enqcmd.h"
#include "ioasidd_kvm.h"

/* The contexts' files: pipe ends, as in check_vfio_cdev.c. */
static int	 p1[2] = { -1, -1 }, p2[2] = { -1, -1 };
static struct ctx *c2;

/* Make ctx's file the read end of a new pipe p. */
static void
ctx_pipe(struct ctx *ctx, int p[2])
{
	struct stat	st;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fstat(p[0], &st), 0);
	ck_assert_int_eq(ctx_set_file(ctx, st.st_dev, st.st_ino), 0);
}

/* Three PASID-capable devices of policy global behind the mock. */
static void
enqcmd_setup(void)
{
	struct conf_device	devs[3];
	static const char	*names[] = { "acc0", "acc1", "acc2" };
	unsigned int		i;

	test_setup();
	memset(devs, 0, sizeof(devs));
	for (i = 0; i < 3; i++) {
		devs[i].name = (char *)names[i];
		devs[i].iommu = (char *)"iommu0";
		devs[i].model = (char *)"mock";
		devs[i].rid = 0x08 * (i + 1);
		devs[i].pasid_width = 20;
		devs[i].pasid_policy = CONF_PASID_GLOBAL;
	}
	ck_assert_int_eq(vfio_cdev_configure(devs, 3), 0);
	c2 = test_ctx_new();
	ctx_pipe(tctx, p1);
	ctx_pipe(c2, p2);
}

/* Devices, the second context and the pipes go; no pPASID is left. */
static void
enqcmd_teardown(void)
{
	vfio_cdev_unconfigure();
	ctx_free(c2);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	test_teardown();
	ck_assert_uint_eq(pasid_allocated(), 0);
}

/* cmd on the open f. */
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

/* Bind f through descriptor fd: its DEVICE id. */
static uint32_t
vbind(struct vfio_cdev_file *f, int fd)
{
	struct vfio_device_bind_iommufd	b = {
		.argsz = sizeof(b),
		.iommufd = fd,
	};

	ck_assert_int_eq(vio(f, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	return (b.out_devid);
}

/* VM vm_id of this process adds (or removes) the open f. */
static long
vkvm(struct vfio_cdev_file *f, uint32_t op, uint64_t vm_id)
{
	struct ioasidd_kvm_file	k = {
		.argsz = sizeof(k),
		.op = op,
		.kvm_fd = 9,
		.vm_id = vm_id,
	};

	return (vio(f, IOASIDD_KVM_FILE, &k));
}

/* Attach (pt != 0) or detach PASID pasid of f. */
static long
vpasid(struct vfio_cdev_file *f, uint32_t pasid, uint32_t pt)
{
	struct vfio_device_attach_iommufd_pt	at;
	struct vfio_device_detach_iommufd_pt	dt;

	if (pt != 0) {
		memset(&at, 0, sizeof(at));
		at.argsz = sizeof(at);
		at.flags = VFIO_DEVICE_ATTACH_PASID;
		at.pasid = pasid;
		at.pt_id = pt;
		return (vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at));
	}
	memset(&dt, 0, sizeof(dt));
	dt.argsz = sizeof(dt);
	dt.flags = VFIO_DEVICE_DETACH_PASID;
	dt.pasid = pasid;
	return (vio(f, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt));
}

/* A PASID-capable paging HWPT for dev_id in ctx on a new IOAS. */
static uint32_t
pasid_hwpt(struct ctx *ctx, uint32_t dev_id)
{
	struct iommu_ioas_alloc	ia;
	struct iommu_hwpt_alloc	h;

	memset(&ia, 0, sizeof(ia));
	ia.size = sizeof(ia);
	ck_assert_int_eq(test_ioctl(ctx, IOMMU_IOAS_ALLOC, &ia), 0);
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_ALLOC_PASID;
	h.dev_id = dev_id;
	h.pt_id = ia.out_ioas_id;
	ck_assert_int_eq(test_ioctl(ctx, IOMMU_HWPT_ALLOC, &h), 0);
	return (h.out_hwpt_id);
}

/* IOASIDD_ENQCMD in ctx for dev_id with room for max rows. */
static long
table(struct ctx *ctx, uint32_t dev_id, struct ioasidd_enqcmd *c,
    struct ioasidd_enqcmd_entry *e, uint32_t max)
{
	memset(c, 0, sizeof(*c));
	memset(e, 0xff, sizeof(*e) * (max != 0 ? max : 1));
	c->size = sizeof(*c);
	c->dev_id = dev_id;
	c->num_entries = max;
	c->entries = (uintptr_t)e;
	return (test_ioctl(ctx, IOASIDD_ENQCMD, c));
}

/* Count the groups enqcmd_groups() finds. */
static int
count_group(void *arg, const struct enqcmd_group *g)
{
	unsigned int	*n = arg;

	(void)g;
	(*n)++;
	return (0);
}

/*
 * acc0 (context 1) and acc1 (context 2) in VM 1, acc2 (context 2) in
 * VM 2: each VM's table has its devices' rows, across contexts.
 */
START_TEST(per_vm)
{
	struct vfio_cdev_file		*f0, *f1, *f2;
	struct ioasidd_enqcmd		 c;
	struct ioasidd_enqcmd_entry	 e[4];
	uint32_t			 d0, d1, d2, h1, h2, p0, p1v;
	unsigned int			 ng;

	ck_assert_int_eq(vfio_cdev_open(0, &f0), 0);
	ck_assert_int_eq(vfio_cdev_open(1, &f1), 0);
	ck_assert_int_eq(vfio_cdev_open(2, &f2), 0);
	/* QEMU adds the device to KVM before it binds it. */
	ck_assert_int_eq(vkvm(f0, IOASIDD_KVM_FILE_ADD, 1), 0);
	ck_assert_int_eq(vkvm(f1, IOASIDD_KVM_FILE_ADD, 1), 0);
	ck_assert_int_eq(vkvm(f2, IOASIDD_KVM_FILE_ADD, 2), 0);
	d0 = vbind(f0, p1[0]);
	d1 = vbind(f1, p2[0]);
	d2 = vbind(f2, p2[0]);
	h1 = pasid_hwpt(tctx, d0);
	h2 = pasid_hwpt(c2, d1);

	/* Nothing attached: empty tables, the devices counted. */
	ck_assert_int_eq(table(tctx, d0, &c, e, 4), 0);
	ck_assert_uint_eq(c.num_entries, 0);
	ck_assert_int_eq(c.out_pid, getpid());
	ck_assert_uint_eq(c.out_vm_id, 1);
	ck_assert_uint_eq(c.out_devices, 2);
	ck_assert_uint_eq(e[0].vpasid, 0xffffffff);

	/* vPASID 5 in both contexts of VM 1: two pPASIDs, a conflict. */
	ck_assert_int_eq(vpasid(f0, 5, h1), 0);
	ck_assert_int_eq(vpasid(f1, 5, h2), 0);
	ck_assert_int_eq(vpasid(f2, 7, h2), 0);
	ck_assert_int_eq(vpasid(f1, 9, h2), 0);
	ck_assert_int_eq(table(tctx, d0, &c, e, 4), 0);
	ck_assert_uint_eq(c.num_entries, 3);
	ck_assert_uint_eq(e[0].vpasid, 5);
	ck_assert_uint_eq(e[1].vpasid, 5);
	ck_assert_uint_lt(e[0].ppasid, e[1].ppasid);
	ck_assert_uint_eq(e[0].flags, IOASIDD_ENQCMD_CONFLICT);
	ck_assert_uint_eq(e[1].flags, IOASIDD_ENQCMD_CONFLICT);
	ck_assert_uint_eq(e[2].vpasid, 9);
	ck_assert_uint_eq(e[2].flags, 0);
	ck_assert_uint_eq(e[2].users, 1);
	ck_assert_uint_eq(e[3].vpasid, 0xffffffff);
	p0 = e[0].ppasid;
	p1v = e[1].ppasid;
	/* Asked from the other context through acc1: the same VM. */
	ck_assert_int_eq(table(c2, d1, &c, e, 4), 0);
	ck_assert_uint_eq(c.out_vm_id, 1);
	ck_assert_uint_eq(c.num_entries, 3);
	/* Room for one: that row, the count, EMSGSIZE. */
	e[1].vpasid = 0xffffffff;
	ck_assert_int_eq(table(c2, d1, &c, e, 1), -EMSGSIZE);
	ck_assert_uint_eq(c.num_entries, 3);
	ck_assert_uint_eq(e[0].vpasid, 5);
	ck_assert_uint_eq(e[1].vpasid, 0xffffffff);
	/* VM 2 has acc2 alone: vPASID 7 with context 2's pPASID. */
	ck_assert_int_eq(table(c2, d2, &c, e, 4), 0);
	ck_assert_uint_eq(c.out_vm_id, 2);
	ck_assert_uint_eq(c.out_devices, 1);
	ck_assert_uint_eq(c.num_entries, 1);
	ck_assert_uint_eq(e[0].vpasid, 7);
	ck_assert_uint_ne(e[0].ppasid, p0);
	ck_assert_uint_ne(e[0].ppasid, p1v);
	ng = 0;
	ck_assert_int_eq(enqcmd_groups(count_group, &ng), 0);
	ck_assert_uint_eq(ng, 2);

	/* Detach: the conflict goes with acc1's row. */
	ck_assert_int_eq(vpasid(f1, 5, 0), 0);
	ck_assert_int_eq(table(tctx, d0, &c, e, 4), 0);
	ck_assert_uint_eq(c.num_entries, 2);
	ck_assert_uint_eq(e[0].vpasid, 5);
	ck_assert_uint_eq(e[0].ppasid, p0);
	ck_assert_uint_eq(e[0].flags, 0);

	/* VM 1 lets go of acc0: it is context 1's group now. */
	ck_assert_int_eq(vkvm(f0, IOASIDD_KVM_FILE_DEL, 1), 0);
	ck_assert_int_eq(table(tctx, d0, &c, e, 4), 0);
	ck_assert_int_eq(c.out_pid, 0);
	ck_assert_uint_eq(c.out_vm_id, 0);
	ck_assert_uint_eq(c.out_devices, 1);
	ck_assert_uint_eq(c.num_entries, 1);
	ck_assert_uint_eq(e[0].ppasid, p0);
	ck_assert_int_eq(table(c2, d1, &c, e, 4), 0);
	ck_assert_uint_eq(c.out_devices, 1);
	ck_assert_uint_eq(c.num_entries, 1);
	ck_assert_uint_eq(e[0].vpasid, 9);
	ng = 0;
	ck_assert_int_eq(enqcmd_groups(count_group, &ng), 0);
	ck_assert_uint_eq(ng, 3);

	/* Closing acc2's open unbinds it: VM 2's rows go. */
	vfio_cdev_close(f2);
	ck_assert_int_eq(table(c2, d2, &c, e, 4), -ENOENT);
	ck_assert_int_eq(table(c2, d1, &c, e, 4), 0);
	ck_assert_uint_eq(c.num_entries, 1);
	vfio_cdev_close(f1);
	vfio_cdev_close(f0);
	ng = 0;
	ck_assert_int_eq(enqcmd_groups(count_group, &ng), 0);
	ck_assert_uint_eq(ng, 0);
}
END_TEST

/*
 * Two devices of one context in no VM share the context's rows, one
 * vPASID counted twice; a per-rid device adds none.
 */
START_TEST(no_vm)
{
	struct vfio_cdev_file		*f0, *f1;
	struct ioasidd_enqcmd		 c;
	struct ioasidd_enqcmd_entry	 e[2];
	struct edev			 ec;
	struct device			*dc;
	uint32_t			 d0, d1, dcid, h, pt;

	ck_assert_int_eq(vfio_cdev_open(0, &f0), 0);
	ck_assert_int_eq(vfio_cdev_open(1, &f1), 0);
	d0 = vbind(f0, p1[0]);
	d1 = vbind(f1, p1[0]);
	device_edev_init(&ec, "c", &hw_mock_instance, 0x40, 20, HW_DEV_PASID);
	ck_assert_int_eq(device_bind(tctx, &ec, &dc, &dcid), 0);
	h = pasid_hwpt(tctx, d0);
	ck_assert_int_eq(vpasid(f0, 3, h), 0);
	ck_assert_int_eq(vpasid(f1, 3, h), 0);
	pt = h;
	ck_assert_int_eq(device_attach(dc, 4, &pt), 0);
	ck_assert_int_eq(table(tctx, d1, &c, e, 2), 0);
	ck_assert_int_eq(c.out_pid, 0);
	ck_assert_uint_eq(c.out_devices, 3);
	ck_assert_uint_eq(c.num_entries, 1);
	ck_assert_uint_eq(e[0].vpasid, 3);
	ck_assert_uint_eq(e[0].users, 2);
	ck_assert_uint_ne(e[0].ppasid, 0);
	/* The other context has no device of its own there: ENOENT. */
	ck_assert_int_eq(table(c2, d0, &c, e, 2), -ENOENT);
	device_unbind(dc);
	vfio_cdev_close(f1);
	ck_assert_int_eq(table(tctx, d0, &c, e, 2), 0);
	ck_assert_uint_eq(e[0].users, 1);
	vfio_cdev_close(f0);
}
END_TEST

/* flags: EOPNOTSUPP; no such device: ENOENT; nothing changes. */
START_TEST(bad_args)
{
	struct vfio_cdev_file		*f0;
	struct ioasidd_enqcmd		 c;
	struct ioasidd_enqcmd_entry	 e[1];
	uint32_t			 d0;

	ck_assert_int_eq(vfio_cdev_open(0, &f0), 0);
	d0 = vbind(f0, p1[0]);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.dev_id = d0;
	c.flags = 1;
	ck_assert_int_eq(test_ioctl(tctx, IOASIDD_ENQCMD, &c), -EOPNOTSUPP);
	ck_assert_int_eq(table(tctx, 0, &c, e, 1), -ENOENT);
	ck_assert_int_eq(table(tctx, d0 + 100, &c, e, 1), -ENOENT);
	/* A row to write to an address that is not there: EFAULT. */
	ck_assert_int_eq(vpasid(f0, 3, pasid_hwpt(tctx, d0)), 0);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.dev_id = d0;
	c.num_entries = 1;
	c.entries = 8;
	ck_assert_int_eq(test_ioctl(tctx, IOASIDD_ENQCMD, &c), -EFAULT);
	vfio_cdev_close(f0);
}
END_TEST

static Suite *
enqcmd_suite(void)
{
	Suite	*s = suite_create("enqcmd");
	TCase	*tc = tcase_create("vm");

	tcase_add_checked_fixture(tc, enqcmd_setup, enqcmd_teardown);
	tcase_add_test(tc, per_vm);
	tcase_add_test(tc, no_vm);
	tcase_add_test(tc, bad_args);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(enqcmd_suite)
