#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# /init of the QEMU test's guest (tests/qemu/run.sh): a busybox system in
# which QEMU 10 has passed ioasidd's emulated edu device through. The
# kernel command line says which part runs:
#
#	ioasidd_test=nommu	no guest IOMMU: the device in sysfs and its
#				registers (qemu_edu bar), then DMA to
#				guest-physical memory with uio_pci_generic
#				counting the interrupt (qemu_edu dma)
#	ioasidd_test=viommu	QEMU's intel-iommu: the guest's vfio-pci and
#				type1 drive the device (qemu_edu vfio)
#	ioasidd_test=boot	nothing: power off at once (the boot-time
#	ioasidd_test=bare	figure of make bench, with the device and
#				without it)
#
# Results go to the second serial port, one line each, as in the guest
# test: "GUEST ok TEXT", "GUEST FAIL TEXT", "GUEST # TEXT" and at the end
# "GUEST done P F".

/bin/busybox --install -s /bin
export PATH=/bin:/t
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp

OUT=/dev/ttyS1
[ -c "$OUT" ] || OUT=/dev/console
passes=0
fails=0
mode=
for w in $(cat /proc/cmdline); do
	case $w in ioasidd_test=*) mode=${w#ioasidd_test=} ;; esac
done

res() {
	echo "GUEST $*" >"$OUT"
	echo "[$(cut -d ' ' -f 1 /proc/uptime)] $*" >/dev/console
}

ok() {
	res "ok $*"
	passes=$((passes + 1))
}

fail() {
	res "FAIL $*"
	fails=$((fails + 1))
}

# edu STEP: qemu_edu's lines become results.
edu() {
	timeout 120 qemu_edu "$1" >/tmp/edu.out 2>&1
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"FAIL "*) fail "${line#FAIL }" ;;
		*) res "# $line" ;;
		esac
	done </tmp/edu.out
	[ $rc -le 1 ] || fail "qemu_edu $1 exited $rc"
}

# load NAME...: insmod from /modules, each after what it needs (tried
# in rounds until nothing more loads).
load() {
	left="$*"
	for round in 1 2 3 4 5; do
		next=
		for m in $left; do
			[ -e "/modules/$m.ko" ] || continue
			insmod "/modules/$m.ko" $(eval echo \"\${opts_$m:-}\") \
			    2>/dev/null || next="$next $m"
		done
		left=$next
		[ -z "$left" ] && return 0
	done
	res "# modules not loaded:$left"
	return 1
}

# bind DRIVER: the edu function to DRIVER, by its ids.
bind() {
	echo 1234 11e8 >"/sys/bus/pci/drivers/$1/new_id" 2>/dev/null
	dev=$(qemu_edu find)
	[ -n "$dev" ] && [ -e "/sys/bus/pci/drivers/$1/$dev" ]
}

case $mode in
nommu)
	edu bar
	if load uio uio_pci_generic && bind uio_pci_generic; then
		ok "uio_pci_generic bound"
	else
		fail "uio_pci_generic did not bind (INTx masking?)"
		dmesg | tail -n 5 | sed 's/^/# /' | while read -r l; do
			res "$l"
		done
	fi
	edu dma
	;;
viommu)
	# QEMU's intel-iommu runs here without interrupt remapping, so MSI
	# is not isolated and type1 refuses the group unless told.
	opts_vfio_iommu_type1=allow_unsafe_interrupts=1
	if [ -d /sys/class/iommu ] && [ -n "$(ls /sys/class/iommu)" ]; then
		ok "the guest has an IOMMU ($(ls /sys/class/iommu | head -n 1))"
	else
		fail "no IOMMU in the guest (intel_iommu=on?)"
	fi
	if load irqbypass vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core \
	    vfio-pci && bind vfio-pci; then
		ok "vfio-pci bound in the guest"
	else
		fail "vfio-pci did not bind in the guest"
		dmesg | tail -n 5 | while read -r l; do res "# $l"; done
	fi
	edu vfio
	;;
boot | bare)
	;;
*)
	fail "no ioasidd_test= on the kernel command line"
	;;
esac
res "done $passes $fails"
sync
poweroff -f
