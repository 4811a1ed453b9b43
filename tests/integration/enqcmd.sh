#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# A VM's ENQCMD PASID table: two VMM processes, each with one VM (an
# eventfd stands in for its kvm-vfio device), and a third with no VM.
# VM A holds two global-policy devices, VM B one; all attach vPASID 5,
# the first device of each also 6. tests/prog/iommu_enqcmd checks
# IOASIDD_ENQCMD from each program's side; here "ioasidctl enqcmd"
# must show each VM's own rows (vPASID 5 held twice in A, once in B,
# with distinct pPASIDs, none shared with the VM-less context), then
# the detach of vPASID 6, then nothing once the programs are gone.
#
# usage: tests/integration/enqcmd.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup enqcmd "${1:-build}" "tests/iommu_enqcmd"
PROG=$B/tests/iommu_enqcmd

cat >"$T/ioasidd.conf" <<EOF2
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =
log-level = debug

[device a1]
rid = 00:01.0
pasid-width = 8
pasid-policy = global

[device a2]
rid = 00:02.0
pasid-width = 8
pasid-policy = global

[device b1]
rid = 00:03.0
pasid-width = 8
pasid-policy = global

[device c1]
rid = 00:04.0
pasid-width = 8
pasid-policy = global
EOF2
if start_daemon "$T/ioasidd.conf" "$T/log" "$SOCK"; then
	ok "the daemon starts with four global devices"
else
	fail "the daemon did not start"
	sed 's/^/    /' "$T/log"
	summary
	exit 1
fi

# run NAME vm|novm DEV...: a program, its pauses named after it.
run() {
	n=$1 v=$2
	shift 2
	exec env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" "$PROG" \
	    "$T/at$n" "$T/go$n" "$v" "$@" >"$T/prog$n.out" 2>&1
}
D=/dev/vfio/devices
(run A vm $D/vfio0 $D/vfio1) & PA=$!
(run B vm $D/vfio2) & PB=$!
(run C novm $D/vfio3) & PC=$!
KIDS="$PA $PB $PC"

for n in A B C; do
	check "program $n holds its vPASIDs" wait_for "$T/at$n.1"
done
# pp NAME VPASID: the pPASID program NAME read for VPASID.
pp() {
	awk -v v="$2" '$1 == "ppasid" && $2 == v { print $3 }' \
	    "$T/prog$1.out"
}
a5=$(pp A 5) a6=$(pp A 6) b5=$(pp B 5) c5=$(pp C 5)
echo "    vPASID 5: A $a5, B $b5, C $c5; vPASID 6: A $a6"
check "every program read its pPASIDs" \
    [ -n "$a5" -a -n "$a6" -a -n "$b5" -a -n "$c5" ]
check "vPASID 5 has a pPASID of its own in each VM and the context" \
    sh -c '[ "$1" != "$2" ] && [ "$1" != "$3" ] && [ "$2" != "$3" ]' - \
    "$a5" "$b5" "$c5"

"$CTL" -s "$CSOCK" enqcmd >"$T/table1"
sed 's/^/    /' "$T/table1"
# row FILE WHO DEVICES VPASID PPASID USERS: a line of that group.
row() {
	awk -v w="$2" -v d="$3" -v v="$4" -v q="$5" -v u="$6" \
	    'index($1, w) == 1 && $2 == d && $3 == v && $4 == q &&
	    $5 == u && $6 == "no"' "$1" | grep -q .
}
check "ioasidctl enqcmd: VM A (pid $PA), two devices, vPASID 5 held twice" \
    row "$T/table1" "$PA/" 2 5 "$a5" 2
check "ioasidctl enqcmd: VM A's vPASID 6" row "$T/table1" "$PA/" 2 6 "$a6" 1
check "ioasidctl enqcmd: VM B (pid $PB), one device, its vPASID 5" \
    row "$T/table1" "$PB/" 1 5 "$b5" 1
check "ioasidctl enqcmd: the context in no VM is its own group" \
    row "$T/table1" "ctx:" 1 5 "$c5" 1
check "ioasidctl enqcmd: VM A's rows only in VM A" \
    [ "$(grep -c "^$PA/" "$T/table1")" -eq 2 ]
check "ioasidctl enqcmd: VM B's two rows only in VM B" \
    [ "$(grep -c "^$PB/" "$T/table1")" -eq 2 ]
"$CTL" -s "$CSOCK" --json enqcmd >"$T/table1.json"
check "enqcmd --json has the groups and conflict flags" \
    sh -c 'grep -q "\"groups\"" "$1" && grep -q "\"conflict\": *false" "$1"' \
    - "$T/table1.json"
for n in A B C; do touch "$T/go$n.1"; done

check "program A detached vPASID 6" wait_for "$T/atA.2"
for n in B C; do wait_for "$T/at$n.2"; done
"$CTL" -s "$CSOCK" enqcmd >"$T/table2"
check "after the detach VM A has vPASID 5 alone" \
    [ "$(grep -c "^$PA/" "$T/table2")" -eq 1 ]
check "and vPASID 5 kept its pPASID $a5" row "$T/table2" "$PA/" 2 5 "$a5" 2
for n in A B C; do touch "$T/go$n.2"; done

for n in A B C; do
	eval p=\$P$n
	wait "$p"; rc=$?
	check "program $n's own checks pass" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || sed 's/^/    /' "$T/prog$n.out"
done
PA= PB= PC=
KIDS=
"$CTL" -s "$CSOCK" enqcmd >"$T/table3"
check "with the programs gone there is no group" \
    grep -q "^no devices$" "$T/table3"
"$CTL" -s "$CSOCK" pasids >"$T/pasids3"
check "and no pPASID is handed out" grep -q "^allocated: 0$" "$T/pasids3"
check "ioasidctl help enqcmd explains the table" \
    sh -c '"$1" help enqcmd | grep -q ENQCMD' - "$CTL"

stop_daemon; rc=$?
check "SIGTERM exits 0" [ $rc -eq 0 ]
if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/log"; then
	fail "the sanitizer reported an error"
else
	ok "no sanitizer report"
fi
summary
