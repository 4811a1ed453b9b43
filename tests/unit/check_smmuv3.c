/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The arm-smmuv3 model on its own: profiles and overrides through
 * instance_init, each behaviour against the register bit it comes from,
 * every vSTE rule and every guest command rule of Linux 7.3, valid and
 * invalid, and the vSID to stream id conversion.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "core/util.h"
#include "hw/hw.h"
#include "hw/smmuv3.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define IDR0_S2P	(1U << 0)
#define IDR0_S1P	(1U << 1)
#define IDR0_COHACC	(1U << 4)
#define IDR0_HTTU_AD	(2U << 6)
#define IDR0_ATS	(1U << 10)
#define IDR0_ASID16	(1U << 12)
#define IDR3_FWB	(1U << 8)
#define IDR3_RIL	(1U << 10)
#define IDR5_DS		(1U << 7)

#define SZ(b)		(1ULL << (b))

static struct hw_instance	 inst;
static struct hw_dev_desc	 dev;
static char			 err[128];

static const struct hw_model_ops *
ops(void)
{
	return (hw_model_find("arm-smmuv3"));
}

/* A fresh instance of profile with the overrides, which must succeed. */
static void
smmu_init(const char *profile, const struct hw_param *p, size_t n)
{
	if (inst.priv != NULL)
		ops()->instance_fini(&inst);
	memset(&inst, 0, sizeof(inst));
	inst.name = "smmu0";
	inst.ops = ops();
	err[0] = '\0';
	ck_assert_msg(ops()->instance_init(&inst, profile, p, n, err,
	    sizeof(err)) == 0, "%s", err);
	memset(&dev, 0, sizeof(dev));
	dev.hw = &inst;
	dev.rid = 0x0108;
}

/* The profile's register reg with set bits set and clr bits cleared. */
static void
smmu_init_reg(const char *profile, const char *reg, uint32_t set,
    uint32_t clr)
{
	static char		 val[32];
	struct hw_param		 p = { reg, val, 1 };
	const uint32_t		*r;
	struct hw_instance	 t;
	size_t			 i;

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(ops()->instance_init(&t, profile, NULL, 0, err,
	    sizeof(err)), 0);
	r = &smmuv3_of(&t)->regs.idr[0];
	for (i = 0; i < 6 && strcmp(reg, (const char *[]){ "idr0", "idr1",
	    "idr2", "idr3", "idr4", "idr5" }[i]) != 0; i++)
		;
	ck_assert_uint_lt(i, 6);
	snprintf(val, sizeof(val), "%#x", (r[i] | set) & ~clr);
	ops()->instance_fini(&t);
	smmu_init(profile, &p, 1);
}

static void
smmu_teardown(void)
{
	if (inst.priv != NULL)
		ops()->instance_fini(&inst);
	memset(&inst, 0, sizeof(inst));
}

static int
paging(unsigned int flags, struct hw_domain *dom)
{
	struct hw_data	 none = { 0, NULL, 0 };

	return (ops()->domain_alloc_paging(&dev, flags, &none, dom));
}

START_TEST(profiles_and_overrides)
{
	const char *const	*pr = ops()->profiles;
	struct hw_param		 p[2];
	struct hw_instance	 t;
	size_t			 i;

	ck_assert_str_eq(pr[0], "qemu-nested");
	for (i = 0; pr[i] != NULL; i++)
		smmu_init(pr[i], NULL, 0);
	ck_assert_uint_eq(i, 3);
	smmu_init(NULL, NULL, 0);
	ck_assert_int_eq(smmuv3_of(&inst)->nesting, 1);

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(ops()->instance_init(&t, "nope", NULL, 0, err,
	    sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "profile"));
	p[0] = (struct hw_param){ "idr9", "0", 3 };
	ck_assert_int_eq(ops()->instance_init(&t, NULL, p, 1, err,
	    sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "idr9"));
	p[0] = (struct hw_param){ "idr5", "0x1_0", 3 };
	ck_assert_int_eq(ops()->instance_init(&t, NULL, p, 1, err,
	    sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "idr5"));
	p[0] = (struct hw_param){ "aidr", "0x100000000", 3 };
	ck_assert_int_eq(ops()->instance_init(&t, NULL, p, 1, err,
	    sizeof(err)), -EINVAL);
	/* What Linux refuses to probe. */
	p[0] = (struct hw_param){ "idr0", "0x0", 3 };
	ck_assert_int_eq(ops()->instance_init(&t, NULL, p, 1, err,
	    sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "idr0"));
	p[0] = (struct hw_param){ "idr0", "0x3", 3 };	/* no TTF */
	ck_assert_int_eq(ops()->instance_init(&t, NULL, p, 1, err,
	    sizeof(err)), -EINVAL);
	p[0] = (struct hw_param){ "idr5", "0x5", 3 };	/* no granule */
	ck_assert_int_eq(ops()->instance_init(&t, NULL, p, 1, err,
	    sizeof(err)), -EINVAL);
	ck_assert_ptr_null(t.priv);

	p[0] = (struct hw_param){ "iidr", "0x1234", 1 };
	p[1] = (struct hw_param){ "aidr", "2", 2 };
	smmu_init("qemu", p, 2);
	ck_assert_uint_eq(smmuv3_of(&inst)->regs.iidr, 0x1234);
	ck_assert_uint_eq(smmuv3_of(&inst)->regs.aidr, 2);
}
END_TEST

struct regs_seen {
	const char	*names[8];
	uint64_t	 values[8];
	int		 n;
};

static void
seen(void *arg, const char *reg, uint64_t v)
{
	struct regs_seen	*s = arg;

	if (s->n < 8) {
		s->names[s->n] = reg;
		s->values[s->n] = v;
	}
	s->n++;
}

START_TEST(hw_info_is_the_registers)
{
	struct iommu_hw_info_arm_smmuv3	 info;
	struct regs_seen		 s;
	uint8_t				 buf[HW_INFO_MAX];
	uint32_t			 type;
	size_t				 len;
	int				 i;

	smmu_init("mmu700", NULL, 0);
	memset(&s, 0, sizeof(s));
	ops()->describe(&inst, seen, &s);
	ck_assert_int_eq(s.n, 8);
	ck_assert_str_eq(s.names[0], "idr0");
	ck_assert_str_eq(s.names[6], "iidr");
	ck_assert_str_eq(s.names[7], "aidr");
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(ops()->hw_info(&dev, IOMMU_HW_INFO_TYPE_DEFAULT,
	    &type, buf, &len), 0);
	ck_assert_uint_eq(type, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	ck_assert_uint_eq(len, sizeof(info));
	memcpy(&info, buf, sizeof(info));
	ck_assert_uint_eq(info.flags, 0);
	for (i = 0; i < 6; i++)
		ck_assert_uint_eq(info.idr[i], s.values[i]);
	ck_assert_uint_eq(info.iidr, s.values[6]);
	ck_assert_uint_eq(info.aidr, s.values[7]);
	ck_assert_int_eq(ops()->hw_info(&dev, IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
	    &type, buf, &len), 0);
	ck_assert_int_eq(ops()->hw_info(&dev, IOMMU_HW_INFO_TYPE_INTEL_VTD,
	    &type, buf, &len), -EOPNOTSUPP);
}
END_TEST

START_TEST(stages_decide_domains)
{
	struct hw_domain	 d;

	smmu_init("qemu-nested", NULL, 0);
	ck_assert_int_eq(paging(0, &d), 0);
	ck_assert_uint_eq(d.aperture_last, SZ(48) - 1);	/* S1: VA 48 */
	ck_assert_int_eq(paging(HW_DOMAIN_NEST_PARENT, &d), 0);
	ck_assert_uint_eq(d.aperture_last, SZ(48) - 1);	/* S2: OAS 48 */
	ck_assert_int_eq(paging(HW_DOMAIN_PASID, &d), 0);
	ck_assert_int_eq(paging(HW_DOMAIN_NEST_PARENT | HW_DOMAIN_PASID, &d),
	    -EOPNOTSUPP);
	ck_assert_int_eq(ops()->viommu_alloc(&dev,
	    IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0), 0);
	ck_assert_int_eq(ops()->viommu_alloc(&dev,
	    IOMMU_VIOMMU_TYPE_DEFAULT, NULL, 0), -EOPNOTSUPP);

	/* Without S2P: no nest parent, no vIOMMU. */
	smmu_init_reg("qemu-nested", "idr0", 0, IDR0_S2P);
	ck_assert_int_eq(smmuv3_of(&inst)->nesting, 0);
	ck_assert_int_eq(paging(HW_DOMAIN_NEST_PARENT, &d), -EOPNOTSUPP);
	ck_assert_int_eq(ops()->viommu_alloc(&dev,
	    IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0), -EOPNOTSUPP);
	ck_assert_int_eq(paging(0, &d), 0);

	/* Without S1P: S2 domains of the OAS (44 bits), no PASID. */
	smmu_init("qemu", NULL, 0);
	smmu_init_reg("qemu", "idr0", IDR0_S2P, IDR0_S1P);
	ck_assert_int_eq(paging(0, &d), 0);
	ck_assert_uint_eq(d.aperture_last, SZ(44) - 1);
	ck_assert_int_eq(paging(HW_DOMAIN_PASID, &d), -EOPNOTSUPP);
	ck_assert_int_eq(paging(HW_DOMAIN_NEST_PARENT, &d), -EOPNOTSUPP);

	/* Driver data is refused. */
	{
		struct hw_data	 x = { IOMMU_HWPT_DATA_ARM_SMMUV3, "", 0 };

		ck_assert_int_eq(ops()->domain_alloc_paging(&dev, 0, &x, &d),
		    -EOPNOTSUPP);
	}
}
END_TEST

START_TEST(cohacc_decides_coherency)
{
	struct hw_domain	 d;

	smmu_init("qemu-nested", NULL, 0);
	ck_assert_int_eq(paging(HW_DOMAIN_NEST_PARENT, &d), 0);
	ck_assert_int_eq(d.enforce_cc, 1);
	smmu_init_reg("qemu-nested", "idr0", 0, IDR0_COHACC);
	ck_assert_int_eq(paging(HW_DOMAIN_NEST_PARENT, &d), 0);
	ck_assert_int_eq(d.enforce_cc, 0);
	/* Not coherent and no S2FWB: no vIOMMU; S2FWB alone will do. */
	ck_assert_int_eq(ops()->viommu_alloc(&dev,
	    IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0), -EOPNOTSUPP);
	smmu_init_reg("qemu-nested", "idr3", IDR3_FWB, 0);
	ck_assert_int_eq(ops()->viommu_alloc(&dev,
	    IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0), 0);
}
END_TEST

START_TEST(granules_decide_page_sizes)
{
	struct hw_domain	 d;

	smmu_init("qemu-nested", NULL, 0);	/* 4K, 16K, 64K: 4K's */
	ck_assert_int_eq(paging(0, &d), 0);
	ck_assert_uint_eq(d.pgsize_bitmap, SZ(12) | SZ(21) | SZ(30));
	/* Without 4K, the smallest granule above the CPU page. */
	smmu_init_reg("qemu-nested", "idr5", 0, 1U << 4);
	ck_assert_int_eq(paging(0, &d), 0);
	ck_assert_uint_eq(d.pgsize_bitmap, SZ(14) | SZ(25));
	ck_assert_uint_eq(hw_domain_min_page(&d), SZ(14));
	smmu_init_reg("qemu-nested", "idr5", 0, 3U << 4);	/* 64K */
	ck_assert_int_eq(paging(0, &d), 0);
	ck_assert_uint_eq(d.pgsize_bitmap, SZ(16) | SZ(29));
	smmu_init_reg("qemu-nested", "idr5", 0, 5U << 4);	/* 16K */
	ck_assert_int_eq(paging(0, &d), 0);
	ck_assert_uint_eq(d.pgsize_bitmap, SZ(14) | SZ(25));
	/* 64K with a 52-bit OAS has 4 TiB blocks, and a 52-bit S2. */
	smmu_init("qemu-nested", (struct hw_param[]){ { "idr5", "0x46",
	    1 } }, 1);
	ck_assert_int_eq(paging(0, &d), 0);
	ck_assert_uint_eq(d.pgsize_bitmap, SZ(16) | SZ(29) | SZ(42));
	ck_assert_int_eq(paging(HW_DOMAIN_NEST_PARENT, &d), 0);
	ck_assert_uint_eq(d.aperture_last, SZ(52) - 1);
	/* A reserved OAS reads as 48 bits. */
	smmu_init("qemu-nested", (struct hw_param[]){ { "idr5", "0x17",
	    1 } }, 1);
	ck_assert_uint_eq(smmuv3_of(&inst)->oas, 48);
}
END_TEST

START_TEST(httu_decides_dirty_tracking)
{
	struct hw_domain	 d;

	smmu_init("qemu-nested", NULL, 0);
	ck_assert_uint_eq(ops()->capabilities(&dev) &
	    IOMMU_HW_CAP_DIRTY_TRACKING, 0);
	ck_assert_int_eq(paging(HW_DOMAIN_DIRTY, &d), -EOPNOTSUPP);
	smmu_init_reg("qemu-nested", "idr0", IDR0_HTTU_AD, 0);
	ck_assert_uint_eq(ops()->capabilities(&dev) &
	    IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HW_CAP_DIRTY_TRACKING);
	ck_assert_int_eq(paging(HW_DOMAIN_DIRTY, &d), 0);
	ck_assert_int_eq(paging(HW_DOMAIN_DIRTY | HW_DOMAIN_PASID, &d), 0);
	ck_assert_int_eq(paging(HW_DOMAIN_DIRTY | HW_DOMAIN_NEST_PARENT, &d),
	    -EOPNOTSUPP);
	/* Dirty state without coherent walks is no dirty tracking. */
	smmu_init("mmu700", NULL, 0);
	ck_assert_int_ne(ops()->capabilities(&dev) &
	    IOMMU_HW_CAP_DIRTY_TRACKING, 0);
	smmu_init_reg("mmu700", "idr0", 0, IDR0_COHACC);
	ck_assert_uint_eq(ops()->capabilities(&dev) &
	    IOMMU_HW_CAP_DIRTY_TRACKING, 0);
	/* ATS, and the width of PASIDs. */
	ck_assert_uint_eq(ops()->capabilities(&dev) &
	    IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, 0);
	ck_assert_uint_eq(smmuv3_of(&inst)->ssid_bits, 20);
	smmu_init("qemu", NULL, 0);
	ck_assert_uint_ne(ops()->capabilities(&dev) &
	    IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, 0);
	ck_assert_uint_eq(smmuv3_of(&inst)->ssid_bits, 0);
	/* SSIDSIZE caps the PASID width of the devices behind the SMMU. */
	ck_assert_uint_eq(ops()->pasid_bits(&inst), 0);
	smmu_init("qemu-nested", NULL, 0);
	ck_assert_uint_eq(ops()->pasid_bits(&inst), 20);
	smmu_init("qemu-nested", (struct hw_param[]){ { "idr1",
	    "0x2730290", 1 } }, 1);
	ck_assert_uint_eq(ops()->pasid_bits(&inst), 10);
}
END_TEST

/* A nested domain from the vSTE (ste0, ste1) of len bytes. */
static int
vste(uint64_t ste0, uint64_t ste1, size_t len, struct hw_nested *n)
{
	struct iommu_hwpt_arm_smmuv3	 a;
	uint8_t				 buf[32];
	struct hw_data			 d;

	a.ste[0] = htole64(ste0);
	a.ste[1] = htole64(ste1);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &a, sizeof(a));
	d.type = IOMMU_HWPT_DATA_ARM_SMMUV3;
	d.buf = buf;
	d.len = len;
	memset(n, 0xee, sizeof(*n));
	return (ops()->domain_alloc_nested(&dev, NULL, 0, &d, n));
}

#define V		1ULL
#define CFG(c)		((uint64_t)(c) << 1)
#define EATS(e)		((uint64_t)(e) << 28)

START_TEST(vste_rules)
{
	struct hw_nested	 n;
	struct hw_domain	 parent;
	struct hw_data		 d;
	uint8_t			 buf[16] = { 0 };

	smmu_init(NULL, NULL, 0);
	/* Not valid: anything goes, kept as zeroes (abort). */
	ck_assert_int_eq(vste(~V, ~0ULL, 16, &n), 0);
	ck_assert_uint_eq(n.entry[0], 0);
	ck_assert_uint_eq(n.entry[1], 0);
	/* Abort, bypass, S1 translate with the allowed fields. */
	ck_assert_int_eq(vste(V | CFG(0), 0, 16, &n), 0);
	ck_assert_uint_eq(n.entry[0], V);
	ck_assert_int_eq(vste(V | CFG(4), 0, 16, &n), 0);
	ck_assert_int_eq(vste(V | CFG(5) | (3ULL << 4) | (0xabcdefULL << 6) |
	    (31ULL << 59), 0xff | (1ULL << 27), 16, &n), 0);
	ck_assert_uint_eq(n.entry[2], 0);
	/* EATS: translate turns ATS on for S1 only, and is not kept. */
	ck_assert_int_eq(vste(V | CFG(5), EATS(1) | 1, 16, &n), 0);
	ck_assert_uint_eq(n.entry[1], 1);
	ck_assert_uint_eq(n.entry[2], 1);
	ck_assert_int_eq(vste(V | CFG(4), EATS(1), 16, &n), 0);
	ck_assert_uint_eq(n.entry[2], 0);
	ck_assert_int_eq(vste(V | CFG(5), EATS(2), 16, &n), -EIO);
	ck_assert_int_eq(vste(V | CFG(5), EATS(3), 16, &n), -EIO);
	/* Other configurations: S2 translate, nested, reserved. */
	ck_assert_int_eq(vste(V | CFG(6), 0, 16, &n), -EIO);
	ck_assert_int_eq(vste(V | CFG(7), 0, 16, &n), -EIO);
	ck_assert_int_eq(vste(V | CFG(1), 0, 16, &n), -EIO);
	ck_assert_int_eq(vste(V | CFG(2), 0, 16, &n), -EIO);
	/* Bits outside the allowed ones: ste0 52-58, ste1 MEV, S2FWB... */
	ck_assert_int_eq(vste(V | CFG(5) | (1ULL << 52), 0, 16, &n), -EIO);
	ck_assert_int_eq(vste(V | CFG(5) | (1ULL << 58), 0, 16, &n), -EIO);
	ck_assert_int_eq(vste(V | CFG(5), 1ULL << 19, 16, &n), -EIO);
	ck_assert_int_eq(vste(V | CFG(5), 1ULL << 25, 16, &n), -EIO);
	ck_assert_int_eq(vste(V | CFG(5), 1ULL << 30, 16, &n), -EIO);
	ck_assert_int_eq(vste(V | CFG(5), 1ULL << 63, 16, &n), -EIO);
	/* 16 bytes of the right type, zeros after; no flags, bare parent. */
	ck_assert_int_eq(vste(V, 0, 15, &n), -EINVAL);
	ck_assert_int_eq(vste(V, 0, 17, &n), 0);
	ck_assert_int_eq(vste(V, 0, 32, &n), 0);
	ck_assert_int_eq(vste(V, 0, 0, &n), -EINVAL);
	d = (struct hw_data){ IOMMU_HWPT_DATA_SELFTEST, buf, 16 };
	ck_assert_int_eq(ops()->domain_alloc_nested(&dev, NULL, 0, &d, &n),
	    -EINVAL);
	d.type = IOMMU_HWPT_DATA_ARM_SMMUV3;
	ck_assert_int_eq(ops()->domain_alloc_nested(&dev, NULL,
	    HW_DOMAIN_PASID, &d, &n), -EOPNOTSUPP);
	ck_assert_int_eq(paging(HW_DOMAIN_NEST_PARENT, &parent), 0);
	ck_assert_int_eq(ops()->domain_alloc_nested(&dev, &parent, 0, &d,
	    &n), -EOPNOTSUPP);
	/* DMA goes through the S2 alone behind a bypass vSTE only. */
	ck_assert_int_eq(vste(V | CFG(4), 0, 16, &n), 0);
	ck_assert_int_eq(ops()->nested_s1_bypass(&n), 1);
	ck_assert_int_eq(vste(V | CFG(5), 0, 16, &n), 0);
	ck_assert_int_eq(ops()->nested_s1_bypass(&n), 0);
	ck_assert_int_eq(vste(V | CFG(0), 0, 16, &n), 0);
	ck_assert_int_eq(ops()->nested_s1_bypass(&n), 0);
	ck_assert_int_eq(vste(CFG(4), 0, 16, &n), 0);
	ck_assert_int_eq(ops()->nested_s1_bypass(&n), 0);
	/* Only a translating vSTE needs the device's vDEVICE. */
	ck_assert_int_eq(vste(V | CFG(5), 0, 16, &n), 0);
	ck_assert_int_eq(ops()->nested_attach_check(&dev, &n, 0), -ENOENT);
	ck_assert_int_eq(ops()->nested_attach_check(&dev, &n, 1), 0);
	ck_assert_int_eq(vste(V | CFG(4), 0, 16, &n), 0);
	ck_assert_int_eq(ops()->nested_attach_check(&dev, &n, 0), 0);
	ck_assert_int_eq(vste(V | CFG(0), 0, 16, &n), 0);
	ck_assert_int_eq(ops()->nested_attach_check(&dev, &n, 0), 0);
	ck_assert_int_eq(vste(CFG(5), 0, 16, &n), 0);
	ck_assert_int_eq(ops()->nested_attach_check(&dev, &n, 0), 0);
}
END_TEST

/* Guest memory at 0x10000 through the stage 2, for CD fetches. */
static uint8_t	guest[4096];

static int
read_s2(void *arg, uint64_t addr, void *buf, size_t len)
{
	int	*reads = arg;

	(*reads)++;
	if (addr < 0x10000 || addr + len > 0x10000 + sizeof(guest))
		return (-EFAULT);
	memcpy(buf, guest + (addr - 0x10000), len);
	return (0);
}

START_TEST(dma_events)
{
	struct iommu_vevent_arm_smmuv3	 e;
	struct hw_nested		 n;
	uint8_t				 ev[HW_VEVENT_MAX];
	uint32_t			 type;
	size_t				 len;
	int				 reads = 0;

	smmu_init(NULL, NULL, 0);
	memset(guest, 0, sizeof(guest));
	/* A descriptor without V at 0x10040: C_BAD_CD with the vSID. */
	ck_assert_int_eq(vste(V | CFG(5) | 0x10040, 0, 16, &n), 0);
	ck_assert_int_eq(ops()->nested_dma_event(&n, 0x42, 0x1000, read_s2,
	    &reads, &type, ev, &len), 1);
	ck_assert_int_eq(reads, 1);
	ck_assert_uint_eq(type, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3);
	ck_assert_uint_eq(len, sizeof(e));
	memcpy(&e, ev, sizeof(e));
	ck_assert_uint_eq(le64toh(e.evt[0]), 0x0a | (0x42ULL << 32));
	ck_assert_uint_eq(e.evt[1] | e.evt[2] | e.evt[3], 0);
	/* V set: the walk is not modelled, no event. */
	guest[0x40 + 3] = 0x80;
	ck_assert_int_eq(ops()->nested_dma_event(&n, 0x42, 0x1000, read_s2,
	    &reads, &type, ev, &len), 0);
	/* A fetch the stage 2 does not map is the host's fault. */
	ck_assert_int_eq(vste(V | CFG(5) | 0x20000, 0, 16, &n), 0);
	ck_assert_int_eq(ops()->nested_dma_event(&n, 0x42, 0x1000, read_s2,
	    &reads, &type, ev, &len), 0);
	ck_assert_int_eq(reads, 3);
	/* Substreams without S1DSS SSID0, or a 2-level table: no fetch. */
	ck_assert_int_eq(vste(V | CFG(5) | 0x10000 | (1ULL << 59), 0, 16,
	    &n), 0);
	ck_assert_int_eq(ops()->nested_dma_event(&n, 0x42, 0x1000, read_s2,
	    &reads, &type, ev, &len), 0);
	ck_assert_int_eq(vste(V | CFG(5) | 0x10000 | (2ULL << 4), 0, 16, &n),
	    0);
	ck_assert_int_eq(ops()->nested_dma_event(&n, 0x42, 0x1000, read_s2,
	    &reads, &type, ev, &len), 0);
	ck_assert_int_eq(reads, 3);
	ck_assert_int_eq(vste(V | CFG(5) | 0x10000 | (1ULL << 59), 2, 16,
	    &n), 0);
	ck_assert_int_eq(ops()->nested_dma_event(&n, 0x42, 0x1000, read_s2,
	    &reads, &type, ev, &len), 1);
	/* Abort and bypass vSTEs fetch nothing. */
	ck_assert_int_eq(vste(V | CFG(0), 0, 16, &n), 0);
	ck_assert_int_eq(ops()->nested_dma_event(&n, 0x42, 0x1000, read_s2,
	    &reads, &type, ev, &len), 0);
	ck_assert_int_eq(reads, 4);
}
END_TEST

/* Two devices behind vSIDs 7 and 9. */
static struct hw_dev_desc	 vdevs[2];

static int
lookup(void *arg, uint64_t virt_id, const struct hw_dev_desc **descp)
{
	int	*calls = arg;

	(*calls)++;
	if (virt_id == 7)
		*descp = &vdevs[0];
	else if (virt_id == 9)
		*descp = &vdevs[1];
	else
		return (-ENOENT);
	return (0);
}

/* cmd converted in place with VMID 5; the lookups made in *calls. */
static int
conv(uint64_t c0, uint64_t c1, uint64_t out[2])
{
	int	 calls = 0;

	out[0] = c0;
	out[1] = c1;
	return (smmuv3_cmd_convert(smmuv3_of(&inst), out, 5, lookup,
	    &calls));
}

#define OP_CFGI_STE	0x03ULL
#define OP_CFGI_ALL	0x04ULL
#define OP_CFGI_CD	0x05ULL
#define OP_CFGI_CD_ALL	0x06ULL
#define OP_NH_ALL	0x10ULL
#define OP_NH_ASID	0x11ULL
#define OP_NH_VA	0x12ULL
#define OP_NH_VAA	0x13ULL
#define OP_S12_VMALL	0x28ULL
#define OP_S2_IPA	0x2aULL
#define OP_NSNH_ALL	0x30ULL
#define OP_ATC_INV	0x40ULL
#define OP_PRI_RESP	0x41ULL
#define OP_RESUME	0x44ULL
#define OP_SYNC		0x46ULL
#define SID(s)		((uint64_t)(s) << 32)
#define VMID(v)		((uint64_t)(v) << 32)
#define ASID(a)		((uint64_t)(a) << 48)
#define SSID(s)		((uint64_t)(s) << 12)
#define SSV		(1ULL << 11)
#define NUM(n)		((uint64_t)(n) << 12)
#define SCALE(s)	((uint64_t)(s) << 20)
#define TG(t)		((uint64_t)(t) << 10)
#define TTL(t)		((uint64_t)(t) << 8)

START_TEST(command_rules)
{
	uint64_t	 c[2];

	smmu_init("qemu-nested", NULL, 0);	/* ATS, SSID 20, no RIL */
	vdevs[0].rid = 0x0108;
	vdevs[1].rid = 0x0210;
	/* Opcodes the guest may not issue. */
	ck_assert_int_eq(conv(OP_CFGI_STE | SID(7), 0, c), -EIO);
	ck_assert_int_eq(conv(OP_CFGI_ALL, 0, c), -EIO);
	ck_assert_int_eq(conv(OP_S12_VMALL, 0, c), -EIO);
	ck_assert_int_eq(conv(OP_S2_IPA, 0, c), -EIO);
	ck_assert_int_eq(conv(OP_PRI_RESP, 0, c), -EIO);
	ck_assert_int_eq(conv(OP_RESUME, 0, c), -EIO);
	ck_assert_int_eq(conv(OP_SYNC, 0, c), -EIO);
	ck_assert_int_eq(conv(0, 0, c), -EIO);
	/* TLBI_NSNH_ALL: becomes NH_ALL of the VMID; nothing else set. */
	ck_assert_int_eq(conv(OP_NSNH_ALL, 0, c), 0);
	ck_assert_uint_eq(c[0], OP_NH_ALL | VMID(5));
	ck_assert_uint_eq(c[1], 0);
	ck_assert_int_eq(conv(OP_NSNH_ALL | VMID(3), 0, c), -EIO);
	ck_assert_int_eq(conv(OP_NSNH_ALL, 1, c), -EIO);
	/* NH_ALL, NH_ASID: the guest's VMID is replaced. */
	ck_assert_int_eq(conv(OP_NH_ALL | VMID(3), 0, c), 0);
	ck_assert_uint_eq(c[0], OP_NH_ALL | VMID(5));
	ck_assert_int_eq(conv(OP_NH_ALL | ASID(1), 0, c), -EIO);
	ck_assert_int_eq(conv(OP_NH_ASID | ASID(0xffff) | VMID(3), 0, c), 0);
	ck_assert_uint_eq(c[0], OP_NH_ASID | ASID(0xffff) | VMID(5));
	ck_assert_int_eq(conv(OP_NH_ASID | (1ULL << 8), 0, c), -EIO);
	/* NH_VA, NH_VAA: address, leaf; no range fields without RIL. */
	ck_assert_int_eq(conv(OP_NH_VA | ASID(2), 0xabc000 | 1, c), 0);
	ck_assert_uint_eq(c[0], OP_NH_VA | ASID(2) | VMID(5));
	ck_assert_uint_eq(c[1], 0xabc001);
	ck_assert_int_eq(conv(OP_NH_VAA | ASID(2), 0, c), -EIO);
	ck_assert_int_eq(conv(OP_NH_VAA, 0x1000, c), 0);
	ck_assert_int_eq(conv(OP_NH_VA, 0x1000 | TG(1) | TTL(3), c), -EIO);
	ck_assert_int_eq(conv(OP_NH_VA | NUM(1), 0x1000, c), -EIO);
	ck_assert_int_eq(conv(OP_NH_VA, 0x1000 | 2, c), -EIO);	/* RES0 */
	/* ATC_INV: vSID to stream id; size up to 52; SSV with SSIDs. */
	ck_assert_int_eq(conv(OP_ATC_INV | SID(9) | SSV | SSID(3),
	    0x5000 | 52, c), 0);
	ck_assert_uint_eq(c[0], OP_ATC_INV | SID(0x0210) | SSV | SSID(3));
	ck_assert_uint_eq(c[1], 0x5000 | 52);
	ck_assert_int_eq(conv(OP_ATC_INV | SID(9), 53, c), -EIO);
	ck_assert_int_eq(conv(OP_ATC_INV | SID(8), 0, c), -EIO);
	ck_assert_int_eq(conv(OP_ATC_INV | SID(9), 0x40, c), -EIO);
	/* CFGI_CD with SSID and leaf; CFGI_CD_ALL with the SID only. */
	ck_assert_int_eq(conv(OP_CFGI_CD | SID(7) | SSID(1), 1, c), 0);
	ck_assert_uint_eq(c[0], OP_CFGI_CD | SID(0x0108) | SSID(1));
	ck_assert_int_eq(conv(OP_CFGI_CD | SID(7) | SSV, 0, c), -EIO);
	ck_assert_int_eq(conv(OP_CFGI_CD_ALL | SID(7), 0, c), 0);
	ck_assert_uint_eq(c[0], OP_CFGI_CD_ALL | SID(0x0108));
	ck_assert_int_eq(conv(OP_CFGI_CD_ALL | SID(7) | SSID(1), 0, c),
	    -EIO);
	ck_assert_int_eq(conv(OP_CFGI_CD_ALL | SID(7), 1, c), -EIO);
	ck_assert_int_eq(conv(OP_CFGI_CD_ALL | SID(1234), 0, c), -EIO);

	/* QEMU's stage-1 SMMU: RIL, no ATS, no SSIDs, 16-bit ASIDs. */
	smmu_init("qemu", NULL, 0);
	ck_assert_int_eq(conv(OP_ATC_INV | SID(7), 0, c), -EIO);
	ck_assert_int_eq(conv(OP_CFGI_CD | SID(7) | SSID(1), 0, c), -EIO);
	ck_assert_int_eq(conv(OP_CFGI_CD | SID(7), 1, c), 0);
	/* Range: NUM/SCALE/TTL RES0 without TG, 0/0/0 reserved. */
	ck_assert_int_eq(conv(OP_NH_VA | NUM(3), 0x1000, c), -EIO);
	ck_assert_int_eq(conv(OP_NH_VA, 0x1000 | TTL(1), c), -EIO);
	ck_assert_int_eq(conv(OP_NH_VA, 0x1000 | TG(1), c), -EIO);
	ck_assert_int_eq(conv(OP_NH_VA | NUM(3), 0x1000 | TG(1), c), 0);
	ck_assert_int_eq(conv(OP_NH_VAA | SCALE(31), 0x1000 | TG(3) |
	    TTL(3), c), 0);
	/* SCALE above 31 and TTL 1 with 16K both need DS. */
	ck_assert_int_eq(conv(OP_NH_VA | SCALE(32), 0x1000 | TG(1) | TTL(1),
	    c), -EIO);
	ck_assert_int_eq(conv(OP_NH_VA, 0x1000 | TG(2) | TTL(1), c), -EIO);
	ck_assert_int_eq(conv(OP_NH_VA, 0x1000 | TG(2) | TTL(2), c), 0);
	smmu_init_reg("qemu", "idr5", IDR5_DS, 0);
	ck_assert_int_eq(conv(OP_NH_VA | SCALE(32), 0x1000 | TG(1) | TTL(1),
	    c), 0);
	ck_assert_int_eq(conv(OP_NH_VA, 0x1000 | TG(2) | TTL(1), c), 0);
	/* 8-bit ASIDs: the upper byte is refused. */
	smmu_init_reg("qemu", "idr0", 0, IDR0_ASID16);
	ck_assert_int_eq(conv(OP_NH_ASID | ASID(0xff), 0, c), 0);
	ck_assert_int_eq(conv(OP_NH_ASID | ASID(0x100), 0, c), -EIO);
	ck_assert_int_eq(conv(OP_NH_VA | ASID(0x100), 0x1000 | TG(1) |
	    TTL(1), c), -EIO);
}
END_TEST

/* One invalidation entry of len bytes through the model op. */
static int
inv(uint32_t type, const void *e, size_t len)
{
	struct hw_data	 d = { type, e, len };
	int		 calls = 0;

	return (ops()->viommu_invalidate_dev(&inst, &d, lookup, &calls));
}

START_TEST(invalidate_entries)
{
	uint64_t	 e[8];

	smmu_init(NULL, NULL, 0);
	memset(e, 0, sizeof(e));
	e[0] = htole64(OP_CFGI_CD_ALL | SID(7));
	ck_assert_int_eq(inv(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, e, 16),
	    0);
	ck_assert_int_eq(inv(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, e, 16),
	    -EINVAL);
	/* entry_num 0 (len 0) is EINVAL whatever the type. */
	ck_assert_int_eq(inv(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, e, 0),
	    -EINVAL);
	/* Longer entries with a zero tail; a short one is zero-extended. */
	ck_assert_int_eq(inv(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, e, 64),
	    0);
	e[3] = htole64(1);
	ck_assert_int_eq(inv(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, e, 32),
	    -E2BIG);
	ck_assert_int_eq(inv(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, e, 8),
	    0);
	e[1] = htole64(1);
	ck_assert_int_eq(inv(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, e, 16),
	    -EIO);
	e[0] = htole64(OP_CFGI_STE | SID(7));
	ck_assert_int_eq(inv(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, e, 8),
	    -EIO);
	/* The op is what the model offers for vIOMMU invalidation. */
	ck_assert_ptr_null(ops()->viommu_invalidate);
	ck_assert_ptr_nonnull(ops()->viommu_invalidate_dev);
}
END_TEST

START_TEST(builtin_instance)
{
	const struct hw_instance	*hw = hw_instance_find("arm-smmuv3");
	struct hw_dev_desc		 d = { .hw = hw };
	struct hw_domain		 dom;
	struct hw_data			 none = { 0, NULL, 0 };

	ck_assert_ptr_nonnull(hw);
	ck_assert_ptr_eq(hw->ops, ops());
	ck_assert_int_eq(smmuv3_of(hw)->nesting, 1);
	ck_assert_int_eq(hw->ops->domain_alloc_paging(&d,
	    HW_DOMAIN_NEST_PARENT, &none, &dom), 0);
	ck_assert_uint_eq(hw_domain_min_page(&dom), 4096);
}
END_TEST

static Suite *
smmuv3_suite(void)
{
	Suite	*s = suite_create("smmuv3");
	TCase	*tc = tcase_create("model");

	tcase_add_checked_fixture(tc, NULL, smmu_teardown);
	tcase_add_test(tc, profiles_and_overrides);
	tcase_add_test(tc, hw_info_is_the_registers);
	tcase_add_test(tc, stages_decide_domains);
	tcase_add_test(tc, cohacc_decides_coherency);
	tcase_add_test(tc, granules_decide_page_sizes);
	tcase_add_test(tc, httu_decides_dirty_tracking);
	tcase_add_test(tc, vste_rules);
	tcase_add_test(tc, command_rules);
	tcase_add_test(tc, invalidate_entries);
	tcase_add_test(tc, dma_events);
	tcase_add_test(tc, builtin_instance);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(smmuv3_suite)
