/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Fault queues (IOMMU_FAULT_QUEUE_ALLOC, spec 6.1): an object and a
 * descriptor through which a VMM reads I/O page request groups and writes
 * the responses.
 *
 * The descriptor is the caller's end of a SOCK_SEQPACKET pair (core/hfd.h).
 * Each group goes to it as one packet of whole iommu_hwpt_pgfault records,
 * so a read() of a buffer as large as a group returns the group whole, and
 * each packet the caller writes is a run of iommu_hwpt_page_response
 * records, taken in order. The preload library serves read() and write()
 * of the descriptor with the kernel's rules (as many whole groups as fit,
 * 0 when none waits, ESPIPE for lengths that are not whole records).
 * Where the kernel's file and the bare socket still differ, the caller
 * sees the socket: without the library a read returns one group, and an
 * empty queue fails with EAGAIN (the descriptor is non-blocking, so that
 * it never waits, as the kernel's never does); and a bad response cannot
 * fail the write that carried it (the kernel's EINVAL), so the queue
 * stops at it and drops the rest of that packet, as the kernel stops at
 * the first bad record. poll() is real: POLLIN while a group waits,
 * POLLOUT always.
 *
 * A group gets its cookie when it is sent, which is when the kernel's read
 * would give it one: the lowest number from 1 not held by a group
 * awaiting its answer. Groups wait in the daemon while the socket's
 * buffer is full, and go when the event loop says it takes more.
 *
 * Lifetime: while the descriptor is open it holds the object (DESTROY
 * answers EBUSY). When the caller closes it, every group still waiting is
 * answered INVALID and the object stays until DESTROY or close, as the
 * kernel's does.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "core/ioctl.h"
#include "core/trace.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/describe.h"
#include "iommufd/fault.h"
#include "iommufd/objs.h"
#include "log.h"
#include "uapi.h"

#include <linux/iommufd.h>

struct fault_group {
	TAILQ_ENTRY(fault_group) entry;
	fault_respond_fn	*respond;
	void			*arg;
	uint32_t		 cookie;	/* 0 until sent */
	uint32_t		 attach;	/* the device's PASID or RID */
	unsigned int		 nrecs;
	struct iommu_hwpt_pgfault recs[];
};

/* Packets of responses served per readiness, so one caller cannot hog. */
#define FAULT_INPUT_BATCH	64

static void
fault_queues_init(struct fault *fault)
{
	if (fault->queues)
		return;
	TAILQ_INIT(&fault->pending);
	TAILQ_INIT(&fault->sent);
	fault->queues = 1;
}

/*
 * The lowest cookie from 1 that no sent group holds, from a bitmap: at
 * most FAULT_MAX_GROUPS are held, so one of the first FAULT_MAX_GROUPS + 1
 * is free, and a word at a time finds it.
 */
_Static_assert(FAULT_COOKIE_WORDS * 64 > FAULT_MAX_GROUPS + 1,
    "a bit for every cookie a full queue can hold");

static uint32_t
fault_cookie(struct fault *fault)
{
	unsigned int	w;
	uint64_t	free_bits;

	fault->cookies[0] |= 1;		/* 0 is never a cookie */
	for (w = 0; w < FAULT_COOKIE_WORDS; w++) {
		if ((free_bits = ~fault->cookies[w]) != 0)
			return (w * 64 + (uint32_t)__builtin_ctzll(free_bits));
	}
	return (0);	/* not reached: see the assertion */
}

static void
fault_cookie_set(struct fault *fault, uint32_t c, int held)
{
	if (c / 64 >= FAULT_COOKIE_WORDS)
		return;
	if (held)
		fault->cookies[c / 64] |= 1ULL << (c % 64);
	else
		fault->cookies[c / 64] &= ~(1ULL << (c % 64));
}

/* A sent group leaves its list: its cookie is free again. */
static void
fault_sent_remove(struct fault *fault, struct fault_group *g)
{
	TAILQ_REMOVE(&fault->sent, g, entry);
	fault->nsent--;
	fault_cookie_set(fault, g->cookie, 0);
}

/* Answer a group that has left its list, and free it. */
static void
fault_group_answer(struct fault_group *g, uint32_t code)
{
	if (g->respond != NULL)
		g->respond(g->arg, g->recs[0].dev_id, g->recs[0].grpid, code);
	free(g);
}

/* Answer every group INVALID: the caller will not read them. */
static void
fault_answer_all(struct fault *fault)
{
	struct fault_group	*g;

	if (!fault->queues)
		return;
	while ((g = TAILQ_FIRST(&fault->sent)) != NULL) {
		fault_sent_remove(fault, g);
		fault_group_answer(g, IOMMUFD_PAGE_RESP_INVALID);
	}
	while ((g = TAILQ_FIRST(&fault->pending)) != NULL) {
		TAILQ_REMOVE(&fault->pending, g, entry);
		fault->npending--;
		fault_group_answer(g, IOMMUFD_PAGE_RESP_INVALID);
	}
}

static struct fault_group *
fault_sent_find(struct fault *fault, uint32_t cookie)
{
	struct fault_group	*g;

	/* Most refused cookies are not held at all. */
	if (cookie == 0 || cookie / 64 >= FAULT_COOKIE_WORDS ||
	    !(fault->cookies[cookie / 64] & (1ULL << (cookie % 64))))
		return (NULL);
	TAILQ_FOREACH(g, &fault->sent, entry) {
		if (g->cookie == cookie)
			return (g);
	}
	return (NULL);
}

/* Send the waiting groups while the caller's socket takes them. */
static void
fault_send(struct fault *fault)
{
	struct fault_group	*g;
	unsigned int		 i;
	ssize_t			 n;

	if (fault->hfd == NULL)
		return;
	while ((g = TAILQ_FIRST(&fault->pending)) != NULL) {
		g->cookie = fault_cookie(fault);
		for (i = 0; i < g->nrecs; i++)
			g->recs[i].cookie = g->cookie;
		n = send(fault->hfd->fd, g->recs, g->nrecs * sizeof(g->recs[0]),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1) {
			g->cookie = 0;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				hfd_want_output(fault->hfd, 1);
			else
				log_debug("fault %u: send: %s", fault->obj.id,
				    strerror(errno));
			return;
		}
		trace_obj_fd(&fault->obj, "fdread", UAPI_REC_PGFAULT,
		    g->recs, (size_t)n);
		TAILQ_REMOVE(&fault->pending, g, entry);
		fault->npending--;
		TAILQ_INSERT_TAIL(&fault->sent, g, entry);
		fault->nsent++;
		fault_cookie_set(fault, g->cookie, 1);
	}
	hfd_want_output(fault->hfd, 0);
}

/* The caller's socket takes more again. */
static void
fault_output(struct hfd *hfd)
{
	fault_send(container_of(hfd->obj, struct fault, obj));
}

int
fault_report(struct fault *fault, const struct iommu_hwpt_pgfault *recs,
    unsigned int n, fault_respond_fn *respond, void *arg)
{
	uint32_t	 attach = FAULT_ATTACH_RID;

	if (n != 0 && (recs[0].flags & IOMMU_PGFAULT_FLAGS_PASID_VALID))
		attach = recs[0].pasid;
	return (fault_report_attach(fault, attach, recs, n, respond, arg));
}

int
fault_report_attach(struct fault *fault, uint32_t attach,
    const struct iommu_hwpt_pgfault *recs, unsigned int n,
    fault_respond_fn *respond, void *arg)
{
	struct fault_group	*g;

	if (n == 0 || n > FAULT_MAX_RECORDS ||
	    !(recs[n - 1].flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE))
		return (-EINVAL);
	if (fault->hfd == NULL)
		return (-EPIPE);
	if (fault->npending + fault->nsent >= FAULT_MAX_GROUPS)
		return (-ENOSPC);
	if ((g = malloc(sizeof(*g) + n * sizeof(recs[0]))) == NULL)
		return (-ENOMEM);
	g->respond = respond;
	g->arg = arg;
	g->cookie = 0;
	g->attach = attach;
	g->nrecs = n;
	memcpy(g->recs, recs, n * sizeof(recs[0]));
	fault_queues_init(fault);
	TAILQ_INSERT_TAIL(&fault->pending, g, entry);
	fault->npending++;
	fault_send(fault);
	return (0);
}

/* Answer INVALID for the groups of dev_id, of one attachment or all. */
static void
fault_cancel(struct fault *fault, uint32_t dev_id, int all, uint32_t attach)
{
	struct fault_group	*g, *tmp;

	if (!fault->queues)
		return;
	TAILQ_FOREACH_SAFE(g, &fault->sent, entry, tmp) {
		if (g->recs[0].dev_id != dev_id || (!all && g->attach != attach))
			continue;
		fault_sent_remove(fault, g);
		fault_group_answer(g, IOMMUFD_PAGE_RESP_INVALID);
	}
	TAILQ_FOREACH_SAFE(g, &fault->pending, entry, tmp) {
		if (g->recs[0].dev_id != dev_id || (!all && g->attach != attach))
			continue;
		TAILQ_REMOVE(&fault->pending, g, entry);
		fault->npending--;
		fault_group_answer(g, IOMMUFD_PAGE_RESP_INVALID);
	}
}

void
fault_cancel_dev(struct fault *fault, uint32_t dev_id)
{
	fault_cancel(fault, dev_id, 1, 0);
}

void
fault_cancel_attach(struct fault *fault, uint32_t dev_id, uint32_t attach)
{
	fault_cancel(fault, dev_id, 0, attach);
}

/*
 * One packet of responses: records in order, stopping at the first that
 * the kernel would refuse (a partial record, an unknown code, a cookie
 * not awaiting an answer).
 */
static void
fault_responses(struct fault *fault, const uint8_t *p, size_t len)
{
	struct iommu_hwpt_page_response	 r;
	struct fault_group		*g;

	for (; len >= sizeof(r); p += sizeof(r), len -= sizeof(r)) {
		memcpy(&r, p, sizeof(r));
		if (r.code != IOMMUFD_PAGE_RESP_SUCCESS &&
		    r.code != IOMMUFD_PAGE_RESP_INVALID)
			break;
		if ((g = fault_sent_find(fault, r.cookie)) == NULL)
			break;
		fault_sent_remove(fault, g);
		fault_group_answer(g, r.code);
	}
	if (len != 0)
		log_debug("fault %u: %zu bytes of responses refused",
		    fault->obj.id, len);
}

static void
fault_input(struct hfd *hfd)
{
	struct fault	*fault = container_of(hfd->obj, struct fault, obj);
	uint64_t	 buf[512];	/* 512 responses; longer is cut */
	unsigned int	 i;
	ssize_t		 n;

	fault_queues_init(fault);
	for (i = 0; i < FAULT_INPUT_BATCH; i++) {
		n = recv(hfd->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n <= 0)
			break;
		trace_obj_fd(&fault->obj, "fdwrite", UAPI_REC_PAGE_RESPONSE,
		    buf, MIN((size_t)n, sizeof(buf)));
		fault_responses(fault, (const uint8_t *)buf,
		    MIN((size_t)n, sizeof(buf)));
	}
	fault_send(fault);
}

/* The caller closed its descriptor: answer everything, keep the object. */
static void
fault_hangup(struct hfd *hfd)
{
	struct fault	*fault = container_of(hfd->obj, struct fault, obj);

	fault->hfd = NULL;
	fault_answer_all(fault);
	hfd_free(hfd, 1);
}

static const struct hfd_ops fault_hfd_ops = {
	.input = fault_input,
	.hangup = fault_hangup,
	.output = fault_output,
};

static void
fault_destroy(struct obj *obj)
{
	struct fault	*fault = container_of(obj, struct fault, obj);

	fault_answer_all(fault);
	/* Only abort and the end of the context get here with it open. */
	if (fault->hfd != NULL)
		hfd_free(fault->hfd, 0);
	fault->hfd = NULL;
}

/* "open" (the descriptor), "waiting" (not yet read), "unanswered". */
static json_t *
fault_describe(struct obj *obj)
{
	struct fault	*fault = container_of(obj, struct fault, obj);
	json_t		*o;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (describe_set(o, "open", json_boolean(fault->hfd != NULL)) != 0 ||
	    describe_set(o, "waiting", json_integer(fault->npending)) != 0 ||
	    describe_set(o, "unanswered", json_integer(fault->nsent)) != 0) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

const struct obj_ops fault_ops = {
	.name = "fault",
	.size = sizeof(struct fault),
	.destroy = fault_destroy,
	.describe = fault_describe,
};

/* IOMMU_FAULT_QUEUE_ALLOC (spec 6.1). */
int
fault_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_fault_alloc	*cmd = ucmd->cmd_buf;
	struct fault			*fault;
	struct obj			*obj;
	int				 peer, rc;

	if (cmd->flags != 0)
		return (-EOPNOTSUPP);
	if ((rc = obj_alloc(ucmd->ctx, OBJ_FAULT, &obj)) != 0)
		return (rc);
	fault = container_of(obj, struct fault, obj);
	fault_queues_init(fault);
	if ((rc = hfd_new(obj, SOCK_SEQPACKET, HFD_NONBLOCK,
	    &fault_hfd_ops, &peer,
	    &fault->hfd)) != 0) {
		obj_abort(obj);
		return (rc);
	}
	/*
	 * The descriptor first, as the kernel reserves its number first: a
	 * transport that cannot give one answers so whatever the struct.
	 * Once given, the descriptor is the transport's to close.
	 */
	if ((rc = ucmd_putfd(ucmd, peer, ucmd->arg +
	    offsetof(struct iommu_fault_alloc, out_fault_fd))) != 0) {
		close(peer);
		obj_abort(obj);
		return (rc);
	}
	/* Up to the id: the number is the transport's to write. */
	cmd->out_fault_id = obj->id;
	if ((rc = ucmd_respond(ucmd, offsetof(struct iommu_fault_alloc,
	    out_fault_fd))) != 0) {
		obj_abort(obj);
		return (rc);
	}
	ucmd_finalize(ucmd, obj);
	return (0);
}
