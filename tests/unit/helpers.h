/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * What most unit tests need: a fresh context, and a way to call an ioctl
 * on it as a program would, with a pointer into the test's own memory.
 *
 *	tc = test_tcase(s, "name");	(or the fixture by hand)
 *	...
 *	struct iommu_destroy d = { .size = sizeof(d), .id = 0 };
 *	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -ENOENT);
 *
 * test_ioctl() goes through dispatch() with the self uaccess, so a bad
 * pointer gives -EFAULT rather than a crash, and returns what dispatch()
 * returns: >= 0, or -errno.
 */
#ifndef IOASIDD_TESTS_HELPERS_H
#define IOASIDD_TESTS_HELPERS_H

#include <stdint.h>

#include <check.h>

#include "core/ctx.h"
#include "core/ucmd.h"
#include "iommufd/objs.h"

/* The context of the running test (checked fixture), and its caller. */
extern struct ctx	*tctx;
extern struct ucaller	 tcaller;

/* A new context on the self uaccess; fails the test if out of memory. */
struct ctx	*test_ctx_new(void);

/* Checked fixture: tctx is a fresh context, freed again afterwards. */
void		 test_setup(void);
void		 test_teardown(void);

/* A test case of s named name whose tests run with the fixture above. */
TCase		*test_tcase(Suite *s, const char *name);

/* A new live object of type in tctx; fails the test if it cannot be made. */
struct obj	*test_obj_new(enum obj_type);

/* Run ioctl cmd with argument arg (a pointer, or a value cast to one). */
long		 test_ioctl(struct ctx *, unsigned int cmd, void *arg);
/* The same with an integer argument (VFIO_CHECK_EXTENSION and the like). */
long		 test_ioctl_val(struct ctx *, unsigned int cmd, uint64_t arg);

/* A new IOAS in tctx, its id; fails the test if it cannot be made. */
uint32_t	 test_ioas_new(void);
struct iommu_test_cmd;
/* IOMMU_TEST_CMD op on object id in tctx, c's other fields as given. */
long		 test_mock_cmd(struct iommu_test_cmd *c, uint32_t op,
		    uint32_t id);

#endif /* IOASIDD_TESTS_HELPERS_H */
