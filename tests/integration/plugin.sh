#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Model plugins: a daemon with model-dir at the build's models and an
# [iommu] of the spapr-tce plugin, a device behind it: IOVA_RANGES after
# attach shows the 32-bit window and the DDW as two ranges, maps in the
# hole between them fail, the domain's page sizes are the TCE sizes and
# GET_HW_INFO reports type NONE. Then what "ioasidd -n" refuses: a plugin
# built here for another model ABI version, a missing plugin and a model
# name with a slash.
#
# usage: tests/integration/plugin.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup plugin "${1:-build}" "tests/iommu_windows" "models/spapr-tce.so" "include/ioasid/hw/hw.h"

# --- a device behind the plugin ------------------------------------------
cat >"$T/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =
log-level = debug
model-dir = $B/models

[iommu phb0]
model = spapr-tce

[iommu phb1]
model = spapr-tce
profile = pseries-nodw
liobn = 0x80000100

[device a]
rid = 00:01.0
iommu = phb0

[device b]
rid = 00:02.0
iommu = phb1
EOF
if start_daemon "$T/ioasidd.conf" "$T/log" "$SOCK"; then
	ok "the daemon starts with two spapr-tce instances"
else
	fail "the daemon did not start"
	sed 's/^/    /' "$T/log"
	summary
	exit 1
fi

# windows N [IOVA...]: device vfioN attached, its ranges and maps in $T/w.out.
windows() {
	_n=$1
	shift
	env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" timeout 60 \
	    "$B/tests/iommu_windows" "/dev/vfio/devices/vfio$_n" "$@" \
	    >"$T/w.out" 2>&1
}
# The objects of every context, while a device is attached.
cat >"$T/hold.sh" <<EOF
#!/bin/sh
for c in \$("$CTL" -s "$CSOCK" --json objects | tr ',{}[]' '\n\n\n\n\n' |
    sed -n 's/^ *"id": *\([0-9]*\).*/\1/p'); do
	"$CTL" -s "$CSOCK" --json objects "\$c"
done >"$T/objects.json"
EOF
chmod +x "$T/hold.sh"

DDW=0x800000000000000
WINDOWS_HOLD=$T/hold.sh windows 0 0x0 0x40000000 0x80000000 $DDW \
    0x800000000000800 0x800001000000000; rc=$?
sed 's/^/    /' "$T/w.out"
check "a device behind the pseries profile binds and attaches" [ $rc -eq 0 ]
check "IOVA_RANGES shows the 1 GiB 32-bit window" \
    grep -q "^range 0x0 0x3fffffff$" "$T/w.out"
check "and the 64 GiB DDW at 2^59" \
    grep -q "^range 0x800000000000000 0x800000fffffffff$" "$T/w.out"
check "and nothing else (two ranges)" \
    [ "$(grep -c '^range' "$T/w.out")" -eq 2 ]
check "the IOVA alignment is the 4 KiB TCE" \
    grep -q "^alignment 0x1000$" "$T/w.out"
check "GET_HW_INFO: type NONE, no data" \
    grep -q "^hw_info type 0 len 0$" "$T/w.out"
check "a map in the 32-bit window and at the DDW's start succeed" \
    sh -c 'grep -q "^map 0x0 0$" "$1" && grep -q "^map $2 0$" "$1"' \
    - "$T/w.out" $DDW
check "a map across the 32-bit window's end fails (EINVAL)" \
    grep -q "^map 0x40000000 22$" "$T/w.out"
check "a map in the hole between the windows fails (EINVAL)" \
    grep -q "^map 0x80000000 22$" "$T/w.out"
check "a map off the TCE alignment fails (EINVAL)" \
    grep -q "^map 0x800000000000800 22$" "$T/w.out"
check "a map past the DDW's end fails (EINVAL)" \
    grep -q "^map 0x800001000000000 22$" "$T/w.out"
# 4K | 64K | 16M = 0x1011000
check "the domain's page sizes are the TCE sizes 4K, 64K and 16M" \
    grep -q '"pgsize_bitmap": *"0x1011000"' "$T/objects.json"
check "the IOAS reserves the hole between the windows" \
    grep -q '"start": *"0x40000000", *"last": *"0x7ffffffffffffff"' \
    "$T/objects.json"

windows 1 0x0 0x3fff0000 0x40000000; rc=$?
sed 's/^/    /' "$T/w.out"
check "pseries-nodw: one range, the 32-bit window alone" \
    sh -c '[ $1 -eq 0 ] && grep -q "^range 0x0 0x3fffffff$" "$2" &&
    [ "$(grep -c "^range" "$2")" -eq 1 ]' - $rc "$T/w.out"
check "pseries-nodw: maps end at 1 GiB" \
    sh -c 'grep -q "^map 0x3fff0000 0$" "$1" &&
    grep -q "^map 0x40000000 22$" "$1"' - "$T/w.out"

out=$("$CTL" -s "$CSOCK" status)
check "status shows the plugin instances and the LIOBN" \
    sh -c 'echo "$1" | grep -q "phb0  *model spapr-tce" &&
    echo "$1" | grep -qi "liobn.*0x80000100"' - "$out"

stop_daemon; rc=$?
check "SIGTERM exits 0" [ $rc -eq 0 ]
if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/log"; then
	fail "the sanitizer reported an error"
else
	ok "no sanitizer report"
fi

# --- what is refused ------------------------------------------------------
mkdir -p "$T/models"
cat >"$T/old-abi.c" <<'EOF'
#include <ioasid/hw/hw.h>

const struct hw_model_ops ioasidd_hw_model = {
	.version = HW_MODEL_VERSION - 1,
	.name = "old-abi",
};
EOF
${CC:-cc} -shared -fPIC -I"$B/include" -o "$T/models/old-abi.so" \
    "$T/old-abi.c" >"$T/cc.out" 2>&1; rc=$?
check "a plugin for the previous model ABI builds" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$T/cc.out"
cat >"$T/bad.conf" <<EOF
[daemon]
model-dir = $T/models

[iommu a]
model = old-abi

[iommu b]
model = nosuch

[iommu c]
model = ../models/old-abi

[iommu d]
model = spapr-tce
EOF
"$DAEMON" -n -f "$T/bad.conf" >"$T/out" 2>&1; rc=$?
sed 's/^/    /' "$T/out"
check "-n refuses the config with exit 1" [ $rc -eq 1 ]
check "a plugin of another ABI version, said clearly, at its line" \
    grep -q "^$T/bad.conf:5: .*model old-abi: built for model ABI 2, this ioasidd speaks 3; rebuild it against <ioasid/hw/hw.h>" \
    "$T/out"
check "a missing plugin names the file it looked for" \
    grep -q "^$T/bad.conf:8: .*$T/models/nosuch.so" "$T/out"
check "a model name with a slash is refused" \
    grep -q "^$T/bad.conf:11: .*never a path" "$T/out"
check "a plugin that is not in model-dir is missing there" \
    grep -q "^$T/bad.conf:14: .*$T/models/spapr-tce.so" "$T/out"
summary
