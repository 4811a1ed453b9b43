#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The same client program against a daemon per model: for every model and
# profile (mock, plain, each profile of intel-vtd, arm-smmuv3 and amd-vi,
# each of the spapr-tce plugin) a daemon with one [iommu] instance of it
# and one device behind it; the example VMM (testvmm) runs QEMU's and
# Cloud Hypervisor's call sequences on the device through the preload
# library, and QEMU's accelerated SMMUv3 sequence on the SMMUv3 rows (an
# SMMU whose IDR0 has no nesting must refuse it at the nest parent). Each
# run must exit 0 with GET_HW_INFO answering the model's type,
# "ioasidctl status" must show the instance's registers, and the daemon
# must hold nothing once the VMM is gone. noiommu is skipped: its devices
# have no IOMMU to run the sequences on (tests/unit/check_noiommu.c).
#
# usage: tests/integration/allmodels.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup allmodels "${1:-build}" testvmm models/spapr-tce.so
TESTVMM=$B/testvmm

# model profile hw_info-type register: one daemon each.
ROWS="mock - 0xfeedbeef -
plain - 0 -
intel-vtd qemu 0x1 cap
intel-vtd qemu-cm 0x1 cap
intel-vtd qemu-aw39 0x1 cap
intel-vtd qemu-sc 0x1 cap
intel-vtd qemu-scalable 0x1 cap
intel-vtd qemu-scalable-cm 0x1 cap
intel-vtd qemu-flts 0x1 cap
intel-vtd qemu-pasid 0x1 cap
intel-vtd server 0x1 ecap
intel-vtd server-nosc 0x1 ecap
arm-smmuv3 qemu-nested 0x2 idr0
arm-smmuv3 qemu 0x2 idr0
arm-smmuv3 mmu700 0x2 iidr
amd-vi qemu 0x4 efr
amd-vi epyc-zen4-like 0x4 efr
amd-vi nested 0x4 efr2
spapr-tce pseries 0 liobn
spapr-tce pseries-16m 0 tce-sizes
spapr-tce pseries-nodw 0 dma32-size"

# empty LABEL: the daemon holds no context once the VMM has gone.
empty() {
	_i=0
	while [ $_i -lt 30 ]; do
		"$CTL" -s "$CSOCK" --json status > "$T/status" 2>&1
		grep -q '"ncontexts":0' "$T/status" && break
		sleep 0.1
		_i=$((_i + 1))
	done
	check "$1: the daemon holds no context after" [ $_i -lt 30 ]
}

# vmm LABEL SEQUENCE: testvmm's SEQUENCE on device 0, its output in
# $T/out; it must exit 0.
vmm() {
	env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" timeout 60 \
	    "$TESTVMM" --sequence "$2" 0 > "$T/out" 2>&1
	_rc=$?
	if [ $_rc -eq 0 ]; then
		ok "$1: $2 sequence exits 0"
	else
		fail "$1: $2 sequence exits $_rc"
		sed 's/^/    /' "$T/out" | head -40
	fi
}

echo "$ROWS" > "$T/rows"
while read -r model profile type reg; do
	label=$model/$profile
	{
		cat <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =
model-dir = $B/models

[iommu u0]
model = $model
EOF
		[ "$profile" = - ] || echo "profile = $profile"
		cat <<EOF

[device d0]
rid = 00:01.0
iommu = u0
EOF
	} > "$T/ioasidd.conf"
	if ! start_daemon "$T/ioasidd.conf" "$T/log" "$CSOCK" ||
	    ! wait_for "$SOCK"; then
		fail "$label: the daemon did not start"
		sed 's/^/    /' "$T/log"
		stop_daemon KILL 2>/dev/null
		continue
	fi
	if [ "$reg" != - ]; then
		"$CTL" -s "$CSOCK" status > "$T/st" 2>&1
		check "$label: ioasidctl status shows register $reg" \
		    grep -q "^    $reg  *0x" "$T/st"
	fi
	vmm "$label" qemu
	check "$label: GET_HW_INFO answers type $type" grep -q \
	    "^qemu: IOMMU_GET_HW_INFO -> ok dev=[0-9]* type=$type " "$T/out"
	vmm "$label" cloud-hypervisor
	if [ "$model" = arm-smmuv3 ]; then
		# The accelerated path needs both stages (IDR0 S1P, S2P)
		# and a coherent stage 2 (COHACC, or S2FWB in IDR3).
		"$CTL" -s "$CSOCK" status > "$T/st" 2>&1
		idr0=$(awk '$1 == "idr0" { print $2; exit }' "$T/st")
		idr3=$(awk '$1 == "idr3" { print $2; exit }' "$T/st")
		if [ $(($idr0 & 3)) -eq 3 ] &&
		    [ $((($idr0 & 0x10) | ($idr3 & 0x100))) -ne 0 ]; then
			vmm "$label" qemu-smmuv3
		else
			env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" \
			    timeout 60 "$TESTVMM" --sequence qemu-smmuv3 0 \
			    > "$T/out" 2>&1
			check "$label: qemu-smmuv3 refused (idr0 $idr0)" \
			    [ $? -eq 1 ]
			check "$label: the nest parent is EOPNOTSUPP" grep -q \
			    "IOMMU_HWPT_ALLOC -> EOPNOTSUPP .*flags=0x1 " \
			    "$T/out"
			echo "# $label: qemu-smmuv3 skipped after the nest" \
			    "parent: the registers have no nesting"
		fi
	else
		echo "# $label: qemu-smmuv3 skipped: not an SMMUv3"
	fi
	empty "$label"
	stop_daemon TERM
done < "$T/rows"

summary
