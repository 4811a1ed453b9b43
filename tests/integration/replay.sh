#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# ioasidctl replay --offline and --model with real recordings: programs
# recorded with "ioasidctl record" against a daemon, then replayed with
# the daemon gone, in process, from the trace header or a --config file;
# an altered recording diverging with the same diff as through the
# socket; the same recordings against every built-in model and a plugin,
# the differing calls listed and counted by cause.
#
# usage: tests/integration/replay.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup replay "${1:-build}" tests/iommu_basic tests/iommu_fds \
    models/spapr-tce.so

cat > "$T/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
control-socket = $CSOCK
node =
log-level = warn
EOF
start_daemon "$T/ioasidd.conf" "$T/log" "$SOCK" ||
    give_up "the daemon did not start"
for p in iommu_basic iommu_fds; do
	"$CTL" -s "$CSOCK" record --socket "$SOCK" --preload "$LIBS" \
	    -o "$T/$p.jsonl" -- "$B/tests/$p" > "$T/$p.out" 2>&1 ||
	    give_up "$p failed under record: $(tail -n 3 "$T/$p.out")"
done
BASIC=$T/iommu_basic.jsonl
FDS=$T/iommu_fds.jsonl
ncalls=$(grep -c '"type":"ioctl"' "$BASIC")
"$CTL" replay --socket "$SOCK" --keep-going "$FDS" > "$T/fds.sock" 2>&1
stop_daemon
dpid=$PID
check "the daemon is gone" sh -c "! kill -0 $dpid 2>/dev/null"

# 1. In process, with the header's models, the daemon gone.
"$CTL" replay --offline "$BASIC" > "$T/rp" 2>&1
rc=$?
check "iommu_basic replays offline with no divergence (exit $rc)" sh -c \
    "[ $rc -eq 0 ] &&
     grep -q '^replay: $ncalls calls, 0 diverged, 0 skipped$' '$T/rp'"
"$CTL" replay --offline --keep-going "$FDS" > "$T/fds.off" 2>&1
# Its calls all replayed, the queue descriptors' lines too, with the
# divergences the socket replay has (the access descriptors the trace
# names by 0 diverge in both).
sed -n 's/^replay: \([0-9]*\) calls, \([0-9]*\) diverged.*/\1 \2/p' \
    "$T/fds.sock" > "$T/s1"
sed -n 's/^replay: \([0-9]*\) calls, \([0-9]*\) diverged.*/\1 \2/p' \
    "$T/fds.off" > "$T/o1"
check "iommu_fds: every call replayed offline as through the socket ($(cat "$T/o1") against $(cat "$T/s1"))" \
    sh -c "[ -s '$T/o1' ] && cmp -s '$T/s1' '$T/o1'"
"$CTL" replay --offline --time "$BASIC" > "$T/rp" 2>&1
check "--time prints the rates" grep -q \
    '^replay: [0-9.]* s, [0-9]* calls/s; with loading [0-9.]* s, [0-9]* calls/s$' \
    "$T/rp"

# 2. An altered output: the same diff as the socket replay gives.
line=$(grep -n '"cmd":"IOMMU_IOAS_MAP".*"out":{"iova"' "$BASIC" |
    head -n 1 | cut -d: -f1)
iova=$(sed -n "${line}p" "$BASIC" |
    sed 's/.*"out":{"iova":"\([^"]*\)".*/\1/')
sed "${line}s/\"out\":{\"iova\":\"$iova\"/\"out\":{\"iova\":\"0x7770000\"/" \
    "$BASIC" > "$T/alt.jsonl"
"$CTL" replay --offline "$T/alt.jsonl" > "$T/rp" 2>&1
rc=$?
check "an altered output fails the offline replay (exit $rc)" [ $rc -eq 1 ]
check "the diff names the line and the field" grep -q \
    "alt.jsonl:$line: seq [0-9]*, IOMMU_IOAS_MAP on context [0-9]*: out.iova differs" \
    "$T/rp"
check "the diff shows both values" sh -c \
    "grep -q '^  - recorded: \"0x7770000\"' '$T/rp' &&
     grep -q '^  + replayed: \"$iova\"' '$T/rp'"
check "the diff shows the calls around it" grep -q "^  > *$line  context" \
    "$T/rp"
check "the offline replay stops at the first divergence" grep -q \
    "1 diverged, 0 skipped (stopped at the first)" "$T/rp"
line2=$(grep -n '"result":"ENOENT"' "$T/alt.jsonl" | tail -n 1 | cut -d: -f1)
sed -i "${line2}s/\"result\":\"ENOENT\"/\"result\":\"EINVAL\"/" \
    "$T/alt.jsonl"
"$CTL" replay --offline --keep-going "$T/alt.jsonl" > "$T/rp" 2>&1
rc=$?
check "--keep-going offline reports every divergence (exit $rc)" sh -c \
    "[ $rc -eq 1 ] && grep -q ', 2 diverged' '$T/rp' &&
     grep -q 'alt.jsonl:$line2: .*: result differs' '$T/rp'"

# 3. --config: the configuration instead of the header.
printf '[limits]\ncontext-objects = 1\n' > "$T/one.conf"
"$CTL" replay --offline --config "$T/one.conf" "$BASIC" > "$T/rp" 2>&1
rc=$?
check "--config's limits hold in the replay (exit $rc)" sh -c \
    "[ $rc -eq 1 ] && grep -q 'result differs' '$T/rp' &&
     grep -q '^  + replayed: \"ENOSPC\"' '$T/rp'"
printf '[daemon]\nmodel-dir = %s\n' "$B/models" > "$T/plugins.conf"
"$CTL" replay --offline --config "$T/plugins.conf" "$BASIC" > "$T/rp" 2>&1
rc=$?
check "a --config with nothing against the trace replays clean (exit $rc)" \
    sh -c "[ $rc -eq 0 ] && grep -q ', 0 diverged' '$T/rp'"
printf '[limits]\nnosuch = 1\n' > "$T/bad.conf"
"$CTL" replay --offline --config "$T/bad.conf" "$BASIC" > "$T/rp" 2>&1
rc=$?
check "a bad --config: exit 2, and where ($rc)" sh -c \
    "[ $rc -eq 2 ] && grep -q 'bad.conf:2' '$T/rp'"
"$CTL" replay --config "$T/plugins.conf" "$BASIC" > /dev/null 2>&1
check "--config without --offline is a usage error" [ $? -eq 2 ]

# 4. --model: every built-in model and a plugin.
for m in mock intel-vtd amd-vi arm-smmuv3 plain spapr-tce; do
	"$CTL" replay --config "$T/plugins.conf" --offline --model "$m" \
	    "$BASIC" > "$T/rp" 2>&1
	rc=$?
	check "iommu_basic against $m: nothing differs (exit $rc)" sh -c \
	    "[ $rc -eq 0 ] && grep -q '^replay: .* against model $m$' '$T/rp' &&
	     grep -q '^replay: $ncalls calls, 0 diverged' '$T/rp' &&
	     ! grep -q 'differences by cause' '$T/rp'"
	"$CTL" replay --config "$T/plugins.conf" --offline --model "$m" \
	    "$FDS" > "$T/m.$m" 2>&1
	rc=$?
	# Every divergent call listed once, the causes adding up to them.
	n=$(sed -n 's/^replay: [0-9]* calls, \([0-9]*\) diverged.*/\1/p' \
	    "$T/m.$m")
	listed=$(grep -c 'jsonl:[0-9]*: seq [0-9]*, context' "$T/m.$m")
	counted=$(sed -n '/^differences by cause:/,/^replay:/p' "$T/m.$m" |
	    awk '/^ +[0-9]+  / { s += $1 } END { print s + 0 }')
	check "iommu_fds against $m: $n calls listed, $counted counted by cause (exit $rc)" \
	    sh -c "[ $rc -eq 1 ] && [ '$n' -gt 0 ] && [ '$listed' = '$n' ] &&
	    [ '$counted' = '$n' ]"
done
check "the mock model refuses no HWPT with EOPNOTSUPP" sh -c \
    "! grep -q 'IOMMU_HWPT_ALLOC.* refused: EOPNOTSUPP' '$T/m.mock'"
# What these models refuse first is the nesting parent the selftest's
# vIOMMU stands on; the calls after it (the vIOMMU, its driver data's
# HWPT) then name objects this run did not make.
for m in intel-vtd amd-vi spapr-tce; do
	check "$m refuses the selftest's nesting parent: EOPNOTSUPP" grep -q \
	    '^ *1  IOMMU_HWPT_ALLOC refused: EOPNOTSUPP$' "$T/m.$m"
done
check "the selftest's operations are told apart" [ "$(sed -n \
    's/^ *[0-9]*  IOMMU_TEST_CMD op \([0-9]*\)[ :].*/\1/p' "$T/m.intel-vtd" |
    sort -u | wc -l)" -ge 2 ]
"$CTL" replay --model nosuch "$BASIC" > "$T/rp" 2>&1
rc=$?
check "an unknown model: exit 2, the known ones listed ($rc)" sh -c \
    "[ $rc -eq 2 ] && grep -q 'model \"nosuch\" is not one of mock' '$T/rp'"
"$CTL" replay --model mock --socket "$SOCK" "$BASIC" > /dev/null 2>&1
check "--model with --socket is a usage error" [ $? -eq 2 ]

summary
