/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Model plugins: the loader (names, missing files and symbols, another
 * ABI version, loaded once) and the sPAPR TCE plugin built in models/,
 * its profiles and overrides called directly, and a device behind it
 * bound and attached: the two DMA windows as IOVA ranges, its page sizes
 * and GET_HW_INFO type NONE.
 */
#include <errno.h>
#include <stdint.h>
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

#define GIB		(1ULL << 30)
#define DDW_START	(1ULL << 59)

static char	err[256];
static int	load_rc;

/* hw_model_load()'s model, or NULL with its errno in load_rc. */
static const struct hw_model_ops *
load(const char *dir, const char *name)
{
	const struct hw_model_ops	*ops;

	load_rc = hw_model_load(dir, name, &ops, err, sizeof(err));
	ck_assert((load_rc == 0) == (ops != NULL));
	return (ops);
}

/* The sPAPR TCE plugin, loaded (once) from the build's model dir. */
static const struct hw_model_ops *
tce_ops(void)
{
	const struct hw_model_ops	*ops;

	ops = load(IOASIDD_TEST_MODELDIR, "spapr-tce");
	ck_assert_msg(ops != NULL, "%s", err);
	return (ops);
}

/* Model names are words, never paths. */
START_TEST(plugin_names)
{
	ck_assert(hw_model_name_valid("spapr-tce"));
	ck_assert(hw_model_name_valid("a0"));
	ck_assert(!hw_model_name_valid(""));
	ck_assert(!hw_model_name_valid("-x"));
	ck_assert(!hw_model_name_valid("../spapr-tce"));
	ck_assert(!hw_model_name_valid("a/b"));
	ck_assert(!hw_model_name_valid("Spapr"));
	ck_assert(!hw_model_name_valid("x.so"));
	ck_assert(!hw_model_name_valid(
	    "abcdefghijabcdefghijabcdefghijab"));	/* 32 */
	ck_assert(hw_model_name_valid("abcdefghijabcdefghijabcdefghija"));
	ck_assert_ptr_null(load(IOASIDD_TEST_MODELDIR, "a/b"));
	ck_assert_int_eq(load_rc, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "never a path"));
}
END_TEST

/* Built-in models come first; plugins load once, refused ones never. */
START_TEST(plugin_load)
{
	const struct hw_model_ops	*ops;

	ck_assert_ptr_eq(load("/nonexistent", "plain"), &hw_plain_ops);
	ops = tce_ops();
	ck_assert_uint_eq(ops->version, HW_MODEL_VERSION);
	ck_assert_str_eq(ops->name, "spapr-tce");
	/* Once: the same ops, even from another directory. */
	ck_assert_ptr_eq(load("/nonexistent", "spapr-tce"), ops);

	ck_assert_ptr_null(load(IOASIDD_TEST_MODELDIR, "nosuch"));
	ck_assert_int_eq(load_rc, -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "nosuch.so"));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ck_assert_ptr_null(load("", "nosuch"));
	ck_assert_ptr_nonnull(strstr(err, "model-dir is empty"));

	ck_assert_ptr_null(load(IOASIDD_TEST_BADDIR, "old-abi"));
	ck_assert_int_eq(load_rc, -ENOEXEC);
	ck_assert_str_eq(err, "model old-abi: built for model ABI 2, this "
	    "ioasidd speaks 3; rebuild it against <ioasid/hw/hw.h>");
	ck_assert_ptr_null(load(IOASIDD_TEST_BADDIR, "no-symbol"));
	ck_assert_ptr_nonnull(strstr(err, "has no symbol ioasidd_hw_model"));
	ck_assert_ptr_null(load(IOASIDD_TEST_BADDIR, "misnamed"));
	ck_assert_ptr_nonnull(strstr(err, "calls itself \"other-name\""));
}
END_TEST

/* An instance of the plugin: init with profile and params, or err. */
static int
tce_init(struct hw_instance *inst, const char *profile,
    const struct hw_param *params, size_t n)
{
	memset(inst, 0, sizeof(*inst));
	inst->name = "tce0";
	inst->ops = tce_ops();
	inst->profile = profile;
	err[0] = '\0';
	return (inst->ops->instance_init(inst, profile, params, n, err,
	    sizeof(err)));
}

struct regs {
	uint64_t	 liobn, dma32_size, tce_sizes, ddw_start, ddw_size;
	unsigned int	 n;
};

static void
regs_fn(void *arg, const char *reg, uint64_t v)
{
	struct regs	*r = arg;

	r->n++;
	if (strcmp(reg, "liobn") == 0)
		r->liobn = v;
	else if (strcmp(reg, "dma32-size") == 0)
		r->dma32_size = v;
	else if (strcmp(reg, "tce-sizes") == 0)
		r->tce_sizes = v;
	else if (strcmp(reg, "ddw-start") == 0)
		r->ddw_start = v;
	else if (strcmp(reg, "ddw-size") == 0)
		r->ddw_size = v;
}

static int
range_fn(void *arg, uint64_t start, uint64_t last)
{
	uint64_t	*r = arg;

	r[0]++;
	r[1] = start;
	r[2] = last;
	return (0);
}

/* The profiles, and what each makes of a domain. */
START_TEST(tce_profiles)
{
	struct hw_instance	 inst;
	struct hw_dev_desc	 d = { .hw = &inst };
	struct hw_domain	 dom;
	struct regs		 r;
	uint64_t		 res[3];

	ck_assert_str_eq(tce_ops()->profiles[0], "pseries");
	ck_assert_int_eq(tce_init(&inst, NULL, NULL, 0), 0);
	memset(&r, 0, sizeof(r));
	inst.ops->describe(&inst, regs_fn, &r);
	ck_assert_uint_eq(r.liobn, 0x80000000);
	ck_assert_uint_eq(r.dma32_size, GIB);
	ck_assert_uint_eq(r.tce_sizes, 0x1011000);
	ck_assert_uint_eq(r.ddw_start, DDW_START);
	ck_assert_uint_ge(r.n, 7);
	ck_assert_int_eq(inst.ops->domain_alloc_paging(&d, 0, NULL, &dom), 0);
	ck_assert_uint_eq(dom.pgsize_bitmap, 0x1011000);
	ck_assert_uint_eq(dom.aperture_start, 0);
	ck_assert_uint_eq(dom.aperture_last, DDW_START + r.ddw_size - 1);
	memset(res, 0, sizeof(res));
	ck_assert_int_eq(inst.ops->reserved_regions(&d, range_fn, res), 0);
	ck_assert_uint_eq(res[0], 1);
	ck_assert_uint_eq(res[1], GIB);
	ck_assert_uint_eq(res[2], DDW_START - 1);
	/* No dirty tracking, nesting or PASID; no domain data. */
	ck_assert_int_eq(inst.ops->domain_alloc_paging(&d, HW_DOMAIN_DIRTY,
	    NULL, &dom), -EOPNOTSUPP);
	ck_assert_int_eq(inst.ops->domain_alloc_paging(&d,
	    HW_DOMAIN_NEST_PARENT, NULL, &dom), -EOPNOTSUPP);
	ck_assert_ptr_null(inst.ops->hw_info);
	ck_assert_ptr_null(inst.ops->domain_alloc_nested);
	inst.ops->instance_fini(&inst);
	ck_assert_ptr_null(inst.priv);

	ck_assert_int_eq(tce_init(&inst, "pseries-16m", NULL, 0), 0);
	ck_assert_int_eq(inst.ops->domain_alloc_paging(&d, 0, NULL, &dom), 0);
	ck_assert_uint_eq(dom.pgsize_bitmap, (1ULL << 12) | (1ULL << 24));
	inst.ops->instance_fini(&inst);

	/* No DDW: one window, no hole, only its TCE size. */
	ck_assert_int_eq(tce_init(&inst, "pseries-nodw", NULL, 0), 0);
	ck_assert_int_eq(inst.ops->domain_alloc_paging(&d, 0, NULL, &dom), 0);
	ck_assert_uint_eq(dom.pgsize_bitmap, 1ULL << 12);
	ck_assert_uint_eq(dom.aperture_last, GIB - 1);
	memset(res, 0, sizeof(res));
	ck_assert_int_eq(inst.ops->reserved_regions(&d, range_fn, res), 0);
	ck_assert_uint_eq(res[0], 0);
	inst.ops->instance_fini(&inst);

	ck_assert_int_eq(tce_init(&inst, "powernv", NULL, 0), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown profile \"powernv\""));
	ck_assert_ptr_null(inst.priv);
}
END_TEST

/* Overrides by key, and each bad one refused naming its key. */
START_TEST(tce_overrides)
{
	static const struct {
		const char	*key, *value, *says;
	} bad[] = {
		{ "liobn", "0x100000000", "liobn" },
		{ "liobn", "x", "bad liobn" },
		{ "dma32-size", "0", "dma32-size" },
		{ "dma32-size", "8G", "dma32-size" },
		{ "dma32-size", "6K", "dma32-size" },
		{ "dma32-pgshift", "13", "dma32-pgshift 13 is not one" },
		{ "dma32-pgshift", "99", "bad dma32-pgshift" },
		{ "tce-sizes", "64K,16M", "dma32-pgshift 12 is not one" },
		{ "tce-sizes", "4K,,16M", "bad tce-sizes" },
		{ "tce-sizes", "4K,3M", "bad tce-sizes" },
		{ "tce-sizes", "", "bad tce-sizes" },
		{ "ddw-start", "0x1000", "ddw-start" },
		{ "ddw-start", "0x800000000001000", "ddw-start" },
		{ "ddw-size", "0x1000", "ddw-size" },
		{ "ddw-size", "0xf900000000000000", "ddw-size" },
		{ "ddw-size", "99999999999T", "bad ddw-size" },
		{ "levels", "2", "unknown key levels" },
	};
	struct hw_instance	 inst;
	struct hw_dev_desc	 d = { .hw = &inst };
	struct hw_domain	 dom;
	struct hw_param		 p[4];
	size_t			 i;

	p[0] = (struct hw_param){ "liobn", "0x80000100", 3 };
	p[1] = (struct hw_param){ "dma32-size", "2G", 4 };
	p[2] = (struct hw_param){ "ddw-start", "0x10000000000", 5 };
	p[3] = (struct hw_param){ "ddw-size", "16G", 6 };
	ck_assert_int_eq(tce_init(&inst, "pseries", p, 4), 0);
	ck_assert_int_eq(inst.ops->domain_alloc_paging(&d, 0, NULL, &dom), 0);
	ck_assert_uint_eq(dom.aperture_last, 0x10000000000ULL + 16 * GIB - 1);
	inst.ops->instance_fini(&inst);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p[0] = (struct hw_param){ bad[i].key, bad[i].value, 7 };
		ck_assert_msg(tce_init(&inst, NULL, p, 1) == -EINVAL, "%s = %s taken",
		    bad[i].key, bad[i].value);
		ck_assert_msg(strstr(err, bad[i].says) != NULL,
		    "%s = %s: \"%s\"", bad[i].key, bad[i].value, err);
		ck_assert_ptr_null(inst.priv);
	}
}
END_TEST

/*
 * A device behind the plugin: attached to an IOAS, IOVA_RANGES shows the
 * two windows; maps in the hole or misaligned fail; GET_HW_INFO is NONE.
 */
START_TEST(tce_device)
{
	struct iommu_iova_range		 r[4];
	struct iommu_ioas_iova_ranges	 q;
	struct iommu_hw_info		 hi;
	struct iommu_ioas_map		 m;
	struct hw_instance		 inst;
	struct edev			 e;
	struct device			*dev;
	uint32_t			 ioas = test_ioas_new(), id, pt;
	void				*buf;

	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
	ck_assert_int_eq(tce_init(&inst, NULL, NULL, 0), 0);
	device_edev_init(&e, "tce-dev", &inst, 0x10, 0, 0);
	ck_assert_int_eq(device_bind(tctx, &e, &dev, &id), 0);
	pt = ioas;
	ck_assert_int_eq(device_attach(dev, DEVICE_NO_PASID, &pt), 0);

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.ioas_id = ioas;
	q.num_iovas = 4;
	q.allowed_iovas = (uintptr_t)r;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	ck_assert_uint_eq(q.num_iovas, 2);
	ck_assert_uint_eq(r[0].start, 0);
	ck_assert_uint_eq(r[0].last, GIB - 1);
	ck_assert_uint_eq(r[1].start, DDW_START);
	ck_assert_uint_eq(r[1].last, DDW_START + 64 * GIB - 1);
	ck_assert_uint_eq(q.out_iova_alignment, 4096);

	buf = aligned_alloc(1 << 16, 1 << 16);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 0x5a, 1 << 16);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)buf;
	m.length = 1 << 16;
	m.iova = 2 * GIB;			/* the hole */
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EINVAL);
	m.iova = DDW_START + 0x800;		/* below one TCE */
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), -EINVAL);
	m.iova = DDW_START;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), 0);

	memset(&hi, 0, sizeof(hi));
	hi.size = sizeof(hi);
	hi.dev_id = id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_GET_HW_INFO, &hi), 0);
	ck_assert_uint_eq(hi.out_data_type, IOMMU_HW_INFO_TYPE_NONE);
	ck_assert_uint_eq(hi.data_len, 0);
	hi.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	hi.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_GET_HW_INFO, &hi),
	    -EOPNOTSUPP);

	device_unbind(dev);
	inst.ops->instance_fini(&inst);
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
	free(buf);
}
END_TEST

static Suite *
plugin_suite(void)
{
	Suite	*s = suite_create("plugin");
	TCase	*tc = test_tcase(s, "plugin");

	tcase_add_test(tc, plugin_names);
	tcase_add_test(tc, plugin_load);
	tcase_add_test(tc, tce_profiles);
	tcase_add_test(tc, tce_overrides);
	tcase_add_test(tc, tce_device);
	return (s);
}
SUITE(plugin_suite)
