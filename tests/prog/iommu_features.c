/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * One feature of /dev/iommu at a time on the selftest's mock device
 * (IOMMU_TEST_CMD), as a short session whose every call is on the iommufd
 * node, so that its trace replays whole. These are the per-feature golden
 * traces of tests/traces:
 *
 *  dirty	a HWPT with DIRTY_TRACKING, tracking on, pages marked dirty by
 *		the mock, the bitmap read with and without NO_CLEAR, tracking
 *		off; DIRTY_TRACKING refused for a device without it
 *  pasid	a PASID-capable mock device: a PASID refused beside the
 *		RID's auto domain, then attached to a HWPT allocated with
 *		IOMMU_HWPT_ALLOC_PASID, replaced, checked, detached; the
 *		reserved PASID's replace failing
 *  fault	a fault queue, a HWPT naming it, page requests raised by the
 *		mock, read and answered on the queue's descriptor; the
 *		queue kept (EBUSY) while that descriptor is open, destroyed
 *		once it is closed
 *  vevent	a vIOMMU, a vDEVICE, a vEVENTQ, events raised by the mock and
 *		read from the queue's descriptor; the same EBUSY, and the
 *		vIOMMU kept while its vDEVICE is there
 *  mmap	a vIOMMU offering the mock's page, mmap()ed on the iommufd, a
 *		vDEVICE and a vEVENTQ on it, events read; the vIOMMU kept
 *		(EBUSY) while any of its page is mapped, half unmapped, the
 *		rest unmapped, destroyed
 *
 * usage: iommu_features dirty | pasid | fault | vevent | mmap
 */
#include <sys/mman.h>

#include <fcntl.h>
#include <stdlib.h>

#include "check.h"
#include "iommufd_test.h"

#define FT_IOVA		(1ULL << 24)	/* where the sessions map */
#define FT_LEN		(1ULL << 20)	/* what they map */
#define FT_PAGE		4096ULL		/* dirty bitmap granule */
#define FT_PASID	100

/* IOMMU_TEST_CMD op on id with c's union: 0, or the errno. */
static int
test_cmd(int fd, struct iommu_test_cmd *c, uint32_t op, uint32_t id)
{
	c->size = sizeof(*c);
	c->op = op;
	c->id = id;
	return (ioctl(fd, IOMMU_TEST_CMD, c) == 0 ? 0 : errno);
}

/*
 * A HWPT for device dev on pt with flags (and the mock's data when sel is
 * not NULL): its id, or 0. *err gets the errno (0 on success).
 */
static uint32_t
hwpt_alloc(int fd, uint32_t dev, uint32_t pt, uint32_t flags,
    struct iommu_hwpt_selftest *sel, uint32_t fault, int *err)
{
	struct iommu_hwpt_alloc	h;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = flags;
	h.dev_id = dev;
	h.pt_id = pt;
	h.fault_id = fault;
	if (sel != NULL) {
		h.data_type = IOMMU_HWPT_DATA_SELFTEST;
		h.data_uptr = (uintptr_t)sel;
		h.data_len = sizeof(*sel);
	}
	*err = ioctl(fd, IOMMU_HWPT_ALLOC, &h) == 0 ? 0 : errno;
	return (*err == 0 ? h.out_hwpt_id : 0);
}

/* A mock device with dev_flags on pt: 0 or the errno; ids in *c. */
static int
mock_device(int fd, uint32_t pt, uint32_t dev_flags,
    struct iommu_test_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->mock_domain_flags.dev_flags = dev_flags;
	return (test_cmd(fd, c, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, pt));
}

/* Moves mock device stdev onto pt: 0 or the errno. */
static int
replace(int fd, uint32_t stdev, uint32_t pt)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.mock_domain_replace.pt_id = pt;
	return (test_cmd(fd, &c, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev));
}

/* Maps FT_LEN of va at FT_IOVA in ioas: 0 or the errno. */
static int
map_fixed(int fd, uint32_t ioas, void *va)
{
	struct iommu_ioas_map	m;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.ioas_id = ioas;
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	m.user_va = (uintptr_t)va;
	m.length = FT_LEN;
	m.iova = FT_IOVA;
	return (ioctl(fd, IOMMU_IOAS_MAP, &m) == 0 ? 0 : errno);
}

/* Tracking on hwpt on or off: 0 or the errno. */
static int
set_dirty(int fd, uint32_t hwpt, int on)
{
	struct iommu_hwpt_set_dirty_tracking	s;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.hwpt_id = hwpt;
	s.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0;
	return (ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s) == 0 ? 0 : errno);
}

/* The dirty bitmap of hwpt's FT_LEN at FT_IOVA into bm: 0 or the errno. */
static int
get_dirty(int fd, uint32_t hwpt, uint32_t flags, uint64_t *bm)
{
	struct iommu_hwpt_get_dirty_bitmap	g;

	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.hwpt_id = hwpt;
	g.flags = flags;
	g.iova = FT_IOVA;
	g.length = FT_LEN;
	g.page_size = FT_PAGE;
	g.data = (uintptr_t)bm;
	return (ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g) == 0 ? 0 : errno);
}

/* The dirty session on ioas, mapping va (see the top of the file). */
static void
ft_dirty(int fd, uint32_t ioas, void *va)
{
	struct iommu_test_cmd	c;
	uint64_t		bm[FT_LEN / FT_PAGE / 64];
	uint32_t		stdev, hwpt, other;
	int			err;

	CHECK(mock_device(fd, ioas, 0, &c) == 0, "a mock device");
	stdev = c.mock_domain_flags.out_stdev_id;
	hwpt = hwpt_alloc(fd, c.mock_domain_flags.out_idev_id, ioas,
	    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL, 0, &err);
	CHECK(hwpt != 0, "HWPT_ALLOC with DIRTY_TRACKING");
	CHECK(replace(fd, stdev, hwpt) == 0, "the device onto it");
	CHECK(map_fixed(fd, ioas, va) == 0, "a map");
	CHECK(set_dirty(fd, hwpt, 1) == 0, "tracking on");

	/* Pages 0, 3 and 255 written by the device. */
	memset(bm, 0, sizeof(bm));
	bm[0] = 1 | 1 << 3;
	bm[3] = 1ULL << 63;
	memset(&c, 0, sizeof(c));
	c.dirty.iova = FT_IOVA;
	c.dirty.length = FT_LEN;
	c.dirty.page_size = FT_PAGE;
	c.dirty.uptr = (uintptr_t)bm;
	CHECK(test_cmd(fd, &c, IOMMU_TEST_OP_DIRTY, hwpt) == 0 &&
	    c.dirty.out_nr_dirty == 3, "three pages marked dirty");
	memset(bm, 0, sizeof(bm));
	CHECK(get_dirty(fd, hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
	    bm) == 0 && bm[0] == (1 | 1 << 3) && bm[3] == 1ULL << 63,
	    "the bitmap, kept");
	memset(bm, 0, sizeof(bm));
	CHECK(get_dirty(fd, hwpt, 0, bm) == 0 && bm[0] == (1 | 1 << 3),
	    "the bitmap again, cleared this time");
	memset(bm, 0, sizeof(bm));
	CHECK(get_dirty(fd, hwpt, 0, bm) == 0 && bm[0] == 0 && bm[3] == 0,
	    "nothing dirty after the clear");
	CHECK(set_dirty(fd, hwpt, 0) == 0, "tracking off");

	/* A device without dirty tracking. */
	CHECK(mock_device(fd, ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, &c) == 0,
	    "a mock device without dirty tracking");
	other = hwpt_alloc(fd, c.mock_domain_flags.out_idev_id, ioas,
	    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, NULL, 0, &err);
	CHECK(other == 0 && err == EOPNOTSUPP,
	    "DIRTY_TRACKING for it: EOPNOTSUPP");
	CHECK(ioas_destroy(fd, c.mock_domain_flags.out_stdev_id) == 0,
	    "DESTROY that device");

	CHECK(replace(fd, stdev, ioas) == 0, "the device back on the IOAS");
	CHECK(ioas_destroy(fd, hwpt) == 0, "DESTROY the HWPT");
	CHECK(ioas_destroy(fd, stdev) == 0, "DESTROY the device");
}

/* PASID op on stdev: 0 or the errno. */
static int
pasid_op(int fd, uint32_t op, uint32_t stdev, uint32_t pasid, uint32_t pt)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.pasid_attach.pasid = pasid;
	c.pasid_attach.pt_id = pt;
	return (test_cmd(fd, &c, op, stdev));
}

/* The PASID session on ioas, mapping va. */
static void
ft_pasid(int fd, uint32_t ioas, void *va)
{
	struct iommu_test_cmd	c;
	uint32_t		stdev, idev, a, b;
	int			err;

	CHECK(map_fixed(fd, ioas, va) == 0, "a map");
	CHECK(mock_device(fd, ioas, MOCK_FLAGS_DEVICE_PASID, &c) == 0,
	    "a PASID-capable mock device");
	stdev = c.mock_domain_flags.out_stdev_id;
	idev = c.mock_domain_flags.out_idev_id;
	a = hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_PASID, NULL, 0, &err);
	CHECK(a != 0, "HWPT_ALLOC with PASID");
	b = hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_PASID, NULL, 0, &err);
	CHECK(b != 0, "a second one");
	/* PASIDs only beside a RID on a HWPT that allows them. */
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, FT_PASID,
	    a) == EINVAL, "PASID %d beside the RID's auto domain", FT_PASID);
	CHECK(replace(fd, stdev, a) == 0, "the RID onto the first HWPT");
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, FT_PASID,
	    0) == 0, "PASID %d on nothing", FT_PASID);
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, FT_PASID,
	    a) == 0, "PASID %d attached", FT_PASID);
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, FT_PASID,
	    a) == 0, "on the first HWPT");
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_REPLACE, stdev, FT_PASID,
	    b) == 0, "replaced");
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, FT_PASID,
	    b) == 0, "on the second HWPT");
	CHECK(ioas_destroy(fd, b) == EBUSY, "DESTROY of the HWPT in use");
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_ATTACH, stdev,
	    IOMMU_TEST_PASID_RESERVED, a) == 0, "the reserved PASID attached");
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_REPLACE, stdev,
	    IOMMU_TEST_PASID_RESERVED, b) == ENOMEM,
	    "its replace fails on purpose");
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev,
	    IOMMU_TEST_PASID_RESERVED, a) == 0, "and leaves it where it was");
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_DETACH, stdev,
	    IOMMU_TEST_PASID_RESERVED, 0) == 0, "detached");
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_DETACH, stdev, FT_PASID,
	    0) == 0, "PASID %d detached", FT_PASID);
	CHECK(pasid_op(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, FT_PASID,
	    0) == 0, "on nothing again");
	CHECK(replace(fd, stdev, ioas) == 0, "the RID back on the IOAS");
	CHECK(ioas_destroy(fd, a) == 0 && ioas_destroy(fd, b) == 0,
	    "DESTROY both HWPTs");
	CHECK(ioas_destroy(fd, stdev) == 0, "DESTROY the device");
}

/* The fault session on ioas. */
static void
ft_fault(int fd, uint32_t ioas)
{
	struct iommu_hwpt_page_response	 resp[2];
	struct iommu_hwpt_pgfault	 r[2];
	struct iommu_fault_alloc	 fa;
	struct iommu_test_cmd		 c;
	uint32_t			 stdev, idev, hwpt;
	int				 i, err;

	CHECK(mock_device(fd, ioas, 0, &c) == 0, "a mock device");
	stdev = c.mock_domain_flags.out_stdev_id;
	idev = c.mock_domain_flags.out_idev_id;
	memset(&fa, 0, sizeof(fa));
	fa.size = sizeof(fa);
	CHECK(ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa) == 0,
	    "FAULT_QUEUE_ALLOC");
	hwpt = hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_FAULT_ID_VALID, NULL,
	    fa.out_fault_id, &err);
	CHECK(hwpt != 0, "a HWPT with the fault queue");
	CHECK(replace(fd, stdev, hwpt) == 0, "the device onto it");
	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		c.trigger_iopf.dev_id = idev;
		c.trigger_iopf.grpid = (uint32_t)i + 1;
		c.trigger_iopf.addr = FT_IOVA + (uint64_t)i * FT_PAGE;
		CHECK(test_cmd(fd, &c, IOMMU_TEST_OP_TRIGGER_IOPF, 0) == 0,
		    "page request %d", i + 1);
	}
	memset(r, 0, sizeof(r));
	CHECK(read((int)fa.out_fault_fd, r, sizeof(r)) ==
	    (ssize_t)sizeof(r) && r[0].grpid == 1 && r[1].grpid == 2 &&
	    r[1].addr == FT_IOVA + FT_PAGE, "both requests read");
	memset(resp, 0, sizeof(resp));
	for (i = 0; i < 2; i++) {
		resp[i].cookie = r[i].cookie;
		resp[i].code = IOMMUFD_PAGE_RESP_SUCCESS;
	}
	CHECK(write((int)fa.out_fault_fd, resp, sizeof(resp)) ==
	    (ssize_t)sizeof(resp), "both answered");
	CHECK(replace(fd, stdev, ioas) == 0, "the device back on the IOAS");
	CHECK(ioas_destroy(fd, hwpt) == 0, "DESTROY the HWPT");
	CHECK(ioas_destroy(fd, fa.out_fault_id) == EBUSY,
	    "DESTROY of the queue while its descriptor is open");
	close((int)fa.out_fault_fd);
	CHECK(ioas_destroy(fd, fa.out_fault_id) == 0,
	    "DESTROY of the queue once it is closed");
	CHECK(ioas_destroy(fd, stdev) == 0, "DESTROY the device");
}

/* One vEVENT of the mock: its header and the vDEVICE's virt_id. */
struct ft_vevent {
	struct iommufd_vevent_header		hdr;
	struct iommu_viommu_event_selftest	ev;
};

/*
 * On vIOMMU viommu of mock device idev (its selftest id stdev): a vDEVICE
 * (*vd), a nested HWPT the device is moved onto (*nested), a vEVENTQ
 * (*qa) and two events raised by the mock and read from it.
 */
static void
ft_events(int fd, uint32_t stdev, uint32_t idev, uint32_t viommu,
    struct iommu_vdevice_alloc *vd, uint32_t *nested,
    struct iommu_veventq_alloc *qa)
{
	struct iommu_hwpt_selftest	sel = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	struct iommu_test_cmd		c;
	struct ft_vevent		v[2];
	int				i, err;

	memset(vd, 0, sizeof(*vd));
	vd->size = sizeof(*vd);
	vd->viommu_id = viommu;
	vd->dev_id = idev;
	vd->virt_id = 0x42;
	CHECK(ioctl(fd, IOMMU_VDEVICE_ALLOC, vd) == 0, "VDEVICE_ALLOC");
	*nested = hwpt_alloc(fd, idev, viommu, 0, &sel, 0, &err);
	CHECK(*nested != 0, "a nested HWPT on the vIOMMU");
	CHECK(replace(fd, stdev, *nested) == 0, "the device onto it");
	memset(qa, 0, sizeof(*qa));
	qa->size = sizeof(*qa);
	qa->viommu_id = viommu;
	qa->type = IOMMU_VEVENTQ_TYPE_SELFTEST;
	qa->veventq_depth = 4;
	CHECK(ioctl(fd, IOMMU_VEVENTQ_ALLOC, qa) == 0, "VEVENTQ_ALLOC");
	memset(&c, 0, sizeof(c));
	c.trigger_vevent.dev_id = idev;
	for (i = 0; i < 2; i++)
		CHECK(test_cmd(fd, &c, IOMMU_TEST_OP_TRIGGER_VEVENT, 0) == 0,
		    "event %d", i + 1);
	memset(v, 0, sizeof(v));
	CHECK(read((int)qa->out_veventq_fd, v, sizeof(v)) ==
	    (ssize_t)sizeof(v) && v[0].ev.virt_id == 0x42 &&
	    v[1].hdr.sequence == 1, "both events read");
}

/* The vEVENTQ session on ioas. */
static void
ft_vevent(int fd, uint32_t ioas)
{
	struct iommu_veventq_alloc	qa;
	struct iommu_vdevice_alloc	vd;
	struct iommu_viommu_alloc	va;
	struct iommu_test_cmd		c;
	uint32_t			stdev, idev, parent, nested;
	int				err;

	CHECK(mock_device(fd, ioas, 0, &c) == 0, "a mock device");
	stdev = c.mock_domain_flags.out_stdev_id;
	idev = c.mock_domain_flags.out_idev_id;
	parent = hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
	    NULL, 0, &err);
	CHECK(parent != 0, "a nesting parent");
	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.dev_id = idev;
	va.hwpt_id = parent;
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	CHECK(ioctl(fd, IOMMU_VIOMMU_ALLOC, &va) == 0, "VIOMMU_ALLOC");
	ft_events(fd, stdev, idev, va.out_viommu_id, &vd, &nested, &qa);
	CHECK(replace(fd, stdev, ioas) == 0, "the device back on the IOAS");
	CHECK(ioas_destroy(fd, qa.out_veventq_id) == EBUSY,
	    "DESTROY of the queue while its descriptor is open");
	close((int)qa.out_veventq_fd);
	CHECK(ioas_destroy(fd, qa.out_veventq_id) == 0,
	    "DESTROY of the queue once it is closed");
	CHECK(ioas_destroy(fd, nested) == 0, "DESTROY the nested HWPT");
	CHECK(ioas_destroy(fd, va.out_viommu_id) == EBUSY,
	    "DESTROY of the vIOMMU under its vDEVICE");
	CHECK(ioas_destroy(fd, vd.out_vdevice_id) == 0, "DESTROY the vDEVICE");
	CHECK(ioas_destroy(fd, va.out_viommu_id) == 0, "DESTROY the vIOMMU");
	CHECK(ioas_destroy(fd, parent) == 0, "DESTROY the parent");
	CHECK(ioas_destroy(fd, stdev) == 0, "DESTROY the device");
}

/*
 * The mmap session on ioas: the vIOMMU's page mapped as a VMM maps a
 * hardware queue's, with a vEVENTQ beside it.
 */
static void
ft_mmap(int fd, uint32_t ioas)
{
	struct iommu_viommu_selftest	data = { .in_data = 0xbeef };
	struct iommu_veventq_alloc	qa;
	struct iommu_vdevice_alloc	vd;
	struct iommu_viommu_alloc	va;
	struct iommu_test_cmd		c;
	uint32_t			stdev, idev, parent, nested;
	uint8_t				*page;
	size_t				len;
	int				err;

	CHECK(mock_device(fd, ioas, 0, &c) == 0, "a mock device");
	stdev = c.mock_domain_flags.out_stdev_id;
	idev = c.mock_domain_flags.out_idev_id;
	parent = hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
	    NULL, 0, &err);
	CHECK(parent != 0, "a nesting parent");
	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.dev_id = idev;
	va.hwpt_id = parent;
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	va.data_uptr = (uintptr_t)&data;
	va.data_len = sizeof(data);
	CHECK(ioctl(fd, IOMMU_VIOMMU_ALLOC, &va) == 0 &&
	    data.out_data == 0xbeef, "VIOMMU_ALLOC with the mock's data");
	len = (size_t)data.out_mmap_length;
	CHECK(len >= 2 * FT_PAGE, "a region of two pages or more (%zu)", len);
	page = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    (off_t)data.out_mmap_offset);
	CHECK(page != MAP_FAILED, "mmap of the vIOMMU's region");
	if (page == MAP_FAILED)
		return;
	page[0] = 0x5a;
	CHECK(page[0] == 0x5a, "the region is memory");
	ft_events(fd, stdev, idev, va.out_viommu_id, &vd, &nested, &qa);
	close((int)qa.out_veventq_fd);
	CHECK(replace(fd, stdev, ioas) == 0, "the device back on the IOAS");
	CHECK(ioas_destroy(fd, qa.out_veventq_id) == 0, "DESTROY the vEVENTQ");
	CHECK(ioas_destroy(fd, nested) == 0, "DESTROY the nested HWPT");
	CHECK(ioas_destroy(fd, vd.out_vdevice_id) == 0, "DESTROY the vDEVICE");
	CHECK(ioas_destroy(fd, va.out_viommu_id) == EBUSY,
	    "DESTROY of the vIOMMU while its region is mapped");
	CHECK(munmap(page, FT_PAGE) == 0, "munmap of the first page");
	CHECK(ioas_destroy(fd, va.out_viommu_id) == EBUSY,
	    "DESTROY of the vIOMMU while the rest is mapped");
	CHECK(munmap(page + FT_PAGE, len - FT_PAGE) == 0, "munmap of the rest");
	CHECK(ioas_destroy(fd, va.out_viommu_id) == 0,
	    "DESTROY of the vIOMMU once nothing maps it");
	CHECK(ioas_destroy(fd, parent) == 0, "DESTROY the parent");
	CHECK(ioas_destroy(fd, stdev) == 0, "DESTROY the device");
}

int
main(int argc, char **argv)
{
	uint32_t	 ioas;
	void		*va;
	int		 fd;

	if (argc != 2) {
		fprintf(stderr, "usage: iommu_features dirty | pasid | fault "
		    "| vevent | mmap\n");
		return (2);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((fd = open("/dev/iommu", O_RDWR)) < 0) {
		CHECK(0, "open /dev/iommu");
		return (check_report());
	}
	va = mmap(NULL, FT_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	CHECK(va != MAP_FAILED, "mmap");
	CHECK((ioas = ioas_alloc(fd)) != 0, "IOAS_ALLOC");
	if (va == MAP_FAILED || ioas == 0)
		return (check_report());
	memset(va, 0x5a, FT_LEN);
	if (strcmp(argv[1], "dirty") == 0)
		ft_dirty(fd, ioas, va);
	else if (strcmp(argv[1], "pasid") == 0)
		ft_pasid(fd, ioas, va);
	else if (strcmp(argv[1], "fault") == 0)
		ft_fault(fd, ioas);
	else if (strcmp(argv[1], "vevent") == 0)
		ft_vevent(fd, ioas);
	else if (strcmp(argv[1], "mmap") == 0)
		ft_mmap(fd, ioas);
	else {
		fprintf(stderr, "iommu_features: no feature %s\n", argv[1]);
		return (2);
	}
	CHECK(ioas_destroy(fd, ioas) == 0, "DESTROY the IOAS");
	close(fd);
	return (check_report());
}
