/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Descriptors that commands hand out, as an ordinary program sees them:
 * the selftest's access descriptor (CREATE_ACCESS, then ACCESS_RW naming
 * it by its number, two at once), a fault queue descriptor (poll, EBUSY
 * while open), closing either before the next ioctl, a dma-buf (the
 * ioctl's return value, recognised again by MAP_FILE and REVOKE),
 * descriptors that outlive the /dev/iommu descriptor, a vEVENTQ read as
 * the kernel's (whole records, EINVAL for a buffer too small, 0 when
 * empty), and an mmap() of the descriptor at a vIOMMU's region.
 *
 * Arguments name the parts to run (accesses, queue, dmabufs, viommu,
 * iopf, outlive); none runs them all.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include "iommufd_test.h"

#include "check.h"

static int
create_access(int fd, uint32_t ioas, uint32_t flags)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_CREATE_ACCESS;
	c.id = ioas;
	c.create_access.flags = flags;
	if (ioctl(fd, IOMMU_TEST_CMD, &c) != 0)
		return (-1);
	return ((int)c.create_access.out_access_fd);
}

static int
access_rw(int fd, int afd, uint64_t iova, void *p, uint64_t len,
    uint32_t flags)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_ACCESS_RW;
	c.id = (uint32_t)afd;
	c.access_rw.iova = iova;
	c.access_rw.length = len;
	c.access_rw.uptr = (uintptr_t)p;
	c.access_rw.flags = flags;
	return (ioctl(fd, IOMMU_TEST_CMD, &c) == 0 ? 0 : errno);
}

static int
map_fixed(int fd, uint32_t ioas, void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map	m;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.ioas_id = ioas;
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	m.user_va = (uintptr_t)va;
	m.length = len;
	m.iova = iova;
	return (ioctl(fd, IOMMU_IOAS_MAP, &m) == 0 ? 0 : errno);
}

static void
accesses(int fd, uint8_t *buf, long pg)
{
	uint32_t	a = ioas_alloc(fd), b = ioas_alloc(fd);
	uint8_t		tmp[64];
	int		fa, fb, e;

	CHECK(a != 0 && b != 0, "IOAS_ALLOC");
	memset(buf, 0x11, pg);
	memset(buf + pg, 0x22, pg);
	CHECK(map_fixed(fd, a, buf, pg, 1 << 24) == 0, "map a");
	CHECK(map_fixed(fd, b, buf + pg, pg, 1 << 24) == 0, "map b");
	fa = create_access(fd, a, 0);
	fb = create_access(fd, b, 0);
	CHECK(fa >= 0 && fb >= 0 && fa != fb, "CREATE_ACCESS %d %d", fa, fb);
	CHECK(fcntl(fa, F_GETFD) != -1, "the access descriptor is open");

	/* The same IOVA through each access: each finds its own IOAS. */
	CHECK(access_rw(fd, fa, (1 << 24) + 5, tmp, 40, 0) == 0 &&
	    tmp[0] == 0x11 && tmp[39] == 0x11, "ACCESS_RW through a");
	CHECK(access_rw(fd, fb, (1 << 24) + 5, tmp, 40, 0) == 0 &&
	    tmp[0] == 0x22 && tmp[39] == 0x22, "ACCESS_RW through b");
	memset(tmp, 0x33, sizeof(tmp));
	CHECK(access_rw(fd, fb, (1 << 24) + pg - 3, tmp, 3,
	    MOCK_ACCESS_RW_WRITE) == 0 && buf[2 * pg - 1] == 0x33 &&
	    buf[2 * pg - 4] == 0x22, "ACCESS_RW write lands in memory");
	e = access_rw(fd, fb, (1 << 24) + pg - 3, tmp, 4, 0);
	CHECK(e == ENOENT, "ACCESS_RW past the area: %d", e);
	e = access_rw(fd, 0, 1 << 24, tmp, 4, 0);
	CHECK(e == EBADFD, "ACCESS_RW on stdin: %d", e);
	e = access_rw(fd, fd, 1 << 24, tmp, 4, 0);
	CHECK(e == EBADFD, "ACCESS_RW on the iommufd: %d", e);

	/* Held IOAS; a close is seen before the next ioctl. */
	CHECK(ioas_destroy(fd, a) == EBUSY, "IOAS held by its access");
	CHECK(close(fa) == 0, "close a");
	CHECK(ioas_destroy(fd, a) == 0, "IOAS free after close");
	e = access_rw(fd, fa, 1 << 24, tmp, 4, 0);
	CHECK(e == EBADFD, "ACCESS_RW on a closed access: %d", e);
	CHECK(close(fb) == 0, "close b");
	CHECK(ioas_destroy(fd, b) == 0, "IOAS b free after close");
}

static void
fault_queue(int fd)
{
	struct iommu_fault_alloc	c;
	struct pollfd			pfd;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	CHECK(ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &c) == 0,
	    "FAULT_QUEUE_ALLOC");
	CHECK(c.out_fault_id != 0 && fcntl((int)c.out_fault_fd, F_GETFD) !=
	    -1, "fault id %u fd %d", c.out_fault_id, (int)c.out_fault_fd);
	pfd.fd = (int)c.out_fault_fd;
	pfd.events = POLLIN | POLLOUT;
	pfd.revents = 0;
	CHECK(poll(&pfd, 1, 0) == 1 && pfd.revents == POLLOUT,
	    "an empty queue polls writable only (%#x)", pfd.revents);
	{
		struct iommu_hwpt_pgfault	r[2];

		CHECK(read(pfd.fd, r, sizeof(r[0]) - 1) == -1 &&
		    errno == ESPIPE, "read of part of a record: ESPIPE");
		CHECK(read(pfd.fd, r, sizeof(r)) == 0,
		    "an empty queue reads 0");
		CHECK(write(pfd.fd, r, 7) == -1 && errno == ESPIPE,
		    "write of part of a response: ESPIPE");
	}
	CHECK(ioas_destroy(fd, c.out_fault_id) == EBUSY,
	    "DESTROY of an open queue");
	CHECK(close((int)c.out_fault_fd) == 0, "close the queue");
	CHECK(ioas_destroy(fd, c.out_fault_id) == 0, "DESTROY after close");
}

static int
dmabuf_revoke(int fd, int dfd, int revoked)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_DMABUF_REVOKE;
	c.dmabuf_revoke.dmabuf_fd = dfd;
	c.dmabuf_revoke.revoked = revoked;
	return (ioctl(fd, IOMMU_TEST_CMD, &c) == 0 ? 0 : errno);
}

static int
map_file(int fd, uint32_t ioas, int mfd, uint64_t start, uint64_t len)
{
	struct iommu_ioas_map_file	m;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.ioas_id = ioas;
	m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	m.fd = mfd;
	m.start = start;
	m.length = len;
	return (ioctl(fd, IOMMU_IOAS_MAP_FILE, &m) == 0 ? 0 : errno);
}

/*
 * A dma-buf: the ioctl's result is its descriptor, which MAP_FILE and
 * REVOKE recognise, dup()ed copies too; a closed one is EBADF.
 */
static void
dmabufs(int fd, long pg)
{
	struct iommu_test_cmd	c;
	uint32_t		ioas = ioas_alloc(fd);
	int			dfd, dup_fd, e;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_DMABUF_GET;
	c.dmabuf_get.length = 4 * pg;
	c.dmabuf_get.open_flags = O_CLOEXEC;
	dfd = ioctl(fd, IOMMU_TEST_CMD, &c);
	CHECK(dfd > 2 && fcntl(dfd, F_GETFD) == FD_CLOEXEC,
	    "DMABUF_GET returns a descriptor: %d", dfd);
	e = map_file(fd, ioas, dfd, 4 * pg, 4 * pg);
	CHECK(e == EINVAL, "MAP_FILE starting at the end: %d", e);
	CHECK(map_file(fd, ioas, dfd, 0, 4 * pg) == 0, "MAP_FILE");
	dup_fd = dup(dfd);
	CHECK(dmabuf_revoke(fd, dup_fd, 1) == 0, "REVOKE through a dup");
	e = map_file(fd, ioas, dfd, 0, 4 * pg);
	CHECK(e == ENODEV, "MAP_FILE of a revoked dma-buf: %d", e);
	CHECK(dmabuf_revoke(fd, dfd, 0) == 0, "restore");
	CHECK(map_file(fd, ioas, dfd, 0, pg) == 0, "MAP_FILE restored");
	e = dmabuf_revoke(fd, fd, 1);
	CHECK(e == EINVAL, "REVOKE of the iommufd: %d", e);
	close(dfd);
	close(dup_fd);
	e = dmabuf_revoke(fd, dfd, 1);
	CHECK(e == EBADF, "REVOKE of a closed dma-buf: %d", e);
	/* The mappings keep the memory; the IOAS goes with them. */
	CHECK(ioas_destroy(fd, ioas) == 0, "IOAS with dma-buf mappings");
}

static int
test_cmd(int fd, struct iommu_test_cmd *c, uint32_t op, uint32_t id)
{
	c->size = sizeof(*c);
	c->op = op;
	c->id = id;
	return (ioctl(fd, IOMMU_TEST_CMD, c) == 0 ? 0 : errno);
}

static uint32_t
hwpt_alloc(int fd, uint32_t dev, uint32_t pt, uint32_t flags, void *data,
    uint32_t len)
{
	struct iommu_hwpt_alloc	h;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = flags;
	h.dev_id = dev;
	h.pt_id = pt;
	if (data != NULL) {
		h.data_type = IOMMU_HWPT_DATA_SELFTEST;
		h.data_uptr = (uintptr_t)data;
		h.data_len = len;
	}
	return (ioctl(fd, IOMMU_HWPT_ALLOC, &h) == 0 ? h.out_hwpt_id : 0);
}

/*
 * Page requests of a mock device on a HWPT with a fault queue: two groups
 * read at once, answered at once; a buffer too small for the next group
 * reads 0.
 */
static void
iopf(int fd)
{
	struct iommu_hwpt_page_response	 resp[2];
	struct iommu_hwpt_pgfault	 r[3];
	struct iommu_fault_alloc	 fa;
	struct iommu_hwpt_alloc		 h;
	struct iommu_test_cmd		 c;
	uint32_t			 ioas = ioas_alloc(fd), stdev, idev;
	int				 q, i;

	memset(&c, 0, sizeof(c));
	CHECK(test_cmd(fd, &c, IOMMU_TEST_OP_MOCK_DOMAIN, ioas) == 0,
	    "MOCK_DOMAIN");
	stdev = c.mock_domain.out_stdev_id;
	idev = c.mock_domain.out_idev_id;
	memset(&fa, 0, sizeof(fa));
	fa.size = sizeof(fa);
	CHECK(ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa) == 0,
	    "FAULT_QUEUE_ALLOC");
	q = (int)fa.out_fault_fd;
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_FAULT_ID_VALID;
	h.dev_id = idev;
	h.pt_id = ioas;
	h.fault_id = fa.out_fault_id;
	CHECK(ioctl(fd, IOMMU_HWPT_ALLOC, &h) == 0, "HWPT with a fault queue");
	memset(&c, 0, sizeof(c));
	c.mock_domain_replace.pt_id = h.out_hwpt_id;
	CHECK(test_cmd(fd, &c, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev) == 0,
	    "replace onto it");
	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		c.trigger_iopf.dev_id = idev;
		c.trigger_iopf.grpid = (uint32_t)i + 1;
		c.trigger_iopf.addr = 0x1000;
		CHECK(test_cmd(fd, &c, IOMMU_TEST_OP_TRIGGER_IOPF, 0) == 0,
		    "TRIGGER_IOPF %d", i);
	}
	memset(r, 0, sizeof(r));
	CHECK(read(q, r, sizeof(r)) == (ssize_t)(2 * sizeof(r[0])) &&
	    r[0].grpid == 1 && r[1].grpid == 2 && r[0].dev_id == idev &&
	    r[0].cookie == 1 && r[1].cookie == 2 &&
	    r[0].flags == IOMMU_PGFAULT_FLAGS_LAST_PAGE,
	    "both groups in one read");
	CHECK(read(q, r, sizeof(r)) == 0, "nothing more");
	resp[0].cookie = r[0].cookie;
	resp[1].cookie = r[1].cookie;
	resp[0].code = resp[1].code = IOMMUFD_PAGE_RESP_SUCCESS;
	CHECK(write(q, resp, sizeof(resp)) == (ssize_t)sizeof(resp),
	    "both answers in one write");
	memset(&c, 0, sizeof(c));
	c.mock_domain_replace.pt_id = ioas;
	CHECK(test_cmd(fd, &c, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev) == 0,
	    "replace back");
	CHECK(ioas_destroy(fd, h.out_hwpt_id) == 0, "DESTROY the HWPT");
	close(q);
	CHECK(ioas_destroy(fd, stdev) == 0, "DESTROY mock device");
}

/* One vEVENT record of the mock: a header and its u32 virt_id. */
struct vrec {
	struct iommufd_vevent_header		hdr;
	struct iommu_viommu_event_selftest	ev;
};

/*
 * A mock device behind a vIOMMU with a vDEVICE and a SELFTEST vEVENTQ of
 * depth 2: the queue's read() rules through the library, and the
 * vIOMMU's mmap region.
 */
static void
viommu(int fd)
{
	struct iommu_viommu_selftest	 vdata = { .in_data = 0xbeef };
	struct iommu_hwpt_selftest	 sel = {
		.iotlb = IOMMU_TEST_IOTLB_DEFAULT,
	};
	struct iommu_veventq_alloc	 qa;
	struct iommu_vdevice_alloc	 vd;
	struct iommu_viommu_alloc	 va;
	struct iommu_test_cmd		 c;
	struct vrec			 v[3];
	uint32_t			 ioas = ioas_alloc(fd), stdev, idev;
	uint32_t			 parent, nested, *page;
	long				 pg = sysconf(_SC_PAGESIZE);
	int				 q, i;

	memset(&c, 0, sizeof(c));
	CHECK(test_cmd(fd, &c, IOMMU_TEST_OP_MOCK_DOMAIN, ioas) == 0,
	    "MOCK_DOMAIN");
	stdev = c.mock_domain.out_stdev_id;
	idev = c.mock_domain.out_idev_id;
	parent = hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
	    NULL, 0);
	CHECK(parent != 0, "nesting parent");
	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.dev_id = idev;
	va.hwpt_id = parent;
	va.type = IOMMU_VIOMMU_TYPE_SELFTEST;
	va.data_uptr = (uintptr_t)&vdata;
	va.data_len = sizeof(vdata);
	CHECK(ioctl(fd, IOMMU_VIOMMU_ALLOC, &va) == 0 &&
	    vdata.out_data == 0xbeef, "VIOMMU_ALLOC with data");

	/* The region: only its exact offset and length map. */
	CHECK(mmap(NULL, vdata.out_mmap_length, PROT_READ, MAP_SHARED, fd,
	    (off_t)(vdata.out_mmap_offset + pg)) == MAP_FAILED &&
	    errno == ENXIO, "mmap past the region's offset: ENXIO");
	CHECK(mmap(NULL, vdata.out_mmap_length, PROT_READ, MAP_PRIVATE, fd,
	    (off_t)vdata.out_mmap_offset) == MAP_FAILED && errno == EINVAL,
	    "a private mmap: EINVAL");
	page = mmap(NULL, vdata.out_mmap_length, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, (off_t)vdata.out_mmap_offset);
	CHECK(page != MAP_FAILED && *page == 0xbeef,
	    "the region reads back in_data");
	CHECK(ioas_destroy(fd, va.out_viommu_id) == EBUSY,
	    "DESTROY of a mapped vIOMMU");
	if (page != MAP_FAILED)
		munmap(page, vdata.out_mmap_length);

	memset(&vd, 0, sizeof(vd));
	vd.size = sizeof(vd);
	vd.viommu_id = va.out_viommu_id;
	vd.dev_id = idev;
	vd.virt_id = 0x99;
	CHECK(ioctl(fd, IOMMU_VDEVICE_ALLOC, &vd) == 0, "VDEVICE_ALLOC");
	nested = hwpt_alloc(fd, idev, va.out_viommu_id, 0, &sel, sizeof(sel));
	CHECK(nested != 0, "nested HWPT on the vIOMMU");
	memset(&c, 0, sizeof(c));
	c.mock_domain_replace.pt_id = nested;
	CHECK(test_cmd(fd, &c, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev) == 0,
	    "replace onto the nested HWPT");
	memset(&qa, 0, sizeof(qa));
	qa.size = sizeof(qa);
	qa.viommu_id = va.out_viommu_id;
	qa.type = IOMMU_VEVENTQ_TYPE_SELFTEST;
	qa.veventq_depth = 2;
	CHECK(ioctl(fd, IOMMU_VEVENTQ_ALLOC, &qa) == 0, "VEVENTQ_ALLOC");
	q = (int)qa.out_veventq_fd;

	CHECK(read(q, v, 0) == -1 && errno == EINVAL, "read 0: EINVAL");
	CHECK(read(q, v, sizeof(v[0].hdr) - 1) == -1 && errno == EINVAL,
	    "read under a header: EINVAL");
	CHECK(read(q, v, sizeof(v)) == 0, "an empty queue reads 0");
	memset(&c, 0, sizeof(c));
	c.trigger_vevent.dev_id = idev;
	for (i = 0; i < 3; i++)
		CHECK(test_cmd(fd, &c, IOMMU_TEST_OP_TRIGGER_VEVENT, 0) == 0,
		    "TRIGGER_VEVENT %d", i);
	CHECK(read(q, v, sizeof(v[0].hdr)) == -1 && errno == EINVAL,
	    "a header's room for an event: EINVAL");
	/* One and a half records' room: the whole first one only. */
	CHECK(read(q, v, sizeof(v[0]) + 6) == (ssize_t)sizeof(v[0]) &&
	    v[0].hdr.sequence == 0 && v[0].ev.virt_id == 0x99,
	    "one whole record");
	memset(v, 0, sizeof(v));
	CHECK(read(q, v, sizeof(v)) == (ssize_t)(sizeof(v[0]) +
	    sizeof(v[0].hdr)) && v[0].hdr.sequence == 1 &&
	    v[1].hdr.flags == IOMMU_VEVENTQ_FLAG_LOST_EVENTS &&
	    v[1].hdr.sequence == 2, "the second event, then the lost marker");
	close(q);

	memset(&c, 0, sizeof(c));
	c.mock_domain_replace.pt_id = ioas;
	CHECK(test_cmd(fd, &c, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev) == 0,
	    "replace back onto the IOAS");
	CHECK(ioas_destroy(fd, qa.out_veventq_id) == 0, "DESTROY vEVENTQ");
	CHECK(ioas_destroy(fd, vd.out_vdevice_id) == 0, "DESTROY vDEVICE");
	CHECK(ioas_destroy(fd, nested) == 0, "DESTROY nested");
	CHECK(ioas_destroy(fd, va.out_viommu_id) == 0,
	    "DESTROY vIOMMU once unmapped");
	CHECK(ioas_destroy(fd, parent) == 0, "DESTROY parent");
	CHECK(ioas_destroy(fd, stdev) == 0, "DESTROY mock device");
}

/* Descriptors outliving the iommufd, in a child so the parent can wait. */
static void
outlive(uint8_t *buf, long pg)
{
	struct iommu_fault_alloc fa;
	struct pollfd	pfd;
	uint8_t	tmp[8];
	int	fd, afd, st = 0;
	pid_t	pid;

	if ((pid = fork()) == 0) {
		if ((fd = open("/dev/iommu", O_RDWR)) == -1)
			_exit(2);
		if (map_fixed(fd, ioas_alloc(fd), buf, pg, 1 << 24) != 0)
			_exit(3);
		if ((afd = create_access(fd, 1, 0)) < 0)
			_exit(4);
		if (access_rw(fd, afd, 1 << 24, tmp, 8, 0) != 0)
			_exit(5);
		memset(&fa, 0, sizeof(fa));
		fa.size = sizeof(fa);
		if (ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa) != 0)
			_exit(6);
		close(fd);
		/* The queue outlives the file: it still polls as one. */
		pfd.fd = (int)fa.out_fault_fd;
		pfd.events = POLLIN | POLLOUT;
		if (poll(&pfd, 1, 0) != 1 || pfd.revents != POLLOUT)
			_exit(7);
		/* The access too; exit closes both. */
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "a child with an access open: status %#x",
	    st);
}

/* Whether part name is to run: named in argv, or nothing named. */
static int
part(int argc, char **argv, const char *name)
{
	int	i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], name) == 0)
			return (1);
	}
	return (argc < 2);
}

int
main(int argc, char **argv)
{
	long	 pg = sysconf(_SC_PAGESIZE);
	uint8_t	*buf;
	int	 fd;

	if ((fd = open("/dev/iommu", O_RDWR)) == -1) {
		printf("open: %s\n", strerror(errno));
		return (1);
	}
	buf = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	if (part(argc, argv, "accesses"))
		accesses(fd, buf, pg);
	if (part(argc, argv, "queue"))
		fault_queue(fd);
	if (part(argc, argv, "dmabufs"))
		dmabufs(fd, pg);
	if (part(argc, argv, "viommu"))
		viommu(fd);
	if (part(argc, argv, "iopf"))
		iopf(fd);
	if (part(argc, argv, "outlive"))
		outlive(buf, pg);
	close(fd);
	return (check_report());
}
