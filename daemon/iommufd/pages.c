/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Pages objects (see pages.h): their sources, pinning and charging.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "core/inject.h"
#include "core/limit.h"
#include "core/pool.h"
#include "core/umem.h"
#include "core/util.h"
#include "iommufd/dmabuf.h"
#include "iommufd/pages.h"

static struct pool pages_pool = POOL_INITIALIZER("pages", sizeof(struct pages));

/* The kernel refuses objects that would not leave a page of room. */
#define PAGES_MAX_LENGTH	(UINT64_MAX - PAGES_PAGE_SIZE)

static int
pages_alloc(uint64_t addr, uint64_t length, int writable,
    struct acct_owner *owner, enum acct_mode mode, struct pages **pp)
{
	struct pages	*p;

	if ((p = pool_get(&pages_pool)) == NULL)
		return (-ENOMEM);
	p->start = ALIGN_DOWN(addr, PAGES_PAGE_SIZE);
	p->size = (addr - p->start) + length;
	p->owner = owner;
	acct_owner_hold(owner);
	p->refs = 1;
	p->writable = writable != 0;
	p->acct_mode = mode;
	*pp = p;
	return (0);
}

int
pages_new_user(struct umem *um, uint64_t uva, uint64_t length, int writable,
    struct acct_owner *owner, enum acct_mode mode, struct pages **pp)
{
	int	 rc;

	if (length == 0 || length > PAGES_MAX_LENGTH)
		return (-EINVAL);
	if (uva + length < uva)
		return (-EOVERFLOW);
	if ((rc = pages_alloc(uva, length, writable, owner, mode, pp)) != 0)
		return (rc);
	(*pp)->type = PAGES_USER;
	if (um != NULL)
		umem_hold(um);
	(*pp)->src.umem = um;
	return (0);
}

/* Does fd hold [offset, offset + length)? 0 or -EINVAL. */
static int
pages_file_covers(int fd, uint64_t offset, uint64_t length)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size < 0)
		return (-EINVAL);
	if (offset + length < offset ||
	    offset + length > (uint64_t)st.st_size)
		return (-EINVAL);
	return (0);
}

int
pages_new_file(int fd, uint64_t offset, uint64_t length, int writable,
    struct acct_owner *owner, enum acct_mode mode, struct pages **pp)
{
	int	 rc;

	if (length == 0 || length > PAGES_MAX_LENGTH)
		return (-EINVAL);
	if ((rc = pages_file_covers(fd, offset, length)) != 0)
		return (rc);
	if ((rc = pages_alloc(offset, length, writable, owner, mode, pp)) != 0)
		return (rc);
	(*pp)->type = PAGES_FILE;
	(*pp)->src.fd = fd;
	return (0);
}

int
pages_new_dmabuf(struct dmabuf_mem *mem, uint64_t offset, uint64_t length,
    int writable, struct acct_owner *owner, enum acct_mode mode,
    struct pages **pp)
{
	int	 rc;

	if (length == 0)
		return (-EINVAL);
	if (offset + (length - 1) < offset)
		return (-EOVERFLOW);
	/* The last byte must be inside: a range starting at the end is not. */
	if (offset + (length - 1) >= mem->length)
		return (-EINVAL);
	if (mem->revoked)
		return (-ENODEV);
	if ((rc = pages_alloc(offset, length, writable, owner, mode, pp)) != 0)
		return (rc);
	(*pp)->type = PAGES_DMABUF;
	dmabuf_mem_hold(mem);
	(*pp)->src.dmabuf.mem = mem;
	(*pp)->src.dmabuf.gen = mem->gen;
	return (0);
}

int
pages_revoked(const struct pages *p)
{
	return (p->type == PAGES_DMABUF &&
	    p->src.dmabuf.gen != p->src.dmabuf.mem->gen);
}

int
pages_charge_limit(struct pages *p, struct limit_acct *lim)
{
	int	 rc;

	if ((rc = limit_charge(lim, LIMIT_BYTES, sizeof(*p), 0)) != 0)
		return (rc);
	p->lim = lim;
	return (0);
}

void
pages_hold(struct pages *p)
{
	p->refs++;
}

void
pages_put(struct pages *p)
{
	if (p == NULL || --p->refs != 0)
		return;
	/* Areas unpin before they drop their reference. */
	if (p->charged)
		acct_uncharge(p->owner, p->acct_mode, pages_npages(p));
	if (p->type == PAGES_USER)
		umem_put(p->src.umem);
	else if (p->type == PAGES_DMABUF)
		dmabuf_mem_put(p->src.dmabuf.mem);
	else
		close(p->src.fd);
	acct_owner_put(p->owner);
	limit_uncharge(p->lim, LIMIT_BYTES, sizeof(*p), 0);
	pool_put(&pages_pool, p);
}

uint64_t
pages_npages(const struct pages *p)
{
	return ((p->size >> 12) + ((p->size & (PAGES_PAGE_SIZE - 1)) != 0));
}

int
pages_pin(struct pages *p)
{
	int	 rc;

	if (p->npin++ != 0)
		return (0);
	/* A dma-buf is neither pinned nor charged (see pages.h). */
	if (p->type == PAGES_DMABUF)
		return (0);
	/* Where the kernel's pinning would allocate. */
	if (inject_fail())
		rc = -ENOMEM;
	else if (p->type == PAGES_USER) {
		if (p->src.umem == NULL)
			rc = -EFAULT;
		else
			rc = umem_check(p->src.umem, p->start, p->size,
			    p->writable);
	} else
		rc = pages_file_covers(p->src.fd, p->start, p->size);
	if (rc == 0)
		rc = acct_charge(p->owner, p->acct_mode, pages_npages(p));
	if (rc != 0) {
		p->npin--;
		return (rc);
	}
	p->charged = 1;
	return (0);
}

void
pages_unpin(struct pages *p)
{
	if (p->npin == 0 || --p->npin != 0)
		return;
	if (p->charged)
		acct_uncharge(p->owner, p->acct_mode, pages_npages(p));
	p->charged = 0;
}

int
pages_rw(struct pages *p, uint64_t off, void *buf, size_t len, int write)
{
	ssize_t	 n;
	uint64_t addr;
	char	*b = buf;
	int	 fd;

	if (off > p->size || len > p->size - off)
		return (-EFAULT);
	addr = p->start + off;
	if (p->type == PAGES_USER) {
		if (p->src.umem == NULL)
			return (-EFAULT);
		return (write ? umem_write(p->src.umem, addr, buf, len) :
		    umem_read(p->src.umem, addr, buf, len));
	}
	if (p->type == PAGES_DMABUF) {
		if (pages_revoked(p))
			return (-EFAULT);
		fd = p->src.dmabuf.mem->fd;
	} else
		fd = p->src.fd;
	while (len > 0) {
		if (addr > INT64_MAX)
			return (-EFAULT);
		n = write ? pwrite(fd, b, len, (off_t)addr) :
		    pread(fd, b, len, (off_t)addr);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-EFAULT);
		b += n;
		addr += n;
		len -= n;
	}
	return (0);
}

size_t
pages_count(void)
{
	return (pages_pool.nlive);
}
