/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The rows of the dispatcher's table, for code that needs to walk it: the
 * tests that check every command's size contract, and status output.
 * dispatch() itself is declared in ctx.h.
 *
 * A row is a command number and its handler, nothing more: the command's
 * size and min_size are its row in proto/'s field table
 * (uapi_cmd_find(ioctl_num)->st), the one place that knows them.
 */
#ifndef IOASIDD_DISPATCH_H
#define IOASIDD_DISPATCH_H

#include <stddef.h>

struct ucmd;

struct ioctl_op {
	unsigned int	 ioctl_num;	/* full number; 0 in a hole */
	int		(*execute)(struct ucmd *);
};

/* Number of rows, holes included (index = _IOC_NR - IOMMUFD_CMD_BASE). */
#define DISPATCH_NOPS	0x7d

/* The largest struct the dispatcher can hand a handler. */
extern const size_t	dispatch_buf_size;

/* Row i of the table, or NULL for a hole or past the end. */
const struct ioctl_op	*dispatch_op(unsigned int i);

/*
 * The kernel uAPI level the daemon answers as (proto/uapi.h's
 * UAPI_LEVEL_*, the [daemon] uapi-level key; the latest by default).
 * Commands that appeared after it are ENOTTY, and the handlers that
 * know an older kernel's different answer give it (hwpt.c).
 * Setting a level that is not modelled is -EINVAL.
 */
int			 dispatch_set_uapi_level(unsigned int level);
unsigned int		 dispatch_uapi_level(void);

#endif /* IOASIDD_DISPATCH_H */
