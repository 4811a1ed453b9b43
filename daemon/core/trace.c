/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The trace queue and its writer thread (see trace.h for the contract).
 *
 * The event thread only copies bytes into a record and links it to the
 * queue under a mutex; the writer thread takes the whole queue at once,
 * encodes each record with proto/tracefmt.c into one JSON line, and
 * writes the batch. The field table decides every key of a line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "core/trace.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "tracefmt.h"
#include "uapi.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

#define TRACE_KIND_IOCTL	1
#define TRACE_KIND_EVENT	2
#define TRACE_KIND_FD		3
#define TRACE_KIND_MEM		4
/* Longest detail text of an event line. */
#define TRACE_MAX_DETAIL	256
/* Contexts turned on or off one by one. */
#define TRACE_MAX_CTX		64
/* Contexts of one recording open at once; generations of a pid walked. */
#define TRACE_REC_CTX		64
#define TRACE_PID_DEPTH		64

struct trace_buf {
	const struct uapi_field	*field;
	uint64_t		 len;		/* the buffer's length */
	uint32_t		 in_have, out_have;
	uint32_t		 in_off, out_off;	/* in rec->data */
};

/*
 * What an ioctl record says about the descriptors and files its fields
 * name; kept in the record's data, so that other records do not pay for
 * it in the queue's bytes.
 */
struct trace_annot {
	unsigned int		 nfdobjs;
	struct tracefmt_fdobj	 fdobjs[TRACEFMT_MAX_FDOBJS];
	unsigned int		 nfiles;
	struct tracefmt_file	 files[TRACEFMT_MAX_FILES];
};

struct trace_rec {
	struct trace_rec	*next;
	size_t			 size;		/* of the allocation */
	uint64_t		 seq, t, dur;
	uint32_t		 ctx;
	uint32_t		 bound;		/* device nodes */
	pid_t			 pid;
	int			 kind;
	int			 devnode;
	char			 node[16];
	char			 type[16];	/* events */
	char			*detail;	/* events: in data, or NULL */
	uint32_t		 num;
	uint64_t		 arg;
	long			 result;
	uint32_t		 in_len;	/* struct as sent, at data */
	uint32_t		 out_len;	/* as returned, at data + in_len */
	unsigned int		 nbufs;
	struct trace_buf	 bufs[UAPI_MAX_BUFS];
	struct trace_annot	*annot;		/* ioctls: in data */
	uint8_t			 data[];
};

/* A recording: its root, its contexts, its records not yet read. */
struct trace_recording {
	uint32_t		 id;		/* 0: the slot is free */
	pid_t			 root;
	uint32_t		 ctxs[TRACE_REC_CTX];
	unsigned int		 nctxs;
	struct trace_rec	*head, **tail;
	size_t			 bytes;
	uint64_t		 dropped;	/* since the last read */
	uint64_t		 drop_t;	/* when the first of them was */
};

static struct {
	pthread_mutex_t		 lock;
	pthread_cond_t		 wake;
	pthread_t		 thread;
	int			 running;
	int			 stopping;
	int			 fd;
	char			*path;
	uint64_t		 max_size;
	unsigned int		 rotate;
	json_t			*header;
	/* The queue, oldest first. */
	struct trace_rec	*head, **tail;
	size_t			 queued;
	uint64_t		 seq;
	uint64_t		 dropped_unreported;
	struct trace_stats	 st;
	/* Per-context choices on top of st.all. */
	uint32_t		 ids[TRACE_MAX_CTX];
	uint8_t			 on[TRACE_MAX_CTX];
	unsigned int		 nids;
	/* Recordings; nrec is read without the lock on the fast path. */
	struct trace_recording	 rec[TRACE_MAX_RECORDINGS];
	unsigned int		 nrec;
	uint32_t		 rec_id;
	json_t			*rec_header;
} tr = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.fd = -1,
};

uint64_t
trace_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/* Writes all of len bytes to fd: 0 or -errno. */
static int
trace_write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (n < 0 ? -errno : -EIO);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Opens tr.path for appending and writes the header: 0 or -errno. */
static int
trace_open_file(void)
{
	struct stat	 sb;
	char		*line;
	int		 fd, error;

	fd = open(tr.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return (-errno);
	tr.st.bytes = fstat(fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	if ((line = json_dumps(tr.header, JSON_COMPACT)) == NULL) {
		close(fd);
		return (-ENOMEM);
	}
	error = trace_write_all(fd, line, strlen(line));
	if (error == 0)
		error = trace_write_all(fd, "\n", 1);
	if (error == 0)
		tr.st.bytes += strlen(line) + 1;
	free(line);
	if (error != 0) {
		close(fd);
		return (error);
	}
	tr.fd = fd;
	return (0);
}

/* Moves path to path.1, path.1 to path.2, ...; the oldest goes. */
static void
trace_rotate(void)
{
	char		from[PATH_MAX], to[PATH_MAX];
	unsigned int	i;

	close(tr.fd);
	tr.fd = -1;
	if (tr.rotate == 0)
		(void)unlink(tr.path);
	for (i = tr.rotate; i > 0; i--) {
		snprintf(to, sizeof(to), "%s.%u", tr.path, i);
		if (i == 1)
			snprintf(from, sizeof(from), "%s", tr.path);
		else
			snprintf(from, sizeof(from), "%s.%u", tr.path, i - 1);
		(void)rename(from, to);
	}
	tr.st.rotations++;
	if ((tr.st.error = -trace_open_file()) != 0)
		tr.fd = -1;
}

/*
 * The descriptor part of a TRACE_KIND_FD record: the object, then the
 * length and the records by field name (tracefmt_fd_encode()).
 */
static void
trace_fd_json(json_t *o, const struct trace_rec *rec)
{
	json_object_set_new(o, "obj", json_integer((json_int_t)rec->arg));
	if (rec->num != 0)
		(void)tracefmt_fd_encode(o, (int)rec->num, rec->data,
		    rec->in_len, (uint64_t)rec->result);
}

/* The JSON line of one record, or NULL when out of memory. */
static json_t *
trace_rec_json(const struct trace_rec *rec)
{
	struct tracefmt_call	 c;
	const struct trace_buf	*b;
	json_t			*o;
	unsigned int		 i;
	char			 uva[24];

	if (rec->kind == TRACE_KIND_IOCTL) {
		memset(&c, 0, sizeof(c));
		c.seq = rec->seq;
		c.t = rec->t;
		c.dur = rec->dur;
		c.ctx = rec->ctx;
		c.pid = (int)rec->pid;
		c.node = rec->node;
		c.devnode = rec->devnode;
		c.bound = rec->bound;
		c.num = rec->num;
		c.arg = rec->arg;
		c.result = rec->result;
		c.in = rec->data;
		c.in_len = rec->in_len;
		c.out = rec->data + rec->in_len;
		c.out_len = rec->out_len;
		for (i = 0; i < rec->nbufs; i++) {
			b = &rec->bufs[i];
			c.bufs[i].field = b->field;
			c.bufs[i].len = b->len;
			c.bufs[i].in = rec->data + b->in_off;
			c.bufs[i].in_have = b->in_have;
			c.bufs[i].out = rec->data + b->out_off;
			c.bufs[i].out_have = b->out_have;
		}
		c.nbufs = rec->nbufs;
		if (rec->annot != NULL) {
			c.nfdobjs = rec->annot->nfdobjs;
			memcpy(c.fdobjs, rec->annot->fdobjs,
			    sizeof(c.fdobjs));
			c.nfiles = rec->annot->nfiles;
			memcpy(c.files, rec->annot->files, sizeof(c.files));
		}
		return (tracefmt_call_encode(&c));
	}
	o = json_pack("{s:s,s:I,s:I,s:i,s:I,s:s}", "type", rec->type,
	    "seq", (json_int_t)rec->seq, "t", (json_int_t)rec->t,
	    "pid", (int)rec->pid, "ctx", (json_int_t)rec->ctx,
	    "node", rec->node);
	if (o == NULL)
		return (NULL);
	if (rec->kind == TRACE_KIND_FD) {
		trace_fd_json(o, rec);
		return (o);
	}
	if (rec->kind == TRACE_KIND_MEM) {
		snprintf(uva, sizeof(uva), "0x%" PRIx64, rec->arg);
		json_object_set_new(o, "uva", json_string(uva));
		json_object_set_new(o, "len", json_integer(rec->result));
		json_object_set_new(o, "hex", tracefmt_hex_encode(rec->data,
		    rec->in_len));
		return (o);
	}
	if (rec->detail != NULL)
		json_object_set_new(o, "detail", json_string(rec->detail));
	return (o);
}

/* A batch of lines on its way to the file. */
struct trace_batch {
	char	*buf;
	size_t	 len, cap;
	size_t	 lines;
	int	 error;
};

/* Writes what the batch holds to the file and empties it. */
static void
trace_batch_write(struct trace_batch *b)
{
	int	error;

	if (b->len == 0)
		return;
	error = tr.fd >= 0 ? trace_write_all(tr.fd, b->buf, b->len) : -EBADF;
	pthread_mutex_lock(&tr.lock);
	if (error != 0)
		tr.st.error = -error;
	else {
		tr.st.bytes += b->len;
		tr.st.written += b->lines;
	}
	pthread_mutex_unlock(&tr.lock);
	b->len = 0;
	b->lines = 0;
}

/*
 * Adds the line of a JSON value to the batch; a line that would take the
 * file past max_size first writes the batch and rotates.
 */
static void
trace_append(struct trace_batch *b, json_t *o)
{
	char	*line, *nb;
	size_t	 n;

	if (o == NULL || (line = json_dumps(o, JSON_COMPACT)) == NULL)
		return;
	n = strlen(line);
	if (tr.fd >= 0 && tr.max_size != 0 &&
	    tr.st.bytes + b->len + n + 1 > tr.max_size &&
	    tr.st.written + b->lines > 0) {
		trace_batch_write(b);
		trace_rotate();
	}
	if (b->len + n + 1 > b->cap) {
		if ((nb = realloc(b->buf, (b->len + n + 1) * 2)) == NULL) {
			free(line);
			return;
		}
		b->buf = nb;
		b->cap = (b->len + n + 1) * 2;
	}
	memcpy(b->buf + b->len, line, n);
	b->buf[b->len + n] = '\n';
	b->len += n + 1;
	b->lines++;
	free(line);
}

/*
 * Encodes and writes a batch of records (and a line for the dropped
 * ones), then frees them. Runs on the writer thread, without the lock.
 */
static void
trace_flush(struct trace_rec *list, uint64_t dropped, uint64_t t)
{
	struct trace_batch	 b;
	struct trace_rec	*rec, *next;
	json_t			*o;

	memset(&b, 0, sizeof(b));
	if (dropped != 0) {
		o = json_pack("{s:s,s:I,s:I}", "type", "dropped",
		    "t", (json_int_t)t, "count", (json_int_t)dropped);
		trace_append(&b, o);
		json_decref(o);
	}
	for (rec = list; rec != NULL; rec = next) {
		next = rec->next;
		o = trace_rec_json(rec);
		trace_append(&b, o);
		json_decref(o);
		free(rec);
	}
	trace_batch_write(&b);
	free(b.buf);
}

/* The writer thread: a batch every TRACE_FLUSH_MS until stopped. */
static void *
trace_writer(void *arg)
{
	struct trace_rec	*list;
	struct timespec		 ts;
	uint64_t		 dropped;
	int			 stop;

	(void)arg;
	pthread_mutex_lock(&tr.lock);
	for (;;) {
		stop = tr.stopping;
		if (!stop && tr.head == NULL) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += TRACE_FLUSH_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			(void)pthread_cond_timedwait(&tr.wake, &tr.lock, &ts);
		}
		list = tr.head;
		tr.head = NULL;
		tr.tail = &tr.head;
		tr.queued = 0;
		dropped = tr.dropped_unreported;
		tr.dropped_unreported = 0;
		pthread_mutex_unlock(&tr.lock);
		trace_flush(list, dropped, trace_now());
		if (stop)
			return (NULL);
		/*
		 * What came in while this batch was written is the next
		 * one, at once; an empty queue waits TRACE_FLUSH_MS.
		 */
		pthread_mutex_lock(&tr.lock);
	}
}

int
trace_start(const char *path, uint64_t max_size, unsigned int rotate,
    int all, json_t *hw, const char *uapi_level)
{
	pthread_condattr_t	ca;
	int			error;

	trace_stop();
	json_decref(tr.header);
	tr.header = json_pack("{s:s,s:i,s:s,s:s,s:o}", "type", "header",
	    "format", TRACE_FORMAT, "ioasidd", IOASIDD_VERSION,
	    "uapi_level", uapi_level, "hw", hw != NULL ? hw : json_null());
	free(tr.path);
	tr.path = strdup(path);
	if (tr.header == NULL || tr.path == NULL)
		return (-ENOMEM);
	tr.max_size = max_size;
	tr.rotate = rotate;
	memset(&tr.st, 0, sizeof(tr.st));
	tr.nids = 0;
	if ((error = trace_open_file()) != 0)
		return (error);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&tr.wake);
	pthread_cond_init(&tr.wake, &ca);
	pthread_condattr_destroy(&ca);
	tr.head = NULL;
	tr.tail = &tr.head;
	tr.stopping = 0;
	if ((error = pthread_create(&tr.thread, NULL, trace_writer,
	    NULL)) != 0) {
		close(tr.fd);
		tr.fd = -1;
		return (-error);
	}
	pthread_mutex_lock(&tr.lock);
	tr.running = 1;
	tr.st.active = 1;
	tr.st.all = all;
	pthread_mutex_unlock(&tr.lock);
	return (0);
}

void
trace_stop(void)
{
	if (!tr.running)
		return;
	pthread_mutex_lock(&tr.lock);
	tr.running = 0;
	tr.st.active = 0;
	tr.stopping = 1;
	pthread_cond_signal(&tr.wake);
	pthread_mutex_unlock(&tr.lock);
	pthread_join(tr.thread, NULL);
	if (tr.fd >= 0)
		close(tr.fd);
	tr.fd = -1;
}

int
trace_set(uint32_t ctx, int on)
{
	unsigned int	i;
	int		error = 0;

	pthread_mutex_lock(&tr.lock);
	if (!tr.running)
		error = -ENOENT;
	else if (ctx == 0) {
		tr.st.all = on;
		tr.nids = 0;
	} else {
		for (i = 0; i < tr.nids && tr.ids[i] != ctx; i++)
			;
		if (i == tr.nids && tr.nids == TRACE_MAX_CTX)
			error = -ENOSPC;
		else {
			if (i == tr.nids)
				tr.nids++;
			tr.ids[i] = ctx;
			tr.on[i] = on != 0;
		}
	}
	pthread_mutex_unlock(&tr.lock);
	return (error);
}

/* Whether the file takes calls of ctx, with the lock held. */
static int
trace_file_locked(uint32_t ctx)
{
	unsigned int	i;

	if (!tr.running)
		return (0);
	for (i = 0; i < tr.nids; i++) {
		if (tr.ids[i] == ctx)
			return (tr.on[i]);
	}
	return (tr.st.all);
}

/* The recording that ctx belongs to, or NULL; with the lock held. */
static struct trace_recording *
trace_rec_of_locked(uint32_t ctx)
{
	struct trace_recording	*r;
	unsigned int		 i, j;

	if (tr.nrec == 0 || ctx == 0)
		return (NULL);
	for (i = 0; i < TRACE_MAX_RECORDINGS; i++) {
		r = &tr.rec[i];
		for (j = 0; r->id != 0 && j < r->nctxs; j++) {
			if (r->ctxs[j] == ctx)
				return (r);
		}
	}
	return (NULL);
}

int
trace_enabled(uint32_t ctx)
{
	int	on;

	/* The common case, tracing off, takes no lock. */
	if (!__atomic_load_n(&tr.running, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&tr.nrec, __ATOMIC_RELAXED) == 0)
		return (0);
	pthread_mutex_lock(&tr.lock);
	on = trace_file_locked(ctx) || trace_rec_of_locked(ctx) != NULL;
	pthread_mutex_unlock(&tr.lock);
	return (on);
}

void
trace_get_stats(struct trace_stats *st)
{
	pthread_mutex_lock(&tr.lock);
	*st = tr.st;
	pthread_mutex_unlock(&tr.lock);
}

const char *
trace_path(void)
{
	return (tr.running ? tr.path : NULL);
}

/*
 * Gives rec (allocated with malloc, size bytes) its sequence number and
 * hands it to the recording of its context, when there is one, and to
 * the file's queue, when the file takes it: a copy when both do. Where
 * it does not fit it is dropped and counted; either way the record is
 * taken.
 */
static void
trace_queue(struct trace_rec *rec)
{
	struct trace_recording	*r;
	struct trace_rec	*copy = NULL;
	int			 file;

	pthread_mutex_lock(&tr.lock);
	file = trace_file_locked(rec->ctx);
	r = trace_rec_of_locked(rec->ctx);
	if (!file && r == NULL) {
		pthread_mutex_unlock(&tr.lock);
		free(rec);
		return;
	}
	rec->seq = ++tr.seq;
	rec->next = NULL;
	if (r != NULL && r->bytes + rec->size > TRACE_RECORD_BYTES) {
		if (r->dropped++ == 0)
			r->drop_t = rec->t;
	} else if (r != NULL) {
		if (!file)
			copy = rec;
		else if ((copy = malloc(rec->size)) != NULL) {
			memcpy(copy, rec, rec->size);
			if (rec->detail != NULL)
				copy->detail = (char *)copy->data;
			/* At the same offset: both come from malloc(). */
			if (rec->annot != NULL)
				copy->annot = (struct trace_annot *)
				    ((uint8_t *)copy + ((uint8_t *)rec->annot -
				    (uint8_t *)rec));
		} else if (r->dropped++ == 0)
			r->drop_t = rec->t;
		if (copy != NULL) {
			*r->tail = copy;
			r->tail = &copy->next;
			r->bytes += copy->size;
		}
	}
	if (!file) {
		if (copy != rec)
			free(rec);
		pthread_mutex_unlock(&tr.lock);
		return;
	}
	if (tr.queued + rec->size > TRACE_QUEUE_BYTES) {
		tr.st.dropped++;
		tr.dropped_unreported++;
		pthread_mutex_unlock(&tr.lock);
		free(rec);
		return;
	}
	*tr.tail = rec;
	tr.tail = &rec->next;
	tr.queued += rec->size;
	tr.st.records++;
	if (tr.queued > TRACE_QUEUE_BYTES / 2)
		pthread_cond_signal(&tr.wake);
	pthread_mutex_unlock(&tr.lock);
}

/* A new record for site of kind with extra data bytes, or NULL. */
static struct trace_rec *
trace_rec_new(const struct trace_site *site, int kind, size_t extra)
{
	struct trace_rec	*rec;

	if ((rec = calloc(1, sizeof(*rec) + extra)) == NULL) {
		pthread_mutex_lock(&tr.lock);
		tr.st.dropped++;
		tr.dropped_unreported++;
		pthread_mutex_unlock(&tr.lock);
		return (NULL);
	}
	rec->size = sizeof(*rec) + extra;
	rec->kind = kind;
	rec->t = trace_now();
	rec->ctx = site->ctx;
	rec->pid = site->pid;
	rec->devnode = site->devnode;
	rec->bound = site->bound;
	snprintf(rec->node, sizeof(rec->node), "%s",
	    site->node != NULL ? site->node : "");
	return (rec);
}

/*
 * Whether pid is root or below it, following the parents /proc gives, at
 * most TRACE_PID_DEPTH generations up.
 */
static int
trace_pid_under(pid_t pid, pid_t root)
{
	char		 path[64], buf[512], *p;
	ssize_t		 n;
	long		 ppid;
	unsigned int	 depth;
	int		 fd;

	for (depth = 0; depth < TRACE_PID_DEPTH && pid > 1; depth++) {
		if (pid == root)
			return (1);
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return (0);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return (0);
		buf[n] = '\0';
		/* "pid (comm) state ppid ...", comm may hold anything. */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %*c %ld", &ppid) != 1)
			return (0);
		pid = (pid_t)ppid;
	}
	return (pid == root);
}

/* Frees recording r and its records; with the lock held. */
static void
trace_rec_free_locked(struct trace_recording *r)
{
	struct trace_rec	*rec, *next;

	for (rec = r->head; rec != NULL; rec = next) {
		next = rec->next;
		free(rec);
	}
	memset(r, 0, sizeof(*r));
	__atomic_store_n(&tr.nrec, tr.nrec - 1, __ATOMIC_RELAXED);
}

/* Frees the recordings whose root has gone; with the lock held. */
static void
trace_rec_reap_locked(void)
{
	unsigned int	i;

	for (i = 0; i < TRACE_MAX_RECORDINGS; i++) {
		if (tr.rec[i].id != 0 && kill(tr.rec[i].root, 0) == -1 &&
		    errno == ESRCH)
			trace_rec_free_locked(&tr.rec[i]);
	}
}

/*
 * A context opened: it joins the recording whose root its opener is
 * under. /proc is read without the lock.
 */
static void
trace_rec_join(const struct trace_site *site)
{
	struct trace_recording	*r;
	uint32_t		 ids[TRACE_MAX_RECORDINGS];
	pid_t			 roots[TRACE_MAX_RECORDINGS];
	unsigned int		 i, j;

	pthread_mutex_lock(&tr.lock);
	trace_rec_reap_locked();
	for (i = 0; i < TRACE_MAX_RECORDINGS; i++) {
		ids[i] = tr.rec[i].id;
		roots[i] = tr.rec[i].root;
	}
	pthread_mutex_unlock(&tr.lock);
	for (i = 0; i < TRACE_MAX_RECORDINGS; i++) {
		if (ids[i] == 0 || !trace_pid_under(site->pid, roots[i]))
			continue;
		pthread_mutex_lock(&tr.lock);
		r = &tr.rec[i];
		if (r->id == ids[i]) {
			for (j = 0; j < r->nctxs && r->ctxs[j] != site->ctx;
			    j++)
				;
			if (j < r->nctxs)
				;
			else if (r->nctxs < TRACE_REC_CTX)
				r->ctxs[r->nctxs++] = site->ctx;
			else if (r->dropped++ == 0)
				r->drop_t = trace_now();
		}
		pthread_mutex_unlock(&tr.lock);
		return;
	}
}

/* A context closed: it leaves its recording. */
static void
trace_rec_leave(uint32_t ctx)
{
	struct trace_recording	*r;
	unsigned int		 j;

	pthread_mutex_lock(&tr.lock);
	if ((r = trace_rec_of_locked(ctx)) != NULL) {
		for (j = 0; r->ctxs[j] != ctx; j++)
			;
		r->ctxs[j] = r->ctxs[--r->nctxs];
	}
	pthread_mutex_unlock(&tr.lock);
}

void
trace_set_header(json_t *hw, const char *uapi_level)
{
	json_t	*h;

	h = json_pack("{s:s,s:i,s:s,s:s,s:o}", "type", "header",
	    "format", TRACE_FORMAT, "ioasidd", IOASIDD_VERSION,
	    "uapi_level", uapi_level, "hw", hw != NULL ? hw : json_array());
	if (h == NULL)
		return;
	pthread_mutex_lock(&tr.lock);
	json_decref(tr.rec_header);
	tr.rec_header = h;
	pthread_mutex_unlock(&tr.lock);
}

int
trace_record_start(pid_t root, json_t **header)
{
	struct trace_recording	*r = NULL;
	unsigned int		 i;
	int			 rc;

	if (tr.rec_header == NULL)
		trace_set_header(NULL, "7.3");
	pthread_mutex_lock(&tr.lock);
	trace_rec_reap_locked();
	for (i = 0; i < TRACE_MAX_RECORDINGS && r == NULL; i++) {
		if (tr.rec[i].id == 0)
			r = &tr.rec[i];
	}
	if (r == NULL)
		rc = -ENOSPC;
	else if (tr.rec_header == NULL ||
	    (*header = json_deep_copy(tr.rec_header)) == NULL)
		rc = -ENOMEM;
	else {
		if (++tr.rec_id == 0)
			tr.rec_id = 1;
		memset(r, 0, sizeof(*r));
		r->id = tr.rec_id;
		r->root = root;
		r->tail = &r->head;
		__atomic_store_n(&tr.nrec, tr.nrec + 1, __ATOMIC_RELAXED);
		rc = (int)r->id;
	}
	pthread_mutex_unlock(&tr.lock);
	return (rc);
}

/* The recording id whose root is peer, or NULL; with the lock held. */
static struct trace_recording *
trace_rec_find_locked(uint32_t id, pid_t peer)
{
	unsigned int	i;

	for (i = 0; id != 0 && i < TRACE_MAX_RECORDINGS; i++) {
		if (tr.rec[i].id == id)
			return (tr.rec[i].root == peer ? &tr.rec[i] : NULL);
	}
	return (NULL);
}

/* Appends a JSON value's line to b; a line that cannot be made is left. */
static void
trace_text_add(struct trace_batch *b, json_t *o)
{
	char	*line, *nb;
	size_t	 n;

	if (o == NULL || (line = json_dumps(o, JSON_COMPACT)) == NULL)
		return;
	n = strlen(line);
	if (b->len + n + 1 > b->cap) {
		if ((nb = realloc(b->buf, (b->len + n + 1) * 2)) == NULL) {
			free(line);
			b->error = -ENOMEM;
			return;
		}
		b->buf = nb;
		b->cap = (b->len + n + 1) * 2;
	}
	memcpy(b->buf + b->len, line, n);
	b->buf[b->len + n] = '\n';
	b->len += n + 1;
	b->lines++;
	free(line);
}

int
trace_record_read(uint32_t id, pid_t peer, int end, json_t *body)
{
	struct trace_recording	*r;
	struct trace_batch	 b;
	struct trace_rec	*list, *rec, **last;
	json_t			*o;
	uint64_t		 dropped, drop_t;
	size_t			 freed = 0;
	int			 more, open;

	pthread_mutex_lock(&tr.lock);
	if ((r = trace_rec_find_locked(id, peer)) == NULL) {
		pthread_mutex_unlock(&tr.lock);
		return (-ESRCH);
	}
	list = r->head;
	r->head = NULL;
	r->tail = &r->head;
	dropped = r->dropped;
	drop_t = r->drop_t;
	r->dropped = 0;
	pthread_mutex_unlock(&tr.lock);

	/*
	 * Encoded without the lock, the recording's root being the caller.
	 * The records dropped came after those kept: their line follows
	 * the last of these, once it is read.
	 */
	memset(&b, 0, sizeof(b));
	while (list != NULL && b.len < TRACE_RECORD_READ && b.error == 0) {
		rec = list;
		list = rec->next;
		o = trace_rec_json(rec);
		trace_text_add(&b, o);
		json_decref(o);
		freed += rec->size;
		free(rec);
	}
	if (dropped != 0 && list == NULL) {
		o = json_pack("{s:s,s:I,s:I}", "type", "dropped",
		    "t", (json_int_t)drop_t, "count", (json_int_t)dropped);
		trace_text_add(&b, o);
		json_decref(o);
		dropped = 0;
	}

	pthread_mutex_lock(&tr.lock);
	r = trace_rec_find_locked(id, peer);
	if (r != NULL && list != NULL) {
		/* What is left goes back in front of what came meanwhile. */
		for (last = &list; *last != NULL; last = &(*last)->next)
			;
		*last = r->head;
		if (r->head == NULL)
			r->tail = last;
		r->head = list;
		list = NULL;
	}
	if (r != NULL && dropped != 0) {
		if (r->dropped == 0)
			r->drop_t = drop_t;
		r->dropped += dropped;
	}
	more = r != NULL && (r->head != NULL || r->dropped != 0);
	open = r != NULL ? (int)r->nctxs : 0;
	if (r != NULL) {
		r->bytes -= MIN(freed, r->bytes);
		if (end && !more)
			trace_rec_free_locked(r);
	}
	pthread_mutex_unlock(&tr.lock);
	for (; list != NULL; list = rec) {
		rec = list->next;
		free(list);
	}
	if (b.error != 0) {
		free(b.buf);
		return (b.error);
	}
	o = json_stringn(b.buf != NULL ? b.buf : "", b.len);
	free(b.buf);
	if (o == NULL || json_object_set_new(body, "lines", o) != 0 ||
	    json_object_set_new(body, "more", json_boolean(more)) != 0 ||
	    json_object_set_new(body, "open", json_integer(open)) != 0)
		return (-ENOMEM);
	return (0);
}

void
trace_event(const struct trace_site *site, const char *type,
    const char *detail)
{
	struct trace_rec	*rec;
	int			 nrec;

	nrec = __atomic_load_n(&tr.nrec, __ATOMIC_RELAXED) != 0 &&
	    site->ctx != 0;
	if (nrec && strcmp(type, "open") == 0)
		trace_rec_join(site);
	if (trace_enabled(site->ctx) && (rec = trace_rec_new(site,
	    TRACE_KIND_EVENT, detail != NULL ?
	    strnlen(detail, TRACE_MAX_DETAIL) + 1 : 0)) != NULL) {
		snprintf(rec->type, sizeof(rec->type), "%s", type);
		if (detail != NULL) {
			rec->detail = (char *)rec->data;
			memcpy(rec->detail, detail,
			    strnlen(detail, TRACE_MAX_DETAIL));
		}
		trace_queue(rec);
	}
	if (nrec && strcmp(type, "close") == 0)
		trace_rec_leave(site->ctx);
}

/*
 * How many bytes from uaddr one carried region holds (at most len), copied
 * to out.
 */
static size_t
trace_peek(const struct uregions *ur, uint64_t uaddr, uint8_t *out,
    size_t len)
{
	const struct uregion	*r;
	uint64_t		 n;
	unsigned int		 i;

	for (i = 0; i < ur->nregions; i++) {
		r = &ur->regions[i];
		if (r->data == NULL || uaddr < r->uaddr ||
		    uaddr - r->uaddr >= r->len)
			continue;
		n = MIN(r->len - (uaddr - r->uaddr), (uint64_t)len);
		memcpy(out, (const uint8_t *)r->data + (uaddr - r->uaddr), n);
		return ((size_t)n);
	}
	return (0);
}

/* Lays the command's writes that fall in [uaddr, uaddr + len) over out. */
static void
trace_overlay(const struct uregions *ur, uint64_t uaddr, uint8_t *out,
    size_t len)
{
	const struct uwrite	*w;
	uint64_t		 lo, hi;
	unsigned int		 i;

	for (i = 0; i < ur->nwrites; i++) {
		w = &ur->writes[i];
		lo = MAX(w->uaddr, uaddr);
		hi = MIN(w->uaddr + w->len, uaddr + len);
		if (lo >= hi)
			continue;
		memcpy(out + (lo - uaddr), w->data + (lo - w->uaddr),
		    hi - lo);
	}
}

/*
 * Notes in rec what descriptor fd of name (a field's, or "ret") is: the
 * object behind it when ctx handed it out, else a regular file's inode
 * and size.
 */
static void
trace_fdobj(struct trace_rec *rec, struct ctx *ctx, const char *name, int fd)
{
	struct trace_annot	*an = rec->annot;
	struct tracefmt_file	*tf;
	struct hfd		*hfd;
	struct stat		 sb;

	if (hfd_find(ctx, fd, OBJ_ANY, &hfd) == 0) {
		if (an->nfdobjs < TRACEFMT_MAX_FDOBJS) {
			an->fdobjs[an->nfdobjs].name = name;
			an->fdobjs[an->nfdobjs++].obj = hfd->obj->id;
		}
	} else if (an->nfiles < TRACEFMT_MAX_FILES && fstat(fd, &sb) == 0 &&
	    S_ISREG(sb.st_mode)) {
		tf = &an->files[an->nfiles++];
		tf->name = name;
		tf->uva = 0;
		tf->ino = (uint64_t)sb.st_ino;
		tf->a = (uint64_t)sb.st_size;
	}
}

/*
 * Notes in rec the file that process pid maps at uva (field name), for
 * up to len bytes, if it maps one there: read from /proc/<pid>/maps.
 */
static void
trace_uvafile(struct trace_rec *rec, pid_t pid, const char *name,
    uint64_t uva, uint64_t len)
{
	struct trace_annot	*an = rec->annot;
	struct tracefmt_file	*tf;
	char			 path[64], line[512];
	uint64_t		 start, end, off, ino;
	FILE			*f;

	if (an->nfiles >= TRACEFMT_MAX_FILES || pid <= 0 || len == 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64
		    " %*x:%*x %" SCNu64, &start, &end, &off, &ino) != 4)
			continue;
		if (uva < start || uva >= end)
			continue;
		if (ino != 0) {
			tf = &an->files[an->nfiles++];
			tf->name = name;
			tf->uva = 1;
			tf->ino = ino;
			tf->a = off + (uva - start);
			tf->len = MIN(end - uva, len);
		}
		break;
	}
	fclose(f);
}

/*
 * The objects behind the descriptors a call of layout st (its struct in
 * rec, or NULL) names: an input is found among those the caller sent by
 * its number, an output among those for the caller by where its number
 * goes (address 0: the return value).
 */
static void
trace_fdobjs(struct trace_rec *rec, struct ctx *ctx,
    const struct uapi_struct *st, const struct uregions *ur)
{
	const struct uapi_field	*f;
	unsigned int		 i, k;
	int			 cfd;

	for (i = 0; i < ur->nout_fds; i++) {
		if (ur->out_fds[i].uaddr == 0 && ur->out_fds[i].fd >= 0)
			trace_fdobj(rec, ctx, "ret", ur->out_fds[i].fd);
	}
	if (st == NULL)
		return;
	st = uapi_resolve(st, rec->data, rec->in_len);
	for (k = 0; k < st->nfields; k++) {
		f = &st->fields[k];
		if (f->kind != UK_FD || f->off + f->width > rec->in_len)
			continue;
		if (f->dir & UD_IN) {
			cfd = (int)(int32_t)uapi_get(f, rec->data);
			for (i = 0; i < ur->nin_fds; i++) {
				if (ur->in_fds[i].cfd == cfd &&
				    ur->in_fds[i].fd >= 0) {
					trace_fdobj(rec, ctx, f->name,
					    ur->in_fds[i].fd);
					break;
				}
			}
		}
		for (i = 0; i < ur->nout_fds; i++) {
			if (ur->out_fds[i].uaddr == rec->arg + f->off &&
			    ur->out_fds[i].fd >= 0)
				trace_fdobj(rec, ctx, f->name,
				    ur->out_fds[i].fd);
		}
	}
}

/* The files the UK_UVA fields of a call of layout st map (rec's struct). */
static void
trace_uvafiles(struct trace_rec *rec, pid_t pid, const struct uapi_struct *st)
{
	const struct uapi_field	*f, *lf = NULL;
	uint64_t		 uva;
	uint16_t		 k;

	st = uapi_resolve(st, rec->data, rec->in_len);
	for (k = 0; k < st->nfields && lf == NULL; k++) {
		if (st->fields[k].kind == UK_LEN &&
		    st->fields[k].off + st->fields[k].width <= rec->in_len)
			lf = &st->fields[k];
	}
	if (lf == NULL)
		return;
	for (k = 0; k < st->nfields; k++) {
		f = &st->fields[k];
		if (f->kind != UK_UVA || !(f->dir & UD_IN) ||
		    f->off + f->width > rec->in_len ||
		    (uva = uapi_get(f, rec->data)) == 0)
			continue;
		trace_uvafile(rec, pid, f->name, uva, uapi_get(lf, rec->data));
	}
}

void
trace_ioctl(const struct trace_site *site, struct ctx *ctx, unsigned int num,
    uint64_t arg, const struct uregions *ur, long result, uint64_t t0)
{
	const struct uapi_cmd	*c;
	const struct uapi_struct *st = NULL;
	struct uapi_buf		 bufs[UAPI_MAX_BUFS];
	struct trace_rec	*rec;
	struct trace_buf	*tb;
	uint8_t			 in[TRACE_MAX_STRUCT];
	size_t			 in_len = 0, extra, off, blen;
	uint32_t		 size;
	int			 nbufs = 0, i;

	if (!trace_enabled(site->ctx))
		return;
	c = uapi_cmd_find_on(num, site->devnode);
	if (c != NULL && c->st != NULL && (c->argkind == UA_SIZED ||
	    c->argkind == UA_ARGSZ)) {
		st = c->st;
		in_len = trace_peek(ur, arg, in, sizeof(in));
		if (in_len >= sizeof(size)) {
			memcpy(&size, in, sizeof(size));
			in_len = MIN(in_len, (size_t)size);
		}
		nbufs = uapi_bufs(st, in, in_len, bufs, UAPI_MAX_BUFS);
		if (nbufs < 0)
			nbufs = 0;
	}
	extra = 2 * in_len;
	for (i = 0; i < nbufs; i++)
		extra += 2 * MIN(bufs[i].len, (uint64_t)TRACEFMT_MAX_BUF);
	/* The annotations last, aligned (the record is zeroed). */
	if ((rec = trace_rec_new(site, TRACE_KIND_IOCTL, extra +
	    _Alignof(struct trace_annot) + sizeof(struct trace_annot))) == NULL)
		return;
	rec->annot = (struct trace_annot *)(((uintptr_t)(rec->data + extra) +
	    _Alignof(struct trace_annot) - 1) &
	    ~(uintptr_t)(_Alignof(struct trace_annot) - 1));
	rec->t = t0;
	rec->dur = trace_now() - t0;
	rec->num = num;
	rec->arg = arg;
	rec->result = result;
	rec->in_len = rec->out_len = (uint32_t)in_len;
	memcpy(rec->data, in, in_len);
	memcpy(rec->data + in_len, in, in_len);
	trace_overlay(ur, arg, rec->data + in_len, in_len);
	off = 2 * in_len;
	for (i = 0; i < nbufs; i++) {
		tb = &rec->bufs[rec->nbufs++];
		blen = (size_t)MIN(bufs[i].len, (uint64_t)TRACEFMT_MAX_BUF);
		tb->field = bufs[i].field;
		tb->len = bufs[i].len;
		tb->in_off = (uint32_t)off;
		tb->in_have = (uint32_t)trace_peek(ur, bufs[i].uaddr,
		    rec->data + off, blen);
		off += blen;
		tb->out_off = (uint32_t)off;
		memcpy(rec->data + off, rec->data + tb->in_off, tb->in_have);
		trace_overlay(ur, bufs[i].uaddr, rec->data + off, blen);
		/* An output buffer is known whole once written. */
		tb->out_have = (bufs[i].dir & UD_OUT) ? (uint32_t)blen :
		    tb->in_have;
		off += blen;
	}
	if (ctx != NULL && (ur->nin_fds != 0 || ur->nout_fds != 0))
		trace_fdobjs(rec, ctx, st, ur);
	/*
	 * Which file a caller maps at an address matters to the mock's
	 * checks (MD_CHECK_MAP, MD_CHECK_REFS) only: pinning and DMA work
	 * the same on any memory, and reading the caller's maps would
	 * double the traced cost of every IOAS_MAP.
	 */
	if (st != NULL && num == IOMMU_TEST_CMD)
		trace_uvafiles(rec, site->pid, st);
	trace_queue(rec);
}

void
trace_fd(const struct trace_site *site, const char *type, int kind,
    uint32_t obj, const void *data, size_t len)
{
	struct trace_rec	*rec;
	size_t			 keep;

	if (!trace_enabled(site->ctx))
		return;
	keep = data != NULL ? MIN(len, (size_t)TRACEFMT_MAX_BUF) : 0;
	if ((rec = trace_rec_new(site, TRACE_KIND_FD, keep)) == NULL)
		return;
	snprintf(rec->type, sizeof(rec->type), "%s", type);
	rec->num = data != NULL ? (uint32_t)kind : 0;
	rec->arg = obj;
	rec->result = (long)MIN(len, (size_t)LONG_MAX);
	rec->in_len = (uint32_t)keep;
	if (keep != 0)
		memcpy(rec->data, data, keep);
	trace_queue(rec);
}

void
trace_obj_fd(const struct obj *obj, const char *type, int rec,
    const void *data, size_t len)
{
	struct trace_site	site;

	memset(&site, 0, sizeof(site));
	site.ctx = obj->ctx->id;
	site.pid = obj->ctx->opener;
	site.node = obj_type_name(obj->type);
	trace_fd(&site, type, rec, obj->id, data, len);
}

void
trace_mem(const struct ctx *ctx, uint64_t uva, const void *data, size_t len)
{
	struct trace_site	 site;
	struct trace_rec	*rec;
	size_t			 keep, off;

	if (!trace_enabled(ctx->id))
		return;
	memset(&site, 0, sizeof(site));
	site.ctx = ctx->id;
	site.pid = ctx->opener;
	site.node = "iommu";
	for (off = 0; off < MIN(len, (size_t)TRACE_MEM_MAX); off += keep) {
		keep = MIN(len - off, (size_t)TRACEFMT_MAX_BUF);
		if ((rec = trace_rec_new(&site, TRACE_KIND_MEM, keep)) == NULL)
			return;
		snprintf(rec->type, sizeof(rec->type), "memread");
		rec->arg = uva + off;
		rec->result = (long)keep;
		rec->in_len = (uint32_t)keep;
		memcpy(rec->data, (const uint8_t *)data + off, keep);
		trace_queue(rec);
	}
}
