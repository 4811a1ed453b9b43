/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The unix-socket transport (see sock.h and proto/wire.h).
 *
 * Ownership. A sock_conn is one accepted connection and owns exactly one
 * context (ctx->priv points back at it) and a list of sock_chan: the
 * connection's own socket first, then every private channel a process made
 * for it. The context lives until the connection's socket reads end of
 * file, which the kernel gives only when the client's last copy of its end
 * is closed; then the context and all its channels go at once. So a
 * client that is killed leaves nothing behind. A channel that ends, or
 * misbehaves, is dropped alone; a connection that misbehaves is closed
 * with everything it holds. Other clients never notice either.
 *
 * The daemon never waits for a client: sockets are non-blocking, one
 * message is taken per wakeup (so a busy client cannot starve the others),
 * replies go out with MSG_DONTWAIT, and a client that cannot take its
 * reply at once is disconnected. Large payloads come in memfds, which
 * wire_recv() checks are shmem before reading them.
 *
 * What one peer may hold. A user (uid) has at most max_per_uid
 * connections ("socket-connections-per-uid"); one more is accepted and
 * closed at once. A connection must say HELLO within SOCK_HELLO_TIMEOUT
 * seconds or it is closed. A reply too large to go inline goes out in a
 * memfd, whose pages are the daemon's until the client reads it and
 * closes it, and which costs the socket's send buffer almost nothing: so
 * the bytes of such replies not yet read are counted per channel,
 * connection and user, and known drained when SIOCOUTQ (what is queued on
 * the socket, unread) says 0. A request is not run, but answered ENOMEM,
 * while its channel still has such a reply unread, or while its
 * connection or user has SOCK_BULK_CONN_MAX or SOCK_BULK_USER_MAX bytes
 * of them unread. A client waits for each reply before it sends again,
 * so an honest one never meets this; one that does not read gets small
 * answers, which fill its socket's send buffer and then have it dropped.
 * So a peer holds at most about one large reply per channel, and the
 * caps (plus one reply) per connection and per user, instead of as many
 * memfds as its socket would queue. A reply that a process killed in
 * the middle of its exchange left unread counts until its channel closes
 * (for the context socket, while a forked child keeps the context open):
 * other channels meet the cap only if that one reply reaches it alone.
 *
 * Cost per message: the wakeup, one recvmsg into the server's one receive
 * buffer, one sendmsg. Reading a channel again before going back to the
 * loop would nearly always be a wasted EAGAIN, since a client has one
 * request in flight per channel (it waits for the reply under its lock);
 * under load the loop already serves every ready channel per wakeup.
 *
 * New objects (proto/wire.h). The core leaves a new object reserved
 * (ucmd.defer) and the channel keeps it: an UNWRITTEN from the client
 * aborts it, the next request on any channel of the context publishes it
 * first (a request on another channel takes an UNWRITTEN already queued on
 * this one before), and so does the channel's end, unless the reply never
 * left. One test of a counter per request is all it costs otherwise.
 *
 * Callers. Every message carries the sender's pid, uid and gid
 * (SO_PASSCRED, set on the listener so that even a message sent before
 * accept() has them). Each channel caches the ucaller built from them,
 * with capabilities from /proc/<pid>/status and RLIMIT_MEMLOCK, and builds
 * it again when a different process speaks on it, or when the one that
 * does has execed since. Caller memory is needed only by the commands
 * that map it; it comes from the /proc/self/mem descriptor the client
 * sends with each such request (read-only unless the mapping is to be
 * writable), which the pages object of the new mapping keeps, and which
 * is closed after the request otherwise (umem.c shares one per process
 * and access mode). A request without one is served from /proc/<pid>/mem
 * if we may open it, opened then and kept by the channel.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/sys/queue.h>
#include <event2/event.h>

#include "core/caller.h"
#include "core/ctx.h"
#include "core/inject.h"
#include "core/trace.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "core/util.h"
#include "dev/vfio_cdev.h"
#include "log.h"
#include "transport/sock.h"
#include "transport/unixsock.h"
#include "uapi.h"
#include "wire.h"

/* Every descriptor a request may carry has its place in a ucmd. */
_Static_assert(UREGIONS_MAX_IN_FDS >= WIRE_MAX_FDS, "in_fds");

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC	0x9fa0
#endif

/* Private channels one context may have open at once. */
#define SOCK_MAX_CHANNELS	256
/* Backlog of connections not yet accepted. */
#define SOCK_BACKLOG		128
/* Seconds a new connection has to say HELLO. */
#define SOCK_HELLO_TIMEOUT	5
/* Bytes of memfd replies unread, past which no request is run. */
#define SOCK_BULK_CONN_MAX	(64ull << 20)
#define SOCK_BULK_USER_MAX	(256ull << 20)

struct sock_conn;

struct sock_chan {
	struct sock_conn	*conn;
	int			 fd;
	struct event		*ev;
	int			 is_main;	/* the connection's own socket */
	struct umem		*pid_mem;	/* umem_open(pid), owned */
	int			 have_caller;
	struct ucaller		 caller;
	uint64_t		 bulk;		/* memfd reply bytes unread */
	/*
	 * Objects of the last request (seq pending_seq), reserved until we
	 * know whether the client applied the reply. unsent: the reply has
	 * not left, and the channel's end aborts them. early: ids published
	 * for a request on another channel before the client could say it
	 * failed; its UNWRITTEN then destroys them, as the kernel would have
	 * aborted them.
	 */
	struct obj		*pending[UCMD_MAX_PENDING];
	unsigned int		 npending;
	uint32_t		 pending_seq;
	int			 unsent;
	uint32_t		 early[UCMD_MAX_PENDING];
	unsigned int		 nearly;
	int			 replied;	/* an IOCTL was answered */
	uint32_t		 last_seq;	/* the last one's seq */
	TAILQ_ENTRY(sock_chan)	 entry;
};

/* One uid's connections, and the memfd reply bytes they have not read. */
struct sock_user {
	uid_t			 uid;
	unsigned int		 nconns;
	uint64_t		 bulk;
	TAILQ_ENTRY(sock_user)	 entry;
};

struct sock_conn {
	struct sock_server	*srv;
	struct ctx		*ctx;
	struct sock_user	*user;
	struct event		*hello_ev;	/* SOCK_HELLO_TIMEOUT */
	/*
	 * The open of a VFIO device node its HELLO named, or NULL for
	 * /dev/iommu. A device's connection keeps its context as the
	 * record the logs and the status name it by; it stays empty and no
	 * descriptor can name it (ctx_set_file() is never called for it).
	 */
	struct vfio_cdev_file	*vf;
	uint64_t		 bulk;		/* sum over its channels */
	int			 hello;		/* HELLO seen */
	unsigned int		 nchans;	/* private ones */
	unsigned int		 npending;	/* channels with objects
						   pending */
	TAILQ_HEAD(, sock_chan)	 chans;		/* main first */
	TAILQ_ENTRY(sock_conn)	 entry;
};

struct sock_server {
	struct event_base	*base;
	struct unixsock		 us;		/* the listener */
	struct event		*ev;
	struct event		*retry;		/* accept paused (EMFILE) */
	int			 reserve;	/* spare descriptor, or -1 */
	char			*path;
	unsigned int		 nconns;
	unsigned int		 max_per_uid;
	TAILQ_HEAD(, sock_conn)	 conns;
	TAILQ_HEAD(, sock_user)	 users;
	/*
	 * WIRE_RECV_BUF bytes every message is received into: messages are
	 * handled one at a time and nothing keeps pointers into one after
	 * its handler returns.
	 */
	uint8_t			*rbuf;
};

static void	sock_chan_read(evutil_socket_t, short, void *);

static struct sock_user *
sock_user_get(struct sock_server *srv, uid_t uid)
{
	struct sock_user	*u;

	TAILQ_FOREACH(u, &srv->users, entry) {
		if (u->uid == uid)
			return (u);
	}
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return (NULL);
	u->uid = uid;
	TAILQ_INSERT_TAIL(&srv->users, u, entry);
	return (u);
}

/* Forget a user with nothing left. */
static void
sock_user_put(struct sock_server *srv, struct sock_user *u)
{
	if (u->nconns == 0 && u->bulk == 0) {
		TAILQ_REMOVE(&srv->users, u, entry);
		free(u);
	}
}

/* Set a channel's unread memfd reply bytes, and its owners' sums. */
static void
sock_chan_setbulk(struct sock_chan *ch, uint64_t bulk)
{
	struct sock_conn	*conn = ch->conn;

	conn->bulk = conn->bulk - ch->bulk + bulk;
	conn->user->bulk = conn->user->bulk - ch->bulk + bulk;
	ch->bulk = bulk;
}

/* Has the client read every memfd reply sent on ch? */
static int
sock_chan_drained(struct sock_chan *ch)
{
	int	queued;

	if (ch->bulk != 0 && ioctl(ch->fd, SIOCOUTQ, &queued) == 0 &&
	    queued == 0)
		sock_chan_setbulk(ch, 0);
	return (ch->bulk == 0);
}

/*
 * May a request on ch run, as far as unread memfd replies go (see the
 * top of the file)? The sums are brought up to date only when they stand
 * in the way, so the common case costs nothing.
 */
static int
sock_bulk_room(struct sock_chan *ch)
{
	struct sock_conn	*conn = ch->conn, *c;
	struct sock_chan	*o;

	if (!sock_chan_drained(ch))
		return (-ENOMEM);
	if (conn->bulk >= SOCK_BULK_CONN_MAX) {
		TAILQ_FOREACH(o, &conn->chans, entry)
			(void)sock_chan_drained(o);
		if (conn->bulk >= SOCK_BULK_CONN_MAX)
			return (-ENOMEM);
	}
	if (conn->user->bulk >= SOCK_BULK_USER_MAX) {
		TAILQ_FOREACH(c, &conn->srv->conns, entry) {
			if (c->user != conn->user)
				continue;
			TAILQ_FOREACH(o, &c->chans, entry)
				(void)sock_chan_drained(o);
		}
		if (conn->user->bulk >= SOCK_BULK_USER_MAX)
			return (-ENOMEM);
	}
	return (0);
}

/* Publish (written) or abort the objects pending on ch. */
static void
sock_settle(struct sock_chan *ch, int written)
{
	if (ch->npending == 0)
		return;
	ucmd_settle(ch->pending, ch->npending, written);
	ch->npending = 0;
	ch->conn->npending--;
}

/*
 * Before a request on ch runs (or anyone else looks: ch NULL), the objects
 * pending on the context's other channels are published, unless an
 * UNWRITTEN for them already waits. A client sends UNWRITTEN before its
 * ioctl returns, so whatever it does after that return (another thread
 * using the new id on its own channel, say) finds the object as the
 * kernel would have left it.
 */
static void
sock_settle_others(struct sock_conn *conn, struct sock_chan *ch)
{
	struct sock_chan	*o;
	struct wire_hdr		 hdr;
	struct wire_msg		 m;
	unsigned int		 i;

	TAILQ_FOREACH(o, &conn->chans, entry) {
		if (o == ch || o->npending == 0)
			continue;
		if (recv(o->fd, &hdr, sizeof(hdr), MSG_PEEK | MSG_DONTWAIT) ==
		    (ssize_t)sizeof(hdr) && hdr.magic == WIRE_MAGIC &&
		    hdr.op == WIRE_UNWRITTEN && hdr.seq == o->pending_seq &&
		    hdr.payload_len == 0) {
			if (wire_recv_iov(o->fd, &m, MSG_DONTWAIT, NULL, 0) ==
			    0)
				wire_msg_clear(&m);
			sock_settle(o, 0);
			continue;
		}
		for (i = 0; i < o->npending; i++)
			o->early[i] = o->pending[i]->id;
		o->nearly = o->npending;
		sock_settle(o, 1);
	}
}

/* The context's settle hook (ctx.h). */
static void
sock_ctx_settle(struct ctx *ctx)
{
	struct sock_conn	*conn = ctx->priv;

	if (conn->npending != 0)
		sock_settle_others(conn, NULL);
}

static void
sock_chan_free(struct sock_chan *ch)
{
	struct sock_conn	*conn = ch->conn;

	sock_settle(ch, !ch->unsent);
	sock_chan_setbulk(ch, 0);
	TAILQ_REMOVE(&conn->chans, ch, entry);
	if (!ch->is_main)
		conn->nchans--;
	if (ch->ev != NULL)
		event_free(ch->ev);
	if (ch->fd != -1)
		close(ch->fd);
	if (ch->pid_mem != NULL)
		umem_put(ch->pid_mem);
	free(ch);
}

/* The last close: the context and every channel go. */
static void
sock_conn_free(struct sock_conn *conn)
{
	struct sock_chan	*ch;
	uint32_t		 id = conn->ctx->id;

	while ((ch = TAILQ_FIRST(&conn->chans)) != NULL)
		sock_chan_free(ch);
	TAILQ_REMOVE(&conn->srv->conns, conn, entry);
	conn->srv->nconns--;
	conn->user->nconns--;
	sock_user_put(conn->srv, conn->user);
	event_free(conn->hello_ev);
	vfio_cdev_close(conn->vf);
	ctx_close(conn->ctx);
	log_debug("socket: context %" PRIu32 " closed", id);
	free(conn);
}

/* Drop a channel; dropping the main one closes the whole connection. */
static void
sock_chan_close(struct sock_chan *ch)
{
	if (ch->is_main)
		sock_conn_free(ch->conn);
	else
		sock_chan_free(ch);
}

static struct sock_chan *
sock_chan_add(struct sock_conn *conn, int fd, int is_main)
{
	struct sock_chan	*ch;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return (NULL);
	ch->conn = conn;
	ch->fd = fd;
	ch->is_main = is_main;
	ch->ev = event_new(conn->srv->base, fd, EV_READ | EV_PERSIST,
	    sock_chan_read, ch);
	if (ch->ev == NULL || event_add(ch->ev, NULL) != 0) {
		if (ch->ev != NULL)
			event_free(ch->ev);
		free(ch);
		return (NULL);
	}
	if (is_main)
		TAILQ_INSERT_HEAD(&conn->chans, ch, entry);
	else {
		TAILQ_INSERT_TAIL(&conn->chans, ch, entry);
		conn->nchans++;
	}
	return (ch);
}

/*
 * Adopt a client's /proc/self/mem descriptor (ownership passes on
 * success). It must really be a mem file of procfs, and of the process
 * that sent it, so that reading it can never block and never reaches
 * another process by mistake.
 */
static int
sock_adopt_mem(int fd, pid_t pid, struct umem **ump)
{
	struct statfs	sfs;
	char		path[64], link[64], want[64];
	ssize_t		n;

	*ump = NULL;
	if (fd < 0 || pid <= 0)
		return (-EBADF);
	if (fstatfs(fd, &sfs) == -1 || sfs.f_type != PROC_SUPER_MAGIC)
		return (-EBADF);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	snprintf(want, sizeof(want), "/proc/%d/mem", (int)pid);
	if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
		return (-EBADF);
	link[n] = '\0';
	if (strcmp(link, want) != 0)
		return (-EBADF);
	return (umem_adopt(fd, pid, ump));
}

/*
 * The caller behind a message on ch: cached per channel, built again when
 * another process (or the same pid with other credentials) speaks.
 */
static const struct ucaller *
sock_caller(struct sock_chan *ch, const struct wire_msg *m, int maps_uva)
{
	struct ucaller	*c = &ch->caller;
	struct ucred	 cr;
	socklen_t	 len = sizeof(cr);
	pid_t		 pid;
	uid_t		 uid;
	gid_t		 gid;

	if (m->has_creds) {
		pid = m->pid;
		uid = m->uid;
		gid = m->gid;
	} else if (getsockopt(ch->fd, SOL_SOCKET, SO_PEERCRED, &cr,
	    &len) == 0) {
		pid = cr.pid;
		uid = cr.uid;
		gid = cr.gid;
	} else {
		pid = 0;
		uid = (uid_t)-1;
		gid = (gid_t)-1;
	}
	/*
	 * Whether the process has execed since (its old address space then
	 * reads nothing) costs a system call, so it is asked only by commands
	 * that map caller memory, the only users of c->mem.
	 */
	if (ch->have_caller && c->pid == pid && c->uid == uid &&
	    c->gid == gid && (!maps_uva || c->mem == NULL ||
	    umem_live(c->mem)))
		return (c);

	/*
	 * A process that execed keeps its pid and its descriptors (a VMM
	 * doing live update) but not its address space, and a mem file from
	 * before reads nothing: drop it (sock_pid_mem() opens it again).
	 */
	if (ch->pid_mem != NULL && !umem_live(ch->pid_mem)) {
		umem_put(ch->pid_mem);
		ch->pid_mem = NULL;
	}

	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->uid = uid;
	c->gid = gid;
	if (pid > 0) {
		c->caps = caller_caps(pid);
		c->memlock_max = caller_memlock(pid);
	}
	if (ch->pid_mem != NULL && umem_pid(ch->pid_mem) != pid) {
		umem_put(ch->pid_mem);
		ch->pid_mem = NULL;
	}
	c->mem = ch->pid_mem;
	ch->have_caller = 1;
	return (c);
}

/* /proc/<pid>/mem of the caller on ch, opened on first need, or NULL. */
static struct umem *
sock_pid_mem(struct sock_chan *ch)
{
	struct ucaller	*c = &ch->caller;

	if (ch->pid_mem == NULL && c->pid > 0 &&
	    umem_open(c->pid, &ch->pid_mem) != 0)
		ch->pid_mem = NULL;
	c->mem = ch->pid_mem;
	return (c->mem);
}

/* Send a reply; a client that cannot take it at once is dropped. */
static int
sock_send(struct sock_chan *ch, uint16_t op, uint32_t seq,
    const void *payload, size_t len, const int *fds, int nfds)
{
	int	error;

	error = wire_send(ch->fd, op, 0, seq, payload, len, fds, nfds,
	    MSG_DONTWAIT);
	if (error != 0) {
		log_debug("socket: context %" PRIu32 ": reply not taken: %s",
		    ch->conn->ctx->id, strerror(-error));
		sock_chan_close(ch);
	} else if (len > WIRE_INLINE_MAX)
		sock_chan_setbulk(ch, ch->bulk + len);
	return (error);
}

/*
 * The client's own end of the connection, sent with HELLO: keep its inode
 * for ucmd_getctx(). Only a socket whose peer is ours, and an inode no
 * other open context has, is taken (see proto/wire.h, Identity); anything
 * else is ignored, and the context can then not be named by descriptor.
 */
static void
sock_hello_ident(struct sock_conn *conn, int fd)
{
	struct stat	st;
	struct ucred	cr;
	socklen_t	len = sizeof(cr);

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    cr.pid != getpid())
		return;
	if (ctx_set_file(conn->ctx, st.st_dev, st.st_ino) != 0)
		log_debug("socket: context %" PRIu32 ": its socket is "
		    "another context's; it cannot be named by descriptor",
		    conn->ctx->id);
}

/* The trace site's node of a call on conn: /dev/iommu or a device's. */
static void
sock_trace_site(const struct sock_conn *conn, struct trace_site *site,
    char *node, size_t len)
{
	site->bound = 0;
	site->devnode = 0;
	site->node = "iommu";
	if (conn->vf != NULL)
		(void)vfio_cdev_trace_site(conn->vf, site, node, len);
}

/* HELLO on a connection: open the node it names and say who we are. */
static int
sock_hello(struct sock_chan *ch, struct wire_msg *m)
{
	struct sock_conn	*conn = ch->conn;
	struct wire_hello	 h;
	struct wire_hello_reply	 hr;
	struct trace_site	 site;
	const char		*name;
	char			 node[16];
	int			 error = 0;

	if (!ch->is_main || conn->hello || m->len < sizeof(h.version))
		return (-EPROTO);
	memset(&h, 0, sizeof(h));
	memcpy(&h, m->payload, MIN(m->len, sizeof(h)));
	memset(&hr, 0, sizeof(hr));
	hr.version = WIRE_VERSION;
	hr.ctx_id = conn->ctx->id;
	if (h.version != WIRE_VERSION) {
		/* Our version goes back, so that the client can say so. */
		log_warnx("socket: pid %d speaks protocol version %u, we "
		    "speak %u: refused (use the client library of this "
		    "ioasidd)", (int)conn->ctx->opener, h.version,
		    WIRE_VERSION);
		hr.error = -EPROTO;
		if (sock_send(ch, WIRE_HELLO_REPLY, m->hdr.seq, &hr,
		    sizeof(hr), NULL, 0) == 0)
			sock_chan_close(ch);
		return (1);
	}
	if (m->len < sizeof(h))
		return (-EPROTO);
	switch (h.node) {
	case WIRE_NODE_IOMMU:
		if (h.index != 0)
			error = -ENODEV;
		else if (m->nfds >= 1)
			sock_hello_ident(conn, m->fds[0]);
		break;
	case WIRE_NODE_VFIO_DEVICE:
		error = vfio_cdev_open(h.index, &conn->vf);
		if (error == 0) {
			conn->ctx->transport = "socket-vfio";
			site.ctx = conn->ctx->id;
			site.pid = conn->ctx->opener;
			name = vfio_cdev_trace_site(conn->vf, &site, node,
			    sizeof(node));
			trace_event(&site, "device", name);
		}
		break;
	default:
		error = -ENODEV;
		break;
	}
	hr.error = error;
	if (error != 0) {
		/* Refused: the answer, then the end of the connection. */
		log_debug("socket: context %" PRIu32 ": node %u/%u: %s",
		    conn->ctx->id, h.node, h.index, strerror(-error));
		if (sock_send(ch, WIRE_HELLO_REPLY, m->hdr.seq, &hr,
		    sizeof(hr), NULL, 0) == 0)
			sock_chan_close(ch);
		return (1);
	}
	conn->hello = 1;
	event_del(conn->hello_ev);
	return (sock_send(ch, WIRE_HELLO_REPLY, m->hdr.seq, &hr, sizeof(hr),
	    NULL, 0) == 0 ? 0 : 1);
}

/*
 * Is fd a fit private channel: a connected unnamed SOCK_SEQPACKET unix
 * socket? A named peer would be the client's own end of a connection to
 * us, and holding that would keep its context alive for ever.
 */
static int
sock_channel_ok(int fd)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			v;

	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == -1 ||
	    v != AF_UNIX)
		return (0);
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == -1 ||
	    v != SOCK_SEQPACKET)
		return (0);
	len = sizeof(sun);
	memset(&sun, 0, sizeof(sun));
	if (getpeername(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    len > offsetof(struct sockaddr_un, sun_path))
		return (0);
	len = sizeof(sun);
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    len > offsetof(struct sockaddr_un, sun_path))
		return (0);
	return (1);
}

/* CHANNEL: serve a new process of this context on its own socket. */
static int
sock_channel(struct sock_chan *ch, struct wire_msg *m)
{
	struct sock_chan	*nc;
	struct wire_hello	 h;
	int			 fd, one = 1;

	if (!ch->is_main || m->len < sizeof(h) || m->nfds < 1)
		return (-EPROTO);
	memcpy(&h, m->payload, sizeof(h));
	if (h.version != WIRE_VERSION)
		return (-EPROTO);
	/* A channel we cannot use is refused by closing it: no reply. */
	if (ch->conn->nchans >= SOCK_MAX_CHANNELS ||
	    !sock_channel_ok(m->fds[0]))
		return (0);
	fd = m->fds[0];
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1)
		return (0);
	if ((nc = sock_chan_add(ch->conn, fd, 0)) == NULL)
		return (0);
	(void)wire_msg_takefd(m, 0);
	return (0);
}

/*
 * The reply to one ioctl: the result, the writes the command recorded,
 * and a patch for every descriptor it gave the caller. A descriptor given
 * with no address to patch is the ioctl's return value. left is what is
 * left of the request's fail_nth.
 */
static int
sock_reply(struct sock_chan *ch, uint32_t seq, long result,
    struct uregions *ur, uint32_t flags, uint32_t left)
{
	struct wire_buf		b;
	struct wire_reply	rp;
	struct wire_write	w;
	struct wire_fdpatch	fp;
	uint64_t		small[64];	/* most replies fit */
	int			fds[UREGIONS_MAX_FDS];
	unsigned int		i, nw;
	int			nfds = 0, error;

	memset(&rp, 0, sizeof(rp));
	rp.result = result;
	rp.flags = flags;
	rp.fail_nth = left;
	nw = ur->nwrites;
	if (nw > UINT16_MAX) {
		rp.result = -ENOMEM;
		nw = 0;
	}
	rp.nwrites = nw;
	for (i = 0; i < ur->nout_fds && i < WIRE_MAX_FDS; i++) {
		fds[nfds++] = ur->out_fds[i].fd;
		if (ur->out_fds[i].uaddr != 0)
			rp.nfdpatch++;
		else if (i == 0)
			rp.flags |= WIRE_RF_RESULT_FD;
	}

	wire_buf_init_with(&b, small, sizeof(small));
	wire_buf_add(&b, &rp, sizeof(rp));
	for (i = 0; i < nw; i++) {
		w.uaddr = ur->writes[i].uaddr;
		w.len = ur->writes[i].len;
		wire_buf_add(&b, &w, sizeof(w));
		wire_buf_add(&b, ur->writes[i].data, w.len);
		wire_buf_pad(&b, 8);
	}
	for (i = 0; i < (unsigned int)nfds; i++) {
		if (ur->out_fds[i].uaddr == 0)
			continue;
		memset(&fp, 0, sizeof(fp));
		fp.uaddr = ur->out_fds[i].uaddr;
		fp.index = i;
		wire_buf_add(&b, &fp, sizeof(fp));
	}
	if (b.error != 0) {
		/* Too much to say: say only that it failed. */
		wire_buf_free(&b);
		memset(&rp, 0, sizeof(rp));
		rp.result = -ENOMEM;
		rp.flags = flags;
		rp.fail_nth = left;
		return (sock_send(ch, WIRE_REPLY, seq, &rp, sizeof(rp), NULL,
		    0));
	}
	error = sock_send(ch, WIRE_REPLY, seq, b.data, b.len, fds, nfds);
	wire_buf_free(&b);
	return (error);
}

/*
 * The in-place reply (see proto/wire.h): the bytes the command's writes
 * cover from arg on, at most cap of them, with no gap and nothing outside
 * them. Returns 1 when the writes do not fit that form, after an in-place
 * reply that says an ordinary one follows; then the caller sends that.
 */
static int
sock_reply_inplace(struct sock_chan *ch, uint32_t seq, long result,
    struct uregions *ur, uint64_t arg, uint64_t cap, int confirm,
    uint32_t left, int *errorp)
{
	struct wire_reply	 rp;
	struct iovec		 iov[2];
	const struct uwrite	*w;
	uint64_t		 end = 0, covered, start, wend;
	uint64_t		 image[64];	/* cap is at most a page */
	unsigned int		 i;
	int			 fit = ur->nout_fds == 0, grew;

	memset(&rp, 0, sizeof(rp));
	rp.result = result;
	rp.flags = WIRE_RF_INPLACE;
	rp.fail_nth = left;
	if (cap > sizeof(image))
		cap = sizeof(image);
	for (i = 0; fit && i < ur->nwrites; i++) {
		w = &ur->writes[i];
		if (w->uaddr < arg || w->uaddr - arg > cap ||
		    w->len > cap - (w->uaddr - arg))
			fit = 0;
		else if (w->uaddr - arg + w->len > end)
			end = w->uaddr - arg + w->len;
	}
	/* Every byte up to end must be one the command wrote. */
	for (covered = 0, grew = 1; fit && covered < end && grew;) {
		grew = 0;
		for (i = 0; i < ur->nwrites; i++) {
			w = &ur->writes[i];
			start = w->uaddr - arg;
			wend = start + w->len;
			if (start <= covered && wend > covered) {
				covered = wend;
				grew = 1;
			}
		}
	}
	if (fit && covered < end)
		fit = 0;
	if (!fit) {
		rp.flags |= WIRE_RF_FOLLOWS;
		*errorp = sock_send(ch, WIRE_REPLY, seq, &rp, sizeof(rp), NULL,
		    0);
		return (*errorp == 0);
	}
	if (confirm)
		rp.flags |= WIRE_RF_CONFIRM;
	/* Later writes win, as when the client applies them in order. */
	for (i = 0; i < ur->nwrites; i++) {
		w = &ur->writes[i];
		memcpy((uint8_t *)image + (w->uaddr - arg), w->data, w->len);
	}
	iov[0].iov_base = &rp;
	iov[0].iov_len = sizeof(rp);
	iov[1].iov_base = image;
	iov[1].iov_len = end;
	*errorp = wire_sendv(ch->fd, WIRE_REPLY, 0, seq, iov, 2, NULL, 0,
	    MSG_DONTWAIT);
	if (*errorp != 0) {
		log_debug("socket: context %" PRIu32 ": reply not taken: %s",
		    ch->conn->ctx->id, strerror(-*errorp));
		sock_chan_close(ch);
	}
	return (0);
}

/* IOCTL: run it against the context and answer. */

/*
 * At log level debug, one line per command: which, on which node, and
 * what it returned, so that a client's sequence of calls can be read back
 * from the log.
 */
static void
sock_trace(const struct sock_chan *ch, const struct ucmd *uc, long result)
{
	const struct uapi_cmd	*c;

	if (log_getlevel() < LOG_LEVEL_DEBUG)
		return;
	c = uapi_cmd_find_on(uc->cmd, ch->conn->vf != NULL);
	log_debug("socket: context %" PRIu32 ": %s%s %#" PRIx32 " = %ld",
	    ch->conn->ctx->id, ch->conn->vf != NULL ? "device " : "",
	    c != NULL ? c->name : "?", uc->cmd, result);
}

static int
sock_ioctl(struct sock_chan *ch, struct wire_msg *m)
{
	struct wire_ioctl_req	 rq;
	struct wire_reply	 rp;
	struct uregion		 regs[WIRE_MAX_REGIONS];
	struct uregions		 ur;
	struct ucmd		 uc;
	struct ucaller		 caller;
	struct trace_site	 site;
	char			 node[16];
	struct umem		*sent = NULL;
	uint64_t		 t0;
	struct ufd		*u;
	unsigned int		 i;
	long			 result;
	uint32_t		 left;
	int			 error, nfds = m->nfds, maps;

	if (ch->is_main && !ch->conn->hello)
		return (-EPROTO);
	/* The mem file comes last, after the descriptors the request names. */
	if ((m->hdr.flags & WIRE_F_MEMFD) && nfds-- == 0)
		return (-EPROTO);
	if (wire_parse_ioctl(m->payload, m->len, nfds, &rq) != 0)
		return (-EPROTO);
	if (rq.retry) {
		memset(&rp, 0, sizeof(rp));
		rp.flags = WIRE_RF_RETRY;
		rp.fail_nth = rq.io.fail_nth;
		return (sock_send(ch, WIRE_REPLY, m->hdr.seq, &rp, sizeof(rp),
		    NULL, 0) == 0 ? 0 : 1);
	}
	for (i = 0; i < rq.io.nregions; i++) {
		regs[i].uaddr = rq.regions[i].uaddr;
		regs[i].len = rq.regions[i].len;
		regs[i].data = rq.data[i];
		regs[i].notcarried = (rq.regions[i].flags &
		    WIRE_R_NOTCARRIED) != 0;
	}
	uregions_init(&ur, regs, rq.io.nregions);
	ur.can_putfd = 1;
	for (i = 0; i < rq.io.nfds && ur.nin_fds < UREGIONS_MAX_IN_FDS; i++) {
		u = &ur.in_fds[ur.nin_fds++];
		u->cfd = rq.fds[i].cfd;
		u->fd = wire_msg_takefd(m, rq.fds[i].index);
		u->uaddr = 0;
	}

	/*
	 * Caller memory for the commands that map it only, and only for
	 * this request: a mapping it makes holds it, nothing else does.
	 */
	maps = uapi_cmd_maps_uva(uapi_cmd_find_on(rq.io.cmd,
	    ch->conn->vf != NULL));
	caller = *sock_caller(ch, m, maps);
	caller.mem = NULL;
	if (maps && nfds < m->nfds &&
	    sock_adopt_mem(m->fds[nfds], m->pid, &sent) == 0) {
		(void)wire_msg_takefd(m, nfds);
		caller.mem = sent;
	} else if (maps)
		caller.mem = sock_pid_mem(ch);

	if (ch->conn->npending != 0)
		sock_settle_others(ch->conn, ch);
	memset(&uc, 0, sizeof(uc));
	uc.ctx = ch->conn->ctx;
	uc.cmd = (uint32_t)rq.io.cmd;
	uc.arg = rq.io.arg;
	uc.caller = &caller;
	uc.uops = &uregions_ops;
	uc.upriv = &ur;
	uc.defer = 1;
	/* A device node's table; its context comes from its bind. */
	if (ch->conn->vf != NULL)
		uc.ctx = NULL;
	/*
	 * The caller's fail-nth count holds for this command only: what
	 * is left of it goes back in the reply, and nothing stays armed.
	 */
	left = rq.io.fail_nth;
	t0 = trace_now();
	if ((result = sock_bulk_room(ch)) == 0) {
		inject_arm(left);
		if (ch->conn->vf != NULL)
			result = vfio_cdev_dispatch(ch->conn->vf, &uc);
		else
			result = dispatch(&uc);
		left = inject_left;
		inject_arm(0);
	}
	sock_trace(ch, &uc, result);
	site.ctx = ch->conn->ctx->id;
	site.pid = caller.pid;
	sock_trace_site(ch->conn, &site, node, sizeof(node));
	trace_ioctl(&site, ch->conn->ctx, uc.cmd, uc.arg, &ur, result, t0);
	if (sent != NULL)
		umem_put(sent);

	/* Kept before replying: a reply not taken frees the channel. */
	if (uc.npending != 0) {
		memcpy(ch->pending, uc.pending,
		    sizeof(uc.pending[0]) * uc.npending);
		ch->npending = uc.npending;
		ch->pending_seq = m->hdr.seq;
		ch->unsent = 1;
		ch->conn->npending++;
	}
	ch->replied = 1;
	ch->last_seq = m->hdr.seq;
	if (rq.inplace == 0 || sock_reply_inplace(ch, m->hdr.seq, result,
	    &ur, rq.io.arg, rq.inplace, uc.npending != 0, left, &error))
		error = sock_reply(ch, m->hdr.seq, result, &ur,
		    uc.npending != 0 ? WIRE_RF_CONFIRM : 0, left);
	/* Sent descriptors were copied by the kernel; ours close here. */
	uregions_clear(&ur);
	if (error != 0)
		return (1);
	ch->unsent = 0;
	return (0);
}

/*
 * UNWRITTEN: the client could not apply the reply to the last request
 * (or, after an in-place reply it could not take, perhaps not).
 */
static int
sock_unwritten(struct sock_chan *ch, struct wire_msg *m)
{
	struct trace_site	site;
	char			node[16];
	unsigned int		i;

	if (m->len != 0 || m->nfds != 0 || !ch->replied ||
	    m->hdr.seq != ch->last_seq)
		return (-EPROTO);
	/* The last call's answer did not land: its new objects go. */
	site.ctx = ch->conn->ctx->id;
	site.pid = m->pid;
	sock_trace_site(ch->conn, &site, node, sizeof(node));
	trace_event(&site, "unwritten", NULL);
	if (ch->npending != 0 && m->hdr.seq == ch->pending_seq)
		sock_settle(ch, 0);
	for (i = 0; i < ch->nearly; i++)
		(void)obj_destroy_id(ch->conn->ctx, ch->early[i]);
	ch->nearly = 0;
	return (0);
}

/*
 * One message on a channel. Handlers return 0 when done, 1 when the
 * channel is already gone (a reply could not be sent), and -EPROTO for a
 * message that closes it.
 */
static void
sock_chan_read(evutil_socket_t fd, short what, void *arg)
{
	struct sock_chan	*ch = arg;
	struct wire_msg		 m;
	int			 error;

	(void)fd;
	(void)what;
	error = wire_recv_buf(ch->fd, &m, MSG_DONTWAIT, ch->conn->srv->rbuf,
	    WIRE_RECV_BUF);
	if (error == -EAGAIN || error == -ENOMEM)
		return;
	if (error != 0) {
		if (error != -ECONNRESET)
			log_debug("socket: context %" PRIu32 ": bad message: "
			    "%s", ch->conn->ctx->id, strerror(-error));
		sock_chan_close(ch);
		return;
	}

	/*
	 * The next request without an UNWRITTEN before it: the answer
	 * landed. (A CHANNEL on the context socket may come from any
	 * process holding it, at any time, so it says nothing.)
	 */
	if (m.hdr.op == WIRE_IOCTL || m.hdr.op == WIRE_PING) {
		sock_settle(ch, 1);
		ch->nearly = 0;
	}
	switch (m.hdr.op) {
	case WIRE_HELLO:
		error = sock_hello(ch, &m);
		break;
	case WIRE_UNWRITTEN:
		error = sock_unwritten(ch, &m);
		break;
	case WIRE_CHANNEL:
		error = sock_channel(ch, &m);
		break;
	case WIRE_IOCTL:
		error = sock_ioctl(ch, &m);
		break;
	case WIRE_PING:
		if (ch->is_main && !ch->conn->hello)
			error = -EPROTO;
		else
			error = sock_send(ch, WIRE_REPLY, m.hdr.seq, NULL, 0,
			    NULL, 0) == 0 ? 0 : 1;
		break;
	default:
		error = -EPROTO;
		break;
	}
	wire_msg_clear(&m);
	if (error < 0) {
		log_debug("socket: context %" PRIu32 ": protocol error, "
		    "closing", ch->conn->ctx->id);
		sock_chan_close(ch);
	}
}

static void
sock_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	struct sock_server	*srv = arg;

	(void)fd;
	(void)what;
	event_add(srv->ev, NULL);
}

/*
 * Out of descriptors: take the connection waiting first with the spare
 * one and close it at once (its client hears no now rather than hanging),
 * then pause the listener for a second instead of being woken again and
 * again for connections that cannot be taken.
 */
static void
sock_accept_full(struct sock_server *srv)
{
	struct timeval	tv = { 1, 0 };
	int		fd;

	log_warn("socket: accept (paused for a second)");
	if (srv->reserve != -1) {
		close(srv->reserve);
		if ((fd = accept4(srv->us.fd, NULL, NULL, SOCK_CLOEXEC)) != -1)
			close(fd);
		srv->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	event_del(srv->ev);
	evtimer_add(srv->retry, &tv);
}

/* No HELLO in time: the connection is closed with all it holds. */
static void
sock_hello_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct sock_conn	*conn = arg;

	(void)fd;
	(void)what;
	if (conn->hello)
		return;
	log_debug("socket: context %" PRIu32 ": no HELLO in %d seconds, "
	    "closing", conn->ctx->id, SOCK_HELLO_TIMEOUT);
	sock_conn_free(conn);
}

static void
sock_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct sock_server	*srv = arg;
	struct sock_conn	*conn;
	struct sock_user	*user;
	struct ucred		 cr;
	struct timeval		 tv = { SOCK_HELLO_TIMEOUT, 0 };
	socklen_t		 len = sizeof(cr);
	int			 fd, one = 1, error;

	(void)what;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			sock_accept_full(srv);
		return;
	}
	memset(&cr, 0, sizeof(cr));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    (user = sock_user_get(srv, cr.uid)) == NULL) {
		close(fd);
		return;
	}
	if (user->nconns >= srv->max_per_uid) {
		log_warnx("socket: uid %u has %u connections "
		    "(socket-connections-per-uid); refusing more",
		    (unsigned int)cr.uid, user->nconns);
		sock_user_put(srv, user);
		close(fd);
		return;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));

	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		goto fail;
	conn->srv = srv;
	conn->user = user;
	TAILQ_INIT(&conn->chans);
	if ((error = ctx_new("socket", cr.pid, &conn->ctx)) != 0) {
		log_warnx("socket: new context: %s", strerror(-error));
		goto fail;
	}
	conn->ctx->priv = conn;
	conn->ctx->settle = sock_ctx_settle;
	conn->hello_ev = evtimer_new(srv->base, sock_hello_timeout, conn);
	if (conn->hello_ev == NULL || evtimer_add(conn->hello_ev, &tv) != 0 ||
	    sock_chan_add(conn, fd, 1) == NULL)
		goto fail;
	TAILQ_INSERT_TAIL(&srv->conns, conn, entry);
	srv->nconns++;
	user->nconns++;
	log_debug("socket: context %" PRIu32 " opened by pid %d",
	    conn->ctx->id, (int)cr.pid);
	return;

fail:
	if (conn != NULL) {
		if (conn->hello_ev != NULL)
			event_free(conn->hello_ev);
		if (conn->ctx != NULL)
			ctx_free(conn->ctx);
		free(conn);
	}
	sock_user_put(srv, user);
	close(fd);
}

int
sock_server_open(struct event_base *base, const char *path, mode_t mode,
    gid_t gid, struct sock_server **srvp)
{
	struct sock_server	*srv;
	int			 error;

	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return (-ENOMEM);
	srv->base = base;
	srv->us.fd = -1;
	srv->max_per_uid = SOCK_DEFAULT_PER_UID;
	TAILQ_INIT(&srv->conns);
	TAILQ_INIT(&srv->users);
	/* Without it, running out of descriptors only pauses accepting. */
	srv->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if ((srv->path = strdup(path)) == NULL ||
	    (srv->rbuf = malloc(WIRE_RECV_BUF)) == NULL) {
		error = -ENOMEM;
		goto fail;
	}
	error = unixsock_listen(path, SOCK_SEQPACKET, mode, gid, SOCK_BACKLOG,
	    UNIXSOCK_MKPARENT | UNIXSOCK_PASSCRED, &srv->us);
	if (error != 0)
		goto fail;
	srv->ev = event_new(base, srv->us.fd, EV_READ | EV_PERSIST,
	    sock_accept, srv);
	srv->retry = evtimer_new(base, sock_accept_retry, srv);
	if (srv->ev == NULL || srv->retry == NULL ||
	    event_add(srv->ev, NULL) != 0) {
		error = -ENOMEM;
		goto fail;
	}
	log_debug("socket: listening on %s", path);
	*srvp = srv;
	return (0);

fail:
	if (srv->ev != NULL)
		event_free(srv->ev);
	if (srv->retry != NULL)
		event_free(srv->retry);
	if (srv->us.fd != -1) {
		unixsock_unlink(path, &srv->us);
		close(srv->us.fd);
	}
	if (srv->reserve != -1)
		close(srv->reserve);
	free(srv->rbuf);
	free(srv->path);
	free(srv);
	return (error);
}

void
sock_server_close(struct sock_server *srv)
{
	struct sock_conn	*conn;

	if (srv == NULL)
		return;
	while ((conn = TAILQ_FIRST(&srv->conns)) != NULL)
		sock_conn_free(conn);
	event_free(srv->ev);
	event_free(srv->retry);
	close(srv->us.fd);
	if (srv->reserve != -1)
		close(srv->reserve);
	unixsock_unlink(srv->path, &srv->us);
	free(srv->rbuf);
	free(srv->path);
	free(srv);
}

unsigned int
sock_server_nconns(const struct sock_server *srv)
{
	return (srv->nconns);
}

void
sock_server_set_per_uid(struct sock_server *srv, unsigned int max)
{
	if (srv != NULL)
		srv->max_per_uid = max;
}
