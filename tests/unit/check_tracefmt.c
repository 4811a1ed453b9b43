/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Unit tests of proto/tracefmt.c: every row of the field table, and every
 * variant of it, goes to JSON text and back with every field's bytes
 * intact; caller buffers (bytes and entry arrays) likewise; errno names
 * both ways; the records of fault queue and vEVENTQ descriptors by field
 * name, bounded; and malformed JSON is refused with EINVAL, not written.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <linux/iommufd.h>

#include "suites.h"
#include "tracefmt.h"
#include "uapi.h"

/* Room for the largest struct and a descriptor tail past it. */
#define RT_CAP		1024
#define RT_TAIL		64

/* Deterministic bytes: the same run every time. */
static void
rt_fill(uint8_t *p, size_t n, unsigned int *seed)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(rand_r(seed) >> 7);
}

/*
 * Encodes the struct in a (len bytes) through JSON text and back into a
 * zeroed buffer, and checks that every field of the layout the bytes
 * select has the same bytes afterwards and that encoding again gives
 * the same JSON.
 */
static void
rt_struct(const char *cmd, const struct uapi_struct *st, const uint8_t *a,
    size_t len)
{
	const struct uapi_struct	*rs;
	const struct uapi_field		*f;
	json_t				*j1, *j2, *back;
	uint8_t				 b[RT_CAP + RT_TAIL];
	char				*text;
	uint16_t			 i;
	size_t				 n;

	j1 = tracefmt_struct_encode(st, a, len, UD_INOUT);
	ck_assert_ptr_nonnull(j1);
	text = json_dumps(j1, JSON_COMPACT);
	ck_assert_ptr_nonnull(text);
	back = json_loads(text, 0, NULL);
	ck_assert_msg(back != NULL, "%s: bad JSON %s", cmd, text);
	memset(b, 0, sizeof(b));
	ck_assert_msg(tracefmt_struct_decode(st, back, b, len) == 0,
	    "%s: decode of %s", cmd, text);
	rs = uapi_resolve(st, a, len);
	ck_assert_ptr_eq(rs, uapi_resolve(st, b, len));
	for (i = 0; i < rs->nfields; i++) {
		f = &rs->fields[i];
		if (f->kind == UK_FDS) {
			n = json_array_size(json_object_get(j1, f->name));
			ck_assert_msg(memcmp(a + f->off, b + f->off,
			    n * 4) == 0, "%s.%s", cmd, f->name);
			continue;
		}
		if ((size_t)f->off + f->width > len)
			continue;
		ck_assert_msg(memcmp(a + f->off, b + f->off, f->width) == 0,
		    "%s.%s differs after %s", cmd, f->name, text);
	}
	j2 = tracefmt_struct_encode(st, b, len, UD_INOUT);
	ck_assert_msg(json_equal(j1, j2), "%s: not stable", cmd);
	free(text);
	json_decref(j1);
	json_decref(j2);
	json_decref(back);
}

/* Round-trips one struct with random bytes, its size field set. */
static void
rt_one(const char *cmd, const struct uapi_struct *st, int sel_set,
    uint32_t sel, unsigned int *seed)
{
	const struct uapi_field	*f;
	uint8_t			 a[RT_CAP + RT_TAIL];
	size_t			 len;
	uint16_t		 i;

	ck_assert_uint_le(st->size, RT_CAP);
	len = st->size + RT_TAIL;
	rt_fill(a, sizeof(a), seed);
	for (i = 0; i < st->nfields; i++) {
		f = &st->fields[i];
		if (f->kind == UK_SIZE)
			uapi_set(f, a, st->size);
		/* A count that reaches into the tail, not past it. */
		if (f->kind == UK_FDS && f->len_a >= 0)
			uapi_set(&st->fields[f->len_a], a, 5);
	}
	if (sel_set)
		uapi_set(&st->fields[st->sel], a, sel);
	rt_struct(cmd, st, a, len);
	/* A caller's struct shorter than ours: the tail fields left out. */
	rt_struct(cmd, st, a, st->min_size);
}

START_TEST(test_every_row)
{
	const struct uapi_cmd	*c;
	unsigned int		 seed = 1;
	size_t			 i, rows = 0;
	uint16_t		 v;
	int			 k;

	for (i = 0; i < uapi_ncmds; i++) {
		c = &uapi_cmds[i];
		if (c->st == NULL)
			continue;
		for (k = 0; k < 4; k++) {
			rt_one(c->name, c->st, 0, 0, &seed);
			if (c->st->sel < 0)
				continue;
			/* An unknown selector: the plain layout. */
			rt_one(c->name, c->st, 1, 0xfffffffe, &seed);
			for (v = 0; v < c->st->nvariants; v++)
				rt_one(c->name, c->st, 1,
				    c->st->variants[v].value, &seed);
		}
		rows++;
	}
	ck_assert_uint_gt(rows, 30);
}
END_TEST

START_TEST(test_forms)
{
	const struct uapi_cmd	*c;
	struct iommu_ioas_map	 m = {
		.size = sizeof(m), .flags = 0x5, .ioas_id = 7,
		.user_va = 0xffff800000001000ULL, .length = 1ULL << 63,
		.iova = 0x10000,
	};
	json_t			*j;

	c = uapi_cmd_byname("IOMMU_IOAS_MAP");
	ck_assert_ptr_nonnull(c);
	j = tracefmt_struct_encode(c->st, &m, sizeof(m), UD_IN);
	ck_assert_str_eq(json_string_value(json_object_get(j, "user_va")),
	    "0xffff800000001000");
	ck_assert_str_eq(json_string_value(json_object_get(j, "flags")),
	    "0x5");
	/* Too big for a JSON integer everyone reads: a string. */
	ck_assert_str_eq(json_string_value(json_object_get(j, "length")),
	    "0x8000000000000000");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "ioas_id")),
	    7);
	/* Output only, and a zero reserved field, are left out. */
	ck_assert_ptr_null(json_object_get(j, "__reserved"));
	ck_assert_int_eq(json_object_size(j), 6);
	json_decref(j);
	j = tracefmt_struct_encode(c->st, &m, sizeof(m), UD_OUT);
	ck_assert_int_eq(json_object_size(j), 1);
	ck_assert_ptr_nonnull(json_object_get(j, "iova"));
	json_decref(j);
}
END_TEST

START_TEST(test_bad_input)
{
	const struct uapi_cmd	*c;
	uint8_t			 b[64], z[64];
	json_t			*j;

	c = uapi_cmd_byname("IOMMU_DESTROY");
	ck_assert_ptr_nonnull(c);
	memset(b, 0, sizeof(b));
	memset(z, 0, sizeof(z));
	j = json_pack("{s:i}", "nosuch", 1);
	ck_assert_int_eq(tracefmt_struct_decode(c->st, j, b, 8), -EINVAL);
	json_decref(j);
	/* A u32 field given a value it cannot hold. */
	j = json_pack("{s:I}", "id", (json_int_t)1 << 40);
	ck_assert_int_eq(tracefmt_struct_decode(c->st, j, b, 8), -EINVAL);
	json_decref(j);
	j = json_pack("{s:s}", "id", "0x12zz");
	ck_assert_int_eq(tracefmt_struct_decode(c->st, j, b, 8), -EINVAL);
	json_decref(j);
	j = json_pack("{s:b}", "id", 1);
	ck_assert_int_eq(tracefmt_struct_decode(c->st, j, b, 8), -EINVAL);
	json_decref(j);
	/* A field past what the caller's buffer holds. */
	j = json_pack("{s:i}", "id", 3);
	ck_assert_int_eq(tracefmt_struct_decode(c->st, j, b, 6), -EINVAL);
	ck_assert_int_eq(tracefmt_struct_decode(c->st, j, b, 8), 0);
	ck_assert_int_eq(b[4], 3);
	json_decref(j);
	ck_assert_int_eq(tracefmt_struct_decode(c->st, json_null(), b, 8),
	    -EINVAL);
	ck_assert_int_eq(tracefmt_hex_decode("abc", b, 8), -EINVAL);
	ck_assert_int_eq(tracefmt_hex_decode("0011223344556677aa", b, 8),
	    -EINVAL);
	ck_assert_int_eq(tracefmt_hex_decode("g0", b, 8), -EINVAL);
	ck_assert_int_eq(tracefmt_hex_decode("A0ff", b, 8), 2);
	ck_assert_int_eq(b[0], 0xa0);
	ck_assert_int_eq(b[1], 0xff);
}
END_TEST

START_TEST(test_bufs)
{
	const struct uapi_cmd	*c;
	const struct uapi_field	*f;
	uint8_t			 a[256], b[256];
	unsigned int		 seed = 7;
	size_t			 i, kept, nbufs = 0;
	uint64_t		 len;
	uint16_t		 k;
	json_t			*j;

	for (i = 0; i < uapi_ncmds; i++) {
		c = &uapi_cmds[i];
		if (c->st == NULL)
			continue;
		for (k = 0; k < c->st->nfields; k++) {
			f = &c->st->fields[k];
			if (f->kind != UK_UPTR)
				continue;
			rt_fill(a, sizeof(a), &seed);
			memset(b, 0, sizeof(b));
			/* Recorded: 3 entries (or 40 bytes) of a longer one. */
			kept = f->elem != 0 ? 3 * f->elem : 40;
			ck_assert_uint_le(kept, sizeof(a));
			j = tracefmt_buf_encode(f, a, kept, 100000);
			ck_assert_ptr_nonnull(j);
			ck_assert_int_eq(tracefmt_buf_decode(f, j, b,
			    sizeof(b), &kept, &len), 0);
			ck_assert_uint_eq(len, 100000);
			ck_assert_uint_eq(kept, f->elem != 0 &&
			    f->elem_type != NULL &&
			    f->elem_type->size == f->elem ? 3 * f->elem :
			    (f->elem != 0 ? 3 * f->elem : 40));
			ck_assert_msg(memcmp(a, b, kept) == 0 ||
			    f->elem_type != NULL, "%s.%s", c->name, f->name);
			json_decref(j);
			nbufs++;
		}
	}
	ck_assert_uint_gt(nbufs, 5);

	/* Bounded: a long buffer keeps TRACEFMT_MAX_BUF bytes. */
	{
		static uint8_t	big[TRACEFMT_MAX_BUF * 2];

		f = uapi_field_byname(uapi_cmd_byname("IOMMU_IOAS_MAP")->st,
		    "user_va");
		ck_assert_ptr_nonnull(f);
		j = tracefmt_buf_encode(f, big, sizeof(big), sizeof(big));
		ck_assert_uint_eq(strlen(json_string_value(
		    json_object_get(j, "hex"))), 2 * TRACEFMT_MAX_BUF);
		json_decref(j);
	}
}
END_TEST

START_TEST(test_errno_names)
{
	int	e;

	ck_assert_str_eq(tracefmt_errno_name(0), "OK");
	ck_assert_str_eq(tracefmt_errno_name(ENOENT), "ENOENT");
	ck_assert_str_eq(tracefmt_errno_name(-EOPNOTSUPP), "EOPNOTSUPP");
	ck_assert_str_eq(tracefmt_errno_name(4000), "E4000");
	for (e = 0; e < 134; e++)
		ck_assert_int_eq(tracefmt_errno_byname(
		    tracefmt_errno_name(e)), e == EWOULDBLOCK ? EAGAIN :
		    e == EDEADLOCK ? EDEADLK : e);
	ck_assert_int_eq(tracefmt_errno_byname("E4000"), 4000);
	ck_assert_int_eq(tracefmt_errno_byname("ENOSUCH"), -1);
	ck_assert_int_eq(tracefmt_errno_byname("E"), -1);
}
END_TEST

/*
 * Descriptor records: fault records and page responses by field name and
 * back, a vEVENTQ event as its header and payload, bytes past the last
 * whole record in hex, and no more than TRACEFMT_MAX_BUF bytes kept.
 */
START_TEST(test_fd_records)
{
	static uint8_t			 big[TRACEFMT_MAX_BUF * 2];
	struct iommu_hwpt_pgfault	 pf[2], back;
	struct iommu_hwpt_page_response	 pr;
	struct iommufd_vevent_header	 vh;
	uint8_t				 ev[sizeof(vh) + 4];
	json_t				*o, *r;
	uint32_t			 v = 0x99;

	memset(pf, 0, sizeof(pf));
	pf[0].flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE;
	pf[0].dev_id = 3;
	pf[0].grpid = 1;
	pf[0].addr = 0x7fff00001000ULL;
	pf[0].cookie = 1;
	pf[1] = pf[0];
	pf[1].grpid = 2;
	o = json_object();
	/* One record and a half: the half is the payload. */
	ck_assert_int_eq(tracefmt_fd_encode(o, UAPI_REC_PGFAULT, pf,
	    sizeof(pf) - 8, 80), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "len")), 80);
	r = json_object_get(o, "records");
	ck_assert_uint_eq(json_array_size(r), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(r,
	    0), "addr")), "0x7fff00001000");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(r,
	    0), "dev_id")), 3);
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(o,
	    "payload"))), 2 * (sizeof(pf[0]) - 8));
	memset(&back, 0, sizeof(back));
	ck_assert_int_eq(tracefmt_struct_decode(uapi_record(UAPI_REC_PGFAULT),
	    json_array_get(r, 0), &back, sizeof(back)), 0);
	ck_assert_mem_eq(&back, &pf[0], sizeof(back));
	json_decref(o);

	pr.cookie = 2;
	pr.code = IOMMUFD_PAGE_RESP_INVALID;
	o = json_object();
	ck_assert_int_eq(tracefmt_fd_encode(o, UAPI_REC_PAGE_RESPONSE, &pr,
	    sizeof(pr), sizeof(pr)), 0);
	r = json_array_get(json_object_get(o, "records"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "cookie")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(r, "code")),
	    IOMMUFD_PAGE_RESP_INVALID);
	ck_assert_ptr_null(json_object_get(o, "payload"));
	json_decref(o);

	vh.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
	vh.sequence = 7;
	memcpy(ev, &vh, sizeof(vh));
	memcpy(ev + sizeof(vh), &v, sizeof(v));
	o = json_object();
	ck_assert_int_eq(tracefmt_fd_encode(o, UAPI_REC_VEVENT, ev,
	    sizeof(ev), sizeof(ev)), 0);
	r = json_object_get(o, "records");
	ck_assert_uint_eq(json_array_size(r), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(r,
	    0), "sequence")), 7);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(r,
	    0), "flags")), "0x1");
	ck_assert_str_eq(json_string_value(json_object_get(o, "payload")),
	    "99000000");
	json_decref(o);

	/* Bounded: of a long run of records, TRACEFMT_MAX_BUF bytes. */
	o = json_object();
	ck_assert_int_eq(tracefmt_fd_encode(o, UAPI_REC_PAGE_RESPONSE, big,
	    sizeof(big), sizeof(big)), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(o, "records")),
	    TRACEFMT_MAX_BUF / sizeof(pr));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "len")),
	    (json_int_t)sizeof(big));
	json_decref(o);

	/* A kind the table does not know: the bytes in hex. */
	o = json_object();
	ck_assert_int_eq(tracefmt_fd_encode(o, 99, &pr, sizeof(pr),
	    sizeof(pr)), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(o, "records")), 0);
	ck_assert_ptr_nonnull(json_object_get(o, "payload"));
	json_decref(o);
	ck_assert_ptr_null(uapi_record(0));
}
END_TEST

static Suite *
tracefmt_suite(void)
{
	Suite	*s = suite_create("tracefmt");
	TCase	*tc;

	tc = tcase_create("struct");
	tcase_add_test(tc, test_every_row);
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("bufs");
	tcase_add_test(tc, test_bufs);
	tcase_add_test(tc, test_errno_names);
	tcase_add_test(tc, test_fd_records);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(tracefmt_suite)
