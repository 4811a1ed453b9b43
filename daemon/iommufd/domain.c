/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A paging HWPT's domain: a pinner of its IOAS's io page table whose
 * mapping is the table's areas (see domain.h). The domain owns the
 * reserved ranges outside its aperture (tagged with the domain itself as
 * owner) and its pinner link; the HWPT that embeds it owns the domain.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "core/util.h"
#include "iommufd/domain.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/pages.h"

static void
domain_pinner_unmap(struct iopt_pinner *p, uint64_t iova, uint64_t length)
{
	struct domain	*dom = container_of(p, struct domain, pinner);

	if (dom->hooks != NULL && dom->hooks->unmap != NULL)
		dom->hooks->unmap(dom, dom->hooks_arg, iova, length);
}

static const struct iopt_pinner_ops domain_pinner_ops = {
	.unmap = domain_pinner_unmap,
};

int
domain_add(struct domain *dom, struct ioas *ioas)
{
	struct iopt	*iopt = &ioas->iopt;
	uint64_t	 align = hw_domain_min_page(&dom->hw_dom);
	uint64_t	 start = dom->hw_dom.aperture_start;
	uint64_t	 last = dom->hw_dom.aperture_last;
	int		 rc;

	if (align == 0 || align > IOPT_PAGE_SIZE || start > last)
		return (-EINVAL);
	if (start > 0 && (rc = iopt_reserve(iopt, 0, start - 1, dom)) != 0)
		goto fail;
	if (last < IOPT_IOVA_MAX &&
	    (rc = iopt_reserve(iopt, last + 1, IOPT_IOVA_MAX, dom)) != 0)
		goto fail;
	dom->pinner.alignment = align;
	dom->pinner.flags = IOPT_PINNER_DOMAIN;
	dom->pinner.ops = &domain_pinner_ops;
	if ((rc = iopt_add_pinner(iopt, &dom->pinner)) != 0)
		goto fail;
	dom->ioas = ioas;
	return (0);
fail:
	iopt_unreserve_owner(iopt, dom);
	return (rc);
}

void
domain_remove(struct domain *dom)
{
	if (dom->ioas == NULL)
		return;
	iopt_remove_pinner(&dom->ioas->iopt, &dom->pinner);
	iopt_unreserve_owner(&dom->ioas->iopt, dom);
	dom->ioas = NULL;
}

int
domain_for_each(struct domain *dom, uint64_t iova, uint64_t length,
    int (*fn)(void *, const struct domain_run *), void *arg)
{
	struct iopt		*iopt;
	struct iopt_area	*a;
	struct domain_run	 run;
	uint64_t		 last, s, e;
	int			 rc;

	if (dom->ioas == NULL || length == 0)
		return (0);
	iopt = &dom->ioas->iopt;
	last = iova + (length - 1);
	if (last < iova)
		last = IOPT_IOVA_MAX;
	for (a = iopt_area_first(iopt, iova, last);
	    a != NULL && a->iova <= last; a = iopt_area_next(iopt, a)) {
		s = a->iova > iova ? a->iova : iova;
		e = a->last < last ? a->last : last;
		/* A revoked dma-buf's area is in no domain. */
		if (pages_revoked(iopt_area_pages(a))) {
			if (e == IOPT_IOVA_MAX)
				break;
			continue;
		}
		run.iova = s;
		run.length = e - s + 1;
		run.pages = iopt_area_pages(a);
		run.off = a->pages_off + (s - a->iova);
		run.prot = iopt_area_prot(a);
		/* fn may not change the table, so a stays valid. */
		if ((rc = fn(arg, &run)) != 0)
			return (rc);
		if (e == IOPT_IOVA_MAX)
			break;
	}
	return (0);
}

struct domain_check {
	uint64_t	 next;		/* where the next run must start */
	uint64_t	 iova;
	uint64_t	 uptr;
	pid_t		 pid;
};

/*
 * Whether process pid maps [uva, uva + len) from file fd at offset foff:
 * the memory the kernel would find behind those addresses is the file's
 * pages there. Read from /proc/<pid>/maps: 0, or -EINVAL.
 */
static int
domain_file_mapped(pid_t pid, uint64_t uva, uint64_t len, int fd,
    uint64_t foff)
{
	char		 path[64], line[512];
	struct stat	 st;
	FILE		*f;
	uint64_t	 start, end, off, ino, covered = 0, last = uva + len;
	unsigned int	 maj, min;
	int		 rc = -EINVAL;

	if (fstat(fd, &st) == -1)
		return (-EINVAL);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (-EINVAL);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64
		    " %x:%x %" SCNu64, &start, &end, &off, &maj, &min,
		    &ino) != 6)
			continue;
		if (end <= uva || start >= last)
			continue;
		if (ino != st.st_ino || makedev(maj, min) != st.st_dev ||
		    off - start != foff - uva)
			break;
		covered += (end < last ? end : last) - (start > uva ?
		    start : uva);
	}
	if (covered == len)
		rc = 0;
	fclose(f);
	return (rc);
}

static int
domain_check_run(void *arg, const struct domain_run *run)
{
	struct domain_check	*c = arg;
	uint64_t		 uva = c->uptr + (run->iova - c->iova);

	if (run->iova != c->next)
		return (-EINVAL);
	switch (run->pages->type) {
	case PAGES_USER:
		if (run->pages->src.umem == NULL ||
		    umem_pid(run->pages->src.umem) != c->pid ||
		    pages_addr(run->pages, run->off) != uva)
			return (-EINVAL);
		break;
	case PAGES_FILE:
		if (domain_file_mapped(c->pid, uva, run->length,
		    run->pages->src.fd, pages_addr(run->pages, run->off)) != 0)
			return (-EINVAL);
		break;
	default:
		return (-EINVAL);
	}
	c->next = run->iova + run->length;
	return (0);
}

/*
 * A user mapping translates to the same process's memory, so comparing
 * the source addresses compares the pages; a file mapping must be what
 * the caller has mapped at uptr. A whole run is checked at once because
 * an area maps contiguous memory.
 */
int
domain_check_map(struct domain *dom, uint64_t iova, uint64_t length,
    pid_t pid, uint64_t uptr)
{
	struct domain_check	 c;
	uint64_t		 align = hw_domain_min_page(&dom->hw_dom);
	int			 rc;

	if (length == 0 || iova + (length - 1) < iova ||
	    uptr + (length - 1) < uptr)
		return (-EINVAL);
	if (align == 0 || iova % align != 0 || length % align != 0)
		return (-EINVAL);
	c.next = c.iova = iova;
	c.uptr = uptr;
	c.pid = pid;
	if ((rc = domain_for_each(dom, iova, length, domain_check_run,
	    &c)) != 0)
		return (rc);
	if (c.next - iova != length)
		return (-EINVAL);
	return (0);
}
