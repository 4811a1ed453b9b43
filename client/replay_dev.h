/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Replay of the lines that are not calls on /dev/iommu (client/replay_dev.c):
 * VFIO device nodes and the descriptors that fault queues and vEVENTQs
 * hand out. client/replay.c calls these at its lines; the state they keep
 * (the device opens, the queue descriptors, the eventfds made, the reads
 * not yet done) is their own.
 *
 *  - A "device" line opens the daemon's device of the name it gives
 *    (through the resolver, the control socket's status), or of the
 *    recorded index when there is no resolver or the name is not known;
 *    the device's calls go to that open.
 *  - VFIO_DEVICE_BIND_IOMMUFD's iommufd names the replay's connection of
 *    the context the recorded open was bound to; SET_IRQS's eventfds are
 *    eventfds of ours (a descriptor that was not one, or not open, stays
 *    so: the recorded errno says which).
 *  - IOASIDD_MMAP, which the preload library sends for an mmap() of the
 *    iommufd and its munmap(), maps and unmaps the region here too.
 *  - A queue's descriptor is known once the call that handed it out is
 *    replayed. Its "fdread" lines are read when the call that produced
 *    the records has been replayed (the daemon traces the records before
 *    that call's line): after every replayed call, and with a wait at the
 *    next write, close or the end. What is read is compared with the
 *    recorded records, ids through the replay's pairs. "fdwrite" writes
 *    the recorded responses, "fdclose" closes ours; both wait until the
 *    daemon has taken them, so that the calls after them see what the
 *    recorded ones saw.
 */
#ifndef IOASIDD_CLIENT_REPLAY_DEV_H
#define IOASIDD_CLIENT_REPLAY_DEV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "uapi.h"

/*
 * The index of the daemon's device called name: 0, or -1 when unknown.
 * NULL: the recorded index is used.
 */
extern int	(*replay_dev_resolve)(const char *name, unsigned int *index);

struct replay_backend;

/*
 * The back end the device opens, their calls and the queues' settling
 * go through (replay.h), for the replay about to run.
 */
void		 replay_dev_begin(const struct replay_backend *);

/* Whether a line's node is a VFIO device node ("vfio0"). */
int		 replay_dev_is_node(const char *node);

/*
 * A "device" line: opens the device for traced context ctx through the
 * back end (the daemon at socket for one without open_device). Returns
 * 0 or -errno.
 */
int		 replay_dev_open(const char *socket, json_t *line);

/* The replay's descriptor of the device open of traced ctx, or -1. */
int		 replay_dev_fd(int64_t ctx);

/* A context's close: its device open (if it is one) goes. */
void		 replay_dev_close(int64_t ctx);

/*
 * The UK_FDS tail of layout st in buf (cap bytes), as decoded from the
 * trace: each descriptor the caller passed becomes an eventfd of ours,
 * or, for a call that failed with EBADF, one that is not open, and with
 * EINVAL a descriptor that is not an eventfd. Returns 0 or -errno.
 */
int		 replay_dev_fds(const struct uapi_struct *st, uint8_t *buf,
		    size_t cap, int want_err);

/*
 * A call of traced ctx replayed with success, its answer in buf (layout
 * st, as resolved) and its recorded line l: a queue descriptor it handed
 * out is kept under the recorded object id.
 */
void		 replay_dev_keep(int64_t ctx, const struct uapi_struct *st,
		    const uint8_t *buf, json_t *l);

/*
 * A call replayed with success, its answer in buf (layout st): for an
 * IOASIDD_MMAP, what the preload library did around the recorded one.
 * The descriptor handed out is mapped (shared, read and write, length
 * bytes) and closed, so that this process maps the region as the
 * recorded one did and a DESTROY of the vIOMMU meets the same EBUSY; a
 * notice of a munmap (IOASIDD_MMAP_UNMAP) unmaps that part of the
 * mapping of ctx that covers [offset, offset + length). Mappings outlive
 * their context, as the recorded ones did; replay_dev_free() ends those
 * left.
 */
void		 replay_dev_mmap(int64_t ctx, const struct uapi_struct *st,
		    const uint8_t *buf);

/*
 * Maps a recorded id of traced ctx to this run's (the replay's pairs):
 * returns whether there is a pair.
 */
typedef int	 replay_dev_lookup_fn(void *, int64_t ctx, uint64_t rec,
		    uint64_t *live);

/*
 * Reports a divergence at line index i (what, recorded, replayed), as
 * replay.c prints them.
 */
typedef void	 replay_dev_diverge_fn(void *, size_t i, const char *what,
		    json_t *rec, json_t *live);

/*
 * Whether the queue descriptor a descriptor line (its "ctx" and "obj")
 * names is one kept here, which replay_dev_fdline() closes on "fdclose".
 */
int		 replay_dev_has_queue(json_t *l);

/*
 * An "fdread", "fdwrite" or "fdclose" line, index i; settle_fd is the
 * back end's handle of the line's context (-1: none). Returns the number
 * of differences found now (reads may be compared later, by
 * replay_dev_poll()).
 */
int		 replay_dev_fdline(size_t i, json_t *l, void *arg,
		    replay_dev_lookup_fn *, replay_dev_diverge_fn *,
		    int settle_fd);

/*
 * Compares the reads that are waiting and whose records have come: with
 * wait set, waits for each a while and reports those that do not come.
 * Returns the number of differences.
 */
int		 replay_dev_poll(int wait, void *arg, replay_dev_lookup_fn *,
		    replay_dev_diverge_fn *);

/* Closes everything and forgets it. */
void		 replay_dev_free(void);

#endif /* IOASIDD_CLIENT_REPLAY_DEV_H */
