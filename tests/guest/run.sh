#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The guest test: the real CUSE /dev/iommu under a real kernel. Boots
# Debian's kernel (tests/guest/kernel.sh fetches it into BUILD/guest-cache)
# under qemu-system-x86_64 with software emulation, with an initramfs made
# here of busybox, ioasidd, ioasidctl, the test clients, every shared
# library they load and cuse.ko; tests/guest/init.sh runs the checks inside
# and writes one line per check to the guest's second serial port, which
# QEMU writes to a file. The lines are printed here as "ok: ..." and
# "FAIL: ...", and the last line is "N passed, M failed". Exits 1 on any
# failure, on a missing tool and on a guest that does not finish in time.
#
# usage: tests/guest/run.sh BUILD_DIR
# env:   IOASIDD_GUEST_CACHE	where the kernel is kept (BUILD/guest-cache)
#	 IOASIDD_GUEST_TIMEOUT	seconds the guest may run (300)
#	 IOASIDD_GUEST_KEEP=1	keep the work directory and say where

set -u

B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${IOASIDD_GUEST_CACHE:-$B/guest-cache}
TIMEOUT=${IOASIDD_GUEST_TIMEOUT:-300}
QEMU=qemu-system-x86_64
BUSYBOX=/bin/busybox

give_up() {
	echo "FAIL: $*"
	echo "0 passed, 1 failed"
	exit 1
}

# --- what the host needs ------------------------------------------------
for t in $QEMU cpio gzip apt-get dpkg-deb ldd; do
	command -v $t >/dev/null 2>&1 ||
	    give_up "no $t: install qemu-system-x86, cpio (scripts/deps.sh)"
done
# The guest has no libraries of its own for busybox: it must be static.
if [ ! -x $BUSYBOX ] || ldd $BUSYBOX >/dev/null 2>&1; then
	give_up "no static $BUSYBOX: install busybox-static (scripts/deps.sh)"
fi

BINS="$B/ioasidd $B/ioasidctl $B/tests/iommu_basic $B/tests/iommu_fork
$B/tests/iommu_bounds $B/tests/vfio_cdev
$B/guest/iommu_pair $B/guest/iommu_storm $B/guest/iommu_node
$B/guest/iommu_compat32 $B/guest/cuse_probe"
for f in $BINS; do
	[ -e "$f" ] || give_up "no $f (make check builds it)"
done

start=$(date +%s)
KDIR=$(sh "$SRC/tests/guest/kernel.sh" "$CACHE") ||
    give_up "cannot fetch the kernel"
[ -e "$KDIR/vmlinuz" ] || give_up "no kernel in $KDIR"
KERNEL=$KDIR/vmlinuz
[ -e "$KDIR/vmlinux" ] && KERNEL=$KDIR/vmlinux

W=$(mktemp -d /tmp/ioasidd-guest.XXXXXX)
cleanup() {
	if [ "${IOASIDD_GUEST_KEEP:-0}" = 1 ]; then
		echo "guest: work directory kept in $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- the initramfs -------------------------------------------------------
R=$W/root
. "$SRC/tests/guest/initramfs.sh"
initramfs_root "$R" "$SRC/tests/guest/init.sh" ||
    give_up "cannot make the initramfs root"
cp "$SRC/tests/integration/lib.sh" "$R/lib.sh"
for m in fuse cuse; do
	[ -e "$KDIR/$m.ko" ] && cp "$KDIR/$m.ko" "$R/modules/"
done
initramfs_bins "$R" $BINS || give_up "cannot copy the programs"
initramfs_pack "$R" "$W/initrd.gz" || give_up "cannot make the initramfs"
boot=$(date +%s)

# --- the guest ------------------------------------------------------------
# ttyS0 is the console (kept for a failure's log), ttyS1 the result lines.
# No KVM: /dev/kvm on these machines does not run ordinary guests.
: >"$W/results"
timeout "$TIMEOUT" $QEMU -accel tcg -cpu max -smp 2 -m 1024 \
    -display none -monitor none -no-reboot \
    -serial "file:$W/console" -serial "file:$W/results" \
    -kernel "$KERNEL" -initrd "$W/initrd.gz" \
    -append "console=ttyS0 quiet panic=-1" </dev/null >"$W/qemu.out" 2>&1
rc=$?
end=$(date +%s)

# --- the results -----------------------------------------------------------
tr -d '\r' <"$W/results" >"$W/results.txt"
passes=0
fails=0
while IFS= read -r line; do
	case $line in
	"GUEST ok "*)
		echo "ok: ${line#GUEST ok }"
		passes=$((passes + 1)) ;;
	"GUEST FAIL "*)
		echo "FAIL: ${line#GUEST FAIL }"
		fails=$((fails + 1)) ;;
	"GUEST # "*)
		echo "    ${line#GUEST # }" ;;
	esac
done <"$W/results.txt"
done_line=$(grep '^GUEST done ' "$W/results.txt" | tail -n 1)
if [ -z "$done_line" ]; then
	if [ $rc -eq 124 ]; then
		echo "FAIL: the guest did not finish in ${TIMEOUT}s"
	else
		echo "FAIL: the guest stopped early (qemu exit $rc)"
	fi
	fails=$((fails + 1))
	echo "--- console (last 40 lines)"
	tr -d '\r' <"$W/console" | tail -n 40
	cat "$W/qemu.out"
elif [ "$done_line" != "GUEST done $passes $fails" ]; then
	echo "FAIL: the guest counted '${done_line#GUEST }', not $passes/$fails"
	fails=$((fails + 1))
fi
echo "guest: kernel $(cat "$KDIR/ok"), $((end - start))s" \
    "($((boot - start))s to prepare, $((end - boot))s in the guest)"
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
