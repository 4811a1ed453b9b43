/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The vIOMMU object kind (spec 7, 6.2): a virtual IOMMU over a nesting
 * parent HWPT, which vDEVICEs, vEVENTQs and HW queues (their own files)
 * hang off; its ops and IOMMU_VIOMMU_ALLOC.
 *
 * A vIOMMU is made for a device, whose hardware model decides the types
 * it offers and reads their data, over a nesting parent HWPT of the same
 * IOMMU instance, which it holds. Its vDEVICEs are listed on it so that
 * invalidations naming a virt_id find their device.
 *
 * mmap. A model may offer a region of a new vIOMMU for the caller to
 * mmap() on its /dev/iommu descriptor (the selftest's loopback page).
 * The daemon keeps it in a memory file, at an offset that names the
 * vIOMMU (its id above VIOMMU_MMAP_SHIFT bits), and IOASIDD_MMAP, which
 * the preload library sends for such an mmap(), hands the caller a
 * descriptor of it to map. The kernel counts each mapping as a user of
 * the vIOMMU; here DESTROY looks for the file in the maps of the
 * processes it was handed to (the last VIOMMU_MAPPERS of them), and
 * answers EBUSY while one still maps it. A mapping outlives the vIOMMU
 * harmlessly: the memory is the file's, not the daemon's.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>


#include "core/ctx.h"
#include "core/ioctl.h"
#include "core/limit.h"
#include "core/ucmd.h"
#include "core/util.h"
#include "hw/hw.h"
#include "iommufd/describe.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"

#include <linux/iommufd.h>
#include "ioasidd.h"

/* A region's offset is its vIOMMU's id shifted by this many bits. */
#define VIOMMU_MMAP_SHIFT	24
_Static_assert(HW_MMAP_MAX <= (1ULL << VIOMMU_MMAP_SHIFT),
    "a region fits below the next vIOMMU's offset");

static void
viommu_destroy(struct obj *obj)
{
	struct viommu	*viommu = container_of(obj, struct viommu, obj);

	if (viommu->has_mmap) {
		close(viommu->mmap_fd);
		limit_uncharge(&obj->ctx->lim, LIMIT_BYTES, 0,
		    viommu->mmap_length);
		viommu->has_mmap = 0;
	}
	if (viommu->parent != NULL)
		obj_drop(viommu->parent);
}

/* Does process pid map the file (dev, ino)? From /proc/<pid>/maps. */
static int
viommu_mapped_by(int32_t pid, uint64_t dev, uint64_t ino)
{
	char		 path[64], line[512];
	FILE		*f;
	uint64_t	 i;
	unsigned int	 maj, mn;
	int		 found = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (0);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%*x-%*x %*s %*x %x:%x %" SCNu64, &maj, &mn,
		    &i) == 3 && i == ino && makedev(maj, mn) == dev)
			found = 1;
	}
	fclose(f);
	return (found);
}

/*
 * DESTROY's question: does a process the region went to still map it?
 * Those that no longer do are forgotten.
 */
static int
viommu_busy(struct obj *obj)
{
	struct viommu	*v = container_of(obj, struct viommu, obj);
	unsigned int	 i = 0;

	if (!v->has_mmap)
		return (0);
	while (i < v->nmappers) {
		if (viommu_mapped_by(v->mappers[i], v->mmap_dev, v->mmap_ino))
			return (1);
		v->mappers[i] = v->mappers[--v->nmappers];
	}
	return (0);
}

/* "parent" (the nesting parent HWPT). */
static json_t *
viommu_describe(struct obj *obj)
{
	return (describe_holder(container_of(obj, struct viommu,
	    obj)->parent, "parent", 0));
}

const struct obj_ops viommu_ops = {
	.name = "viommu",
	.size = sizeof(struct viommu),
	.destroy = viommu_destroy,
	.describe = viommu_describe,
	.busy = viommu_busy,
};

/*
 * The model's mmap region for a new vIOMMU, if it offers one: a memory
 * file of its length holding the model's first bytes, charged to the
 * context. 0, or -ENOMEM (and nothing kept).
 */
static int
viommu_mmap_new(struct viommu *v, uint32_t type, void *buf, size_t len)
{
	const struct hw_model_ops	*ops = v->hw->ops;
	struct stat			 st;
	uint8_t				 page[HW_MMAP_INIT];
	uint64_t			 off, mlen = 0;
	int				 fd, rc;

	if (ops->viommu_mmap == NULL)
		return (0);
	off = (uint64_t)v->obj.id << VIOMMU_MMAP_SHIFT;
	memset(page, 0, sizeof(page));
	if ((rc = ops->viommu_mmap(type, buf, len, off, &mlen, page)) != 0)
		return (rc);
	if (mlen == 0)
		return (0);
	if (mlen > HW_MMAP_MAX || mlen % PAGES_PAGE_SIZE != 0)
		return (-EINVAL);
	if ((rc = limit_charge(&v->obj.ctx->lim, LIMIT_BYTES, 0, mlen)) != 0)
		return (rc);
	if ((fd = memfd_create("ioasidd-viommu", MFD_CLOEXEC)) == -1) {
		rc = -errno;
		goto fail;
	}
	if (ftruncate(fd, (off_t)mlen) == -1 ||
	    pwrite(fd, page, sizeof(page), 0) != (ssize_t)sizeof(page) ||
	    fstat(fd, &st) == -1) {
		rc = -ENOMEM;
		close(fd);
		goto fail;
	}
	v->mmap_fd = fd;
	v->mmap_offset = off;
	v->mmap_length = mlen;
	v->mmap_dev = st.st_dev;
	v->mmap_ino = st.st_ino;
	v->has_mmap = 1;
	return (0);
fail:
	limit_uncharge(&v->obj.ctx->lim, LIMIT_BYTES, 0, mlen);
	return (rc);
}

/* The largest vIOMMU data any model reads. */
#define VIOMMU_DATA_MAX	64

/* IOMMU_VIOMMU_ALLOC (spec 7.1). */
int
viommu_ioctl_alloc(struct ucmd *ucmd)
{
	struct iommu_viommu_alloc	*cmd = ucmd->cmd_buf;
	const struct hw_dev_desc	*desc;
	struct hwpt_paging		*parent;
	struct viommu			*viommu;
	struct device			*dev;
	struct obj			*obj;
	uint8_t				 buf[VIOMMU_DATA_MAX];
	size_t				 len = cmd->data_len;
	int				 rc;

	if (cmd->flags != 0 || cmd->__reserved != 0 ||
	    cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return (-EOPNOTSUPP);
	if ((rc = obj_get(ucmd->ctx, cmd->dev_id, OBJ_DEVICE, &obj)) != 0)
		return (rc);
	dev = container_of(obj, struct device, obj);
	if (dev->edev == NULL)
		return (-ENOENT);
	desc = &dev->edev->desc;
	/* The model says whether it has the type before the HWPT is seen. */
	if (desc->hw->ops->viommu_alloc == NULL ||
	    desc->hw->ops->viommu_alloc(desc, cmd->type, NULL, 0) != 0)
		return (-EOPNOTSUPP);
	rc = obj_get(ucmd->ctx, cmd->hwpt_id, OBJ_HWPT_PAGING, &obj);
	if (rc != 0)
		return (rc);
	parent = container_of(obj, struct hwpt_paging, obj);
	if (!(parent->flags & HWPT_F_NEST_PARENT))
		return (-EINVAL);
	if (parent->domain.hw != desc->hw)
		return (-EINVAL);
	/* The data is read, checked and answered before anything is made. */
	if (len > sizeof(buf))
		return (-EINVAL);
	memset(buf, 0, sizeof(buf));
	if (len != 0 && (rc = ucmd_read(ucmd, cmd->data_uptr, buf, len)) != 0)
		return (rc);
	if ((rc = desc->hw->ops->viommu_alloc(desc, cmd->type, buf, len)) != 0)
		return (rc);
	if ((rc = obj_alloc(ucmd->ctx, OBJ_VIOMMU, &obj)) != 0)
		return (rc);
	viommu = container_of(obj, struct viommu, obj);
	LIST_INIT(&viommu->vdevices);
	LIST_INIT(&viommu->hw_queues);
	obj_hold(&parent->obj);
	viommu->parent = &parent->obj;
	viommu->hw = desc->hw;
	viommu->type = cmd->type;
	if ((rc = viommu_mmap_new(viommu, cmd->type, buf, len)) != 0) {
		obj_abort(obj);
		return (rc);
	}
	cmd->out_viommu_id = obj->id;
	if ((len != 0 && (rc = ucmd_write(ucmd, cmd->data_uptr, buf,
	    len)) != 0) || (rc = ucmd_respond(ucmd, sizeof(*cmd))) != 0) {
		obj_abort(obj);
		return (rc);
	}
	ucmd_finalize(ucmd, obj);
	return (0);
}

static int
viommu_mapper(struct viommu *v, int32_t pid)
{
	unsigned int	 i;

	for (i = 0; i < v->nmappers; i++) {
		if (v->mappers[i] == pid)
			return (1);
	}
	return (0);
}

/*
 * IOASIDD_MMAP (proto/ioasidd.h): the caller's mmap() of its descriptor,
 * judged as the kernel's mmap judges it: EINVAL for a length that is not
 * whole pages or a private mapping, EPERM for an executable one, ENXIO
 * for anything but a region's exact offset and length. The caller gets
 * a descriptor of the region's file to map. With IOASIDD_MMAP_UNMAP it
 * is the notice of a munmap(), answered and otherwise ignored.
 */
int
viommu_ioctl_mmap(struct ucmd *ucmd)
{
	struct ioasidd_mmap	*cmd = ucmd->cmd_buf;
	struct viommu		*v;
	struct obj		*obj;
	uint64_t		 id = cmd->offset >> VIOMMU_MMAP_SHIFT;
	int			 fd, rc;

	/* A munmap()'s notice: nothing to do but answer (proto/ioasidd.h). */
	if (cmd->flags & IOASIDD_MMAP_UNMAP)
		return (cmd->length == 0 || cmd->length % PAGES_PAGE_SIZE !=
		    0 || cmd->offset % PAGES_PAGE_SIZE != 0 ? -EINVAL : 0);
	if (cmd->length == 0 || cmd->length % PAGES_PAGE_SIZE != 0 ||
	    !(cmd->flags & IOASIDD_MMAP_SHARED))
		return (-EINVAL);
	if (cmd->flags & IOASIDD_MMAP_EXEC)
		return (-EPERM);
	if (id == 0 || id > UINT32_MAX ||
	    (obj = obj_find(ucmd->ctx, (uint32_t)id, OBJ_VIOMMU)) == NULL)
		return (-ENXIO);
	v = container_of(obj, struct viommu, obj);
	if (!v->has_mmap || cmd->offset != v->mmap_offset ||
	    cmd->length != v->mmap_length)
		return (-ENXIO);
	if ((fd = fcntl(v->mmap_fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return (-errno);
	if ((rc = ucmd_putfd(ucmd, fd, ucmd->arg +
	    offsetof(struct ioasidd_mmap, out_fd))) != 0) {
		close(fd);
		return (rc);
	}
	/* Remember who may map it, for DESTROY (the oldest goes first). */
	if (ucmd->caller != NULL && ucmd->caller->pid != 0 &&
	    !viommu_mapper(v, ucmd->caller->pid)) {
		if (v->nmappers == VIOMMU_MAPPERS) {
			memmove(&v->mappers[0], &v->mappers[1],
			    (VIOMMU_MAPPERS - 1) * sizeof(v->mappers[0]));
			v->nmappers--;
		}
		v->mappers[v->nmappers++] = ucmd->caller->pid;
	}
	return (0);
}
