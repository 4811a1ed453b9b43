/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Logging, in the shape of the OpenBSD daemons' log.c: warnings keep errno,
 * fatal() is for startup failures and broken invariants only (never for a
 * caller's bad input), and everything goes to stderr in the foreground or
 * to syslog otherwise.
 */
#ifndef IOASIDD_LOG_H
#define IOASIDD_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "core/util.h"

/* Levels, as counted by -v and the log-level setting. */
#define LOG_LEVEL_WARN	0
#define LOG_LEVEL_INFO	1
#define LOG_LEVEL_DEBUG	2

/* foreground: log to stderr; otherwise to syslog with this facility. */
void	log_init(int foreground, int facility);
void	log_setlevel(int level);
int	log_getlevel(void);
/* Prefix every line with this name (default "ioasidd"). */
void	log_procname(const char *name);

/* Say now how often the last message was repeated, if it was. */
void	log_flush(void);
/*
 * Copy src to dst (len bytes, NUL included), every byte that is not
 * printable text (control, DEL, backslash, invalid UTF-8) as \xNN,
 * cutting short rather than splitting an escape. Returns dst.
 */
char	*log_escape(char *dst, size_t len, const char *src);

void	log_warn(const char *, ...) printflike(1, 2);
void	log_warnx(const char *, ...) printflike(1, 2);
void	log_info(const char *, ...) printflike(1, 2);
void	log_debug(const char *, ...) printflike(1, 2);
void	vlog(int level, const char *, va_list) printflike(2, 0);
void	fatal(const char *, ...) printflike(1, 2) __dead;
void	fatalx(const char *, ...) printflike(1, 2) __dead;

#endif /* IOASIDD_LOG_H */
