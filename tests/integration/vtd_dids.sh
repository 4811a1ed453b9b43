#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# VT-d domain ids: an intel-vtd unit with "nd = 0" has 2^4 ids, 14 for
# domains. tests/prog/iommu_vtd_dids reads CAP through GET_HW_INFO,
# derives that number, attaches that many domains behind the unit and
# gets ENOSPC for one more, as Linux's domain_attach_iommu(). While it
# holds them a second process, with another device behind the same
# unit, cannot attach its own domain (ENOSPC); once the first has gone,
# it can. A bad nd is refused at its line.
#
# usage: tests/integration/vtd_dids.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup vtd-dids "${1:-build}" "tests/iommu_vtd_dids"
PROG=$B/tests/iommu_vtd_dids

# --- mistakes ----------------------------------------------------------
cat >"$T/bad.conf" <<EOF
[iommu v]
model = intel-vtd
nd = 7
EOF
"$DAEMON" -n -f "$T/bad.conf" >"$T/out" 2>&1; rc=$?
check "-n rejects nd = 7 with exit 1" [ $rc -eq 1 ]
check "nd takes 0 to 6, said at its line" \
    grep -q "^$T/bad.conf:3: .*nd must be a number from 0" "$T/out"

# --- a unit with 14 domain ids, two devices behind it ------------------
cat >"$T/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =

[iommu v]
model = intel-vtd
profile = qemu-pasid
pasid-bits = 8
nd = 0

[device p]
rid = 00:01.0
iommu = v
pasid-width = 8

[device q]
rid = 00:02.0
iommu = v
EOF
"$DAEMON" -n -f "$T/ioasidd.conf" >"$T/out" 2>&1
check "-n accepts nd" [ $? -eq 0 ]
if start_daemon "$T/ioasidd.conf" "$T/log" "$SOCK"; then
	ok "the daemon starts"
else
	fail "the daemon did not start"
	sed 's/^/    /' "$T/log"
	summary
	exit 1
fi
"$CTL" -s "$CSOCK" --json status >"$T/status.json"
check "status: CAP has ND 0" \
    grep -q "\"cap\": *\"0xd2008c222f0600\"" "$T/status.json"

D=/dev/vfio/devices
# prog ARGS...: the program under the preload library.
prog() {
	env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" "$PROG" "$@"
}
prog $D/vfio0 fill "$T/at" "$T/go" >"$T/fill.out" 2>&1 &
FILL=$!
KIDS=$FILL
check "the first program holds every domain id" wait_for "$T/at.1"
n=$(awk '/^domain-ids/ { print $2 }' "$T/fill.out")
echo "    domain ids from CAP.ND: $n"
check "CAP.ND 0 gives 14 domain ids" [ "$n" = 14 ]
prog $D/vfio1 one ENOSPC >"$T/one1.out" 2>&1; rc=$?
check "another process behind the same unit: ENOSPC" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/    /' "$T/one1.out"
touch "$T/go.1"
wait "$FILL"; rc=$?
KIDS=
check "the first program's own checks pass" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/    /' "$T/fill.out"
prog $D/vfio1 one 0 >"$T/one2.out" 2>&1; rc=$?
check "with the first gone, its ids are free again" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/    /' "$T/one2.out"

stop_daemon; rc=$?
check "SIGTERM exits 0" [ $rc -eq 0 ]
if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/log"; then
	fail "the sanitizer reported an error"
else
	ok "no sanitizer report"
fi
summary
