#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Integration tests through the socket transport and the preload library:
# the real daemon on a private socket, real unmodified programs that open
# /dev/iommu under LD_PRELOAD, real processes killed with SIGKILL. One line
# per test, then "N passed, M failed"; the exit status is 1 on any failure.
# The temporary directory and the daemon go away whatever happens.
#
# usage: tests/integration/run.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup sock "${1:-build}"

cat > "$T/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =
log-level = debug

[device nic0]
rid = 00:01.0

[device edu0]
rid = 00:03.0
function = edu

[iommu smmu]
model = arm-smmuv3
profile = qemu-nested
iidr = 0x0000143b

[device smmu0]
rid = 00:18.0
iommu = smmu
function = edu
EOF

# run NAME [ARGS...]: a test program under the preload library; it passes
# when it exits 0, and its last line (its own count) is shown. With LABEL
# set, that is what the check is called instead of NAME.
LABEL=
run() {
	name=$1
	shift
	env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" IOASIDD_PID="$PID" \
	    timeout 120 "$B/tests/$name" "$@" > "$T/$name.out" 2>&1
	rc=$?
	last=$(tail -n 1 "$T/$name.out")
	if [ $rc -eq 0 ]; then
		ok "${LABEL:-$name} ($last)"
	else
		fail "${LABEL:-$name} exited $rc ($last)"
		sed 's/^/    /' "$T/$name.out" | grep -v '^    ok' | head -40
	fi
}

# Does the daemon hold a context opened by pid $1? Asked through the
# control socket.
has_context() {
	"$CTL" -s "$CSOCK" --json status 2>/dev/null |
	    grep -q "\"opener\":$1[,}]"
}

# --- start ---------------------------------------------------------------

if start_daemon "$T/ioasidd.conf" "$T/daemon.log" "$SOCK"; then
	ok "daemon listens on $SOCK"
else
	fail "daemon did not create its socket"
	sed 's/^/    /' "$T/daemon.log"
	summary
	exit 1
fi

# --- programs ------------------------------------------------------------

run iommu_basic
run iommu_fork
run iommu_procs
run iommu_signal
# Bad struct pointers and arrays past every limit, for every command: an
# errno each, never the end of the context.
run iommu_bounds
# The emulated VFIO device node: bind by descriptor, errnos, unbinding.
run vfio_cdev
# A device behind an ARM SMMUv3 (vfio2): QEMU's accelerated SMMUv3 calls.
run vfio_smmuv3 /dev/vfio/devices/vfio2
out=$("$CTL" -s "$CSOCK" status)
if echo "$out" | grep -q "^  smmu  *model arm-smmuv3, profile qemu-nested" &&
    echo "$out" | grep -q "^    idr0  *0xd44141b$" &&
    echo "$out" | grep -q "^    iidr  *0x143b$"; then
	ok "status: the arm-smmuv3 instance, its registers and override"
else
	fail "status: no arm-smmuv3 instance with its registers"
	echo "$out" | sed 's/^/    /' | head -30
fi
# A PCI function behind the node (edu): regions, interrupts, reset. It
# closes the device with an eventfd armed: the daemon must drop it.
nfd=$(ls /proc/"$PID"/fd | wc -l)
run vfio_pci
i=0
while [ $i -lt 30 ] && [ "$(ls /proc/"$PID"/fd | wc -l)" -ne "$nfd" ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ $i -lt 30 ]; then
	ok "vfio_pci: the daemon holds no descriptor of it ($nfd open)"
else
	fail "vfio_pci: the daemon has $(ls /proc/"$PID"/fd | wc -l)" \
	    "descriptors, $nfd before"
fi
# Every open of it closed, its holders killed or gone: nobody has it.
i=0
while [ $i -lt 30 ] && ! "$CTL" -s "$CSOCK" --json status |
    grep -q '"name":"nic0","index":0,"opens":0,"context":0,"dev_id":0'
do
	sleep 0.1
	i=$((i + 1))
done
if [ $i -lt 30 ]; then
	ok "status: device nic0 is closed and unbound"
else
	fail "status: device nic0 is still open or bound"
	"$CTL" -s "$CSOCK" --json status | sed 's/^/    /'
fi
# Region access and interrupts on the edu device (vfio1): pread/pwrite
# and their other forms, SET_IRQS with eventfds.
run vfio_region 1
# The same on a descriptor ioasidctl run opened and the program inherited,
# known for a device before any ioctl; edu0 resolved by name.
LABEL="vfio_region under ioasidctl run"
name=vfio_region
env IOASIDD_CONTROL="$CSOCK" timeout 120 "$CTL" run --device edu0 \
    --socket "$SOCK" --preload "$LIBS" -- \
    "$B/tests/vfio_region" fd=%{edu0} > "$T/run.out" 2>&1
rc=$?
last=$(tail -n 1 "$T/run.out")
if [ $rc -eq 0 ]; then
	ok "$LABEL ($last)"
else
	fail "$LABEL exited $rc ($last)"
	sed 's/^/    /' "$T/run.out" | grep -v '^    ok' | head -40
fi
LABEL=
if "$CTL" run --socket "$SOCK" --preload "$LIBS" -- true %{vfio7} \
    > "$T/run.out" 2>&1; then
	fail "ioasidctl run with a device the daemon lacks exited 0"
else
	ok "ioasidctl run refuses a device the daemon lacks"
fi
# Descriptors that commands hand out: accesses and fault queues.
run iommu_fds
alive "after the programs"

# Where seccomp refuses process_vm_readv/writev (a container runtime's
# default profile), the library reads and writes through /proc/self/mem.
for prog in iommu_basic iommu_fork; do
	LABEL="$prog without process_vm_readv/writev"
	run noprocvm "$B/tests/$prog"
done
LABEL=

# A program that does not open the node is untouched by the library.
if env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" sh -c \
    'echo hi > '"$T"'/plain && cat '"$T"'/plain' 2>&1 | grep -qx hi; then
	ok "other files pass through the preload library"
else
	fail "other files pass through the preload library"
fi

# libioasid, used on purpose (built by make against the library in $B,
# which it finds there at run time).
if [ -x "$B/tests/libioasid_test" ]; then
	timeout 60 "$B/tests/libioasid_test" "$SOCK" > "$T/libioasid.out" 2>&1
	rc=$?
	last=$(tail -n 1 "$T/libioasid.out")
	if [ $rc -eq 0 ]; then
		ok "libioasid ($last)"
	else
		fail "libioasid exited $rc ($last)"
		sed 's/^/    /' "$T/libioasid.out" | head -40
	fi
else
	fail "$B/tests/libioasid_test is not built"
fi

# --- a killed client leaves nothing behind -------------------------------

env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" "$B/tests/iommu_hold" 1 \
    > "$T/hold.out" 2>&1 &
KIDS=$!
i=0
while [ $i -lt 50 ] && ! grep -q '^ready' "$T/hold.out"; do
	sleep 0.1
	i=$((i + 1))
done
set -- $(sed -n 's/^ready //p' "$T/hold.out")
if [ $# -eq 2 ]; then
	HOLDER=$1
	HOLDCHILD=$2
	KIDS="$HOLDER $HOLDCHILD"
	if has_context "$HOLDER"; then
		ok "hold: the daemon holds its context"
	else
		fail "hold: no context for pid $HOLDER"
	fi
	kill -9 "$HOLDER"
	wait "$HOLDER" 2>/dev/null
	sleep 0.3
	if has_context "$HOLDER"; then
		ok "hold: context survives while a forked child holds it"
	else
		fail "hold: context gone while a child still holds it"
	fi
	kill -9 "$HOLDCHILD"
	i=0
	while [ $i -lt 50 ] && has_context "$HOLDER"; do
		sleep 0.1
		i=$((i + 1))
	done
	if has_context "$HOLDER"; then
		fail "hold: context left behind after SIGKILL"
	else
		ok "hold: SIGKILL of every holder frees the context"
	fi
	KIDS=
else
	fail "hold: program did not get ready ($(cat "$T/hold.out"))"
fi
if "$CTL" -s "$CSOCK" --json status 2>/dev/null |
    grep -q '"ncontexts":0[,}]'; then
	ok "no context left open"
else
	fail "contexts left open: $("$CTL" -s "$CSOCK" status)"
fi

# --- malformed input -----------------------------------------------------

run wire_fuzz
alive "after malformed input"
run iommu_basic

# --- stop ----------------------------------------------------------------

stop_daemon
rc=$?
if [ $rc -eq 0 ]; then
	ok "daemon exits 0 on SIGTERM"
else
	fail "daemon exited $rc on SIGTERM"
	tail -n 20 "$T/daemon.log" | sed 's/^/    /'
fi
if wait_for ! "$SOCK"; then
	ok "daemon removed its socket"
else
	fail "socket left behind"
fi
if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
    -e 'runtime error:' "$T/daemon.log"; then
	fail "sanitizer reports in the daemon log"
	grep -A 20 -e 'ERROR:' -e 'runtime error:' "$T/daemon.log" |
	    head -40 | sed 's/^/    /'
else
	ok "daemon log has no sanitizer report"
fi

# With no daemon the node is missing, as /dev/iommu would be.
env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" "$B/tests/iommu_basic" \
    > "$T/nodaemon.out" 2>&1
if grep -q 'open /dev/iommu: No such file or directory' "$T/nodaemon.out"
then
	ok "no daemon: open fails with ENOENT"
else
	fail "no daemon: $(head -n 1 "$T/nodaemon.out")"
fi

summary
