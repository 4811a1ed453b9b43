/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * What the transports learn about a caller from /proc: the capabilities
 * the uAPI cares about, the locked-memory limit, and the process a thread
 * belongs to. The socket transport and the CUSE transport both build their
 * struct ucaller (ucmd.h) from these, so a caller is judged the same way
 * whichever way it came in.
 */
#ifndef IOASIDD_CALLER_H
#define IOASIDD_CALLER_H

#include <sys/types.h>

#include <stdint.h>

/* CapEff of a process as CALLER_CAP_* bits; 0 if it cannot be read. */
unsigned int	caller_caps(pid_t);
/* RLIMIT_MEMLOCK of a process in bytes (UINT64_MAX: unlimited; 0: unknown). */
uint64_t	caller_memlock(pid_t);
/*
 * The thread group (process) of thread tid, as /proc says; tid itself if
 * that cannot be read, 0 for 0. The kernel names the calling thread in
 * FUSE requests, but caller memory and accounting belong to the process.
 */
pid_t		caller_tgid(pid_t tid);

#endif /* IOASIDD_CALLER_H */
