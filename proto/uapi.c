/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The field tables of proto/uapi.h: one descriptor per ioctl struct that
 * /dev/iommu (and an emulated VFIO device node) accepts, and the few
 * functions that read them.
 *
 * Layout facts are checked twice. Offsets and sizes in the tables come
 * from offsetof() and sizeof() on our own headers, so the tables follow
 * the headers; and the _Static_assert block at the end compares the
 * headers with the literal numbers of the ABI, so a mistake in a header
 * stops the build instead of reaching a caller.
 *
 * Conventions a reader of the tables needs:
 *  - A struct whose driver data or entry format depends on a type field
 *    (HWPT_ALLOC, HWPT_INVALIDATE, VIOMMU_ALLOC) has variants selected by
 *    that field; the variants differ only in the elem_type of the pointer,
 *    so a transport may ignore them and a trace writer may use them.
 *    IOMMU_TEST_CMD has one variant per op, each naming its union member's
 *    fields as "member.field".
 *  - A UK_SIZE field (VFIO argsz) that carries buf_len UB_BYTES with
 *    len_a pointing at itself means the command writes the caller's
 *    argument beyond the struct, up to argsz bytes (VFIO_IOMMU_GET_INFO
 *    appends its capability chain): a transport returns argsz bytes, not
 *    sizeof. No UK_UPTR is involved, so uapi_bufs() does not list it.
 *  - Pointers the daemon only compares against or maps (MAP's user_va,
 *    the selftest's check_map/check_refs/access_pages uptr) are UK_UVA,
 *    not buffers: nothing is copied for them.
 *  - The selftest ACCESS_RW buffer is UD_INOUT: whether it is read or
 *    written depends on MOCK_ACCESS_RW_WRITE, which the table cannot
 *    express, so a transport sends it and takes it back. Likewise the
 *    dirty bitmap of GET_DIRTY_BITMAP is UD_INOUT: the kernel only sets
 *    bits and leaves the caller's other bits as they were.
 *  - VFIO_DEVICE_BIND_IOMMUFD's token is listed whenever token_uuid_ptr
 *    is non-zero, even without VFIO_DEVICE_BIND_FLAG_TOKEN; the daemon
 *    ignores it then.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "iommufd_test.h"
#include "ioasidd.h"
#include "ioasidd_coherency.h"
#include "ioasidd_pasid.h"
#include "ioasidd_enqcmd.h"
#include "uapi.h"

#define UAPI_NITEMS(a)		(sizeof(a) / sizeof((a)[0]))
#define UAPI_MEMBER(st, m)	(((struct st *)0)->m)
#define UAPI_ENDOF(st, m)	(offsetof(struct st, m) + \
				    sizeof(UAPI_MEMBER(st, m)))

/* A plain field. */
#define F(st, m, k, d) {						\
	.name = #m,							\
	.off = offsetof(struct st, m),					\
	.width = sizeof(UAPI_MEMBER(st, m)),				\
	.kind = (k),							\
	.dir = (d),							\
	.len_a = -1,							\
	.len_b = -1,							\
}

/* A pointer to a caller buffer; a and b are field indexes. */
#define P(st, m, bd, rule, a, b, el, et) {				\
	.name = #m,							\
	.off = offsetof(struct st, m),					\
	.width = sizeof(UAPI_MEMBER(st, m)),				\
	.kind = UK_UPTR,						\
	.dir = UD_IN,							\
	.buf_dir = (bd),						\
	.buf_len = (rule),						\
	.len_a = (a),							\
	.len_b = (b),							\
	.elem = (el),							\
	.elem_type = (et),						\
}

/* A struct without variants. */
#define S(nm, flds, sz, min) {						\
	.name = (nm),							\
	.size = (sz),							\
	.min_size = (min),						\
	.fields = (flds),						\
	.nfields = UAPI_NITEMS(flds),					\
	.sel = -1,							\
}

/* A struct whose field index sel picks one of vars. */
#define SV(nm, flds, sz, min, s, vars) {				\
	.name = (nm),							\
	.size = (sz),							\
	.min_size = (min),						\
	.fields = (flds),						\
	.nfields = UAPI_NITEMS(flds),					\
	.sel = (s),							\
	.nvariants = UAPI_NITEMS(vars),					\
	.variants = (vars),						\
}

/* The layout of a struct that is not an ioctl argument by itself. */
#define E(st, flds, min)	S(#st, flds, sizeof(struct st), min)

/*
 * Entry and driver-data layouts.
 */

static const struct uapi_field f_iova_range[] = {
	F(iommu_iova_range, start, UK_IOVA, UD_INOUT),
	F(iommu_iova_range, last, UK_IOVA, UD_INOUT),
};
static const struct uapi_struct st_iova_range =
    E(iommu_iova_range, f_iova_range, 16);

/* The records read from and written to a fault queue or vEVENTQ descriptor. */
static const struct uapi_field f_pgfault[] = {
	F(iommu_hwpt_pgfault, flags, UK_FLAGS, UD_OUT),
	F(iommu_hwpt_pgfault, dev_id, UK_ID, UD_OUT),
	F(iommu_hwpt_pgfault, pasid, UK_VALUE, UD_OUT),
	F(iommu_hwpt_pgfault, grpid, UK_VALUE, UD_OUT),
	F(iommu_hwpt_pgfault, perm, UK_FLAGS, UD_OUT),
	F(iommu_hwpt_pgfault, __reserved, UK_RESERVED, UD_OUT),
	F(iommu_hwpt_pgfault, addr, UK_IOVA, UD_OUT),
	F(iommu_hwpt_pgfault, length, UK_LEN, UD_OUT),
	F(iommu_hwpt_pgfault, cookie, UK_VALUE, UD_OUT),
};
static const struct uapi_struct st_pgfault =
    E(iommu_hwpt_pgfault, f_pgfault, 40);

static const struct uapi_field f_page_response[] = {
	F(iommu_hwpt_page_response, cookie, UK_VALUE, UD_IN),
	F(iommu_hwpt_page_response, code, UK_ENUM, UD_IN),
};
static const struct uapi_struct st_page_response =
    E(iommu_hwpt_page_response, f_page_response, 8);

static const struct uapi_field f_vevent_header[] = {
	F(iommufd_vevent_header, flags, UK_FLAGS, UD_OUT),
	F(iommufd_vevent_header, sequence, UK_VALUE, UD_OUT),
};
static const struct uapi_struct st_vevent_header =
    E(iommufd_vevent_header, f_vevent_header, 8);

static const struct uapi_field f_ioasidd_pasid_entry[] = {
	F(ioasidd_pasid_entry, vpasid, UK_VALUE, UD_OUT),
	F(ioasidd_pasid_entry, ppasid, UK_VALUE, UD_OUT),
	F(ioasidd_pasid_entry, users, UK_COUNT, UD_OUT),
	F(ioasidd_pasid_entry, __reserved, UK_RESERVED, UD_OUT),
};
static const struct uapi_struct st_ioasidd_pasid_entry =
    E(ioasidd_pasid_entry, f_ioasidd_pasid_entry, 16);

static const struct uapi_field f_ioasidd_enqcmd_entry[] = {
	F(ioasidd_enqcmd_entry, vpasid, UK_VALUE, UD_OUT),
	F(ioasidd_enqcmd_entry, ppasid, UK_VALUE, UD_OUT),
	F(ioasidd_enqcmd_entry, users, UK_COUNT, UD_OUT),
	F(ioasidd_enqcmd_entry, flags, UK_FLAGS, UD_OUT),
};
static const struct uapi_struct st_ioasidd_enqcmd_entry =
    E(ioasidd_enqcmd_entry, f_ioasidd_enqcmd_entry, 16);

static const struct uapi_field f_hwpt_vtd_s1[] = {
	F(iommu_hwpt_vtd_s1, flags, UK_FLAGS, UD_IN),
	F(iommu_hwpt_vtd_s1, pgtbl_addr, UK_VALUE, UD_IN),
	F(iommu_hwpt_vtd_s1, addr_width, UK_VALUE, UD_IN),
	F(iommu_hwpt_vtd_s1, __reserved, UK_RESERVED, UD_IN),
};
static const struct uapi_struct st_hwpt_vtd_s1 =
    E(iommu_hwpt_vtd_s1, f_hwpt_vtd_s1, 24);

static const struct uapi_field f_hwpt_arm_smmuv3[] = {
	F(iommu_hwpt_arm_smmuv3, ste, UK_BYTES, UD_IN),
};
static const struct uapi_struct st_hwpt_arm_smmuv3 =
    E(iommu_hwpt_arm_smmuv3, f_hwpt_arm_smmuv3, 16);

static const struct uapi_field f_hwpt_amd_guest[] = {
	F(iommu_hwpt_amd_guest, dte, UK_BYTES, UD_IN),
};
static const struct uapi_struct st_hwpt_amd_guest =
    E(iommu_hwpt_amd_guest, f_hwpt_amd_guest, 32);

static const struct uapi_field f_hwpt_selftest[] = {
	F(iommu_hwpt_selftest, iotlb, UK_VALUE, UD_IN),
	F(iommu_hwpt_selftest, pagetable_type, UK_ENUM, UD_IN),
};
static const struct uapi_struct st_hwpt_selftest =
    E(iommu_hwpt_selftest, f_hwpt_selftest, 4);

static const struct uapi_field f_vtd_s1_inv[] = {
	F(iommu_hwpt_vtd_s1_invalidate, addr, UK_IOVA, UD_IN),
	F(iommu_hwpt_vtd_s1_invalidate, npages, UK_COUNT, UD_IN),
	F(iommu_hwpt_vtd_s1_invalidate, flags, UK_FLAGS, UD_IN),
	F(iommu_hwpt_vtd_s1_invalidate, __reserved, UK_RESERVED, UD_IN),
};
static const struct uapi_struct st_vtd_s1_inv =
    E(iommu_hwpt_vtd_s1_invalidate, f_vtd_s1_inv, 24);

static const struct uapi_field f_smmuv3_inv[] = {
	F(iommu_viommu_arm_smmuv3_invalidate, cmd, UK_BYTES, UD_IN),
};
static const struct uapi_struct st_smmuv3_inv =
    E(iommu_viommu_arm_smmuv3_invalidate, f_smmuv3_inv, 16);

static const struct uapi_field f_vdata_tegra[] = {
	F(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_offset, UK_VALUE,
	    UD_OUT),
	F(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length, UK_LEN,
	    UD_OUT),
};
static const struct uapi_struct st_viommu_tegra =
    E(iommu_viommu_tegra241_cmdqv, f_vdata_tegra, 16);

static const struct uapi_field f_vdata_selftest[] = {
	F(iommu_viommu_selftest, in_data, UK_VALUE, UD_IN),
	F(iommu_viommu_selftest, out_data, UK_VALUE, UD_OUT),
	F(iommu_viommu_selftest, out_mmap_offset, UK_VALUE, UD_OUT),
	F(iommu_viommu_selftest, out_mmap_length, UK_LEN, UD_OUT),
};
static const struct uapi_struct st_viommu_selftest =
    E(iommu_viommu_selftest, f_vdata_selftest, 4);

/*
 * The iommufd commands, in command-index order.
 */

static const struct uapi_field f_destroy[] = {
	F(iommu_destroy, size, UK_SIZE, UD_IN),
	F(iommu_destroy, id, UK_ID, UD_IN),
};

static const struct uapi_field f_ioas_alloc[] = {
	F(iommu_ioas_alloc, size, UK_SIZE, UD_IN),
	F(iommu_ioas_alloc, flags, UK_FLAGS, UD_IN),
	F(iommu_ioas_alloc, out_ioas_id, UK_ID, UD_OUT),
};

static const struct uapi_field f_allow_iovas[] = {
	F(iommu_ioas_allow_iovas, size, UK_SIZE, UD_IN),
	F(iommu_ioas_allow_iovas, ioas_id, UK_ID, UD_IN),
	F(iommu_ioas_allow_iovas, num_iovas, UK_COUNT, UD_IN),	/* 2 */
	F(iommu_ioas_allow_iovas, __reserved, UK_RESERVED, UD_IN),
	P(iommu_ioas_allow_iovas, allowed_iovas, UD_IN, UB_COUNT, 2, -1,
	    sizeof(struct iommu_iova_range), &st_iova_range),
};

static const struct uapi_field f_ioas_copy[] = {
	F(iommu_ioas_copy, size, UK_SIZE, UD_IN),
	F(iommu_ioas_copy, flags, UK_FLAGS, UD_IN),
	F(iommu_ioas_copy, dst_ioas_id, UK_ID, UD_IN),
	F(iommu_ioas_copy, src_ioas_id, UK_ID, UD_IN),
	F(iommu_ioas_copy, length, UK_LEN, UD_IN),
	F(iommu_ioas_copy, dst_iova, UK_IOVA, UD_INOUT),
	F(iommu_ioas_copy, src_iova, UK_IOVA, UD_IN),
};

static const struct uapi_field f_iova_ranges[] = {
	F(iommu_ioas_iova_ranges, size, UK_SIZE, UD_IN),
	F(iommu_ioas_iova_ranges, ioas_id, UK_ID, UD_IN),
	F(iommu_ioas_iova_ranges, num_iovas, UK_COUNT, UD_INOUT), /* 2 */
	F(iommu_ioas_iova_ranges, __reserved, UK_RESERVED, UD_IN),
	P(iommu_ioas_iova_ranges, allowed_iovas, UD_OUT, UB_COUNT, 2, -1,
	    sizeof(struct iommu_iova_range), &st_iova_range),
	F(iommu_ioas_iova_ranges, out_iova_alignment, UK_VALUE, UD_OUT),
};

static const struct uapi_field f_ioas_map[] = {
	F(iommu_ioas_map, size, UK_SIZE, UD_IN),
	F(iommu_ioas_map, flags, UK_FLAGS, UD_IN),
	F(iommu_ioas_map, ioas_id, UK_ID, UD_IN),
	F(iommu_ioas_map, __reserved, UK_RESERVED, UD_IN),
	F(iommu_ioas_map, user_va, UK_UVA, UD_IN),
	F(iommu_ioas_map, length, UK_LEN, UD_IN),
	F(iommu_ioas_map, iova, UK_IOVA, UD_INOUT),
};

static const struct uapi_field f_ioas_unmap[] = {
	F(iommu_ioas_unmap, size, UK_SIZE, UD_IN),
	F(iommu_ioas_unmap, ioas_id, UK_ID, UD_IN),
	F(iommu_ioas_unmap, iova, UK_IOVA, UD_IN),
	F(iommu_ioas_unmap, length, UK_LEN, UD_INOUT),
};

static const struct uapi_field f_option[] = {
	F(iommu_option, size, UK_SIZE, UD_IN),
	F(iommu_option, option_id, UK_ENUM, UD_IN),
	F(iommu_option, op, UK_ENUM, UD_IN),
	F(iommu_option, __reserved, UK_RESERVED, UD_IN),
	F(iommu_option, object_id, UK_ID, UD_IN),
	F(iommu_option, val64, UK_VALUE, UD_INOUT),
};

static const struct uapi_field f_vfio_ioas[] = {
	F(iommu_vfio_ioas, size, UK_SIZE, UD_IN),
	F(iommu_vfio_ioas, ioas_id, UK_ID, UD_INOUT),
	F(iommu_vfio_ioas, op, UK_ENUM, UD_IN),
	F(iommu_vfio_ioas, __reserved, UK_RESERVED, UD_IN),
};

/* data_uptr is field 8, data_len field 7. */
#define HWPT_ALLOC_FIELDS(et)						\
	F(iommu_hwpt_alloc, size, UK_SIZE, UD_IN),			\
	F(iommu_hwpt_alloc, flags, UK_FLAGS, UD_IN),			\
	F(iommu_hwpt_alloc, dev_id, UK_ID, UD_IN),			\
	F(iommu_hwpt_alloc, pt_id, UK_ID, UD_IN),			\
	F(iommu_hwpt_alloc, out_hwpt_id, UK_ID, UD_OUT),		\
	F(iommu_hwpt_alloc, __reserved, UK_RESERVED, UD_IN),		\
	F(iommu_hwpt_alloc, data_type, UK_ENUM, UD_IN),			\
	F(iommu_hwpt_alloc, data_len, UK_LEN, UD_IN),			\
	P(iommu_hwpt_alloc, data_uptr, UD_IN, UB_BYTES, 7, -1, 0, (et)), \
	F(iommu_hwpt_alloc, fault_id, UK_ID, UD_IN),			\
	F(iommu_hwpt_alloc, __reserved2, UK_RESERVED, UD_IN)
#define HWPT_ALLOC_SEL	6

static const struct uapi_field f_hwpt_alloc[] = { HWPT_ALLOC_FIELDS(NULL) };
static const struct uapi_field f_hwpt_alloc_vtd[] = {
	HWPT_ALLOC_FIELDS(&st_hwpt_vtd_s1)
};
static const struct uapi_field f_hwpt_alloc_smmu[] = {
	HWPT_ALLOC_FIELDS(&st_hwpt_arm_smmuv3)
};
static const struct uapi_field f_hwpt_alloc_amd[] = {
	HWPT_ALLOC_FIELDS(&st_hwpt_amd_guest)
};
static const struct uapi_field f_hwpt_alloc_test[] = {
	HWPT_ALLOC_FIELDS(&st_hwpt_selftest)
};
#define HWPT_ALLOC_ST(nm, flds)						\
	S(nm, flds, sizeof(struct iommu_hwpt_alloc),			\
	    UAPI_ENDOF(iommu_hwpt_alloc, __reserved))
static const struct uapi_struct st_hwpt_alloc_vtd =
    HWPT_ALLOC_ST("iommu_hwpt_alloc.vtd_s1", f_hwpt_alloc_vtd);
static const struct uapi_struct st_hwpt_alloc_smmu =
    HWPT_ALLOC_ST("iommu_hwpt_alloc.arm_smmuv3", f_hwpt_alloc_smmu);
static const struct uapi_struct st_hwpt_alloc_amd =
    HWPT_ALLOC_ST("iommu_hwpt_alloc.amd_guest", f_hwpt_alloc_amd);
static const struct uapi_struct st_hwpt_alloc_test =
    HWPT_ALLOC_ST("iommu_hwpt_alloc.selftest", f_hwpt_alloc_test);
static const struct uapi_variant v_hwpt_alloc[] = {
	{ IOMMU_HWPT_DATA_VTD_S1, &st_hwpt_alloc_vtd },
	{ IOMMU_HWPT_DATA_ARM_SMMUV3, &st_hwpt_alloc_smmu },
	{ IOMMU_HWPT_DATA_AMD_GUEST, &st_hwpt_alloc_amd },
	{ IOMMU_HWPT_DATA_SELFTEST, &st_hwpt_alloc_test },
};

/*
 * GET_HW_INFO: the union in_data_type/out_data_type is one field, named
 * for its usual meaning; it is an input only with
 * IOMMU_HW_INFO_FLAG_INPUT_TYPE.
 */
static const struct uapi_field f_hw_info[] = {
	F(iommu_hw_info, size, UK_SIZE, UD_IN),
	F(iommu_hw_info, flags, UK_FLAGS, UD_IN),
	F(iommu_hw_info, dev_id, UK_ID, UD_IN),
	F(iommu_hw_info, data_len, UK_LEN, UD_INOUT),		/* 3 */
	P(iommu_hw_info, data_uptr, UD_OUT, UB_BYTES, 3, -1, 0, NULL),
	F(iommu_hw_info, out_data_type, UK_ENUM, UD_INOUT),
	F(iommu_hw_info, out_max_pasid_log2, UK_VALUE, UD_OUT),
	F(iommu_hw_info, __reserved, UK_RESERVED, UD_IN),
	F(iommu_hw_info, out_capabilities, UK_FLAGS, UD_OUT),
};

static const struct uapi_field f_set_dirty[] = {
	F(iommu_hwpt_set_dirty_tracking, size, UK_SIZE, UD_IN),
	F(iommu_hwpt_set_dirty_tracking, flags, UK_FLAGS, UD_IN),
	F(iommu_hwpt_set_dirty_tracking, hwpt_id, UK_ID, UD_IN),
	F(iommu_hwpt_set_dirty_tracking, __reserved, UK_RESERVED, UD_IN),
};

static const struct uapi_field f_get_dirty[] = {
	F(iommu_hwpt_get_dirty_bitmap, size, UK_SIZE, UD_IN),
	F(iommu_hwpt_get_dirty_bitmap, hwpt_id, UK_ID, UD_IN),
	F(iommu_hwpt_get_dirty_bitmap, flags, UK_FLAGS, UD_IN),
	F(iommu_hwpt_get_dirty_bitmap, __reserved, UK_RESERVED, UD_IN),
	F(iommu_hwpt_get_dirty_bitmap, iova, UK_IOVA, UD_IN),
	F(iommu_hwpt_get_dirty_bitmap, length, UK_LEN, UD_IN),	/* 5 */
	F(iommu_hwpt_get_dirty_bitmap, page_size, UK_LEN, UD_IN), /* 6 */
	P(iommu_hwpt_get_dirty_bitmap, data, UD_INOUT, UB_BITMAP, 5, 6, 0,
	    NULL),
};

/* data_uptr is field 2: entry_num (5) entries of entry_len (4) bytes. */
#define HWPT_INV_FIELDS(et)						\
	F(iommu_hwpt_invalidate, size, UK_SIZE, UD_IN),			\
	F(iommu_hwpt_invalidate, hwpt_id, UK_ID, UD_IN),		\
	P(iommu_hwpt_invalidate, data_uptr, UD_IN, UB_PRODUCT, 5, 4, 0, (et)), \
	F(iommu_hwpt_invalidate, data_type, UK_ENUM, UD_IN),		\
	F(iommu_hwpt_invalidate, entry_len, UK_LEN, UD_IN),		\
	F(iommu_hwpt_invalidate, entry_num, UK_COUNT, UD_INOUT),	\
	F(iommu_hwpt_invalidate, __reserved, UK_RESERVED, UD_IN)
#define HWPT_INV_SEL	3

static const struct uapi_field f_hwpt_inv[] = { HWPT_INV_FIELDS(NULL) };
static const struct uapi_field f_hwpt_inv_vtd[] = {
	HWPT_INV_FIELDS(&st_vtd_s1_inv)
};
static const struct uapi_field f_hwpt_inv_smmu[] = {
	HWPT_INV_FIELDS(&st_smmuv3_inv)
};
static const struct uapi_struct st_hwpt_inv_vtd =
    S("iommu_hwpt_invalidate.vtd_s1", f_hwpt_inv_vtd,
    sizeof(struct iommu_hwpt_invalidate),
    sizeof(struct iommu_hwpt_invalidate));
static const struct uapi_struct st_hwpt_inv_smmu =
    S("iommu_hwpt_invalidate.arm_smmuv3", f_hwpt_inv_smmu,
    sizeof(struct iommu_hwpt_invalidate),
    sizeof(struct iommu_hwpt_invalidate));
/*
 * The selftest's nested-HWPT and vIOMMU entry formats share one type
 * value (0xdeadbeef) and differ in length, so that value has no variant:
 * only the target object tells them apart.
 */
static const struct uapi_variant v_hwpt_inv[] = {
	{ IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, &st_hwpt_inv_vtd },
	{ IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, &st_hwpt_inv_smmu },
};

static const struct uapi_field f_fault_alloc[] = {
	F(iommu_fault_alloc, size, UK_SIZE, UD_IN),
	F(iommu_fault_alloc, flags, UK_FLAGS, UD_IN),
	F(iommu_fault_alloc, out_fault_id, UK_ID, UD_OUT),
	F(iommu_fault_alloc, out_fault_fd, UK_FD, UD_OUT),
};

static const struct uapi_field f_map_file[] = {
	F(iommu_ioas_map_file, size, UK_SIZE, UD_IN),
	F(iommu_ioas_map_file, flags, UK_FLAGS, UD_IN),
	F(iommu_ioas_map_file, ioas_id, UK_ID, UD_IN),
	F(iommu_ioas_map_file, fd, UK_FD, UD_IN),
	F(iommu_ioas_map_file, start, UK_VALUE, UD_IN),
	F(iommu_ioas_map_file, length, UK_LEN, UD_IN),
	F(iommu_ioas_map_file, iova, UK_IOVA, UD_INOUT),
};

/* data_uptr is field 8, data_len field 6; the data is read and written. */
#define VIOMMU_FIELDS(et)						\
	F(iommu_viommu_alloc, size, UK_SIZE, UD_IN),			\
	F(iommu_viommu_alloc, flags, UK_FLAGS, UD_IN),			\
	F(iommu_viommu_alloc, type, UK_ENUM, UD_IN),			\
	F(iommu_viommu_alloc, dev_id, UK_ID, UD_IN),			\
	F(iommu_viommu_alloc, hwpt_id, UK_ID, UD_IN),			\
	F(iommu_viommu_alloc, out_viommu_id, UK_ID, UD_OUT),		\
	F(iommu_viommu_alloc, data_len, UK_LEN, UD_IN),			\
	F(iommu_viommu_alloc, __reserved, UK_RESERVED, UD_IN),		\
	P(iommu_viommu_alloc, data_uptr, UD_INOUT, UB_BYTES, 6, -1, 0, (et))
#define VIOMMU_SEL	2

static const struct uapi_field f_viommu[] = { VIOMMU_FIELDS(NULL) };
static const struct uapi_field f_viommu_tegra[] = {
	VIOMMU_FIELDS(&st_viommu_tegra)
};
static const struct uapi_field f_viommu_test[] = {
	VIOMMU_FIELDS(&st_viommu_selftest)
};
#define VIOMMU_ST(nm, flds)						\
	S(nm, flds, sizeof(struct iommu_viommu_alloc),			\
	    UAPI_ENDOF(iommu_viommu_alloc, out_viommu_id))
static const struct uapi_struct st_viommu_alloc_tegra =
    VIOMMU_ST("iommu_viommu_alloc.tegra241_cmdqv", f_viommu_tegra);
static const struct uapi_struct st_viommu_alloc_test =
    VIOMMU_ST("iommu_viommu_alloc.selftest", f_viommu_test);
static const struct uapi_variant v_viommu[] = {
	{ IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, &st_viommu_alloc_tegra },
	{ IOMMU_VIOMMU_TYPE_SELFTEST, &st_viommu_alloc_test },
};

static const struct uapi_field f_vdevice[] = {
	F(iommu_vdevice_alloc, size, UK_SIZE, UD_IN),
	F(iommu_vdevice_alloc, viommu_id, UK_ID, UD_IN),
	F(iommu_vdevice_alloc, dev_id, UK_ID, UD_IN),
	F(iommu_vdevice_alloc, out_vdevice_id, UK_ID, UD_OUT),
	F(iommu_vdevice_alloc, virt_id, UK_VALUE, UD_IN),
};

static const struct uapi_field f_change_process[] = {
	F(iommu_ioas_change_process, size, UK_SIZE, UD_IN),
	F(iommu_ioas_change_process, __reserved, UK_RESERVED, UD_IN),
};

static const struct uapi_field f_veventq[] = {
	F(iommu_veventq_alloc, size, UK_SIZE, UD_IN),
	F(iommu_veventq_alloc, flags, UK_FLAGS, UD_IN),
	F(iommu_veventq_alloc, viommu_id, UK_ID, UD_IN),
	F(iommu_veventq_alloc, type, UK_ENUM, UD_IN),
	F(iommu_veventq_alloc, veventq_depth, UK_COUNT, UD_IN),
	F(iommu_veventq_alloc, out_veventq_id, UK_ID, UD_OUT),
	F(iommu_veventq_alloc, out_veventq_fd, UK_FD, UD_OUT),
	F(iommu_veventq_alloc, __reserved, UK_RESERVED, UD_IN),
};

static const struct uapi_field f_hw_queue[] = {
	F(iommu_hw_queue_alloc, size, UK_SIZE, UD_IN),
	F(iommu_hw_queue_alloc, flags, UK_FLAGS, UD_IN),
	F(iommu_hw_queue_alloc, viommu_id, UK_ID, UD_IN),
	F(iommu_hw_queue_alloc, type, UK_ENUM, UD_IN),
	F(iommu_hw_queue_alloc, index, UK_VALUE, UD_IN),
	F(iommu_hw_queue_alloc, out_hw_queue_id, UK_ID, UD_OUT),
	F(iommu_hw_queue_alloc, nesting_parent_iova, UK_IOVA, UD_IN),
	F(iommu_hw_queue_alloc, length, UK_LEN, UD_IN),
};

static const struct uapi_field f_noiommu_get_pa[] = {
	F(iommu_ioas_noiommu_get_pa, size, UK_SIZE, UD_IN),
	F(iommu_ioas_noiommu_get_pa, flags, UK_FLAGS, UD_IN),
	F(iommu_ioas_noiommu_get_pa, ioas_id, UK_ID, UD_IN),
	F(iommu_ioas_noiommu_get_pa, __reserved, UK_RESERVED, UD_IN),
	F(iommu_ioas_noiommu_get_pa, iova, UK_IOVA, UD_IN),
	F(iommu_ioas_noiommu_get_pa, length, UK_LEN, UD_INOUT),
	F(iommu_ioas_noiommu_get_pa, out_phys, UK_VALUE, UD_OUT),
};

static const struct uapi_field f_ioasidd_mmap[] = {
	F(ioasidd_mmap, size, UK_SIZE, UD_IN),
	F(ioasidd_mmap, flags, UK_FLAGS, UD_IN),
	F(ioasidd_mmap, offset, UK_VALUE, UD_IN),
	F(ioasidd_mmap, length, UK_LEN, UD_IN),
	F(ioasidd_mmap, out_fd, UK_FD, UD_OUT),
	F(ioasidd_mmap, __reserved, UK_RESERVED, UD_IN),
};

/* A device region's bytes: length of them at data_uptr, one way each. */
static const struct uapi_field f_ioasidd_coherency[] = {
	F(ioasidd_coherency, size, UK_SIZE, UD_IN),
	F(ioasidd_coherency, flags, UK_FLAGS, UD_IN),
	F(ioasidd_coherency, out_flags, UK_FLAGS, UD_OUT),
	F(ioasidd_coherency, out_attached, UK_COUNT, UD_OUT),
	F(ioasidd_coherency, out_noncoherent, UK_COUNT, UD_OUT),
	F(ioasidd_coherency, out_nosnoop, UK_COUNT, UD_OUT),
	F(ioasidd_coherency, out_changes, UK_VALUE, UD_OUT),
};
static const struct uapi_field f_ioasidd_pasids[] = {
	F(ioasidd_pasids, size, UK_SIZE, UD_IN),
	F(ioasidd_pasids, flags, UK_FLAGS, UD_IN),
	F(ioasidd_pasids, num_entries, UK_COUNT, UD_INOUT),	/* 2 */
	F(ioasidd_pasids, __reserved, UK_RESERVED, UD_IN),
	P(ioasidd_pasids, entries, UD_OUT, UB_COUNT, 2, -1,
	    sizeof(struct ioasidd_pasid_entry), &st_ioasidd_pasid_entry),
};
static const struct uapi_field f_ioasidd_enqcmd[] = {
	F(ioasidd_enqcmd, size, UK_SIZE, UD_IN),
	F(ioasidd_enqcmd, flags, UK_FLAGS, UD_IN),
	F(ioasidd_enqcmd, dev_id, UK_ID, UD_IN),
	F(ioasidd_enqcmd, num_entries, UK_COUNT, UD_INOUT),	/* 3 */
	F(ioasidd_enqcmd, out_pid, UK_VALUE, UD_OUT),
	F(ioasidd_enqcmd, out_devices, UK_COUNT, UD_OUT),
	F(ioasidd_enqcmd, out_vm_id, UK_VALUE, UD_OUT),
	P(ioasidd_enqcmd, entries, UD_OUT, UB_COUNT, 3, -1,
	    sizeof(struct ioasidd_enqcmd_entry), &st_ioasidd_enqcmd_entry),
};

static const struct uapi_field f_ioasidd_region_read[] = {
	F(ioasidd_region_rw, argsz, UK_SIZE, UD_IN),
	F(ioasidd_region_rw, flags, UK_FLAGS, UD_IN),
	F(ioasidd_region_rw, offset, UK_VALUE, UD_IN),
	F(ioasidd_region_rw, length, UK_LEN, UD_IN),
	P(ioasidd_region_rw, data_uptr, UD_OUT, UB_BYTES, 3, -1, 1, NULL),
};

static const struct uapi_field f_ioasidd_kvm_file[] = {
	F(ioasidd_kvm_file, argsz, UK_SIZE, UD_IN),
	F(ioasidd_kvm_file, op, UK_ENUM, UD_IN),
	F(ioasidd_kvm_file, flags, UK_FLAGS, UD_IN),
	F(ioasidd_kvm_file, pid, UK_VALUE, UD_IN),
	F(ioasidd_kvm_file, kvm_fd, UK_VALUE, UD_IN),
	F(ioasidd_kvm_file, __reserved, UK_RESERVED, UD_IN),
	F(ioasidd_kvm_file, vm_id, UK_VALUE, UD_IN),
};

static const struct uapi_field f_ioasidd_region_write[] = {
	F(ioasidd_region_rw, argsz, UK_SIZE, UD_IN),
	F(ioasidd_region_rw, flags, UK_FLAGS, UD_IN),
	F(ioasidd_region_rw, offset, UK_VALUE, UD_IN),
	F(ioasidd_region_rw, length, UK_LEN, UD_IN),
	P(ioasidd_region_rw, data_uptr, UD_IN, UB_BYTES, 3, -1, 1, NULL),
};

/*
 * IOMMU_TEST_CMD: the unresolved layout shows the union as bytes; each op
 * has a variant that names its member's fields. Every variant starts with
 * the same four fields (so "op" is field 1 everywhere) and ends with
 * "last".
 */
#define T_HEAD(idkind)							\
	F(iommu_test_cmd, size, UK_SIZE, UD_IN),			\
	F(iommu_test_cmd, op, UK_ENUM, UD_IN),				\
	F(iommu_test_cmd, id, (idkind), UD_IN),				\
	F(iommu_test_cmd, __reserved, UK_RESERVED, UD_IN)
#define T_TAIL								\
	F(iommu_test_cmd, last, UK_RESERVED, UD_IN)
#define T(m, k, d)	F(iommu_test_cmd, m, k, d)
#define TEST_SEL	1

static const struct uapi_field f_test[] = {
	T_HEAD(UK_ID),
	{ .name = "union", .off = 16, .width = 48, .kind = UK_BYTES,
	  .dir = UD_INOUT, .len_a = -1, .len_b = -1 },
	T_TAIL,
};

static const struct uapi_field ft_add_reserved[] = {
	T_HEAD(UK_ID),
	T(add_reserved.start, UK_IOVA, UD_IN),
	T(add_reserved.length, UK_LEN, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_mock_domain[] = {
	T_HEAD(UK_ID),
	T(mock_domain.out_stdev_id, UK_ID, UD_OUT),
	T(mock_domain.out_hwpt_id, UK_ID, UD_OUT),
	T(mock_domain.out_idev_id, UK_ID, UD_OUT),
	T_TAIL,
};
static const struct uapi_field ft_check_map[] = {
	T_HEAD(UK_ID),
	T(check_map.iova, UK_IOVA, UD_IN),
	T(check_map.length, UK_LEN, UD_IN),
	T(check_map.uptr, UK_UVA, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_check_refs[] = {
	T_HEAD(UK_ID),
	T(check_refs.length, UK_LEN, UD_IN),
	T(check_refs.uptr, UK_UVA, UD_IN),
	T(check_refs.refs, UK_COUNT, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_create_access[] = {
	T_HEAD(UK_ID),
	T(create_access.out_access_fd, UK_FD, UD_OUT),
	T(create_access.flags, UK_FLAGS, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_destroy_access_pages[] = {
	T_HEAD(UK_FD),
	T(destroy_access_pages.access_pages_id, UK_ID, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_access_pages[] = {
	T_HEAD(UK_FD),
	T(access_pages.flags, UK_FLAGS, UD_IN),
	T(access_pages.out_access_pages_id, UK_ID, UD_OUT),
	T(access_pages.iova, UK_IOVA, UD_IN),
	T(access_pages.length, UK_LEN, UD_IN),
	T(access_pages.uptr, UK_UVA, UD_IN),
	T_TAIL,
};
/* The buffer at uptr is access_rw.length (field 5) bytes. */
static const struct uapi_field ft_access_rw[] = {
	T_HEAD(UK_FD),
	T(access_rw.iova, UK_IOVA, UD_IN),
	T(access_rw.length, UK_LEN, UD_IN),
	P(iommu_test_cmd, access_rw.uptr, UD_INOUT, UB_BYTES, 5, -1, 0, NULL),
	T(access_rw.flags, UK_FLAGS, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_memory_limit[] = {
	T_HEAD(UK_ID),
	T(memory_limit.limit, UK_COUNT, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_mock_domain_replace[] = {
	T_HEAD(UK_ID),
	T(mock_domain_replace.pt_id, UK_ID, UD_INOUT),
	T_TAIL,
};
static const struct uapi_field ft_access_replace_ioas[] = {
	T_HEAD(UK_FD),
	T(access_replace_ioas.ioas_id, UK_ID, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_mock_domain_flags[] = {
	T_HEAD(UK_ID),
	T(mock_domain_flags.out_stdev_id, UK_ID, UD_OUT),
	T(mock_domain_flags.out_hwpt_id, UK_ID, UD_OUT),
	T(mock_domain_flags.out_idev_id, UK_ID, UD_OUT),
	T(mock_domain_flags.dev_flags, UK_FLAGS, UD_IN),
	T_TAIL,
};
/* The bitmap at uptr covers dirty.length (6) in dirty.page_size (7). */
static const struct uapi_field ft_dirty[] = {
	T_HEAD(UK_ID),
	T(dirty.flags, UK_FLAGS, UD_IN),
	T(dirty.iova, UK_IOVA, UD_IN),
	T(dirty.length, UK_LEN, UD_IN),
	T(dirty.page_size, UK_LEN, UD_IN),
	P(iommu_test_cmd, dirty.uptr, UD_IN, UB_BITMAP, 6, 7, 0, NULL),
	T(dirty.out_nr_dirty, UK_COUNT, UD_OUT),
	T_TAIL,
};
static const struct uapi_field ft_check_iotlb[] = {
	T_HEAD(UK_ID),
	T(check_iotlb.id, UK_VALUE, UD_IN),
	T(check_iotlb.iotlb, UK_VALUE, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_trigger_iopf[] = {
	T_HEAD(UK_ID),
	T(trigger_iopf.dev_id, UK_ID, UD_IN),
	T(trigger_iopf.pasid, UK_VALUE, UD_IN),
	T(trigger_iopf.grpid, UK_VALUE, UD_IN),
	T(trigger_iopf.perm, UK_FLAGS, UD_IN),
	T(trigger_iopf.addr, UK_IOVA, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_check_dev_cache[] = {
	T_HEAD(UK_ID),
	T(check_dev_cache.id, UK_VALUE, UD_IN),
	T(check_dev_cache.cache, UK_VALUE, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_trigger_vevent[] = {
	T_HEAD(UK_ID),
	T(trigger_vevent.dev_id, UK_ID, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_pasid_attach[] = {
	T_HEAD(UK_ID),
	T(pasid_attach.pasid, UK_VALUE, UD_IN),
	T(pasid_attach.pt_id, UK_ID, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_pasid_replace[] = {
	T_HEAD(UK_ID),
	T(pasid_replace.pasid, UK_VALUE, UD_IN),
	T(pasid_replace.pt_id, UK_ID, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_pasid_detach[] = {
	T_HEAD(UK_ID),
	T(pasid_detach.pasid, UK_VALUE, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_pasid_check[] = {
	T_HEAD(UK_ID),
	T(pasid_check.pasid, UK_VALUE, UD_IN),
	T(pasid_check.hwpt_id, UK_ID, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_dmabuf_get[] = {
	T_HEAD(UK_ID),
	T(dmabuf_get.length, UK_LEN, UD_IN),
	T(dmabuf_get.open_flags, UK_FLAGS, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_dmabuf_revoke[] = {
	T_HEAD(UK_ID),
	T(dmabuf_revoke.dmabuf_fd, UK_FD, UD_IN),
	T(dmabuf_revoke.revoked, UK_VALUE, UD_IN),
	T_TAIL,
};
static const struct uapi_field ft_check_dmabuf[] = {
	T_HEAD(UK_ID),
	T(check_dmabuf.dmabuf_fd, UK_FD, UD_IN),
	T(check_dmabuf.iova, UK_IOVA, UD_IN),
	T(check_dmabuf.length, UK_LEN, UD_IN),
	T(check_dmabuf.offset, UK_VALUE, UD_IN),
	T_TAIL,
};

#define TEST_ST(m, flds)						\
	S("iommu_test_cmd." #m, flds, sizeof(struct iommu_test_cmd),	\
	    UAPI_ENDOF(iommu_test_cmd, last))

static const struct uapi_struct st_t_add_reserved =
    TEST_ST(add_reserved, ft_add_reserved);
static const struct uapi_struct st_t_mock_domain =
    TEST_ST(mock_domain, ft_mock_domain);
static const struct uapi_struct st_t_check_map =
    TEST_ST(check_map, ft_check_map);
static const struct uapi_struct st_t_check_refs =
    TEST_ST(check_refs, ft_check_refs);
static const struct uapi_struct st_t_create_access =
    TEST_ST(create_access, ft_create_access);
static const struct uapi_struct st_t_destroy_access_pages =
    TEST_ST(destroy_access_pages, ft_destroy_access_pages);
static const struct uapi_struct st_t_access_pages =
    TEST_ST(access_pages, ft_access_pages);
static const struct uapi_struct st_t_access_rw =
    TEST_ST(access_rw, ft_access_rw);
static const struct uapi_struct st_t_memory_limit =
    TEST_ST(memory_limit, ft_memory_limit);
static const struct uapi_struct st_t_mock_domain_replace =
    TEST_ST(mock_domain_replace, ft_mock_domain_replace);
static const struct uapi_struct st_t_access_replace_ioas =
    TEST_ST(access_replace_ioas, ft_access_replace_ioas);
static const struct uapi_struct st_t_mock_domain_flags =
    TEST_ST(mock_domain_flags, ft_mock_domain_flags);
static const struct uapi_struct st_t_dirty =
    TEST_ST(dirty, ft_dirty);
static const struct uapi_struct st_t_check_iotlb =
    TEST_ST(check_iotlb, ft_check_iotlb);
static const struct uapi_struct st_t_trigger_iopf =
    TEST_ST(trigger_iopf, ft_trigger_iopf);
static const struct uapi_struct st_t_check_dev_cache =
    TEST_ST(check_dev_cache, ft_check_dev_cache);
static const struct uapi_struct st_t_trigger_vevent =
    TEST_ST(trigger_vevent, ft_trigger_vevent);
static const struct uapi_struct st_t_pasid_attach =
    TEST_ST(pasid_attach, ft_pasid_attach);
static const struct uapi_struct st_t_pasid_replace =
    TEST_ST(pasid_replace, ft_pasid_replace);
static const struct uapi_struct st_t_pasid_detach =
    TEST_ST(pasid_detach, ft_pasid_detach);
static const struct uapi_struct st_t_pasid_check =
    TEST_ST(pasid_check, ft_pasid_check);
static const struct uapi_struct st_t_dmabuf_get =
    TEST_ST(dmabuf_get, ft_dmabuf_get);
static const struct uapi_struct st_t_dmabuf_revoke =
    TEST_ST(dmabuf_revoke, ft_dmabuf_revoke);
static const struct uapi_struct st_t_check_dmabuf =
    TEST_ST(check_dmabuf, ft_check_dmabuf);

static const struct uapi_variant v_test[] = {
	{ IOMMU_TEST_OP_ADD_RESERVED, &st_t_add_reserved },
	{ IOMMU_TEST_OP_MOCK_DOMAIN, &st_t_mock_domain },
	{ IOMMU_TEST_OP_MD_CHECK_MAP, &st_t_check_map },
	{ IOMMU_TEST_OP_MD_CHECK_REFS, &st_t_check_refs },
	{ IOMMU_TEST_OP_CREATE_ACCESS, &st_t_create_access },
	{ IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, &st_t_destroy_access_pages },
	{ IOMMU_TEST_OP_ACCESS_PAGES, &st_t_access_pages },
	{ IOMMU_TEST_OP_ACCESS_RW, &st_t_access_rw },
	{ IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, &st_t_memory_limit },
	{ IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, &st_t_mock_domain_replace },
	{ IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, &st_t_access_replace_ioas },
	{ IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, &st_t_mock_domain_flags },
	{ IOMMU_TEST_OP_DIRTY, &st_t_dirty },
	{ IOMMU_TEST_OP_MD_CHECK_IOTLB, &st_t_check_iotlb },
	{ IOMMU_TEST_OP_TRIGGER_IOPF, &st_t_trigger_iopf },
	{ IOMMU_TEST_OP_DEV_CHECK_CACHE, &st_t_check_dev_cache },
	{ IOMMU_TEST_OP_TRIGGER_VEVENT, &st_t_trigger_vevent },
	{ IOMMU_TEST_OP_PASID_ATTACH, &st_t_pasid_attach },
	{ IOMMU_TEST_OP_PASID_REPLACE, &st_t_pasid_replace },
	{ IOMMU_TEST_OP_PASID_DETACH, &st_t_pasid_detach },
	{ IOMMU_TEST_OP_PASID_CHECK_HWPT, &st_t_pasid_check },
	{ IOMMU_TEST_OP_DMABUF_GET, &st_t_dmabuf_get },
	{ IOMMU_TEST_OP_DMABUF_REVOKE, &st_t_dmabuf_revoke },
	{ IOMMU_TEST_OP_MD_CHECK_DMABUF, &st_t_check_dmabuf },
};

/*
 * VFIO device cdev commands (on /dev/vfio/devices/vfioN).
 */

/* token_uuid_ptr: a 16-byte UUID, read only with the TOKEN flag. */
static const struct uapi_field f_vfio_bind[] = {
	F(vfio_device_bind_iommufd, argsz, UK_SIZE, UD_IN),
	F(vfio_device_bind_iommufd, flags, UK_FLAGS, UD_IN),
	F(vfio_device_bind_iommufd, iommufd, UK_FD, UD_IN),
	F(vfio_device_bind_iommufd, out_devid, UK_ID, UD_OUT),
	P(vfio_device_bind_iommufd, token_uuid_ptr, UD_IN, UB_FIXED, -1, -1,
	    16, NULL),
};

static const struct uapi_field f_vfio_attach[] = {
	F(vfio_device_attach_iommufd_pt, argsz, UK_SIZE, UD_IN),
	F(vfio_device_attach_iommufd_pt, flags, UK_FLAGS, UD_IN),
	F(vfio_device_attach_iommufd_pt, pt_id, UK_ID, UD_INOUT),
	F(vfio_device_attach_iommufd_pt, pasid, UK_VALUE, UD_IN),
};

static const struct uapi_field f_vfio_detach[] = {
	F(vfio_device_detach_iommufd_pt, argsz, UK_SIZE, UD_IN),
	F(vfio_device_detach_iommufd_pt, flags, UK_FLAGS, UD_IN),
	F(vfio_device_detach_iommufd_pt, pasid, UK_VALUE, UD_IN),
};

/* GET_INFO writes the struct up to argsz; no capability chain. */
static const struct uapi_field f_vfio_dev_info[] = {
	F(vfio_device_info, argsz, UK_SIZE, UD_INOUT),
	F(vfio_device_info, flags, UK_FLAGS, UD_OUT),
	F(vfio_device_info, num_regions, UK_VALUE, UD_OUT),
	F(vfio_device_info, num_irqs, UK_VALUE, UD_OUT),
	F(vfio_device_info, cap_offset, UK_VALUE, UD_OUT),
};

/*
 * SET_IRQS: argsz bytes, the fixed part then count elements of data.
 * With DATA_EVENTFD (and one action, as the only valid forms have) the
 * data are descriptors, -1 for none, which travel as descriptors; with
 * DATA_BOOL or DATA_NONE they are bytes or nothing, read with the struct.
 */
#define IRQ_SET_HEAD							\
	F(vfio_irq_set, argsz, UK_SIZE, UD_IN),				\
	F(vfio_irq_set, flags, UK_FLAGS, UD_IN),			\
	F(vfio_irq_set, index, UK_VALUE, UD_IN),			\
	F(vfio_irq_set, start, UK_VALUE, UD_IN),			\
	F(vfio_irq_set, count, UK_COUNT, UD_IN)

static const struct uapi_field f_vfio_irq_set[] = {
	IRQ_SET_HEAD,
};

static const struct uapi_field f_vfio_irq_set_fds[] = {
	IRQ_SET_HEAD,
	{ .name = "data", .off = offsetof(struct vfio_irq_set, data),
	  .width = sizeof(int32_t), .kind = UK_FDS, .dir = UD_IN,
	  .len_a = 4, .len_b = -1, .elem = sizeof(int32_t) },
};

static const struct uapi_struct st_vfio_irq_set_fds =
    S("vfio_irq_set", f_vfio_irq_set_fds, sizeof(struct vfio_irq_set),
    sizeof(struct vfio_irq_set));

static const struct uapi_variant v_vfio_irq_set[] = {
	{ VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK,
	  &st_vfio_irq_set_fds },
	{ VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
	  &st_vfio_irq_set_fds },
	{ VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
	  &st_vfio_irq_set_fds },
};

static const struct uapi_struct st_vfio_irq_set =
    SV("vfio_irq_set", f_vfio_irq_set, sizeof(struct vfio_irq_set),
    sizeof(struct vfio_irq_set), 1, v_vfio_irq_set);

/*
 * GET_REGION_INFO may append a capability chain up to argsz (the argsz
 * mark, as VFIO_IOMMU_GET_INFO's); our regions have none, so only the
 * struct is written, but a transport returns argsz bytes.
 */
static const struct uapi_field f_vfio_region_info[] = {
	{ .name = "argsz",
	  .off = offsetof(struct vfio_region_info, argsz),
	  .width = 4, .kind = UK_SIZE, .dir = UD_INOUT,
	  .buf_dir = UD_OUT, .buf_len = UB_BYTES, .len_a = 0, .len_b = -1 },
	F(vfio_region_info, flags, UK_FLAGS, UD_OUT),
	F(vfio_region_info, index, UK_VALUE, UD_IN),
	F(vfio_region_info, cap_offset, UK_VALUE, UD_OUT),
	F(vfio_region_info, size, UK_VALUE, UD_OUT),
	F(vfio_region_info, offset, UK_VALUE, UD_OUT),
};

static const struct uapi_field f_vfio_irq_info[] = {
	F(vfio_irq_info, argsz, UK_SIZE, UD_INOUT),
	F(vfio_irq_info, flags, UK_FLAGS, UD_OUT),
	F(vfio_irq_info, index, UK_VALUE, UD_IN),
	F(vfio_irq_info, count, UK_VALUE, UD_OUT),
};

/* The dependent devices follow the struct, up to argsz. */
static const struct uapi_field f_vfio_hot_reset_info[] = {
	{ .name = "argsz",
	  .off = offsetof(struct vfio_pci_hot_reset_info, argsz),
	  .width = 4, .kind = UK_SIZE, .dir = UD_INOUT,
	  .buf_dir = UD_OUT, .buf_len = UB_BYTES, .len_a = 0, .len_b = -1 },
	F(vfio_pci_hot_reset_info, flags, UK_FLAGS, UD_OUT),
	F(vfio_pci_hot_reset_info, count, UK_VALUE, UD_OUT),
};

/* A cdev open passes no group descriptors: count must be 0. */
static const struct uapi_field f_vfio_hot_reset[] = {
	F(vfio_pci_hot_reset, argsz, UK_SIZE, UD_IN),
	F(vfio_pci_hot_reset, flags, UK_FLAGS, UD_IN),
	F(vfio_pci_hot_reset, count, UK_VALUE, UD_IN),
};

/*
 * The feature's data follows the struct, up to argsz; no feature is
 * implemented, so it is neither read nor written.
 */
static const struct uapi_field f_vfio_feature[] = {
	F(vfio_device_feature, argsz, UK_SIZE, UD_IN),
	F(vfio_device_feature, flags, UK_FLAGS, UD_IN),
};

/*
 * VFIO type1 compatibility commands on /dev/iommu.
 */

/*
 * GET_INFO writes the struct, then its capability chain, up to argsz: the
 * argsz field carries the "argument is argsz bytes, written" mark. The
 * system header may lack the trailing pad member, so it is described by
 * its numbers.
 */
static const struct uapi_field f_vfio_info[] = {
	{ .name = "argsz",
	  .off = offsetof(struct vfio_iommu_type1_info, argsz),
	  .width = 4, .kind = UK_SIZE, .dir = UD_INOUT,
	  .buf_dir = UD_OUT, .buf_len = UB_BYTES, .len_a = 0, .len_b = -1 },
	F(vfio_iommu_type1_info, flags, UK_FLAGS, UD_OUT),
	F(vfio_iommu_type1_info, iova_pgsizes, UK_FLAGS, UD_OUT),
	F(vfio_iommu_type1_info, cap_offset, UK_VALUE, UD_OUT),
	{ .name = "pad", .off = 20, .width = 4, .kind = UK_RESERVED,
	  .dir = UD_OUT, .len_a = -1, .len_b = -1 },
};

static const struct uapi_field f_vfio_map[] = {
	F(vfio_iommu_type1_dma_map, argsz, UK_SIZE, UD_IN),
	F(vfio_iommu_type1_dma_map, flags, UK_FLAGS, UD_IN),
	F(vfio_iommu_type1_dma_map, vaddr, UK_UVA, UD_IN),
	F(vfio_iommu_type1_dma_map, iova, UK_IOVA, UD_IN),
	F(vfio_iommu_type1_dma_map, size, UK_LEN, UD_IN),
};

static const struct uapi_field f_vfio_unmap[] = {
	F(vfio_iommu_type1_dma_unmap, argsz, UK_SIZE, UD_IN),
	F(vfio_iommu_type1_dma_unmap, flags, UK_FLAGS, UD_IN),
	F(vfio_iommu_type1_dma_unmap, iova, UK_IOVA, UD_IN),
	F(vfio_iommu_type1_dma_unmap, size, UK_LEN, UD_INOUT),
};

/*
 * The argument structs of every command.
 */
#define CMD_ST(st, flds, last)						\
	static const struct uapi_struct st_##st =			\
	    S(#st, flds, sizeof(struct st), UAPI_ENDOF(st, last))

CMD_ST(iommu_destroy, f_destroy, id);
CMD_ST(iommu_ioas_alloc, f_ioas_alloc, out_ioas_id);
CMD_ST(iommu_ioas_allow_iovas, f_allow_iovas, allowed_iovas);
CMD_ST(iommu_ioas_copy, f_ioas_copy, src_iova);
CMD_ST(iommu_ioas_iova_ranges, f_iova_ranges, out_iova_alignment);
CMD_ST(iommu_ioas_map, f_ioas_map, iova);
CMD_ST(iommu_ioas_unmap, f_ioas_unmap, length);
CMD_ST(iommu_option, f_option, val64);
CMD_ST(iommu_vfio_ioas, f_vfio_ioas, __reserved);
static const struct uapi_struct st_iommu_hwpt_alloc =
    SV("iommu_hwpt_alloc", f_hwpt_alloc, sizeof(struct iommu_hwpt_alloc),
    UAPI_ENDOF(iommu_hwpt_alloc, __reserved), HWPT_ALLOC_SEL, v_hwpt_alloc);
CMD_ST(iommu_hw_info, f_hw_info, __reserved);
CMD_ST(iommu_hwpt_set_dirty_tracking, f_set_dirty, __reserved);
CMD_ST(iommu_hwpt_get_dirty_bitmap, f_get_dirty, data);
static const struct uapi_struct st_iommu_hwpt_invalidate =
    SV("iommu_hwpt_invalidate", f_hwpt_inv,
    sizeof(struct iommu_hwpt_invalidate),
    UAPI_ENDOF(iommu_hwpt_invalidate, __reserved), HWPT_INV_SEL, v_hwpt_inv);
CMD_ST(iommu_fault_alloc, f_fault_alloc, out_fault_fd);
CMD_ST(iommu_ioas_map_file, f_map_file, iova);
static const struct uapi_struct st_iommu_viommu_alloc =
    SV("iommu_viommu_alloc", f_viommu, sizeof(struct iommu_viommu_alloc),
    UAPI_ENDOF(iommu_viommu_alloc, out_viommu_id), VIOMMU_SEL, v_viommu);
CMD_ST(iommu_vdevice_alloc, f_vdevice, virt_id);
CMD_ST(iommu_ioas_change_process, f_change_process, __reserved);
CMD_ST(iommu_veventq_alloc, f_veventq, out_veventq_fd);
CMD_ST(iommu_hw_queue_alloc, f_hw_queue, length);
CMD_ST(iommu_ioas_noiommu_get_pa, f_noiommu_get_pa, out_phys);
CMD_ST(ioasidd_mmap, f_ioasidd_mmap, __reserved);
CMD_ST(ioasidd_coherency, f_ioasidd_coherency, out_changes);
CMD_ST(ioasidd_pasids, f_ioasidd_pasids, entries);
CMD_ST(ioasidd_enqcmd, f_ioasidd_enqcmd, entries);
static const struct uapi_struct st_ioasidd_region_read =
    S("ioasidd_region_rw", f_ioasidd_region_read,
    sizeof(struct ioasidd_region_rw),
    UAPI_ENDOF(ioasidd_region_rw, data_uptr));
static const struct uapi_struct st_ioasidd_region_write =
    S("ioasidd_region_rw", f_ioasidd_region_write,
    sizeof(struct ioasidd_region_rw),
    UAPI_ENDOF(ioasidd_region_rw, data_uptr));
static const struct uapi_struct st_ioasidd_kvm_file =
    S("ioasidd_kvm_file", f_ioasidd_kvm_file,
    sizeof(struct ioasidd_kvm_file), UAPI_ENDOF(ioasidd_kvm_file, vm_id));
static const struct uapi_struct st_iommu_test_cmd =
    SV("iommu_test_cmd", f_test, sizeof(struct iommu_test_cmd),
    UAPI_ENDOF(iommu_test_cmd, last), TEST_SEL, v_test);

/* VFIO minimum sizes: the end of the last field the kernel requires. */
CMD_ST(vfio_device_bind_iommufd, f_vfio_bind, out_devid);
CMD_ST(vfio_device_attach_iommufd_pt, f_vfio_attach, pt_id);
CMD_ST(vfio_device_detach_iommufd_pt, f_vfio_detach, flags);
CMD_ST(vfio_device_info, f_vfio_dev_info, num_irqs);
CMD_ST(vfio_region_info, f_vfio_region_info, offset);
CMD_ST(vfio_irq_info, f_vfio_irq_info, count);
CMD_ST(vfio_pci_hot_reset_info, f_vfio_hot_reset_info, count);
CMD_ST(vfio_pci_hot_reset, f_vfio_hot_reset, count);
CMD_ST(vfio_device_feature, f_vfio_feature, flags);
CMD_ST(vfio_iommu_type1_info, f_vfio_info, iova_pgsizes);
CMD_ST(vfio_iommu_type1_dma_map, f_vfio_map, size);
CMD_ST(vfio_iommu_type1_dma_unmap, f_vfio_unmap, size);

/*
 * The commands. The first 21 rows are the iommufd commands in number
 * order, so that uapi_cmd_find() can index them; the unit tests check it.
 */
#define C(nm, kind, st)	{ #nm, nm, (kind), (st), 0 }
#define CD(nm, kind, st) { #nm, nm, (kind), (st), 1 }

const struct uapi_cmd uapi_cmds[] = {
	C(IOMMU_DESTROY, UA_SIZED, &st_iommu_destroy),
	C(IOMMU_IOAS_ALLOC, UA_SIZED, &st_iommu_ioas_alloc),
	C(IOMMU_IOAS_ALLOW_IOVAS, UA_SIZED, &st_iommu_ioas_allow_iovas),
	C(IOMMU_IOAS_COPY, UA_SIZED, &st_iommu_ioas_copy),
	C(IOMMU_IOAS_IOVA_RANGES, UA_SIZED, &st_iommu_ioas_iova_ranges),
	C(IOMMU_IOAS_MAP, UA_SIZED, &st_iommu_ioas_map),
	C(IOMMU_IOAS_UNMAP, UA_SIZED, &st_iommu_ioas_unmap),
	C(IOMMU_OPTION, UA_SIZED, &st_iommu_option),
	C(IOMMU_VFIO_IOAS, UA_SIZED, &st_iommu_vfio_ioas),
	C(IOMMU_HWPT_ALLOC, UA_SIZED, &st_iommu_hwpt_alloc),
	C(IOMMU_GET_HW_INFO, UA_SIZED, &st_iommu_hw_info),
	C(IOMMU_HWPT_SET_DIRTY_TRACKING, UA_SIZED,
	    &st_iommu_hwpt_set_dirty_tracking),
	C(IOMMU_HWPT_GET_DIRTY_BITMAP, UA_SIZED,
	    &st_iommu_hwpt_get_dirty_bitmap),
	C(IOMMU_HWPT_INVALIDATE, UA_SIZED, &st_iommu_hwpt_invalidate),
	C(IOMMU_FAULT_QUEUE_ALLOC, UA_SIZED, &st_iommu_fault_alloc),
	C(IOMMU_IOAS_MAP_FILE, UA_SIZED, &st_iommu_ioas_map_file),
	C(IOMMU_VIOMMU_ALLOC, UA_SIZED, &st_iommu_viommu_alloc),
	C(IOMMU_VDEVICE_ALLOC, UA_SIZED, &st_iommu_vdevice_alloc),
	C(IOMMU_IOAS_CHANGE_PROCESS, UA_SIZED, &st_iommu_ioas_change_process),
	C(IOMMU_VEVENTQ_ALLOC, UA_SIZED, &st_iommu_veventq_alloc),
	C(IOMMU_HW_QUEUE_ALLOC, UA_SIZED, &st_iommu_hw_queue_alloc),
	C(IOMMU_IOAS_NOIOMMU_GET_PA, UA_SIZED,
	    &st_iommu_ioas_noiommu_get_pa),
	C(IOMMU_TEST_CMD, UA_SIZED, &st_iommu_test_cmd),
	C(VFIO_DEVICE_BIND_IOMMUFD, UA_ARGSZ, &st_vfio_device_bind_iommufd),
	C(VFIO_DEVICE_ATTACH_IOMMUFD_PT, UA_ARGSZ,
	    &st_vfio_device_attach_iommufd_pt),
	C(VFIO_DEVICE_DETACH_IOMMUFD_PT, UA_ARGSZ,
	    &st_vfio_device_detach_iommufd_pt),
	C(VFIO_DEVICE_GET_INFO, UA_ARGSZ, &st_vfio_device_info),
	C(VFIO_DEVICE_SET_IRQS, UA_ARGSZ, &st_vfio_irq_set),
	C(VFIO_GET_API_VERSION, UA_NONE, NULL),
	C(VFIO_CHECK_EXTENSION, UA_VALUE, NULL),
	C(VFIO_SET_IOMMU, UA_VALUE, NULL),
	C(VFIO_IOMMU_GET_INFO, UA_ARGSZ, &st_vfio_iommu_type1_info),
	C(VFIO_IOMMU_MAP_DMA, UA_ARGSZ, &st_vfio_iommu_type1_dma_map),
	C(VFIO_IOMMU_UNMAP_DMA, UA_ARGSZ, &st_vfio_iommu_type1_dma_unmap),
	C(IOASIDD_COHERENCY, UA_SIZED, &st_ioasidd_coherency),
	C(IOASIDD_PASIDS, UA_SIZED, &st_ioasidd_pasids),
	C(IOASIDD_ENQCMD, UA_SIZED, &st_ioasidd_enqcmd),
	C(IOASIDD_MMAP, UA_SIZED, &st_ioasidd_mmap),
	C(IOASIDD_REGION_READ, UA_ARGSZ, &st_ioasidd_region_read),
	C(IOASIDD_REGION_WRITE, UA_ARGSZ, &st_ioasidd_region_write),
	CD(VFIO_DEVICE_GET_REGION_INFO, UA_ARGSZ, &st_vfio_region_info),
	CD(VFIO_DEVICE_GET_IRQ_INFO, UA_ARGSZ, &st_vfio_irq_info),
	CD(VFIO_DEVICE_RESET, UA_NONE, NULL),
	CD(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, UA_ARGSZ,
	    &st_vfio_pci_hot_reset_info),
	CD(VFIO_DEVICE_PCI_HOT_RESET, UA_ARGSZ, &st_vfio_pci_hot_reset),
	CD(VFIO_DEVICE_FEATURE, UA_ARGSZ, &st_vfio_device_feature),
	CD(IOASIDD_KVM_FILE, UA_ARGSZ, &st_ioasidd_kvm_file),
};
const size_t uapi_ncmds = UAPI_NITEMS(uapi_cmds);

#define UAPI_IOMMUFD_FIRST	IOMMU_DESTROY
#define UAPI_IOMMUFD_LAST	IOMMU_IOAS_NOIOMMU_GET_PA
#define UAPI_IOMMUFD_N		(UAPI_IOMMUFD_LAST - UAPI_IOMMUFD_FIRST + 1)
#define UAPI_TEST_ROW		UAPI_IOMMUFD_N

const struct uapi_cmd *
uapi_cmd_find(unsigned long num)
{
	const struct uapi_cmd	*c;
	size_t			 i;

	if (num >= UAPI_IOMMUFD_FIRST && num <= UAPI_IOMMUFD_LAST) {
		c = &uapi_cmds[num - UAPI_IOMMUFD_FIRST];
		return (c->num == num ? c : NULL);
	}
	if (num == IOMMU_TEST_CMD)
		return (&uapi_cmds[UAPI_TEST_ROW]);
	for (i = UAPI_TEST_ROW + 1; i < uapi_ncmds; i++) {
		if (uapi_cmds[i].num == num)
			return (&uapi_cmds[i]);
	}
	return (NULL);
}

/*
 * Where each iommufd command first appeared (spec 1.3, "Since"), indexed
 * by its number past IOMMUFD_CMD_BASE: every command is _IO(';', nr), so
 * the number alone finds the row and dispatch pays no search per call.
 */
#define UAPI_SINCE_ROWS		64
#define UAPI_SINCE(cmd, lvl)	[_IOC_NR(cmd) - IOMMUFD_CMD_BASE] = (lvl)
static const uint16_t uapi_since[UAPI_SINCE_ROWS] = {
	UAPI_SINCE(IOMMU_DESTROY,		602),
	UAPI_SINCE(IOMMU_IOAS_ALLOC,		602),
	UAPI_SINCE(IOMMU_IOAS_ALLOW_IOVAS,	602),
	UAPI_SINCE(IOMMU_IOAS_COPY,		602),
	UAPI_SINCE(IOMMU_IOAS_IOVA_RANGES,	602),
	UAPI_SINCE(IOMMU_IOAS_MAP,		602),
	UAPI_SINCE(IOMMU_IOAS_UNMAP,		602),
	UAPI_SINCE(IOMMU_OPTION,		602),
	UAPI_SINCE(IOMMU_VFIO_IOAS,		602),
	UAPI_SINCE(IOMMU_TEST_CMD,		602),
	UAPI_SINCE(IOMMU_HWPT_ALLOC,		606),
	UAPI_SINCE(IOMMU_GET_HW_INFO,		606),
	UAPI_SINCE(IOMMU_HWPT_SET_DIRTY_TRACKING,	607),
	UAPI_SINCE(IOMMU_HWPT_GET_DIRTY_BITMAP,	607),
	UAPI_SINCE(IOMMU_HWPT_INVALIDATE,	608),
	UAPI_SINCE(IOMMU_FAULT_QUEUE_ALLOC,	611),
	UAPI_SINCE(IOMMU_IOAS_MAP_FILE,		613),
	UAPI_SINCE(IOMMU_VIOMMU_ALLOC,		613),
	UAPI_SINCE(IOMMU_VDEVICE_ALLOC,		613),
	UAPI_SINCE(IOMMU_IOAS_CHANGE_PROCESS,	614),
	UAPI_SINCE(IOMMU_VEVENTQ_ALLOC,		615),
	UAPI_SINCE(IOMMU_HW_QUEUE_ALLOC,	617),
	/* After 6.12, in 7.3 (spec 14): 7.3 is the level that has it. */
	UAPI_SINCE(IOMMU_IOAS_NOIOMMU_GET_PA,	703),
};

unsigned int
uapi_cmd_since(unsigned long num)
{
	unsigned int	nr = _IOC_NR(num);

	if (num != _IO(IOMMUFD_TYPE, nr) || nr < IOMMUFD_CMD_BASE ||
	    nr - IOMMUFD_CMD_BASE >= UAPI_SINCE_ROWS)
		return (0);
	return (uapi_since[nr - IOMMUFD_CMD_BASE]);
}

const struct uapi_cmd *
uapi_cmd_find_dev(unsigned long num)
{
	size_t	i;

	for (i = UAPI_TEST_ROW + 1; i < uapi_ncmds; i++) {
		if (uapi_cmds[i].num == num && uapi_cmds[i].devnode)
			return (&uapi_cmds[i]);
	}
	return (uapi_cmd_find(num));
}

const struct uapi_cmd *
uapi_cmd_find_on(unsigned long num, int devnode)
{
	return (devnode ? uapi_cmd_find_dev(num) : uapi_cmd_find(num));
}

const struct uapi_cmd *
uapi_cmd_byname(const char *name)
{
	size_t	i;

	for (i = 0; i < uapi_ncmds; i++) {
		if (strcmp(uapi_cmds[i].name, name) == 0)
			return (&uapi_cmds[i]);
	}
	return (NULL);
}

const struct uapi_field *
uapi_field_byname(const struct uapi_struct *st, const char *name)
{
	uint16_t	i;

	for (i = 0; i < st->nfields; i++) {
		if (strcmp(st->fields[i].name, name) == 0)
			return (&st->fields[i]);
	}
	return (NULL);
}

static int
uapi_struct_has_kind(const struct uapi_struct *st, int kind)
{
	uint16_t	i;

	for (i = 0; i < st->nfields; i++) {
		if (st->fields[i].kind == kind)
			return (1);
	}
	for (i = 0; i < st->nvariants; i++) {
		if (uapi_struct_has_kind(st->variants[i].st, kind))
			return (1);
	}
	return (0);
}

int
uapi_cmd_maps_uva(const struct uapi_cmd *c)
{
	return (c != NULL && c->st != NULL &&
	    uapi_struct_has_kind(c->st, UK_UVA));
}

uint64_t
uapi_get(const struct uapi_field *f, const void *buf)
{
	const uint8_t	*p = (const uint8_t *)buf + f->off;
	uint64_t	 v;
	uint32_t	 v32;
	uint16_t	 v16;
	int		 i;

	switch (f->width) {
	case 1:
		return (p[0]);
	case 2:
		memcpy(&v16, p, 2);
		return (v16);
	case 4:
		memcpy(&v32, p, 4);
		return (v32);
	case 8:
		memcpy(&v, p, 8);
		return (v);
	}
	/* Odd widths (reserved byte arrays): little-endian, first 8 bytes. */
	v = 0;
	for (i = (f->width > 8 ? 8 : f->width) - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return (v);
}

void
uapi_set(const struct uapi_field *f, void *buf, uint64_t v)
{
	uint8_t		*p = (uint8_t *)buf + f->off;
	uint32_t	 v32;
	uint16_t	 v16;
	int		 i;

	switch (f->width) {
	case 1:
		p[0] = (uint8_t)v;
		return;
	case 2:
		v16 = (uint16_t)v;
		memcpy(p, &v16, 2);
		return;
	case 4:
		v32 = (uint32_t)v;
		memcpy(p, &v32, 4);
		return;
	case 8:
		memcpy(p, &v, 8);
		return;
	}
	for (i = 0; i < f->width && i < 8; i++) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Field f of a struct of which only len bytes are known (zero beyond). */
static uint64_t
uapi_get_known(const struct uapi_field *f, const void *buf, size_t len)
{
	if ((size_t)f->off + f->width > len)
		return (0);
	return (uapi_get(f, buf));
}

const struct uapi_struct *
uapi_resolve(const struct uapi_struct *st, const void *buf, size_t len)
{
	uint64_t	v;
	uint16_t	i;

	if (st == NULL || st->sel < 0 || st->sel >= st->nfields)
		return (st);
	v = uapi_get_known(&st->fields[st->sel], buf, len);
	for (i = 0; i < st->nvariants; i++) {
		if (st->variants[i].value == v)
			return (st->variants[i].st);
	}
	return (st);
}

/* a * b, saturated: an impossible length makes the copy fail, not wrap. */
static uint64_t
uapi_mul(uint64_t a, uint64_t b)
{
	if (a != 0 && b > UINT64_MAX / a)
		return (UINT64_MAX);
	return (a * b);
}

static int
uapi_buf_len(const struct uapi_struct *st, const struct uapi_field *f,
    const void *buf, size_t len, uint64_t *out)
{
	uint64_t	a = 0, b = 0;

	if (f->len_a >= st->nfields || f->len_b >= st->nfields)
		return (-EINVAL);
	if (f->len_a >= 0)
		a = uapi_get_known(&st->fields[f->len_a], buf, len);
	if (f->len_b >= 0)
		b = uapi_get_known(&st->fields[f->len_b], buf, len);

	switch (f->buf_len) {
	case UB_BYTES:
		if (f->len_a < 0)
			return (-EINVAL);
		*out = a;
		return (0);
	case UB_COUNT:
		if (f->len_a < 0 || f->elem == 0)
			return (-EINVAL);
		*out = uapi_mul(a, f->elem);
		return (0);
	case UB_PRODUCT:
		if (f->len_a < 0 || f->len_b < 0)
			return (-EINVAL);
		*out = uapi_mul(a, b);
		return (0);
	case UB_BITMAP:
		if (f->len_a < 0 || f->len_b < 0)
			return (-EINVAL);
		/* No page size: no bitmap; the command itself fails. */
		if (b == 0)
			*out = 0;
		else
			*out = (a / b + 7) / 8;
		return (0);
	case UB_FIXED:
		if (f->elem == 0)
			return (-EINVAL);
		*out = f->elem;
		return (0);
	}
	return (-EINVAL);
}

int
uapi_bufs(const struct uapi_struct *st, const void *buf, size_t len,
    struct uapi_buf *bufs, int max)
{
	const struct uapi_field	*f;
	uint64_t		 uaddr, blen;
	uint16_t		 i;
	int			 n = 0, error;

	if (st == NULL)
		return (0);
	st = uapi_resolve(st, buf, len);
	for (i = 0; i < st->nfields; i++) {
		f = &st->fields[i];
		if (f->kind != UK_UPTR)
			continue;
		if (f->width != 8)
			return (-EINVAL);
		uaddr = uapi_get_known(f, buf, len);
		if ((error = uapi_buf_len(st, f, buf, len, &blen)) != 0)
			return (error);
		if (uaddr == 0 || blen == 0)
			continue;
		if (n == max)
			return (-ENOBUFS);
		bufs[n].uaddr = uaddr;
		bufs[n].len = blen;
		bufs[n].dir = f->buf_dir;
		bufs[n].field = f;
		n++;
	}
	return (n);
}

int
uapi_fds(const struct uapi_struct *st, const void *buf, size_t len,
    int32_t *fds, int max)
{
	const struct uapi_field	*f;
	const uint8_t		*p = buf;
	uint64_t		 count, k;
	int32_t			 v;
	uint16_t		 i;
	int			 n = 0, j, seen;

	if (st == NULL)
		return (0);
	st = uapi_resolve(st, buf, len);
	for (i = 0; i < st->nfields; i++) {
		f = &st->fields[i];
		if (f->kind != UK_FDS || f->width != sizeof(v) ||
		    f->len_a < 0 || f->len_a >= st->nfields)
			continue;
		count = uapi_get_known(&st->fields[f->len_a], buf, len);
		/* Only what the caller's struct holds: never past len. */
		if (f->off > len)
			continue;
		if (count > (len - f->off) / sizeof(v))
			count = (len - f->off) / sizeof(v);
		for (k = 0; k < count; k++) {
			memcpy(&v, p + f->off + k * sizeof(v), sizeof(v));
			if (v == -1)
				continue;
			for (j = 0, seen = 0; j < n && !seen; j++)
				seen = fds[j] == v;
			if (seen)
				continue;
			if (n == max)
				return (-ENOBUFS);
			fds[n++] = v;
		}
	}
	return (n);
}

/*
 * The ABI, in numbers. Each line compares our headers with the literal
 * size or offset the interface defines; none is computed.
 */
#define SZ(st, n)	_Static_assert(sizeof(struct st) == (n), #st)
#define OFF(st, m, n)	_Static_assert(offsetof(struct st, m) == (n), \
			    #st "." #m)

_Static_assert(IOMMU_DESTROY == 0x3b80, "IOMMU_DESTROY");
_Static_assert(IOMMU_IOAS_ALLOC == 0x3b81, "IOMMU_IOAS_ALLOC");
_Static_assert(IOMMU_IOAS_ALLOW_IOVAS == 0x3b82, "IOMMU_IOAS_ALLOW_IOVAS");
_Static_assert(IOMMU_IOAS_COPY == 0x3b83, "IOMMU_IOAS_COPY");
_Static_assert(IOMMU_IOAS_IOVA_RANGES == 0x3b84, "IOMMU_IOAS_IOVA_RANGES");
_Static_assert(IOMMU_IOAS_MAP == 0x3b85, "IOMMU_IOAS_MAP");
_Static_assert(IOMMU_IOAS_UNMAP == 0x3b86, "IOMMU_IOAS_UNMAP");
_Static_assert(IOMMU_OPTION == 0x3b87, "IOMMU_OPTION");
_Static_assert(IOMMU_VFIO_IOAS == 0x3b88, "IOMMU_VFIO_IOAS");
_Static_assert(IOMMU_HWPT_ALLOC == 0x3b89, "IOMMU_HWPT_ALLOC");
_Static_assert(IOMMU_GET_HW_INFO == 0x3b8a, "IOMMU_GET_HW_INFO");
_Static_assert(IOMMU_HWPT_SET_DIRTY_TRACKING == 0x3b8b,
    "IOMMU_HWPT_SET_DIRTY_TRACKING");
_Static_assert(IOMMU_HWPT_GET_DIRTY_BITMAP == 0x3b8c,
    "IOMMU_HWPT_GET_DIRTY_BITMAP");
_Static_assert(IOMMU_HWPT_INVALIDATE == 0x3b8d, "IOMMU_HWPT_INVALIDATE");
_Static_assert(IOMMU_FAULT_QUEUE_ALLOC == 0x3b8e, "IOMMU_FAULT_QUEUE_ALLOC");
_Static_assert(IOMMU_IOAS_MAP_FILE == 0x3b8f, "IOMMU_IOAS_MAP_FILE");
_Static_assert(IOMMU_VIOMMU_ALLOC == 0x3b90, "IOMMU_VIOMMU_ALLOC");
_Static_assert(IOMMU_VDEVICE_ALLOC == 0x3b91, "IOMMU_VDEVICE_ALLOC");
_Static_assert(IOMMU_IOAS_CHANGE_PROCESS == 0x3b92,
    "IOMMU_IOAS_CHANGE_PROCESS");
_Static_assert(IOMMU_VEVENTQ_ALLOC == 0x3b93, "IOMMU_VEVENTQ_ALLOC");
_Static_assert(IOMMU_HW_QUEUE_ALLOC == 0x3b94, "IOMMU_HW_QUEUE_ALLOC");
_Static_assert(IOMMU_IOAS_NOIOMMU_GET_PA == 0x3b95, "NOIOMMU_GET_PA");
_Static_assert(IOMMU_TEST_CMD == 0x3ba0, "IOMMU_TEST_CMD");
_Static_assert(VFIO_DEVICE_BIND_IOMMUFD == 0x3b76, "VFIO_DEVICE_BIND");
_Static_assert(VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3b77, "VFIO_DEVICE_ATTACH");
_Static_assert(VFIO_DEVICE_DETACH_IOMMUFD_PT == 0x3b78, "VFIO_DEVICE_DETACH");
_Static_assert(VFIO_DEVICE_GET_INFO == 0x3b6b, "VFIO_DEVICE_GET_INFO");
_Static_assert(VFIO_DEVICE_GET_REGION_INFO == 0x3b6c, "GET_REGION_INFO");
_Static_assert(VFIO_DEVICE_GET_IRQ_INFO == 0x3b6d, "GET_IRQ_INFO");
_Static_assert(VFIO_DEVICE_SET_IRQS == 0x3b6e, "SET_IRQS");
_Static_assert(VFIO_DEVICE_RESET == 0x3b6f, "VFIO_DEVICE_RESET");
_Static_assert(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO == 0x3b70,
    "GET_PCI_HOT_RESET_INFO");
_Static_assert(VFIO_DEVICE_PCI_HOT_RESET == 0x3b71, "PCI_HOT_RESET");
_Static_assert(VFIO_DEVICE_FEATURE == 0x3b75, "VFIO_DEVICE_FEATURE");
_Static_assert(sizeof(struct vfio_region_info) == 32, "region_info");
_Static_assert(offsetof(struct vfio_region_info, index) == 8, "ri.index");
_Static_assert(offsetof(struct vfio_region_info, size) == 16, "ri.size");
_Static_assert(offsetof(struct vfio_region_info, offset) == 24,
    "ri.offset");
_Static_assert(sizeof(struct vfio_irq_info) == 16, "irq_info");
_Static_assert(offsetof(struct vfio_irq_info, index) == 8, "ii.index");
_Static_assert(offsetof(struct vfio_irq_info, count) == 12, "ii.count");
_Static_assert(sizeof(struct vfio_irq_set) == 20, "irq_set");
_Static_assert(offsetof(struct vfio_irq_set, start) == 12, "is.start");
_Static_assert(offsetof(struct vfio_irq_set, count) == 16, "is.count");
_Static_assert(sizeof(struct vfio_pci_hot_reset_info) == 12,
    "hot_reset_info");
_Static_assert(sizeof(struct vfio_pci_dependent_device) == 8,
    "dependent_device");
_Static_assert(sizeof(struct vfio_pci_hot_reset) == 12, "hot_reset");
_Static_assert(sizeof(struct vfio_device_feature) == 8, "device_feature");
_Static_assert(VFIO_GET_API_VERSION == 0x3b64, "VFIO_GET_API_VERSION");
_Static_assert(VFIO_CHECK_EXTENSION == 0x3b65, "VFIO_CHECK_EXTENSION");
_Static_assert(VFIO_SET_IOMMU == 0x3b66, "VFIO_SET_IOMMU");
_Static_assert(VFIO_IOMMU_GET_INFO == 0x3b70, "VFIO_IOMMU_GET_INFO");
_Static_assert(VFIO_IOMMU_MAP_DMA == 0x3b71, "VFIO_IOMMU_MAP_DMA");
_Static_assert(VFIO_IOMMU_UNMAP_DMA == 0x3b72, "VFIO_IOMMU_UNMAP_DMA");

SZ(iommu_destroy, 8);
OFF(iommu_destroy, size, 0);
OFF(iommu_destroy, id, 4);

SZ(iommu_ioas_alloc, 12);
OFF(iommu_ioas_alloc, flags, 4);
OFF(iommu_ioas_alloc, out_ioas_id, 8);

SZ(iommu_iova_range, 16);
OFF(iommu_iova_range, start, 0);
OFF(iommu_iova_range, last, 8);

SZ(iommu_ioas_allow_iovas, 24);
OFF(iommu_ioas_allow_iovas, ioas_id, 4);
OFF(iommu_ioas_allow_iovas, num_iovas, 8);
OFF(iommu_ioas_allow_iovas, __reserved, 12);
OFF(iommu_ioas_allow_iovas, allowed_iovas, 16);

SZ(iommu_ioas_copy, 40);
OFF(iommu_ioas_copy, flags, 4);
OFF(iommu_ioas_copy, dst_ioas_id, 8);
OFF(iommu_ioas_copy, src_ioas_id, 12);
OFF(iommu_ioas_copy, length, 16);
OFF(iommu_ioas_copy, dst_iova, 24);
OFF(iommu_ioas_copy, src_iova, 32);

SZ(iommu_ioas_iova_ranges, 32);
OFF(iommu_ioas_iova_ranges, ioas_id, 4);
OFF(iommu_ioas_iova_ranges, num_iovas, 8);
OFF(iommu_ioas_iova_ranges, __reserved, 12);
OFF(iommu_ioas_iova_ranges, allowed_iovas, 16);
OFF(iommu_ioas_iova_ranges, out_iova_alignment, 24);

SZ(iommu_ioas_map, 40);
OFF(iommu_ioas_map, flags, 4);
OFF(iommu_ioas_map, ioas_id, 8);
OFF(iommu_ioas_map, __reserved, 12);
OFF(iommu_ioas_map, user_va, 16);
OFF(iommu_ioas_map, length, 24);
OFF(iommu_ioas_map, iova, 32);

SZ(iommu_ioas_unmap, 24);
OFF(iommu_ioas_unmap, ioas_id, 4);
OFF(iommu_ioas_unmap, iova, 8);
OFF(iommu_ioas_unmap, length, 16);

SZ(iommu_option, 24);
OFF(iommu_option, option_id, 4);
OFF(iommu_option, op, 8);
OFF(iommu_option, __reserved, 10);
OFF(iommu_option, object_id, 12);
OFF(iommu_option, val64, 16);

SZ(iommu_vfio_ioas, 12);
OFF(iommu_vfio_ioas, ioas_id, 4);
OFF(iommu_vfio_ioas, op, 8);
OFF(iommu_vfio_ioas, __reserved, 10);

SZ(iommu_hwpt_alloc, 48);
OFF(iommu_hwpt_alloc, flags, 4);
OFF(iommu_hwpt_alloc, dev_id, 8);
OFF(iommu_hwpt_alloc, pt_id, 12);
OFF(iommu_hwpt_alloc, out_hwpt_id, 16);
OFF(iommu_hwpt_alloc, __reserved, 20);
OFF(iommu_hwpt_alloc, data_type, 24);
OFF(iommu_hwpt_alloc, data_len, 28);
OFF(iommu_hwpt_alloc, data_uptr, 32);
OFF(iommu_hwpt_alloc, fault_id, 40);
OFF(iommu_hwpt_alloc, __reserved2, 44);

SZ(iommu_hwpt_vtd_s1, 24);
OFF(iommu_hwpt_vtd_s1, pgtbl_addr, 8);
OFF(iommu_hwpt_vtd_s1, addr_width, 16);
OFF(iommu_hwpt_vtd_s1, __reserved, 20);
SZ(iommu_hwpt_arm_smmuv3, 16);
SZ(iommu_hwpt_amd_guest, 32);

SZ(iommu_hw_info, 40);
OFF(iommu_hw_info, flags, 4);
OFF(iommu_hw_info, dev_id, 8);
OFF(iommu_hw_info, data_len, 12);
OFF(iommu_hw_info, data_uptr, 16);
OFF(iommu_hw_info, in_data_type, 24);
OFF(iommu_hw_info, out_data_type, 24);
OFF(iommu_hw_info, out_max_pasid_log2, 28);
OFF(iommu_hw_info, __reserved, 29);
OFF(iommu_hw_info, out_capabilities, 32);

SZ(iommu_hw_info_vtd, 24);
OFF(iommu_hw_info_vtd, __reserved, 4);
OFF(iommu_hw_info_vtd, cap_reg, 8);
OFF(iommu_hw_info_vtd, ecap_reg, 16);
SZ(iommu_hw_info_arm_smmuv3, 40);
OFF(iommu_hw_info_arm_smmuv3, idr, 8);
OFF(iommu_hw_info_arm_smmuv3, iidr, 32);
OFF(iommu_hw_info_arm_smmuv3, aidr, 36);
SZ(iommu_hw_info_tegra241_cmdqv, 8);
OFF(iommu_hw_info_tegra241_cmdqv, version, 4);
OFF(iommu_hw_info_tegra241_cmdqv, log2vcmdqs, 5);
OFF(iommu_hw_info_tegra241_cmdqv, log2vsids, 6);
OFF(iommu_hw_info_tegra241_cmdqv, __reserved, 7);
SZ(iommu_hw_info_amd, 16);
OFF(iommu_hw_info_amd, efr2, 8);

SZ(iommu_hwpt_set_dirty_tracking, 16);
OFF(iommu_hwpt_set_dirty_tracking, flags, 4);
OFF(iommu_hwpt_set_dirty_tracking, hwpt_id, 8);
OFF(iommu_hwpt_set_dirty_tracking, __reserved, 12);

SZ(iommu_hwpt_get_dirty_bitmap, 48);
OFF(iommu_hwpt_get_dirty_bitmap, hwpt_id, 4);
OFF(iommu_hwpt_get_dirty_bitmap, flags, 8);
OFF(iommu_hwpt_get_dirty_bitmap, __reserved, 12);
OFF(iommu_hwpt_get_dirty_bitmap, iova, 16);
OFF(iommu_hwpt_get_dirty_bitmap, length, 24);
OFF(iommu_hwpt_get_dirty_bitmap, page_size, 32);
OFF(iommu_hwpt_get_dirty_bitmap, data, 40);

SZ(iommu_hwpt_invalidate, 32);
OFF(iommu_hwpt_invalidate, hwpt_id, 4);
OFF(iommu_hwpt_invalidate, data_uptr, 8);
OFF(iommu_hwpt_invalidate, data_type, 16);
OFF(iommu_hwpt_invalidate, entry_len, 20);
OFF(iommu_hwpt_invalidate, entry_num, 24);
OFF(iommu_hwpt_invalidate, __reserved, 28);

SZ(iommu_hwpt_vtd_s1_invalidate, 24);
OFF(iommu_hwpt_vtd_s1_invalidate, npages, 8);
OFF(iommu_hwpt_vtd_s1_invalidate, flags, 16);
OFF(iommu_hwpt_vtd_s1_invalidate, __reserved, 20);
SZ(iommu_viommu_arm_smmuv3_invalidate, 16);

SZ(iommu_hwpt_pgfault, 40);
OFF(iommu_hwpt_pgfault, dev_id, 4);
OFF(iommu_hwpt_pgfault, pasid, 8);
OFF(iommu_hwpt_pgfault, grpid, 12);
OFF(iommu_hwpt_pgfault, perm, 16);
OFF(iommu_hwpt_pgfault, __reserved, 20);
OFF(iommu_hwpt_pgfault, addr, 24);
OFF(iommu_hwpt_pgfault, length, 32);
OFF(iommu_hwpt_pgfault, cookie, 36);
SZ(iommu_hwpt_page_response, 8);
OFF(iommu_hwpt_page_response, code, 4);

SZ(iommu_fault_alloc, 16);
OFF(iommu_fault_alloc, flags, 4);
OFF(iommu_fault_alloc, out_fault_id, 8);
OFF(iommu_fault_alloc, out_fault_fd, 12);

SZ(iommu_ioas_map_file, 40);
OFF(iommu_ioas_map_file, flags, 4);
OFF(iommu_ioas_map_file, ioas_id, 8);
OFF(iommu_ioas_map_file, fd, 12);
OFF(iommu_ioas_map_file, start, 16);
OFF(iommu_ioas_map_file, length, 24);
OFF(iommu_ioas_map_file, iova, 32);

SZ(iommu_viommu_alloc, 40);
OFF(iommu_viommu_alloc, flags, 4);
OFF(iommu_viommu_alloc, type, 8);
OFF(iommu_viommu_alloc, dev_id, 12);
OFF(iommu_viommu_alloc, hwpt_id, 16);
OFF(iommu_viommu_alloc, out_viommu_id, 20);
OFF(iommu_viommu_alloc, data_len, 24);
OFF(iommu_viommu_alloc, __reserved, 28);
OFF(iommu_viommu_alloc, data_uptr, 32);
SZ(iommu_viommu_tegra241_cmdqv, 16);
OFF(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length, 8);

SZ(iommu_vdevice_alloc, 24);
OFF(iommu_vdevice_alloc, viommu_id, 4);
OFF(iommu_vdevice_alloc, dev_id, 8);
OFF(iommu_vdevice_alloc, out_vdevice_id, 12);
OFF(iommu_vdevice_alloc, virt_id, 16);

SZ(iommu_ioas_change_process, 8);
OFF(iommu_ioas_change_process, __reserved, 4);

SZ(iommu_veventq_alloc, 32);
OFF(iommu_veventq_alloc, flags, 4);
OFF(iommu_veventq_alloc, viommu_id, 8);
OFF(iommu_veventq_alloc, type, 12);
OFF(iommu_veventq_alloc, veventq_depth, 16);
OFF(iommu_veventq_alloc, out_veventq_id, 20);
OFF(iommu_veventq_alloc, out_veventq_fd, 24);
OFF(iommu_veventq_alloc, __reserved, 28);
SZ(iommufd_vevent_header, 8);
OFF(iommufd_vevent_header, sequence, 4);
SZ(iommu_vevent_arm_smmuv3, 32);
SZ(iommu_vevent_tegra241_cmdqv, 16);

SZ(iommu_hw_queue_alloc, 40);
OFF(iommu_hw_queue_alloc, flags, 4);
OFF(iommu_hw_queue_alloc, viommu_id, 8);
OFF(iommu_hw_queue_alloc, type, 12);
OFF(iommu_hw_queue_alloc, index, 16);
OFF(iommu_hw_queue_alloc, out_hw_queue_id, 20);
OFF(iommu_hw_queue_alloc, nesting_parent_iova, 24);
OFF(iommu_hw_queue_alloc, length, 32);

SZ(ioasidd_mmap, 32);
OFF(ioasidd_mmap, offset, 8);
OFF(ioasidd_mmap, length, 16);
OFF(ioasidd_mmap, out_fd, 24);
_Static_assert(IOASIDD_MMAP == 0x3bfc, "IOASIDD_MMAP");
SZ(ioasidd_coherency, 32);
OFF(ioasidd_coherency, out_flags, 8);
OFF(ioasidd_coherency, out_changes, 24);
_Static_assert(IOASIDD_COHERENCY == 0x3be8, "IOASIDD_COHERENCY");
SZ(ioasidd_pasids, 24);
OFF(ioasidd_pasids, num_entries, 8);
OFF(ioasidd_pasids, entries, 16);
SZ(ioasidd_pasid_entry, 16);
_Static_assert(IOASIDD_PASIDS == 0x3be9, "IOASIDD_PASIDS");
SZ(ioasidd_enqcmd, 40);
OFF(ioasidd_enqcmd, num_entries, 12);
OFF(ioasidd_enqcmd, out_vm_id, 24);
OFF(ioasidd_enqcmd, entries, 32);
SZ(ioasidd_enqcmd_entry, 16);
_Static_assert(IOASIDD_ENQCMD == 0x3bea, "IOASIDD_ENQCMD");
SZ(ioasidd_region_rw, 32);
OFF(ioasidd_region_rw, offset, 8);
OFF(ioasidd_region_rw, length, 16);
OFF(ioasidd_region_rw, data_uptr, 24);
_Static_assert(IOASIDD_REGION_READ == 0x3bfa, "IOASIDD_REGION_READ");
_Static_assert(IOASIDD_REGION_WRITE == 0x3bfb, "IOASIDD_REGION_WRITE");
SZ(ioasidd_kvm_file, 32);
OFF(ioasidd_kvm_file, pid, 12);
OFF(ioasidd_kvm_file, kvm_fd, 16);
OFF(ioasidd_kvm_file, vm_id, 24);
_Static_assert(IOASIDD_KVM_FILE == 0x3bf0, "IOASIDD_KVM_FILE");

/* The selftest command: union member offsets are from the struct start. */
SZ(iommu_test_cmd, 72);
OFF(iommu_test_cmd, op, 4);
OFF(iommu_test_cmd, id, 8);
OFF(iommu_test_cmd, __reserved, 12);
OFF(iommu_test_cmd, add_reserved.start, 16);
OFF(iommu_test_cmd, add_reserved.length, 24);
OFF(iommu_test_cmd, mock_domain.out_stdev_id, 16);
OFF(iommu_test_cmd, mock_domain.out_hwpt_id, 20);
OFF(iommu_test_cmd, mock_domain.out_idev_id, 24);
OFF(iommu_test_cmd, mock_domain_flags.dev_flags, 28);
OFF(iommu_test_cmd, check_map.iova, 16);
OFF(iommu_test_cmd, check_map.length, 24);
OFF(iommu_test_cmd, check_map.uptr, 32);
OFF(iommu_test_cmd, check_refs.length, 16);
OFF(iommu_test_cmd, check_refs.uptr, 24);
OFF(iommu_test_cmd, check_refs.refs, 32);
OFF(iommu_test_cmd, create_access.out_access_fd, 16);
OFF(iommu_test_cmd, create_access.flags, 20);
OFF(iommu_test_cmd, access_pages.flags, 16);
OFF(iommu_test_cmd, access_pages.out_access_pages_id, 20);
OFF(iommu_test_cmd, access_pages.iova, 24);
OFF(iommu_test_cmd, access_pages.length, 32);
OFF(iommu_test_cmd, access_pages.uptr, 40);
OFF(iommu_test_cmd, access_rw.iova, 16);
OFF(iommu_test_cmd, access_rw.length, 24);
OFF(iommu_test_cmd, access_rw.uptr, 32);
OFF(iommu_test_cmd, access_rw.flags, 40);
OFF(iommu_test_cmd, dirty.flags, 16);
OFF(iommu_test_cmd, dirty.iova, 24);
OFF(iommu_test_cmd, dirty.length, 32);
OFF(iommu_test_cmd, dirty.page_size, 40);
OFF(iommu_test_cmd, dirty.uptr, 48);
OFF(iommu_test_cmd, dirty.out_nr_dirty, 56);
OFF(iommu_test_cmd, check_iotlb.iotlb, 20);
OFF(iommu_test_cmd, trigger_iopf.dev_id, 16);
OFF(iommu_test_cmd, trigger_iopf.pasid, 20);
OFF(iommu_test_cmd, trigger_iopf.grpid, 24);
OFF(iommu_test_cmd, trigger_iopf.perm, 28);
OFF(iommu_test_cmd, trigger_iopf.addr, 32);
OFF(iommu_test_cmd, check_dev_cache.cache, 20);
OFF(iommu_test_cmd, pasid_attach.pt_id, 20);
OFF(iommu_test_cmd, pasid_check.hwpt_id, 20);
OFF(iommu_test_cmd, dmabuf_get.open_flags, 20);
OFF(iommu_test_cmd, dmabuf_revoke.revoked, 20);
OFF(iommu_test_cmd, check_dmabuf.iova, 24);
OFF(iommu_test_cmd, check_dmabuf.length, 32);
OFF(iommu_test_cmd, check_dmabuf.offset, 40);
OFF(iommu_test_cmd, last, 64);
SZ(iommu_test_hw_info, 8);
SZ(iommu_hwpt_selftest, 8);
SZ(iommu_hwpt_invalidate_selftest, 8);
SZ(iommu_viommu_invalidate_selftest, 12);
OFF(iommu_viommu_invalidate_selftest, vdev_id, 4);
OFF(iommu_viommu_invalidate_selftest, cache_id, 8);
SZ(iommu_viommu_selftest, 24);
OFF(iommu_viommu_selftest, out_data, 4);
OFF(iommu_viommu_selftest, out_mmap_offset, 8);
OFF(iommu_viommu_selftest, out_mmap_length, 16);
SZ(iommu_viommu_event_selftest, 4);

SZ(vfio_device_bind_iommufd, 24);
SZ(vfio_irq_set, 20);
OFF(vfio_irq_set, count, 16);
OFF(vfio_irq_set, data, 20);
OFF(vfio_device_bind_iommufd, flags, 4);
OFF(vfio_device_bind_iommufd, iommufd, 8);
OFF(vfio_device_bind_iommufd, out_devid, 12);
OFF(vfio_device_bind_iommufd, token_uuid_ptr, 16);
SZ(vfio_device_attach_iommufd_pt, 16);
OFF(vfio_device_attach_iommufd_pt, pt_id, 8);
OFF(vfio_device_attach_iommufd_pt, pasid, 12);
SZ(vfio_device_detach_iommufd_pt, 12);
OFF(vfio_device_detach_iommufd_pt, pasid, 8);
SZ(vfio_iommu_type1_info, 24);
OFF(vfio_iommu_type1_info, iova_pgsizes, 8);
OFF(vfio_iommu_type1_info, cap_offset, 16);
SZ(vfio_iommu_type1_dma_map, 32);
OFF(vfio_iommu_type1_dma_map, vaddr, 8);
OFF(vfio_iommu_type1_dma_map, iova, 16);
OFF(vfio_iommu_type1_dma_map, size, 24);
SZ(vfio_iommu_type1_dma_unmap, 24);
OFF(vfio_iommu_type1_dma_unmap, iova, 8);
OFF(vfio_iommu_type1_dma_unmap, size, 16);

const struct uapi_struct *
uapi_record(int kind)
{
	switch (kind) {
	case UAPI_REC_PGFAULT:
		return (&st_pgfault);
	case UAPI_REC_PAGE_RESPONSE:
		return (&st_page_response);
	case UAPI_REC_VEVENT:
		return (&st_vevent_header);
	default:
		return (NULL);
	}
}

size_t
uapi_vevent_len(uint32_t type)
{
	switch (type) {
	case IOMMU_VEVENTQ_TYPE_ARM_SMMUV3:
		return (sizeof(struct iommu_vevent_arm_smmuv3));
	case IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV:
		return (sizeof(struct iommu_vevent_tegra241_cmdqv));
	case IOMMU_VEVENTQ_TYPE_SELFTEST:
		return (sizeof(struct iommu_viommu_event_selftest));
	default:
		return (0);
	}
}
