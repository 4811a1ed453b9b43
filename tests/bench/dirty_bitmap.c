/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * How fast a domain's dirty bits are read into a caller's bitmap
 * (IOMMU_HWPT_GET_DIRTY_BITMAP's work, iommufd/dirty.h), in GiB of IOVA
 * per second, for 1 GiB and 64 GiB tracked in 4 KiB pages with a given
 * fraction of the pages dirty, against a plain memset of a bitmap of the
 * same size in the same run: the least any reader that writes the whole
 * bitmap could cost.
 *
 * Each figure is the median of ROUNDS rounds, the cases taken in turn
 * within a round so that a burst of load on a shared machine hits them
 * alike; each ratio is the median of the per-round ratios. "read" leaves
 * the bits (NO_CLEAR); "read+clear" clears what it read, as a read
 * without NO_CLEAR does, and the store is dirtied again, untimed, before
 * the next one. Caller memory is reached with memcpy: the figure is the
 * store's cost, not a transport's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_core.h"
#include "core/ucmd.h"
#include "iommufd/dirty.h"

#define PAGE		4096ULL
#define GIB		(1ULL << 30)
#define IOVA		(1ULL << 32)	/* where the tracked range starts */

struct bcase {
	uint64_t	 gib;		/* tracked */
	unsigned int	 every;		/* one page in every dirty; 0: none */
	struct dirty	 d;
	uint8_t		*bm;
	size_t		 bmlen;
	double		*read_ns, *clear_ns, *memset_ns;
};

static void
die(const char *what, int rc)
{
	fprintf(stderr, "dirty_bitmap: %s: %s\n", what, strerror(-rc));
	exit(1);
}

/* Dirty one page in every c->every, from a fixed start, or all of them. */
static void
dirty_fill(struct bcase *c)
{
	uint64_t	 len = c->gib * GIB, off;
	int		 rc;

	if (c->every == 0)
		return;
	if (c->every == 1) {
		if ((rc = dirty_set(&c->d, IOVA, len)) != 0)
			die("dirty_set", rc);
		return;
	}
	for (off = 0; off < len; off += c->every * PAGE)
		if ((rc = dirty_set(&c->d, IOVA + off, PAGE)) != 0)
			die("dirty_set", rc);
}

static void
barrier(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/*
 * Nanoseconds per call of fn, repeated until at least 2 ms have passed so
 * that the clock's resolution does not matter for the small bitmaps.
 */
static double
timed(struct bcase *c, int what, struct ucmd *u)
{
	double		 t0, t;
	unsigned int	 n = 0;
	int		 rc;

	t0 = bench_now_ns();
	do {
		switch (what) {
		case 0:
			memset(c->bm, 0, c->bmlen);
			barrier(c->bm);
			break;
		case 1:
			if ((rc = dirty_read(&c->d, u, IOVA, c->gib * GIB, PAGE,
			    (uintptr_t)c->bm)) != 0)
				die("dirty_read", rc);
			break;
		default:
			if ((rc = dirty_read(&c->d, u, IOVA, c->gib * GIB, PAGE,
			    (uintptr_t)c->bm)) != 0)
				die("dirty_read", rc);
			dirty_clear(&c->d, IOVA, c->gib * GIB);
			n++;
			/* Only the first: refilling is not timed. */
			return (bench_now_ns() - t0);
		}
		n++;
		t = bench_now_ns() - t0;
	} while (t < 2e6);
	return (t / n);
}

int
main(int argc, char **argv)
{
	static const struct {
		uint64_t	 gib;
		unsigned int	 every;
	} shapes[] = {
		{ 1, 0 }, { 1, 1 }, { 1, 8 }, { 1, 64 },
		{ 64, 0 }, { 64, 1 }, { 64, 8 }, { 64, 64 },
	};
	struct bcase	 cases[sizeof(shapes) / sizeof(shapes[0])];
	struct ucaller	 caller;
	struct ucmd	 u;
	double		*ratio, *cratio, gibs;
	size_t		 i, n = sizeof(shapes) / sizeof(shapes[0]);
	int		 r, rounds = 9;

	if (argc > 1 && strcmp(argv[1], "--quick") == 0)
		rounds = 3;
	memset(&caller, 0, sizeof(caller));
	memset(&u, 0, sizeof(u));
	u.caller = &caller;
	u.uops = &bench_ops;
	ratio = calloc(rounds, sizeof(*ratio));
	cratio = calloc(rounds, sizeof(*cratio));
	for (i = 0; i < n; i++) {
		cases[i].gib = shapes[i].gib;
		cases[i].every = shapes[i].every;
		dirty_init(&cases[i].d, PAGE);
		cases[i].bmlen = cases[i].gib * GIB / PAGE / 8;
		cases[i].bm = calloc(1, cases[i].bmlen);
		cases[i].read_ns = calloc(rounds, sizeof(double));
		cases[i].clear_ns = calloc(rounds, sizeof(double));
		cases[i].memset_ns = calloc(rounds, sizeof(double));
		if (cases[i].bm == NULL || cases[i].read_ns == NULL ||
		    cases[i].clear_ns == NULL || cases[i].memset_ns == NULL)
			die("calloc", -ENOMEM);
		dirty_fill(&cases[i]);
	}
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++) {
			cases[i].memset_ns[r] = timed(&cases[i], 0, &u);
			cases[i].read_ns[r] = timed(&cases[i], 1, &u);
			cases[i].clear_ns[r] = timed(&cases[i], 2, &u);
			dirty_fill(&cases[i]);
		}
	}
	printf("%-8s %-7s %9s %11s %11s %9s %9s %9s %11s\n", "tracked",
	    "dirty", "bitmap", "read us", "memset us", "read/ms", "r+clr us",
	    "r+c/ms", "read GiB/s");
	for (i = 0; i < n; i++) {
		for (r = 0; r < rounds; r++) {
			ratio[r] = cases[i].read_ns[r] / cases[i].memset_ns[r];
			cratio[r] = cases[i].clear_ns[r] /
			    cases[i].memset_ns[r];
		}
		gibs = cases[i].gib / (bench_median(cases[i].read_ns, rounds) /
		    1e9);
		printf("%5llu GiB %-7s %6zu KiB %11.1f %11.1f %8.2fx %9.1f "
		    "%8.2fx %11.0f\n", (unsigned long long)cases[i].gib,
		    cases[i].every == 0 ? "none" : cases[i].every == 1 ? "all" :
		    cases[i].every == 8 ? "1/8" : "1/64",
		    cases[i].bmlen / 1024,
		    bench_median(cases[i].read_ns, rounds) / 1e3,
		    bench_median(cases[i].memset_ns, rounds) / 1e3,
		    bench_median(ratio, rounds),
		    bench_median(cases[i].clear_ns, rounds) / 1e3,
		    bench_median(cratio, rounds), gibs);
	}
	for (i = 0; i < n; i++) {
		printf("store: %llu GiB, %s dirty: %llu chunks, %llu KiB\n",
		    (unsigned long long)cases[i].gib,
		    cases[i].every == 0 ? "none" : cases[i].every == 1 ? "all" :
		    cases[i].every == 8 ? "1/8" : "1/64",
		    (unsigned long long)cases[i].d.nchunks,
		    (unsigned long long)(cases[i].d.nchunks *
		    sizeof(struct dirty_chunk) / 1024));
		dirty_fini(&cases[i].d);
		free(cases[i].bm);
		free(cases[i].read_ns);
		free(cases[i].clear_ns);
		free(cases[i].memset_ns);
	}
	free(ratio);
	free(cratio);
	return (0);
}
