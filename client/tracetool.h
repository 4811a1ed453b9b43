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

#endif /* IOASIDD_CLIENT_TRACETOOL_H */
