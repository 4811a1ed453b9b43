/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * KVM_SET_DEVICE_ATTR on a kvm-vfio device, as QEMU with -accel kvm adds
 * a VFIO device: pairs of KVM_DEV_VFIO_FILE_ADD + DEL of the emulated
 * device vfio0, which the preload library answers and tells the daemon;
 * against the same call naming a descriptor that is not a device
 * (/dev/null), which the library passes to the kernel; and against the
 * bare system call with no library in the way. An eventfd stands in for
 * the kvm-vfio device ($IOASIDD_KVM_VFIO_FD, set here), so the kernel
 * answers the passed-through calls ENOTTY. Run under the preload library
 * with a daemon that has a device vfio0. Prints the three medians in
 * microseconds per ioctl: through the daemon, passed through, bare.
 *
 * usage: kvm_attr [pairs [rounds]]
 */
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "bench.h"

#ifndef KVM_DEV_VFIO_FILE
#define KVM_DEV_VFIO_FILE	1
#define KVM_DEV_VFIO_FILE_ADD	1
#define KVM_DEV_VFIO_FILE_DEL	2
#endif

/* One KVM_SET_DEVICE_ATTR of group FILE: the ioctl's return. */
static int
attr(int kfd, uint64_t what, int fd, int bare)
{
	struct kvm_device_attr	a;
	int32_t			v = fd;

	memset(&a, 0, sizeof(a));
	a.group = KVM_DEV_VFIO_FILE;
	a.attr = what;
	a.addr = (uintptr_t)&v;
	if (bare)
		return ((int)syscall(SYS_ioctl, kfd, KVM_SET_DEVICE_ATTR, &a));
	return (ioctl(kfd, KVM_SET_DEVICE_ATTR, &a));
}

/* The median microseconds per ioctl of n pairs, rounds times. */
static double
run(int kfd, int fd, int bare, int expect_ok, int n, int rounds, double *v)
{
	double	t0;
	int	i, r, a, d;

	for (r = 0; r < rounds; r++) {
		t0 = bench_now_us();
		for (i = 0; i < n; i++) {
			a = attr(kfd, KVM_DEV_VFIO_FILE_ADD, fd, bare);
			d = attr(kfd, KVM_DEV_VFIO_FILE_DEL, fd, bare);
			if (expect_ok ? a != 0 || d != 0 :
			    a != -1 || d != -1 || errno != ENOTTY) {
				fprintf(stderr, "kvm_attr: ADD %d, DEL %d: "
				    "%s\n", a, d, strerror(errno));
				exit(1);
			}
		}
		v[r] = (bench_now_us() - t0) / (2.0 * n);
	}
	return (bench_median(v, rounds));
}

int
main(int argc, char **argv)
{
	char	env[16];
	double	*v, dev, pass, bare;
	int	kfd, dfd, nul, n, rounds;

	n = argc > 1 ? atoi(argv[1]) : 10000;
	rounds = argc > 2 ? atoi(argv[2]) : 7;
	if (n <= 0 || rounds <= 0 || (v = calloc(rounds, sizeof(*v))) == NULL)
		return (1);
	if ((kfd = eventfd(0, EFD_CLOEXEC)) == -1 ||
	    (nul = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		perror("kvm_attr: setup");
		return (1);
	}
	snprintf(env, sizeof(env), "%d", kfd);
	setenv("IOASIDD_KVM_VFIO_FD", env, 1);
	if ((dfd = open("/dev/vfio/devices/vfio0", O_RDWR | O_CLOEXEC)) == -1) {
		perror("kvm_attr: /dev/vfio/devices/vfio0");
		return (1);
	}
	dev = run(kfd, dfd, 0, 1, n, rounds, v);
	pass = run(kfd, nul, 0, 0, n, rounds, v);
	bare = run(kfd, nul, 1, 0, n, rounds, v);
	printf("%.2f %.2f %.2f\n", dev, pass, bare);
	free(v);
	return (0);
}
