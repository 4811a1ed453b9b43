/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The vEVENTQ queue (iommufd/veventq.c) driven directly: whole records,
 * sequence numbers and their wrap, the depth, and the lost-events marker,
 * in the order the kernel's selftest reads them; and the same through
 * the caller's descriptor, whose reads are the socket's.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "helpers.h"
#include "iommufd/objs.h"
#include "iommufd/veventq.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

/* One record as the selftest's payload makes it: a header and a u32. */
struct rec {
	struct iommufd_vevent_header	hdr;
	uint32_t			virt_id;
};

static struct veventq *
queue_new(uint32_t depth)
{
	struct veventq	*q;

	q = container_of(test_obj_new(OBJ_VEVENTQ), struct veventq, obj);
	veventq_init(q, depth);
	return (q);
}

static void
report(struct veventq *q, uint32_t virt_id)
{
	ck_assert_int_eq(veventq_report(q, &virt_id, sizeof(virt_id)), 0);
}

START_TEST(veventq_records)
{
	struct veventq	*q = queue_new(2);
	struct rec	 r[4];
	uint8_t		 big[VEVENTQ_MAX_DATA + 1];

	ck_assert_int_eq(veventq_report(q, big, 0), -EINVAL);
	ck_assert_int_eq(veventq_report(q, big, sizeof(big)), -EINVAL);
	ck_assert_uint_eq(veventq_read(q, r, sizeof(r)), 0);

	report(q, 0x99);
	/* A buffer too small for the first record takes nothing. */
	ck_assert_uint_eq(veventq_read(q, r, sizeof(r[0]) - 1), 0);
	ck_assert_uint_eq(veventq_read(q, r, sizeof(r)), sizeof(r[0]));
	ck_assert_uint_eq(r[0].hdr.flags, 0);
	ck_assert_uint_eq(r[0].hdr.sequence, 0);
	ck_assert_uint_eq(r[0].virt_id, 0x99);

	/* Depth 2: the third is lost, and the marker comes last. */
	report(q, 1);
	report(q, 2);
	report(q, 3);
	ck_assert_uint_eq(q->nevents, 2);
	memset(r, 0, sizeof(r));
	ck_assert_uint_eq(veventq_read(q, r, sizeof(r)),
	    2 * sizeof(r[0]) + sizeof(r[0].hdr));
	ck_assert_uint_eq(r[0].hdr.sequence, 1);
	ck_assert_uint_eq(r[1].hdr.sequence, 2);
	ck_assert_uint_eq(r[1].virt_id, 2);
	ck_assert_uint_eq(r[2].hdr.flags, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	ck_assert_uint_eq(r[2].hdr.sequence, 3);
	/* The next event follows the marker's number. */
	report(q, 4);
	ck_assert_uint_eq(veventq_read(q, r, sizeof(r)), sizeof(r[0]));
	ck_assert_uint_eq(r[0].hdr.sequence, 4);

	/* Records that do not fit stay for the next read. */
	report(q, 5);
	report(q, 6);
	ck_assert_uint_eq(veventq_read(q, r, sizeof(r[0]) + 4),
	    sizeof(r[0]));
	ck_assert_uint_eq(r[0].virt_id, 5);
	ck_assert_uint_eq(veventq_read(q, r, sizeof(r)), sizeof(r[0]));
	ck_assert_uint_eq(r[0].virt_id, 6);
}
END_TEST

/*
 * Drops while the marker is queued move it to the tail with a new number;
 * an event queued after it replaces it, leaving a gap in the numbers.
 */
START_TEST(veventq_lost)
{
	struct veventq	*q = queue_new(1);
	struct rec	 r[4];

	report(q, 1);		/* 0 */
	report(q, 2);		/* lost as 1 */
	report(q, 3);		/* lost again, as 2 */
	ck_assert_uint_eq(veventq_read(q, r, sizeof(r)),
	    sizeof(r[0]) + sizeof(r[0].hdr));
	ck_assert_uint_eq(r[1].hdr.flags, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	ck_assert_uint_eq(r[1].hdr.sequence, 2);

	report(q, 4);		/* 3 */
	report(q, 5);		/* lost as 4 */
	/* Room again: read the event only, then a new one replaces it. */
	ck_assert_uint_eq(veventq_read(q, r, sizeof(r[0]) +
	    sizeof(r[0].hdr) - 1), sizeof(r[0]));
	ck_assert_uint_eq(r[0].hdr.sequence, 3);
	report(q, 6);		/* 5 */
	ck_assert_uint_eq(veventq_read(q, r, sizeof(r)), sizeof(r[0]));
	ck_assert_uint_eq(r[0].hdr.flags, 0);
	ck_assert_uint_eq(r[0].hdr.sequence, 5);
	ck_assert_uint_eq(r[0].virt_id, 6);
}
END_TEST

/* The counter wraps to 0 after INT_MAX; destroy frees what is queued. */
START_TEST(veventq_wrap)
{
	struct veventq	*q = queue_new(4);
	struct rec	 r[4];

	q->sequence = INT32_MAX;
	report(q, 1);
	report(q, 2);
	report(q, 3);
	ck_assert_uint_eq(veventq_read(q, r, 2 * sizeof(r[0])),
	    2 * sizeof(r[0]));
	ck_assert_uint_eq(r[0].hdr.sequence, INT32_MAX);
	ck_assert_uint_eq(r[1].hdr.sequence, 0);
	ck_assert_uint_eq(q->nevents, 1);
	/* Left queued: the teardown's destroy must free it. */
}
END_TEST

static int
alloc_queue(uint32_t viommu, uint32_t type, uint32_t depth, int *fdp,
    uint32_t *idp)
{
	struct iommu_veventq_alloc	c;
	int				rc;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.viommu_id = viommu;
	c.type = type;
	c.veventq_depth = depth;
	c.out_veventq_fd = UINT32_MAX;
	rc = (int)test_ioctl(tctx, IOMMU_VEVENTQ_ALLOC, &c);
	*fdp = (int)c.out_veventq_fd;
	*idp = c.out_veventq_id;
	return (rc);
}

static int
readable(int fd)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };

	return (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN));
}

/*
 * Through the descriptor: VEVENTQ_ALLOC's rules, then the selftest's own
 * sequence (one event; three into depth 2, read as two and a marker; one
 * more numbered after the marker), and the depth following what the
 * caller has read.
 */
START_TEST(veventq_fd)
{
	struct iommu_destroy	 d = { .size = sizeof(d) };
	struct obj		*viommu = test_obj_new(OBJ_VIOMMU);
	struct veventq		*q;
	struct obj		*obj;
	struct rec		 r[4];
	json_t			*desc;
	uint32_t		 id, id2, v;
	int			 fd, fd2;

	ck_assert_int_eq(alloc_queue(viommu->id, IOMMU_VEVENTQ_TYPE_SELFTEST,
	    2, &fd, &id), 0);
	ck_assert_int_eq(alloc_queue(viommu->id, IOMMU_VEVENTQ_TYPE_SELFTEST,
	    2, &fd2, &id2), -EEXIST);
	ck_assert_int_eq(alloc_queue(viommu->id,
	    IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 1, &fd2, &id2), 0);
	ck_assert_int_ne(fd, fd2);
	d.id = viommu->id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -EBUSY);
	d.id = id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), -EBUSY);
	ck_assert_int_eq(obj_get(tctx, id, OBJ_VEVENTQ, &obj), 0);
	q = container_of(obj, struct veventq, obj);
	ck_assert_ptr_eq(veventq_find(viommu, IOMMU_VEVENTQ_TYPE_SELFTEST), q);

	ck_assert(!readable(fd));
	/* An empty queue never makes the reader wait. */
	ck_assert_int_eq(read(fd, r, sizeof(r)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	report(q, 0x99);
	ck_assert(readable(fd));
	ck_assert_int_eq(read(fd, r, sizeof(r)), sizeof(r[0]));
	ck_assert_uint_eq(r[0].hdr.sequence, 0);
	ck_assert_uint_eq(r[0].virt_id, 0x99);
	ck_assert(!readable(fd));

	report(q, 0x99);
	report(q, 0x99);
	report(q, 0x99);
	memset(r, 0, sizeof(r));
	ck_assert_int_eq(read(fd, r, 3 * sizeof(r[0])),
	    2 * sizeof(r[0]) + sizeof(r[0].hdr));
	ck_assert_uint_eq(r[0].hdr.sequence, 1);
	ck_assert_uint_eq(r[1].hdr.sequence, 2);
	ck_assert_uint_eq(r[2].hdr.flags, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	ck_assert_uint_eq(r[2].hdr.sequence, 3);
	report(q, 0x99);
	ck_assert_int_eq(read(fd, r, sizeof(r[0])), sizeof(r[0]));
	ck_assert_uint_eq(r[0].hdr.sequence, 4);
	ck_assert_uint_eq(r[0].hdr.flags, 0);

	/* The depth frees as the caller reads. */
	report(q, 1);
	report(q, 2);
	ck_assert_int_eq(obj_describe(&q->obj, &desc), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(desc, "queued")),
	    2);
	ck_assert(json_is_true(json_object_get(desc, "open")));
	json_decref(desc);
	ck_assert_int_eq(read(fd, r, sizeof(r[0])), sizeof(r[0]));
	ck_assert_int_eq(obj_describe(&q->obj, &desc), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(desc, "queued")),
	    1);
	json_decref(desc);
	ck_assert_uint_eq(r[0].virt_id, 1);
	report(q, 3);
	ck_assert_int_eq(read(fd, r, sizeof(r)), 2 * sizeof(r[0]));
	ck_assert_uint_eq(r[0].virt_id, 2);
	ck_assert_uint_eq(r[1].virt_id, 3);
	ck_assert_uint_eq(r[1].hdr.sequence, 7);

	/* Closed: the object stays for DESTROY, and then the vIOMMU can go. */
	close(fd);
	close(fd2);
	hfd_reap(tctx);
	ck_assert_ptr_null(q->hfd);
	v = 5;
	ck_assert_int_eq(veventq_report(q, &v, sizeof(v)), 0);
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), 0);
	d.id = id2;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), 0);
	d.id = viommu->id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_DESTROY, &d), 0);
	ck_assert_uint_eq(hfd_count(), 0);
}
END_TEST

static Suite *
veventq_suite(void)
{
	Suite	*s = suite_create("veventq");
	TCase	*tc;

	tc = test_tcase(s, "queue");
	tcase_add_test(tc, veventq_records);
	tcase_add_test(tc, veventq_lost);
	tcase_add_test(tc, veventq_wrap);
	tcase_add_test(tc, veventq_fd);
	return (s);
}
SUITE(veventq_suite)
