/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Small helpers shared by every part of the daemon, the client libraries and
 * the tests: size arithmetic, alignment, compile-time checks. Nothing here
 * allocates or logs.
 */
#ifndef IOASIDD_UTIL_H
#define IOASIDD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define offsetofend(t, m)	(offsetof(t, m) + sizeof(((t *)0)->m))
#define nitems(a)		(sizeof(a) / sizeof((a)[0]))
#define container_of(p, t, m)	((t *)(void *)((char *)(p) - offsetof(t, m)))
#define BUILD_BUG_ON_ZERO(e)	((int)(sizeof(struct { int:(-!!(e)); })))

#ifndef MIN
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b)		((a) > (b) ? (a) : (b))
#endif

#define IS_POW2(x)		((x) != 0 && ((x) & ((x) - 1)) == 0)
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)		ALIGN_DOWN((x) + (a) - 1, (a))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

#define __unused		__attribute__((__unused__))
#define __dead			__attribute__((__noreturn__))
#define printflike(a, b)	__attribute__((__format__(__printf__, a, b)))

/* True when [a, a + len) wraps past the end of the 64-bit space. */
static inline int
u64_range_overflows(uint64_t a, uint64_t len)
{
	return (len != 0 && a + (len - 1) < a);
}

#endif /* IOASIDD_UTIL_H */
