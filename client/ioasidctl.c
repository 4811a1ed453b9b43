/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * ioasidctl: ask a running ioasidd what it is doing, through its control
 * socket. One command per run: it sends one request line, reads one reply
 * line, and prints it for people (or as it came with --json). Exits 0 when
 * the daemon said ok, 1 otherwise.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "util.h"

/* How long to wait for the daemon's answer. */
#define CTL_TIMEOUT_MS	30000

static const char	*ctl_path;
static int		 ctl_json;

static __dead void
usage(FILE *fp, int status)
{
	fprintf(fp,
"usage: ioasidctl [-s path] [--json] command [argument]\n"
"  -s, --socket path  the control socket (default $IOASIDD_CONTROL or %s)\n"
"  --json             print the daemon's reply as JSON, unchanged\n"
"  -h, --help         show this help\n"
"commands:\n"
"  status             version, uptime, transports, open contexts\n"
"  objects CTX        the objects of context CTX\n"
"  log-level [LEVEL]  show or set the log level: warn, info or debug\n"
"  reload             reread the configuration file\n",
	    CTL_SOCKET_DEFAULT);
	exit(status);
}

static __dead void printflike(1, 2)
die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "ioasidctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int
ctl_connect(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(ctl_path) >= sizeof sun.sun_path)
		die("%s: path too long for a socket", ctl_path);
	memcpy(sun.sun_path, ctl_path, strlen(ctl_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		die("cannot connect to %s: %s (is ioasidd running?)",
		    ctl_path, strerror(errno));
	}
	return (fd);
}

/* Send one request, read one reply line; returns the line to free(). */
static char *
ctl_call(json_t *req, size_t *lenp)
{
	struct pollfd	 pfd;
	char		*line, *out, *nl;
	size_t		 len, off, have = 0, cap = 4096;
	ssize_t		 n;
	int		 fd;

	if (req == NULL || (line = ctl_encode(req, &len)) == NULL)
		die("out of memory");
	fd = ctl_connect();
	for (off = 0; off < len; off += (size_t)n) {
		n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1)
			die("%s: %s", ctl_path, strerror(errno));
	}
	free(line);

	if ((out = malloc(cap)) == NULL)
		die("out of memory");
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, CTL_TIMEOUT_MS);
		if (n == 0)
			die("%s: no answer after %d seconds", ctl_path,
			    CTL_TIMEOUT_MS / 1000);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (have + 1 == cap) {
			if (cap >= CTL_REPLY_MAX)
				die("%s: reply longer than %d bytes", ctl_path,
				    CTL_REPLY_MAX);
			cap *= 2;
			if ((out = realloc(out, cap)) == NULL)
				die("out of memory");
		}
		n = recv(fd, out + have, cap - 1 - have, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("%s: %s", ctl_path, strerror(errno));
		if (n == 0)
			die("%s: the daemon closed the connection", ctl_path);
		have += (size_t)n;
		out[have] = '\0';
		if ((nl = memchr(out, '\n', have)) != NULL) {
			*nl = '\0';
			*lenp = (size_t)(nl - out);
			break;
		}
	}
	close(fd);
	return (out);
}

static json_int_t
jint(json_t *o, const char *key)
{
	return (json_integer_value(json_object_get(o, key)));
}

static const char *
jstr(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : "?");
}

static void
print_status(json_t *r)
{
	json_t		*a, *e, *kinds, *v;
	json_int_t	 up;
	const char	*k;
	size_t		 i;
	int		 first;

	up = jint(r, "uptime");
	printf("ioasidd %s, pid %lld, up %lldd %02lld:%02lld:%02lld, "
	    "log level %s\n", jstr(r, "version"), (long long)jint(r, "pid"),
	    (long long)(up / 86400), (long long)(up / 3600 % 24),
	    (long long)(up / 60 % 60), (long long)(up % 60),
	    jstr(r, "log-level"));

	printf("transports:\n");
	json_array_foreach(json_object_get(r, "transports"), i, e)
		printf("  %-10s %s\n", jstr(e, "name"), jstr(e, "path"));

	a = json_object_get(r, "locked");
	if (json_array_size(a) != 0) {
		printf("locked memory:\n");
		json_array_foreach(a, i, e) {
			if (json_object_get(e, "uid") != NULL)
				printf("  uid %-8lld", (long long)jint(e, "uid"));
			else
				printf("  pid %-8lld", (long long)jint(e, "pid"));
			printf(" %lld pages\n", (long long)jint(e, "pages"));
		}
	}

	a = json_object_get(r, "contexts");
	printf("contexts: %lld\n", (long long)jint(r, "ncontexts"));
	if (json_array_size(a) == 0)
		return;
	printf("  %-6s %-10s %-8s %-10s %s\n", "CTX", "TRANSPORT", "OPENER",
	    "IOCTLS", "OBJECTS");
	json_array_foreach(a, i, e) {
		printf("  %-6lld %-10s %-8lld %-10lld ", (long long)jint(e, "id"),
		    jstr(e, "transport"), (long long)jint(e, "opener"),
		    (long long)jint(e, "ioctls"));
		kinds = json_object_get(e, "objects");
		first = 1;
		json_object_foreach(kinds, k, v) {
			printf("%s%s %lld", first ? "" : ", ", k,
			    (long long)json_integer_value(v));
			first = 0;
		}
		printf("%s\n", first ? "-" : "");
	}
}

static void
print_objects(json_t *r)
{
	json_t	*a, *e;
	size_t	 i;

	a = json_object_get(r, "objects");
	printf("context %lld: %zu object%s\n", (long long)jint(r, "ctx"),
	    json_array_size(a), json_array_size(a) == 1 ? "" : "s");
	if (json_array_size(a) == 0)
		return;
	printf("  %-10s %-14s %s\n", "ID", "KIND", "USERS");
	json_array_foreach(a, i, e) {
		printf("  %-10lld %-14s %lld\n", (long long)jint(e, "id"),
		    jstr(e, "kind"), (long long)jint(e, "users"));
	}
}

static void
print_reload(json_t *r)
{
	json_t	*e;
	size_t	 i, n = 0;

	json_array_foreach(json_object_get(r, "applied"), i, e) {
		printf("applied: %s %s -> %s\n", jstr(e, "key"), jstr(e, "old"),
		    jstr(e, "new"));
		n++;
	}
	json_array_foreach(json_object_get(r, "restart-needed"), i, e) {
		printf("needs a restart: %s %s -> %s\n", jstr(e, "key"),
		    jstr(e, "old"), jstr(e, "new"));
		n++;
	}
	if (n == 0)
		printf("reloaded, nothing changed\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	json_t		*args = NULL, *req, *reply;
	const char	*cmd, *msg;
	char		*line, *end, err[160];
	size_t		 len;
	long long	 id;
	int		 ch, rc;

	if ((ctl_path = getenv("IOASIDD_CONTROL")) == NULL)
		ctl_path = CTL_SOCKET_DEFAULT;
	while ((ch = getopt_long(argc, argv, "+hs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout, 0);
		case 'j':
			ctl_json = 1;
			break;
		case 's':
			ctl_path = optarg;
			break;
		default:
			usage(stderr, 1);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(stderr, 1);
	cmd = argv[0];

	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "reload") == 0) {
		if (argc != 1)
			usage(stderr, 1);
	} else if (strcmp(cmd, "objects") == 0) {
		if (argc != 2)
			die("usage: ioasidctl objects CTX");
		errno = 0;
		id = strtoll(argv[1], &end, 10);
		if (argv[1][0] == '\0' || *end != '\0' || errno != 0 || id < 0)
			die("objects: \"%s\" is not a context number", argv[1]);
		args = json_pack("{s:I}", "ctx", (json_int_t)id);
	} else if (strcmp(cmd, "log-level") == 0) {
		if (argc > 2)
			die("usage: ioasidctl log-level [warn|info|debug]");
		if (argc == 2)
			args = json_pack("{s:s}", "level", argv[1]);
	} else {
		fprintf(stderr, "ioasidctl: unknown command \"%s\"\n", cmd);
		usage(stderr, 1);
	}

	req = ctl_request(cmd, args);
	json_decref(args);
	line = ctl_call(req, &len);
	json_decref(req);
	if (ctl_decode(line, len, &reply, err, sizeof err) != 0)
		die("%s: the daemon's reply is not valid: %s", ctl_path, err);
	if (ctl_json)
		printf("%s\n", line);
	free(line);

	rc = ctl_reply_result(reply, &msg);
	if (rc != 0) {
		fprintf(stderr, "ioasidctl: %s\n", msg);
		json_decref(reply);
		return (1);
	}
	if (!ctl_json) {
		if (strcmp(cmd, "status") == 0)
			print_status(reply);
		else if (strcmp(cmd, "objects") == 0)
			print_objects(reply);
		else if (strcmp(cmd, "log-level") == 0) {
			printf("log level %s (was %s)\n", jstr(reply, "level"),
			    jstr(reply, "previous"));
		} else
			print_reload(reply);
	}
	json_decref(reply);
	return (0);
}
