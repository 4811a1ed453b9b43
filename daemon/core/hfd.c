/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Handed-out descriptors (see hfd.h): making the socket pair, the holds
 * on the object and the context, finding an hfd again from a copy of the
 * caller's end, and noticing that the caller closed it.
 *
 * A hangup is served once: the kind's hangup op gives the hfd up, so an
 * hfd found readable with its peer gone never stays on the list. The
 * context is held across every op call, so an op that frees the hfd (and
 * with it the hfd's reference) cannot free the context under the caller.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "core/trace.h"
#include "log.h"

static const struct hfd_loop	*hfd_loop;
static unsigned int		 hfd_open;
static int			 hfd_ep = -1;	/* see hfd_reap() */

void
hfd_set_loop(const struct hfd_loop *loop)
{
	hfd_loop = loop;
}

unsigned int
hfd_count(void)
{
	return (hfd_open);
}

/* The epoll instance lives while something is handed out. */
static void
hfd_ep_release(void)
{
	if (hfd_open == 0 && hfd_ep != -1) {
		close(hfd_ep);
		hfd_ep = -1;
	}
}

unsigned int
hfd_ctx_count(const struct ctx *ctx)
{
	struct hfd	*hfd;
	unsigned int	 n = 0;

	LIST_FOREACH(hfd, &ctx->hfds, entry)
		n++;
	return (n);
}

int
hfd_new(struct obj *obj, int type, int flags, const struct hfd_ops *ops,
    int *peerp, struct hfd **hfdp)
{
	struct hfd		*hfd;
	struct stat		 st;
	struct epoll_event	 ev;
	unsigned int		 n = 0;
	int			 sv[2], rc;

	LIST_FOREACH(hfd, &obj->ctx->hfds, entry) {
		if (++n >= HFD_MAX_PER_CTX)
			return (-EMFILE);
	}
	if ((hfd = calloc(1, sizeof(*hfd))) == NULL)
		return (-ENOMEM);
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == -1) {
		rc = -errno;
		free(hfd);
		return (rc);
	}
	/* The daemon's end never waits; the caller's as flags say. */
	if (fstat(sv[1], &st) == -1 ||
	    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK) == -1 ||
	    ((flags & HFD_NONBLOCK) && fcntl(sv[1], F_SETFL,
	    fcntl(sv[1], F_GETFL) | O_NONBLOCK) == -1)) {
		rc = -errno;
		close(sv[0]);
		close(sv[1]);
		free(hfd);
		return (rc);
	}
	hfd->fd = sv[0];
	ev.events = EPOLLRDHUP;
	ev.data.ptr = hfd;
	if ((hfd_ep == -1 && (hfd_ep = epoll_create1(EPOLL_CLOEXEC)) == -1) ||
	    epoll_ctl(hfd_ep, EPOLL_CTL_ADD, sv[0], &ev) == -1) {
		rc = -errno;
		close(sv[0]);
		close(sv[1]);
		free(hfd);
		hfd_ep_release();
		return (rc);
	}
	hfd->peer_dev = st.st_dev;
	hfd->peer_ino = st.st_ino;
	hfd->ops = ops;
	hfd->obj = obj;
	hfd->ctx = obj->ctx;
	if (hfd_loop != NULL && (rc = hfd_loop->watch(hfd)) != 0) {
		close(sv[0]);
		close(sv[1]);
		free(hfd);
		hfd_ep_release();
		return (rc);
	}
	obj_hold(obj);
	ctx_hold(hfd->ctx);
	LIST_INSERT_HEAD(&hfd->ctx->hfds, hfd, entry);
	hfd_open++;
	*peerp = sv[1];
	*hfdp = hfd;
	return (0);
}

void
hfd_free(struct hfd *hfd, int drop_obj)
{
	struct ctx	*ctx = hfd->ctx;
	int		 detached = hfd->detached;

	if (hfd_loop != NULL && !detached)
		hfd_loop->unwatch(hfd);
	close(hfd->fd);
	LIST_REMOVE(hfd, entry);
	hfd_open--;
	hfd_ep_release();
	if (drop_obj && !detached)
		obj_drop(hfd->obj);
	free(hfd);
	/* Last: this may free the context (ctx_put()). */
	if (!detached)
		ctx_put(ctx);
}

int
hfd_find(struct ctx *ctx, int fd, int type, struct hfd **hfdp)
{
	struct hfd	*hfd;
	struct stat	 st;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return (-EBADF);
	LIST_FOREACH(hfd, &ctx->hfds, entry) {
		if (hfd->peer_ino != st.st_ino || hfd->peer_dev != st.st_dev)
			continue;
		if (type != OBJ_ANY && hfd->obj->type != type)
			return (-EBADF);
		*hfdp = hfd;
		return (0);
	}
	return (-EBADF);
}

/* Is hfd still one of ctx's? Bounded by the context's hfds. */
static int
hfd_listed(struct ctx *ctx, struct hfd *hfd)
{
	struct hfd	*h;

	LIST_FOREACH(h, &ctx->hfds, entry) {
		if (h == hfd)
			return (1);
	}
	return (0);
}

/*
 * Read and drop what the caller wrote where no one listens, a bounded
 * amount per call: the loop calls again while more is there.
 */
#define HFD_DRAIN_MAX	64

static void
hfd_drain(struct hfd *hfd)
{
	char		buf[256];
	unsigned int	i;

	for (i = 0; i < HFD_DRAIN_MAX; i++) {
		if (recv(hfd->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	}
}

/*
 * Has the caller's end gone (every copy closed)? A caller that shuts down
 * its writing side counts as gone too: the daemon's end would otherwise
 * read end-of-file for ever.
 */
static int
hfd_peer_gone(struct hfd *hfd)
{
	struct pollfd	pfd;

	pfd.fd = hfd->fd;
	pfd.events = POLLIN | POLLRDHUP;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return (0);
	return ((pfd.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0);
}

void
hfd_want_output(struct hfd *hfd, int on)
{
	if (hfd_loop == NULL || hfd_loop->watch_output == NULL ||
	    hfd->detached || (on != 0) == (hfd->watch_out != NULL))
		return;
	if (hfd_loop->watch_output(hfd, on) != 0)
		log_warnx("%s: cannot watch a handed-out descriptor",
		    __func__);
}

void
hfd_output(struct hfd *hfd)
{
	struct ctx	*ctx = hfd->ctx;

	if (hfd->detached)
		return;
	if (hfd->ops->output == NULL) {
		hfd_want_output(hfd, 0);
		return;
	}
	ctx_hold(ctx);
	hfd->ops->output(hfd);
	ctx_put(ctx);
}

void
hfd_ready(struct hfd *hfd)
{
	struct ctx	*ctx = hfd->ctx;

	if (hfd->detached)
		return;
	ctx_hold(ctx);
	/*
	 * An object whose answer is still on its way (ucmd_finalize()) is
	 * settled first: the caller may have closed the descriptor right
	 * after its ioctl returned. Settling may abort the object, and its
	 * destroy op free this hfd, so look for it again after.
	 */
	if (hfd->obj->state == OBJ_RESERVED && ctx->settle != NULL) {
		ctx->settle(ctx);
		if (!hfd_listed(ctx, hfd)) {
			ctx_put(ctx);
			return;
		}
	}
	/* Whatever the caller wrote before it closed is served first. */
	if (hfd->ops->input != NULL)
		hfd->ops->input(hfd);
	else
		hfd_drain(hfd);
	if (hfd->obj->state == OBJ_LIVE && hfd_peer_gone(hfd)) {
		trace_obj_fd(hfd->obj, "fdclose", 0, NULL, 0);
		hfd->ops->hangup(hfd);
	}
	ctx_put(ctx);
}

/*
 * One epoll instance holds every daemon end, waiting for the caller's end
 * to go (EPOLLRDHUP), so that finding the closes before an ioctl costs one
 * system call however many descriptors are out. A daemon end leaves it
 * when it is closed. Serving a hangup can free other hfds (settling aborts
 * objects), so each epoll_wait() takes one, and the walk stops after as
 * many as there are hfds.
 */
void
hfd_reap(struct ctx *ctx)
{
	struct epoll_event	 ev;
	unsigned int		 left = hfd_open;

	if (hfd_ep == -1 || LIST_EMPTY(&ctx->hfds))
		return;
	ctx_hold(ctx);
	while (left-- > 0 && epoll_wait(hfd_ep, &ev, 1, 0) == 1)
		hfd_ready(ev.data.ptr);
	ctx_put(ctx);
}

void
hfd_ctx_free(struct ctx *ctx)
{
	struct hfd	*hfd;

	LIST_FOREACH(hfd, &ctx->hfds, entry) {
		if (hfd->detached)
			continue;
		if (hfd_loop != NULL)
			hfd_loop->unwatch(hfd);
		obj_drop(hfd->obj);
		hfd->detached = 1;
		/* Its context reference is the one being freed with it. */
	}
}
