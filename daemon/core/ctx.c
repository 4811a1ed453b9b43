/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Contexts and their objects: id allocation, two-phase creation, lookups,
 * holds, DESTROY and teardown at close (see ctx.h for the model).
 *
 * Ids. The free ids of a context are kept as disjoint ranges in an RB tree
 * ordered by their first id, and adjacent free ranges are always merged.
 * The lowest free id is the first id of the leftmost range, so allocation
 * is O(log n), and so is freeing (one lookup for the neighbours, at most
 * one insert or remove). A fresh context has the single range
 * [1, INT32_MAX].
 *
 * Objects live in a second RB tree keyed by id, reserved ones included (so
 * that teardown finds them), but lookups only ever return live ones. A
 * tombstone is an object that has been destroyed and freed while its id is
 * deliberately not given back to the free ranges: the id stays unused
 * until the context is closed, and every lookup of it fails.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/ctx.h"
#include "core/inject.h"
#include "core/hfd.h"
#include "core/ioctl.h"
#include "core/trace.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/objs.h"
#include "log.h"

#include <linux/iommufd.h>

#define ID_FIRST	1u
#define ID_LAST		((uint32_t)INT32_MAX)

struct ctx_list ctx_list = TAILQ_HEAD_INITIALIZER(ctx_list);
int		(*ctx_file_hook)(int, struct ctx **);
static uint32_t ctx_next_id = 1;

/*
 * The kind table: one row per kind, each defined in its kind's file. A
 * kind without a row (OBJ_ANY) cannot be created.
 */
static const struct obj_ops *const obj_ops[OBJ_MAX] = {
	[OBJ_DEVICE] = &device_ops,
	[OBJ_HWPT_PAGING] = &hwpt_paging_ops,
	[OBJ_HWPT_NESTED] = &hwpt_nested_ops,
	[OBJ_IOAS] = &ioas_ops,
	[OBJ_ACCESS] = &access_ops,
	[OBJ_FAULT] = &fault_ops,
	[OBJ_VIOMMU] = &viommu_ops,
	[OBJ_VDEVICE] = &vdevice_ops,
	[OBJ_VEVENTQ] = &veventq_ops,
	[OBJ_HW_QUEUE] = &hw_queue_ops,
	[OBJ_SELFTEST] = &selftest_ops,
	[OBJ_DMABUF] = &dmabuf_ops,
};

static int
obj_cmp(struct obj *a, struct obj *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}
RB_GENERATE(obj_tree, obj, entry, obj_cmp);

static int
id_range_cmp(struct id_range *a, struct id_range *b)
{
	return (a->first < b->first ? -1 : a->first > b->first);
}
RB_GENERATE_STATIC(id_tree, id_range, entry, id_range_cmp);

const char *
obj_type_name(enum obj_type type)
{
	if (type == OBJ_ANY)
		return ("any");
	if ((unsigned int)type >= OBJ_MAX || obj_ops[type] == NULL)
		return ("unknown");
	return (obj_ops[type]->name);
}

int
obj_describe(struct obj *obj, struct json_t **descp)
{
	*descp = NULL;
	if (obj->type >= OBJ_MAX || obj_ops[obj->type] == NULL ||
	    obj_ops[obj->type]->describe == NULL)
		return (0);
	if ((*descp = obj_ops[obj->type]->describe(obj)) == NULL)
		return (-ENOMEM);
	return (0);
}

/* The size of a kind's struct; 0 for a kind without a row. */
static size_t
obj_size(enum obj_type type)
{
	if (obj_ops[type] == NULL)
		return (0);
	return (obj_ops[type]->size);
}

static void
ctx_range_free(struct ctx *ctx, struct id_range *r)
{
	limit_uncharge(&ctx->lim, LIMIT_BYTES, LIMIT_MALLOC(sizeof(*r)), 0);
	free(r);
}

/* Take the lowest free id: 0 or -ENOSPC when all 2^31-1 are in use. */
static int
ctx_id_alloc(struct ctx *ctx, uint32_t *idp)
{
	struct id_range	*r;

	if ((r = RB_MIN(id_tree, &ctx->free_ids)) == NULL)
		return (-ENOSPC);
	*idp = r->first;
	if (r->first == r->last) {
		RB_REMOVE(id_tree, &ctx->free_ids, r);
		ctx_range_free(ctx, r);
	} else
		r->first++;	/* still above its left neighbour: order kept */
	return (0);
}

/*
 * Give id back, merging it with the free ranges on either side. Freeing
 * cannot fail for the caller: if a new range cannot be allocated the id is
 * left out of the free ranges, which only means it is not reused before
 * the context closes.
 */
static void
ctx_id_free(struct ctx *ctx, uint32_t id)
{
	struct id_range	 key, *next, *prev, *r;

	key.first = id;
	next = RB_NFIND(id_tree, &ctx->free_ids, &key);
	if (next != NULL)
		prev = RB_PREV(id_tree, &ctx->free_ids, next);
	else
		prev = RB_MAX(id_tree, &ctx->free_ids);
	if ((next != NULL && next->first <= id) ||
	    (prev != NULL && prev->last >= id)) {
		log_warnx("%s: ctx %u: id %u is already free", __func__,
		    ctx->id, id);
		return;
	}

	if (prev != NULL && prev->last + 1 == id) {
		if (next != NULL && next->first == id + 1) {
			prev->last = next->last;
			RB_REMOVE(id_tree, &ctx->free_ids, next);
			ctx_range_free(ctx, next);
		} else
			prev->last = id;
		return;
	}
	if (next != NULL && next->first == id + 1) {
		next->first = id;	/* still above prev: order kept */
		return;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {
		log_warnx("%s: ctx %u: out of memory, id %u not reused",
		    __func__, ctx->id, id);
		return;
	}
	/* Few: at most one more than the objects, which are limited. */
	limit_force(&ctx->lim, LIMIT_BYTES, LIMIT_MALLOC(sizeof(*r)), 0);
	r->first = r->last = id;
	RB_INSERT(id_tree, &ctx->free_ids, r);
}

/* A trace line for an open or close of the context's file. */
static void
ctx_trace(const struct ctx *ctx, const char *type)
{
	struct trace_site	site;

	site.ctx = ctx->id;
	site.pid = ctx->opener;
	site.node = ctx->transport;
	site.devnode = 0;
	site.bound = 0;
	trace_event(&site, type, NULL);
}

int
ctx_new(const char *transport, pid_t opener, struct ctx **ctxp)
{
	struct ctx	*ctx;
	struct id_range	*r;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return (-ENOMEM);
	if ((r = malloc(sizeof(*r))) == NULL) {
		free(ctx);
		return (-ENOMEM);
	}
	RB_INIT(&ctx->objs);
	RB_INIT(&ctx->free_ids);
	r->first = ID_FIRST;
	r->last = ID_LAST;
	RB_INSERT(id_tree, &ctx->free_ids, r);
	limit_force(&ctx->lim, LIMIT_BYTES, LIMIT_MALLOC(sizeof(*r)), 0);

	ctx->refs = 1;
	ctx->id = ctx_next_id++;
	if (ctx_next_id == 0)
		ctx_next_id = 1;
	ctx->acct_mode = ACCT_USER;
	ctx->pin_batch = CTX_PIN_BATCH_DEFAULT;
	ctx->opener = opener;
	ctx->transport = transport;
	TAILQ_INSERT_TAIL(&ctx_list, ctx, entry);
	*ctxp = ctx;
	ctx_trace(ctx, "open");
	return (0);
}

void
ctx_hold(struct ctx *ctx)
{
	ctx->refs++;
}

void
ctx_put(struct ctx *ctx)
{
	if (--ctx->refs == 0)
		ctx_free(ctx);
}

void
ctx_close(struct ctx *ctx)
{
	ctx_trace(ctx, "close");
	ctx->priv = NULL;
	ctx->settle = NULL;
	/* Closed: no descriptor names it, and the inode may be reused. */
	ctx->file_dev = 0;
	ctx->file_ino = 0;
	ctx_put(ctx);
}

/*
 * A walk of every context: binds are rare and contexts are bounded by
 * the per-uid connection limit, so no index is kept.
 */
struct ctx *
ctx_find_file(dev_t dev, ino_t ino)
{
	struct ctx	*ctx;

	if (ino == 0)
		return (NULL);
	TAILQ_FOREACH(ctx, &ctx_list, entry) {
		if (ctx->file_ino == ino && ctx->file_dev == dev)
			return (ctx);
	}
	return (NULL);
}

int
ctx_set_file(struct ctx *ctx, dev_t dev, ino_t ino)
{
	struct ctx	*other;

	if (ino == 0)
		return (-EINVAL);
	if ((other = ctx_find_file(dev, ino)) != NULL && other != ctx)
		return (-EEXIST);
	ctx->file_dev = dev;
	ctx->file_ino = ino;
	return (0);
}

void
ctx_settle_all(void)
{
	struct ctx	*ctx;

	TAILQ_FOREACH(ctx, &ctx_list, entry) {
		if (ctx->settle != NULL)
			ctx->settle(ctx);
	}
}

int
obj_alloc(struct ctx *ctx, enum obj_type type, struct obj **objp)
{
	struct obj	*obj;
	size_t		 size;
	uint32_t	 id;
	int		 rc;

	if (type <= OBJ_ANY || type >= OBJ_MAX ||
	    (size = obj_size(type)) < sizeof(struct obj))
		return (-EINVAL);
	if ((rc = limit_charge(&ctx->lim, LIMIT_OBJECTS, 1,
	    LIMIT_MALLOC(size))) != 0)
		return (rc);
	if ((obj = inject_calloc(1, size)) == NULL) {
		limit_uncharge(&ctx->lim, LIMIT_OBJECTS, 1, LIMIT_MALLOC(size));
		return (-ENOMEM);
	}
	if ((rc = ctx_id_alloc(ctx, &id)) != 0) {
		limit_uncharge(&ctx->lim, LIMIT_OBJECTS, 1, LIMIT_MALLOC(size));
		free(obj);
		return (rc);
	}
	obj->ctx = ctx;
	obj->id = id;
	obj->type = type;
	obj->state = OBJ_RESERVED;
	obj->users = 1;
	if (obj_ops[type]->init != NULL)
		obj_ops[type]->init(obj);
	RB_INSERT(obj_tree, &ctx->objs, obj);
	ctx->nobjs++;
	*objp = obj;
	return (0);
}

void
obj_finalize(struct obj *obj)
{
	if (obj->state != OBJ_RESERVED) {
		log_warnx("%s: %s %u is not reserved", __func__,
		    obj_type_name(obj->type), obj->id);
		return;
	}
	obj->state = OBJ_LIVE;
	obj->ctx->nkind[obj->type]++;
}

/*
 * Take obj out of its context and free it: run the kind's destroy op (the
 * object is already invisible, so the op cannot find it again), then give
 * the id back unless the object becomes a tombstone.
 */
static void
obj_remove(struct obj *obj, int keep_id)
{
	struct ctx	*ctx = obj->ctx;

	if (obj->state == OBJ_LIVE)
		ctx->nkind[obj->type]--;
	obj->state = OBJ_TOMBSTONE;
	if (obj_ops[obj->type]->destroy != NULL)
		obj_ops[obj->type]->destroy(obj);
	RB_REMOVE(obj_tree, &ctx->objs, obj);
	ctx->nobjs--;
	if (!keep_id)
		ctx_id_free(ctx, obj->id);
	limit_uncharge(&ctx->lim, LIMIT_OBJECTS, 1,
	    LIMIT_MALLOC(obj_size(obj->type)));
	free(obj);
}

void
obj_abort(struct obj *obj)
{
	if (obj->state != OBJ_RESERVED) {
		log_warnx("%s: %s %u is not reserved", __func__,
		    obj_type_name(obj->type), obj->id);
		return;
	}
	obj_remove(obj, 0);
}

struct obj *
obj_find(struct ctx *ctx, uint32_t id, enum obj_type type)
{
	struct obj	 key, *obj;

	if (id == 0)
		return (NULL);
	key.id = id;
	obj = RB_FIND(obj_tree, &ctx->objs, &key);
	if (obj == NULL || obj->state != OBJ_LIVE)
		return (NULL);
	if (type != OBJ_ANY && obj->type != type)
		return (NULL);
	return (obj);
}

int
obj_get(struct ctx *ctx, uint32_t id, enum obj_type type, struct obj **objp)
{
	if ((*objp = obj_find(ctx, id, type)) == NULL)
		return (-ENOENT);
	return (0);
}

void
obj_hold(struct obj *obj)
{
	obj->users++;
}

/* The table's own reference is never dropped here, only by removal. */
void
obj_drop(struct obj *obj)
{
	if (obj->users <= 1) {
		log_warnx("%s: %s %u: drop without a hold", __func__,
		    obj_type_name(obj->type), obj->id);
		return;
	}
	obj->users--;
}

int
obj_destroy_id(struct ctx *ctx, uint32_t id)
{
	struct obj	*obj;

	if ((obj = obj_find(ctx, id, OBJ_ANY)) == NULL)
		return (-ENOENT);
	if (obj->users != 1)
		return (-EBUSY);
	if (obj_ops[obj->type]->busy != NULL && obj_ops[obj->type]->busy(obj))
		return (-EBUSY);
	obj_remove(obj, 0);
	return (0);
}

void
obj_destroy_held(struct obj *obj)
{
	if (obj->state != OBJ_LIVE || obj->users != 2) {
		log_warnx("%s: %s %u has %u users", __func__,
		    obj_type_name(obj->type), obj->id, obj->users);
		if (obj->users > 1)
			obj->users--;
		return;
	}
	obj->users = 1;
	obj_remove(obj, 0);
}

void
obj_tombstone(struct obj *obj)
{
	if (obj->state != OBJ_LIVE) {
		log_warnx("%s: %s %u is not live", __func__,
		    obj_type_name(obj->type), obj->id);
		return;
	}
	if (obj->users != 1)
		log_warnx("%s: %s %u has %u users", __func__,
		    obj_type_name(obj->type), obj->id, obj->users);
	obj_remove(obj, 1);
}

/*
 * One teardown pass: remove every object that nothing else holds. Returns
 * how many were removed. A removal can release holds on objects visited
 * earlier in the same pass, so the caller repeats until nothing is left.
 */
static unsigned int
ctx_free_leaves(struct ctx *ctx)
{
	struct obj	*obj, key;
	unsigned int	 n = 0;

	obj = RB_MIN(obj_tree, &ctx->objs);
	while (obj != NULL) {
		if (obj->users != 1) {
			obj = RB_NEXT(obj_tree, &ctx->objs, obj);
			continue;
		}
		/*
		 * The destroy op may remove other objects too (an auto
		 * domain losing its last user), so the next object is looked
		 * up again by id rather than kept across the removal.
		 */
		key.id = obj->id + 1;
		obj_remove(obj, 0);
		obj = RB_NFIND(obj_tree, &ctx->objs, &key);
		n++;
	}
	return (n);
}

/*
 * The last resort of ctx_free(): every object left is held by another, a
 * leaked hold or a cycle, which is a bug. Closing must still release
 * everything, and in any order a destroy op could drop a hold on an object
 * already freed. So first every object is made invisible and its destroy
 * op run, while all of them still exist, and only then is memory freed.
 * None of the removal paths accept a non-live object, so the ops cannot
 * change the tree under the walk.
 */
static void
ctx_free_forced(struct ctx *ctx)
{
	struct obj	*obj;

	log_warnx("%s: ctx %u: %u objects still held at close", __func__,
	    ctx->id, ctx->nobjs);
	RB_FOREACH(obj, obj_tree, &ctx->objs) {
		if (obj->state == OBJ_LIVE)
			ctx->nkind[obj->type]--;
		obj->state = OBJ_TOMBSTONE;
	}
	RB_FOREACH(obj, obj_tree, &ctx->objs) {
		if (obj_ops[obj->type]->destroy != NULL)
			obj_ops[obj->type]->destroy(obj);
	}
	while ((obj = RB_MIN(obj_tree, &ctx->objs)) != NULL) {
		RB_REMOVE(obj_tree, &ctx->objs, obj);
		ctx->nobjs--;
		limit_uncharge(&ctx->lim, LIMIT_OBJECTS, 1,
		    LIMIT_MALLOC(obj_size(obj->type)));
		free(obj);
	}
}

void
ctx_free(struct ctx *ctx)
{
	struct id_range	*r;

	hfd_ctx_free(ctx);
	while (!RB_EMPTY(&ctx->objs)) {
		if (ctx_free_leaves(ctx) == 0)
			ctx_free_forced(ctx);
	}
	while ((r = RB_MIN(id_tree, &ctx->free_ids)) != NULL) {
		RB_REMOVE(id_tree, &ctx->free_ids, r);
		ctx_range_free(ctx, r);
	}
	if (limit_release(&ctx->lim) != 0)
		log_warnx("%s: ctx %u: charges left at close", __func__,
		    ctx->id);
	TAILQ_REMOVE(&ctx_list, ctx, entry);
	free(ctx);
}

/* IOMMU_DESTROY: any kind, by id (spec 1.4). */
int
obj_ioctl_destroy(struct ucmd *ucmd)
{
	struct iommu_destroy	*cmd = ucmd->cmd_buf;

	return (obj_destroy_id(ucmd->ctx, cmd->id));
}
