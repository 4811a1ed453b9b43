/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Every model-dependent behaviour looped over every model: the built-in
 * ones (mock, plain, noiommu), every profile of intel-vtd, arm-smmuv3 and
 * amd-vi, and every profile of the sPAPR TCE plugin. Each loop test
 * makes one instance of one row of models[], binds a device behind it
 * and asks the object code what a VMM would ask (GET_HW_INFO, paging
 * HWPTs with dirty tracking or as a nest parent, a vIOMMU and vDEVICE,
 * a nested HWPT and its invalidation, coherency, PASID width).
 *
 * The answer expected is derived here, independently of the model's
 * code, from the registers the instance reports through describe() (the
 * same ones GET_HW_INFO gives a VMM), by the rules the kernel drivers
 * apply to them; the models without registers have fixed answers. A
 * step the registers rule out is checked to fail as the kernel fails it,
 * and what depends on it is skipped, saying so on stdout.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/ctx.h"
#include "core/umem.h"
#include "hw/hw.h"
#include "hw/plugin.h"
#include "iommufd/device.h"
#include "helpers.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

enum family { F_MOCK, F_PLAIN, F_NOIOMMU, F_VTD, F_SMMU, F_AMD, F_TCE };

struct model_row {
	const char	*model;
	const char	*profile;	/* NULL: the model's default */
	enum family	 fam;
};

/* The table every loop test runs over: each model, each profile. */
static const struct model_row models[] = {
	{ "mock", NULL, F_MOCK },
	{ "plain", NULL, F_PLAIN },
	{ "noiommu", NULL, F_NOIOMMU },
	{ "intel-vtd", "qemu", F_VTD },
	{ "intel-vtd", "qemu-cm", F_VTD },
	{ "intel-vtd", "qemu-aw39", F_VTD },
	{ "intel-vtd", "qemu-sc", F_VTD },
	{ "intel-vtd", "qemu-scalable", F_VTD },
	{ "intel-vtd", "qemu-scalable-cm", F_VTD },
	{ "intel-vtd", "qemu-flts", F_VTD },
	{ "intel-vtd", "qemu-pasid", F_VTD },
	{ "intel-vtd", "server", F_VTD },
	{ "intel-vtd", "server-nosc", F_VTD },
	{ "arm-smmuv3", "qemu-nested", F_SMMU },
	{ "arm-smmuv3", "qemu", F_SMMU },
	{ "arm-smmuv3", "mmu700", F_SMMU },
	{ "amd-vi", "qemu", F_AMD },
	{ "amd-vi", "epyc-zen4-like", F_AMD },
	{ "amd-vi", "nested", F_AMD },
	{ "spapr-tce", "pseries", F_TCE },
	{ "spapr-tce", "pseries-16m", F_TCE },
	{ "spapr-tce", "pseries-nodw", F_TCE },
};

/* The registers an instance reports, by name. */
#define REGS_MAX	16
struct regs {
	const char	*name[REGS_MAX];
	uint64_t	 value[REGS_MAX];
	unsigned int	 n;
};

/*
 * What the registers say the hardware does, as the kernel driver reads
 * them. pasid_bits is -1 where the model leaves the device's own width.
 */
struct expect {
	uint32_t	 info_type;	/* GET_HW_INFO's native type */
	int		 dirty;		/* DIRTY_TRACKING paging HWPTs */
	int		 nest_parent;	/* NEST_PARENT paging HWPTs */
	int		 nested;	/* a nested HWPT on the parent/vIOMMU */
	int		 viommu;	/* the vendor vIOMMU type, on the parent */
	uint32_t	 viommu_type;
	int		 snoop;		/* snoop control, for KVM's view */
	int		 enforce;	/* paging domains enforce coherency */
	int		 pasid_bits;
	long		 info_rc;	/* GET_HW_INFO's errno */
};

static struct hw_instance	*inst;
static const struct model_row	*row;
static struct regs		 regs;
static struct expect		 want;
static struct edev		 edev;
static struct device		*dev;
static uint32_t			 dev_id, ioas_id;
static char			 err[256];

/* One register, kept by describe(). */
static void
regs_one(void *arg, const char *name, uint64_t value)
{
	struct regs	*r = arg;

	ck_assert_uint_lt(r->n, REGS_MAX);
	r->name[r->n] = name;
	r->value[r->n] = value;
	r->n++;
}

/* The value of register name; fails the test if it was not reported. */
static uint64_t
reg(const char *name)
{
	unsigned int	 i;

	for (i = 0; i < regs.n; i++) {
		if (strcmp(regs.name[i], name) == 0)
			return (regs.value[i]);
	}
	ck_abort_msg("%s/%s reports no register %s", row->model,
	    row->profile ? row->profile : "-", name);
	return (0);
}

/* Bit b of v, or field hi..lo. */
#define BIT(v, b)	(((v) >> (b)) & 1)
#define FIELD(v, hi, lo) (((v) >> (lo)) & ((1ULL << ((hi) - (lo) + 1)) - 1))

/*
 * VT-d (spec 11.4.2-3, Linux intel/iommu.h): scalable mode SMTS(43);
 * nesting SMTS and NEST(26), and the guest's first-stage tables need
 * FLTS(47); second stage is there without SMTS or with SLTS(46); dirty
 * tracking SLADS(45) and SMPWC(48) in scalable mode; snoop control
 * SC(7); PASIDs PSS(39:35) + 1 bits with SMTS and PASID(40).
 */
static void
expect_vtd(void)
{
	uint64_t	 ecap = reg("ecap");
	int		 sm = BIT(ecap, 43), slts = !sm || BIT(ecap, 46);

	(void)reg("cap");
	want.info_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	want.dirty = sm && BIT(ecap, 45) && BIT(ecap, 48) && slts;
	want.nest_parent = sm && BIT(ecap, 26) && slts;
	want.nested = want.nest_parent && BIT(ecap, 47);
	want.snoop = BIT(ecap, 7);
	want.pasid_bits = sm && BIT(ecap, 40) ? (int)FIELD(ecap, 39, 35) + 1 :
	    0;
}

/*
 * SMMUv3 (IHI 0070, Linux arm-smmu-v3.c): stages S1P(IDR0 1), S2P(0),
 * nesting both; coherent COHACC(4); dirty HTTU(7:6) = 2 with COHACC on
 * a stage 1; the vIOMMU needs nesting and COHACC or S2FWB(IDR3 8); a
 * nested domain (an abort vSTE) then; PASIDs SSIDSIZE(IDR1 10:6).
 */
static void
expect_smmu(void)
{
	uint64_t	 idr0 = reg("idr0"), idr1 = reg("idr1");
	uint64_t	 idr3 = reg("idr3");
	int		 s1 = BIT(idr0, 1), s2 = BIT(idr0, 0);
	int		 coh = BIT(idr0, 4);

	want.info_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	want.dirty = s1 && coh && FIELD(idr0, 7, 6) == 2;
	want.nest_parent = s1 && s2;
	want.viommu = want.nest_parent && (coh || BIT(idr3, 8));
	want.viommu_type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	want.nested = want.viommu;
	want.snoop = coh;
	want.pasid_bits = (int)FIELD(idr1, 10, 6);
}

/*
 * AMD-Vi (spec 3.4.12, Linux amd_iommu_types.h): dirty HDSup(52) with
 * host tables on (HATS(11:10) not 3); NEST_PARENT GTSup(4), GIOSup(48)
 * and EFR2 GCR3TRPMode(3); always coherent; no PASIDs without GTSup,
 * GIOSup, PPRSup(1) and EPHSup(50). 7.3 makes no AMD_GUEST nested
 * domain.
 */
static void
expect_amd(void)
{
	uint64_t	 efr = reg("efr"), efr2 = reg("efr2");

	want.info_type = IOMMU_HW_INFO_TYPE_AMD;
	want.dirty = BIT(efr, 52) && FIELD(efr, 11, 10) != 3;
	want.nest_parent = BIT(efr, 4) && BIT(efr, 48) && BIT(efr2, 3);
	want.nested = 0;
	want.snoop = 1;
	want.pasid_bits = -1;
	if (!BIT(efr, 4) || !BIT(efr, 48) || !BIT(efr, 1) || !BIT(efr, 50))
		want.pasid_bits = 0;
}

/* The row's instance, its registers, a device bound and an IOAS. */
static void
row_setup(int i)
{
	char	 name[32];

	row = &models[i];
	memset(&regs, 0, sizeof(regs));
	memset(&want, 0, sizeof(want));
	hw_model_dir_set(IOASIDD_TEST_MODELDIR);
	snprintf(name, sizeof(name), "row%d", i);
	ck_assert_msg(hw_instance_new(name, row->model, row->profile, NULL, 0,
	    &inst, err, sizeof(err)) == 0, "%s: %s", row->model, err);
	if (inst->ops->describe != NULL)
		inst->ops->describe(inst, regs_one, &regs);
	want.pasid_bits = -1;
	switch (row->fam) {
	case F_MOCK:
		want.info_type = IOMMU_HW_INFO_TYPE_SELFTEST;
		want.dirty = want.nest_parent = want.nested = 1;
		want.viommu = 1;
		want.viommu_type = IOMMU_VIOMMU_TYPE_SELFTEST;
		want.snoop = 1;
		break;
	case F_PLAIN:
		want.info_type = IOMMU_HW_INFO_TYPE_NONE;
		break;
	case F_NOIOMMU:
		/* No IOMMU: no report; its pass-through "domain" snoops. */
		want.info_rc = -EOPNOTSUPP;
		want.enforce = 1;
		break;
	case F_TCE:
		want.info_type = IOMMU_HW_INFO_TYPE_NONE;
		want.snoop = 1;
		break;
	case F_VTD:
		expect_vtd();
		break;
	case F_SMMU:
		expect_smmu();
		break;
	case F_AMD:
		expect_amd();
		break;
	}
	if (row->fam != F_NOIOMMU)
		want.enforce = want.snoop;
	/* Only the register models report registers. */
	ck_assert((regs.n != 0) == (row->fam == F_VTD ||
	    row->fam == F_SMMU || row->fam == F_AMD || row->fam == F_TCE));
	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
	device_edev_init(&edev, "dev0", inst, 0x10, 20, HW_DEV_PASID);
	ck_assert_int_eq(device_bind(tctx, &edev, &dev, &dev_id), 0);
	ioas_id = test_ioas_new();
}

/* Undo row_setup() but the instance: the device, the memory access. */
static void
row_teardown(void)
{
	device_unbind(dev);
	dev = NULL;
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
}

/* The row's label for messages: model/profile. */
static const char *
label(void)
{
	static char	 buf[64];

	snprintf(buf, sizeof(buf), "%s/%s", row->model,
	    row->profile ? row->profile : "-");
	return (buf);
}

/* A skipped step, said on stdout. */
static void
skip(const char *test, const char *why)
{
	printf("models: %s: %s: skipped: %s\n", label(), test, why);
}

/* HWPT_ALLOC of flags on pt with data of type (len 0: none): errno. */
static long
hwpt_alloc(uint32_t pt, uint32_t flags, uint32_t type, const void *data,
    uint32_t len, uint32_t *out)
{
	struct iommu_hwpt_alloc	 c;
	long			 rc;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = flags;
	c.dev_id = dev_id;
	c.pt_id = pt;
	c.data_type = type;
	c.data_len = len;
	c.data_uptr = (uintptr_t)data;
	rc = test_ioctl(tctx, IOMMU_HWPT_ALLOC, &c);
	if (rc == 0 && out != NULL)
		*out = c.out_hwpt_id;
	return (rc);
}

/*
 * GET_HW_INFO: the model's native type; its report carries exactly the
 * registers describe() gives; the dirty capability as the registers say.
 */
static void
models_hw_info_body(void)
{
	struct iommu_hw_info		 c;
	union {
		struct iommu_hw_info_vtd	 vtd;
		struct iommu_hw_info_arm_smmuv3	 smmu;
		struct iommu_hw_info_amd	 amd;
		uint8_t				 raw[HW_INFO_MAX];
	}				 u;
	unsigned int			 i;
	char				 name[8];

	memset(&c, 0, sizeof(c));
	memset(&u, 0, sizeof(u));
	c.size = sizeof(c);
	c.dev_id = dev_id;
	c.data_len = sizeof(u);
	c.data_uptr = (uintptr_t)&u;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_GET_HW_INFO, &c),
	    want.info_rc);
	if (want.info_rc != 0) {
		skip("hw_info", "no report");
		return;
	}
	ck_assert_msg(c.out_data_type == want.info_type, "%s: type %u",
	    label(), c.out_data_type);
	ck_assert_msg(((c.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING) !=
	    0) == want.dirty, "%s: dirty capability", label());
	switch (row->fam) {
	case F_VTD:
		ck_assert_uint_eq(c.data_len, sizeof(u.vtd));
		ck_assert_uint_eq(u.vtd.cap_reg, reg("cap"));
		ck_assert_uint_eq(u.vtd.ecap_reg, reg("ecap"));
		ck_assert_uint_eq(regs.n, 2);
		break;
	case F_SMMU:
		ck_assert_uint_eq(c.data_len, sizeof(u.smmu));
		for (i = 0; i < 6; i++) {
			snprintf(name, sizeof(name), "idr%u", i);
			ck_assert_uint_eq(u.smmu.idr[i], reg(name));
		}
		ck_assert_uint_eq(u.smmu.iidr, reg("iidr"));
		ck_assert_uint_eq(u.smmu.aidr, reg("aidr"));
		ck_assert_uint_eq(regs.n, 8);
		break;
	case F_AMD:
		ck_assert_uint_eq(u.amd.efr, reg("efr"));
		ck_assert_uint_eq(u.amd.efr2, reg("efr2"));
		break;
	default:
		if (want.info_type == IOMMU_HW_INFO_TYPE_NONE)
			ck_assert_uint_eq(c.data_len, 0);
		break;
	}
}

START_TEST(models_hw_info)
{
	row_setup(_i);
	models_hw_info_body();
	row_teardown();
}
END_TEST

/* DIRTY_TRACKING paging HWPTs exactly where the registers have A/D. */
static void
models_dirty_body(void)
{
	uint32_t	 id;
	long		 rc;

	rc = hwpt_alloc(ioas_id, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0,
	    &id);
	ck_assert_msg(rc == (want.dirty ? 0 : -EOPNOTSUPP), "%s: %ld",
	    label(), rc);
	if (!want.dirty)
		skip("dirty", "no dirty tracking in the registers");
}

START_TEST(models_dirty)
{
	row_setup(_i);
	models_dirty_body();
	row_teardown();
}
END_TEST

/* HWPT_INVALIDATE of n entries of len bytes on id: errno, *done. */
static long
inv(uint32_t id, uint32_t type, const void *e, uint32_t len, uint32_t n,
    uint32_t *done)
{
	struct iommu_hwpt_invalidate	 c;
	long				 rc;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.hwpt_id = id;
	c.data_uptr = (uintptr_t)e;
	c.data_type = type;
	c.entry_len = len;
	c.entry_num = n;
	rc = test_ioctl(tctx, IOMMU_HWPT_INVALIDATE, &c);
	*done = c.entry_num;
	return (rc);
}

/*
 * The model's invalidation on a nested HWPT (VT-d, mock) or its vIOMMU
 * (SMMUv3, with a vDEVICE for the stream-id commands): a good entry is
 * taken, a bad one refused with the kernel's errno and not counted.
 */
static void
invalidate(uint32_t id)
{
	struct iommu_hwpt_vtd_s1_invalidate		 vi[2];
	struct iommu_viommu_arm_smmuv3_invalidate	 si[2];
	struct iommu_hwpt_invalidate_selftest		 mi;
	struct iommu_vdevice_alloc			 vd;
	uint32_t					 done;

	switch (row->fam) {
	case F_VTD:
		memset(vi, 0, sizeof(vi));
		vi[0].npages = UINT64_MAX;
		vi[1].addr = 0x800;
		vi[1].npages = 1;
		ck_assert_int_eq(inv(id, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, vi,
		    sizeof(vi[0]), 2, &done), -EINVAL);
		ck_assert_uint_eq(done, 1);
		break;
	case F_SMMU:
		memset(&vd, 0, sizeof(vd));
		vd.size = sizeof(vd);
		vd.viommu_id = id;
		vd.dev_id = dev_id;
		vd.virt_id = 0x42;
		ck_assert_int_eq(test_ioctl(tctx, IOMMU_VDEVICE_ALLOC, &vd), 0);
		memset(si, 0, sizeof(si));
		si[0].cmd[0] = 0x06 | 0x42ULL << 32;	/* CFGI_CD_ALL vSID */
		si[1].cmd[0] = 0x06 | 0x43ULL << 32;	/* no such vSID */
		ck_assert_int_eq(inv(id, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		    si, sizeof(si[0]), 2, &done), -EIO);
		ck_assert_uint_eq(done, 1);
		si[0].cmd[0] = 0x20;			/* TLBI_S12_VMALL */
		ck_assert_int_eq(inv(id, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		    si, sizeof(si[0]), 1, &done), -EIO);
		ck_assert_uint_eq(done, 0);
		break;
	default:
		memset(&mi, 0, sizeof(mi));
		mi.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
		ck_assert_int_eq(inv(id, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		    &mi, sizeof(mi), 1, &done), 0);
		ck_assert_uint_eq(done, 1);
		mi.flags = 0x80;
		ck_assert_int_eq(inv(id, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		    &mi, sizeof(mi), 1, &done), -EOPNOTSUPP);
		ck_assert_uint_eq(done, 0);
		break;
	}
}

/* A vSTE that aborts: V with Config abort. */
static const uint64_t	 vste_abort[2] = { 1, 0 };

/*
 * Nesting: NEST_PARENT where the registers allow it; on the parent, the
 * model's vIOMMU and a nested HWPT from its vendor data, or the errno the
 * kernel gives when the registers rule them out.
 */
static void
models_nesting_body(void)
{
	struct iommu_viommu_alloc	 va;
	struct iommu_hwpt_vtd_s1	 s1;
	struct iommu_hwpt_selftest	 st;
	uint64_t			 gdte[4];
	uint32_t			 parent, nested;
	long				 rc;

	rc = hwpt_alloc(ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0,
	    &parent);
	ck_assert_msg(rc == (want.nest_parent ? 0 : -EOPNOTSUPP), "%s: %ld",
	    label(), rc);
	if (!want.nest_parent) {
		skip("nesting", "no nest parent in the registers");
		return;
	}
	if (want.viommu_type != 0) {
		memset(&va, 0, sizeof(va));
		va.size = sizeof(va);
		va.type = want.viommu_type;
		va.dev_id = dev_id;
		va.hwpt_id = parent;
		rc = test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va);
		ck_assert_msg(rc == (want.viommu ? 0 : -EOPNOTSUPP),
		    "%s: vIOMMU %ld", label(), rc);
		if (!want.viommu) {
			skip("nesting", "no vIOMMU: S2 not coherent");
			return;
		}
	}
	switch (row->fam) {
	case F_VTD:
		memset(&s1, 0, sizeof(s1));
		s1.pgtbl_addr = 0x100000;
		s1.addr_width = 48;
		rc = hwpt_alloc(parent, 0, IOMMU_HWPT_DATA_VTD_S1, &s1,
		    sizeof(s1), &nested);
		break;
	case F_SMMU:
		rc = hwpt_alloc(va.out_viommu_id, 0,
		    IOMMU_HWPT_DATA_ARM_SMMUV3, vste_abort,
		    sizeof(vste_abort), &nested);
		break;
	case F_AMD:
		memset(gdte, 0, sizeof(gdte));
		rc = hwpt_alloc(parent, 0, IOMMU_HWPT_DATA_AMD_GUEST, gdte,
		    sizeof(gdte), &nested);
		break;
	default:
		memset(&st, 0, sizeof(st));
		st.iotlb = 2;
		rc = hwpt_alloc(parent, 0, IOMMU_HWPT_DATA_SELFTEST, &st,
		    sizeof(st), &nested);
		break;
	}
	ck_assert_msg(rc == (want.nested ? 0 : -EOPNOTSUPP), "%s: nested %ld",
	    label(), rc);
	if (!want.nested) {
		skip("nesting", row->fam == F_AMD ? "Linux 7.3 makes no "
		    "AMD_GUEST domain" : "no first-stage tables (FLTS)");
		return;
	}
	invalidate(row->fam == F_SMMU ? va.out_viommu_id : nested);
}

START_TEST(models_nesting)
{
	row_setup(_i);
	models_nesting_body();
	row_teardown();
}
END_TEST

/*
 * Coherency: a paging domain enforces it, and the instance counts as
 * snoop-controlling for KVM, exactly as the registers say.
 */
static void
models_coherency_body(void)
{
	struct hw_domain	 dom;
	int			 rc;

	ck_assert_msg(hw_snoop_control(inst) == want.snoop, "%s: snoop "
	    "control %d", label(), hw_snoop_control(inst));
	rc = inst->ops->domain_alloc_paging(&edev.desc, 0, NULL, &dom);
	ck_assert_int_eq(rc, 0);
	/* The core asks for enforcement where the unit has snoop control. */
	if (hw_snoop_control(inst) && !dom.enforce_cc &&
	    inst->ops->enforce_cache_coherency != NULL)
		ck_assert_int_eq(inst->ops->enforce_cache_coherency(&dom), 0);
	ck_assert_msg(dom.enforce_cc == want.enforce, "%s: enforce_cc %d",
	    label(), dom.enforce_cc);
}

START_TEST(models_coherency)
{
	row_setup(_i);
	models_coherency_body();
	row_teardown();
}
END_TEST

/* PASID width: what the instance lets a device have, from its registers. */
static void
models_pasid_body(void)
{
	if (inst->ops->pasid_bits == NULL) {
		ck_assert_int_eq(want.pasid_bits, -1);
		skip("pasid", "the device's own width");
		return;
	}
	if (row->fam == F_AMD && want.pasid_bits == -1) {
		/* PASmax, but the host's paging depth decides too. */
		ck_assert_uint_le(inst->ops->pasid_bits(inst),
		    FIELD(reg("efr"), 36, 32));
		return;
	}
	ck_assert_msg((int)inst->ops->pasid_bits(inst) == want.pasid_bits,
	    "%s: %u", label(), inst->ops->pasid_bits(inst));
	if (want.pasid_bits == 0)
		skip("pasid", "no PASID in the registers");
}

START_TEST(models_pasid)
{
	row_setup(_i);
	models_pasid_body();
	row_teardown();
}
END_TEST

/* After each test: the row's instance (its device went with it). */
static void
models_teardown(void)
{
	hw_instance_free(inst);
	inst = NULL;
}

static Suite *
models_suite(void)
{
	Suite	*s = suite_create("models");
	TCase	*tc = test_tcase(s, "models");
	int	 n = (int)(sizeof(models) / sizeof(models[0]));

	tcase_add_checked_fixture(tc, NULL, models_teardown);
	tcase_add_loop_test(tc, models_hw_info, 0, n);
	tcase_add_loop_test(tc, models_dirty, 0, n);
	tcase_add_loop_test(tc, models_nesting, 0, n);
	tcase_add_loop_test(tc, models_coherency, 0, n);
	tcase_add_loop_test(tc, models_pasid, 0, n);
	return (s);
}
SUITE(models_suite)
