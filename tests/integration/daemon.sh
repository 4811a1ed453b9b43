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

. "$(dirname "$0")/lib.sh"
test_setup daemon "${1:-build}"
CONF=$(dirname "$0")/../../ioasidd.conf

# Wait up to 5 s for the daemon's log to contain a string.
wait_log() {
	wait_grep "$1" "$T/log"
}

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
cat >"$T/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
control-socket = $CSOCK
node =
log-level = info
EOF

if start_daemon "$T/ioasidd.conf" "$T/log" "$CSOCK" && wait_for "$SOCK"; then
	ok "the daemon made both sockets"
else
	fail "the daemon did not come up"
	cat "$T/log"
	exit 1
fi
check "the start-up line tells how to point a program at the socket" \
    grep -q "IOASIDD_SOCKET=$SOCK" "$T/log"

# A control client that sends half a line, and one that sends nothing,
# are dropped once 30 s pass without a whole line. They wait in the
# background while the tests below run; their verdict is read before the
# reload.
SLOW_PID=
if command -v python3 >/dev/null 2>&1; then
	python3 - "$CSOCK" >"$T/slow.out" 2>&1 <<'EOF' &
import socket, sys, time
def conn(first):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(sys.argv[1])
    if first:
        s.sendall(first)
    return s
def wait_end(s, t0):
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    return time.monotonic() - t0, data.decode().strip()
t0 = time.monotonic()
half = conn(b'{"cmd":"sta')
silent = conn(None)
for name, s in (("half", half), ("silent", silent)):
    took, reply = wait_end(s, t0)
    print("%s %d %s" % (name, int(took), reply))
EOF
	SLOW_PID=$!
fi

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

# A program holding an open context shows in status and objects: two
# IOASes, the first with an allowed range and two mappings of its memory.
if command -v python3 >/dev/null 2>&1; then
	ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD=$LIBS IOASIDD_SOCKET=$SOCK \
	    python3 -c '
import ctypes, fcntl, mmap, os, struct, sys, time
fd = os.open("/dev/iommu", os.O_RDWR)
def ioas_alloc():
	buf = bytearray(struct.pack("III", 12, 0, 0))
	fcntl.ioctl(fd, 0x3b81, buf)		# IOMMU_IOAS_ALLOC
	return struct.unpack("III", buf)[2]
ioas = ioas_alloc()
rng = ctypes.create_string_buffer(struct.pack("QQ", 0x100000, 0x1fffffff))
buf = bytearray(struct.pack("IIIIQ", 24, ioas, 1, 0, ctypes.addressof(rng)))
fcntl.ioctl(fd, 0x3b82, buf)			# IOMMU_IOAS_ALLOW_IOVAS
mem = mmap.mmap(-1, 0x10000)
va = ctypes.addressof(ctypes.c_char.from_buffer(mem))
# IOMMU_IOAS_MAP: 64 KiB read-write at 0x100000, 4 KiB read-only anywhere
fcntl.ioctl(fd, 0x3b85, bytearray(struct.pack("IIIIQQQ", 40, 1 | 2 | 4,
    ioas, 0, va, 0x10000, 0x100000)))
fcntl.ioctl(fd, 0x3b85, bytearray(struct.pack("IIIIQQQ", 40, 4, ioas, 0,
    va + 0x1000, 0x1000, 0)))
ioas_alloc()
open(sys.argv[1], "w").write("%x\n" % va)
time.sleep(60)' "$T/held" &
	HOLDER=$!
	wait_for "$T/held" && sleep 0.2
	VA=$(cat "$T/held")
	out=$("$CTL" -s "$CSOCK" status)
	check "status lists the open context and its ioas" \
	    sh -c 'echo "$1" | grep -q "^  [0-9][0-9]*  *socket  *$2  *[0-9]*  *ioas 2"' \
	    - "$out" "$HOLDER"
	ctx=$(echo "$out" | awk '$2 == "socket" && $3 == "'$HOLDER'" { print $1 }')
	out=$("$CTL" -s "$CSOCK" objects)
	check "objects without a context lists the contexts" \
	    sh -c 'echo "$1" | grep -q "^$2  *socket  *$3  *[0-9]*  *ioas 2$"' \
	    - "$out" "$ctx" "$HOLDER"
	"$CTL" -s "$CSOCK" objects "$ctx" >"$T/objs"; rc=$?
	check "objects CTX exits 0" [ $rc -eq 0 ]
	check "objects CTX names the context and its opener" \
	    grep -q "^context $ctx (socket, opened by pid $HOLDER): 2 objects" \
	    "$T/objs"
	check "objects CTX shows both IOASes" \
	    sh -c 'grep -q "^|- ioas 1 (users 1)" "$1" &&
	    grep -q "^\`- ioas 2 (users 1)" "$1"' - "$T/objs"
	check "objects CTX counts the mappings of the first IOAS" \
	    grep -q "^|  |- mappings: 2$" "$T/objs"
	check "objects CTX shows the fixed mapping with its length, rights, VA" \
	    grep -q "^|  |  |- 0x100000 +64 KiB rw user va 0x$VA$" "$T/objs"
	check "objects CTX shows the read-only mapping" \
	    sh -c 'grep -q "^|  |  \`- 0x[0-9a-f]* +4 KiB r  user va 0x$2$" "$1"' \
	    - "$T/objs" "$(printf %x $((0x$VA + 0x1000)))"
	check "objects CTX shows the allowed range" \
	    grep -q "^|     \`- 0x100000 - 0x1fffffff$" "$T/objs"
	check "objects CTX shows the second IOAS empty" \
	    sh -c 'grep -q "^   |- mappings: none$" "$1" &&
	    grep -q "^   \`- allowed: any" "$1"' - "$T/objs"
	out=$("$CTL" -s "$CSOCK" --json objects "$ctx")
	check "objects --json gives the areas with hexadecimal addresses" \
	    sh -c 'echo "$1" | grep -q "\"nareas\":2,\"areas\":\[{\"iova\":\"0x100000\",\"length\":\"0x10000\",\"prot\":\"rw\",\"kind\":\"user\",\"addr\":\"0x$2\"}"' \
	    - "$out" "$VA"
	kill "$HOLDER" 2>/dev/null
	wait "$HOLDER" 2>/dev/null
fi

# --- ioasidctl's help and errors ----------------------------------------
out=$("$CTL" help); rc=$?
check "ioasidctl help lists every command" \
    sh -c '[ $1 -eq 0 ] && for c in status objects log-level reload help; do
    echo "$2" | grep -q "^  $c" || exit 1; done' - $rc "$out"
out=$("$CTL" objects --help); rc=$?
check "ioasidctl objects --help explains the command on stdout" \
    sh -c '[ $1 -eq 0 ] && echo "$2" | grep -q "^usage: .*objects \[CTX\]" &&
    echo "$2" | grep -q "object graph\|as a tree"' - $rc "$out"
out=$("$CTL" help reload); rc=$?
check "ioasidctl help reload is the same as reload --help" \
    sh -c '[ $1 -eq 0 ] && [ "$2" = "$("$3" reload --help)" ]' - $rc "$out" "$CTL"
"$CTL" -s "$CSOCK" objects x >"$T/out" 2>&1; rc=$?
check "a context that is not a number is refused before asking" \
    sh -c '[ $1 -eq 1 ] && grep -q "objects: \"CTX\" is a context number" "$2" &&
    grep -q "^usage: ioasidctl objects" "$2"' - $rc "$T/out"
"$CTL" -s "$CSOCK" status extra >"$T/out" 2>&1; rc=$?
check "an extra argument is refused" \
    sh -c '[ $1 -eq 1 ] && grep -q "status: too many arguments" "$2"' \
    - $rc "$T/out"
"$CTL" -s "$CSOCK" status --json >"$T/out" 2>&1; rc=$?
check "an option after the command says where options go" \
    sh -c '[ $1 -eq 1 ] && grep -q "go before the command" "$2"' - $rc "$T/out"
"$CTL" nosuch >"$T/out" 2>&1; rc=$?
check "an unknown command is refused with the list" \
    sh -c '[ $1 -eq 1 ] && grep -q "unknown command \"nosuch\"" "$2" &&
    grep -q "^  log-level" "$2"' - $rc "$T/out"
"$CTL" help nosuch >"$T/out" 2>&1; rc=$?
check "help on an unknown command fails" [ $rc -eq 1 ]

if [ -n "$SLOW_PID" ]; then
	wait "$SLOW_PID"
	check "half a control line is dropped after 30 s with ETIMEDOUT" \
	    grep -Eq '^half (29|3[0-9]) .*"errno":"ETIMEDOUT".*no whole request line' \
	    "$T/slow.out"
	check "a silent control connection is dropped after 30 s too" \
	    grep -Eq '^silent (29|3[0-9]) .*"errno":"ETIMEDOUT"' "$T/slow.out"
	check "the daemon serves control requests after that" \
	    sh -c '"$1" -s "$2" status >/dev/null' - "$CTL" "$CSOCK"
fi

# --- reload -------------------------------------------------------------
kill -HUP "$PID"
check "SIGHUP of an unchanged file says so" wait_log "no changes"
sed -i 's/^log-level = info/log-level = debug/' "$T/ioasidd.conf"
echo "socket-mode = 0600" >>"$T/ioasidd.conf"
echo "node-mode = 0640" >>"$T/ioasidd.conf"
sed -i "s|^control-socket = .*|control-socket = $T/other.sock|" "$T/ioasidd.conf"
kill -HUP "$PID"
check "SIGHUP applies the new log level" wait_log "log-level: info -> debug"
check "SIGHUP says which change needs a restart" \
    wait_log "socket-mode changed (0660 -> 0600); restart ioasidd"
check "SIGHUP names every key that needs a restart (node-mode)" \
    wait_log "node-mode changed (0660 -> 0640); restart ioasidd"
check "SIGHUP names every key that needs a restart (control-socket)" \
    wait_log "control-socket changed ($CSOCK -> $T/other.sock); restart ioasidd"
check "a key that needs a restart keeps its old value (socket mode 660)" \
    [ "$(stat -c %a "$SOCK")" = 660 ]
check "and the control socket stays where it was" \
    sh -c '[ -S "$1" ] && [ ! -e "$2" ]' - "$CSOCK" "$T/other.sock"
check "the log level is not logged as needing a restart" \
    sh -c '! grep -q "log-level changed" "$1"' - "$T/log"
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

# SIGUSR1 toggles debug: the configured level is debug now, so it goes to
# info, and back to debug.
kill -USR1 "$PID"
check "SIGUSR1 leaves debug for info when debug is configured" \
    wait_log "log level info"
out=$("$CTL" -s "$CSOCK" log-level)
check "ioasidctl log-level shows it" \
    sh -c 'echo "$1" | grep -q "^log level info"' - "$out"
kill -USR1 "$PID"
check "a second SIGUSR1 goes back to debug" wait_log "log level debug$"

# --- shutdown -----------------------------------------------------------
stop_daemon; rc=$?
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

# A file that is not a socket is left alone and named.
timeout 10 "$DAEMON" -d -f "$T/ioasidd.conf" -o socket="$T/file" >"$T/out" 2>&1
rc=$?
check "a file in the socket's place is refused and kept" \
    sh -c '[ $1 -eq 1 ] && grep -q "not a socket is in the way" "$2" &&
    [ -f "$3" ]' - $rc "$T/out" "$T/file"

# A live daemon's sockets are refused; a dead one's are taken over.
cat >"$T/again.conf" <<EOF
[daemon]
socket = $SOCK
control-socket = $CSOCK
node =
log-level = info
EOF
start_daemon "$T/again.conf" "$T/log" "$CSOCK" && wait_for "$SOCK"
timeout 10 "$DAEMON" -d -f "$T/again.conf" >"$T/out" 2>&1; rc=$?
check "a live daemon's socket is refused" \
    sh -c '[ $1 -eq 1 ] && grep -q "socket $2: another ioasidd" "$3"' \
    - $rc "$SOCK" "$T/out"
timeout 10 "$DAEMON" -d -f "$T/again.conf" -o socket="$T/other.sock" \
    >"$T/out" 2>&1; rc=$?
check "a live daemon's control socket is refused" \
    sh -c '[ $1 -eq 1 ] && grep -q "control socket $2: another ioasidd" "$3"' \
    - $rc "$CSOCK" "$T/out"
check "and the refused starts removed nothing" \
    sh -c '[ -S "$1" ] && [ -S "$2" ] && [ ! -e "$3" ]' - "$SOCK" "$CSOCK" \
    "$T/other.sock"
stop_daemon KILL 2>/dev/null
start_daemon "$T/again.conf" "$T/log" "$CSOCK"
check "a dead daemon's sockets are taken over" \
    wait_log "control socket on $CSOCK"
stop_daemon; rc=$?
check "and removed on exit" \
    sh -c '[ $1 -eq 0 ] && [ ! -e "$2" ] && [ ! -e "$3" ]' - $rc "$SOCK" "$CSOCK"

# Without CUSE the node cannot be made: the daemon says why and serves the
# socket alone, or stops with node-required. Only where /dev/cuse is
# missing, so that no real node is ever made here.
if [ ! -e /dev/cuse ]; then
	start_daemon "$T/again.conf" "$T/log" "$CSOCK" -o node=/dev/iommu-test
	check "no CUSE: the socket serves alone, and the log says why" \
	    wait_grep "modprobe cuse" "$T/log"
	check "no CUSE: the socket is there" test -S "$SOCK"
	check "no CUSE: status lists no node" \
	    sh -c '! "$1" -s "$2" status | grep -q cuse' - "$CTL" "$CSOCK"
	stop_daemon
	timeout 10 "$DAEMON" -d -f "$T/again.conf" -o node=/dev/iommu-test \
	    -o node-required=yes >"$T/out" 2>&1; rc=$?
	check "no CUSE with node-required: exit 1 naming the remedy" \
	    sh -c '[ $1 -eq 1 ] && grep -q "modprobe cuse" "$2" &&
	    [ ! -e "$3" ]' - $rc "$T/out" "$SOCK"
fi

summary
