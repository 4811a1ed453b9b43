#!/bin/sh
#
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Build the kernel's own iommufd selftest (tools/testing/selftests/iommu
# from Debian's linux-source-6.12 package) against ioasidd's headers,
# without changing a line of it: the proof that foreign code written for
# the kernel's <linux/iommufd.h> and the mock's iommufd_test.h compiles
# against proto/.
#
#   tests/selftest/build.sh OUTDIR
#
# OUTDIR keeps the downloaded package (reused on later runs), the few
# files taken out of it, and the programs built: OUTDIR/bin/iommufd and
# OUTDIR/bin/iommufd_fail_nth. Nothing here is run; running them through
# the daemon is a separate step.
#
# How the headers are substituted: the selftest includes the mock header
# by the relative path "../../../../drivers/iommu/iommufd/iommufd_test.h".
# The sources are extracted into their kernel layout under OUTDIR/tree,
# where drivers/ holds only a symlink to our proto/iommufd_test.h, and the
# compiler gets -I proto, so <linux/iommufd.h> and <linux/vfio.h> are ours
# too. The kernel's own copies of those headers are never extracted; the
# dependency list of each build is checked to prove it.
#
# Environment: CC (default cc), PKG (default linux-source-6.12).

set -eu

out=${1:?usage: $0 OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
CC=${CC:-cc}
PKG=${PKG:-linux-source-6.12}
tree=$out/tree
st=tools/testing/selftests
log=$out/build.log

say() { printf '%s\n' "selftest: $*"; }
fail() { printf '%s\n' "selftest: FAIL: $*"; exit 1; }

# What the build needs on the machine.
need=
command -v "$CC" >/dev/null 2>&1 || need="$need gcc libc6-dev"
command -v xz >/dev/null 2>&1 || need="$need xz-utils"
command -v dpkg-deb >/dev/null 2>&1 || need="$need dpkg"
if [ -n "$need" ]; then
	say "installing$need"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need \
	    >/dev/null || fail "cannot install$need"
fi

# The package, downloaded once. Debian 12 carries it in its security
# suite; if the apt lists do not know it, refresh them, then try
# bookworm-backports.
deb=$(ls "$out"/"$PKG"_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
	if ! apt-cache show "$PKG" >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
	fi
	if ! apt-cache show "$PKG" >/dev/null 2>&1; then
		list=/etc/apt/sources.list.d/bookworm-backports.list
		[ -e "$list" ] || echo \
		    'deb http://deb.debian.org/debian bookworm-backports main' \
		    > "$list"
		apt-get update -qq >/dev/null 2>&1 || true
	fi
	say "downloading $PKG"
	(cd "$out" && apt-get download -qq "$PKG" >/dev/null 2>&1) ||
	    fail "cannot download $PKG"
	deb=$(ls "$out"/"$PKG"_*.deb | head -n 1)
fi

# Only the files the selftest needs, in their kernel layout.
files="$st/iommu/iommufd.c $st/iommu/iommufd_fail_nth.c
	$st/iommu/iommufd_utils.h $st/kselftest_harness.h $st/kselftest.h"
stamp=$tree/.extracted-$(basename "$deb")
if [ ! -e "$stamp" ]; then
	rm -rf "$tree"
	mkdir -p "$tree"
	top=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep 'linux-source.*\.tar\.xz$' |
	    head -n 1)
	[ -n "$top" ] || fail "no source tarball in $(basename "$deb")"
	members=
	for f in $files; do
		members="$members $PKG/$f"
	done
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "$top" |
	    tar -xJ -C "$tree" --strip-components=1 $members ||
	    fail "cannot extract the selftest from $(basename "$deb")"
	touch "$stamp"
fi

# Our mock header where the selftest looks for the kernel's.
mkdir -p "$tree/drivers/iommu/iommufd"
ln -sfn "$root/proto/iommufd_test.h" \
    "$tree/drivers/iommu/iommufd/iommufd_test.h"

# The selftest's flags (its Makefile and lib.mk), and include flags only.
CFLAGS_ST="-Wall -O2 -Wno-unused-function -D_GNU_SOURCE= \
	-Wno-address-of-packed-member"
case $($CC --version 2>/dev/null) in
*clang*) CFLAGS_ST="$CFLAGS_ST -Wno-gnu-variable-sized-type-not-at-end" ;;
esac

mkdir -p "$out/bin"
: > "$log"
built=
warned=0
for prog in iommufd iommufd_fail_nth; do
	(cd "$tree/$st/iommu" &&
	    $CC $CFLAGS_ST -I"$root/proto" -MD -MF "$out/$prog.d" \
	    -o "$out/bin/$prog" "$prog.c") >>"$log" 2>&1 ||
	    fail "$prog did not compile against proto/ (see $log)"
	# Prove whose headers were used.
	for h in "$root/proto/linux/iommufd.h" "$root/proto/linux/vfio.h" \
	    "drivers/iommu/iommufd/iommufd_test.h"; do
		grep -q "$h" "$out/$prog.d" ||
		    fail "$prog did not use $h"
	done
	[ "$(readlink "$tree/drivers/iommu/iommufd/iommufd_test.h")" = \
	    "$root/proto/iommufd_test.h" ] || fail "mock header is not ours"
	built="$built $prog"
done
warned=$(grep -c 'warning:' "$log" || true)

if [ "$warned" -ne 0 ]; then
	say "built$built against proto/ with $warned warnings (see $log)"
	exit 1
fi
say "OK: built$built from $(basename "$deb") against proto/, no warnings"
