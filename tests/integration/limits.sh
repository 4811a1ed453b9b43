#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The daemon's limits and its reload, attacked from outside (issue 7, §3):
# every limit filled by a real program under the preload library (the call
# past it gets its errno, changes nothing, the context goes on), the
# 4M-range ALLOW_IOVAS heap amplification, one uid filling its share while
# another uid is served, ioasidctl status showing limits and use, a
# control-group member seeing another uid's addresses hidden, and
# SIGHUP with the configuration turned into a FIFO, /dev/zero and a
# 100 MiB file. Throughout: the daemon stays up, answers other clients
# within a bound, and its memory and descriptors come back to baseline.
#
# usage: tests/integration/limits.sh BUILD_DIR

set -u

OTHER=ioasidd-limits		# a second uid, made here if missing

. "$(dirname "$0")/lib.sh"
test_setup limits "${1:-build}" tests/iommu_limits
PROG=$B/tests/iommu_limits
# The other uid must reach the socket and the programs.
chmod 755 "$T"
CONF=$T/ioasidd.conf
MADE_USER=

# test_setup's clean-up, then the user made here.
limits_cleanup() {
	test_cleanup
	[ -z "$MADE_USER" ] || userdel "$OTHER" 2>/dev/null
}
trap limits_cleanup EXIT

if ! id -u "$OTHER" >/dev/null 2>&1; then
	useradd -r -M -s /usr/sbin/nologin "$OTHER" 2>/dev/null &&
	    MADE_USER=1
fi
OUID=$(id -u "$OTHER" 2>/dev/null)
OGID=$(id -g "$OTHER" 2>/dev/null)

# conf [KEY=VALUE...]: write the configuration, with these [limits]. The
# other uid's group may use the control socket.
conf() {
	{
		printf '[daemon]\nsocket = %s\nsocket-mode = 0666\n' "$SOCK"
		printf 'control-socket = %s\nnode =\nlog-level = info\n' \
		    "$CSOCK"
		[ -z "$OGID" ] || printf 'control-group = %s\n' "$OGID"
		printf '[limits]\n'
		for kv in "$@"; do
			echo "$kv" | sed 's/=/ = /'
		done
	} > "$CONF.new"
	rm -f "$CONF"
	mv "$CONF.new" "$CONF"
}

# reload: SIGHUP, then wait for the daemon to say it is done.
NRELOAD=0
reload() {
	NRELOAD=$((NRELOAD + 1))
	kill -HUP "$PID"
	_i=0
	while [ "$(grep -c 'reloading' "$T/log")" -lt "$NRELOAD" ] ||
	    ! tail -n 1 "$T/log" | grep -q 'no changes\|nothing changed\|->'; do
		_i=$((_i + 1))
		[ $_i -lt 50 ] || return 1
		sleep 0.1
	done
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

rss_kb() {
	awk '/^VmRSS/ { print $2 }' "/proc/$PID/status"
}

nfds() {
	ls "/proc/$PID/fd" | wc -l
}

# limits [USER] ARGS...: iommu_limits under the preload library, as USER
# if given; passes when it exits 0.
limits() {
	_as=
	if [ "$1" = "-u" ]; then
		_as="setpriv --reuid=$2 --regid=$2 --clear-groups"
		shift 2
	fi
	$_as env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" \
	    timeout 120 "$PROG" "$@" > "$T/out" 2>&1
	_rc=$?
	_last=$(tail -n 1 "$T/out")
	if [ $_rc -eq 0 ]; then
		ok "${LABEL:-iommu_limits $*} ($_last)"
	else
		fail "${LABEL:-iommu_limits $*} exited $_rc ($_last)"
		sed 's/^/    /' "$T/out" | grep -v '^    ok' | head -20
	fi
}

# hold [-u UID] ARGS...: the same, left running with its context open;
# succeeds once it said ready (its pid, as it said, is then in HELD).
hold() {
	_as=
	if [ "$1" = "-u" ]; then
		_as="setpriv --reuid=$2 --regid=$2 --clear-groups"
		shift 2
	fi
	_out=$T/hold.$#.$(now_ms)
	$_as env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" \
	    timeout 120 "$PROG" "$@" hold > "$_out" 2>&1 &
	KIDS="$KIDS $!"
	HELD=
	if wait_grep ' failed; ready' "$_out"; then
		HELD=$(sed -n 's/.*; ready \([0-9]*\)$/\1/p' "$_out")
		KIDS="$KIDS $HELD"
		grep -q ' 0 failed; ready' "$_out" && return 0
	fi
	sed 's/^/    /' "$_out" | head -20
	return 1
}

# served: another client is answered within 2 s while all this goes on.
served() {
	_t0=$(now_ms)
	LABEL="another client served $*"
	limits objects 4 none
	LABEL=
	_dt=$(($(now_ms) - _t0))
	check "... within 2 s ($_dt ms)" [ $_dt -lt 2000 ]
}

# status_has PATTERN: ioasidctl status prints a line matching PATTERN.
status_has() {
	"$CTL" -s "$CSOCK" status > "$T/status" 2>&1 &&
	    grep -q -- "$1" "$T/status"
}

# --- start -------------------------------------------------------------

conf context-objects=16 context-areas=200 context-allowed-ranges=64 \
    context-reserved-ranges=32
# Under SANITIZE=1, ASan keeps freed memory in quarantine (256 MiB): the
# transport's buffers for the 64 MiB requests below would look held.
if [ "$LIBS" != "$PRELOAD" ]; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16
	export ASAN_OPTIONS
fi
if ! start_daemon "$CONF" "$T/log" "$SOCK"; then
	sed 's/^/    /' "$T/log"
	give_up "daemon did not start"
fi
ok "daemon started with small limits"
served "at start"
RSS0=$(rss_kb)
FDS0=$(nfds)

# --- each limit, per context ------------------------------------------

limits objects 16 ENOSPC
limits areas 200 ENOMEM
limits allowed 64 ENOMEM
limits reserved 32 ENOMEM
# Reloaded limits apply to the next calls.
conf context-objects=16 context-areas=0 context-bytes=256K
check "reload to a bytes limit" reload
limits bytes 1000 ENOMEM
conf context-areas=300
check "reload to 300 areas" reload
limits areas 300 ENOMEM
check "status shows the limits" \
    status_has '^  max      context *65536 *300 *65536 *4096 '
alive "after every limit"

# --- the heap amplification: 4M allowed ranges, twice -------------------

conf
check "reload to the defaults" reload
check "status shows the default uid limits" \
    status_has '^  max      uid *262144 *4194304 *262144 *16384 *1073741824$'
r0=$(rss_kb)
t0=$(now_ms)
if hold attack 4194304 2 ENOMEM; then
	ok "ALLOW_IOVAS of 4M ranges twice: ENOMEM, set kept, context alive"
else
	fail "ALLOW_IOVAS of 4M ranges twice"
fi
dt=$(($(now_ms) - t0))
ATTACKER=$HELD
r1=$(rss_kb)
# It was 524 MB and 6.6 s before the limits.
check "daemon grew $((r1 - r0)) kB under the attack (at most 16 MiB)" \
    [ $((r1 - r0)) -lt 16384 ]
check "the attack was answered in $dt ms (under 5 s)" [ $dt -lt 5000 ]
served "during the attack"
check "status shows the attacker's context" status_has '^  ctx .*uid 0 '
kill -9 "$ATTACKER"
alive "after the attack"

# --- per uid: one uid full, another served ------------------------------

conf context-areas=600 uid-areas=1000
check "reload to 600 areas a context, 1000 a uid" reload
check "uid 0: a first context maps its 600" hold areas 600 ENOMEM
A=$HELD
check "uid 0: a second context maps the 400 left" hold areas 400 ENOMEM
check "status shows uid 0 at 1000 areas" \
    status_has '^  uid 0 *[0-9]* *1000 '
# Who sees what: uid 0's user addresses, to uid 0 but not the other uid.
CID=$(sed -n 's/^  ctx \([0-9]*\) *uid 0 .*/\1/p' "$T/status" | head -n 1)
check "root sees the user addresses of context $CID" \
    sh -c '"$1" -s "$2" objects "$3" | grep -q "user va 0x"' - \
    "$CTL" "$CSOCK" "$CID"
if [ -n "$OUID" ]; then
	check "the control group sees context $CID, its addresses hidden" \
	    sh -c 'setpriv --reuid="$4" --regid="$5" --clear-groups \
	    "$1" -s "$2" objects "$3" > "$6" 2>&1 &&
	    grep -q "user va hidden" "$6" && ! grep -q "user va 0x" "$6"' - \
	    "$CTL" "$CSOCK" "$CID" "$OUID" "$OGID" "$T/objects.other"
fi
if [ -n "$OUID" ]; then
	LABEL="uid $OUID maps its own 600 meanwhile"
	limits -u "$OUID" areas 600 ENOMEM
	LABEL=
else
	fail "no second uid ($OTHER) to test with"
fi
served "with uid 0 full"
kill -9 "$A"
i=0
while ! status_has '^  uid 0 *[0-9]* *400 ' && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
LABEL="uid 0 gets the first context's share back"
limits areas 600 ENOMEM
LABEL=
for p in $KIDS; do
	kill -9 "$p" 2>/dev/null
done
KIDS=

# --- reload from what is not a configuration file -----------------------

cp "$CONF" "$T/good.conf"
# reload_bad WHAT: SIGHUP with $CONF made WHAT just before.
reload_bad() {
	r0=$(rss_kb)
	t0=$(now_ms)
	kill -HUP "$PID"
	"$CTL" -s "$CSOCK" status > /dev/null 2>&1
	rc=$?
	dt=$(($(now_ms) - t0))
	check "SIGHUP on $1: still answers ($dt ms, under 1 s)" \
	    [ $rc -eq 0 -a $dt -lt 1000 ]
	check "SIGHUP on $1: the log says why" wait_grep "$2" "$T/log"
	check "SIGHUP on $1: the limits stay" \
	    status_has '^  max      uid *262144 *1000 '
	check "SIGHUP on $1: no memory taken ($(($(rss_kb) - r0)) kB)" \
	    [ $(($(rss_kb) - r0)) -lt 4096 ]
	t0=$(now_ms)
	"$CTL" -s "$CSOCK" reload > "$T/reload.out" 2>&1
	rc=$?
	dt=$(($(now_ms) - t0))
	check "ioasidctl reload on $1: refused in $dt ms" \
	    [ $rc -ne 0 -a $dt -lt 1000 ]
}

rm -f "$CONF"
mkfifo "$CONF"
reload_bad "a FIFO" "not a regular file (a FIFO)"
rm -f "$CONF"
ln -s /dev/zero "$CONF"
reload_bad "/dev/zero" "not a regular file (a character device)"
rm -f "$CONF"
truncate -s 100M "$CONF"
reload_bad "a 100 MiB file" "104857600 bytes; a configuration file may have at most 1048576"
rm -f "$CONF"
cp "$T/good.conf" "$CONF"
served "after the bad reloads"

# --- back to baseline ---------------------------------------------------

alive "at the end"
i=0
while [ "$(nfds)" -ne "$FDS0" ] && [ $i -lt 20 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "descriptors back to baseline ($(nfds), were $FDS0)" \
    [ "$(nfds)" -eq "$FDS0" ]
r=$(rss_kb)
check "memory bounded: $((r - RSS0)) kB over baseline (at most 64 MiB)" \
    [ $((r - RSS0)) -lt 65536 ]
stop_daemon
check "exit 0 on SIGTERM" [ $? -eq 0 ]

summary
