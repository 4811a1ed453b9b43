#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The amd-vi model's qemu profile against a guest of QEMU 10, as one of
# the integration scripts: see tests/qemu/amdvi_efr.sh. Fetches QEMU 10
# and the guest kernel like the QEMU test and fails when it cannot.
#
# usage: tests/integration/amdvi_qemu.sh BUILD_DIR

exec sh "$(dirname "$0")/../qemu/amdvi_efr.sh" "$@"
