#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The QEMU test (tests/qemu/run.sh) once more with its edu device behind
# an [iommu] instance of the amd-vi model (default profile, qemu) instead
# of the plain model: QEMU 10's vfio-pci gets the AMD report, the MSI
# window and HyperTransport hole reserved, v1 domains; both guests must
# pass as they do on plain. Logs in BUILD/qemu-test-amd-vi.
#
# usage: tests/integration/qemu_amdvi.sh BUILD_DIR

QEMU_IOMMU=amd-vi
export QEMU_IOMMU
exec sh "$(dirname "$0")/../qemu/run.sh" "$@"
