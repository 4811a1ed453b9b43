#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Re-record the golden trace NAME (tests/traces/NAME.jsonl): a fresh
# daemon on the configuration beside it (NAME.conf, after a [daemon]
# section of private sockets made here), the session's program run under
# "ioasidctl record", the new trace validated against
# proto/trace-schema.json and replayed once against the same daemon.
# The README says what each golden is; `remake.sh all` re-records every
# one but qemu-boot (which boots QEMU: tests/qemu/run.sh) and selftest
# (the kernel's selftest, minutes).
#
# usage: tests/traces/remake.sh NAME|all [BUILD_DIR]

set -u

NAME=${1:?usage: $0 NAME|all [BUILD_DIR]}
B=${2:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
DIR=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$DIR/../.." && pwd)
DAEMON=$B/ioasidd
CTL=$B/ioasidctl
PRELOAD=$B/libioasid-preload.so

. "$SRC/tests/integration/lib.sh"

# The goldens `all` re-records.
QUICK="cloud-hypervisor qemu qemu-smmuv3 errors dirty pasid fault vevent"

if [ "$NAME" = all ]; then
	for n in $QUICK; do
		sh "$0" "$n" "$B" || exit 1
	done
	exit 0
fi

# session NAME: the program that makes golden NAME, with its arguments.
session() {
	case $1 in
	cloud-hypervisor | qemu | qemu-smmuv3)
		echo "$B/testvmm --sequence $1 0" ;;
	errors)
		echo "$B/tests/iommu_errors" ;;
	dirty | pasid | fault | vevent)
		echo "$B/tests/iommu_features $1" ;;
	selftest)
		echo "$B/selftest/7.3/bin/iommufd" ;;
	*)
		return 1 ;;
	esac
}

OUT=$DIR/$NAME.jsonl
if [ "$NAME" = qemu-boot ]; then
	# The QEMU test records its first boot into the build tree.
	sh "$SRC/tests/qemu/run.sh" "$B" || exit 1
	cp "$B/qemu-test/nommu.jsonl" "$OUT" || exit 1
	echo "remake: $OUT from $B/qemu-test/nommu.jsonl"
	exit 0
fi
cmd=$(session "$NAME") || {
	echo "remake: no golden $NAME" >&2
	exit 2
}
[ -e "$DIR/$NAME.conf" ] || {
	echo "remake: no $DIR/$NAME.conf" >&2
	exit 2
}
T=$(mktemp -d /tmp/ioasidd-remake.XXXXXX) || exit 1
trap 'stop_daemon KILL 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
{
	printf '[daemon]\nsocket = %s\ncontrol-socket = %s\nnode =\n\n' \
	    "$T/iommu.sock" "$T/control.sock"
	cat "$DIR/$NAME.conf"
} > "$T/ioasidd.conf"
start_daemon "$T/ioasidd.conf" "$T/daemon.log" "$T/iommu.sock" || {
	cat "$T/daemon.log" >&2
	exit 1
}
# shellcheck disable=SC2086 # cmd is a program and its arguments
(cd "$T" && "$CTL" -s "$T/control.sock" record -o "$OUT" \
    --socket "$T/iommu.sock" --preload "$(preload_libs "$PRELOAD")" \
    -- $cmd > "$T/out" 2>&1)
rc=$?
tail -n 1 "$T/out"
[ $rc -eq 0 ] || {
	echo "remake: $cmd exited $rc" >&2
	exit 1
}
py=$(trace_python) && "$py" "$SRC/scripts/trace-validate.py" "$OUT" ||
    exit 1
"$CTL" replay --keep-going --socket "$T/iommu.sock" "$OUT" | tail -n 1
