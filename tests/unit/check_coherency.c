/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Cache coherency: the snoop-control override of the mock and plain
 * models, enforcing HWPTs, the no-snoop device on an instance without
 * snoop control, and the KVM view that IOASIDD_COHERENCY reads, through
 * the 2013 KVM-VFIO thread's scenario (devices A and B in one VM, A
 * behind an IOMMU with snoop control, B behind one without, then B
 * removed).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "core/ctx.h"
#include "hw/hw.h"
#include "iommufd/device.h"
#include "iommufd/objs.h"
#include "helpers.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "ioasidd_coherency.h"

/* A new instance of model with snoop-control = sc (NULL: not given). */
static struct hw_instance *
inst_new(const char *name, const char *model, const char *sc)
{
	struct hw_param		 p = { "snoop-control", sc, 1 };
	struct hw_instance	*inst;
	char			 err[128];

	ck_assert_int_eq(hw_instance_new(name, model, NULL, &p,
	    sc != NULL ? 1 : 0, &inst, err, sizeof(err)), 0);
	return (inst);
}

/* IOASIDD_COHERENCY on tctx into *c: 0 or -errno. */
static long
coherency(struct ioasidd_coherency *c)
{
	memset(c, 0xff, sizeof(*c));
	c->size = sizeof(*c);
	c->flags = 0;
	return (test_ioctl(tctx, IOASIDD_COHERENCY, c));
}

/* Whether the paging HWPT id enforces cache coherency. */
static int
enforcing(uint32_t id)
{
	struct obj	*obj = obj_find(tctx, id, OBJ_HWPT_PAGING);

	ck_assert_ptr_nonnull(obj);
	return (container_of(obj, struct hwpt_paging, obj)->enforce_cc);
}

/* The override: defaults, yes and no, and the mistakes, with the key. */
START_TEST(snoop_override)
{
	struct hw_param		 p[2] = { { "snoop-control", "maybe", 3 },
				    { "snoop-control", "no", 4 } };
	struct hw_instance	*inst;
	char			 err[128];

	ck_assert(hw_snoop_control(&hw_mock_instance));
	ck_assert(!hw_snoop_control(&hw_plain_instance));
	/* No IOMMU, nothing to block no-snoop DMA. */
	ck_assert(!hw_snoop_control(&hw_noiommu_instance));

	inst = inst_new("m", "mock", NULL);
	ck_assert(hw_snoop_control(inst));
	hw_instance_free(inst);
	inst = inst_new("m", "mock", "no");
	ck_assert(!hw_snoop_control(inst));
	hw_instance_free(inst);
	inst = inst_new("p", "plain", NULL);
	ck_assert(!hw_snoop_control(inst));
	hw_instance_free(inst);
	inst = inst_new("p", "plain", "yes");
	ck_assert(hw_snoop_control(inst));
	hw_instance_free(inst);

	ck_assert_int_eq(hw_instance_new("m", "mock", NULL, p, 1, &inst, err,
	    sizeof(err)), -EINVAL);
	ck_assert_ptr_null(inst);
	ck_assert_ptr_nonnull(strstr(err, "snoop-control: \"maybe\""));
	p[0].value = "yes";
	ck_assert_int_eq(hw_instance_new("m", "plain", NULL, p, 2, &inst, err,
	    sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "given twice"));
	p[0].key = "sc";
	ck_assert_int_eq(hw_instance_new("m", "mock", NULL, p, 1, &inst, err,
	    sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown key \"sc\""));
}
END_TEST

/*
 * Plain domains enforce only on an instance with snoop control, and a
 * no-snoop device of an instance without it is refused by an enforcing
 * domain of its own model (the check comes before the instance's).
 */
START_TEST(enforce_rules)
{
	struct hw_instance	*yes = inst_new("py", "plain", "yes");
	struct hw_instance	*no = inst_new("pn", "plain", NULL);
	struct edev		 ea, eb, ec;
	struct device		*a, *b, *c;
	uint32_t		 ioas = test_ioas_new(), pt, ha, hb, id;

	device_edev_init(&ea, "a", yes, 0x08, 0, 0);
	device_edev_init(&eb, "b", no, 0x10, 0, HW_DEV_NO_SNOOP);
	device_edev_init(&ec, "c", yes, 0x18, 0, HW_DEV_NO_SNOOP);
	ck_assert_int_eq(device_bind(tctx, &ea, &a, &id), 0);
	ck_assert_int_eq(device_bind(tctx, &eb, &b, &id), 0);
	ck_assert_int_eq(device_bind(tctx, &ec, &c, &id), 0);
	pt = ioas;
	ck_assert_int_eq(device_attach(a, DEVICE_NO_PASID, &pt), 0);
	ha = pt;
	ck_assert(enforcing(ha));
	pt = ha;
	ck_assert_int_eq(device_attach(b, DEVICE_NO_PASID, &pt), -EINVAL);
	ck_assert_uint_eq(device_attached_id(b, DEVICE_NO_PASID), 0);
	pt = ioas;
	ck_assert_int_eq(device_attach(b, DEVICE_NO_PASID, &pt), 0);
	hb = pt;
	ck_assert_uint_ne(hb, ha);
	ck_assert(!enforcing(hb));
	/* Snoop control blocks C's no-snoop DMA: C fits A's domain. */
	pt = ha;
	ck_assert_int_eq(device_attach(c, DEVICE_NO_PASID, &pt), 0);
	device_unbind(a);
	device_unbind(b);
	device_unbind(c);
	hw_instance_free(yes);
	hw_instance_free(no);
}
END_TEST

/*
 * The seed thread's scenario, A first and then B first: A behind snoop
 * control, B (no-snoop capable) behind none, in one context; B removed.
 * A's HWPT enforces from its making whatever came first (B's, of
 * another instance, is no candidate) and keeps enforcing; the
 * KVM view says WBINVD while B is there and not after, and its change
 * count keeps the history that it was needed.
 */
START_TEST(seed_scenario)
{
	struct hw_instance		*sc = inst_new("sc", "mock", "yes");
	struct hw_instance		*nosc = inst_new("nosc", "mock", "no");
	struct ioasidd_coherency	 v;
	struct edev			 ea, eb;
	struct device			*a, *b;
	uint32_t			 ioas = test_ioas_new(), pt, ha, hb = 0;
	uint32_t			 id, bid;
	int				 order;

	device_edev_init(&ea, "A", sc, 0x08, 0, 0);
	device_edev_init(&eb, "B", nosc, 0x10, 0, HW_DEV_NO_SNOOP);
	ck_assert_int_eq(device_bind(tctx, &ea, &a, &id), 0);
	ck_assert_int_eq(coherency(&v), 0);
	ck_assert_uint_eq(v.out_flags, 0);
	ck_assert_uint_eq(v.out_attached, 0);
	ck_assert_uint_eq(v.out_changes, 0);

	for (order = 0; order < 2; order++) {
		ck_assert_int_eq(device_bind(tctx, &eb, &b, &bid), 0);
		if (order == 1) {
			pt = ioas;
			ck_assert_int_eq(device_attach(b, DEVICE_NO_PASID,
			    &pt), 0);
			hb = pt;
			ck_assert_int_eq(coherency(&v), 0);
			ck_assert_uint_eq(v.out_flags,
			    IOASIDD_COHERENCY_WBINVD |
			    IOASIDD_COHERENCY_NOSNOOP);
		}
		pt = ioas;
		ck_assert_int_eq(device_attach(a, DEVICE_NO_PASID, &pt), 0);
		ha = pt;
		ck_assert(enforcing(ha));
		if (order == 0) {
			ck_assert_int_eq(coherency(&v), 0);
			ck_assert_uint_eq(v.out_flags, 0);
			ck_assert_uint_eq(v.out_attached, 1);
			/* B cannot join A's enforcing HWPT... */
			pt = ha;
			ck_assert_int_eq(device_attach(b, DEVICE_NO_PASID,
			    &pt), -EINVAL);
			/* ...so the automatic path makes B its own. */
			pt = ioas;
			ck_assert_int_eq(device_attach(b, DEVICE_NO_PASID,
			    &pt), 0);
			hb = pt;
		}
		ck_assert_uint_ne(hb, ha);
		ck_assert(!enforcing(hb));
		ck_assert_int_eq(coherency(&v), 0);
		ck_assert_uint_eq(v.out_flags, IOASIDD_COHERENCY_WBINVD |
		    IOASIDD_COHERENCY_NOSNOOP);
		ck_assert_uint_eq(v.out_attached, 2);
		ck_assert_uint_eq(v.out_noncoherent, 1);
		ck_assert_uint_eq(v.out_nosnoop, 1);
		ck_assert_uint_eq(v.out_changes, 2 * order + 1);

		/* B goes: its auto HWPT with it; A's keeps enforcing. */
		device_unbind(b);
		ck_assert_ptr_null(obj_find(tctx, hb, OBJ_ANY));
		ck_assert(enforcing(ha));
		ck_assert_uint_eq(device_attached_id(a, DEVICE_NO_PASID), ha);
		ck_assert_int_eq(coherency(&v), 0);
		ck_assert_uint_eq(v.out_flags, 0);
		ck_assert_uint_eq(v.out_attached, 1);
		ck_assert_uint_eq(v.out_noncoherent, 0);
		ck_assert_uint_eq(v.out_nosnoop, 0);
		ck_assert_uint_eq(v.out_changes, 2 * order + 2);

		/* A detached: nothing attached, the history stays. */
		ck_assert_int_eq(device_detach(a, DEVICE_NO_PASID), 0);
		ck_assert_ptr_null(obj_find(tctx, ha, OBJ_ANY));
		ck_assert_int_eq(coherency(&v), 0);
		ck_assert_uint_eq(v.out_attached, 0);
		ck_assert_uint_eq(v.out_changes, 2 * order + 2);
	}

	/* Flags the command does not know. */
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.flags = 1;
	ck_assert_int_eq(test_ioctl(tctx, IOASIDD_COHERENCY, &v),
	    -EOPNOTSUPP);
	device_unbind(a);
	hw_instance_free(sc);
	hw_instance_free(nosc);
}
END_TEST

static Suite *
coherency_suite(void)
{
	Suite	*s = suite_create("coherency");
	TCase	*tc = test_tcase(s, "snoop");

	tcase_add_test(tc, snoop_override);
	tcase_add_test(tc, enforce_rules);
	tcase_add_test(tc, seed_scenario);
	return (s);
}

SUITE(coherency_suite)
