/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * ioasidctl: ask a running ioasidd what it is doing, through its control
 * socket. One command per run: it sends one request line, reads one reply
 * line, and prints it for people (or as it came with --json). Exits 0 when
 * the daemon said ok, 1 otherwise.
 *
 * The commands are rows of ctl_commands[]: each knows its arguments, turns
 * them into the request and prints the reply, and has a help text shown by
 * "ioasidctl help COMMAND" and "ioasidctl COMMAND --help".
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

#include "core/util.h"
#include "ctl.h"
#include "launch.h"
#include "replay_dev.h"
#include "tracetool.h"

/* How long to wait for the daemon's answer. */
#define CTL_TIMEOUT_MS	30000

static const char	*ctl_path;
static int		 ctl_json;

struct ctl_command {
	const char	*name;
	const char	*args;		/* for usage lines */
	const char	*summary;
	const char	*help;		/* what it does, for help COMMAND */
	int		 maxargs;
	int		 options;	/* takes options of its own */
	/* Build the request's arguments; NULL is none. Exits on errors. */
	json_t		*(*request)(int argc, char **argv);
	void		 (*print)(json_t *reply);
};

static const struct ctl_command	*ctl_command_find(const char *);
static void			 ctl_list_commands(FILE *);

static __dead void
usage(FILE *fp, int status)
{
	fprintf(fp,
"usage: ioasidctl [-s path] [--json] command [argument ...]\n"
"       ioasidctl help [command]\n"
"  -s, --socket path  the control socket (default $IOASIDD_CONTROL or %s)\n"
"  --json             print the daemon's reply as JSON, unchanged\n"
"  -h, --help         show this help\n"
"commands:\n", CTL_SOCKET_DEFAULT);
	ctl_list_commands(fp);
	fprintf(fp, "\"ioasidctl help COMMAND\" or \"ioasidctl COMMAND --help\" "
	    "tells more.\n");
	exit(status);
}

/* The help of one command, on stdout. */
static __dead void
command_help(const struct ctl_command *c)
{
	printf("usage: ioasidctl [-s path] [--json] %s%s%s\n%s\n", c->name,
	    c->args[0] != '\0' ? " " : "", c->args, c->help);
	exit(0);
}

/* A wrong use of one command: say so and show its usage line. */
static __dead void
command_usage(const struct ctl_command *c, const char *why)
{
	fprintf(stderr, "ioasidctl: %s: %s\nusage: ioasidctl %s%s%s\n"
	    "\"ioasidctl help %s\" tells more.\n", c->name, why, c->name,
	    c->args[0] != '\0' ? " " : "", c->args, c->name);
	exit(1);
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

/*
 * Sends command cmd with args (borrowed; NULL is none) and returns the
 * reply when it says done; otherwise says why on stderr and returns NULL.
 */
static json_t *
ctl_exec(const char *cmd, json_t *args)
{
	json_t		*req, *reply;
	const char	*msg;
	char		*line, err[160];
	size_t		 len;

	req = ctl_request(cmd, args);
	line = ctl_call(req, &len);
	json_decref(req);
	if (ctl_decode(line, len, &reply, err, sizeof err) != 0)
		die("%s: the daemon's reply is not valid: %s", ctl_path, err);
	free(line);
	if (ctl_reply_result(reply, &msg) != 0) {
		fprintf(stderr, "ioasidctl: %s: %s\n", cmd, msg);
		json_decref(reply);
		return (NULL);
	}
	return (reply);
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

/*
 * The index of the [device] called name, from the daemon's status: 0, or
 * -1 when it has none of that name. "ioasidctl run" asks it.
 */
static int
ctl_device_index(const char *name, unsigned int *index)
{
	json_t		*req, *reply, *devs, *d;
	char		*line, err[160];
	size_t		 len, i;
	int		 rc = -1;

	req = ctl_request("status", NULL);
	line = ctl_call(req, &len);
	json_decref(req);
	if (ctl_decode(line, len, &reply, err, sizeof err) != 0)
		die("%s: the daemon's reply is not valid: %s", ctl_path, err);
	free(line);
	devs = json_object_get(reply, "devices");
	json_array_foreach(devs, i, d) {
		if (json_is_string(json_object_get(d, "name")) &&
		    strcmp(jstr(d, "name"), name) == 0 && jint(d, "index") >= 0) {
			*index = (unsigned int)jint(d, "index");
			rc = 0;
			break;
		}
	}
	json_decref(reply);
	return (rc);
}

/* The contexts of a status or objects reply, a line each after indent. */
static void
print_context_table(json_t *a, const char *indent)
{
	json_t		*e, *kinds, *v;
	const char	*k;
	size_t		 i;
	int		 first;

	printf("%s%-6s %-10s %-8s %-10s %s\n", indent, "CTX", "TRANSPORT",
	    "OPENER", "IOCTLS", "OBJECTS");
	json_array_foreach(a, i, e) {
		printf("%s%-6lld %-10s %-8lld %-10lld ", indent,
		    (long long)jint(e, "id"), jstr(e, "transport"),
		    (long long)jint(e, "opener"), (long long)jint(e, "ioctls"));
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

/*
 * The emulated devices of a status reply, a line each: opens, binding,
 * and the VMs (pid/number) that added an open to their kvm-vfio device.
 */
static void
print_devices(json_t *a)
{
	json_t	*e, *v;
	size_t	 i, j;

	if (json_array_size(a) == 0)
		return;
	printf("devices:\n  %-8s %-6s %-6s %-6s %s\n", "DEVICE", "OPENS",
	    "CTX", "DEVID", "VMS");
	json_array_foreach(a, i, e) {
		printf("  %-8s %-6lld %-6lld %-6lld ", jstr(e, "name"),
		    (long long)jint(e, "opens"), (long long)jint(e, "context"),
		    (long long)jint(e, "dev_id"));
		json_array_foreach(json_object_get(e, "vms"), j, v)
			printf("%spid %lld vm %lld", j == 0 ? "" : ", ",
			    (long long)jint(v, "pid"), (long long)jint(v, "vm"));
		printf("%s\n", json_array_size(json_object_get(e, "vms")) == 0 ?
		    "-" : "");
	}
}

/* The limit kinds in the order status shows them. */
static const char *const limit_kinds[] = { "objects", "areas", "allowed",
    "reserved", "bytes" };

/* The rest of a row: the counts in limit_kinds order. */
static void
print_limit_row(json_t *use)
{
	size_t	i;

	for (i = 0; i < nitems(limit_kinds); i++)
		printf(" %10lld", (long long)jint(use, limit_kinds[i]));
	printf("\n");
}

static void
print_limit_header(const char *indent, const char *first,
    const char *second)
{
	size_t	i;

	printf("%s%-8s %-8s", indent, first, second);
	for (i = 0; i < nitems(limit_kinds); i++)
		printf(" %10s", limit_kinds[i]);
	printf("\n");
}

/* Limits, then what each uid and each context holds against them. */
static void
print_limits(json_t *r)
{
	json_t	*l, *a, *e;
	size_t	 i;

	if ((l = json_object_get(r, "limits")) == NULL)
		return;
	printf("limits (0: none):\n");
	print_limit_header("  ", "", "");
	printf("  %-8s %-8s", "max", "context");
	print_limit_row(json_object_get(l, "context"));
	printf("  %-8s %-8s", "max", "uid");
	print_limit_row(json_object_get(l, "uid"));
	a = json_object_get(r, "users");
	json_array_foreach(a, i, e) {
		printf("  uid %-4lld %-8s", (long long)jint(e, "uid"), "");
		print_limit_row(json_object_get(e, "use"));
	}
	json_array_foreach(json_object_get(r, "contexts"), i, e) {
		if (jint(e, "uid") == -1)
			printf("  ctx %-4lld %-8s", (long long)jint(e, "id"),
			    "uid -");
		else
			printf("  ctx %-4lld uid %-4lld",
			    (long long)jint(e, "id"),
			    (long long)jint(e, "uid"));
		print_limit_row(json_object_get(e, "use"));
	}
}

static void
print_status(json_t *r)
{
	json_t		*a, *e, *v;
	json_int_t	 up;
	const char	*k;
	size_t		 i;

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

	print_limits(r);
	print_devices(json_object_get(r, "devices"));

	/* Each IOMMU instance, its registers on the lines after it. */
	printf("iommus:\n");
	json_array_foreach(json_object_get(r, "iommus"), i, e) {
		printf("  %-10s model %s", jstr(e, "name"), jstr(e, "model"));
		if (json_is_string(json_object_get(e, "profile")))
			printf(", profile %s", jstr(e, "profile"));
		printf("\n");
		json_object_foreach(json_object_get(e, "registers"), k, v) {
			if (json_is_string(v))
				printf("    %-8s %s\n", k,
				    json_string_value(v));
		}
	}

	a = json_object_get(r, "contexts");
	printf("contexts: %lld\n", (long long)jint(r, "ncontexts"));
	if (json_array_size(a) == 0)
		return;
	print_context_table(a, "  ");
}

/* A length as "4 KiB", "2 MiB" when it is a whole number of them. */
static void
fmt_length(const char *hex, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB",
	    "TiB", "PiB", "EiB" };
	unsigned long long	 v;
	char			*end;
	size_t			 u = 0;

	errno = 0;
	v = strtoull(hex, &end, 16);
	if (*hex == '\0' || *end != '\0' || errno != 0) {
		snprintf(buf, len, "%s", hex);
		return;
	}
	while (v != 0 && v % 1024 == 0 && u + 1 < nitems(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", v, units[u]);
}

/* The branch in front of a child: "|- " or "`- " for the last one. */
static const char *
branch(int last)
{
	return (last ? "`- " : "|- ");
}

/* What continues a child's own lines: "|  " or "   " under the last. */
static const char *
stem(int last)
{
	return (last ? "   " : "|  ");
}

/* A list of ranges under pre, or "none"/"any" when empty. */
static void
print_ranges(const char *pre, const char *title, json_t *a, int truncated,
    const char *empty, int last)
{
	json_t	*e;
	size_t	 i, n = json_array_size(a);

	if (n == 0) {
		printf("%s%s%s: %s\n", pre, branch(last), title, empty);
		return;
	}
	printf("%s%s%s: %zu%s\n", pre, branch(last), title, n,
	    truncated ? " shown, more not listed" : "");
	json_array_foreach(a, i, e) {
		printf("%s%s%s%s - %s\n", pre, stem(last),
		    branch(i + 1 == n), jstr(e, "start"), jstr(e, "last"));
	}
}

static void
print_ioas(json_t *o, const char *pre)
{
	json_t		*areas, *e;
	json_int_t	 nareas;
	size_t		 i, n;
	char		 len[32], sub[16];

	printf("%s|- iova alignment %lld, huge pages %s, %lld pinner%s "
	    "(%lld domain%s)%s\n", pre, (long long)jint(o, "iova_alignment"),
	    json_is_true(json_object_get(o, "huge_pages")) ? "on" : "off",
	    (long long)jint(o, "pinners"), jint(o, "pinners") == 1 ? "" : "s",
	    (long long)jint(o, "domains"), jint(o, "domains") == 1 ? "" : "s",
	    json_is_true(json_object_get(o, "vfio_compat")) ?
	    ", the VFIO compat IOAS" : "");
	areas = json_object_get(o, "areas");
	n = json_array_size(areas);
	nareas = jint(o, "nareas");
	if (nareas == 0)
		printf("%s|- mappings: none\n", pre);
	else if ((json_int_t)n < nareas) {
		printf("%s|- mappings: %lld, the first %zu shown\n", pre,
		    (long long)nareas, n);
	} else
		printf("%s|- mappings: %lld\n", pre, (long long)nareas);
	snprintf(sub, sizeof sub, "%s|  ", pre);
	json_array_foreach(areas, i, e) {
		fmt_length(jstr(e, "length"), len, sizeof len);
		printf("%s%s%s +%s %-2s %s %s %s\n", sub, branch(i + 1 == n),
		    jstr(e, "iova"), len, jstr(e, "prot"), jstr(e, "kind"),
		    strcmp(jstr(e, "kind"), "file") == 0 ? "offset" : "va",
		    jstr(e, "addr"));
	}
	print_ranges(pre, "reserved", json_object_get(o, "reserved"),
	    json_is_true(json_object_get(o, "reserved_truncated")), "none", 0);
	print_ranges(pre, "allowed", json_object_get(o, "allowed"),
	    json_is_true(json_object_get(o, "allowed_truncated")),
	    "any (no ALLOW_IOVAS)", 1);
}

/*
 * Any other kind: its describe members as "key value" on one line, ids
 * of held objects included, so that new kinds show without changes here.
 */
static void
print_generic(json_t *o, const char *pre)
{
	json_t		*v, *e;
	const char	*k;
	size_t		 i;
	int		 first = 1;

	json_object_foreach(o, k, v) {
		if (strcmp(k, "id") == 0 || strcmp(k, "kind") == 0 ||
		    strcmp(k, "users") == 0)
			continue;
		if (first)
			printf("%s`- %s ", pre, k);
		else
			printf(", %s ", k);
		first = 0;
		if (json_is_array(v)) {
			if (json_array_size(v) == 0)
				printf("none");
			json_array_foreach(v, i, e) {
				printf("%s%s", i == 0 ? "" : "|",
				    json_is_string(e) ? json_string_value(e) :
				    "?");
			}
		} else if (json_is_string(v))
			printf("%s", json_string_value(v));
		else if (json_is_integer(v))
			printf("%lld", (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			printf("%s", json_is_true(v) ? "yes" : "no");
		else
			printf("?");
	}
	if (!first)
		printf("\n");
}

/* objects CTX: the context's objects as a tree. */
static void
print_objects(json_t *r)
{
	json_t	*a, *e;
	size_t	 i, n;
	char	 pre[8];

	a = json_object_get(r, "objects");
	n = json_array_size(a);
	printf("context %lld (%s, opened by pid %lld): %zu object%s\n",
	    (long long)jint(r, "ctx"), jstr(r, "transport"),
	    (long long)jint(r, "opener"), n, n == 1 ? "" : "s");
	json_array_foreach(a, i, e) {
		printf("%s%s %lld (users %lld)\n", branch(i + 1 == n),
		    jstr(e, "kind"), (long long)jint(e, "id"),
		    (long long)jint(e, "users"));
		snprintf(pre, sizeof pre, "%s", stem(i + 1 == n));
		if (strcmp(jstr(e, "kind"), "ioas") == 0)
			print_ioas(e, pre);
		else
			print_generic(e, pre);
	}
}

/* objects: one line per context. */
static void
print_contexts(json_t *r)
{
	json_t		*a;

	a = json_object_get(r, "contexts");
	if (json_array_size(a) == 0) {
		printf("no contexts\n");
		return;
	}
	print_context_table(a, "");
}

static void
print_objects_reply(json_t *r)
{
	if (json_object_get(r, "contexts") != NULL)
		print_contexts(r);
	else
		print_objects(r);
}

/*
 * coherency: per context, the KVM view: whether a VM holding its devices
 * must emulate WBINVD, the devices attached, those behind no snoop
 * control, those with no-snoop DMA going through, and the changes.
 */
static void
print_coherency(json_t *r)
{
	json_t		*a, *e, *cc;
	size_t		 i;

	a = json_object_get(r, "contexts");
	if (json_array_size(a) == 0) {
		printf("no contexts\n");
		return;
	}
	printf("%-6s %-10s %-8s %-7s %-9s %-12s %-8s %s\n", "CTX",
	    "TRANSPORT", "OPENER", "WBINVD", "ATTACHED", "NONCOHERENT",
	    "NOSNOOP", "CHANGES");
	json_array_foreach(a, i, e) {
		cc = json_object_get(e, "coherency");
		printf("%-6lld %-10s %-8lld %-7s %-9lld %-12lld %-8lld %lld\n",
		    (long long)jint(e, "id"), jstr(e, "transport"),
		    (long long)jint(e, "opener"),
		    json_is_true(json_object_get(cc, "wbinvd")) ? "yes" : "no",
		    (long long)jint(cc, "attached"),
		    (long long)jint(cc, "noncoherent"),
		    (long long)jint(cc, "nosnoop"),
		    (long long)jint(cc, "changes"));
	}
}

/*
 * pasids: per context, the ENQCMD PASID table (vPASID -> pPASID) of its
 * global-policy devices, and the pPASIDs the daemon has handed out.
 */
static void
print_pasids(json_t *r)
{
	json_t		*a, *e, *rows, *m;
	size_t		 i, j;

	printf("allocated: %lld\n", (long long)jint(r, "allocated"));
	a = json_object_get(r, "contexts");
	if (json_array_size(a) == 0) {
		printf("no contexts\n");
		return;
	}
	printf("%-6s %-10s %-8s %-8s %-8s %s\n", "CTX", "TRANSPORT",
	    "OPENER", "VPASID", "PPASID", "USERS");
	json_array_foreach(a, i, e) {
		rows = json_object_get(e, "pasids");
		if (json_array_size(rows) == 0) {
			printf("%-6lld %-10s %-8lld %-8s %-8s %s\n",
			    (long long)jint(e, "id"), jstr(e, "transport"),
			    (long long)jint(e, "opener"), "-", "-", "-");
			continue;
		}
		json_array_foreach(rows, j, m) {
			printf("%-6lld %-10s %-8lld %-8lld %-8lld %lld\n",
			    (long long)jint(e, "id"), jstr(e, "transport"),
			    (long long)jint(e, "opener"),
			    (long long)jint(m, "vpasid"),
			    (long long)jint(m, "ppasid"),
			    (long long)jint(m, "users"));
		}
	}
}

/*
 * enqcmd: per VM (or context with devices in no VM), its ENQCMD PASID
 * table.
 */
static void
print_enqcmd(json_t *r)
{
	json_t		*a, *g, *rows, *m;
	size_t		 i, j;
	char		 who[64];

	a = json_object_get(r, "groups");
	if (json_array_size(a) == 0) {
		printf("no devices\n");
		return;
	}
	printf("%-20s %-7s %-8s %-8s %-5s %s\n", "VM", "DEVICES", "VPASID",
	    "PPASID", "USERS", "CONFLICT");
	json_array_foreach(a, i, g) {
		if (jint(g, "pid") != 0)
			snprintf(who, sizeof(who), "%lld/%lld",
			    (long long)jint(g, "pid"),
			    (long long)jint(g, "vm"));
		else
			snprintf(who, sizeof(who), "ctx:%lld",
			    (long long)jint(g, "context"));
		rows = json_object_get(g, "pasids");
		if (json_array_size(rows) == 0) {
			printf("%-20s %-7lld %-8s %-8s %-5s %s\n", who,
			    (long long)jint(g, "devices"), "-", "-", "-", "-");
			continue;
		}
		json_array_foreach(rows, j, m) {
			printf("%-20s %-7lld %-8lld %-8lld %-5lld %s\n", who,
			    (long long)jint(g, "devices"),
			    (long long)jint(m, "vpasid"),
			    (long long)jint(m, "ppasid"),
			    (long long)jint(m, "users"),
			    json_is_true(json_object_get(m, "conflict")) ?
			    "yes" : "no");
		}
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

static void
print_log_level(json_t *r)
{
	printf("log level %s (was %s)\n", jstr(r, "level"), jstr(r, "previous"));
}

static json_t *
request_objects(int argc, char **argv)
{
	const struct ctl_command	*c = ctl_command_find("objects");
	char				*end;
	long long			 id;

	if (argc == 0)
		return (NULL);
	errno = 0;
	id = strtoll(argv[0], &end, 10);
	if (argv[0][0] == '\0' || *end != '\0' || errno != 0 || id < 0) {
		command_usage(c, "\"CTX\" is a context number, as "
		    "\"ioasidctl objects\" lists them");
	}
	return (json_pack("{s:I}", "ctx", (json_int_t)id));
}

static json_t *
request_log_level(int argc, char **argv)
{
	const struct ctl_command	*c = ctl_command_find("log-level");

	if (argc == 0)
		return (NULL);
	if (strcmp(argv[0], "warn") != 0 && strcmp(argv[0], "info") != 0 &&
	    strcmp(argv[0], "debug") != 0)
		command_usage(c, "the level is warn, info or debug");
	return (json_pack("{s:s}", "level", argv[0]));
}

/* trace on|off|status [--context N] */
static json_t *
request_trace(int argc, char **argv)
{
	const struct ctl_command	*c = ctl_command_find("trace");
	const char			*action = NULL;
	char				*end;
	long long			 id = 0;
	int				 i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--context") == 0 && i + 1 < argc) {
			errno = 0;
			id = strtoll(argv[++i], &end, 10);
			if (argv[i][0] == '\0' || *end != '\0' ||
			    errno != 0 || id <= 0 || id > UINT32_MAX)
				command_usage(c, "--context takes a context "
				    "number, as \"ioasidctl status\" lists them");
		} else if (action == NULL && (strcmp(argv[i], "on") == 0 ||
		    strcmp(argv[i], "off") == 0 ||
		    strcmp(argv[i], "status") == 0))
			action = argv[i];
		else
			command_usage(c, "trace on, off or status, and "
			    "--context N, or trace summary TRACE");
	}
	if (action == NULL)
		action = "status";
	if (id != 0)
		return (json_pack("{s:s, s:I}", "action", action, "ctx",
		    (json_int_t)id));
	return (json_pack("{s:s}", "action", action));
}

static void
print_trace(json_t *r)
{
	json_t	*t = json_object_get(r, "trace");

	if (json_object_get(r, "traced") != NULL)
		printf("context traced: %s\n",
		    json_is_true(json_object_get(r, "traced")) ? "yes" : "no");
	if (!json_is_true(json_object_get(t, "active"))) {
		printf("trace off\n");
		return;
	}
	printf("trace on%s, writing %s\n",
	    json_is_true(json_object_get(t, "all")) ? " for every context" :
	    " for chosen contexts", jstr(t, "path"));
	printf("records %lld, written %lld, dropped %lld, bytes %lld, "
	    "rotations %lld\n", jint(t, "records"), jint(t, "written"),
	    jint(t, "dropped"), jint(t, "bytes"), jint(t, "rotations"));
	if (jint(t, "error") != 0)
		printf("last write error: %s\n",
		    strerror((int)jint(t, "error")));
}

static const struct ctl_command ctl_commands[] = {
	{ .name = "status", .args = "",
	  .summary = "version, uptime, transports, locked memory, contexts",
	  .help =
"Show the daemon's version, pid, uptime and log level, where it listens,\n"
"the locked memory charged to each user or process, and one line per open\n"
"context (each open of /dev/iommu): its number, transport, the pid that\n"
"opened it, the ioctls it made and its objects by kind.",
	  .maxargs = 0, .print = print_status },
	{ .name = "objects", .args = "[CTX]",
	  .summary = "the contexts, or the object graph of context CTX",
	  .help =
"Without CTX, one line per open context, as in status. With CTX (a number\n"
"from that list), every object of that context as a tree: each IOAS with\n"
"its IOVA alignment, pinners and domains, its mappings (IOVA, length,\n"
"protection, user memory or file, and the address or file offset; the\n"
"first 1000), its reserved and allowed ranges; each HWPT, vIOMMU, access\n"
"and queue with the objects it holds. --json gives the same as JSON, with\n"
"addresses and lengths as hexadecimal strings.",
	  .maxargs = 1, .request = request_objects,
	  .print = print_objects_reply },
	{ .name = "coherency", .args = "",
	  .summary = "per context, whether a VM must emulate WBINVD",
	  .help =
"One line per open context with the KVM view of its coherency, as a\n"
"kvm-vfio device would compute it for a VM holding the context's devices:\n"
"WBINVD is yes when an attached device sits behind an IOMMU without snoop\n"
"control (NONCOHERENT counts them, out of ATTACHED); NOSNOOP counts the\n"
"devices that can issue no-snoop DMA through a domain that does not\n"
"enforce cache coherency; CHANGES, how often the WBINVD answer changed.\n"
"A program reads the same with the IOASIDD_COHERENCY ioctl.",
	  .maxargs = 0, .print = print_coherency },
	{ .name = "pasids", .args = "",
	  .summary = "per context, the ENQCMD PASID table",
	  .help =
"The PASID translation table KVM would program for a VM holding each\n"
"open context's devices, so that ENQCMD carries the host's PASID: one line\n"
"per vPASID that a device with pasid-policy = global attached, with the\n"
"host-unique PPASID the daemon handed out for it and the USERS (device\n"
"attachments) that hold it; \"-\" for a context with none. First, how many\n"
"pPASIDs the daemon has handed out over all contexts. A program reads its\n"
"own context's table with the IOASIDD_PASIDS ioctl.",
	  .maxargs = 0, .print = print_pasids },
	{ .name = "enqcmd", .args = "",
	  .summary = "per VM, the ENQCMD PASID table",
	  .help =
"The PASID translation table KVM would program for each VM so that a\n"
"guest's ENQCMD carries the host's PASID: the rows of the devices with\n"
"pasid-policy = global that the VM holds (the VMs that added a device's\n"
"VFIO open to their kvm-vfio device), whatever context they are bound to.\n"
"VM is the VMM's pid and the preload library's number for the VM, or\n"
"\"ctx:N\" for context N's devices that no VM holds; DEVICES, how many\n"
"devices are in it; per VPASID the PPASID, the USERS (device attachments)\n"
"holding it, and CONFLICT \"yes\" when two contexts in one VM gave the\n"
"vPASID two pPASIDs, which one table cannot hold. \"-\" for a VM with\n"
"none. A program reads its VM's table with the IOASIDD_ENQCMD ioctl.",
	  .maxargs = 0, .print = print_enqcmd },
	{ .name = "log-level", .args = "[warn|info|debug]",
	  .summary = "show or set the log level",
	  .help =
"Without an argument, show the daemon's log level; with one, set it until\n"
"the next reload or restart (the configuration's log-level is the lasting\n"
"way).",
	  .maxargs = 1, .request = request_log_level,
	  .print = print_log_level },
	{ .name = "reload", .args = "",
	  .summary = "reread the configuration file, as SIGHUP does",
	  .help =
"Reread the daemon's configuration file. Keys that can change while it\n"
"runs (log-level) are applied; every other changed key is listed as\n"
"needing a restart. A file with errors changes nothing, and the command\n"
"fails saying how many errors there were (\"ioasidd -n -f FILE\" lists\n"
"them).",
	  .maxargs = 0, .print = print_reload },
	{ .name = "trace", .args = "on|off|status [--context N]",
	  .summary = "the JSON trace: on, off, how it goes",
	  .help =
"Turn the JSON trace on or off for every context, or with --context N for\n"
"one. \"on\" starts the file the configuration's [trace] path names when\n"
"none is being written; \"off\" without --context stops it, writing every\n"
"queued record. \"status\" shows the file, the records queued, written and\n"
"dropped (the queue was full), and the bytes written.\n"
"\"ioasidctl trace summary TRACE\" reads a trace file instead: calls,\n"
"errors and latency percentiles per command and per context.\n"
"\"ioasidctl trace timeline TRACE -o FILE.html [--max-records N]\" draws\n"
"one as a self-contained web page: a lane per context, object lifetimes,\n"
"calls, errors, faults and events, each call's fields on hover.",
	  .maxargs = 3, .options = 1, .request = request_trace,
	  .print = print_trace },
};

static const struct ctl_command *
ctl_command_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(ctl_commands); i++) {
		if (strcmp(ctl_commands[i].name, name) == 0)
			return (&ctl_commands[i]);
	}
	return (NULL);
}

static void
ctl_list_commands(FILE *fp)
{
	const struct ctl_command	*c;
	char				 head[64];
	size_t				 i;

	for (i = 0; i < nitems(ctl_commands); i++) {
		c = &ctl_commands[i];
		snprintf(head, sizeof head, "%s%s%s", c->name,
		    c->args[0] != '\0' ? " " : "", c->args);
		fprintf(fp, "  %-28s %s\n", head, c->summary);
	}
	fprintf(fp, "  %-28s %s\n", "trace summary TRACE",
	    "calls, errors, latencies of a trace file");
	fprintf(fp, "  %-28s %s\n", "trace timeline TRACE -o HTML",
	    "draw a trace file as a web page");
	fprintf(fp, "  %-28s %s\n", "replay [--keep-going] TRACE",
	    "issue a trace again and compare every answer");
	fprintf(fp, "  %-28s %s\n", "run [OPTIONS] -- PROGRAM ...",
	    "start a program with device nodes open");
	fprintf(fp, "  %-28s %s\n", "record -o TRACE -- PROGRAM ...",
	    "run a program and write the trace of its contexts");
	fprintf(fp, "  %-28s %s\n", "help [COMMAND]", "this list, or more on "
	    "one command");
}

/* ioasidctl help [COMMAND] */
static __dead void
ctl_help(int argc, char **argv)
{
	const struct ctl_command	*c;

	if (argc == 0)
		usage(stdout, 0);
	if (argc > 1) {
		fprintf(stderr, "ioasidctl: help takes one command\n");
		exit(1);
	}
	if (strcmp(argv[0], "run") == 0) {
		printf("usage: ioasidctl run [--device NAME|vfioN ...] "
		    "[--socket PATH] [--node PATH]\n"
		    "           [--preload PATH] -- PROGRAM [ARGUMENT ...]\n"
		    "%s\n", LAUNCH_HELP);
		exit(0);
	}
	if (strcmp(argv[0], "record") == 0) {
		printf("usage: ioasidctl record -o TRACE [--device NAME ...] "
		    "[--socket PATH] [--node PATH]\n"
		    "           [--preload PATH] -- PROGRAM [ARGUMENT ...]\n"
		    "%s\n", RECORD_HELP);
		exit(0);
	}
	if ((c = ctl_command_find(argv[0])) == NULL) {
		fprintf(stderr, "ioasidctl: no command \"%s\"; the commands "
		    "are:\n", argv[0]);
		ctl_list_commands(stderr);
		exit(1);
	}
	command_help(c);
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
	const struct ctl_command	*c;
	json_t				*args = NULL, *req, *reply;
	const char			*msg;
	char				*line, err[160];
	size_t				 len;
	int				 ch, rc, i;

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
	if (argc == 0) {
		fprintf(stderr, "ioasidctl: no command given\n");
		usage(stderr, 1);
	}
	if (strcmp(argv[0], "help") == 0)
		ctl_help(argc - 1, argv + 1);
	if (strcmp(argv[0], "run") == 0)
		return (launch_main(argc, argv, ctl_device_index));
	/* Trace files are read here, without the daemon. */
	if (strcmp(argv[0], "trace") == 0 && argc > 1 &&
	    strcmp(argv[1], "summary") == 0)
		return (tracetool_summary(argc - 2, argv + 2));
	if (argc >= 2 && strcmp(argv[0], "trace") == 0 &&
	    strcmp(argv[1], "timeline") == 0)
		return (tracetool_timeline(argc - 2, argv + 2));
	if (strcmp(argv[0], "replay") == 0) {
		/* Devices by name when the control socket is there. */
		if (access(ctl_path, F_OK) == 0)
			replay_dev_resolve = ctl_device_index;
		return (tracetool_replay(argc - 1, argv + 1));
	}
	if (strcmp(argv[0], "record") == 0)
		return (tracetool_record(argc, argv, ctl_exec,
		    ctl_device_index));
	if ((c = ctl_command_find(argv[0])) == NULL) {
		fprintf(stderr, "ioasidctl: unknown command \"%s\"\n", argv[0]);
		usage(stderr, 1);
	}
	argc--;
	argv++;
	/* Options after the command: its help, or a mistake. */
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			command_help(c);
	}
	for (i = 0; i < argc && !c->options; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			snprintf(err, sizeof err, "unknown option \"%s\" (the "
			    "options -s and --json go before the command)",
			    argv[i]);
			command_usage(c, err);
		}
	}
	if (argc > c->maxargs)
		command_usage(c, "too many arguments");
	if (c->request != NULL)
		args = c->request(argc, argv);

	req = ctl_request(c->name, args);
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
		fprintf(stderr, "ioasidctl: %s: %s\n", c->name, msg);
		json_decref(reply);
		return (1);
	}
	if (!ctl_json)
		c->print(reply);
	json_decref(reply);
	return (0);
}
