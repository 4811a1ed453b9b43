/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Allocation-failure injection: the daemon's own fail-nth.
 *
 * Armed with n, the n-th allocation point reached from then on fails as
 * if memory had run out, and the count stops there. Every allocation a
 * command can make on its way goes through inject_malloc() and its kin,
 * or asks inject_fail() first, so a sweep over n = 1, 2, ... leads a
 * command through each of its out-of-memory paths in turn; the tests check
 * that every one of them answers an errno, leaves the context as it was
 * and leaks nothing, as the kernel's iommufd_fail_nth does with the
 * kernel's own allocations. Allocations made outside commands (startup,
 * the transports' buffers) are not points: only what a command reaches.
 *
 * The daemon runs one command at a time in one thread, so one count is
 * the whole state.
 */
#ifndef IOASIDD_INJECT_H
#define IOASIDD_INJECT_H

#include <stdlib.h>

/* Allocation points left before the one that fails; 0: not armed. */
extern unsigned int	inject_left;

/* Arm (n > 0) or disarm (0). */
static inline void
inject_arm(unsigned int n)
{
	inject_left = n;
}

/*
 * Whether the allocation about to be made must fail. Once the armed
 * point is reached the count is 0, which is how its owner learns that
 * the failure happened.
 */
static inline int
inject_fail(void)
{
	return (inject_left != 0 && --inject_left == 0);
}

static inline void *
inject_malloc(size_t size)
{
	return (inject_fail() ? NULL : malloc(size));
}

static inline void *
inject_calloc(size_t n, size_t size)
{
	return (inject_fail() ? NULL : calloc(n, size));
}

static inline void *
inject_reallocarray(void *p, size_t n, size_t size)
{
	return (inject_fail() ? NULL : reallocarray(p, n, size));
}

#endif /* IOASIDD_INJECT_H */
