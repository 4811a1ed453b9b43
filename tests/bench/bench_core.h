/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * For the benchmarks that drive the core in process, without a transport:
 * caller memory is the program's own (plain copies), and a command goes
 * straight to dispatch(), so the figures are the core's alone.
 */
#ifndef IOASIDD_BENCH_CORE_H
#define IOASIDD_BENCH_CORE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/ucmd.h"

static inline int
bench_read(void *priv __attribute__((unused)), uint64_t uaddr, void *buf,
    size_t len)
{
	memcpy(buf, (const void *)(uintptr_t)uaddr, len);
	return (0);
}

static inline int
bench_write(void *priv __attribute__((unused)), uint64_t uaddr,
    const void *buf, size_t len)
{
	memcpy((void *)(uintptr_t)uaddr, buf, len);
	return (0);
}

static const struct uaccess_ops bench_ops = {
	.read = bench_read,
	.write = bench_write,
};

/* One command of caller on ctx, its struct at arg: 0, >= 0 or -errno. */
static inline long
bench_call(struct ctx *ctx, struct ucaller *caller, unsigned int cmd,
    void *arg)
{
	struct ucmd	u;

	memset(&u, 0, sizeof(u));
	u.ctx = ctx;
	u.cmd = cmd;
	u.arg = (uintptr_t)arg;
	u.caller = caller;
	u.uops = &bench_ops;
	return (dispatch(&u));
}

/* A step the figures need: a failure ends the program, saying which. */
static inline void
bench_must(long rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name,
		    what, strerror((int)-rc));
		exit(1);
	}
}

#endif /* IOASIDD_BENCH_CORE_H */
