/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The vEVENTQ object kind: a vIOMMU's event queue, read by the guest's
 * driver through a descriptor; its ops and IOMMU_VEVENTQ_ALLOC.
 *
 * It needs a vIOMMU, and a vIOMMU needs a device. Until devices exist the
 * handler makes every check the kernel makes up to and including the
 * object lookups, in its order, so a context without devices answers like
 * the kernel; what follows the lookups is later work and answers
 * EOPNOTSUPP meanwhile.
 *
 * The queue itself is here whole (veventq.h), for the device side to fill
 * and the tests to drive. Records are kept as the kernel keeps them: a
 * list of events, each with the sequence number it got when queued, and
 * the one lost-events marker, which is always last when present, so it is
 * a flag and its number rather than a list node. A new record (an event,
 * or the marker moved for a new drop) takes the marker off the tail
 * first, and the sequence counter advances for every record queued.
 *
 * How the records will reach the caller is the open part: the kernel's
 * depth counts events the caller has not read, and the daemon cannot see
 * what the caller has read out of a socket, so the descriptor is to serve
 * reads from this queue rather than carry the records in advance.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/describe.h"
#include "iommufd/objs.h"
#include "iommufd/veventq.h"

#include <linux/iommufd.h>

struct vevent {
	TAILQ_ENTRY(vevent)	 entry;
	uint32_t		 sequence;
	size_t			 len;
	uint8_t			 data[];
};

/* The sequence counter wraps to 0 after INT_MAX. */
static uint32_t
veventq_next(struct veventq *q)
{
	uint32_t	seq = q->sequence;

	q->sequence = (q->sequence + 1) & INT32_MAX;
	return (seq);
}

void
veventq_init(struct veventq *q, uint32_t depth)
{
	TAILQ_INIT(&q->events);
	q->queues = 1;
	q->depth = depth;
	q->nevents = 0;
	q->sequence = 0;
	q->lost = 0;
}

int
veventq_report(struct veventq *q, const void *data, size_t len)
{
	struct vevent	*ev;

	if (!q->queues || len == 0 || len > VEVENTQ_MAX_DATA)
		return (-EINVAL);
	/* The marker leaves the tail for whatever comes next. */
	q->lost = 0;
	if (q->nevents >= q->depth ||
	    (ev = malloc(sizeof(*ev) + len)) == NULL) {
		q->lost = 1;
		q->lost_seq = veventq_next(q);
		return (0);
	}
	ev->len = len;
	memcpy(ev->data, data, len);
	ev->sequence = veventq_next(q);
	TAILQ_INSERT_TAIL(&q->events, ev, entry);
	q->nevents++;
	return (0);
}

size_t
veventq_read(struct veventq *q, void *buf, size_t count)
{
	struct iommufd_vevent_header	 hdr;
	struct vevent			*ev;
	uint8_t				*p = buf;
	size_t				 done = 0;

	if (!q->queues)
		return (0);
	while ((ev = TAILQ_FIRST(&q->events)) != NULL) {
		if (count - done < sizeof(hdr) + ev->len)
			return (done);
		hdr.flags = 0;
		hdr.sequence = ev->sequence;
		memcpy(p + done, &hdr, sizeof(hdr));
		memcpy(p + done + sizeof(hdr), ev->data, ev->len);
		done += sizeof(hdr) + ev->len;
		TAILQ_REMOVE(&q->events, ev, entry);
		q->nevents--;
		free(ev);
	}
	if (q->lost && count - done >= sizeof(hdr)) {
		hdr.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
		hdr.sequence = q->lost_seq;
		memcpy(p + done, &hdr, sizeof(hdr));
		done += sizeof(hdr);
		q->lost = 0;
	}
	return (done);
}

void
veventq_clear(struct veventq *q)
{
	struct vevent	*ev;

	if (!q->queues)
		return;
	while ((ev = TAILQ_FIRST(&q->events)) != NULL) {
		TAILQ_REMOVE(&q->events, ev, entry);
		free(ev);
	}
	q->nevents = 0;
	q->lost = 0;
}

static void
veventq_destroy(struct obj *obj)
{
	struct veventq	*veventq = container_of(obj, struct veventq, obj);

	veventq_clear(veventq);
	if (veventq->viommu != NULL)
		obj_drop(veventq->viommu);
}

/* "viommu". */
static json_t *
veventq_describe(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct veventq,
	    obj)->viommu, "viommu", 0));
}

const struct obj_ops veventq_ops = {
	.name = "veventq",
	.size = sizeof(struct veventq),
	.destroy = veventq_destroy,
	.describe = veventq_describe,
};

/* IOMMU_VEVENTQ_ALLOC (spec 6.2). */
int
veventq_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_veventq_alloc	*cmd = ucmd->cmd_buf;
	struct obj			*viommu;
	int				 rc;

	if (cmd->flags != 0 || cmd->__reserved != 0 ||
	    cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return (-EOPNOTSUPP);
	if (cmd->veventq_depth == 0)
		return (-EINVAL);
	rc = obj_get(ucmd->ctx, cmd->viommu_id, OBJ_VIOMMU, &viommu);
	if (rc != 0)
		return (rc);
	/* The queue and its descriptor: later work. */
	return (-EOPNOTSUPP);
}
