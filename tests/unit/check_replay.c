/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The replay engine (client/replay.c) over its offline back end
 * (client/replay_offline.c): traces made here line by line, replayed in
 * this process, and what the engine counts and answers; --model's stand-in
 * for the built-in mock instance, made and undone.
 */
#include <string.h>

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

/* Lines of a call on context 1 of /dev/iommu. */
#define CALL(seq, cmd, num, rest)					\
		"{\"type\":\"ioctl\",\"seq\":" #seq ",\"ctx\":1,"	\
		"\"node\":\"iommu\",\"cmd\":\"" cmd "\",\"num\":\"" num	\
		"\"," rest "}"
/* IOASIDD_MMAP of vIOMMU 6's region, or the notice of a page's munmap. */
#define MMAP(seq, flags, off, len)					\
		CALL(seq, "IOASIDD_MMAP", "0x3bfc", "\"in\":{\"size\":32," \
		"\"flags\":\"" flags "\",\"offset\":" #off ",\"length\":" \
		#len "},\"result\":\"OK\",\"out\":{\"out_fd\":-1}")
#define DESTROY6(seq, res)						\
		CALL(seq, "IOMMU_DESTROY", "0x3b80",			\
		"\"in\":{\"size\":8,\"id\":6},\"result\":\"" res "\"")
#define VIOMMU_LINES							\
	ALLOC(1, 1),							\
	CALL(3, "IOMMU_TEST_CMD", "0x3ba0", "\"in\":{\"size\":72,"	\
	    "\"op\":12,\"id\":1,\"mock_domain_flags.dev_flags\":\"0x0\"}," \
	    "\"result\":\"OK\",\"out\":{\"mock_domain_flags.out_stdev_id\":2," \
	    "\"mock_domain_flags.out_hwpt_id\":4,"			\
	    "\"mock_domain_flags.out_idev_id\":3}"),			\
	CALL(4, "IOMMU_HWPT_ALLOC", "0x3b89", "\"in\":{\"size\":48,"	\
	    "\"flags\":\"0x1\",\"dev_id\":3,\"pt_id\":1,\"data_type\":0," \
	    "\"data_len\":0,\"data_uptr\":\"0x0\",\"fault_id\":0},"	\
	    "\"result\":\"OK\",\"out\":{\"out_hwpt_id\":5}"),		\
	CALL(5, "IOMMU_VIOMMU_ALLOC", "0x3b90", "\"in\":{\"size\":40,"	\
	    "\"flags\":\"0x0\",\"type\":3735928559,\"dev_id\":3,"	\
	    "\"hwpt_id\":5,\"data_len\":24,\"data_uptr\":\"0x1000\"},"	\
	    "\"arrays\":{\"data_uptr\":{\"len\":24,\"hex\":"		\
	    "\"efbe00000000000000000000000000000000000000000000\"}},"	\
	    "\"result\":\"OK\",\"out\":{\"out_viommu_id\":6}")

/*
 * A vIOMMU region mapped by the recorded caller: the replay maps it too,
 * so DESTROY answers EBUSY until the notices of both pages' munmap()s;
 * without the second, the last DESTROY still meets the mapped page.
 */
START_TEST(test_mmap)
{
	const char *const	 t[] = { HDR, VIOMMU_LINES,
	    MMAP(6, "0x1", 100663296, 8192), DESTROY6(7, "EBUSY"),
	    MMAP(8, "0x5", 100663296, 4096), DESTROY6(9, "EBUSY"),
	    MMAP(10, "0x5", 100667392, 4096), DESTROY6(11, "OK"), NULL };
	const char *const	 half[] = { HDR, VIOMMU_LINES,
	    MMAP(6, "0x1", 100663296, 8192), DESTROY6(7, "EBUSY"),
	    MMAP(8, "0x5", 100663296, 4096), DESTROY6(9, "OK"), NULL };
	struct replay_stats	 st;

	ck_assert_int_eq(rt_replay(t, NULL, 0, &st), 0);
	ck_assert_uint_eq(st.calls, 10);
	ck_assert_uint_eq(st.diverged, 0);
	ck_assert_int_eq(rt_replay(half, NULL, 0, &st), 1);
	ck_assert_uint_eq(st.diverged, 1);
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
	tcase_add_test(tc, test_mmap);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(replay_suite)
