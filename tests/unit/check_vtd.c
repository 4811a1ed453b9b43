/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The intel-vtd model: its profiles and overrides, and every answer it
 * gives checked against the register bits it comes from, by flipping the
 * bit and seeing the answer follow; the nested S1 and invalidation rules
 * one by one, with the errnos of Linux 7.3's intel driver; the domain
 * ids that CAP.ND gives, run out of through the model and through
 * devices attaching (ENOSPC at attach, as domain_attach_iommu()).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/ctx.h"
#include "hw/hw.h"
#include "iommufd/device.h"
#include "helpers.h"
#include "suites.h"

#include <linux/iommufd.h>

#define CAP_CM		(1ULL << 7)
#define CAP_SLLPS_2M	(1ULL << 34)
#define CAP_SLLPS_1G	(1ULL << 35)
#define CAP_FL1GP	(1ULL << 56)
#define CAP_FL5LP	(1ULL << 60)
#define ECAP_SC		(1ULL << 7)
#define ECAP_NEST	(1ULL << 26)
#define ECAP_SRS	(1ULL << 31)
#define ECAP_EAFS	(1ULL << 34)
#define ECAP_PASID	(1ULL << 40)
#define ECAP_SMTS	(1ULL << 43)
#define ECAP_SLADS	(1ULL << 45)
#define ECAP_SLTS	(1ULL << 46)
#define ECAP_FLTS	(1ULL << 47)
#define ECAP_SMPWC	(1ULL << 48)

/* QEMU 10.0.2's default intel-iommu, and its scalable mode. */
#define QEMU_CAP	0x00d2008c222f0606ULL
#define QEMU_ECAP	0x0000000000f00f4aULL
#define QEMU_SM_ECAP	0x0000480080f00f4aULL

static struct hw_instance	*inst;
static struct hw_dev_desc	 dev;
static char			 err[256];

/* A new instance of profile with the "key=value" overrides in kv. */
static int
mk(const char *profile, const char *const *kv, size_t n)
{
	struct hw_param	 p[8];
	char		 buf[8][128], *eq;
	size_t		 i;

	ck_assert_uint_le(n, 8);
	for (i = 0; i < n; i++) {
		snprintf(buf[i], sizeof(buf[i]), "%s", kv[i]);
		eq = strchr(buf[i], '=');
		ck_assert_ptr_nonnull(eq);
		*eq = '\0';
		p[i].key = buf[i];
		p[i].value = eq + 1;
		p[i].line = (int)i + 1;
	}
	hw_instance_free(inst);
	inst = NULL;
	err[0] = '\0';
	memset(&dev, 0, sizeof(dev));
	if (hw_instance_new("vtd0", "intel-vtd", profile, p, n, &inst, err,
	    sizeof(err)) != 0)
		return (-1);
	dev.hw = inst;
	dev.rid = 8;
	return (0);
}

/* An instance with exactly these registers. */
static void
mk_regs(uint64_t cap, uint64_t ecap)
{
	char	 c[64], e[64];

	snprintf(c, sizeof(c), "cap=0x%llx", (unsigned long long)cap);
	snprintf(e, sizeof(e), "ecap=0x%llx", (unsigned long long)ecap);
	ck_assert_int_eq(mk(NULL, (const char *const[]){ c, e }, 2), 0);
}

struct regs {
	uint64_t	cap, ecap;
	int		n;
};

static void
reg_one(void *arg, const char *name, uint64_t value)
{
	struct regs	*r = arg;

	if (strcmp(name, "cap") == 0)
		r->cap = value;
	else if (strcmp(name, "ecap") == 0)
		r->ecap = value;
	r->n++;
}

static struct regs
regs(void)
{
	struct regs	r = { 0, 0, 0 };

	inst->ops->describe(inst, reg_one, &r);
	return (r);
}

static void
teardown(void)
{
	hw_instance_free(inst);
	inst = NULL;
}

/* The context first: its devices point at the instance. */
static void
teardown_ctx(void)
{
	test_teardown();
	teardown();
}

/* Every profile, against the values QEMU 10.0.2 gives for its properties. */
START_TEST(vtd_profiles)
{
	static const struct {
		const char	*name;
		uint64_t	 cap, ecap;
	} want[] = {
		{ "qemu", QEMU_CAP, QEMU_ECAP },
		{ "qemu-cm", 0x00d2008c222f0686ULL, QEMU_ECAP },
		{ "qemu-aw39", 0x00d2008c22260206ULL, QEMU_ECAP },
		{ "qemu-sc", QEMU_CAP, 0x0000000000f00fcaULL },
		{ "qemu-scalable", QEMU_CAP, QEMU_SM_ECAP },
		{ "qemu-scalable-cm", 0x00d2008c222f0686ULL, QEMU_SM_ECAP },
		{ "qemu-flts", 0x01d2008c222f0606ULL, 0x0000880000f00f4aULL },
		{ "qemu-pasid", QEMU_CAP, 0x0000490080f00f4aULL },
		{ "server", 0x09ed008c40780466ULL, 0x3ef9ea6f050dfULL },
		{ "server-nosc", 0x09ed008c40780466ULL, 0x3ee9e86f0505fULL },
	};
	const struct hw_model_ops	*ops = hw_model_find("intel-vtd");
	struct regs			 r;
	size_t				 i;

	ck_assert_ptr_eq(ops, &hw_vtd_ops);
	ck_assert_str_eq(ops->profiles[0], "qemu");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_str_eq(ops->profiles[i], want[i].name);
		ck_assert_int_eq(mk(want[i].name, NULL, 0), 0);
		ck_assert_str_eq(inst->profile, want[i].name);
		r = regs();
		ck_assert_int_eq(r.n, 2);
		ck_assert_msg(r.cap == want[i].cap && r.ecap == want[i].ecap,
		    "profile %s", want[i].name);
	}
	ck_assert_ptr_null(ops->profiles[i]);
	/* The default is the first. */
	ck_assert_int_eq(mk(NULL, NULL, 0), 0);
	ck_assert_str_eq(inst->profile, "qemu");
	ck_assert_uint_eq(regs().cap, QEMU_CAP);
	ck_assert_int_eq(mk("nosuch", NULL, 0), -1);
	ck_assert_ptr_nonnull(strstr(err, "qemu-flts"));
}
END_TEST

/* cap, ecap and the convenience keys, and what they refuse. */
START_TEST(vtd_overrides)
{
	struct regs	r;

	ck_assert_int_eq(mk("qemu", (const char *const[]){ "cap=0x1234",
	    "ecap=0" }, 2), -1);
	ck_assert_ptr_nonnull(strstr(err, "cap: SAGAW"));
	mk_regs(QEMU_CAP | CAP_FL5LP, QEMU_SM_ECAP);
	r = regs();
	ck_assert_uint_eq(r.cap, QEMU_CAP | CAP_FL5LP);
	ck_assert_uint_eq(r.ecap, QEMU_SM_ECAP);

	/* aw-bits: MGAW and SAGAW as QEMU's aw-bits makes them. */
	ck_assert_int_eq(mk("qemu", (const char *const[]){ "aw-bits=39" },
	    1), 0);
	ck_assert_uint_eq(regs().cap, 0x00d2008c22260206ULL);
	ck_assert_int_eq(mk("qemu-aw39", (const char *const[]){
	    "aw-bits=48" }, 1), 0);
	ck_assert_uint_eq(regs().cap, QEMU_CAP);
	ck_assert_int_eq(mk("qemu", (const char *const[]){ "aw-bits=57" },
	    1), 0);
	ck_assert_uint_eq(regs().cap, (QEMU_CAP & ~(0x3fULL << 16)) |
	    56ULL << 16 | 1ULL << 11);
	/* Convenience keys apply after cap and ecap, whatever the order. */
	ck_assert_int_eq(mk("qemu", (const char *const[]){ "caching-mode=on",
	    "cap=0x00d2008c222f0606" }, 2), 0);
	ck_assert_uint_eq(regs().cap, QEMU_CAP | CAP_CM);
	ck_assert_int_eq(mk("qemu-scalable", (const char *const[]){
	    "pasid-bits=20", "snoop-control=on", "nesting=on",
	    "dirty-tracking=on" }, 4), 0);
	ck_assert_uint_eq(regs().ecap, QEMU_SM_ECAP | ECAP_PASID |
	    19ULL << 35 | ECAP_SC | ECAP_NEST | ECAP_FLTS | ECAP_SLADS |
	    ECAP_SMPWC);
	ck_assert_int_eq(mk("qemu-flts", (const char *const[]){
	    "nesting=on" }, 1), 0);
	ck_assert_uint_eq(regs().ecap, 0x0000880000f00f4aULL | ECAP_NEST |
	    ECAP_SLTS);
	ck_assert_int_eq(mk("qemu-flts", (const char *const[]){
	    "nesting=on", "nesting=off" }, 2), 0);
	ck_assert_uint_eq(regs().ecap, 0x0000880000f00f4aULL | ECAP_SLTS);
	ck_assert_int_eq(mk("qemu-pasid", (const char *const[]){
	    "pasid-bits=0" }, 1), 0);
	ck_assert_uint_eq(regs().ecap, QEMU_SM_ECAP);

	ck_assert_int_eq(mk("qemu", (const char *const[]){ "aw-bits=40" },
	    1), -1);
	ck_assert_ptr_nonnull(strstr(err, "aw-bits must be 39, 48 or 57"));
	ck_assert_int_eq(mk("qemu", (const char *const[]){ "pasid-bits=21" },
	    1), -1);
	ck_assert_ptr_nonnull(strstr(err, "pasid-bits must be"));
	ck_assert_int_eq(mk("qemu", (const char *const[]){ "nesting=yes" },
	    1), -1);
	ck_assert_ptr_nonnull(strstr(err, "nesting must be on or off"));
	ck_assert_int_eq(mk("qemu", (const char *const[]){ "cap=0xg" }, 1),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "cap must be a 64-bit number"));
	ck_assert_int_eq(mk("qemu", (const char *const[]){
	    "ecap=0x10000000000000000" }, 1), -1);
	ck_assert_ptr_nonnull(strstr(err, "ecap must be"));
	ck_assert_int_eq(mk("qemu", (const char *const[]){ "sagaw=1" }, 1),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown key \"sagaw\""));
	ck_assert_ptr_null(inst);
}
END_TEST

/* GET_HW_INFO: the two registers and the erratum flag, VT-d type only. */
START_TEST(vtd_hw_info)
{
	struct iommu_hw_info_vtd	 info;
	unsigned char			 buf[HW_INFO_MAX];
	uint32_t			 type = 0;
	size_t				 len = 0;

	ck_assert_int_eq(mk("qemu-flts", NULL, 0), 0);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(inst->ops->hw_info(&dev, IOMMU_HW_INFO_TYPE_DEFAULT,
	    &type, buf, &len), 0);
	ck_assert_uint_eq(type, IOMMU_HW_INFO_TYPE_INTEL_VTD);
	ck_assert_uint_eq(len, sizeof(info));
	memcpy(&info, buf, sizeof(info));
	ck_assert_uint_eq(info.flags, IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17);
	ck_assert_uint_eq(info.__reserved, 0);
	ck_assert_uint_eq(info.cap_reg, 0x01d2008c222f0606ULL);
	ck_assert_uint_eq(info.ecap_reg, 0x0000880000f00f4aULL);
	ck_assert_int_eq(inst->ops->hw_info(&dev,
	    IOMMU_HW_INFO_TYPE_INTEL_VTD, &type, buf, &len), 0);
	ck_assert_int_eq(inst->ops->hw_info(&dev,
	    IOMMU_HW_INFO_TYPE_ARM_SMMUV3, &type, buf, &len), -EOPNOTSUPP);
}
END_TEST

static int
resv_one(void *arg, uint64_t start, uint64_t last)
{
	uint64_t	*r = arg;

	r[0] = start;
	r[1] = last;
	r[2]++;
	return (0);
}

/* Dirty tracking from SLADS (with SMPWC and SMTS); the MSI window. */
START_TEST(vtd_caps_resv)
{
	uint64_t	 sm = QEMU_SM_ECAP | ECAP_SLADS | ECAP_SMPWC;
	uint64_t	 r[3] = { 0, 0, 0 };

	mk_regs(QEMU_CAP, sm);
	ck_assert_uint_eq(inst->ops->capabilities(&dev),
	    IOMMU_HW_CAP_DIRTY_TRACKING);
	dev.flags = HW_DEV_NO_DIRTY;
	ck_assert_uint_eq(inst->ops->capabilities(&dev), 0);
	mk_regs(QEMU_CAP, sm & ~ECAP_SLADS);
	ck_assert_uint_eq(inst->ops->capabilities(&dev), 0);
	mk_regs(QEMU_CAP, sm & ~ECAP_SMPWC);
	ck_assert_uint_eq(inst->ops->capabilities(&dev), 0);
	mk_regs(QEMU_CAP, sm & ~ECAP_SMTS);
	ck_assert_uint_eq(inst->ops->capabilities(&dev), 0);

	ck_assert_int_eq(inst->ops->reserved_regions(&dev, resv_one, r), 0);
	ck_assert_uint_eq(r[0], 0xfee00000ULL);
	ck_assert_uint_eq(r[1], 0xfeefffffULL);
	ck_assert_uint_eq(r[2], 1);
}
END_TEST

/* Paging domains: format, page sizes, aperture, snooping, flags. */
START_TEST(vtd_paging)
{
	struct hw_domain	 dom;
	struct hw_data		 data = { IOMMU_HWPT_DATA_VTD_S1, NULL, 0 };
	uint64_t		 sm = QEMU_SM_ECAP | ECAP_SLADS | ECAP_SMPWC |
				    ECAP_NEST;

	/* Legacy mode: second stage, SLLPS page sizes, 48 bits. */
	mk_regs(QEMU_CAP, QEMU_ECAP);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, NULL, &dom),
	    0);
	ck_assert_uint_eq(dom.pgsize_bitmap, (1ULL << 12) | (1ULL << 21) |
	    (1ULL << 30));
	ck_assert_uint_eq(dom.aperture_start, 0);
	ck_assert_uint_eq(dom.aperture_last, (1ULL << 48) - 1);
	ck_assert_int_eq(dom.enforce_cc, 0);
	mk_regs(QEMU_CAP & ~CAP_SLLPS_1G, QEMU_ECAP | ECAP_SC);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, NULL, &dom),
	    0);
	ck_assert_uint_eq(dom.pgsize_bitmap, (1ULL << 12) | (1ULL << 21));
	ck_assert_int_eq(dom.enforce_cc, 1);
	mk_regs(QEMU_CAP & ~(CAP_SLLPS_1G | CAP_SLLPS_2M), QEMU_ECAP);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, NULL, &dom),
	    0);
	ck_assert_uint_eq(dom.pgsize_bitmap, 1ULL << 12);
	/* aw-bits 39: SAGAW 3-level, MGAW 38. */
	ck_assert_int_eq(mk("qemu-aw39", NULL, 0), 0);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, NULL, &dom),
	    0);
	ck_assert_uint_eq(dom.aperture_last, (1ULL << 39) - 1);
	/* A 4-level SAGAW with MGAW 57 still stops at 48 bits. */
	ck_assert_int_eq(mk("server", NULL, 0), 0);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_NEST_PARENT, NULL, &dom), 0);
	ck_assert_uint_eq(dom.aperture_last, (1ULL << 48) - 1);
	ck_assert_int_eq(mk("server", (const char *const[]){ "aw-bits=57" },
	    1), 0);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_NEST_PARENT, NULL, &dom), 0);
	ck_assert_uint_eq(dom.aperture_last, (1ULL << 57) - 1);

	/* Flags and data. */
	mk_regs(QEMU_CAP, QEMU_ECAP);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_NEST_PARENT, NULL, &dom), -EOPNOTSUPP);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_DIRTY, NULL, &dom), -EOPNOTSUPP);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0x100, NULL,
	    &dom), -EOPNOTSUPP);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, &data,
	    &dom), -EOPNOTSUPP);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_PASID, NULL, &dom), 0);
	/* NEST needs scalable mode; then NEST_PARENT goes. */
	mk_regs(QEMU_CAP, (sm & ~ECAP_SMTS));
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_NEST_PARENT, NULL, &dom), -EOPNOTSUPP);
	mk_regs(QEMU_CAP, sm);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_NEST_PARENT | HW_DOMAIN_DIRTY, NULL, &dom), 0);
	ck_assert_uint_eq(dom.flags, HW_DOMAIN_NEST_PARENT | HW_DOMAIN_DIRTY);
	mk_regs(QEMU_CAP, sm & ~ECAP_NEST);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_NEST_PARENT, NULL, &dom), -EOPNOTSUPP);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_DIRTY, NULL, &dom), 0);
	dev.flags = HW_DEV_NO_DIRTY;
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_DIRTY, NULL, &dom), -EOPNOTSUPP);
	dev.flags = 0;
	mk_regs(QEMU_CAP, sm & ~ECAP_SLADS);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_DIRTY, NULL, &dom), -EOPNOTSUPP);
	/* Scalable without SLTS: no second stage at all. */
	mk_regs(QEMU_CAP, sm & ~ECAP_SLTS);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, NULL, &dom),
	    -EOPNOTSUPP);

	/* First stage, preferred: 4K, 2M, 1G with FL1GP; 47 bits. */
	ck_assert_int_eq(mk("qemu-flts", NULL, 0), 0);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, NULL, &dom),
	    0);
	ck_assert_uint_eq(dom.pgsize_bitmap, (1ULL << 12) | (1ULL << 21) |
	    (1ULL << 30));
	ck_assert_uint_eq(dom.aperture_last, (1ULL << 47) - 1);
	ck_assert_int_eq(inst->ops->attach_check(&dev, &dom), 0);
	/* ... and NEST_PARENT wants a second stage it does not have. */
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_NEST_PARENT, NULL, &dom), -EOPNOTSUPP);
	mk_regs(0x01d2008c222f0606ULL & ~CAP_FL1GP, 0x0000880000f00f4aULL);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, NULL, &dom),
	    0);
	ck_assert_uint_eq(dom.pgsize_bitmap, (1ULL << 12) | (1ULL << 21));
	/* FL5LP with MGAW 57: 56 bits. */
	mk_regs((0x01d2008c222f0606ULL & ~(0x3fULL << 16)) | 56ULL << 16 |
	    CAP_FL5LP, 0x0000880000f00f4aULL);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, NULL, &dom),
	    0);
	ck_assert_uint_eq(dom.aperture_last, (1ULL << 56) - 1);
}
END_TEST

/* attach_check: the unit must do what the domain was made with. */
START_TEST(vtd_attach)
{
	struct hw_domain	 dom;

	ck_assert_int_eq(mk("qemu-sc", NULL, 0), 0);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, NULL, &dom),
	    0);
	ck_assert_int_eq(inst->ops->attach_check(&dev, &dom), 0);
	ck_assert_int_eq(mk("qemu", NULL, 0), 0);
	ck_assert_int_eq(inst->ops->attach_check(&dev, &dom), -EINVAL);
	dom.enforce_cc = 0;
	ck_assert_int_eq(inst->ops->attach_check(&dev, &dom), 0);
	dom.flags = HW_DOMAIN_DIRTY;
	ck_assert_int_eq(inst->ops->attach_check(&dev, &dom), -EINVAL);
	dom.flags = 0;
	dom.pagetable_type = 1;		/* first stage */
	ck_assert_int_eq(inst->ops->attach_check(&dev, &dom), -EINVAL);

	/* Another unit's domain: its address width and its page sizes. */
	ck_assert_int_eq(mk("qemu", NULL, 0), 0);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, NULL, &dom),
	    0);
	ck_assert_uint_eq(dom.aperture_last, (1ULL << 48) - 1);
	ck_assert_int_eq(mk("qemu-aw39", NULL, 0), 0);
	ck_assert_int_eq(inst->ops->attach_check(&dev, &dom), -EINVAL);
	dom.aperture_last = (1ULL << 39) - 1;
	ck_assert_int_eq(inst->ops->attach_check(&dev, &dom), 0);
	mk_regs(QEMU_CAP & ~(1ULL << 35), QEMU_ECAP);	/* no 1 GiB pages */
	ck_assert_int_eq(inst->ops->attach_check(&dev, &dom), -EINVAL);
	dom.pgsize_bitmap &= ~(1ULL << 30);
	ck_assert_int_eq(inst->ops->attach_check(&dev, &dom), 0);
	/* A nest parent needs a unit that nests. */
	dom.flags = HW_DOMAIN_NEST_PARENT;
	ck_assert_int_eq(inst->ops->attach_check(&dev, &dom), -EINVAL);
}
END_TEST

/* A nested S1 domain, each rule of Linux's nested.c and pasid.c. */
START_TEST(vtd_nested)
{
	struct iommu_hwpt_vtd_s1	 s1;
	struct hw_domain		 parent, plain;
	struct hw_nested		 nested;
	struct hw_data			 data;
	unsigned char			 buf[64];
	uint64_t			 sm = QEMU_SM_ECAP | ECAP_NEST |
					    ECAP_FLTS;

	mk_regs(QEMU_CAP, sm);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_NEST_PARENT, NULL, &parent), 0);
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev, 0, NULL,
	    &plain), 0);
	memset(buf, 0, sizeof(buf));
	memset(&s1, 0, sizeof(s1));
	s1.pgtbl_addr = 0x100000;
	s1.addr_width = 48;
	memcpy(buf, &s1, sizeof(s1));
	data.type = IOMMU_HWPT_DATA_VTD_S1;
	data.buf = buf;
	data.len = sizeof(s1);
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), 0);
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent,
	    HW_DOMAIN_PASID, &data, &nested), 0);
	ck_assert_uint_eq(nested.flags, HW_DOMAIN_PASID);
	/* Flags, data type, parent. */
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent,
	    HW_DOMAIN_DIRTY, &data, &nested), -EOPNOTSUPP);
	data.type = IOMMU_HWPT_DATA_ARM_SMMUV3;
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), -EOPNOTSUPP);
	data.type = IOMMU_HWPT_DATA_VTD_S1;
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &plain, 0,
	    &data, &nested), -EINVAL);
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, NULL, 0,
	    &data, &nested), -EINVAL);
	/* Length: short is EINVAL, longer needs zeros (E2BIG). */
	data.len = sizeof(s1) - 1;
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), -EINVAL);
	data.len = sizeof(s1) + 8;
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), 0);
	buf[sizeof(s1) + 3] = 1;
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), -E2BIG);
	buf[sizeof(s1) + 3] = 0;
	data.len = sizeof(s1);
	/* addr_width: 48, or 57 with FL5LP. */
	s1.addr_width = 39;
	memcpy(buf, &s1, sizeof(s1));
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), -EINVAL);
	s1.addr_width = 57;
	memcpy(buf, &s1, sizeof(s1));
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), -EINVAL);
	mk_regs(QEMU_CAP | CAP_FL5LP, sm);
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), 0);
	/* SRE needs SRS, EAFE needs EAFS, WPE always goes. */
	s1.addr_width = 48;
	s1.flags = IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_WPE;
	memcpy(buf, &s1, sizeof(s1));
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), 0);
	mk_regs(QEMU_CAP, sm & ~ECAP_SRS);
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), -EINVAL);
	s1.flags = IOMMU_VTD_S1_EAFE;
	memcpy(buf, &s1, sizeof(s1));
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), -EINVAL);
	mk_regs(QEMU_CAP, sm | ECAP_EAFS);
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), 0);
	/* No NEST, no FLTS, or no scalable mode: no nested domain. */
	mk_regs(QEMU_CAP, sm & ~ECAP_FLTS);
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), -EOPNOTSUPP);
	mk_regs(QEMU_CAP, sm & ~ECAP_NEST);
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), -EOPNOTSUPP);
	mk_regs(QEMU_CAP, (sm | ECAP_EAFS) & ~ECAP_SMTS);
	ck_assert_int_eq(inst->ops->domain_alloc_nested(&dev, &parent, 0,
	    &data, &nested), -EOPNOTSUPP);
}
END_TEST

/* One invalidation entry: each rule of intel_nested_cache_invalidate_user. */
START_TEST(vtd_invalidate)
{
	struct iommu_hwpt_vtd_s1_invalidate	 inv;
	struct hw_nested			 nested;
	struct hw_data				 data;
	unsigned char				 buf[HW_INVALIDATE_READ];

	ck_assert_int_eq(mk("qemu", NULL, 0), 0);
	memset(&nested, 0, sizeof(nested));
	memset(buf, 0, sizeof(buf));
	memset(&inv, 0, sizeof(inv));
	data.type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
	data.buf = buf;
	data.len = 0;
	ck_assert_int_eq(hw_vtd_ops.nested_invalidate(&nested, &data), 0);
	data.type = 1;
	ck_assert_int_eq(hw_vtd_ops.nested_invalidate(&nested, &data),
	    -EINVAL);
	data.type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;

#define INV(a, n, f, r, want) do {					\
	inv.addr = (a);							\
	inv.npages = (n);						\
	inv.flags = (f);						\
	inv.__reserved = (r);						\
	memcpy(buf, &inv, sizeof(inv));					\
	ck_assert_int_eq(hw_vtd_ops.nested_invalidate(&nested, &data),	\
	    (want));							\
} while (0)
	data.len = sizeof(inv);
	INV(0x1000, 1, 0, 0, 0);
	INV(0x1000, 1, IOMMU_VTD_INV_FLAGS_LEAF, 0, 0);
	INV(0, UINT64_MAX, 0, 0, 0);
	INV(0x1000, 1, 2, 0, -EOPNOTSUPP);
	INV(0x1000, 1, 0, 1, -EOPNOTSUPP);
	INV(0x1800, 1, 0, 0, -EINVAL);
	INV(0x1000, UINT64_MAX, 0, 0, -EINVAL);
	INV(0x1000, 0, 0, 0, 0);
	data.len = sizeof(inv) - 4;
	INV(0x1000, 1, 0, 0, -EINVAL);
	data.len = sizeof(inv) + 16;
	INV(0x1000, 1, 0, 0, 0);
	buf[sizeof(inv) + 15] = 1;
	INV(0x1000, 1, 0, 0, -E2BIG);
#undef INV
}
END_TEST

/* The PASID width: PSS + 1 with ECAP.PASID in scalable mode, else 0. */
START_TEST(vtd_pasid)
{
	ck_assert_int_eq(mk("qemu-pasid", NULL, 0), 0);
	ck_assert_uint_eq(hw_vtd_ops.pasid_bits(inst), 1);
	ck_assert_int_eq(mk("qemu-scalable", NULL, 0), 0);
	ck_assert_uint_eq(hw_vtd_ops.pasid_bits(inst), 0);
	ck_assert_int_eq(mk("server", NULL, 0), 0);
	ck_assert_uint_eq(hw_vtd_ops.pasid_bits(inst), 20);
	ck_assert_int_eq(mk("qemu-scalable", (const char *const[]){
	    "pasid-bits=8" }, 1), 0);
	ck_assert_uint_eq(hw_vtd_ops.pasid_bits(inst), 8);
	/* The same registers without scalable mode: no PASID. */
	mk_regs(QEMU_CAP, (QEMU_SM_ECAP | ECAP_PASID | 7ULL << 35) &
	    ~ECAP_SMTS);
	ck_assert_uint_eq(hw_vtd_ops.pasid_bits(inst), 0);
	mk_regs(QEMU_CAP, QEMU_SM_ECAP | ECAP_PASID | 7ULL << 35);
	ck_assert_uint_eq(hw_vtd_ops.pasid_bits(inst), 8);
}
END_TEST

/* The ids a domain can get: 2^(4 + 2 * ND), less Linux's 0 and 1. */
static unsigned int
usable_ids(void)
{
	return ((1U << (4 + 2 * (regs().cap & 7))) - 2);
}

/*
 * CAP.ND sets how many domains get an id: the first attachment of each
 * takes one, the rest count, the last frees it; one too many is ENOSPC.
 */
START_TEST(vtd_domain_ids)
{
	static char	 keys[64];
	unsigned int	 i, n;

	ck_assert_int_eq(mk("qemu", NULL, 0), 0);
	ck_assert_uint_eq(regs().cap & 7, 6);	/* 65536, as QEMU */
	ck_assert_int_eq(mk("qemu", (const char *const[]){ "nd=7" }, 1), -1);
	ck_assert_ptr_nonnull(strstr(err, "nd must be"));
	ck_assert_int_eq(mk("qemu", (const char *const[]){ "nd=x" }, 1), -1);
	ck_assert_int_eq(mk("qemu", (const char *const[]){ "nd=1" }, 1), 0);
	ck_assert_uint_eq(regs().cap, (QEMU_CAP & ~7ULL) | 1);
	ck_assert_uint_eq(usable_ids(), 62);
	for (i = 0; i < 62; i++)
		ck_assert_int_eq(hw_vtd_ops.domain_id_get(inst, &keys[i]), 0);
	ck_assert_int_eq(hw_vtd_ops.domain_id_get(inst, &keys[62]), -ENOSPC);

	ck_assert_int_eq(mk("qemu", (const char *const[]){ "nd=0" }, 1), 0);
	n = usable_ids();
	ck_assert_uint_eq(n, 14);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(hw_vtd_ops.domain_id_get(inst, &keys[i]), 0);
	ck_assert_int_eq(hw_vtd_ops.domain_id_get(inst, &keys[n]), -ENOSPC);
	/* A domain that has one takes no other. */
	ck_assert_int_eq(hw_vtd_ops.domain_id_get(inst, &keys[0]), 0);
	hw_vtd_ops.domain_id_put(inst, &keys[0]);
	ck_assert_int_eq(hw_vtd_ops.domain_id_get(inst, &keys[n]), -ENOSPC);
	/* Its last attachment frees it for another. */
	hw_vtd_ops.domain_id_put(inst, &keys[0]);
	ck_assert_int_eq(hw_vtd_ops.domain_id_get(inst, &keys[n]), 0);
	ck_assert_int_eq(hw_vtd_ops.domain_id_get(inst, &keys[0]), -ENOSPC);
	/* Dropping a domain that holds none changes nothing. */
	hw_vtd_ops.domain_id_put(inst, &keys[40]);
	ck_assert_int_eq(hw_vtd_ops.domain_id_get(inst, &keys[0]), -ENOSPC);
	for (i = 1; i <= n; i++)
		hw_vtd_ops.domain_id_put(inst, &keys[i]);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(hw_vtd_ops.domain_id_get(inst, &keys[i]), 0);
}
END_TEST

/* A PASID-capable paging HWPT for dev_id on ioas in tctx. */
static uint32_t
vtd_hwpt(uint32_t dev_id, uint32_t ioas)
{
	struct iommu_hwpt_alloc	h;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_ALLOC_PASID;
	h.dev_id = dev_id;
	h.pt_id = ioas;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_ALLOC, &h), 0);
	return (h.out_hwpt_id);
}

/*
 * Devices behind a unit with ND 0 (14 domain ids): each domain attached
 * takes an id, allocation takes none; past the last the attach of the
 * RID, a PASID, a replace or an IOAS's auto domain fails with ENOSPC and
 * changes nothing; a detach or unbind gives the id back.
 */
START_TEST(vtd_domain_ids_attach)
{
	struct edev	 ea, eb;
	struct device	*a, *b;
	uint32_t	 ida, idb, ioas = test_ioas_new(), h[17], pt, v;
	unsigned int	 nobjs;

	ck_assert_int_eq(mk("qemu-pasid", (const char *const[]){ "nd=0",
	    "pasid-bits=8" }, 2), 0);
	ck_assert_uint_eq(usable_ids(), 14);
	device_edev_init(&ea, "a", inst, 0x08, 8, HW_DEV_PASID);
	device_edev_init(&eb, "b", inst, 0x10, 8, HW_DEV_PASID);
	ck_assert_int_eq(device_bind(tctx, &ea, &a, &ida), 0);
	ck_assert_int_eq(device_bind(tctx, &eb, &b, &idb), 0);
	for (v = 0; v < 17; v++)
		h[v] = vtd_hwpt(ida, ioas);
	/* The RID and PASIDs 1 to 13: fourteen domains, every id. */
	pt = h[0];
	ck_assert_int_eq(device_attach(a, DEVICE_NO_PASID, &pt), 0);
	for (v = 1; v <= 13; v++) {
		pt = h[v];
		ck_assert_int_eq(device_attach(a, v, &pt), 0);
	}
	pt = h[14];
	ck_assert_int_eq(device_attach(a, 14, &pt), -ENOSPC);
	ck_assert_uint_eq(device_attached_id(a, 14), 0);
	ck_assert_int_eq(device_attach(b, DEVICE_NO_PASID, &pt), -ENOSPC);
	ck_assert_uint_eq(device_attached_id(b, DEVICE_NO_PASID), 0);
	/* A domain that has its id: more devices and PASIDs on it. */
	pt = h[3];
	ck_assert_int_eq(device_attach(a, 14, &pt), 0);
	pt = h[0];
	ck_assert_int_eq(device_attach(b, DEVICE_NO_PASID, &pt), 0);
	/* Replace onto a domain without one: ENOSPC, the old one stays. */
	pt = h[15];
	ck_assert_int_eq(device_replace(a, 14, &pt), -ENOSPC);
	ck_assert_uint_eq(device_attached_id(a, 14), h[3]);
	ck_assert_int_eq(device_replace(b, DEVICE_NO_PASID, &pt), -ENOSPC);
	ck_assert_uint_eq(device_attached_id(b, DEVICE_NO_PASID), h[0]);
	/* An IOAS's auto domain would need one: ENOSPC, no object left. */
	ck_assert_int_eq(device_detach(b, DEVICE_NO_PASID), 0);
	nobjs = tctx->nobjs;
	pt = test_ioas_new();
	nobjs++;
	ck_assert_int_eq(device_attach(b, DEVICE_NO_PASID, &pt), -ENOSPC);
	ck_assert_uint_eq(tctx->nobjs, nobjs);
	/* PASID 5's detach frees h[5]'s id; h[15] takes it. */
	ck_assert_int_eq(device_detach(a, 5), 0);
	pt = h[15];
	ck_assert_int_eq(device_replace(a, 14, &pt), 0);
	/* h[3] still has PASID 3: its id stayed; h[16] finds none. */
	pt = h[16];
	ck_assert_int_eq(device_attach(b, DEVICE_NO_PASID, &pt), -ENOSPC);
	/* Unbinding gives every id back. */
	device_unbind(a);
	for (v = 1; v <= 14; v++) {
		pt = h[v];
		ck_assert_int_eq(device_attach(b, v, &pt), 0);
	}
	pt = h[16];
	ck_assert_int_eq(device_attach(b, 15, &pt), -ENOSPC);
	device_unbind(b);
	for (v = 0; v < 14; v++)
		ck_assert_int_eq(hw_vtd_ops.domain_id_get(inst, &h[v]), 0);
}
END_TEST

/*
 * Ids are the unit's own: a domain shared by devices behind two units
 * takes an id on each, so a full unit does not stop the other.
 */
START_TEST(vtd_domain_ids_units)
{
	struct hw_instance	*other;
	struct edev		 ea, eb;
	struct device		*a, *b;
	uint32_t		 ida, idb, ioas = test_ioas_new(), h[15], pt, v;

	ck_assert_int_eq(mk("qemu-pasid", (const char *const[]){ "nd=0",
	    "pasid-bits=8" }, 2), 0);
	ck_assert_int_eq(hw_instance_new("vtd1", "intel-vtd", "qemu-pasid",
	    NULL, 0, &other, err, sizeof(err)), 0);
	device_edev_init(&ea, "a", inst, 0x08, 8, HW_DEV_PASID);
	device_edev_init(&eb, "b", other, 0x10, 0, 0);
	ck_assert_int_eq(device_bind(tctx, &ea, &a, &ida), 0);
	ck_assert_int_eq(device_bind(tctx, &eb, &b, &idb), 0);
	for (v = 0; v < 15; v++)
		h[v] = vtd_hwpt(ida, ioas);
	pt = h[0];
	ck_assert_int_eq(device_attach(a, DEVICE_NO_PASID, &pt), 0);
	for (v = 1; v < 14; v++) {
		pt = h[v];
		ck_assert_int_eq(device_attach(a, v, &pt), 0);
	}
	pt = h[14];
	ck_assert_int_eq(device_attach(a, 14, &pt), -ENOSPC);
	/* The other unit has ids: b takes h[14] and a domain of a's. */
	ck_assert_int_eq(device_attach(b, DEVICE_NO_PASID, &pt), 0);
	pt = h[3];
	ck_assert_int_eq(device_replace(b, DEVICE_NO_PASID, &pt), 0);
	/* h[14] lost its only device: a's unit still has no id for it. */
	pt = h[14];
	ck_assert_int_eq(device_attach(a, 14, &pt), -ENOSPC);
	device_unbind(b);
	device_unbind(a);
	hw_instance_free(other);
}
END_TEST

/* Through the generic instance calls, and a config-style bad key. */
START_TEST(vtd_instance)
{
	struct hw_instance	*a;

	ck_assert_int_eq(hw_instance_new("v1", "intel-vtd", "qemu-aw39", NULL,
	    0, &a, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(a->priv);
	ck_assert_str_eq(a->profile, "qemu-aw39");
	ck_assert_int_eq(hw_instance_add(a), 0);
	ck_assert_ptr_eq(hw_instance_find("v1"), a);
	hw_instances_clear();
	ck_assert_ptr_null(hw_instance_find("v1"));
	ck_assert_int_eq(hw_instance_new("v1", "intel-vtd", "smmu", NULL,
	    0, &a, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "profile \"smmu\""));
}
END_TEST

static Suite *
vtd_suite(void)
{
	Suite	*s = suite_create("vtd");
	TCase	*tc = tcase_create("vtd");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, vtd_profiles);
	tcase_add_test(tc, vtd_overrides);
	tcase_add_test(tc, vtd_hw_info);
	tcase_add_test(tc, vtd_caps_resv);
	tcase_add_test(tc, vtd_paging);
	tcase_add_test(tc, vtd_attach);
	tcase_add_test(tc, vtd_nested);
	tcase_add_test(tc, vtd_invalidate);
	tcase_add_test(tc, vtd_pasid);
	tcase_add_test(tc, vtd_instance);
	tcase_add_test(tc, vtd_domain_ids);
	suite_add_tcase(s, tc);
	tc = tcase_create("vtd-devices");
	tcase_add_checked_fixture(tc, test_setup, teardown_ctx);
	tcase_add_test(tc, vtd_domain_ids_attach);
	tcase_add_test(tc, vtd_domain_ids_units);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(vtd_suite)
