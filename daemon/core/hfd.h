/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Handed-out descriptors: the fds some commands give the caller (an
 * access, a fault queue, a vEVENTQ), each one end of a socket pair whose
 * other end the daemon keeps.
 *
 * Why a socket pair: the caller's descriptor must be a real one, so that
 * poll(), fork(), SCM_RIGHTS and close() behave as the kernel's do without
 * the client library standing in the middle, and the daemon must learn
 * when the last copy of it is closed. A socket pair gives both: the
 * daemon's end reads EOF once no process holds the caller's end any more,
 * and whatever the daemon writes into its end is what the caller reads.
 * SOCK_SEQPACKET keeps record boundaries, so a queue can write one record
 * (or one group of them) per packet and read one response per packet.
 *
 * Who holds what: an hfd belongs to one object (its kind's file keeps the
 * pointer and frees it from its destroy op), holds one user on that
 * object, so DESTROY of it answers EBUSY while the caller's descriptor is
 * open, and one reference on the context, so the context outlives its own
 * file while the descriptor is open (ctx.h).
 *
 * Noticing a close: the daemon's event loop watches the daemon's end
 * through the hook below (the loop lives outside core/, which does not
 * know it). Because the loop may see a close only after the caller's next
 * ioctl, dispatch() first serves every hangup already waiting (hfd_reap(),
 * one epoll_wait() whatever the number of descriptors out), so a close()
 * followed by an ioctl is seen in that order, as with the kernel's
 * synchronous release.
 *
 * Recognising a descriptor the caller sends back: the caller's end has a
 * socket inode of its own, and any copy of it that reaches the daemon
 * (SCM_RIGHTS through the preload library, pidfd_getfd() over CUSE) has
 * the same one, so hfd_find() compares inodes. That holds for a caller
 * holding several, for dup()ed and inherited copies, and needs no table in
 * the client.
 */
#ifndef IOASIDD_HFD_H
#define IOASIDD_HFD_H

#include <sys/types.h>

#include <bsd/sys/queue.h>

struct ctx;
struct obj;
struct hfd;

struct hfd_ops {
	/*
	 * The caller wrote into its end: read what is there from hfd->fd
	 * (non-blocking) and act on it. Optional: without it whatever the
	 * caller writes is read and dropped.
	 */
	void	(*input)(struct hfd *);
	/*
	 * No process holds the caller's end any more. The kind gives up
	 * the hfd's hold on the object (hfd_free(hfd, 1), or by destroying
	 * the object, whose destroy op frees the hfd). The context stays
	 * valid for the whole call.
	 */
	void	(*hangup)(struct hfd *);
	/*
	 * The daemon's end takes more again, after hfd_want_output(hfd, 1):
	 * send what waits. Optional.
	 */
	void	(*output)(struct hfd *);
};

struct hfd {
	LIST_ENTRY(hfd)		 entry;		/* the context's hfds */
	struct ctx		*ctx;		/* referenced */
	struct obj		*obj;		/* one user held */
	const struct hfd_ops	*ops;
	int			 fd;		/* the daemon's end */
	dev_t			 peer_dev;	/* the caller's end */
	ino_t			 peer_ino;
	void			*watch;		/* the loop's */
	void			*watch_out;	/* the loop's, or NULL */
	void			*priv;		/* the kind's */
	int			 detached;	/* the context is being freed */
};

/*
 * How the event loop watches daemon ends: watch() arranges for
 * hfd_ready(hfd) to be called when hfd->fd is readable (it may keep a
 * handle in hfd->watch) and returns 0 or -errno; unwatch() undoes it.
 * Without a loop (the unit tests) nothing is watched and the tests call
 * hfd_ready() or hfd_reap() themselves.
 */
struct hfd_loop {
	int	(*watch)(struct hfd *);
	void	(*unwatch)(struct hfd *);
	/*
	 * Call hfd_output(hfd) whenever hfd->fd is writable (on), or stop
	 * (off): 0 or -errno. unwatch() stops this too.
	 */
	int	(*watch_output)(struct hfd *, int on);
};

void	hfd_set_loop(const struct hfd_loop *);

/*
 * At most this many open per context, as a process's descriptor table
 * holds 1024 by default: each costs the daemon a descriptor, and the
 * daemon's are shared by every caller.
 */
#define HFD_MAX_PER_CTX	1024

/*
 * A new hfd for obj, of socket type (SOCK_SEQPACKET, SOCK_STREAM), with
 * HFD_NONBLOCK when the caller's reads must never wait (the kernel's
 * queues return 0 when empty; a socket that cannot wait answers EAGAIN,
 * which is nearer than waiting for ever): 0 with the caller's end in
 * *peerp (close-on-exec; the caller of hfd_new() owns it until
 * ucmd_putfd() takes it), or -errno (-EMFILE, also past HFD_MAX_PER_CTX;
 * -ENFILE, -ENOMEM) with nothing held.
 */
#define HFD_NONBLOCK	0x1
int	hfd_new(struct obj *, int type, int flags, const struct hfd_ops *,
	    int *peerp, struct hfd **);
/*
 * Close the daemon's end and let go of the context; drop_obj says whether
 * the hold on the object is dropped too (0 when the object is being
 * destroyed and its hold was given up with it).
 */
void	hfd_free(struct hfd *, int drop_obj);
/*
 * The handed-out descriptor of this context that fd (a daemon copy of a
 * caller's descriptor) is a copy of, for an object of type (enum
 * obj_type, or OBJ_ANY): 0 or -EBADF.
 */
int	hfd_find(struct ctx *, int fd, int type, struct hfd **);
/*
 * Ask to be told (ops->output) when the daemon's end takes more, or stop
 * asking. Without a loop nothing is told; the kinds send again on their
 * next report.
 */
void	hfd_want_output(struct hfd *, int on);
/* The daemon's end is writable again (the loop's call). */
void	hfd_output(struct hfd *);
/* The daemon's end is readable: serve input, then a hangup. */
void	hfd_ready(struct hfd *);
/*
 * Serve the hangups already waiting, when ctx has handed out descriptors
 * (those of other contexts may be served too); see above.
 */
void	hfd_reap(struct ctx *);
/*
 * The context is being freed whatever holds it (ctx_free()): every hfd
 * gives its holds back and stops being watched; the objects' destroy ops
 * then free them.
 */
void	hfd_ctx_free(struct ctx *);
/* How many hfds are open in the whole daemon (tests, status). */
unsigned int hfd_count(void);
/* How many a context has open. */
unsigned int hfd_ctx_count(const struct ctx *);

#endif /* IOASIDD_HFD_H */
