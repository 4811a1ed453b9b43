/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The commands of the control socket (ioasidctl's requests).
 *
 * Each command is a row of ctl_cmds[] (control.c) whose handler is named
 * *_ctl_*: it unpacks its arguments strictly (an unknown key is an error),
 * fills the reply body, and returns 0 or -errno with a message. The
 * transport (transport/ctl.c) only moves lines and checks who is calling;
 * control_exec() turns one request into one reply.
 */
#ifndef IOASIDD_CONTROL_H
#define IOASIDD_CONTROL_H

#include <sys/types.h>

#include <stddef.h>

#include <jansson.h>

/* Who sent a request, as SO_PEERCRED told the transport. */
struct ctl_peer {
	pid_t		 pid;
	uid_t		 uid;
	gid_t		 gid;
};

struct ctl_cmd {
	const char	*name;
	/*
	 * req is the whole request (borrowed), "cmd" included; body is the
	 * reply object to fill (borrowed). Returns 0, or -errno with a
	 * message for the client in err.
	 */
	int		(*exec)(const struct ctl_peer *, json_t *req,
			    json_t *body, char *err, size_t errlen);
	const char	*usage;		/* the arguments, for messages */
};

extern const struct ctl_cmd	ctl_cmds[];
extern const size_t		ctl_ncmds;

/* What the daemon lends the commands. */
struct control_hooks {
	/*
	 * Reread the configuration as SIGHUP does; describe what changed in
	 * body. 0, or -errno with a message in err.
	 */
	int		(*reload)(json_t *body, char *err, size_t errlen);
	/*
	 * Start the trace file the configuration names, every context
	 * traced when all is set. 0, or -errno with a message in err.
	 */
	int		(*trace_start)(int all, char *err, size_t errlen);
};

void	control_init(const struct control_hooks *);
/* Name a transport and where it listens, for status; copies both. */
int	control_transport_add(const char *name, const char *path);
void	control_transport_remove(const char *name);
void	control_transport_clear(void);

/*
 * Answer one request (borrowed). Returns a new reply object, or NULL when
 * memory ran out.
 */
json_t	*control_exec(const struct ctl_peer *, json_t *req);

/* "warn", "info", "debug" for LOG_LEVEL_*, and back (-1 if unknown). */
const char	*control_level_name(int);
int		 control_level_value(const char *);

#endif /* IOASIDD_CONTROL_H */
