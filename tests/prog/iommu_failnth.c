/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Allocation-failure injection the kernel's way: an ordinary program that
 * arms its thread's /proc/self/task/<tid>/fail-nth, runs iommufd ioctls,
 * and reads the count back, as the kernel's iommufd_fail_nth does. Run
 * under the preload library with IOASIDD_FAIL_NTH=1, the count is the
 * daemon's (tests/integration/failnth.sh): the n-th allocation point fails
 * with ENOMEM, the file then reads "0\n", the count spans ioctls, a sweep
 * over n ends, and every failed step leaves the IOAS as it was. The
 * file's own rules (what a write takes, EINVAL, ERANGE, EFAULT, offsets)
 * are the kernel's.
 *
 * With the argument "off" (no IOASIDD_FAIL_NTH) it checks only that the
 * library left the file alone. Ends with "N passed, M failed".
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "check.h"

static int	nth = -1;	/* this thread's fail-nth file */

static int
nth_open(const char *path)
{
	return (open(path, O_RDWR | O_CLOEXEC));
}

/* Arm: 0, or -1 with errno. */
static int
nth_set(int fd, const char *text)
{
	ssize_t	n = (ssize_t)strlen(text);

	return (pwrite(fd, text, n, 0) == n ? 0 : -1);
}

/* The count as the file says it, or -1 when it does not read as "N\n". */
static long
nth_get(int fd)
{
	char	buf[32], *end;
	ssize_t	n;
	long	v;

	memset(buf, 0, sizeof(buf));
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 2 || buf[n - 1] != '\n')
		return (-1);
	v = strtol(buf, &end, 10);
	return (*end == '\n' ? v : -1);
}

static int
new_ioas(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc	a = { .size = sizeof(a) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a) != 0)
		return (errno);
	*id = a.out_ioas_id;
	return (0);
}

static int
map_at(int fd, uint32_t ioas, void *buf, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map	m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = iova,
	};

	return (ioctl(fd, IOMMU_IOAS_MAP, &m) == 0 ? 0 : errno);
}

/* How many bytes the IOAS has mapped at iova (0: nothing there). */
static uint64_t
unmap_count(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap	u = {
		.size = sizeof(u), .ioas_id = ioas, .iova = iova,
		.length = len,
	};

	return (ioctl(fd, IOMMU_IOAS_UNMAP, &u) == 0 ? u.length : 0);
}

/* The file's own rules, as the kernel's proc file has them. */
static void
test_file(void)
{
	char	buf[8];
	void	*ro;

	CHECK(nth_get(nth) == 0, "a fresh thread's count reads 0");
	CHECK(nth_set(nth, "7") == 0 && nth_get(nth) == 7, "\"7\" arms 7");
	CHECK(nth_set(nth, "+12\n") == 0 && nth_get(nth) == 12,
	    "a sign and a newline are taken");
	CHECK(nth_set(nth, "0x10") == 0 && nth_get(nth) == 16,
	    "0x: hexadecimal");
	CHECK(nth_set(nth, "010") == 0 && nth_get(nth) == 8, "0: octal");
	memset(buf, 0, sizeof(buf));
	CHECK(pread(nth, buf, sizeof(buf), 1) == 1 && buf[0] == '\n',
	    "a read at offset 1 gets the rest of \"8\\n\"");
	CHECK(pread(nth, buf, sizeof(buf), 2) == 0, "a read at the end gets 0");
	errno = 0;
	CHECK(nth_set(nth, "abc") == -1 && errno == EINVAL,
	    "a word is EINVAL");
	errno = 0;
	CHECK(nth_set(nth, "5 ") == -1 && errno == EINVAL,
	    "trailing garbage is EINVAL");
	errno = 0;
	CHECK(nth_set(nth, "") == -1 && errno == EINVAL, "nothing is EINVAL");
	errno = 0;
	CHECK(nth_set(nth, "4294967296") == -1 && errno == ERANGE,
	    "2^32 is ERANGE");
	CHECK(nth_get(nth) == 8, "a refused write leaves the count");
	CHECK(nth_set(nth, "4294967295") == 0 && nth_get(nth) == 4294967295L,
	    "2^32 - 1 arms");
	ro = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errno = 0;
	CHECK(ro != MAP_FAILED && pwrite(nth, ro, 1, 0) == -1 &&
	    errno == EFAULT, "a write from memory we cannot read is EFAULT");
	errno = 0;
	CHECK(ro != MAP_FAILED && pread(nth, ro, 4, 0) == -1 &&
	    errno == EFAULT, "a read into memory we cannot write is EFAULT");
	if (ro != MAP_FAILED)
		munmap(ro, 4096);
	/* Only the first 34 bytes count, and the write says it took all. */
	CHECK(pwrite(nth, "3\n                                   garbage", 44,
	    0) == -1 && errno == EINVAL, "trailing garbage in 34 bytes");
	CHECK(write(nth, "0\n", 2) == 2 && nth_get(nth) == 0, "\"0\" disarms");
}

/* The n-th point fails with ENOMEM, and the count then reads 0. */
static void
test_alloc(int fd)
{
	uint32_t	id = 0, id2 = 0;
	long		left, used;

	CHECK(nth_set(nth, "1") == 0, "arm 1");
	CHECK(new_ioas(fd, &id) == ENOMEM, "IOAS_ALLOC fails at point 1");
	CHECK(nth_get(nth) == 0, "and the count reads 0");
	CHECK(new_ioas(fd, &id) == 0, "disarmed, IOAS_ALLOC succeeds");

	/* Armed far away: nothing fails, the command's points are used. */
	CHECK(nth_set(nth, "1000") == 0, "arm 1000");
	CHECK(new_ioas(fd, &id2) == 0 && id2 != id,
	    "IOAS_ALLOC armed at 1000 succeeds");
	left = nth_get(nth);
	used = 1000 - left;
	CHECK(left > 0 && used >= 1, "the count went down by the points "
	    "reached (%ld left)", left);

	/* One past one command's points: the second command fails. */
	if (used >= 1 && used < 1000) {
		char	text[16];

		snprintf(text, sizeof(text), "%ld", used + 1);
		CHECK(nth_set(nth, text) == 0, "arm %s", text);
		CHECK(new_ioas(fd, &id2) == 0 && nth_get(nth) == 1,
		    "first IOAS_ALLOC succeeds, one point left");
		CHECK(new_ioas(fd, &id2) == ENOMEM && nth_get(nth) == 0,
		    "the count spans ioctls: the second fails at its first "
		    "point");
	}
	CHECK(nth_set(nth, "0") == 0, "disarm");
}

/*
 * The kernel test's sweep: n = 1, 2, ... until a run completes without
 * the point being reached. Every failed run must leave nothing mapped.
 */
static void
test_sweep(int fd)
{
	uint64_t	len = 4 * 4096, iova = 1ull << 20;
	uint32_t	ioas = 0;	/* no object has id 0 */
	void		*buf;
	char		text[16];
	int		n, err, bad = 0, fired = 0;
	long		got;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	err = buf == MAP_FAILED ? ENOMEM : new_ioas(fd, &ioas);
	CHECK(err == 0, "an IOAS and a buffer to sweep IOAS_MAP with");
	if (err != 0) {
		if (buf != MAP_FAILED)
			munmap(buf, len);
		return;
	}
	memset(buf, 1, len);
	for (n = 1; n < 1000; n++) {
		snprintf(text, sizeof(text), "%d", n);
		if (nth_set(nth, text) != 0) {
			bad++;
			break;
		}
		err = map_at(fd, ioas, buf, len, iova);
		got = nth_get(nth);
		(void)nth_set(nth, "0");
		if (got != 0) {
			/* Not reached: the map must have worked. */
			if (err != 0 || unmap_count(fd, ioas, iova, len) != len)
				bad++;
			break;
		}
		fired++;
		if (err != ENOMEM && err != EFAULT && err != EINVAL) {
			printf("    n=%d: IOAS_MAP failed with %d\n", n, err);
			bad++;
		}
		if (err == 0) {
			/* Reached, yet no error: it must have been undone. */
			(void)unmap_count(fd, ioas, iova, len);
			printf("    n=%d: point reached, map succeeded\n", n);
			bad++;
		} else if (unmap_count(fd, ioas, iova, len) != 0) {
			printf("    n=%d: a failed map left a mapping\n", n);
			bad++;
		}
	}
	printf("IOAS_MAP of %d pages: %d allocation points swept\n",
	    (int)(len / 4096), fired);
	CHECK(n < 1000 && fired >= 1, "the sweep ends after %d points", fired);
	CHECK(bad == 0, "every swept IOAS_MAP failed cleanly or succeeded");
	munmap(buf, len);
}

static void *
thread_main(void *arg)
{
	char	path[64];
	int	fd, *ok = arg;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
	    (long)syscall(SYS_gettid));
	fd = nth_open(path);
	*ok = fd != -1 && nth_get(fd) == 0;
	if (fd != -1)
		close(fd);
	return (NULL);
}

/* Counts are per thread: another thread's starts at 0, as does a child's. */
static void
test_threads(void)
{
	pthread_t	t;
	pid_t		pid;
	int		ok = 0, status;

	CHECK(nth_set(nth, "55") == 0, "arm 55 here");
	CHECK(pthread_create(&t, NULL, thread_main, &ok) == 0 &&
	    pthread_join(t, NULL) == 0 && ok,
	    "another thread's own file reads 0");
	CHECK(nth_get(nth) == 55, "ours still reads 55");
	if ((pid = fork()) == 0) {
		thread_main(&ok);
		_exit(ok ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a forked child's own file reads 0");
	CHECK(nth_get(nth) == 55, "ours still reads 55 after the fork");
	(void)nth_set(nth, "0");
}

static void
test_paths(void)
{
	char		 path[64], link[64];
	DIR		*d;
	struct dirent	*e;
	int		 fd, seen = 0;
	ssize_t		 n;

	fd = nth_open("/proc/thread-self/fail-nth");
	CHECK(fd != -1 && nth_set(fd, "9") == 0 && nth_get(nth) == 9,
	    "/proc/thread-self/fail-nth is the same count");
	if (fd != -1)
		close(fd);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/fail-nth",
	    (int)getpid(), (int)getpid());
	fd = nth_open(path);
	CHECK(fd != -1 && nth_get(fd) == 9, "so is %s", path);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	CHECK(n > 0 && strncmp(path, "/memfd:", 7) == 0,
	    "it is the library's file");
	if (fd != -1)
		close(fd);
	(void)nth_set(nth, "0");

	d = opendir("/sys/kernel/debug/");
	CHECK(d != NULL, "/sys/kernel/debug/ opens");
	while (d != NULL && (e = readdir(d)) != NULL)
		seen += strcmp(e->d_name, "failslab") == 0 ||
		    strcmp(e->d_name, "fail_page_alloc") == 0;
	CHECK(seen == 2, "it lists failslab and fail_page_alloc");
	if (d != NULL) {
		fd = openat(dirfd(d), "failslab/ignore-gfp-wait", O_WRONLY);
		CHECK(fd != -1 && write(fd, "N", 1) == 1,
		    "failslab/ignore-gfp-wait takes \"N\"");
		if (fd != -1)
			close(fd);
		closedir(d);
	}
}

/* Without IOASIDD_FAIL_NTH: whatever the file is, it is not ours. */
static int
test_off(void)
{
	char	path[64], link[64];
	ssize_t	n;
	int	fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth",
	    (int)getpid());
	fd = nth_open(path);
	if (fd == -1) {
		CHECK(errno == ENOENT || errno == EACCES || errno == EPERM,
		    "the kernel's answer for %s", path);
		return (check_report());
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	CHECK(n > 0 && strncmp(path, "/memfd:", 7) != 0,
	    "the kernel's own fail-nth file");
	close(fd);
	return (check_report());
}

int
main(int argc, char **argv)
{
	char	path[64];
	int	fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "off") == 0)
		return (test_off());
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth",
	    (int)getpid());
	nth = nth_open(path);
	CHECK(nth != -1, "open %s", path);
	if (nth == -1)
		return (check_report());
	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd != -1, "open /dev/iommu");
	if (fd == -1)
		return (check_report());
	test_file();
	test_alloc(fd);
	test_sweep(fd);
	test_threads();
	test_paths();
	close(fd);
	return (check_report());
}
