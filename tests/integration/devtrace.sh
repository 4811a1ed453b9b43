#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The trace of VFIO device nodes and of the descriptors commands hand out
# (issue 10, §1 and §2): a real program on the edu device (region reads
# and writes, SET_IRQS with eventfds), the example VMM's three sequences
# on it (bind, attach, region and interrupt info, detach) and a program
# on a fault queue (records read, responses written, the descriptor
# closed) recorded with
# ioasidctl record; the lines name the device node and decode the
# records by field name, and are valid against the schema. Each replays
# against a fresh daemon whose devices are in another order (edu0 is
# vfio1 there) with no divergence; an altered region read, an altered
# fault record, an altered VFIO output field and a fault record that
# never comes each diverge, named.
#
# usage: tests/integration/devtrace.sh BUILD_DIR

set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)

. "$(dirname "$0")/lib.sh"
test_setup devtrace "${1:-build}" tests/vfio_region tests/iommu_fds testvmm

# conf [DEVICE...]: the configuration with these [device] sections, in
# this order (edu0 is the edu device, nic0 a plain one).
conf() {
	{
		printf '[daemon]\nsocket = %s\ncontrol-socket = %s\n' \
		    "$SOCK" "$CSOCK"
		printf 'node =\nlog-level = info\n'
		for d in "$@"; do
			case $d in
			edu0) printf '[device edu0]\nrid = 00:03.0\n'
			    printf 'function = edu\n' ;;
			nic0) printf '[device nic0]\nrid = 00:01.0\n' ;;
			esac
		done
	} > "$T/ioasidd.conf"
}

record() {
	"$CTL" -s "$CSOCK" record --socket "$SOCK" --preload "$LIBS" "$@"
}

replay() {
	"$CTL" -s "$CSOCK" replay --socket "$SOCK" "$@"
}

# q TRACE EXPR: a python expression over the trace's lines holds.
q() {
	python3 - "$@" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

# 1. Recorded: the edu device (vfio0 here) and a fault queue.
conf edu0
start_daemon "$T/ioasidd.conf" "$T/log" "$SOCK" ||
    give_up "the daemon did not start"
DEV=$T/dev.jsonl
FQ=$T/fault.jsonl
record -o "$DEV" -- "$B/tests/vfio_region" 0 > "$T/out" 2> "$T/err"
check "vfio_region recorded (exit $?)" [ -s "$DEV" ]
record -o "$FQ" -- "$B/tests/iommu_fds" queue iopf > "$T/out" 2> "$T/err"
check "iommu_fds' fault queue parts recorded (exit $?)" [ -s "$FQ" ]
VMM=$T/vmm.jsonl
record -o "$VMM" -- "$B/testvmm" --sequence all 0 > "$T/out" 2> "$T/err"
check "testvmm's sequences recorded (exit $?)" [ -s "$VMM" ]
alive "after the recordings"
stop_daemon

check "the device open names the node and the device" q "$DEV" \
    'any(l["type"] == "device" and l["node"] == "vfio0" and l["detail"] == "edu0" for l in lines)'
check "VFIO ioctls by name on the device node, with the bound context" q \
    "$DEV" 'any(l.get("cmd") == "VFIO_DEVICE_BIND_IOMMUFD" and l["node"] == "vfio0" and l["out"]["out_devid"] > 0 and l["bound_ctx"] > 0 for l in lines)'
check "region reads with offset, size and bytes" q "$DEV" \
    'any(l.get("cmd") == "IOASIDD_REGION_READ" and l["result"] == "OK" and "offset" in l["in"] and l["in"]["length"] == 256 and l["out_arrays"]["data_uptr"]["hex"].startswith("3412e811") for l in lines)'
check "region writes with their bytes" q "$DEV" \
    'any(l.get("cmd") == "IOASIDD_REGION_WRITE" and l["arrays"]["data_uptr"]["hex"] == "aa55aa55" for l in lines)'
check "SET_IRQS with its eventfds" q "$DEV" \
    'any(l.get("cmd") == "VFIO_DEVICE_SET_IRQS" and l["result"] == "OK" and len(l["in"].get("data", [])) == 1 and l["in"]["data"][0] >= 0 for l in lines)'
check "fault records read, by field name" q "$FQ" \
    'sum(l["type"] == "fdread" and l["node"] == "fault" and l["len"] == 40 and l["records"][0]["addr"] == "0x1000" and l["records"][0]["cookie"] in (1, 2) for l in lines) == 2'
check "page responses written, by field name" q "$FQ" \
    'any(l["type"] == "fdwrite" and [r["cookie"] for r in l["records"]] == [1, 2] and l["records"][0]["code"] == 0 for l in lines)'
check "the descriptors' closes" q "$FQ" \
    'sum(l["type"] == "fdclose" and l["node"] == "fault" for l in lines) == 2'
check "testvmm: ATTACH, DETACH and region info on the node" q "$VMM" \
    'set(l.get("cmd") for l in lines if l.get("node") == "vfio0") >= {"VFIO_DEVICE_ATTACH_IOMMUFD_PT", "VFIO_DEVICE_DETACH_IOMMUFD_PT", "VFIO_DEVICE_GET_REGION_INFO", "VFIO_DEVICE_GET_IRQ_INFO", "VFIO_DEVICE_GET_INFO"}'
trace_valid "$DEV" "$FQ" "$VMM"

# 2. Replayed where edu0 is vfio1: the device is found by its name.
conf nic0 edu0
start_daemon "$T/ioasidd.conf" "$T/log" "$SOCK" ||
    give_up "the daemon did not start"
n=$(grep -c '"type":"ioctl"' "$DEV")
replay "$DEV" > "$T/rp" 2>&1
rc=$?
check "the device session replays with no divergence ($(tail -n 1 "$T/rp"))" \
    sh -c "[ $rc -eq 0 ] && grep -q '^replay: $n calls, 0 diverged, 0 skipped' '$T/rp'"
n=$(grep -c '"type":"ioctl"' "$VMM")
replay "$VMM" > "$T/rp" 2>&1
rc=$?
check "testvmm's sequences replay with no divergence ($(tail -n 1 "$T/rp"))" \
    sh -c "[ $rc -eq 0 ] && grep -q '^replay: $n calls, 0 diverged, 0 skipped' '$T/rp'"
n=$(grep -c '"type":"ioctl"' "$FQ")
replay "$FQ" > "$T/rp" 2>&1
rc=$?
check "the fault queue session replays with no divergence ($(tail -n 1 "$T/rp"))" \
    sh -c "[ $rc -eq 0 ] && grep -q '^replay: $n calls, 0 diverged' '$T/rp'"

# 3. Altered lines diverge, with the line and the field.
line=$(grep -n '"out_arrays":{"data_uptr":{"len":4,"hex":"ed000001"}}' "$DEV" |
    head -n 1 | cut -d: -f1)
sed "${line}s/\"hex\":\"ed000001\"/\"hex\":\"ed000002\"/" "$DEV" > "$T/alt.jsonl"
replay "$T/alt.jsonl" > "$T/rp" 2>&1
rc=$?
check "an altered region read diverges (exit $rc)" sh -c "[ $rc -eq 1 ] &&
    grep -q 'alt.jsonl:$line: seq [0-9]*, IOASIDD_REGION_READ on context [0-9]*: out_arrays.data_uptr differs' '$T/rp' &&
    grep -q '^  + replayed: {\"len\":4,\"hex\":\"ed000001\"}' '$T/rp'"
line=$(grep -n '"cmd":"VFIO_DEVICE_GET_PCI_HOT_RESET_INFO".*"out":{"argsz":28,"flags":"0x3","count":1}' \
    "$DEV" | head -n 1 | cut -d: -f1)
sed "${line}s/\"count\":1}/\"count\":2}/" "$DEV" > "$T/alt.jsonl"
replay "$T/alt.jsonl" > "$T/rp" 2>&1
rc=$?
check "an altered VFIO output field diverges (exit $rc)" sh -c "[ $rc -eq 1 ] &&
    grep -q 'alt.jsonl:$line: .*VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on context [0-9]*: out.count differs' '$T/rp'"
line=$(grep -n '"type":"fdread".*"grpid":2' "$FQ" | head -n 1 | cut -d: -f1)
sed "${line}s/\"grpid\":2/\"grpid\":7/" "$FQ" > "$T/alt.jsonl"
replay "$T/alt.jsonl" > "$T/rp" 2>&1
rc=$?
check "an altered fault record diverges (exit $rc)" sh -c "[ $rc -eq 1 ] &&
    grep -q 'alt.jsonl:$line: seq [0-9]*, fdread on context [0-9]*: records differs' '$T/rp' &&
    grep -q '^  + replayed: .*\"grpid\":2' '$T/rp'"
# A fault record that never comes: the trigger left out.
line=$(grep -n '"cmd":"IOMMU_TEST_CMD".*"trigger_iopf.grpid":2' "$FQ" |
    head -n 1 | cut -d: -f1)
sed "${line}d" "$FQ" > "$T/alt.jsonl"
replay --keep-going "$T/alt.jsonl" > "$T/rp" 2>&1
rc=$?
check "a fault record that never comes diverges (exit $rc)" sh -c \
    "[ $rc -eq 1 ] && grep -q 'fdread on context [0-9]*: records differs' '$T/rp' &&
    grep -q '^  + replayed: \"nothing to read\"' '$T/rp'"
alive "after the replays"
stop_daemon

summary
