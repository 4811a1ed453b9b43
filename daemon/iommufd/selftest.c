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
 * SET_TEMP_MEMORY_LIMIT, MD_CHECK_REFS and the access ops (access.c) are
 * whole. Mock devices and the mock hardware model are later work. The
 * ops that name a device, a mock device or a HWPT already look it up, so
 * with none in the context the answer is the kernel's ENOENT; every op
 * that could get further answers EOPNOTSUPP, as an unknown op does.
 */
#include <errno.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "core/util.h"
#include "iommufd/access.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/pages.h"
#include "iommufd/objs.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define SELFTEST_DEV_FLAGS						\
	(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA |	\
	MOCK_FLAGS_DEVICE_PASID)

/* The mock device holds nothing yet. */
static void
selftest_destroy(struct obj *obj __unused)
{
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
 * MOCK_DOMAIN and MOCK_DOMAIN_FLAGS: the kernel creates the mock device
 * (EINVAL for unknown device flags) and binds it before it looks at pt_id
 * (ENOENT when missing, EINVAL when neither an IOAS nor a HWPT).
 */
static int
selftest_mock_domain(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct obj	*pt;

	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS &&
	    (cmd->mock_domain_flags.dev_flags & ~SELFTEST_DEV_FLAGS))
		return (-EINVAL);
	if ((pt = obj_find(ucmd->ctx, cmd->id, OBJ_ANY)) == NULL)
		return (-ENOENT);
	switch (pt->type) {
	case OBJ_IOAS:
	case OBJ_HWPT_PAGING:
	case OBJ_HWPT_NESTED:
		break;
	default:
		return (-EINVAL);
	}
	/* Creating, binding and attaching the mock device: later work. */
	return (-EOPNOTSUPP);
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
 * MD_CHECK_REFS: every page of [uptr, uptr + length) is pinned exactly
 * refs times (EINVAL otherwise, as for a range not page aligned). The
 * pins are those the pages objects of this context hold on the caller's
 * memory; EFAULT when the daemon cannot reach that memory at all.
 */
static int
selftest_check_refs(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t	 uptr = cmd->check_refs.uptr;
	uint64_t	 length = cmd->check_refs.length;

	if (length % PAGES_PAGE_SIZE != 0 || uptr % PAGES_PAGE_SIZE != 0)
		return (-EINVAL);
	if (uptr + length < uptr)
		return (-EOVERFLOW);
	if (length == 0)
		return (0);
	if (ucmd->caller->mem == NULL)
		return (-EFAULT);
	return (ioas_ctx_check_user_pins(ucmd->ctx,
	    umem_pid(ucmd->caller->mem), uptr, length, cmd->check_refs.refs));
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
	case IOMMU_TEST_OP_PASID_ATTACH:
	case IOMMU_TEST_OP_PASID_REPLACE:
	case IOMMU_TEST_OP_PASID_DETACH:
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return (selftest_lookup(ucmd, cmd->id, OBJ_SELFTEST));
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		return (selftest_lookup(ucmd, cmd->id, OBJ_DEVICE));
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		return (selftest_lookup(ucmd, cmd->trigger_iopf.dev_id,
		    OBJ_DEVICE));
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		return (selftest_lookup(ucmd, cmd->trigger_vevent.dev_id,
		    OBJ_DEVICE));
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return (selftest_lookup(ucmd, cmd->id, OBJ_HWPT_NESTED));
	default:
		/*
		 * Unknown ops, and for now the ops that need the mock page
		 * tables (MD_CHECK_MAP, DIRTY, DMABUF_*): the mock hardware
		 * model fills these in.
		 */
		return (-EOPNOTSUPP);
	}
}
