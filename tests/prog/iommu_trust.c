/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * What the preload library hands a daemon, and to whom; run under it by
 * tests/integration/trust.sh, one mode per run:
 *
 *   open ERRNO     open /dev/iommu: it must fail with ERRNO (a number; 0:
 *                  it must work, and then an IOAS and a mapping must too)
 *   inherit PATH   connect to PATH without the library and exec ourselves
 *                  with that socket: its first ioctls must fail with
 *                  EACCES when the listener is not trusted
 *   opath          IOMMU_IOAS_MAP_FILE with an O_PATH descriptor is
 *                  EBADF, and the context goes on
 *   memfd          the daemon ($IOASIDD_PID) holds no descriptor to our
 *                  memory after open, one read-only one for read-only
 *                  mappings (IOAS_MAP and VFIO MAP_DMA), a read-write one
 *                  only while a writable mapping lives, and none once
 *                  everything is unmapped or after a failed map
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "check.h"

#define RW	(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static long	pg;

/* IOAS_MAP of [buf, buf + len): 0 or the errno; the IOVA in *iova. */
static int
map(int fd, uint32_t ioas, uint32_t flags, void *buf, size_t len,
    uint64_t *iova)
{
	struct iommu_ioas_map	m;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.ioas_id = ioas;
	m.flags = flags;
	m.user_va = (uintptr_t)buf;
	m.length = len;
	if (ioctl(fd, IOMMU_IOAS_MAP, &m) != 0)
		return (errno);
	*iova = m.iova;
	return (0);
}

static int
unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap	u;

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = ioas;
	u.iova = iova;
	u.length = len;
	return (ioctl(fd, IOMMU_IOAS_UNMAP, &u) != 0 ? errno : 0);
}

static int
mode_open(int want)
{
	uint64_t	 iova;
	uint32_t	 id;
	void		*buf;
	int		 fd;

	fd = open("/dev/iommu", O_RDWR);
	if (want != 0) {
		CHECK(fd == -1 && errno == want, "open fails with errno %d",
		    want);
		return (check_report());
	}
	CHECK(fd != -1, "open works");
	if (fd == -1)
		return (check_report());
	buf = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0x5a, 4 * pg);
	CHECK((id = ioas_alloc(fd)) != 0, "IOAS_ALLOC");
	CHECK(map(fd, id, RW, buf, 4 * pg, &iova) == 0, "IOAS_MAP writable");
	CHECK(unmap(fd, id, iova, 4 * pg) == 0, "IOAS_UNMAP");
	CHECK(map(fd, id, IOMMU_IOAS_MAP_READABLE, buf, pg, &iova) == 0,
	    "IOAS_MAP read-only");
	close(fd);
	return (check_report());
}

/* Connect to path ourselves and run again with the socket inherited. */
static int
mode_inherit(const char *path)
{
	struct sockaddr_un	 sun;
	char			 num[16];
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK(fd != -1 && connect(fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == 0, "connect to %s", path);
	if (nfail != 0)
		return (check_report());
	snprintf(num, sizeof(num), "%d", fd);
	execl("/proc/self/exe", "iommu_trust", "child", num, (char *)NULL);
	CHECK(0, "exec");
	return (check_report());
}

static int
mode_child(int fd)
{
	struct iommu_ioas_alloc	a;
	int			i;

	for (i = 0; i < 2; i++) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		errno = 0;
		CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &a) == -1 && errno == EACCES,
		    "ioctl %d on an inherited socket of an untrusted listener: "
		    "EACCES", i + 1);
	}
	return (check_report());
}

static int
mode_opath(void)
{
	struct iommu_ioas_map_file	mf;
	char				path[64];
	uint32_t			id;
	int				fd, mfd, pfd;

	CHECK((fd = open("/dev/iommu", O_RDWR)) != -1, "open");
	CHECK((id = ioas_alloc(fd)) != 0, "IOAS_ALLOC");
	mfd = memfd_create("iommu_trust", MFD_CLOEXEC);
	CHECK(mfd != -1 && ftruncate(mfd, 4 * pg) == 0, "memfd");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	CHECK((pfd = open(path, O_PATH | O_CLOEXEC)) != -1, "O_PATH open");

	memset(&mf, 0, sizeof(mf));
	mf.size = sizeof(mf);
	mf.flags = RW;
	mf.ioas_id = id;
	mf.fd = pfd;
	mf.start = 0;
	mf.length = pg;
	errno = 0;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf) == -1 && errno == EBADF,
	    "MAP_FILE of an O_PATH descriptor: EBADF");
	mf.fd = mfd;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP_FILE, &mf) == 0,
	    "MAP_FILE of the memfd itself works");
	CHECK(ioas_alloc(fd) == id + 1, "the context goes on");
	close(pfd);
	close(mfd);
	close(fd);
	return (check_report());
}

/*
 * The daemon's descriptors to our memory: how many, and how many of them
 * are open for writing (from /proc/DAEMON/fdinfo).
 */
static void
held(pid_t daemon, int *n, int *nrw)
{
	struct dirent	*de;
	DIR		*d;
	FILE		*f;
	char		 path[300], link[128], want[64], line[128];
	ssize_t		 len;
	unsigned int	 flags;

	*n = *nrw = 0;
	snprintf(want, sizeof(want), "/proc/%d/mem", (int)getpid());
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)daemon);
	if ((d = opendir(path)) == NULL) {
		*n = -1;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)daemon,
		    de->d_name);
		if ((len = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[len] = '\0';
		if (strcmp(link, want) != 0)
			continue;
		(*n)++;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s",
		    (int)daemon, de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "flags: %o", &flags) == 1 &&
			    (flags & O_ACCMODE) != O_RDONLY)
				(*nrw)++;
		}
		fclose(f);
	}
	closedir(d);
}

/* Put /dev/null where our own /proc/self/mem descriptors are; how many. */
static int
reuse_memfds(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[300], link[128], want[64];
	ssize_t		 len;
	int		 null, n = 0;

	snprintf(want, sizeof(want), "/proc/%d/mem", (int)getpid());
	if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    (d = opendir("/proc/self/fd")) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		if ((len = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[len] = '\0';
		if (strcmp(link, want) == 0 &&
		    dup2(null, atoi(de->d_name)) != -1)
			n++;
	}
	closedir(d);
	close(null);
	return (n);
}

static int
mode_memfd(void)
{
	struct iommu_vfio_ioas			 vi;
	struct vfio_iommu_type1_dma_map		 dm;
	struct vfio_iommu_type1_dma_unmap	 du;
	const char				*e = getenv("IOASIDD_PID");
	uint64_t				 ro1, ro2, rw;
	uint32_t				 id;
	pid_t					 daemon;
	void					*buf, *none;
	int					 fd, n, nrw, k;

	daemon = e != NULL ? atoi(e) : 0;

	CHECK(daemon > 0, "IOASIDD_PID names the daemon");
	if (daemon <= 0)
		return (check_report());
	buf = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0x5a, 8 * pg);

	CHECK((fd = open("/dev/iommu", O_RDWR)) != -1, "open");
	CHECK((id = ioas_alloc(fd)) != 0, "IOAS_ALLOC");
	held(daemon, &n, &nrw);
	CHECK(n == 0, "after open and IOAS_ALLOC the daemon holds %d "
	    "descriptors to our memory, not 0", n);

	CHECK(map(fd, id, IOMMU_IOAS_MAP_READABLE, buf, 2 * pg, &ro1) == 0,
	    "read-only IOAS_MAP");
	CHECK(map(fd, id, IOMMU_IOAS_MAP_READABLE, (char *)buf + 2 * pg,
	    2 * pg, &ro2) == 0, "a second read-only IOAS_MAP");
	held(daemon, &n, &nrw);
	CHECK(n == 1 && nrw == 0, "two read-only mappings: the daemon holds "
	    "%d descriptors (%d writable), not 1 read-only", n, nrw);

	CHECK(map(fd, id, RW, (char *)buf + 4 * pg, 4 * pg, &rw) == 0,
	    "writable IOAS_MAP");
	held(daemon, &n, &nrw);
	CHECK(n == 2 && nrw == 1, "and a writable one: %d descriptors (%d "
	    "writable), not one of each", n, nrw);

	CHECK(unmap(fd, id, rw, 4 * pg) == 0, "unmap the writable one");
	held(daemon, &n, &nrw);
	CHECK(n == 1 && nrw == 0, "after its unmap: %d descriptors (%d "
	    "writable), not 1 read-only", n, nrw);

	CHECK(unmap(fd, id, ro1, 2 * pg) == 0, "unmap one read-only mapping");
	held(daemon, &n, &nrw);
	CHECK(n == 1 && nrw == 0, "one read-only mapping left: %d "
	    "descriptors, not 1", n);
	CHECK(unmap(fd, id, ro2, 2 * pg) == 0, "unmap the other");
	held(daemon, &n, &nrw);
	CHECK(n == 0, "nothing mapped: %d descriptors, not 0", n);

	/* The VFIO type1 compatibility map goes the same way. */
	memset(&vi, 0, sizeof(vi));
	vi.size = sizeof(vi);
	vi.ioas_id = id;
	vi.op = IOMMU_VFIO_IOAS_SET;
	CHECK(ioctl(fd, IOMMU_VFIO_IOAS, &vi) == 0, "IOMMU_VFIO_IOAS set");
	memset(&dm, 0, sizeof(dm));
	dm.argsz = sizeof(dm);
	dm.flags = VFIO_DMA_MAP_FLAG_READ;
	dm.vaddr = (uintptr_t)buf;
	dm.iova = 1ull << 30;
	dm.size = 2 * pg;
	CHECK(ioctl(fd, VFIO_IOMMU_MAP_DMA, &dm) == 0, "read-only MAP_DMA");
	held(daemon, &n, &nrw);
	CHECK(n == 1 && nrw == 0, "read-only MAP_DMA: %d descriptors (%d "
	    "writable), not 1 read-only", n, nrw);
	memset(&du, 0, sizeof(du));
	du.argsz = sizeof(du);
	du.iova = dm.iova;
	du.size = dm.size;
	CHECK(ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &du) == 0, "UNMAP_DMA");
	held(daemon, &n, &nrw);
	CHECK(n == 0, "after UNMAP_DMA: %d descriptors, not 0", n);

	/*
	 * A program that closes descriptors it did not open, and reuses the
	 * numbers: the library must send a new mem file, not what is there.
	 */
	CHECK((k = reuse_memfds()) > 0, "the library's mem files (%d) are "
	    "replaced with /dev/null", k);
	CHECK(map(fd, id, IOMMU_IOAS_MAP_READABLE, buf, pg, &ro1) == 0,
	    "read-only IOAS_MAP after that");
	held(daemon, &n, &nrw);
	CHECK(n == 1 && nrw == 0, "the daemon holds %d descriptors (%d "
	    "writable) to our memory, not 1 read-only", n, nrw);
	CHECK(unmap(fd, id, ro1, pg) == 0, "and unmap");
	held(daemon, &n, &nrw);
	CHECK(n == 0, "after unmap: %d descriptors, not 0", n);

	/* A struct that cannot be read: EFAULT, and nothing is kept. */
	errno = 0;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, NULL) == -1 && errno == EFAULT,
	    "IOAS_MAP of a NULL struct: EFAULT");
	none = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errno = 0;
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, none) == -1 && errno == EFAULT,
	    "IOAS_MAP of a PROT_NONE struct: EFAULT");
	held(daemon, &n, &nrw);
	CHECK(n == 0, "after those: %d descriptors to our memory, not 0", n);

	CHECK(map(fd, id + 100, RW, buf, pg, &rw) == ENOENT,
	    "IOAS_MAP on a bad IOAS: ENOENT");
	held(daemon, &n, &nrw);
	CHECK(n == 0, "after a failed map: %d descriptors, not 0", n);
	CHECK(ioas_alloc(fd) == id + 1, "the context goes on");
	close(fd);
	return (check_report());
}

int
main(int argc, char **argv)
{
	pg = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "open") == 0)
		return (mode_open(atoi(argv[2])));
	if (argc == 3 && strcmp(argv[1], "inherit") == 0)
		return (mode_inherit(argv[2]));
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return (mode_child(atoi(argv[2])));
	if (argc == 2 && strcmp(argv[1], "opath") == 0)
		return (mode_opath());
	if (argc == 2 && strcmp(argv[1], "memfd") == 0)
		return (mode_memfd());
	fprintf(stderr, "usage: iommu_trust open ERRNO | inherit PATH | "
	    "opath | memfd\n");
	return (2);
}
