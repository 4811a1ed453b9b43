/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The "arm-smmuv3" hardware model: an ARM SMMUv3 as Linux 7.3's
 * arm-smmu-v3 driver serves it to iommufd. An instance is its register
 * file (IDR0..IDR5, IIDR, AIDR) from a profile plus overrides; every
 * answer is derived from those registers as the driver derives it:
 * stages (S1P, S2P: nesting needs both), the AArch64 table format, page
 * sizes from the granules, the aperture from OAS/VAX, cache coherency
 * from COHACC (the model takes a coherent SMMU to sit behind a root
 * complex that writes back, the kernel's CANWBS), dirty tracking from
 * HTTU with COHACC, the PASID width from SSIDSIZE, ATS, range
 * invalidation (RIL), S2FWB and 16-bit ASIDs.
 *
 * Nesting is the kernel's: an S2 NEST_PARENT domain, a vIOMMU of type
 * ARM_SMMUV3 on it (when the SMMU is coherent or has S2FWB), nested
 * domains from a guest STE (vSTE) checked bit by bit, and guest
 * invalidation commands checked and converted (VMID and stream id) one
 * at a time.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hw/hw.h"
#include "hw/smmuv3.h"

#include <linux/iommufd.h>

/* A field of hi..lo bits of a register or command word. */
#define BITS(hi, lo)	((~0ULL >> (63 - (hi))) & ~((1ULL << (lo)) - 1))
#define GET(v, hi, lo)	(((uint64_t)(v) & BITS(hi, lo)) >> (lo))
#define PUT(x, hi, lo)	(((uint64_t)(x) << (lo)) & BITS(hi, lo))

/* SMMU_IDR0 */
#define IDR0_S2P		(1U << 0)
#define IDR0_S1P		(1U << 1)
#define IDR0_TTF(r)		GET(r, 3, 2)
#define  TTF_AARCH64		2
#define IDR0_COHACC		(1U << 4)
#define IDR0_BTM		(1U << 5)
#define IDR0_HTTU(r)		GET(r, 7, 6)
#define IDR0_HYP		(1U << 9)
#define IDR0_ATS		(1U << 10)
#define IDR0_ASID16		(1U << 12)
#define IDR0_MSI		(1U << 13)
#define IDR0_SEV		(1U << 14)
#define IDR0_PRI		(1U << 16)
#define IDR0_VMID16		(1U << 18)
#define IDR0_CD2L		(1U << 19)
#define IDR0_TTENDIAN(r)	GET(r, 22, 21)
#define  TTENDIAN_MIXED		0
#define  TTENDIAN_LE		2
#define IDR0_STALL_MODEL(x)	PUT(x, 25, 24)
#define IDR0_TERM_MODEL		(1U << 26)
#define IDR0_ST_LEVEL(x)	PUT(x, 28, 27)
/* SMMU_IDR1 */
#define IDR1_SIDSIZE(r)		GET(r, 5, 0)
#define IDR1_SSIDSIZE(r)	GET(r, 10, 6)
#define IDR1_PRIQS(r)		GET(r, 15, 11)
#define IDR1_EVTQS(r)		GET(r, 20, 16)
#define IDR1_CMDQS(r)		GET(r, 25, 21)
#define IDR1_PRESETS		(7U << 28)	/* REL, QUEUES/TABLES_PRESET */
/* SMMU_IDR3 */
#define IDR3_HAD		(1U << 2)
#define IDR3_FWB		(1U << 8)
#define IDR3_RIL		(1U << 10)
#define IDR3_BBML(x)		PUT(x, 12, 11)
/* SMMU_IDR5 */
#define IDR5_OAS(r)		GET(r, 2, 0)
#define IDR5_GRAN4K		(1U << 4)
#define IDR5_GRAN16K		(1U << 5)
#define IDR5_GRAN64K		(1U << 6)
#define IDR5_DS			(1U << 7)
#define IDR5_VAX(r)		GET(r, 11, 10)
#define IDR5_STALL_MAX(x)	PUT(x, 31, 16)

/* The stream table entry bits a guest may set (the kernel's list). */
#define STE0_V			(1ULL << 0)
#define STE0_CFG(v)		GET(v, 3, 1)
#define  CFG_ABORT		0
#define  CFG_BYPASS		4
#define  CFG_S1_TRANS		5
#define STE0_ALLOWED		(STE0_V | BITS(3, 1) | BITS(5, 4) | \
				    BITS(51, 6) | BITS(63, 59))
#define STE1_EATS_MASK		BITS(29, 28)
#define STE1_EATS(v)		GET(v, 29, 28)
#define  EATS_ABT		0
#define  EATS_TRANS		1
#define STE1_ALLOWED		(BITS(1, 0) | BITS(3, 2) | BITS(5, 4) | \
				    BITS(7, 6) | (1ULL << 27) | STE1_EATS_MASK)

/* Command queue entries. */
#define CMD_OP(c)		((c) & 0xff)
#define  OP_CFGI_CD		0x05
#define  OP_CFGI_CD_ALL		0x06
#define  OP_TLBI_NH_ALL		0x10
#define  OP_TLBI_NH_ASID	0x11
#define  OP_TLBI_NH_VA		0x12
#define  OP_TLBI_NH_VAA		0x13
#define  OP_TLBI_NSNH_ALL	0x30
#define  OP_ATC_INV		0x40
#define CMD0_OP			BITS(7, 0)
#define CMD0_SSV		(1ULL << 11)
#define CMD0_SSID		BITS(31, 12)
#define CMD0_SID		BITS(63, 32)
#define CMD0_NUM		BITS(16, 12)
#define CMD0_SCALE		BITS(25, 20)
#define CMD0_VMID		BITS(47, 32)
#define CMD0_ASID		BITS(63, 48)
#define CMD0_GLOBAL		(1ULL << 9)
#define CMD1_LEAF		(1ULL << 0)
#define CMD1_TTL(c)		GET(c, 9, 8)
#define CMD1_TG(c)		GET(c, 11, 10)
#define CMD1_VA			BITS(63, 12)
#define CMD1_ATC_SIZE		BITS(5, 0)
#define ATC_SIZE_ALL		52

/* The host: 4 KiB CPU pages and a 48-bit kernel VA. */
#define SMMU_CPU_PAGE		(1ULL << 12)
#define SMMU_VA_BITS		48

/* The VMID of every S2 domain (one guest per daemon context). */
#define SMMU_VMID		1

static const char *const smmuv3_profiles[] = {
	"qemu-nested", "qemu", "mmu700", NULL
};

/* The register names, in struct smmuv3_regs order. */
static const char *const smmuv3_reg_names[] = {
	"idr0", "idr1", "idr2", "idr3", "idr4", "idr5", "iidr", "aidr"
};

/* Registers QEMU's arm-smmuv3 shares by every configuration. */
#define QEMU_IDR0	(IDR0_S1P | PUT(TTF_AARCH64, 3, 2) | IDR0_COHACC | \
			    IDR0_ASID16 | PUT(TTENDIAN_LE, 22, 21) | \
			    IDR0_STALL_MODEL(1) | IDR0_TERM_MODEL | \
			    IDR0_ST_LEVEL(1))
#define QEMU_IDR1	(PUT(16, 5, 0) | PUT(19, 20, 16) | PUT(19, 25, 21))
#define QEMU_IDR3	(IDR3_HAD | IDR3_BBML(2))
#define QEMU_IDR5	(IDR5_GRAN4K | IDR5_GRAN16K | IDR5_GRAN64K)

static const struct {
	const char		*name;
	struct smmuv3_regs	 regs;
} smmuv3_profile_regs[] = {
	/*
	 * QEMU 10's arm-smmuv3 with accel=on (stage nested): both
	 * stages, 16-bit VMIDs, ATS, 20-bit substreams, no range
	 * invalidation (ril=off), 48-bit OAS; SMMUv3.1.
	 */
	{ "qemu-nested", { { QEMU_IDR0 | IDR0_S2P | IDR0_VMID16 | IDR0_ATS,
	    QEMU_IDR1 | PUT(20, 10, 6), 0, QEMU_IDR3, 0,
	    QEMU_IDR5 | 5 }, 0, 1 } },
	/* QEMU 10's default arm-smmuv3: stage 1 only, RIL, 44-bit OAS. */
	{ "qemu", { { QEMU_IDR0, QEMU_IDR1, 0, QEMU_IDR3 | IDR3_RIL, 0,
	    QEMU_IDR5 | 4 }, 0, 1 } },
	/*
	 * Synthesized, in the manner of an Arm MMU-700 on a Neoverse
	 * system (not read from hardware): both stages, HTTU access and
	 * dirty, BTM, ATS, PRI, stalls, S2FWB, RIL, 24-bit stream ids,
	 * 20-bit substreams, 48-bit OAS; SMMUv3.2.
	 */
	{ "mmu700", { { IDR0_S2P | IDR0_S1P | PUT(TTF_AARCH64, 3, 2) |
	    IDR0_COHACC | IDR0_BTM | PUT(2, 7, 6) | IDR0_HYP | IDR0_ATS |
	    IDR0_ASID16 | IDR0_MSI | IDR0_SEV | IDR0_PRI | IDR0_VMID16 |
	    IDR0_CD2L | PUT(TTENDIAN_MIXED, 22, 21) | IDR0_STALL_MODEL(0) |
	    IDR0_ST_LEVEL(1),
	    PUT(24, 5, 0) | PUT(20, 10, 6) | PUT(19, 15, 11) |
	    PUT(19, 20, 16) | PUT(19, 25, 21), 0,
	    IDR3_HAD | IDR3_FWB | IDR3_RIL | IDR3_BBML(2), 0,
	    5 | IDR5_GRAN4K | IDR5_GRAN16K | IDR5_GRAN64K |
	    IDR5_STALL_MAX(128) }, 0x4874043b, 2 } },
};

/*
 * The page sizes io-pgtable-arm keeps for the SMMU's granules: the CPU
 * page's granule when there, else the largest smaller one, else the
 * smallest larger one; with its block sizes.
 */
static uint64_t
smmuv3_pgsizes(uint64_t smmu_sizes, unsigned int oas)
{
	uint64_t	 granule, sizes;

	if (smmu_sizes & SMMU_CPU_PAGE)
		granule = SMMU_CPU_PAGE;
	else if (smmu_sizes & (SMMU_CPU_PAGE - 1))
		granule = 1ULL << (63 - __builtin_clzll(smmu_sizes &
		    (SMMU_CPU_PAGE - 1)));
	else if (smmu_sizes != 0)
		granule = smmu_sizes & -smmu_sizes;
	else
		return (0);
	switch (granule) {
	case 1ULL << 12:
		sizes = (1ULL << 12) | (1ULL << 21) | (1ULL << 30);
		break;
	case 1ULL << 14:
		sizes = (1ULL << 14) | (1ULL << 25);
		break;
	default:
		sizes = (1ULL << 16) | (1ULL << 29);
		if (oas > 48)
			sizes |= 1ULL << 42;
		break;
	}
	return (smmu_sizes & sizes);
}

int
smmuv3_decode(const struct smmuv3_regs *r, struct smmuv3 *s, char *err,
    size_t errlen)
{
	static const unsigned int	 oas_bits[] = { 32, 36, 40, 42, 44,
					    48, 52 };
	uint32_t			 idr0 = r->idr[0], idr1 = r->idr[1];
	uint32_t			 idr3 = r->idr[3], idr5 = r->idr[5];

	memset(s, 0, sizeof(*s));
	s->regs = *r;
	if ((idr0 & (IDR0_S1P | IDR0_S2P)) == 0) {
		snprintf(err, errlen, "idr0: no translation stage (S1P, S2P)");
		return (-EINVAL);
	}
	if (!(IDR0_TTF(idr0) & TTF_AARCH64)) {
		snprintf(err, errlen, "idr0: no AArch64 table format (TTF)");
		return (-EINVAL);
	}
	if (IDR0_TTENDIAN(idr0) != TTENDIAN_MIXED &&
	    IDR0_TTENDIAN(idr0) != TTENDIAN_LE) {
		snprintf(err, errlen, "idr0: no little-endian tables "
		    "(TTENDIAN)");
		return (-EINVAL);
	}
	if (idr1 & IDR1_PRESETS) {
		snprintf(err, errlen, "idr1: embedded implementation "
		    "(REL, QUEUES_PRESET, TABLES_PRESET)");
		return (-EINVAL);
	}
	/* One batch of 64 commands and a sync must fit in the queue. */
	if (IDR1_CMDQS(idr1) <= 6) {
		snprintf(err, errlen, "idr1: command queue of 64 entries or "
		    "less (CMDQS)");
		return (-EINVAL);
	}
	if ((idr5 & (IDR5_GRAN4K | IDR5_GRAN16K | IDR5_GRAN64K)) == 0) {
		snprintf(err, errlen, "idr5: no translation granule (GRAN*)");
		return (-EINVAL);
	}
	s->s1 = (idr0 & IDR0_S1P) != 0;
	s->s2 = (idr0 & IDR0_S2P) != 0;
	s->nesting = s->s1 && s->s2;
	s->coherent = (idr0 & IDR0_COHACC) != 0;
	s->ha = IDR0_HTTU(idr0) >= 1;
	s->hd = IDR0_HTTU(idr0) >= 2;
	s->btm = (idr0 & IDR0_BTM) != 0;
	s->ats = (idr0 & IDR0_ATS) != 0;
	s->pri = (idr0 & IDR0_PRI) != 0;
	s->asid_bits = (idr0 & IDR0_ASID16) ? 16 : 8;
	s->vmid_bits = (idr0 & IDR0_VMID16) ? 16 : 8;
	s->sid_bits = IDR1_SIDSIZE(idr1);
	s->ssid_bits = IDR1_SSIDSIZE(idr1);
	s->range_inv = (idr3 & IDR3_RIL) != 0;
	s->s2fwb = (idr3 & IDR3_FWB) != 0;
	s->ds = (idr5 & IDR5_DS) != 0;
	s->vax = IDR5_VAX(idr5) == 1;
	/* A reserved OAS reads as 48 bits, as Linux truncates it. */
	s->oas = IDR5_OAS(idr5) < nitems(oas_bits) ?
	    oas_bits[IDR5_OAS(idr5)] : 48;
	if (idr5 & IDR5_GRAN64K)
		s->pgsize_bitmap |= (1ULL << 16) | (1ULL << 29);
	if (idr5 & IDR5_GRAN16K)
		s->pgsize_bitmap |= (1ULL << 14) | (1ULL << 25);
	if (idr5 & IDR5_GRAN4K)
		s->pgsize_bitmap |= (1ULL << 12) | (1ULL << 21) | (1ULL << 30);
	if (s->oas == 52)
		s->pgsize_bitmap |= 1ULL << 42;
	return (0);
}

/* The default profile, decoded once, for the built-in instance. */
static const struct smmuv3 *
smmuv3_default(void)
{
	static struct smmuv3	 s;
	static int		 done;
	char			 err[8];

	if (!done) {
		(void)smmuv3_decode(&smmuv3_profile_regs[0].regs, &s, err,
		    sizeof(err));
		done = 1;
	}
	return (&s);
}

const struct smmuv3 *
smmuv3_of(const struct hw_instance *inst)
{
	if (inst != NULL && inst->priv != NULL)
		return (inst->priv);
	return (smmuv3_default());
}

/* Dirty tracking needs HTTU's dirty state and coherent table walks. */
static int
smmuv3_dirty(const struct smmuv3 *s)
{
	return (s->hd && s->coherent);
}

/* GET_HW_INFO: the raw registers, as the driver reads them. */
static int
smmuv3_hw_info(const struct hw_dev_desc *dev, uint32_t in_type,
    uint32_t *out_type, void *buf, size_t *len)
{
	const struct smmuv3		*s = smmuv3_of(dev->hw);
	struct iommu_hw_info_arm_smmuv3	 info;

	if (in_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    in_type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
		return (-EOPNOTSUPP);
	memset(&info, 0, sizeof(info));
	memcpy(info.idr, s->regs.idr, sizeof(info.idr));
	info.iidr = s->regs.iidr;
	info.aidr = s->regs.aidr;
	memcpy(buf, &info, sizeof(info));
	*len = sizeof(info);
	*out_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	return (0);
}

/* Dirty tracking (HTTU dirty and COHACC); ATS absent without IDR0.ATS. */
static uint64_t
smmuv3_capabilities(const struct hw_dev_desc *dev)
{
	const struct smmuv3	*s = smmuv3_of(dev->hw);
	uint64_t		 caps = 0;

	if (smmuv3_dirty(s))
		caps |= IOMMU_HW_CAP_DIRTY_TRACKING;
	if (!s->ats)
		caps |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	return (caps);
}

/*
 * A paging domain as the driver picks its stage: stage 1 when there
 * (dirty tracking and PASID need it), stage 2 for a NEST_PARENT (both
 * stages needed). The aperture is the stage's input size; a coherent
 * SMMU's domains enforce coherency. -EOPNOTSUPP for driver data or a
 * flag combination the registers do not allow.
 */
static int
smmuv3_domain_alloc_paging(const struct hw_dev_desc *dev, unsigned int flags,
    const struct hw_data *data, struct hw_domain *dom)
{
	const struct smmuv3	*s = smmuv3_of(dev->hw);
	unsigned int		 ias;
	int			 s1;

	if (flags & ~(HW_DOMAIN_NEST_PARENT | HW_DOMAIN_DIRTY |
	    HW_DOMAIN_PASID))
		return (-EOPNOTSUPP);
	if (data != NULL && data->type != 0)
		return (-EOPNOTSUPP);
	switch (flags) {
	case 0:
		s1 = s->s1;
		break;
	case HW_DOMAIN_NEST_PARENT:
		if (!s->nesting)
			return (-EOPNOTSUPP);
		s1 = 0;
		break;
	case HW_DOMAIN_DIRTY:
	case HW_DOMAIN_DIRTY | HW_DOMAIN_PASID:
	case HW_DOMAIN_PASID:
		if (!s->s1)
			return (-EOPNOTSUPP);
		if ((flags & HW_DOMAIN_DIRTY) && !smmuv3_dirty(s))
			return (-EOPNOTSUPP);
		s1 = 1;
		break;
	default:
		return (-EOPNOTSUPP);
	}
	if (s1) {
		ias = s->vax ? 52 : 48;
		if (ias > SMMU_VA_BITS)
			ias = SMMU_VA_BITS;
	} else
		ias = s->oas;
	memset(dom, 0, sizeof(*dom));
	dom->pgsize_bitmap = smmuv3_pgsizes(s->pgsize_bitmap, s->oas);
	dom->aperture_start = 0;
	dom->aperture_last = ias >= 64 ? UINT64_MAX : (1ULL << ias) - 1;
	dom->flags = flags;
	dom->enforce_cc = s->coherent;
	dom->pagetable_type = s1 ? 1 : 2;
	return (0);
}

/* Every device behind the SMMU fits every one of its domains. */
static int
smmuv3_attach_check(const struct hw_dev_desc *dev __unused,
    const struct hw_domain *dom __unused)
{
	return (0);
}

/*
 * A nested domain from a guest STE, on a vIOMMU only (the driver has no
 * nested domain on a bare parent: -EOPNOTSUPP). The data is the 16-byte
 * vSTE (shorter: -EINVAL), any bytes after it zero (else -E2BIG). A vSTE
 * without V is kept as all zeroes (an abort); a valid one may set only
 * the allowed bits, say abort, bypass or stage-1 translate, and EATS
 * abort or translate (-EIO otherwise). entry[0], entry[1]: the vSTE
 * without EATS; entry[2]: 1 when ATS is on (S1 translate with EATS
 * translate).
 */
static int
smmuv3_domain_alloc_nested(const struct hw_dev_desc *dev __unused,
    const struct hw_domain *parent, unsigned int flags,
    const struct hw_data *data, struct hw_nested *nested)
{
	struct iommu_hwpt_arm_smmuv3	 arg;
	const uint8_t			*p = data->buf;
	uint64_t			 ste0, ste1;
	unsigned int			 cfg, eats;
	size_t				 i;

	if (parent != NULL || flags != 0)
		return (-EOPNOTSUPP);
	if (data->type != IOMMU_HWPT_DATA_ARM_SMMUV3 ||
	    data->len < sizeof(arg))
		return (-EINVAL);
	/* iommu_copy_struct_from_user(): a longer struct has zeros after. */
	for (i = sizeof(arg); i < data->len; i++) {
		if (p[i] != 0)
			return (-E2BIG);
	}
	memcpy(&arg, data->buf, sizeof(arg));
	ste0 = le64toh(arg.ste[0]);
	ste1 = le64toh(arg.ste[1]);
	memset(nested, 0, sizeof(*nested));
	if (!(ste0 & STE0_V))
		return (0);
	if ((ste0 & ~STE0_ALLOWED) || (ste1 & ~STE1_ALLOWED))
		return (-EIO);
	cfg = STE0_CFG(ste0);
	if (cfg != CFG_ABORT && cfg != CFG_BYPASS && cfg != CFG_S1_TRANS)
		return (-EIO);
	eats = STE1_EATS(ste1);
	if (eats != EATS_ABT && eats != EATS_TRANS)
		return (-EIO);
	nested->entry[0] = ste0;
	nested->entry[1] = ste1 & ~STE1_EATS_MASK;
	nested->entry[2] = cfg == CFG_S1_TRANS && eats == EATS_TRANS;
	return (0);
}

/*
 * A translating vSTE needs the device's vDEVICE (its vSID, for commands
 * and events: -ENOENT without); abort and bypass (also a vSTE without V)
 * take a device without one, as for a guest's global bypass or abort.
 */
static int
smmuv3_nested_attach_check(const struct hw_dev_desc *dev __unused,
    const struct hw_nested *nested, int has_vdevice)
{
	if (!has_vdevice && STE0_CFG(nested->entry[0]) == CFG_S1_TRANS)
		return (-ENOENT);
	return (0);
}

/*
 * A bypass vSTE installs the S2 alone: the device's DMA is translated
 * by the nest parent. Abort and invalid vSTEs abort it; stage-1 tables
 * in the guest's memory are not walked, so a translating vSTE aborts
 * it too.
 */
static int
smmuv3_nested_s1_bypass(const struct hw_nested *nested)
{
	return ((nested->entry[0] & STE0_V) &&
	    STE0_CFG(nested->entry[0]) == CFG_BYPASS);
}

/* The context descriptor a stage-1 translation starts from. */
#define STE0_S1FMT(v)		GET(v, 5, 4)
#define STE0_S1CTXPTR		BITS(51, 6)
#define STE0_S1CDMAX(v)		GET(v, 63, 59)
#define STE1_S1DSS(v)		GET(v, 1, 0)
#define  S1DSS_SSID0		2
#define CD_SIZE			64
#define CD0_V			(1U << 31)
#define EVT_C_BAD_CD		0x0a

/*
 * A DMA without a substream behind a translating vSTE starts from the
 * guest's context descriptor 0 (a linear table, or S1DSS naming it),
 * fetched through the stage 2. A fetch that faults is a stage-2 fault,
 * the host's; a descriptor without V is C_BAD_CD, reported to the guest
 * with its vSID in place of the stream id. A valid descriptor would be
 * walked, which the model does not do: no event.
 */
static int
smmuv3_nested_dma_event(const struct hw_nested *nested, uint64_t virt_id,
    uint64_t iova __unused, int (*read_s2)(void *, uint64_t, void *, size_t),
    void *arg, uint32_t *type, void *ev, size_t *len)
{
	struct iommu_vevent_arm_smmuv3	 e;
	uint64_t			 ste0 = nested->entry[0];
	uint32_t			 cd[CD_SIZE / 4];

	if (!(ste0 & STE0_V) || STE0_CFG(ste0) != CFG_S1_TRANS ||
	    STE0_S1FMT(ste0) != 0)
		return (0);
	if (STE0_S1CDMAX(ste0) != 0 &&
	    STE1_S1DSS(nested->entry[1]) != S1DSS_SSID0)
		return (0);
	if (read_s2(arg, ste0 & STE0_S1CTXPTR, cd, sizeof(cd)) != 0)
		return (0);
	if (le32toh(cd[0]) & CD0_V)
		return (0);
	memset(&e, 0, sizeof(e));
	e.evt[0] = htole64(EVT_C_BAD_CD | PUT(virt_id, 63, 32));
	memcpy(ev, &e, sizeof(e));
	*len = sizeof(e);
	*type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
	return (1);
}

/*
 * VIOMMU_ALLOC: type ARM_SMMUV3 on an SMMU with both stages whose S2 can
 * keep the guest coherent (COHACC, or S2FWB); its data is not read.
 */
static int
smmuv3_viommu_alloc(const struct hw_dev_desc *dev, uint32_t type,
    void *buf __unused, size_t len __unused)
{
	const struct smmuv3	*s = smmuv3_of(dev->hw);

	if (type != IOMMU_VIOMMU_TYPE_ARM_SMMUV3 || !s->nesting ||
	    (!s->coherent && !s->s2fwb))
		return (-EOPNOTSUPP);
	return (0);
}

/*
 * The range fields of a TLBI by address (RIL): NUM, SCALE and TTL are
 * RES0 without TG; TTL 1 with 16 KiB needs DS; NUM, SCALE and TTL all 0
 * is reserved.
 */
static int
smmuv3_cmd_range(const struct smmuv3 *s, const uint64_t c[2])
{
	int		 range = (c[0] & (CMD0_NUM | CMD0_SCALE)) != 0;
	unsigned int	 ttl = CMD1_TTL(c[1]), tg = CMD1_TG(c[1]);

	if (tg == 0)
		return ((range || ttl) ? -EIO : 0);
	if (tg == 2 && ttl == 1 && !s->ds)
		return (-EIO);
	if (!range && !ttl)
		return (-EIO);
	return (0);
}

/* The fields a guest may set in a command: 0 or -EIO. */
static int
smmuv3_cmd_check(const struct smmuv3 *s, const uint64_t c[2])
{
	uint64_t	 allowed0 = CMD0_OP, allowed1 = 0;
	uint64_t	 asid = PUT((1ULL << s->asid_bits) - 1, 63, 48);

	switch (CMD_OP(c[0])) {
	case OP_TLBI_NSNH_ALL:
		break;
	case OP_TLBI_NH_VA:
	case OP_TLBI_NH_VAA:
		if (CMD_OP(c[0]) == OP_TLBI_NH_VA)
			allowed0 |= asid;
		if (s->range_inv) {
			if (smmuv3_cmd_range(s, c) != 0)
				return (-EIO);
			allowed0 |= CMD0_NUM | CMD0_SCALE;
			allowed1 |= BITS(11, 8);	/* TG, TTL */
			/* SCALE above 31 needs DS. */
			if (!s->ds)
				allowed0 &= ~(1ULL << 25);
		}
		allowed0 |= CMD0_VMID;
		allowed1 |= CMD1_LEAF | CMD1_VA;
		break;
	case OP_TLBI_NH_ASID:
		allowed0 |= asid | CMD0_VMID;
		break;
	case OP_TLBI_NH_ALL:
		allowed0 |= CMD0_VMID;
		break;
	case OP_ATC_INV:
		if (!s->ats)
			return (-EIO);
		if ((c[1] & CMD1_ATC_SIZE) > ATC_SIZE_ALL)
			return (-EIO);
		if (s->ssid_bits != 0)
			allowed0 |= CMD0_SSV | CMD0_SSID | CMD0_GLOBAL;
		allowed0 |= CMD0_SID;
		allowed1 |= CMD1_ATC_SIZE | CMD1_VA;
		break;
	case OP_CFGI_CD:
		if (s->ssid_bits != 0)
			allowed0 |= CMD0_SSID;
		allowed0 |= CMD0_SID;
		allowed1 |= CMD1_LEAF;
		break;
	case OP_CFGI_CD_ALL:
		allowed0 |= CMD0_SID;
		break;
	default:
		return (-EIO);
	}
	if ((c[0] & ~allowed0) || (c[1] & ~allowed1))
		return (-EIO);
	return (0);
}

int
smmuv3_cmd_convert(const struct smmuv3 *s, uint64_t c[2], uint16_t vmid,
    int (*lookup)(void *, uint64_t, const struct hw_dev_desc **), void *arg)
{
	const struct hw_dev_desc	*dev;
	int				 rc;

	if ((rc = smmuv3_cmd_check(s, c)) != 0)
		return (rc);
	switch (CMD_OP(c[0])) {
	case OP_TLBI_NSNH_ALL:
		/* The guest's "everything" is everything of its VMID. */
		c[0] = OP_TLBI_NH_ALL | PUT(vmid, 47, 32);
		c[1] = 0;
		break;
	case OP_TLBI_NH_VA:
	case OP_TLBI_NH_VAA:
	case OP_TLBI_NH_ALL:
	case OP_TLBI_NH_ASID:
		c[0] = (c[0] & ~CMD0_VMID) | PUT(vmid, 47, 32);
		break;
	default:
		/* ATC_INV, CFGI_CD, CFGI_CD_ALL: the vSID names a device. */
		if (lookup(arg, GET(c[0], 63, 32), &dev) != 0)
			return (-EIO);
		c[0] = (c[0] & ~CMD0_SID) | PUT(dev->rid, 63, 32);
		break;
	}
	return (0);
}

/*
 * One guest command of a vIOMMU invalidation: the ARM_SMMUV3 type (len 0,
 * which only asks about the type, is -EINVAL as the kernel copies a whole
 * array), an entry of up to 16 bytes read zero-extended or a longer one
 * whose tail is zero (-E2BIG), then checked and converted; the model
 * keeps no TLB, so a good command changes nothing here.
 */
static int
smmuv3_viommu_invalidate_dev(const struct hw_instance *inst,
    const struct hw_data *data,
    int (*lookup)(void *, uint64_t, const struct hw_dev_desc **), void *arg)
{
	const struct smmuv3				*s = smmuv3_of(inst);
	struct iommu_viommu_arm_smmuv3_invalidate	 inv;
	const uint8_t					*p = data->buf;
	uint64_t					 c[2];
	size_t						 i, n;

	if (data->type != IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 ||
	    data->len == 0)
		return (-EINVAL);
	n = data->len < HW_INVALIDATE_READ ? data->len : HW_INVALIDATE_READ;
	for (i = sizeof(inv); i < n; i++) {
		if (p[i] != 0)
			return (-E2BIG);
	}
	memset(&inv, 0, sizeof(inv));
	memcpy(&inv, p, n < sizeof(inv) ? n : sizeof(inv));
	c[0] = le64toh(inv.cmd[0]);
	c[1] = le64toh(inv.cmd[1]);
	return (smmuv3_cmd_convert(s, c, SMMU_VMID, lookup, arg));
}

/* Overrides: a register by its name, a 32-bit number. */
static int
smmuv3_param(struct smmuv3_regs *r, const struct hw_param *p, char *err,
    size_t errlen)
{
	uint32_t		*regs[] = { &r->idr[0], &r->idr[1], &r->idr[2],
				    &r->idr[3], &r->idr[4], &r->idr[5],
				    &r->iidr, &r->aidr };
	unsigned long long	 v;
	char			*end;
	size_t			 i;

	for (i = 0; i < nitems(smmuv3_reg_names); i++) {
		if (strcmp(p->key, smmuv3_reg_names[i]) != 0)
			continue;
		errno = 0;
		v = strtoull(p->value, &end, 0);
		if (p->value[0] == '\0' || p->value[0] == '-' || *end != '\0' ||
		    errno != 0 || v > UINT32_MAX) {
			snprintf(err, errlen, "%s: not a 32-bit register "
			    "value: %s", p->key, p->value);
			return (-EINVAL);
		}
		*regs[i] = (uint32_t)v;
		return (0);
	}
	snprintf(err, errlen, "%s: unknown key for model arm-smmuv3", p->key);
	return (-EINVAL);
}

/* The profile's registers, the overrides, decoded into inst->priv. */
static int
smmuv3_instance_init(struct hw_instance *inst, const char *profile,
    const struct hw_param *params, size_t nparams, char *err, size_t errlen)
{
	struct smmuv3_regs	 r;
	struct smmuv3		*s;
	size_t			 i;
	int			 rc;

	if (profile == NULL)
		profile = smmuv3_profiles[0];
	for (i = 0; i < nitems(smmuv3_profile_regs); i++) {
		if (strcmp(smmuv3_profile_regs[i].name, profile) == 0)
			break;
	}
	if (i == nitems(smmuv3_profile_regs)) {
		snprintf(err, errlen, "profile: unknown for model arm-smmuv3: "
		    "%s", profile);
		return (-EINVAL);
	}
	r = smmuv3_profile_regs[i].regs;
	for (i = 0; i < nparams; i++) {
		if ((rc = smmuv3_param(&r, &params[i], err, errlen)) != 0)
			return (rc);
	}
	if ((s = malloc(sizeof(*s))) == NULL)
		return (-ENOMEM);
	if ((rc = smmuv3_decode(&r, s, err, errlen)) != 0) {
		free(s);
		return (rc);
	}
	inst->priv = s;
	return (0);
}

static void
smmuv3_instance_fini(struct hw_instance *inst)
{
	free(inst->priv);
	inst->priv = NULL;
}

/* IDR1.SSIDSIZE: a device behind the SMMU has at most that PASID width. */
static unsigned int
smmuv3_pasid_bits(const struct hw_instance *inst)
{
	return (smmuv3_of(inst)->ssid_bits);
}

/*
 * Snoop control as the domains have it: a coherent SMMU (COHACC, taken
 * to sit behind a write-back root complex, the kernel's CANWBS) makes
 * every domain enforce coherency, so KVM counts its devices coherent.
 */
static int
smmuv3_snoop_control(const struct hw_instance *inst)
{
	return (smmuv3_of(inst)->coherent);
}

/* idr0..idr5, iidr, aidr. */
static void
smmuv3_describe(const struct hw_instance *inst,
    void (*fn)(void *, const char *, uint64_t), void *arg)
{
	const struct smmuv3	*s = smmuv3_of(inst);
	size_t			 i;

	for (i = 0; i < 6; i++)
		fn(arg, smmuv3_reg_names[i], s->regs.idr[i]);
	fn(arg, "iidr", s->regs.iidr);
	fn(arg, "aidr", s->regs.aidr);
}

const struct hw_model_ops hw_smmuv3_ops = {
	.version = HW_MODEL_VERSION,
	.name = "arm-smmuv3",
	.hw_info = smmuv3_hw_info,
	.capabilities = smmuv3_capabilities,
	.domain_alloc_paging = smmuv3_domain_alloc_paging,
	.attach_check = smmuv3_attach_check,
	.domain_alloc_nested = smmuv3_domain_alloc_nested,
	.viommu_alloc = smmuv3_viommu_alloc,
	.profiles = smmuv3_profiles,
	.instance_init = smmuv3_instance_init,
	.instance_fini = smmuv3_instance_fini,
	.describe = smmuv3_describe,
	.pasid_bits = smmuv3_pasid_bits,
	.snoop_control = smmuv3_snoop_control,
	.viommu_invalidate_dev = smmuv3_viommu_invalidate_dev,
	.nested_attach_check = smmuv3_nested_attach_check,
	.nested_s1_bypass = smmuv3_nested_s1_bypass,
	.nested_dma_event = smmuv3_nested_dma_event,
};

/* The default profile's SMMU, for a device with "iommu = arm-smmuv3". */
const struct hw_instance hw_smmuv3_instance = {
	.name = "arm-smmuv3",
	.ops = &hw_smmuv3_ops,
	.profile = "qemu-nested",
};
