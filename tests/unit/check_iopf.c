/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Page requests and vIOMMU events from the device side to the caller's
 * descriptors, as the selftest's TRIGGER_IOPF and TRIGGER_VEVENT raise
 * them on mock devices: the fault record's contents, the HWPT each
 * request is routed to (RID, PASID, the RID's nested domain for a PASID
 * of its own), the answer written back, the groups answered INVALID when
 * their attachment ends, and the vEVENT's payload and sequence numbers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "core/umem.h"
#include "helpers.h"
#include "iommufd/objs.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

static void
iopf_setup(void)
{
	test_setup();
	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
}

static void
iopf_teardown(void)
{
	test_teardown();
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
	ck_assert_uint_eq(hfd_count(), 0);
}

static void
mock_dev(uint32_t pt_id, uint32_t flags, uint32_t *stdev, uint32_t *idev)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.mock_domain_flags.dev_flags = flags;
	ck_assert_int_eq(test_mock_cmd(&c, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, pt_id),
	    0);
	*stdev = c.mock_domain_flags.out_stdev_id;
	*idev = c.mock_domain_flags.out_idev_id;
}

static long
replace(uint32_t stdev, uint32_t pt_id)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.mock_domain_replace.pt_id = pt_id;
	return (test_mock_cmd(&c, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev));
}

static long
pasid_op(uint32_t op, uint32_t stdev, uint32_t pasid, uint32_t pt_id)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.pasid_attach.pasid = pasid;
	c.pasid_attach.pt_id = pt_id;
	return (test_mock_cmd(&c, op, stdev));
}

static long
destroy(uint32_t id)
{
	struct iommu_destroy	d = { .size = sizeof(d), .id = id };

	return (test_ioctl(tctx, IOMMU_DESTROY, &d));
}

/* A fault queue: its object and the caller's descriptor. */
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

static uint32_t
hwpt_alloc(uint32_t dev, uint32_t pt, uint32_t flags, uint32_t fault_id,
    uint32_t data_type, void *data, uint32_t len)
{
	struct iommu_hwpt_alloc	h;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = flags | (fault_id != 0 ? IOMMU_HWPT_FAULT_ID_VALID : 0);
	h.dev_id = dev;
	h.pt_id = pt;
	h.fault_id = fault_id;
	h.data_type = data_type;
	h.data_len = len;
	h.data_uptr = (uintptr_t)data;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_ALLOC, &h), 0);
	return (h.out_hwpt_id);
}

static long
trigger_iopf(uint32_t dev_id, uint32_t pasid, uint32_t grpid)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.trigger_iopf.dev_id = dev_id;
	c.trigger_iopf.pasid = pasid;
	c.trigger_iopf.grpid = grpid;
	c.trigger_iopf.perm = IOMMU_PGFAULT_PERM_READ |
	    IOMMU_PGFAULT_PERM_WRITE;
	c.trigger_iopf.addr = 0xdeadbeaf;
	return (test_mock_cmd(&c, IOMMU_TEST_OP_TRIGGER_IOPF, 0));
}

/* Groups in the queue, read by the caller or not. */
static unsigned int
queued(struct fault *f)
{
	return (f->npending + f->nsent);
}

/*
 * A request on the RID reaches the fault queue of the HWPT the RID is
 * attached to, as one record with the device's id, LAST_PAGE and the
 * request's fields; the caller's answer ends the group.
 */
START_TEST(iopf_record_and_answer)
{
	struct iommu_hwpt_page_response	 resp;
	struct iommu_hwpt_pgfault	 r;
	struct fault			*f;
	uint32_t			 ioas = test_ioas_new(), stdev, idev, hwpt;
	int				 fd;

	mock_dev(ioas, 0, &stdev, &idev);
	f = fault_new(&fd);
	hwpt = hwpt_alloc(idev, ioas, 0, f->obj.id, 0, NULL, 0);

	/* Nothing takes a request while the RID is on the auto domain. */
	ck_assert_int_eq(trigger_iopf(idev, 0, 2), 0);
	ck_assert_uint_eq(queued(f), 0);
	/* Not a device: ENOENT, as are ids of other kinds. */
	ck_assert_int_eq(trigger_iopf(idev + 100, 0, 2), -ENOENT);
	ck_assert_int_eq(trigger_iopf(stdev, 0, 2), -ENOENT);

	ck_assert_int_eq(replace(stdev, hwpt), 0);
	ck_assert_int_eq(trigger_iopf(idev, 0, 2), 0);
	ck_assert_uint_eq(queued(f), 1);
	ck_assert_int_eq(read(fd, &r, sizeof(r)), sizeof(r));
	ck_assert_uint_eq(r.flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
	ck_assert_uint_eq(r.dev_id, idev);
	ck_assert_uint_eq(r.pasid, 0);
	ck_assert_uint_eq(r.grpid, 2);
	ck_assert_uint_eq(r.perm, IOMMU_PGFAULT_PERM_READ |
	    IOMMU_PGFAULT_PERM_WRITE);
	ck_assert_uint_eq(r.addr, 0xdeadbeaf);
	ck_assert_uint_eq(r.length, 0);
	ck_assert_uint_eq(r.cookie, 1);
	ck_assert_uint_eq(f->nsent, 1);

	resp.cookie = r.cookie;
	resp.code = IOMMUFD_PAGE_RESP_SUCCESS;
	ck_assert_int_eq(write(fd, &resp, sizeof(resp)), sizeof(resp));
	hfd_ready(f->hfd);
	ck_assert_uint_eq(queued(f), 0);
	/* The cookie is free again: the next group gets 1 too. */
	ck_assert_int_eq(trigger_iopf(idev, 0, 3), 0);
	ck_assert_int_eq(read(fd, &r, sizeof(r)), sizeof(r));
	ck_assert_uint_eq(r.cookie, 1);
	ck_assert_uint_eq(r.grpid, 3);

	/* The HWPT is held while attached; the queue while it is open. */
	ck_assert_int_eq(destroy(hwpt), -EBUSY);
	ck_assert_int_eq(replace(stdev, ioas), 0);
	ck_assert_int_eq(destroy(hwpt), 0);
	close(fd);
	hfd_reap(tctx);
	ck_assert_int_eq(destroy(f->obj.id), 0);
}
END_TEST

/*
 * Moving the RID off the HWPT, detaching it or unbinding the device
 * answers INVALID for the device's groups in that queue, read or not,
 * and no others; a late answer to a cancelled cookie changes nothing.
 */
START_TEST(iopf_cancel_on_detach)
{
	struct iommu_hwpt_page_response	 resp;
	struct iommu_hwpt_pgfault	 r;
	struct fault			*f;
	uint32_t			 ioas = test_ioas_new(), stdev, idev;
	uint32_t			 stdev2, idev2, hwpt;
	int				 fd;

	mock_dev(ioas, 0, &stdev, &idev);
	mock_dev(ioas, 0, &stdev2, &idev2);
	f = fault_new(&fd);
	hwpt = hwpt_alloc(idev, ioas, 0, f->obj.id, 0, NULL, 0);
	ck_assert_int_eq(replace(stdev, hwpt), 0);
	ck_assert_int_eq(replace(stdev2, hwpt), 0);

	ck_assert_int_eq(trigger_iopf(idev, 0, 1), 0);
	ck_assert_int_eq(trigger_iopf(idev2, 0, 2), 0);
	ck_assert_int_eq(trigger_iopf(idev, 0, 3), 0);
	ck_assert_uint_eq(queued(f), 3);
	ck_assert_int_eq(read(fd, &r, sizeof(r)), sizeof(r));
	ck_assert_uint_eq(r.dev_id, idev);

	/* A replace to the same HWPT ends no attachment. */
	ck_assert_int_eq(replace(stdev, hwpt), 0);
	ck_assert_uint_eq(queued(f), 3);
	ck_assert_int_eq(replace(stdev, ioas), 0);
	ck_assert_uint_eq(queued(f), 1);

	/* The cancelled cookie is refused; the other device's group stays. */
	resp.cookie = r.cookie;
	resp.code = IOMMUFD_PAGE_RESP_SUCCESS;
	ck_assert_int_eq(write(fd, &resp, sizeof(resp)), sizeof(resp));
	hfd_ready(f->hfd);
	ck_assert_uint_eq(queued(f), 1);

	/* Unbinding the other device (its stdev's DESTROY) answers its own. */
	ck_assert_int_eq(destroy(stdev2), 0);
	ck_assert_uint_eq(queued(f), 0);
	ck_assert_int_eq(destroy(hwpt), 0);
	close(fd);
}
END_TEST

/*
 * A request with a PASID goes to the HWPT attached on that PASID; the
 * mock owns no PASID table of its own, so a PASID with no attachment of
 * its own reaches the RID's HWPT only when that one is nested. Ending
 * one attachment cancels only the groups that came through it.
 */
START_TEST(iopf_pasid_routing)
{
	struct iommu_hwpt_selftest	 sel = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	struct iommu_hwpt_pgfault	 r;
	struct fault			*f;
	uint32_t			 ioas = test_ioas_new(), stdev, idev;
	uint32_t			 paging, parent, nested;
	int				 fd;

	mock_dev(ioas, MOCK_FLAGS_DEVICE_PASID, &stdev, &idev);
	f = fault_new(&fd);
	paging = hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_PASID, f->obj.id, 0,
	    NULL, 0);
	parent = hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT |
	    IOMMU_HWPT_ALLOC_PASID, 0, 0, NULL, 0);
	nested = hwpt_alloc(idev, parent, IOMMU_HWPT_ALLOC_PASID, f->obj.id,
	    IOMMU_HWPT_DATA_SELFTEST, &sel, sizeof(sel));

	ck_assert_int_eq(replace(stdev, parent), 0);
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_ATTACH, stdev, 5,
	    paging), 0);
	/* PASID 5 reaches its HWPT; PASID 6 and the RID reach none. */
	ck_assert_int_eq(trigger_iopf(idev, 5, 1), 0);
	ck_assert_int_eq(trigger_iopf(idev, 6, 2), 0);
	ck_assert_int_eq(trigger_iopf(idev, 0, 3), 0);
	ck_assert_uint_eq(queued(f), 1);
	ck_assert_int_eq(read(fd, &r, sizeof(r)), sizeof(r));
	ck_assert_uint_eq(r.flags, IOMMU_PGFAULT_FLAGS_LAST_PAGE |
	    IOMMU_PGFAULT_FLAGS_PASID_VALID);
	ck_assert_uint_eq(r.pasid, 5);
	ck_assert_uint_eq(r.grpid, 1);

	/* On the nested RID, PASID 6 is taken by the RID's HWPT. */
	ck_assert_int_eq(replace(stdev, nested), 0);
	ck_assert_int_eq(trigger_iopf(idev, 6, 2), 0);
	ck_assert_uint_eq(queued(f), 2);
	ck_assert_int_eq(read(fd, &r, sizeof(r)), sizeof(r));
	ck_assert_uint_eq(r.pasid, 6);
	ck_assert_uint_eq(r.cookie, 2);

	/* Detaching PASID 5 answers its group, not the RID's. */
	ck_assert_int_eq(pasid_op(IOMMU_TEST_OP_PASID_DETACH, stdev, 5, 0),
	    0);
	ck_assert_uint_eq(queued(f), 1);
	ck_assert_int_eq(replace(stdev, ioas), 0);
	ck_assert_uint_eq(queued(f), 0);

	ck_assert_int_eq(destroy(nested), 0);
	ck_assert_int_eq(destroy(parent), 0);
	ck_assert_int_eq(destroy(paging), 0);
	close(fd);
}
END_TEST

/* What one read of the vEVENTQ gives: a header and the mock's payload. */
struct vrec {
	struct iommufd_vevent_header		hdr;
	struct iommu_viommu_event_selftest	ev;
};

static long
trigger_vevent(uint32_t dev_id)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.trigger_vevent.dev_id = dev_id;
	return (test_mock_cmd(&c, IOMMU_TEST_OP_TRIGGER_VEVENT, 0));
}

/*
 * TRIGGER_VEVENT reaches the SELFTEST queue of the vIOMMU the RID's
 * nested HWPT is on, with the vDEVICE's virt_id; sequence numbers count
 * up, and a full queue's drops show as one lost-events header.
 */
START_TEST(vevent_trigger)
{
	struct iommu_hwpt_selftest	 sel = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	struct iommu_veventq_alloc	 qa;
	struct iommu_viommu_alloc	 va;
	struct iommu_vdevice_alloc	 vd;
	struct vrec			 v[3];
	uint32_t			 ioas = test_ioas_new(), stdev, idev;
	uint32_t			 parent, nested;
	ssize_t				 n;
	int				 fd;

	mock_dev(ioas, 0, &stdev, &idev);
	parent = hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, 0,
	    NULL, 0);
	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.dev_id = idev;
	va.hwpt_id = parent;
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va), 0);
	nested = hwpt_alloc(idev, va.out_viommu_id, 0, 0,
	    IOMMU_HWPT_DATA_SELFTEST, &sel, sizeof(sel));

	/* No vIOMMU behind the RID yet. */
	ck_assert_int_eq(trigger_vevent(idev), -ENOENT);
	ck_assert_int_eq(trigger_vevent(idev + 100), -ENOENT);
	memset(&vd, 0, sizeof(vd));
	vd.size = sizeof(vd);
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = idev;
	vd.virt_id = 0x99;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VDEVICE_ALLOC, &vd), 0);
	ck_assert_int_eq(replace(stdev, nested), 0);
	/* No queue of the type on the vIOMMU. */
	ck_assert_int_eq(trigger_vevent(idev), -EOPNOTSUPP);

	memset(&qa, 0, sizeof(qa));
	qa.size = sizeof(qa);
	qa.viommu_id = va.out_viommu_id;
	qa.type = IOMMU_VEVENTQ_TYPE_SELFTEST;
	qa.veventq_depth = 2;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VEVENTQ_ALLOC, &qa), 0);
	fd = (int)qa.out_veventq_fd;

	ck_assert_int_eq(trigger_vevent(idev), 0);
	ck_assert_int_eq(read(fd, v, sizeof(v[0])), sizeof(v[0]));
	ck_assert_uint_eq(v[0].hdr.flags, 0);
	ck_assert_uint_eq(v[0].hdr.sequence, 0);
	ck_assert_uint_eq(v[0].ev.virt_id, 0x99);

	/* Three into a queue of two: two events, then the marker. */
	ck_assert_int_eq(trigger_vevent(idev), 0);
	ck_assert_int_eq(trigger_vevent(idev), 0);
	ck_assert_int_eq(trigger_vevent(idev), 0);
	memset(v, 0, sizeof(v));
	n = read(fd, v, sizeof(v));
	ck_assert_int_eq(n, 2 * sizeof(v[0]) + sizeof(v[0].hdr));
	ck_assert_uint_eq(v[0].hdr.sequence, 1);
	ck_assert_uint_eq(v[0].ev.virt_id, 0x99);
	ck_assert_uint_eq(v[1].hdr.sequence, 2);
	ck_assert_uint_eq(v[2].hdr.flags, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	ck_assert_uint_eq(v[2].hdr.sequence, 3);
	ck_assert_int_eq(trigger_vevent(idev), 0);
	ck_assert_int_eq(read(fd, v, sizeof(v[0])), sizeof(v[0]));
	ck_assert_uint_eq(v[0].hdr.flags, 0);
	ck_assert_uint_eq(v[0].hdr.sequence, 4);

	/* Off the nested HWPT, the device reaches no vIOMMU again. */
	ck_assert_int_eq(replace(stdev, ioas), 0);
	ck_assert_int_eq(trigger_vevent(idev), -ENOENT);
	close(fd);
	hfd_reap(tctx);
	ck_assert_int_eq(destroy(qa.out_veventq_id), 0);
	ck_assert_int_eq(destroy(vd.out_vdevice_id), 0);
	ck_assert_int_eq(destroy(nested), 0);
	ck_assert_int_eq(destroy(va.out_viommu_id), 0);
}
END_TEST

/* A vDEVICE with virt_id 0 names no device to the guest: ENOENT. */
START_TEST(vevent_virt_id_zero)
{
	struct iommu_hwpt_selftest	 sel = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	struct iommu_viommu_alloc	 va;
	struct iommu_vdevice_alloc	 vd;
	uint32_t			 ioas = test_ioas_new(), stdev, idev;
	uint32_t			 parent, nested;

	mock_dev(ioas, 0, &stdev, &idev);
	parent = hwpt_alloc(idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, 0,
	    NULL, 0);
	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.dev_id = idev;
	va.hwpt_id = parent;
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VIOMMU_ALLOC, &va), 0);
	nested = hwpt_alloc(idev, va.out_viommu_id, 0, 0,
	    IOMMU_HWPT_DATA_SELFTEST, &sel, sizeof(sel));
	memset(&vd, 0, sizeof(vd));
	vd.size = sizeof(vd);
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = idev;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_VDEVICE_ALLOC, &vd), 0);
	ck_assert_int_eq(replace(stdev, nested), 0);
	ck_assert_int_eq(trigger_vevent(idev), -ENOENT);
	ck_assert_int_eq(replace(stdev, ioas), 0);
	(void)parent;
}
END_TEST

static Suite *
iopf_suite(void)
{
	Suite	*s = suite_create("iopf");
	TCase	*tc = tcase_create("mock");

	tcase_add_checked_fixture(tc, iopf_setup, iopf_teardown);
	tcase_add_test(tc, iopf_record_and_answer);
	tcase_add_test(tc, iopf_cancel_on_detach);
	tcase_add_test(tc, iopf_pasid_routing);
	tcase_add_test(tc, vevent_trigger);
	tcase_add_test(tc, vevent_virt_id_zero);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(iopf_suite)
