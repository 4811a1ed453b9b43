#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The boot-time figure of make bench: the QEMU test's guest (QEMU 10, TCG,
# the guest test's kernel, a busybox initramfs whose /init powers off at
# once) booted REPS times with ioasidd's edu device passed through and
# REPS times without any device of ours, in turn, so that load on the
# machine hits both alike. Prints the medians in seconds and their ratio.
# The daemon runs at log level warn, as it would in use.
#
# usage: tests/qemu/boot.sh BUILD_DIR [REPS]

set -u

B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
REPS=${2:-5}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${IOASIDD_GUEST_CACHE:-$B/guest-cache}
DAEMON=$B/ioasidd
CTL=$B/ioasidctl
PRELOAD=$B/libioasid-preload.so
BUSYBOX=/bin/busybox
W=$B/qemu-boot
QEMU_LOG_LEVEL=warn

. "$SRC/tests/integration/lib.sh"
. "$SRC/tests/guest/initramfs.sh"
. "$SRC/tests/qemu/lib.sh"

qemu_setup || exit 1
rm -rf "$W"
mkdir -p "$W"
trap 'stop_daemon KILL 2>/dev/null' EXIT
initramfs_root "$W/root" "$SRC/tests/qemu/init.sh" &&
    initramfs_pack "$W/root" "$W/initrd.gz" || give_up "no initramfs"
qemu_daemon "$W" || give_up "the daemon did not start"

now() {
	date +%s%N
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
	    END { print v[int(NR / 2) + 1] }'
}

# one MODE: seconds one boot took, or nothing when it failed.
one() {
	t0=$(now)
	qemu_boot "$1" "$W" "$W/initrd.gz" 300 || return 1
	t1=$(now)
	grep -q '^GUEST done 0 0' "$W/$1.results" || return 1
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

with= without=
i=0
while [ $i -lt "$REPS" ]; do
	d=$(one boot) || give_up "a boot with the device failed ($W/boot.qemu)"
	n=$(one bare) || give_up "a boot without it failed ($W/bare.qemu)"
	with="$with $d"
	without="$without $n"
	i=$((i + 1))
done
stop_daemon TERM
mw=$(median $with)
mn=$(median $without)
printf '%-16s %10s %10s %8s\n' "" "with s" "without s" "ratio"
awk -v w="$mw" -v n="$mn" -v r="$REPS" 'BEGIN {
	printf "%-16s %10.2f %10.2f %7.2fx\n", "boot to poweroff", w, n, w / n
	printf "median of %d boots each, taken in turn\n", r }'
