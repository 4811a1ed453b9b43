/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Field descriptors for every ioctl struct that /dev/iommu accepts: the
 * iommufd commands, the kernel selftest's IOMMU_TEST_CMD, the VFIO cdev
 * bind/attach/detach commands and the VFIO type1 compatibility commands.
 *
 * One table describes each struct once: its size, the smallest size a caller
 * may pass, and every field with its offset, width, kind and direction. The
 * table is the single source of truth for
 *  - the dispatcher (sizes, min sizes),
 *  - the transports (which caller buffers a command reads or writes beyond
 *    its own struct, so that CUSE can ask for them in a retry round and the
 *    preload library can send them along with the request),
 *  - the trace writer and replay (encoding a struct as JSON and back).
 * A field that points to caller memory (UK_UPTR) says how long that buffer
 * is and which way its bytes go; uapi_bufs() evaluates that for a concrete
 * struct.
 *
 * This file is shared by the daemon, the client libraries and the tests, so
 * it depends on nothing but libc.
 */
#ifndef IOASIDD_PROTO_UAPI_H
#define IOASIDD_PROTO_UAPI_H

#include <stddef.h>
#include <stdint.h>

/* What a field means; the trace uses this to pick a JSON form. */
enum uapi_kind {
	UK_SIZE = 1,	/* leading u32 size (iommufd) or argsz (VFIO) */
	UK_FLAGS,	/* a bit mask */
	UK_ID,		/* an object id in the context */
	UK_IOVA,	/* an I/O virtual address */
	UK_LEN,		/* a length in bytes */
	UK_COUNT,	/* a number of elements */
	UK_UPTR,	/* a pointer to a caller buffer, see uapi_field.buf */
	UK_UVA,		/* a caller virtual address that is mapped, not copied */
	UK_FD,		/* a file descriptor number in the caller */
	UK_ENUM,	/* a type, op or option selector */
	UK_VALUE,	/* any other number */
	UK_RESERVED,	/* must be zero (or is padding) */
	UK_BYTES,	/* opaque bytes (register dumps, tails) */
	/*
	 * An array of caller descriptor numbers (s32, -1 for none) in the
	 * struct's own tail, past its fixed part: len_a is the field that
	 * counts them, width one element. Only where the caller's struct
	 * reaches (argsz). VFIO_DEVICE_SET_IRQS's DATA_EVENTFD data.
	 */
	UK_FDS,
};

/* Which way the bytes of a field or a buffer travel. */
#define UD_IN		0x1	/* caller to daemon */
#define UD_OUT		0x2	/* daemon to caller */
#define UD_INOUT	(UD_IN | UD_OUT)

/* How long the buffer behind a UK_UPTR field is. */
enum uapi_buflen {
	UB_NONE = 0,
	UB_BYTES,	/* value of field len_a, in bytes */
	UB_COUNT,	/* value of field len_a times elem bytes */
	UB_PRODUCT,	/* value of field len_a times value of field len_b */
	UB_BITMAP,	/* DIV_ROUND_UP(len_a / len_b, 8) bytes (dirty bitmap) */
	UB_FIXED,	/* elem bytes */
};

struct uapi_struct;

struct uapi_field {
	const char			*name;
	uint16_t			 off;
	uint16_t			 width;		/* bytes */
	uint8_t				 kind;		/* enum uapi_kind */
	uint8_t				 dir;		/* UD_* */
	/* UK_UPTR only: the buffer the field points to. */
	uint8_t				 buf_dir;	/* UD_* */
	uint8_t				 buf_len;	/* enum uapi_buflen */
	int8_t				 len_a;		/* field index, or -1 */
	int8_t				 len_b;		/* field index, or -1 */
	uint32_t			 elem;		/* element bytes */
	const struct uapi_struct	*elem_type;	/* entry layout, or NULL */
};

/*
 * A struct whose layout depends on one of its fields (IOMMU_TEST_CMD's union
 * is chosen by "op"): each variant lists the whole struct's fields.
 */
struct uapi_variant {
	uint32_t			 value;
	const struct uapi_struct	*st;
};

struct uapi_struct {
	const char			*name;
	uint32_t			 size;		/* sizeof */
	uint32_t			 min_size;	/* smallest accepted size */
	const struct uapi_field		*fields;
	uint16_t			 nfields;
	/* Variants: field index that selects, or -1 when there are none. */
	int8_t				 sel;
	uint16_t			 nvariants;
	const struct uapi_variant	*variants;
};

/* How the ioctl's third argument is passed. */
enum uapi_argkind {
	UA_SIZED = 1,	/* pointer to a struct starting with u32 size */
	UA_ARGSZ,	/* pointer to a VFIO struct starting with u32 argsz */
	UA_VALUE,	/* the argument is an integer, not a pointer */
	UA_NONE,	/* no argument */
};

struct uapi_cmd {
	const char			*name;		/* "IOMMU_IOAS_MAP" */
	uint32_t			 num;		/* full ioctl number */
	uint8_t				 argkind;	/* enum uapi_argkind */
	const struct uapi_struct	*st;		/* NULL for UA_VALUE/NONE */
	/*
	 * A command of the VFIO device node. VFIO numbers its commands per
	 * file type, so a device command may share its number with a type1
	 * command of /dev/iommu (GET_PCI_HOT_RESET_INFO and
	 * VFIO_IOMMU_GET_INFO are both 0x3b70): uapi_cmd_find() gives the
	 * /dev/iommu row, uapi_cmd_find_dev() the device node's.
	 */
	uint8_t				 devnode;
};

/* A caller buffer that a command reads or writes beyond its own struct. */
struct uapi_buf {
	uint64_t			 uaddr;
	uint64_t			 len;
	uint8_t				 dir;		/* UD_* */
	const struct uapi_field		*field;		/* the UK_UPTR field */
};

/* Most buffers any command points to. */
#define UAPI_MAX_BUFS	4

extern const struct uapi_cmd	uapi_cmds[];
extern const size_t		uapi_ncmds;

/* The command with this exact ioctl number, or NULL. */
const struct uapi_cmd		*uapi_cmd_find(unsigned long num);
/* The same on a VFIO device node: its own rows first. */
const struct uapi_cmd		*uapi_cmd_find_dev(unsigned long num);
/* One of the two: on a device node when devnode is non-zero. */
const struct uapi_cmd		*uapi_cmd_find_on(unsigned long num,
				    int devnode);

/*
 * Kernel uAPI levels, major * 100 + minor: the kernels whose iommufd
 * answers ioasidd can give where they differ (the daemon's uapi-level).
 */
#define UAPI_LEVEL_6_12		612
#define UAPI_LEVEL_7_3		703
#define UAPI_LEVEL_LATEST	UAPI_LEVEL_7_3

/*
 * The level at which the iommufd command with this exact number first
 * appeared (612 style; IOMMU_TEST_CMD counts from the first iommufd), or 0
 * for a number that is not an iommufd command.
 */
unsigned int			 uapi_cmd_since(unsigned long num);

/* The command with this name ("IOMMU_IOAS_MAP"), or NULL. */
const struct uapi_cmd		*uapi_cmd_byname(const char *name);

/*
 * The struct layout that applies to these bytes: st itself, or the variant
 * its selector field names. len is how many bytes of the struct are known.
 * An unknown selector value gives st.
 */
const struct uapi_struct	*uapi_resolve(const struct uapi_struct *st,
				    const void *buf, size_t len);

/* The value of field f in buf (little-endian host order, zero-extended). */
uint64_t			 uapi_get(const struct uapi_field *f,
				    const void *buf);
void				 uapi_set(const struct uapi_field *f,
				    void *buf, uint64_t v);

/*
 * Whether the command (any variant of it) names a caller virtual address
 * that it maps (UK_UVA): only those need the caller's address space.
 */
int				 uapi_cmd_maps_uva(const struct uapi_cmd *);

/*
 * The payload bytes of every event of a vEVENTQ of this type (its
 * records are a header and that many bytes; a lost-events header has
 * none), or 0 for a type the table does not know.
 */
size_t				 uapi_vevent_len(uint32_t type);

/*
 * The records that move on the descriptors commands hand out: a fault
 * queue's iommu_hwpt_pgfault (read) and iommu_hwpt_page_response
 * (written), a vEVENTQ's iommufd_vevent_header (read, before each
 * event's payload).
 */
#define UAPI_REC_PGFAULT	1
#define UAPI_REC_PAGE_RESPONSE	2
#define UAPI_REC_VEVENT		3

/* The layout of one such record, or NULL for another kind. */
const struct uapi_struct	*uapi_record(int kind);

/* The field called name in st, or NULL. */
const struct uapi_field		*uapi_field_byname(const struct uapi_struct *st,
				    const char *name);

/*
 * The caller buffers that a command with struct bytes buf (len of them
 * known, zero-filled beyond) points to, in field order. Buffers whose
 * pointer is 0 or whose length is 0 are left out. Returns how many were
 * written to bufs (at most max), or -EINVAL for a layout the table cannot
 * describe.
 */
int				 uapi_bufs(const struct uapi_struct *st,
				    const void *buf, size_t len,
				    struct uapi_buf *bufs, int max);

/*
 * The caller descriptor numbers a command with struct bytes buf (len of
 * them known) names in a UK_FDS array, in order, -1 (none) left out,
 * each number once. Returns how many were written to fds (at most max),
 * or -ENOBUFS when there are more than max. Elements past len are not
 * named (the command will fail on its size).
 */
int				 uapi_fds(const struct uapi_struct *st,
				    const void *buf, size_t len, int32_t *fds,
				    int max);

#endif /* IOASIDD_PROTO_UAPI_H */
