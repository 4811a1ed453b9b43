/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The vEVENTQ object kind: a vIOMMU's event queue, read by the guest's
 * driver through a descriptor; its ops, its queue and IOMMU_VEVENTQ_ALLOC.
 *
 * The queue keeps the kernel's rules (veventq.h): a list of events, each
 * with the sequence number it got when queued, and the one lost-events
 * marker, which is always last when present, so it is a flag and its
 * number rather than a list node. A new record (an event, or the marker
 * moved for a new drop) takes the marker off the tail first, and the
 * sequence counter advances for every record queued.
 *
 * The descriptor is the caller's end of a SOCK_STREAM pair (core/hfd.h):
 * each record goes into it as its header and payload, so a read() takes
 * as many whole records as its buffer holds, as the kernel's does, and
 * poll() says POLLIN while something is unread. A stream keeps no record
 * boundaries; the preload library serves read() of the descriptor with
 * the kernel's rules (whole records, EINVAL for a buffer smaller than the
 * first, 0 when empty), knowing each type's payload length. A reader
 * without it sees the plain stream.
 *
 * The depth counts the events the caller has not read, wherever they are.
 * The daemon learns what is still unread in the socket from SIOCOUTQ,
 * which on a unix socket is the memory of the packets not yet read; each
 * record is one packet, whose size is measured when it is sent, and the
 * caller reads them in order, so the unread ones are the newest whose
 * sizes add up to SIOCOUTQ. Once sent, a record cannot be taken back: a
 * marker the caller holds unread stays where the kernel would move it to
 * the tail with a new number (the next event's number then shows the gap
 * all the same), or drop it when an event follows.
 *
 * Events come from the device side: the selftest's TRIGGER_VEVENT, for
 * the vIOMMU behind a mock device's nested HWPT (selftest.c).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/sockios.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "core/limit.h"
#include "core/ioctl.h"
#include "core/trace.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/describe.h"
#include "iommufd/objs.h"
#include "iommufd/veventq.h"
#include "log.h"
#include "uapi.h"

#include <linux/iommufd.h>

struct vevent {
	TAILQ_ENTRY(vevent)	 entry;
	uint32_t		 sequence;
	uint32_t		 truesize;	/* once sent */
	int			 marker;	/* a lost-events header */
	size_t			 len;
	uint8_t			 data[];
};

static size_t
veventq_cost(size_t len)
{
	return (LIMIT_MALLOC(sizeof(struct vevent) + len));
}

static void
veventq_free(struct veventq *q, struct vevent *ev)
{
	limit_uncharge(&q->obj.ctx->lim, LIMIT_BYTES, 0,
	    veventq_cost(ev->len));
	free(ev);
}

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
	TAILQ_INIT(&q->sent);
	q->queues = 1;
	q->depth = depth;
	q->nevents = 0;
	q->nsent = 0;
	q->sent_bytes = 0;
	q->sequence = 0;
	q->lost = 0;
}

/* Forget the sent records the caller has read (see the top). */
static void
veventq_prune(struct veventq *q)
{
	struct vevent	*ev;
	int		 outq;

	if (q->hfd == NULL || TAILQ_EMPTY(&q->sent))
		return;
	if (ioctl(q->hfd->fd, SIOCOUTQ, &outq) == -1 || outq < 0)
		outq = 0;
	while (q->sent_bytes > (uint64_t)outq &&
	    (ev = TAILQ_FIRST(&q->sent)) != NULL) {
		TAILQ_REMOVE(&q->sent, ev, entry);
		q->sent_bytes -= ev->truesize;
		if (!ev->marker)
			q->nsent--;
		veventq_free(q, ev);
	}
}

/* Send one record: 0, or -EAGAIN when the socket is full. */
static int
veventq_send_one(struct veventq *q, struct vevent *ev)
{
	struct iommufd_vevent_header	 hdr;
	uint8_t				 rec[sizeof(hdr) + VEVENTQ_MAX_DATA];
	int				 before, after;
	ssize_t				 n;

	hdr.flags = ev->marker ? IOMMU_VEVENTQ_FLAG_LOST_EVENTS : 0;
	hdr.sequence = ev->sequence;
	memcpy(rec, &hdr, sizeof(hdr));
	memcpy(rec + sizeof(hdr), ev->data, ev->len);
	if (ioctl(q->hfd->fd, SIOCOUTQ, &before) == -1)
		before = 0;
	n = send(q->hfd->fd, rec, sizeof(hdr) + ev->len,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1)
		return (errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN :
		    -errno);
	if (ioctl(q->hfd->fd, SIOCOUTQ, &after) == -1 || after <= before)
		after = before + 1;
	trace_obj_fd(&q->obj, "fdread", UAPI_REC_VEVENT, rec, (size_t)n);
	ev->truesize = (uint32_t)(after - before);
	q->sent_bytes += ev->truesize;
	TAILQ_INSERT_TAIL(&q->sent, ev, entry);
	if (!ev->marker)
		q->nsent++;
	return (0);
}

/* Send what waits, events then the marker, while the socket takes them. */
static void
veventq_send(struct veventq *q)
{
	struct vevent	*ev;
	int		 rc = 0;

	if (q->hfd == NULL)
		return;
	while (rc == 0 && (ev = TAILQ_FIRST(&q->events)) != NULL) {
		TAILQ_REMOVE(&q->events, ev, entry);
		if ((rc = veventq_send_one(q, ev)) != 0)
			TAILQ_INSERT_HEAD(&q->events, ev, entry);
		else
			q->nevents--;
	}
	if (rc == 0 && q->lost && limit_charge(&q->obj.ctx->lim, LIMIT_BYTES,
	    0, veventq_cost(0)) == 0) {
		if ((ev = calloc(1, sizeof(*ev))) == NULL)
			limit_uncharge(&q->obj.ctx->lim, LIMIT_BYTES, 0,
			    veventq_cost(0));
		else {
			ev->marker = 1;
			ev->sequence = q->lost_seq;
			if ((rc = veventq_send_one(q, ev)) == 0)
				q->lost = 0;
			else
				veventq_free(q, ev);
		}
	}
	if (rc != 0 && rc != -EAGAIN)
		log_debug("veventq %u: send: %s", q->obj.id, strerror(-rc));
	hfd_want_output(q->hfd, rc == -EAGAIN);
}

/* Does the caller hold the marker, unread, as the newest record? */
static int
veventq_marker_sent(struct veventq *q)
{
	struct vevent	*last;

	if (!TAILQ_EMPTY(&q->events) || q->lost)
		return (0);
	last = TAILQ_LAST(&q->sent, vevent_list);
	return (last != NULL && last->marker);
}

int
veventq_report(struct veventq *q, const void *data, size_t len)
{
	struct vevent	*ev = NULL;
	int		 sent_marker;

	if (!q->queues || len == 0 || len > VEVENTQ_MAX_DATA)
		return (-EINVAL);
	veventq_prune(q);
	sent_marker = veventq_marker_sent(q);
	/* The marker leaves the tail for whatever comes next. */
	q->lost = 0;
	if (q->nevents + q->nsent < q->depth &&
	    limit_charge(&q->obj.ctx->lim, LIMIT_BYTES, 0,
	    veventq_cost(len)) == 0) {
		if ((ev = malloc(sizeof(*ev) + len)) == NULL)
			limit_uncharge(&q->obj.ctx->lim, LIMIT_BYTES, 0,
			    veventq_cost(len));
	}
	if (ev == NULL) {
		/* Lost: the marker goes (back) to the tail. */
		if (sent_marker)
			(void)veventq_next(q);
		else {
			q->lost = 1;
			q->lost_seq = veventq_next(q);
		}
	} else {
		ev->len = len;
		ev->marker = 0;
		ev->truesize = 0;
		memcpy(ev->data, data, len);
		ev->sequence = veventq_next(q);
		TAILQ_INSERT_TAIL(&q->events, ev, entry);
		q->nevents++;
	}
	veventq_send(q);
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
		veventq_free(q, ev);
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
		veventq_free(q, ev);
	}
	while ((ev = TAILQ_FIRST(&q->sent)) != NULL) {
		TAILQ_REMOVE(&q->sent, ev, entry);
		veventq_free(q, ev);
	}
	q->nevents = 0;
	q->nsent = 0;
	q->sent_bytes = 0;
	q->lost = 0;
}

struct veventq *
veventq_find(struct obj *viommu, uint32_t type)
{
	struct viommu	*v = container_of(viommu, struct viommu, obj);
	struct veventq	*q;

	LIST_FOREACH(q, &v->veventqs, viommu_entry) {
		if (q->type == type)
			return (q);
	}
	return (NULL);
}

/* The caller let go of the descriptor: nothing can read the queue now. */
static void
veventq_hangup(struct hfd *hfd)
{
	struct veventq	*q = container_of(hfd->obj, struct veventq, obj);

	q->hfd = NULL;
	veventq_clear(q);
	hfd_free(hfd, 1);
}

static void
veventq_output(struct hfd *hfd)
{
	veventq_send(container_of(hfd->obj, struct veventq, obj));
}

static const struct hfd_ops veventq_hfd_ops = {
	.hangup = veventq_hangup,
	.output = veventq_output,
};

static void
veventq_destroy(struct obj *obj)
{
	struct veventq	*veventq = container_of(obj, struct veventq, obj);

	veventq_clear(veventq);
	if (veventq->on_viommu)
		LIST_REMOVE(veventq, viommu_entry);
	if (veventq->viommu != NULL)
		obj_drop(veventq->viommu);
	/* Only abort and the end of the context get here with it open. */
	if (veventq->hfd != NULL)
		hfd_free(veventq->hfd, 0);
	veventq->hfd = NULL;
}

/* "viommu", "type", "depth", "open" and "queued" (events not yet read). */
static json_t *
veventq_describe(struct obj *obj)
{
	struct veventq	*q = container_of(obj, struct veventq, obj);
	json_t		*o;

	if ((o = describe_holder(q->viommu, "viommu", 0)) == NULL)
		return (NULL);
	veventq_prune(q);
	if (describe_set(o, "type", json_integer(q->type)) != 0 ||
	    describe_set(o, "depth", json_integer(q->depth)) != 0 ||
	    describe_set(o, "open", json_boolean(q->hfd != NULL)) != 0 ||
	    describe_set(o, "queued", json_integer(q->nevents +
	    q->nsent)) != 0) {
		json_decref(o);
		return (NULL);
	}
	return (o);
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
	struct viommu			*v;
	struct veventq			*q;
	struct obj			*viommu, *obj;
	int				 peer, rc;

	if (cmd->flags != 0 || cmd->__reserved != 0 ||
	    cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return (-EOPNOTSUPP);
	if (cmd->veventq_depth == 0 || cmd->veventq_depth > VEVENTQ_MAX_DEPTH)
		return (-EINVAL);
	rc = obj_get(ucmd->ctx, cmd->viommu_id, OBJ_VIOMMU, &viommu);
	if (rc != 0)
		return (rc);
	if (veventq_find(viommu, cmd->type) != NULL)
		return (-EEXIST);
	if ((rc = obj_alloc(ucmd->ctx, OBJ_VEVENTQ, &obj)) != 0)
		return (rc);
	q = container_of(obj, struct veventq, obj);
	veventq_init(q, cmd->veventq_depth);
	q->type = cmd->type;
	q->viommu = viommu;
	obj_hold(viommu);
	if ((rc = hfd_new(obj, SOCK_STREAM, HFD_NONBLOCK,
	    &veventq_hfd_ops, &peer,
	    &q->hfd)) != 0) {
		obj_abort(obj);
		return (rc);
	}
	/* The descriptor first, as for a fault queue (fault.c). */
	if ((rc = ucmd_putfd(ucmd, peer, ucmd->arg +
	    offsetof(struct iommu_veventq_alloc, out_veventq_fd))) != 0) {
		close(peer);
		obj_abort(obj);
		return (rc);
	}
	cmd->out_veventq_id = obj->id;
	if ((rc = ucmd_respond(ucmd, offsetof(struct iommu_veventq_alloc,
	    out_veventq_fd))) != 0) {
		obj_abort(obj);
		return (rc);
	}
	/* On the list at once: a second queue of the type is EEXIST. */
	v = container_of(viommu, struct viommu, obj);
	LIST_INSERT_HEAD(&v->veventqs, q, viommu_entry);
	q->on_viommu = 1;
	ucmd_finalize(ucmd, obj);
	return (0);
}
