/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Helpers of the PCI function's tests (pcitest.c). The devices, in
 * node order: "edu0" (function edu), "gen0" (function generic with
 * every kind of BAR, a ROM, INTx pin B, 4 MSI and 8 MSI-X vectors) and
 * "plain0" (no function).
 */
#ifndef IOASIDD_TESTS_PCITEST_H
#define IOASIDD_TESTS_PCITEST_H

#include <stdint.h>

struct conf_device;
struct vfio_cdev_file;

#define PCITEST_EDU	0
#define PCITEST_GEN	1
#define PCITEST_PLAIN	2

/* A region's offset on the node: the index in bits 40 up. */
#define PCITEST_REG(i)	((uint64_t)(i) << 40)

/* The open pcitest_bind() made; the fixture closes it. */
extern struct vfio_cdev_file	*pcitest_file;

/* The three [device] sections (names and values are static). */
void	 pcitest_conf(struct conf_device *);
/* Checked fixture: a fresh context and the three devices. */
void	 pcitest_setup(void);
void	 pcitest_teardown(void);
/* One command on the open, the test's own memory as the caller's. */
long	 pcitest_io(struct vfio_cdev_file *, unsigned int cmd, void *arg);
/* Open device i and bind it to the test's context (pcitest_file). */
struct vfio_cdev_file *pcitest_bind(unsigned int i);
/* Whole accesses that must succeed (the test fails otherwise). */
uint32_t pcitest_cfg_read(struct vfio_cdev_file *, unsigned int at,
	    unsigned int size);
void	 pcitest_cfg_write(struct vfio_cdev_file *, unsigned int at,
	    unsigned int size, uint32_t);
uint64_t pcitest_bar_read(struct vfio_cdev_file *, unsigned int bar,
	    uint64_t at, unsigned int size);
void	 pcitest_bar_write(struct vfio_cdev_file *, unsigned int bar,
	    uint64_t at, unsigned int size, uint64_t);
/* An eventfd's count, 0 when not signalled (it must be non-blocking). */
uint64_t pcitest_efd_take(int fd);
/* SET_IRQS with count descriptors (or -1s), or with DATA_NONE. */
long	 pcitest_set_irqs(struct vfio_cdev_file *, uint32_t flags,
	    unsigned int index, unsigned int start, unsigned int count,
	    const int32_t *fds);
long	 pcitest_set_irqs_none(struct vfio_cdev_file *, uint32_t action,
	    unsigned int index, unsigned int start, unsigned int count);
/* How many descriptors this process has open. */
unsigned int pcitest_open_fds(void);

#endif /* IOASIDD_TESTS_PCITEST_H */
