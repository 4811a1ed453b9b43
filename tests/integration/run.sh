#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Run every integration script in this directory against one build, each
# in its own process, and add up their "N passed, M failed" lines. Exits 1
# if any script fails.
#
# usage: tests/integration/run.sh BUILD_DIR

set -u

B=${1:-build}
DIR=$(cd "$(dirname "$0")" && pwd)
total_pass=0
total_fail=0
failed_scripts=

for t in "$DIR"/*.sh; do
	name=$(basename "$t" .sh)
	case $name in run | lib) continue ;; esac	# lib.sh is sourced
	echo "== $name"
	out=$(mktemp)
	sh "$t" "$B" 2>&1 | tee "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	p=$(echo "$line" | awk '{ print $1 + 0 }')
	f=$(echo "$line" | awk '{ print $3 + 0 }')
	rm -f "$out"
	if [ -z "$line" ]; then
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$f" -eq 0 ] || failed_scripts="$failed_scripts $name"
done

[ -z "$failed_scripts" ] || echo "failed:$failed_scripts"
echo "integration: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
