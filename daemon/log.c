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
 *
 * What a line says is often chosen by someone else (a client's string, a
 * path in the configuration), so every byte that is not printable text
 * (control bytes, DEL, bytes that are not part of valid UTF-8, and the
 * backslash itself) is written as \xNN: one message is always one line,
 * and a terminal shows nothing it did not mean to.
 *
 * A message repeated word for word is written once; its repeats within
 * LOG_REPEAT_WINDOW are only counted, and said as "last message repeated
 * N times" when another message comes or the window has passed. So a
 * peer that makes the daemon say the same thing in a loop costs one line
 * a window, not a disk.
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

/* How long repeats of one message are counted before they are said. */
#define LOG_REPEAT_WINDOW	10

static int		 log_foreground = 1;
static int		 log_level = LOG_LEVEL_WARN;
static int		 log_stamp = 1;
static const char	*log_name = "ioasidd";

/* The longest line, escaped, without the stamp and name. */
#define LOG_LINE_MAX		1024

/* The last message written, and how often it came again since. */
static struct {
	char		 text[LOG_LINE_MAX];
	int		 level;
	unsigned long	 count;
	struct timespec	 since;
	int		 valid;
} log_last;

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
 * The length of the valid UTF-8 sequence of a printable character at s
 * (2 to 4), or 0. The C1 controls (U+0080 to U+009F) count as invalid:
 * some terminals obey them.
 */
static size_t
log_utf8(const unsigned char *s)
{
	unsigned int	c = s[0], cp;
	size_t		n, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else
		return (0);
	/* The terminating NUL is no continuation byte: no overrun. */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0xa0) ||
	    (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return (0);
	return (n);
}

char *
log_escape(char *dst, size_t len, const char *src)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 o = 0, n;

	if (len == 0)
		return (dst);
	while (*s != '\0') {
		if (*s >= 0x20 && *s < 0x7f && *s != '\\')
			n = 1;
		else if (*s < 0x80 || (n = log_utf8(s)) == 0)
			n = 0;
		if (o + (n != 0 ? n : 4) >= len)
			break;
		if (n != 0) {
			memcpy(dst + o, s, n);
			o += n;
			s += n;
		} else {
			snprintf(dst + o, len - o, "\\x%02x", *s);
			o += 4;
			s++;
		}
	}
	dst[o] = '\0';
	return (dst);
}

/* Write one line as it is, to stderr or syslog. */
static void
log_write(int level, const char *text)
{
	char		 stamp[32];
	struct timeval	 tv;
	struct tm	 tm;

	if (!log_foreground) {
		syslog(log_level_prio(level), "%s", text);
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
	fprintf(stderr, "%s%s %s: %s\n", stamp, log_name,
	    log_level_tag(level), text);
	fflush(stderr);
}

/* Say how often the last message came again, if it did. */
static void
log_repeats(const struct timespec *now)
{
	char	buf[64];

	if (log_last.valid && log_last.count != 0) {
		snprintf(buf, sizeof buf, "last message repeated %lu times",
		    log_last.count);
		log_write(log_last.level, buf);
	}
	log_last.count = 0;
	log_last.since = *now;
}

void
log_flush(void)
{
	struct timespec	now;
	int		saved_errno = errno;

	clock_gettime(CLOCK_MONOTONIC, &now);
	log_repeats(&now);
	errno = saved_errno;
}

/*
 * Write one message, escaped, unless it repeats the last one within the
 * window. suffix, if not NULL, is appended after ": " (the strerror text
 * of log_warn and fatal).
 */
static void
log_emit(int level, const char *suffix, const char *fmt, va_list ap)
{
	char		raw[LOG_LINE_MAX], text[LOG_LINE_MAX];
	struct timespec	now;
	size_t		n;

	vsnprintf(raw, sizeof raw, fmt, ap);
	if (suffix != NULL && (n = strlen(raw)) < sizeof raw)
		snprintf(raw + n, sizeof raw - n, ": %s", suffix);
	log_escape(text, sizeof text, raw);

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (level != LOG_PRIO_FATAL && log_last.valid &&
	    log_last.level == level && strcmp(log_last.text, text) == 0) {
		log_last.count++;
		if (now.tv_sec - log_last.since.tv_sec >= LOG_REPEAT_WINDOW)
			log_repeats(&now);
		return;
	}
	log_repeats(&now);
	log_write(level, text);
	memcpy(log_last.text, text, sizeof text);
	log_last.level = level;
	log_last.valid = 1;
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
