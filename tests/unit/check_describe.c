/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The describe ops (each in its kind's file) and the control command that
 * shows them: an IOAS described after real ioctls (mappings of memory and
 * of a file, reserved ranges merged as IOVA_RANGES sees them, allowed
 * ranges, the VFIO compat mark), every list held to DESCRIBE_MAX_RANGES
 * with the true count beside it, the holder kinds naming what they hold,
 * and "objects" through control_exec() with and without a context.
 */
#include <sys/mman.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "control.h"
#include "core/ctx.h"
#include "core/util.h"
#include "helpers.h"
#include "iommufd/describe.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"
#include "suites.h"

#include <linux/iommufd.h>

#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)
#define PAGE		4096

static const char owner_a[] = "a", owner_b[] = "b";

static void
map_fixed(uint32_t ioas, uint32_t prot, const void *va, uint64_t len,
    uint64_t iova)
{
	struct iommu_ioas_map	 m = {
		.size = sizeof(m), .flags = prot | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas, .user_va = (uintptr_t)va, .length = len,
		.iova = iova,
	};

	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP, &m), 0);
}

/* The IOAS id described, through obj_describe() as control.c calls it. */
static json_t *
describe_id(uint32_t id)
{
	struct obj	*o = obj_find(tctx, id, OBJ_IOAS);
	json_t		*d;

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(obj_describe(o, &d), 0);
	ck_assert_ptr_nonnull(d);
	return (d);
}

static const char *
str(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "no string \"%s\"", key);
	return (s);
}

static json_int_t
num(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "no number \"%s\"", key);
	return (json_integer_value(v));
}

static void
hex_eq(json_t *o, const char *key, uint64_t want)
{
	char	buf[24];

	snprintf(buf, sizeof buf, "0x%" PRIx64, want);
	ck_assert_str_eq(str(o, key), buf);
}

START_TEST(describe_empty_ioas)
{
	json_t	*d;

	d = describe_id(test_ioas_new());
	ck_assert_int_eq(num(d, "nareas"), 0);
	ck_assert_int_eq(num(d, "pinners"), 0);
	ck_assert_int_eq(num(d, "domains"), 0);
	ck_assert(json_is_true(json_object_get(d, "huge_pages")));
	ck_assert(json_is_false(json_object_get(d, "vfio_compat")));
	ck_assert_uint_eq(json_array_size(json_object_get(d, "areas")), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(d, "reserved")), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(d, "allowed")), 0);
	ck_assert_ptr_null(json_object_get(d, "reserved_truncated"));
	ck_assert_ptr_null(json_object_get(d, "allowed_truncated"));
	json_decref(d);
}
END_TEST

START_TEST(describe_ioas_contents)
{
	struct iommu_iova_range		 ranges[2] = {
		{ .start = 0x100000, .last = 0x2fffff },
		{ .start = 0x400000, .last = 0x4fffff },
	};
	struct iommu_ioas_allow_iovas	 al = { .size = sizeof(al) };
	struct iommu_ioas_map_file	 mf = { .size = sizeof(mf) };
	json_t				*d, *a, *r;
	uint32_t			 id;
	char				*buf;
	int				 fd;

	id = test_ioas_new();
	buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(buf, MAP_FAILED);

	al.ioas_id = id;
	al.num_iovas = nitems(ranges);
	al.allowed_iovas = (uintptr_t)ranges;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al), 0);

	/* Two owners overlapping, and one range at the very top. */
	ck_assert_int_eq(iopt_reserve(ioas_iopt(obj_find(tctx, id, OBJ_IOAS)),
	    0x10000, 0x10fff, owner_a), 0);
	ck_assert_int_eq(iopt_reserve(ioas_iopt(obj_find(tctx, id, OBJ_IOAS)),
	    0x10800, 0x11fff, owner_b), 0);
	ck_assert_int_eq(iopt_reserve(ioas_iopt(obj_find(tctx, id, OBJ_IOAS)),
	    UINT64_MAX - 0xfff, UINT64_MAX, owner_a), 0);

	map_fixed(id, RW, buf, 16 * PAGE, 0x100000);
	map_fixed(id, IOMMU_IOAS_MAP_READABLE, buf + PAGE, PAGE, 0x200000);

	fd = memfd_create("describe", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4 * PAGE), 0);
	mf.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
	mf.ioas_id = id;
	mf.fd = fd;
	mf.start = 2 * PAGE;
	mf.length = 2 * PAGE;
	mf.iova = 0x400000;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_MAP_FILE, &mf), 0);
	close(fd);

	tctx->vfio_ioas_id = id;
	d = describe_id(id);
	tctx->vfio_ioas_id = 0;
	ck_assert(json_is_true(json_object_get(d, "vfio_compat")));
	ck_assert_int_eq(num(d, "nareas"), 3);

	a = json_object_get(d, "areas");
	ck_assert_uint_eq(json_array_size(a), 3);
	hex_eq(json_array_get(a, 0), "iova", 0x100000);
	hex_eq(json_array_get(a, 0), "length", 16 * PAGE);
	ck_assert_str_eq(str(json_array_get(a, 0), "prot"), "rw");
	ck_assert_str_eq(str(json_array_get(a, 0), "kind"), "user");
	hex_eq(json_array_get(a, 0), "addr", (uintptr_t)buf);
	hex_eq(json_array_get(a, 1), "iova", 0x200000);
	ck_assert_str_eq(str(json_array_get(a, 1), "prot"), "r");
	hex_eq(json_array_get(a, 1), "addr", (uintptr_t)buf + PAGE);
	hex_eq(json_array_get(a, 2), "iova", 0x400000);
	hex_eq(json_array_get(a, 2), "length", 2 * PAGE);
	ck_assert_str_eq(str(json_array_get(a, 2), "kind"), "file");
	hex_eq(json_array_get(a, 2), "addr", 2 * PAGE);

	/* Merged as IOVA_RANGES would show them, the top one included. */
	r = json_object_get(d, "reserved");
	ck_assert_uint_eq(json_array_size(r), 2);
	hex_eq(json_array_get(r, 0), "start", 0x10000);
	hex_eq(json_array_get(r, 0), "last", 0x11fff);
	hex_eq(json_array_get(r, 1), "start", UINT64_MAX - 0xfff);
	hex_eq(json_array_get(r, 1), "last", UINT64_MAX);

	r = json_object_get(d, "allowed");
	ck_assert_uint_eq(json_array_size(r), 2);
	hex_eq(json_array_get(r, 0), "start", 0x100000);
	hex_eq(json_array_get(r, 0), "last", 0x2fffff);
	hex_eq(json_array_get(r, 1), "start", 0x400000);
	hex_eq(json_array_get(r, 1), "last", 0x4fffff);
	json_decref(d);
	munmap(buf, 16 * PAGE);
}
END_TEST

/* More areas and allowed ranges than are listed: the first ones, the count. */
START_TEST(describe_ioas_bounded)
{
	const size_t			 n = DESCRIBE_MAX_RANGES + 5;
	struct iommu_iova_range		*ranges;
	struct iommu_ioas_allow_iovas	 al = { .size = sizeof(al) };
	json_t				*d, *a;
	uint32_t			 id;
	char				*buf;
	size_t				 i;

	id = test_ioas_new();
	ranges = calloc(n, sizeof *ranges);
	ck_assert_ptr_nonnull(ranges);
	for (i = 0; i < n; i++) {
		ranges[i].start = (uint64_t)i * 0x10000;
		ranges[i].last = ranges[i].start + 0x7fff;
	}
	al.ioas_id = id;
	al.num_iovas = (uint32_t)n;
	al.allowed_iovas = (uintptr_t)ranges;
	ck_assert_int_eq(test_ioctl(tctx, IOMMU_IOAS_ALLOW_IOVAS, &al), 0);

	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(buf, MAP_FAILED);
	for (i = 0; i < n; i++)
		map_fixed(id, RW, buf, PAGE, ranges[i].start);

	d = describe_id(id);
	ck_assert_int_eq(num(d, "nareas"), (json_int_t)n);
	a = json_object_get(d, "areas");
	ck_assert_uint_eq(json_array_size(a), DESCRIBE_MAX_RANGES);
	hex_eq(json_array_get(a, DESCRIBE_MAX_RANGES - 1), "iova",
	    ranges[DESCRIBE_MAX_RANGES - 1].start);
	a = json_object_get(d, "allowed");
	ck_assert_uint_eq(json_array_size(a), DESCRIBE_MAX_RANGES);
	hex_eq(json_array_get(a, 0), "start", 0);
	hex_eq(json_array_get(a, DESCRIBE_MAX_RANGES - 1), "last",
	    ranges[DESCRIBE_MAX_RANGES - 1].last);
	ck_assert(json_is_true(json_object_get(d, "allowed_truncated")));
	json_decref(d);
	free(ranges);
	munmap(buf, PAGE);
}
END_TEST

/* The reserved list stops at the limit too. */
START_TEST(describe_reserved_bounded)
{
	struct iopt	*iopt;
	json_t		*d;
	uint32_t	 id;
	uint64_t	 i;

	id = test_ioas_new();
	iopt = ioas_iopt(obj_find(tctx, id, OBJ_IOAS));
	for (i = 0; i < DESCRIBE_MAX_RANGES + 3; i++) {
		ck_assert_int_eq(iopt_reserve(iopt, i * 0x2000,
		    i * 0x2000 + 0xfff, owner_a), 0);
	}
	d = describe_id(id);
	ck_assert_uint_eq(json_array_size(json_object_get(d, "reserved")),
	    DESCRIBE_MAX_RANGES);
	ck_assert(json_is_true(json_object_get(d, "reserved_truncated")));
	json_decref(d);
}
END_TEST

/* The holder kinds name the ids they hold; a fault queue what waits in it. */
START_TEST(describe_holders)
{
	struct hwpt_paging	 hwpt;
	struct hwpt_nested	 nested;
	struct access		 acc;
	struct fault		 fault;
	struct obj		*ioas;
	json_t			*d, *f;

	ioas = obj_find(tctx, test_ioas_new(), OBJ_IOAS);
	memset(&hwpt, 0, sizeof hwpt);
	hwpt.obj.type = OBJ_HWPT_PAGING;
	hwpt.obj.id = 7;
	hwpt.ioas = ioas;
	hwpt.flags = HWPT_F_AUTO | HWPT_F_DIRTY;
	hwpt.pgsize_bitmap = 0x40201000;
	ck_assert_int_eq(obj_describe(&hwpt.obj, &d), 0);
	ck_assert_int_eq(num(d, "ioas"), ioas->id);
	f = json_object_get(d, "flags");
	ck_assert_uint_eq(json_array_size(f), 2);
	ck_assert_str_eq(json_string_value(json_array_get(f, 0)),
	    "dirty_tracking");
	ck_assert_str_eq(json_string_value(json_array_get(f, 1)), "auto");
	ck_assert(json_is_false(json_object_get(d, "enforce_cc")));
	hex_eq(d, "pgsize_bitmap", 0x40201000);
	json_decref(d);

	memset(&nested, 0, sizeof nested);
	nested.obj.type = OBJ_HWPT_NESTED;
	nested.parent = &hwpt.obj;
	ck_assert_int_eq(obj_describe(&nested.obj, &d), 0);
	ck_assert_int_eq(num(d, "parent"), 7);
	ck_assert_str_eq(str(d, "parent_kind"), "hwpt_paging");
	json_decref(d);

	memset(&acc, 0, sizeof acc);
	acc.obj.type = OBJ_ACCESS;
	acc.ioas = ioas;
	ck_assert_int_eq(obj_describe(&acc.obj, &d), 0);
	ck_assert_int_eq(num(d, "ioas"), ioas->id);
	json_decref(d);

	memset(&fault, 0, sizeof fault);
	fault.obj.type = OBJ_FAULT;
	fault.npending = 2;
	ck_assert_int_eq(obj_describe(&fault.obj, &d), 0);
	ck_assert(json_is_false(json_object_get(d, "open")));
	ck_assert_int_eq(num(d, "waiting"), 2);
	ck_assert_int_eq(num(d, "unanswered"), 0);
	json_decref(d);
}
END_TEST

/* The control command: contexts without "ctx", the graph with it. */
START_TEST(describe_control_objects)
{
	const struct ctl_peer	 peer = { .pid = 1, .uid = 0, .gid = 0 };
	json_t			*req, *reply, *a, *o;
	size_t			 i;
	uint32_t		 id;
	char			*buf;
	int			 found = 0;

	id = test_ioas_new();
	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(buf, MAP_FAILED);
	map_fixed(id, RW, buf, PAGE, 0x1000);

	req = json_pack("{s:s}", "cmd", "objects");
	reply = control_exec(&peer, req);
	json_decref(req);
	ck_assert(json_is_true(json_object_get(reply, "ok")));
	json_array_foreach(json_object_get(reply, "contexts"), i, o) {
		if (num(o, "id") == tctx->id) {
			found = 1;
			ck_assert_int_eq(num(json_object_get(o, "objects"),
			    "ioas"), 1);
		}
	}
	ck_assert(found);
	json_decref(reply);

	req = json_pack("{s:s, s:I}", "cmd", "objects", "ctx",
	    (json_int_t)tctx->id);
	reply = control_exec(&peer, req);
	json_decref(req);
	ck_assert(json_is_true(json_object_get(reply, "ok")));
	ck_assert_int_eq(num(reply, "ctx"), tctx->id);
	a = json_object_get(reply, "objects");
	ck_assert_uint_eq(json_array_size(a), 1);
	o = json_array_get(a, 0);
	ck_assert_int_eq(num(o, "id"), id);
	ck_assert_str_eq(str(o, "kind"), "ioas");
	ck_assert_int_eq(num(o, "users"), 1);
	ck_assert_int_eq(num(o, "nareas"), 1);
	hex_eq(json_array_get(json_object_get(o, "areas"), 0), "iova", 0x1000);
	json_decref(reply);

	/* Unknown contexts and wrong arguments are errors, not crashes. */
	req = json_pack("{s:s, s:I}", "cmd", "objects", "ctx", (json_int_t)-1);
	reply = control_exec(&peer, req);
	json_decref(req);
	ck_assert(json_is_false(json_object_get(reply, "ok")));
	ck_assert_str_eq(str(reply, "errno"), "ENOENT");
	json_decref(reply);
	req = json_pack("{s:s, s:s}", "cmd", "objects", "ctx", "one");
	reply = control_exec(&peer, req);
	json_decref(req);
	ck_assert_str_eq(str(reply, "errno"), "EINVAL");
	json_decref(reply);
	munmap(buf, PAGE);
}
END_TEST

static Suite *
describe_suite(void)
{
	Suite	*s = suite_create("describe");
	TCase	*tc = tcase_create("describe");

	tcase_add_checked_fixture(tc, test_setup, test_teardown);
	tcase_add_test(tc, describe_empty_ioas);
	tcase_add_test(tc, describe_ioas_contents);
	tcase_add_test(tc, describe_ioas_bounded);
	tcase_add_test(tc, describe_reserved_bounded);
	tcase_add_test(tc, describe_holders);
	tcase_add_test(tc, describe_control_objects);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(describe_suite)
