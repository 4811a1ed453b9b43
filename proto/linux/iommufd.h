/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The /dev/iommu (iommufd) user API, as ioasidd serves it: every command
 * number, struct, flag and type of the upstream interface at the v6.17
 * level, plus the later additions that only add enum values or vendor
 * structs (AMD hardware info and guest DTE, the negative ATS capability,
 * the SMMUv3 erratum flag), and 7.3's IOMMU_IOAS_NOIOMMU_GET_PA, declared
 * only.
 *
 * A program written against the kernel's <linux/iommufd.h> must build
 * against this file unchanged and see the same bytes, so every name, type,
 * field order and anonymous union follows the kernel's spelling. The
 * include guard is the kernel's own, so that this file and an older system
 * copy can never both be seen by one translation unit.
 *
 * Conventions of the interface:
 *  - every command is _IO(IOMMUFD_TYPE, nr): no size or direction in the
 *    number; the struct begins with a u32 "size" that the caller sets to
 *    the size it knows, so the struct can grow at its end;
 *  - bytes past what the daemon knows must be zero (E2BIG otherwise);
 *    fields missing from a shorter struct read as zero;
 *  - a known field holding an unknown value gives EOPNOTSUPP, a wrong but
 *    understood value EINVAL, a missing id ENOENT;
 *  - 64-bit fields are __aligned_u64, so 32-bit and 64-bit callers share
 *    one layout and no struct has hidden padding.
 */
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOMMUFD_TYPE (';')

/* Command indexes: the ioctl number is 0x3b00 | index. */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,
	IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA = 0x95,
};

/*
 * IOMMU_DESTROY: destroy the object "id", whatever its kind. EBUSY while
 * anything else still holds it.
 */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/* IOMMU_IOAS_ALLOC: create an empty I/O address space; flags must be 0. */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/* One IOVA interval; "last" is inclusive. */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/*
 * IOMMU_IOAS_IOVA_RANGES: the usable IOVA intervals of an IOAS (the holes
 * between reserved ranges). num_iovas is the capacity of allowed_iovas[] on
 * input and the total on output; EMSGSIZE when the array was too short.
 * out_iova_alignment is the alignment MAP and COPY require.
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/*
 * IOMMU_IOAS_ALLOW_IOVAS: replace the IOAS's list of intervals that must
 * stay usable (and that automatic IOVA allocation is confined to) with the
 * num_iovas entries at allowed_iovas.
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/* Flags of MAP, MAP_FILE and COPY. */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,	/* iova is an input */
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,	/* devices may write */
	IOMMU_IOAS_MAP_READABLE = 1 << 2,	/* devices may read */
};

/*
 * IOMMU_IOAS_MAP: map length bytes of the caller's memory at user_va into
 * the IOAS, at iova (FIXED_IOVA) or at an address chosen and returned in
 * iova.
 */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/*
 * IOMMU_IOAS_MAP_FILE: like MAP, with the memory taken from the file fd
 * (a memfd, or a dma-buf) from byte offset start.
 */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

/*
 * IOMMU_IOAS_COPY: map into dst_ioas_id the pages already mapped at
 * [src_iova, src_iova + length) of src_ioas_id, without pinning them again.
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/*
 * IOMMU_IOAS_UNMAP: remove every mapping wholly inside [iova, iova +
 * length); length comes back as the bytes removed. iova 0 with length
 * U64_MAX removes everything.
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/* Options of IOMMU_OPTION. */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,	/* context: 0 user, 1 process charge */
	IOMMU_OPTION_HUGE_PAGES = 1,	/* per IOAS: 1 allows large pages */
};

enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/* IOMMU_OPTION: set or read one option of the context or of an object. */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/*
 * IOMMU_VFIO_IOAS: read, set or clear the IOAS that the VFIO type1
 * compatibility commands on this context act on.
 */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/* Flags of IOMMU_HWPT_ALLOC. */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,	/* may parent nested HWPTs */
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1, /* needs dirty tracking */
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,	/* fault_id is meaningful */
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,	/* may be attached to PASIDs */
};

/* Flags of struct iommu_hwpt_vtd_s1. */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,	/* supervisor requests */
	IOMMU_VTD_S1_EAFE = 1 << 1,	/* extended access flag */
	IOMMU_VTD_S1_WPE = 1 << 2,	/* write protect */
};

/* Intel VT-d guest stage-1 table (IOMMU_HWPT_DATA_VTD_S1). */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;	/* guest physical root */
	__u32 addr_width;		/* 48 or 57 */
	__u32 __reserved;
};

/*
 * ARM SMMUv3 guest Stream Table Entry, first two little-endian words
 * (IOMMU_HWPT_DATA_ARM_SMMUV3). An entry the host will not accept gives EIO.
 */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

/* AMD guest Device Table Entry, 256 bits (IOMMU_HWPT_DATA_AMD_GUEST). */
struct iommu_hwpt_amd_guest {
	__aligned_u64 dte[4];
};

/* Driver data formats of IOMMU_HWPT_ALLOC. */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
	IOMMU_HWPT_DATA_AMD_GUEST = 3,
};

/*
 * IOMMU_HWPT_ALLOC: create a hardware page table for device dev_id.
 * pt_id names an IOAS (a paging table kept in step with it), a NEST_PARENT
 * paging table or a vIOMMU (a nested table described by data_type,
 * data_len bytes at data_uptr). fault_id names a FAULT object when
 * IOMMU_HWPT_FAULT_ID_VALID is set.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/* Flags of struct iommu_hw_info_vtd. */
enum iommu_hw_info_vtd_flags {
	/* Sapphire Rapids erratum: no read-only maps on a nesting parent. */
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/* Intel VT-d registers as the hardware reports them. */
struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;		/* Capability Register */
	__aligned_u64 ecap_reg;		/* Extended Capability Register */
};

/* Flags of struct iommu_hw_info_arm_smmuv3. */
enum iommu_hw_info_arm_smmuv3_flags {
	/* TLBI and CFGI commands must be issued twice. */
	IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI = 1 << 0,
};

/*
 * ARM SMMUv3 identification registers, raw. A VMM should use only the
 * fields it understands.
 */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;
	__u32 __reserved;
	__u32 idr[6];			/* SMMU_IDR0..5 */
	__u32 iidr;
	__u32 aidr;
};

/* NVIDIA Tegra241 CMDQV parameters (IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV). */
struct iommu_hw_info_tegra241_cmdqv {
	__u32 flags;
	__u8 version;
	__u8 log2vcmdqs;		/* virtual CMDQs per VINTF */
	__u8 log2vsids;			/* virtual SIDs per VINTF */
	__u8 __reserved;
};

/* AMD IOMMU feature registers (IOMMU_HW_INFO_TYPE_AMD). */
struct iommu_hw_info_amd {
	__aligned_u64 efr;		/* Extended Feature Register */
	__aligned_u64 efr2;		/* Extended Feature 2 Register */
};

/* Formats of IOMMU_GET_HW_INFO's data. */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,	/* output: no data */
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,	/* input: the native format */
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
	IOMMU_HW_INFO_TYPE_AMD = 4,
};

/* Bits of iommu_hw_info.out_capabilities. */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
	/* Negative sense: an older kernel's 0 still means "may have ATS". */
	IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED = 1 << 3,
};

/* Flags of IOMMU_GET_HW_INFO. */
enum iommufd_hw_info_flags {
	/* in_data_type names the format wanted. */
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

/*
 * IOMMU_GET_HW_INFO: describe the IOMMU behind device dev_id. Up to
 * data_len bytes of the vendor struct go to data_uptr (the rest of the
 * caller's buffer is zeroed); data_len comes back as the vendor struct's
 * full length and out_data_type as its format.
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;	/* PASID width, 0 without PASID */
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/* IOMMU_HWPT_SET_DIRTY_TRACKING: turn dirty tracking on or off. */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};
#define IOMMU_HWPT_SET_DIRTY_TRACKING _IO(IOMMUFD_TYPE, \
					  IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

enum iommufd_hwpt_get_dirty_bitmap_flags {
	/* Read the dirty state without clearing it. */
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/*
 * IOMMU_HWPT_GET_DIRTY_BITMAP: set bit i of the bitmap at data when the
 * page_size unit at iova + i * page_size was written. The caller zeroes the
 * bitmap first; it holds DIV_ROUND_UP(length / page_size, 8) bytes.
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};
#define IOMMU_HWPT_GET_DIRTY_BITMAP _IO(IOMMUFD_TYPE, \
					IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/* Entry formats of IOMMU_HWPT_INVALIDATE. */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

enum iommu_hwpt_vtd_s1_invalidate_flags {
	/* Only leaf entries changed. */
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/*
 * One VT-d stage-1 invalidation: npages 4 KiB pages from addr; addr 0 with
 * npages U64_MAX means everything.
 */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/*
 * One raw SMMUv3 command queue entry, little-endian; device commands carry
 * the virtual StreamID.
 */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/*
 * IOMMU_HWPT_INVALIDATE: run entry_num invalidation entries of entry_len
 * bytes each, found at data_uptr, against a nested HWPT or a vIOMMU.
 * entry_num comes back as the number of entries handled, also on failure.
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = (1 << 0),
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = (1 << 1),	/* ends the group */
};

enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = (1 << 0),
	IOMMU_PGFAULT_PERM_WRITE = (1 << 1),
	IOMMU_PGFAULT_PERM_EXEC = (1 << 2),
	IOMMU_PGFAULT_PERM_PRIV = (1 << 3),
};

/*
 * One I/O page request, as read() from a fault queue fd returns it. Every
 * record of one group carries the same cookie.
 */
struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;			/* PRG index */
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;			/* size hint, 0 when unknown */
	__u32 cookie;
};

enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,	/* handled: retry the access */
	IOMMUFD_PAGE_RESP_INVALID = 1,	/* not handled: do not retry */
};

/* The answer to one fault group, as written to a fault queue fd. */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};

/* IOMMU_FAULT_QUEUE_ALLOC: create a FAULT object and its fd. */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

/* Driver data of a Tegra241 CMDQV vIOMMU: where to mmap its VINTF page. */
struct iommu_viommu_tegra241_cmdqv {
	__aligned_u64 out_vintf_mmap_offset;
	__aligned_u64 out_vintf_mmap_length;
};

/*
 * IOMMU_VIOMMU_ALLOC: create a virtual IOMMU instance over the physical
 * IOMMU of dev_id and the nesting parent hwpt_id. data_len bytes at
 * data_uptr are the type's driver data, read and written back.
 */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data_uptr;
};
#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/*
 * IOMMU_VDEVICE_ALLOC: present device dev_id behind vIOMMU viommu_id under
 * the guest's id virt_id (vSID, vRID or vDeviceID).
 */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};
#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/*
 * IOMMU_IOAS_CHANGE_PROCESS: charge every file-backed mapping of the
 * context to the calling process. EINVAL if any mapping came from a user
 * address.
 */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};
#define IOMMU_IOAS_CHANGE_PROCESS \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

enum iommu_veventq_flag {
	/* Events were dropped here; no payload follows this header. */
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = (1U << 0),
};

/*
 * The header before every record read from a vEVENTQ fd. sequence counts
 * up from 0 and wraps after INT_MAX; a gap means events were lost.
 */
struct iommufd_vevent_header {
	__u32 flags;
	__u32 sequence;
};

enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
};

/* A raw SMMUv3 event record, StreamID replaced by the virtual one. */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};

/* Tegra241 CMDQV: bitmap of the logical vCMDQs in error. */
struct iommu_vevent_tegra241_cmdqv {
	__aligned_le64 lvcmdq_err_map[2];
};

/*
 * IOMMU_VEVENTQ_ALLOC: create an event queue of the given type (one per
 * type) on a vIOMMU, holding at most veventq_depth events, and its fd.
 */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved;
};
#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

enum iommu_hw_queue_type {
	IOMMU_HW_QUEUE_TYPE_DEFAULT = 0,
	/*
	 * Tegra241 vCMDQ: indexes allocated upward from 0 and freed downward;
	 * length a power of two from 32 bytes, base aligned to length.
	 */
	IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
};

/*
 * IOMMU_HW_QUEUE_ALLOC: hand a guest-owned hardware queue of length bytes
 * at nesting_parent_iova (an IOVA of the parent IOAS) to a vIOMMU.
 */
struct iommu_hw_queue_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 index;
	__u32 out_hw_queue_id;
	__aligned_u64 nesting_parent_iova;
	__aligned_u64 length;
};
#define IOMMU_HW_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC)

/*
 * IOMMU_IOAS_NOIOMMU_GET_PA (Linux 7.3, for noiommu devices only): the
 * physical address that iova maps to in an IOAS. The start must be
 * mapped and length non-zero; length comes back as the bytes physically
 * contiguous from out_phys, never more than asked. flags and __reserved
 * are 0. The daemon answers it with emulated physical addresses
 * (daemon/iommufd/noiommu.h).
 */
struct iommu_ioas_noiommu_get_pa {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 out_phys;
};
#define IOMMU_IOAS_NOIOMMU_GET_PA \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA)

#endif /* _UAPI_IOMMUFD_H */
