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
 * device API as the VFIO nodes (device.h). Accesses are later work: the
 * ops that need them look up what they name, so with none in the context
 * the answer is the kernel's ENOENT, and otherwise EOPNOTSUPP, as an
 * unknown op gives.
 */
#include <sys/sysmacros.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "core/util.h"
#include "hw/hw.h"
#include "iommufd/device.h"
#include "iommufd/domain.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/pages.h"
#include "iommufd/objs.h"

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

/* Ops on an existing object: look it up, the rest is later work. */
static int
selftest_lookup(struct ucmd *ucmd, uint32_t id, enum obj_type type)
{
	struct obj	*obj;
	int		 rc;

	if ((rc = obj_get(ucmd->ctx, id, type, &obj)) != 0)
		return (rc);
	return (-EOPNOTSUPP);
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
		return (selftest_lookup(ucmd, cmd->trigger_iopf.dev_id,
		    OBJ_DEVICE));
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		return (selftest_lookup(ucmd, cmd->trigger_vevent.dev_id,
		    OBJ_DEVICE));
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return (selftest_check_iotlb(ucmd, cmd));
	default:
		/*
		 * Unknown ops, and for now the ops that need
		 * accesses (CREATE_ACCESS and the access fd ops), dirty
		 * tracking (DIRTY) or dma-bufs (DMABUF_*).
		 */
		return (-EOPNOTSUPP);
	}
}
