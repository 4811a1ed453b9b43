/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The IOAS object: an I/O address space of a context, which is its io page
 * table (iopt.h) plus the object header. Domains and accesses that attach
 * to it hold it (obj_hold) and register as pinners of its iopt.
 */
#ifndef IOASIDD_IOAS_H
#define IOASIDD_IOAS_H

#include <stdint.h>

#include "ctx.h"
#include "iopt.h"

struct ioas {
	struct obj	 obj;
	struct iopt	 iopt;
};

/* The live IOAS with this id: 0 or -ENOENT. */
int	ioas_get(struct ctx *, uint32_t id, struct ioas **);

#endif /* IOASIDD_IOAS_H */
