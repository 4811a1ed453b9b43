/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * proto/wire.c on its own: messages through a socketpair (inline, bulk,
 * descriptors), and IOCTL parsing that must refuse every inconsistent
 * length while accepting the good forms.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "suites.h"
#include "wire.h"

static int	sv[2];

static void
pair_setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
}

static void
pair_teardown(void)
{
	close(sv[0]);
	close(sv[1]);
}

START_TEST(send_recv_inline)
{
	struct wire_msg	m;
	char		data[100];
	int		fd;

	memset(data, 'x', sizeof(data));
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_eq(wire_send(sv[0], WIRE_PING, 0, 7, data, sizeof(data),
	    &fd, 1, 0), 0);
	close(fd);
	ck_assert_int_eq(wire_recv(sv[1], &m, 0), 0);
	ck_assert_int_eq(m.hdr.op, WIRE_PING);
	ck_assert_uint_eq(m.hdr.seq, 7);
	ck_assert_uint_eq(m.len, sizeof(data));
	ck_assert_int_eq(memcmp(m.payload, data, sizeof(data)), 0);
	ck_assert_int_eq(m.nfds, 1);
	ck_assert_int_ge(fcntl(m.fds[0], F_GETFD), 0);
	wire_msg_clear(&m);
}
END_TEST

START_TEST(send_recv_bulk)
{
	struct wire_msg	 m;
	size_t		 len = WIRE_INLINE_MAX * 3 + 5, i;
	uint8_t		*data = malloc(len);

	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(wire_send(sv[0], WIRE_REPLY, 0, 1, data, len, NULL,
	    0, 0), 0);
	ck_assert_int_eq(wire_recv(sv[1], &m, 0), 0);
	ck_assert_uint_eq(m.len, len);
	ck_assert_int_eq(m.nfds, 0);
	ck_assert(m.hdr.flags & WIRE_F_BULK);
	ck_assert_int_eq(memcmp(m.payload, data, len), 0);
	wire_msg_clear(&m);
	free(data);
}
END_TEST

/*
 * A bulk message with WIRE_MAX_FDS descriptors besides its memfd (the
 * kernel's SCM_MAX_FD in all): every one arrives; one more is refused
 * before anything is sent.
 */
START_TEST(send_recv_max_fds)
{
	struct wire_msg	 m;
	size_t		 len = WIRE_INLINE_MAX + 1;
	uint8_t		*data = calloc(1, len);
	int		 fds[WIRE_MAX_FDS + 1], i;

	ck_assert_int_eq(WIRE_MAX_FDS + 1, 253);
	for (i = 0; i < WIRE_MAX_FDS + 1; i++)
		ck_assert_int_ge(fds[i] = eventfd(0, EFD_CLOEXEC), 0);
	ck_assert_int_eq(wire_send(sv[0], WIRE_IOCTL, 0, 3, data, len, fds,
	    WIRE_MAX_FDS + 1, 0), -EINVAL);
	ck_assert_int_eq(wire_send(sv[0], WIRE_REPLY, 0, 3, data, len, fds,
	    WIRE_MAX_FDS, 0), 0);
	ck_assert_int_eq(wire_recv(sv[1], &m, 0), 0);
	ck_assert(m.hdr.flags & WIRE_F_BULK);
	ck_assert_int_eq(m.nfds, WIRE_MAX_FDS);
	for (i = 0; i < WIRE_MAX_FDS; i++)
		ck_assert_int_ge(fcntl(m.fds[i], F_GETFD), 0);
	wire_msg_clear(&m);
	for (i = 0; i < WIRE_MAX_FDS + 1; i++)
		close(fds[i]);
	free(data);
}
END_TEST

static size_t	mk(uint8_t *, uint16_t, const struct wire_region *, uint16_t,
		    const struct wire_fd *, size_t);

/*
 * Send a bulk message by hand: the header says len, the memfd holds size
 * bytes (sparse past the first len_written), starting with data.
 */
static void
send_bulk_raw(uint16_t op, uint32_t len, const void *data, size_t dlen,
    off_t size)
{
	struct wire_hdr	 h;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	int		 fd;

	ck_assert_int_ge(fd = memfd_create("t", MFD_CLOEXEC), 0);
	ck_assert_int_eq(ftruncate(fd, size), 0);
	ck_assert_int_eq(pwrite(fd, data, dlen, 0), (ssize_t)dlen);
	memset(&h, 0, sizeof(h));
	h.magic = WIRE_MAGIC;
	h.op = op;
	h.flags = WIRE_F_BULK;
	h.payload_len = len;
	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = &h;
	iov.iov_len = sizeof(h);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ck_assert_int_eq(sendmsg(sv[0], &msg, 0), (ssize_t)sizeof(h));
	close(fd);
}

/*
 * Only IOCTL and REPLY may be bulk, and a bulk IOCTL is refused on its
 * header and tables alone when they announce another length: a 1 GiB
 * sparse memfd is never read (that would take seconds), and nothing is
 * left open.
 */
START_TEST(recv_bulk_layout)
{
	struct wire_msg		m;
	struct wire_region	r;
	struct wire_fd		f;
	struct timespec		t0, t1;
	static uint8_t		buf[WIRE_INLINE_MAX + 4096];
	uint32_t		big = 1u << 30;
	size_t			len;
	int			before, after;

	/* The lowest free descriptor, which must be free again at the end. */
	ck_assert_int_ge(before = open("/dev/null", O_RDONLY), 0);
	close(before);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_bulk_raw(WIRE_PING, big, "x", 1, big);
	ck_assert_int_eq(wire_recv(sv[1], &m, 0), -EPROTO);
	send_bulk_raw(WIRE_HELLO, big, "x", 1, big);
	ck_assert_int_eq(wire_recv(sv[1], &m, 0), -EPROTO);
	send_bulk_raw(WIRE_CHANNEL, big, "x", 1, big);
	ck_assert_int_eq(wire_recv(sv[1], &m, 0), -EPROTO);

	/* An IOCTL whose one region is 16 bytes but that says 1 GiB. */
	memset(&r, 0, sizeof(r));
	memset(&f, 0, sizeof(f));
	r.uaddr = 0x1000;
	r.len = 16;
	len = mk(buf, 1, &r, 0, &f, 16);
	send_bulk_raw(WIRE_IOCTL, big, buf, len, big);
	ck_assert_int_eq(wire_recv(sv[1], &m, 0), -EPROTO);
	/* Tables past the limits. */
	len = mk(buf, 0, &r, 0, &f, 0);
	((struct wire_ioctl *)buf)->nregions = WIRE_MAX_REGIONS + 1;
	send_bulk_raw(WIRE_IOCTL, big, buf, len, big);
	ck_assert_int_eq(wire_recv(sv[1], &m, 0), -EPROTO);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000, 500);

	/* The same layout, told the truth, comes through. */
	r.len = WIRE_INLINE_MAX + 8;
	len = mk(buf, 1, &r, 0, &f, r.len);
	send_bulk_raw(WIRE_IOCTL, len, buf, len, len);
	ck_assert_int_eq(wire_recv(sv[1], &m, 0), 0);
	ck_assert_uint_eq(m.len, len);
	ck_assert_int_eq(m.nfds, 0);
	wire_msg_clear(&m);

	after = open("/dev/null", O_RDONLY);
	ck_assert_int_eq(after, before);
	close(after);
}
END_TEST

START_TEST(recv_eof_and_garbage)
{
	struct wire_msg	m;

	ck_assert_int_eq(send(sv[0], "garbage!garbage!garbage!", 24, 0), 24);
	ck_assert_int_eq(wire_recv(sv[1], &m, 0), -EPROTO);
	ck_assert_int_eq(wire_recv(sv[1], &m, MSG_DONTWAIT), -EAGAIN);
	close(sv[0]);
	sv[0] = open("/dev/null", O_RDONLY);
	ck_assert_int_eq(wire_recv(sv[1], &m, 0), -ECONNRESET);
}
END_TEST

/* Build an IOCTL payload: io, regions, fds, then data. */
static size_t
mk(uint8_t *buf, uint16_t nreg, const struct wire_region *r, uint16_t nfd,
    const struct wire_fd *f, size_t datalen)
{
	struct wire_ioctl	io;
	size_t			off = 0;

	memset(&io, 0, sizeof(io));
	io.cmd = 0x3b81;
	io.nregions = nreg;
	io.nfds = nfd;
	memcpy(buf, &io, sizeof(io));
	off += sizeof(io);
	memcpy(buf + off, r, sizeof(*r) * nreg);
	off += sizeof(*r) * nreg;
	memcpy(buf + off, f, sizeof(*f) * nfd);
	off += sizeof(*f) * nfd;
	memset(buf + off, 0xab, datalen);
	return (off + datalen);
}

START_TEST(parse_ioctl)
{
	struct wire_ioctl_req	rq;
	struct wire_region	r[3];
	struct wire_fd		f[1];
	uint8_t			buf[1024];
	uint16_t		nreg;
	size_t			len;

	memset(r, 0, sizeof(r));
	r[0].uaddr = 0x1000;
	r[0].len = 12;
	r[1].uaddr = 0x2000;
	r[1].len = 4096;
	r[1].flags = WIRE_R_FAULT;
	r[2].uaddr = 0x3000;
	r[2].len = 20;
	f[0].cfd = 9;
	f[0].index = 0;

	len = mk(buf, 3, r, 1, f, 32);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 1, &rq), 0);
	ck_assert_ptr_nonnull(rq.data[0]);
	ck_assert_ptr_null(rq.data[1]);
	ck_assert_ptr_eq(rq.data[2], rq.data[0] + 12);

	/* The fd entry names a descriptor the message did not carry. */
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
	/* Data one byte short, one byte long. */
	ck_assert_int_eq(wire_parse_ioctl(buf, len - 1, 1, &rq), -EPROTO);
	len = mk(buf, 3, r, 1, f, 33);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 1, &rq), -EPROTO);
	/* Too many regions, a wrapping one, an unknown flag. */
	len = mk(buf, 0, r, 0, f, 0);
	nreg = WIRE_MAX_REGIONS + 1;
	memcpy(buf + offsetof(struct wire_ioctl, nregions), &nreg,
	    sizeof(nreg));
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
	r[0].uaddr = UINT64_MAX - 4;
	len = mk(buf, 1, r, 0, f, 12);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
	r[0].uaddr = 0x1000;
	r[0].flags = 0x80;
	len = mk(buf, 1, r, 0, f, 12);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
	/* Shorter than its own header. */
	ck_assert_int_eq(wire_parse_ioctl(buf, 10, 0, &rq), -EPROTO);
	/* Index -1 (a caller fd that was not open) is fine. */
	r[0].flags = 0;
	f[0].index = -1;
	len = mk(buf, 1, r, 1, f, 12);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), 0);
}
END_TEST

/* A struct sent as it lies: cut to its size, or answered with a retry. */
START_TEST(parse_ioctl_sized)
{
	struct wire_ioctl_req	rq;
	struct wire_region	r[2];
	struct wire_fd		f[1];
	uint8_t			buf[1024];
	uint64_t		arg = 0x1000;
	uint32_t		size;
	size_t			len, data;

	memset(r, 0, sizeof(r));
	memset(f, 0, sizeof(f));
	r[0].uaddr = arg;
	r[0].len = 24;
	r[0].flags = WIRE_R_SIZED;
	len = mk(buf, 1, r, 0, f, 24);
	data = len - 24;
	memcpy(buf + offsetof(struct wire_ioctl, arg), &arg, sizeof(arg));

	/* Shorter than sent: cut to the size. */
	size = 12;
	memcpy(buf + data, &size, sizeof(size));
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), 0);
	ck_assert_int_eq(rq.retry, 0);
	ck_assert_uint_eq(rq.regions[0].len, 12);
	/* Below the size field itself: the size field only. */
	size = 1;
	memcpy(buf + data, &size, sizeof(size));
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), 0);
	ck_assert_uint_eq(rq.regions[0].len, 4);
	/* Exactly what was sent, then one byte more. */
	size = 24;
	memcpy(buf + data, &size, sizeof(size));
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), 0);
	ck_assert_int_eq(rq.retry, 0);
	ck_assert_uint_eq(rq.regions[0].len, 24);
	size = 25;
	memcpy(buf + data, &size, sizeof(size));
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), 0);
	ck_assert_int_eq(rq.retry, 1);

	/* Not at the argument, with a fault, too short, not region 0. */
	r[0].uaddr = arg + 8;
	len = mk(buf, 1, r, 0, f, 24);
	memcpy(buf + offsetof(struct wire_ioctl, arg), &arg, sizeof(arg));
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
	r[0].uaddr = arg;
	r[0].flags = WIRE_R_SIZED | WIRE_R_FAULT;
	len = mk(buf, 1, r, 0, f, 0);
	memcpy(buf + offsetof(struct wire_ioctl, arg), &arg, sizeof(arg));
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
	r[0].flags = WIRE_R_SIZED;
	r[0].len = 3;
	len = mk(buf, 1, r, 0, f, 3);
	memcpy(buf + offsetof(struct wire_ioctl, arg), &arg, sizeof(arg));
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
	r[0].len = 8;
	r[0].flags = 0;
	r[1] = r[0];
	r[1].flags = WIRE_R_SIZED;
	len = mk(buf, 2, r, 0, f, 16);
	memcpy(buf + offsetof(struct wire_ioctl, arg), &arg, sizeof(arg));
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
}
END_TEST

/*
 * The rules both ends apply: a region is cut at the end of the address
 * space, carried only while the request has room for it, and described
 * without data otherwise; the parser takes every request built so, and
 * nothing that breaks the rules.
 */
START_TEST(parse_ioctl_carry)
{
	struct wire_ioctl_req	rq;
	struct wire_region	r[3];
	struct wire_fd		f[1];
	uint8_t			buf[1024];
	size_t			len;

	ck_assert_uint_eq(wire_region_cut(UINT64_MAX, 4), 1);
	ck_assert_uint_eq(wire_region_cut(UINT64_MAX - 3, 4), 4);
	ck_assert_uint_eq(wire_region_cut(0 - (uint64_t)4096, UINT64_MAX),
	    4096);
	ck_assert_uint_eq(wire_region_cut(0x1000, 0), 0);
	ck_assert(wire_carries(0, WIRE_MAX_CARRY));
	ck_assert(!wire_carries(0, WIRE_MAX_CARRY + 1));
	ck_assert(wire_carries(12, WIRE_MAX_CARRY - 12));
	ck_assert(!wire_carries(12, WIRE_MAX_CARRY - 11));
	ck_assert(!wire_carries(WIRE_MAX_CARRY + 1, 0));
	ck_assert(!wire_carries(0, UINT64_MAX));

	memset(r, 0, sizeof(r));
	memset(f, 0, sizeof(f));
	/* A fault region at the very top, cut there: accepted. */
	r[0].uaddr = UINT64_MAX;
	r[0].len = 1;
	r[0].flags = WIRE_R_FAULT;
	len = mk(buf, 1, r, 0, f, 0);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), 0);
	ck_assert_ptr_null(rq.data[0]);
	/* The same region uncut wraps: no client sends that. */
	r[0].len = 4;
	len = mk(buf, 1, r, 0, f, 0);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);

	/* A struct, then an array too large to carry after it. */
	r[0].uaddr = 0x1000;
	r[0].len = 24;
	r[0].flags = 0;
	r[1].uaddr = 0x10000;
	r[1].len = WIRE_MAX_CARRY - 23;
	r[1].flags = WIRE_R_NOTCARRIED;
	r[2].uaddr = 0x20000;
	r[2].len = (1ull << 32) * 16;
	r[2].flags = WIRE_R_FAULT;
	len = mk(buf, 3, r, 0, f, 24);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), 0);
	ck_assert_ptr_nonnull(rq.data[0]);
	ck_assert_ptr_null(rq.data[1]);
	ck_assert_ptr_null(rq.data[2]);
	/* Not carried although it would fit: refused. */
	r[1].len = WIRE_MAX_CARRY - 24;
	len = mk(buf, 3, r, 0, f, 24);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
	/* Not carried, and a fault or sized too: refused. */
	r[1].len = UINT32_MAX * 16ull;
	r[1].flags = WIRE_R_NOTCARRIED | WIRE_R_FAULT;
	len = mk(buf, 3, r, 0, f, 24);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
	/* Not carried, wrapping: refused; cut at the top: accepted. */
	r[1].flags = WIRE_R_NOTCARRIED;
	r[1].uaddr = 0 - (uint64_t)WIRE_MAX_CARRY;
	r[1].len = UINT64_MAX;
	len = mk(buf, 3, r, 0, f, 24);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
	r[1].len = WIRE_MAX_CARRY;
	len = mk(buf, 3, r, 0, f, 24);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), 0);
	/* Carried data over the limit (as announced): refused unread. */
	r[1].flags = 0;
	r[1].len = WIRE_MAX_CARRY;
	len = mk(buf, 2, r, 0, f, 0);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), -EPROTO);
}
END_TEST

/*
 * A request's fail-nth count is any u32 and comes through parsing as
 * sent; the reply's sits after its flags. Both ends of this version agree
 * on where (wire.h, Allocation-failure injection).
 */
START_TEST(parse_ioctl_fail_nth)
{
	struct wire_ioctl_req	rq;
	struct wire_region	r[1];
	struct wire_fd		f[1];
	struct wire_ioctl	io;
	uint8_t			buf[256];
	uint32_t		n;
	size_t			len;

	ck_assert_uint_eq(offsetof(struct wire_ioctl, fail_nth), 20);
	ck_assert_uint_eq(sizeof(struct wire_ioctl), 24);
	ck_assert_uint_eq(offsetof(struct wire_reply, fail_nth), 16);
	ck_assert_uint_eq(sizeof(struct wire_reply), 24);
	ck_assert_int_ge(WIRE_VERSION, 7);

	memset(r, 0, sizeof(r));
	memset(f, 0, sizeof(f));
	r[0].uaddr = 0x1000;
	r[0].len = 8;
	len = mk(buf, 1, r, 0, f, 8);
	ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), 0);
	ck_assert_uint_eq(rq.io.fail_nth, 0);
	for (n = 1; n != 0; n = n == 1 ? 1000 : n == 1000 ? UINT32_MAX : 0) {
		memcpy(&io, buf, sizeof(io));
		io.fail_nth = n;
		memcpy(buf, &io, sizeof(io));
		ck_assert_int_eq(wire_parse_ioctl(buf, len, 0, &rq), 0);
		ck_assert_uint_eq(rq.io.fail_nth, n);
		ck_assert_uint_eq(rq.io.nregions, 1);
		ck_assert_uint_eq(rq.regions[0].len, 8);
	}
}
END_TEST

START_TEST(cursor)
{
	struct wire_cur	c;
	uint8_t		buf[20] = { 0 };
	uint64_t	v;

	wire_cur_init(&c, buf, sizeof(buf));
	ck_assert_int_eq(wire_cur_get(&c, &v, 8), 0);
	ck_assert_ptr_nonnull(wire_cur_take(&c, 3));
	ck_assert_int_eq(wire_cur_align(&c, buf, 8), 0);
	ck_assert_uint_eq(c.left, 4);
	ck_assert_int_eq(wire_cur_get(&c, &v, 8), -EPROTO);
	/* Once bad, always bad. */
	ck_assert_ptr_null(wire_cur_take(&c, 0));
}
END_TEST

static Suite *
wire_suite(void)
{
	Suite	*s = suite_create("wire");
	TCase	*tc;

	tc = tcase_create("socket");
	tcase_add_checked_fixture(tc, pair_setup, pair_teardown);
	tcase_add_test(tc, send_recv_inline);
	tcase_add_test(tc, send_recv_bulk);
	tcase_add_test(tc, send_recv_max_fds);
	tcase_add_test(tc, recv_bulk_layout);
	tcase_add_test(tc, recv_eof_and_garbage);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, parse_ioctl);
	tcase_add_test(tc, parse_ioctl_sized);
	tcase_add_test(tc, parse_ioctl_carry);
	tcase_add_test(tc, parse_ioctl_fail_nth);
	tcase_add_test(tc, cursor);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(wire_suite)
