/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Caller address spaces through /proc/<pid>/mem (see umem.h).
 *
 * Each umem keeps two descriptors: the mem file for data, and the maps
 * file for umem_check(), opened when first needed (most mappings are
 * never pinned) and kept only if the mem file still reads the process
 * after it, so that both are of the same living process. Both stay tied
 * to that process: once it exits they read as empty, so a pid reused
 * later can never be mistaken for it.
 *
 * How umem_check() decides, and why: reads through the mem file use
 * FOLL_FORCE and so succeed on PROT_NONE pages and write through read-only
 * ones, which a pin would refuse; probing data alone would be unsound, and
 * writing a byte back could clobber a concurrent store or force a COW copy
 * of a read-only private page. So the permissions come from the maps file
 * (every page covered, 'r', and 'w' when writable), and pages of
 * file-backed mappings are also probed with a one-byte read, because a
 * page past the end of its file is listed but cannot be pinned (the last
 * page of the range in each such mapping answers for all of its pages:
 * see umem_probe_file()). Anonymous memory that is listed can always be
 * faulted in, so it is not touched.
 * Without a maps file (an adopted descriptor whose process the daemon may
 * not inspect) every page is probed and writability cannot be verified.
 * A mem file opened read-only never passes a check for writing.
 *
 * Sharing. umems are shared by process and by kind:
 * the mem file the daemon opened itself, or one a client sent read-only,
 * or read-write. A client sends its mem file with each request that maps
 * its memory, so an adopted one that is already held (by the pages of an
 * earlier mapping) takes the new descriptor's place, and the daemon holds
 * one per process and kind for as long as any mapping made from it lives.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/sys/queue.h>

#include "core/inject.h"
#include "core/umem.h"
#include "core/util.h"

#define UMEM_PAGE_SIZE	4096ULL

enum umem_kind {
	UMEM_OPENED,		/* umem_open() */
	UMEM_SENT_RO,		/* umem_from_fd(), read-only */
	UMEM_SENT_RW,		/* umem_from_fd(), read-write */
};

struct umem {
	LIST_ENTRY(umem)	 entry;		/* umems, when shared */
	unsigned int		 refs;
	int			 shared;
	enum umem_kind		 kind;
	int			 rw;		/* mem_fd may be written */
	pid_t			 pid;
	unsigned long long	 start_time;
	int			 mem_fd;
	int			 maps_fd;	/* -1: not available */
	int			 maps_tried;	/* maps_fd was opened, or
						   could not be */
};

static LIST_HEAD(, umem) umems = LIST_HEAD_INITIALIZER(umems);
static unsigned int numems;

/* Field 22 of /proc/<pid>/stat: when the process started, in ticks. */
static int
umem_start_time(pid_t pid, unsigned long long *t)
{
	char	 path[64], buf[1024], *p;
	ssize_t	 n;
	int	 fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (errno == ENOENT ? -ESRCH : -errno);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (-ESRCH);
	buf[n] = '\0';
	/* The command name may hold anything; fields resume after ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return (-ESRCH);
	for (i = 0; i < 20; i++) {
		if ((p = strchr(p + 1, ' ')) == NULL)
			return (-ESRCH);
	}
	*t = strtoull(p + 1, NULL, 10);
	return (0);
}

static struct umem *
umem_alloc(pid_t pid, int mem_fd)
{
	struct umem	*um;

	if ((um = inject_calloc(1, sizeof(*um))) == NULL)
		return (NULL);
	um->refs = 1;
	um->pid = pid;
	um->mem_fd = mem_fd;
	um->rw = (fcntl(mem_fd, F_GETFL) & O_ACCMODE) == O_RDWR;
	um->maps_fd = -1;
	numems++;
	return (um);
}

/*
 * Does um still see its process's address space? An exec keeps the pid
 * and the start time but replaces the address space, and a mem file
 * opened before it then reads as EOF, as it does once the process has
 * exited. A one-byte read at address 0 tells the two apart without
 * touching any memory: nothing is mapped there (EIO) in a live address
 * space, and should something be, the byte simply comes back. The mem
 * file itself is asked, not the maps file, since the two are opened one
 * after the other and an exec between them would leave only the mem
 * file stale. One vma lookup in the kernel: cheap enough for every
 * request.
 */
int
umem_live(struct umem *um)
{
	char	 c;
	ssize_t	 n;

	while ((n = pread(um->mem_fd, &c, 1, 0)) == -1 && errno == EINTR)
		;
	return (n != 0);
}

/* The maps file, opened on first use; -1 when it is not available. */
static int
umem_maps(struct umem *um)
{
	char	 path[64];

	if (um->maps_tried || um->pid <= 0)
		return (um->maps_fd);
	um->maps_tried = 1;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)um->pid);
	if ((um->maps_fd = open(path, O_RDONLY | O_CLOEXEC)) != -1 &&
	    !umem_live(um)) {
		/* Gone, or execed: the pid may be another's by now. */
		close(um->maps_fd);
		um->maps_fd = -1;
	}
	return (um->maps_fd);
}

int
umem_open(pid_t pid, struct umem **ump)
{
	struct umem		*um;
	unsigned long long	 t, t2;
	char			 path[64];
	int			 fd, rc;

	if (pid <= 0)
		return (-ESRCH);
	if ((rc = umem_start_time(pid, &t)) != 0)
		return (rc);
	LIST_FOREACH(um, &umems, entry) {
		if (um->kind == UMEM_OPENED && um->pid == pid &&
		    um->start_time == t)
			break;
	}
	if (um != NULL) {
		if (umem_live(um)) {
			um->refs++;
			*ump = um;
			return (0);
		}
		/* Its holders keep it; a new one serves from now on. */
		LIST_REMOVE(um, entry);
		um->shared = 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (errno == ENOENT ? -ESRCH : -errno);
	/* The pid must not have changed hands while we opened it. */
	if (umem_start_time(pid, &t2) != 0 || t2 != t) {
		close(fd);
		return (-ESRCH);
	}
	if ((um = umem_alloc(pid, fd)) == NULL) {
		close(fd);
		return (-ENOMEM);
	}
	um->start_time = t;
	um->shared = 1;
	LIST_INSERT_HEAD(&umems, um, entry);
	*ump = um;
	return (0);
}

int
umem_from_fd(int fd, struct umem **ump)
{
	char	 path[64], link[128];
	ssize_t	 n;
	int	 pid = 0;

	if (fd < 0)
		return (-EBADF);
	/* A client's /proc/self/mem shows as /proc/<pid>/mem here. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((n = readlink(path, link, sizeof(link) - 1)) > 0) {
		link[n] = '\0';
		if (sscanf(link, "/proc/%d/mem", &pid) != 1)
			pid = 0;
	}
	return (umem_adopt(fd, pid, ump));
}

int
umem_adopt(int fd, pid_t pid, struct umem **ump)
{
	struct umem		*um, *next;
	enum umem_kind		 kind;
	int			 fl;

	/* Only a descriptor that can be read serves. */
	if (fd < 0 || (fl = fcntl(fd, F_GETFL)) == -1 || (fl & O_PATH) ||
	    (fl & O_ACCMODE) == O_WRONLY)
		return (-EBADF);
	kind = (fl & O_ACCMODE) == O_RDWR ? UMEM_SENT_RW : UMEM_SENT_RO;
	/*
	 * The one already held for this process, if it still reads the
	 * address space this descriptor does. A live mem file of the same pid
	 * is of the same process and image: one of a process that is gone
	 * (whose pid may be someone else's now), or from before an exec,
	 * reads nothing.
	 */
	if (pid > 0) {
		LIST_FOREACH_SAFE(um, &umems, entry, next) {
			if (um->kind != kind || um->pid != pid)
				continue;
			if (umem_live(um))
				break;
			/* Its holders keep it; it is no longer shared. */
			LIST_REMOVE(um, entry);
			um->shared = 0;
		}
		if (um != NULL) {
			close(fd);
			um->refs++;
			*ump = um;
			return (0);
		}
	}
	if ((um = umem_alloc(pid, fd)) == NULL)
		return (-ENOMEM);
	um->kind = kind;
	if (pid > 0) {
		um->shared = 1;
		LIST_INSERT_HEAD(&umems, um, entry);
	}
	*ump = um;
	return (0);
}

void
umem_hold(struct umem *um)
{
	um->refs++;
}

void
umem_put(struct umem *um)
{
	if (um == NULL || --um->refs != 0)
		return;
	if (um->shared)
		LIST_REMOVE(um, entry);
	close(um->mem_fd);
	if (um->maps_fd != -1)
		close(um->maps_fd);
	numems--;
	free(um);
}

pid_t
umem_pid(const struct umem *um)
{
	return (um->pid);
}

unsigned int
umem_count(void)
{
	return (numems);
}

/* Addresses past INT64_MAX are not file offsets: no user memory there. */
static int
umem_range_ok(uint64_t uaddr, size_t len)
{
	return (uaddr <= INT64_MAX && len <= INT64_MAX - uaddr);
}

/*
 * All of [uaddr, uaddr + len) from (out 0) or to (out 1) the caller's
 * memory; a short transfer, an unmapped page, is -EFAULT. p is only read
 * when out is set.
 */
static int
umem_xfer(struct umem *um, uint64_t uaddr, char *p, size_t len, int out)
{
	ssize_t	 n;

	if (!umem_range_ok(uaddr, len))
		return (-EFAULT);
	while (len > 0) {
		if (out)
			n = pwrite(um->mem_fd, p, len, (off_t)uaddr);
		else
			n = pread(um->mem_fd, p, len, (off_t)uaddr);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-EFAULT);
		p += n;
		uaddr += n;
		len -= n;
	}
	return (0);
}

int
umem_read(struct umem *um, uint64_t uaddr, void *buf, size_t len)
{
	return (umem_xfer(um, uaddr, buf, len, 0));
}

int
umem_write(struct umem *um, uint64_t uaddr, const void *buf, size_t len)
{
	/* umem_xfer() does not write through p when out is set. */
	return (umem_xfer(um, uaddr, (char *)(uintptr_t)buf, len, 1));
}

/* One byte of every page of [start, end), both page aligned. */
static int
umem_probe(struct umem *um, uint64_t start, uint64_t end)
{
	uint8_t	 b;

	for (; start < end; start += UMEM_PAGE_SIZE) {
		if (umem_read(um, start, &b, 1) != 0)
			return (-EFAULT);
	}
	return (0);
}

/*
 * Whether the pages of one file-backed mapping up to end are inside its
 * file. A mapping's pages follow the file's offsets upwards, and the
 * only pages that cannot be read are those past the end of the file, a
 * tail of the mapping; so when the last page reads, all before it do,
 * and one read answers for a range of any length. (Probing page by page
 * let a terabyte mapping of a sparse file hold the daemon for hours.)
 */
static int
umem_probe_file(struct umem *um, uint64_t end)
{
	return (umem_probe(um, end - UMEM_PAGE_SIZE, end));
}

/*
 * Walk the maps file over [*cur, end): each line that covers *cur moves
 * it on. A hole, a missing permission or a failed probe stops with
 * -EFAULT; returns 1 when the whole range is covered.
 */
static int
umem_check_line(struct umem *um, const char *line, uint64_t *cur,
    uint64_t end, int writable)
{
	uint64_t	 vs, ve, inode, to;
	char		 perms[8];

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*s %*s %" SCNu64,
	    &vs, &ve, perms, &inode) != 4)
		return (-EFAULT);
	if (ve <= *cur)
		return (0);
	if (vs > *cur || perms[0] != 'r' || (writable && perms[1] != 'w'))
		return (-EFAULT);
	to = MIN(ve, end);
	if (inode != 0 && umem_probe_file(um, to) != 0)
		return (-EFAULT);
	*cur = to;
	return (*cur >= end);
}

int
umem_check(struct umem *um, uint64_t uaddr, uint64_t len, int writable)
{
	char		 buf[8192], *line, *nl;
	uint64_t	 cur, end;
	size_t		 have = 0;
	off_t		 off = 0;
	ssize_t		 n;
	int		 rc;

	if (len == 0)
		return (0);
	if (writable && !um->rw)
		return (-EFAULT);
	if (u64_range_overflows(uaddr, len) ||
	    uaddr + (len - 1) > UINT64_MAX - UMEM_PAGE_SIZE)
		return (-EFAULT);
	cur = ALIGN_DOWN(uaddr, UMEM_PAGE_SIZE);
	end = ALIGN_UP(uaddr + (len - 1) + 1, UMEM_PAGE_SIZE);
	if (umem_maps(um) == -1)
		return (umem_probe(um, cur, end));

	/* Lines are in address order; read them in pieces. */
	for (;;) {
		n = pread(um->maps_fd, buf + have, sizeof(buf) - 1 - have, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-EFAULT);
		off += n;
		have += n;
		buf[have] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			rc = umem_check_line(um, line, &cur, end, writable);
			if (rc != 0)
				return (rc < 0 ? rc : 0);
			line = nl + 1;
		}
		have = buf + have - line;
		if (have == sizeof(buf) - 1)
			return (-EFAULT);	/* a line longer than a page */
		memmove(buf, line, have);
	}
}
