/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The IOAS object kind: its ops (destroy, describe) and its ioctls, ALLOC,
 * ALLOW_IOVAS, COPY, IOVA_RANGES, MAP, UNMAP, MAP_FILE and CHANGE_PROCESS.
 * Each ioctl checks its arguments in the kernel's order (spec 1.4) and
 * leaves the work to the io page table; the pages a mapping refers to are
 * charged to the caller that mapped them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <jansson.h>

#include "core/acct.h"
#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/access.h"
#include "iommufd/describe.h"
#include "iommufd/dmabuf.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"

#include <linux/iommufd.h>

#define IOAS_MAP_FLAGS	(IOMMU_IOAS_MAP_FIXED_IOVA | \
			 IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)

/* A caller the transport did not describe: nobody, with no memory. */
static const struct ucaller ioas_nobody = { .uid = (uid_t)-1 };

int
ioas_get(struct ctx *ctx, uint32_t id, struct ioas **ioasp)
{
	struct obj	*obj;
	int		 rc;

	if ((rc = obj_get(ctx, id, OBJ_IOAS, &obj)) != 0)
		return (rc);
	*ioasp = container_of(obj, struct ioas, obj);
	return (0);
}

struct iopt *
ioas_iopt(struct obj *obj)
{
	return (&container_of(obj, struct ioas, obj)->iopt);
}

static void
ioas_destroy(struct obj *obj)
{
	struct ioas	*ioas = container_of(obj, struct ioas, obj);

	/* The compat setting is an id, not a hold: forget it here. */
	vfio_compat_ioas_destroyed(obj->ctx, obj->id);
	/* A reserved, never initialised IOAS is all zero: still fine. */
	iopt_fini(&ioas->iopt);
}

static const char *
ioas_describe_prot(unsigned int prot)
{
	switch (prot & (IOPT_READ | IOPT_WRITE)) {
	case IOPT_READ | IOPT_WRITE:
		return ("rw");
	case IOPT_READ:
		return ("r");
	case IOPT_WRITE:
		return ("w");
	}
	return ("-");
}

static json_t *
ioas_describe_area(const struct iopt_area *a)
{
	const struct pages	*p = iopt_area_pages(a);
	json_t			*o;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (describe_set(o, "iova", describe_hex(a->iova)) != 0 ||
	    describe_set(o, "length", describe_hex(iopt_area_length(a))) != 0 ||
	    describe_set(o, "prot",
	    json_string(ioas_describe_prot(iopt_area_prot(a)))) != 0 ||
	    describe_set(o, "kind", json_string(p->type == PAGES_FILE ?
	    "file" : p->type == PAGES_DMABUF ? "dmabuf" : "user")) != 0 ||
	    describe_set(o, "addr", describe_hex(pages_addr(p,
	    a->pages_off))) != 0) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

/* Walking the holes of the reserved ranges to list the ranges themselves. */
struct ioas_holes {
	json_t		*arr;
	uint64_t	 next;		/* first IOVA not yet accounted for */
	int		 done;		/* next passed IOPT_IOVA_MAX */
	int		 truncated;
	int		 oom;
};

static int
ioas_describe_reserved(struct ioas_holes *h, uint64_t start, uint64_t last)
{
	if (json_array_size(h->arr) == DESCRIBE_MAX_RANGES) {
		h->truncated = 1;
		return (1);
	}
	if (describe_range(h->arr, start, last) != 0) {
		h->oom = 1;
		return (1);
	}
	return (0);
}

static int
ioas_describe_hole(void *arg, uint64_t start, uint64_t last)
{
	struct ioas_holes	*h = arg;
	int			 rc;

	if (start > h->next &&
	    (rc = ioas_describe_reserved(h, h->next, start - 1)) != 0)
		return (rc);
	if (last == IOPT_IOVA_MAX)
		h->done = 1;
	else
		h->next = last + 1;
	return (0);
}

/*
 * In-order walk of the allowed ranges, at most DESCRIBE_MAX_RANGES. The
 * tree is balanced, so the recursion is no deeper than twice the log of
 * its size.
 */
static int
ioas_describe_allowed(struct iopt_allowed *n, json_t *arr, int *truncated)
{
	if (n == NULL)
		return (0);
	if (ioas_describe_allowed(RB_LEFT(n, entry), arr, truncated) != 0)
		return (-1);
	if (*truncated)
		return (0);
	if (json_array_size(arr) == DESCRIBE_MAX_RANGES) {
		*truncated = 1;
		return (0);
	}
	if (describe_range(arr, n->start, n->last) != 0)
		return (-1);
	return (ioas_describe_allowed(RB_RIGHT(n, entry), arr, truncated));
}

/*
 * The describe op: "iova_alignment", "huge_pages", "pinners", "domains",
 * "vfio_compat", "nareas" (all of them), "areas" (the first
 * DESCRIBE_MAX_RANGES, each with "iova", "length", "prot" ("rw", "r",
 * "w" or "-"), "kind" ("user" or "file") and "addr", the caller's virtual
 * address or the file offset of its first byte), "reserved" and
 * "allowed" (ranges with "start" and "last", inclusive) with
 * "reserved_truncated" and "allowed_truncated" when the list stopped at
 * the limit. Reserved ranges are shown merged, as IOVA_RANGES sees them:
 * they are read through the holes iopt_for_each_hole() walks, and the
 * allowed ranges by an in-order walk of their tree.
 */
static json_t *
ioas_describe(struct obj *obj)
{
	struct ioas		*ioas = container_of(obj, struct ioas, obj);
	struct iopt		*iopt = &ioas->iopt;
	struct iopt_area	*a;
	struct ioas_holes	 h = { 0 };
	json_t			*o, *areas, *allowed;
	int			 truncated = 0;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (describe_set(o, "iova_alignment",
	    json_integer((json_int_t)iopt->iova_alignment)) != 0 ||
	    describe_set(o, "huge_pages", json_boolean(!iopt->disable_huge)) ||
	    describe_set(o, "pinners", json_integer(iopt->npinners)) != 0 ||
	    describe_set(o, "domains", json_integer(iopt->ndomains)) != 0 ||
	    describe_set(o, "vfio_compat",
	    json_boolean(obj->ctx->vfio_ioas_id == obj->id)) != 0 ||
	    describe_set(o, "nareas", json_integer((json_int_t)iopt->nareas)))
		goto fail;

	if ((areas = json_array()) == NULL || describe_set(o, "areas", areas))
		goto fail;
	for (a = iopt_area_first(iopt, 0, IOPT_IOVA_MAX); a != NULL &&
	    json_array_size(areas) < DESCRIBE_MAX_RANGES;
	    a = iopt_area_next(iopt, a)) {
		if (json_array_append_new(areas, ioas_describe_area(a)) != 0)
			goto fail;
	}

	if ((h.arr = json_array()) == NULL ||
	    describe_set(o, "reserved", h.arr) != 0)
		goto fail;
	(void)iopt_for_each_hole(iopt, ioas_describe_hole, &h);
	if (!h.done && !h.truncated && !h.oom)
		(void)ioas_describe_reserved(&h, h.next, IOPT_IOVA_MAX);
	if (h.oom)
		goto fail;
	if (h.truncated && describe_set(o, "reserved_truncated",
	    json_true()) != 0)
		goto fail;

	if ((allowed = json_array()) == NULL ||
	    describe_set(o, "allowed", allowed) != 0)
		goto fail;
	if (ioas_describe_allowed(RB_ROOT(&iopt->allowed), allowed,
	    &truncated) != 0)
		goto fail;
	if (truncated && describe_set(o, "allowed_truncated", json_true()))
		goto fail;
	return (o);
fail:
	json_decref(o);
	return (NULL);
}

/* An empty io page table and no auto domains. */
static void
ioas_init(struct obj *obj)
{
	struct ioas	*ioas = container_of(obj, struct ioas, obj);

	iopt_init(&ioas->iopt);
	TAILQ_INIT(&ioas->auto_hwpts);
}

const struct obj_ops ioas_ops = {
	.name = "ioas",
	.size = sizeof(struct ioas),
	.init = ioas_init,
	.destroy = ioas_destroy,
	.describe = ioas_describe,
};

static const struct ucaller *
ioas_caller(struct ucmd *ucmd)
{
	return (ucmd->caller != NULL ? ucmd->caller : &ioas_nobody);
}

/* Who pays for what the caller maps now. NULL when memory is short. */
static struct acct_owner *
ioas_owner(const struct ucaller *c)
{
	return (acct_owner_get(c->uid, c->pid, c->memlock_max,
	    (c->caps & CALLER_CAP_IPC_LOCK) != 0));
}

static unsigned int
ioas_prot(uint32_t flags)
{
	unsigned int	 prot = 0;

	if (flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOPT_READ;
	if (flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOPT_WRITE;
	return (prot);
}

int
ioas_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_ioas_alloc	*cmd = ucmd->cmd_buf;
	struct ioas		*ioas;
	struct obj		*obj;
	int			 rc;

	if (cmd->flags != 0)
		return (-EOPNOTSUPP);
	if ((rc = obj_alloc(ucmd->ctx, OBJ_IOAS, &obj)) != 0)
		return (rc);
	ioas = container_of(obj, struct ioas, obj);
	ioas->iopt.acct = &ucmd->ctx->lim;
	cmd->out_ioas_id = obj->id;
	if ((rc = ucmd_respond(ucmd, sizeof(*cmd))) != 0) {
		obj_abort(obj);
		return (rc);
	}
	ucmd_finalize(ucmd, obj);
	return (0);
}

/* Entries read from the caller at a time. */
#define IOAS_RANGE_BATCH	64

int
ioas_ioctl_allow_iovas(struct ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas	*cmd = ucmd->cmd_buf;
	struct iommu_iova_range		 buf[IOAS_RANGE_BATCH];
	struct iopt_allowed_tree	 set;
	struct ioas			*ioas;
	uint64_t			 base = cmd->allowed_iovas;
	uint32_t			 i, have = 0, nbuf = 0, n = 0;
	int				 rc;

	if (cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	if ((rc = ioas_get(ucmd->ctx, cmd->ioas_id, &ioas)) != 0)
		return (rc);

	/*
	 * Entries are checked one by one as they are read, so that a bad
	 * entry is reported before a fault further on, as in the kernel;
	 * each is charged as it is added, so a list past the limits stops
	 * there with ENOMEM (the kernel's answer when it cannot allocate)
	 * having read and held no more than the limit allows.
	 */
	iopt_allowed_init(&set);
	for (i = 0; i < cmd->num_iovas; i++) {
		if (i == have + nbuf) {
			have = i;
			nbuf = MIN(IOAS_RANGE_BATCH, cmd->num_iovas - i);
			if (ucmd_read(ucmd, base + (uint64_t)i * sizeof(buf[0]),
			    buf, nbuf * sizeof(buf[0])) != 0) {
				nbuf = 1;
				rc = ucmd_read(ucmd, base + (uint64_t)i *
				    sizeof(buf[0]), buf, sizeof(buf[0]));
				if (rc != 0)
					goto out;
			}
		}
		rc = iopt_allowed_add(&set, buf[i - have].start,
		    buf[i - have].last);
		if (rc == 0)
			rc = iopt_allowed_charge(&ioas->iopt, i + 1);
		if (rc != 0)
			goto out;
		n = i + 1;
	}
	rc = iopt_set_allowed(&ioas->iopt, &set);
out:
	if (rc != 0)
		iopt_allowed_uncharge(&ioas->iopt, n);
	iopt_allowed_clear(&set);
	return (rc);
}

/*
 * The checks MAP, MAP_FILE and COPY make of their flags, in the kernel's
 * order: unknown flags, then an iova or length that overflows (overflow),
 * then a mapping that would be neither readable nor writable.
 */
static int
ioas_map_check(uint32_t flags, int overflow)
{
	if (flags & ~IOAS_MAP_FLAGS)
		return (-EOPNOTSUPP);
	if (overflow)
		return (-EOVERFLOW);
	if ((flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)) ==
	    0)
		return (-EINVAL);
	return (0);
}

int
ioas_ioctl_copy(struct ucmd *ucmd)
{
	struct iommu_ioas_copy	*cmd = ucmd->cmd_buf;
	struct iopt_piece	*pieces;
	struct ioas		*src, *dst;
	size_t			 npieces;
	uint64_t		 iova;
	int			 rc;

	rc = ioas_map_check(cmd->flags, cmd->length >= UINT64_MAX ||
	    cmd->src_iova >= UINT64_MAX || cmd->dst_iova >= UINT64_MAX);
	if (rc != 0)
		return (rc);
	if ((rc = ioas_get(ucmd->ctx, cmd->src_ioas_id, &src)) != 0)
		return (rc);
	rc = iopt_get_pieces(&src->iopt, cmd->src_iova, cmd->length, &pieces,
	    &npieces);
	if (rc != 0)
		return (rc);
	if ((rc = ioas_get(ucmd->ctx, cmd->dst_ioas_id, &dst)) != 0)
		goto out;
	iova = cmd->dst_iova;
	rc = iopt_map(&dst->iopt, pieces, npieces, cmd->length, &iova,
	    ioas_prot(cmd->flags),
	    (cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? IOPT_MAP_FIXED : 0);
	if (rc != 0)
		goto out;
	/* As in the kernel, the mapping stays if the answer cannot go. */
	cmd->dst_iova = iova;
	rc = ucmd_respond(ucmd, sizeof(*cmd));
out:
	iopt_pieces_free(pieces, npieces);
	return (rc);
}

static int
ioas_ranges_one(void *arg, uint64_t start, uint64_t last)
{
	struct iommu_iova_range	 e = { .start = start, .last = last };

	return (ucmd_row(arg, &e, sizeof(e)));
}

int
ioas_ioctl_iova_ranges(struct ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges	*cmd = ucmd->cmd_buf;
	struct ucmd_rows		 r;
	struct ioas			*ioas;
	int				 rc;

	if (cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	if ((rc = ioas_get(ucmd->ctx, cmd->ioas_id, &ioas)) != 0)
		return (rc);
	ucmd_rows_init(&r, ucmd, cmd->allowed_iovas, cmd->num_iovas);
	if ((rc = iopt_for_each_hole(&ioas->iopt, ioas_ranges_one, &r)) != 0)
		return (rc);
	/* The total and the alignment go back even when it did not fit. */
	cmd->num_iovas = r.count;
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	if ((rc = ucmd_respond(ucmd, sizeof(*cmd))) != 0)
		return (rc);
	return (r.count > r.max ? -EMSGSIZE : 0);
}

/* Map one new pages object whole; the areas take their own references. */
static int
ioas_map_pages(struct ioas *ioas, struct pages *pages, uint64_t addr,
    uint64_t length, uint64_t *iova, uint32_t flags)
{
	struct iopt_piece	 piece;
	int			 rc;

	piece.pages = pages;
	piece.off = addr - pages->start;
	piece.length = length;
	rc = iopt_map(&ioas->iopt, &piece, 1, length, iova, ioas_prot(flags),
	    (flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? IOPT_MAP_FIXED : 0);
	pages_put(pages);
	return (rc);
}

/*
 * Pin [start, start + length) and map it whole. With fd -1 the range is
 * the caller's memory; otherwise it is a range of the file fd, which is
 * taken over (closed on failure).
 */
static int
ioas_map_new(struct ucmd *ucmd, struct ioas *ioas, int fd, uint64_t start,
    uint64_t length, uint64_t *iova, uint32_t flags)
{
	const struct ucaller	*caller = ioas_caller(ucmd);
	struct acct_owner	*owner;
	struct pages		*pages;
	int			 writable, rc;

	if ((owner = ioas_owner(caller)) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	writable = (flags & IOMMU_IOAS_MAP_WRITEABLE) != 0;
	if (fd == -1)
		rc = pages_new_user(caller->mem, start, length, writable,
		    owner, ucmd->ctx->acct_mode, &pages);
	else
		rc = pages_new_file(fd, start, length, writable, owner,
		    ucmd->ctx->acct_mode, &pages);
	acct_owner_put(owner);
	if (rc != 0)
		goto fail;
	/* The object has the descriptor now: pages_put() closes it. */
	if ((rc = pages_charge_limit(pages, &ucmd->ctx->lim)) != 0) {
		pages_put(pages);
		return (rc);
	}
	return (ioas_map_pages(ioas, pages, start, length, iova, flags));
fail:
	if (fd != -1)
		close(fd);
	return (rc);
}

/*
 * Import [start, start + length) of a dma-buf and map it whole. The
 * import holds the buffer's memory, not its descriptor.
 */
static int
ioas_map_dmabuf(struct ucmd *ucmd, struct ioas *ioas, struct dmabuf_mem *mem,
    uint64_t start, uint64_t length, uint64_t *iova, uint32_t flags)
{
	struct acct_owner	*owner;
	struct pages		*pages;
	int			 rc;

	if ((owner = ioas_owner(ioas_caller(ucmd))) == NULL)
		return (-ENOMEM);
	rc = pages_new_dmabuf(mem, start, length,
	    (flags & IOMMU_IOAS_MAP_WRITEABLE) != 0, owner,
	    ucmd->ctx->acct_mode, &pages);
	acct_owner_put(owner);
	if (rc != 0)
		return (rc);
	if ((rc = pages_charge_limit(pages, &ucmd->ctx->lim)) != 0) {
		pages_put(pages);
		return (rc);
	}
	return (ioas_map_pages(ioas, pages, start, length, iova, flags));
}

int
ioas_map_user(struct ucmd *ucmd, struct ioas *ioas, uint64_t uva,
    uint64_t length, uint64_t *iova, uint32_t flags)
{
	return (ioas_map_new(ucmd, ioas, -1, uva, length, iova, flags));
}

int
ioas_ioctl_map(struct ucmd *ucmd)
{
	struct iommu_ioas_map	*cmd = ucmd->cmd_buf;
	struct ioas		*ioas;
	uint64_t		 iova;
	int			 rc;

	if (cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	rc = ioas_map_check(cmd->flags, cmd->iova >= UINT64_MAX ||
	    cmd->length >= UINT64_MAX);
	if (rc != 0)
		return (rc);
	if ((rc = ioas_get(ucmd->ctx, cmd->ioas_id, &ioas)) != 0)
		return (rc);
	iova = cmd->iova;
	rc = ioas_map_new(ucmd, ioas, -1, cmd->user_va, cmd->length, &iova,
	    cmd->flags);
	if (rc != 0)
		return (rc);
	cmd->iova = iova;
	return (ucmd_respond(ucmd, sizeof(*cmd)));
}

int
ioas_ioctl_map_file(struct ucmd *ucmd)
{
	struct iommu_ioas_map_file	*cmd = ucmd->cmd_buf;
	struct dmabuf_mem		*mem;
	struct ioas			*ioas;
	uint64_t			 iova;
	int				 fd, rc;

	rc = ioas_map_check(cmd->flags, cmd->iova >= UINT64_MAX ||
	    cmd->length >= UINT64_MAX);
	if (rc != 0)
		return (rc);
	if ((rc = ioas_get(ucmd->ctx, cmd->ioas_id, &ioas)) != 0)
		return (rc);
	if (cmd->fd < 0)
		return (-EBADF);
	if ((fd = ucmd_getfd(ucmd, cmd->fd)) < 0)
		return (fd);
	iova = cmd->iova;
	if (dmabuf_find(ucmd->ctx, fd, &mem) == 0) {
		close(fd);
		rc = ioas_map_dmabuf(ucmd, ioas, mem, cmd->start, cmd->length,
		    &iova, cmd->flags);
	} else
		rc = ioas_map_new(ucmd, ioas, fd, cmd->start, cmd->length,
		    &iova, cmd->flags);
	if (rc != 0)
		return (rc);
	cmd->iova = iova;
	return (ucmd_respond(ucmd, sizeof(*cmd)));
}

int
ioas_ioctl_unmap(struct ucmd *ucmd)
{
	struct iommu_ioas_unmap	*cmd = ucmd->cmd_buf;
	struct ioas		*ioas;
	uint64_t		 unmapped = 0;
	int			 rc;

	if ((rc = ioas_get(ucmd->ctx, cmd->ioas_id, &ioas)) != 0)
		return (rc);
	if (cmd->iova == 0 && cmd->length == UINT64_MAX)
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	else if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX)
		rc = -EOVERFLOW;
	else
		rc = iopt_unmap(&ioas->iopt, cmd->iova, cmd->length,
		    &unmapped);
	if (rc != 0)
		return (rc);
	cmd->length = unmapped;
	return (ucmd_respond(ucmd, sizeof(*cmd)));
}

/*
 * CHANGE_PROCESS walks every area of every IOAS of the context. Each
 * distinct pages object is visited once, using its mark:
 */
#define IOAS_MARK_SEEN		1	/* visited, nothing charged yet */
#define IOAS_MARK_CHARGED	2	/* the new owner was charged */

#define IOAS_FOREACH_AREA(ctx, o, ioas, a)				\
	CTX_FOREACH_OBJ((o), (ctx))					\
		if ((o)->type == OBJ_IOAS && (o)->state == OBJ_LIVE &&	\
		    ((ioas) = container_of((o), struct ioas, obj)) != NULL) \
			for ((a) = iopt_area_first(&(ioas)->iopt, 0,	\
			    UINT64_MAX); (a) != NULL;			\
			    (a) = iopt_area_next(&(ioas)->iopt, (a)))

void
ioas_ctx_revoke_dmabuf(struct ctx *ctx, const struct dmabuf_mem *mem)
{
	struct obj		*o;
	struct ioas		*ioas;
	struct iopt_area	*a;
	struct iopt_pinner	*pin;
	struct pages		*p;

	/* The pinners' unmap ops only forget; the table does not change. */
	IOAS_FOREACH_AREA(ctx, o, ioas, a) {
		p = iopt_area_pages(a);
		if (p->type != PAGES_DMABUF || p->src.dmabuf.mem != mem ||
		    pages_revoked(p))
			continue;
		LIST_FOREACH(pin, &ioas->iopt.pinners, entry) {
			if ((pin->flags & IOPT_PINNER_DOMAIN) &&
			    pin->ops != NULL && pin->ops->unmap != NULL)
				pin->ops->unmap(pin, a->iova,
				    iopt_area_length(a));
		}
	}
}

/* Undo the new charges (if undo) and clear every mark. */
static void
ioas_change_unmark(struct ctx *ctx, struct acct_owner *owner, int undo)
{
	struct obj		*o;
	struct ioas		*ioas;
	struct iopt_area	*a;
	struct pages		*p;

	IOAS_FOREACH_AREA(ctx, o, ioas, a) {
		p = iopt_area_pages(a);
		if (undo && p->mark == IOAS_MARK_CHARGED)
			acct_uncharge(owner, p->acct_mode, pages_npages(p));
		p->mark = 0;
	}
}

/*
 * The range of pages object p in the caller's addresses, if it counts:
 * pinned memory of process pid, or with fv a pinned range of the file
 * the caller maps at uva (fv->foff is the file offset of fv->uva). 0 if
 * it does not count.
 */
static int
ioas_pins_range(struct pages *p, pid_t pid, const struct ioas_file_view *fv,
    uint64_t *startp, uint64_t *lastp)
{
	struct stat	 st;
	uint64_t	 s, l;

	if (pages_pins_user(p, pid)) {
		*startp = p->start;
		*lastp = p->start + (p->size - 1);
		return (1);
	}
	if (fv == NULL || p->npin == 0 || p->type != PAGES_FILE)
		return (0);
	if (fstat(p->src.fd, &st) == -1 || st.st_dev != fv->dev ||
	    st.st_ino != fv->ino)
		return (0);
	/* Clip to the file range the caller maps, then move it there. */
	s = p->start > fv->foff ? p->start : fv->foff;
	l = p->start + (p->size - 1);
	if (l > fv->foff + (fv->len - 1))
		l = fv->foff + (fv->len - 1);
	if (s > l)
		return (0);
	*startp = fv->uva + (s - fv->foff);
	*lastp = fv->uva + (l - fv->foff);
	return (1);
}

/* One walk of ioas_ctx_check_pins() at uva. */
struct ioas_pins_walk {
	pid_t				 pid;
	const struct ioas_file_view	*fv;
	uint64_t			 uva;
	uint64_t			 next;
	unsigned int			 n;
};

/* Count p once per walk if it pins uva; bring next to p's nearest edge. */
static void
ioas_pins_visit(void *arg, struct pages *p)
{
	struct ioas_pins_walk	*w = arg;
	uint64_t		 first, last;

	if (p->mark != 0 || !ioas_pins_range(p, w->pid, w->fv, &first, &last))
		return;
	p->mark = IOAS_MARK_SEEN;
	if (w->uva >= first && w->uva <= last) {
		w->n++;
		if (last < w->next - 1)
			w->next = last + 1;
	} else if (first > w->uva && first < w->next)
		w->next = first;
}

static void
ioas_pins_unmark(void *arg __unused, struct pages *p)
{
	p->mark = 0;
}

/*
 * Whether every byte of [uva, uva + len) of process pid's memory is held
 * by exactly refs pinned pages objects of ctx: those the areas map, and
 * those accesses pin (an access keeps its pins when it moves to another
 * IOAS and the old one goes). The count only changes where an object's
 * range begins or ends, so it is taken once per piece between such
 * edges: the time grows with the objects, never with len.
 */
int
ioas_ctx_check_pins(struct ctx *ctx, pid_t pid,
    const struct ioas_file_view *fv, uint64_t uva, uint64_t len,
    unsigned int refs)
{
	struct ioas_pins_walk	 w;
	struct obj		*o;
	struct ioas		*ioas;
	struct iopt_area	*a;
	uint64_t		 end = uva + len;

	w.pid = pid;
	w.fv = fv;
	while (uva < end) {
		w.uva = uva;
		w.n = 0;
		w.next = end;
		/* Marks are clear between walks; count each object once. */
		IOAS_FOREACH_AREA(ctx, o, ioas, a)
			ioas_pins_visit(&w, iopt_area_pages(a));
		access_ctx_foreach_pages(ctx, ioas_pins_visit, &w);
		ioas_change_unmark(ctx, NULL, 0);
		access_ctx_foreach_pages(ctx, ioas_pins_unmark, NULL);
		if (w.n != refs)
			return (-EINVAL);
		uva = w.next;
	}
	return (0);
}

int
ioas_ioctl_change_process(struct ucmd *ucmd)
{
	struct iommu_ioas_change_process *cmd = ucmd->cmd_buf;
	struct ctx		*ctx = ucmd->ctx;
	struct acct_owner	*owner, *old;
	struct obj		*o;
	struct ioas		*ioas;
	struct iopt_area	*a;
	struct pages		*p;
	int			 rc, any = 0;

	if (cmd->__reserved != 0)
		return (-EOPNOTSUPP);
	/* Only file-backed memory can move to another process. */
	IOAS_FOREACH_AREA(ctx, o, ioas, a) {
		if (iopt_area_pages(a)->type != PAGES_FILE)
			return (-EINVAL);
		any = 1;
	}
	if (!any)
		return (0);
	if ((owner = ioas_owner(ioas_caller(ucmd))) == NULL)
		return (-ENOMEM);

	/* Charge the new owner for everything first: all or nothing. */
	IOAS_FOREACH_AREA(ctx, o, ioas, a) {
		p = iopt_area_pages(a);
		if (p->mark != 0)
			continue;
		p->mark = IOAS_MARK_SEEN;
		if (p->owner == owner || !p->charged)
			continue;
		if ((rc = acct_charge(owner, p->acct_mode,
		    pages_npages(p))) != 0) {
			ioas_change_unmark(ctx, owner, 1);
			acct_owner_put(owner);
			return (rc);
		}
		p->mark = IOAS_MARK_CHARGED;
	}
	/* Then release the old owners and switch. */
	IOAS_FOREACH_AREA(ctx, o, ioas, a) {
		p = iopt_area_pages(a);
		if (p->mark == 0 || p->owner == owner)
			continue;
		old = p->owner;
		if (p->mark == IOAS_MARK_CHARGED)
			acct_uncharge(old, p->acct_mode, pages_npages(p));
		acct_owner_hold(owner);
		p->owner = owner;
		acct_owner_put(old);
	}
	ioas_change_unmark(ctx, owner, 0);
	acct_owner_put(owner);
	return (0);
}
