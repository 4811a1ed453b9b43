/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The "intel-vtd" hardware model: an Intel VT-d remapping unit described
 * by its two capability registers, CAP and ECAP (VT-d spec 11.4.2 and
 * 11.4.3). Every answer is decided from the register bits the way Linux
 * 7.3's intel driver decides it (drivers/iommu/intel/iommu.c, nested.c,
 * pasid.c):
 *
 *	scalable mode		ECAP.SMTS
 *	first-stage tables	scalable and ECAP.FLTS; preferred when there
 *	second-stage tables	legacy mode, or scalable and ECAP.SLTS
 *	nesting			scalable and ECAP.NEST
 *	dirty tracking		scalable, ECAP.SLADS and ECAP.SMPWC
 *	snoop control		ECAP.SC (enforce_cc of every domain)
 *	PASID bits		scalable and ECAP.PASID: PSS + 1, the most
 *				a device behind the unit has
 *	page sizes		4K, 2M, and 1G with CAP.FL1GP (first stage)
 *				or per CAP.SLLPS bits 0 and 1 (second stage)
 *	aperture		second stage: the largest SAGAW level that
 *				MGAW allows; first stage: 48 bits (57 with
 *				CAP.FL5LP and MGAW above 48), lower half
 *	nested S1 data		NEST with FLTS (the guest's tables are
 *				first-stage ones); addr_width 48, or 57
 *				with CAP.FL5LP; SRE needs ECAP.SRS, EAFE
 *				needs ECAP.EAFS
 *	domain ids		CAP.ND: 2^(4 + 2 * ND), ids 2 and up for
 *				domains attached behind the unit, ENOSPC
 *				past the last (domain_attach_iommu())
 *
 * The registers come from a profile (QEMU 10.0.2's intel-iommu with its
 * properties, checked against QEMU by tests/qemu/vtd_oracle.sh, and
 * synthesized server units) and the overrides of an [iommu] section:
 * cap and ecap themselves, or the convenience keys that set fields of
 * them (aw-bits, pasid-bits, caching-mode, snoop-control, nesting,
 * dirty-tracking, nd).
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hw/hw.h"

#include <linux/iommufd.h>

/* CAP fields. */
#define VTD_CAP_ND(c)		((unsigned int)((c) & 0x7))
#define VTD_CAP_ND_MASK		0x7ULL
#define VTD_CAP_CM		(1ULL << 7)	/* caching mode */
#define VTD_CAP_SAGAW(c)	(((c) >> 8) & 0x1f)
#define VTD_CAP_SAGAW_MASK	(0x1fULL << 8)
#define VTD_CAP_SAGAW_39	(1ULL << 9)	/* 3-level */
#define VTD_CAP_SAGAW_48	(1ULL << 10)	/* 4-level */
#define VTD_CAP_SAGAW_57	(1ULL << 11)	/* 5-level */
#define VTD_CAP_MGAW(c)		((unsigned int)(((c) >> 16) & 0x3f) + 1)
#define VTD_CAP_MGAW_MASK	(0x3fULL << 16)
#define VTD_CAP_SLLPS_2M	(1ULL << 34)
#define VTD_CAP_SLLPS_1G	(1ULL << 35)
#define VTD_CAP_FL1GP		(1ULL << 56)
#define VTD_CAP_FL5LP		(1ULL << 60)

/* ECAP fields. */
#define VTD_ECAP_SC		(1ULL << 7)	/* snoop control */
#define VTD_ECAP_NEST		(1ULL << 26)
#define VTD_ECAP_PRS		(1ULL << 29)	/* page requests */
#define VTD_ECAP_SRS		(1ULL << 31)	/* supervisor requests */
#define VTD_ECAP_EAFS		(1ULL << 34)	/* extended accessed flag */
#define VTD_ECAP_PSS(e)		((unsigned int)(((e) >> 35) & 0x1f))
#define VTD_ECAP_PSS_MASK	(0x1fULL << 35)
#define VTD_ECAP_PASID		(1ULL << 40)
#define VTD_ECAP_SMTS		(1ULL << 43)	/* scalable mode */
#define VTD_ECAP_SLADS		(1ULL << 45)	/* second-stage A/D */
#define VTD_ECAP_SLTS		(1ULL << 46)
#define VTD_ECAP_FLTS		(1ULL << 47)
#define VTD_ECAP_SMPWC		(1ULL << 48)

/* The table format of a domain (hw_domain.pagetable_type). */
#define VTD_PT_FIRST		1
#define VTD_PT_SECOND		2

/* The x86 interrupt window, never DMA (Linux's IOAPIC_RANGE_*). */
#define VTD_MSI_START		0xfee00000ULL
#define VTD_MSI_LAST		0xfeefffffULL

#define SZ_4K			(1ULL << 12)
#define SZ_2M			(1ULL << 21)
#define SZ_1G			(1ULL << 30)

/*
 * Domain ids below this are Linux's own: 0 (invalid with caching mode)
 * and 1 (FLPT_DEFAULT_DID, first-stage and pass-through entries), so
 * domains get ids from 2 to cap_ndoms() - 1 (IDA_START_DID).
 */
#define VTD_DID_FIRST		2

/* A domain's id on the unit, and the attachments that hold it. */
struct vtd_did {
	const void	*key;
	uint32_t	 did;
	unsigned int	 refs;
};

/*
 * One instance's registers: its priv. And the domain ids in use: a
 * bitmap of cap_ndoms() bits, made at the first attach, and one row per
 * domain holding an id.
 */
struct vtd {
	uint64_t	 cap;
	uint64_t	 ecap;
	uint64_t	*did_used;
	struct vtd_did	*dids;
	size_t		 ndids;
	size_t		 capdids;
};

struct vtd_profile {
	const char	*name;
	uint64_t	 cap;
	uint64_t	 ecap;
};

/*
 * The qemu rows are QEMU 10.0.2's intel-iommu on a q35 machine with
 * kernel-irqchip=split (so intremap is on), with the properties named,
 * read back from the unit's registers by tests/qemu/vtd_oracle.sh. The
 * server rows are synthesized from a published boot log of a 4th
 * generation Xeon class unit (DMAR version 6.0): "server" with PASID and
 * page requests on, "server-nosc" without snoop control.
 */
static const struct vtd_profile vtd_profiles[] = {
	/* -device intel-iommu */
	{ "qemu", 0x00d2008c222f0606ULL, 0x0000000000f00f4aULL },
	/* caching-mode=on */
	{ "qemu-cm", 0x00d2008c222f0686ULL, 0x0000000000f00f4aULL },
	/* aw-bits=39 */
	{ "qemu-aw39", 0x00d2008c22260206ULL, 0x0000000000f00f4aULL },
	/* snoop-control=on */
	{ "qemu-sc", 0x00d2008c222f0606ULL, 0x0000000000f00fcaULL },
	/* x-scalable-mode=on */
	{ "qemu-scalable", 0x00d2008c222f0606ULL, 0x0000480080f00f4aULL },
	/* x-scalable-mode=on,caching-mode=on */
	{ "qemu-scalable-cm", 0x00d2008c222f0686ULL, 0x0000480080f00f4aULL },
	/* x-scalable-mode=on,x-flts=on */
	{ "qemu-flts", 0x01d2008c222f0606ULL, 0x0000880000f00f4aULL },
	/* x-scalable-mode=on,x-pasid-mode=on */
	{ "qemu-pasid", 0x00d2008c222f0606ULL, 0x0000490080f00f4aULL },
	/* synthesized */
	{ "server", 0x09ed008c40780466ULL, 0x0003ef9ea6f050dfULL },
	/* synthesized */
	{ "server-nosc", 0x09ed008c40780466ULL, 0x0003ee9e86f0505fULL },
};

static const char *const vtd_profile_names[] = {
	"qemu", "qemu-cm", "qemu-aw39", "qemu-sc", "qemu-scalable",
	"qemu-scalable-cm", "qemu-flts", "qemu-pasid", "server",
	"server-nosc", NULL,
};
_Static_assert(nitems(vtd_profile_names) == nitems(vtd_profiles) + 1,
    "vtd profile names");

static const struct vtd *
vtd_of(const struct hw_dev_desc *dev)
{
	return (dev->hw->priv);
}

/* Scalable mode, and what Linux derives from it. */
static int
vtd_sm(const struct vtd *v)
{
	return ((v->ecap & VTD_ECAP_SMTS) != 0);
}

static int
vtd_nested(const struct vtd *v)
{
	return (vtd_sm(v) && (v->ecap & VTD_ECAP_NEST));
}

static int
vtd_ssads(const struct vtd *v)
{
	return (vtd_sm(v) && (v->ecap & VTD_ECAP_SLADS) &&
	    (v->ecap & VTD_ECAP_SMPWC));
}

static int
vtd_flts(const struct vtd *v)
{
	return (vtd_sm(v) && (v->ecap & VTD_ECAP_FLTS));
}

static int
vtd_slts(const struct vtd *v)
{
	return (!vtd_sm(v) || (v->ecap & VTD_ECAP_SLTS));
}

/*
 * The input address bits of a second-stage table: the largest level both
 * SAGAW and MGAW allow, or 0 for none (compute_vasz_lg2_ss()).
 */
static unsigned int
vtd_ss_bits(const struct vtd *v)
{
	unsigned int	 sagaw = VTD_CAP_SAGAW(v->cap);
	unsigned int	 mgaw = VTD_CAP_MGAW(v->cap);

	if (mgaw > 48 && sagaw >= 0x8)
		return (MIN(57, mgaw));
	if (mgaw > 39 && sagaw >= 0x4)
		return (MIN(48, mgaw));
	if (mgaw > 30 && sagaw >= 0x2)
		return (MIN(39, mgaw));
	return (0);
}

/* The input address bits of a first-stage table (compute_vasz_lg2_fs()). */
static unsigned int
vtd_fs_bits(const struct vtd *v)
{
	unsigned int	 mgaw = VTD_CAP_MGAW(v->cap);

	if (mgaw > 48 && (v->cap & VTD_CAP_FL5LP))
		return (MIN(57, mgaw));
	return (MIN(48, mgaw));
}

/* GET_HW_INFO: struct iommu_hw_info_vtd with the erratum flag Linux sets. */
static int
vtd_hw_info(const struct hw_dev_desc *dev, uint32_t in_type,
    uint32_t *out_type, void *buf, size_t *len)
{
	const struct vtd		*v = vtd_of(dev);
	struct iommu_hw_info_vtd	 info;

	if (in_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    in_type != IOMMU_HW_INFO_TYPE_INTEL_VTD)
		return (-EOPNOTSUPP);
	memset(&info, 0, sizeof(info));
	info.flags = IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17;
	info.cap_reg = v->cap;
	info.ecap_reg = v->ecap;
	memcpy(buf, &info, sizeof(info));
	*len = sizeof(info);
	*out_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	return (0);
}

/* Dirty tracking when the unit has second-stage A/D bits. */
static uint64_t
vtd_capabilities(const struct hw_dev_desc *dev)
{
	if (vtd_ssads(vtd_of(dev)) && (dev->flags & HW_DEV_NO_DIRTY) == 0)
		return (IOMMU_HW_CAP_DIRTY_TRACKING);
	return (0);
}

/* The interrupt window, reserved in every IOAS the device is in. */
static int
vtd_reserved_regions(const struct hw_dev_desc *dev __unused,
    int (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	return (fn(arg, VTD_MSI_START, VTD_MSI_LAST));
}

/*
 * A paging domain: first stage when the unit has it and nothing asks for
 * second-stage features (nest parent, dirty tracking), else second stage.
 */
static int
vtd_domain_alloc_paging(const struct hw_dev_desc *dev, unsigned int flags,
    const struct hw_data *data, struct hw_domain *dom)
{
	const struct vtd	*v = vtd_of(dev);
	unsigned int		 bits;

	if (data != NULL && data->type != 0)
		return (-EOPNOTSUPP);
	if (flags & ~(HW_DOMAIN_NEST_PARENT | HW_DOMAIN_DIRTY |
	    HW_DOMAIN_PASID))
		return (-EOPNOTSUPP);
	memset(dom, 0, sizeof(*dom));
	if ((flags & ~HW_DOMAIN_PASID) == 0 && vtd_flts(v)) {
		/* Sign-extended: the lower canonical half. */
		bits = vtd_fs_bits(v);
		dom->pgsize_bitmap = SZ_4K | SZ_2M;
		if (v->cap & VTD_CAP_FL1GP)
			dom->pgsize_bitmap |= SZ_1G;
		dom->aperture_last = (1ULL << (bits - 1)) - 1;
		dom->pagetable_type = VTD_PT_FIRST;
	} else {
		if ((flags & HW_DOMAIN_NEST_PARENT) && !vtd_nested(v))
			return (-EOPNOTSUPP);
		if ((flags & HW_DOMAIN_DIRTY) && (!vtd_ssads(v) ||
		    (dev->flags & HW_DEV_NO_DIRTY)))
			return (-EOPNOTSUPP);
		if (!vtd_slts(v))
			return (-EOPNOTSUPP);
		if ((bits = vtd_ss_bits(v)) == 0)
			return (-EINVAL);
		dom->pgsize_bitmap = SZ_4K;
		if (v->cap & VTD_CAP_SLLPS_2M)
			dom->pgsize_bitmap |= SZ_2M;
		if (v->cap & VTD_CAP_SLLPS_1G)
			dom->pgsize_bitmap |= SZ_1G;
		dom->aperture_last = (1ULL << bits) - 1;
		dom->pagetable_type = VTD_PT_SECOND;
	}
	dom->aperture_start = 0;
	dom->flags = flags;
	dom->enforce_cc = (v->ecap & VTD_ECAP_SC) != 0;
	return (0);
}

/*
 * Whether the device may use a domain made on its unit or on another
 * (paging_domain_compatible()): the unit must do what the domain was
 * made with: snooping, dirty tracking, nesting, the table's stage, its
 * page sizes and its input address width.
 */
static int
vtd_attach_check(const struct hw_dev_desc *dev, const struct hw_domain *dom)
{
	const struct vtd	*v = vtd_of(dev);
	unsigned int		 bits;

	if (dom->enforce_cc && !(v->ecap & VTD_ECAP_SC))
		return (-EINVAL);
	if ((dom->flags & HW_DOMAIN_DIRTY) && (!vtd_ssads(v) ||
	    (dev->flags & HW_DEV_NO_DIRTY)))
		return (-EINVAL);
	if ((dom->flags & HW_DOMAIN_NEST_PARENT) && !vtd_nested(v))
		return (-EINVAL);
	switch (dom->pagetable_type) {
	case VTD_PT_FIRST:
		if (!vtd_flts(v) || ((dom->pgsize_bitmap & SZ_1G) &&
		    !(v->cap & VTD_CAP_FL1GP)))
			return (-EINVAL);
		bits = vtd_fs_bits(v) - 1;
		break;
	case VTD_PT_SECOND:
		if (!vtd_slts(v) || ((dom->pgsize_bitmap & SZ_2M) &&
		    !(v->cap & VTD_CAP_SLLPS_2M)) ||
		    ((dom->pgsize_bitmap & SZ_1G) &&
		    !(v->cap & VTD_CAP_SLLPS_1G)))
			return (-EINVAL);
		bits = vtd_ss_bits(v);
		break;
	default:
		return (-EINVAL);
	}
	if (bits == 0 || dom->aperture_last > (1ULL << bits) - 1)
		return (-EINVAL);
	return (0);
}

/*
 * A nested domain of IOMMU_HWPT_DATA_VTD_S1 on a nest parent. Linux
 * checks addr_width and the flags when the domain is first attached
 * (intel_pasid_setup_nested()); with no attach step for nested domains
 * here, they are checked now, with the same errnos.
 */
static int
vtd_domain_alloc_nested(const struct hw_dev_desc *dev,
    const struct hw_domain *parent, unsigned int flags,
    const struct hw_data *data, struct hw_nested *nested)
{
	const struct vtd	*v = vtd_of(dev);
	struct iommu_hwpt_vtd_s1 s1;
	const uint8_t		*p = data->buf;
	size_t			 i;

	/*
	 * The guest's tables are first-stage ones: the spec has NEST imply
	 * FLTS, so a unit reporting NEST without it cannot walk them.
	 */
	if (!vtd_nested(v) || !vtd_flts(v) || (flags & ~HW_DOMAIN_PASID))
		return (-EOPNOTSUPP);
	if (data->type != IOMMU_HWPT_DATA_VTD_S1)
		return (-EOPNOTSUPP);
	if (parent == NULL || parent->pagetable_type != VTD_PT_SECOND ||
	    !(parent->flags & HW_DOMAIN_NEST_PARENT))
		return (-EINVAL);
	/* iommu_copy_struct_from_user(): up to __reserved, zeros after. */
	if (data->len < sizeof(s1))
		return (-EINVAL);
	for (i = sizeof(s1); i < data->len; i++) {
		if (p[i] != 0)
			return (-E2BIG);
	}
	memcpy(&s1, data->buf, sizeof(s1));
	if (s1.addr_width != 48 && s1.addr_width != 57)
		return (-EINVAL);
	if (s1.addr_width == 57 && !(v->cap & VTD_CAP_FL5LP))
		return (-EINVAL);
	if ((s1.flags & IOMMU_VTD_S1_SRE) && !(v->ecap & VTD_ECAP_SRS))
		return (-EINVAL);
	if ((s1.flags & IOMMU_VTD_S1_EAFE) && !(v->ecap & VTD_ECAP_EAFS))
		return (-EINVAL);
	memset(nested, 0, sizeof(*nested));
	nested->flags = flags;
	return (0);
}

/*
 * One IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 entry (intel_nested_cache_
 * invalidate_user()): at least 24 bytes, zeros after them; flags LEAF
 * only and __reserved 0, else EOPNOTSUPP; addr 4 KiB aligned, and
 * npages U64_MAX only with addr 0, else EINVAL. The IOTLB is not
 * modelled, so a good entry changes nothing. len 0 checks the type.
 */
static int
vtd_nested_invalidate(struct hw_nested *nested __unused,
    const struct hw_data *data)
{
	struct iommu_hwpt_vtd_s1_invalidate	 inv;
	const uint8_t				*p = data->buf;
	size_t					 i, n;

	if (data->type != IOMMU_HWPT_INVALIDATE_DATA_VTD_S1)
		return (-EINVAL);
	if (data->len == 0)
		return (0);
	if (data->len < sizeof(inv))
		return (-EINVAL);
	n = MIN(data->len, (size_t)HW_INVALIDATE_READ);
	for (i = sizeof(inv); i < n; i++) {
		if (p[i] != 0)
			return (-E2BIG);
	}
	memcpy(&inv, data->buf, sizeof(inv));
	if ((inv.flags & ~IOMMU_VTD_INV_FLAGS_LEAF) || inv.__reserved != 0)
		return (-EOPNOTSUPP);
	if ((inv.addr & (SZ_4K - 1)) != 0 ||
	    (inv.npages == UINT64_MAX && inv.addr != 0))
		return (-EINVAL);
	return (0);
}

/* A register value: a number in C's notation. 0 or -1. */
static int
vtd_num(const char *s, uint64_t *v)
{
	unsigned long long	 ull;
	char			*end;

	if (!isdigit((unsigned char)s[0]))
		return (-1);
	errno = 0;
	ull = strtoull(s, &end, 0);
	if (*end != '\0' || errno != 0)
		return (-1);
	*v = ull;
	return (0);
}

/* on or off: 1 or 0, -1 for anything else. */
static int
vtd_bool(const char *s)
{
	if (strcmp(s, "on") == 0)
		return (1);
	if (strcmp(s, "off") == 0)
		return (0);
	return (-1);
}

/* Set or clear bits in *reg as on says. */
static void
vtd_set(uint64_t *reg, uint64_t bits, int on)
{
	if (on)
		*reg |= bits;
	else
		*reg &= ~bits;
}

/*
 * One convenience key on the registers: 1 if it is one, 0 if not, -1
 * with err set for a bad value.
 */
static int
vtd_convenience(struct vtd *v, const struct hw_param *p, char *err,
    size_t errlen)
{
	uint64_t	 n;
	int		 b;

	if (strcmp(p->key, "aw-bits") == 0) {
		if (vtd_num(p->value, &n) != 0 || (n != 39 && n != 48 &&
		    n != 57)) {
			snprintf(err, errlen, "aw-bits must be 39, 48 or 57, "
			    "not \"%s\"", p->value);
			return (-1);
		}
		/* MGAW n - 1, and every SAGAW level up to n. */
		v->cap &= ~(VTD_CAP_MGAW_MASK | VTD_CAP_SAGAW_MASK);
		v->cap |= (n - 1) << 16 | VTD_CAP_SAGAW_39;
		if (n >= 48)
			v->cap |= VTD_CAP_SAGAW_48;
		if (n >= 57)
			v->cap |= VTD_CAP_SAGAW_57;
		return (1);
	}
	if (strcmp(p->key, "nd") == 0) {
		/* ND 7 is reserved (VT-d spec 11.4.2). */
		if (vtd_num(p->value, &n) != 0 || n > 6) {
			snprintf(err, errlen, "nd must be a number from 0 "
			    "(16 domain ids) to 6 (65536), not \"%s\"",
			    p->value);
			return (-1);
		}
		v->cap = (v->cap & ~VTD_CAP_ND_MASK) | n;
		return (1);
	}
	if (strcmp(p->key, "pasid-bits") == 0) {
		if (vtd_num(p->value, &n) != 0 || n > 20) {
			snprintf(err, errlen, "pasid-bits must be a number "
			    "from 0 (no PASID) to 20, not \"%s\"", p->value);
			return (-1);
		}
		/* Linux: max_pasids = 2 << PSS. */
		v->ecap &= ~(VTD_ECAP_PSS_MASK | VTD_ECAP_PASID);
		if (n != 0)
			v->ecap |= VTD_ECAP_PASID | (n - 1) << 35;
		return (1);
	}
	b = vtd_bool(p->value);
	if (strcmp(p->key, "caching-mode") == 0 && b >= 0)
		vtd_set(&v->cap, VTD_CAP_CM, b);
	else if (strcmp(p->key, "snoop-control") == 0 && b >= 0)
		vtd_set(&v->ecap, VTD_ECAP_SC, b);
	else if (strcmp(p->key, "nesting") == 0 && b >= 0) {
		/* The spec has NEST imply both stages: on sets all three. */
		vtd_set(&v->ecap, VTD_ECAP_NEST, b);
		if (b)
			v->ecap |= VTD_ECAP_FLTS | VTD_ECAP_SLTS;
	}
	else if (strcmp(p->key, "dirty-tracking") == 0 && b >= 0)
		vtd_set(&v->ecap, VTD_ECAP_SLADS | VTD_ECAP_SMPWC, b);
	else if (strcmp(p->key, "page-requests") == 0 && b >= 0)
		vtd_set(&v->ecap, VTD_ECAP_PRS, b);
	else if (strcmp(p->key, "caching-mode") == 0 ||
	    strcmp(p->key, "snoop-control") == 0 ||
	    strcmp(p->key, "nesting") == 0 ||
	    strcmp(p->key, "dirty-tracking") == 0 ||
	    strcmp(p->key, "page-requests") == 0) {
		snprintf(err, errlen, "%s must be on or off, not \"%s\"",
		    p->key, p->value);
		return (-1);
	} else
		return (0);
	return (1);
}

/*
 * The registers of the profile, then cap and ecap if given, then the
 * convenience keys in file order. The result must give some page table.
 */
static int
vtd_instance_init(struct hw_instance *inst, const char *profile,
    const struct hw_param *params, size_t nparams, char *err, size_t errlen)
{
	struct vtd	*v;
	size_t		 i;
	uint64_t	*reg;
	int		 rc;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-ENOMEM);
	}
	for (i = 0; i < nitems(vtd_profiles); i++) {
		if (profile == NULL || strcmp(vtd_profiles[i].name,
		    profile) == 0)
			break;
	}
	if (i == nitems(vtd_profiles)) {
		snprintf(err, errlen, "profile \"%s\" is not one of "
		    "intel-vtd's", profile);
		free(v);
		return (-EINVAL);
	}
	v->cap = vtd_profiles[i].cap;
	v->ecap = vtd_profiles[i].ecap;
	for (i = 0; i < nparams; i++) {
		if (strcmp(params[i].key, "cap") == 0)
			reg = &v->cap;
		else if (strcmp(params[i].key, "ecap") == 0)
			reg = &v->ecap;
		else
			continue;
		if (vtd_num(params[i].value, reg) != 0) {
			snprintf(err, errlen, "%s must be a 64-bit number "
			    "like 0x00d2008c222f0606, not \"%s\"",
			    params[i].key, params[i].value);
			free(v);
			return (-EINVAL);
		}
	}
	for (i = 0; i < nparams; i++) {
		if (strcmp(params[i].key, "cap") == 0 ||
		    strcmp(params[i].key, "ecap") == 0)
			continue;
		if ((rc = vtd_convenience(v, &params[i], err, errlen)) == 1)
			continue;
		if (rc == 0)
			snprintf(err, errlen, "unknown key \"%s\": intel-vtd "
			    "takes cap, ecap, aw-bits, nd, pasid-bits, "
			    "caching-mode, snoop-control, nesting, "
			    "dirty-tracking, page-requests", params[i].key);
		free(v);
		return (-EINVAL);
	}
	if (vtd_ss_bits(v) == 0 && !vtd_flts(v)) {
		snprintf(err, errlen, "cap: SAGAW 0x%x with MGAW %u leaves "
		    "no page table the unit can walk",
		    (unsigned int)VTD_CAP_SAGAW(v->cap), VTD_CAP_MGAW(v->cap));
		free(v);
		return (-EINVAL);
	}
	inst->priv = v;
	return (0);
}

static void
vtd_instance_fini(struct hw_instance *inst)
{
	struct vtd	*v = inst->priv;

	if (v != NULL) {
		free(v->did_used);
		free(v->dids);
	}
	free(v);
	inst->priv = NULL;
}

/* The number of domain ids: 2^(4 + 2 * ND) (Linux's cap_ndoms()). */
static uint32_t
vtd_ndoms(const struct vtd *v)
{
	return (1U << (4 + 2 * VTD_CAP_ND(v->cap)));
}

/* The row of the domain key, or NULL. */
static struct vtd_did *
vtd_did_find(struct vtd *v, const void *key)
{
	size_t	 i;

	for (i = 0; i < v->ndids; i++) {
		if (v->dids[i].key == key)
			return (&v->dids[i]);
	}
	return (NULL);
}

/*
 * domain_attach_iommu(): a domain's first attachment behind the unit
 * takes the lowest free id from VTD_DID_FIRST up, later ones count;
 * with none free, ENOSPC ("No free domain ids").
 */
static int
vtd_domain_id_get(const struct hw_instance *inst, const void *key)
{
	struct vtd	*v = inst->priv;
	struct vtd_did	*d;
	uint32_t	 n = vtd_ndoms(v), did;
	size_t		 cap;

	if ((d = vtd_did_find(v, key)) != NULL) {
		d->refs++;
		return (0);
	}
	if (v->did_used == NULL &&
	    (v->did_used = calloc((n + 63) / 64, sizeof(uint64_t))) == NULL)
		return (-ENOMEM);
	for (did = VTD_DID_FIRST; did < n; did++) {
		if (!(v->did_used[did / 64] & (1ULL << (did % 64))))
			break;
	}
	if (did >= n)
		return (-ENOSPC);
	if (v->ndids == v->capdids) {
		cap = v->capdids != 0 ? v->capdids * 2 : 16;
		if ((d = reallocarray(v->dids, cap, sizeof(*d))) == NULL)
			return (-ENOMEM);
		v->dids = d;
		v->capdids = cap;
	}
	d = &v->dids[v->ndids++];
	d->key = key;
	d->did = did;
	d->refs = 1;
	v->did_used[did / 64] |= 1ULL << (did % 64);
	return (0);
}

/* domain_detach_iommu(): the last attachment frees the domain's id. */
static void
vtd_domain_id_put(const struct hw_instance *inst, const void *key)
{
	struct vtd	*v = inst->priv;
	struct vtd_did	*d;

	if ((d = vtd_did_find(v, key)) == NULL || --d->refs != 0)
		return;
	v->did_used[d->did / 64] &= ~(1ULL << (d->did % 64));
	*d = v->dids[--v->ndids];
}

/* The two registers. */
static void
vtd_describe(const struct hw_instance *inst,
    void (*fn)(void *, const char *, uint64_t), void *arg)
{
	const struct vtd	*v = inst->priv;

	fn(arg, "cap", v->cap);
	fn(arg, "ecap", v->ecap);
}

/*
 * The PASID bits: PSS + 1 (Linux's max_pasids is 2 << PSS) in scalable
 * mode with ECAP.PASID, else none.
 */
static unsigned int
vtd_pasid_bits(const struct hw_instance *inst)
{
	const struct vtd	*v = inst->priv;

	if (!vtd_sm(v) || !(v->ecap & VTD_ECAP_PASID))
		return (0);
	return (VTD_ECAP_PSS(v->ecap) + 1);
}

/* Snoop control is ECAP.SC: the unit can make its domains enforce it. */
static int
vtd_snoop_control(const struct hw_instance *inst)
{
	const struct vtd	*v = inst->priv;

	return ((v->ecap & VTD_ECAP_SC) != 0);
}

const struct hw_model_ops hw_vtd_ops = {
	.version = HW_MODEL_VERSION,
	.name = "intel-vtd",
	.hw_info = vtd_hw_info,
	.capabilities = vtd_capabilities,
	.reserved_regions = vtd_reserved_regions,
	.domain_alloc_paging = vtd_domain_alloc_paging,
	.attach_check = vtd_attach_check,
	.domain_alloc_nested = vtd_domain_alloc_nested,
	.nested_invalidate = vtd_nested_invalidate,
	.profiles = vtd_profile_names,
	.instance_init = vtd_instance_init,
	.instance_fini = vtd_instance_fini,
	.describe = vtd_describe,
	.pasid_bits = vtd_pasid_bits,
	.snoop_control = vtd_snoop_control,
	.share_domains = 1,
	.domain_id_get = vtd_domain_id_get,
	.domain_id_put = vtd_domain_id_put,
};
