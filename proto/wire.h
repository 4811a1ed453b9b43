/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The message format of the ioasidd unix socket, which the preload library
 * and libioasid speak to the daemon.
 *
 * The socket is SOCK_SEQPACKET, so every message arrives whole and on its
 * own, and the daemon sets SO_PASSCRED on it, so every message carries the
 * sender's pid, uid and gid as the kernel saw them.
 *
 * Nodes. A connection is one open of one node the daemon serves, named in
 * its HELLO: /dev/iommu (WIRE_NODE_IOMMU), or the emulated VFIO cdev
 * /dev/vfio/devices/vfio<index> (WIRE_NODE_VFIO_DEVICE), the index-th
 * [device] of the daemon's configuration. A node that does not exist is
 * refused with a HELLO_REPLY whose error says why (-ENODEV) and the
 * connection is closed. A peer of another WIRE_VERSION gets a HELLO_REPLY
 * with ours (so that it can say what is wrong), a log line, and the
 * connection closed.
 *
 * Identity. HELLO carries, as its one SCM_RIGHTS descriptor, the client's
 * own end of the connection; the daemon keeps its inode (and closes it)
 * so that it can tell later which of its connections a descriptor the
 * client sends is. That is how VFIO_DEVICE_BIND_IOMMUFD, which names the
 * iommufd by the caller's descriptor number, finds the context: the
 * client sends that descriptor like any other the command names, and the
 * daemon looks its inode up. The daemon takes the descriptor only if its
 * peer is a socket of the daemon's own process and no other connection
 * has claimed that inode, so a client can only name connections it holds.
 *
 * Contexts and channels. Each connection to the listening socket is one open
 * context, exactly like one open() of /dev/iommu: the connected socket is
 * the descriptor the program holds, and dup(), fork() and close() act on it
 * natively. The context lives until every copy of that socket is closed.
 * A context socket carries requests and replies only for the process that
 * opened it. Any other process holding a copy (after fork, or an exec'd
 * program that inherited it) first makes a private channel: it creates a
 * socketpair and sends WIRE_CHANNEL with one end over the context socket;
 * the daemon answers nothing on the context socket and serves that process
 * on its channel from then on. So no two processes ever wait for replies on
 * the same socket, and replies can never be taken by the wrong reader.
 *
 * Requests. A WIRE_IOCTL request carries the command, the caller's address
 * of the argument, and copies of every caller memory region the command
 * reads (its struct and the arrays the struct points to, as proto/uapi.h
 * describes them). A region the caller could not read is sent with
 * WIRE_R_FAULT and no data, so that the daemon answers EFAULT in the
 * kernel's order. A region is never sent past the end of the address
 * space: one that would wrap is cut there (wire_region_cut()). A request
 * carries at most WIRE_MAX_CARRY bytes of caller memory; a region that
 * does not fit in what is left (wire_carries()) is sent with
 * WIRE_R_NOTCARRIED and no data, and a command that reads it gets ENOMEM,
 * as from a kernel that cannot allocate for so large a copy. Both ends
 * apply the same two functions, so every request a client builds is one
 * the daemon accepts. Descriptors the command names (IOMMU_IOAS_MAP_FILE's
 * fd) travel with SCM_RIGHTS; wire_fd entries say which caller number
 * each one had.
 *
 * Replies. A WIRE_REPLY carries the ioctl's result (>= 0, or -errno) and the
 * caller memory the command wrote, as (address, length, bytes) records that
 * the client applies in order, whatever the result. New descriptors for the
 * caller (fault queues) travel with SCM_RIGHTS; a wire_fdpatch says where
 * the caller's number for each must be stored.
 *
 * New objects. The kernel publishes an object a command creates only once
 * the answer is in the caller's memory, and aborts it otherwise. A reply
 * to a command that created one (IOAS_ALLOC, HWPT_ALLOC, ...) says
 * WIRE_RF_CONFIRM, and the daemon keeps the object reserved, visible to
 * nobody. A client that cannot apply the reply sends WIRE_UNWRITTEN with
 * the same seq before its ioctl returns, and the object is aborted; a
 * client that could sends nothing, and the object is published as soon as
 * anything could see it: before the next request on any channel of the
 * context is run (a queued UNWRITTEN on the object's channel is taken
 * first), or when the channel ends. So success costs no message. An
 * in-place reply that the client could not receive (its struct not
 * writable) is followed by an UNWRITTEN whatever it said, since its flags
 * are lost with it; the daemon takes an UNWRITTEN for the last request it
 * answered on the channel and ignores it when nothing waits.
 *
 * In-place replies. A request whose struct region also carries
 * WIRE_R_INPLACE is answered in another form, which the client receives
 * with its own struct as part of the receive buffer: the wire_reply with
 * WIRE_RF_INPLACE, then the bytes of caller memory from io.arg on, as the
 * command left them, and nothing else. So the kernel's copy in recvmsg is
 * the fault-safe write of the reply. Only what the command's writes cover,
 * without a gap, from io.arg on is sent (no bytes when it wrote nothing
 * there). When the writes do not fit that form (a write outside the
 * struct, a gap, a descriptor for the caller), the in-place reply says
 * WIRE_RF_FOLLOWS and carries no bytes, and an ordinary reply with the
 * same seq follows it.
 *
 * Caller memory. The daemon reaches a caller's memory for one thing
 * only: the commands that map it (proto/uapi.h's UK_UVA fields:
 * IOMMU_IOAS_MAP, VFIO_IOMMU_MAP_DMA) check at map time that the range
 * is mapped as asked, and the pages object of the mapping reads it (and
 * writes it, when the mapping is writable) for emulated DMA while the
 * mapping lives. Everything else a command reads or writes travels in
 * the request and the reply. So HELLO and CHANNEL carry no descriptor;
 * a request of such a command carries WIRE_F_MEMFD and, after the
 * descriptors its wire_fd entries index, the sender's /proc/self/mem:
 * opened O_RDONLY, or O_RDWR only when the mapping is to be writable
 * (IOMMU_IOAS_MAP_WRITEABLE, VFIO_DMA_MAP_FLAG_WRITE). The daemon uses it
 * only if it is the mem file of the process the message's credentials
 * name; the pages object of a mapping the request makes keeps it (one is
 * kept per process and access mode, however many mappings share it), and
 * it is closed once the last such mapping is unmapped, or right after
 * the request when it made none. A request without one is served from
 * /proc/<pid>/mem if the daemon may open that itself.
 *
 * Allocation-failure injection. A request carries fail_nth, the count
 * the caller armed (as the kernel's /proc/<pid>/task/<tid>/fail-nth
 * holds it), 0 when it armed none: the daemon arms its own injection
 * with it for that one command (daemon/core/inject.h), so the fail_nth-th
 * allocation point the command reaches fails as from a kernel out of
 * memory, and the reply's fail_nth is what is left of the count after it
 * (0 once the point was reached and failed, or when none was armed). The
 * client stores that back, so that one count spans several ioctls as the
 * kernel's spans system calls. A request that runs no command (answered
 * WIRE_RF_RETRY, or refused before it ran) gives its count back whole.
 * The daemon keeps nothing of it between requests. HELLO carries none:
 * opening a node reaches no allocation point.
 *
 * Bulk. A message whose payload would exceed WIRE_INLINE_MAX carries
 * WIRE_F_BULK: its payload (everything after the header) is in a memfd
 * passed as the first SCM_RIGHTS descriptor instead of inline. Only an
 * IOCTL or a REPLY may be bulk (HELLO, CHANNEL and PING never need to be),
 * and a bulk IOCTL's header and tables must announce exactly its length:
 * the receiver reads them first and nothing more when they do not.
 *
 * All fields are in host byte order: both ends are on the same machine.
 */
#ifndef IOASIDD_PROTO_WIRE_H
#define IOASIDD_PROTO_WIRE_H

#include <stdint.h>

#define WIRE_MAGIC		0x49534149u	/* "IASI" */
#define WIRE_VERSION		8

/* Largest payload sent inline; larger ones go through a memfd. */
#define WIRE_INLINE_MAX		(60 * 1024)
/*
 * Most descriptors one message carries besides the bulk memfd: the
 * kernel's SCM_MAX_FD (253) less that one, so that every message is one
 * sendmsg. A command names few descriptors, except
 * VFIO_DEVICE_SET_IRQS with DATA_EVENTFD, one eventfd per vector (QEMU
 * enables MSI-X vectors in one call, up to 2048 of them): a client sends
 * the distinct descriptors it names, and a call naming more than
 * WIRE_MAX_FDS (with the memfd a mapping command adds) fails in the
 * client with E2BIG before anything is sent. Each one the daemon takes
 * is held only for the command's length (or by the object it makes).
 * Version 8 raised this from 8.
 */
#define WIRE_MAX_FDS		252
/* Most regions one request carries. */
#define WIRE_MAX_REGIONS	16
/*
 * Most bytes of caller memory one request carries. What a legitimate
 * command reads beyond its struct is far less: HWPT_INVALIDATE entries are
 * 16 to 32 bytes (64 MiB is two million or more of them), a dirty bitmap
 * of 64 MiB covers 2 TiB of 4 KiB pages, and 64 MiB of ALLOW_IOVAS is 4M
 * ranges. Anything larger is not carried (WIRE_R_NOTCARRIED), so no peer
 * makes the daemon allocate or read more than this for one request.
 */
#define WIRE_MAX_CARRY		(64ull << 20)
/* The largest IOCTL payload a client builds: its headers, then the data. */
#define WIRE_MAX_REQUEST	(sizeof(struct wire_ioctl) +		\
				 WIRE_MAX_REGIONS *			\
				 sizeof(struct wire_region) +		\
				 WIRE_MAX_FDS * sizeof(struct wire_fd) + \
				 WIRE_MAX_CARRY)
/*
 * Largest total any message may carry, inline or bulk: a reply gives each
 * write a 16-byte record, so twice the carry limit.
 */
#define WIRE_MAX_PAYLOAD	(2 * WIRE_MAX_CARRY)

/* Default location of the socket, and the variables that override it. */
#define WIRE_DEFAULT_SOCKET	"/run/ioasidd/iommu.sock"
#define WIRE_ENV_SOCKET		"IOASIDD_SOCKET"
#define WIRE_ENV_NODE		"IOASIDD_NODE"
/* Users besides root and ourselves whose daemon the client talks to. */
#define WIRE_ENV_TRUST		"IOASIDD_TRUST_UID"
#define WIRE_DEFAULT_NODE	"/dev/iommu"
/* Where the VFIO cdev nodes are, and the variable that overrides it. */
#define WIRE_ENV_VFIO_DIR	"IOASIDD_VFIO_DIR"
#define WIRE_DEFAULT_VFIO_DIR	"/dev/vfio/devices"
/*
 * Descriptors a program inherits that are opens of VFIO device nodes, as
 * a comma-separated list of numbers ("3,4"): set by `ioasidctl run`, so
 * that the preload library in the program it starts serves their pread()
 * and pwrite() before any ioctl has shown what they are.
 */
#define WIRE_ENV_DEVICE_FDS	"IOASIDD_DEVICE_FDS"

enum wire_op {
	WIRE_HELLO = 1,		/* client: first message on a context socket */
	WIRE_HELLO_REPLY,	/* daemon: answer to HELLO */
	WIRE_CHANNEL,		/* client: private channel, fd[0] = our end */
	WIRE_IOCTL,		/* client: one ioctl */
	WIRE_REPLY,		/* daemon: its result */
	WIRE_PING,		/* client: empty request, for measuring */
	WIRE_UNWRITTEN,		/* client: the reply to seq could not be
				   applied; no payload, no answer */
};

/* Header flags. */
#define WIRE_F_BULK		0x1	/* payload is in the first fd */
#define WIRE_F_MEMFD		0x2	/* IOCTL: an fd to the sender's
					   /proc/self/mem follows the others
					   (see Caller memory) */

struct wire_hdr {
	uint32_t	magic;		/* WIRE_MAGIC */
	uint16_t	op;		/* enum wire_op */
	uint16_t	flags;		/* WIRE_F_* */
	uint32_t	seq;		/* echoed in the reply */
	uint32_t	payload_len;	/* bytes after the header */
};

/* The nodes a HELLO may open. */
enum wire_node {
	WIRE_NODE_IOMMU = 0,		/* /dev/iommu */
	WIRE_NODE_VFIO_DEVICE = 1,	/* /dev/vfio/devices/vfio<index> */
};

/*
 * HELLO and CHANNEL payload (a CHANNEL's node and index are zero). The
 * version comes first in every version of it.
 */
struct wire_hello {
	uint32_t	version;	/* WIRE_VERSION */
	uint16_t	node;		/* enum wire_node */
	uint16_t	__reserved;
	uint32_t	index;		/* WIRE_NODE_VFIO_DEVICE: which */
	uint32_t	__reserved2;
};

/* HELLO_REPLY payload. */
struct wire_hello_reply {
	uint32_t	version;
	uint32_t	ctx_id;		/* the daemon's number for the open */
	int32_t		error;		/* 0, or -errno: the open failed */
	uint32_t	__reserved;
};

/* IOCTL payload: this, then nregions wire_region, nfds wire_fd, then the
 * data of every region without WIRE_R_FAULT or WIRE_R_NOTCARRIED, in
 * order. */
struct wire_ioctl {
	uint64_t	cmd;
	uint64_t	arg;
	uint16_t	nregions;
	uint16_t	nfds;
	uint32_t	fail_nth;	/* armed count, 0: none (see
					   Allocation-failure injection) */
};

#define WIRE_R_FAULT	0x1	/* the caller could not read this region */
/*
 * Region 0 only, at io.arg: the command's struct as far as the client's
 * table knows it (at least its u32 size), sent straight from caller memory
 * without being looked at. The daemon takes the size field from it: a
 * shorter struct is cut to its size; a longer one is not run at all but
 * answered with WIRE_RF_RETRY, and the client sends it again with the
 * whole struct read the ordinary way.
 */
#define WIRE_R_SIZED	0x2
/*
 * Region 0 only, with WIRE_R_SIZED: answer with an in-place reply of at
 * most this region's length (as sent, before the cut to its size).
 */
#define WIRE_R_INPLACE	0x4
/*
 * A region over what the request may still carry (see wire_carries()):
 * described, without data. Never with the other flags.
 */
#define WIRE_R_NOTCARRIED 0x8

struct wire_region {
	uint64_t	uaddr;
	uint64_t	len;
	uint32_t	flags;		/* WIRE_R_* */
	uint32_t	__reserved;
};

/* The i-th SCM_RIGHTS descriptor (after the bulk fd, if any) was caller fd
 * number cfd. A caller fd that was not open is sent with index -1. */
struct wire_fd {
	int32_t		cfd;
	int32_t		index;
};

/* REPLY payload: this, then nwrites wire_write each followed by its bytes
 * (padded to 8), then nfdpatch wire_fdpatch. */
struct wire_reply {
	int64_t		result;		/* >= 0, or -errno */
	uint16_t	nwrites;
	uint16_t	nfdpatch;
	uint32_t	flags;		/* WIRE_RF_* */
	uint32_t	fail_nth;	/* the request's count, what is left */
	uint32_t	__reserved;
};

/* The ioctl's return value is the number of new descriptor 0. */
#define WIRE_RF_RESULT_FD	0x1
/* Nothing was done: send the WIRE_R_SIZED struct again, all of it. */
#define WIRE_RF_RETRY		0x2
/* An in-place reply: the struct's bytes follow (see In-place replies). */
#define WIRE_RF_INPLACE		0x4
/* An in-place reply without bytes: an ordinary reply follows. */
#define WIRE_RF_FOLLOWS		0x8
/* A new object waits to be published (see New objects). */
#define WIRE_RF_CONFIRM		0x10

struct wire_write {
	uint64_t	uaddr;
	uint64_t	len;
};

/* Store the caller's number of the index-th passed descriptor as a u32 at
 * uaddr, after the writes are applied (they hold a placeholder there). */
struct wire_fdpatch {
	uint64_t	uaddr;
	uint32_t	index;
	uint32_t	__reserved;
};


/* ---------------------------------------------------------------------------
 * Helpers both ends use (wire.c). They depend on nothing but libc, return 0
 * or -errno, and never trust what they receive: every length is checked
 * against what actually arrived before anything is read.
 */

#include <sys/types.h>
#include <sys/uio.h>
#include <stddef.h>

/* A growable payload under construction. */
struct wire_buf {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
	int		 error;		/* sticky: -ENOMEM or -E2BIG */
	int		 owned;		/* data is ours to realloc and free */
};

void	wire_buf_init(struct wire_buf *);
/*
 * Start in the caller's storage (cap bytes, which must outlive the buffer);
 * growing past it moves to the heap. Saves an allocation per message.
 */
void	wire_buf_init_with(struct wire_buf *, void *storage, size_t cap);
void	wire_buf_free(struct wire_buf *);
/* Append len bytes (data NULL: zeros); returns where they went or NULL. */
void	*wire_buf_add(struct wire_buf *, const void *data, size_t len);
/* Append zeros up to a multiple of align (a power of two). */
void	wire_buf_pad(struct wire_buf *, size_t align);

/*
 * Send one message: the header (magic, op, flags, seq, payload_len filled
 * in here), the payload, and nfds descriptors (kept by the caller; at most
 * WIRE_MAX_FDS, not counting the bulk memfd, which goes first). A payload
 * over WIRE_INLINE_MAX goes through a memfd and WIRE_F_BULK is set.
 * msgflags is added to MSG_NOSIGNAL (the daemon passes MSG_DONTWAIT).
 * EINTR is retried; a short send is -EMSGSIZE.
 */
int	wire_send(int sock, uint16_t op, uint16_t flags, uint32_t seq,
	    const void *payload, size_t len, const int *fds, int nfds,
	    int msgflags);
/*
 * The same with the payload in niov pieces (at most WIRE_MAX_IOV), sent
 * as they lie, without being gathered first. A piece may point at memory
 * the sender is not sure it can read: the kernel then fails the send with
 * -EFAULT and nothing is sent.
 */
#define WIRE_MAX_IOV	(2 * WIRE_MAX_REGIONS + 4)
int	wire_sendv(int sock, uint16_t op, uint16_t flags, uint32_t seq,
	    const struct iovec *iov, int niov, const int *fds, int nfds,
	    int msgflags);

/* One received message. The descriptors are owned by it until taken. */
struct wire_msg {
	struct wire_hdr	 hdr;
	uint8_t		*payload;	/* hdr.payload_len bytes */
	uint8_t		*owned;		/* what to free: payload, or NULL when
					   it lies in the receiver's buffer */
	size_t		 len;
	int		 fds[WIRE_MAX_FDS];	/* bulk fd already removed */
	int		 nfds;
	int		 has_creds;
	pid_t		 pid;
	uid_t		 uid;
	gid_t		 gid;
};

/*
 * Receive one message (descriptors with MSG_CMSG_CLOEXEC). Returns 0, or
 * -ECONNRESET on end of file, -EAGAIN when nothing is waiting (with
 * MSG_DONTWAIT in msgflags), -EPROTO for anything malformed: a bad magic,
 * a truncated datagram or control block, a length that does not match, a
 * bulk descriptor that is not a memfd of the right size, a bulk message
 * of another op than IOCTL or REPLY, or a bulk IOCTL whose own tables say
 * another length. Nothing is left
 * open or allocated on failure.
 */
int	wire_recv(int sock, struct wire_msg *, int msgflags);
/*
 * The same, receiving into the caller's buffer (at least WIRE_INLINE_MAX
 * bytes) instead of a new one: an inline payload then points into buf and
 * is good until buf is used again; a bulk payload is still allocated.
 */
#define WIRE_RECV_BUF	WIRE_INLINE_MAX
int	wire_recv_buf(int sock, struct wire_msg *, int msgflags, void *buf,
	    size_t cap);
/*
 * The same, receiving the payload straight into niov pieces (at most
 * WIRE_MAX_IOV) of the caller's choosing, which may include memory the
 * receiver is not sure it can write: the kernel then fails the receive
 * with -EFAULT and the message is gone (a datagram is taken off the queue
 * before it is copied). On success m->payload is NULL and m->len is how
 * many payload bytes arrived; a message longer than the pieces, or a bulk
 * one, is -EPROTO.
 */
int	wire_recv_iov(int sock, struct wire_msg *, int msgflags,
	    const struct iovec *iov, int niov);
/* Close the descriptors still held and free the payload. */
void	wire_msg_clear(struct wire_msg *);
/* Take descriptor i out of the message (the caller now owns it), or -1. */
int	wire_msg_takefd(struct wire_msg *, int i);

/* Reading a payload: every get fails once anything ran past the end. */
struct wire_cur {
	const uint8_t	*p;
	size_t		 left;
	int		 bad;
};

void	wire_cur_init(struct wire_cur *, const void *, size_t);
/* Copy len bytes out: 0, or -EPROTO if fewer are left. */
int	wire_cur_get(struct wire_cur *, void *out, size_t len);
/* Point at len bytes in place (NULL if fewer are left). */
const void *wire_cur_take(struct wire_cur *, size_t len);
/* Skip padding up to a multiple of align from the payload start. */
int	wire_cur_align(struct wire_cur *, const void *base, size_t align);

/*
 * The rules on regions both ends apply. wire_region_cut(): the length of a
 * region of len bytes at uaddr, cut at the end of the address space.
 * wire_carries(): whether a region of len bytes is carried after carried
 * bytes of the regions before it; if not, it goes with WIRE_R_NOTCARRIED
 * (or WIRE_R_FAULT when the caller cannot read it at all).
 */
uint64_t	wire_region_cut(uint64_t uaddr, uint64_t len);
int		wire_carries(uint64_t carried, uint64_t len);

/* A parsed IOCTL request; pointers are into the message payload. */
struct wire_ioctl_req {
	struct wire_ioctl	 io;
	struct wire_region	 regions[WIRE_MAX_REGIONS];
	/* NULL for a fault region or one not carried. */
	const uint8_t		*data[WIRE_MAX_REGIONS];
	struct wire_fd		 fds[WIRE_MAX_FDS];
	int			 retry;	/* answer WIRE_RF_RETRY, run nothing */
	uint64_t		 inplace;	/* WIRE_R_INPLACE: the most bytes
						   an in-place reply may carry,
						   else 0 */
};

/*
 * Check and split an IOCTL payload: counts within limits, regions that
 * do not wrap and are carried or not as wire_carries() says, lengths that
 * add up exactly to the data that follows, fd indexes that name a
 * descriptor the message carried (nfds_msg of them). -EPROTO otherwise.
 * A WIRE_R_SIZED region comes back cut to its struct's size, or with
 * retry set when that size is more than was sent; with WIRE_R_INPLACE,
 * inplace says how long it was as sent. Only the first io.nregions and
 * io.nfds entries of the arrays are set; on -EPROTO nothing is to be used.
 */
int	wire_parse_ioctl(const void *payload, size_t len, int nfds_msg,
	    struct wire_ioctl_req *);

#endif /* IOASIDD_PROTO_WIRE_H */
