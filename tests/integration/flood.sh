#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# One peer trying to exhaust the daemon through its socket transport,
# each attack bounded in count and time (tests/prog/flood.c does the
# attacking and counting): a client that never reads its large replies,
# bulk payloads of 1 GiB on messages that need none, connections that
# never say HELLO (past the per-uid cap, and past the daemon's descriptor
# limit, where the listeners must pause instead of spinning), and the log
# lines all this makes, which must be counted rather than repeated, and
# escaped. One line per test, then "N passed, M failed".
#
# usage: tests/integration/flood.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup flood "${1:-build}" tests/flood
FLOOD=$B/tests/flood
CAP=100

# conf FILE CAP: a configuration on the private sockets.
conf() {
	cat > "$1" <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =
log-level = debug
socket-connections-per-uid = $2
EOF
}

# flood NAME ARGS...: one attack; it passes when the program exits 0.
flood() {
	name=$1
	shift
	env IOASIDD_SOCKET="$SOCK" IOASIDD_PID="$PID" timeout 120 \
	    "$FLOOD" "$@" > "$T/$name.out" 2>&1
	rc=$?
	last=$(tail -n 1 "$T/$name.out")
	if [ $rc -eq 0 ]; then
		ok "$name ($last)"
	else
		fail "$name exited $rc ($last)"
		grep -v '^figure' "$T/$name.out" | sed 's/^/    /' | head -30
	fi
	sed -n 's/^figure: /    /p' "$T/$name.out"
}

# cpu_ticks PID: user + system time so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

conf "$T/ioasidd.conf" $CAP
if start_daemon "$T/ioasidd.conf" "$T/daemon.log" "$SOCK"; then
	ok "daemon listens on $SOCK"
else
	fail "daemon did not create its socket"
	sed 's/^/    /' "$T/daemon.log"
	summary
	exit 1
fi

# --- unread replies ------------------------------------------------------

flood "unread replies on a context and 4 channels" noread 4 100
alive "after unread replies"

# --- bulk payloads -------------------------------------------------------

flood "1 GiB bulk PING, HELLO and lying IOCTL" bulk
alive "after bulk payloads"

# --- connections without HELLO, past the per-uid cap ---------------------

flood "2000 connections without HELLO, cap $CAP" conns 2000 $CAP \
    "timeout 5 $CTL -s $CSOCK status > $T/status.out 2>&1"
alive "after 2000 connections"

# The refusals are one line and a count, not 1900 lines.
n=$(grep -c 'refusing more' "$T/daemon.log")
if [ "$n" -ge 1 ] && [ "$n" -le 3 ] &&
    grep -q 'last message repeated [0-9]* times' "$T/daemon.log"; then
	ok "repeated refusals logged once and counted ($n lines)"
else
	fail "repeated refusals: $n lines"
	grep -m 5 'refusing more' "$T/daemon.log" | sed 's/^/    /'
fi

stop_daemon
rc=$?
check "daemon exits 0 on SIGTERM ($rc)" [ $rc -eq 0 ]
if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
    -e 'runtime error:' "$T/daemon.log"; then
	fail "sanitizer reports in the daemon log"
	grep -A 20 -e 'ERROR:' -e 'runtime error:' "$T/daemon.log" |
	    head -40 | sed 's/^/    /'
else
	ok "daemon log has no sanitizer report"
fi

# --- out of descriptors: the listeners pause -----------------------------

# The daemon may open 96 descriptors; 150 connections without HELLO (the
# cap is out of the way) take them all, and then the control socket is
# asked too. Each listener must pause, not spin: the daemon's CPU time
# over those seconds and its log stay small.
conf "$T/emfile.conf" 1000
cat > "$T/meanwhile.sh" <<EOF
c0=\$(awk '{ print \$14 + \$15 }' /proc/\$IOASIDD_PID/stat)
for i in 1 2 3 4 5; do
	timeout 5 $CTL -s $CSOCK status > /dev/null 2>&1
done
sleep 2
c1=\$(awk '{ print \$14 + \$15 }' /proc/\$IOASIDD_PID/stat)
echo "\$((c1 - c0))" > $T/emfile.ticks
EOF
: > "$T/emfile.log"
(ulimit -n 96 && exec "$DAEMON" -d -f "$T/emfile.conf" \
    >> "$T/emfile.log" 2>&1) &
PID=$!
if wait_for "$SOCK"; then
	ok "daemon with 96 descriptors listens"
	flood "150 connections without HELLO, 96 descriptors" conns 150 1000 \
	    "sh $T/meanwhile.sh"
	ticks=$(cat "$T/emfile.ticks" 2>/dev/null || echo 9999)
	hz=$(getconf CLK_TCK)
	check "out of descriptors, the daemon idles ($ticks ticks of $hz/s)" \
	    [ "$ticks" -lt $((hz / 2)) ]
	n=$(grep -c 'accept' "$T/emfile.log")
	check "out of descriptors, the log stays small ($n accept lines)" \
	    [ "$n" -le 20 ]
	if timeout 5 "$CTL" -s "$CSOCK" status > "$T/status2.out" 2>&1
	then
		ok "control socket answers once descriptors are back"
	else
		fail "control socket: $(head -n 1 "$T/status2.out")"
	fi
	alive "after running out of descriptors"
	stop_daemon
	rc=$?
	check "daemon exits 0 on SIGTERM ($rc)" [ $rc -eq 0 ]
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
	    -e 'runtime error:' "$T/emfile.log"; then
		fail "sanitizer reports in its log"
	else
		ok "its log has no sanitizer report"
	fi
else
	fail "daemon with 96 descriptors did not start"
	sed 's/^/    /' "$T/emfile.log" | head
fi

# --- escaped log lines ---------------------------------------------------

# A configuration path with control bytes is named escaped, on one line.
bad="$T/$(printf 'x\033[31m\nred').conf"
printf '[daemon]\nsocket = relative\n' > "$bad"
"$DAEMON" -n -f "$bad" > "$T/escape.out" 2>&1
if grep -q 'x\\x1b\[31m\\x0ared\.conf:2: socket must be an absolute' \
    "$T/escape.out" && ! grep -q "$(printf '\033')" "$T/escape.out"; then
	ok "a path with control bytes is logged escaped"
else
	fail "path not escaped: $(cat -v "$T/escape.out" | head -n 2)"
fi

summary
