/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The fake kernel of cuse_fake.h. Requests go out as one datagram each
 * and the transport runs on its event base until the answer is back; the
 * whole exchange is in one thread, so every test is deterministic.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/fuse.h>

#include "core/ucmd.h"
#include "cuse_fake.h"
#include "transport/cuse.h"

/* The kernel's largest retry each way: 32 pages (fc->max_pages). */
#define FK_MAX_PAGES_BYTES	(32 * 4096)
/* Room for any answer: headers and the largest out data. */
#define FK_REPLY_MAX		(FK_MAX_PAGES_BYTES + 4096)
/* A transport that keeps asking is broken; the kernel would go on. */
#define FK_MAX_ROUNDS		64

static uint8_t	fk_in[FK_MAX_PAGES_BYTES];
static uint8_t	fk_reply[FK_REPLY_MAX];

static void
fk_event(void *arg, int error)
{
	struct fk	*fk = arg;

	if (error == 0)
		fk->ready = 1;
	else {
		fk->ended = 1;
		fk->end_error = error;
	}
}

void
fk_pump(struct fk *fk)
{
	event_base_loop(fk->base, EVLOOP_NONBLOCK);
}

/*
 * Send one request (header, body, data) and wait for the answer with the
 * same unique. Returns the answer's length, or -errno.
 */
static ssize_t
fk_call(struct fk *fk, uint32_t opcode, const void *body, size_t blen,
    const void *data, size_t dlen)
{
	struct fuse_in_header	 h;
	struct fuse_out_header	*oh = (struct fuse_out_header *)fk_reply;
	struct iovec		 iov[3];
	struct pollfd		 pfd;
	ssize_t			 n;
	int			 i;

	memset(&h, 0, sizeof(h));
	h.len = sizeof(h) + blen + dlen;
	h.opcode = opcode;
	h.unique = ++fk->unique;
	h.uid = fk->uid;
	h.gid = fk->gid;
	h.pid = fk->pid;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = blen;
	iov[2].iov_base = (void *)(uintptr_t)data;
	iov[2].iov_len = dlen;
	if (writev(fk->fd, iov, 3) != (ssize_t)h.len)
		return (-errno);
	for (i = 0; i < 1000; i++) {
		fk_pump(fk);
		n = recv(fk->fd, fk_reply, sizeof(fk_reply), MSG_DONTWAIT);
		if (n > 0) {
			if ((size_t)n < sizeof(*oh) || oh->len != (size_t)n ||
			    oh->unique != h.unique) {
				fprintf(stderr, "fake kernel: bad answer "
				    "(len %zd)\n", n);
				return (-EPROTO);
			}
			return (n);
		}
		if (n == 0)
			return (-ECONNRESET);
		if (errno != EAGAIN)
			return (-errno);
		pfd.fd = fk->fd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 1);
	}
	fprintf(stderr, "fake kernel: no answer to opcode %u\n", opcode);
	return (-ETIMEDOUT);
}

int
fk_start(struct fk *fk, const char *node)
{
	return (fk_start_vfio(fk, node, -1));
}

int
fk_start_vfio(struct fk *fk, const char *node, int vfio_index)
{
	struct cuse_config	 cfg;
	struct cuse_init_in	 in;
	struct cuse_init_out	*out;
	struct fuse_out_header	*oh = (struct fuse_out_header *)fk_reply;
	ssize_t			 n;
	size_t			 i, len;
	int			 sv[2], bufsz = 1 << 20, error;

	memset(fk, 0, sizeof(*fk));
	fk->fd = -1;
	fk->pid = getpid();
	fk->uid = getuid();
	fk->gid = getgid();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return (-errno);
	/* An answer of 128 KiB must fit in one datagram. */
	for (i = 0; i < 2; i++) {
		(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &bufsz,
		    sizeof(bufsz));
		(void)setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &bufsz,
		    sizeof(bufsz));
	}
	fk->fd = sv[0];
	if ((fk->base = event_base_new()) == NULL) {
		close(sv[0]);
		close(sv[1]);
		return (-ENOMEM);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.node = node;
	if (vfio_index >= 0) {
		cfg.vfio = 1;
		cfg.vfio_index = (unsigned int)vfio_index;
	}
	cfg.mode = 0660;
	cfg.gid = (gid_t)-1;
	cfg.cb = fk_event;
	cfg.arg = fk;
	if ((error = cuse_server_adopt(fk->base, sv[1], &cfg,
	    &fk->srv)) != 0) {
		fprintf(stderr, "fake kernel: adopt: %s\n", strerror(-error));
		fk_stop(fk);
		return (error);
	}

	/* What cuse_send_init() sends. */
	memset(&in, 0, sizeof(in));
	in.major = FUSE_KERNEL_VERSION;
	in.minor = FUSE_KERNEL_MINOR_VERSION;
	in.flags = CUSE_UNRESTRICTED_IOCTL;
	n = fk_call(fk, CUSE_INIT, &in, sizeof(in), NULL, 0);
	if (n >= 0 && oh->error != 0)
		n = oh->error;
	else if (n >= 0 && (size_t)n < sizeof(*oh) + sizeof(*out))
		n = -EPROTO;
	if (n < 0) {
		fk_stop(fk);
		return ((int)n);
	}
	out = (struct cuse_init_out *)(oh + 1);
	fk->init_major = out->major;
	fk->init_minor = out->minor;
	fk->init_flags = out->flags;
	fk->max_read = out->max_read;
	len = (size_t)n - sizeof(*oh) - sizeof(*out);
	if (len >= sizeof(fk->devinfo))
		len = sizeof(fk->devinfo) - 1;
	memcpy(fk->devinfo, out + 1, len);
	fk->devinfo[len] = '\0';
	/* Strings are NUL-separated; the last NUL ends them. */
	while (len > 0 && fk->devinfo[len - 1] == '\0')
		len--;
	for (i = 0; i < len; i++) {
		if (fk->devinfo[i] == '\0')
			fk->devinfo[i] = ' ';
	}
	fk->devinfo[len] = '\0';
	return (0);
}

void
fk_stop(struct fk *fk)
{
	cuse_server_close(fk->srv);
	fk->srv = NULL;
	if (fk->fd != -1)
		close(fk->fd);
	fk->fd = -1;
	if (fk->base != NULL)
		event_base_free(fk->base);
	fk->base = NULL;
}

int
fk_open(struct fk *fk, uint64_t *fh)
{
	struct fuse_open_in	 in;
	struct fuse_out_header	*oh = (struct fuse_out_header *)fk_reply;
	struct fuse_open_out	*out = (struct fuse_open_out *)(oh + 1);
	ssize_t			 n;

	memset(&in, 0, sizeof(in));
	in.flags = O_RDWR;
	if ((n = fk_call(fk, FUSE_OPEN, &in, sizeof(in), NULL, 0)) < 0)
		return ((int)n);
	if (oh->error != 0)
		return (oh->error);
	if ((size_t)n < sizeof(*oh) + sizeof(*out))
		return (-EPROTO);
	*fh = out->fh;
	return (0);
}

int
fk_release(struct fk *fk, uint64_t fh)
{
	struct fuse_release_in	 in;
	struct fuse_out_header	*oh = (struct fuse_out_header *)fk_reply;
	uint32_t		 pid = fk->pid;
	ssize_t			 n;

	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.flags = O_RDWR;
	/* Releases come from no process in particular. */
	fk->pid = 0;
	n = fk_call(fk, FUSE_RELEASE, &in, sizeof(in), NULL, 0);
	fk->pid = pid;
	if (n < 0)
		return ((int)n);
	return (oh->error);
}

long
fk_ioctl(struct fk *fk, uint64_t fh, unsigned int cmd, uint64_t arg,
    uint32_t flags)
{
	static struct fuse_ioctl_iovec	 iov_in[FUSE_IOCTL_MAX_IOV];
	static struct fuse_ioctl_iovec	 iov_out[FUSE_IOCTL_MAX_IOV];
	struct fuse_ioctl_in		 in;
	struct fuse_out_header		*oh;
	struct fuse_ioctl_out		*out;
	const uint8_t			*payload;
	uint64_t			 in_size, out_size, off, c;
	unsigned int			 nin = 0, nout = 0, i;
	size_t				 plen;
	ssize_t				 n;

	oh = (struct fuse_out_header *)fk_reply;
	out = (struct fuse_ioctl_out *)(oh + 1);
	payload = (const uint8_t *)(out + 1);
	fk->rounds = 0;
	for (;;) {
		if (fk->rounds > 0 && fk->hook != NULL)
			fk->hook(fk, fk->rounds, fk->hook_arg);
		in_size = out_size = 0;
		for (i = 0; i < nin; i++) {
			if (uself_ops.read(NULL, iov_in[i].base,
			    fk_in + in_size, iov_in[i].len) != 0)
				return (-EFAULT);
			in_size += iov_in[i].len;
		}
		for (i = 0; i < nout; i++)
			out_size += iov_out[i].len;

		memset(&in, 0, sizeof(in));
		in.fh = fh;
		in.flags = flags | FUSE_IOCTL_UNRESTRICTED;
		in.cmd = cmd;
		in.arg = arg;
		in.in_size = (uint32_t)in_size;
		in.out_size = (uint32_t)out_size;
		n = fk_call(fk, FUSE_IOCTL, &in, sizeof(in), fk_in, in_size);
		fk->rounds++;
		if (n < 0)
			return (n);
		if (oh->error != 0)
			return (oh->error == -ENOSYS ? -ENOTTY : oh->error);
		if ((size_t)n < sizeof(*oh) + sizeof(*out))
			return (-EIO);
		plen = (size_t)n - sizeof(*oh) - sizeof(*out);

		if (out->flags & FUSE_IOCTL_RETRY) {
			if (fk->rounds >= FK_MAX_ROUNDS)
				return (-EIO);
			nin = out->in_iovs;
			nout = out->out_iovs;
			if (nin > FUSE_IOCTL_MAX_IOV ||
			    nout > FUSE_IOCTL_MAX_IOV ||
			    nin + nout > FUSE_IOCTL_MAX_IOV)
				return (-ENOMEM);
			if (plen != (nin + nout) * sizeof(iov_in[0]))
				return (-EIO);
			memcpy(iov_in, payload, nin * sizeof(iov_in[0]));
			memcpy(iov_out, payload + nin * sizeof(iov_in[0]),
			    nout * sizeof(iov_out[0]));
			in_size = out_size = 0;
			for (i = 0; i < nin; i++)
				in_size += iov_in[i].len;
			for (i = 0; i < nout; i++)
				out_size += iov_out[i].len;
			if (in_size > FK_MAX_PAGES_BYTES ||
			    out_size > FK_MAX_PAGES_BYTES)
				return (-ENOMEM);
			continue;
		}

		/* The answer, over the out spans in order. */
		if (plen > out_size)
			return (-EIO);
		for (i = 0, off = 0; i < nout && off < plen; i++) {
			c = plen - off < iov_out[i].len ? plen - off :
			    iov_out[i].len;
			if (uself_ops.write(NULL, iov_out[i].base,
			    payload + off, c) != 0)
				return (-EFAULT);
			off += c;
		}
		return (out->result);
	}
}

long
fk_read(struct fk *fk, uint64_t fh, void *buf, uint32_t len)
{
	return (fk_pread(fk, fh, buf, len, 0));
}

long
fk_pread(struct fk *fk, uint64_t fh, void *buf, uint32_t len, uint64_t off)
{
	struct fuse_read_in	 in;
	struct fuse_out_header	*oh = (struct fuse_out_header *)fk_reply;
	ssize_t			 n;

	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.offset = off;
	in.size = len;
	if ((n = fk_call(fk, FUSE_READ, &in, sizeof(in), NULL, 0)) < 0)
		return (n);
	if (oh->error != 0)
		return (oh->error);
	n -= sizeof(*oh);
	memcpy(buf, oh + 1, (size_t)n < len ? (size_t)n : len);
	return (n);
}

long
fk_write(struct fk *fk, uint64_t fh, const void *buf, uint32_t len)
{
	return (fk_pwrite(fk, fh, buf, len, 0));
}

long
fk_pwrite(struct fk *fk, uint64_t fh, const void *buf, uint32_t len,
    uint64_t off)
{
	struct fuse_write_in	 in;
	struct fuse_out_header	*oh = (struct fuse_out_header *)fk_reply;
	struct fuse_write_out	*out = (struct fuse_write_out *)(oh + 1);
	ssize_t			 n;

	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.offset = off;
	in.size = len;
	if ((n = fk_call(fk, FUSE_WRITE, &in, sizeof(in), buf, len)) < 0)
		return (n);
	if (oh->error != 0)
		return (oh->error);
	if ((size_t)n < sizeof(*oh) + sizeof(*out))
		return (-EIO);
	return (out->size);
}

long
fk_poll(struct fk *fk, uint64_t fh, uint32_t events)
{
	struct fuse_poll_in	 in;
	struct fuse_out_header	*oh = (struct fuse_out_header *)fk_reply;
	struct fuse_poll_out	*out = (struct fuse_poll_out *)(oh + 1);
	ssize_t			 n;

	memset(&in, 0, sizeof(in));
	in.fh = fh;
	in.kh = 1;
	in.flags = FUSE_POLL_SCHEDULE_NOTIFY;
	in.events = events;
	if ((n = fk_call(fk, FUSE_POLL, &in, sizeof(in), NULL, 0)) < 0)
		return (n);
	if (oh->error != 0)
		return (oh->error);
	if ((size_t)n < sizeof(*oh) + sizeof(*out))
		return (-EIO);
	return (out->revents);
}
