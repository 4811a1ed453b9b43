#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# The example VMM (client/examples/testvmm) against a real daemon through
# the preload library: each sequence on a mock device, on an edu device,
# and QEMU's on two mock devices of which only the first offers dirty
# tracking (its HWPT refuses the second with EINVAL, which QEMU takes as
# "try the next"). Each run must exit 0 and print the calls in the VMM's
# order; once a run has torn down (testvmm --wait) its context must hold
# only the bound devices, and once it exits the daemon must hold no
# context and no object. A run with a sequence that fails must exit 1.
# QEMU's accelerated SMMUv3 order runs on one and on two devices behind the
# built-in arm-smmuv3 instance (on the mock it is skipped), and QEMU's
# plain order behind intel-vtd and amd-vi instances of their qemu profiles.
#
# usage: tests/integration/examples.sh BUILD_DIR

set -u

. "$(dirname "$0")/lib.sh"
test_setup examples "${1:-build}" testvmm
TESTVMM=$B/testvmm

cat > "$T/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CSOCK
node =

[device nic0]
rid = 00:01.0

[device nic1]
rid = 00:02.0
capabilities =

[device edu0]
rid = 00:03.0
function = edu

[iommu vtd]
model = intel-vtd
profile = qemu

[iommu amd]
model = amd-vi
profile = qemu

[device smmu0]
rid = 00:04.0
iommu = arm-smmuv3

[device smmu1]
rid = 00:05.0
function = edu
iommu = arm-smmuv3

[device vtd0]
rid = 00:06.0
iommu = vtd

[device amd0]
rid = 00:07.0
iommu = amd
EOF

start_daemon "$T/ioasidd.conf" "$T/daemon.log" "$CSOCK" &&
    wait_for "$SOCK" || give_up "the daemon did not start: $(cat "$T/daemon.log")"

# vmm NAME ARGS...: run testvmm under the preload library, its output in
# $T/NAME.out and its exit status in $rc.
vmm() {
	_n=$1
	shift
	env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" timeout 60 \
	    "$TESTVMM" "$@" > "$T/$_n.out" 2>&1
	rc=$?
}

# calls FILE SEQUENCE: the calls SEQUENCE printed, one a line, with the
# result: "IOMMU_IOAS_ALLOC ok".
calls() {
	sed -n "s/^$2: \([A-Za-z_]*\) -> \([A-Za-z0-9]*\).*/\1 \2/p" "$1"
}

# expect NAME SEQUENCE: the calls of SEQUENCE in $T/NAME.out are exactly
# the lines of $T/want. (Not read from a pipe: the last command of a
# pipeline runs in a subshell, whose counts would be lost.)
expect() {
	calls "$T/$1.out" "$2" > "$T/got"
	if cmp -s "$T/want" "$T/got"; then
		ok "$1: $2 made $(wc -l < "$T/got") calls in order"
	else
		fail "$1: $2 calls differ (want, got)"
		diff "$T/want" "$T/got" | sed 's/^/    /' | head -30
	fi
}

# empty NAME: once the run is over the daemon holds no context (so no
# object) and no user's charges.
empty() {
	_i=0
	while [ $_i -lt 30 ]; do
		"$CTL" -s "$CSOCK" --json status > "$T/status" 2>&1
		grep -q '"contexts":\[\]' "$T/status" &&
		    grep -q '"users":\[\]' "$T/status" &&
		    grep -q '"ncontexts":0' "$T/status" && break
		sleep 0.1
		_i=$((_i + 1))
	done
	if [ $_i -lt 30 ]; then
		ok "$1: the daemon holds no context and no object after"
	else
		fail "$1: the daemon still holds something"
		sed 's/^/    /' "$T/status"
	fi
}

# status NAME WANT: the run exited WANT.
status() {
	if [ "$rc" -eq "$2" ]; then
		ok "$1: exit status $rc"
	else
		fail "$1: exit status $rc, not $2"
		sed 's/^/    /' "$T/$1.out" | head -60
	fi
}

# The region and interrupt queries of one device: GET_INFO, then every
# region and index it reports, with their results.
queries_mock() {
	echo "VFIO_DEVICE_GET_INFO ok"
	for i in 0 1 2 3 4 5 6 7 8; do
		echo "VFIO_DEVICE_GET_REGION_INFO ENOTTY"
	done
	for i in 0 1 2 3 4; do
		echo "VFIO_DEVICE_GET_IRQ_INFO ENOTTY"
	done
}
queries_edu() {
	echo "VFIO_DEVICE_GET_INFO ok"
	for i in 0 1 2 3 4 5 6 7; do
		echo "VFIO_DEVICE_GET_REGION_INFO ok"
	done
	echo "VFIO_DEVICE_GET_REGION_INFO EINVAL"	# VGA: none
	for i in 0 1 2 3 4; do
		echo "VFIO_DEVICE_GET_IRQ_INFO ok"
	done
}

# QEMU on one device with dirty tracking: $1 is its query function.
qemu_one() {
	cat <<EOF
open ok
open ok
VFIO_DEVICE_BIND_IOMMUFD ok
IOMMU_GET_HW_INFO ok
IOMMU_IOAS_ALLOC ok
IOMMU_HWPT_ALLOC ok
VFIO_DEVICE_ATTACH_IOMMUFD_PT ok
IOMMU_IOAS_IOVA_RANGES EMSGSIZE
IOMMU_IOAS_IOVA_RANGES ok
IOMMU_IOAS_MAP ok
EOF
	$1
	cat <<EOF
IOMMU_HWPT_SET_DIRTY_TRACKING ok
IOMMU_HWPT_GET_DIRTY_BITMAP ok
IOMMU_HWPT_SET_DIRTY_TRACKING ok
VFIO_DEVICE_DETACH_IOMMUFD_PT ok
IOMMU_DESTROY ok
IOMMU_IOAS_UNMAP ok
IOMMU_DESTROY ok
close ok
close ok
EOF
}

smmuv3_skipped() {
	cat <<EOF
open ok
open ok
VFIO_DEVICE_BIND_IOMMUFD ok
IOMMU_GET_HW_INFO ok
IOMMU_IOAS_ALLOC ok
IOMMU_DESTROY ok
close ok
close ok
EOF
}

# QEMU's accelerated SMMUv3 on N devices ($1): all bound, the nest parent,
# the vIOMMU, abort and bypass vSTEs, each device's vDEVICE and attach to
# abort, guest RAM mapped, each device moved to bypass with its CFGI_CD,
# the TLB commands, and the teardown in reverse.
smmuv3_n() {
	echo "open ok"
	for i in $(seq "$1"); do
		printf 'open ok\nVFIO_DEVICE_BIND_IOMMUFD ok\n'
		echo "IOMMU_GET_HW_INFO ok"
		[ "$i" -eq 1 ] && echo "IOMMU_IOAS_ALLOC ok"
	done
	printf 'IOMMU_HWPT_ALLOC ok\nIOMMU_VIOMMU_ALLOC ok\n'
	printf 'IOMMU_HWPT_ALLOC ok\nIOMMU_HWPT_ALLOC ok\n'
	for i in $(seq "$1"); do
		echo "IOMMU_VDEVICE_ALLOC ok"
		echo "VFIO_DEVICE_ATTACH_IOMMUFD_PT ok"
	done
	cat <<EOF
IOMMU_IOAS_IOVA_RANGES EMSGSIZE
IOMMU_IOAS_IOVA_RANGES ok
IOMMU_IOAS_MAP ok
EOF
	for i in $(seq "$1"); do
		echo "VFIO_DEVICE_ATTACH_IOMMUFD_PT ok"
		echo "IOMMU_HWPT_INVALIDATE ok"
	done
	printf 'IOMMU_HWPT_INVALIDATE ok\nIOMMU_HWPT_INVALIDATE ok\n'
	for i in $(seq "$1"); do
		echo "VFIO_DEVICE_DETACH_IOMMUFD_PT ok"
	done
	for i in $(seq "$1"); do
		echo "IOMMU_DESTROY ok"
	done
	cat <<EOF
IOMMU_DESTROY ok
IOMMU_DESTROY ok
IOMMU_DESTROY ok
IOMMU_DESTROY ok
IOMMU_IOAS_UNMAP ok
IOMMU_DESTROY ok
EOF
	for i in $(seq "$1"); do
		echo "close ok"
	done
	echo "close ok"
}

# QEMU on one mock device whose IOMMU offers no dirty tracking.
qemu_clean() {
	cat <<EOF
open ok
open ok
VFIO_DEVICE_BIND_IOMMUFD ok
IOMMU_GET_HW_INFO ok
IOMMU_IOAS_ALLOC ok
IOMMU_HWPT_ALLOC ok
VFIO_DEVICE_ATTACH_IOMMUFD_PT ok
IOMMU_IOAS_IOVA_RANGES EMSGSIZE
IOMMU_IOAS_IOVA_RANGES ok
IOMMU_IOAS_MAP ok
EOF
	queries_mock
	cat <<EOF
VFIO_DEVICE_DETACH_IOMMUFD_PT ok
IOMMU_DESTROY ok
IOMMU_IOAS_UNMAP ok
IOMMU_DESTROY ok
close ok
close ok
EOF
}

cloud_hypervisor_one() {
	cat <<EOF
open ok
IOMMU_IOAS_ALLOC ok
open ok
VFIO_DEVICE_BIND_IOMMUFD ok
VFIO_DEVICE_ATTACH_IOMMUFD_PT ok
IOMMU_IOAS_MAP ok
IOMMU_IOAS_UNMAP ok
VFIO_DEVICE_DETACH_IOMMUFD_PT ok
IOMMU_DESTROY ok
close ok
close ok
EOF
}

# --- each sequence alone, on the mock device and on edu -----------------

for dev in 0 2; do
	q=queries_mock
	[ $dev -eq 2 ] && q=queries_edu
	for s in qemu qemu-smmuv3 cloud-hypervisor; do
		n=$s-vfio$dev
		vmm "$n" --sequence "$s" "$dev"
		status "$n" 0
		case $s in
		qemu) qemu_one $q > "$T/want" ;;
		qemu-smmuv3) smmuv3_skipped > "$T/want" ;;
		cloud-hypervisor) cloud_hypervisor_one > "$T/want" ;;
		esac
		expect "$n" "$s"
		check "$n: ends with \"$s: done\"" \
		    grep -qx "$s: done" "$T/$n.out"
		empty "$n"
	done
done

# What the calls returned, checked on their values.
check "qemu-vfio0: HWPT made with dirty tracking (flags 0x2)" \
    grep -q '^qemu: IOMMU_HWPT_ALLOC -> ok dev=1 pt=2 flags=0x2 ' \
    "$T/qemu-vfio0.out"
check "qemu-vfio0: guest RAM mapped in the mock's aperture at 16 MiB" \
    grep -q '^qemu: IOMMU_IOAS_MAP -> ok ioas=2 iova=0x1000000 length=0x400000' \
    "$T/qemu-vfio0.out"
check "qemu-vfio0: the size probe counted one range" \
    grep -q 'num_iovas=0 (size probe) -> num_iovas=1$' "$T/qemu-vfio0.out"
check "qemu-vfio0: UNMAP took the whole of guest RAM back" \
    grep -q 'IOMMU_IOAS_UNMAP -> ok .* unmapped=0x400000$' \
    "$T/qemu-vfio0.out"
check "qemu-vfio2: edu's BAR0 is 1 MiB, its config space 256 bytes" \
    sh -c "grep -q 'GET_REGION_INFO -> ok index=0 flags=0x3 size=0x100000\$' \
    '$T/qemu-vfio2.out' && grep -q 'GET_REGION_INFO -> ok index=7 flags=0x3 size=0x100\$' \
    '$T/qemu-vfio2.out'"
check "qemu-smmuv3-vfio0: skipped on the mock" \
    grep -qx 'qemu-smmuv3: skipped: not an SMMUv3 (hw_info type 0xfeedbeef)' \
    "$T/qemu-smmuv3-vfio0.out"
check "cloud-hypervisor-vfio0: ATTACH to the IOAS gave an automatic HWPT" \
    grep -q '^cloud-hypervisor: VFIO_DEVICE_ATTACH_IOMMUFD_PT -> ok dev=2 pt=1 attached=[1-9]' \
    "$T/cloud-hypervisor-vfio0.out"

# --- QEMU with two devices: the retry -----------------------------------

# nic1 has no dirty tracking: the HWPT made for nic0 (with it) refuses
# nic1 with EINVAL, so QEMU makes nic1 a HWPT of its own.
vmm qemu-two --sequence qemu 0 1
status qemu-two 0
{
	cat <<EOF
open ok
open ok
VFIO_DEVICE_BIND_IOMMUFD ok
IOMMU_GET_HW_INFO ok
IOMMU_IOAS_ALLOC ok
IOMMU_HWPT_ALLOC ok
VFIO_DEVICE_ATTACH_IOMMUFD_PT ok
IOMMU_IOAS_IOVA_RANGES EMSGSIZE
IOMMU_IOAS_IOVA_RANGES ok
IOMMU_IOAS_MAP ok
EOF
	queries_mock
	cat <<EOF
open ok
VFIO_DEVICE_BIND_IOMMUFD ok
IOMMU_GET_HW_INFO ok
VFIO_DEVICE_ATTACH_IOMMUFD_PT EINVAL
IOMMU_HWPT_ALLOC ok
VFIO_DEVICE_ATTACH_IOMMUFD_PT ok
EOF
	queries_mock
	cat <<EOF
IOMMU_HWPT_SET_DIRTY_TRACKING ok
IOMMU_HWPT_GET_DIRTY_BITMAP ok
IOMMU_HWPT_SET_DIRTY_TRACKING ok
VFIO_DEVICE_DETACH_IOMMUFD_PT ok
VFIO_DEVICE_DETACH_IOMMUFD_PT ok
IOMMU_DESTROY ok
IOMMU_DESTROY ok
IOMMU_IOAS_UNMAP ok
IOMMU_DESTROY ok
close ok
close ok
close ok
EOF
} > "$T/want"
expect qemu-two qemu
# The first HWPT (made for vfio0, with dirty tracking) is the one that
# refused vfio1, and vfio1's own HWPT has no dirty tracking.
first=$(sed -n 's/^qemu: IOMMU_HWPT_ALLOC -> ok dev=[0-9]* pt=[0-9]* flags=0x2 .* hwpt=\([0-9]*\)$/\1/p' \
    "$T/qemu-two.out")
check "qemu-two: EINVAL from the first HWPT read as \"try the next HWPT\"" \
    grep -q "EINVAL dev=[0-9]* pt=${first:-none} attached=0 (incompatible: try the next HWPT)\$" \
    "$T/qemu-two.out"
check "qemu-two: the second HWPT has no dirty tracking (flags 0)" \
    test "$(grep -c '^qemu: IOMMU_HWPT_ALLOC -> ok .* flags=0 ' "$T/qemu-two.out")" -eq 1
check "qemu-two: dirty tracking turned on and off on the first HWPT only" \
    test "$(grep -c "SET_DIRTY_TRACKING -> ok hwpt=${first:-none} " "$T/qemu-two.out")" -eq 2
empty qemu-two

# --- QEMU's accelerated SMMUv3 on the arm-smmuv3 model ------------------

# smmu NAME N DEVICES...: the accelerated sequence on N devices, in order.
smmu() {
	_n=$1 _c=$2
	shift 2
	vmm "$_n" --sequence qemu-smmuv3 "$@"
	status "$_n" 0
	smmuv3_n "$_c" > "$T/want"
	expect "$_n" qemu-smmuv3
	check "$_n: ends with \"qemu-smmuv3: done\"" \
	    grep -qx "qemu-smmuv3: done" "$T/$_n.out"
	check "$_n: the IOMMU is an SMMUv3 (hw_info type 2)" \
	    test "$(grep -c '^qemu-smmuv3: IOMMU_GET_HW_INFO -> ok .* type=0x2 ' \
	    "$T/$_n.out")" -eq "$_c"
	check "$_n: the first HWPT is a nest parent on the IOAS" \
	    grep -q '^qemu-smmuv3: IOMMU_HWPT_ALLOC -> ok dev=1 pt=2 flags=0x1 data_type=0 parent=' \
	    "$T/$_n.out"
	check "$_n: abort and bypass vSTEs on the vIOMMU (data type 2)" \
	    sh -c "grep -q '^qemu-smmuv3: IOMMU_HWPT_ALLOC -> ok .* data_type=2 abort=' \
	    '$T/$_n.out' && grep -q '^qemu-smmuv3: IOMMU_HWPT_ALLOC -> ok .* data_type=2 bypass=' \
	    '$T/$_n.out'"
	check "$_n: a vDEVICE per device, vSIDs 1 to $_c" \
	    test "$(grep -c '^qemu-smmuv3: IOMMU_VDEVICE_ALLOC -> ok .* vsid=[0-9]* ' \
	    "$T/$_n.out")" -eq "$_c"
	check "$_n: every command handled, one a call" \
	    test "$(grep -c '^qemu-smmuv3: IOMMU_HWPT_INVALIDATE -> ok .* entry_num=1 handled=1$' \
	    "$T/$_n.out")" -eq $((_c + 2))
	check "$_n: destroyed vDEVICEs, vSTEs, vIOMMU, parent and IOAS" \
	    test "$(grep -c '^qemu-smmuv3: IOMMU_DESTROY -> ok ' \
	    "$T/$_n.out")" -eq $((_c + 5))
	empty "$_n"
}

smmu smmu-one 1 3
smmu smmu-two 2 3 4

# --- QEMU behind intel-vtd and amd-vi (their qemu profiles) --------------

for m in vtd:5:0x1 amd:6:0x4; do
	n=qemu-${m%%:*}
	d=${m#*:}
	t=${d#*:}
	d=${d%%:*}
	vmm "$n" --sequence qemu "$d"
	status "$n" 0
	qemu_clean > "$T/want"
	expect "$n" qemu
	check "$n: hw_info type $t" grep -q \
	    "^qemu: IOMMU_GET_HW_INFO -> ok dev=1 type=$t " "$T/$n.out"
	check "$n: the qemu profile offers no dirty tracking" grep -qx \
	    'qemu: dirty tracking: skipped: no HWPT offers it' "$T/$n.out"
	check "$n: ends with \"qemu: done\"" grep -qx "qemu: done" \
	    "$T/$n.out"
	empty "$n"
done

# --- what the teardown leaves, seen before the nodes close ---------------

# held NAME WANT ARGS...: run testvmm --wait with ARGS; once it has torn
# down and waits, its /dev/iommu context must hold exactly WANT (JSON of
# the object counts by kind: the bound devices and nothing else); then
# let it close and exit 0.
held() {
	_n=$1 _want=$2
	shift 2
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	exec 3<>"$T/fifo"
	env LD_PRELOAD="$LIBS" IOASIDD_SOCKET="$SOCK" "$TESTVMM" --wait "$@" \
	    < "$T/fifo" > "$T/$_n.out" 2>&1 &
	_vp=$!
	_got="testvmm did not reach the end of its teardown"
	if wait_grep "teardown done, waiting" "$T/$_n.out"; then
		_got=$("$CTL" -s "$CSOCK" --json objects |
		    grep -o "\"transport\":\"socket\",\"opener\":$_vp,[^}]*}" |
		    sed 's/.*\("nobjs":[0-9]*,"objects":{[^}]*}\)$/\1/')
	fi
	echo >&3
	wait "$_vp"
	rc=$?
	exec 3>&-
	if [ "$_got" = "$_want" ]; then
		ok "$_n: after the teardown the context holds $_want"
	else
		fail "$_n: after the teardown the context holds $_got," \
		    "not $_want"
	fi
	status "$_n" 0
}

held held-qemu '"nobjs":2,"objects":{"device":2}' --sequence qemu 0 1
held held-edu '"nobjs":1,"objects":{"device":1}' --sequence qemu 2
held held-ch '"nobjs":1,"objects":{"device":1}' --sequence cloud-hypervisor 0
held held-smmu '"nobjs":2,"objects":{"device":2}' --sequence qemu-smmuv3 3 4
empty held

# --- all of them, and the failures --------------------------------------

vmm all-edu --sequence all 2
status all-edu 0
check "all-edu: three sequences, each done" \
    test "$(grep -c '^[a-z0-9-]*: done$' "$T/all-edu.out")" -eq 3
empty all-edu

# All three on the edu device behind the SMMU: none skipped.
vmm all-smmu --sequence all 4
status all-smmu 0
check "all-smmu: three sequences, each done" \
    test "$(grep -c '^[a-z0-9-]*: done$' "$T/all-smmu.out")" -eq 3
check "all-smmu: the SMMUv3 sequence ran, not skipped" \
    sh -c "! grep -q '^qemu-smmuv3: skipped' '$T/all-smmu.out' &&
    grep -q '^qemu-smmuv3: IOMMU_VIOMMU_ALLOC -> ok' '$T/all-smmu.out'"
empty all-smmu

# A device the daemon lacks: the open fails, the VMM gives up, exit 1,
# and still nothing is left behind.
vmm missing --sequence qemu 9
status missing 1
check "missing: the open of vfio9 failed with ENOENT" \
    grep -q '^qemu: open -> ENOENT /dev/vfio/devices/vfio9' "$T/missing.out"
check "missing: the sequence says FAILED" grep -qx 'qemu: FAILED' \
    "$T/missing.out"
empty missing

vmm badseq --sequence xen 0
status badseq 2
vmm help --help
status help 0
check "--help names every sequence" \
    grep -q 'qemu, qemu-smmuv3, cloud-hypervisor or all' "$T/help.out"

alive "after the examples"
stop_daemon
check "daemon exits 0 on SIGTERM" test $? -eq 0
summary
