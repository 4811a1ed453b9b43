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
 * SET_TEMP_MEMORY_LIMIT, MD_CHECK_REFS and DIRTY are whole. Mock devices,
 * accesses and the mock hardware model are later work. The
 * ops that name a device, a mock device or a HWPT already look it up, so
 * with none in the context the answer is the kernel's ENOENT; every op
 * that could get further answers EOPNOTSUPP, as an unknown op does.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/ctx.h"
#include "core/inject.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "core/util.h"
#include "iommufd/dirty.h"
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
	case IOMMU_TEST_OP_DIRTY:
		return (selftest_dirty(ucmd, cmd));
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return (selftest_lookup(ucmd, cmd->id, OBJ_HWPT_NESTED));
	default:
		/*
		 * Unknown ops, and for now the ops that need
		 * accesses (CREATE_ACCESS and the access fd ops) or the mock
		 * page tables (MD_CHECK_MAP, DMABUF_*): the mock
		 * hardware model fills these in.
		 */
		return (-EOPNOTSUPP);
	}
}
