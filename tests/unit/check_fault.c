/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Fault queues (iommufd/fault.c): IOMMU_FAULT_QUEUE_ALLOC, the device
 * side's fault_report(), and what the caller's descriptor reads, polls
 * and writes. No event loop runs: the tests call hfd_ready() where the
 * loop would, and dispatch() reaps closed descriptors itself.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#define IOCTL(cmd, arg)		test_ioctl(tctx, (cmd), (arg))

/* What the device side heard back. */
static unsigned int	answers;
static uint32_t		last_code, last_grpid, last_dev;

static void
record_answer(void *arg, uint32_t dev_id, uint32_t grpid, uint32_t code)
{
	ck_assert_ptr_eq(arg, &answers);
	answers++;
	last_dev = dev_id;
	last_grpid = grpid;
	last_code = code;
}

static void
fault_setup(void)
{
	test_setup();
	answers = 0;
	last_code = last_grpid = last_dev = UINT32_MAX;
}

static void
fault_teardown(void)
{
	test_teardown();
	ck_assert_uint_eq(hfd_count(), 0);
}

static struct fault *
fault_new(int *fdp)
{
	struct iommu_fault_alloc	c;
	struct obj			*obj;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.out_fault_fd = UINT32_MAX;
	ck_assert_int_eq(IOCTL(IOMMU_FAULT_QUEUE_ALLOC, &c), 0);
	ck_assert_int_ge((int)c.out_fault_fd, 0);
	*fdp = (int)c.out_fault_fd;
	ck_assert_int_eq(obj_get(tctx, c.out_fault_id, OBJ_FAULT, &obj), 0);
	return (container_of(obj, struct fault, obj));
}

static int
report(struct fault *f, uint32_t dev, uint32_t grpid, unsigned int n)
{
	struct iommu_hwpt_pgfault	r[4];
	unsigned int			i;

	memset(r, 0, sizeof(r));
	for (i = 0; i < n && i < 4; i++) {
		r[i].dev_id = dev;
		r[i].grpid = grpid;
		r[i].perm = IOMMU_PGFAULT_PERM_READ;
		r[i].addr = 0x1000 * (i + 1);
	}
	if (n > 0 && n <= 4)
		r[n - 1].flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE;
	return (fault_report(f, r, n, record_answer, &answers));
}

static int
readable(int fd)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN | POLLOUT };

	ck_assert_int_eq(poll(&pfd, 1, 0), 1);
	ck_assert(pfd.revents & POLLOUT);
	return ((pfd.revents & POLLIN) != 0);
}

static void
respond(struct fault *f, int fd, uint32_t cookie, uint32_t code)
{
	struct iommu_hwpt_page_response	r = { .cookie = cookie, .code = code };

	ck_assert_int_eq(write(fd, &r, sizeof(r)), sizeof(r));
	hfd_ready(f->hfd);
}

/*
 * The object and its descriptor: DESTROY is EBUSY while the descriptor is
 * open, and works once it is closed (seen before the next call).
 */
START_TEST(fault_alloc_fd)
{
	struct iommu_fault_alloc	c = { .size = sizeof(c), .flags = 1 };
	struct iommu_destroy		d = { .size = sizeof(d) };
	struct iommu_hwpt_pgfault	r;
	struct fault			*f;
	int				 fd;

	ck_assert_int_eq(IOCTL(IOMMU_FAULT_QUEUE_ALLOC, &c), -EOPNOTSUPP);
	ck_assert_uint_eq(tctx->nobjs, 0);
	f = fault_new(&fd);
	d.id = f->obj.id;
	ck_assert_int_eq(IOCTL(IOMMU_DESTROY, &d), -EBUSY);
	ck_assert(!readable(fd));
	/* The caller's reads never wait: EAGAIN, the kernel's 0. */
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(read(fd, &r, sizeof(r)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(IOCTL(IOMMU_DESTROY, &d), 0);
	ck_assert_uint_eq(tctx->nobjs, 0);
	ck_assert_uint_eq(tctx->refs, 1);
}
END_TEST

/* A group is read whole with its cookie; a response answers it. */
START_TEST(fault_read_respond)
{
	struct iommu_hwpt_pgfault	 r[4];
	struct fault			*f;
	int				 fd;

	f = fault_new(&fd);
	ck_assert_int_eq(report(f, 7, 2, 0), -EINVAL);
	ck_assert_int_eq(fault_report(f, r, 0, NULL, NULL), -EINVAL);
	memset(r, 0, sizeof(r));
	ck_assert_int_eq(fault_report(f, r, 1, NULL, NULL), -EINVAL);

	ck_assert_int_eq(report(f, 7, 2, 3), 0);
	ck_assert(readable(fd));
	memset(r, 0, sizeof(r));
	ck_assert_int_eq(read(fd, r, sizeof(r)), 3 * sizeof(r[0]));
	ck_assert(!readable(fd));
	ck_assert_uint_eq(r[0].cookie, 1);
	ck_assert_uint_eq(r[2].cookie, 1);
	ck_assert_uint_eq(r[0].dev_id, 7);
	ck_assert_uint_eq(r[1].addr, 0x2000);
	ck_assert(r[2].flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	ck_assert_uint_eq(f->nsent, 1);

	/* Refused responses answer nothing. */
	respond(f, fd, 2, IOMMUFD_PAGE_RESP_SUCCESS);
	respond(f, fd, 1, 2);
	ck_assert_uint_eq(answers, 0);
	respond(f, fd, 1, IOMMUFD_PAGE_RESP_SUCCESS);
	ck_assert_uint_eq(answers, 1);
	ck_assert_uint_eq(last_code, IOMMUFD_PAGE_RESP_SUCCESS);
	ck_assert_uint_eq(last_grpid, 2);
	ck_assert_uint_eq(last_dev, 7);
	ck_assert_uint_eq(f->nsent, 0);
	/* Answered once only. */
	respond(f, fd, 1, IOMMUFD_PAGE_RESP_SUCCESS);
	ck_assert_uint_eq(answers, 1);

	/* The lowest free cookie is reused. */
	ck_assert_int_eq(report(f, 7, 3, 1), 0);
	ck_assert_int_eq(report(f, 7, 4, 1), 0);
	ck_assert_int_eq(read(fd, r, sizeof(r)), sizeof(r[0]));
	ck_assert_uint_eq(r[0].cookie, 1);
	ck_assert_int_eq(read(fd, r, sizeof(r)), sizeof(r[0]));
	ck_assert_uint_eq(r[0].cookie, 2);
	respond(f, fd, 1, IOMMUFD_PAGE_RESP_INVALID);
	ck_assert_uint_eq(last_grpid, 3);
	ck_assert_uint_eq(last_code, IOMMUFD_PAGE_RESP_INVALID);
	ck_assert_int_eq(report(f, 7, 5, 1), 0);
	ck_assert_int_eq(read(fd, r, sizeof(r)), sizeof(r[0]));
	ck_assert_uint_eq(r[0].cookie, 1);
	ck_assert_uint_eq(answers, 2);
	close(fd);
}
END_TEST

/*
 * Closing the descriptor answers INVALID for every group, read or not;
 * a report after it is EPIPE. Cancelling a device answers its groups.
 */
START_TEST(fault_close_answers)
{
	struct iommu_hwpt_pgfault	 r;
	struct fault			*f;
	int				 fd;

	f = fault_new(&fd);
	ck_assert_int_eq(report(f, 1, 1, 1), 0);
	ck_assert_int_eq(report(f, 2, 2, 1), 0);
	ck_assert_int_eq(report(f, 1, 3, 1), 0);
	ck_assert_int_eq(read(fd, &r, sizeof(r)), sizeof(r));
	fault_cancel_dev(f, 1);
	ck_assert_uint_eq(answers, 2);
	ck_assert_uint_eq(last_code, IOMMUFD_PAGE_RESP_INVALID);
	close(fd);
	hfd_reap(tctx);
	ck_assert_uint_eq(answers, 3);
	ck_assert_uint_eq(last_dev, 2);
	ck_assert_ptr_null(f->hfd);
	ck_assert_int_eq(report(f, 1, 4, 1), -EPIPE);
	ck_assert_uint_eq(f->obj.users, 1);
}
END_TEST

/* The descriptor keeps the context after its file closes. */
START_TEST(fault_outlives_ctx)
{
	struct ctx	*ctx = tctx;
	struct fault	*f;
	int		 fd;

	f = fault_new(&fd);
	ctx_hold(ctx);
	ctx_close(ctx);
	ck_assert_uint_eq(ctx->refs, 2);
	ck_assert_int_eq(report(f, 1, 1, 1), 0);
	close(fd);
	hfd_ready(f->hfd);
	ck_assert_uint_eq(answers, 1);
	ck_assert_uint_eq(ctx->refs, 1);
	ck_assert_uint_eq(ctx->nobjs, 1);
	ctx_put(ctx);
	ck_assert_uint_eq(hfd_count(), 0);
	tctx = test_ctx_new();

	/* The daemon exiting with a queue open answers its groups too. */
	f = fault_new(&fd);
	ck_assert_int_eq(report(f, 1, 1, 1), 0);
	ctx_free(tctx);
	ck_assert_uint_eq(answers, 2);
	close(fd);
	tctx = test_ctx_new();
}
END_TEST

/* A queue the caller never reads stops at FAULT_MAX_GROUPS. */
START_TEST(fault_bounded)
{
	struct fault	*f;
	unsigned int	 i;
	int		 fd, rc = 0;

	f = fault_new(&fd);
	for (i = 0; i <= FAULT_MAX_GROUPS && rc == 0; i++)
		rc = report(f, 1, i, 1);
	ck_assert_int_eq(rc, -ENOSPC);
	ck_assert_uint_eq(f->npending + f->nsent, FAULT_MAX_GROUPS);
	close(fd);
	hfd_reap(tctx);
	ck_assert_uint_eq(answers, FAULT_MAX_GROUPS);
}
END_TEST

static Suite *
fault_suite(void)
{
	Suite	*s = suite_create("fault");
	TCase	*tc;

	tc = tcase_create("fault");
	tcase_add_checked_fixture(tc, fault_setup, fault_teardown);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, fault_alloc_fd);
	tcase_add_test(tc, fault_read_respond);
	tcase_add_test(tc, fault_close_answers);
	tcase_add_test(tc, fault_outlives_ctx);
	tcase_add_test(tc, fault_bounded);
	return (s);
}
SUITE(fault_suite)
