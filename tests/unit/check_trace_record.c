/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of the recordings of daemon/core/trace.c ("ioasidctl
 * record"): a context joins the recording whose root its opener is under
 * (the root itself or a child, not another process), and leaves it at
 * its close; only the root reads; the lines are those of the trace with
 * rising sequence numbers; at most TRACE_MAX_RECORDINGS at once, those
 * of a root that has gone freed; a recording full drops and counts, and
 * its reads are bounded; the records read from and written to a queue's
 * descriptor are lines by field name, bounded, and its close one more.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <linux/iommufd.h>

#include "core/trace.h"
#include "suites.h"
#include "tracefmt.h"
#include "uapi.h"

/* An event of ctx opened by pid. */
static void
ev(uint32_t ctx, pid_t pid, const char *type, const char *detail)
{
	struct trace_site	site;

	memset(&site, 0, sizeof(site));
	site.ctx = ctx;
	site.pid = pid;
	site.node = "iommu";
	trace_event(&site, type, detail);
}

/* Reads recording id as its root; the lines parsed, *openp, *morep. */
static json_t *
rd(int id, int end, int *openp, int *morep)
{
	json_t		*body, *lines, *o;
	const char	*p, *nl;
	int		 rc;

	body = json_object();
	rc = trace_record_read((uint32_t)id, getpid(), end, body);
	ck_assert_int_eq(rc, 0);
	lines = json_array();
	p = json_string_value(json_object_get(body, "lines"));
	ck_assert_ptr_nonnull(p);
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		o = json_loadb(p, (size_t)(nl - p), 0, NULL);
		ck_assert_ptr_nonnull(o);
		json_array_append_new(lines, o);
	}
	ck_assert_str_eq(p, "");
	if (openp != NULL)
		*openp = (int)json_integer_value(json_object_get(body, "open"));
	if (morep != NULL)
		*morep = json_is_true(json_object_get(body, "more"));
	json_decref(body);
	return (lines);
}

/* What a read of id by peer returns, the body thrown away. */
static int
rd_rc(uint32_t id, pid_t peer)
{
	json_t	*body = json_object();
	int	 rc;

	rc = trace_record_read(id, peer, 0, body);
	json_decref(body);
	return (rc);
}

static const char *
field(json_t *lines, size_t i, const char *key)
{
	return (json_string_value(json_object_get(json_array_get(lines, i),
	    key)));
}

static json_int_t
ifield(json_t *lines, size_t i, const char *key)
{
	return (json_integer_value(json_object_get(json_array_get(lines, i),
	    key)));
}

START_TEST(rec_members)
{
	json_t	*h, *lines;
	pid_t	 child;
	int	 id, open, more, fd[2];
	char	 c;

	trace_set_header(json_array(), "7.3");
	id = trace_record_start(getpid(), &h);
	ck_assert_int_gt(id, 0);
	ck_assert_str_eq(json_string_value(json_object_get(h, "type")),
	    "header");
	ck_assert_str_eq(json_string_value(json_object_get(h, "uapi_level")),
	    "7.3");
	json_decref(h);

	ck_assert_int_eq(pipe(fd), 0);
	if ((child = fork()) == 0) {
		close(fd[1]);
		(void)read(fd[0], &c, 1);
		_exit(0);
	}
	ck_assert_int_gt(child, 0);
	ev(11, getpid(), "open", NULL);
	ev(12, 1, "open", NULL);		/* not under the root */
	ev(13, child, "open", NULL);		/* a child of it */
	ck_assert_int_eq(trace_enabled(11), 1);
	ck_assert_int_eq(trace_enabled(12), 0);
	ev(11, getpid(), "control", "status");
	ev(12, 1, "control", "status");
	ev(11, getpid(), "close", NULL);
	ck_assert_int_eq(trace_enabled(11), 0);
	ev(11, getpid(), "control", "after the close");
	close(fd[1]);
	waitpid(child, NULL, 0);

	lines = rd(id, 0, &open, &more);
	ck_assert_int_eq(json_array_size(lines), 4);
	ck_assert_str_eq(field(lines, 0, "type"), "open");
	ck_assert_int_eq(ifield(lines, 0, "ctx"), 11);
	ck_assert_int_eq(ifield(lines, 0, "pid"), getpid());
	ck_assert_str_eq(field(lines, 1, "type"), "open");
	ck_assert_int_eq(ifield(lines, 1, "ctx"), 13);
	ck_assert_int_eq(ifield(lines, 1, "pid"), child);
	ck_assert_str_eq(field(lines, 2, "detail"), "status");
	ck_assert_str_eq(field(lines, 3, "type"), "close");
	ck_assert_int_eq(ifield(lines, 1, "seq"), ifield(lines, 0, "seq") + 1);
	ck_assert_int_eq(open, 1);
	ck_assert_int_eq(more, 0);
	json_decref(lines);

	/* Only the root reads; an id not there is the same answer. */
	ck_assert_int_eq(rd_rc((uint32_t)id, 1), -ESRCH);
	ck_assert_int_eq(rd_rc((uint32_t)id + 1, getpid()), -ESRCH);

	ev(13, child, "close", NULL);
	lines = rd(id, 1, &open, &more);
	ck_assert_int_eq(json_array_size(lines), 1);
	ck_assert_int_eq(open, 0);
	json_decref(lines);
	/* Ended: gone, and its contexts traced no more. */
	ck_assert_int_eq(rd_rc((uint32_t)id, getpid()), -ESRCH);
	ev(14, getpid(), "open", NULL);
	ck_assert_int_eq(trace_enabled(14), 0);
}
END_TEST

START_TEST(rec_bounds)
{
	json_t	*h;
	pid_t	 child;
	int	 i, id;

	if ((child = fork()) == 0)
		_exit(0);
	ck_assert_int_gt(child, 0);
	waitpid(child, NULL, 0);
	/* One whose root has gone, then as many as fit. */
	ck_assert_int_gt(trace_record_start(child, &h), 0);
	json_decref(h);
	for (i = 1; i < TRACE_MAX_RECORDINGS; i++) {
		ck_assert_int_gt(trace_record_start(getpid(), &h), 0);
		json_decref(h);
	}
	/* The gone root's slot is taken back; then none is left. */
	id = trace_record_start(getpid(), &h);
	ck_assert_int_gt(id, 0);
	json_decref(h);
	h = NULL;
	ck_assert_int_eq(trace_record_start(getpid(), &h), -ENOSPC);
	ck_assert_ptr_null(h);
}
END_TEST

START_TEST(rec_full)
{
	json_t	*h, *lines, *last;
	size_t	 n, kept = 0, dropped = 0, reads = 0, sent;
	int	 id, more;

	id = trace_record_start(getpid(), &h);
	ck_assert_int_gt(id, 0);
	json_decref(h);
	ev(21, getpid(), "open", NULL);
	/* Far more than TRACE_RECORD_BYTES of records. */
	sent = 1 + 4 * TRACE_RECORD_BYTES / 256;
	for (n = 1; n < sent; n++)
		ev(21, getpid(), "control", "status");
	do {
		lines = rd(id, 1, NULL, &more);
		reads++;
		last = json_array_get(lines, json_array_size(lines) - 1);
		kept += json_array_size(lines);
		if (strcmp(json_string_value(json_object_get(last, "type")),
		    "dropped") == 0) {
			dropped += (size_t)json_integer_value(
			    json_object_get(last, "count"));
			kept--;
		}
		json_decref(lines);
	} while (more);
	ck_assert_uint_gt(dropped, 0);
	ck_assert_uint_gt(kept, 1000);
	ck_assert_uint_eq(kept + dropped, sent);
	/* Each read is bounded: it took more than one. */
	ck_assert_uint_gt(reads, 1);
	ck_assert_int_eq(rd_rc((uint32_t)id, getpid()), -ESRCH);
}
END_TEST

START_TEST(rec_fd)
{
	static struct iommu_hwpt_page_response	 many[TRACEFMT_MAX_BUF];
	struct iommu_hwpt_pgfault		 pf;
	struct trace_site			 site;
	json_t					*h, *lines, *r;
	int					 id;

	id = trace_record_start(getpid(), &h);
	ck_assert_int_gt(id, 0);
	json_decref(h);
	ev(31, getpid(), "open", NULL);
	memset(&site, 0, sizeof(site));
	site.ctx = 31;
	site.pid = getpid();
	site.node = "fault";
	memset(&pf, 0, sizeof(pf));
	pf.dev_id = 4;
	pf.grpid = 9;
	pf.addr = 0x1000;
	pf.cookie = 1;
	trace_fd(&site, "fdread", UAPI_REC_PGFAULT, 6, &pf, sizeof(pf));
	trace_fd(&site, "fdwrite", UAPI_REC_PAGE_RESPONSE, 6, many,
	    sizeof(many));
	trace_fd(&site, "fdclose", 0, 6, NULL, 0);
	/* Another context's queue is not this recording's. */
	site.ctx = 32;
	trace_fd(&site, "fdclose", 0, 7, NULL, 0);
	ev(31, getpid(), "close", NULL);

	lines = rd(id, 1, NULL, NULL);
	ck_assert_int_eq(json_array_size(lines), 5);
	ck_assert_str_eq(field(lines, 1, "type"), "fdread");
	ck_assert_str_eq(field(lines, 1, "node"), "fault");
	ck_assert_int_eq(ifield(lines, 1, "obj"), 6);
	ck_assert_int_eq(ifield(lines, 1, "len"), sizeof(pf));
	r = json_array_get(json_object_get(json_array_get(lines, 1),
	    "records"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "grpid")), 9);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "dev_id")), 4);
	ck_assert_str_eq(json_string_value(json_object_get(r, "addr")),
	    "0x1000");
	/* Bounded: the length whole, the records of TRACEFMT_MAX_BUF. */
	ck_assert_str_eq(field(lines, 2, "type"), "fdwrite");
	ck_assert_int_eq(ifield(lines, 2, "len"), sizeof(many));
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(lines,
	    2), "records")), TRACEFMT_MAX_BUF / sizeof(many[0]));
	ck_assert_str_eq(field(lines, 3, "type"), "fdclose");
	ck_assert_ptr_null(json_object_get(json_array_get(lines, 3),
	    "records"));
	ck_assert_str_eq(field(lines, 4, "type"), "close");
	json_decref(lines);
}
END_TEST

static Suite *
trace_record_suite(void)
{
	Suite	*s = suite_create("trace_record");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rec_members);
	tcase_add_test(tc, rec_bounds);
	tcase_add_test(tc, rec_full);
	tcase_add_test(tc, rec_fd);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(trace_record_suite)
