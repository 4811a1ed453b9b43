#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Global PASIDs: two processes, each with its own /dev/iommu and a device
# of pasid-policy = global, attach the same vPASID and get distinct
# pPASIDs from the daemon's one allocator; a third with a per-rid device
# gets no translation. tests/prog/iommu_pasid checks IOASIDD_PASIDS from
# each program's side; here "ioasidctl pasids" is checked while they hold
# the PASIDs and after they detached, and a bad policy at its line.
#
# usage: tests/integration/pasid.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup pasid "${1:-build}" "tests/iommu_pasid"
PROG=$B/tests/iommu_pasid

# --- mistakes ----------------------------------------------------------
cat >"$T/bad.conf" <<EOF
[device d]
rid = 00:01.0
pasid-width = 8
pasid-policy = per-vm
EOF
"$DAEMON" -n -f "$T/bad.conf" >"$T/out" 2>&1; rc=$?
check "-n rejects a bad pasid-policy with exit 1" [ $rc -eq 1 ]
check "pasid-policy takes per-rid or global, at its line" \
    grep -q "^$T/bad.conf:4: .*per-rid or global" "$T/out"

# --- two global devices and a per-rid one ------------------------------
cat >"$T/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =
log-level = debug

[device g1]
rid = 00:01.0
pasid-width = 8
pasid-policy = global

[device g2]
rid = 00:02.0
pasid-width = 8
pasid-policy = global

[device r1]
rid = 00:03.0
pasid-width = 8
EOF
"$DAEMON" -n -f "$T/ioasidd.conf" >"$T/out" 2>&1
check "-n accepts pasid-policy" [ $? -eq 0 ]
if start_daemon "$T/ioasidd.conf" "$T/log" "$SOCK"; then
	ok "the daemon starts with the global devices"
else
	fail "the daemon did not start"
	sed 's/^/    /' "$T/log"
	summary
	exit 1
fi

# Not under timeout(1): rows are found by the programs' pids, and their
# own waits are bounded.
run() {
	exec env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" "$PROG" \
	    "/dev/vfio/devices/vfio$1" 5 "$2" "$T/at$1" "$T/go$1" \
	    >"$T/prog$1.out" 2>&1
}
(run 0 global) & P1=$!
(run 1 global) & P2=$!
(run 2 per-rid) & P3=$!
KIDS="$P1 $P2 $P3"

for i in 0 1 2; do
	check "program $i holds vPASID 5" wait_for "$T/at$i.1"
done
pp1=$(awk '/^ppasid/ { print $2 }' "$T/prog0.out")
pp2=$(awk '/^ppasid/ { print $2 }' "$T/prog1.out")
echo "    pPASIDs for vPASID 5: $pp1 and $pp2"
check "both global programs got a pPASID" [ -n "$pp1" -a -n "$pp2" ]
check "the same vPASID, distinct pPASIDs" [ "$pp1" != "$pp2" ]
"$CTL" -s "$CSOCK" pasids >"$T/table1"
sed 's/^/    /' "$T/table1"
check "ioasidctl pasids: two pPASIDs handed out" \
    grep -q "^allocated: 2$" "$T/table1"
# row PID VPASID PPASID USERS: the table has that socket context's row.
row() {
	awk -v p="$2" -v v="$3" -v q="$4" -v u="$5" \
	    '$2 == "socket" && $3 == p && $4 == v && $5 == q && $6 == u' \
	    "$1" | grep -q .
}
check "ioasidctl pasids: program 0's row, vPASID 5 -> $pp1" \
    row "$T/table1" "$P1" 5 "$pp1" 1
check "ioasidctl pasids: program 1's row, vPASID 5 -> $pp2" \
    row "$T/table1" "$P2" 5 "$pp2" 1
check "ioasidctl pasids: the per-rid program has no row" \
    row "$T/table1" "$P3" - - -
"$CTL" -s "$CSOCK" --json pasids >"$T/table1.json"
check "pasids --json has the rows" \
    grep -q "\"vpasid\": *5" "$T/table1.json"
for i in 0 1 2; do touch "$T/go$i.1"; done

for i in 0 1 2; do
	check "program $i detached" wait_for "$T/at$i.2"
done
"$CTL" -s "$CSOCK" pasids >"$T/table2"
check "after the detaches no pPASID is handed out" \
    grep -q "^allocated: 0$" "$T/table2"
for i in 0 1 2; do touch "$T/go$i.2"; done

n=0
for p in $P1 $P2 $P3; do
	wait "$p"; rc=$?
	check "program $n's own checks pass" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || sed 's/^/    /' "$T/prog$n.out"
	n=$((n + 1))
done
P1= P2= P3=
KIDS=
check "ioasidctl help pasids explains the table" \
    sh -c '"$1" help pasids | grep -q ENQCMD' - "$CTL"

stop_daemon; rc=$?
check "SIGTERM exits 0" [ $rc -eq 0 ]
if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/log"; then
	fail "the sanitizer reported an error"
else
	ok "no sanitizer report"
fi
summary
