/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * One peer trying to exhaust the daemon through its socket
 * ($IOASIDD_SOCKET), each attack bounded in count and time, with what
 * the daemon must do about it checked. The daemon is $IOASIDD_PID: its
 * descriptors (/proc/PID/fd) and VmRSS are read before and after, and
 * must come back. Messages are built by hand, as an attacker would, not
 * through the client library.
 *
 *   flood noread CHANNELS REQUESTS
 *	A client that never reads: large replies (IOVA_RANGES over a few
 *	thousand reserved ranges, about 96 KiB each, sent in memfds)
 *	requested REQUESTS times on the context socket and each of
 *	CHANNELS private channels without reading one. Then everything
 *	queued is read back and counted: at most one memfd reply per
 *	socket, the other requests answered ENOMEM unrun, the context
 *	alive and served, another client served within a bound meanwhile.
 *   flood bulk
 *	PING, HELLO and a lying IOCTL, each with a 1 GiB sparse memfd as
 *	bulk payload: refused (connection closed) at once, and another
 *	client's pings stay fast.
 *   flood conns N CAP COMMAND
 *	N connections that never say HELLO: at most CAP stay open, the
 *	rest are closed at once, and all are closed by the daemon within
 *	three HELLO timeouts (those still waiting to be accepted, when
 *	the daemon is out of descriptors, get theirs once it has taken
 *	them). While they are held, COMMAND (sh -c) must succeed within
 *	10 s: the caller asks the control socket there.
 *
 * Each prints what it measured ("figure: ...") and ends with "N passed,
 * M failed".
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "check.h"
#include "rawwire.h"
#include "iommufd_test.h"
#include "wire.h"

/* Reserved ranges made, so that IOVA_RANGES has this many holes + 1. */
#define NRESERVED	3000
/* Where the pretended caller memory lies (the daemon never reads it). */
#define ARG_ADDR	0x10000
#define ARRAY_ADDR	0x100000

static const char	*sockpath;
static pid_t		 dpid;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static int
conn(void)
{
	return (rawwire_connect(sockpath));
}

/* Send one message, the payload inline or (bulk >= 0) as that memfd. */
static int
send_msg(int fd, uint16_t op, uint32_t seq, const void *pl, size_t len,
    int bulk, uint32_t bulklen, int extra_fd, int flags)
{
	struct wire_hdr	 h;
	struct iovec	 iov[2];
	int		 fds[2], nfds = 0;

	memset(&h, 0, sizeof(h));
	h.magic = WIRE_MAGIC;
	h.op = op;
	h.seq = seq;
	h.payload_len = bulk >= 0 ? bulklen : len;
	h.flags = bulk >= 0 ? WIRE_F_BULK : 0;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)pl;
	iov[1].iov_len = len;
	if (bulk >= 0)
		fds[nfds++] = bulk;
	if (extra_fd >= 0)
		fds[nfds++] = extra_fd;
	return (rawwire_sendv(fd, iov, bulk >= 0 || len == 0 ? 1 : 2, fds,
	    nfds, flags) == -1 ? -errno : 0);
}

struct reply {
	uint16_t	op;
	uint32_t	seq;
	int64_t		result;
	int		bulk;		/* came in a memfd */
	uint64_t	bulk_bytes;	/* that memfd's size */
	uint8_t		body[512];	/* the payload's first bytes */
};

/*
 * Receive one message within ms: 0, -ETIMEDOUT, or -ECONNRESET when the
 * daemon closed the socket. Every descriptor that came is closed.
 */
static int
recv_msg(int fd, int ms, struct reply *r)
{
	static uint8_t	 buf[sizeof(struct wire_hdr) + WIRE_INLINE_MAX];
	struct wire_hdr	 h;
	struct wire_reply rp;
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	struct iovec	 iov;
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct stat	 st;
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(16 * sizeof(int))];
	} cbuf;
	int		 fds[16], nfds = 0, i;
	ssize_t		 n;

	memset(r, 0, sizeof(*r));
	if (poll(&pfd, 1, ms) != 1)
		return (-ETIMEDOUT);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	if ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) <= 0)
		return (n == 0 || errno == ECONNRESET ? -ECONNRESET : -errno);
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; i < (int)((cm->cmsg_len - CMSG_LEN(0)) /
		    sizeof(int)) && nfds < 16; i++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
	}
	if ((size_t)n < sizeof(h)) {
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		return (-EPROTO);
	}
	memcpy(&h, buf, sizeof(h));
	r->op = h.op;
	r->seq = h.seq;
	if ((h.flags & WIRE_F_BULK) && nfds > 0) {
		r->bulk = 1;
		if (fstat(fds[0], &st) == 0)
			r->bulk_bytes = st.st_size;
		(void)pread(fds[0], r->body, sizeof(r->body), 0);
	} else {
		memcpy(r->body, buf + sizeof(h), (size_t)n - sizeof(h) <
		    sizeof(r->body) ? (size_t)n - sizeof(h) : sizeof(r->body));
	}
	memcpy(&rp, r->body, sizeof(rp));
	r->result = rp.result;
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return (0);
}

static int
hello(int fd)
{
	struct wire_hello	h = { .version = WIRE_VERSION };
	struct reply		r;

	if (send_msg(fd, WIRE_HELLO, 1, &h, sizeof(h), -1, 0, -1, 0) != 0 ||
	    recv_msg(fd, 3000, &r) != 0)
		return (-1);
	return (r.op == WIRE_HELLO_REPLY ? 0 : -1);
}

/* A connection that said HELLO, or -1. */
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

/* A PING round trip on fd, in seconds, or -1 when it got no answer. */
static double
ping(int fd, uint32_t seq)
{
	struct reply	r;
	double		t0 = now();

	if (send_msg(fd, WIRE_PING, seq, NULL, 0, -1, 0, -1, 0) != 0 ||
	    recv_msg(fd, 5000, &r) != 0 || r.op != WIRE_REPLY || r.seq != seq)
		return (-1);
	return (now() - t0);
}

/*
 * Send an IOCTL whose struct (slen bytes at ARG_ADDR) and optional array
 * (alen bytes at ARRAY_ADDR) travel inline.
 */
static int
send_ioctl(int fd, uint32_t seq, uint64_t cmd, const void *st, size_t slen,
    const void *arr, size_t alen, int flags)
{
	static uint8_t		pl[WIRE_INLINE_MAX];
	struct wire_ioctl	io;
	struct wire_region	rg[2];
	size_t			off = 0;

	memset(&io, 0, sizeof(io));
	io.cmd = cmd;
	io.arg = ARG_ADDR;
	io.nregions = arr != NULL ? 2 : 1;
	memset(rg, 0, sizeof(rg));
	rg[0].uaddr = ARG_ADDR;
	rg[0].len = slen;
	rg[1].uaddr = ARRAY_ADDR;
	rg[1].len = alen;
	if (sizeof(io) + sizeof(rg) + slen + alen > sizeof(pl))
		return (-E2BIG);
	memcpy(pl + off, &io, sizeof(io));
	off += sizeof(io);
	memcpy(pl + off, rg, io.nregions * sizeof(rg[0]));
	off += io.nregions * sizeof(rg[0]);
	memcpy(pl + off, st, slen);
	off += slen;
	if (arr != NULL) {
		memcpy(pl + off, arr, alen);
		off += alen;
	}
	return (send_msg(fd, WIRE_IOCTL, seq, pl, off, -1, 0, -1, flags));
}

/* The result of one IOCTL, waited for. */
static int64_t
ioctl_wait(int fd, uint32_t seq, struct reply *r)
{
	int	rc;

	do
		rc = recv_msg(fd, 5000, r);
	while (rc == 0 && r->seq != seq);
	return (rc == 0 ? r->result : INT64_MIN);
}

static uint32_t
new_ioas(int fd)
{
	struct iommu_ioas_alloc	a;
	struct wire_reply	rp;
	struct wire_write	w;
	struct reply		r;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	if (send_ioctl(fd, 2, IOMMU_IOAS_ALLOC, &a, sizeof(a), NULL, 0,
	    0) != 0 || ioctl_wait(fd, 2, &r) != 0)
		return (0);
	memcpy(&rp, r.body, sizeof(rp));
	if (rp.nwrites < 1)
		return (0);
	memcpy(&w, r.body + sizeof(rp), sizeof(w));
	memcpy(&a, r.body + sizeof(rp) + sizeof(w), sizeof(a));
	return (a.out_ioas_id);
}

static void
ranges_req(struct iommu_ioas_iova_ranges *q, uint32_t ioas)
{
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->ioas_id = ioas;
	q->num_iovas = NRESERVED + 16;
	q->allowed_iovas = ARRAY_ADDR;
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
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return (n);
}

/* A field of /proc/PID/status in kB (VmRSS, RssShmem), or -1. */
static long
status_kb(pid_t pid, const char *field)
{
	char	path[64], line[256];
	FILE	*fp;
	long	v = -1;
	size_t	n = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	}
	fclose(fp);
	return (v);
}

/* Wait (at most ms) for the daemon's descriptors to come down to want. */
static int
fds_settle(int want, int ms)
{
	int	n, i;

	for (i = 0; i < ms / 50; i++) {
		if ((n = count_fds(dpid)) <= want)
			return (n);
		usleep(50000);
	}
	return (count_fds(dpid));
}

/* Wait (at most ms) until the daemon has taken everything we sent on fd. */
static int
sent_taken(int fd, int ms)
{
	int	q = 0, i;

	for (i = 0; i < ms / 20; i++) {
		if (ioctl(fd, SIOCOUTQ, &q) == 0 && q == 0)
			return (1);
		usleep(20000);
	}
	return (0);
}

/* A private channel of context socket ctx: our end, or -1. */
static int
channel(int ctx)
{
	struct wire_hello	h = { .version = WIRE_VERSION };
	int			sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return (-1);
	if (send_msg(ctx, WIRE_CHANNEL, 3, &h, sizeof(h), -1, 0, sv[1],
	    0) != 0) {
		close(sv[0]);
		close(sv[1]);
		return (-1);
	}
	close(sv[1]);
	return (sv[0]);
}

/* ------------------------------------------------------------------ */

static int
test_noread(int nchan, int nreq)
{
	struct iommu_ioas_iova_ranges	q;
	struct iommu_test_cmd		t;
	struct reply			r;
	int				socks[1 + 64], nsock, i, k, rc, other;
	int				fds0, nbulk, nenomem, nother, alive;
	int				bulk_max = 0, total_bulk = 0;
	long				rss0, rss1;
	uint64_t			pinned = 0, reply_size;
	uint32_t			ioas, seq = 100;
	double				lat, worst = 0;

	if (nchan > 64)
		nchan = 64;
	fds0 = count_fds(dpid);
	rss0 = status_kb(dpid, "VmRSS");
	CHECK((other = ready()) != -1, "another client connects");
	CHECK((socks[0] = ready()) != -1, "the flooder connects");
	CHECK((ioas = new_ioas(socks[0])) != 0, "IOAS_ALLOC");
	for (i = 0; i < NRESERVED; i++) {
		memset(&t, 0, sizeof(t));
		t.size = sizeof(t);
		t.op = IOMMU_TEST_OP_ADD_RESERVED;
		t.id = ioas;
		t.add_reserved.start = (uint64_t)(2 * i + 1) << 20;
		t.add_reserved.length = 1 << 20;
		if (send_ioctl(socks[0], ++seq, IOMMU_TEST_CMD, &t, sizeof(t),
		    NULL, 0, 0) != 0 || ioctl_wait(socks[0], seq, &r) != 0)
			break;
	}
	CHECK(i == NRESERVED, "%d reserved ranges made", i);

	/* Read normally, the reply is a memfd, and the client gets it. */
	ranges_req(&q, ioas);
	CHECK(send_ioctl(socks[0], ++seq, IOMMU_IOAS_IOVA_RANGES, &q,
	    sizeof(q), NULL, 0, 0) == 0 && ioctl_wait(socks[0], seq, &r) == 0,
	    "IOVA_RANGES read as it comes");
	CHECK(r.bulk, "its reply came in a memfd");
	reply_size = r.bulk_bytes;
	printf("figure: one IOVA_RANGES reply is %llu bytes\n",
	    (unsigned long long)reply_size);

	nsock = 1;
	for (i = 0; i < nchan; i++) {
		if ((socks[nsock] = channel(socks[0])) != -1)
			nsock++;
	}
	CHECK(nsock == nchan + 1, "%d private channels made", nsock - 1);

	/* The flood: nreq requests on every socket, none read. */
	for (k = 0; k < nreq; k++) {
		for (i = 0; i < nsock; i++) {
			if (send_ioctl(socks[i], ++seq, IOMMU_IOAS_IOVA_RANGES,
			    &q, sizeof(q), NULL, 0, MSG_DONTWAIT) != 0)
				break;
		}
		if (k % 10 == 0) {
			lat = ping(other, ++seq);
			if (lat < 0 || lat > worst)
				worst = lat < 0 ? 99 : lat;
		}
	}
	for (i = 0; i < nsock; i++)
		CHECK(sent_taken(socks[i], 20000),
		    "the daemon took every request on socket %d", i);
	for (i = 0; i < 20; i++) {
		lat = ping(other, ++seq);
		if (lat < 0 || lat > worst)
			worst = lat < 0 ? 99 : lat;
	}
	rss1 = status_kb(dpid, "VmRSS");
	printf("figure: another client's worst ping during the flood: "
	    "%.1f ms\n", worst * 1000);
	CHECK(worst < 1.0, "another client served within 1 s (%.3f s)",
	    worst);

	/* Now read what the daemon queued, and count what it pinned. */
	nother = 0;
	alive = 0;
	for (i = 0; i < nsock; i++) {
		nbulk = nenomem = 0;
		while ((rc = recv_msg(socks[i], 200, &r)) == 0) {
			if (r.bulk) {
				nbulk++;
				pinned += r.bulk_bytes;
			} else if (r.result == -ENOMEM)
				nenomem++;
			else
				nother++;
		}
		if (nbulk > bulk_max)
			bulk_max = nbulk;
		total_bulk += nbulk;
		if (rc == -ETIMEDOUT)
			alive++;
		printf("figure: socket %d: %d memfd replies, %d ENOMEM, "
		    "%s\n", i, nbulk, nenomem, rc == -ETIMEDOUT ? "open" :
		    "closed by the daemon");
	}
	printf("figure: %d memfd replies (%.1f MiB) were queued for a "
	    "client that did not read; daemon VmRSS %ld -> %ld kB\n",
	    total_bulk, pinned / 1048576.0, rss0, rss1);
	CHECK(bulk_max <= 1, "at most one memfd reply queued per socket "
	    "(%d)", bulk_max);
	CHECK(pinned <= (uint64_t)nsock * reply_size,
	    "bytes pinned bounded by one reply per socket (%llu)",
	    (unsigned long long)pinned);
	CHECK(nother == 0, "every other request answered ENOMEM (%d not)",
	    nother);
	CHECK(alive == nsock, "the context and its channels are alive (%d "
	    "of %d)", alive, nsock);
	CHECK(rss1 - rss0 < 64 * 1024, "daemon VmRSS grew %ld kB",
	    rss1 - rss0);

	/* Having read, the client is served as before, memfd and all. */
	for (i = 0; i < nsock; i++) {
		rc = send_ioctl(socks[i], ++seq, IOMMU_IOAS_IOVA_RANGES, &q,
		    sizeof(q), NULL, 0, 0);
		CHECK(rc == 0 && ioctl_wait(socks[i], seq, &r) == 0 &&
		    r.bulk, "socket %d served again once it read", i);
	}

	for (i = 0; i < nsock; i++)
		close(socks[i]);
	close(other);
	rc = fds_settle(fds0, 5000);
	CHECK(rc == fds0, "daemon descriptors back to %d (%d)", fds0, rc);
	return (check_report());
}

/* The 1 GiB sparse memfd an attacker sends as a bulk payload. */
static int
sparse_memfd(const void *head, size_t len)
{
	int	fd;

	if ((fd = memfd_create("flood", MFD_CLOEXEC)) == -1)
		return (-1);
	if (ftruncate(fd, 1L << 30) == -1 ||
	    pwrite(fd, head, len, 0) != (ssize_t)len) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* How long until the daemon closes fd (or 99 s past the bound). */
static double
closed_after(int fd, double t0, int ms)
{
	struct reply	r;
	int		rc;

	while ((rc = recv_msg(fd, ms, &r)) == 0)
		printf("figure: answered (op %u) after %.1f ms\n", r.op,
		    (now() - t0) * 1000);
	return (rc == -ECONNRESET ? now() - t0 : 99);
}

static int
test_bulk(void)
{
	struct wire_hello	h = { .version = WIRE_VERSION };
	struct wire_ioctl	io;
	struct wire_region	rg;
	uint8_t			head[sizeof(io) + sizeof(rg)];
	static const char	*names[] = { "PING", "HELLO", "IOCTL" };
	pid_t			pinger;
	int			pfd[2], fd, mfd, i, other, fds0;
	double			t0, took, worst = 0, w;

	fds0 = count_fds(dpid);
	memset(&io, 0, sizeof(io));
	io.cmd = IOMMU_IOAS_ALLOC;
	io.arg = ARG_ADDR;
	io.nregions = 1;
	memset(&rg, 0, sizeof(rg));
	rg.uaddr = ARG_ADDR;
	rg.len = 16;
	memcpy(head, &io, sizeof(io));
	memcpy(head + sizeof(io), &rg, sizeof(rg));

	/* Another client pings all along; it reports its worst time. */
	if (pipe(pfd) == -1)
		return (1);
	if ((pinger = fork()) == 0) {
		close(pfd[0]);
		other = ready();
		for (i = 0; i < 150 && other != -1; i++) {
			w = ping(other, 10 + i);
			if (w < 0 || w > worst)
				worst = w < 0 ? 99 : w;
			usleep(10000);
		}
		if (other == -1)
			worst = 99;
		(void)write(pfd[1], &worst, sizeof(worst));
		_exit(0);
	}
	close(pfd[1]);
	usleep(100000);

	for (i = 0; i < 3; i++) {
		CHECK((fd = ready()) != -1, "%s: connect", names[i]);
		CHECK((mfd = sparse_memfd(i == 2 ? head : (const void *)&h,
		    i == 2 ? sizeof(head) : sizeof(h))) != -1,
		    "%s: 1 GiB memfd", names[i]);
		if (fd == -1 || mfd == -1)
			continue;
		t0 = now();
		CHECK(send_msg(fd, i == 0 ? WIRE_PING : i == 1 ? WIRE_HELLO :
		    WIRE_IOCTL, 5, NULL, 0, mfd, 1u << 30, -1, 0) == 0,
		    "%s: sent", names[i]);
		close(mfd);
		took = closed_after(fd, t0, 8000);
		printf("figure: bulk %s of 1 GiB: connection closed after "
		    "%.1f ms\n", names[i], took * 1000);
		CHECK(took < 0.5, "%s with a 1 GiB memfd refused in %.3f s",
		    names[i], took);
		close(fd);
	}
	if (read(pfd[0], &worst, sizeof(worst)) != sizeof(worst))
		worst = 99;
	close(pfd[0]);
	waitpid(pinger, NULL, 0);
	printf("figure: another client's worst ping meanwhile: %.1f ms\n",
	    worst * 1000);
	CHECK(worst < 0.5, "another client served within 0.5 s (%.3f s)",
	    worst);
	i = fds_settle(fds0, 5000);
	CHECK(i == fds0, "daemon descriptors back to %d (%d)", fds0, i);
	return (check_report());
}

static int
test_conns(int n, int cap, const char *cmd)
{
	struct reply	r;
	int		*fds, i, open_now = 0, closed_later = 0, fds0, k, left;
	double		t0, t1;

	if ((fds = calloc(n, sizeof(*fds))) == NULL)
		return (1);
	fds0 = count_fds(dpid);
	t0 = now();
	for (i = 0; i < n; i++)
		fds[i] = conn();
	/* Those over the cap are closed at once. */
	usleep(300000);
	for (i = 0; i < n; i++) {
		if (fds[i] != -1 && recv_msg(fds[i], 0, &r) == -ETIMEDOUT)
			open_now++;
	}
	k = count_fds(dpid);
	printf("figure: %d connections without HELLO: %d held by the "
	    "daemon, which has %d descriptors (%d before)\n", n, open_now, k,
	    fds0);
	CHECK(open_now <= cap, "at most %d held (%d)", cap, open_now);
	CHECK(open_now > 0, "the first ones are held (%d)", open_now);
	CHECK(k <= fds0 + cap + 8, "daemon descriptors bounded (%d)", k);
	t1 = now();
	k = system(cmd);
	t1 = now() - t1;
	printf("figure: meanwhile \"%s\" took %.1f ms\n", cmd, t1 * 1000);
	CHECK(k == 0 && t1 < 10, "meanwhile the command succeeds in %.3f s",
	    t1);

	/* And those held are closed within the HELLO timeout. */
	for (i = 0; i < n; i++) {
		if (fds[i] == -1) {
			closed_later++;
			continue;
		}
		left = 16000 - (int)((now() - t0) * 1000);
		if (closed_after(fds[i], t0, left > 0 ? left : 0) < 99)
			closed_later++;
		close(fds[i]);
	}
	printf("figure: %d of %d closed by the daemon within %.1f s\n",
	    closed_later, n, now() - t0);
	CHECK(closed_later == n, "every connection without HELLO closed "
	    "(%d of %d)", closed_later, n);
	k = fds_settle(fds0, 3000);
	CHECK(k == fds0, "daemon descriptors back to %d (%d)", fds0, k);
	/* A client that does say HELLO is served. */
	CHECK((k = ready()) != -1 && ping(k, 7) >= 0, "a new client served");
	if (k != -1)
		close(k);
	free(fds);
	return (check_report());
}

int
main(int argc, char **argv)
{
	const char	*s;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((sockpath = getenv("IOASIDD_SOCKET")) == NULL ||
	    (s = getenv("IOASIDD_PID")) == NULL || argc < 2) {
		fprintf(stderr, "usage: IOASIDD_SOCKET=path IOASIDD_PID=pid "
		    "flood noread|bulk|conns ...\n");
		return (2);
	}
	dpid = (pid_t)atoi(s);
	if (strcmp(argv[1], "noread") == 0 && argc == 4)
		return (test_noread(atoi(argv[2]), atoi(argv[3])));
	if (strcmp(argv[1], "bulk") == 0)
		return (test_bulk());
	if (strcmp(argv[1], "conns") == 0 && argc == 5)
		return (test_conns(atoi(argv[2]), atoi(argv[3]), argv[4]));
	fprintf(stderr, "flood: unknown test\n");
	return (2);
}
