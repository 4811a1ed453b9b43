/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The replay engine (client/replay.c) over its offline back end
 * (client/replay_offline.c): traces made here line by line, replayed in
 * this process, and what the engine counts and answers; --model's stand-in
 * for the built-in mock instance, made and undone.
 *
 * Hostile traces: lines naming addresses of this process's live data (a
 * global, the stack), found at run time, in every place a call takes an
 * address; replayed offline and against a real daemon (the built
 * ioasidd, started here, reached through libioasid), the data must stay
 * as it was.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <linux/iommufd.h>

#include "../../client/ioasid.h"
#include "../../client/replay.h"
#include "core/limit.h"
#include "uapi.h"
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

/*
 * An answer the recorded caller could not take: replay destroys the
 * object again with a call of its own, and the next one gets its id.
 */
START_TEST(test_unwritten)
{
	const char *const	 t[] = { HDR, ALLOC(1, 1),
	    "{\"type\":\"unwritten\",\"ctx\":1}", ALLOC(1, 1), NULL };
	struct replay_stats	 st;

	ck_assert_int_eq(rt_replay(t, NULL, 0, &st), 0);
	ck_assert_uint_eq(st.calls, 2);
	ck_assert_uint_eq(st.diverged, 0);
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

/* Live data of this process that hostile traces name. */
#define RT_FILL		0xa5
static uint8_t	rt_victim[8192] __attribute__((aligned(4096)));

/* Whether n bytes at p all hold RT_FILL. */
static int
rt_intact(const volatile uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] != RT_FILL)
			return (0);
	}
	return (1);
}

/*
 * A hostile trace naming global g and stack s: each line puts one of
 * them where a call takes an address, with lengths the replay does not
 * make memory for, or where it makes memory of its own. rt_dma is the
 * answer of DMA through memory the replay made: OK through a daemon,
 * EFAULT offline, where the core reaches no mapped memory. A
 * NULL-terminated array of lines the caller frees.
 */
static char **
rt_hostile(uintptr_t g, uintptr_t s, const char *rt_dma)
{
	char	**t = calloc(24, sizeof(*t));
	char	  hex[129];
	int	  n = 0;

	memset(hex, '5', 128);
	hex[128] = '\0';
	t[n++] = strdup(HDR);
	t[n++] = strdup(ALLOC(1, 1));
	/* An output array too long to make: rows written at the global. */
	ck_assert_int_gt(asprintf(&t[n++], "{\"type\":\"ioctl\",\"ctx\":1,"
	    "\"node\":\"iommu\",\"cmd\":\"IOMMU_IOAS_IOVA_RANGES\","
	    "\"num\":\"0x3b84\",\"in\":{\"size\":32,\"ioas_id\":1,"
	    "\"num_iovas\":268435456,\"allowed_iovas\":\"0x%lx\"},"
	    "\"result\":\"EFAULT\"}", (unsigned long)g), 0);
	/* The same at the stack. */
	ck_assert_int_gt(asprintf(&t[n++], "{\"type\":\"ioctl\",\"ctx\":1,"
	    "\"node\":\"iommu\",\"cmd\":\"IOMMU_IOAS_IOVA_RANGES\","
	    "\"num\":\"0x3b84\",\"in\":{\"size\":32,\"ioas_id\":1,"
	    "\"num_iovas\":268435456,\"allowed_iovas\":\"0x%lx\"},"
	    "\"result\":\"EFAULT\"}", (unsigned long)s), 0);
	/* A pointer with a length of 0: no buffer, the number stays. */
	ck_assert_int_gt(asprintf(&t[n++], "{\"type\":\"ioctl\",\"ctx\":1,"
	    "\"node\":\"iommu\",\"cmd\":\"IOMMU_IOAS_IOVA_RANGES\","
	    "\"num\":\"0x3b84\",\"in\":{\"size\":32,\"ioas_id\":1,"
	    "\"num_iovas\":0,\"allowed_iovas\":\"0x%lx\"},"
	    "\"result\":\"EMSGSIZE\",\"out\":{\"num_iovas\":1}}",
	    (unsigned long)g), 0);
	/* Mapped memory too long to make, at the global, then DMA to it. */
	ck_assert_int_gt(asprintf(&t[n++], "{\"type\":\"ioctl\",\"ctx\":1,"
	    "\"node\":\"iommu\",\"cmd\":\"IOMMU_IOAS_MAP\","
	    "\"num\":\"0x3b85\",\"in\":{\"size\":40,\"flags\":\"0x7\","
	    "\"ioas_id\":1,\"user_va\":\"0x%lx\",\"length\":5368709120,"
	    "\"iova\":\"0x100000000\"},\"result\":\"OK\","
	    "\"out\":{\"iova\":\"0x100000000\"}}", (unsigned long)g), 0);
	t[n++] = strdup("{\"type\":\"ioctl\",\"ctx\":1,\"node\":\"iommu\","
	    "\"cmd\":\"IOMMU_TEST_CMD\",\"num\":\"0x3ba0\",\"in\":"
	    "{\"size\":72,\"op\":5,\"id\":1,\"create_access.flags\":\"0x0\"},"
	    "\"result\":\"OK\",\"out\":{\"create_access.out_access_fd\":5}}");
	ck_assert_int_gt(asprintf(&t[n++], "{\"type\":\"ioctl\",\"ctx\":1,"
	    "\"node\":\"iommu\",\"cmd\":\"IOMMU_TEST_CMD\","
	    "\"num\":\"0x3ba0\",\"in\":{\"size\":72,\"op\":8,\"id\":5,"
	    "\"access_rw.iova\":\"0x100000000\",\"access_rw.length\":64,"
	    "\"access_rw.uptr\":\"0x1000\",\"access_rw.flags\":\"0x1\"},"
	    "\"arrays\":{\"access_rw.uptr\":{\"len\":64,\"hex\":\"%s\"}},"
	    "\"result\":\"OK\"}", hex), 0);
	/*
	 * Mapped memory at the global's own address, then a range starting
	 * inside it and ending past it: both are memory made for them, and
	 * DMA writes land there.
	 */
	ck_assert_int_gt(asprintf(&t[n++], "{\"type\":\"ioctl\",\"ctx\":1,"
	    "\"node\":\"iommu\",\"cmd\":\"IOMMU_IOAS_MAP\","
	    "\"num\":\"0x3b85\",\"in\":{\"size\":40,\"flags\":\"0x7\","
	    "\"ioas_id\":1,\"user_va\":\"0x%lx\",\"length\":8192,"
	    "\"iova\":\"0x800000000\"},\"result\":\"OK\","
	    "\"out\":{\"iova\":\"0x800000000\"}}", (unsigned long)g), 0);
	ck_assert_int_gt(asprintf(&t[n++], "{\"type\":\"ioctl\",\"ctx\":1,"
	    "\"node\":\"iommu\",\"cmd\":\"IOMMU_IOAS_MAP\","
	    "\"num\":\"0x3b85\",\"in\":{\"size\":40,\"flags\":\"0x7\","
	    "\"ioas_id\":1,\"user_va\":\"0x%lx\",\"length\":8192,"
	    "\"iova\":\"0x900000000\"},\"result\":\"OK\","
	    "\"out\":{\"iova\":\"0x900000000\"}}", (unsigned long)g + 4096),
	    0);
	ck_assert_int_gt(asprintf(&t[n++], "{\"type\":\"ioctl\",\"ctx\":1,"
	    "\"node\":\"iommu\",\"cmd\":\"IOMMU_TEST_CMD\","
	    "\"num\":\"0x3ba0\",\"in\":{\"size\":72,\"op\":8,\"id\":5,"
	    "\"access_rw.iova\":\"0x800000000\",\"access_rw.length\":64,"
	    "\"access_rw.uptr\":\"0x1000\",\"access_rw.flags\":\"0x1\"},"
	    "\"arrays\":{\"access_rw.uptr\":{\"len\":64,\"hex\":\"%s\"}},"
	    "\"result\":\"%s\"}", hex, rt_dma), 0);
	ck_assert_int_gt(asprintf(&t[n++], "{\"type\":\"ioctl\",\"ctx\":1,"
	    "\"node\":\"iommu\",\"cmd\":\"IOMMU_TEST_CMD\","
	    "\"num\":\"0x3ba0\",\"in\":{\"size\":72,\"op\":8,\"id\":5,"
	    "\"access_rw.iova\":\"0x900001000\",\"access_rw.length\":64,"
	    "\"access_rw.uptr\":\"0x1000\",\"access_rw.flags\":\"0x1\"},"
	    "\"arrays\":{\"access_rw.uptr\":{\"len\":64,\"hex\":\"%s\"}},"
	    "\"result\":\"%s\"}", hex, rt_dma), 0);
	/* A size past any struct: its tail is read for zeros. */
	t[n++] = strdup("{\"type\":\"ioctl\",\"ctx\":1,\"node\":\"iommu\","
	    "\"cmd\":\"IOMMU_IOAS_ALLOC\",\"num\":\"0x3b81\",\"in\":"
	    "{\"size\":16777216,\"flags\":\"0x0\"},\"result\":\"EFAULT\"}");
	t[n++] = strdup("{\"type\":\"close\",\"ctx\":1}");
	t[n] = NULL;
	return (t);
}

static void
rt_free(char **t)
{
	size_t	i;

	for (i = 0; t[i] != NULL; i++)
		free(t[i]);
	free(t);
}

/*
 * Replay the hostile trace through be (made by start, undone by stop):
 * nothing crashes, the global and the stack are as they were, every
 * call was issued, and each answered as recorded (an address where
 * nothing is: EFAULT) but the write through the mapping, which the
 * trace says landed.
 */
static void
rt_hostile_run(int (*start)(json_t *, struct replay_backend *),
    void (*stop)(struct replay_backend *), const char *dma)
{
	volatile uint8_t	 stack[4096];
	struct replay_backend	 be;
	struct replay_stats	 st;
	char			**t;
	json_t			*a;

	memset(rt_victim, RT_FILL, sizeof(rt_victim));
	memset((void *)stack, RT_FILL, sizeof(stack));
	t = rt_hostile((uintptr_t)rt_victim, (uintptr_t)stack, dma);
	a = rt_trace((const char *const *)t);
	ck_assert_int_eq(start(a, &be), 0);
	ck_assert_int_ne(replay_run(&be, "hostile", a, REPLAY_QUIET |
	    REPLAY_KEEP_GOING, &st), 2);
	stop(&be);
	ck_assert(rt_intact(rt_victim, sizeof(rt_victim)));
	ck_assert(rt_intact(stack, sizeof(stack)));
	ck_assert_uint_eq(st.calls, json_array_size(a) - 2);
	/* Only the DMA through the first mapping differs: EFAULT, not OK. */
	ck_assert_uint_eq(st.diverged, 1);
	json_decref(a);
	rt_free(t);
}

static int
rt_off_start(json_t *a, struct replay_backend *be)
{
	char	err[256];

	return (replay_offline_start(a, NULL, NULL, be, err, sizeof(err)));
}

START_TEST(test_hostile_offline)
{
	rt_hostile_run(rt_off_start, replay_offline_stop, "OK");
	ck_assert_uint_eq(limit_leaks, 0);
}
END_TEST

/*
 * The offline back end's uaccess is confined to what the engine declared
 * (be->mem): a call whose struct lies elsewhere, in live memory, is
 * EFAULT and the struct is not written.
 */
START_TEST(test_offline_confined)
{
	const char *const	 t[] = { HDR, NULL };
	struct iommu_ioas_alloc	 live, ours;
	struct replay_backend	 be;
	json_t			*a = rt_trace(t);
	char			 err[256];
	int			 h;

	ck_assert_int_eq(replay_offline_start(a, NULL, NULL, &be, err,
	    sizeof(err)), 0);
	ck_assert_int_ge(h = be.open(be.priv), 0);
	memset(&live, 0, sizeof(live));
	live.size = sizeof(live);
	live.out_ioas_id = 0xa5a5a5a5;
	ours = live;
	be.mem(be.priv, NULL, 0);
	be.mem(be.priv, &ours, sizeof(ours));
	ck_assert_int_eq(be.ioctl(be.priv, h, IOMMU_IOAS_ALLOC, &live),
	    -EFAULT);
	ck_assert_uint_eq(live.out_ioas_id, 0xa5a5a5a5);
	ck_assert_int_eq(be.ioctl(be.priv, h, IOMMU_IOAS_ALLOC, &ours), 0);
	ck_assert_uint_eq(ours.out_ioas_id, 1);
	/* Nothing declared: nothing reachable. */
	be.mem(be.priv, NULL, 0);
	ck_assert_int_eq(be.ioctl(be.priv, h, IOMMU_IOAS_ALLOC, &ours),
	    -EFAULT);
	be.close(be.priv, h);
	replay_offline_stop(&be);
	json_decref(a);
}
END_TEST

/* Whether any entry layout that fields of st point to holds an address. */
static int
rt_nested_address(const struct uapi_struct *st)
{
	const struct uapi_struct	*et;
	uint16_t			 k, j;

	for (k = 0; k < st->nfields; k++) {
		if ((et = st->fields[k].elem_type) == NULL)
			continue;
		for (j = 0; j < et->nfields; j++) {
			if (et->fields[j].kind == UK_UPTR ||
			    et->fields[j].kind == UK_UVA ||
			    et->fields[j].elem_type != NULL)
				return (1);
		}
	}
	return (0);
}

/*
 * The engine confines the addresses of a call's own struct (UK_UPTR,
 * UK_UVA, every variant); that covers every address only while no
 * buffer's entries hold one. A table change that adds such a nested
 * pointer must teach the engine about it first.
 */
START_TEST(test_no_nested_addresses)
{
	const struct uapi_struct	*st;
	size_t				 i;
	uint16_t			 v;

	for (i = 0; i < uapi_ncmds; i++) {
		if ((st = uapi_cmds[i].st) == NULL)
			continue;
		ck_assert_msg(!rt_nested_address(st), "%s", uapi_cmds[i].name);
		for (v = 0; v < st->nvariants; v++)
			ck_assert_msg(!rt_nested_address(st->variants[v].st),
			    "%s variant %u", uapi_cmds[i].name,
			    st->variants[v].value);
	}
}
END_TEST

/* The built daemon, started for the socket tests, and its directory. */
static pid_t	rt_daemon;
static char	rt_dir[64], rt_sock[128];

/* The socket back end as ioasidctl has it: libioasid, one connection each. */
static int
rt_sock_open(void *priv)
{
	return (ioasid_open(priv));
}

static long
rt_sock_ioctl(void *priv, int h, unsigned long num, void *arg)
{
	(void)priv;
	return (ioasid_ioctl(h, num, arg));
}

static void
rt_sock_close(void *priv, int h)
{
	(void)priv;
	ioasid_close(h);
}

/* A daemon of its own on a socket in a new directory: 0 or -1. */
static int
rt_sock_start(json_t *a, struct replay_backend *be)
{
	char		 conf[192], log[192];
	struct stat	 sb;
	FILE		*fp;
	int		 i, logfd;

	(void)a;
	snprintf(rt_dir, sizeof(rt_dir), "/tmp/check_replay.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(rt_dir));
	snprintf(conf, sizeof(conf), "%s/ioasidd.conf", rt_dir);
	snprintf(rt_sock, sizeof(rt_sock), "%s/s", rt_dir);
	ck_assert_ptr_nonnull(fp = fopen(conf, "w"));
	fprintf(fp, "[daemon]\nsocket = %s\ncontrol-socket = %s/c\n"
	    "node =\nlog-level = warn\n", rt_sock, rt_dir);
	fclose(fp);
	snprintf(log, sizeof(log), "%s/log", rt_dir);
	ck_assert_int_ge(logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC,
	    0600), 0);
	if ((rt_daemon = fork()) == 0) {
		(void)dup2(logfd, 1);
		(void)dup2(logfd, 2);
		execl(IOASIDD_TEST_DAEMON, "ioasidd", "-d", "-f", conf,
		    (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(rt_daemon, 0);
	close(logfd);
	for (i = 0; i < 500 && stat(rt_sock, &sb) != 0; i++)
		usleep(10000);
	ck_assert_int_eq(stat(rt_sock, &sb), 0);
	memset(be, 0, sizeof(*be));
	be->name = "socket";
	be->priv = rt_sock;
	be->open = rt_sock_open;
	be->ioctl = rt_sock_ioctl;
	be->close = rt_sock_close;
	return (0);
}

static void
rt_sock_stop(struct replay_backend *be)
{
	char	path[192];
	int	status;

	(void)be;
	ck_assert_int_eq(kill(rt_daemon, SIGTERM), 0);
	ck_assert_int_eq(waitpid(rt_daemon, &status, 0), rt_daemon);
	/* The daemon survived the trace too. */
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(path, sizeof(path), "%s/ioasidd.conf", rt_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/log", rt_dir);
	unlink(path);
	rmdir(rt_dir);
}

START_TEST(test_hostile_socket)
{
	rt_hostile_run(rt_sock_start, rt_sock_stop, "OK");
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
	tcase_add_test(tc, test_unwritten);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_diverge);
	tcase_add_test(tc, test_model);
	tcase_add_test(tc, test_mmap);
	tcase_add_test(tc, test_hostile_offline);
	tcase_add_test(tc, test_offline_confined);
	tcase_add_test(tc, test_no_nested_addresses);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_file_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hostile_socket);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(replay_suite)
