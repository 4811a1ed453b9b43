/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The replay engine (client/replay.c) and its two back ends: a running
 * daemon reached through libioasid (replay.c), and the daemon's core
 * started inside this process (replay_offline.c). The engine remaps and
 * compares; a back end only opens contexts, issues calls and closes them.
 */
#ifndef IOASIDD_CLIENT_REPLAY_H
#define IOASIDD_CLIENT_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Where the calls go. Each hook answers as ioctl(2) would: >= 0 or -errno. */
struct replay_backend {
	const char	*name;		/* "socket", "offline" */
	void		*priv;
	/* A new context (an open of /dev/iommu): a handle >= 0, or -errno. */
	int		(*open)(void *priv);
	/* Call num with arg (a pointer, or a value) on context h. */
	long		(*ioctl)(void *priv, int h, unsigned long num,
			    void *arg);
	/* The context's close. */
	void		(*close)(void *priv, int h);
	/*
	 * Optional: [p, p + len) is memory of the replay that the next call
	 * may read and write; NULL clears the list before each call.
	 */
	void		(*mem)(void *priv, void *p, size_t len);
	/*
	 * Whether device nodes and the descriptors queues hand out are
	 * replayed (client/replay_dev.c); else their lines are skipped.
	 * Without the hooks below they are the daemon's at socket (NULL for
	 * the default), through libioasid.
	 */
	int		 devices;
	const char	*socket;
	/*
	 * Optional: an open of the device called name (NULL: unknown) or
	 * else of index; a handle ioctl() takes, or -errno.
	 */
	int		(*open_device)(void *priv, const char *name,
			    unsigned int index);
	/* Optional, with open_device: the last close of device handle h. */
	void		(*close_device)(void *priv, int h);
	/*
	 * Optional: the replay wrote into queue descriptor qfd of context h,
	 * or closed it (qfd -1): return once the core has taken it.
	 */
	void		(*settle)(void *priv, int h, int qfd);
};

#define REPLAY_KEEP_GOING	0x1	/* report every divergence */
#define REPLAY_BY_CAUSE		0x2	/* list every call; group by cause */
#define REPLAY_QUIET		0x4	/* print nothing but errors */

struct replay_stats {
	uint64_t	calls, diverged, skipped;
	/* Spent replaying, less the time spent waiting for lines. */
	uint64_t	nsec;
};

/*
 * The lines of a trace, in order (client/replay_src.c): a file read and
 * parsed a bounded number of lines ahead by a thread of its own, or an
 * array in memory.
 */
struct replay_src;

/* Start reading trace file path: 0, or -1 with the reason on stderr. */
int	replay_src_open(const char *path, struct replay_src **srcp);
/* The lines of array lines (a reference is kept): 0 or -ENOMEM. */
int	replay_src_array(json_t *lines, struct replay_src **srcp);
/* The next line, a new reference; NULL after the last (or an error). */
json_t	*replay_src_next(struct replay_src *src);
/* The line replay_src_next() will give, borrowed, or NULL. */
json_t	*replay_src_peek(struct replay_src *src);
/* Nanoseconds replay_src_next() has waited for the reader so far. */
uint64_t replay_src_waited(struct replay_src *src);
/*
 * After replay_src_next() gave NULL: 0 when the trace ended, -1 (the
 * reason printed) when a line could not be read or parsed.
 */
int	replay_src_error(struct replay_src *src);
/* Stop reading and free what is left. */
void	replay_src_close(struct replay_src *src);

/*
 * Replay the lines of src (path names them in messages) through be,
 * comparing every answer, with REPLAY_* flags. Prints each divergence and
 * a summary unless REPLAY_QUIET. Returns 0 when nothing diverged, 1 when
 * something did, 2 when the replay could not run (or the trace could not
 * be read to its end); *st, when not NULL, gets the counts. Only the
 * lines around the one being replayed are held.
 */
int	replay_run_src(const struct replay_backend *be, const char *path,
	    struct replay_src *src, int flags, struct replay_stats *st);
/* replay_run_src() over an array of lines. */
int	replay_run(const struct replay_backend *be, const char *path,
	    json_t *lines, int flags, struct replay_stats *st);

/*
 * Start the daemon's core in this process for an offline replay: the
 * configuration file config, or when NULL the hardware models the trace
 * header (lines[0], or none: only that line is looked at) names; with
 * model not NULL, every IOMMU instance of it (and the selftest's mock
 * devices) is an instance of model instead. Fills *be. 0, or -1 with the
 * reason in err.
 */
int	replay_offline_start(json_t *lines, const char *config,
	    const char *model, struct replay_backend *be, char *err,
	    size_t errlen);
/* Close what is still open and undo replay_offline_start(). */
void	replay_offline_stop(struct replay_backend *be);

#endif /* IOASIDD_CLIENT_REPLAY_H */
