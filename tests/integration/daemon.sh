#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The daemon as a whole: options, configuration checks, start-up on temporary
# sockets, ioasidctl against it, reload on SIGHUP, and a clean exit on SIGTERM
# that leaves no socket behind.
#
# usage: tests/integration/daemon.sh BUILD_DIR

set -u

B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
DAEMON=$B/ioasidd
CTL=$B/ioasidctl
CONF=$(dirname "$0")/../../ioasidd.conf

T=$(mktemp -d /tmp/ioasidd-daemon.XXXXXX)
PID=
passes=0
fails=0

cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() {
	echo "ok: $*"
	passes=$((passes + 1))
}

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# check DESCRIPTION COMMAND...: pass when the command exits 0.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# Wait up to 5 s for a file to appear (or, with "!", to go).
wait_for() {
	i=0
	while [ $i -lt 50 ]; do
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

# Wait up to 5 s for the daemon's log to contain a string.
wait_log() {
	i=0
	while [ $i -lt 50 ]; do
		grep -q -- "$1" "$T/log" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

[ -x "$DAEMON" ] || { echo "FAIL: no $DAEMON"; exit 1; }
[ -x "$CTL" ] || { echo "FAIL: no $CTL"; exit 1; }

# --- options -----------------------------------------------------------
out=$("$DAEMON" --help); rc=$?
check "--help exits 0" [ $rc -eq 0 ]
check "--help prints usage on stdout" \
    sh -c 'echo "$1" | grep -q "^usage: ioasidd"' - "$out"
"$DAEMON" -Z >"$T/out" 2>&1; rc=$?
check "a bad option exits 1" [ $rc -eq 1 ]
check "a bad option prints usage on stderr" grep -q "^usage: ioasidd" "$T/out"
out=$("$DAEMON" -V)
check "-V prints the version" \
    sh -c 'echo "$1" | grep -q "^ioasidd [0-9]"' - "$out"

# --- configuration check ------------------------------------------------
out=$("$DAEMON" -n -f "$CONF" 2>&1); rc=$?
check "-n accepts the shipped ioasidd.conf" \
    sh -c '[ $1 -eq 0 ] && [ "$2" = "configuration OK" ]' - $rc "$out"

cat >"$T/bad.conf" <<EOF
[daemon]
socket = relative.sock
log-level = loud
[nosuch]
EOF
"$DAEMON" -n -f "$T/bad.conf" >"$T/out" 2>&1; rc=$?
check "-n rejects a broken file with exit 1" [ $rc -eq 1 ]
check "the message names file:line of the bad path" \
    grep -q "^$T/bad.conf:2: socket must be an absolute path" "$T/out"
check "every error is reported (line 3)" \
    grep -q "^$T/bad.conf:3: log-level must be one of" "$T/out"
check "every error is reported (line 4)" \
    grep -q "^$T/bad.conf:4: unknown section \[nosuch\]" "$T/out"

"$DAEMON" -n -f "$T/missing.conf" >"$T/out" 2>&1; rc=$?
check "-n on a missing file exits 1 and says so" \
    sh -c '[ $1 -eq 1 ] && grep -q "No such file" "$2"' - $rc "$T/out"

# --- a running daemon ---------------------------------------------------
SOCK=$T/iommu.sock
CSOCK=$T/control.sock
cat >"$T/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
control-socket = $CSOCK
log-level = info
EOF

"$DAEMON" -d -f "$T/ioasidd.conf" >"$T/log" 2>&1 &
PID=$!
if wait_for "$CSOCK" && wait_for "$SOCK"; then
	ok "the daemon made both sockets"
else
	fail "the daemon did not come up"
	cat "$T/log"
	exit 1
fi
check "the start-up line tells how to point a program at the socket" \
    grep -q "IOASIDD_SOCKET=$SOCK" "$T/log"

out=$("$CTL" -s "$CSOCK" status 2>&1); rc=$?
check "ioasidctl status exits 0" [ $rc -eq 0 ]
check "ioasidctl status names the socket transport" \
    sh -c 'echo "$1" | grep -q "socket  *$2"' - "$out" "$SOCK"
check "ioasidctl status counts no contexts" \
    sh -c 'echo "$1" | grep -q "^contexts: 0"' - "$out"

out=$(IOASIDD_CONTROL=$CSOCK "$CTL" --json status); rc=$?
check "ioasidctl --json status is one JSON reply saying ok" \
    sh -c '[ $1 -eq 0 ] && echo "$2" | grep -q "^{\"ok\":true,.*\"pid\":$3"' \
    - $rc "$out" "$PID"

"$CTL" -s "$CSOCK" objects 999 >"$T/out" 2>&1; rc=$?
check "ioasidctl objects on an unknown context fails cleanly" \
    sh -c '[ $1 -eq 1 ] && grep -q "no context 999" "$2"' - $rc "$T/out"

"$CTL" -s "$T/nothing.sock" status >"$T/out" 2>&1; rc=$?
check "ioasidctl without a daemon says so and exits 1" \
    sh -c '[ $1 -eq 1 ] && grep -q "cannot connect.*is ioasidd running" "$2"' \
    - $rc "$T/out"

# Garbage on the control socket gets an error reply, not a crash.
if command -v python3 >/dev/null 2>&1; then
	python3 - "$CSOCK" >"$T/out" 2>&1 <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'not json\n{"cmd":"status","bogus":1}\n{"cmd":"nosuch"}\n')
f = s.makefile("rb")
for _ in range(3):
    print(f.readline().decode().strip())
s.sendall(b"x" * 70000)
print(f.readline().decode().strip())
EOF
	check "bad JSON gets an EINVAL reply" grep -q '"errno":"EINVAL".*bad JSON' "$T/out"
	check "an unknown argument is refused" grep -q 'bad arguments' "$T/out"
	check "an unknown command is refused" grep -q '"errno":"EOPNOTSUPP"' "$T/out"
	check "an overlong request is refused" grep -q '"errno":"E2BIG"' "$T/out"
	check "the daemon survived it" \
	    sh -c '"$1" -s "$2" status >/dev/null' - "$CTL" "$CSOCK"
fi

# A program holding an open context with one IOAS shows in status and objects.
if command -v python3 >/dev/null 2>&1 && [ -e "$B/libioasid-preload.so" ]; then
	# A sanitized preload library needs the sanitizer runtime first.
	LIBS=$B/libioasid-preload.so
	ASANLIB=$(ldd "$LIBS" 2>/dev/null | awk '/libasan/ { print $3 }')
	[ -n "$ASANLIB" ] && LIBS="$ASANLIB $LIBS"
	ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD=$LIBS IOASIDD_SOCKET=$SOCK \
	    python3 -c '
import fcntl, os, struct, sys, time
fd = os.open("/dev/iommu", os.O_RDWR)
buf = bytearray(struct.pack("III", 12, 0, 0))
fcntl.ioctl(fd, 0x3b81, buf)	# IOMMU_IOAS_ALLOC
open(sys.argv[1], "w").close()
time.sleep(5)' "$T/held" &
	HOLDER=$!
	wait_for "$T/held"
	out=$("$CTL" -s "$CSOCK" status)
	check "status lists the open context and its ioas" \
	    sh -c 'echo "$1" | grep -q "^  [0-9][0-9]*  *socket  *$2  *1  *ioas 1"' \
	    - "$out" "$HOLDER"
	ctx=$(echo "$out" | awk '$2 == "socket" && $3 == "'$HOLDER'" { print $1 }')
	out=$("$CTL" -s "$CSOCK" objects "$ctx")
	check "objects lists the ioas of that context" \
	    sh -c 'echo "$1" | grep -q "^  1  *ioas  *1$"' - "$out"
	kill "$HOLDER" 2>/dev/null
	wait "$HOLDER" 2>/dev/null
fi

# --- reload -------------------------------------------------------------
sed -i 's/^log-level = info/log-level = debug/' "$T/ioasidd.conf"
echo "socket-mode = 0600" >>"$T/ioasidd.conf"
kill -HUP "$PID"
check "SIGHUP applies the new log level" wait_log "log-level: info -> debug"
check "SIGHUP says which change needs a restart" \
    wait_log "socket-mode changed (0660 -> 0600); restart ioasidd"
out=$("$CTL" -s "$CSOCK" status)
check "status shows the reloaded log level" \
    sh -c 'echo "$1" | grep -q "log level debug"' - "$out"

out=$("$CTL" -s "$CSOCK" log-level warn); rc=$?
check "ioasidctl log-level sets the level" \
    sh -c '[ $1 -eq 0 ] && echo "$2" | grep -q "log level warn (was debug)"' \
    - $rc "$out"
out=$("$CTL" -s "$CSOCK" reload); rc=$?
check "ioasidctl reload reports what needs a restart" \
    sh -c '[ $1 -eq 0 ] && echo "$2" | grep -q "needs a restart: socket-mode"' \
    - $rc "$out"

echo "log-level = loud" >>"$T/ioasidd.conf"
"$CTL" -s "$CSOCK" reload >"$T/out" 2>&1; rc=$?
check "a reload of a broken file fails and changes nothing" \
    sh -c '[ $1 -eq 1 ] && grep -q "nothing changed" "$2"' - $rc "$T/out"

# --- shutdown -----------------------------------------------------------
kill -TERM "$PID"
wait "$PID"; rc=$?
PID=
check "SIGTERM exits 0" [ $rc -eq 0 ]
check "the socket is gone" [ ! -e "$SOCK" ]
check "the control socket is gone" [ ! -e "$CSOCK" ]
if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/log"; then
	fail "the sanitizers reported something"
	cat "$T/log"
else
	ok "no sanitizer reports"
fi

# --- start-up errors ----------------------------------------------------
# A directory that cannot be made, even by root: a file is in the way.
sed -i '$d' "$T/ioasidd.conf"
: >"$T/file"
timeout 10 "$DAEMON" -d -f "$T/ioasidd.conf" -o socket="$T/file/iommu.sock" >"$T/out" 2>&1; rc=$?
check "a socket that cannot be made exits 1 naming the remedy" \
    sh -c '[ $1 -eq 1 ] && grep -q "socket = \.\.\." "$2"' - $rc "$T/out"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
