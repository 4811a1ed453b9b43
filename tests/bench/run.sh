#!/bin/sh
# make bench: print the benchmark figures, each with a baseline measured in
# the same run. Medians throughout; the machines are shared and noisy.
#
# usage: tests/bench/run.sh BUILD_DIR [--quick]
set -eu

B=${1:?usage: run.sh BUILD_DIR [--quick]}
QUICK=${2:-}
B=$(cd "$B" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/ioasidd-bench.XXXXXX")
DPID=

cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

echo "== core: map/unmap scaling and memory per mapping"
"$B/bench/bench_map" $QUICK

echo
echo "== core: dirty bitmap harvest (GET_DIRTY_BITMAP's work), 4 KiB pages,"
echo "   against a memset of the same bitmap"
"$B/bench/dirty_bitmap" $QUICK

echo
echo "== core: attach+detach of a mock device against IOAS_ALLOC+DESTROY"
"$B/bench/bench_attach" $QUICK

echo
echo "== core: an edu DMA transfer of 4 KiB through translation (IOVA, HWPT,"
echo "   user address, /proc/<pid>/mem), in process, against memcpy"
"$B/bench/edu_dma" $QUICK

echo
echo "== CUSE node: FUSE round trips per ioctl by command shape (fake kernel)"
if [ -n "$QUICK" ]; then "$B/bench/cuse_rounds" 200; else "$B/bench/cuse_rounds"; fi

echo
echo "== preload path: IOAS_ALLOC+DESTROY per ioctl against a bare ping-pong"
cat > "$T/ioasidd.conf" <<CONF
[daemon]
socket = $T/iommu.sock
control-socket = $T/control.sock
node =
log-level = warn
CONF

start_daemon() {
	$1 "$B/ioasidd" -d -f "$T/ioasidd.conf" 2>"$T/daemon.log" &
	DPID=$!
	i=0
	while [ ! -S "$T/iommu.sock" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "bench: the daemon did not start:" >&2
			cat "$T/daemon.log" >&2
			exit 1
		fi
		sleep 0.05
	done
}

stop_daemon() {
	kill "$DPID"
	wait "$DPID" || true
	DPID=
}

# median of the arguments
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
	    END { print v[int(NR / 2) + 1] }'
}

# Each figure is the median of REPS runs taken in turn with the others, so
# that a burst of load on the machine hits all of them alike.
if [ -n "$QUICK" ]; then N=2000; REPS=1; else N=20000; REPS=3; fi
printf '%-10s %12s %12s %12s %10s %10s %10s %8s\n' placement \
    "ping-pong us" "shaped us" "ioctl us" "ioctl/pp" "shaped/pp" "map us" \
    "map/pp"
for placement in "same CPU" "any CPU"; do
	if [ "$placement" = "same CPU" ]; then
		PIN="taskset -c 0"
	else
		PIN=
	fi
	start_daemon "$PIN"
	bs= ss= is= ms=
	for r in $(seq "$REPS"); do
		bs="$bs $($PIN "$B/bench/pingpong" "$N")"
		ss="$ss $($PIN "$B/bench/pingpong" -s "$N")"
		is="$is $(env LD_PRELOAD="$B/libioasid-preload.so" \
		    IOASIDD_SOCKET="$T/iommu.sock" $PIN "$B/bench/ioctl_rtt" \
		    "$N")"
		ms="$ms $(env LD_PRELOAD="$B/libioasid-preload.so" \
		    IOASIDD_SOCKET="$T/iommu.sock" $PIN "$B/bench/ioctl_rtt" \
		    -m "$N")"
	done
	stop_daemon
	awk -v p="$placement" -v b="$(median $bs)" -v s="$(median $ss)" \
	    -v i="$(median $is)" -v m="$(median $ms)" \
	    'BEGIN { printf "%-10s %12s %12s %12s %9.2fx %9.2fx %10s " \
	    "%7.2fx\n", p, b, s, i, i / b, s / b, m, m / b }'
done
echo "target: ioctl <= 1.3x the ping-pong. shaped: a bare exchange with the"
echo "preload library's message shape (scatter-gather, credentials, control"
echo "message room), the part of the cost that is the kernel's alone."
echo "map: IOAS_MAP+UNMAP of one page; each map carries the caller's memory"
echo "file, which the daemon checks and holds while the mapping lives."

echo
echo "== preload path under concurrency: N processes, each with its own open"
echo "   of /dev/iommu, IOAS_ALLOC+DESTROY at once, on any CPU"
# Each level runs about the same number of ioctls in all.
if [ -n "$QUICK" ]; then TOTAL=1000; else TOTAL=10000; fi
start_daemon ""
base=$("$B/bench/pingpong" "$N")
printf '%-8s %12s %10s %14s %12s %10s\n' clients "latency us" "x 1-client" \
    "ioctls/s" "cost us" "x pp"
one=
for c in 1 2 8 64; do
	out=$(env LD_PRELOAD="$B/libioasid-preload.so" \
	    IOASIDD_SOCKET="$T/iommu.sock" "$B/bench/conc" "$c" \
	    $(( (TOTAL + c - 1) / c )) 5)
	set -- $out
	[ -n "$one" ] || one=$1
	awk -v c="$c" -v l="$1" -v t="$2" -v k="$3" -v o="$one" -v b="$base" \
	    'BEGIN { printf "%-8s %12.2f %9.2fx %14.0f %12.2f %9.2fx\n",
	    c, l, l / o, t, k, k / b }'
done
stop_daemon
echo "ping-pong baseline (same run): $base us per round trip"
echo "latency: median per ioctl as one client sees it; cost: wall time over"
echo "all ioctls, the inverse of the throughput"

echo
echo "== KVM: KVM_SET_DEVICE_ATTR FILE_ADD+DEL of an emulated device, which the"
echo "   preload library answers and tells the daemon, against the same call"
echo "   on a descriptor not a device (passed to the kernel) and a bare one"
cat >> "$T/ioasidd.conf" <<CONF

[device nic0]
rid = 00:01.0
CONF
start_daemon ""
if [ -n "$QUICK" ]; then KN=2000; else KN=20000; fi
set -- $(env LD_PRELOAD="$B/libioasid-preload.so" \
    IOASIDD_SOCKET="$T/iommu.sock" "$B/bench/kvm_attr" "$KN" 5)
stop_daemon
printf '%-14s %14s %12s %10s\n' "device us" "passed us" "bare us" \
    "dev/bare"
awk -v d="$1" -v p="$2" -v b="$3" \
    'BEGIN { printf "%-14s %14s %12s %9.2fx\n", d, p, b, d / b }'
echo "device: ADD or DEL answered by the library, one daemon round trip"
echo "each; passed: what the check costs a call that is the kernel's"

echo
echo "== preload path: an edu device's BAR0 and DMA engine, against a bare"
echo "   ping-pong and VFIO_DEVICE_GET_INFO in the same run, on any CPU"
# The daemon's second device (the KVM section's nic0 is the first): vfio1.
cat >> "$T/ioasidd.conf" <<CONF

[device edu0]
rid = 00:03.0
function = edu
CONF
start_daemon ""
bs= gs= rs= fs= ts= cs=
for r in $(seq "$REPS"); do
	bs="$bs $("$B/bench/pingpong" "$N")"
	set -- $(env LD_PRELOAD="$B/libioasid-preload.so" \
	    IOASIDD_SOCKET="$T/iommu.sock" "$B/bench/edu_rtt" \
	    /dev/vfio/devices/vfio1 $((N / 4)))
	rs="$rs $1" gs="$gs $2" fs="$fs $3" ts="$ts $4" cs="$cs $5"
done
stop_daemon
awk -v b="$(median $bs)" -v g="$(median $gs)" -v r="$(median $rs)" \
    -v f="$(median $fs)" -v t="$(median $ts)" -v c="$(median $cs)" 'BEGIN {
	printf "%-40s %10.2f us\n", "ping-pong", b
	printf "%-40s %10.2f us %7.2fx pp\n", "VFIO_DEVICE_GET_INFO", g, g / b
	printf "%-40s %10.2f us %7.2fx pp %6.2fx GET_INFO\n",
	    "BAR0 read (pread, 4 bytes)", r, r / b, r / g
	printf "%-40s %10.2f us %7.0f MB/s %7.0fx memcpy\n",
	    "edu DMA 4 KiB, memory to edu", f, 4096 / f, f / c
	printf "%-40s %10.2f us %7.0f MB/s %7.0fx memcpy\n",
	    "edu DMA 4 KiB, edu to memory", t, 4096 / t, t / c
	printf "%-40s %10.3f us %7.0f MB/s\n", "memcpy 4 KiB", c, 4096 / c
}'
echo "a transfer is four BAR0 writes (source, destination, count, command)"
echo "and a read of the command register that finds it done: five round"
echo "trips, as a guest driver polling the engine makes them."
echo "== the JSON trace: per ioctl through the preload path, trace on against"
echo "   off, alternating in one daemon (ioasidctl trace on/off between runs)"
cat > "$T/ioasidd.conf" <<CONF
[daemon]
socket = $T/iommu.sock
control-socket = $T/control.sock
node =
log-level = warn
[trace]
enabled = no
path = $T/trace.jsonl
max-size = 16M
rotate = 1
CONF
start_daemon ""
offs= ons= moffs= mons=
for r in $(seq "$REPS"); do
	"$B/ioasidctl" -s "$T/control.sock" trace off >/dev/null
	offs="$offs $(env LD_PRELOAD="$B/libioasid-preload.so" \
	    IOASIDD_SOCKET="$T/iommu.sock" "$B/bench/ioctl_rtt" "$N")"
	moffs="$moffs $(env LD_PRELOAD="$B/libioasid-preload.so" \
	    IOASIDD_SOCKET="$T/iommu.sock" "$B/bench/ioctl_rtt" -m "$N")"
	"$B/ioasidctl" -s "$T/control.sock" trace on >/dev/null
	ons="$ons $(env LD_PRELOAD="$B/libioasid-preload.so" \
	    IOASIDD_SOCKET="$T/iommu.sock" "$B/bench/ioctl_rtt" "$N")"
	mons="$mons $(env LD_PRELOAD="$B/libioasid-preload.so" \
	    IOASIDD_SOCKET="$T/iommu.sock" "$B/bench/ioctl_rtt" -m "$N")"
done
dropped=$("$B/ioasidctl" -s "$T/control.sock" --json trace status |
    sed 's/.*"dropped": *\([0-9]*\).*/\1/')
"$B/ioasidctl" -s "$T/control.sock" trace off >/dev/null
stop_daemon
printf '%-16s %10s %10s %8s\n' command "off us" "on us" "on/off"
awk -v a="$(median $offs)" -v b="$(median $ons)" 'BEGIN {
    printf "%-16s %10s %10s %7.2fx\n", "alloc+destroy", a, b, b / a }'
awk -v a="$(median $moffs)" -v b="$(median $mons)" 'BEGIN {
    printf "%-16s %10s %10s %7.2fx\n", "map+unmap", a, b, b / a }'
echo "records dropped (queue full): ${dropped:-?}"
# The trace the runs wrote, against proto/trace-schema.json.
for py in python3 /usr/bin/python3 ""; do
	[ -n "$py" ] && "$py" -c 'import jsonschema' 2>/dev/null && break
done
if [ -n "$py" ]; then
	echo "trace written: $("$py" "$(dirname "$0")/../../scripts/trace-validate.py" \
	    "$T"/trace.jsonl* | tail -n 1) against the schema"
else
	echo "trace written: not validated (no python3 with jsonschema)"
fi
echo "target: on <= 1.15x off. A call copies its bytes into the queue; the"
echo "writer thread encodes and writes them, batch after batch."

echo
echo "== replay: a recorded session (tests/bench/replay_calls: IOAS_ALLOC,"
echo "   MAP, IOVA_RANGES, UNMAP, DESTROY) replayed in process (--offline),"
echo "   and through the socket against the same calls issued directly"
if [ -n "$QUICK" ]; then RN=2000; else RN=20000; fi
start_daemon ""
"$B/ioasidctl" -s "$T/control.sock" record --socket "$T/iommu.sock" \
    --preload "$B/libioasid-preload.so" -o "$T/replay.jsonl" -- \
    "$B/bench/replay_calls" "$RN" >/dev/null 2>"$T/record.err" || {
	cat "$T/record.err" >&2
	exit 1
}
# replay_rate ARGS...: calls/s of the calls alone, then of the whole
# replay from the file (reading and parsing it as the calls go).
replay_rate() {
	"$B/ioasidctl" replay --time "$@" "$T/replay.jsonl" |
	    sed -n 's/^replay: .* s, \([0-9]*\) calls\/s; with loading .* s, \([0-9]*\) calls\/s$/\1 \2/p'
}
dirs= socks= offs= offalls= ratios= fileratios=
for r in $(seq "$REPS"); do
	d=$(env LD_PRELOAD="$B/libioasid-preload.so" \
	    IOASIDD_SOCKET="$T/iommu.sock" "$B/bench/replay_calls" "$RN" |
	    awk '{ print $2 }')
	set -- $(replay_rate --socket "$T/iommu.sock")
	s=$1
	set -- $(replay_rate --offline)
	dirs="$dirs $d" socks="$socks $s" offs="$offs $1" offalls="$offalls $2"
	ratios="$ratios $(awk -v s="$s" -v d="$d" \
	    'BEGIN { printf "%.1f", 100 * s / d }')"
	fileratios="$fileratios $(awk -v a="$2" -v o="$1" \
	    'BEGIN { printf "%.1f", 100 * a / o }')"
done
stop_daemon
printf '%-34s %12s\n' "$((RN * 5)) calls" "calls/s"
printf '%-34s %12s\n' "issued directly (libioasid)" "$(median $dirs)"
printf '%-34s %12s %7s%%\n' "replayed through the socket" "$(median $socks)" \
    "$(median $ratios)"
printf '%-34s %12s\n' "replayed offline, calls alone" "$(median $offs)"
printf '%-34s %12s %7s%%\n' "replayed offline, file -> replay" \
    "$(median $offalls)" "$(median $fileratios)"
echo "targets: offline from the file >= 300000 calls/s; the socket >= 80%"
echo "of direct (ratios are taken within each round). \"file -> replay\" is"
echo "the replay as a user runs it, reading and parsing the file (a thread"
echo "parses ahead while the calls go), as a percentage of the calls alone:"
echo "the replay's own time, less its waits for parsed lines."

echo
echo "== QEMU 10 under TCG: guest boot time with ioasidd's edu device passed"
echo "   through (vfio-pci over iommufd) against the same guest without it"
if [ -n "$QUICK" ]; then BOOTS=1; else BOOTS=5; fi
sh "$(dirname "$0")/../qemu/boot.sh" "$B" "$BOOTS" ||
    echo "bench: no boot figure (the line above says why)"
