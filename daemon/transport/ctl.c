/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The control socket's transport: it accepts connections, checks who is
 * calling, cuts the input into lines and writes replies; what a request
 * means is control.c's business.
 *
 * Nothing here blocks and nothing a client sends can hurt the daemon:
 * every connection is a bufferevent, a request line longer than
 * CTL_REQUEST_MAX ends the connection with an error reply, and a client
 * that sends requests without reading the replies is stopped from reading
 * more once CTL_OUT_HIGH bytes of replies wait for it, and dropped if it
 * takes more than CTL_WRITE_TIMEOUT seconds to take them. There are only
 * CTL_MAX_CONNS connections, so none may hold one for nothing: while the
 * daemon waits for a request, a whole line must come within
 * CTL_LINE_TIMEOUT seconds (of connecting, or of the last request), or
 * the connection ends with an ETIMEDOUT reply. Half a line and silence
 * count alike; a backlog of replies stops the clock, which the write
 * timeout then keeps instead.
 *
 * When the daemon is out of descriptors, the connection waiting first is
 * taken with a spare descriptor kept for that and closed, and the
 * listener pauses for a second: otherwise it would be woken in a loop
 * for a connection it cannot take.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/sys/queue.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "control.h"
#include "log.h"
#include "transport/ctl.h"
#include "transport/unixsock.h"
/* By its name alone, "ctl.h" would be transport/ctl.h, next to this file. */
#include "../../proto/ctl.h"

#define CTL_MAX_CONNS		64
#define CTL_OUT_HIGH		(1024 * 1024)
#define CTL_WRITE_TIMEOUT	10
#define CTL_LINE_TIMEOUT	30
#define CTL_BACKLOG		16

struct ctl_conn {
	struct ctl_server	*srv;
	struct bufferevent	*bev;
	struct event		*line_ev;	/* CTL_LINE_TIMEOUT */
	struct ctl_peer		 peer;
	int			 closing;	/* free once output is sent */
	TAILQ_ENTRY(ctl_conn)	 entry;
};

struct ctl_server {
	struct evconnlistener	*listener;
	struct event		*retry;		/* accept paused (EMFILE) */
	int			 reserve;	/* spare descriptor, or -1 */
	char			*path;
	struct unixsock		 us;		/* the listener's socket file */
	gid_t			 gid;
	uid_t			 uid;		/* the daemon's */
	unsigned int		 nconns;
	TAILQ_HEAD(, ctl_conn)	 conns;
};

static void	ctl_conn_process(struct ctl_conn *);

static void
ctl_conn_free(struct ctl_conn *c)
{
	TAILQ_REMOVE(&c->srv->conns, c, entry);
	c->srv->nconns--;
	event_free(c->line_ev);
	bufferevent_free(c->bev);
	free(c);
}

/* Queue one reply (a new reference, taken); 0 or -ENOMEM. */
static int
ctl_conn_send(struct ctl_conn *c, json_t *reply)
{
	char	*line;
	size_t	 len;
	int	 rc;

	if (reply == NULL)
		return (-ENOMEM);
	line = ctl_encode(reply, &len);
	json_decref(reply);
	if (line == NULL)
		return (-ENOMEM);
	rc = evbuffer_add(bufferevent_get_output(c->bev), line, len);
	free(line);
	return (rc == 0 ? 0 : -ENOMEM);
}

/* The next request line is due within CTL_LINE_TIMEOUT from now. */
static void
ctl_conn_arm(struct ctl_conn *c)
{
	struct timeval	tv = { .tv_sec = CTL_LINE_TIMEOUT };

	event_add(c->line_ev, &tv);
}

/* Send an error and hang up once it is written. */
static void
ctl_conn_fail(struct ctl_conn *c, int err, const char *msg)
{
	log_debug("%s: pid %ld: %s", __func__, (long)c->peer.pid, msg);
	c->closing = 1;
	event_del(c->line_ev);
	bufferevent_disable(c->bev, EV_READ);
	if (ctl_conn_send(c, ctl_reply_error(err, msg)) != 0)
		ctl_conn_free(c);
}

static int
ctl_conn_request(struct ctl_conn *c, const char *line, size_t len)
{
	json_t	*req, *reply;
	char	 err[128];

	if (ctl_decode(line, len, &req, err, sizeof err) != 0)
		return (ctl_conn_send(c, ctl_reply_error(EINVAL, err)));
	reply = control_exec(&c->peer, req);
	json_decref(req);
	if (reply == NULL)
		reply = ctl_reply_error(ENOMEM, "out of memory");
	return (ctl_conn_send(c, reply));
}

static int
ctl_blank(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return (0);
	}
	return (1);
}

/* Answer every whole line waiting, unless the client must read first. */
static void
ctl_conn_process(struct ctl_conn *c)
{
	struct evbuffer		*in, *out;
	struct evbuffer_ptr	 eol;
	char			*line, msg[64];
	size_t			 len;

	in = bufferevent_get_input(c->bev);
	out = bufferevent_get_output(c->bev);
	while (!c->closing) {
		if (evbuffer_get_length(out) >= CTL_OUT_HIGH) {
			bufferevent_disable(c->bev, EV_READ);
			event_del(c->line_ev);
			return;
		}
		eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		if (eol.pos == -1 ? evbuffer_get_length(in) >= CTL_REQUEST_MAX :
		    (size_t)eol.pos >= CTL_REQUEST_MAX) {
			snprintf(msg, sizeof msg, "request longer than %d bytes",
			    CTL_REQUEST_MAX - 1);
			ctl_conn_fail(c, E2BIG, msg);
			return;
		}
		if (eol.pos == -1)
			return;
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL) {
			ctl_conn_fail(c, ENOMEM, "out of memory");
			return;
		}
		if (!ctl_blank(line, len) &&
		    ctl_conn_request(c, line, len) != 0) {
			free(line);
			ctl_conn_fail(c, ENOMEM, "out of memory");
			return;
		}
		free(line);
		ctl_conn_arm(c);
	}
}

/* No whole line in time: the slot goes to someone else. */
static void
ctl_conn_linecb(__unused evutil_socket_t fd, __unused short what, void *arg)
{
	struct ctl_conn	*c = arg;
	char		 msg[64];

	if (c->closing)
		return;
	snprintf(msg, sizeof msg, "no whole request line in %d seconds",
	    CTL_LINE_TIMEOUT);
	ctl_conn_fail(c, ETIMEDOUT, msg);
}

static void
ctl_conn_readcb(__unused struct bufferevent *bev, void *arg)
{
	ctl_conn_process(arg);
}

/* The output has drained. */
static void
ctl_conn_writecb(__unused struct bufferevent *bev, void *arg)
{
	struct ctl_conn	*c = arg;

	if (c->closing) {
		ctl_conn_free(c);
		return;
	}
	if ((bufferevent_get_enabled(c->bev) & EV_READ) == 0) {
		bufferevent_enable(c->bev, EV_READ);
		ctl_conn_arm(c);
		ctl_conn_process(c);
	}
}

static void
ctl_conn_eventcb(__unused struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn	*c = arg;

	/* A client that closed its end still gets the replies owed. */
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) != 0) {
		c->closing = 1;
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("%s: pid %ld does not read its replies; dropped",
		    __func__, (long)c->peer.pid);
	ctl_conn_free(c);
}

/* Is gid among the peer's groups? */
static int
ctl_peer_in_group(int fd, const struct ucred *cred, gid_t gid)
{
	gid_t		*groups = NULL, *g;
	socklen_t	 len = 64 * sizeof(gid_t);
	size_t		 i;
	int		 found = 0;

	if (cred->gid == gid)
		return (1);
	for (;;) {
		if ((g = realloc(groups, len)) == NULL)
			break;
		groups = g;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) == 0) {
			for (i = 0; i < len / sizeof(gid_t); i++) {
				if (groups[i] == gid)
					found = 1;
			}
			break;
		}
		if (errno != ERANGE || len > 65536 * sizeof(gid_t))
			break;
	}
	free(groups);
	return (found);
}

static void
ctl_refuse(int fd, int err, const char *msg)
{
	char	*line;
	size_t	 len;
	json_t	*reply;

	if ((reply = ctl_reply_error(err, msg)) != NULL) {
		if ((line = ctl_encode(reply, &len)) != NULL) {
			/* Best effort: a fresh socket has room for a line. */
			(void)send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			free(line);
		}
		json_decref(reply);
	}
	close(fd);
}

static void
ctl_acceptcb(__unused struct evconnlistener *l, evutil_socket_t fd,
    __unused struct sockaddr *sa, __unused int salen, void *arg)
{
	struct ctl_server	*srv = arg;
	struct ctl_conn		*c;
	struct ucred		 cred;
	socklen_t		 len = sizeof cred;
	struct timeval		 tv = { .tv_sec = CTL_WRITE_TIMEOUT };
	char			 msg[128];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("%s: SO_PEERCRED", __func__);
		close(fd);
		return;
	}
	if (cred.uid != 0 && cred.uid != srv->uid &&
	    (srv->gid == (gid_t)-1 || !ctl_peer_in_group(fd, &cred,
	    srv->gid))) {
		log_debug("%s: uid %u pid %ld refused", __func__,
		    (unsigned int)cred.uid, (long)cred.pid);
		snprintf(msg, sizeof msg, "uid %u may not use this socket "
		    "(see control-group in ioasidd.conf)",
		    (unsigned int)cred.uid);
		ctl_refuse(fd, EACCES, msg);
		return;
	}
	if (srv->nconns >= CTL_MAX_CONNS) {
		ctl_refuse(fd, EBUSY, "too many control connections");
		return;
	}
	if ((c = calloc(1, sizeof *c)) == NULL) {
		ctl_refuse(fd, ENOMEM, "out of memory");
		return;
	}
	c->line_ev = evtimer_new(evconnlistener_get_base(srv->listener),
	    ctl_conn_linecb, c);
	if (c->line_ev == NULL) {
		free(c);
		ctl_refuse(fd, ENOMEM, "out of memory");
		return;
	}
	c->bev = bufferevent_socket_new(evconnlistener_get_base(
	    srv->listener), fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		event_free(c->line_ev);
		free(c);
		ctl_refuse(fd, ENOMEM, "out of memory");
		return;
	}
	c->srv = srv;
	c->peer.pid = cred.pid;
	c->peer.uid = cred.uid;
	c->peer.gid = cred.gid;
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	srv->nconns++;
	bufferevent_setcb(c->bev, ctl_conn_readcb, ctl_conn_writecb,
	    ctl_conn_eventcb, c);
	bufferevent_set_timeouts(c->bev, NULL, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	ctl_conn_arm(c);
	log_debug("%s: uid %u pid %ld connected", __func__,
	    (unsigned int)cred.uid, (long)cred.pid);
}

static void
ctl_accept_retry(__unused evutil_socket_t fd, __unused short what, void *arg)
{
	struct ctl_server	*srv = arg;

	evconnlistener_enable(srv->listener);
}

/* accept() failed: out of descriptors, or something passing. */
static void
ctl_accept_error(struct evconnlistener *l, void *arg)
{
	struct ctl_server	*srv = arg;
	struct timeval		 tv = { .tv_sec = 1 };
	int			 fd;

	if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS &&
	    errno != ENOMEM)
		return;
	log_warn("control: accept (paused for a second)");
	if (srv->reserve != -1) {
		close(srv->reserve);
		fd = accept4(evconnlistener_get_fd(l), NULL, NULL,
		    SOCK_CLOEXEC);
		if (fd != -1)
			close(fd);
		srv->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	evconnlistener_disable(l);
	evtimer_add(srv->retry, &tv);
}

int
ctl_server_open(struct event_base *base, const char *path, gid_t gid,
    struct ctl_server **srvp)
{
	struct ctl_server	*srv;
	int			 rc;

	*srvp = NULL;
	if ((srv = calloc(1, sizeof *srv)) == NULL)
		return (-ENOMEM);
	TAILQ_INIT(&srv->conns);
	srv->gid = gid;
	srv->uid = geteuid();
	srv->reserve = -1;
	if ((srv->path = strdup(path)) == NULL ||
	    (srv->retry = evtimer_new(base, ctl_accept_retry, srv)) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	srv->reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
	rc = unixsock_listen(path, SOCK_STREAM, gid != (gid_t)-1 ? 0660 : 0600,
	    gid, CTL_BACKLOG, 0, &srv->us);
	if (rc != 0)
		goto fail;
	/* Already listening: a backlog of 0 tells libevent so. */
	srv->listener = evconnlistener_new(base, ctl_acceptcb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, srv->us.fd);
	if (srv->listener == NULL) {
		rc = errno != 0 ? -errno : -ENOMEM;
		unixsock_unlink(path, &srv->us);
		close(srv->us.fd);
		goto fail;
	}
	evconnlistener_set_error_cb(srv->listener, ctl_accept_error);
	*srvp = srv;
	return (0);
fail:
	if (srv->retry != NULL)
		event_free(srv->retry);
	if (srv->reserve != -1)
		close(srv->reserve);
	free(srv->path);
	free(srv);
	return (rc);
}

void
ctl_server_close(struct ctl_server *srv)
{
	struct ctl_conn	*c;

	if (srv == NULL)
		return;
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		ctl_conn_free(c);
	evconnlistener_free(srv->listener);
	event_free(srv->retry);
	if (srv->reserve != -1)
		close(srv->reserve);
	/* Only our own file: another daemon may have taken the path since. */
	unixsock_unlink(srv->path, &srv->us);
	free(srv->path);
	free(srv);
}
