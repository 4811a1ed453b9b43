#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# KVM's kvm-vfio device and the emulated VFIO devices, without /dev/kvm:
# tests/prog/kvm_vfio under the preload library adds a device descriptor
# to stand-in kvm-vfio descriptors ($IOASIDD_KVM_VFIO_FD) with the
# kernel's errnos, through copies of the descriptor; the daemon's status
# shows the VMs that hold the device while they do and none after the
# descriptors are closed. One line per test, then "N passed, M failed".
#
# usage: tests/integration/kvm.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup kvm "${1:-build}" "tests/kvm_vfio"
PROG=$B/tests/kvm_vfio

cat > "$T/ioasidd.conf" <<CONF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =
log-level = debug

[device nic0]
rid = 00:01.0
CONF

if start_daemon "$T/ioasidd.conf" "$T/daemon.log" "$SOCK"; then
	ok "daemon listens on $SOCK"
else
	fail "daemon did not create its socket"
	sed 's/^/    /' "$T/daemon.log"
	summary
	exit 1
fi

status() {
	"$CTL" -s "$CSOCK" --json status
}

# The checks, start to end, on one program.
mkfifo "$T/in"
env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" timeout 60 "$PROG" hold \
    < "$T/in" > "$T/prog.out" 2>&1 &
KIDS=$!
exec 3> "$T/in"
if wait_grep '^ready' "$T/prog.out"; then
	ok "kvm_vfio: add, del, errnos, copies ($(grep -c '^FAIL' \
	    "$T/prog.out") failed so far)"
else
	fail "kvm_vfio did not get ready"
	sed 's/^/    /' "$T/prog.out" | head -40
fi
VMM=$(sed -n 's/^ready //p' "$T/prog.out")
n=$(status | grep -o "\"pid\":$VMM,\"vm\":1,\"kvm_fd\":[0-9]*" | wc -l)
check "status: vfio0 has VM $VMM/1 on its two opens ($n)" [ "$n" -eq 2 ]
check "status: no other VM holds it" \
    [ "$(status | grep -o '"pid":[0-9]*,"vm":' | wc -l)" -eq 2 ]
check "ioasidctl status shows the VM in its device table" \
    sh -c "'$CTL' -s '$CSOCK' status | grep -q \"nic0.*pid $VMM vm 1\""
echo >&3
exec 3>&-
wait "$KIDS"
rc=$?
KIDS=
last=$(tail -n 1 "$T/prog.out")
if [ $rc -eq 0 ]; then
	ok "kvm_vfio ($last)"
else
	fail "kvm_vfio exited $rc ($last)"
	sed 's/^/    /' "$T/prog.out" | grep -v '^ok' | head -40
fi
i=0
while [ $i -lt 30 ] && ! status | grep -q '"vms":\[\],"name":"nic0","index":0,"opens":0'
do
	sleep 0.1
	i=$((i + 1))
done
check "status: closing the device forgot its VMs" [ $i -lt 30 ]

# A program killed while its device is in a VM: the daemon forgets it.
mkfifo "$T/in2"
env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" timeout 60 "$PROG" hold \
    < "$T/in2" > "$T/prog2.out" 2>&1 &
KIDS=$!
exec 3> "$T/in2"
wait_grep '^ready' "$T/prog2.out"
kill -9 "$KIDS" 2>/dev/null
wait "$KIDS" 2>/dev/null
KIDS=
exec 3>&-
i=0
while [ $i -lt 30 ] && ! status | grep -q '"vms":\[\],"name":"nic0","index":0,"opens":0'
do
	sleep 0.1
	i=$((i + 1))
done
check "status: a killed VMM leaves no VM behind" [ $i -lt 30 ]
alive "after the KVM tests"

summary
