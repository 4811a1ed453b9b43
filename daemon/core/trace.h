/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The JSON trace: one line per ioctl on any node, per open and close, per
 * control action, written by a thread of its own.
 *
 * The ioctl path never waits on storage. A call copies its raw bytes (the
 * struct as the caller sent it, the struct as it goes back, the caller
 * buffers, bounded) into a record and queues it; nothing is encoded and
 * nothing written there. The queue is bounded (TRACE_QUEUE_BYTES): a
 * record that does not fit is dropped and counted, and the writer puts a
 * "dropped" line with the count into the trace, and status shows it. The
 * writer takes the whole queue at once, encodes the records with
 * proto/tracefmt.c and writes them with one write(2) per batch, and takes
 * what came in meanwhile; an empty queue is looked at again after
 * TRACE_FLUSH_MS (or when it is half full). A crash loses what is
 * queued: the records of the last TRACE_FLUSH_MS when the writer keeps
 * up, at most TRACE_QUEUE_BYTES of them when it does not.
 * trace_stop() writes everything left.
 *
 * A VFIO device node's lines name it ("vfio0"): a "device" line when a
 * context turns out to be an open of one (its detail the device's name),
 * then its ioctls with "bound_ctx", the iommufd context the open is bound
 * to once the call is done. The records that move on the descriptors
 * fault queues and vEVENTQs hand out are lines of their own (trace_fd()).
 *
 * The first line of every file is a header: the format version, the
 * ioasidd version, the kernel uAPI level answered and the hardware-model
 * configuration. A file that reaches max_size is rotated: path.1 ... 
 * path.ROTATE keep the older ones (0: the file starts again).
 *
 * A recording ("ioasidctl record") is a second destination, kept apart
 * from the file: the contexts opened by a process under the recording's
 * root (its pid or a descendant, as /proc says at the open) have every
 * record copied into the recording's own bounded list, whether or not
 * the file is written, and the root takes them out as JSON lines with
 * trace_record_read() over the control socket. The daemon opens no path
 * for it and never waits on the reader: a record that does not fit is
 * dropped and counted, and the next read puts a "dropped" line where
 * it was. A recording whose root has gone is freed at the next
 * recording or context open.
 */
#ifndef IOASIDD_TRACE_H
#define IOASIDD_TRACE_H

#include <sys/types.h>

#include <stdint.h>

#include <jansson.h>

struct ctx;
struct obj;
struct uregions;

#define TRACE_FORMAT		1
#define TRACE_QUEUE_BYTES	(32U << 20)
#define TRACE_FLUSH_MS		20
/* Most bytes of a call's own struct kept (the largest is far smaller). */
#define TRACE_MAX_STRUCT	1024
/* Most bytes of mapped memory one call's "memread" lines keep. */
#define TRACE_MEM_MAX		(64U << 10)
/* Recordings at once, record bytes each keeps, line bytes one read takes. */
#define TRACE_MAX_RECORDINGS	8
#define TRACE_RECORD_BYTES	(16U << 20)
#define TRACE_RECORD_READ	(4U << 20)

/* Where a call came in: the context and the node it was made on. */
struct trace_site {
	uint32_t	 ctx;		/* context id; 0 for none */
	pid_t		 pid;
	const char	*node;		/* "iommu", "vfio0", ... */
	int		 devnode;	/* a VFIO device node's table */
	uint32_t	 bound;		/* a device node's iommufd context */
};

struct trace_stats {
	int		 active;	/* a file is being written */
	int		 all;		/* every context traced */
	uint64_t	 records;	/* queued since start */
	uint64_t	 dropped;	/* queue full */
	uint64_t	 written;	/* lines written */
	uint64_t	 bytes;		/* bytes written to the current file */
	uint64_t	 rotations;
	int		 error;		/* last write error (errno), or 0 */
};

/*
 * Starts writing to path (appending), with the header built from hw (a
 * JSON value describing the hardware configuration; the reference is
 * taken) and uapi_level ("7.3"). max_size 0 is no limit. Contexts are
 * traced when all is set or when turned on one by one. Returns 0 or
 * -errno (the file cannot be opened, no thread). A running trace is
 * stopped first.
 */
int		 trace_start(const char *path, uint64_t max_size,
		    unsigned int rotate, int all, json_t *hw,
		    const char *uapi_level);
/* Writes every queued record and stops the writer. */
void		 trace_stop(void);

/*
 * Tracing of one context (id != 0) or of all (id 0) on or off. Turning a
 * context on when no file is being written does nothing: -ENOENT.
 */
int		 trace_set(uint32_t ctx, int on);
/* Whether calls of this context are traced now. */
int		 trace_enabled(uint32_t ctx);
void		 trace_get_stats(struct trace_stats *);
/* The path being written, or NULL. */
const char	*trace_path(void);

/*
 * The header of the recordings made from now: hw (reference taken) and
 * uapi_level as for trace_start().
 */
void		 trace_set_header(json_t *hw, const char *uapi_level);

/*
 * Starts a recording for the contexts opened by root and its descendants.
 * Returns its id (> 0) and, in *header, a new reference to the header
 * line's object; or -ENOSPC (TRACE_MAX_RECORDINGS recordings running),
 * -ENOMEM.
 */
int		 trace_record_start(pid_t root, json_t **header);

/*
 * Takes the lines of recording id waiting for peer (its root; any other
 * pid gets -ESRCH, as for an id that is not there), at most about
 * TRACE_RECORD_READ bytes of them, into body: "lines" (text, one JSON
 * line each), "more" (lines are left), "open" (its contexts not yet
 * closed). With end set, the recording is freed once a read leaves
 * nothing. Returns 0 or -errno.
 */
int		 trace_record_read(uint32_t id, pid_t peer, int end,
		    json_t *body);

/* Monotonic nanoseconds, the trace's clock. */
uint64_t	 trace_now(void);

/*
 * One ioctl answered through caller regions (the socket; CUSE's last
 * round): its struct and buffers are read from ur's regions as they came
 * and its answer from ur's writes. t0 is trace_now() before the call.
 * ctx, when not NULL, is the context whose handed-out descriptors (hfd.h)
 * the call's descriptor fields may name: the line says which object each
 * such descriptor belongs to ("fd_obj").
 */
void		 trace_ioctl(const struct trace_site *, struct ctx *ctx,
		    unsigned int num, uint64_t arg, const struct uregions *ur,
		    long result, uint64_t t0);

/*
 * Any other event: "open", "close", "control" and the like, with a short
 * detail text (may be NULL).
 */
void		 trace_event(const struct trace_site *, const char *type,
		    const char *detail);

/*
 * Bytes that moved on a descriptor a command handed out (a fault queue's,
 * a vEVENTQ's): type "fdread" for records the caller gets to read (fault
 * records, events; traced when the daemon hands them to the descriptor),
 * "fdwrite" for those it wrote (page responses), "fdclose" when it closed
 * the descriptor (data NULL). rec is a UAPI_REC_* layout, obj the id of
 * the object behind the descriptor. At most TRACEFMT_MAX_BUF bytes are
 * kept; len is the whole length.
 */
void		 trace_fd(const struct trace_site *, const char *type,
		    int rec, uint32_t obj, const void *data, size_t len);
/*
 * Bytes of a caller's mapped memory at uva that a call of ctx read
 * (ACCESS_RW): a "memread" line before the call's own, so that a replay
 * can put the same bytes there first. The trace holds what a program
 * wrote to its memory only where the daemon read it. A line holds at
 * most TRACEFMT_MAX_BUF bytes, a call at most TRACE_MEM_MAX.
 */
void		 trace_mem(const struct ctx *ctx, uint64_t uva,
		    const void *data, size_t len);
/*
 * trace_fd() for the descriptor of obj, at a site named after its kind
 * ("fault", "veventq", "access") in its context, with the opener's pid.
 */
void		 trace_obj_fd(const struct obj *obj, const char *type,
		    int rec, const void *data, size_t len);

#endif /* IOASIDD_TRACE_H */
