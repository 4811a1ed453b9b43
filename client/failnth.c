/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The kernel's fail-nth files, served by the preload library against the
 * daemon's own allocation-failure injection, when $IOASIDD_FAIL_NTH is 1.
 *
 * A program that sweeps a command's out-of-memory paths the kernel's way
 * (the iommufd selftest's iommufd_fail_nth) writes n to its thread's
 * /proc/self/task/<tid>/fail-nth (or /proc/thread-self/fail-nth), runs
 * some system calls, and reads the file back: "0\n" once the n-th
 * allocation point was reached and failed. Here an open of that file, for
 * the calling thread, gives a memfd of our own whose read, write, pread
 * and pwrite we answer: a write arms the thread's count in chan.c, which
 * every ioctl to the daemon carries and takes back (proto/wire.h), and a
 * read formats what is left of it as the kernel does. The difference from
 * the kernel: only the daemon's allocation points count, not those of
 * the program's other system calls, nor the open of /dev/iommu itself.
 *
 * Such a program also tunes the fault-injection knobs under debugfs first,
 * and gives up when it cannot open /sys/kernel/debug/. opendir() of that
 * directory gives instead a private one of real files that take the
 * writes and mean nothing (failslab/ and fail_page_alloc/, each with
 * ignore-gfp-wait, ignore-gfp-highmem and verbose), made once per user in
 * $XDG_RUNTIME_DIR (or $TMPDIR, or /tmp) as ioasidd-debugfs.<uid>.
 *
 * Without $IOASIDD_FAIL_NTH=1 none of these paths is touched, and a
 * program sees the kernel's files (or their absence) as it would anyway.
 * The descriptors are told apart from others by number and inode, so a
 * number that was closed and reused names the new file again.
 *
 * A new thread's count is 0, as is a forked child's (the kernel clears it
 * in a new task). One difference: a descriptor opened before fork() acts
 * on the count of whichever thread uses it, where the kernel's names the
 * task it was opened for.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "failnth.h"

#define FAILNTH_EXPORT	__attribute__((__visibility__("default")))

/* The next definition of a symbol, looked up once. */
#define FAILNTH_REAL(var, name) do {					\
	if (__atomic_load_n(&(var), __ATOMIC_ACQUIRE) == NULL)		\
		__atomic_store_n(&(var), dlsym(RTLD_NEXT, (name)),	\
		    __ATOMIC_RELEASE);					\
} while (0)

static ssize_t	(*real_read)(int, void *, size_t);
static ssize_t	(*real_write)(int, const void *, size_t);
static ssize_t	(*real_pread)(int, void *, size_t, off_t);
static ssize_t	(*real_pwrite)(int, const void *, size_t, off_t);
static DIR	*(*real_opendir)(const char *);

/*
 * Our fail-nth descriptors: number, inode and access mode. failnth_n is
 * read without the lock, so that every other descriptor's read and write
 * pay one load while none is open; once one was opened, a read or write
 * takes the lock, so a signal handler that writes while its thread opens
 * a fail-nth file could wait for ever: only programs that use the
 * emulation run that risk.
 */
#define FAILNTH_MAX	16
struct failnth_file {
	int	fd;
	dev_t	dev;
	ino_t	ino;
	int	acc;		/* O_RDONLY, O_WRONLY or O_RDWR */
};
static pthread_mutex_t		failnth_lock = PTHREAD_MUTEX_INITIALIZER;
static struct failnth_file	failnth_tab[FAILNTH_MAX];
static unsigned int		failnth_n;

/* The most bytes of a write the kernel looks at (kstrtouint_from_user). */
#define FAILNTH_WMAX	34

/* A forked child starts with no count armed, as a new task does. */
static void
failnth_child(void)
{
	chan_fail_nth_set(0);
}

static __attribute__((__constructor__)) void
failnth_init(void)
{
	(void)pthread_atfork(NULL, NULL, failnth_child);
}

int
failnth_enabled(void)
{
	const char	*v;

	v = getenv(FAILNTH_ENV);
	return (v != NULL && strcmp(v, "1") == 0);
}

/* A decimal number that is all of s, without sign or leading zero. */
static int
failnth_is_num(const char *s, size_t len, unsigned long want)
{
	char	buf[24];
	int	n;

	n = snprintf(buf, sizeof(buf), "%lu", want);
	return (n > 0 && (size_t)n == len && memcmp(s, buf, len) == 0);
}

int
failnth_is_file(const char *path)
{
	const char	*p, *e;
	size_t		 len;
	unsigned long	 tid;

	if (path == NULL || strncmp(path, "/proc/", 6) != 0 ||
	    !failnth_enabled())
		return (0);
	p = path + 6;
	if (strcmp(p, "thread-self/fail-nth") == 0)
		return (1);
	tid = (unsigned long)syscall(SYS_gettid);
	/* self or our pid, then task/<our tid>/fail-nth */
	if (strncmp(p, "self/", 5) == 0)
		p += 5;
	else {
		if ((e = strchr(p, '/')) == NULL ||
		    !failnth_is_num(p, e - p, (unsigned long)getpid()))
			return (0);
		p = e + 1;
	}
	if (strncmp(p, "task/", 5) != 0)
		return (0);
	p += 5;
	if ((e = strchr(p, '/')) == NULL)
		return (0);
	len = e - p;
	return (failnth_is_num(p, len, tid) && strcmp(e, "/fail-nth") == 0);
}

int
failnth_open(int flags)
{
	struct stat	st;
	unsigned int	i;
	int		fd, saved;

	if ((fd = memfd_create("fail-nth", (flags & O_CLOEXEC) ?
	    MFD_CLOEXEC : 0)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1)
		goto fail;
	pthread_mutex_lock(&failnth_lock);
	/* A slot given up (-1), or one whose number this file now has. */
	for (i = 0; i < failnth_n; i++) {
		if (failnth_tab[i].fd == fd || failnth_tab[i].fd == -1)
			break;
	}
	if (i == FAILNTH_MAX) {
		pthread_mutex_unlock(&failnth_lock);
		errno = EMFILE;
		goto fail;
	}
	failnth_tab[i].fd = fd;
	failnth_tab[i].dev = st.st_dev;
	failnth_tab[i].ino = st.st_ino;
	failnth_tab[i].acc = flags & O_ACCMODE;
	if (i == failnth_n)
		__atomic_store_n(&failnth_n, i + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&failnth_lock);
	return (fd);
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

/*
 * Whether fd is one of ours, and its access mode in *acc. The lookup runs
 * only while some fail-nth descriptor was opened, and costs an fstat()
 * only for a number that was one.
 */
static int
failnth_find(int fd, int *acc)
{
	struct stat	st;
	unsigned int	i, n;
	int		found = 0, saved = errno;

	n = __atomic_load_n(&failnth_n, __ATOMIC_ACQUIRE);
	if (n == 0 || fd < 0)
		return (0);
	pthread_mutex_lock(&failnth_lock);
	for (i = 0; i < failnth_n; i++) {
		if (failnth_tab[i].fd != fd)
			continue;
		if (fstat(fd, &st) == 0 && st.st_dev == failnth_tab[i].dev &&
		    st.st_ino == failnth_tab[i].ino) {
			*acc = failnth_tab[i].acc;
			found = 1;
		} else
			failnth_tab[i].fd = -1;
		break;
	}
	pthread_mutex_unlock(&failnth_lock);
	errno = saved;
	return (found);
}

/*
 * What the kernel's kstrtouint() takes, base 0: an optional '+', then
 * "0x" and hex digits, "0" and octal ones, or decimal ones; one newline
 * may end it. 0, -EINVAL, or -ERANGE past UINT_MAX.
 */
static int
failnth_parse(const char *s, unsigned int *out)
{
	unsigned long long	v = 0;
	unsigned int		base = 10, d, ndig = 0;
	int			over = 0;

	if (*s == '+')
		s++;
	if (s[0] == '0') {
		if ((s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)
		    s[2])) {
			base = 16;
			s += 2;
		} else
			base = 8;
	}
	for (;; s++, ndig++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (d >= base)
			break;
		if (v > (~0ull - d) / base)
			over = 1;
		v = v * base + d;
	}
	if (over)
		return (-ERANGE);
	if (ndig == 0)
		return (-EINVAL);
	if (*s == '\n')
		s++;
	if (*s != '\0')
		return (-EINVAL);
	if (v > ~0u)
		return (-ERANGE);
	*out = (unsigned int)v;
	return (0);
}

/*
 * A write: the first FAILNTH_WMAX bytes are what counts, copied through
 * the memfd so that a buffer we cannot read is EFAULT, as from the
 * kernel's copy. Returns count, or -1 with errno set.
 */
static ssize_t
failnth_write(int fd, int acc, const void *buf, size_t count)
{
	char		text[FAILNTH_WMAX + 1];
	size_t		n = count < FAILNTH_WMAX ? count : FAILNTH_WMAX;
	ssize_t		got;
	unsigned int	v;
	int		error;

	if (acc == O_RDONLY) {
		errno = EBADF;
		return (-1);
	}
	FAILNTH_REAL(real_pwrite, "pwrite");
	FAILNTH_REAL(real_pread, "pread");
	if (ftruncate(fd, 0) == -1)
		return (-1);
	if (n > 0 && (got = real_pwrite(fd, buf, n, 0)) != (ssize_t)n) {
		if (got >= 0)
			errno = EFAULT;
		return (-1);
	}
	if (n > 0 && real_pread(fd, text, n, 0) != (ssize_t)n) {
		errno = EIO;
		return (-1);
	}
	text[n] = '\0';
	if ((error = failnth_parse(text, &v)) != 0) {
		errno = -error;
		return (-1);
	}
	chan_fail_nth_set(v);
	return ((ssize_t)count);
}

/*
 * A read: the count left and a newline, put in the memfd first, so that
 * the offset rules and a buffer we cannot write are the kernel's.
 */
static ssize_t
failnth_read(int fd, int acc, void *buf, size_t count, off_t off, int at)
{
	char	text[16];
	int	len;

	if (acc == O_WRONLY) {
		errno = EBADF;
		return (-1);
	}
	FAILNTH_REAL(real_pwrite, "pwrite");
	FAILNTH_REAL(real_pread, "pread");
	FAILNTH_REAL(real_read, "read");
	len = snprintf(text, sizeof(text), "%u\n", chan_fail_nth_get());
	if (ftruncate(fd, 0) == -1 ||
	    real_pwrite(fd, text, (size_t)len, 0) != len)
		return (-1);
	return (at ? real_pread(fd, buf, count, off) :
	    real_read(fd, buf, count));
}

int
failnth_read_fd(int fd, void *buf, size_t count, ssize_t *rv)
{
	int	acc;

	if (!failnth_find(fd, &acc))
		return (0);
	*rv = failnth_read(fd, acc, buf, count, 0, 0);
	return (1);
}

int
failnth_write_fd(int fd, const void *buf, size_t count, ssize_t *rv)
{
	int	acc;

	if (!failnth_find(fd, &acc))
		return (0);
	*rv = failnth_write(fd, acc, buf, count);
	return (1);
}

int
failnth_pread_fd(int fd, void *buf, size_t count, off_t off, ssize_t *rv)
{
	int	acc;

	if (!failnth_find(fd, &acc))
		return (0);
	if (off < 0) {
		errno = EINVAL;
		*rv = -1;
	} else
		*rv = failnth_read(fd, acc, buf, count, off, 1);
	return (1);
}

int
failnth_pwrite_fd(int fd, const void *buf, size_t count, off_t off,
    ssize_t *rv)
{
	int	acc;

	if (!failnth_find(fd, &acc))
		return (0);
	if (off < 0) {
		errno = EINVAL;
		*rv = -1;
	} else
		*rv = failnth_write(fd, acc, buf, count);
	return (1);
}

/* Whether path is /sys/kernel/debug, with or without trailing slashes. */
static int
failnth_is_debugfs(const char *path)
{
	static const char	dbg[] = "/sys/kernel/debug";
	const char		*p;

	if (path == NULL || strncmp(path, dbg, sizeof(dbg) - 1) != 0)
		return (0);
	for (p = path + sizeof(dbg) - 1; *p == '/'; p++)
		;
	return (*p == '\0');
}

/* Make a file in dfd unless it is there, holding text. */
static void
failnth_knob(int dfd, const char *name, const char *text)
{
	int	fd;

	FAILNTH_REAL(real_write, "write");
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1)
		return;
	(void)real_write(fd, text, strlen(text));
	close(fd);
}

/*
 * The private debugfs stand-in (see above): a directory of ours, mode
 * 0700, made if missing. Its path in out; 0, or -1 with errno set.
 */
static int
failnth_debugfs(char *out, size_t size)
{
	static const char	*subs[] = { "failslab", "fail_page_alloc" };
	const char		*base;
	struct stat		 st;
	unsigned int		 i;
	int			 dfd, sfd, n;

	base = getenv("XDG_RUNTIME_DIR");
	if (base == NULL || *base != '/')
		base = getenv("TMPDIR");
	if (base == NULL || *base != '/')
		base = "/tmp";
	n = snprintf(out, size, "%s/ioasidd-debugfs.%lu", base,
	    (unsigned long)geteuid());
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (mkdir(out, 0700) == -1 && errno != EEXIST)
		return (-1);
	/* Someone else's, or open to others: not ours to write in. */
	if (lstat(out, &st) == -1)
		return (-1);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		errno = EACCES;
		return (-1);
	}
	if ((dfd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return (-1);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		(void)mkdirat(dfd, subs[i], 0700);
		sfd = openat(dfd, subs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		    O_NOFOLLOW);
		if (sfd == -1)
			continue;
		failnth_knob(sfd, "ignore-gfp-wait", "Y\n");
		failnth_knob(sfd, "ignore-gfp-highmem", "Y\n");
		failnth_knob(sfd, "verbose", "2\n");
		close(sfd);
	}
	close(dfd);
	return (0);
}

FAILNTH_EXPORT DIR *
opendir(const char *path)
{
	char	dir[4096];

	FAILNTH_REAL(real_opendir, "opendir");
	if (failnth_is_debugfs(path) && failnth_enabled()) {
		if (failnth_debugfs(dir, sizeof(dir)) == -1)
			return (NULL);
		return (real_opendir(dir));
	}
	return (real_opendir(path));
}
