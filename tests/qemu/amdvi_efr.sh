#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The amd-vi model's "qemu" profile against QEMU 10 itself: the registers
# an [iommu] instance of the profile reports (ioasidctl status) must be,
# byte for byte, the EFR and EFR2 a guest kernel finds in QEMU 10's
# amd-iommu and prints as "AMD-Vi: Extended features (EFR, EFR2)". The
# guest (TCG, q35, the guest test's kernel, no initramfs; intremap=off,
# since TCG has no split irqchip) stops at the root mount and QEMU exits.
# Logs stay in BUILD/qemu-amdvi.
#
# usage: tests/qemu/amdvi_efr.sh BUILD_DIR

set -u

B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${IOASIDD_GUEST_CACHE:-$B/guest-cache}
DAEMON=$B/ioasidd
CTL=$B/ioasidctl
W=$B/qemu-amdvi

. "$SRC/tests/integration/lib.sh"
. "$SRC/tests/qemu/lib.sh"

qemu_setup || exit 1
rm -rf "$W"
mkdir -p "$W"
SOCK=$W/iommu.sock
CSOCK=$W/control.sock
trap 'stop_daemon KILL 2>/dev/null' EXIT

cat >"$W/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =

[iommu amd0]
model = amd-vi
profile = qemu
EOF
start_daemon "$W/ioasidd.conf" "$W/log" "$SOCK" ||
    give_up "the daemon did not start"
"$CTL" -s "$CSOCK" --json status >"$W/status.json" ||
    give_up "ioasidctl status failed"
stop_daemon
efr=$(grep -o '"efr": *"0x[0-9a-f]*"' "$W/status.json" | sed 's/.*"\(0x.*\)"/\1/')
efr2=$(grep -o '"efr2": *"0x[0-9a-f]*"' "$W/status.json" | sed 's/.*"\(0x.*\)"/\1/')
check "the qemu profile reports both registers" \
    sh -c '[ -n "$1" ] && [ -n "$2" ]' - "$efr" "$efr2"

timeout 300 "$QEMU" -L "$FW" -M q35 -accel tcg -cpu EPYC -m 512 \
    -nographic -no-reboot -device amd-iommu -kernel "$KERNEL" \
    -append "console=ttyS0 panic=-1 intremap=off" \
    >"$W/console" 2>&1 </dev/null
line=$(grep -o "AMD-Vi: Extended features ([^)]*)" "$W/console" | head -1)
echo "guest: $line"
echo "model: efr $efr efr2 $efr2"
# Both print 0x and the hex digits with no leading zeros (0x0 for zero).
want="AMD-Vi: Extended features ($efr, $efr2)"
check "QEMU $QEMU_VERSION's guest sees the profile's EFR and EFR2" \
    [ "$line" = "$want" ]
[ "$line" = "$want" ] || tail -20 "$W/console" | sed 's/^/    /'
summary
