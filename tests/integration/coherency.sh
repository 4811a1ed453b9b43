#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Coherency and the KVM view: two mock instances, one with snoop control
# and one without, device A behind the first and device B (capabilities
# no-snoop) behind the second, in one /dev/iommu; then B removed (the
# 2013 KVM-VFIO thread's scenario). tests/prog/iommu_coherency checks the
# HWPTs, IOASIDD_COHERENCY and VFIO_DMA_CC_IOMMU from the program's side;
# here "ioasidctl coherency" and "ioasidctl objects" are checked while B
# is there and after it went, and the configuration's mistakes at their
# lines.
#
# usage: tests/integration/coherency.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup coherency "${1:-build}" "tests/iommu_coherency"
PROG=$B/tests/iommu_coherency

# --- mistakes ----------------------------------------------------------
cat >"$T/bad.conf" <<EOF
[iommu a]
model = mock
snoop-control = maybe
[iommu b]
model = plain
snoop = yes
[device d]
rid = 00:01.0
capabilities = no-snoopy
EOF
"$DAEMON" -n -f "$T/bad.conf" >"$T/out" 2>&1; rc=$?
check "-n rejects the bad values with exit 1" [ $rc -eq 1 ]
check "snoop-control takes yes or no, at its line" \
    grep -q "^$T/bad.conf:3: .*snoop-control: \"maybe\" is not yes or no" \
    "$T/out"
check "the only override of mock and plain is snoop-control" \
    grep -q "^$T/bad.conf:6: .*unknown key \"snoop\"" "$T/out"
check "an unknown capability word names no-snoop among the known" \
    grep -q "^$T/bad.conf:9: .*no-snoop" "$T/out"

# --- the scenario ------------------------------------------------------
cat >"$T/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =
log-level = debug

[iommu sc]
model = mock
snoop-control = yes

[iommu nosc]
model = mock
snoop-control = no

[device a]
rid = 00:01.0
iommu = sc

[device b]
rid = 00:02.0
iommu = nosc
capabilities = no-snoop
EOF
"$DAEMON" -n -f "$T/ioasidd.conf" >"$T/out" 2>&1
check "-n accepts snoop-control and the no-snoop capability" \
    [ $? -eq 0 ]
if start_daemon "$T/ioasidd.conf" "$T/log" "$SOCK"; then
	ok "the daemon starts with the two instances"
else
	fail "the daemon did not start"
	sed 's/^/    /' "$T/log"
	summary
	exit 1
fi

# Not under timeout(1): the row is found by the program's pid, and its
# own waits are bounded.
env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" "$PROG" \
    /dev/vfio/devices/vfio0 /dev/vfio/devices/vfio1 "$T/at" "$T/go" \
    >"$T/prog.out" 2>&1 &
KIDS=$!

# view: the "ioasidctl coherency" row of the program's /dev/iommu (its
# device nodes have contexts of their own, "socket-vfio").
view() {
	"$CTL" -s "$CSOCK" coherency |
	    awk -v p="$KIDS" '$2 == "socket" && $3 == p'
}

check "the program reaches the point where A and B are attached" \
    wait_for "$T/at.1"
row=$(view)
echo "    $row"
check "with B attached: WBINVD yes, 2 attached, 1 non-coherent, 1 no-snoop,
      1 change" \
    sh -c 'set -- $1; [ "$4 $5 $6 $7 $8" = "yes 2 1 1 1" ]' - "$row"
CTX=$(echo "$row" | awk '{ print $1 }')
"$CTL" -s "$CSOCK" --json objects "$CTX" >"$T/objs1.json"
check "objects: one HWPT enforces coherency (A's), one does not (B's)" \
    sh -c 'grep -q "\"enforce_cc\": *true" "$1" &&
    grep -q "\"enforce_cc\": *false" "$1"' - "$T/objs1.json"
"$CTL" -s "$CSOCK" --json status >"$T/status.json"
check "status --json has the context's coherency" \
    grep -q "\"coherency\": *{[^}]*\"wbinvd\": *true" "$T/status.json"
touch "$T/go.1"

check "the program reaches the point where B is gone" wait_for "$T/at.2"
row=$(view)
echo "    $row"
check "B removed: WBINVD no, 1 attached, none non-coherent, 2 changes" \
    sh -c 'set -- $1; [ "$4 $5 $6 $7 $8" = "no 1 0 0 2" ]' - "$row"
"$CTL" -s "$CSOCK" --json objects "$CTX" >"$T/objs2.json"
check "objects: A's HWPT still enforces, B's is gone" \
    sh -c 'grep -q "\"enforce_cc\": *true" "$1" &&
    ! grep -q "\"enforce_cc\": *false" "$1"' - "$T/objs2.json"
touch "$T/go.2"

wait "$KIDS"; rc=$?
KIDS=
check "the program's own checks pass" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/    /' "$T/prog.out"
check "ioasidctl help coherency explains WBINVD" \
    sh -c '"$1" help coherency | grep -q WBINVD' - "$CTL"

stop_daemon; rc=$?
check "SIGTERM exits 0" [ $rc -eq 0 ]
if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/log"; then
	fail "the sanitizer reported an error"
else
	ok "no sanitizer report"
fi
summary
