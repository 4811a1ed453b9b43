/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The test command of /dev/iommu, IOMMU_TEST_CMD, and the formats of the
 * mock IOMMU and mock device behind it: the interface the kernel's own
 * iommufd selftest drives. ioasidd serves it so that those tests, written
 * for the kernel's mock, run against the daemon.
 *
 * The selftest includes this file by a relative path into the kernel tree
 * and must compile unchanged, so every name here follows the kernel's
 * spelling, including the union members of struct iommu_test_cmd. It covers
 * the ops up to the dma-buf ones, and the few constants that older
 * selftests still use (MOCK_FLAGS_DEVICE_HUGE_IOVA).
 *
 * The constants that a selftest may also define itself (MOCK_PAGE_SIZE,
 * MOCK_HUGE_PAGE_SIZE) are enum constants, not macros, so that a later
 * #define of the same name in the test is not a redefinition.
 */
#ifndef _UAPI_IOMMUFD_TEST_H
#define _UAPI_IOMMUFD_TEST_H

#include <linux/iommufd.h>
#include <linux/types.h>

/* Values of iommu_test_cmd.op. */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN,		/* 2 */
	IOMMU_TEST_OP_MD_CHECK_MAP,		/* 3 */
	IOMMU_TEST_OP_MD_CHECK_REFS,		/* 4 */
	IOMMU_TEST_OP_CREATE_ACCESS,		/* 5 */
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,	/* 6 */
	IOMMU_TEST_OP_ACCESS_PAGES,		/* 7 */
	IOMMU_TEST_OP_ACCESS_RW,		/* 8 */
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,	/* 9 */
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,	/* 10 */
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,	/* 11 */
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,	/* 12 */
	IOMMU_TEST_OP_DIRTY,			/* 13 */
	IOMMU_TEST_OP_MD_CHECK_IOTLB,		/* 14 */
	IOMMU_TEST_OP_TRIGGER_IOPF,		/* 15 */
	IOMMU_TEST_OP_DEV_CHECK_CACHE,		/* 16 */
	IOMMU_TEST_OP_TRIGGER_VEVENT,		/* 17 */
	IOMMU_TEST_OP_PASID_ATTACH,		/* 18 */
	IOMMU_TEST_OP_PASID_REPLACE,		/* 19 */
	IOMMU_TEST_OP_PASID_DETACH,		/* 20 */
	IOMMU_TEST_OP_PASID_CHECK_HWPT,		/* 21 */
	IOMMU_TEST_OP_DMABUF_GET,		/* 22 */
	IOMMU_TEST_OP_DMABUF_REVOKE,		/* 23 */
	IOMMU_TEST_OP_MD_CHECK_DMABUF,		/* 24 */
};

/* Page table formats of the mock (iommu_hwpt_selftest.pagetable_type). */
enum {
	MOCK_IOMMUPT_DEFAULT = 0,
	MOCK_IOMMUPT_HUGE,
	MOCK_IOMMUPT_AMDV1,
};

/* Geometry of the mock IOMMU's default page table. */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
	MOCK_PAGE_SIZE = 2048,
	MOCK_HUGE_PAGE_SIZE = 512 * MOCK_PAGE_SIZE,
};

/* access_pages.flags */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,	/* fuzzer: clamp the inputs */
};

/* access_rw.flags */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,		/* from uptr to IOVA */
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,	/* skip the fast path */
};

/* create_access.flags */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* mock_domain_flags.dev_flags */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,	/* no dirty tracking */
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,	/* older selftests only */
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,	/* PASID capable */
};

/* IOTLB slots of a mock nested domain. */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

/* Cache slots of a mock device. */
enum {
	MOCK_DEV_CACHE_ID_MAX = 3,
	MOCK_DEV_CACHE_NUM = 4,
};

/* PASID_REPLACE to this PASID fails with ENOMEM, on purpose. */
#define IOMMU_TEST_PASID_RESERVED 1024

/*
 * The argument of IOMMU_TEST_CMD. "op" picks the union member; "id" names
 * the object the op works on (an IOAS, a HWPT, a mock device's stdev id or
 * an access fd, depending on op). 72 bytes; the smallest accepted size ends
 * at "last".
 */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		/* ADD_RESERVED: reserve [start, start + length) in IOAS id. */
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		/* MOCK_DOMAIN: new mock device attached to pt_id "id". */
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;	/* the DEVICE object */
		} mock_domain;
		/* MOCK_DOMAIN_FLAGS: the same, with device flags. */
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		/* MOCK_DOMAIN_REPLACE: move stdev "id" to pt_id. */
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		/* MD_CHECK_MAP: the HWPT maps iova.. to the pages at uptr. */
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		/* MD_CHECK_REFS: the pages at uptr are pinned refs times. */
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		/* CREATE_ACCESS: an in-kernel user of IOAS "id", as an fd. */
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		/* DESTROY_ACCESS_PAGES: unpin what ACCESS_PAGES pinned. */
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		/* ACCESS_PAGES: pin iova.. through access "id". */
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		/* ACCESS_RW: copy between iova.. and the buffer at uptr. */
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		/* SET_TEMP_MEMORY_LIMIT: pinning batch size. */
		struct {
			__u32 limit;
		} memory_limit;
		/* ACCESS_REPLACE_IOAS: move access "id" to ioas_id. */
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		/* DIRTY: mark dirty the pages whose bits are set at uptr. */
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		/* MD_CHECK_IOTLB: slot id of nested HWPT "id" holds iotlb. */
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		/* TRIGGER_IOPF: a page request from device dev_id. */
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__aligned_u64 addr;
		} trigger_iopf;
		/* DEV_CHECK_CACHE: slot id of device "id" holds cache. */
		struct {
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		/* TRIGGER_VEVENT: a vIOMMU event naming device dev_id. */
		struct {
			__u32 dev_id;
		} trigger_vevent;
		/* PASID_ATTACH: attach pasid of stdev "id" to pt_id. */
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		/* PASID_REPLACE: move pasid of stdev "id" to pt_id. */
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		/* PASID_DETACH: detach pasid of stdev "id". */
		struct {
			__u32 pasid;
		} pasid_detach;
		/* PASID_CHECK_HWPT: pasid of stdev "id" is on hwpt_id. */
		struct {
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
		/* DMABUF_GET: a test dma-buf; the ioctl returns its fd. */
		struct {
			__u32 length;
			__u32 open_flags;
		} dmabuf_get;
		/* DMABUF_REVOKE: revoke (or restore) a test dma-buf. */
		struct {
			__s32 dmabuf_fd;
			__u32 revoked;
		} dmabuf_revoke;
		/* MD_CHECK_DMABUF: HWPT "id" maps iova.. to the dma-buf. */
		struct {
			__s32 dmabuf_fd;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 offset;
		} check_dmabuf;
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* PASID width of a PASID-capable mock device. */
#define MOCK_PASID_WIDTH 20

/* IOMMU_GET_HW_INFO data of a mock device. */
#define IOMMU_HW_INFO_TYPE_SELFTEST	0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL	0xdeadbeef

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;		/* IOMMU_HW_INFO_SELFTEST_REGVAL */
};

/* Mock formats; chosen not to collide with the real enum values. */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

/*
 * IOMMU_HWPT_ALLOC data for the mock: the initial value of a nested
 * domain's IOTLB slots, or (on an IOAS) the page table format.
 */
struct iommu_hwpt_selftest {
	__u32 iotlb;
	__u32 pagetable_type;	/* MOCK_IOMMUPT_* */
};

#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* With this flag the entry flushes every slot and iotlb_id is ignored. */
#define IOMMU_TEST_INVALIDATE_FLAG_ALL	(1 << 0)

/* One invalidation entry for a mock nested HWPT. */
struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};

#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef

/*
 * IOMMU_VIOMMU_ALLOC data for the mock: out_data echoes in_data, and the
 * mmap offset and length name a page of the iommufd whose first u32 reads
 * back in_data.
 */
struct iommu_viommu_selftest {
	__u32 in_data;
	__u32 out_data;
	__aligned_u64 out_mmap_offset;
	__aligned_u64 out_mmap_length;
};

#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* One invalidation entry for a mock vIOMMU: a device cache slot. */
struct iommu_viommu_invalidate_selftest {
	__u32 flags;
	__u32 vdev_id;		/* the vDEVICE's virt_id */
	__u32 cache_id;
};

#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef

/* Payload of a mock vEVENT. */
struct iommu_viommu_event_selftest {
	__u32 virt_id;
};

#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_TEST_HW_QUEUE_MAX 2

#endif /* _UAPI_IOMMUFD_TEST_H */
