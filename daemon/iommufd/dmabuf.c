/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The dma-buf object kind and the selftest's exporter (see dmabuf.h):
 * making a buffer and its descriptor, revoking and restoring it, and the
 * lookup MAP_FILE uses.
 *
 * Ownership. The object holds one reference on its memory and its hfd
 * holds the object; the caller's close (the hfd's hangup) destroys the
 * object, whose destroy op frees the hfd and drops the reference. Each
 * pages object made from the buffer holds another reference, so the
 * memory, its descriptor and its charge last until the last mapping goes,
 * all within the context (its pages live only in the context's IOASes).
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "core/ctx.h"
#include "core/hfd.h"
#include "core/inject.h"
#include "core/limit.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "iommufd/describe.h"
#include "iommufd/dmabuf.h"
#include "iommufd/ioas.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"

#include <linux/iommufd.h>
#include "iommufd_test.h"

/* What a buffer costs its context besides the object. */
static uint64_t
dmabuf_mem_cost(uint64_t length)
{
	return (length + LIMIT_MALLOC(sizeof(struct dmabuf_mem)));
}

/*
 * New zeroed memory of length bytes, charged to lim: 0, -ENOMEM, or the
 * errno of memfd_create() or ftruncate() (-EMFILE, -ENFILE, -ENOSPC).
 */
static int
dmabuf_mem_new(struct limit_acct *lim, uint64_t length,
    struct dmabuf_mem **memp)
{
	struct dmabuf_mem	*mem;
	int			 rc;

	if ((rc = limit_charge(lim, LIMIT_BYTES, dmabuf_mem_cost(length),
	    0)) != 0)
		return (rc);
	if ((mem = inject_calloc(1, sizeof(*mem))) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((mem->fd = memfd_create("ioasidd-dmabuf", MFD_CLOEXEC)) == -1) {
		rc = -errno;
		free(mem);
		goto fail;
	}
	if (ftruncate(mem->fd, (off_t)length) == -1) {
		rc = -errno;
		close(mem->fd);
		free(mem);
		goto fail;
	}
	mem->length = length;
	mem->refs = 1;
	mem->lim = lim;
	*memp = mem;
	return (0);
fail:
	limit_uncharge(lim, LIMIT_BYTES, dmabuf_mem_cost(length), 0);
	return (rc);
}

void
dmabuf_mem_hold(struct dmabuf_mem *mem)
{
	mem->refs++;
}

void
dmabuf_mem_put(struct dmabuf_mem *mem)
{
	if (mem == NULL || --mem->refs != 0)
		return;
	close(mem->fd);
	limit_uncharge(mem->lim, LIMIT_BYTES, dmabuf_mem_cost(mem->length), 0);
	free(mem);
}

static void
dmabuf_destroy(struct obj *obj)
{
	struct dmabuf	*d = container_of(obj, struct dmabuf, obj);

	/* The descriptor's hold went with the object. */
	if (d->hfd != NULL)
		hfd_free(d->hfd, 0);
	dmabuf_mem_put(d->mem);
}

/* "length", "revoked", and the mappings that hold it besides us. */
static json_t *
dmabuf_describe(struct obj *obj)
{
	struct dmabuf_mem	*mem = container_of(obj, struct dmabuf,
				    obj)->mem;
	json_t			*o;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (mem != NULL && (describe_set(o, "length",
	    describe_hex(mem->length)) != 0 ||
	    describe_set(o, "revoked", json_boolean(mem->revoked)) != 0 ||
	    describe_set(o, "imports", json_integer(mem->refs - 1)) != 0)) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

const struct obj_ops dmabuf_ops = {
	.name = "dmabuf",
	.size = sizeof(struct dmabuf),
	.destroy = dmabuf_destroy,
	.describe = dmabuf_describe,
};

/* The caller closed the descriptor: the object goes, the memory may stay. */
static void
dmabuf_hangup(struct hfd *hfd)
{
	obj_destroy_held(hfd->obj);
}

static const struct hfd_ops dmabuf_hfd_ops = {
	.hangup = dmabuf_hangup,
};

int
dmabuf_find(struct ctx *ctx, int fd, struct dmabuf_mem **memp)
{
	struct hfd	*hfd;
	int		 rc;

	if ((rc = hfd_find(ctx, fd, OBJ_DMABUF, &hfd)) != 0)
		return (rc);
	*memp = container_of(hfd->obj, struct dmabuf, obj)->mem;
	return (0);
}

/*
 * DMABUF_GET: a new zeroed buffer of length bytes rounded up to pages
 * (EINVAL for none or more than DMABUF_MAX_PAGES), whose descriptor is
 * the ioctl's return value. open_flags is not checked, as the kernel
 * does not; the descriptor is close-on-exec whatever it says.
 */
int
dmabuf_test_get(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	uint64_t	 length = cmd->dmabuf_get.length;
	struct dmabuf	*d;
	struct obj	*obj;
	int		 peer, rc;

	length = ALIGN_UP(length, PAGES_PAGE_SIZE);
	if (length == 0 || length > DMABUF_MAX_PAGES * PAGES_PAGE_SIZE)
		return (-EINVAL);
	if ((rc = obj_alloc(ucmd->ctx, OBJ_DMABUF, &obj)) != 0)
		return (rc);
	d = container_of(obj, struct dmabuf, obj);
	if ((rc = dmabuf_mem_new(&ucmd->ctx->lim, length, &d->mem)) != 0 ||
	    (rc = hfd_new(obj, SOCK_SEQPACKET, HFD_NONBLOCK, &dmabuf_hfd_ops,
	    &peer, &d->hfd)) != 0) {
		obj_abort(obj);
		return (rc);
	}
	if ((rc = ucmd_putfd(ucmd, peer, 0)) < 0) {
		close(peer);
		obj_abort(obj);
		return (rc);
	}
	ucmd_finalize(ucmd, obj);
	return (rc);
}

/*
 * DMABUF_REVOKE: set whether the buffer is revoked (new imports answer
 * ENODEV while it is). Either way the exporter tells its importers that
 * their mappings are gone, and the kernel's MAP_FILE import never maps
 * again: every pages object made before this call maps nothing from now
 * on, in every domain, until it is unmapped. As the kernel answers: a
 * number that is not open is EBADF, a file that is not one of our
 * dma-bufs EINVAL.
 */
int
dmabuf_test_revoke(struct ucmd *ucmd, struct iommu_test_cmd *cmd)
{
	struct dmabuf_mem	*mem;
	int			 fd, rc;

	if (cmd->dmabuf_revoke.dmabuf_fd < 0 ||
	    (fd = ucmd_getfd(ucmd, cmd->dmabuf_revoke.dmabuf_fd)) < 0)
		return (-EBADF);
	rc = dmabuf_find(ucmd->ctx, fd, &mem);
	close(fd);
	if (rc != 0)
		return (-EINVAL);
	ioas_ctx_revoke_dmabuf(ucmd->ctx, mem);
	mem->revoked = cmd->dmabuf_revoke.revoked != 0;
	mem->gen++;
	return (0);
}
