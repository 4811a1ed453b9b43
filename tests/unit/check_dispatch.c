/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The dispatcher's contract (spec 1.3): which numbers reach which handler,
 * the size rules for every command in the table, and the table's
 * agreement with the field descriptors in proto/uapi.c, where its sizes
 * come from, and of both with the header structs. Modelled on the kernel
 * selftest's cmd_length, cmd_fail and cmd_ex_fail.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <linux/iommufd.h>
#include "iommufd_test.h"
#include "ioasidd.h"
#include "ioasidd_coherency.h"
#include "ioasidd_pasid.h"
#include "ioasidd_enqcmd.h"

#include "core/ctx.h"
#include "core/dispatch.h"
#include "helpers.h"
#include "suites.h"
#include "uapi.h"

/* Big enough for any command struct plus a tail. */
static uint64_t	 argbuf[64];

static void
arg_fill(uint32_t size, size_t used, uint8_t tail)
{
	memset(argbuf, 0, sizeof(argbuf));
	memcpy(argbuf, &size, sizeof(size));
	memset((uint8_t *)argbuf + used, tail, sizeof(argbuf) - used);
}

/* A row of the dispatcher's table with the sizes it applies. */
struct row {
	unsigned int	 ioctl_num;
	const char	*name;
	uint32_t	 size;
	uint32_t	 min_size;
};

/* Row i with its sizes from proto's table, or NULL for a hole. */
static const struct row *
row_get(unsigned int i)
{
	static struct row	 r;
	const struct ioctl_op	*op = dispatch_op(i);
	const struct uapi_cmd	*uc;

	if (op == NULL)
		return (NULL);
	uc = uapi_cmd_find(op->ioctl_num);
	ck_assert_msg(uc != NULL && uc->st != NULL, "row %#x: no uapi row", i);
	r.ioctl_num = op->ioctl_num;
	r.name = uc->name;
	r.size = uc->st->size;
	r.min_size = uc->st->min_size;
	return (&r);
}

/*
 * For row _i: min - 1 is EINVAL; one byte more than we know is E2BIG when
 * it is not zero, and the same answer as the exact size when it is.
 */
START_TEST(cmd_length)
{
	const struct row	*op = row_get(_i);
	long			 rc, rc_exact;

	if (op == NULL)
		return;
	ck_assert_uint_le(op->min_size, op->size);
	ck_assert_uint_lt(op->size + 1, sizeof(argbuf));

	arg_fill(op->min_size - 1, op->min_size - 1, 0);
	rc = test_ioctl(tctx, op->ioctl_num, argbuf);
	ck_assert_msg(rc == -EINVAL, "%s: size min-1 gave %ld", op->name, rc);

	arg_fill(op->size + 1, op->size, 0xff);
	rc = test_ioctl(tctx, op->ioctl_num, argbuf);
	ck_assert_msg(rc == -E2BIG, "%s: non-zero tail gave %ld", op->name,
	    rc);

	arg_fill(op->size, op->size, 0);
	rc_exact = test_ioctl(tctx, op->ioctl_num, argbuf);
	ck_assert_msg(rc_exact != -E2BIG && rc_exact != -EFAULT,
	    "%s: exact size gave %ld", op->name, rc_exact);

	arg_fill(op->size + 1, op->size, 0);
	rc = test_ioctl(tctx, op->ioctl_num, argbuf);
	ck_assert_msg(rc == rc_exact, "%s: zero tail gave %ld, exact %ld",
	    op->name, rc, rc_exact);
}
END_TEST

/*
 * Every command with a struct pointer it cannot read, through the core
 * alone: NULL, (void *)-1, two bytes below the top, the last page, a
 * PROT_NONE page, and a struct whose size is readable but whose rest is
 * not. Each is EFAULT (spec 1.3, steps 3 and 5), and the context's first
 * IOAS is still there afterwards.
 */
START_TEST(cmd_bad_pointers)
{
	const struct row		*op = row_get(_i);
	struct iommu_ioas_alloc		 a = { .size = sizeof(a) };
	long				 pg = sysconf(_SC_PAGESIZE);
	uint64_t			 bad[5];
	uint32_t			 size;
	uint8_t				*two;
	size_t				 k;

	if (op == NULL)
		return;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOC, &a), 0);
	two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(two, MAP_FAILED);
	ck_assert_int_eq(mprotect(two + pg, pg, PROT_NONE), 0);
	size = op->size;
	memcpy(two + pg - sizeof(size), &size, sizeof(size));
	bad[0] = 0;
	bad[1] = UINT64_MAX;
	bad[2] = UINT64_MAX - 1;
	bad[3] = 0 - (uint64_t)pg;
	bad[4] = (uintptr_t)(two + pg);
	for (k = 0; k < nitems(bad); k++)
		ck_assert_msg(test_ioctl_val(tctx, op->ioctl_num, bad[k]) ==
		    -EFAULT, "%s at %#llx", op->name,
		    (unsigned long long)bad[k]);
	ck_assert_msg(test_ioctl(tctx, op->ioctl_num, two + pg -
	    sizeof(size)) == -EFAULT, "%s straddling", op->name);
	ck_assert_ptr_nonnull(obj_find(tctx, a.out_ioas_id, OBJ_IOAS));
	munmap(two, 2 * pg);
}
END_TEST

START_TEST(cmd_short_zero_filled)
{
	const struct row	*op = row_get(_i);
	long			 rc, rc_exact;

	if (op == NULL || op->min_size == op->size)
		return;
	/* Fields past min_size read as zero: same as all-zero full size. */
	arg_fill(op->size, op->size, 0);
	rc_exact = test_ioctl(tctx, op->ioctl_num, argbuf);
	arg_fill(op->min_size, op->min_size, 0xff);
	rc = test_ioctl(tctx, op->ioctl_num, argbuf);
	ck_assert_msg(rc == rc_exact, "%s: min size gave %ld, full %ld",
	    op->name, rc, rc_exact);
}
END_TEST

START_TEST(cmd_fail)
{
	struct iommu_destroy	 d = { .size = sizeof(d), .id = 0 };
	unsigned int		 nr;

	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -ENOENT);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, NULL), -EFAULT);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, (void *)8), -EFAULT);
	ck_assert_int_eq(test_ioctl(tctx, _IO(IOMMUFD_TYPE, 0x7f), &d),
	    -ENOTTY);
	for (nr = 0x96; nr <= 0x9f; nr++)
		ck_assert_int_eq(test_ioctl(tctx, _IO(IOMMUFD_TYPE, nr), &d),
		    -ENOTTY);
	ck_assert_int_eq(test_ioctl(tctx, _IO(IOMMUFD_TYPE, 0xa1), &d),
	    -ENOTTY);
	ck_assert_int_eq(test_ioctl(tctx, _IO(IOMMUFD_TYPE, 0xff), &d),
	    -ENOTTY);
	ck_assert_int_eq(test_ioctl(tctx,
	    _IOWR(IOMMUFD_TYPE, 0x80, struct iommu_destroy), &d), -ENOTTY);
	ck_assert_int_eq(test_ioctl(tctx, _IO('x', 0x80), &d), -ENOTTY);
	/* Every call counts, failed ones too. */
	ck_assert_uint_eq(tctx->nioctls, 8 + (0x9f - 0x96 + 1));
}
END_TEST

/* DESTROY with an 8-byte "future" tail. */
START_TEST(cmd_ex_fail)
{
	struct {
		struct iommu_destroy	 cmd;
		uint64_t		 future;
	} d;

	memset(&d, 0, sizeof(d));
	d.cmd.size = sizeof(d);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -ENOENT);
	d.future = 1;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -E2BIG);
	d.future = 0;
	d.cmd.size = sizeof(d.cmd);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -ENOENT);
	d.cmd.size = sizeof(d.cmd) - 1;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -EINVAL);
}
END_TEST

/*
 * A struct at the very end of a mapping: a tail that runs into the
 * unmapped page is EFAULT, not E2BIG or a crash.
 */
START_TEST(cmd_tail_fault)
{
	struct iommu_destroy	*d;
	long			 pg = sysconf(_SC_PAGESIZE);
	uint8_t			*p;

	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(munmap(p + pg, pg), 0);
	d = (struct iommu_destroy *)(p + pg - sizeof(*d));
	d->size = sizeof(*d) + 8;
	d->id = 0;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, d), -EFAULT);
	d->size = sizeof(*d);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, d), -ENOENT);
	d = (struct iommu_destroy *)(p + pg - 4);
	d->size = sizeof(*d);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, d), -EFAULT);
	munmap(p, pg);
}
END_TEST

/* Run cmd on struct arg (len bytes) and one array region after it. */
static long
regions_call(unsigned int cmd, void *arg, size_t len, uint64_t uaddr,
    uint64_t alen, int notcarried)
{
	struct uregion	regs[2];
	struct uregions	ur;
	struct ucmd	ucmd;
	long		rc;

	memset(regs, 0, sizeof(regs));
	regs[0].uaddr = (uintptr_t)arg;
	regs[0].len = len;
	regs[0].data = arg;
	regs[1].uaddr = uaddr;
	regs[1].len = alen;
	regs[1].notcarried = notcarried;
	uregions_init(&ur, regs, 2);
	memset(&ucmd, 0, sizeof(ucmd));
	ucmd.ctx = tctx;
	ucmd.cmd = cmd;
	ucmd.arg = (uintptr_t)arg;
	ucmd.caller = &tcaller;
	ucmd.uops = &uregions_ops;
	ucmd.upriv = &ur;
	rc = dispatch(&ucmd);
	uregions_clear(&ur);
	return (rc);
}

/*
 * An array the socket did not carry (proto/wire.h): a read of it is
 * ENOMEM, a fault region stays EFAULT, and every check the kernel makes
 * before reading still wins.
 */
START_TEST(cmd_not_carried)
{
	struct iommu_ioas_allow_iovas	a;
	struct iommu_hwpt_invalidate	v;
	struct iommu_hwpt_alloc		h;
	struct iommu_ioas_alloc		ia;

	memset(&ia, 0, sizeof(ia));
	ia.size = sizeof(ia);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOC, &ia), 0);

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.ioas_id = ia.out_ioas_id;
	a.num_iovas = (1u << 26) + 1;
	a.allowed_iovas = 0x100000;
	ck_assert_int_eq(regions_call(IOMMU_IOAS_ALLOW_IOVAS, &a, sizeof(a),
	    a.allowed_iovas, (uint64_t)a.num_iovas * 16, 1), -ENOMEM);
	ck_assert_int_eq(regions_call(IOMMU_IOAS_ALLOW_IOVAS, &a, sizeof(a),
	    a.allowed_iovas, (uint64_t)a.num_iovas * 16, 0), -EFAULT);
	a.ioas_id = 0;
	ck_assert_int_eq(regions_call(IOMMU_IOAS_ALLOW_IOVAS, &a, sizeof(a),
	    a.allowed_iovas, (uint64_t)a.num_iovas * 16, 1), -ENOENT);

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.hwpt_id = ia.out_ioas_id;
	v.data_uptr = 0x100000;
	v.entry_len = 4096;
	v.entry_num = 1u << 19;
	ck_assert_int_eq(regions_call(IOMMU_HWPT_INVALIDATE, &v, sizeof(v),
	    v.data_uptr, 1ull << 31, 1), -EINVAL);
	v.hwpt_id = 0;
	ck_assert_int_eq(regions_call(IOMMU_HWPT_INVALIDATE, &v, sizeof(v),
	    v.data_uptr, 1ull << 31, 1), -ENOENT);
	/* 7.3's bound on entry_num comes before the lookup. */
	v.entry_num = (1u << 19) + 1;
	ck_assert_int_eq(regions_call(IOMMU_HWPT_INVALIDATE, &v, sizeof(v),
	    v.data_uptr, 1ull << 32, 1), -EINVAL);

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.data_type = 0xdead;
	h.data_len = 0x40000001;
	h.data_uptr = 0x100000;
	ck_assert_int_eq(regions_call(IOMMU_HWPT_ALLOC, &h, sizeof(h),
	    h.data_uptr, h.data_len, 1), -ENOENT);
}
END_TEST

/*
 * A transport that delivers answers later (defer): the new IOAS stays
 * reserved, invisible to lookups, until it is settled; aborted, its id is
 * the next one handed out.
 */
START_TEST(cmd_deferred_create)
{
	struct iommu_ioas_alloc		a;
	struct iommu_destroy		d;
	struct uregion			reg;
	struct uregions			ur;
	struct ucmd			ucmd;
	uint32_t			id = 0;
	int				i;

	for (i = 0; i < 2; i++) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		memset(&reg, 0, sizeof(reg));
		reg.uaddr = (uintptr_t)&a;
		reg.len = sizeof(a);
		reg.data = &a;
		uregions_init(&ur, &reg, 1);
		memset(&ucmd, 0, sizeof(ucmd));
		ucmd.ctx = tctx;
		ucmd.cmd = IOMMU_IOAS_ALLOC;
		ucmd.arg = (uintptr_t)&a;
		ucmd.caller = &tcaller;
		ucmd.uops = &uregions_ops;
		ucmd.upriv = &ur;
		ucmd.defer = 1;
		ck_assert_int_eq(dispatch(&ucmd), 0);
		ck_assert_uint_eq(ucmd.npending, 1);
		ck_assert_uint_eq(ur.nwrites, 1);
		memcpy(&id, ur.writes[0].data +
		    offsetof(struct iommu_ioas_alloc, out_ioas_id),
		    sizeof(id));
		uregions_clear(&ur);
		ck_assert_ptr_null(obj_find(tctx, id, OBJ_ANY));
		memset(&d, 0, sizeof(d));
		d.size = sizeof(d);
		d.id = id;
		ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -ENOENT);
		/* Aborted the first time, published the second. */
		ucmd_settle(ucmd.pending, ucmd.npending, i == 1);
		ck_assert_uint_eq(id, 1);
	}
	ck_assert_ptr_nonnull(obj_find(tctx, id, OBJ_IOAS));
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), 0);
}
END_TEST

/*
 * Row _i's command is in proto's table as a sized command, and its struct
 * fits the dispatcher's buffer.
 */
START_TEST(table_in_uapi)
{
	const struct ioctl_op	*op = dispatch_op(_i);
	const struct uapi_cmd	*uc;

	if (op == NULL)
		return;
	ck_assert_uint_eq(_IOC_NR(op->ioctl_num) - IOMMUFD_CMD_BASE, _i);
	uc = uapi_cmd_find(op->ioctl_num);
	ck_assert_msg(uc != NULL, "row %#x missing from uapi", _i);
	ck_assert_int_eq(uc->argkind, UA_SIZED);
	ck_assert_ptr_nonnull(uc->st);
	ck_assert_msg(uc->st->size <= dispatch_buf_size, "%s: %u > %zu",
	    uc->name, uc->st->size, dispatch_buf_size);
	ck_assert_uint_le(uc->st->min_size, uc->st->size);
}
END_TEST

/* Every iommufd command proto's table knows has a row, and no other. */
START_TEST(uapi_in_table)
{
	const struct ioctl_op	*op;
	const struct uapi_cmd	*uc;
	size_t			 i, n = 0, nrows = 0;

	for (i = 0; i < DISPATCH_NOPS; i++)
		nrows += dispatch_op(i) != NULL;
	for (i = 0; i < uapi_ncmds; i++) {
		uc = &uapi_cmds[i];
		if (_IOC_NR(uc->num) < IOMMUFD_CMD_BASE)
			continue;
		/* Commands of the VFIO device node, not of /dev/iommu. */
		if (uc->num == IOASIDD_REGION_READ ||
		    uc->num == IOASIDD_REGION_WRITE ||
		    uc->num == IOASIDD_KVM_FILE)
			continue;
		op = dispatch_op(_IOC_NR(uc->num) - IOMMUFD_CMD_BASE);
		ck_assert_msg(op != NULL && op->ioctl_num == uc->num,
		    "%s has no row", uc->name);
		n++;
	}
	ck_assert_uint_eq(n, nrows);
}
END_TEST

/*
 * The sizes the dispatcher applies, from the header structs themselves:
 * sizeof, and the end of the last field of the command's first version.
 * Written out here apart from proto/uapi.c, so a wrong field there (or a
 * header that grew without its table) shows.
 */
#define HDR(_ioctl, _st, _last)						\
	{ _ioctl, #_ioctl, sizeof(struct _st), offsetofend(struct _st, _last) }

static const struct row hdr_rows[] = {
	HDR(IOMMU_DESTROY, iommu_destroy, id),
	HDR(IOMMU_IOAS_ALLOC, iommu_ioas_alloc, out_ioas_id),
	HDR(IOMMU_IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, allowed_iovas),
	HDR(IOMMU_IOAS_COPY, iommu_ioas_copy, src_iova),
	HDR(IOMMU_IOAS_IOVA_RANGES, iommu_ioas_iova_ranges,
	    out_iova_alignment),
	HDR(IOMMU_IOAS_MAP, iommu_ioas_map, iova),
	HDR(IOMMU_IOAS_UNMAP, iommu_ioas_unmap, length),
	HDR(IOMMU_OPTION, iommu_option, val64),
	HDR(IOMMU_VFIO_IOAS, iommu_vfio_ioas, __reserved),
	HDR(IOMMU_HWPT_ALLOC, iommu_hwpt_alloc, __reserved),
	HDR(IOMMU_GET_HW_INFO, iommu_hw_info, __reserved),
	HDR(IOMMU_HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking,
	    __reserved),
	HDR(IOMMU_HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap, data),
	HDR(IOMMU_HWPT_INVALIDATE, iommu_hwpt_invalidate, __reserved),
	HDR(IOMMU_FAULT_QUEUE_ALLOC, iommu_fault_alloc, out_fault_fd),
	HDR(IOMMU_IOAS_MAP_FILE, iommu_ioas_map_file, iova),
	HDR(IOMMU_VIOMMU_ALLOC, iommu_viommu_alloc, out_viommu_id),
	HDR(IOMMU_VDEVICE_ALLOC, iommu_vdevice_alloc, virt_id),
	HDR(IOMMU_IOAS_CHANGE_PROCESS, iommu_ioas_change_process, __reserved),
	HDR(IOMMU_VEVENTQ_ALLOC, iommu_veventq_alloc, out_veventq_fd),
	HDR(IOMMU_HW_QUEUE_ALLOC, iommu_hw_queue_alloc, length),
	HDR(IOMMU_IOAS_NOIOMMU_GET_PA, iommu_ioas_noiommu_get_pa, out_phys),
	HDR(IOMMU_TEST_CMD, iommu_test_cmd, last),
	HDR(IOASIDD_MMAP, ioasidd_mmap, __reserved),
	HDR(IOASIDD_COHERENCY, ioasidd_coherency, out_changes),
	HDR(IOASIDD_PASIDS, ioasidd_pasids, entries),
	HDR(IOASIDD_ENQCMD, ioasidd_enqcmd, entries),
};

START_TEST(sizes_match_headers)
{
	const struct row	*op = row_get(_i);
	const struct row	*h = NULL;
	size_t			 k;

	if (op == NULL)
		return;
	for (k = 0; k < nitems(hdr_rows); k++) {
		if (hdr_rows[k].ioctl_num == op->ioctl_num)
			h = &hdr_rows[k];
	}
	ck_assert_msg(h != NULL, "%s: no header row", op->name);
	ck_assert_str_eq(op->name, h->name);
	ck_assert_msg(op->size == h->size, "%s: size %u, header %u",
	    op->name, op->size, h->size);
	ck_assert_msg(op->min_size == h->min_size, "%s: min %u, header %u",
	    op->name, op->min_size, h->min_size);
}
END_TEST

static Suite *
dispatch_suite(void)
{
	Suite	*s = suite_create("dispatch");
	TCase	*tc;

	tc = test_tcase(s, "size");
	tcase_add_loop_test(tc, cmd_length, 0, DISPATCH_NOPS);
	tcase_add_loop_test(tc, cmd_short_zero_filled, 0, DISPATCH_NOPS);
	tcase_add_loop_test(tc, cmd_bad_pointers, 0, DISPATCH_NOPS);
	tcase_add_test(tc, cmd_ex_fail);
	tcase_add_test(tc, cmd_tail_fault);
	tcase_add_test(tc, cmd_not_carried);
	tcase_add_test(tc, cmd_deferred_create);

	tc = test_tcase(s, "numbers");
	tcase_add_test(tc, cmd_fail);

	tc = tcase_create("uapi");
	tcase_add_loop_test(tc, table_in_uapi, 0, DISPATCH_NOPS);
	tcase_add_test(tc, uapi_in_table);
	tcase_add_loop_test(tc, sizes_match_headers, 0, DISPATCH_NOPS);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(dispatch_suite)
