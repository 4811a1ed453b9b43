/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The event-loop side of handed-out descriptors (core/hfd.h), with a
 * stand-in loop that counts what the core asks of it: a watch per
 * descriptor, a write watch only while a queue holds records back, and
 * every watch gone when the descriptor or its context goes.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "helpers.h"
#include "iommufd/fault.h"
#include "iommufd/objs.h"
#include "suites.h"

#include <linux/iommufd.h>

static int	nwatch, nunwatch, nout_on, nout_off, fail_watch;
static char	token;

static int
fake_watch(struct hfd *hfd)
{
	if (fail_watch)
		return (-ENOMEM);
	nwatch++;
	hfd->watch = &token;
	return (0);
}

static void
fake_unwatch(struct hfd *hfd)
{
	ck_assert_ptr_eq(hfd->watch, &token);
	hfd->watch = NULL;
	hfd->watch_out = NULL;
	nunwatch++;
}

static int
fake_watch_output(struct hfd *hfd, int on)
{
	if (on)
		nout_on++;
	else
		nout_off++;
	hfd->watch_out = on ? &token : NULL;
	return (0);
}

static const struct hfd_loop fake_loop = {
	.watch = fake_watch,
	.unwatch = fake_unwatch,
	.watch_output = fake_watch_output,
};

static void
hfd_setup(void)
{
	test_setup();
	nwatch = nunwatch = nout_on = nout_off = fail_watch = 0;
	hfd_set_loop(&fake_loop);
}

static void
hfd_teardown(void)
{
	test_teardown();
	hfd_set_loop(NULL);
	ck_assert_int_eq(nwatch, nunwatch);
	ck_assert_uint_eq(hfd_count(), 0);
}

static struct fault *
fault_new(int *fdp)
{
	struct iommu_fault_alloc	c;
	struct obj			*obj;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_FAULT_QUEUE_ALLOC, &c), 0);
	*fdp = (int)c.out_fault_fd;
	ck_assert_int_eq(obj_get(tctx, c.out_fault_id, OBJ_FAULT, &obj), 0);
	return (container_of(obj, struct fault, obj));
}

/* A loop that cannot watch: the command fails and holds nothing. */
START_TEST(hfd_watch_fails)
{
	struct iommu_fault_alloc	c;

	fail_watch = 1;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_FAULT_QUEUE_ALLOC, &c),
	    -ENOMEM);
	ck_assert_uint_eq(tctx->nobjs, 0);
	ck_assert_uint_eq(tctx->refs, 1);
	ck_assert_uint_eq(hfd_count(), 0);
}
END_TEST

/*
 * A caller that does not read: the socket fills, the queue asks for a
 * write watch, and reading lets the held-back groups go.
 */
START_TEST(hfd_write_watch)
{
	struct iommu_hwpt_pgfault	 r, got[4];
	struct fault			*f;
	unsigned int			 i, held;
	int				 fd;

	f = fault_new(&fd);
	ck_assert_int_eq(nwatch, 1);
	memset(&r, 0, sizeof(r));
	r.flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE;
	for (i = 0; i < FAULT_MAX_GROUPS && f->npending == 0; i++)
		ck_assert_int_eq(fault_report(f, &r, 1, NULL, NULL), 0);
	ck_assert_uint_gt(f->npending, 0);
	ck_assert_int_eq(nout_on, 1);
	ck_assert_ptr_nonnull(f->hfd->watch_out);
	/* More reports do not ask again. */
	ck_assert_int_eq(fault_report(f, &r, 1, NULL, NULL), 0);
	ck_assert_int_eq(nout_on, 1);

	held = f->npending;
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(read(fd, got, sizeof(got)), sizeof(r));
	hfd_output(f->hfd);
	ck_assert_uint_lt(f->npending, held);
	/* While groups wait the socket is full, so a read finds one. */
	while (f->npending != 0) {
		ck_assert_int_eq(read(fd, got, sizeof(got)), sizeof(r));
		hfd_output(f->hfd);
	}
	/* The output call that sent the last one stopped the watch. */
	ck_assert_ptr_null(f->hfd->watch_out);
	ck_assert_int_ge(nout_off, 1);
	close(fd);
	hfd_reap(tctx);
	ck_assert_int_eq(nunwatch, 1);
}
END_TEST

/* The daemon's end: every watch stops when the context is freed. */
START_TEST(hfd_ctx_free_unwatches)
{
	int	fd1, fd2;

	(void)fault_new(&fd1);
	(void)fault_new(&fd2);
	ck_assert_int_eq(nwatch, 2);
	ctx_free(tctx);
	ck_assert_int_eq(nunwatch, 2);
	ck_assert_uint_eq(hfd_count(), 0);
	close(fd1);
	close(fd2);
	tctx = test_ctx_new();
}
END_TEST

/* A context holds at most HFD_MAX_PER_CTX; then EMFILE, nothing made. */
START_TEST(hfd_per_ctx_cap)
{
	static int			 fds[HFD_MAX_PER_CTX];
	struct iommu_fault_alloc	 c;
	struct rlimit			 rl;
	unsigned int			 i, nobjs;

	/* The test process holds both ends (Linux's hard limit: 4096). */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2 * HFD_MAX_PER_CTX + 64) {
		rl.rlim_cur = 2 * HFD_MAX_PER_CTX + 64;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	for (i = 0; i < HFD_MAX_PER_CTX; i++)
		(void)fault_new(&fds[i]);
	nobjs = tctx->nobjs;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_FAULT_QUEUE_ALLOC, &c),
	    -EMFILE);
	ck_assert_uint_eq(tctx->nobjs, nobjs);
	ck_assert_uint_eq(hfd_count(), HFD_MAX_PER_CTX);
	close(fds[0]);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_FAULT_QUEUE_ALLOC, &c), 0);
	close((int)c.out_fault_fd);
	for (i = 1; i < HFD_MAX_PER_CTX; i++)
		close(fds[i]);
}
END_TEST

static Suite *
hfd_suite(void)
{
	Suite	*s = suite_create("hfd");
	TCase	*tc;

	tc = tcase_create("loop");
	tcase_add_checked_fixture(tc, hfd_setup, hfd_teardown);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, hfd_watch_fails);
	tcase_add_test(tc, hfd_write_watch);
	tcase_add_test(tc, hfd_ctx_free_unwatches);
	tcase_add_test(tc, hfd_per_ctx_cap);
	return (s);
}
SUITE(hfd_suite)
