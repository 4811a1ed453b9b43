#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The JSON trace (issue 10, §1): a real program under the preload library
# with [trace] on, and the lines it leaves: a header, opens and closes,
# one line per ioctl with its fields by name, errno names, control
# actions; every line valid against proto/trace-schema.json where the
# validator can run. ioasidctl trace on, off and status, per context;
# rotation at max-size keeping "rotate" files; everything queued written
# on a clean exit. ioasidctl record: the lines of one program's contexts
# and no other's, valid, replayed with no divergence; a failing program's
# status and errors; only the recording's process reads it; at most 8.
#
# usage: tests/integration/trace.sh BUILD_DIR

set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)

. "$(dirname "$0")/lib.sh"
test_setup trace "${1:-build}" tests/iommu_basic
PROG=$B/tests/iommu_basic
CONF=$T/ioasidd.conf
TRACE=$T/trace.jsonl

# conf ENABLED [KEY=VALUE...]: the configuration, with this [trace].
conf() {
	{
		printf '[daemon]\nsocket = %s\ncontrol-socket = %s\n' \
		    "$SOCK" "$CSOCK"
		printf 'node =\nlog-level = info\n'
		printf '[trace]\nenabled = %s\npath = %s\n' "$1" "$TRACE"
		shift
		for kv in "$@"; do
			echo "$kv" | sed 's/=/ = /'
		done
	} > "$CONF"
}

ctl() {
	"$CTL" -s "$CSOCK" "$@"
}

basic() {
	env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" timeout 60 "$PROG" \
	    > "$T/out" 2>&1
}

# jq-less field checks: python3 reads the lines.
q() {
	python3 - "$TRACE" "$@" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
expr = sys.argv[2]
sys.exit(0 if eval(expr) else 1)
PY
}

# 1. [trace] enabled: a program's session, line by line.
conf yes
start_daemon "$CONF" "$T/log" "$SOCK" || give_up "the daemon did not start"
check "iommu_basic passes with the trace on" basic
check "ioasidctl trace status says on" sh -c \
    "'$CTL' -s '$CSOCK' trace status | grep -q 'trace on for every context'"
ctl status >/dev/null
stop_daemon
check "the daemon exits 0" [ $? -eq 0 ]
check "the first line is the header" q \
    'lines[0]["type"] == "header" and lines[0]["format"] == 1 and lines[0]["uapi_level"] == "7.3"'
check "an open and a close of the context" q \
    'any(l["type"] == "open" for l in lines) and any(l["type"] == "close" for l in lines)'
check "IOAS_ALLOC traced with its output id" q \
    'any(l["type"] == "ioctl" and l["cmd"] == "IOMMU_IOAS_ALLOC" and l["result"] == "OK" and l["out"]["out_ioas_id"] > 0 for l in lines)'
check "IOAS_MAP traced with its fields by name" q \
    'any(l.get("cmd") == "IOMMU_IOAS_MAP" and "user_va" in l["in"] and "length" in l["in"] for l in lines)'
check "errors traced as errno names" q \
    'any(l.get("result", "OK") not in ("OK",) and l["result"].startswith("E") for l in lines if l["type"] == "ioctl")'
check "IOVA_RANGES' array traced with its length" q \
    'any(l.get("cmd") == "IOMMU_IOAS_IOVA_RANGES" and "allowed_iovas" in l.get("out_arrays", {}) for l in lines)'
check "sequence numbers rise by one" q \
    'all(b["seq"] == a["seq"] + 1 for a, b in zip(lines[1:], lines[2:]))'
check "every call has its duration" q \
    'all(l["dur_ns"] >= 0 for l in lines if l["type"] == "ioctl")'
check "the control action is traced" q \
    'any(l["type"] == "control" and l["detail"] == "status" for l in lines)'
check "nothing dropped" q 'not any(l["type"] == "dropped" for l in lines)'
trace_valid "$TRACE"
cp "$TRACE" "$T/rec.jsonl"
sed '0,/"result":"OK"/s//"result":"nonsense"/' "$TRACE" > "$T/bad.jsonl"
if VPY=$(trace_python); then
	check "the validator refuses a line with a bad result" sh -c \
	    "! '$VPY' '$SRC/scripts/trace-validate.py' '$T/bad.jsonl' >/dev/null"
fi

# The summary, read from the file without the daemon.
"$CTL" trace summary "$TRACE" > "$T/sum" 2>&1
nio=$(grep -c '"type":"ioctl"' "$TRACE")
nalloc=$(grep -c '"cmd":"IOMMU_IOAS_ALLOC"' "$TRACE")
nerr=$(grep '"cmd":"IOMMU_IOAS_ALLOC"' "$TRACE" | grep -vc '"result":"OK"')
check "summary counts every call ($nio)" grep -q "^$nio calls in" "$T/sum"
check "summary: IOAS_ALLOC with $nalloc calls, $nerr errors" \
    grep -Eq "^IOMMU_IOAS_ALLOC +$nalloc +$nerr " "$T/sum"
check "summary: errors by errno name" grep -q "ENOENT [0-9]" "$T/sum"
check "summary: one row per context" grep -q "^context [0-9]" "$T/sum"
check "summary of a file that is not there fails" \
    sh -c "! '$CTL' trace summary '$T/nothing' 2>/dev/null"

# 2. Off by configuration; on, off and per context from ioasidctl.
rm -f "$TRACE"
conf no
start_daemon "$CONF" "$T/log" "$SOCK" || give_up "the daemon did not start"
basic
check "no file while the trace is off" [ ! -e "$TRACE" ]
check "trace status says off" sh -c \
    "'$CTL' -s '$CSOCK' trace status | grep -q 'trace off'"
ctl trace on >/dev/null
check "trace on starts the file" [ -s "$TRACE" ]
basic
ctl trace off >/dev/null
n=$(grep -c '"type":"ioctl"' "$TRACE")
check "trace on records the calls ($n)" [ "$n" -gt 10 ]
basic
check "trace off stops them" [ "$(grep -c '"type":"ioctl"' "$TRACE")" -eq "$n" ]
check "trace on --context for a context that is not there fails" \
    sh -c "! '$CTL' -s '$CSOCK' trace on --context 99999 2>/dev/null"
check "a bad --context is refused" \
    sh -c "! '$CTL' -s '$CSOCK' trace on --context x 2>/dev/null"
stop_daemon
trace_valid "$TRACE"

# 3. Rotation: max-size 8K keeping two older files.
rm -f "$TRACE"*
conf yes max-size=8K rotate=2
start_daemon "$CONF" "$T/log" "$SOCK" || give_up "the daemon did not start"
basic; basic; basic
stop_daemon
check "rotated into trace.jsonl.1 and .2" [ -s "$TRACE.1" -a -s "$TRACE.2" ]
check "no third older file" [ ! -e "$TRACE.3" ]
check "each file starts with a header" sh -c \
    "head -n 1 '$TRACE.1' | grep -q '\"type\":\"header\"' &&
     head -n 1 '$TRACE' | grep -q '\"type\":\"header\"'"
trace_valid "$TRACE" "$TRACE.1" "$TRACE.2"

# 4. Replay: the session of part 1 against a fresh daemon, then altered.
rm -f "$TRACE"*
conf no
start_daemon "$CONF" "$T/log" "$SOCK" || give_up "the daemon did not start"
"$CTL" replay --socket "$SOCK" "$T/rec.jsonl" > "$T/rp" 2>&1
rc=$?
check "the recorded session replays with no divergence ($(tail -n 1 "$T/rp"))" \
    [ $rc -eq 0 ]
check "every call was replayed" grep -q \
    "^replay: $(grep -c '"type":"ioctl"' "$T/rec.jsonl") calls, 0 diverged" "$T/rp"
# The first IOVA the daemon chose, recorded as another.
line=$(grep -n '"cmd":"IOMMU_IOAS_MAP".*"out":{"iova"' "$T/rec.jsonl" |
    head -n 1 | cut -d: -f1)
iova=$(sed -n "${line}p" "$T/rec.jsonl" | sed 's/.*"out":{"iova":"\([^"]*\)".*/\1/')
sed "${line}s/\"out\":{\"iova\":\"$iova\"/\"out\":{\"iova\":\"0x7770000\"/" \
    "$T/rec.jsonl" > "$T/alt.jsonl"
"$CTL" replay --socket "$SOCK" "$T/alt.jsonl" > "$T/rp" 2>&1
rc=$?
check "an altered output fails the replay (exit $rc)" [ $rc -eq 1 ]
check "the diff names the line and the field" grep -q \
    "alt.jsonl:$line: seq [0-9]*, IOMMU_IOAS_MAP on context [0-9]*: out.iova differs" "$T/rp"
check "the diff shows both values" sh -c \
    "grep -q '^  - recorded: \"0x7770000\"' '$T/rp' &&
     grep -q '^  + replayed: \"$iova\"' '$T/rp'"
check "the diff shows the calls around it" grep -q "^  > *$line  context" "$T/rp"
check "replay stops at the first divergence" grep -q \
    "1 diverged, 0 skipped (stopped at the first)" "$T/rp"
# A result altered as well: --keep-going reports both.
line2=$(grep -n '"result":"ENOENT"' "$T/alt.jsonl" | tail -n 1 | cut -d: -f1)
sed -i "${line2}s/\"result\":\"ENOENT\"/\"result\":\"EINVAL\"/" "$T/alt.jsonl"
"$CTL" replay --keep-going --socket "$SOCK" "$T/alt.jsonl" > "$T/rp" 2>&1
rc=$?
check "--keep-going reports every divergence (exit $rc)" sh -c \
    "[ $rc -eq 1 ] && grep -q ', 2 diverged' '$T/rp' &&
     grep -q 'alt.jsonl:$line2: .*: result differs' '$T/rp'"
echo 'not json' > "$T/broken.jsonl"
"$CTL" replay --socket "$SOCK" "$T/broken.jsonl" >/dev/null 2>&1
check "a file that is not a trace: exit 2" [ $? -eq 2 ]
alive "after the replays"
stop_daemon

# ctlraw CODE: python code with req(OBJECT), which sends one raw request
# on the control socket and prints the reply line.
ctlraw() {
	python3 - "$CSOCK" "$1" <<'PY'
import json, socket, sys
def req(o):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(json.dumps(o).encode() + b"\n")
    print(s.makefile().readline().strip())
    s.close()
exec(sys.argv[2])
PY
}

# record ARGS...: ioasidctl record against this daemon with this library.
record() {
	"$CTL" -s "$CSOCK" record --socket "$SOCK" --preload "$LIBS" "$@"
}

# 5. ioasidctl record: the lines of the recorded program's contexts and
# of no other, the daemon's file trace being on (to compare) or off.
rm -f "$TRACE"*
conf yes
start_daemon "$CONF" "$T/log" "$SOCK" || give_up "the daemon did not start"
REC=$T/recorded.jsonl
# Another program runs meanwhile: its context must not be recorded.
(sleep 0.1; basic) &
other=$!
record -o "$REC" -- \
    sh -c "'$PROG' && '$PROG'" > "$T/rec.out" 2> "$T/rec.err"
rc=$?
wait $other
check "record runs the program and exits with its status ($rc)" \
    [ $rc -eq 0 ]
check "record says what it wrote" grep -q \
    "^ioasidctl record: $REC: [0-9]* lines, [0-9]* calls, [0-9]* errors" \
    "$T/rec.err"
stop_daemon
# Two runs of the program, each opening as many contexts as the other.
python3 - "$TRACE" "$REC" > "$T/cmp" 2>&1 <<'PY'
import json, sys
full = open(sys.argv[1]).read().splitlines()
rec = open(sys.argv[2]).read().splitlines()
hdr = json.loads(rec[0])
ctxs = set(json.loads(l)["ctx"] for l in rec[1:])
want = [l for l in full[1:] if json.loads(l).get("ctx") in ctxs]
others = set(json.loads(l)["ctx"] for l in full[1:]
    if json.loads(l)["type"] == "open") - ctxs
print(len(ctxs), len(others), len(rec) - 1)
ok = (hdr["type"] == "header" and json.loads(full[0]) == hdr and
    len(others) >= 1 and len(ctxs) == 2 * len(others) and
    rec[1:] == want and
    sum(json.loads(l)["type"] == "close" for l in rec) == len(ctxs))
sys.exit(0 if ok else 1)
PY
check "the recording holds the daemon's lines of its contexts and no other ($(head -n 1 "$T/cmp"))" \
    [ $? -eq 0 ]
trace_valid "$REC"

# Recorded with the file trace off; replayed with no divergence.
rm -f "$TRACE"*
conf no
start_daemon "$CONF" "$T/log" "$SOCK" || give_up "the daemon did not start"
record -o "$REC" -- "$PROG" > "$T/rec.out" 2> "$T/rec.err"
check "record with the trace file off (exit $?)" sh -c \
    "[ -s '$REC' ] && [ ! -e '$TRACE' ] && grep -q '\"cmd\":\"IOMMU_IOAS_MAP\"' '$REC'"
trace_valid "$REC"
"$CTL" replay --socket "$SOCK" "$REC" > "$T/rp" 2>&1
rc=$?
check "the recording replays with no divergence ($(tail -n 1 "$T/rp"))" \
    sh -c "[ $rc -eq 0 ] && grep -q \"^replay: $(grep -c '"type":"ioctl"' "$REC") calls, 0 diverged\" '$T/rp'"

# A program that fails: its status, and its errors in the recording.
cat > "$T/fails.py" <<'PY'
import fcntl, os, struct, sys
fd = os.open("/dev/iommu", os.O_RDWR)
try:
    # IOMMU_DESTROY of an id that is not there.
    fcntl.ioctl(fd, 0x3b80, struct.pack("II", 8, 4242))
except OSError as e:
    print("destroy:", os.strerror(e.errno))
    sys.exit(3)
PY
record -o "$REC" -- \
    python3 "$T/fails.py" > "$T/rec.out" 2> "$T/rec.err"
rc=$?
check "a failing program's status comes back ($rc)" [ $rc -eq 3 ]
check "the summary shows its error" grep -q \
    "1 calls, 1 errors (ENOENT 1)" "$T/rec.err"
check "the recording shows the failed call" grep -q \
    '"cmd":"IOMMU_DESTROY".*"result":"ENOENT"' "$REC"
trace_valid "$REC"
"$CTL" replay --socket "$SOCK" "$REC" > "$T/rp" 2>&1
check "the failed call replays as recorded" [ $? -eq 0 ]
# Another process cannot read a recording: every id is "not there".
record -o "$T/slow.jsonl" -- \
    sh -c "sleep 0.5; '$PROG'" > /dev/null 2>&1 &
slow=$!
sleep 0.2
ctlraw 'for i in range(1, 11): req({"cmd": "trace", "action": "record-read", "record": i})' \
    > "$T/raw"
check "another process reading any recording gets ESRCH" sh -c \
    "[ \$(grep -c '\"errno\":\"ESRCH\"' '$T/raw') -eq 10 ]"
wait $slow
check "the recording it tried goes on (exit $?)" grep -q \
    '"cmd":"IOMMU_IOAS_MAP"' "$T/slow.jsonl"
# At most 8 at once; those of a process that has gone are freed.
ctlraw 'for i in range(9): req({"cmd": "trace", "action": "record"})' \
    > "$T/raw"
check "8 recordings at once, the 9th refused" sh -c \
    "[ \$(grep -c '\"ok\":true' '$T/raw') -eq 8 ] &&
     sed -n 9p '$T/raw' | grep -q ENOSPC"
record -o "$REC" -- "$PROG" > /dev/null 2>&1
check "a gone process's recordings are freed for the next (exit $?)" \
    grep -q '"cmd":"IOMMU_IOAS_MAP"' "$REC"
check "record without -o is a usage error" sh -c \
    "! '$CTL' -s '$CSOCK' record -- true 2>/dev/null"
alive "after the recordings"
stop_daemon

summary
