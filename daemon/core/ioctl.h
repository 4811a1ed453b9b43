/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Every ioctl handler the dispatcher calls, one per row of its table.
 *
 * A handler runs after dispatch() has applied the size rules: ucmd->cmd_buf
 * holds the caller's struct, zero-filled to its full size, and
 * ucmd->user_size the size the caller gave. It returns 0 (or a positive
 * ioctl result) or -errno, and writes output with ucmd_respond() or
 * ucmd_write(). `grep _ioctl_` lists the whole API.
 *
 * Invariant: no handler changes state before its last read of caller
 * memory. CUSE cannot read the caller's memory itself: it asks the kernel
 * for it in retry rounds, and a round that lacks some bytes runs the
 * command up to the first read that fails. So a handler may run several
 * times for one call, each run but the last ending at a read with
 * -EFAULT; anything it had changed before that read (an object, an id, a
 * mapping, a charge, an option) would be done again by the next run. A
 * handler therefore reads everything it needs (ucmd_read(), arrays
 * included) before it creates, maps, charges or sets anything, or undoes
 * what it did when a later read fails, so that a run ending in a failed
 * read leaves the context exactly as it found it. Writes to the caller
 * (ucmd_respond(), ucmd_write()) come after the change they report.
 * check_probe runs every command with each of its reads failing in turn
 * and compares the context before and after.
 */
#ifndef IOASIDD_IOCTL_H
#define IOASIDD_IOCTL_H

struct ucmd;

/* core/ctx.c */
int	obj_ioctl_destroy(struct ucmd *);

/* iommufd/ioas.c, iommufd/option.c */
int	ioas_ioctl_alloc(struct ucmd *);
int	ioas_ioctl_allow_iovas(struct ucmd *);
int	ioas_ioctl_copy(struct ucmd *);
int	ioas_ioctl_iova_ranges(struct ucmd *);
int	ioas_ioctl_map(struct ucmd *);
int	ioas_ioctl_unmap(struct ucmd *);
int	ioas_ioctl_map_file(struct ucmd *);
int	ioas_ioctl_change_process(struct ucmd *);
int	option_ioctl(struct ucmd *);

/* iommufd/vfio_compat.c: IOMMU_VFIO_IOAS, the type1 commands below 0x80 */
int	vfio_ioctl_ioas(struct ucmd *);
int	vfio_compat_ioctl(struct ucmd *);

/* iommufd/hwpt.c */
int	hwpt_ioctl_alloc(struct ucmd *);
int	hwpt_ioctl_set_dirty_tracking(struct ucmd *);
int	hwpt_ioctl_get_dirty_bitmap(struct ucmd *);
int	hwpt_ioctl_invalidate(struct ucmd *);

/* iommufd/device.c */
int	device_ioctl_get_hw_info(struct ucmd *);

/* iommufd/fault.c */
int	fault_ioctl_alloc(struct ucmd *);

/* iommufd/viommu.c, vdevice.c, veventq.c, hw_queue.c */
int	viommu_ioctl_alloc(struct ucmd *);
int	vdevice_ioctl_alloc(struct ucmd *);
int	veventq_ioctl_alloc(struct ucmd *);
int	hw_queue_ioctl_alloc(struct ucmd *);
int	noiommu_ioctl_get_pa(struct ucmd *);
/* IOASIDD_COHERENCY (proto/ioasidd_coherency.h): the KVM view */
int	device_ioctl_coherency(struct ucmd *);
/* IOASIDD_PASIDS (proto/ioasidd_pasid.h): the ENQCMD PASID table */
int	device_ioctl_pasids(struct ucmd *);
/* IOASIDD_ENQCMD (proto/ioasidd_enqcmd.h): a VM's ENQCMD PASID table */
int	enqcmd_ioctl(struct ucmd *);
/* IOASIDD_MMAP (proto/ioasidd.h): a vIOMMU's page for the caller's mmap */
int	viommu_ioctl_mmap(struct ucmd *);

/* iommufd/selftest.c: IOMMU_TEST_CMD */
int	selftest_ioctl(struct ucmd *);

#endif /* IOASIDD_IOCTL_H */
