/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Limits per context and per uid (limit.h), through dispatch() as a
 * program meets them: each limit filled to the last unit, the call past
 * it answered with its errno and changing nothing, the context still
 * working, another context and another uid unaffected; and the
 * accounting itself: every charge comes back when its object, area or
 * range goes, and a freed context leaves nothing charged (the fixture's
 * teardown checks limit_leaks after every test of the unit suites). And
 * who sees what: the uid a context counts for decides who may see the
 * user addresses it maps.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "control.h"
#include "core/ctx.h"
#include "core/limit.h"
#include "helpers.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define PAGE		4096ULL
#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

/* Set one maximum of one scope (0: context, 1: uid), the rest none. */
static void
limit_only(int uid, enum limit_kind kind, uint64_t max)
{
	struct limit_set	 c, u;

	memset(&c, 0, sizeof(c));
	memset(&u, 0, sizeof(u));
	if (uid)
		u.max[kind] = max;
	else
		c.max[kind] = max;
	limit_configure(&c, &u);
}

static uint32_t
ioas_new_on(struct ctx *ctx)
{
	struct iommu_ioas_alloc	 a = { .size = sizeof(a) };

	ck_assert_int_eq(test_ioctl(ctx, IOMMU_IOAS_ALLOC, &a), 0);
	return (a.out_ioas_id);
}

static struct iopt *
iopt_on(struct ctx *ctx, uint32_t id)
{
	struct obj	*o = obj_find(ctx, id, OBJ_IOAS);

	ck_assert_ptr_nonnull(o);
	return (ioas_iopt(o));
}

/* MAP len bytes of a made-up address at iova (0: any): 0 or -errno. */
static long
map_on(struct ctx *ctx, uint32_t id, uint64_t iova, uint64_t len,
    uint64_t *out)
{
	struct iommu_ioas_map	 m = {
		.size = sizeof(m), .ioas_id = id, .flags = RW,
		.user_va = 0x100000000ULL + iova, .length = len, .iova = iova,
	};
	long			 rc;

	if (iova != 0)
		m.flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
	rc = test_ioctl(ctx, IOMMU_IOAS_MAP, &m);
	if (out != NULL)
		*out = m.iova;
	return (rc);
}

static long
unmap_on(struct ctx *ctx, uint32_t id, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap	 u = {
		.size = sizeof(u), .ioas_id = id, .iova = iova, .length = len,
	};

	return (test_ioctl(ctx, IOMMU_IOAS_UNMAP, &u));
}

static long
destroy_on(struct ctx *ctx, uint32_t id)
{
	struct iommu_destroy	 d = { .size = sizeof(d), .id = id };

	return (test_ioctl(ctx, IOMMU_DESTROY, &d));
}

static long
allow_on(struct ctx *ctx, uint32_t id, struct iommu_iova_range *r,
    uint32_t n)
{
	struct iommu_ioas_allow_iovas	 a = {
		.size = sizeof(a), .ioas_id = id, .num_iovas = n,
		.allowed_iovas = (uintptr_t)r,
	};

	return (test_ioctl(ctx, IOMMU_IOAS_ALLOW_IOVAS, &a));
}

static long
reserve_on(struct ctx *ctx, uint32_t id, uint64_t start, uint64_t len)
{
	struct iommu_test_cmd	 t = {
		.size = sizeof(t), .op = IOMMU_TEST_OP_ADD_RESERVED, .id = id,
		.add_reserved = { .start = start, .length = len },
	};

	return (test_ioctl(ctx, IOMMU_TEST_CMD, &t));
}

/* Every count of ctx is what its objects and tables say they hold. */
static void
check_counts(struct ctx *ctx, uint64_t objects, uint64_t areas,
    uint64_t allowed, uint64_t reserved)
{
	ck_assert_uint_eq(ctx->lim.use[LIMIT_OBJECTS], objects);
	ck_assert_uint_eq(ctx->lim.use[LIMIT_AREAS], areas);
	ck_assert_uint_eq(ctx->lim.use[LIMIT_ALLOWED], allowed);
	ck_assert_uint_eq(ctx->lim.use[LIMIT_RESERVED], reserved);
}

/* What an empty context costs: its one free-id range. */
static uint64_t
empty_bytes(void)
{
	struct ctx	*c;
	uint64_t	 b;

	ck_assert_int_eq(ctx_new("test", getpid(), &c), 0);
	b = c->lim.use[LIMIT_BYTES];
	ctx_free(c);
	return (b);
}

/* Charges follow every allocation and all come back. */
START_TEST(limit_test_accounting)
{
	struct iommu_iova_range	 r[3] = {
		{ 0x10000000, 0x1fffffff }, { 0x30000000, 0x3fffffff },
		{ 0x50000000, 0x5fffffff },
	};
	uint64_t		 base = empty_bytes(), iova;
	uint32_t		 a, b;
	int			 i;

	ck_assert_uint_eq(tctx->lim.use[LIMIT_BYTES], base);
	/* Bound to the caller's uid by the first call. */
	a = ioas_new_on(tctx);
	ck_assert_uint_eq(limit_uid(&tctx->lim), getuid());
	b = ioas_new_on(tctx);
	check_counts(tctx, 2, 0, 0, 0);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(map_on(tctx, a, (uint64_t)(i + 1) * 2 * PAGE,
		    PAGE, NULL), 0);
	ck_assert_int_eq(allow_on(tctx, b, r, 3), 0);
	ck_assert_int_eq(reserve_on(tctx, b, 0x20000000, PAGE), 0);
	ck_assert_int_eq(reserve_on(tctx, b, 0x40000000, PAGE), 0);
	check_counts(tctx, 2, 1000, 3, 2);
	/* Nodes, pages objects and ranges: some 100 bytes a mapping. */
	ck_assert_uint_gt(tctx->lim.use[LIMIT_BYTES], base + 1000 * 64);
	ck_assert_uint_lt(tctx->lim.use[LIMIT_BYTES], base + 1000 * 200);

	/* A smaller set replaces the larger; a COPY adds areas. */
	ck_assert_int_eq(allow_on(tctx, b, r, 1), 0);
	check_counts(tctx, 2, 1000, 1, 2);
	{
		struct iommu_ioas_copy	 c = {
			.size = sizeof(c), .flags = RW, .dst_ioas_id = b,
			.src_ioas_id = a, .length = 4 * PAGE,
			.src_iova = 2 * PAGE,
		};

		/* Not contiguous: ENOENT and nothing charged. */
		ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_COPY, &c),
		    -ENOENT);
		c.length = PAGE;
		ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_COPY, &c), 0);
		iova = c.dst_iova;
	}
	check_counts(tctx, 2, 1001, 1, 2);
	ck_assert_int_eq(unmap_on(tctx, b, iova, PAGE), 0);
	ck_assert_int_eq(unmap_on(tctx, a, 0, UINT64_MAX), 0);
	check_counts(tctx, 2, 0, 1, 2);
	ck_assert_int_eq(destroy_on(tctx, b), 0);
	ck_assert_int_eq(destroy_on(tctx, a), 0);
	check_counts(tctx, 0, 0, 0, 0);
	ck_assert_uint_eq(tctx->lim.use[LIMIT_BYTES], base);
}
END_TEST

/* Objects: the last one fits, the next is ENOSPC with no id taken. */
START_TEST(limit_test_objects)
{
	struct iommu_ioas_alloc	 al = { .size = sizeof(al) };
	uint32_t		 ids[8];
	int			 i;

	limit_only(_i, LIMIT_OBJECTS, 8);
	for (i = 0; i < 8; i++)
		ids[i] = ioas_new_on(tctx);
	al.out_ioas_id = 0;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOC, &al), -ENOSPC);
	ck_assert_uint_eq(al.out_ioas_id, 0);
	check_counts(tctx, 8, 0, 0, 0);
	/* Still alive: the objects work, one freed makes room again. */
	ck_assert_int_eq(map_on(tctx, ids[7], PAGE, PAGE, NULL), 0);
	ck_assert_int_eq(destroy_on(tctx, ids[3]), 0);
	ck_assert_uint_eq(ioas_new_on(tctx), ids[3]);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOC, &al), -ENOSPC);
}
END_TEST

/* Areas: MAP and COPY past the limit are ENOMEM and map nothing. */
START_TEST(limit_test_areas)
{
	struct iommu_ioas_copy	 c = { .size = sizeof(c), .flags = RW,
	    .length = PAGE, .src_iova = 2 * PAGE };
	uint64_t		 bytes;
	uint32_t		 id;
	int			 i;

	limit_only(_i, LIMIT_AREAS, 100);
	id = ioas_new_on(tctx);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(map_on(tctx, id, (uint64_t)(i + 1) * 2 * PAGE,
		    PAGE, NULL), 0);
	bytes = tctx->lim.use[LIMIT_BYTES];
	ck_assert_int_eq(map_on(tctx, id, 1000 * PAGE, PAGE, NULL), -ENOMEM);
	ck_assert_int_eq(map_on(tctx, id, 0, PAGE, NULL), -ENOMEM);
	c.dst_ioas_id = c.src_ioas_id = id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_COPY, &c), -ENOMEM);
	check_counts(tctx, 1, 100, 0, 0);
	ck_assert_uint_eq(tctx->lim.use[LIMIT_BYTES], bytes);
	ck_assert_uint_eq(iopt_on(tctx, id)->nareas, 100);
	ck_assert_int_eq(iopt_verify(iopt_on(tctx, id)), 0);
	ck_assert_int_eq(unmap_on(tctx, id, 1000 * PAGE, PAGE), -ENOENT);
	/* One unmapped makes room for one. */
	ck_assert_int_eq(unmap_on(tctx, id, 2 * PAGE, PAGE), 0);
	ck_assert_int_eq(map_on(tctx, id, 1000 * PAGE, PAGE, NULL), 0);
	ck_assert_int_eq(map_on(tctx, id, 1002 * PAGE, PAGE, NULL), -ENOMEM);
}
END_TEST

/*
 * Allowed ranges: a set past the limit is ENOMEM at the first range past
 * it, read no further (4M entries answered at once); entries before it
 * are checked first, as in the kernel (a bad pointer is EFAULT, a bad
 * first entry EINVAL); the set in place stays; a replacing set is checked
 * for what it leaves.
 */
START_TEST(limit_test_allowed)
{
	struct iommu_iova_range	*r, *big;
	struct timespec		 t0, t1;
	uint64_t		 iova;
	uint32_t		 id, n = 64;
	unsigned int		 i;

	limit_only(_i, LIMIT_ALLOWED, n);
	id = ioas_new_on(tctx);
	ck_assert_ptr_nonnull(r = calloc(n + 1, sizeof(*r)));
	for (i = 0; i <= n; i++) {
		r[i].start = (uint64_t)(i + 1) << 32;
		r[i].last = r[i].start + 0xffffff;
	}
	ck_assert_int_eq(allow_on(tctx, id, r, n), 0);
	ck_assert_int_eq(allow_on(tctx, id, r, n), 0);
	check_counts(tctx, 1, 0, n, 0);
	ck_assert_int_eq(allow_on(tctx, id, r + 1, n), 0);
	ck_assert_int_eq(allow_on(tctx, id, r, n + 1), -ENOMEM);
	check_counts(tctx, 1, 0, n, 0);
	ck_assert_int_eq(allow_on(tctx, id, (void *)8, 4u << 20), -EFAULT);
	ck_assert_ptr_nonnull(big = calloc(4u << 20, sizeof(*big)));
	ck_assert_int_eq(allow_on(tctx, id, big, 4u << 20), -EINVAL);
	for (i = 0; i < 4u << 20; i++) {
		big[i].start = (uint64_t)i << 20;
		big[i].last = big[i].start + 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(allow_on(tctx, id, big, 4u << 20), -ENOMEM);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt((t1.tv_sec - t0.tv_sec) * 1000000000L +
	    (t1.tv_nsec - t0.tv_nsec), 50000000L);
	free(big);
	/* The set in place is r[1..n]: automatic IOVAs come from r[1]. */
	check_counts(tctx, 1, 0, n, 0);
	ck_assert_int_eq(map_on(tctx, id, 0, PAGE, &iova), 0);
	ck_assert_uint_ge(iova, r[1].start);
	ck_assert_uint_le(iova, r[1].last);
	/* A failed set of another kind gives its charge back too. */
	r[2].start = r[1].start;
	ck_assert_int_eq(allow_on(tctx, id, r, 3), -EINVAL);
	check_counts(tctx, 1, 1, n, 0);
	ck_assert_int_eq(allow_on(tctx, id, NULL, 0), 0);
	check_counts(tctx, 1, 1, 0, 0);
	free(r);
}
END_TEST

START_TEST(limit_test_reserved)
{
	uint32_t	 id;
	int		 i;

	limit_only(_i, LIMIT_RESERVED, 16);
	id = ioas_new_on(tctx);
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(reserve_on(tctx, id,
		    (uint64_t)(i + 1) * 2 * PAGE, PAGE), 0);
	ck_assert_int_eq(reserve_on(tctx, id, 100 * PAGE, PAGE), -ENOMEM);
	check_counts(tctx, 1, 0, 0, 16);
	/* The failed range is not reserved: a map may go there. */
	ck_assert_int_eq(map_on(tctx, id, 100 * PAGE, PAGE, NULL), 0);
}
END_TEST

/* Bytes: whatever is made, the total stays under the limit. */
START_TEST(limit_test_bytes)
{
	uint64_t	 max = 64 * 1024;
	uint32_t	 id;
	long		 rc = 0;
	int		 i, n;

	limit_only(_i, LIMIT_BYTES, max);
	id = ioas_new_on(tctx);
	for (n = 0; n < 100000 && rc == 0; n++)
		rc = map_on(tctx, id, (uint64_t)(n + 1) * 2 * PAGE, PAGE,
		    NULL);
	ck_assert_int_eq(rc, -ENOMEM);
	ck_assert_uint_le(tctx->lim.use[LIMIT_BYTES], max);
	ck_assert_uint_gt(n, 100);
	ck_assert_uint_eq(tctx->lim.use[LIMIT_AREAS], (uint64_t)n - 1);
	ck_assert_int_eq(iopt_verify(iopt_on(tctx, id)), 0);
	/* Objects are bytes too. */
	for (i = 0; i < 1000 && rc != -ENOSPC; i++) {
		struct iommu_ioas_alloc	 a = { .size = sizeof(a) };

		if ((rc = test_ioctl(tctx, IOMMU_IOAS_ALLOC, &a)) != 0)
			break;
	}
	ck_assert_int_eq(rc, -ENOMEM);
	ck_assert_uint_le(tctx->lim.use[LIMIT_BYTES], max);
	ck_assert_int_eq(unmap_on(tctx, id, 0, UINT64_MAX), 0);
	ck_assert_int_eq(map_on(tctx, id, PAGE, PAGE, NULL), 0);
}
END_TEST

/*
 * Per uid: two contexts of one uid share the limit, a context of another
 * uid does not; a context's use goes to its uid when it is bound and
 * leaves with it.
 */
START_TEST(limit_test_uid)
{
	struct ucaller	 saved = tcaller;
	struct ctx	*c2, *c3;
	uint32_t	 a, b, c;
	int		 i;

	limit_only(1, LIMIT_AREAS, 10);
	ck_assert_int_eq(ctx_new("test", getpid(), &c2), 0);
	ck_assert_int_eq(ctx_new("test", getpid(), &c3), 0);
	a = ioas_new_on(tctx);
	b = ioas_new_on(c2);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(map_on(tctx, a, (uint64_t)(i + 1) * 2 * PAGE,
		    PAGE, NULL), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(map_on(c2, b, (uint64_t)(i + 1) * 2 * PAGE,
		    PAGE, NULL), 0);
	ck_assert_int_eq(map_on(c2, b, 100 * PAGE, PAGE, NULL), -ENOMEM);
	ck_assert_int_eq(map_on(tctx, a, 100 * PAGE, PAGE, NULL), -ENOMEM);
	/* Another uid is unaffected. */
	tcaller.uid = saved.uid + 1000;
	c = ioas_new_on(c3);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(map_on(c3, c, (uint64_t)(i + 1) * 2 * PAGE,
		    PAGE, NULL), 0);
	ck_assert_int_eq(map_on(c3, c, 100 * PAGE, PAGE, NULL), -ENOMEM);
	/* A context is its first caller's: later callers do not move it. */
	ck_assert_int_eq(map_on(c2, b, 100 * PAGE, PAGE, NULL), -ENOMEM);
	tcaller = saved;
	ck_assert_uint_eq(limit_uid(&c3->lim), saved.uid + 1000);
	/* Closing one context of the uid frees its share. */
	ctx_free(c2);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(map_on(tctx, a, (uint64_t)(i + 50) * 2 * PAGE,
		    PAGE, NULL), 0);
	ck_assert_int_eq(map_on(tctx, a, 200 * PAGE, PAGE, NULL), -ENOMEM);
	ctx_free(c3);
}
END_TEST

/* New limits apply to new calls; what is held stays. */
START_TEST(limit_test_reconfigure)
{
	uint32_t	 id;
	int		 i;

	id = ioas_new_on(tctx);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(map_on(tctx, id, (uint64_t)(i + 1) * 2 * PAGE,
		    PAGE, NULL), 0);
	limit_only(0, LIMIT_AREAS, 10);
	ck_assert_int_eq(map_on(tctx, id, 100 * PAGE, PAGE, NULL), -ENOMEM);
	check_counts(tctx, 1, 20, 0, 0);
	for (i = 0; i < 11; i++)
		ck_assert_int_eq(unmap_on(tctx, id, (uint64_t)(i + 1) * 2 *
		    PAGE, PAGE), 0);
	ck_assert_int_eq(map_on(tctx, id, 100 * PAGE, PAGE, NULL), 0);
	ck_assert_int_eq(map_on(tctx, id, 102 * PAGE, PAGE, NULL), -ENOMEM);
	limit_only(0, LIMIT_AREAS, 0);
	ck_assert_int_eq(map_on(tctx, id, 102 * PAGE, PAGE, NULL), 0);
}
END_TEST

/* The invariant itself: a charge left at close is found and counted. */
START_TEST(limit_test_leak_found)
{
	struct ctx	*c;
	unsigned int	 before = limit_leaks;

	ck_assert_int_eq(ctx_new("test", getpid(), &c), 0);
	ck_assert_int_eq(limit_bind(&c->lim, 4242), 0);
	limit_force(&c->lim, LIMIT_AREAS, 3, 96);
	ctx_free(c);
	ck_assert_uint_eq(limit_leaks, before + 1);
	limit_leaks = before;
}
END_TEST

/* The "addr" of the first area of the first object, as peer uid sees it. */
static char *
addr_seen_by(uid_t uid)
{
	const struct ctl_peer	 peer = { .pid = 1, .uid = uid, .gid = uid };
	json_t			*req, *reply, *o, *a;
	char			*s;

	req = json_pack("{s:s, s:I}", "cmd", "objects", "ctx",
	    (json_int_t)tctx->id);
	reply = control_exec(&peer, req);
	json_decref(req);
	ck_assert(json_is_true(json_object_get(reply, "ok")));
	o = json_array_get(json_object_get(reply, "objects"), 0);
	a = json_array_get(json_object_get(o, "areas"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(a, "kind")),
	    "user");
	s = strdup(json_string_value(json_object_get(a, "addr")));
	json_decref(reply);
	return (s);
}

/* Who sees what: another uid's user addresses are for root only. */
START_TEST(limit_test_who_sees)
{
	struct ucaller	 saved = tcaller;
	uint32_t	 id;
	char		*s;

	tcaller.uid = 4321;
	id = ioas_new_on(tctx);
	ck_assert_int_eq(map_on(tctx, id, 2 * PAGE, PAGE, NULL), 0);
	tcaller = saved;
	s = addr_seen_by(0);
	ck_assert_str_eq(s, "0x100002000");
	free(s);
	s = addr_seen_by(4321);
	ck_assert_str_eq(s, "0x100002000");
	free(s);
	s = addr_seen_by(1234);
	ck_assert_str_eq(s, "hidden");
	free(s);
}
END_TEST

/* Counting never wraps, whatever the maxima. */
START_TEST(limit_test_overflow)
{
	struct limit_acct	 acct;

	memset(&acct, 0, sizeof(acct));
	limit_only(0, LIMIT_BYTES, UINT64_MAX - 1);
	ck_assert_int_eq(limit_charge(&acct, LIMIT_BYTES, UINT64_MAX - 2, 0),
	    0);
	ck_assert_int_eq(limit_charge(&acct, LIMIT_BYTES, 2, 0), -ENOMEM);
	ck_assert_int_eq(limit_charge(&acct, LIMIT_AREAS, 1, 2), -ENOMEM);
	ck_assert_uint_eq(acct.use[LIMIT_AREAS], 0);
	ck_assert_int_eq(limit_charge(&acct, LIMIT_BYTES, UINT64_MAX, 0),
	    -ENOMEM);
	limit_uncharge(&acct, LIMIT_BYTES, UINT64_MAX - 2, 0);
	ck_assert_int_eq(limit_release(&acct), 0);
}
END_TEST

static Suite *
limit_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("limit");
	tc = test_tcase(s, "count");
	tcase_add_test(tc, limit_test_accounting);
	tcase_add_test(tc, limit_test_leak_found);
	tcase_add_test(tc, limit_test_overflow);
	tcase_add_test(tc, limit_test_who_sees);
	/* _i: 0 for the context's limit, 1 for the uid's. */
	tc = test_tcase(s, "fill");
	tcase_add_loop_test(tc, limit_test_objects, 0, 2);
	tcase_add_loop_test(tc, limit_test_areas, 0, 2);
	tcase_add_loop_test(tc, limit_test_allowed, 0, 2);
	tcase_add_loop_test(tc, limit_test_reserved, 0, 2);
	tcase_add_loop_test(tc, limit_test_bytes, 0, 2);
	tcase_add_test(tc, limit_test_uid);
	tcase_add_test(tc, limit_test_reconfigure);
	return (s);
}
SUITE(limit_suite)
