/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The replay engine (client/replay.c) over its offline back end
 * (client/replay_offline.c): traces made here line by line, replayed in
 * this process, and what the engine counts and answers; --model's stand-in
 * for the built-in mock instance, made and undone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "../../client/replay.h"
#include "core/limit.h"
#include "hw/hw.h"
#include "suites.h"

#define HDR	"{\"type\":\"header\",\"format\":1,\"ioasidd\":\"0.1.0\"," \
		"\"uapi_level\":\"7.3\",\"hw\":[]}"
#define ALLOC(ctx, id)							\
		"{\"type\":\"ioctl\",\"seq\":2,\"ctx\":" #ctx ","	\
		"\"node\":\"iommu\",\"cmd\":\"IOMMU_IOAS_ALLOC\","	\
		"\"num\":\"0x3b81\",\"in\":{\"size\":12,\"flags\":\"0x0\"}," \
		"\"result\":\"OK\",\"out\":{\"out_ioas_id\":" #id "}}"
#define DESTROY(ctx, id, res)						\
		"{\"type\":\"ioctl\",\"seq\":3,\"ctx\":" #ctx ","	\
		"\"node\":\"iommu\",\"cmd\":\"IOMMU_DESTROY\","		\
		"\"num\":\"0x3b80\",\"in\":{\"size\":8,\"id\":" #id "}," \
		"\"result\":\"" res "\"}"

/* lines, NULL-terminated, as a trace's array of lines. */
static json_t *
rt_trace(const char *const *lines)
{
	json_t	*a = json_array();
	json_t	*l;

	for (; *lines != NULL; lines++) {
		ck_assert_ptr_nonnull(l = json_loads(*lines, 0, NULL));
		json_array_append_new(a, l);
	}
	return (a);
}

/* Replay lines offline with flags: the exit status, the counts in *st. */
static int
rt_replay(const char *const *lines, const char *model, int flags,
    struct replay_stats *st)
{
	struct replay_backend	 be;
	json_t			*a = rt_trace(lines);
	char			 err[256];
	int			 rc;

	ck_assert_int_eq(replay_offline_start(a, NULL, model, &be, err,
	    sizeof(err)), 0);
	rc = replay_run(&be, "t.jsonl", a, flags | REPLAY_QUIET, st);
	replay_offline_stop(&be);
	json_decref(a);
	ck_assert_uint_eq(limit_leaks, 0);
	return (rc);
}

START_TEST(test_clean)
{
	const char *const	 t[] = { HDR, ALLOC(1, 1), ALLOC(1, 2),
	    DESTROY(1, 1, "OK"), DESTROY(1, 1, "ENOENT"),
	    "{\"type\":\"close\",\"ctx\":1}", NULL };
	struct replay_stats	 st;

	ck_assert_int_eq(rt_replay(t, NULL, 0, &st), 0);
	ck_assert_uint_eq(st.calls, 4);
	ck_assert_uint_eq(st.diverged, 0);
	ck_assert_uint_eq(st.skipped, 0);
}
END_TEST

/* Each context numbers its own objects; a second one starts again at 1. */
START_TEST(test_contexts)
{
	const char *const	 t[] = { HDR, ALLOC(1, 1), ALLOC(2, 1),
	    DESTROY(2, 1, "OK"), DESTROY(1, 1, "OK"), NULL };
	struct replay_stats	 st;

	ck_assert_int_eq(rt_replay(t, NULL, 0, &st), 0);
	ck_assert_uint_eq(st.calls, 4);
	ck_assert_uint_eq(st.diverged, 0);
}
END_TEST

START_TEST(test_diverge)
{
	const char *const	 id[] = { HDR, ALLOC(1, 7), ALLOC(1, 8),
	    NULL };
	const char *const	 res[] = { HDR, ALLOC(1, 1),
	    DESTROY(1, 1, "EBUSY"), DESTROY(1, 1, "OK"), NULL };
	const char *const	 dev[] = { HDR,
	    "{\"type\":\"ioctl\",\"seq\":2,\"ctx\":1,\"node\":\"vfio0\","
	    "\"cmd\":\"VFIO_DEVICE_GET_INFO\",\"result\":\"OK\"}", NULL };
	struct replay_stats	 st;

	/* The first divergence stops the replay; --keep-going goes on. */
	ck_assert_int_eq(rt_replay(id, NULL, 0, &st), 1);
	ck_assert_uint_eq(st.calls, 1);
	ck_assert_uint_eq(st.diverged, 1);
	ck_assert_int_eq(rt_replay(id, NULL, REPLAY_KEEP_GOING, &st), 1);
	ck_assert_uint_eq(st.calls, 2);
	ck_assert_uint_eq(st.diverged, 2);
	/* A result differing, then the same id destroyed as recorded. */
	ck_assert_int_eq(rt_replay(res, NULL, REPLAY_KEEP_GOING, &st), 1);
	ck_assert_uint_eq(st.diverged, 2);
	/* Lines of another node are skipped, not replayed. */
	ck_assert_int_eq(rt_replay(dev, NULL, 0, &st), 0);
	ck_assert_uint_eq(st.calls, 0);
	ck_assert_uint_eq(st.skipped, 1);
}
END_TEST

/*
 * Many objects live at once, then freed and made again under the same
 * ids: the pairings outgrow the table several times and a reused id is
 * paired again, and every call still answers as recorded.
 */
START_TEST(test_many)
{
	struct replay_backend	 be;
	struct replay_stats	 st;
	json_t			*a = json_array();
	char			 line[512], err[256];
	int			 i, round;

	json_array_append_new(a, json_loads(HDR, 0, NULL));
	for (round = 0; round < 2; round++) {
		for (i = 1; i <= 300; i++) {
			snprintf(line, sizeof(line), "{\"type\":\"ioctl\","
			    "\"ctx\":1,\"node\":\"iommu\",\"cmd\":"
			    "\"IOMMU_IOAS_ALLOC\",\"num\":\"0x3b81\",\"in\":"
			    "{\"size\":12,\"flags\":\"0x0\"},\"result\":"
			    "\"OK\",\"out\":{\"out_ioas_id\":%d}}",
			    i);
			json_array_append_new(a, json_loads(line, 0, NULL));
		}
		for (i = 1; i <= 300; i++) {
			snprintf(line, sizeof(line), "{\"type\":\"ioctl\","
			    "\"ctx\":1,\"node\":\"iommu\",\"cmd\":"
			    "\"IOMMU_DESTROY\",\"num\":\"0x3b80\",\"in\":"
			    "{\"size\":8,\"id\":%d},\"result\":\"OK\"}",
			    i);
			json_array_append_new(a, json_loads(line, 0, NULL));
		}
	}
	ck_assert_uint_eq(json_array_size(a), 1201);
	ck_assert_int_eq(replay_offline_start(a, NULL, NULL, &be, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(replay_run(&be, "t", a, REPLAY_QUIET, &st), 0);
	replay_offline_stop(&be);
	ck_assert_uint_eq(st.calls, 1200);
	ck_assert_uint_eq(st.diverged, 0);
	json_decref(a);
}
END_TEST

/* --model: the mock instance stands in for, then the built-in again. */
START_TEST(test_model)
{
	const char *const	 t[] = { HDR, ALLOC(1, 1), NULL };
	struct replay_backend	 be;
	struct replay_stats	 st;
	json_t			*a = rt_trace(t);
	char			 err[256];

	ck_assert_int_eq(replay_offline_start(a, NULL, "intel-vtd", &be,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(hw_instance_find("mock")->ops->name, "intel-vtd");
	ck_assert_int_eq(replay_run(&be, "t", a, REPLAY_QUIET |
	    REPLAY_BY_CAUSE, &st), 0);
	replay_offline_stop(&be);
	ck_assert_str_eq(hw_instance_find("mock")->ops->name, "mock");
	ck_assert_int_eq(replay_offline_start(a, NULL, "nosuch", &be,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "\"nosuch\" is not one of"));
	ck_assert_str_eq(hw_instance_find("mock")->ops->name, "mock");
	json_decref(a);
}
END_TEST

/*
 * A trace file of rounds ALLOC+DESTROY pairs (more lines than the reader
 * parses ahead), a line that is not JSON after bad_after pairs when it is
 * not 0; replayed from the file. The exit status, the counts in *st.
 */
static int
rt_file(int rounds, int bad_after, struct replay_stats *st)
{
	struct replay_backend	 be;
	struct replay_src	*src;
	char			 path[] = "/tmp/check_replay.XXXXXX", err[256];
	json_t			*head;
	FILE			*fp;
	int			 fd, i, rc;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
	fprintf(fp, "%s\n", HDR);
	for (i = 1; i <= rounds; i++) {
		fprintf(fp, "%s\n%s\n", ALLOC(1, 1), DESTROY(1, 1, "OK"));
		if (i == bad_after)
			fprintf(fp, "{\"type\":\"ioctl\",\n");
	}
	/* The last line has no newline: it is a line all the same. */
	fprintf(fp, "{\"type\":\"close\",\"ctx\":1}");
	fclose(fp);
	ck_assert_int_eq(replay_src_open(path, &src), 0);
	head = json_array();
	json_array_append(head, replay_src_peek(src));
	ck_assert_int_eq(replay_offline_start(head, NULL, NULL, &be, err,
	    sizeof(err)), 0);
	json_decref(head);
	rc = replay_run_src(&be, path, src, REPLAY_QUIET, st);
	replay_offline_stop(&be);
	replay_src_close(src);
	unlink(path);
	ck_assert_uint_eq(limit_leaks, 0);
	return (rc);
}

/* A trace read from its file as it is replayed: every line, in order. */
START_TEST(test_file)
{
	struct replay_stats	st;

	ck_assert_int_eq(rt_file(3000, 0, &st), 0);
	ck_assert_uint_eq(st.calls, 6000);
	ck_assert_uint_eq(st.diverged, 0);
}
END_TEST

/* A line that is not JSON: the lines before it replay, then exit 2. */
START_TEST(test_file_bad)
{
	struct replay_stats	st;

	ck_assert_int_eq(rt_file(1000, 700, &st), 2);
	ck_assert_uint_eq(st.calls, 1400);
	ck_assert_uint_eq(st.diverged, 0);
}
END_TEST

static Suite *
replay_suite(void)
{
	Suite	*s = suite_create("replay");
	TCase	*tc = tcase_create("offline");

	tcase_add_test(tc, test_clean);
	tcase_add_test(tc, test_contexts);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_diverge);
	tcase_add_test(tc, test_model);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_file_bad);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(replay_suite)
