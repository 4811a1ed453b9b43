/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Global PASIDs (iommufd/pasid.h): the allocator's lowest-free rule and
 * width bound, one translation per vPASID in a context, ENOSPC that
 * changes nothing, and through devices of pasid-policy = global the
 * translation kept per device, freed on detach and unbind, and the
 * table IOASIDD_PASIDS reads.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "conf.h"
#include "core/ctx.h"
#include "hw/hw.h"
#include "iommufd/device.h"
#include "iommufd/objs.h"
#include "iommufd/pasid.h"
#include "helpers.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "ioasidd_pasid.h"

/* Two contexts' keys: the allocator only compares them. */
static int	 key_a, key_b;
#define CA	((struct ctx *)&key_a)
#define CB	((struct ctx *)&key_b)

/* pasid_get's pPASID, failing the test on an error. */
static uint32_t
get(struct ctx *ctx, uint32_t vpasid, unsigned int width)
{
	uint32_t	 p = 0;

	ck_assert_int_eq(pasid_get(ctx, vpasid, width, &p), 0);
	ck_assert_uint_ne(p, 0);
	ck_assert_uint_lt(p, 1U << width);
	return (p);
}

/* Lowest free first, shared in a context, distinct across contexts. */
START_TEST(allocation)
{
	unsigned int	 base = pasid_allocated();
	uint32_t	 a5, b5, a6, p;

	a5 = get(CA, 5, 20);
	b5 = get(CB, 5, 20);
	ck_assert_uint_ne(a5, b5);
	ck_assert_uint_eq(get(CA, 5, 20), a5);	/* a second holder */
	a6 = get(CA, 6, 20);
	ck_assert_uint_ne(a6, a5);
	ck_assert_uint_ne(a6, b5);
	ck_assert_uint_eq(pasid_allocated(), base + 3);
	/* The first hold goes, the row stays; the second frees it. */
	pasid_put(CA, 5);
	ck_assert_uint_eq(pasid_allocated(), base + 3);
	pasid_put(CA, 5);
	ck_assert_uint_eq(pasid_allocated(), base + 2);
	/* The lowest free pPASID is a5 again, for another vPASID. */
	p = get(CA, 900, 20);
	ck_assert_uint_eq(p, a5);
	pasid_put(CA, 900);
	pasid_put(CA, 6);
	pasid_put(CB, 5);
	/* Dropping what is not held changes nothing. */
	pasid_put(CB, 5);
	ck_assert_uint_eq(pasid_allocated(), base);
}
END_TEST

struct rows {
	struct pasid_map	 m[8];
	unsigned int		 n;
};

static int
collect(void *arg, const struct pasid_map *m)
{
	struct rows	*r = arg;

	ck_assert_uint_lt(r->n, 8);
	r->m[r->n++] = *m;
	return (0);
}

/* A 2-bit width has pPASIDs 1 to 3; the fourth is ENOSPC. */
START_TEST(enospc_small_width)
{
	unsigned int	 base = pasid_allocated();
	struct rows	 r;
	uint32_t	 p = 77;

	ck_assert_uint_eq(base, 0);
	ck_assert_uint_eq(get(CA, 10, 2), 1);
	ck_assert_uint_eq(get(CA, 11, 2), 2);
	ck_assert_uint_eq(get(CB, 10, 2), 3);
	ck_assert_int_eq(pasid_get(CB, 11, 2, &p), -ENOSPC);
	ck_assert_uint_eq(p, 77);
	ck_assert_uint_eq(pasid_allocated(), 3);
	/* A wider device still finds room, above the narrow ones. */
	ck_assert_uint_eq(get(CB, 11, 3), 4);
	/* The context's pPASID 4 does not fit a 2-bit device: ENOSPC. */
	ck_assert_int_eq(pasid_get(CB, 11, 2, &p), -ENOSPC);
	ck_assert_int_eq(pasid_get(CA, 12, 0, &p), -ENOSPC);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(pasid_walk(CB, collect, &r), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.m[0].vpasid, 10);
	ck_assert_uint_eq(r.m[0].ppasid, 3);
	ck_assert_uint_eq(r.m[1].vpasid, 11);
	ck_assert_uint_eq(r.m[1].ppasid, 4);
	ck_assert_uint_eq(r.m[1].users, 1);
	pasid_put(CA, 11);
	ck_assert_uint_eq(get(CB, 12, 2), 2);
	pasid_put(CA, 10);
	pasid_put(CB, 10);
	pasid_put(CB, 11);
	pasid_put(CB, 12);
	ck_assert_uint_eq(pasid_allocated(), 0);
}
END_TEST

/* A PASID-capable paging HWPT for device dev_id in ctx on IOAS ioas. */
static uint32_t
pasid_hwpt(struct ctx *ctx, uint32_t dev_id, uint32_t ioas)
{
	struct iommu_hwpt_alloc	h;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_ALLOC_PASID;
	h.dev_id = dev_id;
	h.pt_id = ioas;
	ck_assert_int_eq(test_ioctl(ctx, IOMMU_HWPT_ALLOC, &h), 0);
	return (h.out_hwpt_id);
}

/* IOASIDD_PASIDS on ctx with room for max rows: 0 or -errno. */
static long
table(struct ctx *ctx, struct ioasidd_pasid_entry *e, uint32_t max,
    uint32_t *n)
{
	struct ioasidd_pasids	 c;
	long			 rc;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.num_entries = max;
	c.entries = (uintptr_t)e;
	rc = test_ioctl(ctx, IOASIDD_PASIDS, &c);
	*n = c.num_entries;
	return (rc);
}

/* A device of policy global, PASID width 2, behind the mock. */
static void
edev_global(struct edev *e, const char *name, uint32_t rid)
{
	device_edev_init(e, name, &hw_mock_instance, rid, 2, HW_DEV_PASID);
	e->pasid_policy = CONF_PASID_GLOBAL;
}

/*
 * Devices: the caller's vPASIDs are kept, the pPASIDs are host-unique
 * across contexts, shared within one, freed on detach and unbind; a
 * per-rid device keeps vPASID = pPASID and shows no rows.
 */
START_TEST(devices)
{
	struct ioasidd_pasid_entry	 e[4];
	struct iommu_ioas_alloc		 ia;
	struct edev			 ea, eb, ec, ed;
	struct device			*a, *b, *c, *d;
	struct ctx			*c2 = test_ctx_new();
	uint32_t			 ioas = test_ioas_new(), ida, idb, idc;
	uint32_t			 idd, h1, h2, pt, n, v;

	edev_global(&ea, "a", 0x08);
	edev_global(&eb, "b", 0x10);
	edev_global(&ed, "d", 0x20);
	device_edev_init(&ec, "c", &hw_mock_instance, 0x18, 2, HW_DEV_PASID);
	ck_assert_int_eq(device_bind(tctx, &ea, &a, &ida), 0);
	ck_assert_int_eq(device_bind(tctx, &eb, &b, &idb), 0);
	ck_assert_int_eq(device_bind(tctx, &ec, &c, &idc), 0);
	ck_assert_int_eq(device_bind(c2, &ed, &d, &idd), 0);
	h1 = pasid_hwpt(tctx, ida, ioas);
	memset(&ia, 0, sizeof(ia));
	ia.size = sizeof(ia);
	ck_assert_int_eq(test_ioctl(c2, IOMMU_IOAS_ALLOC, &ia), 0);
	h2 = pasid_hwpt(c2, idd, ia.out_ioas_id);

	/* A takes vPASIDs 1 to 3: pPASIDs 1 to 3, all there are. */
	for (v = 1; v <= 3; v++) {
		pt = h1;
		ck_assert_int_eq(device_attach(a, v, &pt), 0);
		ck_assert_uint_eq(device_ppasid(a, v), v);
	}
	/* B shares the context's translation of vPASID 3. */
	pt = h1;
	ck_assert_int_eq(device_attach(b, 3, &pt), 0);
	ck_assert_uint_eq(device_ppasid(b, 3), 3);
	/* Per-rid C uses the wire PASID it was given, none allocated. */
	pt = h1;
	ck_assert_int_eq(device_attach(c, 1, &pt), 0);
	ck_assert_uint_eq(device_ppasid(c, 1), 1);
	ck_assert_uint_eq(pasid_allocated(), 3);

	/* The other context is out of pPASIDs: ENOSPC, nothing changes. */
	pt = h2;
	ck_assert_int_eq(device_attach(d, 1, &pt), -ENOSPC);
	ck_assert_uint_eq(pt, h2);
	ck_assert_uint_eq(device_attached_id(d, 1), 0);
	ck_assert_uint_eq(table(c2, e, 4, &n), 0);
	ck_assert_uint_eq(n, 0);

	/* The table: vPASID order, holders counted; EMSGSIZE if short. */
	memset(e, 0xff, sizeof(e));
	ck_assert_int_eq(table(tctx, e, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(e[0].vpasid, 1);
	ck_assert_uint_eq(e[0].ppasid, 1);
	ck_assert_uint_eq(e[0].users, 1);
	ck_assert_uint_eq(e[0].__reserved, 0);
	ck_assert_uint_eq(e[2].vpasid, 3);
	ck_assert_uint_eq(e[2].users, 2);
	ck_assert_uint_eq(e[3].vpasid, 0xffffffff);
	ck_assert_int_eq(table(tctx, e, 1, &n), -EMSGSIZE);
	ck_assert_uint_eq(n, 3);

	/* Detach frees pPASID 2; D gets it for its vPASID 1. */
	ck_assert_int_eq(device_detach(a, 2), 0);
	ck_assert_uint_eq(device_ppasid(a, 2), DEVICE_NO_PASID);
	ck_assert_uint_eq(pasid_allocated(), 2);
	pt = h2;
	ck_assert_int_eq(device_attach(d, 1, &pt), 0);
	ck_assert_uint_eq(device_ppasid(d, 1), 2);
	ck_assert_int_eq(table(c2, e, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(e[0].vpasid, 1);
	ck_assert_uint_eq(e[0].ppasid, 2);

	/* Unbinding A leaves vPASID 3 to B; B's unbind frees it. */
	device_unbind(a);
	ck_assert_uint_eq(pasid_allocated(), 2);
	ck_assert_int_eq(table(tctx, e, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(e[0].vpasid, 3);
	ck_assert_uint_eq(e[0].users, 1);
	device_unbind(b);
	device_unbind(c);
	ck_assert_uint_eq(pasid_allocated(), 1);
	/* Closing the other context frees the rest. */
	device_unbind(d);
	ctx_free(c2);
	ck_assert_uint_eq(pasid_allocated(), 0);
}
END_TEST

/* Flags and __reserved are EOPNOTSUPP. */
START_TEST(bad_args)
{
	struct ioasidd_pasids	 c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = 1;
	ck_assert_int_eq(test_ioctl(tctx, IOASIDD_PASIDS, &c), -EOPNOTSUPP);
	c.flags = 0;
	c.__reserved = 1;
	ck_assert_int_eq(test_ioctl(tctx, IOASIDD_PASIDS, &c), -EOPNOTSUPP);
	c.__reserved = 0;
	c.num_entries = 5;
	ck_assert_int_eq(test_ioctl(tctx, IOASIDD_PASIDS, &c), 0);
	ck_assert_uint_eq(c.num_entries, 0);
}
END_TEST

static Suite *
pasid_suite(void)
{
	Suite	*s = suite_create("pasid");
	TCase	*tc = test_tcase(s, "global");

	tcase_add_test(tc, allocation);
	tcase_add_test(tc, enospc_small_width);
	tcase_add_test(tc, devices);
	tcase_add_test(tc, bad_args);
	return (s);
}

SUITE(pasid_suite)
