/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The "amd-vi" hardware model: an AMD IOMMU as Linux 7.3's amd_iommu
 * driver presents it through iommufd. Everything is derived from the two
 * feature registers (EFR, EFR2) an instance carries, plus one host fact,
 * whether the CPU runs 5-level paging (la57):
 *
 *   hw_info     type AMD {efr, efr2} (type NONE at uapi-level 6.12)
 *   paging      v1 table (4 KiB to 2^51 minus 512 GiB, host levels from
 *               HATS; HATS = 3 turns host translation off), or the v2
 *               table (4 KiB, 2 MiB, 1 GiB; 48 or 57 bits) for PASID
 *   coherency   always enforced (every v1 PTE has FC)
 *   reserved    the x86 MSI window, the HyperTransport hole unless EFR2
 *               says the hole is ignored
 *   dirty       HDSup; NEST_PARENT needs GTSup, GIOSup and EFR2's
 *               GCR3TRPMode; PASID needs GT, GIOSup, PPR, EPHSup
 *   PASIDs      min(device width, PASmax): Linux's (1 << (PASmax + 1)) - 1
 *               limit has log2 PASmax
 *   vIOMMU      any type but DEFAULT on a NEST_PARENT domain, no data
 *
 * Where the model stops, because 7.3 stops there: its vIOMMU has no
 * alloc_domain_nested, and the driver has no domain_alloc_nested, so no
 * nested domain (IOMMU_HWPT_DATA_AMD_GUEST) can be made; the guest DTE
 * check of 7.3's nested.c is here (amdvi_gdte_check) for the day one can.
 * No vDEVICE, invalidation, vEVENTQ or HW queue of its own either.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dispatch.h"
#include "core/util.h"
#include "hw/amdvi.h"
#include "hw/hw.h"

#include <linux/iommufd.h>
#include "uapi.h"

/* The x86 MSI window and the HyperTransport hole, inclusive. */
#define AMDVI_MSI_START		0xfee00000ULL
#define AMDVI_MSI_LAST		0xfeefffffULL
#define AMDVI_HT_START		0xfd00000000ULL
#define AMDVI_HT_LAST		0xffffffffffULL

/* v1 page sizes: every power of two from 4 KiB to 2^51 but 512 GiB. */
#define AMDVI_V1_PGSIZES	((((1ULL << 52) - 1) & ~((1ULL << 12) - 1)) \
				    ^ (1ULL << 39))
#define AMDVI_V2_PGSIZES	((1ULL << 12) | (1ULL << 21) | (1ULL << 30))

/* struct hw_domain.pagetable_type */
#define AMDVI_PT_V1		1
#define AMDVI_PT_V2		2

struct amdvi_profile {
	const char	*name;
	uint64_t	 efr;
	uint64_t	 efr2;
};

/*
 * qemu: QEMU 10's amd-iommu with its default properties (xtsup off):
 * PREFSup PPRSup GTSup IASup GASup HESup, HATS 2, GATS 2 (no GIOSup, so
 * no v2 table, no PASID, no nesting), EFR2 zero; a QEMU 10.0.2 guest
 * prints "AMD-Vi: Extended features (0x29d3, 0x0)" (tests/qemu/amdvi_efr.sh).
 * epyc-zen4-like: synthesized after a Zen 4 EPYC without SNP: GT and
 * GIOSup, PASmax 15, no host dirty bit.
 * nested: synthesized: the Zen 4 one with HASup, HDSup and GCR3TRPMode,
 * so dirty tracking and NEST_PARENT work.
 */
static const struct amdvi_profile amdvi_profiles[] = {
	{ "qemu",		0x00000000000029d3ULL, 0 },
	{ "epyc-zen4-like",	0x246577efa2254afaULL, 0x10 },
	{ "nested",		0x247777efa2254afaULL, 0x18 },
};

static const char *const amdvi_profile_names[] = {
	"qemu", "epyc-zen4-like", "nested", NULL,
};

/* Field width bits at shift of reg. */
static unsigned int
amdvi_field(uint64_t reg, unsigned int shift, unsigned int width)
{
	return ((unsigned int)((reg >> shift) & ((1ULL << width) - 1)));
}

/* Whether HATS is the reserved 3, which turns host (v1) tables off. */
static int
amdvi_hatdis(const struct amdvi *a)
{
	return (amdvi_field(a->efr, AMDVI_EFR_HATS_SHIFT, 2) == 3);
}

/* The v1 table's address bits: (levels - 1) * 9 + 21, at most 64. */
static unsigned int
amdvi_v1_vasize(const struct amdvi *a)
{
	unsigned int	 bits;

	bits = (amdvi_field(a->efr, AMDVI_EFR_HATS_SHIFT, 2) + 3) * 9 + 21;
	return (bits > 64 ? 64 : bits);
}

/* Whether the v2 (guest format) table exists: GTSup and GIOSup. */
static int
amdvi_v2_ok(const struct amdvi *a)
{
	return ((a->efr & AMDVI_EFR_GTSUP) && (a->efr & AMDVI_EFR_GIOSUP));
}

/* Whether guest tables are 5-level: the CPU's LA57 and GATS = 1. */
static int
amdvi_gpt5(const struct amdvi *a)
{
	return (a->la57 && amdvi_field(a->efr, AMDVI_EFR_GATS_SHIFT, 2) == 1);
}

/*
 * Whether PASIDs work: the v2 table with PPR and EPHSup, guest tables as
 * deep as the CPU's, and, with SNP, EFR2's page mode 0 support (the model
 * takes SNPSup for SNP enabled).
 */
static int
amdvi_pasid_ok(const struct amdvi *a)
{
	if (a->la57 && !amdvi_gpt5(a))
		return (0);
	if (!amdvi_v2_ok(a) || !(a->efr & AMDVI_EFR_PPRSUP) ||
	    !(a->efr & AMDVI_EFR_EPHSUP))
		return (0);
	if ((a->efr & AMDVI_EFR_SNPSUP) && !(a->efr2 & AMDVI_EFR2_SNPPGMODE0))
		return (0);
	return (1);
}

/* Whether host dirty tracking works: HDSup and host tables on. */
static int
amdvi_hd_ok(const struct amdvi *a)
{
	return (!amdvi_hatdis(a) && (a->efr & AMDVI_EFR_HDSUP));
}

/* Whether a NEST_PARENT domain can be made: GT, GIOSup, GCR3TRPMode. */
static int
amdvi_nest_ok(const struct amdvi *a)
{
	return ((a->efr & AMDVI_EFR_GTSUP) && (a->efr & AMDVI_EFR_GIOSUP) &&
	    (a->efr2 & AMDVI_EFR2_GCR3TRPMODE));
}

/* The instance's state. */
static const struct amdvi *
amdvi_of(const struct hw_dev_desc *dev)
{
	return (dev->hw->priv);
}

/*
 * 7.3's validate_gdte_nested() rules, in its order: Mode and the host
 * table root zero; a GCR3 root when V and GV are set; guest paging mode
 * 4- or 5-level; GLX not 3 (all -EINVAL); 5-level only on a 5-level host
 * (-EOPNOTSUPP).
 */
int
amdvi_gdte_check(const struct amdvi *a, const uint64_t dte[4])
{
	unsigned int	 gpt = amdvi_field(dte[2], AMDVI_DTE2_GPT_SHIFT, 2);

	if ((dte[0] & AMDVI_DTE0_MODE) || (dte[0] & AMDVI_DTE0_HOST_TRP))
		return (-EINVAL);
	if ((dte[0] & AMDVI_DTE0_V) && (dte[0] & AMDVI_DTE0_GV) &&
	    (dte[0] & AMDVI_DTE0_GCR3_14_12) == 0 &&
	    (dte[1] & (AMDVI_DTE1_GCR3_30_15 | AMDVI_DTE1_GCR3_51_31)) == 0)
		return (-EINVAL);
	if (gpt != 0 && gpt != 1)
		return (-EINVAL);
	if (amdvi_field(dte[0], AMDVI_DTE0_GLX_SHIFT, 2) == 3)
		return (-EINVAL);
	if (gpt == 1 && !amdvi_gpt5(a))
		return (-EOPNOTSUPP);
	return (0);
}

/* GET_HW_INFO: the AMD report; 6.12's driver had none (type NONE). */
static int
amdvi_hw_info(const struct hw_dev_desc *dev, uint32_t in_type,
    uint32_t *out_type, void *buf, size_t *len)
{
	const struct amdvi		*a = amdvi_of(dev);
	struct iommu_hw_info_amd	 info;

	if (dispatch_uapi_level() < UAPI_LEVEL_7_3) {
		if (in_type != IOMMU_HW_INFO_TYPE_DEFAULT)
			return (-EOPNOTSUPP);
		*out_type = IOMMU_HW_INFO_TYPE_NONE;
		*len = 0;
		return (0);
	}
	if (in_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    in_type != IOMMU_HW_INFO_TYPE_AMD)
		return (-EOPNOTSUPP);
	memset(&info, 0, sizeof(info));
	info.efr = a->efr;
	info.efr2 = a->efr2;
	memcpy(buf, &info, sizeof(info));
	*len = sizeof(info);
	*out_type = IOMMU_HW_INFO_TYPE_AMD;
	return (0);
}

/* Dirty tracking when the IOMMU has HDSup. */
static uint64_t
amdvi_capabilities(const struct hw_dev_desc *dev)
{
	return (amdvi_hd_ok(amdvi_of(dev)) ? IOMMU_HW_CAP_DIRTY_TRACKING : 0);
}

/* The MSI window, then the HyperTransport hole unless EFR2 ignores it. */
static int
amdvi_reserved_regions(const struct hw_dev_desc *dev,
    int (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	int	 rc;

	if ((rc = fn(arg, AMDVI_MSI_START, AMDVI_MSI_LAST)) != 0)
		return (rc);
	if (amdvi_of(dev)->efr2 & AMDVI_EFR2_HTRANGEIGN)
		return (0);
	return (fn(arg, AMDVI_HT_START, AMDVI_HT_LAST));
}

/* A v1 domain: -EOPNOTSUPP when host translation is off. */
static int
amdvi_domain_v1(const struct amdvi *a, struct hw_domain *dom)
{
	unsigned int	 bits = amdvi_v1_vasize(a);
	uint64_t	 last;

	if (amdvi_hatdis(a))
		return (-EOPNOTSUPP);
	last = bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1;
	dom->pgsize_bitmap = AMDVI_V1_PGSIZES & last;
	dom->aperture_start = 0;
	dom->aperture_last = last;
	dom->pagetable_type = AMDVI_PT_V1;
	return (0);
}

/* A v2 domain: -EOPNOTSUPP without the v2 table. */
static int
amdvi_domain_v2(const struct amdvi *a, struct hw_domain *dom)
{
	if (!amdvi_v2_ok(a))
		return (-EOPNOTSUPP);
	dom->pgsize_bitmap = AMDVI_V2_PGSIZES;
	dom->aperture_start = 0;
	/* Without its top bit, so it fits PASID 0 and the others alike. */
	dom->aperture_last = amdvi_gpt5(a) ? (1ULL << 56) - 1 :
	    (1ULL << 47) - 1;
	dom->pagetable_type = AMDVI_PT_V2;
	return (0);
}

/*
 * 7.3: DIRTY and NEST_PARENT (alone or together) get a v1 table if the
 * IOMMU has them, PASID alone a v2 table if PASIDs work, no flags the
 * v1 table (the v2 one when host translation is off); every other mix,
 * and any driver data, is EOPNOTSUPP. 6.12 took DIRTY or nothing.
 */
static int
amdvi_domain_alloc_paging(const struct hw_dev_desc *dev, unsigned int flags,
    const struct hw_data *data, struct hw_domain *dom)
{
	const struct amdvi	*a = amdvi_of(dev);
	int			 rc;

	if (data != NULL && data->type != 0)
		return (-EOPNOTSUPP);
	if (dispatch_uapi_level() < UAPI_LEVEL_7_3 &&
	    (flags & ~HW_DOMAIN_DIRTY))
		return (-EOPNOTSUPP);
	memset(dom, 0, sizeof(*dom));
	switch (flags) {
	case HW_DOMAIN_DIRTY:
	case HW_DOMAIN_NEST_PARENT:
	case HW_DOMAIN_DIRTY | HW_DOMAIN_NEST_PARENT:
		if ((flags & HW_DOMAIN_DIRTY) && !amdvi_hd_ok(a))
			return (-EOPNOTSUPP);
		if ((flags & HW_DOMAIN_NEST_PARENT) && !amdvi_nest_ok(a))
			return (-EOPNOTSUPP);
		rc = amdvi_domain_v1(a, dom);
		break;
	case HW_DOMAIN_PASID:
		if (!amdvi_pasid_ok(a))
			return (-EOPNOTSUPP);
		rc = amdvi_domain_v2(a, dom);
		break;
	case 0:
		if ((rc = amdvi_domain_v1(a, dom)) == -EOPNOTSUPP)
			rc = amdvi_domain_v2(a, dom);
		break;
	default:
		return (-EOPNOTSUPP);
	}
	if (rc != 0)
		return (rc);
	dom->flags = flags;
	return (0);
}

/* A dirty-tracking domain needs HDSup on the device's IOMMU. */
static int
amdvi_attach_check(const struct hw_dev_desc *dev, const struct hw_domain *dom)
{
	if ((dom->flags & HW_DOMAIN_DIRTY) && !amdvi_hd_ok(amdvi_of(dev)))
		return (-EINVAL);
	return (0);
}

/* Every PTE forces coherency: the answer is always yes. */
static int
amdvi_enforce_cache_coherency(struct hw_domain *dom)
{
	dom->enforce_cc = 1;
	return (0);
}

/*
 * 7.3 makes a vIOMMU of any type the core lets through (not DEFAULT),
 * on a NEST_PARENT domain, and reads no data; 6.12 had none.
 */
static int
amdvi_viommu_alloc(const struct hw_dev_desc *dev __unused, uint32_t type,
    void *buf __unused, size_t len __unused)
{
	if (dispatch_uapi_level() < UAPI_LEVEL_7_3)
		return (-EOPNOTSUPP);
	if (type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return (-EOPNOTSUPP);
	return (0);
}

/*
 * The PASID bits the IOMMU gives a device: PASmax, since Linux's limit
 * of (1 << (PASmax + 1)) - 1 PASIDs has log2 PASmax; 0 when PASIDs do
 * not work. A device gets the smaller of this and its own width.
 */
static unsigned int
amdvi_pasid_bits(const struct hw_instance *inst)
{
	const struct amdvi	*a = inst->priv;

	if (!amdvi_pasid_ok(a))
		return (0);
	return (amdvi_field(a->efr, AMDVI_EFR_PASMAX_SHIFT, 5));
}

/* A boolean override: 0 or 1, or -1. */
static int
amdvi_parse_bool(const char *s)
{
	if (strcmp(s, "1") == 0 || strcmp(s, "on") == 0 ||
	    strcmp(s, "yes") == 0 || strcmp(s, "true") == 0)
		return (1);
	if (strcmp(s, "0") == 0 || strcmp(s, "off") == 0 ||
	    strcmp(s, "no") == 0 || strcmp(s, "false") == 0)
		return (0);
	return (-1);
}

/* A 64-bit override (decimal, 0x hex or 0 octal): 0 or -EINVAL. */
static int
amdvi_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long	 ull;
	char			*end;

	if (*s == '\0' || *s == '-' || *s == ' ')
		return (-EINVAL);
	errno = 0;
	ull = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0')
		return (-EINVAL);
	*v = ull;
	return (0);
}

/* The EFR bit a boolean convenience key sets or clears, or 0. */
static uint64_t
amdvi_bool_key(const char *key)
{
	if (strcmp(key, "gtsup") == 0)
		return (AMDVI_EFR_GTSUP);
	if (strcmp(key, "giosup") == 0)
		return (AMDVI_EFR_GIOSUP);
	if (strcmp(key, "pprsup") == 0)
		return (AMDVI_EFR_PPRSUP);
	if (strcmp(key, "hdsup") == 0)
		return (AMDVI_EFR_HDSUP);
	if (strcmp(key, "snpsup") == 0)
		return (AMDVI_EFR_SNPSUP);
	return (0);
}

/* Apply one override to a: 0, or -EINVAL with err set. */
static int
amdvi_param(struct amdvi *a, const struct hw_param *p, char *err,
    size_t errlen)
{
	uint64_t	 v, bit;
	int		 b;

	if (strcmp(p->key, "efr") == 0 || strcmp(p->key, "efr2") == 0) {
		if (amdvi_parse_u64(p->value, &v) != 0)
			goto bad;
		if (strcmp(p->key, "efr") == 0)
			a->efr = v;
		else
			a->efr2 = v;
		return (0);
	}
	if (strcmp(p->key, "pasmax") == 0) {
		if (amdvi_parse_u64(p->value, &v) != 0 || v > 19)
			goto bad;
		a->efr &= ~(0x1fULL << AMDVI_EFR_PASMAX_SHIFT);
		a->efr |= v << AMDVI_EFR_PASMAX_SHIFT;
		return (0);
	}
	if (strcmp(p->key, "la57") == 0) {
		if ((b = amdvi_parse_bool(p->value)) < 0)
			goto bad;
		a->la57 = b;
		return (0);
	}
	if ((bit = amdvi_bool_key(p->key)) != 0) {
		if ((b = amdvi_parse_bool(p->value)) < 0)
			goto bad;
		if (b)
			a->efr |= bit;
		else
			a->efr &= ~bit;
		return (0);
	}
	snprintf(err, errlen, "unknown key \"%s\": model amd-vi takes efr, "
	    "efr2, pasmax, gtsup, giosup, pprsup, hdsup, snpsup, la57",
	    p->key);
	return (-EINVAL);
bad:
	snprintf(err, errlen, "%s: bad value \"%s\"", p->key, p->value);
	return (-EINVAL);
}

/* An instance from its profile and overrides: 0, or -errno with err. */
static int
amdvi_instance_init(struct hw_instance *inst, const char *profile,
    const struct hw_param *params, size_t nparams, char *err, size_t errlen)
{
	const struct amdvi_profile	*pr = NULL;
	struct amdvi			*a;
	size_t				 i;
	int				 rc;

	if (profile == NULL)
		profile = amdvi_profiles[0].name;
	for (i = 0; i < nitems(amdvi_profiles); i++) {
		if (strcmp(amdvi_profiles[i].name, profile) == 0)
			pr = &amdvi_profiles[i];
	}
	if (pr == NULL) {
		snprintf(err, errlen, "profile \"%s\" is not one of model "
		    "amd-vi's: qemu, epyc-zen4-like, nested", profile);
		return (-EINVAL);
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-ENOMEM);
	}
	a->efr = pr->efr;
	a->efr2 = pr->efr2;
	a->profile = pr->name;
	for (i = 0; i < nparams; i++) {
		if ((rc = amdvi_param(a, &params[i], err, errlen)) != 0) {
			free(a);
			return (rc);
		}
	}
	inst->priv = a;
	return (0);
}

/* Free what instance_init made. */
static void
amdvi_instance_fini(struct hw_instance *inst)
{
	free(inst->priv);
	inst->priv = NULL;
}

/* The two registers, for status. */
static void
amdvi_describe(const struct hw_instance *inst,
    void (*fn)(void *, const char *, uint64_t), void *arg)
{
	const struct amdvi	*a = inst->priv;

	fn(arg, "efr", a->efr);
	fn(arg, "efr2", a->efr2);
}

const struct hw_model_ops hw_amdvi_ops = {
	.version = HW_MODEL_VERSION,
	.name = "amd-vi",
	.hw_info = amdvi_hw_info,
	.capabilities = amdvi_capabilities,
	.reserved_regions = amdvi_reserved_regions,
	.domain_alloc_paging = amdvi_domain_alloc_paging,
	.attach_check = amdvi_attach_check,
	.enforce_cache_coherency = amdvi_enforce_cache_coherency,
	.viommu_alloc = amdvi_viommu_alloc,
	.profiles = amdvi_profile_names,
	.instance_init = amdvi_instance_init,
	.instance_fini = amdvi_instance_fini,
	.describe = amdvi_describe,
	.pasid_bits = amdvi_pasid_bits,
};
