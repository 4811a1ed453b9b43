/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * KVM's kvm-vfio device and an emulated VFIO device, as QEMU with -accel
 * kvm uses them: KVM_SET_DEVICE_ATTR, group KVM_DEV_VFIO_FILE, ADD and
 * DEL of the device descriptor. Without /dev/kvm, eventfds stand in for
 * kvm-vfio descriptors: their numbers are put in $IOASIDD_KVM_VFIO_FD,
 * so the preload library takes them for kvm-vfio devices. The errnos
 * are those of virt/kvm/vfio.c; what the library does not answer (a
 * descriptor not a device of ours, another group) reaches the stand-in,
 * an eventfd, which answers ENOTTY.
 *
 * The daemon must have a device vfio0. With "hold" as argument, the
 * program leaves vfio0 added to VM 1 on two opens, prints "ready PID", waits
 * for a line on stdin (the caller looks at the daemon's status), then
 * closes everything.
 */
#include <sys/eventfd.h>

#include <fcntl.h>
#include <stdlib.h>

#include <linux/kvm.h>

#include "check.h"

#define DEV0	"/dev/vfio/devices/vfio0"

#ifndef KVM_DEV_VFIO_FILE
#define KVM_DEV_VFIO_FILE	1
#define KVM_DEV_VFIO_FILE_ADD	1
#define KVM_DEV_VFIO_FILE_DEL	2
#endif

/* KVM_SET_DEVICE_ATTR on kfd: 0 or the errno. */
static int
kvm_attr(int kfd, uint32_t group, uint64_t attr, const void *addr)
{
	struct kvm_device_attr	a;

	memset(&a, 0, sizeof(a));
	a.group = group;
	a.attr = attr;
	a.addr = (uintptr_t)addr;
	return (ioctl(kfd, KVM_SET_DEVICE_ATTR, &a) == 0 ? 0 : errno);
}

static int
add(int kfd, int dfd)
{
	int32_t	fd = dfd;

	return (kvm_attr(kfd, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, &fd));
}

static int
del(int kfd, int dfd)
{
	int32_t	fd = dfd;

	return (kvm_attr(kfd, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL, &fd));
}

int
main(int argc, char **argv)
{
	char	env[128], line[16];
	int	kfd[6], dfd, dfd2, c, nul, i;
	int32_t	fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < 6; i++) {
		kfd[i] = eventfd(0, 0);
		CHECK(kfd[i] >= 0, "eventfd");
	}
	/* kfd[5] is a copy of kfd[0]: the same VM. */
	close(kfd[5]);
	kfd[5] = dup(kfd[0]);
	snprintf(env, sizeof(env), "%d,%d,%d,%d,%d,%d", kfd[0], kfd[1],
	    kfd[2], kfd[3], kfd[4], kfd[5]);
	setenv("IOASIDD_KVM_VFIO_FD", env, 1);

	dfd = open(DEV0, O_RDWR);
	CHECK(dfd >= 0, "open %s", DEV0);
	nul = open("/dev/null", O_RDWR);
	CHECK(nul >= 0, "open /dev/null");

	/* ADD, ADD again, DEL, DEL again. */
	CHECK(add(kfd[0], dfd) == 0, "ADD");
	CHECK(add(kfd[0], dfd) == EEXIST, "second ADD is EEXIST");
	CHECK(add(kfd[5], dfd) == EEXIST,
	    "ADD through a copy of the kvm-vfio descriptor is EEXIST");
	CHECK(del(kfd[0], dfd) == 0, "DEL");
	CHECK(del(kfd[0], dfd) == ENOENT, "second DEL is ENOENT");
	CHECK(del(kfd[1], dfd) == ENOENT, "DEL from another VM is ENOENT");
	CHECK(add(kfd[5], dfd) == 0, "ADD through the copy");
	CHECK(del(kfd[0], dfd) == 0, "DEL through the original");

	/* Bad input: the kernel's errnos, nothing added. */
	fd = dfd;
	CHECK(kvm_attr(kfd[0], KVM_DEV_VFIO_FILE, 9, &fd) == ENXIO,
	    "unknown attr is ENXIO");
	CHECK(kvm_attr(kfd[0], KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD,
	    NULL) == EFAULT, "ADD with addr NULL is EFAULT");
	CHECK(add(kfd[0], 999) == EBADF, "ADD of a closed number is EBADF");
	CHECK(add(kfd[0], -1) == EBADF, "ADD of -1 is EBADF");
	CHECK(del(kfd[0], 999) == EBADF, "DEL of a closed number is EBADF");
	CHECK(del(kfd[0], dfd) == ENOENT, "bad input added nothing");
	/* Not ours to answer: the stand-in (an eventfd) has it. */
	CHECK(add(kfd[0], nul) == ENOTTY,
	    "ADD of a file not a device of ours goes to the kernel");
	CHECK(kvm_attr(kfd[0], 2, 1, &fd) == ENOTTY,
	    "another group goes to the kernel");
	CHECK(add(nul, dfd) == ENOTTY,
	    "a descriptor not a kvm-vfio device goes to the kernel");

	/* Copies of the device descriptor are the device. */
	CHECK(add(kfd[0], dfd) == 0, "ADD again");
	c = dup(dfd);
	CHECK(c >= 0 && add(kfd[0], c) == EEXIST, "dup: the same device");
	close(c);
	CHECK(dup2(dfd, 200) == 200 && add(kfd[0], 200) == EEXIST,
	    "dup2: the same device");
	close(200);
	CHECK(add(kfd[0], 200) == EBADF, "closed copy is EBADF");
	CHECK(dup3(dfd, 201, O_CLOEXEC) == 201 && add(kfd[0], 201) == EEXIST,
	    "dup3: the same device");
	/* A number reused by another file is no longer the device. */
	CHECK(dup2(nul, 201) == 201 && add(kfd[0], 201) == ENOTTY,
	    "dup2 over a copy: no longer the device");
	close(201);
	c = fcntl(dfd, F_DUPFD_CLOEXEC, 300);
	CHECK(c >= 300 && add(kfd[0], c) == EEXIST,
	    "F_DUPFD_CLOEXEC: the same device");
	CHECK(del(kfd[0], c) == 0 && add(kfd[0], c) == 0,
	    "DEL and ADD through the copy");
	close(c);
	c = fcntl(dfd, F_DUPFD, 0);
	CHECK(c >= 0 && add(kfd[0], c) == EEXIST, "F_DUPFD: the same device");
	close(c);

	/* At most four VMs per open. */
	for (i = 1; i < 4; i++)
		CHECK(add(kfd[i], dfd) == 0, "ADD to VM %d", i + 1);
	CHECK(add(kfd[4], dfd) == ENOMEM, "a fifth VM is ENOMEM");
	for (i = 1; i < 4; i++)
		CHECK(del(kfd[i], dfd) == 0, "DEL from VM %d", i + 1);
	CHECK(add(kfd[4], dfd) == 0 && del(kfd[4], dfd) == 0,
	    "room again after DEL");

	/* A second open of the device is another file. */
	dfd2 = open(DEV0, O_RDWR);
	CHECK(dfd2 >= 0 && add(kfd[0], dfd2) == 0,
	    "a second open is added on its own");

	if (argc > 1 && strcmp(argv[1], "hold") == 0) {
		printf("ready %d\n", (int)getpid());
		if (fgets(line, sizeof(line), stdin) == NULL)
			line[0] = '\0';
	}
	close(dfd2);
	close(dfd);
	close(nul);
	for (i = 0; i < 6; i++)
		close(kfd[i]);
	return (check_report());
}
