/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The shared fixture and ioctl wrapper of the unit tests (see helpers.h).
 */
#include <sys/resource.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <linux/iommufd.h>
#include "iommufd_test.h"

#include "core/ctx.h"
#include "core/limit.h"
#include "core/ucmd.h"
#include "helpers.h"
#include "iommufd/objs.h"

struct ctx	*tctx;
struct ucaller	 tcaller;

struct ctx *
test_ctx_new(void)
{
	struct ctx	*ctx;
	struct rlimit	 rl;

	tcaller.pid = getpid();
	tcaller.uid = getuid();
	tcaller.gid = getgid();
	tcaller.caps = 0;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0)
		tcaller.memlock_max = rl.rlim_cur;
	tcaller.mem = NULL;
	ck_assert_int_eq(ctx_new("test", getpid(), &ctx), 0);
	return (ctx);
}

void
test_setup(void)
{
	struct limit_set	 none;

	memset(&none, 0, sizeof(none));
	limit_configure(&none, &none);
	tctx = test_ctx_new();
}

void
test_teardown(void)
{
	ctx_free(tctx);
	tctx = NULL;
	/* Whatever the test did, closing gave every charge back. */
	ck_assert_uint_eq(limit_leaks, 0);
}

TCase *
test_tcase(Suite *s, const char *name)
{
	TCase	*tc = tcase_create(name);

	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	suite_add_tcase(s, tc);
	return (tc);
}

struct obj *
test_obj_new(enum obj_type type)
{
	struct obj	*obj;

	ck_assert_int_eq(obj_alloc(tctx, type, &obj), 0);
	obj_finalize(obj);
	return (obj);
}

long
test_ioctl_val(struct ctx *ctx, unsigned int cmd, uint64_t arg)
{
	struct ucmd	 ucmd = {
		.ctx = ctx,
		.cmd = cmd,
		.arg = arg,
		.caller = &tcaller,
		.uops = &uself_ops,
	};

	return (dispatch(&ucmd));
}

long
test_ioctl(struct ctx *ctx, unsigned int cmd, void *arg)
{
	return (test_ioctl_val(ctx, cmd, (uint64_t)(uintptr_t)arg));
}

uint32_t
test_ioas_new(void)
{
	struct iommu_ioas_alloc	a = { .size = sizeof(a) };

	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOC, &a), 0);
	return (a.out_ioas_id);
}

long
test_mock_cmd(struct iommu_test_cmd *c, uint32_t op, uint32_t id)
{
	c->size = sizeof(*c);
	c->op = op;
	c->id = id;
	return (test_ioctl(tctx, IOMMU_TEST_CMD, c));
}
