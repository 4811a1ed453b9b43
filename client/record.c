/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * ioasidctl record -o TRACE [RUN OPTIONS] -- PROGRAM [ARGUMENT ...]:
 * run a program as "ioasidctl run" does and write the trace lines of the
 * contexts it and its children open, and only those, to TRACE.
 *
 * The daemon does the choosing: "trace record" on the control socket
 * starts a recording rooted at this process (the pid the socket's peer
 * credentials give, not one the client names), and every context opened
 * by a process under it is recorded, the file trace on or off. The
 * program is a child of this process; while it runs, and after it has
 * exited until its contexts are closed (at most RECORD_LINGER_MS), the
 * lines are read with "trace record-read" every RECORD_POLL_MS and
 * written to TRACE, after the header line the daemon gave. The daemon
 * never opens TRACE: it is opened here, with the caller's rights.
 *
 * The exit status is the program's (128 + the signal that killed it), or
 * RECORD_EXIT_FAIL when the recording failed. A summary goes to stderr:
 * lines, calls and errors by errno name.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "launch.h"
#include "tracetool.h"

#define RECORD_POLL_MS		20
#define RECORD_LINGER_MS	2000
#define RECORD_EXIT_FAIL	125

struct record {
	FILE		*fp;
	const char	*path;
	json_int_t	 id;
	json_t		*(*call)(const char *, json_t *);
	uint64_t	 lines, calls, errors, dropped;
	json_t		*errnos;	/* name -> count */
	int		 failed;
};

static void
record_usage(FILE *fp, int status)
{
	fprintf(fp, "usage: ioasidctl record -o TRACE [--device NAME ...] "
	    "[--socket PATH] [--node PATH]\n"
	    "           [--preload PATH] -- PROGRAM [ARGUMENT ...]\n");
	exit(status);
}

/* Counts one line written for the summary. */
static void
record_count(struct record *rec, const char *line, size_t len)
{
	json_t		*o, *c;
	const char	*type, *result;

	rec->lines++;
	if ((o = json_loadb(line, len, 0, NULL)) == NULL)
		return;
	type = json_string_value(json_object_get(o, "type"));
	result = json_string_value(json_object_get(o, "result"));
	if (type != NULL && strcmp(type, "dropped") == 0)
		rec->dropped += (uint64_t)json_integer_value(json_object_get(o,
		    "count"));
	if (type != NULL && strcmp(type, "ioctl") == 0) {
		rec->calls++;
		if (result != NULL && strcmp(result, "OK") != 0) {
			rec->errors++;
			c = json_object_get(rec->errnos, result);
			json_object_set_new(rec->errnos, result, json_integer(
			    c != NULL ? json_integer_value(c) + 1 : 1));
		}
	}
	json_decref(o);
}

/*
 * Reads what the recording holds and writes it to the file, ending the
 * recording when end is set. Returns the number of its contexts still
 * open, with *more set when lines are left; -1 when the read failed.
 */
static int
record_drain(struct record *rec, int end, int *more)
{
	json_t		*args, *reply;
	const char	*text, *p, *nl;
	size_t		 len;
	int		 open;

	args = json_pack("{s:s, s:I, s:b}", "action", "record-read",
	    "record", rec->id, "end", end);
	if (args == NULL || (reply = rec->call("trace", args)) == NULL) {
		json_decref(args);
		rec->failed = 1;
		return (-1);
	}
	json_decref(args);
	text = json_string_value(json_object_get(reply, "lines"));
	len = json_string_length(json_object_get(reply, "lines"));
	*more = json_is_true(json_object_get(reply, "more"));
	open = (int)json_integer_value(json_object_get(reply, "open"));
	if (text != NULL && len != 0 && fwrite(text, 1, len, rec->fp) != len)
		rec->failed = 1;
	for (p = text; p != NULL && p < text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(text + len - p))) == NULL)
			break;
		record_count(rec, p, (size_t)(nl - p));
	}
	json_decref(reply);
	return (open);
}

/* Sleeps ms milliseconds. */
static void
record_sleep(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Prints the summary of what was written. */
static void
record_summary(struct record *rec)
{
	const char	*name;
	json_t		*v;
	int		 first = 1;

	fprintf(stderr, "ioasidctl record: %s: %llu lines, %llu calls, "
	    "%llu errors", rec->path, (unsigned long long)rec->lines,
	    (unsigned long long)rec->calls, (unsigned long long)rec->errors);
	json_object_foreach(rec->errnos, name, v) {
		fprintf(stderr, "%s%s %lld", first ? " (" : ", ", name,
		    (long long)json_integer_value(v));
		first = 0;
	}
	if (!first)
		fputc(')', stderr);
	if (rec->dropped != 0)
		fprintf(stderr, ", %llu records dropped",
		    (unsigned long long)rec->dropped);
	fputc('\n', stderr);
}

int
tracetool_record(int argc, char **argv,
    json_t *(*call)(const char *, json_t *),
    int (*resolve)(const char *, unsigned int *))
{
	struct sigaction	 ign, oint, oquit;
	struct record		 rec;
	json_t			*args, *reply;
	char			**rargv, *line, run[] = "run";
	pid_t			 pid;
	int			 i, n, status, more, fd, waited;
	int			 rc;

	memset(&rec, 0, sizeof(rec));
	rec.call = call;
	if ((rargv = calloc((size_t)argc + 1, sizeof(*rargv))) == NULL)
		return (RECORD_EXIT_FAIL);
	rargv[0] = run;
	n = 1;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			record_usage(stdout, 0);
		if (strcmp(argv[i], "-o") == 0 ||
		    strcmp(argv[i], "--output") == 0) {
			if (++i == argc)
				record_usage(stderr, 1);
			rec.path = argv[i];
		} else
			rargv[n++] = argv[i];
	}
	if (rec.path == NULL || i + 1 >= argc)
		record_usage(stderr, 1);
	for (; i < argc; i++)
		rargv[n++] = argv[i];

	fd = open(rec.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || (rec.fp = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "ioasidctl: record: %s: %s\n", rec.path,
		    strerror(errno));
		return (RECORD_EXIT_FAIL);
	}
	if ((rec.errnos = json_object()) == NULL ||
	    (args = json_pack("{s:s}", "action", "record")) == NULL)
		return (RECORD_EXIT_FAIL);
	reply = call("trace", args);
	json_decref(args);
	if (reply == NULL)
		return (RECORD_EXIT_FAIL);
	rec.id = json_integer_value(json_object_get(reply, "record"));
	line = json_dumps(json_object_get(reply, "header"), JSON_COMPACT);
	json_decref(reply);
	if (rec.id <= 0 || line == NULL) {
		fprintf(stderr, "ioasidctl: record: the daemon gave no "
		    "recording\n");
		return (RECORD_EXIT_FAIL);
	}
	fprintf(rec.fp, "%s\n", line);
	free(line);
	fflush(rec.fp);

	/* As system(3): an interrupt is the program's to take. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "ioasidctl: record: fork: %s\n",
		    strerror(errno));
		return (RECORD_EXIT_FAIL);
	}
	if (pid == 0) {
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGQUIT, &oquit, NULL);
		_exit(launch_main(n, rargv, resolve));
	}

	/* While it runs: the lines as they come. */
	status = 0;
	for (;;) {
		waited = waitpid(pid, &status, WNOHANG);
		if (waited == -1 && errno == EINTR)
			continue;
		if (record_drain(&rec, 0, &more) == -1)
			break;
		if (waited != 0)
			break;
		if (!more)
			record_sleep(RECORD_POLL_MS);
	}
	if (waited == 0) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	}
	/* Its contexts close as the daemon sees their descriptors go. */
	for (i = 0; !rec.failed && i < RECORD_LINGER_MS / RECORD_POLL_MS;
	    i++) {
		if (record_drain(&rec, 0, &more) <= 0)
			break;
		record_sleep(RECORD_POLL_MS);
	}
	do {
		if (record_drain(&rec, 1, &more) == -1)
			break;
	} while (more);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);

	if (fclose(rec.fp) != 0)
		rec.failed = 1;
	record_summary(&rec);
	json_decref(rec.errnos);
	free(rargv);
	if (rec.failed) {
		fprintf(stderr, "ioasidctl: record: %s is not complete\n",
		    rec.path);
		return (RECORD_EXIT_FAIL);
	}
	if (WIFSIGNALED(status))
		rc = 128 + WTERMSIG(status);
	else
		rc = WEXITSTATUS(status);
	return (rc);
}
