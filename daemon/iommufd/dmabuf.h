/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The selftest's dma-bufs (IOMMU_TEST_OP_DMABUF_GET and DMABUF_REVOKE,
 * spec 8.1) and how IOMMU_IOAS_MAP_FILE finds one.
 *
 * A dma-buf is two things with different lives. Its memory (struct
 * dmabuf_mem) is a memfd the daemon owns, as the kernel's exporter owns
 * the buffer it allocated; it is held by the dma-buf object and by every
 * pages object that maps part of it, and goes with the last of them, so
 * a mapping keeps the memory after the caller has closed its descriptor,
 * as the kernel's dma-buf reference does. The object (struct dmabuf,
 * objs.h) stands for the caller's descriptor: one end of a socket pair
 * (core/hfd.h), so the daemon learns when the last copy is closed and
 * finds the dma-buf again when the caller sends a copy back (MAP_FILE's
 * fd, DMABUF_REVOKE's dmabuf_fd). Closing the descriptor destroys the
 * object; DESTROY cannot, as the kernel gives the caller no id for it.
 *
 * What differs from the kernel: the object takes an id in its context's
 * table, and a dma-buf is found only by the context that made it (another
 * context's MAP_FILE sees a socket, which is no file it can map).
 *
 * Bounds: at most 512 pages a buffer, and a buffer's bytes and struct
 * are charged to its context's byte limit; each is an object and a
 * handed-out descriptor, both limited per context.
 */
#ifndef IOASIDD_DMABUF_H
#define IOASIDD_DMABUF_H

#include <stdint.h>

struct ctx;
struct iommu_test_cmd;
struct limit_acct;
struct ucmd;

/* The largest buffer DMABUF_GET makes, as the kernel's exporter. */
#define DMABUF_MAX_PAGES	512

struct dmabuf_mem {
	int			 fd;		/* memfd, length bytes; owned */
	uint64_t		 length;
	uint32_t		 refs;
	int			 revoked;	/* new imports get ENODEV */
	/*
	 * DMABUF_REVOKE calls so far: each one invalidates every import
	 * made before it (pages_revoked()).
	 */
	uint64_t		 gen;
	struct limit_acct	*lim;		/* the making context's */
};

void	dmabuf_mem_hold(struct dmabuf_mem *);
void	dmabuf_mem_put(struct dmabuf_mem *);

/*
 * The memory of the dma-buf of ctx whose caller descriptor fd (a daemon
 * copy) is, not held: 0, or -EBADF when fd is not one.
 */
int	dmabuf_find(struct ctx *, int fd, struct dmabuf_mem **);

/* IOMMU_TEST_CMD's DMABUF_GET and DMABUF_REVOKE. */
int	dmabuf_test_get(struct ucmd *, struct iommu_test_cmd *);
int	dmabuf_test_revoke(struct ucmd *, struct iommu_test_cmd *);

#endif /* IOASIDD_DMABUF_H */
