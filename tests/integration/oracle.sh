#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Replay the oracle probe (tests/oracle/probe.c) against ioasidd and compare
# its answers with those the real kernel gave to the same program, saved in
# tests/oracle/kernel-6.12.txt: the kernel's judgement without booting it.
# Lines for commands newer than that kernel, and lines that need the
# selftest's mock domain, are counted but not compared (compare.sh says
# which). Ends with "N passed, M failed".
#
# usage: tests/integration/oracle.sh BUILD_DIR

set -u

B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
DIR=$(cd "$(dirname "$0")/../oracle" && pwd)
PROBE=$B/tests/oracle_probe
T=$(mktemp -d /tmp/ioasidd-oracle.XXXXXX)
trap 'rm -rf "$T"' EXIT

if [ ! -x "$PROBE" ] || [ ! -e "$DIR/kernel-6.12.txt" ]; then
	echo "FAIL: $PROBE or $DIR/kernel-6.12.txt missing"
	echo "0 passed, 1 failed"
	exit 1
fi

npass=0
nfail=0
if sh "$DIR/host.sh" "$B" "$PROBE" > "$T/ioasidd.txt"; then
	echo "ok: probe ran against ioasidd ($(wc -l < "$T/ioasidd.txt") lines)"
	npass=$((npass + 1))
else
	echo "FAIL: probe run against ioasidd"
	nfail=$((nfail + 1))
fi
sh "$DIR/compare.sh" "$DIR/kernel-6.12.txt" "$T/ioasidd.txt" \
    "$DIR/known.txt" > "$T/cmp"
sed 's/^/    /' "$T/cmp"
line=$(tail -n 1 "$T/cmp")
same=$(echo "$line" | awk '{ print $1 + 0 }')
differ=$(echo "$line" | awk '{ print $11 + 0 }')
if [ "$same" -gt 0 ]; then
	echo "ok: $same answers as the kernel's"
	npass=$((npass + 1))
else
	echo "FAIL: nothing compared"
	nfail=$((nfail + 1))
fi
if [ "$differ" -eq 0 ]; then
	echo "ok: no answer differs from the kernel's"
	npass=$((npass + 1))
else
	echo "FAIL: $differ answers differ from the kernel's"
	nfail=$((nfail + 1))
fi
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
