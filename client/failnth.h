/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The kernel's fail-nth files, emulated by the preload library against the
 * daemon's allocation-failure injection (failnth.c says how, and how it
 * differs from the kernel). Like the calls they stand for, these return
 * -1 and set errno on failure.
 */
#ifndef IOASIDD_FAILNTH_H
#define IOASIDD_FAILNTH_H

#include <sys/types.h>

#include <stddef.h>

/* Set to 1 to have the fail-nth and debugfs paths served here. */
#define FAILNTH_ENV	"IOASIDD_FAIL_NTH"

/* 1 when $IOASIDD_FAIL_NTH is 1. */
int	failnth_enabled(void);
/*
 * 1 when the emulation is on and path is the calling thread's fail-nth
 * file: /proc/thread-self/fail-nth, or /proc/self/task/<tid>/fail-nth
 * and /proc/<pid>/task/<tid>/fail-nth with our pid and this thread's tid.
 */
int	failnth_is_file(const char *path);
/* Open it (O_CLOEXEC and the access mode of flags are honoured). */
int	failnth_open(int flags);
/*
 * read() and write() of fd when it is a fail-nth file (the library's read
 * and write ask these first): 1 with the call's result in *rv, or 0.
 */
int	failnth_read_fd(int fd, void *buf, size_t count, ssize_t *rv);
int	failnth_write_fd(int fd, const void *buf, size_t count, ssize_t *rv);
/* The same for pread() and pwrite() (preload.c exports those). */
int	failnth_pread_fd(int fd, void *buf, size_t count, off_t off,
	    ssize_t *rv);
int	failnth_pwrite_fd(int fd, const void *buf, size_t count, off_t off,
	    ssize_t *rv);

#endif /* IOASIDD_FAILNTH_H */
