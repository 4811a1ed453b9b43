# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# What the QEMU test (tests/qemu/run.sh) and the boot-time bench
# (tests/bench/run.sh) share, sourced after tests/integration/lib.sh, with
# B, SRC and CACHE set: QEMU 10 and the kernel, a daemon serving one edu
# device, and QEMU started under the preload library with the device's
# descriptor: "ioasidctl run" opens vfio0 and puts its number in fd=.

# qemu_setup: QEMU 10 (tests/qemu/fetch.sh) and the kernel
# (tests/guest/kernel.sh). Sets QEMU, FW, QEMU_VERSION, KDIR and KERNEL.
# Says why and fails when either cannot be had.
qemu_setup() {
	_q=$(sh "$SRC/tests/qemu/fetch.sh" "$B") || {
		give_up "no QEMU 10: tests/qemu/fetch.sh failed (see above)"
		return 1
	}
	QEMU=$_q/usr/bin/qemu-system-x86_64
	FW=$_q/fw
	QEMU_VERSION=$(cat "$_q/ok")
	# The system QEMU's modules are not this build's: use our own.
	QEMU_MODULE_DIR=$_q/usr/lib/x86_64-linux-gnu/qemu
	export QEMU_MODULE_DIR
	KDIR=$(sh "$SRC/tests/guest/kernel.sh" "$CACHE") || {
		give_up "cannot fetch the kernel (tests/guest/kernel.sh)"
		return 1
	}
	KERNEL=$KDIR/vmlinuz
	[ -e "$KDIR/vmlinux" ] && KERNEL=$KDIR/vmlinux
	return 0
}

# qemu_daemon DIR [PROFILE]: a fresh ioasidd in the background ($PID),
# serving DIR/iommu.sock (SOCK) and DIR/control.sock (CTLSOCK), no CUSE
# node, one [device edu0] (vfio0) on the plain IOMMU model (behind an
# [iommu host0] of model $QEMU_IOMMU when that is set), or with PROFILE
# behind an [iommu vtd0] of the intel-vtd model with that profile,
# logging each command at debug level into DIR/daemon.log.
qemu_daemon() {
	SOCK=$1/iommu.sock
	CTLSOCK=$1/control.sock
	cat >"$1/ioasidd.conf" <<EOF
[daemon]
socket = $SOCK
socket-mode = 0600
control-socket = $CTLSOCK
node =
log-level = ${QEMU_LOG_LEVEL:-debug}

EOF
	if [ -n "${2:-}" ]; then
		cat >>"$1/ioasidd.conf" <<EOF
[iommu vtd0]
model = intel-vtd
profile = $2

[device edu0]
rid = 00:03.0
function = edu
iommu = vtd0
EOF
	elif [ -n "${QEMU_IOMMU:-}" ]; then
		cat >>"$1/ioasidd.conf" <<EOF
[iommu host0]
model = $QEMU_IOMMU

[device edu0]
rid = 00:03.0
function = edu
iommu = host0
EOF
	else
		cat >>"$1/ioasidd.conf" <<EOF
[device edu0]
rid = 00:03.0
function = edu
model = plain
EOF
	fi
	start_daemon "$1/ioasidd.conf" "$1/daemon.log" "$SOCK"
}

# qemu_run MODE DIR INITRD [QEMU OPTION...]: QEMU with the edu device (or
# without it for MODE "bare"), booting the kernel with ioasidd_test=MODE;
# the console goes to DIR/MODE.console, the guest's results to
# DIR/MODE.results, QEMU's output to DIR/MODE.qemu, the command line to
# DIR/MODE.cmdline. It execs QEMU under the preload library: call it as
# a background job (&) or in a subshell.
qemu_run() {
	_m=$1 _d=$2 _i=$3
	shift 3
	_append="console=ttyS0 quiet panic=-1 ioasidd_test=$_m"
	case $_m in
	viommu)
		set -- -machine q35 \
		    -device intel-iommu,caching-mode=on,intremap=off "$@"
		_append="$_append intel_iommu=on" ;;
	*)
		set -- -machine pc "$@" ;;
	esac
	[ "$_m" = bare ] ||
		set -- "$@" -object iommufd,id=iommufd0 \
		    -device vfio-pci,iommufd=iommufd0,fd=%{vfio0}
	set -- "$QEMU" -L "$FW" -accel "${QEMU_ACCEL:-tcg}" \
	    -cpu "${QEMU_CPU:-max}" -m 512 -nodefaults \
	    -display none -monitor none -no-reboot \
	    -serial "file:$_d/$_m.console" -serial "file:$_d/$_m.results" \
	    -kernel "$KERNEL" -initrd "$_i" -append "$_append" "$@"
	: >"$_d/$_m.results"
	# exec: run in the background, the job's pid is QEMU's, which a
	# kill must reach. QEMU itself is not ours to check for leaks.
	export ASAN_OPTIONS=detect_leaks=0
	_libs=$(preload_libs "$PRELOAD")
	if [ "$_libs" = "$PRELOAD" ] && [ -n "${QEMU_RECORD:-}" ]; then
		echo "$CTL -s $CTLSOCK record -o $QEMU_RECORD --socket $SOCK" \
		    "--preload $PRELOAD -- $*" >"$_d/$_m.cmdline"
		exec "$CTL" -s "$CTLSOCK" record -o "$QEMU_RECORD" \
		    --socket "$SOCK" --preload "$PRELOAD" -- "$@" \
		    </dev/null >"$_d/$_m.qemu" 2>&1
	fi
	if [ "$_libs" = "$PRELOAD" ]; then
		echo "$CTL run --socket $SOCK --preload $PRELOAD -- $*" \
		    >"$_d/$_m.cmdline"
		exec "$CTL" run --socket "$SOCK" --preload "$PRELOAD" -- "$@" \
		    </dev/null >"$_d/$_m.qemu" 2>&1
	fi
	# Under SANITIZE=1 the sanitizer runtime must come first in
	# LD_PRELOAD, before the library, which ioasidctl run puts first:
	# a shell under the preload library opens the node as descriptor 3
	# and, as ioasidctl run does, names it in IOASIDD_DEVICE_FDS so that
	# the library in QEMU knows it for a device (kvm-vfio, pread).
	_n=0
	for _a in "$@"; do
		[ $_n -eq 0 ] && set --
		_n=1
		case $_a in *%\{vfio0\}*) _a="${_a%%%\{vfio0\}*}3" ;; esac
		set -- "$@" "$_a"
	done
	echo "LD_PRELOAD=$_libs $*" >"$_d/$_m.cmdline"
	exec env LD_PRELOAD="$_libs" IOASIDD_SOCKET="$SOCK" \
	    IOASIDD_DEVICE_FDS=3 \
	    sh -c 'exec 3<>/dev/vfio/devices/vfio0 && exec "$@"' sh "$@" \
	    </dev/null >"$_d/$_m.qemu" 2>&1
}

# qemu_boot MODE DIR INITRD TIMEOUT: qemu_run with a time limit; its
# status, 124 when the limit was reached.
qemu_boot() {
	_m=$1 _d=$2 _i=$3 _t=$4
	qemu_run "$_m" "$_d" "$_i" &
	_p=$!
	_n=0
	while kill -0 "$_p" 2>/dev/null; do
		if [ $_n -ge $((_t * 10)) ]; then
			kill -KILL "$_p" 2>/dev/null
			wait "$_p"
			return 124
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	wait "$_p"
}

# qemu_cmdline MODE: the command line the last boot of MODE ran.
qemu_cmdline() {
	cat "$W/$1.cmdline" 2>/dev/null
}

# qemu_start_paused DIR: QEMU stopped before its first instruction (-S),
# in the background as QPID, its output in DIR/killed.qemu.
qemu_start_paused() {
	qemu_run killed "$1" "$1/initrd.gz" -S &
	QPID=$!
}

# kvm_usable: /dev/kvm can be opened for reading and writing here.
kvm_usable() {
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
	    (exec 4<>/dev/kvm) 2>/dev/null
}

# qemu_status_has TEXT: the daemon's JSON status contains TEXT.
qemu_status_has() {
	"$CTL" -s "$CTLSOCK" --json status 2>/dev/null | grep -qF -- "$1"
}

# qemu_wait_bound: wait until edu0 is bound and its context maps memory.
qemu_wait_bound() {
	_n=0
	while [ $_n -lt 600 ]; do
		if ! qemu_status_has '"dev_id":0}' &&
		    "$CTL" -s "$CTLSOCK" objects 2>/dev/null | grep -q .; then
			"$CTL" -s "$CTLSOCK" --json status 2>/dev/null |
			    grep -q '"contexts":\[{' && return 0
		fi
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# qemu_released: no context, no locked memory, edu0 neither open nor bound.
qemu_released() {
	qemu_status_has '"contexts":[]' && qemu_status_has '"locked":[]' &&
	    qemu_status_has '"opens":0,"context":0,"dev_id":0}'
}

# wait_released: qemu_released within WAIT_TENTHS (the daemon notices
# the closes on its own time).
wait_released() {
	_n=0
	while [ $_n -lt "$WAIT_TENTHS" ]; do
		qemu_released && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}
