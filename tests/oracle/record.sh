#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Remake the kernel's recordings of the golden sessions (tests/oracle/
# golden.c) that `make check` replays on ioasidd (tests/integration/
# oracle_replay.sh): boot the oracle kernel (the real iommufd with the
# selftest mock) under QEMU, run each session there with the pass-through
# recorder linked in (build/oracle/golden-rec), and keep each trace as
# tests/traces/oracle/KVER/SESSION.jsonl.
#
# The guest runs static programs only, so the recorder is linked into the
# program (-Wl,--wrap=ioctl,--wrap=close, see the Makefile) rather than
# preloaded. Each trace is printed on the console between markers and
# cut out of it here.
#
# usage: tests/oracle/record.sh [BUILD_DIR]
# env:   KVER (6.12, the default, or 7.3): the kernel to record on
#        ORACLE_DIR (default /var/tmp/ioasidd-oracle/KVER): where the
#        kernel is built once (oracle-build-kernel.sh) and reused
#        ORACLE_TOOLS (default ../shared/tools beside the source tree)

set -eu

B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$DIR/../.." && pwd)
KVER=${KVER:-6.12}
ORACLE_DIR=${ORACLE_DIR:-/var/tmp/ioasidd-oracle/$KVER}
TOOLS=${ORACLE_TOOLS:-$TOP/../shared/tools}
OUT=$TOP/tests/traces/oracle/$KVER
SESSIONS="ioas errors mock"

mkdir -p "$ORACLE_DIR" "$OUT"
if [ ! -e "$ORACLE_DIR/bzImage" ]; then
	echo "== building the $KVER oracle kernel in $ORACLE_DIR"
	KVER=$KVER "$TOOLS/oracle-build-kernel.sh" "$ORACLE_DIR" \
	    > "$ORACLE_DIR/build.log" 2>&1 || {
		tail -20 "$ORACLE_DIR/build.log"
		exit 1
	}
fi
make -C "$TOP" B="$B" "$B/oracle/golden-rec" > /dev/null

# The body of the guest's init: each session with its own trace file,
# printed between markers.
{
	for s in $SESSIONS; do
		echo "IOASIDD_TRACE=/tmp/$s.jsonl /t/golden-rec $s"
		echo "echo TRACE-BEGIN $s"
		echo "cat /tmp/$s.jsonl"
		echo "echo TRACE-END $s"
	done
} > "$B/oracle/record-guest.sh"
echo "== recording on $KVER"
"$TOOLS/oracle-run-guest.sh" "$ORACLE_DIR/bzImage" \
    "$B/oracle/record-guest.sh" "$B/oracle/golden-rec" \
    > "$ORACLE_DIR/record-console.log" 2>&1 || true
for s in $SESSIONS; do
	tr -d '\r' < "$ORACLE_DIR/record-console.log" |
	    sed -n "/^TRACE-BEGIN $s\$/,/^TRACE-END $s\$/p" |
	    grep '^{' > "$OUT/$s.jsonl" || true
	if ! grep -q '"type":"header"' "$OUT/$s.jsonl" ||
	    ! grep -q '"type":"close"' "$OUT/$s.jsonl"; then
		echo "no whole trace of $s; the console:"
		tail -40 "$ORACLE_DIR/record-console.log"
		exit 1
	fi
	echo "$s: $(grep -c '"type":"ioctl"' "$OUT/$s.jsonl") calls"
done
