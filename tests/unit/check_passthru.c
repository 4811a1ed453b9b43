/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of client/passthru.c, the pass-through recorder: a fake
 * kernel stands in for the real ioctl on a character device named as the
 * node (/dev/null), and the trace lines written are read back: the
 * header names the kernel, each call has its fields by name from the
 * field table, its answer and its arrays; errors keep their errno for
 * the caller; a bad pointer is traced without a crash; descriptors of
 * other files and a process without a trace file are left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/iommufd.h>

#include "../../client/passthru.h"
#include "suites.h"

static int	fake_calls;

/* The fake kernel: IOAS_ALLOC gives id 7, IOVA_RANGES one range. */
static int
fake_ioctl(int fd, unsigned long req, ...)
{
	struct iommu_ioas_alloc		*a;
	struct iommu_ioas_iova_ranges	*r;
	struct iommu_iova_range		 one = { 0x1000, 0xffffffff };
	struct iommu_fault_alloc	*f;
	va_list				 ap;
	void				*arg;

	(void)fd;
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	fake_calls++;
	if (req == IOMMU_IOAS_ALLOC && (uintptr_t)arg > 4096) {
		a = arg;
		a->out_ioas_id = 7;
		return (0);
	}
	if (req == IOMMU_IOAS_IOVA_RANGES) {
		r = arg;
		if (r->num_iovas >= 1 && r->allowed_iovas < 4096) {
			errno = EFAULT;
			return (-1);
		}
		if (r->num_iovas >= 1)
			memcpy((void *)(uintptr_t)r->allowed_iovas, &one,
			    sizeof(one));
		r->num_iovas = 1;
		r->out_iova_alignment = 4096;
		return (0);
	}
	if (req == IOMMU_FAULT_QUEUE_ALLOC) {
		f = arg;
		f->out_fault_id = 3;
		f->out_fault_fd = (uint32_t)dup(fd);
		return (0);
	}
	errno = req == IOMMU_IOAS_ALLOC ? EFAULT : ENOENT;
	return (-1);
}

/* Sets the environment to trace to a new file; its path. */
static char *
pt_env(void)
{
	static char	path[] = "/tmp/check_passthru.XXXXXX";
	int		fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(path);
	setenv("IOASIDD_NODE", "/dev/null", 1);
	setenv("IOASIDD_TRACE", path, 1);
	return (path);
}

/* The lines of the trace file at path, as a JSON array. */
static json_t *
pt_lines(const char *path)
{
	json_t	*a = json_array(), *l;
	char	*line = NULL;
	size_t	 cap = 0;
	FILE	*fp;

	if ((fp = fopen(path, "r")) == NULL)
		return (a);
	while (getline(&line, &cap, fp) > 0) {
		l = json_loads(line, 0, NULL);
		ck_assert_ptr_nonnull(l);
		json_array_append_new(a, l);
	}
	free(line);
	fclose(fp);
	unlink(path);
	return (a);
}

/* The integer at key of object o, or -1. */
static json_int_t
pt_int(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return (json_is_integer(v) ? json_integer_value(v) : -1);
}

/* The string at key of object o, or "". */
static const char *
pt_str(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : "");
}

START_TEST(test_session)
{
	struct iommu_ioas_alloc		a = { .size = sizeof(a) };
	struct iommu_ioas_iova_ranges	r;
	struct iommu_iova_range		ranges[2];
	struct iommu_destroy		d = { .size = sizeof(d), .id = 99 };
	json_t				*lines, *l, *e;
	char				*path = pt_env();
	int				 fd, rc;

	fd = open("/dev/null", O_RDWR);
	ck_assert_int_ge(fd, 0);
	rc = passthru_ioctl(fd, IOMMU_IOAS_ALLOC, &a, fake_ioctl);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(a.out_ioas_id, 7);
	memset(&r, 0, sizeof(r));
	memset(ranges, 0, sizeof(ranges));
	r.size = sizeof(r);
	r.ioas_id = 7;
	r.num_iovas = 2;
	r.allowed_iovas = (uintptr_t)ranges;
	ck_assert_int_eq(passthru_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r,
	    fake_ioctl), 0);
	/* An output array at a bad address: recorded as unreadable. */
	r.num_iovas = 1;
	r.allowed_iovas = 8;
	ck_assert_int_eq(passthru_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r,
	    fake_ioctl), -1);
	ck_assert_int_eq(errno, EFAULT);
	errno = 0;
	rc = passthru_ioctl(fd, IOMMU_DESTROY, &d, fake_ioctl);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(errno, ENOENT);
	/* A pointer that leads nowhere: traced, not followed. */
	rc = passthru_ioctl(fd, IOMMU_IOAS_ALLOC, (void *)8, fake_ioctl);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(errno, EFAULT);
	passthru_close(fd);
	close(fd);
	ck_assert_int_eq(fake_calls, 5);

	lines = pt_lines(path);
	ck_assert_uint_eq(json_array_size(lines), 8);
	l = json_array_get(lines, 0);
	ck_assert_str_eq(pt_str(l, "type"), "header");
	ck_assert_int_eq(pt_int(l, "format"), 1);
	ck_assert_str_ne(pt_str(l, "kernel"), "");
	l = json_array_get(lines, 1);
	ck_assert_str_eq(pt_str(l, "type"), "open");
	ck_assert_int_eq(pt_int(l, "ctx"), 1);
	ck_assert_int_eq(pt_int(l, "seq"), 1);

	l = json_array_get(lines, 2);
	ck_assert_str_eq(pt_str(l, "cmd"), "IOMMU_IOAS_ALLOC");
	ck_assert_str_eq(pt_str(l, "result"), "OK");
	ck_assert_int_eq(pt_int(l, "seq"), 2);
	ck_assert_int_eq(pt_int(json_object_get(l, "in"), "size"),
	    (json_int_t)sizeof(a));
	ck_assert_int_eq(pt_int(json_object_get(l, "out"), "out_ioas_id"), 7);
	ck_assert_int_ge(pt_int(l, "dur_ns"), 0);

	l = json_array_get(lines, 3);
	ck_assert_str_eq(pt_str(l, "cmd"), "IOMMU_IOAS_IOVA_RANGES");
	ck_assert_int_eq(pt_int(json_object_get(l, "out"), "num_iovas"), 1);
	e = json_object_get(json_object_get(l, "out_arrays"),
	    "allowed_iovas");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(pt_int(e, "len"), (json_int_t)sizeof(ranges));
	e = json_array_get(json_object_get(e, "elems"), 0);
	ck_assert_str_eq(pt_str(e, "start"), "0x1000");
	ck_assert_str_eq(pt_str(e, "last"), "0xffffffff");

	/* The good array was not "unreadable", the bad one is. */
	ck_assert_ptr_null(json_object_get(l, "arrays"));
	l = json_array_get(lines, 4);
	ck_assert_str_eq(pt_str(l, "result"), "EFAULT");
	e = json_object_get(json_object_get(l, "arrays"), "allowed_iovas");
	ck_assert(json_is_true(json_object_get(e, "unreadable")));
	ck_assert_int_eq(pt_int(e, "len"),
	    (json_int_t)sizeof(struct iommu_iova_range));

	l = json_array_get(lines, 5);
	ck_assert_str_eq(pt_str(l, "cmd"), "IOMMU_DESTROY");
	ck_assert_str_eq(pt_str(l, "result"), "ENOENT");
	ck_assert_ptr_null(json_object_get(l, "out"));
	ck_assert_int_eq(pt_int(json_object_get(l, "in"), "id"), 99);

	l = json_array_get(lines, 6);
	ck_assert_str_eq(pt_str(l, "result"), "EFAULT");
	ck_assert_uint_eq(json_object_size(json_object_get(l, "in")), 0);

	l = json_array_get(lines, 7);
	ck_assert_str_eq(pt_str(l, "type"), "close");
	ck_assert_int_eq(pt_int(l, "ctx"), 1);
	json_decref(lines);
}
END_TEST

START_TEST(test_handed_out)
{
	struct iommu_fault_alloc	 f = { .size = sizeof(f) };
	json_t				*lines, *l;
	char				*path = pt_env();
	int				 fd;

	fd = open("/dev/null", O_RDWR);
	ck_assert_int_eq(passthru_ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &f,
	    fake_ioctl), 0);
	ck_assert_int_gt((int)f.out_fault_fd, fd);
	/* The descriptor handed out is closed: a line names it. */
	passthru_close((int)f.out_fault_fd);
	close((int)f.out_fault_fd);
	/* Closed again (a number not handed out now): nothing. */
	passthru_close((int)f.out_fault_fd);
	passthru_close(fd);
	close(fd);
	lines = pt_lines(path);
	ck_assert_uint_eq(json_array_size(lines), 5);
	l = json_array_get(lines, 2);
	ck_assert_int_eq(pt_int(json_object_get(l, "out"), "out_fault_fd"),
	    (json_int_t)f.out_fault_fd);
	l = json_array_get(lines, 3);
	ck_assert_str_eq(pt_str(l, "type"), "close");
	ck_assert_int_eq(pt_int(l, "ctx"), 1);
	ck_assert_int_eq(pt_int(l, "fd"), (json_int_t)f.out_fault_fd);
	l = json_array_get(lines, 4);
	ck_assert_str_eq(pt_str(l, "type"), "close");
	ck_assert_ptr_null(json_object_get(l, "fd"));
	json_decref(lines);
}
END_TEST

START_TEST(test_left_alone)
{
	struct iommu_ioas_alloc	 a = { .size = sizeof(a) };
	json_t			*lines;
	char			*path = pt_env();
	int			 p[2];

	/* A descriptor of another file: the real call, no line. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(passthru_ioctl(p[0], IOMMU_IOAS_ALLOC, &a,
	    fake_ioctl), 0);
	passthru_close(p[0]);
	close(p[0]);
	close(p[1]);
	ck_assert_int_eq(fake_calls, 1);
	lines = pt_lines(path);
	/* The header alone. */
	ck_assert_uint_eq(json_array_size(lines), 1);
	json_decref(lines);
}
END_TEST

START_TEST(test_no_trace_file)
{
	struct iommu_ioas_alloc	a = { .size = sizeof(a) };
	int			fd;

	setenv("IOASIDD_NODE", "/dev/null", 1);
	unsetenv("IOASIDD_TRACE");
	fd = open("/dev/null", O_RDWR);
	ck_assert_int_eq(passthru_ioctl(fd, IOMMU_IOAS_ALLOC, &a,
	    fake_ioctl), 0);
	ck_assert_uint_eq(a.out_ioas_id, 7);
	ck_assert_int_eq(fake_calls, 1);
	passthru_close(fd);
	close(fd);
}
END_TEST

static Suite *
passthru_suite(void)
{
	Suite	*s = suite_create("passthru");
	TCase	*tc;

	/* Each test in its own process: the recorder sets up once. */
	tc = tcase_create("record");
	tcase_add_test(tc, test_session);
	tcase_add_test(tc, test_handed_out);
	tcase_add_test(tc, test_left_alone);
	tcase_add_test(tc, test_no_trace_file);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(passthru_suite)
