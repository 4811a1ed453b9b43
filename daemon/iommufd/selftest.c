/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * IOMMU_TEST_CMD, the kernel selftest's back door (spec 8.1): mock devices
 * and domains, in-process DMA users ("accesses", access.c) and checks on
 * internal state, so that test suites written for the kernel's mock run
 * here. The mock device ("stdev") is an object kind of its own, whose ops
 * are here too.
 *
 * Mock devices are emulated devices of the "mock" hardware model
 * (hw/mock.c), each owned by its stdev object and bound through the same
 * device API as the VFIO nodes (device.h). DIRTY marks a dirty-tracking
 * domain's store (dirty.h) as a device's writes would. The access ops are
 * access.c's, the dma-buf ops (DMABUF_*) dmabuf.c's.
 */
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/inject.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "core/util.h"
#include "hw/hw.h"
#include "iommufd/access.h"
#include "iommufd/device.h"
#include "iommufd/dirty.h"
#include "iommufd/dmabuf.h"
#include "iommufd/domain.h"
#include "iommufd/hwpt.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/pages.h"
#include "iommufd/objs.h"
#include "iommufd/veventq.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define SELFTEST_DEV_FLAGS						\
	(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA |	\
	MOCK_FLAGS_DEVICE_PASID)

/* The mock device's binding goes with it (device.h). */
static void
selftest_destroy(struct obj *obj)
{
	struct selftest	*st = container_of(obj, struct selftest, obj);

	if (st->edev.bound != NULL)
		device_unbind(st->edev.bound);
}

const struct obj_ops selftest_ops = {
	.name = "selftest",
	.size = sizeof(struct selftest),
	.destroy = selftest_destroy,
};

/* The owner of every range ADD_RESERVED makes. */
static const char selftest_reserved_owner[] = "selftest";

/*
 * ADD_RESERVED: reserve [start, start + length - 1] in the IOAS. As the
 * kernel (6.12) answers: the range is checked before the IOAS is looked
 * up, EINVAL for length 0 and EOVERFLOW when the last byte wraps.
 */
static int
selftest_add_reserved(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct obj	*ioas;
	uint64_t	 start = cmd->add_reserved.start;
	uint64_t	 length = cmd->add_reserved.length;
	int		 rc;

	if (length == 0)
		return (-EINVAL);
	if (start + (length - 1) < start)
		return (-EOVERFLOW);
	if ((rc = obj_get(ucmd->ctx, cmd->id, OBJ_IOAS, &ioas)) != 0)
		return (rc);
	return (iopt_reserve(ioas_iopt(ioas), start, start + length - 1,
	    selftest_reserved_owner));
}

/*
 * MOCK_DOMAIN and MOCK_DOMAIN_FLAGS: a new mock device ("stdev", with its
 * own emulated device), bound to the context and attached to pt_id, as
 * the kernel does it: unknown device flags are EINVAL, then the device is
 * made and bound, then the attach answers ENOENT (no pt_id), EINVAL (not
 * an IOAS or HWPT, or incompatible) or a pinning error, and everything
 * made so far goes again.
 */
static int
selftest_mock_domain(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	const struct hw_instance *hw;
	struct selftest	*st;
	struct device	*dev;
	struct obj	*obj;
	uint32_t	 dev_flags = 0, flags = HW_DEV_IOPF, width = 0;
	uint32_t	 dev_id, pt_id = cmd->id;
	int		 rc;

	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS) {
		dev_flags = cmd->mock_domain_flags.dev_flags;
		if (dev_flags & ~SELFTEST_DEV_FLAGS)
			return (-EINVAL);
	}
	if (dev_flags & MOCK_FLAGS_DEVICE_NO_DIRTY)
		flags |= HW_DEV_NO_DIRTY;
	if (dev_flags & MOCK_FLAGS_DEVICE_HUGE_IOVA)
		flags |= HW_DEV_HUGE_IOVA;
	if (dev_flags & MOCK_FLAGS_DEVICE_PASID) {
		flags |= HW_DEV_PASID;
		width = MOCK_PASID_WIDTH;
	}
	/* The mock model is built in; it is found by name like any other. */
	if ((hw = hw_instance_find("mock")) == NULL)
		return (-ENODEV);
	if ((rc = obj_alloc(ucmd->ctx, OBJ_SELFTEST, &obj)) != 0)
		return (rc);
	st = container_of(obj, struct selftest, obj);
	device_edev_init(&st->edev, "mock", hw, obj->id, width, flags);
	if ((rc = device_bind(ucmd->ctx, &st->edev, &dev, &dev_id)) != 0 ||
	    (rc = device_attach(dev, DEVICE_NO_PASID, &pt_id)) != 0) {
		obj_abort(obj);
		return (rc);
	}
	cmd->mock_domain.out_stdev_id = obj->id;
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_idev_id = dev_id;
	if ((rc = ucmd_respond(ucmd, sizeof(*cmd))) != 0) {
		obj_abort(obj);
		return (rc);
	}
	ucmd_finalize(ucmd, obj);
	return (0);
}

/* The bound device of mock device id: 0, -ENOENT. */
static int
selftest_get_dev(struct ucmd *ucmd, uint32_t id, struct device **devp)
{
	struct obj	*obj;
	int		 rc;

	if ((rc = obj_get(ucmd->ctx, id, OBJ_SELFTEST, &obj)) != 0)
		return (rc);
	if ((*devp = container_of(obj, struct selftest, obj)->edev.bound) ==
	    NULL)
		return (-ENOENT);
	return (0);
}

/* MOCK_DOMAIN_REPLACE: the RID moves to pt_id; the HWPT used goes back. */
static int
selftest_mock_replace(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct device	*dev;
	uint32_t	 pt_id = cmd->mock_domain_replace.pt_id;
	int		 rc;

	if ((rc = selftest_get_dev(ucmd, cmd->id, &dev)) != 0)
		return (rc);
	if ((rc = device_replace(dev, DEVICE_NO_PASID, &pt_id)) != 0)
		return (rc);
	cmd->mock_domain_replace.pt_id = pt_id;
	return (ucmd_respond(ucmd, sizeof(*cmd)));
}

/*
 * The PASID ops of a mock device. A replace to IOMMU_TEST_PASID_RESERVED
 * is made to fail with ENOMEM once it would reach the mock driver, so the
 * tests can see a failed replace leave the old attachment.
 */
static int
selftest_pasid(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct device	*dev;
	struct obj	*obj;
	uint32_t	 pasid = cmd->pasid_attach.pasid;
	uint32_t	 pt_id = cmd->pasid_attach.pt_id;
	int		 rc;

	if ((rc = selftest_get_dev(ucmd, cmd->id, &dev)) != 0)
		return (rc);
	switch (cmd->op) {
	case IOMMU_TEST_OP_PASID_ATTACH:
		return (device_attach(dev, pasid, &pt_id));
	case IOMMU_TEST_OP_PASID_REPLACE:
		if (pasid == IOMMU_TEST_PASID_RESERVED &&
		    device_attached_id(dev, pasid) != 0 &&
		    obj_find(ucmd->ctx, pt_id, OBJ_ANY) != NULL)
			return (-ENOMEM);
		return (device_replace(dev, pasid, &pt_id));
	case IOMMU_TEST_OP_PASID_DETACH:
		return (device_detach(dev, pasid));
	default:
		/* PASID_CHECK_HWPT: hwpt_id 0 asks for "nothing attached". */
		pt_id = cmd->pasid_check.hwpt_id;
		if (pt_id != 0 && (rc = obj_get(ucmd->ctx, pt_id, OBJ_ANY,
		    &obj)) != 0)
			return (rc);
		if (device_attached_id(dev, pasid) != pt_id)
			return (-EINVAL);
		return (0);
	}
}

/* MD_CHECK_MAP: a paging HWPT maps [iova, iova + length) to uptr. */
static int
selftest_check_map(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct obj	*obj;
	int		 rc;

	if ((rc = obj_get(ucmd->ctx, cmd->id, OBJ_HWPT_PAGING, &obj)) != 0)
		return (rc);
	if (ucmd->caller->mem == NULL)
		return (-EFAULT);
	return (domain_check_map(&container_of(obj, struct hwpt_paging,
	    obj)->domain, cmd->check_map.iova, cmd->check_map.length,
	    umem_pid(ucmd->caller->mem), cmd->check_map.uptr));
}

/* MD_CHECK_IOTLB: slot id of a nested HWPT holds iotlb. */
static int
selftest_check_iotlb(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct hwpt_nested	*n;
	struct obj		*obj;
	int			 rc;

	if ((rc = obj_get(ucmd->ctx, cmd->id, OBJ_HWPT_NESTED, &obj)) != 0)
		return (rc);
	n = container_of(obj, struct hwpt_nested, obj);
	if (cmd->check_iotlb.id >= n->nested.niotlb ||
	    n->nested.iotlb[cmd->check_iotlb.id] != cmd->check_iotlb.iotlb)
		return (-EINVAL);
	return (0);
}

/* DEV_CHECK_CACHE: cache slot id of device id holds cache. */
static int
selftest_check_cache(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct device	*dev;
	struct obj	*obj;
	struct edev	*edev;
	int		 rc;

	if ((rc = obj_get(ucmd->ctx, cmd->id, OBJ_DEVICE, &obj)) != 0)
		return (rc);
	dev = container_of(obj, struct device, obj);
	if ((edev = device_edev(dev)) == NULL)
		return (-ENOENT);
	if (cmd->check_dev_cache.id >= edev->cache.ncache ||
	    edev->cache.cache[cmd->check_dev_cache.id] !=
	    cmd->check_dev_cache.cache)
		return (-EINVAL);
	return (0);
}

/*
 * SET_TEMP_MEMORY_LIMIT: the pinning code's batch size, in pages; 0 asks
 * for the default. The kernel refuses no value.
 */
static int
selftest_memory_limit(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint32_t	 limit = cmd->memory_limit.limit;

	ucmd->ctx->pin_batch = limit != 0 ? limit : CTX_PIN_BATCH_DEFAULT;
	return (0);
}

/*
 * The file process pid maps over all of [uva, uva + len), from
 * /proc/<pid>/maps: 0, or -ENOENT when the range is not one file mapping
 * (anonymous memory, several files, a hole).
 */
static int
selftest_file_view(pid_t pid, uint64_t uva, uint64_t len,
    struct ioas_file_view *fv)
{
	char		 path[64], line[512];
	FILE		*f;
	uint64_t	 start, end, off, ino;
	unsigned int	 maj, min;
	int		 rc = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (-ENOENT);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64
		    " %x:%x %" SCNu64, &start, &end, &off, &maj, &min,
		    &ino) != 6)
			continue;
		if (uva < start || uva >= end)
			continue;
		if (ino != 0 && uva + len <= end) {
			fv->dev = makedev(maj, min);
			fv->ino = ino;
			fv->uva = uva;
			fv->len = len;
			fv->foff = off + (uva - start);
			rc = 0;
		}
		break;
	}
	fclose(f);
	return (rc);
}

/*
 * MD_CHECK_REFS: every page of [uptr, uptr + length) is pinned exactly
 * refs times (EINVAL otherwise, as for a range not page aligned). The
 * pins are those the pages objects of this context hold on the caller's
 * memory, or on the file the caller maps there; EFAULT when the daemon
 * cannot reach that memory at all.
 */
static int
selftest_check_refs(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct ioas_file_view	 fv;
	uint64_t		 uptr = cmd->check_refs.uptr;
	uint64_t		 length = cmd->check_refs.length;
	pid_t			 pid;

	if (length % PAGES_PAGE_SIZE != 0 || uptr % PAGES_PAGE_SIZE != 0)
		return (-EINVAL);
	if (uptr + length < uptr)
		return (-EOVERFLOW);
	if (length == 0)
		return (0);
	if (ucmd->caller->mem == NULL)
		return (-EFAULT);
	pid = umem_pid(ucmd->caller->mem);
	return (ioas_ctx_check_pins(ucmd->ctx, pid, selftest_file_view(pid,
	    uptr, length, &fv) == 0 ? &fv : NULL, uptr, length,
	    cmd->check_refs.refs));
}

/* The most bits one DIRTY op takes, as the kernel bounds it: 16 MiB. */
#define SELFTEST_DIRTY_MAX_BITS		(16ULL * 1024 * 1024 * 8)

/*
 * The IOPTE of the domain holding iova, as dirty.h asks it of the domain;
 * a domain that does not say is taken to map in granules whatever its IOAS
 * maps. 0, or -ENOENT where nothing is mapped.
 */
static int
selftest_dirty_iopte(struct dirty *d, struct iopt *iopt, uint64_t iova,
    uint64_t *start, uint64_t *len)
{
	if (d->iopte != NULL)
		return (d->iopte(d->iopte_arg, iova, start, len));
	if (iopt_area_find(iopt, iova) == NULL)
		return (-ENOENT);
	*len = 1ULL << d->shift;
	*start = ALIGN_DOWN(iova, *len);
	return (0);
}

/*
 * Walk the set bits of the DIRTY op's bitmap (nbits of them, one per ps
 * from iova): mark (or, with mark 0, make room to mark) the IOPTE under
 * each bit that is mapped. The walk jumps over clean words, over holes
 * between the IOAS's areas and over the rest of an IOPTE once it is
 * marked, so it costs the words plus the areas and IOPTEs it meets, not
 * a step per bit. Bits past the top of the IOVA space mark nothing.
 */
static int
selftest_dirty_walk(struct dirty *d, struct iopt *iopt, const uint64_t *bm,
    uint64_t nbits, uint64_t iova, uint64_t ps, int mark)
{
	struct iopt_area	*a = NULL;
	uint64_t		 i = 0, bits, cur, start, len;
	int			 rc;

	while (i < nbits) {
		bits = bm[i / 64] & (~0ULL << (i % 64));
		if (i / 64 == nbits / 64)
			bits &= (1ULL << (nbits % 64)) - 1;
		if (bits == 0) {
			i = (i / 64 + 1) * 64;
			continue;
		}
		i = i / 64 * 64 + __builtin_ctzll(bits);
		if (i * ps > UINT64_MAX - iova)
			break;
		cur = iova + i * ps;
		if (a == NULL || cur < a->iova || cur > a->last) {
			/* The next area from cur; bits before it are holes. */
			if ((a = iopt_area_first(iopt, cur, UINT64_MAX)) ==
			    NULL)
				break;
			if (a->iova > cur) {
				i = (a->iova - iova) / ps +
				    ((a->iova - iova) % ps != 0);
				continue;
			}
		}
		/* A revoked dma-buf's area is in no domain: a hole too. */
		if (pages_revoked(iopt_area_pages(a))) {
			if (a->last == UINT64_MAX)
				break;
			i = (a->last + 1 - iova) / ps +
			    ((a->last + 1 - iova) % ps != 0);
			continue;
		}
		if (selftest_dirty_iopte(d, iopt, cur, &start, &len) != 0) {
			i++;
			continue;
		}
		if (!mark && (rc = dirty_prepare(d, start, len)) != 0)
			return (rc);
		if (mark)
			(void)dirty_set(d, start, len);
		/* On past the IOPTE (the last one ends at 2^64: stop). */
		if (start + len <= cur)
			break;
		i = (start + len - iova) / ps +
		    ((start + len - iova) % ps != 0);
	}
	return (0);
}

/*
 * DIRTY: for every bit set in the caller's bitmap, one per page_size from
 * iova, mark the IOPTE under it dirty, as a device's write would; answer
 * how many bits were set (7.3 counts them whether mapped or not). The
 * kernel's checks: the arguments (EINVAL), at most 16 MiB of bitmap
 * (EOVERFLOW), a paging HWPT (ENOENT) with dirty tracking on (EINVAL),
 * the bitmap readable (EFAULT). The bitmap is read whole before anything
 * is marked, and room for every mark is made before the first.
 */
static int
selftest_dirty(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t	 ps = cmd->dirty.page_size, iova = cmd->dirty.iova;
	uint64_t	 len = cmd->dirty.length, nbits, nset, i;
	struct hwpt_paging *hwpt;
	struct obj	*obj;
	struct dirty	*d;
	uint64_t	*bm;
	int		 rc;

	if (ps == 0 || len == 0 || iova % ps != 0 || len % ps != 0 ||
	    cmd->dirty.uptr == 0)
		return (-EINVAL);
	nbits = len / ps;
	if (nbits > SELFTEST_DIRTY_MAX_BITS)
		return (-EOVERFLOW);
	if ((rc = obj_get(ucmd->ctx, cmd->id, OBJ_HWPT_PAGING, &obj)) != 0)
		return (rc);
	hwpt = container_of(obj, struct hwpt_paging, obj);
	d = (hwpt->flags & HWPT_F_DIRTY) ? hwpt->dirty : NULL;
	if (d == NULL || !d->tracking)
		return (-EINVAL);
	bm = inject_calloc(DIV_ROUND_UP(nbits, 64), sizeof(*bm));
	if (bm == NULL)
		return (-ENOMEM);
	if ((rc = ucmd_read(ucmd, cmd->dirty.uptr, bm,
	    DIV_ROUND_UP(nbits, 8))) != 0)
		goto out;
	if ((rc = selftest_dirty_walk(d, ioas_iopt(hwpt->ioas), bm, nbits,
	    iova, ps, 0)) != 0)
		goto out;
	(void)selftest_dirty_walk(d, ioas_iopt(hwpt->ioas), bm, nbits, iova,
	    ps, 1);
	/* 7.3 counts the set bits, whether mapped or not. */
	for (nset = 0, i = 0; i < DIV_ROUND_UP(nbits, 64); i++)
		nset += __builtin_popcountll(i == nbits / 64 ?
		    bm[i] & ((1ULL << (nbits % 64)) - 1) : bm[i]);
	cmd->dirty.out_nr_dirty = nset;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
out:
	free(bm);
	return (rc);
}

/* The bound device of DEVICE object id: 0, -ENOENT. */
static int
selftest_get_idev(struct ucmd *ucmd, uint32_t id, struct device **devp)
{
	struct obj	*obj;
	int		 rc;

	if ((rc = obj_get(ucmd->ctx, id, OBJ_DEVICE, &obj)) != 0)
		return (rc);
	*devp = container_of(obj, struct device, obj);
	if (device_edev(*devp) == NULL)
		return (-ENOENT);
	return (0);
}

/*
 * TRIGGER_IOPF: the mock device raises a one-page request group (always
 * LAST_PAGE, PASID_VALID for a pasid other than 0), which goes where its
 * attachments send it (device_report_fault()). Only devices of the mock
 * model raise them (EINVAL). As in the kernel, the caller learns nothing
 * of where the group went: a request no HWPT takes is answered to the
 * device, which ignores every answer, as the mock does.
 */
static int
selftest_trigger_iopf(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct iommu_hwpt_pgfault	 rec;
	struct device			*dev;
	int				 rc;

	if ((rc = selftest_get_idev(ucmd, cmd->trigger_iopf.dev_id,
	    &dev)) != 0)
		return (rc);
	if (device_edev(dev)->desc.hw->ops != &hw_mock_ops)
		return (-EINVAL);
	memset(&rec, 0, sizeof(rec));
	rec.flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE;
	if (cmd->trigger_iopf.pasid != DEVICE_NO_PASID)
		rec.flags |= IOMMU_PGFAULT_FLAGS_PASID_VALID;
	rec.pasid = cmd->trigger_iopf.pasid;
	rec.grpid = cmd->trigger_iopf.grpid;
	rec.perm = cmd->trigger_iopf.perm;
	rec.addr = cmd->trigger_iopf.addr;
	(void)device_report_fault(dev, &rec, 1, NULL, NULL);
	return (0);
}

/*
 * TRIGGER_VEVENT: the mock device reports a SELFTEST event carrying its
 * virt_id to the SELFTEST vEVENTQ of the vIOMMU whose nested HWPT its RID
 * is attached to. ENOENT without such a vIOMMU or a vDEVICE there with a
 * virt_id other than 0, EOPNOTSUPP when the vIOMMU has no queue of the
 * type; a full queue counts the event as lost and answers 0.
 */
static int
selftest_trigger_vevent(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct iommu_viommu_event_selftest	 ev;
	struct vdevice				*vdev;
	struct veventq				*q;
	struct device				*dev;
	struct obj				*viommu, *rid;
	int					 rc;

	if ((rc = selftest_get_idev(ucmd, cmd->trigger_vevent.dev_id,
	    &dev)) != 0)
		return (rc);
	rid = dev->hwpt;
	if (rid == NULL || (viommu = hwpt_viommu(rid)) == NULL ||
	    dev->vdevice == NULL)
		return (-ENOENT);
	vdev = container_of(dev->vdevice, struct vdevice, obj);
	if (vdev->viommu != viommu || vdev->virt_id == 0)
		return (-ENOENT);
	if ((q = veventq_find(viommu, IOMMU_VEVENTQ_TYPE_SELFTEST)) == NULL)
		return (-EOPNOTSUPP);
	memset(&ev, 0, sizeof(ev));
	ev.virt_id = (uint32_t)vdev->virt_id;
	return (veventq_report(q, &ev, sizeof(ev)));
}

int
selftest_ioctl(struct ucmd *ucmd)
{
	struct iommu_test_cmd	*cmd = ucmd->cmd_buf;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return (selftest_add_reserved(ucmd, cmd));
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return (selftest_mock_domain(ucmd, cmd));
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		return (selftest_memory_limit(ucmd, cmd));
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return (selftest_check_refs(ucmd, cmd));
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return (access_test_create(ucmd, cmd));
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return (access_test_pages(ucmd, cmd));
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return (access_test_destroy_pages(ucmd, cmd));
	case IOMMU_TEST_OP_ACCESS_RW:
		return (access_test_rw(ucmd, cmd));
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return (access_test_replace_ioas(ucmd, cmd));
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return (selftest_mock_replace(ucmd, cmd));
	case IOMMU_TEST_OP_PASID_ATTACH:
	case IOMMU_TEST_OP_PASID_REPLACE:
	case IOMMU_TEST_OP_PASID_DETACH:
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return (selftest_pasid(ucmd, cmd));
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return (selftest_check_map(ucmd, cmd));
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		return (selftest_check_cache(ucmd, cmd));
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return (selftest_trigger_iopf(ucmd, cmd));
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		return (selftest_trigger_vevent(ucmd, cmd));
	case IOMMU_TEST_OP_DIRTY:
		return (selftest_dirty(ucmd, cmd));
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return (selftest_check_iotlb(ucmd, cmd));
	case IOMMU_TEST_OP_DMABUF_GET:
		return (dmabuf_test_get(ucmd, cmd));
	case IOMMU_TEST_OP_DMABUF_REVOKE:
		return (dmabuf_test_revoke(ucmd, cmd));
	default:
		return (-EOPNOTSUPP);
	}
}
