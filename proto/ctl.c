/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Building and reading control-protocol messages (see ctl.h), shared by
 * the daemon and ioasidctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"

/* Errno values whose names a reply may carry: every one glibc names. */
#define CTL_ERRNO_LAST	200

json_t *
ctl_request(const char *cmd, json_t *args)
{
	json_t	*msg;

	if ((msg = json_object()) == NULL)
		return (NULL);
	if ((args != NULL && json_object_update(msg, args) != 0) ||
	    json_object_set_new(msg, "cmd", json_string(cmd)) != 0) {
		json_decref(msg);
		return (NULL);
	}
	return (msg);
}

json_t *
ctl_reply_ok(json_t *body)
{
	json_t	*msg;

	if ((msg = json_object()) == NULL)
		return (NULL);
	if (json_object_set_new(msg, "ok", json_true()) != 0 ||
	    (body != NULL && json_object_update_missing(msg, body) != 0)) {
		json_decref(msg);
		return (NULL);
	}
	return (msg);
}

json_t *
ctl_reply_error(int err, const char *message)
{
	return (json_pack("{s:b, s:s, s:s}", "ok", 0, "errno",
	    ctl_errno_name(err), "error", message));
}

char *
ctl_encode(const json_t *msg, size_t *lenp)
{
	char	*s, *line;
	size_t	 len;

	s = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (s == NULL)
		return (NULL);
	len = strlen(s);
	if ((line = realloc(s, len + 2)) == NULL) {
		free(s);
		return (NULL);
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	if (lenp != NULL)
		*lenp = len + 1;
	return (line);
}

int
ctl_decode(const char *line, size_t len, json_t **msgp, char *err,
    size_t errlen)
{
	json_error_t	 jerr;
	json_t		*msg;

	*msgp = NULL;
	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (msg == NULL) {
		snprintf(err, errlen, "bad JSON at column %d: %s",
		    jerr.column, jerr.text);
		return (-EINVAL);
	}
	if (!json_is_object(msg)) {
		json_decref(msg);
		snprintf(err, errlen, "a message must be a JSON object");
		return (-EINVAL);
	}
	*msgp = msg;
	return (0);
}

int
ctl_reply_result(json_t *reply, const char **message)
{
	json_t	*ok, *name, *error;
	int	 err;

	*message = "malformed reply";
	ok = json_object_get(reply, "ok");
	if (!json_is_boolean(ok))
		return (-EPROTO);
	if (json_is_true(ok)) {
		*message = NULL;
		return (0);
	}
	name = json_object_get(reply, "errno");
	error = json_object_get(reply, "error");
	if (!json_is_string(name) || !json_is_string(error))
		return (-EPROTO);
	*message = json_string_value(error);
	if ((err = ctl_errno_value(json_string_value(name))) == 0)
		err = EIO;
	return (-err);
}

const char *
ctl_errno_name(int err)
{
	const char	*name;

	if (err <= 0 || err > CTL_ERRNO_LAST ||
	    (name = strerrorname_np(err)) == NULL)
		return ("E?");
	return (name);
}

int
ctl_errno_value(const char *name)
{
	const char	*n;
	int		 err;

	for (err = 1; err <= CTL_ERRNO_LAST; err++) {
		if ((n = strerrorname_np(err)) != NULL && strcmp(n, name) == 0)
			return (err);
	}
	return (0);
}
