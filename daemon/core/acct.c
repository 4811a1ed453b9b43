/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Locked-memory totals and the owners that pay them (see acct.h). Both
 * live in small trees: a total exists only while it is not zero, an owner
 * only while a pages object refers to it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include <bsd/sys/tree.h>

#include "core/acct.h"
#include "core/inject.h"
#include "core/util.h"

struct acct_total {
	RB_ENTRY(acct_total)	 entry;
	int			 mode;		/* enum acct_mode */
	long			 id;		/* uid or pid */
	uint64_t		 npages;
};

struct acct_onode {
	RB_ENTRY(acct_onode)	 entry;
	struct acct_owner	 o;
	int			 nolimit;
};

RB_HEAD(acct_totals, acct_total);
RB_HEAD(acct_owners, acct_onode);

static struct acct_totals	acct_totals = RB_INITIALIZER(&acct_totals);
static struct acct_owners	acct_owners = RB_INITIALIZER(&acct_owners);

static int
acct_total_cmp(struct acct_total *a, struct acct_total *b)
{
	if (a->mode != b->mode)
		return (a->mode < b->mode ? -1 : 1);
	return (a->id < b->id ? -1 : a->id > b->id);
}

static int
acct_onode_cmp(struct acct_onode *a, struct acct_onode *b)
{
	if (a->o.uid != b->o.uid)
		return (a->o.uid < b->o.uid ? -1 : 1);
	if (a->o.pid != b->o.pid)
		return (a->o.pid < b->o.pid ? -1 : 1);
	if (a->o.limit != b->o.limit)
		return (a->o.limit < b->o.limit ? -1 : 1);
	return (a->nolimit - b->nolimit);
}

RB_GENERATE_STATIC(acct_totals, acct_total, entry, acct_total_cmp)
RB_GENERATE_STATIC(acct_owners, acct_onode, entry, acct_onode_cmp)

struct acct_owner *
acct_owner_get(uid_t uid, pid_t pid, uint64_t memlock_bytes, int nolimit)
{
	struct acct_onode	 key, *n;

	key.o.uid = uid;
	key.o.pid = pid;
	/* The kernel compares pages against the limit shifted down. */
	key.o.limit = nolimit ? UINT64_MAX : memlock_bytes >> 12;
	key.nolimit = nolimit != 0;
	if ((n = RB_FIND(acct_owners, &acct_owners, &key)) != NULL) {
		n->o.refs++;
		return (&n->o);
	}
	if ((n = inject_calloc(1, sizeof(*n))) == NULL)
		return (NULL);
	n->o = key.o;
	n->o.refs = 1;
	n->nolimit = key.nolimit;
	RB_INSERT(acct_owners, &acct_owners, n);
	return (&n->o);
}

void
acct_owner_hold(struct acct_owner *o)
{
	o->refs++;
}

void
acct_owner_put(struct acct_owner *o)
{
	struct acct_onode	*n;

	if (o == NULL || --o->refs != 0)
		return;
	n = (struct acct_onode *)((char *)o - offsetof(struct acct_onode, o));
	RB_REMOVE(acct_owners, &acct_owners, n);
	free(n);
}

static struct acct_total *
acct_find(enum acct_mode mode, long id)
{
	struct acct_total	 key;

	key.mode = mode;
	key.id = id;
	return (RB_FIND(acct_totals, &acct_totals, &key));
}

int
acct_charge(struct acct_owner *o, enum acct_mode mode, uint64_t npages)
{
	struct acct_total	*t;
	long			 id;

	if (npages == 0)
		return (0);
	id = mode == ACCT_MM ? (long)o->pid : (long)o->uid;
	t = acct_find(mode, id);
	if (npages > o->limit || (t != NULL && t->npages > o->limit - npages))
		return (-ENOMEM);
	if (t == NULL) {
		if ((t = inject_calloc(1, sizeof(*t))) == NULL)
			return (-ENOMEM);
		t->mode = mode;
		t->id = id;
		RB_INSERT(acct_totals, &acct_totals, t);
	}
	t->npages += npages;
	return (0);
}

void
acct_uncharge(struct acct_owner *o, enum acct_mode mode, uint64_t npages)
{
	struct acct_total	*t;

	if (npages == 0)
		return;
	t = acct_find(mode, mode == ACCT_MM ? (long)o->pid : (long)o->uid);
	if (t == NULL)
		return;
	t->npages -= (t->npages < npages ? t->npages : npages);
	if (t->npages == 0) {
		RB_REMOVE(acct_totals, &acct_totals, t);
		free(t);
	}
}

uint64_t
acct_user_pages(uid_t uid)
{
	struct acct_total	*t = acct_find(ACCT_USER, (long)uid);

	return (t == NULL ? 0 : t->npages);
}

uint64_t
acct_mm_pages(pid_t pid)
{
	struct acct_total	*t = acct_find(ACCT_MM, (long)pid);

	return (t == NULL ? 0 : t->npages);
}

void
acct_foreach(void (*fn)(void *, enum acct_mode, long, uint64_t), void *arg)
{
	struct acct_total	*t;

	RB_FOREACH(t, acct_totals, &acct_totals)
		fn(arg, t->mode, t->id, t->npages);
}
