/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * How map and unmap scale with the number of live mappings in one IOAS, and
 * how much daemon memory a mapping costs.
 *
 * For each population N a fresh process fills an IOAS with N mappings
 * through the real dispatcher, measures its resident memory growth per
 * mapping (whatever allocator the core uses), then times pairs of
 * IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP at random holes among them (fixed IOVA,
 * as VMMs map guest RAM) and pairs with an automatically chosen IOVA. The
 * holes are one page and the automatic maps two pages long, so the
 * allocator has to get past every mapping to find room. The sizes are
 * timed in turn, round by round; each cost is the median of its rounds and
 * each ratio to the smallest N the median of the ratios of the same round,
 * so that the numbers mean something on a noisy shared machine.
 *
 * Caller memory is reached with plain memcpy here: the point is the cost
 * of the core, not of a transport.
 *
 * The run also measures what one read from memory beyond the caches costs
 * on this machine (a chain of dependent reads, at random, through a buffer
 * as large as the areas of a million mappings), and prints each size's
 * extra cost over the smallest in such reads: at a million mappings a
 * random hole is never in cache, and the extra cost is bounded below by
 * the reads a descent must wait for one after the other, whatever the
 * tree.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "bench.h"
#include "bench_core.h"
#include "core/ctx.h"
#include "core/ucmd.h"

#define ROUNDS		9
#define SLOT		0x2000ull	/* one mapping per slot... */
#define MAPLEN		0x1000ull	/* ...leaving a hole as large */
#define BASE		0x1000ull	/* from the lowest automatic IOVA */

static struct ucaller	caller;

static long
map(struct ctx *ctx, uint32_t ioas, uint64_t iova, uint64_t len, int fixed,
    uint64_t *out)
{
	struct iommu_ioas_map	m;
	long			rc;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
	    (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
	m.ioas_id = ioas;
	m.user_va = 0x7f0000000000ull + (iova & 0xffffffffffull);
	m.length = len;
	m.iova = iova;
	rc = bench_call(ctx, &caller, IOMMU_IOAS_MAP, &m);
	if (out != NULL)
		*out = m.iova;
	return (rc);
}

static long
unmap(struct ctx *ctx, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap	u;

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = ioas;
	u.iova = iova;
	u.length = len;
	return (bench_call(ctx, &caller, IOMMU_IOAS_UNMAP, &u));
}

/* One timed round: the cost of a pair, fixed and automatic IOVA. */
struct round {
	double		fixed_ns;
	double		auto_ns;
};

/* A size, served by a process of its own. */
struct size {
	unsigned long	n;
	pid_t		pid;
	int		cmd;		/* a byte here runs one round */
	int		res;		/* bytes per mapping, then rounds */
	double		bytes;		/* heap per mapping */
	struct round	r[ROUNDS];
};

/* Resident bytes of this process. */
static long
rss_bytes(void)
{
	FILE	*f;
	long	 pages = 0, resident = 0;

	if ((f = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (resident * sysconf(_SC_PAGESIZE));
}

/*
 * A size's process: fill an IOAS with n mappings, say how much memory
 * that took, warm up, then time one round per byte read from cmd.
 */
static void
serve(unsigned long n, unsigned long ops, int cmd, int res)
{
	struct iommu_ioas_alloc	 a;
	struct ctx		*ctx;
	struct round		 r;
	double			 bytes, t0;
	unsigned long		 i, slot;
	uint64_t		 iova;
	long			 rss0;
	char			 c;

	bench_must(ctx_new("bench", getpid(), &ctx), "ctx_new");
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	bench_must(bench_call(ctx, &caller, IOMMU_IOAS_ALLOC, &a), "IOAS_ALLOC");

	rss0 = rss_bytes();
	for (i = 0; i < n; i++)
		bench_must(map(ctx, a.out_ioas_id, BASE + i * SLOT, MAPLEN, 1, NULL),
		    "populate");
	bytes = (double)(rss_bytes() - rss0) / n;

	srandom(1);
	/*
	 * Warm up: the ascending fill leaves every leaf full, and the first
	 * map into a full leaf splits it, once. As many random pairs as
	 * there are mappings (and at least a round's worth) split most of
	 * them, so that what is timed next is the steady state.
	 */
	for (i = 0; i < (n > ops ? n : ops); i++) {
		slot = (unsigned long)random() % n;
		iova = BASE + slot * SLOT + MAPLEN;
		bench_must(map(ctx, a.out_ioas_id, iova, MAPLEN, 1, NULL), "map");
		bench_must(unmap(ctx, a.out_ioas_id, iova, MAPLEN), "unmap");
	}
	if (write(res, &bytes, sizeof(bytes)) != sizeof(bytes))
		_exit(1);

	while (read(cmd, &c, 1) == 1) {
		t0 = bench_now_ns();
		for (i = 0; i < ops; i++) {
			slot = (unsigned long)random() % n;
			iova = BASE + slot * SLOT + MAPLEN;
			bench_must(map(ctx, a.out_ioas_id, iova, MAPLEN, 1, NULL),
			    "map");
			bench_must(unmap(ctx, a.out_ioas_id, iova, MAPLEN), "unmap");
		}
		r.fixed_ns = (bench_now_ns() - t0) / ops;

		t0 = bench_now_ns();
		for (i = 0; i < ops; i++) {
			bench_must(map(ctx, a.out_ioas_id, 0, 2 * MAPLEN, 0, &iova),
			    "auto map");
			bench_must(unmap(ctx, a.out_ioas_id, iova, 2 * MAPLEN),
			    "auto unmap");
		}
		r.auto_ns = (bench_now_ns() - t0) / ops;
		if (write(res, &r, sizeof(r)) != sizeof(r))
			_exit(1);
	}
	ctx_free(ctx);
	_exit(0);
}

/* Start a size's process; 0, or -1 with a message. */
static int
size_start(struct size *z, unsigned long ops)
{
	int	cmd[2], res[2];

	if (pipe(cmd) == -1 || pipe(res) == -1 || (z->pid = fork()) == -1) {
		perror("bench_map");
		return (-1);
	}
	if (z->pid == 0) {
		close(cmd[1]);
		close(res[0]);
		serve(z->n, ops, cmd[0], res[1]);
	}
	close(cmd[0]);
	close(res[1]);
	z->cmd = cmd[1];
	z->res = res[0];
	return (0);
}

/* Median of one field of the rounds. */
static double
median_of(const struct size *z, int autov)
{
	double	v[ROUNDS];
	int	i;

	for (i = 0; i < ROUNDS; i++)
		v[i] = autov ? z->r[i].auto_ns : z->r[i].fixed_ns;
	return (bench_median(v, ROUNDS));
}

/* Median over the rounds of a size's cost over the first size's. */
static double
ratio_of(const struct size *z, const struct size *base, int autov)
{
	double	v[ROUNDS];
	int	i;

	for (i = 0; i < ROUNDS; i++)
		v[i] = autov ? z->r[i].auto_ns / base->r[i].auto_ns :
		    z->r[i].fixed_ns / base->r[i].fixed_ns;
	return (bench_median(v, ROUNDS));
}

/*
 * Nanoseconds per read of a chain of dependent reads that visits the
 * cache lines of a bytes-long buffer in random order: the latency of
 * memory beyond the caches once the buffer is much larger than they are.
 * Huge pages where the kernel gives them, as the core's node pool asks.
 * 0 if the buffer cannot be had.
 */
static double
mem_latency(size_t bytes)
{
	size_t		 n = bytes / 64, i, j, t, *perm;
	char		*buf;
	void		*p;
	double		 v[5], t0;
	long		 k, reads = 2000000;
	int		 r;

	buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return (0);
	(void)madvise(buf, bytes, MADV_HUGEPAGE);
	if ((perm = malloc(n * sizeof(*perm))) == NULL) {
		munmap(buf, bytes);
		return (0);
	}
	for (i = 0; i < n; i++)
		perm[i] = i;
	srandom(2);
	for (i = n - 1; i > 0; i--) {
		j = (size_t)random() % (i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (i = 0; i < n; i++)
		*(void **)(buf + perm[i] * 64) = buf + perm[(i + 1) % n] * 64;
	free(perm);
	p = buf;
	for (k = 0; k < reads / 4; k++)
		p = *(void **)p;
	for (r = 0; r < 5; r++) {
		t0 = bench_now_ns();
		for (k = 0; k < reads; k++)
			p = *(void **)p;
		v[r] = (bench_now_ns() - t0) / reads;
	}
	/* Keep the chain from being optimised away. */
	if (p == NULL)
		v[0] = 0;
	munmap(buf, bytes);
	return (bench_median(v, 5));
}

int
main(int argc, char **argv)
{
	static const unsigned long sizes[] = { 1000, 10000, 100000, 1000000 };
	struct size	z[4];
	double		lat, ratio, base;
	unsigned long	ops = 20000;
	int		i, n = 4, round, ok;
	char		c = 1;

	if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
		ops = 2000;
		n = 3;
	}
	caller.pid = getpid();
	caller.uid = getuid();
	caller.gid = getgid();
	caller.memlock_max = RLIM_INFINITY;

	/*
	 * A process per size, so that no size inherits another's heap. They
	 * are filled one after the other, then timed in turn round by round:
	 * a burst of load on the machine then hits every size alike, and
	 * each ratio is the median of the ratios of the same round.
	 */
	for (i = 0; i < n; i++) {
		memset(&z[i], 0, sizeof(z[i]));
		z[i].n = sizes[i];
		if (size_start(&z[i], ops) != 0)
			return (1);
		if (read(z[i].res, &z[i].bytes, sizeof(z[i].bytes)) !=
		    sizeof(z[i].bytes)) {
			fprintf(stderr, "bench_map: size %lu failed\n",
			    sizes[i]);
			return (1);
		}
	}
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < n; i++) {
			if (write(z[i].cmd, &c, 1) != 1 ||
			    read(z[i].res, &z[i].r[round],
			    sizeof(z[i].r[round])) != sizeof(z[i].r[round])) {
				fprintf(stderr, "bench_map: size %lu failed\n",
				    sizes[i]);
				return (1);
			}
		}
	}
	/* Each process holds the pipes of those made before it: close all. */
	for (i = 0; i < n; i++) {
		close(z[i].cmd);
		close(z[i].res);
	}
	for (i = 0; i < n; i++)
		waitpid(z[i].pid, NULL, 0);

	lat = mem_latency(64u << 20);
	base = median_of(&z[0], 0);
	printf("map+unmap in one IOAS (median of %d rounds of %lu pairs, the "
	    "sizes in turn)\n", ROUNDS, ops);
	printf("%10s %12s %10s %12s %10s %14s %12s\n", "mappings", "fixed ns",
	    "ratio", "auto ns", "ratio", "bytes/mapping", "extra reads");
	for (i = 0; i < n; i++)
		printf("%10lu %12.0f %9.2fx %12.0f %9.2fx %14.1f %12.1f\n",
		    z[i].n, median_of(&z[i], 0), ratio_of(&z[i], &z[0], 0),
		    median_of(&z[i], 1), ratio_of(&z[i], &z[0], 1), z[i].bytes,
		    lat > 0 ? (median_of(&z[i], 0) - base) / lat : 0);
	printf("one read from memory beyond the caches: %.0f ns (dependent "
	    "reads at random\nthrough 64 MiB, same run); extra reads: a fixed "
	    "pair's extra cost over\n%lu mappings in such reads. Two dependent "
	    "reads alone make %.2fx the\npair at %lu.\n", lat, z[0].n,
	    1 + 2 * lat / base, z[0].n);
	ratio = ratio_of(&z[n - 1], &z[0], 0);
	ok = ratio <= 1.5 && z[n - 1].bytes <= 128;
	printf("target: cost at %lu <= 1.5x cost at %lu, <= 128 bytes per "
	    "mapping: %s\n", z[n - 1].n, z[0].n, ok ? "met" : "NOT met");
	return (0);
}
