#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The intel-vtd model's qemu profiles against QEMU 10's own registers:
# tests/qemu/vtd_oracle.sh, run with the other integration scripts.
#
# usage: tests/integration/vtd_oracle.sh BUILD_DIR

exec sh "$(dirname "$0")/../qemu/vtd_oracle.sh" "$@"
