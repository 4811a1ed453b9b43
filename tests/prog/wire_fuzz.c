/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Malformed input on the daemon's socket ($IOASIDD_SOCKET): garbage,
 * truncated headers, lying lengths, bogus and surplus descriptors, bulk
 * descriptors that are not memfds, huge region counts, a client that never
 * reads its replies. Every bad message must close that connection (and
 * only that one), quickly, and the daemon must go on serving. A few good
 * hand-built messages check that the format is what proto/wire.h says.
 * With $IOASIDD_PID set, the daemon's open descriptors are counted before
 * and after, and must match. Ends with "N passed, M failed".
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "rawwire.h"
#include "wire.h"

static int	npass, nfail;
static char	sockpath[108];

#define CHECK(cond, name) do {						\
	if (cond) {							\
		npass++;						\
	} else {							\
		nfail++;						\
		printf("FAIL %s\n", (name));				\
	}								\
} while (0)

static int
conn(void)
{
	return (rawwire_connect(sockpath));
}

static int
sendraw(int fd, const void *buf, size_t len, const int *fds, int nfds,
    int flags)
{
	struct iovec	iov;

	if (nfds > RAWWIRE_MAX_FDS)
		return (-1);
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	return (rawwire_sendv(fd, &iov, 1, fds, nfds, flags) == (ssize_t)len ?
	    0 : -1);
}

/* A header and payload in one buffer. */
static size_t
build(uint8_t *out, uint16_t op, uint16_t flags, uint32_t seq,
    const void *payload, uint32_t len)
{
	struct wire_hdr	h;

	memset(&h, 0, sizeof(h));
	h.magic = WIRE_MAGIC;
	h.op = op;
	h.flags = flags;
	h.seq = seq;
	h.payload_len = len;
	memcpy(out, &h, sizeof(h));
	if (len != 0)
		memcpy(out + sizeof(h), payload, len);
	return (sizeof(h) + len);
}

/* Did the daemon close this connection (within 3 seconds)? */
static int
closed(int fd)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	char		buf[WIRE_INLINE_MAX + 64];
	ssize_t		n;

	for (;;) {
		if (poll(&pfd, 1, 3000) != 1)
			return (0);
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return (1);
		if (n == -1 && errno != EAGAIN)
			return (errno == ECONNRESET);
	}
}

static int
hello(int fd)
{
	struct wire_hello	h = { .version = WIRE_VERSION };
	uint8_t			buf[256];
	struct wire_hdr		rh;
	size_t			len;

	len = build(buf, WIRE_HELLO, 0, 1, &h, sizeof(h));
	if (sendraw(fd, buf, len, NULL, 0, 0) != 0)
		return (-1);
	if (recv(fd, buf, sizeof(buf), 0) < (ssize_t)sizeof(rh))
		return (-1);
	memcpy(&rh, buf, sizeof(rh));
	return (rh.op == WIRE_HELLO_REPLY ? 0 : -1);
}

/* Wait for the REPLY to seq: 0, or -1 if it does not come. */
static int
recv_reply(int fd, uint32_t seq)
{
	uint8_t			buf[256];
	struct wire_hdr		rh;
	struct pollfd		pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, 3000) != 1)
		return (-1);
	if (recv(fd, buf, sizeof(buf), 0) < (ssize_t)sizeof(rh))
		return (-1);
	memcpy(&rh, buf, sizeof(rh));
	return (rh.op == WIRE_REPLY && rh.seq == seq ? 0 : -1);
}

static int
ping(int fd, uint32_t seq)
{
	uint8_t	buf[64];
	size_t	len;

	len = build(buf, WIRE_PING, 0, seq, NULL, 0);
	if (sendraw(fd, buf, len, NULL, 0, 0) != 0)
		return (-1);
	return (recv_reply(fd, seq));
}

/* A connection that said HELLO. */
static int
ready(void)
{
	int	fd;

	if ((fd = conn()) == -1)
		return (-1);
	if (hello(fd) != 0) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Send raw bytes (and fds) on a fresh connection; expect it closed. */
static void
expect_closed(const char *name, int after_hello, const void *buf, size_t len,
    const int *fds, int nfds)
{
	int	fd;

	fd = after_hello ? ready() : conn();
	if (fd == -1) {
		CHECK(0, name);
		return;
	}
	CHECK(sendraw(fd, buf, len, fds, nfds, 0) == 0 && closed(fd), name);
	close(fd);
}

/*
 * An IOCTL for IOMMU_IOAS_ALLOC with the struct sent as one region of
 * rlen bytes (rlen >= 12), or as a fault region.
 */
static size_t
ioas_alloc_msg(uint8_t **outp, uint32_t seq, size_t rlen, int fault)
{
	struct wire_ioctl	io;
	struct wire_region	r;
	struct iommu_ioas_alloc	a;
	struct wire_hdr		h;
	uint8_t			*p;
	size_t			plen;

	plen = sizeof(io) + sizeof(r) + (fault ? 0 : rlen);
	p = calloc(1, sizeof(h) + plen);
	memset(&io, 0, sizeof(io));
	io.cmd = IOMMU_IOAS_ALLOC;
	io.arg = 0x10000;
	io.nregions = 1;
	memset(&r, 0, sizeof(r));
	r.uaddr = 0x10000;
	r.len = rlen;
	r.flags = fault ? WIRE_R_FAULT : 0;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	memset(&h, 0, sizeof(h));
	h.magic = WIRE_MAGIC;
	h.op = WIRE_IOCTL;
	h.seq = seq;
	h.payload_len = plen;
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), &io, sizeof(io));
	memcpy(p + sizeof(h) + sizeof(io), &r, sizeof(r));
	if (!fault)
		memcpy(p + sizeof(h) + sizeof(io) + sizeof(r), &a, sizeof(a));
	*outp = p;
	return (sizeof(h) + plen);
}

/* The flags and fail-nth count of the last reply reply_result() took. */
static uint32_t	last_rflags;
static uint32_t	last_rfail;

/* Receive a REPLY and return its result (or a large value if none). */
static int64_t
reply_result(int fd, uint32_t seq, uint32_t *id)
{
	uint8_t			*buf = malloc(WIRE_INLINE_MAX + 64);
	struct wire_hdr		 h;
	struct wire_reply	 rp;
	struct wire_write	 w;
	struct pollfd		 pfd = { .fd = fd, .events = POLLIN };
	ssize_t			 n;
	int64_t			 res = INT64_MAX;

	if (poll(&pfd, 1, 3000) == 1 &&
	    (n = recv(fd, buf, WIRE_INLINE_MAX + 64, 0)) >=
	    (ssize_t)(sizeof(h) + sizeof(rp))) {
		memcpy(&h, buf, sizeof(h));
		memcpy(&rp, buf + sizeof(h), sizeof(rp));
		if (h.op == WIRE_REPLY && h.seq == seq) {
			res = rp.result;
			last_rflags = rp.flags;
			last_rfail = rp.fail_nth;
		}
		if (id != NULL && rp.nwrites >= 1 && (size_t)n >= sizeof(h) +
		    sizeof(rp) + sizeof(w) + 12) {
			memcpy(&w, buf + sizeof(h) + sizeof(rp), sizeof(w));
			memcpy(id, buf + sizeof(h) + sizeof(rp) + sizeof(w) +
			    8, sizeof(*id));
		}
	}
	free(buf);
	return (res);
}

static int
count_fds(pid_t pid)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return (n);
}

static void
test_headers(void)
{
	uint8_t			 buf[512], *p;
	struct wire_hello	 h = { .version = WIRE_VERSION };
	struct wire_hdr		 hd;
	size_t			 len;
	int			 i;

	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	expect_closed("garbage", 0, buf, 100, NULL, 0);
	len = build(buf, WIRE_HELLO, 0, 1, &h, sizeof(h));
	expect_closed("truncated header", 0, buf, 8, NULL, 0);
	memcpy(&hd, buf, sizeof(hd));
	hd.magic = 0x12345678;
	memcpy(buf, &hd, sizeof(hd));
	expect_closed("bad magic", 0, buf, len, NULL, 0);
	len = build(buf, WIRE_HELLO, 0, 1, &h, sizeof(h));
	memcpy(&hd, buf, sizeof(hd));
	hd.payload_len = 400;
	memcpy(buf, &hd, sizeof(hd));
	expect_closed("payload_len longer than the message", 0, buf, len,
	    NULL, 0);
	hd.payload_len = 0xffffffff;
	memcpy(buf, &hd, sizeof(hd));
	expect_closed("payload_len 4 GiB", 0, buf, len, NULL, 0);
	h.version = 99;
	len = build(buf, WIRE_HELLO, 0, 1, &h, sizeof(h));
	expect_closed("HELLO of another version", 0, buf, len, NULL, 0);
	len = build(buf, WIRE_PING, 0, 1, NULL, 0);
	expect_closed("PING before HELLO", 0, buf, len, NULL, 0);
	len = ioas_alloc_msg(&p, 1, 12, 0);
	expect_closed("IOCTL before HELLO", 0, p, len, NULL, 0);
	free(p);
	len = build(buf, 77, 0, 1, NULL, 0);
	expect_closed("unknown op", 1, buf, len, NULL, 0);
	h.version = WIRE_VERSION;
	len = build(buf, WIRE_HELLO, 0, 1, &h, sizeof(h));
	expect_closed("second HELLO", 1, buf, len, NULL, 0);
	len = build(buf, WIRE_REPLY, 0, 1, NULL, 0);
	expect_closed("a REPLY from the client", 1, buf, len, NULL, 0);
}

/*
 * HELLO refused: the answer says why (our version for an old client, the
 * error for a node we do not serve), then the connection ends.
 */
static void
hello_refused(const char *name, const void *payload, size_t plen,
    uint32_t want_version, int32_t want_error)
{
	struct wire_hello_reply	 hr;
	struct wire_hdr		 rh;
	uint8_t			 buf[256];
	size_t			 len;
	ssize_t			 n;
	int			 fd;

	if ((fd = conn()) == -1) {
		CHECK(0, name);
		return;
	}
	len = build(buf, WIRE_HELLO, 0, 1, payload, plen);
	CHECK(sendraw(fd, buf, len, NULL, 0, 0) == 0, name);
	n = recv(fd, buf, sizeof(buf), 0);
	memset(&hr, 0, sizeof(hr));
	if (n >= (ssize_t)(sizeof(rh) + sizeof(hr))) {
		memcpy(&rh, buf, sizeof(rh));
		memcpy(&hr, buf + sizeof(rh), sizeof(hr));
	}
	CHECK(n >= (ssize_t)(sizeof(rh) + sizeof(hr)) &&
	    rh.op == WIRE_HELLO_REPLY && hr.version == want_version &&
	    hr.error == want_error, name);
	CHECK(closed(fd), name);
	close(fd);
}

static void
test_hello_nodes(void)
{
	struct {
		uint32_t	version;
		uint32_t	reserved;
	} old = { WIRE_VERSION - 1, 0 };
	struct wire_hello	h;

	hello_refused("a HELLO of version 5", &old, sizeof(old),
	    WIRE_VERSION, -EPROTO);
	memset(&h, 0, sizeof(h));
	h.version = WIRE_VERSION;
	h.node = WIRE_NODE_VFIO_DEVICE;
	h.index = 4096;
	hello_refused("a device the daemon has not", &h, sizeof(h),
	    WIRE_VERSION, -ENODEV);
	h.node = 7;
	h.index = 0;
	hello_refused("an unknown node kind", &h, sizeof(h), WIRE_VERSION,
	    -ENODEV);
	h.node = WIRE_NODE_IOMMU;
	h.index = 1;
	hello_refused("/dev/iommu with an index", &h, sizeof(h),
	    WIRE_VERSION, -ENODEV);
}

static void
test_ioctl_lies(void)
{
	struct wire_ioctl	 io;
	struct wire_region	 r;
	struct wire_fd		 wf;
	uint8_t			 buf[1024], pl[512];
	size_t			 len;

	memset(&io, 0, sizeof(io));
	io.cmd = IOMMU_IOAS_ALLOC;
	io.nregions = 60000;
	len = build(buf, WIRE_IOCTL, 0, 2, &io, sizeof(io));
	expect_closed("60000 regions", 1, buf, len, NULL, 0);

	io.nregions = 1;
	memset(&r, 0, sizeof(r));
	r.uaddr = 0x1000;
	r.len = 1ull << 40;
	memcpy(pl, &io, sizeof(io));
	memcpy(pl + sizeof(io), &r, sizeof(r));
	memset(pl + sizeof(io) + sizeof(r), 0, 16);
	len = build(buf, WIRE_IOCTL, 0, 2, pl, sizeof(io) + sizeof(r) + 16);
	expect_closed("region longer than its data", 1, buf, len, NULL, 0);

	r.len = 8;
	r.uaddr = UINT64_MAX - 2;
	memcpy(pl + sizeof(io), &r, sizeof(r));
	len = build(buf, WIRE_IOCTL, 0, 2, pl, sizeof(io) + sizeof(r) + 8);
	expect_closed("region wrapping the address space", 1, buf, len, NULL,
	    0);

	r.uaddr = 0x1000;
	r.len = 4;
	memcpy(pl + sizeof(io), &r, sizeof(r));
	len = build(buf, WIRE_IOCTL, 0, 2, pl, sizeof(io) + sizeof(r) + 16);
	expect_closed("data longer than the regions", 1, buf, len, NULL, 0);

	io.nregions = 0;
	io.nfds = 1;
	wf.cfd = 5;
	wf.index = 3;
	memcpy(pl, &io, sizeof(io));
	memcpy(pl + sizeof(io), &wf, sizeof(wf));
	len = build(buf, WIRE_IOCTL, 0, 2, pl, sizeof(io) + sizeof(wf));
	expect_closed("fd index with no descriptor", 1, buf, len, NULL, 0);

	io.nfds = 200;
	memcpy(pl, &io, sizeof(io));
	len = build(buf, WIRE_IOCTL, 0, 2, pl, sizeof(io));
	expect_closed("200 fd entries", 1, buf, len, NULL, 0);

	len = build(buf, WIRE_IOCTL, 0, 2, pl, 10);
	expect_closed("IOCTL shorter than its header", 1, buf, len, NULL, 0);
}

static void
test_fds(void)
{
	struct wire_hdr	 h;
	uint8_t		 buf[64];
	int		 p[2], fds[WIRE_MAX_FDS + 1], i, mfd, fd;

	memset(&h, 0, sizeof(h));
	h.magic = WIRE_MAGIC;
	h.op = WIRE_IOCTL;
	h.flags = WIRE_F_BULK;
	h.payload_len = 100000;
	memcpy(buf, &h, sizeof(h));

	/* A pipe nobody writes to: reading it would block the daemon. */
	if (pipe(p) == -1)
		return;
	expect_closed("bulk fd is a pipe", 1, buf, sizeof(h), &p[0], 1);
	close(p[0]);
	close(p[1]);

	mfd = memfd_create("short", MFD_CLOEXEC);
	if (ftruncate(mfd, 100) == -1)
		return;
	expect_closed("bulk memfd shorter than payload_len", 1, buf,
	    sizeof(h), &mfd, 1);
	close(mfd);

	expect_closed("bulk flag with no descriptor", 1, buf, sizeof(h),
	    NULL, 0);
	h.payload_len = 100;
	memcpy(buf, &h, sizeof(h));
	mfd = memfd_create("small", MFD_CLOEXEC);
	if (ftruncate(mfd, 100) == -1)
		return;
	expect_closed("bulk payload small enough to be inline", 1, buf,
	    sizeof(h), &mfd, 1);
	close(mfd);

	/* One more than a message may carry without a bulk memfd. */
	for (i = 0; i < WIRE_MAX_FDS + 1; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	h.flags = 0;
	h.op = WIRE_PING;
	h.payload_len = 0;
	memcpy(buf, &h, sizeof(h));
	expect_closed("WIRE_MAX_FDS + 1 descriptors on one message", 1, buf,
	    sizeof(h), fds, WIRE_MAX_FDS + 1);
	for (i = 0; i < WIRE_MAX_FDS + 1; i++)
		close(fds[i]);

	/* Descriptors on a PING are not an error: they are just closed. */
	fd = ready();
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd != -1 && sendraw(fd, buf, sizeof(h), fds, 1, 0) == 0,
	    "PING with a descriptor sent");
	close(fds[0]);
	CHECK(fd != -1 && recv_reply(fd, 0) == 0, "... gets its reply");
	close(fd);
}

static void
test_channels(void)
{
	struct wire_hello	 h = { .version = WIRE_VERSION };
	uint8_t			 buf[256], *msg;
	size_t			 len;
	uint32_t		 id = 0;
	int			 fd, p[2], sv[2], one = 1;

	/* A pipe as a channel is refused by closing it; fd stays served. */
	fd = ready();
	if (fd == -1 || pipe(p) == -1) {
		CHECK(0, "setup");
		return;
	}
	len = build(buf, WIRE_CHANNEL, 0, 0, &h, sizeof(h));
	CHECK(sendraw(fd, buf, len, &p[1], 1, 0) == 0 && ping(fd, 3) == 0,
	    "CHANNEL with a pipe is refused, connection still served");
	close(p[0]);
	close(p[1]);

	/* Our own end of the connection as a channel: refused too. */
	CHECK(sendraw(fd, buf, len, &fd, 1, 0) == 0 && ping(fd, 4) == 0,
	    "CHANNEL with the context socket itself is refused");

	/* A real channel serves an ioctl, with the reply on it. */
	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	CHECK(sendraw(fd, buf, len, &sv[1], 1, 0) == 0, "CHANNEL sent");
	close(sv[1]);
	len = ioas_alloc_msg(&msg, 5, 12, 0);
	CHECK(sendraw(sv[0], msg, len, NULL, 0, 0) == 0 &&
	    reply_result(sv[0], 5, &id) == 0 && id != 0,
	    "IOAS_ALLOC on a private channel");
	free(msg);

	/* The struct as a fault region: EFAULT, as for a NULL pointer. */
	len = ioas_alloc_msg(&msg, 6, 12, 1);
	CHECK(sendraw(sv[0], msg, len, NULL, 0, 0) == 0 &&
	    reply_result(sv[0], 6, NULL) == -EFAULT, "fault region: EFAULT");
	free(msg);

	/* Garbage on the channel closes the channel only. */
	CHECK(sendraw(sv[0], "xx", 2, NULL, 0, 0) == 0 && closed(sv[0]),
	    "garbage on a channel closes it");
	CHECK(ping(fd, 7) == 0, "... and not its context");
	close(sv[0]);

	/* Closing the context closes its channels. */
	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	len = build(buf, WIRE_CHANNEL, 0, 0, &h, sizeof(h));
	sendraw(fd, buf, len, &sv[1], 1, 0);
	close(sv[1]);
	CHECK(ping(sv[0], 8) == 0, "second channel served");
	close(fd);
	CHECK(closed(sv[0]), "closing the context closes its channels");
	close(sv[0]);
}

/* IOMMU_DESTROY of id as a message with seq, then its result. */
static int64_t
destroy(int fd, uint32_t seq, uint32_t id)
{
	struct iommu_destroy	d = { .size = sizeof(d), .id = id };
	struct wire_ioctl	io;
	struct wire_region	r;
	uint8_t			payload[128], buf[256];
	size_t			len;

	memset(&io, 0, sizeof(io));
	io.cmd = IOMMU_DESTROY;
	io.arg = 0x10000;
	io.nregions = 1;
	memset(&r, 0, sizeof(r));
	r.uaddr = io.arg;
	r.len = sizeof(d);
	memcpy(payload, &io, sizeof(io));
	memcpy(payload + sizeof(io), &r, sizeof(r));
	memcpy(payload + sizeof(io) + sizeof(r), &d, sizeof(d));
	len = build(buf, WIRE_IOCTL, 0, seq, payload, sizeof(io) +
	    sizeof(r) + sizeof(d));
	if (sendraw(fd, buf, len, NULL, 0, 0) != 0)
		return (INT64_MAX);
	return (reply_result(fd, seq, NULL));
}

/* IOAS_ALLOC as a message with seq: its result, the new id in *id. */
static int64_t
alloc(int fd, uint32_t seq, uint32_t *id)
{
	uint8_t	*msg;
	size_t	 len;
	int64_t	 res = INT64_MAX;

	*id = 0;
	last_rflags = 0;
	len = ioas_alloc_msg(&msg, seq, 12, 0);
	if (sendraw(fd, msg, len, NULL, 0, 0) == 0)
		res = reply_result(fd, seq, id);
	free(msg);
	return (res);
}

/* UNWRITTEN for seq. */
static int
unwritten(int fd, uint32_t seq)
{
	uint8_t	buf[64];
	size_t	len;

	len = build(buf, WIRE_UNWRITTEN, 0, seq, NULL, 0);
	return (sendraw(fd, buf, len, NULL, 0, 0));
}

/*
 * A new object waits, reserved, until it is known whether the client
 * applied the reply (proto/wire.h, New objects): an UNWRITTEN aborts it
 * (its id is free again), even one already queued when another channel's
 * request runs; the next request on any channel publishes it first, and
 * so does the channel's end; published early, an UNWRITTEN still undoes
 * it. An UNWRITTEN that names no answered request ends the connection.
 */
static void
test_confirm(void)
{
	struct wire_hello	 h = { .version = WIRE_VERSION };
	uint8_t			 buf[256];
	uint32_t		 id, id2;
	size_t			 len;
	int			 fd, sv[2], one = 1;

	if ((fd = ready()) == -1) {
		CHECK(0, "setup");
		return;
	}
	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	len = build(buf, WIRE_CHANNEL, 0, 0, &h, sizeof(h));
	sendraw(fd, buf, len, &sv[1], 1, 0);
	close(sv[1]);

	CHECK(alloc(fd, 20, &id) == 0 && id != 0 &&
	    (last_rflags & WIRE_RF_CONFIRM), "IOAS_ALLOC says CONFIRM");
	CHECK(unwritten(fd, 20) == 0 && destroy(sv[0], 21, id) == -ENOENT,
	    "UNWRITTEN aborts it, before another channel's request");
	CHECK(alloc(fd, 22, &id2) == 0 && id2 == id,
	    "... and its id is free again");
	CHECK(destroy(fd, 23, id) == 0,
	    "the next request on the channel publishes it first");
	CHECK(alloc(fd, 24, &id2) == 0 && id2 == id &&
	    destroy(sv[0], 25, id) == 0,
	    "... and so does a request on another channel");
	CHECK(alloc(fd, 26, &id2) == 0 && id2 == id &&
	    destroy(sv[0], 27, 999) == -ENOENT && unwritten(fd, 26) == 0 &&
	    alloc(fd, 28, &id2) == 0 && id2 == id,
	    "published early, an UNWRITTEN still undoes it");
	CHECK(alloc(sv[0], 29, &id2) == 0 && id2 == id + 1,
	    "an IOAS made on a channel");
	close(sv[0]);
	CHECK(destroy(fd, 30, id + 1) == 0,
	    "... is published when the channel ends");
	CHECK(destroy(fd, 31, id) == 0 && unwritten(fd, 31) == 0 &&
	    ping(fd, 32) == 0,
	    "UNWRITTEN for a request that made nothing: ignored");

	CHECK(unwritten(fd, 99) == 0 && closed(fd),
	    "UNWRITTEN for a request not answered last closes");
	close(fd);
	if ((fd = ready()) == -1) {
		CHECK(0, "setup");
		return;
	}
	CHECK(unwritten(fd, 0) == 0 && closed(fd),
	    "UNWRITTEN before any request closes");
	close(fd);
}

/*
 * An IOCTL whose struct (slen bytes of st, sent as rlen bytes with the
 * rest zero) is region 0 at arg with rflags.
 */
static size_t
sized_msg(uint8_t *out, uint32_t seq, uint64_t cmd, uint64_t arg,
    uint32_t rflags, const void *st, size_t slen, size_t rlen)
{
	uint8_t			 payload[512];
	struct wire_ioctl	 io;
	struct wire_region	 r;

	memset(payload, 0, sizeof(payload));
	memset(&io, 0, sizeof(io));
	io.cmd = cmd;
	io.arg = arg;
	io.nregions = 1;
	memset(&r, 0, sizeof(r));
	r.uaddr = arg;
	r.len = rlen;
	r.flags = rflags;
	memcpy(payload, &io, sizeof(io));
	memcpy(payload + sizeof(io), &r, sizeof(r));
	memcpy(payload + sizeof(io) + sizeof(r), st, slen);
	return (build(out, WIRE_IOCTL, 0, seq, payload, sizeof(io) +
	    sizeof(r) + rlen));
}

/* Set the fail-nth count of the IOCTL message at msg. */
static void
set_fail_nth(uint8_t *msg, uint32_t n)
{
	memcpy(msg + sizeof(struct wire_hdr) +
	    offsetof(struct wire_ioctl, fail_nth), &n, sizeof(n));
}

/* IOAS_ALLOC armed with n: its result; the count left in last_rfail. */
static int64_t
alloc_nth(int fd, uint32_t seq, uint32_t n)
{
	uint8_t		*msg;
	uint32_t	 id;
	size_t		 len;
	int64_t		 res = INT64_MAX;

	last_rfail = UINT32_MAX;
	len = ioas_alloc_msg(&msg, seq, 12, 0);
	set_fail_nth(msg, n);
	if (sendraw(fd, msg, len, NULL, 0, 0) == 0)
		res = reply_result(fd, seq, &id);
	free(msg);
	return (res);
}

/*
 * A request's fail-nth count (proto/wire.h, Allocation-failure
 * injection): the n-th allocation point of that command fails with
 * ENOMEM and 0 comes back; a count not reached comes back lowered; none
 * stays armed for the next request; a request that runs nothing gives
 * its count back whole.
 */
static void
test_fail_nth(void)
{
	struct iommu_ioas_alloc	a = { .size = 64 };
	uint8_t			buf[256];
	size_t			len;
	int			fd;

	if ((fd = ready()) == -1) {
		CHECK(0, "fail_nth setup");
		return;
	}
	CHECK(alloc_nth(fd, 30, 0) == 0 && last_rfail == 0,
	    "fail_nth 0: nothing fails, 0 comes back");
	CHECK(alloc_nth(fd, 31, 1) == -ENOMEM && last_rfail == 0,
	    "fail_nth 1: IOAS_ALLOC fails with ENOMEM, 0 comes back");
	CHECK(alloc_nth(fd, 32, 1000) == 0 && last_rfail < 1000 &&
	    last_rfail > 0, "fail_nth 1000: IOAS_ALLOC succeeds, the count "
	    "comes back lowered");
	CHECK(alloc_nth(fd, 33, 0) == 0 && last_rfail == 0,
	    "nothing stays armed for the next request");
	len = sized_msg(buf, 34, IOMMU_IOAS_ALLOC, 0x10000, WIRE_R_SIZED, &a,
	    12, 12);
	set_fail_nth(buf, 7);
	last_rfail = 0;
	CHECK(sendraw(fd, buf, len, NULL, 0, 0) == 0 &&
	    reply_result(fd, 34, NULL) == 0 &&
	    (last_rflags & WIRE_RF_RETRY) && last_rfail == 7,
	    "a RETRY gives the count back whole");
	close(fd);
}

/* Receive one message whole into buf: its length, or -1. */
static ssize_t
recv_msg(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, 3000) != 1)
		return (-1);
	return (recv(fd, buf, cap, 0));
}

/* In-place replies: the struct's bytes right after the wire_reply. */
static void
test_inplace(void)
{
	struct iommu_ioas_alloc		 a;
	struct iommu_ioas_iova_ranges	 ir;
	struct wire_hdr			 h;
	struct wire_reply		 rp;
	uint8_t				 buf[1024];
	uint32_t			 id = 0;
	size_t				 len;
	ssize_t				 n;
	int				 fd, i;

	/* A command that creates an object: in place, with CONFIRM. */
	fd = ready();
	for (i = 0; i < 2; i++) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		len = sized_msg(buf, 20 + i, IOMMU_IOAS_ALLOC, 0x10000,
		    WIRE_R_SIZED | WIRE_R_INPLACE, &a, sizeof(a), 64);
		n = sendraw(fd, buf, len, NULL, 0, 0) == 0 ?
		    recv_msg(fd, buf, sizeof(buf)) : -1;
		memset(&rp, 0, sizeof(rp));
		if (n >= (ssize_t)(sizeof(h) + sizeof(rp))) {
			memcpy(&h, buf, sizeof(h));
			memcpy(&rp, buf + sizeof(h), sizeof(rp));
		}
		if (n == (ssize_t)(sizeof(h) + sizeof(rp) + sizeof(a)))
			memcpy(&a, buf + sizeof(h) + sizeof(rp), sizeof(a));
		CHECK(n == (ssize_t)(sizeof(h) + sizeof(rp) + sizeof(a)) &&
		    h.seq == (uint32_t)(20 + i) && rp.result == 0 && rp.flags ==
		    (WIRE_RF_INPLACE | WIRE_RF_CONFIRM) && rp.nwrites == 0 &&
		    a.out_ioas_id != 0 && (i == 0 || a.out_ioas_id == id),
		    i == 0 ? "in-place ALLOC: the struct, with CONFIRM" :
		    "... a failed write aborted it: the same id again");
		id = a.out_ioas_id;
		/* The first time the struct could not be written. */
		CHECK(i != 0 || unwritten(fd, 20) == 0, "UNWRITTEN sent");
	}

	/* A command that writes only its struct: the struct, nothing else. */
	memset(&ir, 0, sizeof(ir));
	ir.size = sizeof(ir);
	ir.ioas_id = id;
	len = sized_msg(buf, 22, IOMMU_IOAS_IOVA_RANGES, 0x10000,
	    WIRE_R_SIZED | WIRE_R_INPLACE, &ir, sizeof(ir), 64);
	n = sendraw(fd, buf, len, NULL, 0, 0) == 0 ?
	    recv_msg(fd, buf, sizeof(buf)) : -1;
	memset(&rp, 0, sizeof(rp));
	if (n >= (ssize_t)(sizeof(h) + sizeof(rp))) {
		memcpy(&h, buf, sizeof(h));
		memcpy(&rp, buf + sizeof(h), sizeof(rp));
	}
	if (n == (ssize_t)(sizeof(h) + sizeof(rp) + sizeof(ir)))
		memcpy(&ir, buf + sizeof(h) + sizeof(rp), sizeof(ir));
	CHECK(n == (ssize_t)(sizeof(h) + sizeof(rp) + sizeof(ir)) &&
	    h.seq == 22 && rp.result == -EMSGSIZE &&
	    rp.flags == WIRE_RF_INPLACE && rp.nwrites == 0 &&
	    ir.size == sizeof(ir) && ir.num_iovas == 1,
	    "in-place reply: the struct as written, nothing else");
	CHECK(unwritten(fd, 22) == 0 && ping(fd, 29) == 0,
	    "UNWRITTEN for the last request, nothing pending: ignored");

	/* A failure writes nothing: the wire_reply alone. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = 1;
	len = sized_msg(buf, 23, IOMMU_IOAS_ALLOC, 0x10000, WIRE_R_SIZED |
	    WIRE_R_INPLACE, &a, sizeof(a), sizeof(a));
	n = sendraw(fd, buf, len, NULL, 0, 0) == 0 ?
	    recv_msg(fd, buf, sizeof(buf)) : -1;
	memcpy(&rp, buf + sizeof(h), sizeof(rp));
	CHECK(n == (ssize_t)(sizeof(h) + sizeof(rp)) &&
	    rp.result == -EOPNOTSUPP && rp.flags == WIRE_RF_INPLACE,
	    "in-place reply to a failure carries no bytes");

	/*
	 * A command that writes outside its struct: an in-place reply that
	 * says an ordinary one follows, then the ordinary one.
	 */
	memset(&ir, 0, sizeof(ir));
	ir.size = sizeof(ir);
	ir.ioas_id = id;
	ir.num_iovas = 4;
	ir.allowed_iovas = 0x20000;
	len = sized_msg(buf, 24, IOMMU_IOAS_IOVA_RANGES, 0x10000,
	    WIRE_R_SIZED | WIRE_R_INPLACE, &ir, sizeof(ir), sizeof(ir));
	n = sendraw(fd, buf, len, NULL, 0, 0) == 0 ?
	    recv_msg(fd, buf, sizeof(buf)) : -1;
	memcpy(&h, buf, sizeof(h));
	memcpy(&rp, buf + sizeof(h), sizeof(rp));
	CHECK(n == (ssize_t)(sizeof(h) + sizeof(rp)) && h.seq == 24 &&
	    rp.flags == (WIRE_RF_INPLACE | WIRE_RF_FOLLOWS),
	    "writes outside the struct: an in-place reply says FOLLOWS");
	n = recv_msg(fd, buf, sizeof(buf));
	memcpy(&h, buf, sizeof(h));
	memcpy(&rp, buf + sizeof(h), sizeof(rp));
	CHECK(n > (ssize_t)(sizeof(h) + sizeof(rp)) && h.seq == 24 &&
	    rp.result == 0 && rp.flags == 0 && rp.nwrites >= 2,
	    "... and the ordinary reply with every write follows");
	CHECK(ping(fd, 25) == 0, "... and the connection is in step");
	close(fd);

	/* WIRE_R_INPLACE without WIRE_R_SIZED is a protocol error. */
	len = sized_msg(buf, 26, IOMMU_IOAS_ALLOC, 0x10000, WIRE_R_INPLACE,
	    &a, sizeof(a), sizeof(a));
	expect_closed("WIRE_R_INPLACE without WIRE_R_SIZED closes", 1, buf,
	    len, NULL, 0);
}

static void
test_bulk(void)
{
	uint8_t		*msg, *bulk;
	struct wire_hdr	 h;
	size_t		 len;
	int		 fd, mfd;

	/* A 100 KB struct region (zeros past the size field) via memfd. */
	fd = ready();
	len = ioas_alloc_msg(&msg, 11, 100000, 0);
	memcpy(&h, msg, sizeof(h));
	h.flags |= WIRE_F_BULK;
	bulk = msg + sizeof(h);
	mfd = memfd_create("bulk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	CHECK(mfd != -1 && write(mfd, bulk, len - sizeof(h)) ==
	    (ssize_t)(len - sizeof(h)), "memfd written");
	CHECK(sendraw(fd, &h, sizeof(h), &mfd, 1, 0) == 0 &&
	    reply_result(fd, 11, NULL) == 0, "IOCTL through a bulk memfd");
	close(mfd);
	free(msg);
	close(fd);
}

/* A client that sends and never reads is dropped, never waited for. */
static void
test_flood(void)
{
	uint8_t		buf[64];
	size_t		len;
	int		fd, i;

	fd = ready();
	len = build(buf, WIRE_PING, 0, 1, NULL, 0);
	for (i = 0; i < 100000; i++) {
		if (sendraw(fd, buf, len, NULL, 0, MSG_DONTWAIT) != 0) {
			if (errno == EAGAIN) {
				usleep(1000);
				continue;
			}
			break;
		}
	}
	CHECK(closed(fd), "a client that never reads is disconnected");
	close(fd);
}

int
main(void)
{
	const char	*p, *dpid;
	pid_t		 daemon = 0;
	int		 before = -1, after, fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((p = getenv(WIRE_ENV_SOCKET)) == NULL)
		p = WIRE_DEFAULT_SOCKET;
	snprintf(sockpath, sizeof(sockpath), "%s", p);
	if ((dpid = getenv("IOASIDD_PID")) != NULL)
		daemon = atoi(dpid);
	fd = ready();
	CHECK(fd != -1 && ping(fd, 1) == 0, "a normal client first");
	if (daemon > 0)
		before = count_fds(daemon);

	test_headers();
	test_hello_nodes();
	test_ioctl_lies();
	test_fds();
	test_channels();
	test_confirm();
	test_inplace();
	test_bulk();
	test_fail_nth();
	test_flood();

	CHECK(ping(fd, 2) == 0, "the first client is still served");
	close(fd);
	fd = ready();
	CHECK(fd != -1 && ping(fd, 3) == 0, "a new client is served");
	if (daemon > 0) {
		usleep(200000);
		after = count_fds(daemon);
		CHECK(after == before, "the daemon holds no extra descriptors");
		if (after != before)
			printf("  daemon fds: %d before, %d after\n", before,
			    after);
	}
	close(fd);
	printf("%d passed, %d failed\n", npass, nfail);
	return (nfail != 0);
}
