#!/bin/sh
# Install the Debian packages that building and testing ioasidd need, when
# they are missing. Safe to run again: it does nothing once all are there.
# Needs root (or sudo) only when something is missing.
set -eu

PKGS="build-essential make pkg-config clang libfuse3-dev fuse3 libevent-dev
libjansson-dev check libbsd-dev libinih-dev"
# Some integration checks drive the control socket and the preload library
# from Python, and render the manual pages with groff.
PKGS="$PKGS python3 groff-base"
# Every test that writes a trace validates it against its JSON Schema.
PKGS="$PKGS python3-jsonschema"
# The trace timeline test loads its page in a real browser, headless.
PKGS="$PKGS chromium"
# The guest test of the real CUSE node boots a kernel under QEMU.
[ "${IOASIDD_NO_GUEST:-0}" = 1 ] ||
	PKGS="$PKGS qemu-system-x86 busybox-static cpio xz-utils"
# The QEMU test fetches QEMU 10 from bookworm-backports with its own apt
# configuration, which checks the archive's signatures with this keyring.
[ "${IOASIDD_NO_GUEST:-0}" = 1 ] ||
	PKGS="$PKGS debian-archive-keyring"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
