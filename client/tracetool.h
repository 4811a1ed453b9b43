/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * ioasidctl's commands on trace files (client/tracetool.c, replay.c).
 */
#ifndef IOASIDD_CLIENT_TRACETOOL_H
#define IOASIDD_CLIENT_TRACETOOL_H

/*
 * ioasidctl trace summary TRACE: argv holds what follows "summary".
 * Returns the exit status.
 */
int	tracetool_summary(int argc, char **argv);
/*
 * ioasidctl replay [--keep-going] [--socket PATH] TRACE: argv holds what
 * follows "replay". Returns the exit status: 0 when every call gave the
 * recorded answer, 1 on a divergence, 2 when the replay could not run.
 */
int	tracetool_replay(int argc, char **argv);

#endif /* IOASIDD_CLIENT_TRACETOOL_H */
