/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * What the benchmark programs share: a monotonic clock in microseconds or
 * nanoseconds, and the median of a run of figures. Each program is one
 * source file, so these are static and defined here.
 */
#ifndef IOASIDD_BENCH_H
#define IOASIDD_BENCH_H

#include <stdlib.h>
#include <time.h>

static inline double
bench_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e9 + ts.tv_nsec);
}

static inline double
bench_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e6 + ts.tv_nsec / 1e3);
}

static inline int
bench_cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

/*
 * Sort v and return its middle figure: v[n / 2], the upper of the two
 * middle ones when n is even. n > 0.
 */
static inline double
bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return (v[n / 2]);
}

#endif /* IOASIDD_BENCH_H */
