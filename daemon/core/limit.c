/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Per-context and per-uid limits (see limit.h). A context's counts live
 * in its struct limit_acct; a uid's totals live in a small tree of
 * limit_user nodes, one per uid with at least one bound context, freed
 * with its last context.
 */
#include <errno.h>
#include <stdlib.h>

#include <bsd/sys/tree.h>

#include "core/inject.h"
#include "core/limit.h"
#include "core/util.h"
#include "log.h"

struct limit_user {
	RB_ENTRY(limit_user)	 entry;
	uid_t			 uid;
	unsigned int		 nctx;		/* bound contexts */
	uint64_t		 use[LIMIT_NKINDS];
};

RB_HEAD(limit_users, limit_user);

static struct limit_users	limit_users = RB_INITIALIZER(&limit_users);
static struct limit_set		limit_ctx_max;
static struct limit_set		limit_uid_max;
unsigned int			limit_leaks;

static const char *const limit_names[LIMIT_NKINDS] = {
	[LIMIT_OBJECTS] = "objects",
	[LIMIT_AREAS] = "areas",
	[LIMIT_ALLOWED] = "allowed",
	[LIMIT_RESERVED] = "reserved",
	[LIMIT_BYTES] = "bytes",
};

static int
limit_user_cmp(struct limit_user *a, struct limit_user *b)
{
	return (a->uid < b->uid ? -1 : a->uid > b->uid);
}
RB_GENERATE_STATIC(limit_users, limit_user, entry, limit_user_cmp)

void
limit_configure(const struct limit_set *ctx, const struct limit_set *uid)
{
	limit_ctx_max = *ctx;
	limit_uid_max = *uid;
}

void
limit_get(struct limit_set *ctx, struct limit_set *uid)
{
	*ctx = limit_ctx_max;
	*uid = limit_uid_max;
}

const char *
limit_kind_name(enum limit_kind kind)
{
	if ((unsigned int)kind >= LIMIT_NKINDS)
		return ("unknown");
	return (limit_names[kind]);
}

/* Would use + n pass max? Never wraps. */
static int
limit_over(uint64_t use, uint64_t n, uint64_t max)
{
	return (max != 0 && (n > max || use > max - n));
}

/* May acct take n more of kind, in its context and in its uid? */
static int
limit_room(const struct limit_acct *acct, enum limit_kind kind, uint64_t n)
{
	if (limit_over(acct->use[kind], n, limit_ctx_max.max[kind]))
		return (0);
	if (acct->user != NULL && limit_over(acct->user->use[kind], n,
	    limit_uid_max.max[kind]))
		return (0);
	return (1);
}

static void
limit_add(struct limit_acct *acct, enum limit_kind kind, uint64_t n)
{
	acct->use[kind] += n;
	if (acct->user != NULL)
		acct->user->use[kind] += n;
}

/* Take n back, never below 0: going below is a bug, said once here. */
static void
limit_sub(uint64_t *use, enum limit_kind kind, uint64_t n)
{
	if (*use < n) {
		log_warnx("%s: %s: %llu given back, %llu charged", __func__,
		    limit_names[kind], (unsigned long long)n,
		    (unsigned long long)*use);
		n = *use;
	}
	*use -= n;
}

int
limit_charge(struct limit_acct *acct, enum limit_kind kind, uint64_t n,
    uint64_t bytes)
{
	if (acct == NULL)
		return (0);
	if (!limit_room(acct, kind, n))
		return (kind == LIMIT_OBJECTS ? -ENOSPC : -ENOMEM);
	if (kind != LIMIT_BYTES && !limit_room(acct, LIMIT_BYTES, bytes))
		return (-ENOMEM);
	limit_force(acct, kind, n, bytes);
	return (0);
}

void
limit_force(struct limit_acct *acct, enum limit_kind kind, uint64_t n,
    uint64_t bytes)
{
	if (acct == NULL)
		return;
	limit_add(acct, kind, n);
	if (kind != LIMIT_BYTES)
		limit_add(acct, LIMIT_BYTES, bytes);
}

void
limit_uncharge(struct limit_acct *acct, enum limit_kind kind, uint64_t n,
    uint64_t bytes)
{
	if (acct == NULL)
		return;
	limit_sub(&acct->use[kind], kind, n);
	if (acct->user != NULL)
		limit_sub(&acct->user->use[kind], kind, n);
	if (kind != LIMIT_BYTES && bytes != 0)
		limit_uncharge(acct, LIMIT_BYTES, bytes, 0);
}

int
limit_bind(struct limit_acct *acct, uid_t uid)
{
	struct limit_user	 key, *u;
	int			 k;

	if (acct->user != NULL)
		return (0);
	key.uid = uid;
	if ((u = RB_FIND(limit_users, &limit_users, &key)) == NULL) {
		if ((u = inject_calloc(1, sizeof(*u))) == NULL)
			return (-ENOMEM);
		u->uid = uid;
		RB_INSERT(limit_users, &limit_users, u);
	}
	u->nctx++;
	/* What the context took before it was bound counts too. */
	for (k = 0; k < LIMIT_NKINDS; k++)
		u->use[k] += acct->use[k];
	acct->user = u;
	return (0);
}

int
limit_release(struct limit_acct *acct)
{
	struct limit_user	*u = acct->user;
	int			 k, rc = 0;

	for (k = 0; k < LIMIT_NKINDS; k++) {
		if (acct->use[k] == 0)
			continue;
		log_warnx("%s: %llu %s still charged at close", __func__,
		    (unsigned long long)acct->use[k], limit_names[k]);
		if (u != NULL)
			limit_sub(&u->use[k], k, acct->use[k]);
		acct->use[k] = 0;
		rc = -EIO;
	}
	if (rc != 0)
		limit_leaks++;
	acct->user = NULL;
	if (u != NULL && --u->nctx == 0) {
		for (k = 0; k < LIMIT_NKINDS; k++) {
			if (u->use[k] != 0) {
				log_warnx("%s: uid %u: %llu %s charged with "
				    "no context", __func__,
				    (unsigned int)u->uid,
				    (unsigned long long)u->use[k],
				    limit_names[k]);
				limit_leaks++;
				break;
			}
		}
		RB_REMOVE(limit_users, &limit_users, u);
		free(u);
	}
	return (rc);
}

uid_t
limit_uid(const struct limit_acct *acct)
{
	return (acct->user != NULL ? acct->user->uid : (uid_t)-1);
}

void
limit_foreach_user(void (*fn)(void *, uid_t, unsigned int, const uint64_t *),
    void *arg)
{
	struct limit_user	*u;

	RB_FOREACH(u, limit_users, &limit_users)
		fn(arg, u->uid, u->nctx, u->use);
}
