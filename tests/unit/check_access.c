/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Handed-out descriptors (core/hfd.c) and the selftest's access ops
 * (iommufd/access.c), run in-process: the self uaccess gives the test the
 * caller's end of each descriptor as a real fd, and no event loop runs,
 * so the tests call hfd_reap() (dispatch() does it for them) or
 * hfd_ready() where the loop would.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "core/umem.h"
#include "helpers.h"
#include "iommufd/ioas.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"
#include "suites.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define IOCTL(cmd, arg)		test_ioctl(tctx, (cmd), (arg))
#define PAGE			4096ULL
#define BUFSZ			(8 * PAGE)
#define RW	(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static uint8_t	*buf;

static void
access_setup(void)
{
	test_setup();
	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
	ck_assert_int_eq(posix_memalign((void **)&buf, PAGE, BUFSZ), 0);
	memset(buf, 0x5a, BUFSZ);
}

static void
access_teardown(void)
{
	test_teardown();
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
	free(buf);
	ck_assert_uint_eq(hfd_count(), 0);
	ck_assert_uint_eq(pages_count(), 0);
}

static uint64_t
map_at(uint32_t ioas, void *va, uint64_t len, uint64_t iova, uint32_t prot)
{
	struct iommu_ioas_map	m;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = prot | IOMMU_IOAS_MAP_FIXED_IOVA;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)va;
	m.length = len;
	m.iova = iova;
	ck_assert_int_eq(IOCTL(IOMMU_IOAS_MAP, &m), 0);
	return (m.iova);
}

static long
create_access(uint32_t ioas, uint32_t flags, int *fdp)
{
	struct iommu_test_cmd	c;
	long			rc;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_CREATE_ACCESS;
	c.id = ioas;
	c.create_access.flags = flags;
	c.create_access.out_access_fd = UINT32_MAX;
	rc = IOCTL(IOMMU_TEST_CMD, &c);
	*fdp = (int)c.create_access.out_access_fd;
	return (rc);
}

static long
access_rw(int fd, uint64_t iova, void *p, uint64_t len, uint32_t flags)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_ACCESS_RW;
	c.id = (uint32_t)fd;
	c.access_rw.iova = iova;
	c.access_rw.length = len;
	c.access_rw.uptr = (uintptr_t)p;
	c.access_rw.flags = flags;
	return (IOCTL(IOMMU_TEST_CMD, &c));
}

static long
access_pages(int fd, uint64_t iova, uint64_t len, void *uptr, uint32_t flags,
    uint32_t *idp)
{
	struct iommu_test_cmd	c;
	long			rc;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_ACCESS_PAGES;
	c.id = (uint32_t)fd;
	c.access_pages.iova = iova;
	c.access_pages.length = len;
	c.access_pages.uptr = (uintptr_t)uptr;
	c.access_pages.flags = flags;
	rc = IOCTL(IOMMU_TEST_CMD, &c);
	if (idp != NULL)
		*idp = c.access_pages.out_access_pages_id;
	return (rc);
}

static long
destroy_pages(int fd, uint32_t id)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES;
	c.id = (uint32_t)fd;
	c.destroy_access_pages.access_pages_id = id;
	return (IOCTL(IOMMU_TEST_CMD, &c));
}

static long
destroy(uint32_t id)
{
	struct iommu_destroy	d = { .size = sizeof(d), .id = id };

	return (IOCTL(IOMMU_DESTROY, &d));
}

static long
check_refs(void *uptr, uint64_t len, uint32_t refs)
{
	struct iommu_test_cmd	c;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_MD_CHECK_REFS;
	c.check_refs.uptr = (uintptr_t)uptr;
	c.check_refs.length = len;
	c.check_refs.refs = refs;
	return (IOCTL(IOMMU_TEST_CMD, &c));
}

/*
 * CREATE_ACCESS: its errnos; the descriptor holds the access, which holds
 * the IOAS (EBUSY); closing the descriptor destroys the access before the
 * next call is served.
 */
START_TEST(access_create)
{
	uint32_t	ioas = test_ioas_new();
	int		fd, fd2;

	ck_assert_int_eq(create_access(ioas, 2, &fd), -EOPNOTSUPP);
	ck_assert_int_eq(create_access(ioas + 100, 0, &fd), -ENOENT);
	ck_assert_uint_eq(tctx->nkind[OBJ_ACCESS], 0);

	ck_assert_int_eq(create_access(ioas, 0, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(create_access(ioas,
	    MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &fd2), 0);
	ck_assert_int_ne(fd, fd2);
	ck_assert_uint_eq(tctx->nkind[OBJ_ACCESS], 2);
	ck_assert_uint_eq(hfd_count(), 2);
	ck_assert_uint_eq(tctx->refs, 3);
	ck_assert_int_eq(destroy(ioas), -EBUSY);
	/* The access ids (2, 3) exist but only the descriptor may end them. */
	ck_assert_int_eq(destroy(ioas + 1), -EBUSY);

	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(destroy(ioas), -EBUSY);	/* fd2 still open */
	ck_assert_uint_eq(tctx->nkind[OBJ_ACCESS], 1);
	ck_assert_int_eq(close(fd2), 0);
	ck_assert_int_eq(destroy(ioas), 0);
	ck_assert_uint_eq(tctx->nkind[OBJ_ACCESS], 0);
	ck_assert_uint_eq(hfd_count(), 0);
	ck_assert_uint_eq(tctx->refs, 1);
}
END_TEST

/*
 * The access ops find the access by the caller's descriptor: a dup is the
 * same access, anything else is EBADFD.
 */
START_TEST(access_lookup_fd)
{
	uint32_t	ioas = test_ioas_new();
	uint8_t		tmp[16];
	int		fd, dupfd, sv[2];

	map_at(ioas, buf, BUFSZ, 1 << 24, RW);
	ck_assert_int_eq(create_access(ioas, 0, &fd), 0);
	ck_assert_int_eq(access_rw(fd, 1 << 24, tmp, sizeof(tmp), 0), 0);
	ck_assert_int_ge(dupfd = dup(fd), 0);
	ck_assert_int_eq(access_rw(dupfd, 1 << 24, tmp, sizeof(tmp), 0), 0);
	ck_assert_int_eq(access_rw(-1, 1 << 24, tmp, sizeof(tmp), 0),
	    -EBADFD);
	ck_assert_int_eq(access_rw(0x7fff0000, 1 << 24, tmp, sizeof(tmp), 0),
	    -EBADFD);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ck_assert_int_eq(access_rw(sv[0], 1 << 24, tmp, sizeof(tmp), 0),
	    -EBADFD);
	close(sv[0]);
	close(sv[1]);
	/* Closing one copy keeps the access. */
	close(fd);
	ck_assert_int_eq(access_rw(dupfd, 1 << 24, tmp, sizeof(tmp), 0), 0);
	ck_assert_uint_eq(tctx->nkind[OBJ_ACCESS], 1);
	close(dupfd);
	ck_assert_int_eq(access_rw(dupfd, 1 << 24, tmp, sizeof(tmp), 0),
	    -EBADFD);
	ck_assert_uint_eq(tctx->nkind[OBJ_ACCESS], 0);
}
END_TEST

/* ACCESS_RW at every small alignment and length, across two areas. */
START_TEST(access_rw_any)
{
	uint32_t	ioas = test_ioas_new();
	uint64_t	iova = (1 << 24) + 2048, len, off;
	uint8_t		tmp[64], want[64];
	unsigned int	i;
	int		fd;

	/* Two areas back to back, the second of other pages. */
	map_at(ioas, buf, 2 * PAGE, iova, RW);
	map_at(ioas, buf + 4 * PAGE, 2 * PAGE, iova + 2 * PAGE, RW);
	for (i = 0; i < BUFSZ; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	ck_assert_int_eq(create_access(ioas, 0, &fd), 0);

	for (off = 2 * PAGE - 40; off < 2 * PAGE + 8; off += 3) {
		for (len = 1; len < sizeof(tmp); len += 5) {
			for (i = 0; i < len; i++) {
				uint64_t o = off + i;
				want[i] = o < 2 * PAGE ? buf[o] :
				    buf[4 * PAGE + o - 2 * PAGE];
			}
			memset(tmp, 0, sizeof(tmp));
			ck_assert_int_eq(access_rw(fd, iova + off, tmp, len,
			    (len & 1) ? MOCK_ACCESS_RW_SLOW_PATH : 0), 0);
			ck_assert_mem_eq(tmp, want, len);
		}
	}
	/* A write lands in the caller's memory behind the IOVA. */
	memset(tmp, 0xee, sizeof(tmp));
	ck_assert_int_eq(access_rw(fd, iova + 2 * PAGE - 4, tmp, 8,
	    MOCK_ACCESS_RW_WRITE), 0);
	ck_assert_uint_eq(buf[2 * PAGE - 4], 0xee);
	ck_assert_uint_eq(buf[4 * PAGE + 3], 0xee);
	ck_assert_uint_eq(buf[4 * PAGE + 4], (uint8_t)((4 * PAGE + 4) * 7 +
	    3));

	/* The errnos, none of which touches memory. */
	ck_assert_int_eq(access_rw(fd, iova, tmp, 8, 2), -EOPNOTSUPP);
	ck_assert_int_eq(access_rw(fd, iova, tmp, 0, 0), -EINVAL);
	ck_assert_int_eq(access_rw(fd, UINT64_MAX - 2, tmp, 8, 0),
	    -EOVERFLOW);
	ck_assert_int_eq(access_rw(fd, iova - 1, tmp, 8, 0), -ENOENT);
	ck_assert_int_eq(access_rw(fd, iova + 4 * PAGE - 4, tmp, 8, 0),
	    -ENOENT);
	ck_assert_int_eq(access_rw(fd, iova, NULL, 8, MOCK_ACCESS_RW_WRITE),
	    -EFAULT);
	ck_assert_int_eq(access_rw(fd, iova, tmp, (16 << 20) + 1, 0),
	    -ENOMEM);
	/* A huge length is refused before anything is allocated. */
	ck_assert_int_eq(access_rw(fd, iova, tmp, UINT64_MAX, 0), -ENOMEM);
	close(fd);
}
END_TEST

/* Writing through a read-only area: EPERM, and the memory is unchanged. */
START_TEST(access_rw_readonly)
{
	uint32_t	ioas = test_ioas_new();
	uint8_t		tmp[8];
	int		fd;

	map_at(ioas, buf, PAGE, 1 << 24, IOMMU_IOAS_MAP_READABLE);
	ck_assert_int_eq(create_access(ioas, 0, &fd), 0);
	memset(tmp, 1, sizeof(tmp));
	ck_assert_int_eq(access_rw(fd, 1 << 24, tmp, 8, MOCK_ACCESS_RW_WRITE),
	    -EPERM);
	ck_assert_uint_eq(buf[0], 0x5a);
	ck_assert_int_eq(access_rw(fd, 1 << 24, tmp, 8, 0), 0);
	ck_assert_uint_eq(tmp[0], 0x5a);
	close(fd);
}
END_TEST

/*
 * ACCESS_PAGES and DESTROY_ACCESS_PAGES: only a pinning access; the pins
 * show in MD_CHECK_REFS; an unmap drops the item (ENOENT after).
 */
START_TEST(access_pin)
{
	uint32_t	ioas = test_ioas_new(), id, id2;
	uint64_t	iova = 1 << 24;
	int		fd, nopin;

	map_at(ioas, buf, 4 * PAGE, iova, RW);
	ck_assert_int_eq(create_access(ioas, 0, &nopin), 0);
	ck_assert_int_eq(access_pages(nopin, iova, PAGE, buf, 0, &id),
	    -EOPNOTSUPP);
	ck_assert_int_eq(create_access(ioas,
	    MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &fd), 0);
	ck_assert_int_eq(access_pages(fd, iova, PAGE, buf, 4, &id),
	    -EOPNOTSUPP);
	ck_assert_int_eq(access_pages(fd, iova, 0, buf, 0, &id), -EINVAL);
	ck_assert_int_eq(access_pages(fd, iova, 5 * PAGE, buf, 0, &id),
	    -ENOENT);
	ck_assert_int_eq(access_pages(fd, iova, PAGE, buf + PAGE, 0, &id),
	    -EINVAL);
	ck_assert_int_eq(access_pages(fd, iova, 17 << 20, buf, 0, &id),
	    -ENOMEM);
	ck_assert_int_eq(check_refs(buf, 4 * PAGE, 0), 0);

	ck_assert_int_eq(access_pages(fd, iova + PAGE, PAGE, buf + PAGE,
	    MOCK_FLAGS_ACCESS_WRITE, &id), 0);
	ck_assert_int_eq(check_refs(buf, 4 * PAGE, 1), 0);
	ck_assert_int_eq(access_pages(fd, iova, 2 * PAGE, buf, 0, &id2), 0);
	ck_assert_uint_ne(id, id2);
	ck_assert_int_eq(destroy_pages(fd, id), 0);
	ck_assert_int_eq(destroy_pages(fd, id), -ENOENT);
	ck_assert_int_eq(check_refs(buf, 4 * PAGE, 1), 0);
	ck_assert_int_eq(destroy_pages(fd, id2), 0);
	ck_assert_int_eq(check_refs(buf, 4 * PAGE, 0), 0);

	/* The unmap callback drops what overlaps the unmapped area. */
	ck_assert_int_eq(access_pages(fd, iova, PAGE, buf, 0, &id), 0);
	{
		struct iommu_ioas_unmap	u;

		memset(&u, 0, sizeof(u));
		u.size = sizeof(u);
		u.ioas_id = ioas;
		u.iova = iova;
		u.length = 4 * PAGE;
		ck_assert_int_eq(IOCTL(IOMMU_IOAS_UNMAP, &u), 0);
	}
	ck_assert_int_eq(destroy_pages(fd, id), -ENOENT);
	ck_assert_int_eq(check_refs(buf, 4 * PAGE, 0), 0);

	/* Closing the access with a pin held lets go of everything. */
	map_at(ioas, buf, 4 * PAGE, iova, RW);
	ck_assert_int_eq(access_pages(fd, iova, PAGE, buf, 0, &id), 0);
	close(fd);
	close(nopin);
	ck_assert_int_eq(check_refs(buf, 4 * PAGE, 0), 0);
	ck_assert_int_eq(destroy(ioas), 0);
}
END_TEST

/* ACCESS_REPLACE_IOAS: the access moves, the old IOAS is free to go. */
START_TEST(access_replace)
{
	uint32_t	a = test_ioas_new(), b = test_ioas_new();
	struct iommu_test_cmd c;
	uint8_t		tmp[8];
	int		fd;

	map_at(a, buf, PAGE, 1 << 24, RW);
	map_at(b, buf + PAGE, PAGE, 1 << 25, RW);
	ck_assert_int_eq(create_access(a, 0, &fd), 0);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS;
	c.id = (uint32_t)fd;
	c.access_replace_ioas.ioas_id = 99;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -ENOENT);
	c.access_replace_ioas.ioas_id = a;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);
	c.access_replace_ioas.ioas_id = b;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);
	ck_assert_int_eq(destroy(b), -EBUSY);
	ck_assert_int_eq(destroy(a), 0);
	ck_assert_int_eq(access_rw(fd, 1 << 24, tmp, 8, 0), -ENOENT);
	ck_assert_int_eq(access_rw(fd, 1 << 25, tmp, 8, 0), 0);
	c.id = 12345;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), -EBADFD);
	close(fd);
	ck_assert_int_eq(destroy(b), 0);
}
END_TEST

/*
 * Pins move with the access: after a replace and the old IOAS's end,
 * MD_CHECK_REFS still counts them, until the access goes.
 */
START_TEST(access_replace_pins)
{
	uint32_t	a = test_ioas_new(), b = test_ioas_new(), id;
	struct iommu_test_cmd c;
	int		fd;

	map_at(a, buf, 2 * PAGE, 1 << 24, RW);
	ck_assert_int_eq(create_access(a,
	    MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &fd), 0);
	ck_assert_int_eq(access_pages(fd, 1 << 24, PAGE, buf, 0, &id), 0);
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS;
	c.id = (uint32_t)fd;
	c.access_replace_ioas.ioas_id = b;
	ck_assert_int_eq(IOCTL(IOMMU_TEST_CMD, &c), 0);
	ck_assert_int_eq(destroy(a), 0);
	ck_assert_int_eq(check_refs(buf, 2 * PAGE, 1), 0);
	ck_assert_int_eq(destroy_pages(fd, id), 0);
	ck_assert_int_eq(check_refs(buf, 2 * PAGE, 0), 0);
	ck_assert_int_eq(access_pages(fd, 1 << 24, PAGE, buf, 0, &id),
	    -ENOENT);
	close(fd);
}
END_TEST

/*
 * Lifetimes: the descriptor keeps the context after its file closes; the
 * context goes when the descriptor does, with nothing left behind. And a
 * daemon that exits with descriptors out frees them all.
 */
START_TEST(access_outlives_ctx)
{
	struct ctx	*ctx = tctx;
	uint32_t	 ioas = test_ioas_new();
	struct hfd	*hfd;
	char		 c;
	int		 fd;

	map_at(ioas, buf, PAGE, 1 << 24, RW);
	ck_assert_int_eq(create_access(ioas, 0, &fd), 0);
	/* The file closes: the context stays for the descriptor. */
	ctx_hold(ctx);		/* so the test can look at it after */
	ctx_close(ctx);
	ck_assert_uint_eq(ctx->refs, 2);
	ck_assert_uint_eq(ctx->nkind[OBJ_ACCESS], 1);
	hfd = LIST_FIRST(&ctx->hfds);
	ck_assert_ptr_nonnull(hfd);
	ck_assert_uint_eq(hfd_ctx_count(ctx), 1);
	/* Nothing to serve while the caller holds it. */
	hfd_ready(hfd);
	ck_assert_uint_eq(hfd_count(), 1);
	/* What the caller writes into an access descriptor is dropped. */
	ck_assert_int_eq(write(fd, "x", 1), 1);
	hfd_ready(hfd);
	ck_assert_uint_eq(hfd_count(), 1);
	close(fd);
	hfd_ready(hfd);		/* the loop's call */
	ck_assert_uint_eq(hfd_count(), 0);
	ck_assert_uint_eq(ctx->refs, 1);
	ck_assert_uint_eq(ctx->nobjs, 1);	/* the IOAS */
	ctx_put(ctx);		/* frees it */

	/* Exit with a descriptor out: ctx_free() takes everything. */
	tctx = test_ctx_new();
	ioas = test_ioas_new();
	ck_assert_int_eq(create_access(ioas, 0, &fd), 0);
	ctx_free(tctx);
	ck_assert_uint_eq(hfd_count(), 0);
	/* The caller's end reads EOF: the daemon's end is gone. */
	ck_assert_int_eq(read(fd, &c, 1), 0);
	close(fd);
	tctx = test_ctx_new();
}
END_TEST

/* A caller that cannot take a descriptor (CUSE): EOPNOTSUPP, no object. */
static int
nofd_putfd(void *priv __unused, int fd __unused, uint64_t uaddr __unused)
{
	return (-EOPNOTSUPP);
}

START_TEST(access_no_putfd)
{
	struct uaccess_ops	 ops = uself_ops;
	struct iommu_test_cmd	 c;
	struct ucmd		 u;
	uint32_t		 ioas = test_ioas_new();
	unsigned int		 nfds = hfd_count();

	ops.putfd = nofd_putfd;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.op = IOMMU_TEST_OP_CREATE_ACCESS;
	c.id = ioas;
	memset(&u, 0, sizeof(u));
	u.ctx = tctx;
	u.cmd = IOMMU_TEST_CMD;
	u.arg = (uintptr_t)&c;
	u.caller = &tcaller;
	u.uops = &ops;
	ck_assert_int_eq(dispatch(&u), -EOPNOTSUPP);
	ck_assert_uint_eq(tctx->nkind[OBJ_ACCESS], 0);
	ck_assert_uint_eq(tctx->nobjs, 1);
	ck_assert_uint_eq(hfd_count(), nfds);
	ck_assert_uint_eq(tctx->refs, 1);
	ck_assert_int_eq(destroy(ioas), 0);
}
END_TEST

/*
 * A close seen while the access's answer is still on its way (a deferring
 * transport): the loop settles the context first. Unwritten, the access
 * is aborted and its hfd freed under the call; written, it is published
 * and then destroyed by the close.
 */
static struct ucmd	*settle_ucmd;
static int		 settle_written, settle_calls;

static void
settle_hook(struct ctx *ctx __unused)
{
	settle_calls++;
	ucmd_settle(settle_ucmd->pending, settle_ucmd->npending,
	    settle_written);
	settle_ucmd->npending = 0;
}

START_TEST(access_close_pending)
{
	struct iommu_test_cmd	 c;
	struct ucmd		 u;
	uint32_t		 ioas = test_ioas_new();
	int			 written;

	for (written = 0; written < 2; written++) {
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		c.op = IOMMU_TEST_OP_CREATE_ACCESS;
		c.id = ioas;
		memset(&u, 0, sizeof(u));
		u.ctx = tctx;
		u.cmd = IOMMU_TEST_CMD;
		u.arg = (uintptr_t)&c;
		u.caller = &tcaller;
		u.uops = &uself_ops;
		u.defer = 1;
		ck_assert_int_eq(dispatch(&u), 0);
		ck_assert_uint_eq(u.npending, 1);
		ck_assert_uint_eq(tctx->nkind[OBJ_ACCESS], 0);
		settle_ucmd = &u;
		settle_written = written;
		settle_calls = 0;
		tctx->settle = settle_hook;
		close((int)c.create_access.out_access_fd);
		hfd_ready(LIST_FIRST(&tctx->hfds));
		tctx->settle = NULL;
		ck_assert_int_eq(settle_calls, 1);
		ck_assert_uint_eq(hfd_count(), 0);
		ck_assert_uint_eq(tctx->nkind[OBJ_ACCESS], 0);
		ck_assert_uint_eq(tctx->nobjs, 1);
		ck_assert_uint_eq(tctx->refs, 1);
	}
	ck_assert_int_eq(destroy(ioas), 0);
}
END_TEST

static Suite *
access_suite(void)
{
	Suite	*s = suite_create("access");
	TCase	*tc;

	tc = tcase_create("access");
	tcase_add_checked_fixture(tc, access_setup, access_teardown);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, access_create);
	tcase_add_test(tc, access_lookup_fd);
	tcase_add_test(tc, access_rw_any);
	tcase_add_test(tc, access_rw_readonly);
	tcase_add_test(tc, access_pin);
	tcase_add_test(tc, access_replace);
	tcase_add_test(tc, access_replace_pins);
	tcase_add_test(tc, access_outlives_ctx);
	tcase_add_test(tc, access_no_putfd);
	tcase_add_test(tc, access_close_pending);
	return (s);
}
SUITE(access_suite)
