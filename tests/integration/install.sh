#!/bin/sh
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# make install and make uninstall into a scratch DESTDIR with PREFIX=/usr:
# every file lands where it should with the right mode, the unit names the
# installed paths, ioasid.pc is valid and a program built with it links and
# runs against the installed library, a model plugin builds out of the
# tree against the installed <ioasid/hw/hw.h> and the installed daemon
# loads it, the man pages render without warnings, an edited
# configuration survives, and uninstall leaves only directories.
#
# It reuses the build in BUILD_DIR and must not rebuild it: run it with the
# same make variables the build had (make check passes them on through
# MAKEFLAGS); it refuses to go on if make would compile anything.
#
# usage: tests/integration/install.sh BUILD_DIR

set -u

B=${1:-build}
case $B in /*) ;; *) B=$(pwd)/$B ;; esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d /tmp/ioasidd-install.XXXXXX)
. "$(dirname "$0")/lib.sh"

cleanup() {
	rm -rf "$D"
}
trap cleanup EXIT INT TERM

# mode FILE: its permission bits in octal.
mode() {
	stat -c %a "$1"
}

MAKE_ARGS="-C $ROOT B=$B DESTDIR=$D/root PREFIX=/usr"
# The flags make would build with now must be those of the build: have make
# bring $B/.flags up to date (it rewrites it only when they differ) and put
# the old one back, time included, if it did.
if [ -f "$B/.flags" ]; then
	cp -p "$B/.flags" "$D/flags"
	make $MAKE_ARGS "$B/.flags" >/dev/null 2>&1
	if ! cmp -s "$B/.flags" "$D/flags"; then
		cp -p "$D/flags" "$B/.flags"
		give_up "make install would rebuild $B with other flags; run" \
		    "this with the make variables of its build (SANITIZE=1, CC=...)"
	fi
fi

make $MAKE_ARGS install >"$D/out" 2>&1; rc=$?
check "make install DESTDIR=... PREFIX=/usr succeeds" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$D/out"
R=$D/root

# --- what landed ------------------------------------------------------------
check "ioasidd in /usr/sbin, mode 755" \
    sh -c '[ -x "$1" ] && [ "$(stat -c %a "$1")" = 755 ]' - "$R/usr/sbin/ioasidd"
check "ioasidctl in /usr/bin, mode 755" \
    sh -c '[ -x "$1" ] && [ "$(stat -c %a "$1")" = 755 ]' - "$R/usr/bin/ioasidctl"
check "ioasidd-testvmm in /usr/bin, mode 755" \
    sh -c '[ -x "$1" ] && [ "$(stat -c %a "$1")" = 755 ]' - \
    "$R/usr/bin/ioasidd-testvmm"
check "the installed ioasidd-testvmm runs (--help)" \
    sh -c '"$1" --help | grep -q "^usage: ioasidd-testvmm"' - \
    "$R/usr/bin/ioasidd-testvmm"
check "the installed ioasidd runs (-V)" \
    sh -c '"$1" -V | grep -q "^ioasidd [0-9]"' - "$R/usr/sbin/ioasidd"
check "the installed ioasidctl runs (--help)" \
    sh -c '"$1" --help | grep -q "^usage: ioasidctl"' - "$R/usr/bin/ioasidctl"
check "libioasid.so.0 is a shared library with its soname" \
    sh -c 'objdump -p "$1" 2>/dev/null | grep -q "SONAME  *libioasid.so.0" ||
    readelf -d "$1" | grep -q "soname: \[libioasid.so.0\]"' \
    - "$R/usr/lib/libioasid.so.0"
check "libioasid.so is a link to libioasid.so.0" \
    [ -L "$R/usr/lib/libioasid.so" ] && \
    [ "$(readlink "$R/usr/lib/libioasid.so")" = libioasid.so.0 ]
check "libioasid-preload.so is installed" [ -f "$R/usr/lib/libioasid-preload.so" ]
check "the headers: ioasid.h, linux/iommufd.h, iommufd_test.h" \
    [ -f "$R/usr/include/ioasid/ioasid.h" ] && \
    [ -f "$R/usr/include/ioasid/linux/iommufd.h" ] && \
    [ -f "$R/usr/include/ioasid/iommufd_test.h" ]
check "the model-ABI header: ioasid/hw/hw.h" \
    cmp -s "$R/usr/include/ioasid/hw/hw.h" "$ROOT/daemon/hw/hw.h"
check "the spapr-tce plugin in /usr/lib/ioasidd/models, mode 755" \
    sh -c '[ -f "$1" ] && [ "$(stat -c %a "$1")" = 755 ]' - \
    "$R/usr/lib/ioasidd/models/spapr-tce.so"
check "the header of the KVM view, ioasidd_coherency.h" \
    [ -f "$R/usr/include/ioasid/ioasidd_coherency.h" ]
check "the header of the ENQCMD PASID table, ioasidd_pasid.h" \
    [ -f "$R/usr/include/ioasid/ioasidd_pasid.h" ]
check "the header of a VM's ENQCMD PASID table, ioasidd_enqcmd.h" \
    [ -f "$R/usr/include/ioasid/ioasidd_enqcmd.h" ]
check "the configuration is the shipped one" \
    cmp -s "$ROOT/ioasidd.conf" "$R/etc/ioasidd.conf"
check "the installed daemon accepts the installed configuration" \
    sh -c '"$1" -n -f "$2" | grep -q "configuration OK"' - \
    "$R/usr/sbin/ioasidd" "$R/etc/ioasidd.conf"

U=$R/lib/systemd/system/ioasidd.service
check "the unit is installed, mode 644" \
    sh -c '[ -f "$1" ] && [ "$(stat -c %a "$1")" = 644 ]' - "$U"
check "the unit has no @PLACEHOLDER@ left" sh -c '! grep -q "@[A-Z]*@" "$1"' - "$U"
check "the unit starts the installed daemon in the foreground" \
    grep -q "^ExecStart=/usr/sbin/ioasidd -d -f /etc/ioasidd.conf$" "$U"
check "the unit is Type=notify and reloads with SIGHUP" \
    sh -c 'grep -q "^Type=notify$" "$1" &&
    grep -q "^ExecReload=/bin/kill -HUP \$MAINPID$" "$1"' - "$U"
if command -v systemd-analyze >/dev/null 2>&1; then
	# Verify a copy that points at the installed daemon in DESTDIR.
	sed "s|/usr/sbin/ioasidd|$R/usr/sbin/ioasidd|" "$U" >"$D/ioasidd.service"
	(cd "$D" && systemd-analyze verify --man=no ./ioasidd.service) \
	    >"$D/verify" 2>&1; rc=$?
	check "systemd-analyze verify accepts the unit" \
	    sh -c '[ $1 -eq 0 ] && [ ! -s "$2" ]' - $rc "$D/verify"
	[ $rc -eq 0 ] && [ ! -s "$D/verify" ] || cat "$D/verify"
fi
check "the udev rule is installed" \
    grep -q '^SUBSYSTEM=="cuse", KERNEL=="iommu", GROUP="kvm", MODE="0660"$' \
    "$R/lib/udev/rules.d/60-ioasidd.rules"

for m in man1/ioasidctl.1 man1/ioasidd-testvmm.1 man5/ioasidd.conf.5 \
    man8/ioasidd.8; do
	f=$R/usr/share/man/$m
	check "man page $m is installed" cmp -s "$f" "$ROOT/man/$(basename "$m")"
	if command -v groff >/dev/null 2>&1; then
		out=$(groff -mdoc -ww -z "$f" 2>&1)
		check "groff renders $m without warnings" [ -z "$out" ]
	fi
	if command -v mandoc >/dev/null 2>&1; then
		out=$(mandoc -Tlint -W warning "$f" 2>&1)
		check "mandoc -Tlint finds nothing in $m" [ -z "$out" ]
	fi
	if command -v man >/dev/null 2>&1; then
		name=$(basename "$m" | sed 's/\.[0-9]$//')
		check "man -l shows the NAME of $m" \
		    sh -c 'MANWIDTH=80 man -l "$1" 2>/dev/null |
		    grep -q "^ *$2 [-—]"' - "$f" "$name"
	fi
done

# --- a program built with the installed ioasid.pc ------------------------------
PC="env PKG_CONFIG_PATH=$R/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$R pkg-config"
check "pkg-config knows ioasid at the installed version" \
    sh -c '$1 --modversion ioasid | grep -q "^[0-9]"' - "$PC"
flags=$($PC --cflags --libs ioasid 2>&1); rc=$?
check "pkg-config --cflags --libs ioasid: $flags" \
    sh -c '[ $1 -eq 0 ] && echo "$2" | grep -q -- "-I$3/usr/include/ioasid" &&
    echo "$2" | grep -q -- "-L$3/usr/lib" && echo "$2" | grep -q -- "-lioasid"' \
    - $rc "$flags" "$R"
cat >"$D/prog.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ioasid.h>

int
main(void)
{
	struct iommu_ioas_alloc	a = { .size = sizeof(a) };
	int			fd;

	/* No daemon listens there: a clean error, not a crash. */
	fd = ioasid_open("/nonexistent/iommu.sock");
	printf("open %d\n", fd);
	printf("alloc %d\n", ioasid_ioctl(-1, IOMMU_IOAS_ALLOC, &a));
	return (fd < 0 ? 0 : 1);
}
EOF
# A sanitized library needs the sanitizer runtime when the program runs.
ASANLIB=$(ldd "$R/usr/lib/libioasid.so.0" 2>/dev/null | awk '/libasan/ { print $3 }')
${CC:-cc} -o "$D/prog" "$D/prog.c" $flags >"$D/out" 2>&1; rc=$?
check "a program compiled and linked with the installed ioasid.pc" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$D/out"
if [ $rc -eq 0 ]; then
	out=$(ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD=$ASANLIB \
	    LD_LIBRARY_PATH=$R/usr/lib "$D/prog" 2>&1); rc=$?
	check "it runs on the installed libioasid.so.0 and gets -errno" \
	    sh -c '[ $1 -eq 0 ] && echo "$2" | grep -q "^open -[0-9]"' \
	    - $rc "$out"
	check "it loads libioasid.so.0 from DESTDIR" \
	    sh -c 'LD_LIBRARY_PATH=$1/usr/lib ldd "$2" |
	    grep -q "libioasid.so.0 => $1/usr/lib/libioasid.so.0"' - "$R" "$D/prog"
fi

# --- a model plugin built out of the tree ---------------------------------
# Against the installed header only, as its author would build it; then
# the installed daemon loads it from a model-dir of its own.
mkdir -p "$D/models"
cat >"$D/mine.c" <<'EOF'
#include <errno.h>
#include <string.h>

#include <ioasid/hw/hw.h>

static int
mine_domain_alloc_paging(const struct hw_dev_desc *dev, unsigned int flags,
    const struct hw_data *data, struct hw_domain *dom)
{
	(void)dev;
	if (flags != 0 || (data != NULL && data->type != 0))
		return (-EOPNOTSUPP);
	memset(dom, 0, sizeof(*dom));
	dom->pgsize_bitmap = 1ULL << 12;
	dom->aperture_last = (1ULL << 39) - 1;
	return (0);
}

static int
mine_attach_check(const struct hw_dev_desc *dev, const struct hw_domain *dom)
{
	(void)dev;
	(void)dom;
	return (0);
}

const struct hw_model_ops ioasidd_hw_model = {
	.version = HW_MODEL_VERSION,
	.name = "mine",
	.domain_alloc_paging = mine_domain_alloc_paging,
	.attach_check = mine_attach_check,
};
EOF
${CC:-cc} -std=c99 -Wall -Wextra -Werror -shared -fPIC -I"$R/usr/include" \
    -o "$D/models/mine.so" "$D/mine.c" >"$D/out" 2>&1; rc=$?
check "a plugin builds out of the tree against the installed hw.h" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$D/out"
${CC:-cc} -shared -fPIC -I"$R/usr/include" -o "$D/models/spapr-tce.so" \
    "$ROOT/models/spapr-tce.c" >"$D/out" 2>&1; rc=$?
check "so does spapr-tce.c, from its source alone" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$D/out"
cat >"$D/plugins.conf" <<EOF
[daemon]
model-dir = $D/models
[iommu m]
model = mine
[iommu t]
model = spapr-tce
profile = pseries-16m
EOF
check "the installed daemon loads both (-n)" \
    sh -c '"$1" -n -f "$2" | grep -q "configuration OK"' - \
    "$R/usr/sbin/ioasidd" "$D/plugins.conf"

# --- reinstall and uninstall ----------------------------------------------
echo "# edited" >>"$R/etc/ioasidd.conf"
make $MAKE_ARGS install >"$D/out" 2>&1; rc=$?
check "a second install succeeds and keeps the edited configuration" \
    sh -c '[ $1 -eq 0 ] && tail -n 1 "$2" | grep -q "^# edited$"' \
    - $rc "$R/etc/ioasidd.conf"
make $MAKE_ARGS uninstall >"$D/out" 2>&1; rc=$?
check "make uninstall succeeds" [ $rc -eq 0 ]
check "uninstall keeps an edited configuration" [ -f "$R/etc/ioasidd.conf" ]
rm -f "$R/etc/ioasidd.conf"
make $MAKE_ARGS install >"$D/out" 2>&1 && \
    make $MAKE_ARGS uninstall >"$D/out" 2>&1; rc=$?
left=$(find "$R" ! -type d)
check "install then uninstall leaves only directories" \
    sh -c '[ $1 -eq 0 ] && [ -z "$2" ]' - $rc "$left"
[ -z "$left" ] || echo "$left"

summary
