#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# ioasidctl trace timeline (issue 10, §3), checked in a real browser: a
# session recorded with ioasidctl record (iommu_basic, iommu_fds and
# vfio_cdev, which make IOASes, HWPTs, devices, mock devices, a vIOMMU,
# vDEVICEs, fault and event queues, and fail on purpose), drawn as a
# page that headless Chromium
# loads from the file with no network. The page's script writes what it
# drew (lanes, calls, errors, object lifetimes, those destroyed, faults
# and events) into #timeline's attributes, counted from the drawing; they
# must equal the counts Python takes from the trace. The page must load
# nothing, survive a trace whose strings hold markup, and stay bounded
# for a long trace (and say so). A screenshot goes to
# BUILD_DIR/timeline.png.
#
# usage: tests/integration/timeline.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup timeline "${1:-build}" tests/iommu_basic tests/iommu_fds \
    tests/vfio_cdev
CONF=$T/ioasidd.conf
REC=$T/rec.jsonl
HTML=$T/rec.html
CHROMIUM=
for c in chromium chromium-browser; do
	if command -v "$c" >/dev/null 2>&1; then
		CHROMIUM=$c
		break
	fi
done
[ -n "$CHROMIUM" ] ||
    give_up "no chromium (scripts/deps.sh installs Debian's chromium)"

# browse FILE.html [ARGS...]: headless Chromium on the file, no network
# and a profile of its own; the DOM after the page's script on stdout.
browse() {
	_page=$1
	shift
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --user-data-dir="$T/profile" --no-first-run \
	    --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>' \
	    "$@" "file://$_page" 2>>"$T/chromium.err"
}

# drawn DOM: #timeline's data-* attributes as "name=value" lines.
drawn() {
	python3 - "$1" <<'PY'
import re, sys
dom = open(sys.argv[1]).read()
m = re.search(r'<div id="timeline"([^>]*)>', dom)
for k, v in re.findall(r'data-([a-z]+)="([^"]*)"', m.group(1) if m else ""):
    print("%s=%s" % (k, v))
PY
}

# expect TRACE [MAX]: the counts the page must draw for the first MAX
# records of TRACE, as drawn() prints them.
expect() {
	python3 - "$@" <<'PY'
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
lines = [l for l in lines if l["type"] != "header"]
if len(sys.argv) > 2:
    lines = lines[:int(sys.argv[2])]
calls = [l for l in lines if l["type"] == "ioctl"]
made = sum(1 for l in calls if l["result"] == "OK"
    for k, v in l.get("out", {}).items()
    if (re.search(r"(^|\.)out_[a-z_]+_id$", k) or k == "out_devid")
    and int(str(v), 0) > 0)
faults = sum(1 for l in calls if l["result"] == "OK" and
    l["cmd"] == "IOMMU_TEST_CMD" and l["in"].get("op") in (15, 17))
faults += sum(1 for l in lines if l["type"] not in
    ("ioctl", "open", "close", "control", "unwritten", "dropped"))
print("status=drawn")
print("lanes=%d" % len(set(l.get("ctx", 0) for l in lines)))
print("calls=%d" % len(calls))
print("errors=%d" % sum(l["result"] != "OK" for l in calls))
print("lifetimes=%d" % made)
print("destroyed=%d" % sum(l["cmd"] == "IOMMU_DESTROY" and
    l["result"] == "OK" for l in calls))
print("faults=%d" % faults)
PY
}

{
	printf '[daemon]\nsocket = %s\ncontrol-socket = %s\n' "$SOCK" "$CSOCK"
	printf 'node =\nlog-level = info\n'
	printf '[device nic0]\nrid = 00:01.0\n'
} > "$CONF"
start_daemon "$CONF" "$T/log" "$SOCK" || give_up "the daemon did not start"
"$CTL" -s "$CSOCK" record --socket "$SOCK" --preload "$LIBS" -o "$REC" \
    -- sh -c "'$B/tests/iommu_basic' && '$B/tests/iommu_fds' &&
    '$B/tests/vfio_cdev'" \
    > "$T/rec.out" 2> "$T/rec.err"
check "a session recorded (exit $?): $(tail -n 1 "$T/rec.err")" \
    grep -q '"cmd":"IOMMU_VIOMMU_ALLOC"' "$REC"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
trace_valid "$REC"
stop_daemon

# 1. The page, and what the browser drew from it.
"$CTL" trace timeline "$REC" -o "$HTML" 2> "$T/tl.err"
check "trace timeline writes the page (exit $?)" grep -q \
    "^ioasidctl trace timeline: $HTML: [0-9]* of [0-9]* records$" "$T/tl.err"
check "the page is self-contained: no script, style or link it loads" \
    python3 - "$HTML" <<'PY'
import re, sys
page = open(sys.argv[1]).read()
bad = re.findall(r'<(?:script|img|iframe|link|object)\b[^>]*\b(?:src|href)=|'
    r'@import|url\((?!#)|@font-face|fetch\(|XMLHttpRequest', page)
sys.exit(1 if bad else 0)
PY
t0=$(date +%s%N)
browse "$HTML" --dump-dom > "$T/dom"
t1=$(date +%s%N)
drawn "$T/dom" > "$T/drawn"
expect "$REC" > "$T/want"
check "Chromium drew the page ($(tr '\n' ' ' < "$T/drawn")in $(((t1 - t0) / 1000000)) ms)" \
    grep -q '^status=drawn$' "$T/drawn"
for k in lanes calls errors lifetimes destroyed faults; do
	w=$(grep "^$k=" "$T/want")
	check "drawn $w" grep -qx "$w" "$T/drawn"
done
# kinds_drawn KIND...: a lifetime bar of each kind in $T/dom.
kinds_drawn() {
	for k in "$@"; do
		grep -q "data-kind=\"$k\"" "$T/dom" || return 1
	done
}
check "lifetimes of every kind the session made" kinds_drawn IOAS HWPT \
    FAULT vIOMMU vDEVICE vEVENTQ DEVICE "mock DEVICE"
check "every lifetime ends in the session, every context having closed" \
    sh -c "grep -q 'data-end=\"context closed\"' '$T/dom' &&
     grep -q 'data-end=\"IOMMU_DESTROY\"' '$T/dom' &&
     ! grep -q 'data-end=\"still there' '$T/dom'"
check "the heading counts the calls" grep -q \
    "$(grep -c '"type":"ioctl"' "$REC") calls, $(grep '"type":"ioctl"' "$REC" |
    grep -vc '"result":"OK"') errors" "$T/dom"
check "no page error" grep -q '<div id="error"></div>' "$T/dom"

# Hover, as the page's #hover=SEQ does it: the tip shows the call's fields.
seq=$(grep '"cmd":"IOMMU_IOAS_MAP".*"result":"OK"' "$REC" | head -n 1 |
    sed 's/.*"seq":\([0-9]*\),.*/\1/')
browse "$HTML#hover=$seq" --dump-dom > "$T/dom"
python3 - "$T/dom" "$REC" "$seq" > "$T/tip" 2>&1 <<'PY'
import html, json, re, sys
dom = open(sys.argv[1]).read()
m = re.search(r'<div id="tip" style="([^"]*)">(.*?)</div>', dom, re.S)
tip = html.unescape(m.group(2)) if m else ""
l = [json.loads(x) for x in open(sys.argv[2])
    if json.loads(x).get("seq") == int(sys.argv[3])][0]
want = ["#%d  IOMMU_IOAS_MAP  context %d" % (l["seq"], l["ctx"]),
    "result: OK", '"user_va": "%s"' % l["in"]["user_va"],
    '"length": ' + json.dumps(l["in"]["length"]),
    'out: { "iova": "%s" }' % l["out"]["iova"], "took "]
miss = [w for w in want if w not in tip]
print(tip.replace("\n", " | ")[:200])
sys.exit(1 if miss or not m or "display: block" not in m.group(1) else 0)
PY
check "hover over seq $seq shows its fields: $(head -c 120 "$T/tip")" [ $? -eq 0 ]
check "Chromium loaded nothing from the network" sh -c \
    "! grep -qi 'ERR_PROXY\\|ERR_NAME\\|net::ERR' '$T/chromium.err'"

# The screenshot, kept in the build directory.
rm -f "$B/timeline.png"
browse "$HTML" --hide-scrollbars --screenshot="$B/timeline.png" \
    --window-size=1400,800 > /dev/null
check "a 1400x800 PNG screenshot ($(wc -c < "$B/timeline.png" 2>/dev/null) bytes)" \
    python3 - "$B/timeline.png" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
ok = (b[:8] == b"\x89PNG\r\n\x1a\n" and
    struct.unpack(">II", b[16:24]) == (1400, 800) and len(b) > 10000)
sys.exit(0 if ok else 1)
PY

# 2. Markup in a trace's strings stays text: the page's scripts are its own.
python3 - "$REC" > "$T/evil.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
evil = {"type": "control", "seq": 999999, "t": json.loads(lines[1])["t"],
    "pid": 1, "ctx": 0, "node": "control",
    "detail": "</script><script>document.title='owned'</script><!--"}
print("\n".join(lines[:2] + [json.dumps(evil)] + lines[2:]))
PY
"$CTL" trace timeline "$T/evil.jsonl" -o "$T/evil.html" 2>/dev/null
browse "$T/evil.html" --dump-dom > "$T/dom"
drawn "$T/dom" > "$T/drawn"
check "markup in a field is not run, the page still draws" sh -c \
    "grep -q '^status=drawn$' '$T/drawn' &&
     ! grep -q '<title>owned' '$T/dom' &&
     [ \$(grep -c '<script' '$T/dom') -eq 2 ]"

# 3. Bounded: a long trace keeps its first records and says so.
python3 - "$REC" 60000 > "$T/long.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
hdr, body = lines[0], lines[1:]
n, seq, out, k = int(sys.argv[2]), 1, [json.dumps(hdr)], 0
span = body[-1]["t"] - body[0]["t"] + 1000
while len(out) <= n:
    for l in body:
        l = dict(l)
        l["seq"] = seq
        l["t"] += k * span
        if "ctx" in l:
            l["ctx"] += k * 100
        out.append(json.dumps(l))
        seq += 1
    k += 1
print("\n".join(out[:n + 1]))
PY
"$CTL" trace timeline "$T/long.jsonl" -o "$T/long.html" 2> "$T/tl.err"
check "a 60000-record trace: the first 20000 go in ($(wc -c < "$T/long.html") bytes)" \
    grep -q ": 20000 of 60000 records (the rest left out" "$T/tl.err"
check "the page stays under 16 MiB" [ "$(wc -c < "$T/long.html")" -lt 16777216 ]
t0=$(date +%s%N)
browse "$T/long.html" --dump-dom > "$T/dom"
t1=$(date +%s%N)
drawn "$T/dom" > "$T/drawn"
expect "$T/long.jsonl" 20000 > "$T/want"
check "Chromium drew the long trace's first 20000 records in $(((t1 - t0) / 1000000)) ms" \
    sh -c "grep -q '^status=drawn$' '$T/drawn' &&
	grep -qx \"\$(grep '^calls=' '$T/want')\" '$T/drawn' &&
	grep -qx \"\$(grep '^lifetimes=' '$T/want')\" '$T/drawn'"
check "the page says what it left out" grep -q \
    "shows the first 20000 of 60000 records" "$T/dom"
"$CTL" trace timeline "$REC" -o "$T/cut.html" --max-records 40 2>/dev/null
browse "$T/cut.html" --dump-dom > "$T/dom"
drawn "$T/dom" > "$T/drawn"
expect "$REC" 40 > "$T/want"
check "--max-records 40 draws the first 40 records' calls" sh -c \
    "grep -qx \"\$(grep '^calls=' '$T/want')\" '$T/drawn' &&
     grep -qx \"\$(grep '^lifetimes=' '$T/want')\" '$T/drawn'"

# 4. Bad arguments and files.
check "no -o is a usage error" sh -c \
    "! '$CTL' trace timeline '$REC' 2>/dev/null"
check "--max-records 0 is refused" sh -c \
    "! '$CTL' trace timeline '$REC' -o '$T/x.html' --max-records 0 2>/dev/null"
check "a trace that is not there fails, writing nothing" sh -c \
    "! '$CTL' trace timeline '$T/nothing' -o '$T/y.html' 2>/dev/null &&
     [ ! -e '$T/y.html' ]"
check "a directory it cannot write fails" sh -c \
    "! '$CTL' trace timeline '$REC' -o '$T/no/such/dir.html' 2>/dev/null"
{
	echo 'not json'
	python3 -c 'print("{\"type\":\"control\",\"detail\":\"%s\"}" % ("x" * 1100000))'
	cat "$REC"
} > "$T/bad.jsonl"
"$CTL" trace timeline "$T/bad.jsonl" -o "$T/bad.html" 2>/dev/null
rc=$?
browse "$T/bad.html" --dump-dom > "$T/dom"
check "a bad line and one over 1 MiB: exit 1, the rest drawn, the page says so (exit $rc)" \
    sh -c "[ $rc -eq 1 ] && grep -q 'status=\"drawn\"' '$T/dom' &&
	grep -q '2 unreadable lines skipped' '$T/dom'"

summary
