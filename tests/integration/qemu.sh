#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# QEMU 10 as a real VFIO client of an emulated device, as one of the
# integration scripts: see tests/qemu/run.sh. Ends with "N passed, M
# failed" like the others; fetches QEMU 10 from bookworm-backports into the
# build tree on its first run (tests/qemu/fetch.sh) and fails when it
# cannot.
#
# usage: tests/integration/qemu.sh BUILD_DIR

exec sh "$(dirname "$0")/../qemu/run.sh" "$@"
