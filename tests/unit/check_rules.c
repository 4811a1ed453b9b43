/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The validation rules of each vendor model, one table row per rule, as
 * the Linux 7.3 driver applies them to what a VMM passes:
 *
 *	intel-vtd	IOMMU_HWPT_DATA_VTD_S1 (nested.c, pasid.c) and
 *			IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 entries
 *	arm-smmuv3	the vSTE of IOMMU_HWPT_DATA_ARM_SMMUV3 and the
 *			commands of IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3
 *	amd-vi		the guest DTE of IOMMU_HWPT_DATA_AMD_GUEST
 *
 * Each row makes its own instance from a profile and register overrides,
 * so a rule that depends on a register bit is one row with the bit and
 * one without; the row's name is in every failure message. The "derived"
 * table checks behaviour that follows from registers alone (a unit that
 * cannot nest refuses the nest parent or the vIOMMU).
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "hw/amdvi.h"
#include "hw/hw.h"
#include "helpers.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define NROWS(t)	((int)(sizeof(t) / sizeof((t)[0])))

static struct hw_instance	*inst;
static struct hw_dev_desc	 dev;
static char			 err[256];

/*
 * An instance of model from profile and up to three "key=value"
 * overrides (NULL ends them early); fails the test if refused.
 */
static void
mk(const char *model, const char *profile, const char *const kv[3])
{
	struct hw_param	 p[3];
	char		 buf[3][96], *eq;
	size_t		 n;

	for (n = 0; n < 3 && kv[n] != NULL; n++) {
		snprintf(buf[n], sizeof(buf[n]), "%s", kv[n]);
		eq = strchr(buf[n], '=');
		ck_assert_ptr_nonnull(eq);
		*eq = '\0';
		p[n].key = buf[n];
		p[n].value = eq + 1;
		p[n].line = (int)n + 1;
	}
	hw_instance_free(inst);
	inst = NULL;
	ck_assert_msg(hw_instance_new("rule0", model, profile, p, n, &inst,
	    err, sizeof(err)) == 0, "%s", err);
	memset(&dev, 0, sizeof(dev));
	dev.hw = inst;
	dev.rid = 0x100;
	dev.pasid_width = 20;
	dev.flags = HW_DEV_PASID;
}

/* After each row: its instance. */
static void
rules_teardown(void)
{
	hw_instance_free(inst);
	inst = NULL;
}

/* VT-d register bits the rows switch. */
#define CAP_FL5LP	"cap=0x10d2008c222f0606"	/* qemu's, FL5LP */
#define ECAP_SM		0x0000480080f00f4aULL		/* qemu-scalable */
#define ECAP_NEST	(1ULL << 26)
#define ECAP_SRS	(1ULL << 31)
#define ECAP_EAFS	(1ULL << 34)
#define ECAP_SMTS	(1ULL << 43)
#define ECAP_FLTS	(1ULL << 47)
#define ECAP_OK		(ECAP_SM | ECAP_NEST | ECAP_FLTS)

/* Where a nested domain is asked for. */
enum parent { P_NEST, P_PLAIN, P_NONE };

struct vtd_s1_row {
	const char	*rule;
	uint64_t	 ecap;
	const char	*cap;		/* an override, or NULL */
	uint64_t	 flags;		/* IOMMU_VTD_S1_* */
	uint32_t	 addr_width;
	size_t		 len;		/* 0: sizeof the struct */
	uint8_t		 tail;		/* the byte after the struct */
	uint32_t	 type;		/* 0: VTD_S1 */
	unsigned int	 dflags;	/* HW_DOMAIN_* of the nested one */
	enum parent	 parent;
	int		 want;
};

static const struct vtd_s1_row vtd_s1_rows[] = {
	{ "4-level tables", ECAP_OK, NULL, 0, 48, 0, 0, 0, 0, P_NEST, 0 },
	{ "addr_width 39", ECAP_OK, NULL, 0, 39, 0, 0, 0, 0, P_NEST,
	    -EINVAL },
	{ "addr_width 0", ECAP_OK, NULL, 0, 0, 0, 0, 0, 0, P_NEST, -EINVAL },
	{ "addr_width 57 without FL5LP", ECAP_OK, NULL, 0, 57, 0, 0, 0, 0,
	    P_NEST, -EINVAL },
	{ "addr_width 57 with FL5LP", ECAP_OK, CAP_FL5LP, 0, 57, 0, 0, 0, 0,
	    P_NEST, 0 },
	{ "SRE with SRS", ECAP_OK, NULL, IOMMU_VTD_S1_SRE, 48, 0, 0, 0, 0,
	    P_NEST, 0 },
	{ "SRE without SRS", ECAP_OK & ~ECAP_SRS, NULL, IOMMU_VTD_S1_SRE, 48,
	    0, 0, 0, 0, P_NEST, -EINVAL },
	{ "EAFE without EAFS", ECAP_OK, NULL, IOMMU_VTD_S1_EAFE, 48, 0, 0, 0,
	    0, P_NEST, -EINVAL },
	{ "EAFE with EAFS", ECAP_OK | ECAP_EAFS, NULL, IOMMU_VTD_S1_EAFE, 48,
	    0, 0, 0, 0, P_NEST, 0 },
	{ "WPE always", ECAP_OK & ~ECAP_SRS, NULL, IOMMU_VTD_S1_WPE, 48, 0,
	    0, 0, 0, P_NEST, 0 },
	{ "short struct", ECAP_OK, NULL, 0, 48, 23, 0, 0, 0, P_NEST,
	    -EINVAL },
	{ "longer struct, zero tail", ECAP_OK, NULL, 0, 48, 32, 0, 0, 0,
	    P_NEST, 0 },
	{ "longer struct, non-zero tail", ECAP_OK, NULL, 0, 48, 32, 1, 0, 0,
	    P_NEST, -E2BIG },
	{ "another vendor's data", ECAP_OK, NULL, 0, 48, 0, 0,
	    IOMMU_HWPT_DATA_ARM_SMMUV3, 0, P_NEST, -EOPNOTSUPP },
	{ "PASID flag", ECAP_OK, NULL, 0, 48, 0, 0, 0, HW_DOMAIN_PASID,
	    P_NEST, 0 },
	{ "dirty tracking flag", ECAP_OK, NULL, 0, 48, 0, 0, 0,
	    HW_DOMAIN_DIRTY, P_NEST, -EOPNOTSUPP },
	{ "parent not a nest parent", ECAP_OK, NULL, 0, 48, 0, 0, 0, 0,
	    P_PLAIN, -EINVAL },
	{ "no parent", ECAP_OK, NULL, 0, 48, 0, 0, 0, 0, P_NONE, -EINVAL },
	{ "unit without NEST", ECAP_OK & ~ECAP_NEST, NULL, 0, 48, 0, 0, 0, 0,
	    P_NEST, -EOPNOTSUPP },
	{ "unit without FLTS", ECAP_OK & ~ECAP_FLTS, NULL, 0, 48, 0, 0, 0, 0,
	    P_NEST, -EOPNOTSUPP },
	{ "unit not in scalable mode", ECAP_OK & ~ECAP_SMTS, NULL, 0, 48, 0,
	    0, 0, 0, P_NEST, -EOPNOTSUPP },
};

/* One rule of a VTD_S1 nested domain. */
START_TEST(vtd_s1_rules)
{
	const struct vtd_s1_row		*r = &vtd_s1_rows[_i];
	struct iommu_hwpt_vtd_s1	 s1;
	struct hw_domain		 parent;
	struct hw_nested		 nested;
	struct hw_data			 d;
	uint8_t				 buf[64];
	char				 ecap[40];
	int				 rc;

	/* The parent comes from a nesting unit; the rule's unit judges. */
	mk("intel-vtd", NULL, (const char *const[3]){
	    "ecap=0x0000c80084f00f4a", NULL, NULL });
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    r->parent == P_NEST ? HW_DOMAIN_NEST_PARENT : 0, NULL, &parent),
	    0);
	if (r->parent == P_PLAIN)
		ck_assert_uint_eq(parent.flags & HW_DOMAIN_NEST_PARENT, 0);
	snprintf(ecap, sizeof(ecap), "ecap=0x%llx",
	    (unsigned long long)r->ecap);
	mk("intel-vtd", NULL, (const char *const[3]){ ecap, r->cap, NULL });
	memset(&s1, 0, sizeof(s1));
	s1.flags = r->flags;
	s1.pgtbl_addr = 0x200000;
	s1.addr_width = r->addr_width;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &s1, sizeof(s1));
	buf[sizeof(s1) + 4] = r->tail;
	d.type = r->type != 0 ? r->type : IOMMU_HWPT_DATA_VTD_S1;
	d.buf = buf;
	d.len = r->len != 0 ? r->len : sizeof(s1);
	rc = inst->ops->domain_alloc_nested(&dev, r->parent == P_NONE ?
	    NULL : &parent, r->dflags, &d, &nested);
	ck_assert_msg(rc == r->want, "VT-d S1 rule \"%s\": %d, not %d",
	    r->rule, rc, r->want);
}
END_TEST

struct vtd_inv_row {
	const char	*rule;
	uint64_t	 addr;
	uint64_t	 npages;
	uint32_t	 flags;
	uint32_t	 reserved;
	size_t		 len;		/* 0: sizeof the struct */
	uint8_t		 tail;
	uint32_t	 type;		/* 0: VTD_S1 */
	int		 want;
};

static const struct vtd_inv_row vtd_inv_rows[] = {
	{ "everything", 0, UINT64_MAX, 0, 0, 0, 0, 0, 0 },
	{ "one leaf page", 0x1000, 1, IOMMU_VTD_INV_FLAGS_LEAF, 0, 0, 0, 0,
	    0 },
	{ "unknown flag", 0x1000, 1, 2, 0, 0, 0, 0, -EOPNOTSUPP },
	{ "reserved word set", 0x1000, 1, 0, 1, 0, 0, 0, -EOPNOTSUPP },
	{ "address not 4 KiB aligned", 0x1800, 1, 0, 0, 0, 0, 0, -EINVAL },
	{ "everything from a non-zero address", 0x1000, UINT64_MAX, 0, 0, 0,
	    0, 0, -EINVAL },
	{ "short entry", 0, 1, 0, 0, 23, 0, 0, -EINVAL },
	{ "longer entry, zero tail", 0, 1, 0, 0, 32, 0, 0, 0 },
	{ "longer entry, non-zero tail", 0, 1, 0, 0, 32, 1, 0, -E2BIG },
	{ "another type", 0, 1, 0, 0, 0, 0,
	    IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, -EINVAL },
};

/* One rule of a VTD_S1 invalidation entry. */
START_TEST(vtd_inv_rules)
{
	const struct vtd_inv_row		*r = &vtd_inv_rows[_i];
	struct iommu_hwpt_vtd_s1_invalidate	 e;
	struct hw_nested			 nested;
	struct hw_data				 d;
	uint8_t					 buf[64];
	int					 rc;

	mk("intel-vtd", "qemu-scalable", (const char *const[3]){
	    "nesting=on", NULL, NULL });
	memset(&e, 0, sizeof(e));
	e.addr = r->addr;
	e.npages = r->npages;
	e.flags = r->flags;
	e.__reserved = r->reserved;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &e, sizeof(e));
	buf[sizeof(e) + 4] = r->tail;
	d.type = r->type != 0 ? r->type : IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
	d.buf = buf;
	d.len = r->len != 0 ? r->len : sizeof(e);
	memset(&nested, 0, sizeof(nested));
	rc = inst->ops->nested_invalidate(&nested, &d);
	ck_assert_msg(rc == r->want, "VT-d invalidation rule \"%s\": %d, "
	    "not %d", r->rule, rc, r->want);
}
END_TEST

/* SMMUv3 STE words. */
#define V		1ULL
#define CFG(c)		((uint64_t)(c) << 1)
#define S1FMT(f)	((uint64_t)(f) << 4)
#define S1CTXPTR(a)	((uint64_t)(a) & (((1ULL << 52) - 1) & ~63ULL))
#define S1CDMAX(n)	((uint64_t)(n) << 59)
#define EATS(e)		((uint64_t)(e) << 28)

struct vste_row {
	const char	*rule;
	uint64_t	 ste0, ste1;
	size_t		 len;		/* 0: 16 */
	uint8_t		 tail;
	uint32_t	 type;		/* 0: ARM_SMMUV3 */
	unsigned int	 dflags;
	int		 on_parent;	/* a paging parent, not a vIOMMU */
	int		 want;
};

static const struct vste_row vste_rows[] = {
	{ "not valid, any bits: abort", CFG(7) | (1ULL << 52), ~0ULL, 0, 0,
	    0, 0, 0, 0 },
	{ "abort", V | CFG(0), 0, 0, 0, 0, 0, 0, 0 },
	{ "bypass", V | CFG(4), 0, 0, 0, 0, 0, 0, 0 },
	{ "stage-1 translate, every allowed field",
	    V | CFG(5) | S1FMT(3) | S1CTXPTR(0xabcdef000ULL) | S1CDMAX(31),
	    0xff | (1ULL << 27) | EATS(1), 0, 0, 0, 0, 0, 0 },
	{ "config 1 (reserved)", V | CFG(1), 0, 0, 0, 0, 0, 0, -EIO },
	{ "config 2 (reserved)", V | CFG(2), 0, 0, 0, 0, 0, 0, -EIO },
	{ "config 6 (stage 2)", V | CFG(6), 0, 0, 0, 0, 0, 0, -EIO },
	{ "config 7 (nested)", V | CFG(7), 0, 0, 0, 0, 0, 0, -EIO },
	{ "word 0 bit 52", V | CFG(5) | (1ULL << 52), 0, 0, 0, 0, 0, 0,
	    -EIO },
	{ "word 0 bit 58", V | CFG(5) | (1ULL << 58), 0, 0, 0, 0, 0, 0,
	    -EIO },
	{ "word 1 MEV", V | CFG(5), 1ULL << 19, 0, 0, 0, 0, 0, -EIO },
	{ "word 1 S2FWB", V | CFG(5), 1ULL << 25, 0, 0, 0, 0, 0, -EIO },
	{ "word 1 STRW", V | CFG(5), 1ULL << 30, 0, 0, 0, 0, 0, -EIO },
	{ "EATS split-stage", V | CFG(5), EATS(2), 0, 0, 0, 0, 0, -EIO },
	{ "EATS reserved", V | CFG(5), EATS(3), 0, 0, 0, 0, 0, -EIO },
	{ "EATS translate with bypass", V | CFG(4), EATS(1), 0, 0, 0, 0, 0,
	    0 },
	{ "short struct", V, 0, 15, 0, 0, 0, 0, -EINVAL },
	{ "longer struct, zero tail", V, 0, 24, 0, 0, 0, 0, 0 },
	{ "longer struct, non-zero tail", V, 0, 24, 1, 0, 0, 0, -E2BIG },
	{ "another vendor's data", V, 0, 0, 0, IOMMU_HWPT_DATA_VTD_S1, 0, 0,
	    -EINVAL },
	{ "PASID flag", V, 0, 0, 0, 0, HW_DOMAIN_PASID, 0, -EOPNOTSUPP },
	{ "on a paging parent", V, 0, 0, 0, 0, 0, 1, -EOPNOTSUPP },
};

/* One rule of a vSTE. */
START_TEST(smmuv3_vste_rules)
{
	const struct vste_row		*r = &vste_rows[_i];
	struct iommu_hwpt_arm_smmuv3	 a;
	struct hw_domain		 parent;
	struct hw_nested		 nested;
	struct hw_data			 d;
	uint8_t				 buf[64];
	int				 rc;

	mk("arm-smmuv3", "qemu-nested", (const char *const[3]){ NULL });
	ck_assert_int_eq(inst->ops->domain_alloc_paging(&dev,
	    HW_DOMAIN_NEST_PARENT, NULL, &parent), 0);
	a.ste[0] = htole64(r->ste0);
	a.ste[1] = htole64(r->ste1);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &a, sizeof(a));
	buf[sizeof(a) + 2] = r->tail;
	d.type = r->type != 0 ? r->type : IOMMU_HWPT_DATA_ARM_SMMUV3;
	d.buf = buf;
	d.len = r->len != 0 ? r->len : sizeof(a);
	rc = inst->ops->domain_alloc_nested(&dev, r->on_parent ? &parent :
	    NULL, r->dflags, &d, &nested);
	ck_assert_msg(rc == r->want, "SMMUv3 vSTE rule \"%s\": %d, not %d",
	    r->rule, rc, r->want);
}
END_TEST

/* SMMUv3 command fields. */
#define OP(o)		((uint64_t)(o))
#define SID(s)		((uint64_t)(s) << 32)
#define VMID(v)		((uint64_t)(v) << 32)
#define ASID(a)		((uint64_t)(a) << 48)
#define SSV		(1ULL << 11)
#define SSID(s)		((uint64_t)(s) << 12)
#define NUM(n)		((uint64_t)(n) << 12)
#define TG(g)		((uint64_t)(g) << 10)
#define TTL(t)		((uint64_t)(t) << 8)
#define VSID		0x42		/* the one vDEVICE */

struct cmd_row {
	const char	*rule;
	const char	*profile;
	uint64_t	 cmd0, cmd1;
	size_t		 len;		/* 0: 16 */
	uint8_t		 tail;
	uint32_t	 type;		/* 0: ARM_SMMUV3 */
	int		 want;
};

static const struct cmd_row cmd_rows[] = {
	{ "TLBI_NSNH_ALL", "qemu-nested", OP(0x30), 0, 0, 0, 0, 0 },
	{ "TLBI_NSNH_ALL with a VMID", "qemu-nested", OP(0x30) | VMID(3), 0,
	    0, 0, 0, -EIO },
	{ "TLBI_NSNH_ALL, word 1 set", "qemu-nested", OP(0x30), 1, 0, 0, 0,
	    -EIO },
	{ "TLBI_NH_ALL, guest VMID replaced", "qemu-nested",
	    OP(0x10) | VMID(3), 0, 0, 0, 0, 0 },
	{ "TLBI_NH_ALL with an ASID", "qemu-nested", OP(0x10) | ASID(1), 0,
	    0, 0, 0, -EIO },
	{ "TLBI_NH_ASID", "qemu-nested", OP(0x11) | ASID(0xffff), 0, 0, 0, 0,
	    0 },
	{ "TLBI_NH_ASID, reserved bit 8", "qemu-nested",
	    OP(0x11) | (1ULL << 8), 0, 0, 0, 0, -EIO },
	{ "TLBI_NH_VA, leaf", "qemu-nested", OP(0x12) | ASID(2),
	    0xabc000 | 1, 0, 0, 0, 0 },
	{ "TLBI_NH_VA, reserved bit 1 of word 1", "qemu-nested", OP(0x12),
	    0x1000 | 2, 0, 0, 0, -EIO },
	{ "TLBI_NH_VAA with an ASID", "qemu-nested", OP(0x13) | ASID(2),
	    0x1000, 0, 0, 0, -EIO },
	{ "TLBI_NH_VA range without RIL", "qemu-nested", OP(0x12) | NUM(1),
	    0x1000, 0, 0, 0, -EIO },
	{ "TLBI_NH_VA range with RIL", "mmu700", OP(0x12) | NUM(1),
	    0x1000 | TG(1) | TTL(3), 0, 0, 0, 0 },
	{ "TLBI_NH_VA range with RIL, NUM SCALE TTL all 0", "mmu700",
	    OP(0x12), 0x1000 | TG(1), 0, 0, 0, -EIO },
	{ "ATC_INV with ATS", "qemu-nested", OP(0x40) | SID(VSID), 0, 0, 0,
	    0, 0 },
	{ "ATC_INV with a substream", "qemu-nested",
	    OP(0x40) | SID(VSID) | SSV | SSID(3), 0, 0, 0, 0, 0 },
	{ "ATC_INV size above 52", "qemu-nested", OP(0x40) | SID(VSID), 53,
	    0, 0, 0, -EIO },
	{ "ATC_INV without ATS", "qemu", OP(0x40) | SID(VSID), 0, 0, 0, 0,
	    -EIO },
	{ "ATC_INV of an unknown vSID", "qemu-nested", OP(0x40) | SID(7), 0,
	    0, 0, 0, -EIO },
	{ "CFGI_CD", "qemu-nested", OP(0x05) | SID(VSID) | SSID(1), 1, 0, 0,
	    0, 0 },
	{ "CFGI_CD with a substream, no SSIDs", "qemu",
	    OP(0x05) | SID(VSID) | SSID(1), 0, 0, 0, 0, -EIO },
	{ "CFGI_CD_ALL", "qemu-nested", OP(0x06) | SID(VSID), 0, 0, 0, 0, 0 },
	{ "CFGI_CD_ALL of an unknown vSID", "qemu-nested",
	    OP(0x06) | SID(7), 0, 0, 0, 0, -EIO },
	{ "PREFETCH_CONFIG", "qemu-nested", OP(0x01), 0, 0, 0, 0, -EIO },
	{ "CFGI_STE", "qemu-nested", OP(0x03) | SID(VSID), 0, 0, 0, 0,
	    -EIO },
	{ "CFGI_ALL", "qemu-nested", OP(0x04), 0, 0, 0, 0, -EIO },
	{ "TLBI_S12_VMALL", "qemu-nested", OP(0x28), 0, 0, 0, 0, -EIO },
	{ "TLBI_S2_IPA", "qemu-nested", OP(0x2a), 0, 0, 0, 0, -EIO },
	{ "PRI_RESP", "qemu-nested", OP(0x41), 0, 0, 0, 0, -EIO },
	{ "RESUME", "qemu-nested", OP(0x44), 0, 0, 0, 0, -EIO },
	{ "SYNC", "qemu-nested", OP(0x46), 0, 0, 0, 0, -EIO },
	{ "short entry, zero-extended", "qemu-nested", OP(0x30), 0, 8, 0, 0,
	    0 },
	{ "longer entry, zero tail", "qemu-nested", OP(0x30), 0, 24, 0, 0,
	    0 },
	{ "longer entry, non-zero tail", "qemu-nested", OP(0x30), 0, 24, 1,
	    0, -E2BIG },
	{ "another type", "qemu-nested", OP(0x30), 0, 0, 0,
	    IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, -EINVAL },
};

/* The one vDEVICE of the command rows: vSID VSID, the row's device. */
static int
cmd_lookup(void *arg __unused, uint64_t virt_id,
    const struct hw_dev_desc **descp)
{
	if (virt_id != VSID)
		return (-ENOENT);
	*descp = &dev;
	return (0);
}

/* One rule of a guest command. */
START_TEST(smmuv3_cmd_rules)
{
	const struct cmd_row				*r = &cmd_rows[_i];
	struct iommu_viommu_arm_smmuv3_invalidate	 e;
	struct hw_data					 d;
	uint8_t						 buf[64];
	int						 rc;

	mk("arm-smmuv3", r->profile, (const char *const[3]){ NULL });
	e.cmd[0] = htole64(r->cmd0);
	e.cmd[1] = htole64(r->cmd1);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &e, sizeof(e));
	buf[sizeof(e) + 2] = r->tail;
	d.type = r->type != 0 ? r->type :
	    IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
	d.buf = buf;
	d.len = r->len != 0 ? r->len : sizeof(e);
	rc = inst->ops->viommu_invalidate_dev(inst, &d, cmd_lookup, NULL);
	ck_assert_msg(rc == r->want, "SMMUv3 command rule \"%s\" (%s): %d, "
	    "not %d", r->rule, r->profile, rc, r->want);
}
END_TEST

/* Guest DTE fields. */
#define D0_V		(1ULL << 0)
#define D0_MODE(m)	((uint64_t)(m) << 9)
#define D0_HOST_TRP(a)	((uint64_t)(a) & 0x000ffffffffff000ULL)
#define D0_GV		(1ULL << 55)
#define D0_GLX(x)	((uint64_t)(x) << 56)
#define D0_GCR3_14_12(a) ((uint64_t)(a) << 58)
#define D1_GCR3_30_15(a) ((uint64_t)(a) << 16)
#define D1_GCR3_51_31(a) ((uint64_t)(a) << 43)
#define D2_GPT(g)	((uint64_t)(g) << 54)

struct gdte_row {
	const char	*rule;
	const char	*gats;		/* an efr override, or NULL */
	const char	*la57;		/* "la57=on", or NULL */
	uint64_t	 dte[3];
	int		 want;
};

/* nested's EFR with GATS 1 (5-level guest tables). */
#define EFR_GATS5	"efr=0x247777efa2255afa"

static const struct gdte_row gdte_rows[] = {
	{ "all zero", NULL, NULL, { 0, 0, 0 }, 0 },
	{ "V and GV with a GCR3 root (bits 14:12)", NULL, NULL,
	    { D0_V | D0_GV | D0_GCR3_14_12(5), 0, 0 }, 0 },
	{ "V and GV with a GCR3 root (bits 30:15)", NULL, NULL,
	    { D0_V | D0_GV, D1_GCR3_30_15(1), 0 }, 0 },
	{ "V and GV with a GCR3 root (bits 51:31)", NULL, NULL,
	    { D0_V | D0_GV, D1_GCR3_51_31(1), 0 }, 0 },
	{ "V and GV without a GCR3 root", NULL, NULL,
	    { D0_V | D0_GV, 0, 0 }, -EINVAL },
	{ "GV without V, no root", NULL, NULL, { D0_GV, 0, 0 }, 0 },
	{ "host Mode set", NULL, NULL, { D0_MODE(4), 0, 0 }, -EINVAL },
	{ "host table root set", NULL, NULL,
	    { D0_HOST_TRP(0x123000), 0, 0 }, -EINVAL },
	{ "guest paging mode 2", NULL, NULL, { 0, 0, D2_GPT(2) }, -EINVAL },
	{ "guest paging mode 3", NULL, NULL, { 0, 0, D2_GPT(3) }, -EINVAL },
	{ "GLX 1", NULL, NULL, { D0_GLX(1), 0, 0 }, 0 },
	{ "GLX 3 (reserved)", NULL, NULL, { D0_GLX(3), 0, 0 }, -EINVAL },
	{ "5-level guest on a 4-level host", NULL, NULL,
	    { 0, 0, D2_GPT(1) }, -EOPNOTSUPP },
	{ "5-level guest, GATS 1, host without LA57", EFR_GATS5, "la57=off",
	    { 0, 0, D2_GPT(1) }, -EOPNOTSUPP },
	{ "5-level guest, GATS 1, LA57 host", EFR_GATS5, "la57=on",
	    { 0, 0, D2_GPT(1) }, 0 },
	{ "5-level guest, GATS 0, LA57 host", NULL, "la57=on",
	    { 0, 0, D2_GPT(1) }, -EOPNOTSUPP },
};

/* One rule of a guest DTE. */
START_TEST(amdvi_gdte_rules)
{
	const struct gdte_row	*r = &gdte_rows[_i];
	uint64_t		 dte[4];
	int			 rc;

	mk("amd-vi", "nested", (const char *const[3]){
	    r->gats != NULL ? r->gats : "la57=off",
	    r->la57 != NULL ? r->la57 : NULL, NULL });
	memcpy(dte, r->dte, sizeof(r->dte));
	dte[3] = 0;
	rc = amdvi_gdte_check(inst->priv, dte);
	ck_assert_msg(rc == r->want, "AMD guest DTE rule \"%s\": %d, not %d",
	    r->rule, rc, r->want);
}
END_TEST

/* What a step needs of the unit. */
enum step { S_NEST_PARENT, S_VIOMMU, S_NESTED };

struct derived_row {
	const char	*rule;
	const char	*model, *profile;
	const char	*kv[3];
	enum step	 step;
	int		 want;
};

/* qemu-nested's IDR0 without S1P, without COHACC; IDR3 with S2FWB. */
#define IDR0_NO_S1	"idr0=0x0d441419"
#define IDR0_NO_COH	"idr0=0x0d44140b"
#define IDR3_FWB	"idr3=0x1104"

static const struct derived_row derived_rows[] = {
	{ "VT-d with NEST: nest parent", "intel-vtd", "qemu-scalable",
	    { "nesting=on" }, S_NEST_PARENT, 0 },
	{ "VT-d without NEST: no nest parent", "intel-vtd", "qemu-scalable",
	    { NULL }, S_NEST_PARENT, -EOPNOTSUPP },
	{ "VT-d in legacy mode: no nest parent", "intel-vtd", "qemu",
	    { "nesting=on" }, S_NEST_PARENT, -EOPNOTSUPP },
	{ "VT-d with NEST, FLTS and SLTS: VTD_S1", "intel-vtd", NULL,
	    { "ecap=0x0000c80084f00f4a" }, S_NESTED, 0 },
	{ "VT-d with NEST and FLTS, no SLTS: no nest parent", "intel-vtd",
	    "qemu-flts", { "ecap=0x0000880004f00f4a" }, S_NEST_PARENT,
	    -EOPNOTSUPP },
	{ "VT-d with NEST, no FLTS: no VTD_S1", "intel-vtd", "qemu-scalable",
	    { "ecap=0x0000480084f00f4a" }, S_NESTED, -EOPNOTSUPP },
	{ "VT-d nesting=on: both stages, VTD_S1", "intel-vtd",
	    "qemu-scalable", { "nesting=on" }, S_NESTED, 0 },
	{ "VT-d nesting=on on qemu-flts: VTD_S1", "intel-vtd", "qemu-flts",
	    { "nesting=on" }, S_NESTED, 0 },
	{ "SMMUv3 with both stages: nest parent", "arm-smmuv3",
	    "qemu-nested", { NULL }, S_NEST_PARENT, 0 },
	{ "SMMUv3 stage 1 only: no nest parent", "arm-smmuv3", "qemu",
	    { NULL }, S_NEST_PARENT, -EOPNOTSUPP },
	{ "SMMUv3 stage 2 only: no nest parent", "arm-smmuv3",
	    "qemu-nested", { IDR0_NO_S1 }, S_NEST_PARENT, -EOPNOTSUPP },
	{ "SMMUv3 stage 2 only: no vIOMMU", "arm-smmuv3", "qemu-nested",
	    { IDR0_NO_S1 }, S_VIOMMU, -EOPNOTSUPP },
	{ "SMMUv3 nesting, coherent: vIOMMU", "arm-smmuv3", "qemu-nested",
	    { NULL }, S_VIOMMU, 0 },
	{ "SMMUv3 nesting, not coherent: no vIOMMU", "arm-smmuv3",
	    "qemu-nested", { IDR0_NO_COH }, S_VIOMMU, -EOPNOTSUPP },
	{ "SMMUv3 nesting, not coherent, S2FWB: vIOMMU", "arm-smmuv3",
	    "qemu-nested", { IDR0_NO_COH, IDR3_FWB }, S_VIOMMU, 0 },
	{ "AMD with GCR3TRPMode: nest parent", "amd-vi", "nested", { NULL },
	    S_NEST_PARENT, 0 },
	{ "AMD without GCR3TRPMode: no nest parent", "amd-vi",
	    "epyc-zen4-like", { NULL }, S_NEST_PARENT, -EOPNOTSUPP },
	{ "AMD without GIOSup: no nest parent", "amd-vi", "qemu", { NULL },
	    S_NEST_PARENT, -EOPNOTSUPP },
};

/*
 * One behaviour that follows from the registers alone: the nest parent,
 * the vendor vIOMMU on it, the nested domain on that parent.
 */
START_TEST(derived_rules)
{
	const struct derived_row	*r = &derived_rows[_i];
	struct iommu_hwpt_vtd_s1	 s1;
	struct hw_domain		 parent;
	struct hw_nested		 nested;
	struct hw_data			 d;
	int				 rc;

	mk(r->model, r->profile, r->kv);
	rc = inst->ops->domain_alloc_paging(&dev, HW_DOMAIN_NEST_PARENT, NULL,
	    &parent);
	if (r->step == S_NESTED)
		ck_assert_msg(rc == 0, "%s: parent %d", r->rule, rc);
	if (r->step == S_VIOMMU)
		rc = inst->ops->viommu_alloc(&dev,
		    IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0);
	if (r->step == S_NESTED) {
		memset(&s1, 0, sizeof(s1));
		s1.addr_width = 48;
		d.type = IOMMU_HWPT_DATA_VTD_S1;
		d.buf = &s1;
		d.len = sizeof(s1);
		rc = inst->ops->domain_alloc_nested(&dev, &parent, 0, &d,
		    &nested);
	}
	ck_assert_msg(rc == r->want, "derived rule \"%s\": %d, not %d",
	    r->rule, rc, r->want);
}
END_TEST

static Suite *
rules_suite(void)
{
	Suite	*s = suite_create("rules");
	TCase	*tc = tcase_create("rules");

	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tc, NULL, rules_teardown);
	tcase_add_loop_test(tc, vtd_s1_rules, 0, NROWS(vtd_s1_rows));
	tcase_add_loop_test(tc, vtd_inv_rules, 0, NROWS(vtd_inv_rows));
	tcase_add_loop_test(tc, smmuv3_vste_rules, 0, NROWS(vste_rows));
	tcase_add_loop_test(tc, smmuv3_cmd_rules, 0, NROWS(cmd_rows));
	tcase_add_loop_test(tc, amdvi_gdte_rules, 0, NROWS(gdte_rows));
	tcase_add_loop_test(tc, derived_rules, 0, NROWS(derived_rows));
	return (s);
}
SUITE(rules_suite)
