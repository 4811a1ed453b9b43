/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The access object kind: an in-process DMA user of an IOAS, which the
 * selftest's CREATE_ACCESS makes and its access ops drive (spec 8.1).
 *
 * Ownership. The access holds its IOAS (a user, so the IOAS cannot be
 * destroyed under it) and sits on the IOAS's pinner list as a lazy pinner:
 * it raises the IOVA alignment when it pins pages (PAGE_SIZE), and it is
 * told when an area goes, but it does not make every area pinned as a
 * domain does. Its descriptor (core/hfd.h) holds the access; the caller
 * closing the descriptor destroys it, which is the only way to: the
 * kernel gives the caller no id for it.
 *
 * Items. Each ACCESS_PAGES that succeeds is an item with an id local to
 * the access, holding a reference and a pin on every pages object behind
 * its range (one per area it crosses, so its size is bounded by the
 * number of areas, never by the length). An unmap of an area an item
 * overlaps drops the item, as the mock's unmap callback does; so do
 * DESTROY_ACCESS_PAGES and the end of the access.
 *
 * The access ops name the access by the caller's descriptor number: the
 * transport gives the daemon a copy of that descriptor and hfd_find()
 * recognises it by its inode, so a caller may hold several.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/socket.h>

#include <jansson.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "core/trace.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "core/util.h"
#include "iommufd/access.h"
#include "iommufd/describe.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

/* The mock refuses larger ACCESS_PAGES and ACCESS_RW lengths. */
#define ACCESS_MAX_LENGTH	(16ULL * 1024 * 1024)

struct access_item {
	LIST_ENTRY(access_item)	 entry;
	uint32_t		 id;
	uint64_t		 iova;
	uint64_t		 length;
	size_t			 npages;
	struct pages		*pages[];	/* each held and pinned */
};

static void
access_item_free(struct access_item *item)
{
	size_t	i;

	for (i = 0; i < item->npages; i++) {
		pages_unpin(item->pages[i]);
		pages_put(item->pages[i]);
	}
	free(item);
}

/* The IOAS's unmap callback: drop every item overlapping the range. */
static void
access_unmap(struct iopt_pinner *p, uint64_t iova, uint64_t length)
{
	struct access		*access;
	struct access_item	*item, *tmp;
	uint64_t		 last = iova + (length - 1);

	access = container_of(p, struct access, pinner);
	LIST_FOREACH_SAFE(item, &access->items, entry, tmp) {
		if (item->iova > last ||
		    iova > item->iova + (item->length - 1))
			continue;
		LIST_REMOVE(item, entry);
		access_item_free(item);
	}
}

static const struct iopt_pinner_ops access_pinner_ops = {
	.unmap = access_unmap,
};

static void
access_destroy(struct obj *obj)
{
	struct access		*access = container_of(obj, struct access, obj);
	struct access_item	*item;

	while ((item = LIST_FIRST(&access->items)) != NULL) {
		LIST_REMOVE(item, entry);
		access_item_free(item);
	}
	if (access->ioas != NULL) {
		iopt_remove_pinner(ioas_iopt(access->ioas), &access->pinner);
		obj_drop(access->ioas);
	}
	/* The descriptor's hold went with the object. */
	if (access->hfd != NULL)
		hfd_free(access->hfd, 0);
}

/* "ioas". */
static json_t *
access_describe(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct access, obj)->ioas,
	    "ioas", 0));
}

const struct obj_ops access_ops = {
	.name = "access",
	.size = sizeof(struct access),
	.destroy = access_destroy,
	.describe = access_describe,
};

/* The caller closed the descriptor: the access goes with it. */
static void
access_hangup(struct hfd *hfd)
{
	obj_destroy_held(hfd->obj);
}

static const struct hfd_ops access_hfd_ops = {
	.hangup = access_hangup,
};

/*
 * The access behind the caller's descriptor number cfd. The mock answers
 * EBADFD both for a number that is not open and for a file that is not
 * an access.
 */
static int
access_lookup(struct ucmd *ucmd, uint32_t cfd, struct access **accessp)
{
	struct hfd	*hfd;
	int		 fd, rc;

	if (cfd > INT32_MAX || (fd = ucmd_getfd(ucmd, (int)cfd)) < 0)
		return (-EBADFD);
	rc = hfd_find(ucmd->ctx, fd, OBJ_ACCESS, &hfd);
	close(fd);
	if (rc != 0)
		return (-EBADFD);
	*accessp = container_of(hfd->obj, struct access, obj);
	return (0);
}

/* CREATE_ACCESS: a new access on IOAS id, its descriptor to the caller. */
int
access_test_create(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct ioas	*ioas;
	struct access	*access;
	struct obj	*obj;
	uint32_t	 flags = cmd->create_access.flags;
	int		 peer, rc;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return (-EOPNOTSUPP);
	if ((rc = ioas_get(ucmd->ctx, cmd->id, &ioas)) != 0)
		return (rc);
	if ((rc = obj_alloc(ucmd->ctx, OBJ_ACCESS, &obj)) != 0)
		return (rc);
	access = container_of(obj, struct access, obj);
	access->flags = flags;
	access->pinner.flags = IOPT_PINNER_LAZY;
	access->pinner.ops = &access_pinner_ops;
	/* A pinning access works on whole pages; a copying one on bytes. */
	access->pinner.alignment = (flags &
	    MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) ? PAGES_PAGE_SIZE : 1;
	if ((rc = iopt_add_pinner(&ioas->iopt, &access->pinner)) != 0) {
		obj_abort(obj);
		return (rc);
	}
	access->ioas = &ioas->obj;
	obj_hold(access->ioas);
	if ((rc = hfd_new(obj, SOCK_SEQPACKET, 0, &access_hfd_ops, &peer,
	    &access->hfd)) != 0) {
		obj_abort(obj);
		return (rc);
	}
	rc = ucmd_putfd(ucmd, peer, ucmd->arg +
	    offsetof(struct iommu_test_cmd, create_access.out_access_fd));
	if (rc != 0) {
		close(peer);
		obj_abort(obj);
		return (rc);
	}
	ucmd_finalize(ucmd, obj);
	return (0);
}

/*
 * Check that [iova, iova + length) is mapped without a gap, and writable
 * when write is set, and count the areas it crosses: 0, -EINVAL (length
 * 0, or a dma-buf area), -EOVERFLOW, -ENOENT or -EPERM.
 */
static int
access_check_range(struct iopt *iopt, uint64_t iova, uint64_t length,
    int write, size_t *nareasp)
{
	struct iopt_area	*a;
	uint64_t		 last, cur = iova;
	size_t			 n = 0;

	if (length == 0)
		return (-EINVAL);
	if (iova + (length - 1) < iova)
		return (-EOVERFLOW);
	last = iova + (length - 1);
	for (a = iopt_area_first(iopt, iova, last); a != NULL;
	    a = iopt_area_next(iopt, a)) {
		if (a->iova > cur)
			break;
		if (write && !(iopt_area_prot(a) & IOPT_WRITE))
			return (-EPERM);
		/* The kernel gives accesses no dma-buf memory. */
		if (iopt_area_pages(a)->type == PAGES_DMABUF)
			return (-EINVAL);
		n++;
		if (a->last >= last) {
			*nareasp = n;
			return (0);
		}
		cur = a->last + 1;
	}
	return (-ENOENT);
}

/*
 * The mock compares the pinned pages with the pages the caller's uptr
 * maps. Here a page is a process and an address: where the area maps the
 * caller's own memory, its address must be uptr's, page by page; memory
 * of another process or a file is not the caller's to compare.
 */
static int
access_check_uptr(struct ucmd *ucmd, struct iopt *iopt, uint64_t iova,
    uint64_t length, uint64_t uptr)
{
	struct iopt_area	*a;
	struct pages		*p;
	uint64_t		 last = iova + (length - 1), cur, va, want;
	uint64_t		 ubase = uptr - (iova % PAGES_PAGE_SIZE);
	uint64_t		 pmask = ~(PAGES_PAGE_SIZE - 1);

	if (uptr == 0 || ucmd->caller == NULL || ucmd->caller->mem == NULL)
		return (0);
	for (a = iopt_area_first(iopt, iova, last); a != NULL;
	    a = iopt_area_next(iopt, a)) {
		p = iopt_area_pages(a);
		if (!(p->type == PAGES_USER && p->src.umem != NULL &&
		    umem_pid(p->src.umem) == umem_pid(ucmd->caller->mem)))
			continue;
		cur = MAX(a->iova, iova);
		va = pages_addr(p, a->pages_off + (cur - a->iova));
		want = ubase + ((cur & pmask) - (iova & pmask));
		if ((va & pmask) != want)
			return (-EINVAL);
		if (a->last >= last)
			break;
	}
	return (0);
}

/* ACCESS_PAGES: pin the pages behind an IOVA range for the access. */
int
access_test_pages(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct access		*access;
	struct access_item	*item;
	struct iopt		*iopt;
	struct iopt_area	*a;
	uint64_t		 iova = cmd->access_pages.iova;
	uint64_t		 length = cmd->access_pages.length;
	uint32_t		 flags = cmd->access_pages.flags;
	size_t			 nareas, i;
	int			 rc;

	if (flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return (-EOPNOTSUPP);
	if (length > ACCESS_MAX_LENGTH)
		return (-ENOMEM);
	if ((rc = access_lookup(ucmd, cmd->id, &access)) != 0)
		return (rc);
	if (!(access->flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES))
		return (-EOPNOTSUPP);
	iopt = ioas_iopt(access->ioas);
	if ((rc = access_check_range(iopt, iova, length,
	    (flags & MOCK_FLAGS_ACCESS_WRITE) != 0, &nareas)) != 0)
		return (rc);
	if ((rc = access_check_uptr(ucmd, iopt, iova, length,
	    cmd->access_pages.uptr)) != 0)
		return (rc);

	item = calloc(1, sizeof(*item) + nareas * sizeof(item->pages[0]));
	if (item == NULL)
		return (-ENOMEM);
	item->iova = iova;
	item->length = length;
	a = iopt_area_first(iopt, iova, iova + (length - 1));
	for (i = 0; i < nareas; i++, a = iopt_area_next(iopt, a)) {
		if ((rc = pages_pin(iopt_area_pages(a))) != 0) {
			access_item_free(item);
			return (rc);
		}
		item->pages[i] = iopt_area_pages(a);
		pages_hold(item->pages[i]);
		item->npages++;
	}
	item->id = access->next_item;
	cmd->access_pages.out_access_pages_id = item->id;
	if ((rc = ucmd_respond(ucmd, sizeof(*cmd))) != 0) {
		access_item_free(item);
		return (rc);
	}
	access->next_item++;
	LIST_INSERT_HEAD(&access->items, item, entry);
	return (0);
}

/* DESTROY_ACCESS_PAGES: unpin one item; ENOENT when it is gone. */
int
access_test_destroy_pages(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct access		*access;
	struct access_item	*item;
	int			 rc;

	if ((rc = access_lookup(ucmd, cmd->id, &access)) != 0)
		return (rc);
	LIST_FOREACH(item, &access->items, entry) {
		if (item->id == cmd->destroy_access_pages.access_pages_id) {
			LIST_REMOVE(item, entry);
			access_item_free(item);
			return (0);
		}
	}
	return (-ENOENT);
}

/*
 * ACCESS_RW: copy between an IOVA range and the caller's buffer, at any
 * alignment and length. The slow path flag only changes how the kernel
 * gets there; here both copy through the pages objects.
 */
int
access_test_rw(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct access		*access;
	struct iopt		*iopt;
	struct iopt_area	*a;
	struct pages		*p;
	uint64_t		 iova = cmd->access_rw.iova;
	uint64_t		 length = cmd->access_rw.length;
	uint64_t		 cur, n, off, done = 0;
	uint32_t		 flags = cmd->access_rw.flags;
	int			 write = (flags & MOCK_ACCESS_RW_WRITE) != 0;
	size_t			 nareas;
	uint8_t			*buf;
	int			 rc;

	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH))
		return (-EOPNOTSUPP);
	if (length > ACCESS_MAX_LENGTH)
		return (-ENOMEM);
	if ((rc = access_lookup(ucmd, cmd->id, &access)) != 0)
		return (rc);
	if ((buf = malloc(length != 0 ? length : 1)) == NULL)
		return (-ENOMEM);
	if (write && (rc = ucmd_read(ucmd, cmd->access_rw.uptr, buf,
	    length)) != 0)
		goto out;
	iopt = ioas_iopt(access->ioas);
	if ((rc = access_check_range(iopt, iova, length, write,
	    &nareas)) != 0)
		goto out;
	cur = iova;
	for (a = iopt_area_first(iopt, iova, iova + (length - 1));
	    done < length; a = iopt_area_next(iopt, a)) {
		n = MIN(length - done, a->last - cur + 1);
		p = iopt_area_pages(a);
		off = a->pages_off + (cur - a->iova);
		if ((rc = pages_rw(p, off, buf + done, n, write)) != 0)
			goto out;
		/* What the caller's memory held, for a replay to put back. */
		if (!write && p->type == PAGES_USER)
			trace_mem(ucmd->ctx, p->start + off, buf + done, n);
		done += n;
		cur += n;
	}
	if (!write)
		rc = ucmd_write(ucmd, cmd->access_rw.uptr, buf, length);
out:
	free(buf);
	return (rc);
}

void
access_ctx_foreach_pages(struct ctx *ctx, void (*fn)(void *, struct pages *),
    void *arg)
{
	struct obj		*o;
	struct access		*access;
	struct access_item	*item;
	size_t			 i;

	if (ctx->nkind[OBJ_ACCESS] == 0)
		return;
	CTX_FOREACH_OBJ(o, ctx) {
		if (o->type != OBJ_ACCESS || o->state != OBJ_LIVE)
			continue;
		access = container_of(o, struct access, obj);
		LIST_FOREACH(item, &access->items, entry) {
			for (i = 0; i < item->npages; i++)
				fn(arg, item->pages[i]);
		}
	}
}

/* ACCESS_REPLACE_IOAS: move the access to another IOAS; its pins stay. */
int
access_test_replace_ioas(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct access	*access;
	struct ioas	*ioas;
	int		 rc;

	if ((rc = access_lookup(ucmd, cmd->id, &access)) != 0)
		return (rc);
	if ((rc = ioas_get(ucmd->ctx, cmd->access_replace_ioas.ioas_id,
	    &ioas)) != 0)
		return (rc);
	if (&ioas->obj == access->ioas)
		return (0);
	iopt_remove_pinner(ioas_iopt(access->ioas), &access->pinner);
	if ((rc = iopt_add_pinner(&ioas->iopt, &access->pinner)) != 0) {
		/* Back where it was: a lazy pinner cannot fail to return. */
		(void)iopt_add_pinner(ioas_iopt(access->ioas),
		    &access->pinner);
		return (rc);
	}
	obj_drop(access->ioas);
	access->ioas = &ioas->obj;
	obj_hold(access->ioas);
	return (0);
}
