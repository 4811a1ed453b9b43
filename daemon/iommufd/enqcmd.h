/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The ENQCMD PASID translation table of a VM (proto/ioasidd_enqcmd.h):
 * the vPASID -> pPASID rows of the global-policy devices a VM holds,
 * gathered from the live attachments whenever asked. A group is a VM
 * (the pid and number of proto/ioasidd_kvm.h) or, for devices no VM
 * holds, their context.
 */
#ifndef IOASIDD_ENQCMD_H
#define IOASIDD_ENQCMD_H

#include <sys/types.h>

#include <stdint.h>

struct ctx;
struct device;

/* A group: a VM when pid is not 0, else the devices of ctx in no VM. */
struct enqcmd_group {
	pid_t			 pid;
	uint64_t		 vm_id;
	const struct ctx	*ctx;
};

/* One row of a group's table. */
struct enqcmd_row {
	uint32_t	 vpasid;
	uint32_t	 ppasid;
	uint32_t	 users;		/* attachments holding it */
	int		 conflict;	/* the vPASID has another pPASID */
};

/* The group of a bound device (its open's first VM, else its context). */
void	enqcmd_group_of(struct device *, struct enqcmd_group *);
/*
 * The group's table: fn for each row in vPASID, then pPASID, order,
 * with the devices of the group in *ndevices first (NULL: not wanted).
 * 0, a non-zero return of fn, or -ENOMEM.
 */
int	enqcmd_walk(const struct enqcmd_group *, unsigned int *ndevices,
	    int (*fn)(void *, const struct enqcmd_row *), void *arg);
/*
 * Call fn once for each group that has a device, in the order the
 * contexts and their devices are found; a non-zero return stops the
 * walk and is returned; -ENOMEM.
 */
int	enqcmd_groups(int (*fn)(void *, const struct enqcmd_group *),
	    void *arg);

#endif /* IOASIDD_ENQCMD_H */
