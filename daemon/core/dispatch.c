/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The ioctl dispatcher: one table with a row per command, and dispatch(),
 * which applies the kernel's rules in the kernel's order before any
 * handler runs (spec 1.3):
 *
 *  1. numbers below the iommufd range, and numbers past the table, belong
 *     to the VFIO type1 compatibility layer;
 *  2. a row whose full ioctl number differs (holes, direction or size
 *     bits set) is ENOTTY, and so is a command newer than the uAPI
 *     level the daemon answers as (dispatch_set_uapi_level());
 *  3. the leading u32 size must be readable (EFAULT) and at least the
 *     command's min_size (EINVAL);
 *  4. the struct is copied like copy_struct_from_user(): a short one is
 *     zero-filled, a long one must be zero past what we know (E2BIG).
 *
 * The sizes are not here: a row names the command and its handler only,
 * and the size and min_size come from the command's row in proto/'s field
 * table (uapi_cmd_find()), the same numbers the transports and the client
 * use to know how much of a struct to carry. min_size is the size of the
 * struct when the command first appeared; fields added since then read as
 * zero. The rules are applied only here, so a handler sees a full-size
 * struct and never checks a size itself.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "uapi.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"
#include "ioasidd.h"
#include "ioasidd_coherency.h"
#include "ioasidd_pasid.h"
#include "ioasidd_enqcmd.h"

#include "core/dispatch.h"

/* Every struct a command can carry, so one buffer fits them all. */
union ucmd_buffer {
	struct iommu_destroy			destroy;
	struct iommu_fault_alloc		fault;
	struct iommu_hw_info			info;
	struct iommu_hw_queue_alloc		hw_queue;
	struct iommu_hwpt_alloc			hwpt;
	struct iommu_hwpt_get_dirty_bitmap	get_dirty_bitmap;
	struct iommu_hwpt_invalidate		cache;
	struct iommu_hwpt_set_dirty_tracking	set_dirty_tracking;
	struct iommu_ioas_alloc			alloc;
	struct iommu_ioas_allow_iovas		allow_iovas;
	struct iommu_ioas_change_process	change_process;
	struct iommu_ioas_copy			ioas_copy;
	struct iommu_ioas_iova_ranges		iova_ranges;
	struct iommu_ioas_map			map;
	struct iommu_ioas_map_file		map_file;
	struct iommu_ioas_unmap			unmap;
	struct iommu_option			option;
	struct iommu_vdevice_alloc		vdev;
	struct iommu_veventq_alloc		veventq;
	struct iommu_vfio_ioas			vfio_ioas;
	struct iommu_viommu_alloc		viommu;
	struct iommu_test_cmd			test;
	struct ioasidd_mmap			mmap;
	struct ioasidd_coherency		coherency;
	struct ioasidd_pasids			pasids;
	struct ioasidd_enqcmd			enqcmd;
};

const size_t dispatch_buf_size = sizeof(union ucmd_buffer);

#define IOCTL_OP(_ioctl, _fn)						\
	[_IOC_NR(_ioctl) - IOMMUFD_CMD_BASE] = {			\
		.ioctl_num = _ioctl,					\
		.execute = _fn,						\
	}

static const struct ioctl_op ioctl_ops[] = {
	IOCTL_OP(IOMMU_DESTROY, obj_ioctl_destroy),
	IOCTL_OP(IOMMU_IOAS_ALLOC, ioas_ioctl_alloc),
	IOCTL_OP(IOMMU_IOAS_ALLOW_IOVAS, ioas_ioctl_allow_iovas),
	IOCTL_OP(IOMMU_IOAS_COPY, ioas_ioctl_copy),
	IOCTL_OP(IOMMU_IOAS_IOVA_RANGES, ioas_ioctl_iova_ranges),
	IOCTL_OP(IOMMU_IOAS_MAP, ioas_ioctl_map),
	IOCTL_OP(IOMMU_IOAS_UNMAP, ioas_ioctl_unmap),
	IOCTL_OP(IOMMU_OPTION, option_ioctl),
	IOCTL_OP(IOMMU_VFIO_IOAS, vfio_ioctl_ioas),
	IOCTL_OP(IOMMU_HWPT_ALLOC, hwpt_ioctl_alloc),
	IOCTL_OP(IOMMU_GET_HW_INFO, device_ioctl_get_hw_info),
	IOCTL_OP(IOMMU_HWPT_SET_DIRTY_TRACKING, hwpt_ioctl_set_dirty_tracking),
	IOCTL_OP(IOMMU_HWPT_GET_DIRTY_BITMAP, hwpt_ioctl_get_dirty_bitmap),
	IOCTL_OP(IOMMU_HWPT_INVALIDATE, hwpt_ioctl_invalidate),
	IOCTL_OP(IOMMU_FAULT_QUEUE_ALLOC, fault_ioctl_alloc),
	IOCTL_OP(IOMMU_IOAS_MAP_FILE, ioas_ioctl_map_file),
	IOCTL_OP(IOMMU_VIOMMU_ALLOC, viommu_ioctl_alloc),
	IOCTL_OP(IOMMU_VDEVICE_ALLOC, vdevice_ioctl_alloc),
	IOCTL_OP(IOMMU_IOAS_CHANGE_PROCESS, ioas_ioctl_change_process),
	IOCTL_OP(IOMMU_VEVENTQ_ALLOC, veventq_ioctl_alloc),
	IOCTL_OP(IOMMU_HW_QUEUE_ALLOC, hw_queue_ioctl_alloc),
	IOCTL_OP(IOMMU_IOAS_NOIOMMU_GET_PA, noiommu_ioctl_get_pa),
	IOCTL_OP(IOMMU_TEST_CMD, selftest_ioctl),
	IOCTL_OP(IOASIDD_COHERENCY, device_ioctl_coherency),
	IOCTL_OP(IOASIDD_PASIDS, device_ioctl_pasids),
	IOCTL_OP(IOASIDD_ENQCMD, enqcmd_ioctl),
	IOCTL_OP(IOASIDD_MMAP, viommu_ioctl_mmap),
};
_Static_assert(nitems(ioctl_ops) == DISPATCH_NOPS, "DISPATCH_NOPS");

static unsigned int	dispatch_level = UAPI_LEVEL_LATEST;

int
dispatch_set_uapi_level(unsigned int level)
{
	if (level != UAPI_LEVEL_6_12 && level != UAPI_LEVEL_7_3)
		return (-EINVAL);
	dispatch_level = level;
	return (0);
}

unsigned int
dispatch_uapi_level(void)
{
	return (dispatch_level);
}

const struct ioctl_op *
dispatch_op(unsigned int i)
{
	if (i >= nitems(ioctl_ops) || ioctl_ops[i].execute == NULL)
		return (NULL);
	return (&ioctl_ops[i]);
}

/*
 * Check that the caller's bytes [from, to) past our struct are all zero,
 * reading them in pieces: 0, -E2BIG or -EFAULT.
 */
static int
dispatch_check_zero(struct ucmd *ucmd, uint64_t from, uint64_t to)
{
	uint8_t		 buf[512];
	size_t		 n, i;
	int		 rc;

	while (from < to) {
		n = MIN(sizeof(buf), to - from);
		if ((rc = ucmd_read(ucmd, ucmd->arg + from, buf, n)) != 0)
			return (rc);
		for (i = 0; i < n; i++) {
			if (buf[i] != 0)
				return (-E2BIG);
		}
		from += n;
	}
	return (0);
}

long
dispatch(struct ucmd *ucmd)
{
	union ucmd_buffer	 buf;
	const struct ioctl_op	*op;
	const struct uapi_cmd	*uc;
	const struct uapi_struct *st;
	unsigned int		 nr = _IOC_NR(ucmd->cmd);
	uint32_t		 size;
	int			 rc;

	ucmd->ctx->nioctls++;
	/* Closes the caller made before this call come first (hfd.h). */
	hfd_reap(ucmd->ctx);
	/* A context is charged to the uid of its first caller (limit.h). */
	if (ucmd->caller != NULL &&
	    (rc = limit_bind(&ucmd->ctx->lim, ucmd->caller->uid)) != 0)
		return (rc);

	if (nr < IOMMUFD_CMD_BASE ||
	    nr - IOMMUFD_CMD_BASE >= nitems(ioctl_ops))
		return (vfio_compat_ioctl(ucmd));
	op = &ioctl_ops[nr - IOMMUFD_CMD_BASE];
	if (op->ioctl_num != ucmd->cmd)
		return (-ENOTTY);
	/* A kernel of an older level had no such command. */
	if (uapi_cmd_since(op->ioctl_num) > dispatch_level)
		return (-ENOTTY);
	/*
	 * Every row has its command in proto's table, and the buffer holds
	 * every struct there: check_dispatch proves both for each row, so
	 * this only keeps a mistake from reaching memory.
	 */
	uc = uapi_cmd_find(op->ioctl_num);
	if (uc == NULL || (st = uc->st) == NULL || st->size > sizeof(buf))
		return (-ENOTTY);

	if ((rc = ucmd_read(ucmd, ucmd->arg, &size, sizeof(size))) != 0)
		return (rc);
	if (size < st->min_size)
		return (-EINVAL);
	if (size > st->size) {
		rc = dispatch_check_zero(ucmd, st->size, size);
		if (rc != 0)
			return (rc);
	}
	memset(&buf, 0, sizeof(buf));
	if ((rc = ucmd_read(ucmd, ucmd->arg, &buf, MIN(size, st->size))) != 0)
		return (rc);

	ucmd->user_size = size;
	ucmd->cmd_buf = &buf;
	ucmd->cmd_len = st->size;
	rc = op->execute(ucmd);
	ucmd->cmd_buf = NULL;
	return (rc);
}
