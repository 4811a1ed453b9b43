/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * libioasid (see ioasid.h): the public face of chan.c for programs that
 * use ioasidd on purpose. It turns chan.c's -1/errno convention into the
 * library's -errno one and wraps the common commands; the marshalling,
 * the channels and the fork and thread rules are all chan.c's.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "ioasid.h"
#include "wire.h"

#define IOASID_EXPORT	__attribute__((__visibility__("default")))

IOASID_EXPORT int
ioasid_open(const char *socket_path)
{
	int	fd;

	if ((fd = chan_open(socket_path, O_CLOEXEC)) == -1)
		return (-errno);
	return (fd);
}

IOASID_EXPORT int
ioasid_open_device(const char *socket_path, unsigned int index)
{
	int	fd;

	fd = chan_open_node(socket_path, O_CLOEXEC, WIRE_NODE_VFIO_DEVICE,
	    index);
	if (fd == -1)
		return (-errno);
	return (fd);
}

IOASID_EXPORT int
ioasid_close(int fd)
{
	if (close(fd) == -1)
		return (-errno);
	return (0);
}

IOASID_EXPORT int
ioasid_ioctl(int fd, unsigned long cmd, void *arg)
{
	int	rc;

	if ((rc = chan_ioctl(fd, cmd, arg)) == -1)
		return (-errno);
	return (rc);
}

IOASID_EXPORT int
ioasid_ioas_alloc(int fd, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc	a;
	int			rc;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	if ((rc = ioasid_ioctl(fd, IOMMU_IOAS_ALLOC, &a)) < 0)
		return (rc);
	*ioas_id = a.out_ioas_id;
	return (0);
}

/* IOAS_MAP; *iova is the address asked for (with FIXED_IOVA) and given. */
static int
ioasid_map(int fd, uint32_t ioas_id, void *va, uint64_t length,
    uint32_t flags, uint64_t *iova)
{
	struct iommu_ioas_map	m;
	int			rc;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = flags;
	m.ioas_id = ioas_id;
	m.user_va = (uintptr_t)va;
	m.length = length;
	m.iova = *iova;
	if ((rc = ioasid_ioctl(fd, IOMMU_IOAS_MAP, &m)) < 0)
		return (rc);
	*iova = m.iova;
	return (0);
}

IOASID_EXPORT int
ioasid_ioas_map(int fd, uint32_t ioas_id, void *va, uint64_t length,
    uint32_t flags, uint64_t *iova)
{
	uint64_t	got = 0;
	int		rc;

	rc = ioasid_map(fd, ioas_id, va, length,
	    flags & ~IOMMU_IOAS_MAP_FIXED_IOVA, &got);
	if (rc == 0 && iova != NULL)
		*iova = got;
	return (rc);
}

IOASID_EXPORT int
ioasid_ioas_map_fixed(int fd, uint32_t ioas_id, void *va, uint64_t length,
    uint64_t iova, uint32_t flags)
{
	return (ioasid_map(fd, ioas_id, va, length,
	    flags | IOMMU_IOAS_MAP_FIXED_IOVA, &iova));
}

IOASID_EXPORT int
ioasid_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t length,
    uint64_t *unmapped)
{
	struct iommu_ioas_unmap	u;
	int			rc;

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = ioas_id;
	u.iova = iova;
	u.length = length;
	if ((rc = ioasid_ioctl(fd, IOMMU_IOAS_UNMAP, &u)) < 0)
		return (rc);
	if (unmapped != NULL)
		*unmapped = u.length;
	return (0);
}

IOASID_EXPORT int
ioasid_ioas_copy(int fd, uint32_t dst_ioas_id, uint32_t src_ioas_id,
    uint64_t src_iova, uint64_t length, uint32_t flags, uint64_t *dst_iova)
{
	struct iommu_ioas_copy	c;
	int			rc;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	c.flags = flags;
	c.dst_ioas_id = dst_ioas_id;
	c.src_ioas_id = src_ioas_id;
	c.length = length;
	c.src_iova = src_iova;
	if ((flags & IOMMU_IOAS_MAP_FIXED_IOVA) && dst_iova != NULL)
		c.dst_iova = *dst_iova;
	if ((rc = ioasid_ioctl(fd, IOMMU_IOAS_COPY, &c)) < 0)
		return (rc);
	if (dst_iova != NULL)
		*dst_iova = c.dst_iova;
	return (0);
}

IOASID_EXPORT int
ioasid_iova_ranges(int fd, uint32_t ioas_id, struct iommu_iova_range *ranges,
    uint32_t *num, uint64_t *alignment)
{
	struct iommu_ioas_iova_ranges	r;
	int				rc;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = ioas_id;
	r.num_iovas = *num;
	r.allowed_iovas = (uintptr_t)ranges;
	rc = ioasid_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &r);
	if (rc < 0 && rc != -EMSGSIZE)
		return (rc);
	*num = r.num_iovas;
	if (alignment != NULL)
		*alignment = r.out_iova_alignment;
	return (rc < 0 ? rc : 0);
}

IOASID_EXPORT int
ioasid_destroy(int fd, uint32_t id)
{
	struct iommu_destroy	d;
	int			rc;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.id = id;
	rc = ioasid_ioctl(fd, IOMMU_DESTROY, &d);
	return (rc < 0 ? rc : 0);
}
