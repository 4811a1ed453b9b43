/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Locked-memory accounting for pinned pages, across every context of the
 * daemon, as the kernel keeps it: per user (RLIMIT_MEMLOCK charged to the
 * uid, iommufd's default) or per process (the mm's locked_vm, the VFIO
 * way), chosen by the context's IOMMU_OPTION_RLIMIT_MODE when the memory
 * is mapped.
 *
 * An acct_owner is who pays for a pages object: uid, pid, the caller's
 * RLIMIT_MEMLOCK and whether it may exceed it (CAP_IPC_LOCK). Owners are
 * shared and refcounted, so a pages object carries only a pointer. The
 * totals are counted in pages and can be read back for status reports.
 */
#ifndef IOASIDD_ACCT_H
#define IOASIDD_ACCT_H

#include <sys/types.h>

#include <stdint.h>

#include "core/ctx.h"

struct acct_owner {
	uid_t		 uid;
	pid_t		 pid;
	uint64_t	 limit;		/* pages; UINT64_MAX: unlimited */
	unsigned int	 refs;
};

/* The owner with these attributes (shared), or NULL when memory is short. */
struct acct_owner	*acct_owner_get(uid_t, pid_t, uint64_t memlock_bytes,
			    int nolimit);
void			 acct_owner_hold(struct acct_owner *);
void			 acct_owner_put(struct acct_owner *);

/*
 * Charge npages to the owner's user or process total: 0, or -ENOMEM if
 * that would pass the owner's limit (or memory is short).
 */
int		 acct_charge(struct acct_owner *, enum acct_mode,
		    uint64_t npages);
void		 acct_uncharge(struct acct_owner *, enum acct_mode,
		    uint64_t npages);

/* Current totals, in pages. */
uint64_t	 acct_user_pages(uid_t);
uint64_t	 acct_mm_pages(pid_t);

/* Every non-zero total: mode says whether id is a uid or a pid. */
void		 acct_foreach(void (*)(void *, enum acct_mode, long id,
		    uint64_t npages), void *);

#endif /* IOASIDD_ACCT_H */
