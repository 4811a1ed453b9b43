/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The pieces every kind's describe op is made of (see describe.h); the
 * ops themselves are in their kinds' files.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/ctx.h"
#include "iommufd/describe.h"

json_t *
describe_hex(uint64_t v)
{
	char	buf[24];

	snprintf(buf, sizeof buf, "0x%" PRIx64, v);
	return (json_string(buf));
}

int
describe_set(json_t *o, const char *key, json_t *value)
{
	if (value == NULL || json_object_set_new(o, key, value) != 0)
		return (-1);
	return (0);
}

int
describe_range(json_t *arr, uint64_t start, uint64_t last)
{
	json_t	*r;

	if ((r = json_object()) == NULL)
		return (-1);
	if (describe_set(r, "start", describe_hex(start)) != 0 ||
	    describe_set(r, "last", describe_hex(last)) != 0) {
		json_decref(r);
		return (-1);
	}
	return (json_array_append_new(arr, r));
}

json_t *
describe_holder(const struct obj *held, const char *key, int with_kind)
{
	json_t	*o;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (held == NULL)
		return (o);
	if (describe_set(o, key, json_integer(held->id)) != 0)
		goto fail;
	if (with_kind && describe_set(o, "parent_kind",
	    json_string(obj_type_name(held->type))) != 0)
		goto fail;
	return (o);
fail:
	json_decref(o);
	return (NULL);
}
