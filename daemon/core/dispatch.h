/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The rows of the dispatcher's table, for code that needs to walk it: the
 * tests that check every command's size contract, and status output.
 * dispatch() itself is declared in ctx.h.
 */
#ifndef IOASIDD_DISPATCH_H
#define IOASIDD_DISPATCH_H

struct ucmd;

struct ioctl_op {
	const char	*name;		/* "IOMMU_IOAS_MAP" */
	unsigned int	 size;		/* sizeof the struct we know */
	unsigned int	 min_size;	/* offsetofend of the first version */
	unsigned int	 ioctl_num;	/* full number; 0 in a hole */
	int		(*execute)(struct ucmd *);
};

/* Number of rows, holes included (index = _IOC_NR - IOMMUFD_CMD_BASE). */
#define DISPATCH_NOPS	0x21

/* Row i of the table, or NULL for a hole or past the end. */
const struct ioctl_op	*dispatch_op(unsigned int i);

#endif /* IOASIDD_DISPATCH_H */
