/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The control protocol spoken by ioasidctl and the daemon's control socket.
 *
 * An AF_UNIX stream carrying newline-delimited JSON: each request is one
 * object on one line, {"cmd": "objects", "ctx": 3}, the command's arguments
 * next to "cmd"; each reply is one object on one line, either
 * {"ok": true, ...} with the command's fields, or
 * {"ok": false, "errno": "ENOENT", "error": "no context 3"}.
 * Requests are answered in order, so a client may send several at once.
 *
 * Both ends build and read messages only through these helpers, so that
 * there is one definition of every message. Functions that return json_t *
 * return a new reference, or NULL when memory ran out.
 */
#ifndef IOASIDD_PROTO_CTL_H
#define IOASIDD_PROTO_CTL_H

#include <stddef.h>

#include <jansson.h>

/* Longest request or reply line the other end must accept, newline included. */
#define CTL_REQUEST_MAX		(16 * 1024)
#define CTL_REPLY_MAX		(16 * 1024 * 1024)

/* Where ioasidctl looks when -s is not given. */
#define CTL_SOCKET_DEFAULT	"/run/ioasidd/control.sock"

/* {"cmd": cmd} plus the members of args (a borrowed object, or NULL). */
json_t		*ctl_request(const char *cmd, json_t *args);
/* {"ok": true} plus the members of body (a borrowed object, or NULL). */
json_t		*ctl_reply_ok(json_t *body);
/* {"ok": false, "errno": "E...", "error": message}; err is positive. */
json_t		*ctl_reply_error(int err, const char *message);

/*
 * One message as a line: compact JSON, a newline, a NUL. Returns a string
 * to free(), or NULL when memory ran out.
 */
char		*ctl_encode(const json_t *msg, size_t *lenp);
/*
 * Parse one line (without its newline) into an object: 0 or -EINVAL with
 * the reason in err.
 */
int		 ctl_decode(const char *line, size_t len, json_t **msgp,
		    char *err, size_t errlen);

/*
 * Read a reply: 0 if it says ok, else -errno (EPROTO when it is not a
 * well-formed reply), with *message pointing into the reply or at a
 * static text.
 */
int		 ctl_reply_result(json_t *reply, const char **message);

/* "ENOENT" for ENOENT; "E?" when unknown. */
const char	*ctl_errno_name(int err);
/* ENOENT for "ENOENT"; 0 when unknown. */
int		 ctl_errno_value(const char *name);

#endif /* IOASIDD_PROTO_CTL_H */
