/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A CUSE device that answers one command, for the guest test's own health
 * check: it tells a broken guest (no cuse.ko, no /dev/cuse, missing
 * libraries, a node that never appears) apart from a broken daemon.
 *
 *	cuse_probe serve NAME	create /dev/NAME and serve it in the foreground
 *	cuse_probe call PATH	check the node from a client, one line per check
 *
 * The device answers IOMMU_IOAS_ALLOC through the unrestricted-ioctl retry
 * protocol, as ioasidd's own node does: the first round carries no data and
 * is answered with a retry asking for the struct in and out; the second
 * round reads the struct, checks its size and writes an id back. Every
 * other command gets ENOTTY. Ids count up from 1 per open, so a second open
 * is seen to be a context of its own.
 */

#define FUSE_USE_VERSION 31

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cuse_lowlevel.h>
#include <linux/iommufd.h>

/* Per-open state: the next id to hand out, kept in fi->fh. */
struct probe_file {
	uint32_t	next_id;
};

static void
probe_open(fuse_req_t req, struct fuse_file_info *fi)
{
	struct probe_file	*pf;

	if ((pf = calloc(1, sizeof(*pf))) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pf->next_id = 1;
	fi->fh = (uintptr_t)pf;
	fuse_reply_open(req, fi);
}

static void
probe_release(fuse_req_t req, struct fuse_file_info *fi)
{
	free((struct probe_file *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void
probe_ioctl(fuse_req_t req, int cmd, void *arg, struct fuse_file_info *fi,
    unsigned int flags, const void *in_buf, size_t in_bufsz,
    size_t out_bufsz)
{
	struct probe_file	*pf = (struct probe_file *)(uintptr_t)fi->fh;
	struct iommu_ioas_alloc	 a;
	struct iovec		 iov;

	if ((flags & FUSE_IOCTL_COMPAT) != 0 ||
	    (unsigned int)cmd != IOMMU_IOAS_ALLOC) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (in_bufsz < sizeof(a) || out_bufsz < sizeof(a)) {
		/* First round: ask the kernel for the caller's struct. */
		iov.iov_base = arg;
		iov.iov_len = sizeof(a);
		fuse_reply_ioctl_retry(req, &iov, 1, &iov, 1);
		return;
	}
	memcpy(&a, in_buf, sizeof(a));
	if (a.size != sizeof(a)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (a.flags != 0) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	a.out_ioas_id = pf->next_id++;
	fuse_reply_ioctl(req, 0, &a, sizeof(a));
}

static const struct cuse_lowlevel_ops probe_ops = {
	.open = probe_open,
	.release = probe_release,
	.ioctl = probe_ioctl,
};

static int
probe_serve(const char *name)
{
	struct cuse_info	 ci;
	char			 devname[128];
	const char		*dev_info[1];
	char			 a0[] = "cuse_probe", a1[] = "-f", a2[] = "-s";
	char			*argv[] = { a0, a1, a2, NULL };

	if (snprintf(devname, sizeof(devname), "DEVNAME=%s", name) >=
	    (int)sizeof(devname)) {
		fprintf(stderr, "cuse_probe: name too long\n");
		return (1);
	}
	dev_info[0] = devname;
	memset(&ci, 0, sizeof(ci));
	ci.dev_info_argc = 1;
	ci.dev_info_argv = dev_info;
	ci.flags = CUSE_UNRESTRICTED_IOCTL;
	return (cuse_lowlevel_main(3, argv, &ci, &probe_ops, NULL) != 0);
}

static int	npass, nfail;

static void
check(int cond, const char *what)
{
	if (cond) {
		printf("ok %s\n", what);
		npass++;
	} else {
		printf("FAIL %s (errno %d %s)\n", what, errno,
		    strerror(errno));
		nfail++;
	}
}

/* IOAS_ALLOC, returning 0 or the errno. */
static int
probe_alloc(int fd, void *arg)
{
	return (ioctl(fd, IOMMU_IOAS_ALLOC, arg) == 0 ? 0 : errno);
}

static int
probe_call(const char *path)
{
	struct iommu_ioas_alloc	a;
	struct stat		st;
	int			fd, fd2;

	check(stat(path, &st) == 0 && S_ISCHR(st.st_mode),
	    "the node is a character device");
	if ((fd = open(path, O_RDWR)) == -1) {
		check(0, "open");
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	check(probe_alloc(fd, &a) == 0 && a.out_ioas_id == 1,
	    "IOAS_ALLOC through two rounds gives id 1");
	check(probe_alloc(fd, &a) == 0 && a.out_ioas_id == 2,
	    "a second IOAS_ALLOC gives id 2");
	a.size = sizeof(a) - 1;
	check(probe_alloc(fd, &a) == EINVAL, "a short size gives EINVAL");
	check(probe_alloc(fd, NULL) == EFAULT,
	    "a NULL argument gives EFAULT from the kernel's retry");
	check(ioctl(fd, _IO(IOMMUFD_TYPE, 0x7f), &a) == -1 && errno == ENOTTY,
	    "an unknown command gives ENOTTY");
	if ((fd2 = open(path, O_RDWR)) == -1)
		check(0, "second open");
	else {
		a.size = sizeof(a);
		check(probe_alloc(fd2, &a) == 0 && a.out_ioas_id == 1,
		    "a second open is a context of its own");
		close(fd2);
	}
	close(fd);
out:
	printf("%d passed, %d failed\n", npass, nfail);
	return (nfail != 0);
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return (probe_serve(argv[2]));
	if (argc == 3 && strcmp(argv[1], "call") == 0)
		return (probe_call(argv[2]));
	fprintf(stderr, "usage: cuse_probe serve NAME | call PATH\n");
	return (1);
}
