#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The real CUSE /dev/iommu under Debian's kernel in QEMU, as one of the
# integration scripts: see tests/guest/run.sh. Ends with "N passed, M
# failed" like the others; needs qemu-system-x86, busybox-static and cpio
# (scripts/deps.sh) and, on the first run, the network to fetch the kernel.
#
# usage: tests/integration/guest.sh BUILD_DIR

exec sh "$(dirname "$0")/../guest/run.sh" "$@"
