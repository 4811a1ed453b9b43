/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Facts about a caller from /proc (see caller.h). Every function reads
 * public files or asks the kernel for what any process may ask, and
 * answers "nothing known" rather than failing: a caller we cannot inspect
 * simply has no capabilities.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/caller.h"
#include "core/ucmd.h"

/* Linux capability numbers the uAPI cares about. */
#define CALLER_LINUX_CAP_IPC_LOCK	14
#define CALLER_LINUX_CAP_SYS_RESOURCE	24
#define CALLER_LINUX_CAP_SYS_RAWIO	17

unsigned int
caller_caps(pid_t pid)
{
	char		 path[64], line[256];
	FILE		*f;
	uint64_t	 eff = 0;
	unsigned int	 caps = 0;

	if (pid <= 0)
		return (0);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "CapEff: %" SCNx64, &eff) == 1)
			break;
	}
	fclose(f);
	if (eff & (1ull << CALLER_LINUX_CAP_IPC_LOCK))
		caps |= CALLER_CAP_IPC_LOCK;
	if (eff & (1ull << CALLER_LINUX_CAP_SYS_RESOURCE))
		caps |= CALLER_CAP_SYS_RESOURCE;
	if (eff & (1ull << CALLER_LINUX_CAP_SYS_RAWIO))
		caps |= CALLER_CAP_SYS_RAWIO;
	return (caps);
}

uint64_t
caller_memlock(pid_t pid)
{
	struct rlimit	 rl;
	char		 path[64], line[256], soft[32];
	FILE		*f;
	uint64_t	 v = 0;

	if (pid <= 0)
		return (0);
	if (prlimit(pid, RLIMIT_MEMLOCK, NULL, &rl) == 0)
		return (rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX :
		    (uint64_t)rl.rlim_cur);
	/* Not allowed to ask (another user): the limits file is public. */
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Max locked memory", 17) != 0)
			continue;
		if (sscanf(line + 17, "%31s", soft) == 1) {
			if (strcmp(soft, "unlimited") == 0)
				v = UINT64_MAX;
			else
				v = strtoull(soft, NULL, 10);
		}
		break;
	}
	fclose(f);
	return (v);
}

pid_t
caller_tgid(pid_t tid)
{
	char	 path[64], line[256];
	FILE	*f;
	int	 tgid = 0;

	if (tid <= 0)
		return (0);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if ((f = fopen(path, "re")) == NULL)
		return (tid);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	}
	fclose(f);
	return (tgid > 0 ? (pid_t)tgid : tid);
}
