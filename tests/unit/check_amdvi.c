/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The amd-vi model: its profiles and overrides (instance_init directly),
 * each behaviour against the EFR/EFR2 bit it comes from, each rule of
 * Linux 7.3's guest DTE check on its own, the 6.12 answers, and a device
 * behind an amd-vi instance driven through the ioctls.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/dispatch.h"
#include "hw/amdvi.h"
#include "hw/hw.h"
#include "iommufd/device.h"
#include "helpers.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "uapi.h"

#define QEMU_EFR	0x29d3ULL
#define ZEN4_EFR	0x246577efa2254afaULL
#define NESTED_EFR	0x247777efa2254afaULL
#define HT_LAST		0xffffffffffULL

static struct hw_instance	 inst;
static struct hw_dev_desc	 desc;
static char			 err[256];

/* inst as model amd-vi's profile with n overrides: instance_init's rc. */
static int
amd_init(const char *profile, const struct hw_param *p, size_t n)
{
	if (inst.priv != NULL)
		hw_amdvi_ops.instance_fini(&inst);
	memset(&inst, 0, sizeof(inst));
	inst.name = "amd0";
	inst.ops = &hw_amdvi_ops;
	err[0] = '\0';
	memset(&desc, 0, sizeof(desc));
	desc.hw = &inst;
	return (hw_amdvi_ops.instance_init(&inst, profile, p, n, err,
	    sizeof(err)));
}

/* inst as profile with one override key = value, which must be good. */
static void
amd_with(const char *profile, const char *key, const char *value)
{
	struct hw_param	 p = { key, value, 1 };

	ck_assert_int_eq(amd_init(profile, &p, 1), 0);
}

static const struct amdvi *
amd(void)
{
	return (inst.priv);
}

static void
amd_teardown(void)
{
	if (inst.priv != NULL)
		hw_amdvi_ops.instance_fini(&inst);
	memset(&inst, 0, sizeof(inst));
	dispatch_set_uapi_level(UAPI_LEVEL_LATEST);
}

/* A device of width PASID bits behind inst, as vfio_cdev makes it. */
static unsigned int
amd_width(unsigned int width)
{
	unsigned int	 bits = hw_amdvi_ops.pasid_bits(&inst);

	return (width < bits ? width : bits);
}

/* A paging domain with flags: the op's rc, *dom filled. */
static int
amd_paging(unsigned int flags, struct hw_domain *dom)
{
	return (hw_amdvi_ops.domain_alloc_paging(&desc, flags, NULL, dom));
}

struct regions {
	uint64_t	 start[4];
	uint64_t	 last[4];
	unsigned int	 n;
};

static int
amd_region(void *arg, uint64_t start, uint64_t last)
{
	struct regions	*r = arg;

	ck_assert_uint_lt(r->n, 4);
	r->start[r->n] = start;
	r->last[r->n] = last;
	r->n++;
	return (0);
}

struct regs {
	const char	*name[4];
	uint64_t	 value[4];
	unsigned int	 n;
};

static void
amd_reg(void *arg, const char *name, uint64_t value)
{
	struct regs	*r = arg;

	ck_assert_uint_lt(r->n, 4);
	r->name[r->n] = name;
	r->value[r->n] = value;
	r->n++;
}

START_TEST(test_amdvi_profiles)
{
	struct regs	 r;

	ck_assert_ptr_eq(hw_model_find("amd-vi"), &hw_amdvi_ops);
	ck_assert_str_eq(hw_amdvi_ops.profiles[0], "qemu");
	ck_assert_int_eq(amd_init(NULL, NULL, 0), 0);
	ck_assert_uint_eq(amd()->efr, QEMU_EFR);
	ck_assert_uint_eq(amd()->efr2, 0);
	ck_assert_int_eq(amd_init("epyc-zen4-like", NULL, 0), 0);
	ck_assert_uint_eq(amd()->efr, ZEN4_EFR);
	ck_assert_uint_eq(amd()->efr2, 0x10);
	ck_assert_int_eq(amd_init("nested", NULL, 0), 0);
	ck_assert_uint_eq(amd()->efr, NESTED_EFR);
	ck_assert_uint_eq(amd()->efr2, 0x18);
	memset(&r, 0, sizeof(r));
	hw_amdvi_ops.describe(&inst, amd_reg, &r);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(r.name[0], "efr");
	ck_assert_uint_eq(r.value[0], NESTED_EFR);
	ck_assert_str_eq(r.name[1], "efr2");
	ck_assert_uint_eq(r.value[1], 0x18);
}
END_TEST

START_TEST(test_amdvi_overrides)
{
	struct hw_param	 p[2] = {
		{ "efr", "0x10", 3 }, { "efr2", "8", 4 },
	};

	ck_assert_int_eq(amd_init("qemu", p, 2), 0);
	ck_assert_uint_eq(amd()->efr, 0x10);
	ck_assert_uint_eq(amd()->efr2, 8);
	amd_with("qemu", "pasmax", "9");
	ck_assert_uint_eq(amd()->efr, QEMU_EFR | (9ULL << 32));
	amd_with("epyc-zen4-like", "hdsup", "on");
	ck_assert_uint_eq(amd()->efr, ZEN4_EFR | AMDVI_EFR_HDSUP);
	amd_with("epyc-zen4-like", "gtsup", "off");
	ck_assert_uint_eq(amd()->efr, ZEN4_EFR & ~AMDVI_EFR_GTSUP);
	amd_with("qemu", "la57", "yes");
	ck_assert_int_eq(amd()->la57, 1);

	p[0].key = "cap";
	ck_assert_int_eq(amd_init("qemu", p, 1), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown key \"cap\""));
	ck_assert_ptr_null(inst.priv);
	p[0].key = "efr";
	p[0].value = "0x1zz";
	ck_assert_int_eq(amd_init("qemu", p, 1), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "efr"));
	p[0].value = "-1";
	ck_assert_int_eq(amd_init("qemu", p, 1), -EINVAL);
	p[0].key = "pasmax";
	p[0].value = "20";
	ck_assert_int_eq(amd_init("qemu", p, 1), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "pasmax"));
	p[0].key = "hdsup";
	p[0].value = "maybe";
	ck_assert_int_eq(amd_init("qemu", p, 1), -EINVAL);
	ck_assert_int_eq(amd_init("epyc", NULL, 0), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "epyc"));
}
END_TEST

START_TEST(test_amdvi_hw_info)
{
	struct iommu_hw_info_amd	 info;
	uint8_t				 buf[HW_INFO_MAX];
	uint32_t			 type = 0;
	size_t				 len = 0;

	ck_assert_int_eq(amd_init("nested", NULL, 0), 0);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(hw_amdvi_ops.hw_info(&desc,
	    IOMMU_HW_INFO_TYPE_DEFAULT, &type, buf, &len), 0);
	ck_assert_uint_eq(type, IOMMU_HW_INFO_TYPE_AMD);
	ck_assert_uint_eq(len, sizeof(info));
	memcpy(&info, buf, sizeof(info));
	ck_assert_uint_eq(info.efr, NESTED_EFR);
	ck_assert_uint_eq(info.efr2, 0x18);
	ck_assert_int_eq(hw_amdvi_ops.hw_info(&desc, IOMMU_HW_INFO_TYPE_AMD,
	    &type, buf, &len), 0);
	ck_assert_int_eq(hw_amdvi_ops.hw_info(&desc,
	    IOMMU_HW_INFO_TYPE_INTEL_VTD, &type, buf, &len), -EOPNOTSUPP);

	/* 6.12's driver has no hw_info: type NONE, no data. */
	ck_assert_int_eq(dispatch_set_uapi_level(UAPI_LEVEL_6_12), 0);
	ck_assert_int_eq(hw_amdvi_ops.hw_info(&desc,
	    IOMMU_HW_INFO_TYPE_DEFAULT, &type, buf, &len), 0);
	ck_assert_uint_eq(type, IOMMU_HW_INFO_TYPE_NONE);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(hw_amdvi_ops.hw_info(&desc, IOMMU_HW_INFO_TYPE_AMD,
	    &type, buf, &len), -EOPNOTSUPP);
}
END_TEST

/* HDSup -> the DIRTY capability, dirty domains and their attach. */
START_TEST(test_amdvi_dirty)
{
	struct hw_domain	 dom;

	ck_assert_int_eq(amd_init("epyc-zen4-like", NULL, 0), 0);
	ck_assert_uint_eq(hw_amdvi_ops.capabilities(&desc), 0);
	ck_assert_int_eq(amd_paging(HW_DOMAIN_DIRTY, &dom), -EOPNOTSUPP);
	amd_with("epyc-zen4-like", "hdsup", "on");
	ck_assert_uint_eq(hw_amdvi_ops.capabilities(&desc),
	    IOMMU_HW_CAP_DIRTY_TRACKING);
	ck_assert_int_eq(amd_paging(HW_DOMAIN_DIRTY, &dom), 0);
	ck_assert_uint_eq(dom.flags, HW_DOMAIN_DIRTY);
	ck_assert_uint_eq(dom.pagetable_type, 1);
	ck_assert_int_eq(hw_amdvi_ops.attach_check(&desc, &dom), 0);
	/* The same domain, a device behind an IOMMU without HDSup. */
	amd_with("epyc-zen4-like", "hdsup", "off");
	ck_assert_int_eq(hw_amdvi_ops.attach_check(&desc, &dom), -EINVAL);
	/* HATS = 3: no host table, so no host dirty bit either. */
	amd_with("nested", "efr", "0x10000000000c00");
	ck_assert_uint_eq(hw_amdvi_ops.capabilities(&desc), 0);
}
END_TEST

/* HATS -> the v1 table's reach; page sizes; coherency always. */
START_TEST(test_amdvi_paging)
{
	struct hw_domain	 dom;
	struct hw_data		 data = { IOMMU_HWPT_DATA_AMD_GUEST, "", 0 };

	amd_with("qemu", "efr", "0");		/* HATS 0: 4 levels */
	ck_assert_int_eq(amd_paging(0, &dom), 0);
	ck_assert_uint_eq(dom.aperture_start, 0);
	ck_assert_uint_eq(dom.aperture_last, (1ULL << 48) - 1);
	ck_assert_uint_eq(hw_domain_min_page(&dom), 4096);
	ck_assert_uint_ne(dom.pgsize_bitmap & (1ULL << 21), 0);
	ck_assert_uint_ne(dom.pgsize_bitmap & (1ULL << 30), 0);
	ck_assert_uint_eq(dom.pgsize_bitmap & (1ULL << 39), 0);
	ck_assert_uint_eq(dom.pgsize_bitmap & ~((1ULL << 48) - 1), 0);
	amd_with("qemu", "efr", "0x400");	/* HATS 1: 5 levels */
	ck_assert_int_eq(amd_paging(0, &dom), 0);
	ck_assert_uint_eq(dom.aperture_last, (1ULL << 57) - 1);
	ck_assert_int_eq(amd_init("qemu", NULL, 0), 0);	/* HATS 2 */
	ck_assert_int_eq(amd_paging(0, &dom), 0);
	ck_assert_uint_eq(dom.aperture_last, UINT64_MAX);
	ck_assert_uint_ne(dom.pgsize_bitmap & (1ULL << 51), 0);
	ck_assert_uint_eq(dom.pgsize_bitmap & (1ULL << 52), 0);
	ck_assert_int_eq(hw_amdvi_ops.enforce_cache_coherency(&dom), 0);
	ck_assert_int_eq(dom.enforce_cc, 1);
	ck_assert_int_eq(hw_amdvi_ops.domain_alloc_paging(&desc, 0, &data,
	    &dom), -EOPNOTSUPP);

	/* HATS = 3 and no v2 table: no paging domain at all. */
	amd_with("qemu", "efr", "0xc00");
	ck_assert_int_eq(amd_paging(0, &dom), -EOPNOTSUPP);
	/* HATS = 3 with GT and GIOSup: the v2 table instead. */
	amd_with("epyc-zen4-like", "efr", "0x1000000000c10");
	ck_assert_int_eq(amd_paging(0, &dom), 0);
	ck_assert_uint_eq(dom.pagetable_type, 2);
	ck_assert_uint_eq(dom.pgsize_bitmap,
	    (1ULL << 12) | (1ULL << 21) | (1ULL << 30));
	ck_assert_uint_eq(dom.aperture_last, (1ULL << 47) - 1);
}
END_TEST

/* GT, GIOSup and EFR2's GCR3TRPMode -> NEST_PARENT. */
START_TEST(test_amdvi_nest_parent)
{
	struct hw_domain	 dom;

	ck_assert_int_eq(amd_init("qemu", NULL, 0), 0);	/* no GIOSup */
	ck_assert_int_eq(amd_paging(HW_DOMAIN_NEST_PARENT, &dom),
	    -EOPNOTSUPP);
	ck_assert_int_eq(amd_init("epyc-zen4-like", NULL, 0), 0);
	ck_assert_int_eq(amd_paging(HW_DOMAIN_NEST_PARENT, &dom),
	    -EOPNOTSUPP);				/* no GCR3TRPMode */
	amd_with("epyc-zen4-like", "efr2", "0x18");
	ck_assert_int_eq(amd_paging(HW_DOMAIN_NEST_PARENT, &dom), 0);
	ck_assert_uint_eq(dom.pagetable_type, 1);
	ck_assert_int_eq(amd_init("nested", NULL, 0), 0);
	ck_assert_int_eq(amd_paging(HW_DOMAIN_NEST_PARENT | HW_DOMAIN_DIRTY,
	    &dom), 0);
	ck_assert_uint_eq(dom.flags, HW_DOMAIN_NEST_PARENT | HW_DOMAIN_DIRTY);
	amd_with("nested", "gtsup", "off");
	ck_assert_int_eq(amd_paging(HW_DOMAIN_NEST_PARENT, &dom),
	    -EOPNOTSUPP);
	amd_with("nested", "giosup", "off");
	ck_assert_int_eq(amd_paging(HW_DOMAIN_NEST_PARENT, &dom),
	    -EOPNOTSUPP);
	/* A mix with PASID is no case of the driver's. */
	ck_assert_int_eq(amd_init("nested", NULL, 0), 0);
	ck_assert_int_eq(amd_paging(HW_DOMAIN_NEST_PARENT | HW_DOMAIN_PASID,
	    &dom), -EOPNOTSUPP);
	ck_assert_int_eq(amd_paging(HW_DOMAIN_DIRTY | HW_DOMAIN_PASID, &dom),
	    -EOPNOTSUPP);
	/* 6.12 had DIRTY only. */
	ck_assert_int_eq(dispatch_set_uapi_level(UAPI_LEVEL_6_12), 0);
	ck_assert_int_eq(amd_paging(HW_DOMAIN_NEST_PARENT, &dom),
	    -EOPNOTSUPP);
	ck_assert_int_eq(amd_paging(HW_DOMAIN_DIRTY, &dom), 0);
}
END_TEST

/* GT, GIOSup, PPR, EPHSup, PASmax, LA57/GATS, SNP -> PASIDs. */
START_TEST(test_amdvi_pasid)
{
	struct hw_domain	 dom;

	ck_assert_int_eq(amd_init("qemu", NULL, 0), 0);
	ck_assert_uint_eq(amd_width(20), 0);
	ck_assert_int_eq(amd_paging(HW_DOMAIN_PASID, &dom), -EOPNOTSUPP);

	ck_assert_int_eq(amd_init("epyc-zen4-like", NULL, 0), 0);
	/* (1 << (15 + 1)) - 1 PASIDs: log2 15, even for a 20-bit device. */
	ck_assert_uint_eq(amd_width(20), 15);
	ck_assert_uint_eq(amd_width(8), 8);
	ck_assert_uint_eq(amd_width(0), 0);
	ck_assert_int_eq(amd_paging(HW_DOMAIN_PASID, &dom), 0);
	ck_assert_uint_eq(dom.pagetable_type, 2);
	ck_assert_uint_eq(dom.flags, HW_DOMAIN_PASID);
	amd_with("epyc-zen4-like", "pasmax", "4");
	ck_assert_uint_eq(amd_width(20), 4);

	amd_with("epyc-zen4-like", "pprsup", "off");
	ck_assert_uint_eq(amd_width(20), 0);
	ck_assert_int_eq(amd_paging(HW_DOMAIN_PASID, &dom), -EOPNOTSUPP);
	amd_with("epyc-zen4-like", "efr", "0x0000000f00000012");
	ck_assert_uint_eq(amd_width(20), 0);
	/* SNP without EFR2's page mode 0 support turns PASIDs off. */
	amd_with("epyc-zen4-like", "snpsup", "on");
	ck_assert_uint_eq(amd_width(20), 0);
	amd_with("epyc-zen4-like", "efr", "0x8005000f00000012");
	ck_assert_uint_eq(amd_width(20), 0);
	{
		struct hw_param	 p[2] = {
			{ "snpsup", "on", 1 }, { "efr2", "0x2000", 2 },
		};

		ck_assert_int_eq(amd_init("epyc-zen4-like", p, 2), 0);
		ck_assert_uint_eq(amd_width(20), 15);
	}
	/* A 5-level CPU needs 5-level guest tables (GATS = 1). */
	amd_with("epyc-zen4-like", "la57", "on");
	ck_assert_uint_eq(amd_width(20), 0);
	{
		struct hw_param	 p[2] = {
			{ "la57", "on", 1 },
			{ "efr", "0x246577efa2255afa", 2 },
		};

		ck_assert_int_eq(amd_init("epyc-zen4-like", p, 2), 0);
		ck_assert_uint_eq(amd_width(20), 15);
		ck_assert_int_eq(amd_paging(HW_DOMAIN_PASID, &dom), 0);
		ck_assert_uint_eq(dom.aperture_last, (1ULL << 56) - 1);
	}
}
END_TEST

/* EFR2's HT range ignore bit -> the HyperTransport hole or not. */
START_TEST(test_amdvi_reserved)
{
	struct regions	 r;

	ck_assert_int_eq(amd_init("qemu", NULL, 0), 0);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(hw_amdvi_ops.reserved_regions(&desc, amd_region,
	    &r), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.start[0], 0xfee00000ULL);
	ck_assert_uint_eq(r.last[0], 0xfeefffffULL);
	ck_assert_uint_eq(r.start[1], 0xfd00000000ULL);
	ck_assert_uint_eq(r.last[1], HT_LAST);
	amd_with("qemu", "efr2", "0x800");
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(hw_amdvi_ops.reserved_regions(&desc, amd_region,
	    &r), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.start[0], 0xfee00000ULL);
}
END_TEST

/* A guest DTE that passes: V, GV, a GCR3 root, 4-level, GLX 1. */
static void
gdte_good(uint64_t dte[4])
{
	dte[0] = AMDVI_DTE0_V | AMDVI_DTE0_GV | AMDVI_DTE0_PPR |
	    AMDVI_DTE0_GIOV | (1ULL << AMDVI_DTE0_GLX_SHIFT) | (1ULL << 58);
	dte[1] = 0x0042 | (0x1234ULL << 16);
	dte[2] = 0;
	dte[3] = 0;
}

/* Each rule of 7.3's validate_gdte_nested() on its own. */
START_TEST(test_amdvi_gdte)
{
	uint64_t	 dte[4];

	ck_assert_int_eq(amd_init("nested", NULL, 0), 0);
	gdte_good(dte);
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), 0);
	/* Mode must be zero. */
	gdte_good(dte);
	dte[0] |= 4ULL << 9;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), -EINVAL);
	/* Host table root pointer must be zero. */
	gdte_good(dte);
	dte[0] |= 1ULL << 12;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), -EINVAL);
	gdte_good(dte);
	dte[0] |= 1ULL << 51;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), -EINVAL);
	/* V and GV without any GCR3 root bits. */
	gdte_good(dte);
	dte[0] &= ~(7ULL << 58);
	dte[1] &= 0xffff;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), -EINVAL);
	/* ... each part of the root alone is enough. */
	dte[1] |= 1ULL << 63;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), 0);
	dte[1] &= 0xffff;
	dte[0] |= 1ULL << 60;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), 0);
	/* ... and without V or GV no root is needed. */
	gdte_good(dte);
	dte[0] &= ~(AMDVI_DTE0_GV | (7ULL << 58));
	dte[1] &= 0xffff;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), 0);
	dte[0] |= AMDVI_DTE0_GV;
	dte[0] &= ~AMDVI_DTE0_V;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), 0);
	/* Guest paging mode 2 and 3 are reserved. */
	gdte_good(dte);
	dte[2] = 2ULL << 54;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), -EINVAL);
	dte[2] = 3ULL << 54;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), -EINVAL);
	/* GLX 3 is reserved, 0 to 2 are not. */
	gdte_good(dte);
	dte[0] |= 3ULL << AMDVI_DTE0_GLX_SHIFT;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), -EINVAL);
	dte[0] &= ~(1ULL << AMDVI_DTE0_GLX_SHIFT);
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), 0);
	/* A 5-level guest table: EOPNOTSUPP unless LA57 and GATS 1. */
	gdte_good(dte);
	dte[2] = 1ULL << 54;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), -EOPNOTSUPP);
	{
		struct hw_param	 p[2] = {
			{ "la57", "on", 1 },
			{ "efr", "0x247777efa2255afa", 2 },
		};

		ck_assert_int_eq(amd_init("nested", p, 2), 0);
		ck_assert_int_eq(amdvi_gdte_check(amd(), dte), 0);
	}
	/* The other bits of the entry are not looked at. */
	gdte_good(dte);
	dte[0] |= 1ULL << 61 | 1ULL << 62 | 1ULL << 1;
	dte[2] |= 0xffffULL;
	dte[3] = ~0ULL;
	ck_assert_int_eq(amdvi_gdte_check(amd(), dte), 0);
}
END_TEST

START_TEST(test_amdvi_viommu)
{
	ck_assert_int_eq(amd_init("nested", NULL, 0), 0);
	ck_assert_int_eq(hw_amdvi_ops.viommu_alloc(&desc,
	    IOMMU_VIOMMU_TYPE_DEFAULT, NULL, 0), -EOPNOTSUPP);
	ck_assert_int_eq(hw_amdvi_ops.viommu_alloc(&desc,
	    IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0), 0);
	ck_assert_ptr_null(hw_amdvi_ops.domain_alloc_nested);
	ck_assert_ptr_null(hw_amdvi_ops.hw_queue_type);
	ck_assert_int_eq(dispatch_set_uapi_level(UAPI_LEVEL_6_12), 0);
	ck_assert_int_eq(hw_amdvi_ops.viommu_alloc(&desc,
	    IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0), -EOPNOTSUPP);
}
END_TEST

/*
 * A device behind an amd-vi instance made as the configuration makes
 * one, through the ioctls: its hw_info, a nest parent with dirty
 * tracking, attach, a vIOMMU on it, and no nested domain.
 */
START_TEST(test_amdvi_ioctls)
{
	struct hw_instance		*ip = NULL;
	struct iommu_hw_info		 hi;
	struct iommu_hw_info_amd	 info;
	struct iommu_hwpt_alloc		 h;
	struct iommu_viommu_alloc	 v;
	struct iommu_hwpt_amd_guest	 g;
	struct edev			 e;
	struct device			*dev;
	uint64_t			 dte[4];
	uint32_t			 dev_id, ioas, pt;

	ck_assert_int_eq(hw_instance_new("amdvi-t0", "amd-vi", "nested",
	    NULL, 0, &ip, err, sizeof(err)), 0);
	ck_assert_uint_eq(ip->ops->pasid_bits(ip), 15);
	device_edev_init(&e, "amdvi-t0-dev", ip, 0x0300, 15, 0);
	ck_assert_int_eq(device_bind(tctx, &e, &dev, &dev_id), 0);
	ioas = test_ioas_new();

	memset(&hi, 0, sizeof(hi));
	memset(&info, 0, sizeof(info));
	hi.size = sizeof(hi);
	hi.dev_id = dev_id;
	hi.data_len = sizeof(info);
	hi.data_uptr = (uintptr_t)&info;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_GET_HW_INFO, &hi), 0);
	ck_assert_uint_eq(hi.out_data_type, IOMMU_HW_INFO_TYPE_AMD);
	ck_assert_uint_eq(hi.data_len, sizeof(info));
	ck_assert_uint_eq(info.efr, NESTED_EFR);
	ck_assert_uint_eq(info.efr2, 0x18);
	ck_assert_uint_eq(hi.out_max_pasid_log2, 15);
	ck_assert_uint_eq(hi.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING,
	    IOMMU_HW_CAP_DIRTY_TRACKING);

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_ALLOC_NEST_PARENT |
	    IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	h.dev_id = dev_id;
	h.pt_id = ioas;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_ALLOC, &h), 0);
	pt = h.out_hwpt_id;
	ck_assert_int_eq(device_attach(dev, DEVICE_NO_PASID, &pt), 0);

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	v.dev_id = dev_id;
	v.hwpt_id = h.out_hwpt_id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &v), 0);

	/* 7.3 cannot make a nested domain, however good the DTE. */
	gdte_good(dte);
	memcpy(g.dte, dte, sizeof(g.dte));
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = dev_id;
	h.pt_id = v.out_viommu_id;
	h.data_type = IOMMU_HWPT_DATA_AMD_GUEST;
	h.data_len = sizeof(g);
	h.data_uptr = (uintptr_t)&g;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_ALLOC, &h),
	    -EOPNOTSUPP);
	h.pt_id = pt;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_ALLOC, &h),
	    -EOPNOTSUPP);

	device_unbind(dev);
	hw_instance_free(ip);
}
END_TEST

static Suite *
amdvi_suite(void)
{
	Suite	*s = suite_create("amdvi");
	TCase	*tc;

	tc = tcase_create("model");
	tcase_add_checked_fixture(tc, NULL, amd_teardown);
	tcase_add_test(tc, test_amdvi_profiles);
	tcase_add_test(tc, test_amdvi_overrides);
	tcase_add_test(tc, test_amdvi_hw_info);
	tcase_add_test(tc, test_amdvi_dirty);
	tcase_add_test(tc, test_amdvi_paging);
	tcase_add_test(tc, test_amdvi_nest_parent);
	tcase_add_test(tc, test_amdvi_pasid);
	tcase_add_test(tc, test_amdvi_reserved);
	tcase_add_test(tc, test_amdvi_gdte);
	tcase_add_test(tc, test_amdvi_viommu);
	suite_add_tcase(s, tc);

	tc = test_tcase(s, "ioctls");
	tcase_add_test(tc, test_amdvi_ioctls);
	return (s);
}

SUITE(amdvi_suite)
