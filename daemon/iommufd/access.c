/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The access object kind: an in-process DMA user of an IOAS, which the
 * selftest's CREATE_ACCESS makes and its access ops drive (selftest.c).
 * It holds its IOAS. Creating one, and its descriptor, are later work;
 * here are its ops.
 */
#include <jansson.h>

#include "core/ctx.h"
#include "core/util.h"
#include "iommufd/describe.h"
#include "iommufd/objs.h"

static void
access_destroy(struct obj *obj)
{
	struct access	*access = container_of(obj, struct access, obj);

	if (access->ioas != NULL)
		obj_drop(access->ioas);
}

/* "ioas". */
static json_t *
access_describe(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct access, obj)->ioas,
	    "ioas", 0));
}

const struct obj_ops access_ops = {
	.name = "access",
	.size = sizeof(struct access),
	.destroy = access_destroy,
	.describe = access_describe,
};
