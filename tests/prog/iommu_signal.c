/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Signal handlers that use /dev/iommu. ioctl() is async-signal-safe, so a
 * handler may call it while the thread it interrupted is inside another
 * ioctl on the same descriptor; with the kernel the two simply happen one
 * after the other. A second thread sends the main thread a stream of
 * signals while the main thread allocates, maps, unmaps, lists ranges and
 * destroys; every handler allocates and destroys an IOAS of its own on the
 * same descriptor and on a second one. Every answer on both sides must be
 * right, nothing may hang (the caller runs this under a timeout), and at
 * the end no object may be left over. Done once with SA_RESTART and once
 * without. Ends with "N passed, M failed".
 */

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "check.h"

#define LOOPS		1000
#define SIGNALS_MIN	200

static int			fd1, fd2;
static volatile sig_atomic_t	in_ioctl;	/* the main loop is at work */
static volatile sig_atomic_t	h_calls, h_nested, h_bad;
static volatile int		stop;

static void
handler(int sig)
{
	int		saved = errno, i;
	uint32_t	id;

	(void)sig;
	for (i = 0; i < 2; i++) {
		if ((id = ioas_alloc(i == 0 ? fd1 : fd2)) == 0 ||
		    ioas_destroy(i == 0 ? fd1 : fd2, id) != 0)
			h_bad++;
	}
	h_calls++;
	if (in_ioctl)
		h_nested++;
	errno = saved;
}

static void *
sender(void *arg)
{
	pthread_t		target = *(pthread_t *)arg;
	struct timespec		ts = { 0, 10000 };
	sig_atomic_t		seen;
	unsigned int		seed = 1;

	/*
	 * One signal at a time, the next once the last was handled and a
	 * random while later, so the loop keeps going between handlers.
	 */
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		seen = h_calls;
		pthread_kill(target, SIGUSR1);
		while (h_calls == seen &&
		    !__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
			nanosleep(&ts, NULL);
		ts.tv_nsec = 10000 + rand_r(&seed) % 200000;
		nanosleep(&ts, NULL);
		ts.tv_nsec = 10000;
	}
	return (NULL);
}

/* The main thread's loop; the number of wrong answers. */
static int
work(void *buf, size_t len)
{
	struct iommu_ioas_iova_ranges	 r;
	struct iommu_iova_range		 ranges[4];
	uint32_t			 id;
	int				 i, bad = 0;

	/*
	 * At least LOOPS rounds, and on until SIGNALS_MIN handlers have run
	 * however fast the machine; the caller's timeout bounds it.
	 */
	for (i = 0; i < LOOPS || h_calls < SIGNALS_MIN; i++) {
		in_ioctl = 1;
		if ((id = ioas_alloc(fd1)) == 0) {
			in_ioctl = 0;
			bad++;
			continue;
		}
		bad += ioas_map_unmap(fd1, id, buf, len,
		    (uint64_t)(i % LOOPS + 1) << 20, IOMMU_IOAS_MAP_READABLE, 0);
		/* One that writes an array: not the common path. */
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.ioas_id = id;
		r.num_iovas = 4;
		r.allowed_iovas = (uintptr_t)ranges;
		if (ioctl(fd1, IOMMU_IOAS_IOVA_RANGES, &r) != 0 ||
		    r.num_iovas != 1 || ranges[0].start != 0)
			bad++;
		if (ioas_destroy(fd1, id) != 0)
			bad++;
		in_ioctl = 0;
	}
	return (bad);
}

static void
phase(const char *name, int flags, void *buf, size_t len)
{
	struct sigaction	sa;
	pthread_t		self = pthread_self(), t;
	uint32_t		id;
	int			bad;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "%s: sigaction", name);
	h_calls = h_nested = h_bad = 0;
	__atomic_store_n(&stop, 0, __ATOMIC_RELEASE);
	if (pthread_create(&t, NULL, sender, &self) != 0) {
		CHECK(0, "%s: pthread_create", name);
		return;
	}
	bad = work(buf, len);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	signal(SIGUSR1, SIG_IGN);

	CHECK(bad == 0, "%s: %d wrong answers in the interrupted loop", name,
	    bad);
	CHECK(h_bad == 0, "%s: %d wrong answers in %d handlers", name,
	    (int)h_bad, (int)h_calls);
	CHECK(h_calls >= SIGNALS_MIN, "%s: %d handlers ran (want %d)", name,
	    (int)h_calls, SIGNALS_MIN);
	CHECK(h_nested > 0, "%s: %d handlers interrupted the loop", name,
	    (int)h_nested);
	/* Nothing is left over: the lowest free id is 1 again. */
	CHECK((id = ioas_alloc(fd1)) == 1, "%s: next id is %u, not 1", name,
	    id);
	ioas_destroy(fd1, id);
	CHECK((id = ioas_alloc(fd2)) == 1, "%s: next id on the second "
	    "descriptor is %u, not 1", name, id);
	ioas_destroy(fd2, id);
	printf("ok %s: %d handlers, %d interrupting the loop\n", name, (int)h_calls,
	    (int)h_nested);
}

int
main(void)
{
	size_t	 len = (size_t)sysconf(_SC_PAGESIZE);
	void	*buf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd1 = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	fd2 = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	CHECK(fd1 != -1 && fd2 != -1, "open /dev/iommu twice");
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	if (fd1 == -1 || fd2 == -1 || buf == MAP_FAILED)
		return (check_report());
	phase("SA_RESTART", SA_RESTART, buf, len);
	phase("no SA_RESTART", 0, buf, len);
	close(fd1);
	close(fd2);
	return (check_report());
}
