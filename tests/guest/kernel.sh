#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Fetch Debian's kernel for the guest test into a cache directory and print
# the directory that holds its vmlinuz (and vmlinux, the same kernel
# unpacked, when QEMU can boot it), cuse.ko and (when FUSE is a module)
# fuse.ko, and in modules/ what the QEMU test's guest loads: VFIO (type1
# and vfio-pci), UIO with uio_pci_generic, and irqbypass. The package is downloaded with apt-get and unpacked with
# dpkg-deb, never installed; only those three files are kept. A second run
# finds them in the cache and downloads nothing. When the registry cannot
# be reached, a kernel already in the cache is used.
#
# The kernel is the one linux-image-amd64 currently depends on, in its
# -unsigned form when there is one (the same files without the signature
# wrapping). Bookworm's 6.1 has fuse.ko and cuse.ko as plain modules; newer
# kernels have FUSE built in and ship cuse.ko.xz, which is decompressed.
#
# usage: tests/guest/kernel.sh CACHE_DIR

set -eu

CACHE=${1:?usage: kernel.sh CACHE_DIR}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

# A cached kernel is complete when its "ok" stamp exists and its modules/
# are there (a kernel cached before they were kept is fetched again).
complete() {
	[ -e "$1/ok" ] && [ -d "$1/modules" ]
}

newest_cached() {
	for d in "$CACHE"/linux-image-*; do
		complete "$d" && echo "$d"
	done | sort -V | tail -n 1
}

resolve() {
	apt-cache depends linux-image-amd64 2>/dev/null |
	    awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}

name=$(resolve)
if [ -z "$name" ] && [ "$(id -u)" = 0 ]; then
	# A fresh machine may have no package lists yet.
	apt-get update -qq >/dev/null 2>&1 || true
	name=$(resolve)
fi
if [ -z "$name" ]; then
	d=$(newest_cached)
	[ -n "$d" ] && { echo "$d"; exit 0; }
	echo "kernel.sh: cannot resolve linux-image-amd64 (apt-get update?)" >&2
	exit 1
fi
# One policy query gives the candidate of both forms.
set -- $(apt-cache policy "$name-unsigned" "$name" 2>/dev/null |
    awk '/^[^ ]/ { p = $1; sub(/:$/, "", p) }
	$1 == "Candidate:" && $2 != "(none)" { print p, $2; exit }')
if [ $# -ne 2 ]; then
	echo "kernel.sh: no candidate for $name" >&2
	exit 1
fi
name=$1
version=$2
dir=$CACHE/${name}_$version
if complete "$dir"; then
	echo "$dir"
	exit 0
fi

# Everything happens in a directory of this run's own, renamed into place
# at the end, so that two runs sharing the cache never see half a kernel.
tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
k=$tmp/k
mkdir -p "$tmp/dl" "$tmp/x" "$k"
sandbox=
[ "$(id -u)" = 0 ] && sandbox="-o APT::Sandbox::User=root"
echo "kernel.sh: downloading $name $version" >&2
# shellcheck disable=SC2086
if ! (cd "$tmp/dl" && apt-get download -qq $sandbox "$name" >&2); then
	d=$(newest_cached)
	[ -n "$d" ] && { echo "kernel.sh: using $d" >&2; echo "$d"; exit 0; }
	echo "kernel.sh: cannot download $name" >&2
	exit 1
fi

# Unpack only the kernel and the module directories the tests load.
mods=
for m in fs/fuse drivers/vfio drivers/uio virt/lib; do
	mods="$mods ./lib/modules/*/kernel/$m/* ./usr/lib/modules/*/kernel/$m/*"
done
# shellcheck disable=SC2086
dpkg-deb --fsys-tarfile "$tmp"/dl/*.deb |
    tar -x -C "$tmp/x" --wildcards './boot/vmlinuz-*' $mods \
    2>/dev/null || true
cp "$tmp"/x/boot/vmlinuz-* "$k/vmlinuz" 2>/dev/null || true
fusedir=$(find "$tmp/x" -type d -path '*/kernel/fs/fuse' | head -n 1)
for m in fuse cuse; do
	if [ -e "$fusedir/$m.ko" ]; then
		cp "$fusedir/$m.ko" "$k/"
	elif [ -e "$fusedir/$m.ko.xz" ]; then
		xz -dc "$fusedir/$m.ko.xz" >"$k/$m.ko"
	elif [ -e "$fusedir/$m.ko.zst" ] && command -v zstd >/dev/null; then
		zstd -qdc "$fusedir/$m.ko.zst" >"$k/$m.ko"
	fi
done
# Every module of the other directories, flat, decompressed.
mkdir -p "$k/modules"
find "$tmp/x" -name '*.ko*' ! -path '*/fs/fuse/*' | while read -r f; do
	b=$(basename "$f")
	case $b in
	*.ko) cp "$f" "$k/modules/$b" ;;
	*.ko.xz) xz -dc "$f" >"$k/modules/${b%.xz}" ;;
	*.ko.zst) command -v zstd >/dev/null &&
	    zstd -qdc "$f" >"$k/modules/${b%.zst}" ;;
	esac
done
if [ ! -s "$k/vmlinuz" ] || [ ! -s "$k/cuse.ko" ]; then
	echo "kernel.sh: $name has no vmlinuz or cuse.ko" >&2
	exit 1
fi

# Under software emulation the guest spends several seconds unpacking its
# own kernel. When the compressed kernel inside vmlinuz is xz (Debian's
# choice) and the ELF inside carries the PVH entry note, keep it unpacked:
# QEMU boots such a vmlinux directly.
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$k/vmlinuz" 2>/dev/null |
    head -n 1 | cut -d : -f 1)
if [ -n "$off" ] && command -v readelf >/dev/null 2>&1; then
	# xz stops at the end of its stream and complains about what
	# follows it; the ELF check below is what counts.
	tail -c +$((off + 1)) "$k/vmlinuz" | xz -dcq >"$k/vmlinux" \
	    2>/dev/null || true
	# Note type 18 is XEN_ELFNOTE_PHYS32_ENTRY, the PVH entry point.
	readelf -n "$k/vmlinux" 2>/dev/null |
	    grep -q 'Xen.*(0x00000012)' || rm -f "$k/vmlinux"
fi

echo "$name $version" >"$k/ok"
if ! complete "$dir"; then
	rm -rf "$dir"
	mv "$k" "$dir" 2>/dev/null || [ -e "$dir/ok" ] || exit 1
fi
# Older kernels are not booted again.
for d in "$CACHE"/linux-image-*; do
	[ "$d" = "$dir" ] || rm -rf "$d"
done
echo "$dir"
