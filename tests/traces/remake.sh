#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Re-record the golden trace NAME (tests/traces/NAME.jsonl): a fresh
# daemon on the configuration beside it (NAME.conf, after a [daemon]
# section of private sockets made here), the session's program run under
# "ioasidctl record" (for qemu-boot: the QEMU test, which records its
# first boot in the build tree, copied here), the new trace validated
# against proto/trace-schema.json and replayed once against the daemon.
# Last, the lines whose command, result or outputs differ from the old
# golden's are listed. The README says what each golden is;
# `remake.sh all` re-records every one but qemu-boot.
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
QUICK="cloud-hypervisor qemu qemu-smmuv3 errors dirty pasid fault vevent mmap
    coherency access"

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
	dirty | pasid | fault | vevent | mmap)
		echo "$B/tests/iommu_features $1" ;;
	access)
		echo "$B/tests/golden mock" ;;
	coherency)
		# Its pauses go on at once: the go-ahead files are there.
		touch "$T/go.1" "$T/go.2"
		echo "$B/tests/iommu_coherency /dev/vfio/devices/vfio0" \
		    "/dev/vfio/devices/vfio1 $T/at $T/go" ;;
	*)
		return 1 ;;
	esac
}

OUT=$DIR/$NAME.jsonl
[ -e "$DIR/$NAME.conf" ] || {
	echo "remake: no golden $NAME ($DIR/$NAME.conf)" >&2
	exit 2
}
T=$(mktemp -d /tmp/ioasidd-remake.XXXXXX) || exit 1
trap 'stop_daemon KILL 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
[ ! -e "$OUT" ] || cp "$OUT" "$T/old.jsonl"
{
	printf '[daemon]\nsocket = %s\ncontrol-socket = %s\nnode =\n\n' \
	    "$T/iommu.sock" "$T/control.sock"
	cat "$DIR/$NAME.conf"
} > "$T/ioasidd.conf"
start_daemon "$T/ioasidd.conf" "$T/daemon.log" "$T/iommu.sock" || {
	cat "$T/daemon.log" >&2
	exit 1
}
if [ "$NAME" = qemu-boot ]; then
	# The QEMU test records its first boot into the build tree.
	sh "$SRC/tests/qemu/run.sh" "$B" > "$T/out" 2>&1 &&
	    cp "$B/qemu-test/nommu.jsonl" "$OUT"
	rc=$?
	tail -n 1 "$T/out"
	[ $rc -eq 0 ] || {
		echo "remake: the QEMU test failed (tests/qemu/run.sh)" >&2
		exit 1
	}
else
	cmd=$(session "$NAME") || {
		echo "remake: no session for $NAME" >&2
		exit 2
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
fi
py=$(trace_python) && "$py" "$SRC/scripts/trace-validate.py" "$OUT" ||
    exit 1
cp "$OUT" "$T/$NAME.jsonl"
"$CTL" replay --keep-going --socket "$T/iommu.sock" "$T/$NAME.jsonl" \
    > "$T/rp" 2>&1
tail -n 1 "$T/rp"
[ -e "$T/old.jsonl" ] || exit 0
# What the new recording answers differently from the old one: every line
# changes in its times, pids and addresses, which replay does not compare.
"$py" - "$T/old.jsonl" "$OUT" <<'PY'
import difflib, json, sys
keys = ("type", "cmd", "result", "out", "out_arrays", "records")
def calls(path):
    return [json.dumps([o.get(k) for k in keys], sort_keys=True)
            for o in map(json.loads, open(path))][1:]
old, new = calls(sys.argv[1]), calls(sys.argv[2])
n = 0
sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
for op, i1, i2, j1, j2 in sm.get_opcodes():
    if op == "equal":
        continue
    n += max(i2 - i1, j2 - j1)
    print("%s: old lines %d-%d, new lines %d-%d" % (op, i1 + 2, i2 + 1,
        j1 + 2, j2 + 1))
print("remake: %d lines answer differently from the old golden" % n)
PY
