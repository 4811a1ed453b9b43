#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# QEMU 10 as the oracle of the intel-vtd model's qemu profiles: for each
# profile, QEMU's intel-iommu with the properties the profile stands for
# is made on a q35 machine (kernel-irqchip=split, TCG, stopped before the
# first instruction) and its CAP and ECAP registers (at 0xfed90008 and
# 0xfed90010) are read through the monitor's "xp"; the daemon, with one
# [iommu] instance per profile, must report the same two values in
# "ioasidctl status". QEMU comes from tests/qemu/fetch.sh; without it the
# test fails, it never passes without QEMU.
#
# usage: tests/qemu/vtd_oracle.sh BUILD_DIR

set -u

B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
DAEMON=$B/ioasidd
CTL=$B/ioasidctl
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/../integration/lib.sh"
T=$(mktemp -d /tmp/ioasidd-vtdo.XXXXXX)
SOCK=$T/iommu.sock
CSOCK=$T/control.sock

cleanup() {
	stop_daemon KILL 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for f in "$DAEMON" "$CTL"; do
	[ -x "$f" ] || give_up "$f is not built"
done
Q=$(sh "$HERE/fetch.sh" "$B") || give_up "no QEMU 10 (tests/qemu/fetch.sh)"
QEMU=$Q/usr/bin/qemu-system-x86_64
[ -x "$QEMU" ] || give_up "no $QEMU"

# The profiles and the intel-iommu properties each stands for.
PROFILES="qemu:
qemu-cm:,caching-mode=on
qemu-aw39:,aw-bits=39
qemu-sc:,snoop-control=on
qemu-scalable:,x-scalable-mode=on
qemu-scalable-cm:,x-scalable-mode=on,caching-mode=on
qemu-flts:,x-scalable-mode=on,x-flts=on
qemu-pasid:,x-scalable-mode=on,x-pasid-mode=on"

{
	cat <<EOF
[daemon]
socket = $SOCK
control-socket = $CSOCK
node =
EOF
	echo "$PROFILES" | while IFS=: read -r p props; do
		printf '[iommu %s]\nmodel = intel-vtd\nprofile = %s\n' "$p" "$p"
	done
} >"$T/ioasidd.conf"
start_daemon "$T/ioasidd.conf" "$T/log" "$SOCK" ||
    give_up "the daemon did not start: $(cat "$T/log")"
"$CTL" -s "$CSOCK" status >"$T/status" 2>&1 ||
    give_up "ioasidctl status failed: $(cat "$T/status")"

# reg NAME REGISTER: what status says instance NAME's register is.
reg() {
	awk -v n="$1" -v r="$2" '
	    /^  [^ ]/ { cur = $1 }
	    /^    [^ ]/ && cur == n && $1 == r { print $2 }' "$T/status"
}

echo "$PROFILES" >"$T/profiles"
while IFS=: read -r p props; do
	out=$(printf 'xp /2gx 0xfed90008\nquit\n' | timeout 60 "$QEMU" \
	    -L "$Q/fw" -machine q35,kernel-irqchip=split -accel tcg \
	    -nodefaults -display none -S -monitor stdio \
	    -device "intel-iommu$props" 2>&1 | tr -d '\033' |
	    sed -n 's/.*fed90008: *\(0x[0-9a-f]*\) *\(0x[0-9a-f]*\).*/\1 \2/p')
	qcap=${out% *}
	qecap=${out#* }
	dcap=$(reg "$p" cap)
	decap=$(reg "$p" ecap)
	if [ -n "$out" ] && [ -n "$dcap" ] && [ $((qcap)) -eq $((dcap)) ] &&
	    [ $((qecap)) -eq $((decap)) ]; then
		ok "profile $p is QEMU's intel-iommu$props (cap $qcap, ecap $qecap)"
	else
		fail "profile $p: QEMU intel-iommu$props has cap ${qcap:-?}" \
		    "ecap ${qecap:-?}, the daemon ${dcap:-?} ${decap:-?}"
	fi
done <"$T/profiles"
stop_daemon
check "the daemon exits 0" [ $? -eq 0 ]
summary
