/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Run a program with process_vm_readv and process_vm_writev refused with
 * EPERM, as the default seccomp profiles of container runtimes refuse them
 * to a process without CAP_SYS_PTRACE. The preload library must then do
 * without them.
 *
 * usage: noprocvm PROGRAM [ARGUMENT...]
 */

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#if defined(__x86_64__)
#define NOPROCVM_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NOPROCVM_ARCH	AUDIT_ARCH_AARCH64
#else
#error "noprocvm: no audit architecture for this machine"
#endif

int
main(int argc, char **argv)
{
	struct sock_filter	filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NOPROCVM_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_writev, 1,
		    0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog	prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};
	struct iovec		local, remote;
	char			a = 1, b = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: noprocvm PROGRAM [ARGUMENT...]\n");
		return (2);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1) {
		fprintf(stderr, "noprocvm: seccomp: %s\n", strerror(errno));
		return (2);
	}
	/* The filter must be seen to work, or the test proves nothing. */
	local.iov_base = &b;
	local.iov_len = 1;
	remote.iov_base = &a;
	remote.iov_len = 1;
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != -1 ||
	    errno != EPERM) {
		fprintf(stderr, "noprocvm: process_vm_readv was not refused\n");
		return (2);
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "noprocvm: %s: %s\n", argv[1], strerror(errno));
	return (127);
}
