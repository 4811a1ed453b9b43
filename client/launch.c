/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * "ioasidctl run": start a program (a VMM) with emulated VFIO device
 * nodes already open, so that it can be given them by number the way
 * QEMU's "-device vfio-pci,fd=N" takes a device, with no shell tricks.
 *
 * Each device named by --device, or by a %{vfioN} in the arguments, is
 * opened once: the node in $IOASIDD_VFIO_DIR when it is a character
 * device (the daemon's CUSE node), else through the daemon's socket as
 * the preload library opens it (a HELLO naming the device). A %{KEY} in
 * any argument becomes the descriptor's number, KEY being what --device
 * said (vfioN, or a [device] name the daemon's control socket resolves to
 * its index). The descriptors are left open across exec (no
 * close-on-exec), and the environment is set for the preload library:
 * LD_PRELOAD gets the library first, IOASIDD_SOCKET and IOASIDD_NODE are
 * set when options give them, and IOASIDD_DEVICE_FDS lists the socket
 * descriptors, so that the library knows them for devices before any
 * ioctl (proto/wire.h). Then the program replaces this process: the
 * daemon sees the same pid, and the library makes its own channel on each
 * inherited socket, as after any exec.
 *
 * Everything here runs before the exec, in a short-lived process: errors
 * are one line on stderr and exit status 1.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "chan.h"
#include "launch.h"
#include "wire.h"

#ifndef IOASIDD_LIBDIR
#define IOASIDD_LIBDIR	"/usr/local/lib"
#endif
#define LAUNCH_PRELOAD	IOASIDD_LIBDIR "/libioasid-preload.so"
/* The variable that overrides the library's installed path. */
#define LAUNCH_ENV_PRELOAD	"IOASIDD_PRELOAD"
#define LAUNCH_MAX_DEVICES	64

struct launch_dev {
	const char	*key;		/* what %{KEY} names */
	unsigned int	 index;		/* vfio<index> */
	int		 fd;
	int		 sock;		/* through the socket (not CUSE) */
};

static struct launch_dev	launch_devs[LAUNCH_MAX_DEVICES];
static int			launch_ndevs;

static __dead void printflike(1, 2)
launch_die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "ioasidctl: run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* N for "vfioN" (the preload library's spelling), or -1. */
static long
launch_vfio_index(const char *key)
{
	char	*end;
	long	 n;

	if (strncmp(key, "vfio", 4) != 0 || key[4] < '0' || key[4] > '9' ||
	    (key[4] == '0' && key[5] != '\0'))
		return (-1);
	errno = 0;
	n = strtol(key + 4, &end, 10);
	if (*end != '\0' || errno != 0 || n >= (1l << 20))
		return (-1);
	return (n);
}

static struct launch_dev *
launch_find(const char *key, size_t len)
{
	int	i;

	for (i = 0; i < launch_ndevs; i++) {
		if (strlen(launch_devs[i].key) == len &&
		    strncmp(launch_devs[i].key, key, len) == 0)
			return (&launch_devs[i]);
	}
	return (NULL);
}

/* Note a device to open, once. */
static void
launch_want(const char *key, size_t len,
    int (*resolve)(const char *, unsigned int *))
{
	struct launch_dev	*d;
	char			*k;
	unsigned int		 index;
	long			 n;

	if (launch_find(key, len) != NULL)
		return;
	if (launch_ndevs == LAUNCH_MAX_DEVICES)
		launch_die("more than %d devices", LAUNCH_MAX_DEVICES);
	if ((k = strndup(key, len)) == NULL)
		launch_die("%s", strerror(ENOMEM));
	if ((n = launch_vfio_index(k)) >= 0)
		index = (unsigned int)n;
	else if (resolve == NULL || resolve(k, &index) != 0)
		launch_die("no device \"%s\" (name it vfioN, or by a [device] "
		    "name the daemon's control socket knows)", k);
	d = &launch_devs[launch_ndevs++];
	d->key = k;
	d->index = index;
	d->fd = -1;
}

/* The devices the arguments name with %{vfioN}. */
static void
launch_scan(char **argv)
{
	const char	*p, *e;
	char		 key[32];
	size_t		 len;
	int		 i;

	for (i = 0; argv[i] != NULL; i++) {
		for (p = argv[i]; (p = strstr(p, "%{")) != NULL; p = e + 1) {
			if ((e = strchr(p + 2, '}')) == NULL)
				break;
			len = (size_t)(e - p - 2);
			if (len >= sizeof(key) || launch_find(p + 2, len) !=
			    NULL)
				continue;
			memcpy(key, p + 2, len);
			key[len] = '\0';
			if (launch_vfio_index(key) >= 0)
				launch_want(key, len, NULL);
		}
	}
}

static void
launch_open(struct launch_dev *d, const char *sock)
{
	const char	*dir;
	char		 path[PATH_MAX];
	struct stat	 st;

	dir = getenv(WIRE_ENV_VFIO_DIR);
	if (dir == NULL || *dir != '/')
		dir = WIRE_DEFAULT_VFIO_DIR;
	if ((size_t)snprintf(path, sizeof(path), "%s/vfio%u", dir,
	    d->index) < sizeof(path) && stat(path, &st) == 0 &&
	    S_ISCHR(st.st_mode)) {
		/* The daemon's CUSE node (or a kernel's): a real open. */
		if ((d->fd = open(path, O_RDWR)) == -1)
			launch_die("%s: %s", path, strerror(errno));
		d->sock = 0;
		return;
	}
	d->fd = chan_open_node(sock, 0, WIRE_NODE_VFIO_DEVICE, d->index);
	if (d->fd == -1)
		launch_die("%s: %s", d->key, errno == ENODEV ?
		    "the daemon has no such device" : strerror(errno));
	d->sock = 1;
}

/* arg with every %{KEY} replaced by its descriptor's number. */
static char *
launch_subst(const char *arg)
{
	struct launch_dev	*d;
	const char		*p, *e;
	char			*out, num[16];
	size_t			 len = 0, cap, n;

	/* Room for every %{...} to become a number of any length. */
	cap = strlen(arg) + 1;
	for (p = arg; (p = strstr(p, "%{")) != NULL; p += 2)
		cap += sizeof(num);
	if ((out = malloc(cap)) == NULL)
		launch_die("%s", strerror(ENOMEM));
	for (p = arg; *p != '\0'; p += n) {
		if (p[0] == '%' && p[1] == '{' &&
		    (e = strchr(p + 2, '}')) != NULL) {
			if ((d = launch_find(p + 2, (size_t)(e - p - 2))) ==
			    NULL)
				launch_die("\"%s\": no device was named for "
				    "its %%{...} (add --device)", arg);
			snprintf(num, sizeof(num), "%d", d->fd);
			n = (size_t)(e - p) + 1;
			memcpy(out + len, num, strlen(num));
			len += strlen(num);
			continue;
		}
		n = 1;
		out[len++] = *p;
	}
	out[len] = '\0';
	return (out);
}

static __dead void
launch_usage(FILE *fp, int status)
{
	fprintf(fp, "usage: ioasidctl run [--device NAME|vfioN ...] "
	    "[--socket PATH] [--node PATH]\n"
	    "                     [--preload PATH] -- PROGRAM [ARGUMENT ...]\n"
	    "%s\n", LAUNCH_HELP);
	exit(status);
}

int
launch_main(int argc, char **argv,
    int (*resolve)(const char *, unsigned int *))
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "node", required_argument, NULL, 'n' },
		{ "preload", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*sock = NULL, *node = NULL, *preload = NULL, *old;
	char		**nargv, *env, fds[LAUNCH_MAX_DEVICES * 12];
	size_t		 used = 0;
	int		 ch, i;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+d:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			launch_want(optarg, strlen(optarg), resolve);
			break;
		case 'h':
			launch_usage(stdout, 0);
			break;
		case 'n':
			node = optarg;
			break;
		case 'p':
			preload = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		default:
			launch_usage(stderr, 1);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		launch_usage(stderr, 1);
	launch_scan(argv);

	/* The library's settings first: chan_open_node() reads them too. */
	if (sock != NULL && setenv(WIRE_ENV_SOCKET, sock, 1) == -1)
		launch_die("%s", strerror(errno));
	if (node != NULL && setenv(WIRE_ENV_NODE, node, 1) == -1)
		launch_die("%s", strerror(errno));
	fds[0] = '\0';
	for (i = 0; i < launch_ndevs; i++) {
		launch_open(&launch_devs[i], sock);
		if (launch_devs[i].sock)
			used += (size_t)snprintf(fds + used, sizeof(fds) - used,
			    "%s%d", used != 0 ? "," : "", launch_devs[i].fd);
	}
	if (setenv(WIRE_ENV_DEVICE_FDS, fds, 1) == -1)
		launch_die("%s", strerror(errno));
	if (preload == NULL && (preload = getenv(LAUNCH_ENV_PRELOAD)) == NULL)
		preload = LAUNCH_PRELOAD;
	if ((old = getenv("LD_PRELOAD")) != NULL && *old != '\0') {
		if (asprintf(&env, "%s %s", preload, old) == -1)
			launch_die("%s", strerror(ENOMEM));
	} else if ((env = strdup(preload)) == NULL)
		launch_die("%s", strerror(ENOMEM));
	if (setenv("LD_PRELOAD", env, 1) == -1)
		launch_die("%s", strerror(errno));
	free(env);

	if ((nargv = calloc((size_t)argc + 1, sizeof(*nargv))) == NULL)
		launch_die("%s", strerror(ENOMEM));
	for (i = 0; i < argc; i++)
		nargv[i] = launch_subst(argv[i]);
	execvp(nargv[0], nargv);
	launch_die("%s: %s", nargv[0], strerror(errno));
}
