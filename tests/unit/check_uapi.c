/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of proto/uapi.c: that the field tables agree with the ABI's
 * size table, that every table is well formed (fields sorted, inside
 * their struct, pointers with a usable length rule), that uapi_bufs()
 * finds the right caller buffers in concrete structs, and that the
 * lookups answer.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "iommufd_test.h"
#include "suites.h"
#include "uapi.h"

/* The ABI's numbers, written out: number, sizeof, smallest size. */
static const struct {
	uint32_t	num;
	uint32_t	size;
	uint32_t	min;
	uint8_t		argkind;
} abi[] = {
	{ 0x3b80, 8, 8, UA_SIZED },	/* DESTROY */
	{ 0x3b81, 12, 12, UA_SIZED },	/* IOAS_ALLOC */
	{ 0x3b82, 24, 24, UA_SIZED },	/* IOAS_ALLOW_IOVAS */
	{ 0x3b83, 40, 40, UA_SIZED },	/* IOAS_COPY */
	{ 0x3b84, 32, 32, UA_SIZED },	/* IOAS_IOVA_RANGES */
	{ 0x3b85, 40, 40, UA_SIZED },	/* IOAS_MAP */
	{ 0x3b86, 24, 24, UA_SIZED },	/* IOAS_UNMAP */
	{ 0x3b87, 24, 24, UA_SIZED },	/* OPTION */
	{ 0x3b88, 12, 12, UA_SIZED },	/* VFIO_IOAS */
	{ 0x3b89, 48, 24, UA_SIZED },	/* HWPT_ALLOC */
	{ 0x3b8a, 40, 32, UA_SIZED },	/* GET_HW_INFO */
	{ 0x3b8b, 16, 16, UA_SIZED },	/* HWPT_SET_DIRTY_TRACKING */
	{ 0x3b8c, 48, 48, UA_SIZED },	/* HWPT_GET_DIRTY_BITMAP */
	{ 0x3b8d, 32, 32, UA_SIZED },	/* HWPT_INVALIDATE */
	{ 0x3b8e, 16, 16, UA_SIZED },	/* FAULT_QUEUE_ALLOC */
	{ 0x3b8f, 40, 40, UA_SIZED },	/* IOAS_MAP_FILE */
	{ 0x3b90, 40, 24, UA_SIZED },	/* VIOMMU_ALLOC */
	{ 0x3b91, 24, 24, UA_SIZED },	/* VDEVICE_ALLOC */
	{ 0x3b92, 8, 8, UA_SIZED },	/* IOAS_CHANGE_PROCESS */
	{ 0x3b93, 32, 28, UA_SIZED },	/* VEVENTQ_ALLOC */
	{ 0x3b94, 40, 40, UA_SIZED },	/* HW_QUEUE_ALLOC */
	{ 0x3b95, 40, 40, UA_SIZED },	/* IOAS_NOIOMMU_GET_PA */
	{ 0x3ba0, 72, 68, UA_SIZED },	/* TEST_CMD */
	{ 0x3b76, 24, 16, UA_ARGSZ },	/* VFIO_DEVICE_BIND_IOMMUFD */
	{ 0x3b77, 16, 12, UA_ARGSZ },	/* VFIO_DEVICE_ATTACH_IOMMUFD_PT */
	{ 0x3b78, 12, 8, UA_ARGSZ },	/* VFIO_DEVICE_DETACH_IOMMUFD_PT */
	{ 0x3b6b, 20, 16, UA_ARGSZ },	/* VFIO_DEVICE_GET_INFO */
	{ 0x3b6e, 20, 20, UA_ARGSZ },	/* VFIO_DEVICE_SET_IRQS */
	{ 0x3b64, 0, 0, UA_NONE },	/* VFIO_GET_API_VERSION */
	{ 0x3b65, 0, 0, UA_VALUE },	/* VFIO_CHECK_EXTENSION */
	{ 0x3b66, 0, 0, UA_VALUE },	/* VFIO_SET_IOMMU */
	{ 0x3b70, 24, 16, UA_ARGSZ },	/* VFIO_IOMMU_GET_INFO */
	{ 0x3b71, 32, 32, UA_ARGSZ },	/* VFIO_IOMMU_MAP_DMA */
	{ 0x3b72, 24, 24, UA_ARGSZ },	/* VFIO_IOMMU_UNMAP_DMA */
	{ 0x3bfc, 32, 32, UA_SIZED },	/* IOASIDD_MMAP */
	{ 0x3be8, 32, 32, UA_SIZED },	/* IOASIDD_COHERENCY */
	{ 0x3be9, 24, 24, UA_SIZED },	/* IOASIDD_PASIDS */
	{ 0x3bea, 40, 40, UA_SIZED },	/* IOASIDD_ENQCMD */
	{ 0x3bfa, 32, 32, UA_ARGSZ },	/* IOASIDD_REGION_READ */
	{ 0x3bfb, 32, 32, UA_ARGSZ },	/* IOASIDD_REGION_WRITE */
	/* The device node's (uapi_cmd_find_dev()). */
	{ 0x3b6c, 32, 32, UA_ARGSZ },	/* VFIO_DEVICE_GET_REGION_INFO */
	{ 0x3b6d, 16, 16, UA_ARGSZ },	/* VFIO_DEVICE_GET_IRQ_INFO */
	{ 0x3b6f, 0, 0, UA_NONE },	/* VFIO_DEVICE_RESET */
	{ 0x3b70, 12, 12, UA_ARGSZ },	/* GET_PCI_HOT_RESET_INFO */
	{ 0x3b71, 12, 12, UA_ARGSZ },	/* VFIO_DEVICE_PCI_HOT_RESET */
	{ 0x3b75, 8, 8, UA_ARGSZ },	/* VFIO_DEVICE_FEATURE */
	{ 0x3bf0, 32, 32, UA_ARGSZ },	/* IOASIDD_KVM_FILE */
};
#define NABI_IOMMU	35
#define NABI	(sizeof(abi) / sizeof(abi[0]))

START_TEST(test_sizes)
{
	const struct uapi_cmd	*c;
	size_t			 i;

	ck_assert_uint_eq(uapi_ncmds, NABI);
	for (i = 0; i < NABI; i++) {
		c = i < NABI_IOMMU ? uapi_cmd_find(abi[i].num) :
		    uapi_cmd_find_dev(abi[i].num);
		ck_assert_msg(c != NULL, "0x%x missing", abi[i].num);
		ck_assert_uint_eq(c->num, abi[i].num);
		ck_assert_uint_eq(c->argkind, abi[i].argkind);
		if (abi[i].size == 0) {
			ck_assert_ptr_null(c->st);
			continue;
		}
		ck_assert_ptr_nonnull(c->st);
		ck_assert_msg(c->st->size == abi[i].size, "%s size %u",
		    c->name, c->st->size);
		ck_assert_msg(c->st->min_size == abi[i].min, "%s min %u",
		    c->name, c->st->min_size);
	}
}
END_TEST

START_TEST(test_order)
{
	size_t	i;

	/* uapi_cmd_find() indexes the iommufd rows by number. */
	for (i = 0; i <= 0x15; i++)
		ck_assert_uint_eq(uapi_cmds[i].num, 0x3b80 + i);
	ck_assert_uint_eq(uapi_cmds[0x16].num, 0x3ba0);
}
END_TEST

/* Every field of st sorted, apart, inside; every pointer describable. */
static void
check_struct(const struct uapi_struct *st, int depth)
{
	const struct uapi_field	*f, *a;
	uint32_t		 end = 0;
	uint16_t		 i, j;

	ck_assert_int_lt(depth, 4);
	ck_assert_ptr_nonnull(st->name);
	ck_assert_uint_gt(st->nfields, 0);
	ck_assert_uint_le(st->min_size, st->size);
	for (i = 0; i < st->nfields; i++) {
		f = &st->fields[i];
		ck_assert_msg(f->off >= end, "%s.%s overlaps", st->name,
		    f->name);
		ck_assert_msg(f->width > 0, "%s.%s empty", st->name, f->name);
		if (f->kind == UK_FDS) {
			/* The struct's tail: at its end, counted, last. */
			ck_assert_uint_eq(f->off, st->size);
			ck_assert_uint_eq(f->width, 4);
			ck_assert_int_ge(f->len_a, 0);
			ck_assert_int_lt(f->len_a, i);
			ck_assert_uint_eq(i, st->nfields - 1);
			continue;
		}
		end = f->off + f->width;
		ck_assert_msg(end <= st->size, "%s.%s outside", st->name,
		    f->name);
		ck_assert_uint_ge(f->kind, UK_SIZE);
		ck_assert_uint_le(f->kind, UK_FDS);
		ck_assert_msg(f->dir != 0 && (f->dir & ~UD_INOUT) == 0,
		    "%s.%s dir", st->name, f->name);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(st->fields[j].name, f->name);
		if (f->kind != UK_UPTR) {
			/* Only the VFIO argsz mark may carry a rule. */
			if (f->buf_len != UB_NONE) {
				ck_assert_uint_eq(f->kind, UK_SIZE);
				ck_assert_uint_eq(f->buf_len, UB_BYTES);
				ck_assert_int_eq(f->len_a, i);
			}
			continue;
		}
		ck_assert_msg(f->width == 8, "%s.%s width", st->name,
		    f->name);
		ck_assert_msg(f->buf_dir != 0 &&
		    (f->buf_dir & ~UD_INOUT) == 0, "%s.%s buf_dir", st->name,
		    f->name);
		switch (f->buf_len) {
		case UB_BYTES:
		case UB_COUNT:
			ck_assert_int_ge(f->len_a, 0);
			ck_assert_int_eq(f->len_b, -1);
			break;
		case UB_PRODUCT:
		case UB_BITMAP:
			ck_assert_int_ge(f->len_a, 0);
			ck_assert_int_ge(f->len_b, 0);
			break;
		case UB_FIXED:
			ck_assert_uint_gt(f->elem, 0);
			break;
		default:
			ck_abort_msg("%s.%s: no length rule", st->name,
			    f->name);
		}
		if (f->buf_len == UB_COUNT)
			ck_assert_uint_gt(f->elem, 0);
		if (f->len_a >= 0) {
			ck_assert_int_lt(f->len_a, st->nfields);
			a = &st->fields[f->len_a];
			ck_assert_msg(a->kind == UK_LEN || a->kind == UK_COUNT,
			    "%s.%s: length from %s", st->name, f->name,
			    a->name);
		}
		if (f->len_b >= 0) {
			ck_assert_int_lt(f->len_b, st->nfields);
			a = &st->fields[f->len_b];
			ck_assert_msg(a->kind == UK_LEN || a->kind == UK_COUNT,
			    "%s.%s: length from %s", st->name, f->name,
			    a->name);
		}
		if (f->elem_type != NULL)
			check_struct(f->elem_type, depth + 1);
	}
	if (st->sel < 0) {
		ck_assert_uint_eq(st->nvariants, 0);
		return;
	}
	ck_assert_int_lt(st->sel, st->nfields);
	ck_assert_uint_gt(st->nvariants, 0);
	for (i = 0; i < st->nvariants; i++) {
		const struct uapi_struct *v = st->variants[i].st;

		ck_assert_uint_eq(v->size, st->size);
		ck_assert_uint_eq(v->min_size, st->min_size);
		ck_assert_int_eq(v->sel, -1);
		ck_assert_int_lt(st->sel, v->nfields);
		ck_assert_str_eq(v->fields[st->sel].name,
		    st->fields[st->sel].name);
		ck_assert_uint_eq(v->fields[st->sel].off,
		    st->fields[st->sel].off);
		for (j = 0; j < i; j++)
			ck_assert_uint_ne(st->variants[j].value,
			    st->variants[i].value);
		check_struct(v, depth + 1);
	}
}

START_TEST(test_tables)
{
	size_t	i;

	for (i = 0; i < uapi_ncmds; i++) {
		ck_assert_ptr_nonnull(uapi_cmds[i].name);
		if (uapi_cmds[i].st == NULL) {
			ck_assert(uapi_cmds[i].argkind == UA_VALUE ||
			    uapi_cmds[i].argkind == UA_NONE);
			continue;
		}
		check_struct(uapi_cmds[i].st, 0);
		ck_assert_uint_eq(uapi_cmds[i].st->fields[0].kind, UK_SIZE);
		ck_assert_uint_eq(uapi_cmds[i].st->fields[0].off, 0);
	}
}
END_TEST

START_TEST(test_test_cmd_variants)
{
	const struct uapi_cmd	*c = uapi_cmd_find(IOMMU_TEST_CMD);
	uint32_t		 op;

	/* One variant per op, each naming its union member. */
	ck_assert_uint_eq(c->st->nvariants, IOMMU_TEST_OP_MD_CHECK_DMABUF);
	for (op = IOMMU_TEST_OP_ADD_RESERVED;
	    op <= IOMMU_TEST_OP_MD_CHECK_DMABUF; op++) {
		struct iommu_test_cmd		 cmd = { .size = sizeof(cmd),
						     .op = op };
		const struct uapi_struct	*v;

		v = uapi_resolve(c->st, &cmd, sizeof(cmd));
		ck_assert_ptr_ne(v, c->st);
		ck_assert_str_eq(v->fields[v->nfields - 1].name, "last");
	}
}
END_TEST

static int
bufs_of(unsigned long num, const void *buf, size_t len, struct uapi_buf *b)
{
	const struct uapi_cmd	*c = uapi_cmd_find(num);

	ck_assert_ptr_nonnull(c);
	return (uapi_bufs(c->st, buf, len, b, UAPI_MAX_BUFS));
}

START_TEST(test_bufs_iova)
{
	struct iommu_ioas_iova_ranges	r = {
		.size = sizeof(r), .ioas_id = 1, .num_iovas = 3,
		.allowed_iovas = 0x7000,
	};
	struct iommu_ioas_allow_iovas	a = {
		.size = sizeof(a), .ioas_id = 1, .num_iovas = 2,
		.allowed_iovas = 0x9000,
	};
	struct uapi_buf			b[UAPI_MAX_BUFS];

	ck_assert_int_eq(bufs_of(IOMMU_IOAS_IOVA_RANGES, &r, sizeof(r), b), 1);
	ck_assert_uint_eq(b[0].uaddr, 0x7000);
	ck_assert_uint_eq(b[0].len, 3 * sizeof(struct iommu_iova_range));
	ck_assert_uint_eq(b[0].dir, UD_OUT);
	ck_assert_str_eq(b[0].field->name, "allowed_iovas");
	ck_assert_ptr_nonnull(b[0].field->elem_type);
	ck_assert_uint_eq(b[0].field->elem_type->size, 16);

	ck_assert_int_eq(bufs_of(IOMMU_IOAS_ALLOW_IOVAS, &a, sizeof(a), b), 1);
	ck_assert_uint_eq(b[0].uaddr, 0x9000);
	ck_assert_uint_eq(b[0].len, 32);
	ck_assert_uint_eq(b[0].dir, UD_IN);

	/* Capacity 0 (the usual first call): nothing to copy. */
	r.num_iovas = 0;
	ck_assert_int_eq(bufs_of(IOMMU_IOAS_IOVA_RANGES, &r, sizeof(r), b), 0);
	/* No pointer: nothing either. */
	a.allowed_iovas = 0;
	ck_assert_int_eq(bufs_of(IOMMU_IOAS_ALLOW_IOVAS, &a, sizeof(a), b), 0);
}
END_TEST

START_TEST(test_bufs_invalidate)
{
	struct iommu_hwpt_invalidate	 inv = {
		.size = sizeof(inv), .hwpt_id = 5, .data_uptr = 0x4000,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		.entry_len = 24, .entry_num = 2,
	};
	const struct uapi_cmd		*c = uapi_cmd_find(IOMMU_HWPT_INVALIDATE);
	const struct uapi_struct	*v;
	struct uapi_buf			 b[UAPI_MAX_BUFS];

	ck_assert_int_eq(bufs_of(IOMMU_HWPT_INVALIDATE, &inv, sizeof(inv), b),
	    1);
	ck_assert_uint_eq(b[0].uaddr, 0x4000);
	ck_assert_uint_eq(b[0].len, 48);
	ck_assert_uint_eq(b[0].dir, UD_IN);
	ck_assert_ptr_nonnull(b[0].field->elem_type);
	ck_assert_str_eq(b[0].field->elem_type->name,
	    "iommu_hwpt_vtd_s1_invalidate");

	v = uapi_resolve(c->st, &inv, sizeof(inv));
	ck_assert_ptr_ne(v, c->st);

	/* The selftest type is ambiguous: no entry layout, same buffer. */
	inv.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	inv.entry_len = 8;
	ck_assert_ptr_eq(uapi_resolve(c->st, &inv, sizeof(inv)), c->st);
	ck_assert_int_eq(bufs_of(IOMMU_HWPT_INVALIDATE, &inv, sizeof(inv), b),
	    1);
	ck_assert_uint_eq(b[0].len, 16);
	ck_assert_ptr_null(b[0].field->elem_type);

	/* entry_num 0 is a probe: no buffer. */
	inv.entry_num = 0;
	ck_assert_int_eq(bufs_of(IOMMU_HWPT_INVALIDATE, &inv, sizeof(inv), b),
	    0);
}
END_TEST

START_TEST(test_bufs_dirty_bitmap)
{
	struct iommu_hwpt_get_dirty_bitmap	d = {
		.size = sizeof(d), .hwpt_id = 3, .iova = 1 << 24,
		.length = 128 * 4096, .page_size = 4096, .data = 0x5ff1,
	};
	struct uapi_buf				b[UAPI_MAX_BUFS];

	ck_assert_int_eq(bufs_of(IOMMU_HWPT_GET_DIRTY_BITMAP, &d, sizeof(d),
	    b), 1);
	ck_assert_uint_eq(b[0].uaddr, 0x5ff1);
	ck_assert_uint_eq(b[0].len, 16);
	ck_assert_uint_eq(b[0].dir, UD_INOUT);

	d.length = 130 * 4096;		/* rounds up to whole bytes */
	ck_assert_int_eq(bufs_of(IOMMU_HWPT_GET_DIRTY_BITMAP, &d, sizeof(d),
	    b), 1);
	ck_assert_uint_eq(b[0].len, 17);

	d.length = 3 * 4096;
	ck_assert_int_eq(bufs_of(IOMMU_HWPT_GET_DIRTY_BITMAP, &d, sizeof(d),
	    b), 1);
	ck_assert_uint_eq(b[0].len, 1);

	d.page_size = 0;		/* the command fails; no buffer */
	ck_assert_int_eq(bufs_of(IOMMU_HWPT_GET_DIRTY_BITMAP, &d, sizeof(d),
	    b), 0);
}
END_TEST

START_TEST(test_bufs_hwpt_alloc)
{
	struct iommu_hwpt_alloc	h = {
		.size = sizeof(h), .dev_id = 2, .pt_id = 3,
		.data_type = IOMMU_HWPT_DATA_SELFTEST, .data_len = 4,
		.data_uptr = 0x3000,
	};
	struct uapi_buf		b[UAPI_MAX_BUFS];

	ck_assert_int_eq(bufs_of(IOMMU_HWPT_ALLOC, &h, sizeof(h), b), 1);
	ck_assert_uint_eq(b[0].len, 4);
	ck_assert_uint_eq(b[0].dir, UD_IN);
	ck_assert_str_eq(b[0].field->elem_type->name, "iommu_hwpt_selftest");

	/* A 6.6 caller's 24-byte struct has no data at all. */
	ck_assert_int_eq(bufs_of(IOMMU_HWPT_ALLOC, &h, 24, b), 0);
}
END_TEST

START_TEST(test_bufs_hw_info)
{
	struct iommu_hw_info	i = {
		.size = sizeof(i), .dev_id = 2, .data_len = 8,
		.data_uptr = 0x2000,
	};
	struct uapi_buf		b[UAPI_MAX_BUFS];

	ck_assert_int_eq(bufs_of(IOMMU_GET_HW_INFO, &i, sizeof(i), b), 1);
	ck_assert_uint_eq(b[0].len, 8);
	ck_assert_uint_eq(b[0].dir, UD_OUT);
	i.data_len = 0;
	ck_assert_int_eq(bufs_of(IOMMU_GET_HW_INFO, &i, sizeof(i), b), 0);
}
END_TEST

START_TEST(test_bufs_test_cmd)
{
	struct iommu_test_cmd	cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_ACCESS_RW, .id = 7,
		.access_rw = { .iova = 1 << 24, .length = 100,
		    .uptr = 0x1234 },
	};
	struct uapi_buf		b[UAPI_MAX_BUFS];

	ck_assert_int_eq(bufs_of(IOMMU_TEST_CMD, &cmd, sizeof(cmd), b), 1);
	ck_assert_uint_eq(b[0].uaddr, 0x1234);
	ck_assert_uint_eq(b[0].len, 100);
	ck_assert_uint_eq(b[0].dir, UD_INOUT);
	ck_assert_str_eq(b[0].field->name, "access_rw.uptr");

	/* DIRTY: the bitmap is read. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.op = IOMMU_TEST_OP_DIRTY;
	cmd.dirty.length = 64 * 2048;
	cmd.dirty.page_size = 2048;
	cmd.dirty.uptr = 0x8000;
	ck_assert_int_eq(bufs_of(IOMMU_TEST_CMD, &cmd, sizeof(cmd), b), 1);
	ck_assert_uint_eq(b[0].len, 8);
	ck_assert_uint_eq(b[0].dir, UD_IN);

	/* CHECK_MAP: uptr is an address to compare, not a buffer. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.size = sizeof(cmd);
	cmd.op = IOMMU_TEST_OP_MD_CHECK_MAP;
	cmd.check_map.length = 4096;
	cmd.check_map.uptr = 0x8000;
	ck_assert_int_eq(bufs_of(IOMMU_TEST_CMD, &cmd, sizeof(cmd), b), 0);

	/* Unknown op: the plain layout, no buffers. */
	cmd.op = 999;
	ck_assert_int_eq(bufs_of(IOMMU_TEST_CMD, &cmd, sizeof(cmd), b), 0);
	/* The selector itself unknown (short struct): the plain layout. */
	ck_assert_ptr_eq(uapi_resolve(uapi_cmd_find(IOMMU_TEST_CMD)->st,
	    &cmd, 4), uapi_cmd_find(IOMMU_TEST_CMD)->st);
}
END_TEST

START_TEST(test_bufs_vfio)
{
	struct vfio_device_bind_iommufd	 bind = {
		.argsz = sizeof(bind), .flags = VFIO_DEVICE_BIND_FLAG_TOKEN,
		.iommufd = 3, .token_uuid_ptr = 0x6000,
	};
	const struct uapi_cmd		*c;
	struct uapi_buf			 b[UAPI_MAX_BUFS];

	ck_assert_int_eq(bufs_of(VFIO_DEVICE_BIND_IOMMUFD, &bind, sizeof(bind),
	    b), 1);
	ck_assert_uint_eq(b[0].len, 16);
	ck_assert_uint_eq(b[0].dir, UD_IN);

	/* GET_INFO: the argument is written up to argsz. */
	c = uapi_cmd_find(VFIO_IOMMU_GET_INFO);
	ck_assert_uint_eq(c->st->fields[0].buf_len, UB_BYTES);
	ck_assert_uint_eq(c->st->fields[0].buf_dir, UD_OUT);
	ck_assert_int_eq(c->st->fields[0].len_a, 0);
	/* So are GET_REGION_INFO and GET_PCI_HOT_RESET_INFO. */
	c = uapi_cmd_find_dev(VFIO_DEVICE_GET_REGION_INFO);
	ck_assert_uint_eq(c->st->fields[0].buf_len, UB_BYTES);
	ck_assert_int_eq(c->st->fields[0].len_a, 0);
	c = uapi_cmd_find_dev(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO);
	ck_assert_str_eq(c->name, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO");
	ck_assert_uint_eq(c->st->fields[0].buf_len, UB_BYTES);
	/* The number's /dev/iommu command stays what uapi_cmd_find() gives. */
	ck_assert_str_eq(uapi_cmd_find(0x3b70)->name, "VFIO_IOMMU_GET_INFO");
	ck_assert_str_eq(uapi_cmd_find_dev(VFIO_DEVICE_GET_INFO)->name,
	    "VFIO_DEVICE_GET_INFO");
}
END_TEST

/*
 * SET_IRQS names descriptors only with DATA_EVENTFD: every one but -1,
 * each once, only as far as the caller's struct reaches, and more than
 * the caller can carry is -ENOBUFS.
 */
START_TEST(test_fds_set_irqs)
{
	const struct uapi_cmd	*c;
	const int32_t		 fd[6] = { 7, -1, 9, 7, 0, -5 };
	union {
		struct vfio_irq_set	hdr;
		uint8_t			buf[sizeof(struct vfio_irq_set) +
					    sizeof(fd)];
	} s;
	int32_t			 out[8];
	size_t			 full = sizeof(s);

	c = uapi_cmd_find(VFIO_DEVICE_SET_IRQS);
	ck_assert_ptr_nonnull(c);
	memset(&s, 0, sizeof(s));
	s.hdr.argsz = sizeof(s);
	s.hdr.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.hdr.count = 6;
	memcpy(s.hdr.data, fd, sizeof(fd));
	ck_assert_int_eq(uapi_fds(c->st, &s, full, out, 8), 4);
	ck_assert_int_eq(out[0], 7);
	ck_assert_int_eq(out[1], 9);
	ck_assert_int_eq(out[2], 0);
	ck_assert_int_eq(out[3], -5);
	/* Fewer elements than count in the struct: only those. */
	ck_assert_int_eq(uapi_fds(c->st, &s, sizeof(s.hdr) + 12, out, 8), 2);
	/* A count below the elements present. */
	s.hdr.count = 1;
	ck_assert_int_eq(uapi_fds(c->st, &s, full, out, 8), 1);
	s.hdr.count = 6;
	ck_assert_int_eq(uapi_fds(c->st, &s, full, out, 3), -ENOBUFS);
	/* MASK and UNMASK with eventfds name them too. */
	s.hdr.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK;
	ck_assert_int_eq(uapi_fds(c->st, &s, full, out, 8), 4);
	/* Bytes, nothing, or an invalid mix of flags: no descriptors. */
	s.hdr.flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
	ck_assert_int_eq(uapi_fds(c->st, &s, full, out, 8), 0);
	s.hdr.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	ck_assert_int_eq(uapi_fds(c->st, &s, full, out, 8), 0);
	s.hdr.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER |
	    VFIO_IRQ_SET_ACTION_MASK;
	ck_assert_int_eq(uapi_fds(c->st, &s, full, out, 8), 0);
	/* A count near 2^32 is cut at the struct's end, not looped over. */
	s.hdr.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s.hdr.count = UINT32_MAX;
	ck_assert_int_eq(uapi_fds(c->st, &s, full, out, 8), 4);
	/* Other commands name none this way. */
	ck_assert_int_eq(uapi_fds(uapi_cmd_find(VFIO_DEVICE_GET_INFO)->st,
	    &s, full, out, 8), 0);
}
END_TEST

START_TEST(test_bufs_limits)
{
	struct iommu_ioas_allow_iovas	a = {
		.size = sizeof(a), .num_iovas = 0xffffffff,
		.allowed_iovas = 0x1000,
	};
	const struct uapi_cmd		*c = uapi_cmd_find(IOMMU_IOAS_ALLOW_IOVAS);
	struct uapi_buf			 b[1];

	/* Lengths are not capped here: the copy fails in the transport. */
	ck_assert_int_eq(uapi_bufs(c->st, &a, sizeof(a), b, 1), 1);
	ck_assert_uint_eq(b[0].len, 0xffffffffull * 16);
	/* More buffers than room. */
	ck_assert_int_eq(uapi_bufs(c->st, &a, sizeof(a), b, 0), -ENOBUFS);
	/* Bytes past len count as zero. */
	ck_assert_int_eq(uapi_bufs(c->st, &a, 16, b, 1), 0);
	/* No struct (VFIO_SET_IOMMU): no buffers. */
	ck_assert_int_eq(uapi_bufs(NULL, NULL, 0, b, 1), 0);
}
END_TEST

START_TEST(test_lookup)
{
	const struct uapi_cmd	*c;
	const struct uapi_field	*f;
	size_t			 i;

	for (i = 0; i < uapi_ncmds; i++) {
		if (uapi_cmds[i].devnode)
			ck_assert_ptr_eq(uapi_cmd_find_dev(uapi_cmds[i].num),
			    &uapi_cmds[i]);
		else
			ck_assert_ptr_eq(uapi_cmd_find(uapi_cmds[i].num),
			    &uapi_cmds[i]);
		ck_assert_ptr_eq(uapi_cmd_byname(uapi_cmds[i].name),
		    &uapi_cmds[i]);
	}
	ck_assert_ptr_null(uapi_cmd_find(_IO(';', 0x7f)));
	ck_assert_ptr_nonnull(uapi_cmd_find(_IO(';', 0x95)));
	ck_assert_ptr_null(uapi_cmd_find(_IO(';', 0x96)));
	ck_assert_ptr_null(uapi_cmd_find(_IO(';', 0x9f)));
	ck_assert_ptr_null(uapi_cmd_find(_IOWR(';', 0x80, uint32_t)));
	ck_assert_ptr_null(uapi_cmd_find(0));
	ck_assert_ptr_nonnull(uapi_cmd_byname("IOMMU_IOAS_NOIOMMU_GET_PA"));

	c = uapi_cmd_byname("IOMMU_IOAS_MAP");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->num, 0x3b85);
	f = uapi_field_byname(c->st, "user_va");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->off, 16);
	ck_assert_uint_eq(f->kind, UK_UVA);
	ck_assert_ptr_null(uapi_field_byname(c->st, "nope"));

	c = uapi_cmd_byname("IOMMU_GET_HW_INFO");
	f = uapi_field_byname(c->st, "out_max_pasid_log2");
	ck_assert_uint_eq(f->off, 28);
	ck_assert_uint_eq(f->width, 1);
}
END_TEST

/*
 * Every iommufd command has the level it appeared at, none past the
 * latest; what 6.12 lacked is after it; no other number has one (the
 * dispatcher would refuse ours at every level otherwise).
 */
START_TEST(test_since)
{
	unsigned long	 num;
	size_t		 i;

	for (i = 0; i < uapi_ncmds; i++) {
		num = uapi_cmds[i].num;
		/* Not the kernel's: device rows, type1, our extensions. */
		if (uapi_cmds[i].devnode || _IOC_TYPE(num) != ';' ||
		    _IOC_NR(num) < 0x80 ||
		    strncmp(uapi_cmds[i].name, "IOASIDD_", 8) == 0) {
			ck_assert_uint_eq(uapi_cmd_since(num), 0);
			continue;
		}
		ck_assert_uint_ge(uapi_cmd_since(num), 602);
		ck_assert_uint_le(uapi_cmd_since(num), UAPI_LEVEL_LATEST);
	}
	ck_assert_uint_le(uapi_cmd_since(IOMMU_FAULT_QUEUE_ALLOC),
	    UAPI_LEVEL_6_12);
	ck_assert_uint_gt(uapi_cmd_since(IOMMU_VIOMMU_ALLOC), UAPI_LEVEL_6_12);
	ck_assert_uint_gt(uapi_cmd_since(IOMMU_HW_QUEUE_ALLOC),
	    UAPI_LEVEL_6_12);
	ck_assert_uint_eq(uapi_cmd_since(_IO(';', 0x96)), 0);
}
END_TEST

/* Only the commands that map a caller address need its address space. */
START_TEST(test_maps_uva)
{
	ck_assert(uapi_cmd_maps_uva(uapi_cmd_find(IOMMU_IOAS_MAP)));
	ck_assert(uapi_cmd_maps_uva(uapi_cmd_find(VFIO_IOMMU_MAP_DMA)));
	ck_assert(uapi_cmd_maps_uva(uapi_cmd_find(IOMMU_TEST_CMD)));
	ck_assert(!uapi_cmd_maps_uva(uapi_cmd_find(IOMMU_IOAS_ALLOC)));
	ck_assert(!uapi_cmd_maps_uva(uapi_cmd_find(IOMMU_DESTROY)));
	ck_assert(!uapi_cmd_maps_uva(uapi_cmd_find(IOMMU_IOAS_MAP_FILE)));
	ck_assert(!uapi_cmd_maps_uva(uapi_cmd_find(VFIO_GET_API_VERSION)));
	ck_assert(!uapi_cmd_maps_uva(NULL));
}
END_TEST

START_TEST(test_get_set)
{
	const struct uapi_cmd	*c = uapi_cmd_find(IOMMU_GET_HW_INFO);
	struct iommu_hw_info	 i;
	const struct uapi_field	*f;

	memset(&i, 0, sizeof(i));
	f = uapi_field_byname(c->st, "out_capabilities");
	uapi_set(f, &i, 0x8000000000000005ull);
	ck_assert_uint_eq(i.out_capabilities, 0x8000000000000005ull);
	ck_assert_uint_eq(uapi_get(f, &i), 0x8000000000000005ull);

	f = uapi_field_byname(c->st, "out_max_pasid_log2");
	uapi_set(f, &i, 20);
	ck_assert_uint_eq(i.out_max_pasid_log2, 20);
	ck_assert_uint_eq(uapi_get(f, &i), 20);

	f = uapi_field_byname(c->st, "__reserved");
	ck_assert_uint_eq(f->width, 3);
	ck_assert_uint_eq(uapi_get(f, &i), 0);
	i.__reserved[2] = 1;
	ck_assert_uint_eq(uapi_get(f, &i), 0x10000);
	uapi_set(f, &i, 0x030201);
	ck_assert_uint_eq(i.__reserved[0], 1);
	ck_assert_uint_eq(i.__reserved[2], 3);
	ck_assert_uint_eq(i.out_max_pasid_log2, 20);

	c = uapi_cmd_find(IOMMU_OPTION);
	f = uapi_field_byname(c->st, "op");
	{
		struct iommu_option o = { .op = 1, .__reserved = 0xffff };

		ck_assert_uint_eq(uapi_get(f, &o), 1);
		uapi_set(f, &o, 0x10000);
		ck_assert_uint_eq(o.op, 0);
		ck_assert_uint_eq(o.__reserved, 0xffff);
	}
}
END_TEST

static Suite *
uapi_suite(void)
{
	Suite	*s = suite_create("uapi");
	TCase	*tc;

	tc = tcase_create("tables");
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_test_cmd_variants);
	suite_add_tcase(s, tc);

	tc = tcase_create("bufs");
	tcase_add_test(tc, test_bufs_iova);
	tcase_add_test(tc, test_bufs_invalidate);
	tcase_add_test(tc, test_bufs_dirty_bitmap);
	tcase_add_test(tc, test_bufs_hwpt_alloc);
	tcase_add_test(tc, test_bufs_hw_info);
	tcase_add_test(tc, test_bufs_test_cmd);
	tcase_add_test(tc, test_bufs_vfio);
	tcase_add_test(tc, test_bufs_limits);
	tcase_add_test(tc, test_fds_set_irqs);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_since);
	tcase_add_test(tc, test_get_set);
	tcase_add_test(tc, test_maps_uva);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(uapi_suite)
