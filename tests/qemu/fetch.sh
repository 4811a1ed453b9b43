#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Fetch QEMU 10 (the first QEMU with the iommufd backend that Debian 12 can
# run) from bookworm-backports beside the system's QEMU, which stays as it
# is: the CUSE guest test keeps using it. A private apt configuration in
# the build tree names only bookworm-backports; its lists and its package
# cache live there too. qemu-system-x86, qemu-system-common and
# qemu-system-data (one version) and seabios are downloaded and unpacked
# with dpkg-deb, never installed. The firmware directory handed to QEMU
# with -L holds the unpacked ROMs and SeaBIOS, with the system's ipxe ROMs
# where the packages link to them.
#
# A second run finds the "ok" stamp and downloads nothing. Without the
# archive, an unpacked QEMU already there is used. Prints the directory:
# DIR/usr/bin/qemu-system-x86_64 and DIR/fw. On any failure it says what
# failed on stderr and exits 1: the test that needs it fails, it never
# passes without QEMU.
#
# usage: tests/qemu/fetch.sh BUILD_DIR
# env:   IOASIDD_QEMU_CACHE	where to keep it instead of BUILD_DIR (two
#				build trees can share one download)

set -eu

B=${IOASIDD_QEMU_CACHE:-${1:?usage: fetch.sh BUILD_DIR}}
mkdir -p "$B"
B=$(cd "$B" && pwd)
D=$B/qemu10
a=$B/qemu-apt

fail() {
	echo "fetch.sh: FAIL: $*" >&2
	exit 1
}

if [ -e "$D/ok" ]; then
	echo "$D"
	exit 0
fi

command -v apt-get >/dev/null 2>&1 || fail "no apt-get"
command -v dpkg-deb >/dev/null 2>&1 || fail "no dpkg-deb"

mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
key=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$key] http://deb.debian.org/debian bookworm-backports main" \
    >"$a/sources.list"
A="-o Dir::Etc::SourceList=$a/sources.list -o Dir::Etc::SourceParts=/dev/null
-o Dir::State::Lists=$a/lists -o Dir::Cache=$a/cache -o Debug::NoLocking=1"
[ "$(id -u)" = 0 ] && A="$A -o APT::Sandbox::User=root"

# shellcheck disable=SC2086
apt-get $A update -qq >"$a/update.log" 2>&1 ||
    fail "apt-get update of bookworm-backports failed: $(tail -n 3 "$a/update.log")"

# The newest version the backports list has of each package.
newest() {
	# shellcheck disable=SC2086
	apt-cache $A show "$1" 2>/dev/null |
	    awk '$1 == "Version:" { print $2 }' | sort -V | tail -n 1
}
qv=$(newest qemu-system-x86)
sv=$(newest seabios)
case $qv in
"" | 1:[0-9].* | [0-9].*) fail "bookworm-backports has no QEMU 10 or newer (found '$qv')" ;;
esac
[ -n "$sv" ] || fail "bookworm-backports has no seabios"
echo "fetch.sh: qemu-system-x86 $qv, seabios $sv" >&2

tmp=$(mktemp -d "$B/qemu10.tmp.XXXXXX")
trap '[ -n "${KEEPTMP:-}" ] || rm -rf "$tmp"' EXIT
mkdir -p "$tmp/dl" "$tmp/root"
# shellcheck disable=SC2086
(cd "$tmp/dl" && apt-get $A download -qq "qemu-system-x86=$qv" \
    "qemu-system-common=$qv" "qemu-system-data=$qv" "seabios=$sv" \
    >"$tmp/download.log" 2>&1) ||
    fail "apt-get download failed: $(tail -n 3 "$tmp/download.log")"
for f in "$tmp"/dl/*.deb; do
	dpkg-deb -x "$f" "$tmp/root" || fail "cannot unpack $f"
done
q=$tmp/root/usr/bin/qemu-system-x86_64
[ -x "$q" ] || fail "no qemu-system-x86_64 in the packages"

# No shared library may be missing: the packages are not installed, so
# nothing pulled their dependencies in.
missing=$(ldd "$q" 2>&1 | awk '/not found/ { print $1 }' | tr '\n' ' ')
[ -z "$missing" ] || fail "qemu-system-x86_64 needs missing libraries: $missing"

# The firmware directory: the unpacked QEMU ROMs and SeaBIOS, and the
# system's ipxe ROMs (ipxe-qemu, which the system's QEMU brought in) for
# the network cards' option ROMs.
fw=$tmp/root/fw
mkdir -p "$fw"
for d in "$tmp/root/usr/share/qemu" "$tmp/root/usr/share/seabios" \
    /usr/lib/ipxe/qemu; do
	[ -d "$d" ] || continue
	for e in "$d"/*; do
		[ -e "$e" ] && [ ! -e "$fw/${e##*/}" ] && cp -rL "$e" "$fw/"
	done
done
[ -s "$fw/bios-256k.bin" ] || fail "no SeaBIOS (bios-256k.bin) in the firmware"

"$q" -L "$fw" -object help 2>/dev/null | grep -qw iommufd ||
    fail "this QEMU has no iommufd object"
echo "qemu-system-x86 $qv seabios $sv" >"$tmp/root/ok"
rm -rf "$D"
mv "$tmp/root" "$D"
echo "$D"
