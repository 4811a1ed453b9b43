#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# IOMMU instances of the configuration: two [iommu NAME] sections of
# different models, devices behind each (and two behind one), what each
# device is told by GET_HW_INFO and a paging domain, what status shows,
# a reload that changes an [iommu] section (a restart is needed), and the
# mistakes "ioasidd -n" reports at their line.
#
# usage: tests/integration/iommus.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup iommus "${1:-build}" "tests/iommu_hwinfo"

# --- mistakes ----------------------------------------------------------
cat >"$T/bad.conf" <<EOF
[iommu a]
profile = qemu
[iommu b]
model = nosuch
[iommu c]
model = plain
aw-bits = 39
[device d]
rid = 00:01.0
iommu = c
model = mock
[iommu v]
model = intel-vtd
profile = qemu-nosuch
[iommu w]
model = intel-vtd
cap = 0x1
aw-bits = 40
[iommu s1]
model = arm-smmuv3
idr7 = 0
[iommu s2]
model = arm-smmuv3
idr0 = 0x1_b
[iommu s3]
model = arm-smmuv3
profile = mmu700
idr0 = 0x8
[iommu s4]
model = arm-smmuv3
profile = qemu-old
EOF
"$DAEMON" -n -f "$T/bad.conf" >"$T/out" 2>&1; rc=$?
check "-n rejects bad [iommu] sections with exit 1" [ $rc -eq 1 ]
check "an [iommu] without a model, at its header" \
    grep -q "^$T/bad.conf:1: \[iommu a\] needs a model" "$T/out"
check "an unknown model, at its line" \
    grep -q "^$T/bad.conf:4: \[iommu b\]: model \"nosuch\" is not one of" \
    "$T/out"
check "an override the model does not take, at its line" \
    grep -q "^$T/bad.conf:7: \[iommu c\]: unknown key \"aw-bits\"" "$T/out"
check "a device model that clashes with its iommu's, at its line" \
    grep -q "^$T/bad.conf:11: \[device d\]: model mock clashes" "$T/out"
check "an unknown intel-vtd profile, at its line" \
    grep -q "^$T/bad.conf:14: \[iommu v\]: profile \"qemu-nosuch\"" "$T/out"
check "a bad intel-vtd override value, at its line" \
    grep -q "^$T/bad.conf:18: \[iommu w\]: aw-bits must be 39, 48 or 57" \
    "$T/out"
check "arm-smmuv3: a register it does not have, at its line" \
    grep -q "^$T/bad.conf:21: .*idr7" "$T/out"
check "arm-smmuv3: a register value that is no number, at its line" \
    grep -q "^$T/bad.conf:24: .*idr0: not a 32-bit register value" "$T/out"
check "arm-smmuv3: registers Linux would not probe" \
    grep -q "^$T/bad.conf:.*idr0: no translation stage" "$T/out"
check "arm-smmuv3: an unknown profile" \
    grep -q "^$T/bad.conf:.*qemu-old" "$T/out"

# --- two instances -----------------------------------------------------
cat >"$T/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =
log-level = debug

[iommu m0]
model = mock

[iommu p1]
model = plain

[iommu vtd0]
model = intel-vtd
profile = qemu-scalable
nesting = on
pasid-bits = 8

[iommu vtd1]
model = intel-vtd

[device a]
rid = 00:01.0
iommu = m0

[device b]
rid = 00:01.0
iommu = p1

[device c]
rid = 00:02.0
iommu = p1
model = plain

[device v0]
rid = 00:01.0
iommu = vtd0
pasid-width = 20

[device v1]
rid = 00:01.0
iommu = vtd1
pasid-width = 20
EOF
if start_daemon "$T/ioasidd.conf" "$T/log" "$SOCK"; then
	ok "the daemon starts with two [iommu] instances"
else
	fail "the daemon did not start"
	sed 's/^/    /' "$T/log"
	summary
	exit 1
fi
check "the log says each instance's model" \
    sh -c 'grep -q "iommu m0 is model mock" "$1" &&
    grep -q "iommu p1 is model plain" "$1"' - "$T/log"

# hwinfo N TYPE ERRNO: device vfioN reports TYPE and NEST_PARENT gives ERRNO.
hwinfo() {
	env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" timeout 60 \
	    "$B/tests/iommu_hwinfo" "/dev/vfio/devices/vfio$1" "$2" "$3" \
	    >"$T/hw.out" 2>&1
}
# The mock reports IOMMU_HW_INFO_TYPE_SELFTEST; plain has no report.
check "a device behind the mock instance gets its report and nesting" \
    hwinfo 0 0xfeedbeef 0
check "a device behind the plain instance: no report, no nesting (95)" \
    hwinfo 1 0 95
check "a second device behind the same plain instance alike" \
    hwinfo 2 0 95
# IOMMU_HW_INFO_TYPE_INTEL_VTD; nesting from ECAP.NEST in scalable mode.
check "a device behind intel-vtd (scalable, nesting) nests" hwinfo 3 1 0
check "and its 20 PASID bits are the unit's 8" \
    grep -q "max_pasid_log2 8$" "$T/hw.out"
check "a device behind intel-vtd (QEMU's default) does not (95)" \
    hwinfo 4 1 95
check "and has no PASID behind a unit without ECAP.PASID" \
    grep -q "max_pasid_log2 0$" "$T/hw.out"

"$CTL" -s "$CSOCK" --json status >"$T/status.json"; rc=$?
check "status lists each configured instance with its model" \
    sh -c '[ $1 -eq 0 ] &&
    grep -q "\"name\": *\"m0\", *\"model\": *\"mock\"" "$2" &&
    grep -q "\"name\": *\"p1\", *\"model\": *\"plain\"" "$2"' \
    - $rc "$T/status.json"
check "status shows an intel-vtd instance's profile and registers" \
    grep -q "\"profile\": *\"qemu-scalable\", *\"registers\": *{\"cap\": *\"0xd2008c222f0606\", *\"ecap\": *\"0xc93884f00f4a\"}" \
    "$T/status.json"
out=$("$CTL" -s "$CSOCK" status)
check "ioasidctl status shows the instances" \
    sh -c 'echo "$1" | grep -q "^  m0  *model mock" &&
    echo "$1" | grep -q "^  p1  *model plain" &&
    echo "$1" | grep -q "^  vtd1  *model intel-vtd, profile qemu$" &&
    echo "$1" | grep -q "^    ecap  *0xf00f4a$"' - "$out"

# --- reload ------------------------------------------------------------
sed -i 's/^model = plain$/model = mock/' "$T/ioasidd.conf"
sed -i '/^\[device c\]/,/^iommu = p1/d; /^model = plain$/d' "$T/ioasidd.conf"
out=$("$CTL" -s "$CSOCK" reload); rc=$?
check "a reload that changes an [iommu] says it needs a restart" \
    sh -c '[ $1 -eq 0 ] && echo "$2" | grep -q "needs a restart:.*\[iommu\]"' \
    - $rc "$out"
check "and the daemon logs it" \
    wait_grep "the \[iommu\] sections changed; restart ioasidd" "$T/log"
check "the running instance keeps its model" hwinfo 1 0 95

stop_daemon; rc=$?
check "SIGTERM exits 0" [ $rc -eq 0 ]
if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/log"; then
	fail "the sanitizer reported an error"
else
	ok "no sanitizer report"
fi
summary
