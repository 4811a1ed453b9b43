#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The kernel as the judge: run tests/oracle/probe.c against a real
# /dev/iommu and against ioasidd, and print where the answers differ.
#
#  1. Build the oracle kernel (iommufd with the selftest mock) into
#     ORACLE_DIR, once; later runs reuse it.
#  2. Build the probe statically, boot the kernel under qemu with it and
#     keep its transcript (ORACLE_DIR/kernel.txt).
#  3. Build the same probe dynamically and run it on this host against a
#     private ioasidd through the preload library (ORACLE_DIR/ioasidd.txt).
#  4. Compare the two (tests/oracle/compare.sh).
#
# With -s the kernel's transcript is also saved as
# tests/oracle/kernel-6.12.txt, which `make check` replays against ioasidd
# without booting anything (tests/integration/oracle.sh).
#
# usage: tests/oracle/run.sh [-s] BUILD_DIR
# env:   ORACLE_DIR (default /var/tmp/ioasidd-oracle)
#        ORACLE_TOOLS (default ../shared/tools beside the source tree):
#        oracle-build-kernel.sh and oracle-run-guest.sh

set -eu

save=0
if [ "${1:-}" = -s ]; then
	save=1
	shift
fi
B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$DIR/../.." && pwd)
ORACLE_DIR=${ORACLE_DIR:-/var/tmp/ioasidd-oracle}
TOOLS=${ORACLE_TOOLS:-$TOP/../shared/tools}
CC=${CC:-cc}

mkdir -p "$ORACLE_DIR" "$B/oracle"
now() { date +%s; }

t0=$(now)
if [ ! -e "$ORACLE_DIR/bzImage" ]; then
	echo "== building the oracle kernel in $ORACLE_DIR"
	"$TOOLS/oracle-build-kernel.sh" "$ORACLE_DIR" > "$ORACLE_DIR/build.log" 2>&1 || {
		tail -20 "$ORACLE_DIR/build.log"
		exit 1
	}
fi
t1=$(now)
echo "== kernel ready ($((t1 - t0)) s)"

$CC -std=gnu11 -O2 -Wall -Wextra -I"$TOP/proto" -static \
    -o "$B/oracle/probe-static" "$DIR/probe.c"
$CC -std=gnu11 -O2 -Wall -Wextra -I"$TOP/proto" \
    -o "$B/oracle/probe" "$DIR/probe.c"

# The guest script runs as the body of init; the probe is in /t.
cat > "$B/oracle/guest.sh" <<'EOF'
echo ORACLE-BEGIN
/t/probe-static
echo ORACLE-END rc=$?
EOF
echo "== running the probe in the guest"
"$TOOLS/oracle-run-guest.sh" "$ORACLE_DIR/bzImage" "$B/oracle/guest.sh" \
    "$B/oracle/probe-static" > "$ORACLE_DIR/console.log" 2>&1 || true
sed -n '/ORACLE-BEGIN/,/ORACLE-END/p' "$ORACLE_DIR/console.log" |
    tr -d '\r' | sed -n 's/^P //p' > "$ORACLE_DIR/kernel.txt"
if ! grep -q '^end 0 -' "$ORACLE_DIR/kernel.txt"; then
	echo "the probe did not finish in the guest; console:"
	tail -40 "$ORACLE_DIR/console.log"
	exit 1
fi
t2=$(now)
echo "== guest run: $(wc -l < "$ORACLE_DIR/kernel.txt") lines ($((t2 - t1)) s)"

echo "== running the probe against ioasidd"
[ -x "$B/ioasidd" ] || make -C "$TOP" B="$B" all > /dev/null
sh "$DIR/host.sh" "$B" "$B/oracle/probe" > "$ORACLE_DIR/ioasidd.txt"
t3=$(now)
echo "== host run: $(wc -l < "$ORACLE_DIR/ioasidd.txt") lines ($((t3 - t2)) s)"

if [ $save -eq 1 ]; then
	kver=$(sed -n 's/.*Linux version \([^ ]*\).*/\1/p' \
	    "$ORACLE_DIR/console.log" | head -n 1)
	{
		echo "# The answers of Linux ${kver:-6.12} to tests/oracle/probe.c,"
		echo "# recorded by tests/oracle/run.sh -s. One line per call:"
		echo "# name rc errno outputs."
		cat "$ORACLE_DIR/kernel.txt"
	} > "$DIR/kernel-6.12.txt"
	echo "== saved $DIR/kernel-6.12.txt"
fi

echo "== differences (kernel vs ioasidd)"
sh "$DIR/compare.sh" "$ORACLE_DIR/kernel.txt" "$ORACLE_DIR/ioasidd.txt" \
    "$DIR/known.txt"
