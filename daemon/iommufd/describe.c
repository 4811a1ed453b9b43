/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Objects described for the control socket (see describe.h): the describe
 * ops of obj_ops[], one per kind that has something to say.
 *
 * These run on the daemon's only thread between two requests, so the
 * objects cannot change under them; they only read. The IOAS is read
 * through what iopt.h offers (iopt_area_first/next, iopt_for_each_hole)
 * and the allowed ranges' tree, whose type iopt.h declares, by a plain
 * in-order walk. Every list stops at DESCRIBE_MAX_RANGES, so a reply stays
 * small however many mappings a program made; the full count is given
 * alongside.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/ctx.h"
#include "core/util.h"
#include "iommufd/describe.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"

/* A 64-bit address or length as "0x...". */
static json_t *
describe_hex(uint64_t v)
{
	char	buf[24];

	snprintf(buf, sizeof buf, "0x%" PRIx64, v);
	return (json_string(buf));
}

/* Set key to value (a new reference, stolen); -1 when memory ran out. */
static int
describe_set(json_t *o, const char *key, json_t *value)
{
	if (value == NULL || json_object_set_new(o, key, value) != 0)
		return (-1);
	return (0);
}

/* Append {"start": ..., "last": ...}; -1 when memory ran out. */
static int
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

static const char *
describe_prot(unsigned int prot)
{
	switch (prot & (IOPT_READ | IOPT_WRITE)) {
	case IOPT_READ | IOPT_WRITE:
		return ("rw");
	case IOPT_READ:
		return ("r");
	case IOPT_WRITE:
		return ("w");
	}
	return ("-");
}

static json_t *
describe_area(const struct iopt_area *a)
{
	const struct pages	*p = iopt_area_pages(a);
	json_t			*o;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (describe_set(o, "iova", describe_hex(a->iova)) != 0 ||
	    describe_set(o, "length", describe_hex(iopt_area_length(a))) != 0 ||
	    describe_set(o, "prot",
	    json_string(describe_prot(iopt_area_prot(a)))) != 0 ||
	    describe_set(o, "kind", json_string(p->type == PAGES_FILE ?
	    "file" : "user")) != 0 ||
	    describe_set(o, "addr", describe_hex(pages_addr(p,
	    a->pages_off))) != 0) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

/* Walking the holes of the reserved ranges to list the ranges themselves. */
struct describe_holes {
	json_t		*arr;
	uint64_t	 next;		/* first IOVA not yet accounted for */
	int		 done;		/* next passed IOPT_IOVA_MAX */
	int		 truncated;
	int		 oom;
};

static int
describe_reserved_one(struct describe_holes *h, uint64_t start, uint64_t last)
{
	if (json_array_size(h->arr) == DESCRIBE_MAX_RANGES) {
		h->truncated = 1;
		return (1);
	}
	if (describe_range(h->arr, start, last) != 0) {
		h->oom = 1;
		return (1);
	}
	return (0);
}

static int
describe_hole(void *arg, uint64_t start, uint64_t last)
{
	struct describe_holes	*h = arg;
	int			 rc;

	if (start > h->next &&
	    (rc = describe_reserved_one(h, h->next, start - 1)) != 0)
		return (rc);
	if (last == IOPT_IOVA_MAX)
		h->done = 1;
	else
		h->next = last + 1;
	return (0);
}

/*
 * In-order walk of the allowed ranges, at most DESCRIBE_MAX_RANGES. The
 * tree is balanced, so the recursion is no deeper than twice the log of
 * its size.
 */
static int
describe_allowed_walk(struct iopt_allowed *n, json_t *arr, int *truncated)
{
	if (n == NULL)
		return (0);
	if (describe_allowed_walk(RB_LEFT(n, entry), arr, truncated) != 0)
		return (-1);
	if (*truncated)
		return (0);
	if (json_array_size(arr) == DESCRIBE_MAX_RANGES) {
		*truncated = 1;
		return (0);
	}
	if (describe_range(arr, n->start, n->last) != 0)
		return (-1);
	return (describe_allowed_walk(RB_RIGHT(n, entry), arr, truncated));
}

json_t *
describe_ioas(struct obj *obj)
{
	struct ioas		*ioas = container_of(obj, struct ioas, obj);
	struct iopt		*iopt = &ioas->iopt;
	struct iopt_area	*a;
	struct describe_holes	 h = { 0 };
	json_t			*o, *areas, *allowed;
	int			 truncated = 0;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (describe_set(o, "iova_alignment",
	    json_integer((json_int_t)iopt->iova_alignment)) != 0 ||
	    describe_set(o, "huge_pages", json_boolean(!iopt->disable_huge)) ||
	    describe_set(o, "pinners", json_integer(iopt->npinners)) != 0 ||
	    describe_set(o, "domains", json_integer(iopt->ndomains)) != 0 ||
	    describe_set(o, "vfio_compat",
	    json_boolean(obj->ctx->vfio_ioas_id == obj->id)) != 0 ||
	    describe_set(o, "nareas", json_integer((json_int_t)iopt->nareas)))
		goto fail;

	if ((areas = json_array()) == NULL || describe_set(o, "areas", areas))
		goto fail;
	for (a = iopt_area_first(iopt, 0, IOPT_IOVA_MAX); a != NULL &&
	    json_array_size(areas) < DESCRIBE_MAX_RANGES;
	    a = iopt_area_next(iopt, a)) {
		if (json_array_append_new(areas, describe_area(a)) != 0)
			goto fail;
	}

	if ((h.arr = json_array()) == NULL ||
	    describe_set(o, "reserved", h.arr) != 0)
		goto fail;
	(void)iopt_for_each_hole(iopt, describe_hole, &h);
	if (!h.done && !h.truncated && !h.oom)
		(void)describe_reserved_one(&h, h.next, IOPT_IOVA_MAX);
	if (h.oom)
		goto fail;
	if (h.truncated && describe_set(o, "reserved_truncated",
	    json_true()) != 0)
		goto fail;

	if ((allowed = json_array()) == NULL ||
	    describe_set(o, "allowed", allowed) != 0)
		goto fail;
	if (describe_allowed_walk(RB_ROOT(&iopt->allowed), allowed,
	    &truncated) != 0)
		goto fail;
	if (truncated && describe_set(o, "allowed_truncated", json_true()))
		goto fail;
	return (o);
fail:
	json_decref(o);
	return (NULL);
}

/* {key: the id of the held object}, or {} when it holds none. */
static json_t *
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

json_t *
describe_hwpt_paging(struct obj *obj)
{
	struct hwpt_paging	*hwpt = container_of(obj, struct hwpt_paging,
				    obj);
	static const struct {
		unsigned int	 flag;
		const char	*name;
	} flags[] = {
		{ HWPT_F_NEST_PARENT, "nest_parent" },
		{ HWPT_F_DIRTY, "dirty_tracking" },
		{ HWPT_F_AUTO, "auto" },
	};
	json_t			*o, *f;
	size_t			 i;

	if ((o = describe_holder(hwpt->ioas, "ioas", 0)) == NULL)
		return (NULL);
	if ((f = json_array()) == NULL || describe_set(o, "flags", f) != 0)
		goto fail;
	for (i = 0; i < nitems(flags); i++) {
		if ((hwpt->flags & flags[i].flag) != 0 &&
		    json_array_append_new(f, json_string(flags[i].name)) != 0)
			goto fail;
	}
	if (describe_set(o, "enforce_cc", json_boolean(hwpt->enforce_cc)) ||
	    describe_set(o, "pgsize_bitmap",
	    describe_hex(hwpt->pgsize_bitmap)) != 0)
		goto fail;
	return (o);
fail:
	json_decref(o);
	return (NULL);
}

json_t *
describe_hwpt_nested(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct hwpt_nested,
	    obj)->parent, "parent", 1));
}

json_t *
describe_viommu(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct viommu,
	    obj)->parent, "parent", 0));
}

json_t *
describe_vdevice(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct vdevice,
	    obj)->viommu, "viommu", 0));
}

json_t *
describe_veventq(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct veventq,
	    obj)->viommu, "viommu", 0));
}

json_t *
describe_hw_queue(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct hw_queue,
	    obj)->viommu, "viommu", 0));
}

json_t *
describe_access(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct access, obj)->ioas,
	    "ioas", 0));
}
