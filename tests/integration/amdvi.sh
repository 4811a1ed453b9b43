#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The amd-vi model behind real processes: three [iommu] instances of it
# (the qemu, nested and epyc-zen4-like profiles, one with overrides),
# what a device behind each learns from GET_HW_INFO and how far a nesting
# VMM gets (nest parent, attach, vIOMMU, no nested domain in 7.3), the
# registers in status, the same daemon at uapi-level 6.12, and the
# override mistakes "ioasidd -n" reports at their line.
#
# usage: tests/integration/amdvi.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup amdvi "${1:-build}" "tests/amdvi_probe"

# --- mistakes ----------------------------------------------------------
cat >"$T/bad.conf" <<EOF
[iommu a]
model = amd-vi
profile = zen9
[iommu b]
model = amd-vi
efr = 0xnope
[iommu c]
model = amd-vi
cap = 1
EOF
"$DAEMON" -n -f "$T/bad.conf" >"$T/out" 2>&1; rc=$?
check "-n rejects bad amd-vi sections with exit 1" [ $rc -eq 1 ]
check "an unknown profile, named" grep -q "zen9" "$T/out"
check "a bad efr value, at its line" \
    grep -q "^$T/bad.conf:6: .*efr: bad value \"0xnope\"" "$T/out"
check "a key amd-vi does not take, at its line" \
    grep -q "^$T/bad.conf:9: .*unknown key \"cap\"" "$T/out"

# --- three instances ---------------------------------------------------
conf() {
	cat >"$T/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =
log-level = debug
uapi-level = $1

[iommu amd0]
model = amd-vi

[iommu amd1]
model = amd-vi
profile = nested

[iommu amd2]
model = amd-vi
profile = epyc-zen4-like
hdsup = on
pasmax = 9

[device a]
rid = 00:01.0
iommu = amd0
pasid-width = 20

[device b]
rid = 00:02.0
iommu = amd1
pasid-width = 20

[device c]
rid = 00:03.0
iommu = amd2
pasid-width = 20
EOF
}
conf 7.3
if start_daemon "$T/ioasidd.conf" "$T/log" "$SOCK"; then
	ok "the daemon starts with three amd-vi instances"
else
	fail "the daemon did not start"
	sed 's/^/    /' "$T/log"
	summary
	exit 1
fi

# probe N: run amdvi_probe on vfioN into $T/pN.
probe() {
	env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" timeout 60 \
	    "$B/tests/amdvi_probe" "/dev/vfio/devices/vfio$1" \
	    >"$T/p$1" 2>&1
}
probe 0; probe 1; probe 2
check "qemu: type AMD, QEMU's EFR, no dirty, no PASID" \
    grep -q "^hw_info type 4 len 16 efr 0x29d3 efr2 0x0 caps 0x0 pasid 0$" \
    "$T/p0"
check "qemu: no GIOSup, so no nest parent (EOPNOTSUPP)" \
    grep -q "^parent 95$" "$T/p0"
check "nested: its registers, dirty tracking, PASID width 15 of 20" \
    grep -q "^hw_info type 4 len 16 efr 0x247777efa2254afa efr2 0x18 caps 0x1 pasid 15$" \
    "$T/p1"
check "nested: a dirty nest parent, attached, a vIOMMU on it" \
    sh -c 'grep -q "^parent 0$" "$1" && grep -q "^attach 0$" "$1" &&
    grep -q "^viommu 0$" "$1"' - "$T/p1"
check "nested: 7.3 makes no nested domain (EOPNOTSUPP)" \
    grep -q "^nested 95$" "$T/p1"
check "epyc-zen4-like with hdsup and pasmax overrides" \
    grep -q "^hw_info type 4 len 16 efr 0x2475[0-9a-f]*a2254afa efr2 0x10 caps 0x1 pasid 9$" \
    "$T/p2"
check "epyc-zen4-like: no GCR3TRPMode, so no nest parent" \
    grep -q "^parent 95$" "$T/p2"

"$CTL" -s "$CSOCK" --json status >"$T/status.json"; rc=$?
check "status shows each amd-vi instance's profile and registers" \
    sh -c '[ $1 -eq 0 ] && grep -q "epyc-zen4-like" "$2" &&
    grep -q "0x247777efa2254afa" "$2" && grep -q "\"efr2\"" "$2"' \
    - $rc "$T/status.json"
stop_daemon; rc=$?
check "SIGTERM exits 0" [ $rc -eq 0 ]

# --- Linux 6.12 --------------------------------------------------------
conf 6.12
if start_daemon "$T/ioasidd.conf" "$T/log612" "$SOCK"; then
	probe 1
	check "6.12: no AMD report (type NONE), still dirty tracking" \
	    grep -q "^hw_info type 0 len 0 efr 0x0 efr2 0x0 caps 0x1 pasid 15$" \
	    "$T/p1"
	check "6.12: no nest parent" grep -q "^parent 95$" "$T/p1"
	stop_daemon
else
	fail "the daemon did not start at uapi-level 6.12"
fi

if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" \
    "$T/log" "$T/log612"; then
	fail "the sanitizer reported an error"
else
	ok "no sanitizer report"
fi
summary
