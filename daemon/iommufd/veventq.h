/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A vEVENTQ's queue, as the device side fills it and the caller's reads
 * empty it (spec 6.2): records of an iommufd_vevent_header and its
 * payload, sequence numbers that count up and wrap after INT_MAX, at most
 * depth events, and one lost-events marker where events were dropped.
 */
#ifndef IOASIDD_VEVENTQ_H
#define IOASIDD_VEVENTQ_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct veventq;

/* The largest payload one event may carry (the largest type's is 32). */
#define VEVENTQ_MAX_DATA	256
/* The deepest queue VEVENTQ_ALLOC accepts (7.3's cap). */
#define VEVENTQ_MAX_DEPTH	(1u << 19)

/* Set the depth of a new queue (not 0); the queue starts empty. */
void	veventq_init(struct veventq *, uint32_t depth);
/*
 * Queue one event of len bytes (1 to VEVENTQ_MAX_DATA): 0, also when the
 * queue is full and the event is counted as lost; -EINVAL.
 */
int	veventq_report(struct veventq *, const void *data, size_t len);
/*
 * Take whole records into buf while they fit in count bytes, oldest
 * first, as a read() of the kernel's descriptor does: the bytes taken,
 * 0 when nothing is queued or the first record does not fit. Only what
 * has not gone to the caller's descriptor (all of it, without one).
 */
size_t	veventq_read(struct veventq *, void *buf, size_t count);
/* Drop every event (the queue's end). */
void	veventq_clear(struct veventq *);
/* The queue of this type on a vIOMMU object, or NULL. */
struct obj;
struct veventq *veventq_find(struct obj *viommu, uint32_t type);

#endif /* IOASIDD_VEVENTQ_H */
