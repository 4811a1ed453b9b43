/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The socket message format's plumbing, shared by the daemon's socket
 * transport and the client libraries: building payloads, sending and
 * receiving one message with its descriptors (and, on the daemon side, the
 * sender's credentials), moving large payloads through a memfd, and
 * splitting an IOCTL request with every length checked.
 *
 * Both sides run this code on bytes from the other, so nothing received is
 * trusted: a message is either accepted whole or refused with -EPROTO, and
 * a refused message leaves no descriptor open and no memory allocated.
 * Only libc is used, so that the preload library can carry this file.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uapi.h"
#include "wire.h"

/* Room for the bulk descriptor plus WIRE_MAX_FDS others, and credentials. */
#define WIRE_CMSG_SPACE	(CMSG_SPACE(sizeof(int) * (WIRE_MAX_FDS + 1)) + \
			 CMSG_SPACE(sizeof(struct ucred)))

void
wire_buf_init(struct wire_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->owned = 1;
}

void
wire_buf_init_with(struct wire_buf *b, void *storage, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->data = storage;
	b->cap = cap;
}

void
wire_buf_free(struct wire_buf *b)
{
	if (b->owned)
		free(b->data);
	memset(b, 0, sizeof(*b));
}

void *
wire_buf_add(struct wire_buf *b, const void *data, size_t len)
{
	uint8_t	*p;
	size_t	 cap;

	if (b->error != 0)
		return (NULL);
	if (len > WIRE_MAX_PAYLOAD || b->len + len > WIRE_MAX_PAYLOAD) {
		b->error = -E2BIG;
		return (NULL);
	}
	if (b->len + len > b->cap) {
		cap = b->cap != 0 ? b->cap : 256;
		while (cap < b->len + len)
			cap *= 2;
		if ((p = realloc(b->owned ? b->data : NULL, cap)) == NULL) {
			b->error = -ENOMEM;
			return (NULL);
		}
		if (!b->owned && b->len != 0)
			memcpy(p, b->data, b->len);
		b->data = p;
		b->cap = cap;
		b->owned = 1;
	}
	p = b->data + b->len;
	if (data != NULL && len != 0)
		memcpy(p, data, len);
	else if (len != 0)
		memset(p, 0, len);
	b->len += len;
	return (p);
}

void
wire_buf_pad(struct wire_buf *b, size_t align)
{
	size_t	pad;

	pad = (align - (b->len & (align - 1))) & (align - 1);
	if (pad != 0)
		wire_buf_add(b, NULL, pad);
}

/* A sealed memfd holding the niov pieces one after another, or -errno. */
static int
wire_bulk_make(const struct iovec *iov, int niov)
{
	const uint8_t	*p;
	size_t		 off = 0, done;
	ssize_t		 n;
	int		 fd, i, error;

	fd = memfd_create("ioasid-wire", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1)
		return (-errno);
	for (i = 0; i < niov; i++) {
		p = iov[i].iov_base;
		for (done = 0; done < iov[i].iov_len; done += n, off += n) {
			n = pwrite(fd, p + done, iov[i].iov_len - done, off);
			if (n == -1 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0) {
				error = n == -1 ? -errno : -EIO;
				close(fd);
				return (error);
			}
		}
	}
	/* Sealing is hygiene only: the reader copies what it needs. */
	(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL);
	return (fd);
}

int
wire_send(int sock, uint16_t op, uint16_t flags, uint32_t seq,
    const void *payload, size_t len, const int *fds, int nfds, int msgflags)
{
	struct iovec	iov;

	iov.iov_base = (void *)(uintptr_t)payload;
	iov.iov_len = len;
	return (wire_sendv(sock, op, flags, seq, &iov, len != 0 ? 1 : 0, fds,
	    nfds, msgflags));
}

int
wire_sendv(int sock, uint16_t op, uint16_t flags, uint32_t seq,
    const struct iovec *piov, int niov, const int *fds, int nfds,
    int msgflags)
{
	struct wire_hdr	 hdr;
	struct iovec	 iov[WIRE_MAX_IOV + 1];
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(int) *
				    (WIRE_MAX_FDS + 1))];
	} cbuf;
	int		 all[WIRE_MAX_FDS + 1], nall = 0, bulk = -1, i;
	ssize_t		 n;
	size_t		 len = 0, want;

	if (nfds < 0 || nfds > WIRE_MAX_FDS || niov < 0 ||
	    niov > WIRE_MAX_IOV)
		return (-EINVAL);
	for (i = 0; i < niov; i++) {
		if (piov[i].iov_len > WIRE_MAX_PAYLOAD - len)
			return (-EINVAL);
		len += piov[i].iov_len;
	}

	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = WIRE_MAGIC;
	hdr.op = op;
	hdr.flags = flags & ~WIRE_F_BULK;
	hdr.seq = seq;
	hdr.payload_len = len;

	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	msg.msg_iov = iov;
	msg.msg_iovlen = 1;
	if (len > WIRE_INLINE_MAX) {
		if ((bulk = wire_bulk_make(piov, niov)) < 0)
			return (bulk);
		hdr.flags |= WIRE_F_BULK;
		all[nall++] = bulk;
	} else {
		for (i = 0; i < niov; i++) {
			if (piov[i].iov_len != 0)
				iov[msg.msg_iovlen++] = piov[i];
		}
	}
	for (i = 0; i < nfds; i++)
		all[nall++] = fds[i];
	if (nall != 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nall);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nall);
		memcpy(CMSG_DATA(cm), all, sizeof(int) * nall);
	}

	want = sizeof(hdr) + (bulk == -1 ? len : 0);
	do
		n = sendmsg(sock, &msg, msgflags | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	i = n == -1 ? -errno : 0;
	if (bulk != -1)
		close(bulk);
	if (i != 0)
		return (i);
	if ((size_t)n != want)
		return (-EMSGSIZE);
	return (0);
}

void
wire_msg_clear(struct wire_msg *m)
{
	int	i;

	for (i = 0; i < m->nfds; i++) {
		if (m->fds[i] != -1)
			close(m->fds[i]);
	}
	free(m->owned);
	memset(m, 0, sizeof(*m));
}

int
wire_msg_takefd(struct wire_msg *m, int i)
{
	int	fd;

	if (i < 0 || i >= m->nfds)
		return (-1);
	fd = m->fds[i];
	m->fds[i] = -1;
	return (fd);
}

/*
 * Check a bulk payload before anything is allocated for it: only an
 * IOCTL or a REPLY is ever large, and the descriptor must be a shmem file
 * (memfd), which F_GET_SEALS answers only for, so that reading it can
 * never block on a pipe, a socket or a FUSE file the sender chose. For an
 * IOCTL, the header and the region and fd tables are read first and must
 * announce exactly len bytes: a request is never read further than its
 * own layout asks.
 */
static int
wire_bulk_check(int fd, uint16_t op, size_t len)
{
	struct stat		st;
	struct wire_ioctl	io;
	struct wire_region	regs[WIRE_MAX_REGIONS];
	uint64_t		need, carried;
	size_t			tables;
	unsigned int		i;

	if (op != WIRE_IOCTL && op != WIRE_REPLY)
		return (-EPROTO);
	if (fcntl(fd, F_GET_SEALS) == -1)
		return (-EPROTO);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size < 0 || (uint64_t)st.st_size < len)
		return (-EPROTO);
	if (op != WIRE_IOCTL)
		return (0);
	if (pread(fd, &io, sizeof(io), 0) != (ssize_t)sizeof(io) ||
	    io.nregions > WIRE_MAX_REGIONS || io.nfds > WIRE_MAX_FDS)
		return (-EPROTO);
	tables = io.nregions * sizeof(regs[0]);
	if (tables != 0 && pread(fd, regs, tables, sizeof(io)) !=
	    (ssize_t)tables)
		return (-EPROTO);
	/* The data is what the carried regions hold (wire_parse_ioctl()). */
	for (i = 0, carried = 0; i < io.nregions; i++) {
		if (regs[i].flags & (WIRE_R_FAULT | WIRE_R_NOTCARRIED))
			continue;
		if (!wire_carries(carried, regs[i].len))
			return (-EPROTO);
		carried += regs[i].len;
	}
	need = sizeof(io) + tables + io.nfds * sizeof(struct wire_fd) +
	    carried;
	return (need == len ? 0 : -EPROTO);
}

/* Read a bulk payload that wire_bulk_check() accepted. */
static int
wire_bulk_read(int fd, uint8_t *buf, size_t len)
{
	size_t		off = 0;
	ssize_t		n;

	while (off < len) {
		n = pread(fd, buf + off, len - off, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-EPROTO);
		off += n;
	}
	return (0);
}

int
wire_recv(int sock, struct wire_msg *m, int msgflags)
{
	uint8_t	*buf;
	int	 error;

	if ((buf = malloc(WIRE_RECV_BUF)) == NULL) {
		memset(m, 0, sizeof(*m));
		return (-ENOMEM);
	}
	error = wire_recv_buf(sock, m, msgflags, buf, WIRE_RECV_BUF);
	if (error != 0 || m->owned != NULL)
		free(buf);
	else
		m->owned = buf;
	return (error);
}

/*
 * Receive one message with its payload into the niov pieces of piov; body
 * is where the payload starts when it is one piece (the WIRE_RECV_BUF
 * case), NULL when it is scattered, and then a bulk message is refused.
 */
static int
wire_recv_common(int sock, struct wire_msg *m, int msgflags,
    const struct iovec *piov, int niov, uint8_t *body)
{
	struct iovec	 iov[WIRE_MAX_IOV + 1];
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct ucred	 cred;
	union {
		struct cmsghdr	align;
		char		buf[WIRE_CMSG_SPACE];
	} cbuf;
	int		 fds[WIRE_MAX_FDS + 1], nfds = 0, k, cnt, error, i;
	uint8_t		*big = NULL;
	ssize_t		 n;

	memset(m, 0, sizeof(*m));
	if (niov < 0 || niov > WIRE_MAX_IOV)
		return (-EINVAL);

	memset(&msg, 0, sizeof(msg));
	iov[0].iov_base = &m->hdr;
	iov[0].iov_len = sizeof(m->hdr);
	for (i = 0; i < niov; i++)
		iov[i + 1] = piov[i];
	msg.msg_iov = iov;
	msg.msg_iovlen = niov + 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	do
		n = recvmsg(sock, &msg, msgflags | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		error = -errno;
		return (error == -EWOULDBLOCK ? -EAGAIN : error);
	}

	/*
	 * Collect every descriptor the kernel installed before looking at
	 * anything else, so that each failure below can close them all.
	 */
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
	    cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_RIGHTS) {
			cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (k = 0; k < cnt; k++) {
				memcpy(&i, CMSG_DATA(cm) + k * sizeof(int),
				    sizeof(int));
				if (nfds < (int)(sizeof(fds) / sizeof(fds[0])))
					fds[nfds++] = i;
				else
					close(i);
			}
		} else if (cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(cred))) {
			memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
			m->has_creds = 1;
			m->pid = cred.pid;
			m->uid = cred.uid;
			m->gid = cred.gid;
		}
	}

	error = -EPROTO;
	if (n == 0 && nfds == 0) {
		error = -ECONNRESET;
		goto fail;
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
		goto fail;
	if ((size_t)n < sizeof(m->hdr) || m->hdr.magic != WIRE_MAGIC ||
	    m->hdr.payload_len > WIRE_MAX_PAYLOAD)
		goto fail;

	if (m->hdr.flags & WIRE_F_BULK) {
		if (body == NULL || (size_t)n != sizeof(m->hdr) || nfds == 0 ||
		    m->hdr.payload_len <= WIRE_INLINE_MAX ||
		    wire_bulk_check(fds[0], m->hdr.op,
		    m->hdr.payload_len) != 0)
			goto fail;
		if ((big = malloc(m->hdr.payload_len)) == NULL) {
			error = -ENOMEM;
			goto fail;
		}
		if ((error = wire_bulk_read(fds[0], big,
		    m->hdr.payload_len)) != 0)
			goto fail;
		body = big;
		close(fds[0]);
		memmove(fds, fds + 1, sizeof(int) * (nfds - 1));
		nfds--;
	} else if ((size_t)n - sizeof(m->hdr) != m->hdr.payload_len)
		goto fail;
	if (nfds > WIRE_MAX_FDS)
		goto fail;

	m->payload = body;
	m->owned = big;
	m->len = m->hdr.payload_len;
	memcpy(m->fds, fds, sizeof(int) * nfds);
	m->nfds = nfds;
	return (0);

fail:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	free(big);
	memset(m, 0, sizeof(*m));
	return (error);
}

int
wire_recv_buf(int sock, struct wire_msg *m, int msgflags, void *buf,
    size_t cap)
{
	struct iovec	iov;

	if (cap < WIRE_INLINE_MAX) {
		memset(m, 0, sizeof(*m));
		return (-EINVAL);
	}
	iov.iov_base = buf;
	iov.iov_len = WIRE_INLINE_MAX;
	return (wire_recv_common(sock, m, msgflags, &iov, 1, buf));
}

int
wire_recv_iov(int sock, struct wire_msg *m, int msgflags,
    const struct iovec *iov, int niov)
{
	return (wire_recv_common(sock, m, msgflags, iov, niov, NULL));
}

void
wire_cur_init(struct wire_cur *c, const void *p, size_t len)
{
	c->p = p;
	c->left = len;
	c->bad = 0;
}

const void *
wire_cur_take(struct wire_cur *c, size_t len)
{
	const void	*p;

	if (c->bad || len > c->left) {
		c->bad = 1;
		return (NULL);
	}
	p = c->p;
	c->p += len;
	c->left -= len;
	return (p);
}

int
wire_cur_get(struct wire_cur *c, void *out, size_t len)
{
	const void	*p;

	if ((p = wire_cur_take(c, len)) == NULL)
		return (-EPROTO);
	memcpy(out, p, len);
	return (0);
}

int
wire_cur_align(struct wire_cur *c, const void *base, size_t align)
{
	size_t	off, pad;

	off = c->p - (const uint8_t *)base;
	pad = (align - (off & (align - 1))) & (align - 1);
	if (wire_cur_take(c, pad) == NULL)
		return (-EPROTO);
	return (0);
}

uint64_t
wire_region_cut(uint64_t uaddr, uint64_t len)
{
	if (len != 0 && uaddr + (len - 1) < uaddr)
		return (0 - uaddr);
	return (len);
}

int
wire_carries(uint64_t carried, uint64_t len)
{
	return (carried <= WIRE_MAX_CARRY && len <= WIRE_MAX_CARRY - carried);
}

int
wire_parse_ioctl(const void *payload, size_t len, int nfds_msg,
    struct wire_ioctl_req *rq)
{
	const struct uapi_cmd	*uc;
	const struct wire_region *r;
	struct wire_cur		 c;
	uint64_t		 need = 0;
	uint32_t		 size, floor;
	unsigned int		 i;

	/* The arrays are good up to the counts in io; the rest is set here. */
	rq->retry = 0;
	rq->inplace = 0;
	wire_cur_init(&c, payload, len);
	if (wire_cur_get(&c, &rq->io, sizeof(rq->io)) != 0) {
		memset(&rq->io, 0, sizeof(rq->io));
		return (-EPROTO);
	}
	if (rq->io.nregions > WIRE_MAX_REGIONS ||
	    rq->io.nfds > WIRE_MAX_FDS)
		return (-EPROTO);
	for (i = 0; i < rq->io.nregions; i++) {
		if (wire_cur_get(&c, &rq->regions[i],
		    sizeof(rq->regions[i])) != 0)
			return (-EPROTO);
		if ((rq->regions[i].flags & WIRE_R_SIZED) && (i != 0 ||
		    (rq->regions[i].flags & WIRE_R_FAULT) ||
		    rq->regions[i].uaddr != rq->io.arg ||
		    rq->regions[i].len < sizeof(uint32_t)))
			return (-EPROTO);
		if ((rq->regions[i].flags & WIRE_R_INPLACE) &&
		    !(rq->regions[i].flags & WIRE_R_SIZED))
			return (-EPROTO);
		r = &rq->regions[i];
		if ((r->flags & ~(WIRE_R_FAULT | WIRE_R_SIZED |
		    WIRE_R_INPLACE | WIRE_R_NOTCARRIED)) != 0 ||
		    wire_region_cut(r->uaddr, r->len) != r->len)
			return (-EPROTO);
		/* What is not carried is what no rest of the limit holds. */
		if (r->flags & WIRE_R_NOTCARRIED) {
			if (r->flags != WIRE_R_NOTCARRIED ||
			    wire_carries(need, r->len))
				return (-EPROTO);
		} else if (!(r->flags & WIRE_R_FAULT)) {
			if (!wire_carries(need, r->len))
				return (-EPROTO);
			need += r->len;
		}
	}
	for (i = 0; i < rq->io.nfds; i++) {
		if (wire_cur_get(&c, &rq->fds[i], sizeof(rq->fds[i])) != 0)
			return (-EPROTO);
		if (rq->fds[i].index < -1 || rq->fds[i].index >= nfds_msg)
			return (-EPROTO);
	}
	/* The data must be exactly what the regions announce. */
	if (need != c.left)
		return (-EPROTO);
	for (i = 0; i < rq->io.nregions; i++) {
		rq->data[i] = rq->regions[i].flags & (WIRE_R_FAULT |
		    WIRE_R_NOTCARRIED) ? NULL : wire_cur_take(&c,
		    rq->regions[i].len);
	}
	if (rq->io.nregions > 0 && (rq->regions[0].flags & WIRE_R_SIZED)) {
		/*
		 * A VFIO command's minimal struct is read whatever argsz
		 * says (the kernel then answers EINVAL for a small argsz).
		 */
		uc = uapi_cmd_find(rq->io.cmd);
		floor = sizeof(size);
		if (uc != NULL && uc->argkind == UA_ARGSZ && uc->st != NULL &&
		    uc->st->min_size > floor)
			floor = uc->st->min_size;
		if (rq->regions[0].flags & WIRE_R_INPLACE)
			rq->inplace = rq->regions[0].len;
		memcpy(&size, rq->data[0], sizeof(size));
		if (size < floor)
			size = floor;
		if (size > rq->regions[0].len)
			rq->retry = 1;
		else
			rq->regions[0].len = size;
	}
	return (0);
}
