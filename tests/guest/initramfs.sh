# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Making a guest's initramfs, shared by the guest test (tests/guest/run.sh)
# and the QEMU test (tests/qemu/run.sh), sourced by them: a busybox root
# with the usual mount points, programs copied in with every shared
# library ldd says they load (at the same paths, the dynamic loader
# included, so nothing is relinked), and the gzip'd cpio archive.

# initramfs_root ROOT INIT: busybox (static), the mount points, /init from
# INIT and a root user.
initramfs_root() {
	mkdir -p "$1/bin" "$1/t" "$1/modules" "$1/dev" "$1/proc" "$1/sys" \
	    "$1/tmp" "$1/run" "$1/etc" || return 1
	cp "${BUSYBOX:-/bin/busybox}" "$1/bin/busybox" || return 1
	ln -s busybox "$1/bin/sh"
	cp "$2" "$1/init" && chmod 0755 "$1/init" || return 1
	echo "root:x:0:0:root:/:/bin/sh" >"$1/etc/passwd"
	echo "root:x:0:" >"$1/etc/group"
}

# initramfs_bins ROOT FILE...: the programs into ROOT/t, their libraries
# where they are on the host.
initramfs_bins() {
	_r=$1
	shift
	for _f in "$@"; do
		cp "$_f" "$_r/t/" || return 1
		ldd "$_f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
		    $1 ~ /^\// { print $1 }'
	done | sort -u | while read -r _lib; do
		mkdir -p "$_r$(dirname "$_lib")"
		cp -L "$_lib" "$_r$_lib"
	done
}

# initramfs_pack ROOT OUT: the archive QEMU's -initrd takes.
initramfs_pack() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2"
}
