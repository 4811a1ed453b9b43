/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Limits on what one context and one uid may make the daemon hold:
 * objects, mapped areas, allowed and reserved IOVA ranges, and the bytes
 * of daemon memory all of these cost.
 *
 * Every context has a struct limit_acct counting its use of each kind.
 * The code that allocates something charges it there first and gives it
 * back when it frees it: obj_alloc() an object and its size, the io page
 * table its nodes, areas and ranges, a pages object its own size. A
 * context is bound to a uid by its first ioctl (the uid of that caller);
 * from then on every charge goes to that uid's total as well, which all
 * the uid's contexts share.
 *
 * A charge that would take the context or its uid past a configured
 * maximum fails and changes nothing: -ENOSPC for objects (no room for
 * another id, as when the id space is full), -ENOMEM for everything else
 * (the kernel's answer when it cannot allocate). A maximum of 0 is no
 * limit. New maxima (a reload) apply to new charges only.
 *
 * Invariant: when a context is freed every count is back at 0;
 * limit_release() checks it.
 */
#ifndef IOASIDD_LIMIT_H
#define IOASIDD_LIMIT_H

#include <sys/types.h>

#include <stdint.h>

enum limit_kind {
	LIMIT_OBJECTS = 0,
	LIMIT_AREAS,
	LIMIT_ALLOWED,
	LIMIT_RESERVED,
	LIMIT_BYTES,
	LIMIT_NKINDS
};

struct limit_user;

struct limit_acct {
	uint64_t		 use[LIMIT_NKINDS];
	struct limit_user	*user;		/* NULL until bound */
};

/*
 * What malloc(n) really takes (glibc on 64 bits: an 8-byte header, 16-byte
 * steps, 32 at least), so that the byte count is near the daemon's RSS.
 */
#define LIMIT_MALLOC(n)	((n) + 8 < 32 ? 32 : ((n) + 8 + 15) & ~(size_t)15)

/* The maxima of one scope; 0 is no limit. */
struct limit_set {
	uint64_t		 max[LIMIT_NKINDS];
};

/* Take new maxima for contexts and for uids. */
void		 limit_configure(const struct limit_set *ctx,
		    const struct limit_set *uid);
void		 limit_get(struct limit_set *ctx, struct limit_set *uid);

/* "objects", "areas", "allowed", "reserved", "bytes". */
const char	*limit_kind_name(enum limit_kind);

/*
 * Charge n of kind and bytes more bytes, both or neither: 0, -ENOSPC or
 * -ENOMEM. A NULL acct charges nothing (an io page table outside any
 * context, in tests).
 */
int		 limit_charge(struct limit_acct *, enum limit_kind,
		    uint64_t n, uint64_t bytes);
void		 limit_uncharge(struct limit_acct *, enum limit_kind,
		    uint64_t n, uint64_t bytes);
/*
 * Charge without checking: for memory taken where failing is not an
 * option (freeing an id can need a range node).
 */
void		 limit_force(struct limit_acct *, enum limit_kind,
		    uint64_t n, uint64_t bytes);

/*
 * Make acct count towards uid's totals, with what it holds already: 0 or
 * -ENOMEM. Binding again is a no-op.
 */
int		 limit_bind(struct limit_acct *, uid_t);
/*
 * The context is gone: leave its uid. Returns 0, or -EIO when something
 * is still charged (a leak: logged, counted in limit_leaks and given back
 * so that the uid's totals stay right).
 */
int		 limit_release(struct limit_acct *);
extern unsigned int limit_leaks;

/* The uid acct is bound to, or (uid_t)-1. */
uid_t		 limit_uid(const struct limit_acct *);
/* Every uid with a bound context: its number, contexts and use. */
void		 limit_foreach_user(void (*)(void *, uid_t, unsigned int,
		    const uint64_t *), void *);

#endif /* IOASIDD_LIMIT_H */
