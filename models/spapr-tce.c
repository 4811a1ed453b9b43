/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The POWER sPAPR TCE IOMMU as a model plugin ("model = spapr-tce"), as
 * far as the iommufd uAPI can say it.
 *
 * A PCI host bridge of a pseries machine translates DMA through TCE
 * tables, one per DMA window: the default 32-bit window at bus address 0
 * (4 KiB TCEs) and, once the guest asks for it, a dynamic 64-bit window
 * (DDW) at a high bus address with larger TCEs. Bus addresses are
 * absolute: the windows filter, and everything between them faults. The
 * guest names each table by its LIOBN (logical I/O bus number).
 *
 * iommufd has one paging domain per device attachment, so both windows
 * become one domain: its aperture runs from the 32-bit window's start to
 * the DDW's end, the gap between them is a reserved region, and its page
 * sizes are the TCE sizes (only the 32-bit window's size when there is no
 * DDW). IOMMU_IOAS_IOVA_RANGES after an attach therefore shows the two
 * windows as two islands. There is no IOMMU_HW_INFO_TYPE for POWER, so
 * GET_HW_INFO reports type NONE as for any driver without hw_info; no
 * dirty tracking, nesting, PASID or vIOMMU; always cache coherent.
 *
 * Not expressible through iommufd: creating and removing a DDW at run
 * time (VFIO_IOMMU_SPAPR_TCE_CREATE/REMOVE), the DDW query, TCE kill,
 * memory pre-registration, and linking the group to a LIOBN's table with
 * KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE (a VFIO group ioctl on the kvm-vfio
 * device). The LIOBN is kept and reported by describe only.
 *
 * Built on its own: cc -shared -fPIC -I<include> -o spapr-tce.so
 * spapr-tce.c, against the installed <ioasid/hw/hw.h>.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ioasid/hw/hw.h>

#define TCE_UNUSED	__attribute__((__unused__))
#define TCE_PAGE(s)	(1ULL << (s))

/* One instance's geometry. */
struct tce_conf {
	uint64_t	 liobn;		/* of the 32-bit window's table */
	uint64_t	 dma32_size;	/* the window is [0, dma32_size) */
	uint64_t	 dma32_pgshift;	/* its TCE size */
	uint64_t	 tce_sizes;	/* bitmap of the TCE sizes offered */
	uint64_t	 ddw_start;	/* the DDW: [ddw_start, + ddw_size) */
	uint64_t	 ddw_size;	/* 0: no DDW */
};

/*
 * The profiles. "pseries" is QEMU's spapr-pci-host-bridge default: LIOBN
 * SPAPR_PCI_LIOBN(0, 0) = 0x80000000, a 1 GiB 32-bit window at 0 with
 * 4 KiB TCEs, TCE sizes 4K|64K|16M ("pgsz") and the 64-bit window at bus
 * address 1 << 59 ("dma64_win_addr"). The DDW's size is the guest's
 * choice at run time (usually all of its RAM): 64 GiB here is
 * synthesized. "pseries-16m" offers only 4 KiB (the 32-bit window) and
 * 16 MiB TCEs, as a guest backed by 16 MiB huge pages gets (synthesized).
 * "pseries-nodw" is a bridge with ddw=off: the 32-bit window alone.
 */
static const char *const tce_profiles[] = {
	"pseries", "pseries-16m", "pseries-nodw", NULL
};

static const struct tce_conf tce_profile_conf[] = {
	{ 0x80000000, 1ULL << 30, 12,
	  TCE_PAGE(12) | TCE_PAGE(16) | TCE_PAGE(24),
	  1ULL << 59, 64ULL << 30 },
	{ 0x80000000, 1ULL << 30, 12, TCE_PAGE(12) | TCE_PAGE(24),
	  1ULL << 59, 64ULL << 30 },
	{ 0x80000000, 1ULL << 30, 12, TCE_PAGE(12), 0, 0 },
};

/* The conf of the device's instance (the default profile when none). */
static const struct tce_conf *
tce_conf_of(const struct hw_dev_desc *dev)
{
	if (dev->hw != NULL && dev->hw->priv != NULL)
		return (dev->hw->priv);
	return (&tce_profile_conf[0]);
}

/* The domain's page sizes: every TCE size with a DDW, else the 32-bit's. */
static uint64_t
tce_pgsizes(const struct tce_conf *c)
{
	if (c->ddw_size == 0)
		return (TCE_PAGE(c->dma32_pgshift));
	return (c->tce_sizes | TCE_PAGE(c->dma32_pgshift));
}

/*
 * The largest TCE size: the DDW's bounds are aligned to it, so that a
 * window of any offered TCE size fits them.
 */
static uint64_t
tce_max_page(const struct tce_conf *c)
{
	uint64_t	 m = c->tce_sizes;

	while ((m & (m - 1)) != 0)
		m &= m - 1;
	return (m);
}

/*
 * Parse a number: decimal, 0x hex or 0 octal, with an optional K, M, G
 * or T (powers of 1024). 0 or -EINVAL.
 */
static int
tce_parse_number(const char *s, uint64_t *out)
{
	unsigned long long	 v;
	unsigned int		 shift = 0;
	char			*end;

	if (s == NULL || *s < '0' || *s > '9')
		return (-EINVAL);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0)
		return (-EINVAL);
	switch (*end) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end != '\0')
		return (-EINVAL);
	if (shift != 0 && v > (UINT64_MAX >> shift))
		return (-EINVAL);
	*out = (uint64_t)v << shift;
	return (0);
}

/*
 * Parse tce-sizes: a comma-separated list of powers of two from 4K to
 * 16G ("4K,64K,16M"). 0 or -EINVAL.
 */
static int
tce_parse_sizes(const char *s, uint64_t *out)
{
	char		 word[32];
	const char	*comma;
	uint64_t	 v, bits = 0;
	size_t		 n;

	for (;;) {
		comma = strchr(s, ',');
		n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (n == 0 || n >= sizeof(word))
			return (-EINVAL);
		memcpy(word, s, n);
		word[n] = '\0';
		if (tce_parse_number(word, &v) != 0 || v < 4096 ||
		    v > (16ULL << 30) || (v & (v - 1)) != 0)
			return (-EINVAL);
		bits |= v;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	*out = bits;
	return (0);
}

/*
 * Check a geometry: 0, or -EINVAL with the reason in err naming the key.
 */
static int
tce_conf_check(const struct tce_conf *c, char *err, size_t errlen)
{
	uint64_t	 pg = TCE_PAGE(c->dma32_pgshift);

	if (c->liobn > UINT32_MAX) {
		snprintf(err, errlen, "liobn 0x%" PRIx64 " is wider than 32 "
		    "bits", c->liobn);
		return (-EINVAL);
	}
	if ((c->tce_sizes & pg) == 0) {
		snprintf(err, errlen, "dma32-pgshift %" PRIu64 " is not one "
		    "of tce-sizes", c->dma32_pgshift);
		return (-EINVAL);
	}
	if (c->dma32_size == 0 || c->dma32_size > (1ULL << 32) ||
	    (c->dma32_size & (pg - 1)) != 0) {
		snprintf(err, errlen, "dma32-size 0x%" PRIx64 " must be a "
		    "multiple of the TCE size, at most 4G", c->dma32_size);
		return (-EINVAL);
	}
	if (c->ddw_size == 0)
		return (0);
	if (c->ddw_start < c->dma32_size ||
	    (c->ddw_start & (tce_max_page(c) - 1)) != 0) {
		snprintf(err, errlen, "ddw-start 0x%" PRIx64 " must lie above "
		    "the 32-bit window, aligned to the largest TCE", c->ddw_start);
		return (-EINVAL);
	}
	if ((c->ddw_size & (tce_max_page(c) - 1)) != 0 ||
	    c->ddw_start + (c->ddw_size - 1) < c->ddw_start) {
		snprintf(err, errlen, "ddw-size 0x%" PRIx64 " must be whole "
		    "largest TCEs and end below 2^64", c->ddw_size);
		return (-EINVAL);
	}
	return (0);
}

/*
 * Build the instance's geometry from a profile (NULL: "pseries") and the
 * overrides. 0, -EINVAL with err naming the profile or key, or -ENOMEM.
 */
static int
tce_instance_init(struct hw_instance *inst, const char *profile,
    const struct hw_param *params, size_t nparams, char *err, size_t errlen)
{
	struct tce_conf	 c, *priv;
	uint64_t	 v;
	size_t		 i, p = 0;
	int		 rc;

	if (profile != NULL) {
		for (p = 0; tce_profiles[p] != NULL; p++) {
			if (strcmp(tce_profiles[p], profile) == 0)
				break;
		}
		if (tce_profiles[p] == NULL) {
			snprintf(err, errlen, "unknown profile \"%s\"; known "
			    "are pseries, pseries-16m, pseries-nodw", profile);
			return (-EINVAL);
		}
	}
	c = tce_profile_conf[p];
	for (i = 0; i < nparams; i++) {
		const char	*k = params[i].key, *val = params[i].value;

		if (strcmp(k, "tce-sizes") == 0)
			rc = tce_parse_sizes(val, &c.tce_sizes);
		else {
			rc = tce_parse_number(val, &v);
			if (rc != 0)
				;
			else if (strcmp(k, "liobn") == 0)
				c.liobn = v;
			else if (strcmp(k, "dma32-size") == 0)
				c.dma32_size = v;
			else if (strcmp(k, "dma32-pgshift") == 0) {
				if (v < 12 || v > 34)
					rc = -EINVAL;
				c.dma32_pgshift = v;
			} else if (strcmp(k, "ddw-start") == 0)
				c.ddw_start = v;
			else if (strcmp(k, "ddw-size") == 0)
				c.ddw_size = v;
			else {
				snprintf(err, errlen, "unknown key %s; known "
				    "are liobn, dma32-size, dma32-pgshift, "
				    "tce-sizes, ddw-start, ddw-size", k);
				return (-EINVAL);
			}
		}
		if (rc != 0) {
			snprintf(err, errlen, "bad %s \"%s\"", k, val);
			return (-EINVAL);
		}
	}
	if ((rc = tce_conf_check(&c, err, errlen)) != 0)
		return (rc);
	if ((priv = malloc(sizeof(*priv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-ENOMEM);
	}
	*priv = c;
	inst->priv = priv;
	return (0);
}

/* Free what instance_init made. */
static void
tce_instance_fini(struct hw_instance *inst)
{
	free(inst->priv);
	inst->priv = NULL;
}

/* Each value the instance reports, for status. */
static void
tce_describe(const struct hw_instance *inst,
    void (*fn)(void *arg, const char *reg, uint64_t value), void *arg)
{
	const struct tce_conf	*c = inst->priv != NULL ? inst->priv :
	    &tce_profile_conf[0];

	fn(arg, "liobn", c->liobn);
	fn(arg, "dma32-start", 0);
	fn(arg, "dma32-size", c->dma32_size);
	fn(arg, "dma32-pgshift", c->dma32_pgshift);
	fn(arg, "tce-sizes", c->tce_sizes);
	fn(arg, "ddw-start", c->ddw_start);
	fn(arg, "ddw-size", c->ddw_size);
	fn(arg, "max-dynamic-windows", c->ddw_size != 0 ? 1 : 0);
}

/*
 * The domain: one aperture over both windows, page sizes from the TCE
 * sizes. Dirty tracking, nesting and PASID: EOPNOTSUPP; no domain data.
 */
static int
tce_domain_alloc_paging(const struct hw_dev_desc *dev, unsigned int flags,
    const struct hw_data *data, struct hw_domain *dom)
{
	const struct tce_conf	*c = tce_conf_of(dev);

	if (flags != 0)
		return (-EOPNOTSUPP);
	if (data != NULL && data->type != 0)
		return (-EOPNOTSUPP);
	memset(dom, 0, sizeof(*dom));
	dom->pgsize_bitmap = tce_pgsizes(c);
	dom->aperture_start = 0;
	dom->aperture_last = c->ddw_size != 0 ?
	    c->ddw_start + (c->ddw_size - 1) : c->dma32_size - 1;
	return (0);
}

/* The hole between the windows: no TCE table translates it. */
static int
tce_reserved_regions(const struct hw_dev_desc *dev,
    int (*fn)(void *, uint64_t start, uint64_t last), void *arg)
{
	const struct tce_conf	*c = tce_conf_of(dev);

	if (c->ddw_size == 0 || c->ddw_start == c->dma32_size)
		return (0);
	return (fn(arg, c->dma32_size, c->ddw_start - 1));
}

/* Every device fits every domain of the same bridge. */
static int
tce_attach_check(const struct hw_dev_desc *dev TCE_UNUSED,
    const struct hw_domain *dom TCE_UNUSED)
{
	return (0);
}

/* TCE DMA is always cache coherent. */
static int
tce_enforce_cache_coherency(struct hw_domain *dom)
{
	dom->enforce_cc = 1;
	return (0);
}

const struct hw_model_ops ioasidd_hw_model = {
	.version = HW_MODEL_VERSION,
	.name = "spapr-tce",
	.reserved_regions = tce_reserved_regions,
	.domain_alloc_paging = tce_domain_alloc_paging,
	.attach_check = tce_attach_check,
	.enforce_cache_coherency = tce_enforce_cache_coherency,
	.profiles = tce_profiles,
	.instance_init = tce_instance_init,
	.instance_fini = tce_instance_fini,
	.describe = tce_describe,
};
