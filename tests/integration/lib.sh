# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# What the test scripts share, sourced by them (and copied into the guest
# test's initramfs, so it stays plain POSIX sh that busybox runs): the
# pass/fail counts and the closing "N passed, M failed" line that
# tests/integration/run.sh adds up, waits with a time limit, and starting
# and stopping a daemon as $PID.
#
# A script may set WAIT_TENTHS (how long a wait lasts, in tenths of a
# second; 200 unless set: a wait ends as soon as it is met, so only a
# loaded machine comes near it) and redefine report() (how one result is
# shown).

passes=0
fails=0
PID=
: "${WAIT_TENTHS:=200}"

# report WORD TEXT: show one result (WORD is ok or FAIL).
report() {
	echo "$1: $2"
}

ok() {
	report ok "$*"
	passes=$((passes + 1))
}

fail() {
	report FAIL "$*"
	fails=$((fails + 1))
}

# check DESCRIPTION COMMAND...: pass when the command exits 0.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# alive TEXT: pass while the daemon ($PID) still runs.
alive() {
	check "daemon still running $*" kill -0 "$PID" 2>/dev/null
}

# summary: the closing line; the status is 1 when anything failed.
summary() {
	echo "$passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}

# give_up TEXT: fail before any test could run.
give_up() {
	echo "FAIL: $*"
	echo "0 passed, 1 failed"
	exit 1
}

# wait_for PATH, or wait_for ! PATH: wait for PATH to appear, or to go.
wait_for() {
	i=0
	while [ $i -lt "$WAIT_TENTHS" ]; do
		if [ "$1" = "!" ]; then
			[ -e "$2" ] || return 0
		else
			[ -e "$1" ] && return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_grep PATTERN FILE: wait for FILE to contain PATTERN.
wait_grep() {
	i=0
	while [ $i -lt "$WAIT_TENTHS" ]; do
		grep -q -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# test_setup NAME BUILD_DIR [FILE...]: the start every daemon test shares:
# B (BUILD_DIR made absolute), DAEMON, CTL and PRELOAD in it, LIBS for
# LD_PRELOAD, a temporary directory T with the paths SOCK and CSOCK for
# the sockets, and on exit the daemon ($PID) stopped, the processes in
# KIDS killed and T removed (kept when KEEP is set, to look into after a
# failure). Gives up unless the daemon, ioasidctl, the
# preload library and every FILE (a path in BUILD_DIR) are built.
test_setup() {
	_name=$1 B=$2
	shift 2
	case $B in /*) ;; *) B=$(pwd)/$B ;; esac
	DAEMON=$B/ioasidd
	CTL=$B/ioasidctl
	PRELOAD=$B/libioasid-preload.so
	KIDS=
	T=$(mktemp -d "/tmp/ioasidd-$_name.XXXXXX") || give_up "no mktemp"
	SOCK=$T/iommu.sock
	CSOCK=$T/control.sock
	trap test_cleanup EXIT
	trap 'exit 1' INT TERM
	for _f in ioasidd ioasidctl libioasid-preload.so "$@"; do
		[ -e "$B/$_f" ] || give_up "$B/$_f is not built"
	done
	LIBS=$(preload_libs "$PRELOAD")
}

# test_cleanup: what test_setup has run on exit.
test_cleanup() {
	# shellcheck disable=SC2086 # KIDS is a list of pids
	[ -z "$KIDS" ] || kill -9 $KIDS 2>/dev/null
	stop_daemon KILL 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}

# preload_libs LIBRARY: the LD_PRELOAD value for LIBRARY. Under
# SANITIZE=1 the sanitizer runtime must be loaded before anything else,
# so it goes first.
preload_libs() {
	asan=$(ldd "$1" 2>/dev/null | awk '/libasan/ { print $3 }')
	echo "${asan:+$asan }$1"
}

# start_daemon CONF LOG SOCKET [OPTION...]: run $DAEMON in the foreground
# on CONF in the background as $PID, its output in LOG, with any further
# options; succeed once SOCKET exists.
start_daemon() {
	_conf=$1 _log=$2 _sock=$3
	shift 3
	# Empty the log now, not when the background shell gets to it, so
	# that a wait on it never sees an earlier daemon's lines.
	: >"$_log"
	"$DAEMON" -d -f "$_conf" "$@" >>"$_log" 2>&1 &
	PID=$!
	wait_for "$_sock"
}

# stop_daemon [SIGNAL]: signal $PID (TERM unless given), wait for it and
# return its exit status; nothing when no daemon runs. A daemon still there
# after 20 s is killed and 124 returned, so that a lost signal fails a
# check instead of hanging the run.
stop_daemon() {
	[ -n "$PID" ] || return 0
	kill "-${1:-TERM}" "$PID" 2>/dev/null
	_i=0
	while kill -0 "$PID" 2>/dev/null; do
		_i=$((_i + 1))
		if [ $_i -gt 200 ]; then
			echo "stop_daemon: pid $PID ignored SIG${1:-TERM}" >&2
			kill -KILL "$PID" 2>/dev/null
			wait "$PID"
			PID=
			return 124
		fi
		# A zombie answers kill -0 until it is waited for.
		[ -e "/proc/$PID/status" ] &&
		    grep -q '^State:.*Z' "/proc/$PID/status" 2>/dev/null && break
		sleep 0.1
	done
	wait "$PID"
	rc=$?
	PID=
	return $rc
}

# trace_python: a python3 that has jsonschema (Debian's python3-jsonschema,
# which scripts/deps.sh installs, may not be the first python3 on PATH),
# or nothing.
trace_python() {
	for _py in python3 /usr/bin/python3; do
		if "$_py" -c 'import jsonschema' 2>/dev/null; then
			echo "$_py"
			return 0
		fi
	done
	return 1
}

# trace_valid TRACE...: one check that every line of the traces is valid
# against proto/trace-schema.json (scripts/trace-validate.py), SRC being
# the source tree; the validator's first complaints on a failure.
trace_valid() {
	_tvpy=$(trace_python) || {
		fail "$(basename "$1"): no python3 with jsonschema to validate it"
		return
	}
	_tvout=$("$_tvpy" "$SRC/scripts/trace-validate.py" "$@" 2>&1)
	if [ $? -eq 0 ]; then
		ok "$(basename "$1") valid against the schema" \
		    "($(echo "$_tvout" | tail -n 1))"
	else
		fail "$(basename "$1") not valid against the schema"
		echo "$_tvout" | head -n 10 | sed 's/^/    /'
	fi
}
