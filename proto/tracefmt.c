/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Structs, caller buffers and errno values to JSON and back, driven by the
 * field table of uapi.c alone (see tracefmt.h for the form). Nothing here
 * knows a command by name: a new row in the table is traced and replayed
 * as soon as it is there.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracefmt.h"

/* Most descriptor numbers of a UK_FDS tail that a line keeps. */
#define TRACEFMT_MAX_FDS	1024

/* Whether the field's value is written as bytes rather than a number. */
static int
tracefmt_is_bytes(const struct uapi_field *f)
{
	return (f->kind == UK_BYTES || f->width > 8);
}

/* Whether the field's value is written as a "0x..." string. */
static int
tracefmt_is_hexnum(const struct uapi_field *f)
{
	return (f->kind == UK_IOVA || f->kind == UK_UVA ||
	    f->kind == UK_UPTR || f->kind == UK_FLAGS);
}

json_t *
tracefmt_hex_encode(const void *data, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	const uint8_t		*p = data;
	json_t			*s;
	char			*hex;
	size_t			 i;

	if ((hex = malloc(len * 2 + 1)) == NULL)
		return (NULL);
	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[p[i] >> 4];
		hex[2 * i + 1] = digits[p[i] & 0xf];
	}
	hex[2 * len] = '\0';
	s = json_stringn(hex, len * 2);
	free(hex);
	return (s);
}

/* The value of one hex digit, or -1. */
static int
tracefmt_xdigit(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

long
tracefmt_hex_decode(const char *hex, void *out, size_t cap)
{
	uint8_t	*p = out;
	size_t	 n, i;
	int	 hi, lo;

	n = strlen(hex);
	if (n % 2 != 0 || n / 2 > cap || n / 2 > LONG_MAX)
		return (-EINVAL);
	for (i = 0; i < n / 2; i++) {
		hi = tracefmt_xdigit(hex[2 * i]);
		lo = tracefmt_xdigit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return (-EINVAL);
		p[i] = (uint8_t)(hi << 4 | lo);
	}
	return ((long)(n / 2));
}

/* A number as a JSON value: an integer, or "0x..." when hex or too big. */
static json_t *
tracefmt_num(uint64_t v, int hex)
{
	char	buf[24];

	if (!hex && v <= INT64_MAX)
		return (json_integer((json_int_t)v));
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return (json_string(buf));
}

/*
 * Reads a number from an integer or a "0x..." (or decimal) string into
 * *v. Returns 0 or -EINVAL.
 */
static int
tracefmt_num_get(const json_t *j, uint64_t *v)
{
	const char	*s;
	char		*end;

	if (json_is_integer(j)) {
		*v = (uint64_t)json_integer_value(j);
		return (0);
	}
	if (!json_is_string(j))
		return (-EINVAL);
	s = json_string_value(j);
	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return (-EINVAL);
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0')
		return (-EINVAL);
	return (0);
}

#define MIN(a, b)	((a) < (b) ? (a) : (b))

/* Whether the layout has a UK_FDS tail of its own. */
static int
tracefmt_has_fds(const struct uapi_struct *st)
{
	uint16_t	i;

	for (i = 0; i < st->nfields; i++)
		if (st->fields[i].kind == UK_FDS)
			return (1);
	return (0);
}

/* Whether width bytes at p are all zero. */
static int
tracefmt_zero(const uint8_t *p, size_t width)
{
	size_t	i;

	for (i = 0; i < width; i++)
		if (p[i] != 0)
			return (0);
	return (1);
}

/*
 * The descriptor numbers of a UK_FDS tail: field f of layout st in buf
 * (len bytes known), as a JSON array, or NULL when out of memory.
 */
static json_t *
tracefmt_fds_encode(const struct uapi_struct *st, const struct uapi_field *f,
    const uint8_t *buf, size_t len)
{
	json_t		*a;
	uint64_t	 count, k;
	int32_t		 v;

	if ((a = json_array()) == NULL)
		return (NULL);
	count = 0;
	if (f->len_a >= 0 && f->len_a < st->nfields &&
	    st->fields[f->len_a].off + st->fields[f->len_a].width <= len)
		count = uapi_get(&st->fields[f->len_a], buf);
	if (count > (len - f->off) / sizeof(v))
		count = (len - f->off) / sizeof(v);
	if (count > TRACEFMT_MAX_FDS)
		count = TRACEFMT_MAX_FDS;
	for (k = 0; k < count; k++) {
		memcpy(&v, buf + f->off + k * sizeof(v), sizeof(v));
		if (json_array_append_new(a, json_integer(v)) != 0) {
			json_decref(a);
			return (NULL);
		}
	}
	return (a);
}

/* The JSON value of field f of layout st in buf (len bytes known). */
static json_t *
tracefmt_field_encode(const struct uapi_struct *st,
    const struct uapi_field *f, const uint8_t *buf, size_t len)
{
	uint64_t	v;

	if (f->kind == UK_FDS)
		return (tracefmt_fds_encode(st, f, buf, len));
	if (tracefmt_is_bytes(f))
		return (tracefmt_hex_encode(buf + f->off, f->width));
	v = uapi_get(f, buf);
	if (f->kind == UK_FD && f->width == 4)
		return (json_integer((int32_t)(uint32_t)v));
	return (tracefmt_num(v, tracefmt_is_hexnum(f)));
}

json_t *
tracefmt_struct_encode(const struct uapi_struct *st, const void *buf,
    size_t len, unsigned int dir)
{
	const struct uapi_field	*f;
	const uint8_t		*p = buf;
	json_t			*obj, *v;
	uint16_t		 i;

	if ((obj = json_object()) == NULL)
		return (NULL);
	if (st == NULL)
		return (obj);
	st = uapi_resolve(st, buf, len);
	for (i = 0; i < st->nfields; i++) {
		f = &st->fields[i];
		if ((f->dir & dir) == 0)
			continue;
		if (f->kind == UK_FDS ? f->off >= len :
		    (size_t)f->off + f->width > len)
			continue;
		if (f->kind == UK_RESERVED && tracefmt_zero(p + f->off,
		    f->width))
			continue;
		if ((v = tracefmt_field_encode(st, f, p, len)) == NULL ||
		    json_object_set_new(obj, f->name, v) != 0) {
			json_decref(obj);
			return (NULL);
		}
	}
	/* Bytes past the struct the caller sent (E2BIG unless zero). */
	if ((dir & UD_IN) && len > st->size && !tracefmt_has_fds(st) &&
	    !tracefmt_zero(p + st->size, len - st->size)) {
		v = tracefmt_hex_encode(p + st->size,
		    MIN(len - st->size, TRACEFMT_MAX_BUF));
		if (json_object_set_new(obj, TRACEFMT_TAIL, v) != 0) {
			json_decref(obj);
			return (NULL);
		}
	}
	return (obj);
}

/* Sets field f in buf (cap bytes) from JSON value j. Returns 0 or -errno. */
static int
tracefmt_field_decode(const struct uapi_field *f, const json_t *j,
    uint8_t *buf, size_t cap)
{
	const json_t	*e;
	uint64_t	 v;
	size_t		 k;
	int32_t		 fd;
	long		 n;

	if (f->kind == UK_FDS) {
		if (!json_is_array(j) || json_array_size(j) >
		    (cap - f->off) / sizeof(fd))
			return (-EINVAL);
		json_array_foreach(j, k, e) {
			if (!json_is_integer(e) ||
			    json_integer_value(e) < INT32_MIN ||
			    json_integer_value(e) > INT32_MAX)
				return (-EINVAL);
			fd = (int32_t)json_integer_value(e);
			memcpy(buf + f->off + k * sizeof(fd), &fd, sizeof(fd));
		}
		return (0);
	}
	if ((size_t)f->off + f->width > cap)
		return (-EINVAL);
	if (tracefmt_is_bytes(f)) {
		if (!json_is_string(j))
			return (-EINVAL);
		n = tracefmt_hex_decode(json_string_value(j), buf + f->off,
		    f->width);
		if (n != f->width)
			return (-EINVAL);
		return (0);
	}
	if (tracefmt_num_get(j, &v) != 0)
		return (-EINVAL);
	/* A value must fit its width (a negative one as its sign bits). */
	if (f->width < 8 && (v >> (f->width * 8)) != 0 &&
	    !(json_is_integer(j) && json_integer_value(j) < 0 &&
	    json_integer_value(j) >= -(1LL << (f->width * 8 - 1))))
		return (-EINVAL);
	uapi_set(f, buf, v);
	return (0);
}

int
tracefmt_struct_decode(const struct uapi_struct *st, const json_t *obj,
    void *buf, size_t cap)
{
	const struct uapi_field	*f;
	const char		*key;
	json_t			*j;
	int			 error;

	if (!json_is_object(obj))
		return (-EINVAL);
	if (st == NULL)
		return (json_object_size(obj) == 0 ? 0 : -EINVAL);
	/* The selector first: it decides which layout names the rest. */
	if (st->sel >= 0 && st->sel < st->nfields) {
		f = &st->fields[st->sel];
		if ((j = json_object_get(obj, f->name)) != NULL &&
		    (error = tracefmt_field_decode(f, j, buf, cap)) != 0)
			return (error);
		st = uapi_resolve(st, buf, cap);
	}
	json_object_foreach((json_t *)obj, key, j) {
		if (strcmp(key, TRACEFMT_TAIL) == 0) {
			if (!json_is_string(j) || cap < st->size ||
			    tracefmt_hex_decode(json_string_value(j),
			    (uint8_t *)buf + st->size, cap - st->size) < 0)
				return (-EINVAL);
			continue;
		}
		if ((f = uapi_field_byname(st, key)) == NULL)
			return (-EINVAL);
		if ((error = tracefmt_field_decode(f, j, buf, cap)) != 0)
			return (error);
	}
	return (0);
}

json_t *
tracefmt_buf_encode(const struct uapi_field *f, const void *data,
    size_t have, uint64_t len)
{
	const struct uapi_struct	*et = f->elem_type;
	const uint8_t			*p = data;
	json_t				*obj, *a, *e;
	size_t				 keep, k;

	keep = have < len ? have : (size_t)len;
	if (keep > TRACEFMT_MAX_BUF)
		keep = TRACEFMT_MAX_BUF;
	if ((obj = json_object()) == NULL)
		return (NULL);
	if (json_object_set_new(obj, "len", tracefmt_num(len, 0)) != 0)
		goto fail;
	if (et == NULL || f->elem == 0 || et->size != f->elem) {
		if (json_object_set_new(obj, "hex",
		    tracefmt_hex_encode(p, keep)) != 0)
			goto fail;
		return (obj);
	}
	if ((a = json_array()) == NULL ||
	    json_object_set_new(obj, "elems", a) != 0)
		goto fail;
	for (k = 0; k + f->elem <= keep; k += f->elem) {
		e = tracefmt_struct_encode(et, p + k, f->elem, UD_INOUT);
		if (json_array_append_new(a, e) != 0)
			goto fail;
	}
	return (obj);
fail:
	json_decref(obj);
	return (NULL);
}

int
tracefmt_buf_decode(const struct uapi_field *f, const json_t *obj,
    void *out, size_t cap, size_t *kept, uint64_t *len)
{
	const struct uapi_struct	*et = f->elem_type;
	const json_t			*j, *e;
	uint8_t				*p = out;
	size_t				 k;
	long				 n;

	if (!json_is_object(obj) ||
	    tracefmt_num_get(json_object_get(obj, "len"), len) != 0)
		return (-EINVAL);
	if ((j = json_object_get(obj, "hex")) != NULL) {
		if (!json_is_string(j) || (n = tracefmt_hex_decode(
		    json_string_value(j), out, cap)) < 0 || (uint64_t)n > *len)
			return (-EINVAL);
		*kept = (size_t)n;
		return (0);
	}
	j = json_object_get(obj, "elems");
	if (!json_is_array(j) || et == NULL || f->elem == 0 ||
	    json_array_size(j) > cap / f->elem ||
	    json_array_size(j) * f->elem > *len)
		return (-EINVAL);
	memset(out, 0, json_array_size(j) * f->elem);
	json_array_foreach(j, k, e) {
		if (tracefmt_struct_decode(et, e, p + k * f->elem,
		    f->elem) != 0)
			return (-EINVAL);
	}
	*kept = json_array_size(j) * f->elem;
	return (0);
}

int
tracefmt_fd_encode(json_t *o, int kind, const void *data, size_t have,
    uint64_t len)
{
	const struct uapi_struct	*st = uapi_record(kind);
	const uint8_t			*p = data;
	json_t				*a;
	size_t				 off = 0;

	if (have > TRACEFMT_MAX_BUF)
		have = TRACEFMT_MAX_BUF;
	if ((a = json_array()) == NULL ||
	    json_object_set_new(o, "records", a) != 0 ||
	    json_object_set_new(o, "len", tracefmt_num(len, 0)) != 0)
		return (-ENOMEM);
	while (st != NULL && have - off >= st->size) {
		if (json_array_append_new(a, tracefmt_struct_encode(st,
		    p + off, st->size, UD_INOUT)) != 0)
			return (-ENOMEM);
		off += st->size;
		/* One event per vEVENTQ record: its payload follows. */
		if (kind == UAPI_REC_VEVENT)
			break;
	}
	if (off < have && json_object_set_new(o, "payload",
	    tracefmt_hex_encode(p + off, have - off)) != 0)
		return (-ENOMEM);
	return (0);
}

const char *
tracefmt_errno_name(int err)
{
	static __thread char	 buf[16];
	const char		*s;

	if (err < 0)
		err = -err;
	if (err == 0)
		return ("OK");
	if ((s = strerrorname_np(err)) != NULL)
		return (s);
	snprintf(buf, sizeof(buf), "E%d", err);
	return (buf);
}

int
tracefmt_errno_byname(const char *name)
{
	const char	*s;
	char		*end;
	long		 v;
	int		 e;

	if (strcmp(name, "OK") == 0)
		return (0);
	for (e = 1; e < 256; e++) {
		if ((s = strerrorname_np(e)) != NULL && strcmp(s, name) == 0)
			return (e);
	}
	if (name[0] == 'E' && name[1] >= '0' && name[1] <= '9') {
		v = strtol(name + 1, &end, 10);
		if (*end == '\0' && v > 0 && v < INT_MAX)
			return ((int)v);
	}
	return (-1);
}

/* The JSON object of one caller buffer of a call, before or after it. */
static json_t *
tracefmt_callbuf_json(const struct tracefmt_callbuf *b, int out)
{
	json_t	*o;

	o = tracefmt_buf_encode(b->field, out ? b->out : b->in,
	    out ? b->out_have : b->in_have, b->len);
	/* The caller's pointer led nowhere readable (EFAULT). */
	if (o != NULL && !out && b->in_have < MIN(b->len,
	    (uint64_t)TRACEFMT_MAX_BUF))
		json_object_set_new(o, "unreadable", json_true());
	return (o);
}

/* File f of a call, into o's "fd_file" or "uva_file" by field name. */
static void
tracefmt_file_json(json_t *o, const struct tracefmt_file *f)
{
	const char	*key = f->uva ? "uva_file" : "fd_file";
	json_t		*m, *e;
	char		 off[24];

	if ((m = json_object_get(o, key)) == NULL) {
		if ((m = json_object()) == NULL)
			return;
		json_object_set_new(o, key, m);
	}
	snprintf(off, sizeof(off), "0x%" PRIx64, f->a);
	if (f->uva)
		e = json_pack("{s:I,s:s,s:I}", "ino", (json_int_t)f->ino,
		    "off", off, "len", (json_int_t)f->len);
	else
		e = json_pack("{s:I,s:I}", "ino", (json_int_t)f->ino, "size",
		    (json_int_t)f->a);
	json_object_set_new(m, f->name, e);
}

json_t *
tracefmt_call_encode(const struct tracefmt_call *c)
{
	const struct uapi_cmd		*cmd;
	const struct uapi_struct	*st;
	const struct tracefmt_callbuf	*b;
	json_t				*o, *out, *arrays, *oarrays, *e;
	char				 num[16];
	unsigned int			 i;

	o = json_pack("{s:s,s:I,s:I,s:i,s:I,s:s}", "type", "ioctl",
	    "seq", (json_int_t)c->seq, "t", (json_int_t)c->t,
	    "pid", c->pid, "ctx", (json_int_t)c->ctx,
	    "node", c->node != NULL ? c->node : "");
	if (o == NULL)
		return (NULL);
	cmd = uapi_cmd_find_on(c->num, c->devnode);
	snprintf(num, sizeof(num), "0x%x", c->num);
	json_object_set_new(o, "cmd", json_string(cmd != NULL ? cmd->name :
	    num));
	json_object_set_new(o, "num", json_string(num));
	if (c->devnode)
		json_object_set_new(o, "bound_ctx",
		    json_integer((json_int_t)c->bound));
	st = cmd != NULL ? cmd->st : NULL;
	if (cmd != NULL && cmd->argkind == UA_VALUE)
		json_object_set_new(o, "in", json_pack("{s:I}", "arg",
		    (json_int_t)c->arg));
	else if (st != NULL)
		json_object_set_new(o, "in", tracefmt_struct_encode(st, c->in,
		    c->in_len, UD_IN));
	arrays = json_object();
	oarrays = json_object();
	for (i = 0; i < c->nbufs && i < UAPI_MAX_BUFS; i++) {
		b = &c->bufs[i];
		if (b->field->buf_dir & UD_IN)
			json_object_set_new(arrays, b->field->name,
			    tracefmt_callbuf_json(b, 0));
		else if (b->unreadable) {
			e = tracefmt_buf_encode(b->field, NULL, 0, b->len);
			if (e != NULL)
				json_object_set_new(e, "unreadable",
				    json_true());
			json_object_set_new(arrays, b->field->name, e);
		}
		if ((b->field->buf_dir & UD_OUT) && c->result >= 0)
			json_object_set_new(oarrays, b->field->name,
			    tracefmt_callbuf_json(b, 1));
	}
	if (json_object_size(arrays) != 0)
		json_object_set(o, "arrays", arrays);
	json_object_set_new(o, "result", json_string(tracefmt_errno_name(
	    c->result < 0 ? (int)-c->result : 0)));
	if (c->result > 0)
		json_object_set_new(o, "ret", json_integer(c->result));
	if (st != NULL && c->result >= 0) {
		out = tracefmt_struct_encode(st, c->out, c->out_len, UD_OUT);
		if (json_object_size(out) != 0)
			json_object_set(o, "out", out);
		json_decref(out);
	}
	if (json_object_size(oarrays) != 0)
		json_object_set(o, "out_arrays", oarrays);
	json_decref(arrays);
	json_decref(oarrays);
	if (c->nfdobjs != 0 && (e = json_object()) != NULL) {
		for (i = 0; i < c->nfdobjs && i < TRACEFMT_MAX_FDOBJS; i++)
			json_object_set_new(e, c->fdobjs[i].name,
			    json_integer((json_int_t)c->fdobjs[i].obj));
		json_object_set_new(o, "fd_obj", e);
	}
	for (i = 0; i < c->nfiles && i < TRACEFMT_MAX_FILES; i++)
		tracefmt_file_json(o, &c->files[i]);
	json_object_set_new(o, "dur_ns", json_integer((json_int_t)c->dur));
	return (o);
}
