#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Differential replay (issue 10, §2): the golden sessions recorded once on
# the real kernel (tests/traces/oracle/KVER/*.jsonl, remade by
# tests/oracle/record.sh) are replayed on ioasidd at the same uAPI level
# with `ioasidctl replay --keep-going`, and every call whose answer
# differs is reported. A difference listed in KVER/expected (with its
# reason) is known; any other fails, and so does an expected one that no
# longer happens (ioasidd now answers as the kernel: remove the line).
# Each trace is also checked against proto/trace-schema.json. First, the
# preload library's pass-through mode itself: the golden program run with
# IOASIDD_PASSTHROUGH=1 against a character device that is not iommufd
# (/dev/null) gets the kernel's own answers (ENOTTY), none of the
# daemon's, and leaves the trace of every call. Ends with
# "N passed, M failed".
#
# usage: tests/integration/oracle_replay.sh BUILD_DIR

set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
TRACES=$SRC/tests/traces/oracle
. "$(dirname "$0")/lib.sh"
test_setup oreplay "${1:-build}" tests/golden
VPY=$(trace_python)

# valid FILE: FILE valid against the schema (the validator's lines kept).
valid() {
	"$VPY" "$SRC/scripts/trace-validate.py" "$1" > "$T/valid" 2>&1 ||
	    { sed 's/^/    /' "$T/valid" | head -n 5; return 1; }
}

# diffs SESSION REPORT: the divergences of a replay report, one per line,
# as "SESSION SEQ CMD WHAT".
diffs() {
	sed -n 's/^[^ ]*:[0-9]*: seq \([0-9]*\), \([A-Z0-9_x]*\) on context [0-9]*: \([^ ]*\) differs.*/\1 \2 \3/p' \
	    "$2" | sed "s/^/$1 /"
}

# 1. Pass-through with the preload library: the kernel answers.
PT=$T/pt.jsonl
env LD_PRELOAD="$(preload_libs "$B/libioasid-preload.so")" \
    IOASIDD_PASSTHROUGH=1 IOASIDD_NODE=/dev/null IOASIDD_TRACE="$PT" \
    IOASIDD_SOCKET="$T/none.sock" timeout 60 "$B/tests/golden" ioas \
    /dev/null > "$T/pt.out" 2>&1
check "golden ran under the pass-through mode" \
    grep -q '^golden ioas: 19 calls' "$T/pt.out"
check "a header naming the kernel, an open and a close" sh -c \
    "head -n 1 '$PT' | grep -q '\"type\":\"header\".*\"kernel\"' &&
    grep -q '\"type\":\"open\"' '$PT' && tail -n 1 '$PT' |
    grep -q '\"type\":\"close\"'"
check "every call traced" [ "$(grep -c '"type":"ioctl"' "$PT")" -eq 19 ]
check "every answer the kernel's (ENOTTY from /dev/null)" \
    [ "$(grep -c '"result":"ENOTTY"' "$PT")" -eq 19 ]
check "fields by name from the table" \
    grep -q '"cmd":"IOMMU_IOAS_MAP".*"in":{[^}]*"user_va":"0x' "$PT"
if [ -n "$VPY" ]; then
	check "the pass-through trace valid against the schema" valid "$PT"
fi

# 2. The kernel's recordings replayed on ioasidd.
for dir in "$TRACES"/*/; do
	kver=$(basename "$dir")
	exp=$dir/expected
	[ -e "$exp" ] || { fail "$kver: no expectations file"; continue; }
	printf '[daemon]\nsocket = %s\ncontrol-socket = %s/control.sock\n' \
	    "$SOCK" "$T" > "$T/conf"
	printf 'node =\nuapi-level = %s\n' "$kver" >> "$T/conf"
	start_daemon "$T/conf" "$T/log" "$SOCK" ||
	    give_up "the daemon did not start at uAPI level $kver"
	: > "$T/seen"
	for tr in "$dir"*.jsonl; do
		s=$(basename "$tr" .jsonl)
		if [ -n "$VPY" ]; then
			check "$kver/$s valid against the schema" \
			    valid "$tr"
		fi
		check "$kver/$s was recorded on a kernel" \
		    grep -q '"type":"header".*"kernel":"'"$kver" "$tr"
		out=$T/$kver-$s.out
		"$CTL" replay --keep-going --socket "$SOCK" "$tr" > "$out" 2>&1
		rc=$?
		check "$kver/$s replayed to the end (status $rc)" \
		    grep -q '^replay: [0-9]* calls' "$out"
		sed -n 's/^replay: /    '"$kver\/$s"': /p' "$out"
		diffs "$s" "$out" >> "$T/seen"
	done
	stop_daemon
	# Known, new and gone differences.
	grep -v '^#' "$exp" | awk 'NF >= 4 { print $1, $2, $3, $4 }' |
	    sort > "$T/known"
	sort "$T/seen" > "$T/seen.s"
	comm -12 "$T/known" "$T/seen.s" > "$T/both"
	comm -13 "$T/known" "$T/seen.s" > "$T/new"
	comm -23 "$T/known" "$T/seen.s" > "$T/gone"
	while read -r s seq cmd what; do
		why=$(awk -v k="$s $seq $cmd $what" \
		    '$1" "$2" "$3" "$4 == k { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' \
		    "$exp")
		echo "    known: $kver/$s seq $seq $cmd $what ($why)"
	done < "$T/both"
	while read -r s seq cmd what; do
		grep -h "seq $seq, $cmd on .*: $what differs" \
		    "$T/$kver-$s.out" | sed 's/^/    NEW: /'
	done < "$T/new"
	sed 's/^/    no longer differs (remove from expected): /' "$T/gone"
	check "$kver: no new difference from the kernel" [ ! -s "$T/new" ]
	check "$kver: every expected difference still there" \
	    [ ! -s "$T/gone" ]
	check "$kver: some calls answered as the kernel did" \
	    [ "$(cat "$T"/*.out | sed -n 's/^replay: \([0-9]*\) calls.*/\1/p' |
	    awk '{ n += $1 } END { print n + 0 }')" -gt "$(wc -l < "$T/seen")" ]
	rm -f "$T"/*.out
done

# 3. A recording altered on purpose (the kernel "answered" EEXIST to the
# first map): reported as a difference, in the kernel's words.
dir=$TRACES/6.12
awk '!done && /"cmd":"IOMMU_IOAS_MAP"/ {
	sub(/"result":"OK"/, "\"result\":\"EEXIST\"")
	done = 1
} { print }' "$dir/ioas.jsonl" > "$T/altered.jsonl"
printf '[daemon]\nsocket = %s\ncontrol-socket = %s/control.sock\n' \
    "$SOCK" "$T" > "$T/conf"
printf 'node =\nuapi-level = 6.12\n' >> "$T/conf"
start_daemon "$T/conf" "$T/log" "$SOCK" || give_up "the daemon did not start"
"$CTL" replay --keep-going --socket "$SOCK" "$T/altered.jsonl" > "$T/alt.out"
rc=$?
check "an altered recording fails the replay (status $rc)" [ "$rc" -eq 1 ]
check "the difference said in the kernel's words" grep -q \
    'IOMMU_IOAS_MAP on context 1: result differs: kernel 6.12.[0-9]* answered "EEXIST", ioasidd "OK"' \
    "$T/alt.out"
stop_daemon
summary
