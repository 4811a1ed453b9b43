#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The QEMU test: QEMU 10 realizes ioasidd's emulated edu device with
# vfio-pci over its iommufd backend, under the preload library and TCG,
# and boots the guest test's Debian kernel with a busybox initramfs
# (tests/qemu/init.sh) whose program (tests/guest/qemu_edu.c) drives the
# device. A fresh ioasidd serves the socket only (no CUSE), with one
# [device edu0] of the plain IOMMU model. Two boots:
#
#   nommu   -machine pc: the guest sees 1234:11e8, its BAR0 and pin, reads
#           the id and liveness registers through BAR0, and has edu DMA to
#           and from a buffer at its guest-physical address; the
#           completion interrupt shows in edu's status and is counted by
#           uio_pci_generic; QEMU runs under "ioasidctl record", and its
#           trace (BUILD/qemu-test/nommu.jsonl) must be valid against
#           proto/trace-schema.json (tests/traces/qemu-boot.jsonl is one);
#   viommu  -machine q35 with intel-iommu,caching-mode=on: the guest binds
#           the device to its own vfio-pci, maps a buffer at an IOVA with
#           type1 and DMAs to it (QEMU shadows the mapping into ioasidd's
#           IOAS); after UNMAP_DMA the same DMA fails in the device.
#
# Where /dev/kvm is usable, a third QEMU with -accel kvm, paused (-S),
# realizes the device and must show as its VM in the daemon's status
# (the kvm-vfio device, proto/ioasidd_kvm.h); elsewhere that run is
# skipped with a line that says so.
# The viommu boot runs a second time with edu0 behind an [iommu] of the
# intel-vtd model (profile qemu-cm) instead of the plain model. QEMU 10's
# first-stage vIOMMU (x-scalable-mode=on,x-flts=on) goes no further with
# an iommufd-backed device: it refuses it when the device is realized
# ("host device is uncompatible with stage-1 translation"), whatever the
# unit behind it reports (also a scalable unit with NEST), so that mode is
# not booted.
#
# After each QEMU exits, and after one is killed with SIGKILL while it
# holds the device, the daemon must hold no context, no locked memory,
# and the device no open or binding. Each check prints "ok: ..." or
# "FAIL: ..."; the last line is "N passed, M failed"; the status is 1 on
# any failure, including a QEMU 10 that cannot be fetched: nothing is
# skipped. Logs stay in BUILD/qemu-test (the daemon's log, with one line
# per command QEMU issued; QEMU's stderr; the guest consoles), and their
# tails are printed on a failure.
#
# usage: tests/qemu/run.sh BUILD_DIR
# env:   IOASIDD_GUEST_CACHE	the guest test's kernel cache
#	 IOASIDD_QEMU_TIMEOUT	seconds one boot may take (300)
#	 QEMU_IOMMU		put edu0 behind an [iommu] of this model
#				instead of the plain one for the first
#				boots (logs then in BUILD/qemu-test-MODEL)

set -u

B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${IOASIDD_GUEST_CACHE:-$B/guest-cache}
TIMEOUT=${IOASIDD_QEMU_TIMEOUT:-300}
DAEMON=$B/ioasidd
CTL=$B/ioasidctl
PRELOAD=$B/libioasid-preload.so
BUSYBOX=/bin/busybox
W=$B/qemu-test${QEMU_IOMMU:+-$QEMU_IOMMU}

. "$SRC/tests/integration/lib.sh"
. "$SRC/tests/guest/initramfs.sh"
. "$SRC/tests/qemu/lib.sh"
# The daemon notices a QEMU's closes on its own time: 10 s for that.
WAIT_TENTHS=100

start=$(date +%s)
for t in cpio gzip ldd timeout; do
	command -v $t >/dev/null 2>&1 || give_up "no $t (scripts/deps.sh)"
done
if [ ! -x $BUSYBOX ] || ldd $BUSYBOX >/dev/null 2>&1; then
	give_up "no static $BUSYBOX: install busybox-static (scripts/deps.sh)"
fi
for f in "$DAEMON" "$CTL" "$PRELOAD" "$B/guest/qemu_edu"; do
	[ -e "$f" ] || give_up "no $f (make check builds it)"
done
qemu_setup || exit 1

rm -rf "$W"
mkdir -p "$W" || give_up "cannot make $W"
cleanup() {
	[ -n "${QPID:-}" ] && kill -KILL "$QPID" 2>/dev/null
	stop_daemon KILL 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- the initramfs -------------------------------------------------------
R=$W/root
initramfs_root "$R" "$SRC/tests/qemu/init.sh" ||
    give_up "cannot make the initramfs root"
initramfs_bins "$R" "$B/guest/qemu_edu" || give_up "cannot copy qemu_edu"
cp "$KDIR"/modules/*.ko "$R/modules/" 2>/dev/null
initramfs_pack "$R" "$W/initrd.gz" || give_up "cannot make the initramfs"

# --- the daemon ----------------------------------------------------------
qemu_daemon "$W" || {
	sed 's/^/    /' "$W/daemon.log" | tail -n 20
	give_up "the daemon did not start"
}
ok "ioasidd serves $SOCK with edu0 as vfio0 (IOMMU model ${QEMU_IOMMU:-plain})"

# released WHEN: the daemon holds nothing after QEMU went.
released() {
	if wait_released; then
		ok "$1: the daemon holds no context and edu0 is unbound"
	else
		fail "$1: the daemon still holds something"
		"$CTL" -s "$CTLSOCK" objects 2>&1 | sed 's/^/    /' | head -n 20
	fi
}

# boot MODE: one guest; its result lines become checks.
boot() {
	mode=$1
	qemu_boot "$mode" "$W" "$W/initrd.gz" "$TIMEOUT"
	rc=$?
	tr -d '\r' <"$W/$mode.results" >"$W/$mode.txt"
	before=$fails
	gp=0
	gf=0
	while IFS= read -r line; do
		case $line in
		"GUEST ok "*)
			ok "$mode: ${line#GUEST ok }"
			gp=$((gp + 1)) ;;
		"GUEST FAIL "*)
			fail "$mode: ${line#GUEST FAIL }"
			gf=$((gf + 1)) ;;
		"GUEST # "*)
			echo "    ${line#GUEST # }" ;;
		esac
	done <"$W/$mode.txt"
	done_line=$(grep '^GUEST done ' "$W/$mode.txt" | tail -n 1)
	if [ -z "$done_line" ]; then
		if [ $rc -eq 124 ]; then
			fail "$mode: the guest did not finish in ${TIMEOUT}s"
		else
			fail "$mode: QEMU stopped early (exit $rc)"
		fi
	elif [ "$done_line" != "GUEST done $gp $gf" ]; then
		fail "$mode: the guest counted '${done_line#GUEST }', not $gp/$gf"
	elif [ $rc -ne 0 ]; then
		fail "$mode: QEMU exited $rc"
	fi
	if [ $fails -ne "$before" ]; then
		echo "    --- QEMU stderr ($W/$mode.qemu)"
		tail -n 15 "$W/$mode.qemu" | sed 's/^/    /'
		echo "    --- guest console ($W/$mode.console)"
		tr -d '\r' <"$W/$mode.console" | tail -n 25 | sed 's/^/    /'
		echo "    --- daemon log ($W/daemon.log)"
		grep -v ' IOASIDD_REGION_' "$W/daemon.log" | tail -n 15 |
		    sed 's/^/    /'
	fi
	released "after the $mode guest powered off"
}

echo "qemu: $QEMU_VERSION"
# The first boot is recorded with ioasidctl record (not under the
# sanitizer runtime, where QEMU starts without ioasidctl).
if [ "$(preload_libs "$PRELOAD")" = "$PRELOAD" ]; then
	QEMU_RECORD=$W/nommu.jsonl
fi
boot nommu
if [ -n "${QEMU_RECORD:-}" ]; then
	if [ -s "$QEMU_RECORD" ]; then
		ok "nommu: recorded in $QEMU_RECORD ($(wc -l <"$QEMU_RECORD")" \
		    "lines, $(wc -c <"$QEMU_RECORD") bytes;" \
		    "$(grep -c '"type":"ioctl"' "$QEMU_RECORD") calls)"
		trace_valid "$QEMU_RECORD"
	else
		fail "nommu: ioasidctl record wrote nothing"
	fi
	QEMU_RECORD=
fi
echo "qemu: $(qemu_cmdline nommu)"
boot viommu

# --- SIGKILL while QEMU holds the device ---------------------------------
# -S: the device is realized (bound, attached, RAM mapped) and the CPU
# never starts, so nothing but the kill ends it.
qemu_start_paused "$W"
if qemu_wait_bound; then
	ok "a paused QEMU holds the device and its IOAS"
else
	fail "a paused QEMU did not bind the device"
	tail -n 15 "$W/killed.qemu" | sed 's/^/    /'
fi
kill -KILL "$QPID" 2>/dev/null
wait "$QPID" 2>/dev/null
QPID=
released "after QEMU was killed with SIGKILL"

# --- KVM: QEMU adds the device to its VM's kvm-vfio device ---------------
# A paused VM (-accel kvm -S) realizes the device; the preload library
# answers KVM_DEV_VFIO_FILE_ADD and the daemon's status names the VM.
if kvm_usable; then
	QEMU_ACCEL=kvm QEMU_CPU=qemu64 qemu_run kvm "$W" "$W/initrd.gz" -S &
	QPID=$!
	if qemu_wait_bound && qemu_status_has '"vms":[{"pid":'; then
		ok "kvm: a paused KVM QEMU holds the device and is its VM"
	else
		fail "kvm: the daemon does not show QEMU's VM on edu0"
		tail -n 15 "$W/kvm.qemu" | sed 's/^/    /'
		"$CTL" -s "$CTLSOCK" status 2>&1 | sed 's/^/    /'
	fi
	kill -KILL "$QPID" 2>/dev/null
	wait "$QPID" 2>/dev/null
	QPID=
	released "after the KVM QEMU was killed"
else
	echo "qemu: KVM run skipped: /dev/kvm is absent or not usable by" \
	    "$(id -un) here"
fi

check "daemon still running after three QEMUs" kill -0 "$PID"
stop_daemon TERM

# --- the same device behind an intel-vtd instance ------------------------
# ioasidd's IOMMU is now a VT-d unit as QEMU 10's intel-iommu makes it
# (profile qemu-cm): its MSI window is reserved in the IOAS QEMU maps the
# guest's RAM into, and GET_HW_INFO reports VT-d registers. The guest's
# own vIOMMU (caching-mode=on) shadows its mappings into it as before.
qemu_daemon "$W" qemu-cm || {
	sed 's/^/    /' "$W/daemon.log" | tail -n 20
	give_up "the daemon did not start with an intel-vtd instance"
}
out=$("$CTL" -s "$CTLSOCK" status 2>&1)
check "status shows edu0's intel-vtd instance vtd0 (qemu-cm)" \
    sh -c 'echo "$1" | grep -q "^  vtd0  *model intel-vtd, profile qemu-cm"' \
    - "$out"
boot viommu
check "daemon still running after the intel-vtd guest" kill -0 "$PID"
stop_daemon TERM
end=$(date +%s)
echo "qemu: $((end - start))s; logs in $W"
summary
