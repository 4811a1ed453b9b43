/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A caller's address space, reached through /proc/<pid>/mem.
 *
 * The io page table records user virtual addresses; whenever it needs the
 * memory behind them (pinning, emulated DMA) it goes through a umem. A
 * umem is refcounted and shared: umem_open() returns the one already open
 * for the same process (same pid and start time, so a reused pid gets a
 * fresh one). umem_from_fd() adopts a /proc/self/mem descriptor that a
 * client sent, for daemons without ptrace rights over their clients.
 *
 * Every access returns 0 or -EFAULT. Once the process has exited its mem
 * file reads as EOF, so every access fails with -EFAULT: the kernel's
 * behaviour for pages whose mm is gone.
 */
#ifndef IOASIDD_UMEM_H
#define IOASIDD_UMEM_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct umem;

/* 0, or -errno from opening /proc/<pid>/mem (-ESRCH if gone). */
int	umem_open(pid_t, struct umem **);
/*
 * Adopt fd (an open /proc/<pid>/mem); on success the umem owns it, or
 * fd is closed and the umem of the same process and access mode that is
 * already held is returned.
 */
int	umem_from_fd(int fd, struct umem **);
/* The same for fd known to be /proc/<pid>/mem (pid 0: not known). */
int	umem_adopt(int fd, pid_t pid, struct umem **);
void	umem_hold(struct umem *);
void	umem_put(struct umem *);
/* The process behind it, or 0 when it is not known. */
pid_t	umem_pid(const struct umem *);
/*
 * 1 while um reaches the address space its process has now; 0 once the
 * process has exited or execed (the same pid then needs a new umem).
 */
int	umem_live(struct umem *);

int	umem_read(struct umem *, uint64_t uaddr, void *buf, size_t len);
int	umem_write(struct umem *, uint64_t uaddr, const void *buf,
	    size_t len);

/*
 * Could [uaddr, uaddr + len) be pinned, as pin_user_pages() would? Every
 * page must be mapped readable (and writable if asked) in the process's
 * current mappings, and every page of a file-backed mapping must be
 * readable (a page past the end of its file is not). 0 or -EFAULT.
 */
int	umem_check(struct umem *, uint64_t uaddr, uint64_t len, int writable);

/* Number of umems open, for leak checks in the tests. */
unsigned int	umem_count(void);

#endif /* IOASIDD_UMEM_H */
