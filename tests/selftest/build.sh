#!/bin/sh
#
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Build the kernel's own iommufd selftest (tools/testing/selftests/iommu
# from Debian's linux-source-6.12 or linux-source-7.3 package) against
# ioasidd's headers, without changing a line of it: the proof that
# foreign code written for the kernel's <linux/iommufd.h> and the mock's
# iommufd_test.h compiles against proto/.
#
#   tests/selftest/build.sh OUTDIR
#
# OUTDIR keeps the downloaded package (reused on later runs), the private
# apt lists when they were needed, the few files taken out of it, and the
# programs built: OUTDIR/bin/iommufd and OUTDIR/bin/iommufd_fail_nth.
# Nothing here is run: tests/selftest/run.sh runs them through the daemon.
#
# How the headers are substituted: the selftest includes the mock header
# by the relative path "../../../../drivers/iommu/iommufd/iommufd_test.h".
# The sources are extracted into their kernel layout under OUTDIR/tree,
# where drivers/ holds only a symlink to our proto/iommufd_test.h, and the
# compiler gets -I proto, so <linux/iommufd.h> and <linux/vfio.h> are ours
# too. The kernel's own copies of those headers are never extracted; the
# dependency list of each build is checked to prove it.
#
# Environment: CC (default cc), KVER (default 6.12; 7.3 is the newest
# kernel Debian carries, in trixie-backports), PKG (default
# linux-source-$KVER), STATIC (1: also OUTDIR/static/PROGRAM, linked
# statically, to run on the real kernel in a guest).

set -eu

out=${1:?usage: $0 OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
CC=${CC:-cc}
KVER=${KVER:-6.12}
PKG=${PKG:-linux-source-$KVER}
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
# The 7.3 selftest drops capabilities with libcap.
[ -e /usr/include/sys/capability.h ] || need="$need libcap-dev"
if [ -n "$need" ]; then
	say "installing$need"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need \
	    >/dev/null || fail "cannot install$need"
fi

# The package, downloaded once and kept in OUTDIR. When the machine's apt
# lists do not carry it (7.3 is not in Debian 12; a fresh machine may not
# know 6.12 from bookworm-security yet), it is fetched through a private
# apt configuration under OUTDIR/apt that names the suites carrying it, so
# the machine's own sources and lists are never changed.
deb=$(ls "$out"/"$PKG"_*.deb 2>/dev/null | head -n 1 || true)
if [ -z "$deb" ]; then
	set --
	if ! apt-cache show "$PKG" >/dev/null 2>&1; then
		a=$out/apt
		mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
		case $KVER in
		6.*)	suites='debian-security bookworm-security
				debian bookworm-backports' ;;
		*)	suites='debian trixie-backports' ;;
		esac
		printf '%s\n' "$suites" | while read -r arch suite; do
			echo "deb http://deb.debian.org/$arch $suite main"
		done > "$a/sources.list"
		set -- -o Dir::Etc::SourceList="$a/sources.list" \
		    -o Dir::Etc::SourceParts=/dev/null \
		    -o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache"
		say "reading the package lists of $(awk '{print $3}' \
		    "$a/sources.list" | tr '\n' ' ')"
		apt-get "$@" update -qq >/dev/null 2>&1 ||
		    fail "cannot read the lists in $a/sources.list"
	fi
	say "downloading $PKG"
	(cd "$out" && apt-get "$@" download -qq "$PKG" >/dev/null 2>&1) ||
	    fail "cannot download $PKG"
	deb=$(ls "$out"/"$PKG"_*.deb | head -n 1)
fi

# Only the files the selftest needs, in their kernel layout: its own
# directory and the harness (one header in 6.12, a header and a directory
# in 7.3). The kernel's uapi headers are never extracted.
stamp=$tree/.extracted-$(basename "$deb")
if [ ! -e "$stamp" ]; then
	rm -rf "$tree"
	mkdir -p "$tree"
	top=$(dpkg-deb --fsys-tarfile "$deb" | tar -t |
	    grep 'linux-source.*\.tar\.xz$' | head -n 1)
	[ -n "$top" ] || fail "no source tarball in $(basename "$deb")"
	say "extracting the selftest from $(basename "$deb")"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "$top" |
	    tar -xJ -C "$tree" --strip-components=1 --wildcards \
	    "$PKG/$st/iommu/*" "$PKG/$st/kselftest*" ||
	    fail "cannot extract the selftest from $(basename "$deb")"
	touch "$stamp"
fi

# Our mock header where the selftest looks for the kernel's.
mkdir -p "$tree/drivers/iommu/iommufd"
ln -sfn "$root/proto/iommufd_test.h" \
    "$tree/drivers/iommu/iommufd/iommufd_test.h"

# The selftest's flags (its Makefile and lib.mk), and include flags only:
# ours, and the selftest directory for the harness.
CFLAGS_ST="-Wall -O2 -Wno-unused-function -D_GNU_SOURCE= \
	-Wno-address-of-packed-member"
case $($CC --version 2>/dev/null) in
*clang*) CFLAGS_ST="$CFLAGS_ST -Wno-gnu-variable-sized-type-not-at-end" ;;
esac

LIBS_ST=
grep -q -- '-lcap' "$tree/$st/iommu/Makefile" && LIBS_ST=-lcap

mkdir -p "$out/bin"
: > "$log"
built=
warned=0
for prog in iommufd iommufd_fail_nth; do
	(cd "$tree/$st/iommu" &&
	    $CC $CFLAGS_ST -I"$root/proto" -I"$tree/$st" \
	    -MD -MF "$out/$prog.d" -o "$out/bin/$prog" "$prog.c" $LIBS_ST) \
	    >>"$log" 2>&1 ||
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
	# A static copy for a guest that has no libc of ours.
	if [ "${STATIC:-0}" = 1 ]; then
		mkdir -p "$out/static"
		(cd "$tree/$st/iommu" &&
		    $CC $CFLAGS_ST -static -I"$root/proto" -I"$tree/$st" \
		    -o "$out/static/$prog" "$prog.c" $LIBS_ST) >>"$log" 2>&1 ||
		    fail "$prog did not link statically (see $log)"
	fi
done
warned=$(grep -c 'warning:' "$log" || true)

if [ "$warned" -ne 0 ]; then
	say "built$built against proto/ with $warned warnings (see $log)"
	exit 1
fi
say "OK: built$built from $(basename "$deb") against proto/, no warnings"
