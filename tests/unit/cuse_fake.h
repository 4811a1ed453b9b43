/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A fake kernel for the CUSE transport: it plays /dev/cuse over a
 * SOCK_SEQPACKET socketpair (one request or reply per datagram, as on the
 * real device) against the real transport/cuse.c and libfuse, on a real
 * event base. It sends what the kernel sends (CUSE_INIT, OPEN, IOCTL,
 * READ, WRITE, POLL, RELEASE), and it runs an unrestricted ioctl exactly
 * as fs/fuse/ioctl.c does: a first request without data, then on every
 * retry answer the in spans copied from the caller's memory (the test's
 * own, fault-safe, so a bad address is EFAULT) and the out spans'
 * length, the 32-page limit each way (ENOMEM), and at the end the answer
 * scattered over the last out spans in order, even for an error result.
 *
 * Used by the unit suite (check_cuse.c) and the round-trip figures
 * (tests/bench/cuse_rounds.c). Nothing here depends on Check.
 */
#ifndef IOASIDD_TESTS_CUSE_FAKE_H
#define IOASIDD_TESTS_CUSE_FAKE_H

#include <sys/types.h>

#include <stdint.h>

struct event_base;
struct cuse_server;
struct fk;

/* Called before the copy-in of round n + 1 (n >= 1): change memory here. */
typedef void	(*fk_hook)(struct fk *, int n, void *arg);

struct fk {
	int			 fd;		/* the kernel's end */
	struct event_base	*base;
	struct cuse_server	*srv;
	uint64_t		 unique;
	uint32_t		 pid;		/* the caller, as headers say */
	uint32_t		 uid;
	uint32_t		 gid;
	int			 ready;		/* told the node exists */
	int			 ended;		/* told the connection ended */
	int			 end_error;
	/* From the CUSE_INIT answer. */
	uint32_t		 init_major;
	uint32_t		 init_minor;
	uint32_t		 init_flags;
	uint32_t		 max_read;
	char			 devinfo[256];	/* NULs turned into ' ' */
	/* The last ioctl. */
	int			 rounds;	/* FUSE_IOCTL requests sent */
	fk_hook			 hook;
	void			*hook_arg;
};

/*
 * Start the transport on a fresh event base and answer its CUSE_INIT.
 * 0, or -errno with everything undone.
 */
int	fk_start(struct fk *, const char *node);
/* The same for the VFIO device node of device vfio_index (-1: none). */
int	fk_start_vfio(struct fk *, const char *node, int vfio_index);
/* Close the transport (it must close its end) and free everything. */
void	fk_stop(struct fk *);

/* FUSE_OPEN: 0 and *fh, or -errno. */
int	fk_open(struct fk *, uint64_t *fh);
/* FUSE_RELEASE: 0 or -errno. */
int	fk_release(struct fk *, uint64_t fh);
/* ioctl(2) through the node: the result, or -errno. flags: FUSE_IOCTL_*. */
long	fk_ioctl(struct fk *, uint64_t fh, unsigned int cmd, uint64_t arg,
	    uint32_t flags);
/* read(2), write(2): bytes, or -errno. */
long	fk_read(struct fk *, uint64_t fh, void *buf, uint32_t len);
long	fk_write(struct fk *, uint64_t fh, const void *buf, uint32_t len);
/* pread(2), pwrite(2): at the offset off. */
long	fk_pread(struct fk *, uint64_t fh, void *buf, uint32_t len,
	    uint64_t off);
long	fk_pwrite(struct fk *, uint64_t fh, const void *buf, uint32_t len,
	    uint64_t off);
/* poll(2): the revents the daemon reports, or -errno. */
long	fk_poll(struct fk *, uint64_t fh, uint32_t events);
/* Let the daemon run what is pending (a closed kernel end, say). */
void	fk_pump(struct fk *);

#endif /* IOASIDD_TESTS_CUSE_FAKE_H */
