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
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/ioasidd-oracle.XXXXXX)
trap 'rm -rf "$T"' EXIT

[ -x "$PROBE" ] && [ -e "$DIR/kernel-6.12.txt" ] ||
    give_up "$PROBE or $DIR/kernel-6.12.txt missing"

if sh "$DIR/host.sh" "$B" "$PROBE" > "$T/ioasidd.txt"; then
	ok "probe ran against ioasidd ($(wc -l < "$T/ioasidd.txt") lines)"
else
	fail "probe run against ioasidd"
fi
sh "$DIR/compare.sh" "$DIR/kernel-6.12.txt" "$T/ioasidd.txt" \
    "$DIR/known.txt" > "$T/cmp"
sed 's/^/    /' "$T/cmp"
line=$(tail -n 1 "$T/cmp")
same=$(echo "$line" | awk '{ print $1 + 0 }')
differ=$(echo "$line" | awk '{ print $11 + 0 }')
if [ "$same" -gt 0 ]; then
	ok "$same answers as the kernel's"
else
	fail "nothing compared"
fi
if [ "$differ" -eq 0 ]; then
	ok "no answer differs from the kernel's"
else
	fail "$differ answers differ from the kernel's"
fi
summary
