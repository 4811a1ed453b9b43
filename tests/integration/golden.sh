#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The golden traces of tests/traces (issue 10, §4): each NAME.jsonl valid
# against proto/trace-schema.json and replayed with "ioasidctl replay"
# against a fresh daemon on its configuration (NAME.conf beside it, after
# a [daemon] section of private sockets; at the trace header's uAPI
# level), and again with --offline on the same configuration: every call,
# device-node calls and queue reads included, must be answered as
# recorded, with 0 divergences and nothing skipped. Then altered copies:
# an errno changed, an output field changed, an output array changed, a
# map of the QEMU boot answered otherwise, a munmap left out; each must
# fail the replay (exit 1), through the socket and offline, with a diff
# naming the file, the line, the sequence number, the command and the
# field, with both values.
#
# usage: tests/integration/golden.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
GOLD=$SRC/tests/traces
test_setup golden "${1:-build}"
CONF=$T/ioasidd.conf

# daemon NAME TRACE: a fresh daemon on NAME.conf at TRACE's uAPI level.
daemon() {
	stop_daemon 2>/dev/null
	rm -f "$SOCK"
	{
		printf '[daemon]\nsocket = %s\ncontrol-socket = %s\nnode =\n\n' \
		    "$SOCK" "$CSOCK"
		cat "$GOLD/$1.conf"
	} > "$CONF"
	level=$(head -n 1 "$2" |
	    sed -n 's/.*"uapi_level":"\([0-9.]*\)".*/\1/p')
	start_daemon "$CONF" "$T/daemon.log" "$SOCK" \
	    ${level:+-o uapi-level=$level}
}

# divergences FILE: "LINE WHAT" for each divergence a replay printed.
divergences() {
	_at='^[^ ]*\.jsonl:\([0-9]*\): seq [0-9]*, [A-Za-z0-9_]*'
	sed -n "s/$_at on context [0-9]*: \\(.*\\) differs\$/\\1 \\2/p" "$1"
}

# replay_golden NAME [HOW...]: replay $T/NAME.jsonl against the daemon,
# or as HOW says (--offline --config NAME.conf: in process, on the
# golden's configuration), with --keep-going; succeeds when nothing
# diverged and nothing was skipped. Says how in $why (the replay's first
# lines in $T/why on a failure).
replay_golden() {
	_g=$1
	shift
	[ $# -gt 0 ] || set -- --socket "$SOCK"
	"$CTL" replay --keep-going "$@" "$T/$_g.jsonl" > "$T/rp" 2>&1
	_rc=$?
	_last=$(tail -n 1 "$T/rp")
	if [ $_rc -eq 0 ] && [ -z "$(divergences "$T/rp")" ] &&
	    echo "$_last" | grep -q "^replay: [0-9]* calls, 0 diverged, 0 skipped$"
	then
		why="replayed with 0 divergences ($_last)"
		return 0
	fi
	why="the replay diverged or skipped calls (exit $_rc: $_last)"
	head -n 20 "$T/rp" > "$T/why"
	return 1
}

set -- "$GOLD"/*.jsonl
[ -e "$1" ] || give_up "no golden trace in $GOLD"
check "at least 10 goldens ($#)" [ $# -ge 10 ]
for g in "$@"; do
	name=$(basename "$g" .jsonl)
	if [ ! -e "$GOLD/$name.conf" ]; then
		fail "$name: no $name.conf beside it"
		continue
	fi
	check "$name: listed in tests/traces/README.md" \
	    grep -q "^## $name\$" "$GOLD/README.md"
	trace_valid "$g"
	if ! daemon "$name" "$g"; then
		fail "$name: the daemon did not start on $name.conf"
		sed 's/^/    /' "$T/daemon.log" | head -n 10
		continue
	fi
	cp "$g" "$T/$name.jsonl"
	if replay_golden "$name"; then
		ok "$name: $why"
	else
		fail "$name: $why"
		sed 's/^/    /' "$T/why"
	fi
	check "$name: the daemon still runs after the replay" \
	    kill -0 "$PID"
	if replay_golden "$name" --offline --config "$GOLD/$name.conf"; then
		ok "$name offline: $why"
	else
		fail "$name offline: $why"
		sed 's/^/    /' "$T/why"
	fi
done

# altered NAME LINE WHAT RECORDED REPLAYED: the replay of $T/NAME.jsonl
# (a golden altered at LINE) fails, naming the line and WHAT, with the
# recorded and the replayed values.
altered() {
	_n=$1 _l=$2 _w=$3 _r=$4 _p=$5
	daemon "$_n" "$GOLD/$_n.jsonl" ||
	    give_up "the daemon did not start on $_n.conf"
	"$CTL" replay --socket "$SOCK" "$T/$_n.jsonl" > "$T/rp" 2>&1
	_rc=$?
	_seq=$(sed -n "${_l}s/.*\"seq\":\([0-9]*\),.*/\1/p" "$T/$_n.jsonl")
	_cmd=$(sed -n "${_l}s/.*\"cmd\":\"\([A-Z_0-9]*\)\".*/\1/p" \
	    "$T/$_n.jsonl")
	check "$_n altered at line $_l ($_w): the replay fails (exit $_rc)" \
	    [ $_rc -eq 1 ]
	check "$_n altered: the diff names the line, call and field" grep -qx \
	    "$T/$_n.jsonl:$_l: seq $_seq, $_cmd on context [0-9]*: $_w differs" \
	    "$T/rp"
	check "$_n altered: the diff shows both values" sh -c \
	    "grep -qxF '  - recorded: $_r' '$T/rp' &&
	     grep -qxF '  + replayed: $_p' '$T/rp'"
	check "$_n altered: the diff marks the line among its neighbours" \
	    grep -q "^  > *$_l  context [0-9]*  $_cmd " "$T/rp"
	check "$_n altered: only that call diverged" grep -q \
	    "^replay: [0-9]* calls, 1 diverged, [0-9]* skipped (stopped at the first)$" \
	    "$T/rp"
	# In process, on the golden's configuration: the same diff.
	"$CTL" replay --offline --config "$GOLD/$_n.conf" "$T/$_n.jsonl" \
	    > "$T/rp.off" 2>&1
	_rc=$?
	check "$_n altered, offline: the replay fails with the same diff (exit $_rc)" \
	    sh -c "[ $_rc -eq 1 ] && diff '$T/rp' '$T/rp.off' > /dev/null"
}

# Offline without --config: the devices the header names (their
# instance, model and PASID width) are made, enough for a mock device.
cp "$GOLD/cloud-hypervisor.jsonl" "$T/cloud-hypervisor.jsonl"
if replay_golden cloud-hypervisor --offline; then
	ok "cloud-hypervisor offline from its header: $why"
else
	fail "cloud-hypervisor offline from its header: $why"
	sed 's/^/    /' "$T/why"
fi

# An errno changed: the copy onto a map, EEXIST, recorded as EINVAL.
line=$(grep -n '"cmd":"IOMMU_IOAS_COPY".*"result":"EEXIST"' \
    "$GOLD/errors.jsonl" | head -n 1 | cut -d: -f1)
sed "${line}s/\"result\":\"EEXIST\"/\"result\":\"EINVAL\"/" \
    "$GOLD/errors.jsonl" > "$T/errors.jsonl"
altered errors "$line" result '"EINVAL"' '"EEXIST"'

# An output field changed: three pages marked dirty recorded as four.
line=$(grep -n '"dirty.out_nr_dirty":3' "$GOLD/dirty.jsonl" | head -n 1 |
    cut -d: -f1)
sed "${line}s/\"dirty.out_nr_dirty\":3/\"dirty.out_nr_dirty\":4/" \
    "$GOLD/dirty.jsonl" > "$T/dirty.jsonl"
altered dirty "$line" out.dirty.out_nr_dirty 4 3

# An output array changed: the dirty bitmap with a bit more (page 1).
oa='"out_arrays":{"data":{"len":32,"hex":"'
line=$(grep -n "\"cmd\":\"IOMMU_HWPT_GET_DIRTY_BITMAP\".*${oa}09" \
    "$GOLD/dirty.jsonl" | head -n 1 | cut -d: -f1)
sed "${line}s/${oa}09/${oa}0b/" "$GOLD/dirty.jsonl" > "$T/dirty.jsonl"
hex=$(sed -n "${line}s/.*${oa}\([0-9a-f]*\)\".*/\1/p" "$GOLD/dirty.jsonl")
altered dirty "$line" out_arrays.data \
    "{\"len\":32,\"hex\":\"0b${hex#09}\"}" "{\"len\":32,\"hex\":\"$hex\"}"

# A map of guest RAM in the QEMU boot recorded as refused.
line=$(grep -n '"cmd":"IOMMU_IOAS_MAP".*"result":"OK"' \
    "$GOLD/qemu-boot.jsonl" | tail -n 1 | cut -d: -f1)
sed "${line}s/\"result\":\"OK\"/\"result\":\"EFAULT\"/" \
    "$GOLD/qemu-boot.jsonl" > "$T/qemu-boot.jsonl"
altered qemu-boot "$line" result '"EFAULT"' '"OK"'

# A munmap left out: the mapping's first page stays, so the vIOMMU's
# DESTROY after the notice of the rest answers EBUSY where it was OK.
first=$(grep -n '"cmd":"IOASIDD_MMAP".*"flags":"0x5"' "$GOLD/mmap.jsonl" |
    head -n 1 | cut -d: -f1)
sed "${first}d" "$GOLD/mmap.jsonl" > "$T/mmap.jsonl"
line=$(grep -n '"cmd":"IOASIDD_MMAP".*"flags":"0x5"' "$T/mmap.jsonl" |
    head -n 1 | cut -d: -f1)
line=$((line + 1))
check "mmap: a vIOMMU DESTROY follows the last munmap's notice" sh -c \
    "sed -n '${line}p' '$T/mmap.jsonl' |
     grep -q '\"cmd\":\"IOMMU_DESTROY\".*\"result\":\"OK\"'"
altered mmap "$line" result '"OK"' '"EBUSY"'

stop_daemon
check "the daemon exits 0 after the replays" [ $? -eq 0 ]
summary
