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
	uint64_t	nsec;		/* spent replaying, after loading */
};

/*
 * Read trace file path into *linesp (a new JSON array of every line, in
 * order): 0, or -1 with the reason on stderr.
 */
int	replay_load(const char *path, json_t **linesp);
/*
 * Replay lines (path names them in messages) through be, comparing every
 * answer, with REPLAY_* flags. Prints each divergence and a summary
 * unless REPLAY_QUIET. Returns 0 when nothing diverged, 1 when something
 * did, 2 when the replay could not run; *st, when not NULL, gets the
 * counts.
 */
int	replay_run(const struct replay_backend *be, const char *path,
	    json_t *lines, int flags, struct replay_stats *st);

/*
 * Start the daemon's core in this process for an offline replay: the
 * configuration file config, or when NULL the hardware models the trace
 * header (lines[0], or none) names; with model not NULL, every IOMMU
 * instance of it (and the selftest's mock devices) is an instance of
 * model instead. Fills *be. 0, or -1 with the reason in err.
 */
int	replay_offline_start(json_t *lines, const char *config,
	    const char *model, struct replay_backend *be, char *err,
	    size_t errlen);
/* Close what is still open and undo replay_offline_start(). */
void	replay_offline_stop(struct replay_backend *be);

#endif /* IOASIDD_CLIENT_REPLAY_H */
