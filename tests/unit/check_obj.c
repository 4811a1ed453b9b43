/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The object model (spec 2): id allocation, two-phase creation, lookups,
 * holds, DESTROY, tombstones and teardown at close. FAULT and VIOMMU
 * objects stand in for any kind: their destroy ops are the plain ones.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>

#include <linux/iommufd.h>

#include "core/ctx.h"
#include "helpers.h"
#include "iommufd/objs.h"
#include "suites.h"

/* A vIOMMU holding parent, as a real one holds its nesting parent. */
static struct viommu *
new_holder(struct obj *parent)
{
	struct viommu	*v;

	v = container_of(test_obj_new(OBJ_VIOMMU), struct viommu, obj);
	v->parent = parent;
	obj_hold(parent);
	return (v);
}

START_TEST(ids_from_one)
{
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 1);
	ck_assert_uint_eq(test_obj_new(OBJ_VIOMMU)->id, 2);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 3);
	ck_assert_uint_eq(tctx->nobjs, 3);
	ck_assert_uint_eq(tctx->nkind[OBJ_FAULT], 2);
	ck_assert_uint_eq(tctx->nkind[OBJ_VIOMMU], 1);
}
END_TEST

START_TEST(lowest_free_reused)
{
	unsigned int	 i;

	for (i = 1; i <= 5; i++)
		ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, i);
	ck_assert_int_eq(obj_destroy_id(tctx, 4), 0);
	ck_assert_int_eq(obj_destroy_id(tctx, 2), 0);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 2);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 4);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 6);
	/* Free ranges merge on both sides. */
	ck_assert_int_eq(obj_destroy_id(tctx, 3), 0);
	ck_assert_int_eq(obj_destroy_id(tctx, 5), 0);
	ck_assert_int_eq(obj_destroy_id(tctx, 4), 0);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 3);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 4);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 5);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 7);
}
END_TEST

START_TEST(reserved_invisible)
{
	struct obj	*obj, *found;

	ck_assert_int_eq(obj_alloc(tctx, OBJ_FAULT, &obj), 0);
	ck_assert_uint_eq(obj->id, 1);
	ck_assert_ptr_null(obj_find(tctx, 1, OBJ_ANY));
	ck_assert_int_eq(obj_get(tctx, 1, OBJ_FAULT, &found), -ENOENT);
	ck_assert_int_eq(obj_destroy_id(tctx, 1), -ENOENT);
	ck_assert_uint_eq(tctx->nkind[OBJ_FAULT], 0);
	obj_finalize(obj);
	ck_assert_ptr_eq(obj_find(tctx, 1, OBJ_ANY), obj);
	ck_assert_int_eq(obj_get(tctx, 1, OBJ_FAULT, &found), 0);
	ck_assert_ptr_eq(found, obj);
	ck_assert_uint_eq(tctx->nkind[OBJ_FAULT], 1);
}
END_TEST

START_TEST(abort_frees_id)
{
	struct obj	*obj;

	ck_assert_int_eq(obj_alloc(tctx, OBJ_FAULT, &obj), 0);
	ck_assert_uint_eq(obj->id, 1);
	obj_abort(obj);
	ck_assert_uint_eq(tctx->nobjs, 0);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 1);
	/* Abort runs the destroy op: the vIOMMU's hold is dropped. */
	ck_assert_int_eq(obj_alloc(tctx, OBJ_VIOMMU, &obj), 0);
	container_of(obj, struct viommu, obj)->parent = obj_find(tctx, 1,
	    OBJ_FAULT);
	obj_hold(obj_find(tctx, 1, OBJ_FAULT));
	ck_assert_int_eq(obj_destroy_id(tctx, 1), -EBUSY);
	obj_abort(obj);
	ck_assert_int_eq(obj_destroy_id(tctx, 1), 0);
	ck_assert_uint_eq(tctx->nobjs, 0);
}
END_TEST

START_TEST(bad_kind)
{
	struct obj	*obj;

	ck_assert_int_eq(obj_alloc(tctx, OBJ_ANY, &obj), -EINVAL);
	ck_assert_int_eq(obj_alloc(tctx, OBJ_MAX, &obj), -EINVAL);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 1);
}
END_TEST

/*
 * Every kind has its row in the kind table, from its own file: a name, and
 * an object that can be made and aborted, leaving nothing behind.
 */
START_TEST(every_kind)
{
	struct obj	*obj;
	enum obj_type	 t;

	for (t = OBJ_ANY + 1; t < OBJ_MAX; t++) {
		ck_assert_str_ne(obj_type_name(t), "unknown");
		ck_assert_int_eq(obj_alloc(tctx, t, &obj), 0);
		ck_assert_uint_eq(obj->type, t);
		obj_abort(obj);
	}
	ck_assert_uint_eq(tctx->nobjs, 0);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 1);
}
END_TEST

START_TEST(lookup_type)
{
	struct obj	*obj;

	test_obj_new(OBJ_FAULT);
	ck_assert_int_eq(obj_get(tctx, 1, OBJ_VIOMMU, &obj), -ENOENT);
	ck_assert_ptr_null(obj);
	ck_assert_int_eq(obj_get(tctx, 0, OBJ_ANY, &obj), -ENOENT);
	ck_assert_int_eq(obj_get(tctx, 2, OBJ_ANY, &obj), -ENOENT);
	ck_assert_int_eq(obj_get(tctx, UINT32_MAX, OBJ_ANY, &obj), -ENOENT);
	ck_assert_int_eq(obj_get(tctx, 1, OBJ_ANY, &obj), 0);
	ck_assert_str_eq(obj_type_name(obj->type), "fault");
}
END_TEST

START_TEST(destroy_rules)
{
	struct iommu_destroy	 d = { .size = sizeof(d) };
	struct obj		*f, *dev;
	struct viommu		*v;

	f = test_obj_new(OBJ_FAULT);
	v = new_holder(f);
	d.id = f->id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -EBUSY);
	d.id = 99;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -ENOENT);
	d.id = v->obj.id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), 0);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -ENOENT);
	d.id = f->id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), 0);

	/* A device is held by its binding: DESTROY is always EBUSY. */
	dev = test_obj_new(OBJ_DEVICE);
	obj_hold(dev);
	d.id = dev->id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -EBUSY);
	/* Unbinding removes it on the binding's behalf. */
	obj_destroy_held(dev);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -ENOENT);
	ck_assert_uint_eq(tctx->nobjs, 0);
}
END_TEST

START_TEST(tombstone)
{
	struct obj	*a, *b;

	a = test_obj_new(OBJ_FAULT);
	b = test_obj_new(OBJ_VDEVICE);
	ck_assert_uint_eq(b->id, 2);
	obj_tombstone(b);
	ck_assert_uint_eq(tctx->nkind[OBJ_VDEVICE], 0);
	ck_assert_int_eq(obj_destroy_id(tctx, 2), -ENOENT);
	ck_assert_ptr_null(obj_find(tctx, 2, OBJ_ANY));
	/* The id is not handed out again before close. */
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 3);
	ck_assert_int_eq(obj_destroy_id(tctx, a->id), 0);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 1);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 4);
}
END_TEST

/* Close destroys leaves first, whatever the id order of the holds. */
START_TEST(teardown_leaves_first)
{
	struct ctx	*ctx;
	struct obj	*f1, *f2, *tmp;
	struct viommu	*v1, *v2;

	/* Chains that take several passes: ids 1 <- 2 <- 3. */
	f1 = test_obj_new(OBJ_FAULT);
	v1 = new_holder(f1);
	v2 = new_holder(&v1->obj);
	ck_assert_int_eq(obj_destroy_id(tctx, f1->id), -EBUSY);
	ck_assert_int_eq(obj_destroy_id(tctx, v1->obj.id), -EBUSY);
	/* A holder with a lower id than what it holds (id reuse). */
	tmp = test_obj_new(OBJ_FAULT);
	f2 = test_obj_new(OBJ_FAULT);
	ck_assert_int_eq(obj_destroy_id(tctx, tmp->id), 0);
	ck_assert_uint_eq(new_holder(f2)->obj.id, 4);
	ck_assert_uint_eq(f2->id, 5);
	(void)v2;
	ck_assert_uint_eq(tctx->nobjs, 5);

	ctx = tctx;
	tctx = test_ctx_new();
	ctx_free(ctx);
	ck_assert_ptr_eq(TAILQ_FIRST(&ctx_list), tctx);
	ck_assert_ptr_null(TAILQ_NEXT(tctx, entry));
}
END_TEST

/*
 * Closing the file does not end a context that something else holds (a
 * descriptor it handed out): its objects stay until the last reference.
 */
START_TEST(close_while_held)
{
	struct ctx	*ctx;
	struct obj	*f;

	ck_assert_int_eq(ctx_new("test", getpid(), &ctx), 0);
	ck_assert_int_eq(obj_alloc(ctx, OBJ_FAULT, &f), 0);
	obj_finalize(f);
	ctx_hold(ctx);
	ctx->priv = ctx;
	ctx_close(ctx);
	ck_assert_ptr_null(ctx->priv);
	ck_assert_ptr_eq(obj_find(ctx, f->id, OBJ_FAULT), f);
	ck_assert_ptr_eq(TAILQ_NEXT(tctx, entry), ctx);
	ctx_put(ctx);
	ck_assert_ptr_null(TAILQ_NEXT(tctx, entry));
}
END_TEST

/* A hold cycle is a bug, but close must still free everything. */
START_TEST(teardown_cycle)
{
	struct viommu	*a, *b;

	a = container_of(test_obj_new(OBJ_VIOMMU), struct viommu, obj);
	b = new_holder(&a->obj);
	a->parent = &b->obj;
	obj_hold(&b->obj);
	test_obj_new(OBJ_FAULT);
	/* The fixture's teardown frees it; ASan reports anything left. */
}
END_TEST

/* Many objects: alloc, free every other one, reuse, free all. */
START_TEST(many_objects)
{
	const uint32_t	 n = 100000;
	uint32_t	 i;

	for (i = 1; i <= n; i++)
		ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, i);
	for (i = 2; i <= n; i += 2)
		ck_assert_int_eq(obj_destroy_id(tctx, i), 0);
	ck_assert_uint_eq(tctx->nobjs, n / 2);
	for (i = 2; i <= n; i += 2)
		ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, i);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, n + 1);
	for (i = n + 1; i >= 1; i--)
		ck_assert_int_eq(obj_destroy_id(tctx, i), 0);
	ck_assert_uint_eq(tctx->nobjs, 0);
	ck_assert_uint_eq(test_obj_new(OBJ_FAULT)->id, 1);
	for (i = 2; i <= n; i++)
		test_obj_new(OBJ_FAULT);
	/* Left for teardown to free. */
}
END_TEST

static Suite *
obj_suite(void)
{
	Suite	*s = suite_create("obj");
	TCase	*tc;

	tc = test_tcase(s, "ids");
	tcase_add_test(tc, ids_from_one);
	tcase_add_test(tc, lowest_free_reused);
	tcase_add_test(tc, reserved_invisible);
	tcase_add_test(tc, abort_frees_id);
	tcase_add_test(tc, bad_kind);
	tcase_add_test(tc, every_kind);
	tcase_add_test(tc, lookup_type);
	tcase_add_test(tc, tombstone);

	tc = test_tcase(s, "destroy");
	tcase_add_test(tc, destroy_rules);
	tcase_add_test(tc, teardown_leaves_first);
	tcase_add_test(tc, teardown_cycle);
	tcase_add_test(tc, close_while_held);

	tc = test_tcase(s, "scale");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, many_objects);
	return (s);
}
SUITE(obj_suite)
