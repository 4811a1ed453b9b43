/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * libioasid-preload.so: give unmodified dynamically linked programs a
 * /dev/iommu served by ioasidd, with LD_PRELOAD.
 *
 * Opening the node ($IOASIDD_NODE, default /dev/iommu) returns a socket
 * connected to the daemon (chan.c), and an ioctl on such a socket becomes
 * one request to it. So does opening an emulated VFIO device node,
 * vfio<N> in $IOASIDD_VFIO_DIR (default /dev/vfio/devices): its HELLO
 * names device N, and the daemon refuses a device it does not have
 * (ENOENT here, as for a missing node). Every other file in that
 * directory, and the directory itself, is left to the real call. On a
 * device descriptor, pread()/pwrite() and their other forms are the
 * device's region access (see VFIO device descriptors below).
 * Everything else goes to the next definition of the same function
 * (libc's) untouched, with errno left as that function set it. Because the descriptor the program holds is the socket itself, dup,
 * fork, exec, close, poll and descriptor passing need no wrapping at all,
 * and nothing here can go stale.
 *
 * With $IOASIDD_FAIL_NTH=1, the calling thread's fail-nth file under
 * /proc and the directory /sys/kernel/debug/ are served too (failnth.c),
 * so that a program sweeping allocation failures the kernel's way sweeps
 * the daemon's.
 *
 * A node that cannot be reached (no daemon) fails to open with ENOENT, as
 * a missing /dev/iommu would, and nothing is printed. A daemon run by a
 * user we do not trust (chan.c) fails it with EACCES, after one line on
 * stderr.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "failnth.h"
#include "passthru.h"
#include "ioasidd.h"
#include "uapi.h"
#include "wire.h"

#include <linux/iommufd.h>
#include <linux/kcmp.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <sys/syscall.h>

#define PRELOAD_EXPORT	__attribute__((__visibility__("default")))

/* glibc's fortified entry points; no public header declares them. */
int	__open_2(const char *, int);
int	__open64_2(const char *, int);
int	__openat_2(int, const char *, int);
int	__openat64_2(int, const char *, int);

/* The next definition of a symbol, looked up once. */
#define PRELOAD_REAL(var, name) do {					\
	if (__atomic_load_n(&(var), __ATOMIC_ACQUIRE) == NULL)		\
		__atomic_store_n(&(var), dlsym(RTLD_NEXT, (name)),	\
		    __ATOMIC_RELEASE);					\
} while (0)

static int	(*real_open)(const char *, int, ...);
static int	(*real_open64)(const char *, int, ...);
static int	(*real_openat)(int, const char *, int, ...);
static int	(*real_openat64)(int, const char *, int, ...);
static int	(*real_open_2)(const char *, int);
static int	(*real_open64_2)(const char *, int);
static int	(*real_openat_2)(int, const char *, int);
static int	(*real_openat64_2)(int, const char *, int);
static FILE	*(*real_fopen)(const char *, const char *);
static FILE	*(*real_fopen64)(const char *, const char *);
static int	(*real_ioctl)(int, unsigned long, ...);
static void	*(*real_mmap)(void *, size_t, int, int, int, off_t);
static ssize_t	(*real_read)(int, void *, size_t);
static int	(*real_close)(int);
static int	(*real_dup)(int);
static int	(*real_dup2)(int, int);
static int	(*real_dup3)(int, int, int);
static int	(*real_fcntl)(int, int, ...);
static int	(*real_fcntl64)(int, int, ...);
static ssize_t	(*real_write)(int, const void *, size_t);
static void	*(*real_mmap64)(void *, size_t, int, int, int, off_t);
static int	(*real_munmap)(void *, size_t);
static ssize_t	(*real_pread)(int, void *, size_t, off_t);
static ssize_t	(*real_pread64)(int, void *, size_t, off_t);
static ssize_t	(*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t	(*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t	(*real_preadv)(int, const struct iovec *, int, off_t);
static ssize_t	(*real_preadv64)(int, const struct iovec *, int, off_t);
static ssize_t	(*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t	(*real_pwritev64)(int, const struct iovec *, int, off_t);
static ssize_t	(*real_preadv2)(int, const struct iovec *, int, off_t, int);
static ssize_t	(*real_preadv64v2)(int, const struct iovec *, int, off_t,
		    int);
static ssize_t	(*real_pwritev2)(int, const struct iovec *, int, off_t, int);
static ssize_t	(*real_pwritev64v2)(int, const struct iovec *, int, off_t,
		    int);

/*
 * Reduce an absolute path to its plain form: no empty or "." components,
 * ".." applied. Returns 0, or -1 if it does not fit.
 */
static int
preload_normalize(const char *in, char *out, size_t size)
{
	size_t		 len = 0, n;
	const char	*p = in, *e;

	if (size < 2)
		return (-1);
	out[0] = '\0';
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != '/'; e++)
			;
		n = e - p;
		if (n == 1 && p[0] == '.')
			;
		else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
		} else {
			if (len + 1 + n + 1 > size)
				return (-1);
			out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
		p = e;
	}
	if (len == 0) {
		out[0] = '/';
		out[1] = '\0';
	}
	return (0);
}

static const char *
preload_node(void)
{
	const char	*node;

	node = getenv(WIRE_ENV_NODE);
	if (node == NULL || *node != '/')
		node = WIRE_DEFAULT_NODE;
	return (node);
}

/* The last component of a path. */
static const char *
preload_base(const char *path)
{
	const char	*s;

	s = strrchr(path, '/');
	return (s == NULL ? path : s + 1);
}

/*
 * What (dirfd, path) names: PRELOAD_NONE, PRELOAD_IOMMU for the node, or
 * PRELOAD_VFIO + N for vfio<N> in the VFIO directory. Only absolute paths
 * and paths relative to the working directory are recognised; a path
 * relative to another directory descriptor is left to the real call.
 */
#define PRELOAD_NONE	0
#define PRELOAD_IOMMU	1
#define PRELOAD_VFIO	2
/* The calling thread's fail-nth file (failnth.c). */
#define PRELOAD_FAILNTH	ULONG_MAX
/* vfio<N> numbers we recognise, as the kernel's minor numbers go. */
#define PRELOAD_VFIO_MAX	(1u << 20)

static unsigned long
preload_vfio_index(const char *base)
{
	unsigned long	 n;
	char		*end;

	if (strncmp(base, "vfio", 4) != 0 || base[4] < '0' || base[4] > '9' ||
	    (base[4] == '0' && base[5] != '\0'))
		return (ULONG_MAX);
	n = strtoul(base + 4, &end, 10);
	if (*end != '\0' || n >= PRELOAD_VFIO_MAX)
		return (ULONG_MAX);
	return (n);
}

static const char *
preload_vfio_dir(void)
{
	const char	*dir;

	dir = getenv(WIRE_ENV_VFIO_DIR);
	if (dir == NULL || *dir != '/')
		dir = WIRE_DEFAULT_VFIO_DIR;
	return (dir);
}

/*
 * Whether $IOASIDD_PASSTHROUGH is 1: every node is the real one, and
 * ioctls on the kernel's /dev/iommu are traced (passthru.c). Read once.
 */
static int
preload_passthrough(void)
{
	static int	on = -1;
	const char	*s;
	int		 v;

	if ((v = __atomic_load_n(&on, __ATOMIC_RELAXED)) < 0) {
		s = getenv("IOASIDD_PASSTHROUGH");
		v = s != NULL && strcmp(s, "1") == 0;
		__atomic_store_n(&on, v, __ATOMIC_RELAXED);
	}
	return (v);
}

static unsigned long
preload_is_node(int dirfd, const char *path)
{
	const char	*node, *base, *dir;
	char		 want[PATH_MAX], got[PATH_MAX], full[PATH_MAX];
	unsigned long	 vfio, match = PRELOAD_NONE;
	size_t		 len;
	int		 saved = errno;

	if (path == NULL || *path == '\0' || preload_passthrough())
		return (PRELOAD_NONE);
	node = preload_node();
	base = preload_base(path);
	if (strcmp(base, "fail-nth") == 0 && failnth_is_file(path)) {
		errno = saved;
		return (PRELOAD_FAILNTH);
	}
	/* The cheap tests first: most opens are of something else. */
	vfio = preload_vfio_index(base);
	if (vfio == ULONG_MAX && strcmp(base, preload_base(node)) != 0)
		return (PRELOAD_NONE);
	if (*path != '/') {
		if (dirfd != AT_FDCWD || getcwd(full, sizeof(full)) == NULL)
			goto out;
		if (strlen(full) + 1 + strlen(path) + 1 > sizeof(full))
			goto out;
		strcat(full, "/");
		strcat(full, path);
		path = full;
	}
	if (preload_normalize(path, got, sizeof(got)) != 0)
		goto out;
	if (strcmp(base, preload_base(node)) == 0 &&
	    preload_normalize(node, want, sizeof(want)) == 0 &&
	    strcmp(got, want) == 0) {
		match = PRELOAD_IOMMU;
		goto out;
	}
	dir = preload_vfio_dir();
	if (vfio != ULONG_MAX &&
	    preload_normalize(dir, want, sizeof(want)) == 0) {
		/* got is want, "/", then the base name. */
		len = strlen(want);
		if (strcmp(want, "/") == 0)
			len = 0;
		if (strncmp(got, want, len) == 0 && got[len] == '/' &&
		    strcmp(got + len + 1, base) == 0)
			match = PRELOAD_VFIO + vfio;
	}
out:
	errno = saved;
	return (match);
}

static void	preload_dev_add(int);
static int	preload_dev_is(int);

/* Open the node: the daemon's socket, or the errno a missing node gives. */
static int
preload_open_node(unsigned long what, int flags)
{
	int	fd;

	if (what == PRELOAD_FAILNTH)
		return (failnth_open(flags));
	if (what >= PRELOAD_VFIO)
		fd = chan_open_node(NULL, flags, WIRE_NODE_VFIO_DEVICE,
		    (unsigned int)(what - PRELOAD_VFIO));
	else
		fd = chan_open(NULL, flags);
	if (fd == -1 && errno != EACCES && errno != EPERM &&
	    errno != EMFILE && errno != ENFILE && errno != ENOMEM)
		errno = ENOENT;
	if (fd != -1 && what >= PRELOAD_VFIO)
		preload_dev_add(fd);
	return (fd);
}

static int
preload_needs_mode(int flags)
{
	return ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE);
}

/*
 * In a variadic open wrapper: the mode argument, present only when flags
 * call for one (reading an absent one would be undefined).
 */
#define PRELOAD_MODE(flags, mode) do {					\
	va_list	ap_;							\
									\
	if (preload_needs_mode(flags)) {				\
		va_start(ap_, flags);					\
		(mode) = va_arg(ap_, int);				\
		va_end(ap_);						\
	}								\
} while (0)

PRELOAD_EXPORT int
open(const char *path, int flags, ...)
{
	unsigned long	what;
	mode_t		mode = 0;

	PRELOAD_MODE(flags, mode);
	if ((what = preload_is_node(AT_FDCWD, path)) != PRELOAD_NONE)
		return (preload_open_node(what, flags));
	PRELOAD_REAL(real_open, "open");
	return (real_open(path, flags, mode));
}

PRELOAD_EXPORT int
open64(const char *path, int flags, ...)
{
	unsigned long	what;
	mode_t		mode = 0;

	PRELOAD_MODE(flags, mode);
	if ((what = preload_is_node(AT_FDCWD, path)) != PRELOAD_NONE)
		return (preload_open_node(what, flags));
	PRELOAD_REAL(real_open64, "open64");
	return (real_open64(path, flags, mode));
}

PRELOAD_EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	unsigned long	what;
	mode_t		mode = 0;

	PRELOAD_MODE(flags, mode);
	if ((what = preload_is_node(dirfd, path)) != PRELOAD_NONE)
		return (preload_open_node(what, flags));
	PRELOAD_REAL(real_openat, "openat");
	return (real_openat(dirfd, path, flags, mode));
}

PRELOAD_EXPORT int
openat64(int dirfd, const char *path, int flags, ...)
{
	unsigned long	what;
	mode_t		mode = 0;

	PRELOAD_MODE(flags, mode);
	if ((what = preload_is_node(dirfd, path)) != PRELOAD_NONE)
		return (preload_open_node(what, flags));
	PRELOAD_REAL(real_openat64, "openat64");
	return (real_openat64(dirfd, path, flags, mode));
}

PRELOAD_EXPORT int
__open_2(const char *path, int flags)
{
	unsigned long	what;
	if ((what = preload_is_node(AT_FDCWD, path)) != PRELOAD_NONE)
		return (preload_open_node(what, flags));
	PRELOAD_REAL(real_open_2, "__open_2");
	return (real_open_2(path, flags));
}

PRELOAD_EXPORT int
__open64_2(const char *path, int flags)
{
	unsigned long	what;
	if ((what = preload_is_node(AT_FDCWD, path)) != PRELOAD_NONE)
		return (preload_open_node(what, flags));
	PRELOAD_REAL(real_open64_2, "__open64_2");
	return (real_open64_2(path, flags));
}

PRELOAD_EXPORT int
__openat_2(int dirfd, const char *path, int flags)
{
	unsigned long	what;
	if ((what = preload_is_node(dirfd, path)) != PRELOAD_NONE)
		return (preload_open_node(what, flags));
	PRELOAD_REAL(real_openat_2, "__openat_2");
	return (real_openat_2(dirfd, path, flags));
}

PRELOAD_EXPORT int
__openat64_2(int dirfd, const char *path, int flags)
{
	unsigned long	what;
	if ((what = preload_is_node(dirfd, path)) != PRELOAD_NONE)
		return (preload_open_node(what, flags));
	PRELOAD_REAL(real_openat64_2, "__openat64_2");
	return (real_openat64_2(dirfd, path, flags));
}

/* The node through stdio: only the "e" (close-on-exec) letter matters. */
static FILE *
preload_fopen_node(unsigned long what, const char *mode)
{
	FILE	*f;
	int	 fd, saved;

	fd = preload_open_node(what, strchr(mode, 'e') != NULL ? O_CLOEXEC :
	    0);
	if (fd == -1)
		return (NULL);
	if ((f = fdopen(fd, mode)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return (f);
}

PRELOAD_EXPORT FILE *
fopen(const char *path, const char *mode)
{
	unsigned long	what;

	if (mode != NULL &&
	    (what = preload_is_node(AT_FDCWD, path)) != PRELOAD_NONE &&
	    what != PRELOAD_FAILNTH)
		return (preload_fopen_node(what, mode));
	PRELOAD_REAL(real_fopen, "fopen");
	return (real_fopen(path, mode));
}

PRELOAD_EXPORT FILE *
fopen64(const char *path, const char *mode)
{
	unsigned long	what;

	if (mode != NULL &&
	    (what = preload_is_node(AT_FDCWD, path)) != PRELOAD_NONE &&
	    what != PRELOAD_FAILNTH)
		return (preload_fopen_node(what, mode));
	PRELOAD_REAL(real_fopen64, "fopen64");
	return (real_fopen64(path, mode));
}

/*
 * The ioctls the kernel answers for every descriptor before the driver
 * sees them; the socket answers them the same way a device node would.
 */
static int
preload_vfs_ioctl(unsigned long req)
{
	switch ((unsigned int)req) {
	case FIOCLEX:
	case FIONCLEX:
	case FIONBIO:
	case FIOASYNC:
		return (1);
	}
	return (0);
}

/*
 * vEVENTQ descriptors. The daemon writes a vEVENTQ's records into a
 * stream socket, whose read() knows no records; the kernel's read of the
 * queue takes only whole records, answers EINVAL for a buffer smaller
 * than a header or than the first event, and 0 when the queue is empty
 * (spec 6.2). So the library notes each descriptor IOMMU_VEVENTQ_ALLOC
 * gives it (by number, below PRELOAD_VQ_MAX, with its inode, since a
 * number is reused after a close) and the payload length of its type,
 * and serves read() of it with those rules: it peeks at what is queued
 * and takes the whole records that fit. Copies made with dup() or kept
 * across exec() read as the plain stream. Every other read() costs one
 * look at this table.
 *
 * Fault queue descriptors (IOMMU_FAULT_QUEUE_ALLOC) are noted the same
 * way: their socket carries one page request group per packet, and the
 * kernel's read() takes as many whole groups as fit, answers ESPIPE for
 * a length that is not a whole number of records and 0 when nothing
 * waits; its write() answers ESPIPE for a length that is not a whole
 * number of responses (spec 6.1). Every other write() costs one look.
 */
#define PRELOAD_VQ_MAX	1024
#define PRELOAD_VQ_FAULT	UINT32_MAX	/* a fault queue, not a vEVENTQ */

struct preload_vq {
	dev_t		 dev;
	ino_t		 ino;
	uint32_t	 data_len;	/* 0: neither; or PRELOAD_VQ_FAULT */
};

static struct preload_vq	preload_vqs[PRELOAD_VQ_MAX];
static pthread_mutex_t		preload_vq_lock = PTHREAD_MUTEX_INITIALIZER;

/* Note the descriptor a successful VEVENTQ_ALLOC or FAULT_QUEUE_ALLOC gave. */
static void
preload_vq_add(unsigned long req, void *arg)
{
	const char			*p = arg;
	struct stat			 st;
	uint32_t			 len, type, ufd;
	int				 fd, saved = errno;

	/* The caller's struct may sit at any address: copy, never cast. */
	if ((uint32_t)req == IOMMU_VEVENTQ_ALLOC) {
		memcpy(&type, p + offsetof(struct iommu_veventq_alloc, type),
		    sizeof(type));
		memcpy(&ufd, p + offsetof(struct iommu_veventq_alloc,
		    out_veventq_fd), sizeof(ufd));
		len = (uint32_t)uapi_vevent_len(type);
	} else if ((uint32_t)req == IOMMU_FAULT_QUEUE_ALLOC) {
		memcpy(&ufd, p + offsetof(struct iommu_fault_alloc,
		    out_fault_fd), sizeof(ufd));
		len = PRELOAD_VQ_FAULT;
	} else
		return;
	fd = (int)ufd;
	if (len == 0 || fd < 0 || fd >= PRELOAD_VQ_MAX ||
	    fstat(fd, &st) == -1) {
		errno = saved;
		return;
	}
	pthread_mutex_lock(&preload_vq_lock);
	preload_vqs[fd].dev = st.st_dev;
	preload_vqs[fd].ino = st.st_ino;
	__atomic_store_n(&preload_vqs[fd].data_len, len, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&preload_vq_lock);
}

/* Is fd still the queue noted under its number? Forget it if not. */
static uint32_t
preload_vq_len(int fd)
{
	struct preload_vq	 vq;
	struct stat		 st;
	int			 saved = errno;

	pthread_mutex_lock(&preload_vq_lock);
	vq = preload_vqs[fd];
	pthread_mutex_unlock(&preload_vq_lock);
	if (vq.data_len != 0 && fstat(fd, &st) == 0 && st.st_dev == vq.dev &&
	    st.st_ino == vq.ino) {
		errno = saved;
		return (vq.data_len);
	}
	pthread_mutex_lock(&preload_vq_lock);
	if (preload_vqs[fd].dev == vq.dev && preload_vqs[fd].ino == vq.ino)
		__atomic_store_n(&preload_vqs[fd].data_len, 0,
		    __ATOMIC_RELEASE);
	pthread_mutex_unlock(&preload_vq_lock);
	errno = saved;
	return (0);
}

/* A read() of a fault queue: whole groups, as the kernel's (see above). */
static ssize_t
preload_fault_read(int fd, void *buf, size_t count)
{
	uint8_t		*p = buf;
	size_t		 done = 0;
	ssize_t		 n;

	if (count % sizeof(struct iommu_hwpt_pgfault) != 0) {
		errno = ESPIPE;
		return (-1);
	}
	while (done < count) {
		/* The next group's length, without taking it. */
		n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    done == 0)
			return (-1);
		if (n <= 0 || (size_t)n > count - done)
			break;
		if ((n = recv(fd, p + done, (size_t)n, MSG_DONTWAIT)) <= 0)
			break;
		done += (size_t)n;
	}
	return ((ssize_t)done);
}

/* A read() of a vEVENTQ: whole records, as the kernel's (see above). */
static ssize_t
preload_vq_read(int fd, void *buf, size_t count, uint32_t data_len)
{
	struct iommufd_vevent_header	 hdr;
	const uint8_t			*p = buf;
	size_t				 off = 0, rlen;
	ssize_t				 n;

	if (count < sizeof(hdr)) {
		errno = EINVAL;
		return (-1);
	}
	n = recv(fd, buf, count, MSG_PEEK | MSG_DONTWAIT);
	if (n == -1)
		return (errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1);
	while (off + sizeof(hdr) <= (size_t)n) {
		memcpy(&hdr, p + off, sizeof(hdr));
		rlen = sizeof(hdr);
		if (!(hdr.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS))
			rlen += data_len;
		if (rlen > count - off) {
			/* The first event does not fit the buffer at all. */
			if (off == 0) {
				errno = EINVAL;
				return (-1);
			}
			break;
		}
		if (rlen > (size_t)n - off)
			break;		/* the rest is still on its way */
		off += rlen;
	}
	if (off == 0)
		return (0);
	return (recv(fd, buf, off, MSG_DONTWAIT));
}

/*
 * VFIO device descriptors. The kernel's device file answers pread() and
 * pwrite() of its regions (the region index in the offset's high bits),
 * and read() and write() at the file position, which every access
 * advances by what it moved and no lseek() can change (the file has no
 * llseek). A socket answers none of that, so the library notes which
 * descriptors are device opens and turns each such call into
 * IOASIDD_REGION_READ or IOASIDD_REGION_WRITE requests (proto/ioasidd.h),
 * pieces of at most IOASIDD_REGION_RW_MAX bytes, until one comes back
 * short. A descriptor is noted (by number, below PRELOAD_DEV_MAX, with its
 * inode, since a number is reused after a close) when the library opens a
 * device node, when a device command (GET_INFO, BIND) succeeds on one of
 * our sockets, and at start for the numbers $IOASIDD_DEVICE_FDS lists
 * (ioasidctl run sets it) that are sockets of ours. Every other call of
 * these functions costs one look at this table.
 */
#define PRELOAD_DEV_MAX		1024
/* The most one call moves, as the kernel's MAX_RW_COUNT on 4 KiB pages. */
#define PRELOAD_RW_COUNT	((size_t)INT_MAX & ~(size_t)4095)

struct preload_dev {
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 pos;		/* read()/write() position */
	int		 used;
};

static struct preload_dev	preload_devs[PRELOAD_DEV_MAX];
static pthread_mutex_t		preload_dev_lock = PTHREAD_MUTEX_INITIALIZER;

static void
preload_dev_add(int fd)
{
	struct stat	st;
	int		saved = errno;

	if (fd < 0 || fd >= PRELOAD_DEV_MAX || fstat(fd, &st) == -1 ||
	    !S_ISSOCK(st.st_mode)) {
		errno = saved;
		return;
	}
	pthread_mutex_lock(&preload_dev_lock);
	if (!preload_devs[fd].used || preload_devs[fd].dev != st.st_dev ||
	    preload_devs[fd].ino != st.st_ino) {
		preload_devs[fd].dev = st.st_dev;
		preload_devs[fd].ino = st.st_ino;
		preload_devs[fd].pos = 0;
	}
	__atomic_store_n(&preload_devs[fd].used, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&preload_dev_lock);
	errno = saved;
}

/* The numbers $IOASIDD_DEVICE_FDS lists that are sockets of ours. */
static __attribute__((__constructor__)) void
preload_dev_init(void)
{
	const char	*v, *p;
	char		*end;
	long		 n;
	int		 saved = errno;

	if ((v = getenv(WIRE_ENV_DEVICE_FDS)) == NULL)
		return;
	for (p = v; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		errno = 0;
		n = strtol(p, &end, 10);
		if (end == p || errno != 0)
			break;
		if (n >= 0 && n < PRELOAD_DEV_MAX && chan_is_ours((int)n))
			preload_dev_add((int)n);
	}
	errno = saved;
}

/* Is fd still the device noted under its number? Forget it if not. */
static int
preload_dev_is(int fd)
{
	struct stat	st;
	dev_t		dev;
	ino_t		ino;
	int		saved = errno;

	if (fd < 0 || fd >= PRELOAD_DEV_MAX ||
	    !__atomic_load_n(&preload_devs[fd].used, __ATOMIC_ACQUIRE))
		return (0);
	pthread_mutex_lock(&preload_dev_lock);
	dev = preload_devs[fd].dev;
	ino = preload_devs[fd].ino;
	pthread_mutex_unlock(&preload_dev_lock);
	if (fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino) {
		errno = saved;
		return (1);
	}
	pthread_mutex_lock(&preload_dev_lock);
	if (preload_devs[fd].dev == dev && preload_devs[fd].ino == ino)
		__atomic_store_n(&preload_devs[fd].used, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&preload_dev_lock);
	errno = saved;
	return (0);
}

/*
 * Device descriptors through close, dup, dup2, dup3 and fcntl(F_DUPFD*):
 * a copy is the same device (the same socket), so it is noted under its
 * number as well; a number closed is forgotten at once.
 */
static void
preload_dev_forget(int fd)
{
	if (fd >= 0 && fd < PRELOAD_DEV_MAX)
		__atomic_store_n(&preload_devs[fd].used, 0, __ATOMIC_RELEASE);
}

/* After newfd = a copy of oldfd (wasdev: oldfd was a device): note it. */
static int
preload_dev_copied(int newfd, int wasdev)
{
	if (newfd >= 0) {
		if (wasdev)
			preload_dev_add(newfd);
		else
			preload_dev_forget(newfd);
	}
	return (newfd);
}

PRELOAD_EXPORT int
close(int fd)
{
	if (preload_passthrough())
		passthru_close(fd);
	preload_dev_forget(fd);
	PRELOAD_REAL(real_close, "close");
	return (real_close(fd));
}

PRELOAD_EXPORT int
dup(int fd)
{
	int	wasdev = preload_dev_is(fd);

	PRELOAD_REAL(real_dup, "dup");
	return (preload_dev_copied(real_dup(fd), wasdev));
}

PRELOAD_EXPORT int
dup2(int fd, int newfd)
{
	int	wasdev = preload_dev_is(fd);

	PRELOAD_REAL(real_dup2, "dup2");
	if (real_dup2(fd, newfd) == -1)
		return (-1);
	return (fd == newfd ? newfd : preload_dev_copied(newfd, wasdev));
}

PRELOAD_EXPORT int
dup3(int fd, int newfd, int flags)
{
	int	wasdev = preload_dev_is(fd);

	PRELOAD_REAL(real_dup3, "dup3");
	if (real_dup3(fd, newfd, flags) == -1)
		return (-1);
	return (preload_dev_copied(newfd, wasdev));
}

/* fcntl(): F_DUPFD and F_DUPFD_CLOEXEC copy; the rest pass through. */
static int
preload_fcntl(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	int	wasdev, rc;

	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return (real(fd, cmd, arg));
	wasdev = preload_dev_is(fd);
	rc = real(fd, cmd, arg);
	return (preload_dev_copied(rc, wasdev));
}

/* fcntl has at most one argument, a pointer or an integer. */
PRELOAD_EXPORT int
fcntl(int fd, int cmd, ...)
{
	va_list	 ap;
	void	*arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	PRELOAD_REAL(real_fcntl, "fcntl");
	return (preload_fcntl(real_fcntl, fd, cmd, arg));
}

PRELOAD_EXPORT int
fcntl64(int fd, int cmd, ...)
{
	va_list	 ap;
	void	*arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	PRELOAD_REAL(real_fcntl64, "fcntl64");
	if (real_fcntl64 == NULL) {
		PRELOAD_REAL(real_fcntl, "fcntl");
		return (preload_fcntl(real_fcntl, fd, cmd, arg));
	}
	return (preload_fcntl(real_fcntl64, fd, cmd, arg));
}

/*
 * KVM's kvm-vfio device (proto/ioasidd_kvm.h). A VMM with KVM adds each
 * VFIO device descriptor to it with KVM_SET_DEVICE_ATTR, group
 * KVM_DEV_VFIO_FILE; a kernel refuses our sockets there. For a device
 * descriptor of ours the library answers instead, with the errnos of
 * virt/kvm/vfio.c (an unreadable attr or descriptor EFAULT, an unknown
 * attr ENXIO, a closed descriptor EBADF, a second ADD EEXIST, a DEL of
 * what was not added ENOENT, one VM too many ENOMEM), and tells the
 * daemon. Every other call, a descriptor not ours included, is the
 * kernel's. The kvm-vfio descriptor is the one /proc/self/fd names
 * "anon_inode:kvm-vfio", or one of the numbers $IOASIDD_KVM_VFIO_FD
 * lists, comma-separated (stand-ins, for tests on machines without
 * /dev/kvm).
 *
 * A VM is numbered here: kvm-vfio descriptors that are one file (kcmp(2)
 * KCMP_FILE; the number itself where kcmp is missing) share a number,
 * and at most PRELOAD_VM_MAX VMs are remembered at a time.
 */
#ifndef KVM_DEV_VFIO_FILE
#define KVM_DEV_VFIO_FILE		KVM_DEV_VFIO_GROUP
#define KVM_DEV_VFIO_FILE_ADD		1
#define KVM_DEV_VFIO_FILE_DEL		2
#endif
#define PRELOAD_VM_MAX		8

struct preload_vm {
	int		fd;		/* a kvm-vfio descriptor of it */
	uint64_t	id;		/* 0: a free slot */
};

static struct preload_vm	preload_vms[PRELOAD_VM_MAX];
static uint64_t			preload_vm_next;
static pthread_mutex_t		preload_vm_lock = PTHREAD_MUTEX_INITIALIZER;

/* Is fd a kvm-vfio device (or the stand-in the environment names)? */
static int
preload_is_kvm_vfio(int fd)
{
	static const char	 want[] = "anon_inode:kvm-vfio";
	char			 path[64], link[sizeof(want) + 1];
	const char		*v;
	char			*end;
	ssize_t			 n;
	long			 sfd;

	/* A list of numbers, comma-separated. */
	for (v = getenv("IOASIDD_KVM_VFIO_FD"); v != NULL && *v != '\0';
	    v = *end == ',' ? end + 1 : end) {
		errno = 0;
		sfd = strtol(v, &end, 10);
		if (end == v || errno != 0)
			break;
		if (sfd == fd)
			return (1);
	}
	if (fd < 0)
		return (0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((n = readlink(path, link, sizeof(link))) != sizeof(want) - 1)
		return (0);
	return (memcmp(link, want, sizeof(want) - 1) == 0);
}

/* Are descriptors a and b one file? */
static int
preload_same_file(int a, int b)
{
	long	rc;

	if (a == b)
		return (1);
	rc = syscall(SYS_kcmp, (pid_t)getpid(), (pid_t)getpid(), KCMP_FILE,
	    (unsigned long)a, (unsigned long)b);
	return (rc == 0);
}

/* The number of the VM kvm-vfio descriptor kfd belongs to (never 0). */
static uint64_t
preload_vm_id(int kfd)
{
	struct preload_vm	*vm, *free_slot = NULL;
	uint64_t		 id;
	size_t			 i;

	pthread_mutex_lock(&preload_vm_lock);
	for (i = 0; i < PRELOAD_VM_MAX; i++) {
		vm = &preload_vms[i];
		if (vm->id != 0 && preload_same_file(vm->fd, kfd)) {
			id = vm->id;
			pthread_mutex_unlock(&preload_vm_lock);
			return (id);
		}
	}
	/*
	 * A new VM: in a free slot, or in place of the one whose number
	 * kfd now has (that file is gone), or of the oldest.
	 */
	for (i = 0; i < PRELOAD_VM_MAX; i++) {
		vm = &preload_vms[i];
		if (vm->id == 0 || vm->fd == kfd) {
			free_slot = vm;
			break;
		}
	}
	if (free_slot == NULL)
		free_slot = &preload_vms[preload_vm_next % PRELOAD_VM_MAX];
	free_slot->fd = kfd;
	free_slot->id = id = ++preload_vm_next;
	pthread_mutex_unlock(&preload_vm_lock);
	return (id);
}

/* Copy len bytes of our own memory at addr without faulting: 0 or -1. */
static int
preload_peek(void *buf, uintptr_t addr, size_t len)
{
	struct iovec	local = { buf, len };
	struct iovec	remote = { (void *)addr, len };

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
	    (ssize_t)len)
		return (0);
	if (errno == EFAULT)
		return (-1);
	/* Not allowed here (a seccomp policy, say): read it as it is. */
	memcpy(buf, (void *)addr, len);
	return (0);
}

/*
 * KVM_SET_DEVICE_ATTR on kvm-vfio descriptor kfd: 1 with *rc (and
 * errno) when it was ours to answer, 0 when the kernel answers.
 */
static int
preload_kvm_attr(int kfd, void *arg, int *rc)
{
	struct kvm_device_attr	 attr;
	struct ioasidd_kvm_file	 k;
	int32_t			 dfd;
	int			 r, saved = errno;

	if (!preload_is_kvm_vfio(kfd) ||
	    preload_peek(&attr, (uintptr_t)arg, sizeof(attr)) != 0 ||
	    attr.group != KVM_DEV_VFIO_FILE) {
		errno = saved;
		return (0);
	}
	if (attr.attr != KVM_DEV_VFIO_FILE_ADD &&
	    attr.attr != KVM_DEV_VFIO_FILE_DEL) {
		/* SPAPR_TCE is the kernel's where it has one. */
		if (attr.attr == KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE) {
			errno = saved;
			return (0);
		}
		errno = ENXIO;
		*rc = -1;
		return (1);
	}
	if (preload_peek(&dfd, (uintptr_t)attr.addr, sizeof(dfd)) != 0) {
		errno = EFAULT;
		*rc = -1;
		return (1);
	}
	if (!preload_dev_is(dfd)) {
		/* A closed number is EBADF; an open one the kernel's. */
		if (dfd < 0 || fcntl(dfd, F_GETFD) == -1) {
			errno = EBADF;
			*rc = -1;
			return (1);
		}
		errno = saved;
		return (0);
	}
	memset(&k, 0, sizeof(k));
	k.argsz = sizeof(k);
	k.op = attr.attr == KVM_DEV_VFIO_FILE_ADD ? IOASIDD_KVM_FILE_ADD :
	    IOASIDD_KVM_FILE_DEL;
	k.pid = getpid();
	k.kvm_fd = kfd;
	k.vm_id = preload_vm_id(kfd);
	if (!chan_try_ioctl_node(dfd, IOASIDD_KVM_FILE, &k, &r, 1)) {
		/* No longer a socket of ours: closed meanwhile. */
		errno = saved;
		return (0);
	}
	*rc = r;
	return (1);
}

/*
 * Move count bytes at the device's offset off, as pread()/pwrite() would:
 * the bytes moved (fewer at a region's end), or -1 with errno. An error
 * after some bytes moved gives those bytes, as a short read. The checks
 * are the kernel's before its driver sees the call: a negative offset,
 * or one whose end would pass the largest offset, is EINVAL.
 */
static ssize_t
preload_region_rw(int fd, void *buf, size_t count, off_t off, int write)
{
	struct ioasidd_region_rw	 rw;
	uint8_t				*p = buf;
	size_t				 done = 0, n;
	int				 rc;

	if (off < 0) {
		errno = EINVAL;
		return (-1);
	}
	if (count > PRELOAD_RW_COUNT)
		count = PRELOAD_RW_COUNT;
	if ((uint64_t)off + count > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return (-1);
	}
	do {
		n = count - done;
		if (n > IOASIDD_REGION_RW_MAX)
			n = IOASIDD_REGION_RW_MAX;
		memset(&rw, 0, sizeof(rw));
		rw.argsz = sizeof(rw);
		rw.offset = (uint64_t)off + done;
		rw.length = n;
		rw.data_uptr = (uintptr_t)(p + done);
		if (!chan_try_ioctl(fd, write ? IOASIDD_REGION_WRITE :
		    IOASIDD_REGION_READ, &rw, &rc)) {
			/* No longer a socket of ours: closed meanwhile. */
			errno = EBADF;
			rc = -1;
		}
		if (rc < 0)
			return (done != 0 ? (ssize_t)done : -1);
		done += (size_t)rc;
	} while ((size_t)rc == n && done < count);
	return ((ssize_t)done);
}

/* read()/write() of a device: at its position, which moves on. */
static ssize_t
preload_dev_rw_pos(int fd, void *buf, size_t count, int write)
{
	uint64_t	pos;
	ssize_t		n;

	pos = __atomic_load_n(&preload_devs[fd].pos, __ATOMIC_ACQUIRE);
	if (pos > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return (-1);
	}
	n = preload_region_rw(fd, buf, count, (off_t)pos, write);
	if (n > 0)
		__atomic_fetch_add(&preload_devs[fd].pos, (uint64_t)n,
		    __ATOMIC_ACQ_REL);
	return (n);
}

/*
 * preadv()/pwritev() of a device: one iovec after another, stopping at
 * the first short one, as the kernel does for a file without read_iter.
 * off -1 means the position to preadv2() (v2), EINVAL to preadv(). Of the flags, the kernel lets
 * only RWF_HIPRI through to such a file (EOPNOTSUPP otherwise), and it
 * changes nothing here.
 */
static ssize_t
preload_dev_rwv(int fd, const struct iovec *iov, int iovcnt, off_t off,
    int flags, int v2, int write)
{
	size_t		total = 0;
	ssize_t		n, done = 0;
	int		i, usepos = v2 && off == -1;

	if (flags & ~RWF_HIPRI) {
		errno = EOPNOTSUPP;
		return (-1);
	}
	if (iovcnt < 0 || iovcnt > IOV_MAX) {
		errno = EINVAL;
		return (-1);
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - total) {
			errno = EINVAL;
			return (-1);
		}
		total += iov[i].iov_len;
	}
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len == 0)
			continue;
		n = usepos ? preload_dev_rw_pos(fd, iov[i].iov_base,
		    iov[i].iov_len, write) : preload_region_rw(fd,
		    iov[i].iov_base, iov[i].iov_len, off + done, write);
		if (n < 0)
			return (done != 0 ? done : -1);
		done += n;
		if ((size_t)n < iov[i].iov_len)
			break;
	}
	return (done);
}

PRELOAD_EXPORT ssize_t
read(int fd, void *buf, size_t count)
{
	uint32_t	 len;
	ssize_t		 rv;

	if (failnth_read_fd(fd, buf, count, &rv))
		return (rv);
	if (preload_dev_is(fd))
		return (preload_dev_rw_pos(fd, buf, count, 0));
	PRELOAD_REAL(real_read, "read");
	if (fd >= 0 && fd < PRELOAD_VQ_MAX &&
	    __atomic_load_n(&preload_vqs[fd].data_len, __ATOMIC_ACQUIRE) != 0 &&
	    (len = preload_vq_len(fd)) != 0)
		return (len == PRELOAD_VQ_FAULT ?
		    preload_fault_read(fd, buf, count) :
		    preload_vq_read(fd, buf, count, len));
	return (real_read(fd, buf, count));
}

PRELOAD_EXPORT ssize_t
write(int fd, const void *buf, size_t count)
{
	ssize_t		 rv;

	if (failnth_write_fd(fd, buf, count, &rv))
		return (rv);
	if (preload_dev_is(fd))
		return (preload_dev_rw_pos(fd, (void *)(uintptr_t)buf, count,
		    1));
	PRELOAD_REAL(real_write, "write");
	if (fd >= 0 && fd < PRELOAD_VQ_MAX &&
	    __atomic_load_n(&preload_vqs[fd].data_len, __ATOMIC_ACQUIRE) ==
	    PRELOAD_VQ_FAULT && preload_vq_len(fd) == PRELOAD_VQ_FAULT &&
	    count % sizeof(struct iommu_hwpt_page_response) != 0) {
		errno = ESPIPE;
		return (-1);
	}
	return (real_write(fd, buf, count));
}

/* glibc's fortified read(); no public header declares it. */
void	__chk_fail(void) __attribute__((__noreturn__));
ssize_t	__read_chk(int, void *, size_t, size_t);

PRELOAD_EXPORT ssize_t
__read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	if (count > buflen)
		__chk_fail();
	return (read(fd, buf, count));
}

/* ioctl has at most one argument, a pointer or an integer. */
PRELOAD_EXPORT int
ioctl(int fd, unsigned long req, ...)
{
	va_list	 ap;
	void	*arg;
	int	 rc;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (preload_passthrough()) {
		PRELOAD_REAL(real_ioctl, "ioctl");
		return (passthru_ioctl(fd, req, arg, real_ioctl));
	}
	if ((uint32_t)req == (uint32_t)KVM_SET_DEVICE_ATTR &&
	    preload_kvm_attr(fd, arg, &rc))
		return (rc);
	if (!preload_vfs_ioctl(req) && chan_try_ioctl_node(fd, req, arg, &rc,
	    preload_dev_is(fd))) {
		if (rc == 0)
			preload_vq_add(req, arg);
		if (rc == 0 && ((uint32_t)req == VFIO_DEVICE_GET_INFO ||
		    (uint32_t)req == VFIO_DEVICE_BIND_IOMMUFD))
			preload_dev_add(fd);
		return (rc);
	}
	PRELOAD_REAL(real_ioctl, "ioctl");
	return (real_ioctl(fd, req, arg));
}

/*
 * The mappings mmap() made of a daemon socket's pages, so that their
 * munmap() is told to the daemon (IOASIDD_MMAP_UNMAP): the kernel sees a
 * mapping end, and the daemon's trace must say when it did. A munmap()
 * of part of one tells that part and keeps the rest (a hole in the middle
 * keeps the whole range listed; unmapping its pages again is told again
 * and harmless). The socket is the one mapped through; once it is closed
 * nothing can be told. Past PRELOAD_MAPS mappings the oldest are
 * forgotten, their ends untold.
 */
#define PRELOAD_MAPS	64

struct preload_map {
	uintptr_t	 addr;
	size_t		 len;
	uint64_t	 offset;	/* the mmap() offset of addr */
	int		 fd;		/* the daemon socket */
};

static pthread_mutex_t		preload_map_lock = PTHREAD_MUTEX_INITIALIZER;
static struct preload_map	preload_maps[PRELOAD_MAPS];
static unsigned int		preload_nmaps;

static void
preload_map_add(void *p, size_t len, int fd, uint64_t offset)
{
	pthread_mutex_lock(&preload_map_lock);
	if (preload_nmaps == PRELOAD_MAPS) {
		memmove(&preload_maps[0], &preload_maps[1],
		    (PRELOAD_MAPS - 1) * sizeof(preload_maps[0]));
		preload_nmaps--;
	}
	preload_maps[preload_nmaps].addr = (uintptr_t)p;
	preload_maps[preload_nmaps].len = len;
	preload_maps[preload_nmaps].offset = offset;
	preload_maps[preload_nmaps].fd = fd;
	__atomic_store_n(&preload_nmaps, preload_nmaps + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&preload_map_lock);
}

/*
 * [addr, addr + len) was unmapped: each listed mapping it covers part of
 * loses that part, and the daemon is told of it.
 */
static void
preload_map_gone(uintptr_t addr, size_t len)
{
	struct ioasidd_mmap	 m;
	struct preload_map	*pm;
	uintptr_t		 lo, hi, end = addr + len;
	unsigned int		 i;
	int			 rc;

	pthread_mutex_lock(&preload_map_lock);
	for (i = 0; i < preload_nmaps;) {
		pm = &preload_maps[i];
		lo = addr > pm->addr ? addr : pm->addr;
		hi = end < pm->addr + pm->len ? end : pm->addr + pm->len;
		if (lo >= hi) {
			i++;
			continue;
		}
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		m.flags = IOASIDD_MMAP_SHARED | IOASIDD_MMAP_UNMAP;
		m.offset = pm->offset + (lo - pm->addr);
		m.length = hi - lo;
		m.out_fd = -1;
		if (chan_is_ours(pm->fd))
			(void)chan_try_ioctl(pm->fd, IOASIDD_MMAP, &m, &rc);
		if (lo == pm->addr && hi == pm->addr + pm->len) {
			*pm = preload_maps[--preload_nmaps];
			continue;
		}
		if (lo == pm->addr) {
			pm->offset += hi - pm->addr;
			pm->len -= hi - pm->addr;
			pm->addr = hi;
		} else if (hi == pm->addr + pm->len)
			pm->len = lo - pm->addr;
		i++;
	}
	pthread_mutex_unlock(&preload_map_lock);
}

PRELOAD_EXPORT int
munmap(void *addr, size_t len)
{
	long	page;
	int	rc, saved;

	PRELOAD_REAL(real_munmap, "munmap");
	rc = real_munmap(addr, len);
	if (rc != 0 || __atomic_load_n(&preload_nmaps,
	    __ATOMIC_ACQUIRE) == 0)
		return (rc);
	saved = errno;
	page = sysconf(_SC_PAGESIZE);
	preload_map_gone((uintptr_t)addr, (len + (size_t)page - 1) &
	    ~((size_t)page - 1));
	errno = saved;
	return (rc);
}

/*
 * mmap() of a daemon socket: the kernel maps a page a driver offers on
 * the iommufd (proto/ioasidd.h). The daemon judges the request and sends
 * a descriptor of the page's memory file, mapped here in the caller's
 * place and closed; what the kernel's mmap checks before the driver sees
 * the call (a length of 0, an offset that is not page aligned) is
 * answered here. Any other descriptor goes to the real call.
 */
static void *
preload_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off,
    void *(*real)(void *, size_t, int, int, int, off_t))
{
	struct ioasidd_mmap	 m;
	long			 page = sysconf(_SC_PAGESIZE);
	void			*p;
	int			 saved = errno, rc;

	if (fd < 0 || !chan_is_ours(fd)) {
		errno = saved;
		return (real(addr, len, prot, flags, fd, off));
	}
	if (len == 0 || off < 0 || (off & (page - 1)) != 0) {
		errno = EINVAL;
		return (MAP_FAILED);
	}
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.offset = (uint64_t)off;
	m.length = ((uint64_t)len + (uint64_t)page - 1) & ~((uint64_t)page - 1);
	if ((flags & MAP_TYPE) == MAP_SHARED ||
	    (flags & MAP_TYPE) == MAP_SHARED_VALIDATE)
		m.flags |= IOASIDD_MMAP_SHARED;
	if (prot & PROT_EXEC)
		m.flags |= IOASIDD_MMAP_EXEC;
	m.out_fd = -1;
	if (!chan_try_ioctl(fd, IOASIDD_MMAP, &m, &rc)) {
		errno = ENODEV;
		return (MAP_FAILED);
	}
	if (rc == -1)
		return (MAP_FAILED);
	p = real(addr, len, prot, flags, m.out_fd, 0);
	saved = errno;
	close(m.out_fd);
	if (p != MAP_FAILED)
		preload_map_add(p, (size_t)m.length, fd, m.offset);
	errno = saved;
	return (p);
}

PRELOAD_EXPORT void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	PRELOAD_REAL(real_mmap, "mmap");
	return (preload_mmap(addr, len, prot, flags, fd, off, real_mmap));
}

PRELOAD_EXPORT void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	PRELOAD_REAL(real_mmap64, "mmap64");
	return (preload_mmap(addr, len, prot, flags, fd, off, real_mmap64));
}

/*
 * pread() and pwrite() and their vector forms: a device descriptor's
 * regions (see VFIO device descriptors), anything else the real call.
 * glibc's pread and pread64 are one function under two names, as are the
 * others with and without 64; each name gets its own wrapper, since a
 * program links to one of them.
 */
#define PRELOAD_PRW(name, type, rw)					\
PRELOAD_EXPORT ssize_t							\
name(int fd, type buf, size_t count, off_t off)				\
{									\
	ssize_t	rv;							\
									\
	if ((rw) ? failnth_pwrite_fd(fd, buf, count, off, &rv) :	\
	    failnth_pread_fd(fd, (void *)(uintptr_t)buf, count, off, &rv)) \
		return (rv);						\
	if (preload_dev_is(fd))						\
		return (preload_region_rw(fd, (void *)(uintptr_t)buf,	\
		    count, off, (rw)));					\
	PRELOAD_REAL(real_##name, #name);				\
	return (real_##name(fd, buf, count, off));			\
}

PRELOAD_PRW(pread, void *, 0)
PRELOAD_PRW(pread64, void *, 0)
PRELOAD_PRW(pwrite, const void *, 1)
PRELOAD_PRW(pwrite64, const void *, 1)

#define PRELOAD_PRWV(name, rw)						\
PRELOAD_EXPORT ssize_t							\
name(int fd, const struct iovec *iov, int iovcnt, off_t off)		\
{									\
	if (preload_dev_is(fd))						\
		return (preload_dev_rwv(fd, iov, iovcnt, off, 0, 0, (rw))); \
	PRELOAD_REAL(real_##name, #name);				\
	return (real_##name(fd, iov, iovcnt, off));			\
}

PRELOAD_PRWV(preadv, 0)
PRELOAD_PRWV(preadv64, 0)
PRELOAD_PRWV(pwritev, 1)
PRELOAD_PRWV(pwritev64, 1)

#define PRELOAD_PRWV2(name, rw)						\
PRELOAD_EXPORT ssize_t							\
name(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags) \
{									\
	if (preload_dev_is(fd))						\
		return (preload_dev_rwv(fd, iov, iovcnt, off, flags, 1,	\
		    (rw)));						\
	PRELOAD_REAL(real_##name, #name);				\
	return (real_##name(fd, iov, iovcnt, off, flags));		\
}

PRELOAD_PRWV2(preadv2, 0)
PRELOAD_PRWV2(preadv64v2, 0)
PRELOAD_PRWV2(pwritev2, 1)
PRELOAD_PRWV2(pwritev64v2, 1)

/* glibc's fortified pread(); no public header declares them. */
ssize_t	__pread_chk(int, void *, size_t, off_t, size_t);
ssize_t	__pread64_chk(int, void *, size_t, off_t, size_t);

PRELOAD_EXPORT ssize_t
__pread_chk(int fd, void *buf, size_t count, off_t off, size_t buflen)
{
	if (count > buflen)
		__chk_fail();
	return (pread(fd, buf, count, off));
}

PRELOAD_EXPORT ssize_t
__pread64_chk(int fd, void *buf, size_t count, off_t off, size_t buflen)
{
	if (count > buflen)
		__chk_fail();
	return (pread64(fd, buf, count, off));
}
