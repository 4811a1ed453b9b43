/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The JSON form of ioctl structs, caller buffers and results, derived from
 * the field table in uapi.h: there is no per-command JSON code anywhere.
 * The trace writer encodes with it, replay and the tests decode with it.
 *
 * A struct is a JSON object whose keys are the table's field names:
 *  - ids, counts, lengths, selectors and plain values are JSON integers
 *    (descriptor numbers signed, so -1 stays -1);
 *  - addresses (UK_IOVA, UK_UVA, UK_UPTR) and flag masks are strings
 *    "0x..." so that every 64-bit value survives any JSON reader;
 *  - fields wider than 8 bytes and UK_BYTES fields are hex strings of
 *    their bytes in memory order;
 *  - reserved fields appear only when they are not zero;
 *  - a UK_FDS tail is an array of descriptor numbers;
 *  - non-zero bytes the caller sent past the struct we know (which make
 *    the call E2BIG) are the hex string "_tail".
 * A decoder takes an integer or a "0x..." string for any number.
 *
 * A caller buffer is {"len": N, "hex": "..."} or, when the table gives
 * its entry layout, {"len": N, "elems": [{...}, ...]}; at most
 * TRACEFMT_MAX_BUF bytes of it are kept, so a trace line stays bounded.
 */
#ifndef IOASIDD_PROTO_TRACEFMT_H
#define IOASIDD_PROTO_TRACEFMT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "uapi.h"

/* The key of the bytes past a struct. */
#define TRACEFMT_TAIL		"_tail"

/*
 * Most bytes of one caller buffer that a trace line keeps: enough for a
 * dirty bitmap of a few GiB at 4 KiB pages, or the kernel selftest's
 * buffers but its 4 MiB ones, so that a replay feeds the same input.
 */
#define TRACEFMT_MAX_BUF	(64U << 10)

/*
 * The fields of the struct in buf (len bytes of it known) whose direction
 * has a bit of dir (UD_IN, UD_OUT), as a new JSON object, or NULL when out
 * of memory. The variant that the bytes select is used. Fields that do
 * not fit in len are left out.
 */
json_t		*tracefmt_struct_encode(const struct uapi_struct *st,
		    const void *buf, size_t len, unsigned int dir);

/*
 * Sets the fields that obj names in buf (cap bytes). The selector is set
 * first, so that the other fields are looked up in the variant it picks.
 * Fields obj does not name are left as they are. Returns 0, or -EINVAL
 * for a name the layout does not have, a value of the wrong type or one
 * that does not fit, or a field past cap.
 */
int		 tracefmt_struct_decode(const struct uapi_struct *st,
		    const json_t *obj, void *buf, size_t cap);

/*
 * The caller buffer behind pointer field f, len bytes long, of which the
 * first have bytes are in data, as a new JSON object (see above), or NULL
 * when out of memory.
 */
json_t		*tracefmt_buf_encode(const struct uapi_field *f,
		    const void *data, size_t have, uint64_t len);

/*
 * The bytes of a buffer encoded by tracefmt_buf_encode() into out (cap
 * bytes): *kept is how many were recorded (and written), *len the length
 * the buffer had. Returns 0 or -EINVAL.
 */
int		 tracefmt_buf_decode(const struct uapi_field *f,
		    const json_t *obj, void *out, size_t cap, size_t *kept,
		    uint64_t *len);

/* One caller buffer of a call, as before and after it. */
struct tracefmt_callbuf {
	const struct uapi_field	*field;		/* the UK_UPTR field */
	uint64_t		 len;		/* the buffer's length */
	const void		*in, *out;
	size_t			 in_have, out_have;	/* bytes known */
	/*
	 * An output-only buffer whose address could not be read before
	 * the call: written to "arrays" as unreadable, so that a replay
	 * passes a bad address too.
	 */
	int			 unreadable;
};

/*
 * A descriptor field of a call naming a descriptor the daemon handed out
 * (an input the caller sent back, or the output it got, in a field or as
 * the call's return value): the id of the object behind it. The number alone does not say which descriptor it
 * is, since only the caller knows the number its copy got.
 */
struct tracefmt_fdobj {
	const char		*name;		/* a UK_FD field's, or "ret" */
	uint32_t		 obj;
};
#define TRACEFMT_MAX_FDOBJS	4

/*
 * A file behind a call's argument, as the caller had it: a descriptor
 * field naming a regular file (uva 0: its inode and size), or an address
 * field whose memory maps a file there (uva 1: the inode, the file offset
 * at the field's address, and how many bytes from there the mapping
 * covers). A replay makes a file per inode and maps it the same way.
 */
struct tracefmt_file {
	const char		*name;		/* the field's */
	int			 uva;
	uint64_t		 ino;
	uint64_t		 a;		/* size, or file offset */
	uint64_t		 len;		/* uva: bytes mapped */
};
#define TRACEFMT_MAX_FILES	4

/* One ioctl: what went in, what came back, where and when. */
struct tracefmt_call {
	uint64_t		 seq, t, dur;
	uint32_t		 ctx;
	int			 pid;
	const char		*node;
	int			 devnode;	/* uapi_cmd_find_on() */
	uint32_t		 bound;		/* a device node's context */
	uint32_t		 num;
	uint64_t		 arg;
	long			 result;	/* -errno or the return value */
	const void		*in, *out;	/* the struct before and after */
	size_t			 in_len, out_len;
	unsigned int		 nbufs;
	struct tracefmt_callbuf	 bufs[UAPI_MAX_BUFS];
	unsigned int		 nfdobjs;	/* written as "fd_obj" */
	struct tracefmt_fdobj	 fdobjs[TRACEFMT_MAX_FDOBJS];
	unsigned int		 nfiles;	/* "fd_file", "uva_file" */
	struct tracefmt_file	 files[TRACEFMT_MAX_FILES];
};

/*
 * The trace line of a call (type "ioctl", see proto/trace-schema.json) as
 * a new JSON object, or NULL when out of memory. Both the daemon's trace
 * writer and the preload library's pass-through mode write with it.
 */
json_t		*tracefmt_call_encode(const struct tracefmt_call *c);

/*
 * The records that moved on a descriptor (a trace "fdread" or "fdwrite"
 * line): have bytes of records of layout kind (UAPI_REC_*) at data, of
 * len in all, set in o as "len", "records" (each record by field name; a
 * vEVENTQ's one event header) and "payload" (the bytes past them, in
 * hex). Returns 0 or -ENOMEM.
 */
int		 tracefmt_fd_encode(json_t *o, int kind, const void *data,
		    size_t have, uint64_t len);

/*
 * The name of an errno value ("ENOENT"), "OK" for 0, or "E<number>" for
 * one without a name. The string is static.
 */
const char	*tracefmt_errno_name(int err);

/* The errno value of such a name (0 for "OK"), or -1 for none. */
int		 tracefmt_errno_byname(const char *name);

/*
 * Writes bytes as lower-case hex into a new JSON string, or NULL when out
 * of memory. tracefmt_hex_decode() reads one back into out (cap bytes):
 * the number of bytes, or -EINVAL for a string that is not hex or too long.
 */
json_t		*tracefmt_hex_encode(const void *data, size_t len);
long		 tracefmt_hex_decode(const char *hex, void *out, size_t cap);

#endif /* IOASIDD_PROTO_TRACEFMT_H */
