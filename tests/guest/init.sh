#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# /init of the guest test's initramfs: the guest side of tests/guest/run.sh.
# It sets up a minimal system (busybox, proc, sys, devtmpfs), loads the
# kernel's FUSE and CUSE modules, starts ioasidd on a real /dev/iommu
# character device and runs unmodified clients against it, then powers
# the machine off.
#
# Results go to the second serial port (/dev/ttyS1), which the host reads
# as a file, so kernel messages on the console cannot garble them:
#
#	GUEST ok NAME		a check passed
#	GUEST FAIL NAME		a check failed
#	GUEST # TEXT		detail for the log (a client's FAIL lines)
#	GUEST done P F		the end: P passed, F failed
#
# A CUSE probe of the test's own runs first, as the check of the guest
# itself; then ioasidd serves node = /dev/iommu and the clients, which know
# nothing of ioasidd, open it as they would open the kernel's.

/bin/busybox --install -s /bin
echo "[$(/bin/cut -d " " -f 1 /proc/uptime 2>/dev/null)] init" >/dev/console
export PATH=/bin:/t
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /run/ioasidd

OUT=/dev/ttyS1
[ -c "$OUT" ] || OUT=/dev/console
# 20 s for every wait: TCG is slow. lib.sh is tests/integration/lib.sh.
WAIT_TENTHS=200
. /lib.sh

res() {
	echo "GUEST $*" >"$OUT"
	echo "[$(cut -d ' ' -f 1 /proc/uptime)] $*" >/dev/console
}

# Results go to the host as "GUEST ok NAME" and "GUEST FAIL NAME".
report() {
	res "$1 $2"
}

# detail < FILE: forward lines to the host as detail.
detail() {
	sed 's/^/GUEST # /' >"$OUT"
}

# prog NAME COMMAND...: a client that ends with "N passed, M failed"; it
# passes when it exits 0 having counted no failure.
prog() {
	name=$1
	shift
	timeout 120 "$@" >/tmp/prog.out 2>&1
	rc=$?
	last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' /tmp/prog.out | tail -n 1)
	if [ $rc -eq 0 ] && echo "$last" | grep -q ' 0 failed$'; then
		ok "$name: $last"
	else
		fail "$name: exit $rc, ${last:-no result line}"
		grep -v '^ok ' /tmp/prog.out | tail -n 40 | detail
	fi
}

# status: the daemon's status as JSON on stdout.
status() {
	ioasidctl -s /run/ioasidd/control.sock --json status
}

# has_opener PID: does a context opened by PID exist?
has_opener() {
	status | grep -q "\"opener\":$1[,}]"
}

# gone_opener PID: wait up to 20 s for the context of PID to go.
gone_opener() {
	i=0
	while [ $i -lt "$WAIT_TENTHS" ]; do
		has_opener "$1" || return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

no_contexts() {
	status | grep -q '"contexts":\[\]'
}

# --- the kernel side --------------------------------------------------
[ -e /modules/fuse.ko ] && insmod /modules/fuse.ko
insmod /modules/cuse.ko
check "kernel $(uname -r): /dev/cuse is there" wait_for /dev/cuse

# --- the probe: a CUSE device of the test's own ------------------------
cuse_probe serve iommu-probe >/tmp/probe.log 2>&1 &
probe=$!
if wait_for /dev/iommu-probe; then
	cuse_probe call /dev/iommu-probe >/tmp/probe.out 2>&1
	while read -r word rest; do
		case $word in
		ok) ok "probe: $rest" ;;
		FAIL) fail "probe: $rest" ;;
		esac
	done </tmp/probe.out
	kill -TERM $probe
	wait $probe
	check "probe: SIGTERM removes its node" wait_for ! /dev/iommu-probe
else
	fail "probe: /dev/iommu-probe never appeared"
	detail </tmp/probe.log
	kill -KILL $probe
fi

# --- ioasidd ------------------------------------------------------------
cat >/tmp/ioasidd.conf <<EOF
[daemon]
socket = /run/ioasidd/iommu.sock
control-socket = /run/ioasidd/control.sock
node = /dev/iommu
node-mode = 0640
node-group = 5
log-level = info

[device nic0]
rid = 00:01.0
EOF
DAEMON=ioasidd
if start_daemon /tmp/ioasidd.conf /tmp/ioasidd.log /dev/iommu &&
    wait_for /run/ioasidd/control.sock; then
	ok "ioasidd is up on /dev/iommu"
else
	fail "ioasidd did not come up on /dev/iommu"
	detail </tmp/ioasidd.log
	res "done $passes $fails"
	poweroff -f
fi
check "/dev/iommu is a character device" [ -c /dev/iommu ]
check "/dev/iommu has the configured group" \
    [ "$(stat -c %g /dev/iommu)" = 5 ]
check "status names the cuse transport with the node" \
    sh -c 'ioasidctl -s /run/ioasidd/control.sock status |
    grep -q "cuse.*/dev/iommu"'

# The IOAS commands and the errno cases, as an ordinary program.
prog iommu_basic iommu_basic

# Bad struct pointers and arrays past every limit, for every command,
# through the real kernel's CUSE copies; read-only structs of creating
# commands abort their objects.
prog iommu_bounds iommu_bounds

# The emulated VFIO device node over CUSE: BIND names the /dev/iommu
# descriptor, which the daemon takes with pidfd_getfd() and asks which
# open it is.
check "/dev/vfio/devices/vfio0 is a character device" \
    [ -c /dev/vfio/devices/vfio0 ]
prog vfio_cdev vfio_cdev

# The file side: mode, read, write, poll, O_NONBLOCK.
prog iommu_node iommu_node 0640

# A 32-bit process: every ioctl is ENOTTY, as the kernel's node has no
# compat_ioctl.
prog iommu_compat32 iommu_compat32

# Two processes at once, two threads each, each open its own context.
prog iommu_pair iommu_pair

# One descriptor shared by fork (and exec), both sides at once.
prog iommu_fork iommu_fork

# A client killed with SIGKILL in the middle of its ioctl stream, once its
# ready line says it has had answers.  Each storm writes its own file,
# emptied before it starts: the job's redirection happens after the fork,
# so a reused file could still show the previous storm's ready line.
: >/tmp/storm-kill.out
iommu_storm >/tmp/storm-kill.out 2>&1 &
bg=$!
if wait_grep '^ready' /tmp/storm-kill.out; then
	set -- $(grep '^ready' /tmp/storm-kill.out)
	storm=$2
	check "killed client: its context is listed while it runs" \
	    has_opener $storm
	sleep 0.5
	check "killed client: still running right before SIGKILL" \
	    kill -0 $storm
	kill -KILL $storm
	wait $bg
	check "killed client: no wrong answer before it" \
	    sh -c '! grep -q FAIL /tmp/storm-kill.out'
	check "killed client: its context is gone" gone_opener $storm
	check "killed client: no context is left" no_contexts
else
	fail "killed client: never got going"
	detail </tmp/storm-kill.out
	kill -KILL $bg
fi
prog "after the kill: iommu_basic still passes" iommu_basic

# A client whose descriptor two forked children share: the context lives
# until the last holder is killed.
: >/tmp/storm-fork.out
iommu_storm 2 >/tmp/storm-fork.out 2>&1 &
bg=$!
if wait_grep '^ready' /tmp/storm-fork.out; then
	set -- $(grep '^ready' /tmp/storm-fork.out)
	storm=$2
	kill -KILL $storm
	sleep 0.5
	check "killed forked client: the children still run" kill -0 $3 $4
	check "killed forked client: the children keep the context" \
	    has_opener $storm
	kill -KILL $3 $4
	wait $bg
	check "killed forked client: then the context is gone" \
	    gone_opener $storm
	check "killed forked client: no context is left" no_contexts
	check "killed forked client: no wrong answer before it" \
	    sh -c '! grep -q FAIL /tmp/storm-fork.out'
else
	fail "killed forked client: never got going"
	detail </tmp/storm-fork.out
	kill -KILL $bg
fi

# --- shutdown -----------------------------------------------------------
# With a client still in its ioctl stream: the daemon must not wait for
# it, and the client must get an error, not hang.
: >/tmp/storm-stop.out
iommu_storm >/tmp/storm-stop.out 2>&1 &
bg=$!
wait_grep '^ready' /tmp/storm-stop.out ||
    fail "shutdown: the client never got going"
stop_daemon
rc=$?
check "ioasidd: SIGTERM with a client busy on the node exits 0" [ $rc -eq 0 ]
# Once the server's connection is gone the kernel fails the client's
# requests: ECONNABORTED is what 6.1 answers here; ENOTCONN is the other
# errno FUSE uses for a connection that is no more.
if wait_grep 'FAIL.*\(connection abort\|not connected\)' /tmp/storm-stop.out
then
	ok "shutdown: the client's ioctl fails with ECONNABORTED or ENOTCONN"
else
	fail "shutdown: the client's ioctl fails with ECONNABORTED or ENOTCONN"
	detail </tmp/storm-stop.out
fi
wait $bg
check "ioasidd: /dev/iommu is gone" wait_for ! /dev/iommu
check "ioasidd: its socket is gone" wait_for ! /run/ioasidd/iommu.sock
check "ioasidd: its control socket is gone" \
    wait_for ! /run/ioasidd/control.sock
if grep -q 'ERROR: \(Leak\|Address\)Sanitizer\|runtime error' \
    /tmp/ioasidd.log; then
	fail "ioasidd: the sanitizers reported something"
	tail -n 60 /tmp/ioasidd.log | detail
else
	ok "ioasidd: no sanitizer reports"
fi

if [ $fails -ne 0 ]; then
	res "# the daemon's log, last lines:"
	tail -n 40 /tmp/ioasidd.log | detail
fi
res "done $passes $fails"
sync
poweroff -f
