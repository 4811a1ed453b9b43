/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * One ioctl call as the core sees it, and the caller behind it.
 *
 * The core never knows how caller memory is reached. A transport fills a
 * struct ucmd with a uaccess implementation: CUSE hands the bytes the kernel
 * fetched in its retry rounds, the socket transport the regions the client
 * sent, the tests their own address space. Handlers only use ucmd_read(),
 * ucmd_write(), ucmd_respond() and the fd helpers, which return 0 or -errno
 * like everything else in the core.
 */
#ifndef IOASIDD_UCMD_H
#define IOASIDD_UCMD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct ctx;
struct umem;

/* Capabilities of the caller that the uAPI cares about. */
#define CALLER_CAP_IPC_LOCK	0x1	/* no RLIMIT_MEMLOCK for pinned pages */
#define CALLER_CAP_SYS_RESOURCE	0x2	/* may change IOMMU_OPTION_RLIMIT_MODE */
#define CALLER_CAP_SYS_RAWIO	0x4	/* may use noiommu devices (7.3) */

/*
 * Who is calling. The transport fills it from what the kernel told it
 * (SO_PASSCRED, fuse_req_ctx) and from /proc, once per channel.
 */
struct ucaller {
	pid_t		 pid;		/* thread group id; 0 if unknown */
	uid_t		 uid;
	gid_t		 gid;
	unsigned int	 caps;		/* CALLER_CAP_* */
	uint64_t	 memlock_max;	/* RLIMIT_MEMLOCK in bytes */
	struct umem	*mem;		/* the caller's address space, or NULL */
};

/* How a transport reaches caller memory and descriptors. */
struct uaccess_ops {
	/* Copy len bytes from caller address uaddr: 0 or -EFAULT. */
	int	(*read)(void *priv, uint64_t uaddr, void *buf, size_t len);
	/* Copy len bytes to caller address uaddr: 0 or -EFAULT. */
	int	(*write)(void *priv, uint64_t uaddr, const void *buf,
		    size_t len);
	/* A daemon-owned duplicate of caller descriptor cfd, or -EBADF. */
	int	(*getfd)(void *priv, int cfd);
	/*
	 * Hand descriptor fd (ownership passes) to the caller; the number
	 * the caller will see is stored as a u32 at caller address uaddr
	 * when the reply is delivered. With uaddr 0 the number is the
	 * ioctl's return value instead: the call returns what the handler
	 * returns for it (the self uaccess: the number itself; the
	 * regions: 0, which the transport replaces with the number). Else
	 * 0, or -EOPNOTSUPP where the transport cannot give the caller a
	 * new descriptor.
	 */
	int	(*putfd)(void *priv, int fd, uint64_t uaddr);
};

/* Objects one command may leave pending (see ucmd_finalize()). */
#define UCMD_MAX_PENDING	4

struct ucmd {
	struct ctx			*ctx;
	unsigned int			 cmd;		/* full ioctl number */
	uint64_t			 arg;		/* caller address of struct */
	uint32_t			 user_size;	/* the caller's size field */
	void				*cmd_buf;	/* daemon copy, op size */
	size_t				 cmd_len;	/* op size */
	const struct ucaller		*caller;
	const struct uaccess_ops	*uops;
	void				*upriv;
	/*
	 * Set by a transport whose writes reach the caller only after
	 * dispatch() returns (the socket; CUSE, whose kernel copies the
	 * answer out): a new object then stays reserved, listed here, until
	 * the transport knows whether the answer landed.
	 */
	int				 defer;
	struct obj			*pending[UCMD_MAX_PENDING];
	unsigned int			 npending;
};

int	ucmd_read(struct ucmd *, uint64_t uaddr, void *buf, size_t len);
int	ucmd_write(struct ucmd *, uint64_t uaddr, const void *buf, size_t len);

/*
 * A caller's array of max entries at uptr that a command fills as
 * IOMMU_IOAS_IOVA_RANGES does: the rows that fit are written, every row
 * is counted, and the command answers the count (EMSGSIZE when it is
 * more than max).
 */
struct ucmd_rows {
	struct ucmd	*ucmd;
	uint64_t	 uptr;
	uint32_t	 max;
	uint32_t	 count;
};
/* Start rows on the array at uptr of max entries. */
void	ucmd_rows_init(struct ucmd_rows *, struct ucmd *, uint64_t uptr,
	    uint32_t max);
/* One row of size bytes: written if there is room, counted: 0 or -errno. */
int	ucmd_row(struct ucmd_rows *, const void *row, size_t size);
/* Write the first min(user_size, len) bytes of cmd_buf back to arg. */
int	ucmd_respond(struct ucmd *, size_t len);
/*
 * A creating command's last step, once ucmd_respond() has succeeded: make
 * obj visible. The kernel aborts an object whose answer cannot be
 * written; where that is not known yet (defer), obj stays reserved in
 * pending for the transport to settle with ucmd_settle().
 */
void	ucmd_finalize(struct ucmd *, struct obj *);
/* Finalize the n pending objects if written, else abort them. */
void	ucmd_settle(struct obj **pending, unsigned int n, int written);
int	ucmd_getfd(struct ucmd *, int cfd);
/*
 * The context behind caller descriptor cfd, held (ctx_put() it): -EBADF
 * when cfd is not an open descriptor of the caller, -EBADFD when it is
 * not one of our /dev/iommu opens whose inode the transport told the
 * core (ctx_set_file()), as the kernel's iommufd_ctx_from_fd() answers.
 */
int	ucmd_getctx(struct ucmd *, int cfd, struct ctx **);
int	ucmd_putfd(struct ucmd *, int fd, uint64_t uaddr);
/* Copy to (to_caller) or from another process's memory: 0 or -EFAULT. */
int	ucmd_vm_copy(pid_t, int to_caller, uint64_t uaddr, void *buf,
	    size_t len);

/*
 * A uaccess that serves caller memory from a list of regions copied in
 * advance (socket requests, CUSE retry rounds) and records every write, so
 * that the transport can send the writes back. A read that is not wholly
 * inside one readable region fails with -EFAULT, or with -ENOMEM when it
 * touches a region that was too large to be carried (proto/wire.h).
 */
struct uregion {
	uint64_t	 uaddr;
	uint64_t	 len;
	const void	*data;		/* NULL: the caller could not read it,
					   or it was not carried */
	int		 notcarried;
};

struct uwrite {
	uint64_t	 uaddr;
	uint64_t	 len;
	uint8_t		*data;
};

struct ufd {
	int		 cfd;		/* caller number, or the new fd's index */
	int		 fd;		/* daemon descriptor, owned */
	uint64_t	 uaddr;		/* putfd: where the number goes */
};

#define UREGIONS_MAX_FDS	8
/* Descriptors a caller sends: as many as a socket message carries. */
#define UREGIONS_MAX_IN_FDS	252
/*
 * Writes, and bytes of them, kept inside struct uregions: most commands
 * write their struct and nothing else, and then nothing is allocated.
 */
#define UREGIONS_INLINE_WRITES	4
#define UREGIONS_INLINE_BYTES	256

struct uregions {
	const struct uregion	*regions;
	unsigned int		 nregions;
	/*
	 * Writes recorded by the command, in order: inline_writes at first,
	 * then an array of their own; the bytes of each in inline_bytes
	 * while there is room, else allocated.
	 */
	struct uwrite		*writes;
	unsigned int		 nwrites;
	unsigned int		 writes_cap;
	struct uwrite		 inline_writes[UREGIONS_INLINE_WRITES];
	uint64_t		 inline_bytes[UREGIONS_INLINE_BYTES / 8];
	size_t			 inline_used;
	/* Writes must fall inside these regions when nouts != 0. */
	const struct uregion	*outs;
	unsigned int		 nouts;
	/* Descriptors the caller sent (getfd duplicates them). */
	struct ufd		 in_fds[UREGIONS_MAX_IN_FDS];
	unsigned int		 nin_fds;
	/* Descriptors for the caller (putfd); owned until sent. */
	struct ufd		 out_fds[UREGIONS_MAX_FDS];
	unsigned int		 nout_fds;
	int			 can_putfd;
};

extern const struct uaccess_ops uregions_ops;

void	uregions_init(struct uregions *, const struct uregion *, unsigned int);
/* Free the recorded writes and close descriptors still owned. */
void	uregions_clear(struct uregions *);

/*
 * A uaccess on the calling process's own memory, fault-safe: reads and
 * writes use process_vm_readv/writev on ourselves, so a bad address gives
 * -EFAULT instead of a crash. getfd duplicates our own descriptor; putfd
 * stores the descriptor number directly. Used by the tests and the
 * in-process benchmarks.
 */
extern const struct uaccess_ops uself_ops;

#endif /* IOASIDD_UCMD_H */
