/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Noiommu mode (Linux 7.3): a device behind no IOMMU bound and attached
 * to an IOAS through a software-only domain; IOMMU_IOAS_NOIOMMU_GET_PA's
 * checks in the kernel's order; the emulated physical address model
 * (blocks of the granule, never adjacent, stable, shared by a pages
 * object mapped twice); and the device's DMA by physical address.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "conf.h"
#include "core/ctx.h"
#include "dev/vfio_cdev.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "hw/hw.h"
#include "iommufd/device.h"
#include "iommufd/noiommu.h"
#include "helpers.h"
#include "suites.h"

#include <linux/iommufd.h>
#include <linux/vfio.h>

#define PAGE		4096ULL
#define MB2		(2ULL << 20)
#define BUFSZ		(4 * MB2)
#define IOVA		0x100000ULL
#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static uint8_t		*mem;
static struct edev	 nedev;
static struct device	*ndev;
static uint32_t		 ndev_id;

static void
nio_setup(void)
{
	test_setup();
	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
	tcaller.caps |= CALLER_CAP_SYS_RAWIO;
	ck_assert_int_eq(posix_memalign((void **)&mem, MB2, BUFSZ), 0);
	memset(mem, 0x5a, BUFSZ);
	device_edev_init(&nedev, "nio0", &hw_noiommu_instance, 0x0100, 0, 0);
	ck_assert_int_eq(device_bind(tctx, &nedev, &ndev, &ndev_id), 0);
	ck_assert_int_eq(noiommu_set_granule(PAGE), 0);
}

static void
nio_teardown(void)
{
	if (nedev.bound != NULL)
		device_unbind(nedev.bound);
	test_teardown();
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
	free(mem);
	ck_assert_int_eq(noiommu_set_granule(PAGE), 0);
}

static long
map(uint32_t ioas, void *uva, uint64_t len, uint64_t iova, uint32_t flags)
{
	struct iommu_ioas_map	m;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA;
	m.ioas_id = ioas;
	m.user_va = (uintptr_t)uva;
	m.length = len;
	m.iova = iova;
	return (test_ioctl(tctx, IOMMU_IOAS_MAP, &m));
}

static long
get_pa(uint32_t ioas, uint64_t iova, uint64_t *len, uint64_t *pa)
{
	struct iommu_ioas_noiommu_get_pa	g;
	long					rc;

	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.ioas_id = ioas;
	g.iova = iova;
	g.length = *len;
	rc = test_ioctl(tctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g);
	*len = g.length;
	*pa = g.out_phys;
	return (rc);
}

static int
all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return (0);
	return (1);
}

/* Every errno of GET_PA, in the kernel's order. */
START_TEST(get_pa_errors)
{
	struct iommu_ioas_noiommu_get_pa	g;
	uint32_t				ioas = test_ioas_new(), plain;
	uint32_t				pt;

	plain = test_ioas_new();
	pt = ioas;
	ck_assert_int_eq(device_attach(ndev, DEVICE_NO_PASID, &pt), 0);
	ck_assert_int_eq(map(ioas, mem, 4 * PAGE, IOVA, RW), 0);
	ck_assert_int_eq(map(plain, mem, 4 * PAGE, IOVA, RW), 0);
	memset(&g, 0, sizeof(g));
	g.size = sizeof(g);
	g.flags = 1;
	g.__reserved = 1;
	g.ioas_id = 999;
	g.iova = UINT64_MAX;
	/* CAP_SYS_RAWIO is checked before anything else. */
	tcaller.caps &= ~CALLER_CAP_SYS_RAWIO;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g),
	    -EPERM);
	tcaller.caps |= CALLER_CAP_SYS_RAWIO;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g),
	    -EOPNOTSUPP);
	g.flags = 0;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g),
	    -EOPNOTSUPP);
	g.__reserved = 0;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g),
	    -EINVAL);
	g.length = PAGE;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g),
	    -EOVERFLOW);
	g.iova = IOVA;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g),
	    -ENOENT);
	/* Not mapped there. */
	g.ioas_id = ioas;
	g.iova = IOVA + 4 * PAGE;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g),
	    -ENOENT);
	/* An IOAS no noiommu domain holds. */
	g.ioas_id = plain;
	g.iova = IOVA;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g),
	    -EOPNOTSUPP);
	/* Nothing written back on failure. */
	ck_assert_uint_eq(g.length, PAGE);
	ck_assert_uint_eq(g.out_phys, 0);
	g.ioas_id = ioas;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_NOIOMMU_GET_PA, &g), 0);
	ck_assert_uint_ne(g.out_phys, 0);
	ck_assert_uint_eq(g.length, PAGE);
}
END_TEST

/*
 * 4 KiB blocks by default: contiguous within, never with the next;
 * the same answer twice; capped by the caller's length and the area.
 */
START_TEST(get_pa_model)
{
	uint32_t	ioas = test_ioas_new(), pt = ioas;
	uint64_t	len, pa0, pa1, pa, dst;
	struct iommu_ioas_copy	c;

	ck_assert_int_eq(device_attach(ndev, DEVICE_NO_PASID, &pt), 0);
	ck_assert_uint_ne(pt, ioas);
	ck_assert_int_eq(map(ioas, mem, 4 * PAGE, IOVA, RW), 0);
	len = 4 * PAGE;
	ck_assert_int_eq(get_pa(ioas, IOVA, &len, &pa0), 0);
	ck_assert_uint_eq(len, PAGE);
	ck_assert_uint_eq(pa0 % PAGE, 0);
	len = 4 * PAGE;
	ck_assert_int_eq(get_pa(ioas, IOVA + PAGE, &len, &pa1), 0);
	ck_assert_uint_eq(len, PAGE);
	ck_assert_uint_ne(pa1, pa0 + PAGE);
	ck_assert(pa1 > pa0 + PAGE || pa1 + PAGE < pa0);
	len = 10;
	ck_assert_int_eq(get_pa(ioas, IOVA + 100, &len, &pa), 0);
	ck_assert_uint_eq(len, 10);
	ck_assert_uint_eq(pa, pa0 + 100);
	len = 4 * PAGE;
	ck_assert_int_eq(get_pa(ioas, IOVA, &len, &pa), 0);
	ck_assert_uint_eq(pa, pa0);
	/* The same pages through a second area: the same addresses. */
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA;
	c.dst_ioas_id = ioas;
	c.src_ioas_id = ioas;
	c.length = 2 * PAGE;
	c.src_iova = IOVA + 2 * PAGE;
	c.dst_iova = dst = 0x40000000;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_COPY, &c), 0);
	len = PAGE;
	ck_assert_int_eq(get_pa(ioas, dst + 8, &len, &pa), 0);
	len = PAGE;
	ck_assert_int_eq(get_pa(ioas, IOVA + 2 * PAGE + 8, &len, &pa1), 0);
	ck_assert_uint_eq(pa, pa1);
	/* Another mapping of other memory never overlaps. */
	ck_assert_int_eq(map(ioas, mem + 8 * PAGE, PAGE, 0x80000000, RW), 0);
	len = PAGE;
	ck_assert_int_eq(get_pa(ioas, 0x80000000, &len, &pa), 0);
	ck_assert(pa >= pa0 + 8 * PAGE || pa + PAGE <= pa0);
}
END_TEST

/* A larger granule: 2 MiB blocks, like huge pages. */
START_TEST(get_pa_granule)
{
	uint32_t	ioas = test_ioas_new(), pt = ioas;
	uint64_t	len, pa0, pa1;

	ck_assert_int_eq(noiommu_set_granule(3 * PAGE), -EINVAL);
	ck_assert_int_eq(noiommu_set_granule(PAGE / 2), -EINVAL);
	ck_assert_int_eq(noiommu_set_granule(2 * NOIOMMU_GRANULE_MAX),
	    -EINVAL);
	ck_assert_int_eq(noiommu_set_granule(MB2), 0);
	ck_assert_uint_eq(noiommu_granule(), MB2);
	ck_assert_int_eq(device_attach(ndev, DEVICE_NO_PASID, &pt), 0);
	ck_assert_int_eq(map(ioas, mem, 2 * MB2, 0, RW), 0);
	len = UINT64_MAX;
	ck_assert_int_eq(get_pa(ioas, 0, &len, &pa0), 0);
	ck_assert_uint_eq(len, MB2);
	ck_assert_uint_eq(pa0 % MB2, 0);
	len = UINT64_MAX;
	ck_assert_int_eq(get_pa(ioas, PAGE, &len, &pa1), 0);
	ck_assert_uint_eq(len, MB2 - PAGE);
	ck_assert_uint_eq(pa1, pa0 + PAGE);
	len = UINT64_MAX;
	ck_assert_int_eq(get_pa(ioas, MB2, &len, &pa1), 0);
	ck_assert_uint_ne(pa1, pa0 + MB2);
}
END_TEST

/* A terabyte mapping costs no table: its last page answers at once. */
START_TEST(get_pa_huge_area)
{
	struct iommu_ioas_map_file	mf;
	uint32_t			ioas = test_ioas_new(), pt = ioas;
	uint64_t			len, pa, pa0;
	int				fd;

	ck_assert_int_eq(device_attach(ndev, DEVICE_NO_PASID, &pt), 0);
	/* A sparse file stands for a terabyte of memory. */
	ck_assert_int_ge((fd = memfd_create("nio", 0)), 0);
	ck_assert_int_eq(ftruncate(fd, 1LL << 40), 0);
	memset(&mf, 0, sizeof(mf));
	mf.size = sizeof(mf);
	mf.flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA;
	mf.ioas_id = ioas;
	mf.fd = fd;
	mf.length = 1ULL << 40;
	mf.iova = 0;
	/* Pinned and charged, as the kernel would; no limit for this. */
	tcaller.caps |= CALLER_CAP_IPC_LOCK;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP_FILE, &mf), 0);
	len = PAGE;
	ck_assert_int_eq(get_pa(ioas, 0, &len, &pa0), 0);
	len = PAGE;
	ck_assert_int_eq(get_pa(ioas, (1ULL << 40) - PAGE, &len, &pa), 0);
	ck_assert_uint_eq(pa, pa0 + 2 * ((1ULL << 40) - PAGE));
	close(fd);
}
END_TEST

/* What a noiommu device cannot do, with 7.3's errnos. */
START_TEST(noiommu_refusals)
{
	struct iommu_hw_info	h;
	struct iommu_hwpt_alloc	a;
	uint32_t		ioas = test_ioas_new(), pt = ioas;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = ndev_id;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_GET_HW_INFO, &h),
	    -EOPNOTSUPP);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.dev_id = ndev_id;
	a.pt_id = ioas;
	a.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_ALLOC, &a), -EOPNOTSUPP);
	a.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_ALLOC, &a), -EOPNOTSUPP);
	a.flags = 0;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_HWPT_ALLOC, &a), 0);
	/* No PASID. */
	ck_assert_int_eq(device_attach(ndev, DEVICE_NO_PASID, &pt), 0);
	pt = a.out_hwpt_id;
	ck_assert_int_eq(device_attach(ndev, 3, &pt), -EINVAL);
}
END_TEST

/* The device DMAs by physical address, within one block. */
START_TEST(noiommu_dma)
{
	uint32_t	ioas = test_ioas_new(), pt = ioas;
	uint64_t	len, pa0, pa1;
	uint8_t		b[64], in[64];

	ck_assert_int_eq(device_attach(ndev, DEVICE_NO_PASID, &pt), 0);
	ck_assert_int_eq(map(ioas, mem, 2 * PAGE, IOVA, RW), 0);
	ck_assert_int_eq(map(ioas, mem + 4 * PAGE, PAGE, IOVA + 4 * PAGE,
	    IOMMU_IOAS_MAP_READABLE), 0);
	len = PAGE;
	ck_assert_int_eq(get_pa(ioas, IOVA + PAGE, &len, &pa1), 0);
	memset(b, 0x77, sizeof(b));
	ck_assert_int_eq(device_dma_rw(ndev, DEVICE_NO_PASID, pa1 + 16, b,
	    sizeof(b), 1), 0);
	ck_assert(all_bytes(mem + PAGE + 16, sizeof(b), 0x77));
	ck_assert(all_bytes(mem + PAGE, 16, 0x5a));
	ck_assert_int_eq(device_dma_rw(ndev, DEVICE_NO_PASID, pa1 + 16, in,
	    sizeof(in), 0), 0);
	ck_assert_mem_eq(in, b, sizeof(in));
	/* The IOVA is no bus address here, nor is the hole after a block. */
	ck_assert_int_eq(device_dma_rw(ndev, DEVICE_NO_PASID, IOVA + PAGE, b,
	    sizeof(b), 1), -EFAULT);
	ck_assert_int_eq(device_dma_rw(ndev, DEVICE_NO_PASID, pa1 + PAGE, b,
	    sizeof(b), 1), -EFAULT);
	/* Running off the block's end moves nothing. */
	memset(b, 0x88, sizeof(b));
	ck_assert_int_eq(device_dma_rw(ndev, DEVICE_NO_PASID, pa1 + PAGE - 8,
	    b, sizeof(b), 1), -EFAULT);
	ck_assert(all_bytes(mem + 2 * PAGE - 8, 8, 0x5a));
	/* A read-only mapping is not written. */
	len = PAGE;
	ck_assert_int_eq(get_pa(ioas, IOVA + 4 * PAGE, &len, &pa0), 0);
	ck_assert_int_eq(device_dma_rw(ndev, DEVICE_NO_PASID, pa0, b,
	    sizeof(b), 1), -EFAULT);
	ck_assert(all_bytes(mem + 4 * PAGE, PAGE, 0x5a));
	ck_assert_int_eq(device_dma_rw(ndev, DEVICE_NO_PASID, pa0, in,
	    sizeof(in), 0), 0);
	ck_assert(all_bytes(in, sizeof(in), 0x5a));
	/* Unmapped: the address means nothing any more. */
	ck_assert_int_eq(device_dma_rw(ndev, DEVICE_NO_PASID, UINT64_MAX - 8,
	    b, 16, 1), -EFAULT);
}
END_TEST

static long
vio(struct vfio_cdev_file *f, unsigned int cmd, void *arg)
{
	struct ucmd	ucmd = {
		.cmd = cmd,
		.arg = (uint64_t)(uintptr_t)arg,
		.caller = &tcaller,
		.uops = &uself_ops,
	};

	return (vfio_cdev_dispatch(f, &ucmd));
}

/*
 * A [device] with iommu = none: its node refuses a caller without
 * CAP_SYS_RAWIO, and binds and attaches to an IOAS for one with it.
 */
START_TEST(noiommu_cdev)
{
	struct conf_device			 cd;
	struct vfio_device_bind_iommufd		 b;
	struct vfio_device_attach_iommufd_pt	 at;
	struct vfio_cdev_file			*f;
	struct stat				 st;
	uint32_t				 ioas = test_ioas_new();
	int					 p[2];

	memset(&cd, 0, sizeof(cd));
	cd.name = (char *)"dpdk0";
	cd.iommu = (char *)"none";
	cd.model = (char *)"mock";
	cd.rid = 0x0200;
	cd.pasid_width = 20;
	ck_assert_int_eq(vfio_cdev_configure(&cd, 1), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fstat(p[0], &st), 0);
	ck_assert_int_eq(ctx_set_file(tctx, st.st_dev, st.st_ino), 0);
	ck_assert_int_eq(vfio_cdev_open(0, &f), 0);
	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = p[0];
	tcaller.caps &= ~CALLER_CAP_SYS_RAWIO;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_BIND_IOMMUFD, &b), -EPERM);
	tcaller.caps |= CALLER_CAP_SYS_RAWIO;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	memset(&at, 0, sizeof(at));
	at.argsz = sizeof(at);
	at.pt_id = ioas;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
	ck_assert_uint_ne(at.pt_id, ioas);
	/* No PASID behind no IOMMU, whatever the section said. */
	at.flags = VFIO_DEVICE_ATTACH_PASID;
	at.pasid = 1;
	at.pt_id = ioas;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EINVAL);
	tcaller.caps &= ~CALLER_CAP_SYS_RAWIO;
	at.flags = 0;
	ck_assert_int_eq(vio(f, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), -EPERM);
	vfio_cdev_close(f);
	vfio_cdev_unconfigure();
	close(p[0]);
	close(p[1]);
}
END_TEST

static Suite *
noiommu_suite(void)
{
	Suite	*s = suite_create("noiommu");
	TCase	*tc = tcase_create("noiommu");

	tcase_add_checked_fixture(tc, nio_setup, nio_teardown);
	tcase_add_test(tc, get_pa_errors);
	tcase_add_test(tc, get_pa_model);
	tcase_add_test(tc, get_pa_granule);
	tcase_add_test(tc, get_pa_huge_area);
	tcase_add_test(tc, noiommu_refusals);
	tcase_add_test(tc, noiommu_dma);
	tcase_add_test(tc, noiommu_cdev);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(noiommu_suite)
