/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The CUSE probing invariant (core/ioctl.h): no handler changes state
 * before its last read of caller memory. CUSE runs a command once per
 * retry round, each run but the last ending at the first read of bytes
 * the kernel has not sent yet; a change made before that read would be
 * made again.
 *
 * Every command proto/ knows is run through the core with a uaccess that
 * fails the k-th read and the ones after it, for k = 0, 1, 2, ... until a
 * run makes no more reads than that; after each failed run the context
 * must be as it was:
 * the same objects (ids, kinds, states, users), counts and charges, the
 * same option values and compat IOAS, and for every object what its
 * describe op shows (for an IOAS: areas, reserved and allowed ranges,
 * alignment, huge pages). The last, complete run of each command is kept,
 * so the commands build on one another: an IOAS gets allowed ranges,
 * mappings of memory and of a file, a copy, a reserved range, options,
 * the VFIO compat role and type1 mappings, and the commands that need a
 * device find real objects to look up.
 *
 * The same commands run again with the daemon's allocation-failure
 * injection (core/inject.h) in place of the failing reads: the n-th
 * allocation point fails, for n = 1, 2, ... until a run reaches no more
 * points than that. Each failed run must answer an errno and leave the
 * same state, charges included: every out-of-memory path undoes what it
 * did, as the kernel's iommufd_fail_nth demands of the kernel.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>
#include "iommufd_test.h"
#include "ioasidd.h"
#include "ioasidd_coherency.h"
#include "ioasidd_pasid.h"
#include "ioasidd_enqcmd.h"

#include "core/acct.h"
#include "core/ctx.h"
#include "core/inject.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "core/util.h"
#include "helpers.h"
#include "iommufd/pages.h"
#include "suites.h"
#include "uapi.h"

#define PAGE		4096u
#define NPAGES		16

/*
 * Fail the k-th read (counting from 0) and every one after it, as in a
 * CUSE round that lacks the bytes from there on: a handler that retries a
 * failed read in smaller pieces gets nothing more. Everything else is
 * uself_ops.
 */
struct probe {
	unsigned int	 n;
	unsigned int	 k;
	int		 hit;
};

static int
probe_read(void *priv, uint64_t uaddr, void *buf, size_t len)
{
	struct probe	*p = priv;

	if (p->n++ >= p->k) {
		p->hit = 1;
		return (-EFAULT);
	}
	return (uself_ops.read(NULL, uaddr, buf, len));
}

static int
probe_write(void *priv __unused, uint64_t uaddr, const void *buf, size_t len)
{
	return (uself_ops.write(NULL, uaddr, buf, len));
}

static int
probe_getfd(void *priv __unused, int cfd)
{
	return (uself_ops.getfd(NULL, cfd));
}

static int
probe_putfd(void *priv __unused, int fd, uint64_t uaddr)
{
	return (uself_ops.putfd(NULL, fd, uaddr));
}

static const struct uaccess_ops probe_ops = {
	.read = probe_read,
	.write = probe_write,
	.getfd = probe_getfd,
	.putfd = probe_putfd,
};

/* What a sweep fails: the k-th read, or the n-th allocation point. */
enum probe_mode {
	PROBE_READS,
	PROBE_ALLOCS,
};

static enum probe_mode	 mode;
static uint8_t		*mem;		/* NPAGES of ours to map */
static int		 memfd = -1;	/* NPAGES of a file to map */
static unsigned int	 nprobes;	/* failed runs compared */
static int		 seen[64];	/* per uapi_cmds[] row */

/* Everything a failed run must leave as it was, as one string. */
static char *
probe_state(struct ctx *ctx)
{
	struct obj	*obj;
	json_t		*d;
	char		*buf = NULL, *js;
	size_t		 len = 0, i;
	FILE		*f;

	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	fprintf(f, "nobjs %u acct_mode %d vfio_ioas %u\n", ctx->nobjs,
	    (int)ctx->acct_mode, ctx->vfio_ioas_id);
	for (i = 0; i < OBJ_MAX; i++)
		fprintf(f, "nkind[%zu] %u\n", i, ctx->nkind[i]);
	for (i = 0; i < LIMIT_NKINDS; i++)
		fprintf(f, "use[%zu] %llu\n", i,
		    (unsigned long long)ctx->lim.use[i]);
	fprintf(f, "live pages %zu umem %u\n", pages_count(),
	    umem_count());
	fprintf(f, "pages user %llu mm %llu\n",
	    (unsigned long long)acct_user_pages(getuid()),
	    (unsigned long long)acct_mm_pages(getpid()));
	CTX_FOREACH_OBJ(obj, ctx) {
		fprintf(f, "obj %u %s state %u users %u ", obj->id,
		    obj_type_name(obj->type), obj->state, obj->users);
		ck_assert_int_eq(obj_describe(obj, &d), 0);
		if (d != NULL) {
			js = json_dumps(d, JSON_SORT_KEYS | JSON_COMPACT);
			ck_assert_ptr_nonnull(js);
			fputs(js, f);
			free(js);
			json_decref(d);
		}
		fputc('\n', f);
	}
	ck_assert_int_eq(fclose(f), 0);
	return (buf);
}

/* One run of cmd, with the k-th read failing if k is not UINT_MAX. */
static long
probe_run(unsigned int cmd, uint64_t arg, struct probe *p, unsigned int k)
{
	struct ucmd	 ucmd;

	memset(&ucmd, 0, sizeof(ucmd));
	ucmd.ctx = tctx;
	ucmd.cmd = cmd;
	ucmd.arg = arg;
	ucmd.caller = &tcaller;
	ucmd.uops = &probe_ops;
	ucmd.upriv = p;
	p->n = 0;
	p->k = k;
	p->hit = 0;
	return (dispatch(&ucmd));
}

/*
 * Run cmd with one failure of the sweep's kind at every place it reaches
 * (its k-th read, or its n-th allocation point), comparing the state
 * around each failed run; then the run with no failure, whose result is
 * returned.
 */
static long
probe(unsigned int cmd, uint64_t arg)
{
	const struct uapi_cmd	*uc = uapi_cmd_find(cmd);
	struct probe		 p;
	char			*before, *after;
	unsigned int		 i;
	long			 rc;
	int			 failed;

	ck_assert_msg(uc != NULL, "%#x is not a command", cmd);
	seen[uc - uapi_cmds] = 1;
	for (i = 0;; i++) {
		ck_assert_msg(i < 256, "%s: no end to its %s", uc->name,
		    mode == PROBE_READS ? "reads" : "allocations");
		before = probe_state(tctx);
		if (mode == PROBE_READS) {
			rc = probe_run(cmd, arg, &p, i);
			failed = p.hit;
		} else {
			inject_arm(i + 1);
			rc = probe_run(cmd, arg, &p, UINT_MAX);
			failed = inject_left == 0;
			inject_arm(0);
		}
		if (!failed) {
			free(before);
			return (rc);
		}
		after = probe_state(tctx);
		ck_assert_msg(rc < 0, "%s: %s %u failed, result %ld",
		    uc->name, mode == PROBE_READS ? "read" : "allocation",
		    i, rc);
		ck_assert_msg(strcmp(before, after) == 0,
		    "%s: %s %u failed (%ld) after a change:\n%s---\n%s",
		    uc->name, mode == PROBE_READS ? "read" : "allocation",
		    i, rc, before, after);
		free(before);
		free(after);
		nprobes++;
	}
}

static long
probe_ptr(unsigned int cmd, void *arg)
{
	return (probe(cmd, (uint64_t)(uintptr_t)arg));
}

static void
probe_setup(void)
{
	test_setup();
	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
	mem = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	memset(mem, 0x5a, NPAGES * PAGE);
	memfd = memfd_create("probe", 0);
	ck_assert_int_ge(memfd, 0);
	ck_assert_int_eq(ftruncate(memfd, NPAGES * PAGE), 0);
}

static void
probe_teardown(void)
{
	close(memfd);
	memfd = -1;
	munmap(mem, NPAGES * PAGE);
	umem_put(tcaller.mem);
	tcaller.mem = NULL;
	test_teardown();
}

/* A struct of every kind the device commands take, sized, ids set. */
union probe_any {
	struct iommu_hwpt_alloc			hwpt;
	struct iommu_hw_info			info;
	struct iommu_hwpt_set_dirty_tracking	dirty;
	struct iommu_hwpt_get_dirty_bitmap	bitmap;
	struct iommu_hwpt_invalidate		inv;
	struct iommu_fault_alloc		fault;
	struct iommu_viommu_alloc		viommu;
	struct iommu_vdevice_alloc		vdev;
	struct iommu_veventq_alloc		veventq;
	struct iommu_hw_queue_alloc		hwq;
	struct iommu_ioas_noiommu_get_pa	getpa;
	struct ioasidd_mmap			mmap;
	struct ioasidd_coherency		coherency;
	struct ioasidd_pasids			pasids;
	struct ioasidd_enqcmd			enqcmd;
	struct vfio_device_bind_iommufd		bind;
	struct vfio_device_attach_iommufd_pt	attach;
	struct vfio_device_detach_iommufd_pt	detach;
};

static void
probe_every_command(void)
{
	struct iommu_ioas_alloc		 alloc = { .size = sizeof(alloc) };
	struct iommu_iova_range		 ranges[4];
	struct iommu_ioas_allow_iovas	 allow;
	struct iommu_ioas_map		 map;
	struct iommu_ioas_map_file	 mapf;
	struct iommu_ioas_copy		 copy;
	struct iommu_ioas_iova_ranges	 iovar;
	struct iommu_ioas_unmap		 unmap;
	struct iommu_option		 opt;
	struct iommu_vfio_ioas		 vio;
	struct iommu_test_cmd		 test;
	struct iommu_ioas_change_process chp = { .size = sizeof(chp) };
	struct iommu_destroy		 destroy = { .size = sizeof(destroy) };
	struct vfio_iommu_type1_info	 vinfo;
	struct vfio_iommu_type1_dma_map	 vmap;
	struct vfio_iommu_type1_dma_unmap vunmap;
	union probe_any			 any;
	uint32_t			 a, b;
	size_t				 i, n;

	/* Two IOASes; B takes allowed ranges and a copy from A. */
	ck_assert_int_eq(probe_ptr(IOMMU_IOAS_ALLOC, &alloc), 0);
	a = alloc.out_ioas_id;
	ck_assert_int_eq(probe_ptr(IOMMU_IOAS_ALLOC, &alloc), 0);
	b = alloc.out_ioas_id;

	ranges[0] = (struct iommu_iova_range){ 0x400000, 0x4fffff };
	ranges[1] = (struct iommu_iova_range){ 0x800000, 0x8fffff };
	memset(&allow, 0, sizeof(allow));
	allow.size = sizeof(allow);
	allow.ioas_id = b;
	allow.num_iovas = 2;
	allow.allowed_iovas = (uintptr_t)ranges;
	ck_assert_int_eq(probe_ptr(IOMMU_IOAS_ALLOW_IOVAS, &allow), 0);

	memset(&map, 0, sizeof(map));
	map.size = sizeof(map);
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = a;
	map.user_va = (uintptr_t)mem;
	map.length = 4 * PAGE;
	map.iova = 0x100000;
	ck_assert_int_eq(probe_ptr(IOMMU_IOAS_MAP, &map), 0);
	map.flags = IOMMU_IOAS_MAP_READABLE;
	map.user_va = (uintptr_t)(mem + 4 * PAGE);
	map.iova = 0;
	ck_assert_int_eq(probe_ptr(IOMMU_IOAS_MAP, &map), 0);

	memset(&mapf, 0, sizeof(mapf));
	mapf.size = sizeof(mapf);
	mapf.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
	mapf.ioas_id = a;
	mapf.fd = memfd;
	mapf.start = PAGE;
	mapf.length = 2 * PAGE;
	mapf.iova = 0x200000;
	ck_assert_int_eq(probe_ptr(IOMMU_IOAS_MAP_FILE, &mapf), 0);

	memset(&copy, 0, sizeof(copy));
	copy.size = sizeof(copy);
	copy.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
	copy.dst_ioas_id = b;
	copy.src_ioas_id = a;
	copy.length = 4 * PAGE;
	copy.dst_iova = 0x400000;
	copy.src_iova = 0x100000;
	ck_assert_int_eq(probe_ptr(IOMMU_IOAS_COPY, &copy), 0);

	memset(&iovar, 0, sizeof(iovar));
	iovar.size = sizeof(iovar);
	iovar.ioas_id = b;
	iovar.num_iovas = nitems(ranges);
	iovar.allowed_iovas = (uintptr_t)ranges;
	ck_assert_int_eq(probe_ptr(IOMMU_IOAS_IOVA_RANGES, &iovar), 0);

	memset(&test, 0, sizeof(test));
	test.size = sizeof(test);
	test.op = IOMMU_TEST_OP_ADD_RESERVED;
	test.id = a;
	test.add_reserved.start = 0x10000000;
	test.add_reserved.length = PAGE;
	ck_assert_int_eq(probe_ptr(IOMMU_TEST_CMD, &test), 0);
	test.op = IOMMU_TEST_OP_MOCK_DOMAIN;
	(void)probe_ptr(IOMMU_TEST_CMD, &test);

	memset(&opt, 0, sizeof(opt));
	opt.size = sizeof(opt);
	opt.option_id = IOMMU_OPTION_HUGE_PAGES;
	opt.op = IOMMU_OPTION_OP_SET;
	opt.object_id = b;
	opt.val64 = 0;
	ck_assert_int_eq(probe_ptr(IOMMU_OPTION, &opt), 0);
	opt.option_id = IOMMU_OPTION_RLIMIT_MODE;
	opt.op = IOMMU_OPTION_OP_GET;
	opt.object_id = 0;
	ck_assert_int_eq(probe_ptr(IOMMU_OPTION, &opt), 0);

	memset(&vio, 0, sizeof(vio));
	vio.size = sizeof(vio);
	vio.ioas_id = a;
	vio.op = IOMMU_VFIO_IOAS_SET;
	ck_assert_int_eq(probe_ptr(IOMMU_VFIO_IOAS, &vio), 0);

	/* The VFIO type1 commands, on the compat IOAS (A). */
	ck_assert_int_ge(probe(VFIO_GET_API_VERSION, 0), 0);
	ck_assert_int_ge(probe(VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 0);
	ck_assert_int_eq(probe(VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	memset(&vinfo, 0, sizeof(vinfo));
	vinfo.argsz = sizeof(vinfo);
	ck_assert_int_eq(probe_ptr(VFIO_IOMMU_GET_INFO, &vinfo), 0);
	memset(&vmap, 0, sizeof(vmap));
	vmap.argsz = sizeof(vmap);
	vmap.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	vmap.vaddr = (uintptr_t)(mem + 8 * PAGE);
	vmap.iova = 0x300000;
	vmap.size = 2 * PAGE;
	ck_assert_int_eq(probe_ptr(VFIO_IOMMU_MAP_DMA, &vmap), 0);
	memset(&vunmap, 0, sizeof(vunmap));
	vunmap.argsz = sizeof(vunmap);
	vunmap.iova = 0x300000;
	vunmap.size = 2 * PAGE;
	ck_assert_int_eq(probe_ptr(VFIO_IOMMU_UNMAP_DMA, &vunmap), 0);

	/*
	 * The commands that need a device or a vIOMMU: ids of real
	 * objects, and the arrays they point to in our memory, so that
	 * each gets as far as it can.
	 */
	memset(&any, 0, sizeof(any));
	any.hwpt = (struct iommu_hwpt_alloc){ .size = sizeof(any.hwpt),
	    .dev_id = a, .pt_id = a, .data_len = 8,
	    .data_type = IOMMU_HWPT_DATA_SELFTEST,
	    .data_uptr = (uintptr_t)mem };
	(void)probe_ptr(IOMMU_HWPT_ALLOC, &any);
	memset(&any, 0, sizeof(any));
	any.info = (struct iommu_hw_info){ .size = sizeof(any.info),
	    .dev_id = a, .data_len = 64, .data_uptr = (uintptr_t)mem };
	(void)probe_ptr(IOMMU_GET_HW_INFO, &any);
	memset(&any, 0, sizeof(any));
	any.dirty = (struct iommu_hwpt_set_dirty_tracking){
	    .size = sizeof(any.dirty), .hwpt_id = a };
	(void)probe_ptr(IOMMU_HWPT_SET_DIRTY_TRACKING, &any);
	memset(&any, 0, sizeof(any));
	any.bitmap = (struct iommu_hwpt_get_dirty_bitmap){
	    .size = sizeof(any.bitmap), .hwpt_id = a, .iova = 0x100000,
	    .length = 4 * PAGE, .page_size = PAGE,
	    .data = (uintptr_t)mem };
	(void)probe_ptr(IOMMU_HWPT_GET_DIRTY_BITMAP, &any);
	memset(&any, 0, sizeof(any));
	any.inv = (struct iommu_hwpt_invalidate){ .size = sizeof(any.inv),
	    .hwpt_id = a, .data_uptr = (uintptr_t)mem,
	    .data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	    .entry_len = 8, .entry_num = 2 };
	(void)probe_ptr(IOMMU_HWPT_INVALIDATE, &any);
	memset(&any, 0, sizeof(any));
	any.fault.size = sizeof(any.fault);
	(void)probe_ptr(IOMMU_FAULT_QUEUE_ALLOC, &any);
	memset(&any, 0, sizeof(any));
	any.viommu = (struct iommu_viommu_alloc){ .size = sizeof(any.viommu),
	    .type = IOMMU_VIOMMU_TYPE_SELFTEST, .dev_id = a, .hwpt_id = a };
	(void)probe_ptr(IOMMU_VIOMMU_ALLOC, &any);
	memset(&any, 0, sizeof(any));
	any.vdev = (struct iommu_vdevice_alloc){ .size = sizeof(any.vdev),
	    .viommu_id = a, .dev_id = a };
	(void)probe_ptr(IOMMU_VDEVICE_ALLOC, &any);
	memset(&any, 0, sizeof(any));
	any.veventq = (struct iommu_veventq_alloc){
	    .size = sizeof(any.veventq), .viommu_id = a,
	    .type = IOMMU_VEVENTQ_TYPE_SELFTEST, .veventq_depth = 4 };
	(void)probe_ptr(IOMMU_VEVENTQ_ALLOC, &any);
	memset(&any, 0, sizeof(any));
	any.hwq = (struct iommu_hw_queue_alloc){ .size = sizeof(any.hwq),
	    .viommu_id = a, .type = IOMMU_HW_QUEUE_TYPE_SELFTEST,
	    .length = PAGE };
	(void)probe_ptr(IOMMU_HW_QUEUE_ALLOC, &any);
	memset(&any, 0, sizeof(any));
	any.getpa = (struct iommu_ioas_noiommu_get_pa){
	    .size = sizeof(any.getpa), .ioas_id = a, .iova = 0x100000,
	    .length = PAGE };
	(void)probe_ptr(IOMMU_IOAS_NOIOMMU_GET_PA, &any);
	memset(&any, 0, sizeof(any));
	any.mmap = (struct ioasidd_mmap){ .size = sizeof(any.mmap),
	    .flags = IOASIDD_MMAP_SHARED, .offset = (uint64_t)a << 24,
	    .length = 2 * PAGE };
	(void)probe_ptr(IOASIDD_MMAP, &any);
	memset(&any, 0, sizeof(any));
	any.coherency.size = sizeof(any.coherency);
	(void)probe_ptr(IOASIDD_COHERENCY, &any);
	memset(&any, 0, sizeof(any));
	any.pasids.size = sizeof(any.pasids);
	(void)probe_ptr(IOASIDD_PASIDS, &any);
	memset(&any, 0, sizeof(any));
	any.enqcmd.size = sizeof(any.enqcmd);
	(void)probe_ptr(IOASIDD_ENQCMD, &any);
	memset(&any, 0, sizeof(any));
	any.bind.argsz = sizeof(any.bind);
	(void)probe_ptr(VFIO_DEVICE_BIND_IOMMUFD, &any);
	memset(&any, 0, sizeof(any));
	any.attach.argsz = sizeof(any.attach);
	(void)probe_ptr(VFIO_DEVICE_ATTACH_IOMMUFD_PT, &any);
	memset(&any, 0, sizeof(any));
	any.detach.argsz = sizeof(any.detach);
	(void)probe_ptr(VFIO_DEVICE_DETACH_IOMMUFD_PT, &any);
	(void)probe_ptr(VFIO_DEVICE_GET_INFO, &any);
	memset(&any, 0, sizeof(any));
	any.bind.argsz = 32;
	(void)probe_ptr(IOASIDD_REGION_READ, &any);
	(void)probe_ptr(IOASIDD_REGION_WRITE, &any);
	memset(&any, 0, sizeof(any));
	any.bind.argsz = 20;
	(void)probe_ptr(VFIO_DEVICE_SET_IRQS, &any);

	/* Last, what takes state away. */
	(void)probe_ptr(IOMMU_IOAS_CHANGE_PROCESS, &chp);
	memset(&unmap, 0, sizeof(unmap));
	unmap.size = sizeof(unmap);
	unmap.ioas_id = a;
	unmap.iova = 0x100000;
	unmap.length = 4 * PAGE;
	ck_assert_int_eq(probe_ptr(IOMMU_IOAS_UNMAP, &unmap), 0);
	ck_assert_uint_eq(unmap.length, 4 * PAGE);
	vio.op = IOMMU_VFIO_IOAS_CLEAR;
	ck_assert_int_eq(probe_ptr(IOMMU_VFIO_IOAS, &vio), 0);
	destroy.id = b;
	ck_assert_int_eq(probe_ptr(IOMMU_DESTROY, &destroy), 0);

	/* At least the size and the struct of every command with one. */
	for (i = 0, n = 0; i < uapi_ncmds; i++) {
		/* The VFIO device node's own commands (check_pci.c). */
		if (uapi_cmds[i].devnode)
			continue;
		ck_assert_msg(seen[i], "%s not probed", uapi_cmds[i].name);
		/* The device node's region access is ENOTTY here. */
		if (uapi_cmds[i].num == IOASIDD_REGION_READ ||
		    uapi_cmds[i].num == IOASIDD_REGION_WRITE ||
		    uapi_cmds[i].num == VFIO_DEVICE_SET_IRQS)
			continue;
		n += uapi_cmds[i].st != NULL ? 2 : 0;
	}
	if (mode == PROBE_READS)
		ck_assert_uint_ge(nprobes, n);
	else
		ck_assert_uint_gt(nprobes, 0);
}

START_TEST(every_command_reads)
{
	mode = PROBE_READS;
	probe_every_command();
}
END_TEST

START_TEST(every_command_allocs)
{
	mode = PROBE_ALLOCS;
	probe_every_command();
}
END_TEST

static Suite *
probe_suite(void)
{
	Suite	*s = suite_create("probe");
	TCase	*tc;

	tc = tcase_create("reads");
	tcase_add_checked_fixture(tc, probe_setup, probe_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_command_reads);
	suite_add_tcase(s, tc);
	tc = tcase_create("allocations");
	tcase_add_checked_fixture(tc, probe_setup, probe_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_command_allocs);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(probe_suite)
