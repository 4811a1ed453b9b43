#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Run the oracle probe on this host against ioasidd: a private daemon on a
# temporary socket, the dynamically linked probe under the preload
# library. Prints the probe's transcript (its "P " lines, prefix removed)
# on stdout; exits 1 if the daemon could not start or died during the run.
#
# usage: tests/oracle/host.sh BUILD_DIR PROBE

set -u

B=${1:?build directory}
PROBE=${2:?probe binary}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
DAEMON=$B/ioasidd
PRELOAD=$B/libioasid-preload.so

. "$(dirname "$0")/../integration/lib.sh"
T=$(mktemp -d /tmp/ioasidd-oracle.XXXXXX)
cleanup() {
	stop_daemon 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Under SANITIZE=1 the sanitizer runtime goes first in LD_PRELOAD.
LIBS=$(preload_libs "$PRELOAD")

cat > "$T/ioasidd.conf" <<EOF
[daemon]
socket = $T/iommu.sock
socket-mode = 0600
control-socket =
node =
EOF

if ! start_daemon "$T/ioasidd.conf" "$T/daemon.log" "$T/iommu.sock"; then
	echo "host.sh: the daemon did not start" >&2
	sed 's/^/    /' "$T/daemon.log" >&2
	exit 1
fi

env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$T/iommu.sock" \
    timeout 120 "$PROBE" > "$T/out" 2> "$T/err"
rc=$?
sed -n 's/^P //p' "$T/out"
if [ $rc -ne 0 ]; then
	echo "host.sh: the probe exited $rc" >&2
	sed 's/^/    /' "$T/err" >&2
fi
if ! kill -0 "$PID" 2>/dev/null; then
	echo "host.sh: the daemon died" >&2
	sed 's/^/    /' "$T/daemon.log" | tail -20 >&2
	PID=
	exit 1
fi
exit 0
