/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Pass-through tracing (see passthru.h). The caller's memory is read with
 * process_vm_readv() on this process, so that a bad pointer (the calls
 * that test EFAULT) is seen as unreadable rather than a crash. Each line
 * is one write() to a file opened with O_APPEND: a crash loses at most
 * the line of the call in progress, and lines of other threads and
 * processes sharing the file do not interleave.
 *
 * The node is $IOASIDD_NODE when it is an absolute path, else /dev/iommu:
 * a descriptor is traced when it is open on the same character device.
 * A context is a descriptor number of the node: it is numbered when
 * its first ioctl is seen (an "open" line) and forgotten when closed
 * (a "close" line). A dup()ed descriptor is a context of its own. A
 * descriptor a command hands out (an output field of kind UK_FD) gets a
 * "close" line of its context with its number as "fd" when the program
 * closes it, so that replay closes its own and the kernel's side effect
 * (an access ending) happens there too.
 */
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "passthru.h"
#include "tracefmt.h"
#include "uapi.h"
#include "wire.h"

/* Descriptors numbered as contexts; higher ones are traced as one. */
#define PASSTHRU_MAX_FD		4096
/* Most bytes of a struct read (as the daemon's trace keeps). */
#define PASSTHRU_MAX_STRUCT	1024
/* The trace format, as daemon/core/trace.h's TRACE_FORMAT. */
#define PASSTHRU_FORMAT		1

static struct {
	pthread_mutex_t	 lock;
	int		 ready;		/* 1: set up, -1: off */
	int		 fd;
	dev_t		 rdev;
	uint64_t	 seq;
	uint32_t	 nctx;
	uint32_t	 ctx[PASSTHRU_MAX_FD];
	/* Descriptors a command handed out, by the context that made them. */
	uint32_t	 made[PASSTHRU_MAX_FD];
} pt = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.fd = -1,
};

/*
 * Set while this thread holds pt.lock: a close() made inside (jansson
 * reads /dev/urandom for its hash seed) must not take it again.
 */
static __thread int	pt_inside;

/* Takes pt.lock, marking the thread as inside. */
static void
passthru_lock(void)
{
	pthread_mutex_lock(&pt.lock);
	pt_inside = 1;
}

/* Releases pt.lock. */
static void
passthru_unlock(void)
{
	pt_inside = 0;
	pthread_mutex_unlock(&pt.lock);
}

/* The monotonic clock in nanoseconds. */
static uint64_t
passthru_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/* Writes all of len bytes to fd; errors are left (the trace is lost). */
static void
passthru_write(const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(pt.fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Writes the line of a JSON value and frees it; with the lock held. */
static void
passthru_line(json_t *o)
{
	char	*s;
	size_t	 n;

	if (o == NULL)
		return;
	if ((s = json_dumps(o, JSON_COMPACT)) != NULL) {
		n = strlen(s);
		s[n] = '\n';
		passthru_write(s, n + 1);
		free(s);
	}
	json_decref(o);
}

/*
 * The header: the format, the kernel that answered, and the uAPI level of
 * the table its answers are read with.
 */
static json_t *
passthru_header(void)
{
	struct utsname	 u;
	const char	*level = "6.12";
	int		 major = 0, minor = 0;

	memset(&u, 0, sizeof(u));
	(void)uname(&u);
	if (sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	    (major > 7 || (major == 7 && minor >= 3)))
		level = "7.3";
	return (json_pack("{s:s,s:i,s:s,s:s,s:[],s:s}", "type", "header",
	    "format", PASSTHRU_FORMAT, "ioasidd", IOASIDD_VERSION,
	    "uapi_level", level, "hw", "kernel", u.release));
}

/*
 * Opens the trace file and learns the node's device number, once.
 * Returns whether tracing is on; with the lock held.
 */
static int
passthru_setup(void)
{
	struct stat	 sb;
	const char	*path, *node;

	if (pt.ready != 0)
		return (pt.ready > 0);
	pt.ready = -1;
	if ((node = getenv(WIRE_ENV_NODE)) == NULL || *node != '/')
		node = WIRE_DEFAULT_NODE;
	if ((path = getenv("IOASIDD_TRACE")) == NULL || *path == '\0' ||
	    stat(node, &sb) != 0 || !S_ISCHR(sb.st_mode))
		return (0);
	pt.rdev = sb.st_rdev;
	pt.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (pt.fd < 0)
		return (0);
	if (fstat(pt.fd, &sb) == 0 && sb.st_size == 0)
		passthru_line(passthru_header());
	pt.ready = 1;
	return (1);
}

/* Whether fd is the kernel's /dev/iommu. */
static int
passthru_is_node(int fd)
{
	struct stat	sb;

	return (fstat(fd, &sb) == 0 && S_ISCHR(sb.st_mode) &&
	    sb.st_rdev == pt.rdev);
}

/*
 * An "open" or "close" line of context ctx, or with fd >= 0 the close of
 * descriptor fd that a command of ctx handed out; with the lock held.
 */
static void
passthru_event(const char *type, uint32_t ctx, int fd)
{
	json_t	*o;

	o = json_pack("{s:s,s:I,s:I,s:i,s:I,s:s}", "type", type,
	    "seq", (json_int_t)++pt.seq, "t", (json_int_t)passthru_now(),
	    "pid", (int)getpid(), "ctx", (json_int_t)ctx, "node", "iommu");
	if (o != NULL && fd >= 0)
		json_object_set_new(o, "fd", json_integer(fd));
	passthru_line(o);
}

/*
 * Notes the descriptors that the answer (st, out_len bytes at out) hands
 * out to context ctx, so that their close is traced; with the lock held.
 */
static void
passthru_made(const struct uapi_struct *st, const uint8_t *out,
    size_t out_len, uint32_t ctx)
{
	const struct uapi_field	*f;
	int32_t			 fd;
	uint16_t		 i;

	st = uapi_resolve(st, out, out_len);
	for (i = 0; i < st->nfields; i++) {
		f = &st->fields[i];
		if (f->kind != UK_FD || !(f->dir & UD_OUT) || f->width != 4 ||
		    (size_t)f->off + f->width > out_len)
			continue;
		fd = (int32_t)uapi_get(f, out);
		if (fd >= 0 && fd < PASSTHRU_MAX_FD)
			pt.made[fd] = ctx;
	}
}

/* The context of fd, numbered (and its "open" written) when new. */
static uint32_t
passthru_ctx(int fd)
{
	if (fd < 0 || fd >= PASSTHRU_MAX_FD)
		return (0);
	if (pt.ctx[fd] == 0) {
		pt.ctx[fd] = ++pt.nctx;
		passthru_event("open", pt.ctx[fd], -1);
	}
	return (pt.ctx[fd]);
}

/*
 * Copies up to len bytes at addr of this process to out without faulting:
 * how many could be read (0 for an address that leads nowhere).
 */
static size_t
passthru_peek(uint64_t addr, void *out, size_t len)
{
	struct iovec	 local, remote;
	ssize_t		 n;

	if (addr == 0 || len == 0)
		return (0);
	local.iov_base = out;
	local.iov_len = len;
	remote.iov_base = (void *)(uintptr_t)addr;
	remote.iov_len = len;
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	return (n > 0 ? (size_t)n : 0);
}

int
passthru_ioctl(int fd, unsigned long req, void *arg, passthru_ioctl_fn real)
{
	const struct uapi_cmd	*c;
	struct uapi_buf		 bufs[UAPI_MAX_BUFS];
	struct tracefmt_call	 call;
	uint8_t			 in[PASSTHRU_MAX_STRUCT];
	uint8_t			 out[PASSTHRU_MAX_STRUCT];
	uint8_t			*bin[UAPI_MAX_BUFS] = { NULL };
	uint8_t			*bout[UAPI_MAX_BUFS] = { NULL };
	uint32_t		 size;
	size_t			 in_len = 0, blen;
	uint64_t		 t0;
	int			 on, rc, saved, nbufs = 0, i;

	passthru_lock();
	on = passthru_setup();
	passthru_unlock();
	if (!on || !passthru_is_node(fd))
		return (real(fd, req, arg));

	memset(&call, 0, sizeof(call));
	c = uapi_cmd_find_on((uint32_t)req, 0);
	if (c != NULL && c->st != NULL && (c->argkind == UA_SIZED ||
	    c->argkind == UA_ARGSZ)) {
		in_len = passthru_peek((uintptr_t)arg, in, sizeof(in));
		if (in_len >= sizeof(size)) {
			memcpy(&size, in, sizeof(size));
			if (size < in_len)
				in_len = size;
		}
		nbufs = uapi_bufs(c->st, in, in_len, bufs, UAPI_MAX_BUFS);
		if (nbufs < 0)
			nbufs = 0;
	}
	for (i = 0; i < nbufs; i++) {
		blen = (size_t)(bufs[i].len < TRACEFMT_MAX_BUF ? bufs[i].len :
		    TRACEFMT_MAX_BUF);
		call.bufs[i].field = bufs[i].field;
		call.bufs[i].len = bufs[i].len;
		if ((bin[i] = malloc(blen + 1)) == NULL ||
		    (bout[i] = malloc(blen + 1)) == NULL)
			continue;
		call.bufs[i].in = bin[i];
		call.bufs[i].in_have = passthru_peek(bufs[i].uaddr, bin[i],
		    blen);
		call.bufs[i].unreadable = call.bufs[i].in_have < blen;
		call.bufs[i].out = bout[i];
	}

	t0 = passthru_now();
	rc = real(fd, req, arg);
	saved = errno;
	call.dur = passthru_now() - t0;

	call.t = t0;
	call.pid = (int)getpid();
	call.node = "iommu";
	call.num = (uint32_t)req;
	call.arg = (uintptr_t)arg;
	call.result = rc < 0 ? -saved : rc;
	call.in = in;
	call.in_len = in_len;
	call.out = out;
	call.out_len = in_len > 0 ? passthru_peek((uintptr_t)arg, out,
	    in_len) : 0;
	for (i = 0; i < nbufs; i++) {
		if (bout[i] == NULL)
			continue;
		blen = (size_t)(bufs[i].len < TRACEFMT_MAX_BUF ? bufs[i].len :
		    TRACEFMT_MAX_BUF);
		call.bufs[i].out_have = passthru_peek(bufs[i].uaddr, bout[i],
		    blen);
	}
	call.nbufs = (unsigned int)nbufs;
	for (i = 0; i < nbufs; i++) {
		/* A buffer that could not be copied is not described. */
		if (bout[i] == NULL)
			call.bufs[i].len = 0;
	}
	passthru_lock();
	call.ctx = passthru_ctx(fd);
	call.seq = ++pt.seq;
	passthru_line(tracefmt_call_encode(&call));
	if (rc >= 0 && c != NULL && c->st != NULL && call.out_len > 0)
		passthru_made(c->st, out, call.out_len, call.ctx);
	passthru_unlock();
	for (i = 0; i < nbufs; i++) {
		free(bin[i]);
		free(bout[i]);
	}
	errno = saved;
	return (rc);
}

void
passthru_close(int fd)
{
	int	saved = errno;

	if (fd < 0 || fd >= PASSTHRU_MAX_FD || pt_inside)
		return;
	passthru_lock();
	if (pt.ready > 0 && pt.ctx[fd] != 0) {
		passthru_event("close", pt.ctx[fd], -1);
		pt.ctx[fd] = 0;
	}
	if (pt.ready > 0 && pt.made[fd] != 0) {
		passthru_event("close", pt.made[fd], fd);
		pt.made[fd] = 0;
	}
	passthru_unlock();
	errno = saved;
}
