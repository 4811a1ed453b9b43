/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Where the daemon's messages go.
 *
 * In the foreground (-d, or under systemd, whose journal reads stderr) each
 * message is one line on stderr: a time stamp, the process name, the level
 * and the text. Otherwise it goes to syslog with the facility given to
 * log_init(). Until log_init() is called messages go to stderr, so that
 * errors found while reading the configuration are seen.
 *
 * Every function here leaves errno as it found it, so that a caller can log
 * and then still look at errno or return -errno.
 *
 * libevent's own messages are routed here as well (its warnings and errors
 * as warnings, the rest as debug), and its fatal errors end the daemon
 * through fatalx().
 */
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"

/* Priorities above the levels: always printed. */
#define LOG_PRIO_FATAL	(-1)

static int		 log_foreground = 1;
static int		 log_level = LOG_LEVEL_WARN;
static int		 log_stamp = 1;
static const char	*log_name = "ioasidd";

static void		 log_emit(int, const char *, const char *, va_list)
			    printflike(3, 0);
static void		 log_event_cb(int, const char *);
static void		 log_event_fatal_cb(int) __dead;

void
log_init(int foreground, int facility)
{
	int	saved_errno = errno;

	log_foreground = foreground;
	/* The journal stamps every line itself. */
	log_stamp = getenv("JOURNAL_STREAM") == NULL;
	if (!foreground)
		openlog(log_name, LOG_PID | LOG_NDELAY, facility);
	tzset();

	event_set_log_callback(log_event_cb);
	event_set_fatal_callback(log_event_fatal_cb);
	errno = saved_errno;
}

void
log_setlevel(int level)
{
	if (level < LOG_LEVEL_WARN)
		level = LOG_LEVEL_WARN;
	if (level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	log_level = level;
}

int
log_getlevel(void)
{
	return (log_level);
}

void
log_procname(const char *name)
{
	log_name = name;
}

static const char *
log_level_tag(int level)
{
	switch (level) {
	case LOG_PRIO_FATAL:
		return ("fatal");
	case LOG_LEVEL_WARN:
		return ("warn");
	case LOG_LEVEL_INFO:
		return ("info");
	default:
		return ("debug");
	}
}

static int
log_level_prio(int level)
{
	switch (level) {
	case LOG_PRIO_FATAL:
		return (LOG_CRIT);
	case LOG_LEVEL_WARN:
		return (LOG_WARNING);
	case LOG_LEVEL_INFO:
		return (LOG_INFO);
	default:
		return (LOG_DEBUG);
	}
}

/*
 * Write one message. suffix, if not NULL, is appended after ": " (the
 * strerror text of log_warn and fatal).
 */
static void
log_emit(int level, const char *suffix, const char *fmt, va_list ap)
{
	char		 msg[1024], stamp[32];
	struct timeval	 tv;
	struct tm	 tm;

	vsnprintf(msg, sizeof msg, fmt, ap);

	if (!log_foreground) {
		if (suffix != NULL)
			syslog(log_level_prio(level), "%s: %s", msg, suffix);
		else
			syslog(log_level_prio(level), "%s", msg);
		return;
	}

	stamp[0] = '\0';
	if (log_stamp) {
		gettimeofday(&tv, NULL);
		if (localtime_r(&tv.tv_sec, &tm) != NULL &&
		    strftime(stamp, sizeof stamp, "%H:%M:%S", &tm) != 0) {
			snprintf(stamp + strlen(stamp),
			    sizeof stamp - strlen(stamp), ".%03ld ",
			    (long)tv.tv_usec / 1000);
		} else
			stamp[0] = '\0';
	}
	if (suffix != NULL) {
		fprintf(stderr, "%s%s %s: %s: %s\n", stamp, log_name,
		    log_level_tag(level), msg, suffix);
	} else {
		fprintf(stderr, "%s%s %s: %s\n", stamp, log_name,
		    log_level_tag(level), msg);
	}
	fflush(stderr);
}

void
vlog(int level, const char *fmt, va_list ap)
{
	int	saved_errno = errno;

	if (level <= log_level)
		log_emit(level, NULL, fmt, ap);
	errno = saved_errno;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, strerror(saved_errno), fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	log_emit(LOG_PRIO_FATAL, strerror(saved_errno), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_PRIO_FATAL, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

static void
log_event_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

static void
log_event_fatal_cb(int err)
{
	fatalx("libevent: fatal error %d", err);
}
