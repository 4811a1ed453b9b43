/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * ioasidctl's commands on trace files (client/tracetool.c, replay.c,
 * record.c).
 */
#ifndef IOASIDD_CLIENT_TRACETOOL_H
#define IOASIDD_CLIENT_TRACETOOL_H

#include <jansson.h>

#define RECORD_HELP							\
"Run PROGRAM as \"ioasidctl run\" does (the same options), and write to\n" \
"TRACE the header line and the trace lines of every context that PROGRAM\n" \
"and its children open, and only those, whether the daemon's own trace\n" \
"file is on or off. The daemon chooses the contexts: those opened by a\n" \
"process under this one. The exit status is PROGRAM's, or 125 when the\n" \
"recording failed; a summary of calls and errors goes to stderr. Replay\n" \
"it with \"ioasidctl replay TRACE\"."

/*
 * ioasidctl trace summary TRACE: argv holds what follows "summary".
 * Returns the exit status.
 */
int	tracetool_summary(int argc, char **argv);
/*
 * ioasidctl trace timeline TRACE -o FILE [--max-records N]: argv holds
 * what follows "timeline". Writes the page; returns the exit status.
 */
int	tracetool_timeline(int argc, char **argv);
/*
 * ioasidctl replay [--keep-going] [--socket PATH] TRACE: argv holds what
 * follows "replay". Returns the exit status: 0 when every call gave the
 * recorded answer, 1 on a divergence, 2 when the replay could not run.
 */
int	tracetool_replay(int argc, char **argv);
/*
 * ioasidctl record -o TRACE [RUN OPTIONS] -- PROGRAM ...: argv[0] is
 * "record". call sends a control command with arguments (borrowed) and
 * returns the reply, or says why on stderr and returns NULL; resolve is
 * launch_main()'s. Returns the program's exit status, or 125 when the
 * recording failed.
 */
int	tracetool_record(int argc, char **argv,
	    json_t *(*call)(const char *cmd, json_t *args),
	    int (*resolve)(const char *name, unsigned int *index));

#endif /* IOASIDD_CLIENT_TRACETOOL_H */
