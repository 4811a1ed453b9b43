#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Who the preload library trusts, what it hands over, and where the daemon
# agrees to put its sockets. Another user is made for the run (useradd):
# a listener that is not ioasidd, run as that user at the socket path, must
# get nothing from a client (no HELLO, no descriptor), with EACCES and one
# line on stderr for the client, for an opened and an inherited socket
# alike; IOASIDD_TRUST_UID lets a client use a daemon run by that user;
# root's and one's own daemon work as before. The daemon refuses socket
# directories other users can write to, unless sticky and the name is not
# another user's. The mem file the daemon holds is read-only for
# read-only mappings and gone after unmap, and its descriptors and memory
# come back to where they were. MAP_FILE of an O_PATH descriptor is EBADF.
# One line per test, then "N passed, M failed".
#
# usage: tests/integration/trust.sh BUILD_DIR

set -u

TUSER=ioasidd-trust
MADE_USER=
UPID=

. "$(dirname "$0")/lib.sh"
test_setup trust "${1:-build}" tests/iommu_trust tests/trust_listen
PROG=$B/tests/iommu_trust
LISTEN=$B/tests/trust_listen
if [ "$(id -u)" != 0 ]; then
	echo "skipped: the trust tests make a user and need root"
	summary
	exit 0
fi
# The other user must reach its own directories below.
chmod 0755 "$T"

# The other user's daemon, then test_setup's clean-up (the listeners are
# its KIDS), then the user made here.
trust_cleanup() {
	[ -z "$UPID" ] || kill -9 "$UPID" 2>/dev/null
	test_cleanup
	[ -z "$MADE_USER" ] || userdel "$TUSER" 2>/dev/null
}
trap trust_cleanup EXIT

if ! id -u "$TUSER" >/dev/null 2>&1; then
	useradd -r -M -N -d /nonexistent -s /usr/sbin/nologin "$TUSER" ||
	    give_up "cannot add the user $TUSER"
	MADE_USER=1
fi
TUID=$(id -u "$TUSER")
TGID=$(id -g "$TUSER")
EACCES=13
ENOENT=2

# Run as the other user, with no shell in between (so $! is the program).
AS_USER="setpriv --reuid=$TUID --regid=$TGID --clear-groups"

# client NAME SOCKET [VAR=VALUE...] -- ARGS...: iommu_trust ARGS under the
# preload library against SOCKET, stdout and stderr apart in $T/NAME.out
# and $T/NAME.err; its exit status.
client() {
	_n=$1 _s=$2
	shift 2
	_env=
	while [ "$1" != "--" ]; do
		_env="$_env $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$_s" IOASIDD_PID="${PID:-}" \
	    $_env timeout 60 "$PROG" "$@" >"$T/$_n.out" 2>"$T/$_n.err"
}

# passed NAME TEXT: the client run NAME exited 0.
passed() {
	if [ "$2" -eq 0 ]; then
		ok "$1 ($(tail -n 1 "$T/$1.out"))"
	else
		fail "$1 exited $2"
		sed 's/^/    /' "$T/$1.out" "$T/$1.err" | head -30
	fi
}

# one_line NAME PATTERN: NAME's stderr is exactly one line, matching.
one_line() {
	[ "$(wc -l <"$T/$1.err")" -eq 1 ] && grep -q -- "$2" "$T/$1.err"
}

# --- a listener of another user -----------------------------------------

mkdir "$T/evil"
chown "$TUSER" "$T/evil"
EVIL=$T/evil/iommu.sock
$AS_USER "$LISTEN" "$EVIL" 60 >"$T/listen.out" 2>&1 &
KIDS="$KIDS $!"
wait_grep listening "$T/listen.out" || give_up "the listener did not start"

client refused "$EVIL" -- open $EACCES
passed refused $?
LINE="ioasid: not using $EVIL: it is served by uid $TUID, not by root or"
LINE="$LINE uid 0; set IOASIDD_TRUST_UID=$TUID to trust that user"
if one_line refused "$LINE"; then
	ok "one line on stderr names the socket, the uid and the remedy"
else
	fail "stderr was not the one line"
	sed 's/^/    /' "$T/refused.err"
fi
wait_grep eof "$T/listen.out"
if grep -q '^accept' "$T/listen.out" && ! grep -q '^msg' "$T/listen.out"
then
	ok "the listener got a connection and nothing on it"
else
	fail "the listener was sent something"
	sed 's/^/    /' "$T/listen.out"
fi

client inherit "$EVIL" -- inherit "$EVIL"
passed inherit $?
if one_line inherit "ioasid: not using $EVIL: it is served by uid $TUID"; then
	ok "an inherited socket: one line on stderr for two ioctls"
else
	fail "an inherited socket: stderr was not the one line"
	sed 's/^/    /' "$T/inherit.err"
fi
if [ "$(grep -c '^accept' "$T/listen.out")" -eq 2 ] &&
    ! grep -q '^msg' "$T/listen.out"; then
	ok "nothing was sent on the inherited socket (no CHANNEL, no fd)"
else
	fail "something was sent on the inherited socket"
	sed 's/^/    /' "$T/listen.out"
fi

# Trusted by name, the listener gets HELLO, and HELLO carries one
# descriptor only: the client's own end of that connection (proto/wire.h,
# Identity), which gives the listener nothing it does not have, and never
# a file or memory. It answers nothing and stops after 3 s: the open then
# fails.
EVIL2=$T/evil/short.sock
$AS_USER "$LISTEN" "$EVIL2" 3 >"$T/listen2.out" 2>&1 &
KIDS="$KIDS $!"
wait_grep listening "$T/listen2.out"
client named "$EVIL2" IOASIDD_TRUST_UID="$TUSER" -- open $ENOENT
passed named $?
if grep -q '^msg 32 fds 1$' "$T/listen2.out" &&
    [ "$(grep -c '^fd ' "$T/listen2.out")" -eq 1 ] &&
    grep -q '^fd socket:\[[0-9]*\] rw$' "$T/listen2.out" &&
    [ ! -s "$T/named.err" ]
then
	ok "IOASIDD_TRUST_UID=$TUSER: HELLO is sent, with its own socket only"
else
	fail "IOASIDD_TRUST_UID=$TUSER: not the HELLO expected"
	sed 's/^/    /' "$T/listen2.out" "$T/named.err"
fi

# --- ioasidd run by another user -----------------------------------------

mkdir "$T/user"
chown "$TUSER" "$T/user"
USOCK=$T/user/iommu.sock
cat >"$T/user.conf" <<EOF
[daemon]
socket = $USOCK
control-socket =
node =
EOF
$AS_USER "$DAEMON" -d -f "$T/user.conf" >"$T/user.log" 2>&1 &
UPID=$!
if wait_for "$USOCK"; then
	ok "ioasidd runs as $TUSER"
else
	fail "ioasidd did not start as $TUSER"
	sed 's/^/    /' "$T/user.log"
fi
client u_refused "$USOCK" -- open $EACCES
passed u_refused $?
check "its stderr is the one line" one_line u_refused "served by uid $TUID"
client u_name "$USOCK" IOASIDD_TRUST_UID="$TUSER" -- open 0
passed u_name $?
client u_num "$USOCK" IOASIDD_TRUST_UID="12345,$TUID" -- open 0
passed u_num $?
check "nothing on stderr when trusted" test ! -s "$T/u_num.err"
$AS_USER env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$USOCK" timeout 60 "$PROG" \
    open 0 >"$T/u_own.out" 2>"$T/u_own.err"
passed u_own $?
kill "$UPID"
wait "$UPID"
rc=$?; check "ioasidd as $TUSER exits 0 (got $rc)" test $rc -eq 0
UPID=

# --- the root daemon: what it holds of a client --------------------------

mkdir -m 0700 "$T/rootdir"
SOCK=$T/rootdir/iommu.sock
cat >"$T/root.conf" <<EOF
[daemon]
socket = $SOCK
control-socket =
node =
EOF
start_daemon "$T/root.conf" "$T/root.log" "$SOCK" ||
    fail "the root daemon did not start"
fds_now() { ls "/proc/$PID/fd" | wc -l; }
rss_now() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }
client warm "$SOCK" -- open 0
passed warm $?
fds0=$(fds_now)
rss0=$(rss_now)
client memfd "$SOCK" -- memfd
passed memfd $?
client opath "$SOCK" -- opath
passed opath $?
client root_own "$SOCK" -- open 0
passed root_own $?
check "nothing on stderr for root's daemon" test ! -s "$T/root_own.err"
fds1=$(fds_now)
rss1=$(rss_now)
check "daemon descriptors back to $fds0 (now $fds1)" test "$fds1" -eq "$fds0"
check "daemon VmRSS within 2 MiB of $rss0 kB (now $rss1 kB)" \
    test "$rss1" -le $((rss0 + 2048))
stop_daemon
check "the root daemon exits 0" test $? -eq 0

check "no sanitizer report from either daemon" \
    sh -c "! grep -q 'Sanitizer\|runtime error' '$T/root.log' '$T/user.log'"

# --- socket directories --------------------------------------------------

# refused DESC DIR-NAMED OPTION...: the daemon exits 1 naming DIR-NAMED.
refused() {
	_d=$1 _dir=$2
	shift 2
	timeout 20 "$DAEMON" -d -f "$T/root.conf" "$@" >"$T/dir.log" 2>&1
	_rc=$?
	if [ $_rc -eq 1 ] &&
	    grep -q "can replace entries in $_dir, so" "$T/dir.log"; then
		ok "$_d: refused, naming $_dir"
	else
		fail "$_d: exit $_rc"
		sed 's/^/    /' "$T/dir.log"
	fi
}

mkdir "$T/ww"
chmod 0777 "$T/ww"
refused "a 0777 socket directory" "$T/ww" -o socket="$T/ww/iommu.sock"
check "... and no socket was made" test ! -e "$T/ww/iommu.sock"
mkdir -p "$T/ww2/sub"
chmod 0777 "$T/ww2"
refused "a 0777 directory above it" "$T/ww2" \
    -o socket="$T/ww2/sub/iommu.sock"
mkdir "$T/gw"
chgrp "$TGID" "$T/gw"
chmod 0775 "$T/gw"
refused "a directory another group can write" "$T/gw" \
    -o socket="$T/gw/iommu.sock"
refused "a directory of another user" "$T/evil" -o socket="$T/evil/d.sock"
mkdir "$T/ww3"
chmod 0777 "$T/ww3"
refused "a 0777 control socket directory" "$T/ww3" \
    -o socket="$T/rootdir/iommu.sock" -o control-socket="$T/ww3/control.sock"
check "... naming the control socket" grep -q "control socket" "$T/dir.log"
ln -s "$T/ww" "$T/link"
refused "a symbolic link to a 0777 directory" "$T/link" \
    -o socket="$T/link/iommu.sock"

chmod 1777 "$T/ww"
$AS_USER touch "$T/ww/taken.sock"
refused "a sticky directory, the name another user's" "$T/ww" \
    -o socket="$T/ww/taken.sock"
if start_daemon "$T/root.conf" "$T/dir.log" "$T/ww/iommu.sock" \
    -o socket="$T/ww/iommu.sock"; then
	ok "a sticky 1777 directory is accepted"
else
	fail "a sticky 1777 directory was refused"
	sed 's/^/    /' "$T/dir.log"
fi
client sticky "$T/ww/iommu.sock" -- open 0
passed sticky $?
stop_daemon

summary
