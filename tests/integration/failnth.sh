#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Allocation-failure injection through the preload library: with
# IOASIDD_FAIL_NTH=1 a program arms its thread's fail-nth file as on a
# kernel with fault injection, and the daemon's n-th allocation point
# fails (tests/prog/iommu_failnth.c says what is checked). Without the
# variable the library leaves that file alone. The daemon must survive
# it all without leaking a descriptor or a sanitizer report. One line per
# test, then "N passed, M failed".
#
# usage: tests/integration/failnth.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup failnth "${1:-build}" tests/iommu_failnth

cat > "$T/ioasidd.conf" <<CONF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $T/control.sock
node =
log-level = debug
CONF

if ! start_daemon "$T/ioasidd.conf" "$T/daemon.log" "$SOCK"; then
	fail "daemon did not create its socket"
	sed 's/^/    /' "$T/daemon.log"
	summary
	exit 1
fi
fds_before=$(ls /proc/"$PID"/fd | wc -l)

# run LABEL ENV...: the program under the library with ENV set.
run() {
	label=$1
	shift
	env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" XDG_RUNTIME_DIR="$T" \
	    "$@" timeout 120 "$B/tests/iommu_failnth" $ARGS \
	    > "$T/out" 2>&1
	rc=$?
	last=$(tail -n 1 "$T/out")
	if [ $rc -eq 0 ]; then
		ok "$label ($last)"
	else
		fail "$label exited $rc ($last)"
		sed 's/^/    /' "$T/out" | head -40
	fi
}

ARGS=
run "fail-nth armed through the library" IOASIDD_FAIL_NTH=1
ARGS=off
run "fail-nth left to the kernel without IOASIDD_FAIL_NTH" \
    IOASIDD_FAIL_NTH=
if [ -d "$T/ioasidd-debugfs.$(id -u)/failslab" ]; then
	ok "the debugfs stand-in is in \$XDG_RUNTIME_DIR"
else
	fail "no debugfs stand-in in $T"
fi

alive "after the sweeps"
# The contexts the program closed are gone by the time it exited; give
# the daemon a moment to read the ends.
i=0
while [ $i -lt 20 ] &&
    [ "$(ls /proc/"$PID"/fd | wc -l)" -ne "$fds_before" ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the daemon holds the descriptors it held before" \
    [ "$(ls /proc/"$PID"/fd | wc -l)" -eq "$fds_before" ]
stop_daemon TERM
if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
    -e 'runtime error:' "$T/daemon.log"; then
	fail "sanitizer reports in the daemon log"
	grep -A 20 -e 'ERROR:' -e 'runtime error:' "$T/daemon.log" |
	    head -40 | sed 's/^/    /'
else
	ok "daemon log has no sanitizer report"
fi
summary
