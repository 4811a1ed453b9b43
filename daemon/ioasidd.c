/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * ioasidd's main(): options, configuration, logging, the event loop and
 * the signals, and the order in which the transports come up and go down.
 *
 * The daemon never forks: -d or systemd keeps it in the foreground, and it
 * logs to stderr then (the journal reads it), to syslog otherwise. Startup
 * goes configuration, log, event base, signals, socket transport, control
 * socket, CUSE node, readiness; shutdown undoes it in the reverse order
 * and frees every context, so that a clean exit leaves nothing behind.
 *
 * The CUSE node. A configured "node" that cannot be made (no /dev/cuse,
 * something already at that path, the kernel refusing the name) is logged
 * with why and what to do, and the socket serves alone; with
 * "node-required = yes" it is a startup error instead. "-o node=" clears
 * the key. Readiness (READY=1) waits until the node exists or has failed.
 * If the kernel ends the connection later, the node is gone but the socket
 * goes on serving.
 *
 * SIGHUP rereads the configuration and takes what can change while running
 * (the log level); the other changed keys are logged as needing a restart.
 * SIGUSR1 toggles debug logging. SIGTERM and SIGINT end the daemon with
 * status 0.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "conf.h"
#include "control.h"
#include "core/ctx.h"
#include "core/dispatch.h"
#include "core/hfd.h"
#include "core/limit.h"
#include "core/trace.h"
#include "dev/vfio_cdev.h"
#include "hw/hw.h"
#include "hw/plugin.h"
#include "iommufd/noiommu.h"
#include "log.h"
#include "transport/ctl.h"
#include "transport/cuse.h"
#include "transport/sock.h"
#include "transport/unixsock.h"
#include "uapi.h"

#ifndef IOASIDD_SYSCONFDIR
#define IOASIDD_SYSCONFDIR	"/etc"
#endif

#define IOASIDD_PRELOAD		"libioasid-preload.so"

static struct {
	const char		*conf_path;
	char			**overrides;	/* -o, from argv */
	int			 noverrides;
	int			 verbose;	/* -v count */
	struct conf		*conf;
	struct event_base	*base;
	struct sock_server	*sock;
	struct cuse_server	*cuse;
	int			 cuse_ready;
	/* The VFIO device nodes over CUSE, one per [device], or NULL. */
	struct cuse_server	*vfio_cuse[CONF_DEVICE_MAX];
	char			 vfio_node[CONF_DEVICE_MAX][32];
	struct ctl_server	*ctl;
	struct event		*ev_sig[4];
} d;

static __dead void
usage(FILE *fp, int status)
{
	fprintf(fp,
"usage: ioasidd [-dhnVv] [-f file] [-o key=value]\n"
"  -d            stay in the foreground and log to stderr\n"
"  -f file       configuration file (default %s/ioasidd.conf)\n"
"  -h, --help    show this help\n"
"  -n            check the configuration, print \"configuration OK\", exit\n"
"  -o key=value  override a key of the file, e.g. -o socket=/tmp/iommu.sock\n"
"  -V            print the version and exit\n"
"  -v            log more (repeat for more still)\n",
	    IOASIDD_SYSCONFDIR);
	exit(status);
}

/* The [limits] of the configuration, for new charges from now on. */
static void
ioasidd_limits(const struct conf *conf)
{
	struct limit_set	 c, u;
	int			 k;

	_Static_assert(nitems(conf->limit_ctx) == LIMIT_NKINDS &&
	    nitems(conf->limit_uid) == LIMIT_NKINDS, "limit kinds");
	for (k = 0; k < LIMIT_NKINDS; k++) {
		c.max[k] = conf->limit_ctx[k];
		u.max[k] = conf->limit_uid[k];
	}
	limit_configure(&c, &u);
	/* Checked by conf.c: a power of two in the allowed range. */
	(void)noiommu_set_granule(conf->noiommu_granule);
	/* One of the levels conf.c offers, each one dispatch knows. */
	(void)dispatch_set_uapi_level(conf_uapi_level(conf));
}

/* The hardware configuration of conf for a trace header, or NULL. */
static json_t *
ioasidd_trace_hw(const struct conf *conf)
{
	json_t	*hw, *dev;
	size_t	 i;

	if ((hw = json_array()) == NULL)
		return (NULL);
	for (i = 0; i < conf->ndevices; i++) {
		dev = json_pack("{s:s, s:s, s:s, s:i}",
		    "device", conf->devices[i].name,
		    "iommu", conf->devices[i].iommu != NULL ?
		    conf->devices[i].iommu : "iommu0",
		    "model", conf->devices[i].model != NULL ?
		    conf->devices[i].model : "mock",
		    "pasid_width", (int)conf->devices[i].pasid_width);
		json_array_append_new(hw, dev);
	}
	return (hw);
}

/* The uAPI level of conf as a trace header says it. */
static const char *
ioasidd_trace_level(const struct conf *conf)
{
	return (conf_uapi_level(conf) == UAPI_LEVEL_6_12 ? "6.12" : "7.3");
}

/*
 * Starts the trace file of conf, every context traced when all is set:
 * 0, or -errno with a message in err.
 */
static int
ioasidd_trace_start(const struct conf *conf, int all, char *err,
    size_t errlen)
{
	json_t	*hw;
	int	 rc;

	if ((hw = ioasidd_trace_hw(conf)) == NULL)
		return (-ENOMEM);
	rc = trace_start(conf->trace_path, conf->trace_max_size,
	    (unsigned int)conf->trace_rotate, all, hw,
	    ioasidd_trace_level(conf));
	if (rc != 0) {
		snprintf(err, errlen, "trace %s: %s", conf->trace_path,
		    strerror(-rc));
		log_warnx("%s", err);
	}
	return (rc);
}

/* The control socket's "trace on" when no file is being written. */
static int
ioasidd_trace_hook(int all, char *err, size_t errlen)
{
	return (ioasidd_trace_start(d.conf, all, err, errlen));
}

/*
 * The [trace] section applied: the file started, restarted (its path or
 * limits changed) or stopped; the header of recordings made from conf.
 */
static void
ioasidd_trace(const struct conf *conf, const struct conf *old)
{
	char	err[256];

	trace_set_header(ioasidd_trace_hw(conf), ioasidd_trace_level(conf));
	if (!conf->trace_enabled) {
		if (old != NULL && old->trace_enabled)
			trace_stop();
		return;
	}
	if (trace_path() != NULL && old != NULL && old->trace_enabled &&
	    strcmp(old->trace_path, conf->trace_path) == 0 &&
	    old->trace_max_size == conf->trace_max_size &&
	    old->trace_rotate == conf->trace_rotate)
		return;
	(void)ioasidd_trace_start(conf, 1, err, sizeof(err));
}

/* The level the configuration and -v ask for. */
static int
ioasidd_level(const struct conf *conf)
{
	return (MIN(conf->log_level + d.verbose, LOG_LEVEL_DEBUG));
}

/*
 * Load the file and the -o overrides into *confp. On failure print every
 * error (stderr before logging is set up, the log afterwards) and return
 * how many there were.
 */
static size_t
ioasidd_load(struct conf **confp, int to_log)
{
	struct conf	*conf;
	char		 esc[1024];	/* the file's own words, escaped */
	size_t		 i, n;
	int		 rc;

	rc = conf_load(d.conf_path, &conf);
	if (rc == -ENOMEM) {
		if (to_log)
			log_warnx("%s: out of memory", d.conf_path);
		else
			fprintf(stderr, "ioasidd: %s: out of memory\n",
			    log_escape(esc, sizeof esc, d.conf_path));
		*confp = NULL;
		return (1);
	}
	for (i = 0; i < (size_t)d.noverrides; i++)
		(void)conf_override(conf, d.overrides[i]);
	n = conf->nerrors;
	for (i = 0; i < n; i++) {
		if (to_log)
			log_warnx("%s", conf->errors[i]);
		else
			fprintf(stderr, "%s\n", log_escape(esc, sizeof esc,
			    conf->errors[i]));
	}
	if (n != 0) {
		conf_free(conf);
		conf = NULL;
	}
	*confp = conf;
	return (n);
}

/*
 * Tell systemd (Type=notify) how we are, if it asked: one datagram to
 * $NOTIFY_SOCKET, a path or an abstract name starting with "@".
 */
static void
ioasidd_notify(const char *state)
{
	struct sockaddr_un	 sun;
	const char		*path;
	socklen_t		 len;
	size_t			 plen;
	int			 fd;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL)
		return;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen < 2 ||
	    plen >= sizeof sun.sun_path) {
		log_warnx("%s: NOTIFY_SOCKET is not a usable socket", __func__);
		return;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '/'));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", __func__);
		return;
	}
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len) == -1)
		log_warn("%s: %s", __func__, path);
	close(fd);
}

/*
 * Reread the configuration; take the reloadable keys, report the others.
 * body (may be NULL) receives what changed, for ioasidctl reload.
 */
static int
ioasidd_reload(json_t *body, char *err, size_t errlen)
{
	struct conf		*conf;
	struct conf_change	 ch[32];
	json_t			*applied = NULL, *restart = NULL, *c;
	size_t			 i, n, nerr;
	int			 reload;

	ioasidd_notify("RELOADING=1");
	log_info("reloading %s", d.conf_path);
	if ((nerr = ioasidd_load(&conf, 1)) != 0) {
		snprintf(err, errlen, "%s has %zu error%s (see the daemon's "
		    "log or run ioasidd -n); nothing changed", d.conf_path,
		    nerr, nerr == 1 ? "" : "s");
		log_warnx("%s", err);
		ioasidd_notify("READY=1");
		return (-EINVAL);
	}
	if (body != NULL) {
		applied = json_array();
		restart = json_array();
		/*
		 * json_object_set_new() takes its value whether it is set or
		 * not (NULL included): what was not handed over is let go
		 * here, and the reply then lists nothing rather than half.
		 */
		if (json_object_set_new(body, "applied", applied) != 0) {
			json_decref(restart);
			applied = restart = NULL;
		} else if (json_object_set_new(body, "restart-needed",
		    restart) != 0) {
			(void)json_object_del(body, "applied");
			applied = restart = NULL;
		}
	}
	n = conf_diff(d.conf, conf, ch, nitems(ch));
	for (i = 0; i < MIN(n, nitems(ch)); i++) {
		reload = (ch[i].key->flags & CONF_F_RELOAD) != 0;
		if (reload) {
			log_info("%s: %s -> %s", ch[i].key->name, ch[i].old,
			    ch[i].new);
		} else {
			log_warnx("%s changed (%s -> %s); restart ioasidd to "
			    "apply it", ch[i].key->name, ch[i].old, ch[i].new);
		}
		if (applied == NULL)
			continue;
		c = json_pack("{s:s, s:s, s:s}", "key", ch[i].key->name,
		    "old", ch[i].old, "new", ch[i].new);
		if (c != NULL)
			json_array_append_new(reload ? applied : restart, c);
	}
	if (!conf_iommus_equal(d.conf, conf)) {
		log_warnx("the [iommu] sections changed; restart ioasidd to "
		    "apply them");
		n++;
		c = json_pack("{s:s, s:s, s:s}", "key", "[iommu]", "old",
		    "", "new", "");
		if (c != NULL && restart != NULL)
			json_array_append_new(restart, c);
		else
			json_decref(c);
	}
	if (!conf_devices_equal(d.conf, conf)) {
		log_warnx("the [device] sections changed; restart ioasidd to "
		    "apply them");
		n++;
		c = json_pack("{s:s, s:s, s:s}", "key", "[device]", "old",
		    "", "new", "");
		if (c != NULL && restart != NULL)
			json_array_append_new(restart, c);
		else
			json_decref(c);
	}
	if (n == 0)
		log_info("no changes");
	ioasidd_trace(conf, d.conf);
	conf_take_reloadable(d.conf, conf);
	conf_free(conf);
	sock_server_set_per_uid(d.sock,
	    (unsigned int)d.conf->socket_per_uid);
	log_setlevel(ioasidd_level(d.conf));
	ioasidd_limits(d.conf);
	ioasidd_notify("READY=1");
	return (0);
}

static void
ioasidd_signal(evutil_socket_t sig, __unused short what,
    __unused void *arg)
{
	char	err[256];
	int	level;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("%s received, exiting", strsignal((int)sig));
		ioasidd_notify("STOPPING=1");
		event_base_loopbreak(d.base);
		break;
	case SIGHUP:
		(void)ioasidd_reload(NULL, err, sizeof err);
		break;
	case SIGUSR1:
		level = log_getlevel();
		if (level != LOG_LEVEL_DEBUG)
			level = LOG_LEVEL_DEBUG;
		else if ((level = ioasidd_level(d.conf)) == LOG_LEVEL_DEBUG)
			level = LOG_LEVEL_INFO;
		log_setlevel(level);
		/* Said at warn, so that it is seen whichever way it went. */
		log_warnx("log level %s", control_level_name(level));
		break;
	}
}

/*
 * Where the preload library is: next to us in the build tree, or in the
 * lib directory beside our sbin once installed; else its bare name, for
 * the dynamic loader to find.
 */
static void
ioasidd_preload_path(char *buf, size_t len)
{
	char	 exe[PATH_MAX], path[PATH_MAX + 64], *dir;
	ssize_t	 n;

	snprintf(buf, len, "%s", IOASIDD_PRELOAD);
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) == -1)
		return;
	exe[n] = '\0';
	dir = dirname(exe);
	snprintf(path, sizeof path, "%s/%s", dir, IOASIDD_PRELOAD);
	if (access(path, R_OK) == 0) {
		snprintf(buf, len, "%s", path);
		return;
	}
	snprintf(path, sizeof path, "%s/../lib/%s", dir, IOASIDD_PRELOAD);
	if (realpath(path, exe) != NULL)
		snprintf(buf, len, "%s", exe);
}

/* Say why a socket could not be made, and what would fix it. */
static __dead void
ioasidd_socket_fatal(const char *what, const char *key, const char *path,
    int rc)
{
	char	dir[PATH_MAX];

	snprintf(dir, sizeof dir, "%s", path);
	switch (-rc) {
	case EACCES:
	case EPERM:
	case EROFS:
	case ENOENT:
	case ENOTDIR:
		fatalx("cannot create the %s %s: %s. Its directory %s must "
		    "exist and be writable by uid %u: set \"%s = ...\" in %s, "
		    "or start with -o %s=$XDG_RUNTIME_DIR/ioasidd/%s, or run "
		    "as root", what, path, strerror(-rc), dirname(dir),
		    (unsigned int)geteuid(), key, d.conf_path, key,
		    strcmp(key, "socket") == 0 ? "iommu.sock" : "control.sock");
	case EADDRINUSE:
		fatalx("cannot create the %s %s: another ioasidd is listening "
		    "there; stop it or choose another \"%s\"", what, path, key);
	case EEXIST:
		fatalx("cannot create the %s %s: a file that is not a socket "
		    "is in the way; remove it or choose another \"%s\"", what,
		    path, key);
	default:
		fatalx("cannot create the %s %s: %s", what, path,
		    strerror(-rc));
	}
}

/*
 * Refuse to make a socket where another user could put theirs in its
 * place (unixsock.c): a client would hand that user its requests.
 */
static void
ioasidd_socket_safe(const char *what, const char *key, const char *path)
{
	char	bad[PATH_MAX];

	if (unixsock_path_safe(path, bad, sizeof bad) != -EPERM)
		return;
	fatalx("cannot create the %s %s: users other than root and uid %u "
	    "can replace entries in %s, so one could put its own socket in "
	    "its place. Make the directory root's or uid %u's and writable "
	    "by nobody else (chmod go-w), or sticky (chmod +t) with no entry "
	    "of another user at that name, or set \"%s = ...\" in %s to "
	    "another place", what, path, (unsigned int)geteuid(), bad,
	    (unsigned int)geteuid(), key, d.conf_path);
}

/*
 * Why the CUSE node could not be made, and what would fix it, as one
 * sentence in buf.
 */
static void
ioasidd_node_why(const char *node, int rc, char *buf, size_t len)
{
	switch (-rc) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		snprintf(buf, len, "cannot create the node %s: this kernel has "
		    "no CUSE (/dev/cuse is missing). Run \"modprobe cuse\", or "
		    "start with -o node= (or leave \"node\" empty in %s) to "
		    "serve only the socket", node, d.conf_path);
		break;
	case EEXIST:
		snprintf(buf, len, "cannot create the node %s: something "
		    "already exists there that is not ours (a real iommufd?). "
		    "Choose another \"node\" in %s, such as /dev/iommu-emu, or "
		    "start with -o node= to serve only the socket", node,
		    d.conf_path);
		break;
	case EACCES:
	case EPERM:
		snprintf(buf, len, "cannot create the node %s: /dev/cuse: %s. "
		    "Run as root, or start with -o node= to serve only the "
		    "socket", node, strerror(-rc));
		break;
	case ECONNABORTED:
		snprintf(buf, len, "cannot create the node %s: the kernel "
		    "refused the device (is another CUSE device called that?). "
		    "Choose another \"node\" in %s, or start with -o node=",
		    node, d.conf_path);
		break;
	default:
		snprintf(buf, len, "cannot create the node %s: %s", node,
		    strerror(-rc));
		break;
	}
}

/*
 * The node could not be made. With node-required, that ends the daemon;
 * otherwise the reason is logged and the socket serves alone.
 */
static void
ioasidd_node_failed(const char *node, int rc)
{
	char	 why[1024];

	ioasidd_node_why(node, rc, why, sizeof why);
	if (d.conf->node_required) {
		ctl_server_close(d.ctl);
		d.ctl = NULL;
		sock_server_close(d.sock);
		d.sock = NULL;
		fatalx("%s", why);
	}
	log_warnx("%s; serving the socket %s alone (node-required = yes "
	    "would stop here instead)", why, d.conf->socket);
	cuse_server_close(d.cuse);
	d.cuse = NULL;
	control_transport_remove("cuse");
}

/* All transports are up: tell systemd and the user. */
static void
ioasidd_ready(void)
{
	char	 preload[PATH_MAX + 64];

	ioasidd_preload_path(preload, sizeof preload);
	if (d.cuse != NULL)
		fprintf(stderr, "ioasidd: serving %s, and the socket %s for "
		    "programs run with: LD_PRELOAD=%s IOASIDD_SOCKET=%s "
		    "program\n", d.conf->node, d.conf->socket, preload,
		    d.conf->socket);
	else
		fprintf(stderr, "ioasidd: serving /dev/iommu on %s; run a "
		    "program with: LD_PRELOAD=%s IOASIDD_SOCKET=%s program\n",
		    d.conf->socket, preload, d.conf->socket);
	ioasidd_notify("READY=1");
}

/* The CUSE transport's news: the node exists, or the kernel let go. */
static void
ioasidd_cuse_event(__unused void *arg, int error)
{
	if (error == 0) {
		d.cuse_ready = 1;
		log_info("serving %s", d.conf->node);
		ioasidd_ready();
		return;
	}
	if (!d.cuse_ready) {
		ioasidd_node_failed(d.conf->node, -ECONNABORTED);
		ioasidd_ready();
		return;
	}
	log_warnx("the kernel ended the CUSE connection (%s): %s is gone; "
	    "the socket %s still serves", strerror(-error), d.conf->node,
	    d.conf->socket);
	control_transport_remove("cuse");
}

/* A VFIO device node's news: it exists, or it is gone. */
static void
ioasidd_vfio_event(void *arg, int error)
{
	size_t	i = (size_t)(uintptr_t)arg;

	if (error == 0)
		log_info("serving %s (device %s)", d.vfio_node[i],
		    vfio_cdev_name((unsigned int)i));
	else
		log_warnx("cuse: %s is gone (%s); the socket still serves "
		    "device %s", d.vfio_node[i], strerror(-error),
		    vfio_cdev_name((unsigned int)i));
}

/*
 * One CUSE node per device beside the /dev/iommu node. A node that cannot
 * be made is logged and left to the socket, whatever node-required says:
 * that key is about /dev/iommu.
 */
static void
ioasidd_vfio_nodes(void)
{
	struct cuse_config	cc;
	unsigned int		i;
	int			rc;

	for (i = 0; i < vfio_cdev_count() && i < CONF_DEVICE_MAX; i++) {
		snprintf(d.vfio_node[i], sizeof(d.vfio_node[i]),
		    "/dev/vfio/devices/vfio%u", i);
		memset(&cc, 0, sizeof cc);
		cc.node = d.vfio_node[i];
		cc.mode = d.conf->node_mode;
		cc.gid = d.conf->node_gid;
		cc.vfio = 1;
		cc.vfio_index = i;
		cc.cb = ioasidd_vfio_event;
		cc.arg = (void *)(uintptr_t)i;
		rc = cuse_server_open(d.base, &cc, &d.vfio_cuse[i]);
		if (rc != 0)
			log_warnx("cuse: cannot make %s for device %s: %s; "
			    "the socket serves it", d.vfio_node[i],
			    vfio_cdev_name(i), strerror(-rc));
	}
}

static void
ioasidd_vfio_nodes_close(void)
{
	size_t	i;

	for (i = 0; i < CONF_DEVICE_MAX; i++) {
		cuse_server_close(d.vfio_cuse[i]);
		d.vfio_cuse[i] = NULL;
	}
}

/*
 * Make the control socket's directory if it is missing, one level, as
 * systemd's RuntimeDirectory= would (the socket transport does its own).
 */
static void
ioasidd_mkdir_parent(const char *path)
{
	char	dir[PATH_MAX];

	snprintf(dir, sizeof dir, "%s", path);
	if (mkdir(dirname(dir), 0755) == 0)
		log_info("created %s", dir);
}

/*
 * The loop's side of handed-out descriptors (core/hfd.h): one persistent
 * read event per daemon end, which hands the descriptor back to the core.
 */
static void
ioasidd_hfd_cb(__unused evutil_socket_t fd, __unused short what, void *arg)
{
	hfd_ready(arg);
}

static int
ioasidd_hfd_watch(struct hfd *hfd)
{
	struct event	*ev;

	ev = event_new(d.base, hfd->fd, EV_READ | EV_PERSIST, ioasidd_hfd_cb,
	    hfd);
	if (ev == NULL)
		return (-ENOMEM);
	if (event_add(ev, NULL) != 0) {
		event_free(ev);
		return (-ENOMEM);
	}
	hfd->watch = ev;
	return (0);
}

static void
ioasidd_hfd_out_cb(__unused evutil_socket_t fd, __unused short what,
    void *arg)
{
	hfd_output(arg);
}

/* A write event only while a queue has something waiting. */
static int
ioasidd_hfd_watch_output(struct hfd *hfd, int on)
{
	struct event	*ev;

	if (!on) {
		if (hfd->watch_out != NULL)
			event_free(hfd->watch_out);
		hfd->watch_out = NULL;
		return (0);
	}
	ev = event_new(d.base, hfd->fd, EV_WRITE | EV_PERSIST,
	    ioasidd_hfd_out_cb, hfd);
	if (ev == NULL)
		return (-ENOMEM);
	if (event_add(ev, NULL) != 0) {
		event_free(ev);
		return (-ENOMEM);
	}
	hfd->watch_out = ev;
	return (0);
}

static void
ioasidd_hfd_unwatch(struct hfd *hfd)
{
	if (hfd->watch != NULL)
		event_free(hfd->watch);
	hfd->watch = NULL;
	(void)ioasidd_hfd_watch_output(hfd, 0);
}

static const struct hfd_loop ioasidd_hfd_loop = {
	.watch = ioasidd_hfd_watch,
	.unwatch = ioasidd_hfd_unwatch,
	.watch_output = ioasidd_hfd_watch_output,
};

/*
 * The [iommu NAME] instances, made once at start (conf_load() has made
 * and freed each already, so a failure here is out of memory or a bug).
 */
static void
ioasidd_iommus(const struct conf *conf)
{
	const struct conf_iommu	*im;
	struct hw_instance	*inst;
	char			 err[256];
	size_t			 i;
	int			 rc;

	hw_model_dir_set(conf->model_dir);
	for (i = 0; i < conf->niommus; i++) {
		im = &conf->iommus[i];
		rc = hw_instance_new(im->name, im->model, im->profile,
		    im->params, im->nparams, &inst, err, sizeof(err));
		if (rc != 0)
			fatalx("[iommu %s]: %s", im->name, err);
		if ((rc = hw_instance_add(inst)) != 0) {
			hw_instance_free(inst);
			fatalx("[iommu %s]: %s", im->name, strerror(-rc));
		}
		log_info("iommu %s is model %s%s%s", inst->name,
		    inst->ops->name, inst->profile != NULL ? ", profile " :
		    "", inst->profile != NULL ? inst->profile : "");
	}
}

static void
ioasidd_start(void)
{
	const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	const struct control_hooks hooks = { .reload = ioasidd_reload,
	    .trace_start = ioasidd_trace_hook };
	struct cuse_config cc;
	size_t		 i;
	int		 rc;

	if ((d.base = event_base_new()) == NULL)
		fatalx("cannot create the event base");
	for (i = 0; i < nitems(sigs); i++) {
		d.ev_sig[i] = evsignal_new(d.base, sigs[i], ioasidd_signal,
		    NULL);
		if (d.ev_sig[i] == NULL || evsignal_add(d.ev_sig[i], NULL) != 0)
			fatalx("cannot watch signal %d", sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	control_init(&hooks);
	hfd_set_loop(&ioasidd_hfd_loop);

	ioasidd_iommus(d.conf);
	if ((rc = vfio_cdev_configure(d.conf->devices,
	    d.conf->ndevices)) != 0)
		fatalx("cannot make the devices: %s", strerror(-rc));
	for (i = 0; i < vfio_cdev_count(); i++)
		log_info("device %s is vfio%zu", vfio_cdev_name((unsigned int)i),
		    i);

	ioasidd_socket_safe("socket", "socket", d.conf->socket);
	rc = sock_server_open(d.base, d.conf->socket, d.conf->socket_mode,
	    d.conf->socket_gid, &d.sock);
	if (rc != 0)
		ioasidd_socket_fatal("socket", "socket", d.conf->socket, rc);
	sock_server_set_per_uid(d.sock,
	    (unsigned int)d.conf->socket_per_uid);
	if (control_transport_add("socket", d.conf->socket) != 0)
		fatalx("out of memory");
	log_info("listening on %s", d.conf->socket);

	if (d.conf->control_socket[0] != '\0') {
		ioasidd_socket_safe("control socket", "control-socket",
		    d.conf->control_socket);
		ioasidd_mkdir_parent(d.conf->control_socket);
		rc = ctl_server_open(d.base, d.conf->control_socket,
		    d.conf->control_gid, &d.ctl);
		if (rc != 0) {
			sock_server_close(d.sock);
			ioasidd_socket_fatal("control socket", "control-socket",
			    d.conf->control_socket, rc);
		}
		if (control_transport_add("control",
		    d.conf->control_socket) != 0)
			fatalx("out of memory");
		log_info("control socket on %s", d.conf->control_socket);
	}

	if (d.conf->node[0] != '\0') {
		memset(&cc, 0, sizeof cc);
		cc.node = d.conf->node;
		cc.mode = d.conf->node_mode;
		cc.gid = d.conf->node_gid;
		cc.cb = ioasidd_cuse_event;
		if (control_transport_add("cuse", d.conf->node) != 0)
			fatalx("out of memory");
		ioasidd_vfio_nodes();
		if ((rc = cuse_server_open(d.base, &cc, &d.cuse)) == 0) {
			/* Ready once the kernel has taken the device. */
			return;
		}
		ioasidd_node_failed(d.conf->node, rc);
	}
	ioasidd_ready();
}

static void
ioasidd_stop(void)
{
	struct ctx	*ctx;
	size_t		 i;

	ctl_server_close(d.ctl);
	d.ctl = NULL;
	/* Closing its descriptor removes the node. */
	cuse_server_close(d.cuse);
	d.cuse = NULL;
	ioasidd_vfio_nodes_close();
	if (d.sock != NULL)
		sock_server_close(d.sock);
	d.sock = NULL;
	/* Whatever the transports left (there should be nothing). */
	while ((ctx = TAILQ_FIRST(&ctx_list)) != NULL)
		ctx_free(ctx);
	vfio_cdev_unconfigure();
	hw_instances_clear();
	hfd_set_loop(NULL);
	control_transport_clear();
	for (i = 0; i < nitems(d.ev_sig); i++) {
		if (d.ev_sig[i] != NULL)
			event_free(d.ev_sig[i]);
	}
	event_base_free(d.base);
	d.base = NULL;
	libevent_global_shutdown();
	conf_free(d.conf);
	d.conf = NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char	esc[1024];
	int	ch, foreground = 0, check = 0;

	d.conf_path = IOASIDD_SYSCONFDIR "/ioasidd.conf";
	if ((d.overrides = calloc((size_t)argc, sizeof *d.overrides)) == NULL)
		fatal("calloc");
	while ((ch = getopt_long(argc, argv, "df:hno:Vv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'f':
			d.conf_path = optarg;
			break;
		case 'h':
			free(d.overrides);
			usage(stdout, 0);
		case 'n':
			check = 1;
			break;
		case 'o':
			d.overrides[d.noverrides++] = optarg;
			break;
		case 'V':
			printf("ioasidd %s\n", IOASIDD_VERSION);
			free(d.overrides);
			return (0);
		case 'v':
			d.verbose++;
			break;
		default:
			free(d.overrides);
			usage(stderr, 1);
		}
	}
	argc -= optind;
	if (argc != 0) {
		fprintf(stderr, "ioasidd: unexpected argument \"%s\"\n",
		    log_escape(esc, sizeof esc, argv[optind]));
		free(d.overrides);
		usage(stderr, 1);
	}

	if (ioasidd_load(&d.conf, 0) != 0) {
		fprintf(stderr, "ioasidd: %s: configuration not valid\n",
		    log_escape(esc, sizeof esc, d.conf_path));
		free(d.overrides);
		return (1);
	}
	if (check) {
		printf("configuration OK\n");
		conf_free(d.conf);
		free(d.overrides);
		return (0);
	}

	/* Under systemd the journal reads stderr. */
	if (getenv("JOURNAL_STREAM") != NULL)
		foreground = 1;
	log_init(foreground, LOG_DAEMON);
	log_setlevel(ioasidd_level(d.conf));
	ioasidd_limits(d.conf);

	ioasidd_start();
	ioasidd_trace(d.conf, NULL);
	log_info("ioasidd %s started, pid %ld", IOASIDD_VERSION,
	    (long)getpid());
	if (event_base_dispatch(d.base) == -1)
		log_warnx("event loop failed");
	ioasidd_stop();
	trace_stop();
	log_info("exited");
	free(d.overrides);
	return (0);
}
