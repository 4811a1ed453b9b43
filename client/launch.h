/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * "ioasidctl run" (launch.c): open emulated VFIO devices and exec a
 * program with them and the preload library.
 */
#ifndef IOASIDD_LAUNCH_H
#define IOASIDD_LAUNCH_H

#define LAUNCH_HELP							\
"Open each emulated VFIO device named by --device (vfioN, or the name of\n" \
"a [device] section, which the control socket resolves) or by a %{vfioN}\n" \
"in the arguments, through the daemon's socket (or its CUSE node when\n" \
"$IOASIDD_VFIO_DIR/vfioN is one), replace each %{KEY} in the arguments\n" \
"with that descriptor's number, and run PROGRAM in this process with the\n" \
"descriptors open and the preload library in LD_PRELOAD (--preload, else\n" \
"$IOASIDD_PRELOAD, else the installed library). --socket and --node set\n" \
"IOASIDD_SOCKET and IOASIDD_NODE for it. Example:\n" \
"  ioasidctl run -- qemu-system-x86_64 ... -object iommufd,id=iommufd0 \\\n" \
"      -device vfio-pci,iommufd=iommufd0,fd=%{vfio0}"

/*
 * argv[0] is "run". Returns only on a usage error's exit; resolve turns
 * a [device] name into its index (0), or fails (-1).
 */
int	launch_main(int argc, char **argv,
	    int (*resolve)(const char *name, unsigned int *index));

#endif /* IOASIDD_LAUNCH_H */
