/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Replay of VFIO device node opens, their eventfds, and the reads, writes
 * and closes of the descriptors fault queues and vEVENTQs hand out (see
 * replay_dev.h).
 */
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ioasid.h"
#include "ioasidd.h"
#include "replay.h"
#include "replay_dev.h"
#include "tracefmt.h"
#include "uapi.h"

#include <linux/iommufd.h>

#define RD_MAX		256		/* opens, queues, waiting reads */
#define RD_MAX_FDS	4096		/* eventfds made */
#define RD_WAIT_MS	1000		/* for records that should come */
#define RD_BADFD	(1 << 30)	/* a descriptor number never open */
#define RD_READ		(TRACEFMT_MAX_BUF + 64)

/* A device open or a queue descriptor of a traced context. */
struct rd_fd {
	int64_t		 ctx;
	uint64_t	 obj;		/* queues: the recorded id */
	int		 fd;
};

/* A region of a vIOMMU mapped as the recorded caller mapped it. */
struct rd_map {
	int64_t		 ctx;
	uint64_t	 offset, len;
	uint8_t		*p;
};

/* An "fdread" line waiting for its records. */
struct rd_read {
	size_t		 i;
	json_t		*line;
};

int	(*replay_dev_resolve)(const char *, unsigned int *);

static const struct replay_backend *rd_be;

static struct rd_fd	rd_devs[RD_MAX], rd_queues[RD_MAX];
static size_t		rd_ndevs, rd_nqueues;
static struct rd_read	rd_reads[RD_MAX];
static size_t		rd_nreads;
static int		rd_made[RD_MAX_FDS];
static size_t		rd_nmade;
static struct rd_map	rd_maps[RD_MAX];
static size_t		rd_nmaps;

void
replay_dev_begin(const struct replay_backend *be)
{
	rd_be = be;
}

/* The last close of device handle fd. */
static void
rd_dev_close(int fd)
{
	if (rd_be != NULL && rd_be->close_device != NULL)
		rd_be->close_device(rd_be->priv, fd);
	else
		ioasid_close(fd);
}

int
replay_dev_is_node(const char *node)
{
	return (node != NULL && strncmp(node, "vfio", 4) == 0 &&
	    node[4] >= '0' && node[4] <= '9');
}

int
replay_dev_open(const char *socket, json_t *l)
{
	const char	*node, *name;
	unsigned int	 index;
	int		 fd;

	node = json_string_value(json_object_get(l, "node"));
	name = json_string_value(json_object_get(l, "detail"));
	if (!replay_dev_is_node(node) || rd_ndevs == RD_MAX)
		return (-EINVAL);
	index = (unsigned int)strtoul(node + 4, NULL, 10);
	if (rd_be != NULL && rd_be->open_device != NULL)
		fd = rd_be->open_device(rd_be->priv, name, index);
	else {
		/* The daemon's device of that name, wherever it is now. */
		if (name != NULL && replay_dev_resolve != NULL)
			(void)replay_dev_resolve(name, &index);
		fd = ioasid_open_device(socket, index);
	}
	if (fd < 0)
		return (fd);
	rd_devs[rd_ndevs].ctx = json_integer_value(json_object_get(l, "ctx"));
	rd_devs[rd_ndevs].fd = fd;
	rd_ndevs++;
	return (0);
}

int
replay_dev_fd(int64_t ctx)
{
	size_t	i;

	for (i = 0; i < rd_ndevs; i++) {
		if (rd_devs[i].ctx == ctx)
			return (rd_devs[i].fd);
	}
	return (-1);
}

void
replay_dev_close(int64_t ctx)
{
	size_t	i;

	for (i = 0; i < rd_ndevs; i++) {
		if (rd_devs[i].ctx != ctx)
			continue;
		rd_dev_close(rd_devs[i].fd);
		rd_devs[i] = rd_devs[--rd_ndevs];
		return;
	}
}

/* Keeps a descriptor made for the replay, to close at the end. */
static int
rd_made_fd(int fd)
{
	if (fd < 0)
		return (-1);
	if (rd_nmade == RD_MAX_FDS) {
		close(fd);
		return (-1);
	}
	rd_made[rd_nmade++] = fd;
	return (fd);
}

int
replay_dev_fds(const struct uapi_struct *st, uint8_t *buf, size_t cap,
    int want_err)
{
	const struct uapi_field	*f = NULL;
	uint64_t		 count, k;
	int32_t			 v;
	uint16_t		 i;
	int			 fd;

	for (i = 0; i < st->nfields && f == NULL; i++) {
		if (st->fields[i].kind == UK_FDS)
			f = &st->fields[i];
	}
	if (f == NULL || f->len_a < 0 || f->len_a >= st->nfields)
		return (0);
	count = uapi_get(&st->fields[f->len_a], buf);
	if (f->off >= cap || count > (cap - f->off) / sizeof(v))
		count = f->off < cap ? (cap - f->off) / sizeof(v) : 0;
	for (k = 0; k < count; k++) {
		memcpy(&v, buf + f->off + k * sizeof(v), sizeof(v));
		if (v < 0)
			continue;
		if (want_err == EBADF)
			fd = RD_BADFD;
		else if (want_err == EINVAL)
			fd = rd_made_fd(memfd_create("ioasidctl-replay",
			    MFD_CLOEXEC));
		else
			fd = rd_made_fd(eventfd(0, EFD_CLOEXEC));
		if (fd < 0)
			return (-errno);
		v = fd;
		memcpy(buf + f->off + k * sizeof(v), &v, sizeof(v));
	}
	return (0);
}

void
replay_dev_keep(int64_t ctx, const struct uapi_struct *st,
    const uint8_t *buf, json_t *l)
{
	const struct uapi_field	*fd_f = NULL, *id_f = NULL;
	json_t			*rid;
	uint16_t		 i;

	for (i = 0; i < st->nfields; i++) {
		if (!(st->fields[i].dir & UD_OUT))
			continue;
		if (st->fields[i].kind == UK_FD && fd_f == NULL)
			fd_f = &st->fields[i];
		if (st->fields[i].kind == UK_ID && id_f == NULL)
			id_f = &st->fields[i];
	}
	if (fd_f == NULL || id_f == NULL || rd_nqueues == RD_MAX)
		return;
	rid = json_object_get(json_object_get(l, "out"), id_f->name);
	if (!json_is_integer(rid))
		return;
	rd_queues[rd_nqueues].ctx = ctx;
	rd_queues[rd_nqueues].obj = (uint64_t)json_integer_value(rid);
	rd_queues[rd_nqueues].fd = (int)(int32_t)uapi_get(fd_f, buf);
	rd_nqueues++;
}

void
replay_dev_mmap(int64_t ctx, const struct uapi_struct *st,
    const uint8_t *buf)
{
	struct ioasidd_mmap	 m;
	struct rd_map		*rm;
	uint64_t		 lo, hi;
	size_t			 i;
	void			*p;

	if (st == NULL || strcmp(st->name, "ioasidd_mmap") != 0)
		return;
	memcpy(&m, buf, sizeof(m));
	if (!(m.flags & IOASIDD_MMAP_UNMAP)) {
		if (m.out_fd < 0)
			return;
		p = mmap(NULL, (size_t)m.length, PROT_READ | PROT_WRITE,
		    MAP_SHARED, m.out_fd, 0);
		close(m.out_fd);
		if (p == MAP_FAILED)
			return;
		if (rd_nmaps == RD_MAX) {
			munmap(p, (size_t)m.length);
			return;
		}
		rd_maps[rd_nmaps].ctx = ctx;
		rd_maps[rd_nmaps].offset = m.offset;
		rd_maps[rd_nmaps].len = m.length;
		rd_maps[rd_nmaps].p = p;
		rd_nmaps++;
		return;
	}
	/* The part of each mapping the notice names goes. */
	for (i = 0; i < rd_nmaps;) {
		rm = &rd_maps[i];
		lo = m.offset > rm->offset ? m.offset : rm->offset;
		hi = m.offset + m.length < rm->offset + rm->len ?
		    m.offset + m.length : rm->offset + rm->len;
		if (rm->ctx != ctx || lo >= hi) {
			i++;
			continue;
		}
		munmap(rm->p + (lo - rm->offset), (size_t)(hi - lo));
		if (lo == rm->offset && hi == rm->offset + rm->len) {
			*rm = rd_maps[--rd_nmaps];
			continue;
		}
		i++;
	}
}

/* The replay's descriptor of the queue a line names, or NULL. */
static struct rd_fd *
rd_queue(json_t *l)
{
	int64_t		ctx;
	uint64_t	obj;
	size_t		i;

	ctx = json_integer_value(json_object_get(l, "ctx"));
	obj = (uint64_t)json_integer_value(json_object_get(l, "obj"));
	for (i = rd_nqueues; i-- > 0;) {
		if (rd_queues[i].ctx == ctx && rd_queues[i].obj == obj)
			return (&rd_queues[i]);
	}
	return (NULL);
}

int
replay_dev_has_queue(json_t *l)
{
	return (rd_queue(l) != NULL);
}

/* The record layout of a line's node. */
static int
rd_kind(json_t *l, int write)
{
	const char	*node = json_string_value(json_object_get(l, "node"));

	if (node != NULL && strcmp(node, "veventq") == 0)
		return (UAPI_REC_VEVENT);
	return (write ? UAPI_REC_PAGE_RESPONSE : UAPI_REC_PGFAULT);
}

/*
 * The recorded records of line l with their ids mapped to this run's,
 * as a new object with "len", "records" and "payload" when recorded.
 */
static json_t *
rd_recorded(json_t *l, int kind, void *arg, replay_dev_lookup_fn *lookup)
{
	const struct uapi_struct	*st = uapi_record(kind);
	const struct uapi_field		*f;
	json_t				*o, *a, *e, *v;
	uint64_t			 rec, live;
	int64_t				 ctx;
	size_t				 k;
	uint16_t			 j;

	ctx = json_integer_value(json_object_get(l, "ctx"));
	o = json_pack("{s:O?,s:O?}", "records",
	    json_object_get(l, "records"), "len", json_object_get(l, "len"));
	if (o == NULL)
		return (NULL);
	if (json_object_get(l, "payload") != NULL)
		json_object_set(o, "payload", json_object_get(l, "payload"));
	a = json_deep_copy(json_object_get(o, "records"));
	json_object_set_new(o, "records", a);
	json_array_foreach(a, k, e) {
		for (j = 0; st != NULL && j < st->nfields; j++) {
			f = &st->fields[j];
			v = json_object_get(e, f->name);
			if (f->kind != UK_ID || !json_is_integer(v))
				continue;
			rec = (uint64_t)json_integer_value(v);
			if (lookup(arg, ctx, rec, &live))
				json_object_set_new(e, f->name,
				    json_integer((json_int_t)live));
		}
	}
	return (o);
}

/*
 * Reads the records of waiting line r from its queue, waiting up to
 * wait_ms: 1 when read and compared (differences added to *n), 0 when
 * nothing has come.
 */
static int
rd_read_one(struct rd_read *r, int wait_ms, void *arg,
    replay_dev_lookup_fn *lookup, replay_dev_diverge_fn *diverge, int *n)
{
	struct rd_fd	*q = rd_queue(r->line);
	struct pollfd	 pfd;
	uint8_t		 buf[RD_READ];
	json_t		*rec, *live;
	uint64_t	 len;
	ssize_t		 got;
	int		 kind = rd_kind(r->line, 0);

	if (q == NULL)
		return (wait_ms == 0 ? 0 : -1);
	pfd.fd = q->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, wait_ms) <= 0 || !(pfd.revents & POLLIN))
		return (0);
	len = (uint64_t)json_integer_value(json_object_get(r->line, "len"));
	if (len > sizeof(buf))
		len = sizeof(buf);
	/* A fault group is one packet; a vEVENTQ record is len bytes. */
	if (kind == UAPI_REC_VEVENT)
		got = recv(q->fd, buf, (size_t)len, MSG_DONTWAIT | MSG_WAITALL);
	else
		got = recv(q->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (got < 0)
		got = 0;
	rec = rd_recorded(r->line, kind, arg, lookup);
	if ((live = json_object()) != NULL)
		(void)tracefmt_fd_encode(live, kind, buf, (size_t)got,
		    (uint64_t)got);
	if (!json_equal(rec, live)) {
		diverge(arg, r->i, "records", rec, live);
		(*n)++;
	}
	json_decref(rec);
	json_decref(live);
	return (1);
}

int
replay_dev_poll(int wait, void *arg, replay_dev_lookup_fn *lookup,
    replay_dev_diverge_fn *diverge)
{
	size_t	i, j;
	int	n = 0, rc;
	json_t	*none;

	for (i = j = 0; i < rd_nreads; i++) {
		rc = rd_read_one(&rd_reads[i], wait ? RD_WAIT_MS : 0, arg,
		    lookup, diverge, &n);
		if (rc == 0 && wait) {
			/* The records never came. */
			none = json_string("nothing to read");
			diverge(arg, rd_reads[i].i, "records",
			    json_object_get(rd_reads[i].line, "records"),
			    none);
			json_decref(none);
			n++;
			rc = 1;
		}
		if (rc != 0)
			json_decref(rd_reads[i].line);
		else
			rd_reads[j++] = rd_reads[i];
	}
	rd_nreads = j;
	return (n);
}

/*
 * Waits until the daemon has handled what was done on queue descriptor
 * qfd (-1: closed) of the context whose handle is fd: the back end's
 * way, or two calls that change nothing, the second sent after the
 * first's answer, so that the daemon has gone through its events once.
 */
static void
rd_settle(int fd, int qfd)
{
	struct iommu_destroy	d;
	int			k;

	if (rd_be != NULL && rd_be->settle != NULL) {
		if (fd >= 0)
			rd_be->settle(rd_be->priv, fd, qfd);
		return;
	}
	for (k = 0; fd >= 0 && k < 2; k++) {
		memset(&d, 0, sizeof(d));
		d.size = sizeof(d);
		(void)ioasid_ioctl(fd, IOMMU_DESTROY, &d);
	}
}

int
replay_dev_fdline(size_t i, json_t *l, void *arg,
    replay_dev_lookup_fn *lookup, replay_dev_diverge_fn *diverge,
    int settle_fd)
{
	const char		*type;
	const struct uapi_struct *st;
	struct rd_fd		*q;
	uint8_t			 buf[RD_READ];
	json_t			*e, *recs;
	size_t			 k, off = 0;
	int			 n = 0;

	type = json_string_value(json_object_get(l, "type"));
	if (type == NULL)
		return (0);
	if (strcmp(type, "fdread") == 0) {
		if (rd_nreads == RD_MAX)
			n += replay_dev_poll(1, arg, lookup, diverge);
		rd_reads[rd_nreads].i = i;
		rd_reads[rd_nreads].line = json_incref(l);
		rd_nreads++;
		return (n + replay_dev_poll(0, arg, lookup, diverge));
	}
	/* What was to be read before this has come by now. */
	n += replay_dev_poll(1, arg, lookup, diverge);
	if ((q = rd_queue(l)) == NULL)
		return (n);
	if (strcmp(type, "fdclose") == 0) {
		close(q->fd);
		*q = rd_queues[--rd_nqueues];
		rd_settle(settle_fd, -1);
		return (n);
	}
	if (strcmp(type, "fdwrite") != 0)
		return (n);
	st = uapi_record(rd_kind(l, 1));
	recs = json_object_get(l, "records");
	memset(buf, 0, sizeof(buf));
	json_array_foreach(recs, k, e) {
		if (st == NULL || off + st->size > sizeof(buf) ||
		    tracefmt_struct_decode(st, e, buf + off, st->size) != 0)
			break;
		off += st->size;
	}
	if (off != 0)
		(void)send(q->fd, buf, off, MSG_DONTWAIT | MSG_NOSIGNAL);
	rd_settle(settle_fd, q->fd);
	return (n);
}

void
replay_dev_free(void)
{
	size_t	i;

	for (i = 0; i < rd_ndevs; i++)
		rd_dev_close(rd_devs[i].fd);
	for (i = 0; i < rd_nqueues; i++)
		close(rd_queues[i].fd);
	for (i = 0; i < rd_nmade; i++)
		close(rd_made[i]);
	for (i = 0; i < rd_nreads; i++)
		json_decref(rd_reads[i].line);
	for (i = 0; i < rd_nmaps; i++)
		munmap(rd_maps[i].p, (size_t)rd_maps[i].len);
	rd_ndevs = rd_nqueues = rd_nreads = rd_nmade = rd_nmaps = 0;
}
