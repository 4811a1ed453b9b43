/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Caller memory and descriptors for the handlers (see ucmd.h): the ucmd_*
 * wrappers, the region-based uaccess that the socket and CUSE transports
 * use, and the self uaccess that the tests and benchmarks use.
 *
 * New objects: a handler publishes one through ucmd_finalize(), which
 * leaves it to the transport to settle when the answer reaches the caller
 * after dispatch() returns.
 *
 * Descriptor ownership: ucmd_getfd() returns a new descriptor that the
 * handler owns. ucmd_putfd() takes ownership of fd only when it succeeds;
 * on failure the handler still owns it and must close it.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/inject.h"
#include "core/ucmd.h"
#include "core/util.h"

int
ucmd_read(struct ucmd *ucmd, uint64_t uaddr, void *buf, size_t len)
{
	if (len == 0)
		return (0);
	return (ucmd->uops->read(ucmd->upriv, uaddr, buf, len));
}

int
ucmd_write(struct ucmd *ucmd, uint64_t uaddr, const void *buf, size_t len)
{
	if (len == 0)
		return (0);
	return (ucmd->uops->write(ucmd->upriv, uaddr, buf, len));
}

void
ucmd_rows_init(struct ucmd_rows *r, struct ucmd *ucmd, uint64_t uptr,
    uint32_t max)
{
	r->ucmd = ucmd;
	r->uptr = uptr;
	r->max = max;
	r->count = 0;
}

int
ucmd_row(struct ucmd_rows *r, const void *row, size_t size)
{
	int	rc;

	if (r->count < r->max && (rc = ucmd_write(r->ucmd, r->uptr +
	    (uint64_t)r->count * size, row, size)) != 0)
		return (rc);
	r->count++;
	return (0);
}

/*
 * Never more than the caller said its struct holds, and never more than
 * the daemon's copy: bytes the caller has beyond our struct are left as
 * they were.
 */
int
ucmd_respond(struct ucmd *ucmd, size_t len)
{
	len = MIN(len, (size_t)ucmd->user_size);
	len = MIN(len, ucmd->cmd_len);
	return (ucmd_write(ucmd, ucmd->arg, ucmd->cmd_buf, len));
}

void
ucmd_finalize(struct ucmd *ucmd, struct obj *obj)
{
	if (ucmd->defer && ucmd->npending < UCMD_MAX_PENDING) {
		ucmd->pending[ucmd->npending++] = obj;
		return;
	}
	obj_finalize(obj);
}

void
ucmd_settle(struct obj **pending, unsigned int n, int written)
{
	unsigned int	i;

	for (i = 0; i < n; i++) {
		if (written)
			obj_finalize(pending[i]);
		else
			obj_abort(pending[i]);
		pending[i] = NULL;
	}
}

/*
 * The kernel takes a command's descriptor with fget(), which does not
 * see O_PATH descriptors: EBADF, as for a number that is not open.
 */
int
ucmd_getfd(struct ucmd *ucmd, int cfd)
{
	int	fd, fl;

	if (cfd < 0)
		return (-EBADF);
	if ((fd = ucmd->uops->getfd(ucmd->upriv, cfd)) < 0)
		return (fd);
	if ((fl = fcntl(fd, F_GETFL)) == -1 || (fl & O_PATH)) {
		close(fd);
		return (-EBADF);
	}
	return (fd);
}

int
ucmd_getctx(struct ucmd *ucmd, int cfd, struct ctx **ctxp)
{
	struct stat	 st;
	struct ctx	*ctx = NULL;
	int		 fd;

	if ((fd = ucmd_getfd(ucmd, cfd)) < 0)
		return (fd);
	if (fstat(fd, &st) == 0)
		ctx = ctx_find_file(st.st_dev, st.st_ino);
	if (ctx == NULL && ctx_file_hook != NULL &&
	    ctx_file_hook(fd, &ctx) != 0)
		ctx = NULL;
	close(fd);
	if (ctx == NULL)
		return (-EBADFD);
	/* Objects whose answers are on their way are settled first. */
	if (ctx->settle != NULL)
		ctx->settle(ctx);
	ctx_hold(ctx);
	*ctxp = ctx;
	return (0);
}

int
ucmd_putfd(struct ucmd *ucmd, int fd, uint64_t uaddr)
{
	return (ucmd->uops->putfd(ucmd->upriv, fd, uaddr));
}

/* True when [uaddr, uaddr + len) lies inside region r; len is not 0. */
static int
uregion_covers(const struct uregion *r, uint64_t uaddr, uint64_t len)
{
	if (u64_range_overflows(uaddr, len))
		return (0);
	return (uaddr >= r->uaddr && uaddr - r->uaddr <= r->len &&
	    len <= r->len - (uaddr - r->uaddr));
}

/* True when [uaddr, uaddr + len) and region r share a byte. */
static int
uregion_overlaps(const struct uregion *r, uint64_t uaddr, uint64_t len)
{
	if (uaddr >= r->uaddr)
		return (uaddr - r->uaddr < r->len);
	return (r->uaddr - uaddr < len);
}

static int
uregions_read(void *priv, uint64_t uaddr, void *buf, size_t len)
{
	struct uregions		*ur = priv;
	const struct uregion	*r;
	unsigned int		 i;

	if (len == 0)
		return (0);
	for (i = 0; i < ur->nregions; i++) {
		r = &ur->regions[i];
		if (r->data == NULL || !uregion_covers(r, uaddr, len))
			continue;
		memcpy(buf, (const uint8_t *)r->data + (uaddr - r->uaddr),
		    len);
		return (0);
	}
	/*
	 * Bytes the client did not carry are there, but more than a request
	 * may hold: the kernel's answer when it cannot allocate for a copy.
	 */
	for (i = 0; i < ur->nregions; i++) {
		r = &ur->regions[i];
		if (r->notcarried && uregion_overlaps(r, uaddr, len))
			return (-ENOMEM);
	}
	return (-EFAULT);
}

static int
uregions_write(void *priv, uint64_t uaddr, const void *buf, size_t len)
{
	struct uregions	*ur = priv;
	struct uwrite	*w;
	unsigned int	 i, cap;

	if (len == 0)
		return (0);
	if (u64_range_overflows(uaddr, len))
		return (-EFAULT);
	if (ur->nouts != 0) {
		for (i = 0; i < ur->nouts; i++) {
			if (uregion_covers(&ur->outs[i], uaddr, len))
				break;
		}
		if (i == ur->nouts)
			return (-EFAULT);
	}

	if (ur->nwrites == ur->writes_cap) {
		cap = ur->writes_cap * 2;
		if (ur->writes == ur->inline_writes) {
			if ((w = inject_reallocarray(NULL, cap,
			    sizeof(*w))) != NULL)
				memcpy(w, ur->writes,
				    ur->nwrites * sizeof(*w));
		} else
			w = inject_reallocarray(ur->writes, cap,
			    sizeof(*w));
		if (w == NULL)
			return (-ENOMEM);
		ur->writes = w;
		ur->writes_cap = cap;
	}
	w = &ur->writes[ur->nwrites];
	if (len <= sizeof(ur->inline_bytes) - ur->inline_used) {
		w->data = (uint8_t *)ur->inline_bytes + ur->inline_used;
		/* The next one starts 8-aligned. */
		ur->inline_used += MIN(sizeof(ur->inline_bytes) -
		    ur->inline_used, (len + 7) & ~(size_t)7);
	} else if ((w->data = inject_malloc(len)) == NULL)
		return (-ENOMEM);
	memcpy(w->data, buf, len);
	w->uaddr = uaddr;
	w->len = len;
	ur->nwrites++;
	return (0);
}

static int
uregions_getfd(void *priv, int cfd)
{
	struct uregions	*ur = priv;
	unsigned int	 i;
	int		 fd;

	for (i = 0; i < ur->nin_fds; i++) {
		if (ur->in_fds[i].cfd != cfd || ur->in_fds[i].fd < 0)
			continue;
		if ((fd = fcntl(ur->in_fds[i].fd, F_DUPFD_CLOEXEC, 0)) == -1)
			return (-errno);
		return (fd);
	}
	return (-EBADF);
}

static int
uregions_putfd(void *priv, int fd, uint64_t uaddr)
{
	struct uregions	*ur = priv;
	struct ufd	*u;

	if (!ur->can_putfd)
		return (-EOPNOTSUPP);
	if (ur->nout_fds == UREGIONS_MAX_FDS)
		return (-EMFILE);
	u = &ur->out_fds[ur->nout_fds];
	u->cfd = ur->nout_fds;
	u->fd = fd;
	u->uaddr = uaddr;
	ur->nout_fds++;
	return (0);
}

const struct uaccess_ops uregions_ops = {
	.read = uregions_read,
	.write = uregions_write,
	.getfd = uregions_getfd,
	.putfd = uregions_putfd,
};

void
uregions_init(struct uregions *ur, const struct uregion *regions,
    unsigned int nregions)
{
	/* The arrays are used up to their counts only: no need to clear. */
	ur->regions = regions;
	ur->nregions = nregions;
	ur->writes = ur->inline_writes;
	ur->nwrites = 0;
	ur->writes_cap = UREGIONS_INLINE_WRITES;
	ur->inline_used = 0;
	ur->outs = NULL;
	ur->nouts = 0;
	ur->nin_fds = 0;
	ur->nout_fds = 0;
	ur->can_putfd = 0;
}

static int
uregions_inline(const struct uregions *ur, const uint8_t *p)
{
	const uint8_t	*b = (const uint8_t *)ur->inline_bytes;

	return (p >= b && p < b + sizeof(ur->inline_bytes));
}

void
uregions_clear(struct uregions *ur)
{
	unsigned int	 i;

	for (i = 0; i < ur->nwrites; i++) {
		if (!uregions_inline(ur, ur->writes[i].data))
			free(ur->writes[i].data);
	}
	if (ur->writes != ur->inline_writes)
		free(ur->writes);
	ur->writes = ur->inline_writes;
	ur->nwrites = 0;
	ur->writes_cap = UREGIONS_INLINE_WRITES;
	ur->inline_used = 0;

	for (i = 0; i < ur->nin_fds; i++) {
		if (ur->in_fds[i].fd >= 0)
			close(ur->in_fds[i].fd);
		ur->in_fds[i].fd = -1;
	}
	ur->nin_fds = 0;
	for (i = 0; i < ur->nout_fds; i++) {
		if (ur->out_fds[i].fd >= 0)
			close(ur->out_fds[i].fd);
		ur->out_fds[i].fd = -1;
	}
	ur->nout_fds = 0;
}

/*
 * Copy between buf and address uaddr of process pid with
 * process_vm_readv/writev. They copy what they can and stop at the first
 * unmapped page, so a short count is a fault, as for copy_from_user().
 * A process may always reach itself; reaching another needs ptrace rights.
 */
int
ucmd_vm_copy(pid_t pid, int to_caller, uint64_t uaddr, void *buf, size_t len)
{
	struct iovec	 local, remote;
	ssize_t		 n;

	while (len > 0) {
		if (uaddr > UINTPTR_MAX || u64_range_overflows(uaddr, len))
			return (-EFAULT);
		local.iov_base = buf;
		local.iov_len = len;
		remote.iov_base = (void *)(uintptr_t)uaddr;
		remote.iov_len = len;
		if (to_caller)
			n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
		else
			n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-EFAULT);
		buf = (uint8_t *)buf + n;
		uaddr += n;
		len -= n;
	}
	return (0);
}

static int
uself_copy(int to_caller, uint64_t uaddr, void *buf, size_t len)
{
	return (ucmd_vm_copy(getpid(), to_caller, uaddr, buf, len));
}

static int
uself_read(void *priv __unused, uint64_t uaddr, void *buf, size_t len)
{
	return (uself_copy(0, uaddr, buf, len));
}

static int
uself_write(void *priv __unused, uint64_t uaddr, const void *buf, size_t len)
{
	return (uself_copy(1, uaddr, (void *)(uintptr_t)buf, len));
}

static int
uself_getfd(void *priv __unused, int cfd)
{
	int	 fd;

	if ((fd = fcntl(cfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return (-errno);
	return (fd);
}

/* The caller is ourselves: the descriptor number is already the answer. */
static int
uself_putfd(void *priv __unused, int fd, uint64_t uaddr)
{
	uint32_t	 num = fd;

	if (uaddr == 0)
		return (fd);
	return (uself_copy(1, uaddr, &num, sizeof(num)));
}

const struct uaccess_ops uself_ops = {
	.read = uself_read,
	.write = uself_write,
	.getfd = uself_getfd,
	.putfd = uself_putfd,
};
