/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The selftest's dma-bufs (iommufd/dmabuf.c) and IOMMU_IOAS_MAP_FILE of
 * one: every errno of DMABUF_GET, DMABUF_REVOKE and the dma-buf import,
 * what a revocation does to the domains, and the lifetimes (the caller's
 * descriptor, the mappings that keep the memory, a caller that dies).
 * Emulated DMA is a walk of the domain (domain_for_each()) reading or
 * writing the pages behind each run, as a device would.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "core/limit.h"
#include "helpers.h"
#include "iommufd/dirty.h"
#include "iommufd/dmabuf.h"
#include "iommufd/domain.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define IOCTL(cmd, arg)		test_ioctl(tctx, (cmd), (arg))
#define PAGE			4096ULL
#define BUFLEN			(4 * PAGE)
#define RW	(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static void
dmabuf_setup(void)
{
	test_setup();
}

static void
dmabuf_teardown(void)
{
	test_teardown();
	ck_assert_uint_eq(hfd_count(), 0);
	ck_assert_uint_eq(pages_count(), 0);
}

/* DMABUF_GET: the ioctl's result, a descriptor or -errno. */
static long
dmabuf_get(uint32_t length)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_DMABUF_GET;
	c.dmabuf_get.length = length;
	c.dmabuf_get.open_flags = O_CLOEXEC;
	return (IOCTL(IOMMU_TEST_CMD, &c));
}

static long
dmabuf_revoke(int fd, int revoked)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_DMABUF_REVOKE;
	c.dmabuf_revoke.dmabuf_fd = fd;
	c.dmabuf_revoke.revoked = revoked;
	return (IOCTL(IOMMU_TEST_CMD, &c));
}

static long
map_file(uint32_t ioas, int fd, uint64_t start, uint64_t length,
    uint64_t *iova, uint32_t flags)
{
	struct iommu_ioas_map_file	m;
	long				rc;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = flags;
	m.ioas_id = ioas;
	m.fd = fd;
	m.start = start;
	m.length = length;
	m.iova = *iova;
	rc = IOCTL(IOMMU_IOAS_MAP_FILE, &m);
	*iova = m.iova;
	return (rc);
}

static long
unmap(uint32_t ioas, uint64_t iova, uint64_t length)
{
	struct iommu_ioas_unmap	u;

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = ioas;
	u.iova = iova;
	u.length = length;
	return (IOCTL(IOMMU_IOAS_UNMAP, &u));
}

/* A mock device on ioas: its domain's HWPT id. */
static uint32_t
mock_domain(uint32_t ioas)
{
	struct iommu_test_cmd	t;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	t.id = ioas;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &t), 0);
	return (t.mock_domain.out_hwpt_id);
}

static struct domain *
hwpt_domain(uint32_t hwpt)
{
	struct obj	*o = obj_find(tctx, hwpt, OBJ_HWPT_PAGING);

	ck_assert_ptr_nonnull(o);
	return (&container_of(o, struct hwpt_paging, obj)->domain);
}

struct dma {
	uint8_t		*buf;
	uint64_t	 iova;
	uint64_t	 done;
	int		 write;
};

static int
dma_run(void *arg, const struct domain_run *run)
{
	struct dma	*d = arg;
	int		 rc;

	if ((rc = pages_rw(run->pages, run->off, d->buf + (run->iova -
	    d->iova), run->length, d->write)) != 0)
		return (rc);
	d->done += run->length;
	return (0);
}

/* Emulated DMA of len bytes at iova: the bytes the domain translated. */
static uint64_t
dma(uint32_t hwpt, uint64_t iova, void *buf, uint64_t len, int write)
{
	struct dma	d = { .buf = buf, .iova = iova, .write = write };

	ck_assert_int_eq(domain_for_each(hwpt_domain(hwpt), iova, len,
	    dma_run, &d), 0);
	return (d.done);
}

/*
 * DMABUF_GET: length rounded up to pages, none or more than 512 is
 * EINVAL; the result is a descriptor standing for an object, charged to
 * the context; the caller's close takes all of it back before the next
 * call is served.
 */
START_TEST(dmabuf_get_rules)
{
	uint64_t	bytes = tctx->lim.use[LIMIT_BYTES];
	long		fd, fd2;

	ck_assert_int_eq(dmabuf_get(0), -EINVAL);
	ck_assert_int_eq(dmabuf_get(DMABUF_MAX_PAGES * PAGE + 1), -EINVAL);
	ck_assert_int_eq(dmabuf_get(UINT32_MAX), -EINVAL);
	ck_assert_uint_eq(tctx->nobjs, 0);
	ck_assert_uint_eq(tctx->lim.use[LIMIT_BYTES], bytes);

	fd = dmabuf_get(DMABUF_MAX_PAGES * PAGE);
	ck_assert_int_ge(fd, 0);
	fd2 = dmabuf_get(1);		/* one page */
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_ne(fd, fd2);
	ck_assert_uint_eq(tctx->nkind[OBJ_DMABUF], 2);
	ck_assert_uint_eq(hfd_count(), 2);
	ck_assert_uint_ge(tctx->lim.use[LIMIT_BYTES],
	    bytes + (DMABUF_MAX_PAGES + 1) * PAGE);
	/* DESTROY cannot end one: only the descriptor does. */
	{
		struct iommu_destroy d = { .size = sizeof(d), .id = 1 };

		ck_assert_int_eq(IOCTL(IOMMU_DESTROY, &d), -EBUSY);
	}
	close((int)fd);
	close((int)fd2);
	ck_assert_int_eq(dmabuf_get(0), -EINVAL);	/* serves the closes */
	ck_assert_uint_eq(tctx->nkind[OBJ_DMABUF], 0);
	ck_assert_uint_eq(hfd_count(), 0);
	ck_assert_uint_eq(tctx->lim.use[LIMIT_BYTES], bytes);
}
END_TEST

/* A transport that cannot hand out a descriptor (CUSE): nothing stays. */
static int
nofd_putfd(void *priv __unused, int fd __unused, uint64_t uaddr __unused)
{
	return (-EOPNOTSUPP);
}

START_TEST(dmabuf_get_no_putfd)
{
	struct uaccess_ops	ops = uself_ops;
	struct iommu_test_cmd	c;
	uint64_t		bytes = tctx->lim.use[LIMIT_BYTES];
	struct ucmd		u = {
		.ctx = tctx,
		.cmd = IOMMU_TEST_CMD,
		.caller = &tcaller,
		.uops = &ops,
	};

	ops.putfd = nofd_putfd;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_DMABUF_GET;
	c.dmabuf_get.length = PAGE;
	u.arg = (uintptr_t)&c;
	ck_assert_int_eq(dispatch(&u), -EOPNOTSUPP);
	ck_assert_uint_eq(tctx->nobjs, 0);
	ck_assert_uint_eq(hfd_count(), 0);
	ck_assert_uint_eq(tctx->lim.use[LIMIT_BYTES], bytes);
}
END_TEST

/*
 * MAP_FILE of a dma-buf: the range must lie inside the buffer (a range
 * starting at its end is EINVAL), a wrapping one is EOVERFLOW; a revoked
 * buffer is ENODEV; restored, it maps again.
 */
START_TEST(dmabuf_map_rules)
{
	uint32_t	ioas = test_ioas_new();
	uint64_t	iova = 0, iova2 = 0;
	long		fd = dmabuf_get(BUFLEN);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(map_file(ioas, fd, 0, 0, &iova, RW), -EINVAL);
	ck_assert_int_eq(map_file(ioas, fd, BUFLEN, BUFLEN, &iova, RW),
	    -EINVAL);
	ck_assert_int_eq(map_file(ioas, fd, 0, BUFLEN + 1, &iova, RW),
	    -EINVAL);
	ck_assert_int_eq(map_file(ioas, fd, BUFLEN - 1, 2, &iova, RW),
	    -EINVAL);
	ck_assert_int_eq(map_file(ioas, fd, UINT64_MAX - PAGE, 2 * PAGE,
	    &iova, RW), -EOVERFLOW);
	ck_assert_uint_eq(pages_count(), 0);

	ck_assert_int_eq(map_file(ioas, fd, 0, BUFLEN, &iova, RW), 0);
	ck_assert_int_eq(map_file(ioas, fd, PAGE, PAGE, &iova2, RW), 0);
	ck_assert_uint_eq(iova2 % PAGE, 0);
	ck_assert_uint_eq(pages_count(), 2);

	ck_assert_int_eq(dmabuf_revoke(fd, 1), 0);
	ck_assert_int_eq(map_file(ioas, fd, 0, BUFLEN, &iova2, RW), -ENODEV);
	/* The range is checked first, as in the kernel. */
	ck_assert_int_eq(map_file(ioas, fd, BUFLEN, BUFLEN, &iova2, RW),
	    -EINVAL);
	ck_assert_int_eq(dmabuf_revoke(fd, 0), 0);
	ck_assert_int_eq(map_file(ioas, fd, 0, BUFLEN, &iova2, RW), 0);
	/* A revoked area unmaps like any other, and maps back in place. */
	ck_assert_int_eq(unmap(ioas, iova, BUFLEN), 0);
	ck_assert_int_eq(map_file(ioas, fd, 0, BUFLEN, &iova,
	    RW | IOMMU_IOAS_MAP_FIXED_IOVA), 0);
	close((int)fd);
	ck_assert_int_eq(unmap(ioas, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(pages_count(), 0);
}
END_TEST

/*
 * DMABUF_REVOKE: EBADF for a number that is not open, EINVAL for a file
 * that is not a dma-buf of ours (a memfd, another context's dma-buf).
 */
START_TEST(dmabuf_revoke_rules)
{
	struct ctx	*other;
	long		fd = dmabuf_get(PAGE), ofd;
	int		mfd;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dmabuf_revoke(-1, 1), -EBADF);
	mfd = memfd_create("check-dmabuf", MFD_CLOEXEC);
	ck_assert_int_ge(mfd, 0);
	ck_assert_int_eq(dmabuf_revoke(mfd, 1), -EINVAL);
	close(mfd);
	ck_assert_int_eq(dmabuf_revoke(mfd, 1), -EBADF);

	other = test_ctx_new();
	{
		struct iommu_test_cmd c;

		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.op = IOMMU_TEST_OP_DMABUF_GET;
		c.dmabuf_get.length = PAGE;
		ofd = test_ioctl(other, IOMMU_TEST_CMD, &c);
	}
	ck_assert_int_ge(ofd, 0);
	ck_assert_int_eq(dmabuf_revoke(ofd, 1), -EINVAL);
	ck_assert_int_eq(dmabuf_revoke(fd, 1), 0);
	ck_assert_int_eq(dmabuf_revoke(fd, 0), 0);
	close((int)ofd);
	hfd_reap(other);
	ctx_close(other);
	close((int)fd);
}
END_TEST

/*
 * A revocation takes the buffer's areas out of every domain (DMA through
 * them fails) while they stay in the IOAS; a domain made meanwhile
 * attaches. Restoring the buffer leaves the old import dead, as the
 * kernel's never maps again, and a new one reaches the same memory.
 */
START_TEST(dmabuf_revoke_domains)
{
	uint32_t	ioas = test_ioas_new(), hwpt, hwpt2;
	uint64_t	iova = 0, iova2 = 0;
	uint8_t		in[BUFLEN], out[BUFLEN];
	long		fd = dmabuf_get(BUFLEN);
	size_t		i;

	ck_assert_int_ge(fd, 0);
	hwpt = mock_domain(ioas);
	ck_assert_int_eq(map_file(ioas, fd, 0, BUFLEN, &iova, RW), 0);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7);
	ck_assert_uint_eq(dma(hwpt, iova, in, BUFLEN, 1), BUFLEN);
	memset(out, 0, sizeof(out));
	ck_assert_uint_eq(dma(hwpt, iova, out, BUFLEN, 0), BUFLEN);
	ck_assert_mem_eq(in, out, BUFLEN);

	ck_assert_int_eq(dmabuf_revoke(fd, 1), 0);
	ck_assert_uint_eq(dma(hwpt, iova, out, BUFLEN, 0), 0);
	hwpt2 = mock_domain(ioas);
	ck_assert_uint_eq(dma(hwpt2, iova, out, BUFLEN, 0), 0);
	ck_assert_int_eq(dmabuf_revoke(fd, 0), 0);
	ck_assert_uint_eq(dma(hwpt, iova, out, BUFLEN, 0), 0);

	ck_assert_int_eq(map_file(ioas, fd, 0, BUFLEN, &iova2, RW), 0);
	memset(out, 0, sizeof(out));
	ck_assert_uint_eq(dma(hwpt2, iova2, out, BUFLEN, 0), BUFLEN);
	ck_assert_mem_eq(in, out, BUFLEN);
	/* Any revoke call invalidates the imports made before it. */
	ck_assert_int_eq(dmabuf_revoke(fd, 0), 0);
	ck_assert_uint_eq(dma(hwpt, iova2, out, BUFLEN, 0), 0);
	close((int)fd);
}
END_TEST

static long
test_dirty_op(uint32_t hwpt, uint64_t iova, uint64_t len, uint64_t *bm,
    uint64_t *nset)
{
	struct iommu_test_cmd	c;
	long			rc;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_DIRTY;
	c.id = hwpt;
	c.dirty.iova = iova;
	c.dirty.length = len;
	c.dirty.page_size = PAGE;
	c.dirty.uptr = (uintptr_t)bm;
	rc = IOCTL(IOMMU_TEST_CMD, &c);
	*nset = c.dirty.out_nr_dirty;
	return (rc);
}

/*
 * A dirty-tracking domain loses the dirty bits of a revoked import with
 * its IOPTEs, and a device can dirty nothing there any more.
 */
START_TEST(dmabuf_revoke_dirty)
{
	struct iommu_hwpt_set_dirty_tracking	t;
	struct iommu_hwpt_alloc			h;
	struct iommu_test_cmd			m;
	struct hwpt_paging			*hp;
	uint32_t				ioas = test_ioas_new();
	uint64_t				iova = 0, bm = ~0ULL, n;
	long					fd = dmabuf_get(BUFLEN);

	ck_assert_int_ge(fd, 0);
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	m.id = ioas;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &m), 0);
	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	h.dev_id = m.mock_domain.out_idev_id;
	h.pt_id = ioas;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_ALLOC, &h), 0);
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.hwpt_id = h.out_hwpt_id;
	t.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	ck_assert_int_eq(IOCTL(IOMMU_HWPT_SET_DIRTY_TRACKING, &t), 0);
	hp = container_of(obj_find(tctx, h.out_hwpt_id, OBJ_HWPT_PAGING),
	    struct hwpt_paging, obj);

	ck_assert_int_eq(map_file(ioas, fd, 0, BUFLEN, &iova, RW), 0);
	ck_assert_int_eq(test_dirty_op(h.out_hwpt_id, iova, BUFLEN, &bm, &n),
	    0);
	ck_assert_uint_eq(n, BUFLEN / PAGE);
	ck_assert_uint_gt(dirty_count(hp->dirty, iova, BUFLEN), 0);
	ck_assert_int_eq(dmabuf_revoke(fd, 1), 0);
	ck_assert_uint_eq(dirty_total(hp->dirty), 0);
	ck_assert_int_eq(test_dirty_op(h.out_hwpt_id, iova, BUFLEN, &bm, &n),
	    0);
	ck_assert_uint_eq(dirty_total(hp->dirty), 0);
	close((int)fd);
}
END_TEST

/* Accesses get no dma-buf memory (EINVAL); a v1 cut of one EOPNOTSUPP. */
START_TEST(dmabuf_access)
{
	struct iommu_test_cmd	c;
	uint32_t		ioas = test_ioas_new();
	uint64_t		iova = 0;
	uint8_t			b[16];
	long			fd = dmabuf_get(BUFLEN);
	int			afd;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(map_file(ioas, fd, 0, BUFLEN, &iova, RW), 0);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_CREATE_ACCESS;
	c.id = ioas;
	c.create_access.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);
	afd = (int)c.create_access.out_access_fd;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_ACCESS_RW;
	c.id = (uint32_t)afd;
	c.access_rw.iova = iova;
	c.access_rw.length = sizeof(b);
	c.access_rw.uptr = (uintptr_t)b;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EINVAL);

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_ACCESS_PAGES;
	c.id = (uint32_t)afd;
	c.access_pages.iova = iova;
	c.access_pages.length = PAGE;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EINVAL);
	/* The access's descriptor is no dma-buf, nor the dma-buf a file. */
	ck_assert_int_eq(dmabuf_revoke(afd, 1), -EINVAL);

	ck_assert_int_eq(iopt_cut(&container_of(obj_find(tctx, ioas,
	    OBJ_IOAS), struct ioas, obj)->iopt, iova + PAGE - 1),
	    -EOPNOTSUPP);
	close(afd);
	close((int)fd);
}
END_TEST

/*
 * Lifetimes: a mapping keeps the memory (and its bytes) after the caller
 * closes the descriptor; the last unmap frees it and its charge. A
 * caller that dies with a buffer out and mapped leaves nothing.
 */
START_TEST(dmabuf_lifetime)
{
	uint32_t	ioas = test_ioas_new(), hwpt;
	uint64_t	iova = 0, held;
	uint8_t		in[PAGE], out[PAGE];
	long		fd = dmabuf_get(BUFLEN);
	char		ch;

	ck_assert_int_ge(fd, 0);
	hwpt = mock_domain(ioas);
	ck_assert_int_eq(map_file(ioas, fd, PAGE, PAGE, &iova, RW), 0);
	memset(in, 0xa5, sizeof(in));
	ck_assert_uint_eq(dma(hwpt, iova, in, PAGE, 1), PAGE);
	close((int)fd);
	ck_assert_int_eq(dmabuf_revoke(-1, 0), -EBADF);	/* serves it */
	ck_assert_uint_eq(tctx->nkind[OBJ_DMABUF], 0);
	ck_assert_uint_eq(hfd_count(), 0);
	ck_assert_uint_eq(pages_count(), 1);
	memset(out, 0, sizeof(out));
	ck_assert_uint_eq(dma(hwpt, iova, out, PAGE, 0), PAGE);
	ck_assert_mem_eq(in, out, PAGE);
	held = tctx->lim.use[LIMIT_BYTES];
	ck_assert_int_eq(unmap(ioas, iova, PAGE), 0);
	ck_assert_uint_eq(pages_count(), 0);
	/* The memory's charge went with the last mapping. */
	ck_assert_uint_le(tctx->lim.use[LIMIT_BYTES], held - BUFLEN);

	/* A caller that dies: the context goes with everything in it. */
	fd = dmabuf_get(BUFLEN);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(map_file(ioas, fd, 0, BUFLEN, &iova, RW), 0);
	ctx_free(tctx);
	tctx = test_ctx_new();
	ck_assert_uint_eq(hfd_count(), 0);
	ck_assert_uint_eq(pages_count(), 0);
	ck_assert_int_eq(read((int)fd, &ch, 1), 0);
	close((int)fd);
}
END_TEST

static Suite *
dmabuf_suite(void)
{
	Suite	*s = suite_create("dmabuf");
	TCase	*tc;

	tc = tcase_create("dmabuf");
	tcase_add_checked_fixture(tc, dmabuf_setup, dmabuf_teardown);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, dmabuf_get_rules);
	tcase_add_test(tc, dmabuf_get_no_putfd);
	tcase_add_test(tc, dmabuf_map_rules);
	tcase_add_test(tc, dmabuf_revoke_rules);
	tcase_add_test(tc, dmabuf_revoke_domains);
	tcase_add_test(tc, dmabuf_revoke_dirty);
	tcase_add_test(tc, dmabuf_access);
	tcase_add_test(tc, dmabuf_lifetime);
	return (s);
}
SUITE(dmabuf_suite)
