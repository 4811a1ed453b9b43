/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The describe ops of obj_ops[] (ctx.h): each turns one live object into
 * a JSON object for "ioasidctl objects", naming what it is set up with and
 * the ids of the objects it holds, so that a context's object graph can be
 * read from the reply. Each returns a new reference, or NULL when memory
 * ran out, and reads the object without changing anything.
 *
 * Addresses and lengths are 64-bit and may not fit a JSON number exactly,
 * so they are strings of hexadecimal ("0x1000"); counts and ids are
 * numbers.
 */
#ifndef IOASIDD_DESCRIBE_H
#define IOASIDD_DESCRIBE_H

#include <jansson.h>

struct obj;

/* At most this many areas, reserved and allowed ranges per IOAS. */
#define DESCRIBE_MAX_RANGES	1000

/*
 * An IOAS: "iova_alignment", "huge_pages", "pinners", "domains",
 * "vfio_compat", "nareas" (all of them), "areas" (the first
 * DESCRIBE_MAX_RANGES, each with "iova", "length", "prot" ("rw", "r",
 * "w" or "-"), "kind" ("user" or "file") and "addr", the caller's virtual
 * address or the file offset of its first byte), "reserved" and
 * "allowed" (ranges with "start" and "last", inclusive) with
 * "reserved_truncated" and "allowed_truncated" when the list stopped at
 * the limit. Reserved ranges are shown merged, as IOVA_RANGES sees them.
 */
json_t	*describe_ioas(struct obj *);
/* "ioas", "flags" (an array of names), "enforce_cc", "pgsize_bitmap". */
json_t	*describe_hwpt_paging(struct obj *);
/* "parent" and "parent_kind". */
json_t	*describe_hwpt_nested(struct obj *);
/* "parent" (the nesting parent HWPT). */
json_t	*describe_viommu(struct obj *);
/* "viommu" for the three kinds that hang off a vIOMMU. */
json_t	*describe_vdevice(struct obj *);
json_t	*describe_veventq(struct obj *);
json_t	*describe_hw_queue(struct obj *);
/* "ioas". */
json_t	*describe_access(struct obj *);

#endif /* IOASIDD_DESCRIBE_H */
